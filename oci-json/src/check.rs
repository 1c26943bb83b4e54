//! Walking a document for `validate()`: violations with their JSON paths.

use std::fmt::{self, Write as _};

/// One violated requirement of a spec, found by a document's `validate()`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Violation {
    /// Where, as a JSON path from the document's root: `$` is the root, `.name` a member
    /// whose name is an identifier, `["a.b"]` any other member (a JSON string), `[3]` an
    /// array element (`$.layers[0].mediaType`, `$.annotations["org.opencontainers.x"]`).
    pub path: String,
    /// Which requirement is broken, in words.
    pub message: String,
}

impl Violation {
    /// A violation at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into() }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Collects violations while walking a document.
///
/// The current JSON path is a stack of segments, rendered into a string only when a
/// violation is recorded; names of map keys are copied into one reused buffer. Nesting
/// has no depth limit.
///
/// ```
/// let mut c = oci_json::Checker::new();
/// c.field("linux", |c| {
///     c.field("sysctl", |c| c.key("net.ipv4.ip_forward", |c| c.fail("not allowed")));
///     c.field("devices", |c| c.index(1, |c| c.fail_at("path", "must be absolute")));
/// });
/// let v = c.finish();
/// assert_eq!(v[0].path, r#"$.linux.sysctl["net.ipv4.ip_forward"]"#);
/// assert_eq!(v[1].to_string(), "$.linux.devices[1].path: must be absolute");
/// ```
#[derive(Debug)]
pub struct Checker {
    /// The first [`INLINE`] segments of the path; deeper ones are in `deeper`.
    inline: [Segment; INLINE],
    deeper: Vec<Segment>,
    depth: usize,
    keys: String,
    out: Vec<Violation>,
}

/// Path segments kept without allocating: deeper than every OCI document goes.
const INLINE: usize = 16;

impl Default for Checker {
    fn default() -> Self {
        Self {
            inline: [Segment::Index(0); INLINE],
            deeper: Vec::new(),
            depth: 0,
            keys: String::new(),
            out: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Segment {
    Field(&'static str),
    Index(usize),
    /// A key copied into `keys` from this offset to the next key's start (or the end).
    Key(usize),
}

impl Checker {
    /// A checker at the root, with no violations.
    pub fn new() -> Self {
        Self::default()
    }

    /// The segments of the current path, outermost first.
    fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.inline[..self.depth.min(INLINE)].iter().chain(&self.deeper)
    }

    /// The current JSON path.
    pub fn path(&self) -> String {
        let mut path = String::from("$");
        let segments: Vec<&Segment> = self.segments().collect();
        for (i, segment) in segments.iter().enumerate() {
            match **segment {
                Segment::Field(name) => push_name(&mut path, name),
                Segment::Index(index) => {
                    let _ = write!(path, "[{index}]");
                }
                Segment::Key(start) => {
                    let end = segments[i + 1..]
                        .iter()
                        .find_map(|s| match s {
                            Segment::Key(next) => Some(*next),
                            _ => None,
                        })
                        .unwrap_or(self.keys.len());
                    push_name(&mut path, self.keys.get(start..end).unwrap_or_default());
                }
            }
        }
        path
    }

    #[inline]
    fn nested(&mut self, segment: Segment, f: impl FnOnce(&mut Self)) {
        match self.inline.get_mut(self.depth) {
            Some(slot) => *slot = segment,
            None => self.deeper.push(segment),
        }
        self.depth += 1;
        f(self);
        self.depth -= 1;
        if self.depth >= INLINE {
            self.deeper.pop();
        }
    }

    /// Runs `f` one member down, at `.name`.
    #[inline]
    pub fn field(&mut self, name: &'static str, f: impl FnOnce(&mut Self)) {
        self.nested(Segment::Field(name), f);
    }

    /// Runs `f` one element down, at `[index]`.
    #[inline]
    pub fn index(&mut self, index: usize, f: impl FnOnce(&mut Self)) {
        self.nested(Segment::Index(index), f);
    }

    /// Runs `f` at the map entry `key` (a name from the document, not a spec member).
    pub fn key(&mut self, key: &str, f: impl FnOnce(&mut Self)) {
        let start = self.keys.len();
        self.keys.push_str(key);
        self.nested(Segment::Key(start), f);
        self.keys.truncate(start);
    }

    /// Records a violation at the current path.
    pub fn fail(&mut self, message: impl fmt::Display) {
        let path = self.path();
        self.out.push(Violation { path, message: message.to_string() });
    }

    /// Records a violation at the member `name` below the current path.
    pub fn fail_at(&mut self, name: &'static str, message: impl fmt::Display) {
        self.field(name, |c| c.fail(message));
    }

    /// The violations recorded so far.
    pub fn violations(&self) -> &[Violation] {
        &self.out
    }

    /// Ends the walk.
    pub fn finish(self) -> Vec<Violation> {
        self.out
    }
}

/// `.name` for identifiers, else `["name"]` with the name as a JSON string.
fn push_name(path: &mut String, name: &str) {
    let mut bytes = name.bytes();
    let identifier = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if identifier {
        path.push('.');
        path.push_str(name);
        return;
    }
    path.push_str("[\"");
    for ch in name.chars() {
        match ch {
            '"' => path.push_str("\\\""),
            '\\' => path.push_str("\\\\"),
            '\n' => path.push_str("\\n"),
            '\r' => path.push_str("\\r"),
            '\t' => path.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(path, "\\u{:04x}", u32::from(c));
            }
            c => path.push(c),
        }
    }
    path.push_str("\"]");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let mut c = Checker::new();
        c.field("layers", |c| c.index(2, |c| c.fail_at("mediaType", "bad")));
        c.field("os.version", |c| c.fail("bad"));
        c.field("annotations", |c| {
            c.key("a\"b\\c\n\u{1}", |c| c.fail("bad"));
            c.key("plain_key1", |c| c.key("9lives", |c| c.fail("bad")));
            c.key("", |c| c.fail("bad"));
        });
        c.fail("root");
        let v = c.finish();
        assert_eq!(v[0].to_string(), "$.layers[2].mediaType: bad");
        assert_eq!(v[1].path, "$[\"os.version\"]");
        assert_eq!(v[2].path, r#"$.annotations["a\"b\\c\n\u0001"]"#);
        assert_eq!(v[3].path, r#"$.annotations.plain_key1["9lives"]"#);
        assert_eq!(v[4].path, r#"$.annotations[""]"#);
        assert_eq!(v[5].path, "$");
        // Every rendered path is valid for its JSON-string parts.
        let quoted = v[2].path.trim_start_matches("$.annotations[").trim_end_matches(']');
        assert_eq!(serde_json::from_str::<String>(quoted).unwrap(), "a\"b\\c\n\u{1}");
    }

    #[test]
    fn no_depth_limit() {
        fn down(c: &mut Checker, n: usize) {
            if n == 0 {
                c.fail("deep");
            } else {
                c.index(n, |c| down(c, n - 1));
            }
        }
        let mut c = Checker::new();
        down(&mut c, 20);
        let v = c.finish();
        assert_eq!(v[0].path.matches('[').count(), 20);
        assert!(v[0].path.ends_with("[2][1]"));

        // Map keys above and below the inline segments render alike.
        let mut c = Checker::new();
        c.key("a.b", |c| {
            down_then(c, 17, &mut |c| c.key("x.y", |c| c.key("z", |c| c.fail("deep"))))
        });
        let path = c.finish().remove(0).path;
        assert!(path.starts_with(r#"$["a.b"][17]"#) && path.ends_with(r#"[1]["x.y"].z"#), "{path}");
    }

    fn down_then(c: &mut Checker, n: usize, f: &mut dyn FnMut(&mut Checker)) {
        if n == 0 {
            f(c);
        } else {
            c.index(n, |c| down_then(c, n - 1, f));
        }
    }
}
