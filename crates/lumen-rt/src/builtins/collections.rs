//! List and map builtins. A list or map argument is taken out of its register; when that
//! was the only reference, `Rc::make_mut` updates it in place (amortised O(1) `append`,
//! `pop`; no copy for `insert`, `remove`, `merge`, …).

use super::{clamp_index, int, list, map, take_list, take_map, wrong};
use lumen_core::error::{RtError, RtResult};
use lumen_core::ops;
use lumen_core::value::Value;
use std::collections::HashSet;
use std::rc::Rc;

/// `lo..hi` (or `lo..=hi`) as a list of Ints; empty when the range is. A range too
/// large to allocate is an error rather than a crash.
pub(crate) fn range_list(lo: i64, hi: i64, inclusive: bool) -> RtResult<Value> {
    let len = if inclusive {
        (hi as i128 - lo as i128 + 1).max(0)
    } else {
        (hi as i128 - lo as i128).max(0)
    };
    let mut items: Vec<Value> = Vec::new();
    let len = usize::try_from(len).map_err(|_| out_of_memory())?;
    items.try_reserve_exact(len).map_err(|_| out_of_memory())?;
    if inclusive {
        items.extend((lo..=hi).map(Value::Int));
    } else {
        items.extend((lo..hi).map(Value::Int));
    }
    Ok(Value::list(items))
}

#[cold]
fn out_of_memory() -> RtError {
    RtError::Internal("out of memory".into())
}

/// `len(xs)`.
pub(crate) fn len_list(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Int(list(&a[0])?.items.len() as i64))
}

/// `len(m)`.
pub(crate) fn len_map(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Int(map(&a[0])?.entries.len() as i64))
}

/// `is_empty(xs)`.
pub(crate) fn is_empty_list(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(list(&a[0])?.items.is_empty()))
}

/// `is_empty(m)`.
pub(crate) fn is_empty_map(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(map(&a[0])?.entries.is_empty()))
}

/// `append(xs, v)`.
pub(crate) fn append(a: &mut [Value]) -> RtResult<Value> {
    let mut xs = Value::List(take_list(&mut a[0])?);
    push(&mut xs, std::mem::take(&mut a[1]))?;
    Ok(xs)
}

/// The most elements [`reserve_range`] makes room for (1 GiB of values): beyond that the
/// appends grow the list as they go.
pub const MAX_RESERVE: usize = 1 << 26;

/// `xs = reserve_range(xs, lo, hi)`: room in `xs` for the elements of `lo..hi` (`..=`
/// when `inclusive`), which a comprehension over that range is about to append — one
/// allocation instead of a copy at every doubling. Only a hint: an empty or reversed
/// range reserves nothing, and a reservation that fails is left to the appends, which
/// then fail (or not) exactly as they would have.
pub(crate) fn reserve_range(a: &mut [Value], inclusive: bool) -> RtResult<Value> {
    let (lo, hi) = (int(&a[1])?, int(&a[2])?);
    let mut xs = take_list(&mut a[0])?;
    let n = hi as i128 - lo as i128 + inclusive as i128;
    let n = n.clamp(0, MAX_RESERVE as i128) as usize;
    if n > 0 {
        // (A shared list is copied here rather than at the first append.)
        let _ = Rc::make_mut(&mut xs).items.try_reserve_exact(n);
    }
    Ok(Value::List(xs))
}

/// `xs = append(xs, v)` on the list where it is (copied first when shared).
pub(crate) fn push(xs: &mut Value, v: Value) -> RtResult<()> {
    match xs {
        Value::List(l) => {
            let items = &mut Rc::make_mut(l).items;
            // A list that cannot grow is an error, not an abort.
            items.try_reserve(1).map_err(|_| out_of_memory())?;
            items.push(v);
            Ok(())
        }
        other => Err(wrong("list", other)),
    }
}

/// `pop(xs)`: without the last element.
pub(crate) fn pop(a: &mut [Value]) -> RtResult<Value> {
    let mut xs = take_list(&mut a[0])?;
    if xs.items.is_empty() {
        return Err(RtError::IndexOutOfBounds);
    }
    Rc::make_mut(&mut xs).items.pop();
    Ok(Value::List(xs))
}

/// `insert(xs, i, v)`: needs `0 <= i <= len`.
pub(crate) fn insert(a: &mut [Value]) -> RtResult<Value> {
    let i = int(&a[1])?;
    let mut xs = take_list(&mut a[0])?;
    if i < 0 || i as u64 > xs.items.len() as u64 {
        return Err(RtError::IndexOutOfBounds);
    }
    let v = std::mem::take(&mut a[2]);
    Rc::make_mut(&mut xs).items.insert(i as usize, v);
    Ok(Value::List(xs))
}

/// `remove(xs, i)`: needs `0 <= i < len`.
pub(crate) fn remove_list(a: &mut [Value]) -> RtResult<Value> {
    let i = int(&a[1])?;
    let mut xs = take_list(&mut a[0])?;
    if i < 0 || i as u64 >= xs.items.len() as u64 {
        return Err(RtError::IndexOutOfBounds);
    }
    Rc::make_mut(&mut xs).items.remove(i as usize);
    Ok(Value::List(xs))
}

/// `remove(m, k)`: unchanged when the key is absent.
pub(crate) fn remove_map(a: &mut [Value]) -> RtResult<Value> {
    let k = ops::map_key(&a[1])?;
    let mut m = take_map(&mut a[0])?;
    if m.entries.contains_key(&k) {
        Rc::make_mut(&mut m).entries.remove(&k);
    }
    Ok(Value::Map(m))
}

/// Index of the first element `==` to `x`.
fn position(items: &[Value], x: &Value) -> RtResult<Option<usize>> {
    for (i, y) in items.iter().enumerate() {
        if ops::values_equal(y, x)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// `contains(xs, x)`.
pub(crate) fn contains_list(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(position(&list(&a[0])?.items, &a[1])?.is_some()))
}

/// `contains(m, k)` and `has_key(m, k)`.
pub(crate) fn has_key(a: &mut [Value]) -> RtResult<Value> {
    let k = ops::map_key(&a[1])?;
    Ok(Value::Bool(map(&a[0])?.entries.contains_key(&k)))
}

/// `index_of(xs, x)`: -1 if absent.
pub(crate) fn index_of(a: &mut [Value]) -> RtResult<Value> {
    let i = position(&list(&a[0])?.items, &a[1])?;
    Ok(Value::Int(i.map_or(-1, |i| i as i64)))
}

/// `first(xs)`: `null` when empty.
pub(crate) fn first(a: &mut [Value]) -> RtResult<Value> {
    Ok(list(&a[0])?.items.first().cloned().unwrap_or(Value::Null))
}

/// `last(xs)`: `null` when empty.
pub(crate) fn last(a: &mut [Value]) -> RtResult<Value> {
    Ok(list(&a[0])?.items.last().cloned().unwrap_or(Value::Null))
}

/// Elements `lo..hi` of the list in `v` (indices already clamped, `lo <= hi`); in place
/// when the list is unique.
fn sublist(v: &mut Value, lo: usize, hi: usize) -> RtResult<Value> {
    let mut xs = take_list(v)?;
    match Rc::get_mut(&mut xs) {
        Some(l) => {
            l.items.truncate(hi);
            l.items.drain(..lo);
            Ok(Value::List(xs))
        }
        None => Ok(Value::list(xs.items[lo..hi].to_vec())),
    }
}

/// `take(xs, n)`.
pub(crate) fn take(a: &mut [Value]) -> RtResult<Value> {
    let n = clamp_index(int(&a[1])?, list(&a[0])?.items.len());
    sublist(&mut a[0], 0, n)
}

/// `drop(xs, n)`.
pub(crate) fn drop(a: &mut [Value]) -> RtResult<Value> {
    let len = list(&a[0])?.items.len();
    let n = clamp_index(int(&a[1])?, len);
    sublist(&mut a[0], n, len)
}

/// `slice(xs, a, b)`: clamped as for Strings.
pub(crate) fn slice(a: &mut [Value]) -> RtResult<Value> {
    let len = list(&a[0])?.items.len();
    let lo = clamp_index(int(&a[1])?, len);
    let hi = clamp_index(int(&a[2])?, len);
    if lo >= hi {
        return Ok(Value::list(Vec::new()));
    }
    sublist(&mut a[0], lo, hi)
}

/// `range(a, b)`.
pub(crate) fn range(a: &mut [Value]) -> RtResult<Value> {
    range_list(int(&a[0])?, int(&a[1])?, false)
}

/// `sum(list[Int])`: checked.
pub(crate) fn sum_int(a: &mut [Value]) -> RtResult<Value> {
    let mut total: i64 = 0;
    for x in &list(&a[0])?.items {
        total = ops::int_add(total, int(x)?)?;
    }
    Ok(Value::Int(total))
}

/// `sum(list[Float])`: left to right from 0.0.
pub(crate) fn sum_float(a: &mut [Value]) -> RtResult<Value> {
    let mut total = 0.0;
    for x in &list(&a[0])?.items {
        total += super::float(x)?;
    }
    Ok(Value::Float(total))
}

/// `sort(xs)`: stable, ascending by [`ops::sort_compare`].
pub(crate) fn sort(a: &mut [Value]) -> RtResult<Value> {
    let mut xs = take_list(&mut a[0])?;
    // Ints (the common case) sort by a direct key.
    if xs.items.iter().all(|x| matches!(x, Value::Int(_))) {
        Rc::make_mut(&mut xs).items.sort_by_key(|x| match x {
            Value::Int(i) => *i,
            _ => 0,
        });
    } else {
        Rc::make_mut(&mut xs).items.sort_by(ops::sort_compare);
    }
    Ok(Value::List(xs))
}

/// `reverse(xs)`.
pub(crate) fn reverse(a: &mut [Value]) -> RtResult<Value> {
    let mut xs = take_list(&mut a[0])?;
    Rc::make_mut(&mut xs).items.reverse();
    Ok(Value::List(xs))
}

/// `unique(xs)`: the first occurrence of each value by `==`. Lists of only Ints or only
/// Strings use a hash set (`==` is plain equality there); others compare pairwise.
pub(crate) fn unique(a: &mut [Value]) -> RtResult<Value> {
    let xs = list(&a[0])?;
    let mut out: Vec<Value> = Vec::new();
    if xs.items.iter().all(|x| matches!(x, Value::Int(_))) {
        let mut seen = HashSet::new();
        out.extend(
            xs.items
                .iter()
                .filter(|x| matches!(x, Value::Int(i) if seen.insert(*i)))
                .cloned(),
        );
    } else if xs.items.iter().all(|x| matches!(x, Value::Str(_))) {
        let mut seen: HashSet<&str> = HashSet::new();
        out.extend(
            xs.items
                .iter()
                .filter(|x| matches!(x, Value::Str(s) if seen.insert(s.as_str())))
                .cloned(),
        );
    } else {
        for x in &xs.items {
            if position(&out, x)?.is_none() {
                out.push(x.clone());
            }
        }
    }
    Ok(Value::list(out))
}

/// `flatten(xss)`.
pub(crate) fn flatten(a: &mut [Value]) -> RtResult<Value> {
    let mut out = Vec::new();
    for inner in &list(&a[0])?.items {
        out.extend(list(inner)?.items.iter().cloned());
    }
    Ok(Value::list(out))
}

/// `enumerate(xs)`: `(index, element)` pairs.
pub(crate) fn enumerate(a: &mut [Value]) -> RtResult<Value> {
    let xs = list(&a[0])?;
    Ok(Value::list(
        xs.items
            .iter()
            .enumerate()
            .map(|(i, x)| Value::tuple(vec![Value::Int(i as i64), x.clone()]))
            .collect(),
    ))
}

/// `zip(xs, ys)`: pairs, as long as the shorter list.
pub(crate) fn zip(a: &mut [Value]) -> RtResult<Value> {
    let xs = list(&a[0])?;
    let ys = list(&a[1])?;
    Ok(Value::list(
        xs.items
            .iter()
            .zip(&ys.items)
            .map(|(x, y)| Value::tuple(vec![x.clone(), y.clone()]))
            .collect(),
    ))
}

/// `keys(m)`: in key order.
pub(crate) fn keys(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::list(
        map(&a[0])?.entries.keys().map(ops::key_value).collect(),
    ))
}

/// `values(m)`: in key order.
pub(crate) fn values(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::list(map(&a[0])?.entries.values().cloned().collect()))
}

/// `entries(m)`: `(key, value)` pairs in key order.
pub(crate) fn entries(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::list(
        map(&a[0])?
            .entries
            .iter()
            .map(|(k, v)| Value::tuple(vec![ops::key_value(k), v.clone()]))
            .collect(),
    ))
}

/// `get(m, k)`: the value or `null`.
pub(crate) fn get(a: &mut [Value]) -> RtResult<Value> {
    let k = ops::map_key(&a[1])?;
    Ok(map(&a[0])?.entries.get(&k).cloned().unwrap_or(Value::Null))
}

/// `merge(a, b)`: union, `b` wins on shared keys. Inserts into whichever map is unique.
pub(crate) fn merge(a: &mut [Value]) -> RtResult<Value> {
    let mut left = take_map(&mut a[0])?;
    let mut right = take_map(&mut a[1])?;
    if Rc::get_mut(&mut left).is_none()
        && let Some(r) = Rc::get_mut(&mut right)
    {
        // Keys only in `left` go into the (unique) right map.
        for (k, v) in left.entries.unordered() {
            if !r.entries.contains_key(k) {
                r.entries.insert(k.clone(), v.clone());
            }
        }
        return Ok(Value::Map(right));
    }
    let l = Rc::make_mut(&mut left);
    match Rc::try_unwrap(right) {
        Ok(mut r) => l.entries.append(&mut r.entries),
        Err(r) => {
            for (k, v) in r.entries.unordered() {
                l.entries.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Value::Map(left))
}

/// A list of the elements in `v`, for the higher-order builtins: moved out when unique.
pub(crate) fn into_items(v: Value) -> RtResult<Vec<Value>> {
    match v {
        Value::List(l) => Ok(Rc::try_unwrap(l)
            .map_or_else(|l| l.items.clone(), |mut l| std::mem::take(&mut l.items))),
        other => Err(wrong("list", &other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::value::MapKey;

    fn ints(xs: &[i64]) -> Value {
        Value::list(xs.iter().copied().map(Value::Int).collect())
    }
    fn as_ints(v: RtResult<Value>) -> Vec<i64> {
        match v {
            Ok(Value::List(l)) => l
                .items
                .iter()
                .map(|x| match x {
                    Value::Int(i) => *i,
                    other => panic!("{other:?}"),
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn append_is_in_place_when_unique() {
        let mut a = [ints(&[1, 2]), Value::Int(3)];
        let before = match &a[0] {
            Value::List(l) => Rc::as_ptr(l),
            _ => unreachable!(),
        };
        let out = append(&mut a).unwrap();
        match &out {
            Value::List(l) => assert_eq!(Rc::as_ptr(l), before),
            _ => panic!(),
        }
        assert_eq!(as_ints(Ok(out)), [1, 2, 3]);
    }

    #[test]
    fn reserve_range_makes_room_and_keeps_the_elements() {
        let cap = |v: &Value| match v {
            Value::List(l) => l.items.capacity(),
            other => panic!("{other:?}"),
        };
        let reserve = |xs: &[i64], lo: i64, hi: i64, inclusive: bool| {
            let mut a = [ints(xs), Value::Int(lo), Value::Int(hi)];
            reserve_range(&mut a, inclusive).unwrap()
        };
        let out = reserve(&[7], 3, 13, false);
        assert!(cap(&out) >= 11, "{}", cap(&out));
        assert_eq!(as_ints(Ok(out)), [7]);
        assert!(cap(&reserve(&[], 0, 10, true)) >= 11);
        // Empty, reversed and enormous ranges: no error, at most MAX_RESERVE.
        assert_eq!(cap(&reserve(&[], 5, 1, false)), 0);
        assert_eq!(cap(&reserve(&[], 5, 4, true)), 0);
        let huge = reserve(&[], i64::MIN, i64::MAX, true);
        assert!((MAX_RESERVE..=2 * MAX_RESERVE).contains(&cap(&huge)));
        // A shared list is copied, the other holder keeps its value.
        let shared = ints(&[1]);
        let mut a = [shared.clone(), Value::Int(0), Value::Int(4)];
        assert_eq!(as_ints(reserve_range(&mut a, false)), [1]);
        assert_eq!(as_ints(Ok(shared)), [1]);
    }

    #[test]
    fn append_copies_when_shared() {
        let shared = ints(&[1]);
        let mut a = [shared.clone(), Value::Int(2)];
        assert_eq!(as_ints(append(&mut a)), [1, 2]);
        assert_eq!(as_ints(Ok(shared)), [1]);
    }

    #[test]
    fn pop_insert_remove_bounds() {
        assert_eq!(pop(&mut [ints(&[])]), Err(RtError::IndexOutOfBounds));
        assert_eq!(as_ints(pop(&mut [ints(&[1, 2])])), [1]);
        assert_eq!(
            as_ints(insert(&mut [ints(&[1, 2]), Value::Int(2), Value::Int(9)])),
            [1, 2, 9]
        );
        assert_eq!(
            insert(&mut [ints(&[1]), Value::Int(2), Value::Int(9)]),
            Err(RtError::IndexOutOfBounds)
        );
        assert_eq!(
            insert(&mut [ints(&[1]), Value::Int(-1), Value::Int(9)]),
            Err(RtError::IndexOutOfBounds)
        );
        assert_eq!(
            as_ints(remove_list(&mut [ints(&[1, 2, 3]), Value::Int(1)])),
            [1, 3]
        );
        assert_eq!(
            remove_list(&mut [ints(&[1]), Value::Int(1)]),
            Err(RtError::IndexOutOfBounds)
        );
    }

    #[test]
    fn take_drop_slice_clamp() {
        assert_eq!(
            as_ints(take(&mut [ints(&[1, 2, 3]), Value::Int(5)])),
            [1, 2, 3]
        );
        assert_eq!(
            as_ints(take(&mut [ints(&[1, 2, 3]), Value::Int(-1)])),
            [] as [i64; 0]
        );
        assert_eq!(
            as_ints(drop(&mut [ints(&[1, 2, 3]), Value::Int(1)])),
            [2, 3]
        );
        let shared = ints(&[1, 2, 3, 4]);
        assert_eq!(
            as_ints(slice(&mut [shared.clone(), Value::Int(1), Value::Int(3)])),
            [2, 3]
        );
        assert_eq!(as_ints(Ok(shared)), [1, 2, 3, 4]);
        assert_eq!(
            as_ints(slice(&mut [ints(&[1, 2]), Value::Int(2), Value::Int(1)])),
            [] as [i64; 0]
        );
    }

    #[test]
    fn sums() {
        assert!(matches!(
            sum_int(&mut [ints(&[1, 2, 3])]),
            Ok(Value::Int(6))
        ));
        assert_eq!(
            sum_int(&mut [ints(&[i64::MAX, 1])]),
            Err(RtError::IntegerOverflow)
        );
        let fl = Value::list(vec![Value::Float(0.5), Value::Float(0.25)]);
        assert!(matches!(sum_float(&mut [fl]), Ok(Value::Float(x)) if x == 0.75));
    }

    #[test]
    fn sort_is_stable_with_nan_last() {
        let xs = Value::list(vec![
            Value::Float(f64::NAN),
            Value::Float(2.0),
            Value::Float(-0.0),
            Value::Float(0.0),
            Value::Float(-1.0),
        ]);
        let Ok(Value::List(out)) = sort(&mut [xs]) else {
            panic!()
        };
        let bits: Vec<String> = out.items.iter().map(|v| format!("{v:?}")).collect();
        assert_eq!(
            bits,
            [
                "Float(-1.0)",
                "Float(-0.0)",
                "Float(0.0)",
                "Float(2.0)",
                "Float(NaN)"
            ]
        );
        assert_eq!(as_ints(sort(&mut [ints(&[3, 1, 2])])), [1, 2, 3]);
    }

    #[test]
    fn unique_keeps_first_occurrences() {
        assert_eq!(as_ints(unique(&mut [ints(&[3, 1, 3, 2, 1])])), [3, 1, 2]);
        let mixed = Value::list(vec![
            Value::Int(1),
            Value::Float(1.0),
            Value::Float(f64::NAN),
            Value::Float(f64::NAN),
        ]);
        let Ok(Value::List(out)) = unique(&mut [mixed]) else {
            panic!()
        };
        assert_eq!(out.items.len(), 3);
    }

    #[test]
    fn maps() {
        let m = |pairs: &[(i64, i64)]| {
            let mut mp = lumen_core::value::Map::default();
            for (k, v) in pairs {
                mp.entries.insert(MapKey::Int(*k), Value::Int(*v));
            }
            Value::Map(Rc::new(mp))
        };
        let a = m(&[(1, 1), (2, 2)]);
        let merged = merge(&mut [a.clone(), m(&[(2, 20), (3, 30)])]).unwrap();
        assert!(merged == m(&[(1, 1), (2, 20), (3, 30)]));
        assert!(a == m(&[(1, 1), (2, 2)]));
        let merged = merge(&mut [m(&[(1, 1), (2, 2)]), m(&[(2, 20)])]).unwrap();
        assert!(merged == m(&[(1, 1), (2, 20)]));
        assert!(remove_map(&mut [m(&[(1, 1)]), Value::Int(5)]).unwrap() == m(&[(1, 1)]));
        assert!(matches!(
            get(&mut [m(&[(1, 7)]), Value::Int(1)]),
            Ok(Value::Int(7))
        ));
        assert!(matches!(
            get(&mut [m(&[(1, 7)]), Value::Int(2)]),
            Ok(Value::Null)
        ));
        assert_eq!(as_ints(keys(&mut [m(&[(10, 0), (2, 0)])])), [2, 10]);
    }

    #[test]
    fn ranges() {
        assert_eq!(as_ints(range_list(0, 3, false)), [0, 1, 2]);
        assert_eq!(as_ints(range_list(0, 3, true)), [0, 1, 2, 3]);
        assert_eq!(as_ints(range_list(3, 0, true)), [] as [i64; 0]);
        assert_eq!(as_ints(range_list(i64::MAX - 1, i64::MAX, true)).len(), 2);
        // Far too large to allocate: an error, not a crash.
        assert!(matches!(
            range_list(i64::MIN, i64::MAX, true),
            Err(RtError::Internal(_))
        ));
    }
}
