//! The facade against real engines: negotiation, typed decoding with every
//! compiled-in version, streams, hijacked connections, archives, errors.

use std::time::Duration;

use bytes::Bytes;
use docker_engine_api_tests::{BASE_IMAGE, engines, unique_name};
use docker_engine_client::{
    ApiVersion, AttachOptions, ByteStreamExt, COMPILED, Config, Docker, ErrorKind,
    ExecStartOptions, Filters, LogOutput, ResponseExt, latest, with_api,
};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

/// Creates a container of the base image (no network) running `cmd`.
async fn create(
    api: &latest::Client,
    cmd: &[&str],
    tweak: impl FnOnce(&mut latest::types::ContainerCreateBody),
) -> String {
    let mut body = latest::types::ContainerCreateBody {
        image: Some(BASE_IMAGE.into()),
        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
        host_config: Some(latest::types::HostConfig {
            network_mode: Some("none".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    tweak(&mut body);
    let created = api
        .container_create()
        .name(unique_name("c"))
        .body(body)
        .send()
        .await
        .expect("create container")
        .into_inner();
    created.id
}

async fn remove(api: &latest::Client, id: &str) {
    let _ = api.container_delete().id(id).force(true).send().await;
}

async fn output_of(
    stream: impl futures_util::Stream<Item = Result<LogOutput, docker_engine_client::Error>>,
) -> Vec<LogOutput> {
    let items: Vec<_> = stream.collect().await;
    docker_engine_api_tests::joined(
        items
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("output stream"),
    )
}

#[tokio::test]
async fn a_pinned_version_is_used_as_is_and_its_prefix_reaches_the_daemon() {
    // The oldest compiled-in version: every engine serves it.
    let oldest = COMPILED[0];
    for engine in engines() {
        let lookup = |var: &str| match var {
            "DOCKER_HOST" => Some(engine.docker_host.clone()),
            "DOCKER_API_VERSION" => Some(oldest.to_string()),
            _ => None,
        };
        let docker = Docker::connect(Config::from_lookup(&lookup, None).unwrap()).unwrap();
        let negotiated = docker.negotiate().await.unwrap();
        assert_eq!(negotiated.version, oldest, "engine {}", engine.name);
        assert!(negotiated.exact(), "engine {}", engine.name);
        assert_eq!(negotiated.daemon_max, None, "pinned: no ping");
        let client = docker.client().await.unwrap();
        assert_eq!(client.version(), oldest);
        with_api!(&client, |c, api| {
            c.system_info()
                .send()
                .await
                .expect("info with the oldest version's prefix");
        });

        // The prefix really reaches the daemon: a pin above what it serves is
        // refused by the daemon itself, with the typed error.
        let max: ApiVersion = engine
            .docker()
            .ping()
            .await
            .unwrap()
            .api_version
            .unwrap()
            .parse()
            .unwrap();
        let too_new = COMPILED.iter().copied().find(|v| *v > max);
        if let Some(too_new) = too_new {
            let lookup = |var: &str| match var {
                "DOCKER_HOST" => Some(engine.docker_host.clone()),
                "DOCKER_API_VERSION" => Some(too_new.to_string()),
                _ => None,
            };
            let docker = Docker::connect(Config::from_lookup(&lookup, None).unwrap()).unwrap();
            let client = docker.client().await.unwrap();
            let answer = with_api!(&client, |c, api| {
                c.system_info()
                    .send()
                    .await
                    .map(drop)
                    .map_err(docker_engine_client::Error::from)
            });
            if engine.is_podman() {
                // Podman does not check the prefix: any version is answered
                // (README, compatibility table).
                assert!(answer.is_ok(), "engine {}: {answer:?}", engine.name);
                continue;
            }
            let err = answer.unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::VersionTooNew,
                "engine {}: {err}",
                engine.name
            );
            assert_eq!(err.status(), Some(400));
            assert!(err.message().contains(&too_new.to_string()), "{err}");
        }
    }
}

#[tokio::test]
async fn version_accessors_refuse_versions_the_daemon_does_not_serve() {
    let engine = docker_engine_api_tests::engine("26");
    let docker = engine.docker();
    let err = docker.v1_47().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::VersionTooNew);
    assert!(
        err.message().contains("1.47") && err.message().contains("1.45"),
        "{err}"
    );
    assert!(docker.v1_45().await.is_ok());
    let err = docker.client_for(ApiVersion::new(1, 52)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::VersionTooNew);
}

#[tokio::test]
async fn every_compiled_version_the_daemon_serves_decodes_the_common_reads() {
    for engine in engines() {
        let docker = engine.docker();
        let max = docker.negotiate().await.unwrap().daemon_max.unwrap();
        let base = docker.latest().await.unwrap();
        // Something to list and inspect: a container, a volume.
        let container = create(&base, &["true"], |b| {
            b.labels = Some(
                [("dea.test".to_string(), "reads".to_string())]
                    .into_iter()
                    .collect(),
            );
        })
        .await;
        let volume = unique_name("vol");
        base.volume_create()
            .body(latest::types::VolumeCreateRequest {
                name: Some(volume.clone()),
                ..Default::default()
            })
            .send()
            .await
            .unwrap();
        // A network of our own: the built-in ones differ between engines
        // (Podman lists no `none` network).
        let network_name = unique_name("net");
        let network = base
            .network_create()
            .body(
                serde_json::from_value::<latest::types::NetworkCreateRequest>(
                    serde_json::json!({ "Name": network_name }),
                )
                .unwrap(),
            )
            .send()
            .await
            .unwrap()
            .into_inner()
            .id;

        let mut checked = Vec::new();
        for version in COMPILED.iter().copied().filter(|v| *v <= max) {
            let client = docker.client_for(version).await.unwrap();
            let result: Result<(), docker_engine_client::Error> =
                with_api!(&client, |c, api| async {
                    let containers = c.container_list().all(true).send().await?.into_inner();
                    assert!(
                        containers
                            .iter()
                            .any(|s| s.id.as_deref() == Some(container.as_str()))
                    );
                    let inspected = c
                        .container_inspect()
                        .id(&container)
                        .send()
                        .await?
                        .into_inner();
                    assert_eq!(inspected.id.as_deref(), Some(container.as_str()));
                    let images = c.image_list().send().await?.into_inner();
                    assert!(!images.is_empty());
                    c.image_inspect().name(BASE_IMAGE).send().await?;
                    let networks = c.network_list().send().await?.into_inner();
                    assert!(
                        networks
                            .iter()
                            .any(|n| n.name.as_deref() == Some(network_name.as_str()))
                    );
                    c.network_inspect().id(&network).send().await?;
                    let volumes = c.volume_list().send().await?.into_inner();
                    assert!(
                        volumes
                            .volumes
                            .unwrap_or_default()
                            .iter()
                            .any(|v| v.name == volume)
                    );
                    c.volume_inspect().name(&volume).send().await?;
                    c.system_info().send().await?;
                    c.system_version().send().await?;
                    c.system_data_usage().send().await?;
                    Ok(())
                }
                .await);
            result.unwrap_or_else(|e| panic!("engine {} with API v{version}: {e}", engine.name));
            checked.push(version);
        }
        remove(&base, &container).await;
        let _ = base.volume_delete().name(&volume).send().await;
        let _ = base.network_delete().id(&network).send().await;
        assert!(
            checked.first() == COMPILED.first() && checked.contains(&max),
            "engine {}: every version from the oldest compiled to the daemon's maximum: {checked:?}",
            engine.name
        );
    }
}

#[tokio::test]
async fn logs_demultiplex_interleaved_stdout_and_stderr() {
    for engine in engines() {
        let api = engine.docker().latest().await.unwrap();
        // stdout and stderr are separate pipes, copied by separate goroutines:
        // only writes apart in time have a defined order across the two.
        let script =
            "echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; echo out2; sleep 0.2; echo err2 >&2";
        let id = create(&api, &["sh", "-c", script], |_| {}).await;
        api.container_start().id(&id).send().await.unwrap();
        api.container_wait().id(&id).send().await.unwrap();
        let logs = api
            .container_logs()
            .id(&id)
            .stdout(true)
            .stderr(true)
            .send()
            .await
            .unwrap();
        let out = output_of(logs.output()).await;
        let b = |s: &'static str| Bytes::from_static(s.as_bytes());
        assert_eq!(
            out,
            vec![
                LogOutput::StdOut(b("out1\n")),
                LogOutput::StdErr(b("err1\n")),
                LogOutput::StdOut(b("out2\n")),
                LogOutput::StdErr(b("err2\n")),
            ],
            "engine {}",
            engine.name
        );

        // With a TTY the daemon sends raw bytes: one console stream.
        let tty = create(&api, &["sh", "-c", "echo out; echo err >&2"], |b| {
            b.tty = Some(true)
        })
        .await;
        api.container_start().id(&tty).send().await.unwrap();
        api.container_wait().id(&tty).send().await.unwrap();
        let logs = api
            .container_logs()
            .id(&tty)
            .stdout(true)
            .stderr(true)
            .send()
            .await
            .unwrap();
        let text: String = output_of(logs.output())
            .await
            .iter()
            .map(|o| {
                assert!(
                    matches!(o, LogOutput::Console(_)),
                    "engine {}: {o:?}",
                    engine.name
                );
                o.to_string()
            })
            .collect();
        assert_eq!(text, "out\r\nerr\r\n", "engine {}", engine.name);
        remove(&api, &id).await;
        remove(&api, &tty).await;
    }
}

/// Every line of each stream, in order: `1\n2\n…n\n`.
fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("{i}\n")).collect()
}

/// The test body runs in `block_on` of a multi-thread runtime, as a
/// `#[tokio::main]` function does: there a unix socket's answers are read in
/// `block_on` itself, driving their connection (the runtime's
/// `transport.rs`), and reqwest's through a task of their own (its
/// `hand_off.rs`); neither may lose, reorder or delay anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_read_from_a_multi_thread_main_are_complete_in_order_and_not_delayed() {
    for engine in engines() {
        let api = engine.docker().latest().await.unwrap();
        const LINES: usize = 60_000;
        let script = format!("seq 1 {LINES} & seq 1 {LINES} >&2; wait");
        let id = create(&api, &["sh", "-c", &script], |_| {}).await;
        api.container_start().id(&id).send().await.unwrap();
        api.container_wait().id(&id).send().await.unwrap();
        let mut logs = api
            .container_logs()
            .id(&id)
            .stdout(true)
            .stderr(true)
            .send()
            .await
            .unwrap()
            .output();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        while let Some(item) = logs.next().await {
            match item.unwrap() {
                LogOutput::StdOut(b) => out.extend_from_slice(&b),
                LogOutput::StdErr(b) => err.extend_from_slice(&b),
                other => panic!("engine {}: {other:?}", engine.name),
            }
        }
        let want = numbered(LINES);
        assert!(
            out == want.as_bytes(),
            "engine {}: stdout differs",
            engine.name
        );
        assert!(
            err == want.as_bytes(),
            "engine {}: stderr differs",
            engine.name
        );

        // A followed stream passes on what is there without waiting for more.
        let slow = create(&api, &["sh", "-c", "seq 1 3; sleep 3; seq 4 6"], |_| {}).await;
        api.container_start().id(&slow).send().await.unwrap();
        let started = std::time::Instant::now();
        let mut follow = api
            .container_logs()
            .id(&slow)
            .stdout(true)
            .follow(true)
            .send()
            .await
            .unwrap()
            .output();
        let mut seen = Vec::new();
        while seen.len() < numbered(3).len() {
            match follow.next().await {
                Some(Ok(LogOutput::StdOut(b))) => seen.extend_from_slice(&b),
                other => panic!("engine {}: {other:?}", engine.name),
            }
        }
        assert!(
            started.elapsed() < Duration::from_millis(2500),
            "engine {}: the first lines took {:?}",
            engine.name,
            started.elapsed()
        );
        while let Some(item) = follow.next().await {
            match item.unwrap() {
                LogOutput::StdOut(b) => seen.extend_from_slice(&b),
                other => panic!("engine {}: {other:?}", engine.name),
            }
        }
        assert_eq!(
            String::from_utf8_lossy(&seen),
            numbered(6),
            "engine {}",
            engine.name
        );
        remove(&api, &id).await;
        remove(&api, &slow).await;
    }
}

#[tokio::test]
async fn exec_with_stdin_sees_end_of_file_after_half_close() {
    for engine in engines() {
        let docker = engine.docker();
        let api = docker.latest().await.unwrap();
        let id = create(&api, &["sleep", "300"], |_| {}).await;
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
            .unwrap();
        session.stdin.write_all(b"ping\n").await.unwrap();
        session.stdin.close().await.unwrap();
        // `cat` ends only if it saw end-of-file; then the stream ends.
        let mut out = tokio::time::timeout(Duration::from_secs(30), output_of(session.output))
            .await
            .unwrap_or_else(|_| panic!("engine {}: exec did not see EOF", engine.name));
        // The daemon copies stdout and stderr from two pipes concurrently: the
        // frames of the two streams may arrive in either order.
        out.sort_by_key(|chunk| matches!(chunk, LogOutput::StdErr(_)));
        assert_eq!(
            out,
            vec![
                LogOutput::StdOut(Bytes::from_static(b"ping\n")),
                LogOutput::StdErr(Bytes::from_static(b"done\n"))
            ],
            "engine {}",
            engine.name
        );
        let inspected = api
            .exec_inspect()
            .id(&exec.id)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(inspected.exit_code, Some(0));
        remove(&api, &id).await;
    }
}

#[tokio::test]
async fn attach_to_stdin_and_stdout() {
    for engine in engines() {
        let docker = engine.docker();
        let api = docker.latest().await.unwrap();
        let id = create(&api, &["cat"], |b| {
            b.open_stdin = Some(true);
            b.stdin_once = Some(true);
            b.attach_stdin = Some(true);
        })
        .await;
        let mut session = docker.attach(&id, &AttachOptions::default()).await.unwrap();
        api.container_start().id(&id).send().await.unwrap();
        session
            .stdin
            .write_all(b"hello through attach\n")
            .await
            .unwrap();
        session.stdin.close().await.unwrap();
        let out = tokio::time::timeout(Duration::from_secs(30), output_of(session.output))
            .await
            .unwrap_or_else(|_| panic!("engine {}: attach did not end", engine.name));
        assert_eq!(
            out,
            vec![LogOutput::StdOut(Bytes::from_static(
                b"hello through attach\n"
            ))],
            "engine {}",
            engine.name
        );
        let waited = api
            .container_wait()
            .id(&id)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(waited.status_code, 0);
        remove(&api, &id).await;
    }
}

#[tokio::test]
async fn events_arrive_while_a_container_starts_and_stops() {
    for engine in engines() {
        let api = engine.docker().latest().await.unwrap();
        let id = create(&api, &["sleep", "300"], |_| {}).await;
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - 1;
        let events = api
            .system_events()
            .since(since.to_string())
            .filters(
                Filters::new()
                    .add("type", "container")
                    .add("container", id.clone()),
            )
            .send()
            .await
            .unwrap()
            .into_inner()
            .json_lines::<latest::stream_items::SystemEvents>();
        api.container_start().id(&id).send().await.unwrap();
        api.container_stop().id(&id).t(1).send().await.unwrap();
        // A stop is `kill`, `die`, `stop` on Docker; Podman reports `die`
        // and `cleanup` (README, compatibility table).
        let expected: &[&str] = if engine.is_podman() {
            &["start", "die", "cleanup"]
        } else {
            &["start", "kill", "die", "stop"]
        };
        let mut actions = Vec::new();
        let mut events = Box::pin(events);
        let collect = async {
            while let Some(event) = events.next().await {
                let event = event.expect("event decodes");
                let action = event.action.clone().unwrap_or_default();
                assert_eq!(
                    event.type_.as_ref().map(|t| t.to_string()).as_deref(),
                    Some("container")
                );
                assert_eq!(
                    event.actor.as_ref().and_then(|a| a.id.clone()).as_deref(),
                    Some(id.as_str())
                );
                actions.push(action);
                if expected.iter().all(|e| actions.iter().any(|a| a == e)) {
                    break;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), collect)
            .await
            .unwrap_or_else(|_| panic!("engine {}: no stop event", engine.name));
        for expected in expected {
            assert!(
                actions.iter().any(|a| a == expected),
                "engine {}: {expected} missing from {actions:?}",
                engine.name
            );
        }
        remove(&api, &id).await;
    }
}

#[tokio::test]
async fn archive_put_and_get_round_trip() {
    for engine in engines() {
        let api = engine.docker().latest().await.unwrap();
        let id = create(&api, &["true"], |_| {}).await;
        let content = b"round trip through the daemon\n".repeat(1000);
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, "greeting.txt", &content[..])
            .unwrap();
        let archive = builder.into_inner().unwrap();
        api.put_container_archive()
            .id(&id)
            .path("/tmp")
            .body(archive)
            .send()
            .await
            .unwrap();

        let response = api
            .container_archive()
            .id(&id)
            .path("/tmp/greeting.txt")
            .send()
            .await
            .unwrap();
        let mut reader = response.into_inner().into_async_read();
        let mut tar_bytes = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut tar_bytes)
            .await
            .unwrap();
        let mut archive = tar::Archive::new(&tar_bytes[..]);
        let mut entries = archive.entries().unwrap();
        let mut entry = entries.next().expect("one entry").unwrap();
        assert_eq!(entry.path().unwrap().to_str(), Some("greeting.txt"));
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut back).unwrap();
        assert_eq!(back, content, "engine {}", engine.name);
        remove(&api, &id).await;
    }
}

/// A generated call's error, passed up with `?` into `Box<dyn Error>`,
/// prints the daemon's message and the status, as the facade's does (rule
/// `errors_print_like_docker`), and no header.
#[tokio::test]
async fn generated_call_errors_print_like_the_facades() {
    async fn inspect_missing(
        api: &docker_engine_client::latest::Client,
    ) -> Result<(), Box<dyn std::error::Error>> {
        api.container_inspect()
            .id("dea-no-such-container")
            .send()
            .await?;
        Ok(())
    }
    for engine in engines() {
        let api = engine.docker().latest().await.unwrap();
        let boxed = inspect_missing(&api).await.unwrap_err().to_string();
        let facade = docker_engine_client::Error::from(
            api.container_inspect()
                .id("dea-no-such-container")
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(boxed, facade.to_string(), "engine {}", engine.name);
        assert!(
            boxed.ends_with(" (HTTP 404)") && boxed.contains("dea-no-such-container"),
            "engine {}: {boxed}",
            engine.name
        );
        if !engine.is_podman() {
            assert_eq!(boxed, "No such container: dea-no-such-container (HTTP 404)");
        }
        let debug = format!(
            "{:?}",
            api.container_inspect()
                .id("dea-no-such-container")
                .send()
                .await
                .unwrap_err()
        );
        assert!(
            debug.contains("404") && !debug.to_ascii_lowercase().contains("content-type"),
            "engine {}: {debug}",
            engine.name
        );
    }
}

#[tokio::test]
async fn typed_errors_for_not_found_conflict_and_not_modified() {
    for engine in engines() {
        let api = engine.docker().latest().await.unwrap();
        let missing = api
            .container_inspect()
            .id("dea-no-such-container")
            .send()
            .await
            .unwrap_err();
        let e = docker_engine_client::Error::from(missing);
        assert_eq!(
            (e.kind(), e.status()),
            (ErrorKind::NotFound, Some(404)),
            "engine {}: {e}",
            engine.name
        );
        assert!(e.message().contains("dea-no-such-container"), "{e}");

        let id = create(&api, &["sleep", "300"], |_| {}).await;
        api.container_start().id(&id).send().await.unwrap();
        let again = docker_engine_client::Error::from(
            api.container_start().id(&id).send().await.unwrap_err(),
        );
        assert_eq!(
            (again.kind(), again.status()),
            (ErrorKind::NotModified, Some(304)),
            "engine {}",
            engine.name
        );
        let running = docker_engine_client::Error::from(
            api.container_delete().id(&id).send().await.unwrap_err(),
        );
        // Podman answers 500 where Docker answers 409 (README, compatibility
        // table); the kind follows the status the daemon sent.
        let conflict = if engine.is_podman() {
            (ErrorKind::Server, Some(500))
        } else {
            (ErrorKind::Conflict, Some(409))
        };
        assert_eq!(
            (running.kind(), running.status()),
            conflict,
            "engine {}: {running}",
            engine.name
        );
        assert!(
            running.message().contains("running"),
            "engine {}: the daemon's message: {running}",
            engine.name
        );
        remove(&api, &id).await;
    }
}
