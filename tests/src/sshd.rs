//! A real OpenSSH server of the test's own on 127.0.0.1, in front of an
//! engine, for the `ssh://` tests: Debian's `sshd` (installed by `cargo xtask
//! engine up`) with its own configuration (`-f`), host key, client keys
//! (made with `ssh-keygen`), `authorized_keys`, pid file and a free port,
//! all in a directory under /tmp that dropping it removes (after killing
//! sshd).
//!
//! The authorized key runs a forced command that checks the remote command
//! the client asked for is exactly `docker system dial-stdio`, then runs the
//! engine's own docker CLI (`target/engines/<name>/root/usr/bin/docker`) as
//! that, with `DOCKER_HOST` at the engine's socket and a `DOCKER_CONFIG` of
//! its own. The client side gets an `ssh_config` file (`-F`), so nothing of
//! the machine's ssh configuration is read or written.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Engine;

/// What the client's ssh_config says about keys and known hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientSetup {
    /// The authorized key and the server's host key in known hosts.
    Authorized,
    /// A key the server does not know: "Permission denied (publickey)".
    StrangerKey,
    /// The authorized key, but an empty known hosts file: "Host key
    /// verification failed".
    UnknownHost,
}

pub struct Sshd {
    child: Child,
    dir: PathBuf,
    pub port: u16,
    pub user: String,
}

const SSHD: &str = "/usr/sbin/sshd";

impl Sshd {
    /// Starts sshd in front of `engine` and waits until it accepts connections.
    pub fn start(engine: &Engine) -> Sshd {
        for program in [SSHD, "/usr/bin/ssh", "/usr/bin/ssh-keygen"] {
            assert!(
                Path::new(program).is_file(),
                "the ssh:// tests need OpenSSH ({program} is missing): `cargo xtask engine up` \
                 installs openssh-server (or `apt-get install openssh-server`)"
            );
        }
        let docker_cli = engine_docker_cli(engine);
        let socket = engine
            .docker_host
            .strip_prefix("unix://")
            .unwrap_or_else(|| panic!("engine {}: not a unix socket", engine.name));
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = PathBuf::from(format!(
            "/tmp/dea-sshd-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("docker-config")).unwrap();
        for key in ["host_key", "client_key", "stranger_key"] {
            keygen(&dir.join(key));
        }
        let user = run(Command::new("id").arg("-un")).trim().to_string();
        let port = free_port();

        let dial = dir.join("dial.sh");
        std::fs::write(
            &dial,
            format!(
                "#!/bin/sh\n\
                 if [ \"$SSH_ORIGINAL_COMMAND\" != 'docker system dial-stdio' ]; then\n\
                 \techo \"dea test sshd: unexpected remote command: $SSH_ORIGINAL_COMMAND\" >&2\n\
                 \texit 2\n\
                 fi\n\
                 export DOCKER_HOST='unix://{socket}' DOCKER_CONFIG='{config}'\n\
                 exec '{docker}' system dial-stdio\n",
                config = dir.join("docker-config").display(),
                docker = docker_cli.display(),
            ),
        )
        .unwrap();
        std::fs::set_permissions(&dial, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let client_pub = std::fs::read_to_string(dir.join("client_key.pub")).unwrap();
        std::fs::write(
            dir.join("authorized_keys"),
            format!(
                "command=\"{}\",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding {}",
                dial.display(),
                client_pub.trim()
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("sshd_config"),
            format!(
                "ListenAddress 127.0.0.1:{port}\n\
                 HostKey {dir}/host_key\n\
                 PidFile {dir}/sshd.pid\n\
                 AuthorizedKeysFile {dir}/authorized_keys\n\
                 StrictModes no\n\
                 PubkeyAuthentication yes\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 UsePAM no\n\
                 PermitRootLogin prohibit-password\n\
                 AllowUsers {user}\n\
                 AllowTcpForwarding no\n\
                 X11Forwarding no\n\
                 PrintMotd no\n\
                 LogLevel VERBOSE\n",
                dir = dir.display()
            ),
        )
        .unwrap();
        let host_pub = std::fs::read_to_string(dir.join("host_key.pub")).unwrap();
        std::fs::write(
            dir.join("known_hosts"),
            format!("[127.0.0.1]:{port} {}\n", host_pub.trim()),
        )
        .unwrap();
        std::fs::write(dir.join("empty_known_hosts"), "").unwrap();
        for (setup, file) in [
            (ClientSetup::Authorized, "ssh_config"),
            (ClientSetup::StrangerKey, "stranger_ssh_config"),
            (ClientSetup::UnknownHost, "unknown_host_ssh_config"),
        ] {
            let (key, known) = match setup {
                ClientSetup::Authorized => ("client_key", "known_hosts"),
                ClientSetup::StrangerKey => ("stranger_key", "known_hosts"),
                ClientSetup::UnknownHost => ("client_key", "empty_known_hosts"),
            };
            std::fs::write(
                dir.join(file),
                format!(
                    "Host *\n\
                     \tIdentityFile {dir}/{key}\n\
                     \tIdentitiesOnly yes\n\
                     \tIdentityAgent none\n\
                     \tUserKnownHostsFile {dir}/{known}\n\
                     \tGlobalKnownHostsFile /dev/null\n\
                     \tStrictHostKeyChecking yes\n",
                    dir = dir.display()
                ),
            )
            .unwrap();
        }

        // sshd's privilege separation directory; the package's service
        // makes it at boot, which these machines do not run.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(dir.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
        let mut sshd = Sshd {
            child,
            dir,
            port,
            user,
        };
        sshd.wait_ready();
        sshd
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("sshd exited ({status}) before listening: {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "sshd did not listen on 127.0.0.1:{} within 10 s: {}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `ssh://user@127.0.0.1:port`.
    pub fn host(&self) -> String {
        format!("ssh://{}@127.0.0.1:{}", self.user, self.port)
    }

    /// The options the client passes to ssh (`Config::ssh_options`).
    pub fn ssh_options(&self, setup: ClientSetup) -> Vec<String> {
        let file = match setup {
            ClientSetup::Authorized => "ssh_config",
            ClientSetup::StrangerKey => "stranger_ssh_config",
            ClientSetup::UnknownHost => "unknown_host_ssh_config",
        };
        vec!["-F".into(), self.dir.join(file).display().to_string()]
    }

    /// sshd's log (`-e`), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The docker CLI unpacked with a provisioned engine.
fn engine_docker_cli(engine: &Engine) -> PathBuf {
    let cli = engine
        .log
        .as_ref()
        .and_then(|log| log.parent())
        .map(|dir| dir.join("root/usr/bin/docker"));
    match cli {
        Some(cli) if cli.is_file() => cli,
        _ => panic!(
            "the ssh:// tests run the docker CLI unpacked with engine {} as the remote \
             `docker system dial-stdio`, and found none: provision it with `cargo xtask engine up`",
            engine.name
        ),
    }
}

fn keygen(path: &Path) {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "dea-test", "-f"])
        .arg(path));
}

fn run(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// For leak checks: `ssh` processes naming `port` (what the bridge starts),
/// and every child of this process whose name is `ssh` (zombies included,
/// whose command line is empty), as `pid state command line`.
pub fn ssh_processes_for(port: u16) -> Vec<String> {
    let port = port.to_string();
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for p in processes() {
        let names_port = p.args.first().is_some_and(|a| a == "ssh") && p.args.contains(&port);
        if names_port || (p.name == "ssh" && p.parent == me) {
            found.push(format!("{} {} {}", p.pid, p.state, p.args.join(" ")));
        }
    }
    found
}

impl Sshd {
    /// sshd's children: one per session still open.
    pub fn sessions(&self) -> Vec<String> {
        let sshd = self.child.id().to_string();
        processes()
            .into_iter()
            .filter(|p| p.parent == sshd)
            .map(|p| format!("{} {}", p.pid, p.args.join(" ")))
            .collect()
    }
}

/// A process, from `/proc/<pid>/stat` and `cmdline`.
struct Process {
    pid: String,
    name: String,
    state: String,
    parent: String,
    args: Vec<String>,
}

/// Every process of the machine.
fn processes() -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut all = Vec::new();
    for entry in entries.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let mut rest = stat[close + 1..].split_whitespace();
        let (Some(state), Some(ppid)) = (rest.next(), rest.next()) else {
            continue;
        };
        let args = std::fs::read(entry.path().join("cmdline"))
            .unwrap_or_default()
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        all.push(Process {
            pid,
            name: comm,
            state: state.to_string(),
            parent: ppid.to_string(),
            args,
        });
    }
    all
}
