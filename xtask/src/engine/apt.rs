//! Fetching Debian packages without touching the system's packages.
//!
//! The Docker engines come from Debian suites (sid, trixie, and bookworm, the
//! machine's own, taken the same way so that what is installed on the machine
//! does not matter). A private apt configuration (own sources list, lists,
//! caches and an empty dpkg status) resolves and downloads their packages;
//! `dpkg -x` unpacks them into a directory. Nothing is installed, and the
//! system's apt state is neither read nor written. [`Apt::system`] is the
//! machine's own apt: busybox is downloaded with it, runc and podman installed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};

/// How long downloaded package lists are trusted before `apt-get update`.
const LISTS_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
const FALLBACK_MIRROR: &str = "http://deb.debian.org/debian";

/// One way of running apt: the machine's own configuration, or a private one.
pub struct Apt {
    /// `-o` options placed before every apt command.
    options: Vec<String>,
    /// Where `apt-get update` leaves its mark (private configurations only).
    updated_stamp: Option<PathBuf>,
    label: String,
}

/// The version of a package that apt would download.
#[derive(Clone)]
pub struct Candidate {
    pub package: String,
    pub version: String,
    pub architecture: String,
    pub depends: String,
    pub recommends: String,
}

impl Candidate {
    /// The file name `apt-get download` gives the package (an epoch's `:` is escaped).
    pub fn file_name(&self) -> String {
        let version = self.version.replace(':', "%3a");
        format!("{}_{version}_{}.deb", self.package, self.architecture)
    }

    /// The names in the Depends field (first of each alternative).
    pub fn dependencies(&self) -> impl Iterator<Item = &str> {
        first_of_each(&self.depends)
    }

    /// The names in the Recommends field (first of each alternative).
    pub fn recommendations(&self) -> impl Iterator<Item = &str> {
        first_of_each(&self.recommends)
    }
}

/// `a (>= 1) | b, c` → `a`, `c`.
fn first_of_each(field: &str) -> impl Iterator<Item = &str> {
    field
        .split(',')
        .filter_map(|alt| alt.split('|').next()?.split_whitespace().next())
}

impl Apt {
    /// The machine's own apt, for its own suite.
    pub fn system() -> Apt {
        Apt {
            // Root: `apt-get download` writes under the workspace, which the
            // unprivileged `_apt` user that apt downloads as may not reach.
            options: vec![
                "APT::Sandbox::User=root".into(),
                "Acquire::Retries=3".into(),
            ],
            updated_stamp: None,
            label: "the machine's apt sources".into(),
        }
    }

    /// A private apt for Debian `suite`, keeping all its state under `dir`.
    pub fn private(dir: &Path, suite: &str) -> Result<Apt> {
        let state = dir.join("state");
        let cache = dir.join("cache");
        for d in [state.join("lists/partial"), cache.join("archives/partial")] {
            fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        // An empty dpkg status: candidates are what the suite offers, whatever
        // the machine has installed.
        let status = state.join("status");
        if !status.exists() {
            fs::write(&status, "")?;
        }
        let sources = dir.join("sources.list");
        let line = format!(
            "deb [signed-by={KEYRING}] {} {suite} main\n",
            debian_mirror()
        );
        fs::write(&sources, line)?;

        let path = |p: &Path| p.to_string_lossy().into_owned();
        let options = vec![
            format!("Dir::Etc::SourceList={}", path(&sources)),
            "Dir::Etc::SourceParts=/dev/null".into(),
            "Dir::Etc::Preferences=/dev/null".into(),
            "Dir::Etc::PreferencesParts=/dev/null".into(),
            format!("Dir::State={}", path(&state)),
            format!("Dir::State::status={}", path(&status)),
            format!("Dir::Cache={}", path(&cache)),
            // The files are root's, under the workspace: the unprivileged `_apt`
            // user that apt downloads as may not reach them.
            "APT::Sandbox::User=root".into(),
            "Acquire::Retries=3".into(),
            // Only the Packages index is needed: no translations, no AppStream
            // metadata (which the machine's apt.conf.d may enable).
            "Acquire::Languages=none".into(),
            "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false".into(),
            "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false".into(),
            "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false".into(),
            "Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false".into(),
        ];
        Ok(Apt {
            options,
            updated_stamp: Some(dir.join("state/updated")),
            label: format!("Debian {suite}"),
        })
    }

    /// When the private lists were last updated.
    pub fn lists_updated_at(&self) -> Option<SystemTime> {
        fs::metadata(self.updated_stamp.as_ref()?)
            .ok()?
            .modified()
            .ok()
    }

    /// Whether the private lists exist and are less than a day old.
    pub fn lists_fresh(&self) -> bool {
        self.lists_updated_at()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age < LISTS_MAX_AGE)
    }

    pub fn update(&self) -> Result<()> {
        println!("apt-get update ({})", self.label);
        run(self.command("apt-get").args(["-q", "update"]))
            .with_context(|| format!("apt-get update failed for {}", self.label))?;
        if let Some(stamp) = &self.updated_stamp {
            fs::write(stamp, "")?;
        }
        Ok(())
    }

    /// The candidate versions of `packages`, in that order.
    pub fn candidates(&self, packages: &[&str]) -> Result<Vec<Candidate>> {
        let out = run(self
            .command("apt-cache")
            .args(["show", "--no-all-versions"])
            .args(packages))
        .with_context(|| format!("cannot find {packages:?} in {}", self.label))?;
        let records = parse_records(&out);
        packages
            .iter()
            .map(|name| {
                records
                    .iter()
                    .find(|c| c.package == *name)
                    .cloned()
                    .with_context(|| format!("{} has no package {name}", self.label))
            })
            .collect()
    }

    /// Downloads `candidates` into `dir` (apt skips a file already there with the
    /// right checksum) and returns the paths of the .deb files.
    pub fn download(&self, candidates: &[Candidate], dir: &Path) -> Result<Vec<PathBuf>> {
        fs::create_dir_all(dir)?;
        let specs: Vec<String> = candidates
            .iter()
            .map(|c| format!("{}={}", c.package, c.version))
            .collect();
        run(self
            .command("apt-get")
            .current_dir(dir)
            .args(["-q", "download"])
            .args(&specs))
        .with_context(|| format!("cannot download {specs:?} from {}", self.label))?;
        candidates
            .iter()
            .map(|c| {
                let deb = dir.join(c.file_name());
                anyhow::ensure!(
                    deb.is_file(),
                    "apt-get download did not leave {}",
                    deb.display()
                );
                Ok(deb)
            })
            .collect()
    }

    /// Installs `package` on the machine (runc and podman, see packages.rs).
    pub fn install(&self, package: &str) -> Result<()> {
        println!("apt-get install -y {package}");
        run(self
            .command("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["-q", "install", "-y", package]))
        .with_context(|| format!("cannot install {package}"))
        .map(drop)
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        for o in &self.options {
            cmd.arg("-o").arg(o);
        }
        cmd
    }
}

/// Parses `apt-cache show` output: records separated by blank lines.
fn parse_records(text: &str) -> Vec<Candidate> {
    text.split("\n\n")
        .filter_map(|record| {
            let field = |name: &str| {
                record.lines().find_map(|l| {
                    l.strip_prefix(name)?
                        .strip_prefix(':')
                        .map(|v| v.trim().to_string())
                })
            };
            Some(Candidate {
                package: field("Package")?,
                version: field("Version")?,
                architecture: field("Architecture")?,
                depends: field("Depends").unwrap_or_default(),
                recommends: field("Recommends").unwrap_or_default(),
            })
        })
        .collect()
}

/// Runs `f`; if it fails, runs `apt.update()` and tries once more. Package lists
/// can be missing (a fresh machine) or stale (sid moves daily: a listed version
/// may already be gone from the archive).
pub fn with_update_retry<T>(apt: &Apt, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    match f() {
        Ok(v) => Ok(v),
        Err(first) => {
            eprintln!("{first:#}; updating the package lists and retrying");
            apt.update()?;
            f()
        }
    }
}

/// Unpacks a .deb's files into `dest` (`dpkg -x`: no maintainer scripts run,
/// nothing is registered with dpkg).
pub fn unpack(deb: &Path, dest: &Path) -> Result<()> {
    fs::create_dir_all(dest)?;
    run(Command::new("dpkg").arg("-x").arg(deb).arg(dest))
        .with_context(|| format!("cannot unpack {}", deb.display()))
        .map(drop)
}

/// The Debian mirror the machine's own apt sources use (any mirror carries every
/// suite), so that `up` goes where the machine is allowed to go.
fn debian_mirror() -> String {
    let codename = fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VERSION_CODENAME=")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_default();
    let entries = system_source_entries();
    entries
        .iter()
        .find(|(_, suites)| suites.contains(&codename))
        .or_else(|| {
            entries
                .iter()
                .find(|(uri, _)| uri.contains("debian") && !uri.contains("security"))
        })
        .map(|(uri, _)| uri.trim_end_matches('/').to_string())
        .unwrap_or_else(|| FALLBACK_MIRROR.to_string())
}

/// (URI, suites) of each enabled `deb` source of the machine, in one-line
/// (`*.list`) and deb822 (`*.sources`) formats.
fn system_source_entries() -> Vec<(String, Vec<String>)> {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(dir) = fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = dir.filter_map(|e| Some(e.ok()?.path())).collect();
        more.sort();
        files.extend(more);
    }
    let mut entries = Vec::new();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        match file.extension().and_then(|e| e.to_str()) {
            Some("sources") => entries.extend(parse_deb822_sources(&text)),
            Some("list") => entries.extend(parse_one_line_sources(&text)),
            _ => {}
        }
    }
    entries
}

fn parse_one_line_sources(text: &str) -> Vec<(String, Vec<String>)> {
    text.lines()
        .filter_map(|line| {
            let line = line.split('#').next()?.trim();
            let rest = line.strip_prefix("deb ")?.trim_start();
            // Skip the `[option=value ...]` block.
            let rest = match rest.strip_prefix('[') {
                Some(r) => r.split_once(']')?.1,
                None => rest,
            };
            let mut words = rest.split_whitespace();
            let uri = words.next()?.to_string();
            let suite = words.next()?.to_string();
            Some((uri, vec![suite]))
        })
        .collect()
}

fn parse_deb822_sources(text: &str) -> Vec<(String, Vec<String>)> {
    text.split("\n\n")
        .filter_map(|stanza| {
            let field = |name: &str| {
                stanza
                    .lines()
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix(':').map(str::trim))
            };
            if field("Enabled") == Some("no")
                || !field("Types")?.split_whitespace().any(|t| t == "deb")
            {
                return None;
            }
            let uri = field("URIs")?.split_whitespace().next()?.to_string();
            let suites = field("Suites")?
                .split_whitespace()
                .map(String::from)
                .collect();
            Some((uri, suites))
        })
        .collect()
}

/// Runs a command to completion, returning its stdout; on failure the error
/// holds the end of its output.
fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    if !out.status.success() {
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        bail!(
            "{:?} exited with {}:\n{tail}",
            cmd.get_program(),
            out.status
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_source_formats() {
        let deb822 = "Types: deb\n# a comment\nURIs: http://m/debian\nSuites: bookworm bookworm-updates\n\
                      Components: main\n\nTypes: deb-src\nURIs: http://src/\nSuites: bookworm\n";
        assert_eq!(
            parse_deb822_sources(deb822),
            vec![(
                "http://m/debian".to_string(),
                vec!["bookworm".into(), "bookworm-updates".into()]
            )]
        );
        let list = "# x\ndeb [arch=amd64 signed-by=/k.gpg] http://m/debian bookworm main\ndeb-src http://s/ bookworm main\n";
        assert_eq!(
            parse_one_line_sources(list),
            vec![("http://m/debian".to_string(), vec!["bookworm".into()])]
        );
    }

    #[test]
    fn parses_candidates_and_file_names() {
        let out = "Package: busybox-static\nVersion: 1:1.35.0-4+b1\nArchitecture: amd64\n\
                   Depends: libc6 (>= 2.34), tini-static | tini\n\nPackage: x\nVersion: 2\nArchitecture: all\n";
        let records = parse_records(out);
        assert_eq!(
            records[0].file_name(),
            "busybox-static_1%3a1.35.0-4+b1_amd64.deb"
        );
        assert_eq!(
            records[0].dependencies().collect::<Vec<_>>(),
            ["libc6", "tini-static"]
        );
        assert_eq!(records[1].file_name(), "x_2_all.deb");
    }
}
