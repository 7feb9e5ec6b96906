//! `cargo xtask regen`: regenerate every version crate from `specs/`, and
//! account for every rule.

use std::time::Instant;

use anyhow::{Result, bail};
use docker_engine_api_codegen::rules::{self, RuleInfo, Target};

#[derive(clap::Args)]
pub struct RegenArgs {
    /// Write nothing; fail, printing a unified diff and listing the paths, if
    /// the committed output is stale.
    #[arg(long)]
    check: bool,
    /// After the counts, list what each rule changed in each version (or only
    /// the rule named).
    #[arg(long, value_name = "RULE", num_args = 0..=1, default_missing_value = "")]
    explain: Option<String>,
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
    println!();
    print!("{}", rule_counts(&plan));
    if let Some(only) = &args.explain {
        print!("{}", explain(&plan, only)?);
    }
    plan.check_rules()?;

    if args.check {
        let stale = plan.differences(&root);
        if stale.is_empty() {
            println!("generated code is up to date");
            return Ok(());
        }
        eprint!("{}", plan.stale_diff(&root));
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

fn target(rule: &RuleInfo) -> &'static str {
    match rule.target {
        Target::Document => "document",
        Target::Code => "code",
    }
}

/// One row per rule, one column per version: how many locations it changed.
fn rule_counts(plan: &docker_engine_api_codegen::Plan) -> String {
    let all = rules::all();
    let width = all.iter().map(|r| r.name.len()).max().unwrap_or(4);
    let mut out = format!("{:<width$}  {:<15} {:<8}", "rule", "cause", "on");
    for v in &plan.versions {
        out.push_str(&format!(" {:>5}", v.version.to_string()));
    }
    out.push('\n');
    for rule in &all {
        out.push_str(&format!(
            "{:<width$}  {:<15} {:<8}",
            rule.name,
            rule.cause.as_str(),
            target(rule)
        ));
        for v in &plan.versions {
            let n = v.model.rules.get(rule.name).map_or(0, Vec::len);
            out.push_str(&format!(" {n:>5}"));
        }
        out.push('\n');
    }
    out
}

/// Every rule (or the one named) with its reason, reference and locations.
fn explain(plan: &docker_engine_api_codegen::Plan, only: &str) -> Result<String> {
    let all = rules::all();
    let chosen: Vec<&RuleInfo> = all
        .iter()
        .filter(|r| only.is_empty() || r.name == only)
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = all.iter().map(|r| r.name).collect();
        bail!("no rule `{only}`; the rules are {}", names.join(", "));
    }
    let mut out = String::new();
    for rule in chosen {
        out.push_str(&format!(
            "\n{} ({}, {} rule)\n  why: {}\n  reference: {}\n",
            rule.name,
            rule.cause,
            target(rule),
            rule.why,
            rule.reference
        ));
        for v in &plan.versions {
            let locations = v.model.rules.get(rule.name).cloned().unwrap_or_default();
            out.push_str(&format!(
                "  v{} ({}): {}\n",
                v.version,
                locations.len(),
                locations.join(", ")
            ));
        }
    }
    Ok(out)
}
