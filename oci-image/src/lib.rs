//! Typed, validated and lossless documents of the
//! [OCI image-spec v1.1](https://github.com/opencontainers/image-spec/blob/v1.1.1/spec.md),
//! with digests, verified streams, platform matching, Docker schema2 conversion, and
//! content stores with a verified graph copy.
//!
//! - **Lenient parsing, strict validation.** Parsing accepts what the spec and real tools
//!   write, unknown fields included; each document's `validate()` reports every broken MUST
//!   with its JSON path. Duplicate JSON keys are an error (CVE-2014-8179), and a manifest
//!   that could be read as an index, or the reverse, is refused (CVE-2021-41190).
//! - **Lossless.** Parsing then serialising keeps every value and every unknown field, in
//!   every object (the values of `ExposedPorts` and `Volumes` too); new documents serialise
//!   deterministically (sorted maps). The rules are those of the shared `oci-json` crate,
//!   which `oci-runtime-spec` reads its documents with too.
//! - **Every requirement listed.** `REQUIREMENTS.md`, beside this crate's sources, has a
//!   row for each MUST and REQUIRED of the image-spec: what `validate()` or parsing checks,
//!   or why a document cannot show it.
//! - **Bytes are the truth.** Digests name exact bytes: a descriptor is computed from the
//!   bytes that will be stored ([`Descriptor::for_bytes`]), and [`VerifyingReader`] checks
//!   size and digest of a stream as it is read.
//!
//! This crate does no file or network I/O of its own: the image layout on disk is
//! `oci-layout`, the registry API is `oci-distribution`, and runtime `config.json` is
//! `oci-runtime-spec`. They meet in the [`content`] traits.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use oci_image::{Descriptor, ImageConfiguration, ImageManifest, MediaType, Platform};
//!
//! // Read a manifest as a registry or a layout would hand it over: bytes and a descriptor.
//! let bytes = br#"{
//!   "schemaVersion": 2,
//!   "mediaType": "application/vnd.oci.image.manifest.v1+json",
//!   "config": {
//!     "mediaType": "application/vnd.oci.image.config.v1+json",
//!     "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
//!     "size": 2
//!   },
//!   "layers": [],
//!   "org.example.unknown": {"kept": true}
//! }"#;
//! let descriptor = Descriptor::for_bytes(MediaType::ImageManifest, bytes);
//! descriptor.verify(bytes)?;
//! let manifest: ImageManifest = oci_image::json::from_slice(bytes)?;
//!
//! // Every violated MUST, with its JSON path.
//! let violations = manifest.validate();
//! assert_eq!(violations.len(), 1);
//! assert_eq!(violations[0].path, "$.layers");
//!
//! // Unknown fields survive a round trip.
//! let again = oci_image::json::to_vec(&manifest)?;
//! assert!(String::from_utf8(again)?.contains(r#""org.example.unknown":{"kept":true}"#));
//!
//! // Platforms parse, normalise and match the way container engines do.
//! let config = ImageConfiguration::new("linux", "arm");
//! let want: Platform = "linux/armhf".parse()?;
//! assert!(want.matches(&config.platform()));
//! # Ok(()) }
//! ```
//!
//! # Types
//!
//! | type | spec |
//! | --- | --- |
//! | [`Digest`], [`Algorithm`], [`DigestWriter`], [`VerifyingReader`] | descriptor.md § Digests |
//! | [`MediaType`] | media-types.md, plus Docker schema2 |
//! | [`Descriptor`], [`EmbeddedData`] | descriptor.md |
//! | [`Platform`] | image-index.md § platform |
//! | [`ImageManifest`] | manifest.md |
//! | [`ImageIndex`] | image-index.md |
//! | [`ImageConfiguration`], [`Config`], [`RootFs`], [`History`] | config.md |
//! | [`ImageLayout`] | image-layout.md § oci-layout file |
//! | [`annotations`] | annotations.md |
//! | [`Document`] | a manifest or index parsed by its descriptor's media type |
//! | [`docker`] | Docker schema2 ⇄ OCI |
//! | [`content`] | store traits, [`content::MemoryStore`], [`content::walk`], [`content::copy`] |
//!
//! # Features
//!
//! - `arbitrary`: implements [`arbitrary::Arbitrary`](https://docs.rs/arbitrary) for every
//!   document type, for structure-aware fuzzing.

#![forbid(unsafe_code)]

pub mod annotations;
mod config;
pub mod content;
mod descriptor;
mod digest;
pub mod docker;
mod document;
mod index;
pub mod json;
mod layout;
mod manifest;
mod media_type;
mod platform;
mod validate;

pub use config::{Config, Healthcheck, History, ImageConfiguration, RootFs};
pub use descriptor::{Descriptor, EMPTY_JSON, EmbeddedData, InvalidBase64};
pub use digest::{
    Algorithm, Digest, DigestMismatch, DigestWriter, Hasher, ParseDigestError, UnverifiableDigest,
    VerifyError, VerifyingReader,
};
pub use document::{Document, DocumentError, sniff_media_type};
pub use index::ImageIndex;
pub use layout::{IMAGE_LAYOUT_VERSION, ImageLayout};
pub use manifest::ImageManifest;
pub use media_type::{Compression, MediaType, OtherMediaType};
pub use platform::{ParsePlatformError, Platform};
pub use validate::Violation;

/// Unknown fields for a fuzzed document: a few string-keyed JSON values whose keys are
/// not among the document's own.
#[cfg(feature = "arbitrary")]
pub(crate) fn arbitrary_extra(
    u: &mut arbitrary::Unstructured<'_>,
    known: &[&str],
) -> arbitrary::Result<serde_json::Map<String, serde_json::Value>> {
    let mut extra = serde_json::Map::new();
    for _ in 0..u.int_in_range(0u8..=2)? {
        let key: String = u.arbitrary()?;
        if known.contains(&key.as_str()) {
            continue;
        }
        let value = match u.int_in_range(0u8..=4)? {
            0 => serde_json::Value::Null,
            1 => serde_json::Value::Bool(u.arbitrary()?),
            2 => serde_json::Value::from(u.arbitrary::<i64>()?),
            3 => serde_json::Value::String(u.arbitrary()?),
            _ => serde_json::Value::Array(vec![serde_json::Value::String(u.arbitrary()?)]),
        };
        extra.insert(key, value);
    }
    Ok(extra)
}
