//! Image export and load of a ~200 MiB image: `GET /images/{name}/get`
//! streamed into a sink that only counts, and `POST /images/load` streamed
//! from a file. Constant memory is the point: peak RSS must not grow with
//! the image, so no client may hold a whole body.
//!
//! The image is made as `docker import` makes one: a tar holding one file of
//! incompressible bytes, posted to `POST /images/create?fromSrc=-`. It is
//! exported once (untimed, raw hyper) into a file that every load reads and
//! whose size every export must match. Before each load the image is
//! deleted, so that every load makes the daemon do the same work.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use http_body_util::BodyExt;
use tokio::io::AsyncWriteExt;

use crate::child::{self, Flavor, Spec, Task};
use crate::client::ClientKind;
use crate::fixtures::{self, Ctx};
use crate::latency::summaries;
use crate::measure;
use crate::raw;
use crate::report::{Comparison, Table};

pub const IMAGE: &str = "dea-bench-image:latest";

pub fn run(ctx: &Ctx) -> Result<Vec<Table>> {
    let mib = ctx.settings.image_mib;
    let layer = ctx.scratch.join("import.tar");
    write_import_tar(&layer, mib << 20)?;
    fixtures::import_image(ctx, &layer, "dea-bench-image", "latest")?;
    std::fs::remove_file(&layer)?;
    let saved = ctx.scratch.join("export.tar");
    let bytes = ctx.rt.block_on(export_to_file(&ctx.socket, &saved))?;
    eprintln!("image: {IMAGE} exports as {bytes} bytes");

    let rounds = ctx.settings.image_rounds;
    let metrics = || vec![Vec::new(); 3];
    let (mut ex_mbs, mut ex_cpu, mut ex_rss) = (metrics(), metrics(), metrics());
    let (mut ld_mbs, mut ld_cpu, mut ld_rss) = (metrics(), metrics(), metrics());
    // Export again on a multi-thread runtime, read in `block_on`.
    let (mut mt_mbs, mut mt_cpu) = (metrics(), metrics());
    // Ours again, uploading in 64 KiB chunks like the others (diagnostic).
    let (mut diag_mbs, mut diag_cpu) = (Vec::new(), Vec::new());
    let gib = |n: u64| n as f64 / (1u64 << 30) as f64;
    for round in 0..rounds {
        for kind in ClientKind::order(round) {
            eprintln!("image: round {}/{rounds}, {kind}", round + 1);
            let k = kind as usize;
            let spec = |task| Spec {
                socket: ctx.socket.clone(),
                client: kind,
                flavor: Flavor::CurrentThread,
                task,
            };
            let out = child::run(&spec(Task::Export {
                image: IMAGE.into(),
                bytes,
            }))?;
            let r = &out.report;
            ex_mbs[k].push(measure::mb_per_s(r.count, r.wall_s));
            ex_cpu[k].push(r.cpu_s / gib(r.count));
            ex_rss[k].push(out.max_rss_kib as f64 / 1024.0);
            let out = child::run(&Spec {
                flavor: Flavor::MultiThread,
                ..spec(Task::Export {
                    image: IMAGE.into(),
                    bytes,
                })
            })?;
            let r = &out.report;
            mt_mbs[k].push(measure::mb_per_s(r.count, r.wall_s));
            mt_cpu[k].push(r.cpu_s / gib(r.count));

            fixtures::delete_image(ctx, IMAGE)?;
            let out = child::run(&spec(Task::Load {
                path: saved.clone(),
                image: IMAGE.into(),
                ours_chunk: None,
            }))?;
            let r = &out.report;
            ld_mbs[k].push(measure::mb_per_s(r.count, r.wall_s));
            ld_cpu[k].push(r.cpu_s / gib(r.count));
            ld_rss[k].push(out.max_rss_kib as f64 / 1024.0);
            eprintln!(
                "  export {:.0} MB/s {:.1} MiB, load {:.0} MB/s {:.1} MiB",
                ex_mbs[k].last().unwrap(),
                ex_rss[k].last().unwrap(),
                ld_mbs[k].last().unwrap(),
                ld_rss[k].last().unwrap()
            );
            if kind == ClientKind::Ours {
                fixtures::delete_image(ctx, IMAGE)?;
                let out = child::run(&spec(Task::Load {
                    path: saved.clone(),
                    image: IMAGE.into(),
                    ours_chunk: Some(crate::client::UPLOAD_CHUNK),
                }))?;
                let r = &out.report;
                diag_mbs.push(measure::mb_per_s(r.count, r.wall_s));
                diag_cpu.push(r.cpu_s / gib(r.count));
            }
        }
    }
    std::fs::remove_file(&saved)?;
    fixtures::delete_image(ctx, IMAGE)?;

    let mut table = Comparison::new(
        &format!(
            "Image export and load ({mib} MiB of incompressible data, a {} MB tar)",
            bytes / 1_000_000
        ),
        "Export streams into a counting sink and must get the exact size; load streams the tar from a file \
         (ours with `body_from_reader`, the others with a 64 KiB `ReaderStream`) after the image was deleted, \
         and must read `Loaded image`. Current-thread runtime, but for the export rows that say \
         multi-thread (read in `block_on`, as in a `#[tokio::main]` function).",
    );
    table.row("export, MB/s (higher is better)", summaries(&ex_mbs));
    table.row("export, client CPU s per GiB", summaries(&ex_cpu));
    table.row("export, peak RSS MiB", summaries(&ex_rss));
    table.row(
        "export, multi-thread runtime, MB/s (higher is better)",
        summaries(&mt_mbs),
    );
    table.row(
        "export, multi-thread runtime, client CPU s per GiB",
        summaries(&mt_cpu),
    );
    table.row("load, MB/s (higher is better)", summaries(&ld_mbs));
    table.row("load, client CPU s per GiB", summaries(&ld_cpu));
    table.row("load, peak RSS MiB", summaries(&ld_rss));
    // The same peers, ours replaced by its diagnostic variant.
    let with = |ours: &Vec<f64>, peers: &Vec<Vec<f64>>| {
        let mut v = peers.clone();
        v[0] = ours.clone();
        summaries(&v)
    };
    table.row(
        "load, ours in 64 KiB chunks (`wrap_stream`, diagnostic), MB/s",
        with(&diag_mbs, &ld_mbs),
    );
    table.row(
        "load, ours in 64 KiB chunks (`wrap_stream`, diagnostic), CPU s per GiB",
        with(&diag_cpu, &ld_cpu),
    );
    Ok(vec![table.into_table()])
}

/// A tar with one file, `data.bin`, of `size` pseudo-random bytes (xorshift:
/// incompressible enough that nothing on the way can shrink it).
fn write_import_tar(path: &Path, size: u64) -> Result<()> {
    struct Noise {
        state: u64,
        left: u64,
    }
    impl Read for Noise {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = (buf.len() as u64).min(self.left) as usize & !7;
            let n = if n == 0 {
                (self.left as usize).min(buf.len())
            } else {
                n
            };
            for chunk in buf[..n].chunks_mut(8) {
                self.state ^= self.state << 13;
                self.state ^= self.state >> 7;
                self.state ^= self.state << 17;
                let bytes = self.state.to_le_bytes();
                chunk.copy_from_slice(&bytes[..chunk.len()]);
            }
            self.left -= n as u64;
            Ok(n)
        }
    }
    let file = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    let mut tar = tar::Builder::new(file);
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(
        &mut header,
        "data.bin",
        Noise {
            state: 0x9E37_79B9_7F4A_7C15,
            left: size,
        },
    )?;
    tar.into_inner()?.into_inner()?.sync_all()?;
    Ok(())
}

/// The reference export, written to `path` with raw hyper; returns its size.
async fn export_to_file(socket: &Path, path: &PathBuf) -> Result<u64> {
    let mut conn = raw::connect(socket).await?;
    let url = format!("{}/images/{IMAGE}/get", raw::PREFIX);
    let mut body = raw::send(&mut conn, raw::get(&url)?).await?.into_body();
    let mut file = tokio::io::BufWriter::new(tokio::fs::File::create(path).await?);
    let mut n = 0u64;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            n += data.len() as u64;
            file.write_all(&data).await?;
        }
    }
    file.flush().await?;
    if n == 0 {
        bail!("the export of {IMAGE} is empty");
    }
    Ok(n)
}
