//! Tunnels and locals: `-> scene(args) ->` calls checked against the
//! scene's parameters, `~ temp` temporaries, and assignments to locals.

use super::Lowering;
use crate::ast::{self, AssignOp};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::{Local, Op, SceneId};

impl Lowering<'_> {
    /// `~ temp name = value`: a new local in scope from the next line to
    /// the end of the block. A name already in scope, or declared for the
    /// whole story, is `E0102`; the same temporary declared again in
    /// another block of the scene reuses its slot when the type agrees.
    pub(super) fn temp(&mut self, name: &ast::Ident, value: &ast::Expr, span: Span) -> Option<Op> {
        let Some(compiled) = self.expr(value, None) else {
            self.broken_temps.insert(name.name.clone());
            return None;
        };
        let first = self
            .local(&name.name)
            .map(|slot| self.locals[slot as usize].1)
            .or_else(|| {
                self.names
                    .symbols
                    .get(&name.name)
                    .map(|(_, declared)| *declared)
            });
        if let Some(first) = first {
            self.report(
                Diagnostic::new(
                    Code::E0102,
                    name.span,
                    format!("`{}` is declared twice", name.name),
                )
                .with_label(first, "first declared here")
                .with_help(match self.local(&name.name) {
                    Some(_) => format!("to change the temporary, assign it: `~ {} = …`", name.name),
                    None => "a temporary may not hide a name the whole story declares; rename it"
                        .to_string(),
                }),
            );
            return None;
        }
        let slot = match self.local_slots.get(&name.name).map(|slot| *slot as usize) {
            Some(slot) if self.locals[slot].0.ty == compiled.ty => slot as u32,
            Some(slot) => {
                let message = format!(
                    "`{}` is declared twice in this scene with another type",
                    name.name
                );
                let help = format!(
                    "it was {} where first declared; rename one of them",
                    self.type_name(self.locals[slot].0.ty)
                );
                self.report(
                    Diagnostic::new(Code::E0102, name.span, message)
                        .with_label(self.locals[slot].1, "first declared here")
                        .with_help(help),
                );
                return None;
            }
            None => {
                self.locals.push((
                    Local {
                        name: name.name.clone(),
                        ty: compiled.ty,
                    },
                    name.span,
                ));
                self.in_scope.push(false);
                let slot = (self.locals.len() - 1) as u32;
                self.local_slots.insert(name.name.clone(), slot);
                slot
            }
        };
        self.enter_scope(slot);
        Some(Op::SetLocal {
            slot,
            op: AssignOp::Set,
            value: compiled,
            span,
        })
    }

    /// `~ name op value` where `name` is a local in scope: a temporary is
    /// set; a parameter is read-only (`E0202`).
    pub(super) fn assign_local(
        &mut self,
        slot: u32,
        target: &ast::Ident,
        op: AssignOp,
        value: &ast::Expr,
        span: Span,
    ) -> Option<Op> {
        let (local, declared) = self.locals[slot as usize].clone();
        if slot < self.params {
            self.report(
                Diagnostic::new(
                    Code::E0202,
                    target.span,
                    format!("cannot assign to parameter `{}`", target.name),
                )
                .with_label(declared, "a parameter of this scene")
                .with_help(format!(
                    "parameters are read-only; copy it into a temporary to change it: `~ temp my_{0} = {0}`",
                    target.name
                )),
            );
            return None;
        }
        let value = self.assigned_value(target, op, value, local.ty, declared)?;
        Some(Op::SetLocal {
            slot,
            op,
            value,
            span,
        })
    }

    /// `-> target(args) ->`: the call, its arguments checked against the
    /// target's parameters (`E0107` for their number, `E0201` for a type).
    pub(super) fn call_op(&mut self, call: &ast::Call) -> Option<Op> {
        let divert = ast::Divert {
            target: call.target.clone(),
            to_ending: false,
            span: call.span,
        };
        let target = self.divert_target(&divert)?;
        let params = self
            .names
            .params
            .get(target.index())
            .cloned()
            .unwrap_or_default();
        let mut args = Vec::with_capacity(call.args.len());
        if params.len() != call.args.len() && !self.unknown_target(&call.target) {
            self.report(wrong_arity(
                &call.target.name,
                &params,
                call.args.len(),
                call.span,
            ));
        }
        for (index, arg) in call.args.iter().enumerate() {
            let param = params.get(index);
            let expected = param.and_then(|(_, ty)| *ty);
            let Some(compiled) = self.expr(arg, expected) else {
                continue;
            };
            if let Some((name, Some(ty))) = param
                && compiled.ty != *ty
            {
                let message = format!(
                    "`{}` takes `{}` as {}, found {}",
                    call.target.name,
                    name.name,
                    self.type_name(*ty),
                    self.type_name(compiled.ty)
                );
                self.report(
                    Diagnostic::new(Code::E0201, arg.span, message)
                        .with_label(name.span, "the parameter is declared here"),
                );
            }
            args.push(compiled);
        }
        // Pushed even when an argument is wrong (reported; such a story is
        // never run), so the graph passes see the call as written.
        Some(Op::Call {
            target,
            args: args.into_boxed_slice(),
            span: call.span,
        })
    }

    /// Whether `name` names no scene (already reported as `E0104`).
    fn unknown_target(&self, name: &ast::Ident) -> bool {
        !self.names.scene_ids.contains_key(&name.name)
    }

    /// A plain divert to a scene with parameters: `E0107`, since its
    /// parameters would have no values.
    pub(super) fn no_arguments_needed(&mut self, target: SceneId, divert: &ast::Divert) {
        if !self.names.any_params {
            return;
        }
        let Some(params) = self.names.params.get(target.index()) else {
            return;
        };
        if params.is_empty() || self.unknown_target(&divert.target) {
            return;
        }
        let diagnostic =
            wrong_arity(&divert.target.name, params, 0, divert.span).with_help(format!(
                "a scene with parameters is called as a tunnel, with its arguments: `-> {}({}) ->`",
                divert.target.name,
                params
                    .iter()
                    .map(|(name, _)| name.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        self.report(diagnostic);
    }

    /// What a name that is not in scope was, when it is a local declared
    /// elsewhere in the scene: the help for its `E0103`.
    pub(super) fn out_of_scope(&self, name: &str) -> Option<String> {
        self.local_slots.contains_key(name).then(|| {
            format!(
                "the temporary `{name}` is in scope from the line after its `~ temp` to the end of that block; declare it higher up, or with `var {name}` above the first scene for the whole story"
            )
        })
    }
}

/// `E0107`: a call with the wrong number of arguments.
fn wrong_arity(
    scene: &str,
    params: &[(ast::Ident, Option<crate::graph::Type>)],
    given: usize,
    span: Span,
) -> Diagnostic {
    let wanted = params.len();
    let plural = |count: usize| if count == 1 { "" } else { "s" };
    let signature = params
        .iter()
        .map(|(name, _)| name.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut diagnostic = Diagnostic::new(
        Code::E0107,
        span,
        format!(
            "`{scene}` takes {wanted} argument{}, but {given} {} given",
            plural(wanted),
            if given == 1 { "is" } else { "are" }
        ),
    )
    .with_help(if signature.is_empty() {
        format!("call it without arguments: `-> {scene} ->`")
    } else {
        format!("call it as `-> {scene}({signature}) ->`")
    });
    if let Some((first, _)) = params.first() {
        diagnostic = diagnostic.with_label(first.span, "its parameters are declared here");
    }
    diagnostic
}
