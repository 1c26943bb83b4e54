//! Applying one layer to a root directory.

use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use oci_image::{Compression, Descriptor, Digest, Hasher, VerifyingReader};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timespec, Timestamps, XattrFlags};
use rustix::io::Errno;

use super::gzip::Gunzip;
use super::root::Root;
use super::tar::{Entry, Kind, Limits, TarReader};
use super::zstd_blocks::ZstdDecoder;
use super::{ApplyOptions, ApplyReport, LayerError};

const WHITEOUT: &[u8] = b".wh.";
const OPAQUE: &[u8] = b".wh..wh..opq";

#[derive(Debug, thiserror::Error)]
#[error("layer decompresses to more than {0} bytes")]
struct LimitExceeded(u64);

/// Compressed bytes in chunks from the thread that reads and verifies them.
struct Compressed {
    rx: Receiver<io::Result<Vec<u8>>>,
    /// Spent chunks, back to the reading thread to fill again.
    spent: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

/// `Read::read` for a reader whose `BufRead` side is the real one.
fn read_buffered(reader: &mut impl BufRead, buf: &mut [u8]) -> io::Result<usize> {
    let available = reader.fill_buf()?;
    let n = available.len().min(buf.len());
    buf[..n].copy_from_slice(&available[..n]);
    reader.consume(n);
    Ok(n)
}

impl Compressed {
    /// The next chunk as the reading thread sent it, for a layer with nothing to
    /// decompress: handed on whole rather than copied. `spent` buffers go back to the
    /// reading thread first, to be filled again.
    fn next_whole(&mut self, spent: &mut Vec<Vec<u8>>) -> io::Result<Option<Vec<u8>>> {
        for buffer in spent.drain(..) {
            let _ = self.spent.try_send(buffer);
        }
        if self.pos < self.current.len() {
            let rest = self.current[self.pos..].to_vec();
            self.pos = self.current.len();
            return Ok(Some(rest));
        }
        match self.rx.recv() {
            Ok(chunk) => chunk.map(Some),
            // The reading thread is done: the stream is complete.
            Err(_) => Ok(None),
        }
    }
}

impl Read for Compressed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, buf)
    }
}

impl BufRead for Compressed {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.current.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    let spent = std::mem::replace(&mut self.current, chunk?);
                    // Refilling a buffer costs less than zeroing a new one; if the reading
                    // thread has enough, or is gone, this one is dropped.
                    let _ = self.spent.try_send(spent);
                    self.pos = 0;
                }
                // The reading thread is done: the stream is complete.
                Err(_) => break,
            }
        }
        Ok(&self.current[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.current.len());
    }
}

/// Compressed bytes read from the layer at a time.
const READ_CHUNK: usize = 256 << 10;
/// Compressed chunks in flight.
const READ_DEPTH: usize = 4;

/// The thread that reads the layer: verifies it against its descriptor and hands it on,
/// `first` (already read) first. Reads to the end of the layer unless the decompressing
/// thread hangs up, and says whether the whole layer was read and verified. A read or
/// verification failure goes to the decompressing thread, which reports it.
fn read_compressed<R: Read>(
    mut verified: VerifyingReader<R>,
    first: Vec<u8>,
    tx: &SyncSender<io::Result<Vec<u8>>>,
    spent: &Receiver<Vec<u8>>,
) -> bool {
    let mut chunk = first;
    loop {
        if chunk.is_empty() {
            return verified.is_verified();
        }
        if tx.send(Ok(chunk)).is_err() {
            return false;
        }
        chunk = spent.try_recv().unwrap_or_default();
        if let Err(e) = read_chunk(&mut verified, &mut chunk, READ_CHUNK) {
            let _ = tx.send(Err(e));
            return false;
        }
    }
}

/// Fills `chunk` with up to `size` bytes, fewer only at the end of the stream. The
/// buffer's old content is overwritten, never zeroed first.
fn read_chunk(reader: &mut impl Read, chunk: &mut Vec<u8>, size: usize) -> io::Result<()> {
    chunk.resize(size, 0);
    let mut filled = 0;
    while filled < size {
        match reader.read(&mut chunk[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                chunk.truncate(filled);
                return Err(e);
            }
        }
    }
    chunk.truncate(filled);
    Ok(())
}

/// The compressed stream, decompressed.
#[allow(clippy::large_enum_variant, reason = "one per layer, on the stack of apply_layer")]
enum Decompressed {
    Plain(Compressed),
    Gzip(Gunzip<Compressed>),
    Zstd(ZstdDecoder<Compressed>),
}

impl Decompressed {
    /// The next chunk of the decompressed stream, `None` at its end, and never empty.
    /// Gzip fills a buffer from `free` if there is one; a plain layer hands on the reading
    /// thread's chunks (and `free` back to it); zstd hands out pieces of its own buffers.
    fn next_chunk(&mut self, free: &mut Vec<Vec<u8>>) -> io::Result<Option<Chunk>> {
        match self {
            Self::Zstd(r) => Ok(r.next_piece(CHUNK)?.map(Chunk::Shared)),
            Self::Plain(r) => Ok(r.next_whole(free)?.map(|b| Chunk::Owned(Arc::new(b)))),
            Self::Gzip(r) => {
                let mut buffer = free.pop().unwrap_or_default();
                read_chunk(r, &mut buffer, CHUNK)?;
                Ok((!buffer.is_empty()).then(|| Chunk::Owned(Arc::new(buffer))))
            }
        }
    }

    /// Reads whatever compressed bytes are left, so that the digest covers them and a
    /// failure to verify them shows here.
    fn finish(self) -> io::Result<()> {
        let mut rest = match self {
            Self::Plain(r) => r,
            Self::Gzip(r) => r.into_inner(),
            Self::Zstd(r) => r.into_inner(),
        };
        io::copy(&mut rest, &mut io::sink())?;
        Ok(())
    }
}

fn map_read(e: io::Error, descriptor: &Descriptor) -> LayerError {
    if let Some(v) = oci_image::VerifyError::from_io(&e) {
        return LayerError::Verify { digest: descriptor.digest.clone(), source: v.clone() };
    }
    if let Some(limit) = e.get_ref().and_then(|i| i.downcast_ref::<LimitExceeded>()) {
        return LayerError::Limit(limit.to_string());
    }
    LayerError::Read(e)
}

/// Peeks at the first bytes to check they agree with the media type.
fn check_magic(head: &[u8], compression: Compression) -> Result<(), LayerError> {
    const GZIP: &[u8] = &[0x1f, 0x8b];
    const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
    let found = if head.starts_with(GZIP) {
        Some(Compression::Gzip)
    } else if head.starts_with(ZSTD) {
        Some(Compression::Zstd)
    } else {
        None
    };
    match (compression, found) {
        (Compression::Gzip, Some(Compression::Gzip))
        | (Compression::Zstd, Some(Compression::Zstd)) => Ok(()),
        (Compression::None, None) => Ok(()),
        // An empty stream is checked by the digest alone.
        (_, None) if head.is_empty() => Ok(()),
        (expected, found) => Err(LayerError::Magic { expected, found }),
    }
}

/// Splits an entry name into components: leading `/` and `./` are dropped (names are
/// relative to the root), `.` components are skipped, `..` is refused.
fn components(path: &[u8]) -> Result<Vec<&[u8]>, LayerError> {
    let mut out = Vec::new();
    for c in path.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                return Err(LayerError::UnsafePath(String::from_utf8_lossy(path).into_owned()));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn join(components: &[&[u8]]) -> Vec<u8> {
    components.join(&b'/')
}

/// The components of a path [`join`] made (from checked components; the root is empty).
fn split(path: &[u8]) -> Vec<&[u8]> {
    path.split(|&b| b == b'/').filter(|c| !c.is_empty()).collect()
}

/// Who we create files as, to skip `fchown`/`fchmod` calls that would change nothing.
#[derive(Clone, Copy, Debug)]
struct Identity {
    uid: u32,
    gid: u32,
    umask: u32,
}

fn identity() -> Identity {
    static ID: std::sync::OnceLock<Identity> = std::sync::OnceLock::new();
    *ID.get_or_init(|| {
        // The umask can only be read by setting it (process-wide, racy), or from procfs.
        let umask = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines().find_map(|l| l.strip_prefix("Umask:").map(|v| v.trim().to_owned()))
            })
            .and_then(|v| u32::from_str_radix(&v, 8).ok())
            // Unknown: assume everything is masked, so that chmod is never skipped.
            .unwrap_or(0o777);
        Identity {
            uid: rustix::process::geteuid().as_raw(),
            gid: rustix::process::getegid().as_raw(),
            umask,
        }
    })
}

/// The state of one layer's application.
struct Applier<'a> {
    root: &'a Root,
    options: &'a ApplyOptions,
    report: ApplyReport,
    /// Paths this layer created (whiteouts never remove them) and their ancestors.
    added: HashSet<Vec<u8>>,
    ancestors: HashSet<Vec<u8>>,
    whiteouts: Vec<Vec<u8>>,
    opaque: Vec<Vec<u8>>,
    dir_times: Vec<(Vec<u8>, i64, u32)>,
    /// The last parent directory opened, by path: consecutive entries of one directory
    /// (the common case) skip resolving it again. Dropped whenever an entry could change
    /// what that path resolves to.
    cached_parent: Option<(Vec<u8>, Arc<OwnedFd>, DirId)>,
    /// Whether the current parent directory has the set-group-ID bit.
    parent_setgid: bool,
    identity: Identity,
    /// The second writing thread, for small files, when there is one.
    helper: Option<Helper>,
    /// Directories this layer created: empty then, so a name in one that the layer has
    /// not used is free.
    fresh: HashSet<DirId>,
    /// Every place in a fresh directory (directory and name, see [`place`]) this layer
    /// has created something at, by whatever path: whether a name there is still free.
    placed: HashSet<u64>,
    /// Whether permission bits bind us: not root, or told to act as if not. Then a
    /// directory we could not enter or write is held open (see [`Held`]).
    unprivileged: bool,
    /// Directories held open until the end of the layer.
    held: Vec<Held>,
}

/// A directory whose mode would shut its owner out (no owner read, write or search
/// bit, as `0000` or `0500`) while entries are still to be written into it, when
/// permission bits bind us: it is kept at `mode | 0700` while the layer is applied, and
/// given `mode` at the end, deepest first (as umoci applies such directories as
/// non-root). This covers a directory the layer declares, and one a lower layer left
/// shut that this layer writes into.
struct Held {
    path: Vec<u8>,
    id: DirId,
    mode: u32,
}

/// Whether a directory of this mode shuts its owner out.
fn shuts_owner_out(mode: u32) -> bool {
    mode & 0o700 != 0o700
}

pub(super) fn io_err<'p>(
    path: &'p [u8],
    action: &'static str,
) -> impl FnOnce(io::Error) -> LayerError + 'p {
    move |source| LayerError::Io {
        action,
        path: String::from_utf8_lossy(path).into_owned(),
        source,
    }
}

fn errno<'p>(path: &'p [u8], action: &'static str) -> impl FnOnce(Errno) -> LayerError + 'p {
    move |e| io_err(path, action)(e.into())
}

/// Removes `name` beneath `dir` whatever it is, never following a symbolic link. What is
/// already gone counts as removed.
fn remove_any(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    if unlink_unless_dir(dir, name)? { remove_tree(dir, name) } else { Ok(()) }
}

/// Unlinks `name` beneath `dir` unless it is a directory, and says whether it is one.
fn unlink_unless_dir(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<bool> {
    // Most names are not directories: one unlink does it, with no stat first.
    match rustix::fs::unlinkat(dir, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => Ok(false),
        // A directory (Linux says EISDIR, POSIX EPERM).
        Err(e @ (Errno::ISDIR | Errno::PERM)) => match file_type(dir, name)? {
            None => Ok(false),
            Some(FileType::Directory) => Ok(true),
            Some(_) => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// A directory being emptied: its handle, its name in its parent, and the entries left to
/// remove, with the types the directory reports for them.
struct Emptying {
    dir: rustix::fs::Dir,
    name: Vec<u8>,
    left: Vec<(Vec<u8>, FileType)>,
}

impl Emptying {
    /// Opens and lists the directory `name` beneath `dir`; `None` if it is gone. A
    /// directory that shuts its owner out (mode `0000`, say) is opened up first, so that
    /// anything this crate created can be removed without privilege.
    fn open(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Option<Self>> {
        let open = || {
            rustix::fs::openat(
                dir,
                name,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
        };
        let fd = match open() {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::ACCESS) if file_type(dir, name)? == Some(FileType::Directory) => {
                // By name: a directory (not a link) is there, in a tree being removed.
                rustix::fs::chmodat(dir, name, Mode::from_raw_mode(0o700), AtFlags::empty())?;
                open()?
            }
            Err(e) => return Err(e.into()),
        };
        let mut dir = rustix::fs::Dir::new(fd)?;
        let mut left = Vec::new();
        while let Some(entry) = dir.read() {
            let entry = entry?;
            let child = entry.file_name().to_bytes();
            if child != b"." && child != b".." {
                left.push((child.to_vec(), entry.file_type()));
            }
        }
        Ok(Some(Self { dir, name: name.to_vec(), left }))
    }
}

/// Removes the directory at `path` and everything in it, never following a symbolic link
/// and opening up directories that shut their owner out: what this crate created can be
/// removed without privilege. What is already gone counts as removed.
pub(crate) fn remove_all(path: &std::path::Path) -> io::Result<()> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Some(name) = path.file_name() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no name to remove"));
    };
    let dir = rustix::fs::open(
        parent,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    remove_any(dir.as_fd(), name.as_encoded_bytes())
}

/// Removes the directory `name` beneath `dir` and everything in it, depth first with a
/// stack of its own (a tree built through symbolic links can be deeper than any path).
fn remove_tree(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    let mut stack: Vec<Emptying> = Emptying::open(dir, name)?.into_iter().collect();
    while let Some(current) = stack.last_mut() {
        let next = match current.left.pop() {
            Some((child, kind)) => {
                let fd = current.dir.fd()?;
                // The type the directory reports saves a failed unlink; an unknown one
                // (a filesystem that does not say) is found out by trying.
                if kind == FileType::Directory || unlink_unless_dir(fd, &child)? {
                    Emptying::open(fd, &child)?
                } else {
                    None
                }
            }
            None => {
                let Some(done) = stack.pop() else { break };
                let parent = match stack.last() {
                    Some(up) => up.dir.fd()?,
                    None => dir,
                };
                match rustix::fs::unlinkat(parent, &done.name, AtFlags::REMOVEDIR) {
                    Ok(()) | Err(Errno::NOENT) => {}
                    Err(e) => return Err(e.into()),
                }
                None
            }
        };
        stack.extend(next);
    }
    Ok(())
}

fn file_type(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Option<FileType>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn timestamps(secs: i64, nsec: u32) -> Timestamps {
    let t = Timespec { tv_sec: secs, tv_nsec: i64::from(nsec) };
    Timestamps { last_access: t, last_modification: t }
}

impl<'a> Applier<'a> {
    fn new(root: &'a Root, options: &'a ApplyOptions) -> Self {
        Self {
            root,
            options,
            report: ApplyReport::default(),
            added: HashSet::new(),
            ancestors: HashSet::new(),
            whiteouts: Vec::new(),
            opaque: Vec::new(),
            dir_times: Vec::new(),
            cached_parent: None,
            parent_setgid: true,
            identity: identity(),
            helper: None,
            fresh: HashSet::new(),
            placed: HashSet::new(),
            unprivileged: options.rootless || identity().uid != 0,
            held: Vec::new(),
        }
    }

    /// The mode to give the directory `fd` (at `path`) now, for an entry recording `mode`:
    /// `mode` itself, or, when it would shut us out, `mode | 0700`, with `mode` held for
    /// the end of the layer.
    fn hold(&mut self, fd: BorrowedFd<'_>, mode: u32, path: &[u8]) -> Result<u32, LayerError> {
        if !self.unprivileged {
            return Ok(mode);
        }
        let st = rustix::fs::fstat(fd).map_err(errno(path, "inspect"))?;
        let id = (st.st_dev, st.st_ino);
        // The last entry for a directory decides its mode.
        self.held.retain(|h| h.id != id);
        if !shuts_owner_out(mode) {
            return Ok(mode);
        }
        self.held.push(Held { path: path.to_vec(), id, mode: mode & 0o7777 });
        Ok(mode | 0o700)
    }

    /// Opens every directory on the way to `parts` that shuts us out (left so by a lower
    /// layer), giving it `mode | 0700` and holding its mode for the end of the layer.
    /// Symbolic links on the way are left alone: what cannot be reached stays an error
    /// of the caller's next open.
    fn unlock(&mut self, parts: &[&[u8]]) -> Result<(), LayerError> {
        for i in 1..=parts.len() {
            let Ok(up) = self.root.open_dir(&parts[..i - 1]) else { return Ok(()) };
            let name = parts[i - 1];
            let Ok(st) = rustix::fs::statat(&up, name, AtFlags::SYMLINK_NOFOLLOW) else {
                return Ok(());
            };
            if FileType::from_raw_mode(st.st_mode) != FileType::Directory
                || !shuts_owner_out(st.st_mode)
            {
                continue;
            }
            let path = join(&parts[..i]);
            // By name: the statat above found a directory (not a link) there, in a tree
            // only this process writes.
            rustix::fs::chmodat(
                &up,
                name,
                Mode::from_raw_mode((st.st_mode | 0o700) & 0o7777),
                AtFlags::empty(),
            )
            .map_err(errno(&path, "open up"))?;
            self.held.push(Held { path, id: (st.st_dev, st.st_ino), mode: st.st_mode & 0o7777 });
        }
        Ok(())
    }

    /// [`Root::open_dir`], opening up directories that shut us out on the way.
    fn open_dir(&mut self, parts: &[&[u8]]) -> Result<OwnedFd, LayerError> {
        match self.root.open_dir(parts) {
            Err(e) if self.unprivileged && e.kind() == io::ErrorKind::PermissionDenied => {
                self.unlock(parts)?;
                self.root.open_dir(parts).map_err(io_err(&join(parts), "open"))
            }
            other => other.map_err(io_err(&join(parts), "open")),
        }
    }

    /// Gives every held directory its recorded mode, deepest first (so that each is
    /// still open while its children are done), if it is still the directory held.
    fn release(&mut self) -> Result<(), LayerError> {
        let mut held = std::mem::take(&mut self.held);
        held.sort_by_key(|h| std::cmp::Reverse(h.path.iter().filter(|&&b| b == b'/').count()));
        for h in held {
            let Ok(dir) = self.root.open_dir(&split(&h.path)) else { continue };
            let st = rustix::fs::fstat(&dir).map_err(errno(&h.path, "inspect"))?;
            if (st.st_dev, st.st_ino) == h.id {
                rustix::fs::fchmod(&dir, Mode::from_raw_mode(h.mode))
                    .map_err(errno(&h.path, "chmod"))?;
            }
        }
        Ok(())
    }

    fn mark_added(&mut self, parts: &[&[u8]]) {
        let path = join(parts);
        // Ancestors deepest first: once one is known, all above it are too.
        let mut end = path.len();
        while let Some(slash) = path[..end].iter().rposition(|&b| b == b'/') {
            if self.ancestors.contains(&path[..slash]) {
                break;
            }
            self.ancestors.insert(path[..slash].to_vec());
            end = slash;
        }
        self.added.insert(path);
    }

    fn skip(&mut self, what: String) {
        self.report.skipped_count += 1;
        if self.report.skipped.len() < 100 {
            self.report.skipped.push(what);
        }
    }

    /// Notes that the layer created something at `name` in `dir`: only names in fresh
    /// directories are asked about.
    fn mark_placed(&mut self, dir: DirId, name: &[u8]) {
        if self.fresh.contains(&dir) {
            self.placed.insert(place(dir, name));
        }
    }

    /// Waits until the helper has written every file queued for it.
    fn settle(&mut self) -> Result<(), LayerError> {
        match &mut self.helper {
            Some(helper) => helper.drain(),
            None => Ok(()),
        }
    }

    /// Opens (creating missing directories) the parent directory of `parts`, and says
    /// whether it created that directory.
    fn parent(&mut self, parts: &[&[u8]]) -> Result<(OwnedFd, bool), LayerError> {
        let parent = &parts[..parts.len() - 1];
        match self.root.open_dir(parent) {
            Ok(fd) => Ok((fd, false)),
            Err(e) if self.unprivileged && e.kind() == io::ErrorKind::PermissionDenied => {
                Ok((self.open_dir(parent)?, false))
            }
            Err(e) if matches!(e.raw_os_error(), Some(c) if c == Errno::NOENT.raw_os_error() || c == Errno::NOTDIR.raw_os_error()) =>
            {
                // What is missing, or in the way, may be a file the helper has yet to write.
                self.settle()?;
                // Create the missing (or replace the non-directory) ancestors, outermost first.
                let mut created = false;
                for i in 1..=parent.len() {
                    let up = self
                        .root
                        .open_dir(&parent[..i - 1])
                        .map_err(io_err(&join(&parent[..i]), "open"))?;
                    let name = parent[i - 1];
                    match file_type(up.as_fd(), name).map_err(io_err(name, "inspect"))? {
                        Some(FileType::Directory) => continue,
                        Some(FileType::Symlink) => {
                            // A link to a missing directory inside the root: refuse rather
                            // than guess where to create it.
                            if self.root.open_dir(&parent[..i]).is_ok() {
                                continue;
                            }
                            return Err(LayerError::UnsafePath(format!(
                                "{} is a symbolic link to a missing directory",
                                String::from_utf8_lossy(&join(&parent[..i]))
                            )));
                        }
                        Some(_) => remove_any(up.as_fd(), name).map_err(io_err(name, "replace"))?,
                        None => {}
                    }
                    rustix::fs::mkdirat(up.as_fd(), name, Mode::from_raw_mode(0o755))
                        .map_err(errno(name, "create directory"))?;
                    let st = rustix::fs::fstat(&up).map_err(errno(name, "inspect"))?;
                    self.mark_placed((st.st_dev, st.st_ino), name);
                    created = i == parent.len();
                    self.mark_added(&parent[..i]);
                }
                let fd = self.root.open_dir(parent).map_err(io_err(&join(parent), "open"))?;
                Ok((fd, created))
            }
            Err(e) => Err(io_err(&join(parent), "open")(e)),
        }
    }

    fn entry(&mut self, entry: &Entry, content: &mut dyn BufRead) -> Result<(), LayerError> {
        let parts = components(&entry.path)?;
        let Some((&name, _)) = parts.split_last() else {
            // The root itself: its metadata is the caller's, never the layer's, and it can
            // never be replaced (by a symlink, say).
            return Ok(());
        };
        if name.starts_with(WHITEOUT) {
            if name == OPAQUE {
                self.opaque.push(join(&parts[..parts.len() - 1]));
                self.report.whiteouts += 1;
                return Ok(());
            }
            let target = &name[WHITEOUT.len()..];
            if target.is_empty()
                || target == b"."
                || target == b".."
                || target.starts_with(WHITEOUT)
            {
                return Err(LayerError::UnsafePath(format!(
                    "invalid whiteout {:?}",
                    String::from_utf8_lossy(&entry.path)
                )));
            }
            let mut whited: Vec<&[u8]> = parts[..parts.len() - 1].to_vec();
            whited.push(target);
            self.whiteouts.push(join(&whited));
            self.report.whiteouts += 1;
            return Ok(());
        }
        let Some(kind) = entry.kind else {
            self.skip(format!("{}: unknown entry type", String::from_utf8_lossy(&entry.path)));
            return Ok(());
        };
        let path = join(&parts);
        let parent_path = join(&parts[..parts.len() - 1]);
        // An entry at or above the cached directory may change what its path resolves to.
        if let Some((cached, _, _)) = &self.cached_parent
            && cached.starts_with(&path)
            && (cached.len() == path.len() || cached[path.len()] == b'/')
        {
            self.cached_parent = None;
        }
        let (parent, inode) = match self.cached_parent.take() {
            Some((cached, fd, inode)) if cached == parent_path => (fd, inode),
            _ => {
                let (fd, created) = self.parent(&parts)?;
                let st = rustix::fs::fstat(&fd).map_err(errno(&parent_path, "inspect"))?;
                // New files in a set-group-ID directory take its group: chown them always.
                self.parent_setgid = st.st_mode & 0o2000 != 0;
                let id = (st.st_dev, st.st_ino);
                if created {
                    self.fresh.insert(id);
                }
                (Arc::new(fd), id)
            }
        };
        // An entry at the place of a queued small file, or a hard link (which may name
        // one), waits for the helper.
        if let Some(helper) = &mut self.helper
            && (kind == Kind::Hardlink || helper.is_queued(inode, name))
        {
            helper.drain()?;
        }
        let result = self.entry_in(&parent, inode, name, kind, entry, content, &parts, &path);
        self.mark_placed(inode, name);
        self.cached_parent = Some((parent_path, parent, inode));
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn entry_in(
        &mut self,
        parent: &Arc<OwnedFd>,
        inode: DirId,
        name: &[u8],
        kind: Kind,
        entry: &Entry,
        content: &mut dyn BufRead,
        parts: &[&[u8]],
        path: &[u8],
    ) -> Result<(), LayerError> {
        let path = path.to_vec();
        let dir = parent.as_fd();
        if kind == Kind::File {
            self.file(parent, inode, name, entry, content, &path)?;
            self.mark_added(parts);
            return Ok(());
        }
        let existing = file_type(dir, name).map_err(io_err(&path, "inspect"))?;
        if kind == Kind::Dir {
            let created = match existing {
                Some(FileType::Directory) => false,
                Some(_) => {
                    self.settle()?;
                    remove_any(dir, name).map_err(io_err(&path, "replace"))?;
                    rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o700))
                        .map_err(errno(&path, "create directory"))?;
                    true
                }
                None => {
                    rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o700))
                        .map_err(errno(&path, "create directory"))?;
                    true
                }
            };
            let open = || {
                rustix::fs::openat(
                    dir,
                    name,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
            };
            let fd = match open() {
                // A lower layer's directory that shuts us out.
                Err(Errno::ACCESS) if self.unprivileged => {
                    self.unlock(parts)?;
                    open()
                }
                other => other,
            }
            .map_err(errno(&path, "open"))?;
            if created {
                let st = rustix::fs::fstat(&fd).map_err(errno(&path, "inspect"))?;
                self.fresh.insert((st.st_dev, st.st_ino));
            }
            let mode = self.hold(fd.as_fd(), entry.mode, &path)?;
            self.metadata(fd.as_fd(), entry, mode, &path)?;
            self.dir_times.push((path.clone(), entry.mtime, entry.mtime_nsec));
            self.mark_added(parts);
            return Ok(());
        }
        // Everything else is a new inode: remove what is there first (a directory with its
        // content), never writing through an existing file or link.
        if existing.is_some() {
            // A directory's content may include files the helper is writing.
            self.settle()?;
            remove_any(dir, name).map_err(io_err(&path, "replace"))?;
        }
        match kind {
            Kind::Symlink => {
                rustix::fs::symlinkat(entry.link.as_slice(), dir, name)
                    .map_err(errno(&path, "create symbolic link"))?;
                self.owner_at(dir, name, entry, &path)?;
                rustix::fs::utimensat(
                    dir,
                    name,
                    &timestamps(entry.mtime, entry.mtime_nsec),
                    AtFlags::SYMLINK_NOFOLLOW,
                )
                .map_err(errno(&path, "set times of"))?;
            }
            Kind::Hardlink => {
                let target = components(&entry.link)?;
                let Some((&target_name, _)) = target.split_last() else {
                    return Err(LayerError::UnsafePath(format!(
                        "hard link {} to the root",
                        String::from_utf8_lossy(&path)
                    )));
                };
                let target_dir = self.open_dir(&target[..target.len() - 1])?;
                rustix::fs::linkat(target_dir.as_fd(), target_name, dir, name, AtFlags::empty())
                    .map_err(errno(&path, "create hard link"))?;
            }
            Kind::Char | Kind::Block | Kind::Fifo => self.special(dir, name, entry, kind, &path)?,
            Kind::Dir | Kind::File => {}
        }
        self.mark_added(parts);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn file(
        &mut self,
        parent: &Arc<OwnedFd>,
        inode: DirId,
        name: &[u8],
        entry: &Entry,
        content: &mut dyn BufRead,
        path: &[u8],
    ) -> Result<(), LayerError> {
        // The file is created with its final permission bits when the umask leaves them
        // intact and there are no set-ID or sticky bits (which chown would clear);
        // otherwise with 0600 and chmod'ed after chown.
        let id = self.identity;
        let plain = entry.mode & 0o7000 == 0 && entry.mode & id.umask == 0;
        let create_mode = if plain { entry.mode & 0o777 } else { 0o600 };
        // A new file is ours already when the entry's owner is who we are (and the
        // directory does not impose its group).
        let owned = self.options.rootless
            || (u64::from(id.uid) == entry.uid
                && u64::from(id.gid) == entry.gid
                && !self.parent_setgid);
        let simple = owned && plain && entry.xattrs.is_empty();
        let dir = parent.as_fd();
        // Only a new name in a directory this layer created, which nothing can be at
        // yet: the helper never replaces anything.
        if simple
            && entry.size <= SMALL_FILE
            && self.fresh.contains(&inode)
            && !self.placed.contains(&place(inode, name))
            && let Some(helper) = &mut self.helper
            && helper.has_room()
        {
            let mut data = Vec::with_capacity(entry.size as usize);
            content.read_to_end(&mut data).map_err(LayerError::Read)?;
            let small = SmallFile {
                dir: Arc::clone(parent),
                name: name.to_vec(),
                path: path.to_vec(),
                data,
                mode: create_mode,
                times: (entry.mtime, entry.mtime_nsec),
            };
            if let Err(small) = helper.send(inode, small) {
                // The helper is gone (it stopped on a failure, which `finish` reports).
                small.write()?;
            }
            self.report.files += 1;
            return Ok(());
        }
        let mut file = match create_file(dir, name, create_mode) {
            Err(Errno::EXIST) => {
                // Always a new inode: whatever is there (file, link, directory, with
                // files the helper is writing) is removed first.
                self.settle()?;
                remove_any(dir, name).map_err(io_err(path, "replace"))?;
                create_file(dir, name, create_mode)
            }
            other => other,
        }
        .map_err(errno(path, "create"))?;
        // Written straight from the decompressed chunks, without a copy.
        loop {
            let available = content.fill_buf().map_err(LayerError::Read)?;
            if available.is_empty() {
                break;
            }
            let n = available.len();
            file.write_all(available).map_err(io_err(path, "write"))?;
            content.consume(n);
        }
        if simple {
            // Nothing left to set but the times.
        } else {
            self.metadata(file.as_fd(), entry, entry.mode, path)?;
        }
        rustix::fs::futimens(&file, &timestamps(entry.mtime, entry.mtime_nsec))
            .map_err(errno(path, "set times of"))?;
        self.report.files += 1;
        Ok(())
    }

    fn special(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &[u8],
        entry: &Entry,
        kind: Kind,
        path: &[u8],
    ) -> Result<(), LayerError> {
        let file_type = match kind {
            Kind::Char => FileType::CharacterDevice,
            Kind::Block => FileType::BlockDevice,
            _ => FileType::Fifo,
        };
        let result = rustix::fs::mknodat(
            dir,
            name,
            file_type,
            Mode::from_raw_mode(0o600),
            rustix::fs::makedev(entry.dev_major, entry.dev_minor),
        );
        match result {
            Ok(()) => {}
            Err(Errno::PERM) if self.options.rootless && kind != Kind::Fifo => {
                // Rootless: an empty placeholder file, as umoci does.
                let fd = rustix::fs::openat(
                    dir,
                    name,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )
                .map_err(errno(path, "create"))?;
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(entry.mode & 0o777))
                    .map_err(errno(path, "chmod"))?;
                self.skip(format!(
                    "{}: device replaced by an empty file (rootless)",
                    String::from_utf8_lossy(path)
                ));
                return Ok(());
            }
            Err(e) => return Err(errno(path, "create device")(e)),
        }
        let fd = rustix::fs::openat(
            dir,
            name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(errno(path, "open"))?;
        // Metadata through /proc-free calls: chown and chmod by name without following.
        self.owner_at(dir, name, entry, path)?;
        rustix::fs::chmodat(dir, name, Mode::from_raw_mode(entry.mode), AtFlags::empty())
            .map_err(errno(path, "chmod"))?;
        drop(fd);
        rustix::fs::utimensat(
            dir,
            name,
            &timestamps(entry.mtime, entry.mtime_nsec),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(errno(path, "set times of"))?;
        Ok(())
    }

    fn ids(
        &self,
        entry: &Entry,
        path: &[u8],
    ) -> Result<(rustix::fs::Uid, rustix::fs::Gid), LayerError> {
        let uid = u32::try_from(entry.uid).map_err(|_| {
            LayerError::Tar(format!("{}: uid too large", String::from_utf8_lossy(path)))
        })?;
        let gid = u32::try_from(entry.gid).map_err(|_| {
            LayerError::Tar(format!("{}: gid too large", String::from_utf8_lossy(path)))
        })?;
        Ok((rustix::fs::Uid::from_raw(uid), rustix::fs::Gid::from_raw(gid)))
    }

    fn owner_at(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &[u8],
        entry: &Entry,
        path: &[u8],
    ) -> Result<(), LayerError> {
        if self.options.rootless {
            return Ok(());
        }
        let (uid, gid) = self.ids(entry, path)?;
        rustix::fs::chownat(dir, name, Some(uid), Some(gid), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(errno(path, "chown"))
    }

    /// Owner, `mode` and xattrs of a file or directory we opened ourselves (never a link).
    fn metadata(
        &mut self,
        fd: BorrowedFd<'_>,
        entry: &Entry,
        mode: u32,
        path: &[u8],
    ) -> Result<(), LayerError> {
        if !self.options.rootless {
            let (uid, gid) = self.ids(entry, path)?;
            // Before chmod: chown clears set-user-ID and set-group-ID bits.
            rustix::fs::fchown(fd, Some(uid), Some(gid)).map_err(errno(path, "chown"))?;
        }
        rustix::fs::fchmod(fd, Mode::from_raw_mode(mode)).map_err(errno(path, "chmod"))?;
        for (key, value) in &entry.xattrs {
            let privileged = key.starts_with("security.") || key.starts_with("trusted.");
            if privileged && self.options.rootless {
                self.skip(format!(
                    "{}: xattr {key} not applied (rootless)",
                    String::from_utf8_lossy(path)
                ));
                continue;
            }
            match rustix::fs::fsetxattr(fd, key.as_str(), value, XattrFlags::empty()) {
                Ok(()) => {}
                Err(Errno::NOTSUP | Errno::PERM) => {
                    self.skip(format!(
                        "{}: xattr {key} not supported here",
                        String::from_utf8_lossy(path)
                    ));
                }
                Err(e) => return Err(errno(path, "set xattr on")(e)),
            }
        }
        Ok(())
    }

    /// Whiteouts and opaque directories, applied after every entry so that nothing the
    /// layer itself adds is removed, whatever the order of entries.
    fn finish(&mut self) -> Result<(), LayerError> {
        if let Some(helper) = &mut self.helper {
            helper.drain()?;
        }
        let opaque = std::mem::take(&mut self.opaque);
        let whiteouts = std::mem::take(&mut self.whiteouts);
        if self.unprivileged {
            // Open up the directories whiteouts reach into that a lower layer left shut
            // (the removal below treats what it cannot open as gone).
            let mut last: Option<&[u8]> = None;
            let parents = whiteouts.iter().map(|p| match p.iter().rposition(|&b| b == b'/') {
                Some(i) => &p[..i],
                None => &p[..0],
            });
            for dir in opaque.iter().map(Vec::as_slice).chain(parents) {
                if last == Some(dir) {
                    continue;
                }
                last = Some(dir);
                let parts = split(dir);
                if let Err(e) = self.root.open_dir(&parts)
                    && e.kind() == io::ErrorKind::PermissionDenied
                {
                    self.unlock(&parts)?;
                }
            }
        }
        if !opaque.is_empty() || !whiteouts.is_empty() {
            let keep = Keep { added: &self.added, ancestors: &self.ancestors };
            let root = self.root;
            let (tx, rx) = sync_channel(REAP_BACKLOG);
            let queue = Mutex::new(rx);
            std::thread::scope(|scope| {
                let reaper = scope.spawn(|| reap(&queue));
                // Ends (and drops the sender, letting the reapers finish) before they do.
                let removed =
                    remove_lower_content(root, &keep, Trash { queue: tx }, &opaque, &whiteouts);
                // Then the writer helps empty what is left.
                let helped = reap(&queue);
                let reaped = reaper.join().unwrap_or_else(|_| {
                    Err(LayerError::Read(io::Error::other(
                        "the thread removing whiteouts panicked",
                    )))
                });
                removed.and(helped).and(reaped)
            })?;
        }
        // Directory times last, deepest first, since writing children changes them.
        let mut times = std::mem::take(&mut self.dir_times);
        times.sort_by_key(|(p, _, _)| std::cmp::Reverse(p.iter().filter(|&&b| b == b'/').count()));
        for (path, secs, nsec) in times {
            if let Ok(dir) = self.root.open_dir(&split(&path)) {
                rustix::fs::futimens(&dir, &timestamps(secs, nsec))
                    .map_err(errno(&path, "set times of"))?;
            }
        }
        // Modes last: a directory shut again cannot be opened for its times.
        self.release()
    }
}

/// What a layer added, which its whiteouts never remove: the paths it created, and their
/// ancestors.
struct Keep<'s> {
    added: &'s HashSet<Vec<u8>>,
    ancestors: &'s HashSet<Vec<u8>>,
}

/// A lower directory tree a whiteout removes, renamed aside in its parent: the parent, the
/// name it has now, and its path before (for messages).
type Removal = (OwnedFd, String, Vec<u8>);

/// Where whiteouts put the lower directory trees they remove. Each is renamed aside at
/// once, in its own directory (one rename, so no later whiteout can reach into it by its
/// old path, exactly as if it were gone), and a second thread empties and removes it
/// meanwhile. So the result is the one of removing in archive order, and the bulk of the
/// work (every file of every tree) runs beside the rest.
struct Trash {
    queue: SyncSender<Removal>,
}

/// Trees set aside and not yet removed, at most: each holds a handle on its parent.
const REAP_BACKLOG: usize = 64;

/// Names tried for one tree set aside, before removing it in place.
const TRASH_TRIES: u32 = 8;

impl Trash {
    /// Removes `name` beneath `dir` whatever it is, never following a symbolic link;
    /// a directory is renamed aside for the reaper.
    fn remove(&self, dir: BorrowedFd<'_>, name: &[u8], path: &[u8]) -> Result<(), LayerError> {
        if !unlink_unless_dir(dir, name).map_err(io_err(path, "remove"))? {
            return Ok(());
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        for _ in 0..TRASH_TRIES {
            let aside = format!(
                ".oci-removing-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            match rustix::fs::renameat_with(
                dir,
                name,
                dir,
                aside.as_str(),
                rustix::fs::RenameFlags::NOREPLACE,
            ) {
                Ok(()) => {
                    let parent = dir.try_clone_to_owned().map_err(io_err(path, "remove"))?;
                    // With the reaper behind, the writer removes this tree itself.
                    return match self.queue.try_send((parent, aside, path.to_vec())) {
                        Ok(()) => Ok(()),
                        Err(TrySendError::Full((parent, aside, _)))
                        | Err(TrySendError::Disconnected((parent, aside, _))) => {
                            remove_tree(parent.as_fd(), aside.as_bytes())
                                .map_err(io_err(path, "remove"))
                        }
                    };
                }
                Err(Errno::EXIST) => {}
                // No RENAME_NOREPLACE here, or the tree cannot move: remove it in place.
                Err(_) => break,
            }
        }
        remove_tree(dir, name).map_err(io_err(path, "remove"))
    }
}

/// A reaper: removes trees set aside until the queue is empty and every sender gone, and
/// reports the first failure.
fn reap(queue: &Mutex<Receiver<Removal>>) -> Result<(), LayerError> {
    let mut result = Ok(());
    loop {
        // The lock is held while waiting: the other reaper waits for the lock instead.
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok((parent, aside, path)) = next else { return result };
        if let Err(e) = remove_tree(parent.as_fd(), aside.as_bytes())
            && result.is_ok()
        {
            result = Err(io_err(&path, "remove")(e));
        }
    }
}

impl Keep<'_> {
    /// Removes what lower layers had at `path`, keeping whatever this layer added.
    fn remove_lower(
        &self,
        trash: &Trash,
        dir: BorrowedFd<'_>,
        name: &[u8],
        path: &[u8],
    ) -> Result<(), LayerError> {
        if !self.added.contains(path) && !self.ancestors.contains(path) {
            return trash.remove(dir, name, path);
        }
        if file_type(dir, name).map_err(io_err(path, "inspect"))? == Some(FileType::Directory) {
            let sub = rustix::fs::openat(
                dir,
                name,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(errno(path, "open"))?;
            for child in crate::fs::list_bytes(sub.as_fd()).map_err(io_err(path, "list"))? {
                let mut child_path = path.to_vec();
                child_path.push(b'/');
                child_path.extend_from_slice(&child);
                self.remove_lower(trash, sub.as_fd(), &child, &child_path)?;
            }
        }
        Ok(())
    }
}

/// Opaque directories, then whiteouts, in archive order: each path is resolved after the
/// removals before it, as if they were done one by one.
fn remove_lower_content(
    root: &Root,
    keep: &Keep<'_>,
    trash: Trash,
    opaque: &[Vec<u8>],
    whiteouts: &[Vec<u8>],
) -> Result<(), LayerError> {
    for dir_path in opaque {
        let Ok(dir) = root.open_dir(&split(dir_path)) else { continue };
        for child in crate::fs::list_bytes(dir.as_fd()).map_err(io_err(dir_path, "list"))? {
            let child_path = if dir_path.is_empty() {
                child.clone()
            } else {
                [dir_path.as_slice(), b"/", &child].concat()
            };
            keep.remove_lower(&trash, dir.as_fd(), &child, &child_path)?;
        }
    }
    // Whiteouts come in archive order, so mostly several in a row share a directory.
    let mut cached: Option<(&[u8], OwnedFd)> = None;
    for path in whiteouts {
        let (parent, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (&path[..0], path.as_slice()),
        };
        let dir = match cached.take() {
            Some((cached_path, fd)) if cached_path == parent => fd,
            _ => {
                match root.open_dir(&split(parent)) {
                    Ok(fd) => fd,
                    // Gone, or not a directory: nothing lower is left there.
                    Err(_) => continue,
                }
            }
        };
        keep.remove_lower(&trash, dir.as_fd(), name, path)?;
        // Removing `name` cannot change what the directory's path resolves to.
        cached = Some((parent, dir));
    }
    Ok(())
}

/// Creates `name` beneath `dir` as a new file, failing if anything is there.
fn create_file(dir: BorrowedFd<'_>, name: &[u8], mode: u32) -> Result<File, Errno> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(mode),
    )
    .map(File::from)
}

/// Files up to this size with nothing to set but their times may go to the helper.
const SMALL_FILE: u64 = 64 << 10;
/// Small files queued for the helper at most; beyond, the writer writes them itself.
const HELPER_BACKLOG: u64 = 16;

/// A directory, by device and inode number.
type DirId = (u64, u64);

/// A hash of a name in a directory. Two places with one hash only cost speed: a file
/// written by the writer rather than the helper, or a wait for the helper.
fn place(dir: DirId, name: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher as _};
    let mut h = std::hash::DefaultHasher::new();
    (dir, name).hash(&mut h);
    h.finish()
}

/// A small file for the helper to create.
struct SmallFile {
    dir: Arc<OwnedFd>,
    name: Vec<u8>,
    path: Vec<u8>,
    data: Vec<u8>,
    mode: u32,
    times: (i64, u32),
}

impl SmallFile {
    fn write(self) -> Result<(), LayerError> {
        let dir = self.dir.as_fd();
        // The name is new to its directory (the writer checked, by directory and name,
        // whatever path earlier entries took): there is nothing to replace.
        let mut file =
            create_file(dir, &self.name, self.mode).map_err(errno(&self.path, "create"))?;
        file.write_all(&self.data).map_err(io_err(&self.path, "write"))?;
        rustix::fs::futimens(&file, &timestamps(self.times.0, self.times.1))
            .map_err(errno(&self.path, "set times of"))
    }
}

/// What the helper has done: how many files, and its first failure.
#[derive(Default)]
struct HelperDone {
    count: u64,
    error: Option<LayerError>,
    /// Whether the writer waits for news (a wake-up costs a system call).
    waiting: bool,
}

type HelperShared = Arc<(Mutex<HelperDone>, std::sync::Condvar)>;

/// The writer's side of the helper: a second thread that creates small files, so that
/// the kernel's work for a directory of small files runs on both cores.
///
/// The result is the same as writing every file in archive order, because the writer
/// waits for the queue to empty before anything that could meet a queued file: an entry
/// at the same place (same directory inode and name, so a path through a symbolic link
/// counts too), a hard link, a parent directory to create or replace, anything to
/// remove (a directory may hold queued files), and the whiteouts at the end. The helper
/// itself replaces nothing: it gets only names in directories the layer created at which
/// the layer has created nothing yet (see `Applier::placed`).
struct Helper {
    tx: SyncSender<SmallFile>,
    shared: HelperShared,
    done: Arc<AtomicU64>,
    sent: u64,
    /// The place of each queued file.
    pending: HashSet<u64>,
}

impl Helper {
    fn has_room(&self) -> bool {
        self.sent - self.done.load(Ordering::Acquire) < HELPER_BACKLOG
    }

    fn is_queued(&self, dir: DirId, name: &[u8]) -> bool {
        !self.pending.is_empty() && self.pending.contains(&place(dir, name))
    }

    /// Queues `file`, or gives it back if the helper is gone.
    fn send(&mut self, dir: DirId, file: SmallFile) -> Result<(), SmallFile> {
        if self.done.load(Ordering::Acquire) == self.sent {
            // Everything queued is written: nothing left to meet.
            self.pending.clear();
        }
        let at = place(dir, &file.name);
        self.tx.send(file).map_err(|e| e.0)?;
        self.pending.insert(at);
        self.sent += 1;
        Ok(())
    }

    /// Waits until every queued file is written; the first failure, if any.
    fn drain(&mut self) -> Result<(), LayerError> {
        let (lock, ready) = &*self.shared;
        let mut done = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while done.count < self.sent && done.error.is_none() {
            done.waiting = true;
            done = ready.wait(done).unwrap_or_else(PoisonError::into_inner);
        }
        done.waiting = false;
        self.pending.clear();
        match done.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Reports a panic of the helper thread, so that the writer never waits for it forever.
struct PanicReport<'a>(&'a HelperShared);

impl Drop for PanicReport<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let (lock, ready) = &**self.0;
            let mut done = lock.lock().unwrap_or_else(PoisonError::into_inner);
            done.error.get_or_insert(LayerError::Read(io::Error::other(
                "the thread writing small files panicked",
            )));
            ready.notify_all();
        }
    }
}

/// The helper thread: creates the files it is sent until the writer hangs up.
fn help_write(rx: Receiver<SmallFile>, shared: HelperShared, count: Arc<AtomicU64>) {
    let _report = PanicReport(&shared);
    for file in rx {
        let result = file.write();
        let (lock, ready) = &*shared;
        let mut done = lock.lock().unwrap_or_else(PoisonError::into_inner);
        done.count += 1;
        count.store(done.count, Ordering::Release);
        let failed = result.is_err();
        if let Err(e) = result {
            done.error.get_or_insert(e);
        }
        if done.waiting {
            ready.notify_all();
        }
        if failed {
            // The layer fails: the writer learns why when it next waits, and writes
            // whatever it still has itself until then.
            return;
        }
    }
}

/// Decompressed chunks handed from the decompressing thread to the writing one.
const CHUNK: usize = 256 << 10;
/// Chunks in flight: bounds memory at `CHUNK * (DEPTH + 2)` whatever the layer size (plus,
/// for zstd, the decoder's two windows).
const DEPTH: usize = 8;

/// A chunk of the decompressed stream, shared by the writer (which applies it) and,
/// for hashing, the decompressing thread.
#[derive(Clone)]
enum Chunk {
    /// A buffer of its own, filled again once both are done with it.
    Owned(Arc<Vec<u8>>),
    /// A piece of the zstd decoder's buffers, which it reuses once every piece is gone.
    Shared(Bytes),
}

impl Default for Chunk {
    fn default() -> Self {
        Self::Owned(Arc::default())
    }
}

impl std::ops::Deref for Chunk {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Self::Owned(buffer) => buffer,
            Self::Shared(bytes) => bytes,
        }
    }
}

/// The diff_id hash, fed in stream order by whichever thread has time for it.
///
/// The writer hashes each chunk as it arrives unless that is done already. The
/// decompressing thread, when the writer falls behind (the queue is full), hashes the
/// oldest chunks still waiting in the queue instead of blocking. So the hash lands on the
/// less busy core: behind the writer for a layer of many small files, behind
/// decompression for one of a few big ones.
struct DiffIdHash {
    state: Mutex<HashState>,
    /// `state.next`, readable without the lock.
    next: AtomicU64,
}

struct HashState {
    hasher: Hasher,
    /// The index of the next chunk to hash: every chunk before it is hashed.
    next: u64,
}

impl DiffIdHash {
    fn new(hasher: Hasher) -> Self {
        Self { state: Mutex::new(HashState { hasher, next: 0 }), next: AtomicU64::new(0) }
    }

    fn lock(&self) -> MutexGuard<'_, HashState> {
        // Hashing cannot panic half-way in a way that matters: a poisoned state is whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hashes chunk `index` unless that is done already. Chunks come in order.
    fn feed(&self, index: u64, chunk: &[u8]) {
        let mut state = self.lock();
        if state.next == index {
            state.hasher.update(chunk);
            state.next += 1;
            self.next.store(state.next, Ordering::Release);
        }
    }

    /// The decompressing thread's side: hashes the oldest sent chunk not hashed yet, if it has
    /// one. Says whether it did.
    fn help(&self, sent: &VecDeque<(u64, Chunk)>) -> bool {
        let mut state = self.lock();
        let next = state.next;
        let Some((_, chunk)) = sent.iter().find(|(index, _)| *index == next) else {
            return false;
        };
        state.hasher.update(chunk);
        state.next += 1;
        self.next.store(state.next, Ordering::Release);
        true
    }

    /// Takes back the oldest sent chunks that are hashed and that the writer is done with,
    /// as buffers to fill again.
    fn reclaim(&self, sent: &mut VecDeque<(u64, Chunk)>, free: &mut Vec<Vec<u8>>) {
        let next = self.next.load(Ordering::Acquire);
        while let Some((index, chunk)) = sent.front() {
            if *index >= next || matches!(chunk, Chunk::Owned(b) if Arc::strong_count(b) > 1) {
                break;
            }
            if let Some((_, Chunk::Owned(chunk))) = sent.pop_front()
                && let Ok(buffer) = Arc::try_unwrap(chunk)
                && free.len() < 2
            {
                free.push(buffer);
            }
        }
    }

    fn finalize(self) -> Digest {
        self.state.into_inner().unwrap_or_else(PoisonError::into_inner).hasher.finalize()
    }
}

/// The writer's end of the pipeline: reads the chunks the decompressing thread sends, and
/// hashes those it has not hashed already.
struct Chunks<'h> {
    rx: Receiver<io::Result<Chunk>>,
    current: Chunk,
    received: u64,
    pos: usize,
    hash: &'h DiffIdHash,
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, buf)
    }
}

impl BufRead for Chunks<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.current.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.current = chunk?;
                    self.hash.feed(self.received, &self.current);
                    self.received += 1;
                    self.pos = 0;
                }
                // The sender is gone: the stream is complete.
                Err(_) => break,
            }
        }
        Ok(&self.current[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.current.len());
    }
}

/// The decompressing thread: decompresses the layer and sends the result on in chunks,
/// hashing some of them when the writer falls behind. Runs to the end of both streams
/// unless the writer hangs up, and returns the number of decompressed bytes.
fn produce(
    mut decompressed: Decompressed,
    limit: u64,
    tx: &SyncSender<io::Result<Chunk>>,
    hash: &DiffIdHash,
) -> io::Result<u64> {
    // Chunks sent that may not be hashed yet or that the writer still holds, oldest first:
    // at most the queue's depth plus the one the writer holds, since the writer lets go
    // of them in order.
    let mut sent: VecDeque<(u64, Chunk)> = VecDeque::with_capacity(DEPTH + 2);
    let mut free: Vec<Vec<u8>> = Vec::with_capacity(2);
    let mut index = 0u64;
    let mut count = 0u64;
    while let Some(chunk) = decompressed.next_chunk(&mut free)? {
        count += chunk.len() as u64;
        if count > limit {
            return Err(io::Error::other(LimitExceeded(limit)));
        }
        let mut item = Ok(chunk.clone());
        loop {
            match tx.try_send(item) {
                Ok(()) => break,
                Err(TrySendError::Disconnected(_)) => {
                    return Err(io::Error::other(WriterStopped));
                }
                Err(TrySendError::Full(back)) => {
                    // The writer is behind: take hashing off its hands rather than wait.
                    if hash.help(&sent) {
                        item = back;
                        continue;
                    }
                    if tx.send(back).is_err() {
                        return Err(io::Error::other(WriterStopped));
                    }
                    break;
                }
            }
        }
        sent.push_back((index, chunk));
        index += 1;
        hash.reclaim(&mut sent, &mut free);
    }
    decompressed.finish()?;
    Ok(count)
}

/// Applies one layer: see [`super::apply`]. Four threads overlap: one reads the layer
/// and checks its digest, one decompresses it, this one writes the files, and a helper
/// writes some of the small ones (see [`Helper`]); the diff_id is hashed by this one or
/// the decompressing one, whichever has time.
pub(crate) fn apply_layer(
    root: &Path,
    layer: impl Read + Send,
    descriptor: &Descriptor,
    diff_id: &Digest,
    options: &ApplyOptions,
) -> Result<ApplyReport, LayerError> {
    let compression = descriptor
        .media_type
        .layer_compression()
        .ok_or_else(|| LayerError::MediaType(descriptor.media_type.clone()))?;
    if descriptor.media_type.as_str().contains("encrypted") {
        return Err(LayerError::MediaType(descriptor.media_type.clone()));
    }
    let root = Root::open(root).map_err(io_err(b"/", "open"))?;
    let mut verified = VerifyingReader::new(layer, &descriptor.digest, descriptor.size)
        .map_err(|_| LayerError::Unsupported("the layer's digest algorithm"))?;
    let mut first = Vec::new();
    read_chunk(&mut verified, &mut first, READ_CHUNK).map_err(|e| map_read(e, descriptor))?;
    check_magic(&first[..first.len().min(4)], compression)?;
    let (compressed_tx, compressed_rx) = sync_channel(READ_DEPTH);
    let (spent_tx, spent_rx) = sync_channel(2);
    let compressed = Compressed { rx: compressed_rx, spent: spent_tx, current: Vec::new(), pos: 0 };
    let max_zstd_window_log = options.max_zstd_window_log;
    // Built on the decompressing thread: a gzip decoder reads the header as it is made.
    let decompress = move || -> io::Result<Decompressed> {
        Ok(match compression {
            Compression::Gzip => Decompressed::Gzip(Gunzip::new(compressed)),
            Compression::Zstd => {
                Decompressed::Zstd(ZstdDecoder::new(compressed, max_zstd_window_log)?)
            }
            _ => Decompressed::Plain(compressed),
        })
    };
    let hasher =
        diff_id.hasher().map_err(|_| LayerError::Unsupported("the diff_id's digest algorithm"))?;
    let limit = options.max_total_size;
    let hash = DiffIdHash::new(hasher);
    let written = std::thread::scope(|scope| {
        let reader =
            scope.spawn(move || read_compressed(verified, first, &compressed_tx, &spent_rx));
        let (tx, rx) = sync_channel(DEPTH);
        let hash = &hash;
        let producer = scope.spawn(move || {
            let result =
                decompress().and_then(|decompressed| produce(decompressed, limit, &tx, hash));
            if let Err(e) = &result {
                // Hand the failure to the writer too, so it stops at the same point.
                let _ = tx.send(Err(io::Error::new(e.kind(), ProducerFailed)));
            }
            result
        });
        let chunks = Chunks { rx, current: Chunk::default(), received: 0, pos: 0, hash };
        let written = write_entries(&root, chunks, options, descriptor);
        // Dropping the reader (inside write_entries) lets the producer end; its verdict
        // on the streams comes first, since a broken stream explains a broken archive.
        let uncompressed = producer
            .join()
            .map_err(|_| LayerError::Read(io::Error::other("the decompressing thread panicked")))?;
        let (report, entries, uncompressed) = match (written, uncompressed) {
            // The writer stopped first (an unsafe path, a write error): its reason stands.
            (Err(w), Err(p)) if p.get_ref().is_some_and(|i| i.is::<WriterStopped>()) => {
                return Err(w);
            }
            // A broken stream explains whatever the writer then saw.
            (_, Err(p)) => return Err(map_read(p, descriptor)),
            (Err(w), Ok(_)) => return Err(w),
            (Ok((report, entries)), Ok(uncompressed)) => (report, entries, uncompressed),
        };
        let compressed_verified = reader
            .join()
            .map_err(|_| LayerError::Read(io::Error::other("the reading thread panicked")))?;
        if !compressed_verified {
            return Err(LayerError::Verify {
                digest: descriptor.digest.clone(),
                source: oci_image::VerifyError::Size {
                    expected: descriptor.size,
                    actual: 0,
                    longer: false,
                },
            });
        }
        Ok((report, entries, uncompressed))
    });
    let (mut report, entries, uncompressed) = written?;
    // Both threads are done: every chunk is hashed, in order.
    let actual = hash.finalize();
    if actual != *diff_id {
        return Err(LayerError::DiffId { expected: diff_id.clone(), actual });
    }
    report.entries = entries;
    report.uncompressed_size = uncompressed;
    Ok(report)
}

#[derive(Debug, thiserror::Error)]
#[error("the layer stream failed")]
struct ProducerFailed;

#[derive(Debug, thiserror::Error)]
#[error("the writer stopped")]
struct WriterStopped;

/// The writing side: parses the tar stream and applies each entry, then drains the rest.
fn write_entries(
    root: &Root,
    chunks: Chunks<'_>,
    options: &ApplyOptions,
    descriptor: &Descriptor,
) -> Result<(ApplyReport, u64), LayerError> {
    let limits = Limits {
        max_header: options.max_header_size,
        max_path: options.max_path_len,
        max_file: options.max_file_size,
    };
    let mut tar = TarReader::new(chunks, limits);
    let applied = std::thread::scope(|scope| {
        let mut applier = Applier::new(root, options);
        let (tx, rx) = sync_channel(HELPER_BACKLOG as usize);
        let shared = HelperShared::default();
        let count = Arc::new(AtomicU64::new(0));
        let (s, c) = (Arc::clone(&shared), Arc::clone(&count));
        scope.spawn(move || help_write(rx, s, c));
        applier.helper = Some(Helper { tx, shared, done: count, sent: 0, pending: HashSet::new() });
        apply_entries(&mut tar, &mut applier, options, descriptor)
    })?;
    // Drain to the end so that trailing data is hashed too before the verdict.
    let mut rest = tar.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| map_read(e, descriptor))?;
    Ok(applied)
}

fn apply_entries(
    tar: &mut TarReader<Chunks<'_>>,
    applier: &mut Applier<'_>,
    options: &ApplyOptions,
    descriptor: &Descriptor,
) -> Result<(ApplyReport, u64), LayerError> {
    let mut entries = 0u64;
    loop {
        let entry = match tar.next_entry() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(LayerError::Read(e)) => return Err(map_read(e, descriptor)),
            Err(e) => return Err(e),
        };
        entries += 1;
        if entries > options.max_entries {
            return Err(LayerError::Limit(format!(
                "layer has more than {} entries",
                options.max_entries
            )));
        }
        match applier.entry(&entry, tar) {
            Err(LayerError::Read(e)) => return Err(map_read(e, descriptor)),
            other => other?,
        }
    }
    applier.finish()?;
    Ok((std::mem::take(&mut applier.report), entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_id_is_the_same_whichever_thread_hashes() {
        // Buffers of their own, and pieces of zstd's (the last two).
        let chunks: Vec<Chunk> = (0..8u8)
            .map(|i| vec![i; 1000 + usize::from(i)])
            .map(|v| if v[0] < 6 { Chunk::Owned(Arc::new(v)) } else { Chunk::Shared(v.into()) })
            .collect();
        let whole: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        let expected = Digest::sha256(&whole);
        // The decompressing thread helps with chunks 2 to 4 while the writer is behind; the
        // writer then receives every chunk and hashes only those not done.
        let hash = DiffIdHash::new(expected.hasher().unwrap());
        let mut sent: VecDeque<(u64, Chunk)> = VecDeque::new();
        let mut free = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            sent.push_back((i as u64, chunk.clone()));
            if i == 1 {
                // Nothing hashed yet: chunk 0 is the oldest, and it is the one helped with.
                assert!(hash.help(&sent));
            }
        }
        hash.feed(0, &chunks[0]);
        hash.feed(1, &chunks[1]);
        assert!(hash.help(&sent) && hash.help(&sent) && hash.help(&sent));
        for (i, chunk) in chunks.iter().enumerate() {
            hash.feed(i as u64, chunk);
        }
        assert!(!hash.help(&sent), "everything is hashed");
        // The writer still holds every chunk here (`chunks`): nothing is reclaimed.
        hash.reclaim(&mut sent, &mut free);
        assert_eq!(sent.len(), 8);
        assert!(free.is_empty());
        drop(chunks);
        hash.reclaim(&mut sent, &mut free);
        assert!(sent.is_empty());
        assert_eq!(free.len(), 2, "two buffers kept for reuse");
        assert_eq!(hash.finalize(), expected);
    }

    #[test]
    fn names() {
        assert_eq!(components(b"/a/./b//c/").unwrap(), vec![&b"a"[..], b"b", b"c"]);
        assert!(components(b"a/../b").is_err());
        assert!(components(b"./").unwrap().is_empty());
    }

    #[test]
    fn magic() {
        assert!(check_magic(&[0x1f, 0x8b, 8, 0], Compression::Gzip).is_ok());
        assert!(check_magic(&[0x1f, 0x8b, 8, 0], Compression::None).is_err());
        assert!(check_magic(b"usta", Compression::Gzip).is_err());
        assert!(check_magic(&[0x28, 0xb5, 0x2f, 0xfd], Compression::Zstd).is_ok());
        assert!(check_magic(&[0x28, 0xb5, 0x2f, 0xfd], Compression::Gzip).is_err());
        assert!(check_magic(&[], Compression::Gzip).is_ok());
    }
}
