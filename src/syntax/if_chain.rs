//! The `if` / `elif` / `else` chain, read the same way in a scene's block
//! and in a function's body.

use super::block::FileParser;
use super::line;
use super::source::Line;
use crate::ast;

impl<'a> FileParser<'a> {
    /// An `if` / `elif` / `else` chain from its `if` line `first` (already
    /// taken), in a scene or a function: each condition parsed, each body
    /// read by `body`, the chain going on while `next` names the following
    /// line at `indent` as `elif` or `else`. Every error is reported; the
    /// flag says whether every line of the chain parsed.
    pub(super) fn if_chain<B>(
        &mut self,
        first: Line<'a>,
        indent: usize,
        depth: usize,
        mut body: impl FnMut(&mut Self, &Line, usize, usize) -> B,
        next: impl Fn(&str) -> Option<&'static str>,
    ) -> (bool, Vec<(ast::Expr, B)>, Option<B>) {
        let mut ok = true;
        let mut branches = Vec::new();
        let mut otherwise = None;
        let mut line = first;
        let mut word = "if";
        loop {
            let input = self.input(&line);
            if word == "else" {
                if let Err(error) = line::whole_line(input, line::else_line) {
                    self.error(&line, error, "after `else`");
                    ok = false;
                }
                otherwise = Some(body(self, &line, indent, depth));
                break;
            }
            let condition = line::whole_line(input, line::condition(word));
            let block = body(self, &line, indent, depth);
            match condition {
                Ok(condition) => branches.push((condition, block)),
                Err(error) => {
                    self.error(&line, error, &format!("in an `{word}` line"));
                    ok = false;
                }
            }
            match self.peek() {
                Some(following) if following.indent == indent => match next(following.content) {
                    Some(following_word) => word = following_word,
                    None => break,
                },
                _ => break,
            }
            line = self.peek().expect("peeked above");
            self.position += 1;
        }
        (ok, branches, otherwise)
    }
}
