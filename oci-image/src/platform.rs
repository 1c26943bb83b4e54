//! Platforms (`os/arch[/variant]`), their normalisation and matching, image-spec v1.1
//! [`image-index.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md#image-index-property-descriptions).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::validate::Checker;

/// The platform an image runs on.
///
/// ```
/// # fn main() -> Result<(), oci_image::ParsePlatformError> {
/// use oci_image::Platform;
/// let want: Platform = "linux/armhf".parse()?;
/// assert_eq!(want.to_string(), "linux/arm/v7");
/// let candidates: Vec<Platform> =
///     ["linux/amd64", "linux/arm/v6", "linux/arm64"].iter().map(|s| s.parse()).collect::<Result<_, _>>()?;
/// // arm/v7 hardware runs arm/v6 images.
/// assert_eq!(want.best_match(&candidates), Some(1));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Platform {
    /// REQUIRED. The CPU architecture, with Go's `GOARCH` values (`amd64`, `arm64`, ...).
    pub architecture: String,
    /// REQUIRED. The operating system, with Go's `GOOS` values (`linux`, `windows`, ...).
    pub os: String,
    /// OPTIONAL. The version of the operating system (Windows: `10.0.14393.1066`).
    #[serde(rename = "os.version", skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// OPTIONAL. Features the operating system must have (Windows: `win32k`).
    #[serde(rename = "os.features", skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// OPTIONAL. The variant of the CPU (`v7` for ARMv7 on `arm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// RESERVED by image-spec for future use.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// Fields this crate does not know, kept so that a round trip loses nothing.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

oci_json::deserialize_object!(Platform, "a platform object", {
    architecture: "architecture" required;
    os: "os" required;
    os_version: "os.version";
    os_features: "os.features";
    variant: "variant";
    features: "features";
});

/// Why a string is not `os/arch[/variant]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParsePlatformError {
    /// Not two or three `/`-separated parts.
    #[error("platform must be os/arch[/variant]")]
    Shape,
    /// A part is empty or holds characters outside `[A-Za-z0-9_.-]`.
    #[error("platform part is empty or has characters outside [A-Za-z0-9_.-]")]
    Part,
    /// An `os(version)` part is not closed.
    #[error("unclosed '(' in os(version)")]
    OsVersion,
}

fn normalize_os(os: &str) -> String {
    let os = os.to_ascii_lowercase();
    match os.as_str() {
        "macos" => "darwin".to_owned(),
        _ => os,
    }
}

/// Normalises architecture and variant the way container engines do.
fn normalize_arch(arch: &str, variant: Option<&str>) -> (String, Option<String>) {
    let arch = arch.to_ascii_lowercase();
    let variant = variant.map(str::to_ascii_lowercase);
    let v = variant.as_deref().unwrap_or("");
    let (a, v): (&str, Option<String>) = match arch.as_str() {
        "i386" | "i486" | "i586" | "i686" | "x86" => ("386", variant.clone()),
        "x86_64" | "x86-64" | "amd64" => {
            ("amd64", if v.is_empty() || v == "v1" { None } else { variant.clone() })
        }
        "aarch64" | "arm64" => (
            "arm64",
            match v {
                "" | "8" | "v8" | "v8.0" => None,
                "9" | "9.0" | "v9.0" => Some("v9".to_owned()),
                _ if v.starts_with(|c: char| c.is_ascii_digit()) => Some(format!("v{v}")),
                _ => variant.clone(),
            },
        ),
        "armhf" => ("arm", Some("v7".to_owned())),
        "armel" => ("arm", Some("v6".to_owned())),
        "arm" => (
            "arm",
            match v {
                "" | "7" => Some("v7".to_owned()),
                "5" | "6" | "8" => Some(format!("v{v}")),
                _ => variant.clone(),
            },
        ),
        _ => return (arch, variant),
    };
    (a.to_owned(), v)
}

impl Platform {
    /// A platform with `os` and `architecture` only, as given (not normalised).
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> Self {
        Self {
            architecture: architecture.into(),
            os: os.into(),
            os_version: None,
            os_features: Vec::new(),
            variant: None,
            features: Vec::new(),
            extra: Map::new(),
        }
    }

    /// The platform this program was built for, normalised (`linux/amd64` on x86-64 Linux).
    pub fn host() -> Self {
        let arch = match std::env::consts::ARCH {
            "x86" => "386",
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "powerpc64" => "ppc64",
            "loongarch64" => "loong64",
            other => other,
        };
        let os = match std::env::consts::OS {
            "macos" => "darwin",
            other => other,
        };
        Self::new(os, arch).normalized()
    }

    /// The same platform with OS, architecture and variant in their canonical forms:
    /// `x86_64` → `amd64`, `aarch64` → `arm64` (variant `v8` dropped), `armhf` → `arm/v7`,
    /// `armel` → `arm/v6`, `arm` → `arm/v7`, `i386` → `386`, `macos` → `darwin`.
    pub fn normalized(&self) -> Self {
        let (architecture, variant) = normalize_arch(&self.architecture, self.variant.as_deref());
        Self { architecture, variant, os: normalize_os(&self.os), ..self.clone() }
    }

    /// How well an image for `candidate` runs on this (wanted) platform: `Some(0)` is an
    /// exact match, larger numbers are worse fallbacks, `None` means it does not run.
    ///
    /// Both sides are normalised first. The rules are those of container engines:
    /// - OS and architecture must be equal.
    /// - `arm` variants run older ones: `v8` accepts `v8`, `v7`, `v6`, `v5`; `v7` accepts
    ///   `v7`, `v6`, `v5`, and so on. `arm64` accepts no variant and `v8` alike, and newer
    ///   wanted variants (`v9`) accept older ones. `amd64` `v3` accepts `v2` and `v1`.
    /// - A wanted `os.version` on Windows needs the same `major.minor.build`; an exact
    ///   match ranks better. Elsewhere a candidate's `os.version` must equal a wanted one.
    /// - A candidate's `os.features` must all be among the wanted ones.
    pub fn match_rank(&self, candidate: &Self) -> Option<u32> {
        let want = self.normalized();
        let have = candidate.normalized();
        if want.os != have.os || want.architecture != have.architecture {
            return None;
        }
        if !have.os_features.iter().all(|f| want.os_features.contains(f)) {
            return None;
        }
        let mut rank =
            variant_rank(&want.architecture, want.variant.as_deref(), have.variant.as_deref())?;
        if let Some(wanted_version) = &want.os_version {
            match &have.os_version {
                Some(v) if v == wanted_version => {}
                Some(v) if want.os == "windows" => {
                    if !v.split('.').take(3).eq(wanted_version.split('.').take(3)) {
                        return None;
                    }
                    rank += 1;
                }
                Some(_) => return None,
                None => rank += 2,
            }
        }
        Some(rank)
    }

    /// Whether an image for `candidate` runs on this platform ([`Platform::match_rank`]).
    pub fn matches(&self, candidate: &Self) -> bool {
        self.match_rank(candidate).is_some()
    }

    /// The index of the best candidate for this platform (the first of equally good ones).
    pub fn best_match<'a>(&self, candidates: impl IntoIterator<Item = &'a Self>) -> Option<usize> {
        candidates
            .into_iter()
            .enumerate()
            .filter_map(|(i, c)| Some((self.match_rank(c)?, i)))
            .min()
            .map(|(_, i)| i)
    }

    pub(crate) fn check(&self, c: &mut Checker) {
        // Schema: `architecture` and `os` are required strings; presence is enforced by
        // parsing. Empty values name no platform at all.
        // [index.platform.not-empty]
        if self.architecture.is_empty() {
            c.fail_at("architecture", "architecture is empty");
        }
        if self.os.is_empty() {
            c.fail_at("os", "os is empty");
        }
    }
}

fn variant_number(v: Option<&str>) -> Option<u32> {
    v.and_then(|v| v.strip_prefix('v'))
        .and_then(|n| n.split('.').next())
        .and_then(|n| n.parse().ok())
}

fn variant_rank(arch: &str, want: Option<&str>, have: Option<&str>) -> Option<u32> {
    if want == have {
        return Some(0);
    }
    match arch {
        // Older variants run on newer hardware.
        "arm" | "arm64" | "amd64" => {
            let floor = if arch == "arm64" { 8 } else { 1 };
            let w = variant_number(want).unwrap_or(floor);
            let h = if have.is_none() { floor } else { variant_number(have)? };
            (h <= w).then(|| w - h)
        }
        // Elsewhere a wanted variant must be met exactly; a wanted no-variant takes any.
        _ => want.is_none().then_some(1),
    }
}

fn check_part(s: &str) -> Result<(), ParsePlatformError> {
    if s.is_empty()
        || !s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        Err(ParsePlatformError::Part)
    } else {
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = ParsePlatformError;

    /// Parses `os[(os.version)]/arch[/variant]` and normalises it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split('/');
        let (Some(os), Some(arch)) = (parts.next(), parts.next()) else {
            return Err(ParsePlatformError::Shape);
        };
        let variant = parts.next();
        if parts.next().is_some() {
            return Err(ParsePlatformError::Shape);
        }
        let (os, os_version) = match os.split_once('(') {
            Some((os, rest)) => {
                let version = rest.strip_suffix(')').ok_or(ParsePlatformError::OsVersion)?;
                check_part(version)?;
                (os, Some(version.to_owned()))
            }
            None => (os, None),
        };
        check_part(os)?;
        check_part(arch)?;
        if let Some(v) = variant {
            check_part(v)?;
        }
        let mut p = Self::new(os, arch);
        p.variant = variant.map(str::to_owned);
        p.os_version = os_version;
        Ok(p.normalized())
    }
}

impl fmt::Display for Platform {
    /// `os[(os.version)]/arch[/variant]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.os)?;
        if let Some(v) = &self.os_version {
            write!(f, "({v})")?;
        }
        write!(f, "/{}", self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Platform {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut p = Self::new(
            u.choose(&["linux", "windows", "darwin", "freebsd"])
                .map(|s| (*s).to_owned())
                .or_else(|_| u.arbitrary())?,
            u.arbitrary::<String>()?,
        );
        p.os_version = u.arbitrary()?;
        p.os_features = u.arbitrary()?;
        p.variant = u.arbitrary()?;
        p.features = u.arbitrary()?;
        p.extra = crate::arbitrary_extra(
            u,
            &["architecture", "os", "os.version", "os.features", "variant", "features"],
        )?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap()
    }

    #[test]
    fn parse_and_normalize() {
        for (input, want) in [
            ("linux/amd64", "linux/amd64"),
            ("linux/x86_64", "linux/amd64"),
            ("linux/amd64/v1", "linux/amd64"),
            ("linux/amd64/v3", "linux/amd64/v3"),
            ("linux/aarch64", "linux/arm64"),
            ("linux/arm64/v8", "linux/arm64"),
            ("linux/arm64/8", "linux/arm64"),
            ("linux/armhf", "linux/arm/v7"),
            ("linux/armel", "linux/arm/v6"),
            ("linux/arm", "linux/arm/v7"),
            ("linux/arm/6", "linux/arm/v6"),
            ("Linux/i386", "linux/386"),
            ("windows(10.0.17763.1)/amd64", "windows(10.0.17763.1)/amd64"),
            ("linux/ppc64le", "linux/ppc64le"),
        ] {
            assert_eq!(p(input).to_string(), want, "{input}");
            assert_eq!(p(want).to_string(), want);
        }
        for bad in [
            "linux",
            "",
            "linux/",
            "/amd64",
            "linux/amd64/v1/x",
            "lin ux/amd64",
            "windows(10/amd64",
        ] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }

    #[test]
    fn variant_fallbacks() {
        let arm7 = p("linux/arm/v7");
        assert_eq!(arm7.match_rank(&p("linux/arm/v7")), Some(0));
        assert_eq!(arm7.match_rank(&p("linux/arm/v6")), Some(1));
        assert_eq!(arm7.match_rank(&p("linux/arm/v5")), Some(2));
        assert_eq!(arm7.match_rank(&p("linux/arm/v8")), None);
        assert_eq!(p("linux/arm/v8").match_rank(&p("linux/arm/v7")), Some(1));
        assert_eq!(p("linux/arm/v6").match_rank(&p("linux/arm/v7")), None);

        let arm64 = p("linux/arm64");
        let mut with_v8 = Platform::new("linux", "arm64");
        with_v8.variant = Some("v8".into());
        assert_eq!(arm64.match_rank(&with_v8), Some(0));
        assert_eq!(with_v8.match_rank(&arm64), Some(0));
        assert_eq!(p("linux/arm64/v9").match_rank(&arm64), Some(1));
        assert_eq!(arm64.match_rank(&p("linux/arm64/v9")), None);
        assert_eq!(arm64.match_rank(&p("linux/arm/v7")), None);

        assert_eq!(p("linux/amd64/v3").match_rank(&p("linux/amd64")), Some(2));
        assert_eq!(p("linux/amd64").match_rank(&p("linux/amd64/v2")), None);
        assert_eq!(p("linux/amd64").match_rank(&p("windows/amd64")), None);
    }

    #[test]
    fn windows_versions_and_features() {
        let want = p("windows(10.0.17763.1999)/amd64");
        assert_eq!(want.match_rank(&p("windows(10.0.17763.1999)/amd64")), Some(0));
        assert_eq!(want.match_rank(&p("windows(10.0.17763.1)/amd64")), Some(1));
        assert_eq!(want.match_rank(&p("windows(10.0.20348.1)/amd64")), None);
        let candidates = [
            p("windows(10.0.20348.1)/amd64"),
            p("windows(10.0.17763.5)/amd64"),
            p("windows(10.0.17763.1999)/amd64"),
        ];
        assert_eq!(want.best_match(&candidates), Some(2));

        let mut needs_win32k = p("windows/amd64");
        needs_win32k.os_features = vec!["win32k".into()];
        assert!(!p("windows/amd64").matches(&needs_win32k));
        assert!(needs_win32k.matches(&p("windows/amd64")));
        assert!(needs_win32k.matches(&needs_win32k));
    }

    #[test]
    fn best_match_prefers_exact() {
        let candidates = [p("linux/arm/v5"), p("linux/arm/v7"), p("linux/arm/v6")];
        assert_eq!(p("linux/arm/v7").best_match(&candidates), Some(1));
        assert_eq!(p("linux/arm/v6").best_match(&candidates), Some(2));
        assert_eq!(p("linux/s390x").best_match(&candidates), None);
        assert_eq!(Platform::host().best_match(&[Platform::host()]), Some(0));
    }

    #[test]
    fn json_names() {
        let json = r#"{"architecture":"amd64","os":"windows","os.version":"10.0.14393.1066","os.features":["win32k"],"x":1}"#;
        let parsed: Platform = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.os_version.as_deref(), Some("10.0.14393.1066"));
        assert_eq!(parsed.os_features, ["win32k"]);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
    }
}
