//! Image references: `[host[:port]/]path[:tag][@digest]`, parsed by hand as the Docker and
//! distribution grammars define them, with Docker Hub normalisation.

use std::fmt;
use std::str::FromStr;

use oci_image::Digest;

/// The registry a reference without a host names.
pub const DOCKER_HUB: &str = "docker.io";
/// Where Docker Hub's API lives.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";
/// The tag a reference without tag or digest names.
pub const DEFAULT_TAG: &str = "latest";

/// A normalised image reference: registry, repository, and a tag and/or digest.
///
/// ```
/// # fn main() -> Result<(), oci_distribution::ParseReferenceError> {
/// use oci_distribution::Reference;
/// let r: Reference = "nginx".parse()?;
/// assert_eq!(r.to_string(), "docker.io/library/nginx:latest");
/// assert_eq!(r.familiar(), "nginx:latest");
/// let r: Reference = "localhost:5000/team/app:v1".parse()?;
/// assert_eq!((r.registry(), r.repository(), r.tag()), ("localhost:5000", "team/app", Some("v1")));
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// Why a string is not an image reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseReferenceError {
    /// The reference is empty.
    #[error("reference is empty")]
    Empty,
    /// Longer than the 255 characters a repository name may have.
    #[error("repository name is longer than 255 characters")]
    NameTooLong,
    /// The registry host or port is malformed.
    #[error("invalid registry host {0:?}")]
    Host(String),
    /// A path component breaks `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
    #[error(
        "invalid repository name component {0:?} (lower-case letters, digits and separators . _ __ -)"
    )]
    Component(String),
    /// The tag breaks `[A-Za-z0-9_][A-Za-z0-9._-]{{0,127}}`.
    #[error("invalid tag {0:?}")]
    Tag(String),
    /// The digest does not parse.
    #[error("invalid digest: {0}")]
    Digest(#[from] oci_image::ParseDigestError),
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
pub(crate) fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let mut i = 0;
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    loop {
        let start = i;
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == b.len() {
            return true;
        }
        // A separator: `.`, `_`, `__`, or one or more `-`.
        match b[i] {
            b'.' => i += 1,
            b'_' => i += if b.get(i + 1) == Some(&b'_') { 2 } else { 1 },
            b'-' => {
                while i < b.len() && b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

/// A repository name: components joined by `/`, at most 255 characters.
pub fn is_valid_repository(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name.split('/').all(is_path_component)
}

/// A tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn is_host(host: &str) -> bool {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        // [IPv6]:port
        let Some((addr, after)) = rest.split_once(']') else { return false };
        if addr.is_empty() || !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return false;
        }
        match after {
            "" => return true,
            p => (None, p.strip_prefix(':')),
        }
    } else {
        match host.rsplit_once(':') {
            Some((n, p)) => (Some(n), Some(p)),
            None => (Some(host), None),
        }
    };
    let name_ok = name.is_none_or(|n| {
        !n.is_empty()
            && n.split('.').all(|label| {
                let b = label.as_bytes();
                !b.is_empty()
                    && b[0].is_ascii_alphanumeric()
                    && b[b.len() - 1].is_ascii_alphanumeric()
                    && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
            })
    });
    let port_ok = match port {
        None => true,
        Some(p) => !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()),
    };
    name_ok && port_ok && !host.is_empty()
}

impl Reference {
    /// A reference to `repository` on `registry` with a tag and/or digest (validated).
    ///
    /// # Errors
    /// [`ParseReferenceError`] for an invalid host, repository or tag.
    pub fn new(
        registry: &str,
        repository: &str,
        tag: Option<&str>,
        digest: Option<Digest>,
    ) -> Result<Self, ParseReferenceError> {
        if !is_host(registry) {
            return Err(ParseReferenceError::Host(registry.to_owned()));
        }
        if repository.len() > 255 {
            return Err(ParseReferenceError::NameTooLong);
        }
        if let Some(bad) = repository.split('/').find(|c| !is_path_component(c)) {
            return Err(ParseReferenceError::Component(bad.to_owned()));
        }
        if let Some(t) = tag.filter(|t| !is_valid_tag(t)) {
            return Err(ParseReferenceError::Tag(t.to_owned()));
        }
        Ok(Self {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            tag: tag.map(str::to_owned),
            digest,
        })
    }

    /// The registry host (with port), `docker.io` for Docker Hub.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host to send API requests to (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB { DOCKER_HUB_API } else { &self.registry }
    }

    /// The repository path, `library/nginx` for `nginx`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What the manifest endpoints take: the digest if there is one, else the tag.
    pub fn tag_or_digest(&self) -> &str {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.as_str(),
            (None, Some(t)) => t,
            (None, None) => DEFAULT_TAG,
        }
    }

    /// The short form Docker prints: no `docker.io/`, no `library/`.
    pub fn familiar(&self) -> String {
        let mut out = String::new();
        if self.registry != DOCKER_HUB {
            out.push_str(&self.registry);
            out.push('/');
            out.push_str(&self.repository);
        } else {
            out.push_str(
                self.repository
                    .strip_prefix("library/")
                    .filter(|r| !r.contains('/'))
                    .unwrap_or(&self.repository),
            );
        }
        self.push_suffix(&mut out);
        out
    }

    fn push_suffix(&self, out: &mut String) {
        if let Some(t) = &self.tag {
            out.push(':');
            out.push_str(t);
        }
        if let Some(d) = &self.digest {
            out.push('@');
            out.push_str(d.as_str());
        }
    }
}

impl FromStr for Reference {
    type Err = ParseReferenceError;

    /// Parses and normalises: a first component that has no `.` or `:`, is not
    /// `localhost` and is all lower case is part of the path on Docker Hub; a single
    /// component on Docker Hub gets `library/`; no tag and no digest means `latest`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(ParseReferenceError::Empty);
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d.parse::<Digest>()?)),
            None => (s, None),
        };
        // The tag follows the last `:` after the last `/` (a `:` before it is a port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        let (registry, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.to_lowercase() != first =>
            {
                (first, path.to_owned())
            }
            _ => (DOCKER_HUB, name.to_owned()),
        };
        let path = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some(DEFAULT_TAG),
            (None, Some(_)) => None,
        };
        Self::new(registry, &path, tag, digest)
    }
}

impl fmt::Display for Reference {
    /// The fully qualified form: `docker.io/library/nginx:latest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = format!("{}/{}", self.registry, self.repository);
        self.push_suffix(&mut out);
        f.write_str(&out)
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({:?})", self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn docker_hub_normalisation() {
        for (input, full, familiar) in [
            ("nginx", "docker.io/library/nginx:latest", "nginx:latest"),
            ("nginx:1.25", "docker.io/library/nginx:1.25", "nginx:1.25"),
            ("library/nginx", "docker.io/library/nginx:latest", "nginx:latest"),
            ("docker.io/nginx", "docker.io/library/nginx:latest", "nginx:latest"),
            ("user/app", "docker.io/user/app:latest", "user/app:latest"),
            ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
            ("localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b:t"),
            (
                "ghcr.io/o/r@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "ghcr.io/o/r@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "ghcr.io/o/r@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            ("Registry/x", "Registry/x:latest", "Registry/x:latest"),
            ("[::1]:5000/x:y", "[::1]:5000/x:y", "[::1]:5000/x:y"),
            (
                "127.0.0.1:5000/a__b/c-d/e.f_g:T_1.x-y",
                "127.0.0.1:5000/a__b/c-d/e.f_g:T_1.x-y",
                "127.0.0.1:5000/a__b/c-d/e.f_g:T_1.x-y",
            ),
        ] {
            let parsed = r(input);
            assert_eq!(parsed.to_string(), full, "{input}");
            assert_eq!(parsed.familiar(), familiar, "{input}");
            assert_eq!(r(&parsed.to_string()), parsed, "round trip of {input}");
        }
        assert_eq!(r("nginx").api_host(), DOCKER_HUB_API);
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "UPPER",
            "a//b",
            "a/",
            "-a",
            "a-",
            "a..b",
            "a___b",
            "x:",
            "x:-t",
            "x@sha256:abc",
            "host:port:x/y",
            ":tag",
            "a/b:",
        ] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
        assert!(format!("x:{}", "t".repeat(129)).parse::<Reference>().is_err());
        assert!(("a/".repeat(130) + "b").parse::<Reference>().is_err());
        assert!(
            is_path_component("a--b") && is_path_component("a__b") && !is_path_component("a_-b")
        );
    }
}
