//! Tunnels in play: saves and undo in the middle of a call, with the call
//! stack and the locals kept by name.

use std::sync::Arc;

use fabula::graph::Value;
use fabula::runtime::savefile::{self, SaveError};
use fabula::runtime::{RuntimeErrorKind, Session, Status};

const STORY: &str = "\
title: Corridor
enum Person { kamenev, zinoviev }
var favours = 0
== corridor: The Corridor
-> greet(kamenev, 2) ->
The door stands open.
+ Go in -> ending office
+ Greet Zinoviev -> corridor
== greet(who: Person, warmth: int): A Greeting
~ temp nods = warmth + 1
-> bow(who) ->
{who} nods {nods} times.
+ Shake hands
    ~ favours += 1
    ~ nods -= 1
    Now {nods}.
+ Walk past
->->
== bow(who: Person)
You bow to {who}.
->->
== ending office: The Office
Favours: {favours}.
";

/// A game paused inside `greet`, called from `corridor`.
fn in_the_tunnel() -> Session {
    let session = Session::start(super::story(STORY), 5);
    assert_eq!(session.story().scene(session.state().scene).name, "greet");
    session
}

#[test]
fn a_game_paused_in_a_tunnel_holds_its_call_and_locals() {
    let session = in_the_tunnel();
    let state = session.state();
    assert_eq!(state.calls.len(), 1);
    let story = session.story();
    assert_eq!(story.scene(state.calls[0].scene).name, "corridor");
    // `who`, `warmth`, then the temporary `nods`.
    assert_eq!(
        state.locals,
        vec![Value::Enum(0), Value::Int(2), Value::Int(3)]
    );
}

#[test]
fn a_save_in_a_tunnel_names_its_calls_and_restores_them() {
    let mut session = in_the_tunnel();
    let text = session.save().unwrap();
    assert!(text.contains("calls: ["), "{text}");
    assert!(text.contains("scene: \"corridor\""), "{text}");
    assert!(text.contains("\"nods\": Int(3)"), "{text}");
    assert!(text.contains("\"who\": Enum(\"kamenev\")"), "{text}");
    // Restored from its names alone, not by replaying the history.
    let story = Arc::clone(session.story());
    let save = savefile::parse(&story, &text).unwrap();
    let restored = savefile::restore(&story, &save).unwrap();
    assert!(restored.losses.is_empty(), "{:?}", restored.losses);
    assert!(restored.notes.is_empty(), "{:?}", restored.notes);
    assert_eq!(&restored.state, session.state());
    // Loaded, the game goes on from inside the tunnel and returns.
    let (mut loaded, _) = Session::load(Arc::clone(&story), &text).unwrap();
    loaded.choose(0).unwrap();
    session.choose(0).unwrap();
    assert_eq!(loaded.state(), session.state());
    assert!(loaded.transcript_text().contains("Now 2."));
    assert!(loaded.state().calls.is_empty());
    assert_eq!(story.scene(loaded.state().scene).name, "corridor");
}

#[test]
fn undo_in_a_tunnel_restores_the_call_stack() {
    let mut session = in_the_tunnel();
    let before = session.state().clone();
    session.choose(0).unwrap(); // Shake hands: back in the corridor
    session.choose(1).unwrap(); // Greet Zinoviev: into greet again
    assert_eq!(session.state().calls.len(), 1);
    session.undo().unwrap();
    assert!(session.state().calls.is_empty());
    session.undo().unwrap();
    assert_eq!(session.state(), &before);
}

#[test]
fn a_save_whose_call_site_moved_goes_on_from_the_callers_top() {
    let session = in_the_tunnel();
    let text = session.save().unwrap();
    // The call now comes one line later: the saved return point no longer
    // follows a call to `greet`.
    let edited = STORY.replace(
        "== corridor: The Corridor\n",
        "== corridor: The Corridor\nA draught.\n",
    );
    let story = super::story(&edited);
    let (loaded, report) = Session::load_reporting(Arc::clone(&story), &text).unwrap();
    assert_eq!(report.losses.len(), 1, "{:?}", report.losses);
    assert!(
        report.losses[0].contains("`corridor` no longer makes that call where it did")
            && report.losses[0].contains("goes on from the top of the scene `corridor`"),
        "{:?}",
        report.losses
    );
    // From the top of `corridor`, whose first line calls the tunnel again:
    // every call under way is one this version of the story made.
    assert!(matches!(loaded.status(), Status::Choosing(_)));
    for frame in &loaded.state().calls {
        let at = frame.pc as usize - 1;
        assert!(matches!(
            story.scene(frame.scene).ops[at],
            fabula::graph::Op::Call { .. }
        ));
    }
}

#[test]
fn a_save_with_a_temporary_the_scene_lost_drops_it() {
    let session = in_the_tunnel();
    let text = session.save().unwrap();
    let edited = STORY
        .replace("~ temp nods = warmth + 1\n", "")
        .replace("{nods}", "{warmth}")
        .replace("    ~ nods -= 1\n", "");
    let (_, report) = Session::load_reporting(super::story(&edited), &text).unwrap();
    assert!(
        report.losses.iter().any(|loss| loss
            .contains("the value of `nods` is dropped: the scene `greet` has no such parameter or temporary any more")),
        "{:?}",
        report.losses
    );
}

#[test]
fn a_story_without_tunnels_saves_as_before() {
    let session = Session::start(
        super::story("title: Plain\n== a\n* Go -> ending b\n== ending b\nB.\n"),
        0,
    );
    let text = session.save().unwrap();
    assert!(!text.contains("calls"), "{text}");
    assert!(!text.contains("locals"), "{text}");
}

#[test]
fn calls_past_the_depth_bound_stop_with_a_located_error() {
    let session = Session::start(
        super::story(
            "title: Deep\nvar n = 0\n== a\n-> down ->\n-> ending b\n== down\n~ n += 1\nif n < 1000:\n    -> down ->\n->->\n== ending b\nB.\n",
        ),
        0,
    );
    let Status::Failed(error) = session.status() else {
        panic!("{:?}", session.status());
    };
    assert_eq!(error.kind, RuntimeErrorKind::CallTooDeep);
    assert_eq!(error.scene, "down");
    assert_eq!(error.location.as_deref(), Some("test.fab:9:5"));
    // 64 calls under way (the first from `a`), the 65th refused.
    assert_eq!(session.state().calls.len(), fabula::graph::MAX_CALL_DEPTH);
    assert_eq!(session.state().vars[0], Value::Int(64));
}

#[test]
fn a_divert_out_of_a_tunnel_abandons_the_calls() {
    let session = Session::start(
        super::story(
            "title: Out\n== a\n-> t ->\nNever.\n-> ending b\n== t\n~ temp x = 1\n-> c\n== c\n+ Stay -> c\n* Go -> ending b\n== ending b\nB.\n",
        ),
        0,
    );
    assert!(session.state().calls.is_empty());
    assert!(session.state().locals.is_empty());
    assert!(!session.transcript_text().contains("Never."));
}

/// A glued paragraph counts toward the paragraph limit across its lines,
/// so glue in a loop of diverts is stopped, with or without text wanted.
#[test]
fn a_glued_paragraph_is_bounded_with_or_without_text() {
    use fabula::runtime::{Discard, Machine, Output, State};
    struct Keep(usize);
    impl Output for Keep {
        fn paragraph(&mut self, text: &str, _: &[fabula::graph::Tag]) {
            self.0 = self.0.max(text.len());
        }
    }
    let story = super::story(
        "title: Long\nvar t = \"ab\"\nvar n = 0\n== grow\n~ n += 1\n~ t = t + t\nif n < 18:\n    -> grow\n-> loop\n== loop\n~ n += 1\n{t}<>\nif n < 1000:\n    -> loop\n-> ending done\n== ending done\nDone.\n",
    );
    let mut machine = Machine::new();
    let mut with_text = State::new(&story, 0);
    let mut kept = Keep(0);
    let first = machine.run(&story, &mut with_text, &mut kept).unwrap_err();
    let mut without = State::new(&story, 0);
    let second = machine.run(&story, &mut without, &mut Discard).unwrap_err();
    assert_eq!(first.kind, RuntimeErrorKind::TextTooLong);
    assert_eq!(first, second);
    assert!(kept.0 <= fabula::runtime::MAX_PARAGRAPH_LEN);
}

/// A save is hostile input: one with more calls under way than a game can
/// have is refused, not restored.
#[test]
fn a_save_with_calls_past_the_depth_bound_is_refused() {
    let session = in_the_tunnel();
    let story = Arc::clone(session.story());
    let mut save = savefile::parse(&story, &session.save().unwrap()).unwrap();
    let call = save.calls[0].clone();
    save.calls = vec![call; fabula::graph::MAX_CALL_DEPTH + 1];
    save.checksum = Some(format!("{:016x}", savefile::checksum(&save)));
    let text = savefile::to_ron(&save);
    match Session::load(story, &text).unwrap_err() {
        SaveError::Invalid(why) => assert!(why.contains("more than the limit of 64"), "{why}"),
        other => panic!("{other:?}"),
    }
}

/// `->->` with no call under way stops the story with a located error: a
/// game that jumps into a tunnel (as a divert would) has nothing to return
/// to.
#[test]
fn a_return_with_nothing_to_return_to_is_a_located_error() {
    let mut session = in_the_tunnel();
    let bow = session.story().scene_by_name("bow").unwrap();
    assert!(session.jump(bow));
    let Status::Failed(error) = session.status() else {
        panic!("{:?}", session.status());
    };
    assert_eq!(error.kind, RuntimeErrorKind::ReturnWithoutCall);
    assert_eq!(error.scene, "bow");
    assert_eq!(error.location.as_deref(), Some("test.fab:21:1"));
}

/// The graph of a story with tunnels reads back from RON and plays the
/// same; a story without tunnels, temporaries or glue compiles to RON
/// without their fields, so its fingerprint (which its saves carry) is
/// what it was before them.
#[test]
fn tunnels_survive_the_ron_graph_and_leave_other_graphs_alone() {
    let story = super::story(STORY);
    let text = ron::to_string(&*story).unwrap();
    let back: fabula::graph::Story = ron::from_str(&text).unwrap();
    let mut original = Session::start(Arc::clone(&story), 5);
    let mut read_back = Session::start(Arc::new(back), 5);
    for choice in [0, 1, 1, 0] {
        original.choose(choice).unwrap();
        read_back.choose(choice).unwrap();
    }
    assert_eq!(original.state(), read_back.state());
    assert_eq!(original.transcript_text(), read_back.transcript_text());
    let plain = super::story("title: Plain\n== a\nText.\n* Go -> ending b\n== ending b\nB.\n");
    let text = ron::to_string(&*plain).unwrap();
    for field in ["glue", "params", "locals"] {
        assert!(!text.contains(field), "{field} in {text}");
    }
}
