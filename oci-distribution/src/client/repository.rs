//! A repository of a registry as an [`oci_image::content`] store.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use http::StatusCode;
use oci_image::content::{self, BlobReader, Source, Target};
use oci_image::{Descriptor, Digest, MediaType, VerifyingReader};

use super::transfer::{Download, upload};
use super::{Client, ClientError, read_small};
use crate::auth::repository_scope;
use crate::endpoint::{self, Deletion, Registry, ResponseError};
use crate::proto::{
    BlobUpload, MountOutcome, Pager, ReferrersAnswer, Replay, fallback_index, fallback_needed,
    fallback_referrers, mount_outcome, mount_request, referrers_answer,
};
use crate::{Reference, is_valid_tag};

/// Documents kept after a resolve or a push, so that the copy that follows does not ask
/// for them again.
const DOCUMENT_CACHE_ENTRIES: usize = 256;

/// One repository of a registry: a content [`Source`] (pull) and [`Target`] (push).
#[derive(Clone)]
pub struct Repository {
    client: Client,
    registry: Registry,
    name: String,
    pull_scope: String,
    push_scope: String,
    mount_from: Option<String>,
    documents: Arc<Mutex<HashMap<Digest, Arc<[u8]>>>>,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("registry", &self.registry)
            .field("name", &self.name)
            .field("mount_from", &self.mount_from)
            .finish_non_exhaustive()
    }
}

impl Repository {
    pub(super) fn new(client: Client, registry: Registry, name: &str) -> Self {
        Self {
            client,
            registry,
            pull_scope: repository_scope(name, &["pull"]),
            push_scope: crate::auth::push_scope(name, None),
            name: name.to_owned(),
            mount_from: None,
            documents: Arc::default(),
        }
    }

    /// The repository's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// When a blob is missing here, first try to mount it from `repository` of the same
    /// registry (end-11) instead of uploading it: what a copy between two repositories of
    /// one registry wants.
    pub fn mount_from(mut self, repository: &str) -> Self {
        self.push_scope = crate::auth::push_scope(&self.name, Some(repository));
        self.mount_from = Some(repository.to_owned());
        self
    }

    /// Sends a request that may be repeated (with the pull or push scope) and returns
    /// the answer, whatever its status.
    fn send(
        &self,
        request: &http::Request<endpoint::Body>,
        push: bool,
    ) -> Result<super::Response, ClientError> {
        let scope = if push { &self.push_scope } else { &self.pull_scope };
        self.client.exchange(
            &self.registry,
            scope,
            request,
            Replay::Idempotent,
            super::Payload::NONE,
        )
    }

    fn reference(&self, tag_or_digest: &str) -> Result<Reference, ClientError> {
        endpoint::manifest_reference(&self.registry, &self.name, tag_or_digest)
    }

    /// Fetches a manifest or index by tag or digest (end-3): its bytes, hashed against the
    /// digest asked for, and the descriptor computed from them.
    ///
    /// # Errors
    /// [`ClientError`]; a 404 is [`ClientError::Response`] with that status.
    pub fn get_manifest(&self, tag_or_digest: &str) -> Result<(Descriptor, Vec<u8>), ClientError> {
        let reference = self.reference(tag_or_digest)?;
        let request = endpoint::get_manifest(&self.registry, &reference, false)?;
        let response = self.send(&request, false)?;
        let (parts, body) = response.into_parts();
        let limit = self.client.options().max_manifest_size;
        let bytes = read_small(body, limit.max(self.client.options().max_small_body))
            .map_err(|e| ClientError::transport(&request, e))?;
        if parts.status.is_success() && bytes.len() > limit {
            return Err(ClientError::response(&request, ResponseError::TooLarge(limit)));
        }
        let descriptor = endpoint::check_manifest(&reference, &parts, &bytes)
            .map_err(|e| ClientError::response(&request, e))?;
        self.remember(&descriptor.digest, &bytes);
        Ok((descriptor, bytes))
    }

    /// Pushes a manifest or index under `tag_or_digest` (end-7), as these exact bytes.
    /// Returns the `OCI-Subject` the registry answered with, if any (a registry that
    /// handles referrers itself).
    ///
    /// # Errors
    /// [`ClientError`].
    pub fn put_manifest(
        &self,
        tag_or_digest: &str,
        media_type: &MediaType,
        bytes: &[u8],
    ) -> Result<Option<String>, ClientError> {
        let request = endpoint::put_manifest(
            &self.registry,
            &self.name,
            tag_or_digest,
            media_type,
            bytes.to_vec(),
        )?;
        let response = self.send(&request, true)?;
        let response = self.client.expect(&request, response, &[StatusCode::CREATED])?;
        let subject =
            response.headers().get("OCI-Subject").and_then(|v| v.to_str().ok()).map(str::to_owned);
        super::drain(response.into_body());
        self.remember(&tag_or_digest.parse().unwrap_or_else(|_| Digest::sha256(bytes)), bytes);
        Ok(subject)
    }

    /// Every tag of the repository (end-8), following `Link` pagination with `n` per page.
    ///
    /// # Errors
    /// [`ClientError`].
    pub fn tags(&self, n: Option<u32>) -> Result<Vec<String>, ClientError> {
        let pager = Pager::tags(&self.registry, &self.name, n, self.client.options().list_limits)?;
        self.client.list(&self.registry, &self.pull_scope, pager)
    }

    /// Deletes a manifest by digest (or tag where the registry allows it) or a blob
    /// (end-9, end-10).
    ///
    /// # Errors
    /// [`ClientError`]; registries without deletes answer 405 (`UNSUPPORTED`).
    pub fn delete(&self, what: Deletion<'_>) -> Result<(), ClientError> {
        let request = endpoint::delete(&self.registry, &self.name, what)?;
        let response = self.send(&request, true)?;
        self.client.expect(&request, response, &[StatusCode::ACCEPTED, StatusCode::OK]).map(drop)
    }

    fn remember(&self, digest: &Digest, bytes: &[u8]) {
        if let Ok(mut cache) = self.documents.lock() {
            if cache.len() >= DOCUMENT_CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(digest.clone(), Arc::from(bytes));
        }
    }

    fn remembered(&self, digest: &Digest) -> Option<Arc<[u8]>> {
        self.documents.lock().ok()?.get(digest).cloned()
    }

    /// Whether the registry holds the blob or manifest (a `HEAD`).
    fn head(&self, descriptor: &Descriptor) -> Result<bool, ClientError> {
        let request = if descriptor.media_type.is_document() {
            endpoint::get_manifest(
                &self.registry,
                &self.reference(descriptor.digest.as_str())?,
                true,
            )?
        } else {
            endpoint::get_blob(&self.registry, &self.name, &descriptor.digest, true, None)?
        };
        let response = self.send(&request, false)?;
        match response.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => self.client.expect(&request, response, &[]).map(|_| false),
        }
    }

    /// Tries a cross-repository mount from `from` (end-11); `true` if the registry
    /// mounted the blob.
    fn mount(&self, from: &str, digest: &Digest) -> Result<bool, ClientError> {
        let request = mount_request(&self.registry, &self.name, digest, from)?;
        let response = self.send(&request, true)?;
        let (parts, body) = response.into_parts();
        super::drain(body);
        match mount_outcome(&self.registry, &parts) {
            MountOutcome::Mounted => Ok(true),
            MountOutcome::NotMounted(cancel) => {
                if let Some(cancel) = cancel {
                    // Best effort: an abandoned session expires on its own.
                    let _ = self.send(&cancel, true).map(|r| super::drain(r.into_body()));
                }
                Ok(false)
            }
        }
    }

    /// The bytes under the referrers fallback tag of `subject`, `None` without one.
    fn fallback_tag(&self, subject: &Digest) -> Result<Option<Vec<u8>>, ClientError> {
        match self.get_manifest(&endpoint::referrers_fallback_tag(subject)) {
            Ok((_, bytes)) => Ok(Some(bytes)),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn push_document(
        &self,
        descriptor: &Descriptor,
        content: &mut dyn Read,
    ) -> Result<(), content::Error> {
        let limit = self.client.options().max_manifest_size as u64;
        if descriptor.size > limit {
            return Err(content::Error::TooLarge {
                digest: descriptor.digest.clone(),
                size: descriptor.size,
                limit,
            });
        }
        let mut bytes = Vec::new();
        verifying(descriptor, content)?
            .read_to_end(&mut bytes)
            .map_err(|e| content::Error::from_read(&descriptor.digest, e))?;
        let answer = self
            .put_manifest(descriptor.digest.as_str(), &descriptor.media_type, &bytes)
            .map_err(backend)?;
        if let Some((subject, referrer)) = fallback_needed(descriptor, &bytes, answer.as_deref()) {
            let existing = self.fallback_tag(&subject).map_err(backend)?;
            let json =
                |source| backend(ClientError::Json { what: "referrers index".into(), source });
            if let Some(index) = fallback_index(existing.as_deref(), referrer).map_err(json)? {
                let tag = endpoint::referrers_fallback_tag(&subject);
                self.put_manifest(&tag, &MediaType::ImageIndex, &index).map_err(backend)?;
            }
        }
        Ok(())
    }
}

impl Repository {
    /// Opens a blob download that resumes where it broke off.
    fn download(&self, descriptor: &Descriptor, verify: bool) -> Result<Download, content::Error> {
        Download::open(
            self.client.clone(),
            self.registry.clone(),
            &self.name,
            self.pull_scope.clone(),
            descriptor,
            verify,
        )
        .map_err(|e| not_found_or(e, || content::Error::NotFound(descriptor.digest.clone())))
    }
}

fn verifying<'r>(
    descriptor: &Descriptor,
    content: &'r mut dyn Read,
) -> Result<VerifyingReader<&'r mut dyn Read>, content::Error> {
    VerifyingReader::new(content, &descriptor.digest, descriptor.size).map_err(|e| {
        content::Error::Verify {
            digest: descriptor.digest.clone(),
            source: oci_image::VerifyError::Unverifiable(e),
        }
    })
}

fn backend(e: ClientError) -> content::Error {
    content::Error::Backend(Box::new(e))
}

/// Maps a 404 to the content store's "not found", anything else to a backend error.
fn not_found_or(e: ClientError, not_found: impl FnOnce() -> content::Error) -> content::Error {
    if e.status() == Some(StatusCode::NOT_FOUND) { not_found() } else { backend(e) }
}

impl Source for Repository {
    fn fetch(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, content::Error> {
        let digest = &descriptor.digest;
        let wrap = |reader: Box<dyn Read + Send>| -> Result<BlobReader<'_>, content::Error> {
            let verified = VerifyingReader::new(reader, digest, descriptor.size).map_err(|e| {
                content::Error::Verify {
                    digest: digest.clone(),
                    source: oci_image::VerifyError::Unverifiable(e),
                }
            })?;
            Ok(Box::new(verified))
        };
        if descriptor.media_type.is_document() {
            let bytes = match self.remembered(digest) {
                Some(b) => b,
                None => {
                    let (_, bytes) = self.get_manifest(digest.as_str()).map_err(|e| {
                        not_found_or(e, || content::Error::NotFound(digest.clone()))
                    })?;
                    Arc::from(bytes)
                }
            };
            return wrap(Box::new(std::io::Cursor::new(bytes)));
        }
        // A foreign layer comes from its URLs, never with the registry's credentials.
        for url in crate::proto::foreign_urls(descriptor) {
            if let Ok(response) = self.client.get_foreign(url) {
                return wrap(Box::new(response.into_body().into_reader()));
            }
        }
        // The download verifies size and digest itself.
        Ok(Box::new(self.download(descriptor, true)?))
    }

    fn fetch_unverified(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, content::Error> {
        if descriptor.media_type.is_document() || !descriptor.urls.is_empty() {
            return self.fetch(descriptor);
        }
        // The size is checked here, the digest by the caller.
        Ok(Box::new(self.download(descriptor, false)?))
    }

    fn resolve(&self, reference: &str) -> Result<Descriptor, content::Error> {
        self.reference(reference)
            .map_err(|_| content::Error::InvalidReference(reference.to_owned()))?;
        let (descriptor, _) = self.get_manifest(reference).map_err(|e| {
            not_found_or(e, || content::Error::ReferenceNotFound(reference.to_owned()))
        })?;
        Ok(descriptor)
    }

    fn referrers(
        &self,
        subject: &Descriptor,
        artifact_type: Option<&MediaType>,
    ) -> Result<Vec<Descriptor>, content::Error> {
        let request =
            endpoint::referrers(&self.registry, &self.name, &subject.digest, artifact_type)
                .map_err(|e| backend(e.into()))?;
        let response = self.send(&request, false).map_err(backend)?;
        let (parts, body) = response.into_parts();
        let bytes = read_small(body, self.client.options().max_manifest_size)
            .map_err(|e| backend(ClientError::transport(&request, e)))?;
        match referrers_answer(&parts, &bytes, artifact_type)
            .map_err(|e| backend(ClientError::response(&request, e)))?
        {
            ReferrersAnswer::Listed(found) => Ok(found),
            _ => {
                let index = self.fallback_tag(&subject.digest).map_err(backend)?;
                fallback_referrers(index.as_deref(), artifact_type).map_err(|source| {
                    backend(ClientError::Json { what: "referrers index".into(), source })
                })
            }
        }
    }
}

impl Target for Repository {
    fn exists(&self, descriptor: &Descriptor) -> Result<bool, content::Error> {
        if self.head(descriptor).map_err(backend)? {
            return Ok(true);
        }
        match &self.mount_from {
            Some(from) if !descriptor.media_type.is_document() && from != &self.name => {
                self.mount(from, &descriptor.digest).map_err(backend)
            }
            _ => Ok(false),
        }
    }

    fn push(&self, descriptor: &Descriptor, content: &mut dyn Read) -> Result<(), content::Error> {
        if descriptor.media_type.is_document() {
            return self.push_document(descriptor, content);
        }
        let options = self.client.options();
        // `exists` tried the mount already.
        let machine = BlobUpload::new(
            &self.registry,
            &self.name,
            descriptor,
            options.chunk_size,
            None,
            options.retry,
            std::time::Instant::now(),
        )
        .map_err(backend)?
        .monolithic_up_to(options.monolithic_limit);
        let machine = if options.verify_pushes { machine } else { machine.without_digest_check() };
        upload(&self.client, &self.registry, &self.push_scope, machine, content).map(drop).map_err(
            |e| match e {
                ClientError::Io(io) => content::Error::from_read(&descriptor.digest, io),
                ClientError::Verify { digest, source } => content::Error::Verify { digest, source },
                other => backend(other),
            },
        )
    }

    fn tag(&self, descriptor: &Descriptor, reference: &str) -> Result<(), content::Error> {
        if reference == descriptor.digest.as_str() {
            return Ok(());
        }
        if !is_valid_tag(reference) {
            return Err(content::Error::InvalidReference(reference.to_owned()));
        }
        let bytes = match self.remembered(&descriptor.digest) {
            Some(b) => b,
            None => {
                let (_, bytes) = self.get_manifest(descriptor.digest.as_str()).map_err(|e| {
                    not_found_or(e, || content::Error::NotFound(descriptor.digest.clone()))
                })?;
                Arc::from(bytes)
            }
        };
        self.put_manifest(reference, &descriptor.media_type, &bytes).map(drop).map_err(backend)
    }
}
