//! The daemon's error answers to the requests the facade sends itself
//! (`/_ping`, the hijacked attach and exec): read up to [`MAX_ERROR_BODY`],
//! never followed when they redirect.

use crate::error::{Error, MAX_ERROR_BODY, cut_message};

/// The error a non-success answer stands for. A 3xx (other than 304) is a
/// redirect, refused without reading on; anything else keeps its status,
/// its kind and the daemon's message: the `message` of Docker's JSON error
/// body, else the body as text (`text/plain` from a proxy, say).
pub(crate) async fn error_of(response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    if (300..400).contains(&status) && status != 304 {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        return Error::redirect(status, location.as_deref());
    }
    let (body, more) = read_capped(response).await;
    Error::from_status(status, message_of(&body, more))
}

/// At most [`MAX_ERROR_BODY`] bytes of the body, and whether there was more
/// (the rest is not read: the connection is dropped, not reused). A body
/// that breaks off is kept as far as it came.
async fn read_capped(mut response: reqwest::Response) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ERROR_BODY - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return (body, true);
        }
        body.extend_from_slice(&chunk);
    }
    (body, false)
}

/// The daemon's message in `body`; `more` when the body was cut.
fn message_of(body: &[u8], more: bool) -> String {
    if !more
        && let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(body)
        && let Some(serde_json::Value::String(message)) = fields.get("message")
    {
        return message.clone();
    }
    let text = String::from_utf8_lossy(body);
    // A cut JSON body is no longer JSON; Docker writes its error bodies as
    // exactly `{"message":"…"}`, so its prefix goes and the text stays.
    let text = match more {
        true => text.strip_prefix(r#"{"message":""#).unwrap_or(&text),
        false => &text,
    };
    cut_message(text.trim().to_string(), more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_messages_text_bodies_and_cut_bodies() {
        assert_eq!(
            message_of(br#"{"message":"No such container: x"}"#, false),
            "No such container: x"
        );
        assert_eq!(
            message_of(b"404 page not found\n", false),
            "404 page not found"
        );
        assert_eq!(message_of(br#"{"other":1}"#, false), r#"{"other":1}"#);
        let long = format!(r#"{{"message":"{}"#, "a".repeat(MAX_ERROR_BODY));
        let cut = message_of(&long.as_bytes()[..MAX_ERROR_BODY], true);
        assert!(cut.starts_with("aaaa"), "{}", &cut[..20]);
        assert!(cut.len() <= MAX_ERROR_BODY + 100);
        assert!(
            cut.ends_with("longer than 1 MiB]"),
            "{}",
            &cut[cut.len() - 60..]
        );
    }
}
