//! Code rules that are our choices about the generated crates: their size,
//! build time and tolerance of what daemons send.

use std::collections::BTreeSet;

use proc_macro2::Span;
use quote::format_ident;
use syn::visit_mut::VisitMut;
use syn::{Fields, File, Item, ItemEnum, ItemImpl, parse_quote};

use super::{
    CodeRule, Input, derives, impl_self_name, impl_trait_name, module_mut, remove_derive,
    serde_rename, tokens_of,
};
use crate::Protocol;
use crate::rules::Cause;

pub(super) const LEAN_BUILDERS: CodeRule = CodeRule {
    name: "lean_builders",
    cause: Cause::Policy,
    why: "progenitor's builder interface turns on typify's struct builders \
          (`types::builder::*`, a second, fallible copy of every struct) and stores \
          request bodies in them. They were half of the generated code and a third \
          of its build time, and plain struct literals with `..Default::default()` \
          do the same job. They go: operation builders store the body type itself, \
          `body_map` goes, and a body whose type has no `Default` starts unset \
          (`send` reports it) instead of half-built. Reports the types whose \
          builder went.",
    reference: "progenitor-impl 0.15.1: `InterfaceStyle::Builder` sets typify's \
                `with_struct_builder(true)`; README, Interface style",
    apply: lean_builders,
};

fn lean_builders(file: &mut File, _: &Input) -> Result<Vec<String>, String> {
    let Some(types) = module_mut(&mut file.items, "types") else {
        return Ok(Vec::new());
    };
    // Types with a Default, before their builders go.
    let with_default: BTreeSet<String> = types
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) if derives(&s.attrs, "Default") => Some(s.ident.to_string()),
            Item::Enum(e) if derives(&e.attrs, "Default") => Some(e.ident.to_string()),
            Item::Impl(imp) if impl_trait_name(imp).as_deref() == Some("Default") => {
                impl_self_name(imp)
            }
            _ => None,
        })
        .collect();
    let mut dropped = Vec::new();
    types.retain(|item| match item {
        Item::Mod(m) => m.ident != "builder",
        Item::Impl(imp) if is_builder_constructor(imp) => {
            dropped.extend(impl_self_name(imp));
            false
        }
        _ => true,
    });
    // Struct builders also provide `From<Builder>`/`TryFrom<Builder>`; they
    // lived in the removed module, so nothing else refers to them.

    let Some(ops) = module_mut(&mut file.items, "builder") else {
        return Ok(dropped);
    };
    for item in ops.iter_mut() {
        StripBuilderPaths.visit_item_mut(item);
    }
    for item in ops.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        imp.items
            .retain(|i| !matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "body_map"));
    }
    // Bodies whose type has no Default start unset.
    let mut no_default_bodies = BTreeSet::new();
    for item in ops.iter() {
        let Item::Struct(s) = item else { continue };
        for field in &s.fields {
            if field.ident.as_ref().is_some_and(|i| i == "body")
                && let Some(name) = result_inner_type_name(&field.ty)
                && !with_default.contains(&name)
            {
                no_default_bodies.insert(s.ident.to_string());
            }
        }
    }
    for item in ops.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let Some(name) = impl_self_name(imp) else {
            continue;
        };
        if imp.trait_.is_none() && no_default_bodies.contains(&name) {
            UnsetBody.visit_item_impl_mut(imp);
        }
    }
    Ok(dropped)
}

/// `impl Foo { pub fn builder() -> builder::Foo { .. } }`
fn is_builder_constructor(imp: &ItemImpl) -> bool {
    imp.trait_.is_none()
        && imp.items.len() == 1
        && matches!(&imp.items[0], syn::ImplItem::Fn(f) if f.sig.ident == "builder")
}

/// For `Result<types::Foo, String>`, `Some("Foo")`; `None` for anything else
/// (`Vec<..>` bodies and raw bodies have a Default or need none).
fn result_inner_type_name(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let Some(syn::GenericArgument::Type(syn::Type::Path(inner))) = args.args.first() else {
        return None;
    };
    match super::path_names(&inner.path).as_slice() {
        [types, name] if types == "types" => Some(name.clone()),
        _ => None,
    }
}

/// `types::builder::Foo` → `types::Foo`.
struct StripBuilderPaths;

impl VisitMut for StripBuilderPaths {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        let is_builder_path = path.segments.len() >= 3
            && path.segments[0].ident == "types"
            && path.segments[1].ident == "builder";
        if is_builder_path {
            let segments = std::mem::take(&mut path.segments);
            path.segments = segments
                .into_iter()
                .enumerate()
                .filter(|(i, _)| *i != 1)
                .map(|(_, s)| s)
                .collect();
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// In an operation builder's `new`, `body: Ok(Default::default())` →
/// `body: Err("body was not set".to_string())`.
struct UnsetBody;

impl VisitMut for UnsetBody {
    fn visit_field_value_mut(&mut self, fv: &mut syn::FieldValue) {
        if matches!(&fv.member, syn::Member::Named(i) if i == "body") {
            fv.expr = parse_quote! { Err("body was not set: call `.body(..)`".to_string()) };
        }
        syn::visit_mut::visit_field_value_mut(self, fv);
    }
}

/// How an operation's `send` reads a successful response.
#[derive(Debug, Clone, Copy)]
enum Success {
    /// `200..=299`, a JSON body.
    Json,
    /// `200..=299`, a JSON array or map where `null` is the empty one
    /// (`null_body_is_empty`). progenitor writes it as [`Success::Json`].
    JsonOrEmpty,
    /// `200..=299`, no body.
    Empty,
    /// `200..=299`, the body as a byte stream.
    Stream,
    /// `101`, the connection itself.
    Upgrade,
}

impl Success {
    const ALL: [Success; 4] = [
        Success::Json,
        Success::Empty,
        Success::Stream,
        Success::Upgrade,
    ];

    /// The statements progenitor writes for this kind after `client.pre(..)`.
    fn progenitor_tail(self) -> Vec<syn::Stmt> {
        let arm: syn::Arm = match self {
            Self::Json | Self::JsonOrEmpty => {
                parse_quote! { 200..=299 => { ResponseValue::from_response(response).await } }
            }
            Self::Empty => parse_quote! { 200..=299 => { Ok(ResponseValue::empty(response)) } },
            Self::Stream => parse_quote! { 200..=299 => { Ok(ResponseValue::stream(response)) } },
            Self::Upgrade => parse_quote! { 101u16 => { ResponseValue::upgrade(response).await } },
        };
        let block: syn::Block = parse_quote! {{
            client.pre(&mut request, &info).await?;
            let result = client.exec(request, &info).await;
            client.post(&result, &info).await?;
            let response = result?;
            match response.status().as_u16() {
                #arm
                400u16..=499u16 => {
                    Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
                }
                500u16..=599u16 => {
                    Err(Error::ErrorResponse(ResponseValue::from_response(response).await?))
                }
                _ => Err(Error::UnexpectedResponse(response)),
            }
        }};
        block.stmts
    }

    /// What replaces that tail: one call of the runtime's exchange, then the
    /// runtime's reader of this kind of answer.
    fn shared_tail(self, protocol: Option<Protocol>) -> syn::Expr {
        let expect = expect_tokens(protocol);
        let exchange = quote::quote! {
            ::docker_engine_api_runtime::exchange(client, request, &info, #expect).await?
        };
        match self {
            Self::Json => parse_quote! { ::docker_engine_api_runtime::read_json(#exchange).await },
            Self::JsonOrEmpty => {
                parse_quote! { ::docker_engine_api_runtime::read_json_or_empty(#exchange).await }
            }
            Self::Empty => parse_quote! { Ok(::docker_engine_api_runtime::read_empty(#exchange)) },
            Self::Stream => {
                parse_quote! { Ok(::docker_engine_api_runtime::read_stream(#exchange)) }
            }
            Self::Upgrade => {
                parse_quote! { ::docker_engine_api_runtime::read_upgrade(#exchange).await }
            }
        }
    }
}

/// `Expect::Success`, or `Expect::Upgrade(Protocol::Tcp)` & co.
pub(super) fn expect_tokens(protocol: Option<Protocol>) -> proc_macro2::TokenStream {
    match protocol {
        None => quote::quote! { ::docker_engine_api_runtime::Expect::Success },
        Some(p) => {
            let variant = format_ident!("{}", format!("{p:?}"));
            quote::quote! {
                ::docker_engine_api_runtime::Expect::Upgrade(::docker_engine_api_runtime::Protocol::#variant)
            }
        }
    }
}

pub(super) const ERRORS_PRINT_LIKE_DOCKER: CodeRule = CodeRule {
    name: "errors_print_like_docker",
    cause: Cause::Policy,
    why: "progenitor's `Error` prints an error answer as its status, its whole \
          header map and the `Debug` of its body; that is what `?` into \
          `Box<dyn Error>` or `anyhow` showed a user of a generated call. The \
          crate's `Error` is the runtime's instead (same variants, so \
          `Error::InvalidRequest` and matches read the same), which prints \
          `No such container: x (HTTP 404)` like the facade and the Docker CLI \
          and whose `Debug` holds no header. Reports the re-export it replaced.",
    reference: "progenitor-client 0.15.1 `impl Display for Error` (`Error Response: \
                status: …; headers: …`); crates/docker-engine-api-runtime/src/error.rs; \
                issue 15 (less ceremony)",
    apply: errors_print_like_docker,
};

/// `pub use progenitor_client::{…, Error, …};` loses `Error`, and
/// `pub use ::docker_engine_api_runtime::Error;` follows it.
fn errors_print_like_docker(file: &mut File, _: &Input) -> Result<Vec<String>, String> {
    let mut replaced = Vec::new();
    let mut at = None;
    for (i, item) in file.items.iter_mut().enumerate() {
        let Item::Use(u) = item else { continue };
        if !matches!(u.vis, syn::Visibility::Public(_)) {
            continue;
        }
        let syn::UseTree::Path(path) = &mut u.tree else {
            continue;
        };
        if path.ident != "progenitor_client" {
            continue;
        }
        let syn::UseTree::Group(group) = &mut *path.tree else {
            continue;
        };
        let before = group.items.len();
        group.items = std::mem::take(&mut group.items)
            .into_iter()
            .filter(|t| !matches!(t, syn::UseTree::Name(n) if n.ident == "Error"))
            .collect();
        if group.items.len() < before {
            replaced.push("progenitor_client::Error".to_string());
            at = Some(i + 1);
        }
    }
    let Some(at) = at else {
        return Err(
            "progenitor's output no longer re-exports `progenitor_client::Error` \
                    (did progenitor change?)"
                .into(),
        );
    };
    file.items.insert(
        at,
        parse_quote! {
            /// The error of every operation: Docker's message and the status
            /// in `Display` (`No such container: x (HTTP 404)`).
            pub use ::docker_engine_api_runtime::Error;
        },
    );
    Ok(replaced)
}

pub(super) const ONE_EXCHANGE: CodeRule = CodeRule {
    name: "one_exchange",
    cause: Cause::Policy,
    why: "progenitor writes the same exchange into every operation's `send` (run \
          the hooks, send, check the status, decode the error body): 107 copies of \
          one async state machine, a fifth of a crate's build time, never compiled \
          or tested on its own. Each `send` now builds its request and calls the \
          runtime crate's one `exchange` (which also reads non-JSON error bodies \
          and bounds them), then the runtime's reader of its kind of answer (for an array or map answer \
          that `null_body_is_empty` recorded, the reader that takes `null` for \
          the empty one). A \
          `send` whose tail is not exactly one of progenitor's four known shapes \
          is an error: a change in progenitor must be looked at, neither rewritten \
          blindly nor left with its own copy. Reports the builders rewritten.",
    reference: "progenitor-impl 0.15.1 src/method.rs (the `send` body of the builder \
                interface); README, One exchange, not 107; crates/docker-engine-api-runtime",
    apply: one_exchange,
};

fn one_exchange(file: &mut File, input: &Input) -> Result<Vec<String>, String> {
    let Some(ops) = module_mut(&mut file.items, "builder") else {
        return Ok(Vec::new());
    };
    let tails: Vec<(Success, String)> = Success::ALL
        .into_iter()
        .map(|kind| (kind, tokens_of(&kind.progenitor_tail())))
        .collect();
    let mut replaced = Vec::new();
    for item in ops.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let Some(builder) = impl_self_name(imp) else {
            continue;
        };
        for member in imp.items.iter_mut() {
            let syn::ImplItem::Fn(f) = member else {
                continue;
            };
            if f.sig.ident != "send" {
                continue;
            }
            let stmts = &mut f.block.stmts;
            let known = stmts.iter().position(is_pre_hook_call).and_then(|start| {
                let tail = tokens_of(&stmts[start..]);
                let (kind, _) = tails.iter().find(|(_, t)| *t == tail)?;
                Some((start, *kind))
            });
            let Some((start, kind)) = known else {
                return Err(format!(
                    "the `send` of builder {builder} does not end in one of \
                     progenitor's four known exchanges (did progenitor change?)"
                ));
            };
            let protocol = match kind {
                Success::Upgrade => {
                    Some(input.switches.get(&builder).copied().ok_or_else(|| {
                        format!(
                            "builder {builder} answers 101 but no rule recorded \
                         the protocol it switches to"
                        )
                    })?)
                }
                _ => None,
            };
            // What the document rules recorded: a `null` array or map answer.
            let kind = match kind {
                Success::Json if input.null_bodies.contains(&builder) => Success::JsonOrEmpty,
                kind => kind,
            };
            stmts.truncate(start);
            stmts.push(syn::Stmt::Expr(kind.shared_tail(protocol), None));
            replaced.push(builder.clone());
        }
    }
    Ok(replaced)
}

/// `client.pre(&mut request, &info).await?;`
fn is_pre_hook_call(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(syn::Expr::Try(t), Some(_)) = stmt else {
        return false;
    };
    let syn::Expr::Await(a) = &*t.expr else {
        return false;
    };
    matches!(&*a.base, syn::Expr::MethodCall(m) if m.method == "pre")
}

pub(super) const OPEN_ENUMS: CodeRule = CodeRule {
    name: "open_enums",
    cause: Cause::Policy,
    why: "typify's string enums are closed, so one value the spec does not list \
          fails the whole response, and Docker adds values all the time (bollard \
          had to add Podman's `stopping`, swarm's `rollback_*`). Every string enum \
          gets an `Other(String)` variant, tried last by serde \
          (`#[serde(untagged)]`), which keeps the value verbatim and serialises it \
          back unchanged. `Copy` goes (a String is not Copy); `FromStr` becomes \
          infallible; `as_str` gives the wire value; the impls stand right after \
          the enum. The variant typify names `X` for the empty string becomes \
          `Empty`. Reports the enums opened.",
    reference: "ARCHITECTURE.md, Decoding never fails on what daemons send; typify 0.8.0 \
                src/enums.rs (unit variants only, no catch-all)",
    apply: open_enums,
};

fn open_enums(file: &mut File, _: &Input) -> Result<Vec<String>, String> {
    let Some(types) = module_mut(&mut file.items, "types") else {
        return Ok(Vec::new());
    };
    let mut opened = Vec::new();
    for item in types.iter_mut() {
        if let Item::Enum(e) = item
            && let Some(values) = open_enum(e)
        {
            opened.push((e.ident.clone(), values));
        }
    }
    let names: BTreeSet<String> = opened.iter().map(|(i, _)| i.to_string()).collect();
    // typify's conversions for these enums are replaced below.
    types.retain(|item| match item {
        Item::Impl(imp) => {
            let ours = impl_self_name(imp).is_some_and(|n| names.contains(&n));
            let replaced = matches!(
                impl_trait_name(imp).as_deref(),
                Some("Display" | "FromStr" | "TryFrom")
            );
            !(ours && replaced)
        }
        _ => true,
    });
    let mut rename = RenameEmptyVariant { enums: &names };
    for item in types.iter_mut() {
        rename.visit_item_mut(item);
    }
    // Each enum's impls right after it.
    let mut impls: std::collections::BTreeMap<String, Vec<Item>> = opened
        .iter()
        .map(|(ident, values)| (ident.to_string(), enum_impls(ident, values)))
        .collect();
    let items = std::mem::take(types);
    for item in items {
        let name = match &item {
            Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        };
        types.push(item);
        if let Some(extra) = name.and_then(|n| impls.remove(&n)) {
            types.extend(extra);
        }
    }
    Ok(names.into_iter().collect())
}

/// Adds the `Other` variant to a string enum; returns `(variant, wire value)`
/// pairs, or `None` when the enum is not a plain string enum.
fn open_enum(e: &mut ItemEnum) -> Option<Vec<(syn::Ident, String)>> {
    let mut values = Vec::new();
    for v in &e.variants {
        if !matches!(v.fields, Fields::Unit) {
            return None;
        }
        let wire = serde_rename(&v.attrs).unwrap_or_else(|| v.ident.to_string());
        values.push((v.ident.clone(), wire));
    }
    if values.is_empty() || values.iter().any(|(i, _)| i == "Other") {
        return None;
    }
    for v in e.variants.iter_mut() {
        if serde_rename(&v.attrs).as_deref() == Some("") && v.ident == "X" {
            v.ident = format_ident!("Empty");
        }
    }
    for (ident, wire) in values.iter_mut() {
        if wire.is_empty() && *ident == "X" {
            *ident = format_ident!("Empty");
        }
    }
    e.variants.push(parse_quote! {
        /// A value this version of the API does not list, kept verbatim.
        #[serde(untagged)]
        Other(::std::string::String)
    });
    remove_derive(&mut e.attrs, "Copy");
    Some(values)
}

/// `Enum::X` → `Enum::Empty` wherever typify referred to the renamed variant
/// (defaults, `Default` impls).
struct RenameEmptyVariant<'a> {
    enums: &'a BTreeSet<String>,
}

impl VisitMut for RenameEmptyVariant<'_> {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        let n = path.segments.len();
        if n >= 2
            && path.segments[n - 1].ident == "X"
            && self.enums.contains(&path.segments[n - 2].ident.to_string())
        {
            path.segments[n - 1].ident = syn::Ident::new("Empty", Span::call_site());
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

fn enum_impls(ident: &syn::Ident, values: &[(syn::Ident, String)]) -> Vec<Item> {
    let variants: Vec<_> = values.iter().map(|(v, _)| v).collect();
    let wires: Vec<_> = values.iter().map(|(_, w)| w).collect();
    let file: File = parse_quote! {
        impl #ident {
            /// The value as Docker writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #wires, )*
                    Self::Other(value) => value.as_str(),
                }
            }
        }
        impl ::std::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::std::str::FromStr for #ident {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(match value {
                    #( #wires => Self::#variants, )*
                    other => Self::Other(other.to_owned()),
                })
            }
        }
    };
    file.items
}
