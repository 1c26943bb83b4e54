//! An async registry client (feature `async-client`) on tokio, over `reqwest` with
//! rustls: the same protocol core ([`crate::proto`]) as the blocking client, so the same
//! requests, retries, authentication and checks, byte for byte.
//!
//! - [`Repository`] has the registry operations: resolve, manifests in and out, blobs
//!   as verified streams ([`BlobStream`]) and pushed from any [`AsyncRead`], mounts,
//!   tags, catalog, referrers and deletes.
//! - [`copy`] runs [`oci_image::content::copy`] (platform selection, referrers, every
//!   verification) between a remote repository and any store, such as an `oci-layout`
//!   image layout: the store's I/O runs on tokio's blocking pool, the transfers on the
//!   runtime, at most [`CopyOptions::concurrency`] at once. Memory is bounded by the
//!   chunk size, not the blob size.
//!
//! # Example
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use oci_distribution::ClientOptions;
//! use oci_distribution::async_client::{Client, copy};
//! use oci_image::content::{CopyOptions, MemoryStore};
//!
//! let reference = "127.0.0.1:5000/team/app:v1".parse()?;
//! let client = Client::new(ClientOptions::default().plain_http(true))?;
//! let remote = client.repository(&reference);
//! println!("tags: {:?}", remote.tags(None).await?);
//! let store = MemoryStore::new();
//! let root = copy(remote.blocking(), "v1", store, "v1", CopyOptions::default()).await?;
//! println!("pulled {}", root.digest);
//! # Ok(()) }
//! ```

mod blocking;
mod transfer;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;
use http::StatusCode;
use oci_image::content::{self, CopyOptions, Source, Target};
use oci_image::{Descriptor, Digest, MediaType};
use tokio::io::AsyncRead;

pub use blocking::BlockingRepository;
pub use transfer::BlobStream;

use crate::auth::repository_scope;
use crate::endpoint::{self, Body, Deletion, Registry, ResponseError};
use crate::proto::{
    Auth, BlobUpload, Disposition, Exchange, ExchangeStep, Failure, MountOutcome, Pager,
    ReferrersAnswer, Replay, UploadOutcome, Want, fallback_index, fallback_needed,
    fallback_referrers, mount_outcome, mount_request, referrers_answer,
};
use crate::{ClientOptions, Error, Reference};

/// An async registry client: one connection pool, one set of credentials and tokens.
/// Cheap to clone (clones share everything).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    options: ClientOptions,
    auth: Mutex<Auth>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("options", &self.inner.options).finish_non_exhaustive()
    }
}

/// The blob bytes a request's [`Body::Blob`] is cut from: `data` starts at byte `start`.
#[derive(Clone)]
pub(crate) struct Payload {
    pub(crate) data: Bytes,
    pub(crate) start: u64,
}

impl Payload {
    fn none() -> Self {
        Self { data: Bytes::new(), start: 0 }
    }

    fn body(&self, body: &Body) -> Option<reqwest::Body> {
        match body {
            Body::Empty => Some(reqwest::Body::from(Bytes::new())),
            Body::Document(bytes) => Some(reqwest::Body::from(bytes.clone())),
            Body::Blob { offset, len, .. } => {
                let from = usize::try_from(offset.checked_sub(self.start)?).ok()?;
                let to = from.checked_add(usize::try_from(*len).ok()?)?;
                (to <= self.data.len()).then(|| reqwest::Body::from(self.data.slice(from..to)))
            }
        }
    }
}

/// The head of a reqwest answer as `http` parts, for the protocol core.
pub(crate) fn parts_of(response: &reqwest::Response) -> http::response::Parts {
    let mut head = http::Response::new(());
    *head.status_mut() = response.status();
    *head.headers_mut() = response.headers().clone();
    *head.version_mut() = response.version();
    head.into_parts().0
}

/// Reads at most `limit` bytes of a body; more is an error.
pub(crate) async fn read_small(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > limit {
            return Err(format!("response body is larger than {limit} bytes").into());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Transport failures worth another try: the connection, not the request, failed.
fn retryable(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_timeout() || e.is_request() || e.is_body() || e.is_decode()
}

impl Client {
    /// A client with these settings.
    ///
    /// # Errors
    /// [`Error::Transport`] if the TLS stack cannot be set up.
    pub fn new(options: ClientOptions) -> Result<Self, Error> {
        let fail = |e: Box<dyn std::error::Error + Send + Sync>| Error::Transport {
            method: http::Method::GET,
            url: String::new(),
            source: e,
        };
        let mut builder = reqwest::Client::builder().tls_built_in_root_certs(false);
        for root in options.trust.roots() {
            // A system root that does not parse is skipped, as rustls itself would.
            if let Ok(certificate) = reqwest::Certificate::from_der(root.as_ref()) {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if let Some((chain, key)) = &options.trust.client {
            let mut pem = Vec::new();
            for certificate in chain {
                pem.extend_from_slice(&crate::tls::pem_block("CERTIFICATE", certificate.as_ref()));
            }
            pem.extend_from_slice(&crate::tls::key_pem(key));
            let identity = reqwest::Identity::from_pem(&pem).map_err(|e| fail(Box::new(e)))?;
            builder = builder.identity(identity);
        }
        let http = builder
            .user_agent(options.user_agent.clone())
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .pool_max_idle_per_host(16)
            .build()
            .map_err(|e| fail(Box::new(e)))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                auth: Mutex::new(
                    Auth::with_credentials(options.credentials.clone())
                        .oauth2_password_grant(options.oauth2_password_grant),
                ),
                options,
            }),
        })
    }

    /// The settings.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The registry of `reference` as this client talks to it.
    pub fn registry(&self, reference: &Reference) -> Registry {
        Registry::of(reference, self.inner.options.plain_http)
    }

    /// The repository `reference` names (its tag or digest is not used).
    pub fn repository(&self, reference: &Reference) -> Repository {
        let name = reference.repository();
        Repository {
            client: self.clone(),
            registry: self.registry(reference),
            name: name.to_owned(),
            pull_scope: repository_scope(name, &["pull"]),
            push_scope: crate::auth::push_scope(name, None),
            mount_from: None,
        }
    }

    /// Checks that the registry speaks the API (end-1), authenticating if it asks to.
    ///
    /// # Errors
    /// [`Error`] if it does not answer 200.
    pub async fn ping(&self, registry: &Registry) -> Result<(), Error> {
        let request = endpoint::api_version(registry)?;
        self.send(registry, "", &request, &[StatusCode::OK]).await.map(drop)
    }

    /// Every repository of the registry's catalog, following pagination (`n` per page).
    ///
    /// # Errors
    /// [`Error`].
    pub async fn catalog(&self, registry: &Registry, n: Option<u32>) -> Result<Vec<String>, Error> {
        let pager = Pager::catalog(registry, n, self.inner.options.list_limits)?;
        self.list(registry, "registry:catalog:*", pager).await
    }

    async fn list(
        &self,
        registry: &Registry,
        scope: &str,
        mut pager: Pager,
    ) -> Result<Vec<String>, Error> {
        while let Some(page) = pager.poll() {
            let Want::Body(limit) = page.want else { continue };
            let response = self.send(registry, scope, &page.request, &[StatusCode::OK]).await?;
            let parts = parts_of(&response);
            let bytes = read_small(response, limit)
                .await
                .map_err(|e| Error::transport(&page.request, e))?;
            pager.handle_response(&parts, &bytes)?;
        }
        Ok(pager.into_items())
    }

    fn auth(&self) -> MutexGuard<'_, Auth> {
        self.inner.auth.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends `request` through an [`Exchange`]; returns the answer it delivers.
    pub(crate) async fn exchange(
        &self,
        registry: &Registry,
        scope: &str,
        request: &http::Request<Body>,
        replay: Replay,
        payload: &Payload,
    ) -> Result<reqwest::Response, Error> {
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
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            let body = payload.body(outgoing.request.body()).ok_or_else(|| {
                Error::transport(&outgoing.request, "a blob range the driver does not hold")
            })?;
            let sent = self
                .inner
                .http
                .request(outgoing.request.method().clone(), outgoing.request.uri().to_string())
                .headers(outgoing.request.headers().clone())
                .body(body)
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(e) => {
                    if retryable(&e) && exchange.handle_failure(Instant::now()) == Failure::Retry {
                        continue;
                    }
                    return Err(Error::transport(&outgoing.request, e));
                }
            };
            let parts = parts_of(&response);
            match outgoing.want {
                Want::Body(limit) => match read_small(response, limit).await {
                    Ok(bytes) => {
                        exchange.handle_response(
                            &mut self.auth(),
                            &parts,
                            Some(&bytes),
                            Instant::now(),
                        )?;
                    }
                    Err(e) => {
                        if exchange.handle_failure(Instant::now()) == Failure::Retry {
                            continue;
                        }
                        return Err(Error::transport(&outgoing.request, e));
                    }
                },
                _ => {
                    let disposition =
                        exchange.handle_response(&mut self.auth(), &parts, None, Instant::now())?;
                    if disposition == Disposition::Deliver {
                        return Ok(response);
                    }
                    let _ = read_small(response, 64 << 10).await;
                }
            }
        }
    }

    /// Sends `request` once with a streamed `body`, with the authorization the exchange
    /// gives it; a registry that asks to authenticate again cannot be answered, since the
    /// stream cannot be sent twice.
    pub(crate) async fn send_stream(
        &self,
        registry: &Registry,
        scope: &str,
        request: &http::Request<Body>,
        body: reqwest::Body,
    ) -> Result<reqwest::Response, Error> {
        let mut exchange = Exchange::new(
            registry,
            scope,
            crate::proto::clone_request(request),
            Replay::Never,
            self.inner.options.retry,
            Instant::now(),
        );
        let ExchangeStep::Send(outgoing) = exchange.poll(&mut self.auth(), Instant::now()) else {
            return Err(Error::transport(request, "no request to send"));
        };
        let response = self
            .inner
            .http
            .request(outgoing.request.method().clone(), outgoing.request.uri().to_string())
            .headers(outgoing.request.headers().clone())
            .body(body)
            .send()
            .await
            .map_err(|e| Error::transport(request, e))?;
        let parts = parts_of(&response);
        match exchange.handle_response(&mut self.auth(), &parts, None, Instant::now())? {
            Disposition::Deliver => Ok(response),
            _ => Err(Error::transport(
                request,
                "the registry refused a streamed upload's authorization",
            )),
        }
    }

    /// [`Client::exchange`] of a repeatable request without a body, its answer checked
    /// against `ok`.
    pub(crate) async fn send(
        &self,
        registry: &Registry,
        scope: &str,
        request: &http::Request<Body>,
        ok: &[StatusCode],
    ) -> Result<reqwest::Response, Error> {
        let response =
            self.exchange(registry, scope, request, Replay::Idempotent, &Payload::none()).await?;
        self.expect(request, response, ok).await
    }

    /// A GET to a URL outside the registry (a foreign layer's), with no credentials.
    pub(crate) async fn get_foreign(&self, url: &str) -> Result<reqwest::Response, Error> {
        let request = http::Request::get(url).body(Body::Empty)?;
        let response =
            self.inner.http.get(url).send().await.map_err(|e| Error::transport(&request, e))?;
        self.expect(&request, response, &[StatusCode::OK]).await
    }

    /// `response` if its status is one of `ok`, else its error body as an [`Error`].
    pub(crate) async fn expect(
        &self,
        request: &http::Request<Body>,
        response: reqwest::Response,
        ok: &[StatusCode],
    ) -> Result<reqwest::Response, Error> {
        if ok.contains(&response.status()) {
            return Ok(response);
        }
        let parts = parts_of(&response);
        let bytes =
            read_small(response, self.inner.options.max_small_body).await.unwrap_or_default();
        Err(Error::from_answer(request, &parts, &bytes))
    }
}

/// One repository of a registry.
#[derive(Clone, Debug)]
pub struct Repository {
    client: Client,
    registry: Registry,
    name: String,
    pull_scope: String,
    push_scope: String,
    mount_from: Option<String>,
}

impl Repository {
    /// The repository's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// When a blob is missing here, first try to mount it from `repository` of the same
    /// registry (end-11) instead of uploading it.
    pub fn mount_from(mut self, repository: &str) -> Self {
        self.push_scope = crate::auth::push_scope(&self.name, Some(repository));
        self.mount_from = Some(repository.to_owned());
        self
    }

    /// This repository as a blocking [`Source`] and [`Target`] for
    /// [`oci_image::content`] (what [`copy`] takes), running its transfers on the
    /// current tokio runtime.
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    #[allow(clippy::panic)]
    pub fn blocking(&self) -> BlockingRepository {
        BlockingRepository::new(self.clone(), tokio::runtime::Handle::current())
    }

    fn reference(&self, tag_or_digest: &str) -> Result<Reference, Error> {
        endpoint::manifest_reference(&self.registry, &self.name, tag_or_digest)
    }

    fn scope(&self, push: bool) -> &str {
        if push { &self.push_scope } else { &self.pull_scope }
    }

    async fn send_any(
        &self,
        request: &http::Request<Body>,
        push: bool,
    ) -> Result<reqwest::Response, Error> {
        self.client
            .exchange(
                &self.registry,
                self.scope(push),
                request,
                Replay::Idempotent,
                &Payload::none(),
            )
            .await
    }

    /// The descriptor of a manifest or index by tag or digest (end-3), computed from its
    /// bytes.
    ///
    /// # Errors
    /// [`Error`]; a 404 is [`Error::Response`] with that status.
    pub async fn resolve(&self, tag_or_digest: &str) -> Result<Descriptor, Error> {
        self.get_manifest(tag_or_digest).await.map(|(d, _)| d)
    }

    /// Fetches a manifest or index by tag or digest (end-3): its bytes, hashed against
    /// the digest asked for, and the descriptor computed from them.
    ///
    /// # Errors
    /// [`Error`]; a 404 is [`Error::Response`] with that status.
    pub async fn get_manifest(&self, tag_or_digest: &str) -> Result<(Descriptor, Vec<u8>), Error> {
        let reference = self.reference(tag_or_digest)?;
        let request = endpoint::get_manifest(&self.registry, &reference, false)?;
        let response = self.send_any(&request, false).await?;
        let parts = parts_of(&response);
        let options = self.client.options();
        let limit = options.max_manifest_size;
        let bytes = read_small(response, limit.max(options.max_small_body))
            .await
            .map_err(|e| Error::transport(&request, e))?;
        if parts.status.is_success() && bytes.len() > limit {
            return Err(Error::response(&request, ResponseError::TooLarge(limit)));
        }
        let descriptor = endpoint::check_manifest(&reference, &parts, &bytes)
            .map_err(|e| Error::response(&request, e))?;
        Ok((descriptor, bytes))
    }

    /// Pushes a manifest or index under `tag_or_digest` (end-7), as these exact bytes.
    /// Returns the `OCI-Subject` the registry answered with, if any.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn put_manifest(
        &self,
        tag_or_digest: &str,
        media_type: &MediaType,
        bytes: &[u8],
    ) -> Result<Option<String>, Error> {
        let request = endpoint::put_manifest(
            &self.registry,
            &self.name,
            tag_or_digest,
            media_type,
            bytes.to_vec(),
        )?;
        let response = self.send_any(&request, true).await?;
        let response = self.client.expect(&request, response, &[StatusCode::CREATED]).await?;
        Ok(response.headers().get("OCI-Subject").and_then(|v| v.to_str().ok()).map(str::to_owned))
    }

    /// Whether the registry holds the blob or manifest (a `HEAD`).
    ///
    /// # Errors
    /// [`Error`] for answers other than 200 and 404.
    pub async fn exists(&self, descriptor: &Descriptor) -> Result<bool, Error> {
        let request = if descriptor.media_type.is_document() {
            endpoint::get_manifest(
                &self.registry,
                &self.reference(descriptor.digest.as_str())?,
                true,
            )?
        } else {
            endpoint::get_blob(&self.registry, &self.name, &descriptor.digest, true, None)?
        };
        let response = self.send_any(&request, false).await?;
        match response.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => self.client.expect(&request, response, &[]).await.map(|_| false),
        }
    }

    /// Tries to mount the blob `digest` from repository `from` of the same registry
    /// (end-11); `true` if the registry mounted it.
    ///
    /// # Errors
    /// [`Error`] for a failed exchange.
    pub async fn mount(&self, from: &str, digest: &Digest) -> Result<bool, Error> {
        let request = mount_request(&self.registry, &self.name, digest, from)?;
        let response = self.send_any(&request, true).await?;
        let parts = parts_of(&response);
        let _ = read_small(response, 64 << 10).await;
        match mount_outcome(&self.registry, &parts) {
            MountOutcome::Mounted => Ok(true),
            MountOutcome::NotMounted(cancel) => {
                if let Some(cancel) = cancel {
                    // Best effort: an abandoned session expires on its own.
                    let _ = self.send_any(&cancel, true).await;
                }
                Ok(false)
            }
        }
    }

    /// The repository [`Repository::mount_from`] names, if any.
    pub fn mounts_from(&self) -> Option<&str> {
        self.mount_from.as_deref()
    }

    /// A blob as a stream of verified bytes (end-2), resumed with `Range` when the
    /// connection drops; the stream's last item is an error if the bytes do not match
    /// the descriptor.
    ///
    /// # Errors
    /// [`Error`]; a missing blob is [`Error::Response`] with status 404.
    pub async fn fetch_blob(&self, descriptor: &Descriptor) -> Result<BlobStream, Error> {
        BlobStream::open(self, descriptor, true).await
    }

    /// Uploads a blob read from `content` (end-4 to end-6, or a mount with
    /// [`Repository::mount_from`]): one chunk in memory at a time, every byte hashed, and
    /// nothing committed unless the content matches `descriptor`.
    ///
    /// # Errors
    /// [`Error::Verify`] for content that does not match, else [`Error`].
    pub async fn push_blob<R: AsyncRead + Unpin>(
        &self,
        descriptor: &Descriptor,
        content: &mut R,
    ) -> Result<UploadOutcome, Error> {
        let options = self.client.options();
        let machine = BlobUpload::new(
            &self.registry,
            &self.name,
            descriptor,
            options.chunk_size,
            self.mount_from.as_deref(),
            options.retry,
            Instant::now(),
        )?
        .monolithic_up_to(options.monolithic_limit);
        let machine = if options.verify_pushes { machine } else { machine.without_digest_check() };
        transfer::upload(&self.client, &self.registry, &self.push_scope, machine, content).await
    }

    /// Every tag of the repository (end-8), following pagination with `n` per page.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn tags(&self, n: Option<u32>) -> Result<Vec<String>, Error> {
        let pager = Pager::tags(&self.registry, &self.name, n, self.client.options().list_limits)?;
        self.client.list(&self.registry, &self.pull_scope, pager).await
    }

    /// Deletes a manifest or a blob (end-9, end-10).
    ///
    /// # Errors
    /// [`Error`]; registries without deletes answer 405 (`UNSUPPORTED`).
    pub async fn delete(&self, what: Deletion<'_>) -> Result<(), Error> {
        let request = endpoint::delete(&self.registry, &self.name, what)?;
        let response = self.send_any(&request, true).await?;
        self.client
            .expect(&request, response, &[StatusCode::ACCEPTED, StatusCode::OK])
            .await
            .map(drop)
    }

    /// The manifests that refer to `subject` (end-12), optionally of one artifact type;
    /// from the referrers tag schema's fallback tag when the registry has no referrers
    /// API.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&MediaType>,
    ) -> Result<Vec<Descriptor>, Error> {
        let request = endpoint::referrers(&self.registry, &self.name, subject, artifact_type)?;
        let response = self.send_any(&request, false).await?;
        let parts = parts_of(&response);
        let bytes = read_small(response, self.client.options().max_manifest_size)
            .await
            .map_err(|e| Error::transport(&request, e))?;
        match referrers_answer(&parts, &bytes, artifact_type)
            .map_err(|e| Error::response(&request, e))?
        {
            ReferrersAnswer::Listed(found) => Ok(found),
            _ => {
                let index = self.fallback_tag(subject).await?;
                fallback_referrers(index.as_deref(), artifact_type)
                    .map_err(|source| Error::Json { what: "referrers index".into(), source })
            }
        }
    }

    /// The bytes under the referrers fallback tag of `subject`, `None` without one.
    async fn fallback_tag(&self, subject: &Digest) -> Result<Option<Vec<u8>>, Error> {
        match self.get_manifest(&endpoint::referrers_fallback_tag(subject)).await {
            Ok((_, bytes)) => Ok(Some(bytes)),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Pushes a manifest or index given as bytes under its digest, and maintains the
    /// referrers fallback tag of its subject when the registry does not.
    async fn push_document(&self, descriptor: &Descriptor, bytes: &[u8]) -> Result<(), Error> {
        let answer =
            self.put_manifest(descriptor.digest.as_str(), &descriptor.media_type, bytes).await?;
        if let Some((subject, referrer)) = fallback_needed(descriptor, bytes, answer.as_deref()) {
            let existing = self.fallback_tag(&subject).await?;
            let index = fallback_index(existing.as_deref(), referrer)
                .map_err(|source| Error::Json { what: "referrers index".into(), source })?;
            if let Some(index) = index {
                let tag = endpoint::referrers_fallback_tag(&subject);
                self.put_manifest(&tag, &MediaType::ImageIndex, &index).await?;
            }
        }
        Ok(())
    }
}

/// Copies the image `source_ref` names in `source` to `target` and tags it
/// `target_ref`: [`oci_image::content::copy`] with all its checks, on tokio's blocking
/// pool. Either side may be a remote repository ([`Repository::blocking`]); the other
/// is usually an image layout.
///
/// # Errors
/// As [`oci_image::content::copy`]; a registry's failure is found with
/// [`Error::of_content`].
pub async fn copy<S, T>(
    source: S,
    source_ref: &str,
    target: T,
    target_ref: &str,
    options: CopyOptions,
) -> Result<Descriptor, content::Error>
where
    S: Source + Send + Sync + 'static,
    T: Target + Send + Sync + 'static,
{
    let (source_ref, target_ref) = (source_ref.to_owned(), target_ref.to_owned());
    tokio::task::spawn_blocking(move || {
        content::copy(&source, &source_ref, &target, &target_ref, &options)
    })
    .await
    .map_err(|e| content::Error::Backend(Box::new(e)))?
}
