//! Does a generated type keep everything the daemon sent?
//!
//! [`round_trip`] decodes the daemon's raw JSON into a generated response type,
//! encodes it again and compares the two documents: every field the daemon
//! sent with a value must come back with the same value. A field the type does
//! not know is silently dropped by serde, which is how a wrong spec shows up
//! (the daemon sends the swarm network object where the spec says the engine
//! network type, and its fields vanish).
//!
//! What is not a loss: a `null` the type leaves out (Go's nil slices and maps
//! decode to `None`), fields the re-encoded document has and the daemon did not
//! send (defaults), and numbers that are equal but spelled differently (`1`
//! and `1.0`).

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The trait every generated client implements (the same for every version):
/// its base URL and its HTTP client.
pub use docker_engine_client::v1_51::{ClientInfo, Transport};

/// One step of a JSON path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A place in a JSON document, shown as `[0].Spec.Labels["com.example"]`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct JsonPath(pub Vec<Segment>);

impl JsonPath {
    fn child(&self, segment: Segment) -> JsonPath {
        let mut path = self.0.clone();
        path.push(segment);
        JsonPath(path)
    }

    /// Whether `pattern` (the same notation, where `*` stands for any one key
    /// or index: `[*].NetworksAttachments[*].Network.*`) names this path.
    pub fn matches(&self, pattern: &str) -> bool {
        let Some(pattern) = parse_pattern(pattern) else {
            panic!("bad JSON path pattern `{pattern}`");
        };
        pattern.len() == self.0.len()
            && pattern.iter().zip(&self.0).all(|(p, s)| match (p, s) {
                (PatternSegment::Any, _) => true,
                (PatternSegment::Key(p), Segment::Key(k)) => p == k,
                (PatternSegment::Index(p), Segment::Index(i)) => p == i,
                _ => false,
            })
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(the document)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(k) if is_identifier(k) && i == 0 => f.write_str(k)?,
                Segment::Key(k) if is_identifier(k) => write!(f, ".{k}")?,
                Segment::Key(k) => write!(f, "[{}]", Value::String(k.clone()))?,
            }
        }
        Ok(())
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

enum PatternSegment {
    Any,
    Key(String),
    Index(usize),
}

/// Parses `a.b[0]["c d"].*[*]`.
fn parse_pattern(pattern: &str) -> Option<Vec<PatternSegment>> {
    let mut segments = Vec::new();
    let mut rest = pattern;
    let mut first = true;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let end = if let Some(quoted) = inner.strip_prefix('"') {
                // A JSON string: find its closing quote.
                let mut escaped = false;
                let close = quoted.char_indices().find(|&(_, c)| {
                    let done = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    done
                })?;
                close.0 + 2
            } else {
                inner.find(']')?
            };
            let token = &inner[..end];
            segments.push(match token {
                "*" => PatternSegment::Any,
                t if t.starts_with('"') => PatternSegment::Key(serde_json::from_str(t).ok()?),
                t => PatternSegment::Index(t.parse().ok()?),
            });
            rest = inner[end..].strip_prefix(']')?;
        } else {
            let body = if first { rest } else { rest.strip_prefix('.')? };
            let end = body.find(['.', '[']).unwrap_or(body.len());
            let token = &body[..end];
            if token.is_empty() {
                return None;
            }
            segments.push(match token {
                "*" => PatternSegment::Any,
                t => PatternSegment::Key(t.to_owned()),
            });
            rest = &body[end..];
        }
        first = false;
    }
    Some(segments)
}

/// A field the round trip lost or changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub path: JsonPath,
    /// What the daemon sent there.
    pub sent: Value,
    /// What came back: `None` when the field was dropped.
    pub kept: Option<Value>,
}

impl Finding {
    pub fn is_dropped(&self) -> bool {
        self.kept.is_none()
    }
}

/// Everything a round trip lost or changed, in document order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loss {
    pub findings: Vec<Finding>,
}

impl Loss {
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// The paths of the fields that were dropped.
    pub fn dropped(&self) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| f.is_dropped())
            .map(|f| f.path.to_string())
            .collect()
    }

    /// Leaves out the findings below (or at) a path that one of `patterns`
    /// names (see [`JsonPath::matches`]): the explained exceptions.
    pub fn except(mut self, patterns: &[&str]) -> Loss {
        self.findings.retain(|f| {
            !patterns
                .iter()
                .any(|p| (1..=f.path.0.len()).any(|n| JsonPath(f.path.0[..n].to_vec()).matches(p)))
        });
        self
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("nothing lost");
        }
        for finding in &self.findings {
            let secret = finding.path.0.iter().any(|s| match s {
                Segment::Key(k) => SECRET_KEYS.contains(&k.as_str()),
                Segment::Index(_) => false,
            });
            let show = |v: &Value| {
                if secret {
                    "(a secret, not shown)".to_owned()
                } else {
                    abbreviate(v)
                }
            };
            let sent = show(&finding.sent);
            match &finding.kept {
                None => writeln!(f, "dropped {}: {sent}", finding.path)?,
                Some(kept) => writeln!(
                    f,
                    "changed {}: sent {sent}, kept {}",
                    finding.path,
                    show(kept)
                )?,
            }
        }
        Ok(())
    }
}

/// Fields whose values a report never shows: swarm join tokens, the unlock
/// key, registry credentials.
const SECRET_KEYS: &[&str] = &[
    "JoinTokens",
    "UnlockKey",
    "Password",
    "IdentityToken",
    "RegistryToken",
    "Auth",
];

fn abbreviate(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Decodes `raw` into `T`, encodes it again and compares: what of the
/// daemon's document did `T` lose? Fails, saying where, when `raw` does not
/// decode as `T`.
pub fn round_trip<T: DeserializeOwned + Serialize>(raw: &[u8]) -> Result<Loss, String> {
    let type_name = std::any::type_name::<T>();
    let sent: Value =
        docker_engine_client::decode_json(raw).map_err(|e| format!("not JSON: {e}"))?;
    let typed: T = docker_engine_client::decode_json(raw)
        .map_err(|e| format!("does not decode as {type_name}: {e}"))?;
    let kept = serde_json::to_value(&typed)
        .map_err(|e| format!("cannot encode the decoded {type_name} again: {e}"))?;
    Ok(compare(&sent, &kept))
}

/// `GET path` (below the client's `/vX.Y` base URL) with the generated
/// client's own connection, answering the daemon's raw body; any status but
/// 200 is an error that shows the daemon's answer.
pub async fn get_raw<C: ClientInfo<Transport>>(client: &C, path: &str) -> Result<Vec<u8>, String> {
    let (status, body) = get_answer(client, path).await?;
    if status != 200 {
        return Err(format!(
            "GET {}{path} answered {status}: {}",
            client.baseurl(),
            String::from_utf8_lossy(&body)
        ));
    }
    Ok(body)
}

/// `GET path` as [`get_raw`] does, answering the status and the raw body
/// whatever the status.
pub async fn get_answer<C: ClientInfo<Transport>>(
    client: &C,
    path: &str,
) -> Result<(u16, Vec<u8>), String> {
    let url = format!("{}{path}", client.baseurl());
    let response = client
        .client()
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("GET {url}: reading the body: {e}"))?;
    Ok((status, body.to_vec()))
}

/// [`get_raw`] then [`round_trip`] into `T`, the operation's response type.
pub async fn get_and_round_trip<T, C>(client: &C, path: &str) -> Result<Loss, String>
where
    T: DeserializeOwned + Serialize,
    C: ClientInfo<Transport>,
{
    let raw = get_raw(client, path).await?;
    round_trip::<T>(&raw).map_err(|e| format!("GET {path}: {e}"))
}

/// What of `sent` is missing from, or different in, `kept`.
pub fn compare(sent: &Value, kept: &Value) -> Loss {
    let mut loss = Loss::default();
    walk(&JsonPath::default(), sent, Some(kept), &mut loss.findings);
    loss
}

fn walk(path: &JsonPath, sent: &Value, kept: Option<&Value>, out: &mut Vec<Finding>) {
    let kept = match kept {
        // Go's nil: left out, or kept as null, is the same thing.
        _ if sent.is_null() => {
            if let Some(k) = kept.filter(|k| !k.is_null()) {
                out.push(finding(path, sent, Some(k)));
            }
            return;
        }
        None | Some(Value::Null) => {
            out.push(finding(path, sent, None));
            return;
        }
        Some(k) => k,
    };
    match (sent, kept) {
        (Value::Object(s), Value::Object(k)) => {
            for (key, value) in s {
                walk(
                    &path.child(Segment::Key(key.clone())),
                    value,
                    k.get(key),
                    out,
                );
            }
        }
        (Value::Array(s), Value::Array(k)) => {
            for (i, value) in s.iter().enumerate() {
                walk(&path.child(Segment::Index(i)), value, k.get(i), out);
            }
            if k.len() > s.len() {
                out.push(finding(path, sent, Some(kept)));
            }
        }
        (Value::Number(s), Value::Number(k)) => {
            let same = match (s.as_i64(), k.as_i64(), s.as_u64(), k.as_u64()) {
                (Some(a), Some(b), _, _) => a == b,
                (_, _, Some(a), Some(b)) => a == b,
                _ => s.as_f64() == k.as_f64(),
            };
            if !same {
                out.push(finding(path, sent, Some(kept)));
            }
        }
        (s, k) if s == k => {}
        _ => out.push(finding(path, sent, Some(kept))),
    }
}

fn finding(path: &JsonPath, sent: &Value, kept: Option<&Value>) -> Finding {
    Finding {
        path: path.clone(),
        sent: sent.clone(),
        kept: kept.cloned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(serde::Deserialize, Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Known {
        name: Option<String>,
        labels: Option<std::collections::HashMap<String, String>>,
        size: Option<f64>,
        #[serde(default)]
        always: bool,
    }

    #[test]
    fn unknown_fields_are_reported_at_their_path_and_nulls_are_not() {
        let raw = br#"[{"Name": "a", "Labels": null, "Size": 1, "Extra": {"Deep": 1}},
                       {"Name": "b", "Labels": {"x.y": "z"}, "Nested": [1]}]"#;
        let loss = round_trip::<Vec<Known>>(raw).unwrap();
        assert_eq!(loss.dropped(), ["[0].Extra", "[1].Nested"], "{loss}");
        // `Always` was added (a default): that is not a loss; `1` came back `1.0`.
        assert_eq!(loss.findings.len(), 2, "{loss}");
        assert!(loss.clone().except(&["[*].Extra", "[1].*"]).is_empty());
        assert_eq!(loss.except(&["[*].Extra"]).dropped(), ["[1].Nested"]);
    }

    #[test]
    fn changed_values_and_lost_array_items_are_reported() {
        let loss = compare(
            &json!({"A": [1, 2, 3], "B": "x", "C": {"k": 1}}),
            &json!({"A": [1, 2], "B": "y", "C": {"k": 1.5}}),
        );
        let shown: Vec<String> = loss
            .findings
            .iter()
            .map(|f| format!("{} {}", f.path, f.is_dropped()))
            .collect();
        assert_eq!(shown, ["A[2] true", "B false", "C.k false"], "{loss}");
        assert!(compare(&json!({"A": 1}), &json!({"A": 1})).is_empty());
    }

    #[test]
    fn paths_show_and_match_keys_that_are_not_identifiers() {
        let path = JsonPath(vec![
            Segment::Index(0),
            Segment::Key("Services".into()),
            Segment::Key("my svc".into()),
            Segment::Key("Info".into()),
            Segment::Key("Host IP".into()),
        ]);
        assert_eq!(
            path.to_string(),
            r#"[0].Services["my svc"].Info["Host IP"]"#
        );
        assert!(path.matches(r#"[0].Services["my svc"].Info["Host IP"]"#));
        assert!(path.matches("[*].Services.*.Info.*"));
        assert!(path.matches(r#"[*].*[*].Info["Host IP"]"#));
        assert!(!path.matches("[*].Services.*.Info"));
        assert!(!path.matches("Services.*.*.*.*"));
    }

    #[test]
    fn reports_never_show_secrets() {
        let loss = compare(
            &json!({"JoinTokens": {"Worker": "SWMTKN-1-abc"}, "Name": "n"}),
            &json!({}),
        );
        let shown = loss.to_string();
        assert!(shown.contains("dropped JoinTokens"), "{shown}");
        assert!(shown.contains("dropped Name: \"n\""), "{shown}");
        assert!(!shown.contains("SWMTKN"), "{shown}");
    }
}
