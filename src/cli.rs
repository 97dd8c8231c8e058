//! The command line: arguments in, exit code out.
//!
//! Exit codes are an interface: 0 success (warnings allowed), 1 the story
//! has errors (or warnings under `--deny-warnings`), 2 a usage or I/O error.

use std::collections::{BTreeSet, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

use fabula::diagnostic::{Code, Diagnostic, Severity, SourceMap, Span};
use fabula::graph::{self, LoadedStory, normalize};
use fabula::render;

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
    /// Also play N random playthroughs of each story.
    #[arg(long, value_name = "N")]
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
    /// Stop after this many states (the result is then incomplete).
    #[arg(long)]
    pub max_states: Option<usize>,
    /// Do not look deeper than this many choices (the result is then incomplete).
    #[arg(long)]
    pub max_depth: Option<u32>,
    /// Succeed even if some endings are never reached.
    #[arg(long)]
    pub allow_unreached_endings: bool,
    /// Threads to search on [default: one per core].
    #[arg(long)]
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
    pub color: ColorChoice,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl From<ColorChoice> for fabula::repl::ColorMode {
    fn from(choice: ColorChoice) -> Self {
        match choice {
            ColorChoice::Auto => fabula::repl::ColorMode::Auto,
            ColorChoice::Always => fabula::repl::ColorMode::Always,
            ColorChoice::Never => fabula::repl::ColorMode::Never,
        }
    }
}

impl ColorChoice {
    /// Whether to style output going to a stream, honouring NO_COLOR (the
    /// rule is the player's, [`fabula::repl::ColorMode::styled`]).
    pub fn styled(self, is_terminal: bool) -> bool {
        fabula::repl::ColorMode::from(self).styled(is_terminal)
    }

    /// [`ColorChoice::styled`] with the value of NO_COLOR given.
    #[cfg(test)]
    fn styled_with(self, is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
        fabula::repl::ColorMode::from(self).styled_with(is_terminal, no_color)
    }
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Story files or folders (searched for `*.fab`).
    #[arg(required_unless_present = "explain")]
    pub paths: Vec<PathBuf>,
    /// Explain a diagnostic code (`E0104`): what it means, a story that
    /// triggers it, and how to fix it.
    #[arg(long, value_name = "CODE", conflicts_with = "paths")]
    pub explain: Option<String>,
    /// Output format [default: github when GITHUB_ACTIONS=true, else human].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// When to colour human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
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
    /// How many scenes (the checker and player benchmark's shape).
    #[arg(long, default_value_t = 10_000)]
    pub scenes: usize,
    /// Instead: a chain of this many independent flags, whose state space
    /// has 2^N - 1 choice points (the explorer's benchmark).
    #[arg(long, conflicts_with = "scenes")]
    pub flags: Option<usize>,
}

/// Runs a parsed command line and returns the process's exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        // No command: play the bundled story, so `cargo run --release` is a game.
        None => play(PlayArgs {
            story: None,
            seed: None,
            transcript: None,
            save_dir: None,
            color: ColorChoice::Auto,
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
            std::io::stdout().write_all(map.as_bytes())?;
            Ok(0)
        }
        Some(Command::Play(args)) => play(args),
        Some(Command::Explore(args)) => explore(&args),
        Some(Command::Test(args)) => test(&args),
        Some(Command::Gen(args)) => {
            std::io::stdout()
                .write_all(
                    match args.flags {
                        Some(flags) => fabula::generate::flags(flags),
                        None => fabula::generate::story(args.scenes),
                    }
                    .as_bytes(),
                )
                .context("writing the story")?;
            Ok(0)
        }
    }
}

/// Every `.fab` file under `path` (or `path` itself), sorted.
fn discover(path: &Path, found: &mut BTreeSet<PathBuf>) -> Result<()> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    if metadata.is_file() {
        found.insert(normalize(path));
        return Ok(());
    }
    // An explicit stack: folder depth is the user's, not ours to recurse on.
    let mut folders = vec![path.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot read folder `{}`", folder.display()))?;
        for entry in entries {
            let entry =
                entry.with_context(|| format!("cannot read folder `{}`", folder.display()))?;
            let file_type = entry.file_type()?;
            let child = entry.path();
            if file_type.is_dir() {
                folders.push(child);
            } else if child.extension().is_some_and(|ext| ext == "fab") {
                found.insert(normalize(&child));
            }
        }
    }
    Ok(())
}

/// Whether a file is a story's entry: it has a `title:` header before its
/// first scene. A cheap look at the file's prologue, not a parse: it reads
/// only up to the first scene (the file is read whole again if compiled).
fn is_entry(file: &Path) -> std::io::Result<bool> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(std::fs::File::open(file)?);
    let mut line = Vec::new();
    let mut first = true;
    while reader.read_until(b'\n', &mut line)? > 0 {
        let text = if first {
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&line)
        } else {
            &line
        };
        first = false;
        if text.starts_with(b"==") {
            return Ok(false);
        }
        if let Some(rest) = text.strip_prefix(b"title")
            && rest.trim_ascii_start().starts_with(b":")
        {
            return Ok(true);
        }
        line.clear();
    }
    Ok(false)
}

/// Every `.fab` file under `paths`, and the stories' entry files among
/// them: those with a `title:` header, and any file named explicitly.
fn find_stories(paths: &[PathBuf]) -> Result<(BTreeSet<PathBuf>, Vec<PathBuf>)> {
    let mut files = BTreeSet::new();
    for path in paths {
        discover(path, &mut files)?;
    }
    let explicit: HashSet<PathBuf> = paths.iter().map(|path| normalize(path)).collect();
    let mut entries = Vec::new();
    for file in &files {
        let entry = is_entry(file).with_context(|| format!("cannot read `{}`", file.display()))?;
        if entry || explicit.contains(file) {
            entries.push(file.clone());
        }
    }
    Ok((files, entries))
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
    fn emit(&mut self, diagnostic: &Diagnostic, sources: &SourceMap) {
        let path = sources.get(diagnostic.span.file).path.clone();
        if !self.seen.insert((
            path,
            diagnostic.span.start,
            diagnostic.span.end,
            diagnostic.code,
        )) {
            return; // a file shared by two stories reports once
        }
        match diagnostic.severity() {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        self.first_code.get_or_insert(diagnostic.code);
        match self.format {
            Format::Human if !self.shown.admit() => {}
            Format::Human => {
                write_stderr(
                    &render::human(diagnostic, sources, self.styled),
                    self.styled,
                );
            }
            Format::Json => println!("{}", render::json(diagnostic, sources)),
            Format::Github => println!("{}", render::github(diagnostic, sources)),
        }
    }
}

/// Writes a rendered diagnostic and a blank line to standard error. Whether
/// to style was decided by `--color`, so anstream must not decide again:
/// its own detection strips the escapes `--color always` asked for whenever
/// standard error is not a terminal.
fn write_stderr(rendered: &str, styled: bool) {
    let choice = if styled {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    };
    let mut stderr = anstream::AutoStream::new(std::io::stderr().lock(), choice);
    let _ = writeln!(stderr, "{rendered}\n");
}

fn check(args: &CheckArgs) -> Result<u8> {
    if let Some(code) = &args.explain {
        let Some(code) = Code::parse(code) else {
            bail!(
                "`{code}` is not a diagnostic code; they are E0001 to E0403 and W0001 to W0005 (docs/DIAGNOSTICS.md lists them)"
            );
        };
        println!("{}", code.explanation());
        return Ok(0);
    }
    let format = args.format.unwrap_or_else(|| {
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|value| value == "true") {
            Format::Github
        } else {
            Format::Human
        }
    });
    let (files, entries) = find_stories(&args.paths)?;
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
    for entry in &entries {
        let loaded: LoadedStory = graph::compile_files(entry)
            .with_context(|| format!("cannot read `{}`", entry.display()))?;
        stories += 1;
        for index in 0..loaded.sources.len() {
            let id = fabula::diagnostic::FileId(index as u32);
            covered.insert(loaded.sources.get(id).path.clone());
        }
        for diagnostic in &loaded.diagnostics {
            report.emit(diagnostic, &loaded.sources);
        }
    }
    for file in &files {
        if covered.contains(file) {
            continue;
        }
        let text =
            std::fs::read(file).with_context(|| format!("cannot read `{}`", file.display()))?;
        let mut sources = SourceMap::default();
        let (text, _) = fabula::syntax::decode(fabula::diagnostic::FileId(0), &text);
        let first_line = text.lines().next().map_or(0, str::len);
        let id = sources.add(file.clone(), text);
        let diagnostic = Diagnostic::new(
            Code::W0005,
            Span::new(id, 0, first_line),
            format!("`{}` is not part of any story", file.display()),
        )
        .with_help("give it a `title:` header to make it a story, or `include` it from one");
        report.emit(&diagnostic, &sources);
    }
    let failed = report.errors > 0 || (args.deny_warnings && report.warnings > 0);
    match format {
        Format::Json => println!(
            "{}",
            render::json_summary(report.errors, report.warnings, files.len())
        ),
        Format::Github | Format::Human => {
            if let Some(line) = report.shown.held_back_line() {
                eprintln!("{line}\n");
            }
            let count = |n: usize, one: &str, many: &str| {
                format!("{n} {}", if n == 1 { one } else { many })
            };
            eprintln!(
                "checked {} in {}: {}, {}",
                count(stories, "story", "stories"),
                count(files.len(), "file", "files"),
                count(report.errors, "error", "errors"),
                count(report.warnings, "warning", "warnings"),
            );
            if let (Format::Human, Some(code)) = (format, report.first_code) {
                eprintln!("for more about a code, run `fabula check --explain {code}`");
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}

/// The entry file of a story given as a file or as a folder holding
/// exactly one story.
fn entry_of(path: &Path) -> Result<PathBuf> {
    if std::fs::metadata(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?
        .is_file()
    {
        return Ok(path.to_path_buf());
    }
    let (_, mut entries) = find_stories(&[path.to_path_buf()])?;
    match entries.len() {
        1 => Ok(entries.remove(0)),
        0 => bail!(
            "`{}` holds no story (no `.fab` file with a `title:` header)",
            path.display()
        ),
        _ => bail!(
            "`{}` holds {} stories ({}); name one entry file",
            path.display(),
            entries.len(),
            entries
                .iter()
                .map(|e| e.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Compiles a story or prints its diagnostics; `None` when it has errors.
fn compile_or_report(path: &Path) -> Result<Option<fabula::graph::Story>> {
    let loaded =
        graph::compile_files(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    Ok(report_diagnostics(loaded))
}

/// Prints a compiled story's diagnostics to standard error, rustc-style;
/// the story, when it has no errors.
fn report_diagnostics(loaded: LoadedStory) -> Option<fabula::graph::Story> {
    let styled = ColorChoice::Auto.styled(std::io::stderr().is_terminal());
    let mut shown = render::ShownCount::new(render::DEFAULT_MAX_DIAGNOSTICS);
    for diagnostic in &loaded.diagnostics {
        if shown.admit() {
            write_stderr(&render::human(diagnostic, &loaded.sources, styled), styled);
        }
    }
    if let Some(line) = shown.held_back_line() {
        eprintln!("{line}\n");
    }
    loaded.story
}

fn explore(args: &ExploreArgs) -> Result<u8> {
    let Some(story) = compile_or_report(&entry_of(&args.story)?)? else {
        return Ok(1);
    };
    let limits = fabula::explore::Limits {
        max_states: args.max_states,
        max_depth: args.max_depth,
    };
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        if std::io::stderr().is_terminal() {
            indicatif::ProgressDrawTarget::stderr()
        } else {
            indicatif::ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} exploring: {pos} states ({per_sec})")
            .expect("a valid template"),
    );
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let report = fabula::explore::explore_with_threads(&story, limits, threads, &mut |states| {
        bar.set_position(states as u64)
    });
    bar.finish_and_clear();
    let path = args.story.display().to_string();
    let text = match args.format {
        ReportFormat::Human => {
            fabula::explore::human(&report, &story, &path, args.allow_unreached_endings)
        }
        ReportFormat::Json => {
            fabula::explore::json(&report, &story, &path, args.allow_unreached_endings) + "\n"
        }
    };
    std::io::stdout().write_all(text.as_bytes())?;
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
    let (_, entries) = find_stories(&args.paths)?;
    if entries.is_empty() {
        bail!("no story found (no `.fab` file with a `title:` header)");
    }
    let mut out = std::io::stdout().lock();
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
                writeln!(out, "{}", storytest::json_test(&path, outcome))?;
            }
        } else {
            let count = outcomes.len();
            let plural = if count == 1 { "" } else { "s" };
            writeln!(out, "\nrunning {count} test{plural} from {path}")?;
            for outcome in &outcomes {
                writeln!(out, "{}", storytest::human_test(outcome))?;
            }
            if outcomes.iter().any(|outcome| outcome.failure.is_some()) {
                writeln!(out, "\nfailures:")?;
                for outcome in &outcomes {
                    if outcome.failure.is_some() {
                        write!(out, "\n{}", storytest::human_failure(outcome))?;
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
                writeln!(out, "{}", storytest::json_random(&story, &report, &path))?;
            } else {
                writeln!(out)?;
                write!(out, "{}", storytest::human_random(&story, &report, &path))?;
            }
        }
        lcov.add(&story, &coverage);
    }
    if let Some(path) = &lcov_path {
        write_atomically(path, lcov.render().as_bytes())?;
    }
    let ok = failed == 0 && failed_playthroughs == 0 && broken == 0;
    if json {
        writeln!(
            out,
            "{}",
            storytest::json_summary(passed, failed, playthroughs, failed_playthroughs)
        )?;
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
        writeln!(out, "{line}")?;
    }
    Ok(if ok { 0 } else { 1 })
}

fn play(args: PlayArgs) -> Result<u8> {
    let options = fabula::repl::PlayOptions {
        seed: args.seed,
        transcript: args.transcript,
        save_dir: args.save_dir,
        color: args.color.into(),
    };
    // A story from disk may be big: its opening is shown while the rest is
    // checked (see `repl::play_opening`). The bundled one is small.
    let loaded = match &args.story {
        Some(path) => {
            let entry = entry_of(path)?;
            match graph::compile_opening(&entry, &mut |path: &Path| std::fs::read(path))
                .with_context(|| format!("cannot read `{}`", entry.display()))?
            {
                graph::Early::Opening(opening) => {
                    return Ok(match fabula::repl::play_opening(opening, &options)? {
                        fabula::repl::Outcome::Played => 0,
                        fabula::repl::Outcome::Refused => 1,
                    });
                }
                graph::Early::Done(loaded) => *loaded,
            }
        }
        None => fabula::bundled::load(),
    };
    let styled = args.color.styled(std::io::stderr().is_terminal());
    let report = fabula::repl::report(&loaded, styled);
    if !report.is_empty() {
        write_stderr(report.trim_end(), styled);
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
        Some(path) => write_atomically(path, text.as_bytes())?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(0)
}

/// Writes through a temporary file in the same folder and renames it over
/// the target, so the target is never left half-written.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(name) = path.file_name() else {
        bail!("`{}` is not a file name", path.display());
    };
    let temporary = folder.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.with_context(|| format!("cannot write `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_turns_off_auto_colour_on_a_terminal() {
        let auto = ColorChoice::Auto;
        assert!(auto.styled_with(true, None));
        assert!(auto.styled_with(true, Some("".into())));
        assert!(!auto.styled_with(true, Some("1".into())));
        assert!(!auto.styled_with(false, None));
        // An explicit choice on the command line wins over NO_COLOR.
        assert!(ColorChoice::Always.styled_with(false, Some("1".into())));
        assert!(!ColorChoice::Never.styled_with(true, None));
    }
}
