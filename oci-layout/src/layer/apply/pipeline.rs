//! The reading and decompressing pipeline of one layer: a thread reads the layer and
//! verifies it against its descriptor, another decompresses it and sends the result on in
//! chunks, and the writer reads those chunks as one stream; the diff_id is hashed by
//! whichever of the last two has time.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use oci_image::{Compression, Descriptor, Digest, Hasher, VerifyingReader};

use crate::layer::LayerError;
use crate::layer::gzip::Gunzip;
use crate::layer::zstd_blocks::ZstdDecoder;

#[derive(Debug, thiserror::Error)]
#[error("layer decompresses to more than {0} bytes")]
pub(super) struct LimitExceeded(u64);

/// Compressed bytes in chunks from the thread that reads and verifies them.
pub(super) struct Compressed {
    pub(super) rx: Receiver<io::Result<Vec<u8>>>,
    /// Spent chunks, back to the reading thread to fill again.
    pub(super) spent: SyncSender<Vec<u8>>,
    pub(super) current: Vec<u8>,
    pub(super) pos: usize,
}

/// `Read::read` for a reader whose `BufRead` side is the real one.
pub(super) fn read_buffered(reader: &mut impl BufRead, buf: &mut [u8]) -> io::Result<usize> {
    let available = reader.fill_buf()?;
    let n = available.len().min(buf.len());
    buf[..n].copy_from_slice(&available[..n]);
    reader.consume(n);
    Ok(n)
}

impl Compressed {
    /// The next chunk as the reading thread sent it, for a layer with nothing to
    /// decompress: handed on whole rather than copied. `spent` buffers go back to the
    /// reading thread first, to be filled again.
    fn next_whole(&mut self, spent: &mut Vec<Vec<u8>>) -> io::Result<Option<Vec<u8>>> {
        for buffer in spent.drain(..) {
            let _ = self.spent.try_send(buffer);
        }
        if self.pos < self.current.len() {
            let rest = self.current[self.pos..].to_vec();
            self.pos = self.current.len();
            return Ok(Some(rest));
        }
        match self.rx.recv() {
            Ok(chunk) => chunk.map(Some),
            // The reading thread is done: the stream is complete.
            Err(_) => Ok(None),
        }
    }
}

impl Read for Compressed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, buf)
    }
}

impl BufRead for Compressed {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.current.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    let spent = std::mem::replace(&mut self.current, chunk?);
                    // Refilling a buffer costs less than zeroing a new one; if the reading
                    // thread has enough, or is gone, this one is dropped.
                    let _ = self.spent.try_send(spent);
                    self.pos = 0;
                }
                // The reading thread is done: the stream is complete.
                Err(_) => break,
            }
        }
        Ok(&self.current[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.current.len());
    }
}

/// Compressed bytes read from the layer at a time.
pub(super) const READ_CHUNK: usize = 256 << 10;
/// Compressed chunks in flight.
pub(super) const READ_DEPTH: usize = 4;

/// The thread that reads the layer: verifies it against its descriptor and hands it on,
/// `first` (already read) first. Reads to the end of the layer unless the decompressing
/// thread hangs up. A read or verification failure goes to the decompressing thread,
/// which reports it first; this thread returns it too, and [`ReaderStopped`] when the
/// decompressing thread hung up before the end.
pub(super) fn read_compressed<R: Read>(
    mut verified: VerifyingReader<R>,
    first: Vec<u8>,
    tx: &SyncSender<io::Result<Vec<u8>>>,
    spent: &Receiver<Vec<u8>>,
) -> io::Result<()> {
    let mut chunk = first;
    loop {
        if chunk.is_empty() {
            // At its end the verifying reader has checked size and digest: a mismatch
            // is a read error, below.
            return if verified.is_verified() {
                Ok(())
            } else {
                Err(io::Error::other(ReaderStopped))
            };
        }
        if tx.send(Ok(chunk)).is_err() {
            return Err(io::Error::other(ReaderStopped));
        }
        chunk = spent.try_recv().unwrap_or_default();
        if let Err(e) = read_chunk(&mut verified, &mut chunk, READ_CHUNK) {
            let _ = tx.send(Err(duplicate(&e)));
            return Err(e);
        }
    }
}

/// The reading thread stopped before the end of the layer, because the decompressing
/// thread hung up.
#[derive(Debug, thiserror::Error)]
#[error("the decompressing thread stopped reading the layer before its end")]
pub(super) struct ReaderStopped;

/// A copy of a read error for a second thread, keeping a verification failure as one.
fn duplicate(e: &io::Error) -> io::Error {
    match oci_image::VerifyError::from_io(e) {
        Some(v) => io::Error::new(e.kind(), v.clone()),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

/// Fills `chunk` with up to `size` bytes, fewer only at the end of the stream. The
/// buffer's old content is overwritten, never zeroed first.
pub(super) fn read_chunk(
    reader: &mut impl Read,
    chunk: &mut Vec<u8>,
    size: usize,
) -> io::Result<()> {
    chunk.resize(size, 0);
    let mut filled = 0;
    while filled < size {
        match reader.read(&mut chunk[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                chunk.truncate(filled);
                return Err(e);
            }
        }
    }
    chunk.truncate(filled);
    Ok(())
}

/// The compressed stream, decompressed.
#[allow(clippy::large_enum_variant, reason = "one per layer, on the stack of apply_layer")]
pub(super) enum Decompressed {
    Plain(Compressed),
    Gzip(Gunzip<Compressed>),
    Zstd(ZstdDecoder<Compressed>),
}

impl Decompressed {
    /// The next chunk of the decompressed stream, `None` at its end, and never empty.
    /// Gzip fills a buffer from `free` if there is one; a plain layer hands on the reading
    /// thread's chunks (and `free` back to it); zstd hands out pieces of its own buffers.
    fn next_chunk(&mut self, free: &mut Vec<Vec<u8>>) -> io::Result<Option<Chunk>> {
        match self {
            Self::Zstd(r) => Ok(r.next_piece(CHUNK)?.map(Chunk::Shared)),
            Self::Plain(r) => Ok(r.next_whole(free)?.map(|b| Chunk::Owned(Arc::new(b)))),
            Self::Gzip(r) => {
                let mut buffer = free.pop().unwrap_or_default();
                read_chunk(r, &mut buffer, CHUNK)?;
                Ok((!buffer.is_empty()).then(|| Chunk::Owned(Arc::new(buffer))))
            }
        }
    }

    /// Reads whatever compressed bytes are left, so that the digest covers them and a
    /// failure to verify them shows here.
    fn finish(self) -> io::Result<()> {
        let mut rest = match self {
            Self::Plain(r) => r,
            Self::Gzip(r) => r.into_inner(),
            Self::Zstd(r) => r.into_inner(),
        };
        io::copy(&mut rest, &mut io::sink())?;
        Ok(())
    }
}

pub(super) fn map_read(e: io::Error, descriptor: &Descriptor) -> LayerError {
    if let Some(v) = oci_image::VerifyError::from_io(&e) {
        return LayerError::Verify { digest: descriptor.digest.clone(), source: v.clone() };
    }
    if let Some(limit) = e.get_ref().and_then(|i| i.downcast_ref::<LimitExceeded>()) {
        return LayerError::Limit(limit.to_string());
    }
    LayerError::Read(e)
}

/// Peeks at the first bytes to check they agree with the media type.
pub(super) fn check_magic(head: &[u8], compression: Compression) -> Result<(), LayerError> {
    const GZIP: &[u8] = &[0x1f, 0x8b];
    const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
    let found = if head.starts_with(GZIP) {
        Some(Compression::Gzip)
    } else if head.starts_with(ZSTD) {
        Some(Compression::Zstd)
    } else {
        None
    };
    match (compression, found) {
        (Compression::Gzip, Some(Compression::Gzip))
        | (Compression::Zstd, Some(Compression::Zstd)) => Ok(()),
        (Compression::None, None) => Ok(()),
        // An empty stream is checked by the digest alone.
        (_, None) if head.is_empty() => Ok(()),
        (expected, found) => Err(LayerError::Magic { expected, found }),
    }
}

/// Decompressed chunks handed from the decompressing thread to the writing one.
pub(super) const CHUNK: usize = 256 << 10;
/// Chunks in flight: bounds memory at `CHUNK * (DEPTH + 2)` whatever the layer size (plus,
/// for zstd, the decoder's two windows).
pub(super) const DEPTH: usize = 8;

/// A chunk of the decompressed stream, shared by the writer (which applies it) and,
/// for hashing, the decompressing thread.
#[derive(Clone)]
pub(super) enum Chunk {
    /// A buffer of its own, filled again once both are done with it.
    Owned(Arc<Vec<u8>>),
    /// A piece of the zstd decoder's buffers, which it reuses once every piece is gone.
    Shared(Bytes),
}

impl Default for Chunk {
    fn default() -> Self {
        Self::Owned(Arc::default())
    }
}

impl std::ops::Deref for Chunk {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Self::Owned(buffer) => buffer,
            Self::Shared(bytes) => bytes,
        }
    }
}

/// The diff_id hash, fed in stream order by whichever thread has time for it.
///
/// The writer hashes each chunk as it arrives unless that is done already. The
/// decompressing thread, when the writer falls behind (the queue is full), hashes the
/// oldest chunks still waiting in the queue instead of blocking. So the hash lands on the
/// less busy core: behind the writer for a layer of many small files, behind
/// decompression for one of a few big ones.
pub(super) struct DiffIdHash {
    pub(super) state: Mutex<HashState>,
    /// `state.next`, readable without the lock.
    pub(super) next: AtomicU64,
}

pub(super) struct HashState {
    pub(super) hasher: Hasher,
    /// The index of the next chunk to hash: every chunk before it is hashed.
    pub(super) next: u64,
}

impl DiffIdHash {
    pub(super) fn new(hasher: Hasher) -> Self {
        Self { state: Mutex::new(HashState { hasher, next: 0 }), next: AtomicU64::new(0) }
    }

    fn lock(&self) -> MutexGuard<'_, HashState> {
        // Hashing cannot panic half-way in a way that matters: a poisoned state is whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hashes chunk `index` unless that is done already. Chunks come in order.
    fn feed(&self, index: u64, chunk: &[u8]) {
        let mut state = self.lock();
        if state.next == index {
            state.hasher.update(chunk);
            state.next += 1;
            self.next.store(state.next, Ordering::Release);
        }
    }

    /// The decompressing thread's side: hashes the oldest sent chunk not hashed yet, if it has
    /// one. Says whether it did.
    fn help(&self, sent: &VecDeque<(u64, Chunk)>) -> bool {
        let mut state = self.lock();
        let next = state.next;
        let Some((_, chunk)) = sent.iter().find(|(index, _)| *index == next) else {
            return false;
        };
        state.hasher.update(chunk);
        state.next += 1;
        self.next.store(state.next, Ordering::Release);
        true
    }

    /// Takes back the oldest sent chunks that are hashed and that the writer is done with,
    /// as buffers to fill again.
    fn reclaim(&self, sent: &mut VecDeque<(u64, Chunk)>, free: &mut Vec<Vec<u8>>) {
        let next = self.next.load(Ordering::Acquire);
        while let Some((index, chunk)) = sent.front() {
            if *index >= next || matches!(chunk, Chunk::Owned(b) if Arc::strong_count(b) > 1) {
                break;
            }
            if let Some((_, Chunk::Owned(chunk))) = sent.pop_front()
                && let Ok(buffer) = Arc::try_unwrap(chunk)
                && free.len() < 2
            {
                free.push(buffer);
            }
        }
    }

    pub(super) fn finalize(self) -> Digest {
        self.state.into_inner().unwrap_or_else(PoisonError::into_inner).hasher.finalize()
    }
}

/// The writer's end of the pipeline: reads the chunks the decompressing thread sends, and
/// hashes those it has not hashed already.
pub(super) struct Chunks<'h> {
    pub(super) rx: Receiver<io::Result<Chunk>>,
    pub(super) current: Chunk,
    pub(super) received: u64,
    pub(super) pos: usize,
    pub(super) hash: &'h DiffIdHash,
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, buf)
    }
}

impl BufRead for Chunks<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.current.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.current = chunk?;
                    self.hash.feed(self.received, &self.current);
                    self.received += 1;
                    self.pos = 0;
                }
                // The sender is gone: the stream is complete.
                Err(_) => break,
            }
        }
        Ok(&self.current[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.current.len());
    }
}

/// The decompressing thread: decompresses the layer and sends the result on in chunks,
/// hashing some of them when the writer falls behind. Runs to the end of both streams
/// unless the writer hangs up, and returns the number of decompressed bytes.
pub(super) fn produce(
    mut decompressed: Decompressed,
    limit: u64,
    tx: &SyncSender<io::Result<Chunk>>,
    hash: &DiffIdHash,
) -> io::Result<u64> {
    // Chunks sent that may not be hashed yet or that the writer still holds, oldest first:
    // at most the queue's depth plus the one the writer holds, since the writer lets go
    // of them in order.
    let mut sent: VecDeque<(u64, Chunk)> = VecDeque::with_capacity(DEPTH + 2);
    let mut free: Vec<Vec<u8>> = Vec::with_capacity(2);
    let mut index = 0u64;
    let mut count = 0u64;
    while let Some(chunk) = decompressed.next_chunk(&mut free)? {
        count += chunk.len() as u64;
        if count > limit {
            return Err(io::Error::other(LimitExceeded(limit)));
        }
        let mut item = Ok(chunk.clone());
        loop {
            match tx.try_send(item) {
                Ok(()) => break,
                Err(TrySendError::Disconnected(_)) => {
                    return Err(io::Error::other(WriterStopped));
                }
                Err(TrySendError::Full(back)) => {
                    // The writer is behind: take hashing off its hands rather than wait.
                    if hash.help(&sent) {
                        item = back;
                        continue;
                    }
                    if tx.send(back).is_err() {
                        return Err(io::Error::other(WriterStopped));
                    }
                    break;
                }
            }
        }
        sent.push_back((index, chunk));
        index += 1;
        hash.reclaim(&mut sent, &mut free);
    }
    decompressed.finish()?;
    Ok(count)
}

#[derive(Debug, thiserror::Error)]
#[error("the layer stream failed")]
pub(super) struct ProducerFailed;

#[derive(Debug, thiserror::Error)]
#[error("the writer stopped")]
pub(super) struct WriterStopped;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_id_is_the_same_whichever_thread_hashes() {
        // Buffers of their own, and pieces of zstd's (the last two).
        let chunks: Vec<Chunk> = (0..8u8)
            .map(|i| vec![i; 1000 + usize::from(i)])
            .map(|v| if v[0] < 6 { Chunk::Owned(Arc::new(v)) } else { Chunk::Shared(v.into()) })
            .collect();
        let whole: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        let expected = Digest::sha256(&whole);
        // The decompressing thread helps with chunks 2 to 4 while the writer is behind; the
        // writer then receives every chunk and hashes only those not done.
        let hash = DiffIdHash::new(expected.hasher().unwrap());
        let mut sent: VecDeque<(u64, Chunk)> = VecDeque::new();
        let mut free = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            sent.push_back((i as u64, chunk.clone()));
            if i == 1 {
                // Nothing hashed yet: chunk 0 is the oldest, and it is the one helped with.
                assert!(hash.help(&sent));
            }
        }
        hash.feed(0, &chunks[0]);
        hash.feed(1, &chunks[1]);
        assert!(hash.help(&sent) && hash.help(&sent) && hash.help(&sent));
        for (i, chunk) in chunks.iter().enumerate() {
            hash.feed(i as u64, chunk);
        }
        assert!(!hash.help(&sent), "everything is hashed");
        // The writer still holds every chunk here (`chunks`): nothing is reclaimed.
        hash.reclaim(&mut sent, &mut free);
        assert_eq!(sent.len(), 8);
        assert!(free.is_empty());
        drop(chunks);
        hash.reclaim(&mut sent, &mut free);
        assert!(sent.is_empty());
        assert_eq!(free.len(), 2, "two buffers kept for reuse");
        assert_eq!(hash.finalize(), expected);
    }

    /// `read_compressed` reports what stopped it: the layer's own verification failure,
    /// or the decompressing side hanging up; never a size it made up.
    #[test]
    fn the_reader_reports_its_real_failure() {
        let bytes = vec![7u8; 3 * READ_CHUNK];
        let lie = Digest::sha256(b"other bytes");
        let run = |digest: &Digest, hang_up: bool| {
            let verified = VerifyingReader::new(&bytes[..], digest, bytes.len() as u64).unwrap();
            let (tx, rx) = std::sync::mpsc::sync_channel(8);
            let (_spent_tx, spent_rx) = std::sync::mpsc::sync_channel(2);
            if hang_up {
                drop(rx);
                return (read_compressed(verified, vec![1], &tx, &spent_rx), Vec::new());
            }
            let result = read_compressed(verified, vec![1], &tx, &spent_rx);
            drop(tx);
            (result, rx.into_iter().collect::<Vec<_>>())
        };
        let (result, sent) = run(&lie, false);
        let e = result.unwrap_err();
        assert!(oci_image::VerifyError::from_io(&e).is_some(), "{e}");
        // The decompressing side got the same verdict, as a verification failure too.
        let last = sent.into_iter().last().unwrap().unwrap_err();
        assert!(oci_image::VerifyError::from_io(&last).is_some(), "{last}");

        let (result, _) = run(&Digest::sha256(&bytes), true);
        let e = result.unwrap_err();
        assert!(e.get_ref().is_some_and(|i| i.is::<ReaderStopped>()), "{e}");
    }

    #[test]
    fn magic() {
        assert!(check_magic(&[0x1f, 0x8b, 8, 0], Compression::Gzip).is_ok());
        assert!(check_magic(&[0x1f, 0x8b, 8, 0], Compression::None).is_err());
        assert!(check_magic(b"usta", Compression::Gzip).is_err());
        assert!(check_magic(&[0x28, 0xb5, 0x2f, 0xfd], Compression::Zstd).is_ok());
        assert!(check_magic(&[0x28, 0xb5, 0x2f, 0xfd], Compression::Gzip).is_err());
        assert!(check_magic(&[], Compression::Gzip).is_ok());
    }
}
