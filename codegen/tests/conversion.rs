//! Snapshots of the Swagger 2.0 → OpenAPI 3 conversion. `swagger2openapi` is
//! young and pinned exactly; if an upgrade (or a change of options) changes
//! its output, these tests say so, readably:
//!
//! - `snapshots/conversion_fixture.yaml`: the whole converted document of
//!   `fixtures/conversion.yaml`, which holds every Swagger construct the
//!   Docker specs use;
//! - `snapshots/conversion.txt`: per committed spec, what the conversion
//!   made (schemas, operations, bodies and answers by media type, nullable
//!   flags, `allOf` wrappers). The generated crates, which `regen --check`
//!   compares byte for byte, show the rest.
//!
//! After a deliberate change, refresh with
//! `EXPECTORATE=overwrite cargo test -p docker-engine-api-codegen --test conversion`
//! and review the diff.

use std::fmt::Write as _;
use std::path::PathBuf;

use docker_engine_api_codegen::convert::swagger_to_openapi;
use docker_engine_api_codegen::fixups;
use docker_engine_api_codegen::spec::{SpecFile, discover, operations_of};
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
        let operations = operations_of(&openapi);
        let media = |part: &str| {
            let mut counts = std::collections::BTreeMap::<String, usize>::new();
            for op in &operations {
                let contents: Vec<&Value> = match part {
                    "body" => op.op.pointer("/requestBody/content").into_iter().collect(),
                    _ => op
                        .op
                        .get("responses")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flat_map(|r| r.values())
                        .filter_map(|r| r.get("content"))
                        .collect(),
                };
                for content in contents.iter().filter_map(|c| c.as_object()) {
                    for mt in content.keys() {
                        *counts.entry(mt.clone()).or_default() += 1;
                    }
                }
            }
            counts
                .iter()
                .map(|(mt, n)| format!("{mt} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let all_of = count(&openapi, &|m| m.contains_key("allOf"));
        writeln!(
            report,
            "v{version}: {} schemas, {} paths, {} operations, {} shared request bodies\n  bodies: {}\n  answers: {}\n  nullable {nullable} (of {x_nullable} x-nullable), allOf {all_of}, x-nullable left {leftover}",
            openapi["components"]["schemas"]
                .as_object()
                .map_or(0, |s| s.len()),
            openapi["paths"].as_object().map_or(0, |p| p.len()),
            operations.len(),
            openapi["components"]["requestBodies"]
                .as_object()
                .map_or(0, |s| s.len()),
            media("body"),
            media("answers"),
        )
        .unwrap();
    }
    expectorate::assert_contents(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/conversion.txt"),
        &report,
    );
}

#[test]
fn the_fixture_converts_as_the_snapshot_shows() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let path = dir.join("fixtures/conversion.yaml");
    let bytes = std::fs::read(&path).unwrap();
    let spec = SpecFile::parse(
        docker_engine_api_codegen::ApiVersion::new(1, 99),
        &path,
        &bytes,
    )
    .unwrap();
    let openapi = swagger_to_openapi(&path, &spec.doc).unwrap();
    expectorate::assert_contents(
        dir.join("snapshots/conversion_fixture.yaml"),
        &serde_yaml_ng::to_string(&openapi).unwrap(),
    );
}
