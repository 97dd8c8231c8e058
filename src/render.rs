//! Writing diagnostics for people (rustc's format, via annotate-snippets),
//! for machines (one JSON object per line) and for CI (GitHub Actions
//! workflow commands).

use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, FileId, Severity, SourceMap, Span};

/// Renders one diagnostic as rustc does: header, `-->` location, the source
/// line with a caret under the span, secondary labels, then `= help:`.
pub fn human(diagnostic: &Diagnostic, sources: &SourceMap, styled: bool) -> String {
    let level = match diagnostic.severity() {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let file = sources.get(diagnostic.span.file);
    let path = file.path.display().to_string();
    let mut snippet = Snippet::source(file.text.as_str())
        .path(path)
        .fold(true)
        .annotation(AnnotationKind::Primary.span(clamp(diagnostic.span, &file.text)));
    let mut other_files: Vec<(FileId, Vec<(Span, &str)>)> = Vec::new();
    for label in &diagnostic.labels {
        if label.span.file == diagnostic.span.file {
            snippet = snippet.annotation(
                AnnotationKind::Context
                    .span(clamp(label.span, &file.text))
                    .label(label.message.as_str()),
            );
        } else {
            match other_files
                .iter_mut()
                .find(|(id, _)| *id == label.span.file)
            {
                Some((_, labels)) => labels.push((label.span, &label.message)),
                None => other_files.push((label.span.file, vec![(label.span, &label.message)])),
            }
        }
    }
    let mut group = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code.as_str())
        .element(snippet);
    let other_paths: Vec<String> = other_files
        .iter()
        .map(|(id, _)| sources.get(*id).path.display().to_string())
        .collect();
    for ((id, labels), path) in other_files.iter().zip(&other_paths) {
        let text = sources.get(*id).text.as_str();
        let mut snippet = Snippet::source(text).path(path.as_str()).fold(true);
        for (span, message) in labels {
            snippet = snippet.annotation(
                AnnotationKind::Context
                    .span(clamp(*span, text))
                    .label(*message),
            );
        }
        group = group.element(snippet);
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
    renderer.render(report)
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
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping for a workflow command's property values.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(escape_data("50%\na"), "50%25%0Aa");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
