//! Parsers for the lines of tunnels and locals: a scene header's
//! parameters, `-> name(args) ->` calls, `->->` returns and `~ temp`.

use nom::character::complete::{char, space0, space1};
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
    if input.fragment().starts_with("->->") {
        let rest = input.advance(4);
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
    let (rest, args) = if divert.to_ending || !after_divert.fragment().starts_with('(') {
        (after_divert, None)
    } else {
        let name = &divert.target.name;
        let (rest, args) = arguments(after_divert).map_err(|error| {
            let failure = match error {
                nom::Err::Error(e) | nom::Err::Failure(e) => e,
                nom::Err::Incomplete(_) => PError::at(after_divert, "arguments"),
            };
            nom::Err::Failure(failure.with_help(&format!(
                "arguments are values between brackets, separated by commas: `-> {name}(a, b) ->`"
            )))
        })?;
        (rest, Some(args))
    };
    let after_space = rest.skip_space();
    let called = after_space
        .fragment()
        .starts_with("->")
        .then(|| after_space.advance(2));
    match (called, args) {
        (Some(after), args) => {
            if !after.fragment().trim().is_empty() {
                // ink's `-> a -> b ->`: one call per line here.
                return Err(nom::Err::Failure(PError::at(after, "the end of the line").with_help(
                    "a tunnel call is one scene between arrows, `-> name ->`; put each further call or divert on a line of its own",
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
        (None, Some(_)) => Err(nom::Err::Failure(
            PError::at(rest, "`->` after the arguments").with_help(&format!(
                "arguments go to a tunnel, which returns: `-> {}(…) ->`",
                divert.target.name
            )),
        )),
        (None, None) => Ok((after_divert, DivertLine::Divert(divert))),
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

/// Whether a logic line declares a temporary (`~ temp name …`), so its
/// errors are a temporary's; `~ temp = 1` assigns a variable `temp`.
pub fn starts_temp(input: Input) -> bool {
    (
        char::<_, PError>('~'),
        space0,
        keyword("temp"),
        space1,
        identifier,
    )
        .parse(input)
        .is_ok()
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

#[cfg(test)]
mod tests {
    use crate::ast::{ExprKind, Segment, StmtKind, TypeExpr};
    use crate::diagnostic::Code;
    use crate::syntax::parse_str;

    #[test]
    fn calls_returns_temps_and_parameters_parse() {
        let story = "title: T\n== a\n-> greet(kamenev, 1 + 1) ->\n-> plain ->\n~ temp nods = 2\n~ nods += 1\n->->\n== greet(who: Person, warmth: int, met: set of Person): Hi\n-> a\n";
        let (tree, diagnostics) = parse_str(story);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let body = &tree.scenes[0].body;
        let StmtKind::Call(call) = &body[0].kind else {
            panic!("{:?}", body[0].kind)
        };
        assert_eq!(call.target.name, "greet");
        assert_eq!(call.args.len(), 2);
        assert!(matches!(call.args[1].kind, ExprKind::Binary(..)));
        let StmtKind::Call(plain) = &body[1].kind else {
            panic!("{:?}", body[1].kind)
        };
        assert!(plain.args.is_empty());
        assert!(matches!(&body[2].kind, StmtKind::Temp { name, .. } if name.name == "nods"));
        assert!(matches!(&body[3].kind, StmtKind::Assign { target, .. } if target.name == "nods"));
        assert!(matches!(body[4].kind, StmtKind::Return));
        let greet = &tree.scenes[1];
        assert_eq!(greet.title.as_deref(), Some("Hi"));
        let names: Vec<&str> = greet.params.iter().map(|p| p.name.name.as_str()).collect();
        assert_eq!(names, ["who", "warmth", "met"]);
        assert!(matches!(&greet.params[2].ty, TypeExpr::SetOf(of) if of.name == "Person"));
        assert!(matches!(tree.scenes[1].body[0].kind, StmtKind::Divert(_)));
    }

    #[test]
    fn glue_ends_a_text_line_and_keeps_the_space_before_it() {
        let (tree, diagnostics) =
            parse_str("== a\nThe room is <>\nthe desk<>\nNo glue \\<>\nplain\n");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let texts: Vec<(String, bool)> = tree.scenes[0]
            .body
            .iter()
            .map(|stmt| match &stmt.kind {
                StmtKind::Text { text, glue, .. } => {
                    let literal = text
                        .iter()
                        .map(|segment| match segment {
                            Segment::Literal(literal) => literal.as_str(),
                            _ => "?",
                        })
                        .collect::<String>();
                    (literal, *glue)
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            texts,
            [
                ("The room is ".to_string(), true),
                ("the desk".to_string(), true),
                ("No glue <>".to_string(), false),
                ("plain".to_string(), false),
            ]
        );
    }

    #[test]
    fn malformed_tunnel_lines_are_syntax_errors_with_help() {
        for line in [
            "-> greet(1) oops",
            "->-> elsewhere",
            "-> a -> b ->",
            "-> greet(1,",
            "~ temp x",
            "* Talk -> greet ->",
        ] {
            let (_, diagnostics) = parse_str(&format!("== a\n{line}\n"));
            assert_eq!(diagnostics.len(), 1, "{line}: {diagnostics:?}");
            assert_eq!(diagnostics[0].code, Code::E0002, "{line}");
            assert!(diagnostics[0].help.is_some(), "{line}: {diagnostics:?}");
        }
        let many = (0..17)
            .map(|index| format!("p{index}: int"))
            .collect::<Vec<_>>()
            .join(", ");
        let too_many = format!("== g({many})");
        for header in ["== g(who)", "== g(who: int", "== g(: int)", &too_many] {
            let (_, diagnostics) = parse_str(&format!("{header}\n-> g\n"));
            assert_eq!(diagnostics.len(), 1, "{header}: {diagnostics:?}");
        }
    }
}
