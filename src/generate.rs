//! Generated stories for benchmarks and stress tests.

use std::fmt::Write as _;

/// A story of `scenes` scenes in the shape the performance targets name:
/// every scene has two prose lines, one inline conditional, one assignment
/// and three choices with diverts, one of them guarded. Scene `i` always
/// leads to scene `i + 1`, so every scene is reachable; the other two
/// choices jump elsewhere (chosen by a fixed pseudo-random sequence, so the
/// output depends only on `scenes`). The last scene leads to three endings.
pub fn story(scenes: usize) -> String {
    generated(scenes, Dialect::Fabula)
}

/// The same story as [`story`] written in ink, for measuring `fabula check`
/// against an ink compiler on equal input (docs/PERFORMANCE.md): the same
/// scenes (knots, their titles as tags), prose, conditional, assignment,
/// choices, guards and divert targets, and the endings as knots that end
/// with `-> END`. It is about 1% larger than the Fabula story.
pub fn ink_story(scenes: usize) -> String {
    generated(scenes, Dialect::Ink)
}

#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    Fabula,
    Ink,
}

fn generated(scenes: usize, dialect: Dialect) -> String {
    let ink = dialect == Dialect::Ink;
    let scenes = scenes.max(1);
    let mut out = String::with_capacity(scenes * 330);
    if ink {
        out.push_str("# title: Generated\n# author: fabula gen\n\nVAR power = 0\nVAR favours = 0\n\n-> s0\n\n");
    } else {
        out.push_str("title: Generated\nauthor: fabula gen\n\nvar power = 0\nvar favours = 0\n\n");
    }
    let (min, ending) = if ink {
        ("MIN", "ending_")
    } else {
        ("min", "ending ")
    };
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    for index in 0..scenes {
        let last = index + 1 == scenes;
        if ink {
            let _ = writeln!(out, "== s{index} ==\n# Room {index}");
        } else {
            let _ = writeln!(out, "== s{index}: Room {index}");
        }
        let _ = writeln!(
            out,
            "The corridor outside room {index} smells of ink and wet wool."
        );
        let _ = writeln!(
            out,
            "A clerk counts the files again; the numbers do not agree."
        );
        out.push_str(
            "{power > 3: The clerks stand when you enter.|Nobody looks up from the ledgers.}\n",
        );
        let _ = writeln!(out, "~ power = {min}(power + 1, 9)");
        if last {
            let _ = writeln!(out, "* Accept the post -> {ending}appointed");
            let _ = writeln!(out, "* Refuse it -> {ending}refused");
            let _ = writeln!(out, "* {{power > 5}} Demand more -> {ending}promoted\n");
        } else {
            let _ = writeln!(out, "* Walk on to the next room -> s{}", index + 1);
            let _ = writeln!(out, "* Take the back stairs -> s{}", next(scenes));
            let _ = writeln!(
                out,
                "* {{power > 5}} Call in a favour -> s{}\n",
                next(scenes)
            );
        }
    }
    let end = if ink { "-> END\n" } else { "" };
    for (name, title, body) in [
        (
            "appointed",
            "Appointed",
            "You take the post.\n~ favours += 1\n{favours} favours owed.\n",
        ),
        ("refused", "Refused", "You go home.\n"),
        ("promoted", "Promoted", "They give you more.\n"),
    ] {
        if ink {
            let _ = writeln!(out, "== {ending}{name} ==\n# {title}");
        } else {
            let _ = writeln!(out, "== {ending}{name}: {title}");
        }
        out.push_str(body);
        out.push_str(end);
        if name != "promoted" {
            out.push('\n');
        }
    }
    out
}

/// A story with `flags` independent yes/no decisions across a chain of
/// scenes, for the explorer's benchmark: its reachable choice points number
/// exactly `2^flags - 1` (scene `k` is reached with every combination of the
/// `k` flags before it) and every path ends in one of two endings.
pub fn flags(flags: usize) -> String {
    let flags = flags.clamp(1, 40);
    let mut out = String::from("title: Flags\nauthor: fabula gen\n\n");
    for index in 0..flags {
        let _ = writeln!(out, "var f{index} = false");
    }
    for index in 0..flags {
        let next = if index + 1 == flags {
            "last".to_string()
        } else {
            format!("s{}", index + 1)
        };
        let _ = writeln!(out, "\n== s{index}: Decision {index}");
        let _ = writeln!(
            out,
            "* Raise flag {index}\n    ~ f{index} = true\n    -> {next}"
        );
        let _ = writeln!(out, "* Leave flag {index} down -> {next}");
    }
    let all: Vec<String> = (0..flags).map(|index| format!("f{index}")).collect();
    let _ = writeln!(
        out,
        "\n== last\nif {}:\n    -> ending all\n-> ending some\n\n== ending all: All Raised\nEvery flag flies.\n\n== ending some: Some Raised\nSome flags fly.",
        all.join(" and ")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_stories_have_the_state_space_they_promise() {
        let text = flags(6);
        let mut read = |_: &std::path::Path| Ok(text.clone().into_bytes());
        let loaded = crate::compile::compile(std::path::Path::new("flags.fab"), &mut read).unwrap();
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let story = loaded.story.unwrap();
        let report =
            crate::explore::explore(&story, crate::explore::Limits::default(), &mut |_| {});
        assert_eq!(report.states, (1 << 6) - 1);
        assert!(report.proved(false));
    }

    #[test]
    fn the_ink_story_has_the_same_scenes_and_choices() {
        let count =
            |text: &str, prefix: &str| text.lines().filter(|line| line.starts_with(prefix)).count();
        let (fabula, ink) = (story(50), ink_story(50));
        for prefix in ["== ", "* ", "* {power > 5}", "~ ", "{power > 3:"] {
            assert_eq!(count(&fabula, prefix), count(&ink, prefix), "{prefix}");
        }
        let targets = |text: &str| -> Vec<String> {
            text.lines()
                .filter_map(|line| line.split_once(" -> "))
                .map(|(_, target)| target.replace("ending_", "ending "))
                .collect()
        };
        assert_eq!(targets(&fabula), targets(&ink));
    }

    #[test]
    fn generated_stories_check_clean() {
        let text = story(50);
        let mut read = |_: &std::path::Path| Ok(text.clone().into_bytes());
        let loaded = crate::compile::compile(std::path::Path::new("gen.fab"), &mut read).unwrap();
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        assert_eq!(loaded.story.unwrap().scenes.len(), 53);
    }
}
