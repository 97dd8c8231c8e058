//! Snapshots of the human-readable diagnostics, as authors read them.
//!
//! Each renders every diagnostic of one story from `tests/check/` (plain,
//! no colour). The `.snap` files in `tests/snapshots/` are committed; run
//! `INSTA_UPDATE=always cargo test` to rewrite them after a deliberate
//! change, and read the diff. With `CI=true` a mismatch fails.

use std::path::Path;

use fabula::compile::compile_files;
use fabula::diagnostic::Code;
use fabula::render::human;

/// Every diagnostic of the story at `entry`, rendered, one after another.
fn rendered(entry: &str) -> String {
    let loaded = compile_files(Path::new(entry)).unwrap();
    assert!(!loaded.diagnostics.is_empty(), "{entry} checks clean");
    loaded
        .diagnostics
        .iter()
        .map(|diagnostic| human(diagnostic, &loaded.sources, false))
        .collect::<Vec<_>>()
        .join("\n\n")
}

// Regression: the E0402 cycle error labelled every include on the way to the
// cycle (main.fab's `include "a.fab"`) as part of it, not just the cycle's own.
#[test]
fn bug_include_cycle_labelled_includes_outside_the_cycle() {
    let loaded = compile_files(Path::new("tests/check/include_cycle/main.fab")).unwrap();
    let cycle = loaded
        .diagnostics
        .iter()
        .find(|diagnostic| diagnostic.code == Code::E0402)
        .expect("an include cycle");
    let labelled: Vec<_> = cycle
        .labels
        .iter()
        .map(|label| loaded.sources.get(label.span.file).path.clone())
        .collect();
    assert_eq!(
        labelled,
        [Path::new("tests/check/include_cycle/a.fab")],
        "only a.fab's include of b.fab is on the cycle"
    );
}

#[test]
fn syntax_error() {
    insta::assert_snapshot!(rendered("tests/check/e0002_syntax_error.fab"));
}

#[test]
fn unknown_divert_with_did_you_mean() {
    insta::assert_snapshot!(rendered("tests/check/e0104_unknown_divert.fab"));
}

#[test]
fn type_mismatch_with_secondary_label() {
    insta::assert_snapshot!(rendered("tests/check/e0201_type_mismatch.fab"));
}

#[test]
fn assignment_to_constant() {
    insta::assert_snapshot!(rendered("tests/check/e0202_assignment_to_constant.fab"));
}

#[test]
fn label_in_another_file() {
    insta::assert_snapshot!(rendered(
        "tests/check/duplicate_scene_across_files/main.fab"
    ));
}

#[test]
fn warning_unreachable_line() {
    insta::assert_snapshot!(rendered("tests/check/w0003_unreachable_line.fab"));
}

#[test]
fn dead_end() {
    insta::assert_snapshot!(rendered("tests/check/e0301_dead_end.fab"));
}

#[test]
fn unreachable_scene() {
    insta::assert_snapshot!(rendered("tests/check/e0304_unreachable_scene.fab"));
}

#[test]
fn include_cycle() {
    insta::assert_snapshot!(rendered("tests/check/include_cycle/main.fab"));
}

#[test]
fn invalid_utf8() {
    insta::assert_snapshot!(rendered("tests/check/e0001_invalid_utf8.fab"));
}

#[test]
fn tabs_mixed_with_spaces() {
    insta::assert_snapshot!(rendered("tests/check/e0003_tabs_mixed_with_spaces.fab"));
}

#[test]
fn unterminated_markup() {
    insta::assert_snapshot!(rendered("tests/check/e0006_unterminated_markup.fab"));
}

#[test]
fn misspelt_enum_value_names_the_enum() {
    insta::assert_snapshot!(rendered("tests/check/e0103_not_a_value_of_the_enum.fab"));
}

#[test]
fn if_without_colon_names_the_missing_colon() {
    insta::assert_snapshot!(rendered("tests/check/e0002_if_without_colon.fab"));
}

#[test]
fn skipped_lines_hide_their_follow_on_reports() {
    insta::assert_snapshot!(rendered(
        "tests/check/bug_skipped_line_cascaded_into_unused_unreachable_dead_end.fab"
    ));
}

#[test]
fn inline_condition_with_if_shows_the_form() {
    insta::assert_snapshot!(rendered("tests/check/e0002_inline_if.fab"));
}

#[test]
fn comparison_in_a_logic_line_shows_both_fixes() {
    insta::assert_snapshot!(rendered("tests/check/e0002_compare_in_logic_line.fab"));
}

#[test]
fn unquoted_refusal_reason_shows_it_quoted() {
    insta::assert_snapshot!(rendered("tests/check/e0002_unquoted_reason.fab"));
}

#[test]
fn scene_title_without_colon_shows_the_header_fixed() {
    insta::assert_snapshot!(rendered(
        "tests/check/bug_title_without_colon_cascaded_into_e0104.fab"
    ));
}

#[test]
fn declarations_written_other_ways_show_this_form() {
    insta::assert_snapshot!(rendered(
        "tests/check/e0002_declarations_written_other_ways.fab"
    ));
}

#[test]
fn test_steps_written_other_ways_show_this_form() {
    insta::assert_snapshot!(rendered(
        "tests/check/e0002_test_steps_written_other_ways.fab"
    ));
}

#[test]
fn assignment_as_condition_shows_the_comparison() {
    insta::assert_snapshot!(rendered("tests/check/e0002_assignment_as_condition.fab"));
}

#[test]
fn ink_end_points_to_ending_scenes() {
    insta::assert_snapshot!(rendered("tests/check/e0104_ink_end.fab"));
}

#[test]
fn inline_conditional_middle_branch_needs_a_condition() {
    insta::assert_snapshot!(rendered(
        "tests/check/e0002_inline_conditional_middle_branch.fab"
    ));
}

#[test]
fn ink_knot_header_shows_a_scene_header() {
    insta::assert_snapshot!(rendered("tests/check/e0002_ink_knot_header.fab"));
}

#[test]
fn include_without_quotes_shows_them() {
    insta::assert_snapshot!(rendered("tests/check/e0002_include_without_quotes.fab"));
}

#[test]
fn header_written_another_way_shows_the_form() {
    insta::assert_snapshot!(rendered("tests/check/e0007_header_written_another_way.fab"));
}

#[test]
fn operators_written_other_ways_show_this_form() {
    insta::assert_snapshot!(rendered(
        "tests/check/e0002_operators_written_other_ways.fab"
    ));
}

#[test]
fn test_headers_written_other_ways_show_the_form() {
    insta::assert_snapshot!(rendered(
        "tests/check/e0002_test_header_written_another_way.fab"
    ));
}

#[test]
fn assertion_always_fails() {
    insta::assert_snapshot!(rendered("tests/check/e0207_assertion_always_fails.fab"));
}

#[test]
fn assertion_always_holds() {
    insta::assert_snapshot!(rendered("tests/check/w0006_assertion_always_holds.fab"));
}

#[test]
fn assertions_written_other_ways_show_this_form() {
    insta::assert_snapshot!(rendered(
        "tests/check/e0002_assertion_written_other_ways.fab"
    ));
}

#[test]
fn divert_to_ending_names_a_scene() {
    insta::assert_snapshot!(rendered(
        "tests/check/e0306_divert_to_ending_names_a_scene.fab"
    ));
}

#[test]
fn certain_infinite_loop() {
    insta::assert_snapshot!(rendered("tests/check/e0307_certain_infinite_loop.fab"));
}

#[test]
fn no_ending() {
    insta::assert_snapshot!(rendered("tests/check/w0007_no_ending.fab"));
}

#[test]
fn once_only_fallback_in_a_scene_entered_again() {
    insta::assert_snapshot!(rendered(
        "tests/check/w0008_once_only_fallback_in_a_scene_entered_again.fab"
    ));
}

/// Every diagnostic of a story compiled from memory, rendered.
fn rendered_text(text: &str) -> String {
    let mut read = |_: &Path| Ok(text.as_bytes().to_vec());
    let loaded = fabula::compile::compile(Path::new("test.fab"), &mut read).unwrap();
    loaded
        .diagnostics
        .iter()
        .map(|diagnostic| human(diagnostic, &loaded.sources, false))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A label over 1,000 lines from its diagnostic's line is quoted in a
/// section of its own (`:::`) instead of one excerpt with the lines between
/// folded: the renderer is handed only the lines it shows (issue #10).
#[test]
fn a_label_far_away_is_quoted_in_its_own_section() {
    let filler: String = (0..1500).map(|n| format!("Line {n}.\n")).collect();
    insta::assert_snapshot!(rendered_text(&format!(
        "title: Far\nvar a = 2\n== start\n{filler}~ a = true\n-> ending done\n== ending done\nDone.\n"
    )));
}

/// A line over 1 KiB is quoted around its markers only; the location keeps
/// the file's column (issue #10: 20,000 diagnostics on one long line took
/// two minutes, each quoting the whole line).
#[test]
fn a_long_line_is_quoted_around_its_marker_with_the_true_column() {
    let text = format!(
        "title: Long\n== start\n{} {{nope}} {}\n-> ending done\n== ending done\nDone.\n",
        "é".repeat(3000),
        "z".repeat(3000)
    );
    let rendered = rendered_text(&text);
    assert!(rendered.contains(" --> test.fab:3:3003\n"), "{rendered}");
    insta::assert_snapshot!(rendered);
}

// Regression (#15): the help for `-> ending talked` said `== talked`, and
// E0305's said `-> lost` for an ending: both now name it as an ending.
#[test]
fn bug_help_for_an_ending_named_a_plain_scene() {
    insta::assert_snapshot!(rendered("tests/check/e0104_unknown_ending.fab"));
    let ending = rendered("tests/check/e0305_ending_never_reached.fab");
    assert!(
        ending.contains("help: divert to it with `-> ending lost`"),
        "{ending}"
    );
}

// Another tool's syntax (#15): each form named, with the Fabula form in its
// help, one story per family.
#[test]
fn ink_forms_show_the_fabula_form() {
    insta::assert_snapshot!(rendered("tests/check/w0009_ink.fab"));
    insta::assert_snapshot!(rendered("tests/check/w0009_ink_declarations.fab"));
}

#[test]
fn yarn_forms_show_the_fabula_form() {
    insta::assert_snapshot!(rendered("tests/check/w0009_yarn.fab"));
}

#[test]
fn choicescript_forms_show_the_fabula_form() {
    insta::assert_snapshot!(rendered("tests/check/w0009_choicescript.fab"));
}

#[test]
fn twine_forms_show_the_fabula_form() {
    insta::assert_snapshot!(rendered("tests/check/w0009_twine.fab"));
}

#[test]
fn ink_multiline_conditional_shows_an_if_block() {
    insta::assert_snapshot!(rendered("tests/check/e0002_ink_multiline_conditional.fab"));
}

#[test]
fn yarn_node_header_shows_a_scene_header() {
    insta::assert_snapshot!(rendered("tests/check/e0002_yarn_node_header.fab"));
}

// The parser's error nodes (#15): a broken `if` loses its `elif` too, and
// its reads with it, so the one report is the `if` line's.
#[test]
fn broken_if_is_one_report() {
    insta::assert_snapshot!(rendered(
        "tests/check/bug_broken_if_cascaded_into_w0002_from_its_elif.fab"
    ));
}

/// The parser's byte readers (session 6) replaced nom combinators on the
/// common paths of choices, diverts, assignments, expressions and text;
/// `tests/parse/edge_lines.fab` holds the edge of each (`-> ending`,
/// `~ x == 1`, `{x not  in y}`, `* (la b) Go`, …), and these are the
/// reports the combinators gave for them (the snapshot was checked
/// against the build before the change, byte for byte).
#[test]
fn edge_lines_report_as_the_combinators_did() {
    insta::assert_snapshot!(rendered("tests/parse/edge_lines.fab"));
}

/// The same edge lines' valid half, compiled: what each line became
/// (names, operators, spans, arena ranges), as the combinators read it.
#[test]
fn edge_lines_compile_as_the_combinators_did() {
    let loaded = compile_files(Path::new("tests/parse/edge_lines_valid.fab")).unwrap();
    let story = loaded.story.expect("the valid half compiles");
    insta::assert_snapshot!(
        ron::ser::to_string_pretty(&story, ron::ser::PrettyConfig::default()).unwrap()
    );
}
