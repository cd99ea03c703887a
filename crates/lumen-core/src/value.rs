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

pub use crate::map::Entries;
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
/// Layout (relied on by native code, see `docs/jit.md`): a tag byte at offset 0 (the
/// `TAG_*` constants, in declaration order), the `Bool` payload at offset 1, `Int`/`Float`
/// and heap pointers (`Rc`) at offset 8; 16 bytes in all. That is the layout rustc gives
/// this enum. `#[repr(u8)]` with explicit discriminants would guarantee it, but made the
/// interpreter's calls markedly slower (fib: 117 → 173 ms user time), so the layout is
/// asserted instead by [`check_layout`] (a unit test, and the JIT before it compiles).
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

/// The tag byte of `v` (one of the `TAG_*` constants).
pub fn tag_of(v: &Value) -> u8 {
    match v {
        Value::Null => TAG_NULL,
        Value::Bool(_) => TAG_BOOL,
        Value::Int(_) => TAG_INT,
        Value::Float(_) => TAG_FLOAT,
        Value::Str(_) => TAG_STR,
        Value::List(_) => TAG_LIST,
        Value::Tuple(_) => TAG_TUPLE,
        Value::Map(_) => TAG_MAP,
        Value::Record(_) => TAG_RECORD,
        Value::Variant(_) => TAG_VARIANT,
        Value::Ok(_) => TAG_OK,
        Value::Err(_) => TAG_ERR,
        Value::Fn(_) => TAG_FN,
    }
}
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
    /// Wraps `text`, counting its characters once (an ASCII check first: a word at a
    /// time, where counting goes byte by byte through short strings).
    #[inline]
    pub fn new(text: String) -> Str {
        let chars = if text.is_ascii() {
            text.len()
        } else {
            text.chars().count()
        };
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

thread_local! {
    /// The shared one-character Strings of the ASCII characters ([`Value::char`]), made
    /// on first use.
    static ASCII_CHARS: [std::cell::OnceCell<Value>; 128] =
        const { [const { std::cell::OnceCell::new() }; 128] };
}

/// The one-character String `c`, shared from `table` when ASCII.
fn one_char(table: &[std::cell::OnceCell<Value>; 128], c: char) -> Value {
    match table.get(c as usize) {
        Some(cell) => cell.get_or_init(|| Value::str(c.to_string())).clone(),
        None => Value::str(c.to_string()),
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
    Str(StrKey),
}

impl MapKey {
    /// The key of String `s`.
    pub fn str(s: Rc<Str>) -> MapKey {
        MapKey::Str(StrKey::new(s))
    }
}

/// A String map key with its first eight bytes kept beside it as a big-endian number.
/// A map lookup compares the searched key with a handful of keys; most differ within
/// their first eight bytes, and those comparisons are one integer comparison, with no
/// visit to either string.
#[derive(Clone, Debug)]
pub struct StrKey {
    prefix: u64,
    text: Rc<Str>,
}

impl StrKey {
    /// Wraps `text`, reading its prefix once.
    #[inline]
    pub fn new(text: Rc<Str>) -> StrKey {
        let bytes = text.as_str().as_bytes();
        let prefix = match bytes.first_chunk::<8>() {
            Some(head) => u64::from_be_bytes(*head),
            None => bytes
                .iter()
                .enumerate()
                .fold(0, |p, (i, &b)| p | (b as u64) << (56 - 8 * i)),
        };
        StrKey { prefix, text }
    }
    /// The string.
    pub fn get(&self) -> &Rc<Str> {
        &self.text
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }
}

impl PartialEq for StrKey {
    #[inline]
    fn eq(&self, other: &StrKey) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for StrKey {}

impl std::hash::Hash for StrKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for StrKey {
    #[inline]
    fn partial_cmp(&self, other: &StrKey) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for StrKey {
    /// Byte-wise order. The prefixes are the first eight bytes padded with zeros, so
    /// where they differ they order as the strings do (a string ending inside the
    /// prefix pads with 0, which sorts before every byte the other could have there);
    /// equal prefixes say nothing, and the whole strings decide.
    #[inline]
    fn cmp(&self, other: &StrKey) -> std::cmp::Ordering {
        self.prefix.cmp(&other.prefix).then_with(|| {
            let (a, b) = (self.as_str().as_bytes(), other.as_str().as_bytes());
            if a.len() <= 8 && b.len() <= 8 {
                // The prefixes hold both strings whole: the shorter is a prefix of
                // the longer.
                a.len().cmp(&b.len())
            } else {
                a.cmp(b)
            }
        })
    }
}

/// A map: its entries walk in key order ([`Entries`]).
#[derive(Clone, Debug, Default)]
pub struct Map {
    pub entries: Entries,
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
    /// The one-character String `c`. An ASCII character's is shared (one per thread,
    /// made on first use): iterating a string or indexing it gives one per character,
    /// and values are immutable, so sharing them is unobservable.
    pub fn char(c: char) -> Value {
        ASCII_CHARS.with(|t| one_char(t, c))
    }
    /// The one-character Strings of the characters of `s`, in order ([`Value::char`]
    /// of each).
    pub fn chars_of(s: &Str) -> Vec<Value> {
        let mut out = Vec::with_capacity(s.char_len());
        ASCII_CHARS.with(|t| out.extend(s.as_str().chars().map(|c| one_char(t, c))));
        out
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

/// Checks that [`Value`] has the layout native code relies on (see [`Value`]): the tag
/// of every variant, the payload offsets and the size. `Err` names the first mismatch.
pub fn check_layout() -> Result<(), String> {
    if std::mem::size_of::<Value>() != VALUE_SIZE {
        return Err(format!("Value is {} bytes", std::mem::size_of::<Value>()));
    }
    let byte = |v: &Value, at: usize| {
        // SAFETY: `at < 16 = size_of::<Value>()`; every byte of these values is
        // initialised (written by the constructor or, for the padding of `Null`/`Bool`,
        // read as a byte value only at offsets the variant defines).
        unsafe { *(v as *const Value as *const u8).add(at) }
    };
    let word = |v: &Value| {
        // SAFETY: the 8 bytes at the payload offset are inside the value and are the
        // payload of the variants this is called on.
        unsafe {
            ((v as *const Value as *const u8).add(VALUE_PAYLOAD_OFFSET) as *const u64)
                .read_unaligned()
        }
    };
    let f = Value::Fn(Rc::new(Closure {
        cell: 0,
        captures: Vec::new(),
    }));
    let r = Value::Record(Rc::new(Record {
        type_id: 0,
        fields: Vec::new(),
    }));
    let e = Value::Variant(Rc::new(Variant {
        type_id: 0,
        tag: 0,
        payload: Vec::new(),
    }));
    let tags = [
        (Value::Null, TAG_NULL),
        (Value::Bool(true), TAG_BOOL),
        (Value::Int(3), TAG_INT),
        (Value::Float(1.5), TAG_FLOAT),
        (Value::str("a"), TAG_STR),
        (Value::list(Vec::new()), TAG_LIST),
        (Value::tuple(Vec::new()), TAG_TUPLE),
        (Value::Map(Rc::default()), TAG_MAP),
        (r, TAG_RECORD),
        (e, TAG_VARIANT),
        (Value::ok(Value::Null), TAG_OK),
        (Value::err(Value::Null), TAG_ERR),
        (f, TAG_FN),
    ];
    for (v, tag) in &tags {
        if byte(v, 0) != *tag {
            return Err(format!("tag of {v:?} is {}, not {tag}", byte(v, 0)));
        }
    }
    if byte(&Value::Bool(true), VALUE_BOOL_OFFSET) != 1 {
        return Err("Bool payload is not at its offset".into());
    }
    if word(&Value::Int(-7)) != -7i64 as u64 || word(&Value::Float(2.5)) != 2.5f64.to_bits() {
        return Err("Int/Float payload is not at its offset".into());
    }
    let rc = Rc::new(List::default());
    let addr = Rc::as_ptr(&rc) as usize;
    let stored = word(&Value::List(rc)) as usize;
    // An `Rc` points a fixed small distance before its value (at its counts).
    if !(stored <= addr && addr - stored <= 32) {
        return Err("heap pointer is not at the payload offset".into());
    }
    Ok(())
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
                work.extend(entries.into_unordered_values());
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
        if self.entries.unordered().any(|(_, v)| !v.is_scalar()) {
            let entries = std::mem::take(&mut self.entries);
            drop_iteratively(entries.into_unordered_values().collect());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(s: &str) -> StrKey {
        StrKey::new(Rc::new(Str::new(s.to_string())))
    }

    #[test]
    fn string_keys_order_byte_wise_at_the_prefix_edges() {
        // Each is less than the next: ends inside the prefix, a NUL where the other
        // ends, exactly eight bytes, equal prefixes with different tails.
        let sorted = [
            "",
            "\0",
            "a",
            "a\0",
            "a\0\0",
            "ab",
            "abcdefg",
            "abcdefg\0",
            "abcdefg\0x",
            "abcdefgh",
            "abcdefgh\0",
            "abcdefghi",
            "abcdefghj",
            "abcdefgi",
            "é",
            "ü",
        ];
        for (i, a) in sorted.iter().enumerate() {
            for (j, b) in sorted.iter().enumerate() {
                assert_eq!(key(a).cmp(&key(b)), i.cmp(&j), "{a:?} vs {b:?}");
                assert_eq!(key(a) == key(b), i == j, "{a:?} == {b:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn string_keys_order_as_their_bytes(a in "[a-c\\x00é]{0,12}", b in "[a-c\\x00é]{0,12}") {
            prop_assert_eq!(key(&a).cmp(&key(&b)), a.as_bytes().cmp(b.as_bytes()));
            prop_assert_eq!(key(&a) == key(&b), a == b);
        }
    }

    #[test]
    fn ascii_characters_are_shared_strings() {
        let (a, b) = (Value::char(';'), Value::char(';'));
        assert_eq!(a, Value::str(";"));
        match (&a, &b) {
            (Value::Str(x), Value::Str(y)) => assert!(Rc::ptr_eq(x, y)),
            _ => panic!("not strings"),
        }
        let (e, f) = (Value::char('é'), Value::char('é'));
        assert_eq!(e, Value::str("é"));
        match (&e, &f) {
            (Value::Str(x), Value::Str(y)) => assert!(!Rc::ptr_eq(x, y)),
            _ => panic!("not strings"),
        }
        // A string's characters are those values, the ASCII ones shared with `char`.
        let chars = Value::chars_of(&Str::new("a;é\0".to_string()));
        let want: Vec<Value> = ["a", ";", "é", "\0"].into_iter().map(Value::str).collect();
        assert_eq!(chars, want);
        match (&chars[1], &a) {
            (Value::Str(x), Value::Str(y)) => assert!(Rc::ptr_eq(x, y)),
            _ => panic!("not strings"),
        }
    }

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
        assert_eq!(check_layout(), Ok(()));
    }

    #[test]
    fn str_counts_chars() {
        let s = Str::new("héllo".to_string());
        assert_eq!(s.char_len(), 5);
        assert!(!s.is_ascii());
        assert!(Str::new("abc".into()).is_ascii());
    }
}
