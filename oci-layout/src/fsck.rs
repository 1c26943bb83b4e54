//! Checking a whole layout: every blob, every reference, every document.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

use oci_image::annotations::is_valid_ref_name;
use oci_image::content::DEFAULT_MAX_DOCUMENT_SIZE;
use oci_image::{Descriptor, Digest, Document, ImageConfiguration, MediaType};

use crate::fs::{self, fd};
use crate::store::{BLOBS_DIR, LAYOUT_FILE, ref_name};
use crate::{Error, Layout};

/// One problem [`Layout::fsck`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// What it is about: a file of the layout, or a blob's digest.
    pub subject: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

/// What [`Layout::fsck`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FsckReport {
    /// Every problem, in the order found; empty for a sound layout.
    pub problems: Vec<Problem>,
    /// Blob files hashed.
    pub blobs_checked: usize,
    /// Bytes hashed.
    pub bytes_checked: u64,
    /// Manifests and indexes parsed and validated.
    pub documents_checked: usize,
}

impl FsckReport {
    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, subject: impl fmt::Display, message: impl fmt::Display) {
        self.problems.push(Problem { subject: subject.to_string(), message: message.to_string() });
    }
}

const HASH_BUFFER: usize = 1 << 20;

/// Hashes one blob file: `Ok(None)` if it matches its name, `Ok(Some(reason))` if not.
fn hash_blob(layout: &Layout, digest: &Digest) -> Result<(u64, Option<String>), Error> {
    let mut file = layout.open_blob(digest)?;
    let Ok(mut hasher) = digest.hasher() else {
        return Ok((0, None));
    };
    let mut buf = vec![0u8; HASH_BUFFER];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(Error::io(
            "read",
            Path::new(BLOBS_DIR).join(digest.algorithm()).join(digest.encoded()),
        ))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    let actual = hasher.finalize();
    Ok((total, (actual != *digest).then(|| format!("content has digest {actual}"))))
}

impl Layout {
    /// Checks the whole layout and reports every problem, not the first: the `oci-layout`
    /// file; `index.json` (parse, `validate()`, tag grammar); every blob file (a regular
    /// file whose content hashes to its name, hashed on every core); every descriptor
    /// reachable from `index.json` (the blob exists with that size; manifests and indexes
    /// parse as their media type says, validate, and are not ambiguous; configurations
    /// parse and validate with one diff_id per layer; an index entry's platform agrees
    /// with the configuration it leads to); stray files in `blobs/`.
    ///
    /// # Errors
    /// Only for failures to read the layout at all; everything wrong with its content is
    /// a [`Problem`] in the report.
    pub fn fsck(&self) -> Result<FsckReport, Error> {
        let mut report = FsckReport::default();
        match Self::open(self.path()) {
            Ok(_) => {}
            Err(Error::NotALayout { reason, .. }) => report.problem(LAYOUT_FILE, reason),
            Err(e) => return Err(e),
        }
        self.check_blob_files(&mut report)?;
        let index = match self.index() {
            Ok(index) => index,
            Err(e) => {
                report.problem("index.json", error_chain(&e));
                return Ok(report);
            }
        };
        for v in index.validate() {
            report.problem("index.json", v);
        }
        let mut tags = HashMap::<&str, usize>::new();
        for (i, entry) in index.manifests.iter().enumerate() {
            if let Some(name) = ref_name(entry) {
                if !is_valid_ref_name(name) {
                    report.problem(
                        "index.json",
                        format_args!("manifests[{i}]: invalid reference name {name:?}"),
                    );
                }
                *tags.entry(name).or_default() += 1;
            }
        }
        for (name, count) in tags {
            if count > 1
                && index
                    .manifests
                    .iter()
                    .filter(|m| ref_name(m) == Some(name))
                    .any(|m| m.platform.is_none())
            {
                report.problem(
                    "index.json",
                    format_args!("tag {name:?} names {count} entries, not all with a platform"),
                );
            }
        }
        let mut seen = HashSet::new();
        for entry in &index.manifests {
            self.check_descriptor(entry, 0, &mut seen, &mut report);
        }
        Ok(report)
    }

    fn check_blob_files(&self, report: &mut FsckReport) -> Result<(), Error> {
        let mut digests = Vec::new();
        for algorithm in fs::list(fd(self.blobs_fd())).map_err(Error::io("list", BLOBS_DIR))? {
            let dir_path = Path::new(BLOBS_DIR).join(&algorithm);
            let dir = match fs::open_dir(fd(self.blobs_fd()), &algorithm) {
                Ok(dir) => dir,
                Err(e) => {
                    report.problem(dir_path.display(), format_args!("not a directory: {e}"));
                    continue;
                }
            };
            for name in fs::list(fd(&dir)).map_err(Error::io("list", &dir_path))? {
                if name.starts_with(fs::TEMP_PREFIX) {
                    continue;
                }
                match format!("{algorithm}:{name}").parse::<Digest>() {
                    Ok(digest) if digest.algorithm_kind().is_some_and(|a| a.is_verifiable()) => {
                        digests.push(digest)
                    }
                    Ok(digest) => report.problem(digest, "algorithm cannot be verified"),
                    Err(e) => report.problem(
                        dir_path.join(&name).display(),
                        format_args!("not a blob name: {e}"),
                    ),
                }
            }
        }
        // Hash on every core: blobs are independent. Largest first, so that the longest
        // hash starts at once and the others fill the remaining cores around it.
        let mut sized: Vec<(u64, Digest)> = digests
            .into_iter()
            .map(|d| (self.blob_size(&d).ok().flatten().unwrap_or(0), d))
            .collect();
        sized.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
        let digests: Vec<Digest> = sized.into_iter().map(|(_, d)| d).collect();
        let queue = Mutex::new(digests.iter());
        let results = Mutex::new(Vec::new());
        let workers =
            std::thread::available_parallelism().map_or(2, |n| n.get()).min(digests.len().max(1));
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                        let Some(digest) = next else { break };
                        let outcome = hash_blob(self, digest);
                        if let Ok(mut r) = results.lock() {
                            r.push((digest.clone(), outcome));
                        }
                    }
                });
            }
        });
        let mut results = results.into_inner().unwrap_or_default();
        results.sort_by(|a, b| a.0.cmp(&b.0));
        for (digest, outcome) in results {
            match outcome {
                Ok((size, None)) => {
                    report.blobs_checked += 1;
                    report.bytes_checked += size;
                }
                Ok((size, Some(reason))) => {
                    report.blobs_checked += 1;
                    report.bytes_checked += size;
                    report.problem(&digest, reason);
                }
                Err(e) => report.problem(&digest, error_chain(&e)),
            }
        }
        Ok(())
    }

    fn check_descriptor(
        &self,
        descriptor: &Descriptor,
        depth: usize,
        seen: &mut HashSet<(Digest, MediaType)>,
        report: &mut FsckReport,
    ) {
        let digest = &descriptor.digest;
        // Keyed by media type too: a digest one edge names as a plain blob and another as
        // a manifest is checked as the manifest, children included.
        if !seen.insert((digest.clone(), descriptor.media_type.clone())) {
            return;
        }
        if depth > 16 {
            report.problem(digest, "documents nested more than 16 deep");
            return;
        }
        for v in descriptor.validate() {
            report.problem(digest, format_args!("descriptor: {v}"));
        }
        match self.blob_size(digest) {
            Ok(Some(size)) if size == descriptor.size => {}
            Ok(Some(size)) => {
                report.problem(
                    digest,
                    format_args!("blob is {size} bytes, descriptor says {}", descriptor.size),
                );
                return;
            }
            Ok(None)
                if descriptor.media_type.is_non_distributable() && !descriptor.urls.is_empty() =>
            {
                return;
            }
            Ok(None) => {
                report.problem(
                    digest,
                    format_args!("referenced blob ({}) is missing", descriptor.media_type),
                );
                return;
            }
            Err(e) => {
                report.problem(digest, error_chain(&e));
                return;
            }
        }
        let media_type = &descriptor.media_type;
        if !media_type.is_document() {
            return;
        }
        let bytes = match self.read_blob_bytes(descriptor, DEFAULT_MAX_DOCUMENT_SIZE) {
            Ok(bytes) => bytes,
            Err(e) => {
                report.problem(digest, error_chain(&e));
                return;
            }
        };
        let document = match Document::parse(media_type, &bytes) {
            Ok(d) => d,
            Err(e) => {
                report.problem(digest, format_args!("{e}: {}", error_chain(&e)));
                return;
            }
        };
        report.documents_checked += 1;
        for v in document.validate() {
            report.problem(digest, v);
        }
        match &document {
            Document::Manifest(m) if m.config.media_type.is_config() => {
                self.check_descriptor(&m.config, depth + 1, seen, report);
                match self.read_blob_bytes(&m.config, 16 << 20) {
                    Ok(bytes) => match oci_image::json::from_slice::<ImageConfiguration>(&bytes) {
                        Ok(config) => {
                            for v in config.validate() {
                                report.problem(&m.config.digest, v);
                            }
                            if config.rootfs.diff_ids.len() != m.layers.len() {
                                report.problem(
                                    digest,
                                    format_args!(
                                        "{} layers but the configuration has {} diff_ids",
                                        m.layers.len(),
                                        config.rootfs.diff_ids.len()
                                    ),
                                );
                            }
                            if let Some(declared) = &descriptor.platform {
                                let actual = config.platform();
                                let (d, a) = (declared.normalized(), actual.normalized());
                                if (&d.os, &d.architecture, &d.variant)
                                    != (&a.os, &a.architecture, &a.variant)
                                {
                                    report.problem(
                                        digest,
                                        format_args!("index says platform {declared} but the configuration says {actual}"),
                                    );
                                }
                            }
                        }
                        Err(e) => report.problem(
                            &m.config.digest,
                            format_args!("configuration does not parse: {e}"),
                        ),
                    },
                    Err(e) => report.problem(&m.config.digest, error_chain(&e)),
                }
                for layer in &m.layers {
                    self.check_descriptor(layer, depth + 1, seen, report);
                }
                if let Some(subject) = &m.subject {
                    self.check_subject(subject, report);
                }
            }
            _ => {
                for child in document.children() {
                    if Some(child) == document.subject() {
                        self.check_subject(child, report);
                    } else {
                        self.check_descriptor(child, depth + 1, seen, report);
                    }
                }
            }
        }
    }

    /// A subject may live elsewhere (an artifact pushed beside an image), so only its
    /// grammar is checked, and its size if the layout holds it.
    fn check_subject(&self, subject: &Descriptor, report: &mut FsckReport) {
        if let Ok(Some(size)) = self.blob_size(&subject.digest)
            && size != subject.size
        {
            report.problem(
                &subject.digest,
                format_args!("subject is {size} bytes, descriptor says {}", subject.size),
            );
        }
    }
}

/// An error and its sources, on one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
