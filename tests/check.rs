//! The story folder `tests/check/`: small stories that state, inline, the
//! diagnostics the checker must report for them.
//!
//! A trailing comment `// ~ E0104` (or `// ~ E0104 W0003`) on a line means
//! "a diagnostic with this code whose primary span starts on this line". A
//! code may be pinned further: `E0103@5` also asks that the span start in
//! column 5 (1-based, in characters, as the checker prints it), and a quoted
//! fragment right after a code, `// ~ E0103@5 "is not declared"`, asks that
//! the message contain it (a fragment cannot hold a `"`). A story with no
//! markers must check clean. Where a marker cannot be written
//! on the offending line (an unterminated block comment swallows it), a
//! sidecar `NAME.expected` next to `NAME.fab` lists `LINE CODE` pairs.
//!
//! A `.fab` file directly in the folder is a one-file story; a subfolder is a
//! story of several files whose entry file is the one with a `title:` header,
//! with markers in any of its files. The comparison is exact: a missing and an
//! unexpected diagnostic both fail, naming the file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fabula::compile::compile_files;
use fabula::diagnostic::Code;

/// Where the stories live, relative to the package root (the working
/// directory of integration tests).
pub const FOLDER: &str = "tests/check";

/// One expected or found diagnostic: the file as the checker names it, the
/// 1-based line its primary span starts on, and its code.
pub type Expectation = (PathBuf, usize, Code);

/// One story of the folder.
#[derive(Debug)]
pub struct Fixture {
    pub entry: PathBuf,
    /// Every `.fab` file of the story, the entry file included.
    pub files: Vec<PathBuf>,
}

/// Every story in `tests/check/`, sorted by path.
pub fn fixtures() -> Vec<Fixture> {
    let mut fixtures = Vec::new();
    for path in sorted_entries(Path::new(FOLDER)) {
        if path.is_dir() {
            let files: Vec<PathBuf> = sorted_entries(&path)
                .into_iter()
                .filter(|file| is_story_file(file))
                .collect();
            let entries: Vec<&PathBuf> = files
                .iter()
                .filter(|file| has_title(&std::fs::read(file).unwrap()))
                .collect();
            assert_eq!(
                entries.len(),
                1,
                "`{}` needs exactly one entry file (a file with `title:`), found {entries:?}",
                path.display()
            );
            fixtures.push(Fixture {
                entry: entries[0].clone(),
                files,
            });
        } else if is_story_file(&path) {
            fixtures.push(Fixture {
                entry: path.clone(),
                files: vec![path],
            });
        }
    }
    fixtures
}

fn sorted_entries(folder: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap_or_else(|error| panic!("cannot read `{}`: {error}", folder.display()))
        .map(|entry| entry.expect("a readable folder entry").path())
        .collect();
    paths.sort();
    paths
}

fn is_story_file(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "fab")
}

fn has_title(bytes: &[u8]) -> bool {
    fabula::syntax::is_entry(bytes).expect("reading from memory")
}

fn code_named(word: &str) -> Option<Code> {
    Code::ALL.iter().copied().find(|code| code.as_str() == word)
}

/// One marker: where and what, and optionally the column and a fragment of
/// the message.
#[derive(Debug, Clone)]
pub struct Marker {
    pub at: Expectation,
    /// The 1-based column the primary span must start in.
    pub column: Option<usize>,
    /// Text the message must contain.
    pub fragment: Option<String>,
}

impl Marker {
    /// Whether a found diagnostic satisfies this marker.
    fn accepts(&self, found: &Found) -> bool {
        self.at == found.at
            && self.column.is_none_or(|column| column == found.column)
            && self
                .fragment
                .as_ref()
                .is_none_or(|fragment| found.message.contains(fragment.as_str()))
    }
}

/// One diagnostic the checker reported.
#[derive(Debug, Clone)]
pub struct Found {
    pub at: Expectation,
    pub column: usize,
    pub message: String,
}

/// Reads the codes of one `// ~` marker: `CODE`, `CODE@COLUMN`, each
/// optionally followed by a quoted message fragment.
fn parse_marker(file: &Path, number: usize, mut rest: &str) -> Vec<Marker> {
    let fail = |what: &str| -> ! { panic!("{}:{number}: {what}", file.display()) };
    let mut markers: Vec<Marker> = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return markers;
        }
        if let Some(quoted) = rest.strip_prefix('"') {
            let Some(end) = quoted.find('"') else {
                fail("a `// ~` marker's fragment has no closing `\"`")
            };
            let Some(last) = markers.last_mut().filter(|m| m.fragment.is_none()) else {
                fail("a quoted fragment in a `// ~` marker must follow a code")
            };
            last.fragment = Some(quoted[..end].to_string());
            rest = &quoted[end + 1..];
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        let (name, column) = match word.split_once('@') {
            Some((name, column)) => match column.parse::<usize>() {
                Ok(column) if column > 0 => (name, Some(column)),
                _ => fail(&format!(
                    "`{word}`: the column after `@` is not a number from 1"
                )),
            },
            None => (word, None),
        };
        let Some(code) = code_named(name) else {
            fail(&format!(
                "`{name}` in a `// ~` marker is not a diagnostic code"
            ))
        };
        markers.push(Marker {
            at: (file.to_path_buf(), number, code),
            column,
            fragment: None,
        });
    }
}

/// The diagnostics a file's markers (and its sidecar `.expected`) ask for.
pub fn markers(file: &Path) -> Vec<Marker> {
    let bytes = std::fs::read(file).unwrap();
    // Lossy, so a story with invalid UTF-8 can carry markers too.
    let text = String::from_utf8_lossy(&bytes);
    let mut expected = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        let Some(at) = line.find("// ~") else {
            continue;
        };
        expected.extend(parse_marker(file, index + 1, &line[at + "// ~".len()..]));
    }
    let sidecar = file.with_extension("expected");
    if let Ok(listing) = std::fs::read_to_string(&sidecar) {
        for line in listing.lines().filter(|line| !line.trim().is_empty()) {
            let parsed = line.split_once(' ').and_then(|(number, word)| {
                Some((
                    number.trim().parse::<usize>().ok()?,
                    code_named(word.trim())?,
                ))
            });
            let (number, code) = parsed
                .unwrap_or_else(|| panic!("{}: `{line}` is not `LINE CODE`", sidecar.display()));
            expected.push(Marker {
                at: (file.to_path_buf(), number, code),
                column: None,
                fragment: None,
            });
        }
    }
    expected
}

/// The file, line and code of every marker of a file (its column and
/// fragment left out).
pub fn expectations(file: &Path) -> Vec<Expectation> {
    markers(file).into_iter().map(|marker| marker.at).collect()
}

/// [`compare`] with columns and message fragments: each marker takes one
/// diagnostic it accepts, the most specific markers first.
pub fn compare_pinned(mut expected: Vec<Marker>, mut found: Vec<Found>) -> String {
    expected.sort_by_key(|marker| {
        (
            marker.column.is_none(),
            marker.fragment.is_none(),
            marker.at.clone(),
        )
    });
    found.sort_by(|a, b| (&a.at, a.column).cmp(&(&b.at, b.column)));
    let mut report = String::new();
    for marker in &expected {
        if let Some(index) = found.iter().position(|got| marker.accepts(got)) {
            found.remove(index);
        } else {
            let (file, line, code) = &marker.at;
            let column = marker.column.map_or(String::new(), |c| format!("@{c}"));
            let fragment = marker
                .fragment
                .as_ref()
                .map_or(String::new(), |f| format!(" \"{f}\""));
            let _ = writeln!(
                report,
                "  missing:    {}:{line} {code}{column}{fragment} (the marker asks for it; the checker did not report it)",
                file.display()
            );
        }
    }
    for got in &found {
        let (file, line, code) = &got.at;
        let _ = writeln!(
            report,
            "  unexpected: {}:{line}:{} {code} {}",
            file.display(),
            got.column,
            got.message
        );
    }
    report
}

/// Compares expected with found as multisets: a code twice on one line must
/// be marked twice. Returns a report of the differences, empty when equal.
pub fn compare(mut expected: Vec<Expectation>, mut found: Vec<(Expectation, String)>) -> String {
    expected.sort();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut report = String::new();
    for wanted in &expected {
        if let Some(index) = found.iter().position(|(got, _)| got == wanted) {
            found.remove(index);
        } else {
            let (file, line, code) = wanted;
            let _ = writeln!(
                report,
                "  missing:    {}:{line} {code} (the marker asks for it; the checker did not report it)",
                file.display()
            );
        }
    }
    for ((file, line, code), message) in &found {
        let _ = writeln!(
            report,
            "  unexpected: {}:{line} {code} {message}",
            file.display()
        );
    }
    report
}

/// W0005 (a file that belongs to no story) is reported by `fabula check`,
/// not by the compiler; `cli::whole_story_folder` checks those markers.
fn compiler_reports(code: Code) -> bool {
    code != Code::W0005
}

#[test]
fn story_folder() {
    let fixtures = fixtures();
    assert!(fixtures.len() > 30, "tests/check/ lost its stories");
    let mut failures = String::new();
    for fixture in &fixtures {
        let expected: Vec<Marker> = fixture
            .files
            .iter()
            .flat_map(|file| markers(file))
            .filter(|marker| compiler_reports(marker.at.2))
            .collect();
        let loaded = compile_files(&fixture.entry).unwrap();
        let found = loaded
            .diagnostics
            .iter()
            .map(|diagnostic| {
                let file = loaded.sources.get(diagnostic.span.file);
                let (line, column) = file.line_col(diagnostic.span.start as usize);
                Found {
                    at: (file.path.clone(), line, diagnostic.code),
                    column,
                    message: diagnostic.message.clone(),
                }
            })
            .collect();
        let differences = compare_pinned(expected, found);
        if !differences.is_empty() {
            let _ = writeln!(failures, "{}:\n{differences}", fixture.entry.display());
        }
        let has_errors = loaded.errors() > 0;
        assert_eq!(
            loaded.story.is_none(),
            has_errors,
            "{}: a story is returned exactly when there are no errors",
            fixture.entry.display()
        );
    }
    assert!(
        failures.is_empty(),
        "stories in tests/check/ disagree with their markers:\n\n{failures}"
    );
}
