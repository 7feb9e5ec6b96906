//! The base test image `dea-busybox:latest`, also tagged `busybox:latest`.
//!
//! No registry is reachable, so nothing can be pulled: the image is imported
//! from a tar holding Debian's static busybox and a symlink per applet, as
//! `docker import -` does. The second name lets programs written for a real
//! machine run as they are: the README's first example and
//! `examples/run.rs` create containers of `busybox`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};

use super::http::{self, Body};

pub const REPO: &str = "dea-busybox";
pub const TAG: &str = "latest";
/// The image's second name, what examples written for Docker Hub ask for.
pub const ALIAS: (&str, &str) = ("busybox", "latest");

/// Applets the tests may rely on; `up` fails if busybox lacks one.
const REQUIRED_APPLETS: &[&str] = &[
    "sh", "echo", "cat", "sleep", "yes", "head", "tail", "ls", "true", "false", "env", "printf",
    "wc", "dd", "seq", "id", "mkdir", "rm", "cp", "mv", "grep", "sed",
];

/// Minimal account files, so that `User: "nobody"` and `id` work in containers.
const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP: &str = "root:x:0:\nnogroup:x:65534:\n";

/// Imports the image into the daemon at `socket` unless it is there already.
pub fn ensure_imported(socket: &Path, busybox: &Path) -> Result<()> {
    if !is_present(socket)? {
        let tar = build_tar(busybox)?;
        import(socket, &tar)?;
    }
    tag_alias(socket)
}

/// Tags the image `busybox:latest` too (again: a test may have removed it).
fn tag_alias(socket: &Path) -> Result<()> {
    let (repo, tag) = ALIAS;
    let path = format!("/images/{REPO}:{TAG}/tag?repo={repo}&tag={tag}");
    let response = http::request(socket, "POST", &path, None, Duration::from_secs(30))?;
    ensure!(
        (200..300).contains(&response.status),
        "tagging {REPO}:{TAG} as {repo}:{tag} failed with {}: {}",
        response.status,
        response.text()
    );
    Ok(())
}

fn is_present(socket: &Path) -> Result<bool> {
    let path = format!("/images/{REPO}:{TAG}/json");
    let response = http::request(socket, "GET", &path, None, Duration::from_secs(30))?;
    match response.status {
        200 => Ok(true),
        404 => Ok(false),
        s => bail!("GET {path} answered {s}: {}", response.text()),
    }
}

fn import(socket: &Path, tar: &[u8]) -> Result<()> {
    // `changes` gives the image a default command, as `docker import -c 'CMD ["sh"]'`.
    let path =
        format!("/images/create?fromSrc=-&repo={REPO}&tag={TAG}&changes=CMD%20%5B%22sh%22%5D");
    let body = Body {
        content_type: "application/x-tar",
        bytes: tar,
    };
    let response = http::request(socket, "POST", &path, Some(body), Duration::from_secs(120))?;
    ensure!(
        response.status == 200,
        "importing {REPO}:{TAG} failed with {}: {}",
        response.status,
        response.text()
    );
    // The answer is a stream of JSON progress lines; a failure is a line with
    // an "error", even under status 200.
    for line in response.text().lines().filter(|l| !l.trim().is_empty()) {
        let message: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("unexpected line in the import's answer: {line}"))?;
        if let Some(error) = message.get("error") {
            bail!("importing {REPO}:{TAG} failed: {error}");
        }
    }
    Ok(())
}

/// The image's filesystem: `bin/busybox`, `bin/<applet>` symlinks for every
/// applet busybox has, `tmp/` and account files in `etc/`.
fn build_tar(busybox: &Path) -> Result<Vec<u8>> {
    let binary =
        std::fs::read(busybox).with_context(|| format!("cannot read {}", busybox.display()))?;
    let applets = applets(busybox)?;
    for required in REQUIRED_APPLETS {
        ensure!(
            applets.iter().any(|a| a == required),
            "{} has no applet {required}",
            busybox.display()
        );
    }

    let mut tar = tar::Builder::new(Vec::new());
    append_dir(&mut tar, "bin", 0o755)?;
    append_dir(&mut tar, "etc", 0o755)?;
    append_dir(&mut tar, "tmp", 0o1777)?;
    append_file(&mut tar, "bin/busybox", 0o755, &binary)?;
    append_file(&mut tar, "etc/passwd", 0o644, PASSWD.as_bytes())?;
    append_file(&mut tar, "etc/group", 0o644, GROUP.as_bytes())?;
    for applet in applets.iter().filter(|a| *a != "busybox") {
        let mut header = header(tar::EntryType::Symlink, 0o777, 0);
        tar.append_link(&mut header, format!("bin/{applet}"), "busybox")?;
    }
    Ok(tar.into_inner()?)
}

/// The applet names busybox was built with (`busybox --list`).
fn applets(busybox: &Path) -> Result<Vec<String>> {
    let out = Command::new(busybox)
        .arg("--list")
        .output()
        .with_context(|| format!("cannot run {}", busybox.display()))?;
    ensure!(out.status.success(), "{} --list failed", busybox.display());
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty() && !a.contains('/'))
        .map(String::from)
        .collect())
}

/// A header owned by root with a fixed time, so that every import of the same
/// busybox gives the same layer.
fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header
}

fn append_dir(tar: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32) -> Result<()> {
    let mut header = header(tar::EntryType::Directory, mode, 0);
    tar.append_data(&mut header, path, std::io::empty())?;
    Ok(())
}

fn append_file(tar: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32, data: &[u8]) -> Result<()> {
    let mut header = header(tar::EntryType::Regular, mode, data.len() as u64);
    tar.append_data(&mut header, path, data)?;
    Ok(())
}
