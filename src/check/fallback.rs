//! Once-only fallbacks (`* ->`) in scenes the story can enter again: the
//! fallback is gone after its first use, so the next visit that needs it
//! finds nothing to take and the player is stuck.

use super::cycles::components;
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{Op, Story};

pub fn check(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
    // Most stories have no once-only fallback: then there is nothing to
    // report, and no need for the components of the whole graph (a third
    // of `check` on a million-scene chain).
    let has_once_only_fallback = story.scenes.iter().any(|scene| {
        scene.ops.iter().any(|op| {
            matches!(op, Op::Choices { choices, .. }
                if choices.iter().any(|c| c.is_fallback() && !c.sticky))
        })
    });
    if !has_once_only_fallback {
        return;
    }
    let count = story.scenes.len();
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); count];
    for edge in story.edges() {
        successors[edge.from.index()].push(edge.to.index());
    }
    // A scene can be entered again when a chain of diverts leads from it
    // back to it: it diverts to itself, or shares a component with others.
    let mut reentered = vec![false; count];
    for component in components(&vec![true; count], |index| successors[index].clone()) {
        let first = component[0];
        if component.len() > 1 || successors[first].contains(&first) {
            for index in component {
                reentered[index] = true;
            }
        }
    }
    let on_cycle = reentered.clone();
    tunnels_entered_again(story, &mut reentered);
    for ((scene, _), cyclic) in story
        .scenes
        .iter()
        .zip(&reentered)
        .zip(&on_cycle)
        .filter(|((_, reentered), _)| **reentered)
    {
        let why = if *cyclic {
            "a chain of diverts leads back to this scene"
        } else {
            "this tunnel is called again"
        };
        for op in &scene.ops {
            let Op::Choices { choices, .. } = op else {
                continue;
            };
            for choice in choices.iter().filter(|c| c.is_fallback() && !c.sticky) {
                // Straight to an ending: the story cannot come back for it.
                if let Some(Op::Divert { target, .. }) = scene.ops.get(choice.target as usize)
                    && story.scene(*target).is_ending
                {
                    continue;
                }
                let written = story.source_text(choice.span);
                let sticky = match written.strip_prefix('*') {
                    Some(rest) => format!("`+{rest}`"),
                    None => "`+ ->`".to_string(),
                };
                diagnostics.push(
                    Diagnostic::new(
                        Code::W0008,
                        choice.span,
                        format!(
                            "a once-only fallback in scene `{}`, which the story can enter again",
                            scene.name
                        ),
                    )
                    .with_label(scene.span, why)
                    .with_help(format!(
                        "once taken, a `*` fallback is gone, and the next visit that needs it finds nothing to take; make it sticky: {sticky}"
                    )),
                );
            }
        }
    }
}

/// Marks the tunnels the story can enter again without a cycle of
/// diverts: one called from two places, or called from a scene that is
/// itself entered again (each visit makes the call anew).
fn tunnels_entered_again(story: &Story, reentered: &mut [bool]) {
    let calls: Vec<(usize, usize)> = story
        .returns()
        .map(|edge| (edge.to.index(), edge.from.index()))
        .collect();
    let mut sites = vec![0u32; reentered.len()];
    for &(_, tunnel) in &calls {
        sites[tunnel] += 1;
    }
    for (flag, count) in reentered.iter_mut().zip(&sites) {
        *flag |= *count > 1;
    }
    let mut changed = true;
    while changed {
        changed = false;
        for &(caller, tunnel) in &calls {
            if reentered[caller] && !reentered[tunnel] {
                reentered[tunnel] = true;
                changed = true;
            }
        }
    }
}
