//! Integration tests of the runtime, saves and the player: one binary,
//! one module per area.

mod golden;
mod limits;
mod opening;
mod saves;
#[path = "../stories.rs"]
mod stories;
mod terminal;
mod tunnels;
mod view;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fabula::compile::compile;
use fabula::graph::Story;

/// Compiles a one-file story from text, failing the test on errors.
pub fn story(text: &str) -> Arc<Story> {
    let text = text.to_string();
    let mut read = |_: &Path| Ok(text.clone().into_bytes());
    let loaded = compile(Path::new("test.fab"), &mut read).unwrap();
    assert_eq!(loaded.errors(), 0, "{:#?}", loaded.diagnostics);
    Arc::new(loaded.story.unwrap())
}

/// A fresh, empty folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
