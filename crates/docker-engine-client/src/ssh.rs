//! `ssh://[user@]host[:port][/socket]` hosts: the address, and the `ssh`
//! command that reaches the daemon behind it.
//!
//! As the Docker CLI does (`cli/connhelper`), each connection is one run of the
//! machine's `ssh` client, `ssh [options] -l user -p port -- host docker system
//! dial-stdio`, whose stdin and stdout carry the HTTP bytes; the remote
//! `docker system dial-stdio` (Docker 18.09 and newer) connects them to the
//! remote daemon. Running the `ssh` program rather than an SSH library keeps
//! what users have set up for it: `~/.ssh/config`, known hosts, agents, jump
//! hosts, hardware keys. [`crate::ssh_bridge`] carries the bytes.

use std::fmt;
use std::time::Duration;

/// Where an `ssh://` host points.
#[derive(Clone, PartialEq, Eq)]
pub struct SshTarget {
    /// `-l user`; `None`: ssh's own choice (`~/.ssh/config`, else the local user).
    pub user: Option<String>,
    /// The host name or address, as given to ssh (`~/.ssh/config` aliases work).
    pub host: String,
    /// `-p port`; `None`: ssh's own choice (22, or `~/.ssh/config`).
    pub port: Option<u16>,
    /// The daemon's socket on the remote machine, from the URL's path
    /// (`ssh://host/run/user/1000/docker.sock`); `None`: the remote docker
    /// CLI's default (its `DOCKER_HOST`, context, or `/var/run/docker.sock`).
    pub socket: Option<String>,
}

/// Why an `ssh://` address is refused (the caller adds which address).
pub(crate) type Refusal = &'static str;

impl SshTarget {
    /// Parses what follows `ssh://`. A password is refused, as by the Docker
    /// CLI: ssh takes none on its command line, and keeping one would risk
    /// printing it.
    pub(crate) fn parse(rest: &str) -> Result<Self, Refusal> {
        if rest.contains(['?', '#']) {
            return Err("query parameters and fragments are not supported");
        }
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => {
                if userinfo.contains(':') {
                    return Err(
                        "a password in an ssh:// address is not supported (ssh takes \
                                none on its command line): use a key, an agent or ~/.ssh/config",
                    );
                }
                if userinfo.is_empty() {
                    return Err("empty user name");
                }
                (Some(userinfo.to_string()), host_port)
            }
            None => (None, authority),
        };
        if user.as_deref().is_some_and(|u| !is_plain(u)) {
            return Err("the user name may contain only letters, digits, `.`, `_` and `-`");
        }
        let (host, port) = crate::host::split_host_port(host_port)
            .filter(|(host, _)| !host.is_empty())
            .ok_or("bad host or port")?;
        if host.starts_with('-') || !host.chars().all(|c| is_plain_char(c) || c == ':') {
            return Err("bad host name");
        }
        let socket = match path.trim_matches('/') {
            "" => None,
            _ if path.chars().all(|c| is_plain_char(c) || c == '/') => Some(path.to_string()),
            // The path travels in the remote command line, which the remote
            // shell reads: only characters that need no quoting pass.
            _ => {
                return Err(
                    "the socket path may contain only letters, digits, `/`, `.`, `_` \
                            and `-`",
                );
            }
        };
        Ok(Self {
            user,
            host,
            port,
            socket,
        })
    }

    /// The arguments of `ssh` for one connection: `options` first (ssh keeps
    /// the first value it sees of each option, so the caller's win), then
    /// what the Docker CLI adds unless the caller set it: `-o
    /// ConnectTimeout=` (from `connect_timeout`, rounded up to whole seconds),
    /// `-o BatchMode=yes` (never prompt: there is no terminal to answer) and
    /// `-T` (no pseudo-terminal: the bytes are binary); then `-l`, `-p`, `--`,
    /// the host and the remote command.
    pub(crate) fn ssh_args(
        &self,
        options: &[String],
        connect_timeout: Option<Duration>,
    ) -> Vec<String> {
        let mut args = options.to_vec();
        let sets = |name: &str| {
            options
                .iter()
                .any(|o| o.to_ascii_lowercase().contains(&name.to_ascii_lowercase()))
        };
        if let Some(limit) = connect_timeout
            && !sets("ConnectTimeout")
        {
            let seconds = limit.as_secs() + u64::from(limit.subsec_nanos() > 0);
            args.push("-o".into());
            args.push(format!("ConnectTimeout={}", seconds.max(1)));
        }
        if !sets("BatchMode") {
            args.push("-o".into());
            args.push("BatchMode=yes".into());
        }
        if !options.iter().any(|o| o == "-T") {
            args.push("-T".into());
        }
        if let Some(user) = &self.user {
            args.push("-l".into());
            args.push(user.clone());
        }
        if let Some(port) = self.port {
            args.push("-p".into());
            args.push(port.to_string());
        }
        args.push("--".into());
        args.push(self.host.clone());
        args.extend(self.remote_command());
        args
    }

    /// `docker system dial-stdio`, with `--host=unix://…` when the URL names
    /// the remote socket.
    pub(crate) fn remote_command(&self) -> Vec<String> {
        let mut command = vec!["docker".to_string()];
        if let Some(socket) = &self.socket {
            command.push(format!("--host=unix://{socket}"));
        }
        command.extend(["system".to_string(), "dial-stdio".to_string()]);
        command
    }
}

impl fmt::Display for SshTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ssh://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        if let Some(socket) = &self.socket {
            f.write_str(socket)?;
        }
        Ok(())
    }
}

impl fmt::Debug for SshTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn is_plain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

fn is_plain(s: &str) -> bool {
    s.chars().all(is_plain_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(rest: &str) -> SshTarget {
        SshTarget::parse(rest).unwrap_or_else(|e| panic!("{rest}: {e}"))
    }

    #[test]
    fn parses_the_docker_cli_forms() {
        let t = target("me@build.example:2222");
        assert_eq!(t.user.as_deref(), Some("me"));
        assert_eq!(t.host, "build.example");
        assert_eq!(t.port, Some(2222));
        assert_eq!(t.socket, None);
        assert_eq!(t.to_string(), "ssh://me@build.example:2222");

        let t = target("build");
        assert_eq!((t.user, t.port), (None, None));
        let t = target("[::1]:22/run/user/1000/docker.sock");
        assert_eq!(t.host, "::1");
        assert_eq!(t.socket.as_deref(), Some("/run/user/1000/docker.sock"));
        assert_eq!(t.to_string(), "ssh://[::1]:22/run/user/1000/docker.sock");
        assert_eq!(target("h/").socket, None);
    }

    #[test]
    fn refuses_what_would_be_unsafe_or_lost() {
        for bad in [
            "",
            "me@",
            "@host",
            "host:",
            "host:port",
            "-oProxyCommand=x",
            "host?x=1",
            "host/path;rm -rf",
            "host/$(id)",
            "us er@host",
            "[::1",
        ] {
            assert!(SshTarget::parse(bad).is_err(), "{bad}");
        }
        let why = SshTarget::parse("me:pa55word@host").unwrap_err();
        assert!(
            why.contains("password") && !why.contains("pa55word"),
            "{why}"
        );
    }

    #[test]
    fn runs_what_the_docker_cli_runs() {
        let t = target("me@host:2222");
        assert_eq!(
            t.ssh_args(&[], Some(Duration::from_millis(2500))),
            [
                "-o",
                "ConnectTimeout=3",
                "-o",
                "BatchMode=yes",
                "-T",
                "-l",
                "me",
                "-p",
                "2222",
                "--",
                "host",
                "docker",
                "system",
                "dial-stdio"
            ]
        );
        let t = target("host/var/run/other.sock");
        let args = t.ssh_args(
            &[
                "-F".into(),
                "/x/ssh_config".into(),
                "-o".into(),
                "connecttimeout=5".into(),
            ],
            Some(Duration::from_secs(30)),
        );
        assert_eq!(
            args,
            [
                "-F",
                "/x/ssh_config",
                "-o",
                "connecttimeout=5",
                "-o",
                "BatchMode=yes",
                "-T",
                "--",
                "host",
                "docker",
                "--host=unix:///var/run/other.sock",
                "system",
                "dial-stdio"
            ],
            "the caller's options come first and are not repeated"
        );
        assert!(
            !t.ssh_args(&[], None)
                .iter()
                .any(|a| a.contains("ConnectTimeout"))
        );
    }
}
