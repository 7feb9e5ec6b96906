//! Upstream spec bugs in what the daemon answers to GET requests, found by
//! the conformance test (`tests/tests/conformance.rs`, which calls every GET
//! operation of every version against every engine of the project and
//! compares the daemon's JSON with what the types keep).
//!
//! Each rule says what the daemon sends, where the spec says otherwise, and
//! the versions it applies to (`APPLIES_TO` in the tests, checked against the
//! committed API models).

use serde_json::{Map, Value, json};

use crate::fixups::responses::JSON;
use crate::fixups::walk::for_each_operation;
use crate::fixups::{Fixup, record_null_body};
use crate::rules::Cause;

pub(in crate::fixups) const NULL_BODY_IS_EMPTY: Fixup = Fixup {
    name: "null_body_is_empty",
    cause: Cause::UpstreamBug,
    reference: "Go encoding/json: a nil slice or map encodes as `null`; moby daemon/changes.go (`ContainerChanges` returns a nil slice for a container without changes); specs/v1.51.yaml `/containers/{id}/changes`: 200, `type: array`; tests/tests/conformance.rs",
    why: "Where the whole answer is an array or a map, the daemon's Go \
          handler encodes a nil slice or map as the body `null`: \
          GET /containers/{id}/changes of a container without changes answers \
          `null` on Docker 28.5, 26.1 and 20.10, which no `Vec` decodes (every \
          version failed). The property rule `null_is_not_an_error` cannot \
          help: the body is not a property, and making the answer `Option<Vec>` \
          would make every caller of every list unwrap what is only ever an \
          empty list. So every operation whose JSON success answer is an array \
          or a map is recorded (`x-dea-null-body-is-empty`), and the code rule \
          `one_exchange` gives it the runtime's reader that decodes a `null` \
          body as the empty collection (`read_json_or_empty`); any other body \
          decodes as before. Reports the operations.",
    apply: |doc, _| {
        let schemas = doc
            .pointer("/components/schemas")
            .cloned()
            .unwrap_or_default();
        let mut touched = Vec::new();
        for_each_operation(doc, |op| {
            let Some(responses) = op.op.get("responses").and_then(Value::as_object) else {
                return;
            };
            let collection = responses
                .iter()
                .filter(|(code, _)| code.starts_with('2'))
                .filter_map(|(_, r)| {
                    r.pointer(&format!("/content/{}/schema", JSON.replace('/', "~1")))
                })
                .filter_map(Value::as_object)
                .any(|schema| is_list_or_map(schema, &schemas));
            if collection {
                record_null_body(op.op);
                touched.push(op.id.clone());
            }
        });
        touched
    },
};

/// Whether a response schema is an array or a map (`additionalProperties`
/// only), directly or through one `$ref`. An object with properties or
/// composed of others (`Swarm` is `allOf`) is neither: its `null` would not
/// be an empty value.
fn is_list_or_map(schema: &Map<String, Value>, schemas: &Value) -> bool {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => match r
            .strip_prefix("#/components/schemas/")
            .and_then(|name| schemas.get(name))
            .and_then(Value::as_object)
        {
            Some(target) => target,
            None => return false,
        },
        None => schema,
    };
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => true,
        Some("object") => {
            schema.contains_key("additionalProperties")
                && !["properties", "allOf", "oneOf", "anyOf"]
                    .iter()
                    .any(|k| schema.contains_key(*k))
        }
        _ => false,
    }
}

/// The last version whose daemons send `status`, `id` and `from` in events.
const LAST_WITH_EVENT_STATUS: u32 = 51;

pub(in crate::fixups) const EVENTS_CARRY_STATUS_ID_FROM: Fixup = Fixup {
    name: "events_carry_status_id_from",
    cause: Cause::UpstreamBug,
    reference: "moby api/types/events/events.go, `Message`: `Status` (`json:\"status,omitempty\"`), `ID` (`id`), `From` (`from`), deprecated since API v1.22; moby docs/api/version-history.md, v1.52: \"`GET /events` no longer includes the deprecated `status`, `id`, and `from` fields\"; specs/v1.51.yaml `definitions/EventMessage`: no such properties",
    why: "Up to API v1.51 the daemon's events (GET /events, one `EventMessage` \
          per line) carry the old fields `status` (the action, e.g. `start`, \
          `exec_start: sh`), `id` (the actor's id) and `from` (a container's \
          image) beside `Action` and `Actor`; the spec never listed them, so \
          the types dropped them: every container event of engines 28.5, 26.1 \
          and 20.10 lost all three. The CHANGELOG of v1.52 says they are no \
          longer sent from v1.52 on. `EventMessage` of v1.40-v1.51 gets the \
          three optional strings, described as deprecated.",
    apply: |doc, _| {
        let mut touched = Vec::new();
        if spec_minor(doc).is_none_or(|minor| minor > LAST_WITH_EVENT_STATUS) {
            return touched;
        }
        let Some(properties) = doc
            .pointer_mut("/components/schemas/EventMessage/properties")
            .and_then(Value::as_object_mut)
        else {
            return touched;
        };
        for (name, what) in [
            ("status", "The event's action (deprecated: use `Action`)."),
            ("id", "The actor's ID (deprecated: use `Actor.ID`)."),
            (
                "from",
                "The image of a container event (deprecated: use `Actor.Attributes[\"image\"]`).",
            ),
        ] {
            if !properties.contains_key(name) {
                properties.insert(
                    name.to_owned(),
                    json!({ "description": what, "type": "string" }),
                );
                touched.push(format!("EventMessage.{name}"));
            }
        }
        touched
    },
};

/// The minor version of a `1.x` spec, from `info.version`.
fn spec_minor(doc: &Value) -> Option<u32> {
    let version = doc.pointer("/info/version")?.as_str()?;
    version.strip_prefix("1.")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixups::{SwaggerFacts, recorded_null_body};

    /// Which versions each rule of this file applies to (minor versions of 1.x,
    /// inclusive); `None` as the end: every version since.
    const APPLIES_TO: &[(&str, u32, Option<u32>)] = &[
        (NULL_BODY_IS_EMPTY.name, 40, None),
        (
            EVENTS_CARRY_STATUS_ID_FROM.name,
            40,
            Some(LAST_WITH_EVENT_STATUS),
        ),
    ];

    fn apply(rule: &Fixup, doc: &mut Value) -> Vec<String> {
        (rule.apply)(doc, &SwaggerFacts::default())
    }

    #[test]
    fn array_and_map_answers_are_recorded_and_objects_are_not() {
        let body = |schema: Value| json!({ "200": { "content": { "application/json": { "schema": schema } } } });
        let mut doc = json!({
            "components": { "schemas": {
                "Changes": { "type": "array", "items": { "type": "string" } },
                "Info": { "type": "object", "properties": { "ID": { "type": "string" } } },
            } },
            "paths": {
                "/a": { "get": { "operationId": "ByRef", "responses": body(json!({ "$ref": "#/components/schemas/Changes" })) } },
                "/b": { "get": { "operationId": "Map", "responses": body(json!({ "type": "object", "additionalProperties": { "type": "string" } })) } },
                "/c": { "get": { "operationId": "Object", "responses": body(json!({ "$ref": "#/components/schemas/Info" })) } },
                "/e": { "get": { "operationId": "Composed", "responses": body(json!({ "type": "object", "allOf": [{ "$ref": "#/components/schemas/Info" }] })) } },
                "/d": { "delete": { "operationId": "NoBody", "responses": { "204": { "description": "ok" } } } },
            },
        });
        assert_eq!(apply(&NULL_BODY_IS_EMPTY, &mut doc), ["ByRef", "Map"]);
        assert!(recorded_null_body(&doc["paths"]["/a"]["get"]));
        assert!(!recorded_null_body(&doc["paths"]["/c"]["get"]));
    }

    #[test]
    fn events_get_the_old_fields_up_to_v1_51_only() {
        let doc = |version: &str| {
            json!({ "info": { "version": version }, "components": { "schemas": {
                "EventMessage": { "type": "object", "properties": { "Action": { "type": "string" } } },
            } } })
        };
        let mut old = doc("1.51");
        assert_eq!(
            apply(&EVENTS_CARRY_STATUS_ID_FROM, &mut old),
            [
                "EventMessage.status",
                "EventMessage.id",
                "EventMessage.from"
            ]
        );
        assert!(
            apply(&EVENTS_CARRY_STATUS_ID_FROM, &mut old).is_empty(),
            "once"
        );
        let mut new = doc("1.52");
        assert!(apply(&EVENTS_CARRY_STATUS_ID_FROM, &mut new).is_empty());
    }

    /// Each rule changed something in exactly the versions [`APPLIES_TO`]
    /// names, as the committed API models record.
    #[test]
    fn each_rule_touches_every_version_it_claims_and_no_other() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
        let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
        let versions = crate::spec::discover(&specs).expect("the specs");
        assert!(!versions.is_empty());
        for (version, _) in versions {
            let model = crates.join(version.crate_name()).join("api-model.json");
            let text = std::fs::read_to_string(&model)
                .unwrap_or_else(|e| panic!("{}: {e}", model.display()));
            let model: Value = serde_json::from_str(&text).unwrap();
            for (rule, first, last) in APPLIES_TO {
                let touched = model["model"]["rules"][rule].as_array().map_or(0, Vec::len);
                let claimed = version.major == 1
                    && version.minor >= *first
                    && last.is_none_or(|l| version.minor <= l);
                assert_eq!(
                    touched > 0,
                    claimed,
                    "rule {rule} on v{version}: touched {touched} locations"
                );
            }
        }
    }
}
