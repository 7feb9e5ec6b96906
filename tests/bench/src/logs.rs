//! Logs throughput: a container writes `--logs-mib` MiB, half to stdout and
//! half to stderr, in 1 KiB lines (1023 bytes + newline; the json-file
//! driver stores, and `logs` sends, one frame per line); each client then
//! reads it back with `logs` (not following: the container has exited) and
//! must count exactly the bytes written on each stream.
//!
//! On 2 cores the runtime flavor matters, so every client is measured on a
//! current-thread runtime, on a multi-thread one reading in `block_on` (as a
//! `#[tokio::main]` function does), and on a multi-thread one reading in a
//! spawned task. What the second costs is the hand-off: the connection's
//! task runs on a worker, the reader on the runtime's own thread, and every
//! chunk of the body (one per log line: the daemon writes one HTTP chunk per
//! frame) wakes the other thread (futex and eventfd writes; `strace -c`
//! counted ~330 000 futex calls for 128 MiB). A reader on a worker sits
//! beside the connection's task, and the wake-ups stay on one thread.

use std::time::Instant;

use anyhow::Result;

use crate::child::{self, Flavor, Spec, Task};
use crate::client::ClientKind;
use crate::fixtures::{self, Ctx};
use crate::latency::summaries;
use crate::measure;
use crate::report::{Comparison, Table, num};

const LINE: usize = 1024;

pub fn run(ctx: &Ctx) -> Result<Vec<Table>> {
    let total = ctx.settings.logs_mib << 20;
    let half = total / 2; // a multiple of LINE: whole lines on each stream
    let line: String = (0..LINE - 1)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let t0 = Instant::now();
    // `yes` repeats the line; `head -c` cuts each stream at exactly `half`.
    let script = r#"yes "$0" | head -c "$1" & yes "$0" | head -c "$1" >&2; wait"#;
    let half_arg = half.to_string();
    let id = fixtures::run_to_completion(ctx, "logs", &["sh", "-c", script, &line, &half_arg])?;
    let write_s = t0.elapsed().as_secs_f64();
    eprintln!(
        "logs: the container wrote {} MiB of logs in {write_s:.1} s",
        ctx.settings.logs_mib
    );

    let mut tables = Vec::new();
    let mut baselines = Vec::new();
    for flavor in [
        Flavor::CurrentThread,
        Flavor::MultiThread,
        Flavor::MultiThreadSpawned,
    ] {
        let idle = child::run(&Spec {
            socket: ctx.socket.clone(),
            client: ClientKind::Raw,
            flavor,
            task: Task::Idle,
        })?;
        baselines.push(format!(
            "{} {:.1} MiB",
            flavor.label(),
            idle.max_rss_kib as f64 / 1024.0
        ));
        let runtime = match flavor {
            Flavor::MultiThreadSpawned => {
                "multi-thread runtime, read in a spawned task".to_string()
            }
            other => format!("{} runtime", other.label()),
        };
        let mut mbs = vec![Vec::new(); 3];
        let mut cpu = vec![Vec::new(); 3];
        let mut rss = vec![Vec::new(); 3];
        let rounds = ctx.settings.logs_rounds;
        for round in 0..rounds {
            for kind in ClientKind::order(round) {
                eprintln!("logs: {runtime}, round {}/{rounds}, {kind}", round + 1);
                let out = child::run(&Spec {
                    socket: ctx.socket.clone(),
                    client: kind,
                    flavor,
                    task: Task::Logs {
                        container: id.clone(),
                        stdout: half,
                        stderr: half,
                    },
                })?;
                let r = &out.report;
                let k = kind as usize;
                mbs[k].push(measure::mb_per_s(r.count, r.wall_s));
                cpu[k].push(r.cpu_s / (r.count as f64 / (1u64 << 30) as f64));
                rss[k].push(out.max_rss_kib as f64 / 1024.0);
                eprintln!(
                    "  {:.1} MB/s, {:.1} s CPU, {:.1} MiB peak RSS",
                    mbs[k].last().unwrap(),
                    r.cpu_s,
                    rss[k].last().unwrap()
                );
            }
        }
        let headline = if flavor == Flavor::CurrentThread {
            " (headline)"
        } else {
            ""
        };
        let mut table = Comparison::new(
            &format!(
                "`logs` of {} MiB (stdout + stderr, 1 KiB lines), {runtime}{headline}",
                ctx.settings.logs_mib,
            ),
            "",
        );
        table.row("throughput, MB/s (higher is better)", summaries(&mbs));
        table.row("client CPU, s per GiB", summaries(&cpu));
        table.row("peak RSS, MiB", summaries(&rss));
        tables.push(table.into_table());
    }
    if let Some(first) = tables.first_mut() {
        first.note = format!(
            "Each client counts stdout and stderr bytes separately and must find exactly what was written. \
             Peak RSS is the whole child process; an idle one (binary + runtime) peaks at {}. \
             Writing the log took the daemon {} s.",
            baselines.join(", "),
            num(write_s)
        );
    }
    fixtures::remove_containers(ctx, &[id])?;
    Ok(tables)
}
