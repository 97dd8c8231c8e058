//! Function declarations: `fn name(params) -> type:` (or `extern fn …`)
//! in a file's prologue, and the indented body under it.

use nom::bytes::complete::tag;
use nom::character::complete::{char, space0, space1};
use nom::combinator::opt;
use nom::multi::separated_list0;
use nom::sequence::{delimited, preceded, terminated};
use nom::{IResult, Parser};

use super::block::FileParser;
use super::classify::starts_chunk;
use super::expr::{expression, identifier, keyword};
use super::source::Line;
use super::{Input, PError, line};
use crate::ast::{
    AssignOp, Expr, FnBlock, FnStmt, FnStmtKind, Forbidden, Function, Ident, TypeExpr,
};
use crate::diagnostic::{Code, Diagnostic};

/// A function's header line, before its body is known.
struct Header {
    is_extern: bool,
    name: Ident,
    params: Vec<(Ident, TypeExpr)>,
    returns: TypeExpr,
    colon: bool,
}

/// `function := "extern"? "fn" identifier "(" (param ("," param)*)? ")" "->" type ":"?`
/// `param := identifier ":" type`
fn header(input: Input) -> IResult<Input, Header, PError> {
    let (rest, is_extern) = opt(terminated(keyword("extern"), space1))
        .map(|word| word.is_some())
        .parse(input)?;
    let (rest, _) = (keyword("fn"), space1).parse(rest)?;
    let (rest, name) = identifier(rest)?;
    let param = (
        identifier,
        preceded(delimited(space0, char(':'), space0), line::type_expr),
    );
    let (rest, params) = delimited(
        (space0, char('('), space0),
        separated_list0(delimited(space0, char(','), space0), param),
        (space0, char(')')),
    )
    .parse(rest)
    .map_err(|error| {
        error.map(|e: PError| {
            e.expecting("`(`, the parameters as `name: type`, and `)`")
                .with_help("a function's header is `fn name(a: int, b: bool) -> type:`")
        })
    })?;
    let (rest, returns) = preceded(delimited(space0, tag("->"), space0), line::type_expr)
        .parse(rest)
        .map_err(|error| {
            error.map(|e: PError| {
                e.expecting("`->` and the type the function returns")
                    .with_help("a function returns a value: `fn name(a: int) -> bool:`")
            })
        })?;
    let (rest, colon) = opt(preceded(space0, char(':')))
        .map(|colon| colon.is_some())
        .parse(rest)?;
    Ok((
        rest,
        Header {
            is_extern,
            name,
            params,
            returns,
            colon,
        },
    ))
}

/// `name = expr`, `name += expr` or `name -= expr`, with or without `~`.
fn assignment(input: Input) -> IResult<Input, (Ident, AssignOp, Expr), PError> {
    let (rest, _) = opt((char('~'), space0)).parse(input)?;
    let (rest, target) = identifier(rest)?;
    let (rest, op) = line::assign_op(rest)?;
    let (rest, value) = expression(rest)?;
    Ok((rest, (target, op, value)))
}

/// `temp name = expr`
fn temp(input: Input) -> IResult<Input, (Ident, Expr), PError> {
    let (rest, _) = (keyword("temp"), space1).parse(input)?;
    let (rest, name) = identifier(rest)?;
    let (rest, _) = delimited(space0, char('='), space0)
        .parse(rest)
        .map_err(|error| error.map(|e: PError| e.expecting("`=` and the temp's value")))?;
    let (rest, value) = expression(rest)?;
    Ok((rest, (name, value)))
}

/// `return expr`
fn return_line(input: Input) -> IResult<Input, Expr, PError> {
    let (rest, _) = (keyword("return"), space0).parse(input)?;
    expression(rest).map_err(|error| {
        error.map(|e: PError| {
            e.expecting("the value to return")
                .with_help("every function returns a value: `return votes > half`")
        })
    })
}

/// Whether a line starts with `word` as a whole word.
fn starts_word(content: &str, word: &str) -> bool {
    content
        .strip_prefix(word)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '(', ':']))
}

impl<'a> FileParser<'a> {
    /// A function declaration and its body, from its header `line` (already
    /// taken). Reports what is wrong and returns `None` when the header
    /// does not parse (its body is skipped).
    pub(super) fn function(&mut self, line: Line<'a>) -> Option<Function> {
        let parsed = line::whole_line(self.input(&line), header);
        let has_body = self
            .peek()
            .is_some_and(|next| next.indent > line.indent && !starts_chunk(next.content));
        let header = match parsed {
            Ok(header) => header,
            Err(error) => {
                self.error(&line, error, "in a function's header");
                self.skip_deeper_than(line.indent);
                return None;
            }
        };
        let span = line.span(self.file);
        if has_body && !header.colon {
            self.report(
                Diagnostic::new(Code::E0002, span, "this `fn` line does not end with `:`")
                    .with_help(format!(
                        "a line that opens an indented block ends with `:`: `{}:`",
                        line.content.trim_end()
                    )),
            );
        }
        if !has_body && (header.colon || !header.is_extern) {
            let help = if header.is_extern {
                "write the default body indented under this line, or leave out the `:` for an extern the host always binds"
            } else {
                "write the body indented under this line, ending every path in `return`"
            };
            self.report(
                Diagnostic::new(Code::E0002, span, "a function without a body").with_help(help),
            );
        }
        let body = has_body.then(|| {
            let indent = self.peek().map_or(line.indent + 1, |next| next.indent);
            self.fn_block(indent, 1)
        });
        Some(Function {
            name: header.name,
            params: header.params,
            returns: header.returns,
            is_extern: header.is_extern,
            body,
            span,
        })
    }

    /// The lines of a function body at exactly `indent`.
    fn fn_block(&mut self, indent: usize, depth: usize) -> FnBlock {
        let mut block = FnBlock::new();
        while let Some(line) = self.peek() {
            if starts_chunk(line.content) || line.indent < indent {
                break;
            }
            if line.indent > indent {
                self.report(
                    Diagnostic::new(Code::E0004, line.span(self.file), "unexpected indentation")
                        .with_help("only the body of an `if`, `elif` or `else` is indented deeper; align this line with the one above"),
                );
                let from = self.position;
                self.skip_deeper_than(indent);
                self.broke(from, self.position);
                continue;
            }
            self.position += 1;
            let span = line.span(self.file);
            let content = line.content;
            let parsed = if starts_word(content, "if") && content.ends_with(':') {
                self.fn_conditional(line, indent, depth)
            } else if (starts_word(content, "elif") || starts_word(content, "else"))
                && content.ends_with(':')
            {
                self.report(
                    Diagnostic::new(
                        Code::E0008,
                        span,
                        "`elif` or `else` without an `if` before it",
                    )
                    .with_help("an `elif` or `else` follows an `if` block at the same indentation"),
                );
                self.skip_deeper_than(indent);
                self.broke_line(&line);
                None
            } else if starts_word(content, "temp") {
                self.fn_line(&line, temp, "in a `temp` line")
                    .map(|(name, value)| FnStmtKind::Temp { name, value })
            } else if starts_word(content, "return") {
                self.fn_line(&line, return_line, "in a `return` line")
                    .map(FnStmtKind::Return)
            } else if content.starts_with("->") {
                self.skip_deeper_than(indent);
                Some(FnStmtKind::Forbidden(Forbidden::Divert))
            } else if content.starts_with(['*', '+']) {
                self.skip_deeper_than(indent);
                Some(FnStmtKind::Forbidden(Forbidden::Choice))
            } else if content.starts_with('~') {
                self.fn_line(&line, assignment, "in a logic line")
                    .map(|(target, op, value)| FnStmtKind::Assign { target, op, value })
            } else {
                match line::whole_line(self.input(&line), assignment) {
                    Ok((target, op, value)) => Some(FnStmtKind::Assign { target, op, value }),
                    Err(_) => {
                        self.skip_deeper_than(indent);
                        Some(FnStmtKind::Forbidden(Forbidden::Text))
                    }
                }
            };
            if let Some(kind) = parsed {
                block.push(FnStmt { kind, span });
            }
        }
        block
    }

    fn fn_line<T>(
        &mut self,
        line: &Line<'a>,
        parser: impl FnMut(Input<'a>) -> IResult<Input<'a>, T, PError>,
        context: &str,
    ) -> Option<T> {
        match line::whole_line(self.input(line), parser) {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                self.error(line, error, context);
                None
            }
        }
    }

    /// The indented block under a function's `if`, `elif` or `else` line.
    fn fn_body(&mut self, header: &Line, indent: usize, depth: usize) -> FnBlock {
        match self.body_indent(
            header,
            indent,
            depth,
            "split the function into smaller ones",
        ) {
            Some(inner) => self.fn_block(inner, depth + 1),
            None => FnBlock::new(),
        }
    }

    /// `if c:` / `elif c:` / `else:` in a function's body.
    fn fn_conditional(
        &mut self,
        first: Line<'a>,
        indent: usize,
        depth: usize,
    ) -> Option<FnStmtKind> {
        let next = |content: &str| {
            if !content.ends_with(':') {
                None
            } else if starts_word(content, "elif") {
                Some("elif")
            } else if starts_word(content, "else") {
                Some("else")
            } else {
                None
            }
        };
        let (ok, branches, otherwise) = self.if_chain(first, indent, depth, Self::fn_body, next);
        ok.then_some(FnStmtKind::If {
            branches,
            otherwise,
        })
    }
}
