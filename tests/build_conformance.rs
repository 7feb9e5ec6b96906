//! Generates `conformance.rs` for `tests/tests/conformance.rs`: from every
//! version's API model, the table of its GET operations and, for those whose
//! success answer is one JSON document, a typed call through the generated
//! client and a decoder of the raw answer into the operation's response type.
//! A GET operation added by a new spec is called without anyone listing it.
//!
//! Reads `api-model.json` as plain JSON and accepts both spellings of a
//! response type the models have used (`"Vec<Task>"`, and `{"vec": {"named":
//! "Task"}}`).

use std::fmt::Write as _;
use std::path::Path;

/// One GET operation of one version, as the model says.
struct Get {
    id: String,
    rust_method: String,
    path: String,
    /// (wire name, builder method)
    path_params: Vec<(String, String)>,
    /// Optional boolean query parameters: (wire name, builder method).
    bools: Vec<(String, String)>,
    /// Required query parameters that are not path parameters (wire names).
    required_query: Vec<(String, String)>,
    /// The Rust type of the success body, when it is one JSON document.
    json: Option<String>,
    /// What the answer is otherwise (`multiplexed`, `bytes`, `upgrade`, ...).
    other: String,
    /// The Rust type of each line of a JSON-lines stream.
    item: Option<String>,
}

/// The Rust type of a model's `rust_type`, or `None` for streams and bodies
/// that are not JSON documents.
fn json_type(rust_type: &serde_json::Value) -> Option<String> {
    match rust_type {
        serde_json::Value::String(s) => match s.as_str() {
            "ByteStream" | "byte_stream" | "reqwest::Upgraded" | "upgraded" | "()" | "unit"
            | "string" | "String" => None,
            s => Some(prefix_types(s)),
        },
        serde_json::Value::Object(o) => {
            if let Some(name) = o.get("named").and_then(|n| n.as_str()) {
                Some(format!("types::{name}"))
            } else if let Some(inner) = o.get("vec") {
                json_type(inner).map(|t| format!("Vec<{t}>"))
            } else {
                panic!("api-model.json: unknown rust_type {rust_type}")
            }
        }
        other => panic!("api-model.json: unknown rust_type {other}"),
    }
}

/// `Vec<ContainerSummary>` → `Vec<types::ContainerSummary>`.
fn prefix_types(rust: &str) -> String {
    match rust.strip_prefix("Vec<").and_then(|r| r.strip_suffix('>')) {
        Some(inner) => format!("Vec<{}>", prefix_types(inner)),
        None if rust.contains("::") => rust.to_string(),
        None => format!("types::{rust}"),
    }
}

fn read_gets(model: &serde_json::Value) -> Vec<Get> {
    let operations = model["model"]["operations"]
        .as_array()
        .expect("model.operations");
    let mut gets = Vec::new();
    for op in operations {
        if op["method"].as_str() != Some("GET") {
            continue;
        }
        let text = |v: &serde_json::Value| v.as_str().expect("a string").to_string();
        let mut get = Get {
            id: text(&op["operation_id"]),
            rust_method: text(&op["rust_method"]),
            path: text(&op["path"]),
            path_params: Vec::new(),
            bools: Vec::new(),
            required_query: Vec::new(),
            json: None,
            other: String::new(),
            item: None,
        };
        for p in op["params"].as_array().expect("params") {
            let pair = (text(&p["name"]), text(&p["rust_name"]));
            let required = p["required"].as_bool().unwrap_or(false);
            match (p["location"].as_str(), p["spec_type"].as_str(), required) {
                (Some("path"), _, _) => get.path_params.push(pair),
                (Some("query"), Some("boolean"), false) => get.bools.push(pair),
                (Some("query"), _, true) => get.required_query.push(pair),
                _ => {}
            }
        }
        let response = &op["response"];
        match response.get("stream") {
            Some(stream) => {
                get.other = text(&stream["kind"]);
                get.item = stream.get("item").and_then(|i| match i {
                    serde_json::Value::String(s) => Some(prefix_types(s)),
                    other => json_type(other),
                });
            }
            None => {
                get.json = json_type(&response["rust_type"]);
                if get.json.is_none() {
                    get.other = response["rust_type"].to_string();
                }
            }
        }
        gets.push(get);
    }
    gets
}

/// Writes `conformance.rs` into `out_dir` for `versions` (`("1.51",
/// "v1_51", crate directory)`, oldest first).
pub fn generate(versions: &[(String, String, std::path::PathBuf)], out_dir: &Path) {
    let mut out = String::new();
    let mut all = Vec::new();
    for (version, ident, dir) in versions {
        let path = dir.join("api-model.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let model: serde_json::Value = serde_json::from_str(&text).expect("api-model.json is JSON");
        all.push((version, ident, read_gets(&model)));
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
             client: &docker_engine_api::VersionedClient,\n    \
             op: &str,\n    \
             args: &std::collections::BTreeMap<&str, String>,\n    \
             bools: bool,\n\
         ) -> Option<Result<serde_json::Value, docker_engine_api::Error>> {\n    \
             match client {\n",
    );
    for (_, ident, _) in &all {
        let variant = ident.replace('v', "V");
        writeln!(
            out,
            "        docker_engine_api::VersionedClient::{variant}(c) => {ident}_call(c, op, args, bools).await,"
        )
        .unwrap();
    }
    out.push_str("        #[allow(unreachable_patterns)]\n        _ => None,\n    }\n}\n\n");
    for (_, ident, gets) in &all {
        writeln!(
            out,
            "#[allow(unused_variables)]\n\
             async fn {ident}_call(\n    \
                 c: &docker_engine_api::{ident}::Client,\n    \
                 op: &str,\n    \
                 args: &std::collections::BTreeMap<&str, String>,\n    \
                 bools: bool,\n\
             ) -> Option<Result<serde_json::Value, docker_engine_api::Error>> {{\n    \
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
                "            encode(call.send().await.map(|r| r.into_inner()).map_err(docker_engine_api::Error::from))\n        }\n",
            );
        }
        out.push_str("        _ => return None,\n    })\n}\n\n");
    }

    // Raw decoding.
    out.push_str(
        "/// Decodes `raw` as the success answer of GET operation `op` of `version`\n\
         /// (one line, for a JSON-lines stream) and encodes it again; `None` when\n\
         /// there is no such JSON operation.\n\
         pub fn decode_answer(version: &str, op: &str, raw: &[u8]) -> Option<Result<serde_json::Value, docker_engine_api::Error>> {\n    \
             match version {\n",
    );
    for (version, ident, _) in &all {
        writeln!(out, "        {version:?} => {ident}_decode(op, raw),").unwrap();
    }
    out.push_str("        _ => None,\n    }\n}\n\n");
    for (_, ident, gets) in &all {
        writeln!(
            out,
            "fn {ident}_decode(op: &str, raw: &[u8]) -> Option<Result<serde_json::Value, docker_engine_api::Error>> {{\n    \
                 #[allow(unused_imports)]\n    \
                 use docker_engine_api::{ident}::types;\n    \
                 Some(match op {{"
        )
        .unwrap();
        for g in gets {
            // A JSON-lines stream: `raw` is one of its lines.
            if let Some(ty) = g.json.as_ref().or(g.item.as_ref()) {
                writeln!(
                    out,
                    "        {:?} => encode(docker_engine_api::decode_json::<{ty}>(raw)),",
                    g.id
                )
                .unwrap();
            }
        }
        out.push_str("        _ => return None,\n    })\n}\n\n");
    }
    out.push_str(
        "fn encode<T: serde::Serialize>(value: Result<T, docker_engine_api::Error>) -> Result<serde_json::Value, docker_engine_api::Error> {\n    \
             value.map(|v| serde_json::to_value(&v).expect(\"a decoded value encodes\"))\n\
         }\n",
    );
    std::fs::write(out_dir.join("conformance.rs"), out).expect("write conformance.rs");
}
