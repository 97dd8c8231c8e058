//! Where the player's output goes: text wrapped to the terminal's width,
//! read again at every paragraph so a resize applies at once and capped at
//! a readable measure, and a response taller than the window paged with a
//! "more" prompt. Piped output is never paged, and wrapped only to a
//! `--width` given.

use std::io::{self, Write};

use super::input::{Input, LineSource};

/// The widest text is wrapped to by default: lines much longer than this
/// are hard to read, however wide the terminal.
pub const DEFAULT_MEASURE: usize = 100;

/// Narrower than this, wrapping makes a mess of the text: it is not
/// wrapped.
const NARROWEST: usize = 20;

/// What the more prompt says.
pub const MORE_PROMPT: &str = "-- more: Enter to go on, q for the choices -- ";

/// Output to the player.
#[derive(Debug)]
pub struct Screen<W> {
    out: W,
    /// Wrap to at most this many columns; `0` never wraps.
    measure: usize,
    /// Whether the output is a terminal, whose size is read as it is
    /// needed; otherwise `measure` is the width, if a `--width` was given.
    terminal: bool,
    /// Whether `--width` was given (when piped, only then is text wrapped).
    measure_given: bool,
    /// The terminal's width as rustyline saw it at the start, for where
    /// the size cannot be asked again (not on Unix).
    fallback_width: Option<usize>,
    /// The window's size when it is not the terminal's (in tests).
    size: Option<(usize, usize)>,
    /// The response being written, held to be paged; `None` when not.
    held: Option<String>,
    /// Where in `held` the choices start.
    choices_at: Option<usize>,
}

impl<W: Write> Screen<W> {
    pub fn new(out: W, terminal: bool, width: Option<usize>) -> Screen<W> {
        Screen {
            out,
            measure: width.unwrap_or(DEFAULT_MEASURE),
            terminal,
            measure_given: width.is_some(),
            fallback_width: None,
            size: None,
            held: None,
            choices_at: None,
        }
    }

    /// The width to use when the terminal's cannot be read as it changes.
    pub fn with_fallback_width(mut self, width: Option<usize>) -> Screen<W> {
        self.fallback_width = width;
        self
    }

    /// A screen of a fixed size, as a terminal of that size shows it.
    #[cfg(test)]
    pub fn of_size(out: W, columns: usize, rows: usize) -> Screen<W> {
        let mut screen = Screen::new(out, true, None);
        screen.size = Some((columns, rows));
        screen
    }

    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }

    /// The width to wrap to now: the terminal's (`$COLUMNS` when set),
    /// read at each call, capped at the measure; `None` for no wrapping.
    pub fn width(&self) -> Option<usize> {
        if self.measure == 0 {
            return None;
        }
        if !self.terminal {
            return self.measure_given.then_some(self.measure);
        }
        let columns = self
            .size
            .map(|(columns, _)| columns)
            .or_else(|| env_size("COLUMNS"))
            .or_else(|| self.size().map(|(columns, _)| columns))
            .or(self.fallback_width)
            .unwrap_or(self.measure);
        Some(columns.min(self.measure)).filter(|&width| width >= NARROWEST)
    }

    /// Starts holding a response, to page it at [`Screen::page`]; only at a
    /// terminal whose height is known.
    pub fn hold(&mut self) {
        if self.terminal && self.rows().is_some() {
            self.held = Some(String::new());
            self.choices_at = None;
        }
    }

    /// Marks where the choices start in the response held: `q` at the more
    /// prompt skips to them.
    pub fn mark_choices(&mut self) {
        if let Some(held) = &self.held {
            self.choices_at = Some(held.len());
        }
    }

    /// Writes the response held: at once when it fits the window, else a
    /// window at a time with the more prompt between.
    pub fn page(&mut self, source: &mut dyn LineSource) -> io::Result<()> {
        let Some(held) = self.held.take() else {
            return Ok(());
        };
        let choices_at = self.choices_at.take().unwrap_or(held.len());
        // A row for the prompt that follows.
        let window = self.rows().unwrap_or(usize::MAX).saturating_sub(1).max(1);
        let columns = self
            .size()
            .map_or(usize::MAX, |(columns, _)| columns.max(1));
        let mut start = 0;
        let mut shown_rows = 0;
        for (line_start, line) in line_starts(&held) {
            let height = textwrap::core::display_width(line).div_ceil(columns).max(1);
            if shown_rows + height > window && start < line_start {
                self.out.write_all(&held.as_bytes()[start..line_start])?;
                self.out.flush()?;
                start = line_start;
                shown_rows = 0;
                let skip = match source
                    .read(MORE_PROMPT)
                    .map_err(|error| io::Error::other(error.to_string()))?
                {
                    Input::Line(line) => line.trim().eq_ignore_ascii_case("q"),
                    // An unreadable line at the "more" prompt pages on.
                    Input::Dropped(_) => false,
                    Input::Interrupted | Input::End => true,
                };
                if skip {
                    if choices_at > start {
                        start = choices_at;
                        // The line the text was skipped from.
                        self.out.write_all(b"\n")?;
                    }
                    break;
                }
            }
            shown_rows += height;
        }
        self.out.write_all(&held.as_bytes()[start..])
    }
}

/// Each line of `text` with the offset where it starts.
fn line_starts(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = offset;
        offset += line.len();
        (start, line.trim_end_matches('\n'))
    })
}

impl<W: Write> Write for Screen<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match &mut self.held {
            Some(held) => {
                held.push_str(&String::from_utf8_lossy(bytes));
                Ok(bytes.len())
            }
            None => self.out.write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A size from the environment (`COLUMNS`, `LINES`), when set.
fn env_size(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.trim().parse().ok()
}

impl<W> Screen<W> {
    /// The window's columns and rows: as given (a test's), else the
    /// terminal's now.
    fn size(&self) -> Option<(usize, usize)> {
        self.size.or_else(terminal_size)
    }

    /// The window's height: as given, else `$LINES` when set, else the
    /// terminal's.
    fn rows(&self) -> Option<usize> {
        self.size
            .map(|(_, rows)| rows)
            .or_else(|| env_size("LINES"))
            .or_else(|| self.size().map(|(_, rows)| rows))
            .filter(|&rows| rows >= 2)
    }
}

/// The terminal's columns and rows, asked of the terminal on standard
/// output each time (no process is started).
#[cfg(unix)]
fn terminal_size() -> Option<(usize, usize)> {
    let size = rustix::termios::tcgetwinsize(io::stdout()).ok()?;
    (size.ws_col > 0 && size.ws_row > 0)
        .then_some((usize::from(size.ws_col), usize::from(size.ws_row)))
}

#[cfg(not(unix))]
fn terminal_size() -> Option<(usize, usize)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repl::input::Plain;

    #[test]
    fn piped_output_is_wrapped_only_to_a_width_given() {
        assert_eq!(Screen::new(Vec::new(), false, None).width(), None);
        assert_eq!(Screen::new(Vec::new(), false, Some(30)).width(), Some(30));
        assert_eq!(Screen::new(Vec::new(), false, Some(0)).width(), None);
    }

    #[test]
    fn lines_are_found_with_their_offsets() {
        let lines: Vec<_> = line_starts("ab\n\ncd").collect();
        assert_eq!(lines, [(0, "ab"), (3, ""), (4, "cd")]);
    }

    /// Ten lines of text, then the choices, held and paged on a window of
    /// `rows` rows with `typed` typed at the more prompts.
    fn paged(rows: usize, typed: &str) -> String {
        let mut screen = Screen::of_size(Vec::new(), 80, rows);
        screen.hold();
        for line in 1..=10 {
            writeln!(screen, "line {line}").unwrap();
        }
        screen.mark_choices();
        writeln!(screen, "1. Go on").unwrap();
        screen
            .page(&mut Plain {
                reader: typed.as_bytes(),
            })
            .unwrap();
        String::from_utf8(screen.into_inner()).unwrap()
    }

    #[test]
    fn a_response_that_fits_is_not_paged() {
        let shown = paged(12, "");
        assert_eq!(shown.lines().count(), 11, "{shown}");
        assert!(shown.ends_with("line 10\n1. Go on\n"), "{shown}");
    }

    #[test]
    fn a_taller_response_is_paged_and_q_skips_to_the_choices() {
        // Pages of 5 rows (one is kept for the prompt): Enter shows more.
        let shown = paged(6, "\n\n");
        assert!(shown.starts_with("line 1\n"), "{shown}");
        assert!(shown.ends_with("line 10\n1. Go on\n"), "{shown}");
        // q after the first page: the choices, not the rest.
        let shown = paged(6, "q\n");
        assert_eq!(
            shown,
            "line 1\nline 2\nline 3\nline 4\nline 5\n\n1. Go on\n"
        );
        // The end of input at the prompt skips too.
        assert_eq!(paged(6, ""), shown);
    }

    #[test]
    fn the_width_is_the_windows_capped_at_the_measure() {
        assert_eq!(Screen::of_size(Vec::<u8>::new(), 60, 24).width(), Some(60));
        assert_eq!(
            Screen::of_size(Vec::<u8>::new(), 300, 24).width(),
            Some(100)
        );
        assert_eq!(Screen::of_size(Vec::<u8>::new(), 10, 24).width(), None);
    }

    #[test]
    fn nothing_held_is_written_as_it_comes() {
        let mut screen = Screen::new(Vec::new(), false, None);
        screen.hold();
        write!(screen, "text").unwrap();
        screen.page(&mut Plain { reader: &b""[..] }).unwrap();
        assert_eq!(screen.into_inner(), b"text");
    }
}
