//! A pre-order walk over the graph a descriptor roots.

use std::collections::HashSet;

use super::{Error, Source};
use crate::{Descriptor, Digest, Document};

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
    let mut seen = HashSet::new();
    walk_node(source, root, 0, max_document_size, &mut seen, &mut visit).map(|_| ())
}

fn walk_node<S: Source + ?Sized>(
    source: &S,
    descriptor: &Descriptor,
    depth: usize,
    limit: u64,
    seen: &mut HashSet<Digest>,
    visit: &mut dyn FnMut(&Node<'_>) -> Result<WalkControl, Error>,
) -> Result<WalkControl, Error> {
    if !seen.insert(descriptor.digest.clone()) {
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
