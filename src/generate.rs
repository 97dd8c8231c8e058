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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_stories_check_clean() {
        let text = story(50);
        let mut read = |_: &std::path::Path| Ok(text.clone().into_bytes());
        let loaded = crate::graph::compile(std::path::Path::new("gen.fab"), &mut read).unwrap();
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        assert_eq!(loaded.story.unwrap().scenes.len(), 53);
    }
}
