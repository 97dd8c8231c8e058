//! Saves that survive edits: `tests/saves/made-by-v1/` holds saves players
//! made of `tests/saves/v1/patch.fab` (format 2, and format 1 from the
//! Fabula before labels), and each `tests/saves/v*/` folder an edited
//! version of that story with what `fabula check --saves` must say of
//! those saves (`expected.stdout`, `expected.code`). The player must say
//! the same losses when it loads one, a line each.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fabula() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fabula"));
    command
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/saves"))
        .env_remove("GITHUB_ACTIONS")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    command
}

fn scratch(name: &str) -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// The versions of the story, each with its expected report.
fn versions() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/saves");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("expected.stdout").is_file())
        .collect();
    found.sort();
    found
}

#[test]
fn each_version_reports_what_the_saves_of_v1_lose() {
    let versions = versions();
    assert!(versions.len() >= 4, "{versions:?}");
    let mut failures = Vec::new();
    for version in &versions {
        let name = version.file_name().unwrap().to_string_lossy().into_owned();
        let output = fabula()
            .args(["check", "--saves", "made-by-v1"])
            .arg(format!("{name}/patch.fab"))
            .output()
            .unwrap();
        let expected = std::fs::read_to_string(version.join("expected.stdout")).unwrap();
        let code: i32 = std::fs::read_to_string(version.join("expected.code"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let actual = String::from_utf8_lossy(&output.stdout);
        if actual != expected || output.status.code() != Some(code) {
            failures.push(format!(
                "{name}: exit {:?} (expected {code})\n--- expected\n{expected}--- actual\n{actual}{}",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The edits the issue names, one by one, against what the reports say.
#[test]
fn the_reports_keep_what_each_edit_keeps() {
    let read = |version: &str| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/saves/{version}/expected.stdout")),
        )
        .unwrap()
    };
    // Prose edited and a variable added: nothing is lost, old format too.
    assert!(
        read("v2-prose")
            .lines()
            .all(|line| line.ends_with("loads intact"))
    );
    let choices = read("v2-choices");
    // Labelled marks survive a choice inserted above and a reworded,
    // reordered choice; the history no longer replays, so undo stops.
    assert!(choices.contains(
        "courted-kamenev.ron: loads, but loses:\n  - undo cannot go back before this point"
    ));
    // A deleted choice (`Read Pravda`) and a reworded unlabelled one
    // (`Court Zinoviev`) are lost, said, never given to another choice.
    assert!(choices.contains("2 choices made before (an unlabelled choice in `corridor` and an unlabelled choice in `office`)"));
    let removed = read("v2-removed");
    assert!(removed.contains("the variable `mood` is dropped (it was \"wary\")"));
    assert!(removed.contains(
        "the scene `corridor` the game was saved in is gone from the story, so the game goes on from the start (`office`)"
    ));
}

#[test]
fn json_reports_each_save_and_a_summary() {
    let output = fabula()
        .args([
            "check",
            "--saves",
            "made-by-v1",
            "v2-removed/patch.fab",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let (summary, saves) = lines.split_last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["saves"], saves.len());
    assert_eq!(summary["lossy"], 7);
    assert_eq!(summary["intact"], 0);
    for save in saves {
        assert_eq!(save["type"], "save");
        assert_eq!(save["outcome"], "lossy");
        assert!(!save["losses"].as_array().unwrap().is_empty());
        assert!(save["error"].is_null());
    }
}

#[test]
fn unreadable_saves_are_refused_without_quoting_them() {
    let output = fabula()
        .args(["check", "--saves", "unreadable", "v1/patch.fab"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout,
        "unreadable/damaged.ron: does not load: it is not a valid save (line 1, column 1)\n\
         unreadable/other-story.ron: does not load: the save is from another story, not `The Patch`\n"
    );
    let missing = fabula()
        .args(["check", "--saves", "no-such-folder", "v1/patch.fab"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

/// A save folder is untrusted: a FIFO is skipped (reading it would hang),
/// a file that is not UTF-8 is refused, as the player's slots are.
#[cfg(unix)]
#[test]
fn a_hostile_save_folder_neither_hangs_nor_crashes() {
    let dir = scratch("saves-hostile");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/saves/made-by-v1/at-start.ron"),
        dir.join("at-start.ron"),
    )
    .unwrap();
    let fifo = dir.join("fifo.ron");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::write(dir.join("binary.ron"), b"(format: 2, \xff\xfe)").unwrap();
    let output = fabula()
        .args(["check", "--saves"])
        .arg(&dir)
        .arg("v1/patch.fab")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("at-start.ron: loads intact"), "{stdout}");
    assert!(stdout.contains("binary.ron: does not load"), "{stdout}");
    assert!(!stdout.contains("fifo"), "{stdout}");
}

/// The player says every loss of a save it loads, a line each.
#[test]
fn the_player_says_each_loss_in_one_line() {
    let saves = scratch("saves-player");
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/saves/made-by-v1"))
            .unwrap()
    {
        let path = entry.unwrap().path();
        std::fs::copy(&path, saves.join(path.file_name().unwrap())).unwrap();
    }
    let output = fabula()
        .args([
            "play",
            "v2-removed/patch.fab",
            "--seed",
            "1",
            "--color",
            "never",
            "--save-dir",
        ])
        .arg(&saves)
        .write_stdin("load courted-kamenev\n")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/saves/v2-removed/expected.stdout"),
    )
    .unwrap();
    let losses: Vec<&str> = expected
        .split("courted-kamenev.ron: loads, but loses:\n")
        .nth(1)
        .unwrap()
        .lines()
        .map_while(|line| line.strip_prefix("  - "))
        .collect();
    assert_eq!(losses.len(), 5, "{expected}");
    // A message is a paragraph, wrapped to the terminal's width.
    let paragraphs: Vec<String> = stdout
        .split("\n\n")
        .map(|paragraph| {
            paragraph
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let notes: Vec<&str> = paragraphs
        .iter()
        .filter_map(|paragraph| paragraph.strip_prefix("Note: "))
        .collect();
    for loss in &losses {
        assert!(
            notes.iter().any(|note| note.trim_end_matches('.') == *loss),
            "`{loss}` not said in one line:\n{stdout}"
        );
    }
    // Where the scene is gone, the game goes on from the start, with the
    // card index (`office.index`) still studied.
    let after = stdout.split("Loaded slot").nth(1).unwrap();
    assert!(
        after
            .trim_end()
            .ends_with("1. Read Pravda\n2. Go to the Congress"),
        "{after}"
    );
}

/// On GitHub's runners: a warning per save that loses something, an error
/// per save that does not load, nothing for one intact.
#[test]
fn github_format_annotates_lossy_and_refused_saves() {
    let output = fabula()
        .args([
            "check",
            "--saves",
            "made-by-v1",
            "v2-choices/patch.fab",
            "--format",
            "github",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(
        lines
            .iter()
            .all(|line| line.starts_with("::warning file=made-by-v1/"))
    );
    assert!(lines[0].contains("at-congress.ron::this save loses something: 2 choices made before"));
    let refused = fabula()
        .args([
            "check",
            "--saves",
            "unreadable",
            "v1/patch.fab",
            "--format",
            "github",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(refused.stdout).unwrap();
    assert!(stdout.starts_with("::error file=unreadable/damaged.ron::this save does not load: it is not a valid save (line 1, column 1)\n"), "{stdout}");
}
