//! Streaming bodies: daemon bytes → frames or lines → typed values.
//!
//! - [`LogStream`]: stdout/stderr of `logs`, `attach` and `exec`, demultiplexed
//!   from Docker's 8-byte frame headers, or passed through when a TTY is
//!   allocated (the daemon then sends raw bytes).
//! - [`JsonLines`]: one JSON document per line (`events`, `stats`, pull, push,
//!   build and load progress) decoded into a generated type, with an
//!   `{"error": ...}` line surfaced as an error.
//! - [`ByteStreamExt::into_async_read`]: tar downloads as an `AsyncRead`.
//!
//! The demultiplexer passes each frame on in pieces as they arrive, and the
//! line decoder holds at most one incomplete line, so a stream of any length
//! runs in constant memory; none of them panics on malformed input: the error
//! says what and where, and a bad JSON line does not end the stream.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use futures_core::Stream;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind, MAX_ERROR_BODY, cut_message};

/// One chunk of a container's output.
#[derive(Clone, PartialEq, Eq)]
pub enum LogOutput {
    StdIn(Bytes),
    StdOut(Bytes),
    StdErr(Bytes),
    /// Output of a container with a TTY: stdout and stderr are one stream.
    Console(Bytes),
}

impl LogOutput {
    pub fn bytes(&self) -> &Bytes {
        match self {
            LogOutput::StdIn(b)
            | LogOutput::StdOut(b)
            | LogOutput::StdErr(b)
            | LogOutput::Console(b) => b,
        }
    }

    pub fn into_bytes(self) -> Bytes {
        match self {
            LogOutput::StdIn(b)
            | LogOutput::StdOut(b)
            | LogOutput::StdErr(b)
            | LogOutput::Console(b) => b,
        }
    }
}

impl fmt::Debug for LogOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            LogOutput::StdIn(_) => "StdIn",
            LogOutput::StdOut(_) => "StdOut",
            LogOutput::StdErr(_) => "StdErr",
            LogOutput::Console(_) => "Console",
        };
        write!(f, "{name}({:?})", String::from_utf8_lossy(self.bytes()))
    }
}

impl fmt::Display for LogOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.bytes()))
    }
}

/// How the daemon framed an output stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// 8-byte headers (`application/vnd.docker.multiplexed-stream`): no TTY.
    Multiplexed,
    /// Raw bytes (`application/vnd.docker.raw-stream`): a TTY was allocated.
    Raw,
    /// The daemon did not say reliably: the first bytes decide. A frame
    /// header starts with a stream id (0–3) and three zero bytes, which no
    /// terminal output does; anything else is raw.
    ///
    /// Needed because the header only became reliable with API v1.42:
    /// before, Docker sends logs without a `Content-Type` and hijacked
    /// attach and exec as `raw-stream` even when they are multiplexed (also
    /// at `/v1.41` on newer daemons); Podman sends logs as
    /// `application/octet-stream` or `text/plain`. The Go CLI looks at the
    /// container's `Tty` instead, which costs a request.
    Unknown,
}

impl Framing {
    /// The framing a `Content-Type` announces (`None` when it says neither).
    /// Only `multiplexed-stream` is reliable at every API version; see
    /// [`Framing::Unknown`].
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        if content_type.contains("multiplexed-stream") {
            Some(Framing::Multiplexed)
        } else if content_type.contains("raw-stream") {
            Some(Framing::Raw)
        } else {
            None
        }
    }

    /// The framing of an answer with this `Content-Type` (if any) to a
    /// request of API `version` (if known): `multiplexed-stream` always says
    /// so; `raw-stream` only from v1.42 on; anything else is
    /// [`Framing::Unknown`].
    pub fn of_answer(content_type: Option<&str>, version: Option<crate::ApiVersion>) -> Self {
        let reliable_raw = version.is_some_and(|v| v >= crate::ApiVersion::new(1, 42));
        match content_type.and_then(Self::from_content_type) {
            Some(Framing::Multiplexed) => Framing::Multiplexed,
            Some(Framing::Raw) if reliable_raw => Framing::Raw,
            _ => Framing::Unknown,
        }
    }

    /// What the first bytes of a stream say (`None`: not enough bytes yet).
    fn sniff(start: &[u8]) -> Option<Self> {
        let looks_like_header = |i: usize, b: u8| if i == 0 { b <= 3 } else { b == 0 };
        if start
            .iter()
            .take(4)
            .enumerate()
            .any(|(i, b)| !looks_like_header(i, *b))
        {
            return Some(Framing::Raw);
        }
        (start.len() >= 4).then_some(Framing::Multiplexed)
    }
}

/// Splits Docker's multiplexed frames: `[stream, 0, 0, 0, len(4 bytes BE)]`
/// then `len` bytes. A payload is passed on in pieces as it arrives (slices of
/// the incoming chunks, no copy), so a frame of any size streams through in
/// constant memory; only the header, and the daemon's own error message
/// (stream 3, up to [`MAX_ERROR_BODY`]), are held back.
#[derive(Debug, Default)]
pub(crate) struct FrameDecoder {
    /// Input not looked at yet (a slice of the last chunk pushed).
    input: Bytes,
    /// The header being read, and how much of it has arrived.
    header: [u8; HEADER],
    header_len: usize,
    /// The frame whose payload is being passed on.
    frame: Option<Frame>,
    /// Bytes consumed so far, for error positions.
    offset: u64,
}

#[derive(Debug)]
struct Frame {
    stream: u8,
    len: u32,
    remaining: u32,
    /// Where its header began, for error positions.
    start: u64,
    /// Stream 3: the daemon's message, collected to be reported whole.
    message: Vec<u8>,
}

const HEADER: usize = 8;

impl FrameDecoder {
    /// Takes the next chunk; call only once [`FrameDecoder::next_piece`]
    /// returned `None` (everything before was consumed).
    pub(crate) fn push(&mut self, chunk: Bytes) {
        debug_assert!(self.input.is_empty());
        self.input = chunk;
    }

    /// The next piece of output from the input pushed so far: `None` when
    /// it is all consumed. Empty frames yield nothing.
    pub(crate) fn next_piece(&mut self) -> Option<Result<LogOutput, Error>> {
        while !self.input.is_empty() {
            let Some(frame) = &mut self.frame else {
                let take = (HEADER - self.header_len).min(self.input.len());
                self.header[self.header_len..self.header_len + take]
                    .copy_from_slice(&self.input[..take]);
                self.input.advance(take);
                self.header_len += take;
                if self.header_len == HEADER
                    && let Err(e) = self.start_frame()
                {
                    return Some(Err(e));
                }
                continue;
            };
            let take = (frame.remaining as usize).min(self.input.len());
            let piece = self.input.split_to(take);
            frame.remaining -= take as u32;
            self.offset += take as u64;
            let done = frame.remaining == 0;
            let item = match frame.stream {
                0 => Some(Ok(LogOutput::StdIn(piece))),
                1 => Some(Ok(LogOutput::StdOut(piece))),
                2 => Some(Ok(LogOutput::StdErr(piece))),
                _ => {
                    let room = MAX_ERROR_BODY.saturating_sub(frame.message.len());
                    frame
                        .message
                        .extend_from_slice(&piece[..piece.len().min(room)]);
                    done.then(|| Err(daemon_error(frame)))
                }
            };
            if done {
                self.frame = None;
            }
            if item.is_some() {
                return item;
            }
        }
        None
    }

    /// A complete header: checks it and starts its frame. The length needs no
    /// check: any 32-bit length is a frame the protocol can carry.
    fn start_frame(&mut self) -> Result<(), Error> {
        let header = self.header;
        let start = self.offset;
        self.header_len = 0;
        self.offset += HEADER as u64;
        let stream = header[0];
        if stream > 3 || header[1..4] != [0, 0, 0] {
            let shown: Vec<String> = header.iter().map(|b| format!("{b:02x}")).collect();
            return Err(Error::new(
                ErrorKind::Stream,
                format!(
                    "malformed output frame header at byte {start}: [{}] (expected stream 0-3, then three zero bytes)",
                    shown.join(" ")
                ),
            ));
        }
        let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        let frame = Frame {
            stream,
            len,
            remaining: len,
            start,
            message: Vec::new(),
        };
        if len > 0 {
            self.frame = Some(frame);
        } else if stream == 3 {
            return Err(daemon_error(&frame));
        }
        Ok(())
    }

    /// At end of input: an error if a frame was cut off.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        let (start, received, expected) = match &self.frame {
            Some(f) => (
                f.start,
                HEADER as u64 + u64::from(f.len - f.remaining),
                HEADER as u64 + u64::from(f.len),
            ),
            None if self.header_len > 0 => (self.offset, self.header_len as u64, HEADER as u64),
            None => return Ok(()),
        };
        Err(Error::new(
            ErrorKind::Stream,
            format!(
                "the output stream ended inside a frame at byte {start} ({received} of {expected} bytes received)"
            ),
        ))
    }
}

/// Stream 3 carries the daemon's own error about the stream.
fn daemon_error(frame: &Frame) -> Error {
    let text = String::from_utf8_lossy(&frame.message);
    let message = cut_message(text.trim().to_string(), frame.len as usize > MAX_ERROR_BODY);
    if message.is_empty() {
        return Error::new(
            ErrorKind::Stream,
            "the daemon reported an error on the stream, without a message",
        );
    }
    Error::new(ErrorKind::Stream, format!("the daemon reported: {message}"))
}

/// Container output as typed chunks: frames demultiplexed, or raw console
/// bytes; a malformed or cut-off frame is an error that ends the stream.
pub struct LogStream<S> {
    inner: S,
    framing: Framing,
    frames: FrameDecoder,
    /// While the framing is [`Framing::Unknown`]: the first bytes (at most
    /// four are needed to decide).
    start: BytesMut,
    done: bool,
}

impl<S> LogStream<S> {
    pub fn new(inner: S, framing: Framing) -> Self {
        Self {
            inner,
            framing,
            frames: FrameDecoder::default(),
            start: BytesMut::new(),
            done: false,
        }
    }

    /// With [`Framing::Unknown`], takes a chunk until the framing is known;
    /// returns the bytes to go on with once it is.
    fn decide(&mut self, chunk: Bytes) -> Option<Bytes> {
        self.start.extend_from_slice(&chunk);
        let framing = Framing::sniff(&self.start)?;
        self.framing = framing;
        Some(std::mem::take(&mut self.start).freeze())
    }
}

impl<S, E> Stream for LogStream<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Into<Error>,
{
    type Item = Result<LogOutput, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if this.framing == Framing::Multiplexed
                && let Some(frame) = this.frames.next_piece()
            {
                if frame.is_err() {
                    // After a bad header the rest cannot be framed.
                    this.done = true;
                }
                return Poll::Ready(Some(frame));
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    let chunk = match this.framing {
                        Framing::Unknown => match this.decide(chunk) {
                            Some(start) => start,
                            None => continue,
                        },
                        _ => chunk,
                    };
                    match this.framing {
                        Framing::Raw if !chunk.is_empty() => {
                            return Poll::Ready(Some(Ok(LogOutput::Console(chunk))));
                        }
                        Framing::Multiplexed => this.frames.push(chunk),
                        _ => continue,
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e.into())));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    // A stream that ended before its framing was clear
                    // (fewer than four bytes, all like a header's start) is
                    // passed on as it is: nothing is lost.
                    if !this.start.is_empty() {
                        let rest = std::mem::take(&mut this.start).freeze();
                        return Poll::Ready(Some(Ok(LogOutput::Console(rest))));
                    }
                    return Poll::Ready(this.frames.finish().err().map(Err));
                }
            }
        }
    }
}

/// A JSON-lines stream decoded into `T`: an `{"error": ...}` line is an
/// error; a line that does not decode is an error, and the stream goes on.
pub struct JsonLines<S, T> {
    inner: S,
    buf: BytesMut,
    /// Bytes of `buf` already searched for a newline.
    scanned: usize,
    line: u64,
    done: bool,
    _item: PhantomData<fn() -> T>,
}

/// A line longer than this is an error, not a reason to buffer without end.
const MAX_LINE: usize = 64 << 20;

impl<S, T> JsonLines<S, T> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            buf: BytesMut::new(),
            scanned: 0,
            line: 0,
            done: false,
            _item: PhantomData,
        }
    }

    fn take_line(&mut self) -> Option<Bytes> {
        let start = self.scanned.min(self.buf.len());
        match self.buf[start..].iter().position(|b| *b == b'\n') {
            Some(i) => {
                self.scanned = 0;
                Some(self.buf.split_to(start + i + 1).freeze())
            }
            None => {
                self.scanned = self.buf.len();
                None
            }
        }
    }
}

/// Progress streams report failure in-band, with HTTP 200: `{"error": "..."}`.
#[derive(serde::Deserialize)]
struct ErrorLine {
    error: Option<String>,
    #[serde(rename = "errorDetail")]
    error_detail: Option<ErrorDetail>,
}

#[derive(serde::Deserialize)]
struct ErrorDetail {
    message: Option<String>,
}

/// Decodes one line: `None` for a blank line.
pub(crate) fn decode_line<T: DeserializeOwned>(
    line: &[u8],
    number: u64,
) -> Option<Result<T, Error>> {
    let text = line.trim_ascii();
    if text.is_empty() {
        return None;
    }
    // Only lines that mention an error key pay for a second parse.
    if memchr_error_key(text)
        && let Ok(ErrorLine {
            error,
            error_detail,
        }) = serde_json::from_slice::<ErrorLine>(text)
    {
        let message = error_detail
            .and_then(|d| d.message)
            .or(error)
            .filter(|m| !m.is_empty());
        if let Some(message) = message {
            return Some(Err(Error::new(ErrorKind::Stream, message)));
        }
    }
    Some(
        serde_json::from_slice::<T>(text)
            .map_err(|e| Error::decode(&format!("line {number} of the stream"), text, e)),
    )
}

fn memchr_error_key(text: &[u8]) -> bool {
    text.windows(7).any(|w| w == b"\"error\"")
}

impl<S, E, T> Stream for JsonLines<S, T>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Into<Error>,
    T: DeserializeOwned,
{
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            while let Some(line) = this.take_line() {
                this.line += 1;
                if let Some(item) = decode_line(&line, this.line) {
                    return Poll::Ready(Some(item));
                }
            }
            if this.done {
                return Poll::Ready(None);
            }
            if this.buf.len() > MAX_LINE {
                this.done = true;
                this.buf.clear();
                this.scanned = 0;
                return Poll::Ready(Some(Err(Error::new(
                    ErrorKind::Stream,
                    format!(
                        "line {} of the stream is longer than {MAX_LINE} bytes",
                        this.line + 1
                    ),
                ))));
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.buf.extend_from_slice(&chunk),
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e.into())));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    // A last line without a newline is still a line.
                    let rest = std::mem::take(&mut this.buf).freeze();
                    this.scanned = 0;
                    this.line += 1;
                    if let Some(item) = decode_line(&rest, this.line) {
                        return Poll::Ready(Some(item));
                    }
                    return Poll::Ready(None);
                }
            }
        }
    }
}

/// The body stream every generated streaming operation answers.
pub type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

/// Decoding for the `ByteStream` that generated streaming operations answer.
pub trait ByteStreamExt: Sized {
    /// `logs`, `attach`, `exec` output. Use [`ResponseExt::output`] to pick
    /// the framing from the response's `Content-Type` instead.
    fn output(self, framing: Framing) -> LogStream<Body>;
    /// One `T` per line; `T` is usually `api::stream_items::<Operation>`.
    fn json_lines<T: DeserializeOwned>(self) -> JsonLines<Body, T>;
    /// The bytes as an `AsyncRead` (tar archives of `export`, `archive`,
    /// image `get`), without buffering the whole body.
    fn into_async_read(self) -> impl tokio::io::AsyncRead + Send + Sync + Unpin;
}

// What a multi-thread runtime's own thread needs to read a body quickly is
// done where the generated code makes the `ByteStream` (the runtime's
// `read_stream` and its `hand_off.rs`).
impl ByteStreamExt for progenitor_client::ByteStream {
    fn output(self, framing: Framing) -> LogStream<Body> {
        LogStream::new(self.into_inner(), framing)
    }

    fn json_lines<T: DeserializeOwned>(self) -> JsonLines<Body, T> {
        JsonLines::new(self.into_inner())
    }

    fn into_async_read(self) -> impl tokio::io::AsyncRead + Send + Sync + Unpin {
        use futures_util::TryStreamExt;
        tokio_util::io::StreamReader::new(self.into_inner().map_err(std::io::Error::other))
    }
}

/// For a whole `ResponseValue<ByteStream>`: its headers, and its first bytes,
/// say how it is framed.
pub trait ResponseExt {
    /// Container output: demultiplexed when the `Content-Type` says
    /// `multiplexed-stream`, else as its first bytes say (a frame header, or
    /// raw TTY output; see [`Framing::Unknown`]).
    fn output(self) -> LogStream<Body>;
}

impl ResponseExt for progenitor_client::ResponseValue<progenitor_client::ByteStream> {
    fn output(self) -> LogStream<Body> {
        // The request's API version is not known here: only
        // `multiplexed-stream` is trusted, the first bytes decide otherwise.
        let content_type = self
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let framing = Framing::of_answer(content_type, None);
        self.into_inner().output(framing)
    }
}

/// A request body streamed from an `AsyncRead` (a tar file for `put_archive`,
/// `image_load`, `image_build`), without reading it into memory.
///
/// Reads in 64 KiB chunks: tokio-util's default of 4 KiB makes every read of
/// a `tokio::fs::File` a trip through the blocking thread pool, which cost
/// image loads two thirds of their throughput and 8× the CPU (see the
/// benchmarks in the README).
pub fn body_from_reader<R>(reader: R) -> reqwest::Body
where
    R: tokio::io::AsyncRead + Send + Sync + 'static,
{
    const CHUNK: usize = 64 * 1024;
    reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(reader, CHUNK))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{StreamExt, stream};

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![kind, 0, 0, 0];
        f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn chunks(bytes: Vec<u8>, size: usize) -> impl Stream<Item = Result<Bytes, Error>> + Unpin {
        let parts: Vec<Result<Bytes, Error>> = bytes
            .chunks(size.max(1))
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        stream::iter(parts)
    }

    async fn collect_output(
        bytes: Vec<u8>,
        size: usize,
        framing: Framing,
    ) -> Vec<Result<LogOutput, Error>> {
        LogStream::new(chunks(bytes, size), framing).collect().await
    }

    /// Consecutive pieces of one stream, joined: what a reader of each
    /// stream sees, in order.
    fn joined(items: &[Result<LogOutput, Error>]) -> Vec<(&'static str, Vec<u8>)> {
        let mut runs: Vec<(&'static str, Vec<u8>)> = Vec::new();
        for item in items {
            let item = item.as_ref().unwrap();
            let name = match item {
                LogOutput::StdIn(_) => "stdin",
                LogOutput::StdOut(_) => "stdout",
                LogOutput::StdErr(_) => "stderr",
                LogOutput::Console(_) => "console",
            };
            match runs.last_mut() {
                Some((last, bytes)) if *last == name => bytes.extend_from_slice(item.bytes()),
                _ => runs.push((name, item.bytes().to_vec())),
            }
        }
        runs
    }

    #[tokio::test]
    async fn demultiplexes_across_any_chunking() {
        let mut input = frame(1, b"hello ");
        input.extend(frame(2, b"oops\n"));
        input.extend(frame(1, b""));
        input.extend(frame(1, b"world\n"));
        for size in [1, 3, 8, 9, 1000] {
            let out = collect_output(input.clone(), size, Framing::Multiplexed).await;
            assert!(out.iter().all(|o| !o.as_ref().unwrap().bytes().is_empty()));
            assert_eq!(
                joined(&out),
                vec![
                    ("stdout", b"hello ".to_vec()),
                    ("stderr", b"oops\n".to_vec()),
                    ("stdout", b"world\n".to_vec()),
                ],
                "chunk size {size}"
            );
        }
        // Frames that arrive whole are passed on whole.
        let out = collect_output(input, 1000, Framing::Multiplexed).await;
        assert_eq!(out.len(), 3);
    }

    #[tokio::test]
    async fn unknown_framing_is_decided_by_the_first_bytes() {
        // Multiplexed frames, whatever the chunking (even one byte at a time).
        let mut input = frame(1, b"out\n");
        input.extend(frame(2, b"err\n"));
        for size in [1, 2, 3, 4, 5, 100] {
            let out = collect_output(input.clone(), size, Framing::Unknown).await;
            assert_eq!(
                joined(&out),
                vec![("stdout", b"out\n".to_vec()), ("stderr", b"err\n".to_vec())],
                "chunk size {size}"
            );
        }
        // TTY output: raw as soon as the first bytes say so, nothing lost.
        for text in [&b"out\r\nerr\r\n"[..], b"\x01x", b"\x02\x00\x00a", b"$"] {
            for size in [1, 3, 100] {
                let out = collect_output(text.to_vec(), size, Framing::Unknown).await;
                assert_eq!(
                    joined(&out),
                    vec![("console", text.to_vec())],
                    "chunk size {size}"
                );
            }
        }
        // A stream that ends undecided loses nothing.
        let out = collect_output(vec![1, 0], 1, Framing::Unknown).await;
        assert_eq!(joined(&out), vec![("console", vec![1, 0])]);
        assert!(
            collect_output(Vec::new(), 1, Framing::Unknown)
                .await
                .is_empty()
        );
    }

    #[test]
    fn only_multiplexed_is_trusted_before_v1_42() {
        use crate::ApiVersion;
        let raw = Some("application/vnd.docker.raw-stream");
        let mux = Some("application/vnd.docker.multiplexed-stream");
        let v = |m| Some(ApiVersion::new(1, m));
        assert_eq!(Framing::of_answer(mux, v(41)), Framing::Multiplexed);
        assert_eq!(Framing::of_answer(raw, v(41)), Framing::Unknown);
        assert_eq!(Framing::of_answer(raw, v(42)), Framing::Raw);
        assert_eq!(Framing::of_answer(raw, None), Framing::Unknown);
        assert_eq!(Framing::of_answer(None, v(51)), Framing::Unknown);
        assert_eq!(
            Framing::of_answer(Some("text/plain"), v(41)),
            Framing::Unknown
        );
    }

    #[tokio::test]
    async fn frames_of_any_size_stream_in_pieces() {
        // A 100 MiB frame, as 64 KiB chunks of one shared buffer: every
        // piece is out before the frame is complete, none larger than a chunk.
        const CHUNK: usize = 64 << 10;
        const LEN: usize = 100 << 20;
        let block = Bytes::from(vec![7u8; CHUNK]);
        let mut header = vec![1, 0, 0, 0];
        header.extend_from_slice(&(LEN as u32).to_be_bytes());
        let parts = std::iter::once(Bytes::from(header))
            .chain(std::iter::repeat_n(block, LEN / CHUNK))
            .map(Ok::<_, Error>);
        let mut out = LogStream::new(stream::iter(parts), Framing::Multiplexed);
        let (mut total, mut largest, mut pieces) = (0, 0, 0);
        while let Some(piece) = out.next().await {
            let piece = piece.unwrap();
            assert!(matches!(piece, LogOutput::StdOut(_)));
            total += piece.bytes().len();
            largest = largest.max(piece.bytes().len());
            pieces += 1;
        }
        assert_eq!((total, largest, pieces), (LEN, CHUNK, LEN / CHUNK));

        // The largest length the header can say is a frame like any other.
        let mut most = vec![2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        most.extend_from_slice(b"partial");
        let out = collect_output(most, 3, Framing::Multiplexed).await;
        let (last, pieces) = out.split_last().unwrap();
        assert_eq!(joined(pieces), vec![("stderr", b"partial".to_vec())]);
        let e = last.as_ref().unwrap_err();
        assert!(
            e.message()
                .contains("ended inside a frame at byte 0 (15 of 4294967303 bytes"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn malformed_and_truncated_frames_are_errors() {
        let mut bad = frame(1, b"ok");
        bad.extend([9, 0, 0, 0, 0, 0, 0, 1, b'x']);
        let out = collect_output(bad, 5, Framing::Multiplexed).await;
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].as_ref().unwrap(),
            &LogOutput::StdOut(Bytes::from_static(b"ok"))
        );
        let e = out[1].as_ref().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Stream);
        assert!(e.message().contains("byte 10"), "{e}");

        let mut cut = frame(1, b"complete");
        cut.extend(&frame(2, b"cut off")[..10]);
        let out = collect_output(cut, 4, Framing::Multiplexed).await;
        let (last, pieces) = out.split_last().unwrap();
        assert_eq!(
            joined(pieces),
            vec![("stdout", b"complete".to_vec()), ("stderr", b"cu".to_vec())]
        );
        let e = last.as_ref().unwrap_err();
        assert!(
            e.message()
                .contains("ended inside a frame at byte 16 (10 of 15 bytes"),
            "{e}"
        );

        let system = collect_output(frame(3, b"container is gone"), 3, Framing::Multiplexed).await;
        assert_eq!(
            system.len(),
            1,
            "the daemon's message is reported once, whole"
        );
        assert!(
            system[0]
                .as_ref()
                .unwrap_err()
                .message()
                .contains("container is gone")
        );
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Event {
        id: String,
    }

    #[tokio::test]
    async fn json_lines_decode_report_and_continue() {
        let input = b"{\"id\":\"a\"}\n\n{\"id\":\r\n{\"id\":\"b\"}\n{\"error\":\"pull access denied\",\"errorDetail\":{\"message\":\"pull access denied for x\"}}\n{\"id\":\"c\"}".to_vec();
        for size in [1, 7, 1000] {
            let out: Vec<Result<Event, Error>> =
                JsonLines::new(chunks(input.clone(), size)).collect().await;
            assert_eq!(out.len(), 5, "chunk size {size}");
            assert_eq!(out[0].as_ref().unwrap().id, "a");
            assert_eq!(out[1].as_ref().unwrap_err().kind(), ErrorKind::Decode);
            assert!(out[1].as_ref().unwrap_err().message().contains("line 3"));
            assert_eq!(out[2].as_ref().unwrap().id, "b");
            let e = out[3].as_ref().unwrap_err();
            assert_eq!(
                (e.kind(), e.message()),
                (ErrorKind::Stream, "pull access denied for x")
            );
            assert_eq!(
                out[4].as_ref().unwrap().id,
                "c",
                "a last line without newline counts"
            );
        }
    }

    #[tokio::test]
    async fn transport_errors_end_the_stream() {
        let parts: Vec<Result<Bytes, Error>> = vec![
            Ok(Bytes::from_static(b"{\"id\":\"a\"}\n{\"id\"")),
            Err(Error::new(ErrorKind::Connection, "connection reset")),
            Ok(Bytes::from_static(b":\"never\"}\n")),
        ];
        let out: Vec<Result<Event, Error>> = JsonLines::new(stream::iter(parts)).collect().await;
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].as_ref().unwrap_err().kind(), ErrorKind::Connection);
    }
}
