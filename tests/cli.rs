//! The `fabula` binary, run for real: `check` in every format, its exit
//! codes, colour, folders and orphan files; `compile --emit ron`.

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
    assert!(never.contains("error[E0104]") && !never.contains(ESCAPE), "{never}");
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
