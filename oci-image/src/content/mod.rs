//! Content stores: the traits every store implements, an in-memory store, a walk over the
//! graph a descriptor roots, and a verified copy of a whole graph between two stores.
//!
//! A store reads ([`Source`]) and/or writes ([`Target`]) blobs named by descriptors, and
//! maps references (tags) to descriptors. `oci-layout` implements both for an image layout
//! on disk and `oci-distribution` for a registry repository, so one [`copy`] pulls, pushes
//! and copies between layouts:
//!
//! ```
//! # fn main() -> Result<(), oci_image::content::Error> {
//! use oci_image::content::{copy, CopyOptions, MemoryStore, Source, Target};
//! use oci_image::{Descriptor, ImageConfiguration, ImageManifest, MediaType};
//!
//! let source = MemoryStore::new();
//! let layer = source.push_bytes(MediaType::ImageLayer, b"not really a tar")?;
//! let config = source.push_json(MediaType::ImageConfig, &ImageConfiguration::new("linux", "amd64"))?;
//! let manifest = source.push_json(MediaType::ImageManifest, &ImageManifest::new(config, vec![layer]))?;
//! source.tag(&manifest, "v1")?;
//!
//! let target = MemoryStore::new();
//! let copied = copy(&source, "v1", &target, "latest", &CopyOptions::default())?;
//! assert_eq!(copied, manifest);
//! assert_eq!(target.resolve("latest")?, manifest);
//! assert_eq!(target.len(), 3);
//! # Ok(()) }
//! ```
//!
//! Every blob crossing [`copy`] is verified against its descriptor by the target while it
//! streams, and documents are stored as the bytes received, never re-serialised.

mod copy;
mod memory;
mod walk;

use std::io::{self, Read};

pub use copy::{CopyOptions, CopyStats, PlatformSelection, copy, copy_graph, select_platform};
pub use memory::MemoryStore;
pub use walk::{Node, WalkControl, walk};

use crate::{Descriptor, Digest, DocumentError, MediaType, VerifyError};

/// Documents (manifests, indexes) larger than this are refused unless a caller raises
/// the limit: 4 MiB, the limit registries apply to manifests.
pub const DEFAULT_MAX_DOCUMENT_SIZE: u64 = 4 << 20;

/// What went wrong in a content store or a graph operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No blob with this digest.
    #[error("blob {0} not found")]
    NotFound(Digest),
    /// No such reference (tag or digest).
    #[error("reference {0:?} not found")]
    ReferenceNotFound(String),
    /// A reference that names more than one descriptor.
    #[error("reference {reference:?} is ambiguous: {count} descriptors carry it")]
    AmbiguousReference {
        /// The reference.
        reference: String,
        /// How many descriptors it names.
        count: usize,
    },
    /// A reference string that the store does not accept.
    #[error("invalid reference {0:?}")]
    InvalidReference(String),
    /// Content failed verification against its descriptor.
    #[error("blob {digest} failed verification")]
    Verify {
        /// The descriptor's digest.
        digest: Digest,
        /// What did not match.
        #[source]
        source: VerifyError,
    },
    /// A manifest or index could not be parsed as its descriptor says.
    #[error("document {digest} is invalid")]
    Document {
        /// The document's digest.
        digest: Digest,
        /// What is wrong with it.
        #[source]
        source: DocumentError,
    },
    /// A document larger than the limit.
    #[error("document {digest} is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The document's digest.
        digest: Digest,
        /// Its declared size.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// No manifest of an index matches the wanted platform.
    #[error("no manifest for platform {0}")]
    NoMatchingPlatform(String),
    /// An operation the store does not support.
    #[error("operation not supported by this store: {0}")]
    Unsupported(&'static str),
    /// An I/O error.
    #[error("i/o error")]
    Io(#[from] io::Error),
    /// An error of the store's own (file system, network, ...).
    #[error(transparent)]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// Maps an I/O error from reading a blob: a [`VerifyError`] inside it becomes
    /// [`Error::Verify`], anything else [`Error::Io`].
    pub fn from_read(digest: &Digest, e: io::Error) -> Self {
        match VerifyError::from_io(&e) {
            Some(v) => Self::Verify { digest: digest.clone(), source: v.clone() },
            None => Self::Io(e),
        }
    }
}

/// A blob stream returned by [`Source::fetch`].
pub type BlobReader<'a> = Box<dyn Read + Send + 'a>;

/// A store content can be read from.
pub trait Source {
    /// Opens the blob `descriptor` names as a stream that yields exactly its bytes and
    /// fails with an error wrapping a [`VerifyError`] (see [`Error::from_read`]) if they
    /// do not match its size and digest. Implementations wrap their stream in
    /// [`crate::VerifyingReader`].
    ///
    /// # Errors
    /// [`Error::NotFound`] if the store has no such blob, or the store's own errors.
    fn fetch(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, Error>;

    /// Opens the blob as a stream of its bytes that the store does not verify, for a
    /// caller that verifies them itself: [`copy`] hands the stream to [`Target::push`],
    /// which verifies while it stores, so that each blob is hashed once. The default is
    /// [`Source::fetch`].
    ///
    /// # Errors
    /// As [`Source::fetch`].
    fn fetch_unverified(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, Error> {
        self.fetch(descriptor)
    }

    /// The descriptor a reference names: a tag, or a digest the store holds.
    ///
    /// # Errors
    /// [`Error::ReferenceNotFound`] if nothing carries that reference.
    fn resolve(&self, reference: &str) -> Result<Descriptor, Error>;

    /// The manifests whose `subject` is `subject`, optionally only those of one
    /// artifact type, as descriptors with `artifactType` and annotations (distribution-spec
    /// referrers API).
    ///
    /// # Errors
    /// [`Error::Unsupported`] where a store cannot list referrers, or its own errors.
    fn referrers(
        &self,
        subject: &Descriptor,
        artifact_type: Option<&MediaType>,
    ) -> Result<Vec<Descriptor>, Error>;

    /// Reads a whole blob into memory, verified, refusing blobs over `limit` bytes.
    ///
    /// # Errors
    /// [`Error::TooLarge`] over the limit, else as [`Source::fetch`] and reading.
    fn fetch_bytes(&self, descriptor: &Descriptor, limit: u64) -> Result<Vec<u8>, Error> {
        if descriptor.size > limit {
            return Err(Error::TooLarge {
                digest: descriptor.digest.clone(),
                size: descriptor.size,
                limit,
            });
        }
        if let Some(embedded) = descriptor.embedded() {
            return embedded
                .map_err(|source| Error::Verify { digest: descriptor.digest.clone(), source });
        }
        let mut reader = self.fetch(descriptor)?;
        // The size is at most `limit`, so this capacity is bounded.
        let mut bytes = Vec::with_capacity(usize::try_from(descriptor.size).unwrap_or(0));
        reader.read_to_end(&mut bytes).map_err(|e| Error::from_read(&descriptor.digest, e))?;
        if bytes.len() as u64 != descriptor.size {
            return Err(Error::Verify {
                digest: descriptor.digest.clone(),
                source: VerifyError::Size {
                    expected: descriptor.size,
                    actual: bytes.len() as u64,
                    longer: false,
                },
            });
        }
        Ok(bytes)
    }
}

/// A store content can be written to.
pub trait Target {
    /// Whether the store holds the blob `descriptor` names.
    ///
    /// # Errors
    /// The store's own errors.
    fn exists(&self, descriptor: &Descriptor) -> Result<bool, Error>;

    /// Stores the blob read from `content`, verified against `descriptor`'s size and
    /// digest while it streams; nothing is stored under the digest unless it matches.
    /// Pushing a blob the store already holds succeeds.
    ///
    /// # Errors
    /// [`Error::Verify`] if the content does not match, or the store's own errors.
    fn push(&self, descriptor: &Descriptor, content: &mut dyn Read) -> Result<(), Error>;

    /// Makes `reference` name `descriptor`, which the store must hold.
    ///
    /// # Errors
    /// [`Error::InvalidReference`] for a reference the store does not accept,
    /// [`Error::NotFound`] if the store does not hold the descriptor's content.
    fn tag(&self, descriptor: &Descriptor, reference: &str) -> Result<(), Error>;

    /// Stores `bytes` as a blob of `media_type` and returns its descriptor.
    ///
    /// # Errors
    /// As [`Target::push`].
    fn push_bytes(&self, media_type: MediaType, bytes: &[u8]) -> Result<Descriptor, Error> {
        let descriptor = Descriptor::for_bytes(media_type, bytes);
        self.push(&descriptor, &mut &bytes[..])?;
        Ok(descriptor)
    }

    /// Serialises `value` once ([`crate::json::to_vec`]), stores those bytes as a blob of
    /// `media_type`, and returns the descriptor computed from them.
    ///
    /// # Errors
    /// As [`Target::push`].
    fn push_json<T: serde::Serialize>(
        &self,
        media_type: MediaType,
        value: &T,
    ) -> Result<Descriptor, Error>
    where
        Self: Sized,
    {
        let bytes = crate::json::to_vec(value).map_err(|e| Error::Backend(Box::new(e)))?;
        self.push_bytes(media_type, &bytes)
    }
}

impl<S: Source + ?Sized> Source for &S {
    fn fetch(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, Error> {
        (**self).fetch(descriptor)
    }
    fn fetch_unverified(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, Error> {
        (**self).fetch_unverified(descriptor)
    }
    fn resolve(&self, reference: &str) -> Result<Descriptor, Error> {
        (**self).resolve(reference)
    }
    fn referrers(
        &self,
        subject: &Descriptor,
        artifact_type: Option<&MediaType>,
    ) -> Result<Vec<Descriptor>, Error> {
        (**self).referrers(subject, artifact_type)
    }
}

impl<T: Target + ?Sized> Target for &T {
    fn exists(&self, descriptor: &Descriptor) -> Result<bool, Error> {
        (**self).exists(descriptor)
    }
    fn push(&self, descriptor: &Descriptor, content: &mut dyn Read) -> Result<(), Error> {
        (**self).push(descriptor, content)
    }
    fn tag(&self, descriptor: &Descriptor, reference: &str) -> Result<(), Error> {
        (**self).tag(descriptor, reference)
    }
}

/// A shared store is a store: what an async runtime hands to its blocking pool.
impl<S: Source + ?Sized> Source for std::sync::Arc<S> {
    fn fetch(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, Error> {
        (**self).fetch(descriptor)
    }
    fn fetch_unverified(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, Error> {
        (**self).fetch_unverified(descriptor)
    }
    fn resolve(&self, reference: &str) -> Result<Descriptor, Error> {
        (**self).resolve(reference)
    }
    fn referrers(
        &self,
        subject: &Descriptor,
        artifact_type: Option<&MediaType>,
    ) -> Result<Vec<Descriptor>, Error> {
        (**self).referrers(subject, artifact_type)
    }
}

impl<T: Target + ?Sized> Target for std::sync::Arc<T> {
    fn exists(&self, descriptor: &Descriptor) -> Result<bool, Error> {
        (**self).exists(descriptor)
    }
    fn push(&self, descriptor: &Descriptor, content: &mut dyn Read) -> Result<(), Error> {
        (**self).push(descriptor, content)
    }
    fn tag(&self, descriptor: &Descriptor, reference: &str) -> Result<(), Error> {
        (**self).tag(descriptor, reference)
    }
}

/// The descriptor the referrers API lists for a manifest or index stored as `descriptor`
/// with parsed content `document`: media type, digest and size of the referrer, its
/// `artifactType` (the manifest's, else its config's media type) and its annotations.
pub fn referrer_descriptor(descriptor: &Descriptor, document: &crate::Document) -> Descriptor {
    let mut d =
        Descriptor::new(descriptor.media_type.clone(), descriptor.size, descriptor.digest.clone());
    match document {
        crate::Document::Manifest(m) => {
            d.artifact_type = m.artifact_type.clone().or_else(|| Some(m.config.media_type.clone()));
            d.annotations.clone_from(&m.annotations);
        }
        crate::Document::Index(i) => {
            d.artifact_type.clone_from(&i.artifact_type);
            d.annotations.clone_from(&i.annotations);
        }
    }
    d
}
