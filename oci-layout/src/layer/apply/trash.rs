//! Whiteouts: what lower layers had at a whited-out path is removed, keeping what this
//! layer added. Directory trees are renamed aside at once and emptied by a reaper thread
//! meanwhile.

use std::collections::HashSet;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Mutex, PoisonError};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::split;
use crate::layer::root::Root;
use crate::layer::{LayerError, errno, io_err};

/// Removes `name` beneath `dir` whatever it is, never following a symbolic link. What is
/// already gone counts as removed.
pub(super) fn remove_any(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    if unlink_unless_dir(dir, name)? { remove_tree(dir, name) } else { Ok(()) }
}

/// Unlinks `name` beneath `dir` unless it is a directory, and says whether it is one.
pub(super) fn unlink_unless_dir(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<bool> {
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
pub(super) struct Emptying {
    pub(super) dir: rustix::fs::Dir,
    pub(super) name: Vec<u8>,
    pub(super) left: Vec<(Vec<u8>, FileType)>,
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
pub(super) fn remove_tree(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
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

pub(super) fn file_type(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Option<FileType>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What a layer added, which its whiteouts never remove: the paths it created, and their
/// ancestors.
pub(super) struct Keep<'s> {
    pub(super) added: &'s HashSet<Vec<u8>>,
    pub(super) ancestors: &'s HashSet<Vec<u8>>,
}

/// A lower directory tree a whiteout removes, renamed aside in its parent: the parent, the
/// name it has now, and its path before (for messages).
pub(super) type Removal = (OwnedFd, String, Vec<u8>);

/// Where whiteouts put the lower directory trees they remove. Each is renamed aside at
/// once, in its own directory (one rename, so no later whiteout can reach into it by its
/// old path, exactly as if it were gone), and a second thread empties and removes it
/// meanwhile. So the result is the one of removing in archive order, and the bulk of the
/// work (every file of every tree) runs beside the rest.
pub(super) struct Trash {
    pub(super) queue: SyncSender<Removal>,
}

/// Trees set aside and not yet removed, at most: each holds a handle on its parent.
pub(super) const REAP_BACKLOG: usize = 64;

/// Names tried for one tree set aside, before removing it in place.
pub(super) const TRASH_TRIES: u32 = 8;

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
pub(super) fn reap(queue: &Mutex<Receiver<Removal>>) -> Result<(), LayerError> {
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
pub(super) fn remove_lower_content(
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
