//! `cargo xtask engine up|down|status`: the real Docker engines that the
//! integration tests run against.
//!
//! Two engines, named after their major version, can run side by side:
//!
//! | name | Debian suite | docker.io    | Engine API |
//! |------|--------------|--------------|------------|
//! | 28   | sid          | 28.5.x       | 1.51       |
//! | 26   | trixie       | 26.1.5       | 1.45       |
//!
//! `up` fetches the suite's `docker.io` and `containerd` with a private apt
//! configuration and unpacks them (nothing is installed but the machine's own
//! `runc`), starts containerd and dockerd as daemons with their own
//! directories and sockets, imports the base image `dea-busybox:latest`, and
//! records the running engines in `target/engines/engines.json`:
//!
//! ```json
//! [{"name": "28", "docker_host": "unix:///…/target/engines/28/docker.sock",
//!   "package_version": "28.5.2+dfsg4-5", "engine_version": "28.5.2+dfsg4",
//!   "api_version": "1.51", "min_api_version": "1.24", "pid": 1234,
//!   "containerd_pid": 1230, "log": "/…/target/engines/28/dockerd.log",
//!   "containerd_log": "/…/target/engines/28/containerd.log"}]
//! ```
//!
//! The image holds Debian's static busybox as `/bin/busybox` with a symlink in
//! `/bin` per applet (`sh`, `echo`, `cat`, `sleep`, ...), `/tmp`, and an
//! `/etc/passwd` with `root` and `nobody`; its default command is `sh`.
//!
//! `down` kills the engine's containers, stops dockerd then containerd, and
//! removes the engine from engines.json; its data (images, volumes) stays for
//! the next `up`.
//!
//! Files, under `target/engines/`: `cache/` (apt state, .deb files, busybox),
//! and per engine `<name>/` with `root/` (the unpacked packages), `data/`
//! (dockerd's data root), `containerd/`, the configs, pid files and logs. The
//! sockets are in `<name>/` too unless its path is too long for a unix socket
//! (a deep checkout); they are then in `/tmp/dea-<hash>-<name>/`, and
//! `docker_host` says where.

mod apt;
mod daemon;
mod http;
mod image;
mod packages;
mod process;
pub mod swarm;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use daemon::Layout;

/// How long `down` gives dockerd, then containerd, to exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(20);

#[derive(clap::Args)]
pub struct EngineArgs {
    #[command(subcommand)]
    command: EngineCommand,
}

#[derive(clap::Subcommand)]
enum EngineCommand {
    /// Fetch (cached), start and check engines; leave running ones alone.
    Up(Selection),
    /// Stop engines and remove them from engines.json.
    Down(Selection),
    /// Show each engine's state.
    Status,
    /// The two-node swarm of engines 28 (manager) and 26 (worker).
    #[command(subcommand)]
    Swarm(swarm::SwarmCommand),
}

#[derive(clap::Args)]
struct Selection {
    /// Which engine.
    #[arg(long, value_enum, default_value = "all")]
    engine: EngineChoice,
}

#[derive(clap::ValueEnum, Clone, Copy)]
enum EngineChoice {
    #[value(name = "28")]
    V28,
    #[value(name = "26")]
    V26,
    All,
}

impl EngineChoice {
    fn engines(self) -> Vec<EngineName> {
        match self {
            EngineChoice::V28 => vec![EngineName::V28],
            EngineChoice::V26 => vec![EngineName::V26],
            EngineChoice::All => EngineName::ALL.to_vec(),
        }
    }
}

pub fn run(args: EngineArgs) -> Result<()> {
    match args.command {
        EngineCommand::Up(s) => up(&s.engine.engines()).map(drop),
        EngineCommand::Down(s) => down(&s.engine.engines()),
        EngineCommand::Status => status(),
        EngineCommand::Swarm(command) => swarm::run(command),
    }
}

/// An engine, named after its Docker major version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineName {
    #[serde(rename = "28")]
    V28,
    #[serde(rename = "26")]
    V26,
}

impl EngineName {
    pub const ALL: [EngineName; 2] = [EngineName::V28, EngineName::V26];

    pub fn as_str(self) -> &'static str {
        match self {
            EngineName::V28 => "28",
            EngineName::V26 => "26",
        }
    }

    /// The Debian suite its packages come from.
    fn suite(self) -> &'static str {
        match self {
            EngineName::V28 => "sid",
            EngineName::V26 => "trixie",
        }
    }
}

impl fmt::Display for EngineName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A running engine, as recorded in `engines.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EngineInfo {
    pub name: EngineName,
    /// `unix:///abs/path/docker.sock`, ready for `DOCKER_HOST`.
    pub docker_host: String,
    /// The Debian version of the docker.io package, e.g. `28.5.2+dfsg4-5`.
    pub package_version: String,
    /// `GET /version`: `Version`, `ApiVersion`, `MinAPIVersion`.
    pub engine_version: String,
    pub api_version: String,
    pub min_api_version: String,
    /// dockerd's pid.
    pub pid: u32,
    pub containerd_pid: u32,
    /// dockerd's log.
    pub log: PathBuf,
    pub containerd_log: PathBuf,
}

impl EngineInfo {
    /// The path of dockerd's unix socket.
    pub fn socket(&self) -> PathBuf {
        PathBuf::from(self.docker_host.trim_start_matches("unix://"))
    }

    fn summary(&self) -> String {
        format!(
            "engine {}: DOCKER_HOST={} (Docker {}, API {})",
            self.name, self.docker_host, self.engine_version, self.api_version
        )
    }
}

/// `target/engines/` of the workspace.
pub fn engines_dir() -> PathBuf {
    crate::workspace_root().join("target").join("engines")
}

/// `target/engines/engines.json`: the running engines, as a JSON array of [`EngineInfo`].
pub fn engines_file() -> PathBuf {
    engines_dir().join("engines.json")
}

/// Makes `engines` run, starting those that are not running, and returns them.
/// Prints one line per engine.
pub fn up(engines: &[EngineName]) -> Result<Vec<EngineInfo>> {
    process::require_root()?;
    let dir = engines_dir();
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _lock = process::lock(&dir.join(".lock"))?;

    let mut infos = Vec::new();
    for &name in engines {
        let info = up_one(&dir, name)?;
        println!("{}", info.summary());
        infos.push(info);
    }
    Ok(infos)
}

fn up_one(dir: &Path, name: EngineName) -> Result<EngineInfo> {
    let layout = Layout::new(dir, name);
    let record = read_engines()?.into_iter().find(|e| e.name == name);
    if let Some(info) = record.as_ref().filter(|info| is_running(&layout, info)) {
        println!("engine {name}: already running");
        return Ok(info.clone());
    }
    // Whatever a previous run left (killed daemons, their shims and mounts).
    clean_up(&layout, record.as_ref());

    let started_at = Instant::now();
    let cache = dir.join("cache");
    packages::ensure_system_runc()?;
    let package_version = packages::prepare_root(name, &layout.root(), &cache)?;
    let busybox = packages::busybox(&cache)?;

    println!("engine {name}: starting containerd and dockerd");
    let started = daemon::start(&layout)?;
    let info = finish_start(&layout, &busybox, package_version, &started).inspect_err(|_| {
        process::stop(started.dockerd_pid, STOP_GRACE);
        process::stop(started.containerd_pid, STOP_GRACE);
    })?;
    println!(
        "engine {name}: started in {:.1} s",
        started_at.elapsed().as_secs_f64()
    );

    update_engines(|engines| {
        engines.retain(|e| e.name != name);
        engines.push(info.clone());
    })?;
    Ok(info)
}

/// Imports the base image into a freshly started engine and describes it.
fn finish_start(
    layout: &Layout,
    busybox: &Path,
    package_version: String,
    started: &daemon::Started,
) -> Result<EngineInfo> {
    let socket = layout.docker_socket();
    image::ensure_imported(&socket, busybox)
        .with_context(|| format!("engine {}: cannot import the base image", layout.name))?;
    let version = daemon::version(&socket)?;
    Ok(EngineInfo {
        name: layout.name,
        docker_host: layout.docker_host(),
        package_version,
        engine_version: version.version,
        api_version: version.api_version,
        min_api_version: version.min_api_version,
        pid: started.dockerd_pid,
        containerd_pid: started.containerd_pid,
        log: layout.dockerd_log(),
        containerd_log: layout.containerd_log(),
    })
}

/// Stops `engines` (those not running are only cleaned up) and removes them
/// from engines.json.
pub fn down(engines: &[EngineName]) -> Result<()> {
    process::require_root()?;
    let dir = engines_dir();
    fs::create_dir_all(&dir)?;
    let _lock = process::lock(&dir.join(".lock"))?;

    let recorded = read_engines()?;
    for &name in engines {
        let layout = Layout::new(&dir, name);
        let record = recorded.iter().find(|e| e.name == name);
        let stopped = clean_up(&layout, record);
        if layout.run_dir != layout.dir {
            let _ = fs::remove_dir_all(&layout.run_dir);
        }
        update_engines(|engines| engines.retain(|e| e.name != name))?;
        println!(
            "engine {name}: {}",
            if stopped { "stopped" } else { "not running" }
        );
    }
    Ok(())
}

fn status() -> Result<()> {
    let dir = engines_dir();
    let recorded = read_engines()?;
    for name in EngineName::ALL {
        let layout = Layout::new(&dir, name);
        match recorded.iter().find(|e| e.name == name) {
            Some(info) if is_running(&layout, info) => println!(
                "engine {name}: running, DOCKER_HOST={} (Docker {}, API {}, min API {}), \
                 dockerd pid {}, containerd pid {}, log {}",
                info.docker_host,
                info.engine_version,
                info.api_version,
                info.min_api_version,
                info.pid,
                info.containerd_pid,
                info.log.display()
            ),
            Some(info) => println!(
                "engine {name}: recorded but not answering (dockerd pid {} {}, containerd pid {} {}); \
                 see {}; `cargo xtask engine up --engine {name}` restarts it",
                info.pid,
                alive_word(process::is_ours(info.pid, &layout.docker_socket())),
                info.containerd_pid,
                alive_word(process::is_ours(
                    info.containerd_pid,
                    &layout.containerd_config()
                )),
                info.log.display()
            ),
            None => println!("engine {name}: not running"),
        }
    }
    Ok(())
}

fn alive_word(alive: bool) -> &'static str {
    if alive { "alive" } else { "gone" }
}

/// Whether the recorded engine's daemons are still ours and dockerd answers.
fn is_running(layout: &Layout, info: &EngineInfo) -> bool {
    process::is_ours(info.pid, &layout.docker_socket())
        && process::is_ours(info.containerd_pid, &layout.containerd_config())
        && daemon::ping(&info.socket())
}

/// Stops the engine's daemons, if any still run, and removes what killed daemons
/// leave behind. Returns whether a daemon was stopped.
fn clean_up(layout: &Layout, record: Option<&EngineInfo>) -> bool {
    let dockerd = our_pids(
        record.map(|r| r.pid),
        &layout.dockerd_pidfile(),
        &layout.docker_socket(),
    );
    let containerd = our_pids(
        record.map(|r| r.containerd_pid),
        &layout.containerd_pidfile(),
        &layout.containerd_config(),
    );
    // dockerd first: it stops its containers through containerd.
    if !dockerd.is_empty() {
        daemon::kill_containers(&layout.docker_socket());
    }
    for &pid in &dockerd {
        stop_daemon(layout, "dockerd", pid);
    }
    for &pid in &containerd {
        stop_daemon(layout, "containerd", pid);
    }
    remove_leftovers(layout);
    !dockerd.is_empty() || !containerd.is_empty()
}

/// The live pids, among the recorded one and the one in `pidfile`, that are
/// still our daemon (their command line names `marker`). A pid the system has
/// since given to another process is left alone.
fn our_pids(recorded: Option<u32>, pidfile: &Path, marker: &Path) -> Vec<u32> {
    let from_file = fs::read_to_string(pidfile)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    let mut pids: Vec<u32> = [recorded, from_file].into_iter().flatten().collect();
    pids.dedup();
    pids.retain(|&pid| process::is_ours(pid, marker));
    pids
}

fn stop_daemon(layout: &Layout, what: &str, pid: u32) {
    if !process::stop(pid, STOP_GRACE) {
        eprintln!(
            "engine {}: {what} (pid {pid}) ignored SIGTERM; killed",
            layout.name
        );
    }
}

/// What daemons that were killed leave: container shims (and their containers),
/// mounts, pid files and sockets.
fn remove_leftovers(layout: &Layout) {
    let shims = process::kill_leftover_shims(&layout.containerd_socket());
    if shims > 0 {
        eprintln!(
            "engine {}: killed {shims} leftover container shim(s)",
            layout.name
        );
    }
    for dir in [&layout.dir, &layout.run_dir] {
        if let Err(e) = process::unmount_below(dir) {
            eprintln!(
                "warning: cannot list the mounts below {}: {e:#}",
                dir.display()
            );
        }
    }
    for file in [
        layout.dockerd_pidfile(),
        layout.containerd_pidfile(),
        layout.docker_socket(),
        layout.containerd_socket(),
    ] {
        let _ = fs::remove_file(file);
    }
}

fn read_engines() -> Result<Vec<EngineInfo>> {
    let file = engines_file();
    match fs::read(&file) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not a list of engines (delete it and run `cargo xtask engine down`)",
                file.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", file.display())),
    }
}

/// Applies `change` to the recorded engines and writes the file back (atomically,
/// for readers such as a test run started meanwhile), in `EngineName::ALL` order.
fn update_engines(change: impl FnOnce(&mut Vec<EngineInfo>)) -> Result<()> {
    let mut engines = read_engines()?;
    change(&mut engines);
    engines.sort_by_key(|e| EngineName::ALL.iter().position(|n| *n == e.name));
    let file = engines_file();
    let tmp = file.with_extension("json.tmp");
    fs::write(&tmp, serde_json::to_string_pretty(&engines)? + "\n")
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, &file).with_context(|| format!("cannot write {}", file.display()))
}
