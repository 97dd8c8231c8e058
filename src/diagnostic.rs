//! Source files, spans and diagnostics: what every stage reports problems with.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// The file it is in.
    pub file: FileId,
    /// The first byte.
    pub start: u32,
    /// The byte after the last; equal to `start` for an empty span.
    pub end: u32,
}

impl Span {
    /// The span from byte `start` to byte `end` of `file`; an `end` before
    /// `start` gives the empty span at `start`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The span as a byte range, for slicing its file's text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One loaded source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as given or found, used in messages.
    pub path: PathBuf,
    /// The text, with any byte-order mark removed. Invalid UTF-8 was replaced.
    pub text: String,
    /// Byte offset of the start of every line, found the first time a
    /// position is located: a clean check never needs it.
    line_starts: OnceLock<Vec<usize>>,
    /// How many characters start before each [`CHECKPOINT`]-byte block,
    /// found the first time a column is counted, so counting a column costs
    /// at most one block however long its line is.
    char_checkpoints: OnceLock<Vec<usize>>,
}

/// The block size of [`SourceFile`]'s character checkpoints.
const CHECKPOINT: usize = 4096;

/// Whether a byte starts a character (is not a UTF-8 continuation byte).
fn starts_char(byte: &u8) -> bool {
    (*byte as i8) >= -0x40
}

impl SourceFile {
    /// A file with its path and text; lines and columns are indexed the
    /// first time they are asked for.
    pub fn new(path: PathBuf, text: String) -> SourceFile {
        SourceFile {
            path,
            text,
            line_starts: OnceLock::new(),
            char_checkpoints: OnceLock::new(),
        }
    }

    /// How many characters start before byte `offset`, in time bounded by
    /// [`CHECKPOINT`]: columns were counted from the line's start, so many
    /// diagnostics on one long line were quadratic (issue #10).
    pub(crate) fn chars_before(&self, offset: usize) -> usize {
        let bytes = self.text.as_bytes();
        let checkpoints = self.char_checkpoints.get_or_init(|| {
            let mut total = 0;
            let mut checkpoints = Vec::with_capacity(bytes.len() / CHECKPOINT + 1);
            for block in bytes.chunks(CHECKPOINT) {
                checkpoints.push(total);
                total += block.iter().filter(|byte| starts_char(byte)).count();
            }
            checkpoints.push(total);
            checkpoints
        });
        let offset = offset.min(bytes.len());
        let block = offset / CHECKPOINT;
        checkpoints[block]
            + bytes[block * CHECKPOINT..offset]
                .iter()
                .filter(|byte| starts_char(byte))
                .count()
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(index, _)| index + 1))
                .collect()
        })
    }

    /// 0-based line index holding `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts().binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts()[line];
        let end = floor_char_boundary(&self.text, offset);
        let column = self.chars_before(end) - self.chars_before(start);
        (line + 1, column + 1)
    }

    /// The byte range of the 0-based line `line`, with its line ending.
    pub fn line_bounds(&self, line: usize) -> (usize, usize) {
        let line_starts = self.line_starts();
        let start = line_starts[line];
        let end = line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        (start, end)
    }

    /// The text of the 0-based line `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let line_starts = self.line_starts();
        let start = line_starts[line];
        let end = line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Every file a check has loaded, addressed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a file and returns its id: the next index, even when a file with
    /// the same path is already there.
    pub fn add(&mut self, path: PathBuf, text: String) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(path, text));
        id
    }

    /// The file with this id.
    ///
    /// # Panics
    ///
    /// When `id` was not returned by this map's [`SourceMap::add`].
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The first file added with exactly this path.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|file| file.path == path)
            .map(|index| FileId(index as u32))
    }

    /// How many files were added.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file was added.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// How serious a diagnostic is: an error stops a story from compiling, a
/// warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The story does not compile; `fabula check` exits 1.
    Error,
    /// The story compiles and plays; `fabula check` still reports it.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A secondary location with its own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there.
    pub message: String,
}

/// One problem found in a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code, which decides its severity.
    pub code: Code,
    /// The one-line message, without the code.
    pub message: String,
    /// Where the problem is.
    pub span: Span,
    /// Other places that explain it.
    pub labels: Vec<Label>,
    /// A suggestion of how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a message at a span, without labels or help.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span,
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds the suggestion of how to fix it.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary location with its message.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Whether it is an error or a warning: its code's severity.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $code:ident = $severity:ident, $title:literal; )*) => {
        /// Stable diagnostic codes. `E` codes are errors, `W` codes warnings,
        /// except E0304 and E0305: warnings that kept their codes, so a draft
        /// with unfinished branches plays (issue #15).
        /// `docs/DIAGNOSTICS.md` shows a story that triggers each one, and
        /// `tests/check/` holds a test story for each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[$doc])* $code, )*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$code),*];

            /// The code as written in reports: `E0104`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$code => stringify!($code), )* }
            }

            /// Whether the code is an error or a warning.
            pub fn severity(self) -> Severity {
                match self { $( Code::$code => Severity::$severity, )* }
            }

            /// A short name for the problem, as used in the docs' index.
            pub fn title(self) -> &'static str {
                match self { $( Code::$code => $title, )* }
            }

            /// The code written as `E0104` (any case), if there is one.
            pub fn parse(text: &str) -> Option<Code> {
                Code::ALL
                    .iter()
                    .copied()
                    .find(|code| code.as_str().eq_ignore_ascii_case(text.trim()))
            }

            /// This code's section of `docs/DIAGNOSTICS.md` (built into the
            /// binary): what it means, a story that triggers it, what the
            /// checker prints for it, and how to fix it.
            pub fn explanation(self) -> &'static str {
                let heading = format!("\n## {}: ", self.as_str());
                let Some(start) = DIAGNOSTICS_PAGE.find(&heading) else {
                    return "";
                };
                let section = &DIAGNOSTICS_PAGE[start + 1..];
                let end = section.find("\n## ").map_or(section.len(), |end| end + 1);
                section[..end].trim_end()
            }
        }
    };
}

/// The page every code is explained on; `tests/docs.rs` keeps it true.
const DIAGNOSTICS_PAGE: &str = include_str!("../docs/DIAGNOSTICS.md");

codes! {
    /// The file is not valid UTF-8: `\xff` anywhere.
    E0001 = Error, "invalid UTF-8";
    /// A line that does not parse: `~ x = = 1`.
    E0002 = Error, "syntax error";
    /// Indentation that mixes tabs and spaces.
    E0003 = Error, "tabs mixed with spaces";
    /// A line indented where no block opens, or dedented to no enclosing level.
    E0004 = Error, "bad indentation";
    /// Blocks, expressions or markup nested deeper than 256 levels.
    E0005 = Error, "nesting too deep";
    /// `/*` without `*/`, `{` without `}`, `"` without `"`.
    E0006 = Error, "unterminated construct";
    /// A header, include or declaration after the first scene, text before it,
    /// or a header in an included file.
    E0007 = Error, "misplaced line";
    /// `elif` or `else` with no `if` before it.
    E0008 = Error, "`elif` or `else` without `if`";
    /// A scene id used twice: `== gorki` … `== gorki`.
    E0101 = Error, "duplicate scene";
    /// A variable, constant, enum, enum value, function, parameter or temp declared twice.
    E0102 = Error, "duplicate name";
    /// A name used in an expression that is declared nowhere.
    E0103 = Error, "undeclared name";
    /// `-> leter` when no scene `leter` exists.
    E0104 = Error, "unknown divert target";
    /// `var x: set of Nope` when no enum `Nope` exists.
    E0105 = Error, "unknown type";
    /// `foo(1)`: a function that is not built in, or called with the wrong arguments.
    E0106 = Error, "bad function call";
    /// `-> greet(kamenev) ->` to `== greet(who: Person, warmth: int)`.
    E0107 = Error, "wrong number of tunnel arguments";
    /// `* (ask) Ask` twice in one scene: a label names one choice of its scene.
    E0120 = Error, "duplicate choice label";
    /// `taken(aks)` when no choice is labelled `aks`.
    E0121 = Error, "unknown choice label";
    /// `taken(ask)` outside the scene of the choice labelled `ask`.
    E0122 = Error, "label used outside its scene";
    /// `fn f(x: int) -> bool:` / `if x > 0:` / `return true`: a path
    /// (here `x <= 0`) ends without `return`.
    E0130 = Error, "function can end without returning";
    /// A line of prose in a function's body.
    E0131 = Error, "text inside a function";
    /// `~ apparatus += 1` (or `apparatus = 1`) in a function's body.
    E0132 = Error, "function assigns a story variable";
    /// `-> scene` or a choice in a function's body.
    E0133 = Error, "divert inside a function";
    /// `random(1, 6)` in a function's body.
    E0134 = Error, "`random()` inside a function";
    /// `fn f(n: int) -> int:` / `return f(n + 1)`: every path calls the
    /// function itself again.
    E0135 = Error, "recursion without end";
    /// `~ apparatus = true` when `apparatus` is an int.
    E0201 = Error, "type mismatch";
    /// `~ QUORUM = 1` when `QUORUM` is a constant, or `~ who = trotsky`
    /// when `who` is a tunnel's parameter.
    E0202 = Error, "assignment to a constant";
    /// A constant or initial value that is not a constant expression.
    E0203 = Error, "not a constant expression";
    /// `var enemies = {}`: a type that cannot be inferred.
    E0204 = Error, "type cannot be inferred";
    /// A constant expression that overflows, divides by zero or builds a
    /// text over 1 MiB.
    E0205 = Error, "constant arithmetic error";
    /// A set of an enum with more than 64 values.
    E0206 = Error, "enum too large for a set";
    /// `assert false`, or an invariant whose condition is a false constant.
    E0207 = Error, "assertion always fails";
    /// A scene that certainly runs out of lines with no choice, divert or ending.
    E0301 = Error, "dead end";
    /// A story with no scenes, or a `start:` naming no scene.
    E0302 = Error, "no start scene";
    /// A choice or divert inside an ending.
    E0303 = Error, "ending continues";
    /// A scene no path from the start reaches.
    E0304 = Warning, "unreachable scene";
    /// An ending that no divert anywhere targets.
    E0305 = Warning, "ending never reached";
    /// `-> ending gorki`, or `expect ending gorki` in a test, when `gorki`
    /// is not an ending.
    E0306 = Error, "not an ending";
    /// `== a` / `-> b`, `== b` / `-> a`: scenes that only divert to one
    /// another, with no choice and no ending on the way.
    E0307 = Error, "certain infinite loop";
    /// A choice or divert inside a page: `== page status` … `* Resign`.
    E0308 = Error, "page continues";
    /// An assignment or `random()` inside a page: `== page status` …
    /// `~ turns_seen += 1`.
    E0309 = Error, "page changes the game";
    /// `== page help`: a page whose id is a player command.
    E0310 = Error, "page named like a command";
    /// `-> status` when `status` is a page.
    E0311 = Error, "divert to a page";
    /// `expect page gorki text "…"` in a test, when `gorki` is not a page.
    E0312 = Error, "not a page";
    /// `->->` in a scene a plain divert or the start enters.
    E0313 = Error, "return outside a tunnel";
    /// `include "nope.fab"` when the file does not exist or cannot be read.
    E0401 = Error, "include not found";
    /// Files that include each other in a cycle.
    E0402 = Error, "include cycle";
    /// `include "../other.fab"`: a path outside the story's folder.
    E0403 = Error, "include outside the story folder";
    /// A choice block where every choice is guarded and none is a fallback.
    W0001 = Warning, "choice block may offer nothing";
    /// A variable that no expression reads.
    W0002 = Warning, "unused variable";
    /// A line after a divert in the same block, which can never run.
    W0003 = Warning, "unreachable line";
    /// A guard whose value is always false.
    W0004 = Warning, "guard is always false";
    /// A `.fab` file that is neither an entry file nor included by one.
    W0005 = Warning, "file not part of any story";
    /// `assert true`, or an invariant whose condition is a true constant.
    W0006 = Warning, "assertion always holds";
    /// A story without any `== ending` scene.
    W0007 = Warning, "no ending";
    /// `* ->` in a scene that a chain of diverts leads back to.
    W0008 = Warning, "once-only fallback in a scene entered again";
    /// `<<set $x to 1>>`, `[[link]]`, `- gather`: a line written as ink,
    /// Yarn Spinner, ChoiceScript or Twine write it, shown as prose.
    W0009 = Warning, "another tool's syntax";
    /// `{a: x|b: y}`: the last branch has no condition of its own, so
    /// `b: y` is shown as text, condition and all.
    W0010 = Warning, "condition shown as text";
}

impl Code {
    /// The codes there are, as `E0001 to E0403 and W0001 to W0008`: read
    /// from [`Code::ALL`], so a new code is never missing from a message.
    pub fn ranges() -> String {
        let range = |severity: Severity| {
            let mut codes = Code::ALL
                .iter()
                .filter(|code| code.severity_letter() == severity);
            let first = codes.next()?;
            let last = codes.next_back().unwrap_or(first);
            Some(format!("{first} to {last}"))
        };
        [Severity::Error, Severity::Warning]
            .into_iter()
            .filter_map(range)
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// The severity a code's letter names: E0304 is a warning with an `E`.
    fn severity_letter(self) -> Severity {
        if self.as_str().starts_with('E') {
            Severity::Error
        } else {
            Severity::Warning
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns counted through the checkpoints equal columns counted from
    /// the line's start, also where characters straddle a block boundary.
    // Regression (#15): the CLI said "W0001 to W0005" when the codes went
    // to W0008; the ranges are now read from the table.
    #[test]
    fn bug_code_ranges_were_written_by_hand() {
        assert_eq!(Code::ranges(), "E0001 to E0403 and W0001 to W0010");
    }

    #[test]
    fn line_col_counts_characters_across_checkpoints() {
        let mut text = String::from("first line\n");
        for index in 0..3000 {
            text.push(['a', 'é', '中', '🦀'][index % 4]);
        }
        text.push_str("\nlast é line");
        let file = SourceFile::new("t.fab".into(), text.clone());
        for offset in (0..=text.len()).filter(|offset| offset % 7 == 0 || *offset > text.len() - 20)
        {
            let line_start = text[..floor_char_boundary(&text, offset)]
                .rfind('\n')
                .map_or(0, |at| at + 1);
            let naive = text[line_start..floor_char_boundary(&text, offset)]
                .chars()
                .count()
                + 1;
            assert_eq!(file.line_col(offset).1, naive, "offset {offset}");
        }
    }
}
