//! Settings shared by the two drivers.

use std::time::Duration;

use crate::auth::Credentials;
use crate::endpoint;
use crate::proto::{PagerLimits, RetryPolicy};

/// Settings of a client, blocking (`client::Client`) or async (`async_client::Client`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Talk HTTP, not HTTPS (for a registry on loopback). Default: no.
    pub plain_http: bool,
    /// Credentials for `Basic` challenges and token requests. Default: none (anonymous).
    pub credentials: Option<Credentials>,
    /// Blobs larger than [`ClientOptions::monolithic_limit`] are uploaded in chunks of this
    /// size (GHCR refuses chunks over 4 MiB; a registry's `OCI-Chunk-Min-Length` raises
    /// it, a 413 or 416 lowers it). Default: 4 MiB.
    pub chunk_size: u64,
    /// Blobs up to this size are uploaded in one request. Default: 8 MiB.
    pub monolithic_limit: u64,
    /// Hash every pushed byte and commit nothing whose digest differs, whether or not
    /// the registry checks. Off, the registry alone verifies digests (sizes are still
    /// checked here): one SHA-256 pass less, about 50 ms of CPU for a 100 MB push.
    /// Default: on.
    pub verify_pushes: bool,
    /// Ask token services with an OAuth2 password grant (a `POST`, as `docker login`
    /// does), falling back to the `GET` with `Basic` credentials where a service does not
    /// take it. Default: off.
    pub oauth2_password_grant: bool,
    /// Retries, back-off and the time budget of each request. Default:
    /// [`RetryPolicy::default`].
    pub retry: RetryPolicy,
    /// Largest manifest accepted. Default: [`endpoint::MAX_MANIFEST_SIZE`].
    pub max_manifest_size: usize,
    /// Largest error or token body read. Default: [`endpoint::MAX_SMALL_BODY`].
    pub max_small_body: usize,
    /// Bounds on tag and catalog lists. Default: [`PagerLimits::default`].
    pub list_limits: PagerLimits,
    /// Connection timeout. Default: 30 s.
    pub connect_timeout: Duration,
    /// Longest wait for a response's headers or for the next bytes of a body: a transfer
    /// that makes no progress for this long fails (and is retried). Default: 5 min.
    pub read_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Extra CAs and a client certificate, beside the system's roots. Default: none
    /// (see [`crate::tls::Trust::for_registry`] for the `certs.d` directories).
    pub trust: crate::tls::Trust,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            plain_http: false,
            credentials: None,
            chunk_size: 4 << 20,
            monolithic_limit: 8 << 20,
            verify_pushes: true,
            oauth2_password_grant: false,
            retry: RetryPolicy::default(),
            max_manifest_size: endpoint::MAX_MANIFEST_SIZE,
            max_small_body: endpoint::MAX_SMALL_BODY,
            list_limits: PagerLimits::default(),
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(300),
            user_agent: concat!("oci-distribution/", env!("CARGO_PKG_VERSION")).to_owned(),
            trust: crate::tls::Trust::default(),
        }
    }
}

impl ClientOptions {
    /// Sets [`ClientOptions::plain_http`].
    pub fn plain_http(mut self, yes: bool) -> Self {
        self.plain_http = yes;
        self
    }
    /// Sets [`ClientOptions::credentials`].
    pub fn credentials(mut self, credentials: Option<Credentials>) -> Self {
        self.credentials = credentials;
        self
    }
    /// Sets [`ClientOptions::max_manifest_size`] and [`ClientOptions::max_small_body`].
    pub fn limits(mut self, max_manifest_size: usize, max_small_body: usize) -> Self {
        self.max_manifest_size = max_manifest_size;
        self.max_small_body = max_small_body;
        self
    }
    /// Sets [`ClientOptions::list_limits`].
    pub fn list_limits(mut self, limits: PagerLimits) -> Self {
        self.list_limits = limits;
        self
    }
    /// Sets [`ClientOptions::chunk_size`] (at least 1 byte), and
    /// [`ClientOptions::monolithic_limit`] to the same: blobs up to `bytes` in one
    /// request, larger ones in chunks of `bytes`.
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = bytes.max(1);
        self.monolithic_limit = self.chunk_size;
        self
    }
    /// Sets [`ClientOptions::oauth2_password_grant`].
    pub fn oauth2_password_grant(mut self, yes: bool) -> Self {
        self.oauth2_password_grant = yes;
        self
    }
    /// Sets [`ClientOptions::verify_pushes`].
    pub fn verify_pushes(mut self, yes: bool) -> Self {
        self.verify_pushes = yes;
        self
    }
    /// Sets [`ClientOptions::monolithic_limit`].
    pub fn monolithic_limit(mut self, bytes: u64) -> Self {
        self.monolithic_limit = bytes;
        self
    }
    /// Sets the retry count and back-off of [`ClientOptions::retry`].
    pub fn retries(mut self, retries: u32, backoff: Duration, max_backoff: Duration) -> Self {
        self.retry = RetryPolicy::new(retries, backoff, max_backoff).budget(self.retry.budget);
        self
    }
    /// Sets [`ClientOptions::retry`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// Sets [`ClientOptions::connect_timeout`] and [`ClientOptions::read_timeout`].
    pub fn timeouts(mut self, connect: Duration, read: Duration) -> Self {
        self.connect_timeout = connect;
        self.read_timeout = read;
        self
    }
    /// Sets [`ClientOptions::trust`].
    pub fn trust(mut self, trust: crate::tls::Trust) -> Self {
        self.trust = trust;
        self
    }
    /// Sets [`ClientOptions::user_agent`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }
}
