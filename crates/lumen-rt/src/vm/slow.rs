//! Instructions kept out of the interpreter's hot loop: heap construction, strings,
//! maps, structural equality, type tests. Keeping them in a separate, non-inlined
//! function leaves the hot loop small enough for its state to stay in machine registers.
//!
//! Each operation is one function over the current frame's register window (ordinary,
//! checked indexing) taking the instruction's operands; [`slow`] dispatches to them for
//! the interpreter, and native code calls the same functions through one `extern "C"`
//! helper per operation (`native::ops`), so both tiers share every semantic detail.

use super::bad_tag;
use crate::builtins::collections::range_list as range_ints;
use lumen_core::display;
use lumen_core::error::{RtError, RtResult};
use lumen_core::lir::{CmpOp, Instr, LirModule, Reg, TypeDef, TypeTest};
use lumen_core::ops;
use lumen_core::value::{
    Boxed, CellId, Closure, List, Map, Record, Str, Tuple, TypeId, Value, Variant,
};
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
pub(crate) fn type_test(v: &Value, test: TypeTest) -> bool {
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
fn char_at(s: &Str, i: i64) -> RtResult<Value> {
    if i < 0 || i as u64 >= s.char_len() as u64 {
        return Err(RtError::IndexOutOfBounds);
    }
    let i = i as usize;
    let text = s.as_str();
    if s.is_ascii() {
        return Ok(Value::char(text.as_bytes()[i] as char));
    }
    match text.chars().nth(i) {
        Some(c) => Ok(Value::char(c)),
        None => Err(RtError::IndexOutOfBounds),
    }
}

/// Byte-wise String comparison (`StrCmp`), shared with the interpreter's loop.
pub(crate) fn cmp_strs(op: CmpOp, x: &str, y: &str) -> bool {
    super::exec::str_cmp(op, x, y)
}

fn r(i: Reg) -> usize {
    i as usize
}

// ---- one function per operation: `regs` is the frame's register window, the other
// parameters are the instruction's operands. Each holds the operation's semantics once,
// for the interpreter (through `slow`) and for native code (through `native::ops`).

/// `LoadConst`: `dst = consts[idx]`.
pub(crate) fn load_const(m: &LirModule, regs: &mut [Value], dst: Reg, idx: u32) -> RtResult<()> {
    regs[r(dst)] = constant(m, idx)?.clone();
    Ok(())
}

/// Pool constant `idx` of `m`.
pub(crate) fn constant(m: &LirModule, idx: u32) -> RtResult<&Value> {
    m.consts
        .get(idx as usize)
        .ok_or_else(|| RtError::Internal(format!("no constant {idx}")))
}

/// `Copy`: `dst = src` (shared).
pub(crate) fn copy(regs: &mut [Value], dst: Reg, src: Reg) -> RtResult<()> {
    regs[r(dst)] = regs[r(src)].clone();
    Ok(())
}

/// `Move`: `dst = src`, leaving `src` null.
pub(crate) fn move_reg(regs: &mut [Value], dst: Reg, src: Reg) -> RtResult<()> {
    if dst != src {
        regs[r(dst)] = std::mem::take(&mut regs[r(src)]);
    }
    Ok(())
}

/// `IntPow`: `dst = a ** b`.
pub(crate) fn int_pow(regs: &mut [Value], dst: Reg, a: Reg, b: Reg) -> RtResult<()> {
    regs[r(dst)] = Value::Int(ops::int_pow(int(&regs[r(a)])?, int(&regs[r(b)])?)?);
    Ok(())
}

/// `Eq`: structural equality.
pub(crate) fn eq(regs: &mut [Value], dst: Reg, a: Reg, b: Reg) -> RtResult<()> {
    regs[r(dst)] = Value::Bool(ops::values_equal(&regs[r(a)], &regs[r(b)])?);
    Ok(())
}

/// `Ne`: negated structural equality.
pub(crate) fn ne(regs: &mut [Value], dst: Reg, a: Reg, b: Reg) -> RtResult<()> {
    regs[r(dst)] = Value::Bool(!ops::values_equal(&regs[r(a)], &regs[r(b)])?);
    Ok(())
}

/// `StrCmp`: `dst = a op b` on Strings.
pub(crate) fn str_cmp(regs: &mut [Value], op: CmpOp, dst: Reg, a: Reg, b: Reg) -> RtResult<()> {
    let (x, y) = (string(&regs[r(a)])?, string(&regs[r(b)])?);
    regs[r(dst)] = Value::Bool(cmp_strs(op, x.as_str(), y.as_str()));
    Ok(())
}

/// `Halt`: always fails, with the String in `msg` as the message.
pub(crate) fn halt(regs: &mut [Value], msg: Reg) -> RtResult<()> {
    Err(RtError::Halt(string(&regs[r(msg)])?.as_str().to_string()))
}

/// `NoMatch`: always fails with `no match arm`.
pub(crate) fn no_match() -> RtResult<()> {
    Err(RtError::NoMatchArm)
}

/// `StrConcat`: `dst = a + b` (in place when `dst == a` and the String is unique).
pub(crate) fn str_concat(regs: &mut [Value], dst: Reg, a: Reg, b: Reg) -> RtResult<()> {
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
    Ok(())
}

/// `ToStr`: the display form of `src`.
pub(crate) fn to_str(m: &LirModule, regs: &mut [Value], dst: Reg, src: Reg) -> RtResult<()> {
    let v = match &regs[r(src)] {
        Value::Str(s) => Value::Str(s.clone()),
        other => Value::str(display::display(other, m)?),
    };
    regs[r(dst)] = v;
    Ok(())
}

/// `StrBuild`: concatenated display forms of `args..args + argc` (moved out).
pub(crate) fn str_build(
    m: &LirModule,
    regs: &mut [Value],
    dst: Reg,
    args: Reg,
    argc: u32,
) -> RtResult<()> {
    let parts = &mut regs[r(args)..r(args) + argc as usize];
    // The Strings' bytes, so that a concatenation (`a + b + c`) allocates once.
    let known: usize = parts
        .iter()
        .map(|v| match v {
            Value::Str(s) => s.as_str().len(),
            _ => 0,
        })
        .sum();
    let mut text = String::with_capacity(known);
    for v in parts {
        display::write_value(&mut text, v, m)?;
        *v = Value::Null;
    }
    regs[r(dst)] = Value::str(text);
    Ok(())
}

/// `StrIndex`: `dst = s[idx]` (checked).
pub(crate) fn str_index(regs: &mut [Value], dst: Reg, s: Reg, idx: Reg) -> RtResult<()> {
    let v = char_at(string(&regs[r(s)])?, int(&regs[r(idx)])?)?;
    regs[r(dst)] = v;
    Ok(())
}

/// `ListNew`: a list of `args..args + argc` (moved out).
pub(crate) fn list_new(regs: &mut [Value], dst: Reg, args: Reg, argc: u32) -> RtResult<()> {
    let items = take(regs, args, argc as usize);
    regs[r(dst)] = Value::List(Rc::new(List { items }));
    Ok(())
}

/// `ListGet` (and `ListGetUnchecked`, whose proof the interpreter does not rely on):
/// `dst = list[idx]` (checked).
pub(crate) fn list_get(regs: &mut [Value], dst: Reg, list: Reg, idx: Reg) -> RtResult<()> {
    let i = int(&regs[r(idx)])?;
    regs[r(dst)] = element_of(&regs[r(list)], i)?;
    Ok(())
}

/// Element `i` of a list value (checked); also native code's read errors.
pub(crate) fn element_of(list: &Value, i: i64) -> RtResult<Value> {
    match list {
        Value::List(l) => usize::try_from(i)
            .ok()
            .and_then(|i| l.items.get(i))
            .cloned()
            .ok_or(RtError::IndexOutOfBounds),
        other => Err(bad_tag("list", other)),
    }
}

/// `ListSet`: `list[idx] = src` in place (copy-on-write; checked).
pub(crate) fn list_set(regs: &mut [Value], list: Reg, idx: Reg, src: Reg) -> RtResult<()> {
    // The source is copied first, so `xs[i] = xs` stores the old list.
    let (i, v) = (int(&regs[r(idx)])?, regs[r(src)].clone());
    match &mut regs[r(list)] {
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

/// `ListLen`: `dst = len(list)`.
pub(crate) fn list_len(regs: &mut [Value], dst: Reg, list: Reg) -> RtResult<()> {
    regs[r(dst)] = Value::Int(len_of(&regs[r(list)])?);
    Ok(())
}

/// The length of a list value.
pub(crate) fn len_of(list: &Value) -> RtResult<i64> {
    match list {
        Value::List(l) => Ok(l.items.len() as i64),
        other => Err(bad_tag("list", other)),
    }
}

/// `ListConcat`: `dst = a ++ b` (in place when `dst == a` and the list is unique).
pub(crate) fn list_concat(regs: &mut [Value], dst: Reg, a: Reg, b: Reg) -> RtResult<()> {
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
    Ok(())
}

/// `RangeList`: `dst = lo..hi` (or `lo..=hi`) as a list of Ints.
pub(crate) fn range_list(
    regs: &mut [Value],
    dst: Reg,
    lo: Reg,
    hi: Reg,
    inclusive: bool,
) -> RtResult<()> {
    regs[r(dst)] = range_ints(int(&regs[r(lo)])?, int(&regs[r(hi)])?, inclusive)?;
    Ok(())
}

/// `MapNew`: a map of the key/value pairs in `args..args + 2 * pairs` (moved out).
pub(crate) fn map_new(regs: &mut [Value], dst: Reg, args: Reg, pairs: u32) -> RtResult<()> {
    let mut map = Map::default();
    for p in 0..pairs {
        let k = ops::map_key(&regs[r(args + 2 * p)])?;
        regs[r(args + 2 * p)] = Value::Null;
        map.entries
            .insert(k, std::mem::take(&mut regs[r(args + 2 * p + 1)]));
    }
    regs[r(dst)] = Value::Map(Rc::new(map));
    Ok(())
}

/// `MapGet`: `dst = map[key]` (`key not found`).
pub(crate) fn map_get(regs: &mut [Value], dst: Reg, map: Reg, key: Reg) -> RtResult<()> {
    let k = ops::map_key(&regs[r(key)])?;
    let v = match &regs[r(map)] {
        Value::Map(mp) => mp.entries.get(&k).cloned().ok_or(RtError::KeyNotFound)?,
        other => return Err(bad_tag("map", other)),
    };
    regs[r(dst)] = v;
    Ok(())
}

/// `MapSet`: `map[key] = src` in place (copy-on-write).
pub(crate) fn map_set(regs: &mut [Value], map: Reg, key: Reg, src: Reg) -> RtResult<()> {
    let k = ops::map_key(&regs[r(key)])?;
    let v = regs[r(src)].clone();
    match &mut regs[r(map)] {
        Value::Map(mp) => {
            Rc::make_mut(mp).entries.insert(k, v);
            Ok(())
        }
        other => Err(bad_tag("map", other)),
    }
}

/// `TupleNew`: a tuple of `args..args + argc` (moved out).
pub(crate) fn tuple_new(regs: &mut [Value], dst: Reg, args: Reg, argc: u32) -> RtResult<()> {
    let items = take(regs, args, argc as usize);
    regs[r(dst)] = Value::Tuple(Rc::new(Tuple { items }));
    Ok(())
}

/// `TupleGet`: element `index` of a tuple.
pub(crate) fn tuple_get(regs: &mut [Value], dst: Reg, tuple: Reg, index: u32) -> RtResult<()> {
    let v = match &regs[r(tuple)] {
        Value::Tuple(t) => t
            .items
            .get(index as usize)
            .cloned()
            .ok_or_else(|| RtError::Internal("tuple index out of range".into()))?,
        other => return Err(bad_tag("tuple", other)),
    };
    regs[r(dst)] = v;
    Ok(())
}

/// `RecordNew`: a record of `type_id` whose fields are `args..` (moved out).
pub(crate) fn record_new(
    m: &LirModule,
    regs: &mut [Value],
    dst: Reg,
    type_id: TypeId,
    args: Reg,
) -> RtResult<()> {
    let n = match m.types.defs.get(type_id as usize) {
        Some(TypeDef::Record { fields, .. }) => fields.len(),
        _ => return Err(RtError::Internal("not a record type".into())),
    };
    let fields = take(regs, args, n);
    regs[r(dst)] = Value::Record(Rc::new(Record { type_id, fields }));
    Ok(())
}

/// `FieldGet`: field `field` of a record.
pub(crate) fn field_get(regs: &mut [Value], dst: Reg, record: Reg, field: u32) -> RtResult<()> {
    regs[r(dst)] = field_of(&regs[r(record)], field)?;
    Ok(())
}

/// Field `field` of a record value.
pub(crate) fn field_of(record: &Value, field: u32) -> RtResult<Value> {
    match record {
        Value::Record(rec) => rec
            .fields
            .get(field as usize)
            .cloned()
            .ok_or_else(|| RtError::Internal("field out of range".into())),
        other => Err(bad_tag("record", other)),
    }
}

/// `FieldSet`: `record.field = src` in place (copy-on-write).
pub(crate) fn field_set(regs: &mut [Value], record: Reg, field: u32, src: Reg) -> RtResult<()> {
    let v = regs[r(src)].clone();
    match &mut regs[r(record)] {
        Value::Record(rec) if (field as usize) < rec.fields.len() => {
            Rc::make_mut(rec).fields[field as usize] = v;
            Ok(())
        }
        other => Err(bad_tag("record", other)),
    }
}

/// `VariantNew`: variant `tag` of enum `type_id` whose payload is `args..` (moved out).
pub(crate) fn variant_new(
    m: &LirModule,
    regs: &mut [Value],
    dst: Reg,
    type_id: TypeId,
    tag: u32,
    args: Reg,
) -> RtResult<()> {
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
    Ok(())
}

/// `VariantTag`: the variant index of an enum value, as an Int.
pub(crate) fn variant_tag(regs: &mut [Value], dst: Reg, src: Reg) -> RtResult<()> {
    let t = match &regs[r(src)] {
        Value::Variant(v) => v.tag as i64,
        other => return Err(bad_tag("enum", other)),
    };
    regs[r(dst)] = Value::Int(t);
    Ok(())
}

/// `PayloadGet`: payload element `index` of an enum value.
pub(crate) fn payload_get(regs: &mut [Value], dst: Reg, src: Reg, index: u32) -> RtResult<()> {
    let v = match &regs[r(src)] {
        Value::Variant(v) => v
            .payload
            .get(index as usize)
            .cloned()
            .ok_or_else(|| RtError::Internal("payload index out of range".into()))?,
        other => return Err(bad_tag("enum", other)),
    };
    regs[r(dst)] = v;
    Ok(())
}

/// `MakeOk`: `dst = ok(src)`.
pub(crate) fn make_ok(regs: &mut [Value], dst: Reg, src: Reg) -> RtResult<()> {
    let value = regs[r(src)].clone();
    regs[r(dst)] = Value::Ok(Rc::new(Boxed { value }));
    Ok(())
}

/// `MakeErr`: `dst = err(src)`.
pub(crate) fn make_err(regs: &mut [Value], dst: Reg, src: Reg) -> RtResult<()> {
    let value = regs[r(src)].clone();
    regs[r(dst)] = Value::Err(Rc::new(Boxed { value }));
    Ok(())
}

/// `ResultValue`: the payload of an `ok` or `err`.
pub(crate) fn result_value(regs: &mut [Value], dst: Reg, src: Reg) -> RtResult<()> {
    let v = match &regs[r(src)] {
        Value::Ok(b) | Value::Err(b) => b.value.clone(),
        other => return Err(bad_tag("result", other)),
    };
    regs[r(dst)] = v;
    Ok(())
}

/// `Is`: `dst = src is test`.
pub(crate) fn is(regs: &mut [Value], dst: Reg, src: Reg, test: TypeTest) -> RtResult<()> {
    regs[r(dst)] = Value::Bool(type_test(&regs[r(src)], test));
    Ok(())
}

/// `Unwrap`: `dst = src!` (`null value` when null).
pub(crate) fn unwrap(regs: &mut [Value], dst: Reg, src: Reg) -> RtResult<()> {
    let v = match &regs[r(src)] {
        Value::Null => return Err(RtError::NullValue),
        v => v.clone(),
    };
    regs[r(dst)] = v;
    Ok(())
}

/// `MakeClosure`: a function value for `cell` capturing `args..args + argc` (moved out).
pub(crate) fn make_closure(
    regs: &mut [Value],
    dst: Reg,
    cell: CellId,
    args: Reg,
    argc: u32,
) -> RtResult<()> {
    let captures = take(regs, args, argc as usize);
    regs[r(dst)] = Value::Fn(Rc::new(Closure { cell, captures }));
    Ok(())
}

/// Executes `ins` (not a control-flow instruction) on the frame window `regs`: the
/// interpreter's out-of-line path, dispatching to the operation's function.
#[inline(never)]
pub(crate) fn slow(m: &LirModule, regs: &mut [Value], ins: &Instr) -> RtResult<()> {
    use Instr::*;
    match *ins {
        LoadConst { dst, idx } => load_const(m, regs, dst, idx),
        Copy { dst, src } => copy(regs, dst, src),
        Move { dst, src } => move_reg(regs, dst, src),
        IntPow { dst, a, b } => int_pow(regs, dst, a, b),
        Eq { dst, a, b } => eq(regs, dst, a, b),
        Ne { dst, a, b } => ne(regs, dst, a, b),
        StrCmp { op, dst, a, b } => str_cmp(regs, op, dst, a, b),
        Halt { msg } => halt(regs, msg),
        NoMatch => no_match(),
        StrConcat { dst, a, b } => str_concat(regs, dst, a, b),
        ToStr { dst, src } => to_str(m, regs, dst, src),
        StrBuild { dst, args, argc } => str_build(m, regs, dst, args, argc),
        StrIndex { dst, s, idx } => str_index(regs, dst, s, idx),
        ListNew { dst, args, argc } => list_new(regs, dst, args, argc),
        ListGet { dst, list, idx } | ListGetUnchecked { dst, list, idx } => {
            list_get(regs, dst, list, idx)
        }
        ListSet { list, idx, src } => list_set(regs, list, idx, src),
        ListLen { dst, list } => list_len(regs, dst, list),
        ListConcat { dst, a, b } => list_concat(regs, dst, a, b),
        RangeList {
            dst,
            lo,
            hi,
            inclusive,
        } => range_list(regs, dst, lo, hi, inclusive),
        MapNew { dst, args, pairs } => map_new(regs, dst, args, pairs),
        MapGet { dst, map, key } => map_get(regs, dst, map, key),
        MapSet { map, key, src } => map_set(regs, map, key, src),
        TupleNew { dst, args, argc } => tuple_new(regs, dst, args, argc),
        TupleGet { dst, tuple, index } => tuple_get(regs, dst, tuple, index),
        RecordNew { dst, type_id, args } => record_new(m, regs, dst, type_id, args),
        FieldGet { dst, record, field } => field_get(regs, dst, record, field),
        FieldSet { record, field, src } => field_set(regs, record, field, src),
        VariantNew {
            dst,
            type_id,
            tag,
            args,
        } => variant_new(m, regs, dst, type_id, tag, args),
        VariantTag { dst, src } => variant_tag(regs, dst, src),
        PayloadGet { dst, src, index } => payload_get(regs, dst, src, index),
        MakeOk { dst, src } => make_ok(regs, dst, src),
        MakeErr { dst, src } => make_err(regs, dst, src),
        ResultValue { dst, src } => result_value(regs, dst, src),
        Is { dst, src, test } => is(regs, dst, src, test),
        Unwrap { dst, src } => unwrap(regs, dst, src),
        MakeClosure {
            dst,
            cell,
            args,
            argc,
        } => make_closure(regs, dst, cell, args, argc),
        ref other => Err(RtError::Internal(format!(
            "{other:?} reached the slow path"
        ))),
    }
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
