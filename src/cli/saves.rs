//! `fabula check --saves DIR STORY`: whether each save in a folder loads in
//! this version of the story, and what loading it would drop, so a writer
//! can ship a patch knowing whose saves it breaks (docs/SAVES.md, docs/CI.md).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use fabula::render::{escape_data, escape_property};
use fabula::runtime::Session;
use fabula::runtime::savefile::SaveError;
use fabula::slots::Slots;

use super::{Format, compile_or_report, entry_of, write_err, write_out};

/// What became of one save.
enum Outcome {
    /// Loads with nothing lost.
    Intact,
    /// Loads, dropping these (one line each).
    Lossy(Vec<String>),
    /// Does not load, for this reason.
    Refused(String),
}

impl Outcome {
    fn name(&self) -> &'static str {
        match self {
            Outcome::Intact => "intact",
            Outcome::Lossy(_) => "lossy",
            Outcome::Refused(_) => "refused",
        }
    }
}

/// Checks every save (`*.ron` slot) in `dir` against the story; 0 when
/// all load intact, 1 when any loses something or does not load.
pub fn check_saves(dir: &Path, paths: &[std::path::PathBuf], format: Format) -> Result<u8> {
    let [story_path] = paths else {
        bail!("`--saves DIR` checks saves against one story: give its entry file");
    };
    let metadata =
        std::fs::metadata(dir).with_context(|| format!("cannot read `{}`", dir.display()))?;
    if !metadata.is_dir() {
        bail!("`{}` is not a folder of saves", dir.display());
    }
    let Some(story) = compile_or_report(&entry_of(story_path)?)? else {
        return Ok(1);
    };
    let story = Arc::new(story);
    let slots = Slots::in_dir(dir);
    let mut listed = slots
        .list()
        .with_context(|| format!("cannot read `{}`", dir.display()))?;
    // By name, so the report is the same on every run.
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    let (mut intact, mut lossy, mut refused) = (0, 0, 0);
    for slot in &listed {
        let (outcome, notes) = match slots.read(&slot.name) {
            Err(error) => (Outcome::Refused(error.to_string()), Vec::new()),
            Ok(text) => match Session::load_reporting(Arc::clone(&story), &text) {
                Err(error) => (Outcome::Refused(refusal(&error)), Vec::new()),
                Ok((_, report)) if report.losses.is_empty() => (Outcome::Intact, report.notes),
                Ok((_, report)) => (Outcome::Lossy(report.losses), report.notes),
            },
        };
        match outcome {
            Outcome::Intact => intact += 1,
            Outcome::Lossy(_) => lossy += 1,
            Outcome::Refused(_) => refused += 1,
        }
        let file = slot.path.display().to_string();
        write_out(&render(format, &file, &outcome, &notes))?;
    }
    let total = listed.len();
    match format {
        Format::Json => write_out(&format!(
            "{}\n",
            serde_json::json!({
                "type": "summary",
                "saves": total,
                "intact": intact,
                "lossy": lossy,
                "refused": refused,
            })
        ))?,
        Format::Human | Format::Github => {
            let plural = if total == 1 { "" } else { "s" };
            write_err(&format!(
                "checked {total} save{plural} against `{}`: {intact} load intact, {lossy} lose something, {refused} do not load\n",
                story.title
            ))?;
        }
    }
    Ok(if lossy + refused > 0 { 1 } else { 0 })
}

/// Why a save does not load, never quoting it: a slot may be anything (a
/// link to a secret), and the parser's message names what it found; a
/// save of another story is named by this story's title only.
fn refusal(error: &SaveError) -> String {
    match error {
        SaveError::Corrupt { line, column, .. } => {
            format!("it is not a valid save (line {line}, column {column})")
        }
        SaveError::ForeignStory { expected, .. } => {
            format!("the save is from another story, not `{expected}`")
        }
        other => other.to_string(),
    }
}

/// One save's report in the chosen format.
fn render(format: Format, file: &str, outcome: &Outcome, notes: &[String]) -> String {
    let safe = fabula::render::terminal_safe;
    match format {
        Format::Json => {
            let (losses, error) = match outcome {
                Outcome::Lossy(losses) => (losses.clone(), None),
                Outcome::Refused(error) => (Vec::new(), Some(error.clone())),
                Outcome::Intact => (Vec::new(), None),
            };
            format!(
                "{}\n",
                serde_json::json!({
                    "type": "save",
                    "file": file,
                    "outcome": outcome.name(),
                    "losses": losses,
                    "notes": notes,
                    "error": error,
                })
            )
        }
        Format::Github => match outcome {
            Outcome::Intact => String::new(),
            Outcome::Lossy(losses) => format!(
                "::warning file={}::this save loses something: {}\n",
                escape_property(&safe(file)),
                escape_data(&safe(&losses.join("; ")))
            ),
            Outcome::Refused(error) => format!(
                "::error file={}::this save does not load: {}\n",
                escape_property(&safe(file)),
                escape_data(&safe(error))
            ),
        },
        Format::Human => match outcome {
            Outcome::Intact => format!("{}: loads intact\n", safe(file)),
            Outcome::Lossy(losses) => {
                let mut out = format!("{}: loads, but loses:\n", safe(file));
                for loss in losses {
                    out.push_str(&format!("  - {}\n", safe(loss)));
                }
                out
            }
            Outcome::Refused(error) => format!("{}: does not load: {}\n", safe(file), safe(error)),
        },
    }
}
