//! Every ```fabula example in the docs parses, and every example that is a
//! whole story (no includes) compiles without errors.

use std::path::Path;

use fabula::diagnostic::Severity;

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
        let loaded = fabula::graph::compile(Path::new("example.fab"), &mut read).unwrap();
        let errors: Vec<_> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .collect();
        assert!(
            errors.is_empty(),
            "{doc}:{line}: example has errors: {errors:#?}"
        );
    }
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
