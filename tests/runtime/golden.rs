//! Golden transcripts: every `tests/play/NAME.fab` is played by the real
//! binary with `NAME.input` piped in, and its standard output must equal
//! `NAME.transcript` byte for byte. A story without both files fails.

use std::path::Path;

use assert_cmd::Command;

#[test]
fn play_transcripts_match() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/play");
    let stories = crate::stories::fab_files("tests/play");
    assert!(
        stories.len() >= 4,
        "expected the golden stories in {folder:?}"
    );
    let mut failures = Vec::new();
    for story in &stories {
        let name = story.file_stem().unwrap().to_string_lossy().to_string();
        let (Ok(input), Ok(expected)) = (
            std::fs::read(story.with_extension("input")),
            std::fs::read_to_string(story.with_extension("transcript")),
        ) else {
            failures.push(format!("{name}: missing {name}.input or {name}.transcript"));
            continue;
        };
        let saves = super::scratch(&format!("golden-{name}"));
        let output = Command::cargo_bin("fabula")
            .unwrap()
            .current_dir(&folder)
            .args([
                "play",
                &format!("{name}.fab"),
                "--seed",
                "1",
                "--color",
                "never",
            ])
            .arg("--save-dir")
            .arg(&saves)
            .env("NO_COLOR", "1")
            .write_stdin(input)
            .output()
            .unwrap();
        let actual = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            failures.push(format!(
                "{name}: exit {:?}\n{}",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            ));
        } else if actual != expected {
            failures.push(format!(
                "{name}: transcript differs\n--- expected\n{expected}\n--- actual\n{actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_transcript_option_writes_the_story_so_far() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/play");
    let out = super::scratch("transcript-option").join("call.txt");
    Command::cargo_bin("fabula")
        .unwrap()
        .current_dir(&folder)
        .args(["play", "call.fab", "--seed", "1", "--transcript"])
        .arg(&out)
        .write_stdin("1\n")
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "Gorki, December 1922\n\nLenin lies paralysed in the upstairs room.\n\n\
         > Telephone Krupskaya\n\nYou do not choose your words.\n\nThe Letter\n\n\
         Krupskaya has written to Kamenev.\n\nSnow covers the park.\n\n\
         THE END: A Quiet Winter (ending 1 of 1)\n"
    );
}

/// A page read is in the `--transcript` file where it was read, though
/// not in the game's history; one read after a choice taken back goes with
/// the choice.
#[test]
fn the_transcript_option_records_pages_where_they_were_read() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/play");
    let out = super::scratch("transcript-pages").join("pages.txt");
    Command::cargo_bin("fabula")
        .unwrap()
        .current_dir(&folder)
        .args(["play", "pages.fab", "--seed", "1", "--transcript"])
        .arg(&out)
        .write_stdin("status\n1\nstatus\nundo\n2\n")
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "Gorki\n\nTurn 0, visit 1. Snow falls.\n\n\
         [Your Position]\n\nYou hold 2 seats after 0 choices.\n\n\
         You are still a clerk.\n\nThe first reading.\n\n\
         > Stop\n\nDone.\n\nTHE END: done (ending 1 of 1)\n"
    );
}

/// With piped input the check comes first: a story with errors prints
/// nothing to standard output, its diagnostics to standard error, and
/// exits with 1.
#[test]
fn piped_play_refuses_a_story_with_errors_before_showing_it() {
    let dir = super::scratch("piped-refusal");
    let story = dir.join("bad.fab");
    std::fs::write(
        &story,
        "== hall\nA hall.\n* Go -> yard\n== yard\nA yard.\n-> ending gone\n== ending done\n",
    )
    .unwrap();
    let output = Command::cargo_bin("fabula")
        .unwrap()
        .args(["play", "--seed", "1", "--color", "never"])
        .arg(&story)
        .write_stdin("1\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error[E0104]: unknown divert target `gone`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("The story has 1 error, so it cannot be played."),
        "{stderr}"
    );
}

/// Piped play does not add to the endings found (a script is not a
/// player), but `endings` lists what the record holds.
#[test]
fn piped_play_lists_endings_without_recording_them() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/play");
    let saves = super::scratch("piped-endings");
    let output = Command::cargo_bin("fabula")
        .unwrap()
        .current_dir(&folder)
        .args(["play", "call.fab", "--seed", "1", "--color", "never"])
        .arg("--save-dir")
        .arg(&saves)
        .write_stdin("1\nendings\n")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("THE END: A Quiet Winter"), "{stdout}");
    assert!(!stdout.contains("Endings found: 1"), "{stdout}");
    assert!(
        stdout.contains("Endings found: 0 of 1.\n  (1 not found yet)"),
        "{stdout}"
    );
    assert!(!saves.join("endings-found.txt").exists());
}

/// The prose of a turn-by-turn play, without presentation: the lines that
/// are neither blank, nor a numbered choice, nor an echoed or prompted answer.
fn prose_lines(text: &str, choice: &str, drop: &[&str]) -> Vec<String> {
    text.lines()
        .map(|line| line.strip_prefix("?> ").unwrap_or(line).trim_end())
        .filter(|line| !line.is_empty() && !line.starts_with("> "))
        .filter(|line| {
            let digits = line.trim_start_matches(|c: char| c.is_ascii_digit());
            digits.len() == line.len() || !digits.starts_with(choice)
        })
        .filter(|line| !drop.iter().any(|prefix| line.starts_with(prefix)))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_ink_port_tells_what_ink_tells() {
    // ink_port.ink.out is ink's own play of ink_port.ink on the same input
    // (rinklecate 2.1.0, `rinklecate -p`); its prose must be the port's,
    // line for line, once the player's title, choice lists and ending
    // announcement are set aside.
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/play");
    let ink = std::fs::read_to_string(folder.join("ink_port.ink.out")).unwrap();
    let ours = std::fs::read_to_string(folder.join("ink_port.transcript")).unwrap();
    let ink = prose_lines(&ink, ": ", &[]);
    let ours = prose_lines(&ours, ". ", &["An Ink Port", "THE END: "]);
    assert!(ink.len() >= 10, "ink's play is missing: {ink:?}");
    assert_eq!(ours, ink);
}
