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

pub mod convert;
pub mod error;
pub mod fixups;
pub mod generate;
pub mod postprocess;
pub mod spec;
pub mod version;

pub use error::{Error, Result};
pub use version::ApiVersion;

use std::path::Path;

/// Runs steps 1–4 on one spec file and returns formatted Rust source.
pub fn generate_source(path: &Path, interface: generate::Interface) -> Result<String> {
    let spec = spec::SpecFile::load(path)?;
    let facts = fixups::SwaggerFacts::from_swagger(&spec.doc);
    let mut openapi = convert::swagger_to_openapi(path, &spec.doc)?;
    fixups::apply(&mut openapi, &facts);
    let mut generated = generate::generate(path, &openapi, interface)?;
    postprocess::apply(&mut generated.file);
    Ok(prettyplease::unparse(&generated.file))
}
