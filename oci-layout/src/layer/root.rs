//! Resolving paths inside a root directory as if it were `/`, through directory handles.
//!
//! Every lookup starts at the root's handle. Symbolic links met on the way are followed
//! but can never leave the root: an absolute target restarts at the root, and `..` at the
//! root stays there. The kernel does this with `openat2(RESOLVE_IN_ROOT)` (Linux 5.6+);
//! elsewhere the same walk is done here one component at a time with `O_NOFOLLOW`.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::OnceLock;

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// Symbolic links followed in one lookup before giving up (as the kernel's limit).
const MAX_HOPS: usize = 40;

/// A root directory to resolve paths in.
#[derive(Debug)]
pub(crate) struct Root {
    fd: OwnedFd,
    openat2: bool,
}

fn has_openat2() -> bool {
    static PROBE: OnceLock<bool> = OnceLock::new();
    *PROBE.get_or_init(|| {
        rustix::fs::openat2(
            rustix::fs::CWD,
            ".",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::IN_ROOT,
        )
        .is_ok()
    })
}

impl Root {
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Self { fd, openat2: has_openat2() })
    }

    #[cfg(test)]
    pub(crate) fn without_openat2(mut self) -> Self {
        self.openat2 = false;
        self
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Opens the directory at `components` (each a plain name, no `.` or `..`), following
    /// symbolic links inside the root.
    pub(crate) fn open_dir(&self, components: &[&[u8]]) -> io::Result<OwnedFd> {
        if components.is_empty() {
            return Ok(rustix::fs::openat(
                self.fd(),
                ".",
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?);
        }
        if self.openat2 {
            let path = components.join(&b'/');
            return Ok(rustix::fs::openat2(
                self.fd(),
                path.as_slice(),
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
                ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
            )?);
        }
        self.walk(components)
    }

    /// The component-by-component fallback of [`Root::open_dir`].
    fn walk(&self, components: &[&[u8]]) -> io::Result<OwnedFd> {
        let root = || {
            rustix::fs::openat(
                self.fd(),
                ".",
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
        };
        // The directories from the root down to the current one (for `..`).
        let mut stack: Vec<OwnedFd> = vec![root()?];
        let mut queue: VecDeque<Vec<u8>> = components.iter().map(|c| c.to_vec()).collect();
        let mut hops = 0;
        while let Some(name) = queue.pop_front() {
            match name.as_slice() {
                b"" | b"." => continue,
                b".." => {
                    if stack.len() > 1 {
                        stack.pop();
                    }
                    continue;
                }
                _ => {}
            }
            let current = stack.last().ok_or_else(|| io::Error::other("empty resolution stack"))?;
            let fd = rustix::fs::openat(
                current,
                name.as_slice(),
                OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            let stat = rustix::fs::fstat(&fd)?;
            match FileType::from_raw_mode(stat.st_mode) {
                FileType::Directory => {
                    let dir = rustix::fs::openat(
                        current,
                        name.as_slice(),
                        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                        Mode::empty(),
                    )?;
                    stack.push(dir);
                }
                FileType::Symlink => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return Err(Errno::LOOP.into());
                    }
                    let target =
                        rustix::fs::readlinkat(current, name.as_slice(), Vec::new())?.into_bytes();
                    if target.first() == Some(&b'/') {
                        stack.truncate(1);
                    }
                    for part in target.split(|&b| b == b'/').rev() {
                        queue.push_front(part.to_vec());
                    }
                }
                _ => return Err(Errno::NOTDIR.into()),
            }
        }
        stack.pop().ok_or_else(|| io::Error::other("empty resolution stack"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ino(fd: &OwnedFd) -> u64 {
        rustix::fs::fstat(fd).map(|s| s.st_ino).unwrap_or(0)
    }

    #[test]
    fn links_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::os::unix::fs::symlink("usr/lib", root.join("lib")).unwrap();
        std::os::unix::fs::symlink("/usr", root.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../../..", root.join("up")).unwrap();
        std::os::unix::fs::symlink("../outside", root.join("escape")).unwrap();
        std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
        for r in [Root::open(&root).unwrap(), Root::open(&root).unwrap().without_openat2()] {
            let usr_lib = r.open_dir(&[b"usr", b"lib"]).unwrap();
            assert_eq!(ino(&r.open_dir(&[b"lib"]).unwrap()), ino(&usr_lib));
            assert_eq!(ino(&r.open_dir(&[b"abs", b"lib"]).unwrap()), ino(&usr_lib));
            // `..` above the root stays at the root: `up` is the root itself.
            assert_eq!(ino(&r.open_dir(&[b"up"]).unwrap()), ino(&r.open_dir(&[]).unwrap()));
            // `../outside` exists beside the root, but resolves to the missing root/outside.
            assert!(r.open_dir(&[b"escape"]).is_err());
            assert!(r.open_dir(&[b"loop"]).is_err());
            assert!(r.open_dir(&[b"missing"]).is_err());
        }
    }
}
