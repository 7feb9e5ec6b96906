//! Code rules: rewrites of progenitor's output (the syntax tree, never
//! text) for what neither progenitor nor typify has a setting for. Each is a
//! named [`CodeRule`] in the file of its cause
//! ([`Cause`](crate::rules::Cause)): `generator_limits.rs`, `policy.rs`
//! (the spec's own bugs are repaired in the document, by
//! [`crate::fixups`]). They share the frame of [`crate::rules`].
//!
//! A code rule returns what it changed; one that meets code it does not know
//! fails with a message naming it, instead of leaving the code as it is.

mod generator_limits;
mod policy;

use std::collections::{BTreeMap, BTreeSet};

use syn::{File, Item, ItemImpl, ItemMod, parse_quote};

use crate::Protocol;
use crate::fixups::Stream;

/// A code rule: rewrites the generated file and returns what it changed, or
/// why it could not.
pub type CodeRule = crate::rules::Rule<fn(&mut File, &Input) -> Result<Vec<String>, String>>;

/// Every code rule, in the order it runs.
pub const RULES: &[CodeRule] = &[
    policy::LEAN_BUILDERS,
    generator_limits::OPTIONAL_RAW_BODIES_START_EMPTY,
    generator_limits::ACRONYMS_STAY_WORDS,
    policy::OPEN_ENUMS,
    policy::ONE_EXCHANGE,
    policy::ERRORS_PRINT_LIKE_DOCKER,
    generator_limits::UPGRADE_BESIDE_SEND,
    generator_limits::CLIPPY_CLEAN,
];

/// Applies every rule, in order; returns what each changed, by rule name.
pub fn apply(file: &mut File, input: &Input) -> Result<crate::rules::Applied, String> {
    let mut applied = crate::rules::Applied::new();
    for rule in RULES {
        let touched = (rule.apply)(file, input).map_err(|e| format!("rule {}: {e}", rule.name))?;
        applied.insert(rule.name.to_string(), touched);
    }
    Ok(applied)
}

/// What the rules need to know about the document the code came from.
#[derive(Debug, Default)]
pub struct Input {
    /// Operation builders (`ImageCreate`) whose raw body the spec makes optional.
    pub(super) optional_raw_bodies: BTreeSet<String>,
    /// Operation builders whose `send` switches protocols, and to which.
    pub(super) switches: BTreeMap<String, Protocol>,
    /// Operation builders that can also switch protocols when asked.
    pub(super) upgrades: BTreeMap<String, Protocol>,
    /// Operation builders whose `null` JSON answer is the empty collection.
    pub(super) null_bodies: BTreeSet<String>,
}

impl Input {
    pub fn from_openapi(doc: &serde_json::Value) -> Self {
        let mut optional_raw_bodies = BTreeSet::new();
        let mut switches = BTreeMap::new();
        let mut upgrades = BTreeMap::new();
        let mut null_bodies = BTreeSet::new();
        for op in crate::fixups::openapi_operations(doc) {
            let builder = op
                .get("operationId")
                .and_then(|i| i.as_str())
                .map(heck::ToUpperCamelCase::to_upper_camel_case);
            let value = serde_json::Value::Object(op.clone());
            if let (Some(b), Some(Stream::Upgrade { protocol })) =
                (&builder, crate::fixups::recorded_stream(&value))
            {
                switches.insert(b.clone(), protocol);
            }
            if let (Some(b), Some(protocol)) = (&builder, crate::fixups::recorded_upgrade(&value)) {
                upgrades.insert(b.clone(), protocol);
            }
            if let (Some(b), true) = (&builder, crate::fixups::recorded_null_body(&value)) {
                null_bodies.insert(b.clone());
            }
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
            switches,
            upgrades,
            null_bodies,
        }
    }
}

pub(super) fn module_mut<'a>(items: &'a mut [Item], name: &str) -> Option<&'a mut Vec<Item>> {
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
pub(super) fn impl_self_name(imp: &ItemImpl) -> Option<String> {
    match &*imp.self_ty {
        syn::Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().map(|s| s.ident.to_string())
        }
        _ => None,
    }
}

/// The segments of a path as names: `types::Foo` → `["types", "Foo"]`.
pub(super) fn path_names(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

pub(super) fn impl_trait_name(imp: &ItemImpl) -> Option<String> {
    imp.trait_
        .as_ref()
        .and_then(|(path, _)| path.segments.last())
        .map(|s| s.ident.to_string())
}

pub(super) fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
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

pub(super) fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
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

pub(super) fn remove_derive(attrs: &mut [syn::Attribute], name: &str) {
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

pub(super) fn tokens_of(stmts: &[syn::Stmt]) -> String {
    use quote::ToTokens;
    let mut tokens = proc_macro2::TokenStream::new();
    for s in stmts {
        s.to_tokens(&mut tokens);
    }
    tokens.to_string()
}
