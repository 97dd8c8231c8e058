//! Returns with nothing to return to: a scene whose `->->` its first line
//! leads to, entered by a plain divert (which abandons any calls) or as
//! the story's start, is certain to fail there (`E0313`); and a start
//! scene with parameters has no call to give them values (`E0107`).

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::{Op, Scene, Story};

pub fn check(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
    let returns: Vec<Option<Span>> = story.scenes.iter().map(first_return).collect();
    let mut reported = vec![false; story.scenes.len()];
    let start = story.scene(story.start);
    if let Some(span) = returns[story.start.index()] {
        reported[story.start.index()] = true;
        diagnostics.push(
            Diagnostic::new(
                Code::E0313,
                span,
                format!(
                    "`->->` in `{}`, where the story starts: there is no call to return to",
                    start.name
                ),
            )
            .with_label(start.span, "the story starts here")
            .with_help("start the story in a scene that calls this one as a tunnel, `-> name ->`, or divert on instead of returning"),
        );
    }
    if start.params > 0 {
        diagnostics.push(
            Diagnostic::new(
                Code::E0107,
                start.span,
                format!(
                    "the story starts in `{}`, which takes {} argument{}, but no call gives them",
                    start.name,
                    start.params,
                    if start.params == 1 { "" } else { "s" }
                ),
            )
            .with_help("start in a scene without parameters that calls this one: `-> name(…) ->`"),
        );
    }
    for scene in &story.scenes {
        for op in &scene.ops {
            let Op::Divert { target, span } = op else {
                continue;
            };
            let Some(returned) = returns.get(target.index()).copied().flatten() else {
                continue;
            };
            if std::mem::replace(&mut reported[target.index()], true) {
                continue;
            }
            let name = &story.scene(*target).name;
            diagnostics.push(
                Diagnostic::new(
                    Code::E0313,
                    returned,
                    format!("`->->` in `{name}`, which a plain divert enters: there is no call to return to"),
                )
                .with_label(*span, "a divert abandons the calls under way")
                .with_help(format!(
                    "call the scene as a tunnel, `-> {name} ->`, so that `->->` comes back after the call"
                )),
            );
        }
    }
}

/// The first `->->` a scene's first line leads to, through its lines,
/// conditions, calls (which come back) and every choice.
fn first_return(scene: &Scene) -> Option<Span> {
    let ops = &scene.ops;
    // Most scenes return nowhere: no walk, and nothing allocated, for them.
    if !ops.iter().any(|op| matches!(op, Op::Return { .. })) {
        return None;
    }
    let mut seen = vec![false; ops.len()];
    let mut stack = vec![0usize];
    let mut found: Option<Span> = None;
    while let Some(pc) = stack.pop() {
        let Some(op) = ops.get(pc) else { continue };
        if std::mem::replace(&mut seen[pc], true) {
            continue;
        }
        match op {
            Op::Return { span } => {
                found = Some(found.map_or(*span, |first: Span| {
                    if span.start < first.start {
                        *span
                    } else {
                        first
                    }
                }));
            }
            Op::Choices { choices, .. } => {
                stack.extend(choices.iter().map(|choice| choice.target as usize));
            }
            _ => stack.extend(op.flows_to(pc)),
        }
    }
    found
}
