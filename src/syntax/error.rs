//! The parsers' error type: where, what was expected, and how to say it.

use std::borrow::Cow;

use nom::error::{ErrorKind, ParseError};

use super::{Input, pos};
use crate::diagnostic::{Code, Diagnostic, FileId, Span};

/// The parser's error: where, what was expected, and how to say it.
#[derive(Debug, Clone)]
pub struct PError {
    pub offset: usize,
    pub file: FileId,
    pub expected: Cow<'static, str>,
    pub code: Code,
    pub message: Option<String>,
    pub help: Option<String>,
}

impl PError {
    pub fn at(input: Input, expected: impl Into<Cow<'static, str>>) -> PError {
        PError {
            offset: pos(&input),
            file: input.extra.file,
            expected: expected.into(),
            code: Code::E0002,
            message: None,
            help: None,
        }
    }

    /// Renames what was expected, keeping the position.
    pub fn expecting(mut self, what: &'static str) -> PError {
        if self.code == Code::E0002 && self.message.is_none() {
            self.expected = what.into();
        }
        self
    }

    pub fn with_code(mut self, code: Code) -> PError {
        self.code = code;
        self
    }

    pub fn with_message(mut self, message: String) -> PError {
        self.message = Some(message);
        self
    }

    pub fn with_help(mut self, help: &str) -> PError {
        self.help = Some(help.to_string());
        self
    }

    pub(super) fn into_diagnostic(self, line_end: usize, context: &str) -> Diagnostic {
        let end = (self.offset + 1).min(line_end).max(self.offset);
        let message = self
            .message
            .unwrap_or_else(|| format!("expected {} {context}", self.expected));
        let mut diagnostic =
            Diagnostic::new(self.code, Span::new(self.file, self.offset, end), message);
        diagnostic.help = self.help;
        diagnostic
    }
}

impl<'a> ParseError<Input<'a>> for PError {
    fn from_error_kind(input: Input<'a>, kind: ErrorKind) -> PError {
        let expected = match kind {
            ErrorKind::Char | ErrorKind::Tag => "something else",
            ErrorKind::Eof => "the end of the line",
            _ => "valid syntax",
        };
        PError::at(input, expected)
    }

    fn append(_: Input<'a>, _: ErrorKind, other: PError) -> PError {
        other
    }

    fn or(self, other: PError) -> PError {
        if other.offset >= self.offset {
            other
        } else {
            self
        }
    }
}
