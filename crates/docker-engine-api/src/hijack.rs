//! Attach and exec with stdin: the connection is hijacked (`Connection:
//! Upgrade`, `Upgrade: tcp`, answered `101`) and becomes a raw duplex stream.
//!
//! The generated `container_attach`/`exec_start` send no upgrade headers and
//! read output only; interactive use needs the upgrade, which is HTTP plumbing
//! a generator cannot express, so it lives here. Requests use the negotiated
//! version's path prefix.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio_util::io::ReaderStream;

use crate::docker::Docker;
use crate::error::{Error, ErrorKind};
use crate::streams::{Framing, LogStream};

/// The output half of a hijacked connection.
pub type HijackedOutput = LogStream<ReaderStream<ReadHalf<reqwest::Upgraded>>>;

/// A hijacked attach or exec: output as typed chunks, stdin as a writer.
pub struct Hijacked {
    /// stdout/stderr (or the console, with a TTY).
    pub output: HijackedOutput,
    /// The process's stdin. [`Stdin::close`] half-closes the connection, so
    /// the process reads end-of-file while its output keeps flowing.
    pub stdin: Stdin,
}

/// The write half of a hijacked connection.
pub struct Stdin {
    inner: WriteHalf<reqwest::Upgraded>,
}

impl Stdin {
    /// Sends end-of-file: shuts down the write side of the connection.
    pub async fn close(&mut self) -> Result<(), Error> {
        self.inner.shutdown().await.map_err(Error::from)
    }
}

impl AsyncWrite for Stdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What to attach to (`POST /containers/{id}/attach`).
#[derive(Clone, Debug)]
pub struct AttachOptions {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    /// Replay the output logged so far before streaming.
    pub logs: bool,
    /// Override the key sequence that detaches (`ctrl-p,ctrl-q`).
    pub detach_keys: Option<String>,
}

impl Default for AttachOptions {
    fn default() -> Self {
        Self {
            stdin: true,
            stdout: true,
            stderr: true,
            logs: false,
            detach_keys: None,
        }
    }
}

/// How to start an exec instance (`POST /exec/{id}/start`).
#[derive(Clone, Debug, Default)]
pub struct ExecStartOptions {
    /// Must match the `Tty` the exec instance was created with.
    pub tty: bool,
    /// `[height, width]` of the TTY.
    pub console_size: Option<[u32; 2]>,
}

impl Docker {
    /// Attaches to a running container's stdio over a hijacked connection.
    pub async fn attach(
        &self,
        container: &str,
        options: &AttachOptions,
    ) -> Result<Hijacked, Error> {
        let version = self.negotiate().await?.version;
        let mut query = vec![
            ("stream", "true".to_string()),
            ("stdin", options.stdin.to_string()),
            ("stdout", options.stdout.to_string()),
            ("stderr", options.stderr.to_string()),
            ("logs", options.logs.to_string()),
        ];
        if let Some(keys) = &options.detach_keys {
            query.push(("detachKeys", keys.clone()));
        }
        let url = format!(
            "{}/containers/{}/attach",
            self.versioned_url(version),
            progenitor_client::encode_path(container)
        );
        let request = self.http().post(url).query(&query);
        self.hijack(request).await
    }

    /// Starts an exec instance attached over a hijacked connection.
    pub async fn exec_start(
        &self,
        exec_id: &str,
        options: &ExecStartOptions,
    ) -> Result<Hijacked, Error> {
        let version = self.negotiate().await?.version;
        let url = format!(
            "{}/exec/{}/start",
            self.versioned_url(version),
            progenitor_client::encode_path(exec_id)
        );
        let mut body = serde_json::json!({ "Detach": false, "Tty": options.tty });
        if let Some(size) = options.console_size {
            body["ConsoleSize"] = serde_json::json!(size);
        }
        self.hijack(self.http().post(url).json(&body)).await
    }

    /// The handshake (up to the `101` and the upgrade) is bounded by the
    /// request timeout; the hijacked stream that follows is not.
    async fn hijack(&self, request: reqwest::RequestBuilder) -> Result<Hijacked, Error> {
        let request = request
            .header(reqwest::header::CONNECTION, "Upgrade")
            .header(reqwest::header::UPGRADE, "tcp");
        self.bounded("the upgrade of the connection", self.handshake(request))
            .await
    }

    async fn handshake(&self, request: reqwest::RequestBuilder) -> Result<Hijacked, Error> {
        let response = request
            .send()
            .await
            .map_err(|e| Error::from(e).with_host(self.host()))?;
        let status = response.status();
        if status != reqwest::StatusCode::SWITCHING_PROTOCOLS {
            let err = if status.is_success() {
                Error::new(
                    ErrorKind::Connection,
                    format!("the daemon answered {status} instead of switching protocols"),
                )
            } else {
                crate::error_body::error_of(response).await
            };
            return Err(err.with_host(self.host()));
        }
        // `raw-stream` is reliable from API 1.42 on; before, it is sent for
        // multiplexed streams too, and the first bytes decide.
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let framing = Framing::of_answer(content_type, Some(self.negotiate().await?.version));
        let upgraded = response
            .upgrade()
            .await
            .map_err(|e| Error::from(e).with_host(self.host()))?;
        let (read, write) = tokio::io::split(upgraded);
        Ok(Hijacked {
            output: LogStream::new(ReaderStream::new(read), framing),
            stdin: Stdin { inner: write },
        })
    }
}
