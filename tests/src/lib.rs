//! Support for the integration tests: which real engines to test against.
//!
//! `cargo xtask test` starts the engines (`cargo xtask engine up`) and sets
//! `DEA_TEST_ENGINES` to the `engines.json` it wrote. To test against your own
//! daemon instead: `DEA_TEST_ENGINES=mine=unix:///var/run/docker.sock cargo
//! test -p docker-engine-api-tests` (several: comma-separated `name=host`).
//! The base image `dea-busybox:latest` must exist there (`cargo xtask engine`
//! shows how it is made).
//!
//! A test that needs an engine and finds none fails, with a message saying
//! how to provide one. It never passes silently.

use std::path::{Path, PathBuf};

pub mod conformance;
pub mod fake_daemon;
pub mod fidelity;
pub mod private_daemon;
pub mod registry;
pub mod sshd;
pub mod swarm;

use docker_engine_client::{ApiVersion, Docker, Host};

/// The image every container test runs: busybox, imported by `cargo xtask engine up`.
pub const BASE_IMAGE: &str = "dea-busybox:latest";

/// One engine to test against.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Engine {
    pub name: String,
    pub docker_host: String,
    /// Which daemon it is, when the project provisioned it (`None` for a
    /// hand-written `name=host` entry: ask the daemon).
    #[serde(default)]
    pub kind: Option<EngineKind>,
    /// The Debian package version the engine came from, when the project
    /// provisioned it.
    #[serde(default)]
    pub package_version: Option<String>,
    /// The release the daemon reported when it was provisioned (`GET
    /// /version`: `28.5.2+dfsg4`, `20.10.24+dfsg1`, `4.3.1` for Podman).
    #[serde(default)]
    pub engine_version: Option<String>,
    /// The log of the API daemon (dockerd, or `podman system service`), in the
    /// engine's directory (project-provisioned engines).
    #[serde(default)]
    pub log: Option<PathBuf>,
}

/// The daemon behind an engine's socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// dockerd.
    Docker,
    /// `podman system service`: Podman's Docker-compatible API.
    Podman,
}

impl Engine {
    /// Whether the project provisioned this engine as Podman.
    pub fn is_podman(&self) -> bool {
        self.kind == Some(EngineKind::Podman)
    }

    /// The Engine API version this engine's release should serve: Docker's
    /// from [`expected_api_version`], Podman's from
    /// [`expected_podman_api_version`]. `None` when the release is unknown (a
    /// hand-written entry says neither kind nor release).
    pub fn expected_api_version(&self) -> Option<ApiVersion> {
        let release = self
            .package_version
            .as_deref()
            .or(self.engine_version.as_deref())?;
        match self.kind? {
            EngineKind::Docker => expected_api_version(release),
            EngineKind::Podman => expected_podman_api_version(release),
        }
    }

    pub fn docker(&self) -> Docker {
        let host =
            Host::parse(&self.docker_host).unwrap_or_else(|e| panic!("engine {}: {e}", self.name));
        Docker::connect(docker_engine_client::Config::new(host))
            .unwrap_or_else(|e| panic!("engine {}: {e}", self.name))
    }
}

const HOW: &str = "run the integration tests with `cargo xtask test` (it starts real engines), \
                   or set DEA_TEST_ENGINES=name=unix:///path/to/docker.sock to use your own daemon";

/// Every engine to test against. Panics (failing the test) when none is given.
pub fn engines() -> Vec<Engine> {
    let Some(spec) = std::env::var("DEA_TEST_ENGINES")
        .ok()
        .filter(|s| !s.trim().is_empty())
    else {
        panic!("no Docker engine to test against: DEA_TEST_ENGINES is not set; {HOW}");
    };
    let engines = parse_engines(&spec);
    assert!(
        !engines.is_empty(),
        "DEA_TEST_ENGINES=`{spec}` names no engine; {HOW}"
    );
    engines
}

fn parse_engines(spec: &str) -> Vec<Engine> {
    if spec.ends_with(".json") || Path::new(spec).is_file() {
        let text = std::fs::read_to_string(spec)
            .unwrap_or_else(|e| panic!("DEA_TEST_ENGINES={spec}: {e}; {HOW}"));
        return serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("DEA_TEST_ENGINES={spec}: {e}"));
    }
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            let (name, host) = entry
                .split_once('=')
                .unwrap_or_else(|| panic!("DEA_TEST_ENGINES entry `{entry}`: expected name=host"));
            Engine {
                name: name.to_string(),
                docker_host: host.to_string(),
                kind: None,
                package_version: None,
                engine_version: None,
                log: None,
            }
        })
        .collect()
}

/// The engine called `name` (`28`, `26`, `20`, `podman`). Panics when it was
/// not provided.
pub fn engine(name: &str) -> Engine {
    let all = engines();
    let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
    let found = all.iter().find(|e| e.name == name).cloned();
    found.unwrap_or_else(|| {
        panic!("this test needs engine `{name}`, DEA_TEST_ENGINES provides {names:?}; {HOW}")
    })
}

/// The Engine API version a Docker release serves, from Docker's release
/// notes: what the daemon *should* report, so tests check it rather than echo it.
pub fn expected_api_version(docker_version: &str) -> Option<ApiVersion> {
    let mut parts = docker_version.split(['.', '+', '-', '~']);
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    let api = match (major, minor) {
        (20, 10) => 41,
        (25, 0) => 44,
        (26, 0) => 44,
        (26, 1) => 45,
        (27, 0) => 46,
        (27, _) => 47,
        (28, 0) => 48,
        (28, 1) => 49,
        (28, 2) => 50,
        (28, 3..=5) => 51,
        (29, 0..=1) => 52,
        _ => return None,
    };
    Some(ApiVersion::new(1, api))
}

/// The Docker Engine API version a Podman release serves on its compatible
/// socket (the `Api-Version` of `/_ping`; `Libpod-Api-Version` is the
/// release itself). Podman 4.x answers 1.41.
pub fn expected_podman_api_version(podman_version: &str) -> Option<ApiVersion> {
    let major: u32 = podman_version
        .split(['.', '+', '-', '~'])
        .next()?
        .parse()
        .ok()?;
    match major {
        4 => Some(ApiVersion::new(1, 41)),
        _ => None,
    }
}

/// `cargo run --quiet --example NAME -- ARGS` in the facade's directory, with
/// its default features only (the invocation selects only the facade, so this
/// crate's `all-versions` cannot unify in; the shared target directory keeps
/// the two builds apart), against `engine`, with `env` added.
pub fn cargo_run_example(
    engine: &Engine,
    name: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let facade = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/docker-engine-client");
    std::process::Command::new(cargo)
        .current_dir(facade)
        .args(["run", "--quiet", "--example", name])
        .arg("--")
        .args(args)
        .env("DOCKER_HOST", &engine.docker_host)
        .env_remove("DOCKER_API_VERSION")
        .env_remove("DOCKER_CONTEXT")
        .envs(env.iter().copied())
        .output()
        .expect("run cargo")
}

/// A name no other test run uses.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "dea-{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Polls `probe` every 20 ms, for at most `tries` times, until `done` says
/// its value is the awaited one; returns the last value seen.
pub async fn poll_until<T, F, Fut>(tries: usize, mut probe: F, done: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut value = probe().await;
    for _ in 1..tries {
        if done(&value) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        value = probe().await;
    }
    value
}

/// Container output with consecutive pieces of one stream joined: what a
/// reader of each stream sees (the demultiplexer passes a frame on in pieces
/// as its bytes arrive, so one `echo` may come as several pieces).
pub fn joined(
    pieces: Vec<docker_engine_client::LogOutput>,
) -> Vec<docker_engine_client::LogOutput> {
    use docker_engine_client::LogOutput;
    let mut out: Vec<(LogOutput, Vec<u8>)> = Vec::new();
    for piece in pieces {
        let same = out.last().is_some_and(|(last, _)| {
            std::mem::discriminant(last) == std::mem::discriminant(&piece)
        });
        if same {
            out.last_mut().unwrap().1.extend_from_slice(piece.bytes());
        } else {
            let bytes = piece.bytes().to_vec();
            out.push((piece, bytes));
        }
    }
    out.into_iter()
        .map(|(kind, bytes)| {
            let bytes = bytes::Bytes::from(bytes);
            match kind {
                LogOutput::StdIn(_) => LogOutput::StdIn(bytes),
                LogOutput::StdOut(_) => LogOutput::StdOut(bytes),
                LogOutput::StdErr(_) => LogOutput::StdErr(bytes),
                LogOutput::Console(_) => LogOutput::Console(bytes),
            }
        })
        .collect()
}

/// Reads a stream to its end; returns the last item.
pub async fn last_item<S: futures_util::Stream + Unpin>(mut stream: S) -> Option<S::Item> {
    use futures_util::StreamExt;
    let mut last = None;
    while let Some(item) = stream.next().await {
        last = Some(item);
    }
    last
}

/// Runs a test body for every engine, naming the engine in any failure.
pub async fn for_each_engine<F, Fut>(test: F)
where
    F: Fn(Engine) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for engine in engines() {
        test(engine).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_inline_engine_lists() {
        let e = parse_engines("a=unix:///x.sock, b=tcp://127.0.0.1:2375");
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[1].name.as_str(), e[1].docker_host.as_str()),
            ("b", "tcp://127.0.0.1:2375")
        );
    }

    #[test]
    fn api_versions_of_docker_releases() {
        assert_eq!(
            expected_api_version("28.5.2+dfsg3-2"),
            Some(ApiVersion::new(1, 51))
        );
        assert_eq!(
            expected_api_version("26.1.5+dfsg1-9+b11"),
            Some(ApiVersion::new(1, 45))
        );
        assert_eq!(
            expected_api_version("20.10.24+dfsg1-1+deb12u1+b6"),
            Some(ApiVersion::new(1, 41))
        );
        assert_eq!(expected_api_version("20.9.0"), None);
        assert_eq!(expected_api_version("1.2"), None);
    }

    #[test]
    fn api_versions_of_podman_releases() {
        assert_eq!(
            expected_podman_api_version("4.3.1+ds1-8+deb12u1+b3"),
            Some(ApiVersion::new(1, 41))
        );
        assert_eq!(
            expected_podman_api_version("4.3.1"),
            Some(ApiVersion::new(1, 41))
        );
        assert_eq!(expected_podman_api_version("3.0.1"), None);
        assert_eq!(expected_podman_api_version("x"), None);
    }

    /// What `cargo xtask engine up` writes: a Docker and a Podman engine.
    const ENGINES_JSON: &str = r#"[
      {"name": "20", "kind": "docker",
       "docker_host": "unix:///w/target/engines/20/docker.sock",
       "package_version": "20.10.24+dfsg1-1+deb12u1+b6", "engine_version": "20.10.24+dfsg1",
       "api_version": "1.41", "min_api_version": "1.12", "pid": 2, "containerd_pid": 1,
       "log": "/w/target/engines/20/dockerd.log",
       "containerd_log": "/w/target/engines/20/containerd.log"},
      {"name": "podman", "kind": "podman",
       "docker_host": "unix:///w/target/engines/podman/podman.sock",
       "package_version": "4.3.1+ds1-8+deb12u1+b3", "engine_version": "4.3.1",
       "api_version": "1.41", "min_api_version": "1.24", "pid": 3,
       "log": "/w/target/engines/podman/podman.log"}
    ]"#;

    #[test]
    fn reads_kind_and_release_from_engines_json() {
        let dir = std::env::temp_dir().join(format!("dea-engines-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("engines.json");
        std::fs::write(&file, ENGINES_JSON).unwrap();
        let engines = parse_engines(file.to_str().unwrap());
        std::fs::remove_dir_all(&dir).unwrap();

        let (docker, podman) = (&engines[0], &engines[1]);
        assert_eq!(docker.kind, Some(EngineKind::Docker));
        assert!(!docker.is_podman());
        assert_eq!(docker.engine_version.as_deref(), Some("20.10.24+dfsg1"));
        assert_eq!(docker.expected_api_version(), Some(ApiVersion::new(1, 41)));
        assert_eq!(podman.kind, Some(EngineKind::Podman));
        assert!(podman.is_podman());
        assert_eq!(podman.engine_version.as_deref(), Some("4.3.1"));
        assert_eq!(podman.expected_api_version(), Some(ApiVersion::new(1, 41)));
        assert_eq!(
            podman.log.as_deref(),
            Some(Path::new("/w/target/engines/podman/podman.log"))
        );
    }

    #[test]
    fn hand_written_entries_have_no_kind_or_release() {
        let e = &parse_engines("mine=unix:///var/run/docker.sock")[0];
        assert_eq!((e.kind, e.engine_version.as_deref()), (None, None));
        assert!(!e.is_podman());
        assert_eq!(e.expected_api_version(), None);
        // An engines.json written before `kind` existed still parses.
        let old: Vec<Engine> = serde_json::from_str(
            r#"[{"name": "28", "docker_host": "unix:///x.sock", "package_version": "28.5.2+dfsg4-5"}]"#,
        )
        .unwrap();
        assert_eq!(old[0].kind, None);
    }
}
