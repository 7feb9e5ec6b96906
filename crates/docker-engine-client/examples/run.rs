//! The seed scenario: create a container running `echo hello world`, start it,
//! wait for it, print its logs, remove it.
//!
//! `cargo run --example run -- [IMAGE]` (default image: `busybox`), with the
//! default features: the newest compiled-in types, speaking whatever version
//! the daemon serves (API v1.40 or newer: Docker 19.03 and later, Podman).

use docker_engine_client::{Docker, LogOutput, latest as api, prelude::*};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let image = std::env::args().nth(1).unwrap_or_else(|| "busybox".into());
    let docker = Docker::from_env()?;
    let c = docker.latest().await?;

    let body = api::types::ContainerCreateBody {
        image: Some(image),
        cmd: Some(vec!["echo".into(), "hello world".into()]),
        ..Default::default()
    };
    let created = c.container_create().body(body).send().await?.into_inner();
    c.container_start().id(&created.id).send().await?;
    let exit = c
        .container_wait()
        .id(&created.id)
        .send()
        .await?
        .into_inner();

    let mut logs = c
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
    c.container_delete().id(&created.id).send().await?;
    println!("exit code {}", exit.status_code);
    Ok(())
}
