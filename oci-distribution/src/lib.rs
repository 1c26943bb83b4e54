//! The [OCI distribution-spec](https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md)
//! typed, as a protocol core that never touches a socket: image [`Reference`]s, every
//! registry endpoint as an [`http::Request`] ([`endpoint`]), typed responses, registry
//! error bodies with an open set of codes ([`ErrorResponse`]), and authentication
//! ([`auth`]: `WWW-Authenticate` challenges, token requests and responses, Docker
//! `config.json` credentials).
//!
//! The protocol core sends nothing: a driver sends what the functions of [`endpoint`]
//! build and hands the responses back to the checks there. The feature `client` adds
//! such a driver, the `client` module: a blocking client (over `ureq`) whose remote
//! repositories are `oci_image::content` stores, so that `oci_image::content::copy` pulls
//! from a registry into an image layout and pushes from one, with authentication,
//! retries, resumed transfers and cross-repository mounts.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use oci_distribution::{endpoint, Reference};
//!
//! let reference: Reference = "127.0.0.1:5000/team/app:v1".parse()?;
//! let registry = endpoint::Registry::of(&reference, true);
//! let request = endpoint::get_manifest(&registry, &reference, false)?;
//! assert_eq!(request.uri(), "http://127.0.0.1:5000/v2/team/app/manifests/v1");
//!
//! // A canned response: the manifest bytes are hashed, whatever the headers claim.
//! let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
//! let (parts, ()) = http::Response::builder()
//!     .status(200)
//!     .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
//!     .body(())?
//!     .into_parts();
//! let descriptor = endpoint::check_manifest(&reference, &parts, body)?;
//! assert_eq!(descriptor.digest, oci_image::Digest::sha256(body));
//! # Ok(()) }
//! ```
//!
//! # Types
//!
//! | item | spec |
//! | --- | --- |
//! | [`Reference`] | Docker / distribution reference grammar |
//! | [`endpoint`] | spec.md end-1 … end-14, `_catalog`, pagination, referrers fallback tags |
//! | [`ErrorResponse`], [`ErrorCode`] | spec.md § Error Codes |
//! | [`auth`] | token authentication, Docker `config.json` |
//! | `client` (feature `client`) | a blocking client; remote repositories as content stores |

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "async-client")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-client")))]
pub mod async_client;
pub mod auth;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod client;
pub mod endpoint;
mod error;
#[cfg(any(feature = "client", feature = "async-client"))]
mod options;
pub mod proto;
mod reference;

pub use error::{ErrorCode, ErrorResponse, RegistryError};
#[cfg(any(feature = "client", feature = "async-client"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "client", feature = "async-client"))))]
pub use options::ClientOptions;
pub use proto::Error;
pub use reference::{
    DEFAULT_TAG, DOCKER_HUB, DOCKER_HUB_API, ParseReferenceError, Reference, is_valid_repository,
    is_valid_tag,
};
