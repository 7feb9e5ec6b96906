//! Generates `conformance.rs` for `tests/tests/conformance.rs`: from every
//! version's API model, the table of its GET operations and, for those whose
//! success answer is one JSON document, a typed call through the generated
//! client and a decoder of the raw answer into the operation's response type.
//! A GET operation added by a new spec is called without anyone listing it.
//!
//! Reads the models with `docker-engine-api-model`.

use std::fmt::Write as _;
use std::path::Path;

use docker_engine_api_model::{ModelFile, Operation, ParamLocation, RustType, Stream};

/// One GET operation of one version, as the model says.
struct Get {
    id: String,
    rust_method: String,
    path: String,
    /// (wire name, builder method)
    path_params: Vec<(String, String)>,
    /// Optional boolean query parameters: (wire name, builder method).
    bools: Vec<(String, String)>,
    /// Required query parameters that are not path parameters.
    required_query: Vec<(String, String)>,
    /// The Rust type of the success body, when it is one JSON document.
    json: Option<String>,
    /// What the answer is otherwise (`multiplexed`, `bytes`, `upgrade`, ...).
    other: String,
    /// The Rust type of each line of a JSON-lines stream.
    item: Option<String>,
}

/// A model type as the generated crate spells it below `use ...::types`.
fn rust(t: &RustType) -> String {
    match t {
        RustType::Named(name) => format!("types::{name}"),
        RustType::Vec(inner) => format!("Vec<{}>", rust(inner)),
        RustType::Option(inner) => format!("Option<{}>", rust(inner)),
        RustType::Box(inner) => format!("Box<{}>", rust(inner)),
        RustType::Map(k, v) => format!("std::collections::HashMap<{}, {}>", rust(k), rust(v)),
        other => other.to_string(),
    }
}

fn read_gets(operations: &[Operation]) -> Vec<Get> {
    let mut gets = Vec::new();
    for op in operations.iter().filter(|op| op.method == "GET") {
        let mut get = Get {
            id: op.operation_id.clone(),
            rust_method: op.rust_method.clone(),
            path: op.path.clone(),
            path_params: Vec::new(),
            bools: Vec::new(),
            required_query: Vec::new(),
            json: None,
            other: String::new(),
            item: None,
        };
        for p in &op.params {
            let pair = (p.name.clone(), p.rust_name.clone());
            match (p.location, p.spec_type.as_str(), p.required) {
                (ParamLocation::Path, _, _) => get.path_params.push(pair),
                (ParamLocation::Query, "boolean", false) => get.bools.push(pair),
                (ParamLocation::Query, _, true) => get.required_query.push(pair),
                _ => {}
            }
        }
        match &op.response.stream {
            Some(Stream::JsonLines { item }) => {
                get.other = "json-lines".into();
                get.item = Some(rust(item));
            }
            Some(Stream::Multiplexed) => get.other = "multiplexed".into(),
            Some(Stream::Bytes) => get.other = "bytes".into(),
            Some(Stream::Upgrade { .. }) => get.other = "upgrade".into(),
            None => match &op.response.rust_type {
                RustType::Unit | RustType::ByteStream | RustType::Upgraded | RustType::String => {
                    get.other = op.response.rust_type.to_string();
                }
                t => get.json = Some(rust(t)),
            },
        }
        gets.push(get);
    }
    gets
}

/// Writes `conformance.rs` into `out_dir` for `versions` (`("1.51",
/// "v1_51", api-model.json)`, oldest first).
pub fn generate(versions: &[(String, String, std::path::PathBuf)], out_dir: &Path) {
    let mut out = String::new();
    let mut all = Vec::new();
    for (version, ident, path) in versions {
        let file = ModelFile::read(path).unwrap_or_else(|e| panic!("{e}"));
        all.push((version, ident, read_gets(&file.model.operations)));
    }

    out.push_str(
        "/// A GET operation of one version, as its API model has it.\n\
         #[derive(Clone, Copy, Debug)]\n\
         pub struct GetOperation {\n    \
             pub id: &'static str,\n    \
             pub path: &'static str,\n    \
             pub path_params: &'static [&'static str],\n    \
             /// The optional boolean query parameters (wire names).\n    \
             pub bools: &'static [&'static str],\n    \
             /// Required query parameters besides the path (wire names).\n    \
             pub required_query: &'static [&'static str],\n    \
             /// The Rust type of the success answer when it is one JSON document.\n    \
             pub json: Option<&'static str>,\n    \
             /// Otherwise what it is: a stream kind or a body type of the model.\n    \
             pub other: &'static str,\n    \
             /// The Rust type of each line of a JSON-lines stream.\n    \
             pub item: Option<&'static str>,\n\
         }\n\n\
         /// The GET operations of `version`; empty for a version not compiled.\n\
         pub fn get_operations(version: &str) -> &'static [GetOperation] {\n    match version {\n",
    );
    for (version, ident, _) in &all {
        writeln!(out, "        {version:?} => {},", ident.to_uppercase()).unwrap();
    }
    out.push_str("        _ => &[],\n    }\n}\n\n");
    let list = |items: &[(String, String)]| {
        let names: Vec<String> = items.iter().map(|(n, _)| format!("{n:?}")).collect();
        format!("&[{}]", names.join(", "))
    };
    for (_, ident, gets) in &all {
        writeln!(out, "const {}: &[GetOperation] = &[", ident.to_uppercase()).unwrap();
        for g in gets {
            writeln!(
                out,
                "    GetOperation {{ id: {:?}, path: {:?}, path_params: {}, bools: {}, required_query: {}, json: {:?}, other: {:?}, item: {:?} }},",
                g.id,
                g.path,
                list(&g.path_params),
                list(&g.bools),
                list(&g.required_query),
                g.json.as_deref().map(|t| t.replace("types::", "")),
                g.other,
                g.item.as_deref().map(|t| t.replace("types::", "")),
            )
            .unwrap();
        }
        out.push_str("];\n\n");
    }

    // Typed calls.
    out.push_str(
        "/// Calls GET operation `op` through `client`'s generated typed client,\n\
         /// its path and required query parameters from `args` (by wire name), every\n\
         /// optional boolean set to `true` when `bools`; answers the decoded value\n\
         /// encoded again. `None` when the version has no such JSON operation.\n\
         pub async fn call_typed(\n    \
             client: &docker_engine_client::VersionedClient,\n    \
             op: &str,\n    \
             args: &std::collections::BTreeMap<&str, String>,\n    \
             bools: bool,\n\
         ) -> Option<Result<serde_json::Value, docker_engine_client::Error>> {\n    \
             match client {\n",
    );
    for (_, ident, _) in &all {
        let variant = ident.replace('v', "V");
        writeln!(
            out,
            "        docker_engine_client::VersionedClient::{variant}(c) => {ident}_call(c, op, args, bools).await,"
        )
        .unwrap();
    }
    out.push_str("        #[allow(unreachable_patterns)]\n        _ => None,\n    }\n}\n\n");
    for (_, ident, gets) in &all {
        writeln!(
            out,
            "#[allow(unused_variables)]\n\
             async fn {ident}_call(\n    \
                 c: &docker_engine_client::{ident}::Client,\n    \
                 op: &str,\n    \
                 args: &std::collections::BTreeMap<&str, String>,\n    \
                 bools: bool,\n\
             ) -> Option<Result<serde_json::Value, docker_engine_client::Error>> {{\n    \
                 Some(match op {{"
        )
        .unwrap();
        for g in gets.iter().filter(|g| g.json.is_some()) {
            writeln!(out, "        {:?} => {{", g.id).unwrap();
            writeln!(out, "            let call = c.{}();", g.rust_method).unwrap();
            for (wire, method) in g.path_params.iter().chain(&g.required_query) {
                writeln!(
                    out,
                    "            let call = call.{method}(args.get({wire:?}).cloned().unwrap_or_default());"
                )
                .unwrap();
            }
            for (_, method) in &g.bools {
                writeln!(
                    out,
                    "            let call = if bools {{ call.{method}(true) }} else {{ call }};"
                )
                .unwrap();
            }
            out.push_str(
                "            encode(call.send().await.map(|r| r.into_inner()).map_err(docker_engine_client::Error::from))\n        }\n",
            );
        }
        out.push_str("        _ => return None,\n    })\n}\n\n");
    }

    // Raw decoding.
    out.push_str(
        "/// Decodes `raw` as the success answer of GET operation `op` of `version`\n\
         /// (one line, for a JSON-lines stream) and encodes it again; `None` when\n\
         /// there is no such JSON operation.\n\
         pub fn decode_answer(version: &str, op: &str, raw: &[u8]) -> Option<Result<serde_json::Value, docker_engine_client::Error>> {\n    \
             match version {\n",
    );
    for (version, ident, _) in &all {
        writeln!(out, "        {version:?} => {ident}_decode(op, raw),").unwrap();
    }
    out.push_str("        _ => None,\n    }\n}\n\n");
    for (_, ident, gets) in &all {
        writeln!(
            out,
            "fn {ident}_decode(op: &str, raw: &[u8]) -> Option<Result<serde_json::Value, docker_engine_client::Error>> {{\n    \
                 #[allow(unused_imports)]\n    \
                 use docker_engine_client::{ident}::types;\n    \
                 Some(match op {{"
        )
        .unwrap();
        for g in gets {
            // A JSON-lines stream: `raw` is one of its lines.
            if let Some(ty) = g.json.as_ref().or(g.item.as_ref()) {
                writeln!(
                    out,
                    "        {:?} => encode(docker_engine_client::decode_json::<{ty}>(raw)),",
                    g.id
                )
                .unwrap();
            }
        }
        out.push_str("        _ => return None,\n    })\n}\n\n");
    }
    out.push_str(
        "fn encode<T: serde::Serialize>(value: Result<T, docker_engine_client::Error>) -> Result<serde_json::Value, docker_engine_client::Error> {\n    \
             value.map(|v| serde_json::to_value(&v).expect(\"a decoded value encodes\"))\n\
         }\n",
    );
    std::fs::write(out_dir.join("conformance.rs"), out).expect("write conformance.rs");
}
