//! Rendering and offering change nothing: running at a pause, a choice's
//! text, in place or on a copy.

use super::*;

#[test]
fn running_at_a_pause_changes_nothing() {
    let story = story(
        "title: Pure
var x = 0
== a
* {random(1, 2) == 1} Maybe -> a
* Leave: {random(1, 100)} -> ending done
== ending done
Done.
",
    );
    let mut machine = Machine::new();
    let mut state = State::new(&story, 5);
    let first: Vec<Offer> = match machine.run(&story, &mut state, &mut Discard).unwrap() {
        Pause::Choices(offers) => offers.to_vec(),
        Pause::Ending(_) => panic!("ended"),
    };
    let snapshot = state.clone();
    let text = machine.choice_text(&story, &state, 1).unwrap();
    for _ in 0..5 {
        match machine.run(&story, &mut state, &mut Discard).unwrap() {
            Pause::Choices(offers) => assert_eq!(offers, first.as_slice()),
            Pause::Ending(_) => panic!("ended"),
        }
        assert_eq!(machine.choice_text(&story, &state, 1).unwrap(), text);
    }
    assert_eq!(state, snapshot);
}

#[test]
fn a_choice_text_rendered_in_place_leaves_the_state_as_it_was() {
    let story = story(
        "title: Pure
var z = 0
== a
+ Go {z == 0: zero|more} {random(1, 100)} {random(1, 100)} -> a
+ Stay {random(1, 100)} {10 / z} -> a
== ending done
Done.
",
    );
    let mut machine = Machine::new();
    let mut state = State::new(&story, 5);
    machine.run(&story, &mut state, &mut Discard).unwrap();
    let snapshot = state.clone();
    let copied = machine.choice_text(&story, &state, 0).unwrap();
    for _ in 0..3 {
        let text = machine.choice_text_in_place(&story, &mut state, 0).unwrap();
        assert_eq!(text, copied);
        assert_eq!(state, snapshot);
    }
    // A text that fails after drawing puts the generator back too.
    assert!(machine.choice_text_in_place(&story, &mut state, 1).is_err());
    assert_eq!(state, snapshot);
}
