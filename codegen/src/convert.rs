//! Swagger 2.0 → OpenAPI 3.0, with the `swagger2openapi` crate.
//!
//! The crate is a port of the reference JavaScript converter (Mermade's
//! `swagger2openapi`); we pin it exactly and snapshot-test its output on the
//! committed specs (`codegen/tests/conversion.rs`). Two options matter:
//!
//! - `patch`: repairs small schema errors the way the reference tool does.
//! - `RefSiblings::AllOf`: Docker writes `$ref` next to `x-nullable: true` (for
//!   example `ContainerState.Health`); the default would drop the sibling and
//!   with it the nullability. Wrapping in `allOf` keeps both.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// Converts a Swagger 2.0 document into an OpenAPI 3.0 document (as JSON).
pub fn swagger_to_openapi(path: &Path, swagger: &Value) -> Result<Value> {
    let mut options = swagger2openapi::Options::new();
    options.patch = true;
    options.ref_siblings = swagger2openapi::RefSiblings::AllOf;
    swagger2openapi::convert_obj(swagger, &mut options).map_err(|e| Error::Conversion {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(std::mem::take(&mut options.openapi))
}
