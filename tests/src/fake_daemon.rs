//! A small fake Docker daemon for tests of the facade's own HTTP plumbing:
//! it answers what the test tells it to, including what no real daemon
//! does (redirects, huge error bodies, frames of 100 MiB, no answer at all),
//! on a unix socket or on 127.0.0.1, and records every request it receives.
//!
//! HTTP/1.1 only, by hand on tokio: a test must be able to send any bytes,
//! at any pace, and to hang. Answers with a body of known length keep the
//! connection open for the next request; streamed answers end with the
//! connection (a close-delimited body, which HTTP/1.1 allows).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

/// A request as the daemon received it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One step of a streamed body.
pub enum Step {
    Send(Bytes),
    Wait(Duration),
    /// Waits until the test notifies.
    Until(Arc<Notify>),
}

/// What the daemon answers.
pub enum Reply {
    /// A whole answer: status, headers, a body of known length.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Bytes,
    },
    /// Status and headers, then the body as the steps say; the connection
    /// closes after it.
    Stream {
        status: u16,
        headers: Vec<(String, String)>,
        steps: Box<dyn Iterator<Item = Step> + Send>,
    },
    /// Reads the request and never answers.
    Hang,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Bytes::from(body.into()),
        }
    }

    pub fn text(status: u16, body: impl Into<Bytes>) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.into(),
        }
    }

    /// `/_ping` of a daemon serving API `version` at most.
    pub fn ping(version: &str) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![
                ("Api-Version".into(), version.into()),
                ("OSType".into(), "linux".into()),
                ("Content-Type".into(), "text/plain; charset=utf-8".into()),
            ],
            body: Bytes::from_static(b"OK"),
        }
    }

    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Location".into(), location.into())],
            body: Bytes::new(),
        }
    }

    /// A multiplexed output stream (`logs`, `attach`, `exec`).
    pub fn output(steps: impl Iterator<Item = Step> + Send + 'static) -> Reply {
        Reply::Stream {
            status: 200,
            headers: vec![(
                "Content-Type".into(),
                "application/vnd.docker.multiplexed-stream".into(),
            )],
            steps: Box::new(steps),
        }
    }
}

/// The header of one multiplexed frame.
pub fn frame_header(stream: u8, len: u32) -> Bytes {
    let mut header = vec![stream, 0, 0, 0];
    header.extend_from_slice(&len.to_be_bytes());
    Bytes::from(header)
}

/// One whole multiplexed frame.
pub fn frame(stream: u8, payload: &[u8]) -> Bytes {
    let mut f = frame_header(stream, payload.len() as u32).to_vec();
    f.extend_from_slice(payload);
    Bytes::from(f)
}

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// A running fake daemon; dropping it stops it.
pub struct FakeDaemon {
    /// Its address in `DOCKER_HOST` syntax.
    pub docker_host: String,
    received: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
    socket: Option<PathBuf>,
}

impl FakeDaemon {
    /// On 127.0.0.1, on a free port.
    pub async fn tcp(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> FakeDaemon {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::default();
        let handler: Handler = Arc::new(handler);
        let task = {
            let received = Arc::clone(&received);
            tokio::spawn(async move {
                while let Ok((conn, _)) = listener.accept().await {
                    tokio::spawn(serve(conn, Arc::clone(&handler), Arc::clone(&received)));
                }
            })
        };
        FakeDaemon {
            docker_host: format!("tcp://127.0.0.1:{port}"),
            received,
            task,
            socket: None,
        }
    }

    /// On a unix socket of its own under /tmp.
    pub async fn unix(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> FakeDaemon {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = PathBuf::from(format!(
            "/tmp/dea-fake-{}-{}.sock",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_file(&path);
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let received = Arc::default();
        let handler: Handler = Arc::new(handler);
        let task = {
            let received = Arc::clone(&received);
            tokio::spawn(async move {
                while let Ok((conn, _)) = listener.accept().await {
                    tokio::spawn(serve(conn, Arc::clone(&handler), Arc::clone(&received)));
                }
            })
        };
        FakeDaemon {
            docker_host: format!("unix://{}", path.display()),
            received,
            task,
            socket: Some(path),
        }
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Request> {
        self.received.lock().unwrap().clone()
    }

    /// A client of this daemon, with the default configuration.
    pub fn docker(&self) -> docker_engine_client::Docker {
        docker_engine_client::Docker::connect(self.config()).unwrap()
    }

    pub fn config(&self) -> docker_engine_client::Config {
        docker_engine_client::Config::new(
            docker_engine_client::Host::parse(&self.docker_host).unwrap(),
        )
    }
}

impl Drop for FakeDaemon {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(path) = &self.socket {
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn serve<C>(mut conn: C, handler: Handler, received: Arc<Mutex<Vec<Request>>>)
where
    C: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = Vec::new();
    loop {
        let Some(request) = read_request(&mut conn, &mut buf).await else {
            return;
        };
        received.lock().unwrap().push(request.clone());
        let head = request.method == "HEAD";
        match handler(&request) {
            Reply::Full {
                status,
                headers,
                body,
            } => {
                let mut out = status_line(status, &headers);
                out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
                if !head {
                    out.extend_from_slice(&body);
                }
                if conn.write_all(&out).await.is_err() {
                    return;
                }
            }
            Reply::Stream {
                status,
                headers,
                steps,
            } => {
                let mut out = status_line(status, &headers);
                out.extend_from_slice(b"Connection: close\r\n\r\n");
                if conn.write_all(&out).await.is_err() {
                    return;
                }
                for step in steps {
                    match step {
                        Step::Send(bytes) => {
                            if conn.write_all(&bytes).await.is_err() {
                                return;
                            }
                        }
                        Step::Wait(d) => {
                            let _ = conn.flush().await;
                            tokio::time::sleep(d).await;
                        }
                        Step::Until(n) => {
                            let _ = conn.flush().await;
                            n.notified().await;
                        }
                    }
                }
                let _ = conn.shutdown().await;
                return;
            }
            Reply::Hang => {
                // Holds the connection until the client gives up.
                let mut sink = [0u8; 1024];
                while matches!(conn.read(&mut sink).await, Ok(n) if n > 0) {}
                return;
            }
        }
    }
}

fn status_line(status: u16, headers: &[(String, String)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Fake\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out
}

/// The next request on the connection: `None` at its end or on garbage.
async fn read_request<C: AsyncRead + Unpin>(conn: &mut C, buf: &mut Vec<u8>) -> Option<Request> {
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
        fill(conn, buf).await?;
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    buf.drain(..end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        read_chunked(conn, buf).await?
    } else {
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < len {
            fill(conn, buf).await?;
        }
        buf.drain(..len).collect()
    };
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

async fn read_chunked<C: AsyncRead + Unpin>(conn: &mut C, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                break i;
            }
            fill(conn, buf).await?;
        };
        let size_text = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        buf.drain(..line_end + 2);
        while buf.len() < size + 2 {
            fill(conn, buf).await?;
        }
        body.extend(buf.drain(..size));
        buf.drain(..2);
        if size == 0 {
            return Some(body);
        }
    }
}

async fn fill<C: AsyncRead + Unpin>(conn: &mut C, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 16 * 1024];
    match conn.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}
