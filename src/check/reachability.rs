//! Scenes that no path from the start reaches, endings no divert targets,
//! and stories with no ending at all.

use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{SceneId, Story};

pub fn check(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
    if story.endings().next().is_none() {
        // A warning, not an error: a story may be written scene by scene,
        // its endings last; but no playthrough of it can finish.
        diagnostics.push(
            Diagnostic::new(
                Code::W0007,
                story.scene(story.start).span,
                "the story has no ending: no playthrough can finish",
            )
            .with_help(
                "declare an ending with `== ending name: Title` and divert to it with `-> ending name`",
            ),
        );
    }
    let count = story.scenes.len();
    let mut targeted = vec![false; count];
    // Each scene's successors, `targets[starts[scene]..starts[scene + 1]]`
    // (two lists for the story, not one per scene): the edges come scene
    // by scene, in order.
    let mut starts = Vec::with_capacity(count + 1);
    let mut targets = Vec::new();
    let mut edges = story.edges().peekable();
    starts.push(0);
    for index in 0..count {
        while let Some(edge) = edges.next_if(|edge| edge.from.index() == index) {
            targeted[edge.to.index()] = true;
            targets.push(edge.to);
        }
        starts.push(targets.len());
    }
    let mut reached = vec![false; count];
    let mut stack = vec![story.start];
    reached[story.start.index()] = true;
    while let Some(scene) = stack.pop() {
        for &next in &targets[starts[scene.index()]..starts[scene.index() + 1]] {
            if !reached[next.index()] {
                reached[next.index()] = true;
                stack.push(next);
            }
        }
    }
    for (index, scene) in story.scenes.iter().enumerate() {
        if scene.is_ending && !targeted[index] && SceneId(index as u32) != story.start {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0305,
                    scene.span,
                    format!(
                        "ending `{}` is never reached: no divert leads to it",
                        scene.name
                    ),
                )
                .with_help(format!(
                    "divert to it with `-> ending {}`, or remove it",
                    scene.name
                )),
            );
        } else if !reached[index] && !scene.is_page {
            // A page is opened by the player, never diverted to.
            diagnostics.push(
                Diagnostic::new(
                    Code::E0304,
                    scene.span,
                    format!("scene `{}` is unreachable from the start", scene.name),
                )
                .with_help(format!(
                    "no chain of diverts from `{}` leads here; divert to it or remove it",
                    story.scene(story.start).name
                )),
            );
        }
    }
}
