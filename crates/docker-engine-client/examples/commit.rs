//! Runs `touch /helloworld` in a container, then commits the container as an
//! image and prints the image's ID, like `docker commit` (Docker's SDK
//! examples: "Commit a container"): `cargo run --example commit -- [REPO]`.

use docker_engine_client::{Docker, latest as api};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let repo = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "helloworld".into());
    let c = Docker::from_env()?.latest().await?;
    let body = api::types::ContainerCreateBody {
        image: Some("busybox".into()),
        cmd: Some(vec!["touch".into(), "/helloworld".into()]),
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
    c.container_wait().id(&id).send().await?;
    let commit = c.image_commit().container(&id).repo(repo).send().await?;
    c.container_delete().id(&id).send().await?;
    println!("{}", commit.into_inner().id);
    Ok(())
}
