//! Where the elements of lists and records live, for native code that reads and writes
//! scalar elements and fields inline.
//!
//! A `Value::List` holds an `Rc<List>` (a pointer to the `Rc` allocation: reference
//! counts, then the `List`); a `List` is a `Vec<Value>`, a `Record` a type id and a
//! `Vec<Value>`. Rust does not fix the order of `Rc`'s and `Vec`'s fields, so instead of
//! assuming it the offsets are measured once on real values; the tests check them.

use lumen_core::value::{Closure, List, Record, Str, Tuple, VALUE_PAYLOAD_OFFSET, Value, Variant};
use std::mem::{offset_of, size_of};
use std::rc::Rc;
use std::sync::OnceLock;

/// Byte offsets inside the allocation an `Rc<List>` or `Rc<Record>` points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VecLayout {
    /// The strong reference count (`usize`): 1 means the object may be updated in place.
    pub strong: i32,
    /// The element pointer (`*mut Value`).
    pub items_ptr: i32,
    /// The element count (`usize`).
    pub items_len: i32,
    /// The capacity (`usize`): elements may be added in place below it.
    pub items_cap: i32,
}

/// The layouts measured on first use.
#[derive(Clone, Copy)]
struct Layouts {
    list: VecLayout,
    record: VecLayout,
    /// An enum value's payload vector.
    variant: VecLayout,
    tuple: VecLayout,
    /// The variant index and enum type id inside an `Rc<Variant>` allocation.
    variant_tag: i32,
    variant_type: i32,
    /// A function value's captures vector, and its cell id.
    closure: VecLayout,
    closure_cell: i32,
}

fn layouts() -> Layouts {
    static LAYOUT: OnceLock<Layouts> = OnceLock::new();
    *LAYOUT.get_or_init(|| {
        let list = Value::list(Vec::new());
        let record = Value::Record(Rc::new(Record {
            type_id: 0,
            fields: Vec::new(),
        }));
        let variant = Value::Variant(Rc::new(Variant {
            type_id: 0,
            tag: 0,
            payload: Vec::new(),
        }));
        let tuple = Value::Tuple(Rc::new(Tuple { items: Vec::new() }));
        let closure = Value::Fn(Rc::new(Closure {
            cell: 0,
            captures: Vec::new(),
        }));
        let payload = measure(&variant, offset_of!(Variant, payload));
        let captures = measure(&closure, offset_of!(Closure, captures));
        // The other fields sit at the same distance from the measured vector as in the
        // object itself.
        let variant_at = start(payload, offset_of!(Variant, payload));
        let closure_at = start(captures, offset_of!(Closure, captures));
        Layouts {
            list: measure(&list, offset_of!(List, items)),
            record: measure(&record, offset_of!(Record, fields)),
            variant: payload,
            tuple: measure(&tuple, offset_of!(Tuple, items)),
            variant_tag: variant_at + offset_of!(Variant, tag) as i32,
            variant_type: variant_at + offset_of!(Variant, type_id) as i32,
            closure: captures,
            closure_cell: closure_at + offset_of!(Closure, cell) as i32,
        }
    })
}

/// Where an object starts inside its `Rc` allocation, from the measured layout of its
/// vector field at byte `field` of the object.
fn start(vector: VecLayout, field: usize) -> i32 {
    vector.items_ptr - vec_offsets().0 as i32 - field as i32
}

/// The layout of `Rc<List>` allocations.
pub fn list_layout() -> VecLayout {
    layouts().list
}

/// The layout of `Rc<Record>` allocations.
pub fn record_layout() -> VecLayout {
    layouts().record
}

/// The layout of `Rc<Variant>` allocations (the payload vector).
pub fn variant_layout() -> VecLayout {
    layouts().variant
}

/// The layout of `Rc<Tuple>` allocations.
pub fn tuple_layout() -> VecLayout {
    layouts().tuple
}

/// Byte offset of the variant index (`u32`) inside an `Rc<Variant>` allocation.
pub fn variant_tag_offset() -> i32 {
    layouts().variant_tag
}

/// Byte offset of the enum's type id (`u32`) inside an `Rc<Variant>` allocation.
pub fn variant_type_offset() -> i32 {
    layouts().variant_type
}

/// The layout of `Rc<Closure>` allocations (the captures vector).
pub fn closure_layout() -> VecLayout {
    layouts().closure
}

/// Byte offset of a function value's cell id (`u32`) inside an `Rc<Closure>` allocation.
pub fn closure_cell_offset() -> i32 {
    layouts().closure_cell
}

/// Where a String's bytes and character count live inside its `Rc<Str>` allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrLayout {
    /// The byte pointer (`*const u8`).
    pub ptr: i32,
    /// The byte length (`usize`).
    pub len: i32,
    /// The character count (`usize`), what `len` of a String is.
    pub chars: i32,
}

/// The layout of `Rc<Str>` allocations (measured once, on a string whose byte length,
/// capacity and character count all differ, and differ from the reference counts).
pub fn str_layout() -> StrLayout {
    static LAYOUT: OnceLock<StrLayout> = OnceLock::new();
    *LAYOUT.get_or_init(|| {
        let mut text = String::with_capacity(16);
        text.push_str("ééé");
        let v = Value::Str(Rc::new(Str::new(text)));
        let Value::Str(s) = &v else {
            return StrLayout {
                ptr: 0,
                len: 0,
                chars: 0,
            };
        };
        let (start, bytes) = (stored(&v), s.as_str().as_ptr() as usize);
        let words = size_of::<Str>() / size_of::<usize>() + 2;
        // SAFETY: the allocation holds the two counts and then the `Str`, all
        // initialised words; only the first `words` are read.
        let word = |i: usize| unsafe { (start as *const usize).add(i).read() };
        let at = |want: usize| {
            (0..words)
                .find(|&i| word(i) == want)
                .map_or(0, |i| (i * size_of::<usize>()) as i32)
        };
        StrLayout {
            ptr: at(bytes),
            len: at(6),
            chars: at(3),
        }
    })
}

/// The heap pointer a value holds (its payload word).
fn stored(v: &Value) -> usize {
    // SAFETY: heap values hold their `Rc` pointer at the payload offset (the layout
    // `lumen_core::value::check_layout` verifies).
    unsafe {
        ((v as *const Value as *const u8).add(VALUE_PAYLOAD_OFFSET) as *const usize)
            .read_unaligned()
    }
}

/// Offsets of the element pointer, length and capacity inside a `Vec<Value>`.
fn vec_offsets() -> (usize, usize, usize) {
    let mut v: Vec<Value> = Vec::with_capacity(7);
    v.extend([Value::Null, Value::Null, Value::Null]);
    let ptr = v.as_ptr() as usize;
    // SAFETY: a `Vec` is three initialised pointer-sized words (pointer, capacity,
    // length in some order); they are only compared.
    let words: [usize; 3] = unsafe { std::mem::transmute_copy(&v) };
    let at = |want: usize| words.iter().position(|&w| w == want).unwrap_or(0) * size_of::<usize>();
    (at(ptr), at(3), at(v.capacity()))
}

/// The layout of the `Rc` allocation behind heap value `v`, whose `Vec<Value>` field is
/// at `field` inside the object.
fn measure(v: &Value, field: usize) -> VecLayout {
    let start = stored(v);
    let value_at = match v {
        Value::List(rc) => Rc::as_ptr(rc) as usize,
        Value::Record(rc) => Rc::as_ptr(rc) as usize,
        Value::Variant(rc) => Rc::as_ptr(rc) as usize,
        Value::Tuple(rc) => Rc::as_ptr(rc) as usize,
        Value::Fn(rc) => Rc::as_ptr(rc) as usize,
        _ => start,
    };
    let counts = value_at.saturating_sub(start) / size_of::<usize>();
    let read = || -> Vec<usize> {
        (0..counts)
            // SAFETY: the words before the value are the `Rc`'s counts (initialised
            // `usize` cells) of a live allocation.
            .map(|i| unsafe { (start as *const usize).add(i).read() })
            .collect()
    };
    let one = read();
    let copy = v.clone();
    let two = read();
    drop(copy);
    // The strong count is the word that went from 1 to 2.
    let strong = (0..counts)
        .find(|&i| one[i] == 1 && two[i] == 2)
        .unwrap_or(0);
    let (ptr, len, cap) = vec_offsets();
    let base = value_at - start + field;
    VecLayout {
        strong: (strong * size_of::<usize>()) as i32,
        items_ptr: (base + ptr) as i32,
        items_len: (base + len) as i32,
        items_cap: (base + cap) as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word at byte `off` of the allocation behind `v`.
    fn word(v: &Value, off: i32) -> usize {
        // SAFETY: offsets measured on the same types; `v` is alive.
        unsafe { ((stored(v) as *const u8).add(off as usize) as *const usize).read() }
    }

    #[test]
    fn measured_offsets_read_real_lists() {
        let l = list_layout();
        let v = Value::list(vec![Value::Float(1.5), Value::Float(2.5)]);
        assert_eq!(word(&v, l.items_len), 2);
        assert_eq!(word(&v, l.strong), 1);
        let items = word(&v, l.items_ptr) as *const Value;
        // SAFETY: the element pointer of a live two-element list.
        assert!(matches!(unsafe { &*items.add(1) }, Value::Float(x) if *x == 2.5));
        let w = v.clone();
        assert_eq!(word(&v, l.strong), 2);
        drop(w);
        let mut items = Vec::with_capacity(9);
        items.push(Value::Null);
        let v = Value::list(items);
        assert_eq!(word(&v, l.items_cap), 9);
        assert_eq!(word(&v, l.items_len), 1);
    }

    #[test]
    fn every_heap_kind_keeps_its_strong_count_at_the_same_offset() {
        // Native code shares and releases any heap value through this one offset.
        let at = list_layout().strong;
        let values = [
            Value::str("s"),
            Value::list(vec![Value::Int(1)]),
            Value::ok(Value::Int(1)),
            Value::Record(Rc::new(Record {
                type_id: 0,
                fields: vec![],
            })),
        ];
        for v in values {
            assert_eq!(word(&v, at), 1, "{v:?}");
            let w = v.clone();
            assert_eq!(word(&v, at), 2, "{v:?}");
            drop(w);
        }
    }

    #[test]
    fn measured_offsets_read_real_enum_values_and_tuples() {
        let v = Value::Variant(Rc::new(Variant {
            type_id: 4,
            tag: 3,
            payload: vec![Value::Int(7), Value::Int(8)],
        }));
        let l = variant_layout();
        assert_eq!(word(&v, l.items_len), 2);
        // SAFETY: the u32 variant index of a live enum value.
        let tag = unsafe {
            ((stored(&v) as *const u8).add(variant_tag_offset() as usize) as *const u32).read()
        };
        assert_eq!(tag, 3);
        // SAFETY: the u32 type id of the same value.
        let type_id = unsafe {
            ((stored(&v) as *const u8).add(variant_type_offset() as usize) as *const u32).read()
        };
        assert_eq!(type_id, 4);
        let items = word(&v, l.items_ptr) as *const Value;
        // SAFETY: the payload pointer of a live two-element payload.
        assert!(matches!(unsafe { &*items.add(1) }, Value::Int(8)));
        let t = Value::Tuple(Rc::new(Tuple {
            items: vec![Value::Int(1), Value::Float(2.5), Value::Null],
        }));
        let l = tuple_layout();
        assert_eq!(word(&t, l.items_len), 3);
        let items = word(&t, l.items_ptr) as *const Value;
        // SAFETY: the item pointer of a live three-element tuple.
        assert!(matches!(unsafe { &*items.add(1) }, Value::Float(x) if *x == 2.5));
    }

    #[test]
    fn measured_offsets_read_real_strings() {
        let l = str_layout();
        for text in ["", "a", "héllo", "ééé", "long enough to be anywhere"] {
            let v = Value::str(text);
            assert_eq!(word(&v, l.len), text.len(), "{text:?}");
            assert_eq!(word(&v, l.chars), text.chars().count(), "{text:?}");
            assert_eq!(word(&v, l.ptr), text_ptr(&v), "{text:?}");
        }
    }

    fn text_ptr(v: &Value) -> usize {
        match v {
            Value::Str(s) => s.as_str().as_ptr() as usize,
            _ => 0,
        }
    }

    #[test]
    fn measured_offsets_read_real_function_values() {
        let f = Value::Fn(Rc::new(Closure {
            cell: 7,
            captures: vec![Value::Int(1), Value::Int(2), Value::Int(3)],
        }));
        assert_eq!(word(&f, closure_layout().items_len), 3);
        // SAFETY: the u32 cell id of a live function value.
        let cell = unsafe {
            ((stored(&f) as *const u8).add(closure_cell_offset() as usize) as *const u32).read()
        };
        assert_eq!(cell, 7);
    }

    #[test]
    fn measured_offsets_read_real_records() {
        let r = record_layout();
        let v = Value::Record(Rc::new(Record {
            type_id: 3,
            fields: vec![Value::Int(7), Value::Int(8), Value::Int(9)],
        }));
        assert_eq!(word(&v, r.items_len), 3);
        assert_eq!(word(&v, r.strong), 1);
        let items = word(&v, r.items_ptr) as *const Value;
        // SAFETY: the field pointer of a live three-field record.
        assert!(matches!(unsafe { &*items.add(2) }, Value::Int(9)));
    }
}
