//! Reading spec files: discovery in `specs/`, YAML parsing, the few checks that
//! make every later step safe to index into the document.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ApiVersion;
use crate::error::{Error, Result};

/// One swagger file, parsed.
#[derive(Debug, Clone)]
pub struct SpecFile {
    pub version: ApiVersion,
    /// Path as given (used in messages and in `@generated` headers).
    pub path: PathBuf,
    /// Hex sha256 of the file's bytes.
    pub sha256: String,
    /// The Swagger 2.0 document.
    pub doc: Value,
}

/// Lists the spec files in `dir`, oldest version first.
pub fn discover(dir: &Path) -> Result<Vec<(ApiVersion, PathBuf)>> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name();
        if let Some(version) = name.to_str().and_then(ApiVersion::from_spec_file_name) {
            found.push((version, entry.path()));
        }
    }
    if found.is_empty() {
        return Err(Error::NoSpecs(dir.to_path_buf()));
    }
    found.sort();
    Ok(found)
}

/// Hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl SpecFile {
    /// Reads and parses `path`, which must be named `v<MAJOR>.<MINOR>.yaml`.
    pub fn load(path: &Path) -> Result<Self> {
        let version = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(ApiVersion::from_spec_file_name)
            .ok_or_else(|| Error::InvalidSpec {
                path: path.to_path_buf(),
                message: "spec files must be named v<MAJOR>.<MINOR>.yaml".into(),
            })?;
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(version, path, &bytes)
    }

    /// Parses spec bytes already in memory.
    pub fn parse(version: ApiVersion, path: &Path, bytes: &[u8]) -> Result<Self> {
        let doc: Value = serde_yaml_ng::from_slice(bytes).map_err(|e| Error::Yaml {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let invalid = |message: String| Error::InvalidSpec {
            path: path.to_path_buf(),
            message,
        };
        match doc.get("swagger").and_then(Value::as_str) {
            Some("2.0") => {}
            Some(other) => return Err(invalid(format!("swagger version {other}, expected 2.0"))),
            None => {
                return Err(invalid(
                    "not a Swagger 2.0 document (no `swagger: \"2.0\"`)".into(),
                ));
            }
        }
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("no `paths` object".into()))?;
        for (p, item) in paths {
            if !item.is_object() {
                return Err(invalid(format!("path `{p}` is not an object")));
            }
        }
        if let Some(defs) = doc.get("definitions")
            && !defs.is_object()
        {
            return Err(invalid("`definitions` is not an object".into()));
        }
        Ok(Self {
            version,
            path: path.to_path_buf(),
            sha256: sha256_hex(bytes),
            doc,
        })
    }

    /// The spec's operations in document order.
    pub fn operations(&self) -> Vec<SpecOperation<'_>> {
        operations_of(&self.doc)
    }
}

/// The operations of a Swagger 2.0 or OpenAPI 3 document, in document order.
pub fn operations_of(doc: &Value) -> Vec<SpecOperation<'_>> {
    let mut ops = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return ops;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if HTTP_METHODS.contains(&method.as_str()) {
                ops.push(SpecOperation {
                    path,
                    method,
                    operation_id: op.get("operationId").and_then(Value::as_str),
                    op,
                });
            }
        }
    }
    ops
}

pub(crate) const HTTP_METHODS: &[&str] =
    &["get", "put", "post", "delete", "options", "head", "patch"];

/// A view of one operation of a spec.
#[derive(Debug, Clone, Copy)]
pub struct SpecOperation<'a> {
    pub path: &'a str,
    pub method: &'a str,
    pub operation_id: Option<&'a str>,
    pub op: &'a Value,
}

impl SpecOperation<'_> {
    /// `operation ContainerList (GET /containers/json)`, for messages.
    pub fn describe(&self) -> String {
        format!(
            "operation {} ({} {})",
            self.operation_id.unwrap_or("<no operationId>"),
            self.method.to_uppercase(),
            self.path
        )
    }
}
