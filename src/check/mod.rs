//! Static analysis over the narrative graph, one pass per file.
//!
//! Name, type and structure errors are found while lowering (see
//! [`crate::graph`]); these passes need the whole graph.

mod choices;
mod cycles;
mod dead_end;
mod divert_loop;
mod fallback;
mod follow_ons;
mod reachability;
mod returns;
mod shown_condition;

use crate::diagnostic::Diagnostic;
use crate::graph::Story;

pub(crate) use follow_ons::drop_follow_ons;

/// Stories with at least this many scenes run their graph passes on two
/// threads.
pub const PARALLEL_SCENES: usize = 2_000;

/// Runs every graph pass over a story that lowered without errors. A big
/// story's passes run on two threads; their diagnostics come out in the
/// same order either way.
pub fn graph_passes(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
    graph_passes_from(story, diagnostics, PARALLEL_SCENES);
}

/// [`graph_passes`], on two threads from `parallel_scenes` scenes.
fn graph_passes_from(story: &Story, diagnostics: &mut Vec<Diagnostic>, parallel_scenes: usize) {
    if story.scenes.len() < parallel_scenes {
        reachability::check(story, diagnostics);
        dead_end::check(story, diagnostics);
        divert_loop::check(story, diagnostics);
        choices::check(story, diagnostics);
        fallback::check(story, diagnostics);
        returns::check(story, diagnostics);
        shown_condition::check(story, diagnostics);
        return;
    }
    // The loop pass is the biggest; the others together about match it.
    let (mut loops, mut rest) = std::thread::scope(|scope| {
        let loops = scope.spawn(|| {
            let mut found = Vec::new();
            divert_loop::check(story, &mut found);
            choices::check(story, &mut found);
            found
        });
        let mut rest = Vec::new();
        fallback::check(story, &mut rest);
        returns::check(story, &mut rest);
        reachability::check(story, diagnostics);
        dead_end::check(story, diagnostics);
        match loops.join() {
            Ok(loops) => (loops, rest),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    diagnostics.append(&mut loops);
    diagnostics.append(&mut rest);
    // Last: it withdraws the W0002 its own warnings explain.
    shown_condition::check(story, diagnostics);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Every pass finds something in this story; on two threads the
    /// passes must give exactly what they give on one, in the same order.
    #[test]
    fn two_threads_give_the_diagnostics_one_thread_gives() {
        let text = "title: Every pass\nvar letters = 0\n\
            == start\n->-> // E0313\n* {false} Never -> gorki // W0004\n* Go -> gorki\n* Stop\n    Nothing.\n\
            == gorki\n* -> study // W0008\n* Leave -> hall\n\
            == study\n~ letters += 1\n{letters > 1: Many.|letters == 1: One.} // W0010\n+ Back -> gorki\n\
            == hall // E0307\n-> stairs\n== stairs\n-> hall\n\
            == island // E0304\n-> ending done\n\
            == ending done\nDone.\n== ending lost // E0305\nLost.\n";
        let mut sources = crate::diagnostic::SourceMap::default();
        let mut lowered = Vec::new();
        let files = crate::graph::load(
            Path::new("every.fab"),
            &mut |_: &Path| Ok(text.as_bytes().to_vec()),
            &mut sources,
            &mut lowered,
        )
        .unwrap();
        let declared = crate::graph::declare(&files, &sources, &mut lowered).unwrap();
        let (story, _) = crate::graph::build(files, declared, &sources, &mut lowered, usize::MAX);
        let mut story = story.unwrap();
        // As the compile driver does: the passes may quote the story's text.
        story.sources = std::sync::Arc::new(sources);
        let passes = |parallel_scenes| {
            let mut found = Vec::new();
            graph_passes_from(&story, &mut found, parallel_scenes);
            found
        };
        let one = passes(usize::MAX);
        let codes: std::collections::BTreeSet<String> =
            one.iter().map(|d| format!("{:?}", d.code)).collect();
        for code in ["E0313", "W0008", "E0307", "E0304", "E0305", "W0010"] {
            assert!(codes.contains(code), "{code} missing from {codes:?}");
        }
        assert_eq!(format!("{one:?}"), format!("{:?}", passes(0)));
    }
}
