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

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::graph::Story;
use crate::parallel::Helper;

pub(crate) use follow_ons::drop_follow_ons;

/// Stories with at least this many scenes run their graph passes on two
/// threads.
pub const PARALLEL_SCENES: usize = 2_000;

/// Runs every graph pass over a story that lowered without errors. A big
/// story's passes run on two threads; their diagnostics come out in the
/// same order either way.
pub fn graph_passes(story: &Story, diagnostics: &mut Vec<Diagnostic>) {
    graph_passes_from(story, None, diagnostics, PARALLEL_SCENES);
}

/// [`graph_passes`] with the second thread's half on `helper` (which
/// needs a share of the story to hold).
pub(crate) fn graph_passes_on(
    story: &Arc<Story>,
    helper: Option<&Helper>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    graph_passes_from(
        story,
        helper.map(|helper| (helper, story)),
        diagnostics,
        PARALLEL_SCENES,
    );
}

/// [`graph_passes`], on two threads from `parallel_scenes` scenes: the
/// second `shared`'s helper with its share of the story, or a thread of
/// its own.
fn graph_passes_from(
    story: &Story,
    shared: Option<(&Helper, &Arc<Story>)>,
    diagnostics: &mut Vec<Diagnostic>,
    parallel_scenes: usize,
) {
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
    // The loop pass is the biggest; the others together about match it
    // with the return pass on its side (on the generated 10,000-scene
    // story, this thread's half took 0.6 ms longer with the return pass
    // here). The shown-condition pass reads each scene alone, so each
    // thread takes half of the scenes.
    let middle = story.scenes.len() / 2;
    let early = || {
        let mut rest = Vec::new();
        fallback::check(story, &mut rest);
        reachability::check(story, diagnostics);
        dead_end::check(story, diagnostics);
        let mut shown_late = Vec::new();
        shown_condition::find(story, &story.scenes[middle..], &mut shown_late);
        (rest, shown_late)
    };
    fn late(story: &Story, middle: usize) -> [Vec<Diagnostic>; 3] {
        let mut found = Vec::new();
        divert_loop::check(story, &mut found);
        choices::check(story, &mut found);
        let mut returned = Vec::new();
        returns::check(story, &mut returned);
        let mut shown_early = Vec::new();
        shown_condition::find(story, &story.scenes[..middle], &mut shown_early);
        [found, returned, shown_early]
    }
    let ((mut rest, mut shown_late), [mut loops, mut returned, mut shown_early]) = match shared {
        Some((helper, shared)) => {
            let shared = Arc::clone(shared);
            crate::parallel::both_on(Some(helper), early, move || late(&shared, middle))
        }
        None => crate::parallel::both(early, || late(story, middle)),
    };
    // In the order one thread finds them.
    diagnostics.append(&mut loops);
    diagnostics.append(&mut rest);
    diagnostics.append(&mut returned);
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
        let sources = std::sync::Arc::new(sources);
        let (story, _) =
            crate::graph::build(files, declared, &sources, &mut lowered, usize::MAX, None);
        let mut story = story.unwrap();
        // As the compile driver does: the passes may quote the story's text.
        story.sources = sources;
        let story = Arc::new(story);
        let helper = Helper::start().unwrap();
        let passes = |parallel_scenes, helper: Option<&Helper>| {
            let mut found = Vec::new();
            let shared = helper.map(|helper| (helper, &story));
            graph_passes_from(&story, shared, &mut found, parallel_scenes);
            found
        };
        let one = passes(usize::MAX, None);
        let codes: std::collections::BTreeSet<String> =
            one.iter().map(|d| format!("{:?}", d.code)).collect();
        for code in ["E0313", "W0008", "E0307", "E0304", "E0305", "W0010"] {
            assert!(codes.contains(code), "{code} missing from {codes:?}");
        }
        // One in each half of the scenes, which two threads search apart;
        // `hidden` is named only in one, so its W0002 is withdrawn.
        assert_eq!(one.iter().filter(|d| d.code == Code::W0010).count(), 2);
        assert!(!codes.contains("W0002"), "{codes:?}");
        assert_eq!(format!("{one:?}"), format!("{:?}", passes(0, None)));
        assert_eq!(
            format!("{one:?}"),
            format!("{:?}", passes(0, Some(&helper)))
        );
    }
}
