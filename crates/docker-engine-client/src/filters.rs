//! `filters` query parameters: a typed map, encoded as Docker reads it.

use std::collections::BTreeMap;

/// Filters for list, prune and events operations, e.g.
/// `Filters::new().add("status", "exited").add("label", "app=web")`.
///
/// Docker takes them as a JSON object of string arrays inside the query
/// string; the generated clients take that JSON as a `String`, and a
/// `Filters` converts into it, so `.filters(filters)` works on every version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters(BTreeMap<String, Vec<String>>);

impl Filters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value for `key` (several values for one key are OR-ed by the daemon).
    pub fn add(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.entry(key.into()).or_default().push(value.into());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `{"key":["value",...]}`
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }
}

impl From<Filters> for String {
    fn from(filters: Filters) -> String {
        filters.to_json()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Filters {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        iter.into_iter()
            .fold(Filters::new(), |f, (k, v)| f.add(k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_docker_reads_it() {
        let f = Filters::new()
            .add("status", "exited")
            .add("label", "a=b")
            .add("status", "dead");
        assert_eq!(
            f.to_json(),
            r#"{"label":["a=b"],"status":["exited","dead"]}"#
        );
        assert_eq!(String::from(Filters::new()), "{}");
        let collected: Filters = [("name", "web")].into_iter().collect();
        assert_eq!(collected.to_json(), r#"{"name":["web"]}"#);
    }
}
