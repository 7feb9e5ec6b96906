//! Generates `registry.rs`: for every generated crate, a function that decodes
//! JSON into any of its types by name and encodes it back. The decode tests
//! walk the API models and feed every type through it, so a type added by a
//! new spec version is tested without anyone listing it. And
//! `conformance.rs`, the GET operations of every version (see
//! `build_conformance.rs`).

use std::fmt::Write as _;
use std::path::Path;

use docker_engine_api_model::{ApiVersion, ModelFile, model_path};

mod build_conformance;

fn main() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    println!("cargo::rerun-if-changed={}", crates.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&crates).expect("crates/ exists") {
        let entry = entry.expect("readable crates/");
        if let Some(version) = ApiVersion::from_crate_name(&entry.file_name().to_string_lossy()) {
            found.push(version);
        }
    }
    found.sort();
    let mut versions = Vec::new();
    let mut model_paths = Vec::new();
    for version in found {
        let path = model_path(&crates, version);
        model_paths.push(path.clone());
        println!("cargo::rerun-if-changed={}", path.display());
        let file = ModelFile::read(&path).unwrap_or_else(|e| panic!("{e}"));
        let types: Vec<String> = file.model.types.into_iter().map(|t| t.name).collect();
        versions.push((version.to_string(), version.ident(), types));
    }

    let mut out = String::new();
    out.push_str("/// Every generated version, oldest first.\n");
    out.push_str("pub const VERSIONS: &[&str] = &[\n");
    for (version, _, _) in &versions {
        writeln!(out, "    {version:?},").unwrap();
    }
    out.push_str("];\n\n");
    out.push_str(
        "/// Decodes `json` as type `name` of `version` and encodes it back;\n\
         /// `None` if there is no such type. Decode errors carry the JSON path.\n\
         pub fn round_trip(version: &str, name: &str, json: &str) -> Option<Result<serde_json::Value, docker_engine_client::Error>> {\n    match version {\n",
    );
    for (version, ident, _) in &versions {
        writeln!(out, "        {version:?} => {ident}(name, json),").unwrap();
    }
    out.push_str("        _ => None,\n    }\n}\n\n");
    for (_, ident, types) in &versions {
        writeln!(
            out,
            "fn {ident}(name: &str, json: &str) -> Option<Result<serde_json::Value, docker_engine_client::Error>> {{"
        )
        .unwrap();
        writeln!(out, "    use docker_engine_client::{ident}::types;").unwrap();
        out.push_str("    Some(match name {\n");
        for t in types {
            writeln!(out, "        {t:?} => rt::<types::{t}>(json),").unwrap();
        }
        out.push_str("        _ => return None,\n    })\n}\n\n");
    }
    out.push_str(
        "fn rt<T: serde::de::DeserializeOwned + serde::Serialize>(json: &str) -> Result<serde_json::Value, docker_engine_client::Error> {\n    \
         let value: T = docker_engine_client::decode_json(json.as_bytes())?;\n    \
         Ok(serde_json::to_value(&value).expect(\"a decoded value encodes\"))\n}\n",
    );
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("registry.rs");
    std::fs::write(dest, out).expect("write registry.rs");

    let models: Vec<_> = versions
        .iter()
        .zip(&model_paths)
        .map(|((version, ident, _), path)| (version.clone(), ident.clone(), path.clone()))
        .collect();
    build_conformance::generate(
        &models,
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")),
    );
}
