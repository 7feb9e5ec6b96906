//! Every example of Docker's SDK examples page
//! (docs.docker.com/reference/api/engine/sdk/examples) as the facade's
//! `examples/` have it, run by `cargo run --example NAME` with the default
//! features (`cargo_run_example`), against every engine; the output of each
//! is checked against what the engine then holds. The registry examples
//! (pull, pull with auth, push) run against a real registry
//! (`src/registry.rs`) on engines 28 and 26; the seed scenario (`run`, the
//! page's "Run a container") runs in `default_features.rs`.
//!
//! `stop_all` stops every running container of each engine, as the page's
//! example does: point `DEA_TEST_ENGINES` at daemons whose running containers
//! may be stopped.

use std::process::Output;

use docker_engine_api_tests::registry::{TestRegistry, commit_unique_image};
use docker_engine_api_tests::{
    BASE_IMAGE, Engine, cargo_run_example, engine, engines, unique_name,
};
use docker_engine_client::latest as api;

/// Runs an example that must succeed; returns its stdout.
fn run_ok(engine: &Engine, name: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = cargo_run_example(engine, name, args, env);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "engine {}: `cargo run --example {name}` failed ({}):\n{stdout}{stderr}",
        engine.name,
        out.status
    );
    stdout
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn client(engine: &Engine) -> api::Client {
    engine.docker().latest().await.expect("negotiate")
}

async fn running(c: &api::Client, id: &str) -> bool {
    let state = c.container_inspect().id(id).send().await.expect("inspect");
    state
        .into_inner()
        .state
        .and_then(|s| s.0)
        .and_then(|s| s.running)
        .unwrap_or_default()
}

/// Runs `cmd` in a container of the base image to its end; returns its ID.
async fn run_to_end(c: &api::Client, image: &str, cmd: &[&str]) -> (String, i64) {
    let body = api::types::ContainerCreateBody {
        image: Some(image.into()),
        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    };
    let id = c
        .container_create()
        .body(body)
        .send()
        .await
        .expect("create")
        .into_inner()
        .id;
    c.container_start().id(&id).send().await.expect("start");
    let exit = c.container_wait().id(&id).send().await.expect("wait");
    (id, exit.into_inner().status_code)
}

async fn remove_container(c: &api::Client, id: &str) {
    let _ = c.container_delete().id(id).force(true).send().await;
}

/// run in the background, list, logs, list images, commit, stop all.
#[tokio::test]
async fn the_container_and_image_examples_run_on_every_engine() {
    for engine in engines() {
        let name = engine.name.clone();
        let c = client(&engine).await;

        // "Run a container in the background": it prints the ID of a
        // container that runs.
        let id = run_ok(&engine, "run_background", &[], &[]);
        let id = id.trim().to_string();
        assert!(
            id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "engine {name}: not a container ID: {id:?}"
        );
        assert!(running(&c, &id).await, "engine {name}: {id} does not run");

        // "List and manage containers": it lists that container.
        let listed = run_ok(&engine, "list_containers", &[], &[]);
        assert!(
            listed.lines().any(|l| l.starts_with(&id)),
            "engine {name}: {id} not in:\n{listed}"
        );

        // "Print the logs of a specific container", both streams.
        let (logged, _) = run_to_end(
            &c,
            BASE_IMAGE,
            &["sh", "-c", "echo to-out; echo to-err >&2"],
        )
        .await;
        let logs = run_ok(&engine, "logs", &[&logged], &[]);
        assert!(
            logs.contains("to-out\n") && logs.contains("to-err\n"),
            "engine {name}: {logs:?}"
        );
        remove_container(&c, &logged).await;

        // "Commit a container": the image it prints has the file the
        // container made.
        let repo = unique_name("commit");
        let image_id = run_ok(&engine, "commit", &[&repo], &[]);
        let image_id = image_id.trim();
        let inspected = c
            .image_inspect()
            .name(format!("{repo}:latest"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("engine {name}: the committed image: {e:?}"))
            .into_inner();
        assert_eq!(
            inspected
                .id
                .as_deref()
                .map(|i| i.trim_start_matches("sha256:")),
            Some(image_id.trim_start_matches("sha256:")),
            "engine {name}"
        );
        let (checked, status) = run_to_end(&c, &repo, &["ls", "/helloworld"]).await;
        assert_eq!(status, 0, "engine {name}: /helloworld is not in the commit");
        remove_container(&c, &checked).await;

        // "List all images": the committed one is among them.
        let images = run_ok(&engine, "list_images", &[], &[]);
        assert!(
            images
                .lines()
                .any(|l| l.contains(image_id.trim_start_matches("sha256:")) && l.contains(&repo)),
            "engine {name}: {image_id} {repo} not in:\n{images}"
        );
        let _ = c.image_delete().name(&repo).force(true).send().await;

        // "Stop all running containers" (with a grace period of 1 s: `sleep`
        // as PID 1 ignores SIGTERM).
        let stopped = run_ok(&engine, "stop_all", &["1"], &[]);
        assert!(
            stopped.contains(&format!("Stopping container {}... Success", &id[..12])),
            "engine {name}: {stopped}"
        );
        assert!(!running(&c, &id).await, "engine {name}: {id} still runs");
        remove_container(&c, &id).await;
    }
}

/// "Pull an image" (credentials from `config.json`), "Pull an image with
/// authentication" (a typed credential) and push, through a real registry.
#[tokio::test]
async fn the_registry_examples_push_and_pull_through_a_real_registry() {
    for name in ["28", "26"] {
        let engine = engine(name);
        let c = client(&engine).await;
        let registry = TestRegistry::start("sdk-user", &format!("pw-{}", unique_name("sdk")));
        let password = registry.password.clone();
        let secret = [("REGISTRY_PASSWORD", password.as_str())];
        let image = format!("{}:1", registry.image("test/sdk"));
        commit_unique_image(&c, &registry.image("test/sdk"), "1").await;

        let pushed = run_ok(&engine, "push", &[&image, &registry.username], &secret);
        assert!(
            pushed.contains("Pushed") && pushed.contains("digest: sha256:"),
            "engine {name}: {pushed}"
        );

        let remove = || async { c.image_delete().name(&image).send().await.expect("remove") };
        remove().await;
        let pulled = run_ok(
            &engine,
            "pull_with_auth",
            &[&image, &registry.username],
            &secret,
        );
        assert!(
            pulled.contains(&format!("Downloaded newer image for {image}")),
            "engine {name}: {pulled}"
        );
        remove().await;

        // Without credentials: the registry's refusal, as an error.
        let empty = registry.dir().join("no-config");
        std::fs::create_dir_all(&empty).unwrap();
        let empty = empty.display().to_string();
        let out = cargo_run_example(
            &engine,
            "pull_progress",
            &[&image],
            &[("DOCKER_CONFIG", &empty)],
        );
        let (stdout, stderr) = text(&out);
        assert!(
            !out.status.success() && stderr.contains("no basic auth credentials"),
            "engine {name}: {stdout}{stderr}"
        );

        // With them in `config.json`.
        let config = registry.dir().join("config");
        std::fs::create_dir_all(&config).unwrap();
        let auth = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{password}", registry.username))
        };
        let json = serde_json::json!({"auths": {registry.address.clone(): {"auth": auth}}});
        std::fs::write(config.join("config.json"), json.to_string()).unwrap();
        let config = config.display().to_string();
        let pulled = run_ok(
            &engine,
            "pull_progress",
            &[&image],
            &[("DOCKER_CONFIG", &config)],
        );
        assert!(
            pulled.contains("Pull complete")
                && pulled.contains(&format!("Downloaded newer image for {image}")),
            "engine {name}: {pulled}"
        );
        for output in [&pushed, &pulled, &stdout, &stderr] {
            assert!(!output.contains(&password), "engine {name}: {output}");
        }
        remove().await;
    }
}
