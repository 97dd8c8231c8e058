//! Scenes that certainly run out of lines: every path through the scene's
//! program reaches its end without a divert (endings excepted).

use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{Op, SceneId, Story};

pub fn check(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
    // One buffer for every scene's sweep.
    let mut doomed = Vec::new();
    // A page ends where its lines end, as an ending does.
    for scene in story
        .scenes
        .iter()
        .filter(|scene| !scene.is_ending && !scene.is_page)
    {
        // Jumps only go forward, so one backward sweep settles every op:
        // `doomed[pc]` is true when every path from `pc` reaches the end.
        let ops = &scene.ops;
        doomed.clear();
        doomed.resize(ops.len() + 1, false);
        doomed[ops.len()] = true;
        for pc in (0..ops.len()).rev() {
            let at = |target: u32| doomed.get(target as usize).copied().unwrap_or(true);
            doomed[pc] = match &ops[pc] {
                Op::End { .. } => true,
                Op::Divert { .. } | Op::Return { .. } => false,
                // Back at the next op when the call returns; only a tunnel
                // that can go nowhere else certainly returns (or fails).
                Op::Call { target, .. } => only_returns(story, *target) && doomed[pc + 1],
                Op::Jump { target } => at(*target),
                Op::JumpUnless { target, .. } => at(*target) && doomed[pc + 1],
                Op::Choices { choices, .. } => {
                    !choices.is_empty() && choices.iter().all(|choice| at(choice.target))
                }
                Op::Text { .. } | Op::Assign { .. } | Op::SetLocal { .. } | Op::Assert { .. } => {
                    doomed[pc + 1]
                }
            };
        }
        if doomed[0] {
            let end = ops.iter().rev().find_map(|op| match op {
                Op::End { span } => Some(*span),
                _ => None,
            });
            let span = end.unwrap_or(scene.span);
            diagnostics.push(
                Diagnostic::new(
                    Code::E0301,
                    span,
                    format!("scene `{}` always runs out of lines: a dead end", scene.name),
                )
                .with_label(scene.span, "the scene starts here")
                .with_help(format!(
                    "end the scene with a divert (`-> scene`), offer choices, or make it an ending (`== ending {}`)",
                    scene.name
                )),
            );
        }
    }
}

/// Whether a tunnel can only return or fail: it diverts nowhere, calls
/// nothing and is not an ending (its jumps go forward, so every path
/// through it reaches a `->->` or its end).
fn only_returns(story: &Story, scene: SceneId) -> bool {
    story.scenes.get(scene.index()).is_some_and(|scene| {
        !scene.is_ending
            && !scene
                .ops
                .iter()
                .any(|op| matches!(op, Op::Divert { .. } | Op::Call { .. }))
    })
}
