//! OCI image layouts on disk: the directory format that skopeo's `oci:` transport, umoci and
//! every OCI tool read and write (image-spec v1.1
//! [`image-layout.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md)).
//!
//! - **A verified, crash-safe blob store.** A blob is written to a temporary file inside the
//!   layout, verified against its descriptor while it streams, flushed, and renamed to its
//!   digest: it appears only when complete and correct. Reads check size and digest too.
//! - **Confined.** Every file is opened beneath the layout's directory handle without
//!   following symbolic links and must be a regular file.
//! - **Safe under concurrency.** `index.json` is read, changed and atomically replaced under
//!   an exclusive lock, so processes tagging into one layout at once lose nothing.
//! - **Tags, resolve, build, gc, fsck**, and the [`oci_image::content`] traits, so
//!   [`oci_image::content::copy`] copies between layouts (and registries).
//!
//! Layers are applied and made by its [`layer`] module, images unpacked by
//! [`Layout::unpack`] and made into runtime bundles by [`Layout::bundle`], layouts moved
//! as tar archives by [`archive`]. Registries are `oci-distribution`'s.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use oci_image::content::{copy, CopyOptions};
//! use oci_image::{Digest, ImageConfiguration, MediaType};
//! use oci_layout::Layout;
//!
//! let dir = tempfile::tempdir()?;
//! let layout = Layout::create(dir.path().join("a"))?;
//!
//! // An image of one (uncompressed) layer.
//! let tar = b"pretend this is a tar stream";
//! let layer = layout.put_bytes(MediaType::ImageLayer, tar)?;
//! let mut config = ImageConfiguration::new("linux", "amd64");
//! config.rootfs.diff_ids.push(Digest::sha256(tar));
//! let image = layout.write_image(&config, vec![layer], Default::default())?;
//! layout.tag(&image, "v1")?;
//!
//! assert_eq!(layout.resolve("v1", None)?, layout.tags()?[0].1);
//! assert!(layout.fsck()?.is_ok());
//!
//! // Copy it to another layout, verified blob by blob.
//! let other = Layout::create(dir.path().join("b"))?;
//! copy(&layout, "v1", &other, "latest", &CopyOptions::default())?;
//! assert_eq!(other.image(&other.resolve("latest", None)?)?.config, config);
//! # Ok(()) }
//! ```
//!
//! # Types
//!
//! | type | what |
//! | --- | --- |
//! | [`Layout`] | open/create, blobs, `index.json`, tags, resolve, build, [`Layout::gc`], [`Layout::fsck`] |
//! | [`Image`] | a manifest with its configuration |
//! | [`GcOptions`], [`GcReport`] | garbage collection |
//! | [`FsckReport`], [`Problem`] | checking a layout |
//! | [`PendingLayout`] | a layout made for one operation, removed unless it succeeds |
//! | [`layer::apply`], [`layer::create`], [`layer::ApplyOptions`], [`layer::CreateOptions`] | applying a layer to a directory (confined, one pass), making one from a directory or a diff |
//! | [`Layout::unpack`], [`UnpackReport`], [`UnpackError`] | an image into a root filesystem, all or nothing |
//! | [`Layout::bundle`], [`BundleReport`] | an image into a runtime bundle: `rootfs/` and `config.json` |
//! | [`archive`] | oci-archive and docker-archive import and export |
//! | [`Error`] | everything that can go wrong |
//!
//! # Features
//!
//! - `isal`: gzip layers are inflated by ISA-L (Intel's Intelligent Storage Acceleration
//!   Library) instead of zlib-rs: about 20% less CPU for the decompression, and about 8%
//!   less time for an unpack of the corpus image on two cores. It links the system's
//!   `libisal` (Debian and Ubuntu: `apt-get install libisal-dev`). Results are the same
//!   bytes either way; only the speed differs.

pub mod archive;
mod build;
pub mod bundle;
mod error;
mod fs;
mod fsck;
mod gc;
pub mod layer;
mod pending;
mod store;
mod unpack;

/// The image-spec crate whose types ([`oci_image::Descriptor`], [`oci_image::Digest`], ...)
/// this crate's signatures use, so that a user need not depend on it separately.
pub use oci_image;

pub use build::Image;
pub use bundle::BundleReport;
pub use error::Error;
pub use fsck::{FsckReport, Problem};
pub use gc::{GcOptions, GcReport};
pub use pending::PendingLayout;
pub use store::Layout;
pub use unpack::{UnpackError, UnpackReport};
