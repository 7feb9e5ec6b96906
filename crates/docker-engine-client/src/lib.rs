//! A Docker Engine API client that tracks the API itself.
//!
//! Every Engine API version from 1.40 on has its own crate, generated from
//! Docker's official swagger file, with its exact types and operations. This
//! facade connects to a daemon the way every Docker tool does, agrees on an API
//! version, and hands out a typed client. It also owns what a generator cannot
//! express: stream framing, connection upgrades, registry credentials,
//! filters, and one classified [`Error`].
//!
//! ```no_run
//! use docker_engine_client::{Docker, Filters};
//!
//! # async fn run() -> Result<(), docker_engine_client::Error> {
//! let docker = Docker::from_env()?; // DOCKER_HOST, contexts, TLS...
//! let c = docker.latest().await?; // newest types, the daemon's version
//! let running = c
//!     .container_list()
//!     .filters(Filters::new().add("status", "running"))
//!     .send()
//!     .await?
//!     .into_inner();
//! for container in running {
//!     println!("{:?} {:?}", container.id, container.names);
//! }
//! # Ok(()) }
//! ```
//!
//! Version selection (each version crate is a cargo feature, `v1_40` …
//! `v1_55`; `latest` is the newest and on by default):
//! - [`Docker::latest`] gives the newest compiled-in types speaking the
//!   version negotiated with the daemon: it works with every daemon of API
//!   v1.40 or newer, as the official Go client does (requests carry only the
//!   fields you set; answers decode without the fields an older daemon does
//!   not send);
//! - `docker.v1_47()` & co. give one version's exact client, and a typed
//!   error when the daemon does not serve it;
//! - [`Docker::client`] picks, among the compiled-in versions, the exact crate
//!   of the newest version the daemon serves (or the nearest newer one,
//!   speaking the daemon's version: [`Negotiated::exact`] says which) and
//!   returns a [`VersionedClient`]; [`with_api!`] writes code once for every
//!   variant.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `latest` | yes | the newest version crate (`v1_55` today), [`Docker::latest`] and the `latest` module |
//! | `tls` | yes | `tcp://` daemons with TLS (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, contexts), with rustls and ring |
//! | `v1_40` … `v1_55` | no | that version's generated crate: the `v1_NN` module, `docker.v1_NN()`, its [`VersionedClient`] variant |
//! | `all-versions` | no | every version crate |
//!
//! Each version crate adds about 10 s of cold build time (see the README's
//! figures); enable the versions you pin to, or none besides `latest`.
// docs.rs (`--cfg docsrs`, nightly): each version's items with its feature badge.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "tls")]
mod tls;

mod auth;
mod config;
mod docker;
mod error;
mod error_body;
mod filters;
mod hijack;
mod host;
mod idle;
mod json_path;
mod ssh;
mod ssh_bridge;
mod streams;
mod versioned;
mod versions;

pub use auth::{DOCKER_HUB, RegistryAuth, registry_of_image};
pub use config::{Config, TlsSettings};
pub use docker::{Docker, Negotiated, Ping};
pub use docker_engine_api_runtime::{ApiVersion, ParseVersionError};
pub use error::{Error, ErrorKind};
pub use filters::Filters;
pub use hijack::{AttachOptions, ExecStartOptions, Hijacked, HijackedOutput, Stdin};
pub use host::{DEFAULT_HOST, Host};
pub use idle::{IdleTimeout, IdleTimeoutExt};
pub use ssh::SshTarget;
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

/// What most programs import: `use docker_engine_client::prelude::*;` brings the
/// extension traits that decode streaming answers (`.output()`,
/// `.json_lines()`, `.into_async_read()`) and `StreamExt`/`TryStreamExt` to
/// read them (`.next().await`), without a direct dependency on `futures-util`.
pub mod prelude {
    pub use crate::idle::IdleTimeoutExt;
    pub use crate::streams::{ByteStreamExt, ResponseExt};
    pub use futures_util::{StreamExt, TryStreamExt};
}

// The README's examples are compiled as doctests (`cargo test --doc`), with
// the features of the build: its first program with the default features.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
