//! [`Docker`]: the connection to one daemon, and API version negotiation.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use docker_engine_api_runtime::{Transport, UnixTransport};

use crate::ApiVersion;
use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::host::Host;
use crate::versions::{ALL, COMPILED, VersionedClient};

/// A handle on one Docker daemon: the HTTP connection pool, the daemon's
/// address, and the API version agreed with it. Cheap to clone; clones share
/// the pool and the negotiated version.
#[derive(Clone)]
pub struct Docker {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// What the typed clients' requests go through: for a unix socket
    /// (`unix://`, and the `ssh://` bridge's socket), hyper's connections to
    /// it (the runtime's `UnixTransport`), else `http`. Upgrades and the
    /// facade's own requests (ping, hijack) always use `http`.
    transport: Transport,
    host: Host,
    base_url: String,
    pinned: Option<ApiVersion>,
    request_timeout: Option<Duration>,
    negotiated: Mutex<Option<Negotiated>>,
    /// For an `ssh://` host: the socket reqwest talks to. Declared last, so
    /// it is dropped after the client and its pooled connections.
    _ssh_bridge: Option<crate::ssh_bridge::SshBridge>,
}

/// The outcome of negotiation: which version the requests speak, and whose
/// types the client of [`Docker::client`] has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Negotiated {
    /// The version every request uses (`/vX.Y` prefix).
    pub version: ApiVersion,
    /// The daemon's maximum, from `/_ping`'s `Api-Version` header, or from
    /// `GET /version` when the header is missing (`None` when the version was
    /// pinned).
    pub daemon_max: Option<ApiVersion>,
    /// The compiled-in crate whose types [`Docker::client`] uses. Equal to
    /// `version` when that version is compiled in; otherwise the oldest
    /// compiled-in version above it (see [`Negotiated::exact`]).
    pub types: ApiVersion,
}

impl Negotiated {
    /// Whether the client's types are exactly the spoken version's. When not,
    /// the client speaks an older version with newer types, as the official
    /// Go client does: requests carry only the fields the caller set, and
    /// answers decode without the fields the older daemon does not send.
    pub fn exact(&self) -> bool {
        self.types == self.version
    }
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

    /// Builds the HTTP client for `config`; sends nothing. For an `ssh://`
    /// host it also starts the private socket that carries each connection
    /// over its own `ssh` process (see [`crate::SshTarget`]); the first
    /// request starts the first ssh, and dropping the last clone ends them
    /// all, so keep a clone while typed clients made from it are in use (they
    /// share the HTTP client, not the bridge). Synchronous, and works inside
    /// or outside any tokio runtime.
    pub fn connect(config: Config) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            // A daemon never redirects. Following one would send the request,
            // its body and `X-Registry-Auth` to another host (reqwest strips
            // only `Authorization` and cookies); Go's client does not follow
            // either. A 3xx becomes `ErrorKind::Redirect`.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(t) = config.read_timeout {
            builder = builder.read_timeout(t);
        }
        if let Some(t) = config.connect_timeout {
            builder = builder.connect_timeout(t);
        }
        let mut ssh_bridge = None;
        let mut socket = None;
        match &config.host {
            Host::Unix(path) => {
                builder = without_tls(builder.unix_socket(path.clone()))?;
                socket = Some(path.clone());
            }
            Host::Ssh(target) => {
                let bridge = crate::ssh_bridge::SshBridge::start(
                    target,
                    &config.ssh_options,
                    config.connect_timeout,
                )
                .map_err(|e| e.with_host(&config.host))?;
                builder = without_tls(builder.unix_socket(bridge.socket().to_path_buf()))?;
                socket = Some(bridge.socket().to_path_buf());
                ssh_bridge = Some(bridge);
            }
            Host::Tcp { tls: true, .. } => {
                builder = with_tls(builder, &config)?;
            }
            Host::Tcp { tls: false, .. } => {
                builder = without_tls(builder)?;
            }
        }
        let http = builder.build().map_err(|e| {
            Error::new(
                ErrorKind::InvalidConfig,
                format!("cannot build the HTTP client: {e}"),
            )
            .with_host(&config.host)
        })?;
        let transport = match socket {
            Some(path) => Transport::Unix(
                UnixTransport::builder(path)
                    .connect_timeout(config.connect_timeout)
                    .read_timeout(config.read_timeout)
                    .user_agent(reqwest::header::HeaderValue::from_static(USER_AGENT))
                    .idle_timeout(POOL_IDLE_TIMEOUT)
                    .build(),
            ),
            None => Transport::Reqwest,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                base_url: config.host.base_url(),
                host: config.host,
                http,
                transport,
                pinned: config.api_version,
                request_timeout: config.request_timeout,
                negotiated: Mutex::new(None),
                _ssh_bridge: ssh_bridge,
            }),
        })
    }

    /// The daemon's address.
    pub fn host(&self) -> &Host {
        &self.inner.host
    }

    /// `HEAD /_ping` (falling back to `GET`), without a version prefix, as the
    /// official clients do: it answers whatever version the daemon serves.
    /// An error status is an error (with the daemon's text); negotiation
    /// still reads the headers of such an answer. Bounded by
    /// [`Config::request_timeout`].
    pub async fn ping(&self) -> Result<Ping, Error> {
        let answer = self.bounded("/_ping", self.ping_answer()).await?;
        match answer.error {
            None => Ok(answer.ping),
            Some(error) => Err(error),
        }
    }

    /// The headers of `/_ping`, whatever its status.
    async fn ping_answer(&self) -> Result<PingAnswer, Error> {
        let url = format!("{}/_ping", self.inner.base_url);
        let head = self.inner.http.head(&url).send().await;
        let response = match head {
            Ok(r) if r.status().is_success() || has_api_version(&r) => r,
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
        if response.status().is_success() {
            return Ok(PingAnswer { ping, error: None });
        }
        let error = crate::error_body::error_of(response)
            .await
            .with_host(self.host());
        Ok(PingAnswer {
            ping,
            error: Some(error),
        })
    }

    /// `exchange` within [`Config::request_timeout`]: the requests the facade
    /// sends itself, none of them a stream.
    pub(crate) async fn bounded<T>(
        &self,
        what: &str,
        exchange: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let Some(limit) = self.inner.request_timeout else {
            return exchange.await;
        };
        tokio::time::timeout(limit, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "the daemon did not answer {what} within {limit:?} (the request timeout: \
                     Config::request_timeout, DOCKER_CLIENT_TIMEOUT)"
                    ),
                )
                .with_host(self.host()))
            })
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
    /// the daemon's maximum (`Api-Version` of `/_ping`, read even from an
    /// error answer; when the header is missing or empty, `ApiVersion` of
    /// `GET /version`) is capped to the newest version compiled in and
    /// stepped down to the newest compiled-in version not above it. When
    /// every compiled-in version is newer than the daemon, the daemon's own
    /// version is spoken with the oldest compiled-in crate's types
    /// ([`Negotiated::exact`] is then false). A daemon older than the oldest
    /// version this client has a crate for (v1.40) is a
    /// [`ErrorKind::VersionTooOld`] error.
    pub async fn negotiate(&self) -> Result<Negotiated, Error> {
        if let Some(done) = *self.lock() {
            return Ok(done);
        }
        self.renegotiate().await
    }

    /// Negotiates again (after a daemon upgrade, say) and caches the result.
    pub async fn renegotiate(&self) -> Result<Negotiated, Error> {
        let (offer, daemon_max) = match self.inner.pinned {
            Some(version) => (Offer::Pinned(version), None),
            None => {
                let max = self.daemon_max().await?;
                (Offer::DaemonMax(max), Some(max))
            }
        };
        let (version, types) = choose(offer, COMPILED).map_err(|e| e.with_host(self.host()))?;
        let outcome = Negotiated {
            version,
            daemon_max,
            types,
        };
        *self.lock() = Some(outcome);
        Ok(outcome)
    }

    /// The daemon's maximum API version: `/_ping`'s `Api-Version` header
    /// (also on an error status, which some daemons send while starting or
    /// when a plugin fails, as the Go client reads it); when a successful
    /// ping has none, `ApiVersion` of `GET /version`; an error answer without
    /// the header is that error.
    async fn daemon_max(&self) -> Result<ApiVersion, Error> {
        let ping = self.bounded("/_ping", self.ping_answer()).await?;
        let header = ping
            .ping
            .api_version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if let Some(v) = header {
            return v.parse::<ApiVersion>().map_err(|_| {
                Error::new(
                    ErrorKind::Other,
                    format!("the daemon sent an unparsable Api-Version header `{v}`"),
                )
                .with_host(self.host())
            });
        }
        // An error answer without the header says what is wrong (a redirect,
        // a daemon that is not ready) better than a second request would.
        if let Some(error) = ping.error {
            return Err(error);
        }
        let version = self.bounded("GET /version", self.version_of_daemon());
        version.await.map_err(|e| {
            Error::new(
                ErrorKind::Other,
                format!(
                    "the daemon announced no API version: no Api-Version header on /_ping, \
                     and GET /version failed: {}",
                    e.message()
                ),
            )
            .with_host(self.host())
        })
    }

    /// `ApiVersion` of `GET /version` without a version prefix (which every
    /// daemon answers with its maximum).
    async fn version_of_daemon(&self) -> Result<ApiVersion, Error> {
        let url = format!("{}/version", self.inner.base_url);
        let response = self
            .inner
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        if !response.status().is_success() {
            return Err(crate::error_body::error_of(response)
                .await
                .with_host(self.host()));
        }
        let body = read_capped(response, MAX_VERSION_BODY)
            .await
            .map_err(|e| e.with_host(self.host()))?;
        #[derive(serde::Deserialize)]
        struct Version {
            #[serde(rename = "ApiVersion")]
            api_version: Option<String>,
        }
        let version: Version = serde_json::from_slice(&body)
            .map_err(|e| Error::decode("GET /version", &body, e).with_host(self.host()))?;
        let text = version.api_version.unwrap_or_default();
        text.trim().parse::<ApiVersion>().map_err(|_| {
            Error::new(
                ErrorKind::Other,
                format!("GET /version has no usable ApiVersion (`{text}`)"),
            )
            .with_host(self.host())
        })
    }

    /// The version to speak with `types`' crate (for [`Docker::latest`]):
    /// the negotiated daemon maximum (or the pinned version), capped at
    /// `types`.
    #[cfg(feature = "latest")]
    pub(crate) async fn speaks_with(&self, types: ApiVersion) -> Result<ApiVersion, Error> {
        let negotiated = self.negotiate().await?;
        let max = negotiated.daemon_max.unwrap_or(negotiated.version);
        Ok(max.min(types))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Negotiated>> {
        // The guarded value is a plain Copy value: a panic elsewhere cannot
        // leave it half-written, so a poisoned lock is still usable.
        self.inner
            .negotiated
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The typed client of the negotiated version: the exact crate of the
    /// version the daemon speaks when it is compiled in, else the nearest
    /// newer compiled-in crate speaking the daemon's version (see
    /// [`Negotiated::exact`]). With default features (only the newest
    /// crate), this reaches every daemon that serves API v1.40 or newer.
    pub async fn client(&self) -> Result<VersionedClient, Error> {
        let negotiated = self.negotiate().await?;
        VersionedClient::new(
            negotiated.types,
            negotiated.version,
            &self.inner.base_url,
            self.inner.http.clone(),
            self.inner.transport.clone(),
        )
        .ok_or_else(|| not_compiled(negotiated.types).with_host(self.host()))
    }

    /// The typed client of a given version, if it is compiled in and the
    /// daemon serves it (for code that walks several versions; a single
    /// version is simpler with `docker.v1_47()` & co).
    pub async fn client_for(&self, version: ApiVersion) -> Result<VersionedClient, Error> {
        self.require(version).await?;
        VersionedClient::new(
            version,
            version,
            &self.inner.base_url,
            self.inner.http.clone(),
            self.inner.transport.clone(),
        )
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

    /// What the typed clients' requests go through (shared with them).
    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }
}

/// The `User-Agent` of every request.
const USER_AGENT: &str = concat!("docker-engine-api-rs/", env!("CARGO_PKG_VERSION"));

/// Idle pooled connections are closed after a while (reqwest's and the unix
/// transport's); the daemon keeps its own limit too.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

fn not_compiled(version: ApiVersion) -> Error {
    let hint = if ALL.contains(&version) {
        format!("enable the `v{}_{}` feature", version.major, version.minor)
    } else {
        format!(
            "this client has crates for v{} … v{} only",
            ALL[0],
            ALL[ALL.len() - 1]
        )
    };
    Error::new(
        ErrorKind::InvalidConfig,
        format!(
            "API v{version} is not compiled into this build ({hint}; compiled in: {})",
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

/// How the version to speak was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Offer {
    /// The daemon's maximum: speak the newest version both sides have.
    DaemonMax(ApiVersion),
    /// `DOCKER_API_VERSION`: speak exactly this version.
    Pinned(ApiVersion),
}

/// The version to speak and the crate whose types to use, given the offer
/// and the compiled-in versions (oldest first).
pub(crate) fn choose(
    offer: Offer,
    compiled: &[ApiVersion],
) -> Result<(ApiVersion, ApiVersion), Error> {
    let oldest_supported = ALL[0];
    let (Offer::DaemonMax(max) | Offer::Pinned(max)) = offer;
    if max < oldest_supported {
        let who = match offer {
            Offer::DaemonMax(_) => format!("the daemon serves API v{max} at most"),
            Offer::Pinned(_) => format!("DOCKER_API_VERSION asks for API v{max}"),
        };
        return Err(Error::new(
            ErrorKind::VersionTooOld,
            format!(
                "{who}; this client supports v{oldest_supported} and newer (Docker 19.03 or newer)"
            ),
        ));
    }
    let oldest = *compiled.first().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidConfig,
            "no API version is compiled in: enable a `v1_NN` feature (or `latest`)",
        )
    })?;
    // The newest compiled-in crate not above `max`, else the nearest newer one.
    let types = compiled
        .iter()
        .rev()
        .find(|v| **v <= max)
        .copied()
        .unwrap_or(oldest);
    Ok(match offer {
        Offer::Pinned(pinned) => (pinned, types),
        // Step down to an exact crate when there is one; else speak the
        // daemon's version with the nearest newer types.
        Offer::DaemonMax(_) if types <= max => (types, types),
        Offer::DaemonMax(max) => (max, types),
    })
}

/// Whether an answer carries a non-empty `Api-Version` header.
fn has_api_version(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("api-version")
        .is_some_and(|v| !v.as_bytes().trim_ascii().is_empty())
}

/// `/_ping` as it was answered: its headers, and for an error status, the
/// error it stands for.
struct PingAnswer {
    ping: Ping,
    error: Option<Error>,
}

/// `GET /version` is a few hundred bytes.
const MAX_VERSION_BODY: usize = 1 << 20;

/// Reads a body up to `limit` bytes; a longer body is cut (negotiation only
/// needs the start of it).
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Error::transport)? {
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == limit {
            break;
        }
    }
    Ok(body)
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
        let max = |m| Offer::DaemonMax(v(m));
        assert_eq!(
            choose(max(51), SOME).unwrap(),
            (v(47), v(47)),
            "steps down to a compiled version"
        );
        assert_eq!(choose(max(47), SOME).unwrap(), (v(47), v(47)));
        assert_eq!(
            choose(max(60), SOME).unwrap(),
            (v(52), v(52)),
            "capped to the newest compiled"
        );
        assert_eq!(
            choose(max(41), SOME).unwrap(),
            (v(41), v(44)),
            "older than every compiled crate: its version, the nearest newer types"
        );
        assert_eq!(
            choose(max(40), &[v(55)]).unwrap(),
            (v(40), v(55)),
            "default features reach the oldest supported daemon"
        );
        let too_old = choose(max(39), SOME).unwrap_err();
        assert_eq!(too_old.kind(), ErrorKind::VersionTooOld);
        assert!(
            too_old.message().contains("v1.39") && too_old.message().contains("v1.40"),
            "names the daemon's and the oldest supported version: {too_old}"
        );
        assert!(!too_old.message().contains("feature"), "{too_old}");
        assert_eq!(
            choose(max(50), &[]).unwrap_err().kind(),
            ErrorKind::InvalidConfig
        );
    }

    #[test]
    fn a_pinned_version_is_spoken_as_is() {
        let v = |m| ApiVersion::new(1, m);
        let pin = |m| Offer::Pinned(v(m));
        assert_eq!(choose(pin(45), SOME).unwrap(), (v(45), v(44)));
        assert_eq!(choose(pin(47), SOME).unwrap(), (v(47), v(47)));
        assert_eq!(choose(pin(41), SOME).unwrap(), (v(41), v(44)));
        assert_eq!(choose(pin(99), SOME).unwrap(), (v(99), v(52)));
        let e = choose(pin(30), SOME).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::VersionTooOld);
        assert!(e.message().contains("DOCKER_API_VERSION"), "{e}");
    }

    #[test]
    fn a_missing_crate_never_names_a_feature_that_does_not_exist() {
        let e = not_compiled(ApiVersion::new(1, 39));
        assert!(!e.message().contains("v1_39"), "{e}");
        assert!(e.message().contains("v1.40"), "{e}");
        let e = not_compiled(ApiVersion::new(1, 41));
        assert!(e.message().contains("`v1_41` feature"), "{e}");
    }
}
