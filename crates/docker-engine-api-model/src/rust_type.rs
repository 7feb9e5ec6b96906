//! A Rust type as the generated code has it, as a value (not a rendering).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The Rust type of a field, parameter, body, response or stream item of a
/// generated crate. Every type the generator emits is one of these; anything
/// else is a generation error, so a reader of the model never meets a type it
/// cannot interpret.
///
/// In `api-model.json` a type is written as its variant name in snake case,
/// with the wrapped types inside: `"string"`, `{"option": {"vec": {"named":
/// "PortSummary"}}}`, `{"map": ["string", "json"]}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RustType {
    /// `()`: an answer without a body.
    Unit,
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    String,
    /// `serde_json::Value`: a schema that says nothing about its value.
    Json,
    /// `serde_json::Map<String, serde_json::Value>`: a free-form object.
    JsonObject,
    /// `ByteStream`: a streamed answer (what it carries: [`crate::Stream`]).
    ByteStream,
    /// `reqwest::Upgraded`: the connection of a `101` answer.
    Upgraded,
    /// `reqwest::Body`: a raw request body (tar archives, image data).
    Body,
    Option(Box<RustType>),
    Vec(Box<RustType>),
    /// `HashMap<K, V>`.
    Map(Box<RustType>, Box<RustType>),
    /// `Box<T>` (a recursive type).
    Box(Box<RustType>),
    /// A type of the crate's `types` module, by its Rust name.
    Named(String),
}

impl RustType {
    pub fn option(inner: RustType) -> Self {
        Self::Option(Box::new(inner))
    }

    pub fn vec(inner: RustType) -> Self {
        Self::Vec(Box::new(inner))
    }

    pub fn map(key: RustType, value: RustType) -> Self {
        Self::Map(Box::new(key), Box::new(value))
    }

    pub fn named(name: impl Into<String>) -> Self {
        Self::Named(name.into())
    }

    pub fn is_option(&self) -> bool {
        matches!(self, Self::Option(_))
    }

    /// `T` for `Option<T>`; any other type unchanged.
    pub fn strip_option(&self) -> &RustType {
        match self {
            Self::Option(inner) => inner,
            other => other,
        }
    }

    /// The types this one wraps, in order (`K`, `V` of a map).
    pub fn args(&self) -> Vec<&RustType> {
        match self {
            Self::Option(t) | Self::Vec(t) | Self::Box(t) => vec![t],
            Self::Map(k, v) => vec![k, v],
            _ => Vec::new(),
        }
    }

    /// The crate types this type names, outermost first.
    pub fn named_types(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_named(&mut out);
        out
    }

    fn collect_named<'a>(&'a self, out: &mut Vec<&'a str>) {
        if let Self::Named(name) = self {
            out.push(name);
        }
        for arg in self.args() {
            arg.collect_named(out);
        }
    }

    /// The same type with crate type names mapped through `renames` (old
    /// name → new name); names not in the map stay.
    pub fn renamed(&self, renames: &BTreeMap<String, String>) -> RustType {
        let boxed = |t: &RustType| Box::new(t.renamed(renames));
        match self {
            Self::Named(name) => Self::Named(renames.get(name).unwrap_or(name).clone()),
            Self::Option(t) => Self::Option(boxed(t)),
            Self::Vec(t) => Self::Vec(boxed(t)),
            Self::Box(t) => Self::Box(boxed(t)),
            Self::Map(k, v) => Self::Map(boxed(k), boxed(v)),
            other => other.clone(),
        }
    }
}

/// The type as a Rust programmer writes it, standard paths shortened
/// (`Option<Vec<PortSummary>>`, `HashMap<String, serde_json::Value>`).
impl fmt::Display for RustType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Unit => "()",
            Self::Bool => "bool",
            Self::I8 => "i8",
            Self::I16 => "i16",
            Self::I32 => "i32",
            Self::I64 => "i64",
            Self::U8 => "u8",
            Self::U16 => "u16",
            Self::U32 => "u32",
            Self::U64 => "u64",
            Self::F32 => "f32",
            Self::F64 => "f64",
            Self::String => "String",
            Self::Json => "serde_json::Value",
            Self::JsonObject => "serde_json::Map<String, serde_json::Value>",
            Self::ByteStream => "ByteStream",
            Self::Upgraded => "reqwest::Upgraded",
            Self::Body => "reqwest::Body",
            Self::Option(t) => return write!(f, "Option<{t}>"),
            Self::Vec(t) => return write!(f, "Vec<{t}>"),
            Self::Box(t) => return write!(f, "Box<{t}>"),
            Self::Map(k, v) => return write!(f, "HashMap<{k}, {v}>"),
            Self::Named(name) => name,
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_as_rust() {
        let t = RustType::option(RustType::map(
            RustType::String,
            RustType::option(RustType::vec(RustType::named("PortBinding"))),
        ));
        assert_eq!(
            t.to_string(),
            "Option<HashMap<String, Option<Vec<PortBinding>>>>"
        );
        assert_eq!(t.named_types(), ["PortBinding"]);
        assert_eq!(RustType::Unit.to_string(), "()");
    }

    #[test]
    fn renames_only_crate_types() {
        let map = BTreeMap::from([("Port".to_string(), "PortSummary".to_string())]);
        let t = RustType::option(RustType::vec(RustType::named("Port")));
        assert_eq!(t.renamed(&map).to_string(), "Option<Vec<PortSummary>>");
        assert_eq!(
            RustType::named("PortType").renamed(&map),
            RustType::named("PortType")
        );
        assert_eq!(t.strip_option(), &RustType::vec(RustType::named("Port")));
    }

    #[test]
    fn serialises_structurally() {
        let t = RustType::option(RustType::map(RustType::String, RustType::Json));
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"option":{"map":["string","json"]}}"#);
        assert_eq!(serde_json::from_str::<RustType>(&json).unwrap(), t);
        assert!(serde_json::from_str::<RustType>(r#""Option<String>""#).is_err());
    }
}
