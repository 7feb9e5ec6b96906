//! The JSON path at a position in a document: turns serde_json's line and
//! column into `[2].Ports[0].PrivatePort`, so a decode error names the field.
//!
//! serde_json reports where decoding stopped, not which field it was in; the
//! path is recovered by scanning the document up to that position. This works
//! for any target type, including the generated ones the facade never sees.

enum Frame {
    Object {
        key: Option<String>,
        expect_key: bool,
    },
    Array {
        index: usize,
    },
}

/// The path of the value being read at `line`/`column` (1-based line,
/// byte column as serde_json counts it), or `None` at the top level.
pub(crate) fn json_path_at(text: &[u8], line: usize, column: usize) -> Option<String> {
    let offset = offset_of(text, line, column)?;
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < offset.min(text.len()) {
        match text[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                expect_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key, expect_key }) => {
                    *key = None;
                    *expect_key = true;
                }
                None => {}
            },
            b'"' => {
                let (string, end) = read_string(text, i + 1);
                if let Some(Frame::Object { key, expect_key }) = stack.last_mut()
                    && *expect_key
                {
                    *key = Some(string);
                    *expect_key = false;
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    (!path.is_empty()).then_some(path)
}

fn offset_of(text: &[u8], line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let mut start = 0;
    for _ in 1..line {
        start += text[start..].iter().position(|b| *b == b'\n')? + 1;
    }
    Some(start + column)
}

/// Reads a JSON string starting after its opening quote; returns its content
/// (escapes kept as written, which is enough for object keys) and the index
/// after the closing quote.
fn read_string(text: &[u8], mut i: usize) -> (String, usize) {
    let start = i;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return (String::from_utf8_lossy(&text[start..i]).into_owned(), i + 1),
            _ => i += 1,
        }
    }
    (
        String::from_utf8_lossy(&text[start..]).into_owned(),
        text.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of_error<T: serde::de::DeserializeOwned + std::fmt::Debug>(
        text: &str,
    ) -> Option<String> {
        let err = serde_json::from_str::<T>(text).unwrap_err();
        json_path_at(text.as_bytes(), err.line(), err.column())
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        n: u8,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        items: Vec<Inner>,
    }

    #[test]
    fn finds_nested_fields_across_lines() {
        let text = "{\n  \"name\": \"a,b\\\"c\",\n  \"items\": [\n    {\"n\": 1},\n    {\"n\": 300}\n  ]\n}";
        assert_eq!(path_of_error::<Outer>(text).as_deref(), Some("items[1].n"));
    }

    #[test]
    fn wrong_type_of_a_whole_field() {
        assert_eq!(
            path_of_error::<Outer>(r#"{"name": 5, "items": []}"#).as_deref(),
            Some("name")
        );
        assert_eq!(
            path_of_error::<Vec<Outer>>(r#"[{"name": "x", "items": null}]"#).as_deref(),
            Some("[0].items")
        );
    }

    #[test]
    fn top_level_errors_have_no_path() {
        assert_eq!(path_of_error::<Outer>("7"), None);
        assert_eq!(json_path_at(b"", 0, 0), None);
        assert_eq!(json_path_at(b"{", 9, 9), None);
    }
}
