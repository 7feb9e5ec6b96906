//! `images`, and `pull`, `load`, `build` with progress bars when stderr is a
//! terminal (the docker CLI's plain lines otherwise).

use std::collections::HashMap;
use std::io::IsTerminal;

use docker_engine_client::prelude::*;
use docker_engine_client::{Error, VersionedClient, with_api};
use futures_util::Stream;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use crate::cli::{BuildArgs, ImagesArgs, LoadArgs, PullArgs};
use crate::format::{ago, human_size, short_id, table};
use crate::output::{Failure, Output, docker, next_or_flush};

pub async fn images(
    client: &VersionedClient,
    args: ImagesArgs,
    out: &mut Output,
) -> Result<u8, Failure> {
    let mut rows = Vec::new();
    with_api!(client, |c, api| {
        let list = c
            .image_list()
            .all(args.all)
            .send()
            .await
            .map_err(docker)?
            .into_inner();
        for image in list {
            // Field shapes differ between versions (`RepoTags` is optional in
            // some): read the wire names.
            let image = serde_json::to_value(&image)
                .map_err(|e| Failure::Usage(format!("cannot encode the answer: {e}")))?;
            let full = image["Id"].as_str().unwrap_or_default();
            let id = if args.no_trunc {
                full.to_string()
            } else {
                short_id(full)
            };
            let mut tags: Vec<String> = image["RepoTags"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(|t| t.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            if tags.is_empty() {
                tags.push("<none>:<none>".to_string());
            }
            // The CLI lists the tags of one image in order.
            tags.sort();
            let created = image["Created"].as_i64().unwrap_or_default();
            let size = image["Size"].as_i64().unwrap_or_default();
            for tag in tags {
                // The tag follows the last `:` after the last `/` (a
                // registry's port is not a tag).
                let (repo, tag) = match tag.rfind(':') {
                    Some(i) if !tag[i..].contains('/') => {
                        (tag[..i].to_string(), tag[i + 1..].to_string())
                    }
                    _ => (tag.clone(), "<none>".to_string()),
                };
                rows.push(vec![repo, tag, id.clone(), ago(created), human_size(size)]);
            }
        }
    });
    let text = if args.quiet {
        // One id a row, as the CLI prints them (an image with two tags twice).
        rows.iter().map(|r| format!("{}\n", r[2])).collect()
    } else {
        table(&["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], &rows)
    };
    out.out(text.as_bytes()).await?;
    Ok(0)
}

/// Shows a progress stream (`{"id", "status", "progressDetail"}` lines and
/// `{"stream"}` text): one bar per layer on a terminal, else a line per
/// status change as the docker CLI prints without a terminal.
struct Progress {
    bars: Option<(MultiProgress, HashMap<String, ProgressBar>)>,
}

impl Progress {
    fn new() -> Self {
        let bars = std::io::stderr().is_terminal().then(|| {
            (
                MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                HashMap::new(),
            )
        });
        Self { bars }
    }

    async fn show(&mut self, item: &Value, out: &mut Output) -> Result<(), Failure> {
        if let Some(text) = item.get("stream").and_then(Value::as_str) {
            return out.out(text.as_bytes()).await;
        }
        let status = item
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let id = item.get("id").and_then(Value::as_str);
        let detail = item.get("progressDetail");
        let number = |key: &str| detail.and_then(|d| d.get(key)).and_then(Value::as_u64);
        match (&mut self.bars, id) {
            (Some((multi, bars)), Some(id)) => {
                let bar = bars.entry(id.to_string()).or_insert_with(|| {
                    let bar = multi.add(ProgressBar::new(0));
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{prefix}: {msg} {wide_bar} {bytes}/{total_bytes}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar.set_prefix(id.to_string());
                    bar
                });
                bar.set_message(status.to_string());
                if let (Some(current), Some(total)) = (number("current"), number("total")) {
                    bar.set_length(total);
                    bar.set_position(current);
                }
                Ok(())
            }
            (Some((multi, _)), None) => {
                let _ = multi.println(status);
                Ok(())
            }
            // Without a terminal the CLI leaves out the progress lines.
            (None, _) if number("current").is_some() => Ok(()),
            (None, Some(id)) => out.out(format!("{id}: {status}\n").as_bytes()).await,
            (None, None) => out.out(format!("{status}\n").as_bytes()).await,
        }
    }

    fn finish(&mut self) {
        if let Some((_, bars)) = &self.bars {
            for bar in bars.values() {
                bar.finish();
            }
        }
    }
}

async fn follow<S>(mut lines: S, out: &mut Output) -> Result<(), Failure>
where
    S: Stream<Item = Result<Value, Error>> + Unpin,
{
    let mut progress = Progress::new();
    while let Some(item) = next_or_flush(&mut lines, out).await? {
        match item {
            Ok(item) => progress.show(&item, out).await?,
            Err(e) => {
                progress.finish();
                return Err(e.into());
            }
        }
    }
    progress.finish();
    Ok(())
}

pub async fn pull(
    client: &VersionedClient,
    args: PullArgs,
    out: &mut Output,
) -> Result<u8, Failure> {
    // Without a tag the daemon would pull every tag; the CLI means `latest`.
    let last = args.image.rsplit('/').next().unwrap_or_default();
    let image = if last.contains(':') || last.contains('@') {
        args.image.clone()
    } else {
        format!("{}:latest", args.image)
    };
    with_api!(client, |c, api| {
        let stream = c
            .image_create()
            .from_image(image.clone())
            .send()
            .await
            .map_err(docker)?
            .into_inner()
            .json_lines::<Value>();
        follow(stream, out).await?;
    });
    out.out(format!("{image}\n").as_bytes()).await?;
    Ok(0)
}

pub async fn load(
    client: &VersionedClient,
    args: LoadArgs,
    out: &mut Output,
) -> Result<u8, Failure> {
    let path = args.input.clone().unwrap_or_else(|| "/dev/stdin".into());
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| Failure::Usage(format!("open {}: {e}", path.display())))?;
    with_api!(client, |c, api| {
        let stream = c
            .image_load()
            .quiet(args.quiet)
            .body(docker_engine_client::body_from_reader(file))
            .send()
            .await
            .map_err(docker)?
            .into_inner()
            .json_lines::<Value>();
        follow(stream, out).await?;
    });
    Ok(0)
}

pub async fn build(
    client: &VersionedClient,
    args: BuildArgs,
    out: &mut Output,
) -> Result<u8, Failure> {
    let context = args.context.clone();
    // The context as the tar stream `POST /build` reads, made on a blocking
    // thread (it reads the whole directory).
    let archive = tokio::task::spawn_blocking(move || {
        let mut tar = tar::Builder::new(Vec::new());
        tar.follow_symlinks(false);
        tar.append_dir_all(".", &context)?;
        tar.into_inner()
    })
    .await
    .map_err(|e| Failure::Usage(format!("build context: {e}")))?
    .map_err(|e| Failure::Usage(format!("build context {}: {e}", args.context.display())))?;
    if !args.quiet {
        let line = format!(
            "Sending build context to Docker daemon  {}\n",
            human_size(archive.len() as i64)
        );
        out.out(line.as_bytes()).await?;
    }
    with_api!(client, |c, api| {
        let mut call = c.image_build().q(args.quiet).rm(true);
        if let Some(tag) = args.tag.first() {
            call = call.t(tag.clone());
        }
        let stream = call
            .body(archive)
            .send()
            .await
            .map_err(docker)?
            .into_inner()
            .json_lines::<Value>();
        follow(stream, out).await?;
    });
    Ok(0)
}
