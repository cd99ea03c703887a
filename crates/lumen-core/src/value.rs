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
///
/// Layout (relied on by native code, see `docs/jit.md`): `#[repr(u8)]` makes the enum a
/// tag byte at offset 0 followed by the variant's fields laid out as a `#[repr(C)]`
/// struct: the `Bool` payload at offset 1, `Int`/`Float` and heap pointers (`Rc`) at
/// offset 8; 16 bytes in all. The tag numbers are the `TAG_*` constants.
#[derive(Clone, Debug, Default)]
#[repr(u8)]
pub enum Value {
    #[default]
    Null = TAG_NULL,
    Bool(bool) = TAG_BOOL,
    Int(i64) = TAG_INT,
    Float(f64) = TAG_FLOAT,
    Str(Rc<Str>) = TAG_STR,
    List(Rc<List>) = TAG_LIST,
    Tuple(Rc<Tuple>) = TAG_TUPLE,
    Map(Rc<Map>) = TAG_MAP,
    Record(Rc<Record>) = TAG_RECORD,
    Variant(Rc<Variant>) = TAG_VARIANT,
    Ok(Rc<Boxed>) = TAG_OK,
    Err(Rc<Boxed>) = TAG_ERR,
    Fn(Rc<Closure>) = TAG_FN,
}

/// Tag byte of [`Value::Null`].
pub const TAG_NULL: u8 = 0;
/// Tag byte of [`Value::Bool`].
pub const TAG_BOOL: u8 = 1;
/// Tag byte of [`Value::Int`].
pub const TAG_INT: u8 = 2;
/// Tag byte of [`Value::Float`].
pub const TAG_FLOAT: u8 = 3;
/// Tag byte of [`Value::Str`]; this and every larger tag owns a heap object.
pub const TAG_STR: u8 = 4;
/// Tag byte of [`Value::List`].
pub const TAG_LIST: u8 = 5;
/// Tag byte of [`Value::Tuple`].
pub const TAG_TUPLE: u8 = 6;
/// Tag byte of [`Value::Map`].
pub const TAG_MAP: u8 = 7;
/// Tag byte of [`Value::Record`].
pub const TAG_RECORD: u8 = 8;
/// Tag byte of [`Value::Variant`].
pub const TAG_VARIANT: u8 = 9;
/// Tag byte of [`Value::Ok`].
pub const TAG_OK: u8 = 10;
/// Tag byte of [`Value::Err`].
pub const TAG_ERR: u8 = 11;
/// Tag byte of [`Value::Fn`].
pub const TAG_FN: u8 = 12;
/// Size of a [`Value`] in bytes.
pub const VALUE_SIZE: usize = 16;
/// Offset of the `Bool` payload.
pub const VALUE_BOOL_OFFSET: usize = 1;
/// Offset of the `Int`/`Float` payload and of heap pointers.
pub const VALUE_PAYLOAD_OFFSET: usize = 8;

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
    fn layout_is_the_documented_one() {
        use std::mem::size_of;
        assert_eq!(size_of::<Value>(), VALUE_SIZE);
        assert_eq!(size_of::<Option<Value>>(), VALUE_SIZE);
        let bytes = |v: &Value| {
            // SAFETY: reads the payload bytes the documented layout defines for `v`.
            unsafe {
                let p = v as *const Value as *const u8;
                (
                    *p.add(VALUE_BOOL_OFFSET),
                    (p.add(VALUE_PAYLOAD_OFFSET) as *const u64).read_unaligned(),
                )
            }
        };
        assert_eq!(bytes(&Value::Bool(true)).0, 1);
        assert_eq!(bytes(&Value::Int(-7)).1, -7i64 as u64);
        assert_eq!(bytes(&Value::Float(2.5)).1, 2.5f64.to_bits());
        let rc = Rc::new(List::default());
        let addr = Rc::as_ptr(&rc) as usize;
        let l = Value::List(rc);
        // An `Rc` points a fixed distance before its value (at its reference counts).
        let stored = bytes(&l).1 as usize;
        assert!(stored <= addr && addr - stored <= 32);
        let tag = |v: &Value| {
            // SAFETY: a `#[repr(u8)]` enum starts with its tag byte.
            unsafe { *(v as *const Value as *const u8) }
        };
        assert_eq!(tag(&Value::Null), TAG_NULL);
        assert_eq!(tag(&Value::Bool(true)), TAG_BOOL);
        assert_eq!(tag(&Value::Int(3)), TAG_INT);
        assert_eq!(tag(&Value::Float(1.5)), TAG_FLOAT);
        assert_eq!(tag(&Value::str("a")), TAG_STR);
        assert_eq!(tag(&Value::list(vec![])), TAG_LIST);
        assert_eq!(tag(&Value::tuple(vec![])), TAG_TUPLE);
        assert_eq!(tag(&Value::Map(Rc::default())), TAG_MAP);
        assert_eq!(tag(&Value::ok(Value::Null)), TAG_OK);
        assert_eq!(tag(&Value::err(Value::Null)), TAG_ERR);
    }

    #[test]
    fn str_counts_chars() {
        let s = Str::new("héllo".to_string());
        assert_eq!(s.char_len(), 5);
        assert!(!s.is_ascii());
        assert!(Str::new("abc".into()).is_ascii());
    }
}
