//! Expressions: postfix [`Instr`] code run over a reusable value stack.

use crate::graph::{ChoiceId, Env, Fault, FnId, Instr, SceneId, Story, Value, VarId, run};

use super::{Externs, State};

/// The next number from a splitmix64 generator whose whole state is `rng`.
/// Small, fast and fully determined by the saved `u64`.
pub(crate) fn next_random(rng: &mut u64) -> u64 {
    *rng = rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *rng;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in `0..bound` (Lemire's multiply-shift; `bound > 0`).
pub(crate) fn random_below(rng: &mut u64, bound: u64) -> u64 {
    ((next_random(rng) as u128 * bound as u128) >> 64) as u64
}

/// A uniform int in `lo..=hi`.
fn random_between(rng: &mut u64, lo: i64, hi: i64) -> Result<i64, Fault> {
    if lo > hi {
        return Err(Fault::RandomRange { lo, hi });
    }
    // The width fits in u64 because hi >= lo; only the full i64 range overflows it.
    let width = hi.wrapping_sub(lo) as u64;
    let offset = match width.checked_add(1) {
        Some(bound) => random_below(rng, bound),
        None => next_random(rng),
    };
    Ok(lo.wrapping_add(offset as i64))
}

/// Scripted values for `random()`, so the explorer can branch over every
/// value instead of drawing one: each draw takes the next scripted value
/// (clamped into its range), or the range's low end once the script runs
/// out, and records its range.
#[derive(Debug, Clone, Default)]
pub struct RandomScript {
    /// The values the draws take, in order.
    pub values: Vec<i64>,
    /// The `(lo, hi)` of each draw made, in order.
    pub draws: Vec<(i64, i64)>,
}

impl RandomScript {
    /// The value draw `index` returned.
    pub(crate) fn value_at(&self, index: usize) -> i64 {
        let (lo, hi) = self.draws.get(index).copied().unwrap_or((0, 0));
        self.values
            .get(index)
            .map_or(lo, |value| (*value).clamp(lo, hi))
    }

    pub(crate) fn draw(&mut self, lo: i64, hi: i64) -> i64 {
        let value = self
            .values
            .get(self.draws.len())
            .map_or(lo, |value| (*value).clamp(lo, hi));
        self.draws.push((lo, hi));
        value
    }
}

/// What evaluation reads besides the state: the story's functions and the
/// host's implementations of its externs.
#[derive(Clone, Copy)]
pub(crate) struct Context<'a> {
    pub story: &'a Story,
    pub externs: &'a Externs,
    /// Calls per function, when counted (see `Machine::count_calls`).
    pub calls: &'a [std::cell::Cell<u64>],
}

/// Evaluates `expr` against `state`, drawing random numbers from `rng`, or
/// from `script` when there is one. `stack` is scratch space, empty on
/// entry and on a successful exit.
pub(crate) fn evaluate(
    context: Context<'_>,
    state: &State,
    rng: &mut u64,
    script: Option<&mut RandomScript>,
    stack: &mut Vec<Value>,
    code: &[Instr],
) -> Result<Value, Fault> {
    let mut env = Playing {
        state,
        rng,
        script,
        externs: context.externs,
        calls: context.calls,
    };
    run(&mut env, stack, context.story.program(), code)
}

/// What an expression reads while the story is played.
struct Playing<'a> {
    state: &'a State,
    rng: &'a mut u64,
    script: Option<&'a mut RandomScript>,
    externs: &'a Externs,
    calls: &'a [std::cell::Cell<u64>],
}

impl Env for Playing<'_> {
    fn load(&mut self, var: VarId) -> Result<Value, Fault> {
        self.state
            .vars
            .get(var.index())
            .cloned()
            .ok_or(Fault::Malformed("unknown variable"))
    }

    fn local(&mut self, slot: u32) -> Result<Value, Fault> {
        self.state
            .locals
            .get(slot as usize)
            .cloned()
            .ok_or(Fault::Malformed("unknown local"))
    }

    fn turns(&mut self) -> Result<i64, Fault> {
        Ok(i64::from(self.state.turns))
    }

    fn visits(&mut self, scene: SceneId) -> Result<i64, Fault> {
        let visits = self
            .state
            .visits
            .get(scene.index())
            .ok_or(Fault::Malformed("unknown scene in visits()"))?;
        Ok(i64::from(*visits))
    }

    fn taken(&mut self, choice: ChoiceId) -> Result<bool, Fault> {
        // A choice outside the story's count (a label the opening did not
        // compile yet) was never chosen.
        Ok(self.state.is_taken(choice))
    }

    fn random(&mut self, lo: i64, hi: i64) -> Result<i64, Fault> {
        match self.script.as_deref_mut() {
            Some(_) if lo > hi => Err(Fault::RandomRange { lo, hi }),
            Some(script) => Ok(script.draw(lo, hi)),
            None => random_between(self.rng, lo, hi),
        }
    }

    fn external(&mut self, function: FnId, args: &[Value]) -> Option<Result<Value, Fault>> {
        let host = self.externs.get(function)?;
        Some(host(args).map_err(|message| Fault::ExternFailed(function, message)))
    }

    fn called(&mut self, function: FnId) {
        if let Some(count) = self.calls.get(function.index()) {
            count.set(count.get().saturating_add(1));
        }
    }
}

/// Evaluates a condition.
pub(crate) fn evaluate_bool(
    context: Context<'_>,
    state: &State,
    rng: &mut u64,
    script: Option<&mut RandomScript>,
    stack: &mut Vec<Value>,
    code: &[Instr],
) -> Result<bool, Fault> {
    match evaluate(context, state, rng, script, stack, code)? {
        Value::Bool(flag) => Ok(flag),
        _ => Err(Fault::Malformed("a condition that is not a bool")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_between_stays_in_range_and_covers_it() {
        let mut rng = 7;
        let mut seen = [false; 3];
        for _ in 0..200 {
            let value = random_between(&mut rng, -1, 1).unwrap();
            seen[(value + 1) as usize] = true;
        }
        assert_eq!(seen, [true; 3]);
        assert_eq!(random_between(&mut rng, 5, 5).unwrap(), 5);
        assert!(random_between(&mut rng, i64::MIN, i64::MAX).is_ok());
        assert!(matches!(
            random_between(&mut rng, 2, 1),
            Err(Fault::RandomRange { lo: 2, hi: 1 })
        ));
    }
}
