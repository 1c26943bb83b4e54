//! File access beneath open directory handles: nothing is opened by a joined path string,
//! no symbolic link is followed, and files must be regular files.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

/// Prefix of temporary files; `.` keeps them out of the digest grammar, so a temporary
/// name can never be mistaken for a blob.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// Opens a directory the caller named (the layout root); the path itself is trusted.
pub(crate) fn open_root(path: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?)
}

/// Opens the directory `name` directly beneath `dir`, refusing a symbolic link.
pub(crate) fn open_dir(dir: BorrowedFd<'_>, name: &str) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Creates (if missing) and opens the directory `name` beneath `dir`.
pub(crate) fn ensure_dir(dir: BorrowedFd<'_>, name: &str) -> io::Result<OwnedFd> {
    match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o755)) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(e.into()),
    }
    open_dir(dir, name)
}

/// Opens the regular file `name` beneath `dir` for reading; a symbolic link, a device or
/// anything else that is not a regular file is refused with `InvalidData`.
pub(crate) fn open_regular(dir: BorrowedFd<'_>, name: &str) -> io::Result<File> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )
    .map_err(|e| {
        if e == Errno::LOOP {
            io::Error::new(io::ErrorKind::InvalidData, "is a symbolic link")
        } else {
            e.into()
        }
    })?;
    let stat = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "not a regular file"));
    }
    Ok(File::from(fd))
}

/// Size of the regular file `name` beneath `dir`, `None` if it does not exist. Symbolic
/// links and other types are errors.
pub(crate) fn regular_size(dir: BorrowedFd<'_>, name: &str) -> io::Result<Option<u64>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile => {
            Ok(Some(u64::try_from(stat.st_size).unwrap_or(0)))
        }
        Ok(_) => Err(io::Error::new(io::ErrorKind::InvalidData, "not a regular file")),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Modification time of `name` beneath `dir`, in seconds since the epoch.
pub(crate) fn mtime(dir: BorrowedFd<'_>, name: &str) -> io::Result<i64> {
    Ok(rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?.st_mtime)
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates a new temporary file beneath `dir` and takes a shared lock on it, which tells
/// garbage collection that a writer is alive. Returns the file and its name.
pub(crate) fn create_temp(dir: BorrowedFd<'_>) -> io::Result<(File, String)> {
    loop {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "{TEMP_PREFIX}{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        match rustix::fs::openat(
            dir,
            name.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        ) {
            Ok(fd) => {
                rustix::fs::flock(&fd, FlockOperation::LockShared)?;
                return Ok((File::from(fd), name));
            }
            Err(Errno::EXIST) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether a temporary file is held by a live writer (its shared lock is taken).
pub(crate) fn temp_in_use(dir: BorrowedFd<'_>, name: &str) -> io::Result<bool> {
    let fd = match rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(false),
        Err(Errno::WOULDBLOCK) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

/// Renames `from` to `to` within `dir` unless `to` exists; `Ok(false)` if it did (and
/// `from` is left for the caller to remove).
pub(crate) fn rename_noreplace(dir: BorrowedFd<'_>, from: &str, to: &str) -> io::Result<bool> {
    match rustix::fs::renameat_with(dir, from, dir, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(true),
        Err(Errno::EXIST) => Ok(false),
        // File systems without RENAME_NOREPLACE: check, then rename (content-addressed
        // names make a lost race harmless: both files hold the same bytes).
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
            if regular_size(dir, to)?.is_some() {
                return Ok(false);
            }
            rustix::fs::renameat(dir, from, dir, to)?;
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

/// Atomically replaces `to` with `from` within `dir`.
pub(crate) fn rename_replace(dir: BorrowedFd<'_>, from: &str, to: &str) -> io::Result<()> {
    Ok(rustix::fs::renameat(dir, from, dir, to)?)
}

/// Removes the file `name` beneath `dir`; `Ok(false)` if it did not exist.
pub(crate) fn unlink(dir: BorrowedFd<'_>, name: &str) -> io::Result<bool> {
    match rustix::fs::unlinkat(dir, name, AtFlags::empty()) {
        Ok(()) => Ok(true),
        Err(Errno::NOENT) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Flushes a directory's entries to disk (after a rename into it).
pub(crate) fn sync_dir(dir: BorrowedFd<'_>) -> io::Result<()> {
    Ok(rustix::fs::fsync(dir)?)
}

/// The names in a directory as bytes, without `.` and `..`, sorted.
pub(crate) fn list_bytes(dir: BorrowedFd<'_>) -> io::Result<Vec<Vec<u8>>> {
    let fd = rustix::fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::new(fd)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(name.to_vec());
        }
    }
    names.sort();
    Ok(names)
}

/// The names in a directory, without `.` and `..`, sorted (non-UTF-8 bytes replaced).
pub(crate) fn list(dir: BorrowedFd<'_>) -> io::Result<Vec<String>> {
    Ok(list_bytes(dir)?.into_iter().map(|n| String::from_utf8_lossy(&n).into_owned()).collect())
}

/// An exclusive lock on the file `name` beneath `dir` (created if missing), held until
/// the returned file is dropped. Blocks until the lock is free.
pub(crate) fn lock_exclusive(dir: BorrowedFd<'_>, name: &str) -> io::Result<File> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )?;
    rustix::fs::flock(&fd, FlockOperation::LockExclusive)?;
    Ok(File::from(fd))
}

/// Writes `bytes` to `name` beneath `dir` atomically: a temporary file, fsync, rename
/// over `name`, fsync of the directory.
pub(crate) fn write_atomic(dir: BorrowedFd<'_>, name: &str, bytes: &[u8]) -> io::Result<()> {
    let (mut file, temp) = create_temp(dir)?;
    let result = (|| {
        io::Write::write_all(&mut file, bytes)?;
        file.sync_all()?;
        rename_replace(dir, &temp, name)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = unlink(dir, &temp);
    }
    result
}

/// Borrowed descriptor of an owned one (shorthand).
pub(crate) fn fd(owned: &OwnedFd) -> BorrowedFd<'_> {
    owned.as_fd()
}
