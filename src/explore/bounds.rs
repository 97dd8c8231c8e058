//! The abstraction that makes exploration finite: counters that only ever
//! meet constants in comparisons are saturated one above the largest such
//! constant, which preserves the value of every guard and condition.

use crate::graph::{BinaryOp, Expr, Instr, Op, Part, SceneId, Story};

/// How far each counter matters. `None` means the counter is used in a way
/// the abstraction cannot bound (arithmetic, text, a comparison with a
/// variable), so it is kept exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    /// Per scene: saturate `visits(scene)` at this value.
    pub visits: Vec<Option<u32>>,
    /// Saturate `turns` at this value.
    pub turns: Option<u32>,
    /// Whether the story calls `random()` anywhere.
    pub uses_random: bool,
}

#[derive(Clone, Copy)]
enum Counter {
    Visits(SceneId),
    Turns,
}

/// Bounds for every counter of a story.
pub fn bounds(story: &Story) -> Bounds {
    let mut bounds = Bounds {
        visits: vec![Some(0); story.scenes.len()],
        turns: Some(0),
        uses_random: false,
    };
    for expr in expressions(story) {
        scan(story.code(expr), &mut bounds);
    }
    bounds
}

impl Bounds {
    /// Counters that could not be bounded, by description.
    pub fn unbounded(&self, story: &Story) -> Vec<String> {
        let mut found: Vec<String> = self
            .visits
            .iter()
            .enumerate()
            .filter(|(_, bound)| bound.is_none())
            .map(|(index, _)| format!("visits({})", story.scenes[index].name))
            .collect();
        if self.turns.is_none() {
            found.push("turns".into());
        }
        found
    }
}

fn scan(code: &[Instr], bounds: &mut Bounds) {
    for (index, instr) in code.iter().enumerate() {
        let counter = match instr {
            Instr::Visits(scene) => Counter::Visits(*scene),
            Instr::Turns => Counter::Turns,
            Instr::Random => {
                bounds.uses_random = true;
                continue;
            }
            _ => continue,
        };
        // Postfix: `counter const cmp` or `const counter cmp`.
        let compared = match (
            index.checked_sub(1).map(|i| &code[i]),
            code.get(index + 1),
            code.get(index + 2),
        ) {
            (_, Some(Instr::Int(constant)), Some(Instr::Binary(op))) if is_comparison(*op) => {
                Some(*constant)
            }
            (Some(Instr::Int(constant)), Some(Instr::Binary(op)), _) if is_comparison(*op) => {
                Some(*constant)
            }
            _ => None,
        };
        let slot = match counter {
            Counter::Visits(scene) => bounds.visits.get_mut(scene.index()),
            Counter::Turns => Some(&mut bounds.turns),
        };
        let Some(slot) = slot else { continue };
        *slot = match (*slot, compared) {
            (Some(current), Some(constant)) => {
                let needed = constant.saturating_add(1).clamp(0, i64::from(u32::MAX)) as u32;
                Some(current.max(needed))
            }
            _ => None,
        };
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
    )
}

/// Every expression in the story's scenes.
fn expressions(story: &Story) -> Vec<&Expr> {
    fn parts<'s>(text: &'s [Part], found: &mut Vec<&'s Expr>) {
        for part in text {
            match part {
                Part::Literal(_) => {}
                Part::Value(expr) => found.push(expr),
                Part::Conditional(conditional) => {
                    found.push(&conditional.condition);
                    parts(&conditional.then, found);
                    parts(&conditional.otherwise, found);
                }
                Part::Alternatives(alternatives) => {
                    for option in &alternatives.options {
                        parts(option, found);
                    }
                }
            }
        }
    }
    let mut found: Vec<&Expr> = story.invariants.iter().map(|i| &i.condition).collect();
    for scene in &story.scenes {
        for op in &scene.ops {
            match op {
                Op::Text { text, .. } => parts(text, &mut found),
                Op::Assign { value, .. } => found.push(value),
                Op::JumpUnless { condition, .. } | Op::Assert { condition, .. } => {
                    found.push(condition)
                }
                Op::Choices { choices, .. } => {
                    for choice in choices {
                        found.extend(choice.guard.conditions());
                        if let Some(text) = &choice.text {
                            parts(text, &mut found);
                        }
                    }
                }
                Op::Jump { .. } | Op::Divert { .. } | Op::End { .. } => {}
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(text: &str) -> Story {
        let mut read = |_: &std::path::Path| Ok(text.as_bytes().to_vec());
        crate::graph::compile(std::path::Path::new("s.fab"), &mut read)
            .unwrap()
            .story
            .expect("compiles")
    }

    #[test]
    fn counters_compared_with_constants_are_bounded() {
        let story = story(
            "title: T\n== hub\n{visits(hub) > 3: Again.|First.}\n+ {turns < 10} Wait -> hub\n* {2 <= visits(other)} Leave -> other\n* -> other\n== other\n{visits(other)}\n-> ending end\n== ending end\nDone.\n",
        );
        let found = bounds(&story);
        assert_eq!(found.visits[0], Some(4));
        assert_eq!(found.visits[1], None, "interpolated, so unbounded");
        assert_eq!(found.visits[2], Some(0), "never read");
        assert_eq!(found.turns, Some(11));
        assert!(!found.uses_random);
    }
}
