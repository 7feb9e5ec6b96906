//! A tiny client for tests that must run in another process (as another user,
//! or to be killed): `dea-probe ping` connects to `DOCKER_HOST` and prints
//! `ok API-VERSION` or `error KIND: MESSAGE` (exit code 0 or 1).

use docker_engine_client::Docker;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let result = async {
        let docker = Docker::from_env()?;
        docker.negotiate().await
    }
    .await;
    match result {
        Ok(n) => println!("ok {}", n.version),
        Err(e) => {
            println!("error {:?}: {e}", e.kind());
            std::process::exit(1);
        }
    }
}
