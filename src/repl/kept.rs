//! Keeping the game at a terminal: the autosave after every choice, the
//! offer to continue a kept game, what `quit` says, and `restart` that asks
//! first and can be undone.

use std::io::{self, Write};
use std::sync::Arc;

use super::input::{Input, LineSource};
use super::{Flow, Player, ReplError, seed, sentence};
use crate::graph::Story;
use crate::runtime::{Session, Status, savefile};
use crate::slots::{self, AUTOSAVE};

impl<W: Write> Player<W> {
    /// Offers to continue the game kept in the autosave slot, if any: Enter
    /// continues it, `new` starts anew (the kept game is replaced at the
    /// first choice).
    pub(super) fn offer_kept_game(
        &mut self,
        source: &mut dyn LineSource,
    ) -> Result<Flow, ReplError> {
        let Ok(slots) = &self.slots else {
            return Ok(Flow::Continue);
        };
        let Ok(text) = slots.read(AUTOSAVE) else {
            return Ok(Flow::Continue);
        };
        let modified = slots
            .path(AUTOSAVE)
            .ok()
            .and_then(|path| std::fs::metadata(path).ok())
            .and_then(|metadata| metadata.modified().ok());
        let story = Arc::clone(self.session.story());
        let Ok((session, notice)) = Session::load(Arc::clone(&story), &text) else {
            self.message("The game kept from last time cannot be continued; starting anew.")?;
            return Ok(Flow::Continue);
        };
        let place = describe_save(&story, &text);
        let time = modified.map(slots::format_time).unwrap_or_default();
        self.message(&format!(
            "A game of this story is kept: {place}, saved {time}."
        ))?;
        loop {
            self.out.flush()?;
            let answer = match source.read("Press Enter to continue it, or type `new`: ")? {
                Input::Line(line) => line.trim().to_ascii_lowercase(),
                Input::Dropped(reason) => {
                    self.message(&reason)?;
                    continue;
                }
                Input::Interrupted => continue,
                Input::End => return Ok(Flow::Quit),
            };
            writeln!(self.out)?;
            match answer.as_str() {
                "" => {
                    self.session = session;
                    self.message("Continuing the kept game.")?;
                    if let Some(notice) = notice {
                        // One line per loss, never silent (docs/SAVES.md).
                        for line in notice.lines() {
                            self.message(&sentence(&format!("Note: {line}")))?;
                        }
                    }
                    return Ok(Flow::Continue);
                }
                "new" | "n" => {
                    self.message("Starting anew; the kept game is replaced at your first choice.")?;
                    return Ok(Flow::Continue);
                }
                _ => self.message("Press Enter to continue the kept game, or type `new`.")?,
            }
        }
    }

    /// Leaving the game: the seen text is kept, and a player at a terminal
    /// is told the game is kept and how to continue it.
    pub(super) fn leave(&mut self) -> io::Result<()> {
        self.keep_seen();
        let kept = self.at_terminal
            && !matches!(self.session.status(), Status::Ended(_))
            && self
                .slots
                .as_ref()
                .is_ok_and(|slots| slots.path(AUTOSAVE).is_ok_and(|path| path.is_file()));
        if kept {
            let mut command = String::from("fabula play");
            if let Some(story) = &self.options.story {
                command.push_str(&format!(" {}", shell_word(story)));
            }
            if let Some(dir) = &self.options.save_dir {
                command.push_str(&format!(" --save-dir {}", shell_word(dir)));
            }
            // Not wrapped: a command broken at a hyphen or a space could
            // not be pasted back.
            writeln!(
                self.out,
                "Your game is kept. To continue it, run `{command}` again.\n"
            )?;
        }
        self.out.flush()
    }

    /// Writes the record of seen text, if it is kept.
    pub(super) fn keep_seen(&mut self) {
        if let Some(seen) = &mut self.seen {
            // A lost record only leaves text undimmed.
            let _ = seen.write();
        }
    }

    /// Keeps the game in the autosave slot after it changed, at a terminal:
    /// an ended game needs no keeping, and a failed one keeps the game
    /// before the failing choice.
    pub(super) fn autosave(&mut self) -> io::Result<()> {
        if !self.at_terminal {
            return Ok(());
        }
        let Ok(slots) = &self.slots else {
            return Ok(());
        };
        let result = match self.session.status() {
            Status::Ended(_) => slots.remove(AUTOSAVE),
            Status::Failed(_) => Ok(()),
            Status::Choosing(_) => match self.session.save() {
                Ok(text) => {
                    let written = slots.write(AUTOSAVE, &text).map(|_| ());
                    // The seen text is kept with the game, so a closed
                    // window loses neither; a lost record only undims text.
                    if let Some(seen) = &mut self.seen {
                        let _ = seen.write();
                    }
                    written
                }
                Err(_) => Ok(()),
            },
        };
        match result {
            Err(error) if !self.autosave_failed => {
                self.autosave_failed = true;
                self.message(&sentence(&format!(
                    "The game cannot be kept as you play: {error}"
                )))
            }
            _ => Ok(()),
        }
    }

    /// Takes back the last choice; at the start of a game begun by
    /// `restart`, brings back the game before it.
    pub(super) fn undo(&mut self) -> io::Result<()> {
        if self.session.history().is_empty()
            && let Some((game, transcript_length)) = self.before_restart.take()
        {
            self.session = game;
            self.earlier_games.truncate(transcript_length);
            self.read_this_game.clear();
            self.message("Back to the game before the restart.")?;
            self.autosave()?;
            return self.show_position();
        }
        match self.session.undo() {
            Ok(()) => {
                // Pages read after the choice taken back go with it.
                let length = self.session.transcript_text().len();
                self.pages_read.retain(|(at, _)| *at <= length);
                self.message("Undone.")?;
                self.autosave()?;
                self.show_position()
            }
            Err(error) => {
                self.message(&sentence(&error.to_string()))?;
                self.show_choices()
            }
        }
    }

    /// `restart`: at a terminal, in a game under way, asks first.
    pub(super) fn ask_restart(&mut self, source: &mut dyn LineSource) -> Result<(), ReplError> {
        let under_way = !self.session.history().is_empty()
            && !matches!(self.session.status(), Status::Ended(_));
        if self.at_terminal && under_way {
            // The question must be seen before it is answered.
            let question = "Start the story again? (y/N) ";
            self.out.page(source)?;
            self.out.flush()?;
            let answer = match source.read(question)? {
                Input::Line(line) => line.trim().to_ascii_lowercase(),
                // An unreadable answer is not a yes.
                Input::Dropped(_) | Input::Interrupted | Input::End => String::new(),
            };
            writeln!(self.out)?;
            self.out.hold();
            if !matches!(answer.as_str(), "y" | "yes") {
                self.message("The game goes on.")?;
                return Ok(self.show_choices()?);
            }
        }
        Ok(self.restart()?)
    }

    pub(super) fn restart(&mut self) -> io::Result<()> {
        let transcript_length = self.earlier_games.len();
        self.finish_game();
        let fresh = Session::start(Arc::clone(self.session.story()), seed(&self.options));
        let game = std::mem::replace(&mut self.session, fresh);
        self.before_restart = Some((game, transcript_length));
        self.keep_seen();
        self.read_this_game.clear();
        if self.at_terminal {
            self.message("Starting again. Type `undo` to go back to the game before.")?;
        } else {
            self.message("Starting again.")?;
        }
        self.autosave()?;
        self.show_position()
    }
}

/// A path as a word to type in a shell: quoted when it has anything but
/// the usual characters of a path.
fn shell_word(path: &std::path::Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || "/._-+,:@".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// A save as a slot listing shows it: the scene's title and the number of
/// choices made.
pub(super) fn describe_save(story: &Story, text: &str) -> String {
    let Ok(save) = savefile::parse(story, text) else {
        return "(unreadable)".to_string();
    };
    let scene = story
        .scene_by_name(&save.scene)
        .and_then(|id| story.scene(id).title.clone())
        .unwrap_or(save.scene);
    let choices = save.history.len();
    let plural = if choices == 1 { "" } else { "s" };
    format!("{scene}, {choices} choice{plural} made")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::*;
    use crate::repl::PlayOptions;
    use crate::repl::input::Plain;
    use crate::repl::screen::Screen;
    use crate::slots::Slots;

    /// A story whose second scene has a choice, to leave a game there.
    const LETTER: &str = "\
== gorki: Gorki
Lenin lies paralysed upstairs.
* Telephone Krupskaya
    You do not choose your words.
    -> letter
* Wait for the doctors
    -> letter
== letter: The Letter
The house is quiet.
* Go on
    -> ending quiet
== ending quiet: A Quiet Winter
Snow covers the park.
";

    /// Plays [`LETTER`] as at a terminal of 80 by 40, with saves in `dir`
    /// and `input` typed; returns what was shown.
    fn play_at_terminal(dir: &Path, input: &str) -> String {
        let mut read = |_: &Path| Ok(LETTER.as_bytes().to_vec());
        let loaded = crate::compile::compile(Path::new("call.fab"), &mut read).unwrap();
        let story = Arc::new(loaded.story.unwrap());
        let slots = Slots::for_story("call", Some(dir));
        let seen = slots.as_ref().ok().map(Slots::seen_text);
        let mut player = Player {
            slots,
            record_endings: true,
            at_terminal: true,
            session: Session::start(story, 1),
            pending: None,
            options: PlayOptions {
                story: Some("call.fab".into()),
                ..PlayOptions::default()
            },
            out: Screen::of_size(Vec::new(), 80, 40),
            styled: false,
            earlier_games: String::new(),
            pages_read: Vec::new(),
            seen,
            read_this_game: HashSet::new(),
            before_restart: None,
            autosave_failed: false,
        };
        player
            .run(&mut Plain {
                reader: input.as_bytes(),
            })
            .unwrap();
        String::from_utf8(player.out.into_inner()).unwrap()
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("fabula-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_game_left_at_a_terminal_is_kept_and_continued() {
        let dir = scratch("kept");
        let shown = play_at_terminal(&dir, "1\n");
        assert!(shown.contains("The house is quiet."), "{shown}");
        assert!(
            shown.contains("Your game is kept. To continue it, run `fabula play call.fab"),
            "{shown}"
        );
        assert!(dir.join("autosave.ron").exists());
        // Enter continues it, with the text since the last choice.
        let shown = play_at_terminal(&dir, "\n1\n");
        assert!(
            shown.contains("A game of this story is kept: The Letter, 1 choice made"),
            "{shown}"
        );
        assert!(shown.contains("Continuing the kept game."), "{shown}");
        assert!(shown.contains("You do not choose your words."), "{shown}");
        assert!(shown.contains("THE END: A Quiet Winter"), "{shown}");
        assert!(!shown.contains("Your game is kept."), "{shown}");
        assert!(
            !dir.join("autosave.ron").exists(),
            "an ended game is not kept"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn paths_are_quoted_for_the_shell_when_they_need_it() {
        assert_eq!(
            shell_word(Path::new("stories/call.fab")),
            "stories/call.fab"
        );
        assert_eq!(shell_word(Path::new("my story.fab")), "'my story.fab'");
        assert_eq!(shell_word(Path::new("it's.fab")), "'it'\\''s.fab'");
    }

    #[test]
    fn restart_asks_and_undo_after_it_brings_the_game_before_back() {
        let dir = scratch("restart");
        let shown = play_at_terminal(&dir, "2\nrestart\nno\nrestart\ny\nundo\n");
        assert!(shown.contains("The game goes on."), "{shown}");
        assert_eq!(shown.matches("Starting again.").count(), 1, "{shown}");
        let back = shown.split("Back to the game before the restart.").nth(1);
        assert!(
            back.is_some_and(|back| back.contains("1. Go on")),
            "{shown}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
