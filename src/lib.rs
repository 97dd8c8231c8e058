//! Fabula: an interactive-fiction engine that proves its stories.

pub mod ast;
pub mod diagnostic;
pub mod graph;
pub mod syntax;
