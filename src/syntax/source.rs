//! Raw bytes → logical lines: decoding, comments, line endings, indentation.
//!
//! Everything here works line by line so that the parser can recover at the
//! next line after any error.

use std::borrow::Cow;

use crate::diagnostic::{Code, Diagnostic, FileId, Span};

/// Decodes a file's bytes. Invalid UTF-8 is replaced (so later stages still
/// run and report everything else) and each bad sequence is reported.
/// A leading byte-order mark is dropped.
pub fn decode(file: FileId, bytes: &[u8]) -> (String, Vec<Diagnostic>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_owned(), Vec::new());
    }
    let mut text = String::with_capacity(bytes.len());
    let mut diagnostics = Vec::new();
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            if diagnostics.len() < 10 {
                let start = text.len();
                let shown: Vec<String> = chunk
                    .invalid()
                    .iter()
                    .map(|byte| format!("\\x{byte:02x}"))
                    .collect();
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0001,
                        Span::new(file, start, start + '\u{FFFD}'.len_utf8()),
                        format!("invalid UTF-8 (bytes {})", shown.join(" ")),
                    )
                    .with_help("save the file as UTF-8"),
                );
            }
            text.push('\u{FFFD}');
        }
    }
    (text, diagnostics)
}

/// Replaces every comment with spaces, byte for byte, so offsets into the
/// result are offsets into the original. `//` runs to the end of the line,
/// `/* … */` may span lines; a backslash escapes the next character.
pub fn blank_comments<'t>(
    file: FileId,
    text: &'t str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Cow<'t, str> {
    // By SIMD search: this reads every byte of every file, and `str`'s
    // own search was a fifth of outlining a big story.
    if memchr::memchr(b'/', text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut index = 0;
    while index < bytes.len() {
        // Jump to the next byte that can matter.
        match bytes[index..].iter().position(|&b| b == b'/' || b == b'\\') {
            Some(skip) => index += skip,
            None => break,
        }
        match bytes[index] {
            b'\\' => index += 2,
            b'/' if bytes.get(index + 1) == Some(&b'/') => {
                while index < bytes.len() && bytes[index] != b'\n' {
                    bytes[index] = b' ';
                    index += 1;
                }
            }
            b'/' if bytes.get(index + 1) == Some(&b'*') => {
                let start = index;
                let end = text[index + 2..]
                    .find("*/")
                    .map(|found| index + 2 + found + 2);
                if end.is_none() {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0006,
                            Span::new(file, start, start + 2),
                            "unterminated block comment",
                        )
                        .with_help("close the comment with `*/`"),
                    );
                }
                let end = end.unwrap_or(bytes.len());
                for byte in &mut bytes[start..end] {
                    if *byte != b'\n' {
                        *byte = b' ';
                    }
                }
                index = end;
            }
            _ => index += 1,
        }
    }
    // Only ASCII bytes became spaces and every byte of a multi-byte
    // character was replaced together, so this cannot fail; fall back to the
    // original rather than panic all the same.
    Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned()))
}

/// One non-blank line, its indentation measured.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// The line's content after the indentation, trailing space removed.
    pub content: &'a str,
    /// Byte offset of `content` in the file.
    pub offset: usize,
    /// Indentation width, in the file's indentation characters (see [`lines`]).
    pub indent: usize,
}

impl Line<'_> {
    pub fn span(&self, file: FileId) -> Span {
        Span::new(file, self.offset, self.offset + self.content.len())
    }
}

/// One non-blank line of a file, by position: the compact form a file's
/// line table keeps (see [`Line`] for the borrowed form).
#[derive(Debug, Clone, Copy)]
pub struct LineRecord {
    /// Byte offset of the content (after the indentation) in the file.
    pub offset: u32,
    /// The content's length, trailing space removed.
    pub len: u32,
    /// Indentation width, in the file's indentation characters (see [`lines`]).
    pub indent: u32,
}

impl LineRecord {
    /// The line in `text`, the file's (comment-free) text.
    pub fn line<'t>(self, text: &'t str) -> Line<'t> {
        let start = self.offset as usize;
        Line {
            content: &text[start..start + self.len as usize],
            offset: start,
            indent: self.indent as usize,
        }
    }
}

/// The file's indentation as its lines so far have set it: the first
/// indented line's character and where that line starts, and its width
/// (the file's unit).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Indentation {
    first: Option<(u8, usize)>,
    unit: Option<usize>,
}

impl Indentation {
    /// The indentation character, once an indented line has set it.
    pub fn character(&self) -> Option<u8> {
        self.first.map(|(character, _)| character)
    }
}

/// Splits the part `range` of comment-free `text` (which starts a line)
/// into non-blank lines. Indentation is spaces or tabs; whichever comes
/// first in the file is the file's, and the other one in indentation is an
/// error (such a line is still measured, as well as can be guessed, so the
/// lines around it nest as they look). `indentation` is what the lines
/// before the part set (the default for a whole file), updated. `text` is
/// shorter than 4 GiB (files are at most 1 GiB, see `graph::load`).
/// `each` sees every line's index (from the part's first) and content as
/// it is found: the outline looks for its scene headers and labelled
/// choices in the same pass over the file.
pub fn lines_in(
    file: FileId,
    text: &str,
    range: std::ops::Range<usize>,
    indentation: &mut Indentation,
    diagnostics: &mut Vec<Diagnostic>,
    mut each: impl FnMut(usize, &str),
) -> Vec<LineRecord> {
    let bytes = &text.as_bytes()[..range.end];
    // A guess at the line count, so a big file's table is seldom copied.
    let mut result = Vec::with_capacity(range.len() / 32 + 16);
    let Indentation {
        first: ref mut indent_char,
        // The first indented line's width: the file's unit of indentation.
        unit: ref mut indent_unit,
    } = *indentation;
    // Every newline by one SIMD pass over the file, not a search a line.
    let mut newlines = memchr::memchr_iter(b'\n', &bytes[range.start..]).map(|at| range.start + at);
    let mut line_start = range.start;
    while line_start <= bytes.len() {
        let line_end = newlines.next().unwrap_or(bytes.len());
        let raw = &bytes[line_start..line_end];
        let next = line_end + 1;
        // Spaces, tabs and carriage returns are ASCII, so these byte
        // positions are character boundaries.
        let lead = raw
            .iter()
            .position(|&byte| byte != b' ' && byte != b'\t')
            .unwrap_or(raw.len());
        let trail = raw
            .iter()
            .rposition(|&byte| !matches!(byte, b' ' | b'\t' | b'\r'))
            .map_or(0, |last| last + 1);
        if trail <= lead {
            line_start = next;
            continue;
        }
        let indentation = &raw[..lead];
        let mut indent = lead;
        if let Some(&first) = indentation.first() {
            let (expected, first_line) = *indent_char.get_or_insert((first, line_start));
            let unit = *indent_unit.get_or_insert(lead);
            if indentation.iter().any(|&byte| byte != expected) {
                // Reported below. For the block structure, the line is
                // measured in the file's own units, so that a tab where the
                // file has four spaces lines up as the author saw it, and
                // the lines after it are not misplaced too: a tab counts as
                // the file's first indentation, four spaces as a tab.
                let others = indentation.iter().filter(|&&byte| byte != expected).count();
                let same = lead - others;
                indent = if expected == b' ' {
                    same.saturating_add(others.saturating_mul(unit))
                } else {
                    same + others.div_ceil(4)
                };
                let name = |byte: u8| if byte == b'\t' { "tabs" } else { "spaces" };
                let other = if expected == b'\t' { b' ' } else { b'\t' };
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0003,
                        Span::new(file, line_start, line_start + lead),
                        format!("indentation mixes {} with {}", name(expected), name(other)),
                    )
                    .with_label(
                        Span::new(file, first_line, first_line + 1),
                        format!("this file's first indented line uses {}", name(expected)),
                    )
                    .with_help(format!(
                        "indent with {} only, as the rest of the file does",
                        name(expected)
                    )),
                );
            }
        }
        // Spaces, tabs and carriage returns are ASCII: these are
        // character boundaries.
        each(result.len(), &text[line_start + lead..line_start + trail]);
        result.push(LineRecord {
            offset: (line_start + lead) as u32,
            len: (trail - lead) as u32,
            indent: indent.min(u32::MAX as usize) as u32,
        });
        line_start = next;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: FileId = FileId(0);

    #[test]
    fn comments_become_spaces_and_keep_offsets() {
        let mut diagnostics = Vec::new();
        let text = "a // b\nc /* d\ne */ f \\// g";
        let blanked = blank_comments(FILE, text, &mut diagnostics);
        assert_eq!(blanked, "a     \nc     \n     f \\// g");
        assert!(diagnostics.is_empty());
    }

    #[test]
    fn unterminated_block_comment_is_reported() {
        let mut diagnostics = Vec::new();
        blank_comments(FILE, "x /* y", &mut diagnostics);
        assert_eq!(diagnostics[0].code, Code::E0006);
        assert_eq!(diagnostics[0].span.start, 2);
    }

    #[test]
    fn byte_order_mark_and_invalid_utf8() {
        let (text, diagnostics) = decode(FILE, b"\xEF\xBB\xBFab\xFFc");
        assert_eq!(text, "ab\u{FFFD}c");
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].span.start, 2);
    }

    #[test]
    fn crlf_and_indentation() {
        let mut diagnostics = Vec::new();
        let text = "a\r\n    b\r\n\r\n\tc\r\n";
        let mut seen = Vec::new();
        let mut indentation = Indentation::default();
        let range = 0..text.len();
        let found = lines_in(
            FILE,
            text,
            range,
            &mut indentation,
            &mut diagnostics,
            |index, content| {
                seen.push((index, content.to_owned()));
            },
        );
        assert_eq!(seen, [(0, "a".into()), (1, "b".into()), (2, "c".into())]);
        let contents: Vec<_> = found
            .iter()
            .map(|record| (record.line(text).content, record.line(text).indent))
            .collect();
        // The tab is reported, and measured as the file's unit (four spaces).
        assert_eq!(contents, [("a", 0), ("b", 4), ("c", 4)]);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::E0003);
    }
}
