//! The exchange every generated operation shares: send through the client's
//! [`Transport`], check the status, turn an error answer into a typed error;
//! then read the success body the way the operation wants it.
//!
//! A generated `send` builds its `reqwest::Request` and ends with one call:
//!
//! ```ignore
//! read_json(exchange(client, request, &info, Expect::Success).await?).await
//! ```
//!
//! One copy of this state machine per crate, not one per operation, is what
//! keeps the generated crates' build time down (codegen rule `one_exchange`).
//! Every error of a generated call is made here (apart from a builder's own
//! `InvalidRequest`), as this crate's [`Error`].

use progenitor_client::{ByteStream, ClientInfo, OperationInfo, ResponseValue};
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::error_body::{error_message, read_error_body};
use crate::{Protocol, Transport};

/// What answer the operation expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Any `2xx`.
    Success,
    /// `101 Switching Protocols` to this protocol; the request asks for it.
    Upgrade(Protocol),
}

/// The body type of Docker's error answers (`{"message": "..."}`), which every
/// generated crate has as `types::ErrorResponse`.
pub trait DaemonError: DeserializeOwned {
    /// The error of an answer whose body is not that JSON (a proxy's HTML, a
    /// `text/plain` 404): the daemon's text becomes the message.
    fn from_message(message: String) -> Self;
    /// The daemon's message, what [`Error`]'s `Display` prints.
    fn message(&self) -> &str;
}

/// Sends `request` through `client`'s transport and returns the response
/// when its status is the one `expect`s.
///
/// An upgrade always goes through the `reqwest::Client` (whose `Upgraded`
/// the generated `upgrade()` answers); everything else through a
/// [`Transport::Unix`] when the client has one. progenitor's hooks
/// (`ClientHooks`) are not called: a generated crate implements them with
/// their defaults, which do nothing but send with the `reqwest::Client`.
///
/// - a `4xx`/`5xx` becomes [`Error::ErrorResponse`] with the status, the
///   headers and the daemon's message: its JSON error body, or its text when
///   the body is not JSON; at most [`MAX_ERROR_BODY`](crate::MAX_ERROR_BODY) bytes of it are read;
/// - any other status (a `304`, a `200` where an upgrade was asked for)
///   becomes [`Error::UnexpectedResponse`], which keeps the status.
pub async fn exchange<C, E>(
    client: &C,
    mut request: reqwest::Request,
    _info: &OperationInfo,
    expect: Expect,
) -> Result<reqwest::Response, Error<E>>
where
    C: ClientInfo<Transport>,
    E: DaemonError,
{
    if let Expect::Upgrade(protocol) = expect {
        crate::upgrade::request_upgrade(request.headers_mut(), protocol);
    }
    let response = match client.inner() {
        Transport::Unix(unix) if expect == Expect::Success => {
            unix.send(request).await.map_err(Error::ConnectionError)?
        }
        _ => client.client().execute(request).await?,
    };
    let status = response.status().as_u16();
    match (expect, status) {
        (Expect::Upgrade(_), 101) | (Expect::Success, 200..=299) => Ok(response),
        (_, 400..=599) => Err(error_response(response).await),
        _ => Err(Error::UnexpectedResponse(response)),
    }
}

/// The success body as one JSON document.
pub async fn read_json<T: DeserializeOwned, E>(
    response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    Ok(ResponseValue::from_response(response).await?)
}

/// The success body as one JSON array or map, where the body `null` is the
/// empty one: the daemon's Go handlers encode a nil slice or map as `null`
/// (`GET /containers/{id}/changes` of a container without changes). The
/// generated code uses it where the rule `null_body_is_empty` says so.
pub async fn read_json_or_empty<T: DeserializeOwned + Default, E>(
    response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(Error::ResponseBodyError)?;
    let inner = if body.trim_ascii() == b"null" {
        T::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| Error::InvalidResponsePayload(body, e))?
    };
    Ok(ResponseValue::new(inner, status, headers))
}

/// A success without a body (its status and headers are kept).
pub fn read_empty(response: reqwest::Response) -> ResponseValue<()> {
    ResponseValue::empty(response)
}

/// The success body as a byte stream, read as the caller goes. An answer
/// that reqwest reads, opened on a multi-thread runtime's own thread, is
/// read by a task of its own (`hand_off.rs`, which says why).
pub fn read_stream(response: reqwest::Response) -> ResponseValue<ByteStream> {
    if crate::transport::reader_drives(&response) {
        return ResponseValue::stream(response);
    }
    let status = response.status();
    let headers = response.headers().clone();
    let body = crate::hand_off::hand_off(Box::pin(response.bytes_stream()));
    ResponseValue::new(ByteStream::new(body), status, headers)
}

/// The switched connection of a `101` answer.
pub async fn read_upgrade<E: std::fmt::Debug>(
    response: reqwest::Response,
) -> Result<ResponseValue<reqwest::Upgraded>, Error<E>> {
    Ok(ResponseValue::upgrade(response).await?)
}

/// A `4xx`/`5xx` answer as a typed error: Docker's JSON error body when it
/// is one, else the daemon's text as the message ([`crate::error_body`]).
async fn error_response<E: DaemonError>(response: reqwest::Response) -> Error<E> {
    let status = response.status();
    let headers = response.headers().clone();
    let (body, cut) = read_error_body(response).await;
    let decoded = if cut {
        None
    } else {
        serde_json::from_slice::<E>(&body).ok()
    };
    let value = decoded.unwrap_or_else(|| E::from_message(error_message(&body, cut)));
    Error::ErrorResponse(ResponseValue::new(value, status, headers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_ERROR_BODY;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// The error body of the tests.
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct ErrorBody {
        message: String,
    }

    impl DaemonError for ErrorBody {
        fn from_message(message: String) -> Self {
            Self { message }
        }
        fn message(&self) -> &str {
            &self.message
        }
    }

    /// A client that sends with its `reqwest::Client`.
    struct TestClient(reqwest::Client);

    impl progenitor_client::ClientInfo<Transport> for TestClient {
        fn api_version() -> &'static str {
            "test"
        }
        fn baseurl(&self) -> &str {
            ""
        }
        fn client(&self) -> &reqwest::Client {
            &self.0
        }
        fn inner(&self) -> &Transport {
            &Transport::Reqwest
        }
    }

    const INFO: OperationInfo = OperationInfo {
        operation_id: "test",
    };

    /// A one-shot HTTP server (this crate's own plumbing is under test, so a
    /// fake daemon is the right peer): answers the first request with
    /// `answer` and returns the request's head as it arrived, lowercased.
    async fn serve_once(answer: Vec<u8>) -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            // The client may stop reading a long error body and close.
            let _ = socket.write_all(&answer).await;
            let _ = socket.shutdown().await;
            String::from_utf8_lossy(&request).to_lowercase()
        });
        (url, task)
    }

    /// An HTTP/1.1 answer with `head` (status line and headers) and `body`.
    fn answer(head: &str, body: &[u8]) -> Vec<u8> {
        let mut bytes = format!(
            "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    /// Runs one exchange against `raw`; returns its result and the request
    /// the server saw.
    async fn run(
        raw: Vec<u8>,
        expect: Expect,
    ) -> (Result<reqwest::Response, Error<ErrorBody>>, String) {
        let (url, server) = serve_once(raw).await;
        // In the workspace, the facade's `tls` feature builds reqwest without
        // a crypto provider, and reqwest then refuses to build any client.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        let request = http.post(url).build().unwrap();
        let result = exchange(&TestClient(http), request, &INFO, expect).await;
        (result, server.await.unwrap())
    }

    fn error_of(result: Result<reqwest::Response, Error<ErrorBody>>) -> (u16, String) {
        match result {
            Err(Error::ErrorResponse(value)) => {
                (value.status().as_u16(), value.into_inner().message)
            }
            Err(other) => panic!("not an error response: {other}"),
            Ok(r) => panic!("not an error: {}", r.status()),
        }
    }

    #[tokio::test]
    async fn a_success_is_the_response() {
        let (result, _) = run(answer("HTTP/1.1 200 OK", b"{}"), Expect::Success).await;
        let response = result.unwrap();
        let value: ResponseValue<serde_json::Value> = read_json::<_, ()>(response).await.unwrap();
        assert_eq!(value.into_inner(), serde_json::json!({}));
    }

    #[tokio::test]
    async fn a_json_error_body_is_the_daemons_message() {
        let (result, _) = run(
            answer(
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/json",
                br#"{"message": "No such container: x"}"#,
            ),
            Expect::Success,
        )
        .await;
        assert_eq!(error_of(result), (404, "No such container: x".into()));
    }

    #[tokio::test]
    async fn a_text_error_body_keeps_its_status_and_text() {
        let (result, _) = run(
            answer(
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain",
                b"404 page not found\n",
            ),
            Expect::Success,
        )
        .await;
        assert_eq!(error_of(result), (404, "404 page not found".into()));
        let (result, _) = run(answer("HTTP/1.1 502 Bad Gateway", b""), Expect::Success).await;
        assert_eq!(error_of(result), (502, String::new()));
    }

    #[tokio::test]
    async fn a_huge_error_body_is_cut_at_the_limit() {
        let mut body = br#"{"message": ""#.to_vec();
        body.extend(std::iter::repeat_n(b'x', 3 * MAX_ERROR_BODY));
        body.extend(br#""}"#);
        let (result, _) = run(
            answer("HTTP/1.1 500 Internal Server Error", &body),
            Expect::Success,
        )
        .await;
        let (status, message) = error_of(result);
        assert_eq!(status, 500);
        assert!(
            message.ends_with("longer than 1 MiB]"),
            "{}",
            &message[message.len() - 60..]
        );
        assert!(
            message.len() < MAX_ERROR_BODY + 64,
            "{} bytes",
            message.len()
        );
        // `{"message": "` with a space is not Docker's own encoding: kept.
        assert!(message.starts_with(r#"{"message": "xxx"#));
    }

    #[tokio::test]
    async fn other_statuses_are_unexpected_and_keep_their_status() {
        let (result, _) = run(answer("HTTP/1.1 304 Not Modified", b""), Expect::Success).await;
        match result {
            Err(Error::UnexpectedResponse(r)) => assert_eq!(r.status().as_u16(), 304),
            other => panic!("{:?}", other.map(|r| r.status())),
        }
    }

    #[tokio::test]
    async fn an_upgrade_asks_for_it_and_needs_101() {
        // A 200 where an upgrade was asked for is no success: the daemon did
        // not switch protocols. The request carried the upgrade headers.
        let (result, seen) = run(
            answer("HTTP/1.1 200 OK", b""),
            Expect::Upgrade(Protocol::Tcp),
        )
        .await;
        match result {
            Err(Error::UnexpectedResponse(r)) => assert_eq!(r.status().as_u16(), 200),
            other => panic!("{:?}", other.map(|r| r.status())),
        }
        assert!(seen.contains("connection: upgrade"), "{seen}");
        assert!(seen.contains("upgrade: tcp"), "{seen}");

        let switched = b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
        let (result, seen) = run(switched.to_vec(), Expect::Upgrade(Protocol::Websocket)).await;
        let response = result.unwrap();
        assert_eq!(response.status().as_u16(), 101);
        let upgraded = read_upgrade::<()>(response).await.unwrap();
        assert_eq!(upgraded.status().as_u16(), 101);
        assert!(seen.contains("upgrade: websocket"), "{seen}");
        assert!(seen.contains("sec-websocket-key: "), "{seen}");
    }

    /// The answers `read_json_or_empty` reads: `null` is the empty
    /// collection, anything else decodes as `read_json` would, and a body that
    /// is not the type is still an error.
    #[tokio::test]
    async fn a_null_array_or_map_answer_is_empty_and_others_decode_as_before() {
        async fn read<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, Error<ErrorBody>> {
            let (url, server) = serve_once(answer("HTTP/1.1 200 OK", body)).await;
            let response = reqwest::get(url).await.unwrap();
            let value = read_json_or_empty(response)
                .await
                .map(ResponseValue::into_inner);
            server.await.unwrap();
            value
        }
        assert_eq!(read::<Vec<u32>>(b"null").await.unwrap(), Vec::<u32>::new());
        assert_eq!(
            read::<Vec<u32>>(b" null\n").await.unwrap(),
            Vec::<u32>::new()
        );
        let map: std::collections::HashMap<String, u32> = read(b"null").await.unwrap();
        assert!(map.is_empty());
        assert_eq!(read::<Vec<u32>>(b"[1, 2]").await.unwrap(), [1, 2]);
        assert!(matches!(
            read::<Vec<u32>>(b"{}").await,
            Err(Error::InvalidResponsePayload(..))
        ));
    }
}
