//! Raw deflate decoding with ISA-L (the `isal` feature): Intel's Intelligent Storage
//! Acceleration Library, linked from the system (`libisal`, soname 2).
//!
//! Inflate is the largest single cost of unpacking a gzip layer. ISA-L inflated the
//! largest corpus layer (282 MB) in 239 ms against zlib-rs's 305 ms, and an unpack of the
//! corpus `app` image on two cores takes about 8% less time with it (see
//! `benches/scripts/unpack-vs-tools.sh`).
//! Only raw deflate is asked of it: the gzip framing stays in [`super::gzip`], which
//! reads the same headers and trailers whichever decoder is built in. No checksum is
//! computed, as with zlib-rs there: the diff_id's SHA-256 covers every decompressed byte.
//!
//! # Safety
//!
//! This module and `zstd_blocks` are the crate's only `unsafe` code: the three calls into
//! ISA-L. The state is a zeroed, boxed `inflate_state` (valid for every field) that ISA-L
//! initialises; it is only ever used through `&mut self`. Before each call the input and
//! output pointers are set from live slices, with their lengths (capped to `u32`), and
//! ISA-L reads and writes only within them: across calls it keeps its history in the
//! state's own buffers, never a pointer into ours, and the pointers are set again before
//! every call. The state's layout comes from `isal-sys`'s bindings of ISA-L 2.31, which
//! match the 2.30 headers field for field; the library's soname (2) stands for that ABI.
#![allow(unsafe_code)]

use std::io;

use isal_sys::igzip_lib as sys;

/// One call's result.
pub(crate) struct Step {
    /// Input bytes consumed.
    pub(crate) consumed: usize,
    /// Output bytes written.
    pub(crate) produced: usize,
    /// Whether the deflate stream ended (its last block is decoded).
    pub(crate) end: bool,
}

/// A raw deflate decoder.
pub(crate) struct Inflate {
    state: Box<sys::inflate_state>,
    /// After the end: whole bytes ISA-L read past it into its bit buffer, and how many.
    past_end: ([u8; 8], usize),
}

fn code_message(code: i32) -> &'static str {
    match code {
        sys::ISAL_INVALID_BLOCK => "invalid deflate block",
        sys::ISAL_INVALID_SYMBOL => "invalid deflate symbol",
        sys::ISAL_INVALID_LOOKBACK => "invalid deflate distance too far back",
        _ => "deflate stream not decodable",
    }
}

impl Inflate {
    pub(crate) fn new() -> Self {
        // SAFETY: every field of inflate_state (integers, raw pointers, arrays of them, a
        // union of integers) is valid when zeroed.
        let mut state: Box<sys::inflate_state> =
            unsafe { Box::new(std::mem::MaybeUninit::zeroed()).assume_init() };
        // SAFETY: a valid, exclusively borrowed state.
        unsafe { sys::isal_inflate_init(&mut *state) };
        state.crc_flag = sys::ISAL_DEFLATE;
        Self { state, past_end: ([0; 8], 0) }
    }

    /// Makes ready for a new deflate stream.
    pub(crate) fn reset(&mut self) {
        // SAFETY: a valid, exclusively borrowed state.
        unsafe { sys::isal_inflate_reset(&mut *self.state) };
        // Reset keeps the flag; setting it again states what we rely on.
        self.state.crc_flag = sys::ISAL_DEFLATE;
        self.past_end = ([0; 8], 0);
    }

    /// Decodes from `input` into `out`. After the end, [`Self::past_end`] gives the bytes
    /// read beyond it, which `consumed` counts.
    pub(crate) fn step(&mut self, input: &[u8], out: &mut [u8]) -> io::Result<Step> {
        let avail_in = u32::try_from(input.len()).unwrap_or(u32::MAX);
        let avail_out = u32::try_from(out.len()).unwrap_or(u32::MAX);
        let state = &mut *self.state;
        // ISA-L never writes through next_in; the pointer is mutable only in its C type.
        state.next_in = input.as_ptr().cast_mut();
        state.avail_in = avail_in;
        state.next_out = out.as_mut_ptr();
        state.avail_out = avail_out;
        // SAFETY: next_in/avail_in and next_out/avail_out describe the live slices above,
        // borrowed for the whole call; the state is valid and exclusively borrowed.
        let code = unsafe { sys::isal_inflate(state) };
        // ISA-L only ever lowers the counts; anything else is refused, not trusted.
        let counts = (avail_in.checked_sub(state.avail_in), avail_out.checked_sub(state.avail_out));
        // Clear the pointers: nothing may be read through them once the slices are gone.
        state.next_in = std::ptr::null_mut();
        state.next_out = std::ptr::null_mut();
        state.avail_in = 0;
        state.avail_out = 0;
        if code < 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, code_message(code)));
        }
        let (Some(consumed), Some(produced)) = counts else {
            return Err(io::Error::other("ISA-L reported more bytes than it was given"));
        };
        let (consumed, produced) = (consumed as usize, produced as usize);
        let end = state.block_state == sys::isal_block_state_ISAL_BLOCK_FINISH;
        if end {
            // The bit buffer holds what is left of the last byte, then whole bytes read
            // past the end (at most 8): the start of the gzip trailer.
            let bits = u32::try_from(state.read_in_length).unwrap_or(0);
            let whole = ((bits / 8) as usize).min(8);
            let rest = if bits % 8 == 0 { state.read_in } else { state.read_in >> (bits % 8) };
            self.past_end = (rest.to_le_bytes(), whole);
        }
        Ok(Step { consumed, produced, end })
    }

    /// After the end: the bytes read beyond it, in order.
    pub(crate) fn past_end(&self) -> &[u8] {
        &self.past_end.0[..self.past_end.1]
    }
}
