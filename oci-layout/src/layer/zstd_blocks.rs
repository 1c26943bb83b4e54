//! zstd decoding without a copy: blocks are decoded straight into the buffers the writer
//! reads.
//!
//! zstd's streaming decoder decodes every block into a window buffer of its own and then
//! copies it out. On a layer of many files that copy was about a quarter of the
//! decompressing thread's time. This decoder uses zstd's buffer-less API instead and
//! decodes into *segments* of its own: each segment holds at least one window, so a
//! block's back-references always land in the segment being filled or in the one before
//! it, which zstd reads as its external dictionary. Decoded data leaves as [`Bytes`]
//! pieces of a segment, which the writer and the diff_id hasher only read; a segment is
//! filled again only when every piece of it has been dropped.
//!
//! The frame checksum (XXH64) is not computed: the diff_id's SHA-256 covers every
//! decompressed byte in the same pass.
//!
//! # Safety
//!
//! This is one of the two modules of the crate with `unsafe` (the other is `isal`,
//! behind its feature): the calls into zstd's C API, and
//! telling a segment how many bytes zstd initialised. What zstd may touch is kept
//! alive and unchanged for as long as it may touch it: the segment being filled (only
//! this module writes to it, past every piece handed out) and the one before it (held by
//! `ZstdDecoder::previous`, not written again until the current one is full and zstd
//! has moved its history on to it).
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::io::{self, BufRead};
use std::ptr::NonNull;

use bytes::{Bytes, BytesMut};
use zstd_sys as sys;

/// The four magic bytes of a zstd frame, little-endian.
const FRAME_MAGIC: u32 = 0xFD2F_B528;
/// Skippable frames have magic numbers 0x184D2A50 to 0x184D2A5F.
const SKIPPABLE_MASK: u32 = 0xFFFF_FFF0;
const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
/// The longest frame header zstd defines (`ZSTD_FRAMEHEADERSIZE_MAX`).
const HEADER_MAX: usize = 18;
/// The bytes that tell a frame header's size (`ZSTD_FRAMEHEADERSIZE_PREFIX`).
const HEADER_PREFIX: usize = 5;
/// The smallest segment: small windows still give pieces of a useful size, and a segment
/// outlives the pieces the pipeline holds (a few 256 KiB chunks) before it is reused.
const MIN_SEGMENT: usize = 4 << 20;
/// Bytes never written at the end of a segment, so that the next segment can never start
/// exactly where the last block ended (zstd would take the two for one contiguous prefix).
const SEGMENT_GUARD: usize = 64;

/// A zstd decompression context, freed on drop.
struct Context(NonNull<sys::ZSTD_DCtx>);

// SAFETY: a ZSTD_DCtx has no thread affinity; it is used by one thread at a time, which
// `&mut self` on every use guarantees.
unsafe impl Send for Context {}

impl Context {
    fn new() -> io::Result<Self> {
        // SAFETY: plain constructor; a null result (out of memory) is checked.
        let raw = unsafe { sys::ZSTD_createDCtx() };
        let ctx = NonNull::new(raw)
            .map(Self)
            .ok_or_else(|| io::Error::new(io::ErrorKind::OutOfMemory, "zstd context"))?;
        // SAFETY: valid context; ZSTD_d_forceIgnoreChecksum (experimentalParam3) = 1.
        let r = unsafe {
            sys::ZSTD_DCtx_setParameter(
                ctx.0.as_ptr(),
                sys::ZSTD_dParameter::ZSTD_d_experimentalParam3,
                1,
            )
        };
        check(r)?;
        Ok(ctx)
    }

    fn begin(&mut self) -> io::Result<()> {
        // SAFETY: valid context, owned by `self`.
        check(unsafe { sys::ZSTD_decompressBegin(self.0.as_ptr()) }).map(drop)
    }

    /// The exact number of input bytes the next `decode` takes; 0 at the end of a frame.
    fn next_input(&mut self) -> usize {
        // SAFETY: valid context, owned by `self`.
        unsafe { sys::ZSTD_nextSrcSizeToDecompress(self.0.as_ptr()) }
    }

    /// Whether the next input is a block, which needs room in the output.
    fn next_is_block(&mut self) -> bool {
        // SAFETY: valid context, owned by `self`; the result is one of the enum's values.
        let kind = unsafe { sys::ZSTD_nextInputType(self.0.as_ptr()) };
        matches!(
            kind,
            sys::ZSTD_nextInputType_e::ZSTDnit_block | sys::ZSTD_nextInputType_e::ZSTDnit_lastBlock
        )
    }

    /// Decodes `input` (exactly `next_input()` bytes) into the spare capacity of `out`,
    /// and extends `out` by what it decoded.
    fn decode(&mut self, out: &mut BytesMut, input: &[u8]) -> io::Result<()> {
        let spare = out.spare_capacity_mut();
        // SAFETY: `spare` is writable memory of `spare.len()` bytes that nothing else
        // refers to; `input` is readable for its length. zstd writes at most
        // `spare.len()` bytes and reads back only from this segment's earlier data and
        // the previous segment's, both alive and unchanged (see the module docs).
        let n = check(unsafe {
            sys::ZSTD_decompressContinue(
                self.0.as_ptr(),
                spare.as_mut_ptr().cast(),
                spare.len(),
                input.as_ptr().cast(),
                input.len(),
            )
        })?;
        if n > spare.len() {
            return Err(corrupt("zstd decoded more than it had room for"));
        }
        // SAFETY: zstd initialised the first `n` bytes of the spare capacity.
        unsafe { out.set_len(out.len() + n) };
        Ok(())
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: created by ZSTD_createDCtx, freed once.
        unsafe { sys::ZSTD_freeDCtx(self.0.as_ptr()) };
    }
}

/// zstd's result code as an error, with zstd's own name for it.
fn check(code: usize) -> io::Result<usize> {
    // SAFETY: a pure function of an integer.
    if unsafe { sys::ZSTD_isError(code) } != 0 {
        // SAFETY: zstd names every error code with a static, NUL-terminated string.
        let name = unsafe { CStr::from_ptr(sys::ZSTD_getErrorName(code)) };
        return Err(corrupt(&format!("zstd: {}", name.to_string_lossy())));
    }
    Ok(code)
}

fn corrupt(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

/// Where the decoder is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between frames (or before the first).
    Frames,
    /// Inside a frame.
    Frame,
    /// The input ended at a frame boundary.
    Done,
}

/// Decodes a stream of zstd frames (and skippable frames) into [`Bytes`] pieces.
pub(super) struct ZstdDecoder<R> {
    input: R,
    ctx: Context,
    /// Largest window accepted, in bytes.
    max_window: u64,
    state: State,
    /// Input gathered across the reader's buffer boundaries.
    staging: Vec<u8>,
    /// Size of every current segment.
    segment_size: usize,
    /// The largest block of the current frame.
    block_max: usize,
    /// The segment being filled: `len()` is decoded data not yet handed out.
    current: BytesMut,
    /// The remainder of the segment filled before, which keeps it alive: zstd still reads
    /// it as history until the current one is full.
    previous: BytesMut,
    /// Data of a segment left for a larger one, to hand out first.
    ready: Option<Bytes>,
}

impl<R: BufRead> ZstdDecoder<R> {
    /// A decoder that refuses frames whose window is above `2^max_window_log` bytes.
    pub(super) fn new(input: R, max_window_log: u32) -> io::Result<Self> {
        Ok(Self {
            input,
            ctx: Context::new()?,
            max_window: 1u64.checked_shl(max_window_log).unwrap_or(u64::MAX),
            state: State::Frames,
            staging: Vec::new(),
            segment_size: 0,
            block_max: 0,
            current: BytesMut::new(),
            previous: BytesMut::new(),
            ready: None,
        })
    }

    /// The compressed stream, for draining what is left of it.
    pub(super) fn into_inner(self) -> R {
        self.input
    }

    /// The next piece of decompressed data, at least `want` bytes unless the stream ends
    /// or a segment fills first; `None` at the end of the stream.
    pub(super) fn next_piece(&mut self, want: usize) -> io::Result<Option<Bytes>> {
        loop {
            if let Some(piece) = self.ready.take() {
                return Ok(Some(piece));
            }
            if self.current.len() >= want {
                return Ok(Some(self.take()));
            }
            match self.state {
                State::Done => {
                    return Ok((!self.current.is_empty()).then(|| self.take()));
                }
                State::Frames => self.start_frame()?,
                State::Frame => {
                    let size = self.ctx.next_input();
                    if size == 0 {
                        self.state = State::Frames;
                        continue;
                    }
                    if self.ctx.next_is_block() && self.room() < self.block_max {
                        // The segment is full: hand out what it holds before moving on.
                        if !self.current.is_empty() {
                            return Ok(Some(self.take()));
                        }
                        self.next_segment();
                    }
                    let Self { input, staging, ctx, current, .. } = self;
                    with_input(input, staging, size, |bytes| ctx.decode(current, bytes))?;
                }
            }
        }
    }

    /// Decoded data handed out; the segment goes on after it.
    fn take(&mut self) -> Bytes {
        self.current.split().freeze()
    }

    /// Room left in the current segment for decoding.
    fn room(&self) -> usize {
        (self.current.capacity() - self.current.len()).saturating_sub(SEGMENT_GUARD)
    }

    /// Moves to a new segment. The full one becomes the history: it holds at least a
    /// window, so zstd no longer reads the one before it, which is filled again if nothing
    /// else refers to it (the pipeline holds only its last few pieces, and the decoder
    /// has filled a whole segment since).
    fn next_segment(&mut self) {
        let mut fresh = std::mem::take(&mut self.previous);
        fresh.clear();
        if !fresh.try_reclaim(self.segment_size) {
            // First use, or pieces of it still in the pipeline: they keep it until they
            // are done with it.
            fresh = BytesMut::with_capacity(self.segment_size);
        }
        self.previous = std::mem::replace(&mut self.current, fresh);
    }

    /// Reads the next frame's header: skips a skippable frame whole, starts a zstd frame,
    /// or notes the end of the stream.
    fn start_frame(&mut self) -> io::Result<()> {
        if self.input.fill_buf()?.is_empty() {
            self.state = State::Done;
            return Ok(());
        }
        let mut header = [0u8; HEADER_MAX];
        read_exact(&mut self.input, &mut header[..4])?;
        let magic = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        if magic & SKIPPABLE_MASK == SKIPPABLE_MAGIC {
            let mut size = [0u8; 4];
            read_exact(&mut self.input, &mut size)?;
            return super::skip(&mut self.input, u64::from(u32::from_le_bytes(size)), "zstd");
        }
        if magic != FRAME_MAGIC {
            return Err(corrupt("zstd: not a zstd frame"));
        }
        let mut have = 4;
        let mut need = HEADER_PREFIX;
        let mut frame = zeroed_header();
        loop {
            read_exact(&mut self.input, &mut header[have..need])?;
            have = need;
            // SAFETY: `header[..have]` is initialised; `frame` is a plain C struct.
            let r = check(unsafe {
                sys::ZSTD_getFrameHeader(&mut frame, header.as_ptr().cast(), have)
            })?;
            if r == 0 {
                break;
            }
            if r > HEADER_MAX || r <= have {
                return Err(corrupt("zstd: malformed frame header"));
            }
            need = r;
        }
        if frame.windowSize > self.max_window {
            return Err(corrupt(&format!(
                "zstd: the frame needs a window of {} bytes, more than the limit of {}",
                frame.windowSize, self.max_window
            )));
        }
        // Within the limit, which is below the address space: these fit a usize.
        let window = usize::try_from(frame.windowSize).map_err(|_| corrupt("zstd: window"))?;
        self.block_max = frame.blockSizeMax as usize;
        let needed = (window + self.block_max + SEGMENT_GUARD).max(MIN_SEGMENT);
        if needed > self.segment_size {
            // A new frame needs no history: bigger segments can start here, after what
            // the old one holds.
            if !self.current.is_empty() {
                self.ready = Some(self.take());
            }
            self.segment_size = needed;
            self.current = BytesMut::with_capacity(needed);
            self.previous = BytesMut::new();
        }
        self.ctx.begin()?;
        let mut fed = 0;
        while fed < have {
            let size = self.ctx.next_input();
            if size == 0 || fed + size > have {
                return Err(corrupt("zstd: malformed frame header"));
            }
            self.ctx.decode(&mut self.current, &header[fed..fed + size])?;
            fed += size;
        }
        self.state = State::Frame;
        Ok(())
    }
}

fn zeroed_header() -> sys::ZSTD_FrameHeader {
    sys::ZSTD_FrameHeader {
        frameContentSize: 0,
        windowSize: 0,
        blockSizeMax: 0,
        frameType: sys::ZSTD_FrameType_e::ZSTD_frame,
        headerSize: 0,
        dictID: 0,
        checksumFlag: 0,
        _reserved1: 0,
        _reserved2: 0,
    }
}

/// Runs `f` on exactly the next `size` bytes of `input`, borrowed from its buffer when
/// they are all there and gathered into `staging` when they straddle two buffers.
fn with_input<R: BufRead, T>(
    input: &mut R,
    staging: &mut Vec<u8>,
    size: usize,
    f: impl FnOnce(&[u8]) -> io::Result<T>,
) -> io::Result<T> {
    let available = input.fill_buf()?;
    if available.len() >= size {
        let result = f(&available[..size]);
        input.consume(size);
        return result;
    }
    staging.resize(size, 0);
    read_exact(input, staging)?;
    f(staging)
}

fn read_exact(input: &mut impl BufRead, buf: &mut [u8]) -> io::Result<()> {
    super::read_exact(input, buf, "zstd")
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// Hands out its data a few bytes at a time, so that frame headers, block headers and
    /// blocks straddle its buffers.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.fill_buf()?.len().min(buf.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.consume(n);
            Ok(n)
        }
    }

    impl BufRead for Trickle<'_> {
        fn fill_buf(&mut self) -> io::Result<&[u8]> {
            Ok(&self.data[..self.step.min(self.data.len())])
        }

        fn consume(&mut self, amount: usize) {
            self.data = &self.data[amount..];
        }
    }

    /// Decodes `stream` whole; `hold` keeps every piece alive until the end, so that no
    /// segment can be reused.
    fn decode(stream: &[u8], step: usize, hold: bool) -> io::Result<Vec<u8>> {
        let mut decoder = ZstdDecoder::new(Trickle { data: stream, step }, 27)?;
        let mut out = Vec::new();
        let mut held = Vec::new();
        while let Some(piece) = decoder.next_piece(256 << 10)? {
            out.extend_from_slice(&piece);
            if hold {
                held.push(piece);
            }
        }
        Ok(out)
    }

    /// Data with matches far back: 1 MiB of noise, repeated with changes every few MiB,
    /// so that back-references cross segment boundaries.
    fn far_matches(len: usize) -> Vec<u8> {
        let noise = crate::layer::noise(1 << 20, 0x2545_f491_4f6c_dd1d);
        let mut data = Vec::with_capacity(len);
        let mut round = 0u8;
        while data.len() < len {
            data.extend(noise.iter().map(|b| b.wrapping_add(round / 3)));
            data.extend(std::iter::repeat_n(round, 3 << 20));
            round = round.wrapping_add(1);
        }
        data.truncate(len);
        data
    }

    fn compress(data: &[u8], level: i32, window_log: u32, checksum: bool) -> Vec<u8> {
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), level).unwrap();
        encoder.window_log(window_log).unwrap();
        encoder.long_distance_matching(window_log > 22).unwrap();
        encoder.include_checksum(checksum).unwrap();
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn decodes_what_zstd_decodes() {
        let data = far_matches(40 << 20);
        for (window_log, level) in [(23, 3), (20, 1), (24, 6)] {
            let stream = compress(&data, level, window_log, true);
            assert_eq!(zstd::decode_all(&stream[..]).unwrap(), data);
            for hold in [false, true] {
                let out = decode(&stream, 1 << 20, hold).unwrap();
                assert!(out == data, "window 2^{window_log}, level {level}, hold {hold}");
            }
        }
        // Small reads: every header and block gathered from pieces.
        let small = far_matches(3 << 20);
        let stream = compress(&small, 3, 20, true);
        assert!(decode(&stream, 7, false).unwrap() == small);
    }

    #[test]
    fn frames_of_every_size_and_skippable_frames() {
        let big = far_matches(12 << 20);
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        let skippable = |stream: &mut Vec<u8>, len: u32| {
            stream.extend_from_slice(&0x184D_2A53u32.to_le_bytes());
            stream.extend_from_slice(&len.to_le_bytes());
            stream.extend(std::iter::repeat_n(0xAB, len as usize));
        };
        for (part, window_log) in
            [(&big[..100], 10), (&big[..], 23), (&big[5..70_000], 17), (&big[..], 24)]
        {
            skippable(&mut stream, 3);
            stream.extend(compress(part, 3, window_log, false));
            expected.extend_from_slice(part);
        }
        // An empty frame, from the bulk API (content size 0, single segment).
        stream.extend(zstd::bulk::compress(b"", 3).unwrap());
        skippable(&mut stream, 70_000);
        assert_eq!(zstd::decode_all(&stream[..]).unwrap(), expected);
        for step in [1 << 20, 4093] {
            assert!(decode(&stream, step, false).unwrap() == expected);
        }
        assert!(decode(b"", 100, false).unwrap().is_empty());
    }

    #[test]
    fn damage_is_an_error() {
        let data = far_matches(2 << 20);
        let stream = compress(&data, 3, 21, true);
        // Cut anywhere: an error, never a short success.
        for cut in [1, 4, 5, 9, 100, stream.len() / 2, stream.len() - 5, stream.len() - 1] {
            let err = decode(&stream[..cut], 1 << 20, false).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}: {err}");
        }
        // Data after the last frame.
        let mut trailing = stream.clone();
        trailing.extend_from_slice(b"tail");
        assert_eq!(
            decode(&trailing, 1 << 20, false).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        // Flipped bytes in the blocks: an error, or output the diff_id check refuses. The
        // frame checksum is not checked (see the module docs), so a change it alone would
        // catch decodes.
        for at in (20..stream.len() - 4).step_by(997) {
            let mut damaged = stream.clone();
            damaged[at] ^= 0x55;
            if let Ok(out) = decode(&damaged, 1 << 20, false) {
                assert_ne!(out, data, "a change at {at} went unnoticed");
            }
        }
        // A reserved bit in the frame header.
        let mut reserved = stream;
        reserved[4] |= 0x08;
        assert!(decode(&reserved, 1 << 20, false).is_err());
    }

    #[test]
    fn windows_above_the_limit_are_refused() {
        let data = far_matches(1 << 20);
        let stream = compress(&data, 1, 25, false);
        let mut decoder = ZstdDecoder::new(&stream[..], 24).unwrap();
        let err = decoder.next_piece(1).unwrap_err();
        assert!(err.to_string().contains("window"), "{err}");
        let mut decoder = ZstdDecoder::new(&stream[..], 25).unwrap();
        assert!(decoder.next_piece(1).unwrap().is_some());
    }
}
