//! Expressions: token parsers (nom) and an operator-precedence assembler.
//!
//! The assembler keeps its own stacks instead of recursing once per
//! parenthesis or operator, so `((((…))))` ten thousand deep is a located
//! error, not a stack overflow. Trees it builds are at most
//! [`MAX_DEPTH`](crate::ast::MAX_DEPTH) deep.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, none_of, space0};
use nom::combinator::{not, peek, value};
use nom::error::{ErrorKind, ParseError};
use nom::sequence::terminated;
use nom::{IResult, Parser};

use super::{Input, PError, pos, span_of};
use crate::ast::{BinaryOp, Expr, ExprKind, Ident, MAX_DEPTH, UnaryOp};
use crate::diagnostic::{Code, Span};

/// `identifier := [A-Za-z_] [A-Za-z0-9_]*`
pub fn identifier(input: Input) -> IResult<Input, Ident, PError> {
    // Scanned by bytes and cut once: names are ASCII, and each nom
    // combinator's cut of a located span counts the newlines it passes.
    let name_byte = |byte: &u8| byte.is_ascii_alphanumeric() || *byte == b'_';
    let bytes = input.fragment().as_bytes();
    if !bytes
        .first()
        .is_some_and(|byte| byte.is_ascii_alphabetic() || *byte == b'_')
    {
        let error: PError = ParseError::from_error_kind(input, ErrorKind::TakeWhile1);
        return Err(nom::Err::Error(error.expecting("a name")));
    }
    let length = bytes
        .iter()
        .position(|byte| !name_byte(byte))
        .unwrap_or(bytes.len());
    let (rest, name) = nom::Input::take_split(&input, length);
    let ident = Ident {
        name: name.fragment().to_string(),
        span: span_of(input.extra.file, name),
    };
    Ok((rest, ident))
}

/// `keyword(w) := w !identifier-char`
pub fn keyword<'a>(
    word: &'static str,
) -> impl Parser<Input<'a>, Output = Input<'a>, Error = PError> {
    terminated(
        tag(word),
        not(peek(take_while1(|c: char| {
            c.is_ascii_alphanumeric() || c == '_'
        }))),
    )
}

/// `integer := [0-9]+`
fn integer(input: Input) -> IResult<Input, Expr, PError> {
    let length = input
        .fragment()
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    if length == 0 {
        return Err(nom::Err::Error(ParseError::from_error_kind(
            input,
            ErrorKind::Digit,
        )));
    }
    let (rest, digits) = nom::Input::take_split(&input, length);
    let span = span_of(input.extra.file, digits);
    match digits.fragment().parse::<i64>() {
        Ok(number) => Ok((
            rest,
            Expr {
                kind: ExprKind::Int(number),
                span,
            },
        )),
        Err(_) => Err(nom::Err::Failure(PError::at(
            input,
            "an integer no larger than 9223372036854775807",
        ))),
    }
}

/// `string := '"' ( [^"\\] | '\\' any )* '"'`
pub fn string_literal(input: Input) -> IResult<Input, (String, Span), PError> {
    let (mut rest, _) = char('"').parse(input)?;
    let mut value = String::new();
    loop {
        let mut chars = rest.fragment().chars();
        match chars.next() {
            None => {
                return Err(nom::Err::Failure(
                    PError::at(input, "a closing `\"`").with_code(Code::E0006),
                ));
            }
            Some('"') => {
                let (after, _) = char('"').parse(rest)?;
                let span = Span::new(input.extra.file, pos(&input), pos(&after));
                return Ok((after, (value, span)));
            }
            Some('\\') => {
                let escaped = chars.next().unwrap_or('\\');
                value.push(escaped);
                let skip = 1 + escaped.len_utf8();
                rest = nom::Input::take_from(&rest, skip.min(rest.fragment().len()));
            }
            Some(_) => {
                let (after, c) = none_of("\"\\").parse(rest)?;
                value.push(c);
                rest = after;
            }
        }
    }
}

fn boolean(input: Input) -> IResult<Input, Expr, PError> {
    let (rest, flag) =
        alt((value(true, keyword("true")), value(false, keyword("false")))).parse(input)?;
    Ok((
        rest,
        Expr {
            kind: ExprKind::Bool(flag),
            span: Span::new(input.extra.file, pos(&input), pos(&rest)),
        },
    ))
}

/// `binary-op := "or" | "and" | "==" | "!=" | "<=" | ">=" | "<" | ">"
///             | "not" "in" | "in" | "+" | "-" | "*" | "/" | "%"`
///
/// Read by its first byte: this runs after every operand. The words are
/// words (`or` in `or x`, not in `order`); `->` ends a choice's text, so
/// `-` before `>` is no operator.
fn binary_operator(input: Input) -> Option<(Input, BinaryOp)> {
    let bytes = input.fragment().as_bytes();
    let second = bytes.get(1).copied();
    let (length, op) = match *bytes.first()? {
        b'o' if input.starts_with_word("or") => (2, BinaryOp::Or),
        b'a' if input.starts_with_word("and") => (3, BinaryOp::And),
        b'=' if second == Some(b'=') => (2, BinaryOp::Eq),
        b'!' if second == Some(b'=') => (2, BinaryOp::Ne),
        b'<' if second == Some(b'=') => (2, BinaryOp::Le),
        b'>' if second == Some(b'=') => (2, BinaryOp::Ge),
        b'<' => (1, BinaryOp::Lt),
        b'>' => (1, BinaryOp::Gt),
        b'n' if input.starts_with_word("not") => {
            let after = input.advance(3).skip_space();
            if !after.starts_with_word("in") {
                return None;
            }
            return Some((after.advance(2), BinaryOp::NotIn));
        }
        b'i' if input.starts_with_word("in") => (2, BinaryOp::In),
        b'+' => (1, BinaryOp::Add),
        b'-' if second != Some(b'>') => (1, BinaryOp::Sub),
        b'*' => (1, BinaryOp::Mul),
        b'/' => (1, BinaryOp::Div),
        b'%' => (1, BinaryOp::Rem),
        _ => return None,
    };
    Some((input.advance(length), op))
}

/// `unary-op := "not" | "-"` (not the `-` of `->`).
fn unary_operator(input: Input) -> Option<(Input, UnaryOp)> {
    if input.starts_with_word("not") {
        return Some((input.advance(3), UnaryOp::Not));
    }
    let bytes = input.fragment().as_bytes();
    (bytes.first() == Some(&b'-') && bytes.get(1) != Some(&b'>'))
        .then(|| (input.advance(1), UnaryOp::Neg))
}

/// What waits on the operator stack.
enum Pending {
    Unary(UnaryOp, Span),
    Binary(BinaryOp),
    /// `(` … `)`
    Paren(Span),
    /// `name(` … `)` with the arguments seen so far.
    Call(Ident, usize),
    /// `{` … `}` with the elements seen so far.
    Set(Span, usize),
}

impl Pending {
    fn precedence(&self) -> Option<u8> {
        match self {
            Pending::Unary(UnaryOp::Not, _) => Some(3),
            Pending::Unary(UnaryOp::Neg, _) => Some(7),
            Pending::Binary(op) => Some(op.precedence()),
            _ => None,
        }
    }
}

/// An operand with the depth of its tree.
struct Operand {
    expr: Expr,
    depth: usize,
}

/// `gold = 1` where a condition goes: when `input` holds an expression,
/// a single `=` and another expression, the error to give at the `=`, with
/// the condition written with `==` in its help.
pub fn assignment_as_condition(input: Input) -> Option<PError> {
    let (after_left, _) = expression(input).ok()?;
    let (at_equals, _) = space0::<_, PError>(after_left).ok()?;
    let after_equals = at_equals.fragment().strip_prefix('=')?;
    if after_equals.starts_with('=') {
        return None;
    }
    let after_equals = nom::Input::take_from(&at_equals, 1);
    let (after_right, _) = expression(after_equals).ok()?;
    let consumed = |from: &Input, to: &Input| {
        from.fragment()[..from.fragment().len() - to.fragment().len()]
            .trim()
            .to_string()
    };
    let left = consumed(&input, &after_left);
    let right = consumed(&after_equals, &after_right);
    Some(
        PError::at(at_equals, "`==`")
            .with_message("`=` assigns; a condition compares with `==`".into())
            .with_help(&format!("write `{left} == {right}`")),
    )
}

/// `expression := unary-op* operand (binary-op unary-op* operand)*`
/// `operand := integer | string | "true" | "false" | "turns" | name
///           | name "(" (expression ("," expression)*)? ")"
///           | "(" expression ")" | "{" (expression ("," expression)*)? "}"`
///
/// Precedence, loosest first: `or`, `and`, `not`, comparisons and `in`,
/// `+ -`, `* / %`, unary `-`.
///
/// A shunting-yard parser: operands and pending operators on two stacks,
/// so nesting costs no native stack.
pub fn expression(input: Input) -> IResult<Input, Expr, PError> {
    STACKS.with(|stacks| match stacks.try_borrow_mut() {
        Ok(mut stacks) => {
            let (operands, pending) = &mut *stacks;
            let parsed = assemble(input, operands, pending);
            // What an error left behind goes now, not with the next one.
            operands.clear();
            pending.clear();
            parsed
        }
        // Only if an expression were ever read inside another.
        Err(_) => assemble(input, &mut Vec::new(), &mut Vec::new()),
    })
}

thread_local! {
    /// The assembler's two stacks, kept between expressions: a story has
    /// one or more expressions on most lines, and these two allocations
    /// each were a tenth of reading one.
    static STACKS: std::cell::RefCell<(Vec<Operand>, Vec<Pending>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// [`expression`] on two empty stacks.
fn assemble<'a>(
    input: Input<'a>,
    operands: &mut Vec<Operand>,
    pending: &mut Vec<Pending>,
) -> IResult<Input<'a>, Expr, PError> {
    let file = input.extra.file;
    let mut rest = input;
    let mut groups = 0usize;
    'operand: loop {
        // Expecting an operand, possibly after prefix operators and openers.
        let read;
        (rest, read) = operand(rest, operands, pending, &mut groups)?;
        if let Read::Prefix = read {
            continue;
        }

        // Expecting an operator or a closer.
        loop {
            let after_space = rest.skip_space();
            c_logical_operator(after_space)?;
            if let Some((after, op)) = binary_operator(after_space) {
                reduce_while(operands, pending, |p| p >= op.precedence())
                    .map_err(|_| too_deep(after_space))?;
                pending.push(Pending::Binary(op));
                rest = after;
                continue 'operand;
            }
            let closer = after_space.first_byte();
            match closer {
                Some(b')' | b'}' | b',') => {
                    reduce_while(operands, pending, |_| true).map_err(|_| too_deep(after_space))?;
                    let after = nom::Input::take_from(&after_space, 1);
                    // The closing character alone: the rest of the line
                    // is not part of the call, group or set it closes.
                    let close_span = span_of(file, after_space).with_end(pos(&after_space) + 1);
                    match (pending.pop(), closer) {
                        (Some(Pending::Paren(open)), Some(b')')) => {
                            groups -= 1;
                            let inner = operands.pop().expect("an operand before `)`");
                            operands.push(Operand {
                                expr: Expr {
                                    kind: inner.expr.kind,
                                    span: open.to(Span::new(file, pos(&after_space), pos(&after))),
                                },
                                depth: inner.depth,
                            });
                            rest = after;
                        }
                        (Some(Pending::Call(name, count)), Some(b',')) => {
                            pending.push(Pending::Call(name, count + 1));
                            rest = after;
                            continue 'operand;
                        }
                        (Some(Pending::Set(open, count)), Some(b',')) => {
                            pending.push(Pending::Set(open, count + 1));
                            rest = after;
                            continue 'operand;
                        }
                        (Some(Pending::Call(function, count)), Some(b')')) => {
                            groups -= 1;
                            let (args, depth) = split_off(operands, count + 1);
                            let span = function.span.to(close_span);
                            operands.push(Operand {
                                expr: Expr {
                                    kind: ExprKind::Call {
                                        function: Box::new(function),
                                        args,
                                    },
                                    span,
                                },
                                depth,
                            });
                            rest = after;
                        }
                        (Some(Pending::Set(open, count)), Some(b'}')) => {
                            groups -= 1;
                            let (elements, depth) = split_off(operands, count + 1);
                            operands.push(Operand {
                                expr: Expr {
                                    kind: ExprKind::Set(elements),
                                    span: open.to(close_span),
                                },
                                depth,
                            });
                            rest = after;
                        }
                        (Some(other), _) => {
                            // A closer that does not match the innermost
                            // opener ends the expression here: the caller
                            // decides whether that is an error.
                            pending.push(other);
                            return finish(input, rest, operands, pending);
                        }
                        (None, _) => {
                            // A closer belonging to the caller (`}` after a guard).
                            return finish(input, rest, operands, pending);
                        }
                    }
                    if operands.last().is_some_and(|o| o.depth > MAX_DEPTH) {
                        return Err(too_deep(after_space));
                    }
                }
                _ => return finish(input, rest, operands, pending),
            }
        }
    }
}

/// An expression nested deeper than [`MAX_DEPTH`].
fn too_deep(at: Input) -> nom::Err<PError> {
    nom::Err::Failure(
        PError::at(at, "shallower nesting")
            .with_code(Code::E0005)
            .with_message(format!("expression nested deeper than {MAX_DEPTH} levels")),
    )
}

/// `a && b`, `a || b`, as C writes them: an error that says how they are
/// written here.
fn c_logical_operator(at: Input) -> Result<(), nom::Err<PError>> {
    for (written, word) in [("&&", "and"), ("||", "or")] {
        if at.fragment().starts_with(written) {
            return Err(nom::Err::Failure(
                PError::at(at, "an operator")
                    .with_message(format!("`{written}` is written `{word}` here")),
            ));
        }
    }
    Ok(())
}

/// What [`operand`] read where [`expression`] expects an operand.
enum Read {
    /// A prefix operator or an opener: an operand is still to come.
    Prefix,
    /// A whole operand: an operator or a closer comes next.
    Operand,
}

/// Reads, where an operand is expected, a prefix operator or an opener
/// (pushed on `pending`) or an operand (pushed on `operands`); `groups`
/// counts the open brackets.
fn operand<'a>(
    rest: Input<'a>,
    operands: &mut Vec<Operand>,
    pending: &mut Vec<Pending>,
    groups: &mut usize,
) -> Result<(Input<'a>, Read), nom::Err<PError>> {
    let file = rest.extra.file;
    let mut rest = rest.skip_space();
    let first = rest.first_byte().unwrap_or(0);
    if matches!(first, b'n' | b'-')
        && let Some((after, op)) = unary_operator(rest)
    {
        pending.push(Pending::Unary(op, Span::new(file, pos(&rest), pos(&after))));
        return Ok((after, Read::Prefix));
    }
    if first == b'(' {
        let after = rest.advance(1);
        *groups += 1;
        if *groups > MAX_DEPTH {
            return Err(too_deep(rest));
        }
        pending.push(Pending::Paren(Span::new(file, pos(&rest), pos(&after))));
        return Ok((after, Read::Prefix));
    }
    if first == b'{' {
        let after = rest.advance(1);
        *groups += 1;
        if *groups > MAX_DEPTH {
            return Err(too_deep(rest));
        }
        let open = Span::new(file, pos(&rest), pos(&after));
        let after_space = after.skip_space();
        if after_space.first_byte() == Some(b'}') {
            let closed = after_space.advance(1);
            *groups -= 1;
            operands.push(Operand {
                expr: Expr {
                    kind: ExprKind::Set(Vec::new()),
                    // To its `}`, not to the end of the input.
                    span: open.with_end(pos(&closed)),
                },
                depth: 1,
            });
            rest = closed;
        } else {
            pending.push(Pending::Set(open, 0));
            return Ok((after, Read::Prefix));
        }
    } else if first.is_ascii_digit() {
        let (after, expr) = integer(rest)?;
        operands.push(Operand { expr, depth: 1 });
        rest = after;
    } else if matches!(first, b't' | b'f')
        && let Ok((after, expr)) = boolean(rest)
    {
        operands.push(Operand { expr, depth: 1 });
        rest = after;
    } else if first == b'"' {
        // Called for its error too: an unterminated string is E0006.
        let (after, (text, span)) = string_literal(rest)?;
        operands.push(Operand {
            expr: Expr {
                kind: ExprKind::Str(text),
                span,
            },
            depth: 1,
        });
        rest = after;
    } else if let Ok((after, mut name)) = identifier(rest) {
        if after.first_byte() == Some(b'(') {
            let after_paren = after.advance(1);
            *groups += 1;
            if *groups > MAX_DEPTH {
                return Err(too_deep(rest));
            }
            let after_space = after_paren.skip_space();
            if after_space.first_byte() == Some(b')') {
                let closed = after_space.advance(1);
                *groups -= 1;
                let span = name
                    .span
                    .to(Span::new(file, pos(&after_space), pos(&closed)));
                operands.push(Operand {
                    expr: Expr {
                        kind: ExprKind::Call {
                            function: Box::new(name),
                            args: Vec::new(),
                        },
                        span,
                    },
                    depth: 1,
                });
                rest = closed;
            } else {
                pending.push(Pending::Call(name, 0));
                return Ok((after_paren, Read::Prefix));
            }
        } else if after.first_byte() == Some(b'.')
            && let Ok((after_dot, second)) = identifier(after.advance(1))
        {
            // `scene.label`: a choice named from outside its scene, which
            // only `taken()` reads; lowering says so anywhere else.
            operands.push(Operand {
                expr: Expr {
                    kind: ExprKind::Name(format!("{}.{}", name.name, second.name)),
                    span: name.span.to(second.span),
                },
                depth: 1,
            });
            rest = after_dot;
        } else {
            let kind = match name.name.as_str() {
                "turns" => ExprKind::Turns,
                "and" | "or" | "not" | "in" => {
                    return Err(nom::Err::Error(PError::at(rest, "an expression")));
                }
                _ => ExprKind::Name(std::mem::take(&mut name.name)),
            };
            operands.push(Operand {
                expr: Expr {
                    kind,
                    span: name.span,
                },
                depth: 1,
            });
            rest = after;
        }
    } else if rest.fragment().starts_with('!') && !rest.fragment().starts_with("!=") {
        // `!ready`, as C writes it.
        let operand: String = rest.fragment()[1..]
            .trim_start()
            .chars()
            .take_while(|&c| c.is_alphanumeric() || c == '_')
            .collect();
        let operand = if operand.is_empty() {
            "x".into()
        } else {
            operand
        };
        return Err(nom::Err::Failure(
            PError::at(rest, "an expression")
                .with_message("`!` is written `not` here".into())
                .with_help(&format!("write `not {operand}`")),
        ));
    } else {
        return Err(nom::Err::Error(PError::at(rest, "an expression")));
    }
    Ok((rest, Read::Operand))
}

/// Pops pending operators while they are operators that `should_pop`
/// accepts, building nodes. Stops at any grouping marker.
fn reduce_while(
    operands: &mut Vec<Operand>,
    pending: &mut Vec<Pending>,
    should_pop: impl Fn(u8) -> bool,
) -> Result<(), ()> {
    while let Some(precedence) = pending.last().and_then(Pending::precedence) {
        if !should_pop(precedence) {
            break;
        }
        let node = match pending.pop() {
            Some(Pending::Unary(op, span)) => {
                let operand = operands.pop().ok_or(())?;
                Operand {
                    expr: Expr {
                        span: span.to(operand.expr.span),
                        kind: ExprKind::Unary(op, Box::new(operand.expr)),
                    },
                    depth: operand.depth + 1,
                }
            }
            Some(Pending::Binary(op)) => {
                let right = operands.pop().ok_or(())?;
                let left = operands.pop().ok_or(())?;
                Operand {
                    depth: left.depth.max(right.depth) + 1,
                    expr: Expr {
                        span: left.expr.span.to(right.expr.span),
                        kind: ExprKind::Binary(op, Box::new(left.expr), Box::new(right.expr)),
                    },
                }
            }
            _ => return Err(()),
        };
        if node.depth > MAX_DEPTH {
            return Err(());
        }
        operands.push(node);
    }
    Ok(())
}

/// The last `count` operands as expressions, in one allocation of their
/// size, with the depth of a node over them.
fn split_off(operands: &mut Vec<Operand>, count: usize) -> (Vec<Expr>, usize) {
    let at = operands.len().saturating_sub(count);
    let depth = 1 + operands[at..].iter().map(|a| a.depth).max().unwrap_or(0);
    let exprs = operands.drain(at..).map(|a| a.expr).collect();
    (exprs, depth)
}

fn finish<'a>(
    input: Input<'a>,
    rest: Input<'a>,
    operands: &mut Vec<Operand>,
    pending: &mut Vec<Pending>,
) -> IResult<Input<'a>, Expr, PError> {
    if reduce_while(operands, pending, |_| true).is_err() {
        return Err(nom::Err::Failure(
            PError::at(rest, "shallower nesting")
                .with_code(Code::E0005)
                .with_message(format!("expression nested deeper than {MAX_DEPTH} levels")),
        ));
    }
    if let Some(open) = pending.last() {
        let (what, span) = match open {
            Pending::Paren(span) => ("`)`", *span),
            Pending::Call(name, _) => ("`)` or `,`", name.span),
            Pending::Set(span, _) => ("`}` or `,`", *span),
            _ => ("an operand", span_of(input.extra.file, rest)),
        };
        let _ = span;
        return Err(nom::Err::Failure(PError::at(rest, what)));
    }
    match operands.pop() {
        Some(operand) if operands.is_empty() => Ok((rest, operand.expr)),
        _ => Err(nom::Err::Error(PError::at(input, "an expression"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::FileId;
    use crate::syntax::Origin;

    fn input(text: &str) -> Input<'_> {
        Input::new_extra(
            text,
            Origin {
                file: FileId(0),
                base: 0,
            },
        )
    }

    fn parse(text: &str) -> Result<(String, String), PError> {
        match expression(input(text)) {
            Ok((rest, expr)) => Ok((show(&expr), rest.fragment().to_string())),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) => unreachable!("complete parsers only"),
        }
    }

    fn show(expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Int(n) => n.to_string(),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Str(s) => format!("{s:?}"),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Turns => "turns".into(),
            ExprKind::Set(items) => {
                format!(
                    "{{{}}}",
                    items.iter().map(show).collect::<Vec<_>>().join(",")
                )
            }
            ExprKind::Call { function, args } => format!(
                "{}({})",
                function.name,
                args.iter().map(show).collect::<Vec<_>>().join(",")
            ),
            ExprKind::Unary(op, e) => format!("({op:?} {})", show(e)),
            ExprKind::Binary(op, l, r) => format!("({} {} {})", show(l), op.symbol(), show(r)),
        }
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(parse("1 + 2 * 3").unwrap().0, "(1 + (2 * 3))");
        assert_eq!(parse("1 - 2 - 3").unwrap().0, "((1 - 2) - 3)");
        assert_eq!(parse("-a * b").unwrap().0, "((Neg a) * b)");
        assert_eq!(parse("not a == b").unwrap().0, "(Not (a == b))");
        assert_eq!(
            parse("a > 6 and b in allies or not c").unwrap().0,
            "(((a > 6) and (b in allies)) or (Not c))"
        );
        assert_eq!(parse("x not in s").unwrap().0, "(x not in s)");
        assert_eq!(parse("(1 + 2) * 3").unwrap().0, "((1 + 2) * 3)");
    }

    /// Regression: an empty set's span ran to the end of the expression
    /// (`{} + 1` underlined whole in E0204).
    #[test]
    fn an_empty_set_spans_its_braces() {
        for (text, end) in [("{} + 1", 2), ("{ } + 1", 3), ("count({}) + 1", 8)] {
            let (_, expr) = expression(input(text)).unwrap();
            let mut set = &expr;
            loop {
                match &set.kind {
                    ExprKind::Binary(_, left, _) => set = left,
                    ExprKind::Call { args, .. } => set = &args[0],
                    _ => break,
                }
            }
            assert!(matches!(&set.kind, ExprKind::Set(items) if items.is_empty()));
            assert_eq!(set.span.end as usize, end, "{text}");
        }
    }

    #[test]
    fn calls_sets_and_literals() {
        assert_eq!(parse("min(a + 1, 5)").unwrap().0, "min((a + 1),5)");
        assert_eq!(parse("count({a, b})").unwrap().0, "count({a,b})");
        assert_eq!(parse("{}").unwrap().0, "{}");
        assert_eq!(parse("\"a\\\"b\" == t").unwrap().0, "(\"a\\\"b\" == t)");
        assert_eq!(parse("turns >= 3").unwrap().0, "(turns >= 3)");
    }

    #[test]
    fn stops_before_what_it_does_not_own() {
        assert_eq!(
            parse("a > 2} Study").unwrap(),
            ("(a > 2)".into(), "} Study".into())
        );
        assert_eq!(parse("x: then").unwrap(), ("x".into(), ": then".into()));
        assert_eq!(parse("a -> b").unwrap(), ("a".into(), " -> b".into()));
    }

    #[test]
    fn errors() {
        assert!(parse("1 +").is_err());
        assert!(parse("(1").is_err());
        assert!(parse("").is_err());
        assert!(parse("99999999999999999999").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_an_overflow() {
        let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(parse(&deep).unwrap_err().code, Code::E0005);
        let long = format!("1{}", " + 1".repeat(10_000));
        assert_eq!(parse(&long).unwrap_err().code, Code::E0005);
        let nots = format!("{}true", "not ".repeat(10_000));
        assert_eq!(parse(&nots).unwrap_err().code, Code::E0005);
        let ok = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        assert!(parse(&ok).is_ok());
    }
}

#[cfg(test)]
mod assignment_tests {
    use super::*;
    use crate::diagnostic::FileId;

    #[test]
    fn an_assignment_where_a_condition_goes_is_named() {
        let input = Input::new_extra(
            "gold = 1:",
            super::super::Origin {
                file: FileId(0),
                base: 0,
            },
        );
        let error = assignment_as_condition(input).expect("an assignment");
        assert_eq!(error.offset, 5);
        assert_eq!(error.help.as_deref(), Some("write `gold == 1`"));
        let input = Input::new_extra(
            "gold == 1:",
            super::super::Origin {
                file: FileId(0),
                base: 0,
            },
        );
        assert!(assignment_as_condition(input).is_none());
    }
}
