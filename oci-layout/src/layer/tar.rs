//! A streaming tar reader with limits: ustar, GNU long names and links, PAX extended
//! headers (path, linkpath, size, uid, gid, mtime, xattrs). It never holds more than one
//! header's metadata in memory and refuses headers over the configured size.

use std::io::{self, BufRead, Read};

use super::LayerError;

const BLOCK: usize = 512;

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Char,
    Block,
    Fifo,
}

/// One entry's metadata; its content follows in the stream.
#[derive(Clone, Debug, Default)]
pub(crate) struct Entry {
    pub(crate) kind: Option<Kind>,
    pub(crate) path: Vec<u8>,
    pub(crate) link: Vec<u8>,
    pub(crate) mode: u32,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    pub(crate) mtime: i64,
    pub(crate) mtime_nsec: u32,
    pub(crate) size: u64,
    pub(crate) dev_major: u32,
    pub(crate) dev_minor: u32,
    pub(crate) xattrs: Vec<(String, Vec<u8>)>,
}

/// Limits the reader enforces.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_header: u64,
    pub(crate) max_path: usize,
    pub(crate) max_file: u64,
}

/// PAX or GNU values that apply to the next entry.
#[derive(Default)]
struct Pending {
    path: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
    uid: Option<u64>,
    gid: Option<u64>,
    mtime: Option<(i64, u32)>,
    xattrs: Vec<(String, Vec<u8>)>,
}

pub(crate) struct TarReader<R> {
    inner: R,
    /// Content bytes of the current entry not yet read.
    remaining: u64,
    /// Padding after the current entry's content.
    padding: u64,
    limits: Limits,
    ended: bool,
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    // GNU base-256 for values too large for octal.
    if let Some((&first, rest)) = field.split_first()
        && first & 0x80 != 0
    {
        if first & 0x40 != 0 {
            return None; // negative
        }
        let mut v = u64::from(first & 0x3f);
        for &b in rest {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let s: Vec<u8> = field.iter().copied().take_while(|&b| b != 0).collect();
    let s = std::str::from_utf8(&s).ok()?.trim_matches(' ');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

fn bad(message: impl Into<String>) -> LayerError {
    LayerError::Tar(message.into())
}

impl<R: Read> TarReader<R> {
    pub(crate) fn new(inner: R, limits: Limits) -> Self {
        Self { inner, remaining: 0, padding: 0, limits, ended: false }
    }

    /// The wrapped reader, positioned after the end of the archive (or wherever reading stopped).
    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    fn read_block(&mut self, block: &mut [u8; BLOCK]) -> Result<bool, LayerError> {
        let mut filled = 0;
        while filled < BLOCK {
            match self.inner.read(&mut block[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(LayerError::Read(e)),
            }
        }
        match filled {
            0 => Ok(false),
            BLOCK => Ok(true),
            _ => Err(bad("archive ends in the middle of a header")),
        }
    }

    fn skip(&mut self, mut n: u64) -> Result<(), LayerError> {
        let mut buf = [0u8; 8192];
        while n > 0 {
            let want = usize::try_from(n.min(buf.len() as u64)).unwrap_or(buf.len());
            let got = self.inner.read(&mut buf[..want]).map_err(LayerError::Read)?;
            if got == 0 {
                return Err(bad("archive ends in the middle of an entry"));
            }
            n -= got as u64;
        }
        Ok(())
    }

    fn read_extension(&mut self, size: u64, what: &str) -> Result<Vec<u8>, LayerError> {
        if size > self.limits.max_header {
            return Err(LayerError::Limit(format!(
                "{what} of {size} bytes is larger than the limit of {}",
                self.limits.max_header
            )));
        }
        let mut data = vec![0u8; usize::try_from(size).unwrap_or(0)];
        self.inner
            .read_exact(&mut data)
            .map_err(|_| bad(format!("archive ends inside a {what}")))?;
        self.skip((BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64)?;
        Ok(data)
    }

    /// The next entry, or `None` at the end of the archive.
    pub(crate) fn next_entry(&mut self) -> Result<Option<Entry>, LayerError> {
        self.skip(self.remaining + self.padding)?;
        self.remaining = 0;
        self.padding = 0;
        if self.ended {
            return Ok(None);
        }
        let mut pending = Pending::default();
        let mut block = [0u8; BLOCK];
        loop {
            if !self.read_block(&mut block)? {
                // EOF without the end-of-archive blocks: accept, as GNU tar does.
                self.ended = true;
                return Ok(None);
            }
            if block.iter().all(|&b| b == 0) {
                // End of archive: one zero block (a second one, if present, is trailing data).
                self.ended = true;
                return Ok(None);
            }
            let stored = parse_octal(&block[148..156])
                .ok_or_else(|| bad("header checksum is not a number"))?;
            let sum: u64 = block
                .iter()
                .enumerate()
                .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u64::from(b) })
                .sum();
            let signed: i64 = block
                .iter()
                .enumerate()
                .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { i64::from(b as i8) })
                .sum();
            if stored != sum && i64::try_from(stored).ok() != Some(signed) {
                return Err(bad("header checksum mismatch"));
            }
            let typeflag = block[156];
            let header_size =
                parse_octal(&block[124..136]).ok_or_else(|| bad("size is not a number"))?;
            match typeflag {
                b'L' => {
                    let mut name = self.read_extension(header_size, "GNU long name")?;
                    name.truncate(cstr(&name).len());
                    pending.path = Some(name);
                    continue;
                }
                b'K' => {
                    let mut name = self.read_extension(header_size, "GNU long link name")?;
                    name.truncate(cstr(&name).len());
                    pending.link = Some(name);
                    continue;
                }
                b'x' | b'X' => {
                    let data = self.read_extension(header_size, "PAX header")?;
                    parse_pax(&data, &mut pending)?;
                    continue;
                }
                b'g' => {
                    // Global headers set defaults for later entries; layers do not rely on
                    // them, and their content is bounded like any header.
                    self.read_extension(header_size, "PAX global header")?;
                    continue;
                }
                _ => {}
            }
            let magic = &block[257..263];
            let is_ustar = magic == b"ustar\0" || magic == b"ustar ";
            let mut path = cstr(&block[0..100]).to_vec();
            if magic == b"ustar\0" && block[345] != 0 {
                let prefix = cstr(&block[345..500]);
                let mut full = prefix.to_vec();
                full.push(b'/');
                full.extend_from_slice(&path);
                path = full;
            }
            let kind = match typeflag {
                b'0' | 0 | b'7' => Some(Kind::File),
                b'1' => Some(Kind::Hardlink),
                b'2' => Some(Kind::Symlink),
                b'3' => Some(Kind::Char),
                b'4' => Some(Kind::Block),
                b'5' => Some(Kind::Dir),
                b'6' => Some(Kind::Fifo),
                b'S' => return Err(LayerError::Unsupported("GNU sparse files")),
                _ => None, // unknown types are skipped, like GNU tar does with a warning
            };
            let mut entry = Entry {
                kind,
                path: pending.path.take().unwrap_or(path),
                link: pending.link.take().unwrap_or_else(|| cstr(&block[157..257]).to_vec()),
                mode: u32::try_from(
                    parse_octal(&block[100..108]).ok_or_else(|| bad("mode is not a number"))?
                        & 0o7777,
                )
                .unwrap_or(0o644),
                uid: pending.uid.take().map_or_else(
                    || parse_octal(&block[108..116]).ok_or_else(|| bad("uid is not a number")),
                    Ok,
                )?,
                gid: pending.gid.take().map_or_else(
                    || parse_octal(&block[116..124]).ok_or_else(|| bad("gid is not a number")),
                    Ok,
                )?,
                mtime: 0,
                mtime_nsec: 0,
                size: pending.size.take().unwrap_or(header_size),
                dev_major: 0,
                dev_minor: 0,
                xattrs: std::mem::take(&mut pending.xattrs),
            };
            match pending.mtime.take() {
                Some((s, ns)) => (entry.mtime, entry.mtime_nsec) = (s, ns),
                None => {
                    entry.mtime = i64::try_from(
                        parse_octal(&block[136..148])
                            .ok_or_else(|| bad("mtime is not a number"))?,
                    )
                    .unwrap_or(i64::MAX);
                }
            }
            if is_ustar {
                entry.dev_major =
                    u32::try_from(parse_octal(&block[329..337]).unwrap_or(0)).unwrap_or(0);
                entry.dev_minor =
                    u32::try_from(parse_octal(&block[337..345]).unwrap_or(0)).unwrap_or(0);
            }
            if entry.path.len() > self.limits.max_path || entry.link.len() > self.limits.max_path {
                return Err(LayerError::Limit(format!(
                    "a path is longer than {} bytes",
                    self.limits.max_path
                )));
            }
            // Only regular files carry content; a size on anything else (hard links in
            // some archives) is content to skip.
            if entry.kind == Some(Kind::File) && entry.size > self.limits.max_file {
                return Err(LayerError::Limit(format!(
                    "file {:?} is {} bytes, more than the limit of {}",
                    String::from_utf8_lossy(&entry.path),
                    entry.size,
                    self.limits.max_file
                )));
            }
            // Only regular files (and unknown types, skipped by the caller) carry content.
            // Header-only types have none whatever their size field says, as Go's
            // archive/tar reads them (the reader of docker, containerd and umoci): the next
            // header follows at once.
            let data = if matches!(entry.kind, Some(Kind::File) | None) { entry.size } else { 0 };
            if data == 0 {
                entry.size = 0;
            }
            self.remaining = data;
            self.padding = (BLOCK as u64 - data % BLOCK as u64) % BLOCK as u64;
            return Ok(Some(entry));
        }
    }
}

impl<R: Read> Read for TarReader<R> {
    /// Reads the current entry's content.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(self.remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends in the middle of a file",
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for TarReader<R> {
    /// The current entry's content, as much of it as the inner reader has buffered.
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.remaining == 0 {
            return Ok(&[]);
        }
        let remaining = self.remaining;
        let available = self.inner.fill_buf()?;
        if available.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends in the middle of a file",
            ));
        }
        let n = usize::try_from(remaining).map_or(available.len(), |r| r.min(available.len()));
        Ok(&available[..n])
    }

    fn consume(&mut self, amount: usize) {
        let amount = usize::try_from(self.remaining).map_or(amount, |r| r.min(amount));
        self.inner.consume(amount);
        self.remaining -= amount as u64;
    }
}

fn parse_pax(data: &[u8], pending: &mut Pending) -> Result<(), LayerError> {
    let mut rest = data;
    while !rest.is_empty() {
        let space =
            rest.iter().position(|&b| b == b' ').ok_or_else(|| bad("PAX record without length"))?;
        let len: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("PAX record length is not a number"))?;
        if len <= space + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err(bad("PAX record length is wrong"));
        }
        let record = &rest[space + 1..len - 1];
        rest = &rest[len..];
        let eq =
            record.iter().position(|&b| b == b'=').ok_or_else(|| bad("PAX record without '='"))?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        let number = |v: &[u8]| std::str::from_utf8(v).ok().and_then(|s| s.parse::<u64>().ok());
        match key {
            b"path" => pending.path = Some(value.to_vec()),
            b"linkpath" => pending.link = Some(value.to_vec()),
            b"size" => {
                pending.size = Some(number(value).ok_or_else(|| bad("PAX size is not a number"))?)
            }
            b"uid" => {
                pending.uid = Some(number(value).ok_or_else(|| bad("PAX uid is not a number"))?)
            }
            b"gid" => {
                pending.gid = Some(number(value).ok_or_else(|| bad("PAX gid is not a number"))?)
            }
            b"mtime" => {
                let s = std::str::from_utf8(value).map_err(|_| bad("PAX mtime is not text"))?;
                let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
                let secs: i64 = secs.parse().map_err(|_| bad("PAX mtime is not a number"))?;
                let digits: String = frac.chars().take(9).collect();
                let nsec = if digits.is_empty() {
                    0
                } else {
                    format!("{digits:0<9}").parse().unwrap_or(0)
                };
                pending.mtime = Some((secs, nsec));
            }
            _ => {
                if let Some(name) = key.strip_prefix(b"SCHILY.xattr.") {
                    let name = String::from_utf8(name.to_vec())
                        .map_err(|_| bad("xattr name is not UTF-8"))?;
                    pending.xattrs.push((name, value.to_vec()));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits { max_header: 1 << 20, max_path: 4096, max_file: u64::MAX }
    }

    #[test]
    fn reads_what_tar_rs_writes() {
        let mut b = tar::Builder::new(Vec::new());
        let long = "d/".repeat(80) + "file";
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o4755);
        h.set_uid(1 << 30);
        h.set_cksum();
        b.append_data(&mut h, &long, &b"hello"[..]).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_cksum();
        b.append_link(&mut h, "link", "x".repeat(150)).unwrap();
        let bytes = b.into_inner().unwrap();
        let mut r = TarReader::new(&bytes[..], limits());
        let e = r.next_entry().unwrap().unwrap();
        assert_eq!(e.path, long.as_bytes());
        assert_eq!((e.mode, e.uid, e.size, e.kind), (0o4755, 1 << 30, 5, Some(Kind::File)));
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello");
        let e = r.next_entry().unwrap().unwrap();
        assert_eq!(e.kind, Some(Kind::Symlink));
        assert_eq!(e.link.len(), 150);
        assert!(r.next_entry().unwrap().is_none());
    }

    #[test]
    fn pax_records() {
        let mut p = Pending::default();
        parse_pax(b"30 mtime=1700000000.123456789\n25 SCHILY.xattr.user.a=b\n", &mut p).unwrap();
        assert_eq!(p.mtime, Some((1_700_000_000, 123_456_789)));
        assert_eq!(p.xattrs, vec![("user.a".to_owned(), b"b".to_vec())]);
        assert!(parse_pax(b"99 path=x\n", &mut Pending::default()).is_err());
        assert!(parse_pax(b"x path=x\n", &mut Pending::default()).is_err());
    }

    #[test]
    fn header_limits() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::XHeader);
        h.set_size(2 << 20);
        h.set_cksum();
        b.append(&h, &vec![b'a'; 2 << 20][..]).unwrap();
        let bytes = b.into_inner().unwrap();
        assert!(matches!(
            TarReader::new(&bytes[..], limits()).next_entry(),
            Err(LayerError::Limit(_))
        ));
    }
}
