//! Pages in every state, each combination of what they read run once.
//!
//! The player may open a page in any state, so the search must know that
//! no fallible page ([`Bounds::fallible_pages`]) fails in any state it
//! stores. A page changes nothing, and [`Machine::page`] runs it from a
//! fresh start (its own scene, fresh locals, no calls): what it shows, and
//! whether it fails, is a function of the parts of the state its code can
//! read — the variables it loads (through every function it calls), the
//! visit counts and `taken()` marks it asks about, and `turns` — and of
//! those, only the ones that reach a part that can fail ([`reads`]). Two
//! states that agree on those run the page alike as far as failing goes,
//! so a page that passed once for a combination passes for every state
//! with that combination; a status
//! page with a dozen function calls was most of the search's time on the
//! bundled story when it ran in each of 400,000 states.
//!
//! Exactness: the key holds every value that can decide whether the page
//! fails, compared whole (no hash stands for it); only passes are remembered, so a failing
//! page is run, and reported, in every state where it fails, as before. A
//! page whose outcome can depend on anything else — a random draw (the
//! state's generator), alternatives that can fail (their sequence
//! counters), or an op a page should not have — is not remembered and runs
//! in every state.

use std::collections::HashSet;

use crate::graph::{ChoiceId, Expr, Instr, Op, Part, SceneId, Story, Value, VarId};
use crate::runtime::{Machine, RuntimeError, State};

use super::Bounds;
use super::bounds::{can_fail, has_glue, may_overflow, text_can_fail};

/// Per worker: what each fallible page reads, and the combinations of
/// those values in which it has passed.
pub(super) struct PageMemo {
    pages: Vec<Memo>,
    /// About how many bytes the remembered keys hold; past
    /// [`MEMO_BYTES`] nothing more is remembered (pages then run in every
    /// new combination's state, as without a memo), so the memo cannot
    /// take the machine's memory past the search's own budget.
    bytes: usize,
    /// [`MEMO_BYTES`], but for tests.
    cap: usize,
}

/// The most the remembered keys of one worker may hold: 64 MiB.
const MEMO_BYTES: usize = 64 << 20;

struct Memo {
    page: SceneId,
    /// `None`: the page's outcome can depend on more than [`Reads`] says;
    /// it runs in every state.
    reads: Option<Reads>,
    passed: HashSet<Key>,
    /// The key of the state at hand, reused from state to state.
    scratch: Key,
}

/// The parts of a state a page's code reads.
#[derive(Default)]
struct Reads {
    vars: Vec<VarId>,
    visits: Vec<SceneId>,
    taken: Vec<ChoiceId>,
    turns: bool,
}

/// The values of a [`Reads`] in one state, in its order.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
struct Key {
    values: Vec<Value>,
    counters: Vec<u64>,
}

impl PageMemo {
    pub(super) fn new(story: &Story, bounds: &Bounds) -> PageMemo {
        let glue = has_glue(story);
        PageMemo {
            pages: bounds
                .fallible_pages
                .iter()
                .map(|&page| Memo {
                    page,
                    reads: reads(story, glue, page),
                    passed: HashSet::new(),
                    scratch: Key::default(),
                })
                .collect(),
            bytes: 0,
            cap: MEMO_BYTES,
        }
    }

    /// Runs every fallible page in `state` (or knows it passes) and calls
    /// `failed` with each page's error.
    pub(super) fn check(
        &mut self,
        machine: &mut Machine,
        story: &Story,
        state: &State,
        mut failed: impl FnMut(RuntimeError),
    ) {
        for memo in &mut self.pages {
            if let Some(reads) = &memo.reads {
                fill(reads, state, &mut memo.scratch);
                if memo.passed.contains(&memo.scratch) {
                    continue;
                }
            }
            match machine.page(story, state, memo.page) {
                Some(Err(error)) => failed(error),
                _ => {
                    if memo.reads.is_some() && self.bytes < self.cap {
                        self.bytes += memo.scratch.bytes();
                        memo.passed.insert(memo.scratch.clone());
                    }
                }
            }
        }
    }
}

impl Key {
    /// About what the key takes in memory once remembered: its two
    /// vectors, their contents and the table's slot (a text value's bytes
    /// are shared with the state, not copied).
    fn bytes(&self) -> usize {
        std::mem::size_of::<Key>()
            + self.values.len() * std::mem::size_of::<Value>()
            + self.counters.len() * std::mem::size_of::<u64>()
            + 16
    }
}

/// The values `reads` names in `state`, into `key`.
fn fill(reads: &Reads, state: &State, key: &mut Key) {
    key.values.clear();
    key.values.extend(reads.vars.iter().map(|var| {
        state
            .vars
            .get(var.index())
            .cloned()
            .unwrap_or(Value::Int(0))
    }));
    key.counters.clear();
    key.counters.extend(
        reads
            .visits
            .iter()
            .map(|scene| u64::from(state.visits.get(scene.index()).copied().unwrap_or(0))),
    );
    key.counters.extend(reads.taken.iter().map(|choice| {
        let word = state.taken.get(choice.index() / 64).copied().unwrap_or(0);
        (word >> (choice.index() % 64)) & 1
    }));
    if reads.turns {
        key.counters.push(u64::from(state.turns));
    }
}

/// What can decide whether page `page` fails, or `None` when that can
/// depend on more than a [`Reads`] holds. `glue`: whether the story uses
/// glue anywhere ([`may_overflow`]).
///
/// Narrower than everything the page reads, by the rule
/// [`Bounds::fallible_pages`] is built on: a text part whose code cannot
/// fail (`can_fail`) renders whatever the values, so only the expressions
/// that can fail count, with the conditions that decide whether they run —
/// every condition between the page's ops, and an inline condition around a
/// part that can fail — and the values of its temporaries; and every value
/// and condition of a paragraph whose length can pass the runtime's limit. A page that
/// shows `{year}` beside a vote count is run once for each vote, not once a
/// year.
fn reads(story: &Story, glue: bool, page: SceneId) -> Option<Reads> {
    let mut reads = Reads::default();
    let mut exprs: Vec<&Expr> = Vec::new();
    for op in story.scenes.get(page.index())?.ops.iter() {
        match op {
            Op::Text { text, .. } => {
                let whole = may_overflow(story, glue, text);
                parts(story, text, whole, &mut exprs)?
            }
            Op::JumpUnless { condition, .. } => exprs.push(condition),
            Op::Assert { condition, .. } => exprs.push(condition),
            Op::SetLocal { value, .. } => exprs.push(value),
            Op::Jump { .. } | Op::End { .. } => {}
            Op::Assign { .. }
            | Op::Choices { .. }
            | Op::Divert { .. }
            | Op::Call { .. }
            | Op::Return { .. } => return None,
        }
    }
    for expr in exprs {
        for code in story.reachable_code(story.code(expr)) {
            for instr in code {
                match instr {
                    Instr::Load(var) => reads.vars.push(*var),
                    Instr::Visits(scene) => reads.visits.push(*scene),
                    Instr::Taken(choice) => reads.taken.push(*choice),
                    Instr::Turns => reads.turns = true,
                    Instr::Random => return None,
                    _ => {}
                }
            }
        }
    }
    reads.vars.sort_unstable_by_key(|var| var.index());
    reads.vars.dedup();
    reads.visits.sort_unstable_by_key(|scene| scene.index());
    reads.visits.dedup();
    reads.taken.sort_unstable_by_key(|choice| choice.index());
    reads.taken.dedup();
    Some(reads)
}

/// The expressions of a text that can decide whether it fails — all of
/// them when `whole`, for a paragraph whose length can pass the limit
/// ([`may_overflow`]) — or `None` when alternatives that can fail are
/// among them (which option runs depends on sequence counters and
/// shuffles, state a key does not hold).
fn parts<'s>(
    story: &'s Story,
    text: &'s [Part],
    whole: bool,
    exprs: &mut Vec<&'s Expr>,
) -> Option<()> {
    for part in text {
        match part {
            Part::Literal(_) => {}
            Part::Value(expr) => {
                if whole || can_fail(story.code(expr)) {
                    exprs.push(expr);
                }
            }
            Part::Conditional(conditional) => {
                if whole
                    || can_fail(story.code(&conditional.condition))
                    || text_can_fail(story, &conditional.then)
                    || text_can_fail(story, &conditional.otherwise)
                {
                    exprs.push(&conditional.condition);
                    parts(story, &conditional.then, whole, exprs)?;
                    parts(story, &conditional.otherwise, whole, exprs)?;
                }
            }
            Part::Alternatives(alternatives) => {
                if whole
                    || alternatives
                        .options
                        .iter()
                        .any(|option| text_can_fail(story, option))
                {
                    return None;
                }
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The share of the vote divides by the allies: the page passes with
    /// one or two, fails with none — remembered or not.
    const STORY: &str = "title: T\nvar allies = 1\nvar mood = 0\n== start\n+ Again -> start\n* Stop -> ending fine\n== page status: Status\nMood {mood}. Each ally carries {100 / allies}%.\n== ending fine\nFine.\n";

    fn failures(memo: &mut PageMemo, story: &Story, allies: i64, mood: i64) -> usize {
        let mut state = State::new(story, 0);
        state.vars[0] = Value::Int(allies);
        state.vars[1] = Value::Int(mood);
        let mut found = 0;
        memo.check(&mut Machine::new(), story, &state, |_| found += 1);
        found
    }

    #[test]
    fn a_page_runs_once_a_combination_and_every_failure_is_found() {
        let mut read = |_: &std::path::Path| Ok(STORY.as_bytes().to_vec());
        let story = crate::compile::compile(std::path::Path::new("t.fab"), &mut read)
            .unwrap()
            .story
            .unwrap();
        let bounds = super::super::bounds(&story);
        for cap in [MEMO_BYTES, 0] {
            let mut memo = PageMemo::new(&story, &bounds);
            memo.cap = cap;
            // `{mood}` only shows: it is not part of the key.
            assert_eq!(failures(&mut memo, &story, 2, 0), 0);
            assert_eq!(failures(&mut memo, &story, 2, 5), 0);
            let remembered = memo.pages[0].passed.len();
            assert_eq!(remembered, usize::from(cap > 0));
            assert_eq!(failures(&mut memo, &story, 0, 0), 1);
            assert_eq!(
                failures(&mut memo, &story, 0, 0),
                1,
                "failures are never remembered"
            );
            assert_eq!(failures(&mut memo, &story, 1, 3), 0);
        }
    }
}
