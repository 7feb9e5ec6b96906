//! Starting a Docker engine: its containerd, then dockerd on it.

use std::fs;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::layout::{Layout, toml_string};
use super::process::{self, Failure, log_section, rotate_log, wait_until};
use super::{Started, api};

const CONTAINERD_READY_TIMEOUT: Duration = Duration::from_secs(30);
const DOCKERD_READY_TIMEOUT: Duration = Duration::from_secs(60);

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
            pid: dockerd_pid,
            containerd_pid: Some(containerd_pid),
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
    let text = String::from_utf8_lossy(&out.stdout);
    parse_containerd_major(&text)
        .with_context(|| format!("cannot read containerd's version from {text:?}"))
}

/// The major version in `containerd --version`: "containerd
/// github.com/containerd/containerd/v2 2.1.9+unknown …" (sid), "containerd
/// github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3" (bookworm).
fn parse_containerd_major(text: &str) -> Option<u32> {
    text.split_whitespace()
        .nth(2)?
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// containerd's configuration. Its own root and state directories and socket
/// keep two engines apart. The CRI service (Kubernetes; it opens a streaming
/// port on localhost) and NRI (a socket at the fixed /var/run/nri/nri.sock,
/// which a second containerd could not take) are disabled: dockerd uses neither.
/// containerd 1.6 (bookworm) reads version 2 and ignores the NRI entry (it has
/// no NRI); containerd 2 reads (and would otherwise migrate, with a warning)
/// version 3.
fn containerd_config(layout: &Layout, major: u32) -> String {
    let containerd_dir = layout.containerd_dir();
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
    let _ = fs::remove_file(layout.api_pidfile());
    rotate_log(&layout.api_log());
    let mut cmd = Command::new(layout.root().join("usr/sbin/dockerd"));
    cmd.arg("--config-file")
        .arg(layout.daemon_json())
        .arg("--containerd")
        .arg(layout.containerd_socket())
        .arg("--data-root")
        .arg(layout.dockerd_data_root())
        .arg("--exec-root")
        .arg(layout.exec_root())
        .arg("--pidfile")
        .arg(layout.api_pidfile())
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
    process::spawn_daemon(&mut cmd, &layout.api_log())
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
    let socket = layout.api_socket();
    let failure = match wait_until(child, DOCKERD_READY_TIMEOUT, || api::ping(&socket)) {
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
        log_section(&layout.api_log())
    );
    // containerd's log only matters if containerd died under dockerd.
    if !process::is_alive(containerd_pid) {
        message.push_str("\ncontainerd exited too.\n");
        message.push_str(&log_section(&layout.containerd_log()));
    }
    bail!(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineName;
    use std::path::Path;

    #[test]
    fn reads_the_major_version_of_both_containerds() {
        let sid = "containerd github.com/containerd/containerd/v2 2.1.9+unknown 2.1.9+unknown\n";
        assert_eq!(parse_containerd_major(sid), Some(2));
        let bookworm =
            "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3\n";
        assert_eq!(parse_containerd_major(bookworm), Some(1));
        assert_eq!(parse_containerd_major("containerd"), None);
    }

    #[test]
    fn containerd_1_reads_config_version_2_and_2_reads_version_3() {
        let layout = Layout::new(Path::new("/w/target/engines"), EngineName::V20);
        let v1 = containerd_config(&layout, 1);
        assert!(v1.contains("\nversion = 2\n"), "{v1}");
        assert!(v1.contains("root = \"/w/target/engines/20/containerd/root\"\n"));
        assert!(v1.contains("address = \"/w/target/engines/20/containerd.sock\"\n"));
        assert!(containerd_config(&layout, 2).contains("\nversion = 3\n"));
    }
}
