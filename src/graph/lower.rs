//! AST → narrative graph: declarations, name resolution, type checking, and
//! compiling each scene's blocks into a flat program of [`Op`]s.
//!
//! Files arrive outlined (prologue parsed, scenes located). Declarations and
//! scene names are collected first; then each scene is parsed, lowered and
//! its syntax tree dropped, so the whole tree never exists at once. Big
//! stories lower their scenes on two threads.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::eval::{Env, Fault, run};
use super::{
    Alternatives, BothGuards, Choice, ChoiceId, CodeRange, Conditional, Enum, EnumId, Expr, Guard,
    Instr, Invariant, Op, Part, Scene, SceneId, SeqId, Story, Test, TestStep, TestStepKind,
    TextRange, Type, Value, Var, VarId,
};
use crate::ast::{self, AssignOp, BinaryOp, ExprKind, HeaderKey, StmtKind, UnaryOp};
use crate::diagnostic::{Code, Diagnostic, FileId, SourceMap, Span};
use crate::syntax::Outline;

/// What a name in an expression means.
#[derive(Debug, Clone)]
pub(super) enum Symbol {
    Const(Value, Type),
    Var(VarId),
    Variant(EnumId, u32),
    EnumType(EnumId),
}

/// Everything declared in a story: read-only while scenes are lowered.
#[derive(Debug, Default)]
pub(super) struct Names {
    /// Every declared name, with where it was declared.
    symbols: HashMap<String, (Symbol, Span)>,
    /// Names whose declaration was wrong (and reported): using one is not
    /// reported again as undeclared.
    broken: HashSet<String>,
    pub(super) vars: Vec<Var>,
    pub(super) enums: Vec<Enum>,
    scene_ids: HashMap<String, SceneId>,
    /// Per scene: whether it is an ending.
    pub(super) endings: Vec<bool>,
    /// Where a divert to an unknown scene points, so the program keeps its
    /// shape for the graph passes. Such a story is never returned.
    fallback_scene: SceneId,
}

impl Names {
    fn declare(
        &mut self,
        name: &ast::Ident,
        symbol: Symbol,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> bool {
        if let Some((_, first)) = self.symbols.get(&name.name) {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0102,
                    name.span,
                    format!("`{}` is declared twice", name.name),
                )
                .with_label(*first, "first declared here")
                .with_help("names of variables, constants, enums and enum values share one namespace; rename one"),
            );
            return false;
        }
        self.symbols.insert(name.name.clone(), (symbol, name.span));
        true
    }

    fn declare_enums(&mut self, files: &[Outline], diagnostics: &mut Vec<Diagnostic>) {
        for decl in files.iter().flat_map(|file| &file.prologue.decls) {
            if let ast::Decl::Enum { name, variants, .. } = decl {
                let id = EnumId(self.enums.len() as u32);
                if !self.declare(name, Symbol::EnumType(id), diagnostics) {
                    continue;
                }
                let mut names = Vec::new();
                for variant in variants {
                    if self.declare(
                        variant,
                        Symbol::Variant(id, names.len() as u32),
                        diagnostics,
                    ) {
                        names.push(variant.name.clone());
                    }
                }
                self.enums.push(Enum {
                    name: name.name.clone(),
                    variants: names,
                });
            }
        }
    }

    /// Constants, then variables, in order: a constant may use the constants
    /// above it; a variable's initial value may use any constant.
    fn declare_values(&mut self, files: &[Outline], diagnostics: &mut Vec<Diagnostic>) {
        for decl in files.iter().flat_map(|file| &file.prologue.decls) {
            if let ast::Decl::Const { name, value, .. } = decl {
                let mut lowering = Lowering::new(self);
                let constant = lowering.constant(value, None);
                diagnostics.append(&mut lowering.diagnostics);
                match constant {
                    Some((constant, ty)) => {
                        self.declare(name, Symbol::Const(constant, ty), diagnostics);
                    }
                    None => {
                        self.broken.insert(name.name.clone());
                    }
                }
            }
        }
        for decl in files.iter().flat_map(|file| &file.prologue.decls) {
            if let ast::Decl::Var {
                name, ty, value, ..
            } = decl
            {
                let mut lowering = Lowering::new(self);
                let declared = match ty {
                    Some(ty) => match lowering.type_expr(ty) {
                        Some(ty) => Some(ty),
                        None => {
                            diagnostics.append(&mut lowering.diagnostics);
                            self.broken.insert(name.name.clone());
                            continue;
                        }
                    },
                    None => None,
                };
                let value = lowering.constant(value, declared);
                diagnostics.append(&mut lowering.diagnostics);
                let Some((initial, ty)) = value else {
                    self.broken.insert(name.name.clone());
                    continue;
                };
                let id = VarId(self.vars.len() as u32);
                if self.declare(name, Symbol::Var(id), diagnostics) {
                    self.vars.push(Var {
                        name: name.name.clone(),
                        ty,
                        initial,
                        span: name.span,
                    });
                }
            }
        }
    }

    /// Gives every scene with a valid, first-of-its-name header an id, in
    /// order. Returns, per file and scene, the id it got.
    fn declare_scenes(
        &mut self,
        files: &[Outline],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<Vec<Option<SceneId>>> {
        let count = files.iter().map(|file| file.scenes.len()).sum();
        self.scene_ids.reserve(count);
        // Each id's header span, for reporting a second scene of its name.
        let mut spans: Vec<Span> = Vec::with_capacity(count);
        let mut ids = Vec::with_capacity(files.len());
        for file in files {
            let mut file_ids = Vec::with_capacity(file.scenes.len());
            for scene in &file.scenes {
                let Some((name, is_ending, _)) = &scene.header else {
                    file_ids.push(None);
                    continue;
                };
                if let Some(first) = self.scene_ids.get(&name.name) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0101,
                            name.span,
                            format!("scene `{}` is declared twice", name.name),
                        )
                        .with_label(spans[first.index()], "first declared here")
                        .with_help("rename one of the scenes"),
                    );
                    file_ids.push(None);
                    continue;
                }
                let id = SceneId(self.scene_ids.len() as u32);
                self.scene_ids.insert(name.name.clone(), id);
                spans.push(name.span);
                self.endings.push(*is_ending);
                file_ids.push(Some(id));
            }
            ids.push(file_ids);
        }
        ids
    }

    fn suggest_scene(&self, name: &str) -> String {
        if let Some(best) = did_you_mean(name, self.scene_ids.keys().map(String::as_str)) {
            return format!("did you mean `{best}`?");
        }
        if matches!(name, "END" | "DONE") {
            // ink's way to stop; here a story stops in an ending scene.
            // The story's first ending (by id, so the message is the same
            // every run; the map's order is not).
            let first = self.endings.iter().position(|&is_ending| is_ending);
            let ending = self
                .scene_ids
                .iter()
                .find(|(_, id)| Some(id.index()) == first)
                .map_or("name", |(found, _)| found.as_str());
            return format!(
                "a story ends in an ending scene: divert with `-> ending {ending}` to one declared `== ending {ending}`"
            );
        }
        format!("declare the scene with `== {name}`")
    }
}

/// Stories with more scene lines than this lower their scenes on two threads.
pub const PARALLEL_LINES: usize = 20_000;

/// One scene to parse and, when it got an id, lower.
type WorkItem = (usize, usize, Option<SceneId>);

/// What lowering a run of scenes produced.
struct LoweredScenes {
    scenes: Vec<Scene>,
    /// The run's own text and code arenas, which its scenes address.
    text: String,
    code: Vec<Instr>,
    diagnostics: Vec<Diagnostic>,
    var_reads: Vec<bool>,
    choice_count: u32,
    seq_count: u32,
    unknown_divert: bool,
}

fn lower_scenes(
    mut lowering: Lowering,
    files: &[Outline],
    sources: &SourceMap,
    items: &[WorkItem],
) -> LoweredScenes {
    let mut scenes = Vec::with_capacity(items.len());
    for &(file, index, id) in items {
        let outline = &files[file];
        let (tree, found) = outline.parse_scene(&sources.get(outline.file).text, index);
        lowering.diagnostics.extend(found);
        if let (Some(tree), Some(_)) = (tree, id) {
            scenes.push(lowering.scene(&tree));
        }
    }
    LoweredScenes {
        scenes,
        text: lowering.text,
        code: lowering.code,
        diagnostics: lowering.diagnostics,
        var_reads: lowering.var_reads,
        choice_count: lowering.choice_count,
        seq_count: lowering.seq_count,
        unknown_divert: lowering.unknown_divert,
    }
}

/// How far a later run's ids and arena ranges move when it is appended to
/// the runs before it.
#[derive(Clone, Copy)]
struct Shift {
    choices: u32,
    seqs: u32,
    text: u32,
    code: u32,
}

/// Shifts a later run's choice and sequence ids and its text and code
/// ranges past an earlier run's.
fn renumber(scenes: &mut [Scene], shift: Shift) {
    fn expr(expr: &mut Expr, shift: Shift) {
        expr.code.start += shift.code;
    }
    fn parts(text: &mut [Part], shift: Shift) {
        for part in text {
            match part {
                Part::Literal(range) => range.start += shift.text,
                Part::Value(value) => expr(value, shift),
                Part::Conditional(conditional) => {
                    expr(&mut conditional.condition, shift);
                    parts(&mut conditional.then, shift);
                    parts(&mut conditional.otherwise, shift);
                }
                Part::Alternatives(alternatives) => {
                    alternatives.seq.0 += shift.seqs;
                    for option in &mut alternatives.options {
                        parts(option, shift);
                    }
                }
            }
        }
    }
    for scene in scenes {
        for op in &mut scene.ops {
            match op {
                Op::Text { text, .. } => parts(text, shift),
                Op::Assign { value, .. } => expr(value, shift),
                Op::JumpUnless { condition, .. } => expr(condition, shift),
                Op::Assert {
                    condition, message, ..
                } => {
                    expr(condition, shift);
                    if let Some(message) = message {
                        message.start += shift.text;
                    }
                }
                Op::Choices { choices: block, .. } => {
                    for choice in block {
                        choice.id.0 += shift.choices;
                        match &mut choice.guard {
                            Guard::Always => {}
                            Guard::Hidden(condition) => expr(condition, shift),
                            Guard::Requires { condition, reason } => {
                                expr(condition, shift);
                                reason.start += shift.text;
                            }
                            Guard::Both(both) => {
                                expr(&mut both.shown, shift);
                                expr(&mut both.condition, shift);
                                both.reason.start += shift.text;
                            }
                        }
                        if let Some(text) = &mut choice.text {
                            parts(text, shift);
                        }
                    }
                }
                Op::Jump { .. } | Op::Divert { .. } | Op::End { .. } => {}
            }
        }
    }
}

/// What the declaration pass found, before any scene is lowered.
#[derive(Debug)]
pub(crate) struct Declared {
    pub(super) names: Names,
    /// Per file and scene, the id the scene got.
    pub(super) ids: Vec<Vec<Option<SceneId>>>,
    pub(super) start: Option<SceneId>,
    pub(super) title: String,
    pub(super) author: Option<String>,
    pub(super) about: Vec<String>,
    /// Every file's `invariant` declarations, lowered with the scenes.
    pub(super) invariants: Vec<ast::Invariant>,
}

/// Reads the headers and declares every enum, constant, variable and
/// scene. `None` when there are no files.
pub(crate) fn declare(
    files: &[Outline],
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Declared> {
    let entry = files.first()?;
    let mut title = None;
    let mut author = None;
    let mut start = None;
    let mut about = Vec::new();
    for (index, file) in files.iter().enumerate() {
        for header in &file.prologue.headers {
            if index > 0 {
                diagnostics.push(
                    Diagnostic::new(Code::E0007, header.span, "a header in an included file")
                        .with_help("headers belong in the story's entry file; remove this one, or make this file an entry file that is not included"),
                );
                continue;
            }
            match header.key {
                HeaderKey::Title => title = Some(header.value.clone()),
                HeaderKey::Author => author = Some(header.value.clone()),
                HeaderKey::Start => start = Some(header),
                HeaderKey::About => about.push(header.value.clone()),
            }
        }
    }
    let title = title.unwrap_or_else(|| {
        sources
            .get(entry.file)
            .path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default()
    });

    let mut names = Names::default();
    names.declare_enums(files, diagnostics);
    names.declare_values(files, diagnostics);
    let ids = names.declare_scenes(files, diagnostics);

    let start = match start {
        Some(header) => match names.scene_ids.get(&header.value) {
            Some(id) => Some(*id),
            None => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0302,
                        header.value_span,
                        format!("`start:` names `{}`, which is not a scene", header.value),
                    )
                    .with_help(names.suggest_scene(&header.value)),
                );
                None
            }
        },
        None => match ids.first().and_then(|first| first.first()) {
            Some(id) => *id,
            None => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0302,
                        Span::new(entry.file, 0, 0),
                        "the story has no scene to start from",
                    )
                    .with_help(
                        "add a scene (`== name`) to the entry file, or name one with `start:`",
                    ),
                );
                None
            }
        },
    };
    names.fallback_scene = start.unwrap_or(SceneId(0));
    let invariants = files
        .iter()
        .flat_map(|file| file.prologue.invariants.iter().cloned())
        .collect();
    Some(Declared {
        names,
        ids,
        start,
        title,
        author,
        about,
        invariants,
    })
}

/// Builds the story; also says whether every divert named a scene.
/// The outlines are dropped as soon as the scenes are lowered, before the
/// lowering runs are joined.
pub(crate) fn build(
    files: Vec<Outline>,
    declared: Declared,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
    parallel_lines: usize,
) -> (Option<Story>, bool) {
    let Declared {
        mut names,
        ids,
        start,
        title,
        author,
        about,
        invariants,
    } = declared;
    let items: Vec<WorkItem> = ids
        .iter()
        .enumerate()
        .flat_map(|(file, scenes)| {
            scenes
                .iter()
                .enumerate()
                .map(move |(index, id)| (file, index, *id))
        })
        .collect();
    let total_lines: usize = files
        .iter()
        .flat_map(|f| &f.scenes)
        .map(|s| s.line_count)
        .sum();
    // Tests first, so the outlines can go as soon as the scenes are
    // lowered. Their code starts the first run's arenas; their reads of
    // variables do not count as uses (a variable only a test reads is
    // still unused), so a lowering of their own keeps them apart.
    let mut test_lowering = Lowering::new(&names);
    let tests = lower_tests(&mut test_lowering, &files, sources);
    diagnostics.append(&mut test_lowering.diagnostics);
    let mut first_lowering = Lowering::new(&names);
    first_lowering.text = test_lowering.text;
    first_lowering.code = test_lowering.code;
    // Invariants are part of the story, so what they read counts as used.
    let invariants = first_lowering.invariants(&invariants);

    let runs = if total_lines >= parallel_lines && items.len() >= 2 {
        let (first, second) = items.split_at(items.len() / 2);
        let (names, files) = (&names, &files);
        std::thread::scope(|scope| {
            let later =
                scope.spawn(move || lower_scenes(Lowering::new(names), files, sources, second));
            let earlier = lower_scenes(first_lowering, files, sources, first);
            match later.join() {
                Ok(later) => vec![earlier, later],
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    } else {
        vec![lower_scenes(first_lowering, &files, sources, &items)]
    };
    drop(files);
    drop(std::mem::take(&mut names.scene_ids));

    let mut scenes = Vec::new();
    let mut text = String::new();
    let mut code = Vec::new();
    let mut var_reads = vec![false; names.vars.len()];
    let (mut choice_count, mut seq_count) = (0, 0);
    let mut diverts_resolved = true;
    for (index, mut run) in runs.into_iter().enumerate() {
        diverts_resolved &= !run.unknown_divert;
        if index == 0 {
            // The first run's scenes and arenas are taken as they are.
            scenes = run.scenes;
            text = run.text;
            code = run.code;
        } else {
            let shift = Shift {
                choices: choice_count,
                seqs: seq_count,
                text: text.len() as u32,
                code: code.len() as u32,
            };
            renumber(&mut run.scenes, shift);
            // Exact reservations: doubling would copy the arenas into
            // buffers twice their size.
            scenes.reserve_exact(run.scenes.len());
            scenes.append(&mut run.scenes);
            text.reserve_exact(run.text.len());
            text.push_str(&run.text);
            code.reserve_exact(run.code.len());
            code.append(&mut run.code);
        }
        choice_count += run.choice_count;
        seq_count += run.seq_count;
        diagnostics.append(&mut run.diagnostics);
        for (read, run_read) in var_reads.iter_mut().zip(run.var_reads) {
            *read |= run_read;
        }
    }
    text.shrink_to_fit();
    code.shrink_to_fit();
    for (var, read) in names.vars.iter().zip(&var_reads) {
        if !read {
            diagnostics.push(
                Diagnostic::new(
                    Code::W0002,
                    var.span,
                    format!("variable `{}` is never read", var.name),
                )
                .with_help("use it in a condition or text, or remove it"),
            );
        }
    }
    let story = start.map(|start| Story {
        title,
        author,
        about,
        start,
        scenes,
        vars: names.vars,
        enums: names.enums,
        choice_count,
        seq_count,
        invariants,
        tests,
        text,
        code,
        sources: Arc::default(),
    });
    (story, diverts_resolved)
}

/// Parses and lowers every file's test blocks with `lowering`.
fn lower_tests(lowering: &mut Lowering, files: &[Outline], sources: &SourceMap) -> Vec<Test> {
    let mut tests = Vec::new();
    for outline in files {
        let (blocks, found) = outline.parse_tests(&sources.get(outline.file).text);
        lowering.diagnostics.extend(found);
        for block in blocks {
            if let Some(test) = lowering.test(&block) {
                tests.push(test);
            }
        }
    }
    tests
}

pub(super) struct Lowering<'n> {
    names: &'n Names,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Whether some divert names no scene (see `compile`).
    unknown_divert: bool,
    /// Whether each variable is read anywhere.
    var_reads: Vec<bool>,
    pub(super) choice_count: u32,
    pub(super) seq_count: u32,
    /// The arenas the lowered parts and expressions address (see
    /// [`Story::text`] and [`Story::code`]).
    pub(super) text: String,
    pub(super) code: Vec<Instr>,
    /// Where an expression is emitted before it is known to compile.
    scratch: Vec<Instr>,
}

impl<'n> Lowering<'n> {
    pub(super) fn new(names: &'n Names) -> Self {
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
        }
    }

    /// Appends a literal to the text arena.
    fn intern(&mut self, literal: &str) -> TextRange {
        let start = self.text.len() as u32;
        self.text.push_str(literal);
        TextRange {
            start,
            len: literal.len() as u32,
        }
    }

    /// The code of an expression lowered here.
    fn code_of(&self, expr: &Expr) -> &[Instr] {
        let start = expr.code.start as usize;
        &self.code[start..start + expr.code.len as usize]
    }

    /// An expression standing in for one that failed to compile, so the
    /// program keeps its shape; a story with errors is never run.
    fn placeholder(&mut self, ty: Type) -> Expr {
        let start = self.code.len() as u32;
        self.code.push(Instr::constant(Value::Bool(false)));
        Expr {
            code: CodeRange { start, len: 1 },
            ty,
            span: Span::new(FileId(0), 0, 0),
        }
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn test(&mut self, block: &ast::TestBlock) -> Option<Test> {
        // An unknown `from` scene is reported, and the steps are still
        // checked, so one run reports their errors too.
        let start = match &block.from {
            Some(from) => self.scene_ref(from),
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
                ast::TestStepKind::ExpectChoice { fragment, state } => {
                    Some(TestStepKind::ExpectChoice {
                        fragment: fragment.clone(),
                        state: *state,
                    })
                }
                ast::TestStepKind::ExpectEnding(ending) => {
                    let id = self.scene_ref(ending);
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
    pub(super) fn invariants(&mut self, declared: &[ast::Invariant]) -> Vec<Invariant> {
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
    fn assertion(
        &mut self,
        condition: &ast::Expr,
        message: Option<&str>,
        span: Span,
    ) -> Option<Op> {
        let condition = self.asserted(condition, "assertion")?;
        let message = message.map(|message| self.intern(message));
        Some(Op::Assert {
            condition,
            message,
            span,
        })
    }

    /// Compiles the condition of an assertion or an invariant (`what`),
    /// reporting one whose value is known without playing: always false
    /// is an error, always true a warning.
    fn asserted(&mut self, condition: &ast::Expr, what: &str) -> Option<Expr> {
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

    /// A scene named in a test, reported when unknown.
    fn scene_ref(&mut self, name: &ast::Ident) -> Option<SceneId> {
        let id = self.names.scene_ids.get(&name.name).copied();
        if id.is_none() {
            let help = self.suggest_scene(&name.name);
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

    /// Resolves a written type, reporting unknown names.
    fn type_expr(&mut self, ty: &ast::TypeExpr) -> Option<Type> {
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
                    let help = match did_you_mean(name, candidates.into_iter()) {
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
    fn constant(&mut self, expr: &ast::Expr, expected: Option<Type>) -> Option<(Value, Type)> {
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

    fn suggest_scene(&self, name: &str) -> String {
        self.names.suggest_scene(name)
    }

    fn type_name(&self, ty: Type) -> String {
        match ty {
            Type::Int => "int".into(),
            Type::Bool => "bool".into(),
            Type::Text => "text".into(),
            Type::Enum(id) => format!("`{}`", self.names.enums[id.index()].name),
            Type::Set(id) => format!("set of `{}`", self.names.enums[id.index()].name),
        }
    }

    pub(super) fn scene(&mut self, scene: &ast::Scene) -> Scene {
        let mut builder = SceneBuilder {
            ops: Vec::new(),
            is_ending: scene.is_ending,
        };
        self.block(&scene.body, &mut builder);
        let end_span = Span::new(
            scene.span.file,
            scene.span.end as usize,
            scene.span.end as usize,
        );
        let end_span = last_line_span(&scene.body).unwrap_or(end_span);
        builder.ops.push(Op::End { span: end_span });
        builder.ops.shrink_to_fit();
        Scene {
            name: scene.name.name.clone(),
            title: scene.title.clone(),
            is_ending: scene.is_ending,
            tags: scene.tags.clone(),
            span: scene.span,
            ops: builder.ops,
        }
    }

    fn block(&mut self, block: &[ast::Stmt], builder: &mut SceneBuilder) {
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
                StmtKind::Text { text, tags } => {
                    let text = self.text(text, true);
                    builder.ops.push(Op::Text {
                        text,
                        tags: tags.as_slice().into(),
                        span: stmt.span,
                    });
                }
                StmtKind::Assign { target, op, value } => {
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
                    if builder.is_ending {
                        self.report(ending_continues(stmt.span, "a divert"));
                    } else if let Some(target) = self.divert_target(divert) {
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
                    if builder.is_ending {
                        self.report(ending_continues(stmt.span, "a choice"));
                    } else {
                        self.choices(choices, stmt.span, builder);
                    }
                }
            }
        }
    }

    fn conditional(
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

    fn choices(&mut self, choices: &[ast::Choice], span: Span, builder: &mut SceneBuilder) {
        let block_index = builder.ops.len();
        builder.ops.push(Op::Choices {
            choices: Box::default(),
            span,
        });
        let mut compiled = Vec::new();
        let mut exits = Vec::new();
        for choice in choices {
            let guard = match &choice.guard {
                ast::Guard::Always => Guard::Always,
                ast::Guard::Hidden(condition) => Guard::Hidden(self.guard(condition)),
                ast::Guard::Requires {
                    shown,
                    condition,
                    reason,
                    source,
                } => {
                    let shown = shown.as_ref().map(|shown| self.guard(shown));
                    let condition = self.guard(condition);
                    let reason = match reason {
                        Some(reason) => self.intern(reason),
                        None => self.intern(&format!("requires {source}")),
                    };
                    match shown {
                        Some(shown) => Guard::Both(Box::new(BothGuards {
                            shown,
                            condition,
                            reason,
                        })),
                        None => Guard::Requires { condition, reason },
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
    fn guard(&mut self, condition: &ast::Expr) -> Expr {
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

    fn divert_target(&mut self, divert: &ast::Divert) -> Option<SceneId> {
        match self.names.scene_ids.get(&divert.target.name) {
            Some(&id) => {
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
                let help = self.suggest_scene(&divert.target.name);
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

    fn assign(
        &mut self,
        target: &ast::Ident,
        op: AssignOp,
        value: &ast::Expr,
        span: Span,
    ) -> Option<Op> {
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
                if !self.names.broken.contains(&target.name) {
                    self.report(self.undeclared(target, None));
                }
                return None;
            }
        };
        let var_ty = self.names.vars[var.index()].ty;
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
                Diagnostic::new(Code::E0201, value.span, message).with_label(
                    self.names.vars[var.index()].span,
                    format!("`{}` is declared here", target.name),
                ),
            );
            return None;
        }
        Some(Op::Assign {
            var,
            op,
            value,
            span,
        })
    }

    /// An undeclared name; `expected` is the type the place it is used in
    /// wants, when known, so a misspelt enum value is named as one.
    fn undeclared(&self, name: &ast::Ident, expected: Option<Type>) -> Diagnostic {
        if let Some(Type::Enum(id) | Type::Set(id)) = expected {
            let found = &self.names.enums[id.index()];
            let values = found.variants.join("`, `");
            let help = match did_you_mean(&name.name, found.variants.iter().map(String::as_str)) {
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
        } else if self.names.scene_ids.contains_key(&name.name) {
            format!(
                "`{0}` is a scene; use `visits({0})` for how often it was entered",
                name.name
            )
        } else {
            match did_you_mean(&name.name, candidates) {
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

    fn condition(&mut self, expr: &ast::Expr) -> Option<Expr> {
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

    fn text(&mut self, text: &ast::Text, allow_alternatives: bool) -> Box<[Part]> {
        let mut parts = Vec::with_capacity(text.len());
        for segment in text {
            match segment {
                ast::Segment::Literal(literal) => parts.push(Part::Literal(self.intern(literal))),
                ast::Segment::Interpolate(expr) => {
                    if let Some(expr) = self.expr(expr, None) {
                        parts.push(Part::Value(expr));
                    }
                }
                ast::Segment::Conditional {
                    condition,
                    then,
                    otherwise,
                } => {
                    let condition = self.condition(condition);
                    let then = self.text(then, allow_alternatives);
                    let otherwise = self.text(otherwise, allow_alternatives);
                    if let Some(condition) = condition {
                        parts.push(Part::Conditional(Box::new(Conditional {
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
                    parts.push(Part::Alternatives(Box::new(Alternatives {
                        kind: *kind,
                        seq,
                        options,
                    })));
                }
            }
        }
        parts.into_boxed_slice()
    }

    /// Type-checks and compiles an expression. `expected` only resolves the
    /// type of an empty set literal; callers compare types themselves.
    fn expr(&mut self, expr: &ast::Expr, expected: Option<Type>) -> Option<Expr> {
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

    fn mismatch(&mut self, span: Span, message: String) -> Option<Type> {
        self.report(Diagnostic::new(Code::E0201, span, message));
        None
    }

    /// Emits postfix code for `expr` and returns its type. Recursion is
    /// bounded by the parser's depth limit.
    fn emit(
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
            ExprKind::Name(name) => match self.names.symbols.get(name).cloned() {
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
                            expr.span,
                            format!("`{name}` is a type, not a value"),
                        )
                        .with_help("write one of its values instead"),
                    );
                    None
                }
                None => {
                    let ident = ast::Ident {
                        name: name.clone(),
                        span: expr.span,
                    };
                    if !self.names.broken.contains(name) {
                        self.report(self.undeclared(&ident, expected));
                    }
                    None
                }
            },
            ExprKind::Set(elements) => {
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
                                None => format!(
                                    "a set holds enum values, not {}",
                                    self.type_name(other)
                                ),
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
                        Diagnostic::new(
                            Code::E0204,
                            expr.span,
                            "the type of this empty set is unknown",
                        )
                        .with_help("write the variable's type: `var name: set of Enum = {}`"),
                    );
                    return None;
                };
                if self.names.enums[id.index()].variants.len() > 64 {
                    self.report(Diagnostic::new(
                        Code::E0206,
                        expr.span,
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
                let left_ty = self.emit(left, None, code);
                let jump = code.len();
                code.push(Instr::AndThen(0));
                let right_ty = self.emit(right, None, code);
                let skip = (code.len() - jump - 1) as u32;
                code[jump] = if *op == BinaryOp::And {
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
            ExprKind::Binary(op, left, right) => {
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
                let result = binary_type(*op, left_ty, right_ty);
                let Some(result) = result else {
                    let message = format!(
                        "`{}` cannot combine {} and {}",
                        op.symbol(),
                        self.type_name(left_ty),
                        self.type_name(right_ty)
                    );
                    return self.mismatch(expr.span, message);
                };
                code.push(Instr::Binary(*op));
                Some(result)
            }
        }
    }

    /// Lowers the arguments of a call that is itself wrong, for their own
    /// errors and the variables they read (which are read, so not unused),
    /// and drops the code.
    fn check_arguments(&mut self, args: &[ast::Expr]) {
        for arg in args {
            let mut discarded = Vec::new();
            let _ = self.emit(arg, None, &mut discarded);
        }
    }

    fn call(
        &mut self,
        function: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        code: &mut Vec<Instr>,
    ) -> Option<Type> {
        let arity = match function.name.as_str() {
            "count" | "visits" => 1,
            "random" | "min" | "max" => 2,
            other => {
                let help = match did_you_mean(
                    other,
                    ["count", "visits", "random", "min", "max"].into_iter(),
                ) {
                    Some(best) => format!("did you mean `{best}`?"),
                    // What other languages call it.
                    None if matches!(other, "len" | "length" | "size" | "size_of") => {
                        "a set's size is `count(set)`".into()
                    }
                    None => "the built-in functions are count, visits, random, min and max".into(),
                };
                self.report(
                    Diagnostic::new(
                        Code::E0106,
                        function.span,
                        format!("unknown function `{other}`"),
                    )
                    .with_help(help),
                );
                self.check_arguments(args);
                return None;
            }
        };
        if args.len() != arity {
            let usage = match function.name.as_str() {
                "count" => "`count(set)`: the number of elements in a set",
                "visits" => "`visits(scene)`: how often a scene was entered",
                "random" => {
                    "`random(lo, hi)`: a number from `lo` to `hi`, both included (a die is `random(1, 6)`)"
                }
                "min" => "`min(a, b)`: the smaller of two ints",
                _ => "`max(a, b)`: the larger of two ints",
            };
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
                .with_help(usage),
            );
            // `visits` takes scene names, not expressions.
            if function.name != "visits" {
                self.check_arguments(args);
            }
            return None;
        }
        if function.name == "visits" {
            let ExprKind::Name(name) = &args[0].kind else {
                self.report(
                    Diagnostic::new(Code::E0106, args[0].span, "`visits` takes a scene's name")
                        .with_help("write `visits(scene_name)`"),
                );
                return None;
            };
            let Some(id) = self.names.scene_ids.get(name).copied() else {
                let help = self.suggest_scene(name);
                self.report(
                    Diagnostic::new(Code::E0104, args[0].span, format!("unknown scene `{name}`"))
                        .with_help(help),
                );
                return None;
            };
            code.push(Instr::Visits(id));
            return Some(Type::Int);
        }
        let mut types = Vec::new();
        for arg in args {
            types.push(self.emit(arg, None, code));
        }
        let types: Vec<Type> = types.into_iter().collect::<Option<_>>()?;
        match function.name.as_str() {
            "count" => {
                if !matches!(types[0], Type::Set(_)) {
                    let message =
                        format!("`count` needs a set, found {}", self.type_name(types[0]));
                    return self.mismatch(args[0].span, message);
                }
                code.push(Instr::Count);
            }
            name => {
                for (ty, arg) in types.iter().zip(args) {
                    if *ty != Type::Int {
                        let message = format!("`{name}` needs ints, found {}", self.type_name(*ty));
                        return self.mismatch(arg.span, message);
                    }
                }
                code.push(match name {
                    "random" => Instr::Random,
                    "min" => Instr::Min,
                    _ => Instr::Max,
                });
            }
        }
        Some(Type::Int)
    }
}

struct SceneBuilder {
    ops: Vec<Op>,
    is_ending: bool,
}

fn ending_continues(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(Code::E0303, span, format!("{what} inside an ending")).with_help(
        "an ending ends the story; make this scene a plain scene (`== name`) to continue",
    )
}

/// The span of a block's last divert, if it certainly diverts at its end.
fn ends_in_divert(block: &[ast::Stmt]) -> Option<Span> {
    block.iter().find_map(|stmt| match &stmt.kind {
        StmtKind::Divert(divert) => Some(divert.span),
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
enum ConstError {
    NotConstant,
    Arithmetic(String),
}

/// Evaluates code that uses only literals (constants are already inlined):
/// the compile-time half of arithmetic, for constants, initial values and
/// always-false guards. The runtime's own evaluator runs it over an empty
/// environment, so a constant folds exactly as the same expression runs.
fn evaluate_constant(code: &[Instr]) -> Result<Value, ConstError> {
    run(&mut Folding, &mut Vec::new(), code).map_err(|fault| match fault {
        Fault::Overflow => {
            ConstError::Arithmetic("integer overflow in a constant expression".into())
        }
        Fault::DivisionByZero => {
            ConstError::Arithmetic("division by zero in a constant expression".into())
        }
        Fault::RandomRange { .. } | Fault::Malformed(_) => ConstError::NotConstant,
    })
}

/// What a constant reads: nothing. A variable, `turns`, `visits()` or
/// `random()` makes an expression not constant.
struct Folding;

impl Env for Folding {
    fn load(&mut self, _: VarId) -> Result<Value, Fault> {
        Err(Fault::Malformed("not a constant"))
    }

    fn turns(&mut self) -> Result<i64, Fault> {
        Err(Fault::Malformed("not a constant"))
    }

    fn visits(&mut self, _: SceneId) -> Result<i64, Fault> {
        Err(Fault::Malformed("not a constant"))
    }

    fn random(&mut self, _: i64, _: i64) -> Result<i64, Fault> {
        Err(Fault::Malformed("not a constant"))
    }
}

/// The closest candidate by edit distance, if close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // One slip in three characters; none in names of one or two, where any
    // one-letter name is one slip from any other (`y` is not a typo of `x`).
    let limit = name.chars().count() / 3;
    candidates
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate)
}

/// Edits (insertions, deletions, substitutions and swaps of two adjacent
/// characters: the optimal string alignment distance) that turn `a` into
/// `b`. A swap is one edit because it is one slip of the fingers: `rihgt`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 0..a.len() {
        let mut current = vec![i + 1];
        for j in 0..b.len() {
            let substitute = previous[j] + usize::from(a[i] != b[j]);
            let mut best = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                best = best.min(before[j - 1] + 1);
            }
            current.push(best);
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_a_swap_as_one_slip() {
        assert_eq!(edit_distance("rihgt", "right"), 1);
        assert_eq!(edit_distance("leter", "letter"), 1);
        assert_eq!(edit_distance("gorki", "gorki"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            did_you_mean("rihgt", ["troika", "right", "left"].into_iter()),
            Some("right")
        );
        assert_eq!(did_you_mean("zzz", ["troika"].into_iter()), None);
        assert_eq!(did_you_mean("y", ["x"].into_iter()), None);
        assert_eq!(did_you_mean("lef", ["left"].into_iter()), Some("left"));
    }
}
