//! Blob bytes for the protocol core's download and upload sessions, async.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use http::StatusCode;
use oci_image::Descriptor;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::{Client, Payload, Repository, parts_of, read_small};
use crate::Error;
use crate::endpoint::{self, Registry};
use crate::proto::{BlobDownload, BlobUpload, DownloadStep, UploadOutcome, UploadStep};

struct DownloadState {
    client: Client,
    registry: Registry,
    scope: String,
    machine: BlobDownload,
    response: Option<reqwest::Response>,
    done: bool,
}

impl DownloadState {
    async fn connect(&mut self) -> Result<(), Error> {
        loop {
            match self.machine.poll(Instant::now())? {
                DownloadStep::Send(request) => {
                    let ok = [StatusCode::OK, StatusCode::PARTIAL_CONTENT];
                    let response =
                        self.client.send(&self.registry, &self.scope, &request, &ok).await?;
                    self.machine.handle_head(&parts_of(&response))?;
                    self.response = Some(response);
                    return Ok(());
                }
                DownloadStep::Wait(wait) => tokio::time::sleep(wait).await,
                _ => {
                    self.done = true;
                    return Ok(());
                }
            }
        }
    }

    async fn next_chunk(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            if self.done {
                return Ok(None);
            }
            let Some(response) = self.response.as_mut() else {
                self.connect().await?;
                continue;
            };
            match response.chunk().await {
                Ok(Some(bytes)) => {
                    let new = self.machine.handle_data(&bytes)?;
                    if !new.is_empty() {
                        return Ok(Some(bytes.slice(new)));
                    }
                }
                Ok(None) => {
                    self.response = None;
                    self.machine.handle_end(Instant::now())?;
                }
                Err(e) => {
                    self.response = None;
                    self.machine.handle_failure(Instant::now(), Box::new(e))?;
                }
            }
        }
    }
}

type ChunkFuture = Pin<
    Box<dyn std::future::Future<Output = (DownloadState, Result<Option<Bytes>, Error>)> + Send>,
>;

/// A blob's bytes as they arrive, verified: a [`Stream`] of chunks whose last item is
/// an error if the blob does not match its descriptor (size or digest). Resumes with
/// `Range` when the connection drops, as the protocol core decides.
pub struct BlobStream {
    state: Option<DownloadState>,
    pending: Option<ChunkFuture>,
}

impl std::fmt::Debug for BlobStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStream").finish_non_exhaustive()
    }
}

impl BlobStream {
    /// Opens the download (the first request is sent here, so that a missing blob is
    /// reported at once).
    pub(crate) async fn open(
        repository: &Repository,
        descriptor: &Descriptor,
        verify: bool,
    ) -> Result<Self, Error> {
        let client = repository.client.clone();
        let machine = BlobDownload::new(
            &repository.registry,
            &repository.name,
            descriptor,
            client.options().retry,
            Instant::now(),
        )?;
        let machine = if verify { machine } else { machine.without_digest_check() };
        let mut state = DownloadState {
            client,
            registry: repository.registry.clone(),
            scope: repository.pull_scope.clone(),
            machine,
            response: None,
            done: false,
        };
        state.connect().await?;
        Ok(Self { state: Some(state), pending: None })
    }

    /// The next chunk; `None` once every byte arrived and verified.
    ///
    /// # Errors
    /// [`Error::Verify`] for content that does not match, else the transfer's failure.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if let Some(pending) = self.pending.take() {
            let (state, result) = pending.await;
            self.state = Some(state);
            return result;
        }
        match self.state.as_mut() {
            Some(state) => state.next_chunk().await,
            None => Ok(None),
        }
    }
}

impl Stream for BlobStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.pending.is_none() {
            let Some(mut state) = this.state.take() else { return Poll::Ready(None) };
            this.pending = Some(Box::pin(async move {
                let result = state.next_chunk().await;
                (state, result)
            }));
        }
        let Some(pending) = this.pending.as_mut() else { return Poll::Ready(None) };
        match pending.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready((state, result)) => {
                this.pending = None;
                match result {
                    Ok(Some(bytes)) => {
                        this.state = Some(state);
                        Poll::Ready(Some(Ok(bytes)))
                    }
                    Ok(None) => Poll::Ready(None),
                    // An error ends the stream.
                    Err(e) => Poll::Ready(Some(Err(e))),
                }
            }
        }
    }
}

/// Reads up to `len` bytes of `content` (fewer where it ends).
async fn read_chunk<R: AsyncRead + Unpin>(content: &mut R, len: u64) -> std::io::Result<Bytes> {
    let len = usize::try_from(len).map_err(|_| std::io::Error::other("chunk too large"))?;
    let mut buf = BytesMut::with_capacity(len);
    while buf.len() < len {
        if (&mut *content).take((len - buf.len()) as u64).read_buf(&mut buf).await? == 0 {
            break;
        }
    }
    Ok(buf.freeze())
}

/// Runs a [`BlobUpload`] with bytes read from `content`: one chunk in memory, and one
/// more read (and hashed) ahead while a chunk is in flight.
pub(crate) async fn upload<R: AsyncRead + Unpin>(
    client: &Client,
    registry: &Registry,
    scope: &str,
    mut machine: BlobUpload,
    content: &mut R,
) -> Result<UploadOutcome, Error> {
    let mut current = Payload { data: Bytes::new(), start: 0 };
    let mut ahead: Option<Payload> = None;
    let mut read = 0u64;
    loop {
        match machine.poll(Instant::now()) {
            UploadStep::Read(len) => match read_chunk(content, len).await {
                Ok(data) => {
                    machine.supply(&data);
                    current = Payload { start: read, data };
                    read += current.data.len() as u64;
                    ahead = None;
                }
                Err(e) => machine.abort(Error::Io(e)),
            },
            UploadStep::Send(request, replay) => {
                if let (crate::endpoint::Body::Blob { offset, .. }, Some(next)) =
                    (request.body(), &ahead)
                    && *offset >= next.start
                    && let Some(next) = ahead.take()
                {
                    current = next;
                }
                let next_len = machine.read_ahead();
                let send = client.exchange(registry, scope, &request, replay, &current);
                let (result, next) = match next_len {
                    None => (send.await, None),
                    // The next chunk is read (and hashed by the machine) while this one is
                    // in flight.
                    Some(len) => {
                        let reading = async {
                            let data = read_chunk(content, len).await;
                            if let Ok(data) = &data {
                                machine.supply_ahead(data);
                            }
                            data
                        };
                        let (result, data) = futures_util::future::join(send, reading).await;
                        (result, Some(data))
                    }
                };
                match next {
                    Some(Ok(data)) => {
                        ahead = Some(Payload { start: read, data });
                        read += ahead.as_ref().map_or(0, |a| a.data.len() as u64);
                    }
                    Some(Err(e)) => {
                        machine.abort(Error::Io(e));
                        continue;
                    }
                    None => {}
                }
                match result {
                    Ok(response) => {
                        let parts = parts_of(&response);
                        let bytes = if parts.status.is_success() {
                            let _ = read_small(response, 64 << 10).await;
                            Vec::new()
                        } else {
                            read_small(response, endpoint::MAX_SMALL_BODY).await.unwrap_or_default()
                        };
                        machine.handle_response(&request, &parts, &bytes, Instant::now());
                    }
                    Err(e @ Error::Transport { .. }) => machine.handle_failure(e, Instant::now()),
                    Err(e) => machine.abort(e),
                }
            }
            UploadStep::Stream(request) => {
                let from = match request.body() {
                    crate::endpoint::Body::Blob { offset, .. } => *offset,
                    _ => read,
                };
                let mut held = Vec::new();
                for part in std::iter::once(&current).chain(ahead.as_ref()) {
                    let end = part.start + part.data.len() as u64;
                    if from < end {
                        let skip =
                            usize::try_from(from.saturating_sub(part.start)).unwrap_or(usize::MAX);
                        held.push(part.data.slice(skip.min(part.data.len())..));
                    }
                }
                let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
                let stream = futures_util::stream::unfold(rx, |mut rx| async move {
                    rx.recv().await.map(|item| (item, rx))
                });
                let send = client.send_stream(
                    registry,
                    scope,
                    &request,
                    reqwest::Body::wrap_stream(stream),
                );
                let produce = stream_body(held, &mut *content, &mut machine, tx);
                let (result, ()) = futures_util::future::join(send, produce).await;
                match result {
                    Ok(response) => {
                        let parts = parts_of(&response);
                        let bytes = if parts.status.is_success() {
                            let _ = read_small(response, 64 << 10).await;
                            Vec::new()
                        } else {
                            read_small(response, endpoint::MAX_SMALL_BODY).await.unwrap_or_default()
                        };
                        machine.handle_response(&request, &parts, &bytes, Instant::now());
                    }
                    Err(e) => machine.handle_failure(e, Instant::now()),
                }
            }
            UploadStep::Wait(wait) => tokio::time::sleep(wait).await,
            UploadStep::Done(outcome) => return outcome,
        }
    }
}

/// Feeds a streamed body ([`UploadStep::Stream`]): the held bytes, then the rest of the
/// content as it is read, each piece accepted by the machine before it goes, the last
/// only once the content is verified and ends. A failure goes down the channel as an
/// error, which fails the request.
async fn stream_body<R: AsyncRead + Unpin>(
    held: Vec<Bytes>,
    content: &mut R,
    machine: &mut BlobUpload,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    for part in held {
        if tx.send(Ok(part)).await.is_err() {
            return;
        }
    }
    loop {
        let piece = match read_chunk(content, 256 << 10).await {
            Ok(piece) => piece,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        if piece.is_empty() {
            if !machine.end_stream() {
                let _ =
                    tx.send(Err(std::io::Error::other("the content ended before its size"))).await;
            }
            return;
        }
        if !machine.supply_stream(&piece) {
            let _ = tx
                .send(Err(std::io::Error::other("the content does not match its descriptor")))
                .await;
            return;
        }
        if machine.stream_complete() {
            // The last piece: it goes out only if the content ends here.
            match read_chunk(content, 1).await {
                Ok(extra) if !extra.is_empty() => {
                    machine.supply_stream(&extra);
                    let _ = tx
                        .send(Err(std::io::Error::other("the content goes on past its size")))
                        .await;
                }
                Ok(_) => {
                    let _ = tx.send(Ok(piece)).await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                }
            }
            return;
        }
        if tx.send(Ok(piece)).await.is_err() {
            return;
        }
    }
}
