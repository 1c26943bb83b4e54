//! Pre-defined annotation keys, image-spec v1.1
//! [`annotations.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/annotations.md).
//!
//! Annotations are string-to-string maps on descriptors, manifests and indexes. Keys are
//! unique: the documents of this crate reject a JSON object that repeats one. Unknown keys
//! are kept.

/// Date and time the image was built (RFC 3339).
pub const CREATED: &str = "org.opencontainers.image.created";
/// Contact details of the people or organisation responsible for the image.
pub const AUTHORS: &str = "org.opencontainers.image.authors";
/// URL to find more information on the image.
pub const URL: &str = "org.opencontainers.image.url";
/// URL to get documentation on the image.
pub const DOCUMENTATION: &str = "org.opencontainers.image.documentation";
/// URL to get source code for building the image.
pub const SOURCE: &str = "org.opencontainers.image.source";
/// Version of the packaged software.
pub const VERSION: &str = "org.opencontainers.image.version";
/// Source control revision of the packaged software.
pub const REVISION: &str = "org.opencontainers.image.revision";
/// Name of the distributing entity.
pub const VENDOR: &str = "org.opencontainers.image.vendor";
/// Licenses of the contained software, as an SPDX expression.
pub const LICENSES: &str = "org.opencontainers.image.licenses";
/// Name of the reference for a target, on descriptors in an image layout's `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Human-readable title of the image.
pub const TITLE: &str = "org.opencontainers.image.title";
/// Human-readable description of the packaged software.
pub const DESCRIPTION: &str = "org.opencontainers.image.description";
/// Digest of the image this image is based on.
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
/// Image reference of the image this image is based on.
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";

/// Whether `name` matches the grammar of [`REF_NAME`] values:
/// `component ("/" component)*`, `component ::= alphanum (separator alphanum)*`,
/// `alphanum ::= [A-Za-z0-9]+`, `separator ::= [-._:@+] | "--"`.
///
/// ```
/// use oci_image::annotations::is_valid_ref_name;
/// assert!(is_valid_ref_name("v1.0.0"));
/// assert!(is_valid_ref_name("example.com/app:latest"));
/// assert!(!is_valid_ref_name("../escape"));
/// assert!(!is_valid_ref_name(""));
/// ```
pub fn is_valid_ref_name(name: &str) -> bool {
    name.split('/').all(|component| {
        let b = component.as_bytes();
        let mut i = 0;
        let mut need_alnum = true;
        while i < b.len() {
            if b[i].is_ascii_alphanumeric() {
                need_alnum = false;
                i += 1;
            } else if need_alnum {
                return false;
            } else if b[i] == b'-' && b.get(i + 1) == Some(&b'-') {
                need_alnum = true;
                i += 2;
            } else if matches!(b[i], b'-' | b'.' | b'_' | b':' | b'@' | b'+') {
                need_alnum = true;
                i += 1;
            } else {
                return false;
            }
        }
        !need_alnum
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_names() {
        for ok in ["a", "latest", "1.0", "a--b", "a/b/c", "r@sha256:abc", "a+b", "A_z-9"] {
            assert!(is_valid_ref_name(ok), "{ok}");
        }
        for bad in [
            "", "/", "a/", "/a", "a//b", "-a", "a-", "a---b", "a..b", ".", "..", "a b", "a/../b",
            "é",
        ] {
            assert!(!is_valid_ref_name(bad), "{bad}");
        }
    }
}
