//! Validation results: every broken MUST of a document, with its JSON path.

pub(crate) use oci_json::Checker;
pub use oci_json::Violation;
pub(crate) use oci_json::format::is_rfc3339;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        for ok in ["https://example.com/a?b=c#d", "urn:x", "http://[::1]:80/%2F"] {
            assert!(is_absolute_uri(ok), "{ok}");
        }
        for bad in ["value", "", "1http://x", "http://a b", "http://%zz", "://x", "h://\\"] {
            assert!(!is_absolute_uri(bad), "{bad}");
        }
    }
}
