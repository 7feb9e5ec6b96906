//! Property tests of the parts that read daemon bytes: whatever arrives, in
//! whatever chunks, the frame demuxer and the JSON-lines decoder never panic,
//! never lose a byte of a frame or a complete line, and report where things
//! went wrong; the demuxer passes frames on in pieces as they arrive.

use bytes::Bytes;
use docker_engine_client::{
    Error, ErrorKind, Framing, JsonLines, LogOutput, LogStream, decode_json,
};
use futures_util::{StreamExt, stream};
use proptest::prelude::*;

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

/// Splits `bytes` at the given cut points into a stream of chunks.
fn chunked(
    bytes: &[u8],
    cuts: &[usize],
) -> impl futures_util::Stream<Item = Result<Bytes, Error>> + Unpin {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.dedup();
    let chunks: Vec<Result<Bytes, Error>> = points
        .windows(2)
        .map(|w| Ok(Bytes::copy_from_slice(&bytes[w[0]..w[1]])))
        .collect();
    stream::iter(chunks)
}

fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![kind, 0, 0, 0];
    f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Frames of the given streams and sizes (payloads counting up from a seed:
/// cheap to generate, and a lost or moved byte shows).
fn payloads(frames: Vec<(u8, usize, u8)>) -> Vec<(u8, Vec<u8>)> {
    frames
        .into_iter()
        .map(|(stream, len, seed)| {
            (
                stream,
                (0..len).map(|i| seed.wrapping_add(i as u8)).collect(),
            )
        })
        .collect()
}

fn stream_and_bytes(item: LogOutput) -> (u8, Vec<u8>) {
    match item {
        LogOutput::StdIn(b) => (0, b.to_vec()),
        LogOutput::StdOut(b) => (1, b.to_vec()),
        LogOutput::StdErr(b) => (2, b.to_vec()),
        other => panic!("unexpected {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn demuxer_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), cuts in prop::collection::vec(any::<usize>(), 0..12)) {
        let items: Vec<Result<LogOutput, Error>> = run(LogStream::new(chunked(&bytes, &cuts), Framing::Multiplexed).collect());
        // At most one error, and it ends the stream.
        let errors = items.iter().filter(|i| i.is_err()).count();
        prop_assert!(errors <= 1);
        if errors == 1 {
            prop_assert!(items.last().unwrap().is_err());
            prop_assert_eq!(items.last().unwrap().as_ref().unwrap_err().kind(), ErrorKind::Stream);
        }
    }

    #[test]
    fn demuxer_passes_every_frame_on_in_pieces_whatever_the_chunking(
        frames in prop::collection::vec((0u8..=2, 0usize..3000, any::<u8>()), 0..20),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        let frames = payloads(frames);
        let bytes: Vec<u8> = frames.iter().flat_map(|(k, p)| frame(*k, p)).collect();
        let items: Vec<Result<LogOutput, Error>> = run(LogStream::new(chunked(&bytes, &cuts), Framing::Multiplexed).collect());
        let pieces: Vec<(u8, Vec<u8>)> = items.into_iter().map(|i| stream_and_bytes(i.unwrap())).collect();
        // Each piece is the next part of the current frame, of its stream:
        // in order, never spanning two frames, never empty; nothing is lost.
        let mut pending = frames.iter().filter(|(_, p)| !p.is_empty()).map(|(k, p)| (*k, p.as_slice()));
        let mut current: Option<(u8, &[u8])> = None;
        for (stream, piece) in &pieces {
            let (k, rest) = match current.take() {
                Some(frame) => frame,
                None => pending.next().expect("a piece after the last frame"),
            };
            prop_assert_eq!(*stream, k);
            prop_assert!(!piece.is_empty() && rest.starts_with(piece));
            if piece.len() < rest.len() {
                current = Some((k, &rest[piece.len()..]));
            }
        }
        prop_assert!(current.is_none() && pending.next().is_none(), "frames left over");
        // The same bytes per stream as the frames carried.
        for stream in 0..=2 {
            let sent: Vec<u8> = frames.iter().filter(|(k, _)| *k == stream).flat_map(|(_, p)| p.clone()).collect();
            let got: Vec<u8> = pieces.iter().filter(|(k, _)| *k == stream).flat_map(|(_, p)| p.clone()).collect();
            prop_assert_eq!(got, sent);
        }
    }

    #[test]
    fn frames_that_arrive_whole_come_out_whole(
        frames in prop::collection::vec((1u8..=2, 1usize..3000, any::<u8>()), 0..20),
    ) {
        let frames = payloads(frames);
        let bytes: Vec<u8> = frames.iter().flat_map(|(k, p)| frame(*k, p)).collect();
        let items: Vec<Result<LogOutput, Error>> = run(LogStream::new(chunked(&bytes, &[]), Framing::Multiplexed).collect());
        let got: Vec<(u8, Vec<u8>)> = items.into_iter().map(|i| stream_and_bytes(i.unwrap())).collect();
        prop_assert_eq!(got, frames);
    }

    #[test]
    fn unknown_framing_finds_frames_and_loses_nothing_of_raw_output(
        frames in prop::collection::vec((0u8..=2, 1usize..300, any::<u8>()), 1..10),
        raw in prop::collection::vec(any::<u8>(), 0..600),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        // Frames (the first one not empty, as a real stream's): the same
        // bytes per stream as with the framing known.
        let frames = payloads(frames);
        let bytes: Vec<u8> = frames.iter().flat_map(|(k, p)| frame(*k, p)).collect();
        let known: Vec<(u8, Vec<u8>)> = run(LogStream::new(chunked(&bytes, &cuts), Framing::Multiplexed).collect::<Vec<_>>())
            .into_iter().map(|i| stream_and_bytes(i.unwrap())).collect();
        let sniffed: Vec<(u8, Vec<u8>)> = run(LogStream::new(chunked(&bytes, &cuts), Framing::Unknown).collect::<Vec<_>>())
            .into_iter().map(|i| stream_and_bytes(i.unwrap())).collect();
        let per_stream = |items: &[(u8, Vec<u8>)], s: u8| -> Vec<u8> {
            items.iter().filter(|(k, _)| *k == s).flat_map(|(_, p)| p.clone()).collect()
        };
        for s in 0..=2 {
            prop_assert_eq!(per_stream(&sniffed, s), per_stream(&known, s));
        }
        // Anything that does not start like a frame header comes out as the
        // console, byte for byte, however it is cut.
        let looks_like_header = raw.first().is_some_and(|b| *b <= 3)
            && raw.iter().skip(1).take(3).all(|b| *b == 0);
        if !looks_like_header {
            let items: Vec<Result<LogOutput, Error>> = run(LogStream::new(chunked(&raw, &cuts), Framing::Unknown).collect());
            let mut out = Vec::new();
            for item in items {
                match item.unwrap() {
                    LogOutput::Console(b) => out.extend_from_slice(&b),
                    other => prop_assert!(false, "not console: {other:?}"),
                }
            }
            prop_assert_eq!(out, raw);
        }
    }

    #[test]
    fn json_lines_survive_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), cuts in prop::collection::vec(any::<usize>(), 0..12)) {
        let items: Vec<Result<serde_json::Value, Error>> = run(JsonLines::new(chunked(&bytes, &cuts)).collect());
        for item in items.iter().filter_map(|i| i.as_ref().err()) {
            prop_assert!(matches!(item.kind(), ErrorKind::Decode | ErrorKind::Stream), "{item}");
        }
    }

    #[test]
    fn json_lines_keep_every_line_whatever_the_chunking(
        values in prop::collection::vec(prop::collection::btree_map("[a-z]{1,5}", any::<i64>(), 0..4), 0..15),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        let text: String = values.iter().map(|v| serde_json::to_string(v).unwrap() + "\n").collect();
        let items: Vec<Result<std::collections::BTreeMap<String, i64>, Error>> =
            run(JsonLines::new(chunked(text.as_bytes(), &cuts)).collect());
        let got: Vec<_> = items.into_iter().map(Result::unwrap).collect();
        prop_assert_eq!(got, values);
    }

    #[test]
    fn decode_errors_name_the_field(depth in 0usize..4, index in 0usize..3, key in "[A-Z][a-z]{0,6}") {
        // A document with a string where a number belongs, at a known path.
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Leaf { #[serde(rename = "N")] n: i64 }
        let mut value = serde_json::json!({"N": "not a number"});
        let mut path = "N".to_string();
        for _ in 0..depth {
            value = serde_json::json!({ key.clone(): [value.clone(), value.clone(), value.clone()] });
            path = format!("{key}[0].{path}");
        }
        let _ = index;
        let bytes = serde_json::to_vec_pretty(&value).unwrap();
        let result: Result<serde_json::Value, Error> = decode_json(&bytes);
        prop_assert!(result.is_ok());
        // Decode into the nested shape so that the leaf fails.
        fn nested(depth: usize, bytes: &[u8]) -> Result<(), Error> {
            #[derive(serde::Deserialize)]
            #[allow(dead_code)]
            struct Wrap<T>(std::collections::BTreeMap<String, Vec<T>>);
            match depth {
                0 => decode_json::<Leaf>(bytes).map(drop),
                1 => decode_json::<Wrap<Leaf>>(bytes).map(drop),
                2 => decode_json::<Wrap<Wrap<Leaf>>>(bytes).map(drop),
                _ => decode_json::<Wrap<Wrap<Wrap<Leaf>>>>(bytes).map(drop),
            }
        }
        let err = nested(depth, &bytes).unwrap_err();
        prop_assert_eq!(err.kind(), ErrorKind::Decode);
        prop_assert_eq!(err.json_path(), Some(path.as_str()));
    }
}
