//! `ps`, `run`, `logs`, `exec`, `inspect`: the container commands, printed
//! as the docker CLI prints them.

use docker_engine_client::prelude::*;
use docker_engine_client::{
    AttachOptions, Docker, Error, ErrorKind, ExecStartOptions, LogOutput, VersionedClient, with_api,
};
use futures_util::Stream;
use serde_json::Value;

use crate::cli::{ExecArgs, InspectArgs, LogsArgs, PsArgs, RunArgs};
use crate::format::{ago, ellipsis, short_id, table};
use crate::output::{Failure, Output, docker, next_or_flush};

/// A container's or a process's exit code as a process exit status.
fn exit_status(code: i64) -> u8 {
    (code & 0xff) as u8
}

pub async fn ps(client: &VersionedClient, args: PsArgs, out: &mut Output) -> Result<u8, Failure> {
    let trunc = !args.no_trunc;
    let mut rows = Vec::new();
    with_api!(client, |c, api| {
        let list = c
            .container_list()
            .all(args.all)
            .send()
            .await
            .map_err(docker)?
            .into_inner();
        for s in list {
            let id = s.id.unwrap_or_default();
            let id = if trunc { short_id(&id) } else { id };
            if args.quiet {
                rows.push(vec![id]);
                continue;
            }
            let image = s.image.unwrap_or_default();
            let image = if trunc && image.starts_with("sha256:") {
                short_id(&image)
            } else {
                image
            };
            let command = s.command.unwrap_or_default();
            let command = if trunc {
                ellipsis(&command, 20)
            } else {
                command
            };
            let ports: Vec<String> = s
                .ports
                .unwrap_or_default()
                .into_iter()
                .map(|p| {
                    let proto = p.type_.to_string();
                    match (p.ip, p.public_port) {
                        (Some(ip), Some(public)) if !ip.is_empty() => {
                            let ip = if ip.contains(':') {
                                format!("[{ip}]")
                            } else {
                                ip
                            };
                            format!("{ip}:{public}->{}/{proto}", p.private_port)
                        }
                        _ => format!("{}/{proto}", p.private_port),
                    }
                })
                .collect();
            // Names of links (`/other/alias`) are shown only untruncated.
            let names: Vec<String> = s
                .names
                .unwrap_or_default()
                .into_iter()
                .filter(|n| !trunc || n.matches('/').count() <= 1)
                .map(|n| n.trim_start_matches('/').to_string())
                .collect();
            rows.push(vec![
                id,
                image,
                format!("\"{command}\""),
                ago(s.created.unwrap_or_default()),
                s.status.unwrap_or_default(),
                ports.join(", "),
                names.join(","),
            ]);
        }
    });
    let text = if args.quiet {
        rows.iter().map(|r| format!("{}\n", r[0])).collect()
    } else {
        table(
            &[
                "CONTAINER ID",
                "IMAGE",
                "COMMAND",
                "CREATED",
                "STATUS",
                "PORTS",
                "NAMES",
            ],
            &rows,
        )
    };
    out.out(text.as_bytes()).await?;
    Ok(0)
}

/// Prints container output: stdout to stdout, stderr to stderr.
pub async fn print_output<S>(mut output: S, out: &mut Output) -> Result<(), Failure>
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

pub async fn run(
    docker_client: &Docker,
    client: &VersionedClient,
    args: RunArgs,
    out: &mut Output,
) -> Result<u8, Failure> {
    let attach = !args.detach;
    let stdin = args.interactive;
    let (id, wait) = with_api!(client, |c, api| {
        let host_config = api::types::HostConfig {
            binds: (!args.volume.is_empty()).then(|| args.volume.clone()),
            auto_remove: Some(args.rm),
            network_mode: args.network.clone(),
            ..Default::default()
        };
        let body = api::types::ContainerCreateBody {
            image: Some(args.image.clone()),
            cmd: (!args.command.is_empty()).then(|| args.command.clone()),
            env: (!args.env.is_empty()).then(|| args.env.clone()),
            tty: Some(args.tty),
            open_stdin: Some(stdin),
            stdin_once: Some(stdin),
            attach_stdin: Some(stdin && attach),
            attach_stdout: Some(attach),
            attach_stderr: Some(attach),
            host_config: Some(host_config),
            ..Default::default()
        };
        let mut create = c.container_create().body(body);
        if let Some(name) = &args.name {
            create = create.name(name.clone());
        }
        let id = create.send().await.map_err(docker)?.into_inner().id;
        if args.detach {
            c.container_start().id(&id).send().await.map_err(docker)?;
            out.out(format!("{id}\n").as_bytes()).await?;
            return Ok(0);
        }
        // Wait before starting, so that the exit (and, with --rm, the
        // removal) cannot pass unseen.
        let condition = if args.rm { "removed" } else { "next-exit" };
        let waiter = c.clone();
        let waited = id.clone();
        let wait = tokio::spawn(async move {
            let condition: api::types::ContainerWaitCondition =
                condition.parse().unwrap_or_default();
            waiter
                .container_wait()
                .id(waited)
                .condition(condition)
                .send()
                .await
                .map(|r| r.into_inner().status_code)
                .map_err(Error::from)
        });
        (id, wait)
    });
    let session = docker_client
        .attach(
            &id,
            &AttachOptions {
                stdin,
                ..AttachOptions::default()
            },
        )
        .await?;
    with_api!(client, |c, api| {
        c.container_start().id(&id).send().await.map_err(docker)?;
    });
    let mut input = session.stdin;
    let feed = tokio::spawn(async move {
        if stdin {
            let _ = tokio::io::copy(&mut tokio::io::stdin(), &mut input).await;
        }
        input.close().await
    });
    let printed = print_output(session.output, out).await;
    feed.abort();
    printed?;
    let code = wait
        .await
        .map_err(|e| Failure::Usage(format!("waiting for the container: {e}")))??;
    Ok(exit_status(code))
}

pub async fn logs(
    client: &VersionedClient,
    args: LogsArgs,
    out: &mut Output,
) -> Result<u8, Failure> {
    with_api!(client, |c, api| {
        let logs = c
            .container_logs()
            .id(&args.container)
            .follow(args.follow)
            .tail(args.tail.clone())
            .timestamps(args.timestamps)
            .stdout(true)
            .stderr(true)
            .send()
            .await
            .map_err(docker)?;
        print_output(logs.output(), out).await?;
    });
    Ok(0)
}

pub async fn exec(
    docker_client: &Docker,
    client: &VersionedClient,
    args: ExecArgs,
    out: &mut Output,
) -> Result<u8, Failure> {
    let interactive = args.interactive;
    let exec_id = with_api!(client, |c, api| {
        let config = api::types::ExecConfig {
            attach_stdin: Some(interactive),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(args.tty),
            env: (!args.env.is_empty()).then(|| args.env.clone()),
            cmd: Some(args.command.clone()),
            ..Default::default()
        };
        c.container_exec()
            .id(&args.container)
            .body(config)
            .send()
            .await
            .map_err(docker)?
            .into_inner()
            .id
    });
    let options = ExecStartOptions {
        tty: args.tty,
        ..ExecStartOptions::default()
    };
    let session = docker_client.exec_start(&exec_id, &options).await?;
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
        .await
        .map_err(docker)?
        .into_inner()
        .exit_code);
    Ok(exit_status(code.unwrap_or(0)))
}

/// The docker CLI's `inspect`: each name as a container, else as an image,
/// printed together as one JSON array indented by 4; a name that is neither
/// is reported and makes the exit status 1.
pub async fn inspect(
    client: &VersionedClient,
    args: InspectArgs,
    out: &mut Output,
) -> Result<u8, Failure> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in &args.names {
        let value: Option<Value> = with_api!(client, |c, api| {
            match c
                .container_inspect()
                .id(name)
                .send()
                .await
                .map_err(Error::from)
            {
                Ok(r) => Some(json(&r.into_inner())?),
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    match c
                        .image_inspect()
                        .name(name)
                        .send()
                        .await
                        .map_err(Error::from)
                    {
                        Ok(r) => Some(json(&r.into_inner())?),
                        Err(e) if e.kind() == ErrorKind::NotFound => None,
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        });
        match value {
            Some(v) => found.push(v),
            None => missing.push(name),
        }
    }
    let mut text = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
    serde::Serialize::serialize(&found, &mut serializer)
        .map_err(|e| Failure::Usage(format!("cannot encode the answer: {e}")))?;
    text.push(b'\n');
    out.out(&text).await?;
    for name in &missing {
        out.err(format!("Error: No such object: {name}\n").as_bytes())
            .await?;
    }
    Ok(if missing.is_empty() { 0 } else { 1 })
}

fn json<T: serde::Serialize>(value: &T) -> Result<Value, Failure> {
    serde_json::to_value(value)
        .map_err(|e| Failure::Usage(format!("cannot encode the answer: {e}")))
}
