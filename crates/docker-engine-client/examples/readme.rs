//! The README's first program, as it is there (`tests/tests/default_features.rs`
//! checks that the two are the same, and runs it against every engine with
//! default features): `cargo run --example readme`.

// Kept as the README shows it, in its compact lines.
#![cfg_attr(rustfmt, rustfmt::skip)]

use docker_engine_client::{Docker, Filters, latest as api, prelude::*};

#[tokio::main]
async fn main() -> Result<(), docker_engine_client::Error> {
    let docker = Docker::from_env()?; // DOCKER_HOST, contexts, TLS, DOCKER_API_VERSION
    let c = docker.latest().await?; // the newest types, speaking the daemon's version
    let body = api::types::ContainerCreateBody {
        image: Some("busybox".into()),
        cmd: Some(vec!["echo".into(), "hello world".into()]),
        ..Default::default()
    };
    let id = c.container_create().body(body).send().await?.into_inner().id;
    c.container_start().id(&id).send().await?;
    c.container_wait().id(&id).send().await?;
    let mut logs = c.container_logs().id(&id).stdout(true).stderr(true).send().await?.output();
    while let Some(chunk) = logs.next().await {
        print!("{}", chunk?); // LogOutput::StdOut / StdErr / Console
    }
    let filters = Filters::new().add("status", "running");
    let running = c.container_list().filters(filters).send().await?.into_inner();
    println!("{} running", running.len());
    Ok(())
}
