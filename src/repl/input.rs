//! Where the player's lines come from: rustyline on a terminal (editing,
//! tab completion of commands, line history), plain lines otherwise.

use std::io::BufRead;
use std::path::PathBuf;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, ExternalPrinter, Helper};

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

/// One read.
#[derive(Debug)]
pub enum Input {
    Line(String),
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
    fn read(&mut self, _prompt: &str) -> Result<Input, ReadlineError> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Ok(Input::End);
        }
        Ok(Input::Line(line.trim_end_matches(['\n', '\r']).to_string()))
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

/// A rustyline editor with command completion and a history file.
pub struct Terminal {
    editor: Editor<Commands, DefaultHistory>,
    history: Option<PathBuf>,
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
        if let Some(path) = &history {
            // A missing or unreadable history is no reason not to play.
            let _ = editor.load_history(path);
        }
        Ok(Terminal { editor, history })
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
        match self.editor.readline(prompt) {
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
