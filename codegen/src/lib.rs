//! `docker-engine-api-codegen`: one Docker Engine API swagger file in, one
//! typed Rust crate out.
//!
//! The pipeline, one module per step, data flowing one way:
//!
//! 1. [`spec`]: read `specs/v1.NN.yaml` (Swagger 2.0);
//! 2. [`convert`]: Swagger 2.0 → OpenAPI 3.0 (`swagger2openapi`);
//! 3. [`fixups`]: Docker-specific normalisation, each rule named and explained;
//! 4. [`generate`]: progenitor → Rust syntax tree;
//! 5. [`postprocess`]: code-level rules progenitor/typify have no setting for;
//! 6. [`model`]: the machine-readable API model of the generated crate;
//! 7. [`emit`]: the crate's files, and the version tables of the workspace.
//!
//! [`plan`] runs all of it for every spec in memory; nothing is written until
//! every version generated, so a bad spec leaves `crates/` untouched.

pub mod convert;
pub mod diff;
pub mod docs;
pub mod emit;
pub mod error;
pub mod fixups;
pub mod generate;
pub mod layout;
pub mod model;
pub mod postprocess;
pub mod rules;
pub mod spec;

use std::path::{Path, PathBuf};

/// Engine API versions and every name derived from them live in the runtime
/// crate, which the facade and the generated crates share.
pub use docker_engine_api_runtime::{ApiVersion, ParseVersionError, Protocol};
pub use emit::OutputFile;
pub use error::{Error, Result};

/// What one version's generation produced.
#[derive(Debug, Clone)]
pub struct VersionOutput {
    pub version: ApiVersion,
    pub files: Vec<OutputFile>,
    pub model: model::ApiModel,
    /// Lines of the generated sources (`src/**/*.rs`).
    pub lines: usize,
}

/// Generates one version crate from one spec file, in memory.
pub fn generate_version(spec_path: &Path) -> Result<VersionOutput> {
    let spec = spec::SpecFile::load(spec_path)?;
    generate_from_spec(&spec)
}

/// Generates one version crate from a parsed spec, in memory.
pub fn generate_from_spec(spec: &spec::SpecFile) -> Result<VersionOutput> {
    let path = &spec.path;
    let facts = fixups::SwaggerFacts::from_swagger(&spec.doc);
    let mut openapi = generate::catch_panic(|| convert::swagger_to_openapi(path, &spec.doc))
        .map_err(|message| Error::Conversion {
            path: path.clone(),
            message,
        })??;
    let mut applied = fixups::apply(&mut openapi, &facts);
    let mut generated = generate::generate(path, &openapi, generate::Interface::Builder)?;
    let code_rules = postprocess::apply(
        &mut generated.file,
        &postprocess::Input::from_openapi(&openapi),
    )
    .map_err(|message| Error::Generation {
        path: path.clone(),
        location: None,
        message,
    })?;
    applied.extend(code_rules);
    let model = model::build(spec, &openapi, &generated.file, &applied).map_err(|message| {
        Error::Generation {
            path: path.clone(),
            location: None,
            message,
        }
    })?;
    let emit::CrateFiles { files, lines } = emit::crate_files(spec, generated.file, &model)
        .map_err(|message| Error::Generation {
            path: path.clone(),
            location: None,
            message,
        })?;
    Ok(VersionOutput {
        version: spec.version,
        files,
        model,
        lines,
    })
}

/// The most lines of diff [`Plan::stale_diff`] shows per file.
const STALE_DIFF_LINES: usize = 200;

/// Everything `cargo xtask regen` writes, computed in memory.
#[derive(Debug, Clone)]
pub struct Plan {
    pub versions: Vec<VersionOutput>,
    /// Workspace-level files (the facade's version table and manifest).
    pub shared: Vec<OutputFile>,
    /// Generated crate directories whose spec is gone.
    pub stale_dirs: Vec<PathBuf>,
    /// `crates/CHANGES/<a>-<b>.md` reports of pairs that no longer exist.
    pub stale_files: Vec<PathBuf>,
}

/// The `version` of `[workspace.package]` in the workspace's manifest (a
/// line scan: the manifest is ours, and one key is all the generator needs).
fn workspace_version(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[workspace.package]";
        } else if in_package && let Some(value) = line.strip_prefix("version") {
            let value = value.trim_start().strip_prefix('=')?.trim();
            return Some(value.trim_matches('"').to_string());
        }
    }
    None
}

/// Generates every version found in `root/specs` (in parallel) and the tables
/// that list them.
pub fn plan(root: &Path) -> Result<Plan> {
    let specs = spec::discover(&root.join("specs"))?;
    let versions: Vec<ApiVersion> = specs.iter().map(|(v, _)| *v).collect();

    let outputs = generate::with_quiet_panics(|| generate_parallel(&specs));
    let mut done = Vec::new();
    for output in outputs {
        done.push(output?);
    }

    // Every crate carries the workspace's LICENSE and shares its version.
    let read = |name: &str| {
        let path = root.join(name);
        std::fs::read_to_string(&path).map_err(|source| Error::Io { path, source })
    };
    let license = read("LICENSE")?;
    let workspace_manifest = read("Cargo.toml")?;
    let crate_version =
        workspace_version(&workspace_manifest).ok_or_else(|| Error::InvalidSpec {
            path: root.join("Cargo.toml"),
            message: "no `version = \"…\"` under `[workspace.package]`".into(),
        })?;
    for output in &mut done {
        let dir = Path::new(emit::CRATES_DIR).join(output.version.crate_name());
        output.files.push(emit::OutputFile {
            path: dir.join("LICENSE"),
            contents: license.clone(),
        });
    }

    let mut shared = vec![emit::facade_versions(&versions)];
    let manifest_path = root.join(emit::FACADE_DIR).join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path).map_err(|source| Error::Io {
        path: manifest_path.clone(),
        source,
    })?;
    shared.push(
        emit::facade_manifest(&manifest, &versions, &crate_version).map_err(|message| {
            Error::InvalidSpec {
                path: manifest_path,
                message,
            }
        })?,
    );

    // `crates/CHANGES/`: the API diff of every consecutive pair of versions.
    let models: Vec<&model::ApiModel> = done.iter().map(|v| &v.model).collect();
    let changes = diff::changes_files(&models);
    let mut stale_files = diff::stale_changes_files(root, &changes);
    stale_files.extend(stale_sources(root, &done));
    shared.extend(changes);

    Ok(Plan {
        versions: done,
        shared,
        stale_dirs: stale_crate_dirs(root, &versions),
        stale_files,
    })
}

fn generate_parallel(specs: &[(ApiVersion, PathBuf)]) -> Vec<Result<VersionOutput>> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.min(specs.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((_, path)) = specs.get(i) else { break };
                    let result = generate_version(path);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, result));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Files under a planned crate's `src/` that the plan does not write (a
/// module of an API tag that disappeared, say): stale, so `--check` fails and
/// `regen` removes them.
fn stale_sources(root: &Path, done: &[VersionOutput]) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            return;
        };
        for entry in entries.filter_map(|e| e.ok()) {
            let path = dir.join(entry.file_name());
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => walk(root, &path, out),
                Ok(_) => out.push(path),
                Err(_) => {}
            }
        }
    }
    let mut stale = Vec::new();
    for version in done {
        let src = PathBuf::from(emit::CRATES_DIR)
            .join(version.version.crate_name())
            .join("src");
        let mut found = Vec::new();
        walk(root, &src, &mut found);
        stale.extend(
            found
                .into_iter()
                .filter(|path| !version.files.iter().any(|f| &f.path == path)),
        );
    }
    stale.sort();
    stale
}

fn stale_crate_dirs(root: &Path, versions: &[ApiVersion]) -> Vec<PathBuf> {
    let wanted: Vec<String> = versions.iter().map(|v| v.crate_name()).collect();
    let Ok(entries) = std::fs::read_dir(root.join(emit::CRATES_DIR)) else {
        return Vec::new();
    };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let generated = ApiVersion::from_crate_name(&name).is_some();
            (generated && !wanted.contains(&name))
                .then(|| PathBuf::from(emit::CRATES_DIR).join(name))
        })
        .collect();
    stale.sort();
    stale
}

impl Plan {
    /// Fails when a rule changed nothing in any version ([`rules::never_applied`]):
    /// `cargo xtask regen` and its check refuse dead rules.
    pub fn check_rules(&self) -> Result<()> {
        let never = rules::never_applied(self.versions.iter().map(|v| &v.model.rules));
        if never.is_empty() {
            return Ok(());
        }
        Err(Error::RulesNeverApplied(
            never.iter().map(|r| r.name.to_string()).collect(),
        ))
    }

    /// Every file of the plan, relative to the workspace root.
    pub fn files(&self) -> impl Iterator<Item = &OutputFile> {
        self.versions
            .iter()
            .flat_map(|v| v.files.iter())
            .chain(self.shared.iter())
    }

    /// Paths under `root` that differ from the plan (missing, changed, or stale).
    pub fn differences(&self, root: &Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .files()
            .filter(|f| {
                std::fs::read_to_string(root.join(&f.path)).ok().as_deref() != Some(&f.contents)
            })
            .map(|f| f.path.clone())
            .collect();
        out.extend(self.stale_dirs.iter().cloned());
        out.extend(self.stale_files.iter().cloned());
        out
    }

    /// What `write` would change under `root`, as a unified diff per file
    /// (empty when nothing is stale): what `regen --check` prints.
    pub fn stale_diff(&self, root: &Path) -> String {
        let mut out = String::new();
        for path in self.differences(root) {
            let Some(file) = self.files().find(|f| f.path == path) else {
                out.push_str(&format!("removed: {}\n", path.display()));
                continue;
            };
            let committed = std::fs::read_to_string(root.join(&path)).unwrap_or_default();
            let name = path.display().to_string();
            let diff = similar::TextDiff::from_lines(&committed, &file.contents);
            let text = diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{name}"), &format!("b/{name}"))
                .to_string();
            let lines: Vec<&str> = text.lines().collect();
            for line in lines.iter().take(STALE_DIFF_LINES) {
                out.push_str(line);
                out.push('\n');
            }
            if lines.len() > STALE_DIFF_LINES {
                out.push_str(&format!(
                    "... ({} more lines of diff in {name})\n",
                    lines.len() - STALE_DIFF_LINES
                ));
            }
        }
        out
    }

    /// Writes every changed file (each through a temporary file and a rename,
    /// so an interrupted run leaves no half-written file) and removes stale
    /// crate directories and stale files. Returns what changed.
    pub fn write(&self, root: &Path) -> Result<Vec<PathBuf>> {
        let changed = self.differences(root);
        for file in self.files() {
            if !changed.contains(&file.path) {
                continue;
            }
            let target = root.join(&file.path);
            let io = |source| Error::Io {
                path: target.clone(),
                source,
            };
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            let tmp = target.with_extension("regen-tmp");
            std::fs::write(&tmp, &file.contents).map_err(io)?;
            std::fs::rename(&tmp, &target).map_err(io)?;
        }
        for dir in &self.stale_dirs {
            let path = root.join(dir);
            std::fs::remove_dir_all(&path).map_err(|source| Error::Io { path, source })?;
        }
        for file in &self.stale_files {
            let path = root.join(file);
            if let Err(source) = std::fs::remove_file(&path) {
                return Err(Error::Io { path, source });
            }
            // A module directory left empty goes too (never a crate's `src/`,
            // which always holds lib.rs).
            if let Some(parent) = path.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
        Ok(changed)
    }
}
