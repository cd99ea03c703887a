//! The entries of a map value: hashed for lookups, put in key order only when a map is
//! walked.
//!
//! A Lumen map iterates, prints and compares in key order (Int ascending, String
//! byte-wise), but most programs look keys up far more often than they walk a map. A
//! B-tree paid about twenty key comparisons per lookup in a map of a thousand words;
//! here a lookup is one hash of the key and, almost always, one comparison.
//!
//! The key order is a list of positions, sorted on the first walk and then kept up to
//! date at a cost no walk notices:
//! - a key added to a walked map waits in a pending list, sorted and merged into the
//!   order at the next walk (linear in the map, like the walk itself);
//! - a removed key leaves its entry behind as a tombstone, so no position moves; the
//!   walk skips it, setting the key again revives it, and when tombstones outnumber
//!   the live keys they are swept out in one linear pass.

use crate::value::{MapKey, Value};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::cell::{Cell, Ref, RefCell};

/// Tombstones are swept once there are more than this many and more than live keys.
const SWEEP_MIN: usize = 32;

type Items = IndexMap<MapKey, Option<Value>, FxBuildHasher>;

/// A map's entries (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct Entries {
    /// Entries in the order their keys were first added; `None` is a removed key.
    items: Items,
    /// How many entries of `items` are tombstones.
    dead: usize,
    order: RefCell<Order>,
    /// Where the last `get` that found its key found it: an `insert` of an equal key,
    /// which often follows (`m[k] = (get(m, k) ?? 0) + 1`), checks that entry first and
    /// then needs no hashing. A stale hint (after a sweep, or pointing past the end)
    /// costs one key comparison.
    hint: Cell<usize>,
}

/// Positions in `items` in key order (tombstones included), once a walk asked for it.
#[derive(Clone, Debug, Default)]
struct Order {
    sorted: Option<Vec<usize>>,
    /// Positions of keys added since `sorted` was last brought up to date.
    pending: Vec<usize>,
}

impl Entries {
    /// No entries.
    pub fn new() -> Entries {
        Entries::default()
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.items.len() - self.dead
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: &MapKey) -> Option<&Value> {
        let (at, _, v) = self.items.get_full(key)?;
        self.hint.set(at);
        v.as_ref()
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &MapKey) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`, returning the value it replaces.
    #[inline]
    pub fn insert(&mut self, key: MapKey, value: Value) -> Option<Value> {
        if let Some((k, Some(old))) = self.items.get_index_mut(self.hint.get())
            && *k == key
        {
            return Some(std::mem::replace(old, value));
        }
        let (at, old) = self.items.insert_full(key, Some(value));
        match old {
            Some(Some(old)) => Some(old),
            Some(None) => {
                // A tombstone revived, at its old place in the order.
                self.dead -= 1;
                None
            }
            None => {
                let order = self.order.get_mut();
                if order.sorted.is_some() {
                    order.pending.push(at);
                }
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &MapKey) -> Option<Value> {
        let old = self.items.get_mut(key)?.take()?;
        self.dead += 1;
        if self.dead > SWEEP_MIN && self.dead > self.len() {
            self.sweep();
        }
        Some(old)
    }

    /// Drops the tombstones, renumbering the positions in the order.
    fn sweep(&mut self) {
        let mut renumber = Vec::with_capacity(self.items.len());
        let mut next = 0;
        for v in self.items.values() {
            renumber.push(next);
            next += usize::from(v.is_some());
        }
        let live = |&i: &usize| self.items[i].is_some();
        let Order { sorted, pending } = self.order.get_mut();
        for positions in sorted.iter_mut().chain([pending]) {
            positions.retain(live);
            positions.iter_mut().for_each(|i| *i = renumber[*i]);
        }
        self.items.retain(|_, v| v.is_some());
        self.dead = 0;
    }

    /// The positions in key order, sorted or brought up to date first if needed.
    fn order(&self) -> Ref<'_, [usize]> {
        let ready = {
            let order = self.order.borrow();
            order.sorted.is_some() && order.pending.is_empty()
        };
        if !ready {
            // No walk is under way: one would hold `&self`, and a key added since
            // needed `&mut self`.
            let mut order = self.order.borrow_mut();
            let by_key =
                |a: &usize, b: &usize| key_at(&self.items, *a).cmp(key_at(&self.items, *b));
            let sorted = match order.sorted.take() {
                None => {
                    let mut all: Vec<usize> = (0..self.items.len()).collect();
                    // Keys are distinct: an unstable sort gives the one order.
                    all.sort_unstable_by(by_key);
                    all
                }
                Some(sorted) => {
                    let mut new = std::mem::take(&mut order.pending);
                    new.sort_unstable_by(by_key);
                    merge(sorted, new, by_key)
                }
            };
            order.pending.clear();
            order.sorted = Some(sorted);
        }
        Ref::map(self.order.borrow(), |o| o.sorted.as_deref().unwrap_or(&[]))
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            items: &self.items,
            order: self.order(),
            next: 0,
            left: self.len(),
        }
    }

    /// The keys in key order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &MapKey> {
        self.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> {
        self.iter().map(|(_, v)| v)
    }

    /// The entries in no particular order, for work whose result does not depend on it
    /// (freeing the values, merging into another map).
    pub fn unordered(&self) -> impl Iterator<Item = (&MapKey, &Value)> {
        self.items
            .iter()
            .filter_map(|(k, v)| Some((k, v.as_ref()?)))
    }

    /// Moves every entry of `other` into these, replacing the values of shared keys.
    pub fn append(&mut self, other: &mut Entries) {
        for (k, v) in std::mem::take(other).items {
            if let Some(v) = v {
                self.insert(k, v);
            }
        }
    }

    /// Consumes the entries, giving their values in no particular order.
    pub fn into_unordered_values(self) -> impl Iterator<Item = Value> {
        self.items.into_values().flatten()
    }
}

fn key_at(items: &Items, i: usize) -> &MapKey {
    items.get_index(i).expect("a position of the key order").0
}

/// Sorted list `new` merged into sorted list `old`: each of `new` is placed by a binary
/// search in what is left of `old`, and the runs of `old` between them are copied
/// whole, so a few new keys cost a few searches and one copy of the order, not a
/// comparison per key of the map.
fn merge(
    old: Vec<usize>,
    new: Vec<usize>,
    by: impl Fn(&usize, &usize) -> std::cmp::Ordering,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(old.len() + new.len());
    let mut rest = &old[..];
    for y in new {
        let cut = rest.partition_point(|x| by(x, &y).is_lt());
        out.extend_from_slice(&rest[..cut]);
        out.push(y);
        rest = &rest[cut..];
    }
    out.extend_from_slice(rest);
    out
}

impl FromIterator<(MapKey, Value)> for Entries {
    /// The entries of `pairs`; a later pair for a key replaces an earlier one.
    fn from_iter<I: IntoIterator<Item = (MapKey, Value)>>(pairs: I) -> Entries {
        let mut entries = Entries::new();
        for (k, v) in pairs {
            entries.insert(k, v);
        }
        entries
    }
}

/// The entries of a map in key order ([`Entries::iter`]).
pub struct Iter<'a> {
    items: &'a Items,
    order: Ref<'a, [usize]>,
    next: usize,
    /// Live entries not yet given.
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a MapKey, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        while let Some(&i) = self.order.get(self.next) {
            self.next += 1;
            let (k, v) = self.items.get_index(i)?;
            if let Some(v) = v {
                self.left -= 1;
                return Some((k, v));
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Entries {
    type Item = (&'a MapKey, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Str;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    fn skey(s: &str) -> MapKey {
        MapKey::str(Rc::new(Str::new(s.to_string())))
    }

    fn walk(e: &Entries) -> Vec<(MapKey, i64)> {
        e.iter()
            .map(|(k, v)| match v {
                Value::Int(n) => (k.clone(), *n),
                other => panic!("not an Int: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn walks_in_key_order_after_every_kind_of_change() {
        let mut e = Entries::new();
        for (i, w) in ["pe", "ka", "zeta", "", "kakaka", "é", "ka"]
            .iter()
            .enumerate()
        {
            e.insert(skey(w), Value::Int(i as i64));
        }
        let names = |e: &Entries| {
            e.keys()
                .map(|k| match k {
                    MapKey::Str(s) => s.as_str().to_string(),
                    MapKey::Int(_) => unreachable!(),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&e), ["", "ka", "kakaka", "pe", "zeta", "é"]);
        assert_eq!(e.get(&skey("ka")), Some(&Value::Int(6)));
        // Added to a walked map: placed in the kept order.
        e.insert(skey("kb"), Value::Int(7));
        assert_eq!(names(&e), ["", "ka", "kakaka", "kb", "pe", "zeta", "é"]);
        // Removed: the last entry moves into the hole; the order is rebuilt.
        assert_eq!(e.remove(&skey("ka")), Some(Value::Int(6)));
        assert_eq!(e.remove(&skey("ka")), None);
        assert_eq!(names(&e), ["", "kakaka", "kb", "pe", "zeta", "é"]);
        assert_eq!(e.len(), 6);
        assert_eq!(e.get(&skey("kb")), Some(&Value::Int(7)));
    }

    #[test]
    fn an_insert_after_a_get_replaces_only_an_equal_key() {
        let mut e = Entries::new();
        for (i, w) in ["ka", "lo", "kakaka", "kakakaka1", "kakakaka2"]
            .iter()
            .enumerate()
        {
            e.insert(skey(w), Value::Int(i as i64));
        }
        // A get of one key, then inserts of an equal key (another string object), of
        // a key sharing its first eight bytes, and of a new key.
        assert_eq!(e.get(&skey("kakakaka1")), Some(&Value::Int(3)));
        assert_eq!(
            e.insert(skey("kakakaka1"), Value::Int(30)),
            Some(Value::Int(3))
        );
        assert_eq!(e.get(&skey("kakakaka2")), Some(&Value::Int(4)));
        assert_eq!(
            e.insert(skey("kakakaka1"), Value::Int(31)),
            Some(Value::Int(30))
        );
        assert_eq!(e.get(&skey("ka")), Some(&Value::Int(0)));
        assert_eq!(e.insert(skey("kaka"), Value::Int(5)), None);
        // A removed key's tombstone is not revived through the hint.
        assert_eq!(e.get(&skey("lo")), Some(&Value::Int(1)));
        assert_eq!(e.remove(&skey("lo")), Some(Value::Int(1)));
        assert_eq!(e.insert(skey("lo"), Value::Int(7)), None);
        assert_eq!(e.len(), 6);
        let want: Vec<(MapKey, i64)> = [
            ("ka", 0),
            ("kaka", 5),
            ("kakaka", 2),
            ("kakakaka1", 31),
            ("kakakaka2", 4),
            ("lo", 7),
        ]
        .iter()
        .map(|&(k, v)| (skey(k), v))
        .collect();
        assert_eq!(walk(&e), want);
    }

    #[test]
    fn removed_keys_are_swept_and_the_order_kept() {
        let n = 4 * SWEEP_MIN as i64;
        let mut e: Entries = (0..n)
            .rev()
            .map(|i| (MapKey::Int(i), Value::Int(i)))
            .collect();
        assert_eq!(e.keys().next(), Some(&MapKey::Int(0)));
        // Remove three keys in four, walking now and then; re-add one; add a new key.
        for i in (0..n).filter(|i| i % 4 != 0) {
            assert_eq!(e.remove(&MapKey::Int(i)), Some(Value::Int(i)));
            if i % 10 == 1 {
                assert!(e.keys().zip(e.keys().skip(1)).all(|(a, b)| a < b));
            }
        }
        assert_eq!(e.len(), n as usize / 4);
        assert!(
            e.items.len() < n as usize,
            "tombstones outnumbering keys are swept"
        );
        assert!(e.dead <= SWEEP_MIN);
        e.insert(MapKey::Int(5), Value::Int(50));
        e.insert(MapKey::Int(n - 1), Value::Int(0));
        e.insert(MapKey::Int(-7), Value::Int(-7));
        let want: Vec<i64> = [-7, 0, 4, 5]
            .into_iter()
            .chain((8..n).step_by(4))
            .chain([n - 1])
            .collect();
        let keys: Vec<MapKey> = e.keys().cloned().collect();
        assert_eq!(keys, want.into_iter().map(MapKey::Int).collect::<Vec<_>>());
        assert_eq!(e.get(&MapKey::Int(5)), Some(&Value::Int(50)));
        assert_eq!(e.iter().len(), e.len());
    }

    #[test]
    fn keys_added_since_the_last_walk_survive_a_sweep() {
        let n = 4 * SWEEP_MIN as i64;
        let mut e: Entries = (0..n)
            .map(|i| (MapKey::Int(i * 10), Value::Int(i)))
            .collect();
        assert_eq!(e.iter().len(), n as usize);
        // Pending keys, then a sweep before any walk.
        for k in [15, -5, 10 * n + 1] {
            e.insert(MapKey::Int(k), Value::Int(k));
        }
        for i in 1..n {
            e.remove(&MapKey::Int(i * 10));
        }
        assert!(e.items.len() < n as usize + 3, "swept");
        let keys: Vec<MapKey> = e.keys().cloned().collect();
        assert_eq!(keys, [-5, 0, 15, 10 * n + 1].map(MapKey::Int));
    }

    #[derive(Debug, Clone)]
    enum Change {
        Set(u8, i64),
        Remove(u8),
        Get(u8),
        Walk,
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            3 => (0u8..90, any::<i64>()).prop_map(|(k, v)| Change::Set(k, v)),
            2 => (0u8..90).prop_map(Change::Remove),
            2 => (0u8..90).prop_map(Change::Get),
            1 => Just(Change::Walk),
        ]
    }

    /// A key from a small number: Ints, short Strings, and Strings sharing their first
    /// eight bytes.
    fn key_of(b: u8) -> MapKey {
        match b % 3 {
            0 => MapKey::Int(i64::from(b) - 40),
            1 => skey(&b.to_string()),
            _ => skey(&format!("kkkkkkkk{b}")),
        }
    }

    proptest! {
        /// Any sequence of sets, removals and walks agrees with a B-tree at every
        /// step.
        #[test]
        fn agrees_with_a_btree(changes in proptest::collection::vec(change(), 0..400)) {
            let (mut e, mut model) = (Entries::new(), BTreeMap::new());
            for c in changes {
                match c {
                    Change::Set(k, v) => {
                        let k = key_of(k);
                        prop_assert_eq!(
                            e.insert(k.clone(), Value::Int(v)),
                            model.insert(k, v).map(Value::Int)
                        );
                    }
                    Change::Remove(k) => {
                        let k = key_of(k);
                        prop_assert_eq!(e.remove(&k), model.remove(&k).map(Value::Int));
                    }
                    // (Leaves a hint for the next insert, stale or not.)
                    Change::Get(k) => {
                        let k = key_of(k);
                        prop_assert_eq!(e.get(&k).cloned(), model.get(&k).map(|v| Value::Int(*v)));
                    }
                    Change::Walk => {
                        let want: Vec<(MapKey, i64)> =
                            model.iter().map(|(k, v)| (k.clone(), *v)).collect();
                        prop_assert_eq!(walk(&e), want);
                    }
                }
                prop_assert_eq!(e.len(), model.len());
                prop_assert!(e.dead <= SWEEP_MIN || e.dead <= e.len());
            }
            let want: Vec<(MapKey, i64)> = model.iter().map(|(k, v)| (k.clone(), *v)).collect();
            prop_assert_eq!(walk(&e), want);
        }
    }
}
