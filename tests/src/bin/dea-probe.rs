//! A tiny client for tests that must run in another process (as another user,
//! to be killed, or with an environment of its own):
//! - `dea-probe ping` connects to `DOCKER_HOST` and prints `ok API-VERSION`;
//! - `dea-probe pull IMAGE` pulls with the credentials the Docker CLI
//!   configuration gives for the image's registry (`DOCKER_CONFIG`: `auths`,
//!   `credsStore`, `credHelpers`, helpers found on `PATH`), prints each
//!   progress status, then `ok pulled`.
//!
//! On failure both print `error KIND: MESSAGE` and exit with code 1.

use docker_engine_client::{Docker, Error, RegistryAuth, latest as api, prelude::*};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["ping"] | [] => ping().await,
        ["pull", image] => pull(image).await,
        _ => {
            eprintln!("usage: dea-probe ping | dea-probe pull IMAGE");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        println!("error {:?}: {e}", e.kind());
        std::process::exit(1);
    }
}

async fn ping() -> Result<(), Error> {
    let n = Docker::from_env()?.negotiate().await?;
    println!("ok {}", n.version);
    Ok(())
}

async fn pull(image: &str) -> Result<(), Error> {
    let c = Docker::from_env()?.latest().await?;
    let mut request = c.image_create().from_image(image);
    let registry = docker_engine_client::registry_of_image(image);
    if let Some(auth) = RegistryAuth::from_docker_config(&registry)? {
        request = request.x_registry_auth(auth.header_value());
    }
    let mut progress = request
        .send()
        .await?
        .into_inner()
        .json_lines::<api::stream_items::ImageCreate>();
    while let Some(line) = progress.next().await {
        println!("{}", line?.status.unwrap_or_default());
    }
    println!("ok pulled");
    Ok(())
}
