//! Finding the test stories in a folder: shared by both test binaries
//! (`tests/main.rs`, and `tests/runtime/main.rs` through `#[path]`).

use std::path::{Path, PathBuf};

/// Every `.fab` file directly in `folder` (a path from the crate's root),
/// sorted, so a run reads them in the same order every time.
pub fn fab_files(folder: &str) -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", folder.display()))
        .map(|entry| entry.expect("a readable folder").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "fab"))
        .collect();
    files.sort();
    files
}
