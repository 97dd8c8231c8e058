//! Recovery: what the parser keeps of a line it could not read.
//!
//! A line that does not parse is reported and skipped with the block under
//! it, so one run reports every bad line. What it held is then missing, and
//! later passes would see the hole: the scene it declared or diverted to,
//! the variable it read. So the parser keeps an [`ast::Broken`] node for
//! it: the lines lost, the construct the first one started and the names
//! on them. Lowering treats those names as poisoned (reports about them
//! are not news) and the check passes know which scenes lost lines.

use super::block::FileParser;
use super::classify::{Kind, classify, starts_chunk};
use super::source::Line;
use crate::ast::{Broken, Construct};
use crate::diagnostic::{FileId, Span};

impl FileParser<'_> {
    /// Keeps lines `from..to` (indices into the parser's lines) as one
    /// broken node: the first line is the one that did not parse.
    pub(super) fn broke(&mut self, from: usize, to: usize) {
        let to = to.clamp(from + 1, self.lines.len());
        let Some(lost) = self.lines.get(from..to) else {
            return;
        };
        self.broken.push(broken(self.file, lost));
    }

    /// Keeps `line` and the lines indented under it (its block, lost with
    /// it) as one broken node.
    pub(super) fn broke_line(&mut self, line: &Line) {
        let from = self
            .lines
            .partition_point(|other| other.offset < line.offset);
        let mut to = from + 1;
        while let Some(next) = self.lines.get(to) {
            if next.indent <= line.indent || starts_chunk(next.content) {
                break;
            }
            to += 1;
        }
        self.broke(from, to);
    }
}

impl FileParser<'_> {
    /// ink's multi-line conditional, `{` (or `{ cond:`) on a line of its
    /// own, branches under it, and `}` on a line of its own: one report for
    /// the whole block, which is skipped, instead of an unterminated `{`,
    /// the indentation of each branch and an unmatched `}`. True when it
    /// was one (`line` is already taken).
    pub(super) fn ink_conditional(&mut self, line: &Line) -> bool {
        // Every text line comes here; most are told apart without
        // looking for a comment.
        if !line.content.trim_start().starts_with('{') {
            return false;
        }
        // Markup at the start of a line of text ends in `}`; only a line
        // with a comment needs cutting before it is told apart.
        if line.content.ends_with('}') && memchr::memchr(b'/', line.content.as_bytes()).is_none() {
            return false;
        }
        let code = line.content.split(" //").next().unwrap_or_default().trim();
        let opens =
            code == "{" || (code.starts_with('{') && code.ends_with(':') && !code.contains('}'));
        if !opens {
            return false;
        }
        // Its branches are indented under it or start with `-`; the first
        // line that is neither must be the `}`. (Looking no further keeps
        // a scene of a thousand lone `{` lines linear.)
        let closes =
            |next: &Line| next.content.split(" //").next().unwrap_or_default().trim() == "}";
        let Some(close) = self.lines[self.position..]
            .iter()
            .position(|next| next.indent <= line.indent && !next.content.starts_with('-'))
            .filter(|&at| closes(&self.lines[self.position + at]))
        else {
            return false;
        };
        let from = self.position - 1;
        self.position += close + 1;
        self.report(
            crate::diagnostic::Diagnostic::new(
                crate::diagnostic::Code::E0002,
                line.span(self.file),
                "ink's multi-line conditional `{ - cond: … }`, which Fabula does not read",
            )
            .with_help(
                "write an `if` block: `if cond:`, then `elif cond:` and `else:`, each with its lines indented under it",
            ),
        );
        self.broke(from, self.position);
        true
    }
}

/// The broken node for `lost`, a non-empty run of lines.
fn broken(file: FileId, lost: &[Line]) -> Broken {
    let (first, last) = (&lost[0], &lost[lost.len() - 1]);
    let mut names: Vec<String> = lost
        .iter()
        .flat_map(|line| identifiers(line.content))
        .map(str::to_string)
        .collect();
    names.sort_unstable();
    names.dedup();
    Broken {
        construct: construct(first.content),
        names,
        span: Span::new(file, first.offset, last.offset + last.content.len()),
    }
}

/// What a line set out to be, from its first characters.
fn construct(content: &str) -> Construct {
    match classify(content) {
        Kind::Scene => {
            let after = content.trim_start_matches('=').trim_start();
            let ending = after
                .strip_prefix("ending")
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'));
            if ending {
                Construct::Ending
            } else {
                Construct::Scene
            }
        }
        Kind::Test => Construct::Test,
        Kind::Header | Kind::Include | Kind::Declaration | Kind::Invariant | Kind::Function => {
            Construct::Prologue
        }
        Kind::Choice => Construct::Choice,
        Kind::Divert => Construct::Divert,
        Kind::Logic | Kind::Assert => Construct::Logic,
        Kind::If | Kind::Elif | Kind::Else => Construct::Conditional,
        Kind::Tag => Construct::Tag,
        Kind::Text => Construct::Text,
    }
}

/// The identifiers of `text`: its longest runs of letters, digits and `_`
/// that do not start with a digit.
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| word.chars().next().is_some_and(|c| !c.is_ascii_digit()))
}

/// What a block comment that never ends swallowed, from `start` (where it
/// opens) to the end of `text`.
pub(super) fn swallowed(file: FileId, text: &str, start: usize) -> Broken {
    let start = start.min(text.len());
    let rest = text.get(start..).unwrap_or_default();
    let mut names: Vec<String> = identifiers(rest).map(str::to_string).collect();
    names.sort_unstable();
    names.dedup();
    Broken {
        construct: Construct::Comment,
        names,
        span: Span::new(file, start, text.len()),
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::{Broken, Construct};
    use crate::syntax::parse_str;

    fn broken(text: &str) -> Vec<Broken> {
        parse_str(text).0.broken
    }

    #[test]
    fn a_broken_line_keeps_its_names_and_block() {
        let found = broken("== s\n* {oil Go\n    ~ gold += 1\n    -> shore\n-> s\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].construct, Construct::Choice);
        assert_eq!(found[0].names, ["Go", "gold", "oil", "shore"]);
        // From the choice line to the end of its block, not the divert after.
        assert_eq!(found[0].span.start, 5);
        assert_eq!(found[0].span.end, 43);
    }

    #[test]
    fn a_broken_header_keeps_its_scene() {
        let found = broken("== s\n-> ending e\n== ending e Done\nBye {gold}.\n");
        assert!(
            found
                .iter()
                .any(|b| b.construct == Construct::Ending && b.names.contains(&"gold".to_string())),
            "{found:?}"
        );
    }

    #[test]
    fn good_lines_keep_nothing() {
        assert!(broken("var a = 1\n== s\nHello {a}.\n-> s\n").is_empty());
    }

    #[test]
    fn a_comment_that_never_ends_keeps_what_it_swallowed() {
        let found = broken("== s\n-> s\n/* == t\n-> t\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].construct, Construct::Comment);
        assert_eq!(found[0].names, ["t"]);
    }

    #[test]
    fn lone_braces_are_looked_past_once() {
        // A thousand `{` lines, none closed: each is one unterminated `{`
        // (E0006), found without searching the rest of the scene for a `}`.
        let mut story = String::from("== s\n");
        for _ in 0..1000 {
            story.push_str("{\n");
        }
        story.push_str("-> s\n");
        let (_, diagnostics) = parse_str(&story);
        assert_eq!(diagnostics.len(), 1000);
        // A closed one is a single report for the block.
        let (_, diagnostics) = parse_str("== s\n{\n    - true: A.\n- else: B.\n}\n-> s\n");
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    }
}
