//! The error type of this crate.

use std::io;
use std::path::PathBuf;

use oci_image::{Digest, DocumentError, VerifyError};

/// What went wrong with an image layout.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file system operation failed.
    #[error("could not {action} {path:?}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path, relative to the layout root where it is inside the layout.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The directory is not an image layout (or not one of a version this crate reads).
    #[error("{path:?} is not an OCI image layout: {reason}")]
    NotALayout {
        /// The directory.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// No blob with this digest.
    #[error("blob {0} not found")]
    BlobNotFound(Digest),
    /// A blob path holds something other than a regular file (a symbolic link, a directory,
    /// a device, ...).
    #[error("blob {0} is not a regular file")]
    NotRegularFile(Digest),
    /// Content failed verification against its descriptor.
    #[error("blob {digest} failed verification")]
    Verify {
        /// The expected digest.
        digest: Digest,
        /// What did not match.
        #[source]
        source: VerifyError,
    },
    /// A JSON file of the layout does not parse.
    #[error("{path:?} is not valid JSON of its kind")]
    Json {
        /// The file, relative to the layout root.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A manifest or index does not parse as its descriptor says.
    #[error("document {digest} is invalid")]
    Document {
        /// The document's digest.
        digest: Digest,
        /// What is wrong.
        #[source]
        source: DocumentError,
    },
    /// A tag that does not match the `org.opencontainers.image.ref.name` grammar.
    #[error("invalid reference name {0:?}")]
    InvalidRefName(String),
    /// No tag or digest in the layout names this reference.
    #[error("reference {0:?} not found")]
    ReferenceNotFound(String),
    /// A tag that names several descriptors, and no platform to choose among them.
    #[error("reference {reference:?} names {count} descriptors; choose a platform")]
    AmbiguousReference {
        /// The reference.
        reference: String,
        /// How many descriptors carry it.
        count: usize,
    },
    /// No manifest for the wanted platform.
    #[error("no manifest for platform {0}")]
    NoMatchingPlatform(String),
    /// A digest algorithm this crate cannot compute.
    #[error("digest {0} uses an algorithm this crate cannot verify")]
    UnsupportedAlgorithm(Digest),
    /// A blob or file larger than the limit for what it is.
    #[error("{what} is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// What it is (a blob's digest, an archive member's name).
        what: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A descriptor of another media type than the operation needs (a layer type, say,
    /// where an image manifest was wanted).
    #[error("{digest} is a {media_type}, not {expected}")]
    WrongMediaType {
        /// The blob's digest.
        digest: Digest,
        /// The media type it has.
        media_type: oci_image::MediaType,
        /// What was wanted.
        expected: &'static str,
    },
    /// An image whose configuration does not list one diff_id per layer of its manifest.
    #[error("the image has {layers} layers but its configuration {diff_ids} diff_ids")]
    DiffIdCount {
        /// Layers in the manifest.
        layers: usize,
        /// diff_ids in the configuration.
        diff_ids: usize,
    },
    /// A layer whose uncompressed content does not hash to the diff_id the
    /// configuration declares for it.
    #[error("layer {layer} has diff_id {actual}, the configuration says {expected}")]
    DiffId {
        /// The layer: its digest, or its name in an archive.
        layer: String,
        /// The configuration's diff_id.
        expected: Digest,
        /// What the content hashes to.
        actual: Digest,
    },
    /// An archive that lacks a member it needs (`oci-layout`, `index.json`,
    /// `manifest.json`, a configuration or a layer).
    #[error("the archive has no {0}")]
    MissingArchiveMember(String),
    /// An archive member whose name is not what its place requires (a blob name that is
    /// not a digest, say).
    #[error("archive member {0:?} is not a valid name for its place")]
    InvalidArchiveMember(String),
    /// An image's `Config.User` that cannot be resolved: a user or group its root
    /// filesystem's `/etc/passwd` or `/etc/group` lacks, or an id out of range.
    #[error("Config.User {user:?}: {reason}")]
    User {
        /// The `Config.User` value.
        user: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A layer could not be created or applied.
    #[error(transparent)]
    Layer(#[from] crate::layer::LayerError),
    /// An error from a content operation across stores.
    #[error(transparent)]
    Content(Box<oci_image::content::Error>),
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { action, path, source }
    }
}

impl From<oci_image::content::Error> for Error {
    fn from(e: oci_image::content::Error) -> Self {
        use oci_image::content::Error as C;
        match e {
            C::NotFound(d) => Self::BlobNotFound(d),
            C::Verify { digest, source } => Self::Verify { digest, source },
            C::Document { digest, source } => Self::Document { digest, source },
            C::ReferenceNotFound(r) => Self::ReferenceNotFound(r),
            C::NoMatchingPlatform(p) => Self::NoMatchingPlatform(p),
            C::AmbiguousReference { reference, count } => {
                Self::AmbiguousReference { reference, count }
            }
            other => Self::Content(Box::new(other)),
        }
    }
}

impl From<Error> for oci_image::content::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::BlobNotFound(d) => Self::NotFound(d),
            Error::Verify { digest, source } => Self::Verify { digest, source },
            Error::Document { digest, source } => Self::Document { digest, source },
            Error::ReferenceNotFound(r) => Self::ReferenceNotFound(r),
            Error::InvalidRefName(r) => Self::InvalidReference(r),
            Error::NoMatchingPlatform(p) => Self::NoMatchingPlatform(p),
            Error::AmbiguousReference { reference, count } => {
                Self::AmbiguousReference { reference, count }
            }
            Error::Content(c) => *c,
            other => Self::Backend(Box::new(other)),
        }
    }
}
