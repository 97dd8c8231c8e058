//! A story's opening, compiled ahead of the rest, so the player can show
//! the first choices of a big story while the whole story is still being
//! compiled and checked on another thread.
//!
//! The opening is every scene that can run before the player's first
//! choice: the start scene and, transitively, the scenes its diverts and
//! fallback choices reach without a choice of the player's. Every other
//! scene is an empty placeholder (the runtime stops with an error in one;
//! the player checks that the opening never entered one). Nothing from the
//! opening is kept: when the check passes, the player starts the whole
//! story afresh (with the same seed, so the same opening) and drops this
//! one. The whole compile waits until [`Opening::finish`] is called, so it
//! does not slow the opening down.

use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use super::{LoadedStory, lower_and_check};
use crate::diagnostic::{Diagnostic, Severity, SourceMap};
use crate::graph::{self, PARALLEL_LINES, SceneId, Story};

/// What [`compile_opening`] gives.
#[derive(Debug)]
pub enum Early {
    /// The opening is ready; the whole story is compiled on demand.
    Opening(Opening),
    /// The whole story, compiled at once: it is small, its prologue,
    /// headers or opening have errors, or its opening is too long to
    /// compile apart.
    Done(Box<LoadedStory>),
}

/// A story's opening, and the compile of the whole story under way.
#[derive(Debug)]
pub struct Opening {
    /// A story in which only the opening's scenes are compiled.
    pub story: Arc<Story>,
    /// Per scene id, whether the scene is compiled in [`Opening::story`].
    compiled: Vec<bool>,
    /// Dropped to start the compile of the whole story.
    go: mpsc::Sender<()>,
    rest: JoinHandle<LoadedStory>,
}

impl Opening {
    /// Whether `scene` is compiled in [`Opening::story`] (not a placeholder).
    pub fn is_compiled(&self, scene: SceneId) -> bool {
        self.compiled
            .get(scene.0 as usize)
            .copied()
            .unwrap_or(false)
    }

    /// Compiles and checks the whole story: the same result
    /// [`super::compile`] gives.
    pub fn finish(self) -> LoadedStory {
        drop(self.go);
        match self.rest.join() {
            Ok(loaded) => loaded,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// Stories with fewer scene lines than this compile in a few milliseconds
/// (docs/PERFORMANCE.md): they are compiled whole, not opening first.
pub const OPENING_MIN_LINES: usize = PARALLEL_LINES;

/// Loads a story and, when it is big, compiles its opening; the whole
/// story is compiled on another thread once [`Opening::finish`] is called.
/// Fails only when the entry file cannot be read (or no thread can be
/// started).
pub fn compile_opening(
    entry: &Path,
    read: &mut dyn FnMut(&Path) -> std::io::Result<Vec<u8>>,
) -> Result<Early, std::io::Error> {
    compile_opening_over(entry, read, OPENING_MIN_LINES)
}

/// [`compile_opening`] for stories of at least `min_lines` scene lines.
pub fn compile_opening_over(
    entry: &Path,
    read: &mut dyn FnMut(&Path) -> std::io::Result<Vec<u8>>,
    min_lines: usize,
) -> Result<Early, std::io::Error> {
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();
    let files = graph::load(entry, read, &mut sources, &mut diagnostics)?;
    let declared = graph::declare(&files, &sources, &mut diagnostics);
    let lines: usize = files
        .iter()
        .flat_map(|file| &file.scenes)
        .map(|scene| scene.line_count)
        .sum();
    let opening = match &declared {
        Some(declared) if lines >= min_lines && !has_errors(&diagnostics) => {
            graph::lower_opening(&files, &sources, declared)
        }
        _ => None,
    };
    let Some((story, compiled)) = opening else {
        return Ok(Early::Done(Box::new(lower_and_check(
            files,
            declared,
            sources,
            diagnostics,
            PARALLEL_LINES,
            None,
        ))));
    };
    // The rest waits until the opening is shown, so that it does not take
    // the processor from the player (on a machine with two cores, it would
    // have both).
    let (go, wait) = mpsc::channel::<()>();
    let rest = std::thread::Builder::new()
        .name("check".into())
        .spawn(move || {
            // An error only means `go` was dropped: the signal to begin.
            let _ = wait.recv();
            lower_and_check(files, declared, sources, diagnostics, PARALLEL_LINES, None)
        })?;
    Ok(Early::Opening(Opening {
        story: Arc::new(story),
        compiled,
        go,
        rest,
    }))
}

fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity() == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opening(source: &str) -> Early {
        let mut read = |_: &Path| Ok(source.as_bytes().to_vec());
        compile_opening_over(Path::new("story.fab"), &mut read, 0).unwrap()
    }

    fn compiled_names(opening: &Opening) -> Vec<&str> {
        opening
            .story
            .scenes
            .iter()
            .enumerate()
            .filter(|(id, _)| opening.is_compiled(SceneId(*id as u32)))
            .map(|(_, scene)| scene.name.as_str())
            .collect()
    }

    const STORY: &str = "\
var x = 1
== hall
-> porch
== far
Far away.
* On -> ending done
== porch
if x > 1:
    -> cellar
+ -> stairs
== cellar
You should not be here.
* Up -> far
== stairs
* Climb -> far
* Rest -> ending done
== ending done
";

    #[test]
    fn compiles_the_scenes_before_the_first_choice_and_checks_the_rest() {
        let Early::Opening(opening) = opening(STORY) else {
            panic!("the opening should be compiled apart");
        };
        // Diverts, both arms of a condition and a fallback choice are
        // followed; the scenes behind a player's choice are not.
        let mut names = compiled_names(&opening);
        names.sort_unstable();
        assert_eq!(names, ["cellar", "hall", "porch", "stairs"]);
        let far = &opening.story.scenes[1];
        assert!(!opening.is_compiled(SceneId(1)));
        assert!(far.ops.is_empty());
        let loaded = opening.finish();
        assert!(loaded.story.is_some(), "{:?}", loaded.diagnostics);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    }

    #[test]
    fn an_error_past_the_opening_is_found_by_the_whole_compile() {
        let story = STORY.replace("* On -> ending done", "* On -> ending gone");
        let Early::Opening(opening) = opening(&story) else {
            panic!("the opening has no error");
        };
        let loaded = opening.finish();
        assert!(loaded.story.is_none());
        assert_eq!(loaded.diagnostics[0].code, crate::diagnostic::Code::E0104);
    }

    #[test]
    fn errors_in_the_prologue_or_the_opening_are_reported_at_once() {
        for story in [
            STORY.replace("var x = 1", "var x = "),
            STORY.replace("-> porch", "-> porc"),
            STORY.replace("* Climb -> far", "* Climb -> farr"),
        ] {
            let Early::Done(loaded) = opening(&story) else {
                panic!("an error before the first choice should stop the opening:\n{story}");
            };
            assert!(loaded.story.is_none());
            assert!(loaded.errors() > 0);
        }
    }

    #[test]
    fn a_long_opening_is_not_compiled_apart() {
        let mut story = String::new();
        for scene in 0..=graph::MAX_OPENING_SCENES {
            story.push_str(&format!("== s{scene}\n-> s{}\n", scene + 1));
        }
        story.push_str(&format!(
            "== s{}\n* Stop -> ending end\n== ending end\n",
            graph::MAX_OPENING_SCENES + 1
        ));
        let Early::Done(loaded) = opening(&story) else {
            panic!(
                "an opening of {} scenes should not be compiled apart",
                graph::MAX_OPENING_SCENES + 2
            );
        };
        assert!(loaded.story.is_some(), "{:?}", loaded.diagnostics);
    }
}
