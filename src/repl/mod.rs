//! The interactive player: presentation and commands over a
//! [`Session`]; the rules of play stay in [`crate::runtime`].
//!
//! On a terminal it uses rustyline (editing, completion, history) and wraps
//! text to the terminal's width; with piped input it reads plain lines,
//! echoes them after the prompt and never writes escape codes unless told
//! to, so `printf '1\n2\n' | fabula play story.fab` gives a clean transcript.

mod input;
mod kept;
mod screen;

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use anstyle::{AnsiColor, Style};

use crate::compile::{LoadedStory, Opening};
use crate::graph::Story;
pub use crate::render::terminal_safe;
use crate::runtime::{ChooseError, Event, Session, Status, ending_line};
use crate::slots::{self, AUTOSAVE, SeenText, SlotError, Slots};
use input::{COMMANDS, Input, LineSource, Plain, Terminal};
pub use input::{MAX_LINE, MAX_TERMINAL_LINE};
use kept::describe_save;
use rustyline::ExternalPrinter;
use screen::Screen;
pub use screen::{DEFAULT_MEASURE, MORE_PROMPT};

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorMode {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always, even when piped.
    Always,
    /// Never.
    Never,
}

/// `--color auto|always|never` on the command line: the values by name,
/// without help text per value (as the flag has always been shown).
impl clap::ValueEnum for ColorMode {
    fn value_variants<'a>() -> &'a [Self] {
        &[ColorMode::Auto, ColorMode::Always, ColorMode::Never]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            ColorMode::Auto => "auto",
            ColorMode::Always => "always",
            ColorMode::Never => "never",
        }))
    }
}

impl ColorMode {
    /// Whether to style output going to a stream, honouring NO_COLOR.
    pub fn styled(self, is_terminal: bool) -> bool {
        self.styled_with(is_terminal, std::env::var_os("NO_COLOR"))
    }

    /// [`ColorMode::styled`] with the value of NO_COLOR given, so a test
    /// can try it without a terminal or changing the environment.
    pub fn styled_with(self, is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
        match self {
            ColorMode::Always => true,
            ColorMode::Never => false,
            ColorMode::Auto => is_terminal && no_color.is_none_or(|value| value.is_empty()),
        }
    }
}

/// How to play.
#[derive(Debug, Clone, Default)]
pub struct PlayOptions {
    /// The random seed; from the clock when `None`.
    pub seed: Option<u64>,
    /// Write the transcript here when the game ends.
    pub transcript: Option<PathBuf>,
    /// Keep save slots here instead of the user's data folder.
    pub save_dir: Option<PathBuf>,
    /// When to colour the text.
    pub color: ColorMode,
    /// Wrap text to at most this many columns; `Some(0)` never wraps.
    /// At a terminal the default is [`DEFAULT_MEASURE`]; piped text is
    /// wrapped only when this is given.
    pub width: Option<usize>,
    /// Start anew even when a game of the story was kept (no question).
    pub new_game: bool,
    /// Do not dim the paragraphs read in earlier playthroughs.
    pub no_seen: bool,
    /// The story as the player named it, for the line that says how to
    /// continue a kept game (`None`: the bundled story).
    pub story: Option<PathBuf>,
}

/// What stops the player. Story runtime errors are not among them: they are
/// shown, and the player can undo, restart, load or quit.
#[derive(Debug, thiserror::Error)]
pub enum ReplError {
    /// Writing to standard output failed.
    #[error("cannot write to the terminal: {0}")]
    Output(#[from] io::Error),
    /// Reading the player's input failed.
    #[error("cannot read input: {0}")]
    Input(#[from] rustyline::error::ReadlineError),
    /// The transcript could not be written when the game ended.
    #[error("cannot write the transcript to `{path}`: {source}")]
    Transcript {
        /// The file asked for.
        path: PathBuf,
        /// Why it could not be written.
        source: io::Error,
    },
}

/// The default slot for `save` with no name.
const QUICK_SLOT: &str = "quicksave";

/// Plays a story on standard input and output until the player quits or
/// the input ends.
pub fn play(story: Arc<Story>, options: &PlayOptions) -> Result<(), ReplError> {
    let seed = seed(options);
    let session = Session::start(story, seed);
    let mut source: Box<dyn LineSource> = if is_interactive() {
        Box::new(Terminal::new(history_file())?)
    } else {
        Box::new(Plain {
            reader: io::stdin().lock(),
        })
    };
    play_session(session, source.as_mut(), None, options).map(|_| ())
}

/// What became of a game whose story was still being checked when it
/// started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The story passed its check and was played.
    Played,
    /// The check found errors, which were shown; nothing was played.
    Refused,
}

/// Plays a story whose check is still running (see
/// [`crate::compile::compile_opening`]). On a terminal the opening and the
/// first prompt appear at once; the check's diagnostics are printed above
/// the prompt as soon as it ends, and the first line typed waits for it: a
/// story with errors is refused there, before anything typed is acted on.
/// A story that passes starts afresh, with the same seed, on the checked
/// graph. With piped input, or when the opening cannot be shown apart, the
/// check is awaited first, as [`play`] callers do.
pub fn play_opening(opening: Opening, options: &PlayOptions) -> Result<Outcome, ReplError> {
    let seed = seed(options);
    let session = Session::start(Arc::clone(&opening.story), seed);
    let shown_apart = matches!(session.status(), Status::Choosing(_))
        && session.transcript().iter().all(|event| match event {
            Event::Scene { scene, .. } => opening.is_compiled(*scene),
            _ => true,
        });
    // A kept game is continued on the checked story: no opening apart.
    let kept = !options.new_game && has_autosave(&opening.story.title, options);
    if !(shown_apart && is_interactive()) || kept {
        let loaded = opening.finish();
        io::stderr().write_all(report(&loaded, stderr_styled(options.color)).as_bytes())?;
        return match loaded.story {
            Some(story) => play(Arc::new(story), options).map(|()| Outcome::Played),
            None => Ok(Outcome::Refused),
        };
    }
    let mut terminal = Terminal::new(history_file())?;
    let printer = terminal.printer();
    let pending = check_in_background(opening, printer, stdout_styled(options.color), seed)?;
    play_session(session, &mut terminal, Some(pending), options)
}

/// Waits for the opening's check on another thread, which prints the
/// diagnostics through `printer` once the opening is shown, and hands the
/// verdict to the player.
fn check_in_background(
    opening: Opening,
    mut printer: Option<Box<dyn ExternalPrinter + Send>>,
    styled: bool,
    seed: u64,
) -> io::Result<Pending> {
    let (send, verdict) = mpsc::channel();
    let (shown, opening_shown) = mpsc::channel();
    std::thread::Builder::new()
        .name("verdict".into())
        .spawn(move || {
            // The check starts once the opening is shown (or the player
            // stopped before, dropping the sender), so it neither slows the
            // opening down nor prints in the middle of it.
            let _ = opening_shown.recv();
            let loaded = opening.finish();
            let report = report(&loaded, styled);
            // Above the prompt the player is still at, a refusal says how
            // to go; printed after a line was typed (no printer), it need not.
            let above_prompt = match loaded.story {
                Some(_) => report.clone(),
                None => format!("{report}Press Enter to leave.\n"),
            };
            let printed = report.is_empty()
                || printer
                    .as_mut()
                    .is_some_and(|printer| printer.print(above_prompt).is_ok());
            // The player may have left already; then nobody needs the verdict.
            let _ = send.send(Verdict {
                story: loaded.story,
                report,
                printed,
            });
        })?;
    Ok(Pending {
        verdict,
        seed,
        shown: Some(shown),
    })
}

/// Plays `session` with lines from `source`.
fn play_session(
    session: Session,
    source: &mut dyn LineSource,
    pending: Option<Pending>,
    options: &PlayOptions,
) -> Result<Outcome, ReplError> {
    let interactive = is_interactive();
    let slots = Slots::for_story(&session.story().title, options.save_dir.as_deref());
    // Only a player at a terminal collects endings and seen text, has the
    // game kept and is asked questions; a script is not.
    let seen = match &slots {
        Ok(slots) if interactive && !options.no_seen => Some(slots.seen_text()),
        _ => None,
    };
    let mut player = Player {
        slots,
        record_endings: interactive,
        at_terminal: interactive,
        session,
        pending,
        options: options.clone(),
        out: Screen::new(io::stdout().lock(), interactive, options.width)
            .with_fallback_width(if interactive { source.width() } else { None }),
        styled: stdout_styled(options.color),
        earlier_games: String::new(),
        pages_read: Vec::new(),
        seen,
        read_this_game: HashSet::new(),
        before_restart: None,
        autosave_failed: false,
    };
    let result = player.run(source);
    source.finish();
    if let Ok(Outcome::Refused) = result {
        // Nothing was played: there is no transcript to keep.
        return result;
    }
    let transcript = player.write_transcript();
    result.and_then(|outcome| transcript.map(|()| outcome))
}

/// The check's result, from the thread that waited for it.
struct Verdict {
    story: Option<Story>,
    /// The diagnostics, rendered.
    report: String,
    /// Whether `report` is on the screen already.
    printed: bool,
}

/// A check still running while the player shows the opening.
struct Pending {
    verdict: mpsc::Receiver<Verdict>,
    /// The seed the opening was played with; the checked story starts
    /// with it too, so it shows the same opening.
    seed: u64,
    /// Told once the opening is on the screen.
    shown: Option<mpsc::Sender<()>>,
}

fn is_interactive() -> bool {
    io::stdin().is_terminal() && io::stdout().is_terminal()
}

/// Whether a game of the story is kept in its autosave slot.
fn has_autosave(title: &str, options: &PlayOptions) -> bool {
    is_interactive()
        && Slots::for_story(title, options.save_dir.as_deref())
            .is_ok_and(|slots| slots.path(AUTOSAVE).is_ok_and(|path| path.is_file()))
}

fn history_file() -> Option<PathBuf> {
    slots::data_dir().map(|dir| dir.join("fabula").join("history.txt"))
}

fn stdout_styled(color: ColorMode) -> bool {
    color.styled(io::stdout().is_terminal())
}

fn stderr_styled(color: ColorMode) -> bool {
    color.styled(io::stderr().is_terminal())
}

/// A compile's diagnostics as `fabula check` prints them and, when the
/// story has errors, a line saying it cannot be played.
pub fn report(loaded: &LoadedStory, styled: bool) -> String {
    let mut shown = crate::render::ShownCount::new(crate::render::DEFAULT_MAX_DIAGNOSTICS);
    let mut report: String = loaded
        .diagnostics
        .iter()
        .filter(|_| shown.admit())
        .map(|diagnostic| crate::render::human(diagnostic, &loaded.sources, styled) + "\n\n")
        .collect();
    if let Some(line) = shown.held_back_line() {
        report.push_str(&line);
        report.push_str("\n\n");
    }
    if loaded.story.is_none() {
        let errors = loaded.errors();
        let plural = if errors == 1 { "" } else { "s" };
        report.push_str(&format!(
            "The story has {errors} error{plural}, so it cannot be played.\n"
        ));
    }
    report
}

fn seed(options: &PlayOptions) -> u64 {
    options.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos() as u64)
    })
}

/// What to do after a line.
enum Flow {
    Continue,
    Quit,
}

struct Player<W> {
    session: Session,
    /// Whether an ending reached is added to the story's record of
    /// endings found (see [`Slots::found_endings`]).
    record_endings: bool,
    /// The check of the story, while it runs.
    pending: Option<Pending>,
    slots: Result<Slots, SlotError>,
    /// Whether the player is at a terminal: the game is autosaved, and
    /// `restart` and a kept game ask first.
    at_terminal: bool,
    options: PlayOptions,
    out: Screen<W>,
    styled: bool,
    /// Transcripts of games ended by `restart` or replaced by `load`.
    earlier_games: String,
    /// Pages opened in this game, for `--transcript`: each with how long
    /// the game's transcript was when it was opened. Not in the game's own
    /// transcript (`history`), which is of what happened.
    pages_read: Vec<(usize, String)>,
    /// The paragraphs read in this story, when they are shown dimmed.
    seen: Option<SeenText>,
    /// The hashes of paragraphs first read in this playthrough: not dimmed
    /// when met again in it.
    read_this_game: HashSet<u64>,
    /// The game a `restart` replaced, and how long `earlier_games` was
    /// before it: `undo` at the start of the new game brings it back.
    before_restart: Option<(Session, usize)>,
    /// Whether the player was told the autosave failed (told once).
    autosave_failed: bool,
}

impl<W: Write> Player<W> {
    fn run(&mut self, source: &mut dyn LineSource) -> Result<Outcome, ReplError> {
        self.title()?;
        if self.pending.is_none() && self.at_terminal && !self.options.new_game {
            match self.offer_kept_game(source)? {
                Flow::Continue => {}
                Flow::Quit => return Ok(Outcome::Played),
            }
        }
        self.out.hold();
        self.show_position()?;
        self.out.page(source)?;
        self.out.flush()?;
        if let Some(shown) = self
            .pending
            .as_mut()
            .and_then(|pending| pending.shown.take())
        {
            let _ = shown.send(());
        }
        loop {
            let prompt = "> ";
            let line = match source.read(prompt)? {
                Input::Line(line) => line,
                Input::Dropped(reason) => {
                    self.message(&reason)?;
                    self.out.flush()?;
                    continue;
                }
                Input::Interrupted => continue,
                Input::End => {
                    let outcome = self.settle()?;
                    if outcome == Outcome::Played {
                        self.leave()?;
                    }
                    return Ok(outcome);
                }
            };
            if self.settle()? == Outcome::Refused {
                return Ok(Outcome::Refused);
            }
            if !source.echoes() {
                writeln!(self.out, "{prompt}{}", terminal_safe(&line))?;
            }
            writeln!(self.out)?;
            self.out.hold();
            let flow = self.handle(line.trim(), source);
            self.out.page(source)?;
            if let Flow::Quit = flow? {
                self.leave()?;
                return Ok(Outcome::Played);
            }
            self.out.flush()?;
        }
    }

    /// Waits for the story's check, if it is still pending: refuses a story
    /// with errors, or swaps the opening for the checked story.
    fn settle(&mut self) -> Result<Outcome, ReplError> {
        let Some(pending) = self.pending.take() else {
            return Ok(Outcome::Played);
        };
        let verdict = pending.verdict.recv().unwrap_or_else(|_| Verdict {
            story: None,
            report: "error: the story's check stopped before it finished\n".into(),
            printed: false,
        });
        if !verdict.printed {
            io::stderr().write_all(verdict.report.as_bytes())?;
        }
        let Some(story) = verdict.story else {
            return Ok(Outcome::Refused);
        };
        let session = Session::start(Arc::new(story), pending.seed);
        let same = session.transcript() == self.session.transcript()
            && session.status() == self.session.status();
        self.session = session;
        if same {
            // Shown already, from the opening.
            self.session.take_new();
        } else {
            self.show_position()?;
        }
        Ok(Outcome::Played)
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.styled {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    /// `text` wrapped to the width of now, made [`terminal_safe`] first:
    /// every story and save text the player prints passes through here.
    fn wrap(&self, text: &str, indent: &str) -> String {
        let text = terminal_safe(text);
        let text = text.as_ref();
        match self.out.width() {
            Some(width) => {
                let options = textwrap::Options::new(width).subsequent_indent(indent);
                textwrap::fill(text, options)
            }
            None => text.to_string(),
        }
    }

    fn title(&mut self) -> io::Result<()> {
        let story = Arc::clone(self.session.story());
        let title = self.paint(Style::new().bold(), &terminal_safe(&story.title));
        writeln!(self.out, "{title}")?;
        if let Some(author) = &story.author {
            writeln!(self.out, "by {}", terminal_safe(author))?;
        }
        let pages: Vec<String> = story
            .pages()
            .map(|(_, page)| format!("`{}`", page.name))
            .collect();
        if !pages.is_empty() {
            let line = format!(
                "Type {} at any time to read {}; `help` lists the commands.",
                pages.join(", "),
                if pages.len() == 1 {
                    "its page"
                } else {
                    "its pages"
                }
            );
            writeln!(self.out, "\n{}", self.wrap(&line, ""))?;
        }
        writeln!(self.out)
    }

    /// Shows a page as it reads now; the game does not move.
    fn show_page(&mut self, id: &str) -> io::Result<()> {
        let story = Arc::clone(self.session.story());
        let Some(scene) = story.scene_by_name(id) else {
            return Ok(());
        };
        let title = story.scene(scene).title.clone();
        match self.session.page(id) {
            None => Ok(()),
            Some(Err(error)) => {
                let label = self.paint(AnsiColor::Red.on_default().bold(), "error:");
                writeln!(self.out, "{label} {}\n", terminal_safe(&error.to_string()))
            }
            Some(Ok(paragraphs)) => {
                let mut record = String::new();
                if let Some(title) = &title {
                    let heading = self.paint(Style::new().bold(), &self.wrap(title, ""));
                    writeln!(self.out, "{heading}\n")?;
                    record.push_str(&format!("[{title}]\n\n"));
                }
                for (text, _) in paragraphs {
                    writeln!(self.out, "{}\n", self.wrap(&text, ""))?;
                    record.push_str(&format!("{text}\n\n"));
                }
                let at = self.session.transcript_text().len();
                self.pages_read.push((at, record));
                Ok(())
            }
        }
    }

    /// Shows the text not yet shown and what the player can do now.
    fn show_position(&mut self) -> io::Result<()> {
        let events = self.session.take_new().to_vec();
        for event in events {
            match event {
                Event::Scene {
                    title: Some(title),
                    is_ending: false,
                    ..
                } => {
                    let heading = self.paint(Style::new().bold(), &self.wrap(&title, ""));
                    writeln!(self.out, "{heading}\n")?;
                }
                Event::Paragraph { text, .. } => {
                    let wrapped = self.wrap(&text, "");
                    let wrapped = if self.read_before(&text) {
                        self.paint(Style::new().dimmed(), &wrapped)
                    } else {
                        wrapped
                    };
                    writeln!(self.out, "{wrapped}\n")?;
                }
                Event::Scene { .. } | Event::Chose { .. } => {}
            }
        }
        match self.session.status().clone() {
            Status::Failed(error) => {
                let label = self.paint(AnsiColor::Red.on_default().bold(), "error:");
                writeln!(self.out, "{label} {}\n", terminal_safe(&error.to_string()))?;
            }
            Status::Ended(ending) => {
                let line = self.paint(Style::new().bold(), &terminal_safe(&ending_line(&ending)));
                writeln!(self.out, "{line}\n")?;
                self.keep_seen();
                if self.record_endings
                    && let Ok(slots) = &self.slots
                    && let Ok(found) = slots.found_endings().add(&ending.name)
                {
                    let count = self.endings_found(&found);
                    writeln!(
                        self.out,
                        "Endings found: {count} of {}. Type `endings` to see them.\n",
                        ending.of
                    )?;
                }
            }
            Status::Choosing(_) => {}
        }
        self.show_choices()
    }

    /// Whether a paragraph was read in an earlier playthrough (and so is
    /// dimmed); remembers it as read.
    fn read_before(&mut self, text: &str) -> bool {
        let Some(seen) = &mut self.seen else {
            return false;
        };
        let hash = SeenText::hash(text);
        if seen.contains(hash) {
            return !self.read_this_game.contains(&hash);
        }
        seen.insert(hash);
        self.read_this_game.insert(hash);
        false
    }

    /// What the player can do now: the choices, the ending's menu, or how
    /// to go on from an error.
    fn show_choices(&mut self) -> io::Result<()> {
        self.out.mark_choices();
        match self.session.status().clone() {
            Status::Choosing(choices) => {
                for choice in &choices {
                    let line = match &choice.reason {
                        None => format!("{}. {}", choice.index + 1, choice.text),
                        Some(reason) => format!("{}. {} ({reason})", choice.index + 1, choice.text),
                    };
                    let line = self.wrap(&line, "   ");
                    let line = if choice.enabled {
                        line
                    } else {
                        self.paint(Style::new().dimmed(), &line)
                    };
                    writeln!(self.out, "{line}")?;
                }
            }
            Status::Ended(_) => {
                writeln!(self.out, "1. Restart\n2. Load the latest save\n3. Quit")?;
            }
            Status::Failed(_) => {
                writeln!(
                    self.out,
                    "The story cannot go on from here: type `undo`, `restart`, `load` or `quit`."
                )?;
            }
        }
        writeln!(self.out)
    }

    fn message(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "{}\n", self.wrap(text, ""))
    }

    fn handle(&mut self, line: &str, source: &mut dyn LineSource) -> Result<Flow, ReplError> {
        let (command, argument) = match line.split_once(char::is_whitespace) {
            Some((command, rest)) => (command, Some(rest.trim()).filter(|rest| !rest.is_empty())),
            None => (line, None),
        };
        if let Ok(number) = command.parse::<usize>() {
            return self.number(number);
        }
        // Commands that do not move the game leave the choices above them,
        // perhaps out of sight: they are shown again.
        let mut show_choices = true;
        match command.to_ascii_lowercase().as_str() {
            "" => {}
            "help" | "?" => {
                let mut text = String::from("Type a choice's number to choose it, or a command:\n");
                for (name, about) in COMMANDS {
                    text.push_str(&format!("  {name:<8} {about}\n"));
                }
                let story = Arc::clone(self.session.story());
                for (_, page) in story.pages() {
                    let about = match &page.title {
                        Some(title) => format!("read the page \"{title}\""),
                        None => "read this page".to_string(),
                    };
                    text.push_str(&format!("  {:<8} {about}\n", page.name));
                }
                let text = terminal_safe(&text).into_owned();
                writeln!(self.out, "{text}")?;
            }
            "save" => self.save(argument.unwrap_or(QUICK_SLOT))?,
            "load" => {
                show_choices = false;
                self.load(argument)?;
            }
            "saves" => self.list_saves()?,
            "undo" => {
                show_choices = false;
                self.undo()?;
            }
            "restart" => {
                show_choices = false;
                self.ask_restart(source)?;
            }
            "history" => {
                let transcript = self.session.transcript_text();
                writeln!(self.out, "{}", self.wrap(transcript.trim_end(), ""))?;
                writeln!(self.out)?;
            }
            "about" => {
                let about = self.session.story().about.clone();
                if about.is_empty() {
                    self.message("This story has no notes.")?;
                }
                for paragraph in about {
                    self.message(&paragraph)?;
                }
            }
            "endings" => self.list_endings()?,
            "quit" | "exit" => return Ok(Flow::Quit),
            _ if argument.is_none() && self.page_named(command).is_some() => {
                let page = self.page_named(command).unwrap_or_default();
                self.show_page(&page)?;
            }
            _ => self.message(&format!(
                "`{}` is not a command. Type a choice's number, or `help` for the commands.",
                shorten(line)
            ))?,
        }
        if show_choices {
            self.show_choices()?;
        }
        Ok(Flow::Continue)
    }

    /// A number: a choice, or an item of the ending's menu.
    fn number(&mut self, number: usize) -> Result<Flow, ReplError> {
        if let Status::Ended(_) = self.session.status() {
            match number {
                1 => self.restart()?,
                2 => self.load(None)?,
                3 => return Ok(Flow::Quit),
                _ => {
                    self.message("Type 1 to restart, 2 to load the latest save or 3 to quit.")?;
                    self.show_choices()?;
                }
            }
            return Ok(Flow::Continue);
        }
        let count = self.session.choices().len();
        let index = number.checked_sub(1).unwrap_or(usize::MAX);
        match self.session.choose(index) {
            Ok(()) => {
                self.autosave()?;
                return self
                    .show_position()
                    .map(|()| Flow::Continue)
                    .map_err(Into::into);
            }
            Err(ChooseError::Disabled(reason)) => self.message(&sentence(&reason))?,
            Err(ChooseError::NoSuchChoice(_)) => self.message(&format!(
                "There is no choice {number}; type a number from 1 to {count}."
            ))?,
            Err(ChooseError::NotAtChoices) => {
                // Which says what there is to do instead.
                self.message(
                    "There is nothing to choose now: type `undo`, `restart`, `load` or `quit`.",
                )?;
                return Ok(Flow::Continue);
            }
            Err(error) => self.message(&sentence(&error.to_string()))?,
        }
        self.show_choices()?;
        Ok(Flow::Continue)
    }

    /// The page the player typed, ignoring case as commands do.
    fn page_named(&self, typed: &str) -> Option<String> {
        let story = self.session.story();
        let found = story
            .pages()
            .find(|(_, page)| page.name == typed)
            .or_else(|| {
                story
                    .pages()
                    .find(|(_, page)| page.name.eq_ignore_ascii_case(typed))
            });
        found.map(|(_, page)| page.name.clone())
    }

    /// The game's transcript with the pages read in it, where they were read.
    fn transcript_with_pages(&self) -> String {
        let mut text = self.session.transcript_text();
        for (at, page) in self.pages_read.iter().rev() {
            if *at <= text.len() && text.is_char_boundary(*at) {
                text.insert_str(*at, page);
            }
        }
        text
    }

    /// Keeps the current game's transcript before it is replaced.
    fn finish_game(&mut self) {
        let transcript = self.transcript_with_pages();
        self.pages_read.clear();
        self.earlier_games.push_str(&transcript);
        self.earlier_games.push_str("\n* * *\n\n");
    }

    fn slots(&self) -> Result<&Slots, String> {
        self.slots
            .as_ref()
            .map_err(|error| sentence(&error.to_string()))
    }

    fn save(&mut self, slot: &str) -> io::Result<()> {
        let result = self.slots().and_then(|slots| {
            let text = self
                .session
                .save()
                .map_err(|error| sentence(&error.to_string()))?;
            slots
                .write(slot, &text)
                .map_err(|error| sentence(&error.to_string()))
        });
        match result {
            Ok(_) => self.message(&format!("Saved in slot `{slot}`.")),
            Err(error) => self.message(&error),
        }
    }

    fn load(&mut self, slot: Option<&str>) -> io::Result<()> {
        let story = Arc::clone(self.session.story());
        let result = self.slots().and_then(|slots| {
            let slot = match slot {
                Some(slot) => slot.to_string(),
                // The autosave is the game being played, not a save to go
                // back to.
                None => slots
                    .list()
                    .map_err(|error| sentence(&error.to_string()))?
                    .into_iter()
                    .map(|slot| slot.name)
                    .find(|name| name != AUTOSAVE)
                    .ok_or_else(|| "There are no saves yet.".to_string())?,
            };
            let text = slots.read(&slot).map_err(|error| match error {
                // A name of up to 64 characters, quoted as typed input is.
                SlotError::Missing(name) => {
                    format!("There is no save in slot `{}`.", shorten(&name))
                }
                other => sentence(&other.to_string()),
            })?;
            let (session, notice) =
                Session::load(story, &text).map_err(|error| slots::load_error(&slot, &error))?;
            Ok((slot, session, notice))
        });
        match result {
            Ok((slot, session, notice)) => {
                self.finish_game();
                self.session = session;
                self.before_restart = None;
                self.read_this_game.clear();
                self.message(&format!("Loaded slot `{slot}`."))?;
                if let Some(notice) = notice {
                    // One line per loss, never silent (docs/SAVES.md).
                    for line in notice.lines() {
                        self.message(&sentence(&format!("Note: {line}")))?;
                    }
                }
                self.autosave()?;
                self.show_position()
            }
            Err(error) => {
                self.message(&error)?;
                self.show_choices()
            }
        }
    }

    /// How many of the story's endings are among `found`.
    fn endings_found(&self, found: &std::collections::BTreeSet<String>) -> usize {
        let story = self.session.story();
        story
            .endings()
            .filter(|&id| found.contains(&story.scene(id).name))
            .count()
    }

    /// The endings found so far, by title; the rest only counted, so the
    /// list gives nothing away.
    fn list_endings(&mut self) -> io::Result<()> {
        let found = match self.slots() {
            Ok(slots) => slots.found_endings().read(),
            Err(error) => return self.message(&error),
        };
        let story = Arc::clone(self.session.story());
        let total = story.endings().count();
        let count = self.endings_found(&found);
        let mut text = format!("Endings found: {count} of {total}.\n");
        for id in story.endings() {
            let scene = story.scene(id);
            if found.contains(&scene.name) {
                let title = scene.title.as_deref().unwrap_or(&scene.name);
                text.push_str(&format!("  {}\n", terminal_safe(title)));
            }
        }
        if count < total {
            text.push_str(&format!("  ({} not found yet)\n", total - count));
        }
        writeln!(self.out, "{text}")
    }

    fn list_saves(&mut self) -> io::Result<()> {
        let story = Arc::clone(self.session.story());
        let listing = self
            .slots()
            .and_then(|slots| slots.list().map_err(|error| sentence(&error.to_string())));
        let list = match listing {
            Ok(list) => list,
            Err(error) => return self.message(&error),
        };
        if list.is_empty() {
            return self.message("There are no saves yet.");
        }
        let mut text = String::new();
        for slot in list {
            let place = crate::fsio::read_regular(&slot.path)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map_or_else(
                    || "(unreadable)".to_string(),
                    |save| describe_save(&story, &save),
                );
            let time = slot.modified.map(slots::format_time).unwrap_or_default();
            let line = format!(
                "  {:<12} {time}  {}",
                terminal_safe(&slot.name),
                terminal_safe(&place)
            );
            text.push_str(&self.wrap(&line, "    "));
            text.push('\n');
        }
        writeln!(self.out, "{text}")
    }

    fn write_transcript(&mut self) -> Result<(), ReplError> {
        let Some(path) = &self.options.transcript else {
            return Ok(());
        };
        let text = format!("{}{}", self.earlier_games, self.transcript_with_pages());
        crate::fsio::write_atomically(path, text.as_bytes()).map_err(|source| {
            ReplError::Transcript {
                path: path.clone(),
                source,
            }
        })
    }
}

/// A message shown alone, as a sentence: error messages start in lowercase
/// and end without a full stop; what the player reads does not.
fn sentence(text: &str) -> String {
    let mut chars = text.trim_end().chars();
    let mut sentence: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !sentence.ends_with(['.', '!', '?', '…']) {
        sentence.push('.');
    }
    sentence
}

/// The longest input quoted back to the player, in characters.
const QUOTED_INPUT: usize = 60;

/// What the player typed, as quoted back: at most [`QUOTED_INPUT`]
/// characters, without control characters (an escape sequence typed or
/// pasted is not sent back to the terminal).
fn shorten(input: &str) -> String {
    // Control characters shown as pictures, as everywhere else.
    let shown = terminal_safe(input).into_owned();
    match shown.char_indices().nth(QUOTED_INPUT) {
        Some((cut, _)) => format!("{}…", &shown[..cut]),
        None => shown,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Mutex;

    use super::*;
    use crate::compile::{Early, compile_opening_over};

    const STORY: &str = "\
var unused = 1
== gorki: Gorki
Lenin lies paralysed upstairs.
* Telephone Krupskaya
    You do not choose your words.
    -> ending quiet
* Wait for the doctors
    -> letter
== letter: The Letter
The house is quiet.
-> ending quiet
== ending quiet: A Quiet Winter
Snow covers the park.
";

    /// What the check thread printed, as a terminal would show it.
    struct Recorder(Arc<Mutex<String>>);

    impl ExternalPrinter for Recorder {
        fn print(&mut self, message: String) -> rustyline::Result<()> {
            self.0.lock().unwrap().push_str(&message);
            Ok(())
        }
    }

    /// Plays `story`'s opening while it is checked, with `input` typed.
    fn play_while_checking(story: &str, input: &str) -> (Outcome, String, String) {
        let mut read = |_: &Path| Ok(story.as_bytes().to_vec());
        let Early::Opening(opening) =
            compile_opening_over(Path::new("call.fab"), &mut read, 0).unwrap()
        else {
            panic!("the opening should be compiled apart");
        };
        let printed = Arc::new(Mutex::new(String::new()));
        let session = Session::start(Arc::clone(&opening.story), 1);
        let printer = Recorder(Arc::clone(&printed));
        let pending = check_in_background(opening, Some(Box::new(printer)), false, 1).unwrap();
        let mut player = Player {
            slots: Slots::for_story("call", Some(Path::new("unused-saves"))),
            record_endings: false,
            at_terminal: false,
            session,
            pending: Some(pending),
            options: PlayOptions::default(),
            out: Screen::new(Vec::new(), false, None),
            styled: false,
            earlier_games: String::new(),
            pages_read: Vec::new(),
            seen: None,
            read_this_game: HashSet::new(),
            before_restart: None,
            autosave_failed: false,
        };
        let outcome = player
            .run(&mut Plain {
                reader: input.as_bytes(),
            })
            .unwrap();
        let shown = String::from_utf8(player.out.into_inner()).unwrap();
        let printed = printed.lock().unwrap().clone();
        (outcome, shown, printed)
    }

    #[test]
    fn messages_are_sentences_and_quote_input_shortened() {
        assert_eq!(sentence("cannot save now"), "Cannot save now.");
        assert_eq!(sentence("You need two keys."), "You need two keys.");
        assert_eq!(sentence("Really?"), "Really?");
        assert_eq!(shorten("hello"), "hello");
        assert_eq!(shorten("\u{1b}[2Jhi"), "␛[2Jhi");
        let long = "é".repeat(61);
        assert_eq!(shorten(&long), format!("{}…", "é".repeat(60)));
    }

    #[test]
    fn a_story_that_passes_its_check_plays_on_the_checked_graph() {
        let (outcome, shown, printed) = play_while_checking(STORY, "1\nundo\n");
        assert_eq!(outcome, Outcome::Played);
        assert!(printed.contains("warning[W0002]: variable `unused` is never read"));
        assert!(!printed.contains("cannot be played"), "{printed}");
        // The opening once, then the game goes on.
        assert_eq!(
            shown.matches("Lenin lies paralysed upstairs.").count(),
            2,
            "{shown}"
        );
        assert!(shown.contains("You do not choose your words."), "{shown}");
        assert!(
            shown.contains("THE END: A Quiet Winter (ending 1 of 1)"),
            "{shown}"
        );
        assert!(shown.contains("Undone."), "{shown}");
    }

    #[test]
    fn a_story_with_errors_is_refused_before_the_first_line_is_acted_on() {
        let story = STORY.replace("quiet.\n-> ending quiet", "quiet.\n-> ending quite");
        for input in ["1\n", "quit\n", ""] {
            let (outcome, shown, printed) = play_while_checking(&story, input);
            assert_eq!(outcome, Outcome::Refused, "{input:?}");
            assert!(
                printed.contains("error[E0104]: unknown divert target `quite`"),
                "{printed}"
            );
            assert!(printed.contains("The story has 1 error, so it cannot be played."));
            assert!(printed.ends_with("Press Enter to leave.\n"), "{printed}");
            assert!(shown.contains("Lenin lies paralysed upstairs."), "{shown}");
            assert!(!shown.contains("You do not choose your words."), "{shown}");
        }
    }
    #[test]
    fn terminal_safe_shows_controls_as_pictures() {
        assert!(matches!(
            terminal_safe("Plain text, é, 中文\n\tindented"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            terminal_safe("a\x1b]0;title\x07b\x1b[2Jc\rd\x7f\u{9b}e\u{202e}f\u{2066}"),
            "a\u{241b}]0;title\u{2407}b\u{241b}[2Jc\u{240d}d\u{2421}\u{fffd}e\u{fffd}f\u{fffd}"
        );
        assert_eq!(terminal_safe("\0"), "\u{2400}");
    }
}
