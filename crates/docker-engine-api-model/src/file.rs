//! `api-model.json`: the model of a generated crate, written beside it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{ApiModel, ApiVersion};

/// The file's name, in the crate's directory.
pub const FILE_NAME: &str = "api-model.json";

/// `crates/docker-engine-api-v1-52/api-model.json` under `crates_dir`.
pub fn model_path(crates_dir: &Path, version: ApiVersion) -> PathBuf {
    crates_dir.join(version.crate_name()).join(FILE_NAME)
}

/// The file: a provenance note and the model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelFile {
    /// Where the model came from, and that it is not to be edited.
    #[serde(rename = "@generated")]
    pub generated: String,
    pub model: ApiModel,
}

/// A model file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not an API model: {source}")]
    Format {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl ModelFile {
    /// Reads and parses a committed `api-model.json`.
    pub fn read(path: &Path) -> Result<Self, ReadError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| ReadError::Format {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The file's contents: pretty JSON, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a model serialises");
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_it_reads() {
        let file = ModelFile {
            generated: "by a test".into(),
            model: ApiModel {
                api_version: ApiVersion::new(1, 52),
                spec_sha256: "00".into(),
                operations: Vec::new(),
                types: Vec::new(),
                rules: Default::default(),
            },
        };
        let dir = std::env::temp_dir().join(format!("dea-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, file.to_json()).unwrap();
        assert_eq!(ModelFile::read(&path).unwrap(), file);
        std::fs::write(&path, "{\"model\": 1}").unwrap();
        let e = ModelFile::read(&path).unwrap_err();
        assert!(e.to_string().contains("not an API model"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            model_path(Path::new("crates"), ApiVersion::new(1, 52)),
            Path::new("crates/docker-engine-api-v1-52/api-model.json")
        );
    }
}
