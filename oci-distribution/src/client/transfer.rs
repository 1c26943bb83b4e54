//! Moving blob bytes for the protocol core's download and upload sessions.

use std::io::{self, Read};
use std::time::Instant;

use http::StatusCode;
use oci_image::Descriptor;

use super::{Client, ClientError, Payload, read_small};
use crate::endpoint::{self, Registry};
use crate::proto::{BlobDownload, BlobUpload, DownloadStep, Replay, UploadOutcome, UploadStep};

/// A blob download as a reader: bytes stream from the connection through the
/// [`BlobDownload`] machine, which verifies them and says when and where to resume.
pub(crate) struct Download {
    client: Client,
    registry: Registry,
    scope: String,
    machine: BlobDownload,
    body: Option<ureq::BodyReader<'static>>,
    done: bool,
}

impl Download {
    /// Opens the download (the first request is sent here, so that a missing blob is
    /// reported at once). With `verify`, the digest is checked here; else only the size,
    /// for a caller that hashes the bytes itself.
    pub(crate) fn open(
        client: Client,
        registry: Registry,
        repository: &str,
        scope: String,
        descriptor: &Descriptor,
        verify: bool,
    ) -> Result<Self, ClientError> {
        let machine = BlobDownload::new(
            &registry,
            repository,
            descriptor,
            client.options().retry,
            Instant::now(),
        )?;
        let machine = if verify { machine } else { machine.without_digest_check() };
        let mut download = Self { client, registry, scope, machine, body: None, done: false };
        download.connect()?;
        Ok(download)
    }

    /// Polls the machine until it has a body streaming, or is done.
    fn connect(&mut self) -> Result<(), ClientError> {
        loop {
            match self.machine.poll(Instant::now())? {
                DownloadStep::Send(request) => {
                    let ok = [StatusCode::OK, StatusCode::PARTIAL_CONTENT];
                    let response = self.client.send(
                        &self.registry,
                        &self.scope,
                        &request,
                        Replay::Idempotent,
                        &ok,
                    )?;
                    let (parts, body) = response.into_parts();
                    self.machine.handle_head(&parts)?;
                    self.body = Some(body.into_reader());
                    return Ok(());
                }
                DownloadStep::Wait(wait) => std::thread::sleep(wait),
                _ => {
                    self.done = true;
                    return Ok(());
                }
            }
        }
    }
}

impl Read for Download {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.done {
                return Ok(0);
            }
            let Some(body) = self.body.as_mut() else {
                self.connect().map_err(crate::Error::into_io)?;
                continue;
            };
            match body.read(buf) {
                Ok(0) => {
                    self.body = None;
                    self.machine.handle_end(Instant::now()).map_err(crate::Error::into_io)?;
                }
                Ok(n) => {
                    let new = self.machine.handle_data(&buf[..n]).map_err(crate::Error::into_io)?;
                    if new.is_empty() {
                        continue;
                    }
                    let len = new.len();
                    buf.copy_within(new, 0);
                    return Ok(len);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.body = None;
                    self.machine
                        .handle_failure(Instant::now(), e.into())
                        .map_err(crate::Error::into_io)?;
                }
            }
        }
    }
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

/// Bytes of the content held for sending: the chunk in flight and, while it is, the next
/// one read ahead; each with the offset of its first byte in the blob.
#[derive(Default)]
struct Chunks {
    current: (u64, Vec<u8>),
    ahead: Option<(u64, Vec<u8>)>,
    /// A buffer to read into, kept so that chunks reuse memory rather than zero new.
    spare: Vec<u8>,
    /// Bytes read so far: where the next read starts.
    read: u64,
}

impl Chunks {
    /// Reads up to `len` bytes (fewer where the content ends) into `buf`, which starts
    /// at `start`.
    fn read(
        content: &mut dyn Read,
        mut buf: Vec<u8>,
        start: u64,
        len: u64,
    ) -> Result<(u64, Vec<u8>), io::Error> {
        let len = usize::try_from(len).map_err(|_| io::Error::other("chunk too large"))?;
        buf.resize(len, 0);
        let n = read_full(content, &mut buf)?;
        buf.truncate(n);
        Ok((start, buf))
    }

    /// A buffer for the next read: the spare one, or the one of a chunk done with.
    fn buffer(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.spare)
    }

    /// Makes `chunk` the current one; the old one's buffer becomes the spare.
    fn replace_current(&mut self, chunk: (u64, Vec<u8>)) {
        let old = std::mem::replace(&mut self.current, chunk);
        if old.1.capacity() > self.spare.capacity() {
            self.spare = old.1;
        }
    }

    /// The payload for a request: moves on to the chunk read ahead once the machine sends
    /// from it.
    fn payload(&mut self, request: &http::Request<endpoint::Body>) -> Payload<'_> {
        if let (endpoint::Body::Blob { offset, .. }, Some((start, _))) =
            (request.body(), &self.ahead)
            && offset >= start
            && let Some(next) = self.ahead.take()
        {
            self.replace_current(next);
        }
        Payload { data: &self.current.1, start: self.current.0 }
    }
}

/// A streamed body ([`UploadStep::Stream`]): the bytes held from the body's offset, then
/// the rest of the content as it is read, each piece accepted by the machine before it
/// goes out, and the last one only once the content is verified and ends.
struct StreamBody<'a> {
    held: Vec<&'a [u8]>,
    content: &'a mut dyn Read,
    machine: &'a mut BlobUpload,
    piece: Vec<u8>,
    at: usize,
    finished: bool,
}

impl Read for StreamBody<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while let Some(first) = self.held.first_mut() {
            if first.is_empty() {
                self.held.remove(0);
                continue;
            }
            let n = first.len().min(out.len());
            out[..n].copy_from_slice(&first[..n]);
            *first = &first[n..];
            return Ok(n);
        }
        if self.at == self.piece.len() {
            if self.finished {
                return Ok(0);
            }
            self.piece.resize(256 << 10, 0);
            let n = read_full(self.content, &mut self.piece)?;
            self.piece.truncate(n);
            self.at = 0;
            if n == 0 {
                self.finished = true;
                return if self.machine.end_stream() {
                    Ok(0)
                } else {
                    Err(io::Error::other("the content ended before its size"))
                };
            }
            if !self.machine.supply_stream(&self.piece) {
                return Err(io::Error::other("the content does not match its descriptor"));
            }
            if self.machine.stream_complete() {
                // The last piece: it goes out only if the content ends here.
                let mut probe = [0u8; 1];
                if read_full(self.content, &mut probe)? > 0 {
                    self.machine.supply_stream(&probe);
                    return Err(io::Error::other("the content goes on past its size"));
                }
                self.finished = true;
            }
        }
        let n = (self.piece.len() - self.at).min(out.len());
        out[..n].copy_from_slice(&self.piece[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Runs a [`BlobUpload`] with bytes read from `content`: one chunk in memory, and one
/// more read (and hashed) ahead while a chunk is in flight.
pub(crate) fn upload(
    client: &Client,
    registry: &Registry,
    scope: &str,
    mut machine: BlobUpload,
    content: &mut dyn Read,
) -> Result<UploadOutcome, ClientError> {
    let mut chunks = Chunks::default();
    loop {
        match machine.poll(Instant::now()) {
            UploadStep::Read(len) => match Chunks::read(content, chunks.buffer(), chunks.read, len)
            {
                Ok(chunk) => {
                    chunks.read += chunk.1.len() as u64;
                    machine.supply(&chunk.1);
                    chunks.replace_current(chunk);
                    chunks.ahead = None;
                }
                Err(e) => machine.abort(ClientError::Io(e)),
            },
            UploadStep::Send(request, replay) => {
                let ahead = machine.read_ahead();
                let start = chunks.read;
                let buffer = if ahead.is_some() { chunks.buffer() } else { Vec::new() };
                let payload = chunks.payload(&request);
                let send = || client.exchange(registry, scope, &request, replay, payload);
                let (result, read) = match ahead {
                    None => (send(), None),
                    // The request goes out on another thread while this one reads (and
                    // the machine hashes) the next chunk.
                    Some(len) => std::thread::scope(|threads| {
                        let sending = threads.spawn(send);
                        let read = Chunks::read(content, buffer, start, len);
                        if let Ok(chunk) = &read {
                            machine.supply_ahead(&chunk.1);
                        }
                        let result = sending.join().unwrap_or_else(|_| {
                            Err(ClientError::transport(&request, "the sending thread failed"))
                        });
                        (result, Some(read))
                    }),
                };
                match read {
                    Some(Ok(chunk)) => {
                        chunks.read += chunk.1.len() as u64;
                        chunks.ahead = Some(chunk);
                    }
                    Some(Err(e)) => {
                        machine.abort(ClientError::Io(e));
                        continue;
                    }
                    None => {}
                }
                match result {
                    Ok(response) => {
                        let (parts, body) = response.into_parts();
                        let bytes = if parts.status.is_success() {
                            super::drain(body);
                            Vec::new()
                        } else {
                            read_small(body, endpoint::MAX_SMALL_BODY).unwrap_or_default()
                        };
                        machine.handle_response(&request, &parts, &bytes, Instant::now());
                    }
                    Err(e @ ClientError::Transport { .. }) => {
                        machine.handle_failure(e, Instant::now())
                    }
                    Err(e) => machine.abort(e),
                }
            }
            UploadStep::Stream(request) => {
                let from = match request.body() {
                    endpoint::Body::Blob { offset, .. } => *offset,
                    _ => chunks.read,
                };
                let mut held = Vec::new();
                for (start, data) in std::iter::once(&chunks.current).chain(chunks.ahead.as_ref()) {
                    let end = start + data.len() as u64;
                    if from < end {
                        let skip =
                            usize::try_from(from.saturating_sub(*start)).unwrap_or(usize::MAX);
                        held.push(data.get(skip..).unwrap_or_default());
                    }
                }
                let mut body = StreamBody {
                    held,
                    content: &mut *content,
                    machine: &mut machine,
                    piece: Vec::new(),
                    at: 0,
                    finished: false,
                };
                let result = client.send_stream(registry, scope, &request, &mut body);
                match result {
                    Ok(response) => {
                        let (parts, body) = response.into_parts();
                        let bytes = if parts.status.is_success() {
                            super::drain(body);
                            Vec::new()
                        } else {
                            read_small(body, endpoint::MAX_SMALL_BODY).unwrap_or_default()
                        };
                        machine.handle_response(&request, &parts, &bytes, Instant::now());
                    }
                    Err(e) => machine.handle_failure(e, Instant::now()),
                }
            }
            UploadStep::Wait(wait) => std::thread::sleep(wait),
            UploadStep::Done(outcome) => return outcome,
        }
    }
}
