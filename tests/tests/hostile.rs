//! The facade and `dea` against daemons that misbehave on purpose: fake
//! daemons started by each test (these are about our own HTTP plumbing, on
//! a unix socket and on 127.0.0.1), answering what no real daemon answers:
//! redirects to another host, 10 MB error messages, a 100 MiB frame, output
//! faster than its reader, nothing at all.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use docker_engine_api_tests::fake_daemon::{FakeDaemon, Reply, Request, Step, frame, frame_header};
use docker_engine_client::{
    ByteStreamExt, Config, Docker, ErrorKind, ExecStartOptions, IdleTimeoutExt, LogOutput,
    RegistryAuth, ResponseExt, v1_51,
};
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::Notify;

/// The API version the fake daemons serve at most.
const API: &str = "1.51";
const SECRET: &str = "s3cr3t-pw";

/// Answers `/_ping` like a daemon of API 1.51, the rest as `rest` says.
fn daemon(
    rest: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |r| {
        if r.path() == "/_ping" {
            Reply::ping(API)
        } else {
            rest(r)
        }
    }
}

/// `dea` (the CLI of `crates/dea`, built by this package) against `host`, with
/// nothing from this process's Docker environment.
fn dea(host: &str, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_dea"));
    command
        .args(args)
        .env("DOCKER_HOST", host)
        .env("DOCKER_CONFIG", "/nonexistent/dea-hostile")
        .env_remove("DOCKER_API_VERSION")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_CLIENT_TIMEOUT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// `dea`'s exit code, stdout and stderr; fails the test after `limit`.
async fn dea_output(
    mut command: tokio::process::Command,
    limit: Duration,
) -> (i32, String, String) {
    let child = command.spawn().unwrap();
    let out = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("dea did not end within {limit:?}"))
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Peak resident memory (KiB, `VmHWM`) and thread count of a process.
fn memory_and_threads(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
    };
    Some((field("VmHWM:")?, field("Threads:")?))
}

/// Samples a process every 20 ms; the largest values seen.
fn watch(pid: u32) -> (tokio::task::JoinHandle<()>, Arc<[AtomicUsize; 2]>) {
    let peaks: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let task = {
        let peaks = Arc::clone(&peaks);
        tokio::spawn(async move {
            while let Some((rss, threads)) = memory_and_threads(pid) {
                peaks[0].fetch_max(rss as usize, Ordering::Relaxed);
                peaks[1].fetch_max(threads as usize, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    (task, peaks)
}

/// A cheap deterministic sequence, for frame sizes.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Frames of numbered lines: `out 0000001` … on stdout, and now and then a
/// frame of `err 0000001` … on stderr; frames of one line to ~140 KiB.
struct NumberedFrames {
    out: u64,
    err: u64,
    lines: u64,
    sizes: Lcg,
}

impl NumberedFrames {
    /// `lines` stdout lines, the same frames every time.
    fn new(lines: u64) -> Self {
        Self {
            out: 0,
            err: 0,
            lines,
            sizes: Lcg(12),
        }
    }
}

impl Iterator for NumberedFrames {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        if self.out == self.lines {
            return None;
        }
        let (stream, counter, tag, most) = if self.sizes.below(8) == 0 {
            (2, &mut self.err, "err", 50)
        } else {
            (1, &mut self.out, "out", 12_000)
        };
        let mut n = 1 + self.sizes.below(most);
        if stream == 1 {
            n = n.min(self.lines - *counter);
        }
        let mut payload = String::with_capacity(12 * n as usize);
        for _ in 0..n {
            *counter += 1;
            payload.push_str(&format!("{tag} {:07}\n", *counter));
        }
        Some(Step::Send(frame(stream, payload.as_bytes())))
    }
}

/// Checks numbered lines as they come: each the next number, none missing.
struct LineCheck {
    tag: &'static str,
    next: u64,
    partial: Vec<u8>,
}

impl LineCheck {
    fn new(tag: &'static str) -> Self {
        Self {
            tag,
            next: 1,
            partial: Vec::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
        let complete = match self.partial.iter().rposition(|b| *b == b'\n') {
            Some(i) => i + 1,
            None => return,
        };
        for line in self.partial[..complete].split(|b| *b == b'\n') {
            if line.is_empty() {
                continue;
            }
            let expected = format!("{} {:07}", self.tag, self.next);
            assert_eq!(
                String::from_utf8_lossy(line),
                expected,
                "{} output out of order or incomplete",
                self.tag
            );
            self.next += 1;
        }
        self.partial.drain(..complete);
    }
}

async fn read_all(mut from: impl AsyncRead + Unpin, mut sink: impl FnMut(&[u8])) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf).await.unwrap() {
            0 => return,
            n => sink(&buf[..n]),
        }
    }
}

// 1. `dea` output: complete, in order, through a slow pipe, in flat memory.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dea_logs_through_a_slow_pipe_are_complete_in_order_and_flat() {
    const LINES: u64 = 1_500_000; // 18 MB of stdout, ~1 MB of stderr
    let hold = Arc::new(Notify::new());
    let daemon = FakeDaemon::unix({
        let hold = Arc::clone(&hold);
        daemon(move |r| {
            assert!(r.path().ends_with("/containers/c1/logs"), "{}", r.target);
            let frames = NumberedFrames::new(LINES);
            // The stream stays open until the test has measured.
            Reply::output(frames.chain([Step::Until(Arc::clone(&hold))]))
        })
    })
    .await;
    let mut child = dea(&daemon.docker_host, &["logs", "c1"]).spawn().unwrap();
    let pid = child.id().unwrap();
    let (sampler, peaks) = watch(pid);
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let errors = tokio::spawn(async move {
        let mut check = LineCheck::new("err");
        read_all(stderr, |bytes| check.feed(bytes)).await;
        check.next - 1
    });

    // The slow reader: 8 KiB at a time, a pause after each.
    let mut check = LineCheck::new("out");
    let started = Instant::now();
    let mut stdout = stdout;
    let mut buf = vec![0u8; 8 * 1024];
    while check.next <= LINES {
        let n = stdout.read(&mut buf).await.unwrap();
        assert!(n > 0, "stdout ended after {} lines", check.next - 1);
        check.feed(&buf[..n]);
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    let (rss, threads) = memory_and_threads(pid).expect("dea still runs");
    let (rss, threads) = (
        rss.max(peaks[0].load(Ordering::Relaxed) as u64),
        threads.max(peaks[1].load(Ordering::Relaxed) as u64),
    );
    hold.notify_one();
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("dea ends with the stream")
        .unwrap();
    sampler.abort();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).await.unwrap();
    let err_lines = errors.await.unwrap();
    eprintln!(
        "{LINES} lines through a slow pipe in {:?}: peak RSS {} KiB, {threads} threads, {err_lines} stderr lines",
        started.elapsed(),
        rss
    );
    assert_eq!(status.code(), Some(0));
    assert!(rest.is_empty(), "nothing after the last line");
    let mut sent = NumberedFrames::new(LINES);
    sent.by_ref().for_each(drop);
    assert!(sent.err > 100);
    assert_eq!(err_lines, sent.err, "every stderr line came through");
    assert!(
        rss < 40 * 1024,
        "peak RSS {rss} KiB: output is buffered without bound"
    );
    assert!(threads <= 8, "{threads} threads: one writer per chunk?");
}

// 1. A broken pipe ends `dea` quietly, with 141 as a shell reports for
// `docker ps | head -1`.

#[tokio::test]
async fn dea_into_head_exits_quietly_when_the_pipe_closes() {
    let containers: Vec<serde_json::Value> = (0..20_000)
        .map(|i| {
            serde_json::json!({
                "Id": format!("{i:064x}"),
                "Names": [format!("/c{i}")],
                "Image": "dea-busybox:latest",
                "Status": "Up 2 hours",
            })
        })
        .collect();
    let list = serde_json::to_string(&containers).unwrap();
    let daemon = FakeDaemon::unix(daemon(move |r| {
        if r.path().ends_with("/containers/json") {
            Reply::json(200, list.clone())
        } else {
            // `logs`: output without end.
            let line = frame(1, b"a line of output that never ends\n");
            Reply::output(std::iter::repeat_with(move || Step::Send(line.clone())))
        }
    }))
    .await;

    for args in [&["ps"][..], &["logs", "c1"]] {
        let mut child = dea(&daemon.docker_host, args).spawn().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = vec![0u8; 1];
        let mut line = Vec::new();
        while !line.ends_with(b"\n") {
            stdout.read_exact(&mut first).await.unwrap();
            line.push(first[0]);
        }
        drop(stdout); // `head -1` is done
        let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .unwrap_or_else(|_| panic!("dea {args:?} goes on writing into a closed pipe"))
            .unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .await
            .unwrap();
        assert_eq!(status.code(), Some(141), "dea {args:?}: {stderr}");
        assert_eq!(stderr, "", "dea {args:?} ends quietly");
    }
}

// 2. No redirect is followed; nothing, `X-Registry-Auth` least of all,
// reaches the other host.

#[tokio::test]
async fn redirects_are_errors_and_nothing_reaches_the_other_host() {
    let other = FakeDaemon::tcp(daemon(|_| Reply::json(200, "[]"))).await;
    let elsewhere = other.docker_host.replace("tcp://", "http://");
    for on_unix in [false, true] {
        let to = elsewhere.clone();
        let redirecting = move |r: &Request| -> Reply {
            let location = format!("{to}{}", r.target);
            match r.path() {
                p if p.ends_with("/containers/json") => Reply::redirect(301, &location),
                p if p.ends_with("/images/create") => Reply::redirect(307, &location),
                p if p.ends_with("/start") => Reply::redirect(308, &location),
                p if p.ends_with("/version") => {
                    // Credentials in the Location are not repeated either.
                    let with_user =
                        location.replace("http://", &format!("http://mallory:{SECRET}@"));
                    Reply::redirect(302, &with_user)
                }
                _ => Reply::text(404, "not here"),
            }
        };
        let a = match on_unix {
            true => FakeDaemon::unix(daemon(redirecting)).await,
            false => FakeDaemon::tcp(daemon(redirecting)).await,
        };
        let docker = a.docker();
        let api = docker.v1_51().await.unwrap();

        let e = api.container_list().all(true).send().await.unwrap_err();
        let e = docker_engine_client::Error::from(e);
        assert_eq!(
            (e.kind(), e.status()),
            (ErrorKind::Redirect, Some(301)),
            "{e}"
        );
        assert!(
            e.message()
                .contains(&format!("`{elsewhere}/v{API}/containers/json")),
            "{e}"
        );

        let auth = RegistryAuth::basic("alice", SECRET, "registry.example");
        let e = api
            .image_create()
            .from_image("registry.example/app")
            .tag("1")
            .x_registry_auth(auth.header_value())
            .send()
            .await
            .err()
            .unwrap();
        let e = docker_engine_client::Error::from(e);
        assert_eq!(
            (e.kind(), e.status()),
            (ErrorKind::Redirect, Some(307)),
            "{e}"
        );

        let e = docker
            .exec_start("x", &ExecStartOptions::default())
            .await
            .err()
            .unwrap();
        assert_eq!(
            (e.kind(), e.status()),
            (ErrorKind::Redirect, Some(308)),
            "{e}"
        );

        let e = docker_engine_client::Error::from(api.system_version().send().await.unwrap_err());
        assert_eq!(
            (e.kind(), e.status()),
            (ErrorKind::Redirect, Some(302)),
            "{e}"
        );
        let text = format!("{e} {e:?}");
        assert!(
            !text.contains(SECRET) && text.contains("***@127.0.0.1"),
            "{text}"
        );

        // A redirect of `/_ping` ends negotiation the same way.
        let ping_redirects = FakeDaemon::tcp({
            let to = elsewhere.clone();
            move |r: &Request| Reply::redirect(301, &format!("{to}{}", r.target))
        })
        .await;
        let e = ping_redirects.docker().negotiate().await.unwrap_err();
        assert_eq!(
            (e.kind(), e.status()),
            (ErrorKind::Redirect, Some(301)),
            "{e}"
        );
    }
    let reached: Vec<String> = other.received().iter().map(|r| r.target.clone()).collect();
    assert!(
        reached.is_empty(),
        "requests reached the other host: {reached:?}"
    );
}

// 3. Credentials never in text.

#[tokio::test]
async fn user_info_in_docker_host_is_refused_without_repeating_it() {
    let daemon = FakeDaemon::tcp(daemon(|_| Reply::json(200, "[]"))).await;
    let with_user = daemon
        .docker_host
        .replace("tcp://", &format!("tcp://alice:{SECRET}@"));
    for host in [
        with_user.clone(),
        with_user.replace("tcp://", "https://"),
        with_user.replace("tcp://", "http://") + "/",
    ] {
        let e = Config::from_lookup(&|name| (name == "DOCKER_HOST").then(|| host.clone()), None)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        let text = format!("{e} {e:?}");
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("user info"), "{text}");
    }

    // The same from a context's endpoint.
    let dir = std::env::temp_dir().join(format!("dea-hostile-ctx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let id = context_dir_name("remote");
    let meta = dir.join("contexts/meta").join(&id);
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        format!(r#"{{"Name":"remote","Endpoints":{{"docker":{{"Host":"{with_user}"}}}}}}"#),
    )
    .unwrap();
    let dir_text = dir.display().to_string();
    let e = Config::from_lookup(
        &|name| match name {
            "DOCKER_CONFIG" => Some(dir_text.clone()),
            "DOCKER_CONTEXT" => Some("remote".into()),
            _ => None,
        },
        None,
    )
    .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains(SECRET) && text.contains("context `remote`"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);

    // And `dea`, which says so on one line, and fails as the docker CLI
    // does (1).
    let (code, stdout, stderr) =
        dea_output(dea(&with_user, &["ps"]), Duration::from_secs(20)).await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        !stderr.contains(SECRET) && stderr.contains("user info") && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert!(daemon.received().is_empty());

    // What a working configuration shows: the host, no secret to show.
    let config = daemon.config();
    let docker = Docker::connect(config.clone()).unwrap();
    let shown = format!("{config:?} {docker:?} {}", docker.host());
    assert!(shown.contains("tcp://127.0.0.1:"), "{shown}");
}

/// Where the Docker CLI keeps a context: under the hex sha256 of its name
/// (computed by the machine's `sha256sum`, not by the code under test).
fn context_dir_name(name: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(name.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

// 5. Error bodies: read up to 1 MiB and cut there, saying so; a non-JSON
// body keeps its status, kind and text.

#[tokio::test]
async fn error_bodies_are_cut_at_one_mebibyte() {
    const BIG: usize = 10 * 1024 * 1024;
    let message = "x".repeat(BIG);
    let json = serde_json::json!({ "message": message }).to_string();
    let daemon = FakeDaemon::unix(move |r: &Request| match r.path() {
        // No Api-Version: an error whatever the negotiation rules.
        "/_ping" => Reply::text(500, message.clone()),
        p if p.ends_with("/containers/json") => Reply::json(500, json.clone()),
        p if p.ends_with("/exec/big/start") => Reply::json(500, json.clone()),
        _ => Reply::text(404, "404 page not found\n"),
    })
    .await;
    let small = |e: &docker_engine_client::Error| {
        assert!(
            e.message().len() <= (1 << 20) + 100,
            "{} bytes",
            e.message().len()
        );
        assert!(e.message().contains("1 MiB"), "says it was cut");
    };

    let e = daemon.docker().ping().await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Server, Some(500)));
    small(&e);
    assert!(e.message().starts_with("xxxx"));

    let mut config = daemon.config();
    config.api_version = Some(docker_engine_client::ApiVersion::new(1, 51));
    let docker = Docker::connect(config).unwrap();
    let e = docker
        .exec_start("big", &ExecStartOptions::default())
        .await
        .err()
        .unwrap();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Server, Some(500)));
    small(&e);
    assert!(e.message().starts_with("xxxx"), "the message, not its JSON");

    let e = docker
        .exec_start("missing", &ExecStartOptions::default())
        .await
        .err()
        .unwrap();
    assert_eq!(
        (e.kind(), e.status(), e.message()),
        (ErrorKind::NotFound, Some(404), "404 page not found")
    );

    // A generated operation: the body is read by the generated exchange,
    // the message is cut by the facade.
    let api = docker.v1_51().await.unwrap();
    let e = docker_engine_client::Error::from(api.container_list().send().await.unwrap_err());
    assert_eq!((e.kind(), e.status()), (ErrorKind::Server, Some(500)));
    small(&e);
}

// 6. Output frames of any size stream through in pieces, in flat memory.

/// One 100 MiB stdout frame, as 64 KiB blocks of a known pattern.
fn one_huge_frame() -> impl Iterator<Item = Step> + Send {
    const LEN: usize = 100 << 20;
    let block: Bytes = (0..64 * 1024)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into();
    std::iter::once(Step::Send(frame_header(1, LEN as u32)))
        .chain(std::iter::repeat_n(block, LEN / (64 * 1024)).map(Step::Send))
        .chain(std::iter::once(Step::Send(frame(2, b"done\n"))))
}

fn pattern_ok(offset: usize, bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .all(|(i, b)| *b == ((offset + i) % (64 * 1024) % 251) as u8)
}

#[tokio::test]
async fn a_100_mib_frame_streams_through_in_pieces() {
    let daemon = FakeDaemon::unix(daemon(|_| Reply::output(one_huge_frame()))).await;
    let api = daemon.docker().v1_51().await.unwrap();
    let mut output = api
        .container_logs()
        .id("c1")
        .stdout(true)
        .send()
        .await
        .unwrap()
        .output();
    let (mut total, mut largest, mut pieces) = (0usize, 0usize, 0usize);
    let mut last = None;
    while let Some(piece) = output.next().await {
        match piece.unwrap() {
            LogOutput::StdOut(b) => {
                assert!(pattern_ok(total, &b), "bytes at {total} differ");
                total += b.len();
                largest = largest.max(b.len());
                pieces += 1;
            }
            other => last = Some(other),
        }
    }
    assert_eq!(total, 100 << 20);
    assert_eq!(last, Some(LogOutput::StdErr(Bytes::from_static(b"done\n"))));
    assert!(pieces > 100, "{pieces} pieces: passed on as it arrives");
    assert!(largest <= 1 << 20, "largest piece {largest} bytes");
}

#[tokio::test]
async fn dea_streams_a_100_mib_frame_in_flat_memory() {
    let daemon = FakeDaemon::unix(daemon(|_| Reply::output(one_huge_frame()))).await;
    let mut child = dea(&daemon.docker_host, &["logs", "c1"]).spawn().unwrap();
    let (sampler, peaks) = watch(child.id().unwrap());
    let mut total = 0usize;
    read_all(child.stdout.take().unwrap(), |b| {
        assert!(pattern_ok(total, b), "bytes at {total} differ");
        total += b.len();
    })
    .await;
    let status = child.wait().await.unwrap();
    sampler.abort();
    let rss = peaks[0].load(Ordering::Relaxed);
    eprintln!("a 100 MiB frame through dea: peak RSS {rss} KiB");
    assert_eq!(status.code(), Some(0));
    assert_eq!(total, 100 << 20);
    assert!(rss < 40 * 1024, "peak RSS {rss} KiB");
}

// 7. Timeouts: a daemon that never answers is bounded; streams are not cut.

#[tokio::test]
async fn a_daemon_that_never_answers_is_bounded_by_the_timeout() {
    let silent = FakeDaemon::tcp(|_| Reply::Hang).await;

    // From the environment: negotiation gives up.
    let mut command = dea(&silent.docker_host, &["ps"]);
    command.env("DOCKER_CLIENT_TIMEOUT", "1");
    let started = Instant::now();
    let (code, _, stderr) = dea_output(command, Duration::from_secs(20)).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ")
            && (stderr.contains("did not answer") || stderr.contains("timed out"))
            && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );

    // From `--timeout`, with a pinned version: the generated call gives up.
    let mut command = dea(&silent.docker_host, &["--timeout", "1", "ps"]);
    command.env("DOCKER_API_VERSION", API);
    let started = Instant::now();
    let (code, _, stderr) = dea_output(command, Duration::from_secs(20)).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ")
            && (stderr.contains("did not answer") || stderr.contains("timed out"))
            && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(
        silent
            .received()
            .iter()
            .any(|r| r.path().ends_with("/containers/json"))
    );

    // In `Config`: what the facade sends itself.
    let mut config = silent.config();
    config.request_timeout = Some(Duration::from_millis(500));
    let docker = Docker::connect(config.clone()).unwrap();
    let started = Instant::now();
    let e = docker.negotiate().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains(&silent.docker_host), "{e}");
    config.api_version = Some(docker_engine_client::ApiVersion::new(1, 51));
    let e = Docker::connect(config)
        .unwrap()
        .exec_start("x", &ExecStartOptions::default())
        .await
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn streams_outlive_the_request_timeout() {
    let event = |n: u32| {
        Bytes::from(format!(
            "{{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{{\"ID\":\"c{n}\"}}}}\n"
        ))
    };
    let quiet = Duration::from_millis(2_500);
    let daemon = FakeDaemon::unix(daemon(move |r| {
        if r.path().ends_with("/events") {
            Reply::Stream {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json".into())],
                steps: Box::new(
                    [
                        Step::Send(event(1)),
                        Step::Wait(quiet),
                        Step::Send(event(2)),
                    ]
                    .into_iter(),
                ),
            }
        } else {
            Reply::output(
                [
                    Step::Send(frame(1, b"before\n")),
                    Step::Wait(quiet),
                    Step::Send(frame(1, b"after\n")),
                ]
                .into_iter(),
            )
        }
    }))
    .await;

    let mut config = daemon.config();
    config.request_timeout = Some(Duration::from_millis(500));
    let api = Docker::connect(config).unwrap().v1_51().await.unwrap();
    let events: Vec<_> = api
        .system_events()
        .send()
        .await
        .unwrap()
        .into_inner()
        .json_lines::<v1_51::stream_items::SystemEvents>()
        .collect()
        .await;
    let actors: Vec<String> = events
        .into_iter()
        .map(|e| e.unwrap().actor.unwrap().id.unwrap())
        .collect();
    assert_eq!(actors, ["c1", "c2"]);

    for args in [
        &["--timeout", "0.5", "events"][..],
        &["--timeout", "0.5", "logs", "-f", "c1"],
    ] {
        let (code, stdout, stderr) =
            dea_output(dea(&daemon.docker_host, args), Duration::from_secs(20)).await;
        assert_eq!(code, 0, "dea {args:?}: {stderr}");
        let expected = match args[2] {
            // Events without a time are shown at the Unix epoch, as the
            // docker CLI shows them.
            "events" => {
                "1970-01-01T00:00:00.000000000Z container start c1\n\
                 1970-01-01T00:00:00.000000000Z container start c2\n"
            }
            _ => "before\nafter\n",
        };
        assert_eq!(stdout, expected, "dea {args:?}");
    }
}

/// A stream whose daemon stops sending without closing (a hung daemon, a
/// dead peer behind a proxy) ends with a `Timeout` error after the idle
/// timeout the caller chose, with everything sent before it delivered.
#[tokio::test]
async fn a_stream_that_goes_silent_ends_at_its_idle_timeout() {
    let release = Arc::new(Notify::new());
    let held = release.clone();
    let daemon = FakeDaemon::unix(daemon(move |_| {
        Reply::output(
            [
                Step::Send(frame(1, b"before\n")),
                Step::Until(held.clone()),
                Step::Send(frame(1, b"never read\n")),
            ]
            .into_iter(),
        )
    }))
    .await;
    let api = daemon.docker().v1_51().await.unwrap();
    let started = Instant::now();
    let items: Vec<_> = api
        .container_logs()
        .id("c1")
        .follow(true)
        .stdout(true)
        .send()
        .await
        .unwrap()
        .output()
        .idle_timeout(Duration::from_millis(300))
        .collect()
        .await;
    let elapsed = started.elapsed();
    release.notify_waiters();
    assert_eq!(items.len(), 2, "the frame, then the timeout: {items:?}");
    assert_eq!(items[0].as_ref().unwrap().to_string(), "before\n");
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );
}
