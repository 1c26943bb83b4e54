//! Every endpoint of distribution-spec v1.1 (end-1 to end-14, `_catalog`) as a typed
//! request on `http` types, and typed parsing of the responses. Nothing here opens a
//! socket: a driver sends the requests and feeds the responses back.

use oci_image::{Descriptor, Digest, ImageIndex, MediaType};
use serde::Deserialize;

use crate::{ErrorResponse, Reference};

/// Largest manifest accepted by default (registries reject larger ones).
pub const MAX_MANIFEST_SIZE: usize = 4 << 20;
/// Largest error or token body read by default.
pub const MAX_SMALL_BODY: usize = 1 << 20;

/// What a request carries; blob bodies are described, never held.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// No body.
    Empty,
    /// A document (a manifest), sent as these bytes.
    Document(Vec<u8>),
    /// `len` bytes of the blob `digest` from `offset`, streamed by the driver.
    Blob {
        /// The blob.
        digest: Digest,
        /// First byte to send.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
}

/// A registry to talk to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Registry {
    /// `https` or `http` (for a registry on loopback).
    pub scheme: &'static str,
    /// The host and port requests go to.
    pub host: String,
}

impl Registry {
    /// The registry of `reference`, over HTTPS unless `plain_http`.
    pub fn of(reference: &Reference, plain_http: bool) -> Self {
        Self {
            scheme: if plain_http { "http" } else { "https" },
            host: reference.api_host().to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.host)
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters are kept).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Every manifest and index type this crate reads, for `Accept`.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

type Request = http::Request<Body>;

fn build(method: http::Method, url: String, body: Body) -> Result<Request, http::Error> {
    http::Request::builder().method(method).uri(url).body(body)
}

/// The reference of a manifest of `repository` by `tag_or_digest` (a tag, or a digest
/// when it parses as one), on `registry`: what a driver asks end-3 with.
///
/// # Errors
/// [`crate::Error::InvalidReference`] for a string that is neither.
pub fn manifest_reference(
    registry: &Registry,
    repository: &str,
    tag_or_digest: &str,
) -> Result<Reference, crate::Error> {
    let invalid = || crate::Error::InvalidReference(tag_or_digest.to_owned());
    let (tag, digest) = match tag_or_digest.parse::<Digest>() {
        Ok(d) => (None, Some(d)),
        Err(_) if crate::is_valid_tag(tag_or_digest) => (Some(tag_or_digest), None),
        Err(_) => return Err(invalid()),
    };
    Reference::new(&registry.host, repository, tag, digest).map_err(|_| invalid())
}

/// end-1: `GET /v2/`, whether the registry speaks the API (and which auth it wants).
///
/// # Errors
/// Only for a host that does not form a URI.
pub fn api_version(registry: &Registry) -> Result<Request, http::Error> {
    build(http::Method::GET, registry.url("/v2/"), Body::Empty)
}

/// end-3: `GET` (or `HEAD`) a manifest by the reference's digest or tag, accepting every
/// OCI and Docker manifest type.
///
/// # Errors
/// Only for a host that does not form a URI.
pub fn get_manifest(
    registry: &Registry,
    reference: &Reference,
    head: bool,
) -> Result<Request, http::Error> {
    let url = registry.url(&format!(
        "/v2/{}/manifests/{}",
        reference.repository(),
        reference.tag_or_digest()
    ));
    let method = if head { http::Method::HEAD } else { http::Method::GET };
    http::Request::builder()
        .method(method)
        .uri(url)
        .header(http::header::ACCEPT, MANIFEST_ACCEPT)
        .body(Body::Empty)
}

/// end-2: `GET` (or `HEAD`) a blob, optionally from byte `from` on (to resume).
///
/// # Errors
/// Only for a host that does not form a URI.
pub fn get_blob(
    registry: &Registry,
    repository: &str,
    digest: &Digest,
    head: bool,
    from: Option<u64>,
) -> Result<Request, http::Error> {
    let url = registry.url(&format!("/v2/{repository}/blobs/{digest}"));
    let method = if head { http::Method::HEAD } else { http::Method::GET };
    let mut b = http::Request::builder().method(method).uri(url);
    if let Some(offset) = from {
        b = b.header(http::header::RANGE, format!("bytes={offset}-"));
    }
    b.body(Body::Empty)
}

/// end-4a / end-4b: `POST /v2/<name>/blobs/uploads/` to open an upload session, or, with
/// the blob's descriptor, a monolithic upload of the whole blob in one request.
///
/// # Errors
/// Only for a host that does not form a URI.
pub fn start_upload(
    registry: &Registry,
    repository: &str,
    monolithic: Option<&Descriptor>,
) -> Result<Request, http::Error> {
    let base = format!("/v2/{repository}/blobs/uploads/");
    match monolithic {
        None => build(http::Method::POST, registry.url(&base), Body::Empty),
        Some(d) => http::Request::builder()
            .method(http::Method::POST)
            .uri(registry.url(&format!("{base}?digest={}", encode(d.digest.as_str()))))
            .header(http::header::CONTENT_TYPE, "application/octet-stream")
            .header(http::header::CONTENT_LENGTH, d.size)
            .body(Body::Blob { digest: d.digest.clone(), offset: 0, len: d.size }),
    }
}

/// end-11: a cross-repository mount of `digest` from `from` (anonymous mount when `None`).
///
/// # Errors
/// Only for a host that does not form a URI.
pub fn mount_blob(
    registry: &Registry,
    repository: &str,
    digest: &Digest,
    from: Option<&str>,
) -> Result<Request, http::Error> {
    let mut url = format!("/v2/{repository}/blobs/uploads/?mount={}", encode(digest.as_str()));
    if let Some(from) = from {
        url.push_str(&format!("&from={}", encode(from)));
    }
    build(http::Method::POST, registry.url(&url), Body::Empty)
}

/// The `Location` of an upload session resolved against the registry (it may be relative).
pub fn upload_url(registry: &Registry, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_owned()
    } else {
        registry.url(location)
    }
}

/// end-5: `PATCH` a chunk of `len` bytes at `offset` into an upload session.
///
/// # Errors
/// Only for a location that does not form a URI.
pub fn upload_chunk(
    registry: &Registry,
    location: &str,
    digest: &Digest,
    offset: u64,
    len: u64,
) -> Result<Request, http::Error> {
    http::Request::builder()
        .method(http::Method::PATCH)
        .uri(upload_url(registry, location))
        .header(http::header::CONTENT_TYPE, "application/octet-stream")
        .header(http::header::CONTENT_LENGTH, len)
        .header(
            http::header::CONTENT_RANGE,
            format!("{offset}-{}", (offset + len).saturating_sub(1)),
        )
        .body(Body::Blob { digest: digest.clone(), offset, len })
}

/// end-6: `PUT <location>?digest=` closing an upload session (with the last bytes, if any).
///
/// # Errors
/// Only for a location that does not form a URI.
pub fn finish_upload(
    registry: &Registry,
    location: &str,
    digest: &Digest,
    rest: Option<(u64, u64)>,
) -> Result<Request, http::Error> {
    let url = upload_url(registry, location);
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}digest={}", encode(digest.as_str()));
    let mut b = http::Request::builder().method(http::Method::PUT).uri(url);
    let body = match rest {
        Some((offset, len)) => {
            b = b
                .header(http::header::CONTENT_TYPE, "application/octet-stream")
                .header(http::header::CONTENT_LENGTH, len);
            Body::Blob { digest: digest.clone(), offset, len }
        }
        None => {
            b = b.header(http::header::CONTENT_LENGTH, 0);
            Body::Empty
        }
    };
    b.body(body)
}

/// end-13 (`GET`, the upload's status: `Range: 0-<offset>`) and end-14 (`DELETE`, cancel).
///
/// # Errors
/// Only for a location that does not form a URI.
pub fn upload_status(
    registry: &Registry,
    location: &str,
    cancel: bool,
) -> Result<Request, http::Error> {
    let method = if cancel { http::Method::DELETE } else { http::Method::GET };
    build(method, upload_url(registry, location), Body::Empty)
}

/// end-7: `PUT` a manifest (exact bytes) under a tag or its digest.
///
/// # Errors
/// Only for a host that does not form a URI.
pub fn put_manifest(
    registry: &Registry,
    repository: &str,
    tag_or_digest: &str,
    media_type: &MediaType,
    bytes: Vec<u8>,
) -> Result<Request, http::Error> {
    http::Request::builder()
        .method(http::Method::PUT)
        .uri(registry.url(&format!("/v2/{repository}/manifests/{tag_or_digest}")))
        .header(http::header::CONTENT_TYPE, media_type.as_str())
        .header(http::header::CONTENT_LENGTH, bytes.len())
        .body(Body::Document(bytes))
}

/// end-8a/8b: `GET /v2/<name>/tags/list`, optionally paginated.
///
/// # Errors
/// Only for a host that does not form a URI.
pub fn list_tags(
    registry: &Registry,
    repository: &str,
    n: Option<u32>,
    last: Option<&str>,
) -> Result<Request, http::Error> {
    let mut query = Vec::new();
    if let Some(n) = n {
        query.push(format!("n={n}"));
    }
    if let Some(last) = last {
        query.push(format!("last={}", encode(last)));
    }
    let q = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
    build(http::Method::GET, registry.url(&format!("/v2/{repository}/tags/list{q}")), Body::Empty)
}

/// `GET /v2/_catalog`, optionally paginated.
///
/// # Errors
/// Only for a host that does not form a URI.
pub fn catalog(
    registry: &Registry,
    n: Option<u32>,
    last: Option<&str>,
) -> Result<Request, http::Error> {
    let mut url = "/v2/_catalog".to_owned();
    if let Some(n) = n {
        url.push_str(&format!("?n={n}"));
        if let Some(last) = last {
            url.push_str(&format!("&last={}", encode(last)));
        }
    }
    build(http::Method::GET, registry.url(&url), Body::Empty)
}

/// end-9 / end-10: `DELETE` a manifest (by digest or tag) or a blob.
///
/// # Errors
/// Only for a host that does not form a URI.
pub fn delete(
    registry: &Registry,
    repository: &str,
    what: Deletion<'_>,
) -> Result<Request, http::Error> {
    let path = match what {
        Deletion::Manifest(r) => format!("/v2/{repository}/manifests/{r}"),
        Deletion::Blob(d) => format!("/v2/{repository}/blobs/{d}"),
    };
    build(http::Method::DELETE, registry.url(&path), Body::Empty)
}

/// What [`delete`] removes.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Deletion<'a> {
    /// A manifest by digest (or tag, where the registry allows it).
    Manifest(&'a str),
    /// A blob.
    Blob(&'a Digest),
}

/// end-12: `GET /v2/<name>/referrers/<digest>`, optionally filtered by artifact type.
///
/// # Errors
/// Only for a host that does not form a URI.
pub fn referrers(
    registry: &Registry,
    repository: &str,
    subject: &Digest,
    artifact_type: Option<&MediaType>,
) -> Result<Request, http::Error> {
    let mut url = format!("/v2/{repository}/referrers/{subject}");
    if let Some(a) = artifact_type {
        url.push_str(&format!("?artifactType={}", encode(a.as_str())));
    }
    build(http::Method::GET, registry.url(&url), Body::Empty)
}

/// The tag of the referrers tag schema for registries without the referrers API:
/// `<alg>-<encoded>` of the subject's digest (truncated to 128 characters).
pub fn referrers_fallback_tag(subject: &Digest) -> String {
    let tag = format!("{}-{}", subject.algorithm(), subject.encoded());
    tag.chars().take(128).collect()
}

/// A tag list (end-8). A `null` list is an empty one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TagList {
    /// The repository.
    pub name: String,
    /// The tags.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tags: Vec<String>,
}

/// A catalog page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Catalog {
    /// Repository names.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub repositories: Vec<String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// The target of a `Link: <url>; rel="next"` header (pagination), if any.
pub fn next_link(response: &http::response::Parts) -> Option<String> {
    for value in response.headers.get_all(http::header::LINK) {
        let Ok(value) = value.to_str() else { continue };
        for link in value.split(',') {
            let mut parts = link.split(';');
            let Some(target) = parts
                .next()
                .map(str::trim)
                .and_then(|t| t.strip_prefix('<'))
                .and_then(|t| t.strip_suffix('>'))
            else {
                continue;
            };
            if parts
                .any(|p| matches!(p.trim().replace(' ', "").as_str(), "rel=\"next\"" | "rel=next"))
            {
                return Some(target.to_owned());
            }
        }
    }
    None
}

/// `GET` the target of a pagination `Link` (see [`next_link`]), resolved against the
/// registry when relative.
///
/// # Errors
/// Only for a link that does not form a URI.
pub fn follow_link(registry: &Registry, link: &str) -> Result<Request, http::Error> {
    build(http::Method::GET, upload_url(registry, link), Body::Empty)
}

/// Why a response is not what the request asked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The registry answered with an error status (and, usually, an error body).
    #[error("registry answered {status}: {body}")]
    Status {
        /// The status.
        status: http::StatusCode,
        /// The parsed error body (empty if there was none).
        body: ErrorResponse,
    },
    /// A body larger than allowed.
    #[error("response body is larger than {0} bytes")]
    TooLarge(usize),
    /// A manifest whose bytes do not hash to the digest asked for, or that the
    /// `Docker-Content-Digest` header contradicts.
    #[error("manifest digest mismatch: expected {expected}, got {actual}")]
    Digest {
        /// The digest expected.
        expected: Digest,
        /// What the bytes hash to.
        actual: Digest,
    },
    /// A malformed body.
    #[error("malformed response body")]
    Json(#[from] serde_json::Error),
}

/// Checks a response's status: success passes, anything else becomes
/// [`ResponseError::Status`] with the error body parsed (bounded).
///
/// # Errors
/// [`ResponseError::Status`].
pub fn check_status(parts: &http::response::Parts, body: &[u8]) -> Result<(), ResponseError> {
    if parts.status.is_success() {
        return Ok(());
    }
    let body = if body.len() <= MAX_SMALL_BODY {
        serde_json::from_slice(body).unwrap_or_default()
    } else {
        ErrorResponse::default()
    };
    Err(ResponseError::Status { status: parts.status, body })
}

/// Checks a manifest response: size bound, then its bytes hashed against the digest the
/// reference asked for (pull by digest) and against `Docker-Content-Digest` when present
/// (never trusted instead of hashing). Returns the descriptor computed from the bytes, of
/// the media type the registry declared.
///
/// # Errors
/// [`ResponseError`] for a status, size or digest problem.
pub fn check_manifest(
    reference: &Reference,
    parts: &http::response::Parts,
    body: &[u8],
) -> Result<Descriptor, ResponseError> {
    check_status(parts, body)?;
    if body.len() > MAX_MANIFEST_SIZE {
        return Err(ResponseError::TooLarge(MAX_MANIFEST_SIZE));
    }
    let media_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| MediaType::from(v.split(';').next().unwrap_or(v).trim()))
        .or_else(|| oci_image::sniff_media_type(body))
        .unwrap_or(MediaType::ImageManifest);
    let expected_algorithm =
        reference.digest().and_then(Digest::algorithm_kind).unwrap_or(oci_image::Algorithm::Sha256);
    let actual = Digest::compute(expected_algorithm, body).unwrap_or_else(|| Digest::sha256(body));
    if let Some(expected) = reference.digest()
        && *expected != actual
    {
        return Err(ResponseError::Digest { expected: expected.clone(), actual });
    }
    if let Some(header) = parts.headers.get("Docker-Content-Digest").and_then(|v| v.to_str().ok())
        && let Ok(claimed) = header.parse::<Digest>()
        && claimed.algorithm() == actual.algorithm()
        && claimed != actual
    {
        return Err(ResponseError::Digest { expected: claimed, actual });
    }
    Ok(Descriptor::new(media_type, body.len() as u64, actual))
}

/// The referrers of a subject from an end-12 response (an image index), and whether the
/// registry applied the `artifactType` filter (`OCI-Filters-Applied`).
///
/// # Errors
/// [`ResponseError`] for an error status or a body that is not an index.
pub fn parse_referrers(
    parts: &http::response::Parts,
    body: &[u8],
) -> Result<(Vec<Descriptor>, bool), ResponseError> {
    check_status(parts, body)?;
    if body.len() > MAX_MANIFEST_SIZE {
        return Err(ResponseError::TooLarge(MAX_MANIFEST_SIZE));
    }
    let index: ImageIndex = oci_image::json::from_slice(body)?;
    let filtered = parts
        .headers
        .get("OCI-Filters-Applied")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|f| f.trim() == "artifactType"));
    Ok((index.manifests, filtered))
}
