//! [`VarValue`]: a story variable's value as a game sees it, enum values by
//! name; and the conversions to and from the runtime's [`Value`].

use std::fmt;
use std::sync::Arc;

use crate::graph::{Story, Type, Value};

/// A variable's value, enum values by name. Ints, bools, texts and sets
/// convert into it (`session.set("apparatus", 3)`, `set("letter_sent",
/// true)`, `set("posts", ["orgburo", "secretariat"])`); a text given to an
/// enum variable is taken as the name of its value (`set("faction",
/// "left")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarValue {
    /// `var apparatus = 0`.
    Int(i64),
    /// `var letter_sent = false`.
    Bool(bool),
    /// `var rumour = "none"`.
    Text(String),
    /// A value of an `enum`, by name.
    Enum(String),
    /// A set of values of an `enum`, by name, in the enum's order.
    Set(Vec<String>),
}

/// A variable's type, enums by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarType {
    /// `int`.
    Int,
    /// `bool`.
    Bool,
    /// `text`.
    Text,
    /// An `enum`, with its name.
    Enum(String),
    /// A set of an `enum`'s values, with the enum's name.
    Set(String),
}

impl VarType {
    pub(crate) fn of(story: &Story, ty: Type) -> VarType {
        let name = |id: crate::graph::EnumId| {
            story
                .enums
                .get(id.index())
                .map_or_else(|| format!("#{}", id.0), |found| found.name.clone())
        };
        match ty {
            Type::Int => VarType::Int,
            Type::Bool => VarType::Bool,
            Type::Text => VarType::Text,
            Type::Enum(id) => VarType::Enum(name(id)),
            Type::Set(id) => VarType::Set(name(id)),
        }
    }
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarType::Int => f.write_str("an int"),
            VarType::Bool => f.write_str("a bool"),
            VarType::Text => f.write_str("a text"),
            VarType::Enum(name) => write!(f, "a `{name}`"),
            VarType::Set(name) => write!(f, "a set of `{name}`"),
        }
    }
}

impl VarValue {
    /// What kind of value it is, for error messages: `a bool`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            VarValue::Int(_) => "an int",
            VarValue::Bool(_) => "a bool",
            VarValue::Text(_) => "a text",
            VarValue::Enum(_) => "an enum value",
            VarValue::Set(_) => "a set",
        }
    }

    /// The runtime's value, by name.
    pub(crate) fn of(story: &Story, value: &Value, ty: Type) -> VarValue {
        let variant = |id: crate::graph::EnumId, index: u32| {
            story
                .enums
                .get(id.index())
                .and_then(|found| found.variants.get(index as usize))
                .cloned()
                .unwrap_or_else(|| format!("#{index}"))
        };
        match (value, ty) {
            (Value::Int(number), _) => VarValue::Int(*number),
            (Value::Bool(flag), _) => VarValue::Bool(*flag),
            (Value::Text(text), _) => VarValue::Text(text.to_string()),
            (Value::Enum(index), Type::Enum(id)) => VarValue::Enum(variant(id, *index)),
            (Value::Set(bits), Type::Set(id)) => VarValue::Set(
                (0..64)
                    .filter(|index| bits & (1 << index) != 0)
                    .map(|index| variant(id, index))
                    .collect(),
            ),
            (Value::Enum(index), _) => VarValue::Enum(format!("#{index}")),
            (Value::Set(bits), _) => VarValue::Set(vec![format!("{bits:#x}")]),
        }
    }
}

/// Why a [`VarValue`] does not fit a variable's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mismatch {
    /// Another kind of value.
    Type,
    /// A name that is not one of the enum's values.
    Variant(String),
}

/// The runtime's value for `value`, checked against the variable's type.
pub(crate) fn to_value(story: &Story, value: VarValue, ty: Type) -> Result<Value, Mismatch> {
    let variant = |id: crate::graph::EnumId, name: &str| {
        story
            .enums
            .get(id.index())
            .and_then(|found| found.variants.iter().position(|variant| variant == name))
            .map(|index| index as u32)
            .ok_or_else(|| Mismatch::Variant(name.to_string()))
    };
    Ok(match (value, ty) {
        (VarValue::Int(number), Type::Int) => Value::Int(number),
        (VarValue::Bool(flag), Type::Bool) => Value::Bool(flag),
        (VarValue::Text(text), Type::Text) => Value::Text(Arc::from(text)),
        (VarValue::Enum(name) | VarValue::Text(name), Type::Enum(id)) => {
            Value::Enum(variant(id, &name)?)
        }
        (VarValue::Set(names), Type::Set(id)) => {
            let mut bits = 0u64;
            for name in names {
                // The checker refuses a set of an enum beyond 64 values.
                bits |= 1u64
                    .checked_shl(variant(id, &name)?)
                    .ok_or(Mismatch::Variant(name))?;
            }
            Value::Set(bits)
        }
        _ => return Err(Mismatch::Type),
    })
}

impl fmt::Display for VarValue {
    /// As the story shows it: `3`, `true`, `text`, `left`, `orgburo, secretariat`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarValue::Int(number) => number.fmt(f),
            VarValue::Bool(flag) => flag.fmt(f),
            VarValue::Text(text) | VarValue::Enum(text) => f.write_str(text),
            VarValue::Set(names) => f.write_str(&names.join(", ")),
        }
    }
}

impl From<i64> for VarValue {
    fn from(number: i64) -> VarValue {
        VarValue::Int(number)
    }
}

/// So that `set("apparatus", 3)` works: an integer literal is an `i32`.
impl From<i32> for VarValue {
    fn from(number: i32) -> VarValue {
        VarValue::Int(number.into())
    }
}

impl From<bool> for VarValue {
    fn from(flag: bool) -> VarValue {
        VarValue::Bool(flag)
    }
}

impl From<&str> for VarValue {
    fn from(text: &str) -> VarValue {
        VarValue::Text(text.to_string())
    }
}

impl From<String> for VarValue {
    fn from(text: String) -> VarValue {
        VarValue::Text(text)
    }
}

impl From<&[&str]> for VarValue {
    fn from(names: &[&str]) -> VarValue {
        VarValue::Set(names.iter().map(|name| name.to_string()).collect())
    }
}

impl<const N: usize> From<[&str; N]> for VarValue {
    fn from(names: [&str; N]) -> VarValue {
        VarValue::from(&names[..])
    }
}

impl From<Vec<String>> for VarValue {
    fn from(names: Vec<String>) -> VarValue {
        VarValue::Set(names)
    }
}
