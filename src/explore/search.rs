//! Breadth-first search over every reachable state of a story, then a
//! backward pass over the transitions it found for traps.
//!
//! A state is the runtime's own [`State`] at a choice point, normalised by
//! the [`Bounds`] abstraction (only what can reach control flow is kept;
//! counters compared with constants are saturated; the random generator is
//! reset, since `random()` is branched instead) and stored in a compact
//! byte encoding, deduplicated by hash. Breadth-first order makes every
//! witness a shortest one. Each transition is the real [`Machine::choose`]
//! and [`Machine::run`]: there is no second implementation of the rules.
//!
//! Every transition between stored states is kept as an edge; once the
//! search is over, the states from which some ending (or a reported
//! failure) can still be reached are found by walking the edges backwards.
//! Any other reachable state is a *trap*: the player can go on choosing
//! for ever, but the story can no longer end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::bounds::{Bounds, SeqUse, bounds};
use super::pages::PageMemo;
use super::replay::{self, Goal};
use super::store::{Encoder, Inserted, Store};
use crate::diagnostic::Span;
use crate::graph::{AltKind, ChoiceId, Instr, Op, SceneId, Story};
use crate::runtime::{Machine, Output, Pause, RuntimeError, RuntimeErrorKind, State};

/// Limits on a search. Hitting one makes the result incomplete.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Stop after storing this many distinct states.
    pub max_states: Option<usize>,
    /// Do not expand states more than this many choices from the start.
    pub max_depth: Option<u32>,
    /// Stop when the search holds more than this many bytes (states, the
    /// transitions kept for the trap pass, and the level being expanded).
    pub max_memory: Option<u64>,
    /// Set (by a signal handler) to stop the search early.
    pub stop: Option<&'static AtomicBool>,
    /// Look for traps (states from which no ending can be reached). Without
    /// it a search cannot prove a story; only the benchmark turns it off,
    /// to measure what it costs.
    pub find_traps: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_states: None,
            max_depth: None,
            max_memory: None,
            stop: None,
            find_traps: true,
        }
    }
}

/// Most threads a search uses, whatever it is asked for.
pub const MAX_THREADS: usize = 256;

/// A shortest choice sequence from the start: the number of the choice as
/// shown (1-based, disabled choices counted) at each choice point.
pub type Witness = Vec<u32>;

/// An ending the story declares, and whether and how the search reached it.
#[derive(Debug, Clone)]
pub struct EndingReport {
    /// The ending.
    pub scene: SceneId,
    /// How many transitions from reachable states end here.
    pub arrivals: u64,
    /// A shortest way there, if reached.
    pub witness: Option<Witness>,
    /// For a story that draws random values: a `--seed` under which the
    /// player, making the witness's choices, gets there (see
    /// `explore/replay.rs`); `None` when none was found, or none is needed.
    pub seed: Option<u64>,
}

/// A soft-lock or runtime error, with a shortest way to it.
#[derive(Debug, Clone)]
pub struct Problem {
    /// What went wrong: a dead end, an empty choice block or a runtime error.
    pub error: RuntimeError,
    /// A shortest way to it.
    pub witness: Witness,
    /// How many transitions hit it.
    pub occurrences: u64,
    /// As [`EndingReport::seed`].
    pub seed: Option<u64>,
}

impl Problem {
    /// A dead end or an empty choice block: the player is stuck.
    pub fn is_soft_lock(&self) -> bool {
        matches!(
            self.error.kind,
            RuntimeErrorKind::DeadEnd | RuntimeErrorKind::NoChoiceAvailable
        )
    }
}

/// A set of reachable states from which no ending can be reached any more,
/// though choices remain: the player walks in circles for ever.
#[derive(Debug, Clone)]
pub struct Trap {
    /// The scene of the first state inside the trap.
    pub scene: SceneId,
    /// The choice block the player is at when first inside it.
    pub span: Span,
    /// A shortest way in: after its last choice, no ending can be reached.
    pub witness: Witness,
    /// How many explored states lie inside.
    pub states: usize,
    /// The scenes the player can still be in, inside (sorted).
    pub scenes: Vec<SceneId>,
    /// The choices still offered inside (sorted).
    pub choices: Vec<ChoiceId>,
    /// As [`EndingReport::seed`].
    pub seed: Option<u64>,
}

/// Why a search stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cutoff {
    /// More than [`Limits::max_states`] states (the limit given).
    MaxStates(usize),
    /// Deeper than [`Limits::max_depth`] choices (the limit given).
    MaxDepth(u32),
    /// The search would have held more than this many bytes.
    MaxMemory(u64),
    /// Stopped by a signal (Ctrl-C).
    Interrupted,
    /// A `random(lo, hi)` had more than 4,096 values, or one choice led to
    /// more than 65,536 combinations of random values: those were not all
    /// branched over.
    Random,
}

/// A kept value that was still growing when the search stopped early: the
/// likely reason the state space is too large.
#[derive(Debug, Clone)]
pub struct Growth {
    /// `gold`, `visits(hub)`, `turns`.
    pub what: String,
    /// Its largest absolute value in the last level searched.
    pub largest: i64,
    /// How many values it had there.
    pub distinct: usize,
    /// Where it is increased (assignments, or diverts into the scene).
    pub increased: Vec<Span>,
    /// Where it is read (conditions, guards, assignments).
    pub read: Vec<Span>,
}

/// What a search reports at least every so often.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Distinct states stored so far.
    pub states: usize,
    /// The level being expanded, in choices from the start.
    pub depth: u32,
    /// Transitions followed so far.
    pub transitions: u64,
    /// Bytes held so far.
    pub memory: u64,
    /// Time since the search started.
    pub elapsed: Duration,
}

/// The outcome of a search: what it found, how far it went, and why it
/// stopped if it stopped early. [`Report::proved`] is the verdict.
#[derive(Debug, Clone)]
pub struct Report {
    /// Distinct states stored.
    pub states: usize,
    /// Transitions followed, duplicates included.
    pub transitions: u64,
    /// The longest shortest path, in choices.
    pub depth: u32,
    /// Wall-clock time of the search.
    pub elapsed: Duration,
    /// Bytes held by the state store at the end.
    pub memory: usize,
    /// Bytes held by the transitions kept for the trap pass.
    pub edge_memory: usize,
    /// Distinct transitions between stored states.
    pub edges: u64,
    /// `None` when the whole state space was explored.
    pub cutoff: Option<Cutoff>,
    /// The bounds the kept values were reduced to (see `explore/bounds.rs`).
    pub bounds: Bounds,
    /// Whether some counter actually reached its saturation bound.
    pub saturated: bool,
    /// Every ending the story declares, in declaration order.
    pub endings: Vec<EndingReport>,
    /// Soft-locks and runtime errors found, one per kind and place.
    pub problems: Vec<Problem>,
    /// Whether traps were looked for (see [`Limits::find_traps`]).
    pub traps_checked: bool,
    /// Sets of states from which no ending can be reached.
    pub traps: Vec<Trap>,
    /// When the search stopped early: what kept growing.
    pub growth: Vec<Growth>,
    /// Scenes never entered in any reachable state.
    pub unreached_scenes: Vec<SceneId>,
    /// Choices never taken in any reachable state: never chosen, or, for a
    /// fallback, never taken by the story.
    pub unreached_choices: Vec<(SceneId, ChoiceId)>,
}

impl Report {
    /// Whether the whole state space was searched: no [`Cutoff`].
    pub fn complete(&self) -> bool {
        self.cutoff.is_none()
    }

    /// Every ending reached, nothing stuck, nothing failed, no trap,
    /// nothing cut off.
    pub fn proved(&self, allow_unreached_endings: bool) -> bool {
        self.complete()
            && self.traps_checked
            && self.problems.is_empty()
            && self.traps.is_empty()
            && (allow_unreached_endings || self.endings.iter().all(|e| e.witness.is_some()))
    }
}

/// Records what the runtime enters, and the fallbacks it takes, while a
/// transition runs.
struct Tracker {
    entered: Vec<bool>,
    fallbacks: Vec<bool>,
    /// The taken-bit words this transition may have marked (see
    /// `Encoder::copy_state`).
    dirty: Vec<u32>,
}

impl Output for Tracker {
    fn wants_text(&self) -> bool {
        false
    }

    fn enter(&mut self, scene: SceneId) {
        if let Some(seen) = self.entered.get_mut(scene.index()) {
            *seen = true;
        }
    }

    fn fallback(&mut self, choice: ChoiceId) {
        if let Some(seen) = self.fallbacks.get_mut(choice.index()) {
            *seen = true;
        }
        self.dirty.push(choice.0 / 64);
    }
}

/// What happened after one choice (the state itself stays with the caller).
enum Outcome {
    Paused,
    Ended(SceneId),
    Failed(RuntimeError),
}

/// Explores every reachable state of `story` (within `limits`) on as many
/// threads as the machine has cores. `progress` is called after each
/// batch of states (at least every few hundred milliseconds of work).
pub fn explore(story: &Story, limits: Limits, progress: &mut dyn FnMut(&Progress)) -> Report {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    explore_with_threads(story, limits, threads, progress)
}

/// Batches smaller than this are expanded on one thread: spawning costs
/// more than it saves.
const PARALLEL_LEVEL: usize = 4_096;
/// States expanded per thread between two merges: bounds the memory a
/// level's successors take before they are deduplicated.
const BATCH_PER_THREAD: usize = 16_384;

/// What expanding a run of states found, in the order a one-thread search
/// would have found it.
struct Expansion {
    /// Encoded successor states, back to back.
    bytes: Vec<u8>,
    /// Per successor: end offset in `bytes`, parent index, choice number.
    successors: Vec<(usize, u32, u32)>,
    /// Endings and failures, with the parent and choice number (0: before
    /// any choice was made at the parent).
    events: Vec<(u32, u32, Event)>,
    saturated: bool,
    transitions: u64,
    /// Some state here still had choices when the depth limit stopped it.
    cut_by_depth: bool,
    /// States some of whose transitions were not all run (a range, or
    /// combinations, too many to branch over): where they lead is not fully
    /// known.
    unknown: Vec<u32>,
}

impl Expansion {
    fn memory(&self) -> usize {
        self.bytes.capacity()
            + self.successors.capacity() * std::mem::size_of::<(usize, u32, u32)>()
            + self.events.capacity() * std::mem::size_of::<(u32, u32, Event)>()
    }
}

/// A thread's reusable machinery, kept across batches so that nothing the
/// size of the story is allocated per batch (a long chain of scenes has a
/// batch per level).
struct Worker {
    machine: Machine,
    tracker: Tracker,
    chosen: Vec<bool>,
    paused: State,
    next: State,
    offers: Vec<crate::runtime::Offer>,
    pages: PageMemo,
}

impl Worker {
    fn new(story: &Story, encoder: &Encoder, bounds: &Bounds) -> Worker {
        let mut machine = Machine::new();
        let shuffles: Vec<bool> = bounds
            .seqs
            .iter()
            .map(|usage| {
                matches!(
                    usage,
                    SeqUse::Kept {
                        kind: AltKind::Shuffle,
                        ..
                    }
                )
            })
            .collect();
        machine.script_guards_and_shuffles(bounds.guards_use_random, &shuffles);
        Worker {
            machine,
            tracker: Tracker {
                entered: vec![false; story.scenes.len()],
                fallbacks: vec![false; story.choice_count as usize],
                dirty: Vec::new(),
            },
            chosen: vec![false; story.choice_count as usize],
            paused: encoder.blank(),
            next: encoder.blank(),
            offers: Vec::new(),
            pages: PageMemo::new(story, bounds),
        }
    }
}

/// At most this many runs per choice, one per combination of random values.
const RANDOM_BRANCHES: usize = 65_536;
/// A `random(lo, hi)` with more values than this is not branched over.
const RANDOM_RANGE: i64 = 4_096;

/// Queues the sibling scripts of a run: for every draw the run made beyond
/// its script, every other value of that draw's range (earlier unscripted
/// draws at their low ends, as this run had them). Together the queued
/// scripts cover each combination of values exactly once. Returns true when
/// a range was too wide to branch over.
fn branch(script: &[i64], draws: &[(i64, i64)], queue: &mut Vec<Vec<i64>>) -> bool {
    let mut too_wide = false;
    for position in script.len()..draws.len() {
        let (lo, hi) = draws[position];
        if hi.saturating_sub(lo) >= RANDOM_RANGE {
            too_wide = true;
            continue;
        }
        for value in (lo + 1..=hi).rev() {
            let mut sibling = Vec::with_capacity(position + 1);
            sibling.extend_from_slice(script);
            sibling.extend(draws[script.len()..position].iter().map(|(low, _)| *low));
            sibling.push(value);
            queue.push(sibling);
        }
    }
    too_wide
}

/// Calls `step` once per combination of the values `random()` can return
/// while it runs (just once when the story draws nothing); `step` returns
/// false to stop. Returns false when ranges or combinations were too many
/// to branch over, so the runs were not exhaustive.
fn each_random_run(
    machine: &mut Machine,
    uses_random: bool,
    mut step: impl FnMut(&mut Machine) -> bool,
) -> bool {
    let mut scripts: Vec<Vec<i64>> = vec![Vec::new()];
    let mut runs = 0usize;
    let mut exhaustive = true;
    while let Some(script) = scripts.pop() {
        runs += 1;
        if runs > RANDOM_BRANCHES {
            return false;
        }
        if uses_random {
            machine.script_random(&script);
        }
        if !step(machine) {
            break;
        }
        if uses_random {
            exhaustive &= !branch(&script, machine.random_draws(), &mut scripts);
        }
    }
    exhaustive
}

enum Event {
    Ended(SceneId),
    Failed(RuntimeError),
}

/// The choice block a state is paused at.
fn block_at<'s>(story: &'s Story, state: &State) -> Option<&'s [crate::graph::Choice]> {
    match story
        .scenes
        .get(state.scene.index())
        .and_then(|scene| scene.ops.get(state.pc as usize))
    {
        Some(Op::Choices { choices, .. }) => Some(choices),
        _ => None,
    }
}

/// Expands states `range` of `store`: every enabled choice of each, run to
/// the next pause, the successor normalised and encoded.
fn expand(
    story: &Story,
    encoder: &Encoder,
    bounds: &Bounds,
    store: &Store,
    range: std::ops::Range<usize>,
    at_depth_limit: bool,
    worker: &mut Worker,
) -> Expansion {
    // Room for two successors a state, of about the parent's size: growing
    // these a doubling at a time cost a tenth of the search.
    let expected = range.len() * 2;
    let mut found = Expansion {
        bytes: Vec::with_capacity(
            expected
                * range
                    .clone()
                    .next()
                    .map_or(0, |first| store.get(first).len()),
        ),
        successors: Vec::with_capacity(expected),
        events: Vec::new(),
        saturated: false,
        transitions: 0,
        cut_by_depth: false,
        unknown: Vec::new(),
    };
    let uses_random = bounds.uses_random;
    let Worker {
        machine,
        tracker,
        chosen,
        paused,
        next,
        offers,
        pages,
    } = worker;
    for index in range {
        encoder.decode_into(store.get(index), paused);
        if bounds.guards_use_random {
            // What a guard draws decides what is offered: branch over it,
            // and over which enabled choice is taken, in one script.
            if at_depth_limit {
                found.cut_by_depth = true;
                continue;
            }
            let exhaustive = each_random_run(machine, true, |machine| {
                encoder.copy_state(next, paused, &mut tracker.dirty);
                let pause = match machine.run(story, next, tracker) {
                    Ok(Pause::Choices(shown)) => {
                        offers.clear();
                        offers.extend_from_slice(shown);
                        None
                    }
                    Ok(Pause::Ending(scene)) => Some(Outcome::Ended(scene)),
                    Err(error) => Some(Outcome::Failed(error)),
                };
                if let Some(outcome) = pause {
                    found.transitions += 1;
                    record(&mut found, encoder, next, index, 0, outcome);
                    return true;
                }
                let enabled = offers.iter().filter(|offer| offer.enabled).count();
                let pick = machine.script_draw(0, enabled as i64 - 1) as usize;
                let Some((shown, offer)) = offers
                    .iter()
                    .enumerate()
                    .filter(|(_, offer)| offer.enabled)
                    .nth(pick)
                else {
                    return true;
                };
                let number = shown as u32 + 1;
                let block = block_at(story, next);
                let outcome = take(machine, story, next, offer.choice, block, chosen, tracker);
                found.transitions += 1;
                record(&mut found, encoder, next, index, number, outcome);
                true
            });
            if !exhaustive {
                found.unknown.push(index as u32);
            }
            continue;
        }
        offers.clear();
        match machine.run(story, paused, tracker) {
            Ok(Pause::Choices(shown)) => offers.extend_from_slice(shown),
            // A stored state is always at an offering choice block.
            Ok(Pause::Ending(_)) | Err(_) => {}
        }
        // A choice's text is rendered when it is shown: where it can fail,
        // render it as the player would.
        let block = block_at(story, paused);
        if let Some(choices) = block {
            for offer in offers.iter() {
                let fallible = choices.get(offer.choice as usize).is_some_and(|choice| {
                    bounds
                        .fallible_choice_texts
                        .get(choice.id.index())
                        .copied()
                        .unwrap_or(false)
                });
                if fallible
                    && let Err(error) =
                        machine.choice_text_in_place(story, paused, offer.choice as usize)
                {
                    found.events.push((index as u32, 0, Event::Failed(error)));
                }
            }
        }
        // So is a page, whenever the player opens it.
        pages.check(machine, story, paused, |error| {
            found.events.push((index as u32, 0, Event::Failed(error)));
        });
        if at_depth_limit {
            found.cut_by_depth |= offers.iter().any(|offer| offer.enabled);
            continue;
        }
        for (shown, offer) in offers.iter().enumerate() {
            if !offer.enabled {
                continue;
            }
            let number = shown as u32 + 1;
            let exhaustive = each_random_run(machine, uses_random, |machine| {
                encoder.copy_state(next, paused, &mut tracker.dirty);
                let outcome = take(machine, story, next, offer.choice, block, chosen, tracker);
                found.transitions += 1;
                record(&mut found, encoder, next, index, number, outcome);
                true
            });
            if !exhaustive {
                found.unknown.push(index as u32);
            }
        }
    }
    found
}

/// Takes choice `choice` of `block` in `state` and runs to the next pause.
fn take(
    machine: &mut Machine,
    story: &Story,
    state: &mut State,
    choice: u32,
    block: Option<&[crate::graph::Choice]>,
    chosen: &mut [bool],
    tracker: &mut Tracker,
) -> Outcome {
    if let Some(picked) = block.and_then(|choices| choices.get(choice as usize)) {
        tracker.dirty.push(picked.id.0 / 64);
    }
    match machine.choose(story, state, choice as usize) {
        Ok(()) => {
            if let Some(picked) = block.and_then(|choices| choices.get(choice as usize))
                && let Some(seen) = chosen.get_mut(picked.id.index())
            {
                *seen = true;
            }
            settle(machine, story, state, tracker)
        }
        Err(crate::runtime::ChooseError::Runtime(error)) => Outcome::Failed(error),
        // Offered and enabled choices are always accepted; a guard that
        // draws random values is replayed as `run` drew it.
        Err(_) => Outcome::Failed(RuntimeError {
            kind: RuntimeErrorKind::Malformed("an offered choice was refused"),
            scene: story.scene(state.scene).name.clone(),
            span: None,
            location: None,
        }),
    }
}

/// Files what one transition led to.
fn record(
    found: &mut Expansion,
    encoder: &Encoder,
    next: &mut State,
    parent: usize,
    number: u32,
    outcome: Outcome,
) {
    match outcome {
        Outcome::Paused => {
            found.saturated |= encoder.normalise(next);
            encoder.encode(next, &mut found.bytes);
            found
                .successors
                .push((found.bytes.len(), parent as u32, number));
        }
        Outcome::Ended(scene) => {
            found
                .events
                .push((parent as u32, number, Event::Ended(scene)));
        }
        Outcome::Failed(error) => {
            found
                .events
                .push((parent as u32, number, Event::Failed(error)));
        }
    }
}

/// The machine's available memory, for a default memory ceiling: half of
/// what `/proc/meminfo` calls available, or `None` where it cannot tell.
pub fn default_max_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info
        .lines()
        .find(|line| line.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024 / 2)
}

/// [`explore`] on a given number of threads (1 for a one-core search;
/// at most [`MAX_THREADS`]). The report is the same whatever the number:
/// batches are expanded in parallel but merged in order.
pub fn explore_with_threads(
    story: &Story,
    limits: Limits,
    threads: usize,
    progress: &mut dyn FnMut(&Progress),
) -> Report {
    let started = Instant::now();
    let threads = threads.clamp(1, MAX_THREADS);
    let bounds = bounds(story);
    let encoder = Encoder::new(story, &bounds);
    let mut store = Store::default();
    let mut endings: Vec<EndingReport> = story
        .endings()
        .map(|scene| EndingReport {
            scene,
            arrivals: 0,
            witness: None,
            seed: None,
        })
        .collect();
    let mut problems: Vec<Problem> = Vec::new();
    let mut saturated = false;
    let mut cutoff = None;
    let mut transitions = 0u64;
    // The trap pass: transitions between stored states, and the states
    // known to reach an ending or a failure (or not fully searched).
    let mut edges: Vec<(u32, u32)> = Vec::new();
    let mut live: Vec<bool> = Vec::new();
    // The largest state count a search may store: indices are u32.
    let max_states = limits
        .max_states
        .unwrap_or(usize::MAX)
        .min(u32::MAX as usize - 1);

    // The witness is built only when it is kept: a million arrivals at an
    // ending rebuilt a million paths to keep the first.
    let mut note = |event: Event, witness: &dyn Fn() -> Witness| match event {
        Event::Ended(scene) => {
            if let Some(ending) = endings.iter_mut().find(|e| e.scene == scene) {
                ending.arrivals += 1;
                if ending.witness.is_none() {
                    ending.witness = Some(witness());
                }
            }
        }
        Event::Failed(error) => {
            match problems
                .iter_mut()
                .find(|p| p.error.kind == error.kind && p.error.span == error.span)
            {
                Some(problem) => problem.occurrences += 1,
                None => problems.push(Problem {
                    witness: witness(),
                    error,
                    occurrences: 1,
                    seed: None,
                }),
            }
        }
    };

    let mut workers: Vec<Worker> = (0..threads)
        .map(|_| Worker::new(story, &encoder, &bounds))
        .collect();
    if let Some(seen) = workers[0].tracker.entered.get_mut(story.start.index()) {
        *seen = true;
    }

    // The start, run to its first pause.
    {
        let Worker {
            machine, tracker, ..
        } = &mut workers[0];
        let exhaustive = each_random_run(machine, bounds.uses_random, |machine| {
            let mut start = State::new(story, 0);
            match settle(machine, story, &mut start, tracker) {
                Outcome::Paused => {
                    saturated |= encoder.normalise(&mut start);
                    let mut bytes = Vec::new();
                    encoder.encode(&start, &mut bytes);
                    if let Inserted::New(_) = store.insert_encoded(&bytes, None, true) {
                        live.push(false);
                    }
                }
                Outcome::Ended(scene) => note(Event::Ended(scene), &Vec::new),
                Outcome::Failed(error) => note(Event::Failed(error), &Vec::new),
            }
            true
        });
        if !exhaustive {
            cutoff.get_or_insert(Cutoff::Random);
        }
    }

    let mut level_start = 0;
    let mut expanded = 0;
    let mut last_progress = Instant::now();
    'levels: while level_start < store.len() {
        let level_end = store.len();
        let depth = store.depth(level_start);
        let at_depth_limit = limits.max_depth.is_some_and(|max| depth >= max);
        let mut batch_start = level_start;
        while batch_start < level_end {
            if limits.stop.is_some_and(|stop| stop.load(Ordering::Relaxed)) {
                cutoff = Some(Cutoff::Interrupted);
                break 'levels;
            }
            let batch_end = (batch_start + BATCH_PER_THREAD * threads).min(level_end);
            let size = batch_end - batch_start;
            let parallel = if size >= PARALLEL_LEVEL { threads } else { 1 };
            let expansions: Vec<Expansion> = if parallel == 1 {
                vec![expand(
                    story,
                    &encoder,
                    &bounds,
                    &store,
                    batch_start..batch_end,
                    at_depth_limit,
                    &mut workers[0],
                )]
            } else {
                let chunk = size.div_ceil(parallel);
                let (store, encoder, bounds) = (&store, &encoder, &bounds);
                std::thread::scope(|scope| {
                    let handles: Vec<_> = workers
                        .iter_mut()
                        .zip((batch_start..batch_end).step_by(chunk))
                        .map(|(worker, from)| {
                            let to = (from + chunk).min(batch_end);
                            scope.spawn(move || {
                                expand(
                                    story,
                                    encoder,
                                    bounds,
                                    store,
                                    from..to,
                                    at_depth_limit,
                                    worker,
                                )
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|handle| match handle.join() {
                            Ok(expansion) => expansion,
                            Err(panic) => std::panic::resume_unwind(panic),
                        })
                        .collect()
                })
            };
            let batch_memory: usize = expansions.iter().map(Expansion::memory).sum();
            // Merge in order, so the result does not depend on the threads.
            let mut parent_edges: Vec<u32> = Vec::new();
            let mut current_parent = u32::MAX;
            let flush = |parent: u32, targets: &mut Vec<u32>, edges: &mut Vec<(u32, u32)>| {
                targets.sort_unstable();
                targets.dedup();
                edges.extend(targets.drain(..).map(|to| (parent, to)));
            };
            for expansion in expansions {
                transitions += expansion.transitions;
                saturated |= expansion.saturated;
                if expansion.cut_by_depth {
                    cutoff.get_or_insert(Cutoff::MaxDepth(depth));
                }
                for &state in &expansion.unknown {
                    // Never called a trap: a transition not run may escape.
                    live[state as usize] = true;
                }
                if !expansion.unknown.is_empty() {
                    cutoff.get_or_insert(Cutoff::Random);
                }
                let mut from = 0usize;
                for &(end, parent, number) in &expansion.successors {
                    let bytes = &expansion.bytes[from..end];
                    from = end;
                    let full = store.len() >= max_states;
                    if parent != current_parent {
                        if current_parent != u32::MAX {
                            flush(current_parent, &mut parent_edges, &mut edges);
                        }
                        current_parent = parent;
                    }
                    match store.insert_encoded(bytes, Some((parent as usize, number)), !full) {
                        Inserted::New(index) => {
                            live.push(false);
                            if limits.find_traps {
                                parent_edges.push(index as u32);
                            }
                        }
                        Inserted::Existing(index) => {
                            if limits.find_traps {
                                parent_edges.push(index as u32);
                            }
                        }
                        Inserted::Refused => {
                            // New, but the store is full: the search is
                            // incomplete, and where this leads is unknown.
                            cutoff = Some(Cutoff::MaxStates(max_states));
                            live[parent as usize] = true;
                        }
                    }
                }
                for (parent, number, event) in expansion.events {
                    live[parent as usize] = true;
                    let witness = || {
                        let mut witness = store.path(parent as usize);
                        if number > 0 {
                            witness.push(number);
                        }
                        witness
                    };
                    note(event, &witness);
                }
            }
            if current_parent != u32::MAX {
                flush(current_parent, &mut parent_edges, &mut edges);
            }
            expanded = batch_end;
            batch_start = batch_end;
            let memory =
                (store.memory() + edges.capacity() * 8 + live.capacity() + batch_memory) as u64;
            if last_progress.elapsed() >= Duration::from_millis(200) || batch_start >= level_end {
                last_progress = Instant::now();
                progress(&Progress {
                    states: store.len(),
                    depth,
                    transitions,
                    memory,
                    elapsed: started.elapsed(),
                });
            }
            if let Some(limit) = limits.max_memory
                && memory > limit
            {
                cutoff = Some(Cutoff::MaxMemory(limit));
                break 'levels;
            }
        }
        if at_depth_limit {
            // Not expanded: where these states lead is unknown, so none of
            // them, nor what leads only to them, may be called a trap.
            for flag in &mut live[level_start..level_end] {
                *flag = true;
            }
            break;
        }
        level_start = level_end;
    }
    // States never expanded (a search stopped early) may lead anywhere.
    for flag in live.iter_mut().skip(expanded) {
        *flag = true;
    }

    let mut entered = vec![false; story.scenes.len()];
    let mut chosen = vec![false; story.choice_count as usize];
    for worker in &workers {
        for (seen, now) in entered.iter_mut().zip(&worker.tracker.entered) {
            *seen |= now;
        }
        for (seen, now) in chosen.iter_mut().zip(&worker.chosen) {
            *seen |= now;
        }
        for (seen, now) in chosen.iter_mut().zip(&worker.tracker.fallbacks) {
            *seen |= now;
        }
    }
    let unreached_scenes = (0..story.scenes.len())
        // A page is opened, never entered.
        .filter(|&scene| !entered[scene] && !story.scenes[scene].is_page)
        .map(|scene| SceneId(scene as u32))
        .collect();
    let mut unreached_choices = Vec::new();
    for (scene_index, scene) in story.scenes.iter().enumerate() {
        for op in &scene.ops {
            if let Op::Choices { choices, .. } = op {
                for choice in choices.iter() {
                    if !chosen.get(choice.id.index()).copied().unwrap_or(true) {
                        unreached_choices.push((SceneId(scene_index as u32), choice.id));
                    }
                }
            }
        }
    }
    let edge_count = edges.len() as u64;
    let edge_memory = edges.capacity() * 8;
    let traps = if limits.find_traps {
        let dead = dead_states(store.len(), &edges, &live);
        drop(edges);
        traps(story, &encoder, &store, &dead, &mut workers[0])
    } else {
        Vec::new()
    };
    let growth = if cutoff.is_some_and(|cut| {
        matches!(
            cut,
            Cutoff::MaxStates(_) | Cutoff::MaxMemory(_) | Cutoff::Interrupted | Cutoff::MaxDepth(_)
        )
    }) {
        growth(story, &encoder, &bounds, &store)
    } else {
        Vec::new()
    };
    let mut traps = traps;
    if bounds.uses_random {
        for ending in &mut endings {
            if let Some(witness) = &ending.witness {
                ending.seed = replay::seed_for(story, witness, Goal::Ending(ending.scene));
            }
        }
        for problem in &mut problems {
            problem.seed = replay::seed_for(story, &problem.witness, Goal::Error(&problem.error));
        }
        for trap in &mut traps {
            trap.seed = replay::seed_for(story, &trap.witness, Goal::Pause(trap.scene));
        }
    }
    Report {
        states: store.len(),
        transitions,
        depth: store.max_depth(),
        elapsed: started.elapsed(),
        memory: store.memory(),
        edge_memory,
        edges: edge_count,
        cutoff,
        bounds,
        saturated,
        endings,
        problems,
        traps_checked: limits.find_traps,
        traps,
        growth,
        unreached_scenes,
        unreached_choices,
    }
}

/// The states from which no ending or failure can be reached: everything
/// not reached by walking the edges backwards from the `live` ones.
fn dead_states(states: usize, edges: &[(u32, u32)], live: &[bool]) -> Vec<bool> {
    // Reverse adjacency, by counting sort on the target.
    let mut start = vec![0u32; states + 1];
    for &(_, to) in edges {
        start[to as usize + 1] += 1;
    }
    for index in 0..states {
        start[index + 1] += start[index];
    }
    let mut fill = start.clone();
    let mut sources = vec![0u32; edges.len()];
    for &(from, to) in edges {
        let slot = &mut fill[to as usize];
        sources[*slot as usize] = from;
        *slot += 1;
    }
    drop(fill);
    let mut reaches = live.to_vec();
    reaches.resize(states, true);
    let mut queue: Vec<u32> = (0..states as u32)
        .filter(|&s| reaches[s as usize])
        .collect();
    while let Some(state) = queue.pop() {
        let (from, to) = (start[state as usize], start[state as usize + 1]);
        for &source in &sources[from as usize..to as usize] {
            if !reaches[source as usize] {
                reaches[source as usize] = true;
                queue.push(source);
            }
        }
    }
    reaches.iter().map(|flag| !flag).collect()
}

/// How many of a trap's states are replayed to list the scenes and choices
/// still available inside it.
const TRAP_SAMPLE: usize = 10_000;

/// Groups the dead states into traps: each dead state belongs to the trap
/// of the first (shallowest) dead state it can be traced back to along
/// breadth-first parents — the moment the player's last way out closed.
fn traps(
    story: &Story,
    encoder: &Encoder,
    store: &Store,
    dead: &[bool],
    worker: &mut Worker,
) -> Vec<Trap> {
    // A dead state whose parent is alive is where a trap is entered. Every
    // other dead state's parent is dead too (a state's successors are all
    // dead when it is), and has a smaller index: one pass in index order
    // assigns each dead state the entry it descends from.
    let mut entry_of: Vec<u32> = vec![u32::MAX; store.len()];
    let mut entries: Vec<usize> = Vec::new();
    for index in 0..store.len() {
        if !dead[index] {
            continue;
        }
        match store.parent(index) {
            Some(parent) if dead[parent] => entry_of[index] = entry_of[parent],
            _ => {
                entry_of[index] = entries.len() as u32;
                entries.push(index);
            }
        }
    }
    // Entries at the same choice block are one trap, reported at the
    // shallowest of them.
    let mut found: Vec<Trap> = Vec::new();
    let mut trap_of_entry: Vec<usize> = Vec::with_capacity(entries.len());
    let mut machine = std::mem::take(&mut worker.machine);
    for &entry in &entries {
        encoder.decode_into(store.get(entry), &mut worker.paused);
        let scene_span = story.scene(worker.paused.scene).span;
        let span = story
            .scenes
            .get(worker.paused.scene.index())
            .and_then(|scene| scene.ops.get(worker.paused.pc as usize))
            .map_or(scene_span, |op| match op {
                Op::Choices { span, .. } => *span,
                _ => scene_span,
            });
        let scene = worker.paused.scene;
        match found
            .iter()
            .position(|trap| trap.scene == scene && trap.span == span)
        {
            Some(existing) => trap_of_entry.push(existing),
            None => {
                trap_of_entry.push(found.len());
                found.push(Trap {
                    scene,
                    span,
                    witness: store.path(entry),
                    states: 0,
                    scenes: Vec::new(),
                    choices: Vec::new(),
                    seed: None,
                });
            }
        }
    }
    let mut sampled = vec![0usize; found.len()];
    for index in 0..store.len() {
        let Some(&entry) = entry_of.get(index).filter(|&&entry| entry != u32::MAX) else {
            continue;
        };
        let trap = trap_of_entry[entry as usize];
        found[trap].states += 1;
        if sampled[trap] >= TRAP_SAMPLE {
            continue;
        }
        sampled[trap] += 1;
        encoder.decode_into(store.get(index), &mut worker.paused);
        let scene = worker.paused.scene;
        if !found[trap].scenes.contains(&scene) {
            found[trap].scenes.push(scene);
        }
        let block = block_at(story, &worker.paused);
        if let Ok(Pause::Choices(offers)) =
            machine.run(story, &mut worker.paused, &mut crate::runtime::Discard)
            && let Some(choices) = block
        {
            for offer in offers.iter().filter(|offer| offer.enabled) {
                if let Some(choice) = choices.get(offer.choice as usize)
                    && !found[trap].choices.contains(&choice.id)
                {
                    found[trap].choices.push(choice.id);
                }
            }
        }
    }
    worker.machine = machine;
    for trap in &mut found {
        trap.scenes.sort_unstable();
        trap.choices.sort_unstable();
    }
    found
}

/// Reads one quantity of a decoded state.
type Reader = Box<dyn Fn(&State) -> i64>;

/// How many states of the last level are decoded to tell what kept growing.
const GROWTH_SAMPLE: usize = 20_000;

/// For a search stopped early: the kept values that still grow (their
/// largest value in the last level searched is above their largest in the
/// level halfway down), or else those with the most distinct values.
fn growth(story: &Story, encoder: &Encoder, bounds: &Bounds, store: &Store) -> Vec<Growth> {
    let depth = store.max_depth();
    if store.len() == 0 {
        return Vec::new();
    }
    let level = |depth: u32| -> std::ops::Range<usize> {
        let range = store.level(depth);
        range.start..range.end.min(range.start + GROWTH_SAMPLE)
    };
    // The quantities: kept int variables, exact visit counters, turns.
    let mut names: Vec<String> = Vec::new();
    let mut reads: Vec<Reader> = Vec::new();
    for (index, var) in story.vars.iter().enumerate() {
        if bounds.vars[index] {
            names.push(var.name.clone());
            reads.push(Box::new(move |state: &State| match &state.vars[index] {
                crate::graph::Value::Int(number) => *number,
                crate::graph::Value::Bool(flag) => i64::from(*flag),
                crate::graph::Value::Enum(variant) => i64::from(*variant),
                crate::graph::Value::Set(bits) => *bits as i64,
                crate::graph::Value::Text(text) => text.len() as i64,
            }));
        }
    }
    for (scene, bound) in bounds.visits.iter().enumerate() {
        if bound.is_none() {
            names.push(format!("visits({})", story.scenes[scene].name));
            reads.push(Box::new(move |state: &State| {
                i64::from(state.visits.get(scene).copied().unwrap_or(0))
            }));
        }
    }
    if bounds.turns.is_none() {
        names.push("turns".into());
        reads.push(Box::new(|state: &State| i64::from(state.turns)));
    }
    let mut state = encoder.blank();
    let mut measure = |range: std::ops::Range<usize>| -> Vec<(i64, usize)> {
        let mut values: Vec<std::collections::HashSet<i64>> =
            vec![std::collections::HashSet::new(); reads.len()];
        let mut largest = vec![0i64; reads.len()];
        for index in range {
            encoder.decode_into(store.get(index), &mut state);
            for (slot, read) in reads.iter().enumerate() {
                let value = read(&state);
                largest[slot] = largest[slot].max(value.saturating_abs());
                if values[slot].len() < 1_000_000 {
                    values[slot].insert(value);
                }
            }
        }
        largest
            .into_iter()
            .zip(values.iter().map(std::collections::HashSet::len))
            .collect()
    };
    let last = measure(level(depth));
    let middle = measure(level(depth / 2));
    let mut grown: Vec<usize> = (0..names.len())
        .filter(|&slot| depth > 0 && last[slot].0 > middle[slot].0)
        .collect();
    if grown.is_empty() {
        grown = (0..names.len()).filter(|&slot| last[slot].1 > 1).collect();
        grown.sort_by_key(|&slot| std::cmp::Reverse(last[slot].1));
        grown.truncate(8);
    }
    grown
        .into_iter()
        .map(|slot| {
            let name = &names[slot];
            let (increased, read) = sites(story, name);
            Growth {
                what: name.clone(),
                largest: last[slot].0,
                distinct: last[slot].1,
                increased,
                read,
            }
        })
        .collect()
}

/// Where a quantity named as in [`Growth::what`] is increased and read.
fn sites(story: &Story, name: &str) -> (Vec<Span>, Vec<Span>) {
    let var = story.vars.iter().position(|var| var.name == name);
    let visits = name
        .strip_prefix("visits(")
        .and_then(|rest| rest.strip_suffix(')'))
        .and_then(|scene| story.scenes.iter().position(|found| found.name == scene));
    let reads_it = |code: &[Instr]| {
        code.iter().any(|instr| match instr {
            Instr::Load(id) => Some(id.index()) == var,
            Instr::Visits(scene) => Some(scene.index()) == visits,
            Instr::Turns => name == "turns",
            _ => false,
        })
    };
    let mut increased = Vec::new();
    let mut read = Vec::new();
    for scene in &story.scenes {
        for op in &scene.ops {
            match op {
                Op::Assign {
                    var: target,
                    value,
                    span,
                    ..
                } => {
                    if Some(target.index()) == var {
                        increased.push(*span);
                    } else if reads_it(story.code(value)) {
                        read.push(*span);
                    }
                }
                Op::Divert { target, span } | Op::Call { target, span, .. }
                    if Some(target.index()) == visits =>
                {
                    increased.push(*span);
                }
                Op::JumpUnless { condition, .. } if reads_it(story.code(condition)) => {
                    read.push(condition.span);
                }
                Op::Choices { choices, .. } => {
                    for choice in choices.iter() {
                        for condition in choice.guard.conditions() {
                            if reads_it(story.code(condition)) {
                                read.push(condition.span);
                            }
                        }
                        if name == "turns" {
                            // Every choice made increases `turns`.
                            increased.push(choice.span);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    increased.truncate(5);
    read.truncate(5);
    (increased, read)
}

/// Runs from just after a choice (or the start) to the next pause.
fn settle(
    machine: &mut Machine,
    story: &Story,
    state: &mut State,
    tracker: &mut Tracker,
) -> Outcome {
    match machine.run(story, state, tracker) {
        Ok(Pause::Choices(_)) => Outcome::Paused,
        Ok(Pause::Ending(scene)) => Outcome::Ended(scene),
        Err(error) => Outcome::Failed(error),
    }
}
