//! The builtin functions of §8, one file per group. [`call`] dispatches a resolved
//! overload; arguments are *moved* out of the caller's argument registers, so a builtin
//! holding the only reference to a list or map updates it in place.

pub(crate) mod collections;
pub(crate) mod convert;
pub(crate) mod higher_order;
pub(crate) mod io;
pub(crate) mod math;
pub(crate) mod strings;

use crate::vm::{Fault, State, kind};
use lumen_core::builtins::Builtin;
use lumen_core::error::{RtError, RtResult};
use lumen_core::lir::LirModule;
use lumen_core::value::{List, Map, Str, Value};
use std::io::Write;
use std::rc::Rc;

/// Calls builtin `b` on the argument registers `start..start + argc` (absolute indices).
pub(crate) fn call(
    m: &LirModule,
    st: &mut State,
    b: Builtin,
    start: usize,
    argc: usize,
) -> Result<Value, Fault> {
    use Builtin as B;
    match b {
        B::Print => return io::print(m, st, start, argc).map_err(Fault::from),
        B::Args => return Ok(io::args(st)),
        B::ReadLine => return Ok(io::read_line(st)),
        B::Clock => return Ok(io::clock(st)),
        _ if b.calls_functions() => return higher_order::call(m, st, b, start, argc),
        _ => {}
    }
    let res = call_on(m, b, st.arg_slice(start, argc));
    if b == B::Exit {
        // `exit` flushes stdout before unwinding (§8).
        let _ = st.out.flush();
    }
    res.map_err(Fault::from)
}

/// True when builtin `b` needs only its arguments (and the module): [`call_on`] runs it.
pub(crate) fn needs_only_arguments(b: Builtin) -> bool {
    use Builtin as B;
    !matches!(b, B::Print | B::Args | B::ReadLine | B::Clock | B::Exit) && !b.calls_functions()
}

/// Calls builtin `b`, one that needs nothing but its arguments `a` (all but the
/// input/output and higher-order ones), on them where they are: the VM passes its
/// argument registers, native code its frame's operand slots. Arguments are moved into
/// the call: afterwards `a` holds no heap value.
pub(crate) fn call_on(m: &LirModule, b: Builtin, a: &mut [Value]) -> RtResult<Value> {
    use Builtin as B;
    let res = match b {
        B::Exit => io::exit(a),
        B::ToString => convert::to_string(m, a),
        B::ToIntFromInt | B::ToIntFromFloat | B::ToIntFromStr | B::ToIntDyn => convert::to_int(a),
        B::ToFloatFromInt | B::ToFloatFromFloat | B::ToFloatFromStr | B::ToFloatDyn => {
            convert::to_float(a)
        }
        B::TypeOf => convert::type_of(m, a),

        B::LenStr => strings::len(a),
        B::Upper => strings::upper(a),
        B::Lower => strings::lower(a),
        B::Trim => strings::trim(a),
        B::Split => strings::split(a),
        B::Join => strings::join(a),
        B::Replace => strings::replace(a),
        B::ContainsStr => strings::contains(a),
        B::StartsWith => strings::starts_with(a),
        B::EndsWith => strings::ends_with(a),
        B::Chars => strings::chars(a),
        B::IndexOfStr => strings::index_of(a),
        B::SliceStr => strings::slice(a),
        B::Repeat => strings::repeat(a),
        B::PadLeft => strings::pad(a, true),
        B::PadRight => strings::pad(a, false),
        B::Ord => strings::ord(a),
        B::Chr => strings::chr(a),
        B::ReverseStr => strings::reverse(a),
        B::IsEmptyStr => strings::is_empty(a),

        B::AbsInt => math::abs_int(a),
        B::AbsFloat => math::abs_float(a),
        B::MinInt => math::min_int(a),
        B::MinFloat => math::min_float(a),
        B::MaxInt => math::max_int(a),
        B::MaxFloat => math::max_float(a),
        B::ClampInt => math::clamp_int(a),
        B::ClampFloat => math::clamp_float(a),
        B::PowInt => math::pow_int(a),
        B::PowFloat | B::Atan2 => math::binary(a, b),
        B::Floor | B::Ceil | B::Round => math::rounding(a, b),
        B::Sqrt | B::Exp | B::Log | B::Sin | B::Cos | B::Tan => math::unary(a, b),

        B::LenList => collections::len_list(a),
        B::LenMap => collections::len_map(a),
        B::IsEmptyList => collections::is_empty_list(a),
        B::IsEmptyMap => collections::is_empty_map(a),
        B::Append => collections::append(a),
        B::ReserveRange => collections::reserve_range(a, false),
        B::ReserveRangeInclusive => collections::reserve_range(a, true),
        B::Pop => collections::pop(a),
        B::Insert => collections::insert(a),
        B::RemoveList => collections::remove_list(a),
        B::RemoveMap => collections::remove_map(a),
        B::ContainsList => collections::contains_list(a),
        B::ContainsMap | B::HasKey => collections::has_key(a),
        B::IndexOfList => collections::index_of(a),
        B::First => collections::first(a),
        B::Last => collections::last(a),
        B::Take => collections::take(a),
        B::Drop => collections::drop(a),
        B::SliceList => collections::slice(a),
        B::Range => collections::range(a),
        B::SumInt => collections::sum_int(a),
        B::SumFloat => collections::sum_float(a),
        B::Sort => collections::sort(a),
        B::ReverseList => collections::reverse(a),
        B::Unique => collections::unique(a),
        B::Flatten => collections::flatten(a),
        B::Enumerate => collections::enumerate(a),
        B::Zip => collections::zip(a),
        B::Keys => collections::keys(a),
        B::Values => collections::values(a),
        B::Entries => collections::entries(a),
        B::Get => collections::get(a),
        B::Merge => collections::merge(a),

        B::Print | B::Args | B::ReadLine | B::Clock => unreachable_builtin(b),
        B::SortBy | B::Map | B::Filter | B::Reduce | B::Any | B::All | B::Find => {
            unreachable_builtin(b)
        }
    };
    // Arguments are moved into the call: release what the builtin only borrowed, so a
    // value passed to, e.g., `get(m, k)` is unique again afterwards (`m[k] = v` in place).
    for v in a {
        if !v.is_scalar() {
            *v = Value::Null;
        }
    }
    res
}

#[cold]
fn unreachable_builtin(b: Builtin) -> RtResult<Value> {
    Err(RtError::Internal(format!(
        "builtin {} dispatched wrongly",
        b.ident()
    )))
}

// ---- argument accessors: a wrong kind is an internal error (the checker rules it out).

#[cold]
pub(crate) fn wrong(want: &str, got: &Value) -> RtError {
    RtError::Internal(format!("builtin expected {want}, found {}", kind(got)))
}

/// The Int in `v`.
pub(crate) fn int(v: &Value) -> RtResult<i64> {
    match v {
        Value::Int(x) => Ok(*x),
        other => Err(wrong("Int", other)),
    }
}

/// The number in `v` as a Float (Ints convert to the nearest Float).
pub(crate) fn float(v: &Value) -> RtResult<f64> {
    match v {
        Value::Float(x) => Ok(*x),
        Value::Int(x) => Ok(*x as f64),
        other => Err(wrong("Float", other)),
    }
}

/// The String in `v`.
pub(crate) fn string(v: &Value) -> RtResult<&Rc<Str>> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(wrong("String", other)),
    }
}

/// The list in `v`.
pub(crate) fn list(v: &Value) -> RtResult<&Rc<List>> {
    match v {
        Value::List(l) => Ok(l),
        other => Err(wrong("list", other)),
    }
}

/// The list in `v`, taken out (for in-place updates when it is unique).
pub(crate) fn take_list(v: &mut Value) -> RtResult<Rc<List>> {
    match std::mem::take(v) {
        Value::List(l) => Ok(l),
        other => Err(wrong("list", &other)),
    }
}

/// The map in `v`.
pub(crate) fn map(v: &Value) -> RtResult<&Rc<Map>> {
    match v {
        Value::Map(mp) => Ok(mp),
        other => Err(wrong("map", other)),
    }
}

/// The map in `v`, taken out (for in-place updates when it is unique).
pub(crate) fn take_map(v: &mut Value) -> RtResult<Rc<Map>> {
    match std::mem::take(v) {
        Value::Map(mp) => Ok(mp),
        other => Err(wrong("map", &other)),
    }
}

/// Clamps a user index to `0..=len` (used by `slice`, `take`, `drop`).
pub(crate) fn clamp_index(i: i64, len: usize) -> usize {
    if i <= 0 {
        0
    } else if i as u64 >= len as u64 {
        len
    } else {
        i as usize
    }
}
