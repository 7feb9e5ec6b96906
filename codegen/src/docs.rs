//! Doc comments of the generated code as rustfmt and rustdoc want them.
//!
//! progenitor and typify write each description as one `#[doc]` string,
//! which prettyplease prints as `/** … */` blocks or `///Text` without a
//! space, and Docker's descriptions are Markdown written for a web page:
//! bare URLs, `<placeholders>` that rustdoc takes for HTML tags, `[brackets]`
//! it takes for links, code blocks in no language that rustdoc would test as
//! Rust. Each line becomes its own `/// line`, and the text is escaped so
//! that `cargo doc` has nothing to warn about, without any `allow`.

use syn::visit_mut::VisitMut;

/// Rewrites every doc attribute of `file`.
pub fn normalize(file: &mut syn::File) {
    // The visitor reaches the file's own (inner) attributes too.
    Docs.visit_file_mut(file);
}

struct Docs;

impl VisitMut for Docs {
    fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
        *attrs = normalize_attrs(std::mem::take(attrs));
    }
}

/// One attribute per doc line, other attributes unchanged and in place.
fn normalize_attrs(attrs: Vec<syn::Attribute>) -> Vec<syn::Attribute> {
    let mut out = Vec::with_capacity(attrs.len());
    for attr in attrs {
        let Some(text) = doc_text(&attr) else {
            out.push(attr);
            continue;
        };
        for line in doc_lines(&text) {
            let mut attr = attr.clone();
            let lit = syn::LitStr::new(&line, proc_macro2::Span::call_site());
            if let syn::Meta::NameValue(nv) = &mut attr.meta {
                nv.value = syn::parse_quote!(#lit);
            }
            out.push(attr);
        }
    }
    // A doc of blank lines only (a spec `description: ""`) is none at all.
    if out.iter().filter_map(doc_text).all(|t| t.trim().is_empty()) {
        out.retain(|a| doc_text(a).is_none());
    }
    out
}

fn doc_text(attr: &syn::Attribute) -> Option<String> {
    if !attr.path().is_ident("doc") {
        return None;
    }
    let syn::Meta::NameValue(nv) = &attr.meta else {
        return None;
    };
    match &nv.value {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        _ => None,
    }
}

/// The lines of one doc string, each with the leading space rustfmt's `///
/// ` has, blank lines at either end dropped, the Markdown made safe.
pub fn doc_lines(text: &str) -> Vec<String> {
    // A blank line between paragraphs, already one attribute, stays.
    if text.is_empty() {
        return vec![String::new()];
    }
    let text = escape_markdown(text);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let start = lines
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(start, |i| i + 1);
    let lines: Vec<String> = lines[start..end]
        .iter()
        .map(|l| {
            if l.is_empty() || l.starts_with(' ') {
                l.to_string()
            } else {
                format!(" {l}")
            }
        })
        .collect();
    indent_list_continuations(lines)
}

/// A line that continues a list item goes under the item's text (Markdown
/// reads it the same; clippy's `doc_lazy_continuation` and
/// `doc_overindented_list_items` want it so): lazy and over-indented lines
/// (Docker's specs have both) move to the item's column. Four spaces more
/// would be a code block, and stay; so do fenced blocks.
fn indent_list_continuations(lines: Vec<String>) -> Vec<String> {
    let mut fenced = false;
    // Inside a list item: the column its text starts at.
    let mut item: Option<usize> = None;
    lines
        .into_iter()
        .map(|line| {
            let trimmed = line.trim_start();
            let lead = line.len() - trimmed.len();
            if trimmed.starts_with("```") {
                fenced = !fenced;
                item = None;
                return line;
            }
            if fenced {
                return line;
            }
            if trimmed.is_empty() || trimmed.starts_with('#') {
                item = None;
            } else if let Some(width) = list_marker_width(trimmed) {
                item = Some(lead + width);
            } else if let Some(column) = item
                && lead != column
                && lead < column + 4
            {
                return format!("{}{trimmed}", " ".repeat(column));
            }
            line
        })
        .collect()
}

/// Docker's Markdown as rustdoc reads it without a warning: outside code,
/// bare URLs go in `<…>`, `<placeholders>` and `[brackets]` that are not
/// links are escaped; a fenced block in no language is `text`.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fenced = false;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("```") {
            let indent = &line[..line.len() - trimmed.len()];
            if !fenced && rest.trim().is_empty() {
                out.push_str(&format!("{indent}```text"));
            } else {
                out.push_str(line);
            }
            fenced = !fenced;
            continue;
        }
        if fenced {
            out.push_str(line);
        } else {
            out.push_str(&escape_line(line));
        }
    }
    out
}

/// The width of the list marker a line starts with (`- `, `* `, `+ `,
/// `1. `, `1) `), or `None` for a line that starts no list item.
fn list_marker_width(line: &str) -> Option<usize> {
    if ["- ", "* ", "+ "].iter().any(|m| line.starts_with(m)) {
        return Some(2);
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &line[digits..];
    (digits > 0 && digits < 10 && (rest.starts_with(". ") || rest.starts_with(") ")))
        .then_some(digits + 2)
}

/// One line of prose: code spans kept as written, links (`[text](url)`,
/// `[text][ref]`, and ``[`Client`]``, which progenitor writes) kept, the
/// rest escaped.
fn escape_line(line: &str) -> String {
    let code = code_spans(line);
    // The line with every code span blanked out, byte for byte, so that a
    // bracket or URL inside code is never taken for prose.
    // Code spans start and end at backticks, so blanking whole spans keeps
    // the text UTF-8 and every byte offset the same.
    let masked = String::from_utf8(
        line.bytes()
            .enumerate()
            .map(|(i, b)| if code[i] { b'x' } else { b })
            .collect(),
    )
    .expect("code spans end on char boundaries");
    let mut out = String::with_capacity(line.len());
    // Open `[` of links whose `]` is still to come.
    let mut open_links = 0usize;
    let mut i = 0;
    while i < line.len() {
        let rest = &line[i..];
        let c = rest.chars().next().expect("not at the end");
        if code[i] {
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let end = masked[i..]
                .find(|c: char| c.is_whitespace() || matches!(c, ')' | '>' | '"' | '\''))
                .unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches(['.', ',', ';', ':']);
            if out.ends_with(['(', '<']) {
                out.push_str(url);
            } else {
                out.push_str(&format!("<{url}>"));
            }
            i += url.len();
            continue;
        }
        match c {
            '<' if !rest.starts_with("<http") => out.push_str("&lt;"),
            '[' if is_link(&masked[i..], rest) => {
                open_links += 1;
                out.push('[');
            }
            '[' => out.push_str("\\["),
            ']' if open_links > 0 => {
                open_links -= 1;
                out.push(']');
            }
            ']' => out.push_str("\\]"),
            _ => out.push(c),
        }
        i += c.len_utf8();
    }
    out
}

/// For each byte of `line`, whether it is part of a code span (backticks
/// included); an unmatched backtick is prose.
fn code_spans(line: &str) -> Vec<bool> {
    let mut code = vec![false; line.len()];
    let mut start = None;
    for (i, b) in line.bytes().enumerate() {
        if b != b'`' {
            continue;
        }
        match start.take() {
            None => start = Some(i),
            Some(s) => code[s..=i].iter_mut().for_each(|c| *c = true),
        }
    }
    code
}

/// Whether the `[` that starts `rest` opens a link: `[text](url)`,
/// `[text][ref]`, or a code span alone in brackets (an intra-doc link, or
/// the definition of one). `masked` is `rest` with code blanked out.
fn is_link(masked: &str, rest: &str) -> bool {
    let Some(close) = masked.find(']') else {
        return false;
    };
    let inner = &rest[1..close];
    let after = &masked[close + 1..];
    let one_code_span = inner.len() >= 2
        && inner.starts_with('`')
        && inner.ends_with('`')
        && !inner[1..inner.len() - 1].contains('`');
    !masked[1..close].contains('[')
        && (after.starts_with('(') || after.starts_with('[') || one_code_span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_get_a_space_and_lose_blank_ends() {
        assert_eq!(doc_lines("Address"), [" Address"]);
        assert_eq!(
            doc_lines("List containers\n\nReturns a list.\n"),
            [" List containers", "", " Returns a list."]
        );
        assert_eq!(doc_lines(" Already spaced"), [" Already spaced"]);
        // Normalizing twice changes nothing.
        assert_eq!(doc_lines(""), [""]);
    }

    #[test]
    fn markdown_is_made_safe_for_rustdoc() {
        assert_eq!(
            escape_markdown("See https://docs.docker.com/x."),
            "See <https://docs.docker.com/x>."
        );
        assert_eq!(
            escape_markdown("[RFC 3339](https://www.ietf.org/rfc/rfc3339.txt) format"),
            "[RFC 3339](https://www.ietf.org/rfc/rfc3339.txt) format"
        );
        assert_eq!(
            escape_markdown("the <image-name> of it"),
            "the &lt;image-name> of it"
        );
        assert_eq!(
            escape_markdown("`<image-name>[:<tag>]`"),
            "`<image-name>[:<tag>]`"
        );
        assert_eq!(escape_markdown("a list [a, b]"), "a list \\[a, b\\]");
        assert_eq!(
            escape_markdown("See [the `docker attach` command](https://docs.docker.com/x/)"),
            "See [the `docker attach` command](https://docs.docker.com/x/)"
        );
        assert_eq!(
            escape_markdown("Builder for [`Client::ping`]"),
            "Builder for [`Client::ping`]"
        );
        assert_eq!(
            escape_markdown("```\n{\"a\": [1]}\n```"),
            "```text\n{\"a\": [1]}\n```"
        );
        assert_eq!(escape_markdown("```json\n[1]\n```"), "```json\n[1]\n```");
    }

    #[test]
    fn lines_that_continue_a_list_item_are_indented_under_it() {
        assert_eq!(
            doc_lines("- `filters`: a JSON value to\nprocess on the list.\n\nNext."),
            [
                " - `filters`: a JSON value to",
                "   process on the list.",
                "",
                " Next."
            ]
        );
        // Docker's over-indented continuation moves to the item's column.
        assert_eq!(
            doc_lines("- `dangling=<boolean>` prune only\n   unused images"),
            [" - `dangling=<boolean>` prune only", "   unused images"]
        );
        assert_eq!(
            doc_lines("10. ten\nmore\n  - nested\n  tail"),
            [" 10. ten", "     more", "  - nested", "    tail"]
        );
        // Code blocks and paragraphs after a blank line are left alone.
        assert_eq!(
            doc_lines("- a\n```\nb\n```\nc"),
            [" - a", " ```text", " b", " ```", " c"]
        );
        assert_eq!(doc_lines("- a\n\nb"), [" - a", "", " b"]);
    }
}
