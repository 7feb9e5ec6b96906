//! The few Engine API calls the xtask makes itself, the same on dockerd and
//! on podman's Docker-compatible service: ping, version, stopping containers.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::http;

/// Whether the daemon at `socket` answers `GET /_ping` with `OK`.
pub fn ping(socket: &Path) -> bool {
    http::request(socket, "GET", "/_ping", None, Duration::from_secs(3))
        .is_ok_and(|r| r.status == 200 && r.body == b"OK")
}

/// The ids of the daemon's running containers (none when it does not answer).
fn running_containers(socket: &Path) -> Vec<String> {
    let timeout = Duration::from_secs(10);
    let Ok(response) = http::request(socket, "GET", "/containers/json", None, timeout) else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Array(containers)) = response.json() else {
        return Vec::new();
    };
    containers
        .iter()
        .filter_map(|c| Some(c.get("Id")?.as_str()?.to_string()))
        .collect()
}

/// Kills the daemon's running containers, so that it then stops at once instead
/// of giving each container its stop timeout (10 s by default, all of it for
/// `sleep` as pid 1, which ignores SIGTERM). Test containers need no graceful stop.
pub fn kill_containers(socket: &Path) {
    let timeout = Duration::from_secs(10);
    for id in running_containers(socket) {
        let path = format!("/containers/{id}/kill");
        let _ = http::request(socket, "POST", &path, None, timeout);
    }
}

pub struct DaemonVersion {
    pub version: String,
    pub api_version: String,
    pub min_api_version: String,
}

/// The daemon's `GET /version`.
pub fn version(socket: &Path) -> Result<DaemonVersion> {
    let response = http::request(socket, "GET", "/version", None, Duration::from_secs(30))?;
    if response.status != 200 {
        bail!(
            "GET /version answered {}: {}",
            response.status,
            response.text()
        );
    }
    let json = response.json()?;
    let field = |name: &str| {
        json.get(name)
            .and_then(|v| v.as_str())
            .map(String::from)
            .with_context(|| format!("GET /version has no {name}: {json}"))
    };
    Ok(DaemonVersion {
        version: field("Version")?,
        api_version: field("ApiVersion")?,
        min_api_version: field("MinAPIVersion")?,
    })
}
