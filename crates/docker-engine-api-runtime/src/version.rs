//! Engine API versions (`1.52`) and every name derived from one.
//!
//! The generator, the facade, the tests and the API model all take these
//! names from here, so that a new spec file needs no hand edit anywhere.

use std::fmt;
use std::str::FromStr;

/// An Engine API version such as `1.52`. Ordered numerically (`1.9 < 1.10`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
}

/// Prefix of every generated crate's package name.
const CRATE_PREFIX: &str = "docker-engine-api-v";

impl ApiVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// `v1.52.yaml`: the spec file name, as upstream names it.
    pub fn spec_file_name(self) -> String {
        format!("v{}.{}.yaml", self.major, self.minor)
    }

    /// Parses a spec file name (`v1.52.yaml`); `None` for any other file.
    pub fn from_spec_file_name(name: &str) -> Option<Self> {
        name.strip_prefix('v')?.strip_suffix(".yaml")?.parse().ok()
    }

    /// `docker-engine-api-v1-52`: package name and directory under `crates/`.
    pub fn crate_name(self) -> String {
        format!("{CRATE_PREFIX}{}-{}", self.major, self.minor)
    }

    /// Parses a generated crate's name (`docker-engine-api-v1-52`); `None`
    /// for any other name.
    pub fn from_crate_name(name: &str) -> Option<Self> {
        let (major, minor) = name.strip_prefix(CRATE_PREFIX)?.split_once('-')?;
        Some(Self::new(number(major)?, number(minor)?))
    }

    /// `docker_engine_api_v1_52`: the library name.
    pub fn lib_name(self) -> String {
        self.crate_name().replace('-', "_")
    }

    /// `v1_52`: the cargo feature and the module name in the facade.
    pub fn ident(self) -> String {
        format!("v{}_{}", self.major, self.minor)
    }

    /// `V1_52`: the variant name in the facade's version enum.
    pub fn variant(self) -> String {
        format!("V{}_{}", self.major, self.minor)
    }

    /// `/v1.52`: the path prefix of every request in this version.
    pub fn path_prefix(self) -> String {
        format!("/v{self}")
    }
}

fn number(digits: &str) -> Option<u32> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A string that is not `MAJOR.MINOR`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an API version (expected MAJOR.MINOR, e.g. 1.52)")]
pub struct ParseVersionError(pub String);

/// `1.52`, with surrounding whitespace and one leading `v` allowed (`v1.52`),
/// as daemons, `DOCKER_API_VERSION` and the command line write it.
impl FromStr for ApiVersion {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseVersionError(s.to_string());
        let trimmed = s.trim();
        let trimmed = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let (major, minor) = trimmed.split_once('.').ok_or_else(err)?;
        Ok(Self::new(
            number(major).ok_or_else(err)?,
            number(minor).ok_or_else(err)?,
        ))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ApiVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ApiVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_derive_from_the_version() {
        let v: ApiVersion = "1.52".parse().unwrap();
        assert_eq!(v.spec_file_name(), "v1.52.yaml");
        assert_eq!(v.crate_name(), "docker-engine-api-v1-52");
        assert_eq!(v.lib_name(), "docker_engine_api_v1_52");
        assert_eq!(v.ident(), "v1_52");
        assert_eq!(v.variant(), "V1_52");
        assert_eq!(v.path_prefix(), "/v1.52");
        assert_eq!(ApiVersion::from_crate_name(&v.crate_name()), Some(v));
        assert_eq!(
            ApiVersion::from_spec_file_name(&v.spec_file_name()),
            Some(v)
        );
    }

    #[test]
    fn other_names_are_not_versions() {
        assert_eq!(
            ApiVersion::from_spec_file_name("v1.9.yaml"),
            Some(ApiVersion::new(1, 9))
        );
        for name in ["v1.52.yml", "LICENSE", "manifest.toml", "1.52.yaml"] {
            assert_eq!(ApiVersion::from_spec_file_name(name), None, "{name}");
        }
        for name in [
            "docker-engine-api",
            "docker-engine-api-runtime",
            "docker-engine-api-model",
            "docker-engine-api-v1",
            "docker-engine-api-v1-x",
        ] {
            assert_eq!(ApiVersion::from_crate_name(name), None, "{name}");
        }
    }

    #[test]
    fn parses_and_orders() {
        assert_eq!("1.51".parse(), Ok(ApiVersion::new(1, 51)));
        assert_eq!("v1.44".parse(), Ok(ApiVersion::new(1, 44)));
        assert_eq!(" 1.44\n".parse(), Ok(ApiVersion::new(1, 44)));
        assert!(ApiVersion::new(1, 9) < ApiVersion::new(1, 10));
        for bad in [
            "", "1", "1.", ".5", "1.x", "one.two", "1.2.3", "-1.2", "vv1.2", "152", "+1.2",
        ] {
            assert!(bad.parse::<ApiVersion>().is_err(), "{bad:?} parsed");
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serialises_as_the_dotted_string() {
        let v = ApiVersion::new(1, 52);
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"1.52\"");
        assert_eq!(serde_json::from_str::<ApiVersion>("\"1.52\"").unwrap(), v);
        assert!(serde_json::from_str::<ApiVersion>("\"latest\"").is_err());
    }
}
