//! The API model: a machine-readable description of one generated crate.
//!
//! It is built from the spec (wire facts: methods, paths, parameter locations,
//! status codes) and from the generated syntax tree (Rust facts: method, field
//! and type names, Rust types), so it describes what users actually compile
//! against. The facade's tests and `cargo xtask diff` read it; it is written
//! next to each crate as `api-model.json`.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use syn::{Fields, File, Item};

use crate::fixups::Applied;
use crate::spec::SpecFile;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiModel {
    pub api_version: String,
    pub spec_sha256: String,
    pub operations: Vec<Operation>,
    pub types: Vec<TypeDef>,
    /// Fixup rule → the operations or schemas it changed.
    pub fixups: BTreeMap<String, Vec<String>>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    pub params: Vec<Param>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    pub response: Response,
    /// Media types the spec says the operation consumes / produces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub produces: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    Path,
    Query,
    Header,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Param {
    /// Name on the wire (`filters`, `X-Registry-Auth`).
    pub name: String,
    pub location: ParamLocation,
    /// Builder method (`filters`, `x_registry_auth`).
    pub rust_name: String,
    pub rust_type: String,
    pub required: bool,
    /// The spec's own type, e.g. `string`, `array<string>`, `boolean`.
    pub spec_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Body {
    /// The media type the generated client sends.
    pub content_type: String,
    pub rust_type: String,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Response {
    /// Success status codes the spec lists.
    pub status: Vec<String>,
    /// Rust type of the success value (`()` when empty, `ByteStream` for
    /// streams, `reqwest::Upgraded` for protocol upgrades).
    pub rust_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<Stream>,
    /// Error status codes the spec lists (all decode as `ErrorResponse`).
    pub error_status: Vec<String>,
}

pub use crate::fixups::Stream;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TypeDef {
    /// Rust name in `types`.
    pub name: String,
    /// Where the schema came from: `component` (a named definition),
    /// `operation` (a body or response schema), `inline` (nested in another).
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
    pub inner: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Component,
    Operation,
    Inline,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TypeKind {
    Struct,
    Enum,
    Newtype,
    Alias,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Field {
    pub json_name: String,
    pub rust_name: String,
    pub rust_type: String,
    /// Must be present in JSON (neither `Option` nor defaulted).
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
}

/// Builds the model of one generated crate.
pub fn build(
    spec: &SpecFile,
    openapi: &Value,
    file: &File,
    applied: &[Applied],
) -> Result<ApiModel, String> {
    let types_mod = module(&file.items, "types").unwrap_or(&[]);
    let builder_mod = module(&file.items, "builder").unwrap_or(&[]);
    let client_methods = client_method_names(file);
    let component_names: BTreeSet<String> = spec
        .doc
        .get("definitions")
        .and_then(Value::as_object)
        .map(|d| d.keys().map(|k| k.to_upper_camel_case()).collect())
        .unwrap_or_default();

    let mut operations = Vec::new();
    let mut operation_type_names = BTreeSet::new();
    for op in spec.operations() {
        let Some(id) = op.operation_id else {
            return Err(format!("{}: no operationId", op.describe()));
        };
        let rust_method = id.to_snake_case();
        if !client_methods.contains(&rust_method) {
            return Err(format!(
                "{}: no method `{rust_method}` in the generated client",
                op.describe()
            ));
        }
        let builder_name = id.to_upper_camel_case();
        let builder = builder_struct(builder_mod, &builder_name);
        let send_type = send_return_type(builder_mod, &builder_name);
        operation_type_names.insert(format!("{builder_name}Response"));
        operation_type_names.insert(format!("{builder_name}Body"));
        operations.push(operation(
            spec,
            openapi,
            &op,
            id,
            rust_method,
            builder,
            send_type,
        )?);
    }

    let mut types = Vec::new();
    for item in types_mod {
        let (name, def) = match item {
            Item::Struct(s) => (s.ident.to_string(), struct_def(s)),
            Item::Enum(e) => (e.ident.to_string(), enum_def(e)),
            Item::Type(t) => (
                t.ident.to_string(),
                TypeDef {
                    kind: TypeKind::Alias,
                    inner: Some(type_string(&t.ty)),
                    ..empty_def(&t.attrs)
                },
            ),
            _ => continue,
        };
        let origin = if component_names.contains(&name) {
            Origin::Component
        } else if operation_type_names.contains(&name) {
            Origin::Operation
        } else {
            Origin::Inline
        };
        types.push(TypeDef {
            name,
            origin,
            ..def
        });
    }

    Ok(ApiModel {
        api_version: spec.version.to_string(),
        spec_sha256: spec.sha256.clone(),
        operations,
        types,
        fixups: applied
            .iter()
            .map(|a| (a.rule.to_string(), a.locations.clone()))
            .collect(),
    })
}

fn module<'a>(items: &'a [Item], name: &str) -> Option<&'a [Item]> {
    items.iter().find_map(|item| match item {
        Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items.as_slice()),
        _ => None,
    })
}

fn client_method_names(file: &File) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for item in &file.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let syn::Type::Path(p) = &*imp.self_ty else {
            continue;
        };
        if !p.path.is_ident("Client") {
            continue;
        }
        for i in &imp.items {
            if let syn::ImplItem::Fn(f) = i {
                names.insert(f.sig.ident.to_string());
            }
        }
    }
    names
}

/// The fields of an operation builder: `(rust name, Rust type, required)`.
fn builder_struct(builder_mod: &[Item], name: &str) -> Vec<(String, String, bool)> {
    let Some(s) = builder_mod.iter().find_map(|i| match i {
        Item::Struct(s) if s.ident == name => Some(s),
        _ => None,
    }) else {
        return Vec::new();
    };
    s.fields
        .iter()
        .filter_map(|f| {
            let ident = f.ident.as_ref()?.to_string();
            if ident == "client" {
                return None;
            }
            // `Result<T, String>`: T is `Option<U>` for optional parameters.
            let inner = first_generic(&f.ty)?;
            match option_inner(inner) {
                Some(u) => Some((ident, type_string(u), false)),
                None => Some((ident, type_string(inner), true)),
            }
        })
        .collect()
}

/// `T` of `send(self) -> Result<ResponseValue<T>, Error<E>>`.
fn send_return_type(builder_mod: &[Item], name: &str) -> String {
    for item in builder_mod {
        let Item::Impl(imp) = item else { continue };
        let syn::Type::Path(p) = &*imp.self_ty else {
            continue;
        };
        if p.path.segments.last().is_none_or(|s| s.ident != name) {
            continue;
        }
        for i in &imp.items {
            let syn::ImplItem::Fn(f) = i else { continue };
            if f.sig.ident != "send" {
                continue;
            }
            if let syn::ReturnType::Type(_, ty) = &f.sig.output
                && let Some(t) = first_generic(ty).and_then(first_generic)
            {
                return type_string(t);
            }
        }
    }
    "?".into()
}

fn first_generic(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    if p.path.segments.last()?.ident != "Option" {
        return None;
    }
    first_generic(ty)
}

/// A compact, stable rendering of a Rust type: last path segments only
/// (`::std::option::Option<::std::vec::Vec<types::Foo>>` → `Option<Vec<Foo>>`).
pub fn type_string(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return "?".into();
            };
            let mut s = last.ident.to_string();
            if p.path.segments.len() >= 2 && p.path.segments[0].ident == "reqwest" {
                s = format!("reqwest::{s}");
            }
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                let inner: Vec<String> = args
                    .args
                    .iter()
                    .map(|a| match a {
                        syn::GenericArgument::Type(t) => type_string(t),
                        other => quote::quote!(#other).to_string(),
                    })
                    .collect();
                s.push('<');
                s.push_str(&inner.join(", "));
                s.push('>');
            }
            s
        }
        syn::Type::Tuple(t) if t.elems.is_empty() => "()".into(),
        syn::Type::Reference(r) => format!("&{}", type_string(&r.elem)),
        syn::Type::Array(a) => {
            let len = &a.len;
            format!("[{}; {}]", type_string(&a.elem), quote::quote!(#len))
        }
        other => quote::quote!(#other).to_string(),
    }
}

fn doc_text(attrs: &[syn::Attribute]) -> String {
    let mut text = String::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            text.push_str(&s.value());
            text.push('\n');
        }
    }
    text
}

/// The sentence of a description that says something is deprecated, if any.
pub fn deprecation(description: &str) -> Option<String> {
    let lower = description.to_lowercase();
    let at = lower.find("deprecated")?;
    // The sentence around the word. A sentence ends at a full stop followed
    // by whitespace (not the dot of "v1.44"), or at a blank line.
    let is_end = |i: usize| {
        let rest = &description[i..];
        rest.starts_with("\n\n")
            || (rest.starts_with('.') && rest[1..].chars().next().is_none_or(char::is_whitespace))
    };
    let start = (0..at)
        .rev()
        .find(|&i| description.is_char_boundary(i) && is_end(i))
        .map_or(0, |i| i + 1);
    let end = (at..description.len())
        .find(|&i| description.is_char_boundary(i) && is_end(i))
        .map_or(description.len(), |i| i + 1);
    let sentence = description[start..end]
        .replace("**", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(
        sentence
            .trim_start_matches(['>', '*', ' ', '-', '_', '.'])
            .to_string(),
    )
}

fn empty_def(attrs: &[syn::Attribute]) -> TypeDef {
    TypeDef {
        name: String::new(),
        origin: Origin::Inline,
        kind: TypeKind::Struct,
        deprecated: deprecation(&doc_text(attrs)),
        fields: Vec::new(),
        values: Vec::new(),
        inner: None,
    }
}

fn struct_def(s: &syn::ItemStruct) -> TypeDef {
    match &s.fields {
        Fields::Unnamed(f) if f.unnamed.len() == 1 => TypeDef {
            kind: TypeKind::Newtype,
            inner: Some(type_string(&f.unnamed[0].ty)),
            ..empty_def(&s.attrs)
        },
        Fields::Named(named) => TypeDef {
            kind: TypeKind::Struct,
            fields: named.named.iter().filter_map(field).collect(),
            ..empty_def(&s.attrs)
        },
        _ => empty_def(&s.attrs),
    }
}

fn field(f: &syn::Field) -> Option<Field> {
    let rust_name = f.ident.as_ref()?.to_string();
    let serde = serde_field_attrs(&f.attrs);
    let rust_type = type_string(&f.ty);
    // serde lets an `Option` field be absent, unless typify asked for
    // `deserialize_with` (a required field that may be null).
    let optional_option = rust_type.starts_with("Option<") && !serde.deserialize_with;
    let required = !serde.default && !optional_option;
    Some(Field {
        json_name: serde
            .rename
            .unwrap_or_else(|| rust_name.trim_start_matches("r#").to_string()),
        rust_name,
        rust_type,
        required,
        deprecated: deprecation(&doc_text(&f.attrs)),
    })
}

struct SerdeField {
    rename: Option<String>,
    default: bool,
    deserialize_with: bool,
}

fn serde_field_attrs(attrs: &[syn::Attribute]) -> SerdeField {
    let mut out = SerdeField {
        rename: None,
        default: false,
        deserialize_with: false,
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                out.rename = Some(lit.value());
            } else if meta.path.is_ident("deserialize_with") {
                out.deserialize_with = true;
                let _: syn::Expr = meta.value()?.parse()?;
            } else if meta.path.is_ident("default") {
                out.default = true;
                if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    out
}

fn enum_def(e: &syn::ItemEnum) -> TypeDef {
    let values = e
        .variants
        .iter()
        .filter(|v| matches!(v.fields, Fields::Unit))
        .map(|v| {
            serde_field_attrs(&v.attrs)
                .rename
                .unwrap_or_else(|| v.ident.to_string())
        })
        .collect();
    TypeDef {
        kind: TypeKind::Enum,
        values,
        ..empty_def(&e.attrs)
    }
}

fn operation(
    spec: &SpecFile,
    openapi: &Value,
    op: &crate::spec::SpecOperation<'_>,
    id: &str,
    rust_method: String,
    builder: Vec<(String, String, bool)>,
    send_type: String,
) -> Result<Operation, String> {
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let global_consumes = strings(spec.doc.get("consumes"));
    let global_produces = strings(spec.doc.get("produces"));
    let mut consumes = strings(op.op.get("consumes"));
    if consumes.is_empty() {
        consumes = global_consumes;
    }
    let mut produces = strings(op.op.get("produces"));
    if produces.is_empty() {
        produces = global_produces;
    }

    let mut params = Vec::new();
    let mut body_required = false;
    let mut has_body = false;
    let spec_params = op
        .op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for p in &spec_params {
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
        let location = match p.get("in").and_then(Value::as_str) {
            Some("path") => ParamLocation::Path,
            Some("query") => ParamLocation::Query,
            Some("header") => ParamLocation::Header,
            Some("body") => {
                has_body = true;
                body_required = required;
                continue;
            }
            _ => continue,
        };
        // progenitor appends `_` to names that are Rust keywords (`type_`).
        let snake = name.to_snake_case();
        let (rust_name, rust_type) = builder
            .iter()
            .find(|(n, _, _)| *n == snake || *n == format!("{snake}_"))
            .map(|(n, t, _)| (n.clone(), t.clone()))
            .unwrap_or_else(|| (snake.clone(), "?".into()));
        let description = p
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        params.push(Param {
            name: name.to_string(),
            location,
            rust_name,
            rust_type,
            required,
            spec_type: spec_type(p),
            default: p.get("default").cloned(),
            deprecated: deprecation(description),
        });
    }
    let body = builder
        .iter()
        .find(|(n, _, _)| n == "body")
        .map(|(_, t, _)| Body {
            content_type: openapi_request_media_type(openapi, op.path, op.method)
                .unwrap_or_default(),
            rust_type: t.clone(),
            required: body_required || !has_body,
        });

    let responses = op.op.get("responses").and_then(Value::as_object);
    let codes: Vec<String> = responses
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default();
    let (status, error_status): (Vec<String>, Vec<String>) = codes
        .into_iter()
        .partition(|c| c.starts_with('1') || c.starts_with('2'));

    let stream = stream_kind(openapi, op, &send_type)?;
    let description = op
        .op
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok(Operation {
        operation_id: id.to_string(),
        method: op.method.to_uppercase(),
        path: op.path.to_string(),
        rust_method,
        summary: op
            .op
            .get("summary")
            .and_then(Value::as_str)
            .map(str::to_owned),
        deprecated: op
            .op
            .get("deprecated")
            .and_then(Value::as_bool)
            .filter(|d| *d)
            .map(|_| "deprecated".to_string())
            .or_else(|| deprecation(description)),
        params,
        body,
        response: Response {
            status,
            rust_type: send_type,
            stream,
            error_status,
        },
        consumes,
        produces,
    })
}

fn spec_type(p: &Value) -> String {
    let t = p.get("type").and_then(Value::as_str).unwrap_or("?");
    if t == "array" {
        let inner = p
            .pointer("/items/type")
            .and_then(Value::as_str)
            .unwrap_or("?");
        format!("array<{inner}>")
    } else {
        t.to_string()
    }
}

fn openapi_request_media_type(openapi: &Value, path: &str, method: &str) -> Option<String> {
    let content = openapi
        .get("paths")?
        .get(path)?
        .get(method)?
        .get("requestBody")?
        .get("content")?
        .as_object()?;
    content.keys().next().cloned()
}

/// What the rules recorded about the operation's success body, with a JSON
/// lines item named by its Rust type. A byte-stream or upgrade answer that no
/// rule described is an error: the facade could not decode it.
fn stream_kind(
    openapi: &Value,
    op: &crate::spec::SpecOperation<'_>,
    send_type: &str,
) -> Result<Option<Stream>, String> {
    let recorded = openapi
        .get("paths")
        .and_then(|p| p.get(op.path))
        .and_then(|item| item.get(op.method))
        .and_then(crate::fixups::recorded_stream);
    let stream = match recorded {
        Some(Stream::JsonLines { item }) if item.is_empty() => Stream::JsonLines {
            item: "serde_json::Value".into(),
        },
        Some(Stream::JsonLines { item }) => Stream::JsonLines {
            item: item.to_upper_camel_case(),
        },
        Some(other) => other,
        None if send_type == "ByteStream" || send_type.contains("Upgraded") => {
            return Err(format!(
                "{}: answers `{send_type}` but no rule recorded what the stream carries",
                op.describe()
            ));
        }
        None => return Ok(None),
    };
    Ok(Some(stream))
}
