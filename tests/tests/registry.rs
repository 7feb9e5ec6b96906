//! Push, pull and registry auth against a real registry (`src/registry.rs`:
//! Debian's `docker-registry` with htpasswd auth, started by each test) and
//! the real engines 28 and 26: an image pushed from one engine with a typed
//! credential is pulled back on the other with credentials from a
//! `config.json` (`auths`, a `credsStore` helper, `credHelpers`); a pull
//! without or with wrong credentials fails with the registry's error; the
//! secrets appear in no error text and reach only their registry.

use std::path::Path;
use std::process::{Command, Output};

use docker_engine_api_tests::registry::{TestRegistry, commit_unique_image};
use docker_engine_api_tests::{Engine, engine, unique_name};
use docker_engine_client::{Error, RegistryAuth, latest as api, prelude::*};

/// The two engines every registry test runs on (Docker 28.5 and 26.1).
const ENGINES: [&str; 2] = ["28", "26"];

const USER: &str = "dea-user";

fn start_registry() -> TestRegistry {
    // A password no other run uses: it must appear in no output.
    TestRegistry::start(USER, &format!("pw-{}", unique_name("secret")))
}

async fn client(engine: &Engine) -> api::Client {
    engine.docker().latest().await.expect("negotiate")
}

/// Makes `REGISTRY/test/bb:1` on `engine` (the base image and a layer of its
/// own: `commit_unique_image`) and pushes it with
/// the registry's typed credential; returns the pushed digest and the push's
/// progress statuses.
async fn push_base_image(
    c: &api::Client,
    registry: &TestRegistry,
    auth: &RegistryAuth,
) -> Result<(String, Vec<String>), Error> {
    let repo = registry.image("test/bb");
    commit_unique_image(c, &repo, "1").await;
    let mut stream = c
        .image_push()
        .name(&repo)
        .tag("1")
        .x_registry_auth(auth.header_value())
        .send()
        .await?
        .into_inner()
        .json_lines::<api::stream_items::ImagePush>();
    let mut statuses = Vec::new();
    while let Some(item) = stream.next().await {
        statuses.push(item?.status.unwrap_or_default());
    }
    // The last status is `1: digest: sha256:… size: N`.
    let digest = statuses
        .iter()
        .find_map(|s| s.split("digest: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no digest in the push progress: {statuses:?}"));
    Ok((digest, statuses))
}

/// Pulls `image` on `c` with `auth`, decoding every progress line.
async fn pull(
    c: &api::Client,
    image: &str,
    auth: Option<&RegistryAuth>,
) -> Result<Vec<api::stream_items::ImageCreate>, Error> {
    let mut request = c.image_create().from_image(image);
    if let Some(auth) = auth {
        request = request.x_registry_auth(auth.header_value());
    }
    let mut stream = request
        .send()
        .await?
        .into_inner()
        .json_lines::<api::stream_items::ImageCreate>();
    let mut lines = Vec::new();
    while let Some(line) = stream.next().await {
        lines.push(line?);
    }
    Ok(lines)
}

async fn remove_image(c: &api::Client, image: &str) {
    let _ = c.image_delete().name(image).force(true).send().await;
}

/// The digests an engine records for `image` (`RepoDigests`).
async fn repo_digests(c: &api::Client, image: &str) -> Vec<String> {
    c.image_inspect()
        .name(image)
        .send()
        .await
        .unwrap_or_else(|e| panic!("inspect {image}: {}", Error::from(e)))
        .into_inner()
        .repo_digests
        .unwrap_or_default()
}

fn assert_no_secret(registry: &TestRegistry, text: &str) {
    let auth = registry.auth();
    for secret in [registry.password.clone(), auth.header_value()] {
        assert!(!text.contains(&secret), "a secret leaked into: {text}");
    }
}

/// `config.json` in a directory of its own next to the registry's files.
fn config_dir(
    registry: &TestRegistry,
    name: &str,
    config: &serde_json::Value,
) -> std::path::PathBuf {
    let dir = registry.dir().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    dir
}

fn basic(registry: &TestRegistry) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", registry.username, registry.password))
}

/// Push from each engine with a typed credential, pull on the other with
/// the credentials of a `config.json` `auths` entry; the pulled image has the
/// pushed digest.
#[tokio::test]
async fn push_with_a_typed_credential_and_pull_on_the_other_engine_from_config_auths() {
    for (from, to) in [(ENGINES[0], ENGINES[1]), (ENGINES[1], ENGINES[0])] {
        let registry = start_registry();
        let (src, dst) = (client(&engine(from)).await, client(&engine(to)).await);
        let image = format!("{}:1", registry.image("test/bb"));
        let (digest, pushed) = push_base_image(&src, &registry, &registry.auth())
            .await
            .unwrap_or_else(|e| panic!("push from engine {from}: {e}\n{}", registry.log()));
        assert!(digest.starts_with("sha256:"), "{digest}");
        assert!(
            pushed.iter().any(|s| s == "Pushed"),
            "engine {from}: no layer was pushed: {pushed:?}"
        );

        // Besides ours, an entry for another registry, which must not be used.
        let dir = config_dir(
            &registry,
            "auths",
            &serde_json::json!({"auths": {
                registry.address.clone(): {"auth": basic(&registry)},
                "127.0.0.1:1": {"auth": "b3RoZXI6c2VjcmV0"},
            }}),
        );
        let auth = RegistryAuth::from_config_dir(&dir, &registry.address)
            .unwrap()
            .expect("the auths entry of the registry");
        assert_eq!(auth.password.as_deref(), Some(registry.password.as_str()));
        assert_eq!(
            auth.server_address.as_deref(),
            Some(registry.address.as_str())
        );

        remove_image(&dst, &image).await;
        let lines = pull(&dst, &image, Some(&auth))
            .await
            .unwrap_or_else(|e| panic!("pull on engine {to}: {e}\n{}", registry.log()));
        let statuses: Vec<&str> = lines.iter().filter_map(|l| l.status.as_deref()).collect();
        assert!(
            statuses.contains(&"Pull complete"),
            "engine {to}: no layer pulled: {statuses:?}"
        );
        assert!(
            statuses
                .iter()
                .any(|s| s.contains(&format!("Downloaded newer image for {image}"))),
            "engine {to}: {statuses:?}"
        );
        assert!(
            lines.iter().any(|l| l.id.is_some()),
            "engine {to}: no line names a layer"
        );
        let digests = repo_digests(&dst, &image).await;
        let expected = format!("{}@{digest}", registry.image("test/bb"));
        assert!(
            digests.contains(&expected),
            "engine {to}: {digests:?} lacks {expected}"
        );
        remove_image(&src, &image).await;
        remove_image(&dst, &image).await;
    }
}

/// `dea-probe pull` in a process with `DOCKER_CONFIG` and `PATH` of its own.
fn probe_pull(engine: &Engine, config: &Path, bin: &Path, image: &str) -> Output {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(env!("CARGO_BIN_EXE_dea-probe"))
        .args(["pull", image])
        .env("DOCKER_HOST", &engine.docker_host)
        .env("DOCKER_CONFIG", config)
        .env("PATH", path)
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_API_VERSION")
        .output()
        .expect("run dea-probe")
}

/// A credential helper made by the test: `docker-credential-dea get` answers
/// the registry's credentials for its address (and records every address it
/// is asked about), "credentials not found" for any other.
fn write_helper(registry: &TestRegistry) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = registry.dir().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-dea");
    let asked = registry.dir().join("helper-asked");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread server\necho \"$server\" >> {asked}\n\
             if [ \"$server\" = \"{address}\" ]; then\n\
             printf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{password}\"}}' \"$server\"\n\
             else echo 'credentials not found in native keychain'; exit 1; fi\n",
            asked = asked.display(),
            address = registry.address,
            user = registry.username,
            password = registry.password,
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// Pulls with credentials from a helper named by `credsStore`, then by
/// `credHelpers`, in a client process (`dea-probe`) that finds the helper
/// on its PATH, as the Docker CLI does.
#[tokio::test]
async fn pulls_with_credentials_from_a_creds_store_and_a_cred_helper() {
    for name in ENGINES {
        let engine = engine(name);
        let c = client(&engine).await;
        let registry = start_registry();
        let image = format!("{}:1", registry.image("test/bb"));
        push_base_image(&c, &registry, &registry.auth())
            .await
            .unwrap_or_else(|e| panic!("push on engine {name}: {e}"));
        let bin = write_helper(&registry);
        let configs = [
            ("store", serde_json::json!({"credsStore": "dea"})),
            (
                "helpers",
                serde_json::json!({"credHelpers": {registry.address.clone(): "dea"}}),
            ),
        ];
        for (kind, config) in configs {
            remove_image(&c, &image).await;
            let dir = config_dir(&registry, kind, &config);
            let out = probe_pull(&engine, &dir, &bin, &image);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && stdout.ends_with("ok pulled\n"),
                "engine {name}, {kind}: {stdout}{stderr}\n{}",
                registry.log()
            );
            assert!(stdout.contains("Pull complete"), "{stdout}");
            assert_no_secret(&registry, &format!("{stdout}{stderr}"));
            assert!(
                !repo_digests(&c, &image).await.is_empty(),
                "engine {name}, {kind}: the pulled image has no digest"
            );
        }
        // The helper was asked about this registry only.
        let asked = std::fs::read_to_string(registry.dir().join("helper-asked")).unwrap();
        assert_eq!(
            asked.lines().collect::<Vec<_>>(),
            [registry.address.as_str(); 2],
            "engine {name}"
        );
        remove_image(&c, &image).await;
    }
}

/// Without credentials, or with a wrong password, the pull fails with the
/// registry's refusal as an error (never a silent end of the progress
/// stream), and no error text holds a secret; the registry saw no password
/// but the right one's user.
#[tokio::test]
async fn pulls_without_or_with_wrong_credentials_fail_with_the_registry_error() {
    for name in ENGINES {
        let engine = engine(name);
        let c = client(&engine).await;
        let registry = start_registry();
        let image = format!("{}:1", registry.image("test/bb"));
        push_base_image(&c, &registry, &registry.auth())
            .await
            .unwrap_or_else(|e| panic!("push on engine {name}: {e}"));
        remove_image(&c, &image).await;

        let none = pull(&c, &image, None)
            .await
            .expect_err("a pull without credentials");
        let text = format!("{none} {none:?}");
        assert!(
            text.contains("no basic auth credentials"),
            "engine {name}: {text}"
        );

        let wrong = RegistryAuth::basic(USER, "not-the-password", &registry.address);
        let refused = pull(&c, &image, Some(&wrong))
            .await
            .expect_err("a pull with a wrong password");
        let text = format!("{refused} {refused:?}");
        assert!(
            text.contains("unauthorized") || text.contains("authentication required"),
            "engine {name}: {text}"
        );
        assert!(!text.contains("not-the-password"), "{text}");
        assert!(!text.contains(&wrong.header_value()), "{text}");

        // The image did not arrive.
        assert!(c.image_inspect().name(&image).send().await.is_err());

        // The right credentials still pull, and neither the error texts nor
        // the Debug of the credential show them.
        pull(&c, &image, Some(&registry.auth()))
            .await
            .unwrap_or_else(|e| panic!("engine {name}: {e}"));
        assert_no_secret(&registry, &format!("{:?}", registry.auth()));
        remove_image(&c, &image).await;
    }
}

/// `GET /distribution/{name}/json` asks the registry for the manifest with
/// the request's credentials (`distribution_inspect_takes_registry_auth`):
/// with them it answers the pushed digest, without them the registry's
/// refusal.
#[tokio::test]
async fn distribution_inspect_reads_the_manifest_with_a_typed_credential() {
    for name in ENGINES {
        let c = client(&engine(name)).await;
        let registry = start_registry();
        let image = format!("{}:1", registry.image("test/bb"));
        let (digest, _) = push_base_image(&c, &registry, &registry.auth())
            .await
            .unwrap_or_else(|e| panic!("push on engine {name}: {e}"));

        let inspected = c
            .distribution_inspect()
            .name(&image)
            .x_registry_auth(registry.auth().header_value())
            .send()
            .await
            .unwrap_or_else(|e| panic!("engine {name}: {}\n{}", Error::from(e), registry.log()))
            .into_inner();
        assert_eq!(
            inspected.descriptor.digest.as_deref(),
            Some(digest.as_str())
        );
        assert!(
            inspected.platforms.unwrap_or_default().iter().any(|p| p
                .0
                .as_ref()
                .and_then(|p| p.os.as_deref())
                == Some("linux")),
            "engine {name}: no linux platform"
        );

        let refused = c
            .distribution_inspect()
            .name(&image)
            .send()
            .await
            .map(drop)
            .map_err(Error::from)
            .expect_err("an inspect without credentials");
        assert!(
            refused.to_string().contains("no basic auth credentials"),
            "engine {name}: {refused}"
        );
        remove_image(&c, &image).await;
    }
}
