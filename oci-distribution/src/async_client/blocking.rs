//! A remote repository as a blocking content store, for `oci_image::content` (whose
//! graph walk and copy are written against `std::io::Read`), with its transfers running
//! on a tokio runtime.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use http::StatusCode;
use oci_image::content::{self, BlobReader, Source, Target};
use oci_image::{Descriptor, MediaType, VerifyingReader};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::runtime::Handle;

use super::{BlobStream, Repository};
use crate::Error;

/// A [`Repository`] as a blocking [`Source`] and [`Target`], made by
/// [`Repository::blocking`]. Its methods block the calling thread on the runtime, so
/// they are for threads outside it: tokio's blocking pool (where
/// [`super::copy`] runs them), or threads of one's own.
#[derive(Clone, Debug)]
pub struct BlockingRepository {
    repository: Repository,
    handle: Handle,
}

impl BlockingRepository {
    pub(super) fn new(repository: Repository, handle: Handle) -> Self {
        Self { repository, handle }
    }

    /// The repository.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }
}

/// A registry error as a content-store error: verification failures and 404s keep their
/// meaning, the rest is the registry's error (found again with [`Error::of_content`]).
fn to_content(e: Error, not_found: impl FnOnce() -> content::Error) -> content::Error {
    match e {
        Error::Verify { digest, source } => content::Error::Verify { digest, source },
        e if e.status() == Some(StatusCode::NOT_FOUND) => not_found(),
        other => content::Error::Backend(Box::new(other)),
    }
}

/// A [`BlobStream`] read from a thread outside the runtime.
struct StreamReader {
    stream: BlobStream,
    handle: Handle,
    chunk: Bytes,
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.chunk.is_empty() {
            match self.handle.block_on(self.stream.next_chunk()) {
                Ok(Some(chunk)) => self.chunk = chunk,
                Ok(None) => return Ok(0),
                Err(e) => return Err(e.into_io()),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk.advance(n);
        Ok(n)
    }
}

/// A plain HTTP answer's body read from a thread outside the runtime.
struct ResponseReader {
    response: reqwest::Response,
    handle: Handle,
    chunk: Bytes,
}

impl Read for ResponseReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.chunk.is_empty() {
            match self.handle.block_on(self.response.chunk()) {
                Ok(Some(chunk)) => self.chunk = chunk,
                Ok(None) => return Ok(0),
                Err(e) => return Err(io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk.advance(n);
        Ok(n)
    }
}

/// A blocking reader as an [`AsyncRead`], for a future that [`Handle::block_on`] runs on
/// the reader's own thread (never on the runtime's workers).
struct SyncRead<'a>(&'a mut dyn Read);

impl AsyncRead for SyncRead<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = loop {
            match self.0.read(buf.initialize_unfilled()) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        Poll::Ready(n.map(|n| buf.advance(n)))
    }
}

impl BlockingRepository {
    fn document(&self, descriptor: &Descriptor) -> Result<Vec<u8>, content::Error> {
        let digest = &descriptor.digest;
        let (_, bytes) = self
            .handle
            .block_on(self.repository.get_manifest(digest.as_str()))
            .map_err(|e| to_content(e, || content::Error::NotFound(digest.clone())))?;
        Ok(bytes)
    }

    fn blob(
        &self,
        descriptor: &Descriptor,
        verify: bool,
    ) -> Result<BlobReader<'_>, content::Error> {
        let stream =
            self.handle.block_on(BlobStream::open(&self.repository, descriptor, verify)).map_err(
                |e| to_content(e, || content::Error::NotFound(descriptor.digest.clone())),
            )?;
        Ok(Box::new(StreamReader { stream, handle: self.handle.clone(), chunk: Bytes::new() }))
    }
}

impl Source for BlockingRepository {
    fn fetch(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, content::Error> {
        if descriptor.media_type.is_document() {
            let bytes = self.document(descriptor)?;
            let verified =
                VerifyingReader::new(io::Cursor::new(bytes), &descriptor.digest, descriptor.size)
                    .map_err(|e| content::Error::Verify {
                    digest: descriptor.digest.clone(),
                    source: oci_image::VerifyError::Unverifiable(e),
                })?;
            return Ok(Box::new(verified));
        }
        // A foreign layer comes from its URLs, never with the registry's credentials.
        for url in crate::proto::foreign_urls(descriptor) {
            if let Ok(response) = self.handle.block_on(self.repository.client.get_foreign(url)) {
                let reader =
                    ResponseReader { response, handle: self.handle.clone(), chunk: Bytes::new() };
                let verified = VerifyingReader::new(reader, &descriptor.digest, descriptor.size)
                    .map_err(|e| content::Error::Verify {
                        digest: descriptor.digest.clone(),
                        source: oci_image::VerifyError::Unverifiable(e),
                    })?;
                return Ok(Box::new(verified));
            }
        }
        self.blob(descriptor, true)
    }

    fn fetch_unverified(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, content::Error> {
        if descriptor.media_type.is_document() || !descriptor.urls.is_empty() {
            return self.fetch(descriptor);
        }
        // The size is checked here, the digest by the caller.
        self.blob(descriptor, false)
    }

    fn resolve(&self, reference: &str) -> Result<Descriptor, content::Error> {
        match self.handle.block_on(self.repository.resolve(reference)) {
            Ok(descriptor) => Ok(descriptor),
            Err(Error::InvalidReference(r)) => Err(content::Error::InvalidReference(r)),
            Err(e) => {
                Err(to_content(e, || content::Error::ReferenceNotFound(reference.to_owned())))
            }
        }
    }

    fn referrers(
        &self,
        subject: &Descriptor,
        artifact_type: Option<&MediaType>,
    ) -> Result<Vec<Descriptor>, content::Error> {
        self.handle
            .block_on(self.repository.referrers(&subject.digest, artifact_type))
            .map_err(|e| content::Error::Backend(Box::new(e)))
    }
}

impl Target for BlockingRepository {
    fn exists(&self, descriptor: &Descriptor) -> Result<bool, content::Error> {
        let repository = &self.repository;
        self.handle
            .block_on(async {
                if repository.exists(descriptor).await? {
                    return Ok(true);
                }
                match repository.mounts_from() {
                    Some(from)
                        if !descriptor.media_type.is_document() && from != repository.name() =>
                    {
                        repository.mount(from, &descriptor.digest).await
                    }
                    _ => Ok(false),
                }
            })
            .map_err(|e: Error| content::Error::Backend(Box::new(e)))
    }

    fn push(&self, descriptor: &Descriptor, content: &mut dyn Read) -> Result<(), content::Error> {
        if descriptor.media_type.is_document() {
            let limit = self.repository.client.options().max_manifest_size as u64;
            if descriptor.size > limit {
                return Err(content::Error::TooLarge {
                    digest: descriptor.digest.clone(),
                    size: descriptor.size,
                    limit,
                });
            }
            let mut bytes = Vec::new();
            VerifyingReader::new(content, &descriptor.digest, descriptor.size)
                .map_err(|e| content::Error::Verify {
                    digest: descriptor.digest.clone(),
                    source: oci_image::VerifyError::Unverifiable(e),
                })?
                .read_to_end(&mut bytes)
                .map_err(|e| content::Error::from_read(&descriptor.digest, e))?;
            return self
                .handle
                .block_on(self.repository.push_document(descriptor, &bytes))
                .map_err(|e| content::Error::Backend(Box::new(e)));
        }
        let mut reader = SyncRead(content);
        self.handle.block_on(self.repository.push_blob(descriptor, &mut reader)).map(drop).map_err(
            |e| match e {
                Error::Io(io) => content::Error::from_read(&descriptor.digest, io),
                other => to_content(other, || content::Error::NotFound(descriptor.digest.clone())),
            },
        )
    }

    fn tag(&self, descriptor: &Descriptor, reference: &str) -> Result<(), content::Error> {
        if reference == descriptor.digest.as_str() {
            return Ok(());
        }
        if !crate::is_valid_tag(reference) {
            return Err(content::Error::InvalidReference(reference.to_owned()));
        }
        let bytes = self.document(descriptor)?;
        self.handle
            .block_on(self.repository.put_manifest(reference, &descriptor.media_type, &bytes))
            .map(drop)
            .map_err(|e| content::Error::Backend(Box::new(e)))
    }
}
