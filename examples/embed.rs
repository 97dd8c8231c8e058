//! Plays a story through the `Session` API, taking the enabled choices in
//! turn (at most 100 of them), and prints the text: the shape of a game
//! that embeds Fabula. `cargo run --example embed -- tests/play/locked.fab`

use std::path::PathBuf;
use std::sync::Arc;

use fabula::runtime::{Event, Session, Status, ending_line};

fn main() -> anyhow::Result<()> {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or("tests/play/call.fab".into()),
    );
    let loaded = fabula::compile::compile_files(&path)?;
    let Some(story) = loaded.story else {
        anyhow::bail!(
            "{} has {} errors; run `fabula check`",
            path.display(),
            loaded.errors()
        );
    };
    let mut session = Session::start(Arc::new(story), 42);
    println!("{}\n", session.story().title);
    for turn in 0..100 {
        for event in session.take_new() {
            match event {
                Event::Paragraph { text, .. } => println!("{text}\n"),
                Event::Scene {
                    title: Some(title),
                    is_ending: false,
                    ..
                } => println!("## {title}\n"),
                Event::Scene { .. } | Event::Chose { .. } => {}
            }
        }
        match session.status().clone() {
            Status::Choosing(choices) => {
                let enabled: Vec<_> = choices.iter().filter(|choice| choice.enabled).collect();
                let choice = enabled[turn % enabled.len()];
                println!("> {}\n", choice.text);
                session.choose(choice.index)?;
            }
            Status::Ended(ending) => {
                println!("{}", ending_line(&ending));
                break;
            }
            Status::Failed(error) => anyhow::bail!("{error}"),
        }
    }
    // A save is a RON string; loading it gives the same game back.
    let saved = session.save()?;
    let (again, _) = Session::load(Arc::clone(session.story()), &saved)?;
    assert_eq!(again.state(), session.state());
    Ok(())
}
