//! What the scenarios need on the daemon, made and removed through the
//! facade (not measured). Everything created carries the label `dea.bench=1`
//! and is removed by that label at the start and the end of a run, so an
//! interrupted run leaves nothing behind for long.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use docker_engine_client::{ByteStreamExt, Docker, Filters, body_from_reader, v1_51};
use futures_util::{StreamExt, TryStreamExt};

use crate::Settings;

pub const LABEL: &str = "dea.bench";
pub const BASE_IMAGE: &str = "dea-busybox:latest";

/// The parent's side: where the engine is, what to do, and a facade client
/// on a current-thread runtime for the fixtures.
pub struct Ctx {
    pub socket: PathBuf,
    pub settings: Settings,
    pub rt: tokio::runtime::Runtime,
    pub api: v1_51::Client,
    /// Scratch files (the image tars), removed at the end.
    pub scratch: PathBuf,
}

impl Ctx {
    pub fn new(socket: PathBuf, settings: Settings) -> Result<Ctx> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let api = rt.block_on(Docker::unix(&socket)?.v1_51())?;
        let scratch = std::env::temp_dir().join(format!("dea-bench-{}", std::process::id()));
        std::fs::create_dir_all(&scratch)?;
        Ok(Ctx {
            socket,
            settings,
            rt,
            api,
            scratch,
        })
    }
}

fn err<E>(e: E) -> anyhow::Error
where
    docker_engine_client::Error: From<E>,
{
    anyhow::Error::from(docker_engine_client::Error::from(e))
}

/// Removes every container and image labelled `dea.bench=1`, and the bench image.
pub fn clean_up(ctx: &Ctx) -> Result<()> {
    ctx.rt.block_on(async {
        let filter = Filters::new().add("label", format!("{LABEL}=1"));
        let containers = ctx
            .api
            .container_list()
            .all(true)
            .filters(filter.clone())
            .send()
            .await
            .map_err(err)?
            .into_inner();
        let ids: Vec<String> = containers.into_iter().filter_map(|c| c.id).collect();
        remove_all(&ctx.api, &ids).await?;
        let images = ctx
            .api
            .image_list()
            .filters(filter)
            .send()
            .await
            .map_err(err)?
            .into_inner();
        for image in images {
            let _ = ctx
                .api
                .image_delete()
                .name(&image.id)
                .force(true)
                .send()
                .await;
        }
        let _ = ctx
            .api
            .image_delete()
            .name(crate::image::IMAGE)
            .force(true)
            .send()
            .await;
        anyhow::Ok(())
    })
}

async fn remove_all(api: &v1_51::Client, ids: &[String]) -> Result<()> {
    futures_util::stream::iter(ids)
        .map(|id| async move {
            match api.container_delete().id(id).force(true).send().await {
                Ok(_) => Ok(()),
                Err(e) => match docker_engine_client::Error::from(e) {
                    // Already gone (removed concurrently): fine.
                    e if e.status() == Some(404) => Ok(()),
                    e => Err(anyhow::Error::from(e)),
                },
            }
        })
        .buffer_unordered(4)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

pub fn remove_containers(ctx: &Ctx, ids: &[String]) -> Result<()> {
    ctx.rt.block_on(remove_all(&ctx.api, ids))
}

fn create_body(set: &str, cmd: &[&str]) -> v1_51::types::ContainerCreateBody {
    let labels: HashMap<String, String> = [
        (LABEL.to_string(), "1".to_string()),
        (format!("{LABEL}.set"), set.to_string()),
    ]
    .into();
    v1_51::types::ContainerCreateBody {
        image: Some(BASE_IMAGE.into()),
        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
        labels: Some(labels),
        host_config: Some(v1_51::types::HostConfig {
            network_mode: Some("none".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Creates `n` containers (not started) labelled `dea.bench.set=<set>`.
pub fn create_containers(ctx: &Ctx, n: usize, set: &str, cmd: &[&str]) -> Result<Vec<String>> {
    ctx.rt.block_on(async {
        futures_util::stream::iter(0..n)
            .map(|_| async {
                let created = ctx
                    .api
                    .container_create()
                    .body(create_body(set, cmd))
                    .send()
                    .await
                    .map_err(err)?;
                anyhow::Ok(created.into_inner().id)
            })
            .buffer_unordered(4)
            .try_collect()
            .await
    })
}

/// Creates a container running `cmd`, starts it and waits for it to exit 0.
pub fn run_to_completion(ctx: &Ctx, set: &str, cmd: &[&str]) -> Result<String> {
    ctx.rt.block_on(async {
        let id = ctx
            .api
            .container_create()
            .body(create_body(set, cmd))
            .send()
            .await
            .map_err(err)?
            .into_inner()
            .id;
        ctx.api
            .container_start()
            .id(&id)
            .send()
            .await
            .map_err(err)?;
        let exit = ctx
            .api
            .container_wait()
            .id(&id)
            .send()
            .await
            .map_err(err)?
            .into_inner();
        if exit.status_code != 0 {
            bail!("container {id} ({cmd:?}) exited with {}", exit.status_code);
        }
        Ok(id)
    })
}

pub async fn start(api: &v1_51::Client, id: &str) -> Result<()> {
    api.container_start().id(id).send().await.map_err(err)?;
    Ok(())
}

/// Stops at once (`t=0`: SIGKILL right after SIGTERM): the commands are
/// `sleep`s, which as PID 1 ignore SIGTERM.
pub async fn stop(api: &v1_51::Client, id: &str) -> Result<()> {
    api.container_stop().id(id).t(0).send().await.map_err(err)?;
    Ok(())
}

/// `POST /images/create?fromSrc=-` (what `docker import` does), the tar
/// streamed from `tar`, with the bench label.
pub fn import_image(ctx: &Ctx, tar: &Path, repo: &str, tag: &str) -> Result<()> {
    ctx.rt.block_on(async {
        let file = tokio::fs::File::open(tar)
            .await
            .with_context(|| format!("cannot open {}", tar.display()))?;
        let mut progress = ctx
            .api
            .image_create()
            .from_src("-")
            .repo(repo)
            .tag(tag)
            .changes(vec![format!("LABEL {LABEL}=1")])
            .body(body_from_reader(file))
            .send()
            .await
            .map_err(err)?
            .into_inner()
            .json_lines::<v1_51::stream_items::ImageCreate>();
        while let Some(line) = progress.next().await {
            line.context("import")?;
        }
        anyhow::Ok(())
    })
}

pub fn delete_image(ctx: &Ctx, name: &str) -> Result<()> {
    ctx.rt.block_on(async {
        ctx.api
            .image_delete()
            .name(name)
            .force(true)
            .send()
            .await
            .map_err(err)?;
        anyhow::Ok(())
    })
}

/// The engine's version line for the report.
pub fn engine_version(ctx: &Ctx) -> Result<String> {
    ctx.rt.block_on(async {
        let v = ctx
            .api
            .system_version()
            .send()
            .await
            .map_err(err)?
            .into_inner();
        anyhow::Ok(format!(
            "Docker {} (API {})",
            v.version.unwrap_or_default(),
            v.api_version.unwrap_or_default()
        ))
    })
}
