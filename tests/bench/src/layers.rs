//! Where ours' per-request cost goes, layer by layer: the same request sent
//! through each layer of the stack our generated clients sit on, alternating
//! in one process on one current-thread runtime (a diagnostic: in-process,
//! so its CPU figures are the parent's, not a child's).
//!
//! 1. `conn::http1`: hyper's connection, kept alive (the floor);
//! 2. hyper-util's pooled client (`client::legacy`), what reqwest is built on,
//!    over a unix-socket connector;
//! 3. the same, fed and read through reqwest's `Request` and `Response`
//!    types (`reqwest::Request` → `http::Request`, `http::Response` →
//!    `reqwest::Response`), since progenitor's generated code builds
//!    `reqwest::Request`s and reads `reqwest::Response`s;
//! 4. reqwest's own client (`unix_socket`);
//! 5. the runtime's `UnixTransport` (hyper's connections in a pool of its
//!    own), fed and read through reqwest's types as in 3: what ours sends
//!    through;
//! 6. ours: the facade's typed v1.51 client.
//!
//! `GET /_ping` reads the body; `GET /containers/{id}/json` decodes the
//! generated `ContainerInspectResponse` in every layer.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use anyhow::{Result, ensure};
use bytes::Bytes;
use docker_engine_client::{Docker, v1_51};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;

use crate::fixtures::{self, Ctx};
use crate::measure::{self, Summary};
use crate::raw;
use crate::report::{Table, cell};

const LAYERS: [&str; N] = [
    "hyper `conn::http1` (floor)",
    "hyper-util pooled client",
    "hyper-util pooled client + reqwest's `Request`/`Response` types",
    "reqwest",
    "the runtime's `UnixTransport` + reqwest's `Request`/`Response` types",
    "ours (facade, typed v1.51 client)",
];

/// How many layers the table has.
const N: usize = 6;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Ping,
    Inspect,
}

/// A connector for hyper-util's pool: every connection is the socket.
#[derive(Clone)]
struct UnixConnector(Arc<Path>);

impl tower_service::Service<http::Uri> for UnixConnector {
    type Response = TokioIo<tokio::net::UnixStream>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Self::Future {
        let path = self.0.clone();
        Box::pin(async move { Ok(TokioIo::new(tokio::net::UnixStream::connect(&*path).await?)) })
    }
}

struct Stack {
    conn: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    pooled: hyper_util::client::legacy::Client<UnixConnector, reqwest::Body>,
    reqwest: reqwest::Client,
    unix: docker_engine_api_runtime::UnixTransport,
    ours: v1_51::Client,
}

impl Stack {
    async fn new(socket: &Path) -> Result<Stack> {
        Ok(Stack {
            conn: raw::connect(socket).await?,
            pooled: hyper_util::client::legacy::Client::builder(
                hyper_util::rt::TokioExecutor::new(),
            )
            .build(UnixConnector(Arc::from(socket))),
            reqwest: reqwest::Client::builder()
                .unix_socket(socket.to_path_buf())
                .build()?,
            unix: docker_engine_api_runtime::UnixTransport::builder(socket).build(),
            ours: Docker::unix(socket)?.v1_51().await?,
        })
    }

    /// One request through layer `layer`, checked.
    async fn one(&mut self, layer: usize, op: Op, id: &str) -> Result<()> {
        let path = match op {
            Op::Ping => "/_ping".to_string(),
            Op::Inspect => format!("{}/containers/{id}/json", raw::PREFIX),
        };
        let url = format!("http://docker{path}");
        let body: Bytes = match layer {
            0 => raw::get_body(&mut self.conn, &path).await?,
            1 => {
                let req =
                    http::Request::get(url.as_str()).body(reqwest::Body::from(Bytes::new()))?;
                let resp = self.pooled.request(req).await?;
                resp.into_body().collect().await?.to_bytes()
            }
            2 => {
                let req: http::Request<reqwest::Body> = self
                    .reqwest
                    .get(url.as_str())
                    .header(http::header::ACCEPT, "application/json")
                    .build()?
                    .try_into()?;
                let resp = self.pooled.request(req).await?;
                let resp: reqwest::Response = resp.map(reqwest::Body::wrap).into();
                resp.bytes().await?
            }
            3 => self.reqwest.get(url.as_str()).send().await?.bytes().await?,
            4 => {
                let req = self
                    .reqwest
                    .get(url.as_str())
                    .header(http::header::ACCEPT, "application/json")
                    .build()?;
                self.unix.send(req).await?.bytes().await?
            }
            _ => {
                return match op {
                    Op::Ping => {
                        let mut s = self.ours.system_ping().send().await?.into_inner();
                        let mut n = 0;
                        while let Some(chunk) = s.next().await {
                            n += chunk?.len();
                        }
                        ensure!(n == 2, "ping answered {n} bytes");
                        Ok(())
                    }
                    Op::Inspect => {
                        let found = self.ours.container_inspect().id(id).send().await?;
                        ensure!(
                            found.id.as_deref() == Some(id),
                            "inspect answered another id"
                        );
                        Ok(())
                    }
                };
            }
        };
        match op {
            Op::Ping => ensure!(body == "OK", "ping answered {body:?}"),
            Op::Inspect => {
                let found: v1_51::types::ContainerInspectResponse = serde_json::from_slice(&body)?;
                ensure!(
                    found.id.as_deref() == Some(id),
                    "inspect answered another id"
                );
            }
        }
        Ok(())
    }
}

pub fn run(ctx: &Ctx) -> Result<Vec<Table>> {
    let ids = fixtures::create_containers(ctx, 1, "layers", &["true"])?;
    let result = measure_all(
        &ctx.socket,
        &ids[0],
        ctx.settings.rounds,
        ctx.settings.quick,
    );
    fixtures::remove_containers(ctx, &ids)?;
    let (ping, inspect) = result?;
    let mut table = Table {
        title: "Where ours' per-request CPU goes (diagnostic, one process)".into(),
        note: "The same request through each layer of the stack, alternating over rounds in one process on a \
               current-thread runtime; µs of CPU (user+sys) per request, one at a time; the ratio is to the \
               floor. Rows 3 and 5 feed the pool reqwest's `Request` and read reqwest's `Response`, as \
               progenitor's generated code needs; row 5 is the transport ours sends through on a unix \
               socket (the runtime's `UnixTransport`), so ours minus row 5 is the facade, the generated \
               builder and the runtime's exchange and readers."
            .into(),
        header: [
            "layer",
            "`GET /_ping` CPU",
            "ratio",
            "`GET /containers/{id}/json` (typed) CPU",
            "ratio",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    let ratio = |a: &Option<Summary>, b: &Option<Summary>| match (a, b) {
        (Some(a), Some(b)) if b.median != 0.0 => format!("{:.2}", a.median / b.median),
        _ => "–".into(),
    };
    for (l, name) in LAYERS.iter().enumerate() {
        table.rows.push(vec![
            name.to_string(),
            cell(ping[l]),
            ratio(&ping[l], &ping[0]),
            cell(inspect[l]),
            ratio(&inspect[l], &inspect[0]),
        ]);
    }
    Ok(vec![table])
}

type PerLayer = [Option<Summary>; N];

fn measure_all(
    socket: &Path,
    id: &str,
    rounds: usize,
    quick: bool,
) -> Result<(PerLayer, PerLayer)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut stack = Stack::new(socket).await?;
        let mut cpu = [[const { Vec::new() }; N], [const { Vec::new() }; N]];
        for round in 0..rounds {
            eprintln!("layers: round {}/{rounds}", round + 1);
            for (o, op) in [Op::Ping, Op::Inspect].into_iter().enumerate() {
                let n = match (op, quick) {
                    (Op::Ping, false) => 4000,
                    (Op::Inspect, false) => 1500,
                    (Op::Ping, true) => 1000,
                    (Op::Inspect, true) => 400,
                };
                // A different layer first in every round.
                for l in (0..N).map(|i| (i + round) % N) {
                    for _ in 0..20 {
                        stack.one(l, op, id).await?;
                    }
                    let cpu0 = measure::cpu_self();
                    for _ in 0..n {
                        stack.one(l, op, id).await?;
                    }
                    cpu[o][l].push((measure::cpu_self() - cpu0) * 1e6 / n as f64);
                }
            }
        }
        let per = |v: &[Vec<f64>; N]| -> PerLayer { std::array::from_fn(|l| Summary::of(&v[l])) };
        Ok((per(&cpu[0]), per(&cpu[1])))
    })
}
