//! `cargo xtask diff A B`: what changed in the generated Rust API between two
//! Engine API versions, read from the committed `api-model.json` of the two
//! crates (run `cargo xtask regen` first if the specs changed). The logic and
//! the JSON schema are in `docker_engine_api_codegen::diff`.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use docker_engine_api_codegen::ApiVersion;
use docker_engine_api_codegen::diff;
use docker_engine_api_codegen::spec::discover;

#[derive(clap::Args)]
pub struct Args {
    /// One version (`1.51`); the report always goes from the older of the two
    /// to the newer, whatever the order given.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    a: Option<ApiVersion>,
    /// The other version (`1.52`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    b: Option<ApiVersion>,
    /// Report every consecutive pair of the versions in specs/.
    #[arg(long)]
    all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    format: Format,
    /// Print the time taken (to stderr).
    #[arg(long)]
    time: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Markdown,
    /// One report object (`--all`: an array of them); schema in the docs of
    /// `docker_engine_api_codegen::diff`.
    Json,
}

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let root = crate::workspace_root();
    let versions: Vec<ApiVersion> = discover(&root.join("specs"))?
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    let pairs: Vec<(ApiVersion, ApiVersion)> = if args.all {
        versions.windows(2).map(|w| (w[0], w[1])).collect()
    } else {
        let (Some(a), Some(b)) = (args.a, args.b) else {
            bail!("give two versions, or --all");
        };
        for v in [a, b] {
            if !versions.contains(&v) {
                let known: Vec<String> = versions.iter().map(ToString::to_string).collect();
                bail!("no spec for {v} in specs/ (known: {})", known.join(", "));
            }
        }
        vec![(a.min(b), a.max(b))]
    };

    let mut models = std::collections::BTreeMap::new();
    for v in pairs.iter().flat_map(|(a, b)| [*a, *b]) {
        if let std::collections::btree_map::Entry::Vacant(e) = models.entry(v) {
            let path = root.join(diff::model_path(v));
            let model = diff::read_model_file(&path)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("run `cargo xtask regen` to generate v{v}"))?;
            e.insert(model);
        }
    }
    let reports: Vec<diff::Report> = pairs
        .iter()
        .map(|(a, b)| diff::diff(&models[a], &models[b]))
        .collect();

    let out = match args.format {
        Format::Markdown => reports
            .iter()
            .map(diff::markdown)
            .collect::<Vec<_>>()
            .join("\n\n"),
        Format::Json if args.all => {
            let mut s = serde_json::to_string_pretty(&reports)?;
            s.push('\n');
            s
        }
        Format::Json => diff::json(&reports[0]),
    };
    print!("{out}");
    if !out.ends_with('\n') {
        println!();
    }
    if args.time {
        eprintln!(
            "diffed {} pair(s) in {:.3} s",
            reports.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
