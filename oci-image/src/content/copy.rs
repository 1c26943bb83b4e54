//! Copying a whole graph between two stores.

use std::collections::HashSet;
use std::sync::Mutex;

use super::walk::{MAX_DEPTH, parse_document};
use super::{DEFAULT_MAX_DOCUMENT_SIZE, Error, Source, Target};
use crate::{Descriptor, Digest, Document, MediaType, Platform};

/// Which manifests of an index to copy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlatformSelection {
    /// The whole index with every manifest.
    #[default]
    All,
    /// Only the manifest that best matches this platform; the copy is that manifest, not
    /// the index (as `skopeo copy` without `--all` does).
    One(Platform),
}

/// Settings of [`copy`] and [`copy_graph`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CopyOptions {
    /// Which manifests of an index to copy. Default: all.
    pub platforms: PlatformSelection,
    /// Also copy the manifests that refer to each copied manifest (referrers, such as
    /// signatures and SBOMs), and theirs. Default: no.
    pub referrers: bool,
    /// Copy non-distributable layers that carry `urls` (by default they are left for the
    /// consumer to fetch from those URLs, as skopeo does).
    pub include_non_distributable: bool,
    /// Largest manifest or index accepted. Default: [`DEFAULT_MAX_DOCUMENT_SIZE`].
    pub max_document_size: u64,
    /// How many blobs are copied at once. Default: the number of CPUs (at least 2).
    pub concurrency: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            platforms: PlatformSelection::All,
            referrers: false,
            include_non_distributable: false,
            max_document_size: DEFAULT_MAX_DOCUMENT_SIZE,
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
        }
    }
}

impl CopyOptions {
    /// Copy only the manifest for `platform` out of an index.
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platforms = PlatformSelection::One(platform);
        self
    }
}

/// What a copy did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyStats {
    /// Blobs pushed to the target.
    pub blobs_copied: u64,
    /// Bytes pushed to the target.
    pub bytes_copied: u64,
    /// Blobs (with everything below them) the target already held.
    pub blobs_skipped: u64,
    /// Non-distributable layers left out.
    pub non_distributable_skipped: u64,
}

/// Resolves `reference` in `source`, copies the graph it roots into `target` (see
/// [`copy_graph`]) and tags it `target_reference` there. With
/// [`PlatformSelection::One`], an index is replaced by its best manifest for the platform.
/// Returns the descriptor tagged.
///
/// # Errors
/// The first error of either store; [`Error::NoMatchingPlatform`] if an index has no
/// manifest for the wanted platform.
pub fn copy<S: Source + Sync + ?Sized, T: Target + Sync + ?Sized>(
    source: &S,
    reference: &str,
    target: &T,
    target_reference: &str,
    options: &CopyOptions,
) -> Result<Descriptor, Error> {
    let mut root = source.resolve(reference)?;
    if let PlatformSelection::One(platform) = &options.platforms {
        root = select_platform(source, root, platform, options.max_document_size)?;
    }
    copy_graph(source, target, &root, options)?;
    target.tag(&root, target_reference)?;
    Ok(root)
}

/// Follows indexes (nested ones too) down to the manifest that best matches `platform`
/// (see [`Platform::match_rank`]); a manifest descriptor is returned as it is.
///
/// # Errors
/// [`Error::NoMatchingPlatform`], or the source's errors.
pub fn select_platform<S: Source + ?Sized>(
    source: &S,
    mut descriptor: Descriptor,
    platform: &Platform,
    limit: u64,
) -> Result<Descriptor, Error> {
    for _ in 0..MAX_DEPTH {
        if !descriptor.media_type.is_index() {
            return Ok(descriptor);
        }
        let bytes = source.fetch_bytes(&descriptor, limit)?;
        let Document::Index(index) = parse_document(&descriptor, &bytes)? else {
            return Err(Error::Unsupported("index media type with manifest content"));
        };
        descriptor = index
            .find_platform(platform)
            .cloned()
            .ok_or_else(|| Error::NoMatchingPlatform(platform.to_string()))?;
    }
    Err(Error::Unsupported("indexes nested more than 16 deep"))
}

/// Copies `root` and everything it points to from `source` into `target`, children before
/// parents (so a store never holds a document whose content is missing), skipping any
/// subgraph whose root the target already holds. Each blob is fetched once, streamed,
/// and verified by the target; documents are pushed as the exact bytes fetched.
///
/// # Errors
/// The first error of either store; [`Error::Document`] for a manifest or index that
/// does not parse as its descriptor says.
pub fn copy_graph<S: Source + Sync + ?Sized, T: Target + Sync + ?Sized>(
    source: &S,
    target: &T,
    root: &Descriptor,
    options: &CopyOptions,
) -> Result<CopyStats, Error> {
    let mut copier = Copier {
        source,
        target,
        options,
        done: HashSet::new(),
        documents: HashSet::new(),
        stats: CopyStats::default(),
    };
    copier.copy(root, 0)?;
    Ok(copier.stats)
}

/// Copies one blob: embedded data if the descriptor carries it, else a fetched stream.
fn copy_blob<S: Source + ?Sized, T: Target + ?Sized>(
    source: &S,
    target: &T,
    blob: &Descriptor,
) -> Result<(), Error> {
    if let Some(embedded) = blob.embedded() {
        let bytes =
            embedded.map_err(|e| Error::Verify { digest: blob.digest.clone(), source: e })?;
        return target.push(blob, &mut &bytes[..]);
    }
    // The target verifies what it stores: the source need not hash the same bytes too.
    let mut reader = source.fetch_unverified(blob)?;
    target.push(blob, &mut reader)
}

struct Copier<'a, S: ?Sized, T: ?Sized> {
    source: &'a S,
    target: &'a T,
    options: &'a CopyOptions,
    /// Every digest claimed so far, as a plain blob or as a document.
    done: HashSet<Digest>,
    /// Documents claimed so far, by digest and media type: a digest that another edge
    /// names as a plain blob is still copied as a document, children first.
    documents: HashSet<(Digest, MediaType)>,
    stats: CopyStats,
}

impl<S: Source + Sync + ?Sized, T: Target + Sync + ?Sized> Copier<'_, S, T> {
    fn copy(&mut self, descriptor: &Descriptor, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::Unsupported("manifests nested more than 16 deep"));
        }
        let is_document = descriptor.media_type.is_document();
        let claimed = !self.done.insert(descriptor.digest.clone());
        if is_document {
            if !self.documents.insert((descriptor.digest.clone(), descriptor.media_type.clone())) {
                return Ok(());
            }
        } else if claimed {
            return Ok(());
        }
        // A target that holds a document holds its children (targets are filled children
        // first), unless this copy stored the digest itself as a plain blob: then the
        // children are copied here.
        if !claimed && self.target.exists(descriptor)? {
            self.stats.blobs_skipped += 1;
            if is_document && self.options.referrers {
                self.copy_referrers(descriptor, depth)?;
            }
            return Ok(());
        }
        if is_document {
            let bytes = self.source.fetch_bytes(descriptor, self.options.max_document_size)?;
            let document = parse_document(descriptor, &bytes)?;
            // Documents first (depth first), then this document's other blobs, several
            // at once: they are independent, and large ones dominate a copy.
            let mut blobs = Vec::new();
            for child in document.children() {
                if child.media_type.is_document() {
                    self.copy(child, depth + 1)?;
                } else if self.done.insert(child.digest.clone()) {
                    blobs.push(child);
                }
            }
            self.copy_blobs(&blobs)?;
            self.target.push(descriptor, &mut &bytes[..])?;
            self.count(descriptor);
            if self.options.referrers {
                self.copy_referrers(descriptor, depth)?;
            }
            return Ok(());
        }
        self.copy_blobs(&[descriptor])
    }

    /// Copies non-document blobs the caller has claimed in `done`, up to
    /// `options.concurrency` at a time.
    fn copy_blobs(&mut self, blobs: &[&Descriptor]) -> Result<(), Error> {
        let mut work = Vec::new();
        for &blob in blobs {
            if blob.is_external() && !self.options.include_non_distributable {
                self.stats.non_distributable_skipped += 1;
                continue;
            }
            if self.target.exists(blob)? {
                self.stats.blobs_skipped += 1;
                continue;
            }
            work.push(blob);
        }
        let (source, target) = (self.source, self.target);
        let queue = Mutex::new(work.iter());
        let outcome: Mutex<Result<(), Error>> = Mutex::new(Ok(()));
        let workers = self.options.concurrency.clamp(1, work.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        if outcome.lock().map_or(true, |o| o.is_err()) {
                            return;
                        }
                        let next = queue.lock().ok().and_then(|mut q| q.next().copied());
                        let Some(blob) = next else { return };
                        if let Err(e) = copy_blob(source, target, blob)
                            && let Ok(mut o) = outcome.lock()
                            && o.is_ok()
                        {
                            *o = Err(e);
                        }
                    }
                });
            }
        });
        outcome.into_inner().unwrap_or(Ok(()))?;
        for blob in work {
            self.count(blob);
        }
        Ok(())
    }

    fn count(&mut self, descriptor: &Descriptor) {
        self.stats.blobs_copied += 1;
        self.stats.bytes_copied += descriptor.size;
    }

    fn copy_referrers(&mut self, subject: &Descriptor, depth: usize) -> Result<(), Error> {
        let referrers = match self.source.referrers(subject, None) {
            Ok(r) => r,
            Err(Error::Unsupported(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        for referrer in referrers {
            self.copy(&referrer, depth + 1)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::MemoryStore;
    use crate::{ImageConfiguration, ImageIndex, ImageManifest, MediaType};

    fn image(store: &MemoryStore, arch: &str) -> Descriptor {
        let layer = store.push_bytes(MediaType::ImageLayerGzip, arch.as_bytes()).unwrap();
        let config = store
            .push_json(MediaType::ImageConfig, &ImageConfiguration::new("linux", arch))
            .unwrap();
        let mut d = store
            .push_json(MediaType::ImageManifest, &ImageManifest::new(config, vec![layer]))
            .unwrap();
        d.platform = Some(format!("linux/{arch}").parse().unwrap());
        d
    }

    #[test]
    fn index_all_and_one_platform() {
        let source = MemoryStore::new();
        let index = ImageIndex::new(vec![image(&source, "amd64"), image(&source, "arm64")]);
        let root = source.push_json(MediaType::ImageIndex, &index).unwrap();
        source.tag(&root, "multi").unwrap();

        let all = MemoryStore::new();
        let copied = copy(&source, "multi", &all, "multi", &CopyOptions::default()).unwrap();
        assert_eq!(copied, root);
        assert_eq!(all.len(), 7);

        let one = MemoryStore::new();
        let options = CopyOptions::default().platform("linux/aarch64".parse().unwrap());
        let copied = copy(&source, "multi", &one, "arm", &options).unwrap();
        assert_eq!(copied.digest, index.manifests[1].digest);
        assert_eq!(one.len(), 3);

        let none = CopyOptions::default().platform("linux/s390x".parse().unwrap());
        assert!(matches!(
            copy(&source, "multi", &one, "x", &none),
            Err(Error::NoMatchingPlatform(_))
        ));
    }

    #[test]
    fn skips_what_target_has_and_copies_referrers() {
        let source = MemoryStore::new();
        let subject = image(&source, "amd64");
        let signature_config = Descriptor::empty();
        let mut sig = ImageManifest::new(
            signature_config,
            vec![source.push_bytes(MediaType::from("application/x-sig"), b"sig").unwrap()],
        );
        sig.artifact_type = Some(MediaType::from("application/x-signature"));
        sig.subject =
            Some(Descriptor::new(subject.media_type.clone(), subject.size, subject.digest.clone()));
        let sig = source.push_json(MediaType::ImageManifest, &sig).unwrap();
        let referrers = source.referrers(&subject, None).unwrap();
        assert_eq!(referrers.len(), 1);
        assert_eq!(referrers[0].artifact_type, Some(MediaType::from("application/x-signature")));
        assert!(
            source
                .referrers(&subject, Some(&MediaType::from("application/other")))
                .unwrap()
                .is_empty()
        );

        let target = MemoryStore::new();
        let plain = copy_graph(&source, &target, &subject, &CopyOptions::default()).unwrap();
        assert_eq!(plain.blobs_copied, 3);
        assert!(!target.exists(&sig).unwrap());

        let options = CopyOptions { referrers: true, ..CopyOptions::default() };
        let again = copy_graph(&source, &target, &subject, &options).unwrap();
        assert_eq!(again.blobs_skipped, 1);
        // The signature manifest, its layer and the empty config (from its embedded data).
        assert_eq!(again.blobs_copied, 3);
        assert!(target.exists(&sig).unwrap());
    }

    /// Issue 17, class 3: an index that names a manifest's digest first as a plain blob,
    /// then as the manifest. Keyed by digest alone, the copy took the manifest for a blob,
    /// skipped its configuration and layer, and tagged the image all the same.
    fn index_naming_a_manifest_twice(store: &MemoryStore, blob_first: bool) -> Descriptor {
        let manifest = image(store, "amd64");
        let mut as_blob = manifest.clone();
        as_blob.media_type = MediaType::from("application/octet-stream");
        as_blob.platform = None;
        let entries = if blob_first { vec![as_blob, manifest] } else { vec![manifest, as_blob] };
        store.push_json(MediaType::ImageIndex, &ImageIndex::new(entries)).unwrap()
    }

    #[test]
    fn issue17_digest_named_as_blob_and_manifest_is_copied_whole() {
        for blob_first in [true, false] {
            let source = MemoryStore::new();
            let root = index_naming_a_manifest_twice(&source, blob_first);
            let target = MemoryStore::new();
            copy_graph(&source, &target, &root, &CopyOptions::default()).unwrap();
            // Index, manifest, configuration, layer.
            assert_eq!(target.len(), 4, "blob first: {blob_first}");
            assert_eq!(target.len(), source.len());
        }
    }

    #[test]
    fn issue17_manifest_a_parent_stored_as_blob_still_brings_its_children() {
        // The manifest's digest is a layer of another manifest (copied first, as a plain
        // blob), then an entry of the index as a manifest: the target holding the digest
        // must not be taken for holding the manifest's children.
        let source = MemoryStore::new();
        let victim = image(&source, "arm64");
        let config = source
            .push_json(MediaType::ImageConfig, &ImageConfiguration::new("linux", "amd64"))
            .unwrap();
        let mut carrier_layer = victim.clone();
        carrier_layer.media_type = MediaType::ImageLayer;
        carrier_layer.platform = None;
        let carrier = source
            .push_json(MediaType::ImageManifest, &ImageManifest::new(config, vec![carrier_layer]))
            .unwrap();
        let root = source
            .push_json(MediaType::ImageIndex, &ImageIndex::new(vec![carrier, victim]))
            .unwrap();
        let target = MemoryStore::new();
        copy_graph(&source, &target, &root, &CopyOptions::default()).unwrap();
        assert_eq!(target.len(), source.len());
    }

    #[test]
    fn corrupt_source_is_refused() {
        let source = MemoryStore::new();
        let manifest = image(&source, "amd64");
        let mut lie = manifest.clone();
        lie.size += 1;
        let target = MemoryStore::new();
        assert!(matches!(
            copy_graph(&source, &target, &lie, &CopyOptions::default()),
            Err(Error::Verify { .. })
        ));
        assert!(!target.exists(&manifest).unwrap());
    }
}
