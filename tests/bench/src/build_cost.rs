//! Build cost, for the issue "generated crates":
//!
//! 1. A cold `cargo build` (dev profile) of a hello-world program that asks
//!    the daemon for its version, with the facade (one version feature, no
//!    TLS) and with bollard (default features: no TLS either), alternating
//!    (twice each in a full run), each build in a fresh temporary project with
//!    its own `CARGO_TARGET_DIR`, with the same cargo and rustc, sources
//!    already downloaded (`cargo fetch`).
//! 2. The generated crate alone, `docker-engine-api-v1-52`, next to
//!    `bollard-stubs` (bollard's generated models): dependencies pre-built,
//!    then `cargo clean -p X` and a timed `cargo build`, alternating.
//!
//! Every build runs with `CARGO_INCREMENTAL=0`: cargo compiles local (path)
//! packages incrementally and registry packages never, and only ours are local
//! here, while users get both from a registry.
//!
//! The programs are written into a temporary directory at bench time (not
//! crates of the workspace), with a copy of the workspace's `Cargo.lock` so
//! that both resolve to the versions the workspace uses.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::Settings;
use crate::measure::{self, Summary};
use crate::report::{Table, cell, num};

const HELLO_OURS: &str = r#"#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), docker_engine_client::Error> {
    let docker = docker_engine_client::Docker::from_env()?;
    let api = docker.v1_51().await?;
    let version = api.system_version().send().await?.into_inner();
    println!("{:?}", version.version);
    Ok(())
}
"#;

const HELLO_BOLLARD: &str = r#"#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), bollard::errors::Error> {
    let docker = bollard::Docker::connect_with_local_defaults()?
        .negotiate_version()
        .await?;
    let version = docker.version().await?;
    println!("{:?}", version.version);
    Ok(())
}
"#;

struct Timed {
    wall_s: f64,
    cpu_s: f64,
    max_rss_mib: f64,
}

pub fn run(settings: &Settings) -> Result<Vec<Table>> {
    let root = workspace_root()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let dir = std::env::temp_dir().join(format!("dea-bench-build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let result = measure_all(settings, &root, &cargo, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure_all(settings: &Settings, root: &Path, cargo: &str, dir: &Path) -> Result<Vec<Table>> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))?;
    let stubs_version = locked_version(&lock, "bollard-stubs")?;
    let facade = root.join("crates/docker-engine-client");
    let v1_52 = root.join("crates/docker-engine-api-v1-52");
    let tokio = r#"tokio = { version = "1", features = ["rt", "macros"] }"#;

    let ours = project(
        dir,
        "hello-ours",
        &format!(
            "docker-engine-client = {{ path = {:?}, default-features = false, features = [\"v1_51\"] }}\n{tokio}",
            facade
        ),
        Some(HELLO_OURS),
        &lock,
    )?;
    let bollard = project(
        dir,
        "hello-bollard",
        &format!("bollard = \"0.21\"\n{tokio}"),
        Some(HELLO_BOLLARD),
        &lock,
    )?;
    let crates = project(
        dir,
        "generated-crates",
        &format!(
            "docker-engine-api-v1-52 = {{ path = {:?} }}\nbollard-stubs = {{ version = \"={stubs_version}\", default-features = false }}",
            v1_52
        ),
        None,
        &lock,
    )?;
    for p in [&ours, &bollard, &crates] {
        cargo_cmd(cargo, p, &dir.join("target-fetch"), &["fetch", "-q"]).run()?;
    }

    // 1. Cold builds, alternating (bollard first in the first round:
    //    whoever goes second may find the page cache warmer, and that should
    //    not favour ours), each in a target directory of its own.
    let (mut cold_ours, mut cold_bollard) = (Vec::new(), Vec::new());
    let mut last_ours_target = dir.join("target-none");
    for rep in 0..settings.cold_reps {
        let mut pair = [(&bollard, false), (&ours, true)];
        if rep % 2 == 1 {
            pair.reverse();
        }
        for (project, is_ours) in pair {
            let name = if is_ours { "facade" } else { "bollard" };
            eprintln!(
                "build: cold build of the {name} hello world, {}/{}",
                rep + 1,
                settings.cold_reps
            );
            let target = dir.join(format!("target-{name}-{rep}"));
            let t = timed(cargo_cmd(cargo, project, &target, &["build", "-q"]))?;
            if is_ours {
                cold_ours.push(t);
                let _ = std::fs::remove_dir_all(&last_ours_target);
                last_ours_target = target;
            } else {
                cold_bollard.push(t);
                let _ = std::fs::remove_dir_all(&target);
            }
        }
    }

    // 2. The generated crates alone. Their dependencies are built once,
    //    untimed, in the facade's last target directory (most of them are
    //    already there).
    eprintln!("build: dependencies of the generated crates");
    let target = last_ours_target;
    cargo_cmd(cargo, &crates, &target, &["build", "-q"]).run()?;
    let (mut gen_ours, mut gen_bollard) = (Vec::new(), Vec::new());
    for rep in 0..settings.build_reps {
        let mut pair = [("docker-engine-api-v1-52", true), ("bollard-stubs", false)];
        if rep % 2 == 1 {
            pair.reverse();
        }
        for (krate, is_ours) in pair {
            eprintln!("build: {krate} alone, {}/{}", rep + 1, settings.build_reps);
            cargo_cmd(cargo, &crates, &target, &["clean", "-q", "-p", krate]).run()?;
            let t = timed(cargo_cmd(cargo, &crates, &target, &["build", "-q"]))?;
            if is_ours {
                gen_ours.push(t)
            } else {
                gen_bollard.push(t)
            }
        }
    }

    let lines_ours = rust_lines(&v1_52.join("src"));
    let stubs_src = cargo_home().join("registry/src");
    let lines_stubs = find_stubs_lines(&stubs_src, &stubs_version);
    let rustc = tool_version(&std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()));
    let mut table = Table {
        title: "Build cost (dev profile)".into(),
        note: format!(
            "Cold: a hello world (connect, negotiate, `GET /version`) in a fresh project and target \
             directory, sources already downloaded: the facade with `default-features = false, features = \
             [\"v1_51\"]` against `bollard = \"0.21\"` (default features), {} alternating builds each. Crate only: \
             `cargo clean -p` then `cargo build` of the generated crate, dependencies built, {} alternating \
             builds each: `docker-engine-api-v1-52` ({} lines) against `bollard-stubs` \
             {stubs_version} ({} lines, models of one API version). Peak RSS: the largest single process \
             (rustc). `CARGO_INCREMENTAL=0` for every build: our crates are path dependencies here, which \
             cargo would otherwise compile incrementally (about +40% for a generated crate), while from a \
             registry, as users get them, neither side is. {rustc}.",
            settings.cold_reps,
            settings.build_reps,
            lines_ours.map_or("?".into(), |n| n.to_string()),
            lines_stubs.map_or("?".into(), |n| n.to_string()),
        ),
        header: ["", "ours", "bollard", "ours/bollard"]
            .map(String::from)
            .to_vec(),
        rows: Vec::new(),
    };
    let mut row = |label: &str, a: Vec<f64>, b: Vec<f64>| {
        let (a, b) = (Summary::of(&a), Summary::of(&b));
        let ratio = match (a, b) {
            (Some(a), Some(b)) => num(a.median / b.median),
            _ => "–".into(),
        };
        table.rows.push(vec![label.into(), cell(a), cell(b), ratio]);
    };
    let all = |v: &[Timed], f: fn(&Timed) -> f64| v.iter().map(f).collect::<Vec<_>>();
    row(
        "hello world, cold build: wall s",
        all(&cold_ours, |t| t.wall_s),
        all(&cold_bollard, |t| t.wall_s),
    );
    row(
        "hello world, cold build: CPU (user+sys) s",
        all(&cold_ours, |t| t.cpu_s),
        all(&cold_bollard, |t| t.cpu_s),
    );
    row(
        "hello world, cold build: peak RSS MiB",
        all(&cold_ours, |t| t.max_rss_mib),
        all(&cold_bollard, |t| t.max_rss_mib),
    );
    row(
        "generated crate alone: wall s",
        all(&gen_ours, |t| t.wall_s),
        all(&gen_bollard, |t| t.wall_s),
    );
    row(
        "generated crate alone: CPU s",
        all(&gen_ours, |t| t.cpu_s),
        all(&gen_bollard, |t| t.cpu_s),
    );
    row(
        "generated crate alone: peak RSS MiB",
        all(&gen_ours, |t| t.max_rss_mib),
        all(&gen_bollard, |t| t.max_rss_mib),
    );
    Ok(vec![table])
}

/// A project of its own (`[workspace]`: never taken for a member of an
/// enclosing workspace) with the workspace's lock file.
fn project(dir: &Path, name: &str, deps: &str, main: Option<&str>, lock: &str) -> Result<PathBuf> {
    let p = dir.join(name);
    std::fs::create_dir_all(p.join("src"))?;
    std::fs::write(
        p.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{deps}\n\n[workspace]\n"
        ),
    )?;
    match main {
        Some(code) => std::fs::write(p.join("src/main.rs"), code)?,
        None => std::fs::write(p.join("src/lib.rs"), "")?,
    }
    std::fs::write(p.join("Cargo.lock"), lock)?;
    Ok(p)
}

struct CargoCmd(Command, String);

fn cargo_cmd(cargo: &str, project: &Path, target: &Path, args: &[&str]) -> CargoCmd {
    let mut cmd = Command::new(cargo);
    cmd.args(args)
        .current_dir(project)
        .env("CARGO_TARGET_DIR", target)
        // The bench reaches our crates by path, which makes cargo compile
        // them incrementally (it does so for local packages only), at about
        // +40% for a generated crate. A user gets them from a registry, never
        // incrementally, like bollard here; so both sides build the same way.
        .env("CARGO_INCREMENTAL", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    CargoCmd(
        cmd,
        format!("cargo {} in {}", args.join(" "), project.display()),
    )
}

impl CargoCmd {
    fn run(mut self) -> Result<()> {
        let status = self
            .0
            .status()
            .with_context(|| format!("cannot run {}", self.1))?;
        if !status.success() {
            bail!("{} failed ({status})", self.1);
        }
        Ok(())
    }
}

/// Runs a cargo command and reads its wall time and, with `wait4`, the CPU
/// and peak RSS of it and every rustc it waited for.
fn timed(mut cmd: CargoCmd) -> Result<Timed> {
    let t0 = Instant::now();
    let child = cmd
        .0
        .spawn()
        .with_context(|| format!("cannot run {}", cmd.1))?;
    let exited = measure::wait4(child.id())?;
    let wall_s = t0.elapsed().as_secs_f64();
    if !exited.success {
        bail!("{} failed ({})", cmd.1, exited.code);
    }
    Ok(Timed {
        wall_s,
        cpu_s: exited.cpu_s,
        max_rss_mib: exited.max_rss_kib as f64 / 1024.0,
    })
}

pub fn workspace_root() -> Result<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = here.join("../..").canonicalize()?;
    if !root.join("Cargo.lock").is_file() {
        bail!("{} has no Cargo.lock", root.display());
    }
    Ok(root)
}

fn locked_version(lock: &str, name: &str) -> Result<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"")
            && let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return Ok(v.trim_matches('"').to_string());
        }
    }
    bail!("{name} is not in Cargo.lock")
}

fn lines(path: &Path) -> Option<usize> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.lines().count())
}

/// Lines of every `.rs` file under `dir` (a generated crate's sources are
/// split into modules by API tag).
fn rust_lines(dir: &Path) -> Option<usize> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            total += rust_lines(&path)?;
        } else if path.extension().is_some_and(|x| x == "rs") {
            total += lines(&path)?;
        }
    }
    Some(total)
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
}

/// Lines of bollard-stubs' `src/models.rs` in the registry's unpacked sources.
fn find_stubs_lines(registry_src: &Path, version: &str) -> Option<usize> {
    for index in std::fs::read_dir(registry_src).ok()?.flatten() {
        let models = index
            .path()
            .join(format!("bollard-stubs-{version}/src/models.rs"));
        if let Some(n) = lines(&models) {
            return Some(n);
        }
    }
    None
}

pub fn tool_version(tool: &str) -> String {
    Command::new(tool)
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("{tool} (version unknown)"))
}
