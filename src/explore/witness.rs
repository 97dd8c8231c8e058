//! Witnesses a person can read: a choice sequence (numbers as the player
//! shows them) replayed through the runtime and written as the scene and
//! text of each choice, with the command that replays it in the player.
//!
//! One rendering for every witness: `fabula explore`'s endings and problems
//! and `fabula test --random`'s shrunk failures all go through
//! [`render_witness`] and [`steps_json`].
//!
//! The layout rule: a witness whose steps, written `Scene: choice` and
//! joined with ` › `, fit on one line of [`LINE_WIDTH`] columns (indent
//! included) is shown on that line; any other is shown one numbered step per
//! line, and one of more than [`ELIDE_OVER`] steps keeps only its first and
//! last [`ELIDED_KEEP`] steps and says how many were left out (so does a
//! witness shown as numbers only). The replay command always has every
//! number.

use std::fmt::Write as _;

use serde::Serialize;

use crate::graph::{SceneId, Story};
use crate::runtime::{ChooseError, Discard, Machine, Pause, State};

/// Joined steps must fit in this many columns to share one line.
pub const LINE_WIDTH: usize = 80;
/// A witness longer than this is elided in the middle.
pub const ELIDE_OVER: usize = 30;
/// Steps kept at each end of an elided witness.
pub const ELIDED_KEEP: usize = 10;

/// One choice of a witness, as the player saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The choice's number as shown (from 1, disabled choices counted).
    pub number: u32,
    /// The scene the choice block is in (its name, the id the story uses).
    pub scene: String,
    /// The choice's text as shown.
    pub choice: String,
    /// The scene's title, or its name when it has none: what a reader sees.
    #[serde(skip)]
    pub scene_label: String,
}

/// Why a witness could not be replayed into readable steps: the player,
/// making its choices, went somewhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// The step (from 1) that could not be made.
    pub step: usize,
    /// What happened instead, for a person.
    pub reason: String,
}

/// Replays `witness` (choice numbers as shown, from 1) from a game seeded
/// with `seed` (0 when none is given: a story without `random()` plays the
/// same under every seed) and reads each choice's scene and text on the
/// way. The last choice may stop the story with a runtime error: that is
/// where a witness of an error ends.
pub fn steps(story: &Story, witness: &[u32], seed: Option<u64>) -> Result<Vec<Step>, Divergence> {
    let mut machine = Machine::new();
    let mut state = State::new(story, seed.unwrap_or(0));
    let mut steps = Vec::with_capacity(witness.len());
    for (index, &number) in witness.iter().enumerate() {
        let step = index + 1;
        let diverged = |reason: String| Divergence { step, reason };
        let offer = match machine.run(story, &mut state, &mut Discard) {
            Ok(Pause::Choices(offers)) => {
                match number.checked_sub(1).and_then(|n| offers.get(n as usize)) {
                    Some(offer) if offer.enabled => offer.choice,
                    Some(_) => return Err(diverged(format!("choice {number} is disabled"))),
                    None => {
                        return Err(diverged(format!(
                            "there is no choice {number} (the player shows {})",
                            offers.len()
                        )));
                    }
                }
            }
            Ok(Pause::Ending(scene)) => {
                return Err(diverged(format!(
                    "the story has already ended, at `{}`",
                    scene_name(story, scene)
                )));
            }
            Err(error) => {
                return Err(diverged(format!(
                    "the story has already stopped: {}",
                    error.kind
                )));
            }
        };
        let choice = machine
            .choice_text_in_place(story, &mut state, offer as usize)
            .map_err(|error| diverged(format!("choice {number}'s text fails: {}", error.kind)))?;
        steps.push(Step {
            number,
            scene: scene_name(story, state.scene),
            choice,
            scene_label: scene_label(story, state.scene),
        });
        match machine.choose(story, &mut state, offer as usize) {
            Ok(()) => {}
            Err(ChooseError::Runtime(_)) if step == witness.len() => {}
            Err(error) => return Err(diverged(format!("choice {number} is refused: {error}"))),
        }
    }
    Ok(steps)
}

fn scene_name(story: &Story, scene: SceneId) -> String {
    story
        .scenes
        .get(scene.index())
        .map_or_else(|| format!("#{}", scene.index()), |found| found.name.clone())
}

fn scene_label(story: &Story, scene: SceneId) -> String {
    match story.scenes.get(scene.index()) {
        Some(found) => found.title.clone().unwrap_or_else(|| found.name.clone()),
        None => format!("#{}", scene.index()),
    }
}

/// The shell command that replays a witness in the player, with the seed
/// whose random values follow it when there is one.
pub fn replay_command(witness: &[u32], seed: Option<u64>, story_path: &str) -> String {
    let typed: String = witness
        .iter()
        .map(|number| format!("{number}\\n"))
        .collect();
    let seed = seed
        .map(|seed| format!(" --seed {seed}"))
        .unwrap_or_default();
    format!(
        "printf '{typed}' | fabula play {}{seed}",
        shell_quote(story_path)
    )
}

/// `text` as one shell word: as it is when that is safe, else in single
/// quotes.
pub fn shell_quote(text: &str) -> String {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+,:=@".contains(c));
    if plain && !text.is_empty() {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// A witness for people: its steps (see the module doc for the layout),
/// indented `indent + 2`, then `replay: COMMAND` indented `indent`. Each
/// line ends with a newline. When the replay diverges, the numbers are
/// shown instead, with the reason.
pub fn render_witness(
    story: &Story,
    witness: &[u32],
    seed: Option<u64>,
    story_path: &str,
    indent: usize,
) -> String {
    let steps = steps(story, witness, seed).map_err(|divergence| {
        format!(
            "replaying them, step {} goes elsewhere: {}",
            divergence.step, divergence.reason
        )
    });
    render(witness, steps, seed, story_path, indent)
}

/// A witness shown as numbers only, with `why`, laid out as
/// [`render_witness`] does: for one whose steps cannot be read because the
/// player may not follow it (a story that draws random values, with no seed
/// that replays them).
pub fn render_numbers(
    witness: &[u32],
    seed: Option<u64>,
    story_path: &str,
    indent: usize,
    why: &str,
) -> String {
    render(witness, Err(why.to_string()), seed, story_path, indent)
}

fn render(
    witness: &[u32],
    steps: Result<Vec<Step>, String>,
    seed: Option<u64>,
    story_path: &str,
    indent: usize,
) -> String {
    let pad = " ".repeat(indent);
    let step_pad = " ".repeat(indent + 2);
    let mut out = String::new();
    match steps {
        _ if witness.is_empty() => {
            let _ = writeln!(out, "{step_pad}(no choices: it happens at the start)");
        }
        Ok(steps) => out.push_str(&layout(&steps, indent + 2)),
        Err(why) => {
            let numbers = |range: &[u32]| {
                range
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let shown = if witness.len() > ELIDE_OVER {
                format!(
                    "{} … {} elided … {}",
                    numbers(&witness[..ELIDED_KEEP]),
                    witness.len() - 2 * ELIDED_KEEP,
                    numbers(&witness[witness.len() - ELIDED_KEEP..])
                )
            } else {
                numbers(witness)
            };
            let _ = writeln!(out, "{step_pad}{shown} (numbers only: {why})");
        }
    }
    let _ = writeln!(
        out,
        "{pad}replay: {}",
        replay_command(witness, seed, story_path)
    );
    out
}

/// The steps laid out by the module's rule, each line indented `indent`.
fn layout(steps: &[Step], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let written: Vec<String> = steps
        .iter()
        .map(|step| format!("{}: {}", step.scene_label, step.choice))
        .collect();
    let joined = written.join(" › ");
    if steps.len() <= ELIDE_OVER && indent + joined.chars().count() <= LINE_WIDTH {
        return format!("{pad}{joined}\n");
    }
    let width = steps.len().to_string().len();
    let mut out = String::new();
    let line = |index: usize, out: &mut String| {
        let _ = writeln!(out, "{pad}{:>width$}. {}", index + 1, written[index]);
    };
    if steps.len() > ELIDE_OVER {
        let elided = steps.len() - 2 * ELIDED_KEEP;
        (0..ELIDED_KEEP).for_each(|index| line(index, &mut out));
        let _ = writeln!(
            out,
            "{pad}{:>width$}  … {elided} steps elided (the replay command has them all) …",
            ""
        );
        (steps.len() - ELIDED_KEEP..steps.len()).for_each(|index| line(index, &mut out));
    } else {
        (0..steps.len()).for_each(|index| line(index, &mut out));
    }
    out
}

/// A witness's steps for JSON: an array of `{"number", "scene", "choice"}`
/// (`scene` is the scene's name), or `null` when the replay diverges.
pub fn steps_json(story: &Story, witness: &[u32], seed: Option<u64>) -> serde_json::Value {
    match steps(story, witness, seed) {
        Ok(steps) => serde_json::to_value(steps).unwrap_or(serde_json::Value::Null),
        Err(_) => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn story(text: &str) -> Story {
        let mut read = |_: &Path| Ok(text.as_bytes().to_vec());
        let loaded = crate::compile::compile(Path::new("shore.fab"), &mut read).unwrap();
        loaded.story.expect("the story compiles")
    }

    const SHORE: &str = "\
var tries = 0
== shore: Shore
+ Climb the lighthouse -> climb
+ [requires tries > 99] Swim -> ending lit
== climb
+ {tries < 40} Knock ({tries})
    ~ tries += 1
    -> climb
+ Try the door
    ~ tries = 1 / (tries - tries)
    -> ending lit
== ending lit: Lit
";

    #[test]
    fn steps_read_each_choice_in_its_scene() {
        let story = story(SHORE);
        let steps = steps(&story, &[1, 1, 1, 2], None).unwrap();
        let read: Vec<(u32, &str, &str, &str)> = steps
            .iter()
            .map(|step| {
                (
                    step.number,
                    step.scene.as_str(),
                    step.scene_label.as_str(),
                    step.choice.as_str(),
                )
            })
            .collect();
        // The choice text is evaluated in the state the player sees it in;
        // the last choice stops the story with an error, where it ends.
        assert_eq!(
            read,
            [
                (1, "shore", "Shore", "Climb the lighthouse"),
                (1, "climb", "climb", "Knock (0)"),
                (1, "climb", "climb", "Knock (1)"),
                (2, "climb", "climb", "Try the door"),
            ]
        );
    }

    #[test]
    fn a_witness_that_goes_elsewhere_falls_back_to_numbers() {
        let story = story(SHORE);
        let cases: [(&[u32], usize, &str); 4] = [
            (&[3], 1, "there is no choice 3 (the player shows 2)"),
            (&[0], 1, "there is no choice 0 (the player shows 2)"),
            (&[2], 1, "choice 2 is disabled"),
            (
                &[1, 2, 1],
                3,
                "the story has already stopped: division by zero",
            ),
        ];
        for (witness, step, reason) in cases {
            let divergence = steps(&story, witness, None).unwrap_err();
            assert_eq!(
                (divergence.step, divergence.reason.as_str()),
                (step, reason)
            );
        }
        assert_eq!(
            render_witness(&story, &[3], None, "shore.fab", 4),
            "      3 (numbers only: replaying them, step 1 goes elsewhere: \
             there is no choice 3 (the player shows 2))\n    \
             replay: printf '3\\n' | fabula play shore.fab\n"
        );
        assert_eq!(steps_json(&story, &[3], None), serde_json::Value::Null);
    }

    #[test]
    fn short_witnesses_share_a_line_and_long_ones_are_elided() {
        let story = story(SHORE);
        insta::assert_snapshot!(
            "short",
            render_witness(&story, &[1, 2], None, "shore.fab", 4)
        );
        insta::assert_snapshot!(
            "numbered",
            render_witness(&story, &[1, 1, 1, 1, 1, 2], None, "shore.fab", 4)
        );
        let mut long = vec![1; 39];
        long.push(2);
        let rendered = render_witness(&story, &long, Some(7), "my story.fab", 4);
        assert!(rendered.contains("… 20 steps elided"), "{rendered}");
        assert!(rendered.contains(&"1\\n".repeat(39)), "{rendered}");
        insta::assert_snapshot!("elided", rendered);
        let numbers_only = render_numbers(&long, None, "shore.fab", 4, "as a test");
        assert!(
            numbers_only.starts_with(
                "      1 1 1 1 1 1 1 1 1 1 … 20 elided … 1 1 1 1 1 1 1 1 1 2 (numbers only: as a test)\n"
            ),
            "{numbers_only}"
        );
        assert_eq!(
            render_witness(&story, &[], None, "shore.fab", 2),
            "    (no choices: it happens at the start)\n  replay: printf '' | fabula play shore.fab\n"
        );
    }

    #[test]
    fn json_steps_carry_number_scene_and_choice() {
        let story = story(SHORE);
        assert_eq!(
            steps_json(&story, &[1, 2], None),
            serde_json::json!([
                {"number": 1, "scene": "shore", "choice": "Climb the lighthouse"},
                {"number": 2, "scene": "climb", "choice": "Try the door"},
            ])
        );
    }
}
