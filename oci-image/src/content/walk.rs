//! A pre-order walk over the graph a descriptor roots.

use std::collections::HashSet;

use super::{Error, Source};
use crate::{Descriptor, Digest, Document, MediaType};

/// Nesting deeper than this is refused: real images nest an index in an index at most.
pub(crate) const MAX_DEPTH: usize = 16;

/// One node of the walk.
#[derive(Debug)]
#[non_exhaustive]
pub struct Node<'a> {
    /// The descriptor that led here.
    pub descriptor: &'a Descriptor,
    /// The parsed manifest or index, for documents; `None` for any other blob.
    pub document: Option<&'a Document>,
    /// The document's bytes as stored, for documents.
    pub bytes: Option<&'a [u8]>,
    /// 0 for the root.
    pub depth: usize,
}

/// What the walk does after a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WalkControl {
    /// Go on into the node's children.
    Continue,
    /// Do not visit this node's children.
    SkipChildren,
    /// End the walk.
    Stop,
}

/// Visits `root` and everything it points to (index → manifests → config, layers, and the
/// subject of each), each blob once, parents before children, fetching and verifying every
/// manifest and index on the way. Other blobs are not fetched. Documents larger than
/// `max_document_size` are an error.
///
/// A digest reached as a document is walked as that document whatever other edges say
/// about it: one that an earlier edge named as a plain blob (`application/octet-stream`,
/// say) is visited again, as a document, and its children with it. Each document is
/// visited once per media type it is reached as.
///
/// # Errors
/// The first error of the source or of `visit`; [`Error::Document`] for a manifest or index
/// that does not parse as its descriptor says.
///
/// ```
/// # fn main() -> Result<(), oci_image::content::Error> {
/// use oci_image::content::{walk, MemoryStore, Target, WalkControl, DEFAULT_MAX_DOCUMENT_SIZE};
/// use oci_image::{ImageConfiguration, ImageManifest, MediaType};
/// let store = MemoryStore::new();
/// let layer = store.push_bytes(MediaType::ImageLayer, b"tar")?;
/// let config = store.push_json(MediaType::ImageConfig, &ImageConfiguration::new("linux", "amd64"))?;
/// let manifest = store.push_json(MediaType::ImageManifest, &ImageManifest::new(config, vec![layer]))?;
/// let mut seen = Vec::new();
/// walk(&store, &manifest, DEFAULT_MAX_DOCUMENT_SIZE, |node| {
///     seen.push(node.descriptor.media_type.clone());
///     Ok(WalkControl::Continue)
/// })?;
/// assert_eq!(seen, [MediaType::ImageManifest, MediaType::ImageConfig, MediaType::ImageLayer]);
/// # Ok(()) }
/// ```
pub fn walk<S: Source + ?Sized>(
    source: &S,
    root: &Descriptor,
    max_document_size: u64,
    mut visit: impl FnMut(&Node<'_>) -> Result<WalkControl, Error>,
) -> Result<(), Error> {
    let mut seen = Seen::default();
    walk_node(source, root, 0, max_document_size, &mut seen, &mut visit).map(|_| ())
}

/// What a walk has visited: documents by digest and media type (one digest can be
/// reached as a plain blob and as a document, and only the document has children), and
/// every digest, for plain blobs.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    digests: HashSet<Digest>,
    documents: HashSet<(Digest, MediaType)>,
}

impl Seen {
    /// Whether `descriptor` is to be visited now (and records it): a document the first
    /// time it is reached as its media type, any other blob the first time its digest is
    /// reached at all.
    pub(crate) fn first_visit(&mut self, descriptor: &Descriptor) -> bool {
        let fresh = self.digests.insert(descriptor.digest.clone());
        if descriptor.media_type.is_document() {
            self.documents.insert((descriptor.digest.clone(), descriptor.media_type.clone()))
        } else {
            fresh
        }
    }
}

fn walk_node<S: Source + ?Sized>(
    source: &S,
    descriptor: &Descriptor,
    depth: usize,
    limit: u64,
    seen: &mut Seen,
    visit: &mut dyn FnMut(&Node<'_>) -> Result<WalkControl, Error>,
) -> Result<WalkControl, Error> {
    if !seen.first_visit(descriptor) {
        return Ok(WalkControl::Continue);
    }
    let media_type = &descriptor.media_type;
    if !media_type.is_document() {
        let node = Node { descriptor, document: None, bytes: None, depth };
        return visit(&node);
    }
    if depth > MAX_DEPTH {
        return Err(Error::Unsupported("manifests nested more than 16 deep"));
    }
    let bytes = source.fetch_bytes(descriptor, limit)?;
    let document = parse_document(descriptor, &bytes)?;
    let node = Node { descriptor, document: Some(&document), bytes: Some(&bytes), depth };
    match visit(&node)? {
        WalkControl::Continue => {}
        WalkControl::SkipChildren => return Ok(WalkControl::Continue),
        WalkControl::Stop => return Ok(WalkControl::Stop),
    }
    for child in document.children() {
        if walk_node(source, child, depth + 1, limit, seen, visit)? == WalkControl::Stop {
            return Ok(WalkControl::Stop);
        }
    }
    Ok(WalkControl::Continue)
}

pub(crate) fn parse_document(descriptor: &Descriptor, bytes: &[u8]) -> Result<Document, Error> {
    Document::parse(&descriptor.media_type, bytes)
        .map_err(|source| Error::Document { digest: descriptor.digest.clone(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{DEFAULT_MAX_DOCUMENT_SIZE, MemoryStore, Target};
    use crate::{ImageConfiguration, ImageIndex, ImageManifest};

    /// Issue 17, class 3: a digest an index names as a plain blob and as a manifest is
    /// walked as the manifest, in either order, and its children are reached.
    #[test]
    fn issue17_digest_reached_as_document_is_walked_as_one() {
        let store = MemoryStore::new();
        let layer = store.push_bytes(MediaType::ImageLayer, b"tar").unwrap();
        let config = store
            .push_json(MediaType::ImageConfig, &ImageConfiguration::new("linux", "amd64"))
            .unwrap();
        let manifest = store
            .push_json(
                MediaType::ImageManifest,
                &ImageManifest::new(config.clone(), vec![layer.clone()]),
            )
            .unwrap();
        let mut as_blob = manifest.clone();
        as_blob.media_type = MediaType::from("application/octet-stream");
        for entries in [vec![as_blob.clone(), manifest.clone()], vec![manifest.clone(), as_blob]] {
            let root = store.push_json(MediaType::ImageIndex, &ImageIndex::new(entries)).unwrap();
            let mut documents = Vec::new();
            let mut blobs = Vec::new();
            walk(&store, &root, DEFAULT_MAX_DOCUMENT_SIZE, |node| {
                let list = if node.document.is_some() { &mut documents } else { &mut blobs };
                list.push(node.descriptor.digest.clone());
                Ok(WalkControl::Continue)
            })
            .unwrap();
            assert_eq!(documents, [root.digest.clone(), manifest.digest.clone()]);
            assert!(blobs.contains(&config.digest) && blobs.contains(&layer.digest), "{blobs:?}");
        }
    }
}
