//! Validation results: every broken MUST of a document, with its JSON path.

use std::fmt::{self, Write as _};

/// One violated requirement of the spec, found by a document's `validate()`.
///
/// `path` is a JSON path from the document's root, such as `$.layers[0].mediaType`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Violation {
    /// Where in the document, as a JSON path (`$` is the root).
    pub path: String,
    /// Which requirement is broken, in words.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Collects violations while walking a document.
///
/// The current JSON path is kept as a small stack of segments and only rendered into a
/// string when a violation is recorded, so validating a valid document allocates nothing.
#[derive(Debug)]
pub(crate) struct Checker {
    segments: [Segment; MAX_DEPTH],
    depth: usize,
    pub(crate) out: Vec<Violation>,
}

const MAX_DEPTH: usize = 8;

#[derive(Clone, Copy, Debug)]
enum Segment {
    Field(&'static str),
    Index(usize),
}

impl Checker {
    pub(crate) fn new() -> Self {
        Self { segments: [Segment::Index(0); MAX_DEPTH], depth: 0, out: Vec::new() }
    }

    fn path(&self) -> String {
        let mut path = String::from("$");
        for segment in &self.segments[..self.depth.min(MAX_DEPTH)] {
            match segment {
                Segment::Field(f) if f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
                    path.push('.');
                    path.push_str(f);
                }
                // Names with dots or other punctuation (`os.version`).
                Segment::Field(f) => {
                    let _ = write!(path, "[{f:?}]");
                }
                Segment::Index(i) => {
                    let _ = write!(path, "[{i}]");
                }
            }
        }
        path
    }

    fn nested(&mut self, segment: Segment, f: impl FnOnce(&mut Self)) {
        if self.depth < MAX_DEPTH {
            self.segments[self.depth] = segment;
        }
        self.depth += 1;
        f(self);
        self.depth -= 1;
    }

    /// Records a violation at the current path.
    pub(crate) fn fail(&mut self, message: impl fmt::Display) {
        let path = self.path();
        self.out.push(Violation { path, message: message.to_string() });
    }

    /// Records a violation at `field` below the current path.
    pub(crate) fn fail_at(&mut self, field: &'static str, message: impl fmt::Display) {
        self.field(field, |c| c.fail(message));
    }

    /// Runs `f` with `.field` appended to the path.
    pub(crate) fn field(&mut self, field: &'static str, f: impl FnOnce(&mut Self)) {
        self.nested(Segment::Field(field), f);
    }

    /// Runs `f` with `[index]` appended to the path.
    pub(crate) fn index(&mut self, index: usize, f: impl FnOnce(&mut Self)) {
        self.nested(Segment::Index(index), f);
    }

    pub(crate) fn finish(self) -> Vec<Violation> {
        self.out
    }
}

/// A URI reference as RFC 3986 § 4.3 absolute-URI requires: a scheme, `:`, and only
/// characters allowed in URIs (percent escapes well-formed).
pub(crate) fn is_absolute_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    let mut sb = scheme.bytes();
    if !sb.next().is_some_and(|b| b.is_ascii_alphabetic())
        || !sb.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return false;
    }
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if !bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
            continue;
        }
        let allowed = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b':'
                    | b'/'
                    | b'?'
                    | b'#'
                    | b'['
                    | b']'
                    | b'@'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
            );
        if !allowed {
            return false;
        }
        i += 1;
    }
    true
}

/// An RFC 3339 date-time, as `created` fields require (`2015-10-31T22:22:56.015925234Z`).
pub(crate) fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| {
        b.get(r).map_or(0, |d| d.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0')))
    };
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !matches!(b[10], b'T' | b't' | b' ')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let (month, day, hour, minute, second) =
        (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
                && (u32::from(h1 - b'0') * 10 + u32::from(h2 - b'0')) <= 23
                && (u32::from(m1 - b'0') * 10 + u32::from(m2 - b'0')) <= 59
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let mut c = Checker::new();
        c.field("layers", |c| c.index(2, |c| c.fail_at("mediaType", "bad")));
        c.field("os.version", |c| c.fail("bad"));
        let v = c.finish();
        assert_eq!(v[0].to_string(), "$.layers[2].mediaType: bad");
        assert_eq!(v[1].path, "$[\"os.version\"]");
    }

    #[test]
    fn uris() {
        for ok in ["https://example.com/a?b=c#d", "urn:x", "http://[::1]:80/%2F"] {
            assert!(is_absolute_uri(ok), "{ok}");
        }
        for bad in ["value", "", "1http://x", "http://a b", "http://%zz", "://x", "h://\\"] {
            assert!(!is_absolute_uri(bad), "{bad}");
        }
    }

    #[test]
    fn dates() {
        for ok in
            ["2015-10-31T22:22:56.015925234Z", "2019-01-01T00:00:00+01:00", "2020-02-29T23:59:60z"]
        {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2015-10-31",
            "2015-13-01T00:00:00Z",
            "2015-10-31T22:22:56",
            "2015-10-31T22:22:56.Z",
            "x",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
