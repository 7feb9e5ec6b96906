//! How a generated client's requests reach the daemon: through its
//! `reqwest::Client` (any host), or over a unix socket with hyper's HTTP/1
//! connections directly, kept in a pool of this module's ([`UnixTransport`]).
//!
//! Why a second way for unix sockets: the benchmark's layers table (`cargo
//! xtask bench --only layers`, 2026-12-02) put 26 µs of the 39 µs of client
//! CPU per `GET /_ping` in hyper's connection, 3.7 µs in hyper-util's pool
//! and 4.2 µs in the rest of reqwest (its tower stack, proxy matching, URL
//! to `Uri`, timeouts), none of which a local socket needs. What stays of
//! reqwest is its `Request`, which progenitor's code builds, and its
//! `Response`, which the readers and `ByteStream` read (converted, not
//! copied). What this module does itself: the connect and read timeouts, the
//! `Host` and `User-Agent` headers, keeping idle connections, and driving
//! each connection from the task that waits on it (`Conn` says why).
//!
//! Protocol upgrades (attach, exec, session) still go through reqwest: its
//! `Upgraded` is what the generated `upgrade()` answers.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HOST, HeaderValue, USER_AGENT};
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The transport of a generated client (progenitor's "inner" type of every
/// generated `Client`): what its `send()`s go through.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Transport {
    /// The client's `reqwest::Client`, whatever its host.
    #[default]
    Reqwest,
    /// hyper's HTTP/1 connections to a unix socket; upgrades still go
    /// through the `reqwest::Client`, which must reach the same socket.
    Unix(UnixTransport),
}

/// HTTP/1 over a unix socket, with a pool of idle connections.
///
/// Cheap to clone; clones share the pool. A connection goes back to the pool
/// when its answer has been read to the end; one whose answer is dropped
/// before that is closed (its rest would have to be read first). Idle
/// connections are kept for [`UnixTransportBuilder::idle_timeout`] and
/// looked at when a request needs one: a connection the daemon closed is
/// dropped then, and a request that could not be sent on one is sent again
/// on a new connection.
#[derive(Clone)]
pub struct UnixTransport {
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    user_agent: Option<HeaderValue>,
    idle_timeout: Duration,
    /// Oldest first; a request takes the newest (the one most likely open).
    idle: Mutex<VecDeque<Idle>>,
}

struct Idle {
    conn: Conn,
    since: Instant,
}

impl fmt::Debug for UnixTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixTransport")
            .field("path", &self.shared.path)
            .field("connect_timeout", &self.shared.connect_timeout)
            .field("read_timeout", &self.shared.read_timeout)
            .finish_non_exhaustive()
    }
}

/// The settings of a [`UnixTransport`].
#[derive(Clone, Debug)]
pub struct UnixTransportBuilder {
    path: PathBuf,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    user_agent: Option<HeaderValue>,
    idle_timeout: Duration,
}

impl UnixTransportBuilder {
    /// How long connecting to the socket may take (none by default).
    pub fn connect_timeout(mut self, limit: Option<Duration>) -> Self {
        self.connect_timeout = limit;
        self
    }

    /// How long the daemon may stay silent: before the answer's head, and
    /// between two pieces of its body (none by default: a followed stream may
    /// be quiet for hours). reqwest's `read_timeout`, with the same reach.
    pub fn read_timeout(mut self, limit: Option<Duration>) -> Self {
        self.read_timeout = limit;
        self
    }

    /// The `User-Agent` of requests that do not set one.
    pub fn user_agent(mut self, value: HeaderValue) -> Self {
        self.user_agent = Some(value);
        self
    }

    /// How long an idle connection is kept (60 s by default, as reqwest's
    /// `pool_idle_timeout` in the facade).
    pub fn idle_timeout(mut self, limit: Duration) -> Self {
        self.idle_timeout = limit;
        self
    }

    /// The transport; it connects when the first request needs it.
    pub fn build(self) -> UnixTransport {
        UnixTransport {
            shared: Arc::new(Shared {
                path: self.path,
                connect_timeout: self.connect_timeout,
                read_timeout: self.read_timeout,
                user_agent: self.user_agent,
                idle_timeout: self.idle_timeout,
                idle: Mutex::new(VecDeque::new()),
            }),
        }
    }
}

impl UnixTransport {
    /// The settings of a transport to the socket at `path`.
    pub fn builder(path: impl Into<PathBuf>) -> UnixTransportBuilder {
        UnixTransportBuilder {
            path: path.into(),
            connect_timeout: None,
            read_timeout: None,
            user_agent: None,
            idle_timeout: Duration::from_secs(60),
        }
    }

    /// The socket it connects to.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Sends `request` (its URL's path and query; its authority becomes the
    /// `Host` header) and returns the answer's head; the body is read as the
    /// caller goes. The connection makes progress only while this future or
    /// the answer's body is polled (no task of its own drives it). Needs a
    /// tokio runtime (the socket and the timeouts are tokio's).
    pub async fn send(&self, request: reqwest::Request) -> Result<reqwest::Response, SendError> {
        let url = request.url().clone();
        let mut request = self.to_http(request)?;
        loop {
            let (mut conn, reused) = self.checkout().await?;
            let mut answer = std::pin::pin!(conn.send.try_send_request(request));
            let head = std::future::poll_fn(|cx| {
                conn.drive(cx);
                answer.as_mut().poll(cx)
            });
            let head = match self.shared.read_timeout {
                Some(limit) => tokio::time::timeout(limit, head)
                    .await
                    .map_err(|_| SendError::new(What::ReadTimeout(limit), None))?,
                None => head.await,
            };
            match head {
                Ok(response) => return Ok(self.response(response, conn, url)),
                Err(mut failed) => match failed.take_message() {
                    // The daemon closed an idle connection as the request
                    // went out, and none of it was sent: once more, on
                    // another connection.
                    Some(unsent) if reused => request = unsent,
                    _ => return Err(SendError::new(What::Send, Some(failed.into_error().into()))),
                },
            }
        }
    }

    /// reqwest's request as hyper's, in origin form (`/v1.51/_ping`) with the
    /// `Host` of its URL, as HTTP/1.1 wants.
    fn to_http(
        &self,
        request: reqwest::Request,
    ) -> Result<http::Request<reqwest::Body>, SendError> {
        let mut request: http::Request<reqwest::Body> = request
            .try_into()
            .map_err(|e: reqwest::Error| SendError::new(What::Request, Some(e.into())))?;
        let host = request
            .uri()
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok());
        let path = request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| http::uri::PathAndQuery::from_static("/"));
        *request.uri_mut() = http::Uri::from(path);
        let headers = request.headers_mut();
        if let Some(host) = host {
            headers.entry(HOST).or_insert(host);
        }
        if let Some(agent) = &self.shared.user_agent {
            headers.entry(USER_AGENT).or_insert_with(|| agent.clone());
        }
        Ok(request)
    }

    /// A connection ready for a request: the newest idle one that is still
    /// open (and whether it was), or a new one.
    async fn checkout(&self) -> Result<(Conn, bool), SendError> {
        loop {
            let idle = self.shared.lock().pop_back();
            let Some(Idle { mut conn, since }) = idle else {
                return Ok((self.connect().await?, false));
            };
            if since.elapsed() > self.shared.idle_timeout {
                continue;
            }
            // What the connection has to do first: notice that the daemon
            // closed it while it was idle, or finish the last answer and
            // become ready for the next request.
            let ready = std::future::poll_fn(|cx| {
                if !conn.drive(cx) {
                    return Poll::Ready(false);
                }
                conn.send.poll_ready(cx).map(|r| r.is_ok())
            })
            .await;
            if ready {
                return Ok((conn, true));
            }
        }
    }

    async fn connect(&self) -> Result<Conn, SendError> {
        let path = &self.shared.path;
        let failed = |e: BoxError| SendError::new(What::Connect(path.clone()), Some(e));
        let open = async {
            let stream = tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| failed(e.into()))?;
            let (send, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| failed(e.into()))?;
            Ok(Conn {
                send,
                driver: Some(driver),
            })
        };
        match self.shared.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, open)
                .await
                .map_err(|_| SendError::new(What::ConnectTimeout(path.clone(), limit), None))?,
            None => open.await,
        }
    }

    /// hyper's answer as reqwest's, with the request's URL as its `url()`;
    /// its body drives the connection and gives it back to the pool at its
    /// end.
    fn response(
        &self,
        mut response: http::Response<Incoming>,
        conn: Conn,
        url: reqwest::Url,
    ) -> reqwest::Response {
        use reqwest::ResponseBuilderExt as _;
        // reqwest reads the URL from an extension only its builder can make
        // (without one it parses a placeholder URL for every answer).
        if let Ok(tagged) = http::Response::builder().url(url).body(()) {
            response
                .extensions_mut()
                .extend(tagged.into_parts().0.extensions);
        }
        response.extensions_mut().insert(ReaderDrives);
        let shared = self.shared.clone();
        response
            .map(|body| {
                reqwest::Body::wrap(PooledBody {
                    body,
                    conn: Some(conn),
                    shared,
                    silence: None,
                })
            })
            .into()
    }
}

/// Marks an answer of this transport: reading it drives its connection.
#[derive(Clone, Copy)]
struct ReaderDrives;

/// Whether reading `response` drives its connection (an answer of the unix
/// transport), so that no task needs to read it for the reader.
pub(crate) fn reader_drives(response: &reqwest::Response) -> bool {
    response.extensions().get::<ReaderDrives>().is_some()
}

/// One HTTP/1 connection: hyper's request sender and the connection future
/// that reads and writes the socket.
///
/// No task of its own drives the connection (reqwest and hyper-util spawn
/// one): whoever waits on it polls it, the request's future until the head
/// of the answer, then the answer's body. So the bytes of an answer are read
/// in the task that reads the body, and no other task is woken for each
/// piece: on a current-thread runtime that is a task switch less per
/// request, and on a multi-thread runtime the reader and the socket stop
/// waking each other across threads (measured in the README: logs read on
/// the multi-thread runtime at the current-thread speed).
struct Conn {
    send: SendRequest<reqwest::Body>,
    /// `None` once the connection has ended (closed, or failed: its error
    /// also reaches the request or the body that was waiting).
    driver: Option<Driver>,
}

type Driver =
    hyper::client::conn::http1::Connection<TokioIo<tokio::net::UnixStream>, reqwest::Body>;

impl Conn {
    /// Lets the connection do what it can now; whether it is still open.
    fn drive(&mut self, cx: &mut Context<'_>) -> bool {
        if let Some(driver) = &mut self.driver
            && Pin::new(driver).poll(cx).is_ready()
        {
            self.driver = None;
        }
        self.driver.is_some()
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Idle>> {
        // The queue stays consistent whatever panicked while holding it.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `conn` for the next request, and drops those idle too long.
    fn check_in(&self, conn: Conn) {
        if conn.driver.is_none() {
            return;
        }
        let now = Instant::now();
        let mut idle = self.lock();
        while idle
            .front()
            .is_some_and(|oldest| now.duration_since(oldest.since) > self.idle_timeout)
        {
            idle.pop_front();
        }
        idle.push_back(Idle { conn, since: now });
    }
}

/// An answer's body that drives its connection, gives it back at its end,
/// and applies the read timeout between its frames.
struct PooledBody {
    body: Incoming,
    conn: Option<Conn>,
    shared: Arc<Shared>,
    /// Armed while a frame is awaited with a read timeout.
    silence: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl PooledBody {
    fn release(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.shared.check_in(conn);
        }
    }
}

impl HttpBody for PooledBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some(conn) = &mut this.conn {
            conn.drive(cx);
        }
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.silence = None;
                if this.body.is_end_stream() {
                    this.release();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                this.release();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                this.conn = None;
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Pending => {
                let Some(limit) = this.shared.read_timeout else {
                    return Poll::Pending;
                };
                let silence = this
                    .silence
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match silence.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.conn = None;
                        let error = SendError::new(What::ReadTimeout(limit), None);
                        Poll::Ready(Some(Err(Box::new(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            error,
                        )))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        // Read to its end (or empty): the connection can serve another
        // request. Otherwise dropping it closes the connection.
        if self.body.is_end_stream() {
            self.release();
        }
    }
}

/// A request a [`UnixTransport`] could not send, or whose answer did not
/// come.
#[derive(Debug)]
pub struct SendError {
    what: What,
    source: Option<BoxError>,
}

#[derive(Debug)]
enum What {
    Request,
    Connect(PathBuf),
    ConnectTimeout(PathBuf, Duration),
    Send,
    ReadTimeout(Duration),
}

impl SendError {
    fn new(what: What, source: Option<BoxError>) -> Self {
        Self { what, source }
    }

    /// Whether a timeout (connect or read) ended it.
    pub fn is_timeout(&self) -> bool {
        matches!(self.what, What::ConnectTimeout(..) | What::ReadTimeout(_))
    }

    /// Whether the socket could not be connected to (or not in time).
    pub fn is_connect(&self) -> bool {
        matches!(self.what, What::Connect(_) | What::ConnectTimeout(..))
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.what {
            What::Request => f.write_str("the request cannot be sent"),
            What::Connect(path) => write!(f, "cannot connect to {}", path.display()),
            What::ConnectTimeout(path, limit) => write!(
                f,
                "connecting to {} took longer than {limit:?} (the connect timeout)",
                path.display()
            ),
            What::Send => f.write_str("the daemon's answer did not come"),
            What::ReadTimeout(limit) => {
                write!(
                    f,
                    "the daemon sent nothing for {limit:?} (the read timeout)"
                )
            }
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

#[cfg(test)]
mod tests {
    //! The transport's own plumbing against a small fake daemon on a unix
    //! socket (what a real daemon does with it, the engine tests show: every
    //! facade test on a `unix://` engine goes through it).

    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{UnixListener, UnixStream};

    /// What the fake daemon does with each request it reads.
    #[derive(Clone, Copy)]
    enum Answer {
        /// `200`, body `OK`, connection kept.
        Ok,
        /// `200` with `n` bytes of body, connection kept.
        Long(usize),
        /// `200`, body `OK`, then closes the connection.
        OkThenClose,
        /// Reads the request and never answers.
        Silent,
        /// The head and two of the four bytes announced, then silence.
        HalfBody,
    }

    struct Daemon {
        path: PathBuf,
        connections: Arc<AtomicUsize>,
        requests: Arc<Mutex<Vec<String>>>,
        _dir: TempDir,
    }

    /// A directory of its own, removed at the end.
    struct TempDir(PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn temp_dir() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "dea-transport-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Serves `answer` to every request on every connection.
    fn daemon(answer: Answer) -> Daemon {
        let dir = temp_dir();
        let path = dir.0.join("d.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (c, r) = (connections.clone(), requests.clone());
        tokio::spawn(async move {
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                c.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(socket, answer, r.clone()));
            }
        });
        Daemon {
            path,
            connections,
            requests,
            _dir: dir,
        }
    }

    async fn serve(mut socket: UnixStream, answer: Answer, seen: Arc<Mutex<Vec<String>>>) {
        let mut buf = Vec::new();
        loop {
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            let head: Vec<u8> = buf.drain(..end).collect();
            seen.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).to_lowercase());
            let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
            let written = match answer {
                Answer::Ok => socket.write_all(ok).await,
                Answer::Long(n) => {
                    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n");
                    let mut bytes = head.into_bytes();
                    bytes.resize(bytes.len() + n, b'x');
                    socket.write_all(&bytes).await
                }
                Answer::OkThenClose => {
                    let _ = socket.write_all(ok).await;
                    return;
                }
                Answer::Silent => {
                    std::future::pending::<()>().await;
                    return;
                }
                Answer::HalfBody => {
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nOK")
                        .await;
                    std::future::pending::<()>().await;
                    return;
                }
            };
            if written.is_err() {
                return;
            }
        }
    }

    fn get(url: &str) -> reqwest::Request {
        reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap())
    }

    fn transport(path: &Path) -> UnixTransportBuilder {
        UnixTransport::builder(path).user_agent(HeaderValue::from_static("test-agent/1"))
    }

    #[tokio::test]
    async fn requests_go_in_origin_form_with_host_and_agent_on_one_kept_connection() {
        let daemon = daemon(Answer::Ok);
        let unix = transport(&daemon.path).build();
        for _ in 0..3 {
            let response = unix
                .send(get("http://localhost/v1.51/_ping?x=1"))
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.url().as_str(), "http://localhost/v1.51/_ping?x=1");
            assert_eq!(response.bytes().await.unwrap(), "OK");
        }
        assert_eq!(daemon.connections.load(Ordering::SeqCst), 1);
        let seen = daemon.requests.lock().unwrap().clone();
        assert_eq!(seen.len(), 3);
        for head in seen {
            assert!(
                head.starts_with("get /v1.51/_ping?x=1 http/1.1\r\n"),
                "{head}"
            );
            assert!(head.contains("\r\nhost: localhost\r\n"), "{head}");
            assert!(head.contains("\r\nuser-agent: test-agent/1\r\n"), "{head}");
        }
    }

    #[tokio::test]
    async fn an_answer_dropped_before_its_end_closes_its_connection_and_the_next_gets_a_new_one() {
        let daemon = daemon(Answer::Long(1 << 20));
        let unix = transport(&daemon.path).build();
        let response = unix.send(get("http://localhost/big")).await.unwrap();
        drop(response);
        let response = unix.send(get("http://localhost/big")).await.unwrap();
        assert_eq!(response.bytes().await.unwrap().len(), 1 << 20);
        assert_eq!(daemon.connections.load(Ordering::SeqCst), 2);
        // Read to its end: the connection is used again.
        let response = unix.send(get("http://localhost/big")).await.unwrap();
        assert_eq!(response.bytes().await.unwrap().len(), 1 << 20);
        assert_eq!(daemon.connections.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_connection_the_daemon_closed_is_not_an_error_for_the_next_request() {
        let daemon = daemon(Answer::OkThenClose);
        let unix = transport(&daemon.path).build();
        for round in 1..=5 {
            let response = unix.send(get("http://localhost/_ping")).await.unwrap();
            assert_eq!(response.bytes().await.unwrap(), "OK", "round {round}");
        }
        assert_eq!(daemon.connections.load(Ordering::SeqCst), 5);
        // Closed while idle, noticed only when the next request wants it.
        for round in 1..=3 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let response = unix.send(get("http://localhost/_ping")).await.unwrap();
            assert_eq!(response.bytes().await.unwrap(), "OK", "idle round {round}");
        }
        assert_eq!(daemon.connections.load(Ordering::SeqCst), 8);
    }

    /// No task of its own drives a connection: a body read in another task
    /// than the one that sent the request (the facade's hand-off does that
    /// on a multi-thread runtime) drives it there, to its end.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_answer_read_in_another_task_drives_its_connection_to_the_end() {
        let daemon = daemon(Answer::Long(8 << 20));
        let unix = transport(&daemon.path).build();
        let response = unix.send(get("http://localhost/big")).await.unwrap();
        let read = tokio::spawn(async move { response.bytes().await.map(|b| b.len()) });
        assert_eq!(read.await.unwrap().unwrap(), 8 << 20);
        let response = unix.send(get("http://localhost/big")).await.unwrap();
        assert_eq!(response.bytes().await.unwrap().len(), 8 << 20);
        assert_eq!(daemon.connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_missing_socket_is_a_connect_error_that_names_it() {
        let dir = temp_dir();
        let path = dir.0.join("nothing.sock");
        let unix = transport(&path).build();
        let err = unix.send(get("http://localhost/_ping")).await.unwrap_err();
        assert!(err.is_connect() && !err.is_timeout(), "{err:?}");
        assert!(err.to_string().contains("nothing.sock"), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[tokio::test]
    async fn the_read_timeout_bounds_the_head_and_the_silence_inside_a_body() {
        let limit = Duration::from_millis(200);
        let daemon_silent = daemon(Answer::Silent);
        let unix = transport(&daemon_silent.path)
            .read_timeout(Some(limit))
            .build();
        let started = Instant::now();
        let err = unix.send(get("http://localhost/_ping")).await.unwrap_err();
        assert!(err.is_timeout() && !err.is_connect(), "{err:?}");
        assert!(err.to_string().contains("read timeout"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));

        let daemon_half = daemon(Answer::HalfBody);
        let unix = transport(&daemon_half.path)
            .read_timeout(Some(limit))
            .build();
        let response = unix.send(get("http://localhost/_ping")).await.unwrap();
        let started = Instant::now();
        let err = response.bytes().await.unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert!(started.elapsed() >= limit && started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn without_a_read_timeout_a_quiet_body_is_waited_for() {
        let daemon = daemon(Answer::HalfBody);
        let unix = transport(&daemon.path).build();
        let response = unix.send(get("http://localhost/_ping")).await.unwrap();
        let read = tokio::time::timeout(Duration::from_millis(300), response.bytes()).await;
        assert!(read.is_err(), "the body ended: {read:?}");
    }
}
