//! A game embedding Fabula through `fabula::embed`: compile a story, play
//! it paragraph by paragraph with its tags, watch variables change, set
//! them by name, jump to a scene, save to a string and load it back, and
//! bind a story's `extern fn`.
//!
//! `cargo run --example embed -- [STORY] [SEED]`, from the repository's
//! root; the story defaults to the bundled one. It needs none of the
//! binary's terminal crates: it builds with `--no-default-features` too.
//! `tests/embed/` runs it.

use std::error::Error;
use std::sync::{Arc, Mutex};

use fabula::embed::{CompileError, Session, Story, VarValue};

/// What a run did, for the test that runs this example.
#[derive(Debug)]
pub struct Summary {
    /// How many choices were made.
    pub turns: u32,
    /// What the observers saw, one line per change.
    pub changes: Vec<String>,
    /// The ending reached, if the run got that far.
    pub ending: Option<String>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or("stories/rise_of_stalin".into());
    let seed = args.next().map_or(Ok(1922), |seed| seed.parse())?;
    let summary = run(&path, seed, 40)?;
    println!(
        "{} choices, {} changes seen, ending: {}",
        summary.turns,
        summary.changes.len(),
        summary.ending.as_deref().unwrap_or("not reached")
    );
    Ok(())
}

/// Plays up to `turns` choices of the story at `path`.
pub fn run(path: &str, seed: u64, turns: u32) -> Result<Summary, Box<dyn Error>> {
    // A story with errors is an error value whose Display is every
    // diagnostic, as `fabula check` prints them.
    let story = match Story::compile_dir(path) {
        Ok(story) => story,
        Err(CompileError::Story(diagnostics)) => {
            eprintln!("{diagnostics}");
            return Err(format!("{path} has {} errors", diagnostics.errors()).into());
        }
        Err(other) => return Err(other.into()),
    };
    println!("# {}\n", story.title());

    let mut game = story.start(seed);

    // Observers: the game's HUD would redraw here. They are called after
    // the call that changed the variable, with its old and new value.
    let changes = Arc::new(Mutex::new(Vec::new()));
    for (name, _) in story.variables() {
        let log = Arc::clone(&changes);
        game.observe(name, move |name, old, new| {
            if let Ok(mut log) = log.lock() {
                log.push(format!("{name}: {old} -> {new}"));
            }
        })?;
    }

    let mut saved = None;
    let mut scene = String::new();
    for turn in 0..turns {
        show_text(&mut game, &mut scene);
        let choices = game.choices();
        let enabled: Vec<_> = choices.iter().filter(|choice| choice.enabled).collect();
        let Some(choice) = enabled.get(turn as usize % enabled.len().max(1)) else {
            break; // an ending, or a runtime error
        };
        println!("> {}\n", choice.text);
        game.choose(choice.index)?;
        if turn == 2 {
            // A save is a RON string: keep it wherever the game keeps saves.
            saved = Some(game.save()?);
        }
    }
    show_text(&mut game, &mut scene);
    if let Some(error) = game.error() {
        return Err(error.to_string().into());
    }
    let summary = Summary {
        turns: game.turns(),
        changes: changes.lock().map(|log| log.clone()).unwrap_or_default(),
        ending: game.ending().map(|ending| ending.name.clone()),
    };

    // Variables by name, typed; a mistake is an error value, not a panic.
    if story.variables().any(|(name, _)| name == "s_apparatus") {
        game.set("s_apparatus", 5)?;
        assert_eq!(game.get_int("s_apparatus")?, 5);
        if let Err(error) = game.set("s_apparatus", "a great deal") {
            println!("refused: {error}");
        }
        game.set("posts", ["general_secretary", "orgburo"])?;
        assert_eq!(
            game.get("posts")?,
            VarValue::from(["general_secretary", "orgburo"])
        );
    }

    // Jump to a scene by name, as a chapter menu would.
    if let Some(chapter) = story.scenes().nth(1) {
        game.jump(chapter)?;
        println!("jumped to `{}`:", game.scene().name);
        show_text(&mut game, &mut scene);
    }

    // Back to the save: the same state, the same seed.
    if let Some(saved) = saved {
        game.load(&saved)?;
        assert_eq!(game.turns(), 3);
        assert_eq!(game.seed(), seed);
        println!("loaded the save made after three choices");
    }

    bind_an_extern()?;
    Ok(summary)
}

/// A story that asks the game for a value: `extern fn`, with a default
/// body for `fabula play` and `fabula explore`, bound here by the game.
const DICE: &str = "title: Dice
extern fn roll_dice(sides: int) -> int:
    return 1
== start
* {roll_dice(6) > 3} Bet high -> ending high
* Bet low -> ending low
== ending high
High.
== ending low
Low.
";

/// External functions: a story compiled from a string, its `extern fn`
/// bound by name. Guards that call it are worked out again at once.
fn bind_an_extern() -> Result<(), Box<dyn Error>> {
    let story = Story::compile_str("dice.fab", DICE)?;
    let mut game = story.start(1);
    assert_eq!(game.choices().len(), 1, "the default body rolls 1");
    game.bind("roll_dice", |args| match args {
        [VarValue::Int(sides)] => Ok(VarValue::Int(*sides)), // a loaded die
        _ => Err("roll_dice takes one int".to_string()),
    })?;
    assert_eq!(game.choices().len(), 2, "the bound die rolls 6");
    println!("bound `roll_dice`: {} choices", game.choices().len());
    Ok(())
}

/// Prints the paragraphs not shown yet, with their tags, and the title of
/// each scene the text enters.
fn show_text(game: &mut Session, scene: &mut String) {
    while let Some(paragraph) = game.next_paragraph() {
        if paragraph.scene != *scene {
            scene.clone_from(&paragraph.scene);
            if let Some(title) = game.story().scene(scene).and_then(|found| found.title) {
                println!("## {title}\n");
            }
        }
        let tags: Vec<String> = paragraph
            .tags
            .iter()
            .map(|tag| match &tag.value {
                Some(value) => format!("#{}: {value}", tag.key),
                None => format!("#{}", tag.key),
            })
            .collect();
        if tags.is_empty() {
            println!("{}\n", paragraph.text);
        } else {
            println!("{} [{}]\n", paragraph.text, tags.join(" "));
        }
    }
}
