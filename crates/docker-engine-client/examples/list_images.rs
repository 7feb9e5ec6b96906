//! Lists the images, like `docker image ls` (Docker's SDK examples: "List all
//! images"): `cargo run --example list_images`.

use docker_engine_client::Docker;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let c = Docker::from_env()?.latest().await?;
    for image in c.image_list().send().await?.into_inner() {
        println!(
            "{} {}",
            image.id,
            image.repo_tags.unwrap_or_default().join(" ")
        );
    }
    Ok(())
}
