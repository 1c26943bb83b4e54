//! Reading a gzip stream of one or more members (RFC 1952) without its CRC-32.
//!
//! A layer's compressed bytes are verified against the descriptor's digest and its
//! uncompressed bytes against the diff_id, both SHA-256; the members' CRC-32 adds nothing
//! to that and cost about 2% of an unpack's samples. Everything else is checked as
//! strictly as `flate2`'s `MultiGzDecoder` does: the header fields, each member's length
//! (ISIZE), a stream that ends early, and anything after the last member that is not
//! another one.
//!
//! The deflate data in each member is decoded by zlib-rs, or by ISA-L with the `isal`
//! feature (module `isal`); the framing here is the same for both.

use std::io::{self, BufRead, Read};

#[cfg(feature = "isal")]
use super::isal::Inflate;
#[cfg(not(feature = "isal"))]
use zlib::Inflate;

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const RESERVED: u8 = 0xe0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before a member's header: the first, or another after a trailer.
    Header { first: bool },
    /// In a member's deflate data.
    Body,
    /// After the last member.
    Done,
}

/// The uncompressed content of a gzip stream, all members in order.
pub(crate) struct Gunzip<R> {
    input: R,
    inflate: Inflate,
    state: State,
    /// Bytes the current member has produced so far.
    member_out: u64,
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn truncated() -> io::Error {
    super::ends_early("gzip")
}

/// Reads exactly `out.len()` bytes.
fn take<R: BufRead>(input: &mut R, out: &mut [u8]) -> io::Result<()> {
    super::read_exact(input, out, "gzip")
}

/// Skips a zero-terminated field.
fn skip_string<R: BufRead>(input: &mut R) -> io::Result<()> {
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Err(truncated());
        }
        if let Some(end) = available.iter().position(|&b| b == 0) {
            input.consume(end + 1);
            return Ok(());
        }
        let k = available.len();
        input.consume(k);
    }
}

impl<R: BufRead> Gunzip<R> {
    pub(crate) fn new(input: R) -> Self {
        Self { input, inflate: Inflate::new(), state: State::Header { first: true }, member_out: 0 }
    }

    /// The input, positioned after what was read of it.
    pub(crate) fn into_inner(self) -> R {
        self.input
    }

    /// Reads a member's header. Says `false` at the end of the stream, which is only
    /// allowed after a member.
    fn header(&mut self, first: bool) -> io::Result<bool> {
        if !first && self.input.fill_buf()?.is_empty() {
            return Ok(false);
        }
        let mut fixed = [0u8; 10];
        take(&mut self.input, &mut fixed)?;
        if fixed[0..2] != [0x1f, 0x8b] {
            return Err(invalid(if first {
                "not a gzip stream"
            } else {
                "data after the last gzip member"
            }));
        }
        if fixed[2] != 8 {
            return Err(invalid("gzip member not compressed with deflate"));
        }
        let flags = fixed[3];
        if flags & RESERVED != 0 {
            return Err(invalid("gzip header with reserved flags set"));
        }
        if flags & FEXTRA != 0 {
            let mut len = [0u8; 2];
            take(&mut self.input, &mut len)?;
            super::skip(&mut self.input, u64::from(u16::from_le_bytes(len)), "gzip")?;
        }
        if flags & FNAME != 0 {
            skip_string(&mut self.input)?;
        }
        if flags & FCOMMENT != 0 {
            skip_string(&mut self.input)?;
        }
        if flags & FHCRC != 0 {
            super::skip(&mut self.input, 2, "gzip")?;
        }
        Ok(true)
    }

    /// Reads a member's trailer and checks its length.
    fn trailer(&mut self) -> io::Result<()> {
        let mut trailer = [0u8; 8];
        // The decoder may have read the trailer's first bytes already.
        let early = self.inflate.past_end();
        trailer[..early.len()].copy_from_slice(early);
        take(&mut self.input, &mut trailer[early.len()..])?;
        let isize = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        // ISIZE is the length modulo 2^32.
        if u64::from(isize) != self.member_out & 0xffff_ffff {
            return Err(invalid("gzip member length does not match its trailer"));
        }
        Ok(())
    }
}

impl<R: BufRead> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Header { first } => {
                    if !self.header(first)? {
                        self.state = State::Done;
                        return Ok(0);
                    }
                    self.inflate.reset();
                    self.member_out = 0;
                    self.state = State::Body;
                }
                State::Body => {
                    let input = self.input.fill_buf()?;
                    let eof = input.is_empty();
                    let step = self.inflate.step(input, buf)?;
                    let (consumed, produced) = (step.consumed, step.produced);
                    self.input.consume(consumed);
                    self.member_out += produced as u64;
                    if step.end {
                        self.trailer()?;
                        self.state = State::Header { first: false };
                    } else if eof && produced == 0 {
                        return Err(truncated());
                    } else if consumed == 0 && produced == 0 {
                        return Err(invalid("the gzip decoder made no progress"));
                    }
                    if produced > 0 {
                        return Ok(produced);
                    }
                }
            }
        }
    }
}

/// Raw deflate decoding with zlib-rs (through flate2), when ISA-L is not built in.
#[cfg(not(feature = "isal"))]
mod zlib {
    use std::io;

    use flate2::{Decompress, FlushDecompress, Status};

    /// One call's result.
    pub(crate) struct Step {
        pub(crate) consumed: usize,
        pub(crate) produced: usize,
        pub(crate) end: bool,
    }

    /// A raw deflate decoder. zlib stops reading exactly at the end of the stream.
    pub(crate) struct Inflate(Decompress);

    impl Inflate {
        pub(crate) fn new() -> Self {
            Self(Decompress::new(false))
        }

        pub(crate) fn reset(&mut self) {
            self.0.reset(false);
        }

        pub(crate) fn step(&mut self, input: &[u8], out: &mut [u8]) -> io::Result<Step> {
            let (in_before, out_before) = (self.0.total_in(), self.0.total_out());
            let status = self
                .0
                .decompress(input, out, FlushDecompress::None)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            // Both counts grow by at most the slices' lengths, which fit in usize.
            let consumed = usize::try_from(self.0.total_in() - in_before).unwrap_or(input.len());
            let produced = usize::try_from(self.0.total_out() - out_before).unwrap_or(out.len());
            Ok(Step { consumed, produced, end: status == Status::StreamEnd })
        }

        /// Nothing is ever read past the end.
        pub(crate) fn past_end(&self) -> &[u8] {
            &[]
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    // Bytes no compressor can shrink: deflate stores them in stored blocks.
    use crate::layer::noise;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn gunzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        // A small buffer, so that members and headers straddle reads.
        let mut g = Gunzip::new(io::BufReader::with_capacity(7, bytes));
        let mut buf = [0u8; 1000];
        loop {
            let n = g.read(&mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    fn gzip_at(data: &[u8], level: u32) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Decodes with input read `read` bytes at a time into an output buffer of `write`.
    fn gunzip_by(bytes: &[u8], read: usize, write: usize) -> io::Result<Vec<u8>> {
        let mut g = Gunzip::new(io::BufReader::with_capacity(read, bytes));
        let (mut out, mut buf) = (Vec::new(), vec![0u8; write]);
        loop {
            match g.read(&mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// Every level (stored, fixed and dynamic blocks), sizes around the 32 KiB window and
    /// the 64 KiB stored-block limit, several members, and reads of every grain: the end of
    /// each deflate stream and its trailer fall across reads at many different offsets.
    #[test]
    fn members_at_every_level_and_grain() {
        let sizes = [0, 1, 100, 32_768, 65_535, 65_536, 70_001, 300_000];
        for level in [0, 1, 6, 9] {
            let mut stream = Vec::new();
            let mut expected = Vec::new();
            for (i, &n) in sizes.iter().enumerate() {
                let part = if i % 2 == 0 { data(n) } else { noise(n, n as u64 + 1) };
                stream.extend(gzip_at(&part, level));
                expected.extend(part);
            }
            for (read, write) in
                [(1, 1 << 18), (7, 1000), (4096, 1), (8191, 65_536), (1 << 20, 1 << 18)]
            {
                let got = gunzip_by(&stream, read, write).unwrap();
                assert!(got == expected, "level {level}, read {read}, write {write}");
            }
        }
    }

    /// A flipped bit anywhere: never a panic or a hang. In the fields nothing checks (the
    /// modification time, flags for the compressor and OS, and the CRC-32, which the
    /// diff_id replaces) the bytes come out unchanged; in the magic, method and length
    /// fields the stream is refused; in deflate data it is refused or decodes to other
    /// bytes (which the diff_id refuses), except in the few padding bits after a last block.
    #[test]
    fn every_flipped_bit_is_survived() {
        let part = [data(3000), noise(3000, 9)].concat();
        let first = gzip_at(&part, 6);
        let good = [first.clone(), gzip_at(b"tail", 1)].concat();
        let original = gunzip_by(&good, 61, 777).unwrap();
        let trailer = first.len() - 8;
        let mut same_in_body = 0;
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut bad = good.clone();
                bad[i] ^= 1 << bit;
                let result = gunzip_by(&bad, 61, 777);
                let same = matches!(&result, Ok(out) if *out == original);
                match i {
                    0..3 => assert!(result.is_err(), "magic or method, byte {i}"),
                    3 => {}
                    4..10 => assert!(same, "unchecked header field, byte {i}"),
                    i if (trailer..trailer + 4).contains(&i) => assert!(same, "CRC, byte {i}"),
                    i if (trailer + 4..trailer + 8).contains(&i) => {
                        assert!(result.is_err(), "ISIZE, byte {i}")
                    }
                    i if i < trailer => same_in_body += usize::from(same),
                    _ => {}
                }
            }
        }
        assert!(same_in_body <= 8, "{same_in_body} flipped bits in deflate data went unseen");
    }

    #[test]
    fn members_in_order() {
        let (a, b) = (data(100_000), data(3));
        let mut both = gzip(&a);
        both.extend(gzip(&b));
        both.extend(gzip(b""));
        assert_eq!(gunzip(&both).unwrap(), [a, b].concat());
    }

    #[test]
    fn header_fields_are_skipped() {
        let mut g = flate2::GzBuilder::new()
            .filename("name")
            .comment("comment")
            .extra(vec![1, 2, 3, 0])
            .write(Vec::new(), flate2::Compression::default());
        g.write_all(b"content").unwrap();
        let mut bytes = g.finish().unwrap();
        // Add a header CRC (FHCRC) by hand: flag, then two bytes after the fields.
        bytes[3] |= FHCRC;
        let header_end = 10 + 2 + 4 + "name\0comment\0".len();
        bytes.splice(header_end..header_end, [0xaa, 0xbb]);
        assert_eq!(gunzip(&bytes).unwrap(), b"content");
    }

    #[test]
    fn damage_is_refused() {
        let good = gzip(&data(50_000));
        assert!(gunzip(b"").is_err(), "empty");
        assert!(gunzip(&good[..good.len() - 1]).is_err(), "trailer cut");
        assert!(gunzip(&good[..good.len() / 2]).is_err(), "body cut");
        assert!(gunzip(&good[..5]).is_err(), "header cut");
        let mut junk = good.clone();
        junk.push(0);
        assert!(gunzip(&junk).is_err(), "data after the last member");
        let mut size = good.clone();
        let n = size.len();
        size[n - 1] ^= 1;
        assert!(gunzip(&size).is_err(), "wrong ISIZE");
        let mut method = good.clone();
        method[2] = 7;
        assert!(gunzip(&method).is_err(), "not deflate");
        let mut flags = good.clone();
        flags[3] = 0x20;
        assert!(gunzip(&flags).is_err(), "reserved flag");
        let mut body = good;
        body[20] ^= 0xff;
        let damaged = gunzip(&body);
        assert!(damaged.is_err() || damaged.unwrap() != data(50_000), "corrupt body");
    }
}
