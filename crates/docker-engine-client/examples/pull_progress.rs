//! Pulls an image and prints its progress: `cargo run --example pull_progress -- alpine:3`.
//! Credentials come from `~/.docker/config.json` (auths, credsStore, credHelpers).
//! A failure the daemon reports in the middle of the stream (`{"error": ...}`
//! with HTTP 200) is an error here, not a silent end.

use docker_engine_client::{Docker, RegistryAuth, latest as api, prelude::*, registry_of_image};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let image = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "busybox:latest".into());
    let docker = Docker::from_env()?;
    let c = docker.latest().await?;
    let mut request = c.image_create().from_image(&image);
    if let Some(auth) = RegistryAuth::from_docker_config(&registry_of_image(&image))? {
        request = request.x_registry_auth(auth.header_value());
    }
    let mut progress = request
        .send()
        .await?
        .into_inner()
        .json_lines::<api::stream_items::ImageCreate>();
    while let Some(line) = progress.next().await {
        let line = line?;
        let detail = match line.progress_detail {
            Some(d) if d.total.is_some() => format!(
                "{}/{} bytes",
                d.current.unwrap_or_default(),
                d.total.unwrap_or_default()
            ),
            _ => String::new(),
        };
        println!(
            "{} {} {detail}",
            line.id.unwrap_or_default(),
            line.status.unwrap_or_default()
        );
    }
    Ok(())
}
