//! The save format: a game's [`State`] written by names (scenes, variables,
//! enum values, choice labels), never by position, so a save can be read
//! by a person and still loads after the story is edited. RON text only;
//! writing files is `crate::slots`' job. What loading a save of an edited
//! story keeps and drops is written down in docs/SAVES.md.
//!
//! A save is hostile input. It carries a checksum of its content, so a
//! damaged or hand-edited save is refused rather than loaded with a changed
//! value; a key given twice is refused. A choice is known by its label
//! (`office.ask`) or, without one, by a fingerprint of its text and guard
//! (`office#…`), so a mark is never attached to a different choice.
//!
//! Format 2 is written; format 1 (by position and line) is still read,
//! through `v1`.

mod restore;
pub(crate) mod v1;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::graph::{ChoiceId, Op, Part, SceneId, SeqId, Story, Type, Value};

use super::State;
pub use restore::{Restored, restore};

/// The save format's version, written in every save.
pub const FORMAT: u32 = 2;

/// The oldest format still read (and upgraded on loading).
pub const OLDEST_FORMAT: u32 = 1;

/// One saved game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveFile {
    /// The save format's version: [`FORMAT`] when written by this player.
    pub format: u32,
    /// The story's title, to refuse saves of other stories.
    pub story: String,
    /// [`fingerprint`] of the compiled story, as 16 hex digits.
    pub fingerprint: String,
    /// The scene the game is paused in, by name.
    pub scene: String,
    /// Where in the scene: the choice block, by its choices, or the end of
    /// an ending.
    pub at: Place,
    /// How many choices the player has made.
    pub turns: u32,
    /// The seed the game started from, for undo (which replays from it).
    pub seed: u64,
    /// The random generator's state, so draws go on as they would have.
    pub rng: u64,
    /// Every story variable, by name.
    #[serde(deserialize_with = "unique_keys")]
    pub vars: BTreeMap<String, SavedValue>,
    /// Scenes entered at least once, by name.
    #[serde(deserialize_with = "unique_keys")]
    pub visits: BTreeMap<String, u32>,
    /// Choices taken, once-only and sticky: `scene.label` for a labelled
    /// choice, `scene#` and its [`choice_fingerprint`] (16 hex digits, then
    /// `/2`, `/3`… for a second or third choice of the scene with the same
    /// text and guard) for the others.
    pub taken: Vec<String>,
    /// Alternatives counters that are not zero, as `scene#` and a
    /// fingerprint of the alternatives' kind and options as written (`/n`
    /// for the n-th alike in the scene).
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

/// Where in its scene a game is paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Place {
    /// At a choice block, known by its choices' keys in order: a label, or
    /// `#` and the choice's fingerprint (as in [`SaveFile::taken`]).
    Choices(Vec<String>),
    /// At the end of an ending.
    Ending,
    /// Only in a save of format 1 loaded into an edited story: format 1
    /// knew the block by position, which an edit makes meaningless.
    Unknown,
}

/// A tunnel call under way, by names: the calling scene, the op its
/// `->->` goes back to (the one after the call), and the caller's locals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedCall {
    /// The calling scene, by name.
    pub scene: String,
    /// The op in it that `->->` goes back to.
    pub pc: u32,
    /// The caller's parameters and temporaries, by name.
    #[serde(default, deserialize_with = "unique_keys")]
    pub locals: BTreeMap<String, SavedValue>,
}

/// A variable's value, with enum values by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SavedValue {
    /// An `int`.
    Int(i64),
    /// A `bool`.
    Bool(bool),
    /// A `text`.
    Text(String),
    /// An enum value, by its identifier.
    Enum(String),
    /// A set, by its values' identifiers.
    Set(Vec<String>),
}

/// Why a save could not be read. Loading never changes the current game.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaveError {
    /// The text is not a valid save: `(format: 2, story: ` cut short.
    #[error("the save is corrupt (line {line}, column {column}): {message}")]
    Corrupt {
        /// The line of the text where reading failed, from 1.
        line: usize,
        /// The column, from 1.
        column: usize,
        /// What was wrong there.
        message: String,
    },
    /// A save written by a version of the save format this player does not read.
    #[error(
        "the save has format version {found}; this player reads versions {OLDEST_FORMAT} to {FORMAT}"
    )]
    Version {
        /// The format version the save says it has.
        found: u32,
    },
    /// The save's content does not match its checksum: a byte of it was
    /// damaged or edited by hand.
    #[error(
        "the save is corrupt: its content does not match its checksum (it was damaged or edited)"
    )]
    Checksum,
    /// A save that reads but cannot be right: a taken choice listed twice,
    /// a text over the limit.
    #[error("the save is corrupt: {0}")]
    Invalid(String),
    /// A save of another story (its title differs).
    #[error("the save is from the story `{found}`, not `{expected}`")]
    ForeignStory {
        /// The save's story title.
        found: String,
        /// The title of the story loading it.
        expected: String,
    },
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

/// A choice's own line as written, when the story's sources are at hand.
fn choice_line<'s>(story: &'s Story, choice: &crate::graph::Choice) -> Option<&'s str> {
    if choice.span.file.0 as usize >= story.sources.len() {
        return None;
    }
    let text = &story.sources.get(choice.span.file).text;
    text.get(choice.span.range())
}

/// A choice's identity across edits of its story when it has no label: its
/// kind (once-only or sticky), its guard and its text as written, with
/// runs of spaces made one. Its label, its divert and its body are not
/// part of it, so labelling a choice, re-pointing it or rewriting what
/// follows it keeps its marks; changing its words or its guard makes it
/// another choice. Without the story's sources (a graph read from RON),
/// its compiled form.
pub fn choice_fingerprint(story: &Story, choice: &crate::graph::Choice) -> u64 {
    let mut bytes = vec![u8::from(choice.sticky)];
    match choice_line(story, choice) {
        Some(line) => {
            let mut rest = line.trim().trim_start_matches(['*', '+']).trim_start();
            if choice.label.is_some()
                && let Some(close) = rest.find(')')
                && rest.starts_with('(')
            {
                rest = rest[close + 1..].trim_start();
            }
            // A divert at the end of the line: `-> target`, `-> ending target`.
            if let Some((before, target)) = rest.rsplit_once("->") {
                let target = target.trim();
                let target = target.strip_prefix("ending ").unwrap_or(target).trim();
                if !target.is_empty()
                    && target
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    rest = before;
                }
            }
            let words: Vec<&str> = rest.split_whitespace().collect();
            bytes.extend_from_slice(words.join(" ").as_bytes());
        }
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

/// Stable names of choices and alternatives.
struct Keys {
    /// Per choice: its scene and its key there, the one a save writes (its
    /// label, else `#` and its fingerprint, `/n` for the n-th of a scene's
    /// choices with one fingerprint).
    choices: BTreeMap<ChoiceId, (SceneId, String)>,
    /// Every key of every choice, by scene: its label and its fingerprint
    /// key both, so a mark saved before a choice got its label finds it.
    lookup: HashMap<(SceneId, String), ChoiceId>,
    /// Per scene and fingerprint: how many of the scene's choices have it.
    shared: HashMap<(SceneId, u64), u32>,
    /// Alternatives as `scene#` and a fingerprint of their kind and
    /// options as written (`/n` for the n-th alike in the scene).
    seqs: BTreeMap<SeqId, String>,
    /// The same keys the other way, with whether the key names its
    /// alternatives for certain in an edited story (no other alike).
    seq_lookup: HashMap<String, (SeqId, bool)>,
    /// Alternatives as format 1 named them: `scene#n`, the n-th of the scene.
    seq_positions: BTreeMap<SeqId, String>,
}

impl Keys {
    fn of(story: &Story) -> Keys {
        let mut keys = Keys {
            choices: BTreeMap::new(),
            lookup: HashMap::new(),
            shared: HashMap::new(),
            seqs: BTreeMap::new(),
            seq_lookup: HashMap::new(),
            seq_positions: BTreeMap::new(),
        };
        for (index, scene) in story.scenes.iter().enumerate() {
            let id = SceneId(index as u32);
            let mut seq_count = 0;
            let mut alike: HashMap<u64, u32> = HashMap::new();
            let mut parts = Vec::new();
            for op in &scene.ops {
                match op {
                    Op::Text { text, .. } => parts.push(text),
                    Op::Choices { choices, .. } => {
                        for choice in choices {
                            let hash = choice_fingerprint(story, choice);
                            let count = keys.shared.entry((id, hash)).or_insert(0);
                            *count += 1;
                            let by_text = match *count {
                                1 => format!("#{hash:016x}"),
                                n => format!("#{hash:016x}/{n}"),
                            };
                            keys.lookup.insert((id, by_text.clone()), choice.id);
                            let key = match story.label(choice) {
                                Some(label) => {
                                    let label = label.to_string();
                                    keys.lookup.entry((id, label.clone())).or_insert(choice.id);
                                    label
                                }
                                None => by_text,
                            };
                            keys.choices.insert(choice.id, (id, key));
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
                            keys.seq_positions
                                .insert(alternatives.seq, format!("{}#{seq_count}", scene.name));
                            seq_count += 1;
                            let mut written = format!("{:?}", alternatives.kind);
                            for option in &alternatives.options {
                                written.push('|');
                                describe(story, option, &mut written);
                            }
                            let hash = fnv1a(written.as_bytes());
                            let count = alike.entry(hash).or_insert(0);
                            *count += 1;
                            let key = match *count {
                                1 => format!("{}#{hash:016x}", scene.name),
                                n => format!("{}#{hash:016x}/{n}", scene.name),
                            };
                            keys.seqs.insert(alternatives.seq, key);
                            stack.extend(alternatives.options.iter().rev().map(|option| &**option));
                        }
                        Part::Literal(_) | Part::Value(_) => {}
                    }
                }
            }
        }
        // A key names its alternatives for certain in an edited story only
        // when nothing else in the scene is written alike.
        let mut written_alike: HashMap<&str, u32> = HashMap::new();
        for key in keys.seqs.values() {
            *written_alike
                .entry(key.split('/').next().unwrap_or(key))
                .or_default() += 1;
        }
        for (id, key) in &keys.seqs {
            let first = key.split('/').next().unwrap_or(key);
            let alone = written_alike.get(first) == Some(&1);
            keys.seq_lookup.insert(key.clone(), (*id, alone));
        }
        keys
    }

    /// A choice's key within its scene.
    fn key(&self, id: ChoiceId) -> Option<&str> {
        self.choices.get(&id).map(|(_, key)| key.as_str())
    }

    /// A choice's key in [`SaveFile::taken`]: `scene.label` or `scene#…`.
    fn full_key(&self, story: &Story) -> impl Fn(ChoiceId) -> Option<String> {
        move |id| {
            let (scene, key) = self.choices.get(&id)?;
            let name = &story.scenes.get(scene.index())?.name;
            Some(if key.starts_with('#') {
                format!("{name}{key}")
            } else {
                format!("{name}.{key}")
            })
        }
    }

    /// The choice a key of `scene` names, if it names one for certain. In
    /// an edited story a fingerprint two choices of the scene share (or a
    /// `/n` key) could name either, so it names none.
    fn find(&self, scene: SceneId, key: &str, same_story: bool) -> Option<ChoiceId> {
        let id = *self.lookup.get(&(scene, key.to_string()))?;
        if same_story || !key.starts_with('#') {
            return Some(id);
        }
        let hash = key
            .get(1..17)
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())?;
        let unique = key.len() == 17 && self.shared.get(&(scene, hash)) == Some(&1);
        unique.then_some(id)
    }
}

/// Parts as written, for the fingerprint of alternatives: literal text,
/// and the source of each expression.
fn describe(story: &Story, parts: &[Part], out: &mut String) {
    for part in parts {
        match part {
            Part::Literal(text) => out.push_str(story.text(*text)),
            Part::Value(expr) => {
                out.push('{');
                out.push_str(story.source_text(expr.span));
                out.push('}');
            }
            Part::Conditional(conditional) => {
                out.push('{');
                out.push_str(story.source_text(conditional.condition.span));
                out.push(':');
                describe(story, &conditional.then, out);
                out.push('|');
                describe(story, &conditional.otherwise, out);
                out.push('}');
            }
            Part::Alternatives(alternatives) => {
                out.push_str(&format!("{{{:?}", alternatives.kind));
                for option in &alternatives.options {
                    out.push('|');
                    describe(story, option, out);
                }
                out.push('}');
            }
        }
    }
}

/// Where a game paused at `op` of `scene` is, as a save writes it.
fn place_of(story: &Story, keys: &Keys, scene: SceneId, op: &Op) -> Place {
    match op {
        Op::Choices { choices, .. } => Place::Choices(
            choices
                .iter()
                .filter_map(|choice| keys.key(choice.id).map(str::to_string))
                .collect(),
        ),
        Op::End { .. } if story.scene(scene).is_ending => Place::Ending,
        _ => Place::Unknown,
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
    let full_key = keys.full_key(story);
    let taken: Vec<String> = keys
        .choices
        .keys()
        .filter(|id| state.is_taken(**id))
        .filter_map(|id| full_key(*id))
        .collect();
    let sequences = keys
        .seqs
        .iter()
        .filter_map(|(id, key)| {
            let count = *seqs.get(id.index())?;
            (count > 0).then(|| (key.clone(), count))
        })
        .collect();
    let at = story
        .scenes
        .get(scene.index())
        .and_then(|found| found.ops.get(*pc as usize))
        .map_or(Place::Unknown, |op| place_of(story, &keys, *scene, op));
    let mut save = SaveFile {
        format: FORMAT,
        story: story.title.clone(),
        fingerprint: format!("{:016x}", fingerprint(story)),
        scene: scene_name(*scene),
        at,
        turns: *turns,
        seed,
        rng: *rng,
        vars,
        visits,
        taken,
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
    to_ron_of(save)
}

fn to_ron_of(value: &impl Serialize) -> String {
    let config = ron::ser::PrettyConfig::default();
    // Serialising plain strings, numbers and maps cannot fail.
    ron::ser::to_string_pretty(value, config).unwrap_or_default()
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

/// Reads a save of `story`'s title, of format 2 or (upgraded, see `v1`)
/// format 1.
pub fn parse(story: &Story, text: &str) -> Result<SaveFile, SaveError> {
    let header: Header = ron::from_str(text).map_err(corrupt)?;
    if !(OLDEST_FORMAT..=FORMAT).contains(&header.format) {
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
    if header.format == 1 {
        let old: v1::SaveFileV1 = ron::from_str(text).map_err(corrupt)?;
        v1::check(&old)?;
        return Ok(v1::upgrade(story, old));
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
