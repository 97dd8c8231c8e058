//! Expressions: type checking and code generation into postfix
//! [`Instr`] code, built-in functions, and constant folding (by the one
//! evaluator, [`crate::graph::eval`]).

use super::Lowering;
use crate::ast::{self, BinaryOp, ExprKind, UnaryOp};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::declare::Symbol;
use crate::graph::eval::{Env, Fault, MAX_TEXT_LEN, Program, run};
use crate::graph::{ChoiceId, CodeRange, EnumId, Expr, Instr, SceneId, Type, Value, VarId};

impl Lowering<'_> {
    /// Resolves a written type, reporting unknown names.
    pub(in crate::graph) fn type_expr(&mut self, ty: &ast::TypeExpr) -> Option<Type> {
        let (ident, is_set) = match ty {
            ast::TypeExpr::Named(ident) => (ident, false),
            ast::TypeExpr::SetOf(ident) => (ident, true),
        };
        let base = match ident.name.as_str() {
            "int" if !is_set => return Some(Type::Int),
            "bool" if !is_set => return Some(Type::Bool),
            "text" if !is_set => return Some(Type::Text),
            name => match self.names.symbols.get(name) {
                Some((Symbol::EnumType(id), _)) => *id,
                _ => {
                    let mut candidates: Vec<&str> =
                        self.names.enums.iter().map(|e| e.name.as_str()).collect();
                    if !is_set {
                        candidates.extend(["int", "bool", "text"]);
                    }
                    let help = match self.names.suggest(name, candidates.into_iter()) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => "types are `int`, `bool`, `text`, an enum's name, or `set of` an enum's name".into(),
                    };
                    self.report(
                        Diagnostic::new(Code::E0105, ident.span, format!("unknown type `{name}`"))
                            .with_help(help),
                    );
                    return None;
                }
            },
        };
        if is_set {
            if self.names.enums[base.index()].variants.len() > 64 {
                self.report(
                    Diagnostic::new(
                        Code::E0206,
                        ident.span,
                        format!(
                            "enum `{}` has more than 64 values, too many for a set",
                            ident.name
                        ),
                    )
                    .with_help("split the enum into smaller ones"),
                );
                return None;
            }
            Some(Type::Set(base))
        } else {
            Some(Type::Enum(base))
        }
    }

    /// Compiles an expression that must be constant and evaluates it.
    pub(in crate::graph) fn constant(
        &mut self,
        expr: &ast::Expr,
        expected: Option<Type>,
    ) -> Option<(Value, Type)> {
        let compiled = self.expr(expr, expected)?;
        if let Some(expected) = expected
            && compiled.ty != expected
        {
            let message = format!(
                "expected {}, found {}",
                self.type_name(expected),
                self.type_name(compiled.ty)
            );
            self.report(Diagnostic::new(Code::E0201, expr.span, message));
            return None;
        }
        let value = evaluate_constant(self.code_of(&compiled));
        self.code.truncate(compiled.code.start as usize);
        match value {
            Ok(value) => Some((value, compiled.ty)),
            Err(ConstError::NotConstant) => {
                self.report(
                    Diagnostic::new(Code::E0203, expr.span, "not a constant expression").with_help(
                        "initial values and constants may use only literals and constants",
                    ),
                );
                None
            }
            Err(ConstError::Arithmetic(message)) => {
                self.report(Diagnostic::new(Code::E0205, expr.span, message));
                None
            }
        }
    }

    /// An undeclared name; `expected` is the type the place it is used in
    /// wants, when known, so a misspelt enum value is named as one.
    pub(super) fn undeclared(&self, name: &ast::Ident, expected: Option<Type>) -> Diagnostic {
        if let Some(Type::Enum(id) | Type::Set(id)) = expected {
            let found = &self.names.enums[id.index()];
            let values = found.variants.join("`, `");
            let help = match self
                .names
                .suggest(&name.name, found.variants.iter().map(String::as_str))
            {
                Some(best) => format!("did you mean `{best}`? `{}` has `{values}`", found.name),
                None => format!(
                    "`{}` has `{values}`; to add a value, add it to `enum {} {{ … }}`",
                    found.name, found.name
                ),
            };
            return Diagnostic::new(
                Code::E0103,
                name.span,
                format!("`{}` is not a value of `{}`", name.name, found.name),
            )
            .with_help(help);
        }
        let candidates = self.names.symbols.keys().map(String::as_str);
        let help = if ["true", "false"]
            .iter()
            .any(|keyword| keyword.eq_ignore_ascii_case(&name.name))
        {
            format!(
                "booleans are written in lowercase: `{}`",
                name.name.to_lowercase()
            )
        } else if name.name.contains('.') {
            format!(
                "`{0}` names a choice; `taken({0})` says whether it was chosen",
                name.name
            )
        } else if self.names.scene_ids.contains_key(&name.name) {
            format!(
                "`{0}` is a scene; use `visits({0})` for how often it was entered",
                name.name
            )
        } else {
            match self.names.suggest(&name.name, candidates) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("declare it first: `var {} = …`", name.name),
            }
        };
        Diagnostic::new(
            Code::E0103,
            name.span,
            format!("`{}` is not declared", name.name),
        )
        .with_help(help)
    }

    /// Type-checks and compiles an expression. `expected` only resolves the
    /// type of an empty set literal; callers compare types themselves.
    pub(super) fn expr(&mut self, expr: &ast::Expr, expected: Option<Type>) -> Option<Expr> {
        let mut code = std::mem::take(&mut self.scratch);
        code.clear();
        let ty = self.emit(expr, expected, &mut code);
        let start = self.code.len() as u32;
        if ty.is_some() {
            self.code.extend_from_slice(&code);
        }
        let len = code.len() as u32;
        self.scratch = code;
        Some(Expr {
            code: CodeRange { start, len },
            ty: ty?,
            span: expr.span,
        })
    }

    pub(super) fn mismatch(&mut self, span: Span, message: String) -> Option<Type> {
        self.report(Diagnostic::new(Code::E0201, span, message));
        None
    }

    /// Emits postfix code for `expr` and returns its type. Recursion is
    /// bounded by the parser's depth limit.
    pub(super) fn emit(
        &mut self,
        expr: &ast::Expr,
        expected: Option<Type>,
        code: &mut Vec<Instr>,
    ) -> Option<Type> {
        match &expr.kind {
            ExprKind::Int(number) => {
                code.push(Instr::Int(*number));
                Some(Type::Int)
            }
            ExprKind::Bool(flag) => {
                code.push(Instr::constant(Value::Bool(*flag)));
                Some(Type::Bool)
            }
            ExprKind::Str(text) => {
                code.push(Instr::constant(Value::Text(text.as_str().into())));
                Some(Type::Text)
            }
            ExprKind::Turns => {
                code.push(Instr::Turns);
                Some(Type::Int)
            }
            ExprKind::Name(name) => self.name(name, expr.span, expected, code),
            ExprKind::Set(elements) => self.set(elements, expr.span, expected, code),
            ExprKind::Call { function, args } => self.call(function, args, expr.span, code),
            ExprKind::Unary(op, operand) => {
                let ty = self.emit(operand, None, code)?;
                let wanted = match op {
                    UnaryOp::Neg => Type::Int,
                    UnaryOp::Not => Type::Bool,
                };
                if ty != wanted {
                    let symbol = if *op == UnaryOp::Neg { "-" } else { "not" };
                    let message = format!(
                        "`{symbol}` needs {}, found {}",
                        self.type_name(wanted),
                        self.type_name(ty)
                    );
                    return self.mismatch(operand.span, message);
                }
                code.push(Instr::Unary(*op));
                Some(ty)
            }
            ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), left, right) => {
                self.logical(*op, left, right, code)
            }
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right, expr.span, code),
        }
    }

    /// A name used as a value: a constant, a variable or an enum value.
    fn name(
        &mut self,
        name: &str,
        span: Span,
        expected: Option<Type>,
        code: &mut Vec<Instr>,
    ) -> Option<Type> {
        if let Some((slot, ty)) = self
            .function_scope
            .as_ref()
            .and_then(|scope| scope.lookup(name))
        {
            code.push(Instr::LoadLocal(slot));
            return Some(ty);
        }
        if let Some(slot) = self.local(name) {
            code.push(Instr::Local(slot));
            return Some(self.locals[slot as usize].0.ty);
        }
        match self.names.symbols.get(name).cloned() {
            Some((Symbol::Function(_), _)) => {
                self.report(
                    Diagnostic::new(
                        Code::E0201,
                        span,
                        format!("`{name}` is a function, not a value"),
                    )
                    .with_help(format!("call it: `{name}(…)`")),
                );
                None
            }
            Some((Symbol::Const(value, ty), _)) => {
                code.push(Instr::constant(value));
                Some(ty)
            }
            Some((Symbol::Var(id), _)) => {
                self.var_reads[id.index()] = true;
                code.push(Instr::Load(id));
                Some(self.names.vars[id.index()].ty)
            }
            Some((Symbol::Variant(id, index), _)) => {
                code.push(Instr::constant(Value::Enum(index)));
                Some(Type::Enum(id))
            }
            Some((Symbol::EnumType(_), _)) => {
                self.report(
                    Diagnostic::new(
                        Code::E0201,
                        span,
                        format!("`{name}` is a type, not a value"),
                    )
                    .with_help("write one of its values instead"),
                );
                None
            }
            None => {
                let ident = ast::Ident {
                    name: name.to_owned(),
                    span,
                };
                if !self.names.broken.contains(name) && !self.broken_temps.contains(name) {
                    let mut undeclared = self.undeclared(&ident, expected);
                    if let Some(help) = self.out_of_scope(name) {
                        undeclared = undeclared.with_help(help);
                    }
                    self.report(undeclared);
                }
                None
            }
        }
    }

    /// A set literal: `{a, b}`. `expected` gives an empty one its type.
    fn set(
        &mut self,
        elements: &[ast::Expr],
        span: Span,
        expected: Option<Type>,
        code: &mut Vec<Instr>,
    ) -> Option<Type> {
        let mut element_type: Option<EnumId> = match expected {
            Some(Type::Set(id)) => Some(id),
            _ => None,
        };
        let mut ok = true;
        for element in elements {
            match self.emit(element, element_type.map(Type::Enum), code) {
                Some(Type::Enum(id)) if element_type.is_none_or(|known| known == id) => {
                    element_type = Some(id);
                }
                Some(other) => {
                    let message = match element_type {
                        Some(id) => format!(
                            "a set of `{}` cannot hold a value of type {}",
                            self.names.enums[id.index()].name,
                            self.type_name(other)
                        ),
                        None => format!("a set holds enum values, not {}", self.type_name(other)),
                    };
                    self.report(Diagnostic::new(Code::E0201, element.span, message));
                    ok = false;
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let Some(id) = element_type else {
            self.report(
                Diagnostic::new(Code::E0204, span, "the type of this empty set is unknown")
                    .with_help("write the variable's type: `var name: set of Enum = {}`"),
            );
            return None;
        };
        if self.names.enums[id.index()].variants.len() > 64 {
            self.report(Diagnostic::new(
                Code::E0206,
                span,
                format!(
                    "enum `{}` has more than 64 values, too many for a set",
                    self.names.enums[id.index()].name
                ),
            ));
            return None;
        }
        code.push(Instr::MakeSet(elements.len() as u32));
        Some(Type::Set(id))
    }

    /// `and` and `or`, which skip their right side when the left decides.
    fn logical(
        &mut self,
        op: BinaryOp,
        left: &ast::Expr,
        right: &ast::Expr,
        code: &mut Vec<Instr>,
    ) -> Option<Type> {
        let left_ty = self.emit(left, None, code);
        let jump = code.len();
        code.push(Instr::AndThen(0));
        let right_ty = self.emit(right, None, code);
        let skip = (code.len() - jump - 1) as u32;
        code[jump] = if op == BinaryOp::And {
            Instr::AndThen(skip)
        } else {
            Instr::OrElse(skip)
        };
        let (left_ty, right_ty) = (left_ty?, right_ty?);
        for (ty, side) in [(left_ty, left), (right_ty, right)] {
            if ty != Type::Bool {
                let message = format!(
                    "`{}` needs bool operands, found {}",
                    op.symbol(),
                    self.type_name(ty)
                );
                return self.mismatch(side.span, message);
            }
        }
        Some(Type::Bool)
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &ast::Expr,
        right: &ast::Expr,
        span: Span,
        code: &mut Vec<Instr>,
    ) -> Option<Type> {
        // An empty set on one side takes the other side's type.
        let left_is_empty = matches!(&left.kind, ExprKind::Set(items) if items.is_empty());
        let (left_ty, right_ty) = if left_is_empty {
            let mut right_code = Vec::new();
            let right_ty = self.emit(right, None, &mut right_code);
            let hint = right_ty.map(|ty| match ty {
                Type::Enum(id) => Type::Set(id),
                other => other,
            });
            let left_ty = self.emit(left, hint, code);
            code.extend(right_code);
            (left_ty, right_ty)
        } else {
            let left_ty = self.emit(left, None, code);
            let hint = match (op, left_ty) {
                (BinaryOp::In | BinaryOp::NotIn, _) => None,
                (_, ty) => ty,
            };
            let right_ty = self.emit(right, hint, code);
            (left_ty, right_ty)
        };
        let (left_ty, right_ty) = (left_ty?, right_ty?);
        let result = binary_type(op, left_ty, right_ty);
        let Some(result) = result else {
            let message = format!(
                "`{}` cannot combine {} and {}",
                op.symbol(),
                self.type_name(left_ty),
                self.type_name(right_ty)
            );
            return self.mismatch(span, message);
        };
        code.push(Instr::Binary(op));
        Some(result)
    }

    /// Lowers the arguments of a call that is itself wrong, for their own
    /// errors and the variables they read (which are read, so not unused),
    /// and drops the code.
    pub(super) fn check_arguments(&mut self, args: &[ast::Expr]) {
        for arg in args {
            let mut discarded = Vec::new();
            let _ = self.emit(arg, None, &mut discarded);
        }
    }

    /// A call of a built-in function (see [`BUILTINS`]).
    pub(super) fn call(
        &mut self,
        function: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        code: &mut Vec<Instr>,
    ) -> Option<Type> {
        if let Some((Symbol::Function(id), _)) = self.names.symbols.get(&function.name) {
            return self.call_function(*id, function, args, span, code);
        }
        let Some(builtin) = BUILTINS
            .iter()
            .find(|builtin| builtin.name == function.name)
        else {
            if self.names.function_names.contains(&function.name) {
                // Declared, but not yet: a constant or initial value.
                self.report(
                    Diagnostic::new(Code::E0203, span, "not a constant expression")
                        .with_help(format!(
                            "`{}` is a function, and constants and initial values may use only literals and constants; call it in a scene: `~ x = {}(…)`",
                            function.name, function.name
                        )),
                );
            } else if !self.names.broken.contains(&function.name) {
                self.unknown_function(function);
            }
            self.check_arguments(args);
            return None;
        };
        if self.in_page && matches!(builtin.instr, Some(Instr::Random)) {
            self.report(super::page_changes(span, "`random()`"));
        }
        if let Some(scope) = &self.function_scope
            && matches!(builtin.instr, Some(Instr::Random))
        {
            let message = format!("`random()` inside function `{}`", scope.name);
            self.report(
                Diagnostic::new(Code::E0134, span, message).with_help(
                    "a function gives the same value for the same state, which keeps guards and the explorer sound; draw the number in a scene and pass it: `~ roll = random(1, 6)` then `f(roll)`",
                ),
            );
        }
        let arity = builtin.arity;
        if args.len() != arity {
            self.report(
                Diagnostic::new(
                    Code::E0106,
                    span,
                    format!(
                        "`{}` takes {arity} argument{}, found {}",
                        function.name,
                        if arity == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .with_help(builtin.usage),
            );
            // `visits` and `taken` take names, not expressions.
            if !matches!(builtin.args, Args::SceneName | Args::Label) {
                self.check_arguments(args);
            }
            return None;
        }
        if builtin.args == Args::SceneName {
            let id = self.scene_argument(&args[0])?;
            code.push(Instr::Visits(id));
            return Some(Type::Int);
        }
        if builtin.args == Args::Label {
            let label = self.label_argument(&args[0])?;
            // The label's index until `graph::build` resolves it to its
            // choice (see `Instr::Taken`).
            code.push(Instr::Taken(ChoiceId(label)));
            return Some(Type::Bool);
        }
        let mut types = Vec::new();
        for arg in args {
            types.push(self.emit(arg, None, code));
        }
        let types: Vec<Type> = types.into_iter().collect::<Option<_>>()?;
        for (ty, arg) in types.iter().zip(args) {
            let fits = match builtin.args {
                Args::Set => matches!(ty, Type::Set(_)),
                Args::Ints => *ty == Type::Int,
                Args::SceneName | Args::Label => true,
            };
            if !fits {
                let wanted = if builtin.args == Args::Set {
                    "a set"
                } else {
                    "ints"
                };
                let message = format!(
                    "`{}` needs {wanted}, found {}",
                    builtin.name,
                    self.type_name(*ty)
                );
                return self.mismatch(arg.span, message);
            }
        }
        code.extend(builtin.instr.clone());
        Some(Type::Int)
    }

    /// The scene `visits(scene)` names.
    fn scene_argument(&mut self, arg: &ast::Expr) -> Option<SceneId> {
        let ExprKind::Name(name) = &arg.kind else {
            self.report(
                Diagnostic::new(Code::E0106, arg.span, "`visits` takes a scene's name")
                    .with_help("write `visits(scene_name)`"),
            );
            return None;
        };
        let Some(id) = self.names.scene_ids.get(name) else {
            let help = self.suggest_scene(name, false);
            self.report(
                Diagnostic::new(Code::E0104, arg.span, format!("unknown scene `{name}`"))
                    .with_help(help),
            );
            return None;
        };
        Some(id)
    }
}

fn binary_type(op: BinaryOp, left: Type, right: Type) -> Option<Type> {
    use BinaryOp::*;
    match (op, left, right) {
        (Add | Sub | Mul | Div | Rem, Type::Int, Type::Int) => Some(Type::Int),
        (Add, Type::Text, Type::Text) => Some(Type::Text),
        (Add | Sub, Type::Set(a), Type::Set(b) | Type::Enum(b)) if a == b => Some(Type::Set(a)),
        // Intersection, as in Pascal: `count(allies * politburo)`.
        (Mul, Type::Set(a), Type::Set(b)) if a == b => Some(Type::Set(a)),
        (Eq | Ne, a, b) if a == b => Some(Type::Bool),
        (Lt | Le | Gt | Ge, Type::Int, Type::Int) => Some(Type::Bool),
        (In | NotIn, Type::Enum(a), Type::Set(b)) if a == b => Some(Type::Bool),
        _ => None,
    }
}

#[derive(Debug)]
pub(super) enum ConstError {
    NotConstant,
    Arithmetic(String),
}

/// Evaluates code that uses only literals (constants are already inlined):
/// the compile-time half of arithmetic, for constants, initial values and
/// always-false guards. The runtime's own evaluator runs it over an empty
/// environment, so a constant folds exactly as the same expression runs.
pub(super) fn evaluate_constant(code: &[Instr]) -> Result<Value, ConstError> {
    run(&mut Folding, &mut Vec::new(), Program::EMPTY, code).map_err(|fault| match fault {
        Fault::Overflow => {
            ConstError::Arithmetic("integer overflow in a constant expression".into())
        }
        Fault::DivisionByZero => {
            ConstError::Arithmetic("division by zero in a constant expression".into())
        }
        Fault::TextTooLong => ConstError::Arithmetic(format!(
            "text longer than {MAX_TEXT_LEN} bytes in a constant expression"
        )),
        Fault::RandomRange { .. }
        | Fault::FunctionTooDeep(_)
        | Fault::UnboundExtern(_)
        | Fault::ExternFailed(..)
        | Fault::Malformed(_) => ConstError::NotConstant,
    })
}

/// What a constant reads: nothing. A variable, `turns`, `visits()` or
/// `random()` makes an expression not constant.
struct Folding;

impl Env for Folding {
    fn load(&mut self, _: VarId) -> Result<Value, Fault> {
        Err(Fault::Malformed("not a constant"))
    }

    fn local(&mut self, _: u32) -> Result<Value, Fault> {
        Err(Fault::Malformed("not a constant"))
    }

    fn turns(&mut self) -> Result<i64, Fault> {
        Err(Fault::Malformed("not a constant"))
    }

    fn visits(&mut self, _: SceneId) -> Result<i64, Fault> {
        Err(Fault::Malformed("not a constant"))
    }

    fn taken(&mut self, _: ChoiceId) -> Result<bool, Fault> {
        Err(Fault::Malformed("not a constant"))
    }

    fn random(&mut self, _: i64, _: i64) -> Result<i64, Fault> {
        Err(Fault::Malformed("not a constant"))
    }
}

/// What a built-in function's arguments must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Args {
    /// One set: `count(allies)`.
    Set,
    /// Ints: `random(1, 6)`, `min(a, b)`.
    Ints,
    /// A scene's name, not an expression: `visits(letter)`.
    SceneName,
    /// A choice's label, bare or after its scene's name: `taken(ask)`,
    /// `taken(office.ask)`.
    Label,
}

/// A built-in function. Every use of one (the call, its checks, the
/// suggestions for a misspelt name and the usage help) reads this table,
/// so adding one is adding a row (and, for a new instruction, its meaning
/// in `graph/eval.rs`). Every built-in returns an int but `taken`, a bool.
#[derive(Debug)]
pub(super) struct Builtin {
    pub(super) name: &'static str,
    arity: usize,
    args: Args,
    /// The instruction applied to the arguments' values; `None` for
    /// `visits` and `taken`, whose instructions carry the scene's or the
    /// choice's id.
    instr: Option<Instr>,
    usage: &'static str,
}

pub(super) static BUILTINS: [Builtin; 6] = [
    Builtin {
        name: "count",
        arity: 1,
        args: Args::Set,
        instr: Some(Instr::Count),
        usage: "`count(set)`: the number of elements in a set",
    },
    Builtin {
        name: "visits",
        arity: 1,
        args: Args::SceneName,
        instr: None,
        usage: "`visits(scene)`: how often a scene was entered",
    },
    Builtin {
        name: "taken",
        arity: 1,
        args: Args::Label,
        instr: None,
        usage: "`taken(label)`: whether the choice `* (label) …` of this scene was chosen (`taken(scene.label)` for another scene's)",
    },
    Builtin {
        name: "random",
        arity: 2,
        args: Args::Ints,
        instr: Some(Instr::Random),
        usage: "`random(lo, hi)`: a number from `lo` to `hi`, both included (a die is `random(1, 6)`)",
    },
    Builtin {
        name: "min",
        arity: 2,
        args: Args::Ints,
        instr: Some(Instr::Min),
        usage: "`min(a, b)`: the smaller of two ints",
    },
    Builtin {
        name: "max",
        arity: 2,
        args: Args::Ints,
        instr: Some(Instr::Max),
        usage: "`max(a, b)`: the larger of two ints",
    },
];
