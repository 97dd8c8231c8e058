//! Unit tests of the machine and the session over small stories compiled
//! from text.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::compile::compile;

mod pure;

/// Compiles a one-file story, failing the test on any error.
fn story(text: &str) -> Arc<Story> {
    let text = text.to_string();
    let mut read = |_: &Path| Ok(text.clone().into_bytes());
    let loaded = compile(Path::new("test.fab"), &mut read).unwrap();
    let errors: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity() == crate::diagnostic::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    Arc::new(loaded.story.unwrap())
}

/// Plays `choices` (0-based indices into the shown choices) and returns
/// the transcript text.
fn play(story: &Arc<Story>, seed: u64, choices: &[usize]) -> Session {
    let mut session = Session::start(Arc::clone(story), seed);
    for &choice in choices {
        session.choose(choice).unwrap();
    }
    session
}

const CALL: &str = "\
title: The Telephone Call
author: Fabula examples

var rudeness = 0

== gorki: Gorki, December 1922
Lenin lies paralysed in the upstairs room.
* Telephone Krupskaya
    ~ rudeness += 1
    You do not choose your words.
    -> letter
* Wait for the doctors
    -> letter

== letter: The Letter
{rudeness > 0: Krupskaya has written to Kamenev.|The house is quiet.}
-> ending quiet

== ending quiet: A Quiet Winter
Snow covers the park.
";

#[test]
fn plays_to_an_ending() {
    let story = story(CALL);
    let mut session = Session::start(Arc::clone(&story), 1);
    let texts: Vec<_> = session.choices().iter().map(|c| c.text.clone()).collect();
    assert_eq!(texts, ["Telephone Krupskaya", "Wait for the doctors"]);
    session.choose(0).unwrap();
    let ending = session.ending().unwrap();
    assert_eq!(
        (ending.name.as_str(), ending.number, ending.of),
        ("quiet", 1, 1)
    );
    assert_eq!(
        session.transcript_text(),
        "Gorki, December 1922\n\nLenin lies paralysed in the upstairs room.\n\n\
         > Telephone Krupskaya\n\nYou do not choose your words.\n\nThe Letter\n\n\
         Krupskaya has written to Kamenev.\n\nSnow covers the park.\n\n\
         THE END: A Quiet Winter (ending 1 of 1)\n"
    );
    assert_eq!(session.state().turns, 1);
    assert_eq!(session.state().visits, [1, 1, 1]);
}

#[test]
fn alternatives_follow_their_kinds() {
    let story = story(
        "title: Alt
== a
{a|b|c} {&x|y} {!once|twice} {~h|t}
+ Again -> a
* Stop -> ending done
== ending done
Done.
",
    );
    let session = play(&story, 3, &[0, 0, 0]);
    let lines: Vec<String> = session
        .transcript()
        .iter()
        .filter_map(|event| match event {
            Event::Paragraph { text, .. } if text != "Done." => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(lines.len(), 4);
    let fixed: Vec<String> = lines
        .iter()
        .map(|line| {
            line.rsplit_once(' ')
                .map_or(line.as_str(), |(head, _)| head)
                .to_string()
        })
        .collect();
    assert_eq!(fixed, ["a x once", "b y twice", "c x", "c y"]);
    assert!(
        lines
            .iter()
            .all(|line| line.ends_with('h') || line.ends_with('t'))
    );
}

#[test]
fn same_seed_and_choices_give_the_same_transcript() {
    let story = story(
        "title: Dice
var roll = 0
== a
~ roll = random(1, 1000)
You roll {roll}. {~Heads|Tails}.
+ Again -> a
* Stop -> ending done
== ending done
Done.
",
    );
    let first = play(&story, 42, &[0, 0, 0, 1]);
    let second = play(&story, 42, &[0, 0, 0, 1]);
    let other = play(&story, 43, &[0, 0, 0, 1]);
    assert_eq!(first.transcript_text(), second.transcript_text());
    assert_eq!(first.state(), second.state());
    assert_ne!(first.transcript_text(), other.transcript_text());
}

#[test]
fn once_only_choices_go_and_sticky_ones_stay() {
    let story = story(
        "title: Once
== a
* First
+ Sticky
* {false} Hidden
* Leave -> ending done
-> a
== ending done
Done.
",
    );
    let mut session = Session::start(Arc::clone(&story), 0);
    let texts = |session: &Session| -> Vec<String> {
        session.choices().iter().map(|c| c.text.clone()).collect()
    };
    assert_eq!(texts(&session), ["First", "Sticky", "Leave"]);
    session.choose(0).unwrap();
    assert_eq!(texts(&session), ["Sticky", "Leave"]);
    session.choose(0).unwrap();
    assert_eq!(texts(&session), ["Sticky", "Leave"]);
    assert_eq!(session.state().turns, 2);
}

#[test]
fn a_disabled_choice_is_refused_with_its_reason() {
    let story = story(
        "title: Locked
var keys = 0
== a
* [requires keys > 0: \"The door is locked.\"] Open the door -> ending done
* [requires keys > 5] Pick the lock -> ending done
+ Search
    ~ keys += 1
-> a
== ending done
Done.
",
    );
    let mut session = Session::start(Arc::clone(&story), 0);
    let views = session.choices().to_vec();
    assert!(!views[0].enabled);
    assert_eq!(views[0].reason.as_deref(), Some("The door is locked."));
    assert_eq!(views[1].reason.as_deref(), Some("requires keys > 5"));
    let before = session.state().clone();
    assert_eq!(
        session.choose(0),
        Err(ChooseError::Disabled("The door is locked.".into()))
    );
    assert_eq!(session.state(), &before);
    session.choose(2).unwrap();
    assert!(session.choices()[0].enabled);
    session.choose(0).unwrap();
    assert!(session.ending().is_some());
}

#[test]
fn a_fallback_is_taken_when_nothing_is_enabled_and_is_not_a_turn() {
    let story = story(
        "title: Fallback
var tries = 0
== a
~ tries += 1
* {tries < 2} Try -> a
* [requires false: \"Never.\"] Cheat -> a
* ->
    Out of tries.
    -> ending done
== ending done
Done.
",
    );
    let mut session = Session::start(Arc::clone(&story), 0);
    assert_eq!(session.choices().len(), 2);
    session.choose(0).unwrap();
    assert!(session.ending().is_some());
    assert_eq!(session.state().turns, 1);
    assert!(session.transcript_text().contains("Out of tries."));
}

fn error_of(story: &Story, state: &mut State) -> RuntimeError {
    let mut machine = Machine::new();
    machine.run(story, state, &mut Discard).unwrap_err()
}

fn fails_with(text: &str, kind: RuntimeErrorKind) -> RuntimeError {
    let story = story(text);
    let session = Session::start(Arc::clone(&story), 0);
    let error = session.error().cloned().expect("a runtime error");
    assert_eq!(error.kind, kind);
    error
}

#[test]
fn division_by_zero_is_located() {
    let error = fails_with(
        "title: Div
var zero = 0
var x = 1
== a
~ x = 1 / zero
-> ending done
== ending done
Done.
",
        RuntimeErrorKind::DivisionByZero,
    );
    assert_eq!(error.location.as_deref(), Some("test.fab:5:1"));
    assert_eq!(
        error.to_string(),
        "test.fab:5:1: division by zero (in scene `a`)"
    );
}

#[test]
fn remainder_by_zero_overflow_and_random_range_are_errors() {
    let template = |line: &str| {
        format!(
            "title: E\nvar zero = 0\nvar big = 9223372036854775807\nvar x = 1\n== a\n{line}\n-> ending done\n== ending done\nDone.\n"
        )
    };
    fails_with(
        &template("~ x = 1 % zero"),
        RuntimeErrorKind::DivisionByZero,
    );
    fails_with(&template("~ big += 1"), RuntimeErrorKind::Overflow);
    fails_with(&template("~ x = -big - 2"), RuntimeErrorKind::Overflow);
    fails_with(&template("Big: {big * 2}"), RuntimeErrorKind::Overflow);
    fails_with(
        &template("~ x = random(x + 1, x)"),
        RuntimeErrorKind::RandomRange { lo: 2, hi: 1 },
    );
}

#[test]
fn a_false_assertion_stops_with_its_message_or_its_condition() {
    let error = fails_with(
        "title: Assert
var letter_sent = false
== congress
assert letter_sent: \"the declaration quotes the letter\"
-> ending done
== ending done
Done.
",
        RuntimeErrorKind::AssertionFailed {
            message: "the declaration quotes the letter".into(),
        },
    );
    assert_eq!(
        error.to_string(),
        "test.fab:4:1: assertion failed: the declaration quotes the letter (in scene `congress`)"
    );
    let error = fails_with(
        "title: Assert
var delegates = 3
== congress
assert delegates > 4 and delegates < 10
-> ending done
== ending done
Done.
",
        RuntimeErrorKind::AssertionFailed {
            message: "delegates > 4 and delegates < 10".into(),
        },
    );
    assert_eq!(error.location.as_deref(), Some("test.fab:4:1"));
}

#[test]
fn an_assertion_without_its_source_still_says_what_failed() {
    // A story read back from RON has no sources to quote the condition from.
    let mut story = Story::clone(&story(
        "title: A\nvar sent = false\n== a\nassert sent\n-> ending done\n== ending done\nDone.\n",
    ));
    story.sources = Arc::default();
    let session = Session::start(Arc::new(story), 0);
    assert_eq!(
        session.error().map(|error| error.to_string()),
        Some("assertion failed: its condition is false (in scene `a`)".to_string())
    );
}

#[test]
fn a_true_assertion_changes_nothing_even_with_a_random_draw() {
    // Evaluated purely: the draw in the assertion does not advance the
    // generator, so the text's draw is the same with or without it.
    let with = story(
        "title: A\n== a\nassert random(1, 6) > 0\n{random(1, 1000)}\n-> ending done\n== ending done\nDone.\n",
    );
    let without =
        story("title: A\n== a\n{random(1, 1000)}\n-> ending done\n== ending done\nDone.\n");
    for seed in 0..8 {
        let played = play(&with, seed, &[]);
        assert_eq!(played.error(), None);
        assert_eq!(
            played.transcript_text(),
            play(&without, seed, &[]).transcript_text()
        );
    }
}

#[test]
fn an_invariant_is_checked_where_the_story_pauses() {
    let text = "title: Invariant
var delegates = 3
invariant delegates >= 0: \"a congress has no fewer than no delegates\"
== congress
+ Send two home
    ~ delegates -= 2
    ~ delegates -= 2
    ~ delegates += 2
    -> congress
* Close -> ending done
== ending done
~ delegates -= 5
Done.
";
    let story = story(text);
    // Broken only between pauses, which is allowed.
    let mut session = play(&story, 0, &[0]);
    assert_eq!(session.error(), None);
    session.choose(0).unwrap();
    let error = session.error().cloned().expect("the invariant fails");
    assert_eq!(
        error.kind,
        RuntimeErrorKind::AssertionFailed {
            message: "a congress has no fewer than no delegates".into()
        }
    );
    // Located at the declaration, in the scene the story paused in.
    assert_eq!(
        error.to_string(),
        "test.fab:3:1: assertion failed: a congress has no fewer than no delegates (in scene `congress`)"
    );
    session.undo().unwrap();
    assert_eq!(session.error(), None);
    // At an ending too.
    let mut session = play(&story, 0, &[]);
    session.choose(1).unwrap();
    assert_eq!(
        session.error().map(|error| error.scene.as_str()),
        Some("done")
    );
}

#[test]
fn no_choice_available_is_a_soft_lock_error() {
    let error = fails_with(
        "title: Lock
var open = false
== a
* [requires open] Go -> ending done
== ending done
Done.
",
        RuntimeErrorKind::NoChoiceAvailable,
    );
    assert_eq!(error.location.as_deref(), Some("test.fab:4:1"));
}

#[test]
fn a_divert_loop_is_stopped() {
    let story = story(
        // The checker rejects a loop it is sure of (E0307), so this one has
        // a way out that never opens.
        "title: Loop
var open = false
== a
* Loop -> b
* End -> ending done
== b
if open:
    -> ending done
-> c
== c
-> b
== ending done
Done.
",
    );
    let mut session = Session::start(Arc::clone(&story), 0);
    session.choose(0).unwrap();
    assert_eq!(session.error().unwrap().kind, RuntimeErrorKind::Loop);
}

#[test]
fn a_dead_end_is_an_error() {
    // The checker rejects certain dead ends, so make one by hand: an
    // ending that is no longer an ending runs out of lines.
    let mut edited = (*story(CALL)).clone();
    edited.scenes[2].is_ending = false;
    let edited = Arc::new(edited);
    let session = play(&edited, 0, &[1]);
    let error = session.error().unwrap();
    assert_eq!(error.kind, RuntimeErrorKind::DeadEnd);
    assert_eq!(error.scene, "quiet");
}

#[test]
fn malformed_stories_are_errors_not_panics() {
    let story = story(CALL);
    let mut state = State::new(&story, 0);
    state.pc = 999;
    assert!(matches!(
        error_of(&story, &mut state).kind,
        RuntimeErrorKind::Malformed(_)
    ));
    let mut state = State::new(&story, 0);
    state.scene = SceneId(77);
    assert!(matches!(
        error_of(&story, &mut state).kind,
        RuntimeErrorKind::Malformed(_)
    ));
    let mut state = State::new(&story, 0);
    state.vars.clear();
    let mut machine = Machine::new();
    machine.run(&story, &mut state, &mut Discard).unwrap();
    machine.choose(&story, &mut state, 0).unwrap();
    assert!(matches!(
        error_of(&story, &mut state).kind,
        RuntimeErrorKind::Malformed(_)
    ));
    // A graph read from RON with ids pointing nowhere.
    let mut broken = (*story).clone();
    if let Op::Divert { target, .. } = &mut broken.scenes[0].ops[3] {
        *target = SceneId(1000);
    }
    broken.choice_count = 0;
    let ron = ron::to_string(&broken).unwrap();
    let broken: Story = ron::from_str(&ron).unwrap();
    let mut state = State::new(&broken, 0);
    let mut machine = Machine::new();
    machine.run(&broken, &mut state, &mut Discard).unwrap();
    assert!(matches!(
        machine.choose(&broken, &mut state, 0),
        Err(ChooseError::Runtime(_))
    ));
    let mut empty = broken.clone();
    empty.scenes.clear();
    let session = Session::start(Arc::new(empty), 0);
    assert!(session.error().is_some());
}

#[test]
fn choosing_is_refused_off_a_choice_block() {
    let story = story(CALL);
    let mut session = play(&story, 0, &[1]);
    assert_eq!(session.choose(0), Err(ChooseError::NotAtChoices));
    let mut session2 = Session::start(Arc::clone(&story), 0);
    assert_eq!(session2.choose(5), Err(ChooseError::NoSuchChoice(5)));
    session.restart(9);
    assert_eq!(session.choices().len(), 2);
}

#[test]
fn undo_goes_back_to_the_start() {
    let story = story(CALL);
    let mut session = Session::start(Arc::clone(&story), 7);
    let start = session.state().clone();
    let opening = session.take_new().to_vec();
    session.choose(1).unwrap();
    assert!(session.ending().is_some());
    session.undo().unwrap();
    assert_eq!(session.state(), &start);
    assert_eq!(session.take_new(), opening.as_slice());
    assert_eq!(session.undo(), Err(UndoError::AtStart));
}

#[test]
fn save_and_load_round_trip() {
    let story = story(
        "title: Round
enum Person { zinoviev, kamenev }
var allies: set of Person = {zinoviev}
var line: Person = kamenev
var name = \"Koba\"
var n = 0
== a
{a|b} {~x|y}
~ n += random(1, 6)
* Recruit
    ~ allies += kamenev
    -> a
+ Wait -> a
* Stop -> ending done
== ending done
Done.
",
    );
    let session = play(&story, 11, &[1, 0, 0]);
    let text = session.save().unwrap();
    assert!(text.contains("allies"), "{text}");
    assert!(text.contains("\"kamenev\""), "{text}");
    let (loaded, notice) = Session::load(Arc::clone(&story), &text).unwrap();
    assert_eq!(notice, None);
    assert_eq!(loaded.state(), session.state());
    assert_eq!(loaded.history(), session.history());
    assert_eq!(loaded.transcript_text(), session.transcript_text());
    assert_eq!(
        loaded.save().unwrap(),
        text,
        "a save is byte-for-byte stable"
    );
    let mut loaded = loaded;
    loaded.undo().unwrap();
    assert_eq!(loaded.history(), &session.history()[..2]);
}

#[test]
fn corrupt_and_foreign_saves_are_refused() {
    let story = story(CALL);
    let text = play(&story, 1, &[]).save().unwrap();
    let cut = &text[..text.len() / 2];
    match Session::load(Arc::clone(&story), cut) {
        Err(savefile::SaveError::Corrupt { line, .. }) => assert!(line > 1),
        other => panic!("{other:?}"),
    }
    let foreign = text.replace("The Telephone Call", "Another Story");
    assert_eq!(
        Session::load(Arc::clone(&story), &foreign)
            .unwrap_err()
            .to_string(),
        "the save is from the story `Another Story`, not `The Telephone Call`"
    );
    let future = text.replace("format: 2", "format: 3");
    assert!(matches!(
        Session::load(Arc::clone(&story), &future),
        Err(savefile::SaveError::Version { found: 3 })
    ));
}

#[test]
fn a_save_of_an_edited_story_loads_with_a_notice_when_it_still_fits() {
    let original = story(CALL);
    let text = play(&original, 1, &[]).save().unwrap();
    let edited = story(&CALL.replace("Snow covers the park.", "Snow covers the garden."));
    let (loaded, notice) = Session::load(Arc::clone(&edited), &text).unwrap();
    assert!(notice.unwrap().contains("changed"));
    assert_eq!(loaded.choices().len(), 2);

    // What the story no longer has is dropped, each loss a line.
    let renamed = story(&CALL.replace("rudeness", "temper"));
    let losses = Session::load_reporting(renamed, &text).unwrap().1.losses;
    assert!(losses[0].starts_with("the variable `rudeness` is dropped (it was 0)"));
    let moved = story(&CALL.replace("gorki", "kremlin"));
    let (loaded, report) = Session::load_reporting(moved, &text).unwrap();
    let gone = "the scene `gorki` the game was saved in is gone from the story, so the game goes on from the start (`kremlin`)";
    assert!(report.losses.iter().any(|loss| loss == gone), "{report:?}");
    assert_eq!((losses.len(), loaded.choices().len()), (1, 2));
}

#[test]
fn a_failed_game_cannot_be_saved() {
    let mut edited = (*story(CALL)).clone();
    edited.scenes[2].is_ending = false;
    let session = play(&Arc::new(edited), 0, &[1]);
    assert!(matches!(
        session.save(),
        Err(savefile::SaveError::NotSaveable(_))
    ));
}

/// [`Output::executed`] reports every text, logic, condition and divert line
/// that runs, and nothing on a branch not taken.
#[test]
fn executed_reports_the_lines_that_ran() {
    struct Lines(Vec<usize>, Arc<Story>);
    impl Output for Lines {
        fn wants_text(&self) -> bool {
            false
        }
        fn executed(&mut self, span: Span) {
            let file = self.1.sources.get(span.file);
            self.0.push(file.line_col(span.start as usize).0);
        }
    }
    let story = story(
        "title: Lines\nvar n = 1\n== a\nFirst.\n~ n += 1\nif n > 5:\n    Never.\n-> b\n== b\n* Go -> ending done\n== ending done\nDone.\n",
    );
    let mut lines = Lines(Vec::new(), Arc::clone(&story));
    let mut state = State::new(&story, 0);
    let mut machine = Machine::new();
    let paused = machine.run(&story, &mut state, &mut lines).unwrap();
    assert!(matches!(paused, Pause::Choices(_)));
    assert_eq!(lines.0, vec![4, 5, 6, 8]);
}

/// [`Machine::evaluate`] reads the state without changing it, even when
/// the expression draws a random number.
#[test]
fn evaluate_is_pure() {
    let story = story(
        "title: Pure\nvar n = 2\n== a\n{n}\n* Go -> ending done\n== ending done\nDone.\n\ntest \"t\":\n    expect random(1, 6) + n > 2\n",
    );
    let state = State::new(&story, 9);
    let before = state.clone();
    let crate::graph::TestStepKind::Expect(expr) = &story.tests[0].steps[0].kind else {
        panic!("an expect step");
    };
    let mut machine = Machine::new();
    let first = machine.evaluate(&story, &state, expr).unwrap();
    assert_eq!(first, Value::Bool(true));
    assert_eq!(machine.evaluate(&story, &state, expr).unwrap(), first);
    assert_eq!(state, before);
}

/// `{shown} [requires condition: "reason"]`: hidden while `shown` is
/// false, shown but refused while `condition` is false, then enabled.
#[test]
fn a_choice_can_be_both_hidden_and_refused() {
    let story = story(
        "title: Both
var keys = 0
== hall
+ Take a key
    ~ keys += 1
    -> hall
+ {keys > 0} [requires keys > 1: \"The lock takes two keys.\"] Open the door -> ending out
== ending out
Out.
",
    );
    let mut session = Session::start(Arc::clone(&story), 0);
    let shown = |session: &Session| -> Vec<(String, bool, Option<String>)> {
        session
            .choices()
            .iter()
            .map(|c| (c.text.clone(), c.enabled, c.reason.clone()))
            .collect()
    };
    // No key: the door is not mentioned.
    assert_eq!(shown(&session), [("Take a key".into(), true, None)]);
    session.choose(0).unwrap();
    // One key: the door is shown, and refused with the reason.
    assert_eq!(
        shown(&session)[1],
        (
            "Open the door".into(),
            false,
            Some("The lock takes two keys.".into())
        )
    );
    assert_eq!(
        session.choose(1),
        Err(ChooseError::Disabled("The lock takes two keys.".into()))
    );
    session.choose(0).unwrap();
    // Two keys: it opens.
    assert_eq!(shown(&session)[1], ("Open the door".into(), true, None));
    session.choose(1).unwrap();
    assert!(session.ending().is_some());
}

/// `*` on two sets keeps the elements in both: counting the votes of the
/// allies who sit on a body.
#[test]
fn set_intersection_counts_the_allies_on_a_body() {
    let story = story(
        "title: Votes
enum Person { bukharin, rykov, tomsky, zinoviev }
var allies: set of Person = {bukharin, zinoviev}
const POLITBURO = {bukharin, rykov, tomsky}
== count
{count(allies * POLITBURO)} of your allies sit on the Politburo.
{allies * {}} and {{rykov} * POLITBURO}.
-> ending done
== ending done
",
    );
    let session = Session::start(Arc::clone(&story), 0);
    let text = session.transcript_text();
    assert!(
        text.contains("1 of your allies sit on the Politburo."),
        "{text}"
    );
}

/// `{a: x|b: y|z}`: the first branch whose condition holds, else the last.
#[test]
fn an_inline_conditional_may_chain_conditions() {
    for (votes, shown) in [(5, "A majority."), (4, "A tie."), (1, "Defeat.")] {
        let story = story(&format!(
            "title: Votes
var votes = {votes}
== count
{{votes > 4: A majority.|votes == 4: A tie.|Defeat.}}
-> ending done
== ending done
"
        ));
        let session = Session::start(Arc::clone(&story), 0);
        let text = session.transcript_text();
        assert!(text.contains(shown), "{votes}: {text}");
    }
}

/// `Session::set_var` and `Session::jump`, the hooks `crate::embed` uses:
/// a change from outside the story is where undo stops, and a save made
/// after it loads by its state.
#[test]
fn changes_from_outside_the_story_are_where_undo_stops() {
    let story = story(
        "title: T\nvar gold = 0\n== a\n* Earn\n    ~ gold += 1\n    -> a\n* Leave -> b\n== b\nGold: {gold}.\n* Back -> a\n",
    );
    let mut session = play(&story, 0, &[0]);
    let gold = story.var_by_name("gold").unwrap();
    assert!(!session.set_var(gold, Value::Bool(true)), "another type");
    assert!(!session.set_var(crate::graph::VarId(9), Value::Int(1)));
    assert!(session.set_var(gold, Value::Int(10)));
    assert_eq!(session.state().vars[gold.index()], Value::Int(10));
    assert_eq!(session.undo(), Err(UndoError::AtStart));
    session.choose(0).unwrap();
    session.undo().unwrap();
    assert_eq!(session.state().vars[gold.index()], Value::Int(10));

    let b = story.scene_by_name("b").unwrap();
    assert!(session.jump(b));
    assert!(!session.jump(SceneId(99)));
    assert!(session.transcript_text().ends_with("Gold: 10.\n\n"));
    assert_eq!(session.state().visits[b.index()], 1);
    let saved = session.save().unwrap();
    let (loaded, _) = Session::load(Arc::clone(&story), &saved).unwrap();
    assert_eq!(loaded.state(), session.state());
    assert!(loaded.history().is_empty());
}
