//! Playing a compiled story: the game [`State`], the [`Machine`] that runs
//! scenes up to the next choice or ending, and the friendly [`Session`] on
//! top. No I/O happens here.
//!
//! The core loop is text-free when the [`Output`] does not want text, so the
//! explorer can step through millions of choices a second; every state
//! change (alternatives counters, random draws) happens the same way with or
//! without text, so a transcript never changes what a state means.
//!
//! Guards and choice texts are evaluated *purely*: with a copy of the random
//! generator, so offering choices never changes the state and a `random()`
//! in a guard gives the same answer every time the same state is shown.

mod eval;
pub mod savefile;
mod session;
mod tunnel;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Span;
use crate::graph::{
    AltKind, Alternatives, AssignOp, ChoiceId, Expr, Fault, MAX_CALL_DEPTH, Op, Part, SceneId,
    Story, Tag, Value, binary, display, display_len,
};
pub use eval::RandomScript;
use eval::{Context, evaluate, evaluate_bool, random_below};
pub use session::{ChoiceView, Ending, Event, LoadReport, Session, Status, UndoError, ending_line};
pub use tunnel::Frame;
use tunnel::Glue;
pub(crate) use tunnel::fresh_locals;

/// How many diverts, backward jumps and automatic fallbacks a single run may
/// take without reaching a choice or an ending before it is called a loop.
pub const STEP_LIMIT: u32 = 10_000;

pub use crate::graph::MAX_TEXT_LEN;

/// The longest a rendered paragraph or choice text may grow, in bytes
/// (4 MiB): interpolating a long text value many times in one line is
/// stopped here.
pub const MAX_PARAGRAPH_LEN: usize = 4 << 20;

/// A host's implementation of an `extern fn`: the arguments in, the value
/// out, or a message saying why it failed (a runtime error in the story).
pub type HostFn = std::sync::Arc<dyn Fn(&[Value]) -> Result<Value, String> + Send + Sync>;

/// The host's implementations of a story's `extern fn`s, by
/// [`crate::graph::FnId`]. An extern left unbound runs its default body.
#[derive(Clone, Default)]
pub struct Externs(Vec<Option<HostFn>>);

impl Externs {
    /// Binds `function` to `host`, replacing an earlier binding.
    pub fn bind(&mut self, function: crate::graph::FnId, host: HostFn) {
        let index = function.index();
        if self.0.len() <= index {
            self.0.resize(index + 1, None);
        }
        self.0[index] = Some(host);
    }

    /// The host's implementation of `function`, if bound.
    pub fn get(&self, function: crate::graph::FnId) -> Option<&HostFn> {
        self.0.get(function.index())?.as_ref()
    }
}

impl fmt::Debug for Externs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bound: Vec<usize> = (0..self.0.len()).filter(|i| self.0[*i].is_some()).collect();
        f.debug_struct("Externs").field("bound", &bound).finish()
    }
}

/// Everything that changes while a story is played. Compact, so the explorer
/// can hash and deduplicate millions of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct State {
    /// The scene the story is in.
    pub scene: SceneId,
    /// The op the story is at; at a pause, the choice block or the ending's end.
    pub pc: u32,
    /// Indexed by [`crate::graph::VarId`].
    pub vars: Vec<Value>,
    /// Indexed by [`SceneId`]: how many times each scene was entered.
    pub visits: Vec<u32>,
    /// Once-only choices taken, a bitset over [`crate::graph::ChoiceId`].
    pub taken: Vec<u64>,
    /// Alternatives counters, indexed by [`crate::graph::SeqId`].
    pub seqs: Vec<u32>,
    /// How many choices the player has made.
    pub turns: u32,
    /// The random generator's whole state.
    pub rng: u64,
    /// The current scene visit's or tunnel call's locals, by slot of
    /// [`crate::graph::Scene::locals`]: its parameters, then its
    /// temporaries (at their type's default until their `~ temp` runs).
    pub locals: Vec<Value>,
    /// The tunnel calls under way, innermost last: where each returns to,
    /// with the caller's locals. At most [`MAX_CALL_DEPTH`] long.
    pub calls: Vec<Frame>,
}

impl State {
    /// The state at the start of a story: at `story.start`, visited once.
    pub fn new(story: &Story, seed: u64) -> State {
        let mut visits = vec![0; story.scenes.len()];
        if let Some(count) = visits.get_mut(story.start.index()) {
            *count = 1;
        }
        State {
            scene: story.start,
            pc: 0,
            vars: story.vars.iter().map(|var| var.initial.clone()).collect(),
            visits,
            taken: vec![0; (story.choice_count as usize).div_ceil(64)],
            seqs: vec![0; story.seq_count as usize],
            turns: 0,
            rng: seed,
            locals: fresh_locals(story, story.start),
            calls: Vec::new(),
        }
    }

    /// Whether a once-only choice with this id has been taken.
    pub fn is_taken(&self, id: crate::graph::ChoiceId) -> bool {
        self.taken
            .get(id.index() / 64)
            .is_some_and(|word| word & (1 << (id.index() % 64)) != 0)
    }

    fn mark_taken(&mut self, id: crate::graph::ChoiceId) -> Result<(), Fault> {
        let word = self
            .taken
            .get_mut(id.index() / 64)
            .ok_or(Fault::Malformed("a choice id beyond the story's count"))?;
        *word |= 1 << (id.index() % 64);
        Ok(())
    }
}

/// Where the story stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause<'m> {
    /// Choices are offered: the shown ones, in the block's order. At least
    /// one is enabled.
    Choices(&'m [Offer]),
    /// The story reached this ending.
    Ending(SceneId),
}

/// A choice shown to the player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    /// The choice's index in its block ([`Op::Choices`]), what
    /// [`Machine::choose`] takes.
    pub choice: u32,
    /// False for a `[requires …]` choice whose guard is false.
    pub enabled: bool,
}

/// Where the runtime sends what the player reads.
pub trait Output {
    /// Whether paragraph text is wanted. When false the runtime builds no
    /// strings, but changes the state exactly as it would otherwise.
    fn wants_text(&self) -> bool {
        true
    }
    /// A paragraph of text, trimmed and never empty.
    fn paragraph(&mut self, text: &str, tags: &[Tag]) {
        let _ = (text, tags);
    }
    /// The story diverted into `scene`.
    fn enter(&mut self, scene: SceneId) {
        let _ = scene;
    }
    /// A line of the story ran: a text line, a logic line, a condition, a
    /// divert, or a fallback choice taken automatically. For line coverage
    /// (`fabula test --coverage`); the default ignores it, so the hot path
    /// of an [`Output`] that does not care costs nothing.
    fn executed(&mut self, span: Span) {
        let _ = span;
    }
    /// A fallback choice was taken, because nothing else was on offer.
    fn fallback(&mut self, choice: ChoiceId) {
        let _ = choice;
    }
}

/// A page as it reads: each paragraph with its tags.
pub type PageText = Vec<(String, Vec<Tag>)>;

/// Collects a page's paragraphs.
struct Paragraphs(PageText);

impl Output for Paragraphs {
    fn paragraph(&mut self, text: &str, tags: &[Tag]) {
        self.0.push((text.to_string(), tags.to_vec()));
    }
}

/// An [`Output`] that wants nothing: for exploring and benchmarks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Discard;

impl Output for Discard {
    fn wants_text(&self) -> bool {
        false
    }
}

/// The kinds of runtime error. Each stops the story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeErrorKind {
    /// A scene that is not an ending ran out of lines:
    /// `== a` / `Text.` with nothing after it.
    DeadEnd,
    /// Integer arithmetic overflowed: `~ x = 9223372036854775807 + 1`.
    Overflow,
    /// `~ x = 1 / zero` or `1 % zero`.
    DivisionByZero,
    /// `random(lo, hi)` with `lo > hi`.
    RandomRange {
        /// The low end given.
        lo: i64,
        /// The high end given, below `lo`.
        hi: i64,
    },
    /// A text value longer than [`MAX_TEXT_LEN`], or a paragraph longer
    /// than [`MAX_PARAGRAPH_LEN`]: `~ t = t + t` repeated in a loop.
    TextTooLong,
    /// A choice block where nothing is enabled and no fallback holds:
    /// `* [requires false] Go` alone.
    NoChoiceAvailable,
    /// An `assert` whose condition is false, or an `invariant` that does
    /// not hold where the story pauses: `assert letter_sent: "the
    /// declaration quotes the letter"`. The message is the author's, or
    /// the condition's source text.
    AssertionFailed {
        /// What the player is told.
        message: String,
    },
    /// More than [`STEP_LIMIT`] diverts without a choice or an ending:
    /// `== a` / `-> b`, `== b` / `-> a`.
    Loop,
    /// A tunnel call nested deeper than [`MAX_CALL_DEPTH`]: `== a` /
    /// `-> a ->`.
    CallTooDeep,
    /// `->->` with no tunnel call to return to: a scene that returns,
    /// entered by a plain divert.
    ReturnWithoutCall,
    /// Function calls nested deeper than [`crate::graph::MAX_FUNCTION_DEPTH`]: a
    /// function that calls itself without end. Names the function called
    /// at the limit.
    FunctionTooDeep {
        /// The function called at the limit.
        function: String,
    },
    /// An `extern fn` without a default body that the host did not bind
    /// (in `fabula play`, which binds nothing, or in an embedding).
    UnboundExtern {
        /// The extern's name.
        function: String,
    },
    /// The host's implementation of an `extern fn` failed, or returned a
    /// value of the wrong type.
    ExternFailed {
        /// The extern's name.
        function: String,
        /// The host's error, or what was wrong with the value returned.
        message: String,
    },
    /// The compiled story is inconsistent (e.g. a hand-edited RON graph
    /// with an op index out of range).
    Malformed(&'static str),
}

/// A runtime error, located in the story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeError {
    /// What went wrong.
    pub kind: RuntimeErrorKind,
    /// The scene the story was in.
    pub scene: String,
    /// The line it happened at, when there is one.
    pub span: Option<Span>,
    /// `path:line:col`, when the story's sources were at hand.
    pub location: Option<String>,
}

impl RuntimeError {
    fn new(story: &Story, scene: SceneId, span: Option<Span>, kind: RuntimeErrorKind) -> Self {
        RuntimeError {
            kind,
            scene: story
                .scenes
                .get(scene.index())
                .map_or_else(|| format!("#{}", scene.0), |found| found.name.clone()),
            location: span.and_then(|span| story.locate(span)),
            span,
        }
    }

    fn fault(story: &Story, scene: SceneId, span: Option<Span>, fault: Fault) -> Self {
        let kind = match fault {
            Fault::Overflow => RuntimeErrorKind::Overflow,
            Fault::DivisionByZero => RuntimeErrorKind::DivisionByZero,
            Fault::RandomRange { lo, hi } => RuntimeErrorKind::RandomRange { lo, hi },
            Fault::TextTooLong => RuntimeErrorKind::TextTooLong,
            Fault::FunctionTooDeep(id) => RuntimeErrorKind::FunctionTooDeep {
                function: function_name(story, id),
            },
            Fault::UnboundExtern(id) => RuntimeErrorKind::UnboundExtern {
                function: function_name(story, id),
            },
            Fault::ExternFailed(id, message) => RuntimeErrorKind::ExternFailed {
                function: function_name(story, id),
                message,
            },
            Fault::Malformed(what) => RuntimeErrorKind::Malformed(what),
        };
        RuntimeError::new(story, scene, span, kind)
    }
}

fn function_name(story: &Story, id: crate::graph::FnId) -> String {
    story
        .functions
        .get(id.index())
        .map_or_else(|| format!("#{}", id.0), |function| function.name.clone())
}

impl fmt::Display for RuntimeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeErrorKind::DeadEnd => f.write_str("dead end: the scene ran out of lines"),
            RuntimeErrorKind::Overflow => f.write_str("integer overflow"),
            RuntimeErrorKind::DivisionByZero => f.write_str("division by zero"),
            RuntimeErrorKind::RandomRange { lo, hi } => {
                write!(f, "random({lo}, {hi}): the low bound is above the high one")
            }
            RuntimeErrorKind::TextTooLong => write!(
                f,
                "text too long: a text value may hold at most {MAX_TEXT_LEN} bytes, a paragraph {MAX_PARAGRAPH_LEN}"
            ),
            RuntimeErrorKind::NoChoiceAvailable => {
                f.write_str("no choice available: every choice is hidden, taken or disabled")
            }
            RuntimeErrorKind::AssertionFailed { message } => {
                write!(f, "assertion failed: {message}")
            }
            RuntimeErrorKind::Loop => write!(
                f,
                "the story went round {STEP_LIMIT} diverts without reaching a choice or an ending"
            ),
            RuntimeErrorKind::CallTooDeep => write!(
                f,
                "tunnel calls nested deeper than {MAX_CALL_DEPTH}: a call never returned before the next"
            ),
            RuntimeErrorKind::ReturnWithoutCall => {
                f.write_str("`->->` with no tunnel call to return to: the scene was entered by a divert, not a call")
            }
            RuntimeErrorKind::FunctionTooDeep { function } => write!(
                f,
                "calls nested deeper than {} (at `{function}`): a function that calls itself without end?",
                crate::graph::MAX_FUNCTION_DEPTH
            ),
            RuntimeErrorKind::UnboundExtern { function } => write!(
                f,
                "`extern fn {function}` has no default body and the host bound no implementation"
            ),
            RuntimeErrorKind::ExternFailed { function, message } => {
                write!(f, "the host's `{function}` failed: {message}")
            }
            RuntimeErrorKind::Malformed(what) => write!(f, "malformed story: {what}"),
        }
    }
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        write!(f, "{} (in scene `{}`)", self.kind, self.scene)
    }
}

impl std::error::Error for RuntimeError {}

/// Why a choice was refused. The state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChooseError {
    /// The story is not at a choice block (it ended, or failed).
    NotAtChoices,
    /// There is no choice with that number.
    NoSuchChoice(usize),
    /// The choice is hidden, already taken or a fallback.
    NotOffered,
    /// A `[requires …]` choice whose guard is false, with its reason.
    Disabled(String),
    /// Evaluating the choice's guard failed.
    Runtime(RuntimeError),
}

impl fmt::Display for ChooseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChooseError::NotAtChoices => f.write_str("there are no choices to make now"),
            ChooseError::NoSuchChoice(index) => write!(f, "there is no choice {index}"),
            ChooseError::NotOffered => f.write_str("that choice is not on offer"),
            ChooseError::Disabled(reason) => f.write_str(reason),
            ChooseError::Runtime(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for ChooseError {}

/// Runs stories. Holds only scratch buffers, reused between calls so the
/// hot path does not allocate; one machine can play any number of states.
#[derive(Debug, Default)]
pub struct Machine {
    stack: Vec<Value>,
    offers: Vec<Offer>,
    text: String,
    /// When set, `random()` outside guards and choice texts takes scripted
    /// values instead of drawing (see [`Machine::script_random`]).
    script: Option<RandomScript>,
    /// With a script: whether guards draw from it too (see
    /// [`Machine::script_guards`]), and what each guard of the block being
    /// offered drew, so that `choose` sees the values `run` saw.
    script_guards: bool,
    guard_draws: Vec<(usize, Vec<i64>)>,
    /// With a script: the shuffles (by [`crate::graph::SeqId`]) whose pick
    /// is scripted too.
    script_shuffles: Vec<bool>,
    /// While a choice's text is rendered in place: each alternatives
    /// counter's value before the render stepped it, to put back after
    /// (see [`Machine::choice_text_in_place`]).
    seq_undo: Option<Vec<(u32, u32)>>,
    /// The paragraph being glued together (`<>`) during a run.
    glue: Glue,
    /// The host's implementations of `extern fn`s; none outside an
    /// embedding, where every extern runs its default body.
    externs: Externs,
    /// Calls per [`crate::graph::FnId`] since the last
    /// [`Machine::take_calls`]; empty when not counted.
    calls: Vec<std::cell::Cell<u64>>,
}

/// Where [`Machine::run`] stopped, before the offers are lent out.
enum Stop {
    Choices,
    Ending(SceneId),
}

impl Machine {
    /// A machine with empty scratch buffers.
    pub fn new() -> Machine {
        Machine::default()
    }

    /// A machine that calls the host's implementations of `extern fn`s.
    pub fn with_externs(externs: Externs) -> Machine {
        Machine {
            externs,
            ..Machine::default()
        }
    }

    /// The host's implementations this machine calls.
    pub fn externs(&self) -> &Externs {
        &self.externs
    }

    /// From now on, counts the calls of each of `functions` functions (for
    /// coverage; see [`Machine::take_calls`]).
    pub fn count_calls(&mut self, functions: usize) {
        self.calls.resize_with(functions, Default::default);
    }

    /// Adds the calls counted since the last take to `into` (indexed by
    /// [`crate::graph::FnId`]) and starts counting from zero again.
    pub fn take_calls(&mut self, into: &mut [u64]) {
        for (total, count) in into.iter_mut().zip(&self.calls) {
            *total = total.saturating_add(count.take());
        }
    }

    /// From now on, `random()` in lines, logic and conditions returns
    /// `values` in order (each clamped into its range; the low end once they
    /// run out) instead of drawing from the generator, and records each
    /// draw's range. Guards and choice texts stay pure. For the explorer,
    /// which branches over every value.
    pub fn script_random(&mut self, values: &[i64]) {
        let script = self.script.get_or_insert_with(RandomScript::default);
        script.values.clear();
        script.values.extend_from_slice(values);
        script.draws.clear();
        self.guard_draws.clear();
    }

    /// With [`Machine::script_random`]: guards and other purely evaluated
    /// conditions draw scripted values too, each guard of a block once per
    /// offering (so that [`Machine::choose`] agrees with [`Machine::run`]),
    /// and the shuffles marked in `shuffles` (indexed by
    /// [`crate::graph::SeqId`]) pick their option by a scripted draw. For
    /// the explorer, which branches over all of them.
    pub fn script_guards_and_shuffles(&mut self, guards: bool, shuffles: &[bool]) {
        self.script_guards = guards;
        self.script_shuffles.clear();
        self.script_shuffles.extend_from_slice(shuffles);
    }

    /// A scripted draw in `lo..=hi` made by the caller (the explorer picks
    /// which choice to take this way, so that it is branched over like a
    /// random value). `lo` when no script is set.
    pub fn script_draw(&mut self, lo: i64, hi: i64) -> i64 {
        match self.script.as_mut() {
            Some(script) => script.draw(lo, hi),
            None => lo,
        }
    }

    /// The ranges of the scripted draws made since [`Machine::script_random`].
    pub fn random_draws(&self) -> &[(i64, i64)] {
        self.script.as_ref().map_or(&[], |script| &script.draws)
    }

    /// Runs from the state's position to the next choice block that offers
    /// something, or to an ending. At a pause it returns at once, so calling
    /// it again is harmless.
    pub fn run(
        &mut self,
        story: &Story,
        state: &mut State,
        out: &mut impl Output,
    ) -> Result<Pause<'_>, RuntimeError> {
        self.glue.reset();
        let stop = self.run_ops(story, state, out);
        // A glued paragraph ends where the story pauses (or fails).
        self.flush_glue(out);
        match stop? {
            Stop::Choices => Ok(Pause::Choices(&self.offers)),
            Stop::Ending(scene) => Ok(Pause::Ending(scene)),
        }
    }

    fn run_ops(
        &mut self,
        story: &Story,
        state: &mut State,
        out: &mut impl Output,
    ) -> Result<Stop, RuntimeError> {
        let mut steps = 0u32;
        let mut last_span: Option<Span> = None;
        loop {
            let scene_id = state.scene;
            let locate = |span: Option<Span>, fault: Fault| {
                RuntimeError::fault(story, scene_id, span, fault)
            };
            let Some(scene) = story.scenes.get(scene_id.index()) else {
                return Err(locate(None, Fault::Malformed("unknown scene")));
            };
            let Some(op) = scene.ops.get(state.pc as usize) else {
                return Err(locate(
                    Some(scene.span),
                    Fault::Malformed("op index out of range"),
                ));
            };
            match op {
                Op::Text {
                    text,
                    tags,
                    span,
                    glue,
                } => {
                    out.executed(*span);
                    self.text_line(story, state, out, (text, tags, *glue))
                        .map_err(|fault| locate(Some(*span), fault))?;
                    state.pc += 1;
                }
                Op::SetLocal {
                    slot,
                    op,
                    value,
                    span,
                } => {
                    out.executed(*span);
                    self.set_local(story, state, *slot, *op, value)
                        .map_err(|fault| locate(Some(*span), fault))?;
                    state.pc += 1;
                }
                Op::Call { target, args, span } => {
                    out.executed(*span);
                    last_span = Some(*span);
                    count_step(story, state, &mut steps, last_span)?;
                    self.call(story, state, (*target, args, *span))?;
                    out.enter(*target);
                }
                Op::Return { span } => {
                    out.executed(*span);
                    let Some(frame) = state.calls.pop() else {
                        return Err(RuntimeError::new(
                            story,
                            scene_id,
                            Some(*span),
                            RuntimeErrorKind::ReturnWithoutCall,
                        ));
                    };
                    state.scene = frame.scene;
                    state.pc = frame.pc;
                    state.locals = frame.locals;
                }
                Op::Assign {
                    var,
                    op,
                    value,
                    span,
                } => {
                    out.executed(*span);
                    self.assign(story, state, *var, *op, value)
                        .map_err(|fault| locate(Some(*span), fault))?;
                    state.pc += 1;
                }
                Op::JumpUnless { condition, target } => {
                    out.executed(condition.span);
                    let holds = self
                        .live_condition(story, state, condition)
                        .map_err(|fault| locate(Some(condition.span), fault))?;
                    if holds {
                        state.pc += 1;
                    } else {
                        jump(story, state, *target, &mut steps, last_span)?;
                    }
                }
                Op::Jump { target } => jump(story, state, *target, &mut steps, last_span)?,
                Op::Assert {
                    condition,
                    message,
                    span,
                } => {
                    out.executed(*span);
                    let holds = self
                        .pure_condition(story, state, condition)
                        .map_err(|fault| locate(Some(condition.span), fault))?;
                    if !holds {
                        let message = match message {
                            Some(message) => story.text(*message).to_string(),
                            // Only a story read back from RON lacks its source.
                            None => match story.source_text(condition.span) {
                                "" => "its condition is false".to_string(),
                                source => source.to_string(),
                            },
                        };
                        return Err(RuntimeError::new(
                            story,
                            scene_id,
                            Some(*span),
                            RuntimeErrorKind::AssertionFailed { message },
                        ));
                    }
                    state.pc += 1;
                }
                Op::Choices { choices, span } => {
                    self.offers.clear();
                    self.guard_draws.clear();
                    let mut fallback = None;
                    for (index, choice) in choices.iter().enumerate() {
                        if !choice.sticky && state.is_taken(choice.id) {
                            continue;
                        }
                        let mut holds = |condition: &Expr| {
                            self.pure_condition(story, state, condition)
                                .map_err(|fault| locate(Some(condition.span), fault))
                        };
                        let shown = match choice.guard.shown() {
                            Some(condition) => holds(condition)?,
                            None => true,
                        };
                        if !shown {
                            continue;
                        }
                        let enabled = match choice.guard.requires() {
                            Some((condition, _)) => holds(condition)?,
                            None => true,
                        };
                        if choice.is_fallback() {
                            if enabled && fallback.is_none() {
                                fallback = Some(choice);
                            }
                            continue;
                        }
                        self.offers.push(Offer {
                            choice: index as u32,
                            enabled,
                        });
                    }
                    if self.offers.iter().any(|offer| offer.enabled) {
                        self.check_invariants(story, state)?;
                        return Ok(Stop::Choices);
                    }
                    let Some(fallback) = fallback else {
                        return Err(RuntimeError::new(
                            story,
                            scene_id,
                            Some(*span),
                            RuntimeErrorKind::NoChoiceAvailable,
                        ));
                    };
                    state
                        .mark_taken(fallback.id)
                        .map_err(|fault| locate(Some(fallback.span), fault))?;
                    out.executed(fallback.span);
                    out.fallback(fallback.id);
                    last_span = Some(fallback.span);
                    count_step(story, state, &mut steps, last_span)?;
                    state.pc = fallback.target;
                }
                Op::Divert { target, span } => {
                    out.executed(*span);
                    last_span = Some(*span);
                    count_step(story, state, &mut steps, last_span)?;
                    let Some(visits) = state.visits.get_mut(target.index()) else {
                        return Err(locate(
                            Some(*span),
                            Fault::Malformed("unknown divert target"),
                        ));
                    };
                    *visits = visits.saturating_add(1);
                    state.scene = *target;
                    state.pc = 0;
                    // A plain divert abandons the tunnel calls under way
                    // (as in ink), and starts the scene's locals afresh.
                    state.calls.clear();
                    state.locals.clear();
                    if let Some(scene) = story.scenes.get(target.index()) {
                        let defaults = scene.locals.iter().map(|local| local.ty.default_value());
                        state.locals.extend(defaults);
                    }
                    out.enter(*target);
                }
                Op::End { span } => {
                    if scene.is_page {
                        // Only `Machine::page` runs a page, on a copy.
                        return Ok(Stop::Ending(scene_id));
                    }
                    if scene.is_ending {
                        self.check_invariants(story, state)?;
                        return Ok(Stop::Ending(scene_id));
                    }
                    return Err(RuntimeError::new(
                        story,
                        scene_id,
                        Some(*span),
                        RuntimeErrorKind::DeadEnd,
                    ));
                }
            }
        }
    }

    /// Checks, purely, every `invariant` of the story in the state it is
    /// about to pause in. A false one is an error located at its
    /// declaration, in the scene the story pauses in.
    fn check_invariants(&mut self, story: &Story, state: &State) -> Result<(), RuntimeError> {
        for invariant in &story.invariants {
            let condition = &invariant.condition;
            let holds = self
                .pure_condition(story, state, condition)
                .map_err(|fault| {
                    RuntimeError::fault(story, state.scene, Some(condition.span), fault)
                })?;
            if !holds {
                let message = story.text(invariant.message).to_string();
                let kind = RuntimeErrorKind::AssertionFailed { message };
                return Err(RuntimeError::new(
                    story,
                    state.scene,
                    Some(invariant.span),
                    kind,
                ));
            }
        }
        Ok(())
    }

    /// Takes choice `choice` (its index in the block, as in [`Offer::choice`])
    /// of the block the state is paused at: marks it taken, counts a turn
    /// and moves to its body. Refused, leaving the state unchanged, when the
    /// choice is not on offer or disabled.
    pub fn choose(
        &mut self,
        story: &Story,
        state: &mut State,
        choice: usize,
    ) -> Result<(), ChooseError> {
        let Some(Op::Choices { choices, .. }) = story
            .scenes
            .get(state.scene.index())
            .and_then(|scene| scene.ops.get(state.pc as usize))
        else {
            return Err(ChooseError::NotAtChoices);
        };
        let picked = choices
            .get(choice)
            .ok_or(ChooseError::NoSuchChoice(choice))?;
        if picked.is_fallback() || (!picked.sticky && state.is_taken(picked.id)) {
            return Err(ChooseError::NotOffered);
        }
        let runtime = |fault, span| {
            ChooseError::Runtime(RuntimeError::fault(story, state.scene, Some(span), fault))
        };
        if let Some(condition) = picked.guard.shown()
            && !self
                .pure_condition(story, state, condition)
                .map_err(|fault| runtime(fault, condition.span))?
        {
            return Err(ChooseError::NotOffered);
        }
        if let Some((condition, reason)) = picked.guard.requires()
            && !self
                .pure_condition(story, state, condition)
                .map_err(|fault| runtime(fault, condition.span))?
        {
            return Err(ChooseError::Disabled(story.text(reason).to_string()));
        }
        let scene = state.scene;
        state.mark_taken(picked.id).map_err(|fault| {
            ChooseError::Runtime(RuntimeError::fault(story, scene, Some(picked.span), fault))
        })?;
        state.turns = state.turns.saturating_add(1);
        state.pc = picked.target;
        Ok(())
    }

    /// A choice's text as shown, evaluated purely (on a copy of the
    /// state). Empty for a fallback.
    pub fn choice_text(
        &mut self,
        story: &Story,
        state: &State,
        choice: usize,
    ) -> Result<String, RuntimeError> {
        let mut scratch = state.clone();
        self.choice_text_in_place(story, &mut scratch, choice)
    }

    /// [`Machine::choice_text`] rendered on `state` itself and undone
    /// afterwards (the counters the text stepped and the generator are put
    /// back), so `state` is as it was, whatever the outcome. The cost is the
    /// text's, not the state's: a witness of a long chain of scenes renders
    /// a choice per step, and copying the state for each was quadratic.
    pub fn choice_text_in_place(
        &mut self,
        story: &Story,
        state: &mut State,
        choice: usize,
    ) -> Result<String, RuntimeError> {
        let Some(Op::Choices { choices, span }) = story
            .scenes
            .get(state.scene.index())
            .and_then(|scene| scene.ops.get(state.pc as usize))
        else {
            return Err(RuntimeError::fault(
                story,
                state.scene,
                None,
                Fault::Malformed("not at a choice block"),
            ));
        };
        let Some(parts) = choices.get(choice).and_then(|found| found.text.as_ref()) else {
            return Ok(String::new());
        };
        let rng = state.rng;
        // A compiled story has no alternatives in a choice's text (E0002),
        // so this stays empty and allocates nothing; a hand-made graph may.
        self.seq_undo = Some(Vec::new());
        let mut text = String::new();
        // Pure: a choice's text never consumes scripted random values.
        let script = self.script.take();
        let rendered = self.render(story, state, parts, Some(&mut text), &mut 0);
        self.script = script;
        for (seq, count) in self.seq_undo.take().unwrap_or_default().into_iter().rev() {
            if let Some(slot) = state.seqs.get_mut(seq as usize) {
                *slot = count;
            }
        }
        state.rng = rng;
        rendered.map_err(|fault| RuntimeError::fault(story, state.scene, Some(*span), fault))?;
        collapse_spaces(&mut text);
        Ok(text.trim().to_string())
    }

    /// A page's paragraphs as they read in this state, evaluated purely on
    /// a copy of it: opening a page takes no turn, counts no visit, steps
    /// no sequence and draws nothing from the generator the game goes on
    /// with. `None` when `page` is not a page.
    pub fn page(
        &mut self,
        story: &Story,
        state: &State,
        page: SceneId,
    ) -> Option<Result<PageText, RuntimeError>> {
        if !story.scenes.get(page.index())?.is_page {
            return None;
        }
        let mut scratch = state.clone();
        scratch.scene = page;
        scratch.pc = 0;
        scratch.locals = fresh_locals(story, page);
        scratch.calls.clear();
        let mut collected = Paragraphs(Vec::new());
        // Pure: a page never consumes scripted random values.
        let script = self.script.take();
        let ran = self.run(story, &mut scratch, &mut collected).map(|_| ());
        self.script = script;
        Some(ran.map(|()| collected.0))
    }

    /// Evaluates an expression against a state, purely: random draws use a
    /// copy of the generator, so the state is never changed. For story
    /// tests' `expect <condition>` and `set name = expr`.
    pub fn evaluate(
        &mut self,
        story: &Story,
        state: &State,
        expr: &crate::graph::Expr,
    ) -> Result<Value, RuntimeError> {
        let mut rng = state.rng;
        evaluate(
            Context {
                story,
                externs: &self.externs,
                calls: &self.calls,
            },
            state,
            &mut rng,
            None,
            &mut self.stack,
            story.code(expr),
        )
        .map_err(|fault| RuntimeError::fault(story, state.scene, Some(expr.span), fault))
    }

    /// Evaluates for real, in a line, logic or a condition: `random()`
    /// advances the state's generator (or takes a scripted value).
    fn live_value(
        &mut self,
        story: &Story,
        state: &mut State,
        expr: &crate::graph::Expr,
    ) -> Result<Value, Fault> {
        let mut rng = state.rng;
        let code = story.code(expr);
        let context = Context {
            story,
            externs: &self.externs,
            calls: &self.calls,
        };
        let value = evaluate(
            context,
            state,
            &mut rng,
            self.script.as_mut(),
            &mut self.stack,
            code,
        );
        state.rng = rng;
        value
    }

    fn live_condition(
        &mut self,
        story: &Story,
        state: &mut State,
        condition: &crate::graph::Expr,
    ) -> Result<bool, Fault> {
        match self.live_value(story, state, condition)? {
            Value::Bool(flag) => Ok(flag),
            _ => Err(Fault::Malformed("a condition that is not a bool")),
        }
    }

    fn pure_condition(
        &mut self,
        story: &Story,
        state: &State,
        condition: &crate::graph::Expr,
    ) -> Result<bool, Fault> {
        let mut rng = state.rng;
        let code = story.code(condition);
        let context = Context {
            story,
            externs: &self.externs,
            calls: &self.calls,
        };
        if self.script_guards
            && let Some(script) = self.script.as_mut()
            && code
                .iter()
                .any(|instr| matches!(instr, crate::graph::Instr::Random))
        {
            // Scripted, once per guard per offering: the explorer branches
            // over what a guard can draw, and `choose` must see what `run`
            // saw, as it does in play (both draw from the same generator).
            let key = code.as_ptr() as usize;
            if let Some((_, values)) = self.guard_draws.iter().find(|(k, _)| *k == key) {
                let mut replay = RandomScript {
                    values: values.clone(),
                    draws: Vec::new(),
                };
                return evaluate_bool(
                    context,
                    state,
                    &mut rng,
                    Some(&mut replay),
                    &mut self.stack,
                    code,
                );
            }
            let first = script.draws.len();
            let holds = evaluate_bool(
                context,
                state,
                &mut rng,
                Some(&mut *script),
                &mut self.stack,
                code,
            );
            let values = (first..script.draws.len())
                .map(|index| script.value_at(index))
                .collect();
            self.guard_draws.push((key, values));
            return holds;
        }
        evaluate_bool(context, state, &mut rng, None, &mut self.stack, code)
    }

    fn assign(
        &mut self,
        story: &Story,
        state: &mut State,
        var: crate::graph::VarId,
        op: AssignOp,
        expr: &crate::graph::Expr,
    ) -> Result<(), Fault> {
        let value = self.live_value(story, state, expr)?;
        let slot = state
            .vars
            .get_mut(var.index())
            .ok_or(Fault::Malformed("unknown variable"))?;
        *slot = assigned(slot, op, value)?;
        Ok(())
    }

    /// Renders parts into `out`, or only performs their effects (counters,
    /// random draws, errors) when `out` is `None`. `length` counts the bytes
    /// rendered so far, with or without `out`, so a paragraph over
    /// [`MAX_PARAGRAPH_LEN`] is the same error whether or not text is wanted.
    fn render(
        &mut self,
        story: &Story,
        state: &mut State,
        parts: &[Part],
        mut out: Option<&mut String>,
        length: &mut usize,
    ) -> Result<(), Fault> {
        for part in parts {
            match part {
                Part::Literal(literal) => {
                    grow(length, story.text(*literal).len())?;
                    if let Some(out) = out.as_deref_mut() {
                        out.push_str(story.text(*literal));
                    }
                }
                Part::Value(expr) => {
                    let value = self.live_value(story, state, expr)?;
                    grow(length, display_len(story, &value, expr.ty))?;
                    if let Some(out) = out.as_deref_mut() {
                        display(story, &value, expr.ty, out)?;
                    }
                }
                Part::Conditional(conditional) => {
                    let holds = self.live_condition(story, state, &conditional.condition)?;
                    let branch = if holds {
                        &conditional.then
                    } else {
                        &conditional.otherwise
                    };
                    self.render(story, state, branch, out.as_deref_mut(), length)?;
                }
                Part::Alternatives(alternatives) => {
                    let Alternatives { kind, seq, options } = &**alternatives;
                    let count = *state
                        .seqs
                        .get(seq.index())
                        .ok_or(Fault::Malformed("unknown alternatives counter"))?;
                    let n = options.len();
                    let pick = match kind {
                        _ if n == 0 => None,
                        AltKind::Sequence => Some((count as usize).min(n - 1)),
                        AltKind::Cycle => Some(count as usize % n),
                        AltKind::Once => Some(count as usize).filter(|&index| index < n),
                        AltKind::Shuffle => match self.script.as_mut() {
                            Some(script)
                                if self.script_shuffles.get(seq.index()).copied() == Some(true) =>
                            {
                                Some(script.draw(0, n as i64 - 1) as usize)
                            }
                            _ => Some(random_below(&mut state.rng, n as u64) as usize),
                        },
                    };
                    if let Some(undo) = self.seq_undo.as_mut() {
                        undo.push((seq.0, count));
                    }
                    if let Some(counter) = state.seqs.get_mut(seq.index()) {
                        *counter = counter.saturating_add(1);
                    }
                    if let Some(option) = pick.and_then(|index| options.get(index)) {
                        self.render(story, state, option, out.as_deref_mut(), length)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// What `slot op value` makes of a slot: `value` for `=`, the sum or
/// difference for `+=` and `-=`; a value of another type is malformed.
fn assigned(slot: &Value, op: AssignOp, value: Value) -> Result<Value, Fault> {
    let new = match op {
        AssignOp::Set => value,
        AssignOp::Add => binary(crate::ast::BinaryOp::Add, slot.clone(), value)?,
        AssignOp::Sub => binary(crate::ast::BinaryOp::Sub, slot.clone(), value)?,
    };
    if std::mem::discriminant(&new) != std::mem::discriminant(slot) {
        return Err(Fault::Malformed("assigning a value of another type"));
    }
    Ok(new)
}

/// Counts `more` bytes into a paragraph's `length`, refusing to pass
/// [`MAX_PARAGRAPH_LEN`].
fn grow(length: &mut usize, more: usize) -> Result<(), Fault> {
    *length = length.saturating_add(more);
    if *length > MAX_PARAGRAPH_LEN {
        return Err(Fault::TextTooLong);
    }
    Ok(())
}

/// Turns runs of spaces into one, so markup that renders nothing (an
/// exhausted `{!…}`, a false `{c: …}`) leaves no double space behind.
fn collapse_spaces(text: &mut String) {
    if text.contains("  ") {
        let mut previous = '\0';
        text.retain(|c| {
            let keep = !(c == ' ' && previous == ' ');
            previous = c;
            keep
        });
    }
}

/// Moves the pc to `target`, counting a backward jump as a step (forward
/// jumps cannot loop).
fn jump(
    story: &Story,
    state: &mut State,
    target: u32,
    steps: &mut u32,
    last_span: Option<Span>,
) -> Result<(), RuntimeError> {
    if target <= state.pc {
        count_step(story, state, steps, last_span)?;
    }
    state.pc = target;
    Ok(())
}

fn count_step(
    story: &Story,
    state: &State,
    steps: &mut u32,
    span: Option<Span>,
) -> Result<(), RuntimeError> {
    *steps += 1;
    if *steps > STEP_LIMIT {
        return Err(RuntimeError::new(
            story,
            state.scene,
            span,
            RuntimeErrorKind::Loop,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
