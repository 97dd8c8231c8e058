//! The `fabula` binary: parse arguments, run the library, map the outcome
//! to an exit code (0 clean, 1 story errors, 2 usage or I/O errors).

mod cli;

// jemalloc: checking a big story is allocation-bound (many small graph
// nodes built on two threads). On the generated 10,000-scene story it is the
// one allocator measured that meets both of check's floors, ≤ 50 ms and
// ≤ 10× the source in peak memory: glibc's is too slow, mimalloc keeps too
// much resident (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
