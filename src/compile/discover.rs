//! Finding stories on disk: every `.fab` file under the paths a command
//! names, the entry files among them, the one entry file a path names, and
//! the files that belong to no story (`W0005`). The CLI's `check`, `test`,
//! `play` and `explore` find their stories here, and so can any other tool
//! built on the library.

use std::collections::{BTreeSet, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, FileId, SourceMap, Span};
use crate::fsio;
use crate::graph::normalize;

/// Why stories could not be found. Each names the path it is about, with
/// the I/O error underneath as its source.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    /// A file or folder named or found could not be read, or is not one a
    /// story may read (outside the folder, not a regular file, too large).
    #[error("cannot read `{}`", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// A folder's entries could not be listed.
    #[error("cannot read folder `{}`", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// A folder given as one story holds no entry file.
    #[error("`{}` holds no story (no `.fab` file with a `title:` header)", path.display())]
    NoStory {
        /// The folder.
        path: PathBuf,
    },
    /// A folder given as one story holds several entry files.
    #[error("`{}` holds {} stories ({}); name one entry file", path.display(), entries.len(), list(entries))]
    SeveralStories {
        /// The folder.
        path: PathBuf,
        /// Its entry files.
        entries: Vec<PathBuf>,
    },
    /// An entry of a folder could not be examined.
    #[error(transparent)]
    Io(#[from] io::Error),
}

fn list(entries: &[PathBuf]) -> String {
    entries
        .iter()
        .map(|e| e.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `error` as a [`FindError::Read`] of `path`.
fn read(path: &Path) -> impl FnOnce(io::Error) -> FindError + '_ {
    move |source| FindError::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// Every `.fab` file under `path` (or `path` itself), sorted. Each must be
/// a regular file that resolves, links followed, to a place inside `path`
/// (a file named itself: inside its own folder); anything else is an error,
/// before any byte of it is read. Links to folders are not followed.
fn discover(path: &Path, found: &mut BTreeSet<PathBuf>) -> Result<(), FindError> {
    fsio::check_named(path).map_err(read(path))?;
    let metadata = std::fs::metadata(path).map_err(read(path))?;
    if !metadata.is_dir() {
        let folder = fsio::StoryFolder::of_entry(path).map_err(read(path))?;
        check_story_file(&folder, path).map_err(read(path))?;
        found.insert(normalize(path));
        return Ok(());
    }
    let root = fsio::StoryFolder::new(path).map_err(read(path))?;
    // An explicit stack: folder depth is the user's, not ours to recurse on.
    let mut folders = vec![path.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let unlisted = |source| FindError::Folder {
            path: folder.clone(),
            source,
        };
        let entries = std::fs::read_dir(&folder).map_err(unlisted)?;
        for entry in entries {
            let entry = entry.map_err(|source| FindError::Folder {
                path: folder.clone(),
                source,
            })?;
            let file_type = entry.file_type()?;
            let child = entry.path();
            if file_type.is_dir() {
                folders.push(child);
            } else if child.extension().is_some_and(|ext| ext == "fab") {
                check_story_file(&root, &child).map_err(read(&child))?;
                found.insert(normalize(&child));
            }
        }
    }
    Ok(())
}

/// Whether `file` may be read as part of a story in `folder`: it resolves
/// inside the folder, to a regular file of at most 1 GiB.
fn check_story_file(folder: &fsio::StoryFolder, file: &Path) -> io::Result<()> {
    drop(fsio::open_regular(&folder.resolve(file)?)?);
    Ok(())
}

/// Whether a file is a story's entry ([`crate::syntax::is_entry`]).
/// [`discover`] has vetted the file; it is read no further than the most a
/// story file can be, so a file with no line breaks cannot exhaust memory.
fn is_entry(file: &Path) -> io::Result<bool> {
    use std::io::Read;
    crate::syntax::is_entry(io::BufReader::new(
        fsio::open_regular(file)?.take(fsio::MAX_FILE_BYTES),
    ))
}

/// The `.fab` files under some paths, and the stories among them.
#[derive(Debug, Default)]
pub struct Found {
    /// Every `.fab` file found, sorted, each vetted as a story file.
    pub files: BTreeSet<PathBuf>,
    /// The entry files among them: those with a `title:` header, and any
    /// file named explicitly.
    pub entries: Vec<PathBuf>,
}

/// Every `.fab` file under `paths`, and the stories' entry files among
/// them: those with a `title:` header, and any file named explicitly.
pub fn find_stories(paths: &[PathBuf]) -> Result<Found, FindError> {
    let mut files = BTreeSet::new();
    for path in paths {
        discover(path, &mut files)?;
    }
    let explicit: HashSet<PathBuf> = paths.iter().map(|path| normalize(path)).collect();
    let mut entries = Vec::new();
    for file in &files {
        if is_entry(file).map_err(read(file))? || explicit.contains(file) {
            entries.push(file.clone());
        }
    }
    Ok(Found { files, entries })
}

/// The entry file of a story given as a file or as a folder holding
/// exactly one story.
pub fn entry_of(path: &Path) -> Result<PathBuf, FindError> {
    fsio::check_named(path).map_err(read(path))?;
    if std::fs::metadata(path).map_err(read(path))?.is_file() {
        return Ok(path.to_path_buf());
    }
    let mut entries = find_stories(&[path.to_path_buf()])?.entries;
    match entries.len() {
        1 => Ok(entries.remove(0)),
        0 => Err(FindError::NoStory {
            path: path.to_path_buf(),
        }),
        _ => Err(FindError::SeveralStories {
            path: path.to_path_buf(),
            entries,
        }),
    }
}

/// `W0005` for a `.fab` file that no story read, located on its first line,
/// with the file as the only source of its map. The file is read (as a
/// story file is: regular, bounded) to quote that line.
pub fn not_part_of_any_story(file: &Path) -> Result<(Diagnostic, SourceMap), FindError> {
    let bytes = fsio::read_regular(file).map_err(read(file))?;
    let (text, _) = crate::syntax::decode(FileId(0), &bytes);
    let first_line = text.lines().next().map_or(0, str::len);
    let mut sources = SourceMap::default();
    let id = sources.add(file.to_path_buf(), text);
    let diagnostic = Diagnostic::new(
        Code::W0005,
        Span::new(id, 0, first_line),
        format!("`{}` is not part of any story", file.display()),
    )
    .with_help("give it a `title:` header to make it a story, or `include` it from one");
    Ok((diagnostic, sources))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary folder.
    fn folder(name: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("fabula-discover-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(path.join("part")).unwrap();
        path
    }

    #[test]
    fn finds_the_files_the_entries_and_the_strays() {
        let root = folder("found");
        std::fs::write(root.join("main.fab"), "title: T\ninclude \"part/a.fab\"\n").unwrap();
        std::fs::write(
            root.join("part/a.fab"),
            "== start\n-> ending e\n== ending e\nE.\n",
        )
        .unwrap();
        std::fs::write(root.join("stray.fab"), "A note.\n").unwrap();
        std::fs::write(root.join("notes.txt"), "not a story").unwrap();
        let found = find_stories(std::slice::from_ref(&root)).unwrap();
        assert_eq!(found.files.len(), 3);
        assert_eq!(found.entries, vec![normalize(&root.join("main.fab"))]);
        assert_eq!(entry_of(&root).unwrap(), normalize(&root.join("main.fab")));
        let (warning, sources) = not_part_of_any_story(&root.join("stray.fab")).unwrap();
        assert_eq!(warning.code, Code::W0005);
        assert_eq!(sources.get(warning.span.file).text, "A note.\n");
        // A file named explicitly is an entry, title or not.
        let named = find_stories(&[root.join("stray.fab")]).unwrap();
        assert_eq!(named.entries.len(), 1);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_folder_of_no_story_or_of_two_says_so() {
        let root = folder("entries");
        std::fs::write(root.join("part/a.fab"), "== start\n").unwrap();
        let none = entry_of(&root).unwrap_err();
        assert!(matches!(none, FindError::NoStory { .. }), "{none}");
        assert!(
            none.to_string()
                .ends_with("holds no story (no `.fab` file with a `title:` header)")
        );
        std::fs::write(root.join("one.fab"), "title: One\n").unwrap();
        std::fs::write(root.join("two.fab"), "title: Two\n").unwrap();
        let two = entry_of(&root).unwrap_err();
        assert!(two.to_string().contains("holds 2 stories ("), "{two}");
        let missing = entry_of(&root.join("nowhere.fab")).unwrap_err();
        assert!(matches!(missing, FindError::Read { .. }), "{missing}");
        assert!(std::error::Error::source(&missing).is_some());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
