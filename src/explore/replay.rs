//! Seeds that make the player replay a witness.
//!
//! The explorer branches over every value `random()` can return, so a
//! witness of a story that draws random values holds only half of the way
//! there: the choices. The player draws its values from a generator seeded
//! by `--seed`. This finds a seed under which the player, making the
//! witness's choices, ends where the witness ends — so that the replay
//! command the report prints really replays it.

use crate::graph::{SceneId, Story};
use crate::runtime::{ChooseError, Discard, Machine, Pause, RuntimeError, State};

/// How many seeds are tried, from 0, before giving up on a witness.
pub const SEEDS_TRIED: u64 = 10_000;

/// Where a witness ends.
#[derive(Debug, Clone, Copy)]
pub enum Goal<'a> {
    Ending(SceneId),
    Error(&'a RuntimeError),
    /// Still playing, at a choice in this scene (a trap's entry).
    Pause(SceneId),
}

/// The first seed below [`SEEDS_TRIED`] under which the player, making the
/// choices of `witness` (numbers as shown, from 1), reaches `goal`.
pub fn seed_for(story: &Story, witness: &[u32], goal: Goal) -> Option<u64> {
    let mut machine = Machine::new();
    (0..SEEDS_TRIED).find(|&seed| reaches(&mut machine, story, seed, witness, goal))
}

/// Whether playing `witness` from a game seeded with `seed` reaches `goal`.
fn reaches(machine: &mut Machine, story: &Story, seed: u64, witness: &[u32], goal: Goal) -> bool {
    let mut state = State::new(story, seed);
    let mut ended = match machine.run(story, &mut state, &mut Discard) {
        Ok(Pause::Choices(_)) => None,
        Ok(Pause::Ending(scene)) => Some(Ok(scene)),
        Err(error) => Some(Err(error)),
    };
    for &number in witness {
        if ended.is_some() {
            // The game ended before the witness did.
            return false;
        }
        let offer = match machine.run(story, &mut state, &mut Discard) {
            Ok(Pause::Choices(offers)) => {
                match number.checked_sub(1).and_then(|n| offers.get(n as usize)) {
                    Some(offer) if offer.enabled => offer.choice,
                    _ => return false,
                }
            }
            _ => return false,
        };
        ended = match machine.choose(story, &mut state, offer as usize) {
            Ok(()) => match machine.run(story, &mut state, &mut Discard) {
                Ok(Pause::Choices(_)) => None,
                Ok(Pause::Ending(scene)) => Some(Ok(scene)),
                Err(error) => Some(Err(error)),
            },
            Err(ChooseError::Runtime(error)) => Some(Err(error)),
            Err(_) => return false,
        };
    }
    match (goal, ended) {
        (Goal::Ending(wanted), Some(Ok(scene))) => scene == wanted,
        (Goal::Error(wanted), Some(Err(error))) => error == *wanted,
        // An error in a choice's text shows when the choices are shown.
        (Goal::Error(wanted), None) => {
            let offers: Vec<u32> = match machine.run(story, &mut state, &mut Discard) {
                Ok(Pause::Choices(offers)) => offers.iter().map(|offer| offer.choice).collect(),
                _ => return false,
            };
            let in_page = story.pages().any(|(page, _)| {
                machine
                    .page(story, &state, page)
                    .is_some_and(|read| read.is_err_and(|error| error == *wanted))
            });
            in_page
                || offers.into_iter().any(|choice| {
                    machine
                        .choice_text(story, &state, choice as usize)
                        .is_err_and(|error| error == *wanted)
                })
        }
        (Goal::Pause(wanted), None) => state.scene == wanted,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn story(text: &str) -> Story {
        let mut read = |_: &Path| Ok(text.as_bytes().to_vec());
        let loaded = crate::compile::compile(Path::new("dice.fab"), &mut read).unwrap();
        loaded.story.expect("the story compiles")
    }

    const DICE: &str = "\
var roll = 0
== table
+ Roll
    ~ roll = random(1, 6)
    -> reckon
== reckon
if roll == 6:
    -> ending six
+ Again -> table
== ending six
";

    #[test]
    fn finds_a_seed_whose_draws_follow_the_witness() {
        let story = story(DICE);
        let six = story.scene_by_name("six").unwrap();
        // Two rolls: the first not a six (else the game ends), the second a six.
        let seed = seed_for(&story, &[1, 1, 1], Goal::Ending(six)).expect("a seed");
        assert!(reaches(
            &mut Machine::new(),
            &story,
            seed,
            &[1, 1, 1],
            Goal::Ending(six)
        ));
        // The seed found is the first that works.
        let mut machine = Machine::new();
        assert!((0..seed).all(|s| !reaches(
            &mut machine,
            &story,
            s,
            &[1, 1, 1],
            Goal::Ending(six)
        )));
    }

    #[test]
    fn no_seed_for_a_witness_the_story_cannot_follow() {
        let story = story(DICE);
        let six = story.scene_by_name("six").unwrap();
        // There is no choice 2, and no game ends before it has begun.
        assert_eq!(seed_for(&story, &[2], Goal::Ending(six)), None);
        assert_eq!(seed_for(&story, &[], Goal::Ending(six)), None);
    }
}
