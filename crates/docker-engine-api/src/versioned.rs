//! What [`VersionedClient`] says about itself, beside its generated variants
//! (`versions.rs`).

use crate::ApiVersion;
use crate::versions::VersionedClient;

impl VersionedClient {
    /// The API version this client speaks: the `/vX.Y` prefix of its
    /// requests, as negotiated with the daemon.
    pub fn version(&self) -> ApiVersion {
        spoken_version(self.base_url()).unwrap_or_else(|| self.types_version())
    }

    /// Whether its types are the spoken version's own (see
    /// [`Negotiated::exact`](crate::Negotiated::exact)).
    pub fn is_exact(&self) -> bool {
        self.version() == self.types_version()
    }
}

/// The version of a base URL the facade built (`http://localhost/v1.41`).
fn spoken_version(base_url: &str) -> Option<ApiVersion> {
    base_url.rsplit('/').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_prefix_of_a_base_url() {
        assert_eq!(
            spoken_version("http://localhost/v1.41"),
            Some(ApiVersion::new(1, 41))
        );
        assert_eq!(
            spoken_version("https://[::1]:2376/v1.55"),
            Some(ApiVersion::new(1, 55))
        );
        assert_eq!(spoken_version("http://localhost"), None);
    }
}
