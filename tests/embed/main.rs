//! The embedding API from outside the crate, as a game uses it. This
//! binary needs no `cli` feature: `cargo test --no-default-features --test
//! embed` runs it against the library alone (as `.ci/run` does).

// The example is compiled in and run, so it stays true.
#[allow(dead_code)]
#[path = "../../examples/embed.rs"]
mod example;

use std::sync::{Arc, Mutex};

use fabula::embed::{CompileError, PlayError, Session, Story, VarValue};

fn bundled() -> Story {
    Story::compile_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/stories/rise_of_stalin"
    ))
    .expect("the bundled story compiles")
}

#[test]
fn the_example_runs_to_an_ending() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/stories/rise_of_stalin");
    let summary = example::run(path, 1922, 100).expect("the example runs");
    assert!(summary.ending.is_some(), "{summary:?}");
    assert!(summary.turns > 10, "{summary:?}");
    assert!(
        summary
            .changes
            .iter()
            .any(|change| change.starts_with("posts: ")),
        "{summary:?}"
    );
}

#[test]
fn the_example_reports_a_story_with_errors() {
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("embed_errors");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("broken.fab"),
        "title: Broken\n== a\n-> nowhere\n",
    )
    .unwrap();
    let error = example::run(folder.to_str().unwrap(), 0, 10).expect_err("the story has errors");
    assert!(error.to_string().ends_with("has 1 errors"), "{error}");
    let Err(CompileError::Story(diagnostics)) = Story::compile_dir(&folder) else {
        panic!("the story has errors");
    };
    assert!(
        diagnostics.rendered().contains("error[E0104]"),
        "{diagnostics}"
    );
}

/// A game engine keeps the session in a resource shared across threads.
#[test]
fn sessions_and_errors_cross_threads() {
    fn send<T: Send>() {}
    fn sync<T: Send + Sync>() {}
    send::<Session>();
    sync::<Story>();
    sync::<PlayError>();
    sync::<CompileError>();
    let story = bundled();
    let handle = std::thread::spawn(move || story.start(3).choices().len());
    assert_eq!(handle.join().unwrap(), 2);
}

/// Observers agree with `get` at every turn of two playthroughs, and a
/// save made every third turn loads back to the same variables (not every
/// turn: a save fingerprints the whole story, slow in a debug build).
#[test]
fn observers_and_saves_agree_with_the_state_over_whole_playthroughs() {
    let story = bundled();
    for seed in 0..2u64 {
        let mut game = story.start(seed);
        let last: Arc<Mutex<Option<(String, VarValue)>>> = Arc::default();
        let seen = Arc::clone(&last);
        game.observe("s_apparatus", move |name, _, new| {
            *seen.lock().unwrap() = Some((name.to_string(), new.clone()));
        })
        .unwrap();
        let mut turn = seed as usize;
        while !game.choices().is_empty() {
            let enabled: Vec<usize> = game
                .choices()
                .iter()
                .filter(|choice| choice.enabled)
                .map(|choice| choice.index)
                .collect();
            turn += 1;
            game.choose(enabled[turn % enabled.len()]).unwrap();
            if let Some((name, value)) = last.lock().unwrap().take() {
                assert_eq!(name, "s_apparatus");
                assert_eq!(game.get("s_apparatus").unwrap(), value);
            }
            if !turn.is_multiple_of(3) {
                continue;
            }
            let saved = game.save().unwrap();
            let mut other = story.start(seed + 1);
            other.load(&saved).unwrap();
            for (name, _) in story.variables() {
                assert_eq!(other.get(name).unwrap(), game.get(name).unwrap(), "{name}");
            }
            assert_eq!(other.current_text(), game.current_text());
        }
        assert!(game.ending().is_some(), "seed {seed} ends");
    }
}

#[test]
fn a_chapter_menu_jumps_and_counts_visits() {
    let story = bundled();
    let mut game = story.start(0);
    game.jump("trotsky_start").unwrap();
    assert_eq!(game.visits("trotsky_start").unwrap(), 1);
    assert_eq!(game.visits("stalin_start").unwrap(), 0);
    assert_eq!(game.get_enum("side").unwrap(), "trotsky_side");
    assert!(game.can_continue());
    assert!(matches!(
        game.jump("trotsky_strat"),
        Err(PlayError::UnknownScene {
            suggestion: Some(_),
            ..
        })
    ));
}

/// A game reads `taken(scene.label)` as the story does, once-only and
/// sticky alike; a misspelt label is refused with the closest one.
#[test]
fn a_game_asks_whether_a_labelled_choice_was_taken() {
    let story = Story::compile_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/saves/v1"))
        .expect("the story compiles");
    let mut game = story.start(1);
    game.continue_maximally();
    assert!(!game.taken("office.index").unwrap());
    game.choose(0).unwrap();
    assert!(game.taken("office.index").unwrap());
    game.continue_maximally();
    // `+ (corridor) Walk to the corridor`, sticky.
    game.choose(1).unwrap();
    assert!(game.taken("office.corridor").unwrap());
    assert!(matches!(
        game.taken("office.indx"),
        Err(PlayError::UnknownLabel { suggestion: Some(best), .. }) if best == "office.index"
    ));
}

const DICE: &str = "title: Dice
var rolled = 0
extern fn roll_dice(sides: int) -> int:
    return 1
extern fn omen() -> bool
== start
You roll {roll_dice(6)}.
+ {roll_dice(6) > 3} Bet high
    -> ending high
+ Ask the omen
    {omen(): Good.|Bad.}
    -> ending low
== ending high
High.
== ending low
Low.
";

#[test]
fn externs_run_their_default_bodies_until_the_host_binds_them() {
    let story = Story::compile_str("dice.fab", DICE).unwrap();
    let mut session = story.start(1);
    assert!(session.current_text().contains("You roll 1."));
    assert_eq!(session.choices().len(), 1, "1 > 3 is false: only the omen");
    session
        .bind("roll_dice", |args| match args {
            [VarValue::Int(sides)] => Ok(VarValue::Int(*sides)),
            other => Err(format!("unexpected {other:?}")),
        })
        .unwrap();
    // Bound: the guard is evaluated again and now holds.
    assert_eq!(session.choices().len(), 2);
    // Restart keeps the binding, and the opening text calls it.
    session.restart(2);
    assert!(session.current_text().contains("You roll 6."));
}

#[test]
fn bindings_given_at_the_start_reach_the_opening() {
    let story = Story::compile_str("dice.fab", DICE).unwrap();
    let mut bindings = fabula::embed::Bindings::new(&story);
    bindings
        .bind("roll_dice", |_| Ok(VarValue::Int(5)))
        .unwrap()
        .bind("omen", |_| Ok(VarValue::Bool(true)))
        .unwrap();
    let mut session = Session::start_with(&story, 1, bindings);
    assert!(session.current_text().contains("You roll 5."));
    session.choose(1).unwrap();
    assert!(session.current_text().contains("Good."));
}

#[test]
fn an_unbound_extern_without_a_body_and_a_failing_host_are_runtime_errors() {
    let story = Story::compile_str("dice.fab", DICE).unwrap();
    let mut session = story.start(1);
    session.choose(0).unwrap();
    let error = session.error().expect("omen has no body").to_string();
    assert!(
        error.contains("`extern fn omen` has no default body"),
        "{error}"
    );

    let mut session = story.start(1);
    session.bind("omen", |_| Ok(VarValue::Int(3))).unwrap();
    session.choose(0).unwrap();
    let error = session.error().expect("a wrong type").to_string();
    assert!(
        error.contains("it returned an int, and `omen` returns a bool"),
        "{error}"
    );

    let mut session = story.start(1);
    session
        .bind("omen", |_| Err("the oracle is closed".into()))
        .unwrap();
    session.choose(0).unwrap();
    let error = session.error().expect("the host failed").to_string();
    assert!(error.contains("the oracle is closed"), "{error}");
}

#[test]
fn binding_what_is_not_an_extern_is_refused() {
    let story = Story::compile_str("dice.fab", DICE).unwrap();
    let mut session = story.start(1);
    let refused = session.bind("roll_dic", |_| Ok(VarValue::Int(1)));
    assert_eq!(
        refused,
        Err(PlayError::UnknownExtern {
            name: "roll_dic".into(),
            suggestion: Some("roll_dice".into()),
        })
    );
    assert!(session.bind("rolled", |_| Ok(VarValue::Int(1))).is_err());
}
