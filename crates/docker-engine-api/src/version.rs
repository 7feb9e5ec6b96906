//! Engine API versions (`1.51`), as the daemon and the `/vX.Y` prefix write them.

use std::fmt;
use std::str::FromStr;

/// An Engine API version such as `1.51`. Ordered numerically (`1.9 < 1.10`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
}

impl ApiVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A string that is not `MAJOR.MINOR`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an API version (expected MAJOR.MINOR, e.g. 1.51)")]
pub struct ParseVersionError(pub String);

impl FromStr for ApiVersion {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseVersionError(s.to_string());
        let trimmed = s.trim();
        let trimmed = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let (major, minor) = trimmed.split_once('.').ok_or_else(err)?;
        let number = |p: &str| {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            p.parse::<u32>().map_err(|_| err())
        };
        Ok(Self::new(number(major)?, number(minor)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        assert_eq!("1.51".parse(), Ok(ApiVersion::new(1, 51)));
        assert_eq!("v1.44".parse(), Ok(ApiVersion::new(1, 44)));
        assert!(ApiVersion::new(1, 9) < ApiVersion::new(1, 10));
        for bad in ["", "1", "1.", ".5", "1.x", "one.two", "1.2.3", "-1.2"] {
            assert!(bad.parse::<ApiVersion>().is_err(), "{bad:?} parsed");
        }
    }
}
