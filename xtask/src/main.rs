//! `cargo xtask`: the project's maintenance commands (rust-analyzer's
//! convention: a workspace binary, run through the alias in `.cargo/config.toml`).

mod engine;
mod regen;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Maintenance commands of the docker-engine-api workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate every version crate (and the version tables) from specs/.
    Regen(regen::RegenArgs),
    /// Start, stop or show the real Docker engines the integration tests use.
    Engine(engine::EngineArgs),
}

fn main() {
    let cli = Cli::parse();
    let result: Result<()> = match cli.command {
        Command::Regen(args) => regen::run(args),
        Command::Engine(args) => engine::run(args),
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
