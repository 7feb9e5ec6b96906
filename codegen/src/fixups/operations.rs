//! Rules on operations: request bodies, success and error responses.

use serde_json::{Map, Value, json};

use super::walk::{OperationMut, for_each_operation};
use super::{Fixup, SwaggerFacts};

/// Operations whose success body is a stream of JSON documents, one per line,
/// and the schema of one line. The specs do not say so: they give these
/// operations no response schema (so progenitor would discard the body), or the
/// schema of one item as if it were the whole body.
///
/// `None` means: the item schema is the one the spec gives the response.
pub const JSON_LINES_STREAMS: &[(&str, Option<&str>)] = &[
    ("SystemEvents", None),
    ("ContainerStats", None),
    ("ImageCreate", Some("CreateImageInfo")),
    ("ImagePush", Some("PushImageInfo")),
    ("ImageBuild", Some("BuildInfo")),
    ("ImageLoad", Some("BuildInfo")),
    ("PluginPull", Some("CreateImageInfo")),
    ("PluginUpgrade", Some("CreateImageInfo")),
    ("PluginPush", Some("PushImageInfo")),
];

/// Operations answering `101 Switching Protocols`, and the protocol they switch
/// to. An operation not listed here switches to `tcp` (Docker's raw hijack).
pub const UPGRADE_PROTOCOLS: &[(&str, &str)] = &[
    ("ContainerAttachWebsocket", "websocket"),
    ("Session", "h2c"),
];

const JSON: &str = "application/json";
const OCTET_STREAM: &str = "application/octet-stream";

fn binary_schema() -> Value {
    json!({ "type": "string", "format": "binary" })
}

fn is_success(code: &str) -> bool {
    code == "101" || code.starts_with('2')
}

pub(super) const INLINE_SHARED_REQUEST_BODIES: Fixup = Fixup {
    name: "inline_shared_request_bodies",
    why: "The converter moves request bodies shared by several operations (e.g. the \
          plugin privileges of PluginPull and PluginUpgrade) into \
          components/requestBodies; the rules below rewrite bodies per operation.",
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
    why: "Operations list several request media types (ContainerCreate: JSON and \
          octet-stream; every body without its own `consumes` inherits JSON and \
          text/plain) and progenitor accepts one. JSON is kept where listed; any \
          other body (tar archives, the image of ImageCreate's fromSrc=-) becomes \
          raw bytes: the daemon does not check its Content-Type.",
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

pub(super) const STREAMS_ARE_BYTES: Fixup = Fixup {
    name: "streams_are_bytes",
    why: "Streaming answers (logs, attach, exec, export, archives, image tars, \
          events, stats, pull/push/build/load progress) have no schema or the \
          schema of one item, so progenitor would discard or mis-decode the body. \
          They become byte streams; the facade frames and decodes them.",
    apply: |doc, facts| {
        let mut touched = Vec::new();
        for_each_operation(doc, |op| {
            if !is_stream(op, facts) {
                return;
            }
            let Some(responses) = op.op.get_mut("responses").and_then(Value::as_object_mut) else {
                return;
            };
            for (code, response) in responses.iter_mut() {
                if !code.starts_with('2') {
                    continue;
                }
                if let Some(r) = response.as_object_mut() {
                    r.insert(
                        "content".into(),
                        json!({ OCTET_STREAM: { "schema": binary_schema() } }),
                    );
                }
            }
            touched.push(op.id.clone());
        });
        touched
    },
};

/// Whether an operation's success body is a stream rather than one document.
fn is_stream(op: &OperationMut<'_>, facts: &SwaggerFacts) -> bool {
    if JSON_LINES_STREAMS.iter().any(|(id, _)| *id == op.id) {
        return true;
    }
    // An operation that declares only non-JSON, non-text media types answers
    // bytes: tar archives, raw or multiplexed streams, ndjson.
    match facts.produces.get(&op.id) {
        Some(produces) if !produces.is_empty() => produces
            .iter()
            .all(|mt| !mt.starts_with(JSON) && !mt.starts_with("text/plain")),
        _ => false,
    }
}

pub(super) const ONE_SUCCESS_RESPONSE: Fixup = Fixup {
    name: "one_success_response",
    why: "Some operations list two success answers (SystemAuth: 200 and 204; \
          ContainerAttach: 101 and 200) and progenitor accepts one. We keep the \
          answer with a body (for attach: the plain stream; the facade performs \
          the upgrade itself), else the upgrade. The kept answer becomes `2XX` \
          (unless 101): daemons answer 200 where the spec says 204 (PluginPull) \
          or 201, and a client should not fail on that.",
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

pub(super) const ERRORS_ARE_TYPED: Fixup = Fixup {
    name: "errors_are_typed",
    why: "Error answers are JSON `{\"message\": ...}` but many have no schema (a \
          progenitor panic), and codes the spec does not list (any 400, 409...) \
          would come back untyped. All 4xx/5xx answers become two ranges, 4XX and \
          5XX, of `ErrorResponse`: one type, and two match arms per operation \
          instead of one per code (the codes stay in the API model). 304 \
          (ContainerStart/Stop: already started/stopped) has no body and is \
          neither success nor error; it is removed and reaches the caller as an \
          unexpected response carrying its status, which the facade classifies.",
    apply: |doc, _| {
        ensure_error_schema(doc);
        let error_response = |description: &str| {
            json!({
                "description": description,
                "content": { JSON: { "schema": { "$ref": "#/components/schemas/ErrorResponse" } } }
            })
        };
        let mut touched = Vec::new();
        for_each_operation(doc, |op| {
            let Some(responses) = op.op.get_mut("responses").and_then(Value::as_object_mut) else {
                return;
            };
            let before = responses.clone();
            responses.retain(|code, _| is_success(code));
            responses.insert(
                "4XX".into(),
                error_response("client error (the daemon's message)"),
            );
            responses.insert(
                "5XX".into(),
                error_response("server error (the daemon's message)"),
            );
            if *responses != before {
                touched.push(op.id.clone());
            }
        });
        touched
    },
};

/// A spec without Docker's error schema still gets typed errors.
fn ensure_error_schema(doc: &mut Value) {
    if doc.pointer("/components/schemas/ErrorResponse").is_some() {
        return;
    }
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    let components = root.entry("components").or_insert_with(|| json!({}));
    let Some(components) = components.as_object_mut() else {
        return;
    };
    let schemas = components.entry("schemas").or_insert_with(|| json!({}));
    if let Some(schemas) = schemas.as_object_mut() {
        schemas.insert(
            "ErrorResponse".into(),
            json!({
                "type": "object",
                "required": ["message"],
                "properties": { "message": { "type": "string" } }
            }),
        );
    }
}
