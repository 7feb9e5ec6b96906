//! Lookup tables over one [`ApiModel`]: types by name, the display path of
//! every type (inline types at their full JSON path), the types each type
//! refers to, and each operation's `$ref` closure.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::model::{ApiModel, Operation, Origin, RustType, TypeDef, TypeKind};

/// Where a type appears inside another: the model types it names, each with
/// the suffix its containers add to a path (`[]` for a list item, `{}` for a
/// map value).
fn type_links<'t>(ty: &'t RustType, suffix: &str, out: &mut Vec<(&'t str, String)>) {
    match ty {
        RustType::Option(t) | RustType::Box(t) => type_links(t, suffix, out),
        RustType::Vec(t) => type_links(t, &format!("{suffix}[]"), out),
        RustType::Map(_, v) => type_links(v, &format!("{suffix}{{}}"), out),
        RustType::Named(name) => out.push((name.as_str(), suffix.to_string())),
        _ => {}
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
        for t in &model.types {
            let mut out = Vec::new();
            let parsed: Vec<(String, &RustType)> = match t.kind {
                TypeKind::Struct => t
                    .fields
                    .iter()
                    .map(|f| (segment(&f.json_name), &f.rust_type))
                    .collect(),
                TypeKind::Newtype | TypeKind::Alias => {
                    t.inner.iter().map(|i| (String::new(), i)).collect()
                }
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

        let by_id: BTreeMap<&str, &Operation> = model
            .operations
            .iter()
            .map(|op| (op.operation_id.as_str(), op))
            .collect();
        let closures = model
            .reachable_types()
            .into_iter()
            .map(|(id, reached)| (op_key(by_id[id]), reached))
            .collect();

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
    fn links_carry_the_path_suffix_of_their_containers() {
        let ty = RustType::option(RustType::map(
            RustType::String,
            RustType::option(RustType::vec(RustType::named("PortBinding"))),
        ));
        let mut out = Vec::new();
        type_links(&ty, "", &mut out);
        assert_eq!(out, [("PortBinding", "{}[]".to_string())]);
        assert_eq!(segment("os.features"), "[\"os.features\"]");
    }
}
