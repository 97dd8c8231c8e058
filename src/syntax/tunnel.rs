//! Parsers for the lines of tunnels and locals: a scene header's
//! parameters, `-> name(args) ->` calls, `->->` returns and `~ temp`.

use nom::bytes::complete::tag;
use nom::character::complete::{char, space0, space1};
use nom::combinator::opt;
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

use super::expr::{expression, identifier, keyword};
use super::line::{divert, type_expr};
use super::{Input, PError, pos};
use crate::ast::{Call, Divert, Expr, Ident, Param};
use crate::diagnostic::Span;

/// The most parameters a scene may take: calls stay cheap to check and
/// to store.
pub const MAX_PARAMS: usize = 16;

/// `params := "(" (param ("," param)*)? ")"`
/// `param := identifier ":" type`
pub(super) fn params(input: Input) -> IResult<Input, Vec<Param>, PError> {
    let Ok((after_open, _)) = (char::<_, PError>('('), space0).parse(input) else {
        return Ok((input, Vec::new()));
    };
    if let Ok((rest, _)) = char::<_, PError>(')').parse(after_open) {
        return Ok((rest, Vec::new()));
    }
    let param = |input| {
        let (rest, name) = identifier(input)?;
        let (rest, ty) = preceded(delimited(space0, char(':'), space0), type_expr)
            .parse(rest)
            .map_err(|error| {
                error.map(|e: PError| {
                    let help = format!(
                        "each parameter has a type: `{}: int`, `{}: bool`, `{}: text` or an enum's name",
                        name.name, name.name, name.name
                    );
                    e.expecting("`:` and the parameter's type").with_help(&help)
                })
            })?;
        Ok((rest, Param { name, ty }))
    };
    let (rest, params) = separated_list1(delimited(space0, char(','), space0), param)
        .parse(after_open)
        .map_err(|error| error.map(|e: PError| e.expecting("a parameter: `name: type`")))?;
    let (rest, _) = (space0, char(')'))
        .parse(rest)
        .map_err(|error| error.map(|e: PError| e.expecting("`,` or `)`")))?;
    if params.len() > MAX_PARAMS {
        return Err(nom::Err::Failure(PError::at(
            input,
            format!("at most {MAX_PARAMS} parameters"),
        )));
    }
    Ok((rest, params))
}

/// What a line starting with `->` is.
#[derive(Debug, Clone)]
pub enum DivertLine {
    /// `-> scene`
    Divert(Divert),
    /// `-> scene ->` or `-> scene(args) ->`
    Call(Call),
    /// `->->`
    Return,
}

/// `divert-line := "->->" | "->" identifier args? "->" | divert`
/// `args := "(" (expression ("," expression)*)? ")"`
pub fn divert_line(input: Input) -> IResult<Input, DivertLine, PError> {
    if let Ok((rest, _)) = tag::<_, _, PError>("->->").parse(input) {
        if !rest.fragment().trim().is_empty() {
            // ink's `->-> target`: return, then divert.
            return Err(nom::Err::Failure(
                PError::at(rest, "the end of the line").with_help(
                    "`->->` returns from a tunnel and stands alone; to go on elsewhere, divert after the call: `-> tunnel ->` then `-> target`",
                ),
            ));
        }
        return Ok((rest, DivertLine::Return));
    }
    let (after_divert, divert) = divert(input)?;
    let (rest, args) = if divert.to_ending {
        (after_divert, None)
    } else {
        opt(arguments).parse(after_divert)?
    };
    let called = (space0::<_, PError>, tag("->")).parse(rest);
    match (called, args) {
        (Ok((after, _)), args) => {
            if after.fragment().trim_start().starts_with('-')
                || after.fragment().trim_start().starts_with('>')
            {
                return Err(nom::Err::Failure(PError::at(after, "the end of the line").with_help(
                    "a tunnel call is one scene between arrows: `-> name ->`; chain calls on separate lines",
                )));
            }
            Ok((
                after,
                DivertLine::Call(Call {
                    target: divert.target,
                    args: args.unwrap_or_default(),
                    span: Span::new(input.extra.file, pos(&input), pos(&after)),
                }),
            ))
        }
        (Err(_), Some(_)) => Err(nom::Err::Failure(
            PError::at(rest, "`->` after the arguments").with_help(&format!(
                "arguments go to a tunnel, which returns: `-> {}(…) ->`",
                divert.target.name
            )),
        )),
        (Err(_), None) => Ok((after_divert, DivertLine::Divert(divert))),
    }
}

/// `args := "(" (expression ("," expression)*)? ")"`
fn arguments(input: Input) -> IResult<Input, Vec<Expr>, PError> {
    let (after_open, _) = (char('('), space0).parse(input)?;
    if let Ok((rest, _)) = char::<_, PError>(')').parse(after_open) {
        return Ok((rest, Vec::new()));
    }
    let (rest, args) =
        separated_list1(delimited(space0, char(','), space0), expression).parse(after_open)?;
    let (rest, _) = (space0, char(')'))
        .parse(rest)
        .map_err(|error| error.map(|e: PError| e.expecting("`,` or `)`")))?;
    Ok((rest, args))
}

/// `temp := "~" "temp" identifier "=" expression`
pub fn temp(input: Input) -> IResult<Input, (Ident, Expr), PError> {
    let (rest, _) = (char('~'), space0, keyword("temp"), space1).parse(input)?;
    let (rest, name) = identifier(rest)?;
    let (rest, value) = preceded(delimited(space0, char('='), space0), expression)
        .parse(rest)
        .map_err(|error| {
            error.map(|e: PError| {
                e.expecting("`=` and the temporary's value").with_help(&format!(
                    "a temporary starts with a value, which also gives its type: `~ temp {} = 0`",
                    name.name
                ))
            })
        })?;
    Ok((rest, (name, value)))
}
