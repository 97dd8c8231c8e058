//! `tests/explore/`: stories whose state spaces are known, with the
//! explorer's expected findings on a `// explore:` line, checked exactly.
//!
//! Keys: `states`, `transitions` (counts), `reached` and `unreached`
//! (comma-separated ending ids), `soft_locks` and `errors` (counts),
//! `abstraction` and `proved` (yes/no), `witness.ENDING` (the shortest
//! choice numbers to that ending).
//!
//! The rendered reports (human, and JSON's endings and problems) are insta
//! snapshots in `tests/snapshots/`, one per story: what a person reads.

use std::collections::BTreeMap;
use std::path::Path;

use fabula::explore::{Limits, explore};

fn expectations(text: &str) -> BTreeMap<String, String> {
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("// explore:"))
        .expect("a `// explore:` line");
    line.split_whitespace()
        .map(|pair| {
            let (key, value) = pair.split_once('=').expect("key=value");
            (key.to_string(), value.to_string())
        })
        .collect()
}

fn names(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn known_state_spaces() {
    let stories = crate::stories::fab_files("tests/explore");
    assert!(stories.len() >= 5);
    for path in stories {
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = expectations(&text);
        let loaded = fabula::compile::compile_files(&path).unwrap();
        let story = loaded
            .story
            .unwrap_or_else(|| panic!("{}: {:#?}", path.display(), loaded.diagnostics));
        let report = explore(&story, Limits::default(), &mut |_| {});
        let name = |id| story.scene(id).name.clone();
        let mut found = BTreeMap::new();
        found.insert("states".to_string(), report.states.to_string());
        found.insert("transitions".to_string(), report.transitions.to_string());
        let reached: Vec<String> = report
            .endings
            .iter()
            .filter(|e| e.witness.is_some())
            .map(|e| name(e.scene))
            .collect();
        let unreached: Vec<String> = report
            .endings
            .iter()
            .filter(|e| e.witness.is_none())
            .map(|e| name(e.scene))
            .collect();
        found.insert("reached".to_string(), reached.join(","));
        found.insert("unreached".to_string(), unreached.join(","));
        let soft = report.problems.iter().filter(|p| p.is_soft_lock()).count();
        found.insert("soft_locks".to_string(), soft.to_string());
        found.insert(
            "errors".to_string(),
            (report.problems.len() - soft).to_string(),
        );
        found.insert("traps".to_string(), report.traps.len().to_string());
        if let Some(trap) = report.traps.first() {
            let numbers: Vec<String> = trap.witness.iter().map(u32::to_string).collect();
            found.insert("trap.witness".to_string(), numbers.join(","));
        }
        let yes_no = |flag: bool| if flag { "yes" } else { "no" }.to_string();
        found.insert("abstraction".to_string(), yes_no(report.saturated));
        found.insert("proved".to_string(), yes_no(report.proved(false)));
        for ending in &report.endings {
            if let Some(witness) = &ending.witness {
                let numbers: Vec<String> = witness.iter().map(u32::to_string).collect();
                found.insert(format!("witness.{}", name(ending.scene)), numbers.join(","));
            }
        }
        for (key, value) in &expected {
            let actual = found.get(key).map(String::as_str).unwrap_or("<none>");
            let (value, actual) = if key == "reached" || key == "unreached" {
                (names(value).join(","), names(actual).join(","))
            } else {
                (value.clone(), actual.to_string())
            };
            assert_eq!(actual, value, "{}: `{key}`", path.display());
        }
    }
}

/// The human report of every story in `tests/explore/`, and the endings
/// and problems of its JSON, as snapshots: the witnesses as people read
/// them. The first line (timings, memory) varies from run to run and is
/// left out.
#[test]
fn rendered_reports() {
    for path in crate::stories::fab_files("tests/explore") {
        let relative = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        // Compiled from the relative path, so locations do not name this
        // machine's checkout.
        let story = fabula::compile::compile_files(Path::new(&relative))
            .unwrap()
            .story
            .unwrap();
        let report = explore(&story, Limits::default(), &mut |_| {});
        let human = fabula::explore::human(&report, &story, &relative, false);
        let (first, rest) = human.split_once('\n').unwrap();
        assert!(first.starts_with("explored `"), "{first}");
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("explore_{stem}"), rest);
        let json: serde_json::Value =
            serde_json::from_str(&fabula::explore::json(&report, &story, &relative, false))
                .unwrap();
        let witnesses = serde_json::json!({
            "endings": json["endings"],
            "problems": json["problems"],
        });
        insta::assert_snapshot!(
            format!("explore_{stem}_json"),
            serde_json::to_string_pretty(&witnesses).unwrap()
        );
    }
}

/// A witness's readable steps are what the player shows: replaying each
/// witness of every story in `tests/explore/` in `fabula play` (with its
/// seed), each step's `N. choice` is on offer, in order, and is the one
/// typed.
#[test]
fn readable_steps_are_what_the_player_shows() {
    let mut checked = 0;
    for path in crate::stories::fab_files("tests/explore") {
        let story = fabula::compile::compile_files(&path)
            .unwrap()
            .story
            .unwrap();
        let report = explore(&story, Limits::default(), &mut |_| {});
        let witnesses = report
            .endings
            .iter()
            .filter_map(|ending| Some((ending.witness.as_ref()?, ending.seed)))
            .chain(report.problems.iter().map(|p| (&p.witness, p.seed)));
        for (witness, seed) in witnesses {
            let Ok(steps) = fabula::explore::steps(&story, witness, seed) else {
                continue;
            };
            let input: String = witness.iter().map(|n| format!("{n}\n")).collect();
            let mut args = vec!["play".to_string(), path.display().to_string()];
            args.extend(["--color".into(), "never".into()]);
            if let Some(seed) = seed {
                args.extend(["--seed".into(), seed.to_string()]);
            }
            let output = assert_cmd::Command::cargo_bin("fabula")
                .unwrap()
                .args(&args)
                .write_stdin(input)
                .output()
                .unwrap();
            let transcript = String::from_utf8(output.stdout).unwrap();
            let mut rest = transcript.as_str();
            for step in &steps {
                let offered = format!("\n{}. {}", step.number, step.choice);
                let typed = format!("\n> {}\n", step.number);
                let at = rest.find(&offered).unwrap_or_else(|| {
                    panic!("{}: {offered:?} not offered:\n{transcript}", path.display())
                });
                rest = &rest[at..];
                let at = rest.find(&typed).unwrap_or_else(|| {
                    panic!("{}: {typed:?} not typed:\n{transcript}", path.display())
                });
                rest = &rest[at + typed.len()..];
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} witnesses checked");
}

/// The example reports in docs/EXPLORE.md are real: in each ```text block
/// that starts `$ fabula explore PATH`, every line but the first (timings
/// vary) and `…` (lines left out) is a line of the report, in order.
#[test]
fn the_guides_example_reports_are_real() {
    let guide = std::fs::read_to_string("docs/EXPLORE.md").unwrap();
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
        let Some(path) = block
            .first()
            .and_then(|first| first.strip_prefix("$ fabula explore "))
        else {
            continue;
        };
        let story = fabula::compile::compile_files(Path::new(path))
            .unwrap()
            .story
            .unwrap();
        let report = explore(&story, Limits::default(), &mut |_| {});
        let human = fabula::explore::human(&report, &story, path, false);
        let mut real = human.lines().skip(1);
        for shown in block[1..]
            .iter()
            .filter(|line| !line.starts_with("explored `"))
        {
            if *shown == "…" {
                continue;
            }
            assert!(
                real.any(|line| line == *shown),
                "docs/EXPLORE.md, example of {path}: {shown:?} is not in the report (in order):\n{human}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 3, "{checked} examples checked");
}

/// Limits make the result incomplete, never a proof.
#[test]
fn limits_are_reported_as_incomplete() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/explore/flags.fab");
    let story = fabula::compile::compile_files(&path)
        .unwrap()
        .story
        .unwrap();
    let capped = explore(
        &story,
        Limits {
            max_states: Some(3),
            ..Limits::default()
        },
        &mut |_| {},
    );
    assert_eq!(capped.states, 3);
    assert!(!capped.complete());
    assert!(!capped.proved(true));
    let shallow = explore(
        &story,
        Limits {
            max_depth: Some(1),
            ..Limits::default()
        },
        &mut |_| {},
    );
    assert!(!shallow.complete());
    assert!(!shallow.proved(true));
}

/// The bundled story is proved: every ending reachable, nothing stuck.
#[test]
fn the_bundled_story_is_proved() {
    let loaded = fabula::bundled::load();
    let story = loaded.story.expect("the bundled story compiles");
    let report = explore(&story, Limits::default(), &mut |_| {});
    assert!(report.complete(), "incomplete: {:?}", report.cutoff);
    if let Some(problem) = report.problems.first() {
        panic!("{} (witness {:?})", problem.error, problem.witness);
    }
    for ending in &report.endings {
        assert!(
            ending.witness.is_some(),
            "ending `{}` is never reached",
            story.scene(ending.scene).name
        );
    }
}

/// The report does not depend on the number of threads: levels are
/// expanded in parallel but merged in order.
#[test]
fn threads_do_not_change_the_report() {
    let text = fabula::generate::flags(13);
    let mut read = |_: &Path| Ok(text.clone().into_bytes());
    let story = fabula::compile::compile(Path::new("flags.fab"), &mut read)
        .unwrap()
        .story
        .unwrap();
    let one = fabula::explore::explore_with_threads(&story, Limits::default(), 1, &mut |_| {});
    let two = fabula::explore::explore_with_threads(&story, Limits::default(), 2, &mut |_| {});
    assert_eq!(one.states, (1 << 13) - 1);
    assert_eq!((one.states, one.transitions), (two.states, two.transitions));
    let witnesses = |report: &fabula::explore::Report| -> Vec<_> {
        report.endings.iter().map(|e| e.witness.clone()).collect()
    };
    assert_eq!(witnesses(&one), witnesses(&two));
}

/// For a story that draws random values, the reproduce command the report
/// prints (the witness's choices and a seed) really replays the problem in
/// the player, and each ending's seed gets the player there.
#[test]
fn the_reproduce_command_replays_a_random_storys_problem() {
    let path = "tests/explore/dice.fab";
    let loaded = fabula::compile::compile_files(Path::new(path)).unwrap();
    let story = loaded.story.expect("the dice story compiles");
    let report = explore(&story, Limits::default(), &mut |_| {});
    let play = |witness: &[u32], seed: u64| {
        let input: String = witness.iter().map(|n| format!("{n}\n")).collect();
        let output = assert_cmd::Command::cargo_bin("fabula")
            .unwrap()
            .args([
                "play",
                path,
                "--seed",
                &seed.to_string(),
                "--color",
                "never",
            ])
            .write_stdin(input)
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let problem = &report.problems[0];
    let seed = problem.seed.expect("a seed that rolls 1 then 1");
    let human = fabula::explore::human(&report, &story, path, false);
    assert!(
        human.contains(&format!("fabula play {path} --seed {seed}")),
        "{human}"
    );
    let transcript = play(&problem.witness, seed);
    assert!(transcript.contains("error: "), "{transcript}");
    assert!(transcript.contains("division by zero"), "{transcript}");
    for ending in &report.endings {
        let (Some(witness), Some(seed)) = (&ending.witness, ending.seed) else {
            panic!("every ending of the dice story is reached, with a seed");
        };
        let title = story.scene(ending.scene).title.clone().unwrap();
        let transcript = play(witness, seed);
        assert!(
            transcript.contains(&format!("THE END: {title}")),
            "{transcript}"
        );
    }
}

/// A fallback choice the story never has to take is listed as never
/// reached; one it takes is not.
#[test]
fn fallbacks_never_taken_are_listed_as_never_reached() {
    let text = "\
var x = 0
== start
* Go -> next
* -> ending b
== next
* {x > 0} Hidden -> ending a
* -> ending b
== ending a
== ending b
";
    let mut read = |_: &Path| Ok(text.as_bytes().to_vec());
    let story = fabula::compile::compile(Path::new("fallbacks.fab"), &mut read)
        .unwrap()
        .story
        .unwrap();
    let report = explore(&story, Limits::default(), &mut |_| {});
    let lines: Vec<usize> = report
        .unreached_choices
        .iter()
        .map(|(scene, choice)| {
            let span = story
                .scene(*scene)
                .ops
                .iter()
                .find_map(|op| match op {
                    fabula::graph::Op::Choices { choices, .. } => {
                        choices.iter().find(|c| c.id == *choice).map(|c| c.span)
                    }
                    _ => None,
                })
                .unwrap();
            text[..span.start as usize].lines().count() + 1
        })
        .collect();
    // Line 4: start's fallback (Go is always there); line 6: the hidden
    // choice (x stays 0). next's fallback, on line 7, is taken.
    assert_eq!(lines, [4, 6]);
}

/// Plays a witness in the runtime (numbers as shown, from 1) with a seed;
/// the state at the end and how the game stands.
fn replay(
    story: &fabula::graph::Story,
    witness: &[u32],
    seed: u64,
) -> (
    fabula::runtime::State,
    Result<Option<fabula::graph::SceneId>, fabula::runtime::RuntimeError>,
) {
    use fabula::runtime::{Discard, Machine, Pause, State};
    let mut machine = Machine::new();
    let mut state = State::new(story, seed);
    for &number in witness {
        let offers: Vec<_> = match machine.run(story, &mut state, &mut Discard) {
            Ok(Pause::Choices(offers)) => offers.to_vec(),
            other => panic!("the witness goes on after the game stopped: {other:?}"),
        };
        let offer = offers[number as usize - 1];
        assert!(offer.enabled, "choice {number} is disabled");
        if let Err(error) = machine.choose(story, &mut state, offer.choice as usize) {
            match error {
                fabula::runtime::ChooseError::Runtime(error) => return (state, Err(error)),
                other => panic!("choice {number} refused: {other}"),
            }
        }
    }
    let outcome = match machine.run(story, &mut state, &mut Discard) {
        Ok(Pause::Choices(offers)) => {
            // A choice whose text fails fails when the choices are shown.
            let offers: Vec<u32> = offers.iter().map(|offer| offer.choice).collect();
            // So does a page that fails, when the player opens it.
            let page = story
                .pages()
                .find_map(|(page, _)| machine.page(story, &state, page)?.err());
            match offers
                .into_iter()
                .find_map(|choice| machine.choice_text(story, &state, choice as usize).err())
                .or(page)
            {
                Some(error) => Err(error),
                None => Ok(None),
            }
        }
        Ok(Pause::Ending(scene)) => Ok(Some(scene)),
        Err(error) => Err(error),
    };
    (state, outcome)
}

/// Every witness explore prints for the stories of tests/explore replays in
/// the runtime to what it names: the ending, the error (same kind, same
/// place), or the trap — paused in its scene, and no ending reached by a
/// thousand random walks of a hundred choices from there.
#[test]
fn every_witness_replays_to_what_it_names() {
    use fabula::runtime::{Discard, Machine, Pause};
    for path in crate::stories::fab_files("tests/explore") {
        let story = fabula::compile::compile_files(&path)
            .unwrap()
            .story
            .unwrap();
        let report = explore(&story, Limits::default(), &mut |_| {});
        let name = path.display();
        let needs_seed = report.bounds.uses_random;
        for ending in &report.endings {
            let (Some(witness), seed) = (&ending.witness, ending.seed) else {
                continue;
            };
            if needs_seed && seed.is_none() {
                continue;
            }
            let (_, outcome) = replay(&story, witness, seed.unwrap_or(0));
            assert_eq!(outcome.ok().flatten(), Some(ending.scene), "{name}");
        }
        for problem in &report.problems {
            if needs_seed && problem.seed.is_none() {
                continue;
            }
            let (_, outcome) = replay(&story, &problem.witness, problem.seed.unwrap_or(0));
            let error = outcome.expect_err(&format!("{name}: {} replays", problem.error));
            assert_eq!(
                (error.kind.clone(), error.span),
                (problem.error.kind.clone(), problem.error.span),
                "{name}"
            );
        }
        for trap in &report.traps {
            if needs_seed && trap.seed.is_none() {
                continue;
            }
            let (state, outcome) = replay(&story, &trap.witness, trap.seed.unwrap_or(0));
            assert_eq!(outcome.ok(), Some(None), "{name}: the trap's way in pauses");
            assert_eq!(state.scene, trap.scene, "{name}");
            let mut machine = Machine::new();
            for walk in 0..1_000u64 {
                let mut state = state.clone();
                let mut rng = walk.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                for _ in 0..100 {
                    let offers: Vec<u32> = match machine.run(&story, &mut state, &mut Discard) {
                        Ok(Pause::Choices(offers)) => offers
                            .iter()
                            .filter(|offer| offer.enabled)
                            .map(|offer| offer.choice)
                            .collect(),
                        Ok(Pause::Ending(scene)) => {
                            panic!("{name}: walk {walk} out of the trap ends in {scene:?}")
                        }
                        Err(error) => panic!("{name}: walk {walk} fails: {error}"),
                    };
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let pick = offers[(rng % offers.len() as u64) as usize];
                    machine.choose(&story, &mut state, pick as usize).unwrap();
                }
            }
        }
    }
}

/// Regression (issue #9): choice numbers were stored as u16, so a witness
/// through the 70,000th choice of a block came out as choice 4,464.
#[test]
fn bug_witness_past_65535_choices_wrapped() {
    let mut text = String::from("title: Wide\n== a\n");
    for _ in 0..69_999 {
        text.push_str("* Other -> ending c\n");
    }
    text.push_str(
        "* Go -> next\n== next\n* Finish -> ending b\n== ending b\nB.\n== ending c\nC.\n",
    );
    let mut read = |_: &Path| Ok(text.as_bytes().to_vec());
    let story = fabula::compile::compile(Path::new("wide.fab"), &mut read)
        .unwrap()
        .story
        .expect("compiles");
    let report = explore(&story, Limits::default(), &mut |_| {});
    let b = story.scene_by_name("b").unwrap();
    let ending = report.endings.iter().find(|e| e.scene == b).unwrap();
    assert_eq!(ending.witness, Some(vec![70_000, 1]));
    let (_, outcome) = replay(&story, &[70_000, 1], 0);
    assert_eq!(outcome.ok().flatten(), Some(b));
}

/// The memory ceiling stops a search that would outgrow it: INCOMPLETE,
/// exit 1, with what kept the state space large (issue #9).
#[test]
fn a_search_past_its_memory_ceiling_stops_incomplete() {
    let folder = scratch("explore_memory");
    let story = folder.join("flags.fab");
    std::fs::write(&story, fabula::generate::flags(30)).unwrap();
    let output = assert_cmd::Command::cargo_bin("fabula")
        .unwrap()
        .args(["explore", "--max-memory", "8M"])
        .arg(&story)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("INCOMPLETE: stopped at --max-memory 8 MB"),
        "{stdout}"
    );
    assert!(stdout.contains("why the search is large"), "{stdout}");
    assert!(stdout.contains("  f"), "names the flags: {stdout}");
}

/// SIGTERM (as Ctrl-C) stops a search and prints what it found so far,
/// INCOMPLETE, exit 1 (issue #9).
#[test]
fn a_signal_stops_the_search_with_a_partial_report() {
    let folder = scratch("explore_signal");
    let story = folder.join("flags.fab");
    std::fs::write(&story, fabula::generate::flags(40)).unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("fabula"))
        .args(["explore", "--threads", "1"])
        .arg(&story)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once a progress line is out, the search (and its signal handler) runs.
    let mut child = child;
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() > 0
        && !line.starts_with("exploring:")
    {
        line.clear();
    }
    assert!(line.starts_with("exploring:"), "no progress line");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("INCOMPLETE: interrupted"), "{stdout}");
    assert!(stdout.starts_with("explored `Flags`"), "{stdout}");
}

/// A fresh scratch folder for one test, under Cargo's target directory.
fn scratch(name: &str) -> std::path::PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// Regression: states at `--max-depth` are not expanded, so nothing about
/// them is known; they were taken for states that reach no ending, and the
/// start of the lighthouse story was called a trap.
#[test]
fn bug_states_at_the_depth_limit_were_called_traps() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/explore/trap_lighthouse.fab");
    let story = fabula::compile::compile_files(&path)
        .unwrap()
        .story
        .unwrap();
    for depth in 0..2 {
        let report = explore(
            &story,
            Limits {
                max_depth: Some(depth),
                ..Limits::default()
            },
            &mut |_| {},
        );
        assert!(report.traps.is_empty(), "depth {depth}: {:?}", report.traps);
        assert!(!report.proved(false));
    }
    let full = explore(&story, Limits::default(), &mut |_| {});
    assert_eq!(full.traps.len(), 1);
}

/// Regression: `--no-traps` on a story with nothing wrong said "FAILED: see
/// above" with nothing above to see. Without the trap pass there is no
/// proof, and no failure either: INCOMPLETE, exit 1; the same story with
/// the pass is PROVED, exit 0.
#[test]
fn bug_no_traps_said_failed_with_nothing_found() {
    let run = |extra: &[&str]| {
        let output = assert_cmd::Command::cargo_bin("fabula")
            .unwrap()
            .arg("explore")
            .args(extra)
            .arg("tests/explore/hub.fab")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.code(), stdout)
    };
    let (code, stdout) = run(&["--no-traps"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("INCOMPLETE: no problem found, but traps were not looked for (--no-traps)"),
        "{stdout}"
    );
    assert!(!stdout.contains("FAILED"), "{stdout}");
    let (code, stdout) = run(&[]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("PROVED"), "{stdout}");
}
