//! Lists the running containers, like `docker ps` (Docker's SDK examples:
//! "List and manage containers"): `cargo run --example list_containers`.

use docker_engine_client::Docker;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let c = Docker::from_env()?.latest().await?;
    for container in c.container_list().send().await?.into_inner() {
        let (id, image) = (container.id, container.image);
        println!("{} {}", id.unwrap_or_default(), image.unwrap_or_default());
    }
    Ok(())
}
