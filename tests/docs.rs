//! The documentation stays true: every ```fabula example in the docs
//! parses, and every example that is a whole story (no includes) compiles
//! without errors; `docs/DIAGNOSTICS.md` has a section for every code, whose
//! example story reports exactly that code, rendered as the page shows; and
//! every code has a test story in `tests/check/`. Examples with `test`
//! blocks pass their tests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fabula::compile::compile;
use fabula::diagnostic::{Code, Severity};
use fabula::render::human;

fn examples(markdown: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        match &mut current {
            None if line.trim() == "```fabula" => current = Some((index + 2, String::new())),
            Some(_) if line.trim() == "```" => found.extend(current.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    found
}

fn check_examples(doc: &str) {
    let markdown =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).unwrap();
    let examples = examples(&markdown);
    assert!(!examples.is_empty(), "{doc} has no ```fabula examples");
    for (line, text) in examples {
        let (_, parse_errors) = fabula::syntax::parse_str(&text);
        assert!(
            parse_errors.is_empty(),
            "{doc}:{line}: example does not parse: {parse_errors:#?}"
        );
        if text.contains("include \"") {
            continue;
        }
        let mut read = |_: &Path| Ok(text.clone().into_bytes());
        let loaded = fabula::compile::compile(Path::new("example.fab"), &mut read).unwrap();
        let errors: Vec<_> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .collect();
        assert!(
            errors.is_empty(),
            "{doc}:{line}: example has errors: {errors:#?}"
        );
        // An example's own `test` blocks pass.
        let story = loaded.story.expect("a story without errors compiles");
        let mut coverage = fabula::storytest::Coverage::new(&story);
        for outcome in fabula::storytest::run_tests(&story, &mut coverage) {
            assert!(
                outcome.failure.is_none(),
                "{doc}:{line}: example test fails:\n{}",
                fabula::storytest::human_failure(&outcome)
            );
        }
    }
}

#[test]
fn testing_guide_examples() {
    check_examples("docs/TESTING.md");
}

#[test]
fn language_reference_examples() {
    check_examples("docs/LANGUAGE.md");
}

#[test]
fn readme_example() {
    check_examples("README.md");
}

/// The editor grammar is valid JSON with the scope and file type editors
/// look for (its regexes are Oniguruma's, checked by the editors).
#[test]
fn editor_grammar_is_well_formed() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/fabula.tmLanguage.json");
    let grammar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(grammar["scopeName"], "source.fabula");
    assert_eq!(grammar["fileTypes"][0], "fab");
    let repository = grammar["repository"].as_object().unwrap();
    for pattern in grammar["patterns"].as_array().unwrap() {
        let name = pattern["include"].as_str().unwrap().trim_start_matches('#');
        assert!(
            repository.contains_key(name),
            "pattern `{name}` is not in the repository"
        );
    }
}

/// A fenced block: its info string and its text.
#[derive(Debug)]
struct Fence {
    info: String,
    text: String,
}

fn fences(markdown: &str) -> Vec<Fence> {
    let mut fences = Vec::new();
    let mut open: Option<Fence> = None;
    for line in markdown.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Fence {
                    info: info.trim().to_owned(),
                    text: String::new(),
                })
            }
            (Some(_), Some("")) => fences.extend(open.take()),
            (Some(fence), _) => {
                fence.text.push_str(line);
                fence.text.push('\n');
            }
            (None, None) => {}
        }
    }
    fences
}

/// The `## CODE: title` sections of DIAGNOSTICS.md, with their text.
fn sections(markdown: &str) -> Vec<(String, String)> {
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in markdown.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            sections.push((heading.to_owned(), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    sections
}

/// Compiles the section's example files (`fabula NAME` fences; a bare
/// `fabula` fence is `story.fab`) from memory, the first being the entry,
/// and renders what the checker reports.
fn check_example(code: Code, fences: &[Fence]) -> (Vec<Code>, String) {
    let files: Vec<(PathBuf, Vec<u8>)> = fences
        .iter()
        .filter_map(|fence| {
            let name = fence.info.strip_prefix("fabula")?.trim();
            let name = if name.is_empty() { "story.fab" } else { name };
            let mut bytes = fence.text.clone().into_bytes();
            if code == Code::E0001 {
                // The page cannot hold the invalid byte, so it writes `\xff`.
                bytes = String::from_utf8(bytes)
                    .unwrap()
                    .replace(r"\xff", "\u{0}")
                    .into_bytes()
                    .into_iter()
                    .map(|byte| if byte == 0 { 0xFF } else { byte })
                    .collect();
            }
            Some((PathBuf::from(name), bytes))
        })
        .collect();
    assert!(!files.is_empty(), "{code}: no ```fabula example");
    let mut read = |path: &Path| {
        files
            .iter()
            .find(|(name, _)| name == path)
            .map(|(_, bytes)| bytes.clone())
            .ok_or_else(|| std::io::ErrorKind::NotFound.into())
    };
    let entry = files[0].0.clone();
    let loaded = compile(&entry, &mut read).unwrap();
    let rendered = loaded
        .diagnostics
        .iter()
        .map(|diagnostic| human(diagnostic, &loaded.sources, false))
        .collect::<Vec<_>>()
        .join("\n\n");
    (
        loaded.diagnostics.iter().map(|d| d.code).collect(),
        rendered,
    )
}

#[test]
fn diagnostics_page_documents_every_code_with_a_true_example() {
    let page = std::fs::read_to_string("docs/DIAGNOSTICS.md").unwrap();
    let sections = sections(&page);
    let headings: Vec<&str> = sections
        .iter()
        .map(|(heading, _)| heading.as_str())
        .collect();
    let expected: Vec<String> = Code::ALL
        .iter()
        .map(|code| format!("{code}: {}", code.title()))
        .collect();
    assert_eq!(
        headings, expected,
        "DIAGNOSTICS.md needs one `## CODE: title` section per code, in the order of the codes! table"
    );
    for (&code, (_, body)) in Code::ALL.iter().zip(&sections) {
        let fences = fences(body);
        let shown = fences
            .iter()
            .find(|fence| fence.info == "text")
            .unwrap_or_else(|| panic!("{code}: no ```text block with the rendered message"));
        assert!(
            shown.text.contains(&format!("[{code}]")),
            "{code}: the ```text block does not show it"
        );
        assert!(
            body.contains("**How to fix it.**"),
            "{code}: says nothing on how to fix it"
        );
        if code == Code::W0005 {
            // Reported by `fabula check` for files of a folder; see
            // cli::folders_are_searched_and_orphan_files_warned_about.
            continue;
        }
        let (codes, rendered) = check_example(code, &fences);
        assert!(
            codes.iter().all(|found| *found == code) && !codes.is_empty(),
            "{code}: the example should report only {code}, reports {codes:?}:\n{rendered}"
        );
        assert_eq!(
            rendered.trim_end(),
            shown.text.trim_end(),
            "{code}: the page shows a different message than the checker prints"
        );
    }
}

#[test]
fn every_code_has_a_test_story() {
    let tested: BTreeSet<Code> = crate::check::fixtures()
        .iter()
        .flat_map(|fixture| &fixture.files)
        .flat_map(|file| crate::check::expectations(file))
        .map(|(_, _, code)| code)
        .collect();
    let untested: Vec<&Code> = Code::ALL
        .iter()
        .filter(|code| !tested.contains(code))
        .collect();
    assert!(
        untested.is_empty(),
        "no story in tests/check/ expects {untested:?}; add one with a `// ~ CODE` marker"
    );
}

/// `fabula check --explain CODE` prints the code's section of the page,
/// built into the binary: every code has one, headed by its title.
#[test]
fn every_code_explains_itself() {
    for &code in Code::ALL {
        let explanation = code.explanation();
        assert!(
            explanation.starts_with(&format!("## {code}: {}\n", code.title())),
            "{code}: {explanation}"
        );
        assert!(explanation.contains("**How to fix it.**"), "{code}");
        assert_eq!(
            explanation.matches("\n## ").count(),
            0,
            "{code}: one section only"
        );
        assert_eq!(Code::parse(&code.as_str().to_lowercase()), Some(code));
    }
}
