//! The parts of an exploration report about traps and about a search that
//! stopped early: what is in a trap, and what kept growing.

use std::fmt::Write as _;

use serde_json::{Value as Json, json};

use super::report::scene_label;
use super::search::{Cutoff, Report};
use crate::graph::{Op, Story};

/// A choice's source line, trimmed, with its location.
fn choice_line(story: &Story, id: crate::graph::ChoiceId) -> Option<(String, String)> {
    story.scenes.iter().find_map(|scene| {
        scene.ops.iter().find_map(|op| match op {
            Op::Choices { choices, .. } => choices.iter().find(|c| c.id == id).map(|choice| {
                let file = story.sources.get(choice.span.file);
                let text = file
                    .text
                    .get(choice.span.range())
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                (story.locate(choice.span).unwrap_or_default(), text)
            }),
            _ => None,
        })
    })
}

/// The traps section of the human report. `witness` renders a witness
/// (its choices and the command that replays it) at an indent.
pub fn traps_human(
    report: &Report,
    story: &Story,
    witness: &dyn Fn(&[u32], Option<u64>) -> String,
) -> String {
    let mut out = String::new();
    if !report.traps_checked {
        let _ = writeln!(out, "\ntraps: not looked for");
        return out;
    }
    if report.traps.is_empty() {
        let _ = writeln!(out, "\ntraps: none");
        return out;
    }
    let _ = writeln!(
        out,
        "\ntraps: {} (states from which no ending can be reached any more, though choices remain)",
        report.traps.len()
    );
    for trap in &report.traps {
        let location = story.locate(trap.span).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {location}: trap entered in scene `{}`: no ending can be reached from here ({} state{})",
            story.scene(trap.scene).name,
            trap.states,
            if trap.states == 1 { "" } else { "s" }
        );
        let _ = write!(out, "{}", witness(&trap.witness, trap.seed));
        let scenes: Vec<String> = trap.scenes.iter().map(|s| scene_label(story, *s)).collect();
        let _ = writeln!(out, "    still reachable inside: {}", scenes.join(", "));
        for choice in &trap.choices {
            if let Some((location, text)) = choice_line(story, *choice) {
                let _ = writeln!(out, "      {location}  {text}");
            }
        }
    }
    out
}

/// JSON for the traps.
pub fn traps_json(
    report: &Report,
    story: &Story,
    replay: &dyn Fn(&[u32], Option<u64>) -> String,
    steps: &dyn Fn(&[u32], Option<u64>) -> Json,
) -> Json {
    let traps: Vec<Json> = report
        .traps
        .iter()
        .map(|trap| {
            json!({
                "kind": "trap",
                "scene": story.scene(trap.scene).name,
                "location": story.locate(trap.span),
                "states": trap.states,
                "witness": trap.witness,
                "steps": steps(&trap.witness, trap.seed),
                "seed": trap.seed,
                "reproduce": replay(&trap.witness, trap.seed),
                "reproducible": !report.bounds.uses_random || trap.seed.is_some(),
                "scenes_inside": trap.scenes.iter().map(|s| story.scene(*s).name.clone()).collect::<Vec<_>>(),
                "choices_inside": trap.choices.iter().filter_map(|c| choice_line(story, *c)).map(|(location, text)| json!({"location": location, "text": text})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json::Array(traps)
}

/// For a search that stopped early: what kept growing, with where.
pub fn growth_human(report: &Report, story: &Story) -> String {
    let mut out = String::new();
    if report.growth.is_empty() || report.complete() {
        return out;
    }
    let growing = report
        .growth
        .iter()
        .any(|g| g.increased.len() + g.read.len() > 0);
    let _ = writeln!(
        out,
        "\nwhy the search is large: {}",
        if growing {
            "these values kept changing in the last level searched"
        } else {
            "no single value stands out"
        }
    );
    for growth in &report.growth {
        let _ = writeln!(
            out,
            "  {}: up to {} ({} values in the last level searched)",
            growth.what, growth.largest, growth.distinct
        );
        for span in &growth.increased {
            if let Some(location) = story.locate(*span) {
                let _ = writeln!(out, "    changed at {location}");
            }
        }
        for span in &growth.read {
            if let Some(location) = story.locate(*span) {
                let _ = writeln!(out, "    read at {location}");
            }
        }
    }
    out
}

/// JSON for what kept growing.
pub fn growth_json(report: &Report, story: &Story) -> Json {
    Json::Array(
        report
            .growth
            .iter()
            .map(|growth| {
                json!({
                    "what": growth.what,
                    "largest": growth.largest,
                    "distinct": growth.distinct,
                    "changed_at": growth.increased.iter().filter_map(|s| story.locate(*s)).collect::<Vec<_>>(),
                    "read_at": growth.read.iter().filter_map(|s| story.locate(*s)).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The verdict line for a search that stopped early.
pub fn incomplete_verdict(cutoff: Cutoff) -> String {
    match cutoff {
        Cutoff::MaxStates(limit) => format!(
            "INCOMPLETE: stopped at --max-states {limit}; nothing is proved (raise the limit, or see above for what keeps the state space large)"
        ),
        Cutoff::MaxDepth(depth) => format!(
            "INCOMPLETE: stopped at --max-depth {depth}; nothing is proved (raise the limit)"
        ),
        Cutoff::MaxMemory(bytes) => format!(
            "INCOMPLETE: stopped at --max-memory {} MB; nothing is proved (raise the limit, or see above for what keeps the state space large)",
            bytes / 1_000_000
        ),
        Cutoff::Interrupted => {
            "INCOMPLETE: interrupted; nothing is proved (the findings above are what was found so far)".into()
        }
        Cutoff::Random => "INCOMPLETE: a random() range had more than 4,096 values, or one choice more than 65,536 combinations of random values, so not every value was branched over; nothing is proved".into(),
    }
}

/// JSON for a cutoff.
pub fn cutoff_json(cutoff: Cutoff) -> Json {
    match cutoff {
        Cutoff::MaxStates(limit) => json!({"max_states": limit}),
        Cutoff::MaxDepth(limit) => json!({"max_depth": limit}),
        Cutoff::MaxMemory(limit) => json!({"max_memory": limit}),
        Cutoff::Interrupted => json!({"interrupted": true}),
        Cutoff::Random => json!({"random": true}),
    }
}

/// The line that says which values the proof leaves out of the state,
/// because nothing but text reads them.
/// The story's `extern fn`s: those with a default body, which the
/// explorer ran in place of whatever a host binds, and those without one,
/// whose calls it reports as runtime errors.
pub fn externs(story: &Story) -> (Vec<&str>, Vec<&str>) {
    let externs = story.functions.iter().filter(|function| function.is_extern);
    let (modelled, unbound): (Vec<_>, Vec<_>) =
        externs.partition(|function| function.code.is_some());
    (names(modelled), names(unbound))
}

fn names(list: Vec<&crate::graph::Function>) -> Vec<&str> {
    list.into_iter()
        .map(|function| function.name.as_str())
        .collect()
}

/// What the human report says of the story's externs, if it has any.
pub fn externs_human(story: &Story) -> String {
    let (modelled, unbound) = externs(story);
    let mut out = String::new();
    if !modelled.is_empty() {
        let _ = writeln!(
            out,
            "extern functions modelled by their default bodies (what a host binds instead is not proved): {}",
            modelled.join(", ")
        );
    }
    if !unbound.is_empty() {
        let _ = writeln!(
            out,
            "extern functions without a default body (a call on an explored path is a runtime error): {}",
            unbound.join(", ")
        );
    }
    out
}

pub fn untracked_human(report: &Report, story: &Story) -> String {
    let untracked = report.bounds.untracked_vars(story);
    if untracked.is_empty() {
        return String::new();
    }
    let mut line = format!(
        "not part of the state (only shown, never deciding anything): {}",
        untracked.join(", ")
    );
    if !report.bounds.accumulators.is_empty() {
        let names: Vec<&str> = report
            .bounds
            .accumulators
            .iter()
            .map(|var| story.vars[var.index()].name.as_str())
            .collect();
        let _ = write!(
            line,
            "; {} only moved by constants, which cannot overflow within {} choices",
            names.join(", "),
            super::bounds::PLAYTHROUGH_CHOICES
        );
    }
    line.push('\n');
    line
}
