//! Source text → syntax tree, reporting every error and never giving up.
//!
//! Work goes in three steps: `source` turns bytes into indented lines with
//! comments removed; each line is classified by its marker and parsed by the
//! nom parsers in `line`, `expr` and `text`; and [`parse_file`] nests
//! the lines into blocks by indentation. A line that fails to parse is
//! reported and skipped, so one run reports every bad line.

mod expr;
mod line;
mod source;
mod text;

use std::borrow::Cow;

use nom::error::{ErrorKind, ParseError};
use nom_locate::LocatedSpan;

use crate::ast::{self, Block, Choice, Decl, File, MAX_DEPTH, Scene, Stmt, StmtKind, Tag};
use crate::diagnostic::{Code, Diagnostic, FileId, Span};
use source::{Line, LineRecord};

pub use source::decode;

/// Parser input: a slice of one line, knowing its file and where the line
/// starts in it.
pub type Input<'a> = LocatedSpan<&'a str, Origin>;

/// Where a line's input comes from. Each line gets its own input (offsets
/// are `base` plus the position in the line) because nom_locate counts the
/// newlines it skips, and slicing the whole file for every line would be
/// quadratic.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    pub file: FileId,
    pub base: usize,
}

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

/// The parser's error: where, what was expected, and how to say it.
#[derive(Debug, Clone)]
pub struct PError {
    pub offset: usize,
    pub file: FileId,
    pub expected: Cow<'static, str>,
    pub code: Code,
    pub message: Option<String>,
    pub help: Option<String>,
}

impl PError {
    pub fn at(input: Input, expected: impl Into<Cow<'static, str>>) -> PError {
        PError {
            offset: pos(&input),
            file: input.extra.file,
            expected: expected.into(),
            code: Code::E0002,
            message: None,
            help: None,
        }
    }

    /// Renames what was expected, keeping the position.
    pub fn expecting(mut self, what: &'static str) -> PError {
        if self.code == Code::E0002 && self.message.is_none() {
            self.expected = what.into();
        }
        self
    }

    pub fn with_code(mut self, code: Code) -> PError {
        self.code = code;
        self
    }

    pub fn with_message(mut self, message: String) -> PError {
        self.message = Some(message);
        self
    }

    pub fn with_help(mut self, help: &str) -> PError {
        self.help = Some(help.to_string());
        self
    }

    fn into_diagnostic(self, line_end: usize, context: &str) -> Diagnostic {
        let end = (self.offset + 1).min(line_end).max(self.offset);
        let message = self
            .message
            .unwrap_or_else(|| format!("expected {} {context}", self.expected));
        let mut diagnostic =
            Diagnostic::new(self.code, Span::new(self.file, self.offset, end), message);
        diagnostic.help = self.help;
        diagnostic
    }
}

impl<'a> ParseError<Input<'a>> for PError {
    fn from_error_kind(input: Input<'a>, kind: ErrorKind) -> PError {
        let expected = match kind {
            ErrorKind::Char | ErrorKind::Tag => "something else",
            ErrorKind::Eof => "the end of the line",
            _ => "valid syntax",
        };
        PError::at(input, expected)
    }

    fn append(_: Input<'a>, _: ErrorKind, other: PError) -> PError {
        other
    }

    fn or(self, other: PError) -> PError {
        if other.offset >= self.offset {
            other
        } else {
            self
        }
    }
}

/// What a line is, from its first characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scene,
    Choice,
    Divert,
    Logic,
    Assert,
    Tag,
    If,
    Elif,
    Else,
    Header,
    Include,
    Declaration,
    Invariant,
    Test,
    Text,
}

impl Kind {
    /// Whether a line of this kind starts a new top-level chunk (a scene or
    /// a test), ending whatever came before it.
    fn starts_chunk(self) -> bool {
        matches!(self, Kind::Scene | Kind::Test)
    }
}

/// Whether a line starts a scene or a test: [`Kind::starts_chunk`] of its
/// kind, with the common case (neither) decided by its first byte.
fn starts_chunk(content: &str) -> bool {
    match content.as_bytes().first() {
        Some(b'=' | b't') => classify(content).starts_chunk(),
        _ => false,
    }
}

/// `Title: Big` or `author = me`: a header key in another case, or with
/// `=`; the key as it should be, and the value.
fn misspelt_header(content: &str) -> Option<(&'static str, &str)> {
    ["title", "author", "start", "about"]
        .into_iter()
        .find_map(|key| {
            let head = content.get(..key.len())?;
            if !head.eq_ignore_ascii_case(key) {
                return None;
            }
            let rest = content[key.len()..].trim_start();
            let value = rest.strip_prefix(':').or_else(|| rest.strip_prefix('='))?;
            Some((key, value.trim()))
        })
}

/// `test two:` or `test "three"` (no quotes, or no colon): the header as
/// it should be written.
fn test_header_written_another_way(content: &str) -> Option<String> {
    let rest = content.strip_prefix("test")?;
    if !rest.starts_with([' ', '\t', '"']) {
        return None;
    }
    let body = rest.trim().trim_end_matches(':').trim_end();
    if body.is_empty() {
        return None;
    }
    if body.starts_with('"') {
        return Some(format!("test {body}:"));
    }
    let (name, from) = match body.split_once(" from ") {
        Some((name, scene)) => (name.trim(), format!(" from {}", scene.trim())),
        None => (body, String::new()),
    };
    Some(format!("test \"{name}\"{from}:"))
}

/// The keyword of a text line that reads like `if`, `elif` or `else`
/// without the `:` that would make it one.
fn opens_block_without_colon(content: &str) -> Option<&'static str> {
    if content.ends_with(':') {
        return None;
    }
    ["if", "elif", "else"].into_iter().find(|keyword| {
        content
            .strip_prefix(keyword)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '(']))
    })
}

fn classify(content: &str) -> Kind {
    let starts_word = |word: &str| {
        content.strip_prefix(word).is_some_and(|rest| {
            rest.starts_with([' ', '\t', '(', ':', '{', '"']) || rest.is_empty()
        })
    };
    if content.starts_with("==") {
        Kind::Scene
    } else if starts_word("test")
        && content.ends_with(':')
        && content[4..].trim_start().starts_with('"')
    {
        Kind::Test
    } else if content.starts_with(['*', '+']) {
        Kind::Choice
    } else if content.starts_with("->") {
        Kind::Divert
    } else if content.starts_with('~') {
        Kind::Logic
    } else if content.starts_with('#') {
        Kind::Tag
    } else if starts_word("if") && content.ends_with(':') {
        Kind::If
    } else if starts_word("elif") && content.ends_with(':') {
        Kind::Elif
    } else if starts_word("else") && content.ends_with(':') {
        Kind::Else
    } else if ["title", "author", "start", "about"].iter().any(|key| {
        content
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    }) {
        Kind::Header
    } else if starts_word("include") {
        Kind::Include
    } else if starts_word("const") || starts_word("var") || starts_word("enum") {
        Kind::Declaration
    } else if starts_word("invariant") {
        Kind::Invariant
    } else if starts_word("assert") {
        Kind::Assert
    } else {
        Kind::Text
    }
}

/// A file after its first, cheap pass: decoded, comments removed, split into
/// lines, its prologue (headers, includes, declarations) parsed, and its
/// scenes found by their header lines but not yet parsed. Scenes are parsed
/// one at a time with [`Outline::parse_scene`], so a story's whole syntax
/// tree never needs to exist at once.
#[derive(Debug)]
pub struct Outline {
    pub file: FileId,
    /// Headers, includes and declarations; `scenes` is empty.
    pub prologue: File,
    pub scenes: Vec<SceneOutline>,
    /// The test blocks, by their lines.
    tests: Vec<std::ops::Range<usize>>,
    /// Problems found so far: encoding, comments, indentation, prologue.
    pub diagnostics: Vec<Diagnostic>,
    /// The comment-free text, when it differs from the file's text.
    blanked: Option<String>,
    lines: Vec<LineRecord>,
}

/// A scene found by the first pass.
#[derive(Debug)]
pub struct SceneOutline {
    /// The header's id, whether it is an ending, and its title; `None` when
    /// the header line does not parse (parsing the scene reports why).
    pub header: Option<(ast::Ident, bool, Option<String>)>,
    /// The header line.
    pub span: Span,
    /// How many lines the scene has, header included.
    pub line_count: usize,
    lines: std::ops::Range<usize>,
}

impl Outline {
    fn text<'t>(&'t self, original: &'t str) -> &'t str {
        self.blanked.as_deref().unwrap_or(original)
    }

    /// Parses scene `index`. `text` is the file's text, as in the source map.
    pub fn parse_scene(&self, text: &str, index: usize) -> (Option<Scene>, Vec<Diagnostic>) {
        let text = self.text(text);
        let records = &self.lines[self.scenes[index].lines.clone()];
        let lines: Vec<Line> = records.iter().map(|record| record.line(text)).collect();
        let mut parser = FileParser {
            file: self.file,
            lines: &lines,
            position: 0,
            diagnostics: Vec::new(),
        };
        let mut tree = parser.file();
        (tree.scenes.pop(), parser.diagnostics)
    }

    /// Parses every test block in the file.
    pub fn parse_tests(&self, text: &str) -> (Vec<ast::TestBlock>, Vec<Diagnostic>) {
        let text = self.text(text);
        let mut tests = Vec::new();
        let mut diagnostics = Vec::new();
        for range in &self.tests {
            let lines: Vec<Line> = self.lines[range.clone()]
                .iter()
                .map(|record| record.line(text))
                .collect();
            let mut parser = FileParser {
                file: self.file,
                lines: &lines,
                position: 0,
                diagnostics: Vec::new(),
            };
            let tree = parser.file();
            tests.extend(tree.tests);
            diagnostics.extend(parser.diagnostics);
        }
        (tests, diagnostics)
    }
}

/// The first pass over a file: see [`Outline`]. Returns the decoded text
/// (for the source map) and the outline.
pub fn outline(file: FileId, bytes: Vec<u8>) -> (String, Outline) {
    let (text, mut diagnostics) = decode_owned(file, bytes);
    let blanked = match source::blank_comments(file, &text, &mut diagnostics) {
        std::borrow::Cow::Borrowed(_) => None,
        std::borrow::Cow::Owned(blanked) => Some(blanked),
    };
    let comment_free = blanked.as_deref().unwrap_or(&text);
    let lines = source::lines(file, comment_free, &mut diagnostics);
    let starts_chunk = |record: &LineRecord| starts_chunk(record.line(comment_free).content);
    let first_scene = lines.iter().position(starts_chunk).unwrap_or(lines.len());
    let prologue_lines: Vec<Line> = lines[..first_scene]
        .iter()
        .map(|record| record.line(comment_free))
        .collect();
    let mut parser = FileParser {
        file,
        lines: &prologue_lines,
        position: 0,
        diagnostics: Vec::new(),
    };
    let prologue = parser.file();
    diagnostics.extend(parser.diagnostics);
    // Where each scene or test starts, found first so the scene table is
    // allocated once at its size.
    let chunk_starts: Vec<usize> = (first_scene..lines.len())
        .filter(|&index| starts_chunk(&lines[index]))
        .collect();
    let mut scenes = Vec::with_capacity(chunk_starts.len());
    let mut tests = Vec::new();
    for (chunk, &start) in chunk_starts.iter().enumerate() {
        let end = chunk_starts.get(chunk + 1).copied().unwrap_or(lines.len());
        let line = lines[start].line(comment_free);
        if classify(line.content) == Kind::Test {
            tests.push(start..end);
            continue;
        }
        let input = Input::new_extra(
            line.content,
            Origin {
                file,
                base: line.offset,
            },
        );
        scenes.push(SceneOutline {
            header: line::whole_line(input, line::scene_header).ok(),
            span: line.span(file),
            line_count: end - start,
            lines: start..end,
        });
    }
    let outline = Outline {
        file,
        prologue,
        scenes,
        tests,
        diagnostics,
        blanked,
        lines,
    };
    (text, outline)
}

/// Decodes bytes it owns, without copying them when they are valid UTF-8.
fn decode_owned(file: FileId, bytes: Vec<u8>) -> (String, Vec<Diagnostic>) {
    let has_bom = bytes.starts_with(b"\xEF\xBB\xBF");
    if !has_bom {
        match String::from_utf8(bytes) {
            Ok(text) => return (text, Vec::new()),
            Err(error) => return decode(file, error.as_bytes()),
        }
    }
    decode(file, &bytes)
}

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
        let (scene, found) = outline.parse_scene(&text, index);
        tree.scenes.extend(scene);
        diagnostics.extend(found);
    }
    let (tests, found) = outline.parse_tests(&text);
    tree.tests = tests;
    diagnostics.extend(found);
    diagnostics.sort_by_key(|d| (d.span.start, d.code));
    (text, tree, diagnostics)
}

struct FileParser<'a> {
    file: FileId,
    lines: &'a [Line<'a>],
    position: usize,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> FileParser<'a> {
    fn input(&self, line: &Line<'a>) -> Input<'a> {
        Input::new_extra(
            line.content,
            Origin {
                file: self.file,
                base: line.offset,
            },
        )
    }

    fn error(&mut self, line: &Line, error: PError, context: &str) {
        let line_end = line.offset + line.content.len();
        self.diagnostics
            .push(error.into_diagnostic(line_end, context));
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.position).copied()
    }

    /// `file := prologue scene*`
    /// `prologue := (header | include | declaration)*`
    fn file(&mut self) -> File {
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
                _ => {
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
    fn scene(&mut self) -> Option<Scene> {
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
            Ok((name, is_ending, title)) => Some(Scene {
                name,
                title,
                is_ending,
                tags,
                body,
                span: line.span(self.file),
            }),
            Err(error) => {
                self.error(&line, error, "in a scene header");
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
        let mut block = Block::new();
        let mut pending_tags: Vec<Tag> = Vec::new();
        while let Some(line) = self.peek() {
            let kind = classify(line.content);
            if kind.starts_chunk() || line.indent < indent {
                break;
            }
            if line.indent > indent {
                let diagnostic = self.misplaced_indentation(line, indent);
                self.report(diagnostic);
                self.skip_deeper_than(indent);
                continue;
            }
            let prologue = match kind {
                Kind::Header => Some("a header"),
                Kind::Include => Some("an include"),
                Kind::Declaration => Some("a declaration"),
                Kind::Invariant => Some("an invariant"),
                _ => None,
            };
            if let Some(what) = prologue {
                // Reported and skipped: the scene goes on, so the lines
                // after it are still parsed and checked.
                self.position += 1;
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
            let input = self.input(&line);
            match kind {
                Kind::Tag => {
                    if let Some(tag) = self.tag(&line) {
                        pending_tags.push(tag);
                    }
                    continue;
                }
                Kind::Text => {
                    let content = input;
                    let content = if line.content.starts_with('\\')
                        && line.content[1..].starts_with(|c: char| c.is_alphabetic())
                    {
                        nom::Input::take_from(&content, 1)
                    } else {
                        content
                    };
                    match line::whole_line(content, |i| text::text(i, text::Until::LineEnd, 0)) {
                        Ok(text) => block.push(Stmt {
                            kind: StmtKind::Text {
                                text,
                                tags: std::mem::take(&mut pending_tags),
                            },
                            span,
                        }),
                        Err(error) => self.error(&line, error, "in text"),
                    }
                }
                Kind::Logic => match line::whole_line(input, line::logic) {
                    Ok((target, op, value)) => block.push(Stmt {
                        kind: StmtKind::Assign { target, op, value },
                        span,
                    }),
                    Err(error) => self.error(&line, error, "in a logic line"),
                },
                Kind::Assert => block.extend(self.assertion(&line)),
                Kind::Divert => match line::whole_line(input, line::divert) {
                    Ok(divert) => block.push(Stmt {
                        kind: StmtKind::Divert(divert),
                        span,
                    }),
                    Err(error) => self.error(&line, error, "in a divert"),
                },
                Kind::If => {
                    let statement = self.conditional(line, indent, depth);
                    block.extend(statement);
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
                | Kind::Invariant => {
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

    fn skip_deeper_than(&mut self, indent: usize) {
        while let Some(line) = self.peek() {
            if line.indent <= indent || classify(line.content).starts_chunk() {
                break;
            }
            self.position += 1;
        }
    }

    /// The indented block below `header`, or an empty one.
    fn body(&mut self, header: &Line, indent: usize, depth: usize) -> Block {
        let Some(next) = self.peek() else {
            return Block::new();
        };
        if next.indent <= indent || classify(next.content).starts_chunk() {
            return Block::new();
        }
        if depth >= MAX_DEPTH {
            self.report(
                Diagnostic::new(
                    Code::E0005,
                    next.span(self.file),
                    format!("blocks nested deeper than {MAX_DEPTH} levels"),
                )
                .with_label(header.span(self.file), "this block is the limit")
                .with_help("move deeply nested content into a scene of its own"),
            );
            self.skip_deeper_than(indent);
            return Block::new();
        }
        self.block(next.indent, depth + 1)
    }

    /// `conditional := "if" expr ":" block ("elif" expr ":" block)* ("else" ":" block)?`
    fn conditional(&mut self, first: Line<'a>, indent: usize, depth: usize) -> Option<Stmt> {
        let mut ok = true;
        let mut branches = Vec::new();
        let mut otherwise = None;
        let mut line = first;
        let mut word = "if";
        loop {
            let input = self.input(&line);
            if word == "else" {
                if let Err(error) = line::whole_line(input, line::else_line) {
                    self.error(&line, error, "after `else`");
                    ok = false;
                }
                otherwise = Some(self.body(&line, indent, depth));
                break;
            }
            let condition = line::whole_line(input, line::condition(word));
            let body = self.body(&line, indent, depth);
            match condition {
                Ok(condition) => branches.push((condition, body)),
                Err(error) => {
                    self.error(&line, error, &format!("in an `{word}` line"));
                    ok = false;
                }
            }
            match self.peek() {
                Some(next) if next.indent == indent => match classify(next.content) {
                    Kind::Elif => word = "elif",
                    Kind::Else => word = "else",
                    _ => break,
                },
                _ => break,
            }
            line = self.peek().expect("peeked above");
            self.position += 1;
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

/// Parses a file's text and returns only its tree, for tests and tools that
/// already know the text is valid.
pub fn parse_str(text: &str) -> (File, Vec<Diagnostic>) {
    let (_, tree, diagnostics) = parse_file(FileId(0), text.as_bytes());
    (tree, diagnostics)
}

impl Decl {
    pub fn name(&self) -> &ast::Ident {
        match self {
            Decl::Const { name, .. } | Decl::Var { name, .. } | Decl::Enum { name, .. } => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
