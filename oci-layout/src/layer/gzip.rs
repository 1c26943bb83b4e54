//! Reading a gzip stream of one or more members (RFC 1952) without its CRC-32.
//!
//! A layer's compressed bytes are verified against the descriptor's digest and its
//! uncompressed bytes against the diff_id, both SHA-256; the members' CRC-32 adds nothing
//! to that and cost about 2% of an unpack's samples. Everything else is checked as
//! strictly as `flate2`'s `MultiGzDecoder` does: the header fields, each member's length
//! (ISIZE), a stream that ends early, and anything after the last member that is not
//! another one.

use std::io::{self, BufRead, Read};

use flate2::{Decompress, FlushDecompress, Status};

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
    inflate: Decompress,
    state: State,
    /// Bytes the current member has produced so far.
    member_out: u64,
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn truncated() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "the gzip stream ends early")
}

/// Reads exactly `out.len()` bytes.
fn take<R: BufRead>(input: &mut R, out: &mut [u8]) -> io::Result<()> {
    input
        .read_exact(out)
        .map_err(|e| if e.kind() == io::ErrorKind::UnexpectedEof { truncated() } else { e })
}

/// Skips `n` bytes.
fn skip<R: BufRead>(input: &mut R, mut n: usize) -> io::Result<()> {
    while n > 0 {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Err(truncated());
        }
        let k = available.len().min(n);
        input.consume(k);
        n -= k;
    }
    Ok(())
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
        Self {
            input,
            inflate: Decompress::new(false),
            state: State::Header { first: true },
            member_out: 0,
        }
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
            skip(&mut self.input, usize::from(u16::from_le_bytes(len)))?;
        }
        if flags & FNAME != 0 {
            skip_string(&mut self.input)?;
        }
        if flags & FCOMMENT != 0 {
            skip_string(&mut self.input)?;
        }
        if flags & FHCRC != 0 {
            skip(&mut self.input, 2)?;
        }
        Ok(true)
    }

    /// Reads a member's trailer and checks its length.
    fn trailer(&mut self) -> io::Result<()> {
        let mut trailer = [0u8; 8];
        take(&mut self.input, &mut trailer)?;
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
                    self.inflate.reset(false);
                    self.member_out = 0;
                    self.state = State::Body;
                }
                State::Body => {
                    let input = self.input.fill_buf()?;
                    let eof = input.is_empty();
                    let (in_before, out_before) =
                        (self.inflate.total_in(), self.inflate.total_out());
                    let status = self
                        .inflate
                        .decompress(input, buf, FlushDecompress::None)
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                    let consumed = usize::try_from(self.inflate.total_in() - in_before)
                        .map_err(|_| invalid("gzip input accounting"))?;
                    let produced = usize::try_from(self.inflate.total_out() - out_before)
                        .map_err(|_| invalid("gzip output accounting"))?;
                    self.input.consume(consumed);
                    self.member_out += produced as u64;
                    if status == Status::StreamEnd {
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

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
