//! The embedding API, one test per call.

use std::sync::{Arc, Mutex};

use super::*;

const STORY: &str = "title: The Succession
enum Faction { left, right, centre }
enum Post { orgburo, secretariat, commissariat }
var apparatus = 0
var letter_sent = false
var rumour = \"none\"
var faction = left
var posts: set of Post = {}

== congress: The Congress
# act: one
The delegates gather.
# mood: tense
Kamenev speaks.
{apparatus > 2: The apparatus is yours.}
# style: cunning
* Court the apparatus
    ~ apparatus += 1
    ~ posts += orgburo
    -> letter
* [requires apparatus > 2: \"you need the apparatus\"] Seize the secretariat
    ~ posts += secretariat
    -> letter
+ Wait -> letter

== letter: The Letter
{letter_sent: The letter is read aloud.|The letter stays sealed.}
* Read it
    ~ letter_sent = true
    -> ending read
* Burn it -> ending burnt

== ending read: Read
The congress hears it.

== ending burnt: Burnt
Ashes.
";

fn story() -> Story {
    Story::compile_str("succession.fab", STORY).expect("the test story compiles")
}

#[test]
fn compile_str_returns_the_story() {
    let story = story();
    assert_eq!(story.title(), "The Succession");
    assert_eq!(
        story.scenes().collect::<Vec<_>>(),
        ["congress", "letter", "read", "burnt"]
    );
    let ending = story.scene("burnt").expect("a scene by name");
    assert!(ending.is_ending);
    assert_eq!(ending.title.as_deref(), Some("Burnt"));
    assert_eq!(story.scene("nowhere"), None);
    let variables: Vec<_> = story.variables().collect();
    assert_eq!(variables[0], ("apparatus", VarType::Int));
    assert_eq!(variables[3], ("faction", VarType::Enum("Faction".into())));
    assert_eq!(variables[4], ("posts", VarType::Set("Post".into())));
}

#[test]
fn compile_errors_are_a_value_that_renders_every_diagnostic() {
    let error = Story::compile_str("broken.fab", "title: Broken\n== a\nText.\n-> nowhere\n")
        .expect_err("a divert to an unknown scene is an error");
    let CompileError::Story(diagnostics) = &error else {
        panic!("expected diagnostics, got {error:?}");
    };
    assert_eq!(diagnostics.errors(), 1);
    let shown = error.to_string();
    assert!(shown.starts_with("the story has 1 error"), "{shown}");
    assert!(shown.contains("E0104"), "{shown}");
    assert!(shown.contains("broken.fab:4:"), "{shown}");
    // A `Box<dyn Error>` takes it, so `?` works in a game's `main`.
    let _: Box<dyn std::error::Error> = Box::new(error);
}

#[test]
fn compile_sources_follows_includes_in_memory() {
    let story = Story::compile_sources(
        "main.fab",
        &[
            (
                "main.fab",
                "title: Two Files\ninclude \"act2.fab\"\n== a\n-> b\n",
            ),
            (
                "act2.fab",
                "== b\nIn act two.\n-> ending done\n== ending done\nDone.\n",
            ),
        ],
    )
    .expect("both files are given");
    let mut game = story.start(0);
    assert_eq!(game.next_paragraph().unwrap().text, "In act two.");
    assert_eq!(game.ending().unwrap().name, "done");
}

#[test]
fn compile_dir_finds_the_one_story_in_a_folder() {
    let story = Story::compile_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/stories/rise_of_stalin"
    ))
    .expect("the bundled story compiles");
    assert!(story.scenes().count() > 50);
    let missing = Story::compile_dir("no/such/story.fab").expect_err("no such file");
    assert!(matches!(missing, CompileError::Io { .. }), "{missing:?}");
    let many = Story::compile_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/play"));
    assert!(
        matches!(many, Err(CompileError::ManyStories { .. })),
        "{many:?}"
    );
}

#[test]
fn paragraphs_come_one_at_a_time_with_their_tags_and_scene() {
    let mut game = story().start(1);
    assert!(game.can_continue());
    let first = game.next_paragraph().unwrap();
    assert_eq!(first.text, "The delegates gather.");
    assert_eq!(first.scene, "congress");
    assert!(first.tags.is_empty());
    assert!(game.can_continue());
    let second = game.next_paragraph().unwrap();
    assert_eq!(second.text, "Kamenev speaks.");
    assert_eq!(game.current_tags()[0].key, "mood");
    assert_eq!(game.current_tags()[0].value.as_deref(), Some("tense"));
    assert!(!game.can_continue());
    assert_eq!(game.next_paragraph(), None);
    assert_eq!(
        game.current_text(),
        "The delegates gather.\nKamenev speaks."
    );
    let scene = game.scene();
    assert_eq!(scene.name, "congress");
    assert_eq!(scene.title.as_deref(), Some("The Congress"));
    assert_eq!(scene.tags[0].key, "act");
}

#[test]
fn choices_carry_their_tags_and_refusals() {
    let mut game = story().start(1);
    let choices = game.choices();
    assert_eq!(choices.len(), 3);
    assert_eq!(choices[0].text, "Court the apparatus");
    assert_eq!(choices[0].tags[0].key, "style");
    assert!(!choices[1].enabled);
    assert_eq!(choices[1].reason.as_deref(), Some("you need the apparatus"));
    let refused = game.choose(1).expect_err("the choice is disabled");
    assert_eq!(
        refused,
        PlayError::Choose(ChooseError::Disabled("you need the apparatus".into()))
    );
    game.choose(0).unwrap();
    assert_eq!(game.continue_maximally(), "The letter stays sealed.");
    assert_eq!(game.current_paragraphs()[0].scene, "letter");
    assert_eq!(game.turns(), 1);
    game.choose(0).unwrap();
    let ending = game.ending().expect("the story ended");
    assert_eq!(
        (ending.name.as_str(), ending.number, ending.of),
        ("read", 1, 2)
    );
    assert!(game.choices().is_empty());
    assert!(matches!(
        game.choose(0),
        Err(PlayError::Choose(ChooseError::NotAtChoices))
    ));
}

#[test]
fn variables_are_read_and_set_by_name_and_type() {
    let mut game = story().start(1);
    assert_eq!(game.get("apparatus").unwrap(), VarValue::Int(0));
    game.set("apparatus", 3).unwrap();
    assert_eq!(game.get_int("apparatus").unwrap(), 3);
    // Guards see the change at once.
    assert!(game.choices()[1].enabled);
    game.set("letter_sent", true).unwrap();
    assert!(game.get_bool("letter_sent").unwrap());
    game.set("rumour", "a testament").unwrap();
    assert_eq!(game.get_text("rumour").unwrap(), "a testament");
    game.set("faction", "centre").unwrap();
    assert_eq!(game.get_enum("faction").unwrap(), "centre");
    game.set("faction", VarValue::Enum("right".into())).unwrap();
    assert_eq!(game.get("faction").unwrap().to_string(), "right");
    game.set("posts", ["secretariat", "orgburo"]).unwrap();
    assert_eq!(game.get_set("posts").unwrap(), ["orgburo", "secretariat"]);
    game.set("posts", VarValue::Set(Vec::new())).unwrap();
    assert!(game.get_set("posts").unwrap().is_empty());
}

#[test]
fn unknown_names_and_wrong_types_are_refused_and_change_nothing() {
    let mut game = story().start(1);
    let before = game.inner().state().clone();
    assert_eq!(
        game.set("aparatus", 1),
        Err(PlayError::UnknownVariable {
            name: "aparatus".into(),
            suggestion: Some("apparatus".into())
        })
    );
    let wrong = game.set("apparatus", true).unwrap_err();
    assert_eq!(wrong.to_string(), "`apparatus` is an int, not a bool");
    let wrong = game.get_bool("apparatus").unwrap_err();
    assert_eq!(wrong.to_string(), "`apparatus` is an int, not a bool");
    let unknown = game.set("faction", "mensheviks").unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "`mensheviks` is not a value of `Faction` (the type of `faction`); it has left, right, centre"
    );
    assert!(matches!(
        game.set("posts", ["politburo"]),
        Err(PlayError::UnknownEnumValue { .. })
    ));
    assert!(matches!(
        game.set("posts", "orgburo"),
        Err(PlayError::WrongType { .. })
    ));
    assert_eq!(game.inner().state(), &before);
}

#[test]
fn observers_see_each_change_once_with_old_and_new_values() {
    let mut game = story().start(1);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let id = game
        .observe("apparatus", move |name, old, new| {
            log.lock().unwrap().push(format!("{name}: {old} -> {new}"));
        })
        .unwrap();
    let posts = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&posts);
    game.observe("posts", move |_, _, new| {
        log.lock().unwrap().push(new.clone())
    })
    .unwrap();
    assert!(matches!(
        game.observe("nothing", |_, _, _| {}),
        Err(PlayError::UnknownVariable { .. })
    ));
    game.choose(0).unwrap();
    game.set("apparatus", 5).unwrap();
    game.set("apparatus", 5).unwrap(); // unchanged: not reported
    assert_eq!(
        *seen.lock().unwrap(),
        ["apparatus: 0 -> 1", "apparatus: 1 -> 5"]
    );
    assert_eq!(
        *posts.lock().unwrap(),
        [VarValue::Set(vec!["orgburo".into()])]
    );
    game.unobserve(id).unwrap();
    assert_eq!(game.unobserve(id), Err(PlayError::UnknownObserver));
    game.restart(1);
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(posts.lock().unwrap().len(), 2, "restart empties the set");
}

#[test]
fn jump_goes_to_a_scene_by_name_and_counts_a_visit() {
    let mut game = story().start(1);
    game.jump("letter").unwrap();
    assert_eq!(game.scene().name, "letter");
    assert_eq!(game.current_text(), "The letter stays sealed.");
    assert_eq!(game.visits("letter").unwrap(), 1);
    assert_eq!(game.choices()[1].text, "Burn it");
    assert_eq!(
        game.jump("leter").unwrap_err().to_string(),
        "the story has no scene `leter`; did you mean `letter`?"
    );
    // Undo does not go back past a jump.
    assert!(matches!(
        game.undo(),
        Err(PlayError::Undo(UndoError::AtStart))
    ));
    game.choose(1).unwrap();
    game.undo().unwrap();
    assert_eq!(game.scene().name, "letter");
    game.jump("burnt").unwrap();
    assert_eq!(game.ending().unwrap().name, "burnt");
}

#[test]
fn saves_round_trip_through_a_string() {
    let mut game = story().start(7);
    game.choose(0).unwrap();
    let saved = game.save().unwrap();
    let mut other = story().start(0);
    let seen = Arc::new(Mutex::new(0));
    let count = Arc::clone(&seen);
    other
        .observe("apparatus", move |_, _, _| *count.lock().unwrap() += 1)
        .unwrap();
    assert_eq!(other.load(&saved).unwrap(), None);
    assert_eq!(other.inner().state(), game.inner().state());
    assert_eq!(other.seed(), 7);
    assert_eq!(other.current_text(), "The letter stays sealed.");
    assert_eq!(*seen.lock().unwrap(), 1, "the load changed `apparatus`");
    // Undo still works after a load: the history was saved.
    other.undo().unwrap();
    assert_eq!(other.get_int("apparatus").unwrap(), 0);
    assert!(matches!(
        other.load("(format: 1, story: "),
        Err(PlayError::Save(SaveError::Corrupt { .. }))
    ));
}

#[test]
fn a_save_after_a_set_loads_by_its_state() {
    let mut game = story().start(7);
    game.set("apparatus", 4).unwrap();
    game.choose(1).unwrap();
    let saved = game.save().unwrap();
    let mut other = story().start(7);
    other.load(&saved).unwrap();
    assert_eq!(other.inner().state(), game.inner().state());
    assert_eq!(other.get_set("posts").unwrap(), ["secretariat"]);
    // The history before the set is not in the save: undo stops here.
    assert!(matches!(other.undo(), Err(PlayError::Undo(_))));
}

#[test]
fn the_seed_decides_random_draws() {
    let story = Story::compile_str(
        "dice.fab",
        "title: Dice\nvar roll = 0\n== a\n~ roll = random(1, 1000)\nRolled {roll}.\n-> ending e\n== ending e\nDone.\n",
    )
    .unwrap();
    let roll = |seed| story.start(seed).get_int("roll").unwrap();
    assert_eq!(roll(3), roll(3));
    assert_ne!((roll(1), roll(2), roll(3)), (roll(1), roll(1), roll(1)));
    assert_eq!(story.start(9).seed(), 9);
}

#[test]
fn a_runtime_error_is_reported_and_a_jump_recovers() {
    let story = Story::compile_str(
        "assert.fab",
        "title: Assert\nvar n = 0\n== a\nassert n > 0: \"n must be positive\"\n* Go -> ending e\n== ending e\nDone.\n",
    )
    .unwrap();
    let mut game = story.start(0);
    let error = game.error().expect("the assertion fails");
    assert!(error.to_string().contains("n must be positive"), "{error}");
    assert!(game.save().is_err());
    game.set("n", 1).unwrap();
    assert_eq!(game.error(), None, "setting the variable lets it run on");
    assert_eq!(game.choices()[0].text, "Go");
}

#[test]
fn page_reads_the_state_and_changes_nothing() {
    let story = Story::compile_str(
        "pages.fab",
        "title: Pages
var apparatus = 0
== start
{&One.|Two.}
+ Grow
    ~ apparatus += 1
    -> start
* Stop -> ending done
== page status: Your Position
# kind: status
You hold {apparatus} seats. {&First.|Second.}
== ending done
Done.
",
    )
    .expect("the story compiles");
    let mut session = Session::start(&story, 7);
    session.choose(0).unwrap();
    let saved = session.save().unwrap();
    let first = session.page("status").unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].text, "You hold 1 seats. First.");
    assert_eq!(first[0].scene, "status");
    assert_eq!(first[0].tags.len(), 0);
    // Read again: the same, and the game is as it was.
    assert_eq!(session.page("status").unwrap(), first);
    assert_eq!(session.save().unwrap(), saved);
    assert_eq!(session.turns(), 1);
    assert_eq!(session.visits("status").unwrap(), 0);
    assert!(matches!(
        session.page("staus"),
        Err(PlayError::UnknownPage { suggestion: Some(ref name), .. }) if name == "status"
    ));
    assert!(matches!(
        session.page("start"),
        Err(PlayError::UnknownPage { .. })
    ));
    assert!(matches!(
        session.jump("status"),
        Err(PlayError::JumpToPage { .. })
    ));
    assert_eq!(session.save().unwrap(), saved);
}
