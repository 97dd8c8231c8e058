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
use super::store::{Encoder, Store};
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
}

/// A soft-lock or runtime error, with a shortest way to it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub error: RuntimeError,
    pub witness: Witness,
    /// How many transitions hit it.
    pub occurrences: u64,
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
    /// The story calls `random()`, and the search follows only the values
    /// one fixed generator gives instead of branching over every value.
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
    /// Non-fallback choices never taken in any reachable state.
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

/// Records what the runtime enters while a transition runs.
struct Tracker {
    entered: Vec<bool>,
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
}

/// What happened after one choice.
enum Outcome {
    Paused(State),
    Ended(SceneId),
    Failed(RuntimeError),
}

/// Explores every reachable state of `story` (within `limits`).
/// `progress` is called now and then with the number of states so far.
pub fn explore(story: &Story, limits: Limits, progress: &mut dyn FnMut(usize)) -> Report {
    let started = Instant::now();
    let bounds = bounds(story);
    let encoder = Encoder::new(story, &bounds);
    let mut machine = Machine::new();
    let mut tracker = Tracker {
        entered: vec![false; story.scenes.len()],
    };
    if let Some(seen) = tracker.entered.get_mut(story.start.index()) {
        *seen = true;
    }
    let mut store = Store::default();
    let mut endings: Vec<EndingReport> = story
        .endings()
        .map(|scene| EndingReport {
            scene,
            arrivals: 0,
            witness: None,
        })
        .collect();
    let mut problems: Vec<Problem> = Vec::new();
    let mut chosen = vec![false; story.choice_count as usize];
    let mut saturated = false;
    let mut cutoff = None;
    let mut transitions = 0u64;

    let mut record = |outcome: Outcome,
                      store: &mut Store,
                      parent: Option<(usize, u32)>,
                      saturated: &mut bool,
                      cutoff: &mut Option<Cutoff>| {
        let witness = |store: &Store| match parent {
            Some((index, number)) => {
                let mut path = store.path(index);
                path.push(number);
                path
            }
            None => Vec::new(),
        };
        match outcome {
            Outcome::Paused(mut state) => {
                *saturated |= encoder.normalise(&mut state);
                let full = limits.max_states.is_some_and(|limit| store.len() >= limit);
                if !store.insert(&encoder, &state, parent, !full) {
                    // New, but the store is full: the search is incomplete.
                    if let Some(limit) = limits.max_states {
                        *cutoff = Some(Cutoff::MaxStates(limit));
                    }
                }
            }
            Outcome::Ended(scene) => {
                if let Some(ending) = endings.iter_mut().find(|e| e.scene == scene) {
                    ending.arrivals += 1;
                    if ending.witness.is_none() {
                        ending.witness = Some(witness(store));
                    }
                }
            }
            Outcome::Failed(error) => {
                match problems
                    .iter_mut()
                    .find(|p| p.error.kind == error.kind && p.error.span == error.span)
                {
                    Some(problem) => problem.occurrences += 1,
                    None => problems.push(Problem {
                        witness: witness(store),
                        error,
                        occurrences: 1,
                    }),
                }
            }
        }
    };

    let mut start = State::new(story, 0);
    let first = settle(&mut machine, story, &mut start, &mut tracker);
    record(first, &mut store, None, &mut saturated, &mut cutoff);

    let mut offers = Vec::new();
    let mut index = 0usize;
    while index < store.len() {
        if index % 65_536 == 0 {
            progress(store.len());
        }
        let depth = store.depth(index);
        let state = encoder.decode(store.get(index));
        let mut paused = state.clone();
        offers.clear();
        match machine.run(story, &mut paused, &mut tracker) {
            Ok(Pause::Choices(found)) => offers.extend_from_slice(found),
            // A stored state is always at an offering choice block.
            Ok(Pause::Ending(_)) | Err(_) => {}
        }
        if limits.max_depth.is_some_and(|max| depth >= max) {
            if offers.iter().any(|offer| offer.enabled) {
                cutoff.get_or_insert(Cutoff::MaxDepth(depth));
            }
            index += 1;
            continue;
        }
        for (shown, offer) in offers.iter().enumerate() {
            if !offer.enabled {
                continue;
            }
            let mut next = paused.clone();
            let outcome = match machine.choose(story, &mut next, offer.choice as usize) {
                Ok(()) => {
                    if let Some(Op::Choices { choices, .. }) = story
                        .scenes
                        .get(paused.scene.index())
                        .and_then(|scene| scene.ops.get(paused.pc as usize))
                        && let Some(choice) = choices.get(offer.choice as usize)
                        && let Some(seen) = chosen.get_mut(choice.id.index())
                    {
                        *seen = true;
                    }
                    settle(&mut machine, story, &mut next, &mut tracker)
                }
                Err(crate::runtime::ChooseError::Runtime(error)) => Outcome::Failed(error),
                // Offered and enabled choices are always accepted.
                Err(_) => continue,
            };
            transitions += 1;
            let number = shown as u32 + 1;
            record(
                outcome,
                &mut store,
                Some((index, number)),
                &mut saturated,
                &mut cutoff,
            );
        }
        index += 1;
    }
    progress(store.len());
    if bounds.uses_random && cutoff.is_none() {
        cutoff = Some(Cutoff::Random);
    }

    let unreached_scenes = (0..story.scenes.len())
        .filter(|&scene| !tracker.entered[scene])
        .map(|scene| SceneId(scene as u32))
        .collect();
    let mut unreached_choices = Vec::new();
    for (scene_index, scene) in story.scenes.iter().enumerate() {
        for op in &scene.ops {
            if let Op::Choices { choices, .. } = op {
                for choice in choices.iter().filter(|c| !c.is_fallback()) {
                    if !chosen.get(choice.id.index()).copied().unwrap_or(true) {
                        unreached_choices.push((SceneId(scene_index as u32), choice.id));
                    }
                }
            }
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
        Ok(Pause::Choices(_)) => Outcome::Paused(state.clone()),
        Ok(Pause::Ending(scene)) => Outcome::Ended(scene),
        Err(error) => Outcome::Failed(error),
    }
}
