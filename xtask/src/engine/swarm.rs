//! `cargo xtask engine swarm up|down|status`: a two-node swarm of the running
//! engines, a mixed-version cluster such as users have during upgrades.
//!
//! | node    | engine | swarm address  | gossip (memberlist) |
//! |---------|--------|----------------|---------------------|
//! | manager | 28     | 127.0.0.1:2377 | 127.0.0.1:7946      |
//! | worker  | 26     | 127.0.0.2:2378 | 127.0.0.2:7946      |
//!
//! Both engines share the machine's network namespace. The worker takes the
//! loopback address 127.0.0.2 (all of 127/8 is loopback on Linux) because
//! dockerd binds the network control plane's gossip to port 7946 of its
//! advertised address, with no option to move it: a worker on 127.0.0.1 joins,
//! but its network agent fails (`bind: address already in use`) and every task
//! attached to an overlay network is rejected there. What still cannot work on
//! one machine is the overlay *data plane* on both nodes: each engine creates a
//! VXLAN device for the network's VNI on UDP 4789 in the (shared) host
//! namespace, and the second one fails with `error creating vxlan interface:
//! file exists`. Tests place services attached to an overlay network on one
//! node.
//!
//! Everything goes through the engines' HTTP API (`POST /swarm/init`, `GET
//! /swarm` for the join token, `POST /swarm/join`, `POST /swarm/leave`). `up`
//! leaves a formed swarm alone, and recovers from any other state (a killed run
//! leaves the engines' swarm state in their data roots) by leaving and forming
//! again. The cluster is recorded in `target/engines/swarm.json`:
//!
//! ```json
//! {"cluster_id": "…", "nodes": [
//!   {"engine": "28", "role": "manager", "node_id": "…", "addr": "127.0.0.1:2377",
//!    "docker_host": "unix:///…/28/docker.sock"},
//!   {"engine": "26", "role": "worker", "node_id": "…", "addr": "127.0.0.2:2378",
//!    "docker_host": "unix:///…/26/docker.sock"}]}
//! ```
//!
//! The join token is a secret: it is never printed, logged or put in an error.

use std::fs;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::http::{self, Body};
use super::layout::Layout;
use super::{EngineInfo, EngineName, engines_dir, is_running, process, read_engines};

pub const MANAGER: EngineName = EngineName::V28;
pub const WORKER: EngineName = EngineName::V26;
const MANAGER_ADDR: &str = "127.0.0.1:2377";
const WORKER_ADDR: &str = "127.0.0.2:2378";
/// dockerd's fixed gossip port, on each node's advertised address.
const GOSSIP_PORT: u16 = 7946;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the nodes get to report `ready` (and to leave), in polls of 200 ms.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(clap::Subcommand)]
pub enum SwarmCommand {
    /// Form the swarm (manager 28, worker 26) from the running engines.
    Up,
    /// Make both engines leave the swarm.
    Down,
    /// Show each engine's swarm state.
    Status,
}

pub fn run(command: SwarmCommand) -> Result<()> {
    match command {
        SwarmCommand::Up => up().map(drop),
        SwarmCommand::Down => down(),
        SwarmCommand::Status => status(),
    }
}

/// The formed cluster, as recorded in `swarm.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SwarmInfo {
    pub cluster_id: String,
    pub nodes: Vec<SwarmNode>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SwarmNode {
    pub engine: EngineName,
    /// `manager` or `worker`.
    pub role: String,
    pub node_id: String,
    /// The node's advertised swarm address.
    pub addr: String,
    pub docker_host: String,
}

/// `target/engines/swarm.json`.
pub fn swarm_file() -> PathBuf {
    engines_dir().join("swarm.json")
}

/// One engine's view of the swarm: `GET /info`'s `Swarm`.
struct LocalState {
    engine: EngineName,
    socket: PathBuf,
    docker_host: String,
    /// `inactive`, `pending`, `active`, `error` or `locked`.
    state: String,
    node_id: String,
    node_addr: String,
    control_available: bool,
    /// The managers this node knows of, as `(node id, address)`.
    remote_managers: Vec<(String, String)>,
    /// Managers only.
    cluster_id: Option<String>,
}

impl LocalState {
    fn read(engine: &EngineInfo) -> Result<LocalState> {
        let socket = engine.socket();
        let info = get_json(&socket, "/info")
            .with_context(|| format!("engine {}: cannot read its swarm state", engine.name))?;
        let swarm = &info["Swarm"];
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let remote_managers = swarm["RemoteManagers"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|m| (text(&m["NodeID"]), text(&m["Addr"])))
                    .collect()
            })
            .unwrap_or_default();
        Ok(LocalState {
            engine: engine.name,
            socket,
            docker_host: engine.docker_host.clone(),
            state: text(&swarm["LocalNodeState"]),
            node_id: text(&swarm["NodeID"]),
            node_addr: text(&swarm["NodeAddr"]),
            control_available: swarm["ControlAvailable"].as_bool().unwrap_or(false),
            remote_managers,
            cluster_id: swarm["Cluster"]["ID"].as_str().map(str::to_owned),
        })
    }

    fn describe(&self) -> String {
        match self.state.as_str() {
            "inactive" => format!("engine {}: not in a swarm", self.engine),
            _ => format!(
                "engine {}: {} {} (node {}, address {})",
                self.engine,
                self.state,
                if self.control_available {
                    "manager"
                } else {
                    "worker"
                },
                self.node_id,
                self.node_addr
            ),
        }
    }
}

/// Forms the swarm, or finds it formed, and records it in `swarm.json`.
pub fn up() -> Result<SwarmInfo> {
    process::require_root()?;
    let dir = engines_dir();
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _lock = process::lock(&dir.join(".lock"))?;

    let (manager, worker) = running_pair()?;
    let (m, w) = (LocalState::read(&manager)?, LocalState::read(&worker)?);
    if let Some(info) = formed(&m, &w) {
        println!(
            "swarm: already formed (cluster {}; manager engine {MANAGER} node {}, worker engine {WORKER} node {})",
            info.cluster_id, m.node_id, w.node_id
        );
        write_swarm_file(&info)?;
        return Ok(info);
    }
    if m.state != "inactive" || w.state != "inactive" {
        println!(
            "swarm: leaving a stale swarm state ({}; {}) to form the swarm again",
            m.describe(),
            w.describe()
        );
        leave(&w)?;
        leave(&m)?;
    }
    check_ports_free()?;

    let started = Instant::now();
    init(&m)?;
    if let Err(e) = join(&m, &w) {
        let _ = leave_engine(&manager);
        return Err(e);
    }
    let info = wait_ready(&manager, &worker).inspect_err(|_| {
        let _ = leave_engine(&worker);
        let _ = leave_engine(&manager);
    })?;
    write_swarm_file(&info)?;
    println!(
        "swarm: formed in {:.1} s (cluster {}; manager engine {MANAGER} at {MANAGER_ADDR}, worker engine {WORKER} at {WORKER_ADDR})",
        started.elapsed().as_secs_f64(),
        info.cluster_id
    );
    Ok(info)
}

/// Makes both engines leave the swarm (those not running are skipped: their
/// state stays in their data roots, and the next `up` recovers from it).
pub fn down() -> Result<()> {
    process::require_root()?;
    let dir = engines_dir();
    fs::create_dir_all(&dir)?;
    let _lock = process::lock(&dir.join(".lock"))?;

    let engines = read_engines()?;
    // The worker first: a manager that leaves first strands it.
    for name in [WORKER, MANAGER] {
        match engines
            .iter()
            .find(|e| e.name == name && is_running(&Layout::new(&dir, name), e))
        {
            Some(engine) => {
                let left = leave_engine(engine)?;
                println!(
                    "engine {name}: {}",
                    if left {
                        "left the swarm"
                    } else {
                        "not in a swarm"
                    }
                );
            }
            None => println!("engine {name}: not running"),
        }
    }
    match fs::remove_file(swarm_file()) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", swarm_file().display()))
        }
        _ => Ok(()),
    }
}

fn status() -> Result<()> {
    let dir = engines_dir();
    let engines = read_engines()?;
    for name in [MANAGER, WORKER] {
        match engines
            .iter()
            .find(|e| e.name == name && is_running(&Layout::new(&dir, name), e))
        {
            Some(engine) => println!("{}", LocalState::read(engine)?.describe()),
            None => println!("engine {name}: not running"),
        }
    }
    let file = swarm_file();
    if file.exists() {
        println!("recorded in {}", file.display());
    }
    Ok(())
}

/// The manager's and the worker's engine, both answering.
fn running_pair() -> Result<(EngineInfo, EngineInfo)> {
    let dir = engines_dir();
    let engines = read_engines()?;
    let find = |name: EngineName| {
        engines
            .iter()
            .find(|e| e.name == name && is_running(&Layout::new(&dir, name), e))
            .cloned()
            .with_context(|| {
                format!(
                    "engine {name} is not running; the swarm needs engines {MANAGER} and {WORKER}: \
                     start them with `cargo xtask engine up`"
                )
            })
    };
    Ok((find(MANAGER)?, find(WORKER)?))
}

/// The recorded cluster when the manager and the worker already form the
/// swarm this module makes, with both nodes ready.
fn formed(m: &LocalState, w: &LocalState) -> Option<SwarmInfo> {
    let shape = m.state == "active"
        && m.control_available
        && w.state == "active"
        && !w.control_available
        && w.remote_managers
            .iter()
            .any(|(id, addr)| *id == m.node_id && addr == MANAGER_ADDR);
    let cluster_id = m.cluster_id.clone().filter(|_| shape)?;
    // A manager that cannot list its nodes (no leader, say) is a stale state too.
    let ready = ready_nodes(&m.socket).ok()?;
    (ready.contains(&m.node_id) && ready.contains(&w.node_id)).then(|| SwarmInfo {
        cluster_id,
        nodes: vec![
            node(m, "manager", MANAGER_ADDR),
            node(w, "worker", WORKER_ADDR),
        ],
    })
}

fn node(state: &LocalState, role: &str, addr: &str) -> SwarmNode {
    SwarmNode {
        engine: state.engine,
        role: role.into(),
        node_id: state.node_id.clone(),
        addr: addr.into(),
        docker_host: state.docker_host.clone(),
    }
}

/// The ids of the nodes the manager reports `ready`.
fn ready_nodes(manager: &Path) -> Result<Vec<String>> {
    let nodes = get_json(manager, "/nodes")?;
    Ok(nodes
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["Status"]["State"] == "ready")
        .filter_map(|n| n["ID"].as_str().map(str::to_owned))
        .collect())
}

/// Fails, saying which, when an address the swarm listens on is taken (another
/// worktree's swarm, or any other program).
fn check_ports_free() -> Result<()> {
    let manager: SocketAddr = MANAGER_ADDR.parse()?;
    let worker: SocketAddr = WORKER_ADDR.parse()?;
    let tcp = [
        manager,
        worker,
        SocketAddr::new(manager.ip(), GOSSIP_PORT),
        SocketAddr::new(worker.ip(), GOSSIP_PORT),
    ];
    for addr in tcp {
        if let Err(e) = TcpListener::bind(addr) {
            bail!(
                "cannot form the swarm: TCP {addr} is taken ({e}); another swarm (another \
                 worktree's `cargo xtask engine swarm up`?) or program listens there: \
                 `ss -ltnp 'sport = :{}'` shows which",
                addr.port()
            );
        }
    }
    for ip in [manager.ip(), worker.ip()] {
        let addr = SocketAddr::new(ip, GOSSIP_PORT);
        if let Err(e) = UdpSocket::bind(addr) {
            bail!(
                "cannot form the swarm: UDP {addr} is taken ({e}): `ss -lunp 'sport = :{GOSSIP_PORT}'` shows which"
            );
        }
    }
    Ok(())
}

fn init(m: &LocalState) -> Result<()> {
    let body = json!({
        "ListenAddr": MANAGER_ADDR,
        "AdvertiseAddr": MANAGER_ADDR,
    });
    let response = post_json(&m.socket, "/swarm/init", &body)?;
    if response.status != 200 {
        bail!(
            "engine {}: POST /swarm/init answered {}: {}",
            m.engine,
            response.status,
            daemon_message(&response)
        );
    }
    Ok(())
}

fn join(m: &LocalState, w: &LocalState) -> Result<()> {
    let swarm = get_json(&m.socket, "/swarm")
        .with_context(|| format!("engine {}: cannot read the join tokens", m.engine))?;
    let Some(token) = swarm["JoinTokens"]["Worker"].as_str() else {
        bail!("engine {}: GET /swarm has no worker join token", m.engine);
    };
    let body = json!({
        "ListenAddr": WORKER_ADDR,
        "AdvertiseAddr": WORKER_ADDR,
        "RemoteAddrs": [MANAGER_ADDR],
        "JoinToken": token,
    });
    let response = post_json(&w.socket, "/swarm/join", &body)?;
    if response.status != 200 {
        bail!(
            "engine {}: POST /swarm/join (manager {MANAGER_ADDR}) answered {}: {}",
            w.engine,
            response.status,
            daemon_message(&response)
        );
    }
    Ok(())
}

/// Waits until the manager reports both nodes ready; describes the cluster.
fn wait_ready(manager: &EngineInfo, worker: &EngineInfo) -> Result<SwarmInfo> {
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    loop {
        let (m, w) = (LocalState::read(manager)?, LocalState::read(worker)?);
        if let Some(info) = formed(&m, &w) {
            return Ok(info);
        }
        if Instant::now() > deadline {
            bail!(
                "the swarm did not settle within {} s: {}; {} (see {} and {})",
                SETTLE_TIMEOUT.as_secs(),
                m.describe(),
                w.describe(),
                manager.log.display(),
                worker.log.display()
            );
        }
        sleep(Duration::from_millis(200));
    }
}

/// `POST /swarm/leave?force=true`; returns whether the engine was in a swarm.
fn leave_engine(engine: &EngineInfo) -> Result<bool> {
    let state = LocalState::read(engine)?;
    if state.state == "inactive" {
        return Ok(false);
    }
    leave(&state)?;
    Ok(true)
}

fn leave(state: &LocalState) -> Result<()> {
    if state.state == "inactive" {
        return Ok(());
    }
    let response = http::request(
        &state.socket,
        "POST",
        "/swarm/leave?force=true",
        None,
        REQUEST_TIMEOUT,
    )?;
    // 503: "This node is not part of a swarm" (it left meanwhile).
    if response.status != 200 && response.status != 503 {
        bail!(
            "engine {}: POST /swarm/leave?force=true answered {}: {}",
            state.engine,
            response.status,
            daemon_message(&response)
        );
    }
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    loop {
        let info = get_json(&state.socket, "/info")?;
        if info["Swarm"]["LocalNodeState"] == "inactive" {
            remove_gateway_bridge(state);
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "engine {}: still in the swarm {} s after leaving: {}",
                state.engine,
                SETTLE_TIMEOUT.as_secs(),
                info["Swarm"]["LocalNodeState"]
            );
        }
        sleep(Duration::from_millis(200));
    }
}

/// The bridge a node creates for the traffic of its tasks on overlay networks
/// (`docker_gwbridge`) outlives the swarm; it goes with it, so that an engine
/// that left is as it was before.
fn remove_gateway_bridge(state: &LocalState) {
    let path = "/networks/docker_gwbridge";
    match http::request(&state.socket, "DELETE", path, None, REQUEST_TIMEOUT) {
        Ok(r) if r.status == 204 || r.status == 404 => {}
        Ok(r) => eprintln!(
            "warning: engine {}: DELETE {path} answered {}: {}",
            state.engine,
            r.status,
            daemon_message(&r)
        ),
        Err(e) => eprintln!("warning: engine {}: DELETE {path}: {e:#}", state.engine),
    }
}

fn write_swarm_file(info: &SwarmInfo) -> Result<()> {
    let file = swarm_file();
    let tmp = file.with_extension("json.tmp");
    fs::write(&tmp, serde_json::to_string_pretty(info)? + "\n")
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, &file).with_context(|| format!("cannot write {}", file.display()))
}

fn get_json(socket: &Path, path: &str) -> Result<Value> {
    let response = http::request(socket, "GET", path, None, REQUEST_TIMEOUT)?;
    if response.status != 200 {
        bail!(
            "GET {path} answered {}: {}",
            response.status,
            daemon_message(&response)
        );
    }
    response.json()
}

fn post_json(socket: &Path, path: &str, body: &Value) -> Result<http::Response> {
    let bytes = serde_json::to_vec(body)?;
    let body = Body {
        content_type: "application/json",
        bytes: &bytes,
    };
    // The context names the request, never its body (which may hold the token).
    http::request(socket, "POST", path, Some(body), REQUEST_TIMEOUT)
}

/// The daemon's `{"message": …}`, or the body as text.
fn daemon_message(response: &http::Response) -> String {
    response
        .json()
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| response.text())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(engine: EngineName, state: &str, control: bool) -> LocalState {
        LocalState {
            engine,
            socket: PathBuf::from("/nonexistent"),
            docker_host: String::new(),
            state: state.into(),
            node_id: format!("node-{engine}"),
            node_addr: "127.0.0.1".into(),
            control_available: control,
            remote_managers: vec![("node-28".into(), MANAGER_ADDR.into())],
            cluster_id: control.then(|| "cluster".into()),
        }
    }

    #[test]
    fn a_swarm_of_another_shape_is_not_taken_for_ours() {
        // Each of these needs a leave and a new init; none asks the daemon.
        let m = state(MANAGER, "active", true);
        let pending = state(WORKER, "pending", false);
        assert!(formed(&m, &pending).is_none());
        let two_managers = state(WORKER, "active", true);
        assert!(formed(&m, &two_managers).is_none());
        let mut elsewhere = state(WORKER, "active", false);
        elsewhere.remote_managers = vec![("other".into(), "10.0.0.1:2377".into())];
        assert!(formed(&m, &elsewhere).is_none());
        let lone_worker = state(MANAGER, "inactive", false);
        assert!(formed(&lone_worker, &state(WORKER, "active", false)).is_none());
    }
}
