//! What a measurement reads from the kernel (CPU time, peak RSS) and how
//! repeated measurements are summarised (median and spread).

use std::time::Duration;

use anyhow::{Result, bail};

/// User + system CPU time of this process so far, in seconds.
///
/// Client CPU is the figure that separates clients on this machine: the
/// daemon dominates wall time (see the crate docs), and CPU per request is
/// much less sensitive to other load than latency.
pub fn cpu_self() -> f64 {
    // SAFETY: getrusage only writes the struct we hand it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    cpu_of(&usage)
}

pub fn cpu_of(usage: &libc::rusage) -> f64 {
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// `VmHWM` of `/proc/self/status`: this process's peak resident set size
/// since its `execve`, in KiB.
pub fn peak_rss_kib() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("/proc/self/status has no VmHWM"))
}

/// What `wait4` says about a finished child (and its waited-for descendants).
pub struct Exited {
    pub success: bool,
    pub code: String,
    /// User + system CPU of the child, in seconds.
    pub cpu_s: f64,
    /// Peak resident set size, in KiB (Linux reports `ru_maxrss` in KiB). For a
    /// process tree, the largest single process, not the sum. It includes
    /// the high-water mark the child inherited before `execve` (see
    /// `child::Outcome`): fine for rustc's hundreds of MiB, not for clients.
    pub max_rss_kib: u64,
}

/// Waits for `pid` with `wait4`, which, unlike `std::process::Child::wait`,
/// also returns that one child's resource usage: `RUSAGE_CHILDREN` would mix
/// every child reaped so far, and peak RSS does not subtract.
pub fn wait4(pid: u32) -> Result<Exited> {
    let mut status = 0;
    // SAFETY: plain syscall writing into locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
        if r == pid as libc::pid_t {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            bail!("wait4({pid}): {err}");
        }
    }
    let (success, code) = if libc::WIFEXITED(status) {
        let c = libc::WEXITSTATUS(status);
        (c == 0, format!("exit code {c}"))
    } else if libc::WIFSIGNALED(status) {
        (
            false,
            format!("killed by signal {}", libc::WTERMSIG(status)),
        )
    } else {
        (false, format!("wait status {status}"))
    };
    Ok(Exited {
        success,
        code,
        cpu_s: cpu_of(&usage),
        max_rss_kib: usage.ru_maxrss.max(0) as u64,
    })
}

/// Median and spread (min–max) of a set of measurements.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Summary {
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Some(Summary {
            median: median_sorted(&v),
            min: v[0],
            max: v[v.len() - 1],
            n: v.len(),
        })
    }
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    median_sorted(values)
}

fn median_sorted(v: &[f64]) -> f64 {
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Megabytes (10^6 bytes) per second, the unit disks and networks quote.
pub fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds
}
