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
    // The shown-condition pass reads each scene alone, so each thread takes
    // half of the scenes.
    let (early, late) = story.scenes.split_at(story.scenes.len() / 2);
    let ((mut rest, mut shown_late), (mut loops, mut shown_early)) = crate::parallel::both(
        || {
            let mut rest = Vec::new();
            fallback::check(story, &mut rest);
            returns::check(story, &mut rest);
            reachability::check(story, diagnostics);
            dead_end::check(story, diagnostics);
            let mut shown_late = Vec::new();
            shown_condition::find(story, late, &mut shown_late);
            (rest, shown_late)
        },
        || {
            let mut found = Vec::new();
            divert_loop::check(story, &mut found);
            choices::check(story, &mut found);
            let mut shown_early = Vec::new();
            shown_condition::find(story, early, &mut shown_early);
            (found, shown_early)
        },
    );
    diagnostics.append(&mut loops);
    diagnostics.append(&mut rest);
    // Last, in scene order: it withdraws the W0002 its own warnings explain.
    let before = diagnostics.len();
    diagnostics.append(&mut shown_early);
    diagnostics.append(&mut shown_late);
    shown_condition::withdraw(story, diagnostics, before);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::diagnostic::Code;

    /// Every pass finds something in this story; on two threads the
    /// passes must give exactly what they give on one, in the same order.
    #[test]
    fn two_threads_give_the_diagnostics_one_thread_gives() {
        let text = "title: Every pass\nvar letters = 0\nvar hidden = false\n\
            == start\n->-> // E0313\n* {false} Never -> gorki // W0004\n* Go -> gorki\n* Stop\n    Nothing.\n\
            == gorki\n* -> study // W0008\n* Leave -> hall\n\
            == study\n~ letters += 1\n{letters > 1: Many.|letters == 1: One.} // W0010\n+ Back -> gorki\n\
            == hall // E0307\n-> stairs\n== stairs\n-> hall\n\
            == island // E0304\n-> ending done\n\
            == ending done\nDone. {letters > 2: Lots.|hidden: Seen.} // W0010, and no W0002\n\
            == ending lost // E0305\nLost.\n";
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
        // One in each half of the scenes, which two threads search apart;
        // `hidden` is named only in one, so its W0002 is withdrawn.
        assert_eq!(one.iter().filter(|d| d.code == Code::W0010).count(), 2);
        assert!(!codes.contains("W0002"), "{codes:?}");
        assert_eq!(format!("{one:?}"), format!("{:?}", passes(0)));
    }
}
