//! The save format: a game's [`State`] written by names (scenes, variables,
//! enum values), not ids, so a save can be read by a person and still loads
//! after an edit that keeps every name it mentions. RON text only; writing
//! files is `crate::slots`' job.
//!
//! A save is hostile input. It carries a checksum of its content, so a
//! damaged or hand-edited save is refused rather than loaded with a changed
//! value; a key given twice is refused; and each taken once-only choice is
//! stored with a fingerprint of its line, so a mark is never attached to a
//! different choice after the story was edited.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::graph::{ChoiceId, Op, Part, SceneId, SeqId, Story, Type, Value};

use super::State;

/// The save format's version; a save with another one is refused.
pub const FORMAT: u32 = 1;

/// One saved game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    #[serde(deserialize_with = "unique_keys")]
    pub vars: BTreeMap<String, SavedValue>,
    /// Scenes entered at least once, by name.
    #[serde(deserialize_with = "unique_keys")]
    pub visits: BTreeMap<String, u32>,
    /// Once-only choices taken, as `scene#n` (the n-th choice of the scene).
    pub taken: Vec<String>,
    /// For each key of `taken`, [`choice_fingerprint`] of that choice as 16
    /// hex digits: a choice's number in its scene changes when a choice is
    /// inserted above it, its line does not. Empty in saves written before
    /// fingerprints (whose marks are then kept only for the very same story).
    #[serde(default, deserialize_with = "unique_keys")]
    pub choices: BTreeMap<String, String>,
    /// Alternatives counters that are not zero, as `scene#n`.
    #[serde(deserialize_with = "unique_keys")]
    pub sequences: BTreeMap<String, u32>,
    /// Every choice the player made, as indices into each choice block.
    pub history: Vec<u32>,
    /// The paused scene visit's or tunnel call's parameters and
    /// temporaries, by name (absent when there are none, so saves of
    /// stories without them read as before).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "unique_keys"
    )]
    pub locals: BTreeMap<String, SavedValue>,
    /// The tunnel calls under way, outermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<SavedCall>,
    /// [`checksum`] of everything above, as 16 hex digits. `None` only in
    /// saves written before checksums, which load with a note.
    #[serde(default)]
    pub checksum: Option<String>,
}

/// A tunnel call under way, by names: the calling scene, the op its
/// `->->` goes back to (the one after the call), and the caller's locals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedCall {
    pub scene: String,
    pub pc: u32,
    #[serde(default, deserialize_with = "unique_keys")]
    pub locals: BTreeMap<String, SavedValue>,
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
    /// The save's content does not match its checksum: a byte of it was
    /// damaged or edited by hand.
    #[error(
        "the save is corrupt: its content does not match its checksum (it was damaged or edited)"
    )]
    Checksum,
    /// A save that reads but cannot be right: a taken choice listed twice.
    #[error("the save is corrupt: {0}")]
    Invalid(String),
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
    fnv1a(ron::to_string(story).unwrap_or_default().as_bytes())
}

/// 64-bit FNV-1a: stable across machines and runs. It detects damage (any
/// one flipped bit changes it), not forgery: a save is the player's own.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The checksum of a save: a hash of its canonical text without the
/// checksum, so reading a save and writing it again gives the same one.
pub fn checksum(save: &SaveFile) -> u64 {
    let unsummed = SaveFile {
        checksum: None,
        ..save.clone()
    };
    fnv1a(to_ron(&unsummed).as_bytes())
}

/// A once-only choice's identity across edits of its story: its kind and
/// its own line as written (text, guard and divert), so the same line
/// elsewhere in its scene is the same choice and any change to it is
/// another. Without the story's sources (a graph read from RON), its
/// compiled form.
pub fn choice_fingerprint(story: &Story, choice: &crate::graph::Choice) -> u64 {
    let line = (choice.span.file.0 as usize)
        .lt(&story.sources.len())
        .then(|| {
            let text = &story.sources.get(choice.span.file).text;
            text.get(choice.span.range()).map(str::trim)
        })
        .flatten();
    let mut bytes = vec![u8::from(choice.sticky)];
    match line {
        Some(line) => bytes.extend_from_slice(line.as_bytes()),
        None => bytes.extend_from_slice(format!("{:?}{:?}", choice.guard, choice.text).as_bytes()),
    }
    fnv1a(&bytes)
}

/// A map read from a save whose keys must each appear once: RON would keep
/// the last of two, silently.
fn unique_keys<'de, D, V>(deserializer: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Unique<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Unique<V> {
        type Value = BTreeMap<String, V>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map with each key once")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut found = BTreeMap::new();
            while let Some((key, value)) = map.next_entry::<String, V>()? {
                if found.contains_key(&key) {
                    return Err(serde::de::Error::custom(format!(
                        "the key `{key}` is given twice"
                    )));
                }
                found.insert(key, value);
            }
            Ok(found)
        }
    }
    deserializer.deserialize_map(Unique(std::marker::PhantomData))
}

/// Stable names of choices and alternatives: `scene#n`, the n-th of its
/// kind in the scene, so they survive edits to other scenes.
struct Keys {
    choices: BTreeMap<ChoiceId, String>,
    /// Each choice's [`choice_fingerprint`].
    fingerprints: BTreeMap<ChoiceId, u64>,
    seqs: BTreeMap<SeqId, String>,
}

impl Keys {
    fn of(story: &Story) -> Keys {
        let mut keys = Keys {
            choices: BTreeMap::new(),
            fingerprints: BTreeMap::new(),
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
                            keys.fingerprints
                                .insert(choice.id, choice_fingerprint(story, choice));
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
        locals,
        calls,
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
    let taken: Vec<String> = keys
        .choices
        .iter()
        .filter(|(id, _)| state.is_taken(**id))
        .map(|(_, key)| key.clone())
        .collect();
    let choices = keys
        .choices
        .iter()
        .filter(|(id, _)| state.is_taken(**id))
        .filter_map(|(id, key)| {
            let fingerprint = keys.fingerprints.get(id)?;
            Some((key.clone(), format!("{fingerprint:016x}")))
        })
        .collect();
    let sequences = keys
        .seqs
        .iter()
        .filter_map(|(id, key)| {
            let count = *seqs.get(id.index())?;
            (count > 0).then(|| (key.clone(), count))
        })
        .collect();
    let mut save = SaveFile {
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
        choices,
        sequences,
        history: history.to_vec(),
        locals: save_locals(story, *scene, locals),
        calls: calls
            .iter()
            .map(|frame| SavedCall {
                scene: scene_name(frame.scene),
                pc: frame.pc,
                locals: save_locals(story, frame.scene, &frame.locals),
            })
            .collect(),
        checksum: None,
    };
    save.checksum = Some(format!("{:016x}", checksum(&save)));
    save
}

/// A scene visit's locals by name.
fn save_locals(story: &Story, scene: SceneId, values: &[Value]) -> BTreeMap<String, SavedValue> {
    let Some(scene) = story.scenes.get(scene.index()) else {
        return BTreeMap::new();
    };
    scene
        .locals
        .iter()
        .zip(values)
        .map(|(local, value)| (local.name.clone(), save_value(story, value, local.ty)))
        .collect()
}

/// A scene visit's locals from their names: those the save does not name
/// at their defaults; a name the scene no longer has is a problem.
fn restore_locals(
    story: &Story,
    scene: SceneId,
    saved: &BTreeMap<String, SavedValue>,
    problems: &mut Vec<String>,
) -> Vec<Value> {
    let mut values = super::fresh_locals(story, scene);
    let Some(found) = story.scenes.get(scene.index()) else {
        return values;
    };
    for (name, value) in saved {
        let Some(slot) = found.locals.iter().position(|local| local.name == *name) else {
            problems.push(format!(
                "scene `{}` no longer has the parameter or temporary `{name}`",
                found.name
            ));
            continue;
        };
        match load_value(story, value, found.locals[slot].ty) {
            Ok(value) => values[slot] = value,
            Err(problem) => problems.push(format!("`{name}` of scene `{}`: {problem}", found.name)),
        }
    }
    values
}

/// The saved calls as frames: each caller must still make a call at the
/// op before its saved position, to the scene the next frame (or the
/// paused scene) is in.
fn restore_calls(
    story: &Story,
    save: &SaveFile,
    paused_in: Option<SceneId>,
    problems: &mut Vec<String>,
) -> Vec<super::Frame> {
    if save.calls.len() > crate::graph::MAX_CALL_DEPTH {
        problems.push(format!(
            "it has {} tunnel calls under way, more than the limit of {}",
            save.calls.len(),
            crate::graph::MAX_CALL_DEPTH
        ));
        return Vec::new();
    }
    let mut frames = Vec::with_capacity(save.calls.len());
    for (index, call) in save.calls.iter().enumerate() {
        let Some(scene) = story.scene_by_name(&call.scene) else {
            problems.push(format!("scene `{}` no longer exists", call.scene));
            continue;
        };
        let callee = match save.calls.get(index + 1) {
            Some(next) => story.scene_by_name(&next.scene),
            None => paused_in,
        };
        let calls_there = call
            .pc
            .checked_sub(1)
            .and_then(|at| story.scene(scene).ops.get(at as usize))
            .is_some_and(|op| matches!(op, Op::Call { target, .. } if Some(*target) == callee));
        if !calls_there {
            problems.push(format!(
                "scene `{}` no longer makes the saved tunnel call at the saved position",
                call.scene
            ));
        }
        let locals = restore_locals(story, scene, &call.locals, problems);
        frames.push(super::Frame {
            scene,
            pc: call.pc,
            locals,
        });
    }
    frames
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
    let save: SaveFile = ron::from_str(text).map_err(corrupt)?;
    if let Some(sum) = &save.checksum
        && *sum != format!("{:016x}", checksum(&save))
    {
        return Err(SaveError::Checksum);
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = save.taken.iter().find(|key| !seen.insert(key.as_str())) {
        return Err(SaveError::Invalid(format!(
            "the taken choice `{twice}` is given twice"
        )));
    }
    Ok(save)
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
        locals: Vec::new(),
        calls: Vec::new(),
    };
    let paused_in = story.scene_by_name(&save.scene);
    if let Some(scene) = paused_in {
        state.locals = restore_locals(story, scene, &save.locals, &mut problems);
    }
    state.calls = restore_calls(story, save, paused_in, &mut problems);
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
    let same_story = save.fingerprint == format!("{:016x}", fingerprint(story));
    let dropped = restore_taken(&keys, save, same_story, &mut state, &mut problems);
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
    let mut notes = Vec::new();
    if save.checksum.is_none() {
        notes.push(
            "this save has no checksum (an older Fabula wrote it), so damage to it cannot be detected"
                .to_string(),
        );
    }
    if !same_story {
        notes.push(
            "the story has changed since this game was saved; it loaded because every scene \
             and variable the save names still exists"
                .to_string(),
        );
    }
    if !dropped.is_empty() {
        let plural = if dropped.len() == 1 { "" } else { "s" };
        let mut named = dropped[..dropped.len().min(5)].join(", ");
        if dropped.len() > 5 {
            named.push_str(&format!(" and {} more", dropped.len() - 5));
        }
        notes.push(format!(
            "{} once-only choice{plural} taken before ({named}) changed or moved in the story, so \
             which of them were taken is forgotten and they are offered again",
            dropped.len(),
        ));
    }
    Ok((state, (!notes.is_empty()).then(|| notes.join("; "))))
}

/// Marks the save's taken choices in `state`. A mark goes to the choice
/// whose line the save fingerprinted: the choice at the saved `scene#n` when
/// it is still that line, else the one choice of the scene with that line
/// (a choice inserted above moves the others down). A mark whose choice
/// cannot be told for certain is dropped, never given to another choice;
/// the dropped keys are returned. Saves without fingerprints keep their
/// marks only for the very story they were saved from.
fn restore_taken(
    keys: &Keys,
    save: &SaveFile,
    same_story: bool,
    state: &mut State,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let by_key: BTreeMap<&str, ChoiceId> = keys
        .choices
        .iter()
        .map(|(id, key)| (key.as_str(), *id))
        .collect();
    // Each scene's choices by line: `None` where two choices share a line.
    let mut by_line: BTreeMap<(&str, u64), Option<ChoiceId>> = BTreeMap::new();
    for (id, key) in &keys.choices {
        if let (Some((scene, _)), Some(hash)) = (key.rsplit_once('#'), keys.fingerprints.get(id)) {
            by_line
                .entry((scene, *hash))
                .and_modify(|found| *found = None)
                .or_insert(Some(*id));
        }
    }
    let mut dropped = Vec::new();
    for key in &save.taken {
        let saved_fingerprint = save
            .choices
            .get(key)
            .and_then(|hex| u64::from_str_radix(hex, 16).ok());
        let at_key = by_key.get(key.as_str()).copied();
        let found = match saved_fingerprint {
            None if same_story => at_key,
            None => None,
            Some(wanted) => match at_key {
                Some(id) if keys.fingerprints.get(&id) == Some(&wanted) => Some(id),
                _ => {
                    let scene = key.rsplit_once('#').map_or("", |(scene, _)| scene);
                    by_line.get(&(scene, wanted)).copied().flatten()
                }
            },
        };
        match found {
            Some(id) => {
                if state.mark_taken(id).is_err() {
                    problems.push(format!("choice `{key}` is out of range"));
                }
            }
            None => dropped.push(format!("`{key}`")),
        }
    }
    dropped
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
        (SavedValue::Text(text), Type::Text) if text.len() > super::MAX_TEXT_LEN => {
            return Err(format!(
                "its text is longer than the limit of {} bytes",
                super::MAX_TEXT_LEN
            ));
        }
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
