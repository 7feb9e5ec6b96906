//! Document rules: every Docker-specific rewrite of the OpenAPI 3 document
//! before progenitor sees it, one named [`Fixup`] each, in a file by its
//! cause ([`Cause`](crate::rules::Cause)): `upstream_bugs.rs` (the spec is
//! wrong or silent), `generator_limits.rs` (progenitor, typify or the
//! converter cannot express it), `policy.rs` (our choices). The code rules
//! are in [`crate::postprocess`]; both share the frame of [`crate::rules`].
//!
//! The rules run on the converted document as JSON, in the order of
//! [`RULES`]. Each returns the locations it changed, which the API model
//! records; adding a rule is its `Fixup` in the file of its cause and one
//! line in `RULES`.
//!
//! What a rule decides about an operation that later steps need (what a
//! stream carries, that it can switch protocols) is recorded on the operation
//! as an extension ([`STREAM_EXTENSION`], [`UPGRADE_EXTENSION`]), which the
//! code rules and the API model read back: nothing re-derives it.

mod generator_limits;
mod policy;
mod responses;
mod upstream_bugs;
mod walk;

use serde_json::{Map, Value, json};

use crate::Protocol;

pub use generator_limits::UPGRADE_PROTOCOLS;
pub use upstream_bugs::{JSON_LINES_STREAMS, UPGRADES_NOT_LISTED};

/// A document rule: rewrites the document and returns what it changed.
pub type Fixup = crate::rules::Rule<fn(&mut Value, &SwaggerFacts) -> Vec<String>>;

/// Every document rule, in the order it runs.
pub const RULES: &[Fixup] = &[
    // The wrong swarm types first: every rule below applies to the corrected document.
    upstream_bugs::TASK_NETWORK_IS_THE_SWARM_NETWORK,
    upstream_bugs::VERBOSE_NETWORK_INSPECT_HAS_SERVICES,
    upstream_bugs::SECRET_AND_CONFIG_IDS_ARE_ID,
    upstream_bugs::EVENTS_CARRY_STATUS_ID_FROM,
    generator_limits::INLINE_SHARED_REQUEST_BODIES,
    upstream_bugs::EXEC_START_LISTS_NO_UPGRADE,
    upstream_bugs::DISTRIBUTION_INSPECT_TAKES_REGISTRY_AUTH,
    generator_limits::ONE_REQUEST_MEDIA_TYPE,
    upstream_bugs::LOGS_DECLARE_NO_MEDIA_TYPE,
    upstream_bugs::STREAMS_ARE_BYTES,
    generator_limits::ONE_SUCCESS_RESPONSE,
    upstream_bugs::ERRORS_ARE_TYPED,
    generator_limits::X_NULLABLE_EVERYWHERE,
    upstream_bugs::NULL_IS_NOT_AN_ERROR,
    upstream_bugs::NULL_BODY_IS_EMPTY,
    policy::VALIDATION_IS_DOCUMENTATION,
    policy::TIMESTAMPS_ARE_STRINGS,
    policy::ENUMS_OF_VALUES_ARE_OPEN,
];

/// Runs every rule on `doc`; returns what each changed, by rule name.
pub fn apply(doc: &mut Value, facts: &SwaggerFacts) -> crate::rules::Applied {
    RULES
        .iter()
        .map(|rule| (rule.name.to_string(), (rule.apply)(doc, facts)))
        .collect()
}

/// The operation extension in which the rules record what a streaming
/// operation's success body carries ([`Stream`]).
pub const STREAM_EXTENSION: &str = "x-dea-stream";

/// The operation extension in which the rules record that an operation
/// answering a plain stream can also switch protocols when asked (Docker's
/// hijack: `Upgrade: tcp`, answered `101`), and to which [`Protocol`].
pub const UPGRADE_EXTENSION: &str = "x-dea-upgrade";

/// What a byte-stream answer carries, as the rules record it on the
/// document ([`STREAM_EXTENSION`]): the item of a JSON-lines stream is its
/// component schema's name (`None` when the spec does not say). The API model
/// reads it back with the item's Rust type.
pub type Stream = docker_engine_api_model::Stream<Option<String>>;

/// Records on an operation what its success body carries, as the rules decided
/// it ([`STREAM_EXTENSION`]); the API model reads it back, nothing re-derives it.
pub(super) fn record_stream(op: &mut Map<String, Value>, stream: &Stream) {
    op.insert(
        STREAM_EXTENSION.into(),
        serde_json::to_value(stream).expect("a stream kind serialises"),
    );
}

/// What the rules recorded about an operation's success body.
pub fn recorded_stream(op: &Value) -> Option<Stream> {
    serde_json::from_value(op.get(STREAM_EXTENSION)?.clone()).ok()
}

/// Records that `op` can also switch to `protocol` when asked.
pub(super) fn record_upgrade(op: &mut Map<String, Value>, protocol: Protocol) {
    op.insert(UPGRADE_EXTENSION.into(), json!(protocol.as_str()));
}

/// The protocol the rules recorded that an operation can switch to when asked.
pub fn recorded_upgrade(op: &Value) -> Option<Protocol> {
    op.get(UPGRADE_EXTENSION)?.as_str()?.parse().ok()
}

/// The operation extension in which the rules record that a `null` success
/// body means the empty array or map (`null_body_is_empty`); the code rule
/// `one_exchange` reads it back.
pub const NULL_BODY_EXTENSION: &str = "x-dea-null-body-is-empty";

/// Records that `op`'s JSON success body may be `null` for an empty collection.
pub(super) fn record_null_body(op: &mut Map<String, Value>) {
    op.insert(NULL_BODY_EXTENSION.into(), Value::Bool(true));
}

/// Whether the rules recorded that `op`'s `null` success body is empty.
pub fn recorded_null_body(op: &Value) -> bool {
    op.get(NULL_BODY_EXTENSION) == Some(&Value::Bool(true))
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
pub fn openapi_operations(doc: &Value) -> impl Iterator<Item = &Map<String, Value>> {
    walk::swagger_operations(doc)
}
