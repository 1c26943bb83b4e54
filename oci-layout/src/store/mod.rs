//! The image layout store: open and create here; blobs ([`blobs`]), `index.json` and its
//! tags ([`index`]), and resolving references and referrers ([`resolve`]).

mod blobs;
mod index;
mod resolve;

pub(crate) use self::index::ref_name;

use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use oci_image::content::{self, BlobReader};
use oci_image::{Descriptor, ImageIndex, ImageLayout, MediaType};

use crate::Error;
use crate::fs::{self, fd};

pub(crate) const LAYOUT_FILE: &str = "oci-layout";
pub(crate) const INDEX_FILE: &str = "index.json";
pub(crate) const BLOBS_DIR: &str = "blobs";
/// Lock file serialising read-modify-write of `index.json` (and garbage collection).
pub(crate) const LOCK_FILE: &str = "index.json.lock";
/// `index.json` larger than this is refused rather than read whole.
pub(crate) const MAX_INDEX_SIZE: u64 = 64 << 20;

/// An OCI image layout directory, image-spec v1.1
/// [`image-layout.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md).
///
/// Every file is opened beneath the layout's directory handle, without following symbolic
/// links, and must be a regular file: a blob that is a symlink to a host file is refused
/// even if its content matches. Blobs appear under their digest only when complete and
/// verified; `index.json` is replaced atomically under a lock. See the [crate docs](crate).
#[derive(Debug)]
pub struct Layout {
    path: PathBuf,
    root: OwnedFd,
    blobs: OwnedFd,
}

impl Layout {
    /// Opens an existing layout: `oci-layout` must name version 1.0.0, and `index.json`
    /// and `blobs/` must exist.
    ///
    /// # Errors
    /// [`Error::NotALayout`] for a directory that is not a layout, [`Error::Io`] otherwise.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_owned();
        let not = |reason: String| Error::NotALayout { path: path.clone(), reason };
        let root = fs::open_root(&path).map_err(|e| not(format!("cannot open directory: {e}")))?;
        let header = read_small(&root, LAYOUT_FILE, 1 << 16)
            .map_err(|e| not(format!("cannot read {LAYOUT_FILE}: {e}")))?;
        let header: ImageLayout =
            oci_image::json::from_slice(&header).map_err(|e| not(format!("{LAYOUT_FILE}: {e}")))?;
        if let Some(v) = header.validate().first() {
            return Err(not(format!("{LAYOUT_FILE}: {}", v.message)));
        }
        if fs::regular_size(fd(&root), INDEX_FILE)
            .map_err(|e| not(format!("{INDEX_FILE}: {e}")))?
            .is_none()
        {
            return Err(not(format!("{INDEX_FILE} is missing")));
        }
        let blobs =
            fs::open_dir(fd(&root), BLOBS_DIR).map_err(|e| not(format!("{BLOBS_DIR}/: {e}")))?;
        Ok(Self { path, root, blobs })
    }

    /// Creates a layout in `path` (made if missing, else it must be empty), or opens the
    /// layout already there.
    ///
    /// # Errors
    /// [`Error::NotALayout`] if `path` holds something else, [`Error::Io`] otherwise.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        std::fs::create_dir_all(path).map_err(Error::io("create", path))?;
        let root = fs::open_root(path).map_err(Error::io("open", path))?;
        let names = fs::list(fd(&root)).map_err(Error::io("list", path))?;
        if names.iter().any(|n| n == LAYOUT_FILE) {
            return Self::open(path);
        }
        if !names.is_empty() {
            return Err(Error::NotALayout {
                path: path.to_owned(),
                reason: "directory is not empty and has no oci-layout file".into(),
            });
        }
        fs::ensure_dir(fd(&root), BLOBS_DIR).map_err(Error::io("create", BLOBS_DIR))?;
        let index = oci_image::json::to_vec(&ImageIndex::new(Vec::new()))
            .map_err(|source| Error::Json { path: INDEX_FILE.into(), source })?;
        fs::write_atomic(fd(&root), INDEX_FILE, &index).map_err(Error::io("write", INDEX_FILE))?;
        // The header last: a directory becomes a layout only when it is complete.
        let header = oci_image::json::to_vec(&ImageLayout::default())
            .map_err(|source| Error::Json { path: LAYOUT_FILE.into(), source })?;
        fs::write_atomic(fd(&root), LAYOUT_FILE, &header)
            .map_err(Error::io("write", LAYOUT_FILE))?;
        Self::open(path)
    }

    /// The directory of the layout.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn root_fd(&self) -> &OwnedFd {
        &self.root
    }

    pub(crate) fn blobs_fd(&self) -> &OwnedFd {
        &self.blobs
    }
}

/// Reads a small regular file beneath `dir`, refusing one over `limit` bytes.
fn read_small(dir: &OwnedFd, name: &str, limit: u64) -> io::Result<Vec<u8>> {
    let file = fs::open_regular(fd(dir), name)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{name} is larger than {limit} bytes"),
        ));
    }
    Ok(bytes)
}

impl content::Source for Layout {
    fn fetch(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, content::Error> {
        Ok(Box::new(self.read_blob(descriptor)?))
    }

    fn fetch_unverified(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, content::Error> {
        // The size is still checked before a byte is read.
        Ok(Box::new(self.read_blob(descriptor)?.into_inner()))
    }

    fn resolve(&self, reference: &str) -> Result<Descriptor, content::Error> {
        Ok(Self::resolve(self, reference, None)?)
    }

    fn referrers(
        &self,
        subject: &Descriptor,
        artifact_type: Option<&MediaType>,
    ) -> Result<Vec<Descriptor>, content::Error> {
        let mut out: Vec<Descriptor> = Self::referrers(self, &subject.digest)?
            .iter()
            .map(|(d, doc)| content::referrer_descriptor(d, doc))
            .filter(|r| artifact_type.is_none_or(|a| r.artifact_type.as_ref() == Some(a)))
            .collect();
        out.sort_by(|a, b| a.digest.cmp(&b.digest));
        Ok(out)
    }
}

impl content::Target for Layout {
    fn exists(&self, descriptor: &Descriptor) -> Result<bool, content::Error> {
        Ok(self.blob_size(&descriptor.digest)? == Some(descriptor.size))
    }

    fn push(&self, descriptor: &Descriptor, content: &mut dyn Read) -> Result<(), content::Error> {
        self.put_blob(descriptor, content)?;
        Ok(())
    }

    fn tag(&self, descriptor: &Descriptor, reference: &str) -> Result<(), content::Error> {
        Ok(Self::tag(self, descriptor, reference)?)
    }
}
