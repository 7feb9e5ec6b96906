//! The Markdown and JSON renderings of a [`Report`].

use std::collections::BTreeMap;
use std::fmt::Write;

use super::compare::op_order;
use super::{Change, ChangeKind, Report};
use crate::ApiVersion;

/// The report as pretty-printed JSON (the schema is in the module docs).
pub fn json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a report serialises");
    s.push('\n');
    s
}

fn crate_name(version: &str) -> String {
    version
        .parse::<ApiVersion>()
        .map_or_else(|_| format!("v{version}"), |v| v.crate_name())
}

fn label(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::OperationAdded => "operations added",
        ChangeKind::OperationRemoved => "operations removed",
        ChangeKind::OperationRenamed => "operations renamed",
        ChangeKind::ParamAdded => "parameters added",
        ChangeKind::ParamRemoved => "parameters removed",
        ChangeKind::ParamChanged => "parameters changed",
        ChangeKind::BodyAdded => "bodies added",
        ChangeKind::BodyRemoved => "bodies removed",
        ChangeKind::BodyChanged => "bodies changed",
        ChangeKind::ResponseChanged => "responses changed",
        ChangeKind::StatusChanged => "status codes changed",
        ChangeKind::ContentTypeChanged => "content types changed",
        ChangeKind::TypeAdded => "types added",
        ChangeKind::TypeRemoved => "types removed",
        ChangeKind::TypeRenamed => "types renamed",
        ChangeKind::TypeChanged => "types changed",
        ChangeKind::FieldAdded => "fields added",
        ChangeKind::FieldRemoved => "fields removed",
        ChangeKind::FieldChanged => "fields changed",
        ChangeKind::OptionalityChanged => "optionality changed",
        ChangeKind::EnumValueAdded => "enum values added",
        ChangeKind::EnumValueRemoved => "enum values removed",
        ChangeKind::Deprecated => "newly deprecated",
        ChangeKind::Undeprecated => "no longer deprecated",
    }
}

/// `12 changes (3 breaking): fields added 4, …`
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let kinds: Vec<String> = ChangeKind::ALL
        .iter()
        .filter_map(|k| s.by_kind.get(k).map(|n| format!("{} {n}", label(*k))))
        .collect();
    if s.changes == 0 {
        return "No changes.".to_string();
    }
    format!(
        "**{} changes, {} breaking.** {}.",
        s.changes,
        s.breaking,
        kinds.join(", ")
    )
}

fn code(s: &str) -> String {
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

fn opt_code(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "nothing".to_string(), code)
}

/// What a change is about, as a noun phrase.
fn subject(c: &Change) -> String {
    let name = c.json_name.as_deref().unwrap_or("");
    match c.location.as_deref() {
        Some("body") => return "body".to_string(),
        Some(loc) => return format!("{loc} parameter {}", code(name)),
        None => {}
    }
    match (c.full_path(), c.json_name.is_some()) {
        (Some(p), true) => format!("field {}", code(&p)),
        (Some(p), false) => format!("type {}", code(&p)),
        (None, _) => "operation".to_string(),
    }
}

/// ` at `Parent.Field`` for a type whose path is not its name.
fn at(c: &Change) -> String {
    let name = c
        .rust_path
        .as_deref()
        .and_then(|r| r.strip_prefix("types::"));
    match c.type_path.as_deref() {
        Some(p) if Some(p) != name => format!(" at {}", code(p)),
        _ => String::new(),
    }
}

/// One change as a sentence (no operation: the heading names it).
pub fn describe(c: &Change) -> String {
    let old = opt_code(&c.old);
    let new = opt_code(&c.new);
    let rust = c.rust_path.as_deref().map(code).unwrap_or_default();
    let path = c.full_path().map(|p| code(&p)).unwrap_or_default();
    let mut s = match c.kind {
        ChangeKind::OperationAdded => format!(
            "new operation {rust} (operationId {})",
            opt_code(&c.operation_id)
        ),
        ChangeKind::OperationRemoved => format!(
            "operation removed: {rust} (operationId {})",
            opt_code(&c.operation_id)
        ),
        ChangeKind::OperationRenamed => format!("method renamed: {old} → {new}"),
        ChangeKind::ParamAdded | ChangeKind::BodyAdded => {
            format!("added {}: {new}", subject(c))
        }
        ChangeKind::ParamRemoved | ChangeKind::BodyRemoved => {
            format!("removed {} (was {old})", subject(c))
        }
        ChangeKind::ParamChanged | ChangeKind::BodyChanged | ChangeKind::FieldChanged => {
            format!("{} changed: {old} → {new}", subject(c))
        }
        ChangeKind::OptionalityChanged => format!(
            "{} {}: {old} → {new}",
            subject(c),
            c.note.as_deref().unwrap_or("optionality changed")
        ),
        ChangeKind::ResponseChanged => format!("response changed: {old} → {new}"),
        ChangeKind::StatusChanged => format!(
            "{} status codes: {} → {}",
            c.json_name.as_deref().unwrap_or(""),
            c.old.as_deref().unwrap_or("none"),
            c.new.as_deref().unwrap_or("none")
        ),
        ChangeKind::ContentTypeChanged => {
            let what = match c.json_name.as_deref() {
                Some("body") => "body content type",
                Some("consumes") => "consumes",
                _ => "produces",
            };
            format!("{what}: {old} → {new}")
        }
        ChangeKind::TypeAdded => format!(
            "new type {rust}{} ({})",
            at(c),
            c.new.as_deref().unwrap_or("")
        ),
        ChangeKind::TypeRemoved => format!(
            "removed type {rust}{} ({})",
            at(c),
            c.old.as_deref().unwrap_or("")
        ),
        ChangeKind::TypeRenamed => format!("type {old} renamed to {new}"),
        ChangeKind::TypeChanged => format!("type {path} changed: {old} → {new}"),
        ChangeKind::FieldAdded => format!("added field {path}: {new}"),
        ChangeKind::FieldRemoved => format!("removed field {path} (was {old})"),
        ChangeKind::EnumValueAdded | ChangeKind::EnumValueRemoved => {
            let verb = if c.kind == ChangeKind::EnumValueAdded {
                "added"
            } else {
                "removed"
            };
            format!(
                "{verb} value {} of {}",
                code(&format!("{:?}", c.json_name.as_deref().unwrap_or(""))),
                code(c.type_path.as_deref().unwrap_or(""))
            )
        }
        ChangeKind::Deprecated => format!(
            "{} deprecated: “{}”",
            subject(c),
            c.new.as_deref().unwrap_or("").replace("**", "")
        ),
        ChangeKind::Undeprecated => format!("{} no longer marked deprecated", subject(c)),
    };
    match (c.kind, &c.note) {
        (ChangeKind::OptionalityChanged, _) | (_, None) => {}
        (_, Some(note)) => {
            let _ = write!(s, " ({note})");
        }
    }
    if c.breaking {
        s = format!("**breaking**: {s}");
    }
    s
}

/// The report as Markdown: a summary line, then every operation with its
/// own changes and the type changes its `$ref` closure reaches, then every
/// type change grouped by the named type it sits in.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let (from, to) = (&report.from, &report.to);
    let _ = writeln!(out, "# Engine API v{from} → v{to}\n");
    let _ = writeln!(
        out,
        "What changed in the generated Rust API from `{}` to `{}`, \
         computed from the crates' `api-model.json` by `cargo xtask diff {from} {to}`. \
         **breaking** marks a change that can break code compiled against v{from}.\n",
        crate_name(from),
        crate_name(to)
    );
    let _ = writeln!(out, "{}\n", summary_line(report));
    if report.changes.is_empty() {
        return out;
    }

    // Operations: their own changes, and the type changes they reach.
    // (path, method) → (its own changes, the type changes it reaches).
    type Section<'r> = (Vec<&'r Change>, Vec<&'r Change>);
    let mut ops: BTreeMap<(&str, &str), Section<'_>> = BTreeMap::new();
    for c in &report.changes {
        if let Some(op) = &c.operation {
            ops.entry(op_order(op)).or_default().0.push(c);
        }
        // A new type matters to an operation through the field that uses it.
        if c.kind != ChangeKind::TypeAdded {
            for op in &c.reached_by {
                ops.entry(op_order(op)).or_default().1.push(c);
            }
        }
    }
    if !ops.is_empty() {
        let _ = writeln!(out, "## Operations\n");
    }
    for ((path, method), (own, via)) in &ops {
        let key = format!("{method} {path}");
        let method_name = report
            .operations
            .get(&key)
            .map(|o| format!(" · `{}` ({})", o.rust_method, o.operation_id))
            .unwrap_or_default();
        let _ = writeln!(out, "### `{key}`{method_name}\n");
        for c in own {
            let _ = writeln!(out, "- {}", describe(c));
        }
        if !via.is_empty() {
            let _ = writeln!(out, "- through the types it uses:");
            for c in via {
                let _ = writeln!(out, "  - {}", describe(c));
            }
        }
        out.push('\n');
    }

    // Types, grouped by the root of their path.
    let mut groups: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for c in report.changes.iter().filter(|c| c.operation.is_none()) {
        let path = c.type_path.as_deref().unwrap_or("");
        let root = path.split(['.', '[', '{']).next().unwrap_or(path);
        groups.entry(root).or_default().push(c);
    }
    if !groups.is_empty() {
        let _ = writeln!(out, "## Types\n");
    }
    for (root, changes) in &groups {
        let _ = writeln!(out, "### `{root}`\n");
        for c in changes {
            let _ = writeln!(out, "- {}", describe(c));
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// `crates/CHANGES/README.md`: one line per consecutive pair.
pub fn markdown_index(reports: &[Report]) -> String {
    let mut out = String::from(
        "# Changes between Engine API versions\n\n\
         One file per consecutive pair of versions in `specs/`: what changed in the\n\
         generated Rust API, computed from the crates' `api-model.json` (`cargo xtask\n\
         regen` writes these files; `cargo xtask diff A B` compares any two versions,\n\
         `--format json` for the machine-readable form).\n\n",
    );
    if reports.is_empty() {
        out.push_str("Only one version: nothing to compare.\n");
        return out;
    }
    out.push_str("| Versions | Changes | Breaking |\n|---|---:|---:|\n");
    for r in reports {
        let _ = writeln!(
            out,
            "| [v{} → v{}]({}-{}.md) | {} | {} |",
            r.from, r.to, r.from, r.to, r.summary.changes, r.summary.breaking
        );
    }
    out
}
