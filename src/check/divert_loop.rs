//! Cycles of diverts that nothing interrupts: scenes that, once entered,
//! can only divert to one another, with no choice and no ending on the
//! way, so the story goes round for ever (the runtime stops it after
//! [`crate::runtime::STEP_LIMIT`] diverts). Reported only when certain:
//! every path through each scene of the cycle ends in a divert to a scene
//! of the cycle.

use super::cycles::components;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::{Op, Scene, SceneId, Story};

pub fn check(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
    // Per scene, the diverts every path through it ends in, when it has
    // no way to stop (no choice block, no end) on any path.
    let forced: Vec<Option<Vec<(SceneId, Span)>>> = story
        .scenes
        .iter()
        .map(|scene| (!scene.is_ending).then(|| only_diverts(scene)).flatten())
        .collect();
    // The largest set of such scenes that diverts only into itself: once
    // the story is in it, it never leaves.
    let mut trapped: Vec<bool> = forced.iter().map(Option::is_some).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for (index, diverts) in forced.iter().enumerate() {
            let Some(diverts) = diverts else { continue };
            if trapped[index] && diverts.iter().any(|(to, _)| !trapped[to.index()]) {
                trapped[index] = false;
                changed = true;
            }
        }
    }
    if !trapped.contains(&true) {
        return;
    }
    let successors = |index: usize| -> Vec<usize> {
        forced[index]
            .iter()
            .flatten()
            .map(|(to, _)| to.index())
            .collect()
    };
    for component in components(&trapped, successors) {
        let first = component[0];
        let on_cycle = component.len() > 1 || successors(first).contains(&first);
        if !on_cycle {
            continue;
        }
        report(story, &component, &forced, diagnostics);
    }
}

fn report(
    story: &Story,
    component: &[usize],
    forced: &[Option<Vec<(SceneId, Span)>>],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let names: Vec<String> = component
        .iter()
        .map(|&index| format!("`{}`", story.scenes[index].name))
        .collect();
    // A tunnel that calls itself: the calls pile up until the depth bound.
    let calls = |index: usize, at: Span| {
        story.scenes[index]
            .ops
            .iter()
            .any(|op| matches!(op, Op::Call { span, .. } if *span == at))
    };
    let message = match names.as_slice() {
        [one]
            if forced[component[0]]
                .iter()
                .flatten()
                .all(|(_, span)| calls(component[0], *span)) =>
        {
            format!(
                "scene {one} calls itself for ever: a certain infinite loop (played, it stops after {} calls)",
                crate::graph::MAX_CALL_DEPTH
            )
        }
        [one] => format!("scene {one} diverts to itself for ever: a certain infinite loop"),
        [init @ .., last] => format!(
            "scenes {} and {last} divert to one another for ever: a certain infinite loop",
            init.join(", ")
        ),
        [] => return,
    };
    let first = &story.scenes[component[0]];
    let mut diagnostic = Diagnostic::new(Code::E0307, first.span, message).with_help(
        "no choice and no ending stops the story on the way; offer a choice in one of these scenes, or divert out of the loop",
    );
    for &index in component {
        let into_cycle = forced[index]
            .iter()
            .flatten()
            .find(|(to, _)| component.contains(&to.index()));
        if let Some((to, span)) = into_cycle {
            let verb = if calls(index, *span) {
                "calls"
            } else {
                "diverts to"
            };
            diagnostic = diagnostic.with_label(
                *span,
                format!(
                    "`{}` {verb} `{}`",
                    story.scenes[index].name,
                    story.scene(*to).name
                ),
            );
        }
    }
    diagnostics.push(diagnostic);
}

/// The diverts that every path through `scene` ends in, or `None` when
/// some path reaches a choice block or runs out of lines.
fn only_diverts(scene: &Scene) -> Option<Vec<(SceneId, Span)>> {
    let ops = &scene.ops;
    let mut seen = vec![false; ops.len()];
    let mut stack = vec![0usize];
    let mut diverts = Vec::new();
    while let Some(pc) = stack.pop() {
        if std::mem::replace(seen.get_mut(pc)?, true) {
            continue;
        }
        match &ops[pc] {
            // A call is followed into the tunnel only: a tunnel in the
            // cycle never returns (a path to its `->->` would leave it).
            Op::Divert { target, span } | Op::Call { target, span, .. } => {
                diverts.push((*target, *span));
                continue;
            }
            Op::Choices { .. } | Op::End { .. } | Op::Return { .. } => return None,
            // Followed by `flows_to` below.
            Op::Text { .. }
            | Op::Assign { .. }
            | Op::SetLocal { .. }
            | Op::Assert { .. }
            | Op::JumpUnless { .. }
            | Op::Jump { .. } => {}
        }
        stack.extend(ops[pc].flows_to(pc));
    }
    Some(diverts)
}
