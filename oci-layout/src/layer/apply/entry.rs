//! The per-entry applier: each tar entry of a layer made real beneath the root,
//! resolved through directory handles (see [`Root`]), with its owner, mode, times and
//! extended attributes; whiteouts are collected and applied at the end.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::mpsc::sync_channel;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timespec, Timestamps, XattrFlags};
use rustix::io::Errno;

use super::helper::{DirId, Helper, SmallFile, place};
use super::trash::{Keep, REAP_BACKLOG, Trash, file_type, reap, remove_any, remove_lower_content};
use super::{components, join, split};
use crate::layer::root::Root;
use crate::layer::tar::{Entry, Kind};
use crate::layer::{ApplyOptions, ApplyReport, LayerError, errno, io_err};

pub(super) const WHITEOUT: &[u8] = b".wh.";
pub(super) const OPAQUE: &[u8] = b".wh..wh..opq";

/// Who we create files as, to skip `fchown`/`fchmod` calls that would change nothing.
#[derive(Clone, Copy, Debug)]
pub(super) struct Identity {
    pub(super) uid: u32,
    pub(super) gid: u32,
    pub(super) umask: u32,
}

pub(super) fn identity() -> Identity {
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

/// Where an entry goes: its parent directory (open, shared with the helper), that
/// directory's identity, the entry's name in it, and its path from the root, whole and in
/// components.
#[derive(Clone, Copy)]
pub(super) struct Place<'p> {
    pub(super) parent: &'p Arc<OwnedFd>,
    pub(super) dir: DirId,
    pub(super) name: &'p [u8],
    pub(super) parts: &'p [&'p [u8]],
    pub(super) path: &'p [u8],
}

/// The state of one layer's application.
pub(super) struct Applier<'a> {
    pub(super) root: &'a Root,
    pub(super) options: &'a ApplyOptions,
    pub(super) report: ApplyReport,
    /// Paths this layer created (whiteouts never remove them) and their ancestors.
    pub(super) added: HashSet<Vec<u8>>,
    pub(super) ancestors: HashSet<Vec<u8>>,
    pub(super) whiteouts: Vec<Vec<u8>>,
    pub(super) opaque: Vec<Vec<u8>>,
    pub(super) dir_times: Vec<(Vec<u8>, i64, u32)>,
    /// The last parent directory opened, by path: consecutive entries of one directory
    /// (the common case) skip resolving it again. Dropped whenever an entry could change
    /// what that path resolves to.
    pub(super) cached_parent: Option<(Vec<u8>, Arc<OwnedFd>, DirId)>,
    /// Whether the current parent directory has the set-group-ID bit.
    pub(super) parent_setgid: bool,
    pub(super) identity: Identity,
    /// The second writing thread, for small files, when there is one.
    pub(super) helper: Option<Helper>,
    /// Directories this layer created: empty then, so a name in one that the layer has
    /// not used is free.
    pub(super) fresh: HashSet<DirId>,
    /// Every place in a fresh directory (directory and name, see [`place`]) this layer
    /// has created something at, by whatever path: whether a name there is still free.
    pub(super) placed: HashSet<u64>,
    /// Whether permission bits bind us: not root, or told to act as if not. Then a
    /// directory we could not enter or write is held open (see [`Held`]).
    pub(super) unprivileged: bool,
    /// Directories held open until the end of the layer.
    pub(super) held: Vec<Held>,
}

/// A directory whose mode would shut its owner out (no owner read, write or search
/// bit, as `0000` or `0500`) while entries are still to be written into it, when
/// permission bits bind us: it is kept at `mode | 0700` while the layer is applied, and
/// given `mode` at the end, deepest first (as umoci applies such directories as
/// non-root). This covers a directory the layer declares, and one a lower layer left
/// shut that this layer writes into.
pub(super) struct Held {
    pub(super) path: Vec<u8>,
    pub(super) id: DirId,
    pub(super) mode: u32,
}

/// Whether a directory of this mode shuts its owner out.
pub(super) fn shuts_owner_out(mode: u32) -> bool {
    mode & 0o700 != 0o700
}

pub(super) fn timestamps(secs: i64, nsec: u32) -> Timestamps {
    let t = Timespec { tv_sec: secs, tv_nsec: i64::from(nsec) };
    Timestamps { last_access: t, last_modification: t }
}

impl<'a> Applier<'a> {
    pub(super) fn new(root: &'a Root, options: &'a ApplyOptions) -> Self {
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

    pub(super) fn entry(
        &mut self,
        entry: &Entry,
        content: &mut dyn BufRead,
    ) -> Result<(), LayerError> {
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
        let place = Place { parent: &parent, dir: inode, name, parts: &parts, path: &path };
        let result = self.entry_in(&place, kind, entry, content);
        self.mark_placed(inode, name);
        self.cached_parent = Some((parent_path, parent, inode));
        result
    }

    /// Applies `entry` (of a known `kind`, not a whiteout) at `place`.
    fn entry_in(
        &mut self,
        place: &Place<'_>,
        kind: Kind,
        entry: &Entry,
        content: &mut dyn BufRead,
    ) -> Result<(), LayerError> {
        let Place { parent, name, parts, .. } = *place;
        let path = place.path.to_vec();
        let dir = parent.as_fd();
        if kind == Kind::File {
            self.file(place, entry, content)?;
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

    /// Writes the regular file `entry` at `place`, or queues it for the helper.
    fn file(
        &mut self,
        at: &Place<'_>,
        entry: &Entry,
        content: &mut dyn BufRead,
    ) -> Result<(), LayerError> {
        let Place { parent, dir: inode, name, path, .. } = *at;
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
    pub(super) fn finish(&mut self) -> Result<(), LayerError> {
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

/// Creates `name` beneath `dir` as a new file, failing if anything is there.
pub(super) fn create_file(dir: BorrowedFd<'_>, name: &[u8], mode: u32) -> Result<File, Errno> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(mode),
    )
    .map(File::from)
}

/// Files up to this size with nothing to set but their times may go to the helper.
pub(super) const SMALL_FILE: u64 = 64 << 10;
