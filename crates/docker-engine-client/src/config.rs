//! Connection settings from the conventions every Docker tool shares:
//! `DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, `DOCKER_API_VERSION`,
//! and Docker CLI contexts (`DOCKER_CONTEXT`, `currentContext` in
//! `$DOCKER_CONFIG/config.json`).
//!
//! Precedence, as in the Docker CLI: `DOCKER_HOST` wins; otherwise the context
//! named by `DOCKER_CONTEXT`, otherwise `currentContext`; otherwise
//! `unix:///var/run/docker.sock`. TLS, once on, always verifies the daemon's
//! certificate, except for a context that says `SkipTLSVerify`.
//!
//! `DOCKER_CLIENT_TIMEOUT` (seconds, as docker-py and Compose read it) sets
//! the connect and request timeouts; see [`Config::request_timeout`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::ApiVersion;
use crate::error::{Error, ErrorKind};
use crate::host::{DEFAULT_HOST, Host};

/// How to reach and talk to a daemon.
#[derive(Clone, Debug)]
pub struct Config {
    pub host: Host,
    /// TLS settings for `tcp://` and `https://` hosts.
    pub tls: Option<TlsSettings>,
    /// A fixed API version (`DOCKER_API_VERSION`): no negotiation.
    pub api_version: Option<ApiVersion>,
    /// Limit on establishing a connection (TCP and TLS, or the unix
    /// socket); default [`Config::DEFAULT_CONNECT_TIMEOUT`]; `None`: no limit.
    pub connect_timeout: Option<Duration>,
    /// Limit on one whole exchange that is not a stream, from sending the
    /// request to the end of the answer; default
    /// [`Config::DEFAULT_REQUEST_TIMEOUT`]; `None`: no limit. Streams
    /// (`logs`, `events`, `attach`, pulls, …) are never cut by it.
    ///
    /// It bounds what the facade sends itself: `/_ping` and negotiation, the
    /// handshake of a hijacked attach or exec, and the error answers it
    /// reads. The generated operations share one exchange, which has no hook
    /// for it yet; bound those with [`Config::read_timeout`].
    pub request_timeout: Option<Duration>,
    /// Limit on waiting for the next bytes of an answer (the headers, then
    /// each read of the body), every request included, streams too; `None`
    /// (the default): no limit, since `logs -f` and `events` may stay silent
    /// for hours.
    pub read_timeout: Option<Duration>,
    /// Arguments given to `ssh` before the ones of an `ssh://` host (which
    /// come after them, see [`crate::SshTarget`]), e.g. `["-F",
    /// "/path/ssh_config"]` or `["-i", "key", "-o", "ConnectTimeout=5"]`;
    /// ssh keeps the first value of each option, so these win over the
    /// defaults added after them and over `~/.ssh/config` (which ssh reads
    /// as always, unless `-F` names another file). Empty by default.
    pub ssh_options: Vec<String>,
    /// Where the host came from (`DOCKER_HOST`, `context "prod"`, `default`).
    pub origin: String,
}

/// TLS material, as PEM files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    /// `ca.pem`: the CA the daemon's certificate must chain to.
    pub ca: Option<PathBuf>,
    /// `cert.pem` and `key.pem`: the client certificate, if the daemon asks.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Verify the daemon's certificate (on unless a context says otherwise).
    pub verify: bool,
}

impl TlsSettings {
    /// `ca.pem`, `cert.pem`, `key.pem` from a directory, each if present.
    pub fn from_dir(dir: &Path, verify: bool) -> Self {
        let file = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
        let client_cert = match (file("cert.pem"), file("key.pem")) {
            (Some(c), Some(k)) => Some((c, k)),
            _ => None,
        };
        Self {
            ca: file("ca.pem"),
            client_cert,
            verify,
        }
    }
}

impl Config {
    /// 30 s: long enough for a daemon across a slow network; the Go client
    /// dials with 32 s (go-connections' `sockets`).
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
    /// 120 s, as bollard: a busy daemon answers a quick call well within it,
    /// and a hung one is noticed. docker-py's 60 s is a limit on each read,
    /// streams included (it cuts quiet `logs -f`); Go has none (callers
    /// bound calls with a context).
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

    /// A configuration for `host`, with no TLS, negotiation on, and the
    /// default timeouts.
    pub fn new(host: Host) -> Self {
        Self {
            host,
            tls: None,
            api_version: None,
            connect_timeout: Some(Self::DEFAULT_CONNECT_TIMEOUT),
            request_timeout: Some(Self::DEFAULT_REQUEST_TIMEOUT),
            read_timeout: None,
            ssh_options: Vec::new(),
            origin: "explicit".into(),
        }
    }

    /// Reads the process environment and the Docker CLI configuration.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(&|name| std::env::var(name).ok(), home_dir().as_deref())
    }

    /// [`Config::from_env`] over any variable lookup (for tests and embedding).
    pub fn from_lookup(
        var: &dyn Fn(&str) -> Option<String>,
        home: Option<&Path>,
    ) -> Result<Self, Error> {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let config_dir = var("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| home.map(|h| h.join(".docker")));

        let api_version = match var("DOCKER_API_VERSION") {
            Some(v) => Some(v.parse::<ApiVersion>().map_err(|e| {
                Error::new(ErrorKind::InvalidConfig, format!("DOCKER_API_VERSION: {e}"))
            })?),
            None => None,
        };

        let mut config = if let Some(host) = var("DOCKER_HOST") {
            let mut config = Config::new(Host::parse(&host)?);
            config.origin = "DOCKER_HOST".into();
            let wants_tls = var("DOCKER_TLS_VERIFY").is_some() || var("DOCKER_TLS").is_some();
            if let Host::Tcp { tls, .. } = &config.host
                && (wants_tls || *tls)
            {
                let dir = var("DOCKER_CERT_PATH")
                    .map(PathBuf::from)
                    .or_else(|| config_dir.clone());
                let settings = match dir {
                    Some(dir) => TlsSettings::from_dir(&dir, true),
                    None => TlsSettings {
                        ca: None,
                        client_cert: None,
                        verify: true,
                    },
                };
                config.host = config.host.with_tls(true);
                config.tls = Some(settings);
            }
            config
        } else {
            let context = var("DOCKER_CONTEXT").or_else(|| {
                config_dir
                    .as_deref()
                    .and_then(|dir| current_context(dir).ok().flatten())
            });
            match (context, &config_dir) {
                (Some(name), Some(dir)) if name != "default" => context_config(dir, &name)?,
                (Some(name), None) if name != "default" => {
                    return Err(Error::new(
                        ErrorKind::InvalidConfig,
                        format!(
                            "context `{name}`: no Docker configuration directory (set DOCKER_CONFIG or HOME)"
                        ),
                    ));
                }
                _ => {
                    let mut config = Config::new(Host::parse(DEFAULT_HOST)?);
                    config.origin = "default".into();
                    config
                }
            }
        };
        config.api_version = api_version;
        if let Some(text) = var("DOCKER_CLIENT_TIMEOUT") {
            let limit = parse_seconds(&text).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidConfig,
                    format!(
                        "DOCKER_CLIENT_TIMEOUT `{text}`: expected a number of seconds (0: no limit)"
                    ),
                )
            })?;
            config.connect_timeout = limit;
            config.request_timeout = limit;
        }
        Ok(config)
    }
}

/// `120`, `2.5`: a limit in seconds; `0`: no limit. `None` when unparsable.
fn parse_seconds(text: &str) -> Option<Option<Duration>> {
    let secs: f64 = text.trim().parse().ok()?;
    if secs == 0.0 {
        return Some(None);
    }
    Duration::try_from_secs_f64(secs).ok().map(Some)
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// `currentContext` from `config.json`, if set.
fn current_context(config_dir: &Path) -> Result<Option<String>, Error> {
    let path = config_dir.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!("{}: {e}", path.display()),
            ));
        }
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::new(ErrorKind::InvalidConfig, format!("{}: {e}", path.display())))?;
    Ok(value
        .get("currentContext")
        .and_then(|c| c.as_str())
        .filter(|c| !c.is_empty())
        .map(str::to_owned))
}

/// Contexts are stored under the hex sha256 of their name.
fn context_id(name: &str) -> String {
    Sha256::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The endpoint and TLS material of a Docker CLI context.
fn context_config(config_dir: &Path, name: &str) -> Result<Config, Error> {
    let id = context_id(name);
    let meta_path = config_dir.join("contexts/meta").join(&id).join("meta.json");
    let invalid =
        |why: String| Error::new(ErrorKind::InvalidConfig, format!("context `{name}`: {why}"));
    let text = std::fs::read_to_string(&meta_path)
        .map_err(|e| invalid(format!("{}: {e}", meta_path.display())))?;
    let meta: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| invalid(format!("{}: {e}", meta_path.display())))?;
    let endpoint = meta
        .pointer("/Endpoints/docker")
        .ok_or_else(|| invalid("no docker endpoint".into()))?;
    let host = endpoint
        .get("Host")
        .and_then(|h| h.as_str())
        .ok_or_else(|| invalid("the docker endpoint has no Host".into()))?;
    let skip_verify = endpoint
        .get("SkipTLSVerify")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);

    let mut config = Config::new(Host::parse_from(
        host,
        &format!("the docker endpoint of context `{name}`"),
    )?);
    config.origin = format!("context `{name}`");
    let tls_dir = config_dir.join("contexts/tls").join(&id).join("docker");
    if let Host::Tcp { .. } = config.host
        && (tls_dir.is_dir() || skip_verify)
    {
        config.tls = Some(TlsSettings::from_dir(&tls_dir, !skip_verify));
        config.host = config.host.with_tls(true);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dea-config-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn default_is_the_local_socket() {
        let c = Config::from_lookup(&lookup(&[]), None).unwrap();
        assert_eq!(c.host, Host::Unix("/var/run/docker.sock".into()));
        assert!(c.tls.is_none() && c.api_version.is_none());
    }

    #[test]
    fn docker_host_and_tls_variables() {
        let dir = temp_dir("tls");
        for f in ["ca.pem", "cert.pem", "key.pem"] {
            std::fs::write(dir.join(f), "x").unwrap();
        }
        let c = Config::from_lookup(
            &lookup(&[
                ("DOCKER_HOST", "tcp://127.0.0.1:2376"),
                ("DOCKER_TLS_VERIFY", "1"),
                ("DOCKER_CERT_PATH", dir.to_str().unwrap()),
                ("DOCKER_API_VERSION", "1.44"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(
            c.host,
            Host::Tcp {
                host: "127.0.0.1".into(),
                port: 2376,
                tls: true
            }
        );
        let tls = c.tls.unwrap();
        assert!(tls.verify);
        assert_eq!(tls.ca, Some(dir.join("ca.pem")));
        assert_eq!(
            tls.client_cert,
            Some((dir.join("cert.pem"), dir.join("key.pem")))
        );
        assert_eq!(c.api_version, Some(ApiVersion::new(1, 44)));
        assert_eq!(c.origin, "DOCKER_HOST");
    }

    #[test]
    fn docker_client_timeout_sets_connect_and_request_timeouts() {
        let default = Config::from_lookup(&lookup(&[]), None).unwrap();
        assert_eq!(default.connect_timeout, Some(Duration::from_secs(30)));
        assert_eq!(default.request_timeout, Some(Duration::from_secs(120)));
        assert_eq!(default.read_timeout, None);
        let set = Config::from_lookup(&lookup(&[("DOCKER_CLIENT_TIMEOUT", "2.5")]), None).unwrap();
        assert_eq!(set.connect_timeout, Some(Duration::from_millis(2500)));
        assert_eq!(set.request_timeout, Some(Duration::from_millis(2500)));
        assert_eq!(set.read_timeout, None, "streams are not cut");
        let off = Config::from_lookup(&lookup(&[("DOCKER_CLIENT_TIMEOUT", "0")]), None).unwrap();
        assert_eq!((off.connect_timeout, off.request_timeout), (None, None));
        for bad in ["soon", "-1", "NaN", "1e400"] {
            let e =
                Config::from_lookup(&lookup(&[("DOCKER_CLIENT_TIMEOUT", bad)]), None).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{bad}");
            assert!(e.message().contains("DOCKER_CLIENT_TIMEOUT"), "{e}");
        }
    }

    #[test]
    fn bad_api_version_is_a_config_error() {
        let e =
            Config::from_lookup(&lookup(&[("DOCKER_API_VERSION", "latest")]), None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.message().contains("DOCKER_API_VERSION"));
    }

    #[test]
    fn current_context_and_docker_context() {
        let dir = temp_dir("ctx");
        std::fs::write(dir.join("config.json"), r#"{"currentContext": "remote"}"#).unwrap();
        for (name, host) in [
            ("remote", "tcp://10.1.2.3:2376"),
            ("other", "unix:///run/other.sock"),
        ] {
            let meta = dir.join("contexts/meta").join(context_id(name));
            std::fs::create_dir_all(&meta).unwrap();
            std::fs::write(
                meta.join("meta.json"),
                format!(r#"{{"Name":"{name}","Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#),
            )
            .unwrap();
        }
        let tls = dir
            .join("contexts/tls")
            .join(context_id("remote"))
            .join("docker");
        std::fs::create_dir_all(&tls).unwrap();
        std::fs::write(tls.join("ca.pem"), "x").unwrap();

        let from_file =
            Config::from_lookup(&lookup(&[("DOCKER_CONFIG", dir.to_str().unwrap())]), None)
                .unwrap();
        assert_eq!(
            from_file.host,
            Host::Tcp {
                host: "10.1.2.3".into(),
                port: 2376,
                tls: true
            }
        );
        assert_eq!(from_file.tls.as_ref().unwrap().ca, Some(tls.join("ca.pem")));
        assert!(from_file.tls.unwrap().verify);
        assert_eq!(from_file.origin, "context `remote`");

        let chosen = Config::from_lookup(
            &lookup(&[
                ("DOCKER_CONFIG", dir.to_str().unwrap()),
                ("DOCKER_CONTEXT", "other"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(chosen.host, Host::Unix("/run/other.sock".into()));

        // DOCKER_HOST overrides any context.
        let overridden = Config::from_lookup(
            &lookup(&[
                ("DOCKER_CONFIG", dir.to_str().unwrap()),
                ("DOCKER_HOST", "unix:///x.sock"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(overridden.host, Host::Unix("/x.sock".into()));

        let missing = Config::from_lookup(
            &lookup(&[
                ("DOCKER_CONFIG", dir.to_str().unwrap()),
                ("DOCKER_CONTEXT", "nope"),
            ]),
            None,
        )
        .unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::InvalidConfig);
        assert!(missing.message().contains("context `nope`"), "{missing}");
    }
}
