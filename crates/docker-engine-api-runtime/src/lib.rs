//! The hand-written runtime of the generated Docker Engine API crates
//! (`docker-engine-api-v1-NN`), and the Engine API versions everything in
//! the workspace names.
//!
//! Generated code is thin glue: each operation builds its request and calls
//! into this crate, which is compiled, linted, documented and tested on its
//! own, once, instead of being stamped into every generated crate.
//!
//! - [`ApiVersion`]: a version and every name derived from it (spec file,
//!   crate, library, cargo feature, module and variant names, path prefix);
//! - [`Protocol`]: what a connection upgrade switches to;
//! - with the `client` feature (the default): [`Error`], the error of every
//!   generated call (it prints like the Docker CLI: `No such container: x
//!   (HTTP 404)`); [`exchange`], the one exchange
//!   every generated operation shares (send, status, Docker's error
//!   body, bounded, [`error_message`]); [`Transport`], how a generated
//!   client's requests travel (reqwest, or [`UnixTransport`]: hyper's HTTP/1
//!   connections to a unix socket, without reqwest's stack); the success readers ([`read_json`], [`read_json_or_empty`], [`read_empty`],
//!   [`read_stream`], [`read_upgrade`]) and the upgrade headers
//!   ([`request_upgrade`], [`websocket_key`]).

#[cfg(feature = "client")]
mod error;
#[cfg(feature = "client")]
mod error_body;
#[cfg(feature = "client")]
mod exchange;
#[cfg(feature = "client")]
mod hand_off;
mod protocol;
#[cfg(feature = "client")]
mod transport;
#[cfg(feature = "client")]
mod upgrade;
mod version;

#[cfg(feature = "client")]
pub use error::Error;
#[cfg(feature = "client")]
pub use error_body::{MAX_ERROR_BODY, cut_message, error_message, read_error_body};
#[cfg(feature = "client")]
pub use exchange::{
    DaemonError, Expect, exchange, read_empty, read_json, read_json_or_empty, read_stream,
    read_upgrade,
};
pub use protocol::{ParseProtocolError, Protocol};
#[cfg(feature = "client")]
pub use transport::{SendError, Transport, UnixTransport, UnixTransportBuilder};
#[cfg(feature = "client")]
pub use upgrade::{request_upgrade, websocket_key};
pub use version::{ApiVersion, ParseVersionError};
