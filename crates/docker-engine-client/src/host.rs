//! Where the daemon is: `DOCKER_HOST` syntax.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

use crate::error::{Error, ErrorKind};
use crate::ssh::SshTarget;

/// The default daemon address of every Docker tool.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// A daemon address.
#[derive(Clone, PartialEq, Eq)]
pub enum Host {
    /// `unix:///var/run/docker.sock`
    Unix(PathBuf),
    /// `tcp://host:2375`, `http://host:2375`, `https://host:2376`. `tls` is
    /// set for `https://`, and for `tcp://` when TLS is configured.
    Tcp { host: String, port: u16, tls: bool },
    /// `ssh://[user@]host[:port][/remote/socket]`: each connection runs
    /// `ssh … docker system dial-stdio` (see [`SshTarget`]).
    Ssh(SshTarget),
}

impl Host {
    /// Parses `DOCKER_HOST` syntax. `tcp://` defaults to port 2375, `https://`
    /// to 2376; `ssh://` takes a user name and a port (ssh's defaults
    /// otherwise) and a remote socket path; `npipe://` is refused with a
    /// clear error.
    ///
    /// User info (`tcp://user:password@host`) is refused too, and no error
    /// repeats it: the daemon does not authenticate HTTP clients, so a
    /// password there would silently go unused (Go's parser drops it). An
    /// `ssh://` address takes a user name but no password, as in the Docker
    /// CLI.
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::parse_from(s, "DOCKER_HOST")
    }

    /// [`Host::parse`], with errors naming where `s` came from.
    pub(crate) fn parse_from(s: &str, source: &str) -> Result<Self, Error> {
        let invalid = |why: &str| {
            Error::new(
                ErrorKind::InvalidConfig,
                format!("{source} `{}`: {why}", redact_userinfo(s)),
            )
        };
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| invalid("expected scheme://address"))?;
        match scheme {
            "unix" => {
                if rest.is_empty() {
                    return Err(invalid("empty socket path"));
                }
                Ok(Host::Unix(PathBuf::from(rest)))
            }
            "tcp" | "http" | "https" => {
                let authority = rest.trim_end_matches('/');
                if authority
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .contains('@')
                {
                    return Err(invalid(
                        "user info (`user:password@`) in the address is not supported: the Docker \
                         daemon does not authenticate HTTP clients; use TLS client certificates \
                         (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) or a context",
                    ));
                }
                if authority.contains('/') {
                    return Err(invalid("a path after the address is not supported"));
                }
                let (host, port) =
                    split_host_port(authority).ok_or_else(|| invalid("bad host or port"))?;
                let tls = scheme == "https";
                let port = port.unwrap_or(if tls { 2376 } else { 2375 });
                Ok(Host::Tcp { host, port, tls })
            }
            "ssh" => SshTarget::parse(rest).map(Host::Ssh).map_err(invalid),
            "npipe" | "fd" => Err(invalid("this scheme is not supported by this client")),
            _ => Err(invalid("unknown scheme")),
        }
    }

    /// For `tcp://` hosts: turns TLS on (the port stays as parsed).
    pub(crate) fn with_tls(self, tls: bool) -> Self {
        match self {
            Host::Tcp {
                host,
                port,
                tls: was,
            } => Host::Tcp {
                host,
                port,
                tls: was || tls,
            },
            other => other,
        }
    }

    /// The base URL requests are sent to, without a version prefix.
    pub(crate) fn base_url(&self) -> String {
        match self {
            // The host part is ignored on a unix socket (an ssh host's is
            // the bridge's, see `ssh_bridge.rs`); `localhost` keeps the Host
            // header valid, as the Docker CLI does with `docker`.
            Host::Unix(_) | Host::Ssh(_) => "http://localhost".to_string(),
            Host::Tcp { host, port, tls } => {
                let scheme = if *tls { "https" } else { "http" };
                if host.contains(':') {
                    format!("{scheme}://[{host}]:{port}")
                } else {
                    format!("{scheme}://{host}:{port}")
                }
            }
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Unix(path) => write!(f, "unix://{}", path.display()),
            Host::Ssh(target) => fmt::Display::fmt(target, f),
            Host::Tcp { host, port, tls } => {
                let scheme = if *tls { "https" } else { "tcp" };
                if host.contains(':') {
                    write!(f, "{scheme}://[{host}]:{port}")
                } else {
                    write!(f, "{scheme}://{host}:{port}")
                }
            }
        }
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `scheme://user:password@host/…` → `scheme://***@host/…`: an address or
/// URL as it may be shown in a message, without any user info.
pub(crate) fn redact_userinfo(url: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Cow::Borrowed(url);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{scheme}://***{}", &rest[at..])),
        None => Cow::Borrowed(url),
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` (of `tcp://` and `ssh://` hosts).
pub(crate) fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => {
            Some((host.to_string(), Some(port.parse().ok()?)))
        }
        Some(_) => None,
        None if !authority.is_empty() => Some((authority.to_string(), None)),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_host_forms() {
        assert_eq!(
            Host::parse("unix:///var/run/docker.sock").unwrap(),
            Host::Unix("/var/run/docker.sock".into())
        );
        assert_eq!(
            Host::parse("tcp://10.0.0.1:2376").unwrap(),
            Host::Tcp {
                host: "10.0.0.1".into(),
                port: 2376,
                tls: false
            }
        );
        assert_eq!(
            Host::parse("tcp://docker.example").unwrap(),
            Host::Tcp {
                host: "docker.example".into(),
                port: 2375,
                tls: false
            }
        );
        assert_eq!(
            Host::parse("https://docker.example").unwrap(),
            Host::Tcp {
                host: "docker.example".into(),
                port: 2376,
                tls: true
            }
        );
        assert_eq!(
            Host::parse("tcp://[::1]:2375/").unwrap(),
            Host::Tcp {
                host: "::1".into(),
                port: 2375,
                tls: false
            }
        );
        assert_eq!(
            Host::parse("tcp://[::1]:2375").unwrap().base_url(),
            "http://[::1]:2375"
        );
        let ssh = Host::parse("ssh://me@build.example:2222").unwrap();
        assert_eq!(ssh.to_string(), "ssh://me@build.example:2222");
        assert_eq!(format!("{ssh:?}"), "ssh://me@build.example:2222");
        assert!(matches!(
            ssh,
            Host::Ssh(SshTarget {
                port: Some(2222),
                ..
            })
        ));
    }

    #[test]
    fn refuses_user_info_without_repeating_it() {
        for bad in [
            "tcp://alice:pa55word@127.0.0.1:2375",
            "https://alice:pa55word@docker.example",
            "http://:pa55word@[::1]:2375/",
            "ssh://alice:pa55word@host",
        ] {
            let err = Host::parse(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{bad}");
            let text = format!("{err} {err:?}");
            assert!(!text.contains("pa55word"), "{text}");
            assert!(text.contains("***@"), "{text}");
        }
        assert_eq!(
            redact_userinfo("http://u:p@h:1/p?q=a@b"),
            "http://***@h:1/p?q=a@b"
        );
        assert_eq!(redact_userinfo("/relative/x@y"), "/relative/x@y");
        assert_eq!(redact_userinfo("http://h/x@y"), "http://h/x@y");
    }

    #[test]
    fn refuses_what_it_cannot_serve() {
        for bad in [
            "",
            "/var/run/docker.sock",
            "unix://",
            "tcp://:2375",
            "tcp://h:port",
            "ssh://",
            "ssh://me@host?x",
            "npipe:////./pipe/docker_engine",
            "ftp://x",
        ] {
            let err = Host::parse(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{bad}");
            assert!(err.to_string().contains("DOCKER_HOST"), "{err}");
        }
    }
}
