//! Creating a layer from a directory, or from the difference between two directories.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use oci_image::{Compression, Descriptor, Digest, DigestWriter, Hasher, MediaType};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};

use super::LayerError;
use super::io_err;
use super::root::Root;

/// Settings of [`create`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CreateOptions {
    /// How to compress the tar stream. Default: gzip.
    pub compression: Compression,
    /// Compression level (gzip 0-9, zstd 1-22); default: each format's default.
    pub level: Option<i32>,
    /// Threads compressing at once. 1 (default) writes one gzip member; more split the
    /// stream into 1 MiB members compressed in parallel (readers handle multi-member
    /// gzip as one stream); zstd uses its own workers.
    pub threads: usize,
    /// Every entry's modification time, such as `SOURCE_DATE_EPOCH`, for reproducible
    /// layers. Default: the files' own.
    pub mtime: Option<i64>,
    /// Every entry's owner (uid, gid). Default: the files' own.
    pub owner: Option<(u64, u64)>,
    /// Record extended attributes. Default: yes.
    pub xattrs: bool,
}

impl Default for CreateOptions {
    fn default() -> Self {
        Self {
            compression: Compression::Gzip,
            level: None,
            threads: 1,
            mtime: None,
            owner: None,
            xattrs: true,
        }
    }
}

/// Setters, for building options outside this crate (the struct is `#[non_exhaustive]`,
/// so it has no literal there):
///
/// ```
/// use oci_image::Compression;
/// use oci_layout::layer::CreateOptions;
/// let options = CreateOptions::default().compression(Compression::Zstd).mtime(Some(0));
/// assert_eq!(options.compression, Compression::Zstd);
/// assert_eq!(options.mtime, Some(0));
/// ```
impl CreateOptions {
    /// Sets [`CreateOptions::compression`]: how to compress the tar stream.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Sets [`CreateOptions::level`]: the compression level.
    pub fn level(mut self, level: Option<i32>) -> Self {
        self.level = level;
        self
    }

    /// Sets [`CreateOptions::threads`]: threads compressing at once.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Sets [`CreateOptions::mtime`]: every entry's modification time.
    pub fn mtime(mut self, mtime: Option<i64>) -> Self {
        self.mtime = mtime;
        self
    }

    /// Sets [`CreateOptions::owner`]: every entry's owner (uid, gid).
    pub fn owner(mut self, owner: Option<(u64, u64)>) -> Self {
        self.owner = owner;
        self
    }

    /// Sets [`CreateOptions::xattrs`]: whether to record extended attributes.
    pub fn xattrs(mut self, xattrs: bool) -> Self {
        self.xattrs = xattrs;
        self
    }
}

/// A layer [`create`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatedLayer {
    /// The descriptor of the bytes written (OCI layer media type for the compression).
    pub descriptor: Descriptor,
    /// The digest of the uncompressed tar stream, for the configuration's `rootfs`.
    pub diff_id: Digest,
    /// Tar entries written (whiteouts included).
    pub entries: u64,
}

fn stat_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Option<Stat>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(st)),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn open_dir(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Whether an upper entry is unchanged from the lower one (type, mode, owner, size,
/// mtime, link target, device).
fn same(upper: &Stat, lower: &Stat, upper_link: Option<&[u8]>, lower_link: Option<&[u8]>) -> bool {
    upper.st_mode == lower.st_mode
        && upper.st_uid == lower.st_uid
        && upper.st_gid == lower.st_gid
        && upper.st_rdev == lower.st_rdev
        && (FileType::from_raw_mode(upper.st_mode) == FileType::Directory
            || (upper.st_size == lower.st_size
                && upper.st_mtime == lower.st_mtime
                && upper.st_mtime_nsec == lower.st_mtime_nsec))
        && upper_link == lower_link
}

/// Hashes everything written through it (the uncompressed tar stream: the diff_id).
struct TarSink<W> {
    inner: W,
    hasher: oci_image::Hasher,
}

impl<W: Write> Write for TarSink<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The walk: one tar builder over the upper tree, compared with an optional lower one.
struct Walker<'a, W: Write> {
    builder: tar::Builder<W>,
    options: &'a CreateOptions,
    hardlinks: HashMap<(u64, u64), Vec<u8>>,
    entries: u64,
}

impl<W: Write> Walker<'_, W> {
    fn header(&self, st: &Stat, kind: tar::EntryType, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(st.st_mode & 0o7777);
        let (uid, gid) = self.options.owner.unwrap_or((u64::from(st.st_uid), u64::from(st.st_gid)));
        h.set_uid(uid);
        h.set_gid(gid);
        let mtime = self.options.mtime.unwrap_or(st.st_mtime);
        h.set_mtime(u64::try_from(mtime).unwrap_or(0));
        h.set_size(size);
        h
    }

    fn xattrs(&mut self, fd: BorrowedFd<'_>, path: &[u8]) -> Result<(), LayerError> {
        if !self.options.xattrs {
            return Ok(());
        }
        let mut list = vec![0u8; 4096];
        let n = match rustix::fs::flistxattr(fd, &mut list) {
            Ok(n) => n,
            Err(rustix::io::Errno::NOTSUP | rustix::io::Errno::RANGE) => return Ok(()),
            Err(e) => return Err(io_err(path, "list xattrs of")(e.into())),
        };
        let mut records: Vec<(String, Vec<u8>)> = Vec::new();
        for name in list[..n].split(|&b| b == 0).filter(|n| !n.is_empty()) {
            let Ok(name) = std::str::from_utf8(name) else { continue };
            let mut value = vec![0u8; 65536];
            if let Ok(len) = rustix::fs::fgetxattr(fd, name, &mut value) {
                value.truncate(len);
                records.push((format!("SCHILY.xattr.{name}"), value));
            }
        }
        if !records.is_empty() {
            records.sort();
            self.builder
                .append_pax_extensions(records.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                .map_err(io_err(path, "write"))?;
        }
        Ok(())
    }

    fn entry(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &[u8],
        st: &Stat,
        path: &[u8],
    ) -> Result<(), LayerError> {
        let tar_path = String::from_utf8_lossy(path).into_owned();
        self.entries += 1;
        match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => {
                let fd = open_dir(dir, name).map_err(io_err(path, "open"))?;
                self.xattrs(fd.as_fd(), path)?;
                let mut h = self.header(st, tar::EntryType::Directory, 0);
                self.builder
                    .append_data(&mut h, format!("{tar_path}/"), io::empty())
                    .map_err(io_err(path, "write"))?;
            }
            FileType::RegularFile => {
                if st.st_nlink > 1 {
                    let key = (st.st_dev, st.st_ino);
                    if let Some(first) = self.hardlinks.get(&key) {
                        let mut h = self.header(st, tar::EntryType::Link, 0);
                        let first = String::from_utf8_lossy(first).into_owned();
                        self.builder
                            .append_link(&mut h, &tar_path, &first)
                            .map_err(io_err(path, "write"))?;
                        return Ok(());
                    }
                    self.hardlinks.insert(key, path.to_vec());
                }
                let fd = rustix::fs::openat(
                    dir,
                    name,
                    OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(|e| io_err(path, "open")(e.into()))?;
                self.xattrs(fd.as_fd(), path)?;
                let size = u64::try_from(st.st_size).unwrap_or(0);
                let mut h = self.header(st, tar::EntryType::Regular, size);
                let file = File::from(fd);
                let mut exact = ExactSize { inner: file.take(size), left: size };
                self.builder
                    .append_data(&mut h, &tar_path, &mut exact)
                    .map_err(io_err(path, "write"))?;
            }
            FileType::Symlink => {
                let target = rustix::fs::readlinkat(dir, name, Vec::new())
                    .map_err(|e| io_err(path, "read link")(e.into()))?;
                let target = String::from_utf8_lossy(target.as_bytes()).into_owned();
                let mut h = self.header(st, tar::EntryType::Symlink, 0);
                self.builder
                    .append_link(&mut h, &tar_path, &target)
                    .map_err(io_err(path, "write"))?;
            }
            kind @ (FileType::CharacterDevice | FileType::BlockDevice | FileType::Fifo) => {
                let entry_type = match kind {
                    FileType::CharacterDevice => tar::EntryType::Char,
                    FileType::BlockDevice => tar::EntryType::Block,
                    _ => tar::EntryType::Fifo,
                };
                let mut h = self.header(st, entry_type, 0);
                h.set_device_major(rustix::fs::major(st.st_rdev)).map_err(io_err(path, "write"))?;
                h.set_device_minor(rustix::fs::minor(st.st_rdev)).map_err(io_err(path, "write"))?;
                self.builder
                    .append_data(&mut h, &tar_path, io::empty())
                    .map_err(io_err(path, "write"))?;
            }
            _ => self.entries -= 1, // sockets and the like are not content
        }
        Ok(())
    }

    /// Emits `upper_dir` (at `prefix`) and what changed from `lower_dir`.
    fn walk(
        &mut self,
        upper: BorrowedFd<'_>,
        lower: Option<BorrowedFd<'_>>,
        prefix: &[u8],
    ) -> Result<(), LayerError> {
        let upper_names = crate::fs::list_bytes(upper).map_err(io_err(prefix, "list"))?;
        let set: BTreeSet<&[u8]> = upper_names.iter().map(Vec::as_slice).collect();
        let mut all: BTreeSet<Vec<u8>> = upper_names.iter().cloned().collect();
        let lower_names = match lower {
            Some(l) => crate::fs::list_bytes(l).map_err(io_err(prefix, "list lower"))?,
            None => Vec::new(),
        };
        all.extend(lower_names.iter().cloned());
        for name in all {
            let path =
                if prefix.is_empty() { name.clone() } else { [prefix, b"/", &name].concat() };
            let Some(lower_dir) = lower else {
                let st = stat_at(upper, &name)
                    .map_err(io_err(&path, "inspect"))?
                    .ok_or_else(|| io_err(&path, "inspect")(io::ErrorKind::NotFound.into()))?;
                self.entry(upper, &name, &st, &path)?;
                if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
                    let sub = open_dir(upper, &name).map_err(io_err(&path, "open"))?;
                    self.walk(sub.as_fd(), None, &path)?;
                }
                continue;
            };
            if !set.contains(name.as_slice()) {
                // Gone from the upper tree: a whiteout.
                self.entries += 1;
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(0);
                h.set_mtime(u64::try_from(self.options.mtime.unwrap_or(0)).unwrap_or(0));
                let white = if prefix.is_empty() {
                    [b".wh.", name.as_slice()].concat()
                } else {
                    [prefix, b"/.wh.", &name].concat()
                };
                self.builder
                    .append_data(&mut h, String::from_utf8_lossy(&white).as_ref(), io::empty())
                    .map_err(io_err(&white, "write"))?;
                continue;
            }
            let st = stat_at(upper, &name)
                .map_err(io_err(&path, "inspect"))?
                .ok_or_else(|| io_err(&path, "inspect")(io::ErrorKind::NotFound.into()))?;
            let lower_st = stat_at(lower_dir, &name).map_err(io_err(&path, "inspect lower"))?;
            let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
            let link = |d: BorrowedFd<'_>, s: &Stat| {
                (FileType::from_raw_mode(s.st_mode) == FileType::Symlink)
                    .then(|| {
                        rustix::fs::readlinkat(d, name.as_slice(), Vec::new())
                            .ok()
                            .map(|t| t.into_bytes())
                    })
                    .flatten()
            };
            let unchanged = lower_st.as_ref().is_some_and(|l| {
                same(&st, l, link(upper, &st).as_deref(), link(lower_dir, l).as_deref())
            });
            if !unchanged {
                self.entry(upper, &name, &st, &path)?;
            }
            if is_dir {
                let sub = open_dir(upper, &name).map_err(io_err(&path, "open"))?;
                let lower_sub = match &lower_st {
                    Some(l) if FileType::from_raw_mode(l.st_mode) == FileType::Directory => {
                        Some(open_dir(lower_dir, &name).map_err(io_err(&path, "open lower"))?)
                    }
                    _ => None,
                };
                match &lower_sub {
                    Some(l) => self.walk(sub.as_fd(), Some(l.as_fd()), &path)?,
                    // A directory new in upper (or replacing a non-directory): all of it.
                    None => self.walk(sub.as_fd(), None, &path)?,
                }
            }
        }
        Ok(())
    }
}

/// A reader that must yield exactly `left` bytes (a file that shrinks while being read
/// would otherwise corrupt the archive).
struct ExactSize<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for ExactSize<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank while it was read",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Writes the layer of directory `dir` (or, with `lower`, of what changed from `lower` to
/// `dir`, with whiteouts for what was removed) to `out`, compressed as `options` says.
/// Entries are sorted by name, so the same tree always gives the same bytes (with
/// `mtime` and `owner` fixed, whatever the machine). Returns the descriptor of what was
/// written and the diff_id, both computed in the same pass.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use oci_layout::layer::{CreateOptions, create};
///
/// let dir = tempfile::tempdir()?;
/// let (lower, upper) = (dir.path().join("lower"), dir.path().join("upper"));
/// for tree in [&lower, &upper] {
///     std::fs::create_dir(tree)?;
///     std::fs::write(tree.join("kept"), "same")?;
/// }
/// std::fs::write(lower.join("removed"), "gone in upper")?;
/// std::fs::write(upper.join("added"), "new")?;
/// // The diff from lower to upper: `added`, and a whiteout for `removed`.
/// let mut bytes = Vec::new();
/// let layer = create(&upper, Some(&lower), &mut bytes, &CreateOptions::default())?;
/// assert_eq!(layer.entries, 2);
/// assert_eq!(layer.descriptor.size, bytes.len() as u64);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`LayerError::Io`] for a file that cannot be read, or for `out`.
pub fn create(
    dir: &Path,
    lower: Option<&Path>,
    out: impl Write,
    options: &CreateOptions,
) -> Result<CreatedLayer, LayerError> {
    let upper = Root::open(dir).map_err(io_err(b"/", "open"))?;
    let lower = lower.map(Root::open).transpose().map_err(io_err(b"/", "open lower"))?;
    let compressed = DigestWriter::sha256(out);
    let level = options.level;
    let (compressed, tar_digest, entries) = match options.compression {
        Compression::Gzip if options.threads > 1 => {
            let parallel = ParallelGzip::new(compressed, options.threads, level);
            let (parallel, diff_id, entries) =
                write_tar(&upper, lower.as_ref(), parallel, options)?;
            (parallel.finish().map_err(io_err(b"/", "compress"))?, diff_id, entries)
        }
        Compression::Gzip => {
            let level = flate2::Compression::new(u32::try_from(level.unwrap_or(6)).unwrap_or(6));
            let gz = flate2::write::GzEncoder::new(compressed, level);
            let (gz, diff_id, entries) = write_tar(&upper, lower.as_ref(), gz, options)?;
            (gz.finish().map_err(io_err(b"/", "compress"))?, diff_id, entries)
        }
        Compression::Zstd => {
            let mut z = zstd::stream::write::Encoder::new(compressed, level.unwrap_or(3))
                .map_err(io_err(b"/", "compress"))?;
            if options.threads > 1 {
                z.multithread(u32::try_from(options.threads).unwrap_or(1))
                    .map_err(io_err(b"/", "compress"))?;
            }
            let (z, diff_id, entries) = write_tar(&upper, lower.as_ref(), z, options)?;
            (z.finish().map_err(io_err(b"/", "compress"))?, diff_id, entries)
        }
        _ => write_tar(&upper, lower.as_ref(), compressed, options)?,
    };
    let media_type = match options.compression {
        Compression::Gzip => MediaType::ImageLayerGzip,
        Compression::Zstd => MediaType::ImageLayerZstd,
        _ => MediaType::ImageLayer,
    };
    let (_, digest, size) = compressed.finish();
    Ok(CreatedLayer {
        descriptor: Descriptor::new(media_type, size, digest),
        diff_id: tar_digest,
        entries,
    })
}

fn write_tar<W: Write>(
    upper: &Root,
    lower: Option<&Root>,
    out: W,
    options: &CreateOptions,
) -> Result<(W, Digest, u64), LayerError> {
    let hasher = Hasher::sha256();
    let mut walker = Walker {
        builder: tar::Builder::new(TarSink { inner: out, hasher }),
        options,
        hardlinks: HashMap::new(),
        entries: 0,
    };
    walker.builder.mode(tar::HeaderMode::Complete);
    walker.walk(upper.fd(), lower.map(Root::fd), b"")?;
    let sink = walker.builder.into_inner().map_err(io_err(b"/", "write"))?;
    Ok((sink.inner, sink.hasher.finalize(), walker.entries))
}

/// gzip on several threads: the stream is cut into 1 MiB pieces, each compressed as its
/// own gzip member by a worker (with libdeflate), and written in order by the caller's
/// thread.
struct ParallelGzip<W: Write> {
    out: W,
    pending: Vec<u8>,
    sent: u64,
    written: u64,
    to_workers: Option<SyncSender<(u64, Vec<u8>)>>,
    from_workers: Receiver<(u64, io::Result<Vec<u8>>)>,
    waiting: HashMap<u64, Vec<u8>>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

const PIECE: usize = 1 << 20;

impl<W: Write> ParallelGzip<W> {
    fn new(out: W, threads: usize, level: Option<i32>) -> Self {
        // libdeflate: a piece at a time is all it needs, and it compresses about twice as
        // fast as zlib at the same level and ratio.
        let level =
            libdeflater::CompressionLvl::new(level.unwrap_or(6).clamp(0, 12)).unwrap_or_default();
        let (to_workers, from_main) = sync_channel::<(u64, Vec<u8>)>(threads);
        // Unbounded in channel terms, but bounded in fact: at most `threads` pieces are
        // handed out ahead of those written.
        let (to_writer, from_workers) = std::sync::mpsc::channel::<(u64, io::Result<Vec<u8>>)>();
        let from_main = Arc::new(Mutex::new(from_main));
        let workers = (0..threads)
            .map(|_| {
                let from_main = Arc::clone(&from_main);
                let to_writer = to_writer.clone();
                std::thread::spawn(move || {
                    let mut compressor = libdeflater::Compressor::new(level);
                    loop {
                        let next = from_main.lock().ok().and_then(|rx| rx.recv().ok());
                        let Some((seq, piece)) = next else { return };
                        let member = compress_member(&mut compressor, &piece);
                        if to_writer.send((seq, member)).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        Self {
            out,
            pending: Vec::with_capacity(PIECE),
            sent: 0,
            written: 0,
            to_workers: Some(to_workers),
            from_workers,
            waiting: HashMap::new(),
            workers,
        }
    }

    /// Waits for one compressed member and writes all that are next in order.
    fn collect_one(&mut self) -> io::Result<()> {
        let (seq, member) =
            self.from_workers.recv().map_err(|_| io::Error::other("compressor stopped"))?;
        self.waiting.insert(seq, member?);
        while let Some(member) = self.waiting.remove(&self.written) {
            self.out.write_all(&member)?;
            self.written += 1;
        }
        Ok(())
    }

    fn send(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        // Keep at most twice the workers' count of pieces in flight.
        while self.sent - self.written >= 2 * self.workers.len() as u64 {
            self.collect_one()?;
        }
        let piece = std::mem::replace(&mut self.pending, Vec::with_capacity(PIECE));
        let tx = self.to_workers.as_ref().ok_or_else(|| io::Error::other("compressor closed"))?;
        tx.send((self.sent, piece)).map_err(|_| io::Error::other("compressor stopped"))?;
        self.sent += 1;
        Ok(())
    }

    fn finish(mut self) -> io::Result<W> {
        self.send()?;
        while self.written < self.sent {
            self.collect_one()?;
        }
        drop(self.to_workers.take());
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        Ok(self.out)
    }
}

/// One gzip member holding `piece`.
fn compress_member(compressor: &mut libdeflater::Compressor, piece: &[u8]) -> io::Result<Vec<u8>> {
    let mut member = vec![0; compressor.gzip_compress_bound(piece.len())];
    let n = compressor
        .gzip_compress(piece, &mut member)
        .map_err(|e| io::Error::other(format!("gzip: {e}")))?;
    member.truncate(n);
    Ok(member)
}

impl<W: Write> Write for ParallelGzip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(PIECE - self.pending.len());
        self.pending.extend_from_slice(&buf[..n]);
        if self.pending.len() == PIECE {
            self.send()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
