//! Pushes an image to a registry with a typed credential, like
//! `docker push REGISTRY/NAME:TAG`:
//! `REGISTRY_PASSWORD=… cargo run --example push -- REGISTRY/NAME:TAG USER`.

use docker_engine_client::{Docker, RegistryAuth, latest as api, prelude::*, registry_of_image};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let (Some(image), Some(user)) = (std::env::args().nth(1), std::env::args().nth(2)) else {
        eprintln!("usage: REGISTRY_PASSWORD=… push REGISTRY/NAME:TAG USER");
        std::process::exit(2);
    };
    let password = std::env::var("REGISTRY_PASSWORD").unwrap_or_default();
    let auth = RegistryAuth::basic(user, password, registry_of_image(&image));
    // `127.0.0.1:5000/test/bb:1` → name `127.0.0.1:5000/test/bb`, tag `1`.
    let (name, tag) = match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (image.as_str(), "latest"),
    };
    let c = Docker::from_env()?.latest().await?;
    let push = c
        .image_push()
        .name(name)
        .tag(tag)
        .x_registry_auth(auth.header_value());
    let mut progress = push
        .send()
        .await?
        .into_inner()
        .json_lines::<api::stream_items::ImagePush>();
    while let Some(line) = progress.next().await {
        if let Some(status) = line?.status {
            println!("{status}");
        }
    }
    Ok(())
}
