//! Where swagger files are read from: upstream over HTTP(S), or a directory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use docker_engine_api_codegen::ApiVersion;

use super::manifest::{self, Manifest};

/// Connecting to a host that does not answer fails after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// One file, from connecting to the last byte of the body.
const FILE_TIMEOUT: Duration = Duration::from_secs(120);
/// The swagger files are about 0.5 MB; refuse anything absurdly larger
/// rather than filling memory from a misbehaving server.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Where one version is read from and what the manifest should call it.
pub struct Target {
    /// The URL or file path actually read (shown in progress and errors).
    pub location: String,
    /// The `url` the manifest records for the version if its entry is
    /// (re)written: a directory path is no use to anyone else, so for
    /// `--source DIR` this stays the recorded (or else the upstream) URL.
    pub recorded_url: String,
}

/// Why one version could not be read.
pub enum GetError {
    /// HTTP 404 or no such file: the version does not exist there.
    NotFound(String),
    /// The host could not be reached or did not answer in time; later
    /// downloads from the same place would fail the same way.
    Unreachable(String),
    /// Anything else (another HTTP status, a read error).
    Other(String),
}

impl GetError {
    pub fn message(&self) -> &str {
        match self {
            GetError::NotFound(m) | GetError::Unreachable(m) | GetError::Other(m) => m,
        }
    }
}

enum Origin {
    /// The manifest's own URLs (`--source` not given).
    Manifest,
    /// `--source URL-TEMPLATE`.
    Template(String),
    /// `--source DIR`.
    Dir(PathBuf),
}

pub struct Source {
    origin: Origin,
    /// Built only when something is downloaded over HTTP.
    client: Option<reqwest::blocking::Client>,
}

impl Source {
    /// Interprets `--source` (absent: the manifest's URLs).
    pub fn new(arg: Option<&str>) -> Result<Self> {
        let origin = match arg {
            None => Origin::Manifest,
            Some(arg) => parse_origin(arg)?,
        };
        let client = match origin {
            Origin::Dir(_) => None,
            Origin::Manifest | Origin::Template(_) => Some(http_client()?),
        };
        Ok(Self { origin, client })
    }

    pub fn target(&self, version: ApiVersion, manifest: &Manifest) -> Target {
        match &self.origin {
            Origin::Manifest => {
                // Always the template at the pinned ref, so that moving
                // [source].ref moves every download.
                let url = manifest.default_url(version);
                Target {
                    location: url.clone(),
                    recorded_url: url,
                }
            }
            Origin::Template(template) => {
                let url = manifest::expand(template, version, manifest.git_ref());
                Target {
                    location: url.clone(),
                    recorded_url: url,
                }
            }
            Origin::Dir(dir) => Target {
                location: dir.join(version.spec_file_name()).display().to_string(),
                recorded_url: manifest.url(version),
            },
        }
    }

    /// Whether this is the manifest's own upstream (no `--source`): only
    /// then does a download move a version's recorded `url` to the pinned
    /// ref; a mirror or a directory with the same bytes leaves it alone.
    pub fn is_upstream(&self) -> bool {
        matches!(self.origin, Origin::Manifest)
    }

    /// The verb for progress lines.
    pub fn verb(&self) -> &'static str {
        match self.origin {
            Origin::Dir(_) => "reading",
            Origin::Manifest | Origin::Template(_) => "downloading",
        }
    }

    /// Reads `target` into memory.
    pub fn get(&self, target: &Target) -> Result<Vec<u8>, GetError> {
        match &self.client {
            None => read_file(Path::new(&target.location)),
            Some(client) => download(client, &target.location),
        }
    }
}

fn parse_origin(arg: &str) -> Result<Origin> {
    if arg.contains("{version}") {
        if !(arg.starts_with("https://") || arg.starts_with("http://")) {
            bail!("--source {arg}: a URL template must start with https:// or http://");
        }
        return Ok(Origin::Template(arg.to_owned()));
    }
    if arg.contains("://") {
        bail!("--source {arg}: a URL template must contain {{version}}");
    }
    let dir = PathBuf::from(arg);
    if !dir.is_dir() {
        bail!(
            "--source {arg}: neither a URL template containing {{version}} nor an existing directory"
        );
    }
    Ok(Origin::Dir(dir))
}

fn http_client() -> Result<reqwest::blocking::Client> {
    // reqwest is built without a bundled crypto provider (see Cargo.toml):
    // use ring, as the rest of the workspace does. An Err only means a
    // provider is already installed, which is just as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(FILE_TIMEOUT)
        .user_agent(concat!(
            "docker-engine-api-xtask/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .context("cannot set up the HTTPS client")
}

fn download(client: &reqwest::blocking::Client, url: &str) -> Result<Vec<u8>, GetError> {
    let response = client
        .get(url)
        // The request timeout covers connecting through the end of the body.
        .timeout(FILE_TIMEOUT)
        .send()
        .map_err(|e| transport_error(url, &e))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(GetError::NotFound(format!("HTTP {status} from {url}")));
    }
    if !status.is_success() {
        return Err(GetError::Other(format!("HTTP {status} from {url}")));
    }
    let mut bytes = Vec::new();
    response
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| GetError::Other(format!("reading {url} failed: {}", error_chain(&e))))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(GetError::Other(format!(
            "{url} is larger than {MAX_FILE_BYTES} bytes; not a swagger file"
        )));
    }
    Ok(bytes)
}

/// A reqwest error as one line: what failed, where, and the root cause
/// (reqwest's own message only says "error sending request").
fn transport_error(url: &str, e: &reqwest::Error) -> GetError {
    let cause = error_chain(e);
    if e.is_timeout() {
        GetError::Unreachable(format!("timed out fetching {url}: {cause}"))
    } else if e.is_connect() {
        GetError::Unreachable(format!("cannot connect to {url}: {cause}"))
    } else if e.is_builder() {
        GetError::Other(format!("invalid URL {url}: {cause}"))
    } else {
        GetError::Other(format!("request to {url} failed: {cause}"))
    }
}

/// The innermost messages of an error's source chain, outermost first,
/// skipping the generic wrappers that repeat the URL or say nothing.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        let generic = text.starts_with("error sending request")
            || text.starts_with("client error")
            || text.starts_with("error decoding response body");
        if !generic && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, GetError> {
    std::fs::read(path).map_err(|e| {
        let message = format!("cannot read {}: {e}", path.display());
        if e.kind() == std::io::ErrorKind::NotFound {
            GetError::NotFound(message)
        } else {
            GetError::Other(message)
        }
    })
}
