//! The `extern "C"` helpers native code calls, and [`helpers`], the table the JIT
//! registers them from.
//!
//! These are the helpers of errors, frames, slots and scalar or value-level operations
//! (`lumen_rt_int_pow`, `lumen_rt_str_cmp`, `lumen_rt_equal`, …); every other
//! instruction has its own helper in [`super::ops`], one per operation.
//!
//! Conventions: `ctx` first; registers are passed as pointers to the native frame's
//! slots (16-byte [`Value`]s) or scalars by value; a helper that fails records the error
//! in the context (`ctx.err != 0`) and the caller records its frame and returns. Every
//! operation calls the VM's own implementation; nothing here decides Lumen semantics.

use super::ctx::NativeCtx;
use crate::trace::TraceFrame;
use crate::vm::slow::{
    cmp_strs, element_of, field_of, len_of, payload_get, tuple_get, variant_tag,
};
use crate::vm::{bad_kind, bad_tag, kind_of_tag};
use lumen_core::builtins::Builtin;
use lumen_core::error::RtError;
use lumen_core::lir::LirModule;
use lumen_core::ops;
use lumen_core::value::Value;
use std::rc::Rc;

/// `lumen_rt_push_frame` raise kind: `integer overflow`.
pub const RAISE_INTEGER_OVERFLOW: u32 = 1;
/// `lumen_rt_push_frame` raise kind: `division by zero`.
pub const RAISE_DIVISION_BY_ZERO: u32 = 2;
/// `lumen_rt_push_frame` raise kind: `stack overflow`.
pub const RAISE_STACK_OVERFLOW: u32 = 4;

/// `lumen_rt_push_frame` raise kind: a register or argument holding the wrong kind of
/// value (an internal error). The low byte is this; bits 8–15 hold the wanted tag (Int,
/// Float or Bool), bits 16–23 the tag found: `RAISE_BAD_TAG | want << 8 | found << 16`.
pub const RAISE_BAD_TAG: u32 = 8;

/// `lumen_rt_push_frame` raise kind: an inline read that failed its checks (`ctx.fault_obj`
/// and `ctx.fault_idx` hold the object and index): `RAISE_READ_FAULT | read << 8 | want
/// << 16` with `read` one of the `READ_*` constants and `want` the tag the result
/// register wants (`Int`, `Float` or `Bool`; any other: a heap register). The error is
/// the VM's for the same read: a wrong kind of object, `index out of bounds`, or an
/// element of the wrong kind for a scalar register.
pub const RAISE_READ_FAULT: u32 = 16;

/// `lumen_rt_push_frame` pc: raise only, record no frame (a call that overflows the
/// stack fails in its caller, which records the frame, as in the VM).
pub const NO_FRAME: u32 = u32::MAX;

/// [`RAISE_READ_FAULT`] read: `ListGet`/`ListGetUnchecked` (element `idx`).
pub const READ_LIST_ELEMENT: u32 = 0;
/// [`RAISE_READ_FAULT`] read: `FieldGet` (field `idx`).
pub const READ_FIELD: u32 = 1;
/// [`RAISE_READ_FAULT`] read: `ListLen`.
pub const READ_LIST_LEN: u32 = 2;
/// [`RAISE_READ_FAULT`] read: `PayloadGet` (payload element `idx`).
pub const READ_PAYLOAD: u32 = 3;
/// [`RAISE_READ_FAULT`] read: `TupleGet` (item `idx`).
pub const READ_TUPLE: u32 = 4;
/// [`RAISE_READ_FAULT`] read: `VariantTag`.
pub const READ_VARIANT_TAG: u32 = 5;

/// Machine types of helper parameters and results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbiTy {
    /// A pointer (`*mut NativeCtx`, `*mut Value`).
    Ptr,
    /// A 32-bit integer (cell and instruction indices, kinds, Booleans returned).
    I32,
    /// A 64-bit integer (`Int`).
    I64,
    /// A 64-bit float (`Float`).
    F64,
}

/// One helper: its symbol name, address and signature.
#[derive(Clone, Copy, Debug)]
pub struct Helper {
    /// Symbol name (`lumen_rt_…`).
    pub name: &'static str,
    /// Address of the function.
    pub addr: *const u8,
    /// Parameter types, in order.
    pub params: &'static [AbiTy],
    /// Result type, if any.
    pub ret: Option<AbiTy>,
}

/// Every helper native code may call: the ones here and the per-operation helpers of
/// [`super::ops`].
pub fn helpers() -> Vec<Helper> {
    use AbiTy::*;
    let h = |name, addr: *const u8, params, ret| Helper {
        name,
        addr,
        params,
        ret,
    };
    let mut table = vec![
        h(
            "lumen_rt_push_frame",
            lumen_rt_push_frame as *const u8,
            &[Ptr, I32, I32, I32],
            None,
        ),
        h(
            "lumen_rt_drop_value",
            lumen_rt_drop_value as *const u8,
            &[Ptr],
            None,
        ),
        h(
            "lumen_rt_unshare_list",
            lumen_rt_unshare_list as *const u8,
            &[Ptr],
            None,
        ),
        h(
            "lumen_rt_drop_slots",
            lumen_rt_drop_slots as *const u8,
            &[Ptr, I32],
            None,
        ),
        h(
            "lumen_rt_int_pow",
            lumen_rt_int_pow as *const u8,
            &[Ptr, I64, I64],
            Some(I64),
        ),
        h(
            "lumen_rt_float_mod",
            lumen_rt_float_mod as *const u8,
            &[F64, F64],
            Some(F64),
        ),
        h(
            "lumen_rt_float_pow",
            lumen_rt_float_pow as *const u8,
            &[F64, F64],
            Some(F64),
        ),
        h(
            "lumen_rt_float_unary",
            lumen_rt_float_unary as *const u8,
            &[I32, F64],
            Some(F64),
        ),
        h(
            "lumen_rt_float_binary",
            lumen_rt_float_binary as *const u8,
            &[I32, F64, F64],
            Some(F64),
        ),
        h(
            "lumen_rt_float_to_int",
            lumen_rt_float_to_int as *const u8,
            &[Ptr, F64],
            Some(I64),
        ),
        h(
            "lumen_rt_str_cmp",
            lumen_rt_str_cmp as *const u8,
            &[Ptr, I32, Ptr, Ptr],
            Some(I32),
        ),
        h(
            "lumen_rt_equal",
            lumen_rt_equal as *const u8,
            &[Ptr, Ptr, Ptr],
            Some(I32),
        ),
    ];
    table.extend(super::ops::op_helpers());
    table
}

/// Records frame (`cell`, `pc`) of an error propagating out of native code: the pending
/// one when `raise` is 0, else the error `raise` (a `RAISE_*` kind, as
/// `RAISE_INTEGER_OVERFLOW`) raised here; with `pc` = [`NO_FRAME`], no frame. One call on a
/// cell's shared failure path, so a check that fails costs the code no call of its own.
///
/// # Safety
/// `ctx` is the live context of the running code.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lumen_rt_push_frame(ctx: *mut NativeCtx, cell: u32, pc: u32, raise: u32) {
    // SAFETY: the caller's contract.
    let ctx = unsafe { &mut *ctx };
    if raise & 0xff == RAISE_READ_FAULT {
        let (read, want) = ((raise >> 8) & 0xff, raise >> 16);
        // SAFETY: native code stored the address of the object it failed to read (a
        // live slot of its frame) before raising.
        let obj = unsafe { &*ctx.fault_obj };
        let e = read_fault(read, obj, ctx.fault_idx, want);
        ctx.fail(e.into());
    } else if raise != 0 {
        ctx.fail(raised(raise).into());
    }
    if pc == NO_FRAME {
        return;
    }
    // SAFETY: the module outlives the run (set by `native::enter`).
    let m: &LirModule = unsafe { &*ctx.module };
    if let Some(c) = m.cells.get(cell as usize) {
        ctx.trace.extend(TraceFrame::at(c, pc as usize));
    }
}

/// The error of raise kind `kind` (one of the `RAISE_*` constants).
fn raised(kind: u32) -> RtError {
    if kind & 0xff == RAISE_BAD_TAG {
        let (want, found) = ((kind >> 8) as u8, (kind >> 16) as u8);
        return bad_kind(kind_of_tag(want), kind_of_tag(found));
    }
    match kind {
        RAISE_INTEGER_OVERFLOW => RtError::IntegerOverflow,
        RAISE_DIVISION_BY_ZERO => RtError::DivisionByZero,
        RAISE_STACK_OVERFLOW => RtError::StackOverflow,
        other => RtError::Internal(format!("unknown native error {other}")),
    }
}

/// The error of a read that native code's inline path could not do: `read` (one of the
/// `READ_*` constants) of `obj` at `idx` into a register wanting tag `want`
/// ([`RAISE_READ_FAULT`]).
fn read_fault(read: u32, obj: &Value, idx: i64, want: u32) -> RtError {
    use lumen_core::value::{TAG_BOOL, TAG_FLOAT, TAG_INT};
    let index = || u32::try_from(idx).map_err(|_| RtError::Internal("index out of range".into()));
    // The register-level operations run on a scratch window: [object, result].
    let on_window = |op: &dyn Fn(&mut [Value]) -> lumen_core::error::RtResult<()>| {
        let mut w = [obj.clone(), Value::Null];
        op(&mut w).map(|()| std::mem::take(&mut w[1]))
    };
    let got = match read {
        READ_LIST_ELEMENT => element_of(obj, idx),
        READ_FIELD => index().and_then(|f| field_of(obj, f)),
        READ_PAYLOAD => index().and_then(|i| on_window(&|w| payload_get(w, 1, 0, i))),
        READ_TUPLE => index().and_then(|i| on_window(&|w| tuple_get(w, 1, 0, i))),
        READ_VARIANT_TAG => on_window(&|w| variant_tag(w, 1, 0)),
        _ => len_of(obj).map(Value::Int),
    };
    let want = match want as u8 {
        TAG_INT => "Int",
        TAG_FLOAT => "Float",
        TAG_BOOL => "Bool",
        _ => "value",
    };
    match got {
        Err(e) => e,
        Ok(v) => bad_tag(want, &v),
    }
}

/// Drops the value in `slot`, leaving null.
///
/// # Safety
/// `slot` points to an initialised value nothing else uses.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lumen_rt_drop_value(slot: *mut Value) {
    // SAFETY: the caller's contract.
    unsafe { *slot = Value::Null };
}

/// Makes the list in `slot` unique (copied when shared, as a write would: values are
/// unchanged); anything else is left as it is. Native code calls it on entering a loop
/// that writes the list, whose writes then need no uniqueness check.
///
/// # Safety
/// `slot` points to an initialised value nothing else uses during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lumen_rt_unshare_list(slot: *mut Value) {
    // SAFETY: the caller's contract.
    if let Value::List(l) = unsafe { &mut *slot } {
        Rc::make_mut(l);
    }
}

/// Drops the `n` values at `slots` (a returning frame's slots; they are not used again).
///
/// # Safety
/// `slots` points to `n` initialised values that are dead after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lumen_rt_drop_slots(slots: *mut Value, n: u32) {
    for i in 0..n as usize {
        // SAFETY: the caller's contract; each value is dropped once. Most slots hold
        // scalars or null: tested inline, they need no call of the destructor.
        unsafe {
            let v = slots.add(i);
            if !(*v).is_scalar() {
                std::ptr::drop_in_place(v);
            }
        }
    }
}

/// `a ** b` on Ints (raises on failure; the result is then meaningless).
///
/// # Safety
/// `ctx` is the live context of the running code.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lumen_rt_int_pow(ctx: *mut NativeCtx, a: i64, b: i64) -> i64 {
    match ops::int_pow(a, b) {
        Ok(v) => v,
        Err(e) => {
            // SAFETY: the caller's contract.
            unsafe { &mut *ctx }.fail(e.into());
            0
        }
    }
}

/// `a % b` on Floats.
pub extern "C" fn lumen_rt_float_mod(a: f64, b: f64) -> f64 {
    ops::float_mod(a, b)
}

/// `a ** b` on Floats.
pub extern "C" fn lumen_rt_float_pow(a: f64, b: f64) -> f64 {
    ops::float_pow(a, b)
}

/// Builtin number `b` (`Builtin::index`) on Float `x`: its function in every tier,
/// [`ops::float_unary`]. Native code calls this only for builtins that have one (NaN
/// otherwise).
pub extern "C" fn lumen_rt_float_unary(b: u32, x: f64) -> f64 {
    match Builtin::from_index(b).and_then(ops::float_unary) {
        Some(f) => f(x),
        None => f64::NAN,
    }
}

/// Builtin number `b` on Floats `x` and `y` ([`ops::float_binary`]; NaN for a builtin
/// without one, which native code never asks for).
pub extern "C" fn lumen_rt_float_binary(b: u32, x: f64, y: f64) -> f64 {
    match Builtin::from_index(b).and_then(ops::float_binary) {
        Some(f) => f(x, y),
        None => f64::NAN,
    }
}

/// `x as Int` (raises `invalid conversion`; the result is then meaningless).
///
/// # Safety
/// `ctx` is the live context of the running code.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lumen_rt_float_to_int(ctx: *mut NativeCtx, x: f64) -> i64 {
    match ops::float_to_int(x) {
        Ok(v) => v,
        Err(e) => {
            // SAFETY: the caller's contract.
            unsafe { &mut *ctx }.fail(e.into());
            0
        }
    }
}

/// `a op b` on Strings (`StrCmp`; `op` is the `CmpOp` index: Eq, Ne, Lt, Le, Gt, Ge).
///
/// # Safety
/// `ctx` is the live context; `a` and `b` point to initialised values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lumen_rt_str_cmp(
    ctx: *mut NativeCtx,
    op: u32,
    a: *const Value,
    b: *const Value,
) -> u32 {
    use lumen_core::lir::CmpOp;
    // SAFETY: the caller's contract.
    let (ctx, a, b) = unsafe { (&mut *ctx, &*a, &*b) };
    let op = CmpOp::from_index(op).unwrap_or(CmpOp::Ge);
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => cmp_strs(op, x.as_str(), y.as_str()) as u32,
        (Value::Str(_), other) | (other, _) => {
            ctx.fail(bad_tag("String", other).into());
            0
        }
    }
}

/// Structural equality `a == b` (`Eq`; `Ne` negates it).
///
/// # Safety
/// `ctx` is the live context; `a` and `b` point to initialised values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lumen_rt_equal(
    ctx: *mut NativeCtx,
    a: *const Value,
    b: *const Value,
) -> u32 {
    // SAFETY: the caller's contract.
    let (ctx, a, b) = unsafe { (&mut *ctx, &*a, &*b) };
    match ops::values_equal(a, b) {
        Ok(eq) => eq as u32,
        Err(e) => {
            ctx.fail(e.into());
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raise_kinds_give_the_vm_errors() {
        use lumen_core::value::{TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_LIST, TAG_STR};
        assert_eq!(raised(RAISE_INTEGER_OVERFLOW), RtError::IntegerOverflow);
        assert_eq!(raised(RAISE_DIVISION_BY_ZERO), RtError::DivisionByZero);
        assert_eq!(raised(RAISE_STACK_OVERFLOW), RtError::StackOverflow);
        let bad =
            |want: u8, found: u8| raised(RAISE_BAD_TAG | (want as u32) << 8 | (found as u32) << 16);
        assert_eq!(bad(TAG_INT, TAG_STR), bad_tag("Int", &Value::str("x")));
        assert_eq!(bad(TAG_FLOAT, TAG_INT), bad_tag("Float", &Value::Int(1)));
        assert_eq!(
            bad(TAG_BOOL, TAG_LIST),
            bad_tag("Bool", &Value::list(Vec::new()))
        );
        assert!(matches!(raised(99), RtError::Internal(_)));
    }

    #[test]
    fn table_names_are_unique_and_prefixed() {
        let hs = helpers();
        let mut names: Vec<&str> = hs.iter().map(|h| h.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), hs.len());
        assert!(names.iter().all(|n| n.starts_with("lumen_rt_")));
    }

    #[test]
    fn scalar_helpers_use_the_shared_semantics() {
        assert_eq!(lumen_rt_float_mod(-7.5, 2.0), -1.5);
        assert_eq!(lumen_rt_float_pow(2.0, 10.0), 1024.0);
        assert_eq!(lumen_rt_float_unary(Builtin::Round.index(), -2.5), -3.0);
        assert_eq!(lumen_rt_float_unary(Builtin::Log.index(), 1.0), 0.0);
        assert!(lumen_rt_float_unary(Builtin::Print.index(), 1.0).is_nan());
        assert_eq!(
            lumen_rt_float_binary(Builtin::PowFloat.index(), 2.0, 3.0),
            8.0
        );
        assert!(lumen_rt_float_binary(Builtin::Sqrt.index(), 2.0, 3.0).is_nan());
    }

    #[test]
    fn read_faults_are_the_vm_errors() {
        use lumen_core::value::TAG_FLOAT;
        let fault =
            |read, obj: &Value, idx, want| Some(read_fault(read, obj, idx, want).to_string());
        let xs = Value::list(vec![Value::Int(1)]);
        assert_eq!(
            fault(READ_LIST_ELEMENT, &xs, 1, TAG_FLOAT as u32),
            Some(RtError::IndexOutOfBounds.to_string())
        );
        assert_eq!(
            fault(READ_LIST_ELEMENT, &xs, -1, TAG_FLOAT as u32),
            Some(RtError::IndexOutOfBounds.to_string())
        );
        assert_eq!(
            fault(READ_LIST_ELEMENT, &xs, 0, TAG_FLOAT as u32),
            Some(bad_tag("Float", &Value::Int(1)).to_string())
        );
        assert_eq!(
            fault(READ_LIST_LEN, &Value::Null, 0, 0),
            Some(bad_tag("list", &Value::Null).to_string())
        );
        let some = Value::Variant(std::rc::Rc::new(lumen_core::value::Variant {
            type_id: 0,
            tag: 1,
            payload: vec![Value::str("s")],
        }));
        assert_eq!(
            fault(READ_PAYLOAD, &some, 0, TAG_FLOAT as u32),
            Some(bad_tag("Float", &Value::str("s")).to_string())
        );
        assert_eq!(
            fault(READ_VARIANT_TAG, &xs, 0, 0),
            Some(bad_tag("enum", &xs).to_string())
        );
        assert!(fault(READ_TUPLE, &xs, 0, 0).is_some_and(|e| e.contains("tuple")));
    }

    #[test]
    fn slot_helpers_drop() {
        let mut a = Value::str("x");
        // SAFETY: a live local.
        unsafe { lumen_rt_drop_value(&mut a) };
        assert!(matches!(a, Value::Null));
    }

    #[test]
    fn unsharing_copies_a_shared_list_only() {
        let list = |v: &Value| match v {
            Value::List(l) => l.clone(),
            _ => panic!("not a list"),
        };
        let mut a = Value::list(vec![Value::Int(1), Value::Int(2)]);
        let keep = a.clone();
        // SAFETY: a live local.
        unsafe { lumen_rt_unshare_list(&mut a) };
        let (la, lk) = (list(&a), list(&keep));
        assert!(!Rc::ptr_eq(&la, &lk), "a shared list is copied");
        assert_eq!(format!("{a:?}"), format!("{keep:?}"));
        drop((la, lk));
        let before = Rc::as_ptr(&list(&a));
        // SAFETY: a live local.
        unsafe { lumen_rt_unshare_list(&mut a) };
        assert_eq!(Rc::as_ptr(&list(&a)), before, "a unique list stays");
        let mut s = Value::str("x");
        // SAFETY: a live local.
        unsafe { lumen_rt_unshare_list(&mut s) };
        assert!(matches!(s, Value::Str(_)));
    }
}
