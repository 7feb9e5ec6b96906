//! The seed scenario: create a container running `echo hello world`, start it,
//! wait for it, print its logs, remove it.
//!
//! `cargo run --example run -- [IMAGE]` (default image: `busybox`).

use docker_engine_api::{Docker, LogOutput, ResponseExt, v1_44};
use futures_util::StreamExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_api::Error> {
    let image = std::env::args().nth(1).unwrap_or_else(|| "busybox".into());
    let docker = Docker::from_env()?;
    // v1.44 is served by every daemon this crate supports.
    let api = docker.v1_44().await?;

    let body = v1_44::types::ContainerCreateBody {
        image: Some(image),
        cmd: Some(vec!["echo".into(), "hello world".into()]),
        ..Default::default()
    };
    let created = api.container_create().body(body).send().await?.into_inner();
    api.container_start().id(&created.id).send().await?;
    let exit = api
        .container_wait()
        .id(&created.id)
        .send()
        .await?
        .into_inner();

    let mut logs = api
        .container_logs()
        .id(&created.id)
        .stdout(true)
        .stderr(true)
        .send()
        .await?
        .output();
    while let Some(chunk) = logs.next().await {
        match chunk? {
            LogOutput::StdErr(bytes) => eprint!("{}", String::from_utf8_lossy(&bytes)),
            other => print!("{other}"),
        }
    }
    api.container_delete().id(&created.id).send().await?;
    println!("exit code {}", exit.status_code);
    Ok(())
}
