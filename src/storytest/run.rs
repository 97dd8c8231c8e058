//! Running a story's `test` blocks through the runtime: each step is done
//! with [`Machine::run`], [`Machine::choose`] and [`Machine::evaluate`], so
//! a test sees exactly what a player would.

use std::collections::HashMap;

use crate::diagnostic::Span;
use crate::graph::{
    ChoiceExpectation, ChoiceId, ChoiceRef, Expr, Instr, SceneId, Story, Test, TestStepKind, Value,
};
use crate::runtime::{Machine, Pause, RuntimeError, State};

use super::coverage::{Coverage, Recorder, fallbacks, tag_text};

/// The seed of the random generator a story test starts with, so `random()`
/// and `{~…}` give the same values on every run.
pub const TEST_SEED: u64 = 0;

/// How one test went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestOutcome {
    /// The test's quoted name.
    pub name: String,
    /// `path:line:col` of the `test` line.
    pub location: String,
    /// `None` when the test passed.
    pub failure: Option<Failure>,
}

/// Why a test failed, and what had happened by then.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failure {
    /// The step's source text, e.g. `choose "Telephone"`.
    pub step: String,
    /// `path:line:col` of the step.
    pub location: String,
    /// What the step expected.
    pub expected: String,
    /// What happened instead.
    pub actual: String,
    /// Paragraphs, with each choice made as `> 2. Wait`.
    pub transcript: Vec<String>,
}

/// A choice as the test sees it: its number as shown, text and state.
#[derive(Debug, Clone)]
struct Shown {
    /// Index in the choice block, for [`Machine::choose`].
    choice: u32,
    id: ChoiceId,
    span: Span,
    text: String,
    enabled: bool,
    /// Why a disabled choice is disabled.
    reason: Option<String>,
}

/// Where a test stands between steps.
#[derive(Debug, Clone)]
enum Now {
    Choosing(Vec<Shown>),
    Ended(SceneId),
}

/// Runs every test of `story`, adding what ran to `coverage`.
pub fn run_tests(story: &Story, coverage: &mut Coverage) -> Vec<TestOutcome> {
    story
        .tests
        .iter()
        .map(|test| run_test(story, test, coverage))
        .collect()
}

/// Runs one test.
pub fn run_test(story: &Story, test: &Test, coverage: &mut Coverage) -> TestOutcome {
    let fallbacks = fallbacks(story);
    let mut machine = Machine::new();
    machine.count_calls(story.functions.len());
    let mut run = TestRun {
        story,
        machine,
        state: State::new(story, TEST_SEED),
        coverage,
        fallbacks: &fallbacks,
        since_choice: Vec::new(),
        tags_since_choice: Vec::new(),
        transcript: Vec::new(),
    };
    run.state.scene = test.start;
    run.state.pc = 0;
    // As a divert into it: no call under way; a tunnel's parameters (a
    // test may start in one) at their types' defaults.
    run.state.locals = crate::runtime::fresh_locals(story, test.start);
    run.state.calls.clear();
    run.state.visits.iter_mut().for_each(|visits| *visits = 0);
    if let Some(visits) = run.state.visits.get_mut(test.start.index()) {
        *visits = 1;
    }
    run.coverage.enter(test.start);
    // Entered as the test starts, not through the recorder.
    run.tags_since_choice
        .extend(story.scenes[test.start.index()].tags.iter().map(tag_text));
    let mut failure = None;
    for step in &test.steps {
        if let Err((expected, actual)) = run.step(&step.kind) {
            failure = Some(Failure {
                step: source_text(story, step.span),
                location: locate(story, step.span),
                expected,
                actual,
                transcript: std::mem::take(&mut run.transcript),
            });
            break;
        }
    }
    // A test of only `set` steps still runs the story to its first pause,
    // so a runtime error on the way fails it.
    let only_sets = test
        .steps
        .iter()
        .all(|step| matches!(step.kind, TestStepKind::Set { .. }));
    if failure.is_none()
        && only_sets
        && let Err((expected, actual)) = run.now()
    {
        failure = Some(Failure {
            step: "(the run to the first pause)".to_string(),
            location: locate(story, test.span),
            expected,
            actual,
            transcript: std::mem::take(&mut run.transcript),
        });
    }
    run.machine.take_calls(&mut run.coverage.functions);
    TestOutcome {
        name: test.name.clone(),
        location: locate(story, test.span),
        failure,
    }
}

pub(crate) fn locate(story: &Story, span: Span) -> String {
    story
        .locate(span)
        .unwrap_or_else(|| format!("<unknown>:{}", span.start))
}

fn source_text(story: &Story, span: Span) -> String {
    if span.file.0 as usize >= story.sources.len() {
        return String::new();
    }
    let text = &story.sources.get(span.file).text;
    text.get(span.range()).unwrap_or("").trim().to_string()
}

/// A step's failure: what was expected, what was found.
type StepError = (String, String);

struct TestRun<'a> {
    story: &'a Story,
    machine: Machine,
    state: State,
    coverage: &'a mut Coverage,
    fallbacks: &'a HashMap<Span, ChoiceId>,
    /// Paragraphs since the last choice (or the start).
    since_choice: Vec<String>,
    /// The tags emitted since the last choice ([`tag_text`]).
    tags_since_choice: Vec<String>,
    transcript: Vec<String>,
}

impl TestRun<'_> {
    fn step(&mut self, kind: &TestStepKind) -> Result<(), StepError> {
        if let TestStepKind::Set { var, value } = kind {
            let value = self.evaluate(value)?;
            if let Some(slot) = self.state.vars.get_mut(var.index()) {
                *slot = value;
            }
            return Ok(());
        }
        let now = self.now()?;
        match kind {
            TestStepKind::Set { .. } => Ok(()),
            TestStepKind::Choose(reference) => self.choose(now, reference),
            TestStepKind::ExpectText { fragment, present } => {
                let text = self.since_choice.join("\n");
                if text.contains(fragment.as_str()) == *present {
                    return Ok(());
                }
                let expected = if *present {
                    format!("text containing {fragment:?}")
                } else {
                    format!("no text containing {fragment:?}")
                };
                let actual = if text.is_empty() {
                    "no text since the last choice".to_string()
                } else {
                    format!("text since the last choice:\n{}", indent(&text))
                };
                Err((expected, actual))
            }
            TestStepKind::ExpectTag { tag, present } => self.expect_tag(tag, *present),
            TestStepKind::ExpectChoice { fragment, state } => {
                let shown = match now {
                    Now::Choosing(shown) => shown,
                    Now::Ended(scene) => {
                        return Err((
                            format!("a choice containing {fragment:?}"),
                            self.ended(scene),
                        ));
                    }
                };
                let matching = |enabled: Option<bool>| {
                    shown.iter().any(|choice| {
                        choice.text.contains(fragment.as_str())
                            && enabled.is_none_or(|enabled| choice.enabled == enabled)
                    })
                };
                let (holds, expected) = match state {
                    ChoiceExpectation::Enabled => (
                        matching(Some(true)),
                        format!("a selectable choice containing {fragment:?}"),
                    ),
                    ChoiceExpectation::Disabled => (
                        matching(Some(false)),
                        format!("a disabled choice containing {fragment:?}"),
                    ),
                    ChoiceExpectation::Absent => (
                        !matching(None),
                        format!("no shown choice containing {fragment:?}"),
                    ),
                };
                if holds {
                    Ok(())
                } else {
                    Err((expected, list_choices(&shown)))
                }
            }
            TestStepKind::ExpectEnding(ending) => {
                let expected = format!("the story ended at `{}`", self.story.scene(*ending).name);
                match now {
                    Now::Ended(scene) if scene == *ending => Ok(()),
                    Now::Ended(scene) => Err((expected, self.ended(scene))),
                    Now::Choosing(shown) => Err((expected, list_choices(&shown))),
                }
            }
            TestStepKind::ExpectPage {
                page,
                fragment,
                present,
            } => {
                let name = &self.story.scene(*page).name;
                let paragraphs = match self.machine.page(self.story, &self.state, *page) {
                    Some(Ok(paragraphs)) => paragraphs,
                    Some(Err(error)) => return Err(runtime_failure(&error)),
                    None => return Err(("a page".into(), format!("`{name}` is not a page"))),
                };
                let text = paragraphs
                    .into_iter()
                    .map(|(text, _)| text)
                    .collect::<Vec<_>>()
                    .join("\n");
                if text.contains(fragment.as_str()) == *present {
                    return Ok(());
                }
                let expected = if *present {
                    format!("page `{name}` containing {fragment:?}")
                } else {
                    format!("page `{name}` not containing {fragment:?}")
                };
                Err((expected, format!("page `{name}` reads:\n{}", indent(&text))))
            }
            TestStepKind::Expect(condition) => match self.evaluate(condition)? {
                Value::Bool(true) => Ok(()),
                _ => Err((
                    format!("`{}` holds", source_text(self.story, condition.span)),
                    format!("it is false, with {}", self.variables_of(condition)),
                )),
            },
        }
    }

    /// Runs to the next pause (harmless at a pause: it only re-offers) and
    /// describes it.
    fn now(&mut self) -> Result<Now, StepError> {
        let mut paragraphs = Vec::new();
        let mut recorder = Recorder::new(self.coverage, Some(&mut paragraphs), self.fallbacks);
        let paused = self.machine.run(self.story, &mut self.state, &mut recorder);
        let offers = match paused {
            Ok(Pause::Choices(offers)) => Ok(offers.to_vec()),
            Ok(Pause::Ending(scene)) => Err(Ok(scene)),
            Err(error) => Err(Err(error)),
        };
        let (tags, entered) = (recorder.tags, recorder.entered);
        // A scene's tags come before its paragraphs' (a scene is entered
        // before its text runs), so the order is the order of entering.
        for scene in entered {
            let scene_tags = &self.story.scenes[scene.index()].tags;
            self.tags_since_choice
                .extend(scene_tags.iter().map(tag_text));
        }
        self.tags_since_choice.extend(tags);
        self.transcript.extend(paragraphs.iter().cloned());
        self.since_choice.extend(paragraphs);
        let offers = match offers {
            Ok(offers) => offers,
            Err(Ok(scene)) => return Ok(Now::Ended(scene)),
            Err(Err(error)) => return Err(runtime_failure(&error)),
        };
        let Some(choices) = self.story.choice_block(self.state.scene, self.state.pc) else {
            return Err(("choices".into(), "the story paused elsewhere".into()));
        };
        let mut shown = Vec::new();
        for offer in offers {
            let choice = &choices[offer.choice as usize];
            let text = self
                .machine
                .choice_text_in_place(self.story, &mut self.state, offer.choice as usize)
                .map_err(|error| runtime_failure(&error))?;
            let reason = match choice.guard.requires() {
                Some((_, reason)) if !offer.enabled => Some(self.story.text(reason).to_string()),
                _ => None,
            };
            shown.push(Shown {
                choice: offer.choice,
                id: choice.id,
                span: choice.span,
                text,
                enabled: offer.enabled,
                reason,
            });
        }
        Ok(Now::Choosing(shown))
    }

    fn choose(&mut self, now: Now, reference: &ChoiceRef) -> Result<(), StepError> {
        let shown = match now {
            Now::Choosing(shown) => shown,
            Now::Ended(scene) => {
                return Err(("choices to choose from".into(), self.ended(scene)));
            }
        };
        let (number, picked) = match reference {
            ChoiceRef::Number(number) => {
                match (*number as usize).checked_sub(1).and_then(|i| shown.get(i)) {
                    Some(picked) => (*number as usize, picked),
                    None => {
                        return Err((format!("a choice numbered {number}"), list_choices(&shown)));
                    }
                }
            }
            ChoiceRef::Text(fragment) => {
                let matches: Vec<usize> = (0..shown.len())
                    .filter(|&index| shown[index].text.contains(fragment.as_str()))
                    .collect();
                match matches.as_slice() {
                    [index] => (index + 1, &shown[*index]),
                    _ => {
                        return Err((
                            format!("exactly one shown choice containing {fragment:?}"),
                            format!("{} match; {}", matches.len(), list_choices(&shown)),
                        ));
                    }
                }
            }
        };
        if !picked.enabled {
            return Err((
                format!("choice {number} ({:?}) to be selectable", picked.text),
                format!(
                    "it is disabled: {}",
                    picked.reason.as_deref().unwrap_or("its guard is false")
                ),
            ));
        }
        self.machine
            .choose(self.story, &mut self.state, picked.choice as usize)
            .map_err(|error| {
                (
                    format!("choice {number} to be taken"),
                    format!("it was refused: {error}"),
                )
            })?;
        self.coverage.take(picked.id, picked.span);
        self.transcript.push(format!("> {number}. {}", picked.text));
        self.since_choice.clear();
        self.tags_since_choice.clear();
        // Run now, so a runtime error is this step's failure.
        self.now().map(|_| ())
    }

    /// `expect tag "key: value"` (that tag) or `expect tag "key"` (a tag
    /// with that key), since the last choice.
    fn expect_tag(&self, wanted: &str, present: bool) -> Result<(), StepError> {
        let wanted = wanted.trim();
        let matches = |tag: &String| {
            tag == wanted
                || (!wanted.contains(':')
                    && tag
                        .split(':')
                        .next()
                        .is_some_and(|key| key.trim() == wanted))
        };
        if self.tags_since_choice.iter().any(matches) == present {
            return Ok(());
        }
        let expected = if present {
            format!("a tag {wanted:?}")
        } else {
            format!("no tag {wanted:?}")
        };
        let actual = if self.tags_since_choice.is_empty() {
            "no tags since the last choice".to_string()
        } else {
            let listed: Vec<String> = self
                .tags_since_choice
                .iter()
                .map(|tag| format!("# {tag}"))
                .collect();
            format!(
                "tags since the last choice:\n{}",
                indent(&listed.join("\n"))
            )
        };
        Err((expected, actual))
    }

    fn evaluate(&mut self, expr: &Expr) -> Result<Value, StepError> {
        self.machine
            .evaluate(self.story, &self.state, expr)
            .map_err(|error| runtime_failure(&error))
    }

    fn ended(&self, scene: SceneId) -> String {
        format!("the story ended at `{}`", self.story.scene(scene).name)
    }

    /// `name = value` for each variable a condition reads.
    fn variables_of(&self, expr: &Expr) -> String {
        let mut seen = Vec::new();
        let code = self.story.reachable_code(self.story.code(expr));
        for instr in code.iter().flat_map(|code| code.iter()) {
            if let Instr::Load(var) = instr
                && !seen.contains(var)
            {
                seen.push(*var);
            }
        }
        if seen.is_empty() {
            return "no variables".to_string();
        }
        seen.iter()
            .filter_map(|var| {
                let declared = self.story.vars.get(var.index())?;
                let value = self.state.vars.get(var.index())?;
                Some(format!(
                    "{} = {}",
                    declared.name,
                    self.story.display_value(value, declared.ty)
                ))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn runtime_failure(error: &RuntimeError) -> StepError {
    (
        "the story to run on".to_string(),
        format!("runtime error: {error}"),
    )
}

fn list_choices(shown: &[Shown]) -> String {
    if shown.is_empty() {
        return "no choices shown".to_string();
    }
    let mut out = String::from("shown choices:");
    for (index, choice) in shown.iter().enumerate() {
        out.push_str(&format!("\n  {}. {}", index + 1, choice.text));
        if !choice.enabled {
            out.push_str(&format!(
                " (disabled: {})",
                choice.reason.as_deref().unwrap_or("guard false")
            ));
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}
