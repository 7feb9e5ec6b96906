//! [`Docker`]: the connection to one daemon, and API version negotiation.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::ApiVersion;
use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::host::Host;
use crate::versions::{COMPILED, VersionedClient};

/// A handle on one Docker daemon: the HTTP connection pool, the daemon's
/// address, and the API version agreed with it. Cheap to clone; clones share
/// the pool and the negotiated version.
#[derive(Clone)]
pub struct Docker {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    host: Host,
    base_url: String,
    pinned: Option<ApiVersion>,
    negotiated: Mutex<Option<Negotiated>>,
}

/// The outcome of negotiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The version every request uses (`/vX.Y` prefix).
    pub version: ApiVersion,
    /// The daemon's maximum, from `/_ping`'s `Api-Version` header (`None` when
    /// the version was pinned or the daemon sent no header).
    pub daemon_max: Option<ApiVersion>,
}

/// What `/_ping` says about the daemon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ping {
    /// `Api-Version`: the daemon's maximum API version, as sent.
    pub api_version: Option<String>,
    /// `OSType`: `linux` or `windows`.
    pub os_type: Option<String>,
    /// `Docker-Experimental`.
    pub experimental: bool,
    /// `Builder-Version`: `1` (classic) or `2` (BuildKit).
    pub builder_version: Option<String>,
    /// `Swarm`: e.g. `inactive`, `active/manager`.
    pub swarm: Option<String>,
}

impl std::fmt::Debug for Docker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Docker")
            .field("host", &self.inner.host)
            .field("pinned", &self.inner.pinned)
            .field("negotiated", &*self.lock())
            .finish()
    }
}

impl Docker {
    /// Connects as every Docker tool does: `DOCKER_HOST`, TLS variables,
    /// `DOCKER_API_VERSION`, contexts; see [`Config::from_env`]. No request is
    /// sent until the first call.
    pub fn from_env() -> Result<Self, Error> {
        Self::connect(Config::from_env()?)
    }

    /// A daemon on a unix socket.
    pub fn unix(path: impl Into<std::path::PathBuf>) -> Result<Self, Error> {
        Self::connect(Config::new(Host::Unix(path.into())))
    }

    /// Builds the HTTP client for `config`; sends nothing.
    pub fn connect(config: Config) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("docker-engine-api-rs/", env!("CARGO_PKG_VERSION")))
            // Idle pooled connections are closed after a while; the daemon
            // keeps its own limit too.
            .pool_idle_timeout(Duration::from_secs(60));
        if let Some(t) = config.read_timeout {
            builder = builder.read_timeout(t);
        }
        match &config.host {
            Host::Unix(path) => {
                builder = without_tls(builder.unix_socket(path.clone()))?;
            }
            Host::Tcp { tls: true, .. } => {
                builder = with_tls(builder, &config)?.connect_timeout(connect_timeout(&config));
            }
            Host::Tcp { tls: false, .. } => {
                builder = without_tls(builder)?.connect_timeout(connect_timeout(&config));
            }
        }
        let http = builder.build().map_err(|e| {
            Error::new(
                ErrorKind::InvalidConfig,
                format!("cannot build the HTTP client: {e}"),
            )
            .with_host(&config.host)
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                base_url: config.host.base_url(),
                host: config.host,
                http,
                pinned: config.api_version,
                negotiated: Mutex::new(None),
            }),
        })
    }

    /// The daemon's address.
    pub fn host(&self) -> &Host {
        &self.inner.host
    }

    /// `HEAD /_ping` (falling back to `GET`), without a version prefix, as the
    /// official clients do: it answers whatever version the daemon serves.
    pub async fn ping(&self) -> Result<Ping, Error> {
        let url = format!("{}/_ping", self.inner.base_url);
        let head = self.inner.http.head(&url).send().await;
        let response = match head {
            Ok(r) if r.status().is_success() => r,
            // Some proxies and old daemons refuse HEAD; GET answers the same headers.
            Ok(_) => self
                .inner
                .http
                .get(&url)
                .send()
                .await
                .map_err(|e| self.unreachable(e))?,
            Err(e) => return Err(self.unreachable(e)),
        };
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let ping = Ping {
            api_version: header("api-version"),
            os_type: header("ostype"),
            experimental: header("docker-experimental").is_some_and(|v| v == "true"),
            builder_version: header("builder-version"),
            swarm: header("swarm"),
        };
        let status = response.status();
        if !status.is_success() {
            let message = response.text().await.unwrap_or_default();
            return Err(
                Error::from_status(status.as_u16(), message.trim().to_string())
                    .with_host(self.host()),
            );
        }
        Ok(ping)
    }

    fn unreachable(&self, e: reqwest::Error) -> Error {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Connection
        };
        Error::new(
            kind,
            format!(
                "cannot reach the Docker daemon: {}",
                crate::error::error_chain(&e)
            ),
        )
        .with_source(e)
        .with_host(self.host())
    }

    /// The API version to use with this daemon, negotiated once (the first
    /// call pings the daemon) and then cached; see [`Docker::renegotiate`].
    ///
    /// The rules of the official Go client, except that failures are
    /// returned: a pinned version (`DOCKER_API_VERSION`) is used as is; else
    /// the daemon's maximum (`Api-Version` of `/_ping`) is capped to the
    /// newest version compiled in, and stepped down to the newest compiled-in
    /// version not above it. An empty header means "the newest"; an
    /// unparsable one, or a daemon older than every compiled-in version, is
    /// an error that says so.
    pub async fn negotiate(&self) -> Result<Negotiated, Error> {
        if let Some(done) = *self.lock() {
            return Ok(done);
        }
        self.renegotiate().await
    }

    /// Negotiates again (after a daemon upgrade, say) and caches the result.
    pub async fn renegotiate(&self) -> Result<Negotiated, Error> {
        let outcome = match self.inner.pinned {
            Some(version) => Negotiated {
                version,
                daemon_max: None,
            },
            None => {
                let ping = self.ping().await?;
                let daemon_max = match ping.api_version.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(v) => Some(v.parse::<ApiVersion>().map_err(|_| {
                        Error::new(
                            ErrorKind::Other,
                            format!("the daemon sent an unparsable Api-Version header `{v}`"),
                        )
                        .with_host(self.host())
                    })?),
                };
                Negotiated {
                    version: choose(daemon_max, COMPILED).map_err(|e| e.with_host(self.host()))?,
                    daemon_max,
                }
            }
        };
        *self.lock() = Some(outcome);
        Ok(outcome)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Negotiated>> {
        // The guarded value is a plain Copy value: a panic elsewhere cannot
        // leave it half-written, so a poisoned lock is still usable.
        self.inner
            .negotiated
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The typed client of the negotiated version.
    pub async fn client(&self) -> Result<VersionedClient, Error> {
        let negotiated = self.negotiate().await?;
        VersionedClient::new(
            negotiated.version,
            &self.inner.base_url,
            self.inner.http.clone(),
        )
        .ok_or_else(|| not_compiled(negotiated.version).with_host(self.host()))
    }

    /// The typed client of a given version, if it is compiled in and the
    /// daemon serves it (for code that walks several versions; a single
    /// version is simpler with `docker.v1_47()` & co).
    pub async fn client_for(&self, version: ApiVersion) -> Result<VersionedClient, Error> {
        self.require(version).await?;
        VersionedClient::new(version, &self.inner.base_url, self.inner.http.clone())
            .ok_or_else(|| not_compiled(version).with_host(self.host()))
    }

    /// Checks that the daemon serves `version` (for `docker.v1_47()` & co).
    pub(crate) async fn require(&self, version: ApiVersion) -> Result<(), Error> {
        let negotiated = self.negotiate().await?;
        let max = negotiated.daemon_max.or(self.inner.pinned);
        match max {
            Some(max) if version > max => Err(Error::new(
                ErrorKind::VersionTooNew,
                format!("API v{version} was asked for, but the daemon serves at most v{max}"),
            )
            .with_host(self.host())),
            _ => Ok(()),
        }
    }

    /// `http://host/vX.Y`: the base URL of `version`'s client.
    pub(crate) fn versioned_url(&self, version: ApiVersion) -> String {
        format!("{}/v{version}", self.inner.base_url)
    }

    /// The shared HTTP client (connection pool).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }
}

fn not_compiled(version: ApiVersion) -> Error {
    Error::new(
        ErrorKind::InvalidConfig,
        format!(
            "API v{version} is not compiled into this build (enable the `{}` feature; compiled in: {})",
            version.ident(),
            list(COMPILED)
        ),
    )
}

fn list(versions: &[ApiVersion]) -> String {
    if versions.is_empty() {
        return "none".into();
    }
    versions
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn connect_timeout(config: &Config) -> Duration {
    config.connect_timeout.unwrap_or(Duration::from_secs(30))
}

/// reqwest built with `rustls-no-provider` refuses to build any client, even
/// a plain-HTTP one, without a crypto provider. We do not install a
/// process-wide provider (that is the application's choice), so plain clients
/// get an explicit TLS configuration they never use.
#[cfg(feature = "tls")]
fn without_tls(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, Error> {
    Ok(builder.tls_backend_preconfigured(crate::tls::unused_config()?))
}

#[cfg(not(feature = "tls"))]
fn without_tls(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, Error> {
    Ok(builder)
}

#[cfg(feature = "tls")]
fn with_tls(
    builder: reqwest::ClientBuilder,
    config: &Config,
) -> Result<reqwest::ClientBuilder, Error> {
    let settings = config.tls.clone().unwrap_or(crate::config::TlsSettings {
        ca: None,
        client_cert: None,
        verify: true,
    });
    let tls = crate::tls::client_config(&settings).map_err(|e| e.with_host(&config.host))?;
    Ok(builder.tls_backend_preconfigured(tls))
}

#[cfg(not(feature = "tls"))]
fn with_tls(
    _builder: reqwest::ClientBuilder,
    config: &Config,
) -> Result<reqwest::ClientBuilder, Error> {
    Err(Error::new(
        ErrorKind::InvalidConfig,
        "TLS is configured but this build has no `tls` feature",
    )
    .with_host(&config.host))
}

/// The version to use, given the daemon's maximum and the compiled-in versions.
pub(crate) fn choose(
    daemon_max: Option<ApiVersion>,
    compiled: &[ApiVersion],
) -> Result<ApiVersion, Error> {
    let newest = *compiled.last().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidConfig,
            "no API version is compiled in: enable a `v1_NN` feature",
        )
    })?;
    let Some(max) = daemon_max else {
        return Ok(newest);
    };
    compiled.iter().rev().find(|v| **v <= max).copied().ok_or_else(|| {
        Error::new(
            ErrorKind::VersionTooOld,
            format!(
                "the daemon serves API v{max} at most, older than the oldest version compiled in (v{}); \
                 enable the `{}` feature or an older one",
                compiled[0], max.ident()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOME: &[ApiVersion] = &[
        ApiVersion::new(1, 44),
        ApiVersion::new(1, 47),
        ApiVersion::new(1, 52),
    ];

    #[test]
    fn negotiation_rules() {
        let v = |m| ApiVersion::new(1, m);
        assert_eq!(
            choose(Some(v(51)), SOME).unwrap(),
            v(47),
            "steps down to a compiled version"
        );
        assert_eq!(choose(Some(v(47)), SOME).unwrap(), v(47));
        assert_eq!(
            choose(Some(v(60)), SOME).unwrap(),
            v(52),
            "capped to the newest compiled"
        );
        assert_eq!(choose(None, SOME).unwrap(), v(52), "no header: newest");
        let too_old = choose(Some(v(43)), SOME).unwrap_err();
        assert_eq!(too_old.kind(), ErrorKind::VersionTooOld);
        assert!(
            too_old.message().contains("1.43") && too_old.message().contains("1.44"),
            "{too_old}"
        );
        assert_eq!(
            choose(Some(v(50)), &[]).unwrap_err().kind(),
            ErrorKind::InvalidConfig
        );
    }
}
