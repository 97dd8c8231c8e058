//! A condition shown as text: the last branch of an inline conditional has
//! no condition of its own (`{a: x|b: y|otherwise}`), so a writer who ends
//! a chain with one more condition — `{a: x|b: y}` meaning "nothing when
//! neither" — has the player read `b: y`, condition and all. The bundled
//! story shipped one for a session (`visits(stalin_envelope) > 0: Lenin's
//! letter has been opened…` on its status page).
//!
//! A last branch is reported only when what comes before its first `:`
//! parses as a whole expression whose every name is the story's — a
//! variable, an enum value, a story function or a built-in — and whose
//! top is a condition (a comparison, `in`, `not`, `and`, `or`, `taken()`,
//! or a bool variable): "Note: the door is locked" and "Zinoviev and
//! Kamenev: together again" stay prose, since `Note` and `Zinoviev` name
//! nothing.

use crate::ast::{BinaryOp, ExprKind, UnaryOp};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::{Op, Part, Scene, Story, Type};

pub fn check(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
    let before = diagnostics.len();
    find(story, &story.scenes, diagnostics);
    withdraw(story, diagnostics, before);
}

/// The warnings of `scenes`, a run of the story's, in order: the half of
/// the pass that two threads can share (see `check::graph_passes`).
pub fn find(story: &Story, scenes: &[Scene], diagnostics: &mut Vec<Diagnostic>) {
    for scene in scenes {
        for op in &scene.ops {
            match op {
                Op::Text { text, .. } => parts(story, text, diagnostics),
                Op::Choices { choices, .. } => {
                    for choice in choices.iter() {
                        if let Some(text) = &choice.text {
                            parts(story, text, diagnostics);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// One mistake, one report: a variable named only in a condition shown as
/// text is "never read" because of it, so its W0002 goes. The warnings
/// [`find`] gave are `diagnostics[before..]`.
pub fn withdraw(story: &Story, diagnostics: &mut Vec<Diagnostic>, before: usize) {
    let found: Vec<Span> = diagnostics[before..]
        .iter()
        .flat_map(|warning| named_vars(story, warning))
        .collect();
    diagnostics
        .retain(|diagnostic| !(diagnostic.code == Code::W0002 && found.contains(&diagnostic.span)));
}

/// The declarations of the variables a W0010 names.
fn named_vars(story: &Story, warning: &Diagnostic) -> Vec<Span> {
    if warning.span.file.0 as usize >= story.sources.len() {
        return Vec::new();
    }
    let source = &story.sources.get(warning.span.file).text;
    let Some(written) = source.get(warning.span.start as usize..warning.span.end as usize) else {
        return Vec::new();
    };
    story
        .vars
        .iter()
        .filter(|var| {
            written
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == var.name)
        })
        .map(|var| var.span)
        .collect()
}

fn parts(story: &Story, text: &[Part], diagnostics: &mut Vec<Diagnostic>) {
    for part in text {
        match part {
            Part::Literal(_) | Part::Value(_) => {}
            Part::Conditional(conditional) => {
                if let Some(Part::Literal(literal)) = conditional.otherwise.first()
                    && let Some(diagnostic) =
                        suspect(story, conditional.condition.span, story.text(*literal))
                {
                    diagnostics.push(diagnostic);
                }
                parts(story, &conditional.then, diagnostics);
                parts(story, &conditional.otherwise, diagnostics);
            }
            Part::Alternatives(alternatives) => {
                for option in alternatives.options.iter() {
                    parts(story, option, diagnostics);
                }
            }
        }
    }
}

/// The warning for an otherwise-text `shown` that starts with a condition
/// of the story's, after the branch whose condition is at `before`.
fn suspect(story: &Story, before: Span, shown: &str) -> Option<Diagnostic> {
    let colon = shown.find(':')?;
    let written = shown[..colon].trim();
    if written.is_empty() || written.contains('\n') {
        return None;
    }
    // Where the branch is written: after the condition before it, on its
    // line, behind a `|`. Found in the source so the parsed names carry
    // their real columns; a text with escapes in it is not found, and not
    // reported — nor is one whose colon is escaped.
    if before.file.0 as usize >= story.sources.len() {
        return None;
    }
    let source = &story.sources.get(before.file).text;
    let from = before.end as usize;
    let rest = source.get(from..)?;
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let mut offset = None;
    for (bar, _) in line.match_indices('|') {
        let after = &line[bar + 1..];
        let skipped = after.len() - after.trim_start().len();
        // Written with its colon bare: `\:` is how prose escapes it.
        if let Some(tail) = after.trim_start().strip_prefix(written)
            && tail.trim_start().starts_with(':')
        {
            offset = Some(from + bar + 1 + skipped);
        }
    }
    let start = offset?;
    let expr = crate::syntax::expression_str(written, before.file, start)?;
    if !condition_like(story, &expr) || !names_known(story, &expr) {
        return None;
    }
    let span = Span::new(before.file, start, start + written.len());
    Some(
        Diagnostic::new(
            Code::W0010,
            span,
            format!("the player will read `{written}:` as text"),
        )
        .with_help(format!(
            "only the last branch of `{{a: x|b: y|otherwise}}` has no condition, so this one is shown whenever the others are false, condition and all; to show nothing then, end the markup with `|`: `|{written}: …|}}`"
        )),
    )
}

/// Whether the expression's top is a condition.
fn condition_like(story: &Story, expr: &crate::ast::Expr) -> bool {
    match &expr.kind {
        // Comparisons, `in`, `and` and `or`: the operators that bind no
        // tighter than a comparison.
        ExprKind::Binary(op, _, _) => op.precedence() <= BinaryOp::Eq.precedence(),
        ExprKind::Unary(UnaryOp::Not, _) => true,
        ExprKind::Call { function, .. } => {
            function.name == "taken"
                || story
                    .function_by_name(&function.name)
                    .is_some_and(|id| story.functions[id.index()].returns == Type::Bool)
        }
        ExprKind::Name(name) => story
            .var_by_name(name)
            .is_some_and(|id| story.vars[id.index()].ty == Type::Bool),
        _ => false,
    }
}

/// Whether every name in the expression is one of the story's.
fn names_known(story: &Story, expr: &crate::ast::Expr) -> bool {
    let all = |args: &[crate::ast::Expr]| args.iter().all(|arg| names_known(story, arg));
    match &expr.kind {
        ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Str(_) | ExprKind::Turns => true,
        ExprKind::Set(elements) => all(elements),
        ExprKind::Name(name) => {
            story.var_by_name(name).is_some()
                || story
                    .enums
                    .iter()
                    .any(|e| e.variants.iter().any(|variant| variant == name))
        }
        ExprKind::Call { function, args } => match function.name.as_str() {
            // A label: `taken(go)`, `taken(scene.go)`.
            "taken" => true,
            "visits" => args.first().is_some_and(|arg| {
                matches!(&arg.kind, ExprKind::Name(scene) if story.scene_by_name(scene).is_some())
            }),
            "count" | "min" | "max" | "random" => all(args),
            name => story.function_by_name(name).is_some() && all(args),
        },
        ExprKind::Unary(_, operand) => names_known(story, operand),
        ExprKind::Binary(_, left, right) => names_known(story, left) && names_known(story, right),
    }
}
