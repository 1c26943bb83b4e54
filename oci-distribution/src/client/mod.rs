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
//! This driver only sends, sleeps and moves bytes: every decision (authentication,
//! retries, pagination, upload and download sessions) is the protocol core's
//! ([`crate::proto`]), which the async driver shares.
//!
//! - Every blob streams (never whole in memory on a pull; at most one chunk per blob in
//!   memory on a push) and is verified against its descriptor while it streams.
//! - 401 answers are met with the challenge they carry: `Basic` with the configured
//!   credentials, `Bearer` by asking the token service wherever the realm is; tokens are
//!   cached per scope until they expire, and renewed when a registry refuses one that
//!   worked before. Credentials and tokens go only to the registry's origin.
//! - 429, 500, 502, 503, 504 and dropped or refused connections are retried with
//!   exponential backoff and jitter (`Retry-After` is honoured up to the largest
//!   backoff), within a time budget; an interrupted blob download resumes with `Range`
//!   from the last byte received, and an interrupted chunk of an upload resumes from the
//!   offset the registry reports.
//! - Blobs up to [`ClientOptions::chunk_size`] go up in one `PUT`, larger ones in chunks
//!   of that size. Every pushed byte is hashed here as it is read: content that does not
//!   match its descriptor is never committed, whether or not the registry checks.
//! - Foreign layers' `urls` are fetched without any registry credentials.

mod repository;
mod transfer;

use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use http::StatusCode;

pub use repository::Repository;

use crate::Reference;
use crate::endpoint::{self, Body, Registry};
use crate::proto::{Auth, Disposition, Exchange, ExchangeStep, Failure, Pager, Replay, Want};

/// The error of both drivers: [`crate::Error`].
pub type ClientError = crate::Error;

pub use crate::options::ClientOptions;

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
    auth: Mutex<Auth>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("options", &self.inner.options).finish_non_exhaustive()
    }
}

/// The blob bytes a request's [`Body::Blob`] is cut from: `data` starts at byte `start`
/// of the blob.
#[derive(Clone, Copy)]
pub(crate) struct Payload<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) start: u64,
}

impl Payload<'_> {
    pub(crate) const NONE: Payload<'static> = Payload { data: &[], start: 0 };

    /// The bytes of `body`, or `None` for a range this payload does not hold.
    fn bytes<'b>(&'b self, body: &'b Body) -> Option<&'b [u8]> {
        match body {
            Body::Document(bytes) => Some(bytes),
            Body::Blob { offset, len, .. } => {
                let from = usize::try_from(offset.checked_sub(self.start)?).ok()?;
                let to = from.checked_add(usize::try_from(*len).ok()?)?;
                self.data.get(from..to)
            }
            _ => Some(&[]),
        }
    }
}

impl Client {
    /// A client with these settings.
    pub fn new(options: ClientOptions) -> Self {
        let certificate = |der: &rustls_pki_types::CertificateDer<'_>| {
            ureq::tls::Certificate::from_der(der.as_ref()).to_owned()
        };
        let roots: Vec<_> = options.trust.roots().iter().map(certificate).collect();
        // A key that does not convert was refused when the trust was loaded.
        let client_cert = options.trust.client.as_ref().and_then(|(chain, key)| {
            let key = ureq::tls::PrivateKey::from_pem(&crate::tls::key_pem(key)).ok()?;
            let chain: Vec<_> = chain.iter().map(certificate).collect();
            Some(ureq::tls::ClientCert::new_with_certs(&chain, key))
        });
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
            .client_cert(client_cert)
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            // A redirect (a blob sent to storage) never carries the registry's credentials.
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
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
                auth: Mutex::new(
                    Auth::with_credentials(options.credentials.clone())
                        .oauth2_password_grant(options.oauth2_password_grant),
                ),
                options,
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
        self.send(registry, "", &request, Replay::Idempotent, &[StatusCode::OK]).map(drop)
    }

    /// Every repository of the registry's catalog, following pagination (`n` per page).
    ///
    /// # Errors
    /// [`ClientError`].
    pub fn catalog(&self, registry: &Registry, n: Option<u32>) -> Result<Vec<String>, ClientError> {
        let pager = Pager::catalog(registry, n, self.inner.options.list_limits)?;
        self.list(registry, "registry:catalog:*", pager)
    }

    /// Runs a [`Pager`] to its end.
    pub(crate) fn list(
        &self,
        registry: &Registry,
        scope: &str,
        mut pager: Pager,
    ) -> Result<Vec<String>, ClientError> {
        while let Some(page) = pager.poll() {
            let Want::Body(limit) = page.want else { continue };
            let response =
                self.send(registry, scope, &page.request, Replay::Idempotent, &[StatusCode::OK])?;
            let (parts, body) = response.into_parts();
            let bytes =
                read_small(body, limit).map_err(|e| ClientError::transport(&page.request, e))?;
            pager.handle_response(&parts, &bytes)?;
        }
        Ok(pager.into_items())
    }

    fn auth(&self) -> MutexGuard<'_, Auth> {
        // A panic elsewhere while the lock was held leaves a usable cache.
        self.inner.auth.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends `request` with `payload` through an [`Exchange`]: authentication, retries
    /// and waits as the protocol core decides. Returns the answer the exchange delivers,
    /// whatever its status.
    pub(crate) fn exchange(
        &self,
        registry: &Registry,
        scope: &str,
        request: &http::Request<Body>,
        replay: Replay,
        payload: Payload<'_>,
    ) -> Result<Response, ClientError> {
        let mut exchange = Exchange::new(
            registry,
            scope,
            crate::proto::clone_request(request),
            replay,
            self.inner.options.retry,
            Instant::now(),
        );
        loop {
            let step = exchange.poll(&mut self.auth(), Instant::now());
            let outgoing = match step {
                ExchangeStep::Send(outgoing) => outgoing,
                ExchangeStep::Wait(wait) => {
                    std::thread::sleep(wait);
                    continue;
                }
            };
            let result = self.run(&outgoing.request, payload);
            let response = match result {
                Ok(response) => response,
                Err(e) => {
                    if retryable(&e) && exchange.handle_failure(Instant::now()) == Failure::Retry {
                        continue;
                    }
                    return Err(ClientError::transport(&outgoing.request, e));
                }
            };
            let (parts, body) = response.into_parts();
            let disposition = match outgoing.want {
                Want::Body(limit) => match read_small(body, limit) {
                    Ok(bytes) => exchange.handle_response(
                        &mut self.auth(),
                        &parts,
                        Some(&bytes),
                        Instant::now(),
                    )?,
                    Err(e) => {
                        if exchange.handle_failure(Instant::now()) == Failure::Retry {
                            continue;
                        }
                        return Err(ClientError::transport(&outgoing.request, e));
                    }
                },
                _ => match exchange.handle_response(
                    &mut self.auth(),
                    &parts,
                    None,
                    Instant::now(),
                )? {
                    Disposition::Deliver => return Ok(Response::from_parts(parts, body)),
                    _ => {
                        drain(body);
                        Disposition::Discard
                    }
                },
            };
            if disposition == Disposition::Deliver {
                return Err(ClientError::transport(&outgoing.request, "an answer with no use"));
            }
        }
    }

    /// Sends `request` once with a body streamed from `body` (its length is in the
    /// request's `Content-Length`), with the authorization the exchange gives it; a
    /// registry that asks to authenticate again cannot be answered, since the stream
    /// cannot be sent twice.
    pub(crate) fn send_stream(
        &self,
        registry: &Registry,
        scope: &str,
        request: &http::Request<Body>,
        body: &mut dyn Read,
    ) -> Result<Response, ClientError> {
        let mut exchange = Exchange::new(
            registry,
            scope,
            crate::proto::clone_request(request),
            Replay::Never,
            self.inner.options.retry,
            Instant::now(),
        );
        let ExchangeStep::Send(outgoing) = exchange.poll(&mut self.auth(), Instant::now()) else {
            return Err(ClientError::transport(request, "no request to send"));
        };
        let mut builder = http::Request::builder()
            .method(outgoing.request.method().clone())
            .uri(outgoing.request.uri().clone());
        if let Some(h) = builder.headers_mut() {
            h.clone_from(outgoing.request.headers());
        }
        let response = self
            .inner
            .agent
            .run(builder.body(ureq::SendBody::from_reader(body))?)
            .map_err(|e| ClientError::transport(request, e))?;
        let (parts, body) = response.into_parts();
        match exchange.handle_response(&mut self.auth(), &parts, None, Instant::now())? {
            Disposition::Deliver => Ok(Response::from_parts(parts, body)),
            _ => {
                drain(body);
                Err(ClientError::transport(
                    request,
                    "the registry refused a streamed upload's authorization",
                ))
            }
        }
    }

    /// [`Client::exchange`] without a body, and the answer checked against `ok`.
    pub(crate) fn send(
        &self,
        registry: &Registry,
        scope: &str,
        request: &http::Request<Body>,
        replay: Replay,
        ok: &[StatusCode],
    ) -> Result<Response, ClientError> {
        let response = self.exchange(registry, scope, request, replay, Payload::NONE)?;
        self.expect(request, response, ok)
    }

    fn run(
        &self,
        request: &http::Request<Body>,
        payload: Payload<'_>,
    ) -> Result<Response, ureq::Error> {
        let mut builder =
            http::Request::builder().method(request.method().clone()).uri(request.uri().clone());
        if let Some(h) = builder.headers_mut() {
            h.clone_from(request.headers());
        }
        match request.body() {
            Body::Empty => self.inner.agent.run(builder.body(())?),
            body => {
                let bytes = payload.bytes(body).ok_or_else(|| {
                    ureq::Error::Io(std::io::Error::other("a blob range the driver does not hold"))
                })?;
                self.inner.agent.run(builder.body(bytes)?)
            }
        }
    }

    /// Sends a GET to a URL outside the registry (a foreign layer's), with no credentials.
    pub(crate) fn get_foreign(&self, url: &str) -> Result<Response, ClientError> {
        let request = http::Request::get(url).body(Body::Empty)?;
        let response =
            self.run(&request, Payload::NONE).map_err(|e| ClientError::transport(&request, e))?;
        self.expect(&request, response, &[StatusCode::OK])
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
        Err(ClientError::from_answer(request, &parts, &bytes))
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
pub(crate) fn drain(body: ureq::Body) {
    let _ = read_small(body, 64 << 10);
}
