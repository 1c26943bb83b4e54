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

/// A [`ClientError`] as the I/O error a reader returns: a verification failure stays
/// recognisable ([`oci_image::content::Error::from_read`]).
fn to_io(e: ClientError) -> io::Error {
    match e {
        ClientError::Verify { source, .. } => source.into(),
        ClientError::Io(e) => e,
        other => io::Error::other(other),
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
                self.connect().map_err(to_io)?;
                continue;
            };
            match body.read(buf) {
                Ok(0) => {
                    self.body = None;
                    self.machine.handle_end(Instant::now()).map_err(to_io)?;
                }
                Ok(n) => {
                    let new = self.machine.handle_data(&buf[..n]).map_err(to_io)?;
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
                    self.machine.handle_failure(Instant::now(), e.into()).map_err(to_io)?;
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

/// Runs a [`BlobUpload`] with bytes read from `content`, one chunk in memory at a time.
pub(crate) fn upload(
    client: &Client,
    registry: &Registry,
    scope: &str,
    mut machine: BlobUpload,
    content: &mut dyn Read,
) -> Result<UploadOutcome, ClientError> {
    let mut buf: Vec<u8> = Vec::new();
    let mut start = 0u64;
    loop {
        match machine.poll(Instant::now()) {
            UploadStep::Read(len) => {
                start += buf.len() as u64;
                let Ok(len) = usize::try_from(len) else {
                    machine.abort(ClientError::Io(io::Error::other("chunk too large")));
                    continue;
                };
                buf.clear();
                buf.resize(len, 0);
                match read_full(content, &mut buf) {
                    Ok(n) => {
                        buf.truncate(n);
                        machine.supply(&buf);
                    }
                    Err(e) => machine.abort(ClientError::Io(e)),
                }
            }
            UploadStep::Send(request, replay) => {
                let payload = Payload { data: &buf, start };
                match client.exchange(registry, scope, &request, replay, payload) {
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
            UploadStep::Wait(wait) => std::thread::sleep(wait),
            UploadStep::Done(outcome) => return outcome,
        }
    }
}
