//! Starting the Podman engine: `podman system service`, rootful, serving the
//! Docker-compatible API (and libpod's) on a socket of its own.
//!
//! Podman is daemonless: the service answers the API, and each container is
//! watched by its own `conmon`, which outlives the service. Every place podman
//! writes to by default is moved below the engine's directory, where podman
//! lets us: storage (`--root`, `--runroot`), libpod's per-boot state
//! (`tmp_dir`), locks (`lock_type = "file"`, in `tmp_dir`), temporary files,
//! network definitions, the events log. What stays machine-wide is what rootful
//! podman 4.3 does not let a caller move:
//!
//! - `/run/containers/networks`: netavark's IP allocations and aardvark-dns's
//!   configuration (fixed for rootful podman: every instance shares the host's
//!   network namespace); aardvark-dns runs while a container is on a
//!   DNS-enabled network;
//! - `/run/netns`: the network namespaces of containers on bridge networks,
//!   removed when they stop;
//! - iptables: netavark's `NETAVARK_*` chains, added when a container first
//!   joins a bridge network, left (empty) when it leaves;
//! - `/run/runc`: runc's state of running containers, by container id;
//! - `/var/lib/containers/cache`: containers/image's blob-info cache, and
//!   `/var/cache/containers`: the lock of its short-name alias cache;
//! - `/var/tmp`: `POST /build` and `POST /commit` make (and remove) a
//!   temporary entry there, whatever `TMPDIR` and `image_copy_tmp_dir` say;
//! - cgroups under `libpod_parent` (cgroupfs manager), removed with the containers.

use std::fs;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::layout::{Layout, toml_string};
use super::process::{self, Failure, log_section, rotate_log, wait_until};
use super::{Started, api, packages};

const SERVICE_READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts `podman system service` and waits until it answers `/_ping`. On
/// failure it is stopped again and the error shows its log.
pub fn start(layout: &Layout) -> Result<Started> {
    reset_boot_state_after_reboot(layout)?;
    for dir in [
        layout.dir.clone(),
        layout.run_dir.clone(),
        layout.storage_root(),
        layout.storage_run_root(),
        layout.podman_state_dir(),
        // Podman fails an image import when `image_copy_tmp_dir` is missing.
        layout.podman_tmp_dir(),
        layout.podman_network_dir(),
    ] {
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write(&layout.containers_conf(), &containers_conf(layout))?;
    write(&layout.registries_conf(), REGISTRIES_CONF)?;

    let mut service = spawn_service(layout)?;
    let pid = service.id();
    write(&layout.api_pidfile(), &format!("{pid}\n"))?;
    if let Err(e) = wait_service(layout, &mut service) {
        process::stop(pid, Duration::from_secs(10));
        return Err(e);
    }
    Ok(Started {
        pid,
        containerd_pid: None,
    })
}

/// `podman system service` on the engine's socket.
fn service_command(layout: &Layout) -> Command {
    let mut cmd = podman(layout);
    cmd.args(["system", "service", "--time=0"])
        .arg(format!("unix://{}", layout.api_socket().display()));
    cmd
}

/// podman on the engine's storage and configuration: storage on flags, because
/// podman hands the flags on to the `podman container cleanup` that each
/// container's conmon runs when the container exits (`CONTAINERS_CONF` is
/// handed on too, a storage.conf is not).
fn podman(layout: &Layout) -> Command {
    let mut cmd = Command::new("podman");
    cmd.arg("--root")
        .arg(layout.storage_root())
        .arg("--runroot")
        .arg(layout.storage_run_root())
        // vfs works on any filesystem, as for the Docker engines.
        .args(["--storage-driver", "vfs"])
        .env("CONTAINERS_CONF", layout.containers_conf())
        .env("CONTAINERS_REGISTRIES_CONF", layout.registries_conf())
        .env("TMPDIR", layout.podman_tmp_dir())
        .env("PATH", packages::system_path());
    cmd
}

fn spawn_service(layout: &Layout) -> Result<Child> {
    rotate_log(&layout.api_log());
    process::spawn_daemon(&mut service_command(layout), &layout.api_log())
}

fn wait_service(layout: &Layout, child: &mut Child) -> Result<()> {
    let socket = layout.api_socket();
    let failure = match wait_until(child, SERVICE_READY_TIMEOUT, || api::ping(&socket)) {
        Ok(()) => return Ok(()),
        Err(Failure::Exited(status)) => format!("podman system service exited ({status})"),
        Err(Failure::TimedOut) => format!(
            "podman system service did not answer GET /_ping on {} within {} s",
            layout.docker_host(),
            SERVICE_READY_TIMEOUT.as_secs()
        ),
    };
    bail!(
        "engine {}: {failure}\n{}",
        layout.name,
        log_section(&layout.api_log())
    )
}

/// The only containers.conf the service reads (`CONTAINERS_CONF` replaces the
/// machine's `/usr/share/containers` and `/etc/containers` ones).
fn containers_conf(layout: &Layout) -> String {
    let s = |p: &Path| toml_string(p);
    format!(
        "# Written by `cargo xtask engine up`.\n\
         [containers]\n\
         # Podman's default rlimits exceed this sandbox's hard limits (`ulimit -Hn`\n\
         # is 20000): without these, containers fail with \"error setting rlimit\".\n\
         default_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]\n\
         # Logs in files, as dockerd's json-file: journald needs systemd.\n\
         log_driver = \"k8s-file\"\n\
         \n\
         [engine]\n\
         # systemd is not PID 1 here (nor on CI machines): no systemd cgroups, no journal.\n\
         cgroup_manager = \"cgroupfs\"\n\
         events_logger = \"file\"\n\
         events_logfile_path = {events}\n\
         # crun 1.8 refuses cgroups in hybrid mode (v1 controllers and a v2 mount,\n\
         # as these machines have); the machine's runc, which the Docker engines\n\
         # use too, runs them.\n\
         runtime = \"runc\"\n\
         # Per-boot state (default /run/libpod); `up` wipes it after a reboot.\n\
         tmp_dir = {state}\n\
         # Locks in files under tmp_dir instead of /dev/shm/libpod_lock, which\n\
         # every rootful podman of the machine shares.\n\
         lock_type = \"file\"\n\
         # Default /var/tmp.\n\
         image_copy_tmp_dir = {tmp}\n\
         \n\
         [network]\n\
         # netavark, whatever networks or images exist (podman would pick CNI then).\n\
         network_backend = \"netavark\"\n\
         # Default /etc/containers/networks.\n\
         network_config_dir = {networks}\n",
        events = s(&layout.podman_events_log()),
        state = s(&layout.podman_state_dir()),
        tmp = s(&layout.podman_tmp_dir()),
        networks = s(&layout.podman_network_dir()),
    )
}

/// Read instead of the machine's registries.conf (`CONTAINERS_REGISTRIES_CONF`).
const REGISTRIES_CONF: &str = "\
# Written by `cargo xtask engine up`.
# Short names are Docker Hub's, as on Docker.
unqualified-search-registries = [\"docker.io\"]

# Plain HTTP to a registry on the loopback, which dockerd allows by default
# (127.0.0.0/8 is an insecure registry range there).
[[registry]]
location = \"127.0.0.1:5000\"
insecure = true

[[registry]]
location = \"localhost:5000\"
insecure = true
";

/// Kills the engine's running containers with podman's CLI, which needs no
/// service: for containers that outlived a killed service.
pub fn kill_all_containers(layout: &Layout) -> Result<()> {
    let out = podman(layout)
        .args(["kill", "--all"])
        .output()
        .context("cannot run podman kill")?;
    if !out.status.success() {
        bail!(
            "podman kill --all failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Whether `cmdline` is one of this engine's container monitors (`conmon`).
pub fn is_monitor(layout: &Layout, cmdline: &str) -> bool {
    process::runs_program_with(cmdline, "conmon", &format!("{}/", layout.dir.display()))
}

/// Whether `cmdline` is one of this engine's container monitors or container
/// cleanups (`podman … container cleanup`): what may remain after the service
/// stopped.
pub fn is_leftover(layout: &Layout, cmdline: &str) -> bool {
    let root = format!("--root {} ", layout.storage_root().display());
    is_monitor(layout, cmdline) || process::runs_program_with(cmdline, "podman", &root)
}

/// Removes libpod's and containers/storage's per-boot state when the machine
/// booted since it was written. Podman expects both on a tmpfs (by default in
/// /run): after a reboot it then resets what it knew of running containers
/// instead of trusting state that no process stands behind. Below the
/// workspace they survive a reboot, so the boot is compared by hand. Within
/// one boot the state stays, even when the service was killed: podman then
/// finds its containers' runc state gone or stopped and finishes them itself.
fn reset_boot_state_after_reboot(layout: &Layout) -> Result<()> {
    let current = fs::read_to_string(BOOT_ID).with_context(|| format!("cannot read {BOOT_ID}"))?;
    let recorded = fs::read_to_string(layout.podman_boot_id()).ok();
    if is_another_boot(recorded.as_deref(), &current) {
        for dir in [layout.podman_state_dir(), layout.storage_run_root()] {
            match fs::remove_dir_all(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot remove {}", dir.display()));
                }
                _ => {}
            }
        }
        fs::create_dir_all(&layout.dir)
            .with_context(|| format!("cannot create {}", layout.dir.display()))?;
        write(&layout.podman_boot_id(), &current)?;
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The kernel's id of the current boot.
const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

/// Whether the per-boot state was written in another boot than `current` (or
/// by an unknown one).
fn is_another_boot(recorded: Option<&str>, current: &str) -> bool {
    recorded.is_none_or(|r| r.trim() != current.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineName;

    fn layout() -> Layout {
        Layout::new(Path::new("/w/target/engines"), EngineName::Podman)
    }

    #[test]
    fn containers_conf_keeps_podman_in_its_directory() {
        let conf = containers_conf(&layout());
        for line in [
            "default_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]\n",
            "cgroup_manager = \"cgroupfs\"\n",
            "events_logger = \"file\"\n",
            "events_logfile_path = \"/w/target/engines/podman/events.log\"\n",
            "runtime = \"runc\"\n",
            "tmp_dir = \"/w/target/engines/podman/state\"\n",
            "lock_type = \"file\"\n",
            "image_copy_tmp_dir = \"/w/target/engines/podman/tmp\"\n",
            "network_backend = \"netavark\"\n",
            "network_config_dir = \"/w/target/engines/podman/networks\"\n",
        ] {
            assert!(conf.contains(line), "no {line:?} in\n{conf}");
        }
        // Every path in it is the engine's.
        for value in conf.lines().filter_map(|l| l.split_once(" = \"/")) {
            assert!(value.1.starts_with("w/target/engines/podman/"), "{value:?}");
        }
        // Sections in order, each once.
        let sections: Vec<&str> = conf.lines().filter(|l| l.starts_with('[')).collect();
        assert_eq!(sections, ["[containers]", "[engine]", "[network]"]);
    }

    #[test]
    fn the_service_gets_its_storage_on_the_command_line_and_its_configs_in_the_environment() {
        let layout = layout();
        let cmd = service_command(&layout);
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "--root",
                "/w/target/engines/podman/storage",
                "--runroot",
                "/w/target/engines/podman/runroot",
                "--storage-driver",
                "vfs",
                "system",
                "service",
                "--time=0",
                "unix:///w/target/engines/podman/podman.sock",
            ]
        );
        let env: std::collections::BTreeMap<String, String> = cmd
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_string_lossy().into(), v?.to_string_lossy().into())))
            .collect();
        assert_eq!(
            env["CONTAINERS_CONF"],
            "/w/target/engines/podman/containers.conf"
        );
        assert_eq!(
            env["CONTAINERS_REGISTRIES_CONF"],
            "/w/target/engines/podman/registries.conf"
        );
        assert_eq!(env["TMPDIR"], "/w/target/engines/podman/tmp");
    }

    #[test]
    fn per_boot_state_is_reset_only_after_a_reboot() {
        let boot = "e2d777b0-cf90-4629-adaa-d8418861cbc9\n";
        assert!(!is_another_boot(Some(boot), boot));
        assert!(!is_another_boot(Some(boot.trim()), boot));
        assert!(is_another_boot(
            Some("0bd5dd5a-5b0f-4b77-9a41-7a0c5dd4f0b1\n"),
            boot
        ));
        // Never started, or started by an xtask that did not record the boot.
        assert!(is_another_boot(None, boot));
    }

    #[test]
    fn leftovers_are_this_engines_conmons_and_cleanups_only() {
        let layout = layout();
        let conmon = "/usr/bin/conmon --api-version 1 -c 2dca -u 2dca -r /usr/sbin/runc \
                      -b /w/target/engines/podman/storage/vfs-containers/2dca/userdata \
                      --exit-dir /w/target/engines/podman/state/exits ";
        assert!(is_leftover(&layout, conmon));
        let cleanup = "/usr/bin/podman --root /w/target/engines/podman/storage --runroot \
                       /w/target/engines/podman/runroot container cleanup 2dca ";
        assert!(is_leftover(&layout, cleanup));
        // Another worktree's podman, a podman of the machine, an editor.
        let other = Layout::new(Path::new("/v/target/engines"), EngineName::Podman);
        assert!(!is_leftover(&other, conmon));
        assert!(!is_leftover(
            &layout,
            "podman --root /var/lib/containers/storage ps "
        ));
        assert!(!is_leftover(
            &layout,
            "vi /w/target/engines/podman/containers.conf "
        ));
    }
}
