//! The [OCI distribution-spec](https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md)
//! typed, with the registry protocol as a core that never touches a socket, and two
//! drivers over it.
//!
//! - The protocol core: image [`Reference`]s, every registry endpoint as an
//!   [`http::Request`] ([`endpoint`]), typed responses, registry error bodies with an
//!   open set of codes ([`ErrorResponse`]), authentication data ([`auth`]), and the
//!   protocol itself as state machines ([`proto`]): authentication with the token
//!   cache, retries, pagination, upload and download sessions. They take `now` and
//!   responses as input and say what to send, how long to wait, or the result.
//! - Feature `client`: a blocking driver over `ureq` (`client`).
//! - Feature `async-client`: an async driver on tokio over `reqwest` with rustls
//!   (`async_client`).
//!
//! Both drivers only send, sleep and move bytes, so they behave the same byte for byte;
//! both make remote repositories into `oci_image::content` stores, so that
//! `oci_image::content::copy` pulls from a registry into an image layout and pushes from
//! one, with authentication, retries, resumed transfers and cross-repository mounts.
//! Errors of both are one type, [`Error`].
//!
//! This crate does not store images (see `oci-layout`) or serve them.
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
//! # A blocking client
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # #[cfg(feature = "client")] {
//! use oci_distribution::ClientOptions;
//! use oci_distribution::client::Client;
//! use oci_image::content::{copy, CopyOptions, MemoryStore};
//!
//! let reference = "127.0.0.1:5000/team/app:v1".parse()?;
//! let remote = Client::new(ClientOptions::default().plain_http(true)).repository(&reference);
//! let store = MemoryStore::new();
//! let root = copy(&remote, "v1", &store, "v1", &CopyOptions::default())?;
//! println!("pulled {} with tags {:?}", root.digest, remote.tags(None)?);
//! # }
//! # Ok(()) }
//! ```
//!
//! # An async client
//!
//! ```no_run
//! # #[cfg(feature = "async-client")]
//! # async fn pull() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use oci_distribution::ClientOptions;
//! use oci_distribution::async_client::{Client, copy};
//! use oci_image::content::{CopyOptions, MemoryStore};
//!
//! let reference = "127.0.0.1:5000/team/app:v1".parse()?;
//! let remote = Client::new(ClientOptions::default().plain_http(true))?.repository(&reference);
//! let store = Arc::new(MemoryStore::new());
//! let root = copy(remote.blocking(), "v1", store, "v1", CopyOptions::default()).await?;
//! println!("pulled {} with tags {:?}", root.digest, remote.tags(None).await?);
//! # Ok(()) }
//! ```
//!
//! # Registries as they are
//!
//! What the protocol core adapts to, one behaviour a line:
//!
//! - token services on another host or port than the registry (Docker Hub, GitLab,
//!   Harbor): followed, with credentials only over a channel as safe as the registry's;
//! - tokens that expire before their `expires_in` says (short-lived registry tokens; ECR
//!   answers 403 `DENIED`): renewed once and the request repeated;
//! - identity tokens in auth files (Docker Hub, ACR): OAuth2 refresh-token grants;
//! - `OCI-Chunk-Min-Length`: no smaller chunks;
//! - chunks over 4 MiB refused with 416 (GHCR) or 413: smaller chunks from the
//!   registry's offset, then one streamed `PATCH`;
//! - no `PATCH` at all (Google Artifact Registry: 405 `UNSUPPORTED`): one streamed `PUT`;
//! - upload session state signed into the `Location` (the distribution registry): the
//!   newest `Location` is always used, and the registry's `Range` over our own count;
//! - `Retry-After` on 429 and 503: honoured, up to the longest back-off;
//! - tag lists that ignore `n` or send no `Link`: `n`/`last` when the page was full,
//!   else done;
//! - no referrers API (404): the referrers tag schema's fallback tag, kept up to date on
//!   push;
//! - blobs redirected to storage: followed without the registry's credentials.
//!
//! # Proxies
//!
//! Both drivers take their proxy from the environment: `HTTPS_PROXY`, `HTTP_PROXY` and
//! `ALL_PROXY` (or their lower-case names), with `NO_PROXY` naming the hosts reached
//! directly. An HTTPS registry is reached through a tunnel (`CONNECT`): the proxy sees
//! neither the requests nor the credentials.
//!
//! # Types
//!
//! | item | spec |
//! | --- | --- |
//! | [`Reference`] | Docker / distribution reference grammar |
//! | [`endpoint`] | spec.md end-1 … end-14, `_catalog`, pagination, referrers fallback tags |
//! | [`ErrorResponse`], [`ErrorCode`] | spec.md § Error Codes |
//! | [`auth`] | challenges, token responses, credentials, Docker `config.json` |
//! | [`proto`] | the protocol's machines: [`proto::Auth`], [`proto::Exchange`], [`proto::Pager`], [`proto::BlobUpload`], [`proto::BlobDownload`] |
//! | [`Error`] | every failure of the core and both drivers |
//! | `client` (feature `client`) | the blocking driver; remote repositories as content stores |
//! | `async_client` (feature `async-client`) | the async driver; blob streams; graph copies |

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "async-client")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-client")))]
pub mod async_client;
pub mod auth;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod client;
pub mod credentials;
pub mod endpoint;
mod error;
pub mod mirrors;
#[cfg(any(feature = "client", feature = "async-client"))]
mod options;
pub mod proto;
mod reference;
#[cfg(any(feature = "client", feature = "async-client"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "client", feature = "async-client"))))]
pub mod tls;

pub use error::{ErrorCode, ErrorResponse, RegistryError};
/// The `http` crate whose requests and responses the protocol core speaks.
pub use http;
/// The image-spec crate whose types this crate's API uses.
pub use oci_image;
#[cfg(any(feature = "client", feature = "async-client"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "client", feature = "async-client"))))]
pub use options::ClientOptions;
pub use proto::Error;
pub use reference::{
    DEFAULT_TAG, DOCKER_HUB, DOCKER_HUB_API, ParseReferenceError, Reference, is_valid_repository,
    is_valid_tag,
};
