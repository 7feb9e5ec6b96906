//! Runs a container in the background and prints its ID, like
//! `docker run -d busybox sleep 300` (Docker's SDK examples: "Run a container
//! in the background"): `cargo run --example run_background -- [IMAGE]`.

use docker_engine_client::{Docker, latest as api};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let image = std::env::args().nth(1).unwrap_or_else(|| "busybox".into());
    let c = Docker::from_env()?.latest().await?;
    let body = api::types::ContainerCreateBody {
        image: Some(image),
        cmd: Some(vec!["sleep".into(), "300".into()]),
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
    println!("{id}");
    Ok(())
}
