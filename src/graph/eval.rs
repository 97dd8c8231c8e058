//! The one evaluator of postfix [`Instr`] code: the operators' meaning and
//! the stack machine. The runtime runs it over a game state; lowering runs
//! it over nothing to fold constants, so a constant folds exactly as the
//! same expression runs.

use std::sync::Arc;

use super::{
    BinaryOp, ChoiceId, CodeRange, EnumId, FnId, Function, Instr, MAX_FUNCTION_DEPTH, SceneId,
    Story, Type, UnaryOp, Value, VarId,
};

/// What went wrong while evaluating, before it is located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fault {
    Overflow,
    DivisionByZero,
    RandomRange {
        lo: i64,
        hi: i64,
    },
    /// A text past [`MAX_TEXT_LEN`].
    TextTooLong,
    /// A call past [`MAX_FUNCTION_DEPTH`] nested calls.
    FunctionTooDeep(FnId),
    /// An `extern fn` without a default body, which the host did not bind.
    UnboundExtern(FnId),
    /// A host's function failed, or returned a value of the wrong type.
    ExternFailed(FnId, String),
    Malformed(&'static str),
}

/// The longest a text value may grow, in bytes (1 MiB). Text is bounded like
/// integers are: `~ t = t + t` in a loop is a located runtime error
/// (`RuntimeErrorKind::TextTooLong`) instead of exhausting memory.
pub const MAX_TEXT_LEN: usize = 1 << 20;

/// What code reads from outside itself: the game state and the random
/// generator while playing; nothing while folding constants.
pub(crate) trait Env {
    fn load(&mut self, var: VarId) -> Result<Value, Fault>;
    /// A local (parameter or temporary) of the current visit or call.
    fn local(&mut self, slot: u32) -> Result<Value, Fault>;
    fn turns(&mut self) -> Result<i64, Fault>;
    fn visits(&mut self, scene: SceneId) -> Result<i64, Fault>;
    /// Whether the choice was chosen (`taken(label)`).
    fn taken(&mut self, choice: ChoiceId) -> Result<bool, Fault>;
    /// A number in `lo..=hi`; `lo > hi` is [`Fault::RandomRange`].
    fn random(&mut self, lo: i64, hi: i64) -> Result<i64, Fault>;
    /// The host's implementation of an `extern fn`, called with its
    /// arguments; `None` when the host bound none (its default body runs).
    fn external(&mut self, _function: FnId, _args: &[Value]) -> Option<Result<Value, Fault>> {
        None
    }
    /// A call of `function` is about to run (for coverage).
    fn called(&mut self, _function: FnId) {}
}

/// The functions code can call, and the arena their bodies are in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Program<'a> {
    pub code: &'a [Instr],
    pub functions: &'a [Function],
}

impl Program<'_> {
    /// No functions: for folding constants.
    pub const EMPTY: Program<'static> = Program {
        code: &[],
        functions: &[],
    };

    fn body(&self, range: CodeRange) -> Result<&[Instr], Fault> {
        let start = range.start as usize;
        self.code
            .get(start..start + range.len as usize)
            .ok_or(Fault::Malformed("a function body outside the code"))
    }
}

/// A caller's place while a function runs.
struct Frame<'a> {
    code: &'a [Instr],
    pc: usize,
    base: usize,
}

/// Runs `code` against `env`. `stack` is scratch space, empty on entry and
/// on a successful exit. A call runs the function's body on the same value
/// stack (its locals above its caller's values) with an explicit frame
/// stack, so nesting is bounded by [`MAX_FUNCTION_DEPTH`], never by the Rust
/// stack; bodies only jump forward, so every call ends.
pub(crate) fn run(
    env: &mut impl Env,
    stack: &mut Vec<Value>,
    program: Program<'_>,
    code: &[Instr],
) -> Result<Value, Fault> {
    stack.clear();
    let mut frames: Vec<Frame> = Vec::new();
    let (mut current, mut pc, mut base) = (code, 0, 0);
    loop {
        let Some(instr) = current.get(pc) else {
            if frames.is_empty() {
                break;
            }
            return Err(Fault::Malformed("a function ended without `return`"));
        };
        match instr {
            Instr::Call(id) => {
                env.called(*id);
                let function = program
                    .functions
                    .get(id.index())
                    .ok_or(Fault::Malformed("an unknown function"))?;
                let args = stack
                    .len()
                    .checked_sub(function.params.len())
                    .ok_or(Fault::Malformed("expression stack underflow"))?;
                if function.is_extern
                    && let Some(result) = env.external(*id, &stack[args..])
                {
                    let value = result?;
                    if !value_fits(&value, function.returns) {
                        return Err(Fault::ExternFailed(
                            *id,
                            "it returned a value of the wrong type".into(),
                        ));
                    }
                    stack.truncate(args);
                    stack.push(value);
                    pc += 1;
                    continue;
                }
                let range = function.code.ok_or(Fault::UnboundExtern(*id))?;
                if frames.len() >= MAX_FUNCTION_DEPTH {
                    return Err(Fault::FunctionTooDeep(*id));
                }
                frames.push(Frame {
                    code: current,
                    pc,
                    base,
                });
                base = args;
                stack.resize(base + function.locals as usize, Value::Int(0));
                current = program.body(range)?;
                pc = 0;
                continue;
            }
            Instr::Return => {
                let value = stack
                    .pop()
                    .ok_or(Fault::Malformed("expression stack underflow"))?;
                let frame = frames
                    .pop()
                    .ok_or(Fault::Malformed("`return` outside a function"))?;
                stack.truncate(base);
                stack.push(value);
                (current, pc, base) = (frame.code, frame.pc, frame.base);
            }
            Instr::LoadLocal(slot) => {
                let value = stack
                    .get(base + *slot as usize)
                    .cloned()
                    .ok_or(Fault::Malformed("a local outside its frame"))?;
                stack.push(value);
            }
            Instr::StoreLocal(slot) => {
                let value = stack
                    .pop()
                    .ok_or(Fault::Malformed("expression stack underflow"))?;
                let place = stack
                    .get_mut(base + *slot as usize)
                    .ok_or(Fault::Malformed("a local outside its frame"))?;
                *place = value;
            }
            Instr::Skip(skip) => pc += *skip as usize,
            Instr::SkipUnless(skip) => match stack.pop() {
                Some(Value::Bool(true)) => {}
                Some(Value::Bool(false)) => pc += *skip as usize,
                _ => return Err(Fault::Malformed("a condition that is not a bool")),
            },
            other => step(env, stack, other, &mut pc)?,
        }
        pc += 1;
    }
    match (stack.pop(), stack.is_empty()) {
        (Some(value), true) => Ok(value),
        _ => Err(Fault::Malformed(
            "an expression that leaves no single value",
        )),
    }
}

/// Whether a host's value has the declared type (sets and enums by their
/// kind: the host cannot name another enum's values wrongly typed).
fn value_fits(value: &Value, ty: Type) -> bool {
    matches!(
        (value, ty),
        (Value::Int(_), Type::Int)
            | (Value::Bool(_), Type::Bool)
            | (Value::Text(_), Type::Text)
            | (Value::Enum(_), Type::Enum(_))
            | (Value::Set(_), Type::Set(_))
    )
}

/// One instruction that neither calls nor returns.
fn step(
    env: &mut impl Env,
    stack: &mut Vec<Value>,
    instr: &Instr,
    pc: &mut usize,
) -> Result<(), Fault> {
    match instr {
        Instr::Int(number) => stack.push(Value::Int(*number)),
        Instr::Push(value) => stack.push(Value::clone(value)),
        Instr::Load(var) => stack.push(env.load(*var)?),
        Instr::Local(slot) => stack.push(env.local(*slot)?),
        Instr::Turns => stack.push(Value::Int(env.turns()?)),
        Instr::Visits(scene) => stack.push(Value::Int(env.visits(*scene)?)),
        Instr::Taken(choice) => stack.push(Value::Bool(env.taken(*choice)?)),
        Instr::Random => {
            let hi = pop_int(stack)?;
            let lo = pop_int(stack)?;
            stack.push(Value::Int(env.random(lo, hi)?));
        }
        Instr::Count => match stack.pop() {
            Some(Value::Set(bits)) => stack.push(Value::Int(i64::from(bits.count_ones()))),
            _ => return Err(Fault::Malformed("count() of a non-set")),
        },
        Instr::Min | Instr::Max => {
            let right = pop_int(stack)?;
            let left = pop_int(stack)?;
            let value = if matches!(instr, Instr::Min) {
                left.min(right)
            } else {
                left.max(right)
            };
            stack.push(Value::Int(value));
        }
        Instr::MakeSet(count) => {
            let mut bits = 0;
            for _ in 0..*count {
                match stack.pop() {
                    Some(Value::Enum(index)) => bits |= bit(index)?,
                    _ => return Err(Fault::Malformed("a set element that is not an enum")),
                }
            }
            stack.push(Value::Set(bits));
        }
        Instr::Unary(op) => {
            let value = match (op, stack.pop()) {
                (UnaryOp::Neg, Some(Value::Int(number))) => {
                    Value::Int(number.checked_neg().ok_or(Fault::Overflow)?)
                }
                (UnaryOp::Not, Some(Value::Bool(flag))) => Value::Bool(!flag),
                _ => return Err(Fault::Malformed("a unary operator on the wrong type")),
            };
            stack.push(value);
        }
        Instr::Binary(op) => {
            let (Some(right), Some(left)) = (stack.pop(), stack.pop()) else {
                return Err(Fault::Malformed("expression stack underflow"));
            };
            stack.push(binary(*op, left, right)?);
        }
        Instr::AndThen(skip) | Instr::OrElse(skip) => {
            let short_on = matches!(instr, Instr::OrElse(_));
            match stack.last() {
                Some(Value::Bool(flag)) if *flag == short_on => *pc += *skip as usize,
                Some(Value::Bool(_)) => {
                    stack.pop();
                }
                _ => return Err(Fault::Malformed("`and`/`or` on a non-bool")),
            }
        }
        Instr::Call(_)
        | Instr::Return
        | Instr::LoadLocal(_)
        | Instr::StoreLocal(_)
        | Instr::Skip(_)
        | Instr::SkipUnless(_) => return Err(Fault::Malformed("a call outside `run`")),
    }
    Ok(())
}

/// The bit of enum variant `index` in a set.
pub(crate) fn bit(index: u32) -> Result<u64, Fault> {
    1u64.checked_shl(index)
        .ok_or(Fault::Malformed("enum value out of a set's range"))
}

fn pop_int(stack: &mut Vec<Value>) -> Result<i64, Fault> {
    match stack.pop() {
        Some(Value::Int(number)) => Ok(number),
        _ => Err(Fault::Malformed("expected an int on the expression stack")),
    }
}

/// `left op right`, also used by `+=` and `-=`.
pub(crate) fn binary(op: BinaryOp, left: Value, right: Value) -> Result<Value, Fault> {
    use BinaryOp::*;
    Ok(match (op, left, right) {
        (Add, Value::Int(a), Value::Int(b)) => Value::Int(a.checked_add(b).ok_or(Fault::Overflow)?),
        (Sub, Value::Int(a), Value::Int(b)) => Value::Int(a.checked_sub(b).ok_or(Fault::Overflow)?),
        (Mul, Value::Int(a), Value::Int(b)) => Value::Int(a.checked_mul(b).ok_or(Fault::Overflow)?),
        (Div | Rem, Value::Int(_), Value::Int(0)) => return Err(Fault::DivisionByZero),
        (Div, Value::Int(a), Value::Int(b)) => Value::Int(a.checked_div(b).ok_or(Fault::Overflow)?),
        (Rem, Value::Int(a), Value::Int(b)) => Value::Int(a.checked_rem(b).ok_or(Fault::Overflow)?),
        (Add, Value::Text(a), Value::Text(b)) => {
            if a.len().saturating_add(b.len()) > MAX_TEXT_LEN {
                return Err(Fault::TextTooLong);
            }
            let mut joined = String::with_capacity(a.len() + b.len());
            joined.push_str(&a);
            joined.push_str(&b);
            Value::Text(Arc::from(joined))
        }
        (Add, Value::Set(a), Value::Set(b)) => Value::Set(a | b),
        (Sub, Value::Set(a), Value::Set(b)) => Value::Set(a & !b),
        (Mul, Value::Set(a), Value::Set(b)) => Value::Set(a & b),
        (Add, Value::Set(a), Value::Enum(b)) => Value::Set(a | bit(b)?),
        (Sub, Value::Set(a), Value::Enum(b)) => Value::Set(a & !bit(b)?),
        (Lt, Value::Int(a), Value::Int(b)) => Value::Bool(a < b),
        (Le, Value::Int(a), Value::Int(b)) => Value::Bool(a <= b),
        (Gt, Value::Int(a), Value::Int(b)) => Value::Bool(a > b),
        (Ge, Value::Int(a), Value::Int(b)) => Value::Bool(a >= b),
        (In, Value::Enum(a), Value::Set(b)) => Value::Bool(b & bit(a)? != 0),
        (NotIn, Value::Enum(a), Value::Set(b)) => Value::Bool(b & bit(a)? == 0),
        (Eq | Ne, left, right) => {
            if std::mem::discriminant(&left) != std::mem::discriminant(&right) {
                return Err(Fault::Malformed("comparing values of different types"));
            }
            Value::Bool((left == right) == (op == Eq))
        }
        _ => return Err(Fault::Malformed("an operator on the wrong types")),
    })
}

/// Appends a value as a player reads it: ints and text as they are, enum
/// values by their display text, sets as a natural list in declaration
/// order (`Zinoviev, Kamenev and Bukharin`; nothing when empty). It never
/// panics on a malformed story.
pub(crate) fn display(
    story: &Story,
    value: &Value,
    ty: Type,
    out: &mut String,
) -> Result<(), Fault> {
    use std::fmt::Write as _;
    let found = |id: EnumId| {
        story
            .enums
            .get(id.index())
            .ok_or(Fault::Malformed("unknown enum"))
    };
    match (value, ty) {
        (Value::Int(number), _) => {
            let _ = write!(out, "{number}");
        }
        (Value::Bool(flag), _) => out.push_str(if *flag { "true" } else { "false" }),
        (Value::Text(text), _) => out.push_str(text),
        (Value::Enum(variant), Type::Enum(id)) => {
            let name = found(id)?
                .shown(*variant as usize)
                .ok_or(Fault::Malformed("unknown enum value"))?;
            out.push_str(name);
        }
        (Value::Set(bits), Type::Set(id)) => {
            for (position, count, name) in members(found(id)?, *bits) {
                out.push_str(separator(position, count));
                out.push_str(name);
            }
        }
        _ => return Err(Fault::Malformed("a value that does not match its type")),
    }
    Ok(())
}

/// The members of a set, each with its position among them and how many
/// there are, by their display text in declaration order.
fn members(found: &super::Enum, bits: u64) -> impl Iterator<Item = (usize, usize, &str)> {
    let size = found.variants.len().min(64);
    let count = (0..size).filter(|index| bits & (1 << index) != 0).count();
    (0..size)
        .filter(move |index| bits & (1 << index) != 0)
        .enumerate()
        .map(move |(position, index)| (position, count, found.shown(index).unwrap_or_default()))
}

/// What comes before the member at `position` of a natural list of
/// `count`: nothing, `, `, or ` and ` before the last.
fn separator(position: usize, count: usize) -> &'static str {
    match position {
        0 => "",
        last if last + 1 == count => " and ",
        _ => ", ",
    }
}

/// How many bytes [`display`] appends for a value, without building it:
/// counted even when no text is wanted, so a paragraph's length limit holds
/// the same with and without text. A value that does not match its type
/// counts as empty; [`display`] reports it.
pub(crate) fn display_len(story: &Story, value: &Value, ty: Type) -> usize {
    let found = |id: EnumId| story.enums.get(id.index());
    match (value, ty) {
        (Value::Int(number), _) => {
            let digits = number.unsigned_abs().checked_ilog10().unwrap_or(0) as usize + 1;
            digits + usize::from(*number < 0)
        }
        (Value::Bool(flag), _) => {
            if *flag {
                4
            } else {
                5
            }
        }
        (Value::Text(text), _) => text.len(),
        (Value::Enum(variant), Type::Enum(id)) => found(id)
            .and_then(|found| found.shown(*variant as usize))
            .map_or(0, str::len),
        (Value::Set(bits), Type::Set(id)) => found(id).map_or(0, |found| {
            members(found, *bits)
                .map(|(position, count, name)| separator(position, count).len() + name.len())
                .sum()
        }),
        _ => 0,
    }
}

/// The most bytes [`display`] can append for any value of type `ty`: the
/// bound the explorer needs for a value it does not keep (an int's twenty
/// characters, a text's [`MAX_TEXT_LEN`], an enum's longest name, a set
/// with every member and separator).
pub(crate) fn longest_display(story: &Story, ty: Type) -> usize {
    let found = |id: EnumId| story.enums.get(id.index());
    match ty {
        Type::Int => 20,
        Type::Bool => 5,
        Type::Text => MAX_TEXT_LEN,
        Type::Enum(id) => found(id).map_or(0, |found| {
            (0..found.variants.len())
                .filter_map(|index| found.shown(index))
                .map(str::len)
                .max()
                .unwrap_or(0)
        }),
        Type::Set(id) => found(id).map_or(0, |found| {
            (0..found.variants.len())
                .filter_map(|index| found.shown(index))
                .map(|name| name.len().saturating_add(" and ".len()))
                .fold(0, usize::saturating_add)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_is_checked() {
        use BinaryOp::*;
        let int = Value::Int;
        assert!(matches!(
            binary(Add, int(i64::MAX), int(1)),
            Err(Fault::Overflow)
        ));
        assert!(matches!(
            binary(Div, int(1), int(0)),
            Err(Fault::DivisionByZero)
        ));
        assert!(matches!(
            binary(Rem, int(1), int(0)),
            Err(Fault::DivisionByZero)
        ));
        assert!(matches!(
            binary(Div, int(i64::MIN), int(-1)),
            Err(Fault::Overflow)
        ));
        assert_eq!(binary(Rem, int(7), int(3)).unwrap(), int(1));
        assert_eq!(
            binary(Add, Value::Set(0b01), Value::Enum(1)).unwrap(),
            Value::Set(0b11)
        );
        assert!(matches!(
            binary(Add, Value::Set(0), Value::Enum(64)),
            Err(Fault::Malformed(_))
        ));
        // Intersection.
        assert_eq!(
            binary(Mul, Value::Set(0b0111), Value::Set(0b1101)).unwrap(),
            Value::Set(0b0101)
        );
    }

    #[test]
    fn text_concatenation_is_bounded() {
        let half = Value::Text(Arc::from("x".repeat(MAX_TEXT_LEN / 2)));
        let full = binary(BinaryOp::Add, half.clone(), half.clone()).unwrap();
        assert!(matches!(&full, Value::Text(text) if text.len() == MAX_TEXT_LEN));
        assert!(matches!(
            binary(BinaryOp::Add, full, Value::Text(Arc::from("y"))),
            Err(Fault::TextTooLong)
        ));
    }

    #[test]
    fn display_len_counts_what_display_writes() {
        let text = "title: T\nenum Post { secretary \"General Secretary\", orgburo, war }\nvar posts = {secretary, war}\n== a\n{posts}\n-> ending b\n== ending b\nB.\n";
        let mut read = |_: &std::path::Path| Ok(text.as_bytes().to_vec());
        let loaded = crate::compile::compile(std::path::Path::new("t.fab"), &mut read).unwrap();
        let story = loaded.story.expect("the story compiles");
        let post = Type::Enum(EnumId(0));
        let posts = Type::Set(EnumId(0));
        for (value, ty) in [
            (Value::Enum(1), post),
            (Value::Set(0), posts),
            (Value::Set(0b100), posts),
            (Value::Set(0b111), posts),
            (Value::Set(0b011), posts),
            (Value::Set(0b001), posts),
            (Value::Int(0), Type::Int),
            (Value::Int(9), Type::Int),
            (Value::Int(10), Type::Int),
            (Value::Int(-10), Type::Int),
            (Value::Int(i64::MIN), Type::Int),
            (Value::Int(i64::MAX), Type::Int),
            (Value::Bool(true), Type::Bool),
            (Value::Bool(false), Type::Bool),
            (Value::Text(Arc::from("héllo")), Type::Text),
        ] {
            let mut out = String::new();
            display(&story, &value, ty, &mut out).unwrap();
            assert_eq!(display_len(&story, &value, ty), out.len(), "{value:?}");
        }
        let shown = |value: Value, ty: Type| {
            let mut out = String::new();
            display(&story, &value, ty, &mut out).unwrap();
            out
        };
        assert_eq!(shown(Value::Enum(0), post), "General Secretary");
        assert_eq!(shown(Value::Enum(1), post), "orgburo");
        assert_eq!(shown(Value::Set(0), posts), "");
        assert_eq!(shown(Value::Set(0b100), posts), "war");
        assert_eq!(shown(Value::Set(0b101), posts), "General Secretary and war");
        assert_eq!(
            shown(Value::Set(0b111), posts),
            "General Secretary, orgburo and war"
        );
    }
}
