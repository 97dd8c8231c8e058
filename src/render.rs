//! Writing diagnostics for people (rustc's format, via annotate-snippets),
//! for machines (one JSON object per line) and for CI (GitHub Actions
//! workflow commands).

use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, FileId, Severity, SourceFile, SourceMap, Span};

/// Renders one diagnostic as rustc does: header, `-->` location, the source
/// line with a caret under the span, secondary labels, then `= help:`.
///
/// The renderer is handed only the lines the diagnostic quotes, never the
/// whole file: its work grows with the lines of each file it scans, so
/// handing it the file made 20,000 diagnostics on one file quadratic
/// (issue #10). See `Excerpt`.
pub fn human(diagnostic: &Diagnostic, sources: &SourceMap, styled: bool) -> String {
    let level = match diagnostic.severity() {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    // Every annotation, grouped by file, the primary's file first.
    let mut files: Vec<(FileId, Vec<Marker>)> = vec![(
        diagnostic.span.file,
        vec![Marker {
            span: diagnostic.span,
            label: None,
        }],
    )];
    for label in &diagnostic.labels {
        let marker = Marker {
            span: label.span,
            label: Some(label.message.as_str()),
        };
        match files.iter_mut().find(|(id, _)| *id == label.span.file) {
            Some((_, markers)) => markers.push(marker),
            None => files.push((label.span.file, vec![marker])),
        }
    }
    let excerpts: Vec<(String, Vec<Excerpt>)> = files
        .iter()
        .map(|(id, markers)| {
            let file = sources.get(*id);
            (file.path.display().to_string(), Excerpt::cut(file, markers))
        })
        .collect();
    let mut group = Group::with_title(
        level
            .primary_title(diagnostic.message.as_str())
            .id(diagnostic.code.as_str()),
    );
    for (path, excerpts) in &excerpts {
        for excerpt in excerpts {
            group = group.element(excerpt.snippet(path));
        }
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let report: &[Group] = &[group];
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut rendered = renderer.render(report);
    for (path, excerpts) in &excerpts {
        for origin in excerpts.iter().filter_map(|excerpt| excerpt.origin) {
            let shown = format!("{path}:{}:{}", origin.line, origin.shown_column);
            if let Some(at) = rendered.find(&shown) {
                let true_location = format!("{path}:{}:{}", origin.line, origin.column);
                rendered.replace_range(at..at + shown.len(), &true_location);
            }
        }
    }
    rendered
}

/// How many diagnostics human output shows unless told otherwise
/// (`fabula check --max-diagnostics N`). Machine formats show every one.
pub const DEFAULT_MAX_DIAGNOSTICS: usize = 500;

/// Counts diagnostics shown to people and holds back those past a limit,
/// so a story with 100,000 errors prints its first ones and a count of the
/// rest rather than scrolling for minutes.
#[derive(Debug, Clone)]
pub struct ShownCount {
    /// `None`: no limit.
    limit: Option<usize>,
    shown: usize,
    held_back: usize,
}

impl ShownCount {
    /// At most `limit` diagnostics shown; 0 means no limit.
    pub fn new(limit: usize) -> ShownCount {
        ShownCount {
            limit: (limit > 0).then_some(limit),
            shown: 0,
            held_back: 0,
        }
    }

    /// Whether the next diagnostic is shown; counts it as held back if not.
    pub fn admit(&mut self) -> bool {
        if self.limit.is_some_and(|limit| self.shown >= limit) {
            self.held_back += 1;
            false
        } else {
            self.shown += 1;
            true
        }
    }

    /// The line that closes the shown diagnostics when some were held back.
    pub fn held_back_line(&self) -> Option<String> {
        (self.held_back > 0).then(|| {
            let (count, shown) = (self.held_back, self.shown);
            let plural = if count == 1 { "" } else { "s" };
            format!(
                "... and {count} more diagnostic{plural} not shown after the first {shown} (`fabula check --max-diagnostics 0` shows every one)"
            )
        })
    }
}

/// One annotation: the primary span (no label) or a secondary label.
#[derive(Debug, Clone, Copy)]
struct Marker<'a> {
    span: Span,
    label: Option<&'a str>,
}

/// Annotations further apart than this many lines are quoted as separate
/// excerpts of their file (a `:::` section, like a label in another file)
/// rather than one excerpt with the lines between them folded away: the
/// renderer's work grows with the lines of an excerpt, even blank ones.
const MAX_FOLDED_GAP: usize = 1_000;

/// Lines around an annotation's first and last lines that the renderer may
/// print: a one-line gap between annotated lines is shown, not folded, and
/// a span over several lines shows up to five of its first lines. Lines
/// further from every annotation are always folded away, so their text is
/// left out of the excerpt.
const SHOWN_BEFORE: usize = 2;
const SHOWN_AFTER_START: usize = 6;
const SHOWN_AFTER_END: usize = 2;

/// The lines of one file that a diagnostic quotes: a run of whole lines
/// from `first_line`, where lines the renderer never prints are kept only
/// as empty lines, so line numbers stay true and the text stays small.
#[derive(Debug)]
struct Excerpt<'a> {
    /// 0-based, in the file.
    first_line: usize,
    text: String,
    /// Each marker's span, as a byte range in `text`.
    markers: Vec<(std::ops::Range<usize>, Option<&'a str>)>,
    /// Where the excerpt's location line points, when a long line was cut.
    origin: Option<Origin>,
}

/// The location of an excerpt with a cut line: the renderer counts columns
/// from the cut (`shown_column`); the file's are `column`.
#[derive(Debug, Clone, Copy)]
struct Origin {
    line: usize,
    column: usize,
    shown_column: usize,
}

impl<'a> Excerpt<'a> {
    /// The excerpts quoting `markers` (spans in `file`): usually one; more
    /// when markers are over [`MAX_FOLDED_GAP`] lines apart. The first holds
    /// the first marker (the primary span, when there is one).
    fn cut(file: &SourceFile, markers: &[Marker<'a>]) -> Vec<Excerpt<'a>> {
        let text = file.text.as_str();
        let last_line = file.line_index(text.len());
        // Each marker's clamped range and its first and last lines.
        let placed: Vec<(std::ops::Range<usize>, usize, usize, Option<&str>)> = markers
            .iter()
            .map(|marker| {
                let range = clamp(marker.span, text);
                let first = file.line_index(range.start);
                let last = file.line_index(range.end);
                (range, first, last, marker.label)
            })
            .collect();
        // Runs of markers whose lines are within MAX_FOLDED_GAP of each other.
        let mut order: Vec<usize> = (0..placed.len()).collect();
        order.sort_by_key(|&index| (placed[index].1, index));
        let mut runs: Vec<Vec<usize>> = Vec::new();
        let mut run_end: usize = 0;
        for index in order {
            let (_, first, last, _) = &placed[index];
            match runs.last_mut() {
                Some(run) if *first <= run_end.saturating_add(MAX_FOLDED_GAP) => {
                    run.push(index);
                    run_end = run_end.max(*last);
                }
                _ => {
                    runs.push(vec![index]);
                    run_end = *last;
                }
            }
        }
        // The run holding the first marker comes first.
        if let Some(position) = runs.iter().position(|run| run.contains(&0)) {
            runs[..=position].rotate_right(1);
        }
        runs.iter()
            .map(|run| {
                let first_line = run.iter().map(|&index| placed[index].1).min().unwrap_or(0);
                let end_line = run.iter().map(|&index| placed[index].2).max().unwrap_or(0);
                let shown = |line: usize| {
                    run.iter().any(|&index| {
                        let (_, first, last, _) = placed[index];
                        (first.saturating_sub(SHOWN_BEFORE)..=first + SHOWN_AFTER_START)
                            .contains(&line)
                            || (last.saturating_sub(SHOWN_BEFORE)..=last + SHOWN_AFTER_END)
                                .contains(&line)
                    })
                };
                let mut excerpt_text = String::new();
                // Where each line of the run starts in the excerpt, and how
                // many bytes of its start were cut off.
                let mut starts = Vec::with_capacity(end_line - first_line + 1);
                let mut cut_any = false;
                // The lines cut, with how many characters their cut starts held.
                let mut cut_chars: Vec<(usize, usize)> = Vec::new();
                for line in first_line..=end_line.min(last_line) {
                    let (start, end) = file.line_bounds(line);
                    let window = if shown(line) {
                        long_line_window(
                            text,
                            start,
                            end,
                            run.iter().map(|&index| {
                                let (range, first, last, _) = &placed[index];
                                (range.clone(), *first, *last)
                            }),
                            line,
                        )
                    } else {
                        None
                    };
                    match window {
                        Some(window) => {
                            cut_any = true;
                            cut_chars.push((
                                line,
                                file.chars_before(window.start) - file.chars_before(start),
                            ));
                            starts.push((excerpt_text.len(), window.start - start));
                            excerpt_text.push_str(&text[window]);
                            excerpt_text.push('\n');
                        }
                        None if shown(line) => {
                            starts.push((excerpt_text.len(), 0));
                            excerpt_text.push_str(&text[start..end]);
                        }
                        None => {
                            starts.push((excerpt_text.len(), 0));
                            if end > start {
                                excerpt_text.push('\n');
                            }
                        }
                    }
                }
                let rebase = |offset: usize, line: usize| {
                    let (at, cut) = starts[line - first_line];
                    at + offset - file.line_bounds(line).0 - cut
                };
                let markers = run
                    .iter()
                    .map(|&index| {
                        let (range, first, last, label) = &placed[index];
                        (
                            rebase(range.start, *first)..rebase(range.end, *last),
                            *label,
                        )
                    })
                    .collect();
                // A cut line's columns are no longer the file's: the
                // location the renderer writes (at the primary's start, or
                // the first marker's) is put right after rendering.
                let origin = cut_any.then(|| {
                    let lead = run
                        .iter()
                        .copied()
                        .min_by_key(|&index| (index != 0, placed[index].1, placed[index].0.start))
                        .unwrap_or(0);
                    let (line, column) = file.line_col(placed[lead].0.start);
                    let cut = cut_chars
                        .iter()
                        .find(|(cut_line, _)| *cut_line == placed[lead].1)
                        .map_or(0, |(_, chars)| *chars);
                    Origin {
                        line,
                        column,
                        shown_column: column - cut,
                    }
                });
                Excerpt {
                    first_line,
                    text: excerpt_text,
                    markers,
                    origin,
                }
            })
            .collect()
    }

    fn snippet<'s>(&'s self, path: &'s str) -> Snippet<'s, annotate_snippets::Annotation<'s>> {
        let mut snippet = Snippet::source(self.text.as_str())
            .path(path)
            .line_start(self.first_line + 1)
            .fold(true);
        for (range, label) in &self.markers {
            snippet = snippet.annotation(match label {
                None => AnnotationKind::Primary.span(range.clone()),
                Some(label) => AnnotationKind::Context.span(range.clone()).label(*label),
            });
        }
        snippet
    }
}

/// Lines longer than this are quoted around their markers only: the
/// renderer's work grows with a quoted line's length, and it shows a
/// terminal's width of it anyway.
const LONG_LINE: usize = 1024;

/// Bytes kept either side of the markers on a long line.
const LONG_LINE_CONTEXT: usize = 256;

/// The part of the long line `start..end` (line `line`) to quote: the
/// markers on it and [`LONG_LINE_CONTEXT`] bytes either side, without the
/// line ending. `None` to quote the line whole: it is short, carries no
/// marker, or a marker spans more than this line.
fn long_line_window(
    text: &str,
    start: usize,
    end: usize,
    markers: impl Iterator<Item = (std::ops::Range<usize>, usize, usize)>,
    line: usize,
) -> Option<std::ops::Range<usize>> {
    if end - start <= LONG_LINE {
        return None;
    }
    let content_end = start + text[start..end].trim_end_matches(['\n', '\r']).len();
    let mut window: Option<(usize, usize)> = None;
    for (range, first, last) in markers {
        if first > line || last < line {
            continue;
        }
        if first != last {
            return None;
        }
        window = Some(match window {
            None => (range.start, range.end),
            Some((low, high)) => (low.min(range.start), high.max(range.end)),
        });
    }
    let (low, high) = window?;
    let mut from = low.saturating_sub(LONG_LINE_CONTEXT).max(start);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = high.saturating_add(LONG_LINE_CONTEXT).min(content_end);
    while !text.is_char_boundary(to) {
        to += 1;
    }
    Some(from..to)
}

/// A span made safe to hand to the renderer: inside the text, on character
/// boundaries, and at least one character wide where the text allows.
fn clamp(span: Span, text: &str) -> std::ops::Range<usize> {
    let floor = |mut at: usize| {
        at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let start = floor(span.start as usize);
    let mut end = floor(span.end as usize).max(start);
    if end == start
        && let Some(c) = text[start..].chars().next()
        && c != '\n'
    {
        end = start + c.len_utf8();
    }
    start..end
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    code: &'static str,
    severity: Severity,
    message: &'a str,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
}

/// Start and end line:column (1-based, columns in characters) of a span.
fn locate(span: Span, sources: &SourceMap) -> (String, usize, usize, usize, usize) {
    let file = sources.get(span.file);
    let (line, column) = file.line_col(span.start as usize);
    let (end_line, end_column) = file.line_col(span.end as usize);
    (
        file.path.display().to_string(),
        line,
        column,
        end_line,
        end_column,
    )
}

/// One line of JSON for one diagnostic.
pub fn json(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    let (file, line, column, end_line, end_column) = locate(diagnostic.span, sources);
    let labels = diagnostic
        .labels
        .iter()
        .map(|label| {
            let (file, line, column, end_line, end_column) = locate(label.span, sources);
            JsonLabel {
                file,
                line,
                column,
                end_line,
                end_column,
                message: &label.message,
            }
        })
        .collect();
    let record = JsonDiagnostic {
        kind: "diagnostic",
        code: diagnostic.code.as_str(),
        severity: diagnostic.severity(),
        message: &diagnostic.message,
        file,
        line,
        column,
        end_line,
        end_column,
        labels,
        help: diagnostic.help.as_deref(),
    };
    serde_json::to_string(&record).expect("diagnostics serialise")
}

#[derive(Serialize)]
struct JsonSummary {
    #[serde(rename = "type")]
    kind: &'static str,
    errors: usize,
    warnings: usize,
    files: usize,
}

/// The closing JSON line. A struct rather than `json!`, whose map sorts its
/// keys: like every other line, it starts with `"type"`.
pub fn json_summary(errors: usize, warnings: usize, files: usize) -> String {
    let summary = JsonSummary {
        kind: "summary",
        errors,
        warnings,
        files,
    };
    serde_json::to_string(&summary).expect("a summary serialises")
}

/// A GitHub Actions workflow command (`::error file=…,line=…::message`).
pub fn github(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    let (file, line, column, end_line, end_column) = locate(diagnostic.span, sources);
    let command = match diagnostic.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        let _ = write!(message, "\nhelp: {help}");
    }
    format!(
        "::{command} file={},line={line},col={column},endLine={end_line},endColumn={end_column},title={}::{}",
        escape_property(&file),
        escape_property(diagnostic.code.as_str()),
        escape_data(&message)
    )
}

/// Escaping for a workflow command's message, as GitHub's toolkit does.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping for a workflow command's property values.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Text from a story or a save, made safe to print on a terminal: control
/// characters (C0 but newline and tab, DEL, C1) are shown as visible
/// pictures (`␛` for escape) and bidirectional overrides as `�`, so no
/// text can move the cursor, retitle the window (OSC), or reorder what is
/// shown. Every place the player prints story or save text uses it, and the
/// story map's labels.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            _ if !unsafe_char(c) => c,
            '\u{0}'..='\u{1F}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'),
            '\u{7F}' => '\u{2421}',
            _ => '\u{FFFD}',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(escape_data("50%\na"), "50%25%0Aa");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
    /// Regression (issue #10): each diagnostic handed the whole file to the
    /// renderer, so 20,000 of them on a 3 MB file took over a minute. The
    /// excerpt holds the quoted lines only, wherever they are in the file.
    #[test]
    fn an_excerpt_holds_only_the_lines_it_quotes() {
        let mut text = String::from("title: Big\n");
        for line in 0..100_000 {
            text.push_str(&format!("Line {line} of prose, long enough to count.\n"));
        }
        let mut sources = SourceMap::default();
        let id = sources.add("big.fab".into(), text);
        let file = sources.get(id);
        let at = |line: usize| file.line_bounds(line).0;
        let markers = [
            Marker {
                span: Span::new(id, at(90_000), at(90_000) + 4),
                label: None,
            },
            Marker {
                span: Span::new(id, at(89_990) + 5, at(89_990) + 9),
                label: Some("near"),
            },
            Marker {
                span: Span::new(id, at(3), at(3) + 4),
                label: Some("far"),
            },
        ];
        let excerpts = Excerpt::cut(file, &markers);
        assert_eq!(excerpts.len(), 2, "the far label is a section of its own");
        assert_eq!(
            excerpts[0].first_line, 89_990,
            "the primary's section comes first"
        );
        assert_eq!(excerpts[1].first_line, 3);
        let bytes: usize = excerpts.iter().map(|excerpt| excerpt.text.len()).sum();
        assert!(bytes < 1_000, "{bytes} bytes quoted");
        // The markers still point at the same text.
        let quoted = |excerpt: &Excerpt, label: Option<&str>| {
            let (range, _) = excerpt
                .markers
                .iter()
                .find(|(_, found)| *found == label)
                .expect("the marker is in this excerpt");
            excerpt.text[range.clone()].to_string()
        };
        assert_eq!(quoted(&excerpts[0], None), "Line");
        assert_eq!(quoted(&excerpts[0], Some("near")), "8998");
        assert_eq!(quoted(&excerpts[1], Some("far")), "Line");
    }

    #[test]
    fn shown_count_holds_back_past_its_limit() {
        let mut count = ShownCount::new(2);
        assert_eq!(
            [count.admit(), count.admit(), count.admit()],
            [true, true, false]
        );
        assert_eq!(
            count.held_back_line().as_deref(),
            Some(
                "... and 1 more diagnostic not shown after the first 2 (`fabula check --max-diagnostics 0` shows every one)"
            )
        );
        let mut unlimited = ShownCount::new(0);
        assert!((0..1000).all(|_| unlimited.admit()));
        assert_eq!(unlimited.held_back_line(), None);
    }
}
