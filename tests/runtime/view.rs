//! The player's view on a real pseudo-terminal (issue #13): a kept game is
//! continued, restart asks and undo brings the game back, choices are shown
//! again after a refusal, text re-wraps as the window is resized, a long
//! response pauses with a more prompt, and text read before is dimmed.

#![cfg(unix)]

use std::path::Path;
use std::time::Duration;

use rexpect::session::PtySession;

const STORY: &str = "\
title: The Telephone Call
var rudeness = 0
== gorki: Gorki
Lenin lies paralysed upstairs.
* Telephone Krupskaya
    ~ rudeness += 1
    You do not choose your words.
    -> letter
* Wait for the doctors
    -> letter
* [requires rudeness > 0: \"Nobody has called yet.\"] Apologise
    -> letter
== letter: The Letter
{rudeness > 0: Krupskaya has written to Kamenev.|The house is quiet.}
* Go on
    -> ending quiet
== ending quiet: A Quiet Winter
Snow covers the park.
";

/// `fabula play` on a pseudo-terminal in `dir`, with `COLUMNS` and `LINES`
/// unset so the terminal's own size counts.
fn spawn(dir: &Path, extra: &[&str]) -> PtySession {
    let binary = assert_cmd::cargo::cargo_bin("fabula");
    let mut command = std::process::Command::new(binary);
    command
        .args(["play", "--seed", "1", "--save-dir"])
        .arg(dir.join("saves"))
        .arg(dir.join("story.fab"))
        .args(extra)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("TERM", "xterm")
        .env_remove("COLUMNS")
        .env_remove("LINES")
        .env_remove("NO_COLOR");
    rexpect::session::spawn_command(command, Some(20_000)).unwrap()
}

/// Waits for `text`, returning what came before it.
fn expect(pty: &mut PtySession, text: &str) -> String {
    pty.exp_string(text)
        .unwrap_or_else(|error| panic!("waiting for {text:?}: {error}"))
}

/// Waits for the prompt, returning what came before it; input is sent only
/// once it is up and rustyline has stopped reading the terminal's answer
/// to its cursor-position query (keys sent inside that window are eaten).
fn prompt(pty: &mut PtySession) -> String {
    let before = expect(pty, "> ");
    std::thread::sleep(Duration::from_millis(300));
    before
}

/// Sets the terminal's size, as a window resized does (the player is sent
/// SIGWINCH).
fn resize(pty: &PtySession, columns: u16, rows: u16) {
    let master = pty.process().get_file_handle().unwrap();
    let size = rustix::termios::Winsize {
        ws_row: rows,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(&master, size).unwrap();
}

fn exits_cleanly(pty: &mut PtySession) -> String {
    let rest = pty.exp_eof().unwrap();
    let status = format!("{:?}", pty.process().wait().unwrap());
    assert!(status.ends_with(", 0)"), "{status}");
    rest
}

fn scratch(name: &str, story: &str) -> std::path::PathBuf {
    let dir = super::scratch(name);
    std::fs::write(dir.join("story.fab"), story).unwrap();
    dir
}

#[test]
fn a_game_quit_is_continued_at_the_same_choice_with_the_same_state() {
    let dir = scratch("view-kept", STORY);
    let mut pty = spawn(&dir, &["--color", "never"]);
    prompt(&mut pty);
    pty.send_line("1").unwrap();
    expect(&mut pty, "Krupskaya has written to Kamenev.");
    prompt(&mut pty);
    pty.send_line("quit").unwrap();
    let rest = exits_cleanly(&mut pty);
    assert!(rest.contains("Your game is kept."), "{rest}");
    assert!(rest.contains("To continue it, run `fabula play"), "{rest}");
    assert!(dir.join("saves/autosave.ron").exists());

    let mut pty = spawn(&dir, &["--color", "never"]);
    expect(
        &mut pty,
        "A game of this story is kept: The Letter, 1 choice made",
    );
    expect(&mut pty, "Press Enter to continue it, or type `new`: ");
    std::thread::sleep(Duration::from_millis(300));
    pty.send_line("").unwrap();
    expect(&mut pty, "Continuing the kept game.");
    // The text since the last choice, which depends on the state kept.
    expect(&mut pty, "Krupskaya has written to Kamenev.");
    expect(&mut pty, "1. Go on");
    prompt(&mut pty);
    // `saves` lists the kept game with its time, scene and choices.
    pty.send_line("saves").unwrap();
    let listing = prompt(&mut pty);
    assert!(listing.contains("autosave"), "{listing}");
    assert!(
        listing.contains("UTC  The Letter, 1 choice made"),
        "{listing}"
    );
    // Ctrl-D keeps the game too.
    pty.send_control('d').unwrap();
    let rest = exits_cleanly(&mut pty);
    assert!(rest.contains("Your game is kept."), "{rest}");

    // --new asks nothing and starts anew.
    let mut pty = spawn(&dir, &["--color", "never", "--new"]);
    let opening = prompt(&mut pty);
    assert!(!opening.contains("is kept"), "{opening}");
    assert!(
        opening.contains("Lenin lies paralysed upstairs."),
        "{opening}"
    );
    pty.send_line("2").unwrap();
    expect(&mut pty, "The house is quiet.");
    prompt(&mut pty);
    pty.send_line("1").unwrap();
    expect(&mut pty, "THE END: A Quiet Winter");
    prompt(&mut pty);
    // An ended game needs no keeping.
    assert!(!dir.join("saves/autosave.ron").exists());
    pty.send_line("quit").unwrap();
    let rest = exits_cleanly(&mut pty);
    assert!(!rest.contains("is kept"), "{rest}");
}

#[test]
fn restart_asks_first_and_undo_brings_the_game_before_back() {
    let dir = scratch("view-restart", STORY);
    let mut pty = spawn(&dir, &["--color", "never"]);
    prompt(&mut pty);
    pty.send_line("1").unwrap();
    expect(&mut pty, "Krupskaya has written to Kamenev.");
    prompt(&mut pty);
    pty.send_line("restart").unwrap();
    expect(&mut pty, "Start the story again? (y/N) ");
    std::thread::sleep(Duration::from_millis(300));
    pty.send_line("n").unwrap();
    expect(&mut pty, "The game goes on.");
    expect(&mut pty, "1. Go on");
    prompt(&mut pty);
    pty.send_line("restart").unwrap();
    expect(&mut pty, "Start the story again? (y/N) ");
    std::thread::sleep(Duration::from_millis(300));
    pty.send_line("y").unwrap();
    expect(&mut pty, "Starting again.");
    expect(&mut pty, "1. Telephone Krupskaya");
    prompt(&mut pty);
    pty.send_line("undo").unwrap();
    expect(&mut pty, "Back to the game before the restart.");
    expect(&mut pty, "1. Go on");
    prompt(&mut pty);
    pty.send_line("1").unwrap();
    expect(&mut pty, "THE END: A Quiet Winter");
    prompt(&mut pty);
    pty.send_line("quit").unwrap();
    exits_cleanly(&mut pty);
}

#[test]
fn a_refused_choice_or_input_shows_the_choices_again() {
    let dir = scratch("view-refused", STORY);
    let mut pty = spawn(&dir, &["--color", "never"]);
    prompt(&mut pty);
    pty.send_line("3").unwrap();
    expect(&mut pty, "Nobody has called yet.");
    let again = prompt(&mut pty);
    assert!(again.contains("1. Telephone Krupskaya"), "{again}");
    assert!(again.contains("3. Apologise"), "{again}");
    let long = "x".repeat(200);
    pty.send_line(&long).unwrap();
    // Quoted back at most 60 characters.
    let refusal = expect(&mut pty, "` is not a");
    // rexpect reads bytes as characters: the `…` is not matched here.
    let quoted = refusal.rsplit('`').next().unwrap();
    assert_eq!(
        quoted.chars().take_while(|&c| c == 'x').count(),
        60,
        "{refusal}"
    );
    let again = prompt(&mut pty);
    assert!(again.contains("2. Wait for the doctors"), "{again}");
    pty.send_line("save ../up").unwrap();
    expect(
        &mut pty,
        "A slot name can only have letters, digits, `-` and `_`, and this one has '.'.",
    );
    let again = prompt(&mut pty);
    assert!(again.contains("2. Wait for the doctors"), "{again}");
    pty.send_line("quit").unwrap();
    exits_cleanly(&mut pty);
}

/// A sticky choice that shows the same long paragraph again, so it can be
/// seen wrapped before and after a resize.
const LONG: &str = "\
title: Wrapping
== room: Room
Here.
+ Look
    aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp
    -> room
* Leave -> ending out
== ending out: Out
Gone.
";

#[test]
fn a_resize_between_two_paragraphs_rewraps_the_next() {
    let dir = scratch("view-resize", LONG);
    let mut pty = spawn(&dir, &["--color", "never"]);
    resize(&pty, 60, 40);
    prompt(&mut pty);
    pty.send_line("1").unwrap();
    expect(&mut pty, "llll\r\nmmmm nnnn oooo pppp");
    prompt(&mut pty);
    resize(&pty, 30, 40);
    pty.send_line("1").unwrap();
    expect(&mut pty, "ffff\r\ngggg hhhh");
    prompt(&mut pty);
    // The measure caps a wide window.
    resize(&pty, 200, 40);
    pty.send_line("1").unwrap();
    expect(&mut pty, "pppp\r\n");
    prompt(&mut pty);
    pty.send_line("quit").unwrap();
    exits_cleanly(&mut pty);

    let mut pty = spawn(&dir, &["--color", "never", "--new", "--width", "30"]);
    resize(&pty, 60, 40);
    prompt(&mut pty);
    pty.send_line("1").unwrap();
    expect(&mut pty, "ffff\r\ngggg hhhh");
    prompt(&mut pty);
    pty.send_line("quit").unwrap();
    exits_cleanly(&mut pty);
}

/// A response of 30 paragraphs, then short ones.
fn tall_story() -> String {
    let paragraphs: String = (1..=30).map(|n| format!("    Line {n}.\n")).collect();
    format!(
        "title: Tall\n== room: Room\nHere.\n+ Read\n{paragraphs}    -> room\n+ Wait\n    Time passes.\n    -> room\n* Leave -> ending out\n== ending out: Out\nGone.\n"
    )
}

#[test]
fn only_a_response_taller_than_the_window_pauses_for_more() {
    let dir = scratch("view-more", &tall_story());
    let mut pty = spawn(&dir, &["--color", "never"]);
    resize(&pty, 80, 24);
    prompt(&mut pty);
    pty.send_line("2").unwrap();
    let short = prompt(&mut pty);
    assert!(short.contains("Time passes."), "{short}");
    assert!(!short.contains("-- more"), "{short}");
    pty.send_line("1").unwrap();
    let first_page = expect(&mut pty, "-- more: Enter to go on, q for the choices -- ");
    assert!(first_page.contains("Line 1."), "{first_page}");
    assert!(!first_page.contains("Line 30."), "{first_page}");
    // Some 65 rows in pages of 23: three pages.
    std::thread::sleep(Duration::from_millis(300));
    pty.send_line("").unwrap();
    expect(&mut pty, "-- more");
    std::thread::sleep(Duration::from_millis(300));
    pty.send_line("").unwrap();
    expect(&mut pty, "Line 30.");
    prompt(&mut pty);
    // `q` skips to the choices.
    pty.send_line("1").unwrap();
    expect(&mut pty, "-- more: Enter to go on, q for the choices -- ");
    std::thread::sleep(Duration::from_millis(300));
    pty.send_line("q").unwrap();
    let rest = expect(&mut pty, "1. Read");
    assert!(!rest.contains("Line 30."), "{rest}");
    prompt(&mut pty);
    pty.send_line("quit").unwrap();
    exits_cleanly(&mut pty);
}

#[test]
fn text_read_in_an_earlier_playthrough_is_dimmed() {
    let dir = scratch("view-seen", STORY);
    let dim = "\u{1b}[2m";
    let mut pty = spawn(&dir, &["--color", "always"]);
    let before = expect(&mut pty, "Lenin lies paralysed upstairs.");
    assert!(!before.ends_with(dim), "{before:?}");
    prompt(&mut pty);
    pty.send_line("2").unwrap();
    let before = expect(&mut pty, "The house is quiet.");
    assert!(!before.ends_with(dim), "{before:?}");
    prompt(&mut pty);
    pty.send_line("quit").unwrap();
    exits_cleanly(&mut pty);

    let mut pty = spawn(&dir, &["--color", "always", "--new"]);
    let before = expect(&mut pty, "Lenin lies paralysed upstairs.");
    assert!(before.ends_with(dim), "{before:?}");
    prompt(&mut pty);
    pty.send_line("1").unwrap();
    // Not read before: not dimmed.
    let before = expect(&mut pty, "You do not choose your words.");
    assert!(!before.ends_with(dim), "{before:?}");
    prompt(&mut pty);
    pty.send_line("quit").unwrap();
    exits_cleanly(&mut pty);

    // --no-seen shows it plainly.
    let mut pty = spawn(&dir, &["--color", "always", "--new", "--no-seen"]);
    let before = expect(&mut pty, "Lenin lies paralysed upstairs.");
    assert!(!before.ends_with(dim), "{before:?}");
    prompt(&mut pty);
    pty.send_line("quit").unwrap();
    exits_cleanly(&mut pty);
}

/// Piped play keeps nothing and asks nothing, even with a kept game there.
#[test]
fn piped_play_never_autosaves_nor_asks() {
    let dir = scratch("view-piped", STORY);
    let output = assert_cmd::Command::cargo_bin("fabula")
        .unwrap()
        .args(["play", "--seed", "1", "--save-dir"])
        .arg(dir.join("saves"))
        .arg(dir.join("story.fab"))
        .write_stdin("1\nquit\n")
        .output()
        .unwrap();
    assert!(output.status.success());
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(!shown.contains("is kept"), "{shown}");
    assert!(!dir.join("saves/autosave.ron").exists());
    assert!(!dir.join("saves/seen-text.txt").exists());
}

/// Piped text is wrapped only to a `--width` given, which has a range.
#[test]
fn piped_play_is_wrapped_only_to_a_width_given() {
    let dir = scratch("view-piped-width", LONG);
    let play = |width: Option<&str>| {
        let mut command = assert_cmd::Command::cargo_bin("fabula").unwrap();
        command
            .args(["play", "--seed", "1", "--save-dir"])
            .arg(dir.join("saves"))
            .arg(dir.join("story.fab"));
        if let Some(width) = width {
            command.args(["--width", width]);
        }
        command.write_stdin("1\n").output().unwrap()
    };
    let unwrapped = String::from_utf8(play(None).stdout).unwrap();
    assert!(unwrapped.contains("mmmm nnnn oooo pppp\n"), "{unwrapped}");
    assert!(unwrapped.contains("aaaa bbbb"), "{unwrapped}");
    assert!(!unwrapped.contains("ffff\ngggg"), "{unwrapped}");
    let wrapped = String::from_utf8(play(Some("30")).stdout).unwrap();
    assert!(wrapped.contains("ffff\ngggg hhhh"), "{wrapped}");
    let refused = play(Some("1001"));
    assert_eq!(refused.status.code(), Some(2));
}
