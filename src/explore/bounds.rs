//! The abstraction that makes exploration finite, and the argument that it
//! is sound (docs/EXPLORE.md, "Why the abstraction is sound").
//!
//! A value is *kept* in the explorer's states only when it can reach
//! control flow: a condition, a guard, a `[requires]`, an assertion, an
//! assignment to a kept variable, or an operation that can fail (integer
//! overflow, division by zero, a bad `random` range). Everything else —
//! `{gold}` only shown, `{turns}` in text, a `{a|b|c}` that only prints —
//! is reset in every stored state, because no playthrough's choices,
//! endings or errors depend on it.
//!
//! Kept counters that only ever meet constants in comparisons are saturated
//! one above the largest such constant, which preserves the value of every
//! comparison they appear in. Kept alternatives counters are reduced to the
//! option they select next (a sequence stops at its last option, a cycle
//! wraps, a once-only runs out), which is all that `render` reads of them.
//!
//! Tunnel parameters, temporaries and the calls under way are kept whole in
//! every state (`store.rs`), so whatever flows into a local (a `~ temp`
//! value, a reassignment, a call's argument) is observed: a variable read
//! there is kept, or a stored state would forget what a local was made of.

use crate::graph::{
    AltKind, Alternatives, AssignOp, BinaryOp, Expr, Instr, Op, Part, SceneId, Story, Type,
    UnaryOp, VarId, longest_display,
};
use crate::runtime::{MAX_PARAGRAPH_LEN, STEP_LIMIT};

/// How far each counter matters. `None` means the counter is used in a way
/// the abstraction cannot bound (arithmetic, a comparison with a variable),
/// so it is kept exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    /// Per scene: saturate `visits(scene)` at this value (0: not kept).
    pub visits: Vec<Option<u32>>,
    /// Saturate `turns` at this value (0: not kept).
    pub turns: Option<u32>,
    /// Whether the story calls `random()` anywhere.
    pub uses_random: bool,
    /// Whether a choice guard (or another purely evaluated condition) calls
    /// `random()`: then the values it draws are branched over at every
    /// choice block (see `search.rs`).
    pub guards_use_random: bool,
    /// Per variable: whether its value is kept in the explored states.
    pub vars: Vec<bool>,
    /// Int variables that are only shown and only ever moved by constants
    /// (`~ gold += 1`): not kept, because no overflow can come of them
    /// within `PLAYTHROUGH_CHOICES` choices (see `ACCUMULATOR_LIMIT`).
    pub accumulators: Vec<VarId>,
    /// Per alternatives counter: how it is kept.
    pub seqs: Vec<SeqUse>,
    /// Choices whose text can fail when it is shown (`* Pay {10 / z}`): the
    /// explorer renders them at every state that offers them.
    pub fallible_choice_texts: Vec<bool>,
    /// The pages whose text can fail (`Share: {100 / n}%`): the explorer
    /// reads each at every state it stores, as a player could. A list, not
    /// a flag per scene: scanning every scene per state made a long story
    /// quadratic.
    pub fallible_pages: Vec<SceneId>,
    /// Per choice: whether an expression that reaches control flow reads
    /// `taken()` of it. Its taken bit is then kept in every state, sticky
    /// or once-only, in any scene; otherwise only a once-only choice that
    /// can be offered again needs it (see `store.rs`).
    pub taken_read: Vec<bool>,
}

/// How an alternatives counter is kept in explored states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqUse {
    /// Its options only print text: reset to zero.
    Ignored,
    /// Kept as the option it selects next, out of `options`.
    Kept {
        /// How the counter moves.
        kind: AltKind,
        /// How many options it selects among.
        options: u32,
    },
}

/// The proof covers playthroughs of up to this many choices (the range of
/// the runtime's turn counter). It only matters for accumulators.
pub const PLAYTHROUGH_CHOICES: u64 = u32::MAX as u64;

/// An int only shown and only moved by constants is left out of the state
/// when `|initial| + runs × executions × step` stays below this, where one
/// run executes each line at most `STEP_LIMIT + 1` times: no overflow within
/// [`PLAYTHROUGH_CHOICES`] choices.
pub const ACCUMULATOR_LIMIT: i128 = i64::MAX as i128;

#[derive(Clone, Copy)]
enum Counter {
    Visits(SceneId),
    Turns,
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

    /// Variables that are not part of the explored state, by name.
    pub fn untracked_vars(&self, story: &Story) -> Vec<String> {
        story
            .vars
            .iter()
            .zip(&self.vars)
            .filter(|(_, kept)| !**kept)
            .map(|(var, _)| var.name.clone())
            .collect()
    }
}

/// Which parts of the state matter, for every counter and variable of a
/// story.
pub fn bounds(story: &Story) -> Bounds {
    let mut analysis = Analysis {
        story,
        bounds: Bounds {
            visits: vec![Some(0); story.scenes.len()],
            turns: Some(0),
            uses_random: story
                .code
                .iter()
                .any(|instr| matches!(instr, Instr::Random)),
            guards_use_random: false,
            vars: vec![false; story.vars.len()],
            accumulators: Vec::new(),
            seqs: vec![SeqUse::Ignored; story.seq_count as usize],
            fallible_choice_texts: vec![false; story.choice_count as usize],
            fallible_pages: Vec::new(),
            taken_read: vec![false; story.choice_count as usize],
        },
        glue: has_glue(story),
        changed: false,
    };
    let accumulators = accumulator_candidates(story);
    // Kept variables make the expressions assigned to them observed, which
    // can keep more variables: iterate to the fixed point (at most one
    // round per variable).
    loop {
        analysis.changed = false;
        analysis.scan_story(&accumulators);
        if !analysis.changed {
            break;
        }
    }
    let mut bounds = analysis.bounds;
    // Each round of the fixed point found the same pages again.
    bounds.fallible_pages.sort_unstable();
    bounds.fallible_pages.dedup();
    // A shuffle that picks among options that can fail is branched over
    // like a `random()`, and replayed with a seed like one.
    bounds.uses_random |= bounds.seqs.iter().any(|usage| {
        matches!(
            usage,
            SeqUse::Kept {
                kind: AltKind::Shuffle,
                ..
            }
        )
    });
    bounds.accumulators = accumulators
        .iter()
        .enumerate()
        .filter(|(index, candidate)| candidate.is_some() && !bounds.vars[*index])
        .map(|(index, _)| VarId(index as u32))
        .collect();
    bounds
}

struct Analysis<'s> {
    story: &'s Story,
    bounds: Bounds,
    /// Whether any text ends in glue (see [`may_overflow`]).
    glue: bool,
    changed: bool,
}

impl Analysis<'_> {
    fn scan_story(&mut self, accumulators: &[Option<i128>]) {
        let story = self.story;
        for invariant in &story.invariants {
            self.pure(&invariant.condition);
        }
        for (index, scene) in story.scenes.iter().enumerate() {
            if scene.is_page {
                self.page(index, scene);
                continue;
            }
            for op in &scene.ops {
                match op {
                    Op::Text { text, .. } => self.paragraph(text),
                    Op::Assign { var, op, value, .. } => {
                        let kept = self.bounds.vars.get(var.index()).copied().unwrap_or(true);
                        let is_accumulator =
                            accumulators.get(var.index()).is_some_and(Option::is_some);
                        if kept || (can_fail(story.code(value)) && !is_accumulator) {
                            self.observe(value);
                        }
                        // `+=` and `-=` can overflow: the variable's own value
                        // decides, unless it is an accumulator that cannot.
                        let arithmetic = matches!(op, AssignOp::Add | AssignOp::Sub)
                            || reads_itself_in_arithmetic(story.code(value), *var);
                        if arithmetic && !is_accumulator {
                            self.keep_var(*var);
                        }
                    }
                    Op::JumpUnless { condition, .. } => self.observe(condition),
                    // Assertions are evaluated purely, like guards: a draw in
                    // one is branched over the same way.
                    Op::Assert { condition, .. } => self.pure(condition),
                    Op::Choices { choices, .. } => {
                        for choice in choices.iter() {
                            for condition in choice.guard.conditions() {
                                self.pure(condition);
                            }
                            if let Some(text) = &choice.text
                                && (self.has_effect(text)
                                    || may_overflow(self.story, self.glue, text))
                            {
                                if let Some(flag) =
                                    self.bounds.fallible_choice_texts.get_mut(choice.id.index())
                                {
                                    *flag = true;
                                }
                                self.paragraph(text);
                            }
                        }
                    }
                    // Locals are kept whole in explored states (see
                    // docs/EXPLORE.md), so what flows into one is observed.
                    Op::SetLocal { value, .. } => self.observe(value),
                    Op::Call { args, .. } => {
                        for arg in args.iter() {
                            self.observe(arg);
                        }
                    }
                    Op::Jump { .. } | Op::Divert { .. } | Op::Return { .. } | Op::End { .. } => {}
                }
            }
        }
    }

    /// A condition evaluated purely (a guard, an assertion, an invariant):
    /// observed, and a `random()` in it is branched over at every offering.
    fn pure(&mut self, condition: &Expr) {
        if self
            .story
            .reachable_code(self.story.code(condition))
            .iter()
            .flat_map(|code| code.iter())
            .any(|instr| matches!(instr, Instr::Random))
        {
            self.bounds.guards_use_random = true;
        }
        self.observe(condition);
    }

    /// A page changes nothing, so it matters only where it can fail: then
    /// its text, and the conditions that choose its text, are observed.
    fn page(&mut self, index: usize, page: &crate::graph::Scene) {
        let code = |expr: &Expr| can_fail(self.story.code(expr));
        let fallible = page.ops.iter().any(|op| match op {
            Op::Text { text, .. } => {
                self.has_effect(text) || may_overflow(self.story, self.glue, text)
            }
            Op::JumpUnless { condition, .. } => code(condition),
            Op::Assert { condition, .. } => code(condition),
            Op::SetLocal { value, .. } => code(value),
            _ => false,
        });
        if !fallible {
            return;
        }
        self.bounds.fallible_pages.push(SceneId(index as u32));
        for op in &page.ops {
            match op {
                Op::Text { text, .. } => self.paragraph(text),
                Op::JumpUnless { condition, .. } => self.observe(condition),
                Op::Assert { condition, .. } => self.pure(condition),
                Op::SetLocal { value, .. } => self.observe(value),
                _ => {}
            }
        }
    }

    /// A paragraph (or a choice's text): what can fail in it, and, where
    /// its length can pass the runtime's limit, everything that decides
    /// its length (see [`may_overflow`]).
    fn paragraph(&mut self, parts: &[Part]) {
        if may_overflow(self.story, self.glue, parts) {
            self.observe_length(parts);
        }
        self.text(parts);
    }

    /// Every value shown in `parts`, every condition choosing between them
    /// and the sequence of every alternative: what a paragraph's length is
    /// made of.
    fn observe_length(&mut self, parts: &[Part]) {
        for part in parts {
            match part {
                Part::Literal(_) => {}
                Part::Value(expr) => self.observe(expr),
                Part::Conditional(conditional) => {
                    self.observe(&conditional.condition);
                    self.observe_length(&conditional.then);
                    self.observe_length(&conditional.otherwise);
                }
                Part::Alternatives(alternatives) => {
                    self.keep_seq(alternatives);
                    for option in alternatives.options.iter() {
                        self.observe_length(option);
                    }
                }
            }
        }
    }

    fn keep_seq(&mut self, alternatives: &Alternatives) {
        let Alternatives { kind, seq, options } = alternatives;
        if let Some(slot) = self.bounds.seqs.get_mut(seq.index()) {
            if *slot == SeqUse::Ignored {
                self.changed = true;
            }
            *slot = SeqUse::Kept {
                kind: *kind,
                options: options.len() as u32,
            };
        }
    }

    /// Text: only what can fail, and what decides whether it runs, matters.
    fn text(&mut self, parts: &[Part]) {
        for part in parts {
            match part {
                Part::Literal(_) => {}
                Part::Value(expr) => {
                    if can_fail(self.story.code(expr)) {
                        self.observe(expr);
                    }
                }
                Part::Conditional(conditional) => {
                    if can_fail(self.story.code(&conditional.condition))
                        || self.has_effect(&conditional.then)
                        || self.has_effect(&conditional.otherwise)
                    {
                        self.observe(&conditional.condition);
                    }
                    self.text(&conditional.then);
                    self.text(&conditional.otherwise);
                }
                Part::Alternatives(alternatives) => {
                    if alternatives
                        .options
                        .iter()
                        .any(|option| self.has_effect(option))
                    {
                        self.keep_seq(alternatives);
                    }
                    for option in alternatives.options.iter() {
                        self.text(option);
                    }
                }
            }
        }
    }

    /// Whether running these parts can fail.
    fn has_effect(&self, parts: &[Part]) -> bool {
        text_can_fail(self.story, parts)
    }

    fn keep_var(&mut self, var: VarId) {
        if let Some(kept) = self.bounds.vars.get_mut(var.index())
            && !*kept
        {
            *kept = true;
            self.changed = true;
        }
    }

    /// An expression whose value reaches control flow: every variable it
    /// reads is kept, and every counter it reads is bounded by how it is
    /// compared. What a function it calls reads (directly or through other
    /// functions) is read by the expression: a function's value reaches
    /// control flow wherever the call's does.
    fn observe(&mut self, expr: &Expr) {
        let story = self.story;
        for code in story.reachable_code(story.code(expr)) {
            self.observe_code(code);
        }
    }

    fn observe_code(&mut self, code: &[Instr]) {
        for (index, instr) in code.iter().enumerate() {
            let counter = match instr {
                Instr::Load(var) => {
                    self.keep_var(*var);
                    continue;
                }
                Instr::Taken(choice) => {
                    if let Some(read) = self.bounds.taken_read.get_mut(choice.index())
                        && !*read
                    {
                        *read = true;
                        self.changed = true;
                    }
                    continue;
                }
                Instr::Visits(scene) => Counter::Visits(*scene),
                Instr::Turns => Counter::Turns,
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
                Counter::Visits(scene) => self.bounds.visits.get_mut(scene.index()),
                Counter::Turns => Some(&mut self.bounds.turns),
            };
            let Some(slot) = slot else { continue };
            let new = match (*slot, compared) {
                (Some(current), Some(constant)) => {
                    let needed = constant.saturating_add(1).clamp(0, i64::from(u32::MAX)) as u32;
                    Some(current.max(needed))
                }
                _ => None,
            };
            if new != *slot {
                *slot = new;
                self.changed = true;
            }
        }
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
    )
}

/// Whether evaluating this code can fail at run time: arithmetic (overflow,
/// division by zero; `+` on text can exceed the text limit), negation, a
/// `random` whose bounds are not constants in order, or a call (which can
/// nest too deep, fail in its body, or reach an extern with no body).
pub fn can_fail(code: &[Instr]) -> bool {
    code.iter().enumerate().any(|(index, instr)| match instr {
        Instr::Call(_) => true,
        Instr::Binary(op) => matches!(
            op,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem
        ),
        Instr::Unary(UnaryOp::Neg) => true,
        Instr::Random => !matches!(
            (index.checked_sub(2).map(|i| &code[i]), index.checked_sub(1).map(|i| &code[i])),
            (Some(Instr::Int(lo)), Some(Instr::Int(hi))) if lo <= hi
        ),
        _ => false,
    })
}

/// Whether running these parts can fail: a value or condition whose code
/// can ([`can_fail`]), in any branch or option.
pub(super) fn text_can_fail(story: &Story, parts: &[Part]) -> bool {
    parts.iter().any(|part| match part {
        Part::Literal(_) => false,
        Part::Value(expr) => can_fail(story.code(expr)),
        Part::Conditional(conditional) => {
            can_fail(story.code(&conditional.condition))
                || text_can_fail(story, &conditional.then)
                || text_can_fail(story, &conditional.otherwise)
        }
        Part::Alternatives(alternatives) => alternatives
            .options
            .iter()
            .any(|option| text_can_fail(story, option)),
    })
}

/// Whether any text of the story ends in glue (`<>`).
pub(super) fn has_glue(story: &Story) -> bool {
    story.scenes.iter().any(|scene| {
        scene
            .ops
            .iter()
            .any(|op| matches!(op, Op::Text { glue: true, .. }))
    })
}

/// Whether a paragraph of `parts` can pass the runtime's limit
/// ([`MAX_PARAGRAPH_LEN`]) with values the search did not keep: the search
/// renders a stored state's text with the values it kept, so a value it
/// drops as "only shown" must not be able to make the difference between
/// a paragraph that fits and one that fails. Without glue a paragraph is
/// one text, and its longest rendering (every value at its type's longest,
/// [`longest_display`]; the longer side of every condition) decides; glue
/// can join any number of texts, so in a story with glue any shown value
/// counts.
pub(super) fn may_overflow(story: &Story, glue: bool, parts: &[Part]) -> bool {
    if glue {
        return shows_values(parts);
    }
    longest(story, parts) > MAX_PARAGRAPH_LEN
}

fn shows_values(parts: &[Part]) -> bool {
    parts.iter().any(|part| match part {
        Part::Literal(_) => false,
        Part::Value(_) => true,
        Part::Conditional(conditional) => {
            shows_values(&conditional.then) || shows_values(&conditional.otherwise)
        }
        Part::Alternatives(alternatives) => alternatives.options.iter().any(|o| shows_values(o)),
    })
}

/// The most bytes `parts` can render.
fn longest(story: &Story, parts: &[Part]) -> usize {
    parts
        .iter()
        .map(|part| match part {
            Part::Literal(literal) => literal.len as usize,
            Part::Value(expr) => longest_display(story, expr.ty),
            Part::Conditional(conditional) => {
                longest(story, &conditional.then).max(longest(story, &conditional.otherwise))
            }
            Part::Alternatives(alternatives) => alternatives
                .options
                .iter()
                .map(|option| longest(story, option))
                .max()
                .unwrap_or(0),
        })
        .fold(0, usize::saturating_add)
}

/// `x = x + …` (or any arithmetic over `x`'s own value).
fn reads_itself_in_arithmetic(code: &[Instr], var: VarId) -> bool {
    code.iter()
        .any(|instr| matches!(instr, Instr::Load(own) if *own == var))
        && can_fail(code)
}

/// Per variable: `Some(largest step)` for an int whose every assignment is
/// `= constant`, `+= constant`, `-= constant` or `= x ± constant`, and
/// whose possible growth within [`PLAYTHROUGH_CHOICES`] choices cannot
/// overflow; `None` otherwise. Whether it is only shown is decided later.
fn accumulator_candidates(story: &Story) -> Vec<Option<i128>> {
    #[derive(Clone, Copy)]
    struct Growth {
        largest_constant: i128,
        step_total: i128,
        ok: bool,
    }
    let mut growth: Vec<Growth> = story
        .vars
        .iter()
        .map(|var| Growth {
            largest_constant: match var.initial {
                crate::graph::Value::Int(number) => i128::from(number).abs(),
                _ => 0,
            },
            step_total: 0,
            ok: var.ty == Type::Int,
        })
        .collect();
    for scene in &story.scenes {
        for op in &scene.ops {
            let Op::Assign { var, op, value, .. } = op else {
                continue;
            };
            let Some(entry) = growth.get_mut(var.index()) else {
                continue;
            };
            let code = story.code(value);
            match (op, code) {
                (AssignOp::Set, [Instr::Int(constant)]) => {
                    entry.largest_constant =
                        entry.largest_constant.max(i128::from(*constant).abs());
                }
                (AssignOp::Add | AssignOp::Sub, [Instr::Int(step)]) => {
                    entry.step_total += i128::from(*step).abs();
                }
                (
                    AssignOp::Set,
                    [
                        Instr::Load(own),
                        Instr::Int(step),
                        Instr::Binary(BinaryOp::Add | BinaryOp::Sub),
                    ],
                )
                | (
                    AssignOp::Set,
                    [
                        Instr::Int(step),
                        Instr::Load(own),
                        Instr::Binary(BinaryOp::Add),
                    ],
                ) if own == var => {
                    entry.step_total += i128::from(*step).abs();
                }
                _ => entry.ok = false,
            }
        }
    }
    let runs = i128::from(PLAYTHROUGH_CHOICES) + 1;
    let per_run = i128::from(STEP_LIMIT) + 1;
    growth
        .into_iter()
        .map(|entry| {
            let reach = entry.largest_constant + runs * per_run * entry.step_total;
            (entry.ok && reach < ACCUMULATOR_LIMIT).then_some(entry.step_total)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(text: &str) -> Story {
        let mut read = |_: &std::path::Path| Ok(text.as_bytes().to_vec());
        crate::compile::compile(std::path::Path::new("s.fab"), &mut read)
            .unwrap()
            .story
            .expect("compiles")
    }

    #[test]
    fn counters_compared_with_constants_are_bounded() {
        let story = story(
            "title: T\n== hub\n{visits(hub) > 3: Again.|First.}\n+ {visits(hub) > 3} Rest -> hub\n+ {turns < 10} Wait -> hub\n* {2 <= visits(other)} Leave -> other\n* -> other\n== other\n{visits(other) * 2}\n-> ending end\n== ending end\nDone.\n",
        );
        let found = bounds(&story);
        assert_eq!(found.visits[0], Some(4));
        assert_eq!(found.visits[1], None, "in arithmetic that can overflow");
        assert_eq!(found.visits[2], Some(0), "never read");
        assert_eq!(found.turns, Some(11));
        assert!(!found.uses_random);
    }

    #[test]
    fn values_only_shown_are_not_kept() {
        let story = story(
            "title: T\nvar gold = 0\nvar name = \"x\"\nvar flag = false\n== hub\n~ gold += 1\n~ flag = true\nYou have {gold}, {name}, turn {turns}, visit {visits(hub)}. {a|b|c}\n+ Again -> hub\n+ Stop -> ending end\n== ending end\nDone.\n",
        );
        let found = bounds(&story);
        assert_eq!(found.vars, vec![false, false, false]);
        assert_eq!(found.accumulators, vec![VarId(0)]);
        assert_eq!(found.visits[0], Some(0));
        assert_eq!(found.turns, Some(0));
        assert_eq!(found.seqs, vec![SeqUse::Ignored]);
    }

    #[test]
    fn values_that_reach_control_flow_are_kept() {
        let story = story(
            "title: T\nvar gold = 0\nvar bank = 0\nvar z = 0\nvar w = 1\n== hub\n~ bank = gold * 2\n~ gold = gold * 3\n{first|{10 / z}}\n{w > 0: {1 / z}|}\n+ {bank > 3} Again -> hub\n+ Stop -> ending end\n== ending end\nDone.\n",
        );
        let found = bounds(&story);
        assert_eq!(found.vars, vec![true, true, true, true]);
        assert!(found.accumulators.is_empty());
        assert!(matches!(found.seqs[0], SeqUse::Kept { options: 2, .. }));
    }

    #[test]
    fn random_in_a_guard_is_noticed() {
        let story = story(
            "title: T\n== a\n* {random(1, 2) == 2} Go -> ending b\n* Stay -> ending b\n== ending b\nB.\n",
        );
        let found = bounds(&story);
        assert!(found.uses_random && found.guards_use_random);
    }
}
