//! Rules on schemas: what the client must accept when decoding.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::Fixup;
use super::walk::{for_each_schema, ref_name};

/// Validation keywords that typify turns into checks on decode or into
/// narrower Rust types (`pattern` → a regex-checked newtype, equal
/// `minItems`/`maxItems` → a fixed array, bounds → a smaller integer type).
const VALIDATION_KEYWORDS: &[&str] = &[
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

pub(super) const VALIDATION_IS_DOCUMENTATION: Fixup = Fixup {
    name: "validation_is_documentation",
    why: "Validation keywords describe what the daemon accepts, not what it sends: \
          `ContainerSummary.Id` has a 64-hex `pattern` that other engines and test \
          doubles do not meet, bounds narrow integer types (BlkioWeight would \
          become u16) and equal item counts make fixed arrays. A client must decode \
          whatever the daemon sends, and the daemon validates what it receives; \
          the keywords are dropped (the descriptions keep the prose).",
    apply: |doc, _| {
        let mut touched = Vec::new();
        for_each_schema(doc, &mut |location, schema| {
            let before = schema.len();
            schema.retain(|k, _| !VALIDATION_KEYWORDS.contains(&k.as_str()));
            if schema.len() != before {
                touched.push(location.to_owned());
            }
        });
        touched
    },
};

pub(super) const TIMESTAMPS_ARE_STRINGS: Fixup = Fixup {
    name: "timestamps_are_strings",
    why: "Three fields say `format: date-time` (most timestamps say `dateTime`, \
          which nothing recognises). typify would make those three chrono types, \
          adding a dependency for three fields and failing on timestamps chrono \
          does not parse. Every timestamp stays the RFC 3339 string Docker sends.",
    apply: |doc, _| {
        let mut touched = Vec::new();
        for_each_schema(doc, &mut |location, schema| {
            let is_date = matches!(
                schema.get("format").and_then(Value::as_str),
                Some("date-time" | "date" | "time")
            );
            if is_date {
                schema.remove("format");
                touched.push(location.to_owned());
            }
        });
        touched
    },
};

pub(super) const X_NULLABLE_EVERYWHERE: Fixup = Fixup {
    name: "x_nullable_everywhere",
    why: "The converter turns `x-nullable` into `nullable`, except next to a `$ref`: \
          there it wraps the pair in `allOf: [{$ref}, {x-nullable: true}]` and the \
          flag stays a Swagger extension nothing reads (ImageSummary.Descriptor, \
          ContainerSummary.ImageManifestDescriptor since v1.48). The flag moves to \
          the schema it qualifies.",
    apply: |doc, _| {
        let mut touched = Vec::new();
        for_each_schema(doc, &mut |location, schema| {
            let mut nullable = schema.remove("x-nullable") == Some(Value::Bool(true));
            if let Some(all_of) = schema.get_mut("allOf").and_then(Value::as_array_mut) {
                all_of.retain_mut(|part| {
                    let Some(p) = part.as_object_mut() else {
                        return true;
                    };
                    if p.remove("x-nullable") == Some(Value::Bool(true)) {
                        nullable = true;
                    }
                    !p.is_empty()
                });
            }
            if nullable {
                schema.insert("nullable".into(), Value::Bool(true));
                touched.push(location.to_owned());
            }
        });
        touched
    },
};

pub(super) const NULL_IS_NOT_AN_ERROR: Fixup = Fixup {
    name: "null_is_not_an_error",
    why: "The daemon is written in Go, which encodes an empty slice or map as \
          `null` (`\"Binds\": null`, `\"Labels\": null`, `\"Mounts\": null`), \
          while the spec only marks some fields `x-nullable`. typify gives an \
          optional array or map a `#[serde(default)]` collection that fails on \
          `null`. Every optional property, and every required array or map, is \
          made nullable, so `null` decodes to `None`.",
    apply: |doc, _| {
        let collections = collection_schemas(doc);
        let mut touched = Vec::new();
        for_each_schema(doc, &mut |location, schema| {
            let required: BTreeSet<String> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
                return;
            };
            for (name, prop) in props.iter_mut() {
                let Some(p) = prop.as_object_mut() else {
                    continue;
                };
                let needs = !required.contains(name) || is_collection(p, &collections);
                if needs && make_nullable(p) {
                    touched.push(format!("{location}.{name}"));
                }
            }
        });
        touched
    },
};

/// Names of component schemas that are arrays or maps.
fn collection_schemas(doc: &Value) -> BTreeSet<String> {
    let empty = BTreeSet::new();
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .filter(|(_, s)| s.as_object().is_some_and(|s| is_collection(s, &empty)))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Arrays, maps (`additionalProperties`) and free-form objects decode into
/// types with a `Default`, which typify leaves non-optional.
fn is_collection(schema: &Map<String, Value>, collections: &BTreeSet<String>) -> bool {
    if let Some(name) = ref_name(schema) {
        return collections.contains(name);
    }
    if let Some([single]) = schema
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return single
            .as_object()
            .is_some_and(|s| is_collection(s, collections));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => true,
        Some("object") => !schema.contains_key("properties"),
        _ => false,
    }
}

/// Marks a property schema nullable; a `$ref` cannot carry siblings, so it is
/// wrapped in a one-element `allOf`. Returns whether anything changed.
fn make_nullable(prop: &mut Map<String, Value>) -> bool {
    if prop.get("nullable") == Some(&Value::Bool(true)) {
        return false;
    }
    if prop.contains_key("$ref") {
        let reference = std::mem::take(prop);
        let description = reference.get("description").cloned();
        prop.insert("allOf".into(), json!([reference]));
        if let Some(d) = description {
            prop.insert("description".into(), d);
        }
    }
    prop.insert("nullable".into(), Value::Bool(true));
    true
}
