//! The three clients under test, behind one enum: every scenario calls the
//! same operation on each and checks what it returns, so a client that
//! answers fast but wrong fails the run instead of winning it.
//!
//! - `Ours`: the facade's typed client of the negotiated version (v1.51),
//!   decoding into the generated types; streams through `ResponseExt::output`,
//!   `ByteStreamExt::json_lines` / `into_async_read`, `body_from_reader`.
//! - `Bollard`: bollard 0.21 as its users connect to a unix socket
//!   (`connect_with_unix` + `negotiate_version`), decoding into its models.
//! - `Raw`: hyper 1 over a `UnixStream` (see `raw.rs`), decoding only the
//!   fields it checks, into minimal typed structs (serde skips the rest).
//! - `Typed` (the fair floor, latency scenario only): the same raw hyper
//!   connection, decoding into the same generated v1.51 types as ours, so
//!   that `ours / fair floor` is only what the facade, progenitor's client
//!   and reqwest add on top of HTTP and serde.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail, ensure};
use bytes::{Bytes, BytesMut};
use docker_engine_client::{
    ByteStreamExt, Docker, LogOutput, ResponseExt, body_from_reader, v1_51,
};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Empty, StreamBody};
use hyper::body::Frame;
use hyper::client::conn::http1::SendRequest;
use serde::{Deserialize, Serialize};

use crate::raw;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
pub enum ClientKind {
    Ours,
    Bollard,
    Raw,
    Typed,
}

impl ClientKind {
    pub const ALL: [ClientKind; 3] = [ClientKind::Ours, ClientKind::Bollard, ClientKind::Raw];

    /// With the fair floor: the latency scenario's four clients.
    pub const WITH_FAIR_FLOOR: [ClientKind; 4] = [
        ClientKind::Ours,
        ClientKind::Bollard,
        ClientKind::Typed,
        ClientKind::Raw,
    ];

    /// The order of round `round`: A B C, B C A, C A B, ... so that no client
    /// is always the first after a pause or always right after another one.
    pub fn order(round: usize) -> [ClientKind; 3] {
        let mut all = Self::ALL;
        all.rotate_left(round % 3);
        all
    }

    /// [`ClientKind::order`] of the four clients with the fair floor.
    pub fn order_with_fair_floor(round: usize) -> [ClientKind; 4] {
        let mut all = Self::WITH_FAIR_FLOOR;
        all.rotate_left(round % 4);
        all
    }
}

impl fmt::Display for ClientKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClientKind::Ours => "ours",
            ClientKind::Bollard => "bollard",
            ClientKind::Raw => "raw hyper",
            ClientKind::Typed => "raw hyper, typed",
        })
    }
}

/// One client, ready to send. Clone-cheap for `Ours` and `Bollard` (they
/// share their connection handling); `worker()` gives `Raw` a connection of
/// its own.
pub enum Client {
    Ours(Arc<v1_51::Client>),
    Bollard(bollard::Docker),
    Raw {
        socket: Arc<Path>,
        conn: SendRequest<Empty<Bytes>>,
        /// Decodes answers into the generated types (the fair floor).
        typed: bool,
    },
}

/// An event, as much of it as the events scenario checks.
pub struct Event {
    pub action: String,
    pub id: String,
    pub time_nano: i64,
}

fn ours<E>(e: E) -> anyhow::Error
where
    docker_engine_client::Error: From<E>,
{
    anyhow::Error::from(docker_engine_client::Error::from(e))
}

/// How bollard users bound a request; long enough for a GiB of logs.
const BOLLARD_TIMEOUT_S: u64 = 3600;

impl Client {
    pub async fn connect(kind: ClientKind, socket: &Path) -> Result<Client> {
        Ok(match kind {
            ClientKind::Ours => {
                let docker = Docker::unix(socket)?;
                // Negotiates (one ping) and checks the daemon serves 1.51.
                Client::Ours(Arc::new(docker.v1_51().await?))
            }
            ClientKind::Bollard => {
                let path = socket.to_str().context("socket path is not UTF-8")?;
                let docker = bollard::Docker::connect_with_unix(
                    path,
                    BOLLARD_TIMEOUT_S,
                    bollard::API_DEFAULT_VERSION,
                )?;
                // bollard defaults to API 1.53, which engine 28 refuses: its
                // users negotiate down (one GET /version).
                Client::Bollard(docker.negotiate_version().await?)
            }
            ClientKind::Raw | ClientKind::Typed => Client::Raw {
                socket: Arc::from(socket),
                conn: raw::connect(socket).await?,
                typed: kind == ClientKind::Typed,
            },
        })
    }

    /// A handle for one concurrent worker.
    pub async fn worker(&self) -> Result<Client> {
        Ok(match self {
            Client::Ours(c) => Client::Ours(c.clone()),
            Client::Bollard(d) => Client::Bollard(d.clone()),
            Client::Raw { socket, typed, .. } => Client::Raw {
                socket: socket.clone(),
                conn: raw::connect(socket).await?,
                typed: *typed,
            },
        })
    }

    /// `GET /_ping`: the body must be `OK`.
    pub async fn ping(&mut self) -> Result<()> {
        let body: Bytes = match self {
            Client::Ours(c) => {
                let mut stream = c.system_ping().send().await.map_err(ours)?.into_inner();
                let mut all = BytesMut::new();
                while let Some(chunk) = stream.next().await {
                    all.extend_from_slice(&chunk?);
                }
                all.freeze()
            }
            Client::Bollard(d) => Bytes::from(d.ping().await?),
            Client::Raw { conn, .. } => raw::get_body(conn, "/_ping").await?,
        };
        ensure!(body == "OK", "ping answered {body:?}");
        Ok(())
    }

    /// `GET /version`: returns the daemon's `ApiVersion`.
    pub async fn version(&mut self) -> Result<String> {
        let v = match self {
            Client::Ours(c) => {
                c.system_version()
                    .send()
                    .await
                    .map_err(ours)?
                    .into_inner()
                    .api_version
            }
            Client::Bollard(d) => d.version().await?.api_version,
            Client::Raw { conn, typed, .. } => {
                #[derive(Deserialize)]
                struct Version {
                    #[serde(rename = "ApiVersion")]
                    api_version: Option<String>,
                }
                let path = format!("{}/version", raw::PREFIX);
                let body = raw::get_body(conn, &path).await?;
                if *typed {
                    serde_json::from_slice::<v1_51::types::SystemVersion>(&body)?.api_version
                } else {
                    serde_json::from_slice::<Version>(&body)?.api_version
                }
            }
        };
        v.ok_or_else(|| anyhow!("/version has no ApiVersion"))
    }

    /// `GET /containers/json?all=1`: returns how many containers carry
    /// `label=value` (the caller knows how many it created).
    pub async fn list_containers(&mut self, label: &str, value: &str) -> Result<usize> {
        let has = |labels: Option<&HashMap<String, String>>| {
            labels
                .and_then(|l| l.get(label))
                .is_some_and(|v| v == value)
        };
        Ok(match self {
            Client::Ours(c) => {
                let list = c.container_list().all(true).send().await.map_err(ours)?;
                list.iter().filter(|s| has(s.labels.as_ref())).count()
            }
            Client::Bollard(d) => {
                let options = bollard::query_parameters::ListContainersOptionsBuilder::new()
                    .all(true)
                    .build();
                let list = d.list_containers(Some(options)).await?;
                list.iter().filter(|s| has(s.labels.as_ref())).count()
            }
            Client::Raw { conn, typed, .. } => {
                #[derive(Deserialize)]
                struct Summary {
                    #[serde(rename = "Id")]
                    _id: String,
                    #[serde(rename = "Labels")]
                    labels: Option<HashMap<String, String>>,
                }
                let path = format!("{}/containers/json?all=1", raw::PREFIX);
                let body = raw::get_body(conn, &path).await?;
                if *typed {
                    let list: Vec<v1_51::types::ContainerSummary> = serde_json::from_slice(&body)?;
                    list.iter().filter(|s| has(s.labels.as_ref())).count()
                } else {
                    let list: Vec<Summary> = serde_json::from_slice(&body)?;
                    list.iter().filter(|s| has(s.labels.as_ref())).count()
                }
            }
        })
    }

    /// `GET /containers/{id}/json`: returns the container's `Id`.
    pub async fn inspect(&mut self, id: &str) -> Result<String> {
        let found = match self {
            Client::Ours(c) => {
                c.container_inspect()
                    .id(id)
                    .send()
                    .await
                    .map_err(ours)?
                    .into_inner()
                    .id
            }
            Client::Bollard(d) => d.inspect_container(id, None).await?.id,
            Client::Raw { conn, typed, .. } => {
                #[derive(Deserialize)]
                struct Inspect {
                    #[serde(rename = "Id")]
                    id: Option<String>,
                }
                let path = format!("{}/containers/{id}/json", raw::PREFIX);
                let body = raw::get_body(conn, &path).await?;
                if *typed {
                    serde_json::from_slice::<v1_51::types::ContainerInspectResponse>(&body)?.id
                } else {
                    serde_json::from_slice::<Inspect>(&body)?.id
                }
            }
        };
        found.ok_or_else(|| anyhow!("inspect of {id} has no Id"))
    }

    /// `GET /containers/{id}/logs?stdout=1&stderr=1`, demultiplexed: returns
    /// the payload bytes of stdout and of stderr.
    pub async fn logs(&mut self, id: &str) -> Result<(u64, u64)> {
        let (mut out, mut err) = (0u64, 0u64);
        match self {
            Client::Ours(c) => {
                let mut stream = c
                    .container_logs()
                    .id(id)
                    .stdout(true)
                    .stderr(true)
                    .send()
                    .await
                    .map_err(ours)?
                    .output();
                while let Some(chunk) = stream.next().await {
                    match chunk? {
                        LogOutput::StdOut(b) => out += b.len() as u64,
                        LogOutput::StdErr(b) => err += b.len() as u64,
                        other => bail!("unexpected output {other:?}"),
                    }
                }
            }
            Client::Bollard(d) => {
                let options = bollard::query_parameters::LogsOptionsBuilder::new()
                    .stdout(true)
                    .stderr(true)
                    .build();
                let mut stream = d.logs(id, Some(options));
                while let Some(chunk) = stream.next().await {
                    match chunk? {
                        bollard::container::LogOutput::StdOut { message } => {
                            out += message.len() as u64
                        }
                        bollard::container::LogOutput::StdErr { message } => {
                            err += message.len() as u64
                        }
                        other => bail!("unexpected output {other:?}"),
                    }
                }
            }
            Client::Raw { conn, .. } => {
                let path = format!("{}/containers/{id}/logs?stdout=1&stderr=1", raw::PREFIX);
                let mut body = raw::send(conn, raw::get(&path)?).await?.into_body();
                let mut demux = raw::Demux::default();
                while let Some(frame) = body.frame().await {
                    if let Ok(data) = frame?.into_data() {
                        demux.push(&data)?;
                    }
                }
                demux.finish()?;
                (out, err) = (demux.stdout, demux.stderr);
            }
        }
        Ok((out, err))
    }

    /// `GET /events?since=..&filters={"label":[label],"type":["container"]}`,
    /// decoded; `ready` is called once the request is under way, `on_event`
    /// for every event until it returns `true`.
    pub async fn events(
        &mut self,
        since: &str,
        label: &str,
        ready: impl FnOnce(),
        mut on_event: impl FnMut(Event) -> bool,
    ) -> Result<()> {
        match self {
            Client::Ours(c) => {
                let filters = docker_engine_client::Filters::new()
                    .add("label", label)
                    .add("type", "container");
                let mut stream = c
                    .system_events()
                    .since(since)
                    .filters(filters)
                    .send()
                    .await
                    .map_err(ours)?
                    .into_inner()
                    .json_lines::<v1_51::stream_items::SystemEvents>();
                ready();
                while let Some(e) = stream.next().await {
                    let e = e?;
                    let event = Event {
                        action: e.action.unwrap_or_default(),
                        id: e.actor.and_then(|a| a.id).unwrap_or_default(),
                        time_nano: e.time_nano.unwrap_or_default(),
                    };
                    if on_event(event) {
                        return Ok(());
                    }
                }
            }
            Client::Bollard(d) => {
                let filters: HashMap<&str, Vec<&str>> =
                    [("label", vec![label]), ("type", vec!["container"])].into();
                let options = bollard::query_parameters::EventsOptionsBuilder::new()
                    .since(since)
                    .filters(&filters)
                    .build();
                // bollard's stream sends its request on the first poll; the
                // `since` the caller passes covers the moments in between.
                let mut stream = d.events(Some(options));
                ready();
                while let Some(e) = stream.next().await {
                    let e = e?;
                    let event = Event {
                        action: e.action.unwrap_or_default(),
                        id: e.actor.and_then(|a| a.id).unwrap_or_default(),
                        time_nano: e.time_nano.unwrap_or_default(),
                    };
                    if on_event(event) {
                        return Ok(());
                    }
                }
            }
            Client::Raw { conn, .. } => {
                #[derive(Deserialize)]
                struct Actor {
                    #[serde(rename = "ID")]
                    id: Option<String>,
                }
                #[derive(Deserialize)]
                struct RawEvent {
                    #[serde(rename = "Action")]
                    action: Option<String>,
                    #[serde(rename = "Actor")]
                    actor: Option<Actor>,
                    #[serde(rename = "timeNano")]
                    time_nano: Option<i64>,
                }
                let filters = serde_json::json!({"label": [label], "type": ["container"]});
                let path = format!(
                    "{}/events?since={since}&filters={}",
                    raw::PREFIX,
                    percent_encode(&filters.to_string())
                );
                let mut body = raw::send(conn, raw::get(&path)?).await?.into_body();
                ready();
                let mut buf = BytesMut::new();
                while let Some(frame) = body.frame().await {
                    let Ok(data) = frame?.into_data() else {
                        continue;
                    };
                    buf.extend_from_slice(&data);
                    while let Some(nl) = buf.iter().position(|b| *b == b'\n') {
                        let line = buf.split_to(nl + 1);
                        let e: RawEvent = serde_json::from_slice(&line)?;
                        let event = Event {
                            action: e.action.unwrap_or_default(),
                            id: e.actor.and_then(|a| a.id).unwrap_or_default(),
                            time_nano: e.time_nano.unwrap_or_default(),
                        };
                        if on_event(event) {
                            return Ok(());
                        }
                    }
                }
            }
        }
        bail!("the event stream ended")
    }

    /// `GET /images/{name}/get`, streamed into a sink that only counts:
    /// returns the tar's size. Constant memory: nothing keeps the body.
    pub async fn export(&mut self, image: &str) -> Result<u64> {
        Ok(match self {
            Client::Ours(c) => {
                let body = c.image_get().name(image).send().await.map_err(ours)?;
                let mut reader = body.into_inner().into_async_read();
                tokio::io::copy(&mut reader, &mut tokio::io::sink()).await?
            }
            Client::Bollard(d) => {
                let mut stream = d.export_image(image);
                let mut n = 0u64;
                while let Some(chunk) = stream.next().await {
                    n += chunk?.len() as u64;
                }
                n
            }
            Client::Raw { conn, .. } => {
                let path = format!("{}/images/{image}/get", raw::PREFIX);
                let mut body = raw::send(conn, raw::get(&path)?).await?.into_body();
                let mut n = 0u64;
                while let Some(frame) = body.frame().await {
                    if let Ok(data) = frame?.into_data() {
                        n += data.len() as u64;
                    }
                }
                n
            }
        })
    }

    /// `POST /images/load?quiet=1`, the body streamed from `path`: returns the
    /// daemon's messages (`Loaded image: ...`), failing on an error line.
    ///
    /// `ours_chunk`: a diagnostic for ours, which then streams the file in
    /// chunks of that size (`reqwest::Body::wrap_stream` of a
    /// `ReaderStream`) instead of through `body_from_reader`.
    pub async fn load(&mut self, path: &Path, ours_chunk: Option<usize>) -> Result<Vec<String>> {
        let file = tokio::fs::File::open(path)
            .await
            .with_context(|| format!("cannot open {}", path.display()))?;
        let mut messages = Vec::new();
        match self {
            Client::Ours(c) => {
                let body = match ours_chunk {
                    None => body_from_reader(file),
                    Some(n) => reqwest::Body::wrap_stream(
                        tokio_util::io::ReaderStream::with_capacity(file, n),
                    ),
                };
                let mut lines = c
                    .image_load()
                    .quiet(true)
                    .body(body)
                    .send()
                    .await
                    .map_err(ours)?
                    .into_inner()
                    .json_lines::<v1_51::stream_items::ImageLoad>();
                while let Some(line) = lines.next().await {
                    messages.extend(line?.stream);
                }
            }
            Client::Bollard(d) => {
                let options = bollard::query_parameters::ImportImageOptionsBuilder::new()
                    .quiet(true)
                    .build();
                let body = tokio_util::io::ReaderStream::with_capacity(file, UPLOAD_CHUNK);
                let mut lines = d.import_image_stream(options, body, None);
                while let Some(line) = lines.next().await {
                    messages.extend(line?.stream);
                }
            }
            Client::Raw { socket, .. } => {
                // A connection whose request body is a stream of the file.
                let frames = tokio_util::io::ReaderStream::with_capacity(file, UPLOAD_CHUNK)
                    .map(|chunk| chunk.map(Frame::data));
                let mut conn = raw::connect(socket).await?;
                let path = format!("{}/images/load?quiet=1", raw::PREFIX);
                let req = raw::request("POST", &path, StreamBody::new(frames))?;
                let body = raw::body(raw::send(&mut conn, req).await?).await?;
                #[derive(Deserialize)]
                struct Line {
                    stream: Option<String>,
                    error: Option<String>,
                }
                for line in body
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.trim_ascii().is_empty())
                {
                    let line: Line = serde_json::from_slice(line)?;
                    if let Some(e) = line.error {
                        bail!("load: {e}");
                    }
                    messages.extend(line.stream);
                }
            }
        }
        Ok(messages)
    }
}

/// The chunk size bollard and raw hyper upload with (what `tokio::io::copy`
/// and most readers use): the caller chooses it with those clients.
pub const UPLOAD_CHUNK: usize = 64 * 1024;

/// Enough percent-encoding for a JSON filter in a query string.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
