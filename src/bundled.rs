//! The bundled scenario, "The Rise of Stalin", compiled from the copy
//! embedded in the binary.

use std::path::{Path, PathBuf};

use crate::compile::{LoadedStory, compile};

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The bundled story's entry file, as its paths are shown in messages.
pub const ENTRY: &str = "rise_of_stalin/main.fab";

/// Compiles the embedded copy of the bundled story.
pub fn load() -> LoadedStory {
    let mut read = |path: &Path| {
        let relative = path.strip_prefix("rise_of_stalin").unwrap_or(path);
        let relative = relative.to_string_lossy().replace('\\', "/");
        FILES
            .iter()
            .find(|(name, _)| *name == relative)
            .map(|(_, text)| text.as_bytes().to_vec())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    };
    compile(&PathBuf::from(ENTRY), &mut read).expect("the bundled entry file is embedded")
}
