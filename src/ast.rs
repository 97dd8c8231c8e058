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
    /// The name, case kept.
    pub name: String,
    /// Where the name was written.
    pub span: Span,
}

/// One parsed file.
#[derive(Debug, Clone, Default)]
pub struct File {
    /// `title:`, `author:`, `start:` and `about:` lines, in order.
    pub headers: Vec<Header>,
    /// `include` lines, in order.
    pub includes: Vec<Include>,
    /// `const`, `var` and `enum` declarations, in order.
    pub decls: Vec<Decl>,
    /// `invariant` declarations, in order.
    pub invariants: Vec<Invariant>,
    /// `fn` and `extern fn` definitions, in order.
    pub functions: Vec<Function>,
    /// The scenes, endings and pages, in order.
    pub scenes: Vec<Scene>,
    /// The `test` blocks, in order.
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
    /// The quoted name, as reports show it.
    pub name: String,
    /// The scene to start from; the story's start when absent.
    pub from: Option<Ident>,
    /// The indented steps, in order.
    pub steps: Vec<TestStep>,
    /// The `test` line.
    pub span: Span,
}

/// One indented line of a `test` block.
#[derive(Debug, Clone)]
pub struct TestStep {
    /// What the step does or expects.
    pub kind: TestStepKind,
    /// The step's line.
    pub span: Span,
}

/// What a test step does or expects.
#[derive(Debug, Clone)]
pub enum TestStepKind {
    /// `choose 2` (1-based, as shown) or `choose "fragment"`.
    Choose(ChoiceRef),
    /// `set name = expr`
    Set {
        /// The variable set.
        target: Ident,
        /// Its new value.
        value: Expr,
    },
    /// `expect text "fragment"` / `expect no text "fragment"`: in the text
    /// since the last choice.
    ExpectText {
        /// The text looked for, as written.
        fragment: String,
        /// `false` for `expect no text`.
        present: bool,
    },
    /// `expect tag "key: value"` / `expect no tag "key"`: a tag since the
    /// last choice, on a paragraph or a scene entered.
    ExpectTag {
        /// `key: value` or `key`.
        tag: String,
        /// `false` for `expect no tag`.
        present: bool,
    },
    /// `expect choice "fragment"` / `expect no choice "fragment"` /
    /// `expect disabled "fragment"`.
    ExpectChoice {
        /// The text looked for in the choices' text.
        fragment: String,
        /// Whether such a choice is expected enabled, disabled or absent.
        state: ChoiceExpectation,
    },
    /// `expect ending id`
    ExpectEnding(Ident),
    /// `expect page status text "fragment"` / `expect page status no text
    /// "fragment"`: in the page as it reads now.
    ExpectPage {
        /// The page's id.
        page: Ident,
        /// The text looked for, as written.
        fragment: String,
        /// `false` for `no text`.
        present: bool,
    },
    /// `expect <condition>`
    Expect(Expr),
}

/// Which choice a `choose` step takes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ChoiceRef {
    /// `choose 2`: the second choice shown, counting from 1.
    Number(u32),
    /// `choose "fragment"`: the one shown choice whose text contains this.
    Text(String),
}

/// What an `expect choice` step expects of a choice.
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
    /// Which header it is.
    pub key: HeaderKey,
    /// The text after the colon, trimmed.
    pub value: String,
    /// The whole line.
    pub span: Span,
    /// The value alone, for reports about it.
    pub value_span: Span,
}

/// Which header a line is: the word before its colon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKey {
    /// `title: …`: the story's title, shown when it starts.
    Title,
    /// `author: …`
    Author,
    /// `start: scene`: the scene the story starts in; the first scene when absent.
    Start,
    /// `about: …`: a line of the story's description; may repeat.
    About,
}

/// `include "act2.fab"`.
#[derive(Debug, Clone)]
pub struct Include {
    /// The quoted path, relative to the including file's folder.
    pub path: String,
    /// The `include` line.
    pub span: Span,
}

/// A declaration in a file's prologue.
#[derive(Debug, Clone)]
pub enum Decl {
    /// `const QUORUM = 6`
    Const {
        /// The constant's name.
        name: Ident,
        /// Its value, folded when the story is compiled.
        value: Expr,
        /// The `const` line.
        span: Span,
    },
    /// `var apparatus = 2`, `var allies: set of Person = {zinoviev}`
    Var {
        /// The variable's name.
        name: Ident,
        /// The written type; inferred from the value when absent.
        ty: Option<TypeExpr>,
        /// Its initial value.
        value: Expr,
        /// The `var` line.
        span: Span,
    },
    /// `enum Person { trotsky, zinoviev "Zinoviev" }`
    Enum {
        /// The enum's name.
        name: Ident,
        /// Its values' identifiers, in order.
        variants: Vec<Ident>,
        /// Per variant, its display text when one is written.
        display: Vec<Option<String>>,
        /// The `enum` line.
        span: Span,
    },
}

/// `fn majority(votes: int, seats: int) -> bool:` and its indented body;
/// `extern fn roll_dice(sides: int) -> int`, bound by the host, with an
/// optional default body (`extern fn roll_dice(sides: int) -> int:` and a
/// body) for the player and the explorer.
#[derive(Debug, Clone)]
pub struct Function {
    /// The function's name.
    pub name: Ident,
    /// Each parameter's name and type, in order.
    pub params: Vec<(Ident, TypeExpr)>,
    /// The type it returns.
    pub returns: TypeExpr,
    /// Written `extern fn`: the host may bind it.
    pub is_extern: bool,
    /// `None` for an extern written without a body.
    pub body: Option<FnBlock>,
    /// The `fn` line.
    pub span: Span,
}

/// A function's body: its lines, in order.
pub type FnBlock = Vec<FnStmt>;

/// A line of a function's body.
#[derive(Debug, Clone)]
pub struct FnStmt {
    /// What the line does.
    pub kind: FnStmtKind,
    /// The line.
    pub span: Span,
}

/// What a line of a function's body does.
#[derive(Debug, Clone)]
pub enum FnStmtKind {
    /// `temp name = expr`: a local of the call.
    Temp {
        /// The local's name.
        name: Ident,
        /// Its initial value.
        value: Expr,
    },
    /// `name = expr`, `name += expr` (or the same after `~`): to a temp or
    /// a parameter; to a story variable it is an error.
    Assign {
        /// The temp or parameter assigned.
        target: Ident,
        /// `=`, `+=` or `-=`.
        op: AssignOp,
        /// The value on the right.
        value: Expr,
    },
    /// `return expr`
    Return(Expr),
    /// `if c:`, `elif c:`, `else:` blocks.
    If {
        /// Each `if` or `elif` condition with its block, in order.
        branches: Vec<(Expr, FnBlock)>,
        /// The `else:` block.
        otherwise: Option<FnBlock>,
    },
    /// A line a function may not have (text, a divert, a choice); reported
    /// when the function is lowered.
    Forbidden(Forbidden),
}

/// What a line of a function's body was that a function may not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    /// A line of prose.
    Text,
    /// A divert or tunnel call.
    Divert,
    /// A choice.
    Choice,
}

/// `invariant letter_sent or not congress_opened: "the congress hears the
/// letter"`: a condition that must hold whenever the story pauses.
#[derive(Debug, Clone)]
pub struct Invariant {
    /// The condition, over the story's variables.
    pub condition: Expr,
    /// The quoted message a violation reports.
    pub message: String,
    /// The `invariant` line.
    pub span: Span,
}

/// `int`, `bool`, `text`, `Person`, `set of Person`.
#[derive(Debug, Clone)]
pub enum TypeExpr {
    /// `int`, `bool`, `text` or an enum's name.
    Named(Ident),
    /// `set of Enum`.
    SetOf(Ident),
}

/// `== id: Title`, `== ending id: Title` or `== page id: Title`, and its lines.
#[derive(Debug, Clone)]
pub struct Scene {
    /// The scene's id, what diverts name.
    pub name: Ident,
    /// The title after the colon, shown when the scene is entered.
    pub title: Option<String>,
    /// Written `== ending id`: reaching it ends the story.
    pub is_ending: bool,
    /// `== page id`: a read-only scene the player opens by its id.
    pub is_page: bool,
    /// `== greet(who: Person, warmth: int)`: the parameters a tunnel call
    /// passes, read-only locals of the call.
    pub params: Vec<Param>,
    /// `# key: value` lines right under the header: the scene's tags.
    pub tags: Vec<Tag>,
    /// The scene's lines.
    pub body: Block,
    /// The header line.
    pub span: Span,
}

/// `who: Person` in a scene header's parameter list.
#[derive(Debug, Clone)]
pub struct Param {
    /// The parameter's name.
    pub name: Ident,
    /// Its type.
    pub ty: TypeExpr,
}

/// What a scene header holds: its id, what it declares, its title and its
/// parameters.
pub type SceneHeader = (Ident, SceneKind, Option<String>, Vec<Param>);

/// Lines at one indentation, in order.
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
    /// The word before the colon.
    pub key: String,
    /// The text after the colon; `None` for a bare `# key`.
    pub value: Option<String>,
    /// The tag as written.
    pub span: Span,
}

/// One line of a scene, with the block it opens (`if`, choices).
#[derive(Debug, Clone)]
pub struct Stmt {
    /// What the line does.
    pub kind: StmtKind,
    /// The line.
    pub span: Span,
}

/// What a line of a scene does.
#[derive(Debug, Clone)]
pub enum StmtKind {
    /// A plain line of prose with inline markup; `glue` when it ends in
    /// `<>`, so the next text line continues its paragraph.
    Text {
        /// The prose and its markup.
        text: Text,
        /// Tags written at the end of the line.
        tags: Vec<Tag>,
        /// Ends in `<>`: the next text line continues the paragraph.
        glue: bool,
    },
    /// `~ target op value`
    Assign {
        /// The variable assigned.
        target: Ident,
        /// `=`, `+=` or `-=`.
        op: AssignOp,
        /// The value on the right.
        value: Expr,
    },
    /// `-> scene` or `-> ending scene`
    Divert(Divert),
    /// `-> scene ->` or `-> scene(arg, arg) ->`: a tunnel call.
    Call(Call),
    /// `->->`: return from a tunnel call.
    Return,
    /// `~ temp name = expr`: a temporary, local to the scene visit or call.
    Temp {
        /// The temporary's name.
        name: Ident,
        /// Its initial value.
        value: Expr,
    },
    /// `assert condition` or `assert condition: "message"`
    Assert {
        /// What must hold.
        condition: Expr,
        /// The quoted message; the condition's source when absent.
        message: Option<String>,
    },
    /// `if c:` block, `elif c:` blocks, `else:` block.
    If {
        /// Each `if` or `elif` condition with its block, in order.
        branches: Vec<(Expr, Block)>,
        /// The `else:` block.
        otherwise: Option<Block>,
    },
    /// A run of `*` / `+` lines at one indentation.
    Choices(Vec<Choice>),
}

/// How `~` logic combines the value with the variable.
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
    /// The scene diverted to.
    pub target: Ident,
    /// Written `-> ending target`: the target must be an ending.
    pub to_ending: bool,
    /// The divert, arrow included.
    pub span: Span,
}

/// `-> target ->` or `-> target(args) ->`
#[derive(Debug, Clone)]
pub struct Call {
    /// The scene called.
    pub target: Ident,
    /// The arguments, one per parameter of the scene, in order.
    pub args: Vec<Expr>,
    /// The call, arrows included.
    pub span: Span,
}

/// `* text`, `+ {guard} text`, `* [requires guard: "reason"] text -> target`, `* ->`,
/// `* (label) text`.
#[derive(Debug, Clone)]
pub struct Choice {
    /// `+`: offered again after it is chosen; `*` choices are offered once.
    pub sticky: bool,
    /// `(label)` right after the marker: the choice's name, unique in its
    /// scene, that `taken(label)` reads and saves know it by.
    pub label: Option<Ident>,
    /// When the choice is shown and when it can be chosen.
    pub guard: Guard,
    /// `None` for a fallback choice (no text).
    pub text: Option<Text>,
    /// `-> target` at the end of the choice's line.
    pub divert: Option<Divert>,
    /// The indented lines run when it is chosen.
    pub body: Block,
    /// Tags written at the end of the line.
    pub tags: Vec<Tag>,
    /// The choice's own line.
    pub span: Span,
}

/// When a choice is shown and when it can be chosen.
#[derive(Debug, Clone)]
pub enum Guard {
    /// No guard: always shown and enabled.
    Always,
    /// `{expr}`: hidden while false.
    Hidden(Expr),
    /// `[requires expr]` or `[requires expr: "reason"]`: shown disabled while
    /// false; after `{expr}` (`{shown} [requires …]`), hidden while `shown`
    /// is false, and disabled while it is true and `condition` is not.
    /// Boxed: rarer than the others, and three times their size.
    Requires(Box<Requires>),
}

/// A [`Guard::Requires`].
#[derive(Debug, Clone)]
pub struct Requires {
    /// `{shown}` written before `[requires …]`: hidden while false.
    pub shown: Option<Expr>,
    /// The condition without which the choice is disabled.
    pub condition: Expr,
    /// The quoted reason shown when disabled.
    pub reason: Option<String>,
    /// The guard's source text, the reason when none is written.
    pub source: String,
}

/// A line of prose: literal pieces and inline markup.
pub type Text = Vec<Segment>;

/// A piece of a line of prose.
#[derive(Debug, Clone)]
pub enum Segment {
    /// Text shown as written (escapes resolved).
    Literal(String),
    /// `{expr}`
    Interpolate(Expr),
    /// `{cond: then|else}`
    Conditional {
        /// The condition.
        condition: Expr,
        /// Shown when it is true.
        then: Text,
        /// Shown when it is false; empty when not written.
        otherwise: Text,
    },
    /// `{a|b}`, `{&a|b}`, `{!a|b}`, `{~a|b}`
    Alternatives {
        /// How the options follow each other.
        kind: AltKind,
        /// The options, in order.
        options: Vec<Text>,
        /// The whole markup, braces included.
        span: Span,
    },
}

/// How alternatives markup picks an option each time it is shown.
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

/// An expression in a condition, a value or an interpolation.
#[derive(Debug, Clone)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// The expression's source, brackets included.
    pub span: Span,
}

/// What an expression is.
#[derive(Debug, Clone)]
pub enum ExprKind {
    /// An integer literal.
    Int(i64),
    /// `true` or `false`.
    Bool(bool),
    /// A quoted text literal, escapes resolved.
    Str(String),
    /// `{a, b}`
    Set(Vec<Expr>),
    /// A variable, constant or enum value.
    Name(String),
    /// `turns`
    Turns,
    /// `count(x)`, `visits(scene)`, `random(lo, hi)`, `min(a, b)`, `max(a, b)`.
    Call {
        /// The function's name.
        function: Box<Ident>,
        /// The arguments, in order.
        args: Vec<Expr>,
    },
    /// `-x` or `not x`.
    Unary(UnaryOp, Box<Expr>),
    /// `left op right`; `and` and `or` evaluate their right side only when needed.
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

/// A prefix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UnaryOp {
    /// `-`: integer negation.
    Neg,
    /// `not`: boolean negation.
    Not,
}

/// An infix operator, in order of increasing binding strength (see
/// [`BinaryOp::precedence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`: an enum value is in a set.
    In,
    /// `not in`
    NotIn,
    /// `+`: integer addition, text joined, or a set with a value or
    /// another set added.
    Add,
    /// `-`: integer subtraction, or a set without a value or another
    /// set's values.
    Sub,
    /// `*`: integer multiplication, or two sets' common values.
    Mul,
    /// `/`: integer division, rounding toward zero; a runtime error
    /// for zero.
    Div,
    /// `%`: the remainder, with the left side's sign; a runtime error
    /// for zero.
    Rem,
}

impl BinaryOp {
    /// The operator as written in a story.
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
