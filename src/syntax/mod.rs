//! Source text → syntax tree, reporting every error and never giving up.
//!
//! Work goes in three steps: `source` turns bytes into indented lines with
//! comments removed; each line is classified by its marker (`classify`)
//! and parsed by the parsers in `line`, `expr` and `text` (nom's
//! combinators for the rarer forms, bytes read directly on the common
//! paths, `plain` for plain scene headers); and the block parser
//! (`block`, behind [`parse_file`]) nests the lines into blocks by
//! indentation. `outline` is the cheap first pass that locates scenes
//! without parsing them; `span` is the parsers' input, a slice of one
//! line that knows where it starts; `error` is the parsers' error type. A
//! line that fails to parse is reported and skipped, so one run reports
//! every bad line.

mod block;
mod classify;
mod error;
mod expr;
mod foreign;
mod function;
mod if_chain;
mod line;
mod outline;
mod plain;
mod recover;
mod source;
mod span;
mod text;
mod tunnel;

use crate::ast::{self, Decl};
use crate::diagnostic::{FileId, Span};

pub use block::{parse_file, parse_str};
pub use classify::is_entry;
pub(crate) use error::PError;
pub(crate) use outline::{Outline, SPLIT_BYTES, outline_parts};
pub use source::decode;

pub(crate) use span::{Input, Origin};

/// The byte offset in its file where an input starts.
pub(crate) fn pos(input: &Input) -> usize {
    input.extra.base + input.location_offset()
}

/// The span an input's whole fragment covers.
pub(crate) fn span_of(file: FileId, input: Input) -> Span {
    let start = pos(&input);
    Span::new(file, start, start + input.fragment().len())
}

impl Span {
    pub(crate) fn with_end(self, end: usize) -> Span {
        Span {
            end: (end as u32).max(self.start),
            ..self
        }
    }
}

impl Decl {
    /// The declared name.
    pub fn name(&self) -> &ast::Ident {
        match self {
            Decl::Const { name, .. } | Decl::Var { name, .. } | Decl::Enum { name, .. } => name,
        }
    }
}

/// Parses `text`, which starts at byte `base` of `file`, as one whole
/// expression; `None` when it is not one (or has anything after it). For
/// checks that ask whether some prose was meant as a condition.
pub(crate) fn expression_str(text: &str, file: FileId, base: usize) -> Option<ast::Expr> {
    let input = Input::new_extra(text, Origin { file, base });
    let (rest, parsed) = expr::expression(input).ok()?;
    rest.fragment().trim().is_empty().then_some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::StmtKind;
    use crate::diagnostic::Code;

    /// A scene's tree is built, moved up through the parser's functions
    /// by value, and dropped, for every scene: its nodes are kept small
    /// by boxing the rare big ones (a call's name, `[requires …]`).
    #[test]
    fn the_common_tree_nodes_stay_small() {
        // 80 before the call's name was boxed (session 8).
        assert_eq!(std::mem::size_of::<ast::Expr>(), 48);
        // 392 before `[requires …]` and the call's name were boxed.
        assert_eq!(std::mem::size_of::<ast::Choice>(), 232);
        assert_eq!(std::mem::size_of::<ast::Stmt>(), 112);
    }

    fn codes(text: &str) -> Vec<(Code, usize)> {
        let (_, diagnostics) = parse_str(text);
        diagnostics
            .iter()
            .map(|d| {
                let line = text[..d.span.start as usize].matches('\n').count() + 1;
                (d.code, line)
            })
            .collect()
    }

    #[test]
    fn the_reference_sketch_parses() {
        let story = "title: T\nvar a = 1\n== s: Title\n# year: 1922\nHello {a}.\n~ a += 1\nif a > 1:\n    Big.\nelif a < 0:\n    Small.\nelse:\n    Zero.\n* One\n    -> s\n+ {a > 2} Two\n* [requires a > 3: \"no\"] Three\n* ->\n    -> s\n-> s\n";
        let (tree, diagnostics) = parse_str(story);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(tree.scenes.len(), 1);
        let scene = &tree.scenes[0];
        assert_eq!(scene.tags.len(), 1);
        assert_eq!(scene.body.len(), 5);
        let StmtKind::Choices(choices) = &scene.body[3].kind else {
            panic!("expected choices, got {:?}", scene.body[3].kind)
        };
        assert_eq!(choices.len(), 4);
        assert!(choices[3].text.is_none());
    }

    #[test]
    fn a_label_is_one_name_in_brackets_after_the_marker() {
        let story = "== s\n* (ask) Ask\n    -> s\n+ ( wait ) {taken(ask)} Wait -> s\n* (to himself) Sighs -> s\n* (x) -> s\n* {taken(s.ask)} Go -> s\n";
        let (tree, diagnostics) = parse_str(story);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let StmtKind::Choices(choices) = &tree.scenes[0].body[0].kind else {
            panic!("expected choices, got {:?}", tree.scenes[0].body[0].kind)
        };
        let labels: Vec<Option<&str>> = choices
            .iter()
            .map(|choice| choice.label.as_ref().map(|label| label.name.as_str()))
            .collect();
        assert_eq!(labels, [Some("ask"), Some("wait"), None, Some("x"), None]);
        // `(to himself)` is two words: text, not a label.
        assert!(matches!(
            &choices[2].text.as_deref(),
            Some([ast::Segment::Literal(text), ..]) if text.starts_with("(to himself)")
        ));
        assert!(choices[3].text.is_none(), "a labelled fallback");
        let guard = |choice: &ast::Choice| match &choice.guard {
            ast::Guard::Hidden(expr) => expr.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(guard(&choices[1]), "taken(ask)");
        assert_eq!(guard(&choices[4]), "taken(s.ask)");
    }

    #[test]
    fn assertions_stand_where_logic_does_and_invariants_in_the_prologue() {
        let story = "var sent = false\ninvariant not sent or sent: \"tautology\"\n== s\nassert sent\nif sent:\n    assert sent: \"in a branch\"\n* Go\n    assert not sent: \"in a body\"\n    -> s\n\\assert yourself.\n-> s\n";
        let (tree, diagnostics) = parse_str(story);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(tree.invariants.len(), 1);
        assert_eq!(tree.invariants[0].message, "tautology");
        let body = &tree.scenes[0].body;
        let StmtKind::Assert { message: None, .. } = &body[0].kind else {
            panic!("expected an assertion, got {:?}", body[0].kind)
        };
        let StmtKind::If { branches, .. } = &body[1].kind else {
            panic!("expected an if, got {:?}", body[1].kind)
        };
        assert!(matches!(
            &branches[0].1[0].kind,
            StmtKind::Assert { message: Some(message), .. } if message == "in a branch"
        ));
        let StmtKind::Choices(choices) = &body[2].kind else {
            panic!("expected choices, got {:?}", body[2].kind)
        };
        assert!(matches!(
            &choices[0].body[0].kind,
            StmtKind::Assert { message: Some(message), .. } if message == "in a body"
        ));
        // An escaped prose line that starts with the word.
        assert!(matches!(body[3].kind, StmtKind::Text { .. }));
    }

    #[test]
    fn pages_parse_as_scenes_marked_page_and_tests_expect_them() {
        let story = "title: T\n== s\n* Go -> ending e\n== page status: Your Position\n# kind: status\nYou hold {1} seats.\n== page people\nNobody.\n== ending e\nDone.\n== pages\n-> s\ntest \"t\":\n    expect page status text \"seats\"\n    expect page people no text \"Zinoviev\"\n";
        let (tree, diagnostics) = parse_str(story);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let kinds: Vec<(&str, bool, bool)> = tree
            .scenes
            .iter()
            .map(|scene| (scene.name.name.as_str(), scene.is_page, scene.is_ending))
            .collect();
        assert_eq!(
            kinds,
            [
                ("s", false, false),
                ("status", true, false),
                ("people", true, false),
                ("e", false, true),
                // `page` is a keyword only before a name.
                ("pages", false, false),
            ]
        );
        assert_eq!(tree.scenes[1].title.as_deref(), Some("Your Position"));
        assert_eq!(tree.scenes[1].tags.len(), 1);
        let steps: Vec<(String, String, bool)> = tree.tests[0]
            .steps
            .iter()
            .map(|step| match &step.kind {
                ast::TestStepKind::ExpectPage {
                    page,
                    fragment,
                    present,
                } => (page.name.clone(), fragment.clone(), *present),
                other => panic!("expected `expect page`, got {other:?}"),
            })
            .collect();
        assert_eq!(
            steps,
            [
                ("status".into(), "seats".into(), true),
                ("people".into(), "Zinoviev".into(), false)
            ]
        );
    }

    #[test]
    fn every_bad_line_is_reported() {
        let story = "title: T\nvar = 1\n== s\n~ x = = 1\nfine\n-> \n* {x Study\n-> s\n";
        let found: Vec<usize> = codes(story).iter().map(|(_, line)| *line).collect();
        assert_eq!(found, [2, 4, 6, 7]);
    }

    #[test]
    fn misplaced_and_indentation_errors() {
        assert_eq!(codes("Hello\n== s\n-> s\n"), [(Code::E0007, 1)]);
        assert_eq!(codes("== s\n-> s\nvar x = 1\n"), [(Code::E0007, 3)]);
        assert_eq!(codes("== s\nA\n    B\n-> s\n"), [(Code::E0004, 3)]);
        assert_eq!(codes("== s\nelse:\n    B\n-> s\n"), [(Code::E0008, 2)]);
    }

    #[test]
    fn deep_blocks_are_limited() {
        let mut story = String::from("== s\n");
        for depth in 0..300 {
            story.push_str(&" ".repeat(depth));
            story.push_str("if true:\n");
        }
        story.push_str(&" ".repeat(300));
        story.push_str("x\n");
        let found = codes(&story);
        assert!(
            found.iter().any(|(code, _)| *code == Code::E0005),
            "{found:?}"
        );
    }
}
