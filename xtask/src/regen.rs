//! `cargo xtask regen`: regenerate every version crate from `specs/`.

use std::time::Instant;

use anyhow::{Result, bail};

#[derive(clap::Args)]
pub struct RegenArgs {
    /// Write nothing; fail, listing the paths, if the committed output is stale.
    #[arg(long)]
    check: bool,
}

pub fn run(args: RegenArgs) -> Result<()> {
    let root = crate::workspace_root();
    let started = Instant::now();
    let plan = docker_engine_api_codegen::plan(&root)?;
    let elapsed = started.elapsed();

    for v in &plan.versions {
        println!(
            "v{:<5} {:>4} operations {:>5} types {:>7} lines  {}",
            v.version,
            v.model.operations.len(),
            v.model.types.len(),
            v.lines,
            v.version.crate_name(),
        );
    }
    println!(
        "generated {} versions in {:.1} s",
        plan.versions.len(),
        elapsed.as_secs_f64()
    );

    if args.check {
        let stale = plan.differences(&root);
        if stale.is_empty() {
            println!("generated code is up to date");
            return Ok(());
        }
        for path in &stale {
            eprintln!("stale: {}", path.display());
        }
        bail!(
            "{} generated file(s) differ from what `cargo xtask regen` writes; run it and commit",
            stale.len()
        );
    }
    let changed = plan.write(&root)?;
    for path in &changed {
        println!("wrote {}", path.display());
    }
    if changed.is_empty() {
        println!("nothing changed");
    }
    Ok(())
}
