//! Fabula: an interactive-fiction engine that proves its stories.
//!
//! The pipeline runs one way: [`syntax`] parses story files into an
//! [`ast`]; [`graph`] loads a story's files, resolves every name and compiles
//! scenes into the narrative graph; [`check`] runs whole-graph passes;
//! [`compile`] drives the two and collects the diagnostics;
//! [`runtime`] plays the graph (no I/O), [`slots`] keeps saves on disk and
//! [`repl`] is the interactive player. Every stage reports problems as
//! [`diagnostic::Diagnostic`]s with stable codes; [`explore`] proves a story
//! by searching every reachable state. Every file read from or written to
//! disk goes through [`fsio`], which treats stories as untrusted input.
//! A game embeds a story through [`embed`]: compile, play, variables by
//! name, observers, saves (docs/EMBEDDING.md).
//!
//! Compiling and playing a story from memory:
//!
//! ```
//! use std::path::Path;
//! use std::sync::Arc;
//! use fabula::runtime::{Session, Status};
//!
//! let text = "title: Gorki
//! var rudeness = 0
//! == gorki: Gorki, 1922
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
//! ";
//! let mut read = |_: &Path| Ok(text.as_bytes().to_vec());
//! let loaded = fabula::compile::compile(Path::new("gorki.fab"), &mut read)?;
//! let story = Arc::new(loaded.story.expect("no errors"));
//!
//! let mut game = Session::start(story, 42);
//! assert_eq!(game.choices()[0].text, "Telephone Krupskaya");
//! game.choose(0)?;
//! assert!(game.transcript_text().contains("Krupskaya writes to Kamenev."));
//! let Status::Ended(ending) = game.status() else { panic!("the story ends") };
//! assert_eq!((ending.name.as_str(), ending.number, ending.of), ("winter", 1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod ast;
pub mod bundled;
pub mod check;
pub mod compile;
pub mod diagnostic;
pub mod embed;
pub mod explore;
pub mod fsio;
pub mod generate;
pub mod graph;
pub mod map;
mod parallel;
pub mod render;
#[cfg(feature = "cli")]
pub mod repl;
pub mod runtime;
pub mod slots;
pub mod storytest;
pub mod syntax;
