//! Processes of an engine: starting daemons that outlive the xtask, finding out
//! whether a recorded pid is still ours, stopping them, and cleaning what a killed
//! daemon leaves behind (container shims, mounts).

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

pub fn require_root() -> Result<()> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        bail!(
            "`cargo xtask engine` must run as root: dockerd and containerd need root \
             (mounts, namespaces, cgroups)"
        );
    }
    Ok(())
}

/// Holds an exclusive lock on `path` (created if needed) until dropped, so that two
/// xtask runs do not start the same engine twice or race on engines.json.
pub struct Lock(#[allow(dead_code)] File);

pub fn lock(path: &Path) -> Result<Lock> {
    use std::os::fd::AsRawFd;
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    // SAFETY: a valid open descriptor; flock blocks until the lock is ours.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("cannot lock {}", path.display()));
    }
    Ok(Lock(file))
}

/// Starts `cmd` as a daemon: its own session (no controlling terminal, no signal
/// from a Ctrl-C aimed at the xtask), stdin from /dev/null, stdout and stderr
/// appended to `log`, and no other inherited descriptor. It keeps running after
/// the xtask exits.
///
/// The returned `Child` lets the caller notice an early exit while waiting for
/// the daemon to become ready; dropping it leaves the daemon running.
pub fn spawn_daemon(cmd: &mut Command, log: &Path) -> Result<Child> {
    let out = File::options()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open log {}", log.display()))?;
    let err = out.try_clone()?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    // SAFETY: setsid and close_range are async-signal-safe system calls, as
    // required between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            // A daemon must not hold the pipes of whoever ran the xtask (cargo,
            // CI's log capture) beyond stdio: the caller would wait for an end of
            // output that never comes. Best effort: kernels before 5.11 lack it.
            libc::close_range(3, u32::MAX, libc::CLOSE_RANGE_CLOEXEC as libc::c_int);
            Ok(())
        });
    }
    cmd.spawn()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))
}

/// Whether `pid` is a live process (a zombie is dead: it is reaped here when it
/// is our own child, as after `up` and `down` in one process).
pub fn is_alive(pid: u32) -> bool {
    let Ok(pid_t) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: WNOHANG never blocks; it fails with ECHILD for a pid not our child.
    unsafe { libc::waitpid(pid_t, std::ptr::null_mut(), libc::WNOHANG) };
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name, which may hold spaces.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// The command line of `pid`, its arguments separated by spaces.
fn cmdline(pid: u32) -> Option<String> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(String::from_utf8_lossy(&raw).replace('\0', " "))
}

/// Whether `pid` is alive and is the daemon we started: its command line names
/// `marker` (a path unique to the engine). A recorded pid that the system has
/// since given to another process is never signalled.
pub fn is_ours(pid: u32, marker: &Path) -> bool {
    is_alive(pid) && cmdline(pid).is_some_and(|c| c.contains(&*marker.to_string_lossy()))
}

fn signal(pid: u32, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(pid, sig) };
    }
}

/// SIGTERM, then SIGKILL if `pid` has not exited within `grace`.
/// Returns false if it had to be killed.
pub fn stop(pid: u32, grace: Duration) -> bool {
    signal(pid, libc::SIGTERM);
    if wait_exit(pid, grace) {
        return true;
    }
    signal(pid, libc::SIGKILL);
    wait_exit(pid, Duration::from_secs(5));
    false
}

fn wait_exit(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if !is_alive(pid) {
            return true;
        }
        sleep(Duration::from_millis(100));
    }
    !is_alive(pid)
}

/// Kills leftover container monitors — the processes `is_leftover` picks by
/// their command line (the container shims of one containerd, the `conmon`s
/// and `podman container cleanup`s of one podman) — and the containers they
/// run. Monitors are designed to outlive their daemon: they only remain after
/// a daemon had to be killed (or, for podman, while a container's cleanup
/// still runs), and would keep containers running with nobody to stop them.
/// Gives them `grace` to exit by themselves first. Returns how many were killed.
pub fn kill_leftovers(is_leftover: impl Fn(&str) -> bool, grace: Duration) -> usize {
    let find = || -> Vec<ProcessEntry> {
        all_processes()
            .into_iter()
            .filter(|p| is_leftover(&p.cmdline))
            .collect()
    };
    let deadline = Instant::now() + grace;
    let mut leftovers = find();
    while !leftovers.is_empty() && Instant::now() < deadline {
        sleep(Duration::from_millis(100));
        leftovers = find();
    }
    let processes = all_processes();
    for monitor in &leftovers {
        // A container's first process is a child of its monitor; killing it
        // ends the container's whole pid namespace.
        for child in processes.iter().filter(|p| p.ppid == monitor.pid) {
            signal(child.pid, libc::SIGKILL);
        }
        signal(monitor.pid, libc::SIGKILL);
    }
    leftovers.len()
}

/// Whether a process runs whose command line `matches`.
pub fn any(matches: impl Fn(&str) -> bool) -> bool {
    all_processes().iter().any(|p| matches(&p.cmdline))
}

/// Whether `cmdline` (arguments separated by spaces, with a trailing space)
/// runs `program` (its first argument's file name) and mentions `marker`.
pub fn runs_program_with(cmdline: &str, program: &str, marker: &str) -> bool {
    let first = cmdline.split(' ').next().unwrap_or_default();
    Path::new(first).file_name().is_some_and(|f| f == program) && cmdline.contains(marker)
}

struct ProcessEntry {
    pid: u32,
    ppid: u32,
    /// Arguments separated by spaces, with a trailing space.
    cmdline: String,
}

fn all_processes() -> Vec<ProcessEntry> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (_, rest) = stat.rsplit_once(") ")?;
            let ppid = rest.split(' ').nth(1)?.parse().ok()?;
            Some(ProcessEntry {
                pid,
                ppid,
                cmdline: cmdline(pid)?,
            })
        })
        .collect()
}

/// Lazily unmounts everything mounted at or below `dir` (deepest first). dockerd
/// mounts its data root onto itself and network namespaces under its exec root;
/// it removes them when it stops cleanly, but not when it is killed.
pub fn unmount_below(dir: &Path) -> Result<usize> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo")?;
    let mut points: Vec<String> = mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(unescape_mount_path)
        .filter(|p| Path::new(p).starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    points.dedup();
    for point in &points {
        let c = std::ffi::CString::new(point.as_str())?;
        // SAFETY: a NUL-terminated path; MNT_DETACH never blocks.
        if unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) } != 0 {
            let err = std::io::Error::last_os_error();
            eprintln!("warning: cannot unmount {point}: {err}");
        }
    }
    Ok(points.len())
}

/// mountinfo writes space, tab, newline and backslash as octal escapes.
fn unescape_mount_path(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .and_then(|d| std::str::from_utf8(d).ok());
        if bytes[i] == b'\\'
            && let Some(v) = octal.and_then(|d| u8::from_str_radix(d, 8).ok())
        {
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub enum Failure {
    Exited(std::process::ExitStatus),
    TimedOut,
}

/// Polls `ready` until it holds; fails early if the process exits.
pub fn wait_until(
    child: &mut Child,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<(), Failure> {
    let started = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(Failure::Exited(status));
        }
        if started.elapsed() > timeout {
            return Err(Failure::TimedOut);
        }
        sleep(Duration::from_millis(200));
    }
}

/// Keeps the previous run's log as `<log>.1`, so that a start's log (and the
/// tail shown when it fails) holds only that start.
pub fn rotate_log(log: &Path) {
    let mut previous = log.as_os_str().to_owned();
    previous.push(".1");
    let _ = fs::rename(log, previous);
}

/// Lines of a daemon's log shown when it fails to start.
const LOG_TAIL_LINES: usize = 20;

/// The end of a daemon's log, headed by its path, for an error message.
pub fn log_section(log: &Path) -> String {
    format!(
        "--- last {LOG_TAIL_LINES} lines of {} ---\n{}",
        log.display(),
        log_tail(log, LOG_TAIL_LINES)
    )
}

/// The last `n` lines of a log file, for an error message.
pub fn log_tail(log: &Path, n: usize) -> String {
    match fs::read(log) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", log.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_mountinfo_paths() {
        assert_eq!(unescape_mount_path(r"/a\040b/c"), "/a b/c");
        assert_eq!(unescape_mount_path("/plain"), "/plain");
    }

    #[test]
    fn recognises_a_program_by_its_first_argument() {
        let conmon = "/usr/bin/conmon --api-version 1 -c abc --exit-dir /w/podman/state/exits ";
        assert!(runs_program_with(conmon, "conmon", "/w/podman/"));
        assert!(!runs_program_with(conmon, "conmon", "/other/podman/"));
        // Another program naming the directory (a `tail -f` of a log) is not one.
        assert!(!runs_program_with(
            "tail -f /w/podman/podman.log ",
            "conmon",
            "/w/podman/"
        ));
        assert!(runs_program_with(
            "podman --root /w/podman/storage container cleanup abc ",
            "podman",
            "--root /w/podman/storage "
        ));
    }

    #[test]
    fn own_process_is_alive_and_pid_zero_is_not_a_process() {
        assert!(is_alive(std::process::id()));
        assert!(!is_alive(u32::MAX));
    }
}
