//! The programs an engine runs: dockerd, containerd and docker-init unpacked from
//! the engine's Debian suite; runc and podman installed on the machine; busybox
//! for the base image; the tests' registry programs (`docker-registry`, `htpasswd`).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

use super::EngineName;
use super::apt::{self, Apt, Candidate};

/// Written into an unpacked root: the docker.io version, then the .deb files unpacked.
const STAMP: &str = ".dea-packages";

/// Makes `root` hold the current docker.io and containerd of the engine's suite,
/// and returns the docker.io package version.
///
/// apt runs only when needed: the private package lists are refreshed when older
/// than a day, and a root unpacked since the last refresh is used as it is.
pub fn prepare_root(name: EngineName, root: &Path, cache: &Path) -> Result<String> {
    let suite = name
        .suite()
        .with_context(|| format!("engine {name} is not unpacked from Debian's archive"))?;
    let apt = Apt::private(&cache.join("apt").join(suite), suite)?;
    let stamp = read_stamp(root);
    // A root unpacked before the docker CLI was taken along is unpacked again.
    if apt.lists_fresh()
        && root.join("usr/bin/docker").is_file()
        && let Some((version, _, unpacked_at)) = &stamp
        && apt
            .lists_updated_at()
            .is_some_and(|updated| updated <= *unpacked_at)
    {
        return Ok(version.clone());
    }

    if !apt.lists_fresh() {
        apt.update()?;
    }
    let debs_dir = cache.join("debs").join(suite);
    let (docker, debs) = apt::with_update_retry(&apt, || download(&apt, &debs_dir))?;
    let names: Vec<String> = debs.iter().map(|d| file_name(d)).collect();

    if stamp
        .as_ref()
        .is_some_and(|(_, unpacked, _)| *unpacked == names)
    {
        println!(
            "engine {name}: docker.io {} is already unpacked",
            docker.version
        );
    } else {
        println!(
            "engine {name}: unpacking docker.io {} from Debian {}",
            docker.version, suite
        );
        unpack_all(&debs, root)?;
    }
    // Rewritten even when unchanged: its time says the root matches the lists.
    write_stamp(root, &docker.version, &names)?;
    prune_old_debs(&debs_dir, &names);
    Ok(docker.version)
}

/// Resolves docker.io, containerd, the docker-init package docker.io depends
/// on (`tini-static` in sid, `tini` in trixie and bookworm) and, where it is a
/// package of its own, the docker CLI, and downloads them.
fn download(apt: &Apt, dir: &Path) -> Result<(Candidate, Vec<PathBuf>)> {
    let mut candidates = apt.candidates(&["docker.io", "containerd"])?;
    let docker = candidates[0].clone();
    let init: Vec<&str> = docker
        .dependencies()
        .filter(|d| d.starts_with("tini"))
        .collect();
    candidates.extend(apt.candidates(&init)?);
    // The docker CLI: part of docker.io up to trixie, its own `docker-cli`
    // (which docker.io recommends) in sid. The `ssh://` tests run it as the
    // remote `docker system dial-stdio`.
    let cli: Vec<&str> = docker
        .recommendations()
        .filter(|r| *r == "docker-cli")
        .collect();
    if !cli.is_empty() {
        candidates.extend(apt.candidates(&cli)?);
    }
    let debs = apt.download(&candidates, dir)?;
    Ok((docker, debs))
}

fn unpack_all(debs: &[PathBuf], root: &Path) -> Result<()> {
    if root.exists() {
        fs::remove_dir_all(root).with_context(|| format!("cannot remove {}", root.display()))?;
    }
    for deb in debs {
        apt::unpack(deb, root)?;
    }
    // The suite's runc would need a newer glibc than the machine's: the machine's
    // own runc must be the one found on PATH (our packages do not pull runc in,
    // this only guards against a future dependency doing so).
    for runc in ["usr/sbin/runc", "usr/bin/runc"] {
        let _ = fs::remove_file(root.join(runc));
    }
    Ok(())
}

fn read_stamp(root: &Path) -> Option<(String, Vec<String>, SystemTime)> {
    let path = root.join(STAMP);
    let text = fs::read_to_string(&path).ok()?;
    let modified = fs::metadata(&path).ok()?.modified().ok()?;
    let mut lines = text.lines().map(String::from);
    let version = lines.next()?;
    Some((version, lines.collect(), modified))
}

fn write_stamp(root: &Path, version: &str, debs: &[String]) -> Result<()> {
    let mut text = format!("{version}\n");
    for deb in debs {
        text.push_str(deb);
        text.push('\n');
    }
    fs::write(root.join(STAMP), text).context("cannot write the unpack stamp")
}

/// Removes .deb files that the current versions replaced (sid moves).
fn prune_old_debs(dir: &Path, keep: &[String]) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(|e| Some(e.ok()?.path())) {
        if path.extension().is_some_and(|e| e == "deb") && !keep.contains(&file_name(&path)) {
            let _ = fs::remove_file(path);
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// The static busybox of the machine's own suite, unpacked under the cache
/// (downloaded, not installed).
pub fn busybox(cache: &Path) -> Result<PathBuf> {
    let dir = cache.join("busybox");
    let binary = dir.join("root/bin/busybox");
    if binary.is_file() {
        return Ok(binary);
    }
    let apt = Apt::system();
    let debs = apt::with_update_retry(&apt, || {
        let candidates = apt.candidates(&["busybox-static"])?;
        apt.download(&candidates, &dir)
    })?;
    apt::unpack(&debs[0], &dir.join("root"))?;
    anyhow::ensure!(
        binary.is_file(),
        "busybox-static has no {}",
        binary.display()
    );
    Ok(binary)
}

/// Makes sure the machine's own runc is installed: one of the two packages `up`
/// installs on the system (with podman), because the suites' runc does not run
/// on it. The podman engine uses it too.
pub fn ensure_system_runc() -> Result<PathBuf> {
    if let Some(runc) = find_in_path("runc", &system_path()) {
        return Ok(runc);
    }
    let apt = Apt::system();
    apt::with_update_retry(&apt, || apt.install("runc"))?;
    find_in_path("runc", &system_path()).context("runc was installed but is not on PATH")
}

/// Makes sure podman is installed on the machine (`apt-get install podman`, the
/// machine's own suite's: 4.3.1 on Debian 12) and returns its package version.
/// Installed rather than unpacked: rootful podman finds conmon, netavark and
/// its other helpers at their installed paths.
pub fn ensure_system_podman() -> Result<String> {
    if find_in_path("podman", &system_path()).is_none() {
        let apt = Apt::system();
        apt::with_update_retry(&apt, || apt.install("podman"))?;
    }
    installed_version("podman")
}

/// Makes sure the machine has OpenSSH's server and client (`apt-get install
/// openssh-server`, which pulls in `openssh-client`): the `ssh://` tests run
/// their own `sshd` on 127.0.0.1 in front of engine 28, with their own
/// configuration, keys and port. Installing may start the package's system
/// service on port 22 (where an init system lets it); it is stopped again, so
/// the machine is left with the programs only.
pub fn ensure_system_openssh() -> Result<String> {
    let path = system_path();
    if find_in_path("sshd", &path).is_none() || find_in_path("ssh", &path).is_none() {
        let apt = Apt::system();
        apt::with_update_retry(&apt, || apt.install("openssh-server"))?;
        stop_system_sshd();
        find_in_path("sshd", &system_path())
            .context("openssh-server was installed but sshd is not on PATH")?;
    }
    installed_version("openssh-server")
}

/// Stops the system sshd that installing the package may have started.
fn stop_system_sshd() {
    let pid_file = Path::new("/run/sshd.pid");
    let Some(pid) = fs::read_to_string(pid_file)
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok())
    else {
        return;
    };
    println!("stopping the system sshd (pid {pid}) that installing openssh-server started");
    super::process::stop(pid, std::time::Duration::from_secs(5));
}

/// Makes sure the programs of the tests' registry are installed: Debian's
/// `docker-registry` (the CNCF distribution registry) and `htpasswd`
/// (`apache2-utils`). The tests start their own registry (`tests/src/registry.rs`)
/// with their own configuration, storage and port; the system service the
/// package starts on install is stopped and disabled, so that nothing but the
/// tests' registries serves (it would listen on every address's port 5000).
pub fn ensure_registry_tools() -> Result<()> {
    let path = system_path();
    for (program, package) in [
        ("docker-registry", "docker-registry"),
        ("htpasswd", "apache2-utils"),
    ] {
        if find_in_path(program, &path).is_some() {
            continue;
        }
        let apt = Apt::system();
        apt::with_update_retry(&apt, || apt.install(package))?;
        find_in_path(program, &path)
            .with_context(|| format!("{package} was installed but `{program}` is not on PATH"))?;
        if package == "docker-registry" {
            stop_system_registry();
        }
    }
    Ok(())
}

/// Stops and disables the `docker-registry` service the package enables.
/// Best effort: machines without systemd (containers) never started it.
fn stop_system_registry() {
    use std::process::{Command, Stdio};
    let quiet = |program: &str, args: &[&str]| {
        let _ = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    };
    if Path::new("/run/systemd/system").exists() {
        quiet("systemctl", &["disable", "--now", "docker-registry"]);
    } else {
        quiet("invoke-rc.d", &["docker-registry", "stop"]);
    }
}

/// The version of an installed Debian package.
fn installed_version(package: &str) -> Result<String> {
    let out = std::process::Command::new("dpkg-query")
        .args(["--show", "--showformat=${Version}", package])
        .output()
        .context("cannot run dpkg-query")?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || version.is_empty() {
        bail!(
            "{package} is on PATH but not installed as a Debian package ({}): \
             remove it or install Debian's (`apt-get install {package}`)",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(version)
}

/// The PATH to search for the machine's programs: the caller's, then the usual
/// system directories (a non-login root shell may lack the sbin ones).
pub fn system_path() -> String {
    let mut path = std::env::var("PATH").unwrap_or_default();
    for dir in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        if !path.split(':').any(|d| d == dir) {
            if !path.is_empty() {
                path.push(':');
            }
            path.push_str(dir);
        }
    }
    path
}

fn find_in_path(program: &str, path: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    path.split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}
