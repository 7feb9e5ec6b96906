//! The error of every generated call.
//!
//! progenitor's own `Error` prints an error answer as its whole header map
//! and the `Debug` of its body, which is what a user of `?` into
//! `Box<dyn Error>` or `anyhow` saw. This one has the same variants (so code
//! that matches on them reads the same), and `ConnectionError` for the unix
//! transport, and prints like the facade's errors and the Docker CLI: `No
//! such container: x (HTTP 404)`.

use std::fmt;

use progenitor_client::ResponseValue;

use crate::exchange::DaemonError;

/// The error of a generated operation's `send()` or `upgrade()`.
///
/// `E` is the crate's `types::ErrorResponse`, Docker's error body.
pub enum Error<E> {
    /// A builder's parameter could not be converted (its message says which).
    InvalidRequest(String),
    /// The request did not reach the daemon, or no answer came.
    CommunicationError(reqwest::Error),
    /// The same, over the unix-socket transport ([`crate::UnixTransport`]).
    ConnectionError(crate::SendError),
    /// A `101` answer whose connection could not be taken over.
    InvalidUpgrade(reqwest::Error),
    /// A `4xx`/`5xx` answer, with Docker's error body (or the daemon's text
    /// as its message when the body was not that JSON).
    ErrorResponse(ResponseValue<E>),
    /// The success body could not be read to its end.
    ResponseBodyError(reqwest::Error),
    /// The success body is not the JSON the operation answers.
    InvalidResponsePayload(bytes::Bytes, serde_json::Error),
    /// A status the operation does not expect (`1xx`, `3xx`, a `2xx` where
    /// an upgrade was asked for).
    UnexpectedResponse(reqwest::Response),
    /// What a client hook refused.
    Custom(String),
}

impl<E> Error<E> {
    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Error::ErrorResponse(r) => Some(r.status()),
            Error::UnexpectedResponse(r) => Some(r.status()),
            Error::CommunicationError(e)
            | Error::InvalidUpgrade(e)
            | Error::ResponseBodyError(e) => e.status(),
            Error::InvalidRequest(_)
            | Error::ConnectionError(_)
            | Error::InvalidResponsePayload(..)
            | Error::Custom(_) => None,
        }
    }
}

impl<E: DaemonError> Error<E> {
    /// The daemon's message of an error answer.
    pub fn daemon_message(&self) -> Option<&str> {
        match self {
            Error::ErrorResponse(r) => Some(r.message()),
            _ => None,
        }
    }
}

/// The hooks and progenitor's readers still speak progenitor's error.
impl<E> From<progenitor_client::Error<E>> for Error<E> {
    fn from(err: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match err {
            P::InvalidRequest(m) => Error::InvalidRequest(m),
            P::CommunicationError(e) => Error::CommunicationError(e),
            P::InvalidUpgrade(e) => Error::InvalidUpgrade(e),
            P::ErrorResponse(r) => Error::ErrorResponse(r),
            P::ResponseBodyError(e) => Error::ResponseBodyError(e),
            P::InvalidResponsePayload(b, e) => Error::InvalidResponsePayload(b, e),
            P::UnexpectedResponse(r) => Error::UnexpectedResponse(r),
            P::Custom(m) => Error::Custom(m),
        }
    }
}

/// A request that could not be built or sent (`RequestBuilder::build()?`).
impl<E> From<reqwest::Error> for Error<E> {
    fn from(err: reqwest::Error) -> Self {
        Error::CommunicationError(err)
    }
}

/// A header value that is not one (`X-Registry-Auth` with a newline, say);
/// the text names no value, so no credential reaches it.
impl<E> From<reqwest::header::InvalidHeaderValue> for Error<E> {
    fn from(err: reqwest::header::InvalidHeaderValue) -> Self {
        Error::InvalidRequest(err.to_string())
    }
}

impl<E> From<std::convert::Infallible> for Error<E> {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl<E: DaemonError> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ErrorResponse(r) => {
                let status = r.status().as_u16();
                match r.message() {
                    "" => write!(f, "the daemon answered HTTP {status}"),
                    message => write!(f, "{message} (HTTP {status})"),
                }
            }
            Error::UnexpectedResponse(r) => {
                let status = r.status();
                match r.headers().get(reqwest::header::LOCATION) {
                    Some(to) if status.is_redirection() => write!(
                        f,
                        "the daemon redirected to {} (HTTP {}), which is not followed",
                        String::from_utf8_lossy(to.as_bytes()),
                        status.as_u16()
                    ),
                    _ => write!(
                        f,
                        "the daemon answered HTTP {}, which this operation does not expect",
                        status.as_u16()
                    ),
                }
            }
            Error::CommunicationError(e) => write!(f, "cannot talk to the daemon: {}", chain(e)),
            Error::ConnectionError(e) => write!(f, "cannot talk to the daemon: {}", chain(e)),
            Error::InvalidUpgrade(e) => {
                write!(f, "the connection did not switch protocols: {}", chain(e))
            }
            Error::ResponseBodyError(e) => {
                write!(f, "reading the daemon's answer failed: {}", chain(e))
            }
            Error::InvalidResponsePayload(_, e) => {
                write!(f, "the daemon's answer does not decode: {e}")
            }
            Error::InvalidRequest(m) => write!(f, "invalid request: {m}"),
            Error::Custom(m) => f.write_str(m),
        }
    }
}

/// The variant, the status and Docker's error body; never the headers (nor
/// a success body).
impl<E: fmt::Debug> fmt::Debug for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status().map(|s| s.as_u16());
        match self {
            Error::ErrorResponse(r) => f
                .debug_struct("ErrorResponse")
                .field("status", &status)
                .field("body", r.as_ref())
                .finish(),
            Error::UnexpectedResponse(_) => f
                .debug_struct("UnexpectedResponse")
                .field("status", &status)
                .finish(),
            Error::InvalidRequest(m) => f.debug_tuple("InvalidRequest").field(m).finish(),
            Error::Custom(m) => f.debug_tuple("Custom").field(m).finish(),
            Error::CommunicationError(e) => f.debug_tuple("CommunicationError").field(e).finish(),
            Error::ConnectionError(e) => f.debug_tuple("ConnectionError").field(e).finish(),
            Error::InvalidUpgrade(e) => f.debug_tuple("InvalidUpgrade").field(e).finish(),
            Error::ResponseBodyError(e) => f.debug_tuple("ResponseBodyError").field(e).finish(),
            Error::InvalidResponsePayload(_, e) => {
                f.debug_tuple("InvalidResponsePayload").field(e).finish()
            }
        }
    }
}

impl<E: DaemonError + fmt::Debug> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::CommunicationError(e)
            | Error::InvalidUpgrade(e)
            | Error::ResponseBodyError(e) => Some(e),
            Error::ConnectionError(e) => Some(e),
            Error::InvalidResponsePayload(_, e) => Some(e),
            _ => None,
        }
    }
}

/// An error and its sources in one line, as the Docker CLI prints them
/// (reqwest's own text stops at "error sending request").
fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Body {
        message: String,
    }

    impl DaemonError for Body {
        fn from_message(message: String) -> Self {
            Body { message }
        }
        fn message(&self) -> &str {
            &self.message
        }
    }

    fn answer(status: u16, message: &str) -> Error<Body> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-secret-header", "hunter2".parse().unwrap());
        Error::ErrorResponse(ResponseValue::new(
            Body {
                message: message.into(),
            },
            reqwest::StatusCode::from_u16(status).unwrap(),
            headers,
        ))
    }

    #[test]
    fn an_error_answer_prints_the_daemons_message_and_status() {
        let err = answer(404, "No such container: x");
        assert_eq!(err.to_string(), "No such container: x (HTTP 404)");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
        assert_eq!(err.daemon_message(), Some("No such container: x"));
        assert_eq!(answer(500, "").to_string(), "the daemon answered HTTP 500");
    }

    #[test]
    fn debug_and_boxed_errors_print_no_headers() {
        let err = answer(409, "conflict");
        let debug = format!("{err:?}");
        assert!(
            debug.contains("ErrorResponse") && debug.contains("409"),
            "{debug}"
        );
        assert!(!debug.contains("hunter2"), "{debug}");
        let boxed: Box<dyn std::error::Error> = Box::new(answer(409, "conflict"));
        assert_eq!(boxed.to_string(), "conflict (HTTP 409)");
    }

    #[test]
    fn progenitors_errors_convert_variant_for_variant() {
        let err: Error<Body> = progenitor_client::Error::InvalidRequest("limit: bad".into()).into();
        assert_eq!(err.to_string(), "invalid request: limit: bad");
        let bad = serde_json::from_slice::<Body>(b"[").unwrap_err();
        let err: Error<Body> =
            progenitor_client::Error::InvalidResponsePayload(bytes::Bytes::from_static(b"["), bad)
                .into();
        assert!(
            err.to_string()
                .starts_with("the daemon's answer does not decode: ")
        );
        assert!(std::error::Error::source(&err).is_some());
    }
}
