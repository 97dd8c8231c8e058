//! Proving a story: exhaustive search of its state space over the
//! runtime's own semantics.

mod bounds;

pub use bounds::{Bounds, bounds};
