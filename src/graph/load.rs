//! Loading a story's files: the entry file and, transitively, its includes.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, FileId, SourceMap, Span};
use crate::syntax::{Outline, outline};

/// Lexically normalises a path: drops `.` and resolves `..` against the
/// components before it, without touching the file system (so in-memory
/// stories work the same as stories on disk).
pub fn normalize(path: &Path) -> PathBuf {
    let mut result = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(result.components().next_back(), Some(Component::Normal(_))) {
                    result.pop();
                } else {
                    result.push("..");
                }
            }
            other => result.push(other),
        }
    }
    result
}

/// The largest story file: offsets into files are 32-bit, and decoding
/// can triple a file of invalid bytes.
const MAX_FILE_BYTES: usize = 1 << 30;

/// Reads a file, refusing one too big to be a story.
fn read_limited(
    read: &mut dyn FnMut(&Path) -> std::io::Result<Vec<u8>>,
    path: &Path,
) -> std::io::Result<Vec<u8>> {
    let bytes = read(path)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is larger than 1 GiB, the most a story file can be",
        ));
    }
    Ok(bytes)
}

/// Reads and outlines the entry file and every file it includes, depth first.
/// Includes are resolved relative to the including file and must stay inside
/// the entry file's folder; a file included twice is loaded once; a cycle is
/// an error.
pub fn load(
    entry: &Path,
    read: &mut dyn FnMut(&Path) -> std::io::Result<Vec<u8>>,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<Outline>, std::io::Error> {
    let entry = normalize(entry);
    let root = entry.parent().map(Path::to_path_buf).unwrap_or_default();
    let bytes = read_limited(read, &entry)?;
    let mut files = Vec::new();
    let mut loaded: HashSet<PathBuf> = HashSet::new();
    loaded.insert(entry.clone());
    // An explicit stack (not recursion), so a chain of thousands of includes
    // cannot overflow. Each entry: the file, and the include stack above it.
    let mut queue = vec![(entry, bytes, Vec::<(PathBuf, Span)>::new())];
    while let Some((path, bytes, chain)) = queue.pop() {
        let id = FileId(sources.len() as u32);
        let (text, mut file) = outline(id, bytes);
        sources.add(path.clone(), text);
        diagnostics.append(&mut file.diagnostics);
        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut children = Vec::new();
        for include in &file.prologue.includes {
            let target = normalize(&folder.join(&include.path));
            // Inside the root means below it: `root/../x` normalises to `x`.
            let inside = target
                .strip_prefix(&root)
                .is_ok_and(|below| !below.components().any(|c| c == Component::ParentDir));
            if !inside {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0403,
                        include.span,
                        format!("`{}` is outside the story's folder", include.path),
                    )
                    .with_help(format!(
                        "a story's files must all be inside `{}`; move the file there",
                        display_folder(&root)
                    )),
                );
                continue;
            }
            if target == path || chain.iter().any(|(ancestor, _)| *ancestor == target) {
                let mut diagnostic = Diagnostic::new(
                    Code::E0402,
                    include.span,
                    format!("`{}` includes itself through a cycle", target.display()),
                )
                .with_help("remove one of the includes in the cycle");
                // Only the includes on the cycle itself, not the ones that
                // led into it from outside.
                let cycle_start = chain
                    .iter()
                    .position(|(ancestor, _)| *ancestor == target)
                    .unwrap_or(chain.len());
                for (_, span) in &chain[cycle_start..] {
                    diagnostic = diagnostic.with_label(*span, "included from here");
                }
                diagnostics.push(diagnostic);
                continue;
            }
            if !loaded.insert(target.clone()) {
                continue;
            }
            match read_limited(read, &target) {
                Ok(bytes) => {
                    let mut child_chain = chain.clone();
                    child_chain.push((path.clone(), include.span));
                    children.push((target, bytes, child_chain));
                }
                Err(error) => diagnostics.push(
                    Diagnostic::new(
                        Code::E0401,
                        include.span,
                        format!("cannot read `{}`: {}", target.display(), describe(&error)),
                    )
                    .with_help("check the path; it is relative to the file that includes it"),
                ),
            }
        }
        // Depth first, in the order written.
        queue.extend(children.into_iter().rev());
        files.push(file);
    }
    Ok(files)
}

fn display_folder(root: &Path) -> String {
    if root.as_os_str().is_empty() {
        ".".into()
    } else {
        root.display().to_string()
    }
}

fn describe(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Offsets into a file are 32-bit: a file that could overflow them is
    /// refused, not parsed. (Zeroed memory is mapped lazily, so the test
    /// does not touch a gigabyte.)
    #[test]
    fn a_file_over_a_gibibyte_is_refused() {
        let mut read = |_: &Path| Ok(vec![0; MAX_FILE_BYTES + 1]);
        let error = load(
            Path::new("huge.fab"),
            &mut read,
            &mut SourceMap::default(),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("larger than 1 GiB"), "{error}");
    }

    /// Regression: an entry named through `..` (`fabula check ../main.fab`)
    /// had every include reported as outside the story's folder.
    #[test]
    fn an_entry_named_through_a_parent_folder_can_include() {
        let mut files = std::collections::HashMap::new();
        files.insert(
            PathBuf::from("../main.fab"),
            b"title: T\ninclude \"act/one.fab\"\n== a\n-> b\n".to_vec(),
        );
        files.insert(
            PathBuf::from("../act/one.fab"),
            b"== b\n-> ending c\n== ending c\nDone.\n".to_vec(),
        );
        let mut read = |path: &Path| {
            files
                .get(path)
                .cloned()
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        };
        let loaded = crate::graph::compile(Path::new("../main.fab"), &mut read).unwrap();
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let mut outside = |path: &Path| -> std::io::Result<Vec<u8>> {
            if path == Path::new("../main.fab") {
                Ok(
                    b"title: T\ninclude \"../x.fab\"\n== a\n-> ending c\n== ending c\nDone.\n"
                        .to_vec(),
                )
            } else {
                Ok(Vec::new())
            }
        };
        let loaded = crate::graph::compile(Path::new("../main.fab"), &mut outside).unwrap();
        assert_eq!(loaded.diagnostics[0].code, Code::E0403);
    }

    #[test]
    fn normalizes_lexically() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.fab")),
            PathBuf::from("a/c.fab")
        );
        assert_eq!(
            normalize(Path::new("a/../../c.fab")),
            PathBuf::from("../c.fab")
        );
    }
}
