//! The parsers' input: a slice of one line that knows where it starts.
//!
//! nom_locate's span did the same job but also counted the newlines in
//! every piece a parser cut off, so that it could tell a line number; a
//! parser here never sees more than one line, and the line's number comes
//! from the source map when a diagnostic is rendered, so that count was
//! pure cost (about 3% of `check`). This type is the slice, its offset
//! and its origin, and nothing more.

use std::str::{CharIndices, Chars, FromStr};

use nom::{AsBytes, Compare, CompareResult, FindSubstring, FindToken, Needed, Offset, ParseTo};

use crate::diagnostic::FileId;

/// Where a line's input comes from: its file and the byte offset in that
/// file where the line's input starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Origin {
    pub file: FileId,
    pub base: usize,
}

/// Parser input: a slice of one line, knowing its file and where the line
/// starts in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Input<'a> {
    fragment: &'a str,
    /// Bytes from the start of the line's input to `fragment`.
    offset: usize,
    /// The line's file and where its input starts.
    pub extra: Origin,
}

impl<'a> Input<'a> {
    /// The whole of `text`, which starts at `extra.base` in `extra.file`.
    pub(crate) fn new_extra(text: &'a str, extra: Origin) -> Self {
        Input {
            fragment: text,
            offset: 0,
            extra,
        }
    }

    /// The text not yet parsed.
    pub(crate) fn fragment(&self) -> &&'a str {
        &self.fragment
    }

    /// Bytes from the start of the line's input to this slice.
    pub(crate) fn location_offset(&self) -> usize {
        self.offset
    }

    /// The first byte not yet parsed, if any.
    #[inline]
    pub(crate) fn first_byte(&self) -> Option<u8> {
        self.fragment.as_bytes().first().copied()
    }

    /// The input after `bytes` bytes (a character boundary).
    #[inline]
    pub(crate) fn advance(&self, bytes: usize) -> Self {
        self.slice_from(bytes)
    }

    /// The input after any spaces and tabs: nom's `space0`, without its
    /// machinery, for the expression reader's hot loop.
    #[inline]
    pub(crate) fn skip_space(&self) -> Self {
        let spaces = self
            .fragment
            .bytes()
            .take_while(|byte| matches!(byte, b' ' | b'\t'))
            .count();
        self.slice_from(spaces)
    }

    /// Whether the input starts with the word `word`, not followed by a
    /// name character (`or` in `or x`, not in `order`).
    #[inline]
    pub(crate) fn starts_with_word(&self, word: &str) -> bool {
        self.fragment.starts_with(word)
            && !self.fragment.as_bytes()[word.len()..]
                .first()
                .is_some_and(|byte| byte.is_ascii_alphanumeric() || *byte == b'_')
    }

    /// The slice starting `index` bytes in (on a character boundary).
    #[inline]
    fn slice_from(&self, index: usize) -> Self {
        Input {
            fragment: &self.fragment[index..],
            offset: self.offset + index,
            extra: self.extra,
        }
    }

    /// The first `index` bytes.
    #[inline]
    fn slice_to(&self, index: usize) -> Self {
        Input {
            fragment: &self.fragment[..index],
            ..*self
        }
    }
}

impl AsBytes for Input<'_> {
    fn as_bytes(&self) -> &[u8] {
        self.fragment.as_bytes()
    }
}

impl<'a> nom::Input for Input<'a> {
    type Item = char;
    type Iter = Chars<'a>;
    type IterIndices = CharIndices<'a>;

    #[inline]
    fn input_len(&self) -> usize {
        self.fragment.len()
    }

    #[inline]
    fn take(&self, index: usize) -> Self {
        self.slice_to(index)
    }

    #[inline]
    fn take_from(&self, index: usize) -> Self {
        self.slice_from(index)
    }

    #[inline]
    fn take_split(&self, index: usize) -> (Self, Self) {
        (self.slice_from(index), self.slice_to(index))
    }

    #[inline]
    fn position<P>(&self, predicate: P) -> Option<usize>
    where
        P: Fn(char) -> bool,
    {
        self.fragment.position(predicate)
    }

    #[inline]
    fn iter_elements(&self) -> Chars<'a> {
        self.fragment.chars()
    }

    #[inline]
    fn iter_indices(&self) -> CharIndices<'a> {
        self.fragment.char_indices()
    }

    #[inline]
    fn slice_index(&self, count: usize) -> Result<usize, Needed> {
        self.fragment.slice_index(count)
    }
}

impl<'b> Compare<&'b str> for Input<'_> {
    #[inline]
    fn compare(&self, t: &'b str) -> CompareResult {
        self.fragment.compare(t)
    }

    #[inline]
    fn compare_no_case(&self, t: &'b str) -> CompareResult {
        self.fragment.compare_no_case(t)
    }
}

impl<'b> FindSubstring<&'b str> for Input<'_> {
    #[inline]
    fn find_substring(&self, substr: &'b str) -> Option<usize> {
        self.fragment.find_substring(substr)
    }
}

impl<T> FindToken<T> for Input<'_>
where
    for<'x> &'x str: FindToken<T>,
{
    fn find_token(&self, token: T) -> bool {
        self.fragment.find_token(token)
    }
}

impl<R: FromStr> ParseTo<R> for Input<'_> {
    #[inline]
    fn parse_to(&self) -> Option<R> {
        self.fragment.parse().ok()
    }
}

impl Offset for Input<'_> {
    fn offset(&self, second: &Self) -> usize {
        second.offset - self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_keep_their_offsets() {
        let origin = Origin {
            file: FileId(0),
            base: 100,
        };
        let line = Input::new_extra("~ gold = 1", origin);
        let (rest, taken) = nom::Input::take_split(&line, 2);
        assert_eq!((*taken.fragment(), taken.location_offset()), ("~ ", 0));
        assert_eq!((*rest.fragment(), rest.location_offset()), ("gold = 1", 2));
        let rest = nom::Input::take_from(&rest, 5);
        assert_eq!((*rest.fragment(), rest.location_offset()), ("= 1", 7));
        assert_eq!(line.offset(&rest), 7);
        assert_eq!(rest.extra, origin);
    }
}
