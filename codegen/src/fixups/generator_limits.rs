//! Document rules for what progenitor, typify or the Swagger converter
//! cannot express. Delete a rule when they can (the rule then changes
//! nothing, which `regen` reports as an error).

use serde_json::{Map, Value, json};

use super::responses::{JSON, OCTET_STREAM, binary_schema, is_success};
use super::walk::{for_each_operation, for_each_schema};
use super::{Fixup, Stream, record_stream, record_upgrade};
use crate::Protocol;
use crate::rules::Cause;

/// Operations answering `101 Switching Protocols`, and the protocol they switch
/// to. An operation not listed here switches to `tcp` (Docker's raw hijack).
pub const UPGRADE_PROTOCOLS: &[(&str, Protocol)] = &[
    ("ContainerAttachWebsocket", Protocol::Websocket),
    ("Session", Protocol::H2c),
];

fn upgrade_protocol(id: &str) -> Protocol {
    UPGRADE_PROTOCOLS
        .iter()
        .find(|(op, _)| *op == id)
        .map_or(Protocol::Tcp, |(_, p)| *p)
}

pub(super) const INLINE_SHARED_REQUEST_BODIES: Fixup = Fixup {
    name: "inline_shared_request_bodies",
    cause: Cause::GeneratorLimit,
    why: "The converter moves request bodies shared by several operations (e.g. the \
          plugin privileges of PluginPull and PluginUpgrade) into \
          components/requestBodies; the rules below rewrite bodies per operation.",
    reference: "swagger2openapi 0.2.0: a body parameter shared by several operations becomes `components/requestBodies/*` (PluginPull and PluginUpgrade share their privileges)",
    apply: |doc, _| {
        let shared = doc
            .pointer_mut("/components")
            .and_then(Value::as_object_mut)
            .and_then(|c| c.remove("requestBodies"))
            .unwrap_or(Value::Null);
        let mut touched = Vec::new();
        for_each_operation(doc, |op| {
            let Some(body) = op.op.get_mut("requestBody") else {
                return;
            };
            let Some(name) = body
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/requestBodies/"))
            else {
                return;
            };
            if let Some(found) = shared.get(name) {
                *body = found.clone();
                touched.push(op.id.clone());
            }
        });
        touched
    },
};

pub(super) const ONE_REQUEST_MEDIA_TYPE: Fixup = Fixup {
    name: "one_request_media_type",
    cause: Cause::GeneratorLimit,
    why: "Operations list several request media types (ContainerCreate: JSON and \
          octet-stream; every body without its own `consumes` inherits JSON and \
          text/plain) and progenitor accepts one. JSON is kept where listed; any \
          other body (tar archives, the image of ImageCreate's fromSrc=-) becomes \
          raw bytes: the daemon does not check its Content-Type.",
    reference: "progenitor-impl 0.15.1 src/method.rs: `more media types than expected` on a request body with several media types",
    apply: |doc, _| {
        let mut touched = Vec::new();
        for_each_operation(doc, |op| {
            let Some(content) = op
                .op
                .get_mut("requestBody")
                .and_then(|b| b.get_mut("content"))
                .and_then(Value::as_object_mut)
            else {
                return;
            };
            if content.len() == 1 && (content.contains_key(JSON) || is_binary_body(content)) {
                return;
            }
            let kept = match content.remove(JSON) {
                Some(json_media) => (JSON, json_media),
                None => (OCTET_STREAM, json!({ "schema": binary_schema() })),
            };
            content.clear();
            content.insert(kept.0.to_owned(), kept.1);
            touched.push(op.id.clone());
        });
        touched
    },
};

fn is_binary_body(content: &Map<String, Value>) -> bool {
    content.get(OCTET_STREAM).and_then(|m| m.get("schema")) == Some(&binary_schema())
}

pub(super) const ONE_SUCCESS_RESPONSE: Fixup = Fixup {
    name: "one_success_response",
    cause: Cause::GeneratorLimit,
    why: "Some operations list two success answers (SystemAuth: 200 and 204; \
          ContainerAttach: 101 and 200) and progenitor accepts one. We keep the \
          answer with a body (for attach: the plain stream; the dropped upgrade \
          is recorded, and the builder gets `upgrade()` beside `send()`), else \
          the upgrade. The kept answer becomes `2XX` \
          (unless 101): daemons answer 200 where the spec says 204 (PluginPull) \
          or 201, and a client should not fail on that.",
    reference: "progenitor-impl 0.15.1 src/method.rs: `assert!(response_types.len() <= 1)` on two success answers",
    apply: |doc, _| {
        let mut touched = Vec::new();
        for_each_operation(doc, |op| {
            let Some(responses) = op.op.get_mut("responses").and_then(Value::as_object_mut) else {
                return;
            };
            let successes: Vec<String> = responses
                .keys()
                .filter(|c| is_success(c))
                .cloned()
                .collect();
            let has_body = |code: &str| {
                responses
                    .get(code)
                    .is_some_and(|r| r.get("content").is_some())
            };
            let keep = successes
                .iter()
                .find(|c| c.starts_with('2') && has_body(c))
                .or_else(|| successes.iter().find(|c| *c == "101"))
                .or_else(|| successes.first())
                .cloned();
            let Some(keep) = keep else { return };
            let mut changed = false;
            for code in &successes {
                if *code != keep {
                    responses.remove(code);
                    changed = true;
                }
            }
            if keep == "101" {
                let protocol = upgrade_protocol(&op.id);
                record_stream(op.op, &Stream::Upgrade { protocol });
            } else if successes.iter().any(|c| c == "101") {
                // The upgrade stays available beside the plain answer.
                record_upgrade(op.op, upgrade_protocol(&op.id));
            }
            let Some(responses) = op.op.get_mut("responses").and_then(Value::as_object_mut) else {
                return;
            };
            if keep != "101" && keep != "2XX" {
                let response = responses.remove(&keep).unwrap_or(Value::Null);
                responses.insert("2XX".into(), response);
                changed |= successes.len() > 1;
            }
            if changed {
                touched.push(op.id.clone());
            }
        });
        touched
    },
};

pub(super) const X_NULLABLE_EVERYWHERE: Fixup = Fixup {
    name: "x_nullable_everywhere",
    cause: Cause::GeneratorLimit,
    why: "The converter turns `x-nullable` into `nullable`, except next to a `$ref`: \
          there it wraps the pair in `allOf: [{$ref}, {x-nullable: true}]` and the \
          flag stays a Swagger extension nothing reads (ImageSummary.Descriptor, \
          ContainerSummary.ImageManifestDescriptor since v1.48). The flag moves to \
          the schema it qualifies.",
    reference: "swagger2openapi 0.2.0 with `RefSiblings::AllOf` (codegen/src/convert.rs): `x-nullable` beside a `$ref` stays a Swagger extension inside the `allOf`",
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
