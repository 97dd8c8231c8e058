//! Static analysis over the narrative graph, one pass per file.
//!
//! Name, type and structure errors are found while lowering (see
//! [`crate::graph`]); these passes need the whole graph.

mod choices;
mod cycles;
mod dead_end;
mod divert_loop;
mod fallback;
mod follow_ons;
mod reachability;
mod returns;
mod shown_condition;

use crate::diagnostic::Diagnostic;
use crate::graph::Story;

pub(crate) use follow_ons::drop_follow_ons;

/// Runs every graph pass over a story that lowered without errors.
pub fn graph_passes(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
    reachability::check(story, diagnostics);
    dead_end::check(story, diagnostics);
    divert_loop::check(story, diagnostics);
    choices::check(story, diagnostics);
    fallback::check(story, diagnostics);
    returns::check(story, diagnostics);
    shown_condition::check(story, diagnostics);
}
