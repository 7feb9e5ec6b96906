//! Against dockerds of the test's own (see `private_daemon.rs`): a TLS engine
//! with certificates the test makes, and daemons killed in the middle of a
//! stream, which must end every stream with an error in bounded time and
//! leave no task behind.

use std::path::Path;
use std::time::Duration;

use docker_engine_api_tests::private_daemon::PrivateDaemon;
use docker_engine_api_tests::{BASE_IMAGE, engine, last_item, poll_until};
use docker_engine_client::{
    AttachOptions, ByteStreamExt, Config, Docker, ErrorKind, LogOutput, ResponseExt, TlsSettings,
    body_from_reader, latest,
};
use futures_util::StreamExt;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};
use tokio::io::AsyncWriteExt;

/// A bound on how long anything may take once the daemon is gone.
const BOUNDED: Duration = Duration::from_secs(15);

struct Pki {
    ca_pem: String,
    server: (String, String),
    client: (String, String),
}

fn make_pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "dea test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let mut server_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = server_params.signed_by(&server_key, &ca).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "dea test client");
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = client_params.signed_by(&client_key, &ca).unwrap();

    Pki {
        ca_pem: ca.pem(),
        server: (server.pem(), server_key.serialize_pem()),
        client: (client.pem(), client_key.serialize_pem()),
    }
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_tls_engine_with_client_certificates() {
    let pki = make_pki();
    let wrong = make_pki();
    let port = free_port();
    let scratch = std::env::temp_dir().join(format!("dea-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let server_dir = scratch.join("server");
    write(
        &server_dir,
        &[
            ("ca.pem", &pki.ca_pem),
            ("cert.pem", &pki.server.0),
            ("key.pem", &pki.server.1),
        ],
    );
    let arg = |name: &str| server_dir.join(name).display().to_string();
    let daemon = PrivateDaemon::start(
        &engine("28"),
        &[
            "--tlsverify".into(),
            format!("--tlscacert={}", arg("ca.pem")),
            format!("--tlscert={}", arg("cert.pem")),
            format!("--tlskey={}", arg("key.pem")),
            "-H".into(),
            format!("tcp://127.0.0.1:{port}"),
        ],
    )
    .await;

    // The Docker conventions: DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH.
    let client_dir = scratch.join("client");
    write(
        &client_dir,
        &[
            ("ca.pem", &pki.ca_pem),
            ("cert.pem", &pki.client.0),
            ("key.pem", &pki.client.1),
        ],
    );
    let env = |dir: &Path| {
        let dir = dir.display().to_string();
        move |var: &str| match var {
            "DOCKER_HOST" => Some(format!("tcp://127.0.0.1:{port}")),
            "DOCKER_TLS_VERIFY" => Some("1".to_string()),
            "DOCKER_CERT_PATH" => Some(dir.clone()),
            _ => None,
        }
    };
    let docker = Docker::connect(Config::from_lookup(&env(&client_dir), None).unwrap()).unwrap();
    let negotiated = docker
        .negotiate()
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", daemon.log_tail()));
    assert_eq!(negotiated.daemon_max.unwrap().to_string(), "1.51");
    let api = docker.latest().await.unwrap();
    let version = api.system_version().send().await.unwrap().into_inner();
    assert_eq!(version.api_version.as_deref(), Some("1.51"));

    // A CA that did not sign the daemon's certificate: refused, clearly.
    let wrong_dir = scratch.join("wrong-ca");
    write(
        &wrong_dir,
        &[
            ("ca.pem", &wrong.ca_pem),
            ("cert.pem", &pki.client.0),
            ("key.pem", &pki.client.1),
        ],
    );
    let docker = Docker::connect(Config::from_lookup(&env(&wrong_dir), None).unwrap()).unwrap();
    let err = docker.negotiate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );

    // No client certificate: the daemon refuses the handshake.
    let mut config = Config::from_lookup(&env(&client_dir), None).unwrap();
    config.tls = Some(TlsSettings {
        ca: Some(client_dir.join("ca.pem")),
        client_cert: None,
        verify: true,
    });
    let err = Docker::connect(config)
        .unwrap()
        .negotiate()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");

    // Verification is on: a plain-HTTP client is refused too.
    let plain = Docker::connect(Config::new(docker_engine_client::Host::Tcp {
        host: "127.0.0.1".into(),
        port,
        tls: false,
    }))
    .unwrap();
    assert!(plain.negotiate().await.is_err());
    drop(daemon);
    let _ = std::fs::remove_dir_all(&scratch);
}

/// Copies the base image from engine 28 into a private daemon, streaming.
async fn copy_base_image(to: &Docker) {
    let from = engine("28").docker().latest().await.unwrap();
    let tar = from
        .image_get()
        .name(BASE_IMAGE)
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_async_read();
    let api = to.latest().await.unwrap();
    let mut progress = api
        .image_load()
        .quiet(true)
        .body(body_from_reader(tar))
        .send()
        .await
        .unwrap()
        .into_inner()
        .json_lines::<serde_json::Value>();
    while let Some(line) = progress.next().await {
        line.unwrap();
    }
}

async fn start_container(api: &latest::Client, cmd: &[&str], stdin: bool) -> String {
    let body = latest::types::ContainerCreateBody {
        image: Some(BASE_IMAGE.into()),
        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
        open_stdin: Some(stdin),
        attach_stdin: Some(stdin),
        host_config: Some(latest::types::HostConfig {
            network_mode: Some("none".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    api.container_create()
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner()
        .id
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

async fn assert_no_task_left(baseline: usize) {
    let alive = poll_until(250, || async { alive_tasks() }, |n| *n <= baseline).await;
    assert!(alive <= baseline, "{alive} tasks alive, {baseline} before");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_end_with_an_error_when_the_daemon_dies() {
    let baseline = alive_tasks();
    let mut daemon = PrivateDaemon::start(&engine("28"), &[]).await;
    let docker = daemon.docker();
    copy_base_image(&docker).await;
    let api = docker.latest().await.unwrap();

    // A follow of logs, an events stream, an attach, an import in progress.
    let ticker = start_container(
        &api,
        &["sh", "-c", "while true; do echo tick; sleep 0.05; done"],
        false,
    )
    .await;
    api.container_start().id(&ticker).send().await.unwrap();
    let mut logs = api
        .container_logs()
        .id(&ticker)
        .follow(true)
        .stdout(true)
        .send()
        .await
        .unwrap()
        .output();
    let first = tokio::time::timeout(BOUNDED, logs.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        first,
        LogOutput::StdOut(bytes::Bytes::from_static(b"tick\n"))
    );

    let mut events = api
        .system_events()
        .send()
        .await
        .unwrap()
        .into_inner()
        .json_lines::<serde_json::Value>();

    let cat = start_container(&api, &["cat"], true).await;
    let mut attached = docker
        .attach(&cat, &AttachOptions::default())
        .await
        .unwrap();
    api.container_start().id(&cat).send().await.unwrap();
    attached.stdin.write_all(b"echo\n").await.unwrap();
    let echoed = tokio::time::timeout(BOUNDED, attached.output.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        echoed,
        LogOutput::StdOut(bytes::Bytes::from_static(b"echo\n"))
    );

    let (slow_writer, slow_reader) = tokio::io::duplex(64 * 1024);
    let import = {
        let api = api.clone();
        tokio::spawn(async move {
            api.image_create()
                .from_src("-")
                .repo("dea-slow-import")
                .body(body_from_reader(slow_reader))
                .send()
                .await
                .map(drop)
        })
    };
    let feeder = tokio::spawn(async move {
        let mut w = slow_writer;
        let chunk = vec![0u8; 4096];
        // A tar that never ends: the daemon is killed while it still reads.
        while w.write_all(&chunk).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;

    daemon.kill_dockerd();

    // Logs: the chunked body is cut off: an error, not a quiet end.
    let rest = tokio::time::timeout(BOUNDED, last_item(&mut logs))
        .await
        .expect("the logs stream ends in bounded time");
    let err = rest.expect("an item").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "logs: {err}");

    let end = tokio::time::timeout(BOUNDED, last_item(&mut events))
        .await
        .expect("the events stream ends in bounded time");
    let err = end.expect("an item").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "events: {err}");

    // Attach: a raw stream has no framing to cut off, so it ends; writing to
    // the dead connection fails.
    tokio::time::timeout(BOUNDED, async {
        while attached.output.next().await.is_some() {}
    })
    .await
    .expect("the attach stream ends in bounded time");
    let mut write_failed = false;
    for _ in 0..50 {
        if attached.stdin.write_all(b"more\n").await.is_err()
            || attached.stdin.flush().await.is_err()
        {
            write_failed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(write_failed, "writing to a dead daemon's connection fails");

    let imported = tokio::time::timeout(BOUNDED, import)
        .await
        .expect("the import ends in bounded time")
        .unwrap();
    let err = docker_engine_client::Error::from(imported.unwrap_err());
    assert!(matches!(err.kind(), ErrorKind::Connection), "import: {err}");
    feeder.abort();

    // Later calls: a clear error naming the socket.
    let err = docker.renegotiate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(err.to_string().contains(&daemon.unix_host), "{err}");

    drop((logs, events, attached));
    drop(docker);
    drop(api);
    assert_no_task_left(baseline).await;

    // Nothing of the daemon outlives it: not its containerd, not the shims
    // of the two containers still running when dockerd was killed, not the
    // containers' processes.
    let dir = daemon.dir().to_path_buf();
    assert!(
        !docker_engine_api_tests::private_daemon::processes_of(&dir).is_empty(),
        "the shims of the running containers are found by their directory"
    );
    drop(daemon);
    let left = docker_engine_api_tests::private_daemon::processes_of(&dir);
    assert!(left.is_empty(), "processes left after the daemon: {left:?}");
}
