//! Writing an exploration report for people and for machines.

use std::fmt::Write as _;

use serde_json::json;

use super::search::{Report, Witness};
use super::witness::{render_numbers, render_witness, replay_command, steps_json};
use crate::graph::{Op, Story};

/// Whether a witness's steps can be read by replaying it: not when the
/// story draws random values and no seed makes the player's draws follow
/// it, since the player would then be offered other choices on the way.
fn replayable(report: &Report, seed: Option<u64>) -> bool {
    !report.bounds.uses_random || seed.is_some()
}

/// A witness as the report shows it (see [`render_witness`]), indented
/// `indent`: every witness in the report, of any kind, goes through here,
/// and through [`witness_steps`] in JSON.
fn witness_block(
    report: &Report,
    story: &Story,
    witness: &Witness,
    seed: Option<u64>,
    story_path: &str,
    indent: usize,
) -> String {
    if replayable(report, seed) {
        return render_witness(story, witness, seed, story_path, indent);
    }
    let why = format!(
        "its random values come up under no seed below {}, so the choices alone may not replay it",
        thousands(super::replay::SEEDS_TRIED)
    );
    render_numbers(witness, seed, story_path, indent, &why)
}

/// A witness's `steps` for JSON: `null` when they cannot be read.
fn witness_steps(
    report: &Report,
    story: &Story,
    witness: &Witness,
    seed: Option<u64>,
) -> serde_json::Value {
    if replayable(report, seed) {
        steps_json(story, witness, seed)
    } else {
        serde_json::Value::Null
    }
}

fn choices(count: usize) -> String {
    format!("{count} choice{}", if count == 1 { "" } else { "s" })
}

fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

pub(super) fn scene_label(story: &Story, scene: crate::graph::SceneId) -> String {
    let found = story.scene(scene);
    match &found.title {
        Some(title) => format!("{} ({title})", found.name),
        None => found.name.clone(),
    }
}

/// The report as text. `story_path` is how the story was named on the
/// command line, for the commands that reproduce a problem.
pub fn human(
    report: &Report,
    story: &Story,
    story_path: &str,
    allow_unreached_endings: bool,
) -> String {
    let mut out = String::new();
    let seconds = report.elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        (report.states as f64 / seconds) as u64
    } else {
        0
    };
    let _ = writeln!(
        out,
        "explored `{}`: {} states, {} transitions, depth {}, in {:.2} s ({} states/s), {:.1} MB of state store",
        story.title,
        thousands(report.states as u64),
        thousands(report.transitions),
        report.depth,
        seconds,
        thousands(rate),
        report.memory as f64 / 1e6
    );
    if report.saturated {
        let mut bounds: Vec<String> = report
            .bounds
            .visits
            .iter()
            .enumerate()
            .filter_map(|(scene, bound)| match bound {
                Some(bound) if *bound > 0 => {
                    Some(format!("visits({}) at {bound}", story.scenes[scene].name))
                }
                _ => None,
            })
            .collect();
        if let Some(turns) = report.bounds.turns.filter(|turns| *turns > 0) {
            bounds.push(format!("turns at {turns}"));
        }
        let _ = writeln!(
            out,
            "abstraction used: counters saturated one above the largest constant they are compared with ({}); every guard keeps its value",
            bounds.join(", ")
        );
    }
    let unbounded = report.bounds.unbounded(story);
    if !unbounded.is_empty() {
        let _ = writeln!(
            out,
            "kept exact (used other than in comparisons with constants): {}",
            unbounded.join(", ")
        );
    }

    out.push_str(&super::findings::untracked_human(report, story));
    out.push_str(&super::findings::externs_human(story));
    let reached = report
        .endings
        .iter()
        .filter(|e| e.witness.is_some())
        .count();
    let _ = writeln!(
        out,
        "\nendings: {reached} of {} reached",
        report.endings.len()
    );
    for ending in &report.endings {
        match &ending.witness {
            Some(witness) => {
                let _ = writeln!(
                    out,
                    "  reached  {}: {} arrivals; shortest ({}):",
                    scene_label(story, ending.scene),
                    thousands(ending.arrivals),
                    choices(witness.len()),
                );
                out.push_str(&witness_block(
                    report,
                    story,
                    witness,
                    ending.seed,
                    story_path,
                    4,
                ));
            }
            None => {
                let _ = writeln!(out, "  NEVER    {}", scene_label(story, ending.scene));
            }
        }
    }

    for (title, soft) in [("soft-locks", true), ("runtime errors", false)] {
        let problems: Vec<_> = report
            .problems
            .iter()
            .filter(|p| p.is_soft_lock() == soft)
            .collect();
        if problems.is_empty() {
            let _ = writeln!(out, "\n{title}: none");
            continue;
        }
        let _ = writeln!(out, "\n{title}: {}", problems.len());
        for problem in problems {
            let _ = writeln!(out, "  {}", problem.error);
            let _ = writeln!(
                out,
                "    hit {} time{}; shortest ({}):",
                thousands(problem.occurrences),
                if problem.occurrences == 1 { "" } else { "s" },
                choices(problem.witness.len()),
            );
            out.push_str(&witness_block(
                report,
                story,
                &problem.witness,
                problem.seed,
                story_path,
                4,
            ));
            if let Some(page) = story
                .scene_by_name(&problem.error.scene)
                .filter(|page| story.scene(*page).is_page)
            {
                let name = &story.scene(page).name;
                let _ = writeln!(out, "    then open the page: type `{name}`");
            }
        }
    }

    let replay = |witness: &[u32], seed: Option<u64>| {
        format!(
            "    shortest way in ({}):\n{}",
            choices(witness.len()),
            witness_block(report, story, &witness.to_vec(), seed, story_path, 4)
        )
    };
    out.push_str(&super::findings::traps_human(report, story, &replay));

    if !report.unreached_scenes.is_empty() || !report.unreached_choices.is_empty() {
        let _ = writeln!(
            out,
            "\nnever reached in any reachable state: {} scenes, {} choices",
            report.unreached_scenes.len(),
            report.unreached_choices.len()
        );
        for scene in &report.unreached_scenes {
            let location = story.locate(story.scene(*scene).span).unwrap_or_default();
            let _ = writeln!(out, "  scene  {} {location}", scene_label(story, *scene));
        }
        for (scene, choice) in &report.unreached_choices {
            let span = story.scene(*scene).ops.iter().find_map(|op| match op {
                Op::Choices { choices, .. } => {
                    choices.iter().find(|c| c.id == *choice).map(|c| c.span)
                }
                _ => None,
            });
            let location = span.and_then(|span| story.locate(span)).unwrap_or_default();
            let text = span
                .and_then(|span| {
                    let file = story.sources.get(span.file);
                    file.text.get(span.range()).map(str::to_string)
                })
                .unwrap_or_default();
            let _ = writeln!(out, "  choice {location}  {}", text.trim());
        }
    }

    out.push_str(&super::findings::growth_human(report, story));

    let verdict = match report.cutoff {
        Some(cutoff) => super::findings::incomplete_verdict(cutoff),
        None if report.proved(allow_unreached_endings) => {
            if reached == report.endings.len() {
                "PROVED: every ending is reachable and no playthrough gets stuck".into()
            } else {
                "PROVED (unreached endings allowed): no playthrough gets stuck".into()
            }
        }
        // Nothing found, but traps were not looked for: not a proof, and
        // not a failure either.
        None if !report.traps_checked
            && report.problems.is_empty()
            && (allow_unreached_endings || report.endings.iter().all(|e| e.witness.is_some())) =>
        {
            "INCOMPLETE: no problem found, but traps were not looked for (--no-traps), so this is not a proof".into()
        }
        None => "FAILED: see above".into(),
    };
    let _ = writeln!(out, "\n{verdict}");
    out
}

/// The report as one JSON object.
pub fn json(
    report: &Report,
    story: &Story,
    story_path: &str,
    allow_unreached_endings: bool,
) -> String {
    let endings: Vec<_> = report
        .endings
        .iter()
        .map(|ending| {
            let scene = story.scene(ending.scene);
            json!({
                "id": scene.name,
                "title": scene.title,
                "reached": ending.witness.is_some(),
                "arrivals": ending.arrivals,
                "witness": ending.witness,
                "steps": ending
                    .witness
                    .as_ref()
                    .map(|witness| witness_steps(report, story, witness, ending.seed)),
                "seed": ending.seed,
            })
        })
        .collect();
    let problems: Vec<_> = report
        .problems
        .iter()
        .map(|problem| {
            json!({
                "kind": if problem.is_soft_lock() { "soft-lock" } else { "runtime-error" },
                "message": problem.error.kind.to_string(),
                "scene": problem.error.scene,
                "location": problem.error.location,
                "occurrences": problem.occurrences,
                "witness": problem.witness,
                "steps": witness_steps(report, story, &problem.witness, problem.seed),
                "seed": problem.seed,
                "reproduce": replay_command(&problem.witness, problem.seed, story_path),
                "reproducible": replayable(report, problem.seed),
            })
        })
        .collect();
    let unreached_scenes: Vec<_> = report
        .unreached_scenes
        .iter()
        .map(|scene| story.scene(*scene).name.clone())
        .collect();
    let unreached_choices: Vec<_> = report
        .unreached_choices
        .iter()
        .map(|(scene, choice)| json!({"scene": story.scene(*scene).name, "choice": choice.0}))
        .collect();
    json!({
        "story": story.title,
        "proved": report.proved(allow_unreached_endings),
        "complete": report.complete(),
        "cutoff": report.cutoff.map(super::findings::cutoff_json),
        "states": report.states,
        "transitions": report.transitions,
        "depth": report.depth,
        "seconds": report.elapsed.as_secs_f64(),
        "memory_bytes": report.memory,
        "abstraction_used": report.saturated,
        "unbounded_counters": report.bounds.unbounded(story),
        "endings": endings,
        "problems": problems,
        "traps_checked": report.traps_checked,
        "traps": super::findings::traps_json(report, story, &|witness, seed| replay_command(witness, seed, story_path), &|witness, seed| witness_steps(report, story, &witness.to_vec(), seed)),
        "growth": super::findings::growth_json(report, story),
        "edges": report.edges,
        "edge_memory_bytes": report.edge_memory,
        "untracked_variables": report.bounds.untracked_vars(story),
        "externs_modelled": super::findings::externs(story).0,
        "externs_without_body": super::findings::externs(story).1,
        "unreached_scenes": unreached_scenes,
        "unreached_choices": unreached_choices,
    })
    .to_string()
}
