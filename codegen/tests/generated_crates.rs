//! The committed generated crates against the committed specs: every
//! operation of every spec has its method; nothing is silently dropped.

use std::collections::BTreeSet;
use std::path::PathBuf;

use docker_engine_api_codegen::spec::{SpecFile, discover};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Method names of `impl Client` blocks in a generated `lib.rs`.
fn client_methods(source: &str) -> BTreeSet<String> {
    let file = syn::parse_file(source).expect("generated source parses");
    let mut names = BTreeSet::new();
    for item in file.items {
        let syn::Item::Impl(imp) = item else { continue };
        let is_client = matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"));
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
        let source_path = root()
            .join("crates")
            .join(version.crate_name())
            .join("src/lib.rs");
        let source = std::fs::read_to_string(&source_path)
            .unwrap_or_else(|e| panic!("{}: {e}", source_path.display()));
        let methods = client_methods(&source);
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
        assert!(
            source.starts_with("// @generated"),
            "v{version}: no @generated header"
        );
        assert!(
            source.contains(&spec.sha256),
            "v{version}: header lacks the spec's sha256"
        );
    }
}

#[test]
fn snake_case_matches_progenitor() {
    assert_eq!(snake("ContainerList"), "container_list");
    assert_eq!(snake("GetPluginPrivileges"), "get_plugin_privileges");
    assert_eq!(snake("SystemPingHead"), "system_ping_head");
}

/// Rule `one_exchange` must reach every operation: a `send` it skipped
/// (because progenitor changed the shape it writes) still works but brings
/// back a copy of the exchange, and with it the build time the rule saves.
#[test]
fn every_send_uses_the_shared_exchange() {
    for (version, path) in discover(&root().join("specs")).unwrap() {
        let operations = SpecFile::load(&path).unwrap().operations().len();
        let source_path = root()
            .join("crates")
            .join(version.crate_name())
            .join("src/lib.rs");
        let source = std::fs::read_to_string(&source_path).unwrap();
        let sends = source.matches("pub async fn send(").count();
        let shared = source
            .matches("super::exchange(client, request, &info,")
            .count();
        assert_eq!(sends, operations, "v{version}: one send per operation");
        assert_eq!(
            shared,
            operations,
            "v{version}: {} of {operations} sends do not use the shared exchange",
            operations - shared
        );
        assert!(
            !source.contains("client.pre(&mut request, &info)"),
            "v{version}: a send still runs the hooks itself"
        );
    }
}

/// Container and service output is multiplexed stdout/stderr in every
/// version, whatever the spec declares (v1.40–v1.41 declare no media type for
/// the logs endpoints: rule `logs_declare_no_media_type`), and the model says
/// so, so that the facade frames it instead of decoding a JSON string.
#[test]
fn output_streams_are_multiplexed_in_every_version() {
    for (version, _) in discover(&root().join("specs")).unwrap() {
        let model_path = root()
            .join("crates")
            .join(version.crate_name())
            .join("api-model.json");
        let text = std::fs::read_to_string(&model_path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let operations = json["model"]["operations"].as_array().unwrap();
        for id in [
            "ContainerLogs",
            "ServiceLogs",
            "TaskLogs",
            "ContainerAttach",
            "ExecStart",
        ] {
            let op = operations
                .iter()
                .find(|o| o["operation_id"] == id)
                .unwrap_or_else(|| panic!("v{version}: no {id}"));
            assert_eq!(
                op["response"]["stream"]["kind"], "multiplexed",
                "v{version}: {id}"
            );
            assert_eq!(
                op["response"]["rust_type"], "ByteStream",
                "v{version}: {id}"
            );
        }
    }
}
