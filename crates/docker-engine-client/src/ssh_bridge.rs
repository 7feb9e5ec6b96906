//! The private unix socket that carries HTTP to an `ssh://` host.
//!
//! Why a socket: every generated crate sends through `reqwest::Client`, and
//! reqwest takes no custom transport, only a unix socket path. So a
//! [`Docker`](crate::Docker) of an `ssh://` host points reqwest at a socket of
//! its own, in a directory only this user can enter (mode 0700), and a
//! thread of its own (with a current-thread tokio runtime: it works whatever
//! runtime the caller uses, or none, and keeps `Docker::connect` synchronous)
//! bridges each accepted connection to a new `ssh … docker system dial-stdio`
//! process, one process per connection, as the Docker CLI does. Pooled
//! connections keep their process; a hijacked attach or exec owns one.
//!
//! Half-closes pass through: the end of the client's bytes closes ssh's stdin
//! (the remote `dial-stdio` then half-closes its daemon connection, so an
//! exec's stdin sees end-of-file), and the end of ssh's stdout ends the
//! client's reads.
//!
//! When ssh ends before sending a byte (refused key, unknown host key, no
//! route, no docker on the remote side), the bridge answers the request
//! itself, as an HTTP proxy answers 502: a Docker-shaped error body with
//! ssh's exit status and stderr, and a [`FAILURE_HEADER`] that turns it into
//! an [`ErrorKind::Connection`](crate::ErrorKind) (or `Timeout`) error. So the
//! request that failed reports why, whichever API sent it. A process that
//! ends mid-answer just closes the connection (a truncated answer).
//!
//! Dropping the bridge (with the last `Docker` clone) stops accepting, kills
//! and reaps every ssh process it started, and removes the socket and its
//! directory. If the process dies instead, each ssh sees end-of-file on its
//! stdin and ends by itself.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::watch;

use crate::error::{Error, ErrorKind};
use crate::ssh::SshTarget;

/// Marks an answer the bridge wrote itself (its value: `connection` or
/// `timeout`), so that it becomes a connection error, not a daemon's 502.
pub(crate) const FAILURE_HEADER: &str = "docker-engine-client-ssh-failure";

/// The most of ssh's stderr kept for an error message (its last bytes).
const STDERR_TAIL: usize = 4096;
/// How long a finished connection's ssh gets to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(5);
/// How long the client gets to read a failure answer and hang up.
const HANG_UP_GRACE: Duration = Duration::from_secs(5);
/// The longest unix socket path the kernel takes (`sun_path` less its NUL).
const MAX_SOCKET_PATH: usize = 107;

/// A running bridge; dropping it stops it and cleans up.
pub(crate) struct SshBridge {
    dir: PathBuf,
    socket: PathBuf,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What one connection runs: `ssh` and its arguments.
struct SshCommand {
    program: PathBuf,
    args: Vec<String>,
    target: String,
}

impl SshBridge {
    /// Binds the socket and starts the bridge thread. Sends nothing and
    /// starts no ssh yet: the first request does.
    pub(crate) fn start(
        target: &SshTarget,
        options: &[String],
        connect_timeout: Option<Duration>,
    ) -> Result<Self, Error> {
        let command = Arc::new(SshCommand {
            program: PathBuf::from("ssh"),
            args: target.ssh_args(options, connect_timeout),
            target: target.to_string(),
        });
        let failed = |what: &str, e: std::io::Error| {
            Error::new(
                ErrorKind::Other,
                format!("ssh host {}: cannot {what}: {e}", command.target),
            )
        };
        let dir = private_dir().map_err(|e| failed("create the bridge's socket directory", e))?;
        let socket = dir.join("s");
        let listener = std::os::unix::net::UnixListener::bind(&socket)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| {
                let _ = std::fs::remove_dir(&dir);
                failed("bind the bridge's socket", e)
            })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| {
                remove_all(&socket, &dir);
                failed("start the bridge's runtime", e)
            })?;
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("dea-ssh-bridge".into())
            .spawn(move || runtime.block_on(serve(listener, command, stopped)))
            .map_err(|e| {
                remove_all(&socket, &dir);
                Error::new(
                    ErrorKind::Other,
                    format!("cannot start the ssh bridge thread: {e}"),
                )
            })?;
        Ok(Self {
            dir,
            socket,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The socket reqwest connects to.
    pub(crate) fn socket(&self) -> &Path {
        &self.socket
    }
}

impl Drop for SshBridge {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        // Bounded: each connection kills its ssh and waits for it.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        remove_all(&self.socket, &self.dir);
    }
}

fn remove_all(socket: &Path, dir: &Path) {
    let _ = std::fs::remove_file(socket);
    let _ = std::fs::remove_dir(dir);
}

/// A new directory only this user can enter: `$TMPDIR/dea-ssh-<pid>-<n>`
/// (or under `/tmp` when that path would make the socket path too long).
fn private_dir() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let mut base = std::env::temp_dir();
    if base.as_os_str().len() + 40 > MAX_SOCKET_PATH {
        base = PathBuf::from("/tmp");
    }
    let pid = std::process::id();
    let mut last = None;
    // A name taken by a leftover of an earlier process with the same pid is
    // skipped: `create` fails on an existing directory, never reuses it.
    for _ in 0..64 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("dea-ssh-{pid}-{n}"));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free directory name")))
}

/// Accepts connections until told to stop, then waits for every connection
/// to kill its ssh.
async fn serve(
    listener: std::os::unix::net::UnixListener,
    command: Arc<SshCommand>,
    mut stop: watch::Receiver<bool>,
) {
    let Ok(listener) = tokio::net::UnixListener::from_std(listener) else {
        return;
    };
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(bridge(stream, command.clone(), stop.clone()));
                }
                // Out of file descriptors, say: the client's connect fails
                // or waits; try again shortly rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// One client connection: one ssh process.
async fn bridge(client: UnixStream, command: Arc<SshCommand>, mut stop: watch::Receiver<bool>) {
    let (from_client, mut to_client) = client.into_split();
    let spawned = Command::new(&command.program)
        .args(&command.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let message = format!(
                "cannot run `{}` to reach the Docker daemon at {}: {e} (the ssh client must be \
                 installed and on PATH)",
                command.program.display(),
                command.target
            );
            write_failure(&mut to_client, "connection", &message).await;
            let drain = tokio::spawn(pump_up(from_client, None));
            hang_up(drain, &mut stop).await;
            return;
        }
    };
    let (Some(stdin), Some(mut stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        kill(&mut child).await;
        return;
    };
    let stderr = tokio::spawn(tail(stderr));
    let upstream = tokio::spawn(pump_up(from_client, Some(stdin)));

    let first = tokio::select! {
        _ = stop.changed() => {
            kill(&mut child).await;
            upstream.abort();
            return;
        }
        first = read_some(&mut stdout) => first,
    };
    match first {
        Ok(Some(bytes)) => {
            let downstream = async {
                to_client.write_all(&bytes).await?;
                tokio::io::copy(&mut stdout, &mut to_client).await?;
                to_client.shutdown().await
            };
            tokio::select! {
                _ = stop.changed() => {}
                done = downstream => {
                    // The answer ended (ssh's stdout closed): the process
                    // ends when the client hangs up, else it is killed.
                    if done.is_ok() {
                        let _ = tokio::time::timeout(EXIT_GRACE, child.wait()).await;
                    }
                }
            }
            kill(&mut child).await;
            upstream.abort();
        }
        // ssh ended (or broke its stdout) before any answer: say why.
        Ok(None) | Err(_) => {
            let status = match tokio::time::timeout(EXIT_GRACE, child.wait()).await {
                Ok(Ok(status)) => Some(status),
                _ => None,
            };
            kill(&mut child).await;
            // Bounded: a helper ssh started (a ProxyCommand) may hold it open.
            let stderr = match tokio::time::timeout(EXIT_GRACE, stderr).await {
                Ok(Ok(text)) => text,
                _ => String::new(),
            };
            let (kind, message) = failure_message(&command, status, &stderr);
            write_failure(&mut to_client, kind, &message).await;
            hang_up(upstream, &mut stop).await;
        }
    }
}

/// The client's bytes into ssh's stdin, until the client half-closes (or
/// goes); then ssh's stdin is closed, passing the half-close on. Bytes that
/// ssh no longer takes are read and dropped, so the client never sees a
/// broken pipe before the bridge's answer.
async fn pump_up(mut from_client: OwnedReadHalf, mut stdin: Option<ChildStdin>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from_client.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Some(pipe) = stdin.as_mut()
                    && pipe.write_all(&buf[..n]).await.is_err()
                {
                    stdin = None;
                }
            }
        }
    }
}

/// The first bytes of `stdout`, or `None` at end-of-file.
async fn read_some(stdout: &mut (impl AsyncRead + Unpin)) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = vec![0u8; 16 * 1024];
    let n = stdout.read(&mut buf).await?;
    buf.truncate(n);
    Ok((n > 0).then_some(buf))
}

/// The last [`STDERR_TAIL`] bytes of a stream, as text.
async fn tail(mut stderr: impl AsyncRead + Unpin) -> String {
    let mut kept: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stderr.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > STDERR_TAIL {
            kept.drain(..kept.len() - STDERR_TAIL);
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

async fn kill(child: &mut Child) {
    // Kills (if still running) and reaps.
    let _ = child.kill().await;
}

/// What a failed ssh says: its kind (`timeout` when ssh timed out
/// connecting) and message.
fn failure_message(
    command: &SshCommand,
    status: Option<ExitStatus>,
    stderr: &str,
) -> (&'static str, String) {
    let said: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let said = said.join("; ");
    let how = match status {
        Some(status) => match status.code() {
            Some(code) => format!("ssh exited with status {code}"),
            None => format!("ssh ended: {status}"),
        },
        None => "ssh closed its output".to_string(),
    };
    let mut message = format!(
        "cannot reach the Docker daemon at {}: {how}",
        command.target
    );
    if said.is_empty() {
        message.push_str(
            " before answering (is Docker 18.09 or newer installed on the remote host, and \
             `docker system dial-stdio` allowed?)",
        );
    } else {
        message.push_str(": ");
        message.push_str(&said);
    }
    let kind = if said.to_ascii_lowercase().contains("timed out") {
        "timeout"
    } else {
        "connection"
    };
    (kind, message)
}

/// After a failure answer: lets the client read it and hang up (hyper
/// closes on `Connection: close`), for a while; what it still sends is
/// discarded by `upstream`.
async fn hang_up(upstream: tokio::task::JoinHandle<()>, stop: &mut watch::Receiver<bool>) {
    let abort = upstream.abort_handle();
    tokio::select! {
        _ = stop.changed() => {}
        _ = tokio::time::timeout(HANG_UP_GRACE, upstream) => {}
    }
    abort.abort();
}

async fn write_failure(to_client: &mut OwnedWriteHalf, kind: &str, message: &str) {
    let body = serde_json::json!({ "message": message }).to_string();
    let answer = format!(
        "HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         {FAILURE_HEADER}: {kind}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = to_client.write_all(answer.as_bytes()).await;
    let _ = to_client.shutdown().await;
}

/// The error kind a bridge's own answer stands for, if `headers` are of one.
pub(crate) fn failure_kind(headers: &reqwest::header::HeaderMap) -> Option<ErrorKind> {
    match headers.get(FAILURE_HEADER)?.as_bytes() {
        b"timeout" => Some(ErrorKind::Timeout),
        _ => Some(ErrorKind::Connection),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command() -> SshCommand {
        SshCommand {
            program: "ssh".into(),
            args: vec![],
            target: "ssh://me@h:2222".into(),
        }
    }

    #[test]
    fn failure_messages_carry_what_ssh_said() {
        use std::os::unix::process::ExitStatusExt;
        let (kind, message) = failure_message(
            &command(),
            Some(ExitStatus::from_raw(255 << 8)),
            "Warning: x\nme@127.0.0.1: Permission denied (publickey).\n",
        );
        assert_eq!(kind, "connection");
        assert_eq!(
            message,
            "cannot reach the Docker daemon at ssh://me@h:2222: ssh exited with status 255: \
             Warning: x; me@127.0.0.1: Permission denied (publickey)."
        );
        let (kind, _) = failure_message(
            &command(),
            Some(ExitStatus::from_raw(255 << 8)),
            "ssh: connect to host 10.0.0.1 port 22: Connection timed out\n",
        );
        assert_eq!(kind, "timeout");
        let (_, message) = failure_message(&command(), Some(ExitStatus::from_raw(0)), "");
        assert!(message.contains("dial-stdio"), "{message}");
    }

    #[tokio::test]
    async fn the_directory_is_private_and_goes_away() {
        use std::os::unix::fs::PermissionsExt;
        let target = SshTarget::parse("nobody@127.0.0.1:1").unwrap();
        let bridge = SshBridge::start(&target, &[], Some(Duration::from_secs(1))).unwrap();
        let dir = bridge.dir.clone();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(bridge.socket().exists());
        drop(bridge);
        assert!(!dir.exists(), "{} is left", dir.display());
    }
}
