//! The small-file helper: a second writing thread for the small files of a layer.

use std::collections::HashSet;
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};

use super::entry::{create_file, timestamps};
use crate::layer::{LayerError, errno, io_err};

/// Small files queued for the helper at most; beyond, the writer writes them itself.
pub(super) const HELPER_BACKLOG: u64 = 16;

/// A directory, by device and inode number.
pub(super) type DirId = (u64, u64);

/// A hash of a name in a directory. Two places with one hash only cost speed: a file
/// written by the writer rather than the helper, or a wait for the helper.
pub(super) fn place(dir: DirId, name: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher as _};
    let mut h = std::hash::DefaultHasher::new();
    (dir, name).hash(&mut h);
    h.finish()
}

/// A small file for the helper to create.
pub(super) struct SmallFile {
    pub(super) dir: Arc<OwnedFd>,
    pub(super) name: Vec<u8>,
    pub(super) path: Vec<u8>,
    pub(super) data: Vec<u8>,
    pub(super) mode: u32,
    pub(super) times: (i64, u32),
}

impl SmallFile {
    pub(super) fn write(self) -> Result<(), LayerError> {
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
pub(super) struct HelperDone {
    pub(super) count: u64,
    pub(super) error: Option<LayerError>,
    /// Whether the writer waits for news (a wake-up costs a system call).
    pub(super) waiting: bool,
}

pub(super) type HelperShared = Arc<(Mutex<HelperDone>, std::sync::Condvar)>;

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
pub(super) struct Helper {
    pub(super) tx: SyncSender<SmallFile>,
    pub(super) shared: HelperShared,
    pub(super) done: Arc<AtomicU64>,
    pub(super) sent: u64,
    /// The place of each queued file.
    pub(super) pending: HashSet<u64>,
}

impl Helper {
    pub(super) fn has_room(&self) -> bool {
        self.sent - self.done.load(Ordering::Acquire) < HELPER_BACKLOG
    }

    pub(super) fn is_queued(&self, dir: DirId, name: &[u8]) -> bool {
        !self.pending.is_empty() && self.pending.contains(&place(dir, name))
    }

    /// Queues `file`, or gives it back if the helper is gone.
    pub(super) fn send(&mut self, dir: DirId, file: SmallFile) -> Result<(), SmallFile> {
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
    pub(super) fn drain(&mut self) -> Result<(), LayerError> {
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
pub(super) struct PanicReport<'a>(&'a HelperShared);

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
pub(super) fn help_write(rx: Receiver<SmallFile>, shared: HelperShared, count: Arc<AtomicU64>) {
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
