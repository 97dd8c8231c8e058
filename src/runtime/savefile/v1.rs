//! Saves of format 1, read so that players' games from before format 2
//! still load: each is checked as it was written (its own checksum) and
//! upgraded to a format 2 [`SaveFile`] against the story it is loaded into.
//!
//! Format 1 knew a paused choice block by its op index and a taken choice
//! as `scene#n` (its number in the scene) with a fingerprint of its whole
//! line. The upgrade keeps what it can tell for certain: a mark whose line
//! is found once in its scene, and the paused block only when the story is
//! the very one the save was made from. A mark it cannot place keeps its
//! old key, which names no choice of format 2, so loading reports it lost.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Keys, Place, SaveFile, SavedValue, fingerprint, fnv1a, to_ron_of, unique_keys};
use crate::graph::{ChoiceId, Op, Story};
use crate::runtime::savefile::SaveError;

/// A save of format 1, field for field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveFileV1 {
    pub format: u32,
    pub story: String,
    pub fingerprint: String,
    pub scene: String,
    /// The op the game was paused at.
    pub pc: u32,
    pub turns: u32,
    pub seed: u64,
    pub rng: u64,
    #[serde(deserialize_with = "unique_keys")]
    pub vars: BTreeMap<String, SavedValue>,
    #[serde(deserialize_with = "unique_keys")]
    pub visits: BTreeMap<String, u32>,
    /// `scene#n`: the n-th choice of the scene.
    pub taken: Vec<String>,
    /// Per key of `taken`, the fingerprint of its line (16 hex digits).
    #[serde(default, deserialize_with = "unique_keys")]
    pub choices: BTreeMap<String, String>,
    #[serde(deserialize_with = "unique_keys")]
    pub sequences: BTreeMap<String, u32>,
    pub history: Vec<u32>,
    #[serde(default)]
    pub checksum: Option<String>,
}

/// The checksum format 1 wrote: a hash of the save's text without it.
pub fn checksum(save: &SaveFileV1) -> u64 {
    let unsummed = SaveFileV1 {
        checksum: None,
        ..save.clone()
    };
    fnv1a(to_ron_of(&unsummed).as_bytes())
}

/// Format 1's fingerprint of a choice: its kind and its whole line as
/// written (label and divert included), trimmed.
fn line_fingerprint(story: &Story, choice: &crate::graph::Choice) -> u64 {
    let mut bytes = vec![u8::from(choice.sticky)];
    match super::choice_line(story, choice) {
        Some(line) => bytes.extend_from_slice(line.trim().as_bytes()),
        None => bytes.extend_from_slice(format!("{:?}{:?}", choice.guard, choice.text).as_bytes()),
    }
    fnv1a(&bytes)
}

/// Checks a format 1 save's checksum and its taken list.
pub fn check(save: &SaveFileV1) -> Result<(), SaveError> {
    if let Some(sum) = &save.checksum
        && *sum != format!("{:016x}", checksum(save))
    {
        return Err(SaveError::Checksum);
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = save.taken.iter().find(|key| !seen.insert(key.as_str())) {
        return Err(SaveError::Invalid(format!(
            "the taken choice `{twice}` is given twice"
        )));
    }
    Ok(())
}

/// The save as format 2 would have written it of `story`, with what format
/// 1 cannot tell left for loading to report: a mark it cannot place keeps
/// its old key, and a paused block it cannot find is [`Place::Unknown`].
pub fn upgrade(story: &Story, old: SaveFileV1) -> SaveFile {
    let same_story = old.fingerprint == format!("{:016x}", fingerprint(story));
    let keys = Keys::of(story);
    // Each choice's format 1 key and line fingerprint.
    let mut by_old_key: BTreeMap<String, ChoiceId> = BTreeMap::new();
    let mut by_line: BTreeMap<(String, u64), Option<ChoiceId>> = BTreeMap::new();
    for scene in &story.scenes {
        let mut number = 0;
        for op in &scene.ops {
            let Op::Choices { choices, .. } = op else {
                continue;
            };
            for choice in choices {
                by_old_key.insert(format!("{}#{number}", scene.name), choice.id);
                number += 1;
                by_line
                    .entry((scene.name.clone(), line_fingerprint(story, choice)))
                    .and_modify(|found| *found = None)
                    .or_insert(Some(choice.id));
            }
        }
    }
    let lines: BTreeMap<ChoiceId, u64> = story
        .scenes
        .iter()
        .flat_map(|scene| &scene.ops)
        .filter_map(|op| match op {
            Op::Choices { choices, .. } => Some(choices),
            _ => None,
        })
        .flat_map(|choices| choices.iter())
        .map(|choice| (choice.id, line_fingerprint(story, choice)))
        .collect();
    let full_key = keys.full_key(story);
    let taken = old
        .taken
        .iter()
        .map(|key| {
            let wanted = old
                .choices
                .get(key)
                .and_then(|hex| u64::from_str_radix(hex, 16).ok());
            let at_key = by_old_key.get(key).copied();
            let found = match wanted {
                None if same_story => at_key,
                None => None,
                Some(wanted) => match at_key {
                    Some(id) if lines.get(&id) == Some(&wanted) => Some(id),
                    _ => {
                        let scene = key.rsplit_once('#').map_or("", |(scene, _)| scene);
                        by_line.get(&(scene.to_string(), wanted)).copied().flatten()
                    }
                },
            };
            found.and_then(&full_key).unwrap_or_else(|| key.clone())
        })
        .collect();
    // Alternatives were known by position: kept for the same story only.
    let sequences = old
        .sequences
        .into_iter()
        .map(|(key, count)| {
            let found = keys
                .seq_positions
                .iter()
                .find(|(_, old_key)| **old_key == key)
                .and_then(|(id, _)| keys.seqs.get(id));
            match found {
                Some(new_key) if same_story => (new_key.clone(), count),
                _ => (key, count),
            }
        })
        .collect();
    let at = match story
        .scene_by_name(&old.scene)
        .and_then(|scene| Some((scene, story.scene(scene).ops.get(old.pc as usize)?)))
    {
        Some((scene, op)) if same_story => super::place_of(story, &keys, scene, op),
        _ => Place::Unknown,
    };
    SaveFile {
        format: super::FORMAT,
        story: old.story,
        fingerprint: old.fingerprint,
        scene: old.scene,
        at,
        turns: old.turns,
        seed: old.seed,
        rng: old.rng,
        vars: old.vars,
        visits: old.visits,
        taken,
        sequences,
        history: old.history,
        // Format 1 predates tunnels and temporaries.
        locals: Default::default(),
        calls: Vec::new(),
        checksum: old.checksum,
    }
}
