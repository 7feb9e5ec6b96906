//! Conformance: every GET operation of every compiled version up to each
//! engine's maximum, against every engine of the project, decodes typed and
//! keeps every field the daemon sent.
//!
//! Each engine is populated first ([`Scene`]: containers created, running,
//! paused, exited with and without changes, restarting, healthy, unhealthy,
//! with a TTY, with resource limits, mounts and two networks; volumes,
//! networks, tagged and committed images, exec instances finished, running
//! and never started). Then for every version and every GET operation of its
//! API model, with every id that fits and once more with every optional
//! boolean query parameter set:
//!
//! 1. the operation is called through the version's generated typed client
//!    (the calls are generated from the API models by `build.rs`, see
//!    `build_conformance.rs`): the generated code must decode the answer, or
//!    answer a typed error where the daemon refuses by design (the table
//!    [`expected_error`]);
//! 2. the same URL is fetched raw over the same connection, decoded into the
//!    operation's response type, encoded again and compared with the daemon's
//!    JSON (`fidelity::compare`). Two requests, because the generated client
//!    does not hand out the bytes it decoded; the comparison is of one answer
//!    with itself, so values that change between calls (times, counters) do
//!    not matter.
//!
//! A field dropped at a version older than the engine's maximum is allowed
//! when the engine's own version keeps it: the daemon does not hide fields of
//! newer versions from older clients (e.g. the endpoints' `GwPriority`, new in
//! 1.48, reaches a v1.40 client of Docker 28.5; the run prints each such field
//! with its count). Every other loss fails the test, except
//! [`EXPLAINED_LOSSES`].
//!
//! JSON-lines streams are read bounded and every line checked the same way
//! (raw only): `GET /events` between the scene's start and now, `GET
//! /containers/{id}/stats?stream=false` (`one-shot` where the version has it).
//! Not called here:
//! - streams and binary answers, tested elsewhere ([`NOT_JSON`]):
//!   `ContainerLogs` (`facade.rs`, `engines.rs`), `ContainerArchive`
//!   (`facade.rs`), `ImageGet` (`private_daemons.rs`), `SystemPing`
//!   (`facade.rs`, `negotiation.rs`), `ServiceLogs` (`swarm.rs`); and, tested
//!   nowhere yet: `ContainerExport`, `ContainerAttachWebsocket`,
//!   `ImageGetAll`, `TaskLogs`;
//! - operations that need a registry this machine cannot reach, see
//!   [`NOT_CALLED`];
//! - the swarm's objects on the manager: `every_swarm_get_...` below (on the
//!   other engines the swarm operations must answer the typed errors of
//!   [`expected_error`]).

use std::collections::BTreeMap;
use std::time::Instant;

use docker_engine_api_tests::conformance::{Args, Ids, Scene, State, SwarmScene, kind_of};
use docker_engine_api_tests::fidelity::{self, ClientInfo as _, Loss};
use docker_engine_api_tests::{Engine, engines, swarm};
use docker_engine_client::{ApiVersion, COMPILED, ErrorKind, VersionedClient, with_api};
use serde_json::Value;

/// The generated table of every version's GET operations, their typed calls
/// and decoders (`build_conformance.rs`; only this test compiles them).
mod generated {
    include!(concat!(env!("OUT_DIR"), "/conformance.rs"));
}

use generated::GetOperation;

/// The tests of this file one at a time: a container another test creates
/// and removes while `GET /system/df` runs makes Podman's answer a 500 ("no
/// such container"), and the population is heavy enough on its own.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// GET operations this test does not call, and why.
const NOT_CALLED: &[(&str, &str)] = &[
    (
        "ImageSearch",
        "searches Docker Hub, which this machine cannot reach",
    ),
    ("GetPluginPrivileges", "asks a registry for a plugin"),
    ("DistributionInspect", "asks a registry for a manifest"),
    (
        "PluginInspect",
        "no plugin is installed: installing one needs a registry (PluginList is called)",
    ),
    (
        "ImageAttestations",
        "API 1.55 only: no engine of the project serves it",
    ),
];

/// GET operations whose answer is not JSON, and where they are tested: the
/// test fails on one it does not list.
const NOT_JSON: &[(&str, &str)] = &[
    ("ContainerLogs", "facade.rs, engines.rs"),
    ("ContainerArchive", "facade.rs"),
    ("ImageGet", "private_daemons.rs"),
    ("SystemPing", "facade.rs, negotiation.rs"),
    ("ServiceLogs", "swarm.rs"),
    ("ContainerExport", "nowhere yet"),
    ("ContainerAttachWebsocket", "nowhere yet"),
    ("ImageGetAll", "nowhere yet"),
    ("TaskLogs", "nowhere yet"),
];

/// The swarm's object kinds (the first segment of the path).
const SWARM_KINDS: &[&str] = &["swarm", "nodes", "services", "tasks", "secrets", "configs"];

/// Losses that are explained rather than fixed: (engine kind `docker`,
/// `podman` or `any`, operation id, `fidelity::JsonPath::matches` pattern,
/// why).
const EXPLAINED_LOSSES: &[(&str, &str, &str, &str)] = &[
    (
        "any",
        "SystemDataUsage",
        "BuilderSize",
        "Docker 20.10 and Podman 4.3 send `BuilderSize`, which moby's Go type \
         (api/types DiskUsage) marks deprecated in API 1.38 and unused since 1.40: \
         always 0, in no spec since 1.40",
    ),
    (
        "podman",
        "ContainerList",
        "[*].Name",
        "Podman's own field (libpod's compat list adds it, always empty); no Docker spec has it",
    ),
    (
        "podman",
        "ContainerList",
        "[*].AdjustCPUShares",
        "Podman's own field of its list answer; no Docker spec has it",
    ),
    (
        "podman",
        "ImageList",
        "[*].Names",
        "Podman's own fields of its image summary (Names, History, Digest): \
         no Docker spec has them",
    ),
    ("podman", "ImageList", "[*].History", "as `[*].Names`"),
    ("podman", "ImageList", "[*].Digest", "as `[*].Names`"),
    (
        "podman",
        "SystemInfo",
        "BuildahVersion",
        "Podman's own fields of `GET /info` (BuildahVersion, Rootless, SwapFree, \
         SwapTotal, CPURealtimePeriod, CPURealtimeRuntime, Uptime): no Docker spec has them",
    ),
    ("podman", "SystemInfo", "Rootless", "as `BuildahVersion`"),
    ("podman", "SystemInfo", "Uptime", "as `BuildahVersion`"),
    ("podman", "SystemInfo", "SwapFree", "as `BuildahVersion`"),
    ("podman", "SystemInfo", "SwapTotal", "as `BuildahVersion`"),
    (
        "podman",
        "SystemInfo",
        "CPURealtimePeriod",
        "as `BuildahVersion`",
    ),
    (
        "podman",
        "SystemInfo",
        "CPURealtimeRuntime",
        "as `BuildahVersion`",
    ),
];

/// What one engine's run found.
#[derive(Default)]
struct Report {
    engine: String,
    versions: Vec<ApiVersion>,
    /// Typed calls plus raw fetches.
    requests: usize,
    /// Operation ids called at least once.
    operations: std::collections::BTreeSet<&'static str>,
    /// Fields of a newer version, dropped by an older one: (op, path) → count.
    newer_fields: BTreeMap<(String, String), usize>,
    /// Losses allowed by [`EXPLAINED_LOSSES`]: (op, path) → count.
    explained: BTreeMap<(String, String), usize>,
    expected_errors: usize,
    failures: Vec<String>,
    seconds: f64,
    /// Time spent per operation (all versions, ids and both calls).
    time_per_operation: BTreeMap<&'static str, f64>,
}

impl Report {
    fn fail(&mut self, version: ApiVersion, what: &str, message: impl std::fmt::Display) {
        self.failures.push(format!(
            "engine {} v{version} {what}: {message}",
            self.engine
        ));
    }
}

/// The errors an operation answers by design in the scene, each a typed
/// error of its kind and status (`None`: no status, a decode error), with the
/// daemon's message. `also_ok` when an answer is right too (a restarting
/// container runs now and then).
///
/// Docker: `top` of a container whose processes do not run is 409, a status
/// no spec lists for it; the swarm's operations on an engine that is no
/// manager are 503. Podman 4.3 (README, Compatibility): the swarm's
/// operations but the secrets (Podman has secrets of its own) and the plugins
/// are 404; `top` of a container that is not running, or is paused, and the
/// image list with `digests=true` answer 200 with an empty body, which is no
/// JSON: a decode error saying so.
#[derive(Clone, Copy)]
struct Expected {
    status: Option<u16>,
    kind: ErrorKind,
    also_ok: bool,
}

impl Expected {
    fn error(status: u16, kind: ErrorKind) -> Option<Expected> {
        Some(Expected {
            status: Some(status),
            kind,
            also_ok: false,
        })
    }
}

fn expected_error(
    op: &GetOperation,
    args: &Args,
    bools: bool,
    ids: &Ids,
    manager: bool,
    podman: bool,
) -> Option<Expected> {
    let kind = kind_of(op.path);
    if podman {
        if SWARM_KINDS.contains(&kind) && kind != "secrets" {
            // Paths it routes to "does not support service" are 503, the
            // others are no route at all.
            let routed = !op.path_params.is_empty() || op.id == "SwarmUnlockkey";
            return if routed {
                Expected::error(503, ErrorKind::Server)
            } else {
                Expected::error(404, ErrorKind::NotFound)
            };
        }
        if kind == "plugins" || op.id == "SecretInspect" {
            return Expected::error(404, ErrorKind::NotFound);
        }
        if op.id == "ImageList" && bools {
            return Some(Expected {
                status: None,
                kind: ErrorKind::Decode,
                also_ok: false,
            });
        }
        if op.id == "ContainerTop" {
            let state = *ids.states.get(args.get("id")?)?;
            let runs = matches!(state, State::Running | State::Healthy | State::Unhealthy);
            return (!runs).then_some(Expected {
                status: None,
                kind: ErrorKind::Decode,
                also_ok: state == State::Restarting,
            });
        }
        return None;
    }
    if SWARM_KINDS.contains(&kind) && !manager {
        return Expected::error(503, ErrorKind::Server);
    }
    if op.id == "ContainerTop" {
        let state = *ids.states.get(args.get("id")?)?;
        return (!state.has_processes()).then_some(Expected {
            status: Some(409),
            kind: ErrorKind::Conflict,
            also_ok: state == State::Restarting,
        });
    }
    None
}

/// Every combination of path arguments `op` takes in `scene` (one empty set
/// for an operation without path parameters); `None` when the scene has no
/// object of the kind.
fn argument_sets(op: &GetOperation, ids: &Ids, manager: bool) -> Option<Vec<Args>> {
    let Some(&param) = op.path_params.first() else {
        return Some(vec![Args::new()]);
    };
    assert_eq!(op.path_params.len(), 1, "{}: one path parameter", op.id);
    let ids = if SWARM_KINDS.contains(&kind_of(op.path)) && !manager {
        // Any id: an engine that is no manager refuses before it looks.
        vec!["dea-no-such-object".to_string()]
    } else {
        ids.for_path(op.path)?.to_vec()
    };
    Some(
        ids.into_iter()
            .map(|id| Args::from([(param, id)]))
            .collect(),
    )
}

/// The URL (below `/vX.Y`) the typed call requested.
fn url_of(op: &GetOperation, args: &Args, bools: bool) -> String {
    let mut path = op.path.to_string();
    for (name, value) in args {
        path = path.replace(&format!("{{{name}}}"), value);
    }
    let query: Vec<String> = if bools {
        op.bools.iter().map(|b| format!("{b}=true")).collect()
    } else {
        Vec::new()
    };
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

async fn get_raw(client: &VersionedClient, url: &str) -> Result<Vec<u8>, String> {
    with_api!(client, |c, api| fidelity::get_raw(c, url).await)
}

/// The complete lines a stream sends until it ends or `limit` is up.
async fn read_lines_for(
    client: &VersionedClient,
    url: &str,
    limit: std::time::Duration,
) -> Result<Vec<u8>, String> {
    let full = with_api!(client, |c, api| format!("{}{url}", c.baseurl()));
    let http = with_api!(client, |c, api| c.client().clone());
    let mut response = http
        .get(&full)
        .send()
        .await
        .map_err(|e| format!("GET {full}: {e}"))?;
    if response.status() != 200 {
        return Err(format!("GET {full} answered {}", response.status()));
    }
    let mut body = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    while let Ok(chunk) = tokio::time::timeout_at(deadline, response.chunk()).await {
        match chunk.map_err(|e| format!("GET {full}: {e}"))? {
            Some(bytes) => body.extend_from_slice(&bytes),
            None => break,
        }
    }
    // A line cut by the deadline is not the daemon's.
    let complete = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    body.truncate(complete);
    Ok(body)
}

/// Decodes `raw` as `op`'s answer at `version`, compares, and sorts the
/// losses into allowed (newer fields, explained) and failures.
fn check_answer(
    report: &mut Report,
    engine: &Engine,
    version: ApiVersion,
    max: ApiVersion,
    op: &GetOperation,
    url: &str,
    raw: &[u8],
) {
    let sent: Value = match docker_engine_client::decode_json(raw) {
        Ok(v) => v,
        Err(e) => return report.fail(version, url, format!("not JSON: {e}")),
    };
    let decoded = generated::decode_answer(&version.to_string(), op.id, raw)
        .expect("the table names only operations the version has");
    let kept = match decoded {
        Ok(v) => v,
        Err(e) => return report.fail(version, url, format!("does not decode: {e}")),
    };
    let loss = fidelity::compare(&sent, &kept);
    if loss.is_empty() {
        return;
    }
    // What the engine's own version keeps of the same answer.
    let at_max: Vec<String> = if version < max {
        match generated::decode_answer(&max.to_string(), op.id, raw) {
            Some(Ok(v)) => fidelity::compare(&sent, &v)
                .findings
                .iter()
                .map(|f| f.path.to_string())
                .collect(),
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let kind = if engine.is_podman() {
        "podman"
    } else {
        "docker"
    };
    let mut left = Loss::default();
    for finding in loss.findings {
        let path = finding.path.to_string();
        let key = (op.id.to_string(), pattern_of(&finding.path));
        if version < max && finding.is_dropped() && !at_max.contains(&path) {
            *report.newer_fields.entry(key).or_default() += 1;
        } else if EXPLAINED_LOSSES.iter().any(|(k, o, p, _)| {
            (*k == kind || *k == "any") && *o == op.id && finding.path.matches(p)
        }) {
            *report.explained.entry(key).or_default() += 1;
        } else {
            left.findings.push(finding);
        }
    }
    if !left.is_empty() {
        report.fail(version, url, format!("the types lose:\n{left}"));
    }
}

/// A path with its indexes as `*`: one key for a field in every array item.
fn pattern_of(path: &fidelity::JsonPath) -> String {
    fidelity::JsonPath(
        path.0
            .iter()
            .map(|s| match s {
                fidelity::Segment::Index(_) => fidelity::Segment::Key("*".into()),
                other => other.clone(),
            })
            .collect(),
    )
    .to_string()
    .replace(r#"["*"]"#, "[*]")
}

/// One typed call, its raw twin and the checks.
#[allow(clippy::too_many_arguments)]
async fn check_call(
    report: &mut Report,
    engine: &Engine,
    client: &VersionedClient,
    max: ApiVersion,
    op: &'static GetOperation,
    args: &Args,
    bools: bool,
    expected: Option<Expected>,
) {
    let version = client.version();
    let url = url_of(op, args, bools);
    report.requests += 1;
    report.operations.insert(op.id);
    let typed = generated::call_typed(client, op.id, args, bools)
        .await
        .expect("the table names only operations the version has");
    let typed = match (typed, expected) {
        (Err(e), Some(expected)) => {
            let right = e.status() == expected.status
                && e.kind() == expected.kind
                && !e.message().is_empty();
            if right {
                report.expected_errors += 1;
            } else {
                report.fail(
                    version,
                    &url,
                    format!(
                        "expected a typed {:?} error ({:?}) with the daemon's message, got {:?} {:?}: {e}",
                        expected.status,
                        expected.kind,
                        e.status(),
                        e.kind()
                    ),
                );
            }
            return;
        }
        (Err(e), None) => return report.fail(version, &url, format!("typed call: {e}")),
        (Ok(_), Some(expected)) if !expected.also_ok => {
            return report.fail(
                version,
                &url,
                format!(
                    "expected a {:?} {:?} error, got an answer",
                    expected.status, expected.kind
                ),
            );
        }
        (Ok(value), _) => value,
    };
    report.requests += 1;
    let raw = match get_raw(client, &url).await {
        Ok(raw) => raw,
        // The restarting container may have stopped between the two calls.
        Err(_) if expected.is_some() => return,
        Err(e) => return report.fail(version, &url, e),
    };
    if raw.trim_ascii() == b"null" {
        // Go's nil slice or map: the typed call must have made it empty.
        let empty = matches!(&typed, Value::Array(a) if a.is_empty())
            || matches!(&typed, Value::Object(o) if o.is_empty());
        if !empty {
            report.fail(version, &url, format!("answered null, typed as {typed}"));
        }
        return;
    }
    check_answer(report, engine, version, max, op, &url, &raw);
}

/// A JSON-lines stream read bounded: every line decoded and compared.
async fn check_stream(
    report: &mut Report,
    engine: &Engine,
    client: &VersionedClient,
    max: ApiVersion,
    op: &'static GetOperation,
    url: &str,
) {
    let version = client.version();
    report.requests += 1;
    report.operations.insert(op.id);
    let raw = match read_lines_for(client, url, std::time::Duration::from_secs(3)).await {
        Ok(raw) => raw,
        Err(e) => return report.fail(version, url, e),
    };
    let mut lines = 0;
    for line in raw
        .split(|b| *b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
    {
        lines += 1;
        check_answer(report, engine, version, max, op, url, line);
    }
    if lines == 0 {
        report.fail(version, url, "the stream sent no line");
    }
}

/// Which operations a run calls.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Everything but the swarm's objects on a manager (on an engine that is
    /// no manager, the swarm's operations must be typed 503 errors).
    Engine,
    /// The swarm's objects (and the overlay network) on the manager.
    Swarm,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Calls `part`'s GET operations of every compiled version up to the engine's
/// maximum with `ids`.
async fn check_versions(
    report: &mut Report,
    engine: &Engine,
    part: Part,
    ids: &Ids,
    events_window: (u64, u64),
) {
    let docker = engine.docker();
    let max = docker
        .negotiate()
        .await
        .unwrap_or_else(|e| panic!("engine {}: {e}", engine.name))
        .daemon_max
        .expect("an unpinned client knows the daemon's maximum");
    let manager = {
        let api = docker.v1_41().await.unwrap();
        let info = api.system_info().send().await;
        let info = info.unwrap_or_else(|e| panic!("engine {}: info: {e}", engine.name));
        info.into_inner()
            .swarm
            .and_then(|s| s.control_available)
            .unwrap_or(false)
    };
    assert!(
        part == Part::Engine || manager,
        "engine {} is no swarm manager",
        engine.name
    );
    let versions: Vec<ApiVersion> = COMPILED.iter().copied().filter(|v| *v <= max).collect();
    // Events first: the daemon keeps only its last 256 events, and the calls
    // below make more (every `top` is one).
    if part == Part::Engine {
        for &version in &versions {
            let client = docker
                .client_for(version)
                .await
                .unwrap_or_else(|e| panic!("engine {} v{version}: {e}", engine.name));
            let events = generated::get_operations(&version.to_string())
                .iter()
                .find(|op| op.id == "SystemEvents" && op.item.is_some());
            if let Some(op) = events {
                // Podman answers nothing to `since` with `until` (README,
                // Compatibility): its stream since the scene's start is read
                // for a while instead.
                let url = if engine.is_podman() {
                    format!("/events?since={}", events_window.0)
                } else {
                    format!(
                        "/events?since={}&until={}",
                        events_window.0, events_window.1
                    )
                };
                check_stream(report, engine, &client, max, op, &url).await;
            }
        }
    }
    for &version in &versions {
        report.versions.push(version);
        let client = docker
            .client_for(version)
            .await
            .unwrap_or_else(|e| panic!("engine {} v{version}: {e}", engine.name));
        for op in generated::get_operations(&version.to_string()) {
            if NOT_CALLED.iter().any(|(id, _)| *id == op.id) {
                continue;
            }
            let kind = kind_of(op.path);
            let swarm_kind = SWARM_KINDS.contains(&kind);
            let wanted = match part {
                Part::Engine => !(manager && swarm_kind),
                Part::Swarm => swarm_kind || op.id == "NetworkInspect",
            };
            if !wanted {
                continue;
            }
            if op.item.is_some() {
                let urls: Vec<String> = match op.id {
                    // Above.
                    "SystemEvents" => continue,
                    // One sample without waiting for a second one where the
                    // version has `one-shot` (v1.41 on); v1.40's waits ~1 s.
                    "ContainerStats" => {
                        let one_shot = if op.bools.contains(&"one-shot") {
                            "&one-shot=true"
                        } else {
                            ""
                        };
                        ids.states
                            .iter()
                            .filter(|(_, state)| state.has_processes())
                            .map(|(id, _)| format!("/containers/{id}/stats?stream=false{one_shot}"))
                            .collect()
                    }
                    other => {
                        report.fail(version, other, "a JSON-lines stream this test cannot bound");
                        continue;
                    }
                };
                for url in urls {
                    check_stream(report, engine, &client, max, op, &url).await;
                }
                continue;
            }
            if op.json.is_none() {
                if !NOT_JSON.iter().any(|(id, _)| *id == op.id) {
                    let what = format!(
                        "answers {}, which this test neither calls nor lists",
                        op.other
                    );
                    report.fail(version, op.id, what);
                }
                continue;
            }
            if !op.required_query.is_empty() {
                let what = format!(
                    "requires {:?}, which this test cannot give",
                    op.required_query
                );
                report.fail(version, op.id, what);
                continue;
            }
            let Some(sets) = argument_sets(op, ids, manager) else {
                report.fail(version, op.id, format!("no ids for {}", op.path));
                continue;
            };
            for args in &sets {
                for bools in [false, true] {
                    if bools && op.bools.is_empty() {
                        continue;
                    }
                    let expected =
                        expected_error(op, args, bools, ids, manager, engine.is_podman());
                    let started = Instant::now();
                    check_call(report, engine, &client, max, op, args, bools, expected).await;
                    *report.time_per_operation.entry(op.id).or_default() +=
                        started.elapsed().as_secs_f64();
                }
            }
        }
    }
}

async fn check_engine(engine: Engine) -> Report {
    let started = Instant::now();
    let mut report = Report {
        engine: engine.name.clone(),
        ..Default::default()
    };
    let since = now_secs();
    let scene = Scene::populate(&engine).await;
    let events = (since, now_secs() + 1);
    let ids = scene.ids();
    let run = std::panic::AssertUnwindSafe(check_versions(
        &mut report,
        &engine,
        Part::Engine,
        &ids,
        events,
    ));
    let outcome = futures_util::FutureExt::catch_unwind(run).await;
    scene.remove(&engine).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// Prints the figures of each run and fails with every failure of all.
fn conclude(reports: &[Report], started: Instant) {
    let mut failures = Vec::new();
    for r in reports {
        eprintln!(
            "engine {}: {} versions ({}…{}), {} operations, {} requests, {} expected errors, {:.1} s",
            r.engine,
            r.versions.len(),
            r.versions
                .first()
                .map(|v| v.to_string())
                .unwrap_or_default(),
            r.versions.last().map(|v| v.to_string()).unwrap_or_default(),
            r.operations.len(),
            r.requests,
            r.expected_errors,
            r.seconds
        );
        let mut slowest: Vec<_> = r.time_per_operation.iter().collect();
        slowest.sort_by(|a, b| b.1.total_cmp(a.1));
        let slowest: Vec<String> = slowest
            .iter()
            .take(5)
            .map(|(op, s)| format!("{op} {s:.1} s"))
            .collect();
        eprintln!("  slowest: {}", slowest.join(", "));
        for ((op, path), n) in &r.newer_fields {
            eprintln!("  newer field (allowed): {op} {path} ×{n}");
        }
        for ((op, path), n) in &r.explained {
            eprintln!("  explained loss (allowed): {op} {path} ×{n}");
        }
        failures.extend(r.failures.iter().cloned());
    }
    eprintln!("in all: {:.1} s", started.elapsed().as_secs_f64());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_get_of_every_version_decodes_without_dropping_fields() {
    let _serial = SERIAL.lock().await;
    let started = Instant::now();
    // The engines in parallel, each engine's calls one at a time.
    let runs: Vec<_> = engines()
        .into_iter()
        .map(|e| tokio::spawn(check_engine(e)))
        .collect();
    let mut reports = Vec::new();
    for run in runs {
        // An engine's panic (a failed population) is passed on as it was.
        reports.push(
            run.await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
        );
    }
    conclude(&reports, started);
}

#[tokio::test]
async fn every_swarm_get_of_every_version_decodes_without_dropping_fields() {
    let _serial = SERIAL.lock().await;
    let started = Instant::now();
    let swarm = swarm::swarm().await;
    let engine = docker_engine_api_tests::engine(&swarm.manager.engine);
    let scene = SwarmScene::deploy(&swarm).await;
    let mut report = Report {
        engine: format!("{} (swarm manager)", engine.name),
        ..Default::default()
    };
    let ids = scene.ids(&swarm).await;
    let run = std::panic::AssertUnwindSafe(check_versions(
        &mut report,
        &engine,
        Part::Swarm,
        &ids,
        (0, 0),
    ));
    let outcome = futures_util::FutureExt::catch_unwind(run).await;
    scene.remove(&swarm).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    report.seconds = started.elapsed().as_secs_f64();
    conclude(&[report], started);
}

/// `GET /containers/{id}/top` of a container that does not run answers 409, a
/// status no spec lists for it: through the generated client of each engine's
/// own version it is a typed `Conflict` error carrying the daemon's message
/// (Docker; Podman answers 200 without a body, a decode error).
#[tokio::test]
async fn top_of_a_container_that_does_not_run_is_a_typed_conflict() {
    let _serial = SERIAL.lock().await;
    for engine in engines() {
        let docker = engine.docker();
        let api = docker.v1_41().await.unwrap();
        let body = docker_engine_client::v1_41::types::ContainerCreateBody {
            image: Some(docker_engine_api_tests::BASE_IMAGE.into()),
            cmd: Some(vec!["true".into()]),
            host_config: Some(docker_engine_client::v1_41::types::HostConfig {
                network_mode: Some("none".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let name = docker_engine_api_tests::unique_name("top");
        let created = api.container_create().name(&name).body(body).send().await;
        let id = created
            .unwrap_or_else(|e| panic!("engine {}: create: {e}", engine.name))
            .into_inner()
            .id;
        let client = docker.client().await.unwrap();
        let path = format!("/containers/{id}/top");
        let (err, raw) = with_api!(&client, |c, api| {
            let err = docker_engine_client::Error::from(
                c.container_top().id(&id).send().await.unwrap_err(),
            );
            (err, fidelity::get_answer(c, &path).await)
        });
        let _ = api.container_delete().id(&id).force(true).send().await;
        let (status, raw) = raw.unwrap();
        if engine.is_podman() {
            // Podman 4.3 answers 200 with an empty body (README,
            // Compatibility): no JSON, a decode error without a status.
            assert_eq!((status, raw.len()), (200, 0), "engine {}", engine.name);
            assert_eq!(
                err.kind(),
                ErrorKind::Decode,
                "engine {}: {err}",
                engine.name
            );
            assert_eq!(err.status(), None, "engine {}: {err}", engine.name);
            continue;
        }
        assert_eq!(status, 409, "engine {}: the daemon's answer", engine.name);
        let said: Value = serde_json::from_slice(&raw).unwrap();
        let said = said["message"].as_str().expect("a message");
        assert!(
            said.contains("is not running") || said.contains("not running"),
            "engine {}: {said}",
            engine.name
        );
        assert_eq!(
            err.kind(),
            ErrorKind::Conflict,
            "engine {}: {err}",
            engine.name
        );
        assert_eq!(err.status(), Some(409), "engine {}: {err}", engine.name);
        assert_eq!(err.message(), said, "engine {}: {err}", engine.name);
    }
}
