//! Where a list's element buffer and length live, for native code that reads and writes
//! `list[Float]` / `list[Int]` elements inline.
//!
//! A `Value::List` holds an `Rc<List>` (a pointer to the `Rc` allocation: reference
//! counts, then the `List`), and a `List` is a `Vec<Value>`. Rust does not fix the order
//! of `Rc`'s and `Vec`'s fields, so instead of assuming it the offsets are measured once
//! on real values ([`list_layout`]); the tests check the measurements.

use lumen_core::value::{List, VALUE_PAYLOAD_OFFSET, Value};
use std::rc::Rc;
use std::sync::OnceLock;

/// Byte offsets inside the allocation an `Rc<List>` points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListLayout {
    /// The strong reference count (`usize`): 1 means the list may be updated in place.
    pub strong: i32,
    /// The element pointer (`*mut Value`).
    pub items_ptr: i32,
    /// The element count (`usize`).
    pub items_len: i32,
}

/// The measured layout (computed on first use).
pub fn list_layout() -> ListLayout {
    static LAYOUT: OnceLock<ListLayout> = OnceLock::new();
    *LAYOUT.get_or_init(measure)
}

/// The `usize` words of the `Rc` allocation behind a list value, from its start through
/// the end of the `List`.
fn words(v: &Value) -> (usize, Vec<usize>) {
    let Value::List(rc) = v else {
        return (0, Vec::new());
    };
    // SAFETY: a `Value::List` holds its `Rc` pointer at the payload offset (the layout
    // `lumen_core::value` documents and tests).
    let start = unsafe {
        ((v as *const Value as *const u8).add(VALUE_PAYLOAD_OFFSET) as *const usize)
            .read_unaligned()
    };
    let end = Rc::as_ptr(rc) as usize + std::mem::size_of::<List>();
    let n = end.saturating_sub(start) / std::mem::size_of::<usize>();
    let words = (0..n)
        // SAFETY: `start..end` is the live `Rc` allocation (counts, then the `List`,
        // three pointer-sized words with no padding), readable as `usize`s.
        .map(|i| unsafe { (start as *const usize).add(i).read() })
        .collect();
    (start, words)
}

fn measure() -> ListLayout {
    let mut items = Vec::with_capacity(7);
    items.extend([Value::Int(1), Value::Int(2), Value::Int(3)]);
    let ptr = items.as_ptr() as usize;
    let v = Value::list(items);
    let (_, one) = words(&v);
    let copy = v.clone();
    let (_, two) = words(&v);
    drop(copy);
    let find = |ws: &[usize], want: usize| ws.iter().position(|&w| w == want);
    // The strong count is the word that went from 1 to 2.
    let strong = (0..one.len()).find(|&i| one[i] == 1 && two[i] == 2);
    let at = |i: Option<usize>| i.map_or(-1, |i| (i * std::mem::size_of::<usize>()) as i32);
    ListLayout {
        strong: at(strong),
        items_ptr: at(find(&one, ptr)),
        items_len: at(find(&one, 3)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_offsets_read_real_lists() {
        let l = list_layout();
        assert!(l.strong >= 0 && l.items_ptr >= 0 && l.items_len >= 0);
        let v = Value::list(vec![Value::Float(1.5), Value::Float(2.5)]);
        let (start, _) = words(&v);
        // SAFETY: offsets measured on the same type; `v` is alive.
        unsafe {
            let at = |off: i32| ((start as *const u8).add(off as usize) as *const usize).read();
            assert_eq!(at(l.items_len), 2);
            assert_eq!(at(l.strong), 1);
            let items = at(l.items_ptr) as *const Value;
            assert!(matches!(*items.add(1), Value::Float(x) if x == 2.5));
        }
        let w = v.clone();
        // SAFETY: as above.
        unsafe {
            assert_eq!(
                ((start as *const u8).add(l.strong as usize) as *const usize).read(),
                2
            );
        }
        drop(w);
    }
}
