//! `cargo xtask engine`: placeholder, being written.
use anyhow::Result;

#[derive(clap::Args)]
pub struct EngineArgs {}

pub fn run(_args: EngineArgs) -> Result<()> {
    anyhow::bail!("not yet implemented")
}
