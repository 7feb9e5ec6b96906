//! A build with one version compiled in: the `dea` example built with only
//! the `v1_47` feature (in its own cargo invocation and target directory, so
//! that feature unification with this test crate cannot add versions). It
//! refuses engine 26 (API 1.45) with the typed error, and speaks v1.47 to
//! newer engines.

use std::path::{Path, PathBuf};
use std::process::Command;

use docker_engine_api::ApiVersion;
use docker_engine_api_tests::engines;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Builds `dea` with `--no-default-features --features v1_47`; returns its path.
fn build_probe() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = workspace().join("target/dea-probe-v1_47");
    let output = Command::new(cargo)
        .current_dir(workspace())
        .args([
            "build",
            "--quiet",
            "--package",
            "docker-engine-api",
            "--example",
            "dea",
        ])
        .args([
            "--no-default-features",
            "--features",
            "v1_47",
            "--message-format=json",
        ])
        .arg("--target-dir")
        .arg(&target)
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "building the v1_47-only probe failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "dea")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported the dea executable")
}

#[test]
fn a_build_with_only_v1_47_refuses_older_daemons_with_the_typed_error() {
    let all = engines();
    let probe = build_probe();
    let mut saw_old = false;
    for engine in all {
        let out = Command::new(&probe)
            .arg("version")
            .env("DOCKER_HOST", &engine.docker_host)
            .env_remove("DOCKER_API_VERSION")
            .env_remove("DOCKER_CONTEXT")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let max: ApiVersion = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(engine.docker().ping())
            .unwrap()
            .api_version
            .unwrap()
            .parse()
            .unwrap();
        if max < ApiVersion::new(1, 47) {
            saw_old = true;
            assert_eq!(
                out.status.code(),
                Some(125),
                "engine {}: {stdout}{stderr}",
                engine.name
            );
            assert!(
                stderr.contains("VersionTooOld"),
                "engine {}: {stderr}",
                engine.name
            );
            assert!(
                stderr.contains(&format!("v{max}")) && stderr.contains("v1.47"),
                "engine {}: {stderr}",
                engine.name
            );
        } else {
            assert!(out.status.success(), "engine {}: {stderr}", engine.name);
            assert!(
                stdout.contains("negotiated API v1.47"),
                "engine {}: {stdout}",
                engine.name
            );
        }
    }
    if std::env::var("DEA_TEST_ENGINES").is_ok_and(|e| e.ends_with(".json")) {
        assert!(
            saw_old,
            "the project's engines include engine 26 (API 1.45)"
        );
    }
}
