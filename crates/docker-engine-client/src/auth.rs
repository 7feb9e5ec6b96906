//! Registry credentials: the `X-Registry-Auth` header, from a typed value or
//! from the Docker CLI's `config.json` (`auths`, `credsStore`, `credHelpers`).
//!
//! Secrets never appear in `Debug` output or in error messages.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use crate::error::{Error, ErrorKind};

/// Docker Hub's key in `config.json` and in credential helpers.
pub const DOCKER_HUB: &str = "https://index.docker.io/v1/";

/// Credentials for one registry, as the daemon's `AuthConfig` expects them.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RegistryAuth {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(rename = "serveraddress", skip_serializing_if = "Option::is_none")]
    pub server_address: Option<String>,
    /// An OAuth refresh token (credential helpers return one as the secret of
    /// the user `<token>`).
    #[serde(rename = "identitytoken", skip_serializing_if = "Option::is_none")]
    pub identity_token: Option<String>,
    /// A bearer token sent to the registry as is.
    #[serde(rename = "registrytoken", skip_serializing_if = "Option::is_none")]
    pub registry_token: Option<String>,
}

impl fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("RegistryAuth")
            .field("username", &self.username)
            .field("password", &redacted(&self.password))
            .field("server_address", &self.server_address)
            .field("identity_token", &redacted(&self.identity_token))
            .field("registry_token", &redacted(&self.registry_token))
            .finish()
    }
}

impl RegistryAuth {
    /// User name and password (or personal access token).
    pub fn basic(
        username: impl Into<String>,
        password: impl Into<String>,
        server: impl Into<String>,
    ) -> Self {
        Self {
            username: Some(username.into()),
            password: Some(password.into()),
            server_address: Some(server.into()),
            ..Self::default()
        }
    }

    /// The `X-Registry-Auth` header value: base64url of the JSON, as the
    /// Docker CLI sends it. Pass it to `.x_registry_auth(..)`.
    pub fn header_value(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE.encode(json)
    }

    /// Credentials for `registry` from the Docker CLI configuration
    /// (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`).
    /// `Ok(None)` when there are none. Runs the `docker-credential-*` helper
    /// the configuration names, if any.
    pub fn from_docker_config(registry: &str) -> Result<Option<Self>, Error> {
        let dir = std::env::var_os("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")));
        match dir {
            Some(dir) => Self::from_config_dir(&dir, registry),
            None => Ok(None),
        }
    }

    /// Like [`RegistryAuth::from_docker_config`], for a given directory.
    pub fn from_config_dir(dir: &Path, registry: &str) -> Result<Option<Self>, Error> {
        let path = dir.join("config.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(config_error(&path, e.to_string())),
        };
        let config = CliConfig::parse(&text).map_err(|why| config_error(&path, why))?;
        let key = normalize(registry);

        let helper = config
            .cred_helpers
            .iter()
            .find(|(k, _)| normalize(k) == key)
            .map(|(_, h)| h.clone())
            .or(config.creds_store.clone());
        if let Some(helper) = helper.filter(|h| !h.is_empty()) {
            return run_helper(&helper, &server_key(registry));
        }
        let Some(entry) = config
            .auths
            .iter()
            .find(|(k, _)| normalize(k) == key)
            .map(|(_, v)| v)
        else {
            return Ok(None);
        };
        let mut auth = RegistryAuth {
            server_address: Some(server_key(registry)),
            identity_token: entry.identity_token.clone().filter(|t| !t.is_empty()),
            ..RegistryAuth::default()
        };
        if let Some(encoded) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    config_error(
                        &path,
                        format!("the `auth` of `{registry}` is not base64 of user:password"),
                    )
                })?;
            let (user, password) = decoded.split_once(':').ok_or_else(|| {
                config_error(
                    &path,
                    format!("the `auth` of `{registry}` is not user:password"),
                )
            })?;
            auth.username = Some(user.to_string());
            auth.password = Some(password.to_string());
        }
        Ok(Some(auth))
    }
}

fn config_error(path: &Path, why: String) -> Error {
    Error::new(
        ErrorKind::InvalidConfig,
        format!("{}: {why}", path.display()),
    )
}

/// The registry of an image reference: `registry.example:5000/app:1` →
/// `registry.example:5000`; `busybox`, `library/busybox` → Docker Hub.
pub fn registry_of_image(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first.to_string()
        }
        _ => DOCKER_HUB.to_string(),
    }
}

/// The key helpers and `auths` use: Docker Hub's full URL, else the host.
fn server_key(registry: &str) -> String {
    if is_docker_hub(registry) {
        DOCKER_HUB.to_string()
    } else {
        normalize(registry)
    }
}

fn is_docker_hub(registry: &str) -> bool {
    matches!(
        normalize(registry).as_str(),
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    )
}

/// `https://registry.example/v1/` → `registry.example`; Docker Hub's
/// aliases → `docker.io`.
fn normalize(registry: &str) -> String {
    let host = registry
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
        _ => host,
    }
}

/// The parts of `config.json` that hold credentials.
#[derive(Default)]
struct CliConfig {
    auths: BTreeMap<String, AuthEntry>,
    creds_store: Option<String>,
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Default)]
struct AuthEntry {
    auth: Option<String>,
    identity_token: Option<String>,
}

impl CliConfig {
    /// Reads the credential parts of `config.json`. The errors name the key
    /// and the JSON type found, never a value: a value in the wrong place may
    /// well be a credential (serde's own messages quote it).
    fn parse(text: &str) -> Result<Self, String> {
        use serde_json::Value;
        // Syntax errors say what and where, not what was there.
        let value: Value = serde_json::from_str(text).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => "not a JSON document".to_string(),
            _ => format!("not valid JSON: {e}"),
        })?;
        let Value::Object(top) = value else {
            return Err(format!(
                "the document is {}, not an object",
                type_of(&value)
            ));
        };
        let mut config = CliConfig::default();
        if let Some(auths) = present(top.get("auths")) {
            for (registry, entry) in object(auths, "`auths`")? {
                let at = |field: &str| {
                    format!(
                        "`{field}` of `auths` entry `{}`",
                        crate::host::redact_userinfo(registry)
                    )
                };
                let fields = object(entry, &at("the value"))?;
                config.auths.insert(
                    registry.clone(),
                    AuthEntry {
                        auth: string(fields.get("auth"), &at("auth"))?,
                        identity_token: string(fields.get("identitytoken"), &at("identitytoken"))?,
                    },
                );
            }
        }
        config.creds_store = string(top.get("credsStore"), "`credsStore`")?;
        if let Some(helpers) = present(top.get("credHelpers")) {
            for (registry, helper) in object(helpers, "`credHelpers`")? {
                let at = format!("the `credHelpers` entry of `{registry}`");
                if let Some(helper) = string(Some(helper), &at)? {
                    config.cred_helpers.insert(registry.clone(), helper);
                }
            }
        }
        Ok(config)
    }
}

/// `None` for an absent key or `null` (Go writes nil maps as `null`).
fn present(value: Option<&serde_json::Value>) -> Option<&serde_json::Value> {
    value.filter(|v| !v.is_null())
}

fn object<'a>(
    value: &'a serde_json::Value,
    what: &str,
) -> Result<&'a serde_json::Map<String, serde_json::Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{what} is {}, not an object", type_of(value)))
}

fn string(value: Option<&serde_json::Value>, what: &str) -> Result<Option<String>, String> {
    match present(value) {
        None => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("{what} is {}, not a string", type_of(other))),
    }
}

/// The JSON type of a value, the only thing an error says about it.
fn type_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[derive(serde::Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// `docker-credential-<helper> get`, server URL on stdin, JSON on stdout.
fn run_helper(helper: &str, server: &str) -> Result<Option<RegistryAuth>, Error> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let program = format!("docker-credential-{helper}");
    let failed = |why: String| {
        Error::new(
            ErrorKind::InvalidConfig,
            format!("credential helper `{program}`: {why}"),
        )
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|e| failed(e.to_string()))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| failed(e.to_string()))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stdout).trim().to_string();
        // Helpers say "credentials not found in native keychain" on stdout.
        if said.to_lowercase().contains("not found") {
            return Ok(None);
        }
        return Err(failed(format!("exited with {}", output.status)));
    }
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout)
        .map_err(|_| failed("did not answer the expected JSON".into()))?;
    let mut auth = RegistryAuth {
        server_address: Some(server.to_string()),
        ..RegistryAuth::default()
    };
    if answer.username == "<token>" {
        auth.identity_token = Some(answer.secret);
    } else {
        auth.username = Some(answer.username);
        auth.password = Some(answer.secret);
    }
    Ok(Some(auth))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dea-auth-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn header_is_base64url_json_and_debug_hides_secrets() {
        let auth = RegistryAuth::basic("me", "s3cr3t+/?", "registry.example");
        let decoded = URL_SAFE.decode(auth.header_value()).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"username":"me","password":"s3cr3t+/?","serveraddress":"registry.example"})
        );
        let debug = format!("{auth:?}");
        assert!(
            !debug.contains("s3cr3t") && debug.contains("<redacted>"),
            "{debug}"
        );
    }

    #[test]
    fn reads_auths_from_config_json() {
        let dir = temp_dir("auths");
        let encoded = STANDARD.encode("alice:pa:ss");
        std::fs::write(
            dir.join("config.json"),
            format!(r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{encoded}"}},"registry.example:5000":{{"identitytoken":"tok"}}}}}}"#),
        )
        .unwrap();
        let hub = RegistryAuth::from_config_dir(&dir, "docker.io")
            .unwrap()
            .unwrap();
        assert_eq!(hub.username.as_deref(), Some("alice"));
        assert_eq!(hub.password.as_deref(), Some("pa:ss"));
        assert_eq!(hub.server_address.as_deref(), Some(DOCKER_HUB));
        let private = RegistryAuth::from_config_dir(&dir, "https://registry.example:5000")
            .unwrap()
            .unwrap();
        assert_eq!(private.identity_token.as_deref(), Some("tok"));
        assert!(
            RegistryAuth::from_config_dir(&dir, "elsewhere.example")
                .unwrap()
                .is_none()
        );
        assert!(
            RegistryAuth::from_config_dir(&temp_dir("none"), "docker.io")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn malformed_entries_are_errors_that_quote_no_value() {
        let secret = "alice:s3cr3t-pw";
        let encoded = STANDARD.encode(secret);
        let dir = temp_dir("malformed");
        let cases = [
            format!(r#"{{"auths":{{"registry.example":"{encoded}"}}}}"#),
            r#"{"auths":{"registry.example":987654321}}"#.to_string(),
            r#"{"auths":{"registry.example":{"auth":987654321}}}"#.to_string(),
            r#"{"auths":{"registry.example":{"auth":"s3cr3t-pw!!"}}}"#.to_string(),
            format!(
                r#"{{"auths":{{"registry.example":{{"auth":"{}"}}}}}}"#,
                STANDARD.encode("alice-s3cr3t-pw")
            ),
            r#"{"auths":{"registry.example":{"identitytoken":{"t":"s3cr3t-pw"}}}}"#.to_string(),
            format!(r#"{{"auths":"{encoded}"}}"#),
            r#"{"credHelpers":{"registry.example":987654321}}"#.to_string(),
            r#"{"credsStore":["s3cr3t-pw"]}"#.to_string(),
            format!(r#""{encoded}""#),
            format!(r#"{{"auths":{{"registry.example":{{"auth":"{encoded}" }}"#),
        ];
        for case in cases {
            std::fs::write(dir.join("config.json"), &case).unwrap();
            let e = RegistryAuth::from_config_dir(&dir, "registry.example").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{case}");
            let text = format!("{e} {e:?}");
            for value in ["s3cr3t", "987654321", encoded.as_str(), "YWxpY2Ut"] {
                assert!(!text.contains(value), "{case}: {text}");
            }
            assert!(text.contains("config.json"), "{text}");
        }
        // `null` is Go's empty map or string: no credentials, no error.
        std::fs::write(
            dir.join("config.json"),
            r#"{"auths":null,"credsStore":null,"credHelpers":null}"#,
        )
        .unwrap();
        assert!(
            RegistryAuth::from_config_dir(&dir, "registry.example")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn runs_credential_helpers() {
        let dir = temp_dir("helper");
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let helper = bin.join("docker-credential-fake");
        std::fs::write(
            &helper,
            "#!/bin/sh\nread server\nif [ \"$server\" = \"registry.example\" ]; then echo '{\"ServerURL\":\"registry.example\",\"Username\":\"<token>\",\"Secret\":\"refresh\"}'; else echo 'credentials not found in native keychain'; exit 1; fi\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(
            dir.join("config.json"),
            r#"{"credHelpers":{"registry.example":"fake"},"credsStore":"fake"}"#,
        )
        .unwrap();
        // The helper is found on PATH, as the Docker CLI finds it.
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        // SAFETY: tests in this module do not read PATH concurrently.
        unsafe { std::env::set_var("PATH", path) };
        let auth = RegistryAuth::from_config_dir(&dir, "registry.example")
            .unwrap()
            .unwrap();
        assert_eq!(auth.identity_token.as_deref(), Some("refresh"));
        assert!(auth.username.is_none());
        assert!(
            RegistryAuth::from_config_dir(&dir, "docker.io")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn registry_of_image_references() {
        assert_eq!(registry_of_image("busybox"), DOCKER_HUB);
        assert_eq!(registry_of_image("library/busybox:1"), DOCKER_HUB);
        assert_eq!(
            registry_of_image("registry.example:5000/app:1"),
            "registry.example:5000"
        );
        assert_eq!(registry_of_image("localhost/app"), "localhost");
    }
}
