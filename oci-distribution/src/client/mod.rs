//! A blocking registry client (feature `client`): the requests of [`crate::endpoint`] sent
//! over HTTP, with authentication, retries and resumption, and a remote repository that
//! implements the [`oci_image::content`] traits so that [`oci_image::content::copy`] pulls
//! from and pushes to a registry.
//!
//! # Example
//!
//! Pull an image into memory (any [`Target`](oci_image::content::Target) works: an
//! `oci-layout` store is the usual one):
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use oci_distribution::client::{Client, ClientOptions};
//! use oci_image::content::{copy, CopyOptions, MemoryStore};
//!
//! let reference = "127.0.0.1:5000/team/app:v1".parse()?;
//! let client = Client::new(ClientOptions::default().plain_http(true));
//! let remote = client.repository(&reference);
//! let store = MemoryStore::new();
//! let root = copy(&remote, "v1", &store, "v1", &CopyOptions::default())?;
//! println!("pulled {}", root.digest);
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//!
//! - Every blob streams (never whole in memory on a pull; at most one chunk per blob in
//!   flight on a push) and is verified against its descriptor while it streams.
//! - 401 answers are met with the challenge they carry: `Basic` with the configured
//!   credentials, `Bearer` by asking the realm for a token (a realm on another host than
//!   the registry is refused unless [`ClientOptions::allow_foreign_realm`]); tokens are
//!   cached per scope until they expire.
//! - 429, 500, 502, 503, 504 and dropped or refused connections are retried with
//!   exponential backoff (`Retry-After` is honoured up to the largest backoff); an
//!   interrupted blob download resumes with `Range` from the last byte received, and an
//!   interrupted chunk of an upload resumes from the offset the registry reports.
//! - Blobs up to [`ClientOptions::chunk_size`] go up in one `PUT`, larger ones in chunks
//!   of that size, each streamed as it is read (a copy of the chunk is kept to send it
//!   again). Pushed content is verified by the registry (distribution-spec's
//!   `DIGEST_INVALID`) and its size by the client; [`ClientOptions::verify_pushes`] adds
//!   a hash on this side.
//! - Foreign layers' `urls` are fetched without any registry credentials.

mod repository;
mod transfer;

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, Method, StatusCode, Uri};

pub use repository::Repository;

use crate::Reference;
use crate::auth::{Challenge, Credentials, Scheme, TokenResponse, token_request};
use crate::endpoint::{self, Body, Registry, ResponseError};

/// Settings of a [`Client`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Talk HTTP, not HTTPS (for a registry on loopback). Default: no.
    pub plain_http: bool,
    /// Credentials for `Basic` challenges and token requests. Default: none (anonymous).
    pub credentials: Option<Credentials>,
    /// Accept token realms on another host than the registry (Docker Hub's
    /// `auth.docker.io` is one); credentials are then sent there. Default: no.
    pub allow_foreign_realm: bool,
    /// Blobs up to this size are uploaded in one request, larger ones in chunks of this
    /// size (some registries reject chunks over 4 MiB). Default: 8 MiB.
    pub chunk_size: u64,
    /// How many times a failed request is retried. Default: 5.
    pub retries: u32,
    /// The first backoff; it doubles with each retry. Default: 250 ms.
    pub backoff: Duration,
    /// The longest backoff. Default: 8 s.
    pub max_backoff: Duration,
    /// Also hash what is pushed, on this side. The registry verifies every upload against
    /// its digest (and refuses a mismatch with `DIGEST_INVALID`), and the client always
    /// checks sizes, so this costs a second hash for registries one does not trust to
    /// verify. Default: no.
    pub verify_pushes: bool,
    /// Largest manifest accepted. Default: [`endpoint::MAX_MANIFEST_SIZE`].
    pub max_manifest_size: usize,
    /// Largest error or token body read. Default:
    /// [`endpoint::MAX_SMALL_BODY`].
    pub max_small_body: usize,
    /// Connection timeout. Default: 30 s.
    pub connect_timeout: Duration,
    /// Longest wait for a response's headers or for the next bytes of a body. Default: 5 min.
    pub read_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            plain_http: false,
            credentials: None,
            allow_foreign_realm: false,
            chunk_size: 8 << 20,
            retries: 5,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            verify_pushes: false,
            max_manifest_size: endpoint::MAX_MANIFEST_SIZE,
            max_small_body: endpoint::MAX_SMALL_BODY,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(300),
            user_agent: concat!("oci-distribution/", env!("CARGO_PKG_VERSION")).to_owned(),
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
    /// Sets [`ClientOptions::allow_foreign_realm`].
    pub fn allow_foreign_realm(mut self, yes: bool) -> Self {
        self.allow_foreign_realm = yes;
        self
    }
    /// Sets [`ClientOptions::max_manifest_size`] and [`ClientOptions::max_small_body`].
    pub fn limits(mut self, max_manifest_size: usize, max_small_body: usize) -> Self {
        self.max_manifest_size = max_manifest_size;
        self.max_small_body = max_small_body;
        self
    }
    /// Sets [`ClientOptions::verify_pushes`].
    pub fn verify_pushes(mut self, yes: bool) -> Self {
        self.verify_pushes = yes;
        self
    }
    /// Sets [`ClientOptions::chunk_size`] (at least 1 byte).
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = bytes.max(1);
        self
    }
    /// Sets [`ClientOptions::retries`], [`ClientOptions::backoff`] and
    /// [`ClientOptions::max_backoff`].
    pub fn retries(mut self, retries: u32, backoff: Duration, max_backoff: Duration) -> Self {
        self.retries = retries;
        self.backoff = backoff;
        self.max_backoff = max_backoff.max(backoff);
        self
    }
    /// Sets [`ClientOptions::connect_timeout`] and [`ClientOptions::read_timeout`].
    pub fn timeouts(mut self, connect: Duration, read: Duration) -> Self {
        self.connect_timeout = connect;
        self.read_timeout = read;
        self
    }

    fn backoff_for(&self, attempt: u32) -> Duration {
        self.backoff.saturating_mul(1u32 << attempt.min(16)).min(self.max_backoff)
    }
}

/// An error of the transport underneath (connection, TLS, protocol), kept opaque so that
/// the HTTP library's types stay out of this crate's API.
#[derive(Debug)]
pub struct TransportError(Box<dyn std::error::Error + Send + Sync>);

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// What went wrong talking to a registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The request could not be sent or its answer not received (after the retries).
    #[error("{method} {url} failed")]
    Transport {
        /// The request's method.
        method: Method,
        /// The request's URL.
        url: String,
        /// What failed.
        #[source]
        source: TransportError,
    },
    /// The registry's answer is an error or not what the request asked for.
    #[error("{method} {url}")]
    Response {
        /// The request's method.
        method: Method,
        /// The request's URL.
        url: String,
        /// What is wrong with the answer.
        #[source]
        source: ResponseError,
    },
    /// Authentication failed or was refused.
    #[error("cannot authenticate with {registry}: {reason}")]
    Auth {
        /// The registry host.
        registry: String,
        /// Why.
        reason: String,
    },
    /// The registry lost part of an upload (after a restart, say) that can no longer be
    /// sent again from the stream.
    #[error("the registry lost the upload of {digest}: it holds {holds} bytes, {sent} were sent")]
    UploadLost {
        /// The blob.
        digest: oci_image::Digest,
        /// What the registry says it holds.
        holds: u64,
        /// What had been sent.
        sent: u64,
    },
    /// A tag or digest that cannot name a manifest of this repository.
    #[error("invalid reference {0:?}")]
    InvalidReference(String),
    /// A document of the registry's (a referrers index) that does not parse.
    #[error("malformed {what}")]
    Json {
        /// What it is.
        what: String,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// A request that cannot be built (an invalid host or location).
    #[error("invalid request")]
    Request(#[from] http::Error),
    /// A local I/O error (reading the content to push).
    #[error("i/o error")]
    Io(#[from] std::io::Error),
}

impl ClientError {
    /// The HTTP status of a registry error answer, if this is one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Response { source: ResponseError::Status { status, .. }, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A response whose body streams from the connection.
pub(crate) type Response = http::Response<ureq::Body>;

/// A registry client: one connection pool, one set of credentials and tokens. Cheap to
/// clone (clones share everything).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    agent: ureq::Agent,
    options: ClientOptions,
    /// `Authorization` values by host (Basic) and by host and scope (Bearer).
    auth: Mutex<HashMap<String, Authorization>>,
}

#[derive(Clone)]
struct Authorization {
    value: HeaderValue,
    expires: Option<Instant>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("options", &self.inner.options).finish_non_exhaustive()
    }
}

/// The body a request carries; always replayable, so that it can be retried.
#[derive(Clone, Copy)]
pub(crate) enum Payload<'a> {
    None,
    Bytes(&'a [u8]),
}

/// Whether [`Client::send`] retries failures (beyond answering a 401 once).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// 429, 5xx and transport failures: for requests that can be repeated as they are.
    Yes,
    /// Only 429 and 503, answers that say the request was not acted on: for requests
    /// that must not be repeated once the registry may have taken part of them.
    Unprocessed,
    /// Nothing.
    No,
}

impl Client {
    /// A client with these settings.
    pub fn new(options: ClientOptions) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(options.user_agent.as_str())
            .timeout_connect(Some(options.connect_timeout))
            .timeout_recv_response(Some(options.read_timeout))
            .timeout_recv_body(None)
            .timeout_per_read(Some(options.read_timeout))
            .max_idle_connections_per_host(16)
            .build();
        Self {
            inner: Arc::new(Inner {
                agent: config.new_agent(),
                options,
                auth: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The settings.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The registry of `reference` as this client talks to it.
    pub fn registry(&self, reference: &Reference) -> Registry {
        Registry::of(reference, self.inner.options.plain_http)
    }

    /// The repository `reference` names (its tag or digest is not used), as a content
    /// store.
    pub fn repository(&self, reference: &Reference) -> Repository {
        Repository::new(self.clone(), self.registry(reference), reference.repository())
    }

    /// Checks that the registry speaks the API (end-1), authenticating if it asks to.
    ///
    /// # Errors
    /// [`ClientError`] if it does not answer 200.
    pub fn ping(&self, registry: &Registry) -> Result<(), ClientError> {
        let request = endpoint::api_version(registry)?;
        let response = self.send(registry, "", &request, Payload::None, Retry::Yes)?;
        self.expect(&request, response, &[StatusCode::OK]).map(drop)
    }

    /// Every repository of the registry's catalog, following pagination (`n` per page).
    ///
    /// # Errors
    /// [`ClientError`].
    pub fn catalog(&self, registry: &Registry, n: Option<u32>) -> Result<Vec<String>, ClientError> {
        let first = endpoint::catalog(registry, n, None)?;
        self.list(
            registry,
            "registry:catalog:*",
            first,
            n,
            |last| endpoint::catalog(registry, n, Some(last)),
            |bytes| serde_json::from_slice::<endpoint::Catalog>(bytes).map(|c| c.repositories),
        )
    }

    /// Follows a paginated list (tags, catalog) to its end: the `Link` of each page, else
    /// `n` and `last` (`continue_after`) for a registry that honours them without `Link`,
    /// where exactly `n` items mean there may be more. A page with nothing new ends it,
    /// so a registry that ignores pagination cannot make it loop.
    pub(crate) fn list(
        &self,
        registry: &Registry,
        scope: &str,
        first: http::Request<Body>,
        n: Option<u32>,
        continue_after: impl Fn(&str) -> Result<http::Request<Body>, http::Error>,
        items: impl Fn(&[u8]) -> Result<Vec<String>, serde_json::Error>,
    ) -> Result<Vec<String>, ClientError> {
        let mut request = first;
        let mut all = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            let response = self.send(registry, scope, &request, Payload::None, Retry::Yes)?;
            let response = self.expect(&request, response, &[StatusCode::OK])?;
            let (parts, body) = response.into_parts();
            let bytes = read_small(body, self.inner.options.max_manifest_size)
                .map_err(|e| self.transport(&request, e))?;
            let page =
                items(&bytes).map_err(|e| self.response_error(&request, ResponseError::Json(e)))?;
            let full = n.is_some_and(|n| n > 0 && page.len() as u64 == u64::from(n));
            let last = page.last().cloned();
            let before = all.len();
            all.extend(page.into_iter().filter(|item| seen.insert(item.clone())));
            if all.len() == before {
                return Ok(all);
            }
            request = match (endpoint::next_link(&parts), last) {
                (Some(link), _) => endpoint::follow_link(registry, &link)?,
                (None, Some(last)) if full => continue_after(&last)?,
                _ => return Ok(all),
            };
        }
    }

    /// Sends `request` with `payload` as its body: with the cached authorization for
    /// `scope` on the registry, answering one 401 with its challenge, and (with
    /// [`Retry::Yes`]) retrying 429, 5xx and transport failures with backoff. Error
    /// statuses other than those are returned as responses for the caller to judge.
    pub(crate) fn send(
        &self,
        registry: &Registry,
        scope: &str,
        request: &http::Request<Body>,
        payload: Payload<'_>,
        retry: Retry,
    ) -> Result<Response, ClientError> {
        let options = &self.inner.options;
        let mut attempt = 0u32;
        let mut authenticated = false;
        loop {
            let auth = self.cached_auth(&registry.host, scope);
            let result =
                self.run(request.method(), request.uri(), request.headers(), auth, payload);
            let wait = match result {
                Err(e) => {
                    if retry != Retry::Yes || attempt >= options.retries || !retryable(&e) {
                        return Err(self.transport(request, e));
                    }
                    options.backoff_for(attempt)
                }
                Ok(response) if response.status() == StatusCode::UNAUTHORIZED && !authenticated => {
                    authenticated = true;
                    let challenges = response
                        .headers()
                        .get_all(WWW_AUTHENTICATE)
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .flat_map(Challenge::parse_all)
                        .collect::<Vec<_>>();
                    drain(response);
                    if challenges.is_empty() {
                        return Err(ClientError::Auth {
                            registry: registry.host.clone(),
                            reason: "401 without a WWW-Authenticate challenge".into(),
                        });
                    }
                    self.authenticate(registry, scope, &challenges)?;
                    continue;
                }
                Ok(response)
                    if attempt < options.retries
                        && match retry {
                            Retry::Yes => retryable_status(response.status()),
                            Retry::Unprocessed => matches!(response.status().as_u16(), 429 | 503),
                            Retry::No => false,
                        } =>
                {
                    let wait = retry_after(response.headers())
                        .unwrap_or_else(|| options.backoff_for(attempt))
                        .min(options.max_backoff);
                    drain(response);
                    wait
                }
                Ok(response) => return Ok(response),
            };
            attempt += 1;
            std::thread::sleep(wait);
        }
    }

    fn run(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        auth: Option<HeaderValue>,
        payload: Payload<'_>,
    ) -> Result<Response, ureq::Error> {
        let mut builder = http::Request::builder().method(method.clone()).uri(uri.clone());
        if let Some(h) = builder.headers_mut() {
            h.clone_from(headers);
            if let Some(auth) = auth {
                h.insert(AUTHORIZATION, auth);
            }
        }
        match payload {
            Payload::None => self.inner.agent.run(builder.body(())?),
            Payload::Bytes(bytes) => self.inner.agent.run(builder.body(bytes)?),
        }
    }

    /// Sends `request` once with a body streamed from `body` (its length is in the
    /// request's `Content-Length`), with the cached authorization; no retries, since the
    /// stream cannot be sent again.
    pub(crate) fn send_streaming(
        &self,
        registry: &Registry,
        scope: &str,
        request: &http::Request<Body>,
        body: &mut dyn Read,
    ) -> Result<Response, ClientError> {
        let mut builder =
            http::Request::builder().method(request.method().clone()).uri(request.uri().clone());
        if let Some(h) = builder.headers_mut() {
            h.clone_from(request.headers());
            if let Some(auth) = self.cached_auth(&registry.host, scope) {
                h.insert(AUTHORIZATION, auth);
            }
        }
        let body = ureq::SendBody::from_reader(body);
        self.inner.agent.run(builder.body(body)?).map_err(|e| self.transport(request, e))
    }

    /// Sends a GET to a URL outside the registry (a foreign layer's), with no credentials.
    pub(crate) fn get_foreign(&self, url: &str) -> Result<Response, ClientError> {
        let request = http::Request::get(url).body(Body::Empty)?;
        let response = self
            .run(request.method(), request.uri(), request.headers(), None, Payload::None)
            .map_err(|e| self.transport(&request, e))?;
        self.expect(&request, response, &[StatusCode::OK])
    }

    fn cached_auth(&self, host: &str, scope: &str) -> Option<HeaderValue> {
        let mut cache = self.inner.auth.lock().ok()?;
        for key in [format!("{host} {scope}"), host.to_owned()] {
            if let Some(a) = cache.get(&key) {
                if a.expires.is_some_and(|e| e <= Instant::now()) {
                    cache.remove(&key);
                    continue;
                }
                return Some(a.value.clone());
            }
        }
        None
    }

    fn store_auth(&self, key: String, value: Authorization) {
        if let Ok(mut cache) = self.inner.auth.lock() {
            cache.insert(key, value);
        }
    }

    /// Answers a 401: a bearer token for `scope` from the realm, else Basic credentials.
    fn authenticate(
        &self,
        registry: &Registry,
        scope: &str,
        challenges: &[Challenge],
    ) -> Result<(), ClientError> {
        let options = &self.inner.options;
        let fail = |reason: String| ClientError::Auth { registry: registry.host.clone(), reason };
        if let Some(bearer) = challenges.iter().find(|c| c.scheme == Scheme::Bearer) {
            let mut scopes = Vec::new();
            if !scope.is_empty() {
                scopes.push(scope.to_owned());
            }
            if let Some(asked) = bearer.param("scope")
                && !scopes.iter().any(|s| s == asked)
            {
                scopes.push(asked.to_owned());
            }
            let token = token_request(bearer, &scopes, &registry.host, options.allow_foreign_realm)
                .map_err(|e| fail(e.to_string()))?;
            let (parts, ()) = token.into_parts();
            let mut headers = parts.headers;
            if let Some(c) = &options.credentials {
                headers.insert(
                    AUTHORIZATION,
                    HeaderValue::from_str(&c.basic_header())
                        .map_err(|_| fail("credentials do not form a header".into()))?,
                );
            }
            let response = self
                .run(&Method::GET, &parts.uri, &headers, None, Payload::None)
                .map_err(|e| fail(format!("token request to {} failed: {e}", parts.uri)))?;
            let status = response.status();
            let body = read_small(response.into_body(), options.max_small_body)
                .map_err(|e| fail(format!("token response: {e}")))?;
            if !status.is_success() {
                return Err(fail(format!("the token service answered {status}")));
            }
            let token: TokenResponse = serde_json::from_slice(&body)
                .map_err(|e| fail(format!("malformed token response: {e}")))?;
            let value = token
                .bearer()
                .and_then(|t| HeaderValue::from_str(&format!("Bearer {t}")).ok())
                .ok_or_else(|| fail("the token response holds no usable token".into()))?;
            // Refresh a little before the registry would refuse the token.
            let lifetime = Duration::from_secs(token.lifetime().saturating_sub(5).max(1));
            self.store_auth(
                format!("{} {scope}", registry.host),
                Authorization { value, expires: Some(Instant::now() + lifetime) },
            );
            return Ok(());
        }
        if challenges.iter().any(|c| c.scheme == Scheme::Basic) {
            let Some(credentials) = &options.credentials else {
                return Err(fail("the registry wants credentials and none were given".into()));
            };
            if self.cached_auth(&registry.host, scope).is_some() {
                return Err(fail("the registry refused the credentials".into()));
            }
            let value = HeaderValue::from_str(&credentials.basic_header())
                .map_err(|_| fail("credentials do not form a header".into()))?;
            self.store_auth(registry.host.clone(), Authorization { value, expires: None });
            return Ok(());
        }
        Err(fail("no supported authentication scheme offered".into()))
    }

    /// `response` if its status is one of `ok`, else its error body as a [`ClientError`].
    pub(crate) fn expect(
        &self,
        request: &http::Request<Body>,
        response: Response,
        ok: &[StatusCode],
    ) -> Result<Response, ClientError> {
        if ok.contains(&response.status()) {
            return Ok(response);
        }
        let (parts, body) = response.into_parts();
        let bytes = read_small(body, self.inner.options.max_small_body).unwrap_or_default();
        let error = match endpoint::check_status(&parts, &bytes) {
            Err(e) => e,
            // A success status that is not the one the request calls for.
            Ok(()) => ResponseError::Status { status: parts.status, body: Default::default() },
        };
        Err(self.response_error(request, error))
    }

    pub(crate) fn response_error<B>(
        &self,
        request: &http::Request<B>,
        source: ResponseError,
    ) -> ClientError {
        ClientError::Response {
            method: request.method().clone(),
            url: request.uri().to_string(),
            source,
        }
    }

    pub(crate) fn transport<B>(
        &self,
        request: &http::Request<B>,
        e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> ClientError {
        ClientError::Transport {
            method: request.method().clone(),
            url: request.uri().to_string(),
            source: TransportError(e.into()),
        }
    }
}

/// Transport failures worth another try: the connection, not the request, failed.
fn retryable(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::Timeout(_)
            | ureq::Error::Protocol(_)
            | ureq::Error::BodyStalled
    )
}

pub(crate) fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` in seconds (the HTTP-date form is ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Reads a small body (errors, tokens, documents), refusing more than `limit` bytes.
pub(crate) fn read_small(body: ureq::Body, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    body.into_reader().take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(std::io::Error::other(format!("response body is larger than {limit} bytes")));
    }
    Ok(bytes)
}

/// Reads what is left of a small answer so that its connection can serve the next request.
fn drain(response: Response) {
    let _ = read_small(response.into_body(), 64 << 10);
}
