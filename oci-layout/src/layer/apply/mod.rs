//! Applying one layer to a root directory: the orchestration of the modules below.
//!
//! - [`pipeline`]: reading, verifying and decompressing the layer, and the diff_id;
//! - [`entry`]: applying each tar entry beneath the root;
//! - [`trash`]: whiteouts, and the reaper thread that empties what they remove;
//! - [`helper`]: the second thread that writes small files.

mod entry;
mod helper;
mod pipeline;
mod trash;

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::sync_channel;

use oci_image::{Compression, Descriptor, Digest, VerifyingReader};

use self::entry::Applier;
use self::helper::{HELPER_BACKLOG, Helper, HelperShared, help_write};
use self::pipeline::{
    Chunk, Chunks, Compressed, DEPTH, Decompressed, DiffIdHash, ProducerFailed, READ_CHUNK,
    READ_DEPTH, WriterStopped, check_magic, map_read, produce, read_chunk, read_compressed,
};
pub(crate) use self::trash::remove_all;
use super::gzip::Gunzip;
use super::root::Root;
use super::tar::{Limits, TarReader};
use super::zstd_blocks::ZstdDecoder;
use super::{ApplyOptions, ApplyReport, LayerError, io_err};

/// Splits an entry name into components: leading `/` and `./` are dropped (names are
/// relative to the root), `.` components are skipped, `..` is refused.
fn components(path: &[u8]) -> Result<Vec<&[u8]>, LayerError> {
    let mut out = Vec::new();
    for c in path.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                return Err(LayerError::UnsafePath(String::from_utf8_lossy(path).into_owned()));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn join(components: &[&[u8]]) -> Vec<u8> {
    components.join(&b'/')
}

/// The components of a path [`join`] made (from checked components; the root is empty).
fn split(path: &[u8]) -> Vec<&[u8]> {
    path.split(|&b| b == b'/').filter(|c| !c.is_empty()).collect()
}

/// Applies one layer: see [`super::apply`]. Four threads overlap: one reads the layer
/// and checks its digest, one decompresses it, this one writes the files, and a helper
/// writes some of the small ones (see [`Helper`]); the diff_id is hashed by this one or
/// the decompressing one, whichever has time.
pub(crate) fn apply_layer(
    root: &Path,
    layer: impl Read + Send,
    descriptor: &Descriptor,
    diff_id: &Digest,
    options: &ApplyOptions,
) -> Result<ApplyReport, LayerError> {
    let compression = descriptor
        .media_type
        .layer_compression()
        .ok_or_else(|| LayerError::MediaType(descriptor.media_type.clone()))?;
    if descriptor.media_type.as_str().contains("encrypted") {
        return Err(LayerError::MediaType(descriptor.media_type.clone()));
    }
    let root = Root::open(root).map_err(io_err(b"/", "open"))?;
    let mut verified = VerifyingReader::new(layer, &descriptor.digest, descriptor.size)
        .map_err(|_| LayerError::Unsupported("the layer's digest algorithm"))?;
    let mut first = Vec::new();
    read_chunk(&mut verified, &mut first, READ_CHUNK).map_err(|e| map_read(e, descriptor))?;
    check_magic(&first[..first.len().min(4)], compression)?;
    let (compressed_tx, compressed_rx) = sync_channel(READ_DEPTH);
    let (spent_tx, spent_rx) = sync_channel(2);
    let compressed = Compressed { rx: compressed_rx, spent: spent_tx, current: Vec::new(), pos: 0 };
    let max_zstd_window_log = options.max_zstd_window_log;
    // Built on the decompressing thread: a gzip decoder reads the header as it is made.
    let decompress = move || -> io::Result<Decompressed> {
        Ok(match compression {
            Compression::Gzip => Decompressed::Gzip(Gunzip::new(compressed)),
            Compression::Zstd => {
                Decompressed::Zstd(ZstdDecoder::new(compressed, max_zstd_window_log)?)
            }
            _ => Decompressed::Plain(compressed),
        })
    };
    let hasher =
        diff_id.hasher().map_err(|_| LayerError::Unsupported("the diff_id's digest algorithm"))?;
    let limit = options.max_total_size;
    let hash = DiffIdHash::new(hasher);
    let written = std::thread::scope(|scope| {
        let reader =
            scope.spawn(move || read_compressed(verified, first, &compressed_tx, &spent_rx));
        let (tx, rx) = sync_channel(DEPTH);
        let hash = &hash;
        let producer = scope.spawn(move || {
            let result =
                decompress().and_then(|decompressed| produce(decompressed, limit, &tx, hash));
            if let Err(e) = &result {
                // Hand the failure to the writer too, so it stops at the same point.
                let _ = tx.send(Err(io::Error::new(e.kind(), ProducerFailed)));
            }
            result
        });
        let chunks = Chunks { rx, current: Chunk::default(), received: 0, pos: 0, hash };
        let written = write_entries(&root, chunks, options, descriptor);
        // Dropping the reader (inside write_entries) lets the producer end; its verdict
        // on the streams comes first, since a broken stream explains a broken archive.
        let uncompressed = producer
            .join()
            .map_err(|_| LayerError::Read(io::Error::other("the decompressing thread panicked")))?;
        let (report, entries, uncompressed) = match (written, uncompressed) {
            // The writer stopped first (an unsafe path, a write error): its reason stands.
            (Err(w), Err(p)) if p.get_ref().is_some_and(|i| i.is::<WriterStopped>()) => {
                return Err(w);
            }
            // A broken stream explains whatever the writer then saw.
            (_, Err(p)) => return Err(map_read(p, descriptor)),
            (Err(w), Ok(_)) => return Err(w),
            (Ok((report, entries)), Ok(uncompressed)) => (report, entries, uncompressed),
        };
        // Reached only when both other threads succeeded: then the reader read the whole
        // layer, and a failure of its own is the real one.
        reader
            .join()
            .map_err(|_| LayerError::Read(io::Error::other("the reading thread panicked")))?
            .map_err(|e| map_read(e, descriptor))?;
        Ok((report, entries, uncompressed))
    });
    let (mut report, entries, uncompressed) = written?;
    // Both threads are done: every chunk is hashed, in order.
    let actual = hash.finalize();
    if actual != *diff_id {
        return Err(LayerError::DiffId { expected: diff_id.clone(), actual });
    }
    report.entries = entries;
    report.uncompressed_size = uncompressed;
    Ok(report)
}

/// The writing side: parses the tar stream and applies each entry, then drains the rest.
fn write_entries(
    root: &Root,
    chunks: Chunks<'_>,
    options: &ApplyOptions,
    descriptor: &Descriptor,
) -> Result<(ApplyReport, u64), LayerError> {
    let limits = Limits {
        max_header: options.max_header_size,
        max_path: options.max_path_len,
        max_file: options.max_file_size,
    };
    let mut tar = TarReader::new(chunks, limits);
    let applied = std::thread::scope(|scope| {
        let mut applier = Applier::new(root, options);
        let (tx, rx) = sync_channel(HELPER_BACKLOG as usize);
        let shared = HelperShared::default();
        let count = Arc::new(AtomicU64::new(0));
        let (s, c) = (Arc::clone(&shared), Arc::clone(&count));
        scope.spawn(move || help_write(rx, s, c));
        applier.helper = Some(Helper { tx, shared, done: count, sent: 0, pending: HashSet::new() });
        apply_entries(&mut tar, &mut applier, options, descriptor)
    })?;
    // Drain to the end so that trailing data is hashed too before the verdict.
    let mut rest = tar.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| map_read(e, descriptor))?;
    Ok(applied)
}

fn apply_entries(
    tar: &mut TarReader<Chunks<'_>>,
    applier: &mut Applier<'_>,
    options: &ApplyOptions,
    descriptor: &Descriptor,
) -> Result<(ApplyReport, u64), LayerError> {
    let mut entries = 0u64;
    loop {
        let entry = match tar.next_entry() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(LayerError::Read(e)) => return Err(map_read(e, descriptor)),
            Err(e) => return Err(e),
        };
        entries += 1;
        if entries > options.max_entries {
            return Err(LayerError::Limit(format!(
                "layer has more than {} entries",
                options.max_entries
            )));
        }
        match applier.entry(&entry, tar) {
            Err(LayerError::Read(e)) => return Err(map_read(e, descriptor)),
            other => other?,
        }
    }
    applier.finish()?;
    Ok((std::mem::take(&mut applier.report), entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(components(b"/a/./b//c/").unwrap(), vec![&b"a"[..], b"b", b"c"]);
        assert!(components(b"a/../b").is_err());
        assert!(components(b"./").unwrap().is_empty());
    }
}
