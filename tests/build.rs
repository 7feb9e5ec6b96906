//! Generates `registry.rs`: for every generated crate, a function that decodes
//! JSON into any of its types by name and encodes it back. The decode tests
//! walk the API models and feed every type through it, so a type added by a
//! new spec version is tested without anyone listing it. And
//! `conformance.rs`, the GET operations of every version (see
//! `build_conformance.rs`).

use std::fmt::Write as _;
use std::path::Path;

mod build_conformance;

fn main() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    println!("cargo::rerun-if-changed={}", crates.display());
    let mut versions = Vec::new();
    for entry in std::fs::read_dir(&crates).expect("crates/ exists") {
        let entry = entry.expect("readable crates/");
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("docker-engine-api-v") else {
            continue;
        };
        let model = entry.path().join("api-model.json");
        println!("cargo::rerun-if-changed={}", model.display());
        let text =
            std::fs::read_to_string(&model).unwrap_or_else(|e| panic!("{}: {e}", model.display()));
        let json: serde_json::Value = serde_json::from_str(&text).expect("api-model.json is JSON");
        let types: Vec<String> = json["model"]["types"]
            .as_array()
            .expect("model.types")
            .iter()
            .map(|t| t["name"].as_str().expect("type name").to_string())
            .collect();
        let (major, minor) = rest.split_once('-').expect("v1-NN");
        versions.push((
            format!("{major}.{minor}"),
            format!("v{major}_{minor}"),
            types,
        ));
    }
    versions.sort_by_key(|(v, _, _)| {
        v.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    });

    let mut out = String::new();
    out.push_str("/// Every generated version, oldest first: (version, crate directory).\n");
    out.push_str("pub const VERSIONS: &[(&str, &str)] = &[\n");
    for (version, ident, _) in &versions {
        let dir = format!("docker-engine-api-{}", ident.replace('_', "-"));
        writeln!(out, "    ({version:?}, {dir:?}),").unwrap();
    }
    out.push_str("];\n\n");
    out.push_str(
        "/// Decodes `json` as type `name` of `version` and encodes it back;\n\
         /// `None` if there is no such type. Decode errors carry the JSON path.\n\
         pub fn round_trip(version: &str, name: &str, json: &str) -> Option<Result<serde_json::Value, docker_engine_api::Error>> {\n    match version {\n",
    );
    for (version, ident, _) in &versions {
        writeln!(out, "        {version:?} => {ident}(name, json),").unwrap();
    }
    out.push_str("        _ => None,\n    }\n}\n\n");
    for (_, ident, types) in &versions {
        writeln!(
            out,
            "fn {ident}(name: &str, json: &str) -> Option<Result<serde_json::Value, docker_engine_api::Error>> {{"
        )
        .unwrap();
        writeln!(out, "    use docker_engine_api::{ident}::types;").unwrap();
        out.push_str("    Some(match name {\n");
        for t in types {
            writeln!(out, "        {t:?} => rt::<types::{t}>(json),").unwrap();
        }
        out.push_str("        _ => return None,\n    })\n}\n\n");
    }
    out.push_str(
        "fn rt<T: serde::de::DeserializeOwned + serde::Serialize>(json: &str) -> Result<serde_json::Value, docker_engine_api::Error> {\n    \
         let value: T = docker_engine_api::decode_json(json.as_bytes())?;\n    \
         Ok(serde_json::to_value(&value).expect(\"a decoded value encodes\"))\n}\n",
    );
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("registry.rs");
    std::fs::write(dest, out).expect("write registry.rs");

    let dirs: Vec<_> = versions
        .iter()
        .map(|(version, ident, _)| {
            let dir = crates.join(format!("docker-engine-api-{}", ident.replace('_', "-")));
            (version.clone(), ident.clone(), dir)
        })
        .collect();
    build_conformance::generate(
        &dirs,
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")),
    );
}
