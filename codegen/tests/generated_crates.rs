//! The committed generated crates against the committed specs: every
//! operation of every spec has its method; nothing is silently dropped.

use std::collections::BTreeSet;
use std::path::PathBuf;

use docker_engine_api_codegen::spec::{SpecFile, discover};
use docker_engine_api_model::{Protocol, RustType, Stream};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Method names of `impl Client` blocks in one source file of a generated
/// crate (`lib.rs` has `impl Client`, `builder/<tag>.rs` `impl crate::Client`).
fn client_methods(source: &str) -> BTreeSet<String> {
    let file = syn::parse_file(source).expect("generated source parses");
    let mut names = BTreeSet::new();
    for item in file.items {
        let syn::Item::Impl(imp) = item else { continue };
        let is_client = matches!(&*imp.self_ty, syn::Type::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "Client")
                && p.path.segments.len() <= 2);
        if !is_client || imp.trait_.is_some() {
            continue;
        }
        for i in imp.items {
            if let syn::ImplItem::Fn(f) = i {
                names.insert(f.sig.ident.to_string());
            }
        }
    }
    names.remove("new");
    names.remove("new_with_client");
    names
}

fn snake(id: &str) -> String {
    let mut out = String::new();
    for (i, c) in id.char_indices() {
        let prev_lower = i > 0
            && id[..i]
                .chars()
                .last()
                .is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[test]
fn every_operation_of_every_spec_has_a_method() {
    let specs = discover(&root().join("specs")).unwrap();
    assert!(
        specs.len() >= 16,
        "expected the sixteen committed specs (v1.40 … v1.55), found {}",
        specs.len()
    );
    for (version, path) in specs {
        let spec = SpecFile::load(&path).unwrap();
        let ids: BTreeSet<String> = spec
            .operations()
            .iter()
            .map(|op| snake(op.operation_id.expect("every Docker operation has an id")))
            .collect();
        let sources = crate_files(&version.crate_name());
        let methods: BTreeSet<String> = sources
            .iter()
            .flat_map(|(_, source)| client_methods(source))
            .collect();
        let missing: Vec<_> = ids.difference(&methods).collect();
        let extra: Vec<_> = methods.difference(&ids).collect();
        assert!(
            missing.is_empty(),
            "v{version}: operations without a method: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "v{version}: methods without an operation: {extra:?}"
        );
        assert_eq!(
            ids.len(),
            spec.operations().len(),
            "v{version}: duplicate operation ids"
        );
        // A provenance line on every file.
        for (path, source) in &sources {
            let first = source.lines().next().unwrap_or_default();
            assert!(
                first.starts_with("// @generated") && first.contains(&spec.sha256),
                "{}: the first line names no spec and sha256",
                path.display()
            );
        }
    }
}

#[test]
fn snake_case_matches_progenitor() {
    assert_eq!(snake("ContainerList"), "container_list");
    assert_eq!(snake("GetPluginPrivileges"), "get_plugin_privileges");
    assert_eq!(snake("SystemPingHead"), "system_ping_head");
}

/// Rule `one_exchange` must reach every operation: each `send` (and each
/// `upgrade`) calls the runtime crate's one exchange, and no generated code
/// runs the hooks or checks a status itself.
#[test]
fn every_send_uses_the_shared_exchange() {
    for (version, path) in discover(&root().join("specs")).unwrap() {
        let operations = SpecFile::load(&path).unwrap().operations().len();
        let source = crate_source(&version.crate_name());
        let sends = source.matches("pub async fn send(").count();
        let upgrades = source.matches("pub async fn upgrade(").count();
        let shared = source
            .matches("::docker_engine_api_runtime::exchange(")
            .count();
        assert_eq!(sends, operations, "v{version}: one send per operation");
        assert_eq!(upgrades, 2, "v{version}: attach and exec start can upgrade");
        assert_eq!(
            shared,
            operations + upgrades,
            "v{version}: {} sends or upgrades do not use the shared exchange",
            (operations + upgrades).saturating_sub(shared)
        );
        for own in [
            "client.pre(",
            "fn exchange(",
            "fn websocket_key(",
            "status().as_u16()",
        ] {
            assert!(
                !source.contains(own),
                "v{version}: generated code has its own `{own}`"
            );
        }
    }
}

/// Every `.rs` file of a generated crate's `src/`, concatenated.
fn crate_source(crate_name: &str) -> String {
    crate_files(crate_name)
        .into_iter()
        .map(|(_, source)| source)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `.rs` file of a generated crate's `src/`, with its path, sorted.
fn crate_files(crate_name: &str) -> Vec<(PathBuf, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &root().join("crates").join(crate_name).join("src"),
        &mut files,
    );
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let source = std::fs::read_to_string(&p).unwrap();
            (p, source)
        })
        .collect()
}

/// Container and service output is multiplexed stdout/stderr in every
/// version, whatever the spec declares (v1.40–v1.41 declare no media type for
/// the logs endpoints: rule `logs_declare_no_media_type`), and the model says
/// so, so that the facade frames it instead of decoding a JSON string.
#[test]
fn output_streams_are_multiplexed_in_every_version() {
    for (version, _) in discover(&root().join("specs")).unwrap() {
        let model = docker_engine_api_model::ModelFile::read(&docker_engine_api_model::model_path(
            &root().join("crates"),
            version,
        ))
        .unwrap()
        .model;
        for id in [
            "ContainerLogs",
            "ServiceLogs",
            "TaskLogs",
            "ContainerAttach",
            "ExecStart",
        ] {
            let op = model
                .operations
                .iter()
                .find(|o| o.operation_id == id)
                .unwrap_or_else(|| panic!("v{version}: no {id}"));
            assert_eq!(
                op.response.stream,
                Some(Stream::Multiplexed),
                "v{version}: {id}"
            );
            assert_eq!(
                op.response.rust_type,
                RustType::ByteStream,
                "v{version}: {id}"
            );
        }
    }
}

/// Attach and exec start answer a plain stream and can also switch to `tcp`
/// (rule `one_success_response` keeps attach's dropped 101 as an upgrade;
/// `exec_start_lists_no_upgrade` adds exec start's); attach over websocket
/// and the session switch in `send` itself.
#[test]
fn hijackable_operations_are_recorded_in_every_version() {
    for (version, _) in discover(&root().join("specs")).unwrap() {
        let model = docker_engine_api_model::ModelFile::read(&docker_engine_api_model::model_path(
            &root().join("crates"),
            version,
        ))
        .unwrap()
        .model;
        let upgradable: Vec<(&str, Protocol)> = model
            .operations
            .iter()
            .filter_map(|o| Some((o.operation_id.as_str(), o.upgrade?)))
            .collect();
        assert_eq!(
            upgradable,
            [
                ("ContainerAttach", Protocol::Tcp),
                ("ExecStart", Protocol::Tcp)
            ],
            "v{version}"
        );
        let switching: Vec<(&str, &Stream)> = model
            .operations
            .iter()
            .filter_map(|o| match &o.response.stream {
                Some(s @ Stream::Upgrade { .. }) => Some((o.operation_id.as_str(), s)),
                _ => None,
            })
            .collect();
        assert_eq!(
            switching,
            [
                (
                    "ContainerAttachWebsocket",
                    &Stream::Upgrade {
                        protocol: Protocol::Websocket
                    }
                ),
                (
                    "Session",
                    &Stream::Upgrade {
                        protocol: Protocol::H2c
                    }
                ),
            ],
            "v{version}"
        );
    }
}

/// No generated type refuses a value on its own: typify's checking
/// conversions (closed enums of integers or objects, patterns, bounds) and
/// `deny_unknown_fields` are all gone (rules `enums_of_values_are_open`,
/// `validation_is_documentation`; string enums are open, `open_enums`).
#[test]
fn no_generated_type_refuses_a_value() {
    for (version, _) in discover(&root().join("specs")).unwrap() {
        let source = crate_source(&version.crate_name());
        for closed in [
            "\"invalid value\"",
            "deny_unknown_fields",
            "impl<'de> ::serde::Deserialize<'de> for",
        ] {
            assert!(
                !source.contains(closed),
                "v{version}: generated code still has `{closed}`"
            );
        }
    }
}
