//! The scene-name table: every scene's id by its name. Every divert looks
//! its target up here, so it is laid out for a million scenes: the names
//! in one buffer in id order, and an open-addressing table of 8-byte slots
//! (part of the name's hash and the id), hashed with foldhash seeded per
//! process, so a hostile story cannot choose names that collide. A lookup
//! compares a name only when the hash part matches.

use std::hash::BuildHasher;

use super::SceneId;

const EMPTY: u64 = u64::MAX;

/// Every scene's id by name, in declaration order.
#[derive(Debug, Default)]
pub(crate) struct SceneNames {
    /// Every name, one after another, in id order.
    text: String,
    /// Where each id's name ends in `text`.
    ends: Vec<usize>,
    /// Power-of-two table; each slot is a hash part (high half) and an id
    /// (low half), or `EMPTY`.
    slots: Vec<u64>,
    hasher: foldhash::fast::RandomState,
}

impl SceneNames {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The name of scene `id`.
    pub(crate) fn name(&self, id: SceneId) -> &str {
        let end = self.ends[id.index()];
        let start = id
            .index()
            .checked_sub(1)
            .map_or(0, |before| self.ends[before]);
        &self.text[start..end]
    }

    /// Every name, in id order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|index| self.name(SceneId(index as u32)))
    }

    /// Room for `more` scenes without growing the table.
    pub(crate) fn reserve(&mut self, more: usize) {
        self.ends.reserve(more);
        let wanted = ((self.len() + more) * 2).next_power_of_two().max(16);
        if wanted > self.slots.len() {
            self.rebuild(wanted);
        }
    }

    fn rebuild(&mut self, size: usize) {
        self.slots = vec![EMPTY; size];
        for index in 0..self.len() {
            let id = SceneId(index as u32);
            let hash = self.hasher.hash_one(self.name(id));
            let slot = self.probe(hash, |_| false).unwrap_err();
            self.slots[slot] = pack(hash, id);
        }
    }

    /// The slot holding a name `same` accepts (`Ok`), or the empty slot
    /// where it would go (`Err`).
    fn probe(&self, hash: u64, same: impl Fn(SceneId) -> bool) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut slot = (hash as usize) & mask;
        loop {
            let found = self.slots[slot];
            if found == EMPTY {
                return Err(slot);
            }
            if found >> 32 == hash >> 32 && same(SceneId(found as u32)) {
                return Ok(slot);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// The id of the scene called `name`. By value: the id is read from
    /// its slot, with no list of ids to look in (one cache miss fewer for
    /// every divert of a big story, whose targets are anywhere).
    pub(crate) fn get(&self, name: &str) -> Option<SceneId> {
        if self.slots.is_empty() {
            return None;
        }
        let hash = self.hasher.hash_one(name);
        let slot = self.probe(hash, |id| self.name(id) == name).ok()?;
        Some(SceneId(self.slots[slot] as u32))
    }

    pub(crate) fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Gives `name` the next id; `Err` with the id it already has.
    pub(crate) fn insert_new(&mut self, name: &str) -> Result<SceneId, SceneId> {
        if (self.len() + 1) * 2 > self.slots.len() {
            self.reserve(self.len().max(8));
        }
        let hash = self.hasher.hash_one(name);
        match self.probe(hash, |id| self.name(id) == name) {
            Ok(slot) => Err(SceneId(self.slots[slot] as u32)),
            Err(slot) => {
                let id = SceneId(self.len() as u32);
                self.text.push_str(name);
                self.ends.push(self.text.len());
                self.slots[slot] = pack(hash, id);
                Ok(id)
            }
        }
    }
}

fn pack(hash: u64, id: SceneId) -> u64 {
    (hash & !0xFFFF_FFFF) | u64::from(id.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_their_ids_in_order_and_are_found_again() {
        let mut names = SceneNames::default();
        assert_eq!(names.get("s0"), None);
        for index in 0..10_000u32 {
            assert_eq!(names.insert_new(&format!("s{index}")), Ok(SceneId(index)));
        }
        assert_eq!(names.insert_new("s42"), Err(SceneId(42)));
        assert_eq!(names.len(), 10_000);
        for index in 0..10_000u32 {
            assert_eq!(names.get(&format!("s{index}")), Some(SceneId(index)));
            assert_eq!(names.name(SceneId(index)), format!("s{index}"));
        }
        assert_eq!(names.get("s10000"), None);
        assert_eq!(names.get(""), None);
        assert_eq!(names.keys().nth(7), Some("s7"));
    }
}
