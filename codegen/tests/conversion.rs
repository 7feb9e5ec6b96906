//! Snapshot of the Swagger 2.0 → OpenAPI 3 conversion of every committed
//! spec. `swagger2openapi` is young and pinned exactly; if an upgrade (or a
//! change of options) changes its output, this test says so, and a maintainer
//! reviews the generated diff before refreshing the snapshot with
//! `UPDATE_SNAPSHOTS=1 cargo test -p docker-engine-api-codegen --test conversion`.

use std::fmt::Write as _;
use std::path::PathBuf;

use docker_engine_api_codegen::convert::swagger_to_openapi;
use docker_engine_api_codegen::fixups;
use docker_engine_api_codegen::spec::{SpecFile, discover, sha256_hex};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn count(v: &Value, pred: &dyn Fn(&serde_json::Map<String, Value>) -> bool) -> usize {
    match v {
        Value::Object(m) => {
            usize::from(pred(m)) + m.values().map(|x| count(x, pred)).sum::<usize>()
        }
        Value::Array(a) => a.iter().map(|x| count(x, pred)).sum(),
        _ => 0,
    }
}

#[test]
fn conversion_output_matches_the_snapshot() {
    let mut report = String::new();
    for (version, path) in discover(&root().join("specs")).unwrap() {
        let spec = SpecFile::load(&path).unwrap();
        let openapi = swagger_to_openapi(&path, &spec.doc).unwrap();
        // Parses as the openapiv3 types progenitor reads.
        serde_json::from_value::<openapiv3::OpenAPI>(openapi.clone())
            .unwrap_or_else(|e| panic!("v{version}: not OpenAPI 3 for openapiv3: {e}"));
        let x_nullable = count(&spec.doc, &|m| {
            m.get("x-nullable") == Some(&Value::Bool(true))
        });
        let nullable = count(&openapi, &|m| m.get("nullable") == Some(&Value::Bool(true)));
        let leftover = count(&openapi, &|m| m.contains_key("x-nullable"));
        // The converter's known gap, closed by the `x_nullable_everywhere` fixup.
        assert!(
            nullable + leftover >= x_nullable,
            "v{version}: {x_nullable} x-nullable: true, {nullable} converted, {leftover} left"
        );
        let refs_with_siblings = count(&openapi, &|m| m.contains_key("$ref") && m.len() > 1);
        assert_eq!(
            refs_with_siblings, 0,
            "v{version}: $ref siblings must be wrapped in allOf"
        );

        // After the fixups, no Swagger nullability flag is left for progenitor to ignore.
        let mut fixed = openapi.clone();
        fixups::apply(&mut fixed, &fixups::SwaggerFacts::from_swagger(&spec.doc));
        assert_eq!(
            count(&fixed, &|m| m.contains_key("x-nullable")),
            0,
            "v{version}: x-nullable left"
        );
        writeln!(
            report,
            "v{version} sha256={} schemas={} paths={} nullable={nullable}",
            sha256_hex(serde_json::to_string(&openapi).unwrap().as_bytes()),
            openapi["components"]["schemas"]
                .as_object()
                .map_or(0, |s| s.len()),
            openapi["paths"].as_object().map_or(0, |p| p.len()),
        )
        .unwrap();
    }
    let snapshot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/conversion.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &report).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert_eq!(
        report, expected,
        "the conversion output changed; review the regenerated crates, then refresh with UPDATE_SNAPSHOTS=1"
    );
}
