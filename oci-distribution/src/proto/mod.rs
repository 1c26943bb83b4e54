//! The registry protocol as state machines: no sockets, no clock, no sleeping.
//!
//! Every decision a registry client makes lives here, so that the blocking driver
//! (feature `client`) and the async driver (feature `async-client`) behave the same
//! byte for byte: they only send what a machine asks for, sleep as long as it says and
//! move blob bytes.
//!
//! | machine | decides |
//! | --- | --- |
//! | [`Auth`] | which `Authorization` a request carries (only to the registry's origin), answers to `WWW-Authenticate` challenges, token requests, the token cache and its expiry |
//! | [`Exchange`] | one request: authentication, which failures are retried, back-off with jitter, `Retry-After`, a time budget |
//! | [`Pager`] | tag and catalog pagination: `Link`, `n`/`last`, bounds on pages and items, repeated pages |
//! | [`BlobUpload`] | an upload session: mount, monolithic or chunked, resume from the registry's `Range`, verification of what is sent, cancel |
//! | [`BlobDownload`] | a blob download: resume with `Range`, what to skip when a registry ignores it, verification while streaming |
//! | [`referrers_answer`], [`fallback_needed`], [`fallback_index`] | the referrers API, and the referrers tag schema for registries without it |
//! | [`mount_outcome`] | what a cross-repository mount came to |
//!
//! Time comes in as `now` ([`std::time::Instant`]); a machine that wants to wait says
//! for how long. A driver's loop for one request is a few lines:
//!
//! ```
//! # use std::time::Instant;
//! use oci_distribution::proto::{Auth, Exchange, ExchangeStep, Disposition, Replay, RetryPolicy};
//! use oci_distribution::endpoint::{self, Registry};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = Registry::of(&"127.0.0.1:5000/app".parse()?, true);
//! let mut auth = Auth::new();
//! let request = endpoint::api_version(&registry)?;
//! let mut exchange = Exchange::new(&registry, "", request, Replay::Idempotent, RetryPolicy::default(), Instant::now());
//! let ExchangeStep::Send(outgoing) = exchange.poll(&mut auth, Instant::now()) else { unreachable!() };
//! assert_eq!(outgoing.request.uri(), "http://127.0.0.1:5000/v2/");
//! // The driver sends it; here the registry asks for a token.
//! let (parts, ()) = http::Response::builder()
//!     .status(401)
//!     .header("WWW-Authenticate", r#"Bearer realm="http://127.0.0.1:5000/token",service="r""#)
//!     .body(())?
//!     .into_parts();
//! assert_eq!(exchange.handle_response(&mut auth, &parts, None, Instant::now())?, Disposition::Discard);
//! let ExchangeStep::Send(token) = exchange.poll(&mut auth, Instant::now()) else { unreachable!() };
//! assert_eq!(token.request.uri(), "http://127.0.0.1:5000/token?service=r");
//! # Ok(()) }
//! ```

mod auth;
mod download;
mod error;
mod exchange;
mod pager;
mod referrers;
mod retry;
mod upload;

use std::fmt;

pub use auth::{Auth, AuthFailure};
pub use download::{BlobDownload, DownloadStep};
pub use error::Error;
pub use exchange::{Disposition, Exchange, ExchangeStep, Failure};
pub use pager::{Pager, PagerLimits};
pub use referrers::{
    ReferrersAnswer, fallback_index, fallback_needed, fallback_referrers, referrers_answer,
};
pub use retry::{Backoff, Replay, RetryPolicy, retryable_status};
pub use upload::{
    BlobUpload, MAX_CHUNK, MountOutcome, UploadOutcome, UploadStep, mount_outcome, mount_request,
};

use crate::endpoint::Body;

/// A request a machine wants sent, and how much of the answer it needs.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outgoing {
    /// The request, with its `Authorization` when one belongs to it. A
    /// [`Body::Blob`] is streamed by the driver from the content it is moving.
    pub request: http::Request<Body>,
    /// What the machine needs back.
    pub want: Want,
}

/// How much of an answer a machine needs from the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Want {
    /// The head only: the body stays with the driver (to stream it to the caller, or to
    /// drain it when the machine discards the answer).
    Head,
    /// The head and the whole body, at most this many bytes (a token, an error body, a
    /// page of a list).
    Body(usize),
}

/// The scheme, host and port that credentials and tokens belong to (RFC 6454 origins):
/// a request carries them only when it goes to exactly this origin.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of an absolute URI; `None` for a relative one or another scheme than
    /// `http` and `https`.
    pub fn of(uri: &http::Uri) -> Option<Self> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let host = uri.host()?.to_ascii_lowercase();
        Some(Self { scheme, host, port: uri.port_u16().unwrap_or(default) })
    }

    /// The origin of a registry.
    pub fn of_registry(registry: &crate::endpoint::Registry) -> Option<Self> {
        let uri: http::Uri = format!("{}://{}/", registry.scheme, registry.host).parse().ok()?;
        Self::of(&uri)
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host, lower-cased.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (the scheme's default when the URI names none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the channel is TLS.
    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// The URLs a non-distributable layer may be fetched from, in order: its descriptor's
/// `urls` that are `http` or `https`. They are fetched without any registry credentials
/// (the registry's [`Origin`] is not theirs), before the registry itself is asked.
pub fn foreign_urls(descriptor: &oci_image::Descriptor) -> impl Iterator<Item = &str> {
    descriptor
        .urls
        .iter()
        .map(String::as_str)
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
}

/// A copy of `request` for sending again: method, URI, headers and body description.
pub(crate) fn clone_request(request: &http::Request<Body>) -> http::Request<Body> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let o = |s: &str| Origin::of(&s.parse().unwrap());
        assert_eq!(o("https://Reg.example/v2/"), o("https://reg.example:443/x"));
        assert_ne!(o("https://reg.example/"), o("http://reg.example/"));
        assert_ne!(o("https://reg.example/"), o("https://reg.example:5000/"));
        assert_ne!(o("https://reg.example/"), o("https://reg.example.evil/"));
        assert_eq!(o("/v2/relative"), None);
        assert_eq!(o("ftp://reg.example/"), None);
        assert_eq!(o("http://127.0.0.1:5000/v2/").unwrap().to_string(), "http://127.0.0.1:5000");
    }
}
