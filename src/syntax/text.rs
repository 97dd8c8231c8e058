//! Prose with inline markup: interpolation, conditionals and alternatives.

use nom::character::complete::{char, space0};
use nom::{IResult, Parser};

use super::expr::{assignment_as_condition, expression};
use super::{Input, PError, pos, span_of};
use crate::ast::{AltKind, Expr, MAX_MARKUP_DEPTH, Segment, Text};
use crate::diagnostic::Code;

/// Where a run of text stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The end of the line (a text line).
    LineEnd,
    /// The end of the line or an unescaped `->` (a choice's text).
    Divert,
    /// An unescaped `|` or `}` (inside markup).
    Markup,
}

/// Where the next byte a run of ordinary text stops at is in `bytes`: a
/// backslash or a brace always, and `-` (of `->`) in a choice's text, `|`
/// in markup. By SIMD search (`memchr`): this scan reads every byte of
/// prose, and the loop over a table of stop bytes that it replaced was 4%
/// of checking a big story's instructions.
fn next_stop(bytes: &[u8], until: Until) -> Option<usize> {
    let always = memchr::memchr3(b'\\', b'{', b'}', bytes);
    let also = match until {
        Until::LineEnd => return always,
        Until::Divert => b'-',
        Until::Markup => b'|',
    };
    let before = &bytes[..always.unwrap_or(bytes.len())];
    memchr::memchr(also, before).or(always)
}

/// `text := (literal | "{" markup "}")*`
/// `literal := ( [^{}\\|] | "\\" any )+`
///
/// Parses text up to (not including) what `until` names. Outside markup a
/// bare `|` is literal and a bare `}` an error.
pub fn text(input: Input, until: Until, depth: usize) -> IResult<Input, Text, PError> {
    let mut segments: Text = Vec::new();
    let mut literal = String::new();
    let mut rest = input;
    loop {
        let fragment = rest.fragment();
        let Some(next) = fragment.chars().next() else {
            break;
        };
        match next {
            '\\' => {
                let escaped = fragment[1..].chars().next();
                match escaped {
                    Some(c) => {
                        literal.push(c);
                        rest = nom::Input::take_from(&rest, 1 + c.len_utf8());
                    }
                    None => {
                        literal.push('\\');
                        rest = nom::Input::take_from(&rest, 1);
                    }
                }
            }
            '|' | '}' if until == Until::Markup => break,
            '}' => {
                return Err(nom::Err::Failure(
                    PError::at(rest, "text")
                        .with_message("unmatched `}` in text".to_string())
                        .with_help("write a literal brace as `\\}`"),
                ));
            }
            '-' if until == Until::Divert && fragment.starts_with("->") => break,
            '{' => {
                if depth >= MAX_MARKUP_DEPTH {
                    return Err(nom::Err::Failure(
                        PError::at(rest, "shallower nesting")
                            .with_code(Code::E0005)
                            .with_message(format!(
                                "inline markup nested deeper than {MAX_MARKUP_DEPTH} levels"
                            )),
                    ));
                }
                if !literal.is_empty() {
                    segments.push(Segment::Literal(std::mem::take(&mut literal)));
                }
                let (after, segment) = markup(rest, depth + 1)?;
                segments.push(segment);
                rest = after;
            }
            _ => {
                // Copy the whole run of ordinary characters at once, from
                // this one (a `-` or `|` that stops nothing here, maybe) to
                // the next stop. The stops are ASCII, so a byte search
                // finds the same place as a search by `char`, and the run
                // ends on a character boundary.
                let run = next_stop(&fragment.as_bytes()[1..], until)
                    .map_or(fragment.len(), |stop| stop + 1);
                if literal.is_empty() {
                    // Most literals are one run: allocated once, at size.
                    literal = String::from(&fragment[..run]);
                } else {
                    literal.push_str(&fragment[..run]);
                }
                rest = nom::Input::take_from(&rest, run);
            }
        }
    }
    if until != Until::Markup {
        let trimmed = literal.trim_end().len();
        literal.truncate(trimmed);
    }
    if !literal.is_empty() {
        segments.push(Segment::Literal(literal));
    }
    Ok((rest, segments))
}

/// `markup := "{" ( alt-kind alternatives | expression ":" text ("|" text)?
///                | expression | alternatives ) "}"`
/// `alt-kind := "&" | "!" | "~"`
/// `alternatives := text ("|" text)*`
fn markup(input: Input, depth: usize) -> IResult<Input, Segment, PError> {
    let after_open = input.advance(1);
    let unterminated = || {
        nom::Err::Failure(
            PError::at(input, "a closing `}`")
                .with_code(Code::E0006)
                .with_message("unterminated `{` in text".to_string())
                .with_help("close the markup with `}`, or write a literal brace as `\\{`"),
        )
    };
    let kind = match after_open.fragment().chars().next() {
        Some('&') => Some(AltKind::Cycle),
        Some('!') => Some(AltKind::Once),
        Some('~') => Some(AltKind::Shuffle),
        _ => None,
    };
    if let Some(kind) = kind {
        let body = nom::Input::take_from(&after_open, 1);
        let (rest, options) = alternatives(body, depth)?;
        let rest = closing_brace(rest).ok_or_else(unterminated)?;
        let span = span_of(input.extra.file, input).with_end(pos(&rest));
        return Ok((
            rest,
            Segment::Alternatives {
                kind,
                options,
                span,
            },
        ));
    }
    let after_space = after_open.skip_space();
    match expression(after_space) {
        Ok((after_expr, condition)) => {
            let after_expr = after_expr.skip_space();
            if let Some(rest) = closing_brace(after_expr) {
                return Ok((rest, Segment::Interpolate(condition)));
            }
            if after_expr.first_byte() == Some(b':') {
                let after_colon = after_expr.advance(1);
                let (rest, (branches, mut otherwise)) = branches(after_colon, condition, depth)?;
                let rest = closing_brace(rest).ok_or_else(unterminated)?;
                // Nest from the last: `a ? x : (b ? y : z)`.
                let mut chained = None;
                for (condition, then) in branches.into_iter().rev() {
                    let otherwise = match chained.take() {
                        Some(inner) => vec![inner],
                        None => std::mem::take(&mut otherwise),
                    };
                    chained = Some(Segment::Conditional {
                        condition,
                        then,
                        otherwise,
                    });
                }
                let chained = chained.expect("at least the first branch");
                return Ok((rest, chained));
            }
        }
        // Too deep, or a string left open (`{x == "a: b|c}`): a sequence
        // would swallow the mistake and print it.
        Err(nom::Err::Failure(error)) if matches!(error.code, Code::E0005 | Code::E0006) => {
            return Err(nom::Err::Failure(error));
        }
        Err(_) => {}
    }
    // `{gold = 1: Rich.|Poor.}` would pass for a sequence whose first
    // option reads "gold = 1: Rich.": a condition with `=` for `==`.
    if let Some(better) = assignment_as_condition(after_space)
        && let Ok((after, _)) = expression(after_space)
        && after
            .fragment()
            .split_once(':')
            .is_some_and(|(before, _)| !before.contains(['|', '}']))
    {
        return Err(nom::Err::Failure(better));
    }
    // Not an expression: a plain sequence, which needs at least one `|`.
    let (rest, options) = alternatives(after_open, depth)?;
    if rest.fragment().is_empty() {
        return Err(unterminated());
    }
    if options.len() < 2 {
        // `{if x > 1: …}`, as other languages write it.
        let help = match after_space.fragment().strip_prefix("if ") {
            Some(_) => "an inline condition has no `if`: `{trust > 1: then|otherwise}`",
            None => "write a literal brace as `\\{`",
        };
        return Err(nom::Err::Failure(
            PError::at(
                after_space,
                "an expression, or alternatives separated by `|`",
            )
            .with_message("`{…}` holds neither an expression nor alternatives".into())
            .with_help(help),
        ));
    }
    let rest = closing_brace(rest).ok_or_else(unterminated)?;
    let span = span_of(input.extra.file, input).with_end(pos(&rest));
    Ok((
        rest,
        Segment::Alternatives {
            kind: AltKind::Sequence,
            options,
            span,
        },
    ))
}

/// The input after the `}` it starts with, if it does.
fn closing_brace(input: Input) -> Option<Input> {
    (input.first_byte() == Some(b'}')).then(|| input.advance(1))
}

/// Each branch of an inline conditional: its condition and its text.
type Branches = Vec<(Expr, Text)>;

/// An inline conditional's branches after its first condition's `:`:
/// `x|b: y|z` gives `[(a, x), (b, y)]` (with the first condition `a`) and
/// `z`, what is shown otherwise.
fn branches(
    after_colon: Input,
    condition: Expr,
    depth: usize,
) -> IResult<Input, (Branches, Text), PError> {
    let (mut rest, then) = text(after_colon.skip_space(), Until::Markup, depth)?;
    // `{a: x|b: y|z}`: every branch but the last has its own
    // condition (with two branches the second is plain text, so
    // `{a: x|Note: y}` keeps meaning what it always meant).
    let mut branches = vec![(condition, then)];
    let mut otherwise = Vec::new();
    while rest.first_byte() == Some(b'|') {
        let after_bar = rest.advance(1);
        let (after_option, option) = text(after_bar, Until::Markup, depth)?;
        if !after_option.fragment().starts_with('|') {
            otherwise = option;
            rest = after_option;
            break;
        }
        if depth + branches.len() >= MAX_MARKUP_DEPTH {
            return Err(nom::Err::Failure(
                PError::at(after_bar, "fewer branches")
                    .with_code(Code::E0005)
                    .with_message(format!(
                        "an inline conditional with more than {MAX_MARKUP_DEPTH} branches"
                    )),
            ));
        }
        let (after_space, _) = space0(after_bar)?;
        let branch = expression(after_space).ok().and_then(|(after, condition)| {
            let (after, _) = space0::<_, PError>(after).ok()?;
            let (after, _) = char::<_, PError>(':').parse(after).ok()?;
            Some((after, condition))
        });
        let Some((after_colon, condition)) = branch else {
            return Err(nom::Err::Failure(
                PError::at(after_space, "a condition and `:`")
                    .with_message(
                        "a middle branch of an inline conditional needs its own condition"
                            .into(),
                    )
                    .with_help("write `{a: first|b: second|otherwise}`; only the last branch has no condition"),
            ));
        };
        let (after_colon, _) = space0(after_colon)?;
        let (after_then, then) = text(after_colon, Until::Markup, depth)?;
        branches.push((condition, then));
        rest = after_then;
    }
    Ok((rest, (branches, otherwise)))
}

fn alternatives(input: Input, depth: usize) -> IResult<Input, Vec<Text>, PError> {
    let mut options = Vec::new();
    let (mut rest, first) = text(input, Until::Markup, depth)?;
    options.push(first);
    while rest.first_byte() == Some(b'|') {
        let (after, option) = text(rest.advance(1), Until::Markup, depth)?;
        options.push(option);
        rest = after;
    }
    Ok((rest, options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::FileId;
    use crate::syntax::Origin;

    fn parse(source: &str) -> Result<Text, PError> {
        match text(
            Input::new_extra(
                source,
                Origin {
                    file: FileId(0),
                    base: 0,
                },
            ),
            Until::LineEnd,
            0,
        ) {
            Ok((_, parsed)) => Ok(parsed),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) => unreachable!(),
        }
    }

    fn shape(text: &Text) -> String {
        text.iter()
            .map(|segment| match segment {
                Segment::Literal(s) => format!("'{s}'"),
                Segment::Interpolate(_) => "<expr>".into(),
                Segment::Conditional {
                    then, otherwise, ..
                } => format!("<if {} else {}>", shape(then), shape(otherwise)),
                Segment::Alternatives { kind, options, .. } => format!(
                    "<{kind:?} {}>",
                    options.iter().map(shape).collect::<Vec<_>>().join(" / ")
                ),
            })
            .collect()
    }

    #[test]
    fn markup_forms() {
        assert_eq!(
            shape(&parse("You hold {n} seats.").unwrap()),
            "'You hold '<expr>' seats.'"
        );
        assert_eq!(
            shape(&parse("{read: Haunts.|Nobody.}").unwrap()),
            "<if 'Haunts.' else 'Nobody.'>"
        );
        assert_eq!(
            shape(&parse("{&Snow.|Rain.}").unwrap()),
            "<Cycle 'Snow.' / 'Rain.'>"
        );
        assert_eq!(shape(&parse("{a b|c}").unwrap()), "<Sequence 'a b' / 'c'>");
        assert_eq!(shape(&parse("{!x|}").unwrap()), "<Once 'x' / >");
        assert_eq!(
            shape(&parse("{~a {n}|b}").unwrap()),
            "<Shuffle 'a '<expr> / 'b'>"
        );
        assert_eq!(shape(&parse(r"\{x\} a|b \\").unwrap()), r"'{x} a|b \'");
    }

    #[test]
    fn markup_errors() {
        assert_eq!(parse("a {b").unwrap_err().code, Code::E0006);
        assert!(parse("a } b").is_err());
        assert!(parse("{just words}").is_err());
        let deep = format!("{}x{}", "{&".repeat(1000), "}".repeat(1000));
        assert_eq!(parse(&deep).unwrap_err().code, Code::E0005);
    }
}
