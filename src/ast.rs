//! The syntax tree of one story file: plain data, as written, names unresolved.
//!
//! Each type's doc shows the surface syntax it comes from. Trees are at most
//! [`MAX_DEPTH`] deep (the parser refuses deeper input), so walking and
//! dropping them recursively is bounded.

use crate::diagnostic::Span;

/// The deepest nesting of blocks, expressions or inline markup accepted.
pub const MAX_DEPTH: usize = 256;

/// The deepest nesting of inline markup (`{a|{b|{c}}}`) accepted. Lower than
/// [`MAX_DEPTH`] because every level costs several recursive parser frames,
/// and debug builds run tests on 2 MiB stacks.
pub const MAX_MARKUP_DEPTH: usize = 64;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One parsed file.
#[derive(Debug, Clone, Default)]
pub struct File {
    pub headers: Vec<Header>,
    pub includes: Vec<Include>,
    pub decls: Vec<Decl>,
    pub invariants: Vec<Invariant>,
    pub functions: Vec<Function>,
    pub scenes: Vec<Scene>,
    pub tests: Vec<TestBlock>,
    /// The lines that did not parse, as far as they could be read.
    pub broken: Vec<Broken>,
}

/// A line the parser could not read (already reported), with the block it
/// lost with it: what could be read of it, kept so that later passes do not
/// report again what it would have declared, read or led to (issue #15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The construct its first line started, as its marker or first word
    /// says.
    pub construct: Construct,
    /// The names it holds, each once: every identifier on its lines (a
    /// misspelt keyword, a prose word or a name alike, since which is which
    /// is what could not be read).
    pub names: Vec<String>,
    /// The lines lost: the broken line and the block under it.
    pub span: Span,
}

/// What a [`Broken`] line set out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Construct {
    /// `== id`, `== page id`.
    Scene,
    /// `== ending id`.
    Ending,
    /// `test "name":` or a line of its steps.
    Test,
    /// A header, an include, a declaration, an invariant or a function.
    Prologue,
    /// A choice line.
    Choice,
    /// A divert line.
    Divert,
    /// A logic line (`~`) or an assertion.
    Logic,
    /// An `if`, `elif` or `else` line.
    Conditional,
    /// A tag line.
    Tag,
    /// A line of text.
    Text,
    /// What a block comment that never ends swallowed.
    Comment,
}

/// `test "name" from scene:` and its indented steps: a playthrough the
/// author expects, run by `fabula test`.
#[derive(Debug, Clone)]
pub struct TestBlock {
    pub name: String,
    /// The scene to start from; the story's start when absent.
    pub from: Option<Ident>,
    pub steps: Vec<TestStep>,
    /// The `test` line.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct TestStep {
    pub kind: TestStepKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TestStepKind {
    /// `choose 2` (1-based, as shown) or `choose "fragment"`.
    Choose(ChoiceRef),
    /// `set name = expr`
    Set { target: Ident, value: Expr },
    /// `expect text "fragment"` / `expect no text "fragment"`: in the text
    /// since the last choice.
    ExpectText { fragment: String, present: bool },
    /// `expect tag "key: value"` / `expect no tag "key"`: a tag since the
    /// last choice, on a paragraph or a scene entered.
    ExpectTag { tag: String, present: bool },
    /// `expect choice "fragment"` / `expect no choice "fragment"` /
    /// `expect disabled "fragment"`.
    ExpectChoice {
        fragment: String,
        state: ChoiceExpectation,
    },
    /// `expect ending id`
    ExpectEnding(Ident),
    /// `expect page status text "fragment"` / `expect page status no text
    /// "fragment"`: in the page as it reads now.
    ExpectPage {
        page: Ident,
        fragment: String,
        present: bool,
    },
    /// `expect <condition>`
    Expect(Expr),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ChoiceRef {
    Number(u32),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ChoiceExpectation {
    /// Offered and selectable.
    Enabled,
    /// Shown but disabled.
    Disabled,
    /// Not shown at all.
    Absent,
}

/// `title: The Rise of Stalin`, `author: …`, `start: gorki`, `about: …`.
#[derive(Debug, Clone)]
pub struct Header {
    pub key: HeaderKey,
    pub value: String,
    pub span: Span,
    pub value_span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKey {
    Title,
    Author,
    Start,
    About,
}

/// `include "act2.fab"`.
#[derive(Debug, Clone)]
pub struct Include {
    pub path: String,
    pub span: Span,
}

/// A declaration in a file's prologue.
#[derive(Debug, Clone)]
pub enum Decl {
    /// `const QUORUM = 6`
    Const {
        name: Ident,
        value: Expr,
        span: Span,
    },
    /// `var apparatus = 2`, `var allies: set of Person = {zinoviev}`
    Var {
        name: Ident,
        ty: Option<TypeExpr>,
        value: Expr,
        span: Span,
    },
    /// `enum Person { trotsky, zinoviev "Zinoviev" }`
    Enum {
        name: Ident,
        variants: Vec<Ident>,
        /// Per variant, its display text when one is written.
        display: Vec<Option<String>>,
        span: Span,
    },
}

/// `fn majority(votes: int, seats: int) -> bool:` and its indented body;
/// `extern fn roll_dice(sides: int) -> int`, bound by the host, with an
/// optional default body (`extern fn roll_dice(sides: int) -> int:` and a
/// body) for the player and the explorer.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: Ident,
    pub params: Vec<(Ident, TypeExpr)>,
    pub returns: TypeExpr,
    pub is_extern: bool,
    /// `None` for an extern written without a body.
    pub body: Option<FnBlock>,
    /// The `fn` line.
    pub span: Span,
}

pub type FnBlock = Vec<FnStmt>;

/// A line of a function's body.
#[derive(Debug, Clone)]
pub struct FnStmt {
    pub kind: FnStmtKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum FnStmtKind {
    /// `temp name = expr`: a local of the call.
    Temp { name: Ident, value: Expr },
    /// `name = expr`, `name += expr` (or the same after `~`): to a temp or
    /// a parameter; to a story variable it is an error.
    Assign {
        target: Ident,
        op: AssignOp,
        value: Expr,
    },
    /// `return expr`
    Return(Expr),
    /// `if c:`, `elif c:`, `else:` blocks.
    If {
        branches: Vec<(Expr, FnBlock)>,
        otherwise: Option<FnBlock>,
    },
    /// A line a function may not have (text, a divert, a choice); reported
    /// when the function is lowered.
    Forbidden(Forbidden),
}

/// What a line of a function's body was that a function may not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    Text,
    Divert,
    Choice,
}

/// `invariant letter_sent or not congress_opened: "the congress hears the
/// letter"`: a condition that must hold whenever the story pauses.
#[derive(Debug, Clone)]
pub struct Invariant {
    pub condition: Expr,
    pub message: String,
    pub span: Span,
}

/// `int`, `bool`, `text`, `Person`, `set of Person`.
#[derive(Debug, Clone)]
pub enum TypeExpr {
    Named(Ident),
    SetOf(Ident),
}

/// `== id: Title`, `== ending id: Title` or `== page id: Title`, and its lines.
#[derive(Debug, Clone)]
pub struct Scene {
    pub name: Ident,
    pub title: Option<String>,
    pub is_ending: bool,
    /// `== page id`: a read-only scene the player opens by its id.
    pub is_page: bool,
    /// `== greet(who: Person, warmth: int)`: the parameters a tunnel call
    /// passes, read-only locals of the call.
    pub params: Vec<Param>,
    pub tags: Vec<Tag>,
    pub body: Block,
    /// The header line.
    pub span: Span,
}

/// `who: Person` in a scene header's parameter list.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
}

/// What a scene header holds: its id, what it declares, its title and its
/// parameters.
pub type SceneHeader = (Ident, SceneKind, Option<String>, Vec<Param>);

pub type Block = Vec<Stmt>;

/// What a scene header declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SceneKind {
    /// `== id`
    Scene,
    /// `== ending id`
    Ending,
    /// `== page id`
    Page,
}

/// `# key: value` or `# key`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum StmtKind {
    /// A plain line of prose with inline markup; `glue` when it ends in
    /// `<>`, so the next text line continues its paragraph.
    Text {
        text: Text,
        tags: Vec<Tag>,
        glue: bool,
    },
    /// `~ target op value`
    Assign {
        target: Ident,
        op: AssignOp,
        value: Expr,
    },
    /// `-> scene` or `-> ending scene`
    Divert(Divert),
    /// `-> scene ->` or `-> scene(arg, arg) ->`: a tunnel call.
    Call(Call),
    /// `->->`: return from a tunnel call.
    Return,
    /// `~ temp name = expr`: a temporary, local to the scene visit or call.
    Temp { name: Ident, value: Expr },
    /// `assert condition` or `assert condition: "message"`
    Assert {
        condition: Expr,
        message: Option<String>,
    },
    /// `if c:` block, `elif c:` blocks, `else:` block.
    If {
        branches: Vec<(Expr, Block)>,
        otherwise: Option<Block>,
    },
    /// A run of `*` / `+` lines at one indentation.
    Choices(Vec<Choice>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AssignOp {
    /// `=`
    Set,
    /// `+=`
    Add,
    /// `-=`
    Sub,
}

/// `-> target` or `-> ending target`
#[derive(Debug, Clone)]
pub struct Divert {
    pub target: Ident,
    /// Written `-> ending target`: the target must be an ending.
    pub to_ending: bool,
    pub span: Span,
}

/// `-> target ->` or `-> target(args) ->`
#[derive(Debug, Clone)]
pub struct Call {
    pub target: Ident,
    pub args: Vec<Expr>,
    pub span: Span,
}

/// `* text`, `+ {guard} text`, `* [requires guard: "reason"] text -> target`, `* ->`,
/// `* (label) text`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub sticky: bool,
    /// `(label)` right after the marker: the choice's name, unique in its
    /// scene, that `taken(label)` reads and saves know it by.
    pub label: Option<Ident>,
    pub guard: Guard,
    /// `None` for a fallback choice (no text).
    pub text: Option<Text>,
    pub divert: Option<Divert>,
    pub body: Block,
    pub tags: Vec<Tag>,
    /// The choice's own line.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Guard {
    Always,
    /// `{expr}`: hidden while false.
    Hidden(Expr),
    /// `[requires expr]` or `[requires expr: "reason"]`: shown disabled while
    /// false; after `{expr}` (`{shown} [requires …]`), hidden while `shown`
    /// is false, and disabled while it is true and `condition` is not.
    Requires {
        shown: Option<Expr>,
        condition: Expr,
        reason: Option<String>,
        /// The guard's source text, the reason when none is written.
        source: String,
    },
}

/// A line of prose: literal pieces and inline markup.
pub type Text = Vec<Segment>;

#[derive(Debug, Clone)]
pub enum Segment {
    Literal(String),
    /// `{expr}`
    Interpolate(Expr),
    /// `{cond: then|else}`
    Conditional {
        condition: Expr,
        then: Text,
        otherwise: Text,
    },
    /// `{a|b}`, `{&a|b}`, `{!a|b}`, `{~a|b}`
    Alternatives {
        kind: AltKind,
        options: Vec<Text>,
        span: Span,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AltKind {
    /// `{a|b|c}`: stops at the last.
    Sequence,
    /// `{&a|b|c}`: wraps around.
    Cycle,
    /// `{!a|b}`: each once, then nothing.
    Once,
    /// `{~a|b}`: one at random.
    Shuffle,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Int(i64),
    Bool(bool),
    Str(String),
    /// `{a, b}`
    Set(Vec<Expr>),
    /// A variable, constant or enum value.
    Name(String),
    /// `turns`
    Turns,
    /// `count(x)`, `visits(scene)`, `random(lo, hi)`, `min(a, b)`, `max(a, b)`.
    Call {
        function: Ident,
        args: Vec<Expr>,
    },
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Binding strength of the expression's top node, on
    /// [`BinaryOp::precedence`]'s scale: atoms bind tightest.
    fn precedence(&self) -> u8 {
        match &self.kind {
            ExprKind::Binary(op, ..) => op.precedence(),
            ExprKind::Unary(UnaryOp::Not, _) => 3,
            ExprKind::Unary(UnaryOp::Neg, _) => 7,
            _ => 8,
        }
    }
}

/// The expression written back from its tree, with the brackets its
/// structure needs (and around a comparison under `not`, as writers put
/// them): what a player or a map reader is shown of a condition, since
/// a slice of the source is only as right as its span (issue #15).
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let operand = |f: &mut std::fmt::Formatter<'_>, expr: &Expr, bracket: bool| {
            if bracket {
                write!(f, "({expr})")
            } else {
                write!(f, "{expr}")
            }
        };
        match &self.kind {
            ExprKind::Int(number) => write!(f, "{number}"),
            ExprKind::Bool(flag) => write!(f, "{flag}"),
            ExprKind::Str(text) => {
                write!(f, "\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
            }
            ExprKind::Set(items) => {
                f.write_str("{")?;
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("}")
            }
            ExprKind::Name(name) => f.write_str(name),
            ExprKind::Turns => f.write_str("turns"),
            ExprKind::Call { function, args } => {
                write!(f, "{}(", function.name)?;
                for (index, arg) in args.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
            ExprKind::Unary(UnaryOp::Not, inner) => {
                f.write_str("not ")?;
                operand(f, inner, inner.precedence() < 8)
            }
            ExprKind::Unary(UnaryOp::Neg, inner) => {
                f.write_str("-")?;
                operand(f, inner, inner.precedence() < 7)
            }
            ExprKind::Binary(op, left, right) => {
                let strength = op.precedence();
                operand(f, left, left.precedence() < strength)?;
                write!(f, " {} ", op.symbol())?;
                operand(f, right, right.precedence() <= strength)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In
            | BinaryOp::NotIn => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 6,
        }
    }
}
