//! Building the API model of one generated crate (the types are in the
//! `docker-engine-api-model` crate, which readers of `api-model.json` use).
//!
//! It is built from the spec (wire facts: methods, paths, parameter
//! locations, status codes) and from the generated syntax tree (Rust facts:
//! method, field and type names, Rust types), so it describes what users
//! actually compile against. A Rust type the model cannot express is an
//! error, so nothing reaches `api-model.json` as an opaque string.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde_json::Value;
use syn::{Fields, File, Item};

pub use docker_engine_api_model::{
    ApiModel, Body, Field, Operation, Origin, Param, ParamLocation, Response, RustType, Stream,
    TypeDef, TypeKind,
};

use crate::spec::SpecFile;

pub use crate::rules::Applied;

/// Converts the generated syntax tree's types into [`RustType`]s: the names
/// of the crate's `types` module are [`RustType::Named`].
struct Types<'a> {
    names: &'a BTreeSet<String>,
}

impl Types<'_> {
    fn of(&self, ty: &syn::Type) -> Result<RustType, String> {
        let unsupported = || {
            Err(format!(
                "the API model has no form for the Rust type `{}`",
                quote::quote!(#ty)
            ))
        };
        let path = match ty {
            syn::Type::Tuple(t) if t.elems.is_empty() => return Ok(RustType::Unit),
            syn::Type::Path(p) if p.qself.is_none() => &p.path,
            _ => return unsupported(),
        };
        let Some(last) = path.segments.last() else {
            return unsupported();
        };
        let args: Vec<&syn::Type> = match &last.arguments {
            syn::PathArguments::AngleBracketed(a) => a
                .args
                .iter()
                .filter_map(|a| match a {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let name = last.ident.to_string();
        let first = path.segments.first().map(|s| s.ident.to_string());
        let one = |wrap: fn(Box<RustType>) -> RustType| -> Result<RustType, String> {
            match args.as_slice() {
                [t] => Ok(wrap(Box::new(self.of(t)?))),
                _ => unsupported(),
            }
        };
        Ok(match (name.as_str(), args.len()) {
            ("Option", 1) => one(RustType::Option)?,
            ("Vec", 1) => one(RustType::Vec)?,
            ("Box", 1) => one(RustType::Box)?,
            ("HashMap" | "BTreeMap", 2) => RustType::map(self.of(args[0])?, self.of(args[1])?),
            ("Map", 2) if first.as_deref() == Some("serde_json") => RustType::JsonObject,
            ("Value", 0) if first.as_deref() == Some("serde_json") => RustType::Json,
            ("Body", 0) if first.as_deref() == Some("reqwest") => RustType::Body,
            ("Upgraded", 0) if first.as_deref() == Some("reqwest") => RustType::Upgraded,
            ("ByteStream", 0) => RustType::ByteStream,
            ("String", 0) => RustType::String,
            ("bool", 0) => RustType::Bool,
            ("i8", 0) => RustType::I8,
            ("i16", 0) => RustType::I16,
            ("i32", 0) => RustType::I32,
            ("i64", 0) => RustType::I64,
            ("u8", 0) => RustType::U8,
            ("u16", 0) => RustType::U16,
            ("u32", 0) => RustType::U32,
            ("u64", 0) => RustType::U64,
            ("f32", 0) => RustType::F32,
            ("f64", 0) => RustType::F64,
            (_, 0) if self.names.contains(&name) => RustType::Named(name),
            _ => return unsupported(),
        })
    }
}

/// Builds the model of one generated crate.
pub fn build(
    spec: &SpecFile,
    openapi: &Value,
    file: &File,
    applied: &Applied,
) -> Result<ApiModel, String> {
    let types_mod = module(&file.items, "types").unwrap_or(&[]);
    let builder_mod = module(&file.items, "builder").unwrap_or(&[]);
    let type_names: BTreeSet<String> = types_mod
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some(s.ident.to_string()),
            Item::Enum(e) => Some(e.ident.to_string()),
            Item::Type(t) => Some(t.ident.to_string()),
            _ => None,
        })
        .collect();
    let rust = Types { names: &type_names };
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
        let located = |e: String| format!("{}: {e}", op.describe());
        let builder = builder_struct(&rust, builder_mod, &builder_name).map_err(located)?;
        let send_type = send_return_type(&rust, builder_mod, &builder_name).map_err(located)?;
        operation_type_names.insert(format!("{builder_name}Response"));
        operation_type_names.insert(format!("{builder_name}Body"));
        operations.push(operation(
            spec,
            openapi,
            &op,
            id,
            rust_method,
            &rust,
            (builder, send_type),
        )?);
    }

    let mut types = Vec::new();
    for item in types_mod {
        let located = |name: &syn::Ident| {
            let name = name.to_string();
            move |e: String| format!("type {name}: {e}")
        };
        let (name, def) = match item {
            Item::Struct(s) => (
                s.ident.to_string(),
                struct_def(&rust, s).map_err(located(&s.ident))?,
            ),
            Item::Enum(e) => (e.ident.to_string(), enum_def(e)),
            Item::Type(t) => (
                t.ident.to_string(),
                TypeDef {
                    kind: TypeKind::Alias,
                    inner: Some(rust.of(&t.ty).map_err(located(&t.ident))?),
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
        api_version: spec.version,
        spec_sha256: spec.sha256.clone(),
        operations,
        types,
        rules: applied.clone(),
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

/// A field of an operation builder: `(rust name, Rust type, required)`.
type BuilderField = (String, RustType, bool);

/// The fields of an operation builder.
fn builder_struct(
    rust: &Types<'_>,
    builder_mod: &[Item],
    name: &str,
) -> Result<Vec<BuilderField>, String> {
    let Some(s) = builder_mod.iter().find_map(|i| match i {
        Item::Struct(s) if s.ident == name => Some(s),
        _ => None,
    }) else {
        return Ok(Vec::new());
    };
    let mut fields = Vec::new();
    for f in &s.fields {
        let Some(ident) = f.ident.as_ref().map(ToString::to_string) else {
            continue;
        };
        if ident == "client" {
            continue;
        }
        // `Result<T, String>`: T is `Option<U>` for optional parameters.
        let inner = first_generic(&f.ty)
            .ok_or_else(|| format!("builder field `{ident}` is not a `Result<T, String>`"))?;
        fields.push(match option_inner(inner) {
            Some(u) => (ident, rust.of(u)?, false),
            None => (ident, rust.of(inner)?, true),
        });
    }
    Ok(fields)
}

/// `T` of `send(self) -> Result<ResponseValue<T>, Error<E>>`.
fn send_return_type(
    rust: &Types<'_>,
    builder_mod: &[Item],
    name: &str,
) -> Result<RustType, String> {
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
                return rust.of(t);
            }
        }
    }
    Err(format!(
        "builder {name} has no `send` returning `Result<ResponseValue<T>, _>`"
    ))
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

fn struct_def(rust: &Types<'_>, s: &syn::ItemStruct) -> Result<TypeDef, String> {
    Ok(match &s.fields {
        Fields::Unnamed(f) if f.unnamed.len() == 1 => TypeDef {
            kind: TypeKind::Newtype,
            inner: Some(rust.of(&f.unnamed[0].ty)?),
            ..empty_def(&s.attrs)
        },
        Fields::Named(named) => TypeDef {
            kind: TypeKind::Struct,
            fields: named
                .named
                .iter()
                .map(|f| field(rust, f))
                .collect::<Result<_, _>>()?,
            ..empty_def(&s.attrs)
        },
        _ => empty_def(&s.attrs),
    })
}

fn field(rust: &Types<'_>, f: &syn::Field) -> Result<Field, String> {
    let rust_name = f
        .ident
        .as_ref()
        .map(ToString::to_string)
        .ok_or("a struct field without a name")?;
    let serde = serde_field_attrs(&f.attrs);
    let rust_type = rust
        .of(&f.ty)
        .map_err(|e| format!("field {rust_name}: {e}"))?;
    // serde lets an `Option` field be absent, unless typify asked for
    // `deserialize_with` (a required field that may be null).
    let optional_option = rust_type.is_option() && !serde.deserialize_with;
    let required = !serde.default && !optional_option;
    Ok(Field {
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
    rust: &Types<'_>,
    (builder, send_type): (Vec<BuilderField>, RustType),
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
            .ok_or_else(|| {
                format!(
                    "{}: parameter `{name}` has no builder method",
                    op.describe()
                )
            })?;
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

    let stream = stream_kind(rust, openapi, op, &send_type)?;
    let upgrade = openapi
        .get("paths")
        .and_then(|p| p.get(op.path))
        .and_then(|item| item.get(op.method))
        .and_then(crate::fixups::recorded_upgrade);
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
        tag: op
            .op
            .get("tags")
            .and_then(|t| t.get(0))
            .and_then(Value::as_str)
            .map(str::to_owned),
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
        upgrade,
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
    rust: &Types<'_>,
    openapi: &Value,
    op: &crate::spec::SpecOperation<'_>,
    send_type: &RustType,
) -> Result<Option<Stream>, String> {
    let recorded = openapi
        .get("paths")
        .and_then(|p| p.get(op.path))
        .and_then(|item| item.get(op.method))
        .and_then(crate::fixups::recorded_stream);
    let stream = match recorded {
        // The item schema's type, when the crate has it (a schema that is a
        // bare `object` becomes no type of its own).
        Some(Stream::JsonLines { item }) => Stream::JsonLines {
            item: item
                .map(|name| name.to_upper_camel_case())
                .filter(|name| rust.names.contains(name))
                .map_or(RustType::Json, RustType::Named),
        },
        Some(Stream::Multiplexed) => Stream::Multiplexed,
        Some(Stream::Bytes) => Stream::Bytes,
        Some(Stream::Upgrade { protocol }) => Stream::Upgrade { protocol },
        None if matches!(send_type, RustType::ByteStream | RustType::Upgraded) => {
            return Err(format!(
                "{}: answers `{send_type}` but no rule recorded what the stream carries",
                op.describe()
            ));
        }
        None => return Ok(None),
    };
    Ok(Some(stream))
}
