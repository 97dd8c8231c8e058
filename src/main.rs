//! The `fabula` binary: parse arguments, run the library, map the outcome
//! to an exit code (0 clean, 1 story errors, 2 usage or I/O errors).

mod cli;

// mimalloc: checking a big story is allocation-bound (many small tree
// nodes), and it makes `fabula check` about a quarter faster than glibc's
// allocator on the generated 10,000-scene story (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
