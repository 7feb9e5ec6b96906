//! `dea`: a Docker CLI on docker-engine-client. The commands the docker CLI
//! has print what it prints and exit as it exits; `dea api` calls any
//! operation of the negotiated API version through its generated client.
//!
//! This library is the `dea` binary, so that other packages' tests can build
//! it as their own binary; its only item is [`main`].

mod api;
mod cli;
mod containers;
mod format;
mod images;
mod output;
mod system;

use std::process::ExitCode;

use clap::Parser;
use docker_engine_client::{Config, Docker, ErrorKind};

use cli::{Cli, Command, Limit};
use output::{Failure, Output};

/// Runs `dea` with the process's arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // `docker run` fails with 125 (its container's own codes are the
    // others); every other command fails with 1.
    let failed = if matches!(cli.command, Command::Run(_)) {
        125
    } else {
        1
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(failed);
        }
    };
    let code = runtime.block_on(async {
        let mut out = Output::new();
        let outcome = run(cli, &mut out).await;
        out.finish(outcome, failed).await
    });
    // `exec -i` and `run -i` leave a blocking read of stdin behind: do not
    // wait for it.
    runtime.shutdown_background();
    code
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
    let client = docker
        .client()
        .await
        .map_err(|e| unreachable_daemon(&docker, e))?;
    match cli.command {
        Command::Version => system::version(&docker, &client, out).await,
        Command::Info => system::info(&client, out).await,
        Command::Events(args) => system::events(&client, args, out).await,
        Command::Ps(args) => containers::ps(&client, args, out).await,
        Command::Run(args) => containers::run(&docker, &client, args, out).await,
        Command::Logs(args) => containers::logs(&client, args, out).await,
        Command::Exec(args) => containers::exec(&docker, &client, args, out).await,
        Command::Inspect(args) => containers::inspect(&client, args, out).await,
        Command::Images(args) => images::images(&client, args, out).await,
        Command::Pull(args) => images::pull(&client, args, out).await,
        Command::Load(args) => images::load(&client, args, out).await,
        Command::Build(args) => images::build(&client, args, out).await,
        Command::Api(args) => api::run(&client, args, out).await,
    }
}

/// A daemon that cannot be reached, said as the docker CLI says it (naming
/// the socket or host, not the URL the HTTP client made of it).
fn unreachable_daemon(docker: &Docker, e: docker_engine_client::Error) -> Failure {
    if e.kind() != ErrorKind::Connection {
        return Failure::Docker(e);
    }
    // reqwest says `error sending request for url (http://localhost/_ping): `
    // before the cause: a URL the user never gave.
    let mut cause = e.message().to_string();
    const URL: &str = "error sending request for url (";
    if let Some(start) = cause.find(URL)
        && let Some(end) = cause[start..].find("): ")
    {
        cause.replace_range(start..start + end + 3, "");
    }
    Failure::Usage(format!(
        "cannot connect to the Docker daemon at {}: {cause}. Is the docker daemon running?",
        docker.host()
    ))
}
