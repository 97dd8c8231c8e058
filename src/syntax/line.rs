//! Parsers for one line each: the constructs a line marker introduces.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_till};
use nom::character::complete::{char, space0, space1};
use nom::combinator::{opt, value};
use nom::error::{ErrorKind, ParseError};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded, terminated};
use nom::{IResult, Parser};

use super::expr::{assignment_as_condition, expression, identifier, keyword, string_literal};
use super::text::{Until, text};
use super::tunnel::params;
pub use super::tunnel::{DivertLine, divert_line, starts_temp, temp};
use super::{Input, PError, pos, span_of};
use crate::ast::{
    AssignOp, Choice, ChoiceExpectation, ChoiceRef, Decl, Divert, Expr, Guard, Header, HeaderKey,
    Ident, Include, Invariant, SceneHeader, SceneKind, Tag, TestStepKind, TypeExpr,
};
use crate::diagnostic::Span;

/// Runs a line parser to the end of its line, turning soft errors into hard ones.
pub fn whole_line<'a, O>(
    input: Input<'a>,
    mut parser: impl FnMut(Input<'a>) -> IResult<Input<'a>, O, PError>,
) -> Result<O, PError> {
    match parser(input) {
        Ok((rest, output)) => {
            let rest = rest.skip_space();
            if rest.fragment().is_empty() {
                Ok(output)
            } else {
                Err(PError::at(rest, "the end of the line"))
            }
        }
        Err(nom::Err::Error(error) | nom::Err::Failure(error)) => Err(error),
        Err(nom::Err::Incomplete(_)) => Err(PError::at(input, "a complete line")),
    }
}

/// `header := ("title" | "author" | "start" | "about") ":" rest-of-line`
pub fn header(input: Input) -> IResult<Input, Header, PError> {
    let (after_key, key) = alt((
        value(HeaderKey::Title, tag("title")),
        value(HeaderKey::Author, tag("author")),
        value(HeaderKey::Start, tag("start")),
        value(HeaderKey::About, tag("about")),
    ))
    .parse(input)?;
    let (after_colon, _) = preceded(space0, char(':')).parse(after_key)?;
    let (value_start, _) = space0(after_colon)?;
    let value_text = value_start.fragment().trim_end();
    let rest = nom::Input::take_from(&value_start, value_text.len());
    let span = Span::new(input.extra.file, pos(&input), pos(&rest));
    let value_span = Span::new(input.extra.file, pos(&value_start), pos(&rest));
    if value_text.is_empty() {
        return Err(nom::Err::Failure(PError::at(
            value_start,
            "a value after the `:`",
        )));
    }
    Ok((
        rest,
        Header {
            key,
            value: value_text.to_string(),
            span,
            value_span,
        },
    ))
}

/// `include := "include" string`
pub fn include(input: Input) -> IResult<Input, Include, PError> {
    let (after_word, _) = (keyword("include"), space0).parse(input)?;
    let path = after_word.fragment().trim();
    if !path.starts_with('"') {
        // `include acts.fab`
        let path = if path.is_empty() { "file.fab" } else { path };
        return Err(nom::Err::Failure(
            PError::at(after_word, "a path in double quotes")
                .with_help(&format!("write `include \"{path}\"`")),
        ));
    }
    let (rest, (path, _)) = string_literal(after_word)?;
    Ok((
        rest,
        Include {
            path,
            span: Span::new(input.extra.file, pos(&input), pos(&rest)),
        },
    ))
}

/// `type := "set" "of" identifier | identifier`
pub(super) fn type_expr(input: Input) -> IResult<Input, TypeExpr, PError> {
    alt((
        preceded((keyword("set"), space1, keyword("of"), space1), identifier).map(TypeExpr::SetOf),
        identifier.map(TypeExpr::Named),
    ))
    .parse(input)
}

/// `const := "const" identifier "=" expression`
/// `var := "var" identifier (":" type)? "=" expression`
/// `enum := "enum" identifier "{" variant ("," variant)* ","? "}"`
/// `variant := identifier string?`
pub fn declaration(input: Input) -> IResult<Input, Decl, PError> {
    let span_to = |rest: Input| Span::new(input.extra.file, pos(&input), pos(&rest));
    if let Ok((after_name, name)) = preceded((keyword("const"), space1), identifier).parse(input) {
        let (rest, value) = preceded(delimited(space0, char('='), space0), expression)
            .parse(after_name)
            .map_err(|error| error.map(|e: PError| e.expecting("`=` and the constant's value")))?;
        return Ok((
            rest,
            Decl::Const {
                name,
                value,
                span: span_to(rest),
            },
        ));
    }
    if let Ok((after_name, name)) = preceded((keyword("var"), space1), identifier).parse(input) {
        let (rest, ty) =
            opt(preceded(delimited(space0, char(':'), space0), type_expr)).parse(after_name)?;
        let no_value = rest.fragment().trim().is_empty();
        let (rest, value) = preceded(delimited(space0, char('='), space0), expression)
            .parse(rest)
            .map_err(|error| {
                error.map(|e: PError| {
                    let e = e.expecting("`=` and an initial value");
                    if no_value {
                        e.with_help(&format!(
                            "every variable starts with a value, which also gives its type: `var {} = 0`",
                            name.name
                        ))
                    } else {
                        e
                    }
                })
            })?;
        return Ok((
            rest,
            Decl::Var {
                name,
                ty,
                value,
                span: span_to(rest),
            },
        ));
    }
    let (after_name, name) = preceded((keyword("enum"), space1), identifier).parse(input)?;
    let (after_space, _) = space0.parse(after_name)?;
    if !after_space.fragment().starts_with('{') {
        // `enum Post = { a, b }` or `enum Post a, b`.
        let values = after_space.fragment().trim_start_matches(['=', ' ', '\t']);
        let values = values.trim_start_matches('{').trim_end_matches('}').trim();
        let values = if values.is_empty() { "a, b" } else { values };
        return Err(nom::Err::Failure(
            PError::at(after_space, "`{` and the enum's values").with_help(&format!(
                "an enum lists its values in braces: `enum {} {{ {values} }}`",
                name.name
            )),
        ));
    }
    let (rest, variants) = preceded(
        (char('{'), space0),
        terminated(
            separated_list1(delimited(space0, char(','), space0), variant),
            (space0, opt(char(',')), space0, char('}')),
        ),
    )
    .parse(after_space)?;
    let (variants, display) = variants.into_iter().unzip();
    Ok((
        rest,
        Decl::Enum {
            name,
            variants,
            display,
            span: span_to(rest),
        },
    ))
}

/// `variant := identifier string?`: an enum value and the text it shows as.
fn variant(input: Input) -> IResult<Input, (Ident, Option<String>), PError> {
    let (after_name, name) = identifier(input)?;
    let (rest, display) = opt(preceded(space1, string_literal)).parse(after_name)?;
    let display = display.map(|(text, _)| text);
    if display
        .as_deref()
        .is_some_and(|text| text.trim().is_empty())
    {
        let (at, _) = space0(after_name)?;
        return Err(nom::Err::Failure(
            PError::at(at, "a display text that is not empty").with_help(&format!(
                "a value shows as its name when it has no display text: write `{}` alone",
                name.name
            )),
        ));
    }
    Ok((rest, (name, display)))
}

/// `scene := "==" ("ending" | "page")? identifier params? (":" rest-of-line)?`
pub fn scene_header(input: Input) -> IResult<Input, SceneHeader, PError> {
    match super::plain::scene_header(input) {
        Some(parsed) => Ok(parsed),
        None => scene_header_combinators(input),
    }
}

/// [`scene_header`], every form, by nom's combinators.
pub(super) fn scene_header_combinators(input: Input) -> IResult<Input, SceneHeader, PError> {
    let (rest, _) = (tag("=="), space0).parse(input)?;
    // `=== knot ===`, as ink writes it.
    if rest.fragment().starts_with('=') {
        let name = rest
            .fragment()
            .trim_matches(|c: char| c == '=' || c.is_whitespace());
        if name.is_empty() && input.fragment().trim_end().chars().all(|c| c == '=') {
            return Err(nom::Err::Failure(
                PError::at(input, "a scene header")
                    .with_message(
                        "Yarn Spinner's node end `===`, which Fabula does not read".into(),
                    )
                    .with_help("a scene runs to the next `==` line: remove this one"),
            ));
        }
        let name = if name.is_empty() { "name" } else { name };
        return Err(nom::Err::Failure(
            PError::at(rest, "a scene's name after `==`").with_help(&format!(
                "a scene header is two `=` and the name: `== {name}`"
            )),
        ));
    }
    let (rest, kind) = match (keyword("ending"), space1).parse(rest) {
        Ok((after, _)) if identifier(after).is_ok() => (after, SceneKind::Ending),
        _ => match (keyword("page"), space1).parse(rest) {
            Ok((after, _)) if identifier(after).is_ok() => (after, SceneKind::Page),
            _ => (rest, SceneKind::Scene),
        },
    };
    let (rest, name) = identifier(rest)?;
    let (rest, params) = params(rest)?;
    let (rest, title) = match preceded(space0, char::<_, PError>(':')).parse(rest) {
        Ok((after, _)) => {
            let title = after.fragment().trim();
            let end = nom::Input::take_from(&after, after.fragment().len());
            (end, (!title.is_empty()).then(|| title.to_string()))
        }
        Err(_) => {
            // `== middle The Middle`: a title without its `:`.
            let (after_space, _) = space0::<_, PError>(rest)?;
            let words = after_space.fragment().trim_end();
            if words.starts_with(|c: char| c.is_alphabetic()) {
                let ending = match kind {
                    SceneKind::Scene => "",
                    SceneKind::Ending => "ending ",
                    SceneKind::Page => "page ",
                };
                return Err(nom::Err::Failure(
                    PError::at(after_space, "`:` before the scene's title").with_help(&format!(
                        "a title follows a `:`: `== {ending}{}: {words}`",
                        name.name
                    )),
                ));
            }
            (rest, None)
        }
    };
    Ok((rest, (name, kind, title, params)))
}

/// `divert := "->" "ending"? identifier`
pub fn divert(input: Input) -> IResult<Input, Divert, PError> {
    if !input.fragment().starts_with("->") {
        return Err(nom::Err::Error(ParseError::from_error_kind(
            input,
            ErrorKind::Tag,
        )));
    }
    let rest = input.advance(2).skip_space();
    // `ending` and at least one space: otherwise `ending` is the target.
    let to_ending = rest.starts_with_word("ending")
        && matches!(rest.fragment().as_bytes().get(6), Some(b' ' | b'\t'));
    let rest = if to_ending {
        rest.advance(6).skip_space()
    } else {
        rest
    };
    let (rest, target) = identifier(rest)
        .map_err(|error| error.map(|e: PError| e.expecting("a scene to divert to")))?;
    Ok((
        rest,
        Divert {
            target,
            to_ending,
            span: Span::new(input.extra.file, pos(&input), pos(&rest)),
        },
    ))
}

/// `"=" | "+=" | "-="`, with the spaces around it; `==` is not an
/// assignment. Logic lines and function bodies assign alike.
pub(super) fn assign_op(input: Input) -> IResult<Input, AssignOp, PError> {
    let at = input.skip_space();
    let (length, op) = match at.fragment().as_bytes() {
        [b'+', b'=', ..] => (2, AssignOp::Add),
        [b'-', b'=', ..] => (2, AssignOp::Sub),
        // `==` compares: the error is after its first `=`.
        [b'=', b'=', ..] => {
            return Err(nom::Err::Error(ParseError::from_error_kind(
                at.advance(1),
                ErrorKind::Not,
            )));
        }
        [b'=', ..] => (1, AssignOp::Set),
        _ => {
            return Err(nom::Err::Error(ParseError::from_error_kind(
                at,
                ErrorKind::Tag,
            )));
        }
    };
    Ok((at.advance(length).skip_space(), op))
}

/// `logic := "~" identifier ("=" | "+=" | "-=") expression`
pub fn logic(input: Input) -> IResult<Input, (Ident, AssignOp, Expr), PError> {
    if input.first_byte() != Some(b'~') {
        return Err(nom::Err::Error(ParseError::from_error_kind(
            input,
            ErrorKind::Char,
        )));
    }
    let rest = input.advance(1).skip_space();
    let (rest, target) = identifier(rest)?;
    let (rest, op) = assign_op(rest).map_err(|error| {
        let compared = rest.fragment().trim_start().strip_prefix("==");
        error.map(|e: PError| {
            let e = e.expecting("`=`, `+=` or `-=`");
            match compared {
                Some(value) => {
                    let (name, value) = (&target.name, value.trim());
                    e.with_help(&format!(
                        "`==` compares; to assign, write `~ {name} = {value}`; to test, `if {name} == {value}:`"
                    ))
                }
                None => e,
            }
        })
    })?;
    let (rest, value) = expression(rest)?;
    Ok((rest, (target, op, value)))
}

/// `assert-line := "assert" expression (":" string)?`
pub fn assertion(input: Input) -> IResult<Input, (Expr, Option<String>), PError> {
    let (after_word, _) = (keyword("assert"), space0).parse(input)?;
    let (rest, condition) = stated_condition(after_word)?;
    let (rest, message) = message(rest, "assert", &condition, after_word)?;
    Ok((rest, (condition, message)))
}

/// `invariant := "invariant" expression ":" string`
pub fn invariant(input: Input) -> IResult<Input, Invariant, PError> {
    let (after_word, _) = (keyword("invariant"), space0).parse(input)?;
    let (rest, condition) = stated_condition(after_word)?;
    let (rest, message) = message(rest, "invariant", &condition, after_word)?;
    let Some(message) = message else {
        let (at, _) = space0::<_, PError>(rest)?;
        let source = condition_source(&condition, after_word);
        return Err(nom::Err::Failure(
            PError::at(at, "`:` and a message in double quotes").with_help(&format!(
                "an invariant says what it protects: `invariant {source}: \"what must stay true\"`"
            )),
        ));
    };
    Ok((
        rest,
        Invariant {
            condition,
            message,
            span: Span::new(input.extra.file, pos(&input), pos(&rest)),
        },
    ))
}

/// The condition of an assertion or an invariant; `x = 1` there is an
/// error that shows the comparison.
fn stated_condition(input: Input) -> IResult<Input, Expr, PError> {
    let parsed =
        expression(input).map_err(|error| error.map(|e: PError| e.expecting("a condition")));
    if let Ok((rest, _)) = &parsed
        && !rest.fragment().trim_start().starts_with('=')
    {
        return parsed;
    }
    match assignment_as_condition(input) {
        Some(better) => Err(nom::Err::Failure(better)),
        None => parsed,
    }
}

/// The source text of a condition parsed from `from`.
fn condition_source<'a>(condition: &Expr, from: Input<'a>) -> &'a str {
    let range = condition.span.range();
    let base = pos(&from);
    &from.fragment()[range.start - base..range.end - base]
}

/// `(":" string)?` after an assertion's or an invariant's condition; a
/// message written without its quotes is an error that shows them.
fn message<'a>(
    rest: Input<'a>,
    word: &str,
    condition: &Expr,
    from: Input<'a>,
) -> IResult<Input<'a>, Option<String>, PError> {
    let Ok((after_colon, _)) = (space0::<_, PError>, char(':'), space0).parse(rest) else {
        return Ok((rest, None));
    };
    if after_colon.fragment().starts_with('"') {
        let (rest, (text, _)) = string_literal(after_colon)?;
        return Ok((rest, Some(text)));
    }
    let unquoted = after_colon.fragment().trim();
    let unquoted = if unquoted.is_empty() {
        "message"
    } else {
        unquoted
    };
    let source = condition_source(condition, from);
    Err(nom::Err::Failure(
        PError::at(after_colon, "a message in double quotes")
            .with_help(&format!("write `{word} {source}: \"{unquoted}\"`")),
    ))
}

/// `tag := "#" [^:]* (":" rest-of-line)?`
pub fn tag_line(input: Input) -> IResult<Input, Tag, PError> {
    let (after_hash, _) = (char('#'), space0).parse(input)?;
    let (after_key, key) = take_till(|c| c == ':').parse(after_hash)?;
    let key_text = key.fragment().trim();
    if key_text.is_empty() {
        return Err(nom::Err::Failure(PError::at(
            after_hash,
            "a tag name after `#`",
        )));
    }
    let (rest, value) = match char::<_, PError>(':').parse(after_key) {
        Ok((after, _)) => {
            let text = after.fragment().trim();
            (
                nom::Input::take_from(&after, after.fragment().len()),
                (!text.is_empty()).then(|| text.to_string()),
            )
        }
        Err(_) => (after_key, None),
    };
    Ok((
        rest,
        Tag {
            key: key_text.to_string(),
            value,
            span: Span::new(input.extra.file, pos(&input), pos(&rest)),
        },
    ))
}

/// `condition := ("if" | "elif") expression ":"`
pub fn condition<'a>(
    word: &'static str,
) -> impl FnMut(Input<'a>) -> IResult<Input<'a>, Expr, PError> {
    move |input| {
        let (after_word, _) = (keyword(word), space0).parse(input)?;
        delimited(space0, expression, (space0, char(':')))
            .parse(after_word)
            .map_err(|error| match assignment_as_condition(after_word) {
                Some(better) => nom::Err::Failure(better),
                None => error,
            })
    }
}

/// `else := "else" ":"`
pub fn else_line(input: Input) -> IResult<Input, (), PError> {
    value((), (keyword("else"), space0, char(':'))).parse(input)
}

/// `choice := ("*" | "+") label? guard? text? divert?`
/// `label := "(" identifier ")"`
/// `guard := "{" expression "}" | "[" "requires" expression (":" string)? "]"`
pub fn choice(input: Input) -> IResult<Input, Choice, PError> {
    let sticky = match input.first_byte() {
        Some(b'*') => false,
        Some(b'+') => true,
        _ => {
            return Err(nom::Err::Error(ParseError::from_error_kind(
                input,
                ErrorKind::Char,
            )));
        }
    };
    let rest = input.advance(1).skip_space();
    let (rest, label) = match rest.first_byte() {
        Some(b'(') => match choice_label(rest) {
            Ok((after, label)) => (after, Some(label)),
            Err(_) => (rest, None),
        },
        _ => (rest, None),
    };
    let rest = rest.skip_space();
    let (rest, guard) = match rest.first_byte() {
        Some(b'{' | b'[') => guard(rest)?,
        _ => (rest, Guard::Always),
    };
    let rest = rest.skip_space();
    let (rest, text) = text(rest, Until::Divert, 0)?;
    // Text stops at `->` or at the end of the line.
    let (rest, divert) = if !rest.fragment().starts_with("->") {
        (rest, None)
    } else {
        match divert(rest) {
            Ok((after, divert)) => (after, Some(divert)),
            // `* ->` with the divert in the body below: a fallback choice.
            Err(_) if text.is_empty() && rest.fragment().trim() == "->" => {
                (nom::Input::take_from(&rest, rest.fragment().len()), None)
            }
            Err(error) => return Err(error),
        }
    };
    if let Some(divert) = &divert
        && rest.fragment().trim_start().starts_with(['(', '-'])
    {
        // `* Talk -> greet ->`: a tunnel call goes in the body.
        return Err(nom::Err::Failure(
            PError::at(rest, "the end of the line").with_help(&format!(
                "call a tunnel on its own line in the choice's body: `-> {}(…) ->`, indented below the choice",
                divert.target.name
            )),
        ));
    }
    Ok((
        rest,
        Choice {
            sticky,
            label,
            guard,
            text: (!text.is_empty()).then_some(text),
            divert,
            body: Vec::new(),
            tags: Vec::new(),
            span: span_of(input.extra.file, input),
        },
    ))
}

/// `label := "(" identifier ")"`, spaces allowed inside the brackets. Text
/// in brackets that is not one name (`* (quietly) leave` is a label,
/// `* (to himself) sighs` is text) stays the choice's text.
pub fn choice_label(input: Input) -> IResult<Input, Ident, PError> {
    delimited((char('('), space0), identifier, (space0, char(')'))).parse(input)
}

/// `guard := "{" expression "}" (space "[" "requires" …)? | "[" "requires" …`
fn guard(input: Input) -> IResult<Input, Guard, PError> {
    if let Ok((rest, shown)) = delimited(
        (char::<_, PError>('{'), space0),
        expression,
        (space0, char('}')),
    )
    .parse(input)
    {
        // `{shown} [requires condition]`: both guards.
        let (after_space, _) = space0(rest)?;
        return match requires(after_space)? {
            (rest, Some((condition, reason, source))) => Ok((
                rest,
                Guard::Requires(Box::new(crate::ast::Requires {
                    shown: Some(shown),
                    condition,
                    reason,
                    source,
                })),
            )),
            (_, None) => Ok((rest, Guard::Hidden(shown))),
        };
    }
    if let Ok((after_open, _)) = (char::<_, PError>('{'), space0).parse(input)
        && let Some(better) = assignment_as_condition(after_open)
    {
        return Err(nom::Err::Failure(better));
    }
    match requires(input)? {
        (rest, Some((condition, reason, source))) => Ok((
            rest,
            Guard::Requires(Box::new(crate::ast::Requires {
                shown: None,
                condition,
                reason,
                source,
            })),
        )),
        (_, None) => Ok((input, Guard::Always)),
    }
}

/// What `[requires condition: "reason"]` holds: the condition, the reason
/// and the condition's source text; `None` when `input` does not start one.
type Requirement = (Expr, Option<String>, String);

/// `requires := "[" "requires" expression (":" string)? "]"`
fn requires(input: Input) -> IResult<Input, Option<Requirement>, PError> {
    let Ok((after_open, _)) =
        (char::<_, PError>('['), space0, keyword("requires"), space1).parse(input)
    else {
        return Ok((input, None));
    };
    if let Some(better) = assignment_as_condition(after_open) {
        return Err(nom::Err::Failure(better));
    }
    let (rest, condition) = expression(after_open)?;
    let (rest, reason) = opt(preceded((space0, char(':'), space0), string_literal)).parse(rest)?;
    let range = condition.span.range();
    let base = pos(&after_open);
    let source = after_open.fragment()[range.start - base..range.end - base].to_string();
    // `[requires x > 1: no quotes]`: the reason is there, unquoted.
    let unquoted_reason = match reason {
        Some(_) => None,
        None => rest
            .fragment()
            .trim_start()
            .strip_prefix(':')
            .map(|after| after.split(']').next().unwrap_or(after).trim())
            .filter(|after| !after.starts_with('"')),
    };
    let (rest, _) = (space0, char(']')).parse(rest).map_err(|error| {
        error.map(|e: PError| {
            let e = e.expecting("`]` or `: \"reason\"`");
            match unquoted_reason {
                Some(text) => e.with_help(&format!(
                    "a reason is written in double quotes: `[requires {source}: \"{text}\"]`"
                )),
                None => e,
            }
        })
    })?;
    Ok((
        rest,
        Some((condition, reason.map(|(text, _)| text), source)),
    ))
}

/// `test-header := "test" string ("from" identifier)? ":"`
pub fn test_header(input: Input) -> IResult<Input, (String, Option<Ident>), PError> {
    let (rest, (name, _)) = preceded((keyword("test"), space0), string_literal).parse(input)?;
    let (rest, from) = opt(preceded((space1, keyword("from"), space1), identifier)).parse(rest)?;
    let (rest, _) = (space0, char(':'))
        .parse(rest)
        .map_err(|error| error.map(|e: PError| e.expecting("`:` or `from scene:`")))?;
    Ok((rest, (name, from)))
}

/// `test-step := "choose" (integer | string)
///             | "set" identifier "=" expression
///             | "expect" ("no")? "text" string
///             | "expect" ("no")? "tag" string
///             | "expect" ("no" | "disabled")? "choice" string
///             | "expect" "ending" identifier
///             | "expect" "page" identifier ("no")? "text" string
///             | "expect" expression`
pub fn test_step(input: Input) -> IResult<Input, TestStepKind, PError> {
    if let Ok((rest, _)) = (keyword("choose"), space1).parse(input) {
        if let Ok((after, (text, _))) = string_literal(rest) {
            return Ok((after, TestStepKind::Choose(ChoiceRef::Text(text))));
        }
        let (after, digits) = nom::character::complete::digit1(rest)
            .map_err(|error| error.map(|e: PError| e.expecting("a choice number or \"text\"")))?;
        let number = digits
            .fragment()
            .parse::<u32>()
            .map_err(|_| nom::Err::Failure(PError::at(rest, "a choice number")))?;
        return Ok((after, TestStepKind::Choose(ChoiceRef::Number(number))));
    }
    if let Ok((rest, _)) = (keyword("set"), space1).parse(input) {
        let (rest, target) = identifier(rest)?;
        let (rest, value) = preceded(delimited(space0, char('='), space0), expression)
            .parse(rest)
            .map_err(|error| error.map(|e: PError| e.expecting("`=` and a value")))?;
        return Ok((rest, TestStepKind::Set { target, value }));
    }
    let Ok((rest, _)) = (keyword("expect"), space1).parse(input) else {
        // `pick 1`, `assert x == 1`: not a step at all.
        return Err(nom::Err::Failure(
            PError::at(input, "a test step")
                .with_message("a test step starts with `choose`, `expect` or `set`".into())
                .with_help("`choose 2` or `choose \"text\"`; `expect text \"…\"`, `expect choice \"…\"`, `expect ending id` or `expect condition`; `set name = value`"),
        ));
    };
    let words = |first: &'static str, second: &'static str| {
        (keyword(first), space1, keyword(second), space1)
    };
    if let Ok((after, (fragment, _))) = preceded(words("no", "text"), string_literal).parse(rest) {
        return Ok((
            after,
            TestStepKind::ExpectText {
                fragment,
                present: false,
            },
        ));
    }
    if let Ok((after, (fragment, _))) =
        preceded((keyword("text"), space1), string_literal).parse(rest)
    {
        return Ok((
            after,
            TestStepKind::ExpectText {
                fragment,
                present: true,
            },
        ));
    }
    for (no, present) in [(true, false), (false, true)] {
        let tag = if no {
            preceded(words("no", "tag"), string_literal).parse(rest)
        } else {
            preceded((keyword("tag"), space1), string_literal).parse(rest)
        };
        if let Ok((after, (tag, _))) = tag {
            return Ok((after, TestStepKind::ExpectTag { tag, present }));
        }
    }
    for (first, state) in [
        ("no", ChoiceExpectation::Absent),
        ("disabled", ChoiceExpectation::Disabled),
    ] {
        if let Ok((after, (fragment, _))) =
            preceded(words(first, "choice"), string_literal).parse(rest)
        {
            return Ok((after, TestStepKind::ExpectChoice { fragment, state }));
        }
    }
    if let Ok((after, (fragment, _))) =
        preceded((keyword("choice"), space1), string_literal).parse(rest)
    {
        return Ok((
            after,
            TestStepKind::ExpectChoice {
                fragment,
                state: ChoiceExpectation::Enabled,
            },
        ));
    }
    if let Ok((after, ending)) = preceded((keyword("ending"), space1), identifier).parse(rest) {
        return Ok((after, TestStepKind::ExpectEnding(ending)));
    }
    if let Ok((after, page)) = preceded((keyword("page"), space1), identifier).parse(rest) {
        let (after, _) = space1(after)?;
        let (after, no) = opt((keyword("no"), space1)).parse(after)?;
        let (after, (fragment, _)) = preceded((keyword("text"), space1), string_literal)
            .parse(after)
            .map_err(|error| error.map(|e: PError| e.expecting("`text \"fragment\"`")))?;
        return Ok((
            after,
            TestStepKind::ExpectPage {
                page,
                fragment,
                present: no.is_none(),
            },
        ));
    }
    let (after, condition) = expression(rest)?;
    // `expect gold = 1`: an assignment where a comparison goes.
    if let Some(value) = after.fragment().trim_start().strip_prefix('=')
        && !value.starts_with('=')
    {
        let (at, _) = space0::<_, PError>(after)?;
        let condition_text =
            rest.fragment()[..rest.fragment().len() - after.fragment().len()].trim();
        return Err(nom::Err::Failure(
            PError::at(at, "the end of the line").with_help(&format!(
                "`=` assigns; an expectation compares with `==`: `expect {condition_text} == {}`",
                value.trim()
            )),
        ));
    }
    Ok((after, TestStepKind::Expect(condition)))
}
