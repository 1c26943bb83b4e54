//! The one error type of the protocol core and of both drivers.

use http::{Method, StatusCode};

use super::AuthFailure;
use crate::ErrorCode;
use crate::endpoint::ResponseError;

/// What went wrong talking to a registry: the same type from the protocol machines, the
/// blocking client and the async client, so that a caller matches on one set of cases.
///
/// Reaching [`oci_image::content::copy`]'s caller inside
/// [`oci_image::content::Error::Backend`], it is found again with [`Error::of_content`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be sent or its answer not received (after the retries).
    #[error("{method} {url} failed")]
    Transport {
        /// The request's method.
        method: Method,
        /// The request's URL.
        url: String,
        /// What failed, from the driver's HTTP library.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
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
        /// Which failure it is.
        kind: AuthFailure,
        /// Why, in words.
        reason: String,
    },
    /// The registry lost part of an upload (after a restart, say) that can no longer be
    /// sent again.
    #[error("the registry lost the upload of {digest}: it holds {holds} bytes, {sent} were sent")]
    UploadLost {
        /// The blob.
        digest: oci_image::Digest,
        /// What the registry says it holds.
        holds: u64,
        /// What had been sent.
        sent: u64,
    },
    /// Content being pushed does not match its descriptor; nothing was committed.
    #[error("content of {digest} does not match its descriptor")]
    Verify {
        /// The blob.
        digest: oci_image::Digest,
        /// What did not match.
        #[source]
        source: oci_image::VerifyError,
    },
    /// A list (tags, catalog) over the limits, or a page that repeats.
    #[error("{what} is longer than allowed: {reason}")]
    ListTooLong {
        /// Tags or catalog.
        what: &'static str,
        /// Which bound was hit.
        reason: String,
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

impl Error {
    /// The HTTP status of a registry error answer, if this is one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Response { source: ResponseError::Status { status, .. }, .. } => Some(*status),
            _ => None,
        }
    }

    /// The registry's error codes (distribution-spec § Error Codes), if its answer carried
    /// any.
    pub fn codes(&self) -> Vec<&ErrorCode> {
        match self {
            Self::Response { source: ResponseError::Status { body, .. }, .. } => {
                body.errors.iter().map(|e| &e.code).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Which authentication failure this is, if it is one.
    pub fn auth_failure(&self) -> Option<AuthFailure> {
        match self {
            Self::Auth { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// This error as the I/O error a blob reader returns: a verification failure stays
    /// recognisable to [`oci_image::content::Error::from_read`].
    pub fn into_io(self) -> std::io::Error {
        match self {
            Self::Verify { source, .. } => source.into(),
            Self::Io(e) => e,
            other => std::io::Error::other(other),
        }
    }

    /// The registry error inside a content-store error (what [`oci_image::content::copy`]
    /// returns when a registry failed), if there is one.
    pub fn of_content(error: &oci_image::content::Error) -> Option<&Self> {
        match error {
            oci_image::content::Error::Backend(inner) => inner.downcast_ref::<Self>(),
            _ => None,
        }
    }

    pub(crate) fn response<B>(request: &http::Request<B>, source: ResponseError) -> Self {
        Self::Response { method: request.method().clone(), url: request.uri().to_string(), source }
    }

    pub(crate) fn transport<B>(
        request: &http::Request<B>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Transport {
            method: request.method().clone(),
            url: request.uri().to_string(),
            source: source.into(),
        }
    }

    /// An error answer as this error: its status and error body (bounded).
    pub(crate) fn from_answer<B>(
        request: &http::Request<B>,
        parts: &http::response::Parts,
        body: &[u8],
    ) -> Self {
        let source = match crate::endpoint::check_status(parts, body) {
            Err(e) => e,
            // A success status that is not the one the request calls for.
            Ok(()) => ResponseError::Status { status: parts.status, body: Default::default() },
        };
        Self::response(request, source)
    }
}
