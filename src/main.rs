//! The `fabula` binary: parse arguments, run the library, map the outcome
//! to an exit code (0 clean, 1 story errors, 2 usage or I/O errors; a
//! reader that stopped reading, a broken pipe, is a quiet 0).

mod cli;

// jemalloc: checking a big story is allocation-bound (many small graph
// nodes built on two threads). On the generated 10,000-scene story it is the
// one allocator measured that meets both of check's floors, ≤ 50 ms and
// ≤ 10× the source in peak memory: glibc's is too slow, mimalloc keeps too
// much resident (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        // `fabula check --format json | head -1`: the reader has what it
        // wanted. Rust ignores SIGPIPE, so the write failed with EPIPE
        // instead of killing the process; end as quietly as a tool killed
        // by it would, but with 0 (docs/SECURITY.md).
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // If standard error is what failed, there is nowhere left to
            // say so: the exit code alone tells.
            let _ = writeln!(std::io::stderr(), "error: {}", message(&error));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes, joined by `: `, leaving out a cause the text
/// already says: an error whose message quotes its source would otherwise
/// print it twice ("No space left on device (os error 28): No space left
/// on device (os error 28)").
fn message(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}
