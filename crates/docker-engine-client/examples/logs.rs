//! Prints the logs of a container, like `docker logs ID` (Docker's SDK
//! examples: "Print the logs of a specific container"):
//! `cargo run --example logs -- ID`.

use docker_engine_client::{Docker, prelude::*};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let Some(id) = std::env::args().nth(1) else {
        eprintln!("usage: logs CONTAINER");
        std::process::exit(2);
    };
    let c = Docker::from_env()?.latest().await?;
    let logs = c.container_logs().id(&id).stdout(true).stderr(true);
    let mut output = logs.send().await?.output();
    while let Some(chunk) = output.next().await {
        print!("{}", chunk?);
    }
    Ok(())
}
