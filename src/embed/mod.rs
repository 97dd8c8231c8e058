//! The library a game embeds: compile a story ([`Story`]), play it
//! ([`Session`]), read and set its variables by name ([`VarValue`]), watch
//! them change, jump to a scene, save and load. The same calls as ink's
//! runtime API (`docs/EMBEDDING.md` compares them one by one), over the
//! runtime the checker and the explorer prove stories with.
//!
//! ```
//! use fabula::embed::{Story, VarValue};
//!
//! let story = Story::compile_str("gorki.fab", "title: Gorki
//! var rudeness = 0
//! == gorki
//! #place: gorki
//! Snow.
//! #mood: grim
//! Lenin lies paralysed.
//! * Telephone Krupskaya
//!     ~ rudeness += 1
//!     -> letter
//! * Wait -> letter
//! == letter
//! {rudeness > 0: Krupskaya writes to Kamenev.|The house is quiet.}
//! -> ending winter
//! == ending winter: Winter
//! Snow.
//! ")?;
//! let mut game = story.start(42);
//! assert_eq!(game.scene().tags[0].key, "place");
//! assert_eq!(game.next_paragraph().map(|p| p.text).as_deref(), Some("Snow."));
//! let second = game.next_paragraph().expect("a second line");
//! assert_eq!(second.text, "Lenin lies paralysed.");
//! assert_eq!(game.current_tags()[0].key, "mood");
//! game.set("rudeness", 2)?;
//! game.choose(1)?;
//! assert_eq!(game.get("rudeness")?, VarValue::Int(2));
//! assert!(game.current_text().contains("Krupskaya writes to Kamenev."));
//! assert_eq!(game.ending().map(|ending| ending.name.as_str()), Some("winter"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Without its default `cli` feature the crate builds none of the
//! terminal: `fabula = { version = "0.1", default-features = false }`.

#![warn(missing_docs)]

mod externs;
mod session;
#[cfg(test)]
mod tests;
mod value;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Severity, SourceMap};
use crate::fsio;
use crate::graph::{self, normalize};

pub use crate::graph::Tag;
pub use crate::runtime::savefile::SaveError;
pub use crate::runtime::{ChooseError, Ending, RuntimeError, UndoError};
pub use externs::Bindings;
pub use session::{Choice, ObserverId, Paragraph, PlayError, SceneInfo, Session};
pub use value::{VarType, VarValue};

/// A compiled story, ready to play any number of times. Cheap to clone:
/// the compiled graph is shared.
#[derive(Debug, Clone)]
pub struct Story {
    graph: Arc<graph::Story>,
    warnings: Vec<Diagnostic>,
}

/// Why a story could not be compiled. Its `Display` is what `fabula check`
/// prints: every diagnostic, rustc-style, without colour.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The entry file or the folder could not be read:
    /// `Story::compile_dir("missing.fab")`.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// [`Story::compile_dir`] on a folder with no `.fab` file that has a
    /// `title:` header.
    #[error("`{}` holds no story (no `.fab` file with a `title:` header)", folder.display())]
    NoStory {
        /// The folder.
        folder: PathBuf,
    },
    /// [`Story::compile_dir`] on a folder with several stories: name the
    /// entry file instead.
    #[error("`{}` holds {} stories; name one entry file", folder.display(), entries.len())]
    ManyStories {
        /// The folder.
        folder: PathBuf,
        /// Every entry file found, sorted.
        entries: Vec<PathBuf>,
    },
    /// The story has errors: `if gold > 2` without its `:`.
    #[error("{0}")]
    Story(Diagnostics),
}

/// A story's diagnostics, with the sources they point into.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    /// Every error and warning, in file and position order.
    pub diagnostics: Vec<Diagnostic>,
    /// The story's files.
    pub sources: Arc<SourceMap>,
}

impl Diagnostics {
    /// How many of them are errors.
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity() == Severity::Error)
            .count()
    }

    /// Every diagnostic as `fabula check` prints it, without colour.
    pub fn rendered(&self) -> String {
        self.diagnostics
            .iter()
            .map(|diagnostic| crate::render::human(diagnostic, &self.sources, false))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.errors();
        let warnings = self.diagnostics.len() - errors;
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "the story has {errors} error{} and {warnings} warning{}\n\n{}",
            plural(errors),
            plural(warnings),
            self.rendered()
        )
    }
}

impl Story {
    /// Compiles a story held in memory, in one file called `name` (which
    /// diagnostics show). An `include` fails as a missing file; use
    /// [`Story::compile_sources`] for a story in several files.
    pub fn compile_str(name: &str, source: &str) -> Result<Story, CompileError> {
        Story::compile_sources(name, &[(name, source)])
    }

    /// Compiles a story held in memory in several files (`include_str!`ed
    /// into a game, say): `entry` is the name of the file with the
    /// `title:` header, `files` every file by the name `include` uses.
    pub fn compile_sources(entry: &str, files: &[(&str, &str)]) -> Result<Story, CompileError> {
        let files: Vec<(PathBuf, &str)> = files
            .iter()
            .map(|(name, text)| (normalize(Path::new(name)), *text))
            .collect();
        let mut read = |path: &Path| {
            let path = normalize(path);
            files
                .iter()
                .find(|(name, _)| *name == path)
                .map(|(_, text)| text.as_bytes().to_vec())
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        };
        let entry = Path::new(entry);
        let loaded =
            crate::compile::compile(entry, &mut read).map_err(|source| CompileError::Io {
                path: entry.to_path_buf(),
                source,
            })?;
        Story::from_loaded(loaded)
    }

    /// Compiles a story from disk: an entry file, or a folder holding
    /// exactly one (a `.fab` file with a `title:` header, in it or below
    /// it). Only files inside the entry file's folder are read, as with
    /// `fabula play` (docs/SECURITY.md).
    pub fn compile_dir(path: impl AsRef<Path>) -> Result<Story, CompileError> {
        let path = path.as_ref();
        let io = |source| CompileError::Io {
            path: path.to_path_buf(),
            source,
        };
        fsio::check_named(path).map_err(io)?;
        let entry = if std::fs::metadata(path).map_err(io)?.is_dir() {
            let mut entries = entries_in(path)?;
            match entries.len() {
                1 => entries.remove(0),
                0 => {
                    return Err(CompileError::NoStory {
                        folder: path.to_path_buf(),
                    });
                }
                _ => {
                    return Err(CompileError::ManyStories {
                        folder: path.to_path_buf(),
                        entries,
                    });
                }
            }
        } else {
            path.to_path_buf()
        };
        let loaded = crate::compile::compile_files(&entry).map_err(|source| CompileError::Io {
            path: entry.clone(),
            source,
        })?;
        Story::from_loaded(loaded)
    }

    fn from_loaded(loaded: crate::compile::LoadedStory) -> Result<Story, CompileError> {
        match loaded.story {
            Some(story) => Ok(Story {
                graph: Arc::new(story),
                warnings: loaded.diagnostics,
            }),
            None => Err(CompileError::Story(Diagnostics {
                diagnostics: loaded.diagnostics,
                sources: loaded.sources,
            })),
        }
    }

    /// A story compiled some other way (from RON, say), with no warnings.
    pub fn from_graph(graph: Arc<graph::Story>) -> Story {
        Story {
            graph,
            warnings: Vec::new(),
        }
    }

    /// The compiled narrative graph, for what this module does not cover.
    pub fn graph(&self) -> &Arc<graph::Story> {
        &self.graph
    }

    /// The `title:` header.
    pub fn title(&self) -> &str {
        &self.graph.title
    }

    /// The warnings the story compiled with (`W` codes), with its sources.
    pub fn warnings(&self) -> Diagnostics {
        Diagnostics {
            diagnostics: self.warnings.clone(),
            sources: Arc::clone(&self.graph.sources),
        }
    }

    /// Every scene's name (endings included, pages not: a page is read,
    /// never entered), in the story's order: what `Session::jump` takes.
    pub fn scenes(&self) -> impl Iterator<Item = &str> {
        self.graph
            .scenes
            .iter()
            .filter(|scene| !scene.is_page)
            .map(|scene| scene.name.as_str())
    }

    /// Every page's name (`== page status`), in the story's order: what
    /// `Session::page` takes.
    pub fn pages(&self) -> impl Iterator<Item = &str> {
        self.graph.pages().map(|(_, page)| page.name.as_str())
    }

    /// A scene by name: its title, tags, whether it is an ending.
    pub fn scene(&self, name: &str) -> Option<SceneInfo> {
        let id = self.graph.scene_by_name(name)?;
        Some(SceneInfo::of(&self.graph, id))
    }

    /// Every variable's name and type, in declaration order.
    pub fn variables(&self) -> impl Iterator<Item = (&str, VarType)> {
        self.graph
            .vars
            .iter()
            .map(|var| (var.name.as_str(), VarType::of(&self.graph, var.ty)))
    }

    /// Starts a game, run to its first choice (or ending, or runtime
    /// error). The seed decides every random draw: the same seed and the
    /// same choices give the same game.
    pub fn start(&self, seed: u64) -> Session {
        Session::start(self, seed)
    }
}

/// The entry files under `folder`, sorted: `.fab` files with a `title:`
/// header before their first scene. Folder links are not followed; files
/// must resolve inside the folder.
fn entries_in(folder: &Path) -> Result<Vec<PathBuf>, CompileError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CompileError::Io { path, source }
    };
    let root = fsio::StoryFolder::new(folder).map_err(io(folder))?;
    let mut entries = Vec::new();
    // An explicit stack: folder depth is the user's, not ours to recurse on.
    let mut folders = vec![folder.to_path_buf()];
    while let Some(current) = folders.pop() {
        for child in std::fs::read_dir(&current).map_err(io(&current))? {
            let child = child.map_err(io(&current))?;
            let path = child.path();
            if child.file_type().map_err(io(&path))?.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "fab")
                && has_title(&root.read(&path).map_err(io(&path))?)
            {
                entries.push(path);
            }
        }
    }
    entries.sort();
    Ok(entries)
}

/// Whether a story file is an entry: a `title:` header before its first
/// scene (as `fabula check` decides).
fn has_title(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    for line in bytes.split(|&byte| byte == b'\n') {
        if line.starts_with(b"==") {
            return false;
        }
        if let Some(rest) = line.strip_prefix(b"title")
            && rest.trim_ascii_start().starts_with(b":")
        {
            return true;
        }
    }
    false
}

/// `docs/EMBEDDING.md`'s examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/EMBEDDING.md")]
pub struct EmbeddingGuide;
