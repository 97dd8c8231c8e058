//! The player on a real pseudo-terminal: wrapped text, choosing, undo,
//! save and load, tab completion, Ctrl-C and Ctrl-D. rexpect makes its own
//! pty, so this runs under CI with no controlling terminal.

use std::path::Path;

const STORY: &str = "\
title: The Telephone Call
author: Fabula examples
var rudeness = 0
== gorki: Gorki
Lenin lies paralysed in the upstairs room while the doctors argue in the corridor below.
* Telephone Krupskaya
    ~ rudeness += 1
    You do not choose your words.
    -> letter
* Wait for the doctors
    -> letter
== letter: The Letter
{rudeness > 0: Krupskaya has written to Kamenev.|The house is quiet.}
-> ending quiet
== ending quiet: A Quiet Winter
Snow covers the park.
";

#[cfg(unix)]
#[test]
fn plays_on_a_pseudo_terminal() {
    let dir = super::scratch("terminal");
    let story = dir.join("call.fab");
    std::fs::write(&story, STORY).unwrap();
    let binary = assert_cmd::cargo::cargo_bin("fabula");
    let mut command = std::process::Command::new(binary);
    command
        .args(["play", "--seed", "1", "--color", "never", "--save-dir"])
        .arg(dir.join("saves"))
        .arg(&story)
        .env("HOME", &dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("TERM", "xterm")
        .env("COLUMNS", "40")
        .env_remove("NO_COLOR");
    let mut pty = rexpect::session::spawn_command(command, Some(20_000)).unwrap();
    // Input is sent only once the prompt is up, so no keystroke races the
    // terminal's switch into raw mode.
    let expect = |pty: &mut rexpect::session::PtySession, texts: &[&str]| {
        for text in texts {
            pty.exp_string(text).unwrap();
        }
        pty.exp_string("> ").unwrap();
        // rustyline asks the terminal for the cursor position and reads the
        // answer for up to 100 ms; keys sent inside that window are eaten.
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    expect(
        &mut pty,
        &[
            "The Telephone Call",
            // Wrapped to 40 columns ($COLUMNS wins over the terminal), the long
            // line breaks.
            "Lenin lies paralysed in the upstairs",
            "1. Telephone Krupskaya",
            "2. Wait for the doctors",
        ],
    );
    pty.send_line("1").unwrap();
    expect(
        &mut pty,
        &[
            "You do not choose your words.",
            "THE END: A Quiet Winter (ending 1 of 1)",
            // A player at a terminal collects endings.
            "Endings found: 1 of 1. Type `endings` to see them.",
        ],
    );
    pty.send_line("endings").unwrap();
    expect(&mut pty, &["Endings found: 1 of 1.", "  A Quiet Winter"]);
    pty.send_line("undo").unwrap();
    expect(&mut pty, &["Undone.", "2. Wait for the doctors"]);
    pty.send_line("save slot1").unwrap();
    expect(&mut pty, &["Saved in slot `slot1`."]);
    pty.send_line("2").unwrap();
    expect(&mut pty, &["The house is quiet."]);
    pty.send_line("load slot1").unwrap();
    expect(
        &mut pty,
        &["Loaded slot `slot1`.", "1. Telephone Krupskaya"],
    );
    // Ctrl-C drops a half-typed line and keeps playing.
    pty.send("gibberish").unwrap();
    pty.flush().unwrap();
    pty.exp_string("gibberish").unwrap();
    pty.send_control('c').unwrap();
    pty.exp_string("> ").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Tab completes `hel` to `help`.
    pty.send("hel\t").unwrap();
    pty.flush().unwrap();
    pty.exp_string("help").unwrap();
    pty.send_line("").unwrap();
    expect(&mut pty, &["Type a choice's number to choose it"]);
    pty.send_line("frobnicate").unwrap();
    expect(&mut pty, &["is not a command"]);
    // Ctrl-D quits cleanly.
    pty.send_control('d').unwrap();
    pty.exp_eof().unwrap();
    let status = pty.process().wait().unwrap();
    let status = format!("{status:?}");
    assert!(
        status.starts_with("Exited(") && status.ends_with(", 0)"),
        "{status}"
    );
    assert!(Path::new(&dir.join("saves/slot1.ron")).exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("saves/endings-found.txt")).unwrap(),
        "quiet\n"
    );
    assert!(dir.join("data/fabula/history.txt").exists());
}

/// Starts `fabula play STORY` on a pseudo-terminal in a scratch folder.
#[cfg(unix)]
fn spawn_player(dir: &Path, story: &Path, extra: &[&str]) -> rexpect::session::PtySession {
    let binary = assert_cmd::cargo::cargo_bin("fabula");
    let mut command = std::process::Command::new(binary);
    command
        .args(["play", "--seed", "1", "--color", "never", "--save-dir"])
        .arg(dir.join("saves"))
        .arg(story)
        .args(extra)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("TERM", "xterm")
        .env("COLUMNS", "80")
        .env_remove("NO_COLOR");
    rexpect::session::spawn_command(command, Some(20_000)).unwrap()
}

/// A story with an error past its opening is refused with the check's
/// diagnostics: at once when the check ends before the opening is shown,
/// or above the first prompt, and then the line typed is not acted on.
#[cfg(unix)]
#[test]
fn refuses_a_story_whose_error_is_past_the_opening() {
    let dir = super::scratch("terminal-refused");
    let story = dir.join("call.fab");
    std::fs::write(&story, STORY.replace("-> ending quiet", "-> ending quite")).unwrap();
    let mut pty = spawn_player(&dir, &story, &[]);
    pty.exp_string("error[E0104]: unknown divert target `quite`")
        .unwrap();
    pty.exp_string("The story has 1 error, so it cannot be played.")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // The player may have left already.
    let _ = pty.send_line("1");
    let rest = pty.exp_eof().unwrap();
    assert!(!rest.contains("You do not choose your words"), "{rest}");
    let status = format!("{:?}", pty.process().wait().unwrap());
    assert!(status.ends_with(", 1)"), "{status}");
}

/// Warnings are shown (before the opening, for a story this small) and the
/// game goes on.
#[cfg(unix)]
#[test]
fn shows_the_checks_warnings_and_plays_on() {
    let dir = super::scratch("terminal-warned");
    let story = dir.join("call.fab");
    std::fs::write(
        &story,
        STORY.replace("var rudeness = 0", "var rudeness = 0\nvar unused = 1"),
    )
    .unwrap();
    let mut pty = spawn_player(&dir, &story, &[]);
    pty.exp_string("warning[W0002]: variable `unused` is never read")
        .unwrap();
    pty.exp_string("> ").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    pty.send_line("2").unwrap();
    pty.exp_string("The house is quiet.").unwrap();
    pty.exp_string("ending 1 of 1").unwrap();
    pty.exp_string("> ").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    pty.send_line("quit").unwrap();
    pty.exp_eof().unwrap();
    let status = format!("{:?}", pty.process().wait().unwrap());
    assert!(status.ends_with(", 0)"), "{status}");
}

/// A big story's opening and first prompt come before its check; the
/// check's errors then appear above the prompt, and the line typed next is
/// not acted on: the player leaves with exit code 1.
#[cfg(unix)]
#[test]
fn shows_a_big_storys_opening_while_checking_it_and_refuses_it_then() {
    let dir = super::scratch("terminal-opening");
    let story = dir.join("big.fab");
    let text = fabula::generate::story(fabula::compile::OPENING_MIN_LINES / 8 + 500);
    std::fs::write(&story, text.replace("They give you more.", "-> nowhere")).unwrap();
    let transcript = dir.join("transcript.txt");
    let mut pty = spawn_player(
        &dir,
        &story,
        &["--transcript", transcript.to_str().unwrap()],
    );
    pty.exp_string("Room 0").unwrap();
    pty.exp_string("1. Walk on to the next room").unwrap();
    pty.exp_string("> ").unwrap();
    pty.exp_string("error[E0303]: a divert inside an ending")
        .unwrap();
    pty.exp_string("The story has 1 error, so it cannot be played.")
        .unwrap();
    pty.exp_string("Press Enter to leave.").unwrap();
    pty.exp_string("> ").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    pty.send_line("1").unwrap();
    let rest = pty.exp_eof().unwrap();
    assert!(!rest.contains("Room 1"), "{rest}");
    let status = format!("{:?}", pty.process().wait().unwrap());
    assert!(status.ends_with(", 1)"), "{status}");
    assert!(!transcript.exists(), "a refused story has no transcript");
}

/// Regression (issue #10): a line pasted into a terminal that does not
/// bracket pastes arrives a key at a time, and rustyline redraws a line
/// that wraps at every key, so a 1 MB paste never finished. Keys past
/// `MAX_TERMINAL_LINE` are dropped as they come; Enter then refuses the
/// line with a message, and the game goes on.
#[cfg(unix)]
#[test]
fn a_huge_pasted_line_is_refused_and_the_game_goes_on() {
    let dir = super::scratch("terminal-paste");
    let story = dir.join("call.fab");
    std::fs::write(&story, STORY).unwrap();
    let mut pty = spawn_player(&dir, &story, &[]);
    pty.exp_string("2. Wait for the doctors").unwrap();
    pty.exp_string("> ").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let limit = fabula::repl::MAX_TERMINAL_LINE;
    // Ten times the limit, a key at a time as such a terminal sends it.
    let paste = "x".repeat(limit * 10);
    for chunk in paste.as_bytes().chunks(4096) {
        pty.send(std::str::from_utf8(chunk).unwrap()).unwrap();
    }
    pty.send_line("").unwrap();
    pty.exp_string(&format!("That line was longer than {limit} bytes"))
        .unwrap();
    pty.exp_string("> ").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    pty.send_line("2").unwrap();
    pty.exp_string("The house is quiet.").unwrap();
}
