//! `diff` on a synthetic pair of specs (`tests/fixtures/diff/v1.0.yaml` →
//! `v1.1.yaml`, each difference commented in the new file): every kind of
//! change, the rename detection, paths of inline types, `$ref` closures, the
//! breaking flag, both renderings, and the files `regen` writes.

use std::path::PathBuf;
use std::sync::OnceLock;

use docker_engine_api_codegen::diff::{self, Change, ChangeKind, Report};
use docker_engine_api_codegen::model::ApiModel;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diff")
        .join(name)
}

fn models() -> &'static (ApiModel, ApiModel) {
    static MODELS: OnceLock<(ApiModel, ApiModel)> = OnceLock::new();
    MODELS.get_or_init(|| {
        let old = docker_engine_api_codegen::generate_version(&fixture("v1.0.yaml")).unwrap();
        let new = docker_engine_api_codegen::generate_version(&fixture("v1.1.yaml")).unwrap();
        (old.model, new.model)
    })
}

fn report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let (old, new) = models();
        diff::diff(old, new)
    })
}

/// The changes of `kind` that `pred` accepts.
fn all(kind: ChangeKind, pred: impl Fn(&Change) -> bool) -> Vec<&'static Change> {
    report()
        .changes
        .iter()
        .filter(|c| c.kind == kind && pred(c))
        .collect()
}

/// The one change of `kind` that `pred` accepts.
fn one(kind: ChangeKind, pred: impl Fn(&Change) -> bool) -> &'static Change {
    let found = all(kind, pred);
    assert_eq!(
        found.len(),
        1,
        "expected one {kind} change, found {found:#?}\nin:\n{}",
        diff::markdown(report())
    );
    found[0]
}

fn is(v: &Option<String>, s: &str) -> bool {
    v.as_deref() == Some(s)
}

fn op(c: &Change, key: &str) -> bool {
    is(&c.operation, key)
}

fn field(c: &Change, type_path: &str, json: &str) -> bool {
    is(&c.type_path, type_path) && is(&c.json_name, json)
}

#[test]
fn operations_added_removed_and_renamed() {
    let c = one(ChangeKind::OperationAdded, |c| {
        op(c, "POST /things/{id}/start")
    });
    assert!(!c.breaking);
    assert!(is(&c.operation_id, "ThingStart"));
    assert!(is(&c.rust_path, "Client::thing_start"));

    let c = one(ChangeKind::OperationRemoved, |c| {
        op(c, "DELETE /things/{id}")
    });
    assert!(c.breaking);
    assert!(is(&c.operation_id, "ThingDelete"));
    assert!(is(&c.rust_path, "Client::thing_delete"));

    // A changed operationId on the same method and path: one rename.
    let c = one(ChangeKind::OperationRenamed, |c| {
        op(c, "GET /things/{id}/logs")
    });
    assert!(c.breaking);
    assert!(is(&c.old, "Client::thing_logs"));
    assert!(is(&c.new, "Client::thing_logs_get"));
    assert!(
        all(ChangeKind::OperationAdded, |c| op(
            c,
            "GET /things/{id}/logs"
        ))
        .is_empty()
    );
    assert!(
        all(ChangeKind::OperationRemoved, |c| op(
            c,
            "GET /things/{id}/logs"
        ))
        .is_empty()
    );
}

#[test]
fn parameters() {
    let list = "GET /things/json";
    let c = one(ChangeKind::ParamAdded, |c| {
        op(c, list) && is(&c.json_name, "verbose")
    });
    assert!(!c.breaking, "an optional parameter is additive");
    assert!(is(&c.location, "query"));
    assert!(is(&c.new, "bool"));
    assert!(is(&c.rust_path, "Client::thing_list().verbose"));

    let c = one(ChangeKind::ParamAdded, |c| {
        op(c, list) && is(&c.json_name, "since")
    });
    assert!(
        c.note.as_deref().is_some_and(|n| n.contains("Deprecated")),
        "added already deprecated: {c:?}"
    );

    let c = one(ChangeKind::ParamRemoved, |c| {
        op(c, list) && is(&c.json_name, "legacy")
    });
    assert!(c.breaking);
    assert!(is(&c.old, "String"));

    let inspect = "GET /things/{id}/json";
    let c = one(ChangeKind::ParamAdded, |c| {
        op(c, inspect) && is(&c.json_name, "mode")
    });
    assert!(c.breaking, "a new required parameter breaks");
    assert!(is(&c.new, "String (required)"));

    let c = one(ChangeKind::ParamChanged, |c| {
        op(c, inspect) && is(&c.json_name, "platform")
    });
    assert!(c.breaking);
    assert!(is(&c.old, "String"));
    assert!(is(&c.new, "Vec<String>"));

    let create = "POST /things/create";
    let c = one(ChangeKind::OptionalityChanged, |c| {
        op(c, create) && is(&c.json_name, "name")
    });
    assert!(c.breaking, "optional → required breaks");
    assert!(is(&c.location, "query"));
    assert!(is(&c.new, "String (required)"));

    let c = one(ChangeKind::ParamAdded, |c| {
        op(c, create) && is(&c.json_name, "X-Registry-Auth")
    });
    assert!(is(&c.location, "header"));
    assert!(is(&c.rust_path, "Client::thing_create().x_registry_auth"));
}

#[test]
fn bodies_responses_statuses_and_media_types() {
    let upload = "PUT /things/{id}/archive";
    let c = one(ChangeKind::BodyChanged, |c| op(c, upload));
    assert!(c.breaking);
    assert!(is(&c.old, "Platform (required)"));
    assert!(is(&c.new, "reqwest::Body (required)"));
    let c = one(ChangeKind::ContentTypeChanged, |c| {
        op(c, upload) && is(&c.json_name, "body")
    });
    assert!(is(&c.old, "application/json"));
    assert!(is(&c.new, "application/octet-stream"));
    let c = one(ChangeKind::ContentTypeChanged, |c| {
        op(c, upload) && is(&c.json_name, "consumes")
    });
    assert!(is(&c.new, "application/x-tar"));

    let events = "GET /events";
    let c = one(ChangeKind::ContentTypeChanged, |c| {
        op(c, events) && is(&c.json_name, "produces")
    });
    assert!(!c.breaking);
    assert!(is(&c.old, "application/json"));
    assert!(is(&c.new, "application/x-ndjson, application/json-seq"));
    // ndjson turns the response into a stream of lines.
    let c = one(ChangeKind::ResponseChanged, |c| op(c, events));
    assert!(c.breaking);
    assert!(
        c.new
            .as_deref()
            .unwrap()
            .starts_with("ByteStream (JSON lines")
    );

    let c = one(ChangeKind::StatusChanged, |c| op(c, "POST /things/create"));
    assert!(is(&c.json_name, "error"));
    assert!(is(&c.old, "500"));
    assert!(is(&c.new, "409, 500"));
    assert!(!c.breaking);
}

#[test]
fn a_rename_with_the_same_shape_is_one_change() {
    let c = one(ChangeKind::TypeRenamed, |c| is(&c.old, "ThingConfig"));
    assert!(is(&c.new, "ThingSpec"));
    assert!(is(&c.rust_path, "types::ThingSpec"));
    assert!(c.breaking, "code naming the old type breaks");
    assert_eq!(c.reached_by, ["POST /things/create"]);
    assert!(
        all(ChangeKind::TypeAdded, |c| is(
            &c.rust_path,
            "types::ThingSpec"
        ))
        .is_empty()
    );
    assert!(
        all(ChangeKind::TypeRemoved, |c| is(
            &c.rust_path,
            "types::ThingConfig"
        ))
        .is_empty()
    );
    // The body's type is the renamed one: not also a changed body.
    assert!(all(ChangeKind::BodyChanged, |c| op(c, "POST /things/create")).is_empty());
}

#[test]
fn an_inline_object_moved_to_a_ref() {
    // `Thing.Health` was an inline object (Rust `ThingHealth`); it is now
    // `$ref: HealthSummary`, which also gained a field.
    let c = one(ChangeKind::TypeRenamed, |c| is(&c.old, "ThingHealth"));
    assert!(is(&c.new, "HealthSummary"));
    let note = c.note.as_deref().unwrap();
    assert!(note.contains("inline object `Thing.Health`"), "{note}");
    assert!(note.contains("definition `HealthSummary`"), "{note}");
    // Its fields are compared: the new one is reported at the new path.
    let c = one(ChangeKind::FieldAdded, |c| field(c, "HealthSummary", "Log"));
    assert!(is(&c.new, "log: Option<Vec<String>>"));
    assert!(c.reached_by.contains(&"GET /things/{id}/json".to_string()));
    // …and the field that holds it did not "change type".
    assert!(all(ChangeKind::FieldChanged, |c| field(c, "Thing", "Health")).is_empty());
    assert!(
        all(ChangeKind::TypeAdded, |c| is(
            &c.rust_path,
            "types::HealthSummary"
        ))
        .is_empty()
    );
    assert!(
        all(ChangeKind::TypeRemoved, |c| is(
            &c.rust_path,
            "types::ThingHealth"
        ))
        .is_empty()
    );
}

#[test]
fn fields() {
    let c = one(ChangeKind::FieldAdded, |c| field(c, "Thing", "Labels"));
    assert!(!c.breaking);
    assert!(is(&c.new, "labels: Option<HashMap<String, String>>"));
    assert!(is(&c.rust_path, "types::Thing::labels"));

    let c = one(ChangeKind::FieldRemoved, |c| field(c, "Thing", "Legacy"));
    assert!(c.breaking);
    assert!(is(&c.old, "legacy: Option<LegacyInfo>"));
    // Its type went with it (nothing else used it).
    let c = one(ChangeKind::TypeRemoved, |c| {
        is(&c.rust_path, "types::LegacyInfo")
    });
    assert!(c.breaking);

    let c = one(ChangeKind::FieldChanged, |c| field(c, "Thing", "Size"));
    assert!(c.breaking);
    assert!(is(&c.old, "size: Option<i64>"));
    assert!(is(&c.new, "size: Option<String>"));

    let c = one(ChangeKind::OptionalityChanged, |c| {
        field(c, "Thing", "Name")
    });
    assert!(c.breaking, "optional → required breaks");
    assert!(is(&c.old, "name: Option<String>"));
    assert!(is(&c.new, "name: String (required)"));
    assert!(is(&c.note, "became required"));

    let c = one(ChangeKind::Deprecated, |c| field(c, "Thing", "Ref"));
    assert!(!c.breaking);
    assert!(is(&c.new, "Deprecated: use `Id` instead."), "{c:?}");
}

#[test]
fn nested_inline_objects_are_reported_at_their_full_path() {
    let c = one(ChangeKind::FieldAdded, |c| is(&c.json_name, "ReadOnly"));
    assert!(is(&c.type_path, "Thing.Mounts[].Options"), "{c:?}");
    assert_eq!(
        c.full_path().as_deref(),
        Some("Thing.Mounts[].Options.ReadOnly")
    );
    assert!(c.rust_path.as_deref().unwrap().ends_with("::read_only"));
    let md = diff::markdown(report());
    assert!(md.contains("`Thing.Mounts[].Options.ReadOnly`"), "{md}");
}

#[test]
fn enum_values() {
    let c = one(ChangeKind::EnumValueAdded, |c| {
        field(c, "ThingState", "paused")
    });
    assert!(!c.breaking);
    assert!(is(&c.rust_path, "types::ThingState"));
    let c = one(ChangeKind::EnumValueRemoved, |c| {
        field(c, "ThingState", "dead")
    });
    assert!(c.breaking);
}

#[test]
fn a_struct_that_became_nullable() {
    // `x-nullable: true` on a definition: `struct Platform` becomes
    // `struct Platform(Option<PlatformInner>)`; its fields are still compared.
    let c = one(ChangeKind::TypeChanged, |c| is(&c.type_path, "Platform"));
    assert!(c.breaking);
    assert!(is(&c.old, "definition struct"));
    assert!(is(&c.new, "definition newtype of Option<PlatformInner>"));
    one(ChangeKind::FieldAdded, |c| field(c, "Platform", "variant"));
    assert!(all(ChangeKind::FieldRemoved, |c| is(&c.type_path, "Platform")).is_empty());
}

#[test]
fn a_change_only_the_ref_closure_reveals() {
    // GET /things/{id}/net itself is unchanged; its response holds a list of
    // `Port`, which gained a field.
    let net = "GET /things/{id}/net";
    assert!(
        report().changes.iter().all(|c| !op(c, net)),
        "no change of the operation itself"
    );
    let c = one(ChangeKind::FieldAdded, |c| field(c, "Port", "IP"));
    assert_eq!(c.reached_by, [net]);
    let md = diff::markdown(report());
    let section = md
        .split("\n### ")
        .find(|s| s.starts_with(&format!("`{net}`")))
        .unwrap_or_else(|| panic!("no section for {net}:\n{md}"));
    assert!(section.contains("added field `Port.IP`"), "{section}");

    // A change deep in `Thing` is listed under both operations returning it.
    let c = one(ChangeKind::EnumValueAdded, |c| is(&c.json_name, "paused"));
    assert_eq!(c.reached_by, ["GET /things/json", "GET /things/{id}/json"]);
}

#[test]
fn the_summary_counts_every_change() {
    let r = report();
    assert_eq!(r.from, "1.0");
    assert_eq!(r.to, "1.1");
    assert_eq!(r.summary.changes, r.changes.len());
    assert_eq!(
        r.summary.breaking,
        r.changes.iter().filter(|c| c.breaking).count()
    );
    assert_eq!(
        r.summary.breaking + r.summary.non_breaking,
        r.summary.changes
    );
    assert_eq!(r.summary.by_kind.values().sum::<usize>(), r.summary.changes);
    let md = diff::markdown(r);
    let line = format!(
        "**{} changes, {} breaking.**",
        r.summary.changes, r.summary.breaking
    );
    assert!(md.contains(&line), "{md}");
    assert!(md.contains("\n## Operations\n") && md.contains("\n## Types\n"));
    assert_eq!(
        r.operations["GET /things/{id}/net"].rust_method,
        "thing_network"
    );
}

#[test]
fn json_has_the_documented_schema() {
    let text = diff::json(report());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema"], diff::SCHEMA);
    for key in ["from", "to", "summary", "operations", "changes"] {
        assert!(v.get(key).is_some(), "no `{key}`");
    }
    let keys = [
        "kind",
        "breaking",
        "operation",
        "operation_id",
        "location",
        "type_path",
        "json_name",
        "rust_path",
        "old",
        "new",
        "note",
        "reached_by",
    ];
    for c in v["changes"].as_array().unwrap() {
        let obj = c.as_object().unwrap();
        assert_eq!(obj.len(), keys.len(), "{c}");
        for key in keys {
            assert!(obj.contains_key(key), "`{key}` missing: {c}");
        }
        let kind = c["kind"].as_str().unwrap();
        assert!(ChangeKind::ALL.iter().any(|k| k.as_str() == kind), "{kind}");
    }
    let renamed = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "type-renamed" && c["old"] == "ThingConfig")
        .unwrap();
    assert_eq!(renamed["new"], "ThingSpec");
    assert_eq!(renamed["breaking"], true);
    assert_eq!(v["summary"]["by_kind"]["type-renamed"], 2);
    // Round trip.
    let back: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, report());
}

#[test]
fn identical_models_have_no_changes_and_reports_are_deterministic() {
    let (old, new) = models();
    let same = diff::diff(new, new);
    assert!(same.changes.is_empty(), "{:#?}", same.changes);
    assert!(diff::markdown(&same).contains("No changes."));
    assert_eq!(diff::diff(old, new), *report());
    assert_eq!(
        diff::markdown(&diff::diff(old, new)),
        diff::markdown(report())
    );
    // The other way round, additions and removals swap.
    let back = diff::diff(new, old);
    let count = |r: &Report, k| r.summary.by_kind.get(&k).copied().unwrap_or(0);
    assert_eq!(
        count(&back, ChangeKind::FieldAdded),
        count(report(), ChangeKind::FieldRemoved)
    );
    assert_eq!(
        count(&back, ChangeKind::OperationRemoved),
        count(report(), ChangeKind::OperationAdded)
    );
    assert_eq!(
        count(&back, ChangeKind::TypeRenamed),
        count(report(), ChangeKind::TypeRenamed)
    );
}

#[test]
fn regen_writes_one_file_per_consecutive_pair() {
    let (old, new) = models();
    let files = diff::changes_files(&[old, new]);
    let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    assert_eq!(
        paths,
        ["crates/CHANGES/1.0-1.1.md", "crates/CHANGES/README.md"]
    );
    assert_eq!(files[0].contents, diff::markdown(report()));
    assert!(files[1].contents.contains("[v1.0 → v1.1](1.0-1.1.md)"));

    // A report whose pair is gone is stale; other files are left alone.
    let root = std::env::temp_dir().join(format!("dea-diff-stale-{}", std::process::id()));
    let dir = root.join(diff::CHANGES_DIR);
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["1.0-1.1.md", "0.9-1.0.md", "README.md", "notes.txt"] {
        std::fs::write(dir.join(name), "x").unwrap();
    }
    assert_eq!(
        diff::stale_changes_files(&root, &files),
        [PathBuf::from("crates/CHANGES/0.9-1.0.md")]
    );
    let _ = std::fs::remove_dir_all(&root);
}
