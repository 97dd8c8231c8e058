//! The block parser: nests a file's lines into scenes, blocks and choices
//! by indentation, parsing each line with the nom parsers in `line`,
//! `expr` and `text`.

use super::classify::{
    Kind, classify, misspelt_header, opens_block_without_colon, starts_chunk,
    test_header_written_another_way,
};
use super::outline::outline;
use super::source::Line;
use super::{Input, Origin, PError, foreign, line, text};
use crate::ast::{self, Block, Choice, File, MAX_DEPTH, Scene, Stmt, StmtKind, Tag};
use crate::diagnostic::{Code, Diagnostic, FileId};

/// Parses one file's bytes whole. Always returns a tree (possibly partial)
/// and every problem found.
pub fn parse_file(file: FileId, bytes: &[u8]) -> (String, File, Vec<Diagnostic>) {
    let (text, outline) = outline(file, bytes.to_vec());
    let mut tree = File {
        scenes: Vec::with_capacity(outline.scenes.len()),
        ..outline.prologue.clone()
    };
    let mut diagnostics = outline.diagnostics.clone();
    for index in 0..outline.scenes.len() {
        let (scene, found, broken) = outline.parse_scene(&text, index);
        tree.scenes.extend(scene);
        diagnostics.extend(found);
        tree.broken.extend(broken);
    }
    let (tests, found, broken) = outline.parse_tests(&text);
    tree.tests = tests;
    diagnostics.extend(found);
    tree.broken.extend(broken);
    diagnostics.sort_by_key(|d| (d.span.start, d.code));
    (text, tree, diagnostics)
}

pub(super) struct FileParser<'a> {
    pub(super) file: FileId,
    pub(super) lines: &'a [Line<'a>],
    pub(super) position: usize,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// What could be read of the lines that did not parse.
    pub(super) broken: Vec<ast::Broken>,
}

impl<'a> FileParser<'a> {
    pub(super) fn input(&self, line: &Line<'a>) -> Input<'a> {
        Input::new_extra(
            line.content,
            Origin {
                file: self.file,
                base: line.offset,
            },
        )
    }

    pub(super) fn error(&mut self, line: &Line, error: PError, context: &str) {
        let line_end = line.offset + line.content.len();
        self.diagnostics
            .push(error.into_diagnostic(line_end, context));
        self.broke_line(line);
    }

    /// Reports a choice line written in another tool's syntax; true when it
    /// is an error (ChoiceScript's `*goto`), and the line and its block
    /// were skipped. Out of line, so the recursive `choices` keeps a small
    /// stack frame (tests/robustness.rs nests 5,000 choices).
    #[inline(never)]
    fn foreign_choice(&mut self, line: &Line, indent: usize, depth: usize) -> bool {
        if let Some(mut found) = foreign::choicescript(line.content) {
            if matches!(first_word(line.content), "*choice" | "*fake_choice") {
                // Its `#option` lines and their bodies are ChoiceScript
                // too: one report names them, and the block is skipped.
                let start = self.position;
                self.skip_deeper_than(indent);
                let options = self.lines[start..self.position]
                    .iter()
                    .filter(|option| option.indent == self.lines[start].indent)
                    .map(|option| option.content);
                foreign::choicescript_options(&mut found, options);
                self.report(found.diagnostic(self.file, line.offset));
                self.broke(start - 1, self.position);
                return true;
            }
            self.report(found.diagnostic(self.file, line.offset));
            self.body(line, indent, depth);
            self.broke_line(line);
            return true;
        }
        if let Some(found) =
            foreign::bracketed_choice(line.content).or_else(|| foreign::in_text(line.content))
        {
            self.report(found.diagnostic(self.file, line.offset));
        }
        false
    }

    /// Reports a line of text, logic or a divert written in another tool's
    /// syntax; true when it is an error, and the line and its block were
    /// skipped. Out of line, as `foreign_choice`.
    #[inline(never)]
    fn foreign(&mut self, line: &Line, kind: Kind, indent: usize, depth: usize) -> bool {
        if kind == Kind::Text && self.ink_conditional(line) {
            return true;
        }
        let found = match kind {
            Kind::Text => foreign::line(line.content).or_else(|| foreign::in_text(line.content)),
            Kind::Divert => {
                let has_body = self.peek().is_some_and(|next| {
                    next.indent > indent && !classify(next.content).starts_chunk()
                });
                foreign::yarn_option(line.content, has_body).or_else(|| foreign::line(line.content))
            }
            Kind::Logic => foreign::line(line.content),
            _ => None,
        };
        let Some(found) = found else {
            return false;
        };
        self.report(found.diagnostic(self.file, line.offset));
        if found.error {
            self.body(line, indent, depth);
            self.broke_line(line);
        }
        found.error
    }

    pub(super) fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub(super) fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.position).copied()
    }

    /// `file := prologue scene*`
    /// `prologue := (header | include | declaration | invariant | function)*`
    pub(super) fn file(&mut self) -> File {
        let mut tree = File::default();
        while let Some(line) = self.peek() {
            let kind = classify(line.content);
            if kind == Kind::Scene {
                if let Some(scene) = self.scene() {
                    tree.scenes.push(scene);
                }
                continue;
            }
            if kind == Kind::Test {
                if let Some(test) = self.test() {
                    tree.tests.push(test);
                }
                continue;
            }
            self.position += 1;
            let input = self.input(&line);
            // Once the first scene starts, scenes take every line up to the
            // next scene header (misplaced prologue lines included), so
            // this loop only sees the prologue and scene headers.
            match kind {
                Kind::Header => match line::whole_line(input, line::header) {
                    Ok(header) => tree.headers.push(header),
                    Err(error) => self.error(&line, error, "in a header"),
                },
                Kind::Include => match line::whole_line(input, line::include) {
                    Ok(include) => tree.includes.push(include),
                    Err(error) => self.error(&line, error, "in an include"),
                },
                Kind::Declaration => match line::whole_line(input, line::declaration) {
                    Ok(decl) => tree.decls.push(decl),
                    Err(error) => self.error(&line, error, "in a declaration"),
                },
                Kind::Invariant => match line::whole_line(input, line::invariant) {
                    Ok(invariant) => tree.invariants.push(invariant),
                    Err(error) => self.error(&line, error, "in an invariant"),
                },
                Kind::Function => tree.functions.extend(self.function(line)),
                _ => {
                    // ink's `VAR x = 1`: named, instead of "content before
                    // the first scene" with the advice to start one.
                    if let Some(found) = foreign::line(line.content).filter(|found| found.error) {
                        self.report(found.diagnostic(self.file, line.offset));
                        self.broke_line(&line);
                        continue;
                    }
                    let help = match misspelt_header(line.content) {
                        Some((key, value)) => {
                            format!("a header is lowercase, with a `:`: `{key}: {value}`")
                        }
                        None => "start a scene with `== name` above this line".to_string(),
                    };
                    self.report(
                        Diagnostic::new(
                            Code::E0007,
                            line.span(self.file),
                            "story content before the first scene",
                        )
                        .with_help(help),
                    );
                }
            }
        }
        tree.broken = std::mem::take(&mut self.broken);
        tree
    }

    /// Takes the header line of a top-level chunk (a scene or a test),
    /// reporting it when indented, and parses it with `parser`.
    fn chunk_header<T>(
        &mut self,
        what: &str,
        marker: &str,
        parser: impl FnMut(Input<'a>) -> nom::IResult<Input<'a>, T, PError>,
    ) -> Option<(Line<'a>, Result<T, PError>)> {
        let line = self.peek()?;
        self.position += 1;
        let header = line::whole_line(self.input(&line), parser);
        if line.indent > 0 {
            self.report(
                Diagnostic::new(
                    Code::E0004,
                    line.span(self.file),
                    format!("{what} must not be indented"),
                )
                .with_help(format!("start `{marker}` at the beginning of the line")),
            );
        }
        Some((line, header))
    }

    /// `scene := scene-header NEWLINE tag* block`
    pub(super) fn scene(&mut self) -> Option<Scene> {
        let start = self.position;
        let (line, header) = self.chunk_header("a scene header", "==", line::scene_header)?;
        let mut tags = Vec::new();
        while let Some(next) = self.peek() {
            if classify(next.content) != Kind::Tag || next.indent != 0 {
                break;
            }
            self.position += 1;
            if let Some(tag) = self.tag(&next) {
                tags.push(tag);
            }
        }
        let body = self.block(0, 1);
        match header {
            Ok((name, kind, title, params)) => Some(Scene {
                name,
                title,
                is_ending: kind == ast::SceneKind::Ending,
                is_page: kind == ast::SceneKind::Page,
                params,
                tags,
                body,
                span: line.span(self.file),
            }),
            Err(error) => {
                self.error(&line, error, "in a scene header");
                // The scene's lines are lost with its header.
                self.broke(start, self.position);
                None
            }
        }
    }

    /// `test := test-header NEWLINE (INDENT test-step NEWLINE)*`
    fn test(&mut self) -> Option<ast::TestBlock> {
        let (line, header) = self.chunk_header("a test", "test", line::test_header)?;
        let mut steps = Vec::new();
        while let Some(step) = self.peek() {
            if step.indent <= line.indent || classify(step.content).starts_chunk() {
                break;
            }
            self.position += 1;
            match line::whole_line(self.input(&step), line::test_step) {
                Ok(kind) => steps.push(ast::TestStep {
                    kind,
                    span: step.span(self.file),
                }),
                Err(error) => self.error(&step, error, "in a test step"),
            }
        }
        while let Some(stray) = self.peek() {
            if classify(stray.content).starts_chunk() {
                break;
            }
            self.position += 1;
            if let Some(fixed) = test_header_written_another_way(stray.content) {
                let from = self.position - 1;
                // `test two:` or `test "three"`: not a header, so not a
                // chunk; say what it should be, and skip its steps with it.
                self.report(
                    Diagnostic::new(
                        Code::E0002,
                        stray.span(self.file),
                        "a test header is `test \"name\":`",
                    )
                    .with_help(format!("write `{fixed}`")),
                );
                self.skip_deeper_than(stray.indent);
                self.broke(from, self.position);
                continue;
            }
            self.report(
                Diagnostic::new(Code::E0007, stray.span(self.file), "a line after a test that belongs to no scene")
                    .with_help("a test ends at the next unindented line; indent test steps, and start scenes with `==`"),
            );
        }
        match header {
            Ok((name, from)) => Some(ast::TestBlock {
                name,
                from,
                steps,
                span: line.span(self.file),
            }),
            Err(error) => {
                self.error(&line, error, "in a test header");
                None
            }
        }
    }

    fn tag(&mut self, line: &Line<'a>) -> Option<Tag> {
        match line::whole_line(self.input(line), line::tag_line) {
            Ok(tag) => Some(tag),
            Err(error) => {
                self.error(line, error, "in a tag");
                None
            }
        }
    }

    /// An `assert` line. Apart from `block` (and never inlined) so the
    /// recursive block parser's stack frame stays small.
    #[inline(never)]
    fn assertion(&mut self, line: &Line<'a>) -> Option<Stmt> {
        match line::whole_line(self.input(line), line::assertion) {
            Ok((condition, message)) => Some(Stmt {
                kind: StmtKind::Assert { condition, message },
                span: line.span(self.file),
            }),
            Err(error) => {
                self.error(line, error, "in an assertion");
                None
            }
        }
    }

    /// A text line, glued to the next when it ends in `<>`. Apart from
    /// `block` (and never inlined), as `assertion`.
    #[inline(never)]
    fn text_line(&mut self, line: &Line<'a>, tags: Vec<Tag>) -> Option<Stmt> {
        let input = self.input(line);
        let content = if line.content.starts_with('\\')
            && line.content[1..].starts_with(|c: char| c.is_alphabetic())
        {
            nom::Input::take_from(&input, 1)
        } else {
            input
        };
        let (content, glue) = glued(content);
        match line::whole_line(content, |i| text::text(i, text::Until::LineEnd, 0)) {
            Ok(mut text) => {
                if glue && content.fragment().ends_with([' ', '\t']) {
                    // `Hello <>`: the space before the glue stays.
                    text.push(ast::Segment::Literal(" ".into()));
                }
                Some(Stmt {
                    kind: StmtKind::Text { text, tags, glue },
                    span: line.span(self.file),
                })
            }
            Err(error) => {
                self.error(line, error, "in text");
                None
            }
        }
    }

    /// A logic line: `~ temp name = value` or `~ name op value`. Apart
    /// from `block` (and never inlined), as `assertion`.
    #[inline(never)]
    fn logic_line(&mut self, line: &Line<'a>) -> Option<Stmt> {
        let input = self.input(line);
        let span = line.span(self.file);
        if line::starts_temp(input) {
            return match line::whole_line(input, line::temp) {
                Ok((name, value)) => Some(Stmt {
                    kind: StmtKind::Temp { name, value },
                    span,
                }),
                Err(error) => {
                    self.error(line, error, "in a temporary");
                    None
                }
            };
        }
        match line::whole_line(input, line::logic) {
            Ok((target, op, value)) => Some(Stmt {
                kind: StmtKind::Assign { target, op, value },
                span,
            }),
            Err(error) => {
                self.error(line, error, "in a logic line");
                None
            }
        }
    }

    /// A line starting with `->`: a divert, a tunnel call or a return.
    /// Apart from `block` (and never inlined), as `assertion`.
    #[inline(never)]
    fn divert_line(&mut self, line: &Line<'a>) -> Option<Stmt> {
        match line::whole_line(self.input(line), line::divert_line) {
            Ok(divert) => Some(Stmt {
                kind: match divert {
                    line::DivertLine::Divert(divert) => StmtKind::Divert(divert),
                    line::DivertLine::Call(call) => StmtKind::Call(call),
                    line::DivertLine::Return => StmtKind::Return,
                },
                span: line.span(self.file),
            }),
            Err(error) => {
                self.error(line, error, "in a divert");
                None
            }
        }
    }

    /// What to say about `line`, indented deeper than its block at `indent`
    /// allows. Apart from `block` (and never inlined) so the recursive
    /// block parser's stack frame stays small: blocks nest 256 deep.
    #[inline(never)]
    fn misplaced_indentation(&self, line: Line<'a>, indent: usize) -> Diagnostic {
        // The line above, when it is at this block's level: the line
        // the indented block was meant to belong to.
        let above = self
            .position
            .checked_sub(1)
            .map(|index| self.lines[index])
            .filter(|above| above.indent == indent);
        let keyword = above.and_then(|above| opens_block_without_colon(above.content));
        let test_header = above.and_then(|above| test_header_written_another_way(above.content));
        match (above, keyword, test_header) {
            // `if x > 2` then an indented block: the `:` is missing,
            // which is what to say, not that the block is misplaced.
            (Some(above), Some(keyword), _) => Diagnostic::new(
                Code::E0002,
                above.span(self.file),
                format!("this `{keyword}` line does not end with `:`"),
            )
            .with_help(format!(
                "a line that opens an indented block ends with `:`: `{}:`",
                above.content
            )),
            // `test two:` with steps under it, in the last scene.
            (Some(above), None, Some(fixed)) => Diagnostic::new(
                Code::E0002,
                above.span(self.file),
                "a test header is `test \"name\":`",
            )
            .with_help(format!("write `{fixed}`")),
            _ => Diagnostic::new(
                Code::E0004,
                line.span(self.file),
                "unexpected indentation",
            )
            .with_help("only the body of a choice or an `if` is indented; align this line with the one above"),
        }
    }

    /// `block := statement*` — every line at exactly `indent`; stops at a
    /// line indented less, or at a scene header.
    fn block(&mut self, indent: usize, depth: usize) -> Block {
        // A scene's own block has at most a statement a line: room for
        // them at once (up to a point), instead of allocating the list
        // again and copying it as it fills. A nested block is short; it
        // grows.
        let mut block = if depth == 1 {
            Block::with_capacity((self.lines.len() - self.position).min(64))
        } else {
            Block::new()
        };
        let mut pending_tags: Vec<Tag> = Vec::new();
        // After `if x > 1` without its `:` and with a block under it (one
        // E0002, at the block), its `elif` and `else` are part of that
        // mistake, not each an `else` without an `if` (issue #15).
        let mut broken_if = false;
        while let Some(line) = self.peek() {
            let kind = classify(line.content);
            if kind.starts_chunk() || line.indent < indent {
                break;
            }
            if line.indent > indent {
                let diagnostic = self.misplaced_indentation(line, indent);
                // An E0002 is about the line above (`if x > 2` without its
                // `:`), which is lost with the block.
                let from = match diagnostic.code {
                    Code::E0002 => self.position.saturating_sub(1),
                    _ => self.position,
                };
                self.report(diagnostic);
                self.skip_deeper_than(indent);
                self.broke(from, self.position);
                continue;
            }
            if let Some(what) = kind.prologue_name() {
                // Reported and skipped: the scene goes on, so the lines
                // after it are still parsed and checked.
                self.position += 1;
                if let Some(found) =
                    foreign::yarn_node_header(line.content, self.peek().map(|next| next.content))
                {
                    // Its `---` goes with it.
                    self.position += 1;
                    self.report(found.diagnostic(self.file, line.offset));
                    continue;
                }
                let from = self.position - 1;
                if kind == Kind::Function {
                    self.skip_deeper_than(indent);
                }
                // What it declared is lost with it: its uses are not news.
                self.broke(from, self.position);
                self.report(
                    Diagnostic::new(
                        Code::E0007,
                        line.span(self.file),
                        format!("{what} after the first scene"),
                    )
                    .with_help("move it above the first `==` scene line"),
                );
                continue;
            }
            self.position += 1;
            let span = line.span(self.file);
            let in_broken_if = broken_if;
            broken_if = match kind {
                Kind::Text => {
                    opens_block_without_colon(line.content).is_some_and(|word| word != "else")
                        && self.peek().is_some_and(|next| next.indent > indent)
                }
                Kind::Elif | Kind::Else => broken_if,
                _ => false,
            };
            if self.foreign(&line, kind, indent, depth) {
                continue;
            }
            match kind {
                Kind::Tag => {
                    if let Some(tag) = self.tag(&line) {
                        pending_tags.push(tag);
                    }
                    continue;
                }
                Kind::Text => {
                    let tags = std::mem::take(&mut pending_tags);
                    block.extend(self.text_line(&line, tags));
                }
                Kind::Logic => block.extend(self.logic_line(&line)),
                Kind::Assert => block.extend(self.assertion(&line)),
                Kind::Divert => block.extend(self.divert_line(&line)),
                Kind::If => {
                    let statement = self.conditional(line, indent, depth);
                    block.extend(statement);
                }
                Kind::Elif | Kind::Else if in_broken_if => {
                    self.body(&line, indent, depth);
                    self.broke_line(&line);
                }
                Kind::Elif | Kind::Else => {
                    self.report(
                        Diagnostic::new(
                            Code::E0008,
                            span,
                            format!(
                                "`{}` without an `if` before it",
                                if kind == Kind::Elif { "elif" } else { "else" }
                            ),
                        )
                        .with_help(
                            "an `elif` or `else` follows an `if` block at the same indentation",
                        ),
                    );
                    self.body(&line, indent, depth);
                    self.broke_line(&line);
                }
                Kind::Choice => {
                    self.position -= 1;
                    let choices = self.choices(indent, depth, std::mem::take(&mut pending_tags));
                    if !choices.is_empty() {
                        block.push(Stmt {
                            kind: StmtKind::Choices(choices),
                            span,
                        });
                    }
                }
                Kind::Scene
                | Kind::Test
                | Kind::Header
                | Kind::Include
                | Kind::Declaration
                | Kind::Invariant
                | Kind::Function => {
                    unreachable!("handled before the match")
                }
            }
        }
        if let Some(tag) = pending_tags.first() {
            self.report(
                Diagnostic::new(Code::E0007, tag.span, "a tag with no line to belong to")
                    .with_help("put a tag just above the text line or choice it describes"),
            );
        }
        block
    }

    pub(super) fn skip_deeper_than(&mut self, indent: usize) {
        while let Some(line) = self.peek() {
            if line.indent <= indent || classify(line.content).starts_chunk() {
                break;
            }
            self.position += 1;
        }
    }

    /// The indented block below `header`, or an empty one.
    fn body(&mut self, header: &Line, indent: usize, depth: usize) -> Block {
        let help = "move deeply nested content into a scene of its own";
        match self.body_indent(header, indent, depth, help) {
            Some(inner) => self.block(inner, depth + 1),
            None => Block::new(),
        }
    }

    /// The indent of the block below `header`, when there is one: a line
    /// indented deeper that starts no scene or test. A block nested
    /// [`MAX_DEPTH`] deep is reported (`E0005`, with `help`) and skipped.
    /// Scene bodies and function bodies nest alike.
    pub(super) fn body_indent(
        &mut self,
        header: &Line,
        indent: usize,
        depth: usize,
        help: &str,
    ) -> Option<usize> {
        let next = self.peek()?;
        if next.indent <= indent || starts_chunk(next.content) {
            return None;
        }
        if depth >= MAX_DEPTH {
            self.report(
                Diagnostic::new(
                    Code::E0005,
                    next.span(self.file),
                    format!("blocks nested deeper than {MAX_DEPTH} levels"),
                )
                .with_label(header.span(self.file), "this block is the limit")
                .with_help(help),
            );
            let from = self.position;
            self.skip_deeper_than(indent);
            self.broke(from, self.position);
            return None;
        }
        Some(next.indent)
    }

    /// `conditional := "if" expr ":" block ("elif" expr ":" block)* ("else" ":" block)?`
    fn conditional(&mut self, first: Line<'a>, indent: usize, depth: usize) -> Option<Stmt> {
        let start = self.position - 1;
        let next = |content: &str| match classify(content) {
            Kind::Elif => Some("elif"),
            Kind::Else => Some("else"),
            _ => None,
        };
        let (ok, branches, otherwise) = self.if_chain(first, indent, depth, Self::body, next);
        if !ok {
            // Every branch is lost with the one that did not parse.
            self.broke(start, self.position);
        }
        ok.then(|| Stmt {
            kind: StmtKind::If {
                branches,
                otherwise,
            },
            span: first.span(self.file),
        })
    }

    /// `choices := (tag* choice block)+`
    fn choices(&mut self, indent: usize, depth: usize, mut tags: Vec<Tag>) -> Vec<Choice> {
        let mut choices = Vec::new();
        loop {
            // Tags directly above the next choice belong to it.
            let mark = self.position;
            let mut lookahead_tags = Vec::new();
            while let Some(line) = self.peek() {
                if line.indent == indent && classify(line.content) == Kind::Tag {
                    self.position += 1;
                    lookahead_tags.push(line);
                } else {
                    break;
                }
            }
            let Some(line) = self.peek() else {
                self.position = mark;
                break;
            };
            if line.indent != indent || classify(line.content) != Kind::Choice {
                self.position = mark;
                break;
            }
            for tag_line in lookahead_tags {
                if let Some(tag) = self.tag(&tag_line) {
                    tags.push(tag);
                }
            }
            self.position += 1;
            if self.foreign_choice(&line, indent, depth) {
                tags.clear();
                continue;
            }
            let parsed = line::whole_line(self.input(&line), line::choice);
            let body = self.body(&line, indent, depth);
            match parsed {
                Ok(mut choice) => {
                    choice.body = body;
                    choice.tags = std::mem::take(&mut tags);
                    choice.span = line.span(self.file);
                    choices.push(choice);
                }
                Err(error) => {
                    self.error(&line, error, "in a choice");
                    tags.clear();
                }
            }
        }
        choices
    }
}

/// A text line without its trailing glue `<>`, and whether it had one
/// (`\\<>` is a literal `<>`).
fn glued(content: Input) -> (Input, bool) {
    let text = content.fragment();
    match text.strip_suffix("<>") {
        Some(before) if !before.ends_with('\\') => (nom::Input::take(&content, before.len()), true),
        _ => (content, false),
    }
}

/// Parses a file's text and returns only its tree, for tests and tools that
/// already know the text is valid.
pub fn parse_str(text: &str) -> (File, Vec<Diagnostic>) {
    let (_, tree, diagnostics) = parse_file(FileId(0), text.as_bytes());
    (tree, diagnostics)
}

/// The first word of a line, up to a space or the end.
fn first_word(content: &str) -> &str {
    content.split_whitespace().next().unwrap_or(content)
}
