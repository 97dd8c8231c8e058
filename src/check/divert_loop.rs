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
    // the story is in it, it never leaves. Worked backwards from the scenes
    // that can stop: a scene that can divert to one that is not trapped is
    // not trapped either (linear; a fixed point over every scene per round
    // was quadratic on a long chain of diverts).
    let mut trapped: Vec<bool> = forced.iter().map(Option::is_some).collect();
    let mut predecessors: Vec<Vec<u32>> = vec![Vec::new(); forced.len()];
    for (index, diverts) in forced.iter().enumerate() {
        for (to, _) in diverts.iter().flatten() {
            if let Some(list) = predecessors.get_mut(to.index()) {
                list.push(index as u32);
            }
        }
    }
    let mut free: Vec<usize> = (0..forced.len()).filter(|&index| !trapped[index]).collect();
    while let Some(scene) = free.pop() {
        for &from in &predecessors[scene] {
            if std::mem::replace(&mut trapped[from as usize], false) {
                free.push(from as usize);
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
    let mut in_component = vec![false; forced.len()];
    for component in components(&trapped, successors) {
        let first = component[0];
        let on_cycle = component.len() > 1 || successors(first).contains(&first);
        if !on_cycle {
            continue;
        }
        for &index in &component {
            in_component[index] = true;
        }
        report(story, &component, &forced, &in_component, diagnostics);
        for &index in &component {
            in_component[index] = false;
        }
    }
}

/// How many scenes of a loop its report names and labels.
const NAMED: usize = 8;

fn report(
    story: &Story,
    component: &[usize],
    forced: &[Option<Vec<(SceneId, Span)>>],
    in_component: &[bool],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let name = |index: usize| format!("`{}`", story.scenes[index].name);
    // A tunnel that calls itself: the calls pile up until the depth bound.
    // The calls of the scenes named, collected once (a scene of many
    // diverts would otherwise be searched once per divert).
    let call_spans: std::collections::HashSet<Span> = component
        .iter()
        .take(NAMED)
        .flat_map(|&index| story.scenes[index].ops.iter())
        .filter_map(|op| match op {
            Op::Call { span, .. } => Some(*span),
            _ => None,
        })
        .collect();
    let calls = |at: Span| call_spans.contains(&at);
    let message = match component {
        [one] if forced[*one].iter().flatten().all(|(_, span)| calls(*span)) => {
            format!(
                "scene {} calls itself for ever: a certain infinite loop (played, it stops after {} calls)",
                name(*one),
                crate::graph::MAX_CALL_DEPTH
            )
        }
        [] => return,
        [one] => format!(
            "scene {} diverts to itself for ever: a certain infinite loop",
            name(*one)
        ),
        // A loop through thousands of scenes is named by its first few: a
        // message (and labels) for each made the report quadratic.
        _ if component.len() > NAMED => format!(
            "scenes {} and {} others divert to one another for ever: a certain infinite loop",
            component[..NAMED]
                .iter()
                .map(|&index| name(index))
                .collect::<Vec<_>>()
                .join(", "),
            component.len() - NAMED
        ),
        [init @ .., last] => format!(
            "scenes {} and {} divert to one another for ever: a certain infinite loop",
            init.iter()
                .map(|&index| name(index))
                .collect::<Vec<_>>()
                .join(", "),
            name(*last)
        ),
    };
    let first = &story.scenes[component[0]];
    let mut diagnostic = Diagnostic::new(Code::E0307, first.span, message).with_help(
        "no choice and no ending stops the story on the way; offer a choice in one of these scenes, or divert out of the loop",
    );
    for &index in component.iter().take(NAMED) {
        let into_cycle = forced[index]
            .iter()
            .flatten()
            .find(|(to, _)| in_component.get(to.index()).copied().unwrap_or(false));
        if let Some((to, span)) = into_cycle {
            let verb = if calls(*span) { "calls" } else { "diverts to" };
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
