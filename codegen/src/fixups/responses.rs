//! Helpers the document rules share: media types and success answers.

use serde_json::{Map, Value, json};

pub(super) const JSON: &str = "application/json";
pub(super) const OCTET_STREAM: &str = "application/octet-stream";

pub(super) fn binary_schema() -> Value {
    json!({ "type": "string", "format": "binary" })
}

pub(super) fn is_success(code: &str) -> bool {
    code == "101" || code.starts_with('2')
}

/// The component a success response's schema names (`EventMessage`), in the
/// converted document.
pub(super) fn response_component(op: &Map<String, Value>) -> Option<String> {
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

/// Every 2xx answer of `op` becomes raw bytes.
pub(super) fn make_success_bytes(op: &mut Map<String, Value>) {
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
