//! The floor: hyper 1's low-level HTTP/1 client over a `tokio::net::UnixStream`,
//! one kept-alive connection per worker. No pool, no URL parsing, no header
//! map beyond what the daemon needs, no typed decoding beyond the fields that
//! are checked: what any Rust client has to do at least.

use std::path::Path;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Body, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

/// The path prefix every versioned request carries (engine 28 serves 1.51).
pub const PREFIX: &str = "/v1.51";

/// Opens one connection and spawns its driver task.
pub async fn connect<B>(socket: &Path) -> Result<SendRequest<B>>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = UnixStream::connect(socket)
        .await
        .with_context(|| format!("cannot connect to {}", socket.display()))?;
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        // Errors surface on the request side too; nothing to do with them here.
        let _ = conn.await;
    });
    Ok(send)
}

/// A request with the only header the daemon insists on (`Host`, HTTP/1.1).
pub fn request<B>(method: &str, path_and_query: &str, body: B) -> Result<Request<B>> {
    Ok(Request::builder()
        .method(method)
        .uri(path_and_query)
        .header(hyper::header::HOST, "docker")
        .body(body)?)
}

pub fn get(path_and_query: &str) -> Result<Request<Empty<Bytes>>> {
    request("GET", path_and_query, Empty::new())
}

/// Sends on a kept-alive connection and fails on a non-2xx status, with the
/// daemon's message.
pub async fn send<B>(conn: &mut SendRequest<B>, req: Request<B>) -> Result<Response<Incoming>>
where
    B: Body + Send + 'static,
{
    conn.ready().await?;
    let what = format!("{} {}", req.method(), req.uri());
    let resp = conn.send_request(req).await?;
    if !resp.status().is_success() {
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        bail!(
            "{what}: HTTP {status}: {}",
            String::from_utf8_lossy(&body).trim()
        );
    }
    Ok(resp)
}

/// The whole body (small responses only).
pub async fn body(resp: Response<Incoming>) -> Result<Bytes> {
    Ok(resp.into_body().collect().await?.to_bytes())
}

/// `GET` on a kept-alive connection, the whole (small) body.
pub async fn get_body(conn: &mut SendRequest<Empty<Bytes>>, path_and_query: &str) -> Result<Bytes> {
    body(send(conn, get(path_and_query)?).await?).await
}

/// Docker's multiplexed output framing (`[stream,0,0,0,len BE32]` + payload),
/// split by hand: counts payload bytes per stream without copying them.
#[derive(Default)]
pub struct Demux {
    /// Bytes still expected of the current frame's payload, and its stream.
    remaining: usize,
    stream: u8,
    /// A header split across chunks.
    header: Vec<u8>,
    pub stdout: u64,
    pub stderr: u64,
}

impl Demux {
    pub fn push(&mut self, mut chunk: &[u8]) -> Result<()> {
        while !chunk.is_empty() {
            if self.remaining > 0 {
                let n = self.remaining.min(chunk.len());
                match self.stream {
                    1 => self.stdout += n as u64,
                    2 => self.stderr += n as u64,
                    s => bail!("unexpected output stream {s}"),
                }
                self.remaining -= n;
                chunk = &chunk[n..];
                continue;
            }
            let need = 8 - self.header.len();
            let n = need.min(chunk.len());
            self.header.extend_from_slice(&chunk[..n]);
            chunk = &chunk[n..];
            if self.header.len() == 8 {
                let h = &self.header;
                if h[0] > 2 || h[1..4] != [0, 0, 0] {
                    bail!("malformed frame header {h:?}");
                }
                self.stream = h[0];
                self.remaining = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
                self.header.clear();
            }
        }
        Ok(())
    }

    pub fn finish(&self) -> Result<()> {
        if self.remaining != 0 || !self.header.is_empty() {
            bail!("the output ended inside a frame");
        }
        Ok(())
    }
}
