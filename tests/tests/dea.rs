//! `dea` (the CLI of `crates/dea`) against real engines: its commands next to
//! the docker CLI's output and exit codes (times normalised), and `dea api`
//! for every GET operation of the negotiated version, a few writes, and its
//! argument checks against the API model.
//!
//! The docker CLI is `DEA_DOCKER_CLI`, else the engine's unpacked
//! `root/usr/bin/docker`, else `docker` on `PATH`; a test that finds none
//! fails saying so.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use docker_engine_api_tests::{BASE_IMAGE, Engine, engine, unique_name};
use serde_json::Value;

/// What a command printed and how it ended.
#[derive(Debug)]
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn ran(out: Output) -> Ran {
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn command(program: &PathBuf, host: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args)
        .env("DOCKER_HOST", host)
        .env("TZ", "UTC")
        .env("DOCKER_CONFIG", "/nonexistent/dea-tests")
        .env_remove("DOCKER_API_VERSION")
        .env_remove("DOCKER_CONTEXT")
        .stdin(Stdio::null());
    c
}

fn run_with(program: &PathBuf, host: &str, args: &[&str], stdin: Option<&[u8]>) -> Ran {
    let mut c = command(program, host, args);
    if stdin.is_some() {
        c.stdin(Stdio::piped());
    }
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input).unwrap();
    }
    ran(child.wait_with_output().unwrap())
}

fn dea_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dea"))
}

fn docker_cli(engine: &Engine) -> PathBuf {
    if let Some(path) = std::env::var_os("DEA_DOCKER_CLI") {
        return path.into();
    }
    if let Some(dir) = engine.log.as_ref().and_then(|l| l.parent()) {
        let unpacked = dir.join("root/usr/bin/docker");
        if unpacked.is_file() {
            return unpacked;
        }
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("docker"))
        .find(|p| p.is_file());
    on_path.unwrap_or_else(|| {
        panic!(
            "these tests compare dea with the docker CLI and found none: set DEA_DOCKER_CLI, \
             or put `docker` on PATH"
        )
    })
}

struct Pair {
    host: String,
    docker: PathBuf,
}

impl Pair {
    fn new() -> Self {
        let engine = engine("28");
        Self {
            docker: docker_cli(&engine),
            host: engine.docker_host,
        }
    }

    fn dea(&self, args: &[&str]) -> Ran {
        run_with(&dea_bin(), &self.host, args, None)
    }

    fn dea_in(&self, args: &[&str], stdin: &[u8]) -> Ran {
        run_with(&dea_bin(), &self.host, args, Some(stdin))
    }

    fn docker(&self, args: &[&str]) -> Ran {
        run_with(&self.docker, &self.host, args, None)
    }

    fn docker_in(&self, args: &[&str], stdin: &[u8]) -> Ran {
        run_with(&self.docker, &self.host, args, Some(stdin))
    }

    /// `dea ARGS` and `docker ARGS`: the same stdout, stderr and exit code.
    fn same(&self, args: &[&str]) -> Ran {
        let (d, c) = (self.dea(args), self.docker(args));
        assert_eq!(
            (d.code, &d.stdout, &d.stderr),
            (c.code, &c.stdout, &c.stderr),
            "dea {args:?} vs docker"
        );
        d
    }
}

/// A table as cells (columns are 3 or more spaces apart), with what changes
/// from one second to the next made equal: `5 seconds ago`, `Up 2 seconds`.
fn cells(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .map(|line| {
            line.split("   ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| {
                    if c.ends_with(" ago") && !c.starts_with("Exited") {
                        "<ago>".to_string()
                    } else if c.starts_with("Up ") {
                        "Up <time>".to_string()
                    } else if let Some(i) = c.find(") ").filter(|_| c.starts_with("Exited (")) {
                        c[..=i].to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect()
}

#[test]
fn dea_commands_print_what_the_docker_cli_prints() {
    let started = std::time::Instant::now();
    let p = Pair::new();
    let name = unique_name("dea-cli");

    // run -d: the full id, exit 0.
    let d = p.dea(&[
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        "none",
        BASE_IMAGE,
        "sh",
        "-c",
        "echo one; echo two >&2; echo three; sleep 300",
    ]);
    assert_eq!(d.code, 0, "{d:?}");
    let id = d.stdout.trim().to_string();
    assert!(
        id.len() == 64 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{d:?}"
    );

    // ps, ps -a, -q, --no-trunc: the same table.
    std::thread::sleep(std::time::Duration::from_millis(500));
    for args in [
        &["ps"][..],
        &["ps", "-a"],
        &["ps", "-a", "--no-trunc"],
        &["ps", "-q"],
    ] {
        let (d, c) = (p.dea(args), p.docker(args));
        assert_eq!((d.code, &d.stderr), (0, &String::new()), "dea {args:?}");
        assert_eq!(
            cells(&d.stdout),
            cells(&c.stdout),
            "dea {args:?} vs docker:\n{}\n{}",
            d.stdout,
            c.stdout
        );
        let shown = if args.contains(&"-q") {
            &id[..12]
        } else {
            name.as_str()
        };
        assert!(d.stdout.contains(shown), "{}", d.stdout);
    }
    // images, -q.
    for args in [
        &["images"][..],
        &["images", "-q"],
        &["images", "--no-trunc"],
    ] {
        let (d, c) = (p.dea(args), p.docker(args));
        // The docker CLI lists the tags of one image in the order of a Go
        // map (random: `busybox` and `dea-busybox` swap between runs), so
        // rows compare as a set, under the same header.
        let rows = |out: &str| {
            let mut rows = cells(out);
            if rows.len() > 1 {
                rows[1..].sort();
            }
            rows
        };
        assert_eq!(rows(&d.stdout), rows(&c.stdout), "dea {args:?} vs docker");
    }

    // logs, --tail, -t; a missing container.
    p.same(&["logs", &name]);
    p.same(&["logs", "--tail", "1", &name]);
    p.same(&["logs", "-t", &name]);
    let missing = p.same(&["logs", "dea-no-such-container"]);
    assert_eq!(missing.code, 1);

    // inspect: the same object; a missing one.
    let (d, c) = (p.dea(&["inspect", &name]), p.docker(&["inspect", &name]));
    assert_eq!(d.code, 0, "{d:?}");
    let (d, c): (Value, Value) = (
        serde_json::from_str(&d.stdout).unwrap(),
        serde_json::from_str(&c.stdout).unwrap(),
    );
    for pointer in [
        "/0/Id",
        "/0/Name",
        "/0/Config/Image",
        "/0/Config/Cmd",
        "/0/State/Status",
    ] {
        assert_eq!(d.pointer(pointer), c.pointer(pointer), "{pointer}");
    }
    let image = p.dea(&["inspect", BASE_IMAGE]);
    let image: Value = serde_json::from_str(&image.stdout).unwrap();
    assert!(image[0]["RepoTags"].to_string().contains(BASE_IMAGE));
    p.same(&["inspect", "dea-no-such-object"]);

    // run attached: output, stderr, the container's exit code; -e, -v, -i, -t, --rm.
    let dir = std::env::temp_dir().join(unique_name("dea-cli-vol"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f"), "from the host\n").unwrap();
    let volume = format!("{}:/mnt", dir.display());
    let script = "echo out; echo err >&2; echo $GREETING; cat /mnt/f; exit 3";
    let args = [
        "run",
        "--rm",
        "--network",
        "none",
        "-e",
        "GREETING=hi",
        "-v",
        &volume,
        BASE_IMAGE,
        "sh",
        "-c",
        script,
    ];
    let r = p.same(&args);
    assert_eq!((r.code, r.stdout.as_str()), (3, "out\nhi\nfrom the host\n"));
    let args = ["run", "--rm", "-i", "--network", "none", BASE_IMAGE, "cat"];
    let (d, c) = (
        p.dea_in(&args, b"typed in\n"),
        p.docker_in(&args, b"typed in\n"),
    );
    assert_eq!((d.code, &d.stdout), (c.code, &c.stdout), "{d:?} {c:?}");
    assert_eq!(d.stdout, "typed in\n");
    let r = p.same(&[
        "run",
        "--rm",
        "-t",
        "--network",
        "none",
        BASE_IMAGE,
        "echo",
        "tty",
    ]);
    assert_eq!(r.stdout, "tty\r\n");
    // An image that does not exist: docker's 125 (it also tries to pull).
    let (d, c) = (
        p.dea(&["run", "--rm", "dea-no-such-image:1"]),
        p.docker(&["run", "--rm", "dea-no-such-image:1"]),
    );
    assert_eq!((d.code, c.code), (125, 125), "{d:?}");
    assert_eq!(d.stderr.lines().count(), 1, "{d:?}");
    assert!(
        d.stderr.contains("No such image: dea-no-such-image:1"),
        "{d:?}"
    );

    // exec: exit code, stdin.
    p.same(&["exec", &name, "sh", "-c", "echo in; exit 4"]);
    let args = ["exec", "-i", &name, "cat"];
    let (d, c) = (
        p.dea_in(&args, b"to exec\n"),
        p.docker_in(&args, b"to exec\n"),
    );
    assert_eq!((d.code, &d.stdout), (c.code, &c.stdout));
    assert_eq!(d.stdout, "to exec\n");

    // events of that container, between two times: the same lines.
    let since =
        (std::time::SystemTime::now() - started.elapsed() - std::time::Duration::from_secs(2))
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
    let until = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1)
    .to_string();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let filter = format!("container={id}");
    let events = p.same(&[
        "events", "--since", &since, "--until", &until, "--filter", &filter,
    ]);
    assert!(
        events.stdout.contains(&format!(
            "container create {id} (image={BASE_IMAGE}, name={name})"
        )),
        "{}",
        events.stdout
    );
    assert!(
        events.stdout.contains(" container exec_die "),
        "{}",
        events.stdout
    );

    // version and info: every line dea prints of the server is docker's.
    let (d, c) = (p.dea(&["version"]), p.docker(&["version"]));
    let server = &d.stdout[d.stdout.find("Server:").expect("a Server block")..];
    for line in server.lines() {
        assert!(
            c.stdout.lines().any(|l| l == line),
            "`{line}` not in docker version:\n{}",
            c.stdout
        );
    }
    let (d, c) = (p.dea(&["info"]), p.docker(&["info"]));
    assert!(d.stdout.lines().count() > 15, "{}", d.stdout);
    for line in d.stdout.lines() {
        assert!(
            c.stdout.lines().any(|l| l == line),
            "`{line}` not in docker info:\n{}",
            c.stdout
        );
    }

    // load: what docker saved; build on the loaded image.
    let archive = std::env::temp_dir()
        .join(unique_name("dea-cli-save"))
        .with_extension("tar");
    let saved = p.docker(&["save", "-o", archive.to_str().unwrap(), BASE_IMAGE]);
    assert_eq!(saved.code, 0, "{saved:?}");
    let (d, c) = (
        p.dea(&["load", "-i", archive.to_str().unwrap()]),
        p.docker(&["load", "-i", archive.to_str().unwrap()]),
    );
    assert_eq!((d.code, &d.stdout), (c.code, &c.stdout));
    assert_eq!(d.stdout, format!("Loaded image: {BASE_IMAGE}\n"));
    let context = std::env::temp_dir().join(unique_name("dea-cli-build"));
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        format!("FROM {BASE_IMAGE}\nCOPY f /f\n"),
    )
    .unwrap();
    std::fs::write(context.join("f"), "built in\n").unwrap();
    let tag = format!("{}:1", unique_name("dea-built"));
    let built = p.dea(&["build", "-t", &tag, context.to_str().unwrap()]);
    assert_eq!(built.code, 0, "{built:?}");
    assert!(
        built.stdout.contains("Step 2/2 : COPY f /f"),
        "{}",
        built.stdout
    );
    assert!(
        built.stdout.contains(&format!("Successfully tagged {tag}")),
        "{}",
        built.stdout
    );
    let r = p.dea(&["run", "--rm", "--network", "none", &tag, "cat", "/f"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "built in\n"));
    // pull without a registry: one line, docker's exit code.
    let (d, c) = (
        p.dea(&["pull", "127.0.0.1:9/none:1"]),
        p.docker(&["pull", "127.0.0.1:9/none:1"]),
    );
    assert_eq!((d.code, c.code), (1, 1), "{d:?}");
    assert_eq!(d.stderr.lines().count(), 1, "{d:?}");

    // A socket that is not there: one line naming it, docker's exit code.
    let gone = "unix:///nonexistent/dea/docker.sock";
    let d = run_with(&dea_bin(), gone, &["ps"], None);
    let c = run_with(&p.docker, gone, &["ps"], None);
    assert_eq!((d.code, c.code), (1, 1));
    assert_eq!(d.stderr.lines().count(), 1, "{d:?}");
    assert!(
        d.stderr.contains(gone) && !d.stderr.contains("http://"),
        "{d:?}"
    );

    let _ = p.docker(&["rm", "-f", &name]);
    let _ = p.docker(&["rmi", &tag]);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&context);
    let _ = std::fs::remove_file(&archive);
    eprintln!("dea next to the docker CLI: {:?}", started.elapsed());
}

/// The value `dea api` gets for a required or path parameter, by the
/// operation's path and the parameter's name.
fn argument(path: &str, param: &str, ids: &Ids) -> String {
    let first = path.split('/').nth(1).unwrap_or_default();
    match (first, param) {
        ("containers", "id") => ids.container.clone(),
        ("containers", "path") => "/bin".into(),
        ("exec", "id") => ids.exec.clone(),
        ("images", "name") | ("distribution", "name") => BASE_IMAGE.into(),
        ("images", "term") => "busybox".into(),
        ("images", "names") => BASE_IMAGE.into(),
        ("networks", "id") => ids.network.clone(),
        ("volumes", "name") => ids.volume.clone(),
        // Swarm objects and plugins do not exist on this engine: the
        // daemon's error is the expected answer.
        (_, "id" | "name" | "remote") => "dea-none".into(),
        _ => panic!("no value for required parameter `{param}` of {path}: add one to this test"),
    }
}

struct Ids {
    container: String,
    exec: String,
    network: String,
    volume: String,
}

/// The swarm's GET operations that answer on a swarm manager.
const SWARM_LISTS: [&str; 6] = [
    "/swarm",
    "/nodes",
    "/services",
    "/tasks",
    "/secrets",
    "/configs",
];

/// GET operations whose answer on a single engine without plugins or a
/// registry is the daemon's error (on a swarm manager the swarm's lists
/// answer).
fn daemon_refuses(path: &str) -> bool {
    ["/swarm", "/nodes", "/services", "/tasks", "/secrets", "/configs", "/plugins/", "/distribution/", "/images/search"]
        .iter()
        .any(|p| path.starts_with(p))
        // It answers `[]` for a plugin it does not know.
        && path != "/plugins/privileges"
}

#[test]
fn dea_api_calls_every_get_operation_of_the_negotiated_version() {
    let started = std::time::Instant::now();
    let p = Pair::new();
    let name = unique_name("dea-api");

    // Writes through `dea api`: create (a body file), start.
    let body = std::env::temp_dir()
        .join(unique_name("dea-api-body"))
        .with_extension("json");
    std::fs::write(
        &body,
        format!(r#"{{"Image": "{BASE_IMAGE}", "Cmd": ["sh", "-c", "echo api; sleep 300"], "HostConfig": {{"NetworkMode": "none"}}}}"#),
    )
    .unwrap();
    let created = p.dea(&[
        "api",
        "ContainerCreate",
        "--name",
        &name,
        "--body",
        body.to_str().unwrap(),
    ]);
    assert_eq!(created.code, 0, "{created:?}");
    let created: Value = serde_json::from_str(&created.stdout).unwrap();
    let container = created["Id"].as_str().unwrap().to_string();
    let start = p.dea(&["api", "container_start", "--id", &container]);
    assert_eq!((start.code, start.stdout.as_str()), (0, ""), "{start:?}");
    let network = p
        .docker(&["network", "create", &unique_name("dea-api-net")])
        .stdout
        .trim()
        .to_string();
    let volume = p
        .docker(&["volume", "create", &unique_name("dea-api-vol")])
        .stdout
        .trim()
        .to_string();
    let exec_body = std::env::temp_dir()
        .join(unique_name("dea-api-exec"))
        .with_extension("json");
    std::fs::write(&exec_body, r#"{"Cmd": ["true"]}"#).unwrap();
    let exec = p.dea_in(
        &["api", "ContainerExec", "--id", &container, "--body", "-"],
        br#"{"Cmd": ["true"]}"#,
    );
    assert_eq!(exec.code, 0, "{exec:?}");
    let exec: Value = serde_json::from_str(&exec.stdout).unwrap();
    let ids = Ids {
        container: container.clone(),
        exec: exec["Id"].as_str().unwrap().to_string(),
        network,
        volume,
    };

    // Every GET of `dea api --list`.
    let list = p.dea(&["api", "--list"]);
    assert_eq!(list.code, 0, "{list:?}");
    let gets: Vec<(String, String)> = list
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            (cells.get(1) == Some(&"GET")).then(|| (cells[0].to_string(), cells[2].to_string()))
        })
        .collect();
    assert!(gets.len() > 40, "{}", list.stdout);
    let mut called = 0;
    for (op, path) in &gets {
        let help = p.dea(&["api", op, "--help"]);
        assert_eq!(help.code, 0, "{op} --help: {help:?}");
        assert!(
            help.stdout.starts_with(&format!("{op} GET {path} ")),
            "{}",
            help.stdout
        );
        let mut args = vec!["api".to_string(), op.clone()];
        for line in help
            .stdout
            .lines()
            .filter(|l| l.trim_end().ends_with("required"))
        {
            let param = line
                .split_whitespace()
                .next()
                .unwrap()
                .trim_start_matches("--");
            args.extend([format!("--{param}"), argument(path, param, &ids)]);
        }
        // Streams that would not end by themselves.
        match op.as_str() {
            "ContainerStats" => args.extend(["--stream".into(), "false".into()]),
            "SystemEvents" => args.extend(["--until".into(), "1".into()]),
            "ContainerLogs" => args.extend(["--stdout".into(), "true".into()]),
            _ => {}
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run_with(&dea_bin(), &p.host, &args, None);
        let answer = help.stdout.lines().last().unwrap_or_default().to_string();
        if answer == "Answer: upgrade" {
            assert_eq!(r.code, 1, "{op}: {r:?}");
            assert!(r.stderr.contains("switches the connection"), "{op}: {r:?}");
            continue;
        }
        if daemon_refuses(path) {
            // Under `cargo xtask test` engine 28 is also the swarm's manager
            // (tests/src/swarm.rs): its swarm lists answer, as JSON.
            if r.code == 0 && SWARM_LISTS.iter().any(|p| path.starts_with(p)) {
                assert_eq!(r.stderr, "", "{op}: {r:?}");
                assert_eq!(r.stdout.lines().count(), 1, "{op}: {r:?}");
                serde_json::from_str::<Value>(&r.stdout)
                    .unwrap_or_else(|e| panic!("{op}: not JSON ({e}): {r:?}"));
                called += 1;
                continue;
            }
            assert_eq!(r.code, 1, "{op}: {r:?}");
            assert!(
                r.stderr.starts_with("Error response from daemon: "),
                "{op}: {r:?}"
            );
            assert_eq!(r.stderr.lines().count(), 1, "{op}: {r:?}");
            called += 1;
            continue;
        }
        assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{op} {args:?}");
        match answer.as_str() {
            "Answer: json" => {
                assert_eq!(
                    r.stdout.lines().count(),
                    1,
                    "{op}: one line when not a terminal"
                );
                let _: Value = serde_json::from_str(&r.stdout)
                    .unwrap_or_else(|e| panic!("{op}: {e}: {}", r.stdout));
            }
            "Answer: json-lines" => {
                for line in r.stdout.lines() {
                    let _: Value =
                        serde_json::from_str(line).unwrap_or_else(|e| panic!("{op}: {e}"));
                }
            }
            _ => {}
        }
        match op.as_str() {
            "ContainerInspect" => assert!(r.stdout.contains(&container)),
            "ContainerLogs" => assert_eq!(r.stdout, "api\n"),
            "ContainerStats" => assert_eq!(r.stdout.lines().count(), 1),
            "SystemPing" => assert_eq!(r.stdout, "OK"),
            "ContainerExport" | "ContainerArchive" | "ImageGet" | "ImageGetAll" => {
                assert!(r.stdout.len() > 1024, "{op}: a tar archive")
            }
            _ => {}
        }
        called += 1;
    }
    assert!(called >= gets.len() - 2, "{called} of {}", gets.len());

    // Argument checks against the model: one line listing what is accepted.
    for (args, says) in [
        (
            &["api", "NoSuchOperation"][..],
            "has no operation `NoSuchOperation`",
        ),
        (
            &["api", "ContainerList", "--bogus", "1"],
            "unknown parameter `--bogus`; it accepts --all (bool)",
        ),
        (
            &["api", "ContainerList", "--limit", "many"],
            "--limit `many` is not an integer (i64)",
        ),
        (
            &["api", "ContainerInspect"],
            "--id is required; it accepts --id (string, required)",
        ),
        (&["api", "SystemPing", "--body", "-"], "it takes no body"),
    ] {
        let r = p.dea(args);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        assert!(
            r.stderr.contains(says) && r.stderr.lines().count() == 1,
            "{args:?}: {r:?}"
        );
    }
    // A body that is not the operation's type: the JSON path of the field.
    std::fs::write(&body, r#"{"Image": 5}"#).unwrap();
    let r = p.dea(&["api", "ContainerCreate", "--body", body.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("Image") && r.stderr.lines().count() == 1,
        "{r:?}"
    );

    // Remove, through `dea api`.
    let removed = p.dea(&[
        "api",
        "ContainerDelete",
        "--id",
        &container,
        "--force",
        "true",
    ]);
    assert_eq!(removed.code, 0, "{removed:?}");
    let gone = p.dea(&["api", "ContainerInspect", "--id", &container]);
    assert_eq!(gone.code, 1);
    assert!(
        gone.stderr
            .starts_with("Error response from daemon: No such container"),
        "{gone:?}"
    );
    let _ = p.docker(&["network", "rm", &ids.network]);
    let _ = p.docker(&["volume", "rm", &ids.volume]);
    let _ = std::fs::remove_file(&body);
    let _ = std::fs::remove_file(&exec_body);
    eprintln!(
        "dea api, {} GET operations: {:?}",
        gets.len(),
        started.elapsed()
    );
}

#[test]
fn dea_version_works_on_every_engine() {
    for engine in docker_engine_api_tests::engines() {
        let r = run_with(&dea_bin(), &engine.docker_host, &["version"], None);
        assert_eq!(r.code, 0, "engine {}: {r:?}", engine.name);
        let expected = engine
            .expected_api_version()
            .map(|v| format!(" API version:       {v}\n"));
        if let Some(expected) = expected {
            assert!(
                r.stdout.contains(&expected),
                "engine {}: {expected:?} in {}",
                engine.name,
                r.stdout
            );
        }
    }
}
