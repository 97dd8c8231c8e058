//! Dropping what a syntax error made up.
//!
//! A line that does not parse is reported and skipped, with the indented
//! block under it. What it held is then missing from the graph, and later
//! passes see the hole: a scene, variable or enum it declared looks
//! undeclared where it is used (E0104, E0103, E0105), the variable it read
//! looks unused (W0002), the
//! scene it diverted to looks unreachable (E0304, E0305), and so does every
//! scene only that one leads to; the scene it was in looks like a dead end
//! (E0301), a choice block that lost a line may look as if it could
//! offer nothing (W0001), and scenes that lost a choice line may look as
//! if they loop for ever (E0307). Those reports are not news, and they bury the one
//! that is. So a report of that kind is dropped when the skipped text
//! mentions its variable, or a scene from which its scene is reachable, or,
//! for a dead end or a choice block, lies in its scene.
//!
//! Two more kinds of report are not news either: anything an include that
//! could not be read may explain (a name declared nowhere, a variable never
//! read, a scene never reached), and the "never read" of a variable that an
//! undeclared name is a misspelling of.

use std::collections::HashSet;

use crate::diagnostic::{Code, Diagnostic, FileId, SourceMap, Span};
use crate::graph::{SceneId, Story};

/// Codes of errors after which a line, or a block, was skipped.
fn skips_lines(code: Code) -> bool {
    matches!(
        code,
        Code::E0002 | Code::E0004 | Code::E0005 | Code::E0006 | Code::E0008
    )
}

/// A stretch of a file the parser skipped, as byte offsets.
struct Skipped {
    file: FileId,
    start: usize,
    end: usize,
}

/// The lines around a syntax error that the parser skipped: the error's
/// own lines, and the block indented under them (for misplaced
/// indentation, the lines at least as deep, which were skipped with it).
fn skipped(diagnostic: &Diagnostic, sources: &SourceMap) -> Skipped {
    let span = diagnostic.span;
    let text = &sources.get(span.file).text;
    // Found by bytes: a span may end inside a character, but a newline's
    // neighbours are always character boundaries.
    let bytes = text.as_bytes();
    let start = (span.start as usize).min(text.len());
    let end = (span.end as usize).clamp(start, text.len());
    let line_start = bytes[..start]
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |newline| newline + 1);
    let mut line_end = bytes[end..]
        .iter()
        .position(|&byte| byte == b'\n')
        .map_or(text.len(), |found| end + found);
    let indent = indentation(&text[line_start..line_end]);
    let deeper_or_level = diagnostic.code == Code::E0004;
    while line_end < text.len() {
        let next_end = text[line_end + 1..]
            .find('\n')
            .map_or(text.len(), |found| line_end + 1 + found);
        let line = &text[line_end + 1..next_end];
        let blank = line.trim().is_empty();
        let inside = if deeper_or_level {
            indentation(line) >= indent
        } else {
            indentation(line) > indent
        };
        if !(blank || inside) {
            break;
        }
        line_end = next_end;
    }
    Skipped {
        file: span.file,
        start: line_start,
        end: line_end,
    }
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// The identifiers of `text`: its longest runs of letters, digits and `_`.
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
}

/// Whether `text` holds `word` as a whole identifier.
fn mentions(text: &str, word: &str) -> bool {
    let is_identifier = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_identifier) && !after.is_some_and(is_identifier)
    })
}

/// Whether the diagnostic says an include was not read.
fn include_failed(code: Code) -> bool {
    matches!(code, Code::E0401 | Code::E0403)
}

/// Drops what an include that could not be read explains: a name declared
/// nowhere (E0103, E0104, E0105) may be declared in the file that was not
/// read, a variable never read (W0002) may be read there, and a scene or
/// ending that looks unreachable, or a story that looks endless (E0304,
/// E0305, W0007), may be reached or ended there. The failed include's own
/// report says so, so the writer knows more may follow once it is fixed.
fn drop_after_failed_include(diagnostics: &mut Vec<Diagnostic>) {
    if !diagnostics.iter().any(|d| include_failed(d.code)) {
        return;
    }
    let before = diagnostics.len();
    diagnostics.retain(|diagnostic| {
        !matches!(
            diagnostic.code,
            Code::E0103
                | Code::E0104
                | Code::E0105
                | Code::W0002
                | Code::E0304
                | Code::E0305
                | Code::W0007
        )
    });
    if diagnostics.len() == before {
        return;
    }
    for diagnostic in diagnostics.iter_mut().filter(|d| include_failed(d.code)) {
        let note = "names it would declare are not reported as unknown until it is read";
        diagnostic.help = Some(match diagnostic.help.take() {
            Some(help) => format!("{help}; {note}"),
            None => note.to_string(),
        });
    }
}

/// Drops the W0002 "never read" of a variable that an undeclared name
/// (E0103) is a likely misspelling of: `if oill == 2` reads `oil`, as the
/// E0103's "did you mean `oil`?" says, so `oil` is not news. The name is
/// the one lowering suggested, taken from the help rather than measured
/// again, so this stays linear however many reports there are.
fn drop_misspelt_reads(diagnostics: &mut Vec<Diagnostic>, sources: &SourceMap) {
    let meant: HashSet<String> = diagnostics
        .iter()
        .filter(|d| d.code == Code::E0103)
        .filter_map(|d| {
            let help = d.help.as_deref()?;
            let name = help.strip_prefix("did you mean `")?.strip_suffix("`?")?;
            Some(name.to_string())
        })
        .collect();
    if meant.is_empty() {
        return;
    }
    diagnostics.retain(|d| {
        if d.code != Code::W0002 {
            return true;
        }
        let text = &sources.get(d.span.file).text;
        !meant.contains(text.get(d.span.range()).unwrap_or_default())
    });
}

/// Drops the reports that skipped lines explain (see the module's notes).
/// `story` is the graph the later passes ran on, when there was one.
pub fn drop_follow_ons(
    diagnostics: &mut Vec<Diagnostic>,
    sources: &SourceMap,
    story: Option<&Story>,
) {
    drop_after_failed_include(diagnostics);
    drop_misspelt_reads(diagnostics, sources);
    let skipped: Vec<Skipped> = diagnostics
        .iter()
        .filter(|diagnostic| skips_lines(diagnostic.code))
        .map(|diagnostic| skipped(diagnostic, sources))
        .collect();
    if skipped.is_empty() {
        return;
    }
    let text_of = |stretch: &Skipped| &sources.get(stretch.file).text[stretch.start..stretch.end];
    // Every identifier of the skipped text, read once: a story with
    // thousands of skipped lines and thousands of reports stays linear.
    let named: HashSet<&str> = skipped
        .iter()
        .flat_map(|stretch| identifiers(text_of(stretch)))
        .collect();
    let any_mentions = |word: &str| {
        if identifiers(word).eq([word]) {
            named.contains(word)
        } else {
            skipped
                .iter()
                .any(|stretch| mentions(text_of(stretch), word))
        }
    };
    // Scenes the skipped lines may have led to: those they name, and every
    // scene reachable from one of those.
    let maybe_reached = story.map(|story| {
        let mut reached = vec![false; story.scenes.len()];
        let mut stack: Vec<SceneId> = story
            .scenes
            .iter()
            .enumerate()
            .filter(|(_, scene)| any_mentions(&scene.name))
            .map(|(index, _)| SceneId(index as u32))
            .collect();
        let mut successors: Vec<Vec<SceneId>> = vec![Vec::new(); story.scenes.len()];
        for edge in story.edges() {
            successors[edge.from.index()].push(edge.to);
        }
        while let Some(scene) = stack.pop() {
            if std::mem::replace(&mut reached[scene.index()], true) {
                continue;
            }
            stack.extend(&successors[scene.index()]);
        }
        reached
    });
    let maybe_reached_at = |header: Span| {
        let (Some(story), Some(reached)) = (story, &maybe_reached) else {
            return false;
        };
        story
            .scenes
            .iter()
            .position(|scene| scene.span == header)
            .is_some_and(|index| reached[index])
    };
    let headers: Vec<Span> = story.map_or_else(Vec::new, |story| {
        story.scenes.iter().map(|scene| scene.span).collect()
    });
    // The header of the scene a position is in.
    let header_before = |span: Span| {
        headers
            .iter()
            .filter(|header| header.file == span.file && header.start <= span.start)
            .max_by_key(|header| header.start)
            .copied()
    };
    // Whether lines were skipped in the scene headed by `header`, which runs
    // to the next header in its file.
    let skipped_in_scene = |header: Span| {
        let next = headers
            .iter()
            .filter(|span| span.file == header.file && span.start > header.start)
            .map(|span| span.start as usize)
            .min()
            .unwrap_or(usize::MAX);
        skipped.iter().any(|stretch| {
            stretch.file == header.file
                && stretch.start >= header.start as usize
                && stretch.start < next
        })
    };
    diagnostics.retain(|diagnostic| match diagnostic.code {
        // A divert to a scene whose header did not parse, a name or a type
        // whose declaration did not.
        Code::W0002 | Code::E0103 | Code::E0104 | Code::E0105 => {
            let file = &sources.get(diagnostic.span.file).text;
            let name = file.get(diagnostic.span.range()).unwrap_or_default();
            name.is_empty() || !any_mentions(name)
        }
        Code::E0304 | Code::E0305 => !maybe_reached_at(diagnostic.span),
        // An ending whose header did not parse.
        Code::W0007 => !any_mentions("ending"),
        // A loop with a skipped line in one of its scenes may have had a
        // choice there.
        Code::E0307 => !diagnostic
            .labels
            .iter()
            .filter_map(|label| header_before(label.span))
            .any(skipped_in_scene),
        Code::E0301 => match diagnostic.labels.first() {
            Some(label) => !skipped_in_scene(label.span),
            None => true,
        },
        // A choice block with a skipped line may have had an unguarded
        // choice or a fallback in it.
        Code::W0001 => match header_before(diagnostic.span) {
            Some(header) => !skipped_in_scene(header),
            None => true,
        },
        _ => true,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_whole_identifiers_only() {
        assert!(mentions("if gold > 2", "gold"));
        assert!(mentions("-> bank", "bank"));
        assert!(!mentions("goldsmith", "gold"));
        assert!(!mentions("my_gold", "gold"));
        assert!(mentions("{gold}", "gold"));
        let words: Vec<&str> = identifiers("if gold > 2: -> bank_1 {my_gold}").collect();
        assert_eq!(words, ["if", "gold", "2", "bank_1", "my_gold"]);
    }
}
