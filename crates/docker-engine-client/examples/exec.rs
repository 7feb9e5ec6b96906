//! Runs a command in a running container with this process's stdin as its
//! stdin: `echo hi | cargo run --example exec -- CONTAINER cat`.
//! End of our stdin is end of its stdin (a half-close of the connection).

use docker_engine_client::{Docker, ExecStartOptions, LogOutput, latest as api, prelude::*};
use tokio::io::AsyncWriteExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let mut args = std::env::args().skip(1);
    let container = args.next().expect("usage: exec CONTAINER COMMAND...");
    let cmd: Vec<String> = args.collect();
    let docker = Docker::from_env()?;
    let c = docker.latest().await?;
    let exec = c
        .container_exec()
        .id(&container)
        .body(api::types::ExecConfig {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(cmd),
            ..Default::default()
        })
        .send()
        .await?
        .into_inner();
    let session = docker
        .exec_start(&exec.id, &ExecStartOptions::default())
        .await?;
    let mut stdin = session.stdin;
    let feed = tokio::spawn(async move {
        let mut ours = tokio::io::stdin();
        let _ = tokio::io::copy(&mut ours, &mut stdin).await;
        stdin.close().await
    });
    let mut output = session.output;
    while let Some(chunk) = output.next().await {
        match chunk? {
            LogOutput::StdErr(b) => tokio::io::stderr().write_all(&b).await?,
            other => tokio::io::stdout().write_all(other.bytes()).await?,
        }
    }
    feed.abort();
    let code = c
        .exec_inspect()
        .id(&exec.id)
        .send()
        .await?
        .into_inner()
        .exit_code
        .unwrap_or(0);
    std::process::exit(code as i32);
}
