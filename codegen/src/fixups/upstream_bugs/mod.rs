//! Document rules for what the spec gets wrong or does not say about what
//! the daemon does. Each cites where; delete a rule when every spec in
//! `specs/` is fixed (the rule then changes nothing, which `regen` reports
//! as an error).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::responses::{JSON, is_success, make_success_bytes, response_component};
use super::walk::{OperationMut, for_each_operation, for_each_schema, ref_name};
use super::{Fixup, STREAM_EXTENSION, Stream, SwaggerFacts, record_stream, record_upgrade};
use crate::Protocol;
use crate::rules::Cause;

mod answers;
mod swarm;

pub(super) use answers::{EVENTS_CARRY_STATUS_ID_FROM, NULL_BODY_IS_EMPTY};
pub(super) use swarm::{
    SECRET_AND_CONFIG_IDS_ARE_ID, TASK_NETWORK_IS_THE_SWARM_NETWORK,
    VERBOSE_NETWORK_INSPECT_HAS_SERVICES,
};

/// Operations that switch protocols when asked although their spec lists no
/// `101` answer.
pub const UPGRADES_NOT_LISTED: &[(&str, Protocol)] = &[("ExecStart", Protocol::Tcp)];

pub(super) const EXEC_START_LISTS_NO_UPGRADE: Fixup = Fixup {
    name: "exec_start_lists_no_upgrade",
    cause: Cause::UpstreamBug,
    why: "Upstream bug: ExecStart lists only `200`, but the daemon hijacks the \
          connection like attach does: asked with `Connection: Upgrade` and \
          `Upgrade: tcp`, it answers `101` and the connection carries stdin one \
          way and the output the other (what `docker exec -i` does). The \
          operation is recorded as one that can switch to `tcp`, so its builder \
          gets `upgrade()` beside `send()`.",
    reference: "moby api/swagger.yaml, `/exec/{id}/start`: responses 200, 404, 409 only; moby api/server/router/container/exec.go, postContainerExecStart: writes `HTTP/1.1 101 UPGRADED` when the request carries `Upgrade`",
    apply: |doc, _| {
        let mut touched = Vec::new();
        for_each_operation(doc, |op| {
            let Some((_, protocol)) = UPGRADES_NOT_LISTED.iter().find(|(id, _)| *id == op.id)
            else {
                return;
            };
            let lists_101 = op
                .op
                .get("responses")
                .and_then(Value::as_object)
                .is_some_and(|r| r.contains_key("101"));
            if !lists_101 {
                record_upgrade(op.op, *protocol);
                touched.push(op.id.clone());
            }
        });
        touched
    },
};

/// Operations the daemon reads `X-Registry-Auth` for although their spec
/// lists no such header.
const REGISTRY_AUTH_NOT_LISTED: &[&str] = &["DistributionInspect"];

pub(super) const DISTRIBUTION_INSPECT_TAKES_REGISTRY_AUTH: Fixup = Fixup {
    name: "distribution_inspect_takes_registry_auth",
    cause: Cause::UpstreamBug,
    why: "Upstream bug: `GET /distribution/{name}/json` asks the image's registry \
          for its manifest, with the credentials of the request's \
          `X-Registry-Auth` header, as pull and push do; the spec lists only \
          `name`, so the generated builder could not send credentials and a \
          registry that needs a login answered `no basic auth credentials` \
          (HTTP 500). The header is added, optional, as on ImageCreate.",
    reference: "specs/v1.40.yaml … v1.55.yaml, `/distribution/{name}/json`: parameters `name` only; moby api/server/router/distribution/distribution_routes.go, getDistributionInfo: reads `registry.AuthHeader` (`X-Registry-Auth`); tests/tests/registry.rs checks it against a registry with htpasswd auth",
    apply: |doc, _| {
        let mut touched = Vec::new();
        for_each_operation(doc, |op| {
            if !REGISTRY_AUTH_NOT_LISTED.contains(&op.id.as_str()) {
                return;
            }
            let parameters = op
                .op
                .entry("parameters")
                .or_insert_with(|| json!([]))
                .as_array_mut();
            let Some(parameters) = parameters else {
                return;
            };
            let listed = parameters
                .iter()
                .any(|p| p.get("name").and_then(Value::as_str) == Some("X-Registry-Auth"));
            if !listed {
                parameters.push(json!({
                    "name": "X-Registry-Auth",
                    "in": "header",
                    "description": "A base64url-encoded auth configuration for the image's registry \
                                    (`RegistryAuth::header_value` in the facade).",
                    "required": false,
                    "schema": {"type": "string"},
                }));
                touched.push(op.id.clone());
            }
        });
        touched
    },
};

/// Output streams that declare no media type before v1.42.
const LOG_STREAMS: &[&str] = &["ContainerLogs", "ServiceLogs", "TaskLogs"];

pub(super) const LOGS_DECLARE_NO_MEDIA_TYPE: Fixup = Fixup {
    name: "logs_declare_no_media_type",
    cause: Cause::UpstreamBug,
    why: "Upstream bug, v1.40–v1.41: ContainerLogs, ServiceLogs and TaskLogs have \
          no `produces` of their own, so they inherit `application/json` and \
          `text/plain`, and their `200` schema `{type: string, format: binary}` \
          would be decoded as one JSON string. The body is the multiplexed (or, \
          with a TTY, raw) output stream of attach; v1.42 added \
          `produces: [application/vnd.docker.raw-stream, \
          application/vnd.docker.multiplexed-stream]` to all three (CHANGELOG, \
          v1.42: these endpoints now set that Content-Type). They become \
          multiplexed byte streams, as from v1.42 on.",
    reference: "specs/v1.41.yaml, `/containers/{id}/logs`, `/services/{id}/logs`, `/tasks/{id}/logs`: no `produces`; moby docs/api/version-history.md, v1.42: these endpoints set the multiplexed-stream Content-Type",
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

pub(super) const STREAMS_ARE_BYTES: Fixup = Fixup {
    name: "streams_are_bytes",
    cause: Cause::UpstreamBug,
    why: "Streaming answers (logs, attach, exec, export, archives, image tars, \
          events, stats, pull/push/build/load progress) have no schema or the \
          schema of one item, so progenitor would discard or mis-decode the body. \
          They become byte streams; the facade frames and decodes them. What each \
          stream carries (JSON lines of which item, multiplexed output, opaque \
          bytes) is recorded on the operation for the API model.",
    reference: "specs/v1.52.yaml: `/events` answers the schema of one line (`EventMessage`); `/images/create`, `/build`, `/containers/{id}/export` answer 200 without a schema; progenitor-impl 0.15.1 decodes a 2xx without schema as `()`",
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

/// What an operation's success body is, when it is a stream rather than one
/// JSON document: the table of JSON-lines streams first, then the operation's
/// own `produces` (only non-JSON, non-text media types make a stream).
fn stream_of(op: &OperationMut<'_>, facts: &SwaggerFacts) -> Option<Stream> {
    if let Some((_, item)) = JSON_LINES_STREAMS.iter().find(|(id, _)| *id == op.id) {
        let item = item
            .map(str::to_owned)
            .or_else(|| response_component(op.op));
        return Some(Stream::JsonLines { item });
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
                item: response_component(op.op),
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

pub(super) const ERRORS_ARE_TYPED: Fixup = Fixup {
    name: "errors_are_typed",
    cause: Cause::UpstreamBug,
    why: "Error answers are JSON `{\"message\": ...}` but many have no schema (a \
          progenitor panic), and codes the spec does not list (any 400, 409...) \
          would come back untyped. All 4xx/5xx answers become two ranges, 4XX and \
          5XX, of `ErrorResponse`: one type, and two match arms per operation \
          instead of one per code (the codes stay in the API model). 304 \
          (ContainerStart/Stop: already started/stopped) has no body and is \
          neither success nor error; it is removed and reaches the caller as an \
          unexpected response carrying its status, which the facade classifies.",
    reference: "specs/v1.52.yaml: operations list only some of the codes the daemon answers (a 400 or 409 anywhere), some error answers have no schema (progenitor-impl 0.15.1 src/method.rs: `media type encoding, no schema`); 304 of `/containers/{id}/start` and `/stop`",
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

pub(super) const NULL_IS_NOT_AN_ERROR: Fixup = Fixup {
    name: "null_is_not_an_error",
    cause: Cause::UpstreamBug,
    why: "The daemon is written in Go, which encodes an empty slice or map as \
          `null` (`\"Binds\": null`, `\"Labels\": null`, `\"Mounts\": null`), \
          while the spec only marks some fields `x-nullable`. typify gives an \
          optional array or map a `#[serde(default)]` collection that fails on \
          `null`. Every optional property, and every required array or map, is \
          made nullable, so `null` decodes to `None`.",
    reference: "Go encoding/json: a nil slice or map encodes as `null`; specs/v1.52.yaml: `HostConfig.Binds`, `ContainerConfig.Env`, `Labels` are arrays and maps without `x-nullable`",
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
