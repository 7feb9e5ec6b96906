//! The two-node swarm of `cargo xtask engine swarm up` (manager: engine 28,
//! worker: engine 26), as `target/engines/swarm.json` records it.
//!
//! `cargo xtask test` forms it and sets `DEA_TEST_SWARM` to that file. By hand:
//! `cargo xtask engine up && cargo xtask engine swarm up`, then run the tests
//! with `DEA_TEST_ENGINES=target/engines/engines.json
//! DEA_TEST_SWARM=target/engines/swarm.json`.

use std::path::PathBuf;

use docker_engine_client::{Docker, Host};

/// A node of the cluster.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct SwarmNode {
    /// The engine's name (`28`, `26`).
    pub engine: String,
    /// `manager` or `worker`.
    pub role: String,
    pub node_id: String,
    /// The node's advertised swarm address.
    pub addr: String,
    pub docker_host: String,
}

impl SwarmNode {
    pub fn docker(&self) -> Docker {
        let host = Host::parse(&self.docker_host)
            .unwrap_or_else(|e| panic!("swarm node {}: {e}", self.engine));
        Docker::connect(docker_engine_client::Config::new(host))
            .unwrap_or_else(|e| panic!("swarm node {}: {e}", self.engine))
    }
}

#[derive(Clone, Debug, serde::Deserialize)]
struct Recorded {
    cluster_id: String,
    nodes: Vec<SwarmNode>,
}

/// The cluster: one manager, one worker.
#[derive(Clone, Debug)]
pub struct Swarm {
    pub cluster_id: String,
    pub manager: SwarmNode,
    pub worker: SwarmNode,
}

const HOW: &str = "run the tests with `cargo xtask test` (it forms the swarm), or \
                   `cargo xtask engine up && cargo xtask engine swarm up` and set \
                   DEA_TEST_SWARM=target/engines/swarm.json";

/// The swarm to test against. Panics (failing the test) when there is none, or
/// when the recorded one is not what the manager serves (a stale record).
pub async fn swarm() -> Swarm {
    let file = swarm_file();
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "no swarm to test against: cannot read {} ({e}); {HOW}",
            file.display()
        )
    });
    let recorded: Recorded = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a swarm record: {e}; {HOW}", file.display()));
    let role = |role: &str| {
        let found = recorded.nodes.iter().find(|n| n.role == role).cloned();
        found.unwrap_or_else(|| panic!("{} names no {role}; {HOW}", file.display()))
    };
    let swarm = Swarm {
        cluster_id: recorded.cluster_id.clone(),
        manager: role("manager"),
        worker: role("worker"),
    };
    // The record must describe the running cluster.
    let docker = swarm.manager.docker();
    let info = docker
        .client()
        .await
        .unwrap_or_else(|e| panic!("the swarm's manager does not answer: {e}; {HOW}"));
    let id = docker_engine_client::with_api!(&info, |c, api| {
        c.swarm_inspect()
            .send()
            .await
            .map(|s| s.into_inner().id)
            .unwrap_or_else(|e| panic!("the swarm's manager is not a manager: {e}; {HOW}"))
    });
    assert_eq!(
        id.as_deref(),
        Some(swarm.cluster_id.as_str()),
        "{} records another cluster than the manager serves (stale); {HOW}",
        file.display()
    );
    swarm
}

fn swarm_file() -> PathBuf {
    if let Some(file) = std::env::var_os("DEA_TEST_SWARM").filter(|f| !f.is_empty()) {
        return file.into();
    }
    // Next to the engines' record, when that is a file.
    match std::env::var("DEA_TEST_ENGINES") {
        Ok(engines) if engines.ends_with(".json") => PathBuf::from(engines)
            .parent()
            .map(|dir| dir.join("swarm.json"))
            .unwrap_or_default(),
        _ => panic!("no swarm to test against: DEA_TEST_SWARM is not set; {HOW}"),
    }
}
