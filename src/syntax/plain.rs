//! Fast paths for the commonest line shapes, read by bytes: each gives
//! exactly what the nom combinators in [`super::line`] give for its shape
//! (a unit test compares them), and `None` for anything else.

use super::{Input, pos};
use crate::ast::{Ident, SceneHeader, SceneKind};
use crate::diagnostic::Span;

/// The common header, `== name` or `== name: Title`, read by bytes: what
/// [`super::line::scene_header`]'s combinators give for it, at a fraction of the cost
/// (every scene header is read twice, once by the outline and once with its
/// scene). `None` for anything else (an ending, a page, parameters, a
/// mistake), which the combinators read.
pub(super) fn scene_header(input: Input) -> Option<(Input, SceneHeader)> {
    let text = *input.fragment();
    let plain = read(text)?;
    let ident = Ident {
        name: text[plain.name.clone()].to_string(),
        span: plain.name_span(input),
    };
    let title = plain.title.map(str::to_string);
    let rest = nom::Input::take_from(&input, plain.end);
    Some((rest, (ident, SceneKind::Scene, title, Vec::new())))
}

/// Where a plain header's name is, for the outline, which needs no copy
/// of it: the name's span, or `None` where [`scene_header`] gives `None`.
pub(super) fn scene_name(input: Input) -> Option<Span> {
    read(input.fragment()).map(|plain| plain.name_span(input))
}

/// A plain header's parts, by their place in the line.
struct Plain<'t> {
    /// The name's bytes.
    name: std::ops::Range<usize>,
    /// The title, trimmed; `None` when there is none or it is blank.
    title: Option<&'t str>,
    /// Where the header's parser stops.
    end: usize,
}

impl Plain<'_> {
    /// The name's span in the file, `input` being the header line read.
    fn name_span(&self, input: Input) -> Span {
        let origin = pos(&input);
        Span::new(
            input.extra.file,
            origin + self.name.start,
            origin + self.name.end,
        )
    }
}

fn read(text: &str) -> Option<Plain<'_>> {
    let bytes = text.as_bytes();
    let blank = |byte: &u8| matches!(byte, b' ' | b'\t');
    let after_marker = bytes.strip_prefix(b"==")?;
    let start = 2 + after_marker.iter().take_while(|byte| blank(byte)).count();
    let first = *bytes.get(start)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let length = bytes[start..]
        .iter()
        .take_while(|byte| byte.is_ascii_alphanumeric() || **byte == b'_')
        .count();
    let name = &text[start..start + length];
    if matches!(name, "ending" | "page") {
        return None;
    }
    let after_name = start + length;
    let colon = after_name
        + bytes[after_name..]
            .iter()
            .take_while(|byte| blank(byte))
            .count();
    let title = match bytes.get(colon) {
        None => None,
        Some(b':') => Some(text[colon + 1..].trim()).filter(|title| !title.is_empty()),
        Some(_) => return None,
    };
    let end = if title.is_some() || bytes.get(colon).is_some() {
        text.len()
    } else {
        after_name
    };
    Some(Plain {
        name: start..after_name,
        title,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::FileId;
    use crate::syntax::line::{self, whole_line};

    /// The byte-level reading of a plain header gives what the
    /// combinators give, and leaves every other form to them.
    #[test]
    fn plain_scene_headers_read_as_the_combinators_read_them() {
        let headers = [
            "== s0",
            "==s1",
            "== s2: Room 2",
            "== s3 : Room 3 ",
            "== s4:",
            "== s5:   ",
            "==\t_x9\t:\tTabbed",
            "== ending done",
            "== ending",
            "== page help: Help",
            "== page",
            "== endings",
            "== pages: Pages",
            "== tunnel(a: int)",
            "== tunnel (a: int)",
            "== middle The Middle",
            "=== knot ===",
            "== 9lives",
            "== s6 // no",
            "== s7: Ünïcödé title",
            "== naïve",
            "==",
            "== ",
        ];
        let mut plain = 0;
        for header in headers {
            let input = Input::new_extra(
                header,
                super::super::Origin {
                    file: FileId(3),
                    base: 100,
                },
            );
            plain += usize::from(scene_header(input).is_some());
            let fast = whole_line(input, line::scene_header);
            let slow = whole_line(input, line::scene_header_combinators);
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{header}");
        }
        assert_eq!(plain, 10, "the plain forms above are read by bytes");
    }
}
