//! The command line: arguments in, exit code out.
//!
//! Exit codes are an interface: 0 success (warnings allowed), 1 the story
//! has errors (or warnings under `--deny-warnings`), 2 a usage or I/O error.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

use fabula::compile::{self, LoadedStory};
use fabula::diagnostic::{Code, Diagnostic, Severity, SourceMap};
use fabula::fsio;
use fabula::render;
use fabula::repl::ColorMode;

mod saves;
mod size;

use fabula::compile::{entry_of, find_stories};
use size::parse_size;

#[derive(Debug, Parser)]
#[command(
    name = "fabula",
    version,
    about = "Write, check, prove and play interactive fiction."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check stories and report every error and warning.
    Check(CheckArgs),
    /// Compile a story and write its narrative graph.
    Compile(CompileArgs),
    /// Draw the story map (scenes, choices, endings) as Graphviz or Mermaid.
    Graph(GraphArgs),
    /// Write a generated story (for benchmarks) to standard output.
    Gen(GenArgs),
    /// Play a story (the bundled one when none is given).
    Play(PlayArgs),
    /// Prove a story: search every reachable state for unreachable endings,
    /// soft-locks and runtime errors.
    Explore(ExploreArgs),
    /// Run stories' own tests; with --random, random playthroughs too.
    Test(TestArgs),
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Story files or folders (every story found, as `check` finds them).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also play N random playthroughs of each story (1 to 1,000,000,000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_RANDOM_RUNS))]
    pub random: Option<u64>,
    /// The random playthroughs' seed: playthrough i uses seed S + i.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Write line coverage of the tests and playthroughs: `--coverage lcov FILE`.
    #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"])]
    pub coverage: Option<Vec<String>>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub struct ExploreArgs {
    /// The story: an entry file, or a folder holding one story.
    pub story: PathBuf,
    /// Stop after this many states (the result is then incomplete); 0 for
    /// no limit.
    #[arg(long, default_value_t = DEFAULT_MAX_STATES)]
    pub max_states: usize,
    /// Stop when the search holds this much memory (the result is then
    /// incomplete): bytes, or with a unit: 512M, 4G [default: half of the
    /// memory available when it starts].
    #[arg(long, value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Do not look deeper than this many choices (the result is then incomplete).
    #[arg(long)]
    pub max_depth: Option<u32>,
    /// Succeed even if some endings are never reached.
    #[arg(long)]
    pub allow_unreached_endings: bool,
    /// Skip the trap pass (states from which no ending can be reached):
    /// less memory, but the verdict is then never PROVED.
    #[arg(long)]
    pub no_traps: bool,
    /// Threads to search on, 1 to 256 [default: one per core].
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_THREADS))]
    pub threads: Option<usize>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct PlayArgs {
    /// The story: an entry file, or a folder holding one story [default: the
    /// bundled story]. A story with errors is refused with its diagnostics.
    pub story: Option<PathBuf>,
    /// Fix the random seed (default: from the clock).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write the transcript to this file at the end.
    #[arg(long)]
    pub transcript: Option<PathBuf>,
    /// Keep save slots in this folder.
    #[arg(long)]
    pub save_dir: Option<PathBuf>,
    /// When to colour the output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorMode,
    /// Wrap text to at most N columns, 0 to 1000 (0: do not wrap) [default:
    /// 100 at a terminal, no wrapping when piped].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=1000))]
    pub width: Option<u16>,
    /// Start a new game even when one is kept from last time.
    #[arg(long)]
    pub new: bool,
    /// Do not dim the text read in earlier playthroughs.
    #[arg(long)]
    pub no_seen: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MapFormat {
    /// Graphviz (`dot -Tsvg map.dot > map.svg`).
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The story: an entry file, or a folder holding one story.
    pub story: PathBuf,
    #[arg(long, value_enum, default_value = "dot")]
    pub format: MapFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style messages with the source line and a caret.
    Human,
    /// One JSON object per line, then a summary line.
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Story files or folders (searched for `*.fab`).
    #[arg(required_unless_present = "explain")]
    pub paths: Vec<PathBuf>,
    /// Explain a diagnostic code (`E0104`): what it means, a story that
    /// triggers it, and how to fix it. (The help names the codes there
    /// are, read from `Code::ALL`.)
    #[arg(long, value_name = "CODE", conflicts_with = "paths", help = explain_help())]
    pub explain: Option<String>,
    /// Output format [default: github when GITHUB_ACTIONS=true, else human].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Check every save in DIR against the one story given: whether it
    /// loads in this version and what it would lose (docs/SAVES.md).
    #[arg(long, value_name = "DIR")]
    pub saves: Option<PathBuf>,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// When to colour human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorMode,
    /// Human output shows at most N diagnostics, then a count of the rest
    /// (0: no limit). JSON and GitHub output show every one.
    #[arg(long, value_name = "N", default_value_t = render::DEFAULT_MAX_DIAGNOSTICS)]
    pub max_diagnostics: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// The narrative graph as RON.
    Ron,
}

#[derive(Debug, clap::Args)]
pub struct CompileArgs {
    /// The story's entry file.
    pub story: PathBuf,
    /// What to write.
    #[arg(long, value_enum, default_value = "ron")]
    pub emit: Emit,
    /// Where to write it (default: standard output).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// How many scenes, 1 to 1,000,000 (the checker and player benchmark's
    /// shape).
    #[arg(long, default_value_t = 10_000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_GEN_SCENES))]
    pub scenes: usize,
    /// Instead: a chain of this many independent flags, 1 to 40, whose
    /// state space has 2^N - 1 choice points (the explorer's benchmark).
    #[arg(long, conflicts_with = "scenes", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_GEN_FLAGS))]
    pub flags: Option<usize>,
    /// Write the `--scenes` story in ink instead, for measuring `check`
    /// against an ink compiler on the same story (docs/PERFORMANCE.md).
    #[arg(long, conflicts_with = "flags")]
    pub ink: bool,
}

// The ranges of numeric options (docs/SECURITY.md, "Limits"). The others
// (seeds, `--max-states`, `--max-depth`) take any value of their type.
/// `test --random N`: playthroughs per story.
const MAX_RANDOM_RUNS: u64 = 1_000_000_000;
/// `explore --threads N`.
const MAX_THREADS: u64 = 256;
/// `gen --scenes N`: about 330 bytes of story each, so at most ~330 MB.
const MAX_GEN_SCENES: u64 = 1_000_000;
/// `gen --flags N`: the generator's own limit (2^40 states is already
/// beyond any search).
const MAX_GEN_FLAGS: u64 = 40;

/// Runs a parsed command line and returns the process's exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        // No command: play the bundled story, so `cargo run --release` is a game.
        None => play(PlayArgs {
            story: None,
            seed: None,
            transcript: None,
            save_dir: None,
            color: ColorMode::Auto,
            width: None,
            new: false,
            no_seen: false,
        }),
        Some(Command::Check(args)) => check(&args),
        Some(Command::Compile(args)) => compile(&args),
        Some(Command::Graph(args)) => {
            let Some(story) = compile_or_report(&entry_of(&args.story)?)? else {
                return Ok(1);
            };
            let map = match args.format {
                MapFormat::Dot => fabula::map::dot(&story),
                MapFormat::Mermaid => fabula::map::mermaid(&story),
            };
            write_out(&map)?;
            // The process ends now: freeing a big graph node by node would
            // only delay the exit (see `exit_without_freeing`).
            exit_without_freeing(story);
            exit_without_freeing(map);
            Ok(0)
        }
        Some(Command::Play(args)) => play(args),
        Some(Command::Explore(args)) => explore(&args),
        Some(Command::Test(args)) => test(&args),
        Some(Command::Gen(args)) => {
            write_out(&match args.flags {
                Some(flags) => fabula::generate::flags(flags),
                None if args.ink => fabula::generate::ink_story(args.scenes),
                None => fabula::generate::story(args.scenes),
            })?;
            Ok(0)
        }
    }
}

struct Report {
    format: Format,
    styled: bool,
    errors: usize,
    warnings: usize,
    seen: HashSet<(PathBuf, u32, u32, Code)>,
    /// The first code reported, for the hint about `--explain`.
    first_code: Option<Code>,
    /// Human output's cap (`--max-diagnostics`).
    shown: render::ShownCount,
}

impl Report {
    fn emit(&mut self, diagnostic: &Diagnostic, sources: &SourceMap) -> Result<()> {
        let path = sources.get(diagnostic.span.file).path.clone();
        if !self.seen.insert((
            path,
            diagnostic.span.start,
            diagnostic.span.end,
            diagnostic.code,
        )) {
            return Ok(()); // a file shared by two stories reports once
        }
        match diagnostic.severity() {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        self.first_code.get_or_insert(diagnostic.code);
        match self.format {
            Format::Human if !self.shown.admit() => Ok(()),
            Format::Human => write_diagnostic(
                &render::human(diagnostic, sources, self.styled),
                self.styled,
            ),
            Format::Json => write_out(&format!("{}\n", render::json(diagnostic, sources))),
            Format::Github => write_out(&format!("{}\n", render::github(diagnostic, sources))),
        }
    }
}

// Every command's output goes through `write_out` and `write_err` (and
// `write_diagnostic`, which styles): a failed write is an error returned
// up to `main`, which exits quietly with 0 on a broken pipe (`fabula check
// --format json | head -1`) and with one message and 2 on anything else
// (a full disk). `println!` would panic instead.

/// Writes `text` to standard output.
fn write_out(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}

/// Writes `text` to standard error.
fn write_err(text: &str) -> Result<()> {
    std::io::stderr()
        .lock()
        .write_all(text.as_bytes())
        .context("cannot write to standard error")
}

/// Writes a rendered diagnostic and a blank line to standard error. Whether
/// to style was decided by `--color`, so anstream must not decide again:
/// its own detection strips the escapes `--color always` asked for whenever
/// standard error is not a terminal.
fn write_diagnostic(rendered: &str, styled: bool) -> Result<()> {
    let choice = if styled {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    };
    let mut stderr = anstream::AutoStream::new(std::io::stderr().lock(), choice);
    writeln!(stderr, "{rendered}\n").context("cannot write to standard error")
}

/// `--explain`'s help, with the codes there are.
fn explain_help() -> String {
    format!(
        "Explain a diagnostic code ({}): what it means, a story that triggers it, and how to fix it",
        Code::ranges()
    )
}

fn check(args: &CheckArgs) -> Result<u8> {
    if let Some(code) = &args.explain {
        let Some(code) = Code::parse(code) else {
            bail!(
                "`{code}` is not a diagnostic code; they are {} (docs/DIAGNOSTICS.md lists them)",
                Code::ranges()
            );
        };
        write_out(&format!("{}\n", code.explanation()))?;
        return Ok(0);
    }
    let format = args.format.unwrap_or_else(|| {
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|value| value == "true") {
            Format::Github
        } else {
            Format::Human
        }
    });
    if let Some(dir) = &args.saves {
        return saves::check_saves(dir, &args.paths, format);
    }
    let compile::Found { files, entries } = find_stories(&args.paths)?;
    let mut report = Report {
        format,
        styled: args.color.styled(std::io::stderr().is_terminal()),
        errors: 0,
        warnings: 0,
        seen: HashSet::new(),
        first_code: None,
        shown: render::ShownCount::new(args.max_diagnostics),
    };
    let mut covered: HashSet<PathBuf> = HashSet::new();
    let mut stories = 0;
    for (index, entry) in entries.iter().enumerate() {
        let loaded: LoadedStory = compile::compile_files(entry)
            .with_context(|| format!("cannot read `{}`", entry.display()))?;
        stories += 1;
        for index in 0..loaded.sources.len() {
            let id = fabula::diagnostic::FileId(index as u32);
            covered.insert(loaded.sources.get(id).path.clone());
        }
        for diagnostic in &loaded.diagnostics {
            report.emit(diagnostic, &loaded.sources)?;
        }
        // The last story is kept to the process's end, unfreed; an
        // earlier one is freed, so the next compile reuses its memory.
        if index + 1 == entries.len() {
            exit_without_freeing(loaded);
        }
    }
    for file in &files {
        if covered.contains(file) {
            continue;
        }
        let (diagnostic, sources) = compile::not_part_of_any_story(file)?;
        report.emit(&diagnostic, &sources)?;
    }
    // Every file read: those found under the paths, and the includes the
    // stories read from elsewhere (`check main.fab` reads its includes too).
    let files_read = files.len() + covered.iter().filter(|path| !files.contains(*path)).count();
    let failed = report.errors > 0 || (args.deny_warnings && report.warnings > 0);
    match format {
        Format::Json => write_out(&format!(
            "{}\n",
            render::json_summary(report.errors, report.warnings, files_read)
        ))?,
        Format::Github | Format::Human => {
            if let Some(line) = report.shown.held_back_line() {
                write_err(&format!("{line}\n\n"))?;
            }
            let count = |n: usize, one: &str, many: &str| {
                format!("{n} {}", if n == 1 { one } else { many })
            };
            write_err(&format!(
                "checked {} in {}: {}, {}\n",
                count(stories, "story", "stories"),
                count(files_read, "file", "files"),
                count(report.errors, "error", "errors"),
                count(report.warnings, "warning", "warnings"),
            ))?;
            if let (Format::Human, Some(code)) = (format, report.first_code) {
                write_err(&format!(
                    "for more about a code, run `fabula check --explain {code}`\n"
                ))?;
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}

/// Leaves `value` unfreed: for what a command holds until the process
/// ends, where freeing a big story's graph and sources allocation by
/// allocation costs time (a few percent of `check` on a 10,000-scene story,
/// more on a million scenes) and returns nothing to anyone. A deliberate
/// leak, made only here in the binary, never in the library, and only on
/// the way out: the operating system takes the memory back at exit.
fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}

/// Compiles a story or prints its diagnostics; `None` when it has errors.
fn compile_or_report(path: &Path) -> Result<Option<fabula::graph::Story>> {
    let loaded = compile::compile_files(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    report_diagnostics(loaded)
}

/// Prints a compiled story's diagnostics to standard error, rustc-style;
/// the story, when it has no errors.
fn report_diagnostics(loaded: LoadedStory) -> Result<Option<fabula::graph::Story>> {
    let styled = ColorMode::Auto.styled(std::io::stderr().is_terminal());
    let mut shown = render::ShownCount::new(render::DEFAULT_MAX_DIAGNOSTICS);
    for diagnostic in &loaded.diagnostics {
        if shown.admit() {
            write_diagnostic(&render::human(diagnostic, &loaded.sources, styled), styled)?;
        }
    }
    if let Some(line) = shown.held_back_line() {
        write_err(&format!("{line}\n\n"))?;
    }
    Ok(loaded.story)
}

/// `fabula explore`'s default `--max-states`: about ten seconds of search
/// and well under a gigabyte on a small machine (docs/EXPLORE.md).
pub const DEFAULT_MAX_STATES: usize = 10_000_000;

fn explore(args: &ExploreArgs) -> Result<u8> {
    let Some(story) = compile_or_report(&entry_of(&args.story)?)? else {
        return Ok(1);
    };
    // Ctrl-C or SIGTERM stops the search and prints what it found so far
    // (INCOMPLETE, exit 1); a second one ends the process at once.
    let stop: &'static std::sync::Arc<std::sync::atomic::AtomicBool> = Box::leak(Box::default());
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone());
        let _ = signal_hook::flag::register(signal, stop.clone());
    }
    let limits = fabula::explore::Limits {
        max_states: (args.max_states > 0).then_some(args.max_states),
        max_depth: args.max_depth,
        max_memory: args.max_memory.or_else(fabula::explore::default_max_memory),
        stop: Some(&**stop),
        find_traps: !args.no_traps,
    };
    let terminal = std::io::stderr().is_terminal();
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        if terminal {
            indicatif::ProgressDrawTarget::stderr()
        } else {
            indicatif::ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} exploring: {pos} states ({per_sec}), depth {msg}",
        )
        .expect("a valid template"),
    );
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut last_line = std::time::Instant::now();
    let report = fabula::explore::explore_with_threads(&story, limits, threads, &mut |progress| {
        if terminal {
            bar.set_position(progress.states as u64);
            bar.set_message(format!(
                "{}, {:.0} MB",
                progress.depth,
                progress.memory as f64 / 1e6
            ));
        } else if last_line.elapsed() >= std::time::Duration::from_secs(2) {
            // Not a terminal (CI): a plain line at least every two
            // seconds, so a long search is seen to be alive.
            last_line = std::time::Instant::now();
            let seconds = progress.elapsed.as_secs_f64().max(1e-9);
            let _ = writeln!(
                std::io::stderr(),
                "exploring: {} states, depth {}, {:.0} states/s, {:.0} MB, {:.0} s",
                progress.states,
                progress.depth,
                progress.states as f64 / seconds,
                progress.memory as f64 / 1e6,
                seconds
            );
        }
    });
    bar.finish_and_clear();
    let path = args.story.display().to_string();
    let text = match args.format {
        ReportFormat::Human => {
            // Story text is hostile: no escape sequence reaches a terminal.
            render::terminal_safe(&fabula::explore::human(
                &report,
                &story,
                &path,
                args.allow_unreached_endings,
            ))
            .into_owned()
        }
        ReportFormat::Json => {
            fabula::explore::json(&report, &story, &path, args.allow_unreached_endings) + "\n"
        }
    };
    write_out(&text)?;
    Ok(if report.proved(args.allow_unreached_endings) {
        0
    } else {
        1
    })
}

/// `fabula test`: every story's tests, then random play when asked.
/// Exit 1 when a story does not compile, a test fails or a playthrough
/// fails.
fn test(args: &TestArgs) -> Result<u8> {
    use fabula::storytest;
    let lcov_path = match args.coverage.as_deref() {
        None => None,
        Some([format, path]) if format == "lcov" => Some(PathBuf::from(path)),
        Some([format, _]) => bail!("unknown coverage format `{format}` (expected `lcov`)"),
        Some(_) => bail!("--coverage takes a format and a file: `--coverage lcov FILE`"),
    };
    let json = args.format == ReportFormat::Json;
    let entries = find_stories(&args.paths)?.entries;
    if entries.is_empty() {
        bail!("no story found (no `.fab` file with a `title:` header)");
    }
    let mut lcov = storytest::Lcov::default();
    let (mut passed, mut failed, mut broken) = (0usize, 0usize, 0usize);
    let (mut playthroughs, mut failed_playthroughs) = (0u64, 0u64);
    for entry in &entries {
        let Some(story) = compile_or_report(entry)? else {
            broken += 1;
            continue;
        };
        let path = entry.display().to_string();
        let mut coverage = storytest::Coverage::new(&story);
        let outcomes = storytest::run_tests(&story, &mut coverage);
        if json {
            for outcome in &outcomes {
                write_out(&format!("{}\n", storytest::json_test(&path, outcome)))?;
            }
        } else {
            let count = outcomes.len();
            let plural = if count == 1 { "" } else { "s" };
            write_out(&format!("\nrunning {count} test{plural} from {path}\n"))?;
            for outcome in &outcomes {
                write_out(&render::terminal_safe(&format!(
                    "{}\n",
                    storytest::human_test(outcome)
                )))?;
            }
            if outcomes.iter().any(|outcome| outcome.failure.is_some()) {
                write_out("\nfailures:\n")?;
                for outcome in &outcomes {
                    if outcome.failure.is_some() {
                        write_out(&render::terminal_safe(&format!(
                            "\n{}",
                            storytest::human_failure(outcome)
                        )))?;
                    }
                }
            }
        }
        let failures = outcomes.iter().filter(|o| o.failure.is_some()).count();
        failed += failures;
        passed += outcomes.len() - failures;
        if let Some(runs) = args.random {
            let report = storytest::random_play(&story, runs, args.seed);
            playthroughs += report.runs;
            failed_playthroughs += report.failed_runs;
            coverage.merge(&report.coverage);
            if json {
                write_out(&format!(
                    "{}\n",
                    storytest::json_random(&story, &report, &path)
                ))?;
            } else {
                write_out("\n")?;
                write_out(&render::terminal_safe(&storytest::human_random(
                    &story, &report, &path,
                )))?;
            }
        }
        lcov.add(&story, &coverage);
    }
    if let Some(path) = &lcov_path {
        write_file(path, lcov.render().as_bytes())?;
    }
    let ok = failed == 0 && failed_playthroughs == 0 && broken == 0;
    if json {
        write_out(&format!(
            "{}\n",
            storytest::json_summary(passed, failed, playthroughs, failed_playthroughs)
        ))?;
    } else {
        let mut line = format!(
            "\ntest result: {}. {passed} passed; {failed} failed",
            if ok { "ok" } else { "FAILED" }
        );
        if args.random.is_some() {
            line.push_str(&format!(
                "; {failed_playthroughs} of {playthroughs} playthroughs failed"
            ));
        }
        if broken > 0 {
            let plural = if broken == 1 { "y" } else { "ies" };
            line.push_str(&format!("; {broken} stor{plural} did not compile"));
        }
        write_out(&format!("{line}\n"))?;
    }
    Ok(if ok { 0 } else { 1 })
}

fn play(args: PlayArgs) -> Result<u8> {
    let options = fabula::repl::PlayOptions {
        seed: args.seed,
        transcript: args.transcript,
        save_dir: args.save_dir,
        color: args.color,
        width: args.width.map(usize::from),
        new_game: args.new,
        no_seen: args.no_seen,
        story: args.story.clone(),
    };
    // A story from disk may be big: its opening is shown while the rest is
    // checked (see `repl::play_opening`). The bundled one is small.
    let loaded = match &args.story {
        Some(path) => {
            let entry = entry_of(path)?;
            let folder = fsio::StoryFolder::of_entry(&entry)
                .with_context(|| format!("cannot read `{}`", entry.display()))?;
            match compile::compile_opening(&entry, &mut |path: &Path| folder.read(path))
                .with_context(|| format!("cannot read `{}`", entry.display()))?
            {
                compile::Early::Opening(opening) => {
                    return Ok(match fabula::repl::play_opening(opening, &options)? {
                        fabula::repl::Outcome::Played => 0,
                        fabula::repl::Outcome::Refused => 1,
                    });
                }
                compile::Early::Done(loaded) => *loaded,
            }
        }
        None => fabula::bundled::load(),
    };
    let styled = args.color.styled(std::io::stderr().is_terminal());
    let report = fabula::repl::report(&loaded, styled);
    if !report.is_empty() {
        write_diagnostic(report.trim_end(), styled)?;
    }
    let Some(story) = loaded.story else {
        return Ok(1);
    };
    fabula::repl::play(std::sync::Arc::new(story), &options)?;
    Ok(0)
}

fn compile(args: &CompileArgs) -> Result<u8> {
    let Some(story) = compile_or_report(&entry_of(&args.story)?)? else {
        return Ok(1);
    };
    let text = match args.emit {
        Emit::Ron => ron::ser::to_string_pretty(&story, ron::ser::PrettyConfig::default())
            .context("serialising the graph")?,
    };
    match &args.output {
        Some(path) => write_file(path, text.as_bytes())?,
        None => write_out(&text)?,
    }
    Ok(0)
}

/// Writes an output file (`compile -o`, `test --coverage`) atomically,
/// never through a link or over a device ([`fsio::write_atomically`]).
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    fsio::write_atomically(path, bytes)
        .with_context(|| format!("cannot write `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_turns_off_auto_colour_on_a_terminal() {
        let auto = ColorMode::Auto;
        assert!(auto.styled_with(true, None));
        assert!(auto.styled_with(true, Some("".into())));
        assert!(!auto.styled_with(true, Some("1".into())));
        assert!(!auto.styled_with(false, None));
        // An explicit choice on the command line wins over NO_COLOR.
        assert!(ColorMode::Always.styled_with(false, Some("1".into())));
        assert!(!ColorMode::Never.styled_with(true, None));
    }
}
