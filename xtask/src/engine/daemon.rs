//! Where an engine's files live, and starting its containerd and dockerd.

use std::fs;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::{EngineName, http, packages, process};

/// A unix socket path holds at most 107 bytes (108 with its NUL).
const MAX_SOCKET_PATH: usize = 107;
/// The longest socket path below the run directory: dockerd's libnetwork socket
/// in its exec root (a 12-digit id). The others are `docker.sock`,
/// `containerd.sock(.ttrpc)` and `exec/metrics.sock`.
const LONGEST_SOCKET: &str = "exec/libnetwork/0123456789ab.sock";

const CONTAINERD_READY_TIMEOUT: Duration = Duration::from_secs(30);
const DOCKERD_READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Lines of a daemon's log shown when it fails to start.
const LOG_TAIL_LINES: usize = 20;

/// The files of one engine.
pub struct Layout {
    pub name: EngineName,
    /// `target/engines/<name>`: unpacked packages, data, logs, configs.
    pub dir: PathBuf,
    /// The sockets and dockerd's exec root (which holds sockets too): `dir`, or,
    /// when `dir` is too deep for a socket path, `/tmp/dea-<hash>-<name>`.
    pub run_dir: PathBuf,
}

impl Layout {
    pub fn new(engines_dir: &Path, name: EngineName) -> Layout {
        let dir = engines_dir.join(name.as_str());
        let fits = dir.join(LONGEST_SOCKET).as_os_str().len() <= MAX_SOCKET_PATH;
        let run_dir = if fits {
            dir.clone()
        } else {
            let hash = fnv1a(engines_dir.as_os_str().as_encoded_bytes());
            PathBuf::from(format!("/tmp/dea-{:08x}-{name}", hash as u32))
        };
        Layout { name, dir, run_dir }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }
    pub fn docker_socket(&self) -> PathBuf {
        self.run_dir.join("docker.sock")
    }
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.docker_socket().display())
    }
    pub fn containerd_socket(&self) -> PathBuf {
        self.run_dir.join("containerd.sock")
    }
    pub fn containerd_config(&self) -> PathBuf {
        self.dir.join("containerd.toml")
    }
    pub fn dockerd_log(&self) -> PathBuf {
        self.dir.join("dockerd.log")
    }
    pub fn containerd_log(&self) -> PathBuf {
        self.dir.join("containerd.log")
    }
    /// Written by dockerd itself (`--pidfile`), removed when it stops.
    pub fn dockerd_pidfile(&self) -> PathBuf {
        self.dir.join("dockerd.pid")
    }
    /// Written by us: containerd has no pidfile option.
    pub fn containerd_pidfile(&self) -> PathBuf {
        self.dir.join("containerd.pid")
    }
    fn exec_root(&self) -> PathBuf {
        self.run_dir.join("exec")
    }
    fn daemon_json(&self) -> PathBuf {
        self.dir.join("daemon.json")
    }

    /// PATH for the daemons: the unpacked programs first, then the machine's
    /// (where runc is found).
    fn daemon_path(&self) -> String {
        let root = self.root();
        format!(
            "{}:{}:{}",
            root.join("usr/bin").display(),
            root.join("usr/sbin").display(),
            packages::system_path()
        )
    }
}

/// FNV-1a: a stable hash (std's hasher may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

pub struct Started {
    pub dockerd_pid: u32,
    pub containerd_pid: u32,
}

/// Starts containerd, then dockerd on it, and waits until dockerd answers
/// `/_ping`. On failure both are stopped again and the error shows their logs.
pub fn start(layout: &Layout) -> Result<Started> {
    for dir in [&layout.dir, &layout.run_dir] {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_configs(layout)?;

    let mut containerd = spawn_containerd(layout)?;
    let containerd_pid = containerd.id();
    fs::write(layout.containerd_pidfile(), format!("{containerd_pid}\n"))?;
    if let Err(e) = wait_containerd(layout, &mut containerd) {
        process::stop(containerd_pid, Duration::from_secs(5));
        return Err(e);
    }

    match start_dockerd(layout, containerd_pid) {
        Ok(dockerd_pid) => Ok(Started {
            dockerd_pid,
            containerd_pid,
        }),
        Err(e) => {
            process::stop(containerd_pid, Duration::from_secs(5));
            Err(e)
        }
    }
}

/// Starts dockerd on the running containerd; returns its pid once it answers.
fn start_dockerd(layout: &Layout, containerd_pid: u32) -> Result<u32> {
    let mut dockerd = spawn_dockerd(layout)?;
    let dockerd_pid = dockerd.id();
    if let Err(e) = wait_dockerd(layout, &mut dockerd, containerd_pid) {
        process::stop(dockerd_pid, Duration::from_secs(10));
        return Err(e);
    }
    Ok(dockerd_pid)
}

fn write_configs(layout: &Layout) -> Result<()> {
    // An empty daemon.json, so that a machine's /etc/docker/daemon.json is not read.
    fs::write(layout.daemon_json(), "{}\n")?;
    let config = containerd_config(layout, containerd_major_version(layout)?);
    fs::write(layout.containerd_config(), config)?;
    Ok(())
}

fn containerd_major_version(layout: &Layout) -> Result<u32> {
    let binary = layout.root().join("usr/bin/containerd");
    let out = Command::new(&binary)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    // "containerd github.com/containerd/containerd/v2 2.1.9+unknown ..."
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .nth(2)
        .and_then(|v| v.trim_start_matches('v').split('.').next()?.parse().ok())
        .with_context(|| format!("cannot read containerd's version from {text:?}"))
}

/// containerd's configuration. Its own root and state directories and socket
/// keep two engines apart. The CRI service (Kubernetes; it opens a streaming
/// port on localhost) and NRI (a socket at the fixed /var/run/nri/nri.sock,
/// which a second containerd could not take) are disabled: dockerd uses neither.
fn containerd_config(layout: &Layout, major: u32) -> String {
    let containerd_dir = layout.dir.join("containerd");
    // containerd 2 reads (and would otherwise migrate, with a warning) version 3.
    let version = if major >= 2 { 3 } else { 2 };
    format!(
        "# Written by `cargo xtask engine up`.\n\
         version = {version}\n\
         root = {root}\n\
         state = {state}\n\
         disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.nri.v1.nri\"]\n\
         \n\
         [grpc]\n  address = {address}\n\
         \n\
         # Default /opt/containerd, shared by every containerd of the machine.\n\
         [plugins.\"io.containerd.internal.v1.opt\"]\n  path = {opt}\n",
        root = toml_string(&containerd_dir.join("root")),
        state = toml_string(&containerd_dir.join("state")),
        address = toml_string(&layout.containerd_socket()),
        opt = toml_string(&containerd_dir.join("opt")),
    )
}

fn toml_string(path: &Path) -> String {
    let s = path.to_string_lossy();
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Keeps the previous run's log as `<log>.1`, so that a start's log (and the
/// tail shown when it fails) holds only that start.
fn rotate_log(log: &Path) {
    let mut previous = log.as_os_str().to_owned();
    previous.push(".1");
    let _ = fs::rename(log, previous);
}

fn spawn_containerd(layout: &Layout) -> Result<Child> {
    rotate_log(&layout.containerd_log());
    let mut cmd = Command::new(layout.root().join("usr/bin/containerd"));
    cmd.arg("--config")
        .arg(layout.containerd_config())
        .env("PATH", layout.daemon_path());
    process::spawn_daemon(&mut cmd, &layout.containerd_log())
}

fn spawn_dockerd(layout: &Layout) -> Result<Child> {
    // A stale pidfile (dockerd killed) would make dockerd refuse to start if its
    // pid now belongs to another process.
    let _ = fs::remove_file(layout.dockerd_pidfile());
    rotate_log(&layout.dockerd_log());
    let mut cmd = Command::new(layout.root().join("usr/sbin/dockerd"));
    cmd.arg("--config-file")
        .arg(layout.daemon_json())
        .arg("--containerd")
        .arg(layout.containerd_socket())
        .arg("--data-root")
        .arg(layout.dir.join("data"))
        .arg("--exec-root")
        .arg(layout.exec_root())
        .arg("--pidfile")
        .arg(layout.dockerd_pidfile())
        .arg("-H")
        .arg(layout.docker_host())
        // vfs works on any filesystem (overlayfs may be unavailable, e.g. nested).
        .args(["--storage-driver", "vfs"])
        // No firewall rules and no docker0 bridge: the machine's network is left
        // alone, and two engines do not compete for docker0.
        .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
        // The socket's group (default `docker`, which the machine lacks: dockerd
        // would warn at every start).
        .args(["--group", "root"])
        .env("PATH", layout.daemon_path());
    process::spawn_daemon(&mut cmd, &layout.dockerd_log())
}

fn wait_containerd(layout: &Layout, child: &mut Child) -> Result<()> {
    let socket = layout.containerd_socket();
    let ready = || UnixStream::connect(&socket).is_ok();
    match wait_until(child, CONTAINERD_READY_TIMEOUT, ready) {
        Ok(()) => Ok(()),
        Err(Failure::Exited(status)) => bail!(
            "engine {}: containerd exited during startup ({status})\n{}",
            layout.name,
            log_section(&layout.containerd_log())
        ),
        Err(Failure::TimedOut) => bail!(
            "engine {}: containerd did not open {} within {} s\n{}",
            layout.name,
            socket.display(),
            CONTAINERD_READY_TIMEOUT.as_secs(),
            log_section(&layout.containerd_log())
        ),
    }
}

fn wait_dockerd(layout: &Layout, child: &mut Child, containerd_pid: u32) -> Result<()> {
    let socket = layout.docker_socket();
    let failure = match wait_until(child, DOCKERD_READY_TIMEOUT, || ping(&socket)) {
        Ok(()) => return Ok(()),
        Err(Failure::Exited(status)) => format!("dockerd exited during startup ({status})"),
        Err(Failure::TimedOut) => format!(
            "dockerd did not answer GET /_ping on {} within {} s",
            layout.docker_host(),
            DOCKERD_READY_TIMEOUT.as_secs()
        ),
    };
    let mut message = format!(
        "engine {}: {failure}\n{}",
        layout.name,
        log_section(&layout.dockerd_log())
    );
    // containerd's log only matters if containerd died under dockerd.
    if !process::is_alive(containerd_pid) {
        message.push_str("\ncontainerd exited too.\n");
        message.push_str(&log_section(&layout.containerd_log()));
    }
    bail!(message)
}

enum Failure {
    Exited(std::process::ExitStatus),
    TimedOut,
}

/// Polls `ready` until it holds; fails early if the process exits.
fn wait_until(
    child: &mut Child,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<(), Failure> {
    let started = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(Failure::Exited(status));
        }
        if started.elapsed() > timeout {
            return Err(Failure::TimedOut);
        }
        sleep(Duration::from_millis(200));
    }
}

fn log_section(log: &Path) -> String {
    format!(
        "--- last {LOG_TAIL_LINES} lines of {} ---\n{}",
        log.display(),
        process::log_tail(log, LOG_TAIL_LINES)
    )
}

/// Whether the daemon at `socket` answers `GET /_ping` with `OK`.
pub fn ping(socket: &Path) -> bool {
    http::request(socket, "GET", "/_ping", None, Duration::from_secs(3))
        .is_ok_and(|r| r.status == 200 && r.body == b"OK")
}

/// Kills the daemon's running containers, so that it then stops at once instead
/// of giving each container its stop timeout (10 s by default, all of it for
/// `sleep` as pid 1, which ignores SIGTERM). Test containers need no graceful stop.
pub fn kill_containers(socket: &Path) {
    let timeout = Duration::from_secs(10);
    let Ok(response) = http::request(socket, "GET", "/containers/json", None, timeout) else {
        return;
    };
    let Ok(serde_json::Value::Array(containers)) = response.json() else {
        return;
    };
    for id in containers.iter().filter_map(|c| c.get("Id")?.as_str()) {
        let path = format!("/containers/{id}/kill");
        let _ = http::request(socket, "POST", &path, None, timeout);
    }
}

pub struct DaemonVersion {
    pub version: String,
    pub api_version: String,
    pub min_api_version: String,
}

/// The daemon's `GET /version`.
pub fn version(socket: &Path) -> Result<DaemonVersion> {
    let response = http::request(socket, "GET", "/version", None, Duration::from_secs(30))?;
    if response.status != 200 {
        bail!(
            "GET /version answered {}: {}",
            response.status,
            response.text()
        );
    }
    let json = response.json()?;
    let field = |name: &str| {
        json.get(name)
            .and_then(|v| v.as_str())
            .map(String::from)
            .with_context(|| format!("GET /version has no {name}: {json}"))
    };
    Ok(DaemonVersion {
        version: field("Version")?,
        api_version: field("ApiVersion")?,
        min_api_version: field("MinAPIVersion")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_move_to_a_short_directory_when_the_engine_directory_is_deep() {
        let shallow = Layout::new(Path::new("/w/target/engines"), EngineName::V28);
        assert_eq!(
            shallow.docker_socket(),
            Path::new("/w/target/engines/28/docker.sock")
        );

        let deep_dir = format!("/{}/target/engines", "d".repeat(90));
        let deep = Layout::new(Path::new(&deep_dir), EngineName::V26);
        assert!(deep.run_dir.starts_with("/tmp"));
        assert!(deep.run_dir.to_string_lossy().ends_with("-26"));
        assert!(deep.dir.starts_with(&deep_dir));
        // The same workspace always gets the same directory.
        assert_eq!(
            deep.run_dir,
            Layout::new(Path::new(&deep_dir), EngineName::V26).run_dir
        );
    }
}
