//! A story's opening lowered ahead of the rest: the start scene and every
//! scene it reaches before the player's first choice, with empty
//! placeholders for the others. The driver that shows it while the whole
//! story compiles is [`crate::compile::compile_opening`].

use std::sync::Arc;

use super::arena::{CodeArena, TextArena};
use super::declare::Declared;
use super::lower::Lowering;
use super::{Op, Scene, SceneId, Story};
use crate::diagnostic::{Diagnostic, Severity, SourceMap};
use crate::syntax::Outline;

/// Past this many scenes before the first choice, the opening is not worth
/// compiling apart: the whole compile is awaited instead.
pub(crate) const MAX_OPENING_SCENES: usize = 256;

fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity() == Severity::Error)
}

/// Compiles the opening's scenes into a story with placeholders for the
/// rest; `None` when one of them has an error (the whole compile reports
/// it) or the opening is too long.
pub(crate) fn lower_opening(
    files: &[Outline],
    sources: &SourceMap,
    declared: &Declared,
) -> Option<(Story, Vec<bool>)> {
    let start = declared.start?;
    let count = declared.names.endings.len();
    // Where each scene id's scene is: its file and index there.
    let mut places = vec![(0, 0); count];
    for (file, ids) in declared.ids.iter().enumerate() {
        for (index, id) in ids.iter().enumerate() {
            if let Some(id) = id {
                places[id.0 as usize] = (file, index);
            }
        }
    }
    let mut lowering = Lowering::new(&declared.names);
    let invariants = lowering.invariants(&declared.invariants);
    let functions = lowering.functions(&declared.functions);
    if has_errors(&lowering.diagnostics) {
        return None;
    }
    let mut scenes: Vec<Option<Scene>> = (0..count).map(|_| None).collect();
    let mut queue = vec![start];
    let mut compiled_count = 0;
    while let Some(id) = queue.pop() {
        if scenes[id.0 as usize].is_some() {
            continue;
        }
        compiled_count += 1;
        if compiled_count > MAX_OPENING_SCENES {
            return None;
        }
        let (file, index) = places[id.0 as usize];
        let outline = &files[file];
        let (tree, found, _) = outline.parse_scene(&sources.get(outline.file).text, index);
        if has_errors(&found) {
            return None;
        }
        let scene = lowering.scene(tree?, id);
        if has_errors(&lowering.diagnostics) {
            return None;
        }
        queue.extend(reached_without_choosing(&scene));
        scenes[id.0 as usize] = Some(scene);
    }
    let compiled = scenes.iter().map(Option::is_some).collect();
    let scenes: Vec<Scene> = scenes
        .into_iter()
        .zip(&places)
        .map(|(scene, &(file, index))| scene.unwrap_or_else(|| placeholder(&files[file], index)))
        .collect();
    let names = &declared.names;
    let text = TextArena::whole(lowering.text);
    let mut code = CodeArena::whole(lowering.code);
    super::build::resolve_labels(names, &scenes, &text, code.iter_mut());
    let story = Story {
        title: declared.title.clone(),
        author: declared.author.clone(),
        about: declared.about.clone(),
        start,
        scenes,
        vars: names.vars.clone(),
        enums: names.enums.clone(),
        functions,
        choice_count: lowering.choice_count,
        seq_count: lowering.seq_count,
        invariants,
        tests: Vec::new(),
        text,
        code,
        sources: Arc::default(),
        broken: Vec::new(),
    };
    Some((story, compiled))
}

/// A scene that is not compiled: nameless and empty (the opening never
/// enters one, `Opening::is_compiled` tells them apart, and the runtime
/// stops with an error in a scene without ops).
fn placeholder(outline: &Outline, index: usize) -> Scene {
    Scene {
        name: String::new(),
        title: None,
        is_ending: false,
        is_page: false,
        tags: Vec::new(),
        span: outline.scenes[index].span,
        ops: Vec::new(),
        params: 0,
        locals: Vec::new(),
    }
}

/// The scenes `scene` can divert to before the player chooses: the diverts
/// reachable from its first op through text, logic, jumps (both ways) and
/// fallback choices, which the story takes by itself.
fn reached_without_choosing(scene: &Scene) -> Vec<SceneId> {
    let mut seen = vec![false; scene.ops.len()];
    let mut stack = vec![0];
    let mut targets = Vec::new();
    while let Some(pc) = stack.pop() {
        let Some(op) = scene.ops.get(pc) else {
            continue;
        };
        if std::mem::replace(&mut seen[pc], true) {
            continue;
        }
        stack.extend(op.flows_to(pc));
        match op {
            Op::Choices { choices, .. } => stack.extend(
                choices
                    .iter()
                    .filter(|choice| choice.is_fallback())
                    .map(|choice| choice.target as usize),
            ),
            Op::Divert { target, .. } | Op::Call { target, .. } => targets.push(*target),
            // Followed by `flows_to` above, or the end of the scene.
            Op::Text { .. }
            | Op::Assign { .. }
            | Op::SetLocal { .. }
            | Op::Return { .. }
            | Op::Assert { .. }
            | Op::JumpUnless { .. }
            | Op::Jump { .. }
            | Op::End { .. } => {}
        }
    }
    targets
}
