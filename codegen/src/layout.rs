//! Where each generated item goes: progenitor's one file split into modules
//! by API tag, one file each, so that a generated crate reads like a
//! hand-written one.
//!
//! - `src/types/<module>.rs`: the types of one tag (`containers`, `images`,
//!   …), each followed by its impls; `types/mod.rs` re-exports them all, so
//!   `types::ContainerSummary` is the one path of every type.
//! - `src/builder/<module>.rs`: the operations of one tag: their methods on
//!   `Client` and their builders; `builder/mod.rs` re-exports the builders.
//! - `src/lib.rs`: the client, the hooks, `stream_items`.
//!
//! A type goes to the tag its name starts with (`ContainerConfig`:
//! containers), else to the tag of the first operation, in spec order, that
//! reaches it; a type every operation reaches (the error body) or none does
//! goes to `common`.

use std::collections::BTreeMap;

use syn::visit_mut::VisitMut;
use syn::{File, Item, ItemImpl, parse_quote};

use crate::model::ApiModel;

/// A module of its own for the types no one tag owns.
pub const COMMON: &str = "common";

/// The module of an operation tag (`Container` → `containers`).
pub fn module_of_tag(tag: &str) -> String {
    const MODULES: &[(&str, &str)] = &[
        ("Config", "configs"),
        ("Container", "containers"),
        ("Distribution", "distribution"),
        ("Exec", "exec"),
        ("Image", "images"),
        ("Network", "networks"),
        ("Node", "nodes"),
        ("Plugin", "plugins"),
        ("Secret", "secrets"),
        ("Service", "services"),
        ("Session", "session"),
        ("Swarm", "swarm"),
        ("System", "system"),
        ("Task", "tasks"),
        ("Volume", "volumes"),
    ];
    MODULES.iter().find(|(t, _)| *t == tag).map_or_else(
        || heck::ToSnakeCase::to_snake_case(tag),
        |(_, m)| m.to_string(),
    )
}

/// The module of every operation's builder (`ContainerList`) and of every
/// type, by name.
#[derive(Debug, Default)]
pub struct Modules {
    /// Builder or method name → module.
    pub operations: BTreeMap<String, String>,
    pub types: BTreeMap<String, String>,
}

impl Modules {
    pub fn of(model: &ApiModel) -> Self {
        let mut operations = BTreeMap::new();
        let mut tags: Vec<&str> = Vec::new();
        for op in &model.operations {
            let tag = op.tag.as_deref().unwrap_or("Other");
            if !tags.contains(&tag) {
                tags.push(tag);
            }
            let module = module_of_tag(tag);
            let builder = heck::ToUpperCamelCase::to_upper_camel_case(op.operation_id.as_str());
            operations.insert(builder, module.clone());
            operations.insert(op.rust_method.clone(), module);
        }
        let reached = model.reachable_types();
        let mut types = BTreeMap::new();
        for t in &model.types {
            let by_name = tags
                .iter()
                .filter(|tag| starts_with_word(&t.name, tag))
                .max_by_key(|tag| tag.len());
            let reaching: Vec<&crate::model::Operation> = model
                .operations
                .iter()
                .filter(|op| reached[op.operation_id.as_str()].contains(t.name.as_str()))
                .collect();
            let module = match (by_name, reaching.first()) {
                (Some(tag), _) => module_of_tag(tag),
                (None, Some(_)) if reaching.len() == model.operations.len() => COMMON.to_string(),
                (None, Some(op)) => module_of_tag(op.tag.as_deref().unwrap_or("Other")),
                (None, None) => COMMON.to_string(),
            };
            types.insert(t.name.clone(), module);
        }
        Self { operations, types }
    }
}

/// `ContainerConfig` starts with the word `Container`; `Configs` does not
/// start with `Config` as a word of its own unless what follows is a new word.
fn starts_with_word(name: &str, word: &str) -> bool {
    name.strip_prefix(word)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// The generated file's items, sorted into files.
#[derive(Debug, Default)]
pub struct Split {
    /// What stays in `lib.rs`.
    pub root: Vec<Item>,
    /// Items of `types/mod.rs` (its inline `defaults`, `error` modules).
    pub types_root: Vec<Item>,
    /// Module → items of `types/<module>.rs`.
    pub types: BTreeMap<String, Vec<Item>>,
    /// Module → items of `builder/<module>.rs`.
    pub builders: BTreeMap<String, Vec<Item>>,
    /// The `use` items every builder file needs.
    pub builder_uses: Vec<Item>,
}

/// Sorts progenitor's items (after the rules) into modules.
pub fn split(file: File, modules: &Modules) -> Result<Split, String> {
    let mut out = Split::default();
    for item in file.items {
        match item {
            Item::Mod(m) if m.ident == "types" => {
                let (_, items) = m.content.ok_or("`types` has no items")?;
                for item in items {
                    match &item {
                        Item::Mod(_) | Item::Use(_) => out.types_root.push(item),
                        _ => {
                            let module = item_module(&item, &modules.types).ok_or_else(|| {
                                format!("no module for an item of `types`: {}", describe(&item))
                            })?;
                            out.types.entry(module).or_default().push(item);
                        }
                    }
                }
            }
            Item::Mod(m) if m.ident == "builder" => {
                let (_, items) = m.content.ok_or("`builder` has no items")?;
                for mut item in items {
                    SuperIsCrate.visit_item_mut(&mut item);
                    if let Item::Use(_) = item {
                        out.builder_uses.push(item);
                        continue;
                    }
                    let module = item_module(&item, &modules.operations).ok_or_else(|| {
                        format!("no module for an item of `builder`: {}", describe(&item))
                    })?;
                    out.builders.entry(module).or_default().push(item);
                }
            }
            Item::Impl(imp) if is_operations_impl(&imp) => {
                let mut by_module: BTreeMap<String, Vec<syn::ImplItem>> = BTreeMap::new();
                for mut member in imp.items {
                    LocalBuilders.visit_impl_item_mut(&mut member);
                    let syn::ImplItem::Fn(f) = &member else {
                        return Err("an `impl Client` member that is no method".into());
                    };
                    let method = f.sig.ident.to_string();
                    let module = modules
                        .operations
                        .get(&method)
                        .ok_or_else(|| format!("method `{method}` belongs to no operation"))?;
                    by_module.entry(module.clone()).or_default().push(member);
                }
                for (module, members) in by_module {
                    let block: ItemImpl = parse_quote! {
                        impl crate::Client {
                            #(#members)*
                        }
                    };
                    // The methods come before the builders they return.
                    out.builders
                        .entry(module)
                        .or_default()
                        .insert(0, Item::Impl(block));
                }
            }
            other => out.root.push(other),
        }
    }
    Ok(out)
}

/// An `impl Client` of operation methods (not `new`, not a trait impl).
fn is_operations_impl(imp: &ItemImpl) -> bool {
    let is_client = matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"));
    is_client
        && imp.trait_.is_none()
        && !imp
            .items
            .iter()
            .any(|i| matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "new"))
}

/// The module of a type or impl: that of the first crate name it is about
/// (an impl's own type first, then its trait's arguments).
fn item_module(item: &Item, modules: &BTreeMap<String, String>) -> Option<String> {
    let names: Vec<String> = match item {
        Item::Struct(s) => vec![s.ident.to_string()],
        Item::Enum(e) => vec![e.ident.to_string()],
        Item::Type(t) => vec![t.ident.to_string()],
        Item::Impl(imp) => {
            let mut names = Vec::new();
            syn::visit::Visit::visit_type(&mut CollectIdents(&mut names), &imp.self_ty);
            if let Some((path, _)) = &imp.trait_ {
                syn::visit::Visit::visit_path(&mut CollectIdents(&mut names), path);
            }
            names
        }
        _ => Vec::new(),
    };
    names.iter().find_map(|n| modules.get(n).cloned())
}

/// Every identifier, in the order it is written.
struct CollectIdents<'a>(&'a mut Vec<String>);

impl syn::visit::Visit<'_> for CollectIdents<'_> {
    fn visit_ident(&mut self, ident: &proc_macro2::Ident) {
        self.0.push(ident.to_string());
    }
}

fn describe(item: &Item) -> String {
    let tokens = quote::quote!(#item).to_string();
    tokens.chars().take(80).collect()
}

/// `builder::ContainerList` → `ContainerList`: the methods move into the
/// module of their builders.
struct LocalBuilders;

impl VisitMut for LocalBuilders {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if path.leading_colon.is_none()
            && path.segments.len() >= 2
            && path.segments[0].ident == "builder"
        {
            path.segments = path.segments.iter().skip(1).cloned().collect();
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// `super::Client` → `crate::Client`: builder items move one module down
/// (in paths and in the targets of doc links).
struct SuperIsCrate;

impl VisitMut for SuperIsCrate {
    fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
        let is_doc = attr.path().is_ident("doc");
        if let syn::Meta::NameValue(nv) = &mut attr.meta
            && is_doc
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = &nv.value
            && text.value().contains("super::")
        {
            let fixed = text.value().replace("super::", "crate::");
            nv.value = parse_quote!(#fixed);
        }
    }

    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if let Some(first) = path.segments.first_mut()
            && first.ident == "super"
        {
            first.ident = syn::Ident::new("crate", first.ident.span());
        }
        syn::visit_mut::visit_path_mut(self, path);
    }

    fn visit_use_tree_mut(&mut self, tree: &mut syn::UseTree) {
        if let syn::UseTree::Path(p) = tree
            && p.ident == "super"
        {
            p.ident = syn::Ident::new("crate", p.ident.span());
        }
        syn::visit_mut::visit_use_tree_mut(self, tree);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_modules_and_names_start_with_tags() {
        assert_eq!(module_of_tag("Container"), "containers");
        assert_eq!(module_of_tag("Exec"), "exec");
        assert_eq!(module_of_tag("NewThing"), "new_thing");
        assert!(starts_with_word("ContainerConfig", "Container"));
        assert!(starts_with_word("Config", "Config"));
        assert!(!starts_with_word("ContainerConfig", "Config"));
        assert!(!starts_with_word("Configs", "Config"));
    }
}
