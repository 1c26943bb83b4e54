//! Blob downloads that resume with `Range` and verify while they stream.

use std::ops::Range;
use std::time::{Duration, Instant};

use http::StatusCode;
use http::header::CONTENT_RANGE;
use oci_image::{Descriptor, DigestMismatch, Hasher, VerifyError};

use super::{Backoff, Error, RetryPolicy};
use crate::endpoint::{self, Body, Registry, ResponseError};

/// What a [`BlobDownload`] wants next.
#[derive(Debug)]
#[non_exhaustive]
// A step is made and consumed once per request: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum DownloadStep {
    /// Send this request (through an [`super::Exchange`]) and hand its answer's head to
    /// [`BlobDownload::handle_head`], then its body to [`BlobDownload::handle_data`].
    Send(http::Request<Body>),
    /// Wait this long, then poll again.
    Wait(Duration),
    /// Every byte arrived and verified.
    Done,
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    Ready,
    Streaming,
    Waiting(Instant),
    Done,
}

/// A blob download (end-2): every byte hashed and counted as it passes, and when the
/// connection drops or the body ends early, asked for again from the first byte not yet
/// received (`Range: bytes=N-`); a registry that ignores the range has the bytes already
/// received skipped. Failures in a row without progress are bounded by the retry
/// policy; progress starts the count again, so a long download may break now and then
/// while one that keeps breaking at the same byte gives up.
///
/// ```
/// use std::time::Instant;
/// use oci_distribution::endpoint::Registry;
/// use oci_distribution::proto::{BlobDownload, DownloadStep, RetryPolicy};
/// use oci_image::{Descriptor, MediaType};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::of(&"127.0.0.1:5000/app".parse()?, true);
/// let blob = b"hello, world";
/// let descriptor = Descriptor::for_bytes(MediaType::ImageLayer, blob);
/// let now = Instant::now();
/// let mut download = BlobDownload::new(&registry, "app", &descriptor, RetryPolicy::default(), now)?;
/// let DownloadStep::Send(_) = download.poll(now)? else { unreachable!() };
/// let (head, ()) = http::Response::builder().status(200).body(())?.into_parts();
/// download.handle_head(&head)?;
/// download.handle_data(&blob[..5])?;
/// download.handle_failure(now, "connection reset".into())?; // the connection drops
/// let DownloadStep::Wait(wait) = download.poll(now)? else { unreachable!() };
/// let DownloadStep::Send(again) = download.poll(now + wait)? else { unreachable!() };
/// assert_eq!(again.headers()["Range"], "bytes=5-");
/// let (head, ()) = http::Response::builder().status(206).header("Content-Range", "bytes 5-11/12").body(())?.into_parts();
/// download.handle_head(&head)?;
/// assert_eq!(download.handle_data(&blob[5..])?, 0..7);
/// download.handle_end(now)?;
/// assert!(matches!(download.poll(now)?, DownloadStep::Done));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct BlobDownload {
    registry: Registry,
    repository: String,
    descriptor: Descriptor,
    hasher: Option<Hasher>,
    verify: bool,
    /// Bytes received and verified so far.
    offset: u64,
    /// Bytes of the current answer still to drop (the registry ignored `Range`).
    skip: u64,
    backoff: Backoff,
    /// Where the stream stood at the last failure.
    failed_at: u64,
    state: State,
}

impl BlobDownload {
    /// A download of `descriptor`'s blob from `repository`.
    ///
    /// # Errors
    /// [`Error::Verify`] if the digest's algorithm cannot be computed here.
    pub fn new(
        registry: &Registry,
        repository: &str,
        descriptor: &Descriptor,
        policy: RetryPolicy,
        now: Instant,
    ) -> Result<Self, Error> {
        let hasher = descriptor.digest.hasher().map_err(|e| Error::Verify {
            digest: descriptor.digest.clone(),
            source: VerifyError::Unverifiable(e),
        })?;
        Ok(Self {
            registry: registry.clone(),
            repository: repository.to_owned(),
            descriptor: descriptor.clone(),
            hasher: Some(hasher),
            verify: true,
            offset: 0,
            skip: 0,
            backoff: Backoff::new(policy, now, descriptor.size),
            failed_at: 0,
            state: State::Ready,
        })
    }

    /// Counts the bytes but leaves the digest to the caller, which hashes them itself
    /// (a store that verifies what it is given): each byte is hashed once.
    pub fn without_digest_check(mut self) -> Self {
        self.verify = false;
        self.hasher = None;
        self
    }

    /// Bytes received (and verified, unless [`BlobDownload::without_digest_check`]) so
    /// far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next thing to do.
    ///
    /// # Errors
    /// Only for a registry host that does not form a URI.
    pub fn poll(&mut self, now: Instant) -> Result<DownloadStep, Error> {
        match self.state {
            State::Done => return Ok(DownloadStep::Done),
            State::Waiting(until) if now < until => return Ok(DownloadStep::Wait(until - now)),
            _ => {}
        }
        self.state = State::Streaming;
        let from = (self.offset > 0).then_some(self.offset);
        let request = endpoint::get_blob(
            &self.registry,
            &self.repository,
            &self.descriptor.digest,
            false,
            from,
        )?;
        Ok(DownloadStep::Send(request))
    }

    /// Takes the head of a successful answer (the driver turns error statuses into
    /// errors with [`Error`]'s answer check, after the exchange's retries).
    ///
    /// # Errors
    /// [`ResponseError::Status`] for a status that is not 200 or 206, or a 206 that starts
    /// elsewhere than asked.
    pub fn handle_head(&mut self, parts: &http::response::Parts) -> Result<(), Error> {
        let refuse = |status| Error::Response {
            method: http::Method::GET,
            url: format!("/v2/{}/blobs/{}", self.repository, self.descriptor.digest),
            source: ResponseError::Status { status, body: Default::default() },
        };
        self.skip = match parts.status {
            StatusCode::OK => self.offset,
            StatusCode::PARTIAL_CONTENT if self.offset > 0 => {
                let start = content_range_start(parts).unwrap_or(self.offset);
                if start != self.offset {
                    return Err(refuse(StatusCode::RANGE_NOT_SATISFIABLE));
                }
                0
            }
            status => return Err(refuse(status)),
        };
        Ok(())
    }

    /// Takes bytes of the body: returns the part of `data` that is new content (hashed
    /// and counted), for the driver to hand on.
    ///
    /// # Errors
    /// [`Error::Verify`] if the blob runs past its size.
    pub fn handle_data(&mut self, data: &[u8]) -> Result<Range<usize>, Error> {
        let skipped = usize::try_from(self.skip).unwrap_or(usize::MAX).min(data.len());
        self.skip -= skipped as u64;
        let new = &data[skipped..];
        if new.is_empty() {
            return Ok(skipped..skipped);
        }
        let size = self.descriptor.size;
        if self.offset + new.len() as u64 > size {
            self.hasher = None;
            self.verify = true;
            return Err(self.verify_error(VerifyError::Size {
                expected: size,
                actual: size,
                longer: true,
            }));
        }
        if let Some(hasher) = self.hasher.as_mut() {
            hasher.update(new);
        }
        self.offset += new.len() as u64;
        Ok(skipped..data.len())
    }

    /// The body ended: done when every byte arrived (and the digest matches), else a
    /// failure to resume from.
    ///
    /// # Errors
    /// [`Error::Verify`] for content that does not match, or an early end that may not
    /// be retried any more.
    pub fn handle_end(&mut self, now: Instant) -> Result<(), Error> {
        if self.offset < self.descriptor.size {
            let cause = format!(
                "blob {} ended after {} of {} bytes",
                self.descriptor.digest, self.offset, self.descriptor.size
            );
            return self.handle_failure(now, cause.into());
        }
        if !self.verify {
            self.state = State::Done;
            return Ok(());
        }
        let Some(hasher) = self.hasher.take() else {
            return Err(self.verify_error(VerifyError::Size {
                expected: self.descriptor.size,
                actual: self.offset,
                longer: true,
            }));
        };
        let actual = hasher.finalize();
        if actual != self.descriptor.digest {
            return Err(self.verify_error(VerifyError::Digest(DigestMismatch {
                expected: self.descriptor.digest.clone(),
                actual,
            })));
        }
        self.state = State::Done;
        Ok(())
    }

    /// The connection failed while the body streamed: wait and resume, or give up with
    /// `cause` when the failures without progress are spent.
    ///
    /// # Errors
    /// `cause` as [`Error::Io`] when no more attempts are allowed.
    pub fn handle_failure(
        &mut self,
        now: Instant,
        cause: Box<dyn std::error::Error + Send + Sync>,
    ) -> Result<(), Error> {
        if self.offset >= self.descriptor.size && self.skip == 0 {
            // Everything arrived: a failure at the very end does not matter.
            return self.handle_end(now);
        }
        if self.offset > self.failed_at {
            self.backoff.reset(now);
        }
        self.failed_at = self.offset;
        match self.backoff.next(now, None) {
            Some(wait) => {
                self.state = State::Waiting(now + wait);
                Ok(())
            }
            None => Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "{cause} (gave up after {} attempts at byte {})",
                    self.backoff.failures() + 1,
                    self.offset
                ),
            ))),
        }
    }

    fn verify_error(&self, source: VerifyError) -> Error {
        Error::Verify { digest: self.descriptor.digest.clone(), source }
    }
}

fn content_range_start(parts: &http::response::Parts) -> Option<u64> {
    let v = parts.headers.get(CONTENT_RANGE)?.to_str().ok()?;
    let range = v.trim().strip_prefix("bytes")?.trim_start();
    range.split('-').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_image::MediaType;

    fn head(status: u16, range: Option<&str>) -> http::response::Parts {
        let mut b = http::Response::builder().status(status);
        if let Some(r) = range {
            b = b.header("Content-Range", r);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn setup(blob: &[u8], retries: u32) -> BlobDownload {
        let registry = Registry::of(&"127.0.0.1:5000/a".parse().unwrap(), true);
        let d = Descriptor::for_bytes(MediaType::ImageLayerGzip, blob);
        let policy =
            RetryPolicy::new(retries, Duration::from_millis(10), Duration::from_millis(10));
        BlobDownload::new(&registry, "a", &d, policy, Instant::now()).unwrap()
    }

    fn send(d: &mut BlobDownload, now: Instant) -> http::Request<Body> {
        match d.poll(now).unwrap() {
            DownloadStep::Send(r) => r,
            DownloadStep::Wait(_) => match d.poll(now + Duration::from_secs(1)).unwrap() {
                DownloadStep::Send(r) => r,
                other => panic!("{other:?}"),
            },
            DownloadStep::Done => panic!("done"),
        }
    }

    #[test]
    fn a_registry_that_ignores_range_has_the_prefix_skipped() {
        let blob = b"0123456789";
        let mut d = setup(blob, 3);
        let now = Instant::now();
        send(&mut d, now);
        d.handle_head(&head(200, None)).unwrap();
        assert_eq!(d.handle_data(&blob[..4]).unwrap(), 0..4);
        d.handle_end(now).unwrap(); // ended early: resume
        let r = send(&mut d, now);
        assert_eq!(r.headers()["Range"], "bytes=4-");
        d.handle_head(&head(200, None)).unwrap();
        assert_eq!(d.handle_data(&blob[..3]).unwrap(), 3..3);
        assert_eq!(d.handle_data(&blob[3..]).unwrap(), 1..7);
        d.handle_end(now).unwrap();
        assert!(matches!(d.poll(now).unwrap(), DownloadStep::Done));
    }

    #[test]
    fn wrong_ranges_corruption_and_overlong_bodies_are_refused() {
        let blob = b"0123456789";
        let now = Instant::now();
        let mut d = setup(blob, 3);
        send(&mut d, now);
        d.handle_head(&head(200, None)).unwrap();
        d.handle_data(&blob[..4]).unwrap();
        d.handle_failure(now, "reset".into()).unwrap();
        send(&mut d, now);
        assert!(d.handle_head(&head(206, Some("bytes 2-9/10"))).is_err());

        let mut d = setup(blob, 3);
        send(&mut d, now);
        d.handle_head(&head(200, None)).unwrap();
        d.handle_data(b"0123456780").unwrap();
        assert!(matches!(
            d.handle_end(now),
            Err(Error::Verify { source: VerifyError::Digest(_), .. })
        ));

        let mut d = setup(blob, 3);
        send(&mut d, now);
        d.handle_head(&head(200, None)).unwrap();
        assert!(matches!(
            d.handle_data(b"0123456789X"),
            Err(Error::Verify { source: VerifyError::Size { .. }, .. })
        ));
    }

    #[test]
    fn failures_without_progress_give_up_progress_resets() {
        let blob = vec![7u8; 100];
        let now = Instant::now();
        let mut d = setup(&blob, 2);
        for i in 0..10 {
            send(&mut d, now);
            d.handle_head(&head(
                if i == 0 { 200 } else { 206 },
                Some(&format!("bytes {}-99/100", i * 10)),
            ))
            .unwrap();
            d.handle_data(&blob[..10]).unwrap();
            if i < 9 {
                d.handle_failure(now, "reset".into()).unwrap(); // progress each time
            }
        }
        d.handle_end(now).unwrap();
        let mut d = setup(&blob, 2);
        send(&mut d, now);
        d.handle_head(&head(200, None)).unwrap();
        d.handle_failure(now, "reset".into()).unwrap();
        send(&mut d, now);
        d.handle_failure(now, "reset".into()).unwrap();
        send(&mut d, now);
        let e = d.handle_failure(now, "reset".into()).unwrap_err();
        assert!(e.to_string().contains("i/o"), "{e}");
    }
}
