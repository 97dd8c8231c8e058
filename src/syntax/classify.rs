//! What a line is, from its first characters, and the "written another
//! way" heuristics that recognise a line meant as something it is not
//! quite (a misspelt header, a test written like a scene, a block opened
//! without its colon).

/// What a line is, from its first characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Scene,
    Choice,
    Divert,
    Logic,
    Assert,
    Tag,
    If,
    Elif,
    Else,
    Header,
    Include,
    Declaration,
    Invariant,
    /// `fn name(…) -> type:` or `extern fn …`.
    Function,
    Test,
    Text,
}

impl Kind {
    /// Whether a line of this kind starts a new top-level chunk (a scene or
    /// a test), ending whatever came before it.
    pub(super) fn starts_chunk(self) -> bool {
        matches!(self, Kind::Scene | Kind::Test)
    }

    /// What a line of a prologue-only kind is called, for the error when
    /// it appears inside a scene; `None` for the other kinds.
    pub(super) fn prologue_name(self) -> Option<&'static str> {
        match self {
            Kind::Header => Some("a header"),
            Kind::Include => Some("an include"),
            Kind::Declaration => Some("a declaration"),
            Kind::Invariant => Some("an invariant"),
            Kind::Function => Some("a function"),
            _ => None,
        }
    }
}

/// Whether a line starts a scene or a test: [`Kind::starts_chunk`] of its
/// kind, with the common case (neither) decided by its first byte.
pub(super) fn starts_chunk(content: &str) -> bool {
    match content.as_bytes().first() {
        Some(b'=' | b't') => classify(content).starts_chunk(),
        _ => false,
    }
}

/// `Title: Big` or `author = me`: a header key in another case, or with
/// `=`; the key as it should be, and the value.
pub(super) fn misspelt_header(content: &str) -> Option<(&'static str, &str)> {
    ["title", "author", "start", "about"]
        .into_iter()
        .find_map(|key| {
            let head = content.get(..key.len())?;
            if !head.eq_ignore_ascii_case(key) {
                return None;
            }
            let rest = content[key.len()..].trim_start();
            let value = rest.strip_prefix(':').or_else(|| rest.strip_prefix('='))?;
            Some((key, value.trim()))
        })
}

/// `test two:` or `test "three"` (no quotes, or no colon): the header as
/// it should be written.
pub(super) fn test_header_written_another_way(content: &str) -> Option<String> {
    let rest = content.strip_prefix("test")?;
    if !rest.starts_with([' ', '\t', '"']) {
        return None;
    }
    let body = rest.trim().trim_end_matches(':').trim_end();
    if body.is_empty() {
        return None;
    }
    if body.starts_with('"') {
        return Some(format!("test {body}:"));
    }
    let (name, from) = match body.split_once(" from ") {
        Some((name, scene)) => (name.trim(), format!(" from {}", scene.trim())),
        None => (body, String::new()),
    };
    Some(format!("test \"{name}\"{from}:"))
}

/// The keyword of a text line that reads like `if`, `elif` or `else`
/// without the `:` that would make it one.
pub(super) fn opens_block_without_colon(content: &str) -> Option<&'static str> {
    if content.ends_with(':') {
        return None;
    }
    ["if", "elif", "else"].into_iter().find(|keyword| {
        content
            .strip_prefix(keyword)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '(']))
    })
}

pub(super) fn classify(content: &str) -> Kind {
    // Every kind but text starts with one of these bytes: prose, the
    // commonest line, is told by its first byte alone.
    if !matches!(
        content.as_bytes().first(),
        Some(
            b'=' | b'*'
                | b'+'
                | b'-'
                | b'~'
                | b'#'
                | b'a'
                | b'c'
                | b'e'
                | b'f'
                | b'i'
                | b's'
                | b't'
                | b'v'
        )
    ) {
        return Kind::Text;
    }
    let starts_word = |word: &str| {
        content.strip_prefix(word).is_some_and(|rest| {
            rest.starts_with([' ', '\t', '(', ':', '{', '"']) || rest.is_empty()
        })
    };
    if content.starts_with("==") {
        Kind::Scene
    } else if starts_word("test")
        && content.ends_with(':')
        && content[4..].trim_start().starts_with('"')
    {
        Kind::Test
    } else if content.starts_with(['*', '+']) {
        Kind::Choice
    } else if content.starts_with("->") {
        Kind::Divert
    } else if content.starts_with('~') {
        Kind::Logic
    } else if content.starts_with('#') {
        Kind::Tag
    } else if starts_word("if") && content.ends_with(':') {
        Kind::If
    } else if starts_word("elif") && content.ends_with(':') {
        Kind::Elif
    } else if starts_word("else") && content.ends_with(':') {
        Kind::Else
    } else if ["title", "author", "start", "about"].iter().any(|key| {
        content
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    }) {
        Kind::Header
    } else if starts_word("include") {
        Kind::Include
    } else if starts_word("const") || starts_word("var") || starts_word("enum") {
        Kind::Declaration
    } else if starts_word("invariant") {
        Kind::Invariant
    } else if starts_word("fn")
        || (starts_word("extern") && content[6..].trim_start().starts_with("fn"))
    {
        Kind::Function
    } else if starts_word("assert") {
        Kind::Assert
    } else {
        Kind::Text
    }
}

/// Whether a file is a story's entry: it has a `title:` header before its
/// first scene. A cheap look at the file's prologue, not a parse: it reads
/// only up to the first scene. The one test of entry files, for the CLI's
/// folder search and the tests' fixtures.
pub fn is_entry(mut reader: impl std::io::BufRead) -> std::io::Result<bool> {
    let mut line = Vec::new();
    let mut first = true;
    while reader.read_until(b'\n', &mut line)? > 0 {
        let text = if first {
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&line)
        } else {
            &line
        };
        first = false;
        if text.starts_with(b"==") {
            return Ok(false);
        }
        if let Some(rest) = text.strip_prefix(b"title")
            && rest.trim_ascii_start().starts_with(b":")
        {
            return Ok(true);
        }
        line.clear();
    }
    Ok(false)
}
