//! Garbage collection: remove what `index.json` no longer reaches.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oci_image::content::DEFAULT_MAX_DOCUMENT_SIZE;
use oci_image::{Descriptor, Digest, Document};

use crate::fs::{self, fd};
use crate::store::{BLOBS_DIR, LOCK_FILE};
use crate::{Error, Layout};

/// Settings of [`Layout::gc`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GcOptions {
    /// Unreachable blobs written more recently than this are kept: a writer may have
    /// stored them and not tagged them yet. Default: 10 minutes. Zero collects everything
    /// unreachable (only safe when no other process writes the layout).
    pub grace_period: Duration,
    /// Report what would be removed without removing it.
    pub dry_run: bool,
}

impl Default for GcOptions {
    fn default() -> Self {
        Self { grace_period: Duration::from_secs(600), dry_run: false }
    }
}

/// What [`Layout::gc`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GcReport {
    /// Blobs still reachable from `index.json` (with referrers).
    pub reachable: usize,
    /// Blobs removed (or, with `dry_run`, that would be).
    pub removed: Vec<Digest>,
    /// Bytes those blobs held.
    pub bytes_freed: u64,
    /// Unreachable blobs kept because they are younger than the grace period.
    pub kept_young: usize,
    /// Abandoned temporary files removed.
    pub temp_files_removed: usize,
}

impl Layout {
    /// Removes every blob that `index.json` no longer reaches, following indexes,
    /// manifests, configs, layers, subjects, and referrers (manifests whose subject is
    /// reachable), and temporary files no live writer holds. Runs under the `index.json`
    /// lock, so no tag changes meanwhile.
    ///
    /// # Errors
    /// [`Error::Document`] if a reachable manifest or index does not parse (nothing is
    /// removed then: its children would be unknown), or I/O errors.
    pub fn gc(&self, options: &GcOptions) -> Result<GcReport, Error> {
        let _lock = fs::lock_exclusive(fd(self.root_fd()), LOCK_FILE)
            .map_err(Error::io("lock", LOCK_FILE))?;
        let reachable = self.reachable()?;
        let mut report = GcReport { reachable: reachable.len(), ..GcReport::default() };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let horizon =
            i64::try_from(now.saturating_sub(options.grace_period.as_secs())).unwrap_or(i64::MAX);
        let young = |dir: &std::os::fd::OwnedFd, name: &str| {
            !options.grace_period.is_zero() && fs::mtime(fd(dir), name).is_ok_and(|t| t > horizon)
        };
        for algorithm in fs::list(fd(self.blobs_fd())).map_err(Error::io("list", BLOBS_DIR))? {
            let Ok(dir) = fs::open_dir(fd(self.blobs_fd()), &algorithm) else { continue };
            let dir_path = Path::new(BLOBS_DIR).join(&algorithm);
            for name in fs::list(fd(&dir)).map_err(Error::io("list", &dir_path))? {
                if name.starts_with(fs::TEMP_PREFIX) {
                    if !fs::temp_in_use(fd(&dir), &name)
                        .map_err(Error::io("lock", dir_path.join(&name)))?
                    {
                        if !options.dry_run {
                            fs::unlink(fd(&dir), &name)
                                .map_err(Error::io("remove", dir_path.join(&name)))?;
                        }
                        report.temp_files_removed += 1;
                    }
                    continue;
                }
                let Ok(digest) = format!("{algorithm}:{name}").parse::<Digest>() else { continue };
                if reachable.contains(&digest) {
                    continue;
                }
                if young(&dir, &name) {
                    report.kept_young += 1;
                    continue;
                }
                report.bytes_freed += fs::regular_size(fd(&dir), &name).ok().flatten().unwrap_or(0);
                if !options.dry_run {
                    fs::unlink(fd(&dir), &name)
                        .map_err(Error::io("remove", dir_path.join(&name)))?;
                }
                report.removed.push(digest);
            }
        }
        for name in fs::list(fd(self.root_fd())).map_err(Error::io("list", "."))? {
            if name.starts_with(fs::TEMP_PREFIX)
                && !fs::temp_in_use(fd(self.root_fd()), &name).map_err(Error::io("lock", &name))?
            {
                if !options.dry_run {
                    fs::unlink(fd(self.root_fd()), &name).map_err(Error::io("remove", &name))?;
                }
                report.temp_files_removed += 1;
            }
        }
        Ok(report)
    }

    /// Every digest reachable from `index.json`, referrers included. Missing blobs are
    /// tolerated (their children are unknown, and so cannot be kept); a document that is
    /// present but does not parse is an error.
    pub(crate) fn reachable(&self) -> Result<HashSet<Digest>, Error> {
        let mut reachable = HashSet::new();
        // Documents by digest and media type: a digest one edge names as a plain blob and
        // another as a manifest is a manifest, and its children are reachable.
        let mut expanded = HashSet::new();
        let mut pending: Vec<Descriptor> = self.index()?.manifests;
        let mut documents: Option<Vec<(Descriptor, Document)>> = None;
        loop {
            while let Some(descriptor) = pending.pop() {
                reachable.insert(descriptor.digest.clone());
                let media_type = &descriptor.media_type;
                if !media_type.is_document()
                    || !expanded.insert((descriptor.digest.clone(), media_type.clone()))
                {
                    continue;
                }
                let bytes = match self.read_blob_bytes(&descriptor, DEFAULT_MAX_DOCUMENT_SIZE) {
                    Ok(bytes) => bytes,
                    Err(Error::BlobNotFound(_)) => continue,
                    Err(e) => return Err(e),
                };
                let document = Document::parse(media_type, &bytes).map_err(|source| {
                    Error::Document { digest: descriptor.digest.clone(), source }
                })?;
                pending.extend(document.children().cloned());
            }
            // Referrers of anything reachable are reachable too; repeat until no new ones.
            let all = match &documents {
                Some(all) => all,
                None => documents.insert(self.documents()?),
            };
            let new: BTreeSet<(Digest, usize)> = all
                .iter()
                .enumerate()
                .filter(|(_, (d, doc))| {
                    !reachable.contains(&d.digest)
                        && doc.subject().is_some_and(|s| reachable.contains(&s.digest))
                })
                .map(|(i, (d, _))| (d.digest.clone(), i))
                .collect();
            if new.is_empty() {
                return Ok(reachable);
            }
            pending.extend(new.into_iter().map(|(_, i)| all[i].0.clone()));
        }
    }
}
