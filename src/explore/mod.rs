//! Proving a story: exhaustive search of its state space over the
//! runtime's own semantics, and how to report what it found.

mod bounds;
mod findings;
mod pages;
mod replay;
mod report;
mod search;
mod store;
mod witness;

pub use bounds::{Bounds, SeqUse, bounds};
pub use report::{human, json};
pub use search::{
    Cutoff, EndingReport, Growth, Limits, MAX_THREADS, Problem, Progress, Report, Trap, Witness,
    default_max_memory, explore, explore_with_threads,
};
pub use witness::{Divergence, Step, steps};
pub(crate) use witness::{render_witness, replay_command, shell_quote, steps_json};
