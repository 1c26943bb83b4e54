//! The image layout store: open and create, blobs, `index.json`, tags and resolution.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use oci_image::annotations::{REF_NAME, is_valid_ref_name};
use oci_image::content::{self, BlobReader, DEFAULT_MAX_DOCUMENT_SIZE};
use oci_image::{
    Algorithm, Descriptor, Digest, DigestWriter, Document, ImageIndex, ImageLayout, MediaType,
    Platform, VerifyError, VerifyingReader,
};

use crate::Error;
use crate::fs::{self, fd};

pub(crate) const LAYOUT_FILE: &str = "oci-layout";
pub(crate) const INDEX_FILE: &str = "index.json";
pub(crate) const BLOBS_DIR: &str = "blobs";
/// Lock file serialising read-modify-write of `index.json` (and garbage collection).
pub(crate) const LOCK_FILE: &str = "index.json.lock";
/// `index.json` larger than this is refused rather than read whole.
pub(crate) const MAX_INDEX_SIZE: u64 = 64 << 20;
const COPY_BUFFER: usize = 1 << 20;

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

fn blob_path(digest: &Digest) -> PathBuf {
    Path::new(BLOBS_DIR).join(digest.algorithm()).join(digest.encoded())
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

    fn algorithm_dir(&self, digest: &Digest, create: bool) -> Result<Option<OwnedFd>, Error> {
        let path = || Path::new(BLOBS_DIR).join(digest.algorithm());
        if create {
            return fs::ensure_dir(fd(&self.blobs), digest.algorithm())
                .map(Some)
                .map_err(Error::io("create", path()));
        }
        match fs::open_dir(fd(&self.blobs), digest.algorithm()) {
            Ok(dir) => Ok(Some(dir)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("open", path())(e)),
        }
    }

    /// The size of the blob `digest` names, or `None` if the layout does not hold it.
    ///
    /// # Errors
    /// [`Error::NotRegularFile`] if the blob path holds anything but a regular file.
    pub fn blob_size(&self, digest: &Digest) -> Result<Option<u64>, Error> {
        let Some(dir) = self.algorithm_dir(digest, false)? else { return Ok(None) };
        fs::regular_size(fd(&dir), digest.encoded()).map_err(|e| match e.kind() {
            io::ErrorKind::InvalidData => Error::NotRegularFile(digest.clone()),
            _ => Error::io("stat", blob_path(digest))(e),
        })
    }

    /// Whether the layout holds the blob `digest` names.
    ///
    /// # Errors
    /// As [`Layout::blob_size`].
    pub fn has_blob(&self, digest: &Digest) -> Result<bool, Error> {
        Ok(self.blob_size(digest)?.is_some())
    }

    /// Opens a blob file as it is, unverified: for callers that verify by other means
    /// (such as [`Layout::fsck`]). Most callers want [`Layout::read_blob`].
    ///
    /// # Errors
    /// [`Error::BlobNotFound`], [`Error::NotRegularFile`], or [`Error::Io`].
    pub fn open_blob(&self, digest: &Digest) -> Result<File, Error> {
        let Some(dir) = self.algorithm_dir(digest, false)? else {
            return Err(Error::BlobNotFound(digest.clone()));
        };
        fs::open_regular(fd(&dir), digest.encoded()).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::BlobNotFound(digest.clone()),
            io::ErrorKind::InvalidData => Error::NotRegularFile(digest.clone()),
            _ => Error::io("open", blob_path(digest))(e),
        })
    }

    /// Opens the blob `descriptor` names as a stream that yields exactly its bytes and
    /// fails at the end unless they match the descriptor's digest. A file whose size
    /// differs from the descriptor's is refused before any byte is read.
    ///
    /// # Errors
    /// [`Error::BlobNotFound`], [`Error::NotRegularFile`], [`Error::Verify`] for a size
    /// mismatch, [`Error::UnsupportedAlgorithm`].
    pub fn read_blob(&self, descriptor: &Descriptor) -> Result<VerifyingReader<File>, Error> {
        let digest = &descriptor.digest;
        let file = self.open_blob(digest)?;
        let size = file.metadata().map_err(Error::io("stat", blob_path(digest)))?.len();
        if size != descriptor.size {
            return Err(Error::Verify {
                digest: digest.clone(),
                source: VerifyError::Size {
                    expected: descriptor.size,
                    actual: size,
                    longer: size > descriptor.size,
                },
            });
        }
        VerifyingReader::new(file, digest, descriptor.size)
            .map_err(|_| Error::UnsupportedAlgorithm(digest.clone()))
    }

    /// Reads a whole blob, verified, refusing one larger than `limit` bytes.
    ///
    /// # Errors
    /// As [`Layout::read_blob`], and [`Error::Invalid`] over the limit.
    pub fn read_blob_bytes(&self, descriptor: &Descriptor, limit: u64) -> Result<Vec<u8>, Error> {
        if descriptor.size > limit {
            return Err(Error::Invalid(format!(
                "blob {} is {} bytes, more than the limit of {limit}",
                descriptor.digest, descriptor.size
            )));
        }
        let mut reader = self.read_blob(descriptor)?;
        let mut bytes = Vec::with_capacity(usize::try_from(descriptor.size).unwrap_or(0));
        reader.read_to_end(&mut bytes).map_err(|e| read_error(&descriptor.digest, e))?;
        Ok(bytes)
    }

    /// Stores the blob read from `content`, verified against `descriptor` while it is
    /// written: a temporary file inside the layout, fsync, rename to its digest. Returns
    /// `false` if the layout already held the blob (and `content` was not read).
    ///
    /// # Errors
    /// [`Error::Verify`] if the content does not match (nothing is stored),
    /// [`Error::UnsupportedAlgorithm`], [`Error::Io`].
    pub fn put_blob(&self, descriptor: &Descriptor, content: &mut dyn Read) -> Result<bool, Error> {
        let digest = &descriptor.digest;
        let existing = self.blob_size(digest)?;
        if existing == Some(descriptor.size) {
            return Ok(false);
        }
        let mut reader = VerifyingReader::new(content, digest, descriptor.size)
            .map_err(|_| Error::UnsupportedAlgorithm(digest.clone()))?;
        // A file of the wrong size under the digest is damage: the verified one replaces it.
        let replace = existing.is_some();
        self.write_blob(digest.algorithm_kind(), replace, |file| {
            copy_stream(&mut reader, file).map_err(|e| read_error(digest, e))?;
            Ok(digest.clone())
        })
    }

    /// Stores a blob whose digest is not known in advance: it is computed (SHA-256) while
    /// the content is written. Returns the blob's descriptor.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn put_stream(
        &self,
        media_type: MediaType,
        content: &mut dyn Read,
    ) -> Result<Descriptor, Error> {
        let mut size = 0;
        let mut written_digest = None;
        self.write_blob(Some(Algorithm::Sha256), false, |file| {
            let mut writer = DigestWriter::new(file, Algorithm::Sha256)
                .ok_or_else(|| Error::Invalid("sha256 is not available".into()))?;
            copy_stream(content, &mut writer).map_err(Error::io("read", "blob source"))?;
            let (_, digest, n) = writer.finish();
            size = n;
            written_digest = Some(digest.clone());
            Ok(digest)
        })?;
        let digest = written_digest.ok_or_else(|| Error::Invalid("no digest computed".into()))?;
        Ok(Descriptor::new(media_type, size, digest))
    }

    /// Writes a blob through `fill` into a temporary file in the algorithm's directory,
    /// then moves it under the digest `fill` returns.
    fn write_blob(
        &self,
        algorithm: Option<Algorithm>,
        replace: bool,
        fill: impl FnOnce(&mut File) -> Result<Digest, Error>,
    ) -> Result<bool, Error> {
        let algorithm = algorithm.unwrap_or(Algorithm::Sha256);
        let dir_name = algorithm.as_str();
        let dir = fs::ensure_dir(fd(&self.blobs), dir_name)
            .map_err(Error::io("create", Path::new(BLOBS_DIR).join(dir_name)))?;
        let (mut file, temp) = fs::create_temp(fd(&dir))
            .map_err(Error::io("create a file in", Path::new(BLOBS_DIR).join(dir_name)))?;
        let result = (|| {
            let digest = fill(&mut file)?;
            file.sync_all().map_err(Error::io("sync", blob_path(&digest)))?;
            let stored = if replace {
                fs::rename_replace(fd(&dir), &temp, digest.encoded()).map(|()| true)
            } else {
                fs::rename_noreplace(fd(&dir), &temp, digest.encoded())
            }
            .map_err(Error::io("rename", blob_path(&digest)))?;
            if stored {
                fs::sync_dir(fd(&dir))
                    .map_err(Error::io("sync", Path::new(BLOBS_DIR).join(dir_name)))?;
            }
            Ok(stored)
        })();
        // After a successful rename the name is gone; otherwise remove the partial file.
        let _ = fs::unlink(fd(&dir), &temp);
        result
    }

    /// Writes the layer of directory `dir` (or of its difference from `lower`) into the
    /// layout as a blob, the descriptor and diff_id computed in the same pass; see
    /// [`crate::layer::create`].
    ///
    /// # Errors
    /// [`Error::Layer`] for a file that cannot be read, [`Error::Io`].
    pub fn put_layer(
        &self,
        dir: &Path,
        lower: Option<&Path>,
        options: &crate::layer::CreateOptions,
    ) -> Result<crate::layer::CreatedLayer, Error> {
        let mut created = None;
        self.write_blob(Some(Algorithm::Sha256), false, |file| {
            let mut out = io::BufWriter::with_capacity(COPY_BUFFER, file);
            let layer = crate::layer::create(dir, lower, &mut out, options)?;
            out.flush().map_err(Error::io("write", "layer"))?;
            let digest = layer.descriptor.digest.clone();
            created = Some(layer);
            Ok(digest)
        })?;
        created.ok_or_else(|| Error::Invalid("no layer written".into()))
    }

    /// Stores `bytes` as a blob and returns its descriptor.
    ///
    /// # Errors
    /// As [`Layout::put_blob`].
    pub fn put_bytes(&self, media_type: MediaType, bytes: &[u8]) -> Result<Descriptor, Error> {
        let descriptor = Descriptor::for_bytes(media_type, bytes);
        self.put_blob(&descriptor, &mut &bytes[..])?;
        Ok(descriptor)
    }

    /// Serialises `value` once, stores those bytes, and returns the descriptor computed
    /// from them.
    ///
    /// # Errors
    /// As [`Layout::put_blob`].
    pub fn put_json<T: serde::Serialize>(
        &self,
        media_type: MediaType,
        value: &T,
    ) -> Result<Descriptor, Error> {
        let bytes = oci_image::json::to_vec(value)
            .map_err(|source| Error::Json { path: PathBuf::from("(new document)"), source })?;
        self.put_bytes(media_type, &bytes)
    }

    /// Removes a blob; `false` if the layout did not hold it. References to it are not
    /// checked: see [`Layout::gc`] for safe removal.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn delete_blob(&self, digest: &Digest) -> Result<bool, Error> {
        let Some(dir) = self.algorithm_dir(digest, false)? else { return Ok(false) };
        fs::unlink(fd(&dir), digest.encoded()).map_err(Error::io("remove", blob_path(digest)))
    }

    /// Every blob the layout holds, by digest (names that are not digests are skipped;
    /// [`Layout::fsck`] reports them).
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn blobs(&self) -> Result<Vec<Digest>, Error> {
        let mut out = Vec::new();
        for algorithm in fs::list(fd(&self.blobs)).map_err(Error::io("list", BLOBS_DIR))? {
            let Ok(dir) = fs::open_dir(fd(&self.blobs), &algorithm) else { continue };
            for name in fs::list(fd(&dir))
                .map_err(Error::io("list", Path::new(BLOBS_DIR).join(&algorithm)))?
            {
                if let Ok(digest) = format!("{algorithm}:{name}").parse::<Digest>() {
                    out.push(digest);
                }
            }
        }
        Ok(out)
    }

    /// The layout's `index.json`.
    ///
    /// # Errors
    /// [`Error::Json`] if it does not parse, [`Error::Io`].
    pub fn index(&self) -> Result<ImageIndex, Error> {
        let bytes = read_small(&self.root, INDEX_FILE, MAX_INDEX_SIZE)
            .map_err(Error::io("read", INDEX_FILE))?;
        oci_image::json::from_slice(&bytes)
            .map_err(|source| Error::Json { path: INDEX_FILE.into(), source })
    }

    /// Reads, changes and atomically replaces `index.json` under an exclusive lock, so
    /// concurrent writers (threads or processes) lose nothing.
    ///
    /// # Errors
    /// Whatever `change` returns (then nothing is written), or I/O errors.
    pub fn update_index<R>(
        &self,
        change: impl FnOnce(&mut ImageIndex) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let _lock =
            fs::lock_exclusive(fd(&self.root), LOCK_FILE).map_err(Error::io("lock", LOCK_FILE))?;
        let mut index = self.index()?;
        let result = change(&mut index)?;
        let bytes = oci_image::json::to_vec(&index)
            .map_err(|source| Error::Json { path: INDEX_FILE.into(), source })?;
        fs::write_atomic(fd(&self.root), INDEX_FILE, &bytes)
            .map_err(Error::io("write", INDEX_FILE))?;
        Ok(result)
    }

    /// Points the tag `name` at `descriptor` (which the layout must hold), replacing
    /// entries that had the tag: an `index.json` entry with the
    /// `org.opencontainers.image.ref.name` annotation.
    ///
    /// # Errors
    /// [`Error::InvalidRefName`] for a name outside the ref-name grammar,
    /// [`Error::BlobNotFound`] if the layout does not hold the content.
    pub fn tag(&self, descriptor: &Descriptor, name: &str) -> Result<(), Error> {
        if !is_valid_ref_name(name) {
            return Err(Error::InvalidRefName(name.to_owned()));
        }
        if self.blob_size(&descriptor.digest)? != Some(descriptor.size) {
            return Err(Error::BlobNotFound(descriptor.digest.clone()));
        }
        let mut entry = descriptor.clone();
        entry.annotations.insert(REF_NAME.to_owned(), name.to_owned());
        self.update_index(|index| {
            index.manifests.retain(|m| ref_name(m) != Some(name));
            index.manifests.push(entry);
            Ok(())
        })
    }

    /// Removes the tag `name`; `false` if no entry had it. The content stays until
    /// [`Layout::gc`].
    ///
    /// # Errors
    /// I/O errors.
    pub fn untag(&self, name: &str) -> Result<bool, Error> {
        self.update_index(|index| {
            let before = index.manifests.len();
            index.manifests.retain(|m| ref_name(m) != Some(name));
            Ok(index.manifests.len() != before)
        })
    }

    /// The tagged entries of `index.json`, as (tag, descriptor), in index order.
    ///
    /// # Errors
    /// As [`Layout::index`].
    pub fn tags(&self) -> Result<Vec<(String, Descriptor)>, Error> {
        Ok(self
            .index()?
            .manifests
            .into_iter()
            .filter_map(|m| Some((ref_name(&m)?.to_owned(), m)))
            .collect())
    }

    /// The descriptor a reference names: a tag of `index.json`, or a digest (of an entry
    /// of `index.json`, or of a blob the layout holds). With a platform, an index is
    /// followed down to the manifest that best matches it, and a tag carried by several
    /// entries is narrowed to the one for that platform; without one, such a tag is an
    /// error.
    ///
    /// # Errors
    /// [`Error::ReferenceNotFound`], [`Error::AmbiguousReference`],
    /// [`Error::NoMatchingPlatform`].
    pub fn resolve(
        &self,
        reference: &str,
        platform: Option<&Platform>,
    ) -> Result<Descriptor, Error> {
        let index = self.index()?;
        let mut candidates: Vec<&Descriptor> =
            index.manifests.iter().filter(|m| ref_name(m) == Some(reference)).collect();
        if candidates.is_empty()
            && let Ok(digest) = reference.parse::<Digest>()
        {
            candidates = index.manifests.iter().filter(|m| m.digest == digest).take(1).collect();
            if candidates.is_empty() {
                return self.describe_blob(&digest).and_then(|d| self.narrow(d, platform));
            }
        }
        let found = match (candidates.as_slice(), platform) {
            ([], _) => return Err(Error::ReferenceNotFound(reference.to_owned())),
            ([one], _) => (*one).clone(),
            (many, Some(platform)) => {
                let platforms: Vec<Platform> = many
                    .iter()
                    .map(|d| d.platform.clone().unwrap_or_else(|| Platform::new("", "")))
                    .collect();
                let best = platform
                    .best_match(&platforms)
                    .ok_or_else(|| Error::NoMatchingPlatform(platform.to_string()))?;
                many[best].clone()
            }
            (many, None) => {
                return Err(Error::AmbiguousReference {
                    reference: reference.to_owned(),
                    count: many.len(),
                });
            }
        };
        self.narrow(found, platform)
    }

    fn narrow(
        &self,
        descriptor: Descriptor,
        platform: Option<&Platform>,
    ) -> Result<Descriptor, Error> {
        match platform {
            Some(p) => {
                Ok(content::select_platform(self, descriptor, p, DEFAULT_MAX_DOCUMENT_SIZE)?)
            }
            None => Ok(descriptor),
        }
    }

    /// A descriptor for a blob found by digest alone: its media type is read from the
    /// document (`mediaType`, else its shape), else `application/octet-stream`.
    fn describe_blob(&self, digest: &Digest) -> Result<Descriptor, Error> {
        let size =
            self.blob_size(digest)?.ok_or_else(|| Error::ReferenceNotFound(digest.to_string()))?;
        let mut media_type = MediaType::from("application/octet-stream");
        if size <= DEFAULT_MAX_DOCUMENT_SIZE {
            let probe = Descriptor::new(media_type.clone(), size, digest.clone());
            let bytes = self.read_blob_bytes(&probe, DEFAULT_MAX_DOCUMENT_SIZE)?;
            if let Some(m) = oci_image::sniff_media_type(&bytes) {
                media_type = m;
            }
        }
        Ok(Descriptor::new(media_type, size, digest.clone()))
    }

    /// Manifests and indexes stored in the layout whose `subject` is `subject`, found by
    /// reading every blob that looks like JSON (layouts have no referrers index).
    ///
    /// # Errors
    /// I/O errors.
    pub fn referrers(&self, subject: &Digest) -> Result<Vec<(Descriptor, Document)>, Error> {
        let mut out = Vec::new();
        for (descriptor, document) in self.documents()? {
            if document.subject().is_some_and(|s| s.digest == *subject) {
                out.push((descriptor, document));
            }
        }
        Ok(out)
    }

    /// Every blob that parses as a manifest or index (by its `mediaType` or shape).
    pub(crate) fn documents(&self) -> Result<Vec<(Descriptor, Document)>, Error> {
        let mut out = Vec::new();
        for digest in self.blobs()? {
            let Some(size) = self.blob_size(&digest).ok().flatten() else { continue };
            if !(2..=DEFAULT_MAX_DOCUMENT_SIZE).contains(&size) {
                continue;
            }
            let Ok(mut file) = self.open_blob(&digest) else { continue };
            let mut first = [0u8; 1];
            if file.read(&mut first).ok() != Some(1) || first[0] != b'{' {
                continue;
            }
            let probe =
                Descriptor::new(MediaType::from("application/octet-stream"), size, digest.clone());
            let Ok(bytes) = self.read_blob_bytes(&probe, DEFAULT_MAX_DOCUMENT_SIZE) else {
                continue;
            };
            let Some(media_type) = oci_image::sniff_media_type(&bytes) else { continue };
            if let Ok(document) = Document::parse(&media_type, &bytes) {
                out.push((Descriptor::new(media_type, size, digest), document));
            }
        }
        Ok(out)
    }
}

/// The tag of an `index.json` entry.
pub(crate) fn ref_name(descriptor: &Descriptor) -> Option<&str> {
    descriptor.annotations.get(REF_NAME).map(String::as_str)
}

fn read_error(digest: &Digest, e: io::Error) -> Error {
    match VerifyError::from_io(&e) {
        Some(v) => Error::Verify { digest: digest.clone(), source: v.clone() },
        None => Error::io("read", blob_path(digest))(e),
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

/// Copies `from` to `to` through one large buffer (no per-call allocation).
fn copy_stream(from: &mut dyn Read, to: &mut dyn Write) -> io::Result<u64> {
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut total = 0;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
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
