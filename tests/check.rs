//! The story folder `tests/check/`: small stories that state, inline, the
//! diagnostics the checker must report for them.
//!
//! A trailing comment `// ~ E0104` (or `// ~ E0104 W0003`) on a line means
//! "a diagnostic with this code whose primary span starts on this line". A
//! story with no markers must check clean. Where a marker cannot be written
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

/// The diagnostics a file's markers (and its sidecar `.expected`) ask for.
pub fn expectations(file: &Path) -> Vec<Expectation> {
    let bytes = std::fs::read(file).unwrap();
    // Lossy, so a story with invalid UTF-8 can carry markers too.
    let text = String::from_utf8_lossy(&bytes);
    let mut expected = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        let Some(at) = line.find("// ~") else {
            continue;
        };
        for word in line[at + "// ~".len()..].split_whitespace() {
            let code = code_named(word).unwrap_or_else(|| {
                panic!(
                    "{}:{}: `{word}` in a `// ~` marker is not a diagnostic code",
                    file.display(),
                    index + 1
                )
            });
            expected.push((file.to_path_buf(), index + 1, code));
        }
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
            expected.push((file.to_path_buf(), number, code));
        }
    }
    expected
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
        let expected: Vec<Expectation> = fixture
            .files
            .iter()
            .flat_map(|file| expectations(file))
            .filter(|(_, _, code)| compiler_reports(*code))
            .collect();
        let loaded = compile_files(&fixture.entry).unwrap();
        let found = loaded
            .diagnostics
            .iter()
            .map(|diagnostic| {
                let file = loaded.sources.get(diagnostic.span.file);
                let (line, _) = file.line_col(diagnostic.span.start as usize);
                (
                    (file.path.clone(), line, diagnostic.code),
                    diagnostic.message.clone(),
                )
            })
            .collect();
        let differences = compare(expected, found);
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
