//! Document rules that are our choices about the generated API, not
//! repairs.

use serde_json::Value;

use super::Fixup;
use super::walk::for_each_schema;
use crate::rules::Cause;

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
    cause: Cause::Policy,
    why: "Validation keywords describe what the daemon accepts, not what it sends: \
          `ContainerSummary.Id` has a 64-hex `pattern` that other engines and test \
          doubles do not meet, bounds narrow integer types (BlkioWeight would \
          become u16) and equal item counts make fixed arrays. A client must decode \
          whatever the daemon sends, and the daemon validates what it receives; \
          the keywords are dropped (the descriptions keep the prose).",
    reference: "typify 0.8.0: `pattern` becomes a regex-checked newtype, bounds a narrower integer, equal item counts a fixed array; specs/v1.52.yaml: `ContainerSummary.Id` has a 64-hex `pattern`",
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
    cause: Cause::Policy,
    why: "Three fields say `format: date-time` (most timestamps say `dateTime`, \
          which nothing recognises). typify would make those three chrono types, \
          adding a dependency for three fields and failing on timestamps chrono \
          does not parse. Every timestamp stays the RFC 3339 string Docker sends.",
    reference: "typify 0.8.0: `format: date-time` becomes `chrono::DateTime<Utc>`; specs/v1.52.yaml: three fields say `date-time`, the others `dateTime`",
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

pub(super) const ENUMS_OF_VALUES_ARE_OPEN: Fixup = Fixup {
    name: "enums_of_values_are_open",
    cause: Cause::Policy,
    why: "typify makes an `enum` of values that are not strings (integers: \
          `ChangeType` 0, 1, 2; objects: the `{}` of every `ExposedPorts` and \
          `Volumes` value) a newtype whose `Deserialize` rejects any other value, \
          so a daemon that sends a new kind of change, or an object with content, \
          fails the whole answer, where string enums keep unknown values \
          (`open_enums`). The list of values is documentation (the description \
          keeps it): `enum` is dropped from every schema whose values are not all \
          strings, which leaves a plain integer or a free-form object.",
    reference: "typify 0.8.0 (a non-string `enum` becomes a newtype with a checking \
                `TryFrom`); specs/v1.52.yaml: `definitions.ChangeType` (`enum: [0, 1, \
                2]`), `ContainerConfig.ExposedPorts` values (`enum: [{}]`)",
    apply: |doc, _| {
        let mut touched = Vec::new();
        for_each_schema(doc, &mut |location, schema| {
            let closed = schema
                .get("enum")
                .and_then(Value::as_array)
                .is_some_and(|values| values.iter().any(|v| !v.is_string()));
            if closed {
                schema.remove("enum");
                touched.push(location.to_owned());
            }
        });
        touched
    },
};
