//! `fabula test`: the story folder `tests/storytests/` (tests that pass,
//! and tests marked `// expect-fail: test "name"` that must fail showing the
//! `// expected:` and `// actual:` fragments under the marker), random play's
//! reproducibility and shrinking (`tests/random/`, with insta snapshots of
//! each story's rendered report), lcov output, and the command's exit codes
//! and JSON format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use fabula::storytest::{self, Coverage, FailureKind};

fn fabula() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fabula"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

fn compile(path: &Path) -> fabula::graph::Story {
    let loaded = fabula::compile::compile_files(path).unwrap();
    loaded
        .story
        .unwrap_or_else(|| panic!("{}: {:#?}", path.display(), loaded.diagnostics))
}

fn manifest(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// What an `expect-fail` marker asks of a test's failure.
#[derive(Debug, Default)]
struct Expected {
    expected: Vec<String>,
    actual: Vec<String>,
}

fn expected_failures(text: &str) -> BTreeMap<String, Expected> {
    let mut found: BTreeMap<String, Expected> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("// expect-fail: test ") {
            let name = rest.trim().trim_matches('"').to_string();
            found.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(rest), Some(name)) = (line.strip_prefix("// expected: "), &current) {
            found.get_mut(name).unwrap().expected.push(rest.to_string());
        } else if let (Some(rest), Some(name)) = (line.strip_prefix("// actual: "), &current) {
            found.get_mut(name).unwrap().actual.push(rest.to_string());
        } else {
            current = None;
        }
    }
    found
}

#[test]
fn story_tests_pass_and_fail_as_marked() {
    let paths = crate::stories::fab_files("tests/storytests");
    assert!(paths.len() >= 2);
    let mut failures_checked = 0;
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut expected = expected_failures(&text);
        let story = compile(&path);
        assert!(!story.tests.is_empty(), "{} has no tests", path.display());
        let mut coverage = Coverage::new(&story);
        for outcome in storytest::run_tests(&story, &mut coverage) {
            let context = format!("{}: test {:?}", path.display(), outcome.name);
            match (expected.remove(&outcome.name), &outcome.failure) {
                (None, None) => {}
                (None, Some(_)) => {
                    panic!("{context} failed:\n{}", storytest::human_failure(&outcome))
                }
                (Some(_), None) => panic!("{context} passed but is marked expect-fail"),
                (Some(marks), Some(failure)) => {
                    let rendered = storytest::human_failure(&outcome);
                    assert!(rendered.contains("expected: "), "{context}: {rendered}");
                    assert!(rendered.contains("actual:   "), "{context}: {rendered}");
                    assert!(rendered.contains("transcript:"), "{context}: {rendered}");
                    assert!(
                        failure.location.contains("failing.fab:")
                            || failure.location.contains(".fab:"),
                        "{context}: no location in {}",
                        failure.location
                    );
                    assert!(
                        !marks.expected.is_empty() && !marks.actual.is_empty(),
                        "{context}: the marker needs `// expected:` and `// actual:` lines"
                    );
                    for fragment in &marks.expected {
                        assert!(
                            failure.expected.contains(fragment.as_str()),
                            "{context}: expected {fragment:?} in {:?}",
                            failure.expected
                        );
                    }
                    for fragment in &marks.actual {
                        assert!(
                            failure.actual.contains(fragment.as_str()),
                            "{context}: expected {fragment:?} in {:?}",
                            failure.actual
                        );
                    }
                    failures_checked += 1;
                }
            }
        }
        assert!(
            expected.is_empty(),
            "{}: marked tests not found: {:?}",
            path.display(),
            expected.keys().collect::<Vec<_>>()
        );
    }
    assert!(failures_checked >= 10);
}

/// The bundled story's own tests pass (it may have none yet).
#[test]
fn the_bundled_story_tests_pass() {
    let story = fabula::bundled::load()
        .story
        .expect("the bundled story compiles");
    let mut coverage = Coverage::new(&story);
    for outcome in storytest::run_tests(&story, &mut coverage) {
        if outcome.failure.is_some() {
            panic!("{}", storytest::human_failure(&outcome));
        }
    }
}

#[test]
fn exit_codes() {
    let passing = fabula()
        .args(["test", "tests/storytests/passing.fab"])
        .output()
        .unwrap();
    assert_eq!(passing.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&passing.stdout);
    assert!(
        stdout.contains("test \"the historical road\" ... ok"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("\ntest result: ok. 4 passed; 0 failed\n"),
        "{stdout}"
    );
    let failing = fabula()
        .args(["test", "tests/storytests/failing.fab"])
        .output()
        .unwrap();
    assert_eq!(failing.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&failing.stdout);
    assert!(
        stdout.contains("test \"the wrong ending\" ... FAILED"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test result: FAILED. 1 passed; 15 failed"),
        "{stdout}"
    );
    // A runtime error found by random play fails the run.
    fabula()
        .args(["test", "tests/random/hidden_error.fab", "--random", "50"])
        .assert()
        .code(1);
    // A story that does not compile is refused with its diagnostics.
    let broken = fabula()
        .args(["test", "tests/check/e0104_unknown_divert.fab"])
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("E0104"));
    // Usage and I/O errors.
    fabula()
        .args(["test", "no/such/story.fab"])
        .assert()
        .code(2);
    fabula().args(["test"]).assert().code(2);
    fabula()
        .args([
            "test",
            "tests/storytests/passing.fab",
            "--coverage",
            "cobertura",
            "out.xml",
        ])
        .assert()
        .code(2);
}

#[test]
fn json_format_is_one_object_per_line() {
    let output = fabula()
        .args([
            "test",
            "tests/storytests/failing.fab",
            "tests/random/hidden_error.fab",
            "--random",
            "20",
            "--seed",
            "3",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let of_type = |kind: &str| {
        lines
            .iter()
            .filter(|line| line["type"] == kind)
            .collect::<Vec<_>>()
    };
    assert_eq!(of_type("test").len(), 16);
    let failed = of_type("test")
        .into_iter()
        .find(|line| line["name"] == "a condition that does not hold")
        .unwrap();
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["failure"]["expected"], "`apparatus == 4` holds");
    assert!(failed["failure"]["transcript"].is_array());
    let random = of_type("random");
    assert_eq!(random.len(), 2);
    let hidden = random
        .iter()
        .find(|line| line["story"].as_str().unwrap().contains("hidden_error"))
        .unwrap();
    assert_eq!(hidden["runs"], 20);
    assert_eq!(hidden["failures"][0]["kind"], "error");
    assert_eq!(hidden["failures"][0]["shrunk"], serde_json::json!([2, 3]));
    assert_eq!(
        hidden["failures"][0]["steps"],
        serde_json::json!([
            {"number": 2, "scene": "corridor", "choice": "Light the fuse"},
            {"number": 3, "scene": "vault", "choice": "Open it"},
        ])
    );
    assert!(hidden["coverage"]["lines"]["percent"].is_number());
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["passed"], 1);
    assert_eq!(summary["failed"], 15);
    assert_eq!(summary["playthroughs"], 40);
}

#[test]
fn random_play_is_reproducible() {
    let run = |seed: &str| {
        fabula()
            .args([
                "test",
                "tests/random/hidden_error.fab",
                "tests/storytests/passing.fab",
                "--random",
                "100",
                "--seed",
                seed,
            ])
            .output()
            .unwrap()
            .stdout
    };
    let first = run("42");
    assert_eq!(first, run("42"));
    assert_ne!(first, run("43"));
    let text = String::from_utf8(first).unwrap();
    assert!(text.contains("seeds 42..=141"), "{text}");
    assert!(text.contains("█"), "{text}");
}

/// The error needs one choice (light the fuse) and then another (open the
/// vault); every other choice is wandering. Shrinking any failing
/// playthrough must come down to exactly those two, and the replay command
/// must say so.
#[test]
fn shrinking_finds_the_two_choices_that_matter() {
    let story = compile(&manifest("tests/random/hidden_error.fab"));
    let report = storytest::random_play(&story, 200, 7);
    assert_eq!(report.failures.len(), 1, "one distinct failure");
    let failure = &report.failures[0];
    assert!(matches!(failure.kind, FailureKind::Error(_)));
    assert!(failure.occurrences > 1);
    assert_eq!(failure.shrunk.as_deref(), Some(&[2, 3][..]));
    // A long wandering path before the error shrinks the same way.
    let mut long = vec![1; 30];
    long.extend([3, 1, 1, 2, 2, 3]);
    let shrunk = storytest::shrink(&story, 0, &long, &failure.kind, usize::MAX).unwrap();
    assert_eq!(shrunk, vec![2, 3]);
    assert!(matches!(
        storytest::replay(&story, 0, &shrunk),
        storytest::Replay::Failed { consumed: 2, .. }
    ));
    let output = fabula()
        .args(["test", "tests/random/hidden_error.fab", "--random", "30"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains(
            "    shrunk to 2 choices:\n      The Corridor: Light the fuse › The Vault: Open it\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("printf '2\\n3\\n' | fabula play tests/random/hidden_error.fab --seed"),
        "{stdout}"
    );
}

/// A playthrough that wanders into the maze never ends. "Did not end" is
/// shrunk like any other failure: to the choice that enters the maze, after
/// which random play still never ends; a sequence from which random play
/// does end is not that failure, so it shrinks to nothing.
#[test]
fn did_not_end_shrinks_to_the_way_into_the_trap() {
    let story = compile(&manifest("tests/random/trap.fab"));
    let report = storytest::random_play(&story, 20, 0);
    assert_eq!(report.failures.len(), 1, "one distinct failure");
    let failure = &report.failures[0];
    assert!(matches!(failure.kind, FailureKind::DidNotEnd));
    assert_eq!(failure.choices.len(), storytest::MAX_TURNS);
    assert_eq!(failure.shrunk.as_deref(), Some(&[2][..]));
    // Waiting in the hall first changes nothing.
    let wandering = [1, 1, 1, 2, 1, 2, 2, 1];
    let shrunk = storytest::shrink(&story, 5, &wandering, &failure.kind, usize::MAX);
    assert_eq!(shrunk, Some(vec![2]));
    // Still in the hall, where random play soon leaves: not stuck.
    let shrunk = storytest::shrink(&story, 5, &[1, 1], &failure.kind, usize::MAX);
    assert_eq!(shrunk, None);
}

/// The rendered random-play report of every story in `tests/random/`, as
/// people read it: endings, coverage, and each failure's shrunk choices.
#[test]
fn rendered_random_reports() {
    for path in crate::stories::fab_files("tests/random") {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let relative = format!("tests/random/{stem}.fab");
        let story = compile(Path::new(&relative));
        let report = storytest::random_play(&story, 30, 0);
        insta::assert_snapshot!(
            format!("random_{stem}"),
            storytest::human_random(&story, &report, &relative)
        );
    }
}

/// docs/TESTING.md's example failures are real: each ```text block that
/// names a story in `tests/random/` is, line by line and in order, part of
/// that story's report for `--random 30 --seed 0`.
#[test]
fn the_guides_example_failures_are_real() {
    let guide = std::fs::read_to_string(manifest("docs/TESTING.md")).unwrap();
    let mut checked = 0;
    let mut lines = guide.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "```text" {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let block: Vec<&str> = lines
            .by_ref()
            .map(|line| line.get(indent..).unwrap_or(line.trim()))
            .take_while(|line| *line != "```")
            .collect();
        let Some(path) = block.iter().find_map(|line| {
            let start = line.find("tests/random/")?;
            let end = start + line[start..].find(".fab")? + ".fab".len();
            Some(line[start..end].to_string())
        }) else {
            continue;
        };
        let story = compile(Path::new(&path));
        let report = storytest::random_play(&story, 30, 0);
        let human = storytest::human_random(&story, &report, &path);
        let mut real = human.lines();
        for shown in &block {
            assert!(
                real.any(|line| line.trim_start() == shown.trim_start()),
                "docs/TESTING.md, example of {path}: {shown:?} is not in the report (in order):\n{human}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 2, "{checked} examples checked");
}

/// The replay command really replays: piped into `fabula play`, it hits the
/// error.
#[test]
fn the_replay_command_reaches_the_error() {
    let output = fabula()
        .args(["play", "tests/random/hidden_error.fab", "--seed", "0"])
        .write_stdin("2\n3\n")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("division by zero"), "{stdout}");
}

#[test]
fn lcov_lists_every_coverable_line() {
    let folder = tempfile_dir("lcov");
    let path = folder.join("coverage.info");
    fabula()
        .args([
            "test",
            "tests/storytests/passing.fab",
            "tests/random/hidden_error.fab",
            "--random",
            "50",
            "--coverage",
            "lcov",
        ])
        .arg(&path)
        .assert()
        .code(1);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("TN:"), "{text}");
    let mut records = 0;
    let mut lines: BTreeMap<usize, u64> = BTreeMap::new();
    let mut file = None;
    for line in text.lines() {
        if let Some(source) = line.strip_prefix("SF:") {
            assert!(Path::new(source).is_file(), "SF: {source}");
            file = Some(source.to_string());
            lines.clear();
        } else if let Some(data) = line.strip_prefix("DA:") {
            let (number, hits) = data.split_once(',').unwrap();
            lines.insert(number.parse().unwrap(), hits.parse().unwrap());
        } else if let Some(found) = line.strip_prefix("LF:") {
            assert_eq!(found.parse::<usize>().unwrap(), lines.len());
        } else if let Some(hit) = line.strip_prefix("LH:") {
            let count = lines.values().filter(|hits| **hits > 0).count();
            assert_eq!(hit.parse::<usize>().unwrap(), count);
        } else if line == "end_of_record" {
            let source = file.take().expect("SF before end_of_record");
            if source.ends_with("passing.fab") {
                // `== gorki: Gorki` (line 6) and its text (line 7) ran;
                // the Pack choice (line 11) was never taken.
                assert!(lines[&6] > 0 && lines[&7] > 0, "{lines:?}");
                assert_eq!(lines[&11], 0, "{lines:?}");
                // Declarations and `test` lines are not coverable.
                assert!(!lines.contains_key(&3) && !lines.contains_key(&23));
            }
            records += 1;
        } else {
            assert!(line.starts_with("TN:"), "unexpected line {line:?}");
        }
    }
    assert_eq!(records, 2);
    std::fs::remove_dir_all(&folder).unwrap();
}

fn tempfile_dir(name: &str) -> PathBuf {
    let folder =
        std::env::temp_dir().join(format!("fabula-storytest-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// Coverage names a labelled choice it never saw taken by its label too,
/// as `taken()` names it.
#[test]
fn coverage_names_unreached_labelled_choices_by_label() {
    let story = compile(Path::new("tests/storytests/labels.fab"));
    let mut coverage = Coverage::new(&story);
    let outcomes = storytest::run_tests(&story, &mut coverage);
    assert!(outcomes.iter().all(|outcome| outcome.failure.is_none()));
    let summary = storytest::summary(&story, &coverage);
    // Both tests leave `Say nothing` (unlabelled) untaken; every labelled
    // choice is taken by one of them.
    assert_eq!(
        summary.choices.unreached,
        ["tests/storytests/labels.fab:14:1"]
    );
    let untouched = storytest::summary(&story, &Coverage::new(&story));
    assert!(
        untouched
            .choices
            .unreached
            .contains(&"tests/storytests/labels.fab:5:1 (office.ask)".to_string()),
        "{:?}",
        untouched.choices.unreached
    );
}

/// Tunnel calls, returns and temporaries are coverable lines, counted when
/// they run: the tests of `tests/storytests/tunnels.fab` run every one.
#[test]
fn tunnel_lines_are_covered() {
    use fabula::graph::Op;
    let story = compile(&manifest("tests/storytests/tunnels.fab"));
    let mut coverage = Coverage::new(&story);
    for outcome in storytest::run_tests(&story, &mut coverage) {
        assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    }
    let mut checked = 0;
    for scene in &story.scenes {
        for op in &scene.ops {
            let span = match op {
                Op::Call { span, .. } | Op::Return { span } | Op::SetLocal { span, .. } => span,
                _ => continue,
            };
            let hits = coverage.spans.get(span).copied().unwrap_or(0);
            assert!(hits > 0, "{}: {span:?} never ran", scene.name);
            checked += 1;
        }
    }
    // 4 calls, 2 returns, 2 temporaries and one reassignment.
    assert_eq!(checked, 9);
    let note = story.scene_by_name("note").unwrap();
    assert!(coverage.scenes[note.index()] > 0);
}

/// Coverage counts each function's calls on its `fn` line: a function the
/// tests call is covered, one never called is not.
#[test]
fn coverage_counts_function_calls() {
    let story = compile(&manifest("tests/storytests/functions.fab"));
    let mut coverage = Coverage::new(&story);
    storytest::run_tests(&story, &mut coverage);
    let calls = |name: &str| {
        let id = story.function_by_name(name).unwrap();
        coverage.functions[id.index()]
    };
    assert!(calls("majority") > 0);
    assert_eq!(calls("never_called"), 0);
    let summary = storytest::summary(&story, &coverage);
    assert!(
        summary
            .lines
            .unreached
            .iter()
            .any(|line| line.ends_with("functions.fab:14:1")),
        "{:?}",
        summary.lines.unreached
    );
    assert!(
        !summary
            .lines
            .unreached
            .iter()
            .any(|line| line.ends_with("functions.fab:10:1")),
        "{:?}",
        summary.lines.unreached
    );
    let random = storytest::random_play(&story, 20, 0);
    let id = story.function_by_name("majority").unwrap();
    assert!(random.coverage.functions[id.index()] > 0);
}
