//! The API model of a generated Docker Engine API crate: its operations and
//! types as the generated Rust has them (method, builder, field and type
//! names, Rust types), with the wire facts they come from (methods, paths,
//! parameter locations, JSON names, status codes, media types) and what the
//! generator's rules changed.
//!
//! The generator writes one next to each crate, as `api-model.json`
//! ([`ModelFile`]); `cargo xtask diff`, the generator's own checks and the
//! workspace's decode tests read it through this crate, which needs neither
//! the generator nor an HTTP stack.

mod file;
mod rust_type;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use docker_engine_api_runtime::{ApiVersion, Protocol};
pub use file::{FILE_NAME, ModelFile, ReadError, model_path};
pub use rust_type::RustType;

/// One generated crate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiModel {
    pub api_version: ApiVersion,
    /// Hex sha256 of the spec file the crate was generated from.
    pub spec_sha256: String,
    pub operations: Vec<Operation>,
    pub types: Vec<TypeDef>,
    /// Rule name → what the rule changed (operations, schemas, items).
    pub rules: BTreeMap<String, Vec<String>>,
}

impl ApiModel {
    /// The type named `name`, if the crate has one.
    pub fn type_named(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }

    /// The crate types each operation reaches from its parameters, body,
    /// response and stream item, through fields, inner types and generic
    /// arguments (its `$ref` closure), by operation id.
    pub fn reachable_types(&self) -> BTreeMap<&str, BTreeSet<&str>> {
        let refs: BTreeMap<&str, Vec<&str>> = self
            .types
            .iter()
            .map(|t| {
                let named = t.fields.iter().map(|f| &f.rust_type).chain(&t.inner);
                (
                    t.name.as_str(),
                    named.flat_map(RustType::named_types).collect(),
                )
            })
            .collect();
        self.operations
            .iter()
            .map(|op| {
                let mut seen = BTreeSet::new();
                let mut stack: Vec<&str> = op
                    .signature_types()
                    .into_iter()
                    .flat_map(RustType::named_types)
                    .collect();
                while let Some(name) = stack.pop() {
                    if let Some((&known, children)) = refs.get_key_value(name)
                        && seen.insert(known)
                    {
                        stack.extend(children.iter().copied());
                    }
                }
                (op.operation_id.as_str(), seen)
            })
            .collect()
    }
}

impl Operation {
    /// Every Rust type the operation's signature names directly: parameters,
    /// body, response, stream item.
    pub fn signature_types(&self) -> Vec<&RustType> {
        let mut out: Vec<&RustType> = self.params.iter().map(|p| &p.rust_type).collect();
        out.extend(self.body.as_ref().map(|b| &b.rust_type));
        out.push(&self.response.rust_type);
        if let Some(Stream::JsonLines { item }) = &self.response.stream {
            out.push(item);
        }
        out
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Operation {
    /// `ContainerList`
    pub operation_id: String,
    /// `GET`
    pub method: String,
    /// `/containers/json`
    pub path: String,
    /// `container_list` (the method on `Client`)
    pub rust_method: String,
    /// The spec's first tag (`Container`); the generated module of the
    /// operation follows from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    pub params: Vec<Param>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    pub response: Response,
    /// Besides `send`, the builder has `upgrade()`, which asks the daemon to
    /// switch the connection to this protocol (Docker's hijack for attach and
    /// exec), as the rules recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<Protocol>,
    /// Media types the spec says the operation consumes / produces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub produces: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    Path,
    Query,
    Header,
}

impl ParamLocation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Param {
    /// Name on the wire (`filters`, `X-Registry-Auth`).
    pub name: String,
    pub location: ParamLocation,
    /// Builder method (`filters`, `x_registry_auth`).
    pub rust_name: String,
    pub rust_type: RustType,
    pub required: bool,
    /// The spec's own type, e.g. `string`, `array<string>`, `boolean`.
    pub spec_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Body {
    /// The media type the generated client sends.
    pub content_type: String,
    pub rust_type: RustType,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Response {
    /// Success status codes the spec lists.
    pub status: Vec<String>,
    /// Rust type of the success value (`()` when empty, `ByteStream` for
    /// streams, `reqwest::Upgraded` for protocol upgrades).
    pub rust_type: RustType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<Stream>,
    /// Error status codes the spec lists (all decode as `ErrorResponse`).
    pub error_status: Vec<String>,
}

/// What a byte-stream answer carries, as the generator's rules decided it;
/// the facade decodes it. `I` is the item of a JSON-lines stream: its Rust
/// type in the model; in the rules' record on the document, the component
/// schema's name (`None` when the spec does not say).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Stream<I = RustType> {
    /// One JSON document per line.
    JsonLines { item: I },
    /// stdout/stderr frames (or raw bytes when a TTY is allocated).
    Multiplexed,
    /// Opaque bytes (tar archives, `/_ping`'s text).
    Bytes,
    /// A switched protocol.
    Upgrade { protocol: Protocol },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TypeDef {
    /// Rust name in `types`.
    pub name: String,
    /// Where the schema came from.
    pub origin: Origin,
    pub kind: TypeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Wire values of an enum (the `Other(String)` catch-all not included).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Wrapped type of a newtype or alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner: Option<RustType>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A named definition of the spec.
    Component,
    /// An operation's body or response schema.
    Operation,
    /// Nested in another schema.
    Inline,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TypeKind {
    Struct,
    /// A string enum, open: values it does not list decode into `Other`.
    Enum,
    Newtype,
    Alias,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Field {
    pub json_name: String,
    pub rust_name: String,
    pub rust_type: RustType,
    /// Must be present in JSON (neither `Option` nor defaulted).
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
}
