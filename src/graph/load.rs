//! Loading a story's files: the entry file and, transitively, its includes.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, FileId, SourceMap, Span};
use crate::parallel::Helper;
use crate::syntax::{Outline, outline_parts};

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
const MAX_FILE_BYTES: usize = crate::fsio::MAX_FILE_BYTES as usize;

/// Reads a file, refusing one too big to be a story (whatever `read` is:
/// files on disk are also limited while they are read, by [`crate::fsio`]).
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

/// A file waiting to be outlined, read when the file including it was.
struct Pending {
    path: PathBuf,
    bytes: Vec<u8>,
    /// How many files include it on the way from the entry file.
    depth: usize,
    /// The include that brought it in (none for the entry file).
    included_at: Option<Span>,
}

/// Reads and outlines the entry file and every file it includes, depth first.
/// Includes are resolved relative to the including file and must stay inside
/// the entry file's folder (an absolute path never does); a file included
/// twice is loaded once; a cycle is an error. With [`crate::fsio::StoryFolder`]
/// as `read`, a file that is a link leading outside the folder is refused too.
///
/// Linear in the number of files: the includes from the entry file down to
/// the current one are kept once, as a stack with an index, not copied into
/// each file waiting to be read.
pub fn load(
    entry: &Path,
    read: &mut dyn FnMut(&Path) -> std::io::Result<Vec<u8>>,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<Outline>, std::io::Error> {
    load_with(
        entry,
        read,
        sources,
        diagnostics,
        &OnceCell::new(),
        usize::MAX,
    )
}

/// [`load`], outlining a file of at least `split_bytes` in two parts on
/// two threads once `helper` holds a helper thread (`read` may start one):
/// such a file has two outlines, in order (see `syntax::outline_parts`).
pub(crate) fn load_with(
    entry: &Path,
    read: &mut dyn FnMut(&Path) -> std::io::Result<Vec<u8>>,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
    helper: &OnceCell<Helper>,
    split_bytes: usize,
) -> Result<Vec<Outline>, std::io::Error> {
    let entry = normalize(entry);
    let root = entry.parent().map(Path::to_path_buf).unwrap_or_default();
    let bytes = read_limited(read, &entry)?;
    let mut files = Vec::new();
    let mut loaded: HashSet<PathBuf> = HashSet::new();
    loaded.insert(entry.clone());
    // An explicit stack (not recursion), so a chain of thousands of includes
    // cannot overflow.
    let mut queue = vec![Pending {
        path: entry,
        bytes,
        depth: 0,
        included_at: None,
    }];
    // The files from the entry file down to the one being outlined, each
    // with the include that brought it in, and where each is on that stack.
    let mut ancestors: Vec<(PathBuf, Option<Span>)> = Vec::new();
    let mut on_stack: HashMap<PathBuf, usize> = HashMap::new();
    while let Some(pending) = queue.pop() {
        // Depth first: what was above this file's depth is finished.
        for (finished, _) in ancestors.drain(pending.depth..) {
            on_stack.remove(&finished);
        }
        on_stack.insert(pending.path.clone(), ancestors.len());
        ancestors.push((pending.path.clone(), pending.included_at));
        let path = pending.path;
        let id = FileId(sources.len() as u32);
        let (text, mut parts) = outline_parts(id, pending.bytes, helper.get(), split_bytes);
        sources.add(path.clone(), text);
        for part in &mut parts {
            diagnostics.append(&mut part.diagnostics);
        }
        // Its includes are in its prologue, in the first part.
        let file = &parts[0];
        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut children = Vec::new();
        for include in &file.prologue.includes {
            let outside = |message: String| {
                Diagnostic::new(Code::E0403, include.span, message).with_help(format!(
                    "a story's files must all be inside `{}`; move the file there",
                    display_folder(&root)
                ))
            };
            // `include "/etc/passwd"` leads wherever it likes: a story's
            // includes are relative to the including file, always.
            if Path::new(&include.path).has_root() {
                diagnostics.push(outside(format!(
                    "`{}` is an absolute path, outside the story's folder",
                    include.path
                )));
                continue;
            }
            let target = normalize(&folder.join(&include.path));
            // Inside the root means below it: `root/../x` normalises to `x`.
            let inside = target
                .strip_prefix(&root)
                .is_ok_and(|below| !below.components().any(|c| c == Component::ParentDir));
            if !inside {
                diagnostics.push(outside(format!(
                    "`{}` is outside the story's folder",
                    include.path
                )));
                continue;
            }
            if let Some(&cycle_start) = on_stack.get(&target) {
                let mut diagnostic = Diagnostic::new(
                    Code::E0402,
                    include.span,
                    format!("`{}` includes itself through a cycle", target.display()),
                )
                .with_help("remove one of the includes in the cycle");
                // Only the includes on the cycle itself, not the ones that
                // led into it from outside.
                for (_, span) in &ancestors[cycle_start + 1..] {
                    if let Some(span) = span {
                        diagnostic = diagnostic.with_label(*span, "included from here");
                    }
                }
                diagnostics.push(diagnostic);
                continue;
            }
            if !loaded.insert(target.clone()) {
                continue;
            }
            match read_limited(read, &target) {
                Ok(bytes) => children.push(Pending {
                    path: target,
                    bytes,
                    depth: ancestors.len(),
                    included_at: Some(include.span),
                }),
                // A link out of the folder: the same rule as `../x`, and
                // nothing about where it leads is shown.
                Err(error) if crate::fsio::is_outside(&error) => {
                    diagnostics.push(outside(format!(
                        "`{}` is a link to a file outside the story's folder",
                        include.path
                    )));
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
        files.extend(parts);
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
        let loaded = crate::compile::compile(Path::new("../main.fab"), &mut read).unwrap();
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
        let loaded = crate::compile::compile(Path::new("../main.fab"), &mut outside).unwrap();
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
