//! The checker never panics and never overflows its stack: arbitrary bytes
//! and mangled stories end in diagnostics or a story, and absurdly deep
//! nesting is a located E0005 error. The runtime, story tests and saves
//! never panic either: on the bundled story mangled, and on arbitrary or
//! mangled save files.

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::Index;

use fabula::compile::{LoadedStory, compile};
use fabula::diagnostic::{Code, Severity};
use fabula::render;

/// Compiles `bytes` as the one-file story `story.fab`, from memory; any
/// include names a missing file.
fn check_bytes(bytes: &[u8]) -> LoadedStory {
    let mut read = |path: &Path| {
        if path == Path::new("story.fab") {
            Ok(bytes.to_vec())
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        }
    };
    compile(Path::new("story.fab"), &mut read).expect("the entry file is in memory")
}

/// What holds for every input: a story exactly when there is no error,
/// every span inside its file, and every diagnostic renders.
fn assert_sound(loaded: &LoadedStory) {
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity() == Severity::Error)
        .count();
    assert_eq!(
        loaded.story.is_some(),
        errors == 0,
        "{:?}",
        loaded.diagnostics
    );
    for diagnostic in &loaded.diagnostics {
        let spans =
            std::iter::once(diagnostic.span).chain(diagnostic.labels.iter().map(|l| l.span));
        for span in spans {
            let text = &loaded.sources.get(span.file).text;
            assert!(
                span.start <= span.end && span.end as usize <= text.len(),
                "{diagnostic:?} has a span outside its file of {} bytes",
                text.len()
            );
        }
        render::human(diagnostic, &loaded.sources, false);
        render::json(diagnostic, &loaded.sources);
        render::github(diagnostic, &loaded.sources);
    }
}

/// Runs `work` on a thread with a 2 MiB stack, the size test threads and
/// many programs' main threads get, so deep recursion shows as an overflow.
fn on_small_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(work)
        .unwrap()
        .join()
        .expect("no panic and no stack overflow")
}

fn codes(loaded: &LoadedStory) -> Vec<Code> {
    loaded.diagnostics.iter().map(|d| d.code).collect()
}

/// Valid stories to mangle.
const SEEDS: &[&str] = &[
    include_str!("check/clean.fab"),
    include_str!("check/clean_functions.fab"),
    "title: The Telephone Call
author: Fabula examples
const QUORUM = 6
var rudeness = 0
var apparatus = 2
enum Person { trotsky, zinoviev, kamenev }
var allies: set of Person = {zinoviev}

== gorki: Gorki, December 1922
# year: 1922
Lenin lies paralysed in the upstairs room. {&Snow falls.|Rain again.}
* Telephone Krupskaya
    ~ rudeness += 1
    ~ allies += kamenev
    You do not choose your words.
    -> letter
+ {apparatus > 1} Study the file
    if apparatus > QUORUM and trotsky in allies:
        The file is thick.
    elif not (rudeness == 0):
        The file is thin.
    else:
        There is no file.
* [requires count(allies) > 2: \"Too few friends.\"] Call a plenum -> letter
* ->
    -> ending quiet

== letter: The Letter
{rudeness > 0: Krupskaya has written to Kamenev.|The house is quiet.}
-> ending quiet

== ending quiet: A Quiet Winter
Snow covers the park. {visits(letter)} {min(turns, 3)} {random(1, 6)}
",
];

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    Insert(Index, Index, char),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let special = prop::sample::select(vec![
        '{', '}', '[', ']', '(', ')', '*', '+', '-', '>', '~', '#', ':', '"', '\t', ' ', '|', '\\',
        '/', '=', '!', '&', ',', '\n', '\r', 'é', '\u{feff}',
    ]);
    prop_oneof![
        any::<Index>().prop_map(Mutation::DeleteLine),
        any::<Index>().prop_map(Mutation::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<Index>(), any::<Index>(), special)
            .prop_map(|(line, at, c)| Mutation::Insert(line, at, c)),
        any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(story: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = story.split('\n').map(str::to_owned).collect();
    for mutation in mutations {
        if lines.is_empty() {
            lines.push(String::new());
        }
        match mutation {
            Mutation::DeleteLine(line) => {
                lines.remove(line.index(lines.len()));
            }
            Mutation::DuplicateLine(line) => {
                let line = line.index(lines.len());
                lines.insert(line, lines[line].clone());
            }
            Mutation::SwapLines(a, b) => {
                let (a, b) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(a, b);
            }
            Mutation::Insert(line, at, c) => {
                let count = lines.len();
                let line = &mut lines[line.index(count)];
                let boundaries: Vec<usize> = line
                    .char_indices()
                    .map(|(index, _)| index)
                    .chain([line.len()])
                    .collect();
                line.insert(boundaries[at.index(boundaries.len())], *c);
            }
            Mutation::Truncate(at) => {
                let mut text = lines.join("\n");
                let mut cut = at.index(text.len() + 1);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                lines = text.split('\n').map(str::to_owned).collect();
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        assert_sound(&check_bytes(&bytes));
    }

    #[test]
    fn mangled_stories_never_panic(
        seed in prop::sample::select(SEEDS),
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        assert_sound(&check_bytes(mutate(seed, &mutations).as_bytes()));
    }
}

#[test]
fn the_seeds_check_clean() {
    for seed in SEEDS {
        let loaded = check_bytes(seed.as_bytes());
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    }
}

/// A story whose start scene holds `line`, then ends.
fn story_with(line: &str) -> String {
    format!(
        "title: Deep\nvar x = 1\n== start\n{line}\n{{x}}\n-> ending done\n== ending done\nDone.\n"
    )
}

fn assert_too_deep(story: String) {
    let loaded = on_small_stack(move || check_bytes(story.as_bytes()));
    assert_sound(&loaded);
    assert!(
        codes(&loaded).contains(&Code::E0005),
        "{:?}",
        codes(&loaded)
    );
}

#[test]
fn hundred_thousand_parentheses() {
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_too_deep(story_with(&format!("~ x = {deep}")));
}

#[test]
fn hundred_thousand_unclosed_parentheses_and_sets() {
    assert_too_deep(story_with(&format!("~ x = {}", "(".repeat(100_000))));
    assert_too_deep(story_with(&format!("~ x = count({}", "{".repeat(100_000))));
}

#[test]
fn hundred_thousand_term_sum() {
    let long = format!("1{}", " + 1".repeat(100_000));
    assert_too_deep(story_with(&format!("~ x = {long}")));
}

#[test]
fn hundred_thousand_nots() {
    let nots = format!("{}true", "not ".repeat(100_000));
    assert_too_deep(story_with(&format!("if {nots}:\n    Yes.")));
}

#[test]
fn ten_thousand_nested_markup_braces() {
    let deep = format!("{}x{}", "{&".repeat(10_000), "}".repeat(10_000));
    assert_too_deep(story_with(&deep));
}

/// A chained inline conditional nests one level a branch: 10,000 branches
/// are refused at the markup limit, not lowered recursively.
#[test]
fn ten_thousand_chained_inline_conditions() {
    let chain = format!("{{{}last}}", "turns > 1: x|".repeat(10_000));
    assert_too_deep(story_with(&chain));
}

/// 100,000 nested blocks would need 5 GB of indentation (one more space per
/// level); 5,000 (12 MB) is far past the limit of 256 and would overflow a
/// 2 MiB stack if each level recursed (block, body and conditional frames
/// take well over 400 bytes a level in a debug build).
const BLOCK_LEVELS: usize = 5_000;

#[test]
fn five_thousand_nested_if_blocks() {
    let levels = BLOCK_LEVELS;
    let mut story = String::from("title: Deep\n== start\n");
    for level in 0..levels {
        story.push_str(&" ".repeat(level));
        story.push_str("if true:\n");
    }
    story.push_str(&" ".repeat(levels));
    story.push_str("Deep.\n-> ending done\n== ending done\nDone.\n");
    assert_too_deep(story);
}

#[test]
fn five_thousand_nested_choices() {
    let levels = BLOCK_LEVELS;
    let mut story = String::from("title: Deep\n== start\n");
    for level in 0..levels {
        story.push_str(&" ".repeat(level));
        story.push_str("* Deeper\n");
    }
    story.push_str(&" ".repeat(levels));
    story.push_str("-> ending done\n== ending done\nDone.\n");
    assert_too_deep(story);
}

#[test]
fn five_thousand_nested_ifs_in_a_function() {
    let levels = BLOCK_LEVELS;
    let mut story = String::from("title: Deep\nfn deep(n: int) -> int:\n");
    for level in 1..=levels {
        story.push_str(&" ".repeat(level));
        story.push_str("if n > 0:\n");
    }
    story.push_str(&" ".repeat(levels + 1));
    story.push_str(
        "return 1\n return 0\n== start\n{deep(1)}\n-> ending done\n== ending done\nDone.\n",
    );
    assert_too_deep(story);
}

/// The deepest nesting a function accepts checks and runs on a small
/// stack: the lowering, the return and recursion analyses and the
/// evaluator's forward skips are bounded by the parser's limit.
#[test]
fn a_function_nested_to_the_limit_checks_and_runs() {
    let levels = 250;
    let mut story = String::from("title: Deep\nfn deep(n: int) -> int:\n");
    for level in 1..=levels {
        story.push_str(&" ".repeat(level));
        story.push_str("if n > 0:\n");
    }
    story.push_str(&" ".repeat(levels + 1));
    story.push_str("return 1\n return deep(n - 1)\n== start\nDeep {deep(1)}.\n-> ending done\n== ending done\nDone.\n");
    let text = on_small_stack(move || {
        let loaded = check_bytes(story.as_bytes());
        assert_sound(&loaded);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let story = loaded.story.expect("checks clean");
        let session = fabula::runtime::Session::start(std::sync::Arc::new(story), 1);
        session.transcript_text()
    });
    assert!(text.contains("Deep 1."), "{text}");
}

/// A chain of 5,000 functions, each calling the next: checked without
/// recursing per function, and run to the call-depth limit as a located
/// runtime error, not a stack overflow.
#[test]
fn five_thousand_chained_functions() {
    let count = 5_000;
    let mut story = String::from("title: Chain\n");
    for index in 0..count {
        story.push_str(&format!("fn f{index}(n: int) -> int:\n"));
        if index + 1 < count {
            story.push_str(&format!("    return f{}(n + 1)\n", index + 1));
        } else {
            story.push_str("    return n\n");
        }
    }
    story.push_str("== start\nValue {f0(0)}.\n-> ending done\n== ending done\nDone.\n");
    let error = on_small_stack(move || {
        let loaded = check_bytes(story.as_bytes());
        assert_sound(&loaded);
        let story = loaded.story.expect("checks clean");
        let bounds = fabula::explore::bounds(&story);
        assert_eq!(bounds.vars.len(), 0);
        let session = fabula::runtime::Session::start(std::sync::Arc::new(story), 1);
        session.error().map(ToString::to_string)
    });
    let error = error.expect("past 256 nested calls");
    assert!(error.contains("calls nested deeper than 256"), "{error}");
}

const PLAIN: &str = "title: Line endings\nvar x = 1\n== start\n* Go\n    {x}\n    -> ending done\n== ending done\nDone.\n";

#[test]
fn crlf_story_checks_clean() {
    let loaded = check_bytes(PLAIN.replace('\n', "\r\n").as_bytes());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    assert!(loaded.story.is_some());
}

#[test]
fn byte_order_mark_story_checks_clean() {
    let with_bom = format!("\u{feff}{PLAIN}");
    let loaded = check_bytes(with_bom.as_bytes());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let both = with_bom.replace('\n', "\r\n");
    assert!(check_bytes(both.as_bytes()).diagnostics.is_empty());
}

#[test]
fn tabs_mixed_with_spaces_is_e0003() {
    let mixed = PLAIN.replace("    -> ending", "\t-> ending");
    let loaded = check_bytes(mixed.as_bytes());
    assert!(
        codes(&loaded).contains(&Code::E0003),
        "{:?}",
        codes(&loaded)
    );
    let (line, _) = loaded
        .sources
        .get(loaded.diagnostics[0].span.file)
        .line_col(
            loaded
                .diagnostics
                .iter()
                .find(|d| d.code == Code::E0003)
                .unwrap()
                .span
                .start as usize,
        );
    assert_eq!(line, 6);
}

/// Every story in `tests/check/`, mangled a hundred ways each (characters
/// that matter to the syntax inserted, characters and runs deleted, from a
/// fixed xorshift stream, so a failure repeats): compiling, rendering and
/// playing never panic, and compiling the opening first finds exactly the
/// diagnostics a whole compile finds. (Run with 2,000 a story, 108,000 in
/// all, when this was written.)
#[test]
fn mangled_test_stories_never_panic_and_their_openings_agree() {
    const MANGLINGS: usize = 100;
    let files = crate::stories::fab_files("tests/check");
    let specials = [
        '{', '}', '[', ']', '(', ')', '*', '+', '-', '>', '~', '#', ':', '"', '\t', ' ', '|', '\\',
        '/', '=', '!', '&', ',', '\n', '\r', 'é', 'i', 'f', 'e',
    ];
    let mut state: u64 = 0x1234_5678_9abc_def1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    for file in &files {
        // Files that are deliberately not UTF-8 are covered by the byte tests.
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for _ in 0..MANGLINGS {
            let mut chars: Vec<char> = text.chars().collect();
            for _ in 0..1 + next() % 5 {
                let at = next() % (chars.len() + 1);
                match next() % 3 {
                    0 => chars.insert(at, specials[next() % specials.len()]),
                    1 if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ => {
                        let end = (at + next() % 8).min(chars.len());
                        chars.drain(at..end);
                    }
                }
            }
            let mangled: String = chars.into_iter().collect();
            let bytes = mangled.clone().into_bytes();
            let outcome = std::panic::catch_unwind(|| {
                let mut read = |_: &Path| Ok(bytes.clone());
                let loaded = fabula::compile::compile(Path::new("story.fab"), &mut read).unwrap();
                for diagnostic in &loaded.diagnostics {
                    let _ = fabula::render::human(diagnostic, &loaded.sources, false);
                }
                let mut read = |_: &Path| Ok(bytes.clone());
                let early =
                    fabula::compile::compile_opening_over(Path::new("story.fab"), &mut read, 0)
                        .unwrap();
                let whole = match early {
                    fabula::compile::Early::Opening(opening) => {
                        let _ = fabula::runtime::Session::start(
                            std::sync::Arc::clone(&opening.story),
                            1,
                        );
                        opening.finish()
                    }
                    fabula::compile::Early::Done(whole) => *whole,
                };
                assert_eq!(whole.diagnostics, loaded.diagnostics);
                if let Some(story) = loaded.story {
                    let mut session =
                        fabula::runtime::Session::start(std::sync::Arc::new(story), 1);
                    for _ in 0..20 {
                        if session.choose(0).is_err() {
                            break;
                        }
                    }
                }
            });
            assert!(
                outcome.is_ok(),
                "{} mangled into this failed:\n{mangled}",
                file.display()
            );
        }
    }
}

/// Compiles the bundled story with file `file` of it mangled by `mutations`.
fn bundled_mangled(file: usize, mutations: &[Mutation]) -> LoadedStory {
    let files = fabula::bundled::FILES;
    let (mangled_name, mangled_text) = files[file % files.len()];
    let mangled = mutate(mangled_text, mutations);
    let mut read = |path: &Path| {
        let relative = path.strip_prefix("rise_of_stalin").unwrap_or(path);
        let relative = relative.to_string_lossy().replace('\\', "/");
        if relative == mangled_name {
            return Ok(mangled.clone().into_bytes());
        }
        files
            .iter()
            .find(|(name, _)| *name == relative)
            .map(|(_, text)| text.as_bytes().to_vec())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    };
    compile(Path::new(fabula::bundled::ENTRY), &mut read).expect("the entry file is in memory")
}

/// Plays a compiled story the ways the binary does: its `test` blocks, a
/// few random playthroughs, and a game saved and loaded at every turn.
fn exercise(story: fabula::graph::Story) {
    use fabula::runtime::{Session, Status};
    use fabula::storytest::{Coverage, random_play, run_tests};
    let mut coverage = Coverage::new(&story);
    run_tests(&story, &mut coverage);
    random_play(&story, 1, 7);
    let story = std::sync::Arc::new(story);
    let mut session = Session::start(std::sync::Arc::clone(&story), 3);
    for turn in 0..12 {
        if let Ok(text) = session.save() {
            let _ = Session::load(std::sync::Arc::clone(&story), &text);
        }
        let Status::Choosing(choices) = session.status().clone() else {
            break;
        };
        let Some(choice) = choices.iter().filter(|choice| choice.enabled).nth(turn % 2) else {
            break;
        };
        if session.choose(choice.index).is_err() {
            break;
        }
    }
}

proptest! {
    // The bundled story is big (about 35,000 words): a few cases keep the
    // suite fast on two cores; each case mangles a different file.
    #![proptest_config(ProptestConfig::with_cases(4))]

    /// `check`, `test`, random play and saves never panic on the bundled
    /// story with lines deleted, duplicated, swapped or cut and characters
    /// that matter to the syntax inserted.
    #[test]
    fn the_mangled_bundled_story_never_panics(
        file in 0..fabula::bundled::FILES.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let loaded = bundled_mangled(file, &mutations);
        assert_sound(&loaded);
        if let Some(story) = loaded.story {
            exercise(story);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any bytes as a save: refused or loaded, never a panic.
    #[test]
    fn arbitrary_saves_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let story = fabula::compile::compile(Path::new("story.fab"), &mut |_: &Path| Ok(SEEDS[1].as_bytes().to_vec()))
            .unwrap()
            .story
            .unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let _ = fabula::runtime::Session::load(std::sync::Arc::new(story), &text);
    }

    /// A real save with bytes inserted, deleted or changed: refused or
    /// loaded, never a panic.
    #[test]
    fn mangled_saves_never_panic(
        edits in prop::collection::vec((any::<Index>(), any::<u8>(), 0..3u8), 1..6),
    ) {
        let story = std::sync::Arc::new(
            fabula::compile::compile(Path::new("story.fab"), &mut |_: &Path| Ok(SEEDS[1].as_bytes().to_vec()))
                .unwrap()
                .story
                .unwrap(),
        );
        let mut session = fabula::runtime::Session::start(std::sync::Arc::clone(&story), 2);
        let _ = session.choose(0);
        let mut bytes = session.save().unwrap().into_bytes();
        for (at, byte, kind) in edits {
            let at = at.index(bytes.len() + 1);
            match kind {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ if at < bytes.len() => bytes[at] = byte,
                _ => {}
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = fabula::runtime::Session::load(story, &text);
    }
}
