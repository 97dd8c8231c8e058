//! The `fabula` binary, run for real: `check` in every format, its exit
//! codes, colour, folders and orphan files; `compile --emit ron`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// `fabula` with the environment that changes its output removed.
fn fabula() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fabula"));
    command
        .env_remove("GITHUB_ACTIONS")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    command
}

fn stderr_of(command: &mut Command) -> String {
    String::from_utf8(command.output().unwrap().stderr).unwrap()
}

// Regression: the summary said "checked 2 storys".
#[test]
fn bug_summary_said_storys() {
    let stderr = stderr_of(fabula().args([
        "check",
        "tests/check/clean.fab",
        "tests/check/w0002_unused_variable.fab",
    ]));
    assert!(
        stderr.contains("checked 2 stories in 2 files: 0 errors, 1 warning"),
        "{stderr}"
    );
}

// Regression: the JSON summary line's keys came out sorted
// (`{"errors":…,"files":…,"type":"summary",…}`), unlike every other line,
// which starts with "type".
#[test]
fn bug_json_summary_keys_were_sorted() {
    let output = fabula()
        .args(["check", "--format", "json", "tests/check/clean.fab"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "{\"type\":\"summary\",\"errors\":0,\"warnings\":0,\"files\":1}\n"
    );
}

const ESCAPE: &str = "\x1b[";

// Regression: `--color always` printed no colour when standard error was not
// a terminal (piped to a pager or a file, as here): anstream's own detection
// stripped the escapes the renderer had been asked to write.
#[test]
fn bug_color_always_was_stripped_when_piped() {
    let stderr = stderr_of(fabula().args([
        "check",
        "--color",
        "always",
        "tests/check/e0104_unknown_divert.fab",
    ]));
    assert!(stderr.contains(ESCAPE), "{stderr}");
}

#[test]
fn color_never_and_no_color_print_no_escapes() {
    let never = stderr_of(fabula().args([
        "check",
        "--color",
        "never",
        "tests/check/e0104_unknown_divert.fab",
    ]));
    assert!(
        never.contains("error[E0104]") && !never.contains(ESCAPE),
        "{never}"
    );
    // NO_COLOR with the default `--color auto`; even CLICOLOR_FORCE, which
    // anstream would honour, must not bring colour back.
    let no_color = stderr_of(
        fabula()
            .env("NO_COLOR", "1")
            .env("CLICOLOR_FORCE", "1")
            .args(["check", "tests/check/e0104_unknown_divert.fab"]),
    );
    assert!(
        no_color.contains("error[E0104]") && !no_color.contains(ESCAPE),
        "{no_color}"
    );
}
/// The lines `fabula check --format json ARGS` prints, parsed.
fn json_lines(args: &[&str]) -> Vec<serde_json::Value> {
    let output = fabula()
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}")))
        .collect()
}

/// A fresh scratch folder for one test, under Cargo's target directory.
fn scratch(name: &str) -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

#[test]
fn human_format_writes_to_stderr() {
    let output = fabula()
        .args(["check", "tests/check/e0104_unknown_divert.fab"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(
            "error[E0104]: unknown divert target `leter`\n --> tests/check/e0104_unknown_divert.fab:4:8\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("= help: did you mean `letter`?"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "checked 1 story in 1 file: 1 error, 0 warnings\n\
             for more about a code, run `fabula check --explain E0104`\n"
        ),
        "{stderr}"
    );
}

#[test]
fn explain_prints_a_codes_section_of_the_diagnostics_page() {
    let output = fabula()
        .args(["check", "--explain", "e0104"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with("## E0104: unknown divert target\n"),
        "{stdout}"
    );
    assert!(stdout.contains("**How to fix it.**"), "{stdout}");
    assert!(!stdout.contains("## E0105"), "{stdout}");
    let unknown = fabula()
        .args(["check", "--explain", "E9999"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8(unknown.stderr).unwrap();
    assert!(
        stderr.contains("`E9999` is not a diagnostic code"),
        "{stderr}"
    );
}

#[test]
fn a_clean_check_has_no_explain_hint() {
    let output = fabula()
        .args(["check", "tests/check/clean.fab"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("--explain"), "{stderr}");
}

#[test]
fn json_format_has_one_object_per_line_then_a_summary() {
    let lines = json_lines(&[
        "tests/check/e0201_type_mismatch.fab",
        "tests/check/w0002_unused_variable.fab",
    ]);
    assert_eq!(lines.len(), 3, "{lines:?}");
    let keys: Vec<&str> = lines[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected_keys = [
        "type",
        "code",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "labels",
        "help",
    ];
    expected_keys.sort();
    assert_eq!(keys, expected_keys);
    let error = &lines[0];
    assert_eq!(error["type"], "diagnostic");
    assert_eq!(error["code"], "E0201");
    assert_eq!(error["severity"], "error");
    assert_eq!(
        error["message"],
        "cannot apply `=` to `apparatus` (int) with a value of type bool"
    );
    assert_eq!(error["file"], "tests/check/e0201_type_mismatch.fab");
    assert_eq!((&error["line"], &error["column"]), (&4.into(), &15.into()));
    assert_eq!(
        (&error["end_line"], &error["end_column"]),
        (&4.into(), &19.into())
    );
    assert_eq!(error["help"], serde_json::Value::Null);
    let label = &error["labels"][0];
    assert_eq!(label["file"], "tests/check/e0201_type_mismatch.fab");
    assert_eq!((&label["line"], &label["column"]), (&2.into(), &5.into()));
    assert_eq!(label["message"], "`apparatus` is declared here");
    let warning = &lines[1];
    assert_eq!(warning["code"], "W0002");
    assert_eq!(warning["severity"], "warning");
    assert_eq!(
        warning["help"],
        "use it in a condition or text, or remove it"
    );
    assert_eq!(
        lines[2],
        serde_json::json!({"type": "summary", "errors": 1, "warnings": 1, "files": 2})
    );
}

#[test]
fn github_format_writes_workflow_commands() {
    let output = fabula()
        .args([
            "check",
            "--format",
            "github",
            "tests/check/e0104_unknown_divert.fab",
            "tests/check/w0002_unused_variable.fab",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "::error file=tests/check/e0104_unknown_divert.fab,line=4,col=8,endLine=4,endColumn=13,title=E0104::unknown divert target `leter`%0Ahelp: did you mean `letter`?",
            "::warning file=tests/check/w0002_unused_variable.fab,line=2,col=5,endLine=2,endColumn=14,title=W0002::variable `forgotten` is never read%0Ahelp: use it in a condition or text, or remove it",
        ]
    );
}

#[test]
fn github_format_escapes_properties_and_data() {
    let folder = scratch("github_escaping");
    // `,` and `:` end a property; `%` must be escaped everywhere.
    let story = folder.join("a,b:c.fab");
    std::fs::write(
        &story,
        "title: T\n== start\n-> ending done\n== ending done\n100%\n{1 +}\n",
    )
    .unwrap();
    let output = fabula()
        .args(["check", "--format", "github"])
        .arg(&story)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let file = story
        .display()
        .to_string()
        .replace(',', "%2C")
        .replace(':', "%3A");
    assert!(
        stdout.starts_with(&format!("::error file={file},line=6,")),
        "{stdout}"
    );
    assert!(!stdout.contains("a,b:c"), "{stdout}");
}

#[test]
fn github_actions_selects_the_github_format() {
    let output = fabula()
        .env("GITHUB_ACTIONS", "true")
        .args(["check", "tests/check/e0104_unknown_divert.fab"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("::error file="), "{stdout}");
    // An explicit format wins.
    let lines = {
        let output = fabula()
            .env("GITHUB_ACTIONS", "true")
            .args(["check", "--format", "json", "tests/check/clean.fab"])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(lines.starts_with("{\"type\":\"summary\""), "{lines}");
}

#[test]
fn exit_codes() {
    let code = |args: &[&str]| fabula().args(args).output().unwrap().status.code();
    assert_eq!(code(&["check", "tests/check/clean.fab"]), Some(0), "clean");
    assert_eq!(
        code(&["check", "tests/check/w0002_unused_variable.fab"]),
        Some(0),
        "warnings only"
    );
    assert_eq!(
        code(&["check", "tests/check/e0104_unknown_divert.fab"]),
        Some(1),
        "errors"
    );
    assert_eq!(
        code(&[
            "check",
            "--deny-warnings",
            "tests/check/w0002_unused_variable.fab"
        ]),
        Some(1),
        "warnings denied"
    );
    assert_eq!(
        code(&["check", "--deny-warnings", "tests/check/clean.fab"]),
        Some(0),
        "clean, warnings denied"
    );
    assert_eq!(
        code(&["check", "tests/check/no_such_story.fab"]),
        Some(2),
        "missing path"
    );
    assert_eq!(code(&["check"]), Some(2), "no path");
    assert_eq!(
        code(&["check", "--format", "xml", "tests/check/clean.fab"]),
        Some(2),
        "unknown format"
    );
    assert_eq!(code(&["frobnicate"]), Some(2), "unknown command");
}

#[test]
fn folders_are_searched_and_orphan_files_warned_about() {
    let folder = scratch("folders");
    std::fs::create_dir_all(folder.join("deep/deeper")).unwrap();
    std::fs::write(
        folder.join("deep/deeper/main.fab"),
        "title: Deep\ninclude \"act2.fab\"\n== start\n-> act2\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("deep/deeper/act2.fab"),
        "== act2\n-> ending done\n== ending done\nDone.\n",
    )
    .unwrap();
    std::fs::write(folder.join("deep/stray.fab"), "== stray\n-> stray\n").unwrap();
    std::fs::write(folder.join("notes.txt"), "not a story").unwrap();
    let lines = json_lines(&[folder.to_str().unwrap()]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["code"], "W0005");
    assert_eq!(
        lines[0]["file"],
        folder.join("deep/stray.fab").display().to_string()
    );
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(
        lines[1],
        serde_json::json!({"type": "summary", "errors": 0, "warnings": 1, "files": 3})
    );
    // A file named on the command line is checked as a story, not an orphan.
    let lines = json_lines(&[folder.join("deep/stray.fab").to_str().unwrap()]);
    assert!(
        lines.iter().all(|line| line["code"] != "W0005"),
        "{lines:?}"
    );
}

/// Every story in `tests/check/` through the binary at once: what it reports
/// must be exactly what the markers ask for, W0005 (which only the binary
/// reports) included.
#[test]
fn whole_story_folder() {
    let mut expected = Vec::new();
    for fixture in crate::check::fixtures() {
        for file in &fixture.files {
            expected.extend(crate::check::expectations(file));
        }
    }
    let found = json_lines(&[crate::check::FOLDER])
        .into_iter()
        .filter(|line| line["type"] == "diagnostic")
        .map(|line| {
            let code = fabula::diagnostic::Code::ALL
                .iter()
                .copied()
                .find(|code| code.as_str() == line["code"])
                .unwrap();
            let file = PathBuf::from(line["file"].as_str().unwrap());
            let number = line["line"].as_u64().unwrap() as usize;
            ((file, number, code), line["message"].to_string())
        })
        .collect();
    let differences = crate::check::compare(expected, found);
    assert!(
        differences.is_empty(),
        "`fabula check tests/check` disagrees with the markers:\n{differences}"
    );
}

#[test]
fn compile_emits_ron_that_reads_back() {
    let folder = scratch("compile");
    let output_path = folder.join("graph.ron");
    fabula()
        .args(["compile", "--emit", "ron", "tests/check/clean.fab", "-o"])
        .arg(&output_path)
        .assert()
        .success();
    let text = std::fs::read_to_string(&output_path).unwrap();
    let story: fabula::graph::Story = ron::from_str(&text).unwrap();
    assert_eq!(story.title, "Clean");
    assert_eq!(story.scenes.len(), 2);
    assert_eq!(story.vars[0].name, "apparatus");
    assert_eq!(story.scene(story.start).name, "start");
    // To standard output without `-o`; a story with errors writes nothing.
    let output = fabula()
        .args(["compile", "tests/check/clean.fab"])
        .output()
        .unwrap();
    ron::from_str::<fabula::graph::Story>(std::str::from_utf8(&output.stdout).unwrap()).unwrap();
    let output = fabula()
        .args(["compile", "tests/check/e0104_unknown_divert.fab"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
}

/// Human output stops after 500 diagnostics with a count of the rest
/// (issue #10: 20,000 of them scrolled for over a minute); JSON keeps them
/// all; `--max-diagnostics` changes the cap, 0 lifts it.
#[test]
fn human_output_is_capped_and_json_is_complete() {
    let folder = scratch("diagnostics_cap");
    let story = folder.join("many.fab");
    let lines: String = (0..600).map(|n| format!("* Go {n} -> nowhere\n")).collect();
    std::fs::write(
        &story,
        format!("title: Many\n== start\n{lines}* Done -> ending done\n== ending done\nDone.\n"),
    )
    .unwrap();
    let story = story.to_str().unwrap();
    let count = |text: &str| text.matches("error[E0104]").count();

    let capped = stderr_of(fabula().args(["check", "--color", "never", story]));
    assert_eq!(count(&capped), 500, "{capped}");
    assert!(
        capped.contains(
            "... and 100 more diagnostics not shown after the first 500 (`fabula check --max-diagnostics 0` shows every one)\n\nchecked 1 story in 1 file: 600 errors, 0 warnings\n"
        ),
        "{capped}"
    );

    let ten = stderr_of(fabula().args(["check", "--max-diagnostics", "10", story]));
    assert_eq!(count(&ten), 10);
    assert!(ten.contains("... and 590 more diagnostics"), "{ten}");

    let all = stderr_of(fabula().args(["check", "--max-diagnostics", "0", story]));
    assert_eq!(count(&all), 600);
    assert!(!all.contains("more diagnostic"), "{all}");

    let json = json_lines(&[story]);
    assert_eq!(json.len(), 601, "600 diagnostics and the summary");
}

/// Story text is hostile: an escape sequence in a scene title or a choice
/// never reaches the terminal through explore's or test's reports (issue
/// #10).
#[test]
fn reports_neutralise_escape_sequences_from_the_story() {
    let dir = scratch("escapes");
    let story = dir.join("escapes.fab");
    std::fs::write(
        &story,
        "title: Esc\n== start: Start \u{1b}]0;pwned\u{7}\n* Go \u{1b}[2J -> ending done\n== ending done: Done \u{1b}[31m\nDone.\n",
    )
    .unwrap();
    for args in [vec!["explore"], vec!["test", "--random", "3"]] {
        let output = fabula().args(&args).arg(&story).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(!stdout.contains('\u{1b}'), "{args:?}: {stdout}");
        assert!(!stdout.contains('\u{7}'), "{args:?}: {stdout}");
    }
}

/// A draft with an unreachable scene (E0304) and an ending nothing leads to
/// (E0305) can be played: both are warnings. CI still fails on it, through
/// `--deny-warnings` and through explore's verdict (issue #15).
#[test]
fn a_draft_with_unfinished_branches_plays_and_fails_in_ci() {
    let folder = scratch("draft");
    let story = folder.join("draft.fab");
    std::fs::write(
        &story,
        "title: Draft\n== start\n* Go on -> ending done\n== island\n-> ending done\n\
         == ending done\nDone.\n== ending lost\nLost.\n",
    )
    .unwrap();
    let story = story.to_str().unwrap();
    let code = |args: &[&str]| fabula().args(args).output().unwrap().status.code();
    assert_eq!(code(&["check", story]), Some(0), "warnings only");
    assert_eq!(code(&["check", "--deny-warnings", story]), Some(1));
    assert_eq!(code(&["explore", story]), Some(1), "an ending is unreached");
    assert_eq!(
        code(&["explore", "--allow-unreached-endings", story]),
        Some(0)
    );
    let played = fabula()
        .args(["play", "--save-dir", folder.to_str().unwrap(), story])
        .write_stdin("1\n")
        .output()
        .unwrap();
    assert_eq!(played.status.code(), Some(0));
    assert!(
        String::from_utf8(played.stdout).unwrap().contains("Done."),
        "the draft was played"
    );
}

// Regression (#15): `check main.fab` said "in 1 file" for a story that
// includes another: the count was of the files named, not of those read.
#[test]
fn bug_summary_counted_files_named_not_files_read() {
    let entry = "tests/check/header_in_include/main.fab";
    let stderr = stderr_of(fabula().args(["check", entry]));
    assert!(stderr.contains("checked 1 story in 2 files"), "{stderr}");
    let lines = json_lines(&[entry]);
    assert_eq!(lines.last().unwrap()["files"], 2);
}

// Regression (#15): the error for an unknown code said the codes went "W0001
// to W0005" when they went to W0008.
#[test]
fn bug_unknown_code_named_a_stale_range() {
    let stderr = stderr_of(fabula().args(["check", "--explain", "W9999"]));
    assert!(
        stderr.contains(&fabula::diagnostic::Code::ranges()),
        "{stderr}"
    );
    let help = fabula().args(["check", "--help"]).output().unwrap().stdout;
    let help = String::from_utf8(help).unwrap();
    assert!(help.contains(&fabula::diagnostic::Code::ranges()), "{help}");
}
