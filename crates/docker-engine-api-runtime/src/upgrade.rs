//! The request headers of a protocol upgrade, which progenitor never sends
//! (it only knows Dropshot's websockets, and Docker wants `Upgrade: tcp`).

use base64::Engine as _;
use reqwest::header::{self, HeaderMap, HeaderValue};

use crate::Protocol;

/// Asks the daemon to switch `request`'s connection to `protocol`:
/// `Connection: Upgrade`, `Upgrade: <protocol>`, and for a websocket its
/// version and a fresh `Sec-WebSocket-Key`.
pub fn request_upgrade(headers: &mut HeaderMap, protocol: Protocol) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static(protocol.as_str()));
    if protocol == Protocol::Websocket {
        headers.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        let key = HeaderValue::from_str(&websocket_key()).expect("base64 is a valid header value");
        headers.insert(header::SEC_WEBSOCKET_KEY, key);
    }
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64 (RFC 6455 §4.1).
///
/// The key only has to differ between handshakes (it proves the server read
/// this request; it is no secret), so the randomness comes from std's
/// per-instance hash keys, which need no extra crate.
pub fn websocket_key() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(8) {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        hasher.write_u128(now);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_gets_its_headers() {
        for protocol in Protocol::ALL {
            let mut headers = HeaderMap::new();
            request_upgrade(&mut headers, protocol);
            assert_eq!(headers[header::CONNECTION], "Upgrade");
            assert_eq!(headers[header::UPGRADE], protocol.as_str());
            let websocket = protocol == Protocol::Websocket;
            assert_eq!(headers.contains_key(header::SEC_WEBSOCKET_KEY), websocket);
            assert_eq!(
                headers.contains_key(header::SEC_WEBSOCKET_VERSION),
                websocket
            );
        }
    }

    #[test]
    fn websocket_keys_are_16_fresh_bytes() {
        let keys: Vec<String> = (0..64).map(|_| websocket_key()).collect();
        for key in &keys {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(key)
                .unwrap();
            assert_eq!(bytes.len(), 16, "{key}");
        }
        let distinct: std::collections::BTreeSet<&String> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len(), "keys repeat");
    }
}
