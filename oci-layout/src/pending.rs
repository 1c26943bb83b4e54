//! A layout created for something that may fail: removed again unless kept.

use std::ops::Deref;
use std::path::{Path, PathBuf};

use crate::fs::{self, fd};
use crate::store::{BLOBS_DIR, INDEX_FILE, LAYOUT_FILE, LOCK_FILE};
use crate::{Error, Layout};

/// What a [`PendingLayout`] removes when dropped unkept.
#[derive(Debug)]
enum Undo {
    /// The layout was there before: nothing.
    Nothing,
    /// The directory was there, empty: the layout's files in it.
    Contents,
    /// The directory was made (with this outermost missing ancestor): that ancestor.
    Directory(PathBuf),
}

/// A layout [`Layout::create_pending`] made, to be filled by something that may fail
/// (a copy, a pull): dropped without [`PendingLayout::keep`], it removes what it
/// created, so a failed copy to a new destination leaves nothing behind. A layout that
/// was already there is never removed. It dereferences to the [`Layout`].
#[derive(Debug)]
pub struct PendingLayout {
    layout: Option<Layout>,
    undo: Undo,
}

impl Layout {
    /// [`Layout::create`], returning a guard that removes the layout again unless kept:
    /// the directory (and any parents made for it) when it did not exist, the layout's
    /// files when it was an empty directory, and nothing when a layout was already there.
    ///
    /// # Errors
    /// As [`Layout::create`].
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("new/layout");
    /// let pending = oci_layout::Layout::create_pending(&path)?;
    /// assert!(pending.tags()?.is_empty());
    /// drop(pending); // the copy into it failed, say
    /// assert!(!dir.path().join("new").exists());
    /// let kept = oci_layout::Layout::create_pending(&path)?.keep();
    /// assert!(kept.path().join("index.json").exists());
    /// # Ok(()) }
    /// ```
    pub fn create_pending(path: impl AsRef<Path>) -> Result<PendingLayout, Error> {
        let path = path.as_ref();
        let outermost_missing = path
            .ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .take_while(|p| std::fs::symlink_metadata(p).is_err())
            .last()
            .map(Path::to_owned);
        let undo = match outermost_missing {
            Some(created) => Undo::Directory(created),
            None if fs::open_root(path)
                .ok()
                .and_then(|root| fs::list(fd(&root)).ok())
                .is_some_and(|names| names.is_empty()) =>
            {
                Undo::Contents
            }
            None => Undo::Nothing,
        };
        let layout = Self::create(path)?;
        Ok(PendingLayout { layout: Some(layout), undo })
    }
}

impl PendingLayout {
    /// Keeps the layout: it stays on disk when this guard is gone.
    pub fn keep(mut self) -> Layout {
        self.undo = Undo::Nothing;
        match self.layout.take() {
            Some(layout) => layout,
            // `layout` is only taken here, and `keep` consumes the guard.
            None => unreachable!("a pending layout holds its layout until kept"),
        }
    }
}

impl Deref for PendingLayout {
    type Target = Layout;

    fn deref(&self) -> &Layout {
        match &self.layout {
            Some(layout) => layout,
            None => unreachable!("a pending layout holds its layout until kept"),
        }
    }
}

impl Drop for PendingLayout {
    fn drop(&mut self) {
        let Some(layout) = self.layout.take() else { return };
        match &self.undo {
            Undo::Nothing => {}
            Undo::Directory(created) => {
                drop(layout);
                let _ = crate::layer::remove_all(created);
            }
            Undo::Contents => {
                let root = layout.path().to_owned();
                drop(layout);
                for name in [LAYOUT_FILE, INDEX_FILE, LOCK_FILE] {
                    let _ = std::fs::remove_file(root.join(name));
                }
                let _ = crate::layer::remove_all(&root.join(BLOBS_DIR));
                // Temporary files a writer left.
                if let Ok(entries) = std::fs::read_dir(&root) {
                    for entry in entries.flatten() {
                        if entry.file_name().to_string_lossy().starts_with(fs::TEMP_PREFIX) {
                            let _ = std::fs::remove_file(entry.path());
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use oci_image::MediaType;

    use super::*;

    #[test]
    fn issue17_an_unkept_layout_leaves_nothing_it_made() {
        let dir = tempfile::tempdir().unwrap();
        // New, with parents: all of it goes, blobs written meanwhile included.
        let path = dir.path().join("a/b/layout");
        let pending = Layout::create_pending(&path).unwrap();
        pending.put_bytes(MediaType::ImageLayer, b"partial").unwrap();
        drop(pending);
        assert!(!dir.path().join("a").exists());

        // An empty directory stays, empty.
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let pending = Layout::create_pending(&empty).unwrap();
        pending.put_bytes(MediaType::ImageLayer, b"partial").unwrap();
        drop(pending);
        assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);

        // A layout already there is never removed, kept or not.
        let existing = Layout::create(dir.path().join("existing")).unwrap();
        let blob = existing.put_bytes(MediaType::ImageLayer, b"old").unwrap();
        existing.tag(&blob, "old").unwrap();
        drop(Layout::create_pending(existing.path()).unwrap());
        assert_eq!(existing.resolve("old", None).unwrap().digest, blob.digest);

        // Kept, it stays.
        let kept = Layout::create_pending(dir.path().join("kept")).unwrap().keep();
        assert!(Layout::open(kept.path()).is_ok());
    }
}
