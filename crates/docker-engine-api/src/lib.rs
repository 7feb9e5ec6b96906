//! A Docker Engine API client that tracks the API itself.
//!
//! Every Engine API version from 1.44 on has its own crate, generated from
//! Docker's official swagger file, with its exact types and operations. This
//! facade connects to a daemon the way every Docker tool does, agrees on an API
//! version, and hands out that version's typed client. It also owns what a
//! generator cannot express: stream framing, connection upgrades, registry
//! credentials, filters, and one classified [`Error`].
//!
//! ```no_run
//! use docker_engine_api::{Docker, Filters};
//!
//! # async fn run() -> Result<(), docker_engine_api::Error> {
//! let docker = Docker::from_env()?;             // DOCKER_HOST, contexts, TLS...
//! let api = docker.v1_52().await?;             // fails if the daemon is older
//! let running = api
//!     .container_list()
//!     .filters(Filters::new().add("status", "running"))
//!     .send()
//!     .await?
//!     .into_inner();
//! for c in running {
//!     println!("{:?} {:?}", c.id, c.names);
//! }
//! # Ok(()) }
//! ```
//!
//! Version selection:
//! - pin one version with a cargo feature (`v1_44` … `v1_52`, or `latest`)
//!   and call `docker.v1_NN()`;
//! - or compile several in and let [`Docker::client`] pick the newest the
//!   daemon serves, returning a [`VersionedClient`]; [`with_api!`] writes code
//!   once for every variant.

#[cfg(feature = "tls")]
mod tls;

mod auth;
mod config;
mod docker;
mod error;
mod filters;
mod hijack;
mod host;
mod json_path;
mod streams;
mod versions;

pub use auth::{DOCKER_HUB, RegistryAuth, registry_of_image};
pub use config::{Config, TlsSettings};
pub use docker::{Docker, Negotiated, Ping};
pub use docker_engine_api_runtime::{ApiVersion, ParseVersionError};
pub use error::{Error, ErrorKind};
pub use filters::Filters;
pub use hijack::{AttachOptions, ExecStartOptions, Hijacked, HijackedOutput, Stdin};
pub use host::{DEFAULT_HOST, Host};
pub use streams::{
    Body, ByteStreamExt, Framing, JsonLines, LogOutput, LogStream, ResponseExt, body_from_reader,
};
pub use versions::*;

/// Decodes JSON into `T` (a generated type, say), with the error of this
/// crate: [`ErrorKind::Decode`] and the JSON path of the field that failed.
pub fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::decode("JSON", bytes, e))
}

/// The types every generated client shares, whatever its version.
pub use progenitor_client::{ByteStream, ResponseValue};
