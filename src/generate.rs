//! Generated stories for benchmarks and stress tests.

use std::fmt::Write as _;

/// A story of `scenes` scenes in the shape the performance targets name:
/// every scene has two prose lines, one inline conditional, one assignment
/// and three choices with diverts, one of them guarded. Scene `i` always
/// leads to scene `i + 1`, so every scene is reachable; the other two
/// choices jump elsewhere (chosen by a fixed pseudo-random sequence, so the
/// output depends only on `scenes`). The last scene leads to three endings.
pub fn story(scenes: usize) -> String {
    let scenes = scenes.max(1);
    let mut out = String::with_capacity(scenes * 330);
    out.push_str("title: Generated\nauthor: fabula gen\n\nvar power = 0\nvar favours = 0\n\n");
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    for index in 0..scenes {
        let last = index + 1 == scenes;
        let _ = writeln!(out, "== s{index}: Room {index}");
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
        out.push_str("~ power = min(power + 1, 9)\n");
        if last {
            out.push_str("* Accept the post -> ending appointed\n");
            out.push_str("* Refuse it -> ending refused\n");
            out.push_str("* {power > 5} Demand more -> ending promoted\n\n");
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
    out.push_str("== ending appointed: Appointed\nYou take the post.\n~ favours += 1\n{favours} favours owed.\n\n");
    out.push_str("== ending refused: Refused\nYou go home.\n\n");
    out.push_str("== ending promoted: Promoted\nThey give you more.\n");
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
    fn generated_stories_check_clean() {
        let text = story(50);
        let mut read = |_: &std::path::Path| Ok(text.clone().into_bytes());
        let loaded = crate::compile::compile(std::path::Path::new("gen.fab"), &mut read).unwrap();
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        assert_eq!(loaded.story.unwrap().scenes.len(), 53);
    }
}
