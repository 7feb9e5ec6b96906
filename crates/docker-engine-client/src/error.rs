//! One error type for everything the facade and the generated clients report.
//!
//! Every error has a [`ErrorKind`] to match on, the daemon's own message when
//! there is one, the HTTP status when there was a response, the daemon address
//! when the facade knows it, and the JSON path of the failing field for decode
//! errors. Nothing that reaches an `Error` carries credentials.

use std::fmt;

use crate::json_path::json_path_at;

/// The most of an error message the facade reads or keeps: 1 MiB, as the
/// Go client caps error bodies. A daemon (or a proxy) that answers more is
/// cut there, saying so.
pub(crate) use docker_engine_api_runtime::{MAX_ERROR_BODY, cut_message};

/// What went wrong, for callers to match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 404: no such container, image, network, volume, ...
    NotFound,
    /// 409: name in use, container running, ...
    Conflict,
    /// 304: already started, already stopped.
    NotModified,
    /// Any other 3xx: the daemon (or something posing as it) redirected the
    /// request. Redirects are never followed, so credentials and request
    /// bodies only ever go to the configured host.
    Redirect,
    /// 401 or 403.
    Unauthorized,
    /// Other 4xx.
    BadRequest,
    /// 5xx.
    Server,
    /// The daemon's API is older than every version compiled into this
    /// build, or the daemon refused a version as too old.
    VersionTooOld,
    /// A version newer than the daemon serves was asked for.
    VersionTooNew,
    /// Cannot connect, or the connection broke.
    Connection,
    /// A configured connect or read timeout elapsed.
    Timeout,
    /// A response or stream item did not decode; see [`Error::json_path`].
    Decode,
    /// A stream reported an error (`{"error": ...}` line) or was malformed.
    Stream,
    /// Bad configuration: `DOCKER_HOST`, certificates, contexts.
    InvalidConfig,
    /// The request could not be built (a missing required parameter).
    InvalidRequest,
    /// Anything else.
    Other,
}

/// The error of every fallible call of this crate.
pub struct Error {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    host: Option<String>,
    json_path: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: None,
            host: None,
            json_path: None,
            source: None,
        }
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Records the daemon address the request went to.
    pub(crate) fn with_host(mut self, host: impl fmt::Display) -> Self {
        if self.host.is_none() {
            self.host = Some(host.to_string());
        }
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The daemon's message, or a description of what failed.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status, when the daemon answered.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The daemon address, when known (`unix:///var/run/docker.sock`).
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// For [`ErrorKind::Decode`]: where in the JSON the value did not fit,
    /// e.g. `[2].Ports[0].PrivatePort`.
    pub fn json_path(&self) -> Option<&str> {
        self.json_path.as_deref()
    }

    /// Classifies an HTTP error status and the daemon's message.
    pub(crate) fn from_status(status: u16, message: String) -> Self {
        let lower = message.to_lowercase();
        let kind = match status {
            304 => ErrorKind::NotModified,
            300..=399 => ErrorKind::Redirect,
            400 if lower.contains("is too old") => ErrorKind::VersionTooOld,
            400 if lower.contains("is too new") => ErrorKind::VersionTooNew,
            401 | 403 => ErrorKind::Unauthorized,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            400..=499 => ErrorKind::BadRequest,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Other,
        };
        let message = if message.is_empty() {
            match status {
                304 => "not modified (already in the requested state)".to_string(),
                _ => format!("the daemon answered HTTP {status}"),
            }
        } else {
            message
        };
        Error::new(kind, message).with_status(status)
    }

    /// A 3xx other than 304: refused, never followed. `location` is shown
    /// without any user info it may carry.
    pub(crate) fn redirect(status: u16, location: Option<&str>) -> Self {
        let to = match location {
            Some(l) => format!(" to `{}`", shorten(&crate::host::redact_userinfo(l), 1024)),
            None => " without a Location".to_string(),
        };
        Error::new(
            ErrorKind::Redirect,
            format!(
                "the daemon answered HTTP {status} (a redirect{to}); redirects are not followed, \
                 so nothing was sent there"
            ),
        )
        .with_status(status)
    }

    /// A JSON decode failure of `bytes`, with the path of the failing field.
    pub(crate) fn decode(what: &str, bytes: &[u8], err: serde_json::Error) -> Self {
        let path = json_path_at(bytes, err.line(), err.column());
        let at = path
            .as_deref()
            .map(|p| format!(" at `{p}`"))
            .unwrap_or_default();
        let mut e = Error::new(
            ErrorKind::Decode,
            format!("cannot decode {what}{at}: {err}"),
        )
        .with_source(err);
        e.json_path = path;
        e
    }

    /// A failure to reach or talk to the daemon.
    pub(crate) fn transport(err: reqwest::Error) -> Self {
        let timed_out = err.is_timeout();
        Error::unreachable(err, timed_out)
    }

    /// A failure to reach or talk to the daemon, through any transport:
    /// `Timeout` when a time limit ended it, else `Connection`.
    pub(crate) fn unreachable(
        err: impl std::error::Error + Send + Sync + 'static,
        timed_out: bool,
    ) -> Self {
        let kind = if timed_out {
            ErrorKind::Timeout
        } else {
            ErrorKind::Connection
        };
        Error::new(kind, error_chain(&err)).with_source(err)
    }
}

/// At most `max` bytes of `text`, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// `outer: inner: innermost`, each message once.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match (self.status, &self.host) {
            (Some(status), Some(host)) => write!(f, " (HTTP {status} from {host})"),
            (Some(status), None) => write!(f, " (HTTP {status})"),
            (None, Some(host)) => write!(f, " (daemon at {host})"),
            (None, None) => Ok(()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("status", &self.status)
            .field("host", &self.host)
            .field("json_path", &self.json_path)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

/// Errors of the generated clients, whatever their version: every version's
/// error body is Docker's `ErrorResponse` (`{"message": ...}`), read through
/// the runtime's [`DaemonError`](docker_engine_api_runtime::DaemonError).
impl<E: docker_engine_api_runtime::DaemonError> From<docker_engine_api_runtime::Error<E>>
    for Error
{
    fn from(err: docker_engine_api_runtime::Error<E>) -> Self {
        use docker_engine_api_runtime::Error as P;
        match err {
            P::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let bridge_failure = crate::ssh_bridge::failure_kind(response.headers());
                let message = cut_message(response.message().to_owned(), false);
                match bridge_failure {
                    // ssh failed before the daemon answered: not an HTTP status.
                    Some(kind) => Error::new(kind, message),
                    None => Error::from_status(status, message),
                }
            }
            // Statuses the generated exchange does not expect: 1xx, 2xx on
            // an upgrade, 3xx. A redirect says where to, but is not followed.
            P::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                if (300..400).contains(&status) && status != 304 {
                    let location = response
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                    Error::redirect(status, location.as_deref())
                } else {
                    Error::from_status(status, String::new())
                }
            }
            P::InvalidResponsePayload(bytes, e) => {
                Error::decode("the daemon's response", &bytes, e)
            }
            P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
                Error::transport(e)
            }
            P::ConnectionError(e) => {
                let timed_out = e.is_timeout();
                Error::unreachable(e, timed_out)
            }
            P::InvalidRequest(message) => Error::new(ErrorKind::InvalidRequest, message),
            P::Custom(message) => Error::new(ErrorKind::Other, message),
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(err: reqwest::Error) -> Self {
        Error::transport(err)
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        let kind = match err.kind() {
            std::io::ErrorKind::TimedOut => ErrorKind::Timeout,
            _ => ErrorKind::Connection,
        };
        Error::new(kind, crate::error::error_chain(&err)).with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_statuses_and_version_messages() {
        let cases = [
            (304, "", ErrorKind::NotModified),
            (
                400,
                "client version 1.20 is too old. Minimum supported API version is 1.24",
                ErrorKind::VersionTooOld,
            ),
            (
                400,
                "client version 1.99 is too new. Maximum supported API version is 1.51",
                ErrorKind::VersionTooNew,
            ),
            (400, "invalid filter", ErrorKind::BadRequest),
            (401, "x", ErrorKind::Unauthorized),
            (404, "No such container: x", ErrorKind::NotFound),
            (
                409,
                "Conflict. The container name is already in use",
                ErrorKind::Conflict,
            ),
            (500, "boom", ErrorKind::Server),
        ];
        for (status, message, kind) in cases {
            let e = Error::from_status(status, message.to_string());
            assert_eq!(e.kind(), kind, "{status} {message}");
            assert_eq!(e.status(), Some(status));
            assert!(!e.message().is_empty());
        }
    }

    #[test]
    fn redirects_name_status_and_location_without_user_info() {
        let e = Error::redirect(
            307,
            Some("http://mallory:pw@10.0.0.9:2375/v1.51/images/create"),
        );
        assert_eq!((e.kind(), e.status()), (ErrorKind::Redirect, Some(307)));
        assert!(
            e.message()
                .contains("`http://***@10.0.0.9:2375/v1.51/images/create`"),
            "{e}"
        );
        assert!(!e.to_string().contains("pw@"), "{e}");
        assert!(
            Error::redirect(301, None)
                .message()
                .contains("without a Location")
        );
        assert_eq!(
            Error::from_status(302, String::new()).kind(),
            ErrorKind::Redirect
        );
    }

    #[test]
    fn decode_errors_name_the_field() {
        let body = br#"[{"Id": "a", "Ports": [{"PrivatePort": "not a number"}]}]"#;
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Port {
            #[serde(rename = "PrivatePort")]
            private_port: u16,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Summary {
            #[serde(rename = "Ports")]
            ports: Vec<Port>,
        }
        let err = serde_json::from_slice::<Vec<Summary>>(body).unwrap_err();
        let e = Error::decode("containers", body, err);
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert_eq!(e.json_path(), Some("[0].Ports[0].PrivatePort"));
        assert!(e.to_string().contains("[0].Ports[0].PrivatePort"), "{e}");
    }
}
