//! Where an engine's files live: one directory per engine under
//! `target/engines/`, and a short directory for its sockets when that one is
//! too deep for a unix socket path.

use std::path::{Path, PathBuf};

use super::{EngineKind, EngineName, packages};

/// A unix socket path holds at most 107 bytes (108 with its NUL).
const MAX_SOCKET_PATH: usize = 107;
/// The longest socket path below the run directory: dockerd's libnetwork socket
/// in its exec root (a 12-digit id). The others are `docker.sock`,
/// `podman.sock`, `containerd.sock(.ttrpc)` and `exec/metrics.sock`. (Podman's
/// per-container attach sockets live in its state directory, whatever its
/// length: podman and conmon reach them through `/proc/self/fd`.)
const LONGEST_SOCKET: &str = "exec/libnetwork/0123456789ab.sock";

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

    // ---- Both kinds ----

    /// The socket the Engine API is served on (dockerd's, or podman's service).
    /// Its path is also on the daemon's command line: it tells our daemon from
    /// any other process (see `process::is_ours`).
    pub fn api_socket(&self) -> PathBuf {
        match self.name.kind() {
            EngineKind::Docker => self.run_dir.join("docker.sock"),
            EngineKind::Podman => self.run_dir.join("podman.sock"),
        }
    }
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.api_socket().display())
    }
    /// The log of the API daemon (dockerd or `podman system service`).
    pub fn api_log(&self) -> PathBuf {
        match self.name.kind() {
            EngineKind::Docker => self.dir.join("dockerd.log"),
            EngineKind::Podman => self.dir.join("podman.log"),
        }
    }
    /// The API daemon's pid file: written by dockerd itself (`--pidfile`, removed
    /// when it stops); by us for podman, which has no such option.
    pub fn api_pidfile(&self) -> PathBuf {
        match self.name.kind() {
            EngineKind::Docker => self.dir.join("dockerd.pid"),
            EngineKind::Podman => self.dir.join("podman.pid"),
        }
    }

    // ---- Docker: containerd and dockerd ----

    /// The unpacked packages.
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }
    pub fn containerd_socket(&self) -> PathBuf {
        self.run_dir.join("containerd.sock")
    }
    pub fn containerd_config(&self) -> PathBuf {
        self.dir.join("containerd.toml")
    }
    pub fn containerd_dir(&self) -> PathBuf {
        self.dir.join("containerd")
    }
    pub fn containerd_log(&self) -> PathBuf {
        self.dir.join("containerd.log")
    }
    /// Written by us: containerd has no pidfile option.
    pub fn containerd_pidfile(&self) -> PathBuf {
        self.dir.join("containerd.pid")
    }
    pub fn dockerd_data_root(&self) -> PathBuf {
        self.dir.join("data")
    }
    pub fn exec_root(&self) -> PathBuf {
        self.run_dir.join("exec")
    }
    pub fn daemon_json(&self) -> PathBuf {
        self.dir.join("daemon.json")
    }

    /// PATH for containerd and dockerd: the unpacked programs first, then the
    /// machine's (where runc is found).
    pub fn daemon_path(&self) -> String {
        let root = self.root();
        format!(
            "{}:{}:{}",
            root.join("usr/bin").display(),
            root.join("usr/sbin").display(),
            packages::system_path()
        )
    }

    // ---- Podman ----

    /// `containers.conf`, the only one podman reads (`CONTAINERS_CONF`).
    pub fn containers_conf(&self) -> PathBuf {
        self.dir.join("containers.conf")
    }
    /// `registries.conf`, instead of the machine's (`CONTAINERS_REGISTRIES_CONF`).
    pub fn registries_conf(&self) -> PathBuf {
        self.dir.join("registries.conf")
    }
    /// containers/storage's graph root (`--root`): images, containers, volumes,
    /// libpod's database.
    pub fn storage_root(&self) -> PathBuf {
        self.dir.join("storage")
    }
    /// containers/storage's run root (`--runroot`): per-boot storage state.
    pub fn storage_run_root(&self) -> PathBuf {
        self.dir.join("runroot")
    }
    /// libpod's per-boot state (`tmp_dir`): container exit files, attach
    /// sockets, locks. Podman wants it wiped at every boot; `up` wipes it (and
    /// the run root) when the machine booted since (see `podman_boot_id`).
    pub fn podman_state_dir(&self) -> PathBuf {
        self.dir.join("state")
    }
    /// The kernel's boot id when the per-boot state was started.
    pub fn podman_boot_id(&self) -> PathBuf {
        self.dir.join("boot_id")
    }
    /// Temporary files (`TMPDIR`, `image_copy_tmp_dir`), instead of `/var/tmp`.
    pub fn podman_tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }
    /// Network definitions (`network_config_dir`), instead of
    /// `/etc/containers/networks`.
    pub fn podman_network_dir(&self) -> PathBuf {
        self.dir.join("networks")
    }
    pub fn podman_events_log(&self) -> PathBuf {
        self.dir.join("events.log")
    }
}

/// A path as a TOML basic string, for the daemons' configuration files.
pub fn toml_string(path: &Path) -> String {
    let s = path.to_string_lossy();
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// FNV-1a: a stable hash (std's hasher may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_move_to_a_short_directory_when_the_engine_directory_is_deep() {
        let shallow = Layout::new(Path::new("/w/target/engines"), EngineName::V28);
        assert_eq!(
            shallow.api_socket(),
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

    #[test]
    fn each_engine_has_its_own_directory_and_socket() {
        let engines = Path::new("/w/target/engines");
        let podman = Layout::new(engines, EngineName::Podman);
        assert_eq!(podman.dir, Path::new("/w/target/engines/podman"));
        assert_eq!(
            podman.docker_host(),
            "unix:///w/target/engines/podman/podman.sock"
        );
        assert_eq!(
            podman.api_log(),
            Path::new("/w/target/engines/podman/podman.log")
        );
        // Everything podman writes is below its directory.
        for path in [
            podman.storage_root(),
            podman.storage_run_root(),
            podman.podman_state_dir(),
            podman.podman_tmp_dir(),
            podman.podman_network_dir(),
            podman.podman_events_log(),
            podman.podman_boot_id(),
            podman.api_pidfile(),
        ] {
            assert!(path.starts_with(&podman.dir), "{}", path.display());
        }

        let v20 = Layout::new(engines, EngineName::V20);
        assert_eq!(
            v20.api_socket(),
            Path::new("/w/target/engines/20/docker.sock")
        );
        assert_eq!(
            v20.api_pidfile(),
            Path::new("/w/target/engines/20/dockerd.pid")
        );
        let all: std::collections::BTreeSet<PathBuf> = EngineName::ALL
            .iter()
            .map(|&n| Layout::new(engines, n).api_socket())
            .collect();
        assert_eq!(all.len(), EngineName::ALL.len());
    }

    #[test]
    fn paths_with_quotes_stay_one_toml_string() {
        assert_eq!(toml_string(Path::new("/a \"b\"\\c")), r#""/a \"b\"\\c""#);
    }

    #[test]
    fn deep_podman_sockets_move_too() {
        let deep_dir = format!("/{}/target/engines", "d".repeat(90));
        let deep = Layout::new(Path::new(&deep_dir), EngineName::Podman);
        assert!(deep.api_socket().starts_with("/tmp"));
        assert!(deep.api_socket().as_os_str().len() <= MAX_SOCKET_PATH);
        // Data stays in the workspace.
        assert!(deep.storage_root().starts_with(&deep_dir));
    }
}
