//! Instructions kept out of the interpreter's hot loop: heap construction, strings,
//! maps, structural equality, type tests. Keeping them in a separate, non-inlined
//! function leaves the hot loop small enough for its state to stay in machine registers.
//! They work on the current frame's register window with ordinary (checked) indexing.

use super::bad_tag;
use crate::builtins::collections::range_list;
use lumen_core::display;
use lumen_core::error::{RtError, RtResult};
use lumen_core::lir::{Instr, LirModule, TypeDef, TypeTest};
use lumen_core::ops;
use lumen_core::value::{Boxed, Closure, List, Map, Record, Str, Tuple, Value, Variant};
use std::rc::Rc;

fn int(v: &Value) -> RtResult<i64> {
    match v {
        Value::Int(x) => Ok(*x),
        other => Err(bad_tag("Int", other)),
    }
}

fn string(v: &Value) -> RtResult<&Rc<Str>> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(bad_tag("String", other)),
    }
}

/// Moves registers `args..args + n` out (leaving them null).
fn take(regs: &mut [Value], args: u32, n: usize) -> Vec<Value> {
    let start = args as usize;
    regs[start..start + n]
        .iter_mut()
        .map(std::mem::take)
        .collect()
}

/// `v is test`.
fn type_test(v: &Value, test: TypeTest) -> bool {
    match (test, v) {
        (TypeTest::Int, Value::Int(_))
        | (TypeTest::Float, Value::Float(_))
        | (TypeTest::Bool, Value::Bool(_))
        | (TypeTest::Str, Value::Str(_))
        | (TypeTest::Null, Value::Null)
        | (TypeTest::List, Value::List(_))
        | (TypeTest::Map, Value::Map(_))
        | (TypeTest::Tuple, Value::Tuple(_))
        | (TypeTest::Result, Value::Ok(_) | Value::Err(_))
        | (TypeTest::Ok, Value::Ok(_))
        | (TypeTest::Err, Value::Err(_))
        | (TypeTest::Fn, Value::Fn(_)) => true,
        (TypeTest::Record(t), Value::Record(r)) => r.type_id == t,
        (TypeTest::Enum(t), Value::Variant(x)) => x.type_id == t,
        (TypeTest::Variant(t, tag), Value::Variant(x)) => x.type_id == t && x.tag == tag,
        _ => false,
    }
}

/// `s[i]`: character `i` as a String (O(1) for ASCII strings).
pub(crate) fn str_index(s: &Str, i: i64) -> RtResult<Value> {
    if i < 0 || i as u64 >= s.char_len() as u64 {
        return Err(RtError::IndexOutOfBounds);
    }
    let i = i as usize;
    let text = s.as_str();
    if s.is_ascii() {
        return Ok(Value::str(&text[i..i + 1]));
    }
    match text.chars().nth(i) {
        Some(c) => Ok(Value::str(c.to_string())),
        None => Err(RtError::IndexOutOfBounds),
    }
}

/// Byte-wise String comparison (`StrCmp`), shared with the interpreter's loop.
pub(crate) fn str_cmp(op: lumen_core::lir::CmpOp, x: &str, y: &str) -> bool {
    super::exec::str_cmp(op, x, y)
}

/// `list[i]` (checked).
#[inline(always)]
pub(crate) fn list_get(list: &Value, i: i64) -> RtResult<Value> {
    match list {
        Value::List(l) => usize::try_from(i)
            .ok()
            .and_then(|i| l.items.get(i))
            .cloned()
            .ok_or(RtError::IndexOutOfBounds),
        other => Err(bad_tag("list", other)),
    }
}

/// `list[i] = v` in place (copy-on-write; checked).
#[inline(always)]
pub(crate) fn list_set(list: &mut Value, i: i64, v: Value) -> RtResult<()> {
    match list {
        Value::List(l) => {
            let Some(i) = usize::try_from(i).ok().filter(|&i| i < l.items.len()) else {
                return Err(RtError::IndexOutOfBounds);
            };
            Rc::make_mut(l).items[i] = v;
            Ok(())
        }
        other => Err(bad_tag("list", other)),
    }
}

/// `len` of a list register.
#[inline(always)]
pub(crate) fn list_len(list: &Value) -> RtResult<i64> {
    match list {
        Value::List(l) => Ok(l.items.len() as i64),
        other => Err(bad_tag("list", other)),
    }
}

/// Element `index` of a tuple.
#[inline(always)]
pub(crate) fn tuple_get(tuple: &Value, index: u32) -> RtResult<Value> {
    match tuple {
        Value::Tuple(t) => t
            .items
            .get(index as usize)
            .cloned()
            .ok_or_else(|| RtError::Internal("tuple index out of range".into())),
        other => Err(bad_tag("tuple", other)),
    }
}

/// Field `field` of a record.
#[inline(always)]
pub(crate) fn field_get(record: &Value, field: u32) -> RtResult<Value> {
    match record {
        Value::Record(rec) => rec
            .fields
            .get(field as usize)
            .cloned()
            .ok_or_else(|| RtError::Internal("field out of range".into())),
        other => Err(bad_tag("record", other)),
    }
}

/// Variant index of an enum value.
#[inline(always)]
pub(crate) fn variant_tag(v: &Value) -> RtResult<i64> {
    match v {
        Value::Variant(v) => Ok(v.tag as i64),
        other => Err(bad_tag("enum", other)),
    }
}

/// Payload element `index` of an enum value.
#[inline(always)]
pub(crate) fn payload_get(v: &Value, index: u32) -> RtResult<Value> {
    match v {
        Value::Variant(v) => v
            .payload
            .get(index as usize)
            .cloned()
            .ok_or_else(|| RtError::Internal("payload index out of range".into())),
        other => Err(bad_tag("enum", other)),
    }
}

/// Executes `ins` (not a control-flow instruction) on the frame window `regs`.
#[inline(never)]
pub(crate) fn slow(m: &LirModule, regs: &mut [Value], ins: &Instr) -> RtResult<()> {
    use Instr::*;
    let r = |i: u32| i as usize;
    match *ins {
        LoadConst { dst, idx } => regs[r(dst)] = m.consts[idx as usize].clone(),
        IntPow { dst, a, b } => {
            regs[r(dst)] = Value::Int(ops::int_pow(int(&regs[r(a)])?, int(&regs[r(b)])?)?)
        }
        Eq { dst, a, b } => {
            regs[r(dst)] = Value::Bool(ops::values_equal(&regs[r(a)], &regs[r(b)])?);
        }
        Ne { dst, a, b } => {
            regs[r(dst)] = Value::Bool(!ops::values_equal(&regs[r(a)], &regs[r(b)])?);
        }
        Halt { msg } => return Err(RtError::Halt(string(&regs[r(msg)])?.as_str().to_string())),
        NoMatch => return Err(RtError::NoMatchArm),
        StrConcat { dst, a, b } => {
            let right = string(&regs[r(b)])?.clone();
            if dst == a {
                // `s = s + t` with `s` unique: append in place.
                match &mut regs[r(a)] {
                    Value::Str(s) => Rc::make_mut(s).push(&right),
                    other => return Err(bad_tag("String", other)),
                }
            } else {
                let left = string(&regs[r(a)])?;
                let len = left.as_str().len() + right.as_str().len();
                let mut s = Str::new(String::with_capacity(len));
                s.push(left);
                s.push(&right);
                regs[r(dst)] = Value::Str(Rc::new(s));
            }
        }
        ToStr { dst, src } => {
            let v = match &regs[r(src)] {
                Value::Str(s) => Value::Str(s.clone()),
                other => Value::str(display::display(other, m)?),
            };
            regs[r(dst)] = v;
        }
        StrBuild { dst, args, argc } => {
            let mut text = String::new();
            for v in &mut regs[r(args)..r(args) + argc as usize] {
                display::write_value(&mut text, v, m)?;
                *v = Value::Null;
            }
            regs[r(dst)] = Value::str(text);
        }
        StrIndex { dst, s, idx } => {
            let v = str_index(string(&regs[r(s)])?, int(&regs[r(idx)])?)?;
            regs[r(dst)] = v;
        }
        ListNew { dst, args, argc } => {
            let items = take(regs, args, argc as usize);
            regs[r(dst)] = Value::List(Rc::new(List { items }));
        }
        ListConcat { dst, a, b } => {
            let right = match &regs[r(b)] {
                Value::List(l) => l.clone(),
                other => return Err(bad_tag("list", other)),
            };
            let fresh = match &mut regs[r(a)] {
                Value::List(l) if dst == a => {
                    Rc::make_mut(l).items.extend(right.items.iter().cloned());
                    None
                }
                Value::List(l) => {
                    let mut v = Vec::with_capacity(l.items.len() + right.items.len());
                    v.extend(l.items.iter().cloned());
                    v.extend(right.items.iter().cloned());
                    Some(v)
                }
                other => return Err(bad_tag("list", other)),
            };
            if let Some(items) = fresh {
                regs[r(dst)] = Value::list(items);
            }
        }
        RangeList {
            dst,
            lo,
            hi,
            inclusive,
        } => {
            regs[r(dst)] = range_list(int(&regs[r(lo)])?, int(&regs[r(hi)])?, inclusive)?;
        }
        MapNew { dst, args, pairs } => {
            let mut map = Map::default();
            for p in 0..pairs {
                let k = ops::map_key(&regs[r(args + 2 * p)])?;
                regs[r(args + 2 * p)] = Value::Null;
                map.entries
                    .insert(k, std::mem::take(&mut regs[r(args + 2 * p + 1)]));
            }
            regs[r(dst)] = Value::Map(Rc::new(map));
        }
        MapGet { dst, map, key } => {
            let k = ops::map_key(&regs[r(key)])?;
            let v = match &regs[r(map)] {
                Value::Map(mp) => mp.entries.get(&k).cloned().ok_or(RtError::KeyNotFound)?,
                other => return Err(bad_tag("map", other)),
            };
            regs[r(dst)] = v;
        }
        MapSet { map, key, src } => {
            let k = ops::map_key(&regs[r(key)])?;
            let v = regs[r(src)].clone();
            match &mut regs[r(map)] {
                Value::Map(mp) => {
                    Rc::make_mut(mp).entries.insert(k, v);
                }
                other => return Err(bad_tag("map", other)),
            }
        }
        TupleNew { dst, args, argc } => {
            let items = take(regs, args, argc as usize);
            regs[r(dst)] = Value::Tuple(Rc::new(Tuple { items }));
        }
        FieldSet { record, field, src } => {
            let v = regs[r(src)].clone();
            match &mut regs[r(record)] {
                Value::Record(rec) if (field as usize) < rec.fields.len() => {
                    Rc::make_mut(rec).fields[field as usize] = v;
                }
                other => return Err(bad_tag("record", other)),
            }
        }
        MakeOk { dst, src } => {
            let value = regs[r(src)].clone();
            regs[r(dst)] = Value::Ok(Rc::new(Boxed { value }));
        }
        MakeErr { dst, src } => {
            let value = regs[r(src)].clone();
            regs[r(dst)] = Value::Err(Rc::new(Boxed { value }));
        }
        ResultValue { dst, src } => {
            let v = match &regs[r(src)] {
                Value::Ok(b) | Value::Err(b) => b.value.clone(),
                other => return Err(bad_tag("result", other)),
            };
            regs[r(dst)] = v;
        }
        Is { dst, src, test } => regs[r(dst)] = Value::Bool(type_test(&regs[r(src)], test)),
        Unwrap { dst, src } => {
            let v = match &regs[r(src)] {
                Value::Null => return Err(RtError::NullValue),
                v => v.clone(),
            };
            regs[r(dst)] = v;
        }
        MakeClosure {
            dst,
            cell,
            args,
            argc,
        } => {
            let captures = take(regs, args, argc as usize);
            regs[r(dst)] = Value::Fn(Rc::new(Closure { cell, captures }));
        }
        ListGet { dst, list, idx } | ListGetUnchecked { dst, list, idx } => {
            regs[r(dst)] = list_get(&regs[r(list)], int(&regs[r(idx)])?)?;
        }
        ListSet { list, idx, src } => {
            let (i, v) = (int(&regs[r(idx)])?, regs[r(src)].clone());
            list_set(&mut regs[r(list)], i, v)?;
        }
        ListLen { dst, list } => regs[r(dst)] = Value::Int(list_len(&regs[r(list)])?),
        TupleGet { dst, tuple, index } => regs[r(dst)] = tuple_get(&regs[r(tuple)], index)?,
        FieldGet { dst, record, field } => regs[r(dst)] = field_get(&regs[r(record)], field)?,
        VariantTag { dst, src } => regs[r(dst)] = Value::Int(variant_tag(&regs[r(src)])?),
        PayloadGet { dst, src, index } => regs[r(dst)] = payload_get(&regs[r(src)], index)?,
        StrCmp { op, dst, a, b } => {
            let (x, y) = (string(&regs[r(a)])?, string(&regs[r(b)])?);
            regs[r(dst)] = Value::Bool(str_cmp(op, x.as_str(), y.as_str()));
        }
        RecordNew { dst, type_id, args } => {
            let n = match m.types.defs.get(type_id as usize) {
                Some(TypeDef::Record { fields, .. }) => fields.len(),
                _ => return Err(RtError::Internal("not a record type".into())),
            };
            let fields = take(regs, args, n);
            regs[r(dst)] = Value::Record(Rc::new(Record { type_id, fields }));
        }
        VariantNew {
            dst,
            type_id,
            tag,
            args,
        } => {
            let n = match m.types.defs.get(type_id as usize) {
                Some(TypeDef::Enum { variants, .. }) => {
                    variants.get(tag as usize).map_or(0, |v| v.arity as usize)
                }
                _ => return Err(RtError::Internal("not an enum type".into())),
            };
            let payload = take(regs, args, n);
            regs[r(dst)] = Value::Variant(Rc::new(Variant {
                type_id,
                tag,
                payload,
            }));
        }
        Copy { dst, src } => regs[r(dst)] = regs[r(src)].clone(),
        Move { dst, src } => {
            if dst != src {
                regs[r(dst)] = std::mem::take(&mut regs[r(src)]);
            }
        }
        ref other => {
            return Err(RtError::Internal(format!(
                "{other:?} reached the slow path"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::value::Variant;

    #[test]
    fn type_tests() {
        assert!(type_test(&Value::Int(1), TypeTest::Int));
        assert!(!type_test(&Value::Int(1), TypeTest::Float));
        assert!(type_test(&Value::ok(Value::Null), TypeTest::Result));
        assert!(type_test(&Value::ok(Value::Null), TypeTest::Ok));
        assert!(!type_test(&Value::ok(Value::Null), TypeTest::Err));
        assert!(type_test(&Value::err(Value::Null), TypeTest::Err));
        let v = Value::Variant(Rc::new(Variant {
            type_id: 2,
            tag: 1,
            payload: vec![],
        }));
        assert!(type_test(&v, TypeTest::Enum(2)));
        assert!(type_test(&v, TypeTest::Variant(2, 1)));
        assert!(!type_test(&v, TypeTest::Variant(2, 0)));
        assert!(!type_test(&v, TypeTest::Record(2)));
    }
}
