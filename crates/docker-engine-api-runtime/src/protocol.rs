//! The protocols a Docker operation can switch its connection to (`101
//! Switching Protocols`).

use std::fmt;
use std::str::FromStr;

/// What `Upgrade:` asks the daemon for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// Docker's hijacked connection (`attach`, `exec start`): raw stdio both
    /// ways over the HTTP connection.
    Tcp,
    /// RFC 6455 (`attach/ws`).
    Websocket,
    /// HTTP/2 over cleartext (`/session`, BuildKit).
    H2c,
}

impl Protocol {
    /// Every protocol, for tables and tests.
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Websocket, Protocol::H2c];

    /// The `Upgrade:` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Websocket => "websocket",
            Protocol::H2c => "h2c",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol name this runtime cannot switch to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a protocol a Docker operation upgrades to (tcp, websocket, h2c)")]
pub struct ParseProtocolError(pub String);

impl FromStr for Protocol {
    type Err = ParseProtocolError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ParseProtocolError(s.to_string()))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Protocol {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Protocol {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Protocol::ALL {
            assert_eq!(p.as_str().parse(), Ok(p));
        }
        assert!("TCP".parse::<Protocol>().is_err());
        assert!("http/2".parse::<Protocol>().is_err());
    }
}
