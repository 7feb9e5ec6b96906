//! `plan` on scratch workspaces: determinism, a new spec needing no hand edit,
//! and bad specs failing clearly without touching `crates/`.

use std::path::{Path, PathBuf};

use docker_engine_api_codegen::{Error, plan};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A scratch workspace with the facade manifest and the given spec files.
fn scratch(tag: &str, specs: &[(&str, &[u8])]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dea-codegen-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("specs")).unwrap();
    std::fs::create_dir_all(dir.join("crates/docker-engine-client")).unwrap();
    std::fs::copy(
        root().join("crates/docker-engine-client/Cargo.toml"),
        dir.join("crates/docker-engine-client/Cargo.toml"),
    )
    .unwrap();
    for name in ["Cargo.toml", "LICENSE"] {
        std::fs::copy(root().join(name), dir.join(name)).unwrap();
    }
    for (name, bytes) in specs {
        std::fs::write(dir.join("specs").join(name), bytes).unwrap();
    }
    dir
}

fn spec(version: &str) -> Vec<u8> {
    std::fs::read(root().join("specs").join(format!("v{version}.yaml"))).unwrap()
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&dir.join("crates"), &mut out);
    out.sort();
    out
}

#[test]
fn a_new_spec_file_needs_no_hand_edit() {
    // v1.53 does not exist yet: a copy of v1.52 under that name stands in.
    let dir = scratch(
        "new-version",
        &[("v1.52.yaml", &spec("1.52")), ("v1.53.yaml", &spec("1.52"))],
    );
    let plan = plan(&dir).unwrap();
    let written = plan.write(&dir).unwrap();
    assert!(written.contains(&PathBuf::from("crates/docker-engine-api-v1-53/src/lib.rs")));
    assert!(written.contains(&PathBuf::from("crates/docker-engine-api-v1-53/Cargo.toml")));
    let manifest =
        std::fs::read_to_string(dir.join("crates/docker-engine-api-v1-53/Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"docker-engine-api-v1-53\""));
    let facade =
        std::fs::read_to_string(dir.join("crates/docker-engine-client/Cargo.toml")).unwrap();
    assert!(
        facade.contains("v1_53 = [\"dep:docker-engine-api-v1-53\"]"),
        "{facade}"
    );
    assert!(facade.contains("latest = [\"v1_53\"]"), "{facade}");
    assert!(
        facade.contains("[dependencies.docker-engine-api-v1-53]"),
        "{facade}"
    );
    let table =
        std::fs::read_to_string(dir.join("crates/docker-engine-client/src/versions.rs")).unwrap();
    assert!(table.contains("pub use docker_engine_api_v1_53 as v1_53;"));
    assert!(table.contains("V1_53(v1_53::Client)"));
    // The workspace finds the crate by its glob member.
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(workspace.contains("\"crates/docker-engine-client*\""));

    // Deterministic: a second plan has nothing to change.
    assert_eq!(
        docker_engine_api_codegen::plan(&dir)
            .unwrap()
            .differences(&dir),
        Vec::<PathBuf>::new()
    );

    // A source file the plan does not write (a module of a tag that
    // disappeared) is stale: `--check` reports it and `regen` removes it.
    let leftover = PathBuf::from("crates/docker-engine-api-v1-53/src/types/gone.rs");
    std::fs::write(dir.join(&leftover), "// a tag that no longer exists\n").unwrap();
    let plan = docker_engine_api_codegen::plan(&dir).unwrap();
    assert_eq!(plan.differences(&dir), vec![leftover.clone()]);
    assert!(
        plan.stale_diff(&dir)
            .contains("removed: crates/docker-engine-api-v1-53/src/types/gone.rs"),
        "{}",
        plan.stale_diff(&dir)
    );
    plan.write(&dir).unwrap();
    assert!(!dir.join(&leftover).exists());
    assert!(
        dir.join("crates/docker-engine-api-v1-53/src/types/mod.rs")
            .exists()
    );

    // A removed spec removes its crate.
    std::fs::remove_file(dir.join("specs/v1.53.yaml")).unwrap();
    let plan = docker_engine_api_codegen::plan(&dir).unwrap();
    assert_eq!(
        plan.stale_dirs,
        vec![PathBuf::from("crates/docker-engine-api-v1-53")]
    );
    plan.write(&dir).unwrap();
    assert!(!dir.join("crates/docker-engine-api-v1-53").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

fn assert_fails_cleanly(tag: &str, bad: &[u8], expected: &[&str]) {
    let dir = scratch(tag, &[("v1.52.yaml", &spec("1.52"))]);
    docker_engine_api_codegen::plan(&dir)
        .unwrap()
        .write(&dir)
        .unwrap();
    let before = snapshot(&dir);
    std::fs::write(dir.join("specs/v1.60.yaml"), bad).unwrap();
    let err: Error = docker_engine_api_codegen::plan(&dir).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("v1.60.yaml"),
        "the message names the file: {message}"
    );
    for part in expected {
        assert!(message.contains(part), "`{part}` missing from: {message}");
    }
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(snapshot(&dir), before, "crates/ must be untouched");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn invalid_yaml_is_a_clear_error() {
    assert_fails_cleanly(
        "yaml",
        b"swagger: \"2.0\"\npaths: {/x: [\n",
        &["not valid YAML", "line 3"],
    );
}

#[test]
fn not_swagger_is_a_clear_error() {
    assert_fails_cleanly("oas3", b"openapi: 3.0.0\npaths: {}\n", &["Swagger 2.0"]);
}

#[test]
fn an_unhandled_construct_names_the_operation() {
    let bad = b"swagger: \"2.0\"\ninfo: {title: t, version: \"1.60\"}\npaths:\n  /containers/{id}/x:\n    get:\n      operationId: BadPath\n      responses: {200: {description: ok}}\n";
    assert_fails_cleanly(
        "construct",
        bad,
        &["operation BadPath (GET /containers/{id}/x)"],
    );
}

#[test]
fn a_dangling_reference_is_a_clear_error() {
    let bad = b"swagger: \"2.0\"\ninfo: {title: t, version: \"1.60\"}\npaths:\n  /x:\n    get:\n      operationId: X\n      responses: {200: {description: ok, schema: {$ref: \"#/definitions/Nope\"}}}\n";
    assert_fails_cleanly("dangling", bad, &["#/definitions/Nope"]);
}

#[test]
fn a_missing_specs_directory_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("dea-codegen-nospecs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let message = docker_engine_api_codegen::plan(&dir)
        .unwrap_err()
        .to_string();
    assert!(message.contains("specs"), "{message}");
    std::fs::create_dir_all(dir.join("specs")).unwrap();
    let message = docker_engine_api_codegen::plan(&dir)
        .unwrap_err()
        .to_string();
    assert!(message.contains("no spec files"), "{message}");
}
