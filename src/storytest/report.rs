//! How `fabula test` reports: cargo-test-like text, or one JSON object per
//! line.

use std::fmt::Write as _;

use serde::Serialize;

use crate::explore;
use crate::graph::Story;

use super::coverage::{Summary, summary};
use super::random::{FailureKind, RandomFailure, RandomReport};
use super::run::{TestOutcome, locate};

/// `test "name" ... ok` or `... FAILED`.
pub fn human_test(outcome: &TestOutcome) -> String {
    let verdict = if outcome.failure.is_some() {
        "FAILED"
    } else {
        "ok"
    };
    format!("test {:?} ... {verdict}", outcome.name)
}

/// A failed test's details: the step, expected and actual, the transcript.
pub fn human_failure(outcome: &TestOutcome) -> String {
    let Some(failure) = &outcome.failure else {
        return String::new();
    };
    let mut out = format!("---- {:?} at {} ----\n", outcome.name, outcome.location);
    let _ = writeln!(out, "step:     {} ({})", failure.step, failure.location);
    let _ = writeln!(out, "expected: {}", failure.expected);
    let _ = writeln!(
        out,
        "actual:   {}",
        failure.actual.replace('\n', "\n          ")
    );
    out.push_str("transcript:\n");
    if failure.transcript.is_empty() {
        out.push_str("  (nothing yet)\n");
    }
    for line in &failure.transcript {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// `printf '1\n3\n' | fabula play STORY --seed S`: replays a choice sequence.
pub fn replay_command(story_path: &str, seed: u64, choices: &[u32]) -> String {
    explore::replay_command(choices, Some(seed), story_path)
}

fn failure_description(story: &Story, failure: &RandomFailure) -> String {
    let _ = story;
    match &failure.kind {
        FailureKind::Error(error) => error.to_string(),
        FailureKind::DidNotEnd => format!(
            "did not end: {} choices without reaching an ending",
            super::MAX_TURNS
        ),
    }
}

fn percent(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 * 100.0 / total as f64
    }
}

/// The random-play report: ending histogram, coverage, failures.
pub fn human_random(story: &Story, report: &RandomReport, story_path: &str) -> String {
    let mut out = String::new();
    if report.runs == 0 {
        let _ = writeln!(out, "random play of {story_path}: no playthroughs");
        return out;
    }
    let last = super::playthrough_seed(report.seed, report.runs - 1);
    let _ = writeln!(
        out,
        "random play of {story_path}: {} playthroughs, seeds {}..={last}",
        report.runs, report.seed
    );
    out.push_str("endings:\n");
    let mut rows: Vec<(String, String, u64)> = report
        .endings
        .iter()
        .map(|(scene, count)| {
            let scene = story.scene(*scene);
            (
                scene.name.clone(),
                scene.title.clone().unwrap_or_default(),
                *count,
            )
        })
        .collect();
    if report.failed_runs > 0 {
        rows.push(("(failed)".into(), String::new(), report.failed_runs));
    }
    let name_width = rows
        .iter()
        .map(|row| row.0.chars().count())
        .max()
        .unwrap_or(0);
    let title_width = rows
        .iter()
        .map(|row| row.1.chars().count())
        .max()
        .unwrap_or(0);
    let count_width = rows
        .iter()
        .map(|row| row.2.to_string().len())
        .max()
        .unwrap_or(1);
    for (name, title, count) in &rows {
        let share = percent(*count, report.runs);
        let mut bar = (share * 40.0 / 100.0).round() as usize;
        if *count > 0 {
            bar = bar.max(1);
        }
        let _ = writeln!(
            out,
            "  {name:<name_width$}  {title:<title_width$}  {count:>count_width$}  {share:>5.1}%  {}",
            "█".repeat(bar)
        );
    }
    let Summary {
        scenes,
        choices,
        lines,
    } = summary(story, &report.coverage);
    let _ = writeln!(
        out,
        "coverage: scenes {}/{} ({:.1}%), choices {}/{} ({:.1}%), lines {}/{} ({:.1}%)",
        scenes.reached,
        scenes.total,
        scenes.percent,
        choices.reached,
        choices.total,
        choices.percent,
        lines.reached,
        lines.total,
        lines.percent
    );
    for (label, tally) in [
        ("scenes never reached", &scenes),
        ("choices never taken", &choices),
        ("lines never run", &lines),
    ] {
        if !tally.unreached.is_empty() {
            let _ = writeln!(out, "  {label}:");
            for name in &tally.unreached {
                let _ = writeln!(out, "    {name}");
            }
        }
    }
    if report.failures.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "failures: {} of {} playthroughs failed",
        report.failed_runs, report.runs
    );
    for failure in &report.failures {
        let _ = writeln!(
            out,
            "  {}\n    {} playthrough{}; first: playthrough {} (seed {}) after {} choices",
            failure_description(story, failure),
            failure.occurrences,
            if failure.occurrences == 1 { "" } else { "s" },
            failure.playthrough,
            failure.seed,
            failure.choices.len()
        );
        if let Some(shrunk) = &failure.shrunk {
            let after = match failure.kind {
                FailureKind::Error(_) => String::new(),
                FailureKind::DidNotEnd => format!(
                    ", after which {} random playthroughs of {} more choices each reach no ending either",
                    super::WANDERERS,
                    super::MAX_TURNS
                ),
            };
            let _ = writeln!(
                out,
                "    shrunk to {} choice{}{after}:",
                shrunk.len(),
                if shrunk.len() == 1 { "" } else { "s" },
            );
            out.push_str(&explore::render_witness(
                story,
                shrunk,
                Some(failure.seed),
                story_path,
                4,
            ));
        } else {
            let _ = writeln!(
                out,
                "    reproduce: fabula test {} --random 1 --seed {}",
                explore::shell_quote(story_path),
                failure.seed
            );
        }
    }
    out
}

#[derive(Serialize)]
struct JsonTest<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    story: &'a str,
    name: &'a str,
    location: &'a str,
    outcome: &'static str,
    failure: Option<&'a super::Failure>,
}

/// One test's result as a JSON object.
pub fn json_test(story_path: &str, outcome: &TestOutcome) -> String {
    let line = JsonTest {
        kind: "test",
        story: story_path,
        name: &outcome.name,
        location: &outcome.location,
        outcome: if outcome.failure.is_some() {
            "failed"
        } else {
            "ok"
        },
        failure: outcome.failure.as_ref(),
    };
    serde_json::to_string(&line).expect("a test result serialises")
}

#[derive(Serialize)]
struct JsonEnding {
    id: String,
    title: Option<String>,
    count: u64,
    percent: f64,
}

#[derive(Serialize)]
struct JsonFailure {
    /// `error` (runtime errors and soft-locks) or `did_not_end`.
    kind: &'static str,
    message: String,
    /// `path:line:col` of the error, when known.
    location: Option<String>,
    scene: Option<String>,
    occurrences: u64,
    playthrough: u64,
    seed: u64,
    choices: Vec<u32>,
    shrunk: Option<Vec<u32>>,
    /// The shrunk choices readable: `[{"number", "scene", "choice"}]`.
    steps: serde_json::Value,
    replay: Option<String>,
}

#[derive(Serialize)]
struct JsonRandom<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    story: &'a str,
    runs: u64,
    seed: u64,
    failed_runs: u64,
    endings: Vec<JsonEnding>,
    coverage: Summary,
    failures: Vec<JsonFailure>,
}

/// The random-play report as one JSON object.
pub fn json_random(story: &Story, report: &RandomReport, story_path: &str) -> String {
    let endings = report
        .endings
        .iter()
        .map(|(scene, count)| {
            let found = story.scene(*scene);
            JsonEnding {
                id: found.name.clone(),
                title: found.title.clone(),
                count: *count,
                percent: (percent(*count, report.runs) * 10.0).round() / 10.0,
            }
        })
        .collect();
    let failures = report
        .failures
        .iter()
        .map(|failure| {
            let (kind, location, scene) = match &failure.kind {
                FailureKind::Error(error) => (
                    "error",
                    error
                        .span
                        .map(|span| locate(story, span))
                        .or(error.location.clone()),
                    Some(error.scene.clone()),
                ),
                FailureKind::DidNotEnd => ("did_not_end", None, None),
            };
            let message = match &failure.kind {
                FailureKind::Error(error) => error.kind.to_string(),
                FailureKind::DidNotEnd => failure_description(story, failure),
            };
            JsonFailure {
                kind,
                message,
                location,
                scene,
                occurrences: failure.occurrences,
                playthrough: failure.playthrough,
                seed: failure.seed,
                choices: failure.choices.clone(),
                replay: failure
                    .shrunk
                    .as_ref()
                    .map(|shrunk| replay_command(story_path, failure.seed, shrunk)),
                steps: failure
                    .shrunk
                    .as_ref()
                    .map_or(serde_json::Value::Null, |shrunk| {
                        explore::steps_json(story, shrunk, Some(failure.seed))
                    }),
                shrunk: failure.shrunk.clone(),
            }
        })
        .collect();
    let line = JsonRandom {
        kind: "random",
        story: story_path,
        runs: report.runs,
        seed: report.seed,
        failed_runs: report.failed_runs,
        endings,
        coverage: summary(story, &report.coverage),
        failures,
    };
    serde_json::to_string(&line).expect("a random-play report serialises")
}

#[derive(Serialize)]
struct JsonSummary {
    #[serde(rename = "type")]
    kind: &'static str,
    passed: usize,
    failed: usize,
    playthroughs: u64,
    failed_playthroughs: u64,
}

/// The last line of `--format json`.
pub fn json_summary(
    passed: usize,
    failed: usize,
    playthroughs: u64,
    failed_playthroughs: u64,
) -> String {
    serde_json::to_string(&JsonSummary {
        kind: "summary",
        passed,
        failed,
        playthroughs,
        failed_playthroughs,
    })
    .expect("a summary serialises")
}
