//! The narrative graph: a whole story with every name resolved to a typed id.
//!
//! Scenes are nodes in a `Vec` addressed by [`SceneId`]; each holds its lines
//! compiled to a flat list of [`Op`]s, so running a scene is a loop over a
//! program counter and choices and diverts are the graph's guarded edges
//! ([`Story::edges`]). Expressions are compiled to postfix [`Instr`] code.
//! This is what the checker's graph passes, the runtime and the explorer
//! consume, and what `fabula compile --emit ron` writes.

mod arena;
mod build;
mod declare;
mod eval;
mod load;
mod lower;
mod opening;
mod parts;
mod scene_names;
mod story;
mod suggest;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use crate::ast::{AltKind, AssignOp, BinaryOp, ChoiceExpectation, ChoiceRef, Tag, UnaryOp};
use crate::diagnostic::{SourceMap, Span};

/// What the player can type besides a choice's number, aliases included:
/// a page may not take one of these ids (`E0310`). The REPL's command
/// table is checked against this list by its tests.
pub const PLAYER_COMMANDS: &[&str] = &[
    "help", "?", "save", "load", "saves", "undo", "restart", "history", "about", "endings", "quit",
    "exit",
];
pub(crate) use build::PARALLEL_LINES;
pub(crate) use build::build;
pub(crate) use declare::{Declared, declare};
pub use eval::MAX_TEXT_LEN;
pub(crate) use eval::{Env, Fault, binary, display, display_len, longest_display, run};
pub use load::normalize;
pub(crate) use load::{load, load_with};
#[cfg(test)]
pub(crate) use opening::MAX_OPENING_SCENES;
pub(crate) use opening::lower_opening;
pub use parts::Parts;
pub(crate) use suggest::did_you_mean;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u32);

        impl $name {
            /// The id as an index into its table.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// A scene or ending: an index into [`Story::scenes`].
    SceneId
);
id_type!(
    /// A variable: an index into [`Story::vars`].
    VarId
);
id_type!(
    /// An enum: an index into [`Story::enums`].
    EnumId
);
id_type!(
    /// A function: an index into [`Story::functions`].
    FnId
);
id_type!(
    /// A choice, numbered across the whole story (once-only choices are
    /// remembered by it).
    ChoiceId
);
id_type!(
    /// An alternatives markup (`{a|b}`, `{&…}`, `{!…}`, `{~…}`), numbered
    /// across the whole story; its counter is part of the game state.
    SeqId
);

/// A compiled story.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Story {
    /// `title:`; the entry file's name, without its extension, when none is
    /// written.
    pub title: String,
    /// `author:`
    pub author: Option<String>,
    /// The `about:` lines, in order.
    pub about: Vec<String>,
    /// Where a new game starts: `start:`, or the entry file's first scene.
    pub start: SceneId,
    /// Every scene, ending and page, addressed by [`SceneId`].
    pub scenes: Vec<Scene>,
    /// Every variable, addressed by [`VarId`].
    pub vars: Vec<Var>,
    /// Every enum, addressed by [`EnumId`].
    pub enums: Vec<Enum>,
    /// The story's functions (`fn` and `extern fn`), called by
    /// [`Instr::Call`].
    #[serde(default)]
    pub functions: Vec<Function>,
    /// How many [`ChoiceId`]s exist.
    pub choice_count: u32,
    /// How many [`SeqId`]s exist.
    pub seq_count: u32,
    /// The `invariant` declarations: conditions that must hold whenever
    /// the story pauses (at a choice block that offers something, and at
    /// an ending).
    pub invariants: Vec<Invariant>,
    /// The author's playthrough tests (`test "name":` blocks).
    pub tests: Vec<Test>,
    /// Every literal text and refusal reason, one after another; parts of
    /// the graph address it with a [`TextRange`] (see [`Story::text`]). One
    /// string instead of one allocation per literal keeps a big story's
    /// graph small (docs/PERFORMANCE.md). Written out as one string.
    pub(crate) text: arena::TextArena,
    /// Every expression's code, one after another; an [`Expr`] addresses
    /// its own with a [`CodeRange`] (see [`Story::code`]).
    pub(crate) code: arena::CodeArena,
    /// The files the story came from, for locating spans in runtime errors.
    #[serde(skip)]
    pub sources: Arc<SourceMap>,
    /// The lines that did not parse, each with the scene it was in.
    #[serde(skip)]
    pub broken: Vec<(Option<SceneId>, crate::ast::Broken)>,
}

/// The static type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Type {
    /// `int`: a 64-bit signed integer.
    Int,
    /// `bool`
    Bool,
    /// `text`
    Text,
    /// A value of the enum.
    Enum(EnumId),
    /// `set of` the enum: any subset of its values.
    Set(EnumId),
}

/// A runtime value. Enum values are variant indices; sets are bitsets over
/// variant indices (an enum used in a set has at most 64 values).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Value {
    /// An `int`.
    Int(i64),
    /// A `bool`.
    Bool(bool),
    /// A `text`.
    Text(Arc<str>),
    /// An enum value: its index in [`Enum::variants`].
    Enum(u32),
    /// A set: bit `i` set when the enum's value `i` is in it.
    Set(u64),
}

/// A story variable: part of the game state, saved, set by `~` lines.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Var {
    /// The name the story, tests and the host use.
    pub name: String,
    /// Its type, fixed at declaration.
    pub ty: Type,
    /// Its value when a game starts.
    pub initial: Value,
    /// The `var` line.
    pub span: Span,
}

/// An `enum` declaration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enum {
    /// The enum's name, used in `set of` types.
    pub name: String,
    /// The values' identifiers, as written in the story, saves and tests.
    pub variants: Vec<String>,
    /// Per value, the text it shows as in prose (`zinoviev "Zinoviev"`);
    /// its identifier when none is written.
    #[serde(default)]
    pub display: Vec<String>,
}

impl Enum {
    /// The text value `index` shows as: its display text, or its identifier.
    pub fn shown(&self, index: usize) -> Option<&str> {
        self.display
            .get(index)
            .or_else(|| self.variants.get(index))
            .map(String::as_str)
    }
}

/// `fn name(params) -> type:` compiled: its body is code in
/// [`Story::code`] over local slots (the parameters, then the `temp`s),
/// ending every path in [`Instr::Return`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Function {
    /// The name calls use.
    pub name: String,
    /// The parameters' types, in order.
    pub params: Vec<Type>,
    /// The type every path returns.
    pub returns: Type,
    /// Local slots, parameters included.
    pub locals: u32,
    /// `extern fn`: the host may bind it (see `embed::Session::bind`).
    pub is_extern: bool,
    /// The body's code; `None` for an extern without a default body.
    pub code: Option<CodeRange>,
    /// The `fn` line.
    pub span: Span,
}

/// How deep calls may nest (recursion included) before evaluation stops
/// with a runtime error: the frames live on the heap, so this bounds
/// time and memory, not the Rust stack.
pub const MAX_FUNCTION_DEPTH: usize = 256;

/// A scene, an ending or a page: a node of the graph.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scene {
    /// Its id, what diverts and saves name it by.
    pub name: String,
    /// The title after the colon, shown when the scene is entered.
    pub title: Option<String>,
    /// `== ending id`: reaching it ends the story.
    pub is_ending: bool,
    /// `== page id`: opened by the player, never entered (see
    /// `Machine::page`).
    #[serde(default)]
    pub is_page: bool,
    /// The tags under its header, surfaced when the scene is entered.
    pub tags: Vec<Tag>,
    /// The `==` header line.
    pub span: Span,
    /// The scene's lines as a program; execution starts at 0. The last op is
    /// always [`Op::End`].
    pub ops: Vec<Op>,
    /// How many of `locals` are parameters (they come first).
    // Left out when empty (here and below), so a story without tunnels,
    // temporaries or glue compiles to the very RON it did before them, and
    // the fingerprint its saves carry stays the same.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub params: u32,
    /// The scene's parameters, then its `~ temp` temporaries: the slots of
    /// a visit's or call's locals ([`Instr::Local`], [`Op::SetLocal`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locals: Vec<Local>,
}

fn is_zero(count: &u32) -> bool {
    *count == 0
}

/// A parameter or temporary of a scene.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Local {
    /// Its name in the scene.
    pub name: String,
    /// Its type.
    pub ty: Type,
}

/// The deepest tunnel calls may nest: a call past it is a located runtime
/// error, and the explorer's state space stays finite.
pub const MAX_CALL_DEPTH: usize = 64;

impl Type {
    /// The value a local of this type holds before it is set: what a
    /// temporary reads in a call that has not run its `~ temp` line.
    pub fn default_value(self) -> Value {
        match self {
            Type::Int => Value::Int(0),
            Type::Bool => Value::Bool(false),
            Type::Text => Value::Text(Arc::from("")),
            Type::Enum(_) => Value::Enum(0),
            Type::Set(_) => Value::Set(0),
        }
    }
}

/// One step of a scene's program. Jump targets are indices into [`Scene::ops`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Op {
    /// Emit a paragraph; with `glue` (a line ending in `<>`), the next
    /// text continues it.
    Text {
        /// The paragraph's pieces, shown in order.
        text: Parts,
        /// Tags written at the end of the line.
        tags: Box<[Tag]>,
        /// The line.
        span: Span,
        /// Ends in `<>`: the next text continues this paragraph.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        glue: bool,
    },
    /// `~ var op value`: set a story variable.
    Assign {
        /// The variable set.
        var: VarId,
        /// How the value combines with the variable.
        op: AssignOp,
        /// The value.
        value: Expr,
        /// The `~` line.
        span: Span,
    },
    /// Continue at `target` when `condition` is false.
    JumpUnless {
        /// The condition.
        condition: Expr,
        /// The op to continue at when it is false.
        target: u32,
    },
    /// Continue at `target`.
    Jump {
        /// The op to continue at.
        target: u32,
    },
    /// Stop and offer choices; the chosen one continues at its `target`.
    Choices {
        /// The block's choices, in the order written; guards decide which are shown.
        choices: Box<[Choice]>,
        /// The first choice's line.
        span: Span,
    },
    /// `assert condition: "message"`: stop with a runtime error when the
    /// condition is false. Evaluated purely, as guards are, so an assertion
    /// never changes the state. Without a message, the error shows the
    /// condition's source text.
    Assert {
        /// What must hold. Boxed (assertions are rare), so an op is 48
        /// bytes, not 56.
        condition: Box<Expr>,
        /// The quoted message, in the text arena.
        message: Option<TextRange>,
        /// The `assert` line.
        span: Span,
    },
    /// Enter a scene (counting a visit), abandoning any tunnel calls.
    Divert {
        /// The scene entered.
        target: SceneId,
        /// The divert.
        span: Span,
    },
    /// `-> target(args) ->`: enter `target` (counting a visit) with the
    /// arguments as its first locals, to come back to the next op at its
    /// [`Op::Return`].
    Call {
        /// The scene called.
        target: SceneId,
        /// The arguments, one per parameter, in order.
        args: Box<[Expr]>,
        /// The call.
        span: Span,
    },
    /// `->->`: back to the op after the innermost call.
    Return {
        /// The `->->` line.
        span: Span,
    },
    /// `~ temp name = value` or `~ name = value` on a temporary: set a
    /// local slot of the scene.
    SetLocal {
        /// The local's slot in [`Scene::locals`].
        slot: u32,
        /// How the value combines with the local.
        op: AssignOp,
        /// The value.
        value: Expr,
        /// The line.
        span: Span,
    },
    /// Running off the end of the scene: the story's end in an ending, a
    /// dead end anywhere else.
    End {
        /// The scene's last line; the end of its header when it has none.
        span: Span,
    },
}

impl Op {
    /// Where control goes from this op, at `pc`, while staying in the scene
    /// and without the player: the next op after text, logic and an
    /// assertion; both sides of a condition (the next op first); a jump's
    /// target; the op after a tunnel call, where it returns to. Nothing
    /// for a choice block, a divert, a return or an end. The one statement
    /// of a scene's control flow for the walkers over its ops.
    pub fn flows_to(&self, pc: usize) -> impl Iterator<Item = usize> + use<> {
        let next = match self {
            Op::Text { .. }
            | Op::Assign { .. }
            | Op::SetLocal { .. }
            | Op::Assert { .. }
            | Op::Call { .. } => [Some(pc + 1), None],
            Op::JumpUnless { target, .. } => [Some(pc + 1), Some(*target as usize)],
            Op::Jump { target } => [Some(*target as usize), None],
            Op::Choices { .. } | Op::Divert { .. } | Op::Return { .. } | Op::End { .. } => {
                [None, None]
            }
        };
        next.into_iter().flatten()
    }
}

/// `invariant condition: "message"`: checked, purely, whenever the story
/// pauses; a false one is a runtime error located at this declaration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invariant {
    /// What must hold.
    pub condition: Expr,
    /// The quoted message a violation reports, in the text arena.
    pub message: TextRange,
    /// The `invariant` line.
    pub span: Span,
}

/// A choice of a choice block, compiled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Choice {
    /// Its number across the story, which remembers whether it was taken.
    pub id: ChoiceId,
    /// `+`: offered again after it is chosen; `*` choices are offered once.
    pub sticky: bool,
    /// `* (label) …`: the choice's name, unique in its scene, in the text
    /// arena (read with [`Story::label`]), so a choice stays small.
    #[serde(default)]
    pub label: Option<TextRange>,
    /// When it is shown and when it can be chosen.
    pub guard: Guard,
    /// `None` for a fallback choice.
    pub text: Option<Parts>,
    /// Where the choice's body starts.
    pub target: u32,
    /// Tags written at the end of its line.
    pub tags: Box<[Tag]>,
    /// Its line.
    pub span: Span,
}

impl Choice {
    /// Whether it is a fallback choice (`* ->`): never shown, taken at
    /// once when no shown choice is enabled.
    pub fn is_fallback(&self) -> bool {
        self.text.is_none()
    }
}

/// When a choice is shown and when it can be chosen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Guard {
    /// No guard: always shown and enabled.
    Always,
    /// Hidden while false.
    Hidden(Expr),
    /// Shown but refused while false, with the reason to show.
    Requires {
        /// The condition. Boxed, so a guard is 32 bytes, not 40, and a
        /// choice 104, not 112.
        condition: Box<Expr>,
        /// The reason shown while it is false, in the text arena.
        reason: TextRange,
    },
    /// Hidden while `shown` is false, then refused while `condition` is
    /// false. Rare, so boxed: the common guards stay small.
    Both(Box<BothGuards>),
}

/// `{shown} [requires condition: "reason"]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BothGuards {
    /// Hidden while false.
    pub shown: Expr,
    /// Refused while false.
    pub condition: Expr,
    /// The reason shown while refused, in the text arena.
    pub reason: TextRange,
}

impl Guard {
    /// The condition without which the choice is not shown at all.
    pub fn shown(&self) -> Option<&Expr> {
        match self {
            Guard::Hidden(shown) => Some(shown),
            Guard::Both(both) => Some(&both.shown),
            Guard::Always | Guard::Requires { .. } => None,
        }
    }

    /// The condition without which a shown choice is refused, and the
    /// reason given.
    pub fn requires(&self) -> Option<(&Expr, TextRange)> {
        match self {
            Guard::Requires { condition, reason } => Some((&**condition, *reason)),
            Guard::Both(both) => Some((&both.condition, both.reason)),
            Guard::Always | Guard::Hidden(_) => None,
        }
    }

    /// Every condition of the guard, the one that hides first.
    pub fn conditions(&self) -> impl Iterator<Item = &Expr> {
        self.shown()
            .into_iter()
            .chain(self.requires().map(|(condition, _)| condition))
    }
}

/// A piece of a text line. Every kind but a literal is boxed, so a part is
/// 16 bytes: most texts are a single literal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Part {
    /// Text as written, in the text arena.
    Literal(TextRange),
    /// `{expr}`: an expression's value, shown as [`Story::display_value`] shows it.
    Value(Box<Expr>),
    /// `{condition: then|otherwise}`.
    Conditional(Box<Conditional>),
    /// `{a|b}` and its kinds.
    Alternatives(Box<Alternatives>),
}

/// `{condition: then|otherwise}` in a text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conditional {
    /// The condition.
    pub condition: Expr,
    /// Shown when it is true.
    pub then: Parts,
    /// Shown when it is false.
    pub otherwise: Parts,
}

/// `{a|b}`, `{&a|b}`, `{!a|b}`, `{~a|b}` in a text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alternatives {
    /// How the options follow each other.
    pub kind: AltKind,
    /// The counter remembering how often it was shown.
    pub seq: SeqId,
    /// The options, in order.
    pub options: Box<[Parts]>,
}

/// A run of [`Story::text`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextRange {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

/// A run of [`Story::code`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRange {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

/// A compiled expression: postfix code over a value stack, kept in
/// [`Story::code`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Expr {
    /// Its code in [`Story::code`].
    pub code: CodeRange,
    /// The type of the value it pushes.
    pub ty: Type,
    /// The expression's source.
    pub span: Span,
}

/// One instruction of expression code: a postfix stack machine run by one
/// evaluator for constant folding and the runtime alike.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Instr {
    /// Push an int: the common constant, kept inline.
    Int(i64),
    /// Push any other constant. Boxed, so an instruction is 16 bytes, not
    /// 32 (a text value alone is 24).
    Push(Box<Value>),
    /// Push a story variable's value.
    Load(VarId),
    /// Push a local of the current scene visit or call: a parameter or a
    /// temporary, by its slot in [`Scene::locals`].
    Local(u32),
    /// Push how many choices the player has made (`turns`).
    Turns,
    /// Push how many times a scene has been entered, the visit in progress
    /// included (`visits(scene)`).
    Visits(SceneId),
    /// Push whether this choice was chosen (`taken(label)`). While scenes
    /// are lowered the id is the label's index in the declared labels;
    /// `graph::build` resolves it to the choice's id.
    Taken(ChoiceId),
    /// Pops hi, lo; pushes a random int in `lo..=hi`.
    Random,
    /// Pops a set; pushes its size.
    Count,
    /// Pops two ints; pushes the smaller.
    Min,
    /// Pops two ints; pushes the larger.
    Max,
    /// Pops `n` enum values; pushes the set of them.
    MakeSet(u32),
    /// Pops a value; pushes `op value`.
    Unary(UnaryOp),
    /// Pops right, left; pushes `left op right`. `And`/`Or` never appear
    /// here: they compile to the short-circuit jumps below.
    Binary(BinaryOp),
    /// If the top is false, skip the next `n` instructions (leaving false);
    /// else pop it.
    AndThen(u32),
    /// If the top is true, skip the next `n` instructions (leaving true);
    /// else pop it.
    OrElse(u32),
    /// Pops the function's arguments; runs its body in a new frame;
    /// pushes what it returns.
    Call(FnId),
    /// Pushes a local slot of the running function.
    LoadLocal(u32),
    /// Pops into a local slot of the running function.
    StoreLocal(u32),
    /// Skips the next `n` instructions (in a function body; only forward,
    /// so a body always runs to a `Return`).
    Skip(u32),
    /// Pops a bool; when false, skips the next `n` instructions.
    SkipUnless(u32),
    /// Pops the result, drops the frame and pushes the result to the caller.
    Return,
}

impl Instr {
    /// The instruction that pushes `value`.
    pub fn constant(value: Value) -> Instr {
        match value {
            Value::Int(number) => Instr::Int(number),
            other => Instr::Push(Box::new(other)),
        }
    }
}

/// A playthrough test: start at a scene, then run the steps in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Test {
    /// The quoted name, as reports show it.
    pub name: String,
    /// The scene it starts from: `from scene`, or the story's start.
    pub start: SceneId,
    /// The steps, in order.
    pub steps: Vec<TestStep>,
    /// The `test` line.
    pub span: Span,
}

/// A step of a playthrough test.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestStep {
    /// What it does or expects.
    pub kind: TestStepKind,
    /// Its line.
    pub span: Span,
}

/// What a test step does or expects, with names resolved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum TestStepKind {
    /// Choose a shown choice by its 1-based number or a unique text fragment.
    Choose(ChoiceRef),
    /// Set a variable (before the run starts, or between choices).
    Set {
        /// The variable set.
        var: VarId,
        /// Its new value.
        value: Expr,
    },
    /// The text since the last choice contains (or does not contain) this.
    ExpectText {
        /// The text looked for.
        fragment: String,
        /// `false` for `expect no text`.
        present: bool,
    },
    /// A tag was (or was not) emitted since the last choice, on a paragraph
    /// or a scene entered: `key: value` matches that tag, `key` any tag
    /// with that key.
    ExpectTag {
        /// `key: value` or `key`.
        tag: String,
        /// `false` for `expect no tag`.
        present: bool,
    },
    /// A choice whose text contains this is enabled, disabled or absent.
    ExpectChoice {
        /// The text looked for in the choices' text.
        fragment: String,
        /// Whether such a choice is expected enabled, disabled or absent.
        state: ChoiceExpectation,
    },
    /// The story has ended at this ending.
    ExpectEnding(SceneId),
    /// The page, as it reads now, contains (or does not contain) this.
    ExpectPage {
        /// The page read.
        page: SceneId,
        /// The text looked for.
        fragment: String,
        /// `false` for `no text`.
        present: bool,
    },
    /// A condition over the variables holds now.
    Expect(Expr),
}

/// A guarded edge between scenes, derived from the scenes' programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The scene it leaves.
    pub from: SceneId,
    /// The scene it enters.
    pub to: SceneId,
    /// The divert or call.
    pub span: Span,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A big story's graph is mostly these; docs/PERFORMANCE.md counts on
    /// their sizes.
    #[test]
    fn the_common_graph_types_stay_small() {
        assert_eq!(std::mem::size_of::<Instr>(), 16);
        // 16 since values are boxed (session 7); 32 before.
        assert_eq!(std::mem::size_of::<Part>(), 16);
        // A part's size: `None` and `Many` live in the part's spare tags.
        assert_eq!(std::mem::size_of::<Parts>(), 16);
        assert_eq!(std::mem::size_of::<Expr>(), 28);
        // 48: `Text` and `Assign` the largest (56 while `Op::Assert`
        // held its condition inline, 52 bytes of fields).
        assert_eq!(std::mem::size_of::<Op>(), 48);
        // 104 since a `Guard::Requires` condition is boxed; 112 before,
        // since labels (`Option<TextRange>`, 12 bytes); 96 before them.
        assert_eq!(std::mem::size_of::<Choice>(), 104);
    }
}
