//! Printing text that came from an image, an archive or a layout: names from tar headers,
//! tags, annotations, file names. Such text can hold control characters that a terminal
//! obeys (move the cursor, rewrite the title, erase lines), so everything untrusted goes
//! through [`escape`] before it reaches stdout or stderr as text. JSON output needs no
//! help: its encoder escapes control characters itself.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character (C0, DEL, C1) written as a Rust-style escape
/// (`\n`, `\t`, `\u{1b}`), and a backslash that could begin one doubled, so the printed
/// form cannot be confused with an escape the text did not hold. Text without such
/// characters is returned as it is.
///
/// ```
/// use oci_examples::terminal::escape;
/// assert_eq!(escape("v1.0"), "v1.0");
/// assert_eq!(escape("evil\u{1b}]0;owned\u{7}"), "evil\\u{1b}]0;owned\\u{7}");
/// assert_eq!(escape("two\nlines"), "two\\nlines");
/// assert_eq!(escape("a\\nb"), "a\\\\nb");
/// ```
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c == '\\' || c.is_control()
}

/// [`escape`] of anything displayable (an error, a path's display form).
pub fn escape_display(value: &dyn std::fmt::Display) -> String {
    escape(&value.to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue17_every_control_character_is_escaped() {
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            let shown = escape(&text);
            assert!(!shown.chars().any(char::is_control), "{c:?} -> {shown:?}");
        }
        // Printable text, non-ASCII included, is untouched and borrowed.
        assert!(matches!(escape("café/ünïcode:tag"), Cow::Borrowed(_)));
    }
}
