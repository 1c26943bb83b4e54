//! Archives: an image layout in a tar (`oci-archive`, as skopeo's `oci-archive:`) and the
//! `docker save` format (`docker-archive`).
//!
//! Imports stream every blob straight into a [`Layout`], verified: an `oci-archive` blob
//! against the digest its name declares, a `docker-archive` layer against the diff_id its
//! configuration declares. Names in the archive are never used as paths: a blob's place
//! comes from its validated digest. Exports write a deterministic tar (sorted, zero
//! mtimes, root-owned) holding one image and what it references.
//!
//! # Security
//!
//! An archive is untrusted input, read as a stream once:
//!
//! - No member name is ever a path on this machine: `oci-archive` blobs are stored under
//!   the digest their name parses to (a name that does not parse is an error), and
//!   `docker-archive` members are looked up by name inside the archive only (its links
//!   resolved within the archive's own namespace). `../` in a name cannot leave anything.
//! - Every blob is verified while it is written (digest and size, or the diff_id a
//!   `docker-archive` configuration declares); nothing unverified is stored under a
//!   digest, and the image is tagged only when its whole graph is present.
//! - Small members read whole (`index.json`, `manifest.json`, configurations) are bounded
//!   ([`crate::Error::TooLarge`] beyond 16 MiB); blobs are streamed, never held in memory.
//! - A `docker-archive` name that the archive does not hold is an error, never another
//!   image; exports refuse names outside the grammar of what they write
//!   ([`is_valid_docker_repo_tag`], `org.opencontainers.image.ref.name`), so a name cannot
//!   carry terminal escapes or paths into another tool.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Read, Write};

use oci_image::annotations::{REF_NAME, is_valid_ref_name};
use oci_image::content::{self, DEFAULT_MAX_DOCUMENT_SIZE, WalkControl};
use oci_image::{
    Compression, Descriptor, Digest, DigestWriter, ImageConfiguration, ImageIndex, ImageLayout,
    ImageManifest, MediaType,
};
use serde::{Deserialize, Serialize};

use crate::{Error, Layout};

/// Largest small file (`index.json`, `manifest.json`, configuration) read from an archive.
const MAX_SMALL_FILE: u64 = 16 << 20;

fn tar_error(action: &'static str) -> impl FnOnce(io::Error) -> Error {
    Error::io(action, "archive")
}

fn read_small(entry: &mut dyn Read, size: u64, name: &str) -> Result<Vec<u8>, Error> {
    if size > MAX_SMALL_FILE {
        return Err(Error::TooLarge {
            what: format!("{name} in the archive"),
            size,
            limit: MAX_SMALL_FILE,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    entry.take(size).read_to_end(&mut bytes).map_err(tar_error("read"))?;
    Ok(bytes)
}

/// Member names as tools write them: `./blobs/...` and `blobs/...` alike.
fn clean_name(raw: &str) -> &str {
    raw.trim_start_matches("./").trim_start_matches('/')
}

/// Imports an `oci-archive` (a tarred image layout) into `target` and tags the image
/// `reference` names in the archive (or its only image, when `reference` is `None`) as
/// `target_reference`. Every blob is verified while it is written; the image graph must
/// be complete before it is tagged. Returns the tagged descriptor.
///
/// # Errors
/// [`Error::Verify`] for a blob that does not match its name,
/// [`Error::MissingArchiveMember`] or [`Error::NotALayout`] for an archive without a
/// layout, [`Error::InvalidArchiveMember`] for a blob whose name is not a digest,
/// [`Error::ReferenceNotFound`], or I/O errors.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// use oci_layout::oci_image::{ImageConfiguration, ImageManifest, MediaType};
/// use oci_layout::{Layout, archive};
/// let layout = Layout::create(dir.path().join("a"))?;
/// let layer = layout.put_bytes(MediaType::ImageLayer, b"the bytes of a layer")?;
/// let config = ImageConfiguration::new("linux", "amd64");
/// let config = layout.put_json(MediaType::ImageConfig, &config)?;
/// let manifest = ImageManifest::new(config, vec![layer.clone()]);
/// let manifest = layout.put_json(MediaType::ImageManifest, &manifest)?;
/// layout.tag(&manifest, "v1")?;
/// // Out to a tar in memory, and into another layout, every blob verified.
/// let tar = archive::export_oci(&layout, "v1", "exported", Vec::new())?;
/// let other = Layout::create(dir.path().join("b"))?;
/// let imported = archive::import_oci(&tar[..], &other, Some("exported"), "v1")?;
/// assert_eq!(imported.digest, manifest.digest);
/// assert!(other.has_blob(&layer.digest)?);
/// # Ok(()) }
/// ```
pub fn import_oci(
    input: impl Read,
    target: &Layout,
    reference: Option<&str>,
    target_reference: &str,
) -> Result<Descriptor, Error> {
    let mut archive = tar::Archive::new(input);
    let mut index = None;
    let mut header = None;
    for entry in archive.entries().map_err(tar_error("read"))? {
        let mut entry = entry.map_err(tar_error("read"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let raw = entry.path().map_err(tar_error("read"))?.to_string_lossy().into_owned();
        let name = clean_name(&raw);
        let size = entry.size();
        match name {
            "index.json" => index = Some(read_small(&mut entry, size, name)?),
            "oci-layout" => header = Some(read_small(&mut entry, size, name)?),
            _ => {
                let Some(rest) = name.strip_prefix("blobs/") else { continue };
                let Some((algorithm, encoded)) = rest.split_once('/') else { continue };
                let Ok(digest) = format!("{algorithm}:{encoded}").parse::<Digest>() else {
                    return Err(Error::InvalidArchiveMember(raw));
                };
                let descriptor =
                    Descriptor::new(MediaType::from("application/octet-stream"), size, digest);
                target.put_blob(&descriptor, &mut entry)?;
            }
        }
    }
    let header = header.ok_or_else(|| Error::MissingArchiveMember("oci-layout".into()))?;
    let header: ImageLayout = oci_image::json::from_slice(&header)
        .map_err(|source| Error::Json { path: "archive/oci-layout".into(), source })?;
    if let Some(v) = header.validate().first() {
        return Err(Error::NotALayout { path: "archive".into(), reason: v.message.clone() });
    }
    let index = index.ok_or_else(|| Error::MissingArchiveMember("index.json".into()))?;
    let index: ImageIndex = oci_image::json::from_slice(&index)
        .map_err(|source| Error::Json { path: "archive/index.json".into(), source })?;
    let root = pick(&index, reference)?;
    ensure_complete(target, &root)?;
    target.tag(&root, target_reference)?;
    Ok(root)
}

/// The entry of an archive's index a reference names (or the only one).
fn pick(index: &ImageIndex, reference: Option<&str>) -> Result<Descriptor, Error> {
    let mut found: Vec<&Descriptor> = match reference {
        Some(r) => index
            .manifests
            .iter()
            .filter(|m| {
                m.annotations.get(REF_NAME).map(String::as_str) == Some(r) || m.digest.as_str() == r
            })
            .collect(),
        None => index.manifests.iter().collect(),
    };
    match found.len() {
        1 => {
            let mut d = found.remove(0).clone();
            d.annotations.remove(REF_NAME);
            Ok(d)
        }
        0 => Err(Error::ReferenceNotFound(reference.unwrap_or("(any)").to_owned())),
        count => Err(Error::AmbiguousReference {
            reference: reference.unwrap_or("(any)").to_owned(),
            count,
        }),
    }
}

/// Checks that `target` holds every blob `root` reaches (documents are parsed on the way).
fn ensure_complete(target: &Layout, root: &Descriptor) -> Result<(), Error> {
    content::walk(target, root, DEFAULT_MAX_DOCUMENT_SIZE, |node| {
        let d = node.descriptor;
        if node.document.is_none() && !d.is_external() {
            match target.blob_size(&d.digest) {
                Ok(Some(size)) if size == d.size => {}
                Ok(_) => return Err(content::Error::NotFound(d.digest.clone())),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(WalkControl::Continue)
    })?;
    Ok(())
}

/// A tar writer with deterministic headers.
struct TarOut<W: Write> {
    builder: tar::Builder<W>,
}

impl<W: Write> TarOut<W> {
    fn new(out: W) -> Self {
        let mut builder = tar::Builder::new(out);
        builder.mode(tar::HeaderMode::Deterministic);
        Self { builder }
    }

    fn dir(&mut self, name: &str) -> Result<(), Error> {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o755);
        header.set_size(0);
        header.set_mtime(0);
        header.set_cksum();
        self.builder.append_data(&mut header, name, io::empty()).map_err(tar_error("write"))
    }

    fn file(&mut self, name: &str, size: u64, content: impl Read) -> Result<(), Error> {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(size);
        header.set_mtime(0);
        header.set_cksum();
        self.builder.append_data(&mut header, name, content).map_err(tar_error("write"))
    }

    fn finish(self) -> Result<W, Error> {
        self.builder.into_inner().map_err(tar_error("write"))
    }
}

/// Every descriptor `root` reaches in `layout`, each once (documents included).
fn graph(layout: &Layout, root: &Descriptor) -> Result<Vec<Descriptor>, Error> {
    let mut out = Vec::new();
    content::walk(layout, root, DEFAULT_MAX_DOCUMENT_SIZE, |node| {
        out.push(node.descriptor.clone());
        Ok(WalkControl::Continue)
    })?;
    Ok(out)
}

/// Writes the image `reference` names in `layout` (an index with all its manifests, or
/// one manifest) as an `oci-archive` to `out`, tagged `archive_reference` in the
/// archive's `index.json`. Blobs are verified as they are copied.
///
/// # Errors
/// [`Error::InvalidRefName`] when `archive_reference` is outside the grammar of
/// `org.opencontainers.image.ref.name`, [`Error::ReferenceNotFound`],
/// [`Error::BlobNotFound`] for an incomplete image,
/// [`Error::Verify`], or I/O errors.
pub fn export_oci<W: Write>(
    layout: &Layout,
    reference: &str,
    archive_reference: &str,
    out: W,
) -> Result<W, Error> {
    if !is_valid_ref_name(archive_reference) {
        return Err(Error::InvalidRefName(archive_reference.to_owned()));
    }
    let root = layout.resolve(reference, None)?;
    let mut tar = TarOut::new(out);
    let header = oci_image::json::to_vec(&ImageLayout::default())
        .map_err(|source| Error::Json { path: "oci-layout".into(), source })?;
    tar.file("oci-layout", header.len() as u64, &header[..])?;
    let mut entry = root.clone();
    entry.annotations.insert(REF_NAME.to_owned(), archive_reference.to_owned());
    let index = oci_image::json::to_vec(&ImageIndex::new(vec![entry]))
        .map_err(|source| Error::Json { path: "index.json".into(), source })?;
    tar.file("index.json", index.len() as u64, &index[..])?;
    tar.dir("blobs/")?;
    let mut blobs: Vec<Descriptor> = graph(layout, &root)?
        .into_iter()
        .filter(|d| {
            !(d.media_type.is_non_distributable()
                && !d.urls.is_empty()
                && !layout.has_blob(&d.digest).unwrap_or(false))
        })
        .collect();
    blobs.sort_by(|a, b| a.digest.cmp(&b.digest));
    blobs.dedup_by(|a, b| a.digest == b.digest);
    let algorithms: BTreeSet<&str> = blobs.iter().map(|d| d.digest.algorithm()).collect();
    for algorithm in algorithms {
        tar.dir(&format!("blobs/{algorithm}/"))?;
    }
    for d in &blobs {
        let reader = layout.read_blob(d)?;
        tar.file(
            &format!("blobs/{}/{}", d.digest.algorithm(), d.digest.encoded()),
            d.size,
            reader,
        )?;
    }
    tar.finish()
}

/// One image of a `docker save` archive's `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerArchiveImage {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Imports a `docker-archive` (the `docker save` format: `manifest.json`, a configuration
/// and uncompressed layer tars) into `target`, converting it to an OCI image as skopeo
/// does: the configuration keeps its bytes, layers keep their bytes and are described as
/// `application/vnd.oci.image.layer.v1.tar`. Each layer must hash to the diff_id the
/// configuration declares for it. The image is tagged `target_reference`.
///
/// `image` picks the image as skopeo's `docker-archive:FILE:NAME:TAG` does: `NAME:TAG`
/// names the image whose `RepoTags` hold it (`docker.io/` and `library/` may be left out,
/// as Docker does), `@N` the `N`th image (from 0); `None` takes the archive's only image.
///
/// # Errors
/// [`Error::ReferenceNotFound`] when no image carries the name (or the index is out of
/// range), [`Error::AmbiguousReference`] when `image` is `None` and the archive holds
/// several, [`Error::MissingArchiveMember`], [`Error::DiffIdCount`] or [`Error::DiffId`]
/// for a malformed archive or a layer that does not match its diff_id, or I/O errors.
pub fn import_docker(
    input: impl Read,
    target: &Layout,
    image: Option<&str>,
    target_reference: &str,
) -> Result<Descriptor, Error> {
    let mut archive = tar::Archive::new(input);
    let mut stored: HashMap<String, Descriptor> = HashMap::new();
    let mut manifest = None;
    for entry in archive.entries().map_err(tar_error("read"))? {
        let mut entry = entry.map_err(tar_error("read"))?;
        let kind = entry.header().entry_type();
        let raw = entry.path().map_err(tar_error("read"))?.to_string_lossy().into_owned();
        let name = clean_name(&raw).to_owned();
        if kind.is_symlink() {
            // Docker links identical layers to one file; resolve by name within the archive.
            if let Some(link) = entry.link_name().map_err(tar_error("read"))? {
                let link = link.to_string_lossy().into_owned();
                let base = name.rsplit_once('/').map_or("", |(dir, _)| dir);
                let joined = if base.is_empty() { link.clone() } else { format!("{base}/{link}") };
                let resolved = normalize(&joined);
                if let Some(d) = stored.get(&resolved).cloned() {
                    stored.insert(name, d);
                }
            }
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        if name == "manifest.json" {
            let size = entry.size();
            manifest = Some(read_small(&mut entry, size, &name)?);
        } else if name.ends_with(".tar") || name.ends_with(".json") || name.starts_with("blobs/") {
            let d = target.put_stream(MediaType::from("application/octet-stream"), &mut entry)?;
            stored.insert(name, d);
        }
    }
    let manifest = manifest.ok_or_else(|| Error::MissingArchiveMember("manifest.json".into()))?;
    let images: Vec<DockerArchiveImage> = oci_image::json::from_slice(&manifest)
        .map_err(|source| Error::Json { path: "archive/manifest.json".into(), source })?;
    let image = pick_docker(&images, image)?;
    let config = stored
        .get(clean_name(&image.config))
        .ok_or_else(|| Error::MissingArchiveMember(format!("configuration {}", image.config)))?;
    let config_bytes = target.read_blob_bytes(config, MAX_SMALL_FILE)?;
    let parsed: ImageConfiguration =
        oci_image::json::from_slice(&config_bytes).map_err(|source| Error::Json {
            path: format!("archive/{}", image.config).into(),
            source,
        })?;
    if parsed.rootfs.diff_ids.len() != image.layers.len() {
        return Err(Error::DiffIdCount {
            layers: image.layers.len(),
            diff_ids: parsed.rootfs.diff_ids.len(),
        });
    }
    let mut layers = Vec::new();
    for (path, diff_id) in image.layers.iter().zip(&parsed.rootfs.diff_ids) {
        let d = stored
            .get(clean_name(path))
            .ok_or_else(|| Error::MissingArchiveMember(format!("layer {path}")))?;
        if d.digest != *diff_id {
            return Err(Error::DiffId {
                layer: path.clone(),
                expected: diff_id.clone(),
                actual: d.digest.clone(),
            });
        }
        layers.push(Descriptor::new(MediaType::ImageLayer, d.size, d.digest.clone()));
    }
    let config = Descriptor::new(MediaType::ImageConfig, config.size, config.digest.clone());
    let mut manifest = ImageManifest::new(config, layers);
    manifest.annotations = BTreeMap::new();
    let root = target.put_json(MediaType::ImageManifest, &manifest)?;
    target.tag(&root, target_reference)?;
    Ok(root)
}

/// The image of a `docker save` archive's `manifest.json` that `wanted` names (see
/// [`import_docker`]).
fn pick_docker<'a>(
    images: &'a [DockerArchiveImage],
    wanted: Option<&str>,
) -> Result<&'a DockerArchiveImage, Error> {
    let not_found = || Error::ReferenceNotFound(wanted.unwrap_or("(any)").to_owned());
    match wanted {
        None => match images {
            [one] => Ok(one),
            [] => Err(not_found()),
            many => Err(Error::AmbiguousReference { reference: "(any)".into(), count: many.len() }),
        },
        Some(w) => {
            if let Some(n) = w.strip_prefix('@') {
                let n: usize = n.parse().map_err(|_| not_found())?;
                return images.get(n).ok_or_else(not_found);
            }
            let wanted = docker_familiar(w);
            let mut found = images
                .iter()
                .filter(|i| i.repo_tags.iter().flatten().any(|tag| docker_familiar(tag) == wanted));
            match (found.next(), found.next()) {
                (Some(one), None) => Ok(one),
                (None, _) => Err(not_found()),
                (Some(_), Some(_)) => Err(Error::AmbiguousReference {
                    reference: w.to_owned(),
                    count: 2 + found.count(),
                }),
            }
        }
    }
}

/// A Docker `NAME[:TAG]` in the short form Docker shows: without `docker.io/` (or
/// `index.docker.io/`) and `library/`, with `:latest` when it names no tag.
fn docker_familiar(name: &str) -> String {
    let short = name
        .strip_prefix("docker.io/")
        .or_else(|| name.strip_prefix("index.docker.io/"))
        .map_or(name, |rest| rest.strip_prefix("library/").unwrap_or(rest));
    let last = short.rsplit('/').next().unwrap_or(short);
    if last.contains(':') { short.to_owned() } else { format!("{short}:latest") }
}

/// Whether `name` is a Docker `NAME:TAG` as `docker save` writes into `RepoTags`: an
/// optional registry host (with a port), path components of lowercase letters and digits
/// joined by `.`, `_`, `__` or dashes, and a tag of at most 128 word characters, dots and
/// dashes that does not begin with a dot or a dash.
///
/// ```
/// use oci_layout::archive::is_valid_docker_repo_tag;
/// assert!(is_valid_docker_repo_tag("example/app:v1"));
/// assert!(is_valid_docker_repo_tag("localhost:5000/a__b/c-d:1.0"));
/// assert!(!is_valid_docker_repo_tag("example/app"));
/// assert!(!is_valid_docker_repo_tag("Example/app:v1"));
/// assert!(!is_valid_docker_repo_tag("app:\u{1b}[2J"));
/// ```
pub fn is_valid_docker_repo_tag(name: &str) -> bool {
    let Some((repository, tag)) = name.rsplit_once(':') else { return false };
    let tag_ok = tag.len() <= 128
        && tag.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if !tag_ok || repository.is_empty() || repository.len() > 255 {
        return false;
    }
    let mut parts: Vec<&str> = repository.split('/').collect();
    let first = parts[0];
    if parts.len() > 1 && (first.contains(['.', ':']) || first == "localhost") {
        let (host, port) = first.split_once(':').unwrap_or((first, ""));
        let host_ok = !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        let port_ok = !first.contains(':')
            || (!port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()));
        if !host_ok || !port_ok {
            return false;
        }
        parts.remove(0);
    }
    parts.iter().all(|component| is_path_component(component))
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !bytes.first().is_some_and(|&b| alnum(b)) || !bytes.last().is_some_and(|&b| alnum(b)) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        if !(separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-'))
        {
            return false;
        }
    }
    true
}

/// `a/./b/../c` → `a/c`, within the archive's own namespace (never touches a file system).
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Writes the image manifest `reference` names as a `docker-archive` (`docker save`
/// format) to `out`, with `repo_tag` (such as `example/app:v1`) in its `manifest.json`.
/// Compressed layers are decompressed (their diff_ids checked) since the format holds
/// plain tars.
///
/// # Errors
/// [`Error::InvalidRefName`] when `repo_tag` is not a Docker `NAME:TAG` (see
/// [`is_valid_docker_repo_tag`]), [`Error::WrongMediaType`] for an index (choose a
/// platform first) or a layer type Docker cannot hold, [`Error::DiffIdCount`],
/// [`Error::DiffId`], [`Error::Verify`], or I/O errors.
pub fn export_docker<W: Write>(
    layout: &Layout,
    reference: &str,
    repo_tag: Option<&str>,
    out: W,
) -> Result<W, Error> {
    if let Some(name) = repo_tag.filter(|t| !is_valid_docker_repo_tag(t)) {
        return Err(Error::InvalidRefName(name.to_owned()));
    }
    let root = layout.resolve(reference, None)?;
    let image = layout.image(&root)?;
    let mut tar = TarOut::new(out);
    let config_name = format!("{}.json", image.manifest.config.digest.encoded());
    let config = layout.read_blob_bytes(&image.manifest.config, MAX_SMALL_FILE)?;
    tar.file(&config_name, config.len() as u64, &config[..])?;
    if image.config.rootfs.diff_ids.len() != image.manifest.layers.len() {
        return Err(Error::DiffIdCount {
            layers: image.manifest.layers.len(),
            diff_ids: image.config.rootfs.diff_ids.len(),
        });
    }
    let mut layer_names = Vec::new();
    for (layer, diff_id) in image.manifest.layers.iter().zip(&image.config.rootfs.diff_ids) {
        let name = format!("{}.tar", diff_id.encoded());
        let compression =
            layer.media_type.layer_compression().ok_or_else(|| Error::WrongMediaType {
                digest: layer.digest.clone(),
                media_type: layer.media_type.clone(),
                expected: "a layer",
            })?;
        // First pass: the uncompressed size, and the diff_id check.
        let mut sink = DigestWriter::sha256(io::sink());
        io::copy(&mut decompressed(layout, layer, compression)?, &mut sink)
            .map_err(|e| read_error(layer, e))?;
        let (_, actual, size) = sink.finish();
        if actual != *diff_id {
            return Err(Error::DiffId {
                layer: layer.digest.to_string(),
                expected: diff_id.clone(),
                actual,
            });
        }
        tar.file(&name, size, decompressed(layout, layer, compression)?)?;
        layer_names.push(name);
    }
    let manifest = vec![DockerArchiveImage {
        config: config_name,
        repo_tags: repo_tag.map(|t| vec![t.to_owned()]),
        layers: layer_names,
    }];
    let bytes = serde_json::to_vec(&manifest)
        .map_err(|source| Error::Json { path: "manifest.json".into(), source })?;
    tar.file("manifest.json", bytes.len() as u64, &bytes[..])?;
    tar.finish()
}

fn read_error(layer: &Descriptor, e: io::Error) -> Error {
    match oci_image::VerifyError::from_io(&e) {
        Some(v) => Error::Verify { digest: layer.digest.clone(), source: v.clone() },
        None => Error::io("decompress", format!("blob {}", layer.digest))(e),
    }
}

/// A layer's verified stream, decompressed.
fn decompressed<'a>(
    layout: &'a Layout,
    layer: &Descriptor,
    compression: Compression,
) -> Result<Box<dyn Read + 'a>, Error> {
    let raw = io::BufReader::with_capacity(1 << 20, layout.read_blob(layer)?);
    Ok(match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(raw)
                .map_err(Error::io("decompress", format!("blob {}", layer.digest)))?,
        ),
        _ => Box::new(raw),
    })
}
