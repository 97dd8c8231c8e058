//! How long `fabula play` keeps a player waiting: from spawning the binary
//! on a pseudo-terminal to the prompt after the first choices, as a player
//! at a terminal sees it. The target is at most 20 ms on the
//! generated 10,000-scene story.
//!
//! `cargo bench --bench first_prompt`. Each sample starts a fresh process
//! (so the time includes starting it, reading and outlining the story,
//! compiling the opening and drawing the screen) and kills it at the
//! prompt. The check of the whole story runs after that (see
//! `repl::play_opening`) and is not timed here; `benches/check.rs` times it.
//! `FABULA_BENCH_BIN=path/to/fabula` times another build (an older one, to
//! compare).

#[cfg(unix)]
mod pty {
    use std::io::Read;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::time::{Duration, Instant};

    use criterion::Criterion;
    use rexpect::process::{PtyProcess, Signal};

    /// Whether the prompt after the first list of choices is on the screen.
    fn prompt_shown(screen: &[u8]) -> bool {
        let text = String::from_utf8_lossy(screen);
        text.rfind("\n1. ")
            .is_some_and(|choices| text[choices..].contains("> "))
    }

    /// One play, timed from spawning to the first prompt.
    fn time_to_prompt(home: &Path, args: &[&str]) -> Duration {
        let binary = std::env::var_os("FABULA_BENCH_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_fabula").into());
        let mut command = Command::new(binary);
        command
            .args(args)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("TERM", "xterm")
            .env("NO_COLOR", "1");
        let start = Instant::now();
        let mut process = PtyProcess::new(command).expect("a pseudo-terminal");
        let mut terminal = process.get_file_handle().expect("the terminal's end");
        let mut screen = Vec::new();
        let mut buffer = [0; 1 << 16];
        while !prompt_shown(&screen) {
            let read = terminal.read(&mut buffer).expect("the player's output");
            assert!(
                read > 0,
                "the player ended before its first prompt:\n{}",
                String::from_utf8_lossy(&screen)
            );
            screen.extend_from_slice(&buffer[..read]);
        }
        let elapsed = start.elapsed();
        let _ = process.kill(Signal::SIGKILL);
        elapsed
    }

    pub fn first_prompt(c: &mut Criterion) {
        let home: PathBuf = std::env::temp_dir().join("fabula-bench-first-prompt");
        std::fs::create_dir_all(&home).unwrap();
        let story = home.join("generated-10000.fab");
        std::fs::write(&story, fabula::generate::story(10_000)).unwrap();
        let story = story
            .to_str()
            .expect("a UTF-8 temporary folder")
            .to_string();
        let mut group = c.benchmark_group("first_prompt");
        group.sample_size(30);
        let cases: [(&str, Vec<&str>); 2] = [
            ("bundled", vec!["play", "--seed", "1"]),
            (
                "generated_10000_scenes",
                vec!["play", &story, "--seed", "1"],
            ),
        ];
        for (name, args) in &cases {
            group.bench_function(*name, |b| {
                b.iter_custom(|iterations| {
                    (0..iterations).map(|_| time_to_prompt(&home, args)).sum()
                })
            });
        }
        group.finish();
    }
}

#[cfg(unix)]
criterion::criterion_group!(benches, pty::first_prompt);
#[cfg(unix)]
criterion::criterion_main!(benches);

#[cfg(not(unix))]
fn main() {
    eprintln!("the first-prompt benchmark needs a Unix pseudo-terminal");
}
