//! Where the player's lines come from: rustyline on a terminal (editing,
//! tab completion of commands, line history), plain lines otherwise.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{
    Cmd, ConditionalEventHandler, Context, Editor, Event, EventContext, EventHandler,
    ExternalPrinter, Helper, KeyCode, KeyEvent, Modifiers, RepeatCount,
};

/// The player's commands, for `help` and completion.
pub const COMMANDS: &[(&str, &str)] = &[
    ("help", "list these commands"),
    (
        "save",
        "save [SLOT]: save the game (slot `quicksave` by default)",
    ),
    (
        "load",
        "load [SLOT]: load a game (the latest save by default)",
    ),
    ("saves", "list the saved games"),
    ("undo", "take back the last choice"),
    ("restart", "start the story again"),
    ("history", "show the story so far"),
    ("about", "show the story's notes"),
    ("endings", "list the endings found so far"),
    ("quit", "leave the game"),
];

/// The longest line read from piped input (64 KiB). A longer one is
/// dropped whole, with a message: nothing the player types needs more, and
/// a pasted megabyte must not stall the prompt. A terminal has its own,
/// smaller limit, [`MAX_TERMINAL_LINE`].
pub const MAX_LINE: usize = 64 * 1024;

/// The longest line typed on a terminal (16 KiB). rustyline redraws a
/// line that wraps past the terminal's width at every key, so each key
/// costs the whole line: a paste without bracketed paste was quadratic
/// (1 MB never finished; 64,000 characters took 1.8 s). Keys past this
/// are dropped as they come, in constant time each, and the line is then
/// refused with a message when Enter is pressed.
pub const MAX_TERMINAL_LINE: usize = 16 * 1024;

/// One read.
#[derive(Debug)]
pub enum Input {
    Line(String),
    /// A line that was read and dropped, with the reason to tell the player:
    /// over [`MAX_LINE`], or not UTF-8. The session goes on.
    Dropped(String),
    /// Ctrl-C: the line is dropped.
    Interrupted,
    /// Ctrl-D or the end of piped input.
    End,
}

/// A source of lines.
pub trait LineSource {
    fn read(&mut self, prompt: &str) -> Result<Input, ReadlineError>;
    /// Whether the source echoes what was typed (a terminal does; a pipe
    /// does not, so the player echoes it to keep the transcript readable).
    fn echoes(&self) -> bool;
    /// Called once at the end (saves the line history).
    fn finish(&mut self) {}
    /// The width of the terminal the lines are typed on, if any.
    fn width(&mut self) -> Option<usize> {
        None
    }
}

/// Lines from piped standard input.
#[derive(Debug)]
pub struct Plain<R> {
    pub reader: R,
}

impl<R: BufRead> LineSource for Plain<R> {
    /// Reads up to the next newline in one pass over the buffer, keeping at
    /// most [`MAX_LINE`] bytes: linear in the line, and bounded in memory
    /// however long it is. Bytes that are not UTF-8 drop their line only
    /// (a single bad byte used to end the session).
    fn read(&mut self, _prompt: &str) -> Result<Input, ReadlineError> {
        let mut line = Vec::new();
        let mut length = 0usize;
        let mut ended = false;
        loop {
            let buffer = match self.reader.fill_buf() {
                Ok(buffer) => buffer,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error.into()),
            };
            if buffer.is_empty() {
                break;
            }
            let (taken, found_newline) = match buffer.iter().position(|&byte| byte == b'\n') {
                Some(at) => (at + 1, true),
                None => (buffer.len(), false),
            };
            let room = MAX_LINE.saturating_sub(line.len());
            line.extend_from_slice(&buffer[..taken.min(room)]);
            length = length.saturating_add(taken);
            self.reader.consume(taken);
            if found_newline {
                ended = true;
                break;
            }
        }
        if length == 0 {
            return Ok(Input::End);
        }
        let content = length - usize::from(ended);
        if content > MAX_LINE {
            return Ok(Input::Dropped(format!(
                "That line was {content} bytes long; a line may hold at most {MAX_LINE}. It was ignored."
            )));
        }
        match String::from_utf8(line) {
            Ok(text) => Ok(Input::Line(text.trim_end_matches(['\n', '\r']).to_string())),
            Err(error) => Ok(Input::Dropped(format!(
                "That line is not valid UTF-8 (byte {} of it); it was ignored.",
                error.utf8_error().valid_up_to() + 1
            ))),
        }
    }

    fn echoes(&self) -> bool {
        false
    }
}

/// Completes command names at the start of the line.
#[derive(Debug)]
struct Commands;

impl Completer for Commands {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let word = &line[..pos];
        if word.contains(' ') {
            return Ok((pos, Vec::new()));
        }
        let candidates = COMMANDS
            .iter()
            .filter(|(name, _)| name.starts_with(word))
            .map(|(name, _)| Pair {
                display: name.to_string(),
                replacement: name.to_string(),
            })
            .collect();
        Ok((0, candidates))
    }
}

impl Hinter for Commands {
    type Hint = String;
}
impl Highlighter for Commands {}
impl Validator for Commands {}
impl Helper for Commands {}

/// Drops typed characters once the line holds [`MAX_TERMINAL_LINE`]
/// bytes, noting that it did.
struct LineLimit {
    overflowed: Arc<AtomicBool>,
}

impl ConditionalEventHandler for LineLimit {
    fn handle(
        &self,
        event: &Event,
        count: RepeatCount,
        _: bool,
        context: &EventContext,
    ) -> Option<Cmd> {
        let Event::KeySeq(keys) = event else {
            return None;
        };
        let [KeyEvent(KeyCode::Char(typed), modifiers)] = keys.as_slice() else {
            return None;
        };
        if !(*modifiers == Modifiers::NONE || *modifiers == Modifiers::SHIFT) {
            return None;
        }
        let adding = typed.len_utf8().saturating_mul(count.max(1) as usize);
        if context.line().len().saturating_add(adding) > MAX_TERMINAL_LINE {
            self.overflowed.store(true, Ordering::Relaxed);
            return Some(Cmd::Noop);
        }
        None
    }
}

/// A rustyline editor with command completion and a history file.
pub struct Terminal {
    editor: Editor<Commands, DefaultHistory>,
    history: Option<PathBuf>,
    /// Set by [`LineLimit`] when it dropped keys of the line being read.
    overflowed: Arc<AtomicBool>,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("history", &self.history)
            .finish_non_exhaustive()
    }
}

impl Terminal {
    pub fn new(history: Option<PathBuf>) -> Result<Terminal, ReadlineError> {
        let mut editor = Editor::new()?;
        editor.set_helper(Some(Commands));
        let overflowed = Arc::new(AtomicBool::new(false));
        editor.bind_sequence(
            Event::Any,
            EventHandler::Conditional(Box::new(LineLimit {
                overflowed: Arc::clone(&overflowed),
            })),
        );
        if let Some(path) = &history {
            // A missing or unreadable history is no reason not to play.
            let _ = editor.load_history(path);
        }
        Ok(Terminal {
            editor,
            history,
            overflowed,
        })
    }

    /// Something another thread can print through, above the prompt while
    /// a line is being read; `None` when the terminal cannot have one.
    pub fn printer(&mut self) -> Option<Box<dyn ExternalPrinter + Send>> {
        let printer = self.editor.create_external_printer().ok()?;
        Some(Box::new(printer))
    }
}

impl LineSource for Terminal {
    fn read(&mut self, prompt: &str) -> Result<Input, ReadlineError> {
        self.overflowed.store(false, Ordering::Relaxed);
        let read = self.editor.readline(prompt);
        // Keys dropped as they came, or a bracketed paste (one insert, so
        // linear) that still made the line too long.
        let too_long = read
            .as_ref()
            .is_ok_and(|line| line.len() > MAX_TERMINAL_LINE);
        if self.overflowed.swap(false, Ordering::Relaxed) && read.is_ok() || too_long {
            return Ok(Input::Dropped(format!(
                "That line was longer than {MAX_TERMINAL_LINE} bytes, the most a line typed here may hold. It was ignored."
            )));
        }
        match read {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = self.editor.add_history_entry(line.as_str());
                }
                Ok(Input::Line(line))
            }
            Err(ReadlineError::Interrupted) => Ok(Input::Interrupted),
            Err(ReadlineError::Eof) => Ok(Input::End),
            Err(error) => Err(error),
        }
    }

    fn echoes(&self) -> bool {
        true
    }

    fn width(&mut self) -> Option<usize> {
        self.editor
            .dimensions()
            .map(|(columns, _)| columns as usize)
    }

    fn finish(&mut self) {
        if let Some(path) = &self.history {
            if let Some(folder) = path.parent() {
                let _ = std::fs::create_dir_all(folder);
            }
            let _ = self.editor.save_history(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Vec<String> {
        // A small buffer, so lines straddle reads.
        let mut source = Plain {
            reader: std::io::BufReader::with_capacity(7, bytes),
        };
        let mut found = Vec::new();
        loop {
            match source.read("> ").unwrap() {
                Input::Line(line) => found.push(format!("line {line}")),
                Input::Dropped(reason) => found.push(format!("dropped {reason}")),
                Input::Interrupted => found.push("interrupted".into()),
                Input::End => return found,
            }
        }
    }

    /// Regression: one invalid UTF-8 byte on piped input ended the session
    /// with three error messages. The line is dropped and reading goes on.
    #[test]
    fn a_line_that_is_not_utf8_is_dropped_and_reading_goes_on() {
        assert_eq!(
            lines(b"1\nab\xffcd\n2\r\nlast"),
            [
                "line 1",
                "dropped That line is not valid UTF-8 (byte 3 of it); it was ignored.",
                "line 2",
                "line last",
            ]
        );
    }

    /// Regression: a 1 MB pasted line was read whole; now a line over
    /// 64 KiB is dropped without being kept, and the next line is read.
    #[test]
    fn a_line_over_the_limit_is_dropped_and_the_next_one_read() {
        let mut input = vec![b'x'; 1_000_000];
        input.extend_from_slice(b"\n");
        input.extend_from_slice(&vec![b'y'; MAX_LINE]);
        input.extend_from_slice(b"\nhelp\n");
        let found = lines(&input);
        assert_eq!(found.len(), 3);
        assert_eq!(
            found[0],
            "dropped That line was 1000000 bytes long; a line may hold at most 65536. It was ignored."
        );
        assert_eq!(found[1], format!("line {}", "y".repeat(MAX_LINE)));
        assert_eq!(found[2], "line help");
    }

    #[test]
    fn end_of_input_without_a_newline_still_reads_the_line() {
        assert_eq!(lines(b""), Vec::<String>::new());
        assert_eq!(lines(b"\n"), ["line "]);
        assert_eq!(lines(b"quit"), ["line quit"]);
    }

    /// A page may not take a command's name (`E0310`): the checker's list
    /// must hold every command the player can type.
    #[test]
    fn every_command_is_reserved_from_page_ids() {
        for (name, _) in super::COMMANDS {
            assert!(
                crate::graph::PLAYER_COMMANDS.contains(name),
                "`{name}` is missing from graph::PLAYER_COMMANDS"
            );
        }
    }
}
