//! The module layering in ARCHITECTURE.md stays true, and files and
//! functions stay of a sensible size. Layering: every `crate::X` (or,
//! in the binary, `fabula::X`) a source file names must be a module on a
//! lower layer than the file's own. Unit-test modules (`#[cfg(test)] mod`
//! and `tests.rs` files or `tests/` folders) may use the whole pipeline and are not read;
//! comments are not read either (a doc link is not a dependency).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each top-level module and its layer: a module may import only modules
/// on lower layers. A new module must be given a row here (and a line in
/// ARCHITECTURE.md).
const LAYERS: &[(&str, u32)] = &[
    // Foundations: no story semantics.
    ("diagnostic", 0),
    ("fsio", 0),
    ("generate", 0),
    ("parallel", 0),
    ("ast", 1),
    ("render", 1),
    ("syntax", 2),
    ("graph", 3),
    // Consumers of the graph, which know nothing of each other.
    ("check", 4),
    ("runtime", 4),
    ("map", 4),
    // The compile driver sits above both lowering and the check passes.
    ("compile", 5),
    ("slots", 5),
    ("bundled", 6),
    // The embedding API: compile and play, for a game; no terminal.
    ("embed", 6),
    ("explore", 6),
    ("storytest", 7),
    ("repl", 8),
    ("cli", 9),
    ("main", 9),
];

fn layer(module: &str) -> Option<u32> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, layer)| *layer)
}

fn rust_files(folder: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// Every source file outside unit-test files (`tests.rs`, or a `tests/`
/// folder of them), with the
/// top-level module it belongs to (`lib` and `main` for the crate roots).
fn source_files() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    assert!(files.len() > 20, "run from the crate root");
    files
        .into_iter()
        .filter(|path| path.file_name().is_none_or(|name| name != "tests.rs"))
        .filter(|path| !path.iter().skip(1).any(|part| part == "tests"))
        .map(|path| {
            let relative = path.strip_prefix("src").unwrap();
            let first = relative.iter().next().unwrap().to_string_lossy();
            let module = first.trim_end_matches(".rs").to_owned();
            (path, module)
        })
        .collect()
}

/// The file's code without comments, up to its unit-test module.
fn code_of(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut code = String::new();
    for (index, line) in lines.iter().enumerate() {
        if line.trim() == "#[cfg(test)]" {
            let next = lines[index + 1..].iter().find(|l| !l.trim().is_empty());
            if next.is_some_and(|l| l.trim_start().starts_with("mod ")) {
                break;
            }
        }
        let without_comment = line.find("//").map_or(*line, |at| &line[..at]);
        code.push_str(without_comment);
        code.push('\n');
    }
    code
}

/// The top-level modules `code` names through `crate::` or `fabula::`,
/// including each name in a `use crate::{a, b::C}` group.
fn modules_named(code: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for root in ["crate::", "fabula::"] {
        for (at, _) in code.match_indices(root) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[at + root.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                named.extend(group_heads(group));
            } else {
                named.insert(identifier(rest).to_owned());
            }
        }
    }
    named.retain(|name| !name.is_empty());
    named
}

/// The first path segment of each item of a `{...}` group, up to the
/// group's closing brace.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item = true;
    for (index, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item = true,
            c if at_item && !c.is_whitespace() => {
                heads.push(identifier(&group[index..]).to_owned());
                at_item = false;
            }
            _ => {}
        }
    }
    heads
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

#[test]
fn modules_import_only_lower_layers() {
    let mut broken = Vec::new();
    for (path, module) in source_files() {
        let module = module.as_str();
        if module == "lib" {
            continue;
        }
        let Some(own) = layer(module) else {
            broken.push(format!(
                "{}: module `{module}` has no layer in tests/architecture.rs",
                path.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        for name in modules_named(&code_of(&text)) {
            if name == module {
                continue;
            }
            match layer(&name) {
                Some(other) if other < own => {}
                Some(other) => broken.push(format!(
                    "{}: `{module}` (layer {own}) imports `{name}` (layer {other})",
                    path.display()
                )),
                // `crate::` paths that are not modules (macros, items
                // re-exported at the root) would land here; there are none.
                None => broken.push(format!(
                    "{}: `{module}` names `{name}`, which has no layer",
                    path.display()
                )),
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports against the layering (see ARCHITECTURE.md):\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_scanner_sees_groups_and_skips_comments_and_tests() {
    let code = code_of(
        "use crate::{graph::{Story, Op}, runtime, check::x};\n\
         // crate::repl in a comment\n\
         fn f() { fabula::explore::run(); }\n\
         #[cfg(test)]\n\
         mod tests {\n    use crate::cli;\n}\n",
    );
    let named: Vec<String> = modules_named(&code).into_iter().collect();
    assert_eq!(named, ["check", "explore", "graph", "runtime"]);
}

/// Files and functions that may be longer than the limits below, and why.
const LONG_ALLOWED: &[(&str, &str)] = &[
    // The explorer is the lead's, split on its own schedule.
    ("src/explore/", "the explorer, split separately"),
    // `Machine::run` is the interpreter's one loop over ops; the file is
    // the lead's and is split separately.
    (
        "src/runtime/mod.rs",
        "the interpreter loop, split separately",
    ),
    // Grew past 800 when the input limits (#10) met the refactor; the
    // player's view (#13) moves its parts out next.
    ("src/repl/mod.rs", "the player loop, split with #13"),
];

const MAX_FILE_LINES: usize = 800;
const MAX_FUNCTION_LINES: usize = 150;

fn long_allowed(path: &Path) -> bool {
    let path = path.to_string_lossy();
    LONG_ALLOWED
        .iter()
        .any(|(prefix, _)| path.starts_with(prefix))
}

/// Each function's name and length in lines: from its `fn` line to the
/// line that closes it at the same indentation.
fn function_lengths(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let mut words = body.split_whitespace();
        let mut word = words.next();
        while let Some(modifier) = word
            && (modifier.starts_with("pub") || modifier == "const" || modifier == "async")
        {
            word = words.next();
        }
        if word != Some("fn") {
            continue;
        }
        let name = identifier(words.next().unwrap_or("")).to_owned();
        let close = format!("{indent}}}");
        if let Some(end) = lines[index..].iter().position(|l| *l == close) {
            found.push((name, end));
        }
    }
    found
}

#[test]
fn rooms_of_a_sensible_size() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut too_long = Vec::new();
    for path in files.iter().filter(|path| !long_allowed(path)) {
        let text = std::fs::read_to_string(path).unwrap();
        let count = text.lines().count();
        if count > MAX_FILE_LINES {
            too_long.push(format!("{}: {count} lines", path.display()));
        }
        for (name, length) in function_lengths(&text) {
            if length > MAX_FUNCTION_LINES {
                too_long.push(format!("{}: fn {name} is {length} lines", path.display()));
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "files over {MAX_FILE_LINES} lines or functions over {MAX_FUNCTION_LINES} \
         (split them, or add a row to LONG_ALLOWED saying why):\n{}",
        too_long.join("\n")
    );
}

/// The modules that never touch the disk, the terminal or other
/// processes: they get their input from a reader they are given
/// (`graph::load`), and `compile` and above hand them the files.
const NO_IO: &[&str] = &["ast", "syntax", "graph", "check", "runtime", "map"];

#[test]
fn the_pipeline_below_compile_does_no_io() {
    let mut found = Vec::new();
    for (path, module) in source_files() {
        if !NO_IO.contains(&module.as_str()) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&path).unwrap());
        for io in [
            "std::fs",
            "std::net",
            "std::process",
            "stdin()",
            "stdout()",
            "stderr()",
            "print!",
            "println!",
        ] {
            if code.contains(io) {
                found.push(format!("{}: {io}", path.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "I/O below `compile` (see ARCHITECTURE.md):\n{}",
        found.join("\n")
    );
}
