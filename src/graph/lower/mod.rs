//! Lowering one scene (and the story's tests and invariants) from the
//! syntax tree to the graph: names resolved, types checked, blocks
//! compiled to a flat program of [`Op`]s. Statements are in `stmt`,
//! expressions in `expr`.

mod expr;
mod function;
mod label;
mod stmt;
mod tunnel;

use std::collections::HashMap;

use crate::ast::{self, AssignOp, StmtKind};
use crate::diagnostic::{Code, Diagnostic, FileId, Span};
use crate::graph::declare::Names;
use crate::graph::{
    CodeRange, Expr, Instr, Invariant, Local, Op, Part, Scene, SceneId, Test, TestStep,
    TestStepKind, TextRange, Type, Value,
};
use expr::evaluate_constant;

pub(crate) struct Lowering<'n> {
    pub(super) names: &'n Names,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Whether some divert names no scene (see `compile`).
    pub(super) unknown_divert: bool,
    /// Whether each variable is read anywhere.
    pub(super) var_reads: Vec<bool>,
    pub(super) choice_count: u32,
    pub(super) seq_count: u32,
    /// The arenas the lowered parts and expressions address (see
    /// [`Story::text`] and [`Story::code`]).
    pub(super) text: String,
    pub(super) code: Vec<Instr>,
    /// Where an expression is emitted before it is known to compile.
    pub(super) scratch: Vec<Instr>,
    /// The parts of the texts being lowered (see `Lowering::text`).
    pub(super) parts: Vec<Part>,
    /// Where a scene's ops are built, reused from scene to scene: each
    /// scene gets an exact copy, so no scene's list grows op by op or is
    /// shrunk at its end (each a reallocation).
    ops: Vec<Op>,
    /// Whether the scene being lowered is a page, where `random()` is an
    /// error (`E0309`).
    pub(super) in_page: bool,
    /// The scene being lowered, whose labels `taken(label)` names bare.
    pub(super) scene_now: Option<SceneId>,
    /// The scene being lowered's locals: its parameters, then its
    /// temporaries, each with where it was declared.
    pub(super) locals: Vec<(Local, Span)>,
    /// The locals in scope at the line being lowered, by slot, in the
    /// order they came into scope: a temporary is in scope from the line
    /// after its `~ temp` to the end of its block.
    pub(super) scope: Vec<u32>,
    /// Per slot, whether it is in `scope`; and each local's slot by name
    /// (names are unique in a scene), so a lookup is constant time however
    /// many temporaries a scene declares.
    pub(super) in_scope: Vec<bool>,
    pub(super) local_slots: HashMap<String, u32>,
    /// Temporaries of the scene whose `~ temp` line was wrong (and
    /// reported): using one is not reported again as undeclared.
    pub(super) broken_temps: std::collections::HashSet<String>,
    /// How many of `locals` are parameters.
    pub(super) params: u32,
    /// The function whose body is being lowered: its locals, and the
    /// purity rules (`E0131` to `E0134`).
    pub(super) function_scope: Option<function::FnScope>,
}

impl<'n> Lowering<'n> {
    pub(crate) fn new(names: &'n Names) -> Self {
        Lowering {
            names,
            diagnostics: Vec::new(),
            unknown_divert: false,
            var_reads: vec![false; names.vars.len()],
            choice_count: 0,
            seq_count: 0,
            text: String::new(),
            code: Vec::new(),
            scratch: Vec::new(),
            parts: Vec::new(),
            ops: Vec::new(),
            in_page: false,
            scene_now: None,
            locals: Vec::new(),
            scope: Vec::new(),
            in_scope: Vec::new(),
            local_slots: HashMap::new(),
            broken_temps: std::collections::HashSet::new(),
            params: 0,
            function_scope: None,
        }
    }

    /// Appends a literal to the text arena.
    pub(super) fn intern(&mut self, literal: &str) -> TextRange {
        let start = self.text.len() as u32;
        self.text.push_str(literal);
        TextRange {
            start,
            len: literal.len() as u32,
        }
    }

    /// The code of an expression lowered here.
    pub(super) fn code_of(&self, expr: &Expr) -> &[Instr] {
        let start = expr.code.start as usize;
        &self.code[start..start + expr.code.len as usize]
    }

    /// An expression standing in for one that failed to compile, so the
    /// program keeps its shape; a story with errors is never run.
    pub(super) fn placeholder(&mut self, ty: Type) -> Expr {
        let start = self.code.len() as u32;
        self.code.push(Instr::constant(Value::Bool(false)));
        Expr {
            code: CodeRange { start, len: 1 },
            ty,
            span: Span::new(FileId(0), 0, 0),
        }
    }

    pub(super) fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub(crate) fn test(&mut self, block: &ast::TestBlock) -> Option<Test> {
        // An unknown `from` scene is reported, and the steps are still
        // checked, so one run reports their errors too.
        let start = match &block.from {
            Some(from) => self.scene_ref(from, false),
            None => Some(self.names.fallback_scene),
        };
        let mut steps = Vec::with_capacity(block.steps.len());
        let mut ok = true;
        for step in &block.steps {
            let kind = match &step.kind {
                ast::TestStepKind::Choose(choice) => Some(TestStepKind::Choose(choice.clone())),
                ast::TestStepKind::Set { target, value } => {
                    match self.assign(target, AssignOp::Set, value, step.span) {
                        Some(Op::Assign { var, value, .. }) => {
                            Some(TestStepKind::Set { var, value })
                        }
                        _ => None,
                    }
                }
                ast::TestStepKind::ExpectText { fragment, present } => {
                    Some(TestStepKind::ExpectText {
                        fragment: fragment.clone(),
                        present: *present,
                    })
                }
                ast::TestStepKind::ExpectTag { tag, present } => Some(TestStepKind::ExpectTag {
                    tag: tag.clone(),
                    present: *present,
                }),
                ast::TestStepKind::ExpectChoice { fragment, state } => {
                    Some(TestStepKind::ExpectChoice {
                        fragment: fragment.clone(),
                        state: *state,
                    })
                }
                ast::TestStepKind::ExpectEnding(ending) => {
                    let id = self.scene_ref(ending, true);
                    match id {
                        Some(id) if self.names.endings.get(id.index()) == Some(&true) => {
                            Some(TestStepKind::ExpectEnding(id))
                        }
                        Some(_) => {
                            self.report(
                                Diagnostic::new(
                                    Code::E0306,
                                    ending.span,
                                    format!("`{}` is a scene, not an ending", ending.name),
                                )
                                .with_help("`expect ending` names an `== ending` scene"),
                            );
                            None
                        }
                        None => None,
                    }
                }
                ast::TestStepKind::ExpectPage {
                    page,
                    fragment,
                    present,
                } => match self.scene_ref(page, false) {
                    Some(id) if self.names.pages.get(id.index()) == Some(&true) => {
                        Some(TestStepKind::ExpectPage {
                            page: id,
                            fragment: fragment.clone(),
                            present: *present,
                        })
                    }
                    Some(_) => {
                        self.report(
                            Diagnostic::new(
                                Code::E0312,
                                page.span,
                                format!("`{}` is a scene, not a page", page.name),
                            )
                            .with_help("`expect page` names an `== page` scene"),
                        );
                        None
                    }
                    None => None,
                },
                ast::TestStepKind::Expect(condition) => {
                    self.condition(condition).map(TestStepKind::Expect)
                }
            };
            match kind {
                Some(kind) => steps.push(TestStep {
                    kind,
                    span: step.span,
                }),
                None => ok = false,
            }
        }
        let start = start?;
        ok.then(|| Test {
            name: block.name.clone(),
            start,
            steps,
            span: block.span,
        })
    }

    /// Compiles the story's `invariant` declarations.
    pub(crate) fn invariants(&mut self, declared: &[ast::Invariant]) -> Vec<Invariant> {
        declared
            .iter()
            .filter_map(|invariant| {
                let condition = self.asserted(&invariant.condition, "invariant")?;
                Some(Invariant {
                    condition,
                    message: self.intern(&invariant.message),
                    span: invariant.span,
                })
            })
            .collect()
    }

    /// An `assert` line's op. Apart from `block` (and never inlined) so
    /// the recursive lowering's stack frame stays small.
    #[inline(never)]
    pub(super) fn assertion(
        &mut self,
        condition: &ast::Expr,
        message: Option<&str>,
        span: Span,
    ) -> Option<Op> {
        let condition = self.asserted(condition, "assertion")?;
        let message = message.map(|message| self.intern(message));
        Some(Op::Assert {
            condition: Box::new(condition),
            message,
            span,
        })
    }

    /// Compiles the condition of an assertion or an invariant (`what`),
    /// reporting one whose value is known without playing: always false
    /// is an error, always true a warning.
    pub(super) fn asserted(&mut self, condition: &ast::Expr, what: &str) -> Option<Expr> {
        let compiled = self.condition(condition)?;
        match evaluate_constant(self.code_of(&compiled)) {
            Ok(Value::Bool(false)) => self.report(
                Diagnostic::new(
                    Code::E0207,
                    condition.span,
                    format!("this {what} always fails"),
                )
                .with_help(format!(
                    "its condition uses only literals and constants and is false, so the story stops wherever it is checked; fix the condition or remove the {what}"
                )),
            ),
            Ok(Value::Bool(true)) => self.report(
                Diagnostic::new(
                    Code::W0006,
                    condition.span,
                    format!("this {what} always holds"),
                )
                .with_help(format!(
                    "its condition uses only literals and constants, so it checks nothing; state what must be true of the variables, or remove the {what}"
                )),
            ),
            _ => {}
        }
        Some(compiled)
    }

    /// A scene named in a test, reported when unknown; `ending` when it
    /// was named as an ending.
    pub(super) fn scene_ref(&mut self, name: &ast::Ident, ending: bool) -> Option<SceneId> {
        let id = self.names.scene_ids.get(&name.name);
        if id.is_none() {
            let help = self.suggest_scene(&name.name, ending);
            self.report(
                Diagnostic::new(
                    Code::E0104,
                    name.span,
                    format!("unknown scene `{}`", name.name),
                )
                .with_help(help),
            );
        }
        id
    }

    pub(super) fn suggest_scene(&self, name: &str, ending: bool) -> String {
        self.names.suggest_scene(name, ending)
    }

    pub(super) fn type_name(&self, ty: Type) -> String {
        match ty {
            Type::Int => "int".into(),
            Type::Bool => "bool".into(),
            Type::Text => "text".into(),
            Type::Enum(id) => format!("`{}`", self.names.enums[id.index()].name),
            Type::Set(id) => format!("set of `{}`", self.names.enums[id.index()].name),
        }
    }

    /// Lowers scene `id` (the id its name was declared with; the caller
    /// knows it, so the name is not looked up again). Takes the tree, whose
    /// name, title and tags become the scene's.
    pub(crate) fn scene(&mut self, scene: ast::Scene, id: SceneId) -> Scene {
        let mut ops = std::mem::take(&mut self.ops);
        ops.clear();
        let mut builder = SceneBuilder {
            ops,
            is_ending: scene.is_ending,
            is_page: scene.is_page,
        };
        self.in_page = scene.is_page;
        self.scene_now = Some(id);
        let params = self
            .names
            .params
            .get(id.index())
            .map(Vec::as_slice)
            .unwrap_or_default();
        self.locals = params
            .iter()
            .map(|(name, ty)| {
                let local = Local {
                    name: name.name.clone(),
                    // A wrongly typed parameter was reported; the story
                    // is never run.
                    ty: ty.unwrap_or(Type::Int),
                };
                (local, name.span)
            })
            .collect();
        self.params = self.locals.len() as u32;
        self.scope = (0..self.params).collect();
        self.in_scope = vec![true; self.locals.len()];
        self.local_slots.clear();
        for (slot, (local, _)) in self.locals.iter().enumerate() {
            // A parameter named twice was reported; the first one stands.
            self.local_slots
                .entry(local.name.clone())
                .or_insert(slot as u32);
        }
        self.block(&scene.body, &mut builder);
        self.in_page = false;
        self.scene_now = None;
        self.scope.clear();
        self.in_scope.clear();
        self.local_slots.clear();
        self.broken_temps.clear();
        let locals = std::mem::take(&mut self.locals)
            .into_iter()
            .map(|(local, _)| local)
            .collect();
        let end_span = Span::new(
            scene.span.file,
            scene.span.end as usize,
            scene.span.end as usize,
        );
        let end_span = last_line_span(&scene.body).unwrap_or(end_span);
        builder.ops.push(Op::End { span: end_span });
        // One allocation of the exact size, the ops moved in one copy.
        let mut ops = Vec::with_capacity(builder.ops.len());
        ops.append(&mut builder.ops);
        self.ops = builder.ops;
        // The tree's own strings, moved, not copied: it is dropped here.
        Scene {
            name: scene.name.name,
            title: scene.title,
            is_ending: scene.is_ending,
            is_page: scene.is_page,
            tags: scene.tags,
            span: scene.span,
            ops,
            params: self.params,
            locals,
        }
    }

    /// The local `name` in scope, by slot.
    pub(super) fn local(&self, name: &str) -> Option<u32> {
        let slot = *self.local_slots.get(name)?;
        self.in_scope
            .get(slot as usize)
            .copied()
            .unwrap_or(false)
            .then_some(slot)
    }

    /// Brings a local into scope.
    pub(super) fn enter_scope(&mut self, slot: u32) {
        self.scope.push(slot);
        if let Some(flag) = self.in_scope.get_mut(slot as usize) {
            *flag = true;
        }
    }

    /// Takes out of scope the locals that came in after `mark` (the
    /// scope's length when a block started).
    pub(super) fn end_scope(&mut self, mark: usize) {
        for slot in self.scope.drain(mark..) {
            if let Some(flag) = self.in_scope.get_mut(slot as usize) {
                *flag = false;
            }
        }
    }
}

struct SceneBuilder {
    ops: Vec<Op>,
    is_ending: bool,
    is_page: bool,
}

fn page_continues(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(Code::E0308, span, format!("{what} inside a page")).with_help(
        "a page is read, never played: the player opens it and returns to the same choices; move this into a scene",
    )
}

fn page_changes(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(Code::E0309, span, format!("{what} inside a page")).with_help(
        "opening a page changes nothing, so it may not assign or draw a random number; move this into a scene",
    )
}

fn ending_continues(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(Code::E0303, span, format!("{what} inside an ending")).with_help(
        "an ending ends the story; make this scene a plain scene (`== name`) to continue",
    )
}

/// The span of a block's last divert or return, if it certainly leaves
/// the scene at its end.
fn ends_in_divert(block: &[ast::Stmt]) -> Option<Span> {
    block.iter().find_map(|stmt| match &stmt.kind {
        StmtKind::Divert(divert) => Some(divert.span),
        StmtKind::Return => Some(stmt.span),
        _ => None,
    })
}

fn last_line_span(block: &[ast::Stmt]) -> Option<Span> {
    let last = block.last()?;
    let nested = match &last.kind {
        StmtKind::If {
            branches,
            otherwise,
        } => otherwise
            .as_deref()
            .and_then(last_line_span)
            .or_else(|| branches.last().and_then(|(_, body)| last_line_span(body))),
        StmtKind::Choices(choices) => choices.last().and_then(|c| last_line_span(&c.body)),
        _ => None,
    };
    Some(nested.unwrap_or(last.span))
}
