//! Once-only fallbacks (`* ->`) in scenes the story can enter again: the
//! fallback is gone after its first use, so the next visit that needs it
//! finds nothing to take and the player is stuck.

use super::cycles::components;
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{Op, Story};

pub fn check(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
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
    for (scene, _) in story
        .scenes
        .iter()
        .zip(&reentered)
        .filter(|(_, reentered)| **reentered)
    {
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
                    .with_label(scene.span, "a chain of diverts leads back to this scene")
                    .with_help(format!(
                        "once taken, a `*` fallback is gone, and the next visit that needs it finds nothing to take; make it sticky: {sticky}"
                    )),
                );
            }
        }
    }
}
