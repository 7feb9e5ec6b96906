//! A real image registry of the test's own: Debian's `docker-registry` (the
//! CNCF distribution registry, 2.8) with htpasswd auth, on 127.0.0.1 at a free
//! port, with its configuration and storage in a directory of its own under
//! /tmp. The engines treat every 127.0.0.0/8 registry as insecure (plain HTTP)
//! without configuration, so push, pull and registry auth are real.
//!
//! `cargo xtask engine up` installs `docker-registry` and `htpasswd`
//! (`apache2-utils`). The registry runs in its own process group; dropping
//! the value kills it and removes its directory.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docker_engine_client::RegistryAuth;

const HOW: &str =
    "`cargo xtask engine up` installs it (Debian's docker-registry and apache2-utils)";

pub struct TestRegistry {
    child: Child,
    dir: PathBuf,
    /// `127.0.0.1:PORT`: the registry part of an image reference.
    pub address: String,
    pub username: String,
    pub password: String,
}

impl TestRegistry {
    /// Starts a registry that accepts `username`/`password` only, and waits
    /// until it answers `GET /v2/` (401 without credentials).
    pub fn start(username: &str, password: &str) -> TestRegistry {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = PathBuf::from(format!(
            "/tmp/dea-registry-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("storage")).unwrap();

        let htpasswd = Command::new(program("htpasswd"))
            .args(["-Bbn", username, password])
            .output()
            .unwrap_or_else(|e| panic!("cannot run htpasswd: {e}; {HOW}"));
        assert!(htpasswd.status.success(), "htpasswd failed");
        std::fs::write(dir.join("htpasswd"), &htpasswd.stdout).unwrap();

        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        std::fs::write(dir.join("config.yml"), config(&dir, &address)).unwrap();
        let log = std::fs::File::create(dir.join("registry.log")).unwrap();
        let child = Command::new(program("docker-registry"))
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start docker-registry: {e}; {HOW}"));
        let mut registry = TestRegistry {
            child,
            dir,
            address,
            username: username.into(),
            password: password.into(),
        };
        registry.wait_ready();
        registry
    }

    /// The typed credential of this registry.
    pub fn auth(&self) -> RegistryAuth {
        RegistryAuth::basic(&self.username, &self.password, &self.address)
    }

    /// `127.0.0.1:PORT/REPO`.
    pub fn image(&self, repo: &str) -> String {
        format!("{}/{repo}", self.address)
    }

    /// The registry's own log (requests, auth failures), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
    }

    /// The registry's directory, for files a test writes next to it.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "docker-registry exited with {status} before serving:\n{}",
                    self.log()
                );
            }
            if get_v2_status(&self.address).is_some_and(|s| s == 401) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not answer on {} within 20 s:\n{}",
                self.address,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        // SIGKILL to the process group: the registry holds nothing worth a
        // graceful stop (its storage is thrown away).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn config(dir: &Path, address: &str) -> String {
    format!(
        "version: 0.1\n\
         log:\n  level: info\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n\
         http:\n  addr: {address}\n\
         auth:\n  htpasswd:\n    realm: dea-test\n    path: {htpasswd}\n",
        storage = dir.join("storage").display(),
        htpasswd = dir.join("htpasswd").display(),
    )
}

/// A port nothing listens on now (the OS's pick; the registry binds it a few
/// milliseconds later).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The status of `GET /v2/`, `None` while nothing answers.
fn get_v2_status(address: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET /v2/ HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// A program on PATH or in the system directories, or a panic saying how to
/// install it.
fn program(name: &str) -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("`{name}` is not installed; {HOW}"))
}

/// Makes `repo:tag` on the engine of `c`: the base image plus a layer of its
/// own (a file with a unique content), so that another engine, or this one
/// once the image is removed, must download that layer when it pulls.
pub async fn commit_unique_image(c: &docker_engine_client::latest::Client, repo: &str, tag: &str) {
    use docker_engine_client::latest::types::ContainerCreateBody;
    let marker = format!("echo {} > /marker", crate::unique_name("layer"));
    let body = ContainerCreateBody {
        image: Some(crate::BASE_IMAGE.into()),
        cmd: Some(vec!["sh".into(), "-c".into(), marker]),
        ..Default::default()
    };
    let fail = |what: &str, e: docker_engine_client::Error| panic!("{what}: {e}");
    let id = match c.container_create().body(body).send().await {
        Ok(created) => created.into_inner().id,
        Err(e) => fail("create", e.into()),
    };
    if let Err(e) = c.container_start().id(&id).send().await {
        fail("start", e.into());
    }
    if let Err(e) = c.container_wait().id(&id).send().await {
        fail("wait", e.into());
    }
    let committed = c
        .image_commit()
        .container(&id)
        .repo(repo)
        .tag(tag)
        .send()
        .await;
    let _ = c.container_delete().id(&id).force(true).send().await;
    if let Err(e) = committed {
        fail("commit", e.into());
    }
}
