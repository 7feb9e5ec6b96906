//! Pulls an image from a registry that needs a login, with a typed credential
//! (Docker's SDK examples: "Pull an image with authentication"):
//! `REGISTRY_PASSWORD=… cargo run --example pull_with_auth -- IMAGE USER`.
//! The password reaches only the image's registry and no log or error text.

use docker_engine_client::{Docker, RegistryAuth, latest as api, prelude::*, registry_of_image};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let (Some(image), Some(user)) = (std::env::args().nth(1), std::env::args().nth(2)) else {
        eprintln!("usage: REGISTRY_PASSWORD=… pull_with_auth IMAGE USER");
        std::process::exit(2);
    };
    let password = std::env::var("REGISTRY_PASSWORD").unwrap_or_default();
    let auth = RegistryAuth::basic(user, password, registry_of_image(&image));
    let c = Docker::from_env()?.latest().await?;
    let pull = c
        .image_create()
        .from_image(&image)
        .x_registry_auth(auth.header_value());
    let mut progress = pull
        .send()
        .await?
        .into_inner()
        .json_lines::<api::stream_items::ImageCreate>();
    while let Some(line) = progress.next().await {
        if let Some(status) = line?.status {
            println!("{status}");
        }
    }
    Ok(())
}
