//! Statements: text, logic, conditionals, choices, diverts and
//! assignments compiled into a scene's ops.

use super::expr::evaluate_constant;
use super::{
    Lowering, SceneBuilder, ending_continues, ends_in_divert, page_changes, page_continues,
};
use crate::ast::{self, AssignOp, StmtKind};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::declare::Symbol;
use crate::graph::{
    Alternatives, BothGuards, Choice, ChoiceId, Conditional, Expr, Guard, Instr, Op, Part, Parts,
    SceneId, SeqId, Type, Value,
};

impl Lowering<'_> {
    pub(super) fn block(&mut self, block: &[ast::Stmt], builder: &mut SceneBuilder) {
        // A temporary declared in this block is in scope to its end.
        let scope = self.scope.len();
        let mut diverted: Option<Span> = None;
        for stmt in block {
            if let Some(divert) = diverted.take() {
                self.report(
                    Diagnostic::new(Code::W0003, stmt.span, "this line can never run")
                        .with_label(divert, "control leaves the block here")
                        .with_help("move the line above the divert, or remove it"),
                );
            }
            match &stmt.kind {
                StmtKind::Text { text, tags, glue } => {
                    let text = self.text(text, true);
                    builder.ops.push(Op::Text {
                        text,
                        tags: tags.as_slice().into(),
                        span: stmt.span,
                        glue: *glue,
                    });
                }
                StmtKind::Temp { name, value } => {
                    builder.ops.extend(self.temp(name, value, stmt.span));
                }
                StmtKind::Call(call) => {
                    if builder.is_page {
                        self.report(page_continues(stmt.span, "a tunnel call"));
                    } else {
                        builder.ops.extend(self.call_op(call));
                    }
                }
                StmtKind::Return => {
                    if builder.is_page {
                        self.report(page_continues(stmt.span, "a tunnel return"));
                    } else if builder.is_ending {
                        self.report(ending_continues(stmt.span, "a tunnel return"));
                    } else {
                        builder.ops.push(Op::Return { span: stmt.span });
                    }
                    diverted = Some(stmt.span);
                }
                StmtKind::Assign { target, op, value } => {
                    // A temporary of a page changes nothing of the game.
                    if builder.is_page && self.local(&target.name).is_none() {
                        self.report(page_changes(stmt.span, "an assignment"));
                    }
                    if let Some(assign) = self.assign(target, *op, value, stmt.span) {
                        builder.ops.push(assign);
                    }
                }
                StmtKind::Assert { condition, message } => {
                    builder
                        .ops
                        .extend(self.assertion(condition, message.as_deref(), stmt.span));
                }
                StmtKind::Divert(divert) => {
                    if builder.is_page {
                        self.report(page_continues(stmt.span, "a divert"));
                    } else if builder.is_ending {
                        self.report(ending_continues(stmt.span, "a divert"));
                    } else if let Some(target) = self.divert_target(divert) {
                        self.no_arguments_needed(target, divert);
                        builder.ops.push(Op::Divert {
                            target,
                            span: divert.span,
                        });
                    }
                    diverted = Some(stmt.span);
                }
                StmtKind::If {
                    branches,
                    otherwise,
                } => self.conditional(branches, otherwise.as_deref(), builder),
                StmtKind::Choices(choices) => {
                    if builder.is_page {
                        self.report(page_continues(stmt.span, "a choice"));
                    } else if builder.is_ending {
                        self.report(ending_continues(stmt.span, "a choice"));
                    } else {
                        self.choices(choices, stmt.span, builder);
                    }
                }
            }
        }
        self.end_scope(scope);
    }

    pub(super) fn conditional(
        &mut self,
        branches: &[(ast::Expr, ast::Block)],
        otherwise: Option<&[ast::Stmt]>,
        builder: &mut SceneBuilder,
    ) {
        let mut exits = Vec::new();
        for (condition, body) in branches {
            let condition = self.condition(condition);
            let jump = builder.ops.len();
            builder.ops.push(Op::JumpUnless {
                condition: condition.unwrap_or_else(|| self.placeholder(Type::Bool)),
                target: 0,
            });
            self.block(body, builder);
            exits.push(builder.ops.len());
            builder.ops.push(Op::Jump { target: 0 });
            let next = builder.ops.len() as u32;
            if let Op::JumpUnless { target, .. } = &mut builder.ops[jump] {
                *target = next;
            }
        }
        if let Some(otherwise) = otherwise {
            self.block(otherwise, builder);
        }
        let end = builder.ops.len() as u32;
        for exit in exits {
            builder.ops[exit] = Op::Jump { target: end };
        }
    }

    pub(super) fn choices(
        &mut self,
        choices: &[ast::Choice],
        span: Span,
        builder: &mut SceneBuilder,
    ) {
        let block_index = builder.ops.len();
        builder.ops.push(Op::Choices {
            choices: Box::default(),
            span,
        });
        // Exactly as many as written, so the boxed slice is not copied.
        let mut compiled = Vec::with_capacity(choices.len());
        let mut exits = Vec::new();
        for choice in choices {
            let guard = match &choice.guard {
                ast::Guard::Always => Guard::Always,
                ast::Guard::Hidden(condition) => Guard::Hidden(self.guard(condition)),
                ast::Guard::Requires(requires) => {
                    let ast::Requires {
                        shown,
                        condition,
                        reason,
                        ..
                    } = &**requires;
                    // Written back from the tree: a slice of the source
                    // was cut wrongly at brackets (issue #15).
                    let reason = match reason {
                        Some(reason) => self.intern(reason),
                        None => self.intern(&format!("requires {condition}")),
                    };
                    let shown = shown.as_ref().map(|shown| self.guard(shown));
                    let condition = self.guard(condition);
                    match shown {
                        Some(shown) => Guard::Both(Box::new(BothGuards {
                            shown,
                            condition,
                            reason,
                        })),
                        None => Guard::Requires {
                            condition: Box::new(condition),
                            reason,
                        },
                    }
                }
            };
            let text = choice.text.as_ref().map(|text| self.text(text, false));
            let target = builder.ops.len() as u32;
            let id = ChoiceId(self.choice_count);
            self.choice_count += 1;
            self.block(&choice.body, builder);
            let body_diverts = ends_in_divert(&choice.body);
            if let Some(divert) = &choice.divert {
                if let Some(scene) = self.divert_target(divert) {
                    self.no_arguments_needed(scene, divert);
                    builder.ops.push(Op::Divert {
                        target: scene,
                        span: divert.span,
                    });
                }
            } else if body_diverts.is_none() {
                exits.push(builder.ops.len());
                builder.ops.push(Op::Jump { target: 0 });
            }
            compiled.push(Choice {
                id,
                sticky: choice.sticky,
                label: choice.label.as_ref().map(|label| self.intern(&label.name)),
                guard,
                text,
                target,
                tags: choice.tags.as_slice().into(),
                span: choice.span,
            });
        }
        let end = builder.ops.len() as u32;
        for exit in exits {
            builder.ops[exit] = Op::Jump { target: end };
        }
        builder.ops[block_index] = Op::Choices {
            choices: compiled.into_boxed_slice(),
            span,
        };
    }

    /// Compiles a choice's guard, warning when it is always false.
    pub(super) fn guard(&mut self, condition: &ast::Expr) -> Expr {
        let Some(compiled) = self.condition(condition) else {
            return self.placeholder(Type::Bool);
        };
        if let Ok(Value::Bool(false)) = evaluate_constant(self.code_of(&compiled)) {
            self.report(
                Diagnostic::new(Code::W0004, condition.span, "this guard is always false")
                    .with_help(
                        "the choice can never be taken; fix the condition or remove the choice",
                    ),
            );
        }
        compiled
    }

    pub(super) fn divert_target(&mut self, divert: &ast::Divert) -> Option<SceneId> {
        match self.names.scene_ids.get(&divert.target.name) {
            Some(id) => {
                if self.names.pages.get(id.index()) == Some(&true) {
                    let name = &divert.target.name;
                    self.report(
                        Diagnostic::new(
                            Code::E0311,
                            divert.target.span,
                            format!("`{name}` is a page, which the player opens; no divert goes there"),
                        )
                        .with_help(format!(
                            "the player types `{name}` to read the page; to show its text in the story, put it in a scene"
                        )),
                    );
                    // Treated as an unknown target: the graph passes must
                    // not report the follow-ons of a divert that goes nowhere.
                    self.unknown_divert = true;
                    return Some(self.names.fallback_scene);
                }
                if divert.to_ending && self.names.endings.get(id.index()) == Some(&false) {
                    // The divert still goes there, so the graph passes
                    // see the story as written.
                    let name = &divert.target.name;
                    self.report(
                        Diagnostic::new(
                            Code::E0306,
                            divert.target.span,
                            format!("`{name}` is a scene, not an ending"),
                        )
                        .with_help(format!(
                            "`-> ending` names an `== ending` scene: write `-> {name}` to divert to the scene, or declare it `== ending {name}`"
                        )),
                    );
                }
                Some(id)
            }
            None => {
                self.unknown_divert = true;
                let help = self.suggest_scene(&divert.target.name, divert.to_ending);
                self.report(
                    Diagnostic::new(
                        Code::E0104,
                        divert.target.span,
                        format!("unknown divert target `{}`", divert.target.name),
                    )
                    .with_help(help),
                );
                Some(self.names.fallback_scene)
            }
        }
    }

    pub(super) fn assign(
        &mut self,
        target: &ast::Ident,
        op: AssignOp,
        value: &ast::Expr,
        span: Span,
    ) -> Option<Op> {
        if let Some(slot) = self.local(&target.name) {
            return self.assign_local(slot, target, op, value, span);
        }
        let var = match self.names.symbols.get(&target.name).cloned() {
            Some((Symbol::Var(id), _)) => id,
            Some((Symbol::Const(..), declared)) => {
                self.report(
                    Diagnostic::new(
                        Code::E0202,
                        target.span,
                        format!("cannot assign to constant `{}`", target.name),
                    )
                    .with_label(declared, "declared as a constant here")
                    .with_help(format!(
                        "declare it with `var {}` to change it",
                        target.name
                    )),
                );
                return None;
            }
            Some((_, declared)) => {
                self.report(
                    Diagnostic::new(
                        Code::E0202,
                        target.span,
                        format!("`{}` is not a variable", target.name),
                    )
                    .with_label(declared, "declared here"),
                );
                return None;
            }
            None => {
                if !self.names.broken.contains(&target.name)
                    && !self.broken_temps.contains(&target.name)
                {
                    self.report(self.undeclared(target, None));
                }
                return None;
            }
        };
        let var_ty = self.names.vars[var.index()].ty;
        let declared = self.names.vars[var.index()].span;
        let value = self.assigned_value(target, op, value, var_ty, declared)?;
        Some(Op::Assign {
            var,
            op,
            value,
            span,
        })
    }

    /// The value assigned with `op` to `target`, of type `var_ty` and
    /// declared at `declared`, compiled and type-checked.
    pub(super) fn assigned_value(
        &mut self,
        target: &ast::Ident,
        op: AssignOp,
        value: &ast::Expr,
        var_ty: Type,
        declared: Span,
    ) -> Option<Expr> {
        let expected = match (op, var_ty) {
            (AssignOp::Set, ty) => Some(ty),
            (_, Type::Set(_)) => None,
            (_, ty) => Some(ty),
        };
        let value = self.expr(value, expected.or(Some(var_ty)))?;
        let fits = match (op, var_ty) {
            (AssignOp::Set, ty) => value.ty == ty,
            (AssignOp::Add | AssignOp::Sub, Type::Int) => value.ty == Type::Int,
            (AssignOp::Add, Type::Text) => value.ty == Type::Text,
            (AssignOp::Add | AssignOp::Sub, Type::Set(id)) => {
                value.ty == Type::Set(id) || value.ty == Type::Enum(id)
            }
            _ => false,
        };
        if !fits {
            let symbol = match op {
                AssignOp::Set => "=",
                AssignOp::Add => "+=",
                AssignOp::Sub => "-=",
            };
            let message = format!(
                "cannot apply `{symbol}` to `{}` ({}) with a value of type {}",
                target.name,
                self.type_name(var_ty),
                self.type_name(value.ty)
            );
            self.report(
                Diagnostic::new(Code::E0201, value.span, message)
                    .with_label(declared, format!("`{}` is declared here", target.name)),
            );
            return None;
        }
        Some(value)
    }

    pub(super) fn condition(&mut self, expr: &ast::Expr) -> Option<Expr> {
        let compiled = self.expr(expr, Some(Type::Bool))?;
        if compiled.ty != Type::Bool {
            let message = format!(
                "expected a condition (bool), found {}",
                self.type_name(compiled.ty)
            );
            self.report(Diagnostic::new(Code::E0201, expr.span, message));
            return None;
        }
        Some(compiled)
    }

    /// The condition of `{condition: then|otherwise}`: a bool, or a set,
    /// which holds when it is not empty (`{allies: {allies}|no one}`).
    fn text_condition(&mut self, expr: &ast::Expr) -> Option<Expr> {
        let compiled = self.expr(expr, Some(Type::Bool))?;
        if let Type::Set(_) = compiled.ty {
            // `count(set) > 0`, appended to the set's code (the last
            // expression in the arena).
            self.code.extend([
                Instr::Count,
                Instr::Int(0),
                Instr::Binary(ast::BinaryOp::Gt),
            ]);
            return Some(Expr {
                code: crate::graph::CodeRange {
                    start: compiled.code.start,
                    len: compiled.code.len + 3,
                },
                ty: Type::Bool,
                span: compiled.span,
            });
        }
        if compiled.ty != Type::Bool {
            let message = format!(
                "expected a condition (bool, or a set: true when not empty), found {}",
                self.type_name(compiled.ty)
            );
            self.report(Diagnostic::new(Code::E0201, expr.span, message));
            return None;
        }
        Some(compiled)
    }

    /// A text's parts, gathered on `self.parts` (a stack: a conditional's
    /// branches gather theirs above) and taken off it at the end, so the
    /// common text of one part allocates nothing.
    pub(super) fn text(&mut self, text: &ast::Text, allow_alternatives: bool) -> Parts {
        let start = self.parts.len();
        for segment in text {
            match segment {
                ast::Segment::Literal(literal) => {
                    let literal = self.intern(literal);
                    self.parts.push(Part::Literal(literal));
                }
                ast::Segment::Interpolate(expr) => {
                    if let Some(expr) = self.expr(expr, None) {
                        self.parts.push(Part::Value(Box::new(expr)));
                    }
                }
                ast::Segment::Conditional {
                    condition,
                    then,
                    otherwise,
                } => {
                    let condition = self.text_condition(condition);
                    let then = self.text(then, allow_alternatives);
                    let otherwise = self.text(otherwise, allow_alternatives);
                    if let Some(condition) = condition {
                        self.parts.push(Part::Conditional(Box::new(Conditional {
                            condition,
                            then,
                            otherwise,
                        })));
                    }
                }
                ast::Segment::Alternatives {
                    kind,
                    options,
                    span,
                } => {
                    if !allow_alternatives {
                        self.report(
                            Diagnostic::new(Code::E0002, *span, "alternatives are not allowed in a choice's text")
                                .with_help("a choice's text is shown many times; use a conditional `{cond: a|b}` instead"),
                        );
                        continue;
                    }
                    let seq = SeqId(self.seq_count);
                    self.seq_count += 1;
                    let options = options
                        .iter()
                        .map(|option| self.text(option, true))
                        .collect();
                    self.parts.push(Part::Alternatives(Box::new(Alternatives {
                        kind: *kind,
                        seq,
                        options,
                    })));
                }
            }
        }
        Parts::gathered(&mut self.parts, start)
    }
}
