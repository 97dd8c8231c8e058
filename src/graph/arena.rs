//! The story's text and code arenas, each kept as the parts its lowering
//! runs wrote: the first run's (with the tests, invariants and function
//! bodies) and, for a big story lowered on two threads, the second run's.
//! Ranges address the arena as one: a range past the first part reads the
//! second. Joining the runs moves the second part in instead of copying it
//! (on the generated 10,000-scene story that copy was 1.9 MB written to
//! fresh pages on one thread while the other waited; docs/PERFORMANCE.md).
//! Written out, an arena is one string or one sequence, as when it was one
//! buffer, so compiled stories and save fingerprints are unchanged.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Instr;

/// An arena in two parts; see the module's documentation.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Arena<T> {
    /// The first run's part.
    pub(crate) head: T,
    /// The second run's part, addressed past the end of `head`.
    pub(crate) tail: T,
}

/// Every literal text and refusal reason.
pub(crate) type TextArena = Arena<String>;

/// Every expression's and function's code.
pub(crate) type CodeArena = Arena<Vec<Instr>>;

/// What an arena's part is kept in: a string or a list of instructions,
/// read by ranges and grown by appending.
pub(crate) trait Buffer: Default {
    /// What a range of the part reads as.
    type Slice: ?Sized;
    /// How many bytes or instructions it holds.
    fn len(&self) -> usize;
    /// Whether it holds none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A range of it; `None` when out of bounds (or, in text, not on
    /// character boundaries).
    fn slice(&self, range: std::ops::Range<usize>) -> Option<&Self::Slice>;
    /// Appends `later` after what it holds.
    fn extend_by(&mut self, later: Self);
    /// Frees the room reserved past its end.
    fn shrink_to_fit(&mut self);
}

impl Buffer for String {
    type Slice = str;
    fn len(&self) -> usize {
        String::len(self)
    }
    fn slice(&self, range: std::ops::Range<usize>) -> Option<&str> {
        self.get(range)
    }
    fn extend_by(&mut self, later: String) {
        self.push_str(&later);
    }
    fn shrink_to_fit(&mut self) {
        String::shrink_to_fit(self);
    }
}

impl Buffer for Vec<Instr> {
    type Slice = [Instr];
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn slice(&self, range: std::ops::Range<usize>) -> Option<&[Instr]> {
        self.get(range)
    }
    fn extend_by(&mut self, mut later: Vec<Instr>) {
        self.append(&mut later);
    }
    fn shrink_to_fit(&mut self) {
        Vec::shrink_to_fit(self);
    }
}

impl<T: Buffer> Arena<T> {
    /// An arena of one part.
    pub(crate) fn whole(head: T) -> Self {
        Arena {
            head,
            tail: T::default(),
        }
    }

    /// `len` items from `start`; `None` when the range is not inside one
    /// part (only a hand-made, malformed story has such a range).
    pub(crate) fn get(&self, start: usize, len: usize) -> Option<&T::Slice> {
        let end = start.checked_add(len)?;
        let seam = self.head.len();
        if end <= seam {
            // The common case, and the only one for a story lowered in
            // one run: a range of the first part.
            return self.head.slice(start..end);
        }
        self.tail.slice(start.checked_sub(seam)?..end - seam)
    }

    /// Appends a later run's part: moved in when it is the first, copied
    /// after it otherwise.
    pub(crate) fn append(&mut self, later: T) {
        if self.tail.is_empty() {
            self.tail = later;
        } else {
            self.tail.extend_by(later);
        }
    }

    /// The length of the whole arena.
    pub(crate) fn len(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// Frees the room reserved past each part's end.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.head.shrink_to_fit();
        self.tail.shrink_to_fit();
    }
}

impl CodeArena {
    /// Every instruction, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Instr> {
        self.head.iter().chain(&self.tail)
    }

    /// Every instruction, in order.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Instr> {
        self.head.iter_mut().chain(self.tail.iter_mut())
    }
}

impl Serialize for TextArena {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.tail.is_empty() {
            serializer.serialize_str(&self.head)
        } else {
            serializer.serialize_str(&[self.head.as_str(), self.tail.as_str()].concat())
        }
    }
}

impl Serialize for CodeArena {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.head.iter().chain(&self.tail))
    }
}

impl<'de, T: Deserialize<'de> + Buffer> Deserialize<'de> for Arena<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Arena::whole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_text() -> TextArena {
        Arena {
            head: "abc".to_string(),
            tail: "defg".to_string(),
        }
    }

    #[test]
    fn ranges_address_the_parts_as_one() {
        let text = split_text();
        assert_eq!(text.get(0, 3), Some("abc"));
        assert_eq!(text.get(3, 2), Some("de"));
        assert_eq!(text.get(5, 2), Some("fg"));
        assert_eq!(text.len(), 7);
        // Across the seam or past the end: a malformed range.
        assert_eq!(text.get(2, 2), None);
        assert_eq!(text.get(6, 2), None);
        assert_eq!(text.get(usize::MAX, 2), None);
    }

    #[test]
    fn written_out_as_one_buffer() {
        let text = split_text();
        assert_eq!(ron::to_string(&text).unwrap(), "\"abcdefg\"");
        let read: TextArena = ron::from_str("\"abcdefg\"").unwrap();
        assert_eq!(read, Arena::whole("abcdefg".to_string()));
        let code = Arena {
            head: vec![Instr::Int(1)],
            tail: vec![Instr::Int(2), Instr::Turns],
        };
        let whole = Arena::whole(vec![Instr::Int(1), Instr::Int(2), Instr::Turns]);
        assert_eq!(
            ron::to_string(&code).unwrap(),
            ron::to_string(&whole.head).unwrap()
        );
        assert_eq!(
            ron::to_string(&whole).unwrap(),
            ron::to_string(&code).unwrap()
        );
    }

    #[test]
    fn later_runs_are_moved_in_then_appended() {
        let mut text = TextArena::whole("ab".to_string());
        text.append("cd".to_string());
        text.append("ef".to_string());
        assert_eq!(text.get(2, 4), Some("cdef"));
        let mut code = CodeArena::whole(vec![Instr::Int(0)]);
        code.append(vec![Instr::Int(1)]);
        code.append(vec![Instr::Turns]);
        assert_eq!(code.len(), 3);
        assert_eq!(code.get(1, 2).map(<[Instr]>::len), Some(2));
    }
}
