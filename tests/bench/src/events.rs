//! Events throughput: the parent starts and stops N containers (4 at a
//! time) while the three clients stream `/events`; each must see `start`
//! and `die` of every one of them.
//!
//! The three listen to the *same* start/stop run, each in its own child
//! process: they get identical events under identical daemon load, which
//! alternating runs could not give, and listening costs little CPU, so they
//! hardly disturb one another. The order in which they subscribe rotates.

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::child::{self, Flavor, Report, Spec, Task};
use crate::client::{Client, ClientKind};
use crate::fixtures::{self, Ctx};
use crate::latency::summaries;
use crate::measure;
use crate::report::{Comparison, Table, num};

const SET: &str = "events";
/// Containers started (and stopped) at once by the driver.
const DRIVER_CONCURRENCY: usize = 4;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    /// `since` for `/events`: the round's start, so that an event that
    /// happens between the parent's go and the request reaching the daemon
    /// is replayed rather than lost, and none of an earlier round is.
    pub since: String,
    pub round_start_unix_ns: i64,
    pub containers: Vec<String>,
    pub timeout_s: u64,
}

/// In the child.
pub async fn listen(mut client: Client, job: Job) -> Result<Report> {
    let expected: HashSet<&str> = job.containers.iter().map(String::as_str).collect();
    let (mut started, mut died) = (HashSet::new(), HashSet::new());
    let mut count = 0u64;
    let mut last = SystemTime::now();
    let (cpu0, t0) = (measure::cpu_self(), Instant::now());
    let label = format!("{}.set={SET}", fixtures::LABEL);
    let listening = client.events(
        &job.since,
        &label,
        || {
            println!("ready");
            let _ = std::io::stdout().flush();
        },
        |e| {
            if e.time_nano < job.round_start_unix_ns {
                return false;
            }
            count += 1;
            if let Some(id) = expected.get(e.id.as_str()) {
                match e.action.as_str() {
                    "start" => {
                        started.insert(*id);
                    }
                    "die" => {
                        died.insert(*id);
                    }
                    _ => {}
                }
            }
            let done = started.len() == expected.len() && died.len() == expected.len();
            if done {
                last = SystemTime::now();
            }
            done
        },
    );
    match tokio::time::timeout(Duration::from_secs(job.timeout_s), listening).await {
        Ok(result) => result?,
        Err(_) => bail!(
            "timed out: after {count} events, start of {} and die of {} of {} containers",
            started.len(),
            died.len(),
            expected.len()
        ),
    }
    let mut report = child::finished(cpu0, t0, count);
    report.last_event_unix_ns = child::unix_ns(last);
    Ok(report)
}

/// In the parent.
pub fn run(ctx: &Ctx) -> Result<Vec<Table>> {
    let n = ctx.settings.events_containers;
    let ids = fixtures::create_containers(ctx, n, SET, &["sleep", "3600"])?;
    let rounds = ctx.settings.events_rounds;
    let mut seconds = vec![Vec::new(); 3];
    let mut rate = vec![Vec::new(); 3];
    let mut cpu = vec![Vec::new(); 3];
    let mut rss = vec![Vec::new(); 3];
    let mut driver = Vec::new();
    let mut events_seen = Vec::new();
    for round in 0..rounds {
        eprintln!("events: round {}/{rounds}, {n} containers", round + 1);
        // Events of the previous round are older than this round's start.
        std::thread::sleep(Duration::from_millis(300));
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
        let job = Job {
            since: format!("{}.{:09}", now.as_secs(), now.subsec_nanos()),
            round_start_unix_ns: now.as_nanos() as i64,
            containers: ids.clone(),
            timeout_s: 600,
        };
        let mut listeners = Vec::new();
        for kind in ClientKind::order(round) {
            let mut running = child::spawn(&Spec {
                socket: ctx.socket.clone(),
                client: kind,
                flavor: Flavor::CurrentThread,
                task: Task::Events(job.clone()),
            })?;
            let line = running.read_line()?;
            if line != "ready" {
                bail!("{kind}: expected `ready`, got `{line}`");
            }
            listeners.push((kind, running));
        }
        // bollard sends its request on its first poll, after `ready`.
        std::thread::sleep(Duration::from_millis(200));
        let driver_start = SystemTime::now();
        let t0 = Instant::now();
        ctx.rt.block_on(drive(ctx, &ids))?;
        driver.push(t0.elapsed().as_secs_f64());
        let start_ns = child::unix_ns(driver_start);
        for (kind, running) in listeners {
            let out = running.finish()?;
            let r = &out.report;
            let k = kind as usize;
            let s = (r.last_event_unix_ns - start_ns) as f64 / 1e9;
            seconds[k].push(s);
            rate[k].push(r.count as f64 / s);
            cpu[k].push(r.cpu_s * 1e6 / r.count as f64);
            rss[k].push(out.max_rss_kib as f64 / 1024.0);
            events_seen.push(r.count as f64);
        }
    }
    fixtures::remove_containers(ctx, &ids)?;

    let mut table = Comparison::new(
        &format!("Events while {n} containers are started and stopped"),
        &format!(
            "The three clients listen at once to the same run (filtered on the bench's label) and must see \
             `start` and `die` of every container; ~{} events per run. Time is from the first start request \
             to the last expected event; the starts and stops themselves took {} s (median).",
            num(measure::median(&mut events_seen)),
            num(measure::median(&mut driver))
        ),
    );
    table.row("time until all expected events, s", summaries(&seconds));
    table.row("events/s (higher is better)", summaries(&rate));
    table.row("client CPU, µs per event", summaries(&cpu));
    table.row("peak RSS, MiB", summaries(&rss));
    Ok(vec![table.into_table()])
}

/// Starts and stops every container, `DRIVER_CONCURRENCY` at a time.
async fn drive(ctx: &Ctx, ids: &[String]) -> Result<()> {
    use futures_util::{StreamExt, TryStreamExt};
    futures_util::stream::iter(ids)
        .map(|id| async move {
            fixtures::start(&ctx.api, id).await?;
            fixtures::stop(&ctx.api, id).await
        })
        .buffer_unordered(DRIVER_CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}
