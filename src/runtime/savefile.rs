//! The save format: a game's [`State`] written by names (scenes, variables,
//! enum values), not ids, so a save can be read by a person and still loads
//! after an edit that keeps every name it mentions. RON text only; writing
//! files is `crate::slots`' job.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::graph::{ChoiceId, Op, Part, SceneId, SeqId, Story, Type, Value};

use super::State;

/// The save format's version; a save with another one is refused.
pub const FORMAT: u32 = 1;

/// One saved game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveFile {
    pub format: u32,
    /// The story's title, to refuse saves of other stories.
    pub story: String,
    /// [`fingerprint`] of the compiled story, as 16 hex digits.
    pub fingerprint: String,
    /// The scene the game is paused in, by name.
    pub scene: String,
    /// The op it is paused at (a choice block or an ending's end).
    pub pc: u32,
    pub turns: u32,
    /// The seed the game started from, for undo (which replays from it).
    pub seed: u64,
    pub rng: u64,
    pub vars: BTreeMap<String, SavedValue>,
    /// Scenes entered at least once, by name.
    pub visits: BTreeMap<String, u32>,
    /// Once-only choices taken, as `scene#n` (the n-th choice of the scene).
    pub taken: Vec<String>,
    /// Alternatives counters that are not zero, as `scene#n`.
    pub sequences: BTreeMap<String, u32>,
    /// Every choice the player made, as indices into each choice block.
    pub history: Vec<u32>,
}

/// A variable's value, with enum values by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SavedValue {
    Int(i64),
    Bool(bool),
    Text(String),
    Enum(String),
    Set(Vec<String>),
}

/// Why a save could not be read. Loading never changes the current game.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaveError {
    /// The text is not a valid save: `(format: 1, story: ` cut short.
    #[error("the save is corrupt (line {line}, column {column}): {message}")]
    Corrupt {
        line: usize,
        column: usize,
        message: String,
    },
    /// A save written by another version of the save format.
    #[error("the save has format version {found}; this player reads version {FORMAT}")]
    Version { found: u32 },
    /// A save of another story (its title differs).
    #[error("the save is from the story `{found}`, not `{expected}`")]
    ForeignStory { found: String, expected: String },
    /// A save of an edited story that no longer has what the save names.
    #[error("the save does not fit this version of the story: {}", .problems.join("; "))]
    Mismatch { problems: Vec<String> },
    /// The game cannot be saved now (e.g. it stopped on a runtime error).
    #[error("cannot save now: {0}")]
    NotSaveable(String),
}

/// A stable 64-bit FNV-1a hash of the compiled story's RON form: equal
/// stories give equal fingerprints on every machine and every run.
pub fn fingerprint(story: &Story) -> u64 {
    let text = ron::to_string(story).unwrap_or_default();
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Stable names of choices and alternatives: `scene#n`, the n-th of its
/// kind in the scene, so they survive edits to other scenes.
struct Keys {
    choices: BTreeMap<ChoiceId, String>,
    seqs: BTreeMap<SeqId, String>,
}

impl Keys {
    fn of(story: &Story) -> Keys {
        let mut keys = Keys {
            choices: BTreeMap::new(),
            seqs: BTreeMap::new(),
        };
        for scene in &story.scenes {
            let mut choice_count = 0;
            let mut seq_count = 0;
            let mut parts = Vec::new();
            for op in &scene.ops {
                match op {
                    Op::Text { text, .. } => parts.push(text),
                    Op::Choices { choices, .. } => {
                        for choice in choices {
                            keys.choices
                                .insert(choice.id, format!("{}#{choice_count}", scene.name));
                            choice_count += 1;
                            if let Some(text) = &choice.text {
                                parts.push(text);
                            }
                        }
                    }
                    _ => {}
                }
            }
            // Depth-first over nested markup, with an explicit stack.
            let mut stack: Vec<&[Part]> = parts.into_iter().rev().map(|text| &**text).collect();
            while let Some(parts) = stack.pop() {
                for part in parts.iter().rev() {
                    match part {
                        Part::Conditional(conditional) => {
                            stack.push(&conditional.otherwise);
                            stack.push(&conditional.then);
                        }
                        Part::Alternatives(alternatives) => {
                            keys.seqs
                                .insert(alternatives.seq, format!("{}#{seq_count}", scene.name));
                            seq_count += 1;
                            stack.extend(alternatives.options.iter().rev().map(|option| &**option));
                        }
                        Part::Literal(_) | Part::Value(_) => {}
                    }
                }
            }
        }
        keys
    }
}

/// Writes a state as a save.
pub fn to_save(story: &Story, state: &State, seed: u64, history: &[u32]) -> SaveFile {
    // Every field by name: a new one does not compile until the save
    // format says how it is written.
    let State {
        scene,
        pc,
        vars,
        visits,
        taken: _, // written by key, through `state.is_taken`
        seqs,
        turns,
        rng,
    } = state;
    let keys = Keys::of(story);
    let scene_name = |id: SceneId| {
        story
            .scenes
            .get(id.index())
            .map_or_else(|| format!("#{}", id.0), |scene| scene.name.clone())
    };
    let vars = story
        .vars
        .iter()
        .zip(vars)
        .map(|(var, value)| (var.name.clone(), save_value(story, value, var.ty)))
        .collect();
    let visits = visits
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .map(|(index, count)| (scene_name(SceneId(index as u32)), *count))
        .collect();
    let taken = keys
        .choices
        .iter()
        .filter(|(id, _)| state.is_taken(**id))
        .map(|(_, key)| key.clone())
        .collect();
    let sequences = keys
        .seqs
        .iter()
        .filter_map(|(id, key)| {
            let count = *seqs.get(id.index())?;
            (count > 0).then(|| (key.clone(), count))
        })
        .collect();
    SaveFile {
        format: FORMAT,
        story: story.title.clone(),
        fingerprint: format!("{:016x}", fingerprint(story)),
        scene: scene_name(*scene),
        pc: *pc,
        turns: *turns,
        seed,
        rng: *rng,
        vars,
        visits,
        taken,
        sequences,
        history: history.to_vec(),
    }
}

fn save_value(story: &Story, value: &Value, ty: Type) -> SavedValue {
    let variant = |id: crate::graph::EnumId, index: u32| {
        story
            .enums
            .get(id.index())
            .and_then(|found| found.variants.get(index as usize))
            .cloned()
            .unwrap_or_else(|| format!("#{index}"))
    };
    match (value, ty) {
        (Value::Int(number), _) => SavedValue::Int(*number),
        (Value::Bool(flag), _) => SavedValue::Bool(*flag),
        (Value::Text(text), _) => SavedValue::Text(text.to_string()),
        (Value::Enum(index), Type::Enum(id)) => SavedValue::Enum(variant(id, *index)),
        (Value::Set(bits), Type::Set(id)) => SavedValue::Set(
            (0..64)
                .filter(|index| bits & (1 << index) != 0)
                .map(|index| variant(id, index))
                .collect(),
        ),
        (Value::Enum(index), _) => SavedValue::Enum(format!("#{index}")),
        (Value::Set(bits), _) => SavedValue::Set(vec![format!("{bits:#x}")]),
    }
}

/// The save as pretty RON.
pub fn to_ron(save: &SaveFile) -> String {
    let config = ron::ser::PrettyConfig::default();
    // Serialising plain strings, numbers and maps cannot fail.
    ron::ser::to_string_pretty(save, config).unwrap_or_default()
}

/// Just enough of a save to refuse one of another format or story before
/// reading the rest (whose shape may differ).
#[derive(Deserialize)]
struct Header {
    format: u32,
    story: String,
}

fn corrupt(error: ron::error::SpannedError) -> SaveError {
    SaveError::Corrupt {
        line: error.span.start.line,
        column: error.span.start.col,
        message: error.code.to_string(),
    }
}

/// Reads a save of `story`'s title and format.
pub fn parse(story: &Story, text: &str) -> Result<SaveFile, SaveError> {
    let header: Header = ron::from_str(text).map_err(corrupt)?;
    if header.format != FORMAT {
        return Err(SaveError::Version {
            found: header.format,
        });
    }
    if header.story != story.title {
        return Err(SaveError::ForeignStory {
            found: header.story,
            expected: story.title.clone(),
        });
    }
    ron::from_str(text).map_err(corrupt)
}

/// Rebuilds the state a save describes. Returns a notice when the story was
/// edited since the save (its fingerprint differs) but everything the save
/// names still exists.
pub fn restore(story: &Story, save: &SaveFile) -> Result<(State, Option<String>), SaveError> {
    let mut problems = Vec::new();
    let fresh = State::new(story, save.rng);
    // Every field by name: a new one does not compile until the save
    // format says how it is restored. Where the story is, variables,
    // visits, choices taken and alternatives are set below from the
    // save's names, when they still exist.
    let mut state = State {
        scene: fresh.scene,
        pc: save.pc,
        vars: fresh.vars,
        visits: fresh.visits,
        taken: fresh.taken,
        seqs: fresh.seqs,
        turns: save.turns,
        rng: save.rng,
    };
    match story.scene_by_name(&save.scene) {
        Some(scene) => {
            state.scene = scene;
            let paused = story
                .scene(scene)
                .ops
                .get(save.pc as usize)
                .is_some_and(|op| {
                    matches!(op, Op::Choices { .. })
                        || (story.scene(scene).is_ending && matches!(op, Op::End { .. }))
                });
            if !paused {
                problems.push(format!(
                    "scene `{}` no longer has a choice or ending at the saved position",
                    save.scene
                ));
            }
        }
        None => problems.push(format!("scene `{}` no longer exists", save.scene)),
    }
    for (name, saved) in &save.vars {
        let Some(id) = story.var_by_name(name) else {
            problems.push(format!("variable `{name}` no longer exists"));
            continue;
        };
        match load_value(story, saved, story.vars[id.index()].ty) {
            Ok(value) => state.vars[id.index()] = value,
            Err(problem) => problems.push(format!("variable `{name}`: {problem}")),
        }
    }
    state.visits.iter_mut().for_each(|count| *count = 0);
    for (name, count) in &save.visits {
        match story.scene_by_name(name) {
            Some(id) => state.visits[id.index()] = *count,
            None => problems.push(format!("scene `{name}` no longer exists")),
        }
    }
    let keys = Keys::of(story);
    let choices: BTreeMap<&str, ChoiceId> = keys
        .choices
        .iter()
        .map(|(id, key)| (key.as_str(), *id))
        .collect();
    for key in &save.taken {
        match choices.get(key.as_str()) {
            Some(id) => {
                if state.mark_taken(*id).is_err() {
                    problems.push(format!("choice `{key}` is out of range"));
                }
            }
            None => problems.push(format!("choice `{key}` no longer exists")),
        }
    }
    let seqs: BTreeMap<&str, SeqId> = keys
        .seqs
        .iter()
        .map(|(id, key)| (key.as_str(), *id))
        .collect();
    for (key, count) in &save.sequences {
        match seqs
            .get(key.as_str())
            .and_then(|id| state.seqs.get_mut(id.index()))
        {
            Some(slot) => *slot = *count,
            None => problems.push(format!("alternatives `{key}` no longer exist")),
        }
    }
    if !problems.is_empty() {
        problems.dedup();
        return Err(SaveError::Mismatch { problems });
    }
    let notice = (save.fingerprint != format!("{:016x}", fingerprint(story))).then(|| {
        "the story has changed since this game was saved; it loaded because every scene \
         and variable the save names still exists"
            .to_string()
    });
    Ok((state, notice))
}

fn load_value(story: &Story, saved: &SavedValue, ty: Type) -> Result<Value, String> {
    let variant = |id: crate::graph::EnumId, name: &str| {
        story
            .enums
            .get(id.index())
            .and_then(|found| found.variants.iter().position(|variant| variant == name))
            .map(|index| index as u32)
            .ok_or_else(|| format!("the enum value `{name}` no longer exists"))
    };
    Ok(match (saved, ty) {
        (SavedValue::Int(number), Type::Int) => Value::Int(*number),
        (SavedValue::Bool(flag), Type::Bool) => Value::Bool(*flag),
        (SavedValue::Text(text), Type::Text) => Value::Text(Arc::from(text.as_str())),
        (SavedValue::Enum(name), Type::Enum(id)) => Value::Enum(variant(id, name)?),
        (SavedValue::Set(names), Type::Set(id)) => {
            let mut bits = 0u64;
            for name in names {
                let index = variant(id, name)?;
                bits |= 1u64
                    .checked_shl(index)
                    .ok_or_else(|| format!("the enum value `{name}` cannot be in a set"))?;
            }
            Value::Set(bits)
        }
        _ => return Err("its type has changed".to_string()),
    })
}
