//! Moving blob bytes: downloads that resume with `Range`, uploads in one request or in
//! chunks that resume from the registry's offset.

use std::io::{self, Read};

use http::StatusCode;
use http::header::{CONTENT_RANGE, LOCATION, RANGE};
use oci_image::{Descriptor, Digest};

use super::{Client, ClientError, Payload, Response, Retry};
use crate::endpoint::{self, Registry};

/// A blob download that, when the connection drops or ends early, asks again from the
/// first byte it has not received (`Range: bytes=N-`), up to the client's retry count.
/// The caller verifies size and digest on top.
pub(crate) struct ResumingReader {
    client: Client,
    registry: Registry,
    repository: String,
    scope: String,
    digest: Digest,
    size: u64,
    offset: u64,
    body: Option<ureq::BodyReader<'static>>,
    /// Failures in a row without a byte received in between.
    failures: u32,
    /// Where the stream stood at the last failure.
    failed_at: u64,
}

impl ResumingReader {
    /// Opens the download (the first request is sent here, so that a missing blob is
    /// reported at once).
    pub(crate) fn open(
        client: Client,
        registry: Registry,
        repository: &str,
        scope: String,
        descriptor: &Descriptor,
    ) -> Result<Self, ClientError> {
        let mut reader = Self {
            client,
            registry,
            repository: repository.to_owned(),
            scope,
            digest: descriptor.digest.clone(),
            size: descriptor.size,
            offset: 0,
            body: None,
            failures: 0,
            failed_at: 0,
        };
        reader.body = Some(reader.request()?);
        Ok(reader)
    }

    fn request(&self) -> Result<ureq::BodyReader<'static>, ClientError> {
        let from = (self.offset > 0).then_some(self.offset);
        let request =
            endpoint::get_blob(&self.registry, &self.repository, &self.digest, false, from)?;
        let response =
            self.client.send(&self.registry, &self.scope, &request, Payload::None, Retry::Yes)?;
        let ok: &[StatusCode] = if from.is_some() {
            &[StatusCode::OK, StatusCode::PARTIAL_CONTENT]
        } else {
            &[StatusCode::OK]
        };
        let response = self.client.expect(&request, response, ok)?;
        let status = response.status();
        let starts_at = if status == StatusCode::PARTIAL_CONTENT {
            content_range_start(&response).unwrap_or(self.offset)
        } else {
            0
        };
        let mut body = response.into_body().into_reader();
        if starts_at != self.offset {
            // The registry ignored the range (200): skip what was already received.
            if starts_at != 0 {
                return Err(self.client.response_error(
                    &request,
                    endpoint::ResponseError::Status {
                        status: StatusCode::RANGE_NOT_SATISFIABLE,
                        body: Default::default(),
                    },
                ));
            }
            let skipped = io::copy(&mut (&mut body).take(self.offset), &mut io::sink())
                .map_err(|e| self.client.transport(&request, e))?;
            if skipped != self.offset {
                return Err(self
                    .client
                    .transport(&request, "the blob ended before the resume point"));
            }
        }
        Ok(body)
    }

    fn resume(&mut self, cause: io::Error) -> io::Result<()> {
        self.body = None;
        // A drop after progress starts the count again: a long download may break now
        // and then; one that keeps breaking at the same byte gives up.
        if self.offset > self.failed_at {
            self.failures = 0;
        }
        self.failed_at = self.offset;
        self.failures += 1;
        let options = self.client.options();
        if self.failures > options.retries {
            return Err(cause);
        }
        std::thread::sleep(options.backoff_for(self.failures - 1));
        self.body = Some(self.request().map_err(io::Error::other)?);
        Ok(())
    }
}

fn content_range_start(response: &Response) -> Option<u64> {
    let v = response.headers().get(CONTENT_RANGE)?.to_str().ok()?;
    let range = v.trim().strip_prefix("bytes")?.trim_start();
    range.split('-').next()?.trim().parse().ok()
}

impl Read for ResumingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(body) = self.body.as_mut() else {
                return Ok(0);
            };
            match body.read(buf) {
                Ok(0) if self.offset < self.size => {
                    self.resume(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("blob {} ended after {} bytes", self.digest, self.offset),
                    ))?;
                }
                Ok(n) => {
                    self.offset += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Everything arrived: a failure at the very end does not matter.
                Err(_) if self.offset >= self.size => {
                    self.body = None;
                    return Ok(0);
                }
                Err(e) => self.resume(e)?,
            }
        }
    }
}

/// A chunk's body: at most `left` bytes of `inner`, copied into `copy` as they pass. A
/// failure of `inner` (content that does not verify) is kept apart from the transport's.
struct Tee<'a> {
    inner: &'a mut dyn Read,
    copy: &'a mut Vec<u8>,
    left: u64,
    /// Where the chunk starts in the blob, and the blob's size.
    start: u64,
    size: u64,
    error: Option<io::Error>,
}

impl Read for Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = usize::try_from(self.left).map_or(buf.len(), |l| l.min(buf.len()));
        if want == 0 {
            return Ok(0);
        }
        match self.inner.read(&mut buf[..want]) {
            Ok(n) => {
                self.copy.extend_from_slice(&buf[..n]);
                self.left -= n as u64;
                if n == 0 {
                    let actual = self.start + self.copy.len() as u64;
                    self.error = Some(too_short(self.size, actual));
                    return Err(io::Error::other("content ended before the chunk"));
                }
                Ok(n)
            }
            Err(e) => {
                let kind = e.kind();
                let text = e.to_string();
                self.error = Some(e);
                Err(io::Error::new(kind, text))
            }
        }
    }
}

fn too_long(size: u64) -> io::Error {
    oci_image::VerifyError::Size { expected: size, actual: size, longer: true }.into()
}

fn too_short(size: u64, actual: u64) -> io::Error {
    oci_image::VerifyError::Size { expected: size, actual, longer: false }.into()
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// One blob upload session.
pub(crate) struct Upload<'a> {
    pub(crate) client: &'a Client,
    pub(crate) registry: &'a Registry,
    pub(crate) repository: &'a str,
    pub(crate) scope: &'a str,
    pub(crate) digest: &'a Digest,
    pub(crate) size: u64,
}

impl Upload<'_> {
    /// Uploads `size` bytes read from `content` (which the caller wraps in a verifying
    /// reader): in one `PUT` up to the chunk size, else in chunks. A failure cancels the
    /// session so the registry keeps nothing of it.
    pub(crate) fn run(&self, content: &mut dyn Read) -> Result<(), ClientError> {
        let size = self.size;
        let chunk = self.client.options().chunk_size;
        let capacity = usize::try_from(size.min(chunk)).unwrap_or(usize::MAX);
        if size <= chunk {
            let mut buf = vec![0u8; capacity];
            let n = read_full(content, &mut buf)?;
            if n as u64 != size {
                return Err(ClientError::Io(too_short(size, n as u64)));
            }
            // Reach the end of the stream, so that it is verified before anything is sent.
            if content.read(&mut [0u8; 1])? != 0 {
                return Err(ClientError::Io(too_long(size)));
            }
            // A failed single-request upload may have left part of the body in its
            // session: each attempt opens a new one.
            let mut failures = 0u32;
            loop {
                let location = self.start()?;
                match self.finish(&location, &buf[..n], Retry::Unprocessed) {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        self.cancel(&location);
                        if self.exists() {
                            return Ok(());
                        }
                        if failures >= self.client.options().retries || !worth_retrying(&e) {
                            return Err(e);
                        }
                    }
                }
                std::thread::sleep(self.client.options().backoff_for(failures));
                failures += 1;
            }
        }
        let mut location = self.start()?;
        let mut offset = 0u64;
        let mut buf = Vec::with_capacity(capacity);
        let result = (|| {
            while offset < size {
                let len = chunk.min(size - offset);
                location = self.stream_chunk(location.clone(), offset, len, content, &mut buf)?;
                offset += len;
            }
            // The verifying reader has seen the last byte; the stream must end there.
            if content.read(&mut [0u8; 1])? != 0 {
                return Err(ClientError::Io(too_long(size)));
            }
            match self.finish(&location, &[], Retry::Yes) {
                // The answer to a completed upload may have been lost.
                Err(_) if self.exists() => Ok(()),
                other => other,
            }
        })();
        if result.is_err() {
            self.cancel(&location);
        }
        result
    }

    /// Sends the `len` bytes at `offset` as one chunk streamed from `content` as it is
    /// read (so that reading, hashing and the registry's work overlap), keeping a copy in
    /// `buf`. If the exchange fails, the rest of the chunk is read into `buf` and sent
    /// again from the offset the registry reports.
    fn stream_chunk(
        &self,
        location: String,
        offset: u64,
        len: u64,
        content: &mut dyn Read,
        buf: &mut Vec<u8>,
    ) -> Result<String, ClientError> {
        buf.clear();
        let request = endpoint::upload_chunk(self.registry, &location, self.digest, offset, len)?;
        let mut tee = Tee {
            inner: content,
            copy: buf,
            left: len,
            start: offset,
            size: self.size,
            error: None,
        };
        let outcome = self.client.send_streaming(self.registry, self.scope, &request, &mut tee);
        if let Some(e) = tee.error {
            return Err(ClientError::Io(e));
        }
        if let Ok(response) = &outcome
            && response.status() == StatusCode::ACCEPTED
        {
            return location_or(self.client, &request, response, location);
        }
        if let Ok(response) = outcome {
            super::drain(response);
        }
        // Complete the copy of the chunk, then go on from wherever the registry is.
        let have = buf.len();
        buf.resize(usize::try_from(len).unwrap_or(usize::MAX), 0);
        let n = read_full(content, &mut buf[have..])?;
        if n != buf.len() - have {
            return Err(ClientError::Io(too_short(self.size, offset + (have + n) as u64)));
        }
        self.patch(location, offset, buf, true)
    }

    /// Opens a session (end-4a) and returns its location.
    fn start(&self) -> Result<String, ClientError> {
        let request = endpoint::start_upload(self.registry, self.repository, None)?;
        let response =
            self.client.send(self.registry, self.scope, &request, Payload::None, Retry::Yes)?;
        let response = self.client.expect(&request, response, &[StatusCode::ACCEPTED])?;
        location(self.client, &request, &response)
    }

    /// Closes the session with the last bytes (end-6).
    fn finish(&self, location: &str, rest: &[u8], retry: Retry) -> Result<(), ClientError> {
        let range = (!rest.is_empty()).then_some((0, rest.len() as u64));
        let request = endpoint::finish_upload(self.registry, location, self.digest, range)?;
        let payload = if rest.is_empty() { Payload::None } else { Payload::Bytes(rest) };
        let response = self.client.send(self.registry, self.scope, &request, payload, retry)?;
        self.client.expect(&request, response, &[StatusCode::CREATED]).map(drop)
    }

    /// Sends `data` as the chunk at `offset` (end-5), from where the registry says it is
    /// when `check_first`. When the request fails, asks the registry how much it holds
    /// (end-13) and sends the rest of the chunk from there.
    fn patch(
        &self,
        mut location: String,
        offset: u64,
        data: &[u8],
        check_first: bool,
    ) -> Result<String, ClientError> {
        let options = self.client.options();
        let end = offset + data.len() as u64;
        let mut from = offset;
        let mut failures = 0u32;
        if check_first {
            match self.resume_point(&mut location, offset, end, end)? {
                Some(holds) => from = holds,
                None => return Ok(location),
            }
        }
        loop {
            let slice = &data[usize::try_from(from - offset).unwrap_or(0)..];
            let request = endpoint::upload_chunk(
                self.registry,
                &location,
                self.digest,
                from,
                slice.len() as u64,
            )?;
            let outcome = self.client.send(
                self.registry,
                self.scope,
                &request,
                Payload::Bytes(slice),
                Retry::No,
            );
            let failure = match outcome {
                Ok(response) if response.status() == StatusCode::ACCEPTED => {
                    return location_or(self.client, &request, &response, location);
                }
                Ok(response)
                    if super::retryable_status(response.status())
                        || response.status() == StatusCode::RANGE_NOT_SATISFIABLE =>
                {
                    self.client.expect(&request, response, &[]).err()
                }
                Ok(response) => {
                    return Err(self
                        .client
                        .expect(&request, response, &[])
                        .err()
                        .unwrap_or_else(|| self.client.transport(&request, "unexpected answer")));
                }
                Err(e @ ClientError::Transport { .. }) => Some(e),
                Err(e) => return Err(e),
            };
            failures += 1;
            if failures > options.retries {
                return Err(
                    failure.unwrap_or_else(|| self.client.transport(&request, "chunk refused"))
                );
            }
            std::thread::sleep(options.backoff_for(failures - 1));
            match self.resume_point(&mut location, offset, end, from)? {
                Some(holds) => from = holds,
                None => return Ok(location),
            }
        }
    }

    /// Where to go on with the chunk `offset..end` after a failure: the offset the
    /// registry holds (end-13), `None` if it holds the whole chunk, an error if it holds
    /// less than the chunk's start (`sent` is what had been sent, for the message).
    fn resume_point(
        &self,
        location: &mut String,
        offset: u64,
        end: u64,
        sent: u64,
    ) -> Result<Option<u64>, ClientError> {
        let (holds, new_location) = self.status(location)?;
        *location = new_location;
        if holds < offset || holds > end {
            return Err(ClientError::UploadLost { digest: self.digest.clone(), holds, sent });
        }
        Ok((holds != end).then_some(holds))
    }

    /// How many bytes the session holds (end-13), and its current location.
    fn status(&self, location: &str) -> Result<(u64, String), ClientError> {
        let request = endpoint::upload_status(self.registry, location, false)?;
        let response =
            self.client.send(self.registry, self.scope, &request, Payload::None, Retry::Yes)?;
        let response = self.client.expect(&request, response, &[StatusCode::NO_CONTENT])?;
        // `Range: 0-<last byte>`; no header (or `0-0` from some registries with nothing
        // received) means nothing yet.
        let holds = response
            .headers()
            .get(RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().trim_start_matches("bytes=").split_once('-'))
            .and_then(|(_, last)| last.trim().parse::<u64>().ok())
            .map_or(0, |last| if last == 0 { 0 } else { last + 1 });
        let location = location_or(self.client, &request, &response, location.to_owned())?;
        Ok((holds, location))
    }

    /// Whether the registry holds the blob now (a `HEAD`, best effort).
    fn exists(&self) -> bool {
        endpoint::get_blob(self.registry, self.repository, self.digest, true, None)
            .ok()
            .and_then(|r| {
                self.client.send(self.registry, self.scope, &r, Payload::None, Retry::Yes).ok()
            })
            .is_some_and(|r| r.status() == StatusCode::OK)
    }

    /// Cancels a session (end-14), best effort.
    fn cancel(&self, location: &str) {
        if let Ok(request) = endpoint::upload_status(self.registry, location, true) {
            let _ = self.client.send(self.registry, self.scope, &request, Payload::None, Retry::No);
        }
    }
}

fn location(
    client: &Client,
    request: &http::Request<endpoint::Body>,
    response: &Response,
) -> Result<String, ClientError> {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| client.transport(request, "the registry's answer has no Location"))
}

fn location_or(
    client: &Client,
    request: &http::Request<endpoint::Body>,
    response: &Response,
    previous: String,
) -> Result<String, ClientError> {
    Ok(location(client, request, response).unwrap_or(previous))
}

/// Failures another attempt may cure: the connection, or a 429 or 5xx answer.
fn worth_retrying(e: &ClientError) -> bool {
    match e {
        ClientError::Transport { .. } => true,
        other => other.status().is_some_and(super::retryable_status),
    }
}
