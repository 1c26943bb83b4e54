//! Content digests (`algorithm:encoded`), hashing and verification.
//!
//! Grammar and registered algorithms follow image-spec v1.1
//! [`descriptor.md` § Digests](https://github.com/opencontainers/image-spec/blob/v1.1.1/descriptor.md#digests).

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

/// A content identifier `algorithm:encoded`, such as `sha256:6c3c…9b3b`.
///
/// A `Digest` is always well-formed: it is only created by parsing (which checks the
/// grammar of image-spec `descriptor.md`, and the exact length and lower-case hex of every
/// registered algorithm) or by hashing. Algorithms that are well-formed but unknown are
/// accepted, as the spec asks; [`Digest::algorithm_kind`] returns `None` for them and they
/// cannot be verified.
///
/// ```
/// # fn main() -> Result<(), oci_image::ParseDigestError> {
/// use oci_image::Digest;
/// let d: Digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".parse()?;
/// assert_eq!(d.algorithm(), "sha256");
/// assert_eq!(d, Digest::sha256(b""));
/// assert!("sha256:E3B0".parse::<Digest>().is_err());
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    repr: Box<str>,
    colon: usize,
}

/// A digest algorithm registered by image-spec (or, for SHA-384, accepted by go-digest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// `sha256`, the algorithm every implementation must verify.
    Sha256,
    /// `sha384`, registered by go-digest (not by image-spec).
    Sha384,
    /// `sha512`.
    Sha512,
    /// `blake3` (256-bit output). Its grammar is checked, but this crate cannot compute it.
    Blake3,
}

impl Algorithm {
    /// Every algorithm this crate knows, in a stable order.
    pub const ALL: [Self; 4] = [Self::Sha256, Self::Sha384, Self::Sha512, Self::Blake3];

    /// The identifier used in digests: `sha256`, `sha384`, `sha512`, `blake3`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
            Self::Blake3 => "blake3",
        }
    }

    /// The number of hex characters of an encoded digest of this algorithm.
    pub const fn encoded_len(self) -> usize {
        match self {
            Self::Sha256 | Self::Blake3 => 64,
            Self::Sha384 => 96,
            Self::Sha512 => 128,
        }
    }

    /// Looks up a registered algorithm by its identifier.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// Whether this crate can compute digests of this algorithm.
    pub const fn is_verifiable(self) -> bool {
        !matches!(self, Self::Blake3)
    }

    /// A fresh hasher, or `None` where this crate cannot compute the algorithm.
    pub fn hasher(self) -> Option<Hasher> {
        let inner = match self {
            Self::Sha256 => HasherInner::Sha256(sha2::Sha256::new()),
            Self::Sha384 => HasherInner::Sha384(sha2::Sha384::new()),
            Self::Sha512 => HasherInner::Sha512(sha2::Sha512::new()),
            Self::Blake3 => return None,
        };
        Some(Hasher { inner })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An incremental hash of one of the verifiable [`Algorithm`]s.
#[derive(Clone, Debug)]
pub struct Hasher {
    inner: HasherInner,
}

#[derive(Clone, Debug)]
enum HasherInner {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A SHA-256 hasher: the algorithm every layout and registry computes, and so the one
    /// that cannot be missing (where [`Algorithm::hasher`] may be `None`).
    pub fn sha256() -> Self {
        Self { inner: HasherInner::Sha256(sha2::Sha256::new()) }
    }

    /// The algorithm this hasher computes.
    pub fn algorithm(&self) -> Algorithm {
        match self.inner {
            HasherInner::Sha256(_) => Algorithm::Sha256,
            HasherInner::Sha384(_) => Algorithm::Sha384,
            HasherInner::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// Feeds bytes to the hash.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.inner {
            HasherInner::Sha256(h) => h.update(bytes),
            HasherInner::Sha384(h) => h.update(bytes),
            HasherInner::Sha512(h) => h.update(bytes),
        }
    }

    /// Ends the hash and returns the digest of everything fed to it.
    pub fn finalize(self) -> Digest {
        let algorithm = self.algorithm();
        let encoded = match self.inner {
            HasherInner::Sha256(h) => hex::encode(h.finalize()),
            HasherInner::Sha384(h) => hex::encode(h.finalize()),
            HasherInner::Sha512(h) => hex::encode(h.finalize()),
        };
        Digest::from_parts_unchecked(algorithm.as_str(), &encoded)
    }
}

impl Digest {
    /// The SHA-256 digest of `bytes`.
    pub fn sha256(bytes: &[u8]) -> Self {
        Self::from_parts_unchecked("sha256", &hex::encode(sha2::Sha256::digest(bytes)))
    }

    /// The digest of `bytes` with `algorithm`, or `None` if this crate cannot compute it.
    pub fn compute(algorithm: Algorithm, bytes: &[u8]) -> Option<Self> {
        let mut hasher = algorithm.hasher()?;
        hasher.update(bytes);
        Some(hasher.finalize())
    }

    fn from_parts_unchecked(algorithm: &str, encoded: &str) -> Self {
        let mut repr = String::with_capacity(algorithm.len() + 1 + encoded.len());
        repr.push_str(algorithm);
        repr.push(':');
        repr.push_str(encoded);
        Self { repr: repr.into_boxed_str(), colon: algorithm.len() }
    }

    /// The algorithm part, such as `sha256`.
    pub fn algorithm(&self) -> &str {
        &self.repr[..self.colon]
    }

    /// The registered algorithm, or `None` for a well-formed but unregistered one.
    pub fn algorithm_kind(&self) -> Option<Algorithm> {
        Algorithm::from_name(self.algorithm())
    }

    /// The encoded part, such as the 64 hex characters of a SHA-256 digest.
    pub fn encoded(&self) -> &str {
        &self.repr[self.colon + 1..]
    }

    /// The whole digest string.
    pub fn as_str(&self) -> &str {
        &self.repr
    }

    /// A fresh hasher of this digest's algorithm.
    ///
    /// # Errors
    /// [`UnverifiableDigest`] when the algorithm is unregistered or cannot be computed here.
    pub fn hasher(&self) -> Result<Hasher, UnverifiableDigest> {
        self.algorithm_kind()
            .and_then(Algorithm::hasher)
            .ok_or_else(|| UnverifiableDigest { digest: self.clone() })
    }

    /// Checks that `bytes` hash to this digest.
    ///
    /// # Errors
    /// [`VerifyError::Digest`] on a mismatch, [`VerifyError::Unverifiable`] for an algorithm
    /// this crate cannot compute.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), VerifyError> {
        let mut hasher = self.hasher()?;
        hasher.update(bytes);
        let actual = hasher.finalize();
        if actual == *self {
            Ok(())
        } else {
            Err(VerifyError::Digest(DigestMismatch { expected: self.clone(), actual }))
        }
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({:?})", &*self.repr)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}

impl AsRef<str> for Digest {
    fn as_ref(&self) -> &str {
        &self.repr
    }
}

/// Why a string is not a digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseDigestError {
    /// No `:` separates algorithm and encoded part.
    #[error("digest has no ':' between algorithm and encoded part")]
    MissingColon,
    /// The algorithm part does not match `[a-z0-9]+([+._-][a-z0-9]+)*`.
    #[error("digest algorithm is not of the form [a-z0-9]+([+._-][a-z0-9]+)*")]
    InvalidAlgorithm,
    /// The encoded part is empty or has characters outside `[a-zA-Z0-9=_-]`.
    #[error("digest encoded part is empty or has characters outside [a-zA-Z0-9=_-]")]
    InvalidEncoded,
    /// The encoded part of a registered algorithm has the wrong length.
    #[error("{algorithm} digest must have {expected} hex characters, found {found}")]
    WrongLength {
        /// The registered algorithm.
        algorithm: Algorithm,
        /// The length the algorithm requires.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// The encoded part of a registered algorithm is not lower-case hex.
    #[error("{algorithm} digest must be lower-case hex")]
    NotLowerHex {
        /// The registered algorithm.
        algorithm: Algorithm,
    },
}

fn check_algorithm(alg: &[u8]) -> bool {
    // algorithm ::= component (separator component)*; component ::= [a-z0-9]+
    let mut previous_was_separator = true; // no leading separator, no empty component
    for &b in alg {
        match b {
            b'a'..=b'z' | b'0'..=b'9' => previous_was_separator = false,
            b'+' | b'.' | b'_' | b'-' if !previous_was_separator => previous_was_separator = true,
            _ => return false,
        }
    }
    !previous_was_separator
}

/// `[0-9a-f]` by table, without branches per byte (digests are checked on every parse).
const LOWER_HEX: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = matches!(c as u8, b'0'..=b'9' | b'a'..=b'f');
        c += 1;
    }
    t
};

fn is_lower_hex(b: &[u8]) -> bool {
    b.iter().fold(true, |ok, &c| ok & LOWER_HEX[usize::from(c)])
}

fn parse(s: &str) -> Result<usize, ParseDigestError> {
    // Fast path for the digest nearly every document holds.
    if s.len() == 71 && s.as_bytes().starts_with(b"sha256:") && is_lower_hex(&s.as_bytes()[7..]) {
        return Ok(6);
    }
    let colon = s.find(':').ok_or(ParseDigestError::MissingColon)?;
    let (alg, encoded) = (&s[..colon], &s[colon + 1..]);
    if !check_algorithm(alg.as_bytes()) {
        return Err(ParseDigestError::InvalidAlgorithm);
    }
    if encoded.is_empty()
        || !encoded.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
    {
        return Err(ParseDigestError::InvalidEncoded);
    }
    if let Some(algorithm) = Algorithm::from_name(alg) {
        if encoded.len() != algorithm.encoded_len() {
            return Err(ParseDigestError::WrongLength {
                algorithm,
                expected: algorithm.encoded_len(),
                found: encoded.len(),
            });
        }
        if !is_lower_hex(encoded.as_bytes()) {
            return Err(ParseDigestError::NotLowerHex { algorithm });
        }
    }
    Ok(colon)
}

impl FromStr for Digest {
    type Err = ParseDigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let colon = parse(s)?;
        Ok(Self { repr: s.into(), colon })
    }
}

impl TryFrom<String> for Digest {
    type Error = ParseDigestError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        let colon = parse(&s)?;
        Ok(Self { repr: s.into_boxed_str(), colon })
    }
}

impl TryFrom<&str> for Digest {
    type Error = ParseDigestError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> Self {
        d.repr.into_string()
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.repr)
    }
}

oci_json::impl_member!(Digest);

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Digest;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a digest string `algorithm:encoded`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Digest, E> {
                v.parse().map_err(|e| E::custom(format_args!("invalid digest {v:?}: {e}")))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// Content did not hash to the digest that names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("content has digest {actual}, expected {expected}")]
pub struct DigestMismatch {
    /// The digest the content was expected to have.
    pub expected: Digest,
    /// The digest the content has.
    pub actual: Digest,
}

/// A digest whose algorithm this crate cannot compute.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot verify {digest}: algorithm {} is not supported", digest.algorithm())]
pub struct UnverifiableDigest {
    /// The digest that cannot be verified.
    pub digest: Digest,
}

/// Why content failed verification against a descriptor.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The content's length differs from the declared size.
    #[error("content is {} bytes, expected {expected}", fmt_actual_size(*actual, *longer))]
    Size {
        /// The declared size.
        expected: u64,
        /// How many bytes were seen (with `longer`, at least this many).
        actual: u64,
        /// Whether the stream went on past `actual` (reading stopped there).
        longer: bool,
    },
    /// The content hashed to another digest.
    #[error(transparent)]
    Digest(#[from] DigestMismatch),
    /// The digest's algorithm cannot be computed here.
    #[error(transparent)]
    Unverifiable(#[from] UnverifiableDigest),
}

fn fmt_actual_size(actual: u64, longer: bool) -> String {
    if longer { format!("more than {actual}") } else { actual.to_string() }
}

impl From<VerifyError> for io::Error {
    fn from(e: VerifyError) -> Self {
        Self::new(io::ErrorKind::InvalidData, e)
    }
}

/// A writer that hashes and counts everything written through it.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use std::io::Write;
/// use oci_image::{Digest, DigestWriter};
/// let mut w = DigestWriter::sha256(Vec::new());
/// w.write_all(b"hello")?;
/// let (bytes, digest, size) = w.finish();
/// assert_eq!((digest, size), (Digest::sha256(b"hello"), 5));
/// assert_eq!(bytes, b"hello");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct DigestWriter<W> {
    inner: W,
    hasher: Hasher,
    written: u64,
}

impl<W: Write> DigestWriter<W> {
    /// Wraps `inner`, hashing with `algorithm`; `None` if it cannot be computed here.
    pub fn new(inner: W, algorithm: Algorithm) -> Option<Self> {
        Some(Self { inner, hasher: algorithm.hasher()?, written: 0 })
    }

    /// Wraps `inner`, hashing with SHA-256, which never fails.
    pub fn sha256(inner: W) -> Self {
        Self { inner, hasher: Hasher::sha256(), written: 0 }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The wrapped writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Returns the wrapped writer, the digest and the number of bytes written.
    pub fn finish(self) -> (W, Digest, u64) {
        (self.inner, self.hasher.finalize(), self.written)
    }
}

impl<W: Write> Write for DigestWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that yields at most `size` bytes of `inner` and verifies them at the end.
///
/// When the declared size has been read, it checks that `inner` has nothing more and that
/// the bytes hash to the expected digest; either failure is an [`io::Error`] of kind
/// [`io::ErrorKind::InvalidData`] whose inner error is a [`VerifyError`] (see
/// [`VerifyError::from_io`]). A stream that ends early fails the same way. So a consumer
/// that reads to the end has either verified content or an error, never unverified bytes
/// presented as complete. Data past the declared size is never returned.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::io::Read;
/// use oci_image::{Digest, VerifyingReader, VerifyError};
/// let digest = Digest::sha256(b"hello");
/// let mut ok = String::new();
/// VerifyingReader::new(&b"hello"[..], &digest, 5)?.read_to_string(&mut ok)?;
/// assert_eq!(ok, "hello");
///
/// let err = VerifyingReader::new(&b"jello"[..], &digest, 5)?.read_to_end(&mut Vec::new()).unwrap_err();
/// assert!(matches!(VerifyError::from_io(&err), Some(VerifyError::Digest(_))));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct VerifyingReader<R> {
    inner: R,
    expected: Digest,
    size: u64,
    remaining: u64,
    hasher: Option<Hasher>,
    verified: bool,
}

impl<R: Read> VerifyingReader<R> {
    /// Wraps `inner`, which must yield exactly `size` bytes hashing to `digest`.
    ///
    /// # Errors
    /// [`UnverifiableDigest`] when the digest's algorithm cannot be computed here.
    pub fn new(inner: R, digest: &Digest, size: u64) -> Result<Self, UnverifiableDigest> {
        Ok(Self {
            inner,
            hasher: Some(digest.hasher()?),
            expected: digest.clone(),
            size,
            remaining: size,
            verified: false,
        })
    }

    /// Whether the whole content was read and verified.
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// The wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn finish(&mut self) -> io::Result<()> {
        let Some(hasher) = self.hasher.take() else {
            return if self.verified {
                Ok(())
            } else {
                Err(io::Error::other("verifying reader used after a verification failure"))
            };
        };
        // The declared size has been read: the stream must end here.
        let mut probe = [0u8; 1];
        let extra = loop {
            match self.inner.read(&mut probe) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.hasher = Some(hasher);
                    return Err(e);
                }
            }
        };
        if extra != 0 {
            return Err(
                VerifyError::Size { expected: self.size, actual: self.size, longer: true }.into()
            );
        }
        let actual = hasher.finalize();
        if actual != self.expected {
            return Err(VerifyError::Digest(DigestMismatch {
                expected: self.expected.clone(),
                actual,
            })
            .into());
        }
        self.verified = true;
        Ok(())
    }
}

impl VerifyError {
    /// The verification failure inside an I/O error from a [`VerifyingReader`], if any.
    pub fn from_io(e: &io::Error) -> Option<&Self> {
        e.get_ref().and_then(|inner| inner.downcast_ref())
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            self.finish()?;
            return Ok(0);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let Some(hasher) = self.hasher.as_mut() else {
            return Err(io::Error::other("verifying reader used after a verification failure"));
        };
        let want = usize::try_from(self.remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            self.hasher = None;
            return Err(VerifyError::Size {
                expected: self.size,
                actual: self.size - self.remaining,
                longer: false,
            }
            .into());
        }
        hasher.update(&buf[..n]);
        self.remaining -= n as u64;
        if self.remaining == 0 {
            self.finish()?;
        }
        Ok(n)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Digest {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let choice = u.int_in_range(0u8..=3)?;
        let len = u.int_in_range(0..=64)?;
        let bytes = u.bytes(len)?;
        match choice {
            0 => Ok(Self::sha256(bytes)),
            1 => Ok(Self::compute(Algorithm::Sha512, bytes).unwrap_or_else(|| Self::sha256(bytes))),
            _ => {
                let s = String::from_utf8_lossy(bytes);
                Ok(s.parse().unwrap_or_else(|_| Self::sha256(bytes)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_grammar() {
        for ok in [
            EMPTY,
            "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
            "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
            "a.b_c-d:x=",
        ] {
            let d: Digest = ok.parse().unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(d.to_string(), ok);
        }
        let bad = [
            ("", ParseDigestError::MissingColon),
            ("sha256", ParseDigestError::MissingColon),
            (":abc", ParseDigestError::InvalidAlgorithm),
            ("SHA256:abc", ParseDigestError::InvalidAlgorithm),
            ("sha256+foo+-b:abc", ParseDigestError::InvalidAlgorithm),
            ("sha256-:abc", ParseDigestError::InvalidAlgorithm),
            ("foo:", ParseDigestError::InvalidEncoded),
            ("foo:a/b", ParseDigestError::InvalidEncoded),
            ("foo:a:b", ParseDigestError::InvalidEncoded),
            ("foo:..", ParseDigestError::InvalidEncoded),
        ];
        for (s, e) in bad {
            assert_eq!(s.parse::<Digest>(), Err(e), "{s}");
        }
        assert!(matches!(
            "sha256:abc".parse::<Digest>(),
            Err(ParseDigestError::WrongLength { expected: 64, found: 3, .. })
        ));
        assert!(matches!(
            EMPTY.to_uppercase().replace("SHA256", "sha256").parse::<Digest>(),
            Err(ParseDigestError::NotLowerHex { .. })
        ));
        assert!(format!("sha384:{}", "a".repeat(96)).parse::<Digest>().is_ok());
        assert!(format!("blake3:{}", "A".repeat(64)).parse::<Digest>().is_err());
    }

    #[test]
    fn hashes_all_algorithms() {
        assert_eq!(Digest::sha256(b"").as_str(), EMPTY);
        for alg in Algorithm::ALL {
            let Some(d) = Digest::compute(alg, b"abc") else {
                assert!(!alg.is_verifiable());
                continue;
            };
            assert_eq!(d.encoded().len(), alg.encoded_len());
            assert_eq!(d.algorithm_kind(), Some(alg));
            assert!(d.verify(b"abc").is_ok());
            assert!(matches!(d.verify(b"abd"), Err(VerifyError::Digest(_))));
        }
        let unknown: Digest = "foo:bar".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(unknown.verify(b""), Err(VerifyError::Unverifiable(_))));
    }

    fn read_all(
        data: &[u8],
        digest: &Digest,
        size: u64,
        chunk: usize,
    ) -> Result<Vec<u8>, io::Error> {
        let mut r = VerifyingReader::new(data, digest, size).map_err(io::Error::other)?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            let n = r.read(&mut buf)?;
            if n == 0 {
                assert!(r.is_verified());
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn verifying_reader() {
        let data = b"0123456789";
        let d = Digest::sha256(data);
        for chunk in [1, 3, 10, 100] {
            assert_eq!(read_all(data, &d, 10, chunk).ok().as_deref(), Some(&data[..]));
            let short = read_all(&data[..9], &d, 10, chunk).unwrap_err();
            assert_eq!(
                VerifyError::from_io(&short),
                Some(&VerifyError::Size { expected: 10, actual: 9, longer: false })
            );
            let long = read_all(b"0123456789X", &d, 10, chunk).unwrap_err();
            assert_eq!(
                VerifyError::from_io(&long),
                Some(&VerifyError::Size { expected: 10, actual: 10, longer: true })
            );
            let wrong = read_all(b"0123456780", &d, 10, chunk).unwrap_err();
            assert!(
                matches!(VerifyError::from_io(&wrong), Some(VerifyError::Digest(m)) if m.expected == d)
            );
        }
        // Never more than the declared size reaches the caller.
        let mut r = VerifyingReader::new(&b"abcdef"[..], &Digest::sha256(b"abc"), 3)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut buf = [0u8; 6];
        assert_eq!(r.read(&mut buf).ok(), None);
        let mut r = VerifyingReader::new(&b""[..], &Digest::sha256(b""), 0)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.read(&mut buf).ok(), Some(0));
        assert!(r.is_verified());
    }
}
