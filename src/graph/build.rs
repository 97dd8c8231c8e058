//! Building the whole graph: tests first, then every scene, lowered in one
//! run or, for big stories, two runs on two threads whose ids and arena
//! ranges are renumbered when they are joined.

use std::sync::Arc;

use super::arena::{CodeArena, TextArena};
use super::declare::{Declared, Names, place_broken, poison};
use super::lower::Lowering;
use super::{ChoiceId, Expr, Guard, Instr, Op, Part, Scene, SceneId, Story, Test};
use crate::ast;
use crate::diagnostic::{Code, Diagnostic, SourceMap};
use crate::parallel::Helper;
use crate::syntax::Outline;

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
    /// The run's lines that did not parse, with their scenes.
    broken: Vec<(Option<SceneId>, ast::Broken)>,
}

/// Room for the scenes, text and code of `items`, reserved before lowering
/// them so the arenas are not copied as they grow: the text of every
/// literal comes from the scenes' bytes (here the file's bytes per line
/// times the scenes' lines), and a line compiles to about one and a half
/// instructions on average. A guess, not a bound: an arena past it grows
/// as before. Pages never written are never resident, so a guess too big
/// costs address space, not memory.
#[derive(Clone, Copy, Default)]
struct Room {
    scenes: usize,
    text: usize,
    code: usize,
}

impl Room {
    fn of(files: &[Outline], items: &[WorkItem]) -> Room {
        let mut lines = vec![0usize; files.len()];
        for &(file, index, _) in items {
            lines[file] += files[file].scenes[index].line_count;
        }
        let mut room = Room {
            scenes: items.len(),
            ..Room::default()
        };
        for (outline, lines) in files.iter().zip(lines) {
            let file_lines: usize = outline.scenes.iter().map(|s| s.line_count).sum();
            let bytes = outline.bytes;
            room.text += bytes / file_lines.max(1) * lines;
            room.code += (lines + lines / 2).min(bytes / 8);
        }
        room
    }

    fn reserve(self, lowering: &mut Lowering) {
        lowering.text.reserve(self.text);
        lowering.code.reserve(self.code);
    }

    /// This room, with space in the list of scenes for `other`'s too.
    fn with_scenes_of(self, other: Room) -> Room {
        Room {
            scenes: self.scenes + other.scenes,
            ..self
        }
    }
}

/// Lowers `items`, with room in `lowering`'s arenas (and the scenes'
/// list) for `room`.
fn lower_scenes(
    mut lowering: Lowering,
    files: &[Outline],
    sources: &SourceMap,
    items: &[WorkItem],
    room: Room,
) -> LoweredScenes {
    room.reserve(&mut lowering);
    let mut scenes = Vec::with_capacity(room.scenes);
    let mut broken = Vec::new();
    for &(file, index, id) in items {
        let outline = &files[file];
        let (tree, found, lost) = outline.parse_scene(&sources.get(outline.file).text, index);
        lowering.diagnostics.extend(found);
        broken.extend(lost.into_iter().map(|lost| (id, lost)));
        if let (Some(tree), Some(id)) = (tree, id) {
            scenes.push(lowering.scene(tree, id));
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
        broken,
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
                Op::Assign { value, .. } | Op::SetLocal { value, .. } => expr(value, shift),
                Op::Call { args, .. } => {
                    for arg in args {
                        expr(arg, shift);
                    }
                }
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
                        if let Some(label) = &mut choice.label {
                            label.start += shift.text;
                        }
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
                Op::Jump { .. } | Op::Divert { .. } | Op::Return { .. } | Op::End { .. } => {}
            }
        }
    }
}

/// Lowers every scene: in one run, or (`parallel`) in two runs, the
/// second on the helper when there is one, else on a thread of its own;
/// each with room reserved for its arenas.
fn lower_runs(
    first_lowering: Lowering,
    names: &Arc<Names>,
    files: &Arc<Vec<Outline>>,
    sources: &Arc<SourceMap>,
    mut items: Vec<WorkItem>,
    parallel: bool,
    helper: Option<&Helper>,
) -> Vec<LoweredScenes> {
    if parallel {
        let second = items.split_off(items.len() / 2);
        let first = items;
        let later_room = Room::of(files, &second);
        // The first run's list of scenes gets room for both runs': the
        // second's are appended to it when the runs are joined. Their
        // arenas stay apart (see `arena`).
        let first_room = Room::of(files, &first).with_scenes_of(later_room);
        let (names, later_files, later_sources) =
            (Arc::clone(names), Arc::clone(files), Arc::clone(sources));
        let (earlier, later) = crate::parallel::both_on(
            helper,
            || lower_scenes(first_lowering, files, sources, &first, first_room),
            move || {
                let lowering = Lowering::new(&names);
                lower_scenes(lowering, &later_files, &later_sources, &second, later_room)
            },
        );
        vec![earlier, later]
    } else {
        let room = Room::of(files, &items);
        vec![lower_scenes(first_lowering, files, sources, &items, room)]
    }
}

/// The lowering runs joined into one: the first run's scenes and arenas
/// with every later run's appended, renumbered.
struct Joined {
    scenes: Vec<Scene>,
    text: TextArena,
    code: CodeArena,
    var_reads: Vec<bool>,
    choice_count: u32,
    seq_count: u32,
    diverts_resolved: bool,
}

/// Joins the runs, in order; their diagnostics and broken lines are
/// appended to `diagnostics` and `broken`.
fn join_runs(
    runs: Vec<LoweredScenes>,
    var_count: usize,
    diagnostics: &mut Vec<Diagnostic>,
    broken: &mut Vec<(Option<SceneId>, ast::Broken)>,
) -> Joined {
    let mut scenes = Vec::new();
    let mut text = TextArena::default();
    let mut code = CodeArena::default();
    let mut var_reads = vec![false; var_count];
    let (mut choice_count, mut seq_count) = (0, 0);
    let mut diverts_resolved = true;
    for (index, mut run) in runs.into_iter().enumerate() {
        diverts_resolved &= !run.unknown_divert;
        if index == 0 {
            // The first run's scenes and arenas are taken as they are.
            scenes = run.scenes;
            text = TextArena::whole(run.text);
            code = CodeArena::whole(run.code);
        } else {
            let shift = Shift {
                choices: choice_count,
                seqs: seq_count,
                text: text.len() as u32,
                code: code.len() as u32,
            };
            renumber(&mut run.scenes, shift);
            // An exact reservation: doubling would copy the scenes into a
            // buffer twice their size. The arenas are moved, not copied.
            scenes.reserve_exact(run.scenes.len());
            scenes.append(&mut run.scenes);
            text.append(run.text);
            code.append(run.code);
        }
        choice_count += run.choice_count;
        seq_count += run.seq_count;
        diagnostics.append(&mut run.diagnostics);
        broken.append(&mut run.broken);
        for (read, run_read) in var_reads.iter_mut().zip(run.var_reads) {
            *read |= run_read;
        }
    }
    Joined {
        scenes,
        text,
        code,
        var_reads,
        choice_count,
        seq_count,
        diverts_resolved,
    }
}

/// Builds the story; also says whether every divert named a scene.
/// The outlines are dropped as soon as the scenes are lowered, before the
/// lowering runs are joined.
pub(crate) fn build(
    files: Vec<Outline>,
    declared: Declared,
    sources: &Arc<SourceMap>,
    diagnostics: &mut Vec<Diagnostic>,
    parallel_lines: usize,
    helper: Option<&Helper>,
) -> (Option<Story>, bool) {
    let Declared {
        names,
        ids,
        start,
        title,
        author,
        about,
        invariants,
        functions,
    } = declared;
    // Shared with the second lowering run, on another thread.
    let (names, files) = (Arc::new(names), Arc::new(files));
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
    let (tests, mut broken) = lower_tests(&mut test_lowering, &files, sources);
    broken.extend(
        files
            .iter()
            .flat_map(|file| &file.prologue.broken)
            .map(|lost| (None, lost.clone())),
    );
    diagnostics.append(&mut test_lowering.diagnostics);
    let mut first_lowering = Lowering::new(&names);
    first_lowering.text = test_lowering.text;
    first_lowering.code = test_lowering.code;
    // Invariants are part of the story, so what they read counts as used.
    let invariants = first_lowering.invariants(&invariants);
    // Function bodies go in the first run's arenas, so they need no
    // renumbering when the runs are joined.
    let functions = first_lowering.functions(&functions);

    let parallel = total_lines >= parallel_lines && items.len() >= 2;
    let runs = lower_runs(
        first_lowering,
        &names,
        &files,
        sources,
        items,
        parallel,
        helper,
    );
    // Freed before the runs are joined, on this thread: the join's
    // allocations then reuse their memory. (Freed on the other core while
    // joining, the join took ~20 ms less on the million-scene chain but
    // the peak grew from 542 to 580 MB.) The second run let go of its
    // shares of both before it returned.
    drop(files);
    let mut names = names;
    if let Some(names) = Arc::get_mut(&mut names) {
        drop(std::mem::take(&mut names.scene_ids));
    }
    let joined = join_runs(runs, names.vars.len(), diagnostics, &mut broken);
    let Joined {
        scenes,
        mut text,
        mut code,
        var_reads,
        choice_count,
        seq_count,
        diverts_resolved,
    } = joined;
    text.shrink_to_fit();
    code.shrink_to_fit();
    resolve_labels(&names, &scenes, &text, code.iter_mut());
    place_broken(&mut broken, &scenes);
    let (poisoned, misspelt) = poison(&broken, diagnostics, sources);
    for (var, read) in names.vars.iter().zip(&var_reads) {
        if !read && !poisoned.contains(var.name.as_str()) && !misspelt.contains(&var.name) {
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
    let (vars, enums) = match Arc::try_unwrap(names) {
        Ok(names) => (names.vars, names.enums),
        Err(shared) => (shared.vars.clone(), shared.enums.clone()),
    };
    let story = start.map(|start| Story {
        title,
        author,
        about,
        start,
        scenes,
        vars,
        enums,
        functions,
        choice_count,
        seq_count,
        invariants,
        tests,
        text,
        code,
        sources: Arc::default(),
        broken,
    });
    (story, diverts_resolved)
}

/// Turns each `Instr::Taken` of `code` from the label's index (what
/// lowering emits, before every scene's choices have ids) into the id of
/// the choice that carries the label. A label of a scene not lowered (the
/// opening's placeholders) gets an id beyond every choice, never taken.
pub(crate) fn resolve_labels<'c>(
    names: &Names,
    scenes: &[Scene],
    text: &TextArena,
    code: impl Iterator<Item = &'c mut Instr>,
) {
    // Without labels there is nothing to find and nothing to turn: lowering
    // emits `Taken` only for a label it found. (Walking the code for
    // nothing was 1.3M instructions of the serial join on the generated
    // 10,000-scene story.)
    if names.labels.is_empty() {
        return;
    }
    let mut choices = vec![ChoiceId(u32::MAX); names.labels.len()];
    for (index, scene) in scenes.iter().enumerate() {
        for op in &scene.ops {
            let Op::Choices { choices: block, .. } = op else {
                continue;
            };
            for choice in block {
                if let Some(label) = choice.label
                    && let Some(label) = text.get(label.start as usize, label.len as usize)
                    && let Some(&id) = names
                        .label_ids
                        .get(&(SceneId(index as u32), label.to_string()))
                    && let Some(slot) = choices.get_mut(id as usize)
                    && slot.0 == u32::MAX
                {
                    *slot = choice.id;
                }
            }
        }
    }
    for instr in code {
        if let Instr::Taken(id) = instr {
            *id = choices
                .get(id.index())
                .copied()
                .unwrap_or(ChoiceId(u32::MAX));
        }
    }
}

/// Parses and lowers every file's test blocks with `lowering`; also
/// returns what could be read of their lines that did not parse.
fn lower_tests(
    lowering: &mut Lowering,
    files: &[Outline],
    sources: &SourceMap,
) -> (Vec<Test>, Vec<(Option<SceneId>, ast::Broken)>) {
    let mut tests = Vec::new();
    let mut broken = Vec::new();
    for outline in files {
        let (blocks, found, lost) = outline.parse_tests(&sources.get(outline.file).text);
        lowering.diagnostics.extend(found);
        broken.extend(lost.into_iter().map(|lost| (None, lost)));
        for block in blocks {
            if let Some(test) = lowering.test(&block) {
                tests.push(test);
            }
        }
    }
    (tests, broken)
}
