//! The compile driver: load a story's files, declare its names, lower its
//! scenes into the graph, run the check passes and sort the diagnostics.
//!
//! It sits above [`crate::graph`] and [`crate::check`] so that neither
//! reaches the other's way: lowering knows nothing of the passes that run
//! after it, and the passes see only a finished graph. The CLI, the REPL,
//! the library's users and the tests compile through here.

mod discover;
mod opening;

use std::cell::OnceCell;
use std::path::Path;
use std::sync::Arc;

use crate::check;
use crate::diagnostic::{Code, Diagnostic, Severity, SourceMap};
use crate::graph::{self, Declared, Story};
use crate::parallel::{HELPER_BYTES, Helper};
use crate::syntax::{Outline, SPLIT_BYTES};

pub use discover::{FindError, Found, entry_of, find_stories, not_part_of_any_story};
pub use opening::{Early, OPENING_MIN_LINES, Opening, compile_opening, compile_opening_over};

/// The result of loading and compiling one story.
#[derive(Debug)]
pub struct LoadedStory {
    /// The compiled story; `None` when the story has errors.
    pub story: Option<Story>,
    /// Every error and warning, in file and position order.
    pub diagnostics: Vec<Diagnostic>,
    /// The files read, for rendering the diagnostics' spans.
    pub sources: Arc<SourceMap>,
}

impl LoadedStory {
    /// How many of the diagnostics are errors: a story compiles when none are.
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .count()
    }
}

/// Loads an entry file and everything it includes from disk and compiles it.
/// Only regular files inside the entry file's folder are read, links
/// followed ([`crate::fsio::StoryFolder`]).
pub fn compile_files(entry: &Path) -> Result<LoadedStory, std::io::Error> {
    let folder = crate::fsio::StoryFolder::of_entry(entry)?;
    compile(entry, &mut |path: &Path| folder.read(path))
}

/// Compiles the story whose entry file is `entry`, reading files through
/// `read` (so a story can be compiled from memory, as the bundled one is).
/// Fails only when the entry file itself cannot be read.
pub fn compile(
    entry: &Path,
    read: &mut dyn FnMut(&Path) -> std::io::Result<Vec<u8>>,
) -> Result<LoadedStory, std::io::Error> {
    let split = Split {
        lines: graph::PARALLEL_LINES,
        helper_bytes: HELPER_BYTES,
        outline_bytes: SPLIT_BYTES,
    };
    compile_split(entry, read, split)
}

/// Where a compile goes onto two threads.
#[derive(Clone, Copy)]
struct Split {
    /// Scenes are lowered in two runs from this many scene lines.
    lines: usize,
    /// A helper thread starts once this many bytes are read.
    helper_bytes: usize,
    /// With a helper, a file this big is outlined in two parts.
    outline_bytes: usize,
}

/// [`compile`], on two threads where `split` says.
fn compile_split(
    entry: &Path,
    read: &mut dyn FnMut(&Path) -> std::io::Result<Vec<u8>>,
    split: Split,
) -> Result<LoadedStory, std::io::Error> {
    let Split {
        lines: parallel_lines,
        helper_bytes,
        outline_bytes,
    } = split;
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();
    // A big story's helper thread starts as soon as the story is known to
    // be big, before the outline (see `parallel::Helper`).
    let helper = OnceCell::new();
    let mut bytes = 0;
    let mut read_and_count = |path: &Path| {
        let read = read(path)?;
        bytes += read.len();
        if helper.get().is_none()
            && bytes >= helper_bytes
            && let Some(started) = Helper::start()
        {
            let _ = helper.set(started);
        }
        Ok(read)
    };
    let files = graph::load_with(
        entry,
        &mut read_and_count,
        &mut sources,
        &mut diagnostics,
        &helper,
        outline_bytes,
    )?;
    let declared = graph::declare(&files, &sources, &mut diagnostics);
    Ok(lower_and_check(
        files,
        declared,
        sources,
        diagnostics,
        parallel_lines,
        helper.into_inner(),
    ))
}

/// The rest of a compile after [`graph::declare`]: lowers every scene, runs the
/// graph passes and sorts the diagnostics.
fn lower_and_check(
    files: Vec<Outline>,
    declared: Option<Declared>,
    sources: SourceMap,
    mut diagnostics: Vec<Diagnostic>,
    parallel_lines: usize,
    helper: Option<Helper>,
) -> LoadedStory {
    let sources = Arc::new(sources);
    let (mut story, diverts_resolved) = match declared {
        Some(declared) => graph::build(
            files,
            declared,
            &sources,
            &mut diagnostics,
            parallel_lines,
            helper.as_ref(),
        ),
        None => (None, true),
    };
    // The sources first, so passes can quote the story's own text.
    if let Some(story) = &mut story {
        story.sources = Arc::clone(&sources);
    }
    // Shared with the helper for the passes; whole again after them.
    let story = story.map(Arc::new);
    // The graph passes run even when lowering found errors, so one run
    // reports everything; lowering keeps the graph's shape intact for them
    // (a divert to an unknown scene still diverts somewhere).
    if let Some(story) = &story {
        let mark = diagnostics.len();
        check::graph_passes_on(story, helper.as_ref(), &mut diagnostics);
        if !diverts_resolved {
            // A divert to an unknown scene was meant for some scene, so
            // which scenes are reachable is unknown: reporting every scene
            // behind one typo as unreachable would bury the typo. Such a
            // divert goes to the start scene in the graph, which may make
            // a loop (or a scene entered again) that the story as written
            // does not have.
            let found = diagnostics.split_off(mark);
            diagnostics.extend(found.into_iter().filter(|d| {
                !matches!(
                    d.code,
                    Code::E0304 | Code::E0305 | Code::E0307 | Code::W0008
                )
            }));
        }
    }
    // The helper let go of its share before its half of the passes
    // returned, so this does not copy.
    let mut story = story.map(Arc::unwrap_or_clone);
    drop(helper);
    check::drop_follow_ons(&mut diagnostics, story.as_ref());
    if diagnostics.iter().any(|d| d.severity() == Severity::Error) {
        story = None;
    }
    diagnostics.sort_by_key(|d| (d.span.file, d.span.start, d.code));
    diagnostics.dedup();
    LoadedStory {
        story,
        diagnostics,
        sources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The second lowering run's choice and sequence ids and its text and
    /// code ranges are shifted when the runs are joined: two runs must give
    /// exactly the graph one run gives, the second on a thread of its own
    /// or on the helper.
    #[test]
    fn two_lowering_runs_give_the_graph_one_run_gives() {
        let mut text = crate::generate::story(40);
        // Markup the generated scenes lack, in both halves: alternatives
        // (sequence ids), a refusal reason (text), a string constant.
        text = text.replacen(
            "== s1: Room 1\n",
            "== s1: Room 1\nA bell. {&Once.|Twice.} {favours > 1: Owed.}\n",
            1,
        );
        text = text.replacen(
            "== s39: Room 39\n",
            "== s39: Room 39\n{~Dust.|Ash.|Smoke.} {\"a\" + \"b\"}\nassert favours >= 0: \"never owed\"\n* [requires favours > 2: \"Nobody owes you.\"] Collect -> s0\n",
            1,
        );
        text = text.replacen(
            "var favours = 0\n",
            "var favours = 0\ninvariant power >= 0: \"power is never negative\"\n",
            1,
        );
        text.push_str("\ntest \"walks\":\n    choose 1\n    expect text \"room\"\n");
        let graph = |lines, helper_bytes, outline_bytes| {
            let split = Split {
                lines,
                helper_bytes,
                outline_bytes,
            };
            let loaded = compile_split(
                Path::new("gen.fab"),
                &mut |_: &Path| Ok(text.clone().into_bytes()),
                split,
            )
            .unwrap();
            assert_eq!(loaded.errors(), 0, "{:?}", loaded.diagnostics);
            let story = loaded.story.unwrap();
            assert!(story.seq_count >= 2);
            // Read through the arenas, not only written out: the second
            // run's literals and code are in their second parts.
            let mut read = Vec::new();
            for scene in &story.scenes {
                for op in &scene.ops {
                    if let graph::Op::Text { text, .. } = op {
                        for part in text.iter() {
                            match part {
                                graph::Part::Literal(range) => {
                                    read.push(story.text(*range).to_string())
                                }
                                graph::Part::Value(expr) => {
                                    read.push(format!("{:?}", story.code(expr)))
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            (ron::to_string(&story).unwrap(), read)
        };
        let one = graph(usize::MAX, usize::MAX, usize::MAX);
        assert!(one.1.iter().any(|text| text.contains("room 39")));
        assert_eq!(one, graph(0, usize::MAX, usize::MAX));
        assert_eq!(one, graph(0, 0, usize::MAX));
        // The file outlined in two parts, too.
        assert_eq!(one, graph(0, 0, 0));
        assert_eq!(one, graph(usize::MAX, 0, 0));
    }

    /// A file outlined in two parts (on the helper thread) gives the
    /// diagnostics and the graph one outline gives: with comments, labels
    /// and tests in both parts, and with indentation the second part
    /// measures differently until it knows the first part's.
    #[test]
    fn outlining_in_two_parts_changes_nothing() {
        let story = crate::generate::story(40);
        let half = story.len() / 2;
        // Each choice to the next room with a body, indented with `first`
        // in the first half and `second` in the second (`None`: no body).
        let indented = |first: Option<&str>, second: Option<&str>| {
            let mut text = String::new();
            for line in story.split_inclusive('\n') {
                let indent = if text.len() < half { first } else { second };
                match (line.strip_prefix("* Walk on to the next room -> "), indent) {
                    (Some(target), Some(indent)) => {
                        text.push_str("* Walk on to the next room\n");
                        text.push_str(&format!("{indent}You walk.\n{indent}-> {target}"));
                    }
                    _ => text.push_str(line),
                }
            }
            text
        };
        let mut commented = story.replace("~ power", "// a note\n~ power");
        commented = commented.replacen("== s30: ", "/* a comment\nover lines */ == s30: ", 1);
        commented = commented.replace("* Take the back stairs", "* (stairs) Take the back stairs");
        commented.push_str("\ntest \"walks\":\n    choose 1\n    expect text \"room\"\n");
        let texts = [
            commented,
            indented(Some("    "), Some("    ")),
            indented(Some("    "), Some("\t")),
            indented(Some("\t"), Some("  \t")),
            indented(None, Some("\t")),
            // No scene in the first part: a prologue past the middle (the
            // start scene is the entry file's first, in its second part).
            story.replacen(
                "var favours = 0\n",
                &(0..2000)
                    .map(|n| format!("var v{n} = {n}\n"))
                    .collect::<String>(),
                1,
            ),
            // No scene header past the middle: one part.
            format!("{story}{}", "// padding\n".repeat(2000)),
        ];
        // The generated story is outlined in two parts.
        let helper = OnceCell::from(Helper::start().unwrap());
        let files = graph::load_with(
            Path::new("gen.fab"),
            &mut |_: &Path| Ok(story.clone().into_bytes()),
            &mut SourceMap::default(),
            &mut Vec::new(),
            &helper,
            0,
        )
        .unwrap();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|part| !part.scenes.is_empty()));
        for text in texts {
            let compiled = |outline_bytes| {
                let split = Split {
                    lines: usize::MAX,
                    helper_bytes: 0,
                    outline_bytes,
                };
                let read = &mut |_: &Path| Ok(text.clone().into_bytes());
                let loaded = compile_split(Path::new("gen.fab"), read, split).unwrap();
                let story = loaded.story.map(|story| ron::to_string(&story).unwrap());
                (loaded.diagnostics, story)
            };
            let one = compiled(usize::MAX);
            assert_eq!(one, compiled(0), "{text}");
        }
    }
}
