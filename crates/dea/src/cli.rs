//! The command line, as clap parses it.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "dea",
    version,
    about = "A Docker CLI on docker-engine-client",
    after_help = "The daemon is DOCKER_HOST's (or the current context's). Exit status: the container's or \
                  command's for `run` and `exec`, 125 when dea itself fails, 141 when the reader of its \
                  output went away."
)]
pub struct Cli {
    /// Limit in seconds on connecting and on each request that is not a
    /// stream (overrides DOCKER_CLIENT_TIMEOUT; 0: no limit). Commands that
    /// follow a stream (`logs -f`, `events`, `run`, `exec`, `api` of a
    /// stream) may stay quiet for longer.
    #[arg(long, global = true, value_name = "SECS", value_parser = limit)]
    pub timeout: Option<Limit>,
    #[command(subcommand)]
    pub command: Command,
}

/// A `--timeout`: `None` is no limit.
#[derive(Clone, Copy)]
pub struct Limit(pub Option<Duration>);

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
pub enum Command {
    /// Show the client's and the daemon's versions.
    Version,
    /// Display system-wide information.
    Info,
    /// List containers.
    Ps(PsArgs),
    /// List images.
    Images(ImagesArgs),
    /// Create and run a new container from an image.
    Run(RunArgs),
    /// Fetch the logs of a container.
    Logs(LogsArgs),
    /// Get real time events from the server.
    Events(EventsArgs),
    /// Execute a command in a running container.
    Exec(ExecArgs),
    /// Return low-level information on containers or images, as JSON.
    Inspect(InspectArgs),
    /// Download an image from a registry.
    Pull(PullArgs),
    /// Load an image from a tar archive or stdin.
    Load(LoadArgs),
    /// Build an image from a directory with a Dockerfile (the classic builder).
    Build(BuildArgs),
    /// Call any operation of the negotiated API version.
    Api(ApiArgs),
}

impl Command {
    /// Whether the command follows a stream that may stay quiet for long.
    pub fn follows(&self) -> bool {
        match self {
            Command::Logs(a) => a.follow,
            Command::Api(_)
            | Command::Events(_)
            | Command::Run(_)
            | Command::Exec(_)
            | Command::Pull(_)
            | Command::Load(_)
            | Command::Build(_) => true,
            _ => false,
        }
    }
}

#[derive(Args)]
pub struct PsArgs {
    /// Show all containers (default shows just running).
    #[arg(short, long)]
    pub all: bool,
    /// Only display container IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
}

#[derive(Args)]
pub struct ImagesArgs {
    /// Show all images (default hides intermediate images).
    #[arg(short, long)]
    pub all: bool,
    /// Only show image IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
}

#[derive(Args)]
pub struct RunArgs {
    /// Run container in background and print container ID.
    #[arg(short, long)]
    pub detach: bool,
    /// Assign a name to the container.
    #[arg(long)]
    pub name: Option<String>,
    /// Automatically remove the container when it exits.
    #[arg(long)]
    pub rm: bool,
    /// Allocate a pseudo-TTY.
    #[arg(short, long)]
    pub tty: bool,
    /// Keep STDIN open and attach it.
    #[arg(short, long)]
    pub interactive: bool,
    /// Set environment variables (`NAME=value`).
    #[arg(short, long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// Bind mount a volume (`SRC:DST[:OPTS]`).
    #[arg(short, long = "volume", value_name = "SRC:DST")]
    pub volume: Vec<String>,
    /// Connect the container to a network.
    #[arg(long)]
    pub network: Option<String>,
    pub image: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Args)]
pub struct LogsArgs {
    /// Follow log output.
    #[arg(short, long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs (`all`).
    #[arg(short = 'n', long, default_value = "all")]
    pub tail: String,
    /// Show timestamps.
    #[arg(short, long)]
    pub timestamps: bool,
    pub container: String,
}

#[derive(Args)]
pub struct EventsArgs {
    /// Filter output based on conditions provided (`type=container`).
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Show all events created since timestamp (Unix seconds or RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Stream events until this timestamp.
    #[arg(long)]
    pub until: Option<String>,
}

#[derive(Args)]
pub struct ExecArgs {
    /// Keep STDIN open even if not attached.
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY.
    #[arg(short, long)]
    pub tty: bool,
    /// Set environment variables.
    #[arg(short, long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    pub container: String,
    #[arg(trailing_var_arg = true, required = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Args)]
pub struct InspectArgs {
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Args)]
pub struct PullArgs {
    pub image: String,
}

#[derive(Args)]
pub struct LoadArgs {
    /// Read from tar archive file, instead of STDIN.
    #[arg(short, long)]
    pub input: Option<std::path::PathBuf>,
    /// Suppress the load output.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args)]
pub struct BuildArgs {
    /// Name and optionally a tag (`name:tag`).
    #[arg(short, long)]
    pub tag: Vec<String>,
    /// Suppress the build output and print image ID on success.
    #[arg(short, long)]
    pub quiet: bool,
    /// The build context: a directory with a Dockerfile.
    pub context: std::path::PathBuf,
}

#[derive(Args)]
pub struct ApiArgs {
    /// List the operations of the negotiated version, with method and path.
    #[arg(long)]
    pub list: bool,
    /// The operation (`ContainerList` or `container_list`), then its
    /// parameters as `--name value`, `--body FILE` (`-` for stdin), or
    /// `--help` for its parameters.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "OPERATION [ARGS]"
    )]
    pub rest: Vec<String>,
}
