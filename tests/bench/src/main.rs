//! Benchmarks of this project's facade next to bollard and a raw hyper
//! client (the floor), against one real engine: `cargo xtask bench` builds
//! this binary in release mode, starts engine 28 if needed and runs
//! `docker-engine-api-bench run --host unix:///…`.
//!
//! What was established on these machines (2 cores) shapes the design: the
//! daemon dominates wall time and throughput, so what separates clients is
//! the client's CPU per request (or per GiB), measured per client process;
//! timings are noisy while other builds run, so clients alternate (A B C,
//! B C A, …) over several rounds and the tables give medians and min–max.
//!
//! Scenarios, a module each: `latency`, `layers`, `logs`, `events`, `image`,
//! `build_cost`. Each measurement of a client runs in a child process
//! (`child.rs`); the clients are the three variants of `client::Client`.
//! Every measured operation is checked (byte counts, event counts, ids), and
//! a wrong answer fails the run.

mod build_cost;
mod child;
mod client;
mod events;
mod fixtures;
mod image;
mod latency;
mod layers;
mod logs;
mod measure;
mod raw;
mod report;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::report::Table;

#[derive(Parser)]
#[command(
    name = "docker-engine-api-bench",
    about = "Benchmarks: ours, bollard and raw hyper on one engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the benchmarks and print the Markdown tables.
    Run(RunArgs),
    /// One measurement, in a child process (internal).
    #[command(hide = true)]
    Child { spec: String },
}

#[derive(clap::Args)]
struct RunArgs {
    /// The engine, `unix:///path/to/docker.sock` (engine 28: API 1.51).
    #[arg(long)]
    host: String,
    /// Fewer rounds, smaller logs and image: a smoke run of a few minutes.
    #[arg(long)]
    quick: bool,
    /// Only these scenarios (repeatable).
    #[arg(long, value_enum)]
    only: Vec<Scenario>,
    /// Size of the logs read back, MiB (half stdout, half stderr).
    #[arg(long)]
    logs_mib: Option<u64>,
    /// Size of the image's data file, MiB.
    #[arg(long)]
    image_mib: Option<u64>,
    /// Rounds of the latency scenario.
    #[arg(long)]
    rounds: Option<usize>,
    /// Also write the Markdown into this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Latency,
    Layers,
    Logs,
    Events,
    Image,
    Build,
}

/// How much of everything to do.
#[derive(Clone, Debug)]
pub struct Settings {
    pub quick: bool,
    pub rounds: usize,
    pub logs_mib: u64,
    pub logs_rounds: usize,
    pub events_containers: usize,
    pub events_rounds: usize,
    pub image_mib: u64,
    pub image_rounds: usize,
    pub build_reps: usize,
    pub cold_reps: usize,
}

impl Settings {
    fn new(args: &RunArgs) -> Settings {
        let q = args.quick;
        Settings {
            quick: q,
            rounds: args.rounds.unwrap_or(if q { 2 } else { 5 }),
            logs_mib: args.logs_mib.unwrap_or(if q { 64 } else { 1024 }).max(1),
            logs_rounds: if q { 1 } else { 3 },
            events_containers: if q { 30 } else { 200 },
            events_rounds: if q { 1 } else { 3 },
            image_mib: args.image_mib.unwrap_or(if q { 32 } else { 200 }).max(1),
            image_rounds: if q { 1 } else { 3 },
            build_reps: if q { 1 } else { 3 },
            cold_reps: if q { 1 } else { 2 },
        }
    }
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Child { spec } => child::main(&spec),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: RunArgs) -> Result<()> {
    let started = Instant::now();
    let socket = PathBuf::from(
        args.host
            .strip_prefix("unix://")
            .with_context(|| format!("--host {}: expected unix:///path", args.host))?,
    );
    let settings = Settings::new(&args);
    let wanted = |s: Scenario| args.only.is_empty() || args.only.contains(&s);
    let ctx = fixtures::Ctx::new(socket, settings.clone())?;
    let engine = fixtures::engine_version(&ctx)?;
    if !engine.contains("API 1.51") {
        bail!("the bench compares clients on API 1.51 (engine 28); this daemon is {engine}");
    }
    fixtures::clean_up(&ctx)?;

    let mut tables: Vec<Table> = Vec::new();
    let outcome = (|| -> Result<()> {
        if wanted(Scenario::Latency) {
            tables.extend(latency::run(&ctx)?);
        }
        if wanted(Scenario::Layers) {
            tables.extend(layers::run(&ctx)?);
        }
        if wanted(Scenario::Logs) {
            tables.extend(logs::run(&ctx)?);
        }
        if wanted(Scenario::Events) {
            tables.extend(events::run(&ctx)?);
        }
        if wanted(Scenario::Image) {
            tables.extend(image::run(&ctx)?);
        }
        if wanted(Scenario::Build) {
            tables.extend(build_cost::run(&settings)?);
        }
        Ok(())
    })();
    // Whatever happened, leave nothing behind.
    let cleaned = fixtures::clean_up(&ctx);
    let _ = std::fs::remove_dir_all(&ctx.scratch);
    outcome?;
    cleaned?;

    let markdown = document(&settings, &engine, &tables, started.elapsed().as_secs_f64());
    println!("{markdown}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &markdown)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The results: when, on what, how, then the tables.
fn document(settings: &Settings, engine: &str, tables: &[Table], seconds: f64) -> String {
    // No heading of its own: the region sits under the README's
    // `## Benchmarks` (or RESULTS.md's title); tables are `###`.
    let mut s = String::new();
    s += &format!(
        "Measured {} with `cargo xtask bench{}` ({:.1} min), on {}; {engine}, unix socket; {}. \
         Clients: ours = the facade's typed client of the negotiated version (v1.51); bollard 0.21 \
         (`connect_with_unix` + `negotiate_version`, typed models); raw hyper = hyper 1 `http1::handshake` \
         over a `UnixStream`, one kept-alive connection per worker, reading the body and decoding only \
         minimal typed structs (the fields it checks; serde skips the rest); the fair floor (latency \
         tables) is the same raw hyper decoding the same generated v1.51 types as ours. Every measurement \
         is a child process; clients alternate over rounds; cells are `median (min–max)` over rounds, \
         ratios are of the medians (for MB/s and events/s, below 1 means slower). Runtime: tokio \
         current-thread everywhere (the headline); logs and export also on the multi-thread runtime, \
         read in `block_on` as a `#[tokio::main]` function does, and logs read in a spawned task too. Client CPU is user+sys of the client \
         process over the measured part: on 2 cores the daemon dominates wall time, and CPU is what a \
         client costs and what other load disturbs least.\n\n",
        today(),
        if settings.quick { " --quick" } else { "" },
        seconds / 60.0,
        machine(),
        build_cost::tool_version(&std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())),
    );
    for t in tables {
        s += &t.markdown();
        s += "\n";
    }
    s.trim_end().to_string() + "\n"
}

/// CPU model, cores, RAM, kernel.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let ram_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / (1024.0 * 1024.0));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}, {cores} cores, {ram_gib:.0} GiB RAM, Linux {}",
        kernel.trim()
    )
}

/// Today's date (UTC), from the system clock, without a date crate.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}")
}
