//! Blobs: content-addressed files under `blobs/<algorithm>/`, written atomically and
//! verified, read verified.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use oci_image::{
    Algorithm, Descriptor, Digest, DigestWriter, MediaType, VerifyError, VerifyingReader,
};

use super::BLOBS_DIR;
use crate::fs::{self, fd};
use crate::{Error, Layout};

const COPY_BUFFER: usize = 1 << 20;

pub(super) fn blob_path(digest: &Digest) -> PathBuf {
    Path::new(BLOBS_DIR).join(digest.algorithm()).join(digest.encoded())
}

impl Layout {
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
    /// As [`Layout::read_blob`], and [`Error::TooLarge`] over the limit.
    pub fn read_blob_bytes(&self, descriptor: &Descriptor, limit: u64) -> Result<Vec<u8>, Error> {
        if descriptor.size > limit {
            return Err(Error::TooLarge {
                what: format!("blob {}", descriptor.digest),
                size: descriptor.size,
                limit,
            });
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
        let (stored, ()) = self.write_blob(digest.algorithm_kind(), replace, |file| {
            copy_stream(&mut reader, file).map_err(|e| read_error(digest, e))?;
            Ok((digest.clone(), ()))
        })?;
        Ok(stored)
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
        let (_, (digest, size)) = self.write_blob(Some(Algorithm::Sha256), false, |file| {
            let mut writer = DigestWriter::sha256(file);
            copy_stream(content, &mut writer).map_err(Error::io("read", "blob source"))?;
            let (_, digest, size) = writer.finish();
            Ok((digest.clone(), (digest, size)))
        })?;
        Ok(Descriptor::new(media_type, size, digest))
    }

    /// Writes a blob through `fill` into a temporary file in the algorithm's directory,
    /// then moves it under the digest `fill` returns. Returns whether it was stored (not
    /// already there) and what else `fill` returned.
    fn write_blob<T>(
        &self,
        algorithm: Option<Algorithm>,
        replace: bool,
        fill: impl FnOnce(&mut File) -> Result<(Digest, T), Error>,
    ) -> Result<(bool, T), Error> {
        let algorithm = algorithm.unwrap_or(Algorithm::Sha256);
        let dir_name = algorithm.as_str();
        let dir = fs::ensure_dir(fd(&self.blobs), dir_name)
            .map_err(Error::io("create", Path::new(BLOBS_DIR).join(dir_name)))?;
        let (mut file, temp) = fs::create_temp(fd(&dir))
            .map_err(Error::io("create a file in", Path::new(BLOBS_DIR).join(dir_name)))?;
        let result = (|| {
            let (digest, value) = fill(&mut file)?;
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
            Ok((stored, value))
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
        dir: impl AsRef<Path>,
        lower: Option<&Path>,
        options: &crate::layer::CreateOptions,
    ) -> Result<crate::layer::CreatedLayer, Error> {
        let dir = dir.as_ref();
        let (_, created) = self.write_blob(Some(Algorithm::Sha256), false, |file| {
            let mut out = io::BufWriter::with_capacity(COPY_BUFFER, file);
            let layer = crate::layer::create(dir, lower, &mut out, options)?;
            out.flush().map_err(Error::io("write", "layer"))?;
            Ok((layer.descriptor.digest.clone(), layer))
        })?;
        Ok(created)
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
}

fn read_error(digest: &Digest, e: io::Error) -> Error {
    match VerifyError::from_io(&e) {
        Some(v) => Error::Verify { digest: digest.clone(), source: v.clone() },
        None => Error::io("read", blob_path(digest))(e),
    }
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
