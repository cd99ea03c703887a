//! The value model shared by every tier.
//!
//! Scalars (`Int`, `Float`, `Bool`, `Null`) are stored inline; every other value is a
//! reference-counted heap object with copy-on-write semantics: mutation goes through
//! [`Rc::make_mut`], which copies the object only when it is shared, so a uniquely held
//! list is updated in place (O(1) `xs[i] = v`, amortised O(1) `append`).
//!
//! Heap objects never form cycles (Lumen has no mutable sharing), so reference counting
//! frees everything. Dropping is iterative (see [`drop_iteratively`]): freeing a chain of a
//! million nested enum values must not recurse on the native stack.

use std::collections::BTreeMap;
use std::rc::Rc;

/// Index of a record or enum declaration in [`crate::lir::TypeTable`].
pub type TypeId = u32;
/// Index of a cell (function) in a [`crate::lir::LirModule`].
pub type CellId = u32;

/// A Lumen value.
///
/// `PartialEq` is Lumen's structural `==` (see [`crate::ops::values_equal`]), so `NaN != NaN`
/// and `Int(1) == Float(1.0)`; tests compare results with `==` as the product brief shows.
#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<Str>),
    List(Rc<List>),
    Tuple(Rc<Tuple>),
    Map(Rc<Map>),
    Record(Rc<Record>),
    Variant(Rc<Variant>),
    Ok(Rc<Boxed>),
    Err(Rc<Boxed>),
    Fn(Rc<Closure>),
}

/// An immutable UTF-8 string that knows its length in characters (O(1) `len`), and
/// whether it is ASCII (O(1) `s[i]`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str {
    text: String,
    chars: usize,
}

impl Str {
    /// Wraps `text`, counting its characters once.
    pub fn new(text: String) -> Str {
        let chars = text.chars().count();
        Str { text, chars }
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
    /// Number of Unicode scalar values.
    pub fn char_len(&self) -> usize {
        self.chars
    }
    /// True when every character is one byte, so character indices are byte indices.
    pub fn is_ascii(&self) -> bool {
        self.chars == self.text.len()
    }
    /// Appends in place (callers use this on a uniquely held string).
    pub fn push_str(&mut self, s: &str) {
        self.chars += s.chars().count();
        self.text.push_str(s);
    }
    /// Appends another `Str` without recounting its characters.
    pub fn push(&mut self, other: &Str) {
        self.chars += other.chars;
        self.text.push_str(&other.text);
    }
    /// Consumes the string, returning its text.
    pub fn into_string(self) -> String {
        self.text
    }
}

/// A list: `list[T]`.
#[derive(Clone, Debug, Default)]
pub struct List {
    pub items: Vec<Value>,
}

/// A tuple of two or more elements.
#[derive(Clone, Debug)]
pub struct Tuple {
    pub items: Vec<Value>,
}

/// A map key: `map[K, V]` keys are Strings or Ints. Ordering is the language's key order
/// (Int ascending, String byte-wise); a map never mixes the two kinds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MapKey {
    Int(i64),
    Str(Rc<Str>),
}

/// A map kept in key order.
#[derive(Clone, Debug, Default)]
pub struct Map {
    pub entries: BTreeMap<MapKey, Value>,
}

/// A record value; `fields` are in declaration order.
#[derive(Clone, Debug)]
pub struct Record {
    pub type_id: TypeId,
    pub fields: Vec<Value>,
}

/// An enum value: which enum, which variant (declaration index), and the payload.
#[derive(Clone, Debug)]
pub struct Variant {
    pub type_id: TypeId,
    pub tag: u32,
    pub payload: Vec<Value>,
}

/// The payload of `ok(v)` / `err(e)`.
#[derive(Clone, Debug)]
pub struct Boxed {
    pub value: Value,
}

/// A function value: a cell (no captures) or a lambda with its captured values.
#[derive(Clone, Debug)]
pub struct Closure {
    pub cell: CellId,
    pub captures: Vec<Value>,
}

impl Value {
    /// A new String value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(Rc::new(Str::new(s.into())))
    }
    /// A new list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(List { items }))
    }
    /// A new tuple value.
    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(Rc::new(Tuple { items }))
    }
    /// `ok(v)`.
    pub fn ok(value: Value) -> Value {
        Value::Ok(Rc::new(Boxed { value }))
    }
    /// `err(e)`.
    pub fn err(value: Value) -> Value {
        Value::Err(Rc::new(Boxed { value }))
    }
    /// True for the values stored inline (no heap object).
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_)
        )
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::str(v)
    }
}

// ---------------------------------------------------------------------------------------
// Iterative freeing.
// ---------------------------------------------------------------------------------------

/// Frees `values` without recursion: every uniquely held heap child is emptied into a
/// work list before its (now childless) object is dropped.
pub fn drop_iteratively(values: Vec<Value>) {
    let mut work = values;
    while let Some(v) = work.pop() {
        take_children(v, &mut work);
    }
}

/// If `v` is the last reference to a heap object, moves its children into `work`; the
/// emptied object is then freed here, so its own `Drop` has nothing left to recurse into.
fn take_children(v: Value, work: &mut Vec<Value>) {
    match v {
        Value::List(rc) => {
            if let Some(mut o) = Rc::into_inner(rc) {
                work.append(&mut o.items);
            }
        }
        Value::Tuple(rc) => {
            if let Some(mut o) = Rc::into_inner(rc) {
                work.append(&mut o.items);
            }
        }
        Value::Record(rc) => {
            if let Some(mut o) = Rc::into_inner(rc) {
                work.append(&mut o.fields);
            }
        }
        Value::Variant(rc) => {
            if let Some(mut o) = Rc::into_inner(rc) {
                work.append(&mut o.payload);
            }
        }
        Value::Fn(rc) => {
            if let Some(mut o) = Rc::into_inner(rc) {
                work.append(&mut o.captures);
            }
        }
        Value::Ok(rc) | Value::Err(rc) => {
            if let Some(mut o) = Rc::into_inner(rc) {
                work.push(std::mem::take(&mut o.value));
            }
        }
        Value::Map(rc) => {
            if let Some(mut o) = Rc::into_inner(rc) {
                let entries = std::mem::take(&mut o.entries);
                work.extend(entries.into_values());
            }
        }
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_) => {}
    }
}

/// Shared `Drop` body: children that are scalars or shared drop normally (no recursion);
/// only uniquely held heap children could nest deeply, and those go to the work list.
fn drop_children(children: &mut Vec<Value>) {
    if children
        .iter()
        .all(|c| c.is_scalar() || matches!(c, Value::Str(_)))
    {
        return;
    }
    drop_iteratively(std::mem::take(children));
}

impl Drop for List {
    fn drop(&mut self) {
        drop_children(&mut self.items);
    }
}
impl Drop for Tuple {
    fn drop(&mut self) {
        drop_children(&mut self.items);
    }
}
impl Drop for Record {
    fn drop(&mut self) {
        drop_children(&mut self.fields);
    }
}
impl Drop for Variant {
    fn drop(&mut self) {
        drop_children(&mut self.payload);
    }
}
impl Drop for Closure {
    fn drop(&mut self) {
        drop_children(&mut self.captures);
    }
}
impl Drop for Boxed {
    fn drop(&mut self) {
        if !self.value.is_scalar() {
            drop_iteratively(vec![std::mem::take(&mut self.value)]);
        }
    }
}
impl Drop for Map {
    fn drop(&mut self) {
        if self.entries.values().any(|v| !v.is_scalar()) {
            let entries = std::mem::take(&mut self.entries);
            drop_iteratively(entries.into_values().collect());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_chain_frees_without_overflow() {
        let mut v = Value::Null;
        for i in 0..1_000_000 {
            v = Value::Variant(Rc::new(Variant {
                type_id: 0,
                tag: 1,
                payload: vec![Value::Int(i), v],
            }));
        }
        drop(v);
        let mut v = Value::Null;
        for _ in 0..1_000_000 {
            v = Value::ok(v);
        }
        drop(v);
    }

    #[test]
    fn str_counts_chars() {
        let s = Str::new("héllo".to_string());
        assert_eq!(s.char_len(), 5);
        assert!(!s.is_ascii());
        assert!(Str::new("abc".into()).is_ascii());
    }
}
