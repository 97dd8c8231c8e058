//! The opening the player shows while a story is checked is the opening of
//! the checked story: same text, same choices, for every seed.

use std::path::Path;
use std::sync::Arc;

use fabula::compile::{Early, OPENING_MIN_LINES, compile_opening, compile_opening_over};
use fabula::runtime::Session;

/// Compiles `entry`'s opening, checks that it was compiled apart, and
/// compares its first screen with the checked story's for a few seeds.
fn assert_same_opening(entry: &Path, read: &mut dyn FnMut(&Path) -> std::io::Result<Vec<u8>>) {
    let Early::Opening(opening) = compile_opening_over(entry, read, 0).unwrap() else {
        panic!(
            "`{}`: the opening should be compiled apart",
            entry.display()
        );
    };
    let early: Vec<Session> = (0..4)
        .map(|seed| Session::start(Arc::clone(&opening.story), seed))
        .collect();
    let loaded = opening.finish();
    let story = Arc::new(loaded.story.expect("the story checks"));
    for (seed, early) in early.iter().enumerate() {
        let checked = Session::start(Arc::clone(&story), seed as u64);
        assert_eq!(
            early.transcript(),
            checked.transcript(),
            "{}",
            entry.display()
        );
        assert_eq!(early.status(), checked.status(), "{}", entry.display());
    }
}

#[test]
fn the_opening_of_every_story_is_the_checked_storys() {
    let mut entries = crate::stories::fab_files("tests/play");
    entries.push("stories/rise_of_stalin/main.fab".into());
    assert!(entries.len() >= 5);
    for entry in entries {
        assert_same_opening(&entry, &mut |path| std::fs::read(path));
    }
}

#[test]
fn the_opening_of_generated_stories_is_the_checked_storys() {
    for text in [fabula::generate::story(3_000), fabula::generate::flags(6)] {
        assert_same_opening(Path::new("generated.fab"), &mut |_| {
            Ok(text.clone().into_bytes())
        });
    }
}

#[test]
fn only_big_stories_are_compiled_opening_first() {
    let small = fabula::generate::story(100);
    let big = fabula::generate::story(OPENING_MIN_LINES / 8 + 100);
    let mut read_small = |_: &Path| Ok(small.clone().into_bytes());
    let mut read_big = |_: &Path| Ok(big.clone().into_bytes());
    let entry = Path::new("generated.fab");
    assert!(matches!(
        compile_opening(entry, &mut read_small).unwrap(),
        Early::Done(_)
    ));
    assert!(matches!(
        compile_opening(entry, &mut read_big).unwrap(),
        Early::Opening(_)
    ));
}
