//! `cargo xtask engine up|down|status`: the real engines that the integration
//! tests run against.
//!
//! Four engines, named after their Docker major version (or `podman`), can run
//! side by side:
//!
//! | name   | kind   | comes from                           | release      | Engine API |
//! |--------|--------|--------------------------------------|--------------|------------|
//! | 28     | docker | Debian sid, unpacked                 | 28.5.x       | 1.51       |
//! | 26     | docker | Debian trixie, unpacked              | 26.1.5       | 1.45       |
//! | 20     | docker | Debian bookworm, unpacked            | 20.10.24     | 1.41       |
//! | podman | podman | `apt-get install podman` (bookworm)  | 4.3.1        | 1.41 (libpod 4.3.1) |
//!
//! For a Docker engine, `up` fetches the suite's `docker.io` and `containerd`
//! with a private apt configuration and unpacks them (nothing is installed but
//! the machine's own `runc`), and starts containerd and dockerd as daemons with
//! their own directories and sockets. For podman it installs the machine's
//! `podman` package (and runc: crun cannot run containers on these machines'
//! hybrid cgroups) and starts `podman system service` with its storage, state,
//! configuration and socket under the engine's directory (`podman.rs` lists the
//! few places rootful podman keeps machine-wide whatever it is told). With
//! engine 28 it installs `openssh-server` (the `ssh://` tests run their own
//! sshd in front of it; a system sshd the install starts is stopped). Then it
//! imports the base image `dea-busybox:latest` and records the running engines
//! in `target/engines/engines.json`:
//!
//! ```json
//! [{"name": "28", "kind": "docker", "docker_host": "unix:///…/target/engines/28/docker.sock",
//!   "package_version": "28.5.2+dfsg4-5", "engine_version": "28.5.2+dfsg4",
//!   "api_version": "1.51", "min_api_version": "1.24", "pid": 1234,
//!   "containerd_pid": 1230, "log": "/…/target/engines/28/dockerd.log",
//!   "containerd_log": "/…/target/engines/28/containerd.log"},
//!  {"name": "podman", "kind": "podman", "docker_host": "unix:///…/target/engines/podman/podman.sock",
//!   "package_version": "4.3.1+ds1-8+deb12u1+b3", "engine_version": "4.3.1",
//!   "api_version": "1.41", "min_api_version": "1.24", "pid": 1240,
//!   "log": "/…/target/engines/podman/podman.log"}]
//! ```
//!
//! `kind` tells Docker from Podman; `engine_version` is the release the daemon
//! reports (`GET /version`), `package_version` the Debian package it came from.
//! A podman engine has no containerd (`containerd_pid` and `containerd_log` are
//! absent).
//!
//! The image holds Debian's static busybox as `/bin/busybox` with a symlink in
//! `/bin` per applet (`sh`, `echo`, `cat`, `sleep`, ...), `/tmp`, and an
//! `/etc/passwd` with `root` and `nobody`; its default command is `sh`. (Podman
//! lists it as `docker.io/library/dea-busybox:latest`; the short name works there
//! too.)
//!
//! `down` kills the engine's containers, stops dockerd then containerd (or the
//! podman service, then whatever conmon is left), and removes the engine from
//! engines.json; its data (images, volumes, networks) stays for the next `up`.
//!
//! Files, under `target/engines/`: `cache/` (apt state, .deb files, busybox),
//! and per engine `<name>/`: for Docker `root/` (the unpacked packages), `data/`
//! (dockerd's data root), `containerd/`, the configs, pid files and logs; for
//! podman `storage/` (images, containers, volumes), `runroot/` and `state/`
//! (per-boot state, wiped by `up` after a reboot), `tmp/`, `networks/`,
//! `containers.conf`, `registries.conf`, `events.log`, `podman.log`. The sockets are in `<name>/` too unless its path
//! is too long for a unix socket (a deep checkout); they are then in
//! `/tmp/dea-<hash>-<name>/`, and `docker_host` says where.

mod api;
mod apt;
mod daemon;
mod http;
mod image;
mod layout;
mod packages;
mod podman;
mod process;
pub mod swarm;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use layout::Layout;

/// How long `down` gives dockerd, then containerd (or the podman service), to
/// exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(20);
/// How long `down` gives container monitors (podman's conmons, which clean up
/// after their killed container) to exit by themselves before killing them.
const CONTAINERS_GRACE: Duration = Duration::from_secs(10);

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

/// `--engine`, for `cargo xtask engine` and `cargo xtask test`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineChoice {
    #[value(name = "28")]
    V28,
    #[value(name = "26")]
    V26,
    #[value(name = "20")]
    V20,
    Podman,
    All,
}

impl EngineChoice {
    pub fn engines(self) -> Vec<EngineName> {
        match self {
            EngineChoice::V28 => vec![EngineName::V28],
            EngineChoice::V26 => vec![EngineName::V26],
            EngineChoice::V20 => vec![EngineName::V20],
            EngineChoice::Podman => vec![EngineName::Podman],
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

/// An engine, named after its Docker major version, or `podman`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineName {
    #[serde(rename = "28")]
    V28,
    #[serde(rename = "26")]
    V26,
    #[serde(rename = "20")]
    V20,
    #[serde(rename = "podman")]
    Podman,
}

/// Which daemon serves an engine's API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// dockerd on its own containerd. (The default: engines.json files written
    /// before podman joined have no `kind`, and hold only Docker engines.)
    #[default]
    Docker,
    /// `podman system service`, Podman's Docker-compatible API.
    Podman,
}

impl EngineName {
    pub const ALL: [EngineName; 4] = [
        EngineName::V28,
        EngineName::V26,
        EngineName::V20,
        EngineName::Podman,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EngineName::V28 => "28",
            EngineName::V26 => "26",
            EngineName::V20 => "20",
            EngineName::Podman => "podman",
        }
    }

    pub fn kind(self) -> EngineKind {
        match self {
            EngineName::V28 | EngineName::V26 | EngineName::V20 => EngineKind::Docker,
            EngineName::Podman => EngineKind::Podman,
        }
    }

    /// The Debian suite a Docker engine's packages are unpacked from.
    fn suite(self) -> Option<&'static str> {
        match self {
            EngineName::V28 => Some("sid"),
            EngineName::V26 => Some("trixie"),
            // The machine's own suite, named: Docker 20.10 whatever the machine runs.
            EngineName::V20 => Some("bookworm"),
            EngineName::Podman => None,
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
    #[serde(default)]
    pub kind: EngineKind,
    /// `unix:///abs/path/docker.sock` (`podman.sock`), ready for `DOCKER_HOST`.
    pub docker_host: String,
    /// The Debian version of the docker.io (podman) package, e.g. `28.5.2+dfsg4-5`.
    pub package_version: String,
    /// `GET /version`: `Version`, `ApiVersion`, `MinAPIVersion`.
    pub engine_version: String,
    pub api_version: String,
    pub min_api_version: String,
    /// The pid of the API daemon: dockerd, or `podman system service`.
    pub pid: u32,
    /// containerd's pid (Docker engines only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containerd_pid: Option<u32>,
    /// The API daemon's log.
    pub log: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containerd_log: Option<PathBuf>,
}

impl EngineInfo {
    /// The path of the engine's API socket (from `docker_host`).
    pub fn socket(&self) -> PathBuf {
        PathBuf::from(self.docker_host.trim_start_matches("unix://"))
    }

    fn summary(&self) -> String {
        format!(
            "engine {}: DOCKER_HOST={} ({} {}, API {})",
            self.name,
            self.docker_host,
            product(self.kind),
            self.engine_version,
            self.api_version
        )
    }
}

/// The daemons of an engine just started.
pub struct Started {
    /// dockerd's, or the podman service's.
    pub pid: u32,
    pub containerd_pid: Option<u32>,
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
    // The registry the pull, push and auth tests start for themselves.
    packages::ensure_registry_tools()?;

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
    if name == EngineName::V28 {
        // The `ssh://` tests put a real sshd in front of engine 28.
        let openssh = packages::ensure_system_openssh()?;
        println!("engine {name}: openssh-server {openssh} for the ssh:// tests");
    }
    let package_version = match name.kind() {
        EngineKind::Docker => packages::prepare_root(name, &layout.root(), &cache)?,
        EngineKind::Podman => packages::ensure_system_podman()?,
    };
    let busybox = packages::busybox(&cache)?;

    let started = match name.kind() {
        EngineKind::Docker => {
            println!("engine {name}: starting containerd and dockerd");
            daemon::start(&layout)?
        }
        EngineKind::Podman => {
            println!("engine {name}: starting podman system service");
            podman::start(&layout)?
        }
    };
    let info = finish_start(&layout, &busybox, package_version, &started).inspect_err(|_| {
        process::stop(started.pid, STOP_GRACE);
        if let Some(pid) = started.containerd_pid {
            process::stop(pid, STOP_GRACE);
        }
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
    started: &Started,
) -> Result<EngineInfo> {
    let socket = layout.api_socket();
    image::ensure_imported(&socket, busybox)
        .with_context(|| format!("engine {}: cannot import the base image", layout.name))?;
    let version = api::version(&socket)?;
    let docker = layout.name.kind() == EngineKind::Docker;
    Ok(EngineInfo {
        name: layout.name,
        kind: layout.name.kind(),
        docker_host: layout.docker_host(),
        package_version,
        engine_version: version.version,
        api_version: version.api_version,
        min_api_version: version.min_api_version,
        pid: started.pid,
        containerd_pid: started.containerd_pid,
        log: layout.api_log(),
        containerd_log: docker.then(|| layout.containerd_log()),
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
            Some(info) if is_running(&layout, info) => {
                let containerd = info
                    .containerd_pid
                    .map(|pid| format!(", containerd pid {pid}"))
                    .unwrap_or_default();
                println!(
                    "engine {name}: running, DOCKER_HOST={} ({} {}, API {}, min API {}), \
                     {} pid {}{containerd}, log {}",
                    info.docker_host,
                    product(info.kind),
                    info.engine_version,
                    info.api_version,
                    info.min_api_version,
                    api_daemon(info.kind),
                    info.pid,
                    info.log.display()
                )
            }
            Some(info) => {
                let containerd = info
                    .containerd_pid
                    .map(|pid| {
                        let alive = process::is_ours(pid, &layout.containerd_config());
                        format!(", containerd pid {pid} {}", alive_word(alive))
                    })
                    .unwrap_or_default();
                println!(
                    "engine {name}: recorded but not answering ({} pid {} {}{containerd}); \
                     see {}; `cargo xtask engine up --engine {name}` restarts it",
                    api_daemon(info.kind),
                    info.pid,
                    alive_word(process::is_ours(info.pid, &layout.api_socket())),
                    info.log.display()
                )
            }
            None => println!("engine {name}: not running"),
        }
    }
    Ok(())
}

fn product(kind: EngineKind) -> &'static str {
    match kind {
        EngineKind::Docker => "Docker",
        EngineKind::Podman => "Podman",
    }
}

/// The name of the process that serves the API.
fn api_daemon(kind: EngineKind) -> &'static str {
    match kind {
        EngineKind::Docker => "dockerd",
        EngineKind::Podman => "podman service",
    }
}

fn alive_word(alive: bool) -> &'static str {
    if alive { "alive" } else { "gone" }
}

/// Whether the recorded engine's daemons are still ours and the API answers.
fn is_running(layout: &Layout, info: &EngineInfo) -> bool {
    process::is_ours(info.pid, &layout.api_socket())
        && info
            .containerd_pid
            .is_none_or(|pid| process::is_ours(pid, &layout.containerd_config()))
        && api::ping(&layout.api_socket())
}

/// Stops the engine's daemons, if any still run, and removes what killed daemons
/// leave behind. Returns whether a daemon was stopped.
fn clean_up(layout: &Layout, record: Option<&EngineInfo>) -> bool {
    let api_pids = our_pids(
        record.map(|r| r.pid),
        &layout.api_pidfile(),
        &layout.api_socket(),
    );
    let containerd = match layout.name.kind() {
        EngineKind::Docker => our_pids(
            record.and_then(|r| r.containerd_pid),
            &layout.containerd_pidfile(),
            &layout.containerd_config(),
        ),
        EngineKind::Podman => Vec::new(),
    };
    // The API daemon first: dockerd stops its containers through containerd.
    if !api_pids.is_empty() {
        api::kill_containers(&layout.api_socket());
    }
    for &pid in &api_pids {
        stop_daemon(layout, api_daemon(layout.name.kind()), pid);
    }
    for &pid in &containerd {
        stop_daemon(layout, "containerd", pid);
    }
    // Podman's containers run on under their conmon without the service (when
    // it was killed, or a container was started meanwhile): podman's own CLI
    // kills them, and their conmons finish them as usual.
    if layout.name.kind() == EngineKind::Podman
        && process::any(|c| podman::is_monitor(layout, c))
        && let Err(e) = podman::kill_all_containers(layout)
    {
        eprintln!("engine {}: {e:#}", layout.name);
    }
    remove_leftovers(layout);
    !api_pids.is_empty() || !containerd.is_empty()
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

/// What daemons that were killed leave: container monitors (and their
/// containers), mounts, pid files and sockets.
fn remove_leftovers(layout: &Layout) {
    let killed = match layout.name.kind() {
        EngineKind::Docker => {
            let address = format!("-address {} ", layout.containerd_socket().display());
            process::kill_leftovers(
                |cmdline| cmdline.contains("containerd-shim") && cmdline.contains(&address),
                Duration::ZERO,
            )
        }
        EngineKind::Podman => process::kill_leftovers(
            |cmdline| podman::is_leftover(layout, cmdline),
            CONTAINERS_GRACE,
        ),
    };
    if killed > 0 {
        eprintln!(
            "engine {}: killed {killed} leftover container monitor(s)",
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
    let mut files = vec![layout.api_pidfile(), layout.api_socket()];
    if layout.name.kind() == EngineKind::Docker {
        files.extend([layout.containerd_pidfile(), layout.containerd_socket()]);
    }
    for file in files {
        let _ = fs::remove_file(file);
    }
}

fn read_engines() -> Result<Vec<EngineInfo>> {
    let file = engines_file();
    match fs::read(&file) {
        Ok(bytes) => parse_engines(&bytes).with_context(|| {
            format!(
                "{} is not a list of engines (delete it and run `cargo xtask engine down`)",
                file.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", file.display())),
    }
}

fn parse_engines(bytes: &[u8]) -> Result<Vec<EngineInfo>> {
    Ok(serde_json::from_slice(bytes)?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn engine_choices_name_every_engine_once() {
        let names: Vec<String> = EngineChoice::value_variants()
            .iter()
            .map(|c| c.to_possible_value().unwrap().get_name().to_string())
            .collect();
        assert_eq!(names, ["28", "26", "20", "podman", "all"]);
        assert_eq!(EngineChoice::All.engines(), EngineName::ALL);
        for name in EngineName::ALL {
            let choice = EngineChoice::from_str(name.as_str(), false).unwrap();
            assert_eq!(choice.engines(), [name]);
        }
    }

    #[test]
    fn docker_engines_come_from_a_suite_and_podman_from_the_machine() {
        assert_eq!(EngineName::V20.suite(), Some("bookworm"));
        assert_eq!(EngineName::V20.kind(), EngineKind::Docker);
        assert_eq!(EngineName::Podman.suite(), None);
        assert_eq!(EngineName::Podman.kind(), EngineKind::Podman);
    }

    #[test]
    fn engines_json_records_kind_and_leaves_out_what_podman_lacks() {
        let podman = EngineInfo {
            name: EngineName::Podman,
            kind: EngineKind::Podman,
            docker_host: "unix:///w/podman/podman.sock".into(),
            package_version: "4.3.1+ds1-8+deb12u1+b3".into(),
            engine_version: "4.3.1".into(),
            api_version: "1.41".into(),
            min_api_version: "1.24".into(),
            pid: 7,
            containerd_pid: None,
            log: "/w/podman/podman.log".into(),
            containerd_log: None,
        };
        let json: serde_json::Value = serde_json::to_value(&podman).unwrap();
        assert_eq!(json["name"], "podman");
        assert_eq!(json["kind"], "podman");
        assert!(json.get("containerd_pid").is_none(), "{json}");
        assert!(json.get("containerd_log").is_none(), "{json}");
        let back = parse_engines(serde_json::to_string(&[podman]).unwrap().as_bytes()).unwrap();
        assert_eq!(back[0].name, EngineName::Podman);
    }

    #[test]
    fn engines_json_of_before_podman_still_reads_as_docker_engines() {
        let old = br#"[{"name": "26", "docker_host": "unix:///w/26/docker.sock",
            "package_version": "26.1.5+dfsg1-9+b11", "engine_version": "26.1.5+dfsg1",
            "api_version": "1.45", "min_api_version": "1.24", "pid": 10,
            "containerd_pid": 9, "log": "/w/26/dockerd.log",
            "containerd_log": "/w/26/containerd.log"}]"#;
        let engines = parse_engines(old).unwrap();
        assert_eq!(engines[0].kind, EngineKind::Docker);
        assert_eq!(engines[0].containerd_pid, Some(9));
    }
}
