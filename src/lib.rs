//! Fabula: an interactive-fiction engine that proves its stories.
//!
//! The pipeline runs one way: [`syntax`] parses story files into an
//! [`ast`]; [`graph`] loads a story's files, resolves every name and compiles
//! scenes into the narrative graph; [`check`] runs whole-graph passes; the
//! runtime plays the graph. Every stage reports problems as
//! [`diagnostic::Diagnostic`]s with stable codes.

pub mod ast;
pub mod bundled;
pub mod check;
pub mod diagnostic;
pub mod explore;
pub mod generate;
pub mod graph;
pub mod map;
pub mod render;
pub mod repl;
pub mod runtime;
pub mod slots;
pub mod storytest;
pub mod syntax;
