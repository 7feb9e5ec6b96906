//! `cargo xtask regen --check` as a test: plain `cargo test` fails when the
//! committed generated code is stale, printing what would change, or when a
//! rule changes nothing in any spec.

use std::path::PathBuf;

#[test]
fn committed_output_is_what_regen_writes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let plan = docker_engine_api_codegen::plan(&root).unwrap();
    plan.check_rules().unwrap();
    let diff = plan.stale_diff(&root);
    assert!(
        diff.is_empty(),
        "the committed generated code is stale; run `cargo xtask regen` and commit:\n{diff}"
    );
}
