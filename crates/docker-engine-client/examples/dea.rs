//! `dea`: a small Docker CLI on top of the facade, written once for every
//! compiled-in API version with `with_api!`. Every command first says which
//! API version was negotiated (on stderr, except `version`).
//!
//! ```text
//! cargo run --example dea -- version
//! cargo run --example dea -- ps -a
//! cargo run --example dea -- run busybox echo hello
//! cargo run --example dea -- logs -f CONTAINER
//! cargo run --example dea -- events
//! echo hi | cargo run --example dea -- exec -i CONTAINER cat
//! cargo run --example dea -- --timeout 5 ps
//! ```
//!
//! Output goes through one buffered writer for stdout and one for stderr for
//! the whole run. Every write is awaited, so a slow reader slows `dea` down
//! instead of filling its memory; the writers are flushed whenever the
//! daemon pauses, when `dea` switches from one to the other, and before it
//! exits. Exit status: the command's for `run` and `exec`, 125 when `dea`
//! itself fails, and 141 (128 + SIGPIPE, what a shell reports for
//! `docker ps | head -1`) when the reader of its output went away.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use docker_engine_client::{
    ByteStreamExt, Config, Docker, Error, ExecStartOptions, LogOutput, ResponseExt,
    VersionedClient, with_api,
};
use futures_util::{FutureExt, Stream, StreamExt};
use tokio::io::{AsyncWriteExt, BufWriter};

#[derive(Parser)]
#[command(name = "dea", about = "A small Docker CLI on docker-engine-client")]
struct Cli {
    /// Limit in seconds on connecting and on each request that is not a
    /// stream (overrides DOCKER_CLIENT_TIMEOUT; 0: no limit). Commands that
    /// follow a stream (`logs -f`, `events`, `run`, `exec`) may stay quiet
    /// for longer.
    #[arg(long, global = true, value_name = "SECS", value_parser = limit)]
    timeout: Option<Limit>,
    #[command(subcommand)]
    command: Command,
}

/// A `--timeout`: `None` is no limit.
#[derive(Clone, Copy)]
struct Limit(Option<Duration>);

fn limit(text: &str) -> Result<Limit, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if secs == 0.0 {
        return Ok(Limit(None));
    }
    Duration::try_from_secs_f64(secs)
        .map(|d| Limit(Some(d)))
        .map_err(|_| format!("`{text}` is not a positive number of seconds"))
}

#[derive(Subcommand)]
enum Command {
    /// The negotiated API version, and the daemon's.
    Version,
    /// List containers.
    Ps {
        /// Include stopped containers.
        #[arg(short, long)]
        all: bool,
    },
    /// Run a command in a new container, print its output, remove it.
    Run {
        image: String,
        #[arg(trailing_var_arg = true)]
        command: Vec<String>,
    },
    /// Print a container's logs.
    Logs {
        /// Keep streaming new output.
        #[arg(short, long)]
        follow: bool,
        container: String,
    },
    /// Print events as they happen.
    Events,
    /// Run a command in a running container.
    Exec {
        /// Connect this process's stdin to the command's.
        #[arg(short, long)]
        interactive: bool,
        container: String,
        #[arg(trailing_var_arg = true, required = true)]
        command: Vec<String>,
    },
}

impl Command {
    /// Whether the command follows a stream that may stay quiet for long.
    fn follows(&self) -> bool {
        matches!(
            self,
            Command::Logs { follow: true, .. }
                | Command::Events
                | Command::Run { .. }
                | Command::Exec { .. }
        )
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(125);
        }
    };
    let code = runtime.block_on(async {
        let mut out = Output::new();
        let outcome = run(cli, &mut out).await;
        out.finish(outcome).await
    });
    // `exec -i` leaves a blocking read of stdin behind: do not wait for it.
    runtime.shutdown_background();
    code
}

/// Why a command stopped before its end.
enum Failure {
    /// The daemon, the connection or the configuration.
    Docker(Error),
    /// Writing `dea`'s own output.
    Output(std::io::Error),
}

/// Errors of the facade and of every version's generated client.
impl<E: Into<Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Docker(e.into())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Stdio {
    Out,
    Err,
}

/// stdout and stderr of the whole run.
struct Output {
    stdout: BufWriter<tokio::io::Stdout>,
    stderr: BufWriter<tokio::io::Stderr>,
    /// The writer holding bytes not flushed yet.
    unflushed: Option<Stdio>,
}

impl Output {
    fn new() -> Self {
        Self {
            stdout: BufWriter::new(tokio::io::stdout()),
            stderr: BufWriter::new(tokio::io::stderr()),
            unflushed: None,
        }
    }

    async fn out(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.write(Stdio::Out, bytes).await
    }

    async fn err(&mut self, bytes: &[u8]) -> Result<(), Failure> {
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

    async fn flush(&mut self) -> Result<(), Failure> {
        let result = match self.unflushed.take() {
            Some(Stdio::Out) => self.stdout.flush().await,
            Some(Stdio::Err) => self.stderr.flush().await,
            None => Ok(()),
        };
        result.map_err(Failure::Output)
    }

    /// Flushes everything and turns the outcome into the exit status.
    async fn finish(mut self, outcome: Result<u8, Failure>) -> ExitCode {
        let outcome = match outcome {
            Ok(code) => self.flush().await.map(|()| code),
            Err(e) => Err(e),
        };
        let message = match outcome {
            Ok(code) => return ExitCode::from(code),
            // The reader went away (`dea ps | head -1`): nothing to say.
            Err(Failure::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                let _ = self.stderr.flush().await;
                return ExitCode::from(141);
            }
            Err(Failure::Output(e)) => format!("error: cannot write the output: {e}\n"),
            Err(Failure::Docker(e)) => format!("error ({:?}): {e}\n", e.kind()),
        };
        // What was printed before the error comes before it.
        let _ = self.stdout.flush().await;
        let _ = self.stderr.write_all(message.as_bytes()).await;
        let _ = self.stderr.flush().await;
        ExitCode::from(125)
    }
}

/// The next item of `stream`; when none is ready yet, the output is flushed
/// first, so that what was printed shows while the stream is quiet.
async fn next_or_flush<S: Stream + Unpin>(
    stream: &mut S,
    out: &mut Output,
) -> Result<Option<S::Item>, Failure> {
    if let Some(item) = stream.next().now_or_never() {
        return Ok(item);
    }
    out.flush().await?;
    Ok(stream.next().await)
}

async fn run(cli: Cli, out: &mut Output) -> Result<u8, Failure> {
    let mut config = Config::from_env()?;
    if let Some(Limit(limit)) = cli.timeout {
        config.connect_timeout = limit;
        config.request_timeout = limit;
    }
    // A command that follows no stream waits for nothing longer than a
    // whole request may take; this bounds the generated operations too.
    if !cli.command.follows() {
        config.read_timeout = config.read_timeout.or(config.request_timeout);
    }
    let docker = Docker::connect(config)?;
    let negotiated = docker.negotiate().await?;
    let client = docker.client().await?;
    let max = negotiated
        .daemon_max
        .map_or_else(|| "unknown (pinned)".to_string(), |v| v.to_string());
    // With default features only the newest crate is compiled in: an older
    // daemon's version is spoken with its types.
    let types = if negotiated.exact() {
        String::new()
    } else {
        format!(" with the types of v{}", negotiated.types)
    };
    if !matches!(cli.command, Command::Version) {
        let line = format!(
            "API v{}{types} (daemon serves up to v{max})\n",
            negotiated.version
        );
        out.err(line.as_bytes()).await?;
    }
    match cli.command {
        Command::Version => version(&client, &max, &types, out).await,
        Command::Ps { all } => ps(&client, all, out).await,
        Command::Run { image, command } => run_container(&client, image, command, out).await,
        Command::Logs { follow, container } => logs(&client, &container, follow, out).await,
        Command::Events => events(&client, out).await,
        Command::Exec {
            interactive,
            container,
            command,
        } => exec(&docker, &client, &container, command, interactive, out).await,
    }
}

/// A container's or a process's exit code as a process exit status.
fn exit_status(code: i64) -> u8 {
    (code & 0xff) as u8
}

async fn version(
    client: &VersionedClient,
    max: &str,
    types: &str,
    out: &mut Output,
) -> Result<u8, Failure> {
    let text = with_api!(client, |c, api| {
        let v = c.system_version().send().await?.into_inner();
        format!(
            "negotiated API v{}{types}\ndaemon API v{max} (minimum v{})\nDocker {} {}/{}\n",
            client.version(),
            v.min_api_version.unwrap_or_default(),
            v.version.unwrap_or_default(),
            v.os.unwrap_or_default(),
            v.arch.unwrap_or_default()
        )
    });
    out.out(text.as_bytes()).await?;
    Ok(0)
}

async fn ps(client: &VersionedClient, all: bool, out: &mut Output) -> Result<u8, Failure> {
    with_api!(client, |c, api| {
        for s in c.container_list().all(all).send().await?.into_inner() {
            let id: String = s.id.unwrap_or_default().chars().take(12).collect();
            let line = format!(
                "{id}  {:<24} {:<20} {}\n",
                s.image.unwrap_or_default(),
                s.status.unwrap_or_default(),
                s.names.unwrap_or_default().join(",")
            );
            out.out(line.as_bytes()).await?;
        }
    });
    Ok(0)
}

async fn print_output<S>(mut output: S, out: &mut Output) -> Result<(), Failure>
where
    S: Stream<Item = Result<LogOutput, Error>> + Unpin,
{
    while let Some(chunk) = next_or_flush(&mut output, out).await? {
        match chunk? {
            LogOutput::StdErr(b) => out.err(&b).await?,
            other => out.out(other.bytes()).await?,
        }
    }
    Ok(())
}

async fn run_container(
    client: &VersionedClient,
    image: String,
    command: Vec<String>,
    out: &mut Output,
) -> Result<u8, Failure> {
    with_api!(client, |c, api| {
        let body = api::types::ContainerCreateBody {
            image: Some(image),
            cmd: (!command.is_empty()).then_some(command),
            ..Default::default()
        };
        let id = c
            .container_create()
            .body(body)
            .send()
            .await?
            .into_inner()
            .id;
        c.container_start().id(&id).send().await?;
        let logs = c
            .container_logs()
            .id(&id)
            .follow(true)
            .stdout(true)
            .stderr(true)
            .send()
            .await?;
        let printed = print_output(logs.output(), out).await;
        let code = c
            .container_wait()
            .id(&id)
            .send()
            .await?
            .into_inner()
            .status_code;
        c.container_delete().id(&id).force(true).send().await?;
        printed?;
        Ok(exit_status(code))
    })
}

async fn logs(
    client: &VersionedClient,
    container: &str,
    follow: bool,
    out: &mut Output,
) -> Result<u8, Failure> {
    with_api!(client, |c, api| {
        let logs = c
            .container_logs()
            .id(container)
            .follow(follow)
            .stdout(true)
            .stderr(true)
            .send()
            .await?;
        print_output(logs.output(), out).await?;
    });
    Ok(0)
}

async fn events(client: &VersionedClient, out: &mut Output) -> Result<u8, Failure> {
    with_api!(client, |c, api| {
        let mut events = c
            .system_events()
            .send()
            .await?
            .into_inner()
            .json_lines::<api::stream_items::SystemEvents>();
        while let Some(event) = next_or_flush(&mut events, out).await? {
            let e = event?;
            let line = format!(
                "{} {} {}\n",
                e.type_.map(|t| t.to_string()).unwrap_or_default(),
                e.action.unwrap_or_default(),
                e.actor.and_then(|a| a.id).unwrap_or_default()
            );
            out.out(line.as_bytes()).await?;
        }
    });
    Ok(0)
}

async fn exec(
    docker: &Docker,
    client: &VersionedClient,
    container: &str,
    command: Vec<String>,
    interactive: bool,
    out: &mut Output,
) -> Result<u8, Failure> {
    let exec_id = with_api!(client, |c, api| {
        let config = api::types::ExecConfig {
            attach_stdin: Some(interactive),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(command),
            ..Default::default()
        };
        c.container_exec()
            .id(container)
            .body(config)
            .send()
            .await?
            .into_inner()
            .id
    });
    let session = docker
        .exec_start(&exec_id, &ExecStartOptions::default())
        .await?;
    let mut stdin = session.stdin;
    let feed = tokio::spawn(async move {
        if interactive {
            let _ = tokio::io::copy(&mut tokio::io::stdin(), &mut stdin).await;
        }
        stdin.close().await
    });
    let printed = print_output(session.output, out).await;
    feed.abort();
    printed?;
    let code = with_api!(client, |c, api| c
        .exec_inspect()
        .id(&exec_id)
        .send()
        .await?
        .into_inner()
        .exit_code);
    Ok(exit_status(code.unwrap_or(0)))
}
