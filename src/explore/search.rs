//! Breadth-first search over every reachable state of a story.
//!
//! A state is the runtime's own [`State`] at a choice point, normalised by
//! the [`Bounds`] abstraction (saturated counters; text-only counters and
//! the random generator zeroed, since `random()` is branched instead) and
//! stored in a compact byte encoding, deduplicated by hash. Breadth-first
//! order makes every witness a shortest one. Each transition is the real
//! [`Machine::choose`] and [`Machine::run`]: there is no second
//! implementation of the rules.

use std::time::{Duration, Instant};

use super::bounds::{Bounds, bounds};
use super::replay::{self, Goal};
use super::store::{Encoder, Store, copy_state};
use crate::graph::{ChoiceId, Op, SceneId, Story};
use crate::runtime::{Machine, Output, Pause, RuntimeError, RuntimeErrorKind, State};

/// Limits on a search. Hitting one makes the result incomplete.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub max_states: Option<usize>,
    pub max_depth: Option<u32>,
}

/// A shortest choice sequence from the start: the number of the choice as
/// shown (1-based, disabled choices counted) at each choice point.
pub type Witness = Vec<u32>;

#[derive(Debug, Clone)]
pub struct EndingReport {
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
    pub error: RuntimeError,
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

/// Why a search stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cutoff {
    MaxStates(usize),
    MaxDepth(u32),
    /// A `random(lo, hi)` had more than 4,096 values, or one choice led to
    /// more than 65,536 combinations of random values: those were not all
    /// branched over.
    Random,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub states: usize,
    pub transitions: u64,
    /// The longest shortest path, in choices.
    pub depth: u32,
    pub elapsed: Duration,
    /// Bytes held by the state store at the end.
    pub memory: usize,
    /// `None` when the whole state space was explored.
    pub cutoff: Option<Cutoff>,
    pub bounds: Bounds,
    /// Whether some counter actually reached its saturation bound.
    pub saturated: bool,
    pub endings: Vec<EndingReport>,
    pub problems: Vec<Problem>,
    /// Scenes never entered in any reachable state.
    pub unreached_scenes: Vec<SceneId>,
    /// Choices never taken in any reachable state: never chosen, or, for a
    /// fallback, never taken by the story.
    pub unreached_choices: Vec<(SceneId, ChoiceId)>,
}

impl Report {
    pub fn complete(&self) -> bool {
        self.cutoff.is_none()
    }

    /// Every ending reached, nothing stuck, nothing failed, nothing cut off.
    pub fn proved(&self, allow_unreached_endings: bool) -> bool {
        self.complete()
            && self.problems.is_empty()
            && (allow_unreached_endings || self.endings.iter().all(|e| e.witness.is_some()))
    }
}

/// Records what the runtime enters, and the fallbacks it takes, while a
/// transition runs.
struct Tracker {
    entered: Vec<bool>,
    fallbacks: Vec<bool>,
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
/// breadth-first level with the number of states so far.
pub fn explore(story: &Story, limits: Limits, progress: &mut dyn FnMut(usize)) -> Report {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    explore_with_threads(story, limits, threads, progress)
}

/// Levels smaller than this are expanded on one thread: spawning costs more
/// than it saves.
const PARALLEL_LEVEL: usize = 4_096;

/// What expanding a run of states found, in the order a one-thread search
/// would have found it.
struct Expansion {
    /// Encoded successor states, back to back.
    bytes: Vec<u8>,
    /// Per successor: end offset in `bytes`, parent index, choice number.
    successors: Vec<(u32, u32, u32)>,
    /// Endings and failures, with the parent and choice number.
    events: Vec<(u32, u32, Event)>,
    entered: Vec<bool>,
    chosen: Vec<bool>,
    saturated: bool,
    transitions: u64,
    /// Some state here still had choices when the depth limit stopped it.
    cut_by_depth: bool,
    /// Some transition drew from a range, or made combinations, too many to
    /// branch over.
    random_cut: bool,
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

/// Expands states `range` of `store`: every enabled choice of each, run to
/// the next pause, the successor normalised and encoded.
fn expand(
    story: &Story,
    encoder: &Encoder,
    store: &Store,
    range: std::ops::Range<usize>,
    at_depth_limit: bool,
) -> Expansion {
    let mut machine = Machine::new();
    let mut tracker = Tracker {
        entered: vec![false; story.scenes.len()],
        fallbacks: vec![false; story.choice_count as usize],
    };
    let mut found = Expansion {
        bytes: Vec::new(),
        successors: Vec::new(),
        events: Vec::new(),
        entered: Vec::new(),
        chosen: vec![false; story.choice_count as usize],
        saturated: false,
        transitions: 0,
        cut_by_depth: false,
        random_cut: false,
    };
    let uses_random = encoder.uses_random();
    let mut offers = Vec::new();
    let mut paused = encoder.blank();
    let mut next = encoder.blank();
    for index in range {
        encoder.decode_into(store.get(index), &mut paused);
        offers.clear();
        match machine.run(story, &mut paused, &mut tracker) {
            Ok(Pause::Choices(shown)) => offers.extend_from_slice(shown),
            // A stored state is always at an offering choice block.
            Ok(Pause::Ending(_)) | Err(_) => {}
        }
        if at_depth_limit {
            found.cut_by_depth |= offers.iter().any(|offer| offer.enabled);
            continue;
        }
        for (shown, offer) in offers.iter().enumerate() {
            if !offer.enabled {
                continue;
            }
            let number = shown as u32 + 1;
            let exhaustive = each_random_run(&mut machine, uses_random, |machine| {
                copy_state(&mut next, &paused);
                let outcome = match machine.choose(story, &mut next, offer.choice as usize) {
                    Ok(()) => {
                        if let Some(Op::Choices { choices, .. }) = story
                            .scenes
                            .get(paused.scene.index())
                            .and_then(|scene| scene.ops.get(paused.pc as usize))
                            && let Some(choice) = choices.get(offer.choice as usize)
                            && let Some(seen) = found.chosen.get_mut(choice.id.index())
                        {
                            *seen = true;
                        }
                        settle(machine, story, &mut next, &mut tracker)
                    }
                    Err(crate::runtime::ChooseError::Runtime(error)) => Outcome::Failed(error),
                    // Offered and enabled choices are always accepted.
                    Err(_) => return false,
                };
                found.transitions += 1;
                match outcome {
                    Outcome::Paused => {
                        found.saturated |= encoder.normalise(&mut next);
                        encoder.encode(&next, &mut found.bytes);
                        found
                            .successors
                            .push((found.bytes.len() as u32, index as u32, number));
                    }
                    Outcome::Ended(scene) => {
                        found
                            .events
                            .push((index as u32, number, Event::Ended(scene)));
                    }
                    Outcome::Failed(error) => {
                        found
                            .events
                            .push((index as u32, number, Event::Failed(error)));
                    }
                }
                true
            });
            found.random_cut |= !exhaustive;
        }
    }
    found.entered = tracker.entered;
    for (seen, taken) in found.chosen.iter_mut().zip(&tracker.fallbacks) {
        *seen |= taken;
    }
    found
}

/// [`explore`] on a given number of threads (1 for a one-core search).
/// The report is the same whatever the number: levels are expanded in
/// parallel but merged in order.
pub fn explore_with_threads(
    story: &Story,
    limits: Limits,
    threads: usize,
    progress: &mut dyn FnMut(usize),
) -> Report {
    let started = Instant::now();
    let bounds = bounds(story);
    let encoder = Encoder::new(story, &bounds);
    let mut entered = vec![false; story.scenes.len()];
    if let Some(seen) = entered.get_mut(story.start.index()) {
        *seen = true;
    }
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
    let mut chosen = vec![false; story.choice_count as usize];
    let mut saturated = false;
    let mut cutoff = None;
    let mut transitions = 0u64;

    let mut note = |event: Event, witness: Witness| match event {
        Event::Ended(scene) => {
            if let Some(ending) = endings.iter_mut().find(|e| e.scene == scene) {
                ending.arrivals += 1;
                if ending.witness.is_none() {
                    ending.witness = Some(witness);
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
                    witness,
                    error,
                    occurrences: 1,
                    seed: None,
                }),
            }
        }
    };

    // The start, run to its first pause.
    let mut machine = Machine::new();
    let mut tracker = Tracker {
        entered: vec![false; story.scenes.len()],
        fallbacks: vec![false; story.choice_count as usize],
    };
    let exhaustive = each_random_run(&mut machine, encoder.uses_random(), |machine| {
        let mut start = State::new(story, 0);
        match settle(machine, story, &mut start, &mut tracker) {
            Outcome::Paused => {
                saturated |= encoder.normalise(&mut start);
                let mut bytes = Vec::new();
                encoder.encode(&start, &mut bytes);
                store.insert_encoded(&bytes, None, true);
            }
            Outcome::Ended(scene) => note(Event::Ended(scene), Vec::new()),
            Outcome::Failed(error) => note(Event::Failed(error), Vec::new()),
        }
        true
    });
    if !exhaustive {
        cutoff.get_or_insert(Cutoff::Random);
    }
    for (seen, now) in entered.iter_mut().zip(&tracker.entered) {
        *seen |= now;
    }
    for (seen, taken) in chosen.iter_mut().zip(&tracker.fallbacks) {
        *seen |= taken;
    }

    let mut level_start = 0;
    while level_start < store.len() {
        let level_end = store.len();
        let depth = store.depth(level_start);
        let at_depth_limit = limits.max_depth.is_some_and(|max| depth >= max);
        let size = level_end - level_start;
        let workers = if size >= PARALLEL_LEVEL {
            threads.max(1)
        } else {
            1
        };
        let expansions: Vec<Expansion> = if workers == 1 {
            vec![expand(
                story,
                &encoder,
                &store,
                level_start..level_end,
                at_depth_limit,
            )]
        } else {
            let chunk = size.div_ceil(workers);
            let store = &store;
            let encoder = &encoder;
            std::thread::scope(|scope| {
                let handles: Vec<_> = (level_start..level_end)
                    .step_by(chunk)
                    .map(|from| {
                        let to = (from + chunk).min(level_end);
                        scope.spawn(move || expand(story, encoder, store, from..to, at_depth_limit))
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
        // Merge in order, so the result does not depend on the threads.
        for expansion in expansions {
            transitions += expansion.transitions;
            saturated |= expansion.saturated;
            if expansion.cut_by_depth {
                cutoff.get_or_insert(Cutoff::MaxDepth(depth));
            }
            if expansion.random_cut {
                cutoff.get_or_insert(Cutoff::Random);
            }
            for (seen, now) in entered.iter_mut().zip(&expansion.entered) {
                *seen |= now;
            }
            for (seen, now) in chosen.iter_mut().zip(&expansion.chosen) {
                *seen |= now;
            }
            let mut from = 0usize;
            for &(end, parent, number) in &expansion.successors {
                let bytes = &expansion.bytes[from..end as usize];
                from = end as usize;
                let full = limits.max_states.is_some_and(|limit| store.len() >= limit);
                if !store.insert_encoded(bytes, Some((parent as usize, number)), !full)
                    && let Some(limit) = limits.max_states
                {
                    // New, but the store is full: the search is incomplete.
                    cutoff = Some(Cutoff::MaxStates(limit));
                }
            }
            for (parent, number, event) in expansion.events {
                let mut witness = store.path(parent as usize);
                witness.push(number);
                note(event, witness);
            }
        }
        progress(store.len());
        if at_depth_limit {
            break;
        }
        level_start = level_end;
    }

    let unreached_scenes = (0..story.scenes.len())
        .filter(|&scene| !entered[scene])
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
    if bounds.uses_random {
        for ending in &mut endings {
            if let Some(witness) = &ending.witness {
                ending.seed = replay::seed_for(story, witness, Goal::Ending(ending.scene));
            }
        }
        for problem in &mut problems {
            problem.seed = replay::seed_for(story, &problem.witness, Goal::Error(&problem.error));
        }
    }
    Report {
        states: store.len(),
        transitions,
        depth: store.max_depth(),
        elapsed: started.elapsed(),
        memory: store.memory(),
        cutoff,
        bounds,
        saturated,
        endings,
        problems,
        unreached_scenes,
        unreached_choices,
    }
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
