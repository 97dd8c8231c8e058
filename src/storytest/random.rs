//! Random play: many playthroughs choosing uniformly among the enabled
//! choices, each reproducible from its own seed, with the endings reached,
//! the coverage, and every distinct failure shrunk to a short choice
//! sequence by delta debugging.
//!
//! Seeds: playthrough `i` (from 0) of a run with `--seed S` uses seed
//! `S + i` (wrapping). The story's own generator (`random()`, `{~…}`)
//! starts at that seed, exactly as `fabula play --seed S+i` does, so a
//! printed choice sequence replays there; the choosing is drawn from a
//! second splitmix64 stream started at `(S + i) ^ CHOOSER_SALT`, so
//! `--random 1 --seed S+i` repeats playthrough `i` alone.

use std::collections::HashMap;

use crate::diagnostic::Span;
use crate::graph::{ChoiceId, SceneId, Story};
use crate::runtime::{Machine, Pause, RuntimeError, State};

use super::coverage::{Coverage, Recorder, fallbacks};

/// How many choices a playthrough may make before it is called a failure
/// ("did not end").
pub const MAX_TURNS: usize = 10_000;

/// Mixed into a playthrough's seed to start the chooser's generator, so it
/// is not the story's own stream.
pub const CHOOSER_SALT: u64 = 0xD1B5_4A32_D192_ED03;

/// The replays shrinking may spend, counted in choices replayed, so a
/// failure deep in a long playthrough cannot take minutes to shrink.
const SHRINK_BUDGET: usize = 2_000_000;

/// How many random playthroughs, continuing a shortened "did not end"
/// sequence, must all go [`MAX_TURNS`] more choices without an ending for
/// it to count as failing the same way. One could be unlucky; that all of
/// them are, from a state that still has a way out, is unlikely (at most
/// `p^8` when each escapes with chance `1 - p`).
pub const WANDERERS: u64 = 8;

/// Mixed into a failing playthrough's seed to start each wanderer's
/// chooser, so none repeats the playthrough's own choosing.
const WANDERER_SALT: u64 = 0x6A09_E667_F3BC_C909;

/// The seed of playthrough `index` of a run started with `seed`.
pub fn playthrough_seed(seed: u64, index: u64) -> u64 {
    seed.wrapping_add(index)
}

fn next_random(rng: &mut u64) -> u64 {
    *rng = rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *rng;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn random_below(rng: &mut u64, bound: u64) -> u64 {
    ((next_random(rng) as u128 * bound as u128) >> 64) as u64
}

/// How a playthrough went wrong.
#[derive(Debug, Clone)]
pub enum FailureKind {
    /// A runtime error, soft-locks (dead ends, empty choice blocks) included.
    Error(RuntimeError),
    /// [`MAX_TURNS`] choices without reaching an ending.
    DidNotEnd,
}

impl FailureKind {
    /// Two failures are the same when they are the same kind of error at
    /// the same place.
    fn same(&self, other: &FailureKind) -> bool {
        match (self, other) {
            (FailureKind::Error(mine), FailureKind::Error(theirs)) => {
                std::mem::discriminant(&mine.kind) == std::mem::discriminant(&theirs.kind)
                    && mine.span == theirs.span
            }
            (FailureKind::DidNotEnd, FailureKind::DidNotEnd) => true,
            _ => false,
        }
    }
}

/// A distinct failure: the first playthrough that hit it, shrunk.
#[derive(Debug, Clone)]
pub struct RandomFailure {
    /// Which playthrough (from 0) found it first.
    pub playthrough: u64,
    /// The playthrough's seed: `fabula play --seed` with it, making
    /// `choices`, plays it again.
    pub seed: u64,
    /// What went wrong.
    pub kind: FailureKind,
    /// How many playthroughs failed this way.
    pub occurrences: u64,
    /// The choices that playthrough made (numbers as shown, from 1).
    pub choices: Vec<u32>,
    /// The shortest sequence found that still fails the same way, from the
    /// same seed (see [`shrink`]). `None` when a "did not end" playthrough
    /// does not: random play from where it stopped reaches an ending.
    pub shrunk: Option<Vec<u32>>,
}

/// What `fabula test --random` found: endings reached, failures, coverage.
#[derive(Debug, Clone)]
pub struct RandomReport {
    /// How many playthroughs ran.
    pub runs: u64,
    /// The seed the run started from ([`playthrough_seed`] gives each
    /// playthrough's).
    pub seed: u64,
    /// Every ending in declaration order, with how many playthroughs ended there.
    pub endings: Vec<(SceneId, u64)>,
    /// Playthroughs that failed.
    pub failed_runs: u64,
    /// Distinct failures, each with the first playthrough that hit it.
    pub failures: Vec<RandomFailure>,
    /// What all the playthroughs reached together.
    pub coverage: Coverage,
}

/// What one playthrough did.
enum Outcome {
    Ended(SceneId),
    Failed(FailureKind),
}

/// Plays `runs` random playthroughs of `story` from `seed` (see the module
/// doc for how each playthrough's seed is derived).
pub fn random_play(story: &Story, runs: u64, seed: u64) -> RandomReport {
    let fallbacks = fallbacks(story);
    let mut machine = Machine::new();
    machine.count_calls(story.functions.len());
    let mut coverage = Coverage::new(story);
    let mut endings: Vec<(SceneId, u64)> = story.endings().map(|id| (id, 0)).collect();
    let mut failures: Vec<RandomFailure> = Vec::new();
    let mut failed_runs = 0;
    for index in 0..runs {
        let run_seed = playthrough_seed(seed, index);
        let mut choices = Vec::new();
        let outcome = play(
            story,
            &mut machine,
            run_seed,
            &mut coverage,
            &fallbacks,
            &mut choices,
        );
        match outcome {
            Outcome::Ended(scene) => {
                if let Some(entry) = endings.iter_mut().find(|(id, _)| *id == scene) {
                    entry.1 += 1;
                }
            }
            Outcome::Failed(kind) => {
                failed_runs += 1;
                if let Some(known) = failures.iter_mut().find(|f| f.kind.same(&kind)) {
                    known.occurrences += 1;
                    continue;
                }
                let shrunk = shrink(story, run_seed, &choices, &kind, SHRINK_BUDGET);
                failures.push(RandomFailure {
                    playthrough: index,
                    seed: run_seed,
                    kind,
                    occurrences: 1,
                    choices,
                    shrunk,
                });
            }
        }
    }
    machine.take_calls(&mut coverage.functions);
    RandomReport {
        runs,
        seed,
        endings,
        failed_runs,
        failures,
        coverage,
    }
}

/// One playthrough, recording the choice numbers made into `choices`.
fn play(
    story: &Story,
    machine: &mut Machine,
    seed: u64,
    coverage: &mut Coverage,
    fallbacks: &HashMap<Span, ChoiceId>,
    choices: &mut Vec<u32>,
) -> Outcome {
    let mut state = State::new(story, seed);
    let mut chooser = seed ^ CHOOSER_SALT;
    coverage.enter(story.start);
    let mut enabled = Vec::new();
    loop {
        let mut recorder = Recorder::new(coverage, None, fallbacks);
        match machine.run(story, &mut state, &mut recorder) {
            Ok(Pause::Ending(scene)) => return Outcome::Ended(scene),
            Err(error) => return Outcome::Failed(FailureKind::Error(error)),
            Ok(Pause::Choices(offers)) => {
                if choices.len() >= MAX_TURNS {
                    return Outcome::Failed(FailureKind::DidNotEnd);
                }
                enabled.clear();
                enabled.extend(
                    offers
                        .iter()
                        .enumerate()
                        .filter(|(_, offer)| offer.enabled)
                        .map(|(shown, offer)| (shown as u32 + 1, offer.choice)),
                );
                let (number, choice) =
                    enabled[random_below(&mut chooser, enabled.len() as u64) as usize];
                let taken = choice_at(story, &state, choice);
                if let Err(error) = machine.choose(story, &mut state, choice as usize) {
                    return match error {
                        crate::runtime::ChooseError::Runtime(error) => {
                            Outcome::Failed(FailureKind::Error(error))
                        }
                        // An enabled offer is always accepted.
                        _ => unreachable!("an enabled offer was refused: {error}"),
                    };
                }
                if let Some((id, span)) = taken {
                    coverage.take(id, span);
                }
                choices.push(number);
            }
        }
    }
}

/// The id and span of choice `choice` of the block the state is at.
fn choice_at(story: &Story, state: &State, choice: u32) -> Option<(ChoiceId, Span)> {
    let found = story
        .choice_block(state.scene, state.pc)?
        .get(choice as usize)?;
    Some((found.id, found.span))
}

/// What replaying a choice sequence did.
#[derive(Debug, Clone)]
pub enum Replay {
    /// A runtime error after `consumed` choices.
    Failed {
        /// The error.
        error: RuntimeError,
        /// How many choices were made before it.
        consumed: usize,
    },
    /// The story ended after `consumed` choices.
    Ended {
        /// The ending reached.
        scene: SceneId,
        /// How many choices were made.
        consumed: usize,
    },
    /// The choices ran out with the story waiting for another.
    Waiting,
    /// Choice `at` (0-based in the sequence) was not a selectable number.
    Invalid {
        /// Its index in the sequence, from 0.
        at: usize,
    },
}

/// Replays choice numbers (as shown, from 1) from `seed`, as
/// `fabula play --seed` would with the numbers typed in.
pub fn replay(story: &Story, seed: u64, choices: &[u32]) -> Replay {
    let mut state = State::new(story, seed);
    replay_into(story, &mut Machine::new(), &mut state, choices)
}

/// [`replay`] on a given state, which is left where the replay stopped.
fn replay_into(story: &Story, machine: &mut Machine, state: &mut State, choices: &[u32]) -> Replay {
    let mut consumed = 0;
    loop {
        let offers = match machine.run(story, state, &mut crate::runtime::Discard) {
            Ok(Pause::Ending(scene)) => return Replay::Ended { scene, consumed },
            Err(error) => return Replay::Failed { error, consumed },
            Ok(Pause::Choices(offers)) => offers,
        };
        let Some(&number) = choices.get(consumed) else {
            return Replay::Waiting;
        };
        let Some(offer) = (number as usize)
            .checked_sub(1)
            .and_then(|index| offers.get(index))
            .filter(|offer| offer.enabled)
        else {
            return Replay::Invalid { at: consumed };
        };
        let choice = offer.choice as usize;
        match machine.choose(story, state, choice) {
            Ok(()) => consumed += 1,
            Err(crate::runtime::ChooseError::Runtime(error)) => {
                return Replay::Failed { error, consumed };
            }
            Err(_) => return Replay::Invalid { at: consumed },
        }
    }
}

/// Whether `choices`, replayed from `seed`, leave the story waiting at a
/// choice from which [`WANDERERS`] random playthroughs each make
/// [`MAX_TURNS`] choices without reaching an ending (or an error): the
/// "did not end" failure, reproduced from that point. Also returns the
/// choices this cost.
fn never_ends(story: &Story, seed: u64, choices: &[u32]) -> (bool, usize) {
    let mut machine = Machine::new();
    let mut state = State::new(story, seed);
    let mut cost = choices.len() + 1;
    if !matches!(
        replay_into(story, &mut machine, &mut state, choices),
        Replay::Waiting
    ) {
        return (false, cost);
    }
    let mut enabled = Vec::new();
    for wanderer in 1..=WANDERERS {
        let mut wander = state.clone();
        let mut chooser = seed ^ WANDERER_SALT.wrapping_mul(wanderer);
        for _ in 0..MAX_TURNS {
            cost += 1;
            let Ok(Pause::Choices(offers)) =
                machine.run(story, &mut wander, &mut crate::runtime::Discard)
            else {
                // An ending, or an error: this one got out.
                return (false, cost);
            };
            enabled.clear();
            enabled.extend(offers.iter().filter(|o| o.enabled).map(|o| o.choice));
            let pick = random_below(&mut chooser, enabled.len() as u64) as usize;
            let Some(&choice) = enabled.get(pick) else {
                // The runtime pauses only where something is enabled.
                return (false, cost);
            };
            if machine.choose(story, &mut wander, choice as usize).is_err() {
                return (false, cost);
            }
        }
    }
    (true, cost)
}

/// Delta-debugs a failing choice sequence: drops chunks of choices (halves,
/// then quarters, … down to single choices), replaying the remaining
/// numbers against the states they now meet, and keeps any shorter sequence
/// that still fails the same way; then lowers each remaining number as far
/// as it still fails. `budget` caps the choices replayed in all.
///
/// A runtime error fails the same way when the replay stops with the same
/// kind of error at the same place. "Did not end" has no place: a sequence
/// fails that way when, from where it leaves the story, random play still
/// does not end (see [`WANDERERS`]); it is first cut to the shortest such
/// prefix (by bisection, since a way into a trap stays one when extended),
/// then shrunk as errors are.
///
/// `None` when `choices` do not fail that way to begin with: for "did not
/// end", when random play from where the playthrough stopped does end.
pub fn shrink(
    story: &Story,
    seed: u64,
    choices: &[u32],
    kind: &FailureKind,
    budget: usize,
) -> Option<Vec<u32>> {
    let mut spent = 0usize;
    // `Some(n)`: the candidate fails the same way after its first n choices.
    let mut fails = |candidate: &[u32]| -> Option<usize> {
        if spent > budget {
            return None;
        }
        match kind {
            FailureKind::Error(_) => {
                spent += candidate.len() + 1;
                match replay(story, seed, candidate) {
                    Replay::Failed { error, consumed }
                        if kind.same(&FailureKind::Error(error.clone())) =>
                    {
                        Some(consumed)
                    }
                    _ => None,
                }
            }
            FailureKind::DidNotEnd => {
                let (stuck, cost) = never_ends(story, seed, candidate);
                spent += cost;
                stuck.then_some(candidate.len())
            }
        }
    };
    let mut best = choices.to_vec();
    let consumed = fails(&best)?;
    best.truncate(consumed);
    if fails(&[]).is_some() {
        return Some(Vec::new());
    }
    if matches!(kind, FailureKind::DidNotEnd) {
        // The shortest prefix that still fails, between `lo` (fails not)
        // and `hi` (fails).
        let (mut lo, mut hi) = (0, best.len());
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            if fails(&best[..mid]).is_some() {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        best.truncate(hi);
    }
    let mut chunks = 2usize;
    while best.len() >= 2 {
        let size = best.len().div_ceil(chunks);
        let mut reduced = false;
        let mut start = 0;
        while start < best.len() {
            let mut candidate = best[..start].to_vec();
            candidate.extend_from_slice(&best[(start + size).min(best.len())..]);
            if let Some(consumed) = fails(&candidate) {
                candidate.truncate(consumed);
                best = candidate;
                reduced = true;
                break;
            }
            start += size;
        }
        if reduced {
            chunks = (chunks - 1).max(2);
        } else if chunks >= best.len() {
            break;
        } else {
            chunks = (chunks * 2).min(best.len());
        }
    }
    // Lower numbers read better: `1` rather than `4` where either fails.
    let mut position = 0;
    while position < best.len() {
        for lower in 1..best[position] {
            let mut candidate = best.clone();
            candidate[position] = lower;
            if let Some(consumed) = fails(&candidate) {
                candidate.truncate(consumed);
                best = candidate;
                break;
            }
        }
        position += 1;
    }
    Some(best)
}
