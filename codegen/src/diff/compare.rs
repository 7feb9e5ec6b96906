//! Two API models in, the list of changes out.

use std::collections::{BTreeMap, BTreeSet};

use super::index::{Index, op_key, segment};
use super::{Change, ChangeKind};
use crate::model::{
    ApiModel, Body, Field, Operation, Origin, Param, Response, RustType, Stream, TypeDef, TypeKind,
};

/// Every change from `old` to `new`, sorted: operation-level changes first
/// (by path, then method), then type-level changes (by type path).
pub(crate) fn changes(old: &ApiModel, new: &ApiModel) -> Vec<Change> {
    let io = Index::new(old);
    let in_ = Index::new(new);
    let ops = match_operations(old, new);
    let types = match_types(&io, &in_, &ops);
    let mut d = Differ {
        io: &io,
        in_: &in_,
        renames: &types.renames,
        out: Vec::new(),
        pending: Vec::new(),
    };

    for pair in &ops {
        match pair {
            (Some(o), Some(n)) => d.operation(o, n),
            (None, Some(n)) => d.push(
                Change::new(ChangeKind::OperationAdded, false)
                    .op(n)
                    .rust(format!("Client::{}", n.rust_method)),
            ),
            (Some(o), None) => d.push(
                Change::new(ChangeKind::OperationRemoved, true)
                    .op(o)
                    .rust(format!("Client::{}", o.rust_method)),
            ),
            (None, None) => {}
        }
    }

    for (old_name, new_name) in &types.pairs {
        d.type_pair(io.types[old_name.as_str()], in_.types[new_name.as_str()]);
    }
    for name in io.types.keys().filter(|n| !types.pairs.contains_key(**n)) {
        let t = io.types[name];
        let change = Change::new(ChangeKind::TypeRemoved, true)
            .at(io.path(name))
            .rust(format!("types::{name}"))
            .values(Some(shape(t)), None);
        d.typed(change, Some(name), None);
    }
    let paired_new: BTreeSet<&str> = types.pairs.values().map(String::as_str).collect();
    for name in in_.types.keys().filter(|n| !paired_new.contains(**n)) {
        let t = in_.types[name];
        let change = Change::new(ChangeKind::TypeAdded, false)
            .at(in_.path(name))
            .rust(format!("types::{name}"))
            .values(None, Some(shape(t)));
        d.typed(change, None, Some(name));
    }

    // Type-level changes: the operations whose `$ref` closure reaches them.
    let mut display: BTreeMap<String, String> = BTreeMap::new();
    for pair in &ops {
        let shown = pair.1.or(pair.0).map(op_key).unwrap_or_default();
        for op in [pair.0, pair.1].into_iter().flatten() {
            display.insert(op_key(op), shown.clone());
        }
    }
    let Differ {
        mut out, pending, ..
    } = d;
    for (mut change, old_name, new_name) in pending {
        let mut reached: BTreeSet<String> = BTreeSet::new();
        for (index, name) in [(&io, old_name), (&in_, new_name)] {
            let Some(name) = name else { continue };
            for (op, closure) in &index.closures {
                if closure.contains(name.as_str()) {
                    reached.insert(display.get(op).cloned().unwrap_or_else(|| op.clone()));
                }
            }
        }
        let mut reached: Vec<String> = reached.into_iter().collect();
        reached.sort_by(|a, b| op_order(a).cmp(&op_order(b)));
        change.reached_by = reached;
        out.push(change);
    }
    out.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    out
}

/// `GET /x` sorts by path, then method.
pub(crate) fn op_order(key: &str) -> (&str, &str) {
    let (method, path) = key.split_once(' ').unwrap_or(("", key));
    (path, method)
}

type SortKey<'c> = (
    bool,
    (&'c str, &'c str),
    &'c str,
    Option<ChangeKind>,
    &'c str,
    ChangeKind,
    &'c str,
    &'c str,
);

/// Operation-level changes by operation, then kind; type-level ones by type
/// path, then JSON name (a field's changes together).
fn sort_key(c: &Change) -> SortKey<'_> {
    (
        c.operation.is_none(),
        op_order(c.operation.as_deref().unwrap_or("")),
        c.type_path.as_deref().unwrap_or(""),
        c.operation.is_some().then_some(c.kind),
        c.json_name.as_deref().unwrap_or(""),
        c.kind,
        c.old.as_deref().unwrap_or(""),
        c.new.as_deref().unwrap_or(""),
    )
}

/// `deprecated: …` for an item added already deprecated.
fn deprecated_note(c: Change, text: &Option<String>) -> Change {
    match text {
        Some(t) if t.to_lowercase().starts_with("deprecated") => c.note(t.clone()),
        Some(t) => c.note(format!("deprecated: {t}")),
        None => c,
    }
}

/// Operations paired by operationId, then (for a changed id) by method and
/// path; in the new model's order, removed ones after.
fn match_operations<'a>(
    old: &'a ApiModel,
    new: &'a ApiModel,
) -> Vec<(Option<&'a Operation>, Option<&'a Operation>)> {
    let by_id: BTreeMap<&str, &Operation> = old
        .operations
        .iter()
        .map(|o| (o.operation_id.as_str(), o))
        .collect();
    let new_ids: BTreeSet<&str> = new
        .operations
        .iter()
        .map(|o| o.operation_id.as_str())
        .collect();
    let mut used: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    for n in &new.operations {
        let o = by_id.get(n.operation_id.as_str()).copied().or_else(|| {
            old.operations.iter().find(|o| {
                o.method == n.method
                    && o.path == n.path
                    && !new_ids.contains(o.operation_id.as_str())
                    && !used.contains(o.operation_id.as_str())
            })
        });
        if let Some(o) = o {
            used.insert(&o.operation_id);
        }
        out.push((o, Some(n)));
    }
    for o in &old.operations {
        if !used.contains(o.operation_id.as_str()) {
            out.push((Some(o), None));
        }
    }
    out
}

struct TypeMatch {
    /// Old name → new name of every old type still there (same or new name).
    pairs: BTreeMap<String, String>,
    /// The pairs whose name changed.
    renames: BTreeMap<String, String>,
}

/// Pairs the types of the two models: by name, then a removed type with an
/// added one when their shapes are equal (fields, values, inner type, with
/// the renames found so far applied) or when one replaced the other at the
/// same place (a field, a parameter, a body, a response). Repeats until no
/// new pair is found, so nested renames are found inside out.
fn match_types(
    io: &Index<'_>,
    in_: &Index<'_>,
    ops: &[(Option<&Operation>, Option<&Operation>)],
) -> TypeMatch {
    let mut pairs: BTreeMap<String, String> = io
        .types
        .keys()
        .filter(|n| in_.types.contains_key(**n))
        .map(|n| (n.to_string(), n.to_string()))
        .collect();
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    let mut taken: BTreeSet<String> = pairs.values().cloned().collect();

    loop {
        let mut progress = false;
        let mut found: Vec<(String, String)> = Vec::new();

        // Equal shapes.
        let mut added_by_shape: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (&name, t) in &in_.types {
            if !taken.contains(name) && distinctive(t) {
                added_by_shape
                    .entry(signature(t, &BTreeMap::new()))
                    .or_default()
                    .push(name);
            }
        }
        for (&name, t) in &io.types {
            if pairs.contains_key(name) || !distinctive(t) {
                continue;
            }
            let Some(candidates) = added_by_shape.get_mut(&signature(t, &renames)) else {
                continue;
            };
            let best = candidates
                .iter()
                .enumerate()
                .max_by_key(|(_, c)| {
                    (
                        io.path(name) == in_.path(c),
                        similarity(name, c),
                        std::cmp::Reverse(**c),
                    )
                })
                .map(|(i, _)| i);
            if let Some(i) = best {
                let chosen = candidates.remove(i);
                found.push((name.to_string(), chosen.to_string()));
            }
        }
        for (o, n) in found {
            progress = true;
            taken.insert(n.clone());
            renames.insert(o.clone(), n.clone());
            pairs.insert(o, n);
        }

        // Same place.
        let mut places: Vec<(&RustType, &RustType)> = Vec::new();
        for (o, n) in ops
            .iter()
            .filter_map(|(o, n)| Some((o.as_ref()?, n.as_ref()?)))
        {
            for p in &o.params {
                if let Some(q) = n
                    .params
                    .iter()
                    .find(|q| q.location == p.location && q.name == p.name)
                {
                    places.push((&p.rust_type, &q.rust_type));
                }
            }
            if let (Some(a), Some(b)) = (&o.body, &n.body) {
                places.push((&a.rust_type, &b.rust_type));
            }
            places.push((&o.response.rust_type, &n.response.rust_type));
            if let (Some(Stream::JsonLines { item: a }), Some(Stream::JsonLines { item: b })) =
                (&o.response.stream, &n.response.stream)
            {
                places.push((a, b));
            }
        }
        for (o, n) in &pairs {
            let (a, b) = (io.types[o.as_str()], in_.types[n.as_str()]);
            if let (Some(x), Some(y)) = (&a.inner, &b.inner) {
                places.push((x, y));
            }
            for f in &a.fields {
                if let Some(g) = b.fields.iter().find(|g| g.json_name == f.json_name) {
                    places.push((&f.rust_type, &g.rust_type));
                }
            }
        }
        for (a, b) in places {
            let mut leaves = Vec::new();
            parallel_leaves(a, b, &mut leaves);
            for (x, y) in leaves {
                let (Some(tx), Some(ty)) = (io.types.get(x.as_str()), in_.types.get(y.as_str()))
                else {
                    continue;
                };
                if pairs.contains_key(&x) || taken.contains(&y) || tx.kind != ty.kind {
                    continue;
                }
                taken.insert(y.clone());
                renames.insert(x.clone(), y.clone());
                pairs.insert(x, y);
                progress = true;
            }
        }

        if !progress {
            break;
        }
    }
    TypeMatch { pairs, renames }
}

/// Crate type names that differ at the same position of two types.
fn parallel_leaves(a: &RustType, b: &RustType, out: &mut Vec<(String, String)>) {
    if let (RustType::Named(x), RustType::Named(y)) = (a, b) {
        if x != y {
            out.push((x.clone(), y.clone()));
        }
        return;
    }
    let (xa, ya) = (a.args(), b.args());
    if xa.len() == ya.len() {
        for (p, q) in xa.into_iter().zip(ya) {
            parallel_leaves(p, q, out);
        }
    }
}

/// Shapes too common to say two types are the same one (an empty struct, a
/// single-field struct, a one-value enum, a newtype of a standard type) are
/// only paired by place.
fn distinctive(t: &TypeDef) -> bool {
    match t.kind {
        TypeKind::Struct => t.fields.len() >= 2,
        TypeKind::Enum => t.values.len() >= 2,
        TypeKind::Newtype | TypeKind::Alias => false,
    }
}

fn signature(t: &TypeDef, renames: &BTreeMap<String, String>) -> String {
    let mut fields: Vec<String> = t
        .fields
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{}",
                f.json_name,
                f.rust_type.renamed(renames),
                f.required
            )
        })
        .collect();
    fields.sort();
    let mut values = t.values.clone();
    values.sort();
    format!(
        "{:?}|{}|{}|{}",
        t.kind,
        fields.join(","),
        values.join(","),
        t.inner
            .as_ref()
            .map(|i| i.renamed(renames).to_string())
            .unwrap_or_default()
    )
}

/// Length of the common prefix plus the common suffix of two names.
fn similarity(a: &str, b: &str) -> usize {
    let shorter = a.len().min(b.len());
    let prefix = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let suffix = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    prefix + suffix.min(shorter - prefix)
}

/// `component struct`, `newtype of Option<Foo>`: a short description of a type.
fn shape(t: &TypeDef) -> String {
    let origin = match t.origin {
        Origin::Component => "definition",
        Origin::Operation => "operation",
        Origin::Inline => "inline",
    };
    let inner = || t.inner.as_ref().map_or("?".into(), ToString::to_string);
    match t.kind {
        TypeKind::Struct => format!("{origin} struct"),
        TypeKind::Enum => format!("{origin} enum"),
        TypeKind::Newtype => format!("{origin} newtype of {}", inner()),
        TypeKind::Alias => format!("{origin} alias of {}", inner()),
    }
}

/// The struct a type is, or wraps (`newtype(Option<Inner>)`).
fn unwrap_struct<'a>(index: &Index<'a>, t: &'a TypeDef) -> Option<&'a TypeDef> {
    match t.kind {
        TypeKind::Struct => Some(t),
        TypeKind::Newtype | TypeKind::Alias => {
            let RustType::Named(name) = t.inner.as_ref()?.strip_option() else {
                return None;
            };
            let inner = index.types.get(name.as_str())?;
            (inner.kind == TypeKind::Struct).then_some(*inner)
        }
        TypeKind::Enum => None,
    }
}

fn kind_name(k: TypeKind) -> &'static str {
    match k {
        TypeKind::Struct => "struct",
        TypeKind::Enum => "enum",
        TypeKind::Newtype => "newtype",
        TypeKind::Alias => "alias",
    }
}

fn render_field(f: &Field, ty: &RustType) -> String {
    let required = if f.required { " (required)" } else { "" };
    format!("{}: {ty}{required}", f.rust_name)
}

fn render_param(p: &Param, ty: &RustType) -> String {
    let mut s = ty.to_string();
    if p.required {
        s.push_str(" (required)");
    }
    if let Some(d) = &p.default {
        s.push_str(&format!(" = {d}"));
    }
    s
}

fn render_body(b: &Body, ty: &RustType) -> String {
    let required = if b.required { " (required)" } else { "" };
    format!("{ty}{required}")
}

fn render_response(r: &Response, renames: Option<&BTreeMap<String, String>>) -> String {
    let n = |t: &RustType| match renames {
        Some(m) => t.renamed(m).to_string(),
        None => t.to_string(),
    };
    let stream = match &r.stream {
        None => String::new(),
        Some(Stream::JsonLines { item }) => format!(" (JSON lines of {})", n(item)),
        Some(Stream::Multiplexed) => " (multiplexed stdout/stderr)".into(),
        Some(Stream::Bytes) => " (bytes)".into(),
        Some(Stream::Upgrade { protocol }) => format!(" (upgrade to {protocol})"),
    };
    format!("{}{stream}", n(&r.rust_type))
}

fn location_name(p: &Param) -> String {
    p.location.as_str().to_string()
}

struct Differ<'x, 'a> {
    io: &'x Index<'a>,
    in_: &'x Index<'a>,
    renames: &'x BTreeMap<String, String>,
    out: Vec<Change>,
    /// Type-level changes with the old / new type they concern, waiting for
    /// the operations that reach them.
    pending: Vec<(Change, Option<String>, Option<String>)>,
}

impl Differ<'_, '_> {
    fn push(&mut self, c: Change) {
        self.out.push(c);
    }

    fn typed(&mut self, c: Change, old: Option<&str>, new: Option<&str>) {
        self.pending
            .push((c, old.map(str::to_owned), new.map(str::to_owned)));
    }

    fn norm(&self, old_type: &RustType) -> RustType {
        old_type.renamed(self.renames)
    }

    fn deprecation(
        &self,
        base: Change,
        old: &Option<String>,
        new: &Option<String>,
    ) -> Option<Change> {
        deprecation(base, old, new)
    }

    /// When an operation's body or response type was replaced by another
    /// (not a rename: the old type lives on), the fields of the two structs
    /// compared, as changes of the operation.
    fn replaced(&mut self, op: &Operation, old_ty: &RustType, new_ty: &RustType) {
        let mut leaves = Vec::new();
        parallel_leaves(&self.norm(old_ty), new_ty, &mut leaves);
        for (x, y) in leaves {
            let old_name = self
                .renames
                .iter()
                .find(|(_, v)| **v == x)
                .map_or(x.as_str(), |(k, _)| k.as_str());
            let (Some(a), Some(b)) = (self.io.types.get(old_name), self.in_.types.get(y.as_str()))
            else {
                continue;
            };
            let (Some(a), Some(b)) = (unwrap_struct(self.io, a), unwrap_struct(self.in_, b)) else {
                continue;
            };
            let note = format!("`{}` replaced by `{y}`", old_name);
            for mut c in self.fields(a, b, &y) {
                c.operation = Some(op_key(op));
                c.operation_id = Some(op.operation_id.clone());
                if c.note.is_none() {
                    c.note = Some(note.clone());
                }
                self.push(c);
            }
        }
    }

    fn operation(&mut self, o: &Operation, n: &Operation) {
        let method = |op: &Operation| format!("Client::{}", op.rust_method);
        if o.operation_id != n.operation_id {
            let c = Change::new(ChangeKind::OperationRenamed, o.rust_method != n.rust_method)
                .op(n)
                .rust(method(n))
                .values(Some(method(o)), Some(method(n)))
                .note(format!(
                    "operationId `{}` → `{}`",
                    o.operation_id, n.operation_id
                ));
            self.push(c);
        }
        let base = Change::new(ChangeKind::Deprecated, false)
            .op(n)
            .rust(method(n));
        if let Some(c) = self.deprecation(base, &o.deprecated, &n.deprecated) {
            self.push(c);
        }

        // Parameters, by location and wire name.
        let builder = |p: &Param| format!("Client::{}().{}", n.rust_method, p.rust_name);
        for p in &o.params {
            let Some(q) = n
                .params
                .iter()
                .find(|q| q.location == p.location && q.name == p.name)
            else {
                let c = Change::new(ChangeKind::ParamRemoved, true)
                    .op(n)
                    .param(p)
                    .rust(format!("Client::{}().{}", o.rust_method, p.rust_name))
                    .values(Some(render_param(p, &p.rust_type)), None);
                self.push(c);
                continue;
            };
            let old_ty = self.norm(&p.rust_type);
            let same_type = old_ty == q.rust_type;
            let kind = if same_type && p.default == q.default && p.spec_type == q.spec_type {
                (p.required != q.required).then_some(ChangeKind::OptionalityChanged)
            } else {
                Some(ChangeKind::ParamChanged)
            };
            if let Some(kind) = kind {
                let breaking =
                    !same_type || (q.required && !p.required) || p.rust_name != q.rust_name;
                let mut c = Change::new(kind, breaking)
                    .op(n)
                    .param(q)
                    .rust(builder(q))
                    .values(
                        Some(render_param(p, &p.rust_type)),
                        Some(render_param(q, &q.rust_type)),
                    );
                if p.spec_type != q.spec_type {
                    c = c.note(format!("spec type {} → {}", p.spec_type, q.spec_type));
                } else if p.required != q.required {
                    c = c.note(
                        if q.required {
                            "became required"
                        } else {
                            "became optional"
                        }
                        .into(),
                    );
                }
                self.push(c);
            }
            let base = Change::new(ChangeKind::Deprecated, false)
                .op(n)
                .param(q)
                .rust(builder(q));
            if let Some(c) = self.deprecation(base, &p.deprecated, &q.deprecated) {
                self.push(c);
            }
        }
        for q in &n.params {
            if !o
                .params
                .iter()
                .any(|p| p.location == q.location && p.name == q.name)
            {
                let c = Change::new(ChangeKind::ParamAdded, q.required)
                    .op(n)
                    .param(q)
                    .rust(builder(q))
                    .values(None, Some(render_param(q, &q.rust_type)));
                self.push(deprecated_note(c, &q.deprecated));
            }
        }

        // Body.
        let body_path = format!("Client::{}().body", n.rust_method);
        let body = |kind, breaking| {
            Change::new(kind, breaking)
                .op(n)
                .location("body")
                .rust(body_path.clone())
        };
        match (&o.body, &n.body) {
            (None, Some(b)) => {
                self.push(
                    body(ChangeKind::BodyAdded, b.required)
                        .values(None, Some(render_body(b, &b.rust_type))),
                );
            }
            (Some(a), None) => {
                self.push(
                    body(ChangeKind::BodyRemoved, true)
                        .values(Some(render_body(a, &a.rust_type)), None),
                );
            }
            (Some(a), Some(b)) => {
                let old_ty = self.norm(&a.rust_type);
                let values = (
                    Some(render_body(a, &a.rust_type)),
                    Some(render_body(b, &b.rust_type)),
                );
                if old_ty != b.rust_type {
                    self.push(body(ChangeKind::BodyChanged, true).values(values.0, values.1));
                    self.replaced(n, &a.rust_type, &b.rust_type);
                } else if a.required != b.required {
                    self.push(
                        body(ChangeKind::OptionalityChanged, b.required).values(values.0, values.1),
                    );
                }
                if a.content_type != b.content_type {
                    let c = body(ChangeKind::ContentTypeChanged, false)
                        .json("body")
                        .values(Some(a.content_type.clone()), Some(b.content_type.clone()));
                    self.push(c);
                }
            }
            (None, None) => {}
        }

        // Response.
        let new_resp = render_response(&n.response, None);
        if render_response(&o.response, Some(self.renames)) != new_resp {
            let c = Change::new(ChangeKind::ResponseChanged, true)
                .op(n)
                .rust(method(n))
                .values(Some(render_response(&o.response, None)), Some(new_resp));
            self.push(c);
            self.replaced(n, &o.response.rust_type, &n.response.rust_type);
        }
        for (which, a, b) in [
            ("success", &o.response.status, &n.response.status),
            ("error", &o.response.error_status, &n.response.error_status),
        ] {
            if a != b {
                let c = Change::new(ChangeKind::StatusChanged, false)
                    .op(n)
                    .json(which)
                    .values(Some(a.join(", ")), Some(b.join(", ")));
                self.push(c);
            }
        }
        for (which, a, b) in [
            ("consumes", &o.consumes, &n.consumes),
            ("produces", &o.produces, &n.produces),
        ] {
            if a != b {
                let c = Change::new(ChangeKind::ContentTypeChanged, false)
                    .op(n)
                    .json(which)
                    .values(Some(a.join(", ")), Some(b.join(", ")));
                self.push(c);
            }
        }
    }

    fn type_pair(&mut self, o: &TypeDef, n: &TypeDef) {
        let path = self.in_.path(&n.name);
        let names = (Some(o.name.as_str()), Some(n.name.as_str()));
        let rust = format!("types::{}", n.name);
        if o.name != n.name {
            let mut c = Change::new(ChangeKind::TypeRenamed, true)
                .at(path.clone())
                .rust(rust.clone())
                .values(Some(o.name.clone()), Some(n.name.clone()));
            let old_path = self.io.path(&o.name);
            c = match (o.origin, n.origin) {
                (Origin::Inline, Origin::Component) => c.note(format!(
                    "inline object `{old_path}` moved to the definition `{}`",
                    n.name
                )),
                (Origin::Component, Origin::Inline) => {
                    c.note(format!("definition `{}` inlined at `{path}`", o.name))
                }
                _ => c,
            };
            self.typed(c, names.0, names.1);
        }
        let base = Change::new(ChangeKind::Deprecated, false)
            .at(path.clone())
            .rust(rust.clone());
        if let Some(c) = self.deprecation(base, &o.deprecated, &n.deprecated) {
            self.typed(c, names.0, names.1);
        }
        if o.kind != n.kind {
            let c = Change::new(ChangeKind::TypeChanged, true)
                .at(path.clone())
                .rust(rust)
                .values(Some(shape(o)), Some(shape(n)))
                .note(format!("{} → {}", kind_name(o.kind), kind_name(n.kind)));
            self.typed(c, names.0, names.1);
            // A struct that became `newtype(Option<Inner>)` (nullable) or
            // back: its fields are still compared, through the wrapper.
            if let (Some(a), Some(b)) = (unwrap_struct(self.io, o), unwrap_struct(self.in_, n)) {
                for c in self.fields(a, b, &path) {
                    self.typed(c, names.0, names.1);
                }
            }
            return;
        }
        if let (Some(a), Some(b)) = (&o.inner, &n.inner)
            && &self.norm(a) != b
        {
            let c = Change::new(ChangeKind::TypeChanged, true)
                .at(path.clone())
                .rust(rust.clone())
                .values(Some(a.to_string()), Some(b.to_string()));
            self.typed(c, names.0, names.1);
        }

        for v in o.values.iter().filter(|v| !n.values.contains(v)) {
            let c = Change::new(ChangeKind::EnumValueRemoved, true)
                .at(path.clone())
                .json(v)
                .rust(rust.clone());
            self.typed(c, names.0, names.1);
        }
        for v in n.values.iter().filter(|v| !o.values.contains(v)) {
            let c = Change::new(ChangeKind::EnumValueAdded, false)
                .at(path.clone())
                .json(v)
                .rust(rust.clone());
            self.typed(c, names.0, names.1);
        }

        for c in self.fields(o, n, &path) {
            self.typed(c, names.0, names.1);
        }
    }

    /// Field changes from struct `o` to struct `n` (shown at `path`).
    fn fields(&self, o: &TypeDef, n: &TypeDef, path: &str) -> Vec<Change> {
        let path = path.to_string();
        let mut out = Vec::new();
        for f in &o.fields {
            let Some(g) = n.fields.iter().find(|g| g.json_name == f.json_name) else {
                let c = Change::new(ChangeKind::FieldRemoved, true)
                    .at(path.clone())
                    .json(&f.json_name)
                    .rust(format!("types::{}::{}", o.name, f.rust_name))
                    .values(Some(render_field(f, &f.rust_type)), None);
                out.push(c);
                continue;
            };
            let field_path = format!("types::{}::{}", n.name, g.rust_name);
            let old_ty = self.norm(&f.rust_type);
            let values = (
                Some(render_field(f, &f.rust_type)),
                Some(render_field(g, &g.rust_type)),
            );
            let same_type = old_ty == g.rust_type && f.rust_name == g.rust_name;
            let kind = if same_type {
                (f.required != g.required).then_some(ChangeKind::OptionalityChanged)
            } else if old_ty.strip_option() == g.rust_type.strip_option()
                && f.rust_name == g.rust_name
            {
                Some(ChangeKind::OptionalityChanged)
            } else {
                Some(ChangeKind::FieldChanged)
            };
            if let Some(kind) = kind {
                let mut c = Change::new(kind, !same_type || (g.required && !f.required))
                    .at(path.clone())
                    .json(&g.json_name)
                    .rust(field_path.clone())
                    .values(values.0, values.1);
                if kind == ChangeKind::OptionalityChanged {
                    let now_option = g.rust_type.is_option();
                    let was_option = old_ty.is_option();
                    c = c.note(
                        match (f.required, g.required, was_option, now_option) {
                            (false, true, _, _) => "became required",
                            (true, false, _, _) => "became optional",
                            (_, _, false, true) => "became nullable",
                            (_, _, true, false) => "no longer nullable",
                            _ => "optionality changed",
                        }
                        .into(),
                    );
                }
                out.push(c);
            }
            let base = Change::new(ChangeKind::Deprecated, false)
                .at(path.clone())
                .json(&g.json_name)
                .rust(field_path);
            out.extend(deprecation(base, &f.deprecated, &g.deprecated));
        }
        for g in &n.fields {
            if !o.fields.iter().any(|f| f.json_name == g.json_name) {
                let c = Change::new(ChangeKind::FieldAdded, g.required)
                    .at(path.clone())
                    .json(&g.json_name)
                    .rust(format!("types::{}::{}", n.name, g.rust_name))
                    .values(None, Some(render_field(g, &g.rust_type)));
                let c = deprecated_note(c, &g.deprecated);
                out.push(c);
            }
        }
        out
    }
}

impl Change {
    fn new(kind: ChangeKind, breaking: bool) -> Self {
        Self {
            kind,
            breaking,
            operation: None,
            operation_id: None,
            location: None,
            type_path: None,
            json_name: None,
            rust_path: None,
            old: None,
            new: None,
            note: None,
            reached_by: Vec::new(),
        }
    }
    fn op(mut self, op: &Operation) -> Self {
        self.operation = Some(op_key(op));
        self.operation_id = Some(op.operation_id.clone());
        self
    }
    fn param(mut self, p: &Param) -> Self {
        self.location = Some(location_name(p));
        self.json_name = Some(p.name.clone());
        self
    }
    fn location(mut self, l: &str) -> Self {
        self.location = Some(l.to_string());
        self
    }
    fn at(mut self, type_path: String) -> Self {
        self.type_path = Some(type_path);
        self
    }
    fn json(mut self, name: &str) -> Self {
        self.json_name = Some(name.to_string());
        self
    }
    fn rust(mut self, path: String) -> Self {
        self.rust_path = Some(path);
        self
    }
    fn values(mut self, old: Option<String>, new: Option<String>) -> Self {
        self.old = old;
        self.new = new;
        self
    }
    fn note(mut self, note: String) -> Self {
        self.note = Some(note);
        self
    }

    /// `ContainerSummary.Health.FailingStreak`: the type path and, for a
    /// field or enum value, its JSON name.
    pub fn full_path(&self) -> Option<String> {
        let t = self.type_path.as_deref()?;
        Some(match (&self.json_name, self.kind) {
            (Some(v), ChangeKind::EnumValueAdded | ChangeKind::EnumValueRemoved) => {
                format!("{t} = {v:?}")
            }
            (Some(j), _) => format!("{t}{}", segment(j)),
            (None, _) => t.to_string(),
        })
    }
}

/// A `deprecated` / `undeprecated` change when the deprecation note appeared
/// or went away (`base` says what it is about).
fn deprecation(base: Change, old: &Option<String>, new: &Option<String>) -> Option<Change> {
    match (old, new) {
        (None, Some(text)) => Some(Change {
            kind: ChangeKind::Deprecated,
            breaking: false,
            new: Some(text.clone()),
            ..base
        }),
        (Some(text), None) => Some(Change {
            kind: ChangeKind::Undeprecated,
            breaking: false,
            old: Some(text.clone()),
            ..base
        }),
        _ => None,
    }
}
