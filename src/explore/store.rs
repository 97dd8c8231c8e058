//! The explorer's state store: states normalised, encoded compactly,
//! deduplicated in an open-addressing table, each with its parent and the
//! choice that led to it (so any state's shortest path can be rebuilt).

use super::bounds::{Bounds, SeqUse};
use crate::graph::{AltKind, ChoiceId, SceneId, Story, Type, Value};
use crate::runtime::{Frame, State};

/// Names every field of `State`: a field added to it fails to compile here,
/// and this is called from each function that copies, normalises, encodes
/// or decodes a state, which must then be taught about it (a forgotten field
/// would merge distinct states and make a proof wrong).
fn fields_known(state: &State) {
    let State {
        scene: _,
        pc: _,
        vars: _,
        visits: _,
        taken: _,
        seqs: _,
        turns: _,
        rng: _,
        locals: _,
        calls: _,
    } = state;
}

/// Up to this many once-only choices that matter are encoded as a bitmap;
/// more, as the list of those taken.
const DENSE_CHOICES: usize = 64;

/// Normalises and encodes states of one story.
#[derive(Debug)]
pub struct Encoder<'s> {
    story: &'s Story,
    bounds: Bounds,
    /// Scenes whose visit count is stored (read somewhere), with its bound.
    visit_slots: Vec<(usize, Option<u32>)>,
    /// Choices whose taken bit can matter: once-only ones in scenes that
    /// can be entered again (on a cycle of diverts), and any that an
    /// observed `taken()` reads ([`Bounds::taken_read`]).
    relevant_choices: Vec<ChoiceId>,
    /// The same, as a mask over the state's bitset words.
    relevant_mask: Vec<u64>,
    /// The words of `relevant_mask` that are not zero: what is copied,
    /// cleared and encoded per transition (all words made a long chain of
    /// scenes quadratic: a word per 64 choices of the whole story).
    relevant_words: Vec<usize>,
    /// Alternatives counters kept: id, kind, number of options.
    kept_seqs: Vec<(usize, AltKind, u32)>,
}

impl<'s> Encoder<'s> {
    pub fn new(story: &'s Story, bounds: &Bounds) -> Encoder<'s> {
        let visit_slots = bounds
            .visits
            .iter()
            .enumerate()
            .filter(|(_, bound)| **bound != Some(0))
            .map(|(scene, bound)| (scene, *bound))
            .collect();
        let cyclic = cyclic_scenes(story);
        let mut relevant_choices = Vec::new();
        let mut relevant_mask = vec![0u64; (story.choice_count as usize).div_ceil(64)];
        for (index, scene) in story.scenes.iter().enumerate() {
            for op in &scene.ops {
                if let crate::graph::Op::Choices { choices, .. } = op {
                    // Read by `taken()`, or once-only and offered again.
                    let relevant = |choice: &&crate::graph::Choice| {
                        bounds.taken_read.get(choice.id.index()) == Some(&true)
                            || (cyclic[index] && !choice.sticky)
                    };
                    for choice in choices.iter().filter(relevant) {
                        relevant_choices.push(choice.id);
                        if let Some(word) = relevant_mask.get_mut(choice.id.index() / 64) {
                            *word |= 1 << (choice.id.index() % 64);
                        }
                    }
                }
            }
        }
        let relevant_words = (relevant_mask.iter().enumerate())
            .filter(|(_, mask)| **mask != 0)
            .map(|(word, _)| word)
            .collect();
        Encoder {
            story,
            bounds: bounds.clone(),
            visit_slots,
            relevant_choices,
            relevant_mask,
            relevant_words,
            kept_seqs: bounds
                .seqs
                .iter()
                .enumerate()
                .filter_map(|(seq, usage)| match *usage {
                    SeqUse::Kept { kind, options } => Some((seq, kind, options)),
                    SeqUse::Ignored => None,
                })
                .collect(),
        }
    }

    /// Copies `source` into `target` reusing `target`'s vectors, leaving out
    /// what the abstraction does not keep: the visit counts of scenes and
    /// the alternatives counters no kept expression reads (copying them all
    /// made a long chain of scenes quadratic). Those in `target` are stale,
    /// which is harmless: only text that cannot fail reads them.
    ///
    /// Taken bits: the working states keep every bit outside the relevant
    /// words clear (a stale bit there would hide a choice the first time
    /// its scene is entered). `dirty` names the words the last transition
    /// into `target` may have marked (the choice taken, fallbacks taken on
    /// the way); they are cleared and the list emptied, then only the
    /// relevant words are copied.
    pub fn copy_state(&self, target: &mut State, source: &State, dirty: &mut Vec<u32>) {
        fields_known(source);
        target.scene = source.scene;
        target.pc = source.pc;
        if target.vars.len() == source.vars.len() {
            // Value by value: most are ints, flags and enum values, copied
            // without the reference counting a text needs.
            for (target, source) in target.vars.iter_mut().zip(&source.vars) {
                match (&mut *target, source) {
                    (Value::Int(to), Value::Int(from)) => *to = *from,
                    (Value::Bool(to), Value::Bool(from)) => *to = *from,
                    (Value::Enum(to), Value::Enum(from)) => *to = *from,
                    (Value::Set(to), Value::Set(from)) => *to = *from,
                    (target, source) => target.clone_from(source),
                }
            }
        } else {
            target.vars.clone_from(&source.vars);
        }
        if target.visits.len() == source.visits.len() {
            for (scene, _) in &self.visit_slots {
                target.visits[*scene] = source.visits[*scene];
            }
        } else {
            target.visits.clone_from(&source.visits);
        }
        if target.taken.len() == source.taken.len() {
            for word in dirty.drain(..) {
                if let Some(word) = target.taken.get_mut(word as usize) {
                    *word = 0;
                }
            }
            for &word in &self.relevant_words {
                target.taken[word] = source.taken[word];
            }
            debug_assert!(
                (target.taken.iter().zip(&self.relevant_mask))
                    .all(|(word, mask)| word & !mask == 0),
                "a taken bit outside the relevant words was left set"
            );
        } else {
            target.taken.clone_from(&source.taken);
            dirty.clear();
        }
        if target.seqs.len() == source.seqs.len() {
            for &(seq, _, _) in &self.kept_seqs {
                target.seqs[seq] = source.seqs[seq];
            }
        } else {
            target.seqs.clone_from(&source.seqs);
        }
        target.turns = source.turns;
        target.rng = source.rng;
        target.locals.clone_from(&source.locals);
        target.calls.clone_from(&source.calls);
    }

    /// Applies the abstraction in place. Returns whether a counter was cut
    /// down to a bound above zero (the abstraction was needed).
    pub fn normalise(&self, state: &mut State) -> bool {
        fields_known(state);
        let mut saturated = false;
        // Only kept counts: the others are stale and never read (see
        // `copy_state`); walking every scene made a long story quadratic.
        for (scene, bound) in &self.visit_slots {
            if let Some(bound) = *bound
                && let Some(visits) = state.visits.get_mut(*scene)
                && *visits > bound
            {
                saturated |= bound > 0;
                *visits = bound;
            }
        }
        if let Some(bound) = self.bounds.turns
            && state.turns > bound
        {
            saturated |= bound > 0;
            state.turns = bound;
        }
        // Alternatives counters are reduced to the option they select next;
        // those that only print text are reset. The generator is reset:
        // `random()` is branched over, not drawn.
        for &(seq, kind, options) in &self.kept_seqs {
            if let Some(count) = state.seqs.get_mut(seq) {
                *count = match kind {
                    _ if options == 0 => 0,
                    AltKind::Sequence => (*count).min(options - 1),
                    AltKind::Cycle => *count % options,
                    AltKind::Once => (*count).min(options),
                    AltKind::Shuffle => 0,
                };
            }
        }
        state.rng = 0;
        for ((value, var), kept) in state
            .vars
            .iter_mut()
            .zip(&self.story.vars)
            .zip(&self.bounds.vars)
        {
            if !*kept && *value != var.initial {
                value.clone_from(&var.initial);
            }
        }
        // Taken bits outside the relevant words are left as they are: `encode`
        // reads only the relevant ones, and `copy_state` clears the rest.
        // Locals and the call stack are kept whole (docs/EXPLORE.md):
        // nothing to normalise.
        saturated
    }

    /// Appends a normalised state's encoding to `out`.
    pub fn encode(&self, state: &State, out: &mut Vec<u8>) {
        fields_known(state);
        varint(out, u64::from(state.scene.0));
        varint(out, u64::from(state.pc));
        for (value, _) in state
            .vars
            .iter()
            .zip(&self.bounds.vars)
            .filter(|(_, kept)| **kept)
        {
            match value {
                Value::Int(number) => varint(out, zigzag(*number)),
                // Packed eight to a byte after the other values.
                Value::Bool(_) => {}
                Value::Enum(variant) => varint(out, u64::from(*variant)),
                Value::Set(bits) => varint(out, *bits),
                Value::Text(text) => {
                    varint(out, text.len() as u64);
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
        let mut bits = 0u8;
        let mut count = 0;
        for (value, _) in (state.vars.iter().zip(&self.bounds.vars)).filter(|(_, kept)| **kept) {
            if let Value::Bool(flag) = value {
                bits |= u8::from(*flag) << (count % 8);
                count += 1;
                if count % 8 == 0 {
                    out.push(bits);
                    bits = 0;
                }
            }
        }
        if count % 8 != 0 {
            out.push(bits);
        }
        for (scene, _) in &self.visit_slots {
            varint(
                out,
                u64::from(state.visits.get(*scene).copied().unwrap_or(0)),
            );
        }
        for &(seq, kind, _) in &self.kept_seqs {
            if kind != AltKind::Shuffle {
                varint(out, u64::from(state.seqs.get(seq).copied().unwrap_or(0)));
            }
        }
        if self.relevant_choices.len() <= DENSE_CHOICES {
            let mut byte = 0u8;
            for (index, choice) in self.relevant_choices.iter().enumerate() {
                if state.is_taken(*choice) {
                    byte |= 1 << (index % 8);
                }
                if index % 8 == 7 {
                    out.push(byte);
                    byte = 0;
                }
            }
            if !self.relevant_choices.len().is_multiple_of(8) {
                out.push(byte);
            }
        } else {
            // Many once-only choices, few taken at a time: the taken ones'
            // ids, as a count then gaps.
            let words = || {
                self.relevant_words.iter().map(|&index| {
                    let word = state.taken.get(index).copied().unwrap_or(0);
                    (index, word & self.relevant_mask[index])
                })
            };
            varint(
                out,
                words().map(|(_, word)| u64::from(word.count_ones())).sum(),
            );
            let mut previous = 0u64;
            for (index, mut word) in words() {
                while word != 0 {
                    let id = index as u64 * 64 + u64::from(word.trailing_zeros());
                    varint(out, id - previous);
                    previous = id;
                    word &= word - 1;
                }
            }
        }
        if self.bounds.turns != Some(0) {
            varint(out, u64::from(state.turns));
        }
        // Locals, then the calls under way, whole: where each returns to
        // and the caller's locals. Bounded by MAX_CALL_DEPTH.
        encode_values(&state.locals, out);
        varint(out, state.calls.len() as u64);
        for frame in &state.calls {
            varint(out, u64::from(frame.scene.0));
            varint(out, u64::from(frame.pc));
            encode_values(&frame.locals, out);
        }
    }

    /// A state to decode into (its vectors are reused).
    pub fn blank(&self) -> State {
        State::new(self.story, 0)
    }

    /// Rebuilds a state from its encoding into `state` (made by
    /// [`Encoder::blank`]), reusing its vectors.
    pub fn decode_into(&self, mut bytes: &[u8], state: &mut State) {
        fields_known(state);
        // Visit counts of scenes not kept are left stale (see `copy_state`);
        // taken bits outside the relevant words are clear already.
        for &word in &self.relevant_words {
            if let Some(word) = state.taken.get_mut(word) {
                *word = 0;
            }
        }
        state.rng = 0;
        state.turns = 0;
        state.scene = SceneId(read_varint(&mut bytes) as u32);
        state.pc = read_varint(&mut bytes) as u32;
        for ((value, var), kept) in state
            .vars
            .iter_mut()
            .zip(&self.story.vars)
            .zip(&self.bounds.vars)
        {
            if !*kept {
                value.clone_from(&var.initial);
                continue;
            }
            *value = match var.ty {
                Type::Int => Value::Int(unzigzag(read_varint(&mut bytes))),
                // Read below, from the packed flags.
                Type::Bool => continue,
                Type::Enum(_) => Value::Enum(read_varint(&mut bytes) as u32),
                Type::Set(_) => Value::Set(read_varint(&mut bytes)),
                Type::Text => {
                    let len = (read_varint(&mut bytes) as usize).min(bytes.len());
                    let (text, rest) = bytes.split_at(len);
                    bytes = rest;
                    Value::Text(String::from_utf8_lossy(text).into())
                }
            };
        }
        let mut count = 0;
        let mut bits = 0u8;
        for ((value, var), _) in (state.vars.iter_mut().zip(&self.story.vars))
            .zip(&self.bounds.vars)
            .filter(|(_, kept)| **kept)
        {
            if var.ty == Type::Bool {
                if count % 8 == 0 {
                    let (byte, rest) = bytes.split_first().unwrap_or((&0, &[]));
                    bits = *byte;
                    bytes = rest;
                }
                *value = Value::Bool(bits & (1 << (count % 8)) != 0);
                count += 1;
            }
        }
        for (scene, _) in &self.visit_slots {
            let count = read_varint(&mut bytes) as u32;
            if let Some(slot) = state.visits.get_mut(*scene) {
                *slot = count;
            }
        }
        for &(seq, kind, _) in &self.kept_seqs {
            let count = if kind == AltKind::Shuffle {
                0
            } else {
                read_varint(&mut bytes) as u32
            };
            if let Some(slot) = state.seqs.get_mut(seq) {
                *slot = count;
            }
        }
        if self.relevant_choices.len() <= DENSE_CHOICES {
            for chunk_start in (0..self.relevant_choices.len()).step_by(8) {
                let (byte, rest) = bytes.split_first().unwrap_or((&0, &[]));
                bytes = rest;
                for bit in 0..8 {
                    if byte & (1 << bit) != 0
                        && let Some(choice) = self.relevant_choices.get(chunk_start + bit)
                        && let Some(word) = state.taken.get_mut(choice.index() / 64)
                    {
                        *word |= 1 << (choice.index() % 64);
                    }
                }
            }
        } else {
            let count = read_varint(&mut bytes);
            let mut id = 0u64;
            for _ in 0..count {
                id += read_varint(&mut bytes);
                if let Some(word) = state.taken.get_mut((id / 64) as usize) {
                    *word |= 1 << (id % 64);
                }
            }
        }
        if self.bounds.turns != Some(0) {
            state.turns = read_varint(&mut bytes) as u32;
        }
        decode_values(&mut bytes, &mut state.locals);
        let calls = read_varint(&mut bytes) as usize;
        state.calls.clear();
        for _ in 0..calls.min(crate::graph::MAX_CALL_DEPTH) {
            let scene = SceneId(read_varint(&mut bytes) as u32);
            let pc = read_varint(&mut bytes) as u32;
            let mut locals = Vec::new();
            decode_values(&mut bytes, &mut locals);
            state.calls.push(Frame { scene, pc, locals });
        }
    }
}

/// Locals, each with its kind: a count, then tagged values.
fn encode_values(values: &[Value], out: &mut Vec<u8>) {
    varint(out, values.len() as u64);
    for value in values {
        match value {
            Value::Int(number) => {
                out.push(0);
                varint(out, zigzag(*number));
            }
            Value::Bool(flag) => out.push(1 + u8::from(*flag)),
            Value::Enum(variant) => {
                out.push(3);
                varint(out, u64::from(*variant));
            }
            Value::Set(bits) => {
                out.push(4);
                varint(out, *bits);
            }
            Value::Text(text) => {
                out.push(5);
                varint(out, text.len() as u64);
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
}

/// Reads what [`encode_values`] wrote into `values`.
fn decode_values(bytes: &mut &[u8], values: &mut Vec<Value>) {
    let count = read_varint(bytes) as usize;
    values.clear();
    for _ in 0..count.min(bytes.len()) {
        let (tag, rest) = bytes.split_first().unwrap_or((&0, &[]));
        *bytes = rest;
        let value = match tag {
            1 => Value::Bool(false),
            2 => Value::Bool(true),
            3 => Value::Enum(read_varint(bytes) as u32),
            4 => Value::Set(read_varint(bytes)),
            5 => {
                let len = (read_varint(bytes) as usize).min(bytes.len());
                let (text, rest) = bytes.split_at(len);
                *bytes = rest;
                Value::Text(String::from_utf8_lossy(text).into())
            }
            _ => Value::Int(unzigzag(read_varint(bytes))),
        };
        values.push(value);
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_varint(bytes: &mut &[u8]) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    while let Some((&byte, rest)) = bytes.split_first() {
        *bytes = rest;
        if shift < 64 {
            value |= u64::from(byte & 0x7f) << shift;
        }
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    value
}

/// Scenes on a cycle of diverts (including a divert to themselves), by
/// Tarjan's algorithm with an explicit stack.
fn cyclic_scenes(story: &Story) -> Vec<bool> {
    let count = story.scenes.len();
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut cyclic = vec![false; count];
    for edge in story.edges() {
        successors[edge.from.index()].push(edge.to.index());
        if edge.from == edge.to {
            cyclic[edge.from.index()] = true;
        }
    }
    // A tunnel returns to its caller: a tunnel called from two places is
    // entered twice without a cycle of diverts, so each call also counts
    // as an edge back (only a caller of a scene can be returned to).
    for edge in story.returns() {
        successors[edge.from.index()].push(edge.to.index());
    }
    const UNSEEN: usize = usize::MAX;
    let mut index_of = vec![UNSEEN; count];
    let mut low = vec![0; count];
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut next_index = 0;
    for root in 0..count {
        if index_of[root] != UNSEEN {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (node, ref mut child)) = work.last_mut() {
            if *child == 0 && index_of[node] == UNSEEN {
                index_of[node] = next_index;
                low[node] = next_index;
                next_index += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&next) = successors[node].get(*child) {
                *child += 1;
                if index_of[next] == UNSEEN {
                    work.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(index_of[next]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index_of[node] {
                let mut members = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    members.push(member);
                    if member == node {
                        break;
                    }
                }
                if members.len() > 1 {
                    for member in members {
                        cyclic[member] = true;
                    }
                }
            }
        }
    }
    cyclic
}

/// What [`Store::insert_encoded`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// The state was there already, at this index.
    Existing(usize),
    /// The state is new, at this index.
    New(usize),
    /// The state is new but was not added (the store is full).
    Refused,
}

/// The size of a page of the store's encodings.
const PAGE: usize = 16 << 20;

/// Every state found so far, in breadth-first order.
#[derive(Debug, Default)]
pub struct Store {
    /// The encodings, back to back, in pages of up to [`PAGE`] bytes
    /// allocated once each: the store never doubles a buffer (which could
    /// overshoot a memory limit by half, and copies everything), and a
    /// state never straddles two pages.
    pages: Vec<Vec<u8>>,
    /// End offset of each state's encoding in `bytes` (u64: a store past
    /// 4 GiB must not wrap and merge distinct states).
    ends: Vec<u64>,
    /// Parent state's index (`u32::MAX` for the first state).
    parents: Vec<u32>,
    /// The number (1-based, as shown) of the choice taken from the parent
    /// (u32: a block may offer more than 65,535 choices).
    via: Vec<u32>,
    /// Index of the first state of each depth.
    levels: Vec<usize>,
    /// Open addressing: 0 is empty, else the low 32 bits of the state's
    /// hash above its index plus one. The hash bits spare most probes the
    /// state's bytes (three cache misses: two ends and the page), and let
    /// the table grow without hashing every state again.
    table: Vec<u64>,
}

impl Store {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn get(&self, index: usize) -> &[u8] {
        let end = self.ends[index];
        let page = end >> 32;
        let start = match index.checked_sub(1).map(|previous| self.ends[previous]) {
            Some(previous) if previous >> 32 == page => previous & u64::from(u32::MAX),
            _ => 0,
        };
        &self.pages[page as usize][start as usize..(end & u64::from(u32::MAX)) as usize]
    }

    /// The parent of state `index` (`None` for the first state).
    pub fn parent(&self, index: usize) -> Option<usize> {
        self.parents
            .get(index)
            .filter(|&&parent| parent != u32::MAX)
            .map(|&parent| parent as usize)
    }

    /// The depth (choices from the start) of state `index`.
    pub fn depth(&self, index: usize) -> u32 {
        (self.levels.partition_point(|&first| first <= index).max(1) - 1) as u32
    }

    /// The states at `depth`.
    pub fn level(&self, depth: u32) -> std::ops::Range<usize> {
        let start = self
            .levels
            .get(depth as usize)
            .copied()
            .unwrap_or(self.len());
        let end = self
            .levels
            .get(depth as usize + 1)
            .copied()
            .unwrap_or(self.len());
        start..end
    }

    pub fn max_depth(&self) -> u32 {
        self.levels.len().saturating_sub(1) as u32
    }

    /// The shortest choice sequence to state `index`.
    pub fn path(&self, mut index: usize) -> Vec<u32> {
        let mut path = Vec::new();
        while let Some(&parent) = self.parents.get(index) {
            if parent == u32::MAX {
                break;
            }
            path.push(self.via[index]);
            index = parent as usize;
        }
        path.reverse();
        path
    }

    /// Bytes held.
    pub fn memory(&self) -> usize {
        self.pages.iter().map(Vec::capacity).sum::<usize>()
            + self.ends.capacity() * 8
            + self.parents.capacity() * 4
            + self.via.capacity() * 4
            + self.levels.capacity() * std::mem::size_of::<usize>()
            + self.table.capacity() * 8
    }

    /// Adds an encoded state unless it is already there. A new state is
    /// only added when `allow_new`.
    pub fn insert_encoded(
        &mut self,
        encoded: &[u8],
        parent: Option<(usize, u32)>,
        allow_new: bool,
    ) -> Inserted {
        match self.find(encoded) {
            Ok(index) => Inserted::Existing(index),
            Err(_) if !allow_new => Inserted::Refused,
            Err((slot, tag)) => {
                let index = self.ends.len();
                let fits = self
                    .pages
                    .last()
                    .is_some_and(|page| page.capacity() - page.len() >= encoded.len());
                if !fits {
                    // Pages grow with the store, from 64 KiB to PAGE, so a
                    // small story does not hold 16 MB.
                    let held: usize = self.pages.iter().map(Vec::capacity).sum();
                    let size = held
                        .clamp(64 << 10, PAGE)
                        .max(encoded.len())
                        .min(u32::MAX as usize);
                    self.pages.push(Vec::with_capacity(size));
                }
                let page_index = self.pages.len() - 1;
                let page = &mut self.pages[page_index];
                page.extend_from_slice(encoded);
                self.ends
                    .push(((page_index as u64) << 32) | page.len() as u64);
                let depth = match parent {
                    Some((parent, number)) => {
                        self.parents.push(parent as u32);
                        self.via.push(number);
                        self.depth(parent) + 1
                    }
                    None => {
                        self.parents.push(u32::MAX);
                        self.via.push(0);
                        0
                    }
                };
                if self.levels.len() <= depth as usize {
                    self.levels.push(index);
                }
                self.table[slot] = (tag << 32) | (index as u64 + 1);
                if self.ends.len() * 2 > self.table.len() {
                    self.grow();
                }
                Inserted::New(index)
            }
        }
    }

    /// `Ok(index)` of an equal state, or `Err(slot)` where it would go.
    fn find(&mut self, encoded: &[u8]) -> Result<usize, (usize, u64)> {
        if self.table.is_empty() {
            self.table = vec![0; 1024];
        }
        let mask = self.table.len() - 1;
        let tag = hash(encoded) & u64::from(u32::MAX);
        let mut slot = tag as usize & mask;
        loop {
            match self.table[slot] {
                0 => return Err((slot, tag)),
                entry => {
                    if entry >> 32 == tag {
                        let index = (entry & u64::from(u32::MAX)) as usize - 1;
                        if self.get(index) == encoded {
                            return Ok(index);
                        }
                    }
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let size = self.table.len() * 2;
        let mut table = vec![0u64; size];
        for &entry in self.table.iter().filter(|&&entry| entry != 0) {
            let mut slot = (entry >> 32) as usize & (size - 1);
            while table[slot] != 0 {
                slot = (slot + 1) & (size - 1);
            }
            table[slot] = entry;
        }
        self.table = table;
    }
}

/// A fast non-cryptographic hash of a state's bytes.
fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    h ^ (h >> 29)
}
