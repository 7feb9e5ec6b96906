//! Prints the daemon's events as they happen, decoded into the negotiated
//! version's `EventMessage`. `cargo run --example events`; Ctrl-C to stop.

use docker_engine_client::{Docker, prelude::*, with_api};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let docker = Docker::from_env()?;
    let client = docker.client().await?;
    println!("API v{}", client.version());
    with_api!(&client, |c, api| {
        let mut events = c
            .system_events()
            .send()
            .await?
            .into_inner()
            .json_lines::<api::stream_items::SystemEvents>();
        while let Some(event) = events.next().await {
            let event = event?;
            println!(
                "{} {} {} {}",
                event.time.unwrap_or_default(),
                event.type_.map(|t| t.to_string()).unwrap_or_default(),
                event.action.unwrap_or_default(),
                event.actor.and_then(|a| a.id).unwrap_or_default()
            );
        }
    });
    Ok(())
}
