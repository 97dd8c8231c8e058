//! Fabula's integration tests: one binary, one module per area.
//!
//! - [`check`]: the story folder `tests/check/`, expected diagnostics inline.
//! - [`rendered`]: insta snapshots of the human-readable diagnostics.
//! - [`cli`]: the `fabula` binary: formats, exit codes, colour, folders.
//! - [`robustness`]: property tests and deep-nesting regressions.
//! - [`saves`]: saves made by an older version of a story, checked and loaded.
//! - [`docs`]: `docs/DIAGNOSTICS.md` and `docs/LANGUAGE.md` stay true.
//! - [`storytest`]: `fabula test`: story tests, random play, coverage.
//! - [`hostile`]: untrusted stories, output files, broken pipes, full disks.

mod architecture;
mod check;
mod cli;
mod docs;
mod explore;
mod hostile;
mod rendered;
mod robustness;
mod saves;
mod stories;
mod storytest;

/// `Cargo.toml` turns off test auto-discovery so the suite links once; a
/// new `tests/*.rs` file must therefore be declared here or it never runs.
#[test]
fn every_test_file_is_a_module() {
    let main = include_str!("main.rs");
    for entry in std::fs::read_dir("tests").expect("tests/ is readable") {
        let path = entry.expect("tests/ is readable").path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if stem != "main" {
                assert!(
                    main.contains(&format!("mod {stem};")),
                    "`{}` is not declared in tests/main.rs, so it never runs",
                    path.display()
                );
            }
        }
    }
}
