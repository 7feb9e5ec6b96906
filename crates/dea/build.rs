//! Generates `api.rs` for `dea api` from the API model of every generated
//! version crate (`crates/docker-engine-api-v1-NN/api-model.json`):
//!
//! - `MODELS`: each version's operations with their parameters, body and
//!   answer, which `dea api --list`, `--help` and the argument checks read;
//! - `call`: for every operation of every version, a typed call through that
//!   version's generated client (builder methods from the model, values
//!   decoded into the parameter's and the body's Rust types), answering the
//!   decoded value or the stream.
//!
//! An operation added by a new spec version is callable without anyone
//! listing it. Operations that switch protocols (`attach/ws`, `/session`)
//! get no call: `dea api` says so.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use docker_engine_api_model::{
    ApiVersion, ModelFile, Operation, ParamLocation, RustType, Stream, model_path,
};

fn main() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    println!("cargo::rerun-if-changed={}", crates.display());
    let mut versions: Vec<ApiVersion> = std::fs::read_dir(&crates)
        .expect("the crates directory of the workspace")
        .filter_map(|e| {
            ApiVersion::from_crate_name(&e.expect("readable crates/").file_name().to_string_lossy())
        })
        .collect();
    versions.sort();
    assert!(
        !versions.is_empty(),
        "no generated version crate next to {}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut models = Vec::new();
    for version in versions {
        let path: PathBuf = model_path(&crates, version);
        println!("cargo::rerun-if-changed={}", path.display());
        let file = ModelFile::read(&path).unwrap_or_else(|e| panic!("{e}"));
        models.push((version, file.model.operations));
    }
    let mut out = String::new();
    tables(&models, &mut out);
    calls(&models, &mut out);
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("api.rs");
    std::fs::write(dest, out).expect("write api.rs");
}

/// A type as `dea api --help` shows it, and as the argument check reads it.
fn shown(t: &RustType) -> String {
    match t {
        RustType::Named(n) => n.clone(),
        RustType::Vec(inner) => format!("[{}]", shown(inner)),
        RustType::Option(inner) => shown(inner),
        RustType::Map(k, v) => format!("{{{}: {}}}", shown(k), shown(v)),
        RustType::Box(inner) => shown(inner),
        RustType::String => "string".into(),
        other => other.to_string(),
    }
}

/// A type as the generated crate spells it below `use ...::types`.
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

/// What the answer of `op` is, as `dea api` prints it.
fn answer(op: &Operation) -> &'static str {
    match &op.response.stream {
        Some(Stream::JsonLines { .. }) => "json-lines",
        Some(Stream::Multiplexed) => "output",
        Some(Stream::Bytes) => "bytes",
        Some(Stream::Upgrade { .. }) => "upgrade",
        None => match op.response.rust_type {
            RustType::Unit => "none",
            RustType::ByteStream => "bytes",
            RustType::Upgraded => "upgrade",
            _ => "json",
        },
    }
}

fn tables(models: &[(ApiVersion, Vec<Operation>)], out: &mut String) {
    out.push_str("/// Every version's operations, oldest version first.\n");
    out.push_str("pub static MODELS: &[(&str, &[OpInfo])] = &[\n");
    for (version, _) in models {
        writeln!(
            out,
            "    ({:?}, {}),",
            version.to_string(),
            version.ident().to_uppercase()
        )
        .unwrap();
    }
    out.push_str("];\n\n");
    for (version, ops) in models {
        writeln!(
            out,
            "static {}: &[OpInfo] = &[",
            version.ident().to_uppercase()
        )
        .unwrap();
        for op in ops {
            let params: Vec<String> = op
                .params
                .iter()
                .map(|p| {
                    let location = match p.location {
                        ParamLocation::Path => "Path",
                        ParamLocation::Query => "Query",
                        ParamLocation::Header => "Header",
                    };
                    format!(
                        "ParamInfo {{ name: {:?}, rust_name: {:?}, location: Location::{location}, ty: {:?}, required: {} }}",
                        p.name,
                        p.rust_name,
                        shown(&p.rust_type),
                        p.required
                    )
                })
                .collect();
            let body = match &op.body {
                Some(b) => format!(
                    "Some(BodyInfo {{ ty: {:?}, content_type: {:?}, required: {} }})",
                    shown(&b.rust_type),
                    b.content_type,
                    b.required
                ),
                None => "None".into(),
            };
            writeln!(
                out,
                "    OpInfo {{ id: {:?}, method: {:?}, path: {:?}, rust_method: {:?}, summary: {:?}, params: &[{}], body: {body}, answer: {:?} }},",
                op.operation_id,
                op.method,
                op.path,
                op.rust_method,
                op.summary.clone().unwrap_or_default(),
                params.join(", "),
                answer(op),
            )
            .unwrap();
        }
        out.push_str("];\n\n");
    }
}

fn calls(models: &[(ApiVersion, Vec<Operation>)], out: &mut String) {
    out.push_str(
        "/// Calls operation `op` (its id) through `client`'s own generated client,\n\
         /// with the checked arguments `args`.\n\
         pub async fn call(client: &docker_engine_client::VersionedClient, op: &str, args: &Args) -> Result<Answer, Failure> {\n    \
             match client {\n",
    );
    for (version, _) in models {
        let ident = version.ident();
        let variant = ident.replace('v', "V");
        writeln!(
            out,
            "        docker_engine_client::VersionedClient::{variant}(c) => {ident}(c, op, args).await,"
        )
        .unwrap();
    }
    out.push_str("        #[allow(unreachable_patterns)]\n        _ => Err(Failure::Usage(format!(\"no generated client of API v{} in this build\", client.types_version()))),\n    }\n}\n\n");
    for (version, ops) in models {
        let ident = version.ident();
        writeln!(
            out,
            "#[allow(unused_imports, clippy::let_and_return)]\n\
             async fn {ident}(c: &docker_engine_client::{ident}::Client, op: &str, args: &Args) -> Result<Answer, Failure> {{\n    \
                 use docker_engine_client::{ident}::types;\n    \
                 use docker_engine_client::ResponseExt as _;\n    \
                 match op {{"
        )
        .unwrap();
        for op in ops {
            let kind = answer(op);
            if kind == "upgrade" {
                continue;
            }
            writeln!(out, "        {:?} => {{", op.operation_id).unwrap();
            writeln!(out, "            let call = c.{}();", op.rust_method).unwrap();
            for p in &op.params {
                let ty = rust(p.rust_type.strip_option());
                writeln!(
                    out,
                    "            let call = match args.value::<{ty}>({:?})? {{ Some(v) => call.{}(v), None => call }};",
                    p.name, p.rust_name
                )
                .unwrap();
            }
            if let Some(body) = &op.body {
                match &body.rust_type {
                    RustType::Body => out.push_str(
                        "            let call = match args.raw_body().await? { Some(r) => call.body(docker_engine_client::body_from_reader(r)), None => call };\n",
                    ),
                    t => writeln!(
                        out,
                        "            let call = match args.json_body::<{}>().await? {{ Some(v) => call.body(v), None => call }};",
                        rust(t)
                    )
                    .unwrap(),
                }
            }
            out.push_str("            let answer = call.send().await.map_err(docker)?;\n");
            let item = match &op.response.stream {
                Some(Stream::JsonLines { item }) => rust(item),
                _ => String::new(),
            };
            match kind {
                "json-lines" => writeln!(
                    out,
                    "            Ok(Answer::lines::<{item}>(answer.into_inner()))"
                )
                .unwrap(),
                "output" => out.push_str("            Ok(Answer::Output(answer.output()))\n"),
                "bytes" => out.push_str("            Ok(Answer::Bytes(answer.into_inner()))\n"),
                "none" => {
                    out.push_str("            let _ = answer;\n            Ok(Answer::None)\n")
                }
                _ => out.push_str("            Answer::json(&answer.into_inner())\n"),
            }
            out.push_str("        }\n");
        }
        out.push_str("        _ => Err(Failure::Usage(format!(\"`{op}` cannot be called through `dea api`: it switches the connection to another protocol\"))),\n    }\n}\n\n");
    }
}
