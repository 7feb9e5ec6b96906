//! `ssh://` hosts through a real OpenSSH server (`src/sshd.rs`) in front of
//! engine 28: the seed scenario, a stream, a hijacked exec with stdin
//! half-close, what is left after the last `Docker` is dropped, and the
//! errors of a refused key, an unknown host key, a closed port and a server
//! that never speaks.
//!
//! The tests run one at a time (`SERIAL`): the leak checks look at every
//! ssh process of this test process.

use std::time::{Duration, Instant};

use bytes::Bytes;
use docker_engine_api_tests::sshd::{ClientSetup, Sshd, free_port, ssh_processes_for};
use docker_engine_api_tests::{BASE_IMAGE, engine, joined, unique_name};
use docker_engine_client::{
    Config, Docker, ErrorKind, ExecStartOptions, Host, LogOutput, latest, prelude::*,
};
use tokio::io::AsyncWriteExt;

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A `Docker` for `host` as `DOCKER_HOST` names it, with the test's ssh options.
fn docker_via(host: &str, options: Vec<String>, connect_timeout: Duration) -> Docker {
    let host = host.to_string();
    let mut config =
        Config::from_lookup(&|name| (name == "DOCKER_HOST").then(|| host.clone()), None)
            .expect("DOCKER_HOST=ssh://… parses");
    assert!(matches!(config.host, Host::Ssh(_)), "{:?}", config.host);
    config.ssh_options = options;
    config.connect_timeout = Some(connect_timeout);
    Docker::connect(config).expect("connect is synchronous and sends nothing")
}

async fn output_of(
    stream: impl futures_util::Stream<Item = Result<LogOutput, docker_engine_client::Error>>,
) -> Vec<LogOutput> {
    let items: Vec<_> = stream.collect().await;
    joined(
        items
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("output stream"),
    )
}

fn out(text: &'static [u8]) -> LogOutput {
    LogOutput::StdOut(Bytes::from_static(text))
}

async fn create(api: &latest::Client, cmd: &[&str]) -> String {
    let body = latest::types::ContainerCreateBody {
        image: Some(BASE_IMAGE.into()),
        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
        host_config: Some(latest::types::HostConfig {
            network_mode: Some("none".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    api.container_create()
        .name(unique_name("ssh"))
        .body(body)
        .send()
        .await
        .expect("create container over ssh")
        .into_inner()
        .id
}

/// Polls `probe` for up to 5 s until it is empty; returns what is left.
async fn settles(probe: impl Fn() -> Vec<String>) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = probe();
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn bridge_dirs() -> Vec<String> {
    let prefix = format!("dea-ssh-{}-", std::process::id());
    let mut dirs = Vec::new();
    for base in [std::env::temp_dir(), "/tmp".into()] {
        for entry in std::fs::read_dir(base).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                dirs.push(entry.path().display().to_string());
            }
        }
    }
    dirs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_scenario_stream_and_hijacked_exec_through_sshd() {
    let _serial = SERIAL.lock().await;
    let engine = engine("28");
    let sshd = Sshd::start(&engine);
    let docker = docker_via(
        &sshd.host(),
        sshd.ssh_options(ClientSetup::Authorized),
        Duration::from_secs(10),
    );
    let started = Instant::now();
    let api = docker
        .latest()
        .await
        .unwrap_or_else(|e| panic!("negotiation over ssh: {e}\nsshd log:\n{}", sshd.log()));
    let version = docker.negotiate().await.unwrap();
    assert_eq!(
        version.daemon_max.map(|v| v.to_string()).as_deref(),
        Some("1.51"),
        "the daemon behind sshd is engine 28"
    );

    // The seed scenario.
    let id = create(&api, &["echo", "hello world"]).await;
    api.container_start().id(&id).send().await.unwrap();
    let waited = api
        .container_wait()
        .id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(waited.status_code, 0);
    let logs = api
        .container_logs()
        .id(&id)
        .stdout(true)
        .stderr(true)
        .send()
        .await
        .unwrap();
    assert_eq!(output_of(logs.output()).await, vec![out(b"hello world\n")]);
    api.container_delete()
        .id(&id)
        .force(true)
        .send()
        .await
        .unwrap();

    // A stream: `logs -f` of a container that writes, pauses, writes, exits.
    let id = create(&api, &["sh", "-c", "echo one; sleep 1; echo two"]).await;
    api.container_start().id(&id).send().await.unwrap();
    let follow = api
        .container_logs()
        .id(&id)
        .follow(true)
        .stdout(true)
        .send()
        .await
        .unwrap();
    let followed = tokio::time::timeout(Duration::from_secs(30), output_of(follow.output()))
        .await
        .expect("logs -f over ssh ends when the container does");
    assert_eq!(followed, vec![out(b"one\ntwo\n")]);
    api.container_delete()
        .id(&id)
        .force(true)
        .send()
        .await
        .unwrap();

    // A hijacked exec: stdin written, half-closed, seen as end-of-file.
    let id = create(&api, &["sleep", "300"]).await;
    api.container_start().id(&id).send().await.unwrap();
    let exec = api
        .container_exec()
        .id(&id)
        .body(latest::types::ExecConfig {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(vec!["sh".into(), "-c".into(), "cat; echo done >&2".into()]),
            ..Default::default()
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let mut session = docker
        .exec_start(&exec.id, &ExecStartOptions::default())
        .await
        .expect("hijacked exec over ssh");
    session.stdin.write_all(b"ping\n").await.unwrap();
    session.stdin.close().await.unwrap();
    let mut got = tokio::time::timeout(Duration::from_secs(30), output_of(session.output))
        .await
        .expect("the exec saw end-of-file through ssh and ended");
    got.sort_by_key(|chunk| matches!(chunk, LogOutput::StdErr(_)));
    assert_eq!(
        got,
        vec![
            out(b"ping\n"),
            LogOutput::StdErr(Bytes::from_static(b"done\n"))
        ]
    );
    api.container_delete()
        .id(&id)
        .force(true)
        .send()
        .await
        .unwrap();
    eprintln!("scenario through sshd: {:?}", started.elapsed());

    // Pooled connections keep their ssh process until the last clone goes.
    assert!(
        !ssh_processes_for(sshd.port).is_empty(),
        "a pooled connection is an ssh process"
    );
    let clone = docker.clone();
    drop(docker);
    drop(api);
    clone.ping().await.expect("a clone keeps the bridge");
    drop(clone);
    let left = settles(|| ssh_processes_for(sshd.port)).await;
    assert!(left.is_empty(), "ssh processes left: {left:?}");
    assert!(
        bridge_dirs().is_empty(),
        "bridge sockets left: {:?}",
        bridge_dirs()
    );
    let sessions = settles(|| sshd.sessions()).await;
    assert!(sessions.is_empty(), "sshd sessions left: {sessions:?}");
}

#[tokio::test]
async fn ssh_failures_say_what_ssh_said() {
    let _serial = SERIAL.lock().await;
    let engine = engine("28");
    let sshd = Sshd::start(&engine);

    // A key the server does not authorize.
    let docker = docker_via(
        &sshd.host(),
        sshd.ssh_options(ClientSetup::StrangerKey),
        Duration::from_secs(10),
    );
    let err = docker.ping().await.expect_err("a refused key fails");
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(
        err.message().contains("Permission denied (publickey)"),
        "{err}"
    );
    assert!(err.to_string().contains(&sshd.host()), "{err}");
    assert_eq!(err.status(), None, "not an HTTP status: {err}");
    // The same through a generated operation (a pinned version: no ping).
    let mut config = Config::new(Host::parse(&sshd.host()).unwrap());
    config.ssh_options = sshd.ssh_options(ClientSetup::StrangerKey);
    config.api_version = Some("1.51".parse().unwrap());
    let pinned = Docker::connect(config).unwrap();
    let api = pinned.latest().await.unwrap();
    let err: docker_engine_client::Error = api.system_info().send().await.unwrap_err().into();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(
        err.message().contains("Permission denied (publickey)"),
        "{err}"
    );
    assert_eq!(err.status(), None, "{err}");
    drop((api, pinned, docker));

    // A host key not in known hosts.
    let docker = docker_via(
        &sshd.host(),
        sshd.ssh_options(ClientSetup::UnknownHost),
        Duration::from_secs(10),
    );
    let err = docker.ping().await.expect_err("an unknown host key fails");
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(
        err.message().contains("Host key verification failed"),
        "{err}"
    );
    drop(docker);

    let left = settles(|| ssh_processes_for(sshd.port)).await;
    assert!(left.is_empty(), "ssh processes left: {left:?}");
}

#[test]
fn unreachable_hosts_fail_within_the_connect_timeout() {
    let _serial = SERIAL.blocking_lock();
    // Connected outside any runtime: the bridge has its own.
    let closed = free_port();
    let refused = docker_via(
        &format!("ssh://nobody@127.0.0.1:{closed}"),
        vec![],
        Duration::from_secs(5),
    );
    // A server that accepts TCP and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let mute = docker_via(
        &format!("ssh://nobody@127.0.0.1:{silent_port}"),
        vec![],
        Duration::from_secs(1),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let err = refused.ping().await.expect_err("nothing listens there");
        assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
        assert!(err.message().contains("Connection refused"), "{err}");
        assert!(err.message().contains("status 255"), "{err}");

        let started = Instant::now();
        let err = mute.ping().await.expect_err("a mute server times out");
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(err.message().contains("timed out"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "bounded by ConnectTimeout=1: {:?}",
            started.elapsed()
        );
    });
    drop((refused, mute, silent));
    assert!(
        bridge_dirs().is_empty(),
        "bridge sockets left: {:?}",
        bridge_dirs()
    );
}
