//! Code-level rules applied to progenitor's output, for what neither progenitor
//! nor typify has a setting for. Like [`crate::fixups`], each rule is named and
//! says why it exists; each runs on the syntax tree, never on text.

use std::collections::BTreeSet;

use proc_macro2::Span;
use quote::format_ident;
use syn::visit_mut::VisitMut;
use syn::{Fields, File, Item, ItemEnum, ItemImpl, ItemMod, parse_quote};

/// What the rules need to know about the document the code came from.
#[derive(Debug, Default)]
pub struct Input {
    /// Operation builders (`ImageCreate`) whose raw body the spec makes optional.
    optional_raw_bodies: BTreeSet<String>,
}

impl Input {
    pub fn from_openapi(doc: &serde_json::Value) -> Self {
        let mut optional_raw_bodies = BTreeSet::new();
        for op in crate::fixups::openapi_operations(doc) {
            let Some(body) = op.get("requestBody") else {
                continue;
            };
            let required = body.get("required").and_then(serde_json::Value::as_bool) == Some(true);
            let raw = body.pointer("/content/application~1octet-stream").is_some();
            if let (false, true, Some(id)) = (
                required,
                raw,
                op.get("operationId").and_then(|i| i.as_str()),
            ) {
                optional_raw_bodies.insert(heck::ToUpperCamelCase::to_upper_camel_case(id));
            }
        }
        Self {
            optional_raw_bodies,
        }
    }
}

/// Applies every rule, in order.
pub fn apply(file: &mut File, input: &Input) {
    lean_builders(file);
    optional_raw_bodies_start_empty(file, input);
    open_enums(file);
    one_exchange(file);
}

/// Rule `optional_raw_bodies_start_empty`: progenitor makes every request body
/// required, so pulling an image (ImageCreate without `fromSrc=-`) or building
/// from a remote context would need a dummy `.body(..)`. Where the spec says
/// the body is optional, the operation builder starts with an empty one.
fn optional_raw_bodies_start_empty(file: &mut File, input: &Input) {
    let Some(ops) = module_mut(&mut file.items, "builder") else {
        return;
    };
    for item in ops.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let Some(name) = impl_self_name(imp) else {
            continue;
        };
        if imp.trait_.is_none() && input.optional_raw_bodies.contains(&name) {
            EmptyBody.visit_item_impl_mut(imp);
        }
    }
}

/// In an operation builder's `new`, `body: Err(..)` → an empty body.
struct EmptyBody;

impl VisitMut for EmptyBody {
    fn visit_field_value_mut(&mut self, fv: &mut syn::FieldValue) {
        if matches!(&fv.member, syn::Member::Named(i) if i == "body") {
            fv.expr = parse_quote! { Ok(::reqwest::Body::from(::std::vec::Vec::<u8>::new())) };
        }
    }
}

fn module_mut<'a>(items: &'a mut [Item], name: &str) -> Option<&'a mut Vec<Item>> {
    items.iter_mut().find_map(|item| match item {
        Item::Mod(ItemMod {
            ident,
            content: Some((_, items)),
            ..
        }) if ident == name => Some(items),
        _ => None,
    })
}

/// The type an `impl` block is for, when it is a plain name (`impl Foo`, `impl X for Foo`).
fn impl_self_name(imp: &ItemImpl) -> Option<String> {
    match &*imp.self_ty {
        syn::Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().map(|s| s.ident.to_string())
        }
        _ => None,
    }
}

fn impl_trait_name(imp: &ItemImpl) -> Option<String> {
    imp.trait_
        .as_ref()
        .and_then(|(path, _)| path.segments.last())
        .map(|s| s.ident.to_string())
}

// ---------------------------------------------------------------------------
// lean_builders
// ---------------------------------------------------------------------------

/// Rule `lean_builders`: progenitor's builder interface turns on typify's
/// struct builders (`types::builder::*`, a second, fallible copy of every
/// struct) and stores request bodies in them. They are half of the generated
/// code and a third of its build time, and plain struct literals with
/// `..Default::default()` do the same job. We drop them: operation builders
/// store the body type itself, `body_map` goes, and a body whose type has no
/// `Default` starts unset (`send` reports it) instead of half-built.
fn lean_builders(file: &mut File) {
    let Some(types) = module_mut(&mut file.items, "types") else {
        return;
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
    types.retain(|item| match item {
        Item::Mod(m) => m.ident != "builder",
        Item::Impl(imp) => !is_builder_constructor(imp),
        _ => true,
    });
    // Struct builders also provide `From<Builder>`/`TryFrom<Builder>`; they
    // lived in the removed module, so nothing else refers to them.

    let Some(ops) = module_mut(&mut file.items, "builder") else {
        return;
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
}

fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|paths| {
                paths
                    .iter()
                    .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
            })
    })
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
    let segs: Vec<_> = inner
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    match segs.as_slice() {
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

// ---------------------------------------------------------------------------
// one_exchange
// ---------------------------------------------------------------------------

/// How an operation's `send` reads a successful response.
#[derive(Debug, Clone, Copy)]
enum Success {
    /// `200..=299`, a JSON body.
    Json,
    /// `200..=299`, no body.
    Empty,
    /// `200..=299`, the body as a byte stream.
    Stream,
    /// `101`, the connection itself.
    Upgrade,
}

impl Success {
    /// The statements progenitor writes for this kind after `client.pre(..)`.
    fn progenitor_tail(self) -> Vec<syn::Stmt> {
        let arm: syn::Arm = match self {
            Self::Json => {
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

    /// What replaces that tail.
    fn shared_tail(self) -> syn::Expr {
        match self {
            Self::Json => parse_quote! {
                ResponseValue::from_response(super::exchange(client, request, &info, false).await?).await
            },
            Self::Empty => parse_quote! {
                Ok(ResponseValue::empty(super::exchange(client, request, &info, false).await?))
            },
            Self::Stream => parse_quote! {
                Ok(ResponseValue::stream(super::exchange(client, request, &info, false).await?))
            },
            Self::Upgrade => parse_quote! {
                ResponseValue::upgrade(super::exchange(client, request, &info, true).await?).await
            },
        }
    }
}

/// Rule `one_exchange`: progenitor writes the same exchange into every
/// operation's `send` (run the hooks, send, check the status, decode the
/// error body), so the crate held 107 copies of one async state machine, a
/// fifth of its build time. Each `send` now builds its request and calls one
/// shared `exchange`, then reads the success body its own way. A `send`
/// whose tail is not exactly one of progenitor's four known shapes is left as
/// it is (correct, only slower to build), so a change in progenitor cannot
/// make this rule produce wrong code.
fn one_exchange(file: &mut File) {
    let Some(ops) = module_mut(&mut file.items, "builder") else {
        return;
    };
    let tails: Vec<(Success, String)> = [
        Success::Json,
        Success::Empty,
        Success::Stream,
        Success::Upgrade,
    ]
    .into_iter()
    .map(|kind| (kind, tokens_of(&kind.progenitor_tail())))
    .collect();
    let mut replaced = 0;
    for item in ops.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        for member in imp.items.iter_mut() {
            let syn::ImplItem::Fn(f) = member else {
                continue;
            };
            if f.sig.ident != "send" {
                continue;
            }
            let stmts = &mut f.block.stmts;
            let Some(start) = stmts.iter().position(is_pre_hook_call) else {
                continue;
            };
            let tail = tokens_of(&stmts[start..]);
            if let Some((kind, _)) = tails.iter().find(|(_, t)| *t == tail) {
                stmts.truncate(start);
                stmts.push(syn::Stmt::Expr(kind.shared_tail(), None));
                replaced += 1;
            }
        }
    }
    if replaced > 0 {
        file.items.push(parse_quote! {
            /// The exchange every operation shares (codegen rule `one_exchange`):
            /// runs the client hooks, sends the request, and returns the response
            /// when its status is the operation's success (`101` for a protocol
            /// upgrade, `2xx` otherwise); a `4xx`/`5xx` becomes
            /// `Error::ErrorResponse` with Docker's message.
            async fn exchange(
                client: &Client,
                mut request: reqwest::Request,
                info: &OperationInfo,
                upgrade: bool,
            ) -> Result<reqwest::Response, Error<types::ErrorResponse>> {
                client.pre(&mut request, info).await?;
                let result = client.exec(request, info).await;
                client.post(&result, info).await?;
                let response = result?;
                match response.status().as_u16() {
                    101 if upgrade => Ok(response),
                    200..=299 if !upgrade => Ok(response),
                    400..=599 => Err(Error::ErrorResponse(
                        ResponseValue::from_response(response).await?,
                    )),
                    _ => Err(Error::UnexpectedResponse(response)),
                }
            }
        });
    }
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

fn tokens_of(stmts: &[syn::Stmt]) -> String {
    use quote::ToTokens;
    let mut tokens = proc_macro2::TokenStream::new();
    for s in stmts {
        s.to_tokens(&mut tokens);
    }
    tokens.to_string()
}

// ---------------------------------------------------------------------------
// open_enums
// ---------------------------------------------------------------------------

/// Rule `open_enums`: typify's string enums are closed, so one value the spec
/// does not list fails the whole response, and Docker adds values all the
/// time (bollard had to add Podman's `stopping`, swarm's `rollback_*`). Every
/// string enum gets an `Other(String)` variant, tried last by serde
/// (`#[serde(untagged)]`), which keeps the value verbatim and serialises it
/// back unchanged. `Copy` goes (a String is not Copy); `FromStr` becomes
/// infallible; `as_str` gives the wire value. The variant typify names `X` for
/// the empty string becomes `Empty`.
fn open_enums(file: &mut File) {
    let Some(types) = module_mut(&mut file.items, "types") else {
        return;
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
    for (ident, values) in opened {
        types.extend(enum_impls(&ident, &values));
    }
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

fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut rename = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                rename = Some(lit.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    rename
}

fn remove_derive(attrs: &mut [syn::Attribute], name: &str) {
    for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) else {
            continue;
        };
        let kept: Vec<_> = paths
            .into_iter()
            .filter(|p| p.segments.last().is_none_or(|s| s.ident != name))
            .collect();
        *attr = parse_quote! { #[derive(#(#kept),*)] };
    }
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
