//! What a story's runs reached: scenes entered, choices taken and lines
//! run, summarised as percentages and written as lcov for genhtml.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::diagnostic::Span;
use crate::graph::{ChoiceId, Op, SceneId, Story, Tag};
use crate::runtime::Output;

/// Hit counts gathered while playing one story.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Entries per scene, indexed by [`SceneId`].
    pub scenes: Vec<u64>,
    /// Takes per choice, indexed by [`ChoiceId`] (fallbacks included).
    pub choices: Vec<u64>,
    /// Runs per line, keyed by the span the runtime reports through
    /// [`Output::executed`] (and the spans of the choices taken).
    pub spans: HashMap<Span, u64>,
    /// Calls per function, indexed by [`crate::graph::FnId`] (see
    /// `Machine::count_calls`).
    pub functions: Vec<u64>,
}

impl Coverage {
    /// No hits yet, sized for `story`'s scenes, choices and functions.
    pub fn new(story: &Story) -> Coverage {
        Coverage {
            scenes: vec![0; story.scenes.len()],
            choices: vec![0; story.choice_count as usize],
            spans: HashMap::new(),
            functions: vec![0; story.functions.len()],
        }
    }

    /// A scene was entered.
    pub fn enter(&mut self, scene: SceneId) {
        if let Some(count) = self.scenes.get_mut(scene.index()) {
            *count += 1;
        }
    }

    /// A choice was taken (by the player, or automatically as a fallback).
    pub fn take(&mut self, id: ChoiceId, span: Span) {
        if let Some(count) = self.choices.get_mut(id.index()) {
            *count += 1;
        }
        *self.spans.entry(span).or_default() += 1;
    }

    /// Adds another run's hits of the same story.
    pub fn merge(&mut self, other: &Coverage) {
        for (mine, theirs) in self.scenes.iter_mut().zip(&other.scenes) {
            *mine += theirs;
        }
        for (mine, theirs) in self.choices.iter_mut().zip(&other.choices) {
            *mine += theirs;
        }
        for (span, hits) in &other.spans {
            *self.spans.entry(*span).or_default() += hits;
        }
        for (mine, theirs) in self.functions.iter_mut().zip(&other.functions) {
            *mine += theirs;
        }
    }
}

/// An [`Output`] that counts what ran into a [`Coverage`] and, when asked,
/// keeps the paragraphs.
#[derive(Debug)]
pub struct Recorder<'a> {
    pub coverage: &'a mut Coverage,
    /// Paragraphs emitted, when text is wanted.
    pub text: Option<&'a mut Vec<String>>,
    /// When text is wanted: the paragraphs' tags, as written (`key: value`),
    /// and the scenes entered, whose tags the caller looks up.
    pub tags: Vec<String>,
    pub entered: Vec<SceneId>,
    /// Fallback choices by span, so one taken automatically counts as a
    /// choice taken (the runtime reports it only as a line that ran).
    fallbacks: &'a HashMap<Span, ChoiceId>,
}

impl<'a> Recorder<'a> {
    pub fn new(
        coverage: &'a mut Coverage,
        text: Option<&'a mut Vec<String>>,
        fallbacks: &'a HashMap<Span, ChoiceId>,
    ) -> Self {
        Recorder {
            coverage,
            text,
            tags: Vec::new(),
            entered: Vec::new(),
            fallbacks,
        }
    }
}

impl Output for Recorder<'_> {
    fn wants_text(&self) -> bool {
        self.text.is_some()
    }

    fn paragraph(&mut self, text: &str, tags: &[Tag]) {
        if let Some(paragraphs) = self.text.as_deref_mut() {
            paragraphs.push(text.to_string());
            self.tags.extend(tags.iter().map(tag_text));
        }
    }

    fn enter(&mut self, scene: SceneId) {
        self.coverage.enter(scene);
        if self.text.is_some() {
            self.entered.push(scene);
        }
    }

    fn executed(&mut self, span: Span) {
        match self.fallbacks.get(&span) {
            Some(id) => self.coverage.take(*id, span),
            None => *self.coverage.spans.entry(span).or_default() += 1,
        }
    }
}

/// A tag as a story test names it: `key: value`, or `key` alone.
pub fn tag_text(tag: &Tag) -> String {
    match &tag.value {
        Some(value) => format!("{}: {value}", tag.key),
        None => tag.key.clone(),
    }
}

/// The fallback choices of a story, by span (see [`Recorder`]).
pub fn fallbacks(story: &Story) -> HashMap<Span, ChoiceId> {
    let mut found = HashMap::new();
    for scene in &story.scenes {
        for op in &scene.ops {
            if let Op::Choices { choices, .. } = op {
                for choice in choices.iter().filter(|choice| choice.is_fallback()) {
                    found.insert(choice.span, choice.id);
                }
            }
        }
    }
    found
}

/// One coverable thing and how often it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scene,
    Choice,
    Line,
}

/// Every coverable item of a story with its hits: scene headers (entries),
/// choices (takes), text, logic, condition and divert lines (runs), and
/// the `fn` line of each function with a body (calls).
fn items(story: &Story, coverage: &Coverage) -> Vec<(Kind, Span, u64, Option<SceneId>)> {
    let hits = |span: &Span| coverage.spans.get(span).copied().unwrap_or(0);
    let mut items = Vec::new();
    for (index, function) in story.functions.iter().enumerate() {
        if function.code.is_some() {
            let calls = coverage.functions.get(index).copied().unwrap_or(0);
            items.push((Kind::Line, function.span, calls, None));
        }
    }
    for (index, scene) in story.scenes.iter().enumerate() {
        let id = SceneId(index as u32);
        let entries = coverage.scenes.get(index).copied().unwrap_or(0);
        items.push((Kind::Scene, scene.span, entries, Some(id)));
        for op in &scene.ops {
            match op {
                Op::Text { span, .. }
                | Op::Assign { span, .. }
                | Op::SetLocal { span, .. }
                | Op::Assert { span, .. }
                | Op::Divert { span, .. }
                | Op::Call { span, .. }
                | Op::Return { span } => {
                    items.push((Kind::Line, *span, hits(span), None));
                }
                Op::JumpUnless { condition, .. } => {
                    items.push((Kind::Line, condition.span, hits(&condition.span), None));
                }
                Op::Choices { choices, .. } => {
                    for choice in choices {
                        let taken = coverage.choices.get(choice.id.index()).copied();
                        let kind = if choice.is_fallback() {
                            Kind::Line
                        } else {
                            Kind::Choice
                        };
                        items.push((kind, choice.span, taken.unwrap_or(0), None));
                    }
                }
                Op::Jump { .. } | Op::End { .. } => {}
            }
        }
    }
    items
}

/// Reached out of total, with the never-reached ones named.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Tally {
    /// How many were reached.
    pub reached: usize,
    /// How many there are.
    pub total: usize,
    /// `reached` out of `total`, in percent to one decimal; 100 when there
    /// are none.
    pub percent: f64,
    /// Scenes by name; choices and lines by `path:line:col`, a labelled
    /// choice followed by its `(scene.label)`.
    pub unreached: Vec<String>,
}

impl Tally {
    fn finish(mut self) -> Tally {
        self.percent = if self.total == 0 {
            100.0
        } else {
            (self.reached as f64 * 1000.0 / self.total as f64).round() / 10.0
        };
        self
    }
}

/// The coverage of one story as percentages.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    /// Scenes entered.
    pub scenes: Tally,
    /// Player choices taken.
    pub choices: Tally,
    /// Source lines run.
    pub lines: Tally,
}

/// Scenes entered, player choices taken and source lines run. A line counts
/// as reached when anything coverable on it ran (a scene header when the
/// scene was entered).
pub fn summary(story: &Story, coverage: &Coverage) -> Summary {
    let locate = |span: Span| story.locate(span).unwrap_or_else(|| format!("{span:?}"));
    // A labelled choice is named by its label too: `story.fab:3:1 (office.ask)`.
    let mut labels: HashMap<Span, String> = HashMap::new();
    for scene in &story.scenes {
        for op in &scene.ops {
            if let Op::Choices { choices, .. } = op {
                for choice in choices.iter() {
                    if let Some(label) = story.label(choice) {
                        labels.insert(choice.span, format!("{}.{label}", scene.name));
                    }
                }
            }
        }
    }
    let mut summary = Summary::default();
    // Per line: whether reached, and the first item's location to name it.
    let mut lines: BTreeMap<(u32, usize), (bool, Span)> = BTreeMap::new();
    for (kind, span, hits, scene) in items(story, coverage) {
        match (kind, scene) {
            (Kind::Scene, Some(scene)) => {
                summary.scenes.total += 1;
                if hits > 0 {
                    summary.scenes.reached += 1;
                } else {
                    summary
                        .scenes
                        .unreached
                        .push(story.scene(scene).name.clone());
                }
            }
            (Kind::Choice, _) => {
                summary.choices.total += 1;
                if hits > 0 {
                    summary.choices.reached += 1;
                } else {
                    let mut name = locate(span);
                    if let Some(label) = labels.get(&span) {
                        name.push_str(&format!(" ({label})"));
                    }
                    summary.choices.unreached.push(name);
                }
            }
            _ => {}
        }
        let entry = lines.entry(line_of(story, span)).or_insert((false, span));
        entry.0 |= hits > 0;
    }
    for (reached, span) in lines.values() {
        summary.lines.total += 1;
        if *reached {
            summary.lines.reached += 1;
        } else {
            summary.lines.unreached.push(locate(*span));
        }
    }
    summary.scenes = summary.scenes.finish();
    summary.choices = summary.choices.finish();
    summary.lines = summary.lines.finish();
    summary
}

/// `(file, 1-based line)` of a span's start.
fn line_of(story: &Story, span: Span) -> (u32, usize) {
    if (span.file.0 as usize) < story.sources.len() {
        let file = story.sources.get(span.file);
        (span.file.0, file.line_col(span.start as usize).0)
    } else {
        (span.file.0, 0)
    }
}

/// Line hits over any number of stories, by file, ready to write as lcov.
/// Files shared by two stories (an include) add up.
#[derive(Debug, Clone, Default)]
pub struct Lcov {
    /// Per file, hits per line (from 1).
    pub files: BTreeMap<PathBuf, BTreeMap<usize, u64>>,
}

impl Lcov {
    /// Adds a story's hits: every coverable line appears, with 0 when it
    /// never ran.
    pub fn add(&mut self, story: &Story, coverage: &Coverage) {
        for (_, span, hits, _) in items(story, coverage) {
            if span.file.0 as usize >= story.sources.len() {
                continue;
            }
            let path = story.sources.get(span.file).path.clone();
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            let (_, line) = line_of(story, span);
            *self.files.entry(path).or_default().entry(line).or_default() += hits;
        }
    }

    /// The lcov tracefile: `TN:`, then per file `SF:`, a `DA:line,hits` per
    /// coverable line, `LF:` (lines found), `LH:` (lines hit) and
    /// `end_of_record`.
    pub fn render(&self) -> String {
        let mut out = String::from("TN:fabula\n");
        for (path, lines) in &self.files {
            let _ = writeln!(out, "SF:{}", path.display());
            for (line, hits) in lines {
                let _ = writeln!(out, "DA:{line},{hits}");
            }
            let hit = lines.values().filter(|hits| **hits > 0).count();
            let _ = writeln!(out, "LF:{}", lines.len());
            let _ = writeln!(out, "LH:{hit}");
            out.push_str("end_of_record\n");
        }
        out
    }
}
