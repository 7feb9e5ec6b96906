//! `cargo xtask fetch`: download the swagger files into `specs/`, checking
//! each against the sha256 recorded in `specs/manifest.toml`.
//!
//! All-or-nothing: every requested version is downloaded into memory and
//! verified first; only if all succeed are the files (and the manifest)
//! written, each through a temporary file and a rename. A failure leaves
//! `specs/` exactly as it was.
//!
//! The workspace root is `XTASK_ROOT` when set (the integration tests point
//! it at a scratch directory), else the real one.

mod manifest;
mod source;
mod staging;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use docker_engine_api_codegen::ApiVersion;
use docker_engine_api_codegen::spec::sha256_hex;

use manifest::{Entry, Manifest};
use source::{GetError, Source, Target};
use staging::Staging;

/// `--latest` gives up after this many consecutive new versions, so that a
/// server answering 200 to every path cannot keep it going forever.
const MAX_NEW_VERSIONS: u32 = 20;

#[derive(clap::Args)]
pub struct Args {
    /// API versions to fetch (e.g. 1.52); default: every version in
    /// specs/manifest.toml (none with --latest alone).
    #[arg(value_name = "VERSION")]
    versions: Vec<ApiVersion>,

    /// Also probe for versions newer than the newest in specs/ (1.N+1, 1.N+2,
    /// … until one is missing), fetch them and add them to the manifest.
    #[arg(long)]
    latest: bool,

    /// Read from here instead of the manifest's URLs: a URL template
    /// containing {version} (and optionally {ref}), e.g.
    /// http://127.0.0.1:8080/v{version}.yaml, or a directory of v1.NN.yaml files.
    #[arg(long, value_name = "URL-TEMPLATE|DIR")]
    source: Option<String>,

    /// Accept files whose sha256 differs from the manifest and record the new
    /// checksums (instead of failing).
    #[arg(long)]
    update_checksums: bool,
}

pub fn run(args: Args) -> Result<()> {
    let specs_dir = root().join("specs");
    let mut manifest = Manifest::load(&specs_dir.join(manifest::FILE_NAME))?;
    let source = Source::new(args.source.as_deref())?;
    let requested = requested_versions(&args, &manifest);

    let mut session = Session {
        source: &source,
        manifest: &manifest,
        specs_dir: &specs_dir,
        update_checksums: args.update_checksums,
        fetched: Vec::new(),
        tried: 0,
        failures: 0,
        unreachable: false,
    };
    for &version in &requested {
        session.fetch(version, false);
        if session.unreachable {
            break;
        }
    }
    if args.latest && !session.unreachable {
        let newest = newest_known(&specs_dir, &manifest, &requested)?;
        session.probe_newer(newest);
    }

    let Session {
        fetched,
        tried,
        failures,
        ..
    } = session;
    if failures > 0 {
        let untried = requested.len().saturating_sub(tried);
        let untried = match untried {
            0 => String::new(),
            n => format!(", {n} not tried after the connection failure"),
        };
        bail!("{failures} version(s) failed{untried}; nothing was written to specs/");
    }
    write_all(&fetched, &mut manifest, &specs_dir)
}

/// The root to work in: `XTASK_ROOT`, or the workspace this xtask belongs to.
fn root() -> PathBuf {
    match std::env::var_os("XTASK_ROOT") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => crate::workspace_root(),
    }
}

/// The versions named on the command line, else (unless `--latest` alone)
/// every version in the manifest; sorted, without duplicates.
fn requested_versions(args: &Args, manifest: &Manifest) -> Vec<ApiVersion> {
    let set: BTreeSet<ApiVersion> = if !args.versions.is_empty() {
        args.versions.iter().copied().collect()
    } else if args.latest {
        BTreeSet::new()
    } else {
        manifest.versions().collect()
    };
    set.into_iter().collect()
}

/// The newest version in `specs/` (or the manifest, or just requested): where
/// `--latest` starts probing.
fn newest_known(
    specs_dir: &Path,
    manifest: &Manifest,
    requested: &[ApiVersion],
) -> Result<ApiVersion> {
    let in_dir = std::fs::read_dir(specs_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(ApiVersion::from_spec_file_name)
        });
    let newest = in_dir
        .chain(manifest.versions())
        .chain(requested.iter().copied())
        .max();
    match newest {
        Some(v) => Ok(v),
        None => bail!("--latest needs a version in specs/ or the manifest to start from"),
    }
}

/// A version read and verified, waiting to be written.
struct Fetched {
    version: ApiVersion,
    bytes: Vec<u8>,
    /// How the bytes compare with the current `specs/` file.
    file: FileState,
    /// The manifest entry to write; `None` when the recorded one is right.
    record: Option<Entry>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FileState {
    Unchanged,
    Changed,
    New,
}

impl FileState {
    fn label(self) -> &'static str {
        match self {
            FileState::Unchanged => "unchanged",
            FileState::Changed => "changed",
            FileState::New => "new file",
        }
    }
}

/// The download phase: reads versions one by one, printing a line each, and
/// keeps what verified. Nothing here writes to disk.
struct Session<'a> {
    source: &'a Source,
    manifest: &'a Manifest,
    specs_dir: &'a Path,
    update_checksums: bool,
    fetched: Vec<Fetched>,
    /// Versions attempted so far.
    tried: usize,
    failures: usize,
    /// The host could not be reached: stop, the rest would fail alike.
    unreachable: bool,
}

/// How reading one version ended.
enum Step {
    Fetched,
    NotFound,
    Failed,
}

impl Session<'_> {
    /// Reads and verifies one version. With `probing`, a missing version is
    /// the expected end of `--latest`, not a failure.
    fn fetch(&mut self, version: ApiVersion, probing: bool) -> Step {
        self.tried += 1;
        let target = self.source.target(version, self.manifest);
        progress(format_args!(
            "v{version:<5} {} {} … ",
            self.source.verb(),
            target.location
        ));
        let bytes = match self.source.get(&target) {
            Ok(bytes) => bytes,
            Err(GetError::NotFound(_)) if probing => {
                println!("not found: no newer version");
                return Step::NotFound;
            }
            Err(e) => {
                self.unreachable = matches!(e, GetError::Unreachable(_));
                let step = match e {
                    GetError::NotFound(_) => Step::NotFound,
                    _ => Step::Failed,
                };
                self.fail(version, e.message());
                return step;
            }
        };
        match self.verify(version, &target, bytes) {
            Ok(fetched) => {
                self.fetched.push(fetched);
                Step::Fetched
            }
            Err(message) => {
                self.fail(version, &message);
                Step::Failed
            }
        }
    }

    /// `--latest`: tries the versions after `newest` until one is missing.
    fn probe_newer(&mut self, newest: ApiVersion) {
        // checked_add: `1.4294967295` on the command line must not overflow.
        let minors = (1..=MAX_NEW_VERSIONS).filter_map(|i| newest.minor.checked_add(i));
        for minor in minors {
            match self.fetch(ApiVersion::new(newest.major, minor), true) {
                Step::Fetched => {}
                Step::NotFound | Step::Failed => return,
            }
        }
        self.error(
            newest,
            &format!(
                "--latest stopped after {MAX_NEW_VERSIONS} versions newer than this one; \
                 is the source answering every path?"
            ),
        );
    }

    /// Checks `bytes` against the manifest and finishes the progress line.
    /// `Err` is the one-line reason for a rejected checksum.
    fn verify(
        &self,
        version: ApiVersion,
        target: &Target,
        bytes: Vec<u8>,
    ) -> Result<Fetched, String> {
        let sha256 = sha256_hex(&bytes);
        let new_entry = || Entry {
            url: target.recorded_url.clone(),
            sha256: sha256.clone(),
        };
        let (record, checksum) = match self.manifest.entry(version) {
            Some(entry) if entry.sha256 == sha256 => {
                if entry.url == target.recorded_url || !self.source.is_upstream() {
                    (None, "sha256 ok")
                } else {
                    // Same bytes at a new [source].ref: keep `url` truthful.
                    (Some(new_entry()), "sha256 ok, url moved to the pinned ref")
                }
            }
            Some(entry) if !self.update_checksums => {
                return Err(format!(
                    "sha256 mismatch for {}: the manifest has {}, the file has {sha256} \
                     (--update-checksums accepts it)",
                    target.location, entry.sha256
                ));
            }
            Some(_) => (Some(new_entry()), "sha256 changed, updating the manifest"),
            None => (Some(new_entry()), "sha256 recorded in the manifest"),
        };
        let file = compare_with_disk(&self.specs_dir.join(version.spec_file_name()), &bytes);
        println!("{} bytes, {checksum}, {}", bytes.len(), file.label());
        Ok(Fetched {
            version,
            bytes,
            file,
            record,
        })
    }

    /// Ends the progress line and reports the reason.
    fn fail(&mut self, version: ApiVersion, message: &str) {
        println!("failed");
        self.error(version, message);
    }

    /// One `error:` line naming the version (the message names the URL).
    fn error(&mut self, version: ApiVersion, message: &str) {
        eprintln!("error: v{version}: {message}");
        self.failures += 1;
    }
}

/// Prints the start of a progress line now (the download may take a while).
fn progress(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(args);
    let _ = out.flush();
}

fn compare_with_disk(path: &Path, bytes: &[u8]) -> FileState {
    match std::fs::read(path) {
        Ok(old) if old == bytes => FileState::Unchanged,
        Ok(_) => FileState::Changed,
        // Missing (or unreadable: then writing it is the fix).
        Err(_) => FileState::New,
    }
}

/// The write phase: stages every changed file and the manifest, then
/// renames them all into place.
fn write_all(fetched: &[Fetched], manifest: &mut Manifest, specs_dir: &Path) -> Result<()> {
    let mut staging = Staging::default();
    let mut written = 0;
    for f in fetched.iter().filter(|f| f.file != FileState::Unchanged) {
        staging.add(&specs_dir.join(f.version.spec_file_name()), &f.bytes)?;
        written += 1;
    }
    let mut recorded = 0;
    for f in fetched {
        if let Some(entry) = &f.record {
            manifest.set(f.version, entry.clone());
            recorded += 1;
        }
    }
    if recorded > 0 {
        staging.add(manifest.path(), manifest.render().as_bytes())?;
    }
    staging.commit()?;
    println!(
        "specs/: {written} file(s) written, {} unchanged; {}",
        fetched.len() - written,
        match recorded {
            0 => "manifest unchanged".to_string(),
            n => format!("{n} entry(ies) updated in {}", manifest::FILE_NAME),
        }
    );
    Ok(())
}
