//! Function bodies: `temp`s, assignments to locals, `if`/`elif`/`else` and
//! `return`, compiled to code over local slots with forward jumps only, and
//! the checks that keep a function pure and make it return on every path.

use super::Lowering;
use super::expr::BUILTINS;
use crate::ast::{self, AssignOp, FnStmtKind, Forbidden};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::declare::Symbol;
use crate::graph::{CodeRange, FnId, Function, Instr, Type};

/// The function being lowered: its locals in scope, by name.
#[derive(Debug)]
pub(crate) struct FnScope {
    pub(super) name: String,
    pub(super) returns: Type,
    /// The locals in scope, in slot order: parameters, then `temp`s.
    pub(super) visible: Vec<(String, Type)>,
    /// The most slots in use at once.
    pub(super) slots: usize,
}

impl FnScope {
    /// A local's slot and type.
    pub(super) fn lookup(&self, name: &str) -> Option<(u32, Type)> {
        self.visible
            .iter()
            .rposition(|(local, _)| local == name)
            .map(|slot| (slot as u32, self.visible[slot].1))
    }
}

impl Lowering<'_> {
    /// Compiles every function's body into the code arena, in declaration
    /// order (their ids).
    pub(crate) fn functions(&mut self, declared: &[(FnId, ast::Function)]) -> Vec<Function> {
        declared
            .iter()
            .map(|(id, function)| self.function(*id, function))
            .collect()
    }

    fn function(&mut self, id: FnId, function: &ast::Function) -> Function {
        let signature = &self.names.functions[id.index()];
        let (params, returns) = (signature.params.clone(), signature.returns);
        let mut scope = FnScope {
            name: function.name.name.clone(),
            returns,
            visible: Vec::new(),
            slots: params.len(),
        };
        for ((name, _), ty) in function.params.iter().zip(&params) {
            if scope.visible.iter().any(|(seen, _)| *seen == name.name) {
                self.report(
                    Diagnostic::new(
                        Code::E0102,
                        name.span,
                        format!("parameter `{}` is declared twice", name.name),
                    )
                    .with_help("rename one of the parameters"),
                );
            }
            scope.visible.push((name.name.clone(), *ty));
        }
        let code = function.body.as_ref().map(|body| {
            self.function_scope = Some(scope);
            let mut code = Vec::new();
            self.fn_block(body, &mut code);
            if always_recurses(body, &function.name.name) {
                self.report(
                    Diagnostic::new(
                        Code::E0135,
                        function.name.span,
                        format!("function `{}` calls itself on every path", function.name.name),
                    )
                    .with_help("every call would make another, until calls nest 256 deep and the story stops; give it a path that returns without calling itself (`if n <= 0:` / `return 0`)"),
                );
            } else if !always_returns(body) {
                self.report(
                    Diagnostic::new(
                        Code::E0130,
                        function.name.span,
                        format!(
                            "function `{}` can end without returning a value",
                            function.name.name
                        ),
                    )
                    .with_help("end every path with `return …`; an `if` without an `else` can fall through to the end"),
                );
            }
            let start = self.code.len() as u32;
            self.code.extend_from_slice(&code);
            (
                CodeRange {
                    start,
                    len: code.len() as u32,
                },
                self.function_scope.take().map_or(0, |scope| scope.slots),
            )
        });
        Function {
            name: function.name.name.clone(),
            params,
            returns,
            locals: code.map_or(0, |(_, slots)| slots as u32),
            is_extern: function.is_extern,
            code: code.map(|(range, _)| range),
            span: function.span,
        }
    }

    /// Compiles a block of a function's body; its `temp`s go out of scope
    /// at its end.
    fn fn_block(&mut self, block: &[ast::FnStmt], code: &mut Vec<Instr>) {
        let scoped = self.function_scope.as_ref().map_or(0, |s| s.visible.len());
        for stmt in block {
            match &stmt.kind {
                FnStmtKind::Temp { name, value } => {
                    let ty = self.emit(value, None, code);
                    let Some(scope) = self.function_scope.as_mut() else {
                        continue;
                    };
                    if scope.visible[scoped..]
                        .iter()
                        .any(|(seen, _)| *seen == name.name)
                    {
                        let message = format!("`{}` is declared twice in this block", name.name);
                        self.report(Diagnostic::new(Code::E0102, name.span, message).with_help(
                            "to change a temp, assign to it: `name = value`; or rename one",
                        ));
                        continue;
                    }
                    let Some(ty) = ty else { continue };
                    scope.visible.push((name.name.clone(), ty));
                    scope.slots = scope.slots.max(scope.visible.len());
                    code.push(Instr::StoreLocal(scope.visible.len() as u32 - 1));
                }
                FnStmtKind::Assign { target, op, value } => {
                    self.fn_assign(target, *op, value, code);
                }
                FnStmtKind::Return(value) => {
                    let Some(ty) = self.emit(value, self.function_returns(), code) else {
                        continue;
                    };
                    if let Some(scope) = &self.function_scope
                        && ty != scope.returns
                    {
                        let message = format!(
                            "`{}` returns {}, found {}",
                            scope.name,
                            self.type_name(scope.returns),
                            self.type_name(ty)
                        );
                        self.report(Diagnostic::new(Code::E0201, value.span, message));
                        continue;
                    }
                    code.push(Instr::Return);
                }
                FnStmtKind::If {
                    branches,
                    otherwise,
                } => self.fn_if(branches, otherwise.as_deref(), code),
                FnStmtKind::Forbidden(what) => self.forbidden(*what, stmt.span),
            }
        }
        if let Some(scope) = self.function_scope.as_mut() {
            scope.visible.truncate(scoped);
        }
    }

    fn function_returns(&self) -> Option<Type> {
        self.function_scope.as_ref().map(|scope| scope.returns)
    }

    fn forbidden(&mut self, what: Forbidden, span: crate::diagnostic::Span) {
        let (code, message, help) = match what {
            Forbidden::Text => (
                Code::E0131,
                "text inside a function",
                "a function computes a value and shows nothing; return the value and show it in a scene: `{f(…)}`",
            ),
            Forbidden::Divert => (
                Code::E0133,
                "a divert inside a function",
                "a function only computes a value; divert in the scene that calls it: `if f(…):` then `-> scene`",
            ),
            Forbidden::Choice => (
                Code::E0133,
                "a choice inside a function",
                "a function only computes a value; offer choices in a scene, guarded by the function: `* {f(…)} Text`",
            ),
        };
        self.report(Diagnostic::new(code, span, message).with_help(help));
    }

    /// `if`/`elif`/`else` in a function: each condition skips its branch
    /// when false, and each branch skips to the end.
    fn fn_if(
        &mut self,
        branches: &[(ast::Expr, ast::FnBlock)],
        otherwise: Option<&[ast::FnStmt]>,
        code: &mut Vec<Instr>,
    ) {
        let mut to_end = Vec::new();
        for (index, (condition, body)) in branches.iter().enumerate() {
            if let Some(ty) = self.emit(condition, Some(Type::Bool), code)
                && ty != Type::Bool
            {
                let message = format!("expected a condition (bool), found {}", self.type_name(ty));
                self.report(Diagnostic::new(Code::E0201, condition.span, message));
            }
            let test = code.len();
            code.push(Instr::SkipUnless(0));
            self.fn_block(body, code);
            if index + 1 < branches.len() || otherwise.is_some() {
                to_end.push(code.len());
                code.push(Instr::Skip(0));
            }
            code[test] = Instr::SkipUnless((code.len() - test - 1) as u32);
        }
        if let Some(otherwise) = otherwise {
            self.fn_block(otherwise, code);
        }
        for jump in to_end {
            code[jump] = Instr::Skip((code.len() - jump - 1) as u32);
        }
    }

    /// `name = value` (or `+=`, `-=`) in a function: to a local only.
    fn fn_assign(
        &mut self,
        target: &ast::Ident,
        op: AssignOp,
        value: &ast::Expr,
        code: &mut Vec<Instr>,
    ) {
        let local = self
            .function_scope
            .as_ref()
            .and_then(|scope| scope.lookup(&target.name));
        let Some((slot, ty)) = local else {
            let diagnostic = match self.names.symbols.get(&target.name) {
                Some((Symbol::Var(_), declared)) => Diagnostic::new(
                    Code::E0132,
                    target.span,
                    format!("assignment to story variable `{}` inside a function", target.name),
                )
                .with_label(*declared, "declared here")
                .with_help("a function may not change the story; return the new value and assign it in a scene: `~ x = f(…)`"),
                Some((_, declared)) => Diagnostic::new(
                    Code::E0202,
                    target.span,
                    format!("`{}` is not a variable", target.name),
                )
                .with_label(*declared, "declared here")
                .with_help(format!("declare a local with `temp {} = …`", target.name)),
                None => Diagnostic::new(
                    Code::E0103,
                    target.span,
                    format!("`{}` is not declared", target.name),
                )
                .with_help(format!("declare it first: `temp {} = …`", target.name)),
            };
            self.report(diagnostic);
            self.check_arguments(std::slice::from_ref(value));
            return;
        };
        if op != AssignOp::Set {
            code.push(Instr::LoadLocal(slot));
        }
        let expected = match (op, ty) {
            (AssignOp::Set, ty) => Some(ty),
            (_, Type::Set(_)) => None,
            (_, ty) => Some(ty),
        };
        let Some(value_ty) = self.emit(value, expected.or(Some(ty)), code) else {
            return;
        };
        let fits = match (op, ty) {
            (AssignOp::Set, ty) => value_ty == ty,
            (AssignOp::Add | AssignOp::Sub, Type::Int) => value_ty == Type::Int,
            (AssignOp::Add, Type::Text) => value_ty == Type::Text,
            (AssignOp::Add | AssignOp::Sub, Type::Set(id)) => {
                value_ty == Type::Set(id) || value_ty == Type::Enum(id)
            }
            _ => false,
        };
        if !fits {
            let message = format!(
                "cannot assign a value of type {} to `{}` ({})",
                self.type_name(value_ty),
                target.name,
                self.type_name(ty)
            );
            self.report(Diagnostic::new(Code::E0201, value.span, message));
            return;
        }
        match op {
            AssignOp::Set => {}
            AssignOp::Add => code.push(Instr::Binary(ast::BinaryOp::Add)),
            AssignOp::Sub => code.push(Instr::Binary(ast::BinaryOp::Sub)),
        }
        code.push(Instr::StoreLocal(slot));
    }
}

/// Whether every path through a block ends in `return`.
fn always_returns(block: &[ast::FnStmt]) -> bool {
    block.iter().any(|stmt| match &stmt.kind {
        FnStmtKind::Return(_) => true,
        FnStmtKind::If {
            branches,
            otherwise: Some(otherwise),
        } => branches.iter().all(|(_, body)| always_returns(body)) && always_returns(otherwise),
        _ => false,
    })
}

/// Whether every path through a block calls the function `name` before it
/// can return: then every call makes another, without end, whatever the
/// arguments. Conservative: `true` only when certain.
fn always_recurses(block: &[ast::FnStmt], name: &str) -> bool {
    for stmt in block {
        match &stmt.kind {
            FnStmtKind::Temp { value, .. } | FnStmtKind::Assign { value, .. } => {
                if calls_surely(value, name) {
                    return true;
                }
            }
            FnStmtKind::Return(value) => return calls_surely(value, name),
            FnStmtKind::If {
                branches,
                otherwise,
            } => {
                if branches
                    .first()
                    .is_some_and(|(condition, _)| calls_surely(condition, name))
                {
                    return true;
                }
                // Each branch analysed once: nested `if`s would otherwise
                // be walked twice a level, exponentially.
                let bodies: Vec<&[ast::FnStmt]> = branches
                    .iter()
                    .map(|(_, body)| body.as_slice())
                    .chain(otherwise.as_deref())
                    .collect();
                let recursing: Vec<bool> = bodies
                    .iter()
                    .map(|body| always_recurses(body, name))
                    .collect();
                if otherwise.is_some() && recursing.iter().all(|flag| *flag) {
                    return true;
                }
                // A branch that may return, or fall through to the lines
                // below: go on only if no branch can return.
                let may_return = bodies
                    .iter()
                    .zip(&recursing)
                    .any(|(body, recurses)| !recurses && can_return(body));
                if may_return {
                    return false;
                }
            }
            FnStmtKind::Forbidden(_) => {}
        }
    }
    false
}

/// Whether a block holds a `return` anywhere.
fn can_return(block: &[ast::FnStmt]) -> bool {
    block.iter().any(|stmt| match &stmt.kind {
        FnStmtKind::Return(_) => true,
        FnStmtKind::If {
            branches,
            otherwise,
        } => {
            branches.iter().any(|(_, body)| can_return(body))
                || otherwise.as_deref().is_some_and(can_return)
        }
        _ => false,
    })
}

/// Whether evaluating `expr` certainly calls `name` (not behind the right
/// side of an `and` or `or`, which may be skipped).
fn calls_surely(expr: &ast::Expr, name: &str) -> bool {
    use ast::ExprKind;
    match &expr.kind {
        ExprKind::Call { function, args } => {
            function.name == name || args.iter().any(|arg| calls_surely(arg, name))
        }
        ExprKind::Binary(ast::BinaryOp::And | ast::BinaryOp::Or, left, _) => {
            calls_surely(left, name)
        }
        ExprKind::Binary(_, left, right) => calls_surely(left, name) || calls_surely(right, name),
        ExprKind::Unary(_, inner) => calls_surely(inner, name),
        ExprKind::Set(items) => items.iter().any(|item| calls_surely(item, name)),
        ExprKind::Int(_)
        | ExprKind::Bool(_)
        | ExprKind::Str(_)
        | ExprKind::Name(_)
        | ExprKind::Turns => false,
    }
}

/// Calls of the story's functions, from any expression.
impl Lowering<'_> {
    /// A call of one of the story's functions.
    pub(super) fn call_function(
        &mut self,
        id: FnId,
        function: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        code: &mut Vec<Instr>,
    ) -> Option<Type> {
        let signature = &self.names.functions[id.index()];
        let (params, returns) = (signature.params.clone(), signature.returns);
        if args.len() != params.len() {
            let usage = format!(
                "`{}` is declared `fn {}({})`",
                function.name,
                function.name,
                params
                    .iter()
                    .map(|ty| self.type_name(*ty).replace('`', ""))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            self.report(
                Diagnostic::new(
                    Code::E0106,
                    span,
                    format!(
                        "`{}` takes {} argument{}, found {}",
                        function.name,
                        params.len(),
                        if params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .with_help(usage),
            );
            self.check_arguments(args);
            return None;
        }
        let mut ok = true;
        for (index, (arg, param)) in args.iter().zip(&params).enumerate() {
            match self.emit(arg, Some(*param), code) {
                Some(ty) if ty == *param => {}
                Some(ty) => {
                    let message = format!(
                        "argument {} of `{}` must be {}, found {}",
                        index + 1,
                        function.name,
                        self.type_name(*param),
                        self.type_name(ty)
                    );
                    self.report(Diagnostic::new(Code::E0201, arg.span, message));
                    ok = false;
                }
                None => ok = false,
            }
        }
        code.push(Instr::Call(id));
        ok.then_some(returns)
    }

    pub(super) fn unknown_function(&mut self, function: &ast::Ident) {
        let name = function.name.as_str();
        let declared = self.names.functions.iter().map(|f| f.name.as_str());
        let help = match self.names.suggest(
            name,
            BUILTINS.iter().map(|builtin| builtin.name).chain(declared),
        ) {
            Some(best) => format!("did you mean `{best}`?"),
            // What other languages call it.
            None if matches!(name, "len" | "length" | "size" | "size_of") => {
                "a set's size is `count(set)`".into()
            }
            None => {
                let names: Vec<&str> = BUILTINS.iter().map(|builtin| builtin.name).collect();
                let (last, rest) = names.split_last().expect("there are built-in functions");
                format!("the built-in functions are {} and {last}", rest.join(", "))
            }
        };
        self.report(
            Diagnostic::new(
                Code::E0106,
                function.span,
                format!("unknown function `{name}`"),
            )
            .with_help(help),
        );
    }
}
