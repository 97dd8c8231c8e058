//! Dropping what a syntax error made up.
//!
//! A line that does not parse is reported and skipped, with the indented
//! block under it. What it held is then missing from the graph, and later
//! passes see the hole. The parser keeps what it could read of such a line
//! as an `ast::Broken` node (its lines, the construct it started, the names
//! on it), and lowering hands them on in [`Story::broken`], having already
//! withdrawn what they explain about names: a name declared nowhere and a
//! variable never read (`graph::declare::poison`). What is left is the
//! graph's shape, which the passes here see: the scene a broken line
//! diverted to looks unreachable (E0304, E0305), and so does every scene
//! only that one leads to; an ending whose header broke leaves a story
//! that looks endless (W0007); the scene that lost a line looks like a dead
//! end (E0301), a choice block that lost a line may look as if it could
//! offer nothing (W0001), and scenes that lost a choice line may look as
//! if they loop for ever (E0307). Those reports are not news, and they bury
//! the one that is, so they are dropped. Nothing here reads source text.
//!
//! Anything an include that could not be read may explain is not news
//! either: a name declared nowhere, a variable never read, a scene never
//! reached; nor is a story without an ending when a divert names a scene
//! declared nowhere (ink's `-> DONE`), which may have been meant as one.

use std::collections::HashSet;

use crate::ast::Construct;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::{SceneId, Story};

/// Whether the diagnostic says an include was not read.
fn include_failed(code: Code) -> bool {
    matches!(code, Code::E0401 | Code::E0403)
}

/// Drops what an include that could not be read explains: a name declared
/// nowhere (E0103, E0104, E0105) may be declared in the file that was not
/// read, a variable never read (W0002) may be read there, and a scene or
/// ending that looks unreachable, or a story that looks endless (E0304,
/// E0305, W0007), may be reached or ended there. The failed include's own
/// report says so, so the writer knows more may follow once it is fixed.
fn drop_after_failed_include(diagnostics: &mut Vec<Diagnostic>) {
    if !diagnostics.iter().any(|d| include_failed(d.code)) {
        return;
    }
    let before = diagnostics.len();
    diagnostics.retain(|diagnostic| {
        !matches!(
            diagnostic.code,
            Code::E0103
                | Code::E0104
                | Code::E0105
                | Code::W0002
                | Code::E0304
                | Code::E0305
                | Code::W0007
        )
    });
    if diagnostics.len() == before {
        return;
    }
    for diagnostic in diagnostics.iter_mut().filter(|d| include_failed(d.code)) {
        let note = "names it would declare are not reported as unknown until it is read";
        diagnostic.help = Some(match diagnostic.help.take() {
            Some(help) => format!("{help}; {note}"),
            None => note.to_string(),
        });
    }
}

/// Drops the reports that lines which did not parse, or includes that
/// could not be read, explain (see the module's notes). `story` is the
/// graph the later passes ran on, when there was one.
pub fn drop_follow_ons(diagnostics: &mut Vec<Diagnostic>, story: Option<&Story>) {
    drop_after_failed_include(diagnostics);
    // A divert to a scene declared nowhere (ink's `-> DONE` among them)
    // may have been meant for an ending: "no ending" is not news.
    if diagnostics.iter().any(|d| d.code == Code::E0104) {
        diagnostics.retain(|d| d.code != Code::W0007);
    }
    let Some(story) = story else {
        return;
    };
    if story.broken.is_empty() {
        return;
    }
    let named: HashSet<&str> = story
        .broken
        .iter()
        .flat_map(|(_, lost)| lost.names.iter().map(String::as_str))
        .collect();
    // Scenes the broken lines may have led to: those they name, and every
    // scene reachable from one of those.
    let mut maybe_reached = vec![false; story.scenes.len()];
    let mut stack: Vec<SceneId> = story
        .scenes
        .iter()
        .enumerate()
        .filter(|(_, scene)| named.contains(scene.name.as_str()))
        .map(|(index, _)| SceneId(index as u32))
        .collect();
    let mut successors: Vec<Vec<SceneId>> = vec![Vec::new(); story.scenes.len()];
    for edge in story.edges() {
        successors[edge.from.index()].push(edge.to);
    }
    while let Some(scene) = stack.pop() {
        if std::mem::replace(&mut maybe_reached[scene.index()], true) {
            continue;
        }
        stack.extend(&successors[scene.index()]);
    }
    // Scenes that lost a line.
    let mut lost_lines = vec![false; story.scenes.len()];
    for scene in story.broken.iter().filter_map(|(scene, _)| *scene) {
        if let Some(lost) = lost_lines.get_mut(scene.index()) {
            *lost = true;
        }
    }
    let broken_ending = story
        .broken
        .iter()
        .any(|(_, lost)| lost.construct == Construct::Ending || named.contains("ending"));
    // Headers by position, and where each scene's header is, both searched
    // by halves: thousands of reports and scenes stay n log n.
    let mut by_position: Vec<(Span, usize)> = story
        .scenes
        .iter()
        .enumerate()
        .map(|(index, scene)| (scene.span, index))
        .collect();
    by_position.sort_unstable_by_key(|(span, _)| (span.file, span.start, span.end));
    // The scene a position is in: the one whose header comes last before it.
    let scene_at = |span: Span| {
        let after = by_position
            .partition_point(|(header, _)| (header.file, header.start) <= (span.file, span.start));
        let (header, index) = by_position.get(after.checked_sub(1)?)?;
        (header.file == span.file).then_some(*index)
    };
    // The scene whose header is exactly `span`.
    let headed_by = |span: Span| {
        by_position
            .binary_search_by_key(&(span.file, span.start, span.end), |(header, _)| {
                (header.file, header.start, header.end)
            })
            .ok()
            .map(|found| by_position[found].1)
    };
    let lost_at = |span: Span| scene_at(span).is_some_and(|index| lost_lines[index]);
    diagnostics.retain(|diagnostic| match diagnostic.code {
        // A scene whose header span this is, when a broken line may lead to it.
        Code::E0304 | Code::E0305 => {
            !headed_by(diagnostic.span).is_some_and(|index| maybe_reached[index])
        }
        Code::W0007 => !broken_ending,
        // A loop with a lost line in one of its scenes may have had a
        // choice there.
        Code::E0307 => !diagnostic.labels.iter().any(|label| lost_at(label.span)),
        Code::E0301 => !diagnostic
            .labels
            .first()
            .is_some_and(|label| lost_at(label.span)),
        // A choice block with a lost line may have had an unguarded choice
        // or a fallback in it.
        Code::W0001 => !lost_at(diagnostic.span),
        _ => true,
    });
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::compile::compile;
    use crate::diagnostic::Code;

    fn codes(text: &str) -> Vec<Code> {
        let loaded = compile(Path::new("t.fab"), &mut |_| Ok(text.as_bytes().to_vec()))
            .expect("read from memory");
        loaded.diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn a_scene_only_a_broken_line_leads_to_is_not_reported() {
        // The choice line is broken; `shore` is reached only from it.
        let story = "== s\n* {oil Go -> shore\n* Stay -> ending e\n== shore\n-> ending e\n== ending e\nBye.\n";
        assert_eq!(codes(story), [Code::E0006]);
    }

    #[test]
    fn a_scene_no_broken_line_names_is_still_unreachable() {
        let story = "== s\n* {oil Go -> shore\n* Stay -> ending e\n== shore\n-> ending e\n== cave\n-> ending e\n== ending e\nBye.\n";
        assert_eq!(codes(story), [Code::E0006, Code::E0304]);
    }
}
