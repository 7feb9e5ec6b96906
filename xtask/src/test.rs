//! `cargo xtask test`: the README's test command. Starts the engines the
//! integration tests need (`cargo xtask engine up`), runs the whole workspace
//! test suite with their sockets in `DEA_TEST_ENGINES` (and the two-node swarm
//! of `cargo xtask engine swarm up` in `DEA_TEST_SWARM`), and stops the engines
//! it started.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::engine::{self, EngineChoice, EngineName, swarm};

#[derive(clap::Args)]
pub struct Args {
    /// Which engines to test against (all: Docker 28, 26, 20 and Podman).
    #[arg(long, value_enum, default_value = "all")]
    engine: EngineChoice,
    /// Leave the engines running afterwards (the next run reuses them).
    #[arg(long)]
    keep_engines: bool,
    /// Extra arguments for `cargo test` (after `--`), e.g. a test name filter.
    #[arg(last = true)]
    cargo_args: Vec<String>,
}

pub fn run(args: Args) -> Result<()> {
    let names = args.engine.engines();
    let already_running = running_engines();
    engine::up(&names).context("cannot start the test engines")?;
    // The swarm tests' cluster, when both of its engines are tested.
    let with_swarm = [swarm::MANAGER, swarm::WORKER]
        .iter()
        .all(|n| names.contains(n));
    if with_swarm {
        swarm::up().context("cannot form the test swarm")?;
    }

    let root = crate::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("running the workspace tests against engines {names:?}");
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "test",
            // Every test binary runs, so one failure does not hide another.
            "--no-fail-fast",
            "--workspace",
            "--exclude",
            "docker-engine-api-bench",
        ])
        .args(&args.cargo_args)
        .env("DEA_TEST_ENGINES", engine::engines_file())
        .env("DEA_TEST_SWARM", swarm::swarm_file())
        .status()
        .context("cannot run cargo test")?;

    if !args.keep_engines {
        // Before the engines stop; a failure here still stops them.
        let left = if with_swarm {
            swarm::down().context("cannot remove the test swarm")
        } else {
            Ok(())
        };
        let started: Vec<EngineName> = names
            .into_iter()
            .filter(|n| !already_running.contains(n))
            .collect();
        if !started.is_empty() {
            engine::down(&started).context("cannot stop the test engines")?;
        }
        left?;
    }
    if !status.success() {
        bail!("the tests failed ({status})");
    }
    Ok(())
}

/// Engines recorded in `engines.json` whose dockerd is still alive.
fn running_engines() -> Vec<EngineName> {
    let Ok(text) = std::fs::read_to_string(engine::engines_file()) else {
        return Vec::new();
    };
    let Ok(infos) = serde_json::from_str::<Vec<engine::EngineInfo>>(&text) else {
        return Vec::new();
    };
    infos
        .into_iter()
        .filter(|i| std::path::Path::new(&format!("/proc/{}", i.pid)).exists())
        .map(|i| i.name)
        .collect()
}
