//! stdout and stderr of the whole run: one buffered writer each, every write
//! awaited (a slow reader slows `dea` down instead of filling its memory),
//! flushed whenever the daemon pauses, when `dea` switches from one to the
//! other, and before it exits. A reader that went away (`dea ps | head -1`)
//! ends `dea` quietly with 141 (128 + SIGPIPE, what a shell reports).

use std::process::ExitCode;

use docker_engine_client::Error;
use futures_util::{FutureExt, Stream, StreamExt};
use tokio::io::{AsyncWriteExt, BufWriter};

/// Why a command stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The daemon, the connection or the configuration.
    #[error("{}", shown(.0))]
    Docker(Error),
    /// Writing `dea`'s own output.
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    /// Bad arguments (`dea api`'s checks against the model), or a file
    /// named on the command line that cannot be read.
    #[error("{0}")]
    Usage(String),
}

/// The facade's error on one line, as the docker CLI says it: the daemon's
/// own message after `Error response from daemon:`, anything else with what
/// the facade knows (the socket or host it concerns).
fn shown(e: &Error) -> String {
    let text = match e.status() {
        Some(_) => format!("Error response from daemon: {}", e.message()),
        None => format!("error: {e}"),
    };
    text.lines().collect::<Vec<_>>().join(" ")
}

/// Errors of the facade and of every version's generated client.
pub fn docker(e: impl Into<Error>) -> Failure {
    Failure::Docker(e.into())
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Docker(e)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Stdio {
    Out,
    Err,
}

pub struct Output {
    stdout: BufWriter<tokio::io::Stdout>,
    stderr: BufWriter<tokio::io::Stderr>,
    /// The writer holding bytes not flushed yet.
    unflushed: Option<Stdio>,
}

impl Output {
    pub fn new() -> Self {
        Self {
            stdout: BufWriter::new(tokio::io::stdout()),
            stderr: BufWriter::new(tokio::io::stderr()),
            unflushed: None,
        }
    }

    pub async fn out(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.write(Stdio::Out, bytes).await
    }

    pub async fn err(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.write(Stdio::Err, bytes).await
    }

    /// Writes to one stream, after flushing the other: each stream keeps its
    /// order, and what the two say keeps its order as far as a reader of both
    /// can tell.
    async fn write(&mut self, to: Stdio, bytes: &[u8]) -> Result<(), Failure> {
        if self.unflushed.is_some_and(|s| s != to) {
            self.flush().await?;
        }
        let result = match to {
            Stdio::Out => self.stdout.write_all(bytes).await,
            Stdio::Err => self.stderr.write_all(bytes).await,
        };
        self.unflushed = Some(to);
        result.map_err(Failure::Output)
    }

    pub async fn flush(&mut self) -> Result<(), Failure> {
        let result = match self.unflushed.take() {
            Some(Stdio::Out) => self.stdout.flush().await,
            Some(Stdio::Err) => self.stderr.flush().await,
            None => Ok(()),
        };
        result.map_err(Failure::Output)
    }

    /// Flushes everything and turns the outcome into the exit status: the
    /// command's own, 141 for a closed pipe, `failed` when `dea` itself fails
    /// (the docker CLI's 1, or 125 for `run`), with the error on one line of
    /// stderr.
    pub async fn finish(mut self, outcome: Result<u8, Failure>, failed: u8) -> ExitCode {
        let outcome = match outcome {
            Ok(code) => self.flush().await.map(|()| code),
            Err(e) => Err(e),
        };
        let message = match outcome {
            Ok(code) => return ExitCode::from(code),
            Err(Failure::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                let _ = self.stderr.flush().await;
                return ExitCode::from(141);
            }
            Err(e @ Failure::Docker(_)) => format!("{e}\n"),
            Err(e) => format!("error: {e}\n"),
        };
        // What was printed before the error comes before it.
        let _ = self.stdout.flush().await;
        let _ = self.stderr.write_all(message.as_bytes()).await;
        let _ = self.stderr.flush().await;
        ExitCode::from(failed)
    }
}

/// The next item of `stream`; when none is ready yet, the output is flushed
/// first, so that what was printed shows while the stream is quiet.
pub async fn next_or_flush<S: Stream + Unpin>(
    stream: &mut S,
    out: &mut Output,
) -> Result<Option<S::Item>, Failure> {
    if let Some(item) = stream.next().now_or_never() {
        return Ok(item);
    }
    out.flush().await?;
    Ok(stream.next().await)
}
