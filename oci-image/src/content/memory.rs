//! An in-memory content store.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{BlobReader, Error, Source, Target, referrer_descriptor};
use crate::{Descriptor, Digest, Document, MediaType, VerifyingReader};

/// A content store in memory, for tests, small tools and as a staging area.
///
/// Blobs are verified when pushed and when fetched. It is `Sync`: many threads may push
/// and fetch at once.
#[derive(Debug, Default)]
pub struct MemoryStore {
    blobs: RwLock<HashMap<Digest, Stored>>,
    tags: RwLock<BTreeMap<String, Descriptor>>,
}

/// A blob with the descriptor it was pushed under (for its media type).
type Stored = (Descriptor, Arc<[u8]>);

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many blobs the store holds.
    pub fn len(&self) -> usize {
        read(&self.blobs).len()
    }

    /// Whether the store holds no blob.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tags and the descriptors they name.
    pub fn tags(&self) -> BTreeMap<String, Descriptor> {
        read(&self.tags).clone()
    }

    /// The bytes of a blob, if held.
    pub fn get(&self, digest: &Digest) -> Option<Arc<[u8]>> {
        read(&self.blobs).get(digest).map(|(_, b)| Arc::clone(b))
    }

    /// Removes a blob; returns whether it was held. Tags are not touched.
    pub fn remove(&self, digest: &Digest) -> bool {
        write(&self.blobs).remove(digest).is_some()
    }
}

impl Source for MemoryStore {
    fn fetch(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, Error> {
        let bytes = self
            .get(&descriptor.digest)
            .ok_or_else(|| Error::NotFound(descriptor.digest.clone()))?;
        let reader =
            VerifyingReader::new(ArcReader { bytes, pos: 0 }, &descriptor.digest, descriptor.size)
                .map_err(|e| Error::Verify {
                    digest: descriptor.digest.clone(),
                    source: e.into(),
                })?;
        Ok(Box::new(reader))
    }

    fn resolve(&self, reference: &str) -> Result<Descriptor, Error> {
        if let Some(d) = read(&self.tags).get(reference) {
            return Ok(d.clone());
        }
        if let Ok(digest) = reference.parse::<Digest>()
            && let Some((d, _)) = read(&self.blobs).get(&digest)
        {
            return Ok(d.clone());
        }
        Err(Error::ReferenceNotFound(reference.to_owned()))
    }

    fn referrers(
        &self,
        subject: &Descriptor,
        artifact_type: Option<&MediaType>,
    ) -> Result<Vec<Descriptor>, Error> {
        let blobs = read(&self.blobs);
        let mut out = Vec::new();
        for (descriptor, bytes) in blobs.values() {
            if !descriptor.media_type.is_document() {
                continue;
            }
            let Ok(document) = Document::parse(&descriptor.media_type, bytes) else { continue };
            if document.subject().is_some_and(|s| s.digest == subject.digest) {
                let r = referrer_descriptor(descriptor, &document);
                if artifact_type.is_none_or(|a| r.artifact_type.as_ref() == Some(a)) {
                    out.push(r);
                }
            }
        }
        out.sort_by(|a, b| a.digest.cmp(&b.digest));
        Ok(out)
    }
}

impl Target for MemoryStore {
    fn exists(&self, descriptor: &Descriptor) -> Result<bool, Error> {
        Ok(read(&self.blobs).contains_key(&descriptor.digest))
    }

    fn push(&self, descriptor: &Descriptor, content: &mut dyn Read) -> Result<(), Error> {
        let digest = &descriptor.digest;
        let mut reader = VerifyingReader::new(content, digest, descriptor.size)
            .map_err(|e| Error::Verify { digest: digest.clone(), source: e.into() })?;
        // Capacity grows with what actually arrives, not with a declared size.
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(|e| Error::from_read(digest, e))?;
        let stored =
            Descriptor::new(descriptor.media_type.clone(), descriptor.size, digest.clone());
        write(&self.blobs).entry(digest.clone()).or_insert_with(|| (stored, bytes.into()));
        Ok(())
    }

    fn tag(&self, descriptor: &Descriptor, reference: &str) -> Result<(), Error> {
        if reference.is_empty() {
            return Err(Error::InvalidReference(reference.to_owned()));
        }
        if !read(&self.blobs).contains_key(&descriptor.digest) {
            return Err(Error::NotFound(descriptor.digest.clone()));
        }
        write(&self.tags).insert(reference.to_owned(), descriptor.clone());
        Ok(())
    }
}

#[derive(Debug)]
struct ArcReader {
    bytes: Arc<[u8]>,
    pos: usize,
}

impl Read for ArcReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VerifyError;

    #[test]
    fn push_verifies() {
        let store = MemoryStore::new();
        let d = Descriptor::for_bytes(MediaType::ImageLayer, b"abc");
        let err = store.push(&d, &mut &b"abd"[..]).unwrap_err();
        assert!(matches!(err, Error::Verify { source: VerifyError::Digest(_), .. }));
        let err = store.push(&d, &mut &b"abcd"[..]).unwrap_err();
        assert!(matches!(
            err,
            Error::Verify { source: VerifyError::Size { longer: true, .. }, .. }
        ));
        assert!(store.is_empty());
        store.push(&d, &mut &b"abc"[..]).unwrap();
        store.push(&d, &mut &b"abc"[..]).unwrap();
        assert_eq!(store.len(), 1);
        assert_eq!(store.fetch_bytes(&d, 10).unwrap(), b"abc");
        assert!(matches!(store.fetch_bytes(&d, 2), Err(Error::TooLarge { .. })));
        assert!(matches!(
            store.tag(&Descriptor::for_bytes(MediaType::ImageLayer, b"x"), "t"),
            Err(Error::NotFound(_))
        ));
        store.tag(&d, "t").unwrap();
        assert_eq!(store.resolve("t").unwrap(), d);
        assert_eq!(store.resolve(d.digest.as_str()).unwrap(), d);
        assert!(matches!(store.resolve("u"), Err(Error::ReferenceNotFound(_))));
    }

    #[test]
    fn fetch_detects_wrong_descriptor() {
        let store = MemoryStore::new();
        let d = store.push_bytes(MediaType::ImageLayer, b"abc").unwrap();
        let mut wrong_size = d;
        wrong_size.size = 2;
        assert!(matches!(store.fetch_bytes(&wrong_size, 10), Err(Error::Verify { .. })));
    }
}
