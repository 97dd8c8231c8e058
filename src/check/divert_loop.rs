//! Cycles of diverts that nothing interrupts: scenes that, once entered,
//! can only divert to one another, with no choice and no ending on the
//! way, so the story goes round for ever (the runtime stops it after
//! [`crate::runtime::STEP_LIMIT`] diverts). Reported only when certain:
//! every path through each scene of the cycle ends in a divert to a scene
//! of the cycle.

use super::cycles::components;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::{Op, Scene, SceneId, Story};

/// Per scene, the diverts every path through it ends in, when it has no
/// way to stop: every scene's in one list, so a million-scene story makes
/// two lists, not a million.
struct Forced {
    /// Per scene, its run of `diverts`; `None` when it can stop.
    runs: Vec<Option<(u32, u32)>>,
    diverts: Vec<(SceneId, Span)>,
}

impl Forced {
    fn of(story: &Story) -> Forced {
        let mut walk = Walk::default();
        let mut diverts = Vec::new();
        let runs = story
            .scenes
            .iter()
            .map(|scene| {
                if scene.is_ending {
                    return None;
                }
                let start = diverts.len();
                if walk.only_diverts(scene, &mut diverts) {
                    Some((start as u32, diverts.len() as u32))
                } else {
                    diverts.truncate(start);
                    None
                }
            })
            .collect();
        Forced { runs, diverts }
    }

    fn len(&self) -> usize {
        self.runs.len()
    }

    /// Scene `index`'s forced diverts; `None` when it can stop.
    fn get(&self, index: usize) -> Option<&[(SceneId, Span)]> {
        let (start, end) = self.runs[index]?;
        Some(&self.diverts[start as usize..end as usize])
    }

    /// Scene `index`'s forced diverts; none when it can stop.
    fn iter(&self, index: usize) -> impl Iterator<Item = &(SceneId, Span)> {
        self.get(index).into_iter().flatten()
    }
}

pub fn check(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
    // Per scene, the diverts every path through it ends in, when it has
    // no way to stop (no choice block, no end) on any path.
    let forced = Forced::of(story);
    // The largest set of such scenes that diverts only into itself: once
    // the story is in it, it never leaves. Worked backwards from the scenes
    // that can stop: a scene that can divert to one that is not trapped is
    // not trapped either (linear; a fixed point over every scene per round
    // was quadratic on a long chain of diverts).
    let mut trapped: Vec<bool> = forced.runs.iter().map(Option::is_some).collect();
    // Each scene's predecessors, `from[starts[to]..starts[to + 1]]`.
    let mut starts = written_zeros(forced.len() + 1);
    for (to, _) in &forced.diverts {
        if let Some(count) = starts.get_mut(to.index() + 1) {
            *count += 1;
        }
    }
    for index in 1..starts.len() {
        starts[index] += starts[index - 1];
    }
    let mut filled = starts.clone();
    let mut from = vec![0u32; starts[forced.len()] as usize];
    for index in 0..forced.len() {
        for (to, _) in forced.iter(index) {
            if let Some(next) = filled
                .get_mut(to.index())
                .filter(|_| to.index() < forced.len())
            {
                from[*next as usize] = index as u32;
                *next += 1;
            }
        }
    }
    let predecessors = |scene: usize| &from[starts[scene] as usize..starts[scene + 1] as usize];
    let mut free: Vec<usize> = (0..forced.len()).filter(|&index| !trapped[index]).collect();
    while let Some(scene) = free.pop() {
        for &from in predecessors(scene) {
            if std::mem::replace(&mut trapped[from as usize], false) {
                free.push(from as usize);
            }
        }
    }
    if !trapped.contains(&true) {
        return;
    }
    let successors =
        |index: usize| -> Vec<usize> { forced.iter(index).map(|(to, _)| to.index()).collect() };
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

/// `count` zeros, written rather than allocated zeroed (`vec![0; count]`):
/// a large zeroed allocation is fresh pages, and counting reads each one
/// before writing it, so each would fault twice (in the shared zero page,
/// then a copy-on-write that interrupts the other core to flush its TLB).
#[allow(clippy::slow_vector_initialization)]
fn written_zeros(count: usize) -> Vec<u32> {
    let mut zeros = Vec::with_capacity(count);
    zeros.resize(count, 0);
    zeros
}

/// How many scenes of a loop its report names and labels.
const NAMED: usize = 8;

fn report(
    story: &Story,
    component: &[usize],
    forced: &Forced,
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
        [one] if forced.iter(*one).all(|(_, span)| calls(*span)) => {
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
        let into_cycle = forced
            .iter(index)
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

/// The buffers of a walk through a scene's ops, kept from scene to scene.
#[derive(Default)]
struct Walk {
    seen: Vec<bool>,
    stack: Vec<usize>,
}

impl Walk {
    /// Appends to `diverts` the diverts that every path through `scene`
    /// ends in; `false` when some path reaches a choice block or runs out
    /// of lines (what it appended is then meaningless).
    fn only_diverts(&mut self, scene: &Scene, diverts: &mut Vec<(SceneId, Span)>) -> bool {
        let ops = &scene.ops;
        self.seen.clear();
        self.seen.resize(ops.len(), false);
        self.stack.clear();
        self.stack.push(0);
        while let Some(pc) = self.stack.pop() {
            let Some(seen) = self.seen.get_mut(pc) else {
                return false;
            };
            if std::mem::replace(seen, true) {
                continue;
            }
            match &ops[pc] {
                // A call is followed into the tunnel only: a tunnel in the
                // cycle never returns (a path to its `->->` would leave it).
                Op::Divert { target, span } | Op::Call { target, span, .. } => {
                    diverts.push((*target, *span));
                    continue;
                }
                Op::Choices { .. } | Op::End { .. } | Op::Return { .. } => return false,
                // Followed by `flows_to` below.
                Op::Text { .. }
                | Op::Assign { .. }
                | Op::SetLocal { .. }
                | Op::Assert { .. }
                | Op::JumpUnless { .. }
                | Op::Jump { .. } => {}
            }
            self.stack.extend(ops[pc].flows_to(pc));
        }
        true
    }
}
