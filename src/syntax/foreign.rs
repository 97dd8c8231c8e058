//! Lines written as ink, Yarn Spinner, ChoiceScript or Twine write them:
//! each form recognised by name, with the Fabula form in its help, so a
//! writer's habit is never shown to the player as prose without a word
//! (issue #15). A line escaped with a leading `\` is prose as written.

use crate::diagnostic::{Code, Diagnostic, FileId, Span};

/// A form of another tool found in a line: where (bytes from the line's
/// content start), what it is, and the Fabula form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Foreign {
    pub start: usize,
    pub len: usize,
    /// An error where the line cannot be meant as Fabula (it is skipped);
    /// a warning where it would be shown as prose or as a choice.
    pub error: bool,
    pub message: String,
    pub help: String,
}

impl Foreign {
    /// The diagnostic, for a line whose content starts at `offset`.
    pub(super) fn diagnostic(&self, file: FileId, offset: usize) -> Diagnostic {
        let code = if self.error { Code::E0002 } else { Code::W0009 };
        let start = offset + self.start;
        Diagnostic::new(
            code,
            Span::new(file, start, start + self.len),
            &self.message,
        )
        .with_help(&self.help)
    }
}

fn form(content: &str, len: usize, error: bool, what: &str, help: String) -> Option<Foreign> {
    let escape = if error {
        String::new()
    } else {
        format!(
            "; to show it as written, escape its first character: `\\{}`",
            first_word(content)
        )
    };
    Some(Foreign {
        start: 0,
        len: len.min(content.len()),
        error,
        message: if error {
            format!("{what}, which Fabula does not read")
        } else {
            format!("{what}, which Fabula shows as prose")
        },
        help: format!("{help}{escape}"),
    })
}

fn first_word(content: &str) -> &str {
    content.split_whitespace().next().unwrap_or(content)
}

/// The line without a trailing `// comment`: up to its first ` //`.
/// Every text, logic and divert line comes here, so it scans for `/` with
/// memchr rather than building a substring searcher each time.
fn code_of(content: &str) -> &str {
    let bytes = content.as_bytes();
    let mut from = 0;
    let end = loop {
        let Some(found) = memchr::memchr(b'/', &bytes[from..]) else {
            break bytes.len();
        };
        let slash = from + found;
        if slash > 0 && bytes[slash - 1] == b' ' && bytes.get(slash + 1) == Some(&b'/') {
            break slash - 1;
        }
        from = slash + 1;
    };
    content[..end].trim()
}

/// `name` with any `$` sigil removed: Yarn's and Twine's `$x` is `x`.
fn bare(text: &str) -> String {
    text.replace('$', "")
}

/// A form at the start of a line of text, logic, divert or prologue.
pub(super) fn line(content: &str) -> Option<Foreign> {
    // Every form below starts with one of these (the line's first
    // character is its code's, or a comment's `/`): most lines are told
    // apart here, without cutting off their comment.
    let start = content.trim_start();
    if !matches!(
        start.as_bytes().first(),
        Some(b'V' | b'C' | b'L' | b'<' | b'-' | b'=' | b'(')
    ) || start.starts_with("->")
    {
        return None;
    }
    let code = code_of(content);
    for (keyword, fabula) in [("VAR ", "var"), ("CONST ", "const")] {
        if let Some(rest) = code.strip_prefix(keyword) {
            return form(
                content,
                keyword.len() - 1,
                true,
                &format!("ink's `{}` declaration", keyword.trim()),
                format!(
                    "declare it above the first scene: `{fabula} {}`",
                    rest.trim()
                ),
            );
        }
    }
    if let Some(rest) = code.strip_prefix("LIST ") {
        let (name, values) = rest.split_once('=').unwrap_or((rest, ""));
        let values = values.replace(['(', ')'], "");
        return form(
            content,
            4,
            true,
            "ink's `LIST` declaration",
            format!(
                "declare an enum and a set of it: `enum {} {{ {} }}`, then `var name: set of {}`",
                name.trim(),
                values.trim(),
                name.trim()
            ),
        );
    }
    if code == "---" {
        return form(
            content,
            3,
            false,
            "Yarn Spinner's `---`, the end of a node's header,",
            "Fabula has no node headers: a scene starts with its `== name: Title` line".into(),
        );
    }
    if let Some(rest) = code.strip_prefix("<-") {
        return form(
            content,
            2,
            false,
            "ink's thread `<- name`",
            format!(
                "Fabula has no threads: divert with `-> {}`, or write the choices in this scene",
                rest.trim()
            ),
        );
    }
    if code == "-" || code.starts_with("- ") {
        let rest = code[1..].trim_start();
        // A gather that diverts cannot be meant as prose: an error, so
        // the line is skipped and its scene not called a dead end.
        let diverts = rest.starts_with("->");
        let what = if diverts {
            "the divert alone"
        } else {
            "the text alone"
        };
        let help = format!(
            "Fabula has no gathers: after a choice block the scene goes on at the next line, so write {what}: `{rest}`"
        );
        return form(content, 1, diverts, "ink's gather `- `", help);
    }
    if let Some(rest) = code.strip_prefix('=')
        && !rest.starts_with('=')
        && rest.trim().chars().all(|c| c.is_alphanumeric() || c == '_')
        && !rest.trim().is_empty()
    {
        return form(
            content,
            code.len(),
            false,
            "ink's stitch `= name`",
            format!("Fabula has scenes, not stitches: `== {}`", rest.trim()),
        );
    }
    macro_line(content, code)
}

/// Yarn Spinner's node header, `title: Name` with `---` on the line after
/// it (`next`): one report for both lines.
pub(super) fn yarn_node_header(content: &str, next: Option<&str>) -> Option<Foreign> {
    let name = code_of(content).strip_prefix("title:")?.trim();
    if next.map(code_of) != Some("---") {
        return None;
    }
    let name: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    form(
        content,
        content.len(),
        true,
        "Yarn Spinner's node header `title:` and `---`",
        format!("a scene starts with its header line: `== {name}`"),
    )
}

/// Yarn Spinner's and SugarCube's `<<command>>`, Harlowe's `(macro:)`.
fn macro_line(content: &str, code: &str) -> Option<Foreign> {
    if let Some(inner) = code.strip_prefix("<<") {
        let inner = inner.split(">>").next().unwrap_or(inner).trim();
        let (command, rest) = inner.split_once(' ').unwrap_or((inner, ""));
        let rest = bare(rest.trim());
        let help = match command {
            "set" => format!(
                "set a variable on a logic line: `~ {}`",
                rest.replacen(" to ", " = ", 1)
            ),
            "if" => format!("`if {rest}:`, with the lines it guards indented under it"),
            "elseif" => format!("`elif {rest}:`"),
            "else" => "`else:`".to_string(),
            "endif" => "a block ends where its indentation does: remove the line".to_string(),
            "jump" | "goto" => format!("divert: `-> {}`", rest.trim_matches(['"', '\''])),
            _ => format!(
                "Fabula has no `<<{command}>>`; docs/COMING-FROM.md lists what to write instead"
            ),
        };
        let len = code.find(">>").map_or(code.len(), |end| end + 2);
        return form(
            content,
            len,
            false,
            &format!("the command `<<{command}>>` (Yarn Spinner, SugarCube)"),
            help,
        );
    }
    if let Some(inner) = code.strip_prefix('(')
        && let Some((macro_name, rest)) = inner.split_once(':')
        && !macro_name.is_empty()
        && macro_name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-')
    {
        let rest = bare(rest.split(')').next().unwrap_or(rest).trim());
        let help = match macro_name {
            "set" | "put" => format!(
                "set a variable on a logic line: `~ {}`",
                rest.replacen(" to ", " = ", 1)
            ),
            "if" => format!("`if {rest}:`, with the lines it guards indented under it"),
            "goto" | "go-to" => format!("divert: `-> {}`", rest.trim_matches(['"', '\''])),
            _ => format!(
                "Fabula has no `({macro_name}:)`; docs/COMING-FROM.md lists what to write instead"
            ),
        };
        let len = code.find(')').map_or(code.len(), |end| end + 1);
        return form(
            content,
            len,
            false,
            &format!("Harlowe's macro `({macro_name}:)`"),
            help,
        );
    }
    None
}

/// ChoiceScript's commands, and what to write instead.
const CHOICESCRIPT: &[(&str, &str)] = &[
    ("goto", "divert: `-> {}`"),
    ("goto_scene", "divert: `-> {}`"),
    ("gosub", "divert: `-> {}`"),
    ("label", "start a scene: `== {}`"),
    (
        "choice",
        "write the options as choices, `* Option`, each with its lines indented under it",
    ),
    (
        "fake_choice",
        "write the options as choices, `* Option`, each with its lines indented under it",
    ),
    ("set", "set a variable on a logic line: `~ {}`"),
    ("temp", "declare it above the first scene: `var {}`"),
    ("create", "declare it above the first scene: `var {}`"),
    ("if", "`if {}:`, with the lines it guards indented under it"),
    ("elseif", "`elif {}:`"),
    ("else", "`else:`"),
    (
        "finish",
        "end in an ending scene: `-> ending name`, to one declared `== ending name`",
    ),
    (
        "ending",
        "end in an ending scene: `-> ending name`, to one declared `== ending name`",
    ),
    (
        "page_break",
        "Fabula shows a scene's text up to its choices: remove the line, or add a choice `* Next`",
    ),
    (
        "line_break",
        "a blank line separates paragraphs: remove the command",
    ),
    ("comment", "a comment is written `// {}`"),
    ("title", "a header: `title: {}`"),
    ("author", "a header: `author: {}`"),
];

/// A ChoiceScript command (`*goto tower`) where a choice line stands: an
/// error, since a choice `goto tower` is never what was meant.
pub(super) fn choicescript(content: &str) -> Option<Foreign> {
    // Every command is `*` and a word: a choice (`* text`) is told apart
    // without looking for a comment.
    if !content
        .trim_start()
        .strip_prefix('*')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic()))
    {
        return None;
    }
    let code = code_of(content);
    let rest = code.strip_prefix('*')?;
    let (command, argument) = rest.split_once(' ').unwrap_or((rest, ""));
    let (_, help) = CHOICESCRIPT.iter().find(|(name, _)| *name == command)?;
    let argument = match command {
        "set" => {
            let (name, value) = argument.trim().split_once(' ').unwrap_or((argument, ""));
            format!("{name} = {}", value.trim())
        }
        "temp" | "create" => {
            let (name, value) = argument.trim().split_once(' ').unwrap_or((argument, ""));
            format!("{name} = {}", value.trim())
        }
        _ => argument.trim().to_string(),
    };
    form(
        content,
        command.len() + 1,
        true,
        &format!("ChoiceScript's `*{command}`"),
        help.replace("{}", &argument),
    )
}

/// Yarn Spinner's option `-> Go left`: a divert line that names no scene
/// (it has several words and is neither `-> ending name` nor a tunnel
/// call), or one with lines indented under it (`has_body`), which no
/// divert has. An error: the line and its block are skipped.
pub(super) fn yarn_option(content: &str, has_body: bool) -> Option<Foreign> {
    // `-> name`, the commonest line of all: one word (so no comment
    // either) and no body.
    if !has_body
        && let Some(rest) = content.strip_prefix("->")
        && rest
            .trim_start_matches([' ', '\t'])
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
    {
        return None;
    }
    let code = code_of(content);
    let rest = code.strip_prefix("->")?.trim();
    if rest.is_empty() || rest.as_bytes().windows(2).any(|pair| pair == b"->") {
        return None;
    }
    let several_words = rest.split_whitespace().nth(1).is_some()
        && !rest.starts_with("ending ")
        && !rest.contains('(');
    if !(several_words || has_body) {
        return None;
    }
    // `-> Pay <<if $coins > 1>>`: the condition as a choice's guard.
    let (text, condition) = match rest.split_once("<<if ") {
        Some((text, condition)) => (
            text.trim(),
            format!(
                " {{{}}}",
                bare(condition.split(">>").next().unwrap_or(condition).trim())
            ),
        ),
        None => (rest, String::new()),
    };
    let mut found = form(
        content,
        2,
        true,
        "Yarn Spinner's option `-> text`",
        format!(
            "a choice starts with `*`: `*{condition} {text}`, with its lines indented under it"
        ),
    )?;
    found.message = "Yarn Spinner's option `-> text`, which Fabula reads as a divert".into();
    Some(found)
}

/// ChoiceScript's `*choice` with its `#option` lines: one report for the
/// whole block, `options` being the option lines' contents.
pub(super) fn choicescript_options<'a>(
    found: &mut Foreign,
    options: impl Iterator<Item = &'a str>,
) {
    let options: Vec<String> = options
        .filter_map(|option| option.strip_prefix('#'))
        .map(|text| format!("`* {}`", code_of(text)))
        .take(3)
        .collect();
    if !options.is_empty() {
        found.help = format!(
            "write each `#option` as a choice, {}, with its lines indented under it",
            options.join(", ")
        );
    }
}

/// ink's bracketed choice text, `* [Look at the sky]`: `content` is the
/// choice line, sigil included.
pub(super) fn bracketed_choice(content: &str) -> Option<Foreign> {
    // Every choice line comes here: its sigils skipped byte by byte.
    let sigils = content
        .bytes()
        .take_while(|byte| matches!(byte, b'*' | b'+'))
        .count();
    let after_sigil = &content[sigils..];
    let text = after_sigil.trim_start();
    if !text.starts_with('[') || text.starts_with("[requires") {
        return None;
    }
    let close = text.find(']')?;
    let start = content.len() - text.len();
    Some(Foreign {
        start,
        len: close + 1,
        error: false,
        message: "ink's bracketed choice text `[…]`, which Fabula shows with its brackets".into(),
        help: format!(
            "Fabula never repeats a choice's text after it is taken, so no brackets are needed: `{} {}`",
            &content[..1],
            &text[1..close]
        ),
    })
}

/// Twine's links and Yarn's, Twine's and ChoiceScript's variables in the
/// text of a line: the first one found, not escaped.
pub(super) fn in_text(content: &str) -> Option<Foreign> {
    let bytes = content.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        // Straight to the next byte that can start a form (SIMD, where
        // the byte-at-a-time loop was 4% of checking a big story).
        let Some(skip) = memchr::memchr3(b'\\', b'[', b'$', &bytes[index..]) else {
            break;
        };
        index += skip;
        match bytes[index] {
            b'\\' => index += 1,
            b'[' if content[index..].starts_with("[[") => {
                let inner_end = content[index..].find("]]")?;
                let inner = &content[index + 2..index + inner_end];
                let (text, target) = match inner.split_once("->").or_else(|| inner.split_once('|'))
                {
                    Some((text, target)) => (text.trim(), target.trim()),
                    None => (inner.trim(), inner.trim()),
                };
                return Some(Foreign {
                    start: index,
                    len: inner_end + 2,
                    error: false,
                    message: "Twine's link `[[…]]`, which Fabula shows as prose".into(),
                    help: format!(
                        "a link is a choice on its own line: `* {text} -> {target}`; to show the brackets, escape them: `\\[[`"
                    ),
                });
            }
            b'$' => {
                let rest = &content[index + 1..];
                let braced = rest
                    .strip_prefix('{')
                    .and_then(|inner| inner.split_once('}'));
                let (name, len, tool) = match braced {
                    Some((name, _)) => (
                        name,
                        1,
                        "ChoiceScript's `${…}`: Fabula shows its `$` as prose",
                    ),
                    None => {
                        let name_len = rest
                            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .unwrap_or(rest.len());
                        (
                            &rest[..name_len],
                            name_len + 1,
                            "the variable `$name` (Yarn Spinner, Twine), which Fabula shows as prose",
                        )
                    }
                };
                if name.starts_with(|c: char| c.is_alphabetic() || c == '_') {
                    return Some(Foreign {
                        start: index,
                        len,
                        error: false,
                        message: tool.to_string(),
                        help: format!(
                            "a value is shown with braces: `{{{name}}}`; to show a dollar sign, escape it: `\\$`"
                        ),
                    });
                }
            }
            _ => {}
        }
        index += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yarn_options_are_told_from_diverts() {
        assert!(yarn_option("-> Go left", false).is_some());
        assert!(yarn_option("-> Leave", true).is_some());
        // Fabula's own diverts, with or without a comment.
        for divert in [
            "-> shop",
            "-> ending done",
            "-> greet(kamenev, 2) ->",
            "-> greet ->",
            "->->",
            "-> shop // to the shop now",
        ] {
            assert_eq!(yarn_option(divert, false), None, "{divert}");
        }
        let guarded = yarn_option("-> Pay <<if $coins > 1>>", false).unwrap();
        assert!(
            guarded.help.contains("`* {coins > 1} Pay`"),
            "{}",
            guarded.help
        );
    }
}
