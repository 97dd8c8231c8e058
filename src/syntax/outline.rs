//! The first, cheap pass over a file: decoded, split into lines, its
//! prologue parsed and its scenes and tests located, not yet parsed.

use std::sync::Arc;

use super::block::FileParser;
use super::classify::{Kind, classify, starts_chunk};
use super::source::{self, Indentation, Line, LineRecord, decode};
use super::{Input, Origin, line, recover};
use crate::ast::{self, File, Scene};
use crate::diagnostic::{Code, Diagnostic, FileId, Span};
use crate::parallel::Helper;

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
    /// The comment-free text, when it differs from the file's text
    /// (shared by the two outlines of a file outlined in two parts).
    blanked: Option<Arc<String>>,
    /// How many of the file's bytes it covers (all of them, unless the file
    /// was outlined in two parts).
    pub bytes: usize,
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
        self.blanked.as_deref().map_or(original, String::as_str)
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
    let (text, mut parts) = outline_parts(file, bytes, None, SPLIT_BYTES);
    // One part without a helper.
    let outline = parts.swap_remove(0);
    (text, outline)
}

/// Files at least this big are outlined in two parts when there is a
/// helper thread (see [`outline_parts`]): on the generated 10,000-scene
/// story (3.5 MB) that took the outline from 2.8 to 2.2 ms (medians of 20
/// interleaved runs with phase clocks).
pub(crate) const SPLIT_BYTES: usize = 1 << 20;

/// [`outline`], in two parts for a file of at least `split_bytes` when
/// there is a `helper` thread: from the first scene header past the
/// middle on, the helper splits the lines and finds the scenes, as a
/// second outline of the same file (the passes after take it as they take
/// a file's outline: by its scenes, in order). Returns the decoded text
/// and the outlines, in the file's order.
pub(crate) fn outline_parts(
    file: FileId,
    bytes: Vec<u8>,
    helper: Option<&Helper>,
    split_bytes: usize,
) -> (String, Vec<Outline>) {
    let (text, mut diagnostics) = decode_owned(file, bytes);
    let blanked = match source::blank_comments(file, &text, &mut diagnostics) {
        std::borrow::Cow::Borrowed(_) => None,
        std::borrow::Cow::Owned(blanked) => Some(Arc::new(blanked)),
    };
    // A block comment that never ends swallows the rest of the file.
    let swallowed = diagnostics
        .iter()
        .find(|d| d.code == Code::E0006)
        .map(|d| recover::swallowed(file, &text, d.span.start as usize));
    // Shared (not copied) with the helper when there is one.
    let text = Arc::new(text);
    let shared = blanked.clone().unwrap_or_else(|| Arc::clone(&text));
    let comment_free = shared.as_str();
    let split = match helper {
        Some(helper) if swallowed.is_none() && comment_free.len() >= split_bytes => {
            split_point(comment_free).map(|at| (helper, at))
        }
        _ => None,
    };
    let Some((helper, at)) = split else {
        let mut indentation = Indentation::default();
        let whole = Part::of(
            file,
            comment_free,
            0..comment_free.len(),
            &mut indentation,
            &mut diagnostics,
        );
        let outline = whole.into_outline(file, comment_free, diagnostics, blanked, swallowed);
        drop(shared);
        return (Arc::unwrap_or_clone(text), vec![outline]);
    };
    // What the helper reads: the comment-free text.
    let later_text = Arc::clone(&shared);
    let ((first, first_indentation, mut first_found), (later, later_indentation, later_found)) =
        crate::parallel::both_on(
            Some(helper),
            || {
                let (mut indentation, mut found) = (Indentation::default(), Vec::new());
                let part = Part::of(file, comment_free, 0..at, &mut indentation, &mut found);
                (part, indentation, found)
            },
            move || {
                let (mut indentation, mut found) = (Indentation::default(), Vec::new());
                let range = at..later_text.len();
                let part = Part::of(file, &later_text, range, &mut indentation, &mut found);
                drop(later_text);
                (part, indentation, found)
            },
        );
    // The second part's lines were measured as if the file's first
    // indented line were among them. That is so, or changes nothing, unless
    // the first part has an indented line and the second part's use
    // another character or mix them; then they are measured again.
    let stands = first_indentation.character().is_none()
        || (later_indentation
            .character()
            .is_none_or(|character| first_indentation.character() == Some(character))
            && !later_found.iter().any(|d| d.code == Code::E0003));
    let (later, later_found) = if stands {
        (later, later_found)
    } else {
        let (mut indentation, mut found) = (first_indentation, Vec::new());
        let part = Part::of(
            file,
            comment_free,
            at..comment_free.len(),
            &mut indentation,
            &mut found,
        );
        (part, found)
    };
    diagnostics.append(&mut first_found);
    let first = first.into_outline(file, comment_free, diagnostics, blanked.clone(), swallowed);
    let later = later.into_outline(file, comment_free, later_found, blanked, None);
    drop(shared);
    // The helper let go of its share before it returned.
    (Arc::unwrap_or_clone(text), vec![first, later])
}

/// Where a big file is split for [`outline_parts`]: the first scene header
/// (`==` starting a line) past the middle, if any.
fn split_point(text: &str) -> Option<usize> {
    let middle = text.len() / 2;
    let at = middle + memchr::memmem::find(&text.as_bytes()[middle..], b"\n==")? + 1;
    let line = text[at..].lines().next()?;
    starts_chunk(line.trim_end()).then_some(at)
}

/// The lines of a part of a file, with where its scenes and tests start
/// and which of its choices have labels (indices into `lines`).
struct Part {
    lines: Vec<LineRecord>,
    chunk_starts: Vec<usize>,
    labelled: Vec<usize>,
    /// The part's bytes, for the lowering's guess at its arenas.
    bytes: usize,
}

impl Part {
    fn of(
        file: FileId,
        comment_free: &str,
        range: std::ops::Range<usize>,
        indentation: &mut Indentation,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Part {
        // Where each scene or test starts (found with the lines, so the
        // scene table is allocated once at its size), and which choices
        // have labels.
        let (mut chunk_starts, mut labelled) = (Vec::new(), Vec::new());
        let bytes = range.len();
        let lines = source::lines_in(
            file,
            comment_free,
            range,
            indentation,
            diagnostics,
            |index, content| {
                if starts_chunk(content) {
                    chunk_starts.push(index);
                } else if label_after(content).is_some() {
                    labelled.push(index);
                }
            },
        );
        Part {
            lines,
            chunk_starts,
            labelled,
            bytes,
        }
    }

    /// The part's outline: its prologue (the lines before its first scene
    /// or test) parsed, its scenes found by their headers.
    fn into_outline(
        self,
        file: FileId,
        comment_free: &str,
        mut diagnostics: Vec<Diagnostic>,
        blanked: Option<Arc<String>>,
        swallowed: Option<ast::Broken>,
    ) -> Outline {
        let Part {
            lines,
            chunk_starts,
            labelled,
            bytes,
        } = self;
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
        Outline {
            file,
            prologue,
            scenes,
            tests,
            labelled,
            diagnostics,
            blanked,
            lines,
            bytes,
        }
    }
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
