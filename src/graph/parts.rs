//! A text's parts ([`Parts`]): the graph's most common small list, kept
//! without an allocation of its own when it holds one part.

use serde::{Deserialize, Serialize};

use super::Part;

/// A text's parts, in order: none, one kept in place (most texts are a
/// single literal, and this saves each its own allocation), or many.
/// Reads as a slice of parts; written out as a sequence, as a boxed slice
/// was, so compiled stories and save fingerprints are unchanged.
#[derive(Clone, Default)]
pub struct Parts(PartsRepr);

#[derive(Clone, Default)]
enum PartsRepr {
    #[default]
    None,
    One(Part),
    // Boxed twice, so that a `Parts` takes no more room than a part does.
    Many(Box<Box<[Part]>>),
}

impl From<Vec<Part>> for Parts {
    fn from(mut parts: Vec<Part>) -> Parts {
        Parts::gathered(&mut parts, 0)
    }
}

impl Parts {
    /// The parts `stack` holds from `start` on, taken off it.
    pub(crate) fn gathered(stack: &mut Vec<Part>, start: usize) -> Parts {
        Parts(match stack.len().saturating_sub(start) {
            0 => PartsRepr::None,
            1 => stack.pop().map_or(PartsRepr::None, PartsRepr::One),
            _ => PartsRepr::Many(Box::new(stack.drain(start..).collect())),
        })
    }
}

impl std::ops::Deref for Parts {
    type Target = [Part];
    fn deref(&self) -> &[Part] {
        match &self.0 {
            PartsRepr::None => &[],
            PartsRepr::One(part) => std::slice::from_ref(part),
            PartsRepr::Many(parts) => parts,
        }
    }
}

impl std::ops::DerefMut for Parts {
    fn deref_mut(&mut self) -> &mut [Part] {
        match &mut self.0 {
            PartsRepr::None => &mut [],
            PartsRepr::One(part) => std::slice::from_mut(part),
            PartsRepr::Many(parts) => parts,
        }
    }
}

impl<'a> IntoIterator for &'a Parts {
    type Item = &'a Part;
    type IntoIter = std::slice::Iter<'a, Part>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Parts {
    type Item = &'a mut Part;
    type IntoIter = std::slice::IterMut<'a, Part>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Parts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Parts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Parts, D::Error> {
        Vec::<Part>::deserialize(deserializer).map(Parts::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::TextRange;

    #[test]
    fn parts_are_written_and_read_as_the_boxed_slice_they_replace() {
        let literal = |start| Part::Literal(TextRange { start, len: 2 });
        for count in 0..4 {
            let parts: Vec<Part> = (0..count).map(literal).collect();
            let boxed: Box<[Part]> = parts.clone().into_boxed_slice();
            let held = Parts::from(parts);
            assert_eq!(held.len(), count as usize);
            let written = ron::to_string(&held).unwrap();
            assert_eq!(written, ron::to_string(&boxed).unwrap());
            let read: Parts = ron::from_str(&written).unwrap();
            assert_eq!(format!("{read:?}"), format!("{boxed:?}"));
        }
        let mut one = Parts::from(vec![literal(7)]);
        for part in &mut one {
            if let Part::Literal(range) = part {
                range.start += 1;
            }
        }
        assert!(matches!(
            one[0],
            Part::Literal(TextRange { start: 8, len: 2 })
        ));
        assert!(Parts::default().is_empty());
    }
}
