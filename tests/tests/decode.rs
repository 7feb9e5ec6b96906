//! What a real daemon sends must decode, in every generated version: `null`
//! for any optional field (Go encodes empty slices and maps as `null`),
//! unknown fields, enum values the spec does not list, ids that do not match
//! the spec's pattern. Driven by the API models, so every type of every
//! version is covered; no engine needed.

use std::collections::BTreeMap;

use serde_json::{Value, json};

include!(concat!(env!("OUT_DIR"), "/registry.rs"));

#[derive(serde::Deserialize)]
struct ModelFile {
    model: Model,
}

#[derive(serde::Deserialize)]
struct Model {
    types: Vec<TypeDef>,
}

#[derive(serde::Deserialize, Clone)]
struct TypeDef {
    name: String,
    kind: String,
    #[serde(default)]
    fields: Vec<Field>,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    inner: Option<String>,
}

#[derive(serde::Deserialize, Clone)]
struct Field {
    json_name: String,
    rust_type: String,
    required: bool,
}

fn load(dir: &str) -> BTreeMap<String, TypeDef> {
    let path = format!(
        "{}/../crates/{dir}/api-model.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let file: ModelFile = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    file.model
        .types
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect()
}

/// `Option<Vec<String>>` → (`Option`, [`Vec<String>`]).
fn split_generic(ty: &str) -> (&str, Vec<&str>) {
    let Some(open) = ty.find('<') else {
        return (ty, Vec::new());
    };
    let head = &ty[..open];
    let inner = &ty[open + 1..ty.len() - 1];
    let mut args = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                args.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push(inner[start..].trim());
    (head, args)
}

/// The smallest JSON value of a Rust type: required fields only.
fn minimal(ty: &str, types: &BTreeMap<String, TypeDef>, depth: usize) -> Value {
    assert!(depth < 40, "type nesting too deep at {ty}");
    let (head, args) = split_generic(ty);
    match head {
        "Option" => Value::Null,
        "Vec" => json!([]),
        "HashMap" | "BTreeMap" | "Map" => json!({}),
        "String" => json!("x"),
        "bool" => json!(false),
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "NonZeroU64" => json!(0),
        "f32" | "f64" => json!(0.0),
        "Value" => Value::Null,
        "Box" => minimal(args[0], types, depth + 1),
        name => {
            let def = types
                .get(name)
                .unwrap_or_else(|| panic!("unknown type `{name}`"));
            minimal_of(def, types, depth + 1)
        }
    }
}

fn minimal_of(def: &TypeDef, types: &BTreeMap<String, TypeDef>, depth: usize) -> Value {
    match def.kind.as_str() {
        "struct" => {
            let mut obj = serde_json::Map::new();
            for f in def.fields.iter().filter(|f| f.required) {
                obj.insert(f.json_name.clone(), minimal(&f.rust_type, types, depth));
            }
            Value::Object(obj)
        }
        "enum" => json!(def.values.first().cloned().unwrap_or_default()),
        _ => minimal(
            def.inner
                .as_deref()
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
    for (version, dir) in VERSIONS {
        let types = load(dir);
        for def in types.values().filter(|t| t.kind == "struct") {
            let mut value = minimal_of(def, &types, 0);
            let obj = value.as_object_mut().unwrap();
            for f in def
                .fields
                .iter()
                .filter(|f| f.rust_type.starts_with("Option<"))
            {
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
    assert!(checked > 9 * 150, "only {checked} structs checked");
}

#[test]
fn collections_are_never_a_required_non_null_field() {
    // Go sends `null` for a nil slice or map even where the spec says
    // "required": no field may be a bare Vec or map.
    for (version, dir) in VERSIONS {
        for def in load(dir).values() {
            for f in &def.fields {
                let (head, _) = split_generic(&f.rust_type);
                assert!(
                    !matches!(head, "Vec" | "HashMap" | "BTreeMap" | "Map"),
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
    for (version, dir) in VERSIONS {
        for def in load(dir).values().filter(|t| t.kind == "enum") {
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
    assert!(checked > 9 * 30, "only {checked} enums checked");
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
    for (version, _) in VERSIONS {
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
            for (version, dir) in VERSIONS {
                for name in load(dir).keys() {
                    if let Some(Err(e)) = round_trip(version, name, &text) {
                        prop_assert_eq!(e.kind(), docker_engine_api::ErrorKind::Decode);
                    }
                }
            }
        }

        /// A wrong-typed value in a field: the error names that field's path.
        #[test]
        fn decode_errors_carry_the_failing_path(pick in any::<prop::sample::Index>(), field_pick in any::<prop::sample::Index>()) {
            let (version, dir) = VERSIONS[VERSIONS.len() - 1];
            let types = load(dir);
            // Structs with a string field to break.
            let candidates: Vec<&TypeDef> = types
                .values()
                .filter(|t| t.kind == "struct" && t.fields.iter().any(|f| f.rust_type == "Option<String>" || f.rust_type == "String"))
                .collect();
            let def = candidates[pick.index(candidates.len())];
            let fields: Vec<&Field> = def.fields.iter().filter(|f| f.rust_type == "Option<String>" || f.rust_type == "String").collect();
            let field = fields[field_pick.index(fields.len())];
            let mut value = minimal_of(def, &types, 0);
            value.as_object_mut().unwrap().insert(field.json_name.clone(), json!({"not": "a string"}));
            let err = decode(version, &def.name, &value).unwrap_err();
            prop_assert_eq!(err.json_path(), Some(field.json_name.as_str()), "{} {}", def.name, err);
        }
    }
}
