//! OpenAPI 3 document → Rust source, with progenitor used as a library.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::spec::{HTTP_METHODS, operations_of};

/// Which progenitor interface the crates use; see the README for the choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interface {
    /// `client.container_list().all(true).send().await`
    #[default]
    Builder,
    /// `client.container_list(Some(true), None, None, None).await`
    Positional,
}

/// Output of progenitor for one spec.
pub struct Generated {
    pub file: syn::File,
}

/// Runs progenitor on a normalised OpenAPI 3 document.
///
/// progenitor reports some unsupported inputs by panicking (`todo!`,
/// `assert!`). A panic is caught and turned into an error that names the
/// operation responsible, found by generating each operation on its own.
pub fn generate(path: &Path, openapi: &Value, interface: Interface) -> Result<Generated> {
    match run_progenitor(openapi, interface) {
        Ok(tokens) => {
            let file = syn::parse2::<syn::File>(tokens).map_err(|e| Error::Generation {
                path: path.to_path_buf(),
                location: None,
                message: format!("progenitor produced code that does not parse: {e}"),
            })?;
            Ok(Generated { file })
        }
        Err(message) => Err(Error::Generation {
            path: path.to_path_buf(),
            location: blame_operation(openapi, interface),
            message,
        }),
    }
}

fn settings(interface: Interface) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(match interface {
            Interface::Builder => InterfaceStyle::Builder,
            Interface::Positional => InterfaceStyle::Positional,
        })
        .with_tag(TagStyle::Merged)
        // The generator emits `impl ClientHooks for Client` itself (upgrade
        // headers); `Expected` makes a missing impl a compile error.
        .with_hooks(progenitor::HooksMode::Expected)
        // Every `Client` carries how its requests travel: reqwest, or the
        // runtime's unix-socket transport (see its module for why).
        .with_inner_type(quote::quote!(::docker_engine_api_runtime::Transport))
        .with_derive("PartialEq");
    settings
}

/// Parses the document and runs progenitor; a panic becomes an `Err`.
fn run_progenitor(
    openapi: &Value,
    interface: Interface,
) -> Result<proc_macro2::TokenStream, String> {
    let spec: openapiv3::OpenAPI = serde_json::from_value(openapi.clone())
        .map_err(|e| format!("not a valid OpenAPI 3.0 document after conversion: {e}"))?;
    let outcome = catch_panic(|| {
        let mut generator = Generator::new(&settings(interface));
        generator.generate_tokens(&spec)
    });
    match outcome {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(format!("progenitor: {e}")),
        Err(panic) => Err(format!("progenitor cannot handle this input ({panic})")),
    }
}

/// Runs `f` with panic messages silenced (the process-wide hook is swapped for
/// the duration): the generator reports panics it catches as errors, and a
/// maintainer should see one clear line, not a backtrace.
pub fn with_quiet_panics<T>(f: impl FnOnce() -> T) -> T {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    match result {
        Ok(value) => value,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Runs `f`, turning a panic into its message.
pub(crate) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .map(|s| first_line(s))
            .or_else(|| payload.downcast_ref::<&str>().map(|s| first_line(s)))
            .unwrap_or_else(|| "panic without message".to_string())
    })
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

/// Finds the first operation that fails on its own (all schemas kept), or the
/// first schema if every operation passes alone.
fn blame_operation(openapi: &Value, interface: Interface) -> Option<String> {
    for op in operations_of(openapi) {
        // The document with this one operation (and its path's shared parameters).
        let mut item = openapi["paths"][op.path].as_object()?.clone();
        item.retain(|m, _| m == op.method || !HTTP_METHODS.contains(&m.as_str()));
        let mut single = openapi.clone();
        single["paths"] = serde_json::json!({ op.path: item });
        if run_progenitor(&single, interface).is_err() {
            return Some(op.describe());
        }
    }
    let mut no_paths = openapi.clone();
    no_paths["paths"] = serde_json::json!({});
    run_progenitor(&no_paths, interface)
        .is_err()
        .then(|| "the schemas in components/schemas".to_string())
}
