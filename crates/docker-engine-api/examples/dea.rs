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
//! ```

use clap::{Parser, Subcommand};
use docker_engine_api::{
    ByteStreamExt, Docker, Error, ExecStartOptions, LogOutput, LogStream, ResponseExt,
    VersionedClient, with_api,
};
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

#[derive(Parser)]
#[command(name = "dea", about = "A small Docker CLI on docker-engine-api")]
struct Cli {
    #[command(subcommand)]
    command: Command,
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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cli = Cli::parse();
    match run(cli.command).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error ({:?}): {e}", e.kind());
            std::process::exit(125);
        }
    }
}

async fn run(command: Command) -> Result<i32, Error> {
    let docker = Docker::from_env()?;
    let negotiated = docker.negotiate().await?;
    let client = docker.client().await?;
    let max = negotiated
        .daemon_max
        .map_or_else(|| "unknown (pinned)".to_string(), |v| v.to_string());
    let types = if negotiated.exact() {
        String::new()
    } else {
        format!(" with the types of v{}", negotiated.types)
    };
    if !matches!(command, Command::Version) {
        eprintln!(
            "API v{}{types} (daemon serves up to v{max})",
            negotiated.version
        );
    }
    match command {
        Command::Version => version(&client, &max, &types).await,
        Command::Ps { all } => ps(&client, all).await,
        Command::Run { image, command } => run_container(&client, image, command).await,
        Command::Logs { follow, container } => logs(&client, &container, follow).await,
        Command::Events => events(&client).await,
        Command::Exec {
            interactive,
            container,
            command,
        } => exec(&docker, &client, &container, command, interactive).await,
    }
}

async fn version(client: &VersionedClient, max: &str, types: &str) -> Result<i32, Error> {
    with_api!(client, |c, api| {
        let v = c.system_version().send().await?.into_inner();
        println!("negotiated API v{}{types}", client.version());
        println!(
            "daemon API v{max} (minimum v{})",
            v.min_api_version.unwrap_or_default()
        );
        println!(
            "Docker {} {}/{}",
            v.version.unwrap_or_default(),
            v.os.unwrap_or_default(),
            v.arch.unwrap_or_default()
        );
    });
    Ok(0)
}

async fn ps(client: &VersionedClient, all: bool) -> Result<i32, Error> {
    with_api!(client, |c, api| {
        for s in c.container_list().all(all).send().await?.into_inner() {
            let id: String = s.id.unwrap_or_default().chars().take(12).collect();
            let names = s.names.unwrap_or_default().join(",");
            println!(
                "{id}  {:<24} {:<20} {}",
                s.image.unwrap_or_default(),
                s.status.unwrap_or_default(),
                names
            );
        }
    });
    Ok(0)
}

async fn print_output<S>(mut output: S) -> Result<(), Error>
where
    S: Stream<Item = Result<LogOutput, Error>> + Unpin,
{
    while let Some(chunk) = output.next().await {
        match chunk? {
            LogOutput::StdErr(b) => tokio::io::stderr().write_all(&b).await?,
            other => tokio::io::stdout().write_all(other.bytes()).await?,
        }
    }
    Ok(())
}

async fn run_container(
    client: &VersionedClient,
    image: String,
    command: Vec<String>,
) -> Result<i32, Error> {
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
        let printed = print_output(logs.output()).await;
        let code = c
            .container_wait()
            .id(&id)
            .send()
            .await?
            .into_inner()
            .status_code;
        c.container_delete().id(&id).force(true).send().await?;
        printed?;
        Ok(code as i32)
    })
}

async fn logs(client: &VersionedClient, container: &str, follow: bool) -> Result<i32, Error> {
    with_api!(client, |c, api| {
        let logs = c
            .container_logs()
            .id(container)
            .follow(follow)
            .stdout(true)
            .stderr(true)
            .send()
            .await?;
        let stream: LogStream<_> = logs.output();
        print_output(stream).await?;
    });
    Ok(0)
}

async fn events(client: &VersionedClient) -> Result<i32, Error> {
    with_api!(client, |c, api| {
        let mut events = c
            .system_events()
            .send()
            .await?
            .into_inner()
            .json_lines::<api::stream_items::SystemEvents>();
        while let Some(event) = events.next().await {
            let e = event?;
            println!(
                "{} {} {}",
                e.type_.map(|t| t.to_string()).unwrap_or_default(),
                e.action.unwrap_or_default(),
                e.actor.and_then(|a| a.id).unwrap_or_default()
            );
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
) -> Result<i32, Error> {
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
    print_output(session.output).await?;
    feed.abort();
    let code = with_api!(client, |c, api| c
        .exec_inspect()
        .id(&exec_id)
        .send()
        .await?
        .into_inner()
        .exit_code);
    Ok(code.unwrap_or(0) as i32)
}
