//! The engines themselves: each answers on its socket with the API version its
//! package promises, and runs the seed scenario end to end.

use docker_engine_api_tests::{BASE_IMAGE, Engine, engines, unique_name};
use docker_engine_client::{ApiVersion, Docker, Error, LogOutput, ResponseExt, with_api};
use futures_util::StreamExt;

#[tokio::test]
async fn each_engine_reports_the_api_version_of_its_release() {
    for engine in engines() {
        let docker = engine.docker();
        let ping = docker
            .ping()
            .await
            .unwrap_or_else(|e| panic!("engine {}: ping: {e}", engine.name));
        let header: ApiVersion = ping
            .api_version
            .as_deref()
            .unwrap_or_else(|| panic!("engine {}: /_ping sent no Api-Version", engine.name))
            .parse()
            .unwrap();

        // /version through the generated client of the version the daemon announced.
        let client = docker.client().await.unwrap();
        let (engine_version, api_version, min_api) = with_api!(&client, |c, api| {
            let v = c.system_version().send().await.unwrap().into_inner();
            (
                v.version.unwrap_or_default(),
                v.api_version.unwrap_or_default(),
                v.min_api_version.unwrap_or_default(),
            )
        });
        assert_eq!(
            api_version,
            header.to_string(),
            "engine {}: /version and /_ping disagree",
            engine.name
        );
        assert!(
            min_api.parse::<ApiVersion>().unwrap() <= ApiVersion::new(1, 24),
            "engine {}",
            engine.name
        );

        // What the release should serve, from the package fetched (or, for a
        // daemon the project did not provision, the version it reports).
        let expected = engine
            .expected_api_version()
            .or_else(|| docker_engine_api_tests::expected_api_version(&engine_version));
        let release = engine
            .package_version
            .clone()
            .unwrap_or(engine_version.clone());
        let expected = expected.unwrap_or_else(|| {
            panic!(
                "engine {}: no known API version for release {release}",
                engine.name
            )
        });
        assert_eq!(
            header, expected,
            "engine {} (release {release})",
            engine.name
        );
        assert!(
            release.starts_with(&engine_version) || engine.package_version.is_none(),
            "engine {}: package {release} but the daemon says {engine_version}",
            engine.name
        );
    }
}

#[tokio::test]
async fn provisioned_engines_negotiate_their_own_version_exactly() {
    // The project's own engines: API 1.51, 1.45 and 1.41 (Docker 20.10 and
    // Podman 4.3). Every version from 1.40 on is compiled into the tests, so
    // each gets its own version's crate; the newest types (`latest()`) speak
    // each daemon's version too.
    let newest = *docker_engine_client::ALL.last().unwrap();
    for (name, api) in [
        ("28", ApiVersion::new(1, 51)),
        ("26", ApiVersion::new(1, 45)),
        ("20", ApiVersion::new(1, 41)),
        ("podman", ApiVersion::new(1, 41)),
    ] {
        let engine = docker_engine_api_tests::engine(name);
        let docker = engine.docker();
        let negotiated = docker.negotiate().await.unwrap();
        assert_eq!(negotiated.daemon_max, Some(api), "engine {name}");
        assert_eq!(
            (negotiated.version, negotiated.types),
            (api, api),
            "engine {name}: exact"
        );
        assert!(negotiated.exact(), "engine {name}");
        let client = docker.client().await.unwrap();
        assert_eq!(
            (client.version(), client.types_version(), client.is_exact()),
            (api, api, true),
            "engine {name}"
        );
        // The newest types, speaking the daemon's version: the `/vX.Y` prefix
        // is the daemon's (a newer one would be refused by Docker).
        let latest = docker.latest().await.unwrap();
        use progenitor_client::ClientInfo as _;
        assert!(
            latest.baseurl().ends_with(&format!("/v{api}")),
            "engine {name}: {}",
            latest.baseurl()
        );
        let info = latest.system_info().send().await.unwrap().into_inner();
        assert!(
            info.id.is_some(),
            "engine {name}: info through v{newest}'s types"
        );
    }
}

/// The seed scenario: create a container running `echo hello world`, start
/// it, wait for exit code 0, read its logs.
async fn hello_world(engine: &Engine, docker: &Docker) -> Result<(i64, Vec<LogOutput>), Error> {
    let client = docker.client().await?;
    let name = unique_name("hello");
    let result = with_api!(&client, |c, api| {
        let body = api::types::ContainerCreateBody {
            image: Some(BASE_IMAGE.to_string()),
            cmd: Some(vec!["echo".into(), "hello world".into()]),
            host_config: Some(api::types::HostConfig {
                network_mode: Some("none".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let created = c
            .container_create()
            .name(&name)
            .body(body)
            .send()
            .await?
            .into_inner();
        c.container_start().id(&created.id).send().await?;
        let waited = c
            .container_wait()
            .id(&created.id)
            .send()
            .await?
            .into_inner();
        let logs = c
            .container_logs()
            .id(&created.id)
            .stdout(true)
            .stderr(true)
            .send()
            .await?;
        let chunks: Vec<LogOutput> = docker_engine_api_tests::joined(
            logs.output()
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<_, _>>()?,
        );
        c.container_delete()
            .id(&created.id)
            .force(true)
            .send()
            .await?;
        Ok::<_, Error>((waited.status_code, chunks))
    });
    let _ = engine;
    result
}

#[tokio::test]
async fn seed_scenario_runs_on_every_engine() {
    for engine in engines() {
        let docker = engine.docker();
        let (status, chunks) = hello_world(&engine, &docker)
            .await
            .unwrap_or_else(|e| panic!("engine {}: {e}", engine.name));
        assert_eq!(status, 0, "engine {}", engine.name);
        assert_eq!(
            chunks,
            vec![LogOutput::StdOut(bytes::Bytes::from_static(
                b"hello world\n"
            ))],
            "engine {}: exactly `hello world` on stdout",
            engine.name
        );
    }
}
