//! Finding stories on disk: every `.fab` file under the paths given, the
//! entry files among them, and the one entry file a command names.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use fabula::fsio;
use fabula::graph::normalize;

/// Every `.fab` file under `path` (or `path` itself), sorted. Each must be
/// a regular file that resolves, links followed, to a place inside `path`
/// (a file named itself: inside its own folder); anything else is an error,
/// before any byte of it is read. Links to folders are not followed.
fn discover(path: &Path, found: &mut BTreeSet<PathBuf>) -> Result<()> {
    let cannot_read = |path: &Path| format!("cannot read `{}`", path.display());
    fsio::check_named(path).with_context(|| cannot_read(path))?;
    let metadata = std::fs::metadata(path).with_context(|| cannot_read(path))?;
    if !metadata.is_dir() {
        let folder = fsio::StoryFolder::of_entry(path).with_context(|| cannot_read(path))?;
        check_story_file(&folder, path).with_context(|| cannot_read(path))?;
        found.insert(normalize(path));
        return Ok(());
    }
    let root = fsio::StoryFolder::new(path).with_context(|| cannot_read(path))?;
    // An explicit stack: folder depth is the user's, not ours to recurse on.
    let mut folders = vec![path.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot read folder `{}`", folder.display()))?;
        for entry in entries {
            let entry =
                entry.with_context(|| format!("cannot read folder `{}`", folder.display()))?;
            let file_type = entry.file_type()?;
            let child = entry.path();
            if file_type.is_dir() {
                folders.push(child);
            } else if child.extension().is_some_and(|ext| ext == "fab") {
                check_story_file(&root, &child).with_context(|| cannot_read(&child))?;
                found.insert(normalize(&child));
            }
        }
    }
    Ok(())
}

/// Whether `file` may be read as part of a story in `folder`: it resolves
/// inside the folder, to a regular file of at most 1 GiB.
fn check_story_file(folder: &fsio::StoryFolder, file: &Path) -> std::io::Result<()> {
    drop(fsio::open_regular(&folder.resolve(file)?)?);
    Ok(())
}

/// Whether a file is a story's entry ([`fabula::syntax::is_entry`]).
/// [`discover`] has vetted the file; it is read no further than the most a
/// story file can be, so a file with no line breaks cannot exhaust memory.
fn is_entry(file: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    fabula::syntax::is_entry(std::io::BufReader::new(
        fsio::open_regular(file)?.take(fsio::MAX_FILE_BYTES),
    ))
}

/// Every `.fab` file under `paths`, and the stories' entry files among
/// them: those with a `title:` header, and any file named explicitly.
pub(super) fn find_stories(paths: &[PathBuf]) -> Result<(BTreeSet<PathBuf>, Vec<PathBuf>)> {
    let mut files = BTreeSet::new();
    for path in paths {
        discover(path, &mut files)?;
    }
    let explicit: HashSet<PathBuf> = paths.iter().map(|path| normalize(path)).collect();
    let mut entries = Vec::new();
    for file in &files {
        let entry = is_entry(file).with_context(|| format!("cannot read `{}`", file.display()))?;
        if entry || explicit.contains(file) {
            entries.push(file.clone());
        }
    }
    Ok((files, entries))
}

/// The entry file of a story given as a file or as a folder holding
/// exactly one story.
pub(super) fn entry_of(path: &Path) -> Result<PathBuf> {
    fsio::check_named(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    if std::fs::metadata(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?
        .is_file()
    {
        return Ok(path.to_path_buf());
    }
    let (_, mut entries) = find_stories(&[path.to_path_buf()])?;
    match entries.len() {
        1 => Ok(entries.remove(0)),
        0 => bail!(
            "`{}` holds no story (no `.fab` file with a `title:` header)",
            path.display()
        ),
        _ => bail!(
            "`{}` holds {} stories ({}); name one entry file",
            path.display(),
            entries.len(),
            entries
                .iter()
                .map(|e| e.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
