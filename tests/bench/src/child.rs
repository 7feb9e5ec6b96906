//! Every measurement runs in a child process (this binary re-executed with
//! the hidden `child` subcommand): its peak RSS and CPU are then one client's
//! alone (`wait4`), no client inherits another's heap or warmed-up
//! allocator, and the runtime flavor is chosen per measurement.
//!
//! Protocol: the parent passes a JSON [`Spec`]; the child may print `ready`
//! (the events scenario waits for it), then prints one `report {json}` line.
//! Errors go to stderr and a non-zero exit, which fails the run.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::client::{Client, ClientKind};
use crate::measure::{self, Exited};

/// The tokio runtime a child measures on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flavor {
    CurrentThread,
    /// The measured part runs in `block_on`, as in a `#[tokio::main]`
    /// function: on the runtime's own thread, not a worker.
    MultiThread,
    /// The measured part runs in a task spawned on the multi-thread runtime:
    /// on a worker, beside the connection's task.
    MultiThreadSpawned,
}

impl Flavor {
    pub fn label(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current-thread",
            Flavor::MultiThread => "multi-thread",
            Flavor::MultiThreadSpawned => "multi-thread, read in a spawned task",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Spec {
    pub socket: PathBuf,
    pub client: ClientKind,
    pub flavor: Flavor,
    pub task: Task,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Task {
    /// Nothing: the RSS of the binary and a runtime (the baseline of the others).
    Idle,
    Latency(crate::latency::Job),
    Logs {
        container: String,
        stdout: u64,
        stderr: u64,
    },
    Events(crate::events::Job),
    Export {
        image: String,
        bytes: u64,
    },
    Load {
        path: PathBuf,
        image: String,
        /// See `Client::load`.
        ours_chunk: Option<usize>,
    },
}

/// What a child measured itself (around the measured part only: process
/// start, connecting and warm-up are excluded).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Report {
    pub wall_s: f64,
    pub cpu_s: f64,
    /// Requests, events or bytes, depending on the task.
    pub count: u64,
    pub median_latency_us: f64,
    /// Events: when the last expected event arrived (unix ns).
    pub last_event_unix_ns: i64,
    /// `VmHWM`: the peak RSS of this process's own address space, in KiB.
    pub peak_rss_kib: u64,
}

/// A finished child: its report, with its peak RSS.
///
/// Peak RSS comes from the child's own `VmHWM`, not from `wait4`'s
/// `ru_maxrss`: Linux carries the high-water mark of the address space a
/// process had before `execve` over into `ru_maxrss`, and a child spawned
/// with `posix_spawn` (vfork) or fork starts with the parent's, so
/// `ru_maxrss` can never be below the parent's own peak (it read 7.31 MiB for
/// every client in a first run, the parent's figure).
pub struct Outcome {
    pub report: Report,
    pub max_rss_kib: u64,
}

pub struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
    what: String,
}

pub fn spawn(spec: &Spec) -> Result<Running> {
    let exe = std::env::current_exe()?;
    let what = format!(
        "{} {:?} ({})",
        spec.client,
        spec.task_name(),
        spec.flavor.label()
    );
    let mut child = Command::new(exe)
        .arg("child")
        .arg(serde_json::to_string(spec)?)
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start the child for {what}"))?;
    let stdout = BufReader::new(child.stdout.take().expect("piped"));
    Ok(Running {
        child,
        stdout,
        what,
    })
}

impl Running {
    /// The next line the child prints (`ready`).
    pub fn read_line(&mut self) -> Result<String> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            bail!("{}: the child exited early", self.what);
        }
        Ok(line.trim_end().to_string())
    }

    pub fn finish(mut self) -> Result<Outcome> {
        let mut report = None;
        loop {
            let mut line = String::new();
            if self.stdout.read_line(&mut line)? == 0 {
                break;
            }
            if let Some(json) = line.trim_end().strip_prefix("report ") {
                report = Some(serde_json::from_str::<Report>(json)?);
            }
        }
        let Exited { success, code, .. } = measure::wait4(self.child.id())?;
        if !success {
            bail!("{} failed ({code}); see its error above", self.what);
        }
        let report = report.with_context(|| format!("{}: no report", self.what))?;
        Ok(Outcome {
            max_rss_kib: report.peak_rss_kib,
            report,
        })
    }
}

pub fn run(spec: &Spec) -> Result<Outcome> {
    spawn(spec)?.finish()
}

impl Spec {
    fn task_name(&self) -> String {
        match &self.task {
            Task::Idle => "idle".into(),
            Task::Latency(job) => format!("{:?} x{}", job.op, job.concurrency),
            Task::Logs { .. } => "logs".into(),
            Task::Events(_) => "events".into(),
            Task::Export { .. } => "image export".into(),
            Task::Load { .. } => "image load".into(),
        }
    }
}

/// The `child` subcommand.
pub fn main(spec_json: &str) -> Result<()> {
    let spec: Spec = serde_json::from_str(spec_json)?;
    let runtime = match spec.flavor {
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        Flavor::MultiThread | Flavor::MultiThreadSpawned => {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
        }
    };
    let mut report = if spec.flavor == Flavor::MultiThreadSpawned {
        runtime.block_on(async { tokio::spawn(run_task(spec)).await? })?
    } else {
        runtime.block_on(run_task(spec))?
    };
    report.peak_rss_kib = measure::peak_rss_kib()?;
    println!("report {}", serde_json::to_string(&report)?);
    Ok(())
}

async fn run_task(spec: Spec) -> Result<Report> {
    if let Task::Idle = spec.task {
        return Ok(Report::default());
    }
    let mut client = Client::connect(spec.client, &spec.socket).await?;
    match spec.task {
        Task::Idle => unreachable!(),
        Task::Latency(job) => crate::latency::measure(client, job).await,
        Task::Events(job) => crate::events::listen(client, job).await,
        Task::Logs {
            container,
            stdout,
            stderr,
        } => {
            let (cpu0, t0) = (measure::cpu_self(), Instant::now());
            let (out, err) = client.logs(&container).await?;
            let report = finished(cpu0, t0, out + err);
            if (out, err) != (stdout, stderr) {
                bail!(
                    "{}: logs gave {out} stdout + {err} stderr bytes, the container wrote {stdout} + {stderr}",
                    spec.client
                );
            }
            Ok(report)
        }
        Task::Export { image, bytes } => {
            let (cpu0, t0) = (measure::cpu_self(), Instant::now());
            let n = client.export(&image).await?;
            let report = finished(cpu0, t0, n);
            if n != bytes {
                bail!(
                    "{}: export of {image} gave {n} bytes, expected {bytes}",
                    spec.client
                );
            }
            Ok(report)
        }
        Task::Load {
            path,
            image,
            ours_chunk,
        } => {
            let size = std::fs::metadata(&path)?.len();
            let (cpu0, t0) = (measure::cpu_self(), Instant::now());
            let messages = client.load(&path, ours_chunk).await?;
            let report = finished(cpu0, t0, size);
            let expected = format!("Loaded image: {image}");
            if !messages.iter().any(|m| m.trim() == expected) {
                bail!(
                    "{}: load did not say `{expected}`: {messages:?}",
                    spec.client
                );
            }
            Ok(report)
        }
    }
}

pub fn finished(cpu0: f64, t0: Instant, count: u64) -> Report {
    Report {
        wall_s: t0.elapsed().as_secs_f64(),
        cpu_s: measure::cpu_self() - cpu0,
        count,
        ..Report::default()
    }
}

pub fn unix_ns(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_nanos() as i64
}
