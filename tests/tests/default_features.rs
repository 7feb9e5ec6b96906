//! The facade as a new user gets it: default features only (one version
//! crate, the newest), built by its own `cargo run` in the crate directory.
//! That invocation selects only the facade, so feature unification with this
//! test crate (which compiles every version in) cannot add versions; cargo
//! keeps the two feature sets apart in the shared target directory. The seed
//! scenario (`examples/run.rs`), the README's first program
//! (`examples/readme.rs`) must work against every engine: the newest types
//! speak each daemon's own version. (`dea`, its own crate with every version
//! compiled in, is tested in `dea.rs`.)

use std::path::{Path, PathBuf};
use std::process::Output;

use docker_engine_api_tests::{BASE_IMAGE, Engine, engines};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `cargo run --example NAME -- ARGS` with the default features.
fn cargo_run_example(engine: &Engine, name: &str, args: &[&str]) -> Output {
    docker_engine_api_tests::cargo_run_example(engine, name, args, &[])
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_default_build_runs_the_seed_scenario_on_every_engine() {
    for engine in engines() {
        let out = cargo_run_example(&engine, "run", &[BASE_IMAGE]);
        let (stdout, stderr) = text(&out);
        assert!(
            out.status.success(),
            "engine {}: `cargo run --example run` failed:\n{stdout}{stderr}",
            engine.name
        );
        assert_eq!(
            stdout, "hello world\nexit code 0\n",
            "engine {}: {stderr}",
            engine.name
        );

        // The README's program, which creates containers of `busybox` (an
        // alias of the base image on the project's engines).
        let out = cargo_run_example(&engine, "readme", &[]);
        let (stdout, stderr) = text(&out);
        assert!(
            out.status.success() && stdout.starts_with("hello world\n"),
            "engine {}: the README's program:\n{stdout}{stderr}",
            engine.name
        );
    }
}

/// The README's first program, as `examples/readme.rs` has it below its
/// header.
#[test]
fn the_readme_example_is_the_one_that_runs() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let start = readme
        .find("```rust,no_run\n")
        .expect("the README's first program")
        + 15;
    let snippet = &readme[start..start + readme[start..].find("```\n").unwrap()];
    let example =
        std::fs::read_to_string(workspace().join("crates/docker-engine-client/examples/readme.rs"))
            .unwrap();
    assert!(
        example.ends_with(snippet),
        "examples/readme.rs is not the README's program: copy it again"
    );
}
