//! Rules on operations: request bodies, success and error responses.

use serde_json::{Map, Value, json};

use super::walk::{OperationMut, for_each_operation};
use super::{Fixup, STREAM_EXTENSION, Stream, SwaggerFacts};

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

/// Records on an operation what its success body carries, as the rules decided
/// it ([`STREAM_EXTENSION`]); the API model reads it back, nothing re-derives it.
fn record_stream(op: &mut Map<String, Value>, stream: &Stream) {
    op.insert(
        STREAM_EXTENSION.into(),
        serde_json::to_value(stream).expect("a stream kind serialises"),
    );
}

/// What the rules recorded about an operation's success body.
pub fn recorded_stream(op: &Value) -> Option<Stream> {
    serde_json::from_value(op.get(STREAM_EXTENSION)?.clone()).ok()
}

/// The component a success response's schema names (`EventMessage`), in the
/// converted document.
fn response_component(op: &Map<String, Value>) -> Option<String> {
    let responses = op.get("responses")?.as_object()?;
    responses
        .iter()
        .filter(|(c, _)| c.starts_with('2'))
        .flat_map(|(_, r)| {
            r.get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
        })
        .find_map(|(_, media)| media.pointer("/schema/$ref")?.as_str())
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .map(str::to_owned)
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
          They become byte streams; the facade frames and decodes them. What each \
          stream carries (JSON lines of which item, multiplexed output, opaque \
          bytes) is recorded on the operation for the API model.",
    apply: |doc, facts| {
        let mut touched = Vec::new();
        for_each_operation(doc, |op| {
            if op.op.contains_key(STREAM_EXTENSION) {
                // An earlier rule already decided (and made it a stream).
                return;
            }
            if let Some(stream) = stream_of(op, facts) {
                make_success_bytes(op.op);
                record_stream(op.op, &stream);
                touched.push(op.id.clone());
            } else if answers_text_only(op.op) {
                // progenitor answers any non-JSON body as a byte stream
                // (`/_ping`'s `text/plain` "OK"); say so.
                record_stream(op.op, &Stream::Bytes);
                touched.push(op.id.clone());
            }
        });
        touched
    },
};

/// Whether `op` has a 2xx body and none of its 2xx media types is JSON.
fn answers_text_only(op: &Map<String, Value>) -> bool {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        return false;
    };
    let media: Vec<&String> = responses
        .iter()
        .filter(|(c, _)| c.starts_with('2'))
        .flat_map(|(_, r)| {
            r.get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
        })
        .map(|(mt, _)| mt)
        .collect();
    !media.is_empty()
        && media
            .iter()
            .all(|mt| !mt.starts_with(JSON) || mt.contains("json-seq"))
}

/// Every 2xx answer of `op` becomes raw bytes.
fn make_success_bytes(op: &mut Map<String, Value>) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
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
}

/// What an operation's success body is, when it is a stream rather than one
/// JSON document: the table of JSON-lines streams first, then the operation's
/// own `produces` (only non-JSON, non-text media types make a stream).
fn stream_of(op: &OperationMut<'_>, facts: &SwaggerFacts) -> Option<Stream> {
    if let Some((_, item)) = JSON_LINES_STREAMS.iter().find(|(id, _)| *id == op.id) {
        let item = item
            .map(str::to_owned)
            .or_else(|| response_component(op.op));
        return Some(Stream::JsonLines {
            item: item.unwrap_or_default(),
        });
    }
    let produces = facts.produces.get(&op.id).filter(|p| !p.is_empty())?;
    if produces.iter().any(|mt| is_document_media_type(mt)) {
        return None;
    }
    Some(
        if produces
            .iter()
            .any(|mt| mt.contains("ndjson") || mt.contains("json-seq"))
        {
            Stream::JsonLines {
                item: response_component(op.op).unwrap_or_default(),
            }
        } else if produces
            .iter()
            .any(|mt| mt.contains("raw-stream") || mt.contains("multiplexed-stream"))
        {
            Stream::Multiplexed
        } else {
            Stream::Bytes
        },
    )
}

/// `application/json` and `text/plain` (with or without parameters): one
/// document, not a stream (`application/json-seq` is a stream).
fn is_document_media_type(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    essence == JSON || essence == "text/plain"
}

/// Output streams that declare no media type before v1.42.
const LOG_STREAMS: &[&str] = &["ContainerLogs", "ServiceLogs", "TaskLogs"];

pub(super) const LOGS_DECLARE_NO_MEDIA_TYPE: Fixup = Fixup {
    name: "logs_declare_no_media_type",
    why: "Upstream bug, v1.40–v1.41: ContainerLogs, ServiceLogs and TaskLogs have \
          no `produces` of their own, so they inherit `application/json` and \
          `text/plain`, and their `200` schema `{type: string, format: binary}` \
          would be decoded as one JSON string. The body is the multiplexed (or, \
          with a TTY, raw) output stream of attach; v1.42 added \
          `produces: [application/vnd.docker.raw-stream, \
          application/vnd.docker.multiplexed-stream]` to all three (CHANGELOG, \
          v1.42: these endpoints now set that Content-Type). They become \
          multiplexed byte streams, as from v1.42 on.",
    apply: |doc, facts| {
        let mut touched = Vec::new();
        for_each_operation(doc, |op| {
            let declares = facts.produces.get(&op.id).is_some_and(|p| !p.is_empty());
            if !LOG_STREAMS.contains(&op.id.as_str()) || declares {
                return;
            }
            make_success_bytes(op.op);
            record_stream(op.op, &Stream::Multiplexed);
            touched.push(op.id.clone());
        });
        touched
    },
};

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
            if keep == "101" {
                let protocol = UPGRADE_PROTOCOLS
                    .iter()
                    .find(|(id, _)| *id == op.id)
                    .map_or("tcp", |(_, p)| p);
                record_stream(
                    op.op,
                    &Stream::Upgrade {
                        protocol: protocol.into(),
                    },
                );
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
