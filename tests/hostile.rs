//! Stories are untrusted (issue #10): `fabula check`, `explore`, `test`,
//! `graph` and `compile` run in CI on strangers' pull requests. Each story
//! folder here is built by the test itself (links, FIFOs, `/dev/zero`)
//! around a secret file outside it; every command must end with the
//! expected exit code, never hang, and never show a byte of the secret.
//! Then output files (links, devices, FIFOs), save slots, broken pipes and
//! full disks, and the ranges of numeric options.

// Links and FIFOs are Unix's.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// What the secret files hold: a story that would be quoted (its syntax
/// error, its title) if it were ever read; one word, as the first word of
/// `/etc/passwd` is, which the save parser's error used to name.
const SECRET: &str = "topsecret4f9c";

/// Enough for any of these commands; a FIFO read would block forever.
const TIMEOUT: Duration = Duration::from_secs(60);

const CLEAN: &str = "title: Clean\n== start\nStart.\n* Go -> ending done\n== ending done\nDone.\n";

/// A fresh scratch folder for one test, under Cargo's target directory.
fn scratch(name: &str) -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Runs `fabula` with a timeout: a hang is a failure, not a stuck suite.
fn run(args: &[&std::ffi::OsStr], stdin: &str) -> Output {
    let output = assert_cmd::Command::new(env!("CARGO_BIN_EXE_fabula"))
        .env_remove("GITHUB_ACTIONS")
        .env_remove("NO_COLOR")
        .args(args)
        .write_stdin(stdin)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(
        output.status.code().is_some(),
        "`fabula {args:?}` did not exit by itself (a hang or a signal): {output:?}"
    );
    output
}

/// One hostile story folder: what it holds, and every command's exit code
/// on it: 1 when the story is refused with diagnostics, 2 when a file is
/// refused outright (a folder's files are all vetted before any is read).
struct Hostile {
    name: &'static str,
    /// Makes the folder's files, given the folder and the secret file.
    make: fn(&Path, &Path),
    /// The exit code with the folder named on the command line.
    folder_exit: i32,
    /// The exit code with its `story.fab` named.
    entry_exit: i32,
}

fn story_including(folder: &Path, include: &str) {
    std::fs::write(
        folder.join("story.fab"),
        format!("title: Hostile\ninclude \"{include}\"\n== start\n-> ending done\n== ending done\nDone.\n"),
    )
    .unwrap();
}

const HOSTILE: &[Hostile] = &[
    // Regression: the root folder of `story.fab` was the empty path, which
    // every path starts with, so an absolute include was read.
    Hostile {
        name: "absolute_include",
        make: |folder, secret| story_including(folder, secret.to_str().unwrap()),
        folder_exit: 1,
        entry_exit: 1,
    },
    // Regression: a link in the story's folder to a file outside it was followed.
    Hostile {
        name: "link_included",
        make: |folder, secret| {
            story_including(folder, "notes.fab");
            std::os::unix::fs::symlink(secret, folder.join("notes.fab")).unwrap();
        },
        folder_exit: 2,
        entry_exit: 1,
    },
    Hostile {
        name: "relative_link_included",
        make: |folder, _| {
            story_including(folder, "notes.fab");
            std::os::unix::fs::symlink("../secret.fab", folder.join("notes.fab")).unwrap();
        },
        folder_exit: 2,
        entry_exit: 1,
    },
    Hostile {
        name: "link_found_in_the_folder",
        make: |folder, secret| {
            std::fs::write(folder.join("story.fab"), CLEAN).unwrap();
            std::os::unix::fs::symlink(secret, folder.join("notes.fab")).unwrap();
        },
        folder_exit: 2,
        entry_exit: 0,
    },
    Hostile {
        name: "entry_is_a_link",
        make: |folder, secret| {
            std::os::unix::fs::symlink(secret, folder.join("story.fab")).unwrap();
        },
        folder_exit: 2,
        entry_exit: 2,
    },
    // Regression: a FIFO hung every command forever.
    Hostile {
        name: "fifo_included",
        make: |folder, _| {
            story_including(folder, "pipe.fab");
            mkfifo(&folder.join("pipe.fab"));
        },
        folder_exit: 2,
        entry_exit: 1,
    },
    Hostile {
        name: "fifo_found_in_the_folder",
        make: |folder, _| {
            std::fs::write(folder.join("story.fab"), CLEAN).unwrap();
            mkfifo(&folder.join("pipe.fab"));
        },
        folder_exit: 2,
        entry_exit: 0,
    },
    Hostile {
        name: "fifo_is_the_story",
        make: |folder, _| mkfifo(&folder.join("story.fab")),
        folder_exit: 2,
        entry_exit: 2,
    },
    // Regression: `/dev/zero` was read until memory ran out.
    Hostile {
        name: "dev_zero_included",
        make: |folder, _| {
            story_including(folder, "z.fab");
            std::os::unix::fs::symlink("/dev/zero", folder.join("z.fab")).unwrap();
        },
        folder_exit: 2,
        entry_exit: 1,
    },
    Hostile {
        name: "dev_zero_found_in_the_folder",
        make: |folder, _| {
            std::fs::write(folder.join("story.fab"), CLEAN).unwrap();
            std::os::unix::fs::symlink("/dev/zero", folder.join("z.fab")).unwrap();
        },
        folder_exit: 2,
        entry_exit: 0,
    },
];

/// The scratch folder with the secret file and one folder per hostile story.
fn hostile_stories(name: &str) -> PathBuf {
    let base = scratch(name);
    let secret = base.join("secret.fab");
    std::fs::write(
        &secret,
        format!("title: {SECRET}\n== {SECRET}\n{SECRET} {{{{ {SECRET}\n"),
    )
    .unwrap();
    for hostile in HOSTILE {
        let folder = base.join(hostile.name);
        std::fs::create_dir(&folder).unwrap();
        (hostile.make)(&folder, &secret);
    }
    base
}

fn assert_nothing_of_the_secret(output: &Output, what: &str) {
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(SECRET),
            "{what}: the secret is on {stream}:\n{text}"
        );
    }
}

#[test]
fn no_command_reads_outside_the_story_or_hangs() {
    let base = hostile_stories("hostile-stories");
    let runs = HOSTILE.iter().flat_map(|hostile| {
        let folder = base.join(hostile.name);
        [
            (hostile.name, folder.clone(), hostile.folder_exit),
            (hostile.name, folder.join("story.fab"), hostile.entry_exit),
        ]
    });
    for (name, path, exit) in runs {
        let coverage = base.join(format!("{name}.lcov"));
        let commands: [Vec<&std::ffi::OsStr>; 5] = [
            vec!["check".as_ref(), path.as_os_str()],
            vec!["explore".as_ref(), path.as_os_str()],
            vec![
                "test".as_ref(),
                path.as_os_str(),
                "--random".as_ref(),
                "3".as_ref(),
                "--coverage".as_ref(),
                "lcov".as_ref(),
                coverage.as_os_str(),
            ],
            vec!["graph".as_ref(), path.as_os_str()],
            vec!["compile".as_ref(), path.as_os_str()],
        ];
        for args in commands {
            let what = format!("fabula {} {}", args[0].to_string_lossy(), path.display());
            let output = run(&args, "");
            assert_eq!(
                output.status.code(),
                Some(exit),
                "{what}:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert_nothing_of_the_secret(&output, &what);
        }
    }
}

/// A pull request can make the folder CI names a link to anywhere (`/`).
#[test]
fn a_named_folder_that_links_out_of_its_folder_is_refused() {
    let base = scratch("hostile-named-link");
    let elsewhere = base.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(
        elsewhere.join("story.fab"),
        format!("title: {SECRET}\n== {SECRET}\n{SECRET} {{{{\n"),
    )
    .unwrap();
    let checkout = base.join("checkout");
    std::fs::create_dir(&checkout).unwrap();
    std::os::unix::fs::symlink(&elsewhere, checkout.join("stories")).unwrap();
    for named in ["stories", "stories/", "stories/story.fab"] {
        let path = checkout.join(named);
        for command in ["check", "explore", "test", "graph", "compile", "play"] {
            let output = run(&[command.as_ref(), path.as_os_str()], "");
            let what = format!("fabula {command} {named}");
            assert_eq!(output.status.code(), Some(2), "{what}: {output:?}");
            assert_nothing_of_the_secret(&output, &what);
            let stderr = String::from_utf8(output.stderr).unwrap();
            assert!(
                stderr.contains("symbolic link leading out of its folder"),
                "{stderr}"
            );
        }
    }
}

/// The story's own files, links among them included, are read as before.
#[test]
fn links_that_stay_inside_the_story_are_followed() {
    let folder = scratch("hostile-inside-links");
    std::fs::create_dir(folder.join("act")).unwrap();
    // Not a `.fab` file itself, so only the link is found in the folder.
    std::fs::write(folder.join("act/real.txt"), "== ending done\nDone.\n").unwrap();
    std::os::unix::fs::symlink("act/real.txt", folder.join("one.fab")).unwrap();
    std::fs::write(
        folder.join("story.fab"),
        "title: Linked\ninclude \"one.fab\"\n== start\n-> ending done\n",
    )
    .unwrap();
    let output = run(&["check".as_ref(), folder.as_os_str()], "");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn refusals_say_why() {
    let base = hostile_stories("hostile-reasons");
    let stderr = |args: &[&std::ffi::OsStr]| String::from_utf8(run(args, "").stderr).unwrap();
    let fifo = base.join("fifo_found_in_the_folder");
    assert!(
        stderr(&["check".as_ref(), fifo.as_os_str()])
            .contains("pipe.fab`: it is not a regular file"),
    );
    let link = base.join("link_included/story.fab");
    let text = stderr(&["check".as_ref(), link.as_os_str()]);
    assert!(
        text.contains("error[E0403]: `notes.fab` is a link to a file outside the story's folder"),
        "{text}"
    );
    let absolute = base.join("absolute_include/story.fab");
    let text = stderr(&["check".as_ref(), absolute.as_os_str()]);
    assert!(
        text.contains("is an absolute path, outside the story's folder"),
        "{text}"
    );
}

/// A story to play and write outputs of, in a fresh folder.
fn clean_story(name: &str) -> (PathBuf, PathBuf) {
    let folder = scratch(name);
    let story = folder.join("story.fab");
    std::fs::write(&story, CLEAN).unwrap();
    (folder, story)
}

#[test]
fn output_files_are_never_links_or_special_files() {
    let (folder, story) = clean_story("hostile-outputs");
    let victim = folder.join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let link = folder.join("link.out");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let fifo = folder.join("pipe.out");
    mkfifo(&fifo);
    for target in [
        link.as_path(),
        fifo.as_path(),
        Path::new("/dev/null"),
        &folder,
    ] {
        let compile = run(
            &[
                "compile".as_ref(),
                story.as_os_str(),
                "-o".as_ref(),
                target.as_os_str(),
            ],
            "",
        );
        let coverage = run(
            &[
                "test".as_ref(),
                story.as_os_str(),
                "--coverage".as_ref(),
                "lcov".as_ref(),
                target.as_os_str(),
            ],
            "",
        );
        let transcript = run(
            &[
                "play".as_ref(),
                story.as_os_str(),
                "--transcript".as_ref(),
                target.as_os_str(),
            ],
            "1\n",
        );
        for output in [compile, coverage, transcript] {
            assert_eq!(
                output.status.code(),
                Some(2),
                "{}: {output:?}",
                target.display()
            );
            let stderr = String::from_utf8(output.stderr).unwrap();
            assert!(
                stderr.contains("it is a symbolic link; Fabula does not write through links")
                    || stderr.contains("it is not a regular file"),
                "{stderr}"
            );
        }
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // A regular file is replaced whole, and no temporary file is left.
    let out = folder.join("story.ron");
    std::fs::write(&out, "old").unwrap();
    let output = run(
        &[
            "compile".as_ref(),
            story.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("title: \"Clean\"")
    );
    let names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".fabula-tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

/// Regression: a slot linked to `/etc/passwd` showed its first word in the
/// error; a FIFO slot hung `saves` and `load`; temporary files of killed
/// saves piled up.
#[test]
fn save_slots_are_not_quoted_followed_into_fifos_or_left_as_temporaries() {
    let (folder, story) = clean_story("hostile-saves");
    let saves = folder.join("saves");
    std::fs::create_dir(&saves).unwrap();
    let secret = folder.join("passwd");
    std::fs::write(&secret, format!("{SECRET}:x:0:0:{SECRET}:/root:/bin/sh\n")).unwrap();
    std::os::unix::fs::symlink(&secret, saves.join("evil.ron")).unwrap();
    std::fs::write(saves.join("garbage.ron"), format!("{SECRET} (((")).unwrap();
    mkfifo(&saves.join("pipe.ron"));
    // Left by a save killed mid-write: no process has a PID above 2^22.
    let orphan = saves.join(".quick.ron.4194305.fabula-tmp");
    std::fs::write(&orphan, "half a save").unwrap();
    let output = run(
        &[
            "play".as_ref(),
            story.as_os_str(),
            "--save-dir".as_ref(),
            saves.as_os_str(),
        ],
        "saves\nload evil\nload garbage\nload pipe\nsave quick\nquit\n",
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_nothing_of_the_secret(&output, "play");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("Cannot load slot `evil`: it is not a valid save (line 1, column"),
        "{stdout}"
    );
    assert!(stdout.contains("it is not a regular file"), "{stdout}");
    assert!(
        !stdout.contains("  pipe "),
        "a FIFO is not listed as a slot:\n{stdout}"
    );
    assert!(
        !stdout.contains("fabula-tmp"),
        "an orphan is not listed:\n{stdout}"
    );
    assert!(!orphan.exists(), "the next save removes the orphan");
    assert!(saves.join("quick.ron").exists());
}

/// A reader that has stopped reading: the read end of a pipe, closed.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

fn fabula_with(stdout: impl Into<Stdio>, stderr: impl Into<Stdio>, args: &[&str]) -> Output {
    // A std Command: assert_cmd would capture both streams itself.
    let child = Command::new(env!("CARGO_BIN_EXE_fabula"))
        .env_remove("GITHUB_ACTIONS")
        .env_remove("NO_COLOR")
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Regression: `fabula check --format json … | head -1` panicked (exit 101).
#[test]
fn a_broken_pipe_is_a_quiet_success() {
    let commands: &[&[&str]] = &[
        &["check", "--format", "json", "tests/check"],
        &["check", "--explain", "E0104"],
        &["gen", "--scenes", "10"],
        &["graph", "stories/rise_of_stalin"],
        &["compile", "tests/check/clean.fab"],
        &["test", "tests/storytests"],
    ];
    for args in commands {
        let output = fabula_with(closed_pipe(), Stdio::piped(), args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{args:?}");
    }
    // Human diagnostics go to standard error.
    let output = fabula_with(Stdio::null(), closed_pipe(), &["check", "tests/check"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

/// Regression: `fabula check … 2>/dev/full` panicked (exit 101), and a
/// failed write named its cause twice.
#[test]
fn a_full_disk_is_one_message_and_exit_2() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let commands: &[&[&str]] = &[
        &["check", "--format", "json", "tests/check"],
        &["gen", "--scenes", "10"],
        &["graph", "tests/check/clean.fab"],
        &["compile", "tests/check/clean.fab"],
        &["explore", "tests/check/clean.fab"],
        &["test", "tests/storytests"],
    ];
    for args in commands {
        let output = fabula_with(full(), Stdio::piped(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "error: cannot write to standard output: No space left on device (os error 28)\n",
            "{args:?}"
        );
    }
    let output = fabula_with(Stdio::null(), full(), &["check", "tests/check"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    // A story big enough to be played from its opening while the rest is
    // checked, with an error past the opening: the player prints the
    // diagnostics itself (it panicked).
    let folder = scratch("hostile-full-disk");
    let big = folder.join("big.fab");
    let generated = run(&["gen".as_ref(), "--scenes".as_ref(), "3000".as_ref()], "");
    let mut text = generated.stdout;
    text.extend_from_slice(b"== extra\n-> nowhere\n");
    std::fs::write(&big, text).unwrap();
    let output = fabula_with(Stdio::null(), full(), &["play", big.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

/// Regression: `gen --scenes 18446744073709551615` panicked, `--scenes
/// 50000000` aborted allocating 16 GB, `--flags 100000` gave 40 flags,
/// `explore --threads 100000` panicked.
#[test]
fn numeric_options_out_of_range_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["gen", "--scenes", "18446744073709551615"],
            "is not in 1..=1000000",
        ),
        (&["gen", "--scenes", "50000000"], "is not in 1..=1000000"),
        (&["gen", "--scenes", "0"], "is not in 1..=1000000"),
        (&["gen", "--flags", "100000"], "is not in 1..=40"),
        (&["gen", "--flags", "0"], "is not in 1..=40"),
        (
            &["explore", "tests/check/clean.fab", "--threads", "100000"],
            "is not in 1..=256",
        ),
        (
            &["explore", "tests/check/clean.fab", "--threads", "0"],
            "is not in 1..=256",
        ),
        (
            &["test", "tests/check/clean.fab", "--random", "0"],
            "is not in 1..=1000000000",
        ),
        (
            &["test", "tests/check/clean.fab", "--random", "1000000001"],
            "is not in 1..=1000000000",
        ),
        (
            &["explore", "tests/check/clean.fab", "--max-states", "1x"],
            "invalid value",
        ),
        (&["play", "--seed", "18446744073709551616"], "invalid value"),
    ];
    for (args, message) in cases {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|arg| arg.as_ref()).collect();
        let output = run(&args, "");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    for args in [["gen", "--flags", "40"], ["gen", "--scenes", "1"]] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|arg| arg.as_ref()).collect();
        assert_eq!(run(&args, "").status.code(), Some(0), "{args:?}");
    }
}
