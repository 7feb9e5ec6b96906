//! The daemon's error answers to the requests the facade sends itself
//! (`/_ping`, `/version`): read as the generated operations read them
//! (`docker_engine_api_runtime::error_message`, up to 1 MiB),
//! never followed when they redirect.

use docker_engine_api_runtime::{error_message, read_error_body};

use crate::error::Error;

/// The error a non-success answer stands for. A 3xx (other than 304) is a
/// redirect, refused without reading on; anything else keeps its status,
/// its kind and the daemon's message: the `message` of Docker's JSON error
/// body, else the body as text (`text/plain` from a proxy, say). The ssh
/// bridge's own answer (ssh failed) is a connection error, with no status.
pub(crate) async fn error_of(response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    if (300..400).contains(&status) && status != 304 {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        return Error::redirect(status, location.as_deref());
    }
    let bridge_failure = crate::ssh_bridge::failure_kind(response.headers());
    let (body, more) = read_error_body(response).await;
    let message = error_message(&body, more);
    match bridge_failure {
        Some(kind) => Error::new(kind, message),
        None => Error::from_status(status, message),
    }
}
