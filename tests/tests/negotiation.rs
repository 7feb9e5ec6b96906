//! Negotiation against daemons that answer `/_ping` oddly (fake daemons
//! started by each test: this is about our own handling of the answer):
//! no `Api-Version` header, an empty one, an error status that still carries
//! it, a daemon older than every supported version. Real daemons are in
//! `engines.rs` and `facade.rs`.

use bytes::Bytes;
use docker_engine_api_tests::fake_daemon::{FakeDaemon, Reply, Request};
use docker_engine_client::{ApiVersion, ErrorKind};

/// `/_ping` with these headers and status, `/version` as `version` says.
fn daemon(
    status: u16,
    api_version: Option<&'static str>,
    version: impl Fn() -> Reply + Send + Sync + 'static,
) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |r| match r.path() {
        "/_ping" => {
            let mut headers = vec![("Content-Type".to_string(), "text/plain".to_string())];
            if let Some(v) = api_version {
                headers.push(("Api-Version".into(), v.into()));
            }
            Reply::Full {
                status,
                headers,
                body: Bytes::from_static(b"OK"),
            }
        }
        "/version" => version(),
        _ => Reply::json(404, r#"{"message":"page not found"}"#),
    }
}

fn version_json(api: &str) -> Reply {
    Reply::json(
        200,
        format!(r#"{{"Version":"20.10.24","ApiVersion":"{api}","MinAPIVersion":"1.12"}}"#),
    )
}

#[tokio::test]
async fn a_missing_or_empty_header_is_asked_of_get_version() {
    for header in [None, Some(""), Some("  ")] {
        let fake = FakeDaemon::unix(daemon(200, header, || version_json("1.41"))).await;
        let negotiated = fake.docker().negotiate().await.unwrap();
        assert_eq!(
            negotiated.daemon_max,
            Some(ApiVersion::new(1, 41)),
            "header {header:?}"
        );
        assert_eq!(negotiated.version, ApiVersion::new(1, 41));
        let asked: Vec<String> = fake
            .received()
            .iter()
            .map(|r| r.path().to_owned())
            .collect();
        assert!(asked.contains(&"/version".to_string()), "{asked:?}");
    }
}

#[tokio::test]
async fn no_version_anywhere_is_a_clear_error() {
    let fake = FakeDaemon::unix(daemon(200, None, || {
        Reply::json(500, r#"{"message":"boom"}"#)
    }))
    .await;
    let e = fake.docker().negotiate().await.unwrap_err();
    assert!(
        e.message().contains("no Api-Version header") && e.message().contains("boom"),
        "{e}"
    );
    let fake = FakeDaemon::unix(daemon(200, None, || Reply::json(200, "{}"))).await;
    let e = fake.docker().negotiate().await.unwrap_err();
    assert!(e.message().contains("ApiVersion"), "{e}");
}

#[tokio::test]
async fn an_error_ping_that_carries_the_header_is_used() {
    // Go's client reads the header of any answer: a daemon whose ping fails
    // (a plugin, a starting daemon) still says its version.
    let fake = FakeDaemon::unix(daemon(500, Some("1.45"), || version_json("1.99"))).await;
    let docker = fake.docker();
    let negotiated = docker.negotiate().await.unwrap();
    assert_eq!(negotiated.daemon_max, Some(ApiVersion::new(1, 45)));
    assert!(
        fake.received().iter().all(|r| r.path() != "/version"),
        "the header sufficed"
    );
    // `ping()` itself still reports the failure.
    let e = docker.ping().await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Server, Some(500)));
}

#[tokio::test]
async fn an_error_ping_without_the_header_is_that_error() {
    let fake = FakeDaemon::unix(daemon(503, None, || version_json("1.41"))).await;
    let e = fake.docker().negotiate().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Server, Some(503)),
        "{e}"
    );
}

#[tokio::test]
async fn a_daemon_older_than_api_1_40_names_the_oldest_supported_version() {
    let fake = FakeDaemon::unix(daemon(200, Some("1.39"), || version_json("1.39"))).await;
    let e = fake.docker().negotiate().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::VersionTooOld);
    assert!(
        e.message().contains("v1.39") && e.message().contains("v1.40"),
        "{e}"
    );
    assert!(!e.message().contains("feature"), "names no feature: {e}");
}

#[tokio::test]
async fn an_unparsable_header_is_an_error_that_quotes_it() {
    let fake = FakeDaemon::unix(daemon(200, Some("one.forty"), || version_json("1.41"))).await;
    let e = fake.docker().negotiate().await.unwrap_err();
    assert!(e.message().contains("`one.forty`"), "{e}");
}
