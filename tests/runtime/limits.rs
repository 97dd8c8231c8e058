//! Runtime limits (issue #10): text values and paragraphs are bounded like
//! integers are, as located runtime errors.

use std::sync::Arc;

use fabula::runtime::{MAX_PARAGRAPH_LEN, MAX_TEXT_LEN, RuntimeErrorKind, Session};

use crate::story;

/// Regression: `~ t = t + t` in a loop aborted the process at 3 GB.
#[test]
fn doubling_a_text_in_a_loop_is_a_located_error() {
    let story = story(
        "title: Doubling
var t = \"x\"
== grow
~ t = t + t
if t != \"\":
    -> grow
-> ending done
== ending done
Done.
",
    );
    let session = Session::start(Arc::clone(&story), 0);
    let error = session.error().expect("a runtime error");
    assert_eq!(error.kind, RuntimeErrorKind::TextTooLong);
    assert_eq!(error.location.as_deref(), Some("test.fab:4:1"));
    assert!(error.to_string().contains("text too long"), "{error}");
}

#[test]
fn a_text_of_exactly_the_limit_is_allowed_and_one_interpolation_too() {
    const { assert!(MAX_TEXT_LEN == 1 << 20) };
    let story = story(
        "title: Limit
var t = \"x\"
var n = 0
== grow
~ t = t + t
~ n += 1
if n < 20:
    -> grow
{t}
-> ending done
== ending done
Done.
",
    );
    let session = Session::start(Arc::clone(&story), 0);
    assert!(session.error().is_none(), "{:?}", session.error());
    assert!(
        session
            .transcript_text()
            .contains(&"x".repeat(MAX_TEXT_LEN))
    );
}

#[test]
fn a_paragraph_over_the_limit_is_a_located_error() {
    const { assert!(MAX_PARAGRAPH_LEN < 5 * MAX_TEXT_LEN) };
    let story = story(
        "title: Paragraph
var t = \"x\"
var n = 0
== grow
~ t = t + t
~ n += 1
if n < 20:
    -> grow
{t}{t}{t}{t}{t}
-> ending done
== ending done
Done.
",
    );
    let session = Session::start(Arc::clone(&story), 0);
    let error = session.error().expect("a runtime error");
    assert_eq!(error.kind, RuntimeErrorKind::TextTooLong);
    assert_eq!(error.location.as_deref(), Some("test.fab:9:1"));
}

/// Constants fold with the runtime's own operator, so a constant text over
/// the limit is a compile error (E0205) rather than a story that fails.
#[test]
fn a_constant_text_over_the_limit_is_e0205() {
    let half = "x".repeat(MAX_TEXT_LEN / 2 + 1);
    let text = format!(
        "title: Big\nconst HALF = \"{half}\"\nvar t = HALF + HALF\n== a\n{{t}}\n-> ending b\n== ending b\nB.\n"
    );
    let mut read = |_: &std::path::Path| Ok(text.clone().into_bytes());
    let loaded = fabula::compile::compile(std::path::Path::new("big.fab"), &mut read).unwrap();
    let found: Vec<_> = loaded
        .diagnostics
        .iter()
        .map(|diagnostic| (diagnostic.code.as_str(), diagnostic.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [(
            "E0205",
            "text longer than 1048576 bytes in a constant expression"
        )]
    );
}
