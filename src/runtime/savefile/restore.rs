//! Loading a save into the story as it is now, by the rules of
//! docs/SAVES.md: whatever the save names that the story still has is
//! restored; whatever it no longer has is dropped, and each kind of loss is
//! one line for the player. Nothing is ever given to something else.

use std::sync::Arc;

use super::{Keys, Place, SaveError, SaveFile, SavedValue, fingerprint};
use crate::graph::SceneId;
use crate::graph::{ChoiceId, Op, Story, Type, Value};
use crate::runtime::State;

/// A save loaded into a story: the state, and what could not be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The game's state, with what could be kept.
    pub state: State,
    /// What the save held that this version of the story has no place
    /// for, one line each (empty when the save loaded intact).
    pub losses: Vec<String>,
    /// Things worth knowing that lose nothing: the story changed since the
    /// save, the save has no checksum, it was written in an older format.
    pub notes: Vec<String>,
    /// For a save that cannot say where in its scene it was paused
    /// ([`Place::Unknown`]), the loss to report unless replaying its
    /// history finds the place (see `Session::load_reporting`); the state
    /// is then at the top of the scene.
    pub unknown_position: Option<String>,
}

/// Rebuilds the state a save describes in `story`. Refused only for a save
/// that cannot be right (a text over the limit, a mark out of range);
/// anything an edit of the story explains is a loss instead.
pub fn restore(story: &Story, save: &SaveFile) -> Result<Restored, SaveError> {
    let fresh = State::new(story, save.rng);
    // Every field by name: a new one does not compile until the save
    // format says how it is restored. Variables, visits, marks and
    // alternatives are set below from the save's names; the position last.
    let mut state = State {
        scene: fresh.scene,
        pc: 0,
        vars: fresh.vars,
        visits: fresh.visits,
        taken: fresh.taken,
        seqs: fresh.seqs,
        turns: save.turns,
        rng: save.rng,
        locals: Vec::new(),
        calls: Vec::new(),
    };
    let mut losses = Vec::new();
    let same_story = save.fingerprint == format!("{:016x}", fingerprint(story));
    restore_vars(story, save, &mut state, &mut losses)?;
    state.visits.iter_mut().for_each(|count| *count = 0);
    let mut gone_scenes = Vec::new();
    for (name, count) in &save.visits {
        match story.scene_by_name(name) {
            Some(id) => state.visits[id.index()] = *count,
            None => gone_scenes.push(format!("`{name}`")),
        }
    }
    if !gone_scenes.is_empty() {
        losses.push(format!(
            "the visits to {} are dropped: the story has no such scene any more",
            list(&gone_scenes)
        ));
    }
    let keys = Keys::of(story);
    restore_taken(story, &keys, save, same_story, &mut state, &mut losses)?;
    let mut gone_seqs = Vec::new();
    for (key, count) in &save.sequences {
        let slot = keys
            .seq_lookup
            .get(key.as_str())
            .filter(|(_, alone)| same_story || (*alone && !key.contains('/')))
            .and_then(|(id, _)| state.seqs.get_mut(id.index()));
        match slot {
            Some(slot) => *slot = *count,
            None => {
                let scene = key.split('#').next().unwrap_or(key);
                gone_seqs.push(format!("`{scene}`"));
            }
        }
    }
    if !gone_seqs.is_empty() {
        let count = gone_seqs.len();
        gone_seqs.dedup();
        let (what, starts, it) = if count == 1 {
            ("1 varying text".to_string(), "starts", "its")
        } else {
            (format!("{count} varying texts"), "start", "their")
        };
        losses.push(format!(
            "{what} (`{{a|b}}`) in {} {starts} again from {it} first option: changed or gone from the story",
            list(&gone_seqs)
        ));
    }
    let unknown_position =
        restore_position(story, &keys, save, same_story, &mut state, &mut losses);
    restore_stack(story, save, &mut state, &mut losses)?;
    let mut notes = Vec::new();
    if save.checksum.is_none() {
        notes.push(
            "this save has no checksum (an older Fabula wrote it), so damage to it cannot be detected"
                .to_string(),
        );
    }
    if !same_story {
        notes.push("the story has changed since this game was saved".to_string());
    }
    Ok(Restored {
        state,
        losses,
        notes,
        unknown_position,
    })
}

/// `a`, `a and b`, `a, b and 3 more`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [first @ .., last] if items.len() <= 5 => format!("{} and {last}", first.join(", ")),
        _ => format!("{} and {} more", items[..4].join(", "), items.len() - 4),
    }
}

fn restore_vars(
    story: &Story,
    save: &SaveFile,
    state: &mut State,
    losses: &mut Vec<String>,
) -> Result<(), SaveError> {
    for (name, saved) in &save.vars {
        let Some(id) = story.var_by_name(name) else {
            losses.push(format!(
                "the variable `{name}` is dropped (it was {}): the story has no such variable any more",
                shown(saved)
            ));
            continue;
        };
        match load_value(story, saved, story.vars[id.index()].ty)? {
            Ok(value) => state.vars[id.index()] = value,
            Err(problem) => losses.push(format!(
                "the variable `{name}` starts again from its first value, as {problem}"
            )),
        }
    }
    Ok(())
}

/// A saved value as the author wrote it.
fn shown(saved: &SavedValue) -> String {
    match saved {
        SavedValue::Int(number) => number.to_string(),
        SavedValue::Bool(flag) => flag.to_string(),
        SavedValue::Text(text) if text.chars().count() > 40 => {
            format!("\"{}…\"", text.chars().take(40).collect::<String>())
        }
        SavedValue::Text(text) => format!("{text:?}"),
        SavedValue::Enum(name) => name.clone(),
        SavedValue::Set(names) => format!("{{{}}}", names.join(", ")),
    }
}

/// A mark the save names goes to the choice of that label, or of that
/// text and guard (found for certain); any other is dropped, never given
/// to another choice.
fn restore_taken(
    story: &Story,
    keys: &Keys,
    save: &SaveFile,
    same_story: bool,
    state: &mut State,
    losses: &mut Vec<String>,
) -> Result<(), SaveError> {
    let mut dropped = Vec::new();
    let mut unlabelled: std::collections::BTreeMap<&str, usize> = Default::default();
    for key in &save.taken {
        let split = key.find(['.', '#']).unwrap_or(key.len());
        let (scene_name, rest) = key.split_at(split);
        let within = rest.strip_prefix('.').unwrap_or(rest);
        let found: Option<ChoiceId> = story
            .scene_by_name(scene_name)
            .and_then(|scene| keys.find(scene, within, same_story));
        match found {
            Some(id) => state.mark_taken(id).map_err(|_| {
                SaveError::Invalid(format!("the taken choice `{key}` is out of range"))
            })?,
            None if rest.starts_with('#') && is_fingerprint(&rest[1..]) => {
                *unlabelled.entry(scene_name).or_default() += 1;
            }
            None => dropped.push(format!("`{key}`")),
        }
    }
    let count = dropped.len() + unlabelled.values().sum::<usize>();
    dropped.extend(unlabelled.iter().map(|(scene, n)| match n {
        1 => format!("an unlabelled choice in `{scene}`"),
        n => format!("{n} unlabelled choices in `{scene}`"),
    }));
    if count > 0 {
        let (plural, they) = if count == 1 {
            ("", "it counts")
        } else {
            ("s", "they count")
        };
        losses.push(format!(
            "{count} choice{plural} made before ({}) changed or left the story, so {they} as not taken and a once-only one is offered again",
            list(&dropped)
        ));
    }
    Ok(())
}

/// 16 hex digits, then maybe `/n`.
fn is_fingerprint(key: &str) -> bool {
    let hex = key.split('/').next().unwrap_or_default();
    hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// Puts the state where the save was paused: the same choice block (the
/// block of the scene holding most of the saved block's choices), or the
/// ending's end. Where that is gone, the scene starts again from its top;
/// where the scene is gone, the story starts again from its start scene,
/// with everything else the save holds. Returns the loss for a place the
/// save cannot tell ([`Place::Unknown`]), which the caller reports unless
/// the history settles it.
fn restore_position(
    story: &Story,
    keys: &Keys,
    save: &SaveFile,
    same_story: bool,
    state: &mut State,
    losses: &mut Vec<String>,
) -> Option<String> {
    let scene = story
        .scene_by_name(&save.scene)
        .filter(|id| !story.scene(*id).is_page);
    let Some(scene) = scene else {
        let start = story.start;
        state.scene = start;
        state.pc = 0;
        if let Some(visits) = state.visits.get_mut(start.index()) {
            *visits = visits.saturating_add(1);
        }
        losses.push(format!(
            "the scene `{}` the game was saved in is gone from the story, so the game goes on from the start (`{}`)",
            save.scene,
            story.scene(start).name
        ));
        return None;
    };
    state.scene = scene;
    let ops = &story.scene(scene).ops;
    let found = match &save.at {
        Place::Choices(saved) => {
            let ids: std::collections::HashSet<ChoiceId> = saved
                .iter()
                .filter_map(|key| keys.find(scene, key, same_story))
                .collect();
            let mut scored: Vec<(usize, usize)> = ops
                .iter()
                .enumerate()
                .filter_map(|(pc, op)| match op {
                    Op::Choices { choices, .. } => {
                        Some((choices.iter().filter(|c| ids.contains(&c.id)).count(), pc))
                    }
                    _ => None,
                })
                .filter(|(score, _)| *score > 0)
                .collect();
            scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
            match scored.as_slice() {
                [(best, pc), rest @ ..] if rest.first().is_none_or(|next| next.0 < *best) => {
                    Ok(*pc)
                }
                _ => Err("the choices the game was paused at are gone from it"),
            }
        }
        Place::Ending if story.scene(scene).is_ending => ops
            .iter()
            .position(|op| matches!(op, Op::End { .. }))
            .ok_or("it has no end"),
        Place::Ending => Err("it is no longer an ending"),
        Place::Unknown => Err(
            "an older Fabula wrote this save by position, which does not survive the story's changes",
        ),
    };
    match found {
        Ok(pc) => state.pc = pc as u32,
        Err(why) => {
            state.pc = 0;
            let loss = format!(
                "the game goes on from the top of the scene `{}`, as {why}",
                save.scene
            );
            if save.at == Place::Unknown {
                return Some(loss);
            }
            losses.push(loss);
        }
    }
    None
}

/// A saved value as a value of type `ty`: `Ok(Err(why))` when the story
/// changed so that it no longer fits (the variable then starts again), an
/// error for a value no save of any story may hold.
fn load_value(
    story: &Story,
    saved: &SavedValue,
    ty: Type,
) -> Result<Result<Value, String>, SaveError> {
    let variant = |id: crate::graph::EnumId, name: &str| {
        story
            .enums
            .get(id.index())
            .and_then(|found| found.variants.iter().position(|variant| variant == name))
            .map(|index| index as u32)
            .ok_or_else(|| format!("its value `{name}` is no longer one of its enum's"))
    };
    Ok(Ok(match (saved, ty) {
        (SavedValue::Int(number), Type::Int) => Value::Int(*number),
        (SavedValue::Bool(flag), Type::Bool) => Value::Bool(*flag),
        (SavedValue::Text(text), Type::Text) if text.len() > crate::runtime::MAX_TEXT_LEN => {
            return Err(SaveError::Invalid(format!(
                "a text is longer than the limit of {} bytes",
                crate::runtime::MAX_TEXT_LEN
            )));
        }
        (SavedValue::Text(text), Type::Text) => Value::Text(Arc::from(text.as_str())),
        (SavedValue::Enum(name), Type::Enum(id)) => match variant(id, name) {
            Ok(index) => Value::Enum(index),
            Err(why) => return Ok(Err(why)),
        },
        (SavedValue::Set(names), Type::Set(id)) => {
            let mut bits = 0u64;
            for name in names {
                let index = match variant(id, name) {
                    Ok(index) => index,
                    Err(why) => return Ok(Err(why)),
                };
                match 1u64.checked_shl(index) {
                    Some(bit) => bits |= bit,
                    None => return Ok(Err(format!("`{name}` cannot be in a set"))),
                }
            }
            Value::Set(bits)
        }
        _ => return Ok(Err("its type has changed".to_string())),
    }))
}

/// The paused visit's locals and the tunnel calls under way. A call whose
/// caller no longer makes that call just before the saved return point
/// cannot be returned to: then every call is abandoned and the game goes on
/// from the top of the outermost caller's scene (or the start, when that
/// scene is gone), as a divert out of the tunnels would (docs/SAVES.md).
fn restore_stack(
    story: &Story,
    save: &SaveFile,
    state: &mut State,
    losses: &mut Vec<String>,
) -> Result<(), SaveError> {
    // No game can have more calls under way: the save cannot be right.
    if save.calls.len() > crate::graph::MAX_CALL_DEPTH {
        return Err(SaveError::Invalid(format!(
            "it holds {} tunnel calls under way, more than the limit of {}",
            save.calls.len(),
            crate::graph::MAX_CALL_DEPTH
        )));
    }
    // Each caller, checked before any locals are restored: a stack that
    // cannot be returned to is abandoned whole, locals and all.
    let mut callers = Vec::with_capacity(save.calls.len());
    let mut broken = Vec::new();
    for (index, call) in save.calls.iter().enumerate() {
        let Some(scene) = story.scene_by_name(&call.scene) else {
            broken.push(format!("the scene `{}` is gone", call.scene));
            continue;
        };
        let callee = match save.calls.get(index + 1) {
            Some(next) => story.scene_by_name(&next.scene),
            None => Some(state.scene),
        };
        let calls_there = call
            .pc
            .checked_sub(1)
            .and_then(|at| story.scene(scene).ops.get(at as usize))
            .is_some_and(|op| matches!(op, Op::Call { target, .. } if Some(*target) == callee));
        if calls_there {
            callers.push((scene, call));
        } else {
            broken.push(format!(
                "`{}` no longer makes that call where it did",
                call.scene
            ));
        }
    }
    if broken.is_empty() {
        state.locals = restore_locals(story, state.scene, &save.locals, losses)?;
        for (scene, call) in callers {
            let locals = restore_locals(story, scene, &call.locals, losses)?;
            state.calls.push(crate::runtime::Frame {
                scene,
                pc: call.pc,
                locals,
            });
        }
        return Ok(());
    }
    let outermost = story
        .scene_by_name(&save.calls[0].scene)
        .unwrap_or(story.start);
    state.scene = outermost;
    state.pc = 0;
    state.locals = crate::runtime::fresh_locals(story, outermost);
    losses.push(format!(
        "the tunnel calls under way cannot be returned to ({}), so the game goes on from the top of the scene `{}`",
        list(&broken),
        story.scene(outermost).name
    ));
    Ok(())
}

/// A scene visit's locals from their names: those the save does not name
/// start at their defaults; one the scene no longer has is a loss.
fn restore_locals(
    story: &Story,
    scene: SceneId,
    saved: &std::collections::BTreeMap<String, SavedValue>,
    losses: &mut Vec<String>,
) -> Result<Vec<Value>, SaveError> {
    let mut values = crate::runtime::fresh_locals(story, scene);
    let Some(found) = story.scenes.get(scene.index()) else {
        return Ok(values);
    };
    for (name, value) in saved {
        let Some(slot) = found.locals.iter().position(|local| local.name == *name) else {
            losses.push(format!(
                "the value of `{name}` is dropped: the scene `{}` has no such parameter or temporary any more",
                found.name
            ));
            continue;
        };
        match load_value(story, value, found.locals[slot].ty)? {
            Ok(value) => values[slot] = value,
            Err(problem) => losses.push(format!(
                "`{name}` of the scene `{}` starts again: {problem}",
                found.name
            )),
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::list;

    #[test]
    fn lists_read_as_english() {
        let items: Vec<String> = (1..=7).map(|n| n.to_string()).collect();
        assert_eq!(list(&items[..1]), "1");
        assert_eq!(list(&items[..2]), "1 and 2");
        assert_eq!(list(&items[..5]), "1, 2, 3, 4 and 5");
        assert_eq!(list(&items), "1, 2, 3, 4 and 3 more");
    }
}
