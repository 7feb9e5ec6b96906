//! Engine API versions and the names derived from them.
//!
//! Every name that depends on a version (file, crate, feature, module) is
//! derived here and nowhere else, so that a new spec file needs no hand edit.
//!
//! The facade has its own `ApiVersion` (`crates/docker-engine-api/src/version.rs`)
//! with the same parsing rules. It is not shared on purpose: codegen writes
//! the facade's version table, so depending on the facade would mean `regen`
//! cannot run while the facade does not compile, and the facade must not pull
//! in the generator. Keep the two `FromStr` rules alike.

use std::fmt;
use std::str::FromStr;

/// An Engine API version such as `1.52`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
}

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
        format!("docker-engine-api-v{}-{}", self.major, self.minor)
    }

    /// `docker_engine_api_v1_52`: the library name.
    pub fn lib_name(self) -> String {
        self.crate_name().replace('-', "_")
    }

    /// `v1_52`: cargo feature and module name in the facade.
    pub fn ident(self) -> String {
        format!("v{}_{}", self.major, self.minor)
    }

    /// `V1_52`: the variant name in the facade's version enum.
    pub fn variant(self) -> String {
        format!("V{}_{}", self.major, self.minor)
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Error for a string that is not `MAJOR.MINOR`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an API version (expected MAJOR.MINOR, e.g. 1.52)")]
pub struct ParseVersionError(pub String);

impl FromStr for ApiVersion {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseVersionError(s.to_string());
        let (major, minor) = s.trim_start_matches('v').split_once('.').ok_or_else(err)?;
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return Err(err());
        }
        Ok(Self::new(
            major.parse().map_err(|_| err())?,
            minor.parse().map_err(|_| err())?,
        ))
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
        assert_eq!(
            ApiVersion::from_spec_file_name("v1.9.yaml"),
            Some(ApiVersion::new(1, 9))
        );
        assert_eq!(ApiVersion::from_spec_file_name("v1.52.yml"), None);
        assert_eq!(ApiVersion::from_spec_file_name("LICENSE"), None);
    }

    #[test]
    fn ordering_is_numeric() {
        let a: ApiVersion = "1.9".parse().unwrap();
        let b: ApiVersion = "1.10".parse().unwrap();
        assert!(a < b);
        assert!("1.x".parse::<ApiVersion>().is_err());
        assert!("152".parse::<ApiVersion>().is_err());
        assert!("1.".parse::<ApiVersion>().is_err());
    }
}
