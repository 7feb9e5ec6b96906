//! Failure behaviour: every way of not reaching a daemon gives a clear error
//! in bounded time; many requests leave no file descriptor behind; dropping a
//! stream closes its connection, and the engine sees it.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use docker_engine_api_tests::{engine, poll_until};
use docker_engine_client::{ByteStreamExt, Config, Docker, ErrorKind, Host, latest};
use futures_util::StreamExt;

fn tcp(port: u16) -> Host {
    Host::Tcp {
        host: "127.0.0.1".into(),
        port,
        tls: false,
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test]
async fn connection_refused_names_the_host() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The listener is gone: nothing listens on the port any more.
    let docker = Docker::connect(Config::new(tcp(port))).unwrap();
    let started = Instant::now();
    let err = docker.negotiate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(
        err.to_string().contains(&format!("tcp://127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.to_string().to_lowercase().contains("refused"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_missing_socket_names_the_path() {
    let docker = Docker::connect(Config::new(Host::Unix(
        "/nonexistent/dea/docker.sock".into(),
    )))
    .unwrap();
    let err = docker.negotiate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(
        err.to_string()
            .contains("unix:///nonexistent/dea/docker.sock"),
        "{err}"
    );
    assert!(err.to_string().contains("No such file"), "{err}");
}

#[test]
fn a_socket_without_permission_is_a_clear_error() {
    // Root may connect to any socket: the probe runs as `nobody`.
    let dir = std::env::temp_dir().join(format!("dea-perm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let socket = dir.join("docker.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dea-probe"))
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .env_remove("DOCKER_API_VERSION")
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_CONFIG", &dir)
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.starts_with("error Connection"), "{said}");
    assert!(said.contains("Permission denied"), "{said}");
    assert!(said.contains(&socket.display().to_string()), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}

use std::os::unix::process::CommandExt;

#[tokio::test]
async fn a_host_that_accepts_and_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn); // accepted, never answered
        }
    });
    let mut config = Config::new(tcp(port));
    config.read_timeout = Some(Duration::from_millis(800));
    let docker = Docker::connect(config).unwrap();
    let started = Instant::now();
    let err = docker.negotiate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    hold.abort();
}

#[tokio::test]
async fn a_host_that_never_accepts_hits_the_connect_timeout() {
    // A listener whose accept queue is full: the kernel drops further SYNs,
    // so a new connection attempt hangs in connect.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(s);
        }
    }
    let mut config = Config::new(tcp(addr.port()));
    config.connect_timeout = Some(Duration::from_millis(700));
    let docker = Docker::connect(config).unwrap();
    let started = Instant::now();
    let err = docker.negotiate().await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Timeout | ErrorKind::Connection),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        err.to_string().to_lowercase().contains("timed out") || err.kind() == ErrorKind::Timeout,
        "{err}"
    );
    drop(listener);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_requests_leave_no_file_descriptor_behind() {
    let engine = engine("28");
    let before = open_fds();
    {
        let docker = engine.docker();
        for _ in 0..10_000 {
            docker.ping().await.unwrap();
        }
        let sequential = open_fds();
        assert!(
            sequential <= before + 4,
            "10,000 sequential pings: {before} → {sequential} fds"
        );

        let api = docker.latest().await.unwrap();
        let calls = (0..1_000).map(|_| {
            let api = api.clone();
            async move { api.system_ping().send().await.map(drop) }
        });
        let results = futures_util::future::join_all(calls).await;
        assert!(results.iter().all(Result::is_ok), "1,000 concurrent pings");
    }
    // The pool went with the last handle; give the runtime a moment to close.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = open_fds();
    assert!(after <= before + 4, "{before} fds before, {after} after");
}

/// `NEventsListener` of `/info`: how many event streams the daemon serves.
async fn event_listeners(api: &latest::Client) -> i64 {
    api.system_info()
        .send()
        .await
        .unwrap()
        .into_inner()
        .n_events_listener
        .unwrap_or(-1)
}

#[tokio::test]
async fn dropping_a_stream_closes_its_connection() {
    let docker = engine("28").docker();
    let api = docker.latest().await.unwrap();
    let baseline = event_listeners(&api).await;
    let events = api
        .system_events()
        .send()
        .await
        .unwrap()
        .into_inner()
        .json_lines::<serde_json::Value>();
    let listening = poll_until(50, || event_listeners(&api), |n| *n > baseline).await;
    assert_eq!(
        listening,
        baseline + 1,
        "the daemon serves our event stream"
    );
    drop(events);
    let after = poll_until(100, || event_listeners(&api), |n| *n == baseline).await;
    assert_eq!(after, baseline, "the daemon saw the stream close");

    // A stream dropped in the middle of being read, too.
    let mut events = api
        .system_events()
        .send()
        .await
        .unwrap()
        .into_inner()
        .json_lines::<serde_json::Value>();
    let pending = tokio::time::timeout(Duration::from_millis(200), events.next()).await;
    assert!(pending.is_err(), "no event yet: the read is pending");
    drop(events);
    let after = poll_until(100, || event_listeners(&api), |n| *n == baseline).await;
    assert_eq!(after, baseline);
}
