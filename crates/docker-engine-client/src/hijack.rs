//! Attach and exec with stdin: the connection is hijacked (`Connection:
//! Upgrade`, `Upgrade: tcp`, answered `101`) and becomes a raw duplex stream.
//!
//! The requests are the negotiated version's own `container_attach` and
//! `exec_start`, sent with their builders' `upgrade()` (the generator adds it
//! to the operations the rules recorded as upgradable); this module turns
//! the switched connection into an output stream and a stdin writer.

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
        let client = self.client().await?;
        // (The body is parenthesised: `break 'label { .. }` reads like an
        // unlabeled break of a labeled block, and rustc says so.)
        // The handshake (up to the `101`) is bounded by the request timeout;
        // the hijacked stream that follows is not.
        let upgrade = async {
            let answer: Result<Switched, Error> = crate::with_api!(&client, |c, _api| ({
                let mut request = c
                    .container_attach()
                    .id(container)
                    .stream(true)
                    .stdin(options.stdin)
                    .stdout(options.stdout)
                    .stderr(options.stderr)
                    .logs(options.logs);
                if let Some(keys) = &options.detach_keys {
                    request = request.detach_keys(keys.clone());
                }
                request.upgrade().await.map_err(switch_refused)
            }));
            answer
        };
        let answer = self.bounded("the upgrade of the connection", upgrade).await;
        self.hijacked(answer).await
    }

    /// Starts an exec instance attached over a hijacked connection.
    pub async fn exec_start(
        &self,
        exec_id: &str,
        options: &ExecStartOptions,
    ) -> Result<Hijacked, Error> {
        let client = self.client().await?;
        // The body as the daemon reads it; each version's type keeps the
        // fields it knows (v1.40–v1.41 have no `ConsoleSize`, and those
        // daemons ignore it).
        let mut body = serde_json::json!({ "Detach": false, "Tty": options.tty });
        if let Some(size) = options.console_size {
            body["ConsoleSize"] = serde_json::json!(size);
        }
        // The handshake (up to the `101`) is bounded by the request timeout;
        // the hijacked stream that follows is not.
        let upgrade = async {
            let answer: Result<Switched, Error> = crate::with_api!(&client, |c, api| ({
                match serde_json::from_value::<api::types::ExecStartConfig>(body) {
                    Ok(body) => c
                        .exec_start()
                        .id(exec_id)
                        .body(body)
                        .upgrade()
                        .await
                        .map_err(switch_refused),
                    Err(e) => Err(Error::new(
                        ErrorKind::InvalidRequest,
                        format!("exec start options: {e}"),
                    )),
                }
            }));
            answer
        };
        let answer = self.bounded("the upgrade of the connection", upgrade).await;
        self.hijacked(answer).await
    }

    /// The switched connection as output stream and stdin writer.
    async fn hijacked(&self, answer: Result<Switched, Error>) -> Result<Hijacked, Error> {
        let switched = answer.map_err(|e| e.with_host(self.host()))?;
        // `raw-stream` is reliable from API 1.42 on; before, it is sent for
        // multiplexed streams too, and the first bytes decide.
        let content_type = switched
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let framing = Framing::of_answer(content_type, Some(self.negotiate().await?.version));
        let (read, write) = tokio::io::split(switched.into_inner());
        Ok(Hijacked {
            output: LogStream::new(ReaderStream::new(read), framing),
            stdin: Stdin { inner: write },
        })
    }
}

/// The answer of a builder's `upgrade()`.
type Switched = progenitor_client::ResponseValue<reqwest::Upgraded>;

/// A refused upgrade: a success status means the daemon answered without
/// switching protocols (an old daemon, a proxy), which is no success here.
fn switch_refused<E: docker_engine_api_runtime::DaemonError>(
    err: docker_engine_api_runtime::Error<E>,
) -> Error {
    match err {
        docker_engine_api_runtime::Error::UnexpectedResponse(response)
            if response.status().is_success() =>
        {
            Error::new(
                ErrorKind::Connection,
                format!(
                    "the daemon answered {} instead of switching protocols",
                    response.status()
                ),
            )
        }
        other => Error::from(other),
    }
}
