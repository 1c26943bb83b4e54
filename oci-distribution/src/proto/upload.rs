//! Blob upload sessions: mount, monolithic or chunked, resumed, verified, cancelled.

use std::time::{Duration, Instant};

use http::StatusCode;
use http::header::{LOCATION, RANGE};
use oci_image::{Descriptor, DigestMismatch, Hasher, VerifyError};

use super::{Backoff, Error, Replay, RetryPolicy, retryable_status};
use crate::endpoint::{self, Body, Registry};

/// The largest chunk a registry's `OCI-Chunk-Min-Length` can ask us to hold: 64 MiB.
pub const MAX_CHUNK: u64 = 64 << 20;

/// What a [`BlobUpload`] wants next.
#[derive(Debug)]
#[non_exhaustive]
// A step is made and consumed once per request: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum UploadStep {
    /// Send this request through an [`super::Exchange`] with this [`Replay`], and hand
    /// the answer to [`BlobUpload::handle_response`] (a failure to
    /// [`BlobUpload::handle_failure`]). A [`Body::Blob`] names bytes the driver was given
    /// by earlier [`UploadStep::Read`]s: never before the start of the last one.
    Send(http::Request<Body>, Replay),
    /// Read the next this many bytes of the content (keeping them, replacing the bytes
    /// of the previous read) and hand them to [`BlobUpload::supply`].
    Read(u64),
    /// Send this request with a body streamed to the end of the content: the bytes from
    /// the request's [`Body::Blob`] offset that the driver holds, then the rest read from
    /// the content as it goes out, each piece handed to [`BlobUpload::supply_stream`]
    /// before it is sent. The last piece goes out only if `supply_stream` accepts it and
    /// the content then ends (else the driver fails the body, so that nothing is
    /// committed). The request cannot be repeated: a failure goes to
    /// [`BlobUpload::handle_failure`].
    Stream(http::Request<Body>),
    /// Wait this long, then poll again.
    Wait(Duration),
    /// The upload is over.
    Done(Result<UploadOutcome, Error>),
}

/// How a blob came to be in the repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadOutcome {
    /// Its bytes were sent.
    Uploaded,
    /// The registry mounted it from another repository (end-11).
    Mounted,
    /// The registry turned out to hold it already (after a lost answer).
    Existed,
}

#[derive(Debug)]
enum State {
    Mount(String),
    Start,
    /// Decide what to send or read next.
    Next,
    /// Waiting for [`BlobUpload::supply`].
    Reading(u64),
    Monolithic,
    Patch,
    /// The rest of the content in one streamed request: a `PUT` that closes the session
    /// (a registry that takes no `PATCH`), or a `PATCH` without `Content-Range` (a
    /// registry that refuses every chunk size).
    Stream {
        put: bool,
    },
    Status,
    Finish,
    /// Ask whether the registry holds the blob; if not, `then`.
    Exists(Box<Then>),
    Cancel(Box<Then>),
    Waiting(Instant, Box<Self>),
    Done,
}

/// What follows a cancel or an existence check.
#[derive(Debug)]
enum Then {
    Fail(Error),
    /// Open a new session and send everything again (a monolithic upload), or fail with
    /// the error once the retries are spent.
    Retry(Error),
}

/// One blob upload (distribution-spec end-4a, end-5, end-6, end-11, end-13, end-14):
///
/// - with a repository to mount from, a cross-repository mount first (a registry that
///   opens a session instead gets the upload in that session);
/// - blobs up to the chunk size in one `PUT` (a failed one is cancelled and sent again
///   in a new session, unless the registry turns out to hold the blob);
/// - larger ones in `PATCH` chunks of the chunk size; a failed chunk asks the registry
///   how much it holds (end-13) and goes on from there, trusting the registry's `Range`
///   over its own count; a registry that lost bytes before the current chunk fails the
///   upload;
/// - every byte hashed as the driver supplies it: content that does not match its
///   descriptor is never committed (the session is cancelled before the final `PUT`);
/// - any failure cancels the session (end-14) so that the registry keeps nothing of it.
#[derive(Debug)]
pub struct BlobUpload {
    registry: Registry,
    repository: String,
    descriptor: Descriptor,
    chunk_size: u64,
    /// Blobs up to this size go up in one `PUT`.
    monolithic_limit: u64,
    /// The largest `PATCH` body: the chunk size, less after a registry refused a chunk as
    /// too large (413, 416).
    send_limit: u64,
    /// The end of the `PATCH` in flight.
    sent_end: u64,
    location: Option<String>,
    hasher: Option<Hasher>,
    /// Bytes supplied so far (hashed, counted).
    read: u64,
    /// The chunk being sent: `read_start..chunk_end`. Bytes past `chunk_end` were read
    /// ahead, for the next chunk.
    read_start: u64,
    chunk_end: u64,
    /// The registry's `OCI-Chunk-Min-Length`.
    min_chunk: u64,
    /// Hash what is sent and refuse content whose digest differs (the default).
    check_digest: bool,
    /// After the next status query, send the rest in one streamed `PATCH`.
    stream_rest: bool,
    /// A read ahead asked for (its length), while a chunk is in flight.
    ahead_asked: Option<u64>,
    /// A verification failure found in bytes read ahead, acted on once the chunk in
    /// flight is answered.
    ahead_failure: Option<Error>,
    /// Bytes the registry holds.
    from: u64,
    backoff: Backoff,
    state: State,
    outcome: Option<Result<UploadOutcome, Error>>,
}

impl BlobUpload {
    /// An upload of `descriptor`'s blob to `repository`, in chunks of `chunk_size` bytes
    /// when it is larger than that, first trying a mount from `mount_from`.
    ///
    /// # Errors
    /// [`Error::Verify`] if the digest's algorithm cannot be computed here.
    pub fn new(
        registry: &Registry,
        repository: &str,
        descriptor: &Descriptor,
        chunk_size: u64,
        mount_from: Option<&str>,
        policy: RetryPolicy,
        now: Instant,
    ) -> Result<Self, Error> {
        let hasher = descriptor.digest.hasher().map_err(|e| Error::Verify {
            digest: descriptor.digest.clone(),
            source: VerifyError::Unverifiable(e),
        })?;
        let state = match mount_from {
            Some(from) if from != repository => State::Mount(from.to_owned()),
            _ => State::Start,
        };
        Ok(Self {
            registry: registry.clone(),
            repository: repository.to_owned(),
            descriptor: descriptor.clone(),
            chunk_size: chunk_size.max(1),
            monolithic_limit: chunk_size.max(1),
            send_limit: chunk_size.max(1),
            sent_end: 0,
            location: None,
            hasher: Some(hasher),
            check_digest: true,
            read: 0,
            read_start: 0,
            chunk_end: 0,
            ahead_asked: None,
            ahead_failure: None,
            min_chunk: 0,
            stream_rest: false,
            from: 0,
            backoff: Backoff::new(policy, now, descriptor.size ^ 0x5bd1_e995),
            state,
            outcome: None,
        })
    }

    /// Counts what is sent but leaves the digest to the registry (which the spec has
    /// verify it, `DIGEST_INVALID`): one SHA-256 pass less on this side, for a registry
    /// one trusts to check. Sizes are still checked here.
    pub fn without_digest_check(mut self) -> Self {
        self.check_digest = false;
        self.hasher = None;
        self
    }

    /// Blobs up to `limit` bytes go up in one `PUT` (by default, those up to the chunk
    /// size).
    pub fn monolithic_up_to(mut self, limit: u64) -> Self {
        self.monolithic_limit = limit;
        self
    }

    fn monolithic(&self) -> bool {
        self.descriptor.size <= self.monolithic_limit
    }

    /// Takes a new session's `OCI-Chunk-Min-Length`: no chunk smaller than that.
    fn session_opened(&mut self, parts: &http::response::Parts) {
        let min = parts
            .headers
            .get("OCI-Chunk-Min-Length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        // A registry cannot make us hold more than MAX_CHUNK in memory: above that it gets
        // chunks of MAX_CHUNK, and if it refuses them, the streamed PATCH.
        let min = min.min(MAX_CHUNK);
        self.min_chunk = min;
        self.chunk_size = self.chunk_size.max(min);
        self.send_limit = self.send_limit.max(min);
    }

    fn location(&self) -> &str {
        self.location.as_deref().unwrap_or_default()
    }

    /// The next thing to do.
    pub fn poll(&mut self, now: Instant) -> UploadStep {
        loop {
            let state = std::mem::replace(&mut self.state, State::Done);
            let step = match state {
                State::Done => {
                    let outcome = self.outcome.take().unwrap_or_else(|| {
                        Err(Error::Io(std::io::Error::other("upload polled after it ended")))
                    });
                    return UploadStep::Done(outcome);
                }
                State::Waiting(until, next) if now < until => {
                    self.state = State::Waiting(until, next);
                    return UploadStep::Wait(until - now);
                }
                State::Waiting(_, next) => {
                    self.state = *next;
                    continue;
                }
                State::Next => {
                    self.state = self.next_data();
                    continue;
                }
                State::Reading(len) => {
                    self.state = State::Reading(len);
                    return UploadStep::Read(len);
                }
                State::Mount(from) => endpoint::mount_blob(
                    &self.registry,
                    &self.repository,
                    &self.descriptor.digest,
                    Some(&from),
                )
                .map(|r| (State::Mount(from), r, Replay::Idempotent)),
                State::Start => endpoint::start_upload(&self.registry, &self.repository, None)
                    .map(|r| (State::Start, r, Replay::Idempotent)),
                State::Monolithic => endpoint::finish_upload(
                    &self.registry,
                    self.location(),
                    &self.descriptor.digest,
                    Some((0, self.descriptor.size)),
                )
                .map(|r| (State::Monolithic, r, Replay::Unprocessed)),
                State::Patch => {
                    let len = (self.chunk_end - self.from).min(self.send_limit);
                    self.sent_end = self.from + len;
                    endpoint::upload_chunk(
                        &self.registry,
                        self.location(),
                        &self.descriptor.digest,
                        self.from,
                        len,
                    )
                    .map(|r| (State::Patch, r, Replay::Never))
                }
                State::Status => endpoint::upload_status(&self.registry, self.location(), false)
                    .map(|r| (State::Status, r, Replay::Idempotent)),
                State::Finish => endpoint::finish_upload(
                    &self.registry,
                    self.location(),
                    &self.descriptor.digest,
                    None,
                )
                .map(|r| (State::Finish, r, Replay::Idempotent)),
                State::Exists(then) => endpoint::get_blob(
                    &self.registry,
                    &self.repository,
                    &self.descriptor.digest,
                    true,
                    None,
                )
                .map(|r| (State::Exists(then), r, Replay::Idempotent)),
                State::Stream { put } => {
                    let len = self.descriptor.size - self.from;
                    let request = if put {
                        endpoint::finish_upload(
                            &self.registry,
                            self.location(),
                            &self.descriptor.digest,
                            Some((self.from, len)),
                        )
                    } else {
                        endpoint::upload_chunk(
                            &self.registry,
                            self.location(),
                            &self.descriptor.digest,
                            self.from,
                            len,
                        )
                        .map(|mut r| {
                            r.headers_mut().remove(http::header::CONTENT_RANGE);
                            r
                        })
                    };
                    match request {
                        Ok(request) => {
                            self.state = State::Stream { put };
                            return UploadStep::Stream(request);
                        }
                        Err(e) => {
                            self.finish(Err(Error::Request(e)));
                            continue;
                        }
                    }
                }
                State::Cancel(then) => {
                    if self.location.is_none() {
                        self.state = self.after_cancel(*then);
                        continue;
                    }
                    endpoint::upload_status(&self.registry, self.location(), true)
                        .map(|r| (State::Cancel(then), r, Replay::Never))
                }
            };
            match step {
                Ok((state, request, replay)) => {
                    self.state = state;
                    return UploadStep::Send(request, replay);
                }
                Err(e) => self.finish(Err(Error::Request(e))),
            }
        }
    }

    /// What to read or send next in the data phase.
    fn next_data(&mut self) -> State {
        let size = self.descriptor.size;
        if let Some(e) = self.ahead_failure.take() {
            return State::Cancel(Box::new(Then::Fail(e)));
        }
        if self.from == self.chunk_end && self.read > self.chunk_end {
            // The next chunk was read ahead while the last one was in flight.
            self.read_start = self.chunk_end;
            self.chunk_end = self.read;
        }
        if self.read == size
            && let Some(hasher) = self.hasher.take()
        {
            // An empty blob: nothing was read to verify it on the way.
            let actual = hasher.finalize();
            if actual != self.descriptor.digest {
                let expected = self.descriptor.digest.clone();
                return State::Cancel(Box::new(Then::Fail(Error::Verify {
                    digest: expected.clone(),
                    source: VerifyError::Digest(DigestMismatch { expected, actual }),
                })));
            }
        }
        if self.monolithic() {
            if self.read < size {
                return State::Reading(self.probe(size - self.read));
            }
            return State::Monolithic;
        }
        if self.from < self.chunk_end {
            return State::Patch;
        }
        if self.read < size {
            return State::Reading(self.probe(self.chunk_size.min(size - self.read)));
        }
        State::Finish
    }

    /// How many bytes to ask for to get `len` more: the last read asks for one byte more
    /// than the blob has left, to see that the content ends where its size says.
    fn probe(&self, len: u64) -> u64 {
        if self.read + len == self.descriptor.size { len + 1 } else { len }
    }

    /// Takes the bytes of the last [`UploadStep::Read`]: as many as it asked for, or
    /// fewer where the content ends.
    ///
    /// A content that does not match its descriptor (its digest, or its size: shorter,
    /// or going on past it) ends the upload with [`Error::Verify`] at a later poll,
    /// after the session is cancelled and before anything is committed.
    pub fn supply(&mut self, bytes: &[u8]) {
        let State::Reading(asked) = self.state else { return };
        self.read_start = self.read;
        self.state = match self.take(asked, bytes) {
            Some(e) => State::Cancel(Box::new(Then::Fail(e))),
            None => State::Next,
        };
        self.chunk_end = self.read;
    }

    /// While a chunk is in flight (after an [`UploadStep::Send`] of a `PATCH`, before its
    /// answer), how many bytes of the next chunk the driver may read now and hand to
    /// [`BlobUpload::supply_ahead`], so that reading and hashing overlap the transfer;
    /// `None` when there is nothing to read ahead. The driver keeps the bytes of the chunk
    /// in flight until the machine moves on.
    pub fn read_ahead(&mut self) -> Option<u64> {
        let in_flight = matches!(self.state, State::Patch) && self.from < self.chunk_end;
        if !in_flight
            || self.ahead_asked.is_some()
            || self.read > self.chunk_end
            || self.monolithic()
        {
            return None;
        }
        let size = self.descriptor.size;
        if self.read >= size {
            return None;
        }
        let len = self.probe(self.chunk_size.min(size - self.read));
        self.ahead_asked = Some(len);
        Some(len)
    }

    /// Takes the bytes [`BlobUpload::read_ahead`] allowed.
    pub fn supply_ahead(&mut self, bytes: &[u8]) {
        let Some(asked) = self.ahead_asked.take() else { return };
        if let Some(e) = self.take(asked, bytes) {
            self.ahead_failure = Some(e);
        }
    }

    /// Takes a piece of a streamed body ([`UploadStep::Stream`]) before it is sent: `true`
    /// if it may go out. A piece past the end of the content, or one that completes a
    /// content that does not match its descriptor, is refused (the driver then fails the
    /// body), and the upload ends with [`Error::Verify`].
    pub fn supply_stream(&mut self, piece: &[u8]) -> bool {
        if !matches!(self.state, State::Stream { .. }) || self.ahead_failure.is_some() {
            return false;
        }
        let left = self.descriptor.size - self.read;
        let asked = if (piece.len() as u64) > left { left + 1 } else { piece.len() as u64 };
        match self
            .take(asked, &piece[..piece.len().min(usize::try_from(asked).unwrap_or(usize::MAX))])
        {
            Some(e) => {
                self.ahead_failure = Some(e);
                false
            }
            None => true,
        }
    }

    /// The content of a streamed body ended: `true` if it is complete and verified, else
    /// the upload ends with [`Error::Verify`] (the driver fails the body).
    pub fn end_stream(&mut self) -> bool {
        if self.stream_complete() {
            return true;
        }
        if self.ahead_failure.is_none() {
            let size = self.descriptor.size;
            self.ahead_failure = Some(Error::Verify {
                digest: self.descriptor.digest.clone(),
                source: VerifyError::Size { expected: size, actual: self.read, longer: false },
            });
        }
        false
    }

    /// Whether the streamed content is complete and verified: the driver checks this
    /// (and that the content ends there) before the last piece goes out.
    pub fn stream_complete(&self) -> bool {
        self.read == self.descriptor.size && self.hasher.is_none() && self.ahead_failure.is_none()
    }

    /// Counts and hashes `bytes` given for a read of `asked` bytes; the verification
    /// failure, if this completes (or overruns) the content and it does not match.
    fn take(&mut self, asked: u64, bytes: &[u8]) -> Option<Error> {
        let size = self.descriptor.size;
        let last = self.read + asked > size;
        let wanted = if last { asked - 1 } else { asked };
        let content = &bytes[..bytes.len().min(usize::try_from(wanted).unwrap_or(usize::MAX))];
        self.read += content.len() as u64;
        if let Some(h) = self.hasher.as_mut() {
            h.update(content);
        }
        let verdict = if (content.len() as u64) < wanted {
            Some(VerifyError::Size { expected: size, actual: self.read, longer: false })
        } else if last && bytes.len() as u64 > wanted {
            self.hasher = None;
            Some(VerifyError::Size { expected: size, actual: size, longer: true })
        } else if self.read == size && !self.check_digest {
            None
        } else if self.read == size {
            match self.hasher.take().map(Hasher::finalize) {
                Some(actual) if actual == self.descriptor.digest => None,
                Some(actual) => Some(VerifyError::Digest(DigestMismatch {
                    expected: self.descriptor.digest.clone(),
                    actual,
                })),
                None => Some(VerifyError::Size { expected: size, actual: self.read, longer: true }),
            }
        } else {
            None
        };
        verdict.map(|source| Error::Verify { digest: self.descriptor.digest.clone(), source })
    }

    /// The content to upload failed to read: the session is cancelled and the upload
    /// ends with `error`.
    pub fn abort(&mut self, error: Error) {
        let state = std::mem::replace(&mut self.state, State::Done);
        self.state = match state {
            // The cancel itself failed: the first error stands.
            State::Cancel(then) => self.after_cancel(*then),
            State::Done => State::Done,
            _ => State::Cancel(Box::new(Then::Fail(error))),
        };
    }

    /// Takes the answer the exchange delivered for the last [`UploadStep::Send`]: its
    /// head, and for an answer that is not a success the start of its body (error
    /// details), else nothing.
    pub fn handle_response(
        &mut self,
        request: &http::Request<Body>,
        parts: &http::response::Parts,
        body: &[u8],
        now: Instant,
    ) {
        let status = parts.status;
        let error = || Error::from_answer(request, parts, body);
        let location = parts.headers.get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let state = std::mem::replace(&mut self.state, State::Done);
        self.state = match state {
            State::Mount(_) => match status {
                StatusCode::CREATED => return self.finish(Ok(UploadOutcome::Mounted)),
                // The registry opened a session instead of mounting: use it.
                StatusCode::ACCEPTED if location.is_some() => {
                    self.location = location;
                    self.session_opened(parts);
                    State::Next
                }
                _ => State::Start,
            },
            State::Start => match (status, location) {
                (StatusCode::ACCEPTED, Some(location)) => {
                    self.location = Some(location);
                    self.session_opened(parts);
                    State::Next
                }
                (StatusCode::ACCEPTED, None) => State::Cancel(Box::new(Then::Fail(
                    Error::transport(request, "the registry's answer has no Location"),
                ))),
                _ => return self.finish(Err(error())),
            },
            State::Monolithic if status == StatusCode::CREATED => {
                return self.finish(Ok(UploadOutcome::Uploaded));
            }
            // Only an answer that says "later" is worth a new session.
            State::Monolithic if retryable_status(status) => {
                State::Cancel(Box::new(Then::Retry(error())))
            }
            State::Monolithic => State::Cancel(Box::new(Then::Fail(error()))),
            State::Patch if status == StatusCode::ACCEPTED => {
                self.from = self.sent_end;
                if location.is_some() {
                    self.location = location;
                }
                self.backoff.reset(now);
                State::Next
            }
            // A chunk too large for the registry (413; GHCR answers 416 over 4 MiB):
            // smaller ones, from wherever the registry is.
            State::Patch
                if matches!(status.as_u16(), 413 | 416) && self.send_limit > self.patch_floor() =>
            {
                self.send_limit = (self.send_limit / 2).max(self.patch_floor());
                State::Status
            }
            // A registry that takes no chunks (Google Artifact Registry: 405 UNSUPPORTED):
            // the whole content in the closing PUT, streamed, when it holds nothing yet.
            State::Patch if status == StatusCode::METHOD_NOT_ALLOWED && self.from == 0 => {
                State::Stream { put: true }
            }
            // Every chunk size refused: the rest in one streamed PATCH.
            State::Patch if matches!(status.as_u16(), 413 | 416) => {
                self.stream_rest = true;
                State::Status
            }
            State::Patch
                if retryable_status(status) || status == StatusCode::RANGE_NOT_SATISFIABLE =>
            {
                self.chunk_failed(error(), now)
            }
            State::Patch => State::Cancel(Box::new(Then::Fail(error()))),
            State::Stream { put: true } if status == StatusCode::CREATED => {
                return self.finish(Ok(UploadOutcome::Uploaded));
            }
            State::Stream { put: false } if status == StatusCode::ACCEPTED => {
                if location.is_some() {
                    self.location = location;
                }
                self.from = self.descriptor.size;
                self.chunk_end = self.descriptor.size;
                State::Finish
            }
            State::Stream { .. } => {
                let e = self.ahead_failure.take().unwrap_or_else(error);
                State::Cancel(Box::new(Then::Fail(e)))
            }
            State::Status if status == StatusCode::NO_CONTENT => {
                if location.is_some() {
                    self.location = location;
                }
                let holds = held(parts);
                if holds < self.read_start || holds > self.chunk_end {
                    State::Cancel(Box::new(Then::Fail(Error::UploadLost {
                        digest: self.descriptor.digest.clone(),
                        holds,
                        sent: self.chunk_end,
                    })))
                } else {
                    self.from = holds;
                    if std::mem::take(&mut self.stream_rest) {
                        State::Stream { put: false }
                    } else {
                        State::Next
                    }
                }
            }
            // The registry no longer knows the session at this state: a registry that
            // signs its session state (the distribution registry) refuses a status query
            // whose answer to the last chunk was lost.
            State::Status => State::Cancel(Box::new(Then::Fail(error()))),
            State::Finish if status == StatusCode::CREATED => {
                return self.finish(Ok(UploadOutcome::Uploaded));
            }
            // The answer to a completed upload may have been lost.
            State::Finish => State::Exists(Box::new(Then::Fail(error()))),
            State::Exists(_) if status == StatusCode::OK => {
                return self.finish(Ok(UploadOutcome::Existed));
            }
            State::Exists(then) => self.after_exists(*then, now),
            State::Cancel(then) => self.after_cancel(*then),
            other => other,
        };
    }

    /// Takes a transport failure of the last [`UploadStep::Send`] (after the exchange's
    /// own retries).
    pub fn handle_failure(&mut self, error: Error, now: Instant) {
        let state = std::mem::replace(&mut self.state, State::Done);
        self.state = match state {
            State::Mount(_) => State::Start,
            State::Monolithic => State::Cancel(Box::new(Then::Retry(error))),
            State::Patch => self.chunk_failed(error, now),
            // A streamed body cannot be sent again; its own failure (content that did not
            // verify) comes first.
            State::Stream { .. } => {
                let e = self.ahead_failure.take().unwrap_or(error);
                State::Cancel(Box::new(Then::Fail(e)))
            }
            State::Finish => State::Exists(Box::new(Then::Fail(error))),
            State::Exists(then) => self.after_exists(*then, now),
            State::Cancel(then) => self.after_cancel(*then),
            State::Start | State::Status => State::Cancel(Box::new(Then::Fail(error))),
            other => other,
        };
    }

    /// The smallest `PATCH` tried after refusals of larger ones.
    fn patch_floor(&self) -> u64 {
        self.min_chunk.max((64 << 10).min(self.chunk_size / 8)).max(1)
    }

    fn chunk_failed(&mut self, error: Error, now: Instant) -> State {
        match self.backoff.next(now, None) {
            Some(wait) => State::Waiting(now + wait, Box::new(State::Status)),
            None => State::Cancel(Box::new(Then::Fail(error))),
        }
    }

    fn after_cancel(&mut self, then: Then) -> State {
        self.location = None;
        match then {
            Then::Fail(e) => {
                self.outcome = Some(Err(e));
                State::Done
            }
            Then::Retry(e) => State::Exists(Box::new(Then::Retry(e))),
        }
    }

    fn after_exists(&mut self, then: Then, now: Instant) -> State {
        match then {
            Then::Retry(e) => match self.backoff.next(now, None) {
                // A new session; the whole blob is still in the driver's hands.
                Some(wait) => State::Waiting(now + wait, Box::new(State::Start)),
                None => {
                    self.outcome = Some(Err(e));
                    State::Done
                }
            },
            Then::Fail(e) if self.location.is_some() => State::Cancel(Box::new(Then::Fail(e))),
            Then::Fail(e) => {
                self.outcome = Some(Err(e));
                State::Done
            }
        }
    }

    fn finish(&mut self, outcome: Result<UploadOutcome, Error>) {
        self.outcome = Some(outcome);
        self.state = State::Done;
    }
}

/// What a cross-repository mount request (end-11) came to.
#[derive(Debug)]
#[non_exhaustive]
// A step is made and consumed once per request: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum MountOutcome {
    /// The registry mounted the blob (201).
    Mounted,
    /// It did not; the request it made, if any, cancels the upload session the registry
    /// opened instead (202), so that the registry keeps nothing of it.
    NotMounted(Option<http::Request<Body>>),
}

/// A one-request mount: the request (end-11), then [`mount_outcome`] of its answer.
///
/// # Errors
/// Only for a host that does not form a URI.
pub fn mount_request(
    registry: &Registry,
    repository: &str,
    digest: &oci_image::Digest,
    from: &str,
) -> Result<http::Request<Body>, http::Error> {
    endpoint::mount_blob(registry, repository, digest, Some(from))
}

/// What the answer to [`mount_request`] means.
pub fn mount_outcome(registry: &Registry, parts: &http::response::Parts) -> MountOutcome {
    match parts.status {
        StatusCode::CREATED => MountOutcome::Mounted,
        StatusCode::ACCEPTED => MountOutcome::NotMounted(
            parts
                .headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|location| endpoint::upload_status(registry, location, true).ok()),
        ),
        _ => MountOutcome::NotMounted(None),
    }
}

/// How many bytes an upload session holds, from its `Range: 0-<last>` header; none (or
/// `0-0` from registries that hold nothing yet) means nothing.
fn held(parts: &http::response::Parts) -> u64 {
    parts
        .headers
        .get(RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().trim_start_matches("bytes=").split_once('-'))
        .and_then(|(_, last)| last.trim().parse::<u64>().ok())
        .map_or(0, |last| if last == 0 { 0 } else { last.saturating_add(1) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_image::MediaType;

    fn answer(status: u16, headers: &[(&str, &str)]) -> http::response::Parts {
        let mut b = http::Response::builder().status(status);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    /// A transcript: each step the machine takes, as `METHOD url [body range]`, `READ n`,
    /// `WAIT`, or `DONE outcome`, with `respond` answering each request.
    fn run(
        upload: &mut BlobUpload,
        content: &[u8],
        respond: impl FnMut(&http::Request<Body>) -> Result<http::response::Parts, ()>,
    ) -> (Vec<String>, Result<UploadOutcome, Error>) {
        run_with(upload, content, false, respond)
    }

    /// As `run`, reading ahead whenever the machine allows it (as the drivers do).
    fn run_with(
        upload: &mut BlobUpload,
        content: &[u8],
        ahead: bool,
        mut respond: impl FnMut(&http::Request<Body>) -> Result<http::response::Parts, ()>,
    ) -> (Vec<String>, Result<UploadOutcome, Error>) {
        let mut log = Vec::new();
        let mut now = Instant::now();
        let mut at = 0usize;
        for _ in 0..200 {
            match upload.poll(now) {
                UploadStep::Read(n) => {
                    log.push(format!("READ {n}"));
                    let end = (at + n as usize).min(content.len());
                    upload.supply(&content[at..end]);
                    at = end;
                }
                UploadStep::Send(request, _) => {
                    let body = match request.body() {
                        Body::Blob { offset, len, .. } => format!(" [{offset}+{len}]"),
                        _ => String::new(),
                    };
                    let url = request.uri().to_string();
                    let url = url.split_once("?digest").map_or(url.as_str(), |(u, _)| u).to_owned();
                    log.push(format!("{} {url}{body}", request.method()));
                    if ahead && let Some(n) = upload.read_ahead() {
                        log.push(format!("AHEAD {n}"));
                        let end = (at + n as usize).min(content.len());
                        upload.supply_ahead(&content[at..end]);
                        at = end;
                    }
                    match respond(&request) {
                        Ok(parts) => upload.handle_response(&request, &parts, b"", now),
                        Err(()) => upload.handle_failure(Error::transport(&request, "reset"), now),
                    }
                }
                UploadStep::Stream(request) => {
                    let body = match request.body() {
                        Body::Blob { offset, len, .. } => format!(" [{offset}+{len}]"),
                        _ => String::new(),
                    };
                    let url = request.uri().to_string();
                    let url = url.split_once("?digest").map_or(url.as_str(), |(u, _)| u).to_owned();
                    log.push(format!("STREAM {} {url}{body}", request.method()));
                    // The driver's part: the rest of the content in pieces of 7 bytes.
                    let mut ok = true;
                    while ok && at < content.len() {
                        let end = (at + 7).min(content.len());
                        ok = upload.supply_stream(&content[at..end]);
                        at = end;
                    }
                    ok = ok && upload.end_stream();
                    match (ok, respond(&request)) {
                        (true, Ok(parts)) => upload.handle_response(&request, &parts, b"", now),
                        _ => upload.handle_failure(Error::transport(&request, "body failed"), now),
                    }
                }
                UploadStep::Wait(wait) => {
                    log.push("WAIT".into());
                    now += wait;
                }
                UploadStep::Done(outcome) => return (log, outcome),
            }
        }
        panic!("no end: {log:#?}")
    }

    fn machine(content: &[u8], chunk: u64, mount: Option<&str>) -> BlobUpload {
        let registry = Registry::of(&"127.0.0.1:5000/a".parse().unwrap(), true);
        let d = Descriptor::for_bytes(MediaType::ImageLayerGzip, content);
        let policy = RetryPolicy::new(3, Duration::from_millis(10), Duration::from_millis(40));
        BlobUpload::new(&registry, "a", &d, chunk, mount, policy, Instant::now()).unwrap()
    }

    const UP: &str = "http://127.0.0.1:5000/v2/a/blobs/uploads/";

    #[test]
    fn monolithic() {
        let content = b"0123456789";
        let (log, outcome) = run(&mut machine(content, 10, None), content, |r| {
            Ok(match r.method().as_str() {
                "POST" => answer(202, &[("Location", "/v2/a/blobs/uploads/u1")]),
                _ => answer(201, &[]),
            })
        });
        assert_eq!(
            log,
            [
                "POST http://127.0.0.1:5000/v2/a/blobs/uploads/",
                "READ 11",
                &format!("PUT {UP}u1 [0+10]")
            ]
        );
        assert_eq!(outcome.unwrap(), UploadOutcome::Uploaded);
    }

    #[test]
    fn chunked_with_a_lost_chunk_resumes_from_the_registry_range() {
        let content = b"0123456789abcdef";
        let mut patches = 0;
        let (log, outcome) = run(&mut machine(content, 6, None), content, |r| {
            Ok(match r.method().as_str() {
                "POST" => answer(202, &[("Location", "/v2/a/blobs/uploads/u1")]),
                "PATCH" => {
                    patches += 1;
                    if patches == 2 {
                        return Err(()); // the connection drops mid-chunk
                    }
                    answer(202, &[("Location", "/v2/a/blobs/uploads/u2")])
                }
                // The registry got 3 bytes of the second chunk.
                "GET" => answer(204, &[("Range", "0-8"), ("Location", "/v2/a/blobs/uploads/u3")]),
                _ => answer(201, &[]),
            })
        });
        assert_eq!(
            log,
            [
                "POST http://127.0.0.1:5000/v2/a/blobs/uploads/".to_owned(),
                "READ 6".into(),
                format!("PATCH {UP}u1 [0+6]"),
                "READ 6".into(),
                format!("PATCH {UP}u2 [6+6]"),
                "WAIT".into(),
                format!("GET {UP}u2"),
                format!("PATCH {UP}u3 [9+3]"),
                "READ 5".into(),
                format!("PATCH {UP}u2 [12+4]"),
                format!("PUT {UP}u2"),
            ]
        );
        assert_eq!(outcome.unwrap(), UploadOutcome::Uploaded);
    }

    #[test]
    fn content_that_does_not_match_is_cancelled_before_commit() {
        let content = b"0123456789abcdef";
        let mut wrong = content.to_vec();
        wrong[14] ^= 1;
        let respond = |r: &http::Request<Body>| {
            Ok(match r.method().as_str() {
                "POST" => answer(202, &[("Location", "/v2/a/blobs/uploads/u1")]),
                "PATCH" => answer(202, &[]),
                "DELETE" => answer(204, &[]),
                _ => answer(201, &[]),
            })
        };
        for (bytes, chunk) in [
            (&wrong[..], 6),
            (&wrong[..], 64),
            (&content[..15], 6),
            (&[content, &b"!"[..]].concat()[..], 6),
        ] {
            let (log, outcome) = run(&mut machine(content, chunk, None), bytes, respond);
            assert!(matches!(outcome, Err(Error::Verify { .. })), "{log:?}");
            assert!(log.last().unwrap().starts_with("DELETE"), "{log:?}");
            assert!(!log.iter().any(|l| l.starts_with("PUT")), "nothing committed: {log:?}");
        }
    }

    #[test]
    fn mounts_and_sessions_opened_instead() {
        let content = b"0123456789";
        let (log, outcome) =
            run(&mut machine(content, 64, Some("b")), content, |_| Ok(answer(201, &[])));
        assert_eq!(log, [format!("POST {UP}?mount=sha256%3A{}&from=b", Digest(content))]);
        assert_eq!(outcome.unwrap(), UploadOutcome::Mounted);
        let (log, outcome) = run(&mut machine(content, 64, Some("b")), content, |r| {
            Ok(match r.method().as_str() {
                "POST" => answer(202, &[("Location", "/v2/a/blobs/uploads/m1")]),
                _ => answer(201, &[]),
            })
        });
        assert_eq!(log[1..], ["READ 11".to_owned(), format!("PUT {UP}m1 [0+10]")]);
        assert_eq!(outcome.unwrap(), UploadOutcome::Uploaded);
    }

    #[test]
    fn a_failed_monolithic_put_is_cancelled_checked_and_sent_again() {
        let content = b"0123456789";
        let mut puts = 0;
        let (log, outcome) = run(&mut machine(content, 64, None), content, |r| {
            Ok(match r.method().as_str() {
                "POST" => answer(202, &[("Location", "/v2/a/blobs/uploads/u1")]),
                "PUT" => {
                    puts += 1;
                    if puts == 1 { answer(500, &[]) } else { answer(201, &[]) }
                }
                "DELETE" => answer(204, &[]),
                _ => answer(404, &[]),
            })
        });
        let kinds: Vec<&str> = log.iter().map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(kinds, ["POST", "READ", "PUT", "DELETE", "HEAD", "WAIT", "POST", "PUT"]);
        assert_eq!(outcome.unwrap(), UploadOutcome::Uploaded);
    }

    #[test]
    fn a_registry_that_lost_earlier_chunks_fails_the_upload() {
        let content = b"0123456789abcdef";
        let (log, outcome) = run(&mut machine(content, 6, None), content, |r| {
            Ok(match r.method().as_str() {
                "POST" => answer(202, &[("Location", "/v2/a/blobs/uploads/u1")]),
                "PATCH" if r.headers()["Content-Range"] == "6-11" => answer(500, &[]),
                "PATCH" => answer(202, &[]),
                "GET" => answer(204, &[("Range", "0-2")]),
                _ => answer(204, &[]),
            })
        });
        assert!(matches!(outcome, Err(Error::UploadLost { holds: 3, .. })), "{outcome:?}");
        assert!(log.last().unwrap().starts_with("DELETE"));
    }

    #[test]
    fn chunks_read_ahead_while_one_is_in_flight() {
        let content = b"0123456789abcdef";
        let respond = |r: &http::Request<Body>| {
            Ok(match r.method().as_str() {
                "POST" => answer(202, &[("Location", "/v2/a/blobs/uploads/u1")]),
                "PATCH" => answer(202, &[]),
                "DELETE" => answer(204, &[]),
                _ => answer(201, &[]),
            })
        };
        let (log, outcome) = run_with(&mut machine(content, 6, None), content, true, respond);
        assert_eq!(
            log,
            [
                format!("POST {UP}"),
                "READ 6".into(),
                format!("PATCH {UP}u1 [0+6]"),
                "AHEAD 6".into(),
                format!("PATCH {UP}u1 [6+6]"),
                "AHEAD 5".into(),
                format!("PATCH {UP}u1 [12+4]"),
                format!("PUT {UP}u1"),
            ]
        );
        assert_eq!(outcome.unwrap(), UploadOutcome::Uploaded);
        // Bytes read ahead that do not match: cancelled once the chunk in flight is
        // answered, and never committed.
        let mut wrong = content.to_vec();
        wrong[15] ^= 1;
        let (log, outcome) = run_with(&mut machine(content, 6, None), &wrong, true, respond);
        assert!(matches!(outcome, Err(Error::Verify { .. })), "{log:?}");
        assert_eq!(log.last().unwrap(), &format!("DELETE {UP}u1"));
        assert!(!log.iter().any(|l| l.starts_with("PUT")), "{log:?}");
        // A chunk that fails while the next was read ahead: resumed from the registry's
        // offset, then the chunk read ahead follows.
        let mut patches = 0;
        let (log, outcome) = run_with(&mut machine(content, 6, None), content, true, |r| {
            Ok(match r.method().as_str() {
                "POST" => answer(202, &[("Location", "/v2/a/blobs/uploads/u1")]),
                "PATCH" => {
                    patches += 1;
                    if patches == 1 { return Err(()) } else { answer(202, &[]) }
                }
                "GET" => answer(204, &[("Range", "0-1")]),
                _ => answer(201, &[]),
            })
        });
        assert_eq!(outcome.unwrap(), UploadOutcome::Uploaded);
        let sent: Vec<&str> = log
            .iter()
            .filter(|l| l.starts_with("PATCH"))
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect();
        assert_eq!(sent, ["[0+6]", "[2+4]", "[6+6]", "[12+4]"], "{log:?}");
    }

    #[test]
    fn chunks_too_large_for_the_registry_are_made_smaller_and_min_length_is_honoured() {
        let content: Vec<u8> = (0..40u8).collect();
        // The registry wants chunks of at least 8 bytes and refuses any over 10.
        let (log, outcome) = run(&mut machine(&content, 4, None), &content, |r| {
            Ok(match r.method().as_str() {
                "POST" => answer(
                    202,
                    &[("Location", "/v2/a/blobs/uploads/u1"), ("OCI-Chunk-Min-Length", "8")],
                ),
                "PATCH" => answer(202, &[]),
                _ => answer(201, &[]),
            })
        });
        assert_eq!(outcome.unwrap(), UploadOutcome::Uploaded);
        let reads: Vec<&String> = log.iter().filter(|l| l.starts_with("READ")).collect();
        assert_eq!(reads, ["READ 8", "READ 8", "READ 8", "READ 8", "READ 9"], "{log:?}");

        let big: Vec<u8> = (0..200u32).map(|i| i as u8).collect();
        let mut held = 0u64;
        let (log, outcome) = run(&mut machine(&big, 100, None).monolithic_up_to(50), &big, |r| {
            Ok(match r.method().as_str() {
                "POST" => answer(202, &[("Location", "/v2/a/blobs/uploads/u1")]),
                "PATCH" => {
                    let Body::Blob { offset, len, .. } = r.body() else { panic!() };
                    if *len > 30 {
                        return Ok(answer(416, &[]));
                    }
                    held = offset + len;
                    answer(202, &[])
                }
                "GET" => {
                    let range = format!("0-{}", held.saturating_sub(1));
                    answer(204, &[("Range", &range)])
                }
                _ => answer(201, &[]),
            })
        });
        assert_eq!(outcome.unwrap(), UploadOutcome::Uploaded);
        let sizes: Vec<&str> = log
            .iter()
            .filter(|l| l.starts_with("PATCH"))
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect();
        assert_eq!(sizes[..4], ["[0+100]", "[0+50]", "[0+25]", "[25+25]"], "{log:?}");
        assert!(
            log.iter().all(|l| !l.starts_with("PATCH")
                || !l.ends_with("+100]")
                || l.ends_with("[0+100]"))
        );
    }

    #[test]
    fn registries_without_chunks_get_one_streamed_put() {
        let content: Vec<u8> = (0..50u8).collect();
        let respond = |r: &http::Request<Body>| {
            Ok(match r.method().as_str() {
                "POST" => answer(202, &[("Location", "/v2/a/blobs/uploads/u1")]),
                "PATCH" => answer(405, &[]),
                "DELETE" => answer(204, &[]),
                _ => answer(201, &[]),
            })
        };
        let (log, outcome) = run(&mut machine(&content, 16, None), &content, respond);
        assert_eq!(outcome.unwrap(), UploadOutcome::Uploaded);
        assert_eq!(
            log[1..],
            [
                "READ 16".to_owned(),
                format!("PATCH {UP}u1 [0+16]"),
                format!("STREAM PUT {UP}u1 [0+50]")
            ]
        );
        // Content that does not match, shorter or longer: refused before the PUT ends, the
        // session cancelled.
        let mut wrong = content.clone();
        wrong[45] ^= 1;
        for bytes in [&wrong[..], &content[..49], &[&content[..], &b"!"[..]].concat()[..]] {
            let (log, outcome) = run(&mut machine(&content, 16, None), bytes, respond);
            assert!(matches!(outcome, Err(Error::Verify { .. })), "{log:?}");
            assert!(log.last().unwrap().starts_with("DELETE"), "{log:?}");
        }
    }

    #[test]
    fn every_chunk_size_refused_streams_the_rest_in_one_patch() {
        let content: Vec<u8> = (0..100u8).collect();
        let mut held = 0u64;
        let (log, outcome) = run(&mut machine(&content, 32, None), &content, |r| {
            Ok(match (r.method().as_str(), r.headers().contains_key("Content-Range")) {
                ("POST", _) => answer(202, &[("Location", "/v2/a/blobs/uploads/u1")]),
                ("PATCH", true) if held == 0 => {
                    held = 0;
                    answer(416, &[])
                }
                ("PATCH", false) => answer(202, &[("Location", "/v2/a/blobs/uploads/u2")]),
                ("GET", _) => answer(204, &[]),
                _ => answer(201, &[]),
            })
        });
        assert_eq!(outcome.unwrap(), UploadOutcome::Uploaded);
        assert!(log.contains(&format!("STREAM PATCH {UP}u1 [0+100]")), "{log:?}");
        assert_eq!(log.last().unwrap(), &format!("PUT {UP}u2"));
    }

    #[test]
    fn without_a_digest_check_sizes_are_still_checked() {
        let content = b"0123456789abcdef";
        let mut wrong = content.to_vec();
        wrong[3] ^= 1;
        let respond = |r: &http::Request<Body>| {
            Ok(match r.method().as_str() {
                "POST" => answer(202, &[("Location", "/v2/a/blobs/uploads/u1")]),
                "PATCH" => answer(202, &[]),
                "DELETE" => answer(204, &[]),
                _ => answer(201, &[]),
            })
        };
        // The registry is trusted with the digest.
        let (_, outcome) =
            run(&mut machine(content, 6, None).without_digest_check(), &wrong, respond);
        assert_eq!(outcome.unwrap(), UploadOutcome::Uploaded);
        let (log, outcome) =
            run(&mut machine(content, 6, None).without_digest_check(), &content[..10], respond);
        assert!(matches!(outcome, Err(Error::Verify { .. })), "{log:?}");
    }

    #[test]
    fn a_hostile_min_length_or_range_cannot_exhaust_memory_or_overflow() {
        let content: Vec<u8> = (0..100u8).collect();
        let mut upload = machine(&content, 10, None);
        upload.handle_response(
            &endpoint::start_upload(&upload.registry, "a", None).unwrap(),
            &answer(202, &[("Location", "/u"), ("OCI-Chunk-Min-Length", "18446744073709551615")]),
            b"",
            Instant::now(),
        );
        assert_eq!(upload.chunk_size, MAX_CHUNK);
        assert_eq!(held(&answer(204, &[("Range", "0-18446744073709551615")])), u64::MAX);
    }

    #[allow(non_snake_case)]
    fn Digest(content: &[u8]) -> String {
        oci_image::Digest::sha256(content).encoded().to_owned()
    }
}
