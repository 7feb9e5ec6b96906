//! What a real daemon sends must decode, in every generated version: `null`
//! for any optional field (Go encodes empty slices and maps as `null`),
//! unknown fields, enum values the spec does not list, ids that do not match
//! the spec's pattern. Driven by the API models, so every type of every
//! version is covered; no engine needed.

use std::collections::BTreeMap;

use docker_engine_api_model::{ApiVersion, ModelFile, RustType, TypeDef, TypeKind, model_path};
use serde_json::{Value, json};

include!(concat!(env!("OUT_DIR"), "/registry.rs"));

/// The types of `version`'s committed API model, by name.
fn load(version: &str) -> BTreeMap<String, TypeDef> {
    let version: ApiVersion = version.parse().expect("the registry lists versions");
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    let file = ModelFile::read(&model_path(&crates, version)).unwrap_or_else(|e| panic!("{e}"));
    file.model
        .types
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect()
}

/// The smallest JSON value of a Rust type: required fields only.
fn minimal(ty: &RustType, types: &BTreeMap<String, TypeDef>, depth: usize) -> Value {
    assert!(depth < 40, "type nesting too deep at {ty}");
    match ty {
        RustType::Option(_) | RustType::Json | RustType::Unit => Value::Null,
        RustType::Vec(_) => json!([]),
        RustType::Map(..) | RustType::JsonObject => json!({}),
        RustType::String => json!("x"),
        RustType::Bool => json!(false),
        RustType::I8
        | RustType::I16
        | RustType::I32
        | RustType::I64
        | RustType::U8
        | RustType::U16
        | RustType::U32
        | RustType::U64 => json!(0),
        RustType::F32 | RustType::F64 => json!(0.0),
        RustType::Box(inner) => minimal(inner, types, depth + 1),
        RustType::Named(name) => {
            let def = types
                .get(name)
                .unwrap_or_else(|| panic!("unknown type `{name}`"));
            minimal_of(def, types, depth + 1)
        }
        RustType::ByteStream | RustType::Upgraded | RustType::Body => {
            panic!("`{ty}` is no JSON type")
        }
    }
}

fn minimal_of(def: &TypeDef, types: &BTreeMap<String, TypeDef>, depth: usize) -> Value {
    match def.kind {
        TypeKind::Struct => {
            let mut obj = serde_json::Map::new();
            for f in def.fields.iter().filter(|f| f.required) {
                obj.insert(f.json_name.clone(), minimal(&f.rust_type, types, depth));
            }
            Value::Object(obj)
        }
        TypeKind::Enum => json!(def.values.first().cloned().unwrap_or_default()),
        TypeKind::Newtype | TypeKind::Alias => minimal(
            def.inner
                .as_ref()
                .expect("newtype or alias has an inner type"),
            types,
            depth,
        ),
    }
}

fn decode(version: &str, name: &str, value: &Value) -> Result<Value, docker_engine_api::Error> {
    round_trip(version, name, &value.to_string())
        .unwrap_or_else(|| panic!("v{version}: the registry has no type `{name}` (stale build?)"))
}

#[test]
fn every_struct_accepts_null_for_every_optional_field_and_unknown_fields() {
    let mut checked = 0;
    for version in VERSIONS {
        let types = load(version);
        for def in types.values().filter(|t| t.kind == TypeKind::Struct) {
            let mut value = minimal_of(def, &types, 0);
            let obj = value.as_object_mut().unwrap();
            for f in def.fields.iter().filter(|f| f.rust_type.is_option()) {
                obj.insert(f.json_name.clone(), Value::Null);
            }
            obj.insert(
                "FieldFromAFutureVersion".into(),
                json!({"nested": [1, null]}),
            );
            if let Err(e) = decode(version, &def.name, &value) {
                panic!("v{version} {}: {e}\ninput: {value}", def.name);
            }
            checked += 1;
        }
    }
    assert!(checked > 16 * 150, "only {checked} structs checked");
}

#[test]
fn collections_are_never_a_required_non_null_field() {
    // Go sends `null` for a nil slice or map even where the spec says
    // "required": no field may be a bare Vec or map.
    for version in VERSIONS {
        for def in load(version).values() {
            for f in &def.fields {
                assert!(
                    !matches!(
                        f.rust_type,
                        RustType::Vec(_) | RustType::Map(..) | RustType::JsonObject
                    ),
                    "v{version} {}.{} is `{}`: `null` would fail",
                    def.name,
                    f.json_name,
                    f.rust_type
                );
            }
        }
    }
}

#[test]
fn every_enum_keeps_values_it_does_not_know() {
    let mut checked = 0;
    for version in VERSIONS {
        for def in load(version).values().filter(|t| t.kind == TypeKind::Enum) {
            for known in &def.values {
                let back = decode(version, &def.name, &json!(known)).unwrap();
                assert_eq!(back, json!(known), "v{version} {}", def.name);
            }
            let unknown = json!("a-value-from-a-future-daemon");
            let back = decode(version, &def.name, &unknown)
                .unwrap_or_else(|e| panic!("v{version} {}: unknown value refused: {e}", def.name));
            assert_eq!(
                back, unknown,
                "v{version} {}: the value must survive a round trip",
                def.name
            );
            checked += 1;
        }
    }
    assert!(checked > 16 * 30, "only {checked} enums checked");
}

/// A value of `ty` the spec does not list, or that a closed type would
/// refuse: an integer outside an integer enum, an object with content where
/// the spec says `{}`, a string outside a string enum, non-empty collections.
fn unlisted(ty: &RustType, types: &BTreeMap<String, TypeDef>, depth: usize) -> Value {
    assert!(depth < 40, "type nesting too deep at {ty}");
    match ty {
        RustType::Option(inner) | RustType::Box(inner) => unlisted(inner, types, depth + 1),
        RustType::Vec(item) => json!([unlisted(item, types, depth + 1)]),
        RustType::Map(_, value) => {
            json!({ "a-key-from-a-future-daemon": unlisted(value, types, depth + 1) })
        }
        RustType::JsonObject | RustType::Json => json!({ "future": { "nested": [1, null] } }),
        RustType::String => json!("a-value-from-a-future-daemon"),
        RustType::Bool => json!(true),
        // Fits every integer type, and no integer enum of the specs lists it.
        RustType::I8
        | RustType::I16
        | RustType::I32
        | RustType::I64
        | RustType::U8
        | RustType::U16
        | RustType::U32
        | RustType::U64 => json!(101),
        RustType::F32 | RustType::F64 => json!(1.5),
        RustType::Named(name) => {
            let def = &types[name];
            match def.kind {
                TypeKind::Enum => json!("a-value-from-a-future-daemon"),
                TypeKind::Struct => minimal_of(def, types, depth + 1),
                TypeKind::Newtype | TypeKind::Alias => {
                    unlisted(def.inner.as_ref().expect("an inner type"), types, depth + 1)
                }
            }
        }
        RustType::Unit | RustType::ByteStream | RustType::Upgraded | RustType::Body => {
            panic!("`{ty}` is no JSON type")
        }
    }
}

/// Whether `back` holds all of `sent` (a struct inside may add the defaults
/// of its fields, nothing else may differ).
fn keeps(back: &Value, sent: &Value) -> bool {
    match (back, sent) {
        (Value::Object(b), Value::Object(s)) => {
            s.iter().all(|(k, v)| b.get(k).is_some_and(|w| keeps(w, v)))
        }
        (Value::Array(b), Value::Array(s)) => {
            b.len() == s.len() && b.iter().zip(s).all(|(w, v)| keeps(w, v))
        }
        _ => back == sent,
    }
}

/// No type is closed, whatever its kind: every enum, newtype and alias of
/// every version decodes a value its spec does not list, and writes it back
/// (structs inside may add their fields' defaults; structs themselves: see
/// the test of nulls and unknown fields).
#[test]
fn every_type_keeps_values_the_spec_does_not_list() {
    let mut checked = 0;
    for version in VERSIONS {
        let types = load(version);
        for def in types.values().filter(|t| t.kind != TypeKind::Struct) {
            let value = unlisted(&RustType::named(def.name.clone()), &types, 0);
            let back = decode(version, &def.name, &value)
                .unwrap_or_else(|e| panic!("v{version} {}: {value} refused: {e}", def.name));
            assert!(
                keeps(&back, &value),
                "v{version} {}: {value} came back as {back}",
                def.name
            );
            checked += 1;
        }
    }
    assert!(checked > 16 * 60, "only {checked} types checked");
}

#[test]
fn what_real_daemons_send_decodes_in_every_version() {
    // A container list entry as engines send it: ids that are not 64 hex
    // characters (other engines, test doubles), nulls where the spec promises
    // arrays and maps, a state this version does not list, an unknown field.
    let summary = json!([{
        "Id": "not-a-hex-id",
        "Names": null,
        "Image": "busybox",
        "ImageID": "sha256:abc",
        "Command": "sh",
        "Created": 1700000000,
        "Ports": null,
        "Labels": null,
        "State": "stopping",
        "Status": "Stopping",
        "HostConfig": {"NetworkMode": "none", "Annotations": null},
        "NetworkSettings": {"Networks": null},
        "Mounts": null,
        "SomethingNew": {"x": 1}
    }]);
    let inspect = json!({
        "Id": "short",
        "State": {"Status": "paused-and-confused", "Running": false, "Health": null},
        "HostConfig": {"Binds": null, "Devices": null, "RestartPolicy": {"Name": "", "MaximumRetryCount": 0}},
        "Mounts": null,
        "Config": {"Env": null, "Cmd": null, "Labels": null, "Volumes": null, "ExposedPorts": null},
        "NetworkSettings": {"Ports": {"80/tcp": null}, "Networks": null}
    });
    for version in VERSIONS {
        let back = round_trip(version, "ContainerSummary", &summary[0].to_string())
            .expect("ContainerSummary exists")
            .unwrap_or_else(|e| panic!("v{version} ContainerSummary: {e}"));
        assert_eq!(back["Id"], "not-a-hex-id", "v{version}");
        assert_eq!(back["State"], "stopping", "v{version}: unknown state kept");
        let back = round_trip(version, "ContainerInspectResponse", &inspect.to_string())
            .expect("ContainerInspectResponse exists")
            .unwrap_or_else(|e| panic!("v{version} ContainerInspectResponse: {e}"));
        assert_eq!(back["State"]["Status"], "paused-and-confused", "v{version}");
        assert_eq!(
            back["HostConfig"]["RestartPolicy"]["Name"], "",
            "v{version}: the empty-string variant"
        );
    }
}

mod arbitrary_json {
    use super::*;
    use proptest::prelude::*;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-zA-Z0-9 ./:-]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map("[A-Z][a-zA-Z]{0,8}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any JSON into any type of any version: an error or a value, never a panic.
        #[test]
        fn arbitrary_json_never_panics(value in json_value()) {
            let text = value.to_string();
            for version in VERSIONS {
                for name in load(version).keys() {
                    if let Some(Err(e)) = round_trip(version, name, &text) {
                        prop_assert_eq!(e.kind(), docker_engine_api::ErrorKind::Decode);
                    }
                }
            }
        }

        /// A wrong-typed value in a field: the error names that field's path.
        #[test]
        fn decode_errors_carry_the_failing_path(pick in any::<prop::sample::Index>(), field_pick in any::<prop::sample::Index>()) {
            let version = VERSIONS[VERSIONS.len() - 1];
            let types = load(version);
            let is_string = |t: &RustType| t.strip_option() == &RustType::String;
            // Structs with a string field to break.
            let candidates: Vec<&TypeDef> = types
                .values()
                .filter(|t| t.kind == TypeKind::Struct && t.fields.iter().any(|f| is_string(&f.rust_type)))
                .collect();
            let def = candidates[pick.index(candidates.len())];
            let fields: Vec<_> = def.fields.iter().filter(|f| is_string(&f.rust_type)).collect();
            let field = fields[field_pick.index(fields.len())];
            let mut value = minimal_of(def, &types, 0);
            value.as_object_mut().unwrap().insert(field.json_name.clone(), json!({"not": "a string"}));
            let err = decode(version, &def.name, &value).unwrap_err();
            prop_assert_eq!(err.json_path(), Some(field.json_name.as_str()), "{} {}", def.name, err);
        }
    }
}
