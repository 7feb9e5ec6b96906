//! What changed in the generated Rust API between two Engine API versions.
//!
//! Pure functions over two [`ApiModel`]s (the `api-model.json` written next
//! to each crate): [`diff`] returns a [`Report`], [`markdown`] and [`json`]
//! render it. `cargo xtask diff A B` prints one (`--all`: every consecutive
//! pair; `--format json`), and `cargo xtask regen` writes the Markdown of
//! every consecutive pair to `crates/CHANGES/<a>-<b>.md` (with a `README.md`
//! index), so `regen --check` keeps them current.
//!
//! # What is compared
//!
//! - **Operations**, paired by operationId, then (for a changed id) by method
//!   and path, which makes a renamed Rust method one `operation-renamed`.
//!   For each: parameters (by location and wire name: Rust type, required,
//!   default, spec type), body (Rust type, required, media type), response
//!   (Rust type, stream kind and item), success and error status codes,
//!   `consumes` / `produces`, and the deprecation note.
//! - **Types**, paired by Rust name, then a removed type with an added one
//!   when (a) their shapes are equal: same kind, fields (JSON name, Rust type,
//!   required), enum values and inner type, with the renames found so far
//!   applied; or (b) one replaced the other at the same place: the same
//!   field of a paired type, parameter, body or response. Both repeat until
//!   nothing new pairs, so nested renames (`Port` → `PortSummary` and its
//!   inline `PortType` → `PortSummaryType`) are found inside out. A pair is
//!   one `type-renamed`, never a removal plus an addition; an inline object
//!   moved to a `$ref` is a rename whose note says so, and its field
//!   differences follow. Type names inside compared Rust types are mapped
//!   through the renames first, so a rename is not also reported as a
//!   changed type at every field that uses it.
//! - For paired types: kind (a struct that became `newtype(Option<Inner>)`,
//!   i.e. nullable, still has its fields compared through the wrapper),
//!   newtype / alias inner type, enum values, fields (by JSON name: Rust name
//!   and type, required) and deprecation notes.
//! - When an operation's body or response type is *replaced* by another
//!   struct (the old one lives on, so it is no rename), the two structs'
//!   fields are compared too, as changes of that operation
//!   (`GET /networks/{id}`: `Network` → `NetworkInspect` shows the new
//!   `Status` field).
//!
//! **Paths.** A type is shown at its path: named types (definitions and
//! operation bodies / responses) by name, inline types from the nearest named
//! type through fields (`ContainerSummary.Health`), `[]` for a list item and
//! `{}` for a map value (`Thing.Mounts[].Options`), a JSON name holding a dot
//! quoted (`OciPlatform["os.features"]`).
//!
//! **`$ref` closure.** Each operation's closure is every type reachable from
//! its parameters, body, response and stream item through fields, inner
//! types and generic arguments. A change to a type lists, in `reached_by`,
//! each operation whose closure holds the type (in the old or the new model),
//! and the Markdown repeats it under each of those operations.
//!
//! **Breaking** means code compiled against the older crate may stop
//! compiling or decoding: a removed operation, parameter, body, type, field
//! or enum value; a renamed method or type; a changed Rust type (parameter,
//! body, response, field, newtype, type kind); a new *required* parameter,
//! body or field; something optional that became required. Additions of
//! optional items, of enum values (decoded before as `Other(..)`), of media
//! types and status codes, and deprecations are non-breaking. Strictly, any
//! new field breaks a struct literal without `..Default::default()`, and a
//! new enum value an exhaustive `match`; the report follows the usual
//! semver reading instead.
//!
//! # JSON schema (`--format json`)
//!
//! One [`Report`] object (`--all`: an array of them, oldest pair first):
//!
//! ```text
//! {
//!   "schema":  "docker-engine-api-diff/1",
//!   "from":    "1.51",                  // the older version
//!   "to":      "1.52",
//!   "summary": { "changes": 78, "breaking": 51, "non_breaking": 27,
//!                "by_kind": { "field-added": 9, ... } },  // kinds with none left out
//!   "operations": { "GET /containers/json":               // every operation named below
//!                   { "operation_id": "ContainerList", "rust_method": "container_list" } },
//!   "changes": [ Change, ... ]
//! }
//! ```
//!
//! Every `Change` has all of these keys (`null` when not applicable):
//!
//! | key | meaning |
//! |---|---|
//! | `kind` | one of the kinds below |
//! | `breaking` | `true` if code compiled against `from` may break |
//! | `operation` | `"GET /images/{name}/json"` for a change of the operation itself (parameter, body, response, status, media type, method); `null` for a type change |
//! | `operation_id` | the operation's operationId (the new one), with `operation` |
//! | `location` | `"path"`, `"query"`, `"header"` for a parameter, `"body"` for the body |
//! | `type_path` | path of the type a type-level change is in (`"ContainerSummary.Health"`) |
//! | `json_name` | wire name: of the field, parameter or enum value; `"consumes"`, `"produces"` or `"body"` for `content-type-changed`; `"success"` or `"error"` for `status-changed` |
//! | `rust_path` | `"Client::image_inspect"` (operation, response), `"Client::image_inspect().manifests"` (parameter), `"Client::x().body"`, `"types::ContainerSummaryHealth"` (type, enum value), `"types::ContainerSummaryHealth::failing_streak"` (field) |
//! | `old`, `new` | the item before / after, rendered (below); `null` when it did not exist |
//! | `note` | human-readable detail (a rename's `$ref` move, "became required", a spec type change); wording not stable |
//! | `reached_by` | for a type-level change: `"METHOD /path"` of every operation whose `$ref` closure holds the type; `[]` otherwise |
//!
//! `old` / `new` by kind: a field is `"rust_name: RustType"` with
//! `" (required)"` when it must be present; a parameter `"RustType"` with
//! `" (required)"` and `" = <default JSON>"`; a body `"RustType"` with
//! `" (required)"`; a response `"RustType"` with the stream in parentheses
//! (`"ByteStream (JSON lines of ContainerStatsResponse)"`); a method
//! `"Client::name"`; a type name (`type-renamed`); a type's shape
//! (`"definition struct"`, `"inline newtype of Option<XInner>"`) for
//! `type-added` / `type-removed` / `type-changed` (kind changed) or its inner
//! type (inner changed); media types and status codes comma-separated; the
//! deprecation sentence of the spec's description (`new` for `deprecated`,
//! `old` for `undeprecated`).
//!
//! Kinds: `operation-added`, `operation-removed`, `operation-renamed`,
//! `param-added`, `param-removed`, `param-changed`, `optionality-changed`
//! (only required-ness or `Option` wrapping changed: parameters, bodies,
//! fields), `body-added`, `body-removed`, `body-changed`, `response-changed`,
//! `status-changed`, `content-type-changed`, `type-added`, `type-removed`,
//! `type-renamed`, `type-changed`, `field-added`, `field-removed`,
//! `field-changed`, `enum-value-added`, `enum-value-removed`, `deprecated`,
//! `undeprecated`. Changes are sorted: operation-level first (by path, then
//! method, then kind), then type-level by type path and JSON name. The
//! output is deterministic. A new kind or key bumps nothing; a removed or
//! re-meant one bumps [`SCHEMA`].
//!
//! # Markdown
//!
//! A summary line of counts; `## Operations`: each operation with its own
//! changes, then "through the types it uses" the type-level changes its
//! closure reaches (new types left out: the field that uses one is listed);
//! `## Types`: every type-level change, grouped by the named type at the root
//! of its path.
//!
//! # The report and Docker's CHANGELOG
//!
//! Docker's API CHANGELOG (`docs/api/version-history.md` in moby) describes
//! the *daemon*: behaviour, defaults, what is returned when. This report
//! describes the *generated Rust API*, as the swagger files define it, so the
//! two overlap without either containing the other. Most CHANGELOG entries
//! that name a field, parameter or endpoint appear in the report of the same
//! pair (`codegen/tests/diff_changelog.rs` checks a selection of them
//! against the committed models). Some entries are prose only and have no
//! counterpart, such as v1.45 "`is-automated` is always `false`", v1.47
//! "no bridge-nf warnings", v1.51 "`Containers` is now counted", v1.52
//! "`GET /events` no longer includes `status`, `id`, `from`" (the spec never
//! listed them), and v1.48's debug endpoints (not in the spec). Some land in
//! another version's spec: `EnableIPv4` (CHANGELOG v1.48) is already in the
//! v1.47 spec. Sometimes spec and CHANGELOG disagree: v1.52 says
//! `GET /system/df` returns both the legacy and the new fields, and
//! `Parent` / `DockerVersion` are only omitted when empty, but the v1.52 spec
//! removes them, so the v1.52 crate no longer reads them; it also calls the
//! new fields `ImagesUsage`, `ContainersUsage`, `VolumesUsage`, while the
//! spec (and the crate) has `ImageUsage`, `ContainerUsage`, `VolumeUsage`.
//!
//! The report also lists what the CHANGELOG leaves out, mostly spec
//! corrections that change the Rust API: type renames (`GraphDriverData` →
//! `DriverData` in v1.47; `Port` → `PortSummary`, `NetworkContainer` →
//! `EndpointResource`, `SystemAuthResponse` → `AuthResponse`,
//! `VolumeCreateOptions` → `VolumeCreateRequest` in v1.52), newly typed
//! values (`ContainerSummary.State` from `String` to an enum, and the
//! `GET /containers/{id}/stats` stream items from `serde_json::Value` to
//! `ContainerStatsResponse`, in v1.48), nullability (`OciPlatform` became
//! nullable in v1.48), optionality (`NetworkCreateResponse.Id` / `Warning`
//! required in v1.46, `NetworkConnectRequest.Container` in v1.52), quiet
//! removals (`AuthConfig.email`, the long-deprecated `error` / `progress` of
//! the progress messages, `GET /networks` list entries losing `Containers`,
//! all in v1.52), new enum values (`HostConfig.LogConfig.Type = "local"` in
//! v1.48), fields the CHANGELOG never mentions (`ContainerSummary.Health`,
//! `ContainerInspectResponse.Storage` in v1.52), and every operation a
//! change reaches through shared types (removing `ContainerConfig.MacAddress`
//! in v1.52 also changes `POST /commit`, whose body is a `ContainerConfig`).
//! It cannot see what the swagger files do not say (behaviour, defaults
//! applied by the daemon, values that are now always empty), nor a
//! deprecation the description does not spell out with "deprecated".

mod compare;
mod index;
mod render;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ApiVersion;
use crate::emit::{CRATES_DIR, OutputFile};
use crate::model::ApiModel;

pub use render::{json, markdown, markdown_index};

/// The `schema` value of a JSON report; bumped on an incompatible change.
pub const SCHEMA: &str = "docker-engine-api-diff/1";

/// Where `cargo xtask regen` writes the report of each consecutive pair.
pub const CHANGES_DIR: &str = "crates/CHANGES";

/// The report for one pair of versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// `1.51`: the older version (the one code was compiled against).
    pub from: String,
    /// `1.52`
    pub to: String,
    pub summary: Summary,
    /// Every operation the changes name (`operation` or `reached_by`), by its
    /// `METHOD /path` key.
    pub operations: BTreeMap<String, OperationRef>,
    pub changes: Vec<Change>,
}

/// How an operation is called in the newer crate (the older, if removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationRef {
    pub operation_id: String,
    /// `container_list`: the method on `Client`.
    pub rust_method: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub changes: usize,
    pub breaking: usize,
    pub non_breaking: usize,
    /// Number of changes of each kind (kinds with none are left out).
    pub by_kind: BTreeMap<ChangeKind, usize>,
}

/// One change. See the module documentation for what each field holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub breaking: bool,
    pub operation: Option<String>,
    pub operation_id: Option<String>,
    pub location: Option<String>,
    pub type_path: Option<String>,
    pub json_name: Option<String>,
    pub rust_path: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub note: Option<String>,
    pub reached_by: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    OperationAdded,
    OperationRemoved,
    OperationRenamed,
    ParamAdded,
    ParamRemoved,
    ParamChanged,
    OptionalityChanged,
    BodyAdded,
    BodyRemoved,
    BodyChanged,
    ResponseChanged,
    StatusChanged,
    ContentTypeChanged,
    TypeAdded,
    TypeRemoved,
    TypeRenamed,
    TypeChanged,
    FieldAdded,
    FieldRemoved,
    FieldChanged,
    EnumValueAdded,
    EnumValueRemoved,
    Deprecated,
    Undeprecated,
}

impl ChangeKind {
    /// Every kind, in report order.
    pub const ALL: [ChangeKind; 24] = [
        Self::OperationAdded,
        Self::OperationRemoved,
        Self::OperationRenamed,
        Self::ParamAdded,
        Self::ParamRemoved,
        Self::ParamChanged,
        Self::OptionalityChanged,
        Self::BodyAdded,
        Self::BodyRemoved,
        Self::BodyChanged,
        Self::ResponseChanged,
        Self::StatusChanged,
        Self::ContentTypeChanged,
        Self::TypeAdded,
        Self::TypeRemoved,
        Self::TypeRenamed,
        Self::TypeChanged,
        Self::FieldAdded,
        Self::FieldRemoved,
        Self::FieldChanged,
        Self::EnumValueAdded,
        Self::EnumValueRemoved,
        Self::Deprecated,
        Self::Undeprecated,
    ];

    /// The kebab-case name used in JSON (`field-added`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OperationAdded => "operation-added",
            Self::OperationRemoved => "operation-removed",
            Self::OperationRenamed => "operation-renamed",
            Self::ParamAdded => "param-added",
            Self::ParamRemoved => "param-removed",
            Self::ParamChanged => "param-changed",
            Self::BodyAdded => "body-added",
            Self::BodyRemoved => "body-removed",
            Self::BodyChanged => "body-changed",
            Self::ResponseChanged => "response-changed",
            Self::StatusChanged => "status-changed",
            Self::ContentTypeChanged => "content-type-changed",
            Self::TypeAdded => "type-added",
            Self::TypeRemoved => "type-removed",
            Self::TypeRenamed => "type-renamed",
            Self::TypeChanged => "type-changed",
            Self::FieldAdded => "field-added",
            Self::FieldRemoved => "field-removed",
            Self::FieldChanged => "field-changed",
            Self::OptionalityChanged => "optionality-changed",
            Self::EnumValueAdded => "enum-value-added",
            Self::EnumValueRemoved => "enum-value-removed",
            Self::Deprecated => "deprecated",
            Self::Undeprecated => "undeprecated",
        }
    }
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares two API models (`old` is the version code was compiled against).
pub fn diff(old: &ApiModel, new: &ApiModel) -> Report {
    let changes = compare::changes(old, new);
    let mut by_kind = BTreeMap::new();
    for c in &changes {
        *by_kind.entry(c.kind).or_insert(0) += 1;
    }
    let breaking = changes.iter().filter(|c| c.breaking).count();
    let known: BTreeMap<String, OperationRef> = old
        .operations
        .iter()
        .chain(&new.operations)
        .map(|o| {
            let r = OperationRef {
                operation_id: o.operation_id.clone(),
                rust_method: o.rust_method.clone(),
            };
            (index::op_key(o), r)
        })
        .collect();
    let operations = changes
        .iter()
        .flat_map(|c| c.operation.iter().chain(&c.reached_by))
        .filter_map(|k| Some((k.clone(), known.get(k)?.clone())))
        .collect();
    Report {
        schema: SCHEMA.to_string(),
        from: old.api_version.to_string(),
        to: new.api_version.to_string(),
        summary: Summary {
            changes: changes.len(),
            breaking,
            non_breaking: changes.len() - breaking,
            by_kind,
        },
        operations,
        changes,
    }
}

/// Reads a committed `api-model.json`.
pub fn read_model_file(path: &Path) -> Result<ApiModel, String> {
    docker_engine_api_model::ModelFile::read(path)
        .map(|f| f.model)
        .map_err(|e| e.to_string())
}

/// `crates/docker-engine-api-v1-52/api-model.json`, relative to the root.
pub fn model_path(version: ApiVersion) -> PathBuf {
    docker_engine_api_model::model_path(Path::new(CRATES_DIR), version)
}

/// `crates/CHANGES/1.51-1.52.md`
pub fn changes_file_path(from: &str, to: &str) -> PathBuf {
    PathBuf::from(CHANGES_DIR).join(format!("{from}-{to}.md"))
}

/// The Markdown report of every consecutive pair of `models` (oldest first)
/// and the `README.md` that lists them.
pub fn changes_files(models: &[&ApiModel]) -> Vec<OutputFile> {
    let reports: Vec<Report> = models.windows(2).map(|w| diff(w[0], w[1])).collect();
    let mut files: Vec<OutputFile> = reports
        .iter()
        .map(|r| OutputFile {
            path: changes_file_path(&r.from, &r.to),
            contents: markdown(r),
        })
        .collect();
    files.push(OutputFile {
        path: PathBuf::from(CHANGES_DIR).join("README.md"),
        contents: markdown_index(&reports),
    });
    files
}

/// Pair reports under `root/crates/CHANGES` that `planned` does not contain
/// (their pair no longer exists), relative to `root`.
pub fn stale_changes_files(root: &Path, planned: &[OutputFile]) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root.join(CHANGES_DIR)) else {
        return Vec::new();
    };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let pair = name.strip_suffix(".md")?.split_once('-')?;
            pair.0.parse::<ApiVersion>().ok()?;
            pair.1.parse::<ApiVersion>().ok()?;
            let path = PathBuf::from(CHANGES_DIR).join(&name);
            (!planned.iter().any(|f| f.path == path)).then_some(path)
        })
        .collect();
    stale.sort();
    stale
}
