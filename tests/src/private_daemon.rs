//! A dockerd of the test's own, for what must not happen to the shared
//! engines: being killed in the middle of a stream, or serving TLS with
//! certificates the test made. It uses the binaries of a provisioned engine
//! (or `dockerd` on PATH), its own directories under /tmp, and a containerd
//! it manages itself; it runs in its own process group, and dropping it
//! kills the group and removes the directories.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docker_engine_client::{Config, Docker, Host};

use crate::Engine;

pub struct PrivateDaemon {
    child: Child,
    dir: PathBuf,
    /// `unix://…/docker.sock`: always served, for setup.
    pub unix_host: String,
}

impl PrivateDaemon {
    /// Starts a dockerd with the binaries of `engine`, serving a unix socket
    /// and the extra `-H`/TLS arguments given; waits until it answers.
    pub async fn start(engine: &Engine, extra_args: &[String]) -> PrivateDaemon {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        // Short: unix socket paths hold 107 bytes.
        let dir = PathBuf::from(format!(
            "/tmp/dea-pd-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("daemon.json"), "{}").unwrap();
        let socket = dir.join("docker.sock");
        let (dockerd, path) = binaries(engine);
        let log = std::fs::File::create(dir.join("dockerd.log")).unwrap();
        let child = Command::new(&dockerd)
            .args(["--data-root", &dir.join("data").display().to_string()])
            .args(["--exec-root", &dir.join("exec").display().to_string()])
            .args(["--pidfile", &dir.join("dockerd.pid").display().to_string()])
            .args([
                "--config-file",
                &dir.join("daemon.json").display().to_string(),
            ])
            .args(["-H", &format!("unix://{}", socket.display())])
            .args([
                "--storage-driver",
                "vfs",
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
            ])
            .args(extra_args)
            .env("PATH", path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", dockerd.display()));
        let daemon = PrivateDaemon {
            child,
            unix_host: format!("unix://{}", socket.display()),
            dir,
        };
        daemon.wait_ready().await;
        daemon
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let docker = self.docker();
        while Instant::now() < deadline {
            if docker.ping().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!(
            "the private dockerd did not come up; its log:\n{}",
            self.log_tail()
        );
    }

    /// A client on the unix socket.
    pub fn docker(&self) -> Docker {
        Docker::connect(Config::new(Host::parse(&self.unix_host).unwrap())).unwrap()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Kills dockerd abruptly (its containerd goes with the group on drop).
    pub fn kill_dockerd(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for PrivateDaemon {
    fn drop(&mut self) {
        // The whole process group: dockerd and its containerd.
        let group = self.child.id() as i32;
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{group}")])
            .status();
        let _ = self.child.wait();
        // The shims (containerd-shim-runc-v2 starts a session of its own,
        // outside the group) and the container processes under them: every
        // process whose command line names this daemon's directory (a shim's
        // `-address …/exec/containerd/containerd.sock`), and its descendants.
        let left = processes_of(&self.dir);
        if !left.is_empty() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .args(left.iter().map(u32::to_string))
                .status();
        }
        std::thread::sleep(Duration::from_millis(200));
        // Mounts of the exec root may linger for a moment.
        let _ = Command::new("umount")
            .arg("-R")
            .arg(self.dir.join("exec"))
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The processes whose command line names `dir`, and all their descendants.
pub fn processes_of(dir: &Path) -> Vec<u32> {
    let needle = dir.display().to_string();
    // (pid, parent pid, command line) of every process.
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // `pid (comm) state ppid …`: the command may hold spaces and parentheses.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if let Some(ppid) = ppid {
            all.push((
                pid,
                ppid,
                String::from_utf8_lossy(&cmdline).replace('\0', " "),
            ));
        }
    }
    let mut found: Vec<u32> = all
        .iter()
        .filter(|(_, _, cmd)| cmd.contains(&needle))
        .map(|(pid, ..)| *pid)
        .collect();
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        for (pid, ppid, _) in &all {
            if *ppid == parent && !found.contains(pid) {
                found.push(*pid);
            }
        }
        i += 1;
    }
    found
}

/// dockerd, and a PATH where its containerd, shim and docker-init are found.
fn binaries(engine: &Engine) -> (PathBuf, String) {
    let system_path = std::env::var("PATH").unwrap_or_default();
    if let Some(dir) = engine.log.as_ref().and_then(|l| l.parent()) {
        let root = dir.join("root");
        let dockerd = root.join("usr/sbin/dockerd");
        if dockerd.is_file() {
            let path = format!(
                "{}:{}:{system_path}",
                root.join("usr/bin").display(),
                root.join("usr/sbin").display()
            );
            return (dockerd, path);
        }
    }
    for dir in system_path.split(':') {
        let candidate = Path::new(dir).join("dockerd");
        if candidate.is_file() {
            return (candidate, system_path);
        }
    }
    panic!(
        "this test starts its own dockerd and found none: provision engines with `cargo xtask engine up` \
         (engine {}) or put dockerd on PATH",
        engine.name
    );
}
