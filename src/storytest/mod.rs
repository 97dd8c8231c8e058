//! `fabula test`: a story's own `test` blocks run through the runtime,
//! random playthroughs with shrunk failures, and line coverage as lcov.
//! Built on [`crate::runtime`] only: no rule of the language is
//! re-implemented here.

mod coverage;
mod random;
mod report;
mod run;

pub use coverage::{Coverage, Lcov, Summary, Tally, summary};
pub use random::{
    FailureKind, MAX_TURNS, RandomFailure, RandomReport, Replay, WANDERERS, playthrough_seed,
    random_play, replay, shrink,
};
pub use report::{human_failure, human_random, human_test, json_random, json_summary, json_test};
pub use run::{Failure, TEST_SEED, TestOutcome, run_tests};
