//! `version`, `info`, `events`, in the docker CLI's layout.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use docker_engine_client::prelude::*;
use docker_engine_client::{Docker, VersionedClient, with_api};
use serde_json::Value;

use crate::cli::EventsArgs;
use crate::format::rfc3339_nano;
use crate::output::{Failure, Output, docker, next_or_flush};

/// `docker version`'s two blocks: the client (dea, and the version it
/// negotiated) and the server's engine and components.
pub async fn version(
    docker_client: &Docker,
    client: &VersionedClient,
    out: &mut Output,
) -> Result<u8, Failure> {
    let negotiated = docker_client.negotiate().await?;
    let types = if client.is_exact() {
        String::new()
    } else {
        format!(" (with the types of v{})", client.types_version())
    };
    let mut text = format!(
        "Client:\n Version:           {} (dea)\n API version:       {}{types}\n OS/Arch:           {}/{}\n\n",
        env!("CARGO_PKG_VERSION"),
        negotiated.version,
        go_os(),
        go_arch(),
    );
    with_api!(client, |c, api| {
        let v = c
            .system_version()
            .send()
            .await
            .map_err(docker)?
            .into_inner();
        let field = |name: &str, value: String| format!("  {:<17} {value}\n", format!("{name}:"));
        text.push_str("Server:\n Engine:\n");
        text.push_str(&field("Version", v.version.clone().unwrap_or_default()));
        text.push_str(&field(
            "API version",
            format!(
                "{} (minimum version {})",
                v.api_version.clone().unwrap_or_default(),
                v.min_api_version.clone().unwrap_or_default()
            ),
        ));
        text.push_str(&field(
            "Go version",
            v.go_version.clone().unwrap_or_default(),
        ));
        text.push_str(&field(
            "Git commit",
            v.git_commit.clone().unwrap_or_default(),
        ));
        text.push_str(&field(
            "OS/Arch",
            format!(
                "{}/{}",
                v.os.clone().unwrap_or_default(),
                v.arch.clone().unwrap_or_default()
            ),
        ));
        for component in v.components.clone().unwrap_or_default() {
            if component.name == "Engine" {
                continue;
            }
            text.push_str(&format!(" {}:\n", component.name));
            text.push_str(&field("Version", component.version.clone()));
        }
    });
    out.out(text.as_bytes()).await?;
    Ok(0)
}

/// Go's names of the OS and architecture, as the CLI prints them.
fn go_os() -> &'static str {
    std::env::consts::OS
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// `go-units.BytesSize`: binary units, 4 significant digits ("7.763GiB").
fn bytes_size(bytes: i64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    let magnitude = if size == 0.0 {
        0
    } else {
        size.log10().floor() as i32
    };
    let decimals = (3 - magnitude).max(0) as usize;
    let text = format!("{size:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{}", UNITS[unit])
}

/// The server part of `docker info`, the lines every engine answers.
pub async fn info(client: &VersionedClient, out: &mut Output) -> Result<u8, Failure> {
    let text = with_api!(client, |c, api| {
        let i = c.system_info().send().await.map_err(docker)?.into_inner();
        // Fields differ between versions (`CgroupVersion` is 1.41+): read
        // the wire names.
        let i = serde_json::to_value(&i)
            .map_err(|e| Failure::Usage(format!("cannot encode the answer: {e}")))?;
        let s = |key: &str| match &i[key] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let mut lines = vec![
            "Server:".to_string(),
            format!(" Containers: {}", s("Containers")),
            format!("  Running: {}", s("ContainersRunning")),
            format!("  Paused: {}", s("ContainersPaused")),
            format!("  Stopped: {}", s("ContainersStopped")),
            format!(" Images: {}", s("Images")),
            format!(" Server Version: {}", s("ServerVersion")),
            format!(" Storage Driver: {}", s("Driver")),
            format!(" Logging Driver: {}", s("LoggingDriver")),
            format!(" Cgroup Driver: {}", s("CgroupDriver")),
        ];
        if !i["CgroupVersion"].is_null() {
            lines.push(format!(" Cgroup Version: {}", s("CgroupVersion")));
        }
        lines.extend([
            format!(" Kernel Version: {}", s("KernelVersion")),
            format!(" Operating System: {}", s("OperatingSystem")),
            format!(" OSType: {}", s("OSType")),
            format!(" Architecture: {}", s("Architecture")),
            format!(" CPUs: {}", s("NCPU")),
            format!(
                " Total Memory: {}",
                bytes_size(i["MemTotal"].as_i64().unwrap_or_default())
            ),
            format!(" Name: {}", s("Name")),
            format!(" ID: {}", s("ID")),
            format!(" Docker Root Dir: {}", s("DockerRootDir")),
            format!(" Debug Mode: {}", i["Debug"].as_bool().unwrap_or_default()),
            format!(
                " Experimental: {}",
                i["ExperimentalBuild"].as_bool().unwrap_or_default()
            ),
            format!(
                " Live Restore Enabled: {}",
                i["LiveRestoreEnabled"].as_bool().unwrap_or_default()
            ),
        ]);
        lines.push(String::new());
        lines.join("\n")
    });
    out.out(text.as_bytes()).await?;
    Ok(0)
}

/// A `--since`/`--until` as the daemon takes it: Unix seconds as given, or
/// a duration before now (`10m`, `90s`, `2h`).
fn timestamp(text: &str) -> Result<String, Failure> {
    if text.parse::<f64>().is_ok() {
        return Ok(text.to_string());
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let secs = match (number.parse::<u64>(), unit) {
        (Ok(n), "s") => n,
        (Ok(n), "m") => n * 60,
        (Ok(n), "h") => n * 3600,
        _ => {
            return Err(Failure::Usage(format!(
                "`{text}` is not a timestamp: Unix seconds, or a duration such as 10m, 90s, 2h"
            )));
        }
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    Ok(now.saturating_sub(secs).to_string())
}

/// `docker events`: `TIME TYPE ACTION ID (key=value, ...)`, the attributes
/// sorted by key.
pub async fn events(
    client: &VersionedClient,
    args: EventsArgs,
    out: &mut Output,
) -> Result<u8, Failure> {
    let mut filters = std::collections::BTreeMap::<String, Vec<String>>::new();
    for f in &args.filter {
        let (k, v) = f.split_once('=').ok_or_else(|| {
            Failure::Usage(format!("bad format of filter `{f}` (expected name=value)"))
        })?;
        filters
            .entry(k.to_string())
            .or_default()
            .push(v.to_string());
    }
    let since = args.since.as_deref().map(timestamp).transpose()?;
    let until = args.until.as_deref().map(timestamp).transpose()?;
    with_api!(client, |c, api| {
        let mut call = c.system_events();
        if !filters.is_empty() {
            let json = serde_json::to_string(&filters)
                .map_err(|e| Failure::Usage(format!("filters: {e}")))?;
            call = call.filters(json);
        }
        if let Some(since) = &since {
            call = call.since(since.clone());
        }
        if let Some(until) = &until {
            call = call.until(until.clone());
        }
        let mut events = call
            .send()
            .await
            .map_err(docker)?
            .into_inner()
            .json_lines::<api::stream_items::SystemEvents>();
        while let Some(event) = next_or_flush(&mut events, out).await? {
            let e = event?;
            let nanos = match (e.time_nano, e.time) {
                (Some(n), _) if n != 0 => i128::from(n),
                (_, t) => i128::from(t.unwrap_or_default()) * 1_000_000_000,
            };
            let (id, attributes) = match e.actor {
                Some(a) => (a.id.unwrap_or_default(), a.attributes.unwrap_or_default()),
                None => Default::default(),
            };
            let mut attributes: Vec<(String, String)> = attributes.into_iter().collect();
            attributes.sort();
            let mut line = format!(
                "{} {} {} {id}",
                rfc3339_nano(nanos),
                e.type_.map(|t| t.to_string()).unwrap_or_default(),
                e.action.unwrap_or_default(),
            );
            if !attributes.is_empty() {
                let shown: Vec<String> =
                    attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
                line.push_str(&format!(" ({})", shown.join(", ")));
            }
            line.push('\n');
            out.out(line.as_bytes()).await?;
        }
    });
    Ok(0)
}
