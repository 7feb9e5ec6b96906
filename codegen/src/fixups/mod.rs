//! Docker-specific normalisation of the OpenAPI 3 document.
//!
//! Every rewrite the Docker specs need before progenitor can turn them into a
//! client that works against a real daemon lives here, as one named [`Fixup`]
//! with the upstream quirk it handles. Nothing else in the generator knows
//! about Docker's quirks (the code-level ones are in [`crate::postprocess`]).
//!
//! The rules run on the converted document as JSON, in the order of [`RULES`].
//! Each returns the locations it changed; `cargo xtask regen` prints the counts
//! and the API model records them, so a rule that stops matching is noticed.

mod operations;
mod schemas;
mod upstream_bugs;
mod walk;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use operations::{JSON_LINES_STREAMS, UPGRADE_PROTOCOLS, recorded_stream};

/// The operation extension in which the rules record what a streaming
/// operation's success body carries ([`Stream`]).
pub const STREAM_EXTENSION: &str = "x-dea-stream";

/// What a byte-stream answer carries, as the rules decided it; the facade
/// decodes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Stream {
    /// One JSON document per line. In the document, `item` names the component
    /// schema of one line (empty when the spec does not say); in the API model,
    /// its Rust type (or `serde_json::Value`).
    JsonLines { item: String },
    /// stdout/stderr frames (or raw bytes when a TTY is allocated).
    Multiplexed,
    /// Opaque bytes (tar archives, `/_ping`'s text).
    Bytes,
    /// A switched protocol (`tcp`, `websocket`, `h2c`).
    Upgrade { protocol: String },
}

/// Facts about the original Swagger 2.0 document that the conversion loses.
#[derive(Debug, Default)]
pub struct SwaggerFacts {
    /// `operationId` → the operation's own `produces` list (not the global one).
    pub produces: std::collections::BTreeMap<String, Vec<String>>,
}

impl SwaggerFacts {
    pub fn from_swagger(swagger: &Value) -> Self {
        let mut facts = Self::default();
        for op in walk::swagger_operations(swagger) {
            if let (Some(id), Some(produces)) = (
                op.get("operationId").and_then(Value::as_str),
                op.get("produces").and_then(Value::as_array),
            ) {
                let list = produces.iter().filter_map(Value::as_str).map(str::to_owned);
                facts.produces.insert(id.to_owned(), list.collect());
            }
        }
        facts
    }
}

/// The operation objects of a document (Swagger 2.0 or OpenAPI 3).
pub fn openapi_operations(doc: &Value) -> impl Iterator<Item = &serde_json::Map<String, Value>> {
    walk::swagger_operations(doc)
}

/// One named rewrite.
pub struct Fixup {
    pub name: &'static str,
    /// The upstream quirk, in one sentence (shown by `cargo xtask regen --explain`).
    pub why: &'static str,
    pub apply: fn(&mut Value, &SwaggerFacts) -> Vec<String>,
}

/// Every rule, in the order it runs.
pub const RULES: &[Fixup] = &[
    // Spec bugs first: every normalisation below applies to the corrected document.
    upstream_bugs::TASK_NETWORK_IS_THE_SWARM_NETWORK,
    upstream_bugs::VERBOSE_NETWORK_INSPECT_HAS_SERVICES,
    upstream_bugs::SECRET_AND_CONFIG_IDS_ARE_ID,
    operations::INLINE_SHARED_REQUEST_BODIES,
    operations::ONE_REQUEST_MEDIA_TYPE,
    operations::LOGS_DECLARE_NO_MEDIA_TYPE,
    operations::STREAMS_ARE_BYTES,
    operations::ONE_SUCCESS_RESPONSE,
    operations::ERRORS_ARE_TYPED,
    schemas::X_NULLABLE_EVERYWHERE,
    schemas::NULL_IS_NOT_AN_ERROR,
    schemas::VALIDATION_IS_DOCUMENTATION,
    schemas::TIMESTAMPS_ARE_STRINGS,
];

/// What one rule changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Applied {
    pub rule: &'static str,
    pub locations: Vec<String>,
}

/// Runs every rule on `doc`.
pub fn apply(doc: &mut Value, facts: &SwaggerFacts) -> Vec<Applied> {
    RULES
        .iter()
        .map(|rule| Applied {
            rule: rule.name,
            locations: (rule.apply)(doc, facts),
        })
        .collect()
}
