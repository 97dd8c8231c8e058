//! The first, cheap pass over a file: decoded, split into lines, its
//! prologue parsed and its scenes and tests located, not yet parsed.

use super::block::FileParser;
use super::classify::{Kind, classify, starts_chunk};
use super::source::{self, Line, LineRecord, decode};
use super::{Input, Origin, line, recover};
use crate::ast::{self, File, Scene};
use crate::diagnostic::{Code, Diagnostic, FileId, Span};

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
    /// The choice lines with a label (`* (label) …`), in order.
    labelled: Vec<usize>,
    /// Problems found so far: encoding, comments, indentation, prologue.
    pub diagnostics: Vec<Diagnostic>,
    /// The comment-free text, when it differs from the file's text.
    blanked: Option<String>,
    lines: Vec<LineRecord>,
}

/// A scene found by the first pass.
#[derive(Debug)]
pub struct SceneOutline {
    /// What the declaration pass needs of the header; `None` when the
    /// header line does not parse (parsing the scene reports why).
    pub header: Option<HeaderOutline>,
    /// The header line.
    pub span: Span,
    /// How many lines the scene has, header included.
    pub line_count: usize,
    lines: std::ops::Range<usize>,
}

/// A scene header as the declaration pass reads it: where the name is,
/// whether the scene is an ending or a page, and its parameters. Kept for
/// every scene until the scenes are lowered, so it holds no text of its
/// own (the title is read again with the scene): a million-scene story
/// keeps a million of these.
#[derive(Debug)]
pub struct HeaderOutline {
    /// The scene's name, in the file's text.
    pub name: Span,
    /// A scene, an ending or a page.
    pub kind: ast::SceneKind,
    /// The parameters of a tunnel's header; mostly none.
    pub params: Box<[ast::Param]>,
}

impl HeaderOutline {
    fn new((name, kind, _, params): ast::SceneHeader) -> HeaderOutline {
        HeaderOutline {
            name: name.span,
            kind,
            params: params.into_boxed_slice(),
        }
    }
}

impl Outline {
    fn text<'t>(&'t self, original: &'t str) -> &'t str {
        self.blanked.as_deref().unwrap_or(original)
    }

    /// Parses scene `index`. `text` is the file's text, as in the source map.
    /// Returns the scene (`None` when its header does not parse), the
    /// problems found and what could be read of the lines that did not
    /// parse.
    pub fn parse_scene(
        &self,
        text: &str,
        index: usize,
    ) -> (Option<Scene>, Vec<Diagnostic>, Vec<ast::Broken>) {
        let text = self.text(text);
        let records = &self.lines[self.scenes[index].lines.clone()];
        let lines: Vec<Line> = records.iter().map(|record| record.line(text)).collect();
        let mut parser = FileParser {
            file: self.file,
            lines: &lines,
            position: 0,
            diagnostics: Vec::new(),
            broken: Vec::new(),
        };
        // The outline cut the scene from its header line to the next
        // scene's or test's: one scene, and nothing after it.
        let scene = parser.scene();
        debug_assert_eq!(parser.position, lines.len());
        (scene, parser.diagnostics, parser.broken)
    }

    /// The labels of scene `index`'s choices (`* (label) …`), in order,
    /// read from its choice lines without parsing the scene: the
    /// declaration pass needs every scene's labels before any scene is
    /// lowered, since `taken(scene.label)` may name a later scene.
    pub fn choice_labels(&self, text: &str, index: usize) -> Vec<ast::Ident> {
        let text = self.text(text);
        let mut labels = Vec::new();
        // The scene's labelled choice lines, found when the file was split
        // into lines.
        let lines = &self.scenes[index].lines;
        let first = self.labelled.partition_point(|&line| line < lines.start);
        let last = self.labelled.partition_point(|&line| line < lines.end);
        for &line in &self.labelled[first..last] {
            let line = self.lines[line].line(text);
            let Some(skipped) = label_after(line.content) else {
                continue;
            };
            let input = Input::new_extra(
                &line.content[skipped..],
                Origin {
                    file: self.file,
                    base: line.offset + skipped,
                },
            );
            if let Ok((_, label)) = line::choice_label(input) {
                labels.push(label);
            }
        }
        labels
    }

    /// Parses every test block in the file; also returns the problems
    /// found and what could be read of the lines that did not parse.
    pub fn parse_tests(
        &self,
        text: &str,
    ) -> (Vec<ast::TestBlock>, Vec<Diagnostic>, Vec<ast::Broken>) {
        let text = self.text(text);
        let mut tests = Vec::new();
        let mut diagnostics = Vec::new();
        let mut broken = Vec::new();
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
                broken: Vec::new(),
            };
            let tree = parser.file();
            tests.extend(tree.tests);
            diagnostics.extend(parser.diagnostics);
            broken.extend(tree.broken);
        }
        (tests, diagnostics, broken)
    }
}

/// Where the label of a choice line (`* (label) …`) starts in its content;
/// `None` for any other line. Most lines are told apart by their first
/// byte.
fn label_after(content: &str) -> Option<usize> {
    let after = content.strip_prefix(['*', '+'])?.trim_start();
    after.starts_with('(').then(|| content.len() - after.len())
}

/// The first pass over a file: see [`Outline`]. Returns the decoded text
/// (for the source map) and the outline.
pub fn outline(file: FileId, bytes: Vec<u8>) -> (String, Outline) {
    let (text, mut diagnostics) = decode_owned(file, bytes);
    let blanked = match source::blank_comments(file, &text, &mut diagnostics) {
        std::borrow::Cow::Borrowed(_) => None,
        std::borrow::Cow::Owned(blanked) => Some(blanked),
    };
    // A block comment that never ends swallows the rest of the file.
    let swallowed = diagnostics
        .iter()
        .find(|d| d.code == Code::E0006)
        .map(|d| recover::swallowed(file, &text, d.span.start as usize));
    let comment_free = blanked.as_deref().unwrap_or(&text);
    // Where each scene or test starts (found with the lines, so the scene
    // table is allocated once at its size), and which choices have labels.
    let (mut chunk_starts, mut labelled) = (Vec::new(), Vec::new());
    let lines = source::lines(file, comment_free, &mut diagnostics, |index, content| {
        if starts_chunk(content) {
            chunk_starts.push(index);
        } else if label_after(content).is_some() {
            labelled.push(index);
        }
    });
    let first_scene = chunk_starts.first().copied().unwrap_or(lines.len());
    let prologue_lines: Vec<Line> = lines[..first_scene]
        .iter()
        .map(|record| record.line(comment_free))
        .collect();
    let mut parser = FileParser {
        file,
        lines: &prologue_lines,
        position: 0,
        diagnostics: Vec::new(),
        broken: Vec::new(),
    };
    let mut prologue = parser.file();
    prologue.broken.extend(swallowed);
    diagnostics.extend(parser.diagnostics);
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
            header: match super::plain::scene_name(input) {
                Some(name) => Some(HeaderOutline {
                    name,
                    kind: ast::SceneKind::Scene,
                    params: Box::default(),
                }),
                None => line::whole_line(input, line::scene_header)
                    .ok()
                    .map(HeaderOutline::new),
            },
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
        labelled,
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
