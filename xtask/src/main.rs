//! `cargo xtask`: the project's maintenance commands (rust-analyzer's
//! convention: a workspace binary, run through the alias in `.cargo/config.toml`).

mod bench;
mod diff;
mod engine;
mod fetch;
mod regen;
mod test;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Maintenance commands of the Docker Engine API client workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Download the swagger files from upstream into specs/, verifying checksums.
    Fetch(fetch::Args),
    /// Regenerate every version crate (and the version tables) from specs/.
    Regen(regen::RegenArgs),
    /// What changed in the generated Rust API between two API versions.
    Diff(diff::Args),
    /// Start, stop or show the real Docker engines the integration tests use.
    Engine(engine::EngineArgs),
    /// Run the whole test suite against real engines (starts and stops them).
    Test(test::Args),
    /// Benchmarks: this client next to bollard and raw hyper, on one engine.
    Bench(bench::Args),
}

fn main() {
    let cli = Cli::parse();
    let result: Result<()> = match cli.command {
        Command::Fetch(args) => fetch::run(args),
        Command::Regen(args) => regen::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Engine(args) => engine::run(args),
        Command::Test(args) => test::run(args),
        Command::Bench(args) => bench::run(args),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
