//! Lookup tables over one [`ApiModel`]: types by name, the display path of
//! every type (inline types at their full JSON path), the types each type
//! refers to, and each operation's `$ref` closure.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::model::{ApiModel, Operation, Origin, TypeDef, TypeKind};

/// A parsed Rust type as the model renders it (`Option<Vec<Foo>>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    Path {
        name: String,
        args: Vec<Ty>,
    },
    /// Anything the small grammar below does not cover (`()`, arrays).
    Opaque(String),
}

/// Parses `Name<Arg, Arg<..>>`; anything else is [`Ty::Opaque`].
pub(crate) fn parse_type(s: &str) -> Ty {
    fn ident(s: &mut &str) -> String {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(s.len());
        let (id, rest) = s.split_at(end);
        *s = rest;
        id.to_string()
    }
    fn one(s: &mut &str) -> Option<Ty> {
        *s = s.trim_start();
        let name = ident(s);
        if name.is_empty() {
            return None;
        }
        *s = s.trim_start();
        let mut args = Vec::new();
        if let Some(rest) = s.strip_prefix('<') {
            *s = rest;
            loop {
                args.push(one(s)?);
                *s = s.trim_start();
                if let Some(rest) = s.strip_prefix(',') {
                    *s = rest;
                } else if let Some(rest) = s.strip_prefix('>') {
                    *s = rest;
                    break;
                } else {
                    return None;
                }
            }
        }
        Some(Ty::Path { name, args })
    }
    let mut rest = s;
    match one(&mut rest) {
        Some(ty) if rest.trim().is_empty() => ty,
        _ => Ty::Opaque(s.to_string()),
    }
}

/// The identifiers of a rendered type (`Option<Vec<Foo>>` → Option, Vec, Foo).
pub(crate) fn idents(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
}

/// Rewrites the identifiers of a rendered type through `map` (old type names
/// to their new names), keeping every other character.
pub(crate) fn rename_idents(s: &str, map: &BTreeMap<String, String>) -> String {
    if map.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if !token.is_empty() {
            out.push_str(map.get(token.as_str()).unwrap_or(token));
            token.clear();
        }
    };
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

/// `Option<T>` → `T`; anything else unchanged.
pub(crate) fn strip_option(s: &str) -> &str {
    s.strip_prefix("Option<")
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(s)
}

/// Where a type appears inside another: the model types it names, each with
/// the suffix its containers add to a path (`[]` for a list item, `{}` for a
/// map value).
fn type_links<'t>(ty: &'t Ty, suffix: &str, out: &mut Vec<(&'t str, String)>) {
    let Ty::Path { name, args } = ty else { return };
    match name.as_str() {
        "Option" | "Box" => {
            if let Some(a) = args.first() {
                type_links(a, suffix, out);
            }
        }
        "Vec" => {
            if let Some(a) = args.first() {
                type_links(a, &format!("{suffix}[]"), out);
            }
        }
        "HashMap" | "BTreeMap" | "Map" => {
            if let Some(a) = args.get(1) {
                type_links(a, &format!("{suffix}{{}}"), out);
            }
        }
        _ => {
            out.push((name.as_str(), suffix.to_string()));
            for a in args {
                type_links(a, suffix, out);
            }
        }
    }
}

/// A JSON name as a path segment (quoted when it holds a dot).
pub(crate) fn segment(json_name: &str) -> String {
    if json_name.contains(['.', ' ', '[', ']', '{', '}']) || json_name.is_empty() {
        format!("[{json_name:?}]")
    } else {
        format!(".{json_name}")
    }
}

/// `GET /containers/json`: how the diff names an operation.
pub(crate) fn op_key(op: &Operation) -> String {
    format!("{} {}", op.method, op.path)
}

/// Every model type an operation's signature names directly.
pub(crate) fn operation_type_strings(op: &Operation) -> Vec<&str> {
    let mut out: Vec<&str> = op.params.iter().map(|p| p.rust_type.as_str()).collect();
    if let Some(b) = &op.body {
        out.push(&b.rust_type);
    }
    out.push(&op.response.rust_type);
    if let Some(crate::model::Stream::JsonLines { item }) = &op.response.stream {
        out.push(item);
    }
    out
}

pub(crate) struct Index<'a> {
    pub types: BTreeMap<&'a str, &'a TypeDef>,
    /// Type name → display path (`ContainerSummary.Health`).
    pub paths: BTreeMap<&'a str, String>,
    /// Operation key → every model type reachable from its signature.
    pub closures: BTreeMap<String, BTreeSet<&'a str>>,
}

impl<'a> Index<'a> {
    pub fn new(model: &'a ApiModel) -> Self {
        let types: BTreeMap<&str, &TypeDef> =
            model.types.iter().map(|t| (t.name.as_str(), t)).collect();

        // Links: parent → (child, path suffix), in field order.
        let mut links: BTreeMap<&str, Vec<(&str, String)>> = BTreeMap::new();
        let mut refs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for t in &model.types {
            let mut out = Vec::new();
            let parsed: Vec<(String, Ty)> = match t.kind {
                TypeKind::Struct => t
                    .fields
                    .iter()
                    .map(|f| (segment(&f.json_name), parse_type(&f.rust_type)))
                    .collect(),
                TypeKind::Newtype | TypeKind::Alias => t
                    .inner
                    .iter()
                    .map(|i| (String::new(), parse_type(i)))
                    .collect(),
                TypeKind::Enum => Vec::new(),
            };
            for (seg, ty) in &parsed {
                let mut found = Vec::new();
                type_links(ty, "", &mut found);
                for (child, suffix) in found {
                    if let Some((&name, _)) = types.get_key_value(child) {
                        out.push((name, format!("{seg}{suffix}")));
                    }
                }
            }
            let mut r: BTreeSet<&str> = BTreeSet::new();
            let strings = t
                .fields
                .iter()
                .map(|f| f.rust_type.as_str())
                .chain(t.inner.as_deref());
            for s in strings {
                for id in idents(s) {
                    if let Some((&name, _)) = types.get_key_value(id) {
                        r.insert(name);
                    }
                }
            }
            refs.insert(&t.name, r);
            links.insert(&t.name, out);
        }

        // Paths: breadth first from the named (component / operation) types,
        // so an inline type gets its shortest path; an inline type no named
        // type reaches (a parameter's enum, a body) is a root of its own.
        let mut paths: BTreeMap<&str, String> = BTreeMap::new();
        let mut queue = VecDeque::new();
        for (&name, t) in &types {
            if t.origin != Origin::Inline {
                paths.insert(name, name.to_string());
                queue.push_back(name);
            }
        }
        loop {
            while let Some(parent) = queue.pop_front() {
                let base = paths[parent].clone();
                for (child, suffix) in links.get(parent).into_iter().flatten() {
                    if types[child].origin == Origin::Inline && !paths.contains_key(child) {
                        paths.insert(child, format!("{base}{suffix}"));
                        queue.push_back(child);
                    }
                }
            }
            match types.keys().find(|n| !paths.contains_key(*n)) {
                Some(&root) => {
                    paths.insert(root, root.to_string());
                    queue.push_back(root);
                }
                None => break,
            }
        }

        let mut closures = BTreeMap::new();
        for op in &model.operations {
            let mut seen: BTreeSet<&str> = BTreeSet::new();
            let mut stack: Vec<&str> = Vec::new();
            for s in operation_type_strings(op) {
                for id in idents(s) {
                    if let Some((&name, _)) = types.get_key_value(id) {
                        stack.push(name);
                    }
                }
            }
            while let Some(t) = stack.pop() {
                if seen.insert(t) {
                    stack.extend(refs.get(t).into_iter().flatten().copied());
                }
            }
            closures.insert(op_key(op), seen);
        }

        Self {
            types,
            paths,
            closures,
        }
    }

    pub fn path(&self, name: &str) -> String {
        self.paths
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_links_rendered_types() {
        let ty = parse_type("Option<HashMap<String, Option<Vec<PortBinding>>>>");
        let mut out = Vec::new();
        type_links(&ty, "", &mut out);
        assert!(out.contains(&("PortBinding", "{}[]".to_string())));
        assert_eq!(parse_type("()"), Ty::Opaque("()".into()));
        let map = BTreeMap::from([("Port".to_string(), "PortSummary".to_string())]);
        assert_eq!(
            rename_idents("Option<Vec<Port>>", &map),
            "Option<Vec<PortSummary>>"
        );
        assert_eq!(rename_idents("PortType", &map), "PortType");
        assert_eq!(strip_option("Option<Vec<u8>>"), "Vec<u8>");
        assert_eq!(segment("os.features"), "[\"os.features\"]");
    }
}
