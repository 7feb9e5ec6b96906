//! Docker's error answers, read the one way every caller shares (the
//! generated operations through [`crate::exchange`], the facade for the
//! requests it sends itself): at most [`MAX_ERROR_BODY`] bytes are read, the
//! message is the `message` of Docker's JSON error body or else the body's
//! text, and a message that was cut says so.
//!
//! Go's client reads error bodies up to 1 MiB too (moby client/request.go,
//! `checkResponseErr`): a daemon, or anything in front of it, answering a
//! 10 MB error body must not make the client hold or print it.

/// The most of an error body that is read; the rest is left unread (the
/// connection is dropped, not reused) and the message says it was cut.
pub const MAX_ERROR_BODY: usize = 1 << 20;

/// Up to [`MAX_ERROR_BODY`] bytes of the body, and whether there was more.
/// A body that breaks off is kept as far as it came.
pub async fn read_error_body(mut response: reqwest::Response) -> (Vec<u8>, bool) {
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

/// The daemon's message in an error `body`; `cut` when the body was longer
/// than what was read.
pub fn error_message(body: &[u8], cut: bool) -> String {
    if !cut
        && let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(body)
        && let Some(serde_json::Value::String(message)) = fields.get("message")
    {
        return message.clone();
    }
    let text = String::from_utf8_lossy(body);
    // A cut JSON body is no longer JSON; Docker writes its error bodies as
    // exactly `{"message":"…"}`, so that prefix goes and the text stays.
    let text = match cut {
        true => text.strip_prefix(r#"{"message":""#).unwrap_or(&text),
        false => &text,
    };
    cut_message(text.trim().to_string(), cut)
}

/// `message`, cut to [`MAX_ERROR_BODY`] bytes (at a character boundary) with
/// a note when it is longer, or when `more` says the reader stopped early.
pub fn cut_message(mut message: String, more: bool) -> String {
    let total = message.len();
    if total <= MAX_ERROR_BODY && !more {
        return message;
    }
    let mut end = total.min(MAX_ERROR_BODY);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    if more {
        message.push_str(" [… cut: the daemon's message is longer than 1 MiB]");
    } else {
        message.push_str(&format!(" [… cut at 1 MiB of {total} bytes]"));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_messages_text_bodies_and_cut_bodies() {
        assert_eq!(
            error_message(br#"{"message":"No such image"}"#, false),
            "No such image"
        );
        assert_eq!(
            error_message(b"404 page not found\n", false),
            "404 page not found"
        );
        assert_eq!(error_message(br#"{"other":1}"#, false), r#"{"other":1}"#);
        let long = format!(r#"{{"message":"{}"#, "a".repeat(MAX_ERROR_BODY));
        let cut = error_message(&long.as_bytes()[..MAX_ERROR_BODY], true);
        assert!(cut.starts_with("aaaa"), "{}", &cut[..20]);
        assert!(cut.len() <= MAX_ERROR_BODY + 100);
        assert!(cut.ends_with("longer than 1 MiB]"));
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let long = "é".repeat(MAX_ERROR_BODY); // two bytes each
        let cut = cut_message(long, false);
        assert!(
            cut.starts_with("éé") && cut.len() < MAX_ERROR_BODY + 64,
            "{}",
            cut.len()
        );
        assert!(cut.ends_with(&format!("cut at 1 MiB of {} bytes]", 2 * MAX_ERROR_BODY)));
        assert_eq!(cut_message("short".into(), false), "short");
        assert!(cut_message("short".into(), true).contains("longer than 1 MiB"));
    }
}
