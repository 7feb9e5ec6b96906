//! `cargo xtask bench`: benchmarks of the facade next to bollard and raw
//! hyper (package `docker-engine-api-bench`, `tests/bench/`).
//!
//! Builds the bench binary in release mode, starts engine 28 unless it is
//! already running (and stops it afterwards if it started it), runs the
//! binary against it (which prints the Markdown tables), and with `--write`
//! puts the tables into the region between `<!-- bench:begin -->` and
//! `<!-- bench:end -->` of `README.md` when README.md has those markers,
//! else of `tests/bench/RESULTS.md`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::engine::{self, EngineName};

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

#[derive(clap::Args)]
pub struct Args {
    /// Fewer rounds, smaller logs and image: a smoke run of a few minutes.
    #[arg(long)]
    quick: bool,
    /// Only this scenario (repeatable): latency, layers, logs, events, image, build.
    #[arg(long, value_name = "SCENARIO")]
    only: Vec<String>,
    /// Size of the logs read back, MiB (half stdout, half stderr).
    #[arg(long, value_name = "MIB")]
    logs_mib: Option<u64>,
    /// Size of the image's data file, MiB.
    #[arg(long, value_name = "MIB")]
    image_mib: Option<u64>,
    /// Rounds of the latency scenario.
    #[arg(long)]
    rounds: Option<usize>,
    /// Write the tables into README.md (between its bench markers) or, when
    /// it has none, into tests/bench/RESULTS.md.
    #[arg(long)]
    write: bool,
    /// Leave engine 28 running afterwards even if this run started it.
    #[arg(long)]
    keep_engine: bool,
}

pub fn run(args: Args) -> Result<()> {
    let root = crate::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    // Build first: a compile error should not leave an engine started.
    println!("building the bench binary (release)");
    let status = Command::new(&cargo)
        .current_dir(&root)
        .args(["build", "--release", "-q", "-p", "docker-engine-api-bench"])
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("building docker-engine-api-bench failed ({status})");
    }
    let binary = root.join("target/release/docker-engine-api-bench");

    let was_running = engine_running(EngineName::V28);
    let infos = engine::up(&[EngineName::V28]).context("cannot start engine 28")?;
    let host = infos
        .iter()
        .find(|i| i.name == EngineName::V28)
        .map(|i| i.docker_host.clone())
        .context("engine::up did not report engine 28")?;

    let markdown_file = root.join("target/bench-results.md");
    let mut cmd = Command::new(&binary);
    cmd.current_dir(&root)
        .args(["run", "--host", &host, "--markdown"])
        .arg(&markdown_file)
        // The build scenario runs this same cargo.
        .env("CARGO", &cargo);
    if args.quick {
        cmd.arg("--quick");
    }
    for s in &args.only {
        cmd.args(["--only", s]);
    }
    for (flag, value) in [
        ("--logs-mib", args.logs_mib.map(|v| v.to_string())),
        ("--image-mib", args.image_mib.map(|v| v.to_string())),
        ("--rounds", args.rounds.map(|v| v.to_string())),
    ] {
        if let Some(v) = value {
            cmd.args([flag, &v]);
        }
    }
    let started = std::time::Instant::now();
    let status = cmd.status().context("cannot run the bench binary");
    println!(
        "bench finished in {:.1} min",
        started.elapsed().as_secs_f64() / 60.0
    );

    if !was_running && !args.keep_engine {
        engine::down(&[EngineName::V28]).context("cannot stop engine 28")?;
    }
    let status = status?;
    if !status.success() {
        bail!("the bench failed ({status})");
    }

    if args.write {
        let markdown = std::fs::read_to_string(&markdown_file)
            .with_context(|| format!("cannot read {}", markdown_file.display()))?;
        let target = write_results(&root, &markdown)?;
        println!("wrote the results into {}", target.display());
    }
    Ok(())
}

/// Whether engine 28 is recorded as running (its dockerd is alive).
fn engine_running(name: EngineName) -> bool {
    let Ok(text) = std::fs::read_to_string(engine::engines_file()) else {
        return false;
    };
    let Ok(infos) = serde_json::from_str::<Vec<engine::EngineInfo>>(&text) else {
        return false;
    };
    infos
        .iter()
        .any(|i| i.name == name && Path::new(&format!("/proc/{}", i.pid)).exists())
}

/// Replaces the marked region of README.md (if it has the markers) or of
/// tests/bench/RESULTS.md (created with the markers if needed).
fn write_results(root: &Path, markdown: &str) -> Result<PathBuf> {
    let readme = root.join("README.md");
    if let Ok(text) = std::fs::read_to_string(&readme)
        && let Some(updated) = replace_region(&text, markdown)
    {
        write_atomically(&readme, &updated)?;
        return Ok(readme);
    }
    let results = root.join("tests/bench/RESULTS.md");
    let text = std::fs::read_to_string(&results).unwrap_or_else(|_| {
        format!(
            "# Benchmark results\n\nWritten by `cargo xtask bench --write`; the region between the markers \
             is replaced on every run.\n\n{BEGIN}\n{END}\n"
        )
    });
    let updated = replace_region(&text, markdown)
        .with_context(|| format!("{} has no `{BEGIN}` … `{END}` region", results.display()))?;
    write_atomically(&results, &updated)?;
    Ok(results)
}

/// `text` with what lies between the markers replaced by `content`, or
/// `None` when the markers are missing or out of order.
fn replace_region(text: &str, content: &str) -> Option<String> {
    let begin = text.find(BEGIN)?;
    let after_begin = begin + BEGIN.len();
    let end = after_begin + text[after_begin..].find(END)?;
    Some(format!(
        "{}\n{}\n{}",
        &text[..after_begin],
        content.trim(),
        &text[end..]
    ))
}

fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("md.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_between_the_markers_is_replaced() {
        let text = format!("intro\n{BEGIN}\nold\ntable\n{END}\noutro\n");
        assert_eq!(
            replace_region(&text, "new\n").unwrap(),
            format!("intro\n{BEGIN}\nnew\n{END}\noutro\n")
        );
        assert_eq!(replace_region("no markers", "x"), None);
        assert_eq!(replace_region(&format!("{END} {BEGIN}"), "x"), None);
    }
}
