//! The generator's one error type.
//!
//! Every variant names the spec file it came from, and the operation or schema
//! when one is to blame, so that a maintainer reading one line knows where to look.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: not valid YAML: {message}")]
    Yaml { path: PathBuf, message: String },

    #[error("{path}: {message}")]
    InvalidSpec { path: PathBuf, message: String },

    #[error("{path}: Swagger 2.0 to OpenAPI 3 conversion failed: {message}")]
    Conversion { path: PathBuf, message: String },

    /// The spec has a construct the generator cannot turn into Rust.
    #[error("{path}: {}{message}", location.as_deref().map(|l| format!("{l}: ")).unwrap_or_default())]
    Generation {
        path: PathBuf,
        /// `operation ContainerList (GET /containers/json)` or `schema Foo`.
        location: Option<String>,
        message: String,
    },

    #[error("no spec files (v<MAJOR>.<MINOR>.yaml) in {0}")]
    NoSpecs(PathBuf),

    /// Rules that changed nothing in any spec: dead, or no longer matching.
    #[error(
        "rule(s) {} changed nothing in any spec: delete a rule whose quirk upstream fixed, or repair its match",
        .0.join(", ")
    )]
    RulesNeverApplied(Vec<String>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
