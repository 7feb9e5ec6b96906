//! `cargo xtask fetch` end to end: the built binary, pointed (`XTASK_ROOT`)
//! at a scratch workspace, reading the repository's own `specs/` either as a
//! directory or through a tiny HTTP server on 127.0.0.1. No real network.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The repository's committed swagger files and manifest.
fn repo_specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs")
}

/// `(file name, bytes)` of every `v*.yaml` in the repository's `specs/`.
fn repo_spec_files() -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(repo_specs())
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|name| name.starts_with('v') && name.ends_with(".yaml"))
        .map(|name| {
            let bytes = std::fs::read(repo_specs().join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

/// A workspace-like temporary directory: `specs/manifest.toml` only (plus
/// whatever a test adds). Removed on drop.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!(
            "xtask-fetch-test-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("specs")).unwrap();
        std::fs::copy(
            repo_specs().join("manifest.toml"),
            root.join("specs/manifest.toml"),
        )
        .unwrap();
        Self { root }
    }

    /// Also copies every committed spec file in.
    fn with_all_specs(name: &str) -> Self {
        let scratch = Self::new(name);
        for (file, bytes) in repo_spec_files() {
            scratch.write(&file, &bytes);
        }
        scratch
    }

    fn specs(&self) -> PathBuf {
        self.root.join("specs")
    }

    fn write(&self, file: &str, bytes: &[u8]) {
        std::fs::write(self.specs().join(file), bytes).unwrap();
    }

    fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.specs().join(file)).unwrap()
    }

    fn manifest(&self) -> String {
        std::fs::read_to_string(self.specs().join("manifest.toml")).unwrap()
    }

    /// Every file in `specs/` with its bytes: to prove nothing was touched
    /// (and no temporary file left behind).
    fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(self.specs())
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
            })
            .collect()
    }

    fn fetch(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.arg("fetch").args(args).env("XTASK_ROOT", &self.root);
        // The test server is local: no proxy may intercept it.
        for var in ["http_proxy", "https_proxy", "all_proxy"] {
            cmd.env_remove(var).env_remove(var.to_uppercase());
        }
        Run(cmd.output().unwrap())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

struct Run(Output);

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    fn assert_success(&self) {
        assert!(
            self.0.status.success(),
            "fetch failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
    }

    /// Exit code 1 and the `error:` lines that are not the closing summary.
    fn assert_failure(&self) -> Vec<String> {
        assert_eq!(
            self.0.status.code(),
            Some(1),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        let stderr = self.stderr();
        assert!(!stderr.contains("panicked"), "{stderr}");
        let lines: Vec<String> = stderr.lines().map(str::to_owned).collect();
        assert!(
            lines
                .last()
                .is_some_and(|l| l.contains("nothing was written")),
            "{stderr}"
        );
        lines[..lines.len() - 1].to_vec()
    }
}

/// A minimal HTTP/1.1 file server on 127.0.0.1: `GET /NAME` answers 200 with
/// `files[NAME]`, or 404. One request per connection (`Connection: close`).
struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(files: HashMap<String, Vec<u8>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        // Lives until the test process exits; blocked in accept meanwhile.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serve(stream, &files, &log);
            }
        });
        Self { port, requests }
    }

    /// The repository's specs, plus `extra` (name → bytes).
    fn with_repo_specs(extra: &[(&str, Vec<u8>)]) -> Self {
        let mut files: HashMap<String, Vec<u8>> = repo_spec_files().into_iter().collect();
        for (name, bytes) in extra {
            files.insert(name.to_string(), bytes.clone());
        }
        Self::start(files)
    }

    fn template(&self) -> String {
        format!("http://127.0.0.1:{}/v{{version}}.yaml", self.port)
    }

    fn url(&self, file: &str) -> String {
        format!("http://127.0.0.1:{}/{file}", self.port)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, files: &HashMap<String, Vec<u8>>, log: &Mutex<Vec<String>>) {
    let Some(path) = read_request_path(&mut stream) else {
        return;
    };
    log.lock().unwrap().push(path.clone());
    let (status, body): (&str, &[u8]) = match files.get(path.trim_start_matches('/')) {
        Some(bytes) => ("200 OK", bytes),
        None => ("404 Not Found", b"404 page not found\n"),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// The path of a `GET` request, once its headers have arrived.
fn read_request_path(stream: &mut TcpStream) -> Option<String> {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&request);
    let mut words = text.lines().next()?.split_whitespace();
    (words.next()? == "GET").then_some(())?;
    words.next().map(str::to_owned)
}

fn sha256_hex(bytes: &[u8]) -> String {
    docker_engine_api_codegen::spec::sha256_hex(bytes)
}

#[test]
fn dir_source_copies_the_specs_byte_for_byte() {
    let scratch = Scratch::new("dir");
    let manifest_before = scratch.manifest();
    let run = scratch.fetch(&["--source", repo_specs().to_str().unwrap()]);
    run.assert_success();
    let expected = repo_spec_files();
    assert_eq!(
        expected.len(),
        scratch
            .manifest()
            .lines()
            .filter(|l| l.starts_with("[specs."))
            .count(),
        "one committed spec per manifest entry"
    );
    assert!(expected.len() >= 16, "v1.40 … v1.55 at least");
    for (file, bytes) in &expected {
        assert!(scratch.read(file) == *bytes, "{file} differs");
        let version = file.trim_start_matches('v').trim_end_matches(".yaml");
        assert!(
            run.stdout().contains(&format!("v{version} reading")),
            "{}",
            run.stdout()
        );
    }
    assert_eq!(scratch.manifest(), manifest_before);
    assert_eq!(scratch.snapshot().len(), expected.len() + 1);
}

#[test]
fn http_source_downloads_verifies_and_reports_each_version() {
    let server = Server::with_repo_specs(&[]);
    let scratch = Scratch::new("http");
    // One stale file, one already right, the rest missing.
    scratch.write("v1.51.yaml", b"stale\n");
    scratch.write("v1.52.yaml", &repo_spec_files()["v1.52.yaml"]);
    let manifest_before = scratch.manifest();

    let run = scratch.fetch(&["--source", &server.template()]);
    run.assert_success();
    for (file, bytes) in repo_spec_files() {
        assert!(scratch.read(&file) == bytes, "{file} differs");
    }
    let stdout = run.stdout();
    let line = |v: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("v{v} ")))
            .unwrap_or_else(|| panic!("no line for v{v}:\n{stdout}"))
            .to_owned()
    };
    assert!(line("1.44").contains(&server.url("v1.44.yaml")));
    assert!(line("1.44").contains("431500 bytes, sha256 ok, new file"));
    assert!(line("1.51").ends_with("sha256 ok, changed"));
    assert!(line("1.52").ends_with("sha256 ok, unchanged"));
    assert_eq!(scratch.manifest(), manifest_before);
}

#[test]
fn a_missing_version_is_one_clear_error_and_writes_nothing() {
    let mut files: HashMap<String, Vec<u8>> = repo_spec_files().into_iter().collect();
    files.remove("v1.50.yaml");
    let server = Server::start(files);
    let scratch = Scratch::new("404");
    scratch.write("v1.49.yaml", b"stale: would be replaced on success\n");
    let before = scratch.snapshot();

    let run = scratch.fetch(&["--source", &server.template(), "1.49", "1.50", "1.51"]);
    let errors = run.assert_failure();
    assert_eq!(errors.len(), 1, "{}", run.stderr());
    assert!(errors[0].starts_with("error: v1.50: "), "{}", errors[0]);
    assert!(errors[0].contains("404"), "{}", errors[0]);
    assert!(
        errors[0].contains(&server.url("v1.50.yaml")),
        "{}",
        errors[0]
    );
    // The other versions were still checked, but nothing was written.
    assert_eq!(server.requests().len(), 3);
    assert!(scratch.snapshot() == before, "specs/ was modified");
}

#[test]
fn altered_bytes_are_a_checksum_mismatch_unless_accepted() {
    let mut altered = repo_spec_files()["v1.52.yaml"].clone();
    altered.extend_from_slice(b"# tampered\n");
    let server = Server::with_repo_specs(&[("v1.52.yaml", altered.clone())]);
    let scratch = Scratch::with_all_specs("mismatch");
    scratch.write("v1.51.yaml", b"stale\n");
    let before = scratch.snapshot();

    let run = scratch.fetch(&["--source", &server.template(), "1.51", "1.52"]);
    let errors = run.assert_failure();
    assert_eq!(errors.len(), 1, "{}", run.stderr());
    assert!(
        errors[0].starts_with("error: v1.52: sha256 mismatch"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains(&server.url("v1.52.yaml")),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains(&sha256_hex(&altered)), "{}", errors[0]);
    assert!(scratch.snapshot() == before, "specs/ was modified");

    // --update-checksums: accepted, written, and recorded in the manifest.
    let manifest_before = scratch.manifest();
    let run = scratch.fetch(&["--source", &server.template(), "--update-checksums", "1.52"]);
    run.assert_success();
    assert!(scratch.read("v1.52.yaml") == altered);
    let manifest = scratch.manifest();
    let old_sha = sha256_hex(&repo_spec_files()["v1.52.yaml"]);
    assert_eq!(
        manifest,
        manifest_before
            .replace(&old_sha, &sha256_hex(&altered))
            .replace(&url_in(&manifest_before, "1.52"), &server.url("v1.52.yaml")),
        "only the 1.52 entry may change"
    );
}

/// The `url` recorded for `version` in a manifest's text.
fn url_in(manifest: &str, version: &str) -> String {
    let table = &manifest[manifest.find(&format!("[specs.\"{version}\"]")).unwrap()..];
    let line = table.lines().find(|l| l.starts_with("url = ")).unwrap();
    line.trim_start_matches("url = ")
        .trim_matches('"')
        .to_owned()
}

#[test]
fn connection_refused_is_one_clear_line() {
    // A port that was just free: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let scratch = Scratch::with_all_specs("refused");
    let before = scratch.snapshot();
    let template = format!("http://127.0.0.1:{port}/v{{version}}.yaml");

    let run = scratch.fetch(&["--source", &template, "1.51", "1.52"]);
    let errors = run.assert_failure();
    assert_eq!(errors.len(), 1, "{}", run.stderr());
    let url = format!("http://127.0.0.1:{port}/v1.51.yaml");
    assert!(
        errors[0].starts_with(&format!("error: v1.51: cannot connect to {url}: ")),
        "{}",
        errors[0]
    );
    assert!(run.stderr().contains("1 not tried"), "{}", run.stderr());
    assert!(scratch.snapshot() == before, "specs/ was modified");
}

/// The newest committed version and the two after it (`1.55`, `1.56`, `1.57`).
fn newest_and_next() -> (String, String, String) {
    let newest = repo_spec_files()
        .keys()
        .filter_map(|f| {
            let v = f.trim_start_matches('v').trim_end_matches(".yaml");
            let (major, minor) = v.split_once('.')?;
            Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?))
        })
        .max()
        .unwrap();
    let at = |minor: u32| format!("{}.{minor}", newest.0);
    (at(newest.1), at(newest.1 + 1), at(newest.1 + 2))
}

#[test]
fn latest_fetches_newer_versions_and_records_them() {
    let (newest, next, after) = newest_and_next();
    let bytes = repo_spec_files()[&format!("v{newest}.yaml")].clone();
    let next_file = format!("v{next}.yaml");
    let server = Server::with_repo_specs(&[(next_file.as_str(), bytes.clone())]);
    let scratch = Scratch::with_all_specs("latest");
    let manifest_before = scratch.manifest();

    let run = scratch.fetch(&["--latest", "--source", &server.template()]);
    run.assert_success();
    assert!(scratch.read(&next_file) == bytes);
    assert_eq!(
        server.requests(),
        [format!("/v{next}.yaml"), format!("/v{after}.yaml")]
    );
    assert!(
        run.stdout().contains(&format!("v{after} downloading")),
        "{}",
        run.stdout()
    );

    // Appended after the existing entries, which stay as they were.
    let manifest = scratch.manifest();
    let added = manifest
        .strip_prefix(manifest_before.as_str())
        .unwrap_or_else(|| panic!("existing entries changed:\n{manifest}"));
    assert_eq!(
        added.trim(),
        format!(
            "[specs.\"{next}\"]\nurl = \"{}\"\nsha256 = \"{}\"",
            server.url(&next_file),
            sha256_hex(&bytes)
        )
    );

    // Nothing newer now: a no-op that still succeeds.
    let run = scratch.fetch(&["--latest", "--source", &server.template()]);
    run.assert_success();
    assert!(
        run.stdout().contains("0 file(s) written"),
        "{}",
        run.stdout()
    );
}

#[test]
fn default_source_is_the_template_at_the_pinned_ref() {
    // The manifest's own [source], pointed at the local server and moved to
    // another ref: a plain fetch follows it and moves the recorded url.
    let v152 = repo_spec_files()["v1.52.yaml"].clone();
    let server = Server::start(HashMap::from([(
        "next/v1.52.yaml".to_string(),
        v152.clone(),
    )]));
    let scratch = Scratch::with_all_specs("default-source");
    let template = format!("http://127.0.0.1:{}/{{ref}}/v{{version}}.yaml", server.port);
    let manifest: String = scratch
        .manifest()
        .lines()
        .map(|line| match line {
            l if l.starts_with("ref = ") => "ref = \"next\"".to_string(),
            l if l.starts_with("url_template = ") => format!("url_template = \"{template}\""),
            l => l.to_string(),
        })
        .map(|line| line + "\n")
        .collect();
    scratch.write("manifest.toml", manifest.as_bytes());

    let run = scratch.fetch(&["1.52"]);
    run.assert_success();
    assert_eq!(server.requests(), ["/next/v1.52.yaml"]);
    assert!(run.stdout().contains("url moved"), "{}", run.stdout());
    let updated = scratch.manifest();
    assert_eq!(url_in(&updated, "1.52"), server.url("next/v1.52.yaml"));
    assert_eq!(
        updated,
        manifest.replace(&url_in(&manifest, "1.52"), &server.url("next/v1.52.yaml")),
        "only the 1.52 url may change"
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let scratch = Scratch::new("bad-input");

    let run = scratch.fetch(&["not-a-version"]);
    assert_eq!(run.0.status.code(), Some(2), "{}", run.stderr());
    assert!(
        run.stderr().contains("not an API version"),
        "{}",
        run.stderr()
    );

    let run = scratch.fetch(&["--source", "/nonexistent/xtask-fetch-test"]);
    assert_eq!(run.0.status.code(), Some(1), "{}", run.stderr());
    assert!(
        run.stderr().contains("neither a URL template"),
        "{}",
        run.stderr()
    );

    let run = scratch.fetch(&["--source", "ftp://host/v{version}.yaml"]);
    assert_eq!(run.0.status.code(), Some(1), "{}", run.stderr());
    assert!(
        run.stderr().contains("https:// or http://"),
        "{}",
        run.stderr()
    );

    scratch.write("manifest.toml", b"[source]\nref = 1\n");
    let run = scratch.fetch(&["--source", repo_specs().to_str().unwrap()]);
    assert_eq!(run.0.status.code(), Some(1), "{}", run.stderr());
    assert!(
        run.stderr().contains("invalid manifest"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("panicked"), "{}", run.stderr());
}
