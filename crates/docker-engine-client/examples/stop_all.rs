//! Stops every running container (Docker's SDK examples: "Stop all running
//! containers"; do not run it against a daemon whose containers you need):
//! `cargo run --example stop_all -- [SECONDS]`, the grace period before a
//! kill (Docker's default: 10).

use docker_engine_client::Docker;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let seconds: i64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let c = Docker::from_env()?.latest().await?;
    for container in c.container_list().send().await?.into_inner() {
        let id = container.id.unwrap_or_default();
        print!("Stopping container {}... ", id.get(..12).unwrap_or(&id));
        c.container_stop().id(&id).t(seconds).send().await?;
        println!("Success");
    }
    Ok(())
}
