//! `specs/manifest.toml`: where each swagger file comes from and its sha256.
//!
//! The format is documented in the manifest's own header comment. It is kept
//! as a `toml_edit` document so that updating a checksum or adding a version
//! rewrites only that entry and keeps the comments and layout around it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use docker_engine_api_codegen::ApiVersion;
use toml_edit::{DocumentMut, Item, Table, value};

/// The manifest's file name inside `specs/`.
pub const FILE_NAME: &str = "manifest.toml";

/// One `[specs."MAJOR.MINOR"]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub url: String,
    pub sha256: String,
}

/// The parsed manifest, plus the document it came from (for rewriting).
pub struct Manifest {
    path: PathBuf,
    doc: DocumentMut,
    git_ref: String,
    url_template: String,
    entries: BTreeMap<ApiVersion, Entry>,
}

impl Manifest {
    /// Reads and validates the manifest at `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the manifest {}", path.display()))?;
        Self::parse(path, &text).with_context(|| format!("invalid manifest {}", path.display()))
    }

    fn parse(path: &Path, text: &str) -> Result<Self> {
        let doc: DocumentMut = text.parse()?;
        let source = doc
            .get("source")
            .and_then(Item::as_table)
            .ok_or_else(|| anyhow!("missing [source] table"))?;
        let git_ref = string_field(source, "ref", "[source]")?;
        let url_template = string_field(source, "url_template", "[source]")?;
        if !url_template.contains("{version}") {
            bail!("[source].url_template must contain {{version}}");
        }
        let entries = parse_entries(&doc)?;
        Ok(Self {
            path: path.to_path_buf(),
            doc,
            git_ref,
            url_template,
            entries,
        })
    }

    /// The versions the manifest lists, oldest first.
    pub fn versions(&self) -> impl Iterator<Item = ApiVersion> + '_ {
        self.entries.keys().copied()
    }

    pub fn entry(&self, version: ApiVersion) -> Option<&Entry> {
        self.entries.get(&version)
    }

    /// The pinned upstream ref (`[source].ref`).
    pub fn git_ref(&self) -> &str {
        &self.git_ref
    }

    /// `[source].url_template` expanded for `version` at the pinned ref:
    /// where the version is downloaded from by default.
    pub fn default_url(&self, version: ApiVersion) -> String {
        expand(&self.url_template, version, &self.git_ref)
    }

    /// The `url` recorded for `version`, or the default one for a version new
    /// to the manifest.
    pub fn url(&self, version: ApiVersion) -> String {
        match self.entry(version) {
            Some(entry) => entry.url.clone(),
            None => self.default_url(version),
        }
    }

    /// Records (or replaces) `version`'s entry, in memory only.
    pub fn set(&mut self, version: ApiVersion, entry: Entry) {
        let specs = self.specs_table_mut();
        let key = version.to_string();
        match specs.get_mut(&key).and_then(Item::as_table_mut) {
            // Keep the existing table (and any comment above it).
            Some(table) => {
                table["url"] = value(entry.url.as_str());
                table["sha256"] = value(entry.sha256.as_str());
            }
            None => {
                let mut table = Table::new();
                table["url"] = value(entry.url.as_str());
                table["sha256"] = value(entry.sha256.as_str());
                specs.insert(&key, Item::Table(table));
            }
        }
        self.entries.insert(version, entry);
        self.order_specs();
    }

    /// Gives the `[specs."MAJOR.MINOR"]` tables document positions in version
    /// order, so that a version fetched later (1.40 after 1.52) is still
    /// printed in its place. Positions of other tables are left alone; the
    /// spec tables keep the first position any of them had.
    fn order_specs(&mut self) {
        let specs = self.specs_table_mut();
        let mut keys: Vec<(ApiVersion, String)> = specs
            .iter()
            .filter_map(|(k, _)| Some((k.parse::<ApiVersion>().ok()?, k.to_string())))
            .collect();
        keys.sort();
        let first = specs
            .iter()
            .filter_map(|(_, item)| item.as_table()?.position())
            .min()
            .unwrap_or(0);
        for (i, (_, key)) in keys.iter().enumerate() {
            if let Some(table) = specs.get_mut(key).and_then(Item::as_table_mut) {
                table.set_position(Some(first + i as isize));
            }
        }
    }

    /// The `[specs]` parent table, created (implicit, so it prints no header
    /// of its own) when the manifest lists no version yet.
    fn specs_table_mut(&mut self) -> &mut Table {
        let item = self.doc.entry("specs").or_insert_with(|| {
            let mut table = Table::new();
            table.set_implicit(true);
            Item::Table(table)
        });
        if !item.is_table() {
            // parse_entries already rejected a non-table `specs`.
            *item = Item::Table(Table::new());
        }
        item.as_table_mut().expect("just made a table")
    }

    /// The manifest's text as it would be saved.
    pub fn render(&self) -> String {
        self.doc.to_string()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Substitutes `{ref}` and `{version}` in a URL template.
pub fn expand(template: &str, version: ApiVersion, git_ref: &str) -> String {
    template
        .replace("{ref}", git_ref)
        .replace("{version}", &version.to_string())
}

fn parse_entries(doc: &DocumentMut) -> Result<BTreeMap<ApiVersion, Entry>> {
    let mut entries = BTreeMap::new();
    let Some(specs) = doc.get("specs") else {
        return Ok(entries);
    };
    let specs = specs
        .as_table()
        .ok_or_else(|| anyhow!("`specs` must be a table of [specs.\"MAJOR.MINOR\"] tables"))?;
    for (key, item) in specs.iter() {
        let version: ApiVersion = key
            .parse()
            .with_context(|| format!("bad key [specs.\"{key}\"]"))?;
        let where_ = format!("[specs.\"{key}\"]");
        let table = item
            .as_table()
            .ok_or_else(|| anyhow!("{where_} must be a table"))?;
        let entry = Entry {
            url: string_field(table, "url", &where_)?,
            sha256: string_field(table, "sha256", &where_)?,
        };
        if !is_sha256_hex(&entry.sha256) {
            bail!("{where_}: sha256 must be 64 lowercase hex digits");
        }
        entries.insert(version, entry);
    }
    Ok(entries)
}

fn string_field(table: &Table, key: &str, where_: &str) -> Result<String> {
    table
        .get(key)
        .and_then(Item::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("{where_}: missing string `{key}`"))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "b42afd712c2922fe00f0c1651e6ce8b925e1f992695183c5540c4b7eab7bdeea";

    fn sample() -> String {
        format!(
            "# header kept\n\n[source]\nref = \"abc\"\n\
             url_template = \"https://h/{{ref}}/v{{version}}.yaml\"\n\n\
             # about 1.52\n[specs.\"1.52\"]\nurl = \"https://h/abc/v1.52.yaml\"\nsha256 = \"{SHA}\"\n"
        )
    }

    fn parse(text: &str) -> Result<Manifest> {
        Manifest::parse(Path::new("manifest.toml"), text)
    }

    #[test]
    fn reads_entries_and_expands_the_template() {
        let m = parse(&sample()).unwrap();
        let v152 = ApiVersion::new(1, 52);
        assert_eq!(m.versions().collect::<Vec<_>>(), vec![v152]);
        assert_eq!(m.entry(v152).unwrap().sha256, SHA);
        assert_eq!(
            m.default_url(ApiVersion::new(1, 53)),
            "https://h/abc/v1.53.yaml"
        );
    }

    #[test]
    fn set_keeps_comments_and_appends_new_versions() {
        let mut m = parse(&sample()).unwrap();
        let entry = Entry {
            url: "https://h/abc/v1.53.yaml".into(),
            sha256: "0".repeat(64),
        };
        m.set(ApiVersion::new(1, 53), entry.clone());
        let text = m.render();
        assert!(text.starts_with("# header kept\n"), "{text}");
        assert!(text.contains("# about 1.52\n[specs.\"1.52\"]"), "{text}");
        assert!(
            text.find("[specs.\"1.52\"]").unwrap() < text.find("[specs.\"1.53\"]").unwrap(),
            "{text}"
        );
        let reread = parse(&text).unwrap();
        assert_eq!(reread.entry(ApiVersion::new(1, 53)), Some(&entry));

        // An older version fetched later is printed in version order.
        let mut m = parse(&text).unwrap();
        m.set(ApiVersion::new(1, 40), entry.clone());
        let text = m.render();
        let at = |v: &str| text.find(&format!("[specs.\"{v}\"]")).unwrap();
        assert!(at("1.40") < at("1.52") && at("1.52") < at("1.53"), "{text}");
        assert!(text.contains("# about 1.52\n[specs.\"1.52\"]"), "{text}");
    }

    #[test]
    fn set_on_a_manifest_without_specs() {
        let text = "[source]\nref = \"r\"\nurl_template = \"https://h/v{version}.yaml\"\n";
        let mut m = parse(text).unwrap();
        let entry = Entry {
            url: "u".into(),
            sha256: SHA.into(),
        };
        m.set(ApiVersion::new(1, 44), entry.clone());
        let reread = parse(&m.render()).unwrap();
        assert_eq!(reread.entry(ApiVersion::new(1, 44)), Some(&entry));
        assert!(!m.render().contains("[specs]\n"), "{}", m.render());
    }

    #[test]
    fn rejects_bad_manifests_with_a_message() {
        let cases = [
            ("not toml = = 1", "expected"),
            ("[specs]\n", "missing [source]"),
            (
                "[source]\nref = \"r\"\nurl_template = \"https://h/\"\n",
                "{version}",
            ),
            (
                "[source]\nref = \"r\"\nurl_template = \"h/{version}\"\n[specs.\"x\"]\nurl = \"u\"\nsha256 = \"s\"\n",
                "bad key",
            ),
            (
                "[source]\nref = \"r\"\nurl_template = \"h/{version}\"\n[specs.\"1.5\"]\nurl = \"u\"\nsha256 = \"s\"\n",
                "64 lowercase hex",
            ),
            (
                "[source]\nref = \"r\"\nurl_template = \"h/{version}\"\n[specs.\"1.5\"]\nurl = 3\n",
                "missing string `url`",
            ),
        ];
        for (text, expected) in cases {
            let err = format!("{:#}", parse(text).err().expect(text));
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
