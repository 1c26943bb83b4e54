//! Layers: applying a layer to a root filesystem, safely and in one pass.
//!
//! [`apply`] reads a layer (tar, gzip or zstd, with their non-distributable and Docker
//! forms) and writes it into a root directory. In the same pass it hashes the compressed
//! bytes against the descriptor and the decompressed bytes against the diff_id, and it
//! reads both streams to their ends before giving a verdict. It writes as it reads, so a
//! failed verdict leaves a partly written root: apply into a staging directory and keep it
//! only on success, as [`crate::Layout::unpack`] does.
//!
//! # Security
//!
//! Layers come from strangers. The applier is built so that a layer can change nothing
//! outside the root and cannot exhaust the machine:
//!
//! - **Names.** Leading `/` and `./` are dropped; a `..` component is an error (the
//!   "tar slip" of many extractors, tar-rs's own among them: CVE-2018-20990). The root itself is never
//!   replaced or retyped (an entry `.` that is a symlink is ignored).
//! - **Symbolic links.** Every parent path is resolved from an open handle on the root as
//!   if the root were `/` (`openat2(RESOLVE_IN_ROOT)`, or the same walk done component by
//!   component with `O_NOFOLLOW`): a link to `/etc` or `../../..` planted by this or an
//!   earlier layer leads to the root's own `/etc`, never the host's (CVE-2018-15664,
//!   CVE-2019-14271, runc CVE-2019-19921 and umoci CVE-2021-29136 were escapes through
//!   links). A directory replaced by a link mid-archive is resolved the same way.
//! - **Final components are never followed.** Regular files, devices and links are always
//!   new inodes (`O_CREAT|O_EXCL|O_NOFOLLOW` after removing what was there), so a layer
//!   cannot write through an existing link or hard link (CVE-2021-30465-like swaps).
//!   Owner, mode and xattrs are set on handles the applier opened itself, and link
//!   metadata with `AT_SYMLINK_NOFOLLOW`: no chmod or chown through a link.
//! - **Hard links** name their target inside the root, resolved the same way; they cannot
//!   reach a host file.
//! - **Whiteouts** (`.wh.NAME`, `.wh..wh..opq`) are resolved inside the root like any
//!   path, never remove what the same layer adds whatever the entry order, and malformed
//!   ones (`.wh.`, `.wh..`, `.wh...`, other `.wh..wh.` names) are errors.
//! - **Privilege.** Rootless application ([`ApplyOptions::rootless`]) applies no owners,
//!   turns devices into empty files and skips `security.*`/`trusted.*` xattrs, and lists
//!   what it skipped in [`ApplyReport::skipped`]. Set-user-ID bits are applied after the
//!   owner (chown clears them).
//! - **Resources.** [`ApplyOptions`] bounds the decompressed size (gzip and zstd bombs),
//!   entries, single files, header and path length, and the zstd window (checked from the
//!   frame header, before anything is allocated for it).
//! - **Memory safety.** The only `unsafe` code calls C libraries: the zstd decoder calls
//!   zstd's buffer-less API and is tested against zstd's own streaming decoder; with the
//!   `isal` feature, the gzip decoder calls ISA-L's inflate and is tested against the
//!   same streams as zlib-rs. Both are fuzzed through the applier.
//! - **Integrity.** Digest, size and diff_id mismatches, trailing data that changes the
//!   digests, and a media type that contradicts the stream's magic bytes are errors.

mod apply;
pub(crate) use apply::remove_all;
mod create;
mod gzip;
#[cfg(feature = "isal")]
mod isal;
mod root;
mod tar;
mod zstd_blocks;

pub use create::{CreateOptions, CreatedLayer, create};

/// Fills `buf` from a compressed stream's framing; the end of input is the error that
/// the `format` stream ends early.
pub(crate) fn read_exact(
    input: &mut impl io::BufRead,
    buf: &mut [u8],
    format: &str,
) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Err(ends_early(format));
        }
        let n = available.len().min(buf.len() - filled);
        buf[filled..filled + n].copy_from_slice(&available[..n]);
        input.consume(n);
        filled += n;
    }
    Ok(())
}

/// Skips `n` bytes of a compressed stream's framing, as [`read_exact`] reads them.
pub(crate) fn skip(input: &mut impl io::BufRead, mut n: u64, format: &str) -> io::Result<()> {
    while n > 0 {
        let available = input.fill_buf()?.len();
        if available == 0 {
            return Err(ends_early(format));
        }
        let k = usize::try_from(n).map_or(available, |n| n.min(available));
        input.consume(k);
        n -= k as u64;
    }
    Ok(())
}

/// The error of a compressed stream cut short.
pub(crate) fn ends_early(format: &str) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, format!("the {format} stream ends early"))
}

/// Deterministic bytes that do not compress (xorshift64), for the decoders' tests.
#[cfg(test)]
pub(crate) fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Opens a root directory for confined resolution (for reading files of a rootfs).
pub(crate) fn root_dir(path: &Path) -> io::Result<root::Root> {
    root::Root::open(path)
}

use std::io::{self, Read};
use std::path::Path;

use oci_image::{Compression, Descriptor, Digest, MediaType, VerifyError};
use rustix::io::Errno;

/// Settings of [`apply`]; the defaults suit untrusted layers on a large machine.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// Apply as an unprivileged user: no owners, devices as empty files, no
    /// `security.*`/`trusted.*` xattrs, and directories whose mode shuts their owner out
    /// (`0000`, `0500`) kept open (`mode | 0700`) while the layer fills them, given their
    /// recorded mode when it ends (as also happens whenever the process is not root).
    /// Default: false.
    pub rootless: bool,
    /// Largest decompressed layer. Default: 64 GiB.
    pub max_total_size: u64,
    /// Most entries in one layer. Default: 10 million.
    pub max_entries: u64,
    /// Largest single file. Default: 16 GiB.
    pub max_file_size: u64,
    /// Largest PAX or GNU long-name header. Default: 1 MiB.
    pub max_header_size: u64,
    /// Longest entry or link name. Default: 4096 bytes.
    pub max_path_len: usize,
    /// Largest zstd window, as a power of two. Default: 27 (128 MiB), zstd's own limit.
    /// The decoder keeps two windows (at least 4 MiB each), so memory is twice the
    /// largest window a layer declares: 16 MiB for the common 8 MiB one.
    pub max_zstd_window_log: u32,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            rootless: false,
            max_total_size: 64 << 30,
            max_entries: 10_000_000,
            max_file_size: 16 << 30,
            max_header_size: 1 << 20,
            max_path_len: 4096,
            max_zstd_window_log: 27,
        }
    }
}

/// Setters, for building options outside this crate (the struct is `#[non_exhaustive]`,
/// so it has no literal there):
///
/// ```
/// use oci_layout::layer::ApplyOptions;
/// let options = ApplyOptions::default().rootless(true).max_entries(1000);
/// assert!(options.rootless);
/// assert_eq!(options.max_entries, 1000);
/// ```
impl ApplyOptions {
    /// Sets [`ApplyOptions::rootless`]: apply as an unprivileged user.
    pub fn rootless(mut self, rootless: bool) -> Self {
        self.rootless = rootless;
        self
    }

    /// Sets [`ApplyOptions::max_total_size`]: the largest decompressed layer.
    pub fn max_total_size(mut self, max_total_size: u64) -> Self {
        self.max_total_size = max_total_size;
        self
    }

    /// Sets [`ApplyOptions::max_entries`]: the most entries in one layer.
    pub fn max_entries(mut self, max_entries: u64) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// Sets [`ApplyOptions::max_file_size`]: the largest single file.
    pub fn max_file_size(mut self, max_file_size: u64) -> Self {
        self.max_file_size = max_file_size;
        self
    }

    /// Sets [`ApplyOptions::max_header_size`]: the largest PAX or GNU long-name header.
    pub fn max_header_size(mut self, max_header_size: u64) -> Self {
        self.max_header_size = max_header_size;
        self
    }

    /// Sets [`ApplyOptions::max_path_len`]: the longest entry or link name.
    pub fn max_path_len(mut self, max_path_len: usize) -> Self {
        self.max_path_len = max_path_len;
        self
    }

    /// Sets [`ApplyOptions::max_zstd_window_log`]: the largest zstd window, as a power of two.
    pub fn max_zstd_window_log(mut self, max_zstd_window_log: u32) -> Self {
        self.max_zstd_window_log = max_zstd_window_log;
        self
    }
}

/// What [`apply`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApplyReport {
    /// Tar entries read (whiteouts included).
    pub entries: u64,
    /// Regular files written.
    pub files: u64,
    /// Whiteout entries (including opaque markers).
    pub whiteouts: u64,
    /// Decompressed bytes read.
    pub uncompressed_size: u64,
    /// What was not applied and why (the first 100); see `skipped_count` for the total.
    pub skipped: Vec<String>,
    /// How many things were skipped.
    pub skipped_count: u64,
}

/// Why a layer could not be applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// A media type that is not a layer, or one this crate refuses (encrypted layers).
    #[error("media type {0} is not a layer type this crate applies")]
    MediaType(MediaType),
    /// The stream's first bytes contradict the media type.
    #[error(
        "layer stream does not match its media type: expected {expected:?} compression, found {found:?}"
    )]
    Magic {
        /// Compression the media type names.
        expected: Compression,
        /// Compression the magic bytes show (`None`: neither gzip nor zstd).
        found: Option<Compression>,
    },
    /// The compressed bytes do not match the descriptor.
    #[error("layer {digest} failed verification")]
    Verify {
        /// The descriptor's digest.
        digest: Digest,
        /// What differed.
        #[source]
        source: VerifyError,
    },
    /// The decompressed bytes do not hash to the diff_id.
    #[error("layer decompresses to {actual}, its diff_id is {expected}")]
    DiffId {
        /// The diff_id from the configuration.
        expected: Digest,
        /// What the stream hashed to.
        actual: Digest,
    },
    /// The tar stream is malformed.
    #[error("malformed tar stream: {0}")]
    Tar(String),
    /// A name that would leave the root, or a malformed whiteout.
    #[error("unsafe or invalid path: {0}")]
    UnsafePath(String),
    /// A limit of [`ApplyOptions`] was exceeded.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// A feature this crate does not apply.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// Reading the layer failed.
    #[error("cannot read the layer")]
    Read(#[source] io::Error),
    /// Writing into the root failed.
    #[error("cannot {action} {path:?}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path inside the root.
        path: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// Applies `layer` (the stream `descriptor` names) to the directory `root`, verifying the
/// compressed stream against `descriptor` and the decompressed one against `diff_id`. See
/// the [module docs](self) for what it guarantees.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use oci_layout::layer::{ApplyOptions, CreateOptions, apply, create};
///
/// let dir = tempfile::tempdir()?;
/// let tree = dir.path().join("tree");
/// std::fs::create_dir_all(tree.join("etc"))?;
/// std::fs::write(tree.join("etc/motd"), "hello\n")?;
/// // A layer of the tree (gzip by default), then applied to a new root.
/// let mut bytes = Vec::new();
/// let layer = create(&tree, None, &mut bytes, &CreateOptions::default())?;
/// let root = dir.path().join("root");
/// std::fs::create_dir(&root)?;
/// let options = ApplyOptions::default().rootless(true);
/// let report = apply(&root, &bytes[..], &layer.descriptor, &layer.diff_id, &options)?;
/// assert_eq!(std::fs::read_to_string(root.join("etc/motd"))?, "hello\n");
/// assert_eq!(report.files, 1);
///
/// // A layer whose bytes do not match its descriptor is refused.
/// let mut tampered = bytes.clone();
/// let last = tampered.len() - 1;
/// tampered[last] ^= 1;
/// let other = dir.path().join("other");
/// std::fs::create_dir(&other)?;
/// assert!(apply(&other, &tampered[..], &layer.descriptor, &layer.diff_id, &options).is_err());
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`LayerError`] saying what was wrong; the root may then hold part of the layer.
pub fn apply(
    root: &Path,
    layer: impl Read + Send,
    descriptor: &Descriptor,
    diff_id: &Digest,
    options: &ApplyOptions,
) -> Result<ApplyReport, LayerError> {
    apply::apply_layer(root, layer, descriptor, diff_id, options)
}

/// The error of an I/O `action` on the entry at `path` (relative to the root).
pub(crate) fn io_err<'p>(
    path: &'p [u8],
    action: &'static str,
) -> impl FnOnce(io::Error) -> LayerError + 'p {
    move |source| LayerError::Io {
        action,
        path: String::from_utf8_lossy(path).into_owned(),
        source,
    }
}

/// [`io_err`] for a system call's error number.
pub(crate) fn errno<'p>(
    path: &'p [u8],
    action: &'static str,
) -> impl FnOnce(Errno) -> LayerError + 'p {
    move |e| io_err(path, action)(e.into())
}
