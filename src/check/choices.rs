//! Choice blocks where every choice is guarded and none is a fallback: when
//! all the guards are false the player is stuck.

use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{Guard, Op, Story};

pub fn check(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
    for scene in &story.scenes {
        for op in &scene.ops {
            let Op::Choices { choices, span } = op else {
                continue;
            };
            let has_fallback = choices.iter().any(|choice| choice.is_fallback());
            let all_guarded = choices
                .iter()
                .all(|choice| !matches!(choice.guard, Guard::Always));
            if all_guarded && !has_fallback && !choices.is_empty() {
                diagnostics.push(
                    Diagnostic::new(
                        Code::W0001,
                        *span,
                        "every choice here is guarded and there is no fallback",
                    )
                    .with_help("if every guard can be false at once the player is stuck: add an unguarded choice or a fallback `* -> scene`, or run `fabula explore` to prove they cannot"),
                );
            }
        }
    }
}
