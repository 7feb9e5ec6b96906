//! Latency and client CPU of cheap requests: `GET /_ping`, `GET /version`,
//! `GET /containers/json?all=1` with 50 containers present, and container
//! inspect; one at a time, and 32 at once.
//!
//! Each (request, concurrency, client) is one child process per round: it
//! connects, warms up (every worker sends a few requests first, so pools
//! are filled and lazy initialisation is done), then sends `requests`
//! requests and reports the median latency and its CPU time over them.

use std::time::Instant;

use anyhow::{Result, ensure};
use serde::{Deserialize, Serialize};

use crate::child::{self, Flavor, Report, Spec, Task};
use crate::client::{Client, ClientKind};
use crate::fixtures::{self, Ctx};
use crate::measure::{self, Summary};
use crate::report::{Comparison, Table};

/// Containers present for `containers/json`.
const CONTAINERS: usize = 50;
/// The label value that marks them (key `dea.bench.set`).
const SET: &str = "latency";
pub const CONCURRENT: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Ping,
    Version,
    ContainerList,
    Inspect,
}

impl Op {
    const ALL: [Op; 4] = [Op::Ping, Op::Version, Op::ContainerList, Op::Inspect];

    fn label(self) -> &'static str {
        match self {
            Op::Ping => "`GET /_ping`",
            Op::Version => "`GET /version`",
            Op::ContainerList => "`GET /containers/json?all=1` (50)",
            Op::Inspect => "`GET /containers/{id}/json`",
        }
    }

    /// Requests per measurement (sequential; ×2 with 32 at once): enough
    /// for a stable CPU figure, a second or two each on engine 28.
    fn requests(self, quick: bool) -> usize {
        let n = match self {
            Op::Ping => 2000,
            // The daemon takes ~5-7 ms per /version.
            Op::Version => 120,
            Op::ContainerList => 240,
            Op::Inspect => 600,
        };
        if quick { n / 4 } else { n }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    pub op: Op,
    pub concurrency: usize,
    pub requests: usize,
    pub warmup: usize,
    /// The container to inspect.
    pub container: String,
}

/// In the child.
pub async fn measure(client: Client, job: Job) -> Result<Report> {
    let mut workers = Vec::new();
    for _ in 0..job.concurrency {
        workers.push(client.worker().await?);
    }
    drop(client);
    // Warm-up, concurrently, so that a pooled client opens `concurrency`
    // connections before the clock starts.
    let warm = workers.into_iter().map(|mut w| {
        let job = job.clone();
        tokio::spawn(async move {
            for _ in 0..job.warmup {
                one(&mut w, &job).await?;
            }
            anyhow::Ok(w)
        })
    });
    let mut workers = Vec::new();
    for w in futures_util::future::join_all(warm).await {
        workers.push(w??);
    }

    let per_worker = job.requests / job.concurrency;
    let (cpu0, t0) = (measure::cpu_self(), Instant::now());
    let tasks = workers.into_iter().map(|mut w| {
        let job = job.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_worker);
            for _ in 0..per_worker {
                let start = Instant::now();
                one(&mut w, &job).await?;
                latencies.push(measure::micros(start.elapsed()));
            }
            anyhow::Ok(latencies)
        })
    });
    let mut latencies = Vec::with_capacity(job.requests);
    for l in futures_util::future::join_all(tasks).await {
        latencies.extend(l??);
    }
    let mut report = child::finished(cpu0, t0, latencies.len() as u64);
    report.median_latency_us = measure::median(&mut latencies);
    Ok(report)
}

/// One request, checked.
async fn one(client: &mut Client, job: &Job) -> Result<()> {
    match job.op {
        Op::Ping => client.ping().await,
        Op::Version => {
            let v = client.version().await?;
            ensure!(v == "1.51", "/version says ApiVersion {v}, expected 1.51");
            Ok(())
        }
        Op::ContainerList => {
            let n = client.list_containers("dea.bench.set", SET).await?;
            ensure!(
                n == CONTAINERS,
                "containers/json lists {n} bench containers, expected {CONTAINERS}"
            );
            Ok(())
        }
        Op::Inspect => {
            let id = client.inspect(&job.container).await?;
            ensure!(id == job.container, "inspect answered {id}");
            Ok(())
        }
    }
}

/// In the parent.
pub fn run(ctx: &Ctx) -> Result<Vec<Table>> {
    let ids = fixtures::create_containers(ctx, CONTAINERS, SET, &["true"])?;
    let rounds = ctx.settings.rounds;
    // [op][mode][client] → per-round medians and CPU per request.
    let mut latency = vec![vec![vec![Vec::new(); 4]; 2]; Op::ALL.len()];
    let mut cpu = latency.clone();
    for round in 0..rounds {
        eprintln!("latency: round {}/{rounds}", round + 1);
        for (o, op) in Op::ALL.into_iter().enumerate() {
            for (m, concurrency) in [1, CONCURRENT].into_iter().enumerate() {
                for kind in ClientKind::order_with_fair_floor(round) {
                    let requests = op.requests(ctx.settings.quick) * if m == 0 { 1 } else { 2 };
                    let job = Job {
                        op,
                        concurrency,
                        requests: requests / concurrency * concurrency,
                        warmup: if m == 0 { 20 } else { 2 },
                        container: ids[0].clone(),
                    };
                    let out = child::run(&Spec {
                        socket: ctx.socket.clone(),
                        client: kind,
                        flavor: Flavor::CurrentThread,
                        task: Task::Latency(job),
                    })?;
                    let k = kind as usize;
                    latency[o][m][k].push(out.report.median_latency_us);
                    cpu[o][m][k].push(out.report.cpu_s * 1e6 / out.report.count as f64);
                }
            }
        }
    }
    fixtures::remove_containers(ctx, &ids)?;

    let mut tables = Vec::new();
    for (m, title) in [
        (0, "Requests one at a time"),
        (1, "32 requests at once (32 workers)"),
    ] {
        let mut table = Comparison::with_fair_floor(
            title,
            "per request, µs: median latency, then client CPU (user+sys of the client process / requests). \
             The fair floor decodes the same generated types as ours; `/_ping` has no JSON, so there both \
             floors do the same.",
        );
        for (o, op) in Op::ALL.into_iter().enumerate() {
            table.row_with_fair_floor(
                &format!("{} latency", op.label()),
                with_fair_floor(&latency[o][m]),
            );
            table.row_with_fair_floor(&format!("{} CPU", op.label()), with_fair_floor(&cpu[o][m]));
        }
        tables.push(table.into_table());
    }
    Ok(tables)
}

/// Ours, bollard, raw hyper (indexed by `ClientKind as usize`).
pub fn summaries(per_client: &[Vec<f64>]) -> [Option<Summary>; 3] {
    [ClientKind::Ours, ClientKind::Bollard, ClientKind::Raw]
        .map(|k| per_client.get(k as usize).and_then(|v| Summary::of(v)))
}

/// Ours, bollard, the fair floor, raw hyper.
fn with_fair_floor(per_client: &[Vec<f64>]) -> [Option<Summary>; 4] {
    ClientKind::WITH_FAIR_FLOOR.map(|k| per_client.get(k as usize).and_then(|v| Summary::of(v)))
}
