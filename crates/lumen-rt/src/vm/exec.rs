//! The interpreter's hot loop: scalar arithmetic, jumps, calls and returns, list and
//! field access. Everything else goes to [`super::slow::slow`], out of line.

use super::code::{FloatBin, Op};
use super::slow::{constant, slow, type_test};
use super::{Fault, Frame, MAX_CALLS, State, bad_tag, no_cell, tiering, wrong_count};
use crate::builtins;
use lumen_core::builtins::Builtin;
use lumen_core::error::RtError;
use lumen_core::lir::{CmpOp, LirModule, TypeDef};
use lumen_core::ops;
use lumen_core::value::{Record, Value, Variant};
use std::ptr;
use std::rc::Rc;

#[inline(always)]
fn is_scalar(v: &Value) -> bool {
    matches!(
        v,
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_)
    )
}

/// Stores `v` into `*p`, running the old value's destructor only when it owns heap
/// memory (the common scalar case is then a plain store).
///
/// # Safety
/// `p` must point to an initialised `Value` that nothing else borrows.
#[inline(always)]
unsafe fn put(p: *mut Value, v: Value) {
    unsafe {
        if is_scalar(&*p) {
            ptr::write(p, v);
        } else {
            *p = v;
        }
    }
}

/// A copy of `v`: scalars are copied inline, heap values get a reference-count increment.
#[inline(always)]
fn dup(v: &Value) -> Value {
    match *v {
        Value::Null => Value::Null,
        Value::Bool(b) => Value::Bool(b),
        Value::Int(i) => Value::Int(i),
        Value::Float(f) => Value::Float(f),
        ref other => other.clone(),
    }
}

/// Moves the value out of `*p`, leaving null. Scalars are moved field by field: a
/// 16-byte load of a register just written as tag + payload would stall on store
/// forwarding.
///
/// # Safety
/// `p` must point to an initialised `Value` that nothing else borrows.
#[inline(always)]
unsafe fn take(p: *mut Value) -> Value {
    // Tests in order of likelihood rather than a `match`: LLVM turns a four-way match
    // into an indirect jump, which mispredicts at busy call and return sites.
    unsafe {
        if let Value::Int(i) = *p {
            ptr::write(p, Value::Null);
            Value::Int(i)
        } else if let Value::Float(f) = *p {
            ptr::write(p, Value::Null);
            Value::Float(f)
        } else {
            ptr::replace(p, Value::Null)
        }
    }
}

/// Records the failing op (the one before `ip`) in the current frame.
#[cold]
#[inline(never)]
fn fault_at(st: &mut State, ip: *const Op, e: Fault) -> Fault {
    if let Some(f) = st.frames.last_mut() {
        f.ip = ip;
    }
    e
}

#[inline(always)]
fn float_bin(op: FloatBin, x: f64, y: f64) -> f64 {
    match op {
        FloatBin::Add => x + y,
        FloatBin::Sub => x - y,
        FloatBin::Mul => x * y,
        FloatBin::Div => x / y,
    }
}

#[inline(always)]
fn int_cmp(op: CmpOp, x: i64, y: i64) -> bool {
    match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    }
}

pub(super) fn str_cmp(op: CmpOp, x: &str, y: &str) -> bool {
    // Byte-wise order; one-byte strings (characters of ASCII text, compared with
    // literals like ";") are compared without a call of `memcmp`.
    let ord = match (x.as_bytes(), y.as_bytes()) {
        ([a], [b]) => a.cmp(b),
        (a, b) => a.cmp(b),
    };
    match op {
        CmpOp::Eq => ord.is_eq(),
        CmpOp::Ne => ord.is_ne(),
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le => ord.is_le(),
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
    }
}

#[inline(always)]
fn float_cmp(op: CmpOp, x: f64, y: f64) -> bool {
    match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    }
}

/// A one-argument math builtin (see [`Op::Math1`]); same semantics as `builtins::math`.
#[inline(always)]
fn math1(f: Builtin, v: &Value) -> Result<Value, RtError> {
    let x = match *v {
        Value::Float(x) => x,
        Value::Int(i) => match f {
            Builtin::AbsInt => return ops::int_abs(i).map(Value::Int),
            Builtin::Floor | Builtin::Ceil | Builtin::Round => return Ok(Value::Int(i)),
            _ => i as f64,
        },
        ref other => return Err(bad_tag("number", other)),
    };
    Ok(Value::Float(match f {
        // The single instructions here (hot in numeric loops), the others through the
        // table every tier uses.
        Builtin::Sqrt => x.sqrt(),
        Builtin::AbsFloat | Builtin::AbsInt => x.abs(),
        _ => match ops::float_unary(f) {
            Some(g) => g(x),
            None => {
                return Err(RtError::Internal(format!("{} is not a math op", f.ident())));
            }
        },
    }))
}

/// Reserves a window of `n` registers at `*top` and returns its start. The slots hold no
/// heap values (invariant of [`State::top`](super::State)); only a new high-water mark
/// extends the vector.
#[inline(always)]
fn grow(regs: &mut Vec<Value>, top: &mut usize, n: usize) -> usize {
    let base = *top;
    let need = base + n;
    if need > regs.len() {
        regs.resize(need, Value::Null);
    }
    *top = need;
    base
}

/// Nulls the registers `base..top` (the windows of frames unwound by an error), dropping
/// their heap values.
#[inline(always)]
pub(super) fn release(regs: &mut Vec<Value>, base: usize, top: usize) {
    let top = top.min(regs.len());
    if base >= top {
        return;
    }
    let p = regs.as_mut_ptr();
    for i in base..top {
        // SAFETY: `i < regs.len()`; the old value is moved out before it is dropped.
        unsafe {
            let v = p.add(i);
            if is_scalar(&*v) {
                ptr::write(v, Value::Null);
            } else {
                drop(ptr::replace(v, Value::Null));
            }
        }
    }
}

/// Clears the heap-typed registers `heap` of a finished frame at `base`, so values it
/// copied stay unique in its caller and no heap value stays above the stack top.
/// Scalar-typed registers keep stale scalars, which is harmless: valid LIR writes a
/// register before reading it, and a stale scalar owns nothing.
#[inline(always)]
fn release_heap(regs: &mut Vec<Value>, base: usize, heap: &[u32]) {
    let p = regs.as_mut_ptr();
    let len = regs.len();
    for &h in heap {
        let i = base + h as usize;
        if i < len {
            // SAFETY: `i < regs.len()`; the old value is moved out before it is dropped.
            unsafe {
                let v = p.add(i);
                if !is_scalar(&*v) {
                    drop(ptr::replace(v, Value::Null));
                }
            }
        }
    }
}

/// Runs the frame stack until the frame at depth `stop` returns.
///
/// Invariants (set up by `enter` and the call ops): the top frame's registers are
/// `regs[base..base + cell.regs.len()]` and end at `st.top`, and slots from `st.top` on
/// hold no heap values; the module passed the
/// load-time verifier and was translated by [`super::code::translate`], so operand
/// registers, jump targets and callees are in range and no op sequence runs off its end.
pub(super) fn exec(m: &LirModule, st: &mut State, stop: usize) -> Result<Value, Fault> {
    let cells = &m.cells[..];
    // A shared handle, so the ops stay borrowed while `st` is mutated.
    let codes = Rc::clone(&st.codes);
    let codes: &[super::code::Code] = &codes;
    let Some(&top) = st.frames.last() else {
        return Err(RtError::Internal("no frame to run".into()).into());
    };
    let mut ops: *const Op = top.ops;
    // SAFETY (for every use of `ip`): `ip` points into the current cell's ops; it starts
    // at a frame's saved position or a translated jump target, and every op sequence
    // ends with a jump, return or halt, so it never passes the end.
    let mut ip: *const Op = top.ip;
    let mut base = top.base as usize;
    // SAFETY (for every use of `r`): `r` points at the current frame's first register;
    // the window lies inside `regs` (invariant above) and every operand register is below
    // the cell's register count (verified). `r` is recomputed after anything that may
    // reallocate or re-borrow `regs` (calls, returns, builtins, the out-of-line path).
    let mut r: *mut Value = unsafe { st.regs.as_mut_ptr().add(base) };
    // Native frames below a nested run count too (mixed tiers); `depth_base` is constant
    // while this loop runs (native code called from here restores it).
    let max_frames = MAX_CALLS.saturating_sub(st.depth_base);

    // A register's address; every use is inside an `unsafe` block.
    macro_rules! reg {
        ($i:expr) => {
            r.add($i as usize)
        };
    }
    macro_rules! rd {
        ($i:expr) => {
            unsafe { &*r.add($i as usize) }
        };
    }
    macro_rules! set {
        ($i:expr, $v:expr) => {{
            let v = $v;
            unsafe { put(r.add($i as usize), v) }
        }};
    }
    macro_rules! fail {
        ($e:expr) => {
            return Err(fault_at(st, ip, Fault::from($e)))
        };
    }
    // The address of element `$i` of the list in register `$list`, made unique first
    // (copy-on-write); a bad index or kind fails.
    macro_rules! list_slot {
        ($list:expr, $i:expr) => {
            match unsafe { &mut *reg!($list) } {
                Value::List(l) => {
                    let Some(i) = usize::try_from($i).ok().filter(|&i| i < l.items.len()) else {
                        fail!(RtError::IndexOutOfBounds)
                    };
                    // SAFETY: `i` was checked against the length, which `make_mut`
                    // preserves.
                    unsafe { Rc::make_mut(l).items.as_mut_ptr().add(i) }
                }
                other => fail!(bad_tag("list", other)),
            }
        };
    }
    // The address of field `$field` of the record in register `$record`, made unique
    // first (copy-on-write).
    macro_rules! field_slot {
        ($record:expr, $field:expr) => {
            match unsafe { &mut *reg!($record) } {
                Value::Record(rec) if ($field as usize) < rec.fields.len() => unsafe {
                    Rc::make_mut(rec).fields.as_mut_ptr().add($field as usize)
                },
                other => fail!(bad_tag("record", other)),
            }
        };
    }
    // Stores register `$src` into the element whose address `$slot` computes (making its
    // object unique first; evaluated where the order needs it): a scalar source, usually just written, is read field by
    // field after `make_mut`, so it is never spilled and reloaded as a whole; a heap one
    // is copied before it, so `xs[i] = xs` stores the old list.
    macro_rules! store_into {
        ($src:expr, $slot:expr) => {
            if is_scalar(rd!($src)) {
                let p = $slot;
                match *rd!($src) {
                    Value::Float(x) => unsafe { put(p, Value::Float(x)) },
                    Value::Int(x) => unsafe { put(p, Value::Int(x)) },
                    Value::Bool(x) => unsafe { put(p, Value::Bool(x)) },
                    _ => unsafe { put(p, Value::Null) },
                }
            } else {
                let v = dup(rd!($src));
                let p = $slot;
                unsafe { put(p, v) };
            }
        };
    }
    macro_rules! jump {
        ($t:expr) => {
            ip = unsafe { ops.add($t as usize) }
        };
    }
    macro_rules! int {
        ($i:expr) => {
            match *rd!($i) {
                Value::Int(x) => x,
                ref other => fail!(bad_tag("Int", other)),
            }
        };
    }
    macro_rules! float {
        ($i:expr) => {
            match *rd!($i) {
                Value::Float(x) => x,
                ref other => fail!(bad_tag("Float", other)),
            }
        };
    }
    macro_rules! boolean {
        ($i:expr) => {
            match *rd!($i) {
                Value::Bool(x) => x,
                ref other => fail!(bad_tag("Bool", other)),
            }
        };
    }
    macro_rules! checked {
        ($dst:expr, $e:expr) => {
            match $e {
                Some(z) => set!($dst, Value::Int(z)),
                None => fail!(RtError::IntegerOverflow),
            }
        };
    }
    macro_rules! int_res {
        ($dst:expr, $e:expr) => {
            match $e {
                Ok(z) => set!($dst, Value::Int(z)),
                Err(e) => fail!(e),
            }
        };
    }
    macro_rules! float_op {
        ($dst:expr, $a:expr, $b:expr, $f:expr) => {{
            let x = float!($a);
            let y = float!($b);
            set!($dst, Value::Float($f(x, y)));
        }};
    }
    macro_rules! branch {
        ($cond:expr, $target:expr) => {
            if $cond {
                jump!($target);
            }
        };
    }
    // Pushes a callee frame; `captures` are copied after the moved arguments.
    macro_rules! push_call {
        ($dst:expr, $callee:expr, $args:expr, $argc:expr, $captures:expr) => {{
            if st.frames.len() >= max_frames {
                fail!(RtError::StackOverflow);
            }
            let callee_id: u32 = $callee;
            if let Some(f) = st.frames.last_mut() {
                f.ip = ip;
            }
            let callee_code = &codes[callee_id as usize];
            let new_base = grow(&mut st.regs, &mut st.top, callee_code.nregs);
            let p = st.regs.as_mut_ptr();
            let from = base + $args as usize;
            for i in 0..$argc as usize {
                // SAFETY: the caller's argument registers and the fresh (null) callee
                // registers are inside `regs` and disjoint (the callee's start at the old
                // length), so the write overwrites nothing that needs dropping.
                unsafe { ptr::write(p.add(new_base + i), take(p.add(from + i))) };
            }
            let caps: &[Value] = $captures;
            for (i, v) in caps.iter().enumerate() {
                st.regs[new_base + $argc as usize + i] = v.clone();
            }
            ops = callee_code.ops.as_ptr();
            ip = ops;
            st.frames.push(Frame {
                ip,
                ops,
                cell: callee_id,
                base: new_base as u32,
                ret: $dst,
            });
            base = new_base;
            r = unsafe { st.regs.as_mut_ptr().add(base) };
        }};
    }

    loop {
        let op = unsafe { &*ip };
        ip = unsafe { ip.add(1) };
        match *op {
            Op::LoadInt { dst, value } => set!(dst, Value::Int(value)),
            Op::LoadFloat { dst, value } => set!(dst, Value::Float(value)),
            Op::LoadBool { dst, value } => set!(dst, Value::Bool(value)),
            Op::LoadNull { dst } => set!(dst, Value::Null),
            // Ints and Floats are copied field by field (a 16-byte copy of a register
            // just written as tag + payload would stall on store forwarding).
            Op::Copy { dst, src } => match *rd!(src) {
                Value::Int(x) => set!(dst, Value::Int(x)),
                Value::Float(x) => set!(dst, Value::Float(x)),
                ref other => set!(dst, dup(other)),
            },
            Op::Move { dst, src } => {
                if dst != src {
                    let v = unsafe { take(reg!(src)) };
                    set!(dst, v);
                }
            }

            Op::IntAdd { dst, a, b } => checked!(dst, int!(a).checked_add(int!(b))),
            Op::IntSub { dst, a, b } => checked!(dst, int!(a).checked_sub(int!(b))),
            Op::IntMul { dst, a, b } => checked!(dst, int!(a).checked_mul(int!(b))),
            Op::IntAddImm { dst, a, value } => checked!(dst, int!(a).checked_add(value)),
            Op::IntDiv { dst, a, b } => int_res!(dst, ops::int_div(int!(a), int!(b))),
            Op::IntFloorDiv { dst, a, b } => {
                int_res!(dst, ops::int_floor_div(int!(a), int!(b)))
            }
            Op::IntMod { dst, a, b } => int_res!(dst, ops::int_mod(int!(a), int!(b))),
            Op::IntAddK { dst, a, t, k } => {
                set!(t, Value::Int(k as i64));
                checked!(dst, int!(a).checked_add(k as i64))
            }
            Op::IntSubK { dst, a, t, k } => {
                set!(t, Value::Int(k as i64));
                checked!(dst, int!(a).checked_sub(k as i64))
            }
            Op::IntMulK { dst, a, t, k } => {
                set!(t, Value::Int(k as i64));
                checked!(dst, int!(a).checked_mul(k as i64))
            }
            Op::IntDivK { dst, a, t, k } => {
                set!(t, Value::Int(k as i64));
                int_res!(dst, ops::int_div(int!(a), k as i64))
            }
            Op::IntFloorDivK { dst, a, t, k } => {
                set!(t, Value::Int(k as i64));
                int_res!(dst, ops::int_floor_div(int!(a), k as i64))
            }
            Op::IntModK { dst, a, t, k } => {
                set!(t, Value::Int(k as i64));
                let x = int!(a);
                // Positive operands (the common case) need no sign fix-up.
                if x >= 0 && k > 0 {
                    set!(dst, Value::Int(x % k as i64));
                } else {
                    int_res!(dst, ops::int_mod(x, k as i64));
                }
            }
            Op::IntNeg { dst, src } => checked!(dst, int!(src).checked_neg()),
            Op::BitAnd { dst, a, b } => set!(dst, Value::Int(int!(a) & int!(b))),
            Op::BitOr { dst, a, b } => set!(dst, Value::Int(int!(a) | int!(b))),
            Op::BitXor { dst, a, b } => set!(dst, Value::Int(int!(a) ^ int!(b))),
            Op::Shl { dst, a, b } => set!(dst, Value::Int(ops::int_shl(int!(a), int!(b)))),
            Op::Shr { dst, a, b } => set!(dst, Value::Int(ops::int_shr(int!(a), int!(b)))),
            Op::BitNot { dst, src } => set!(dst, Value::Int(!int!(src))),

            Op::FloatAdd { dst, a, b } => float_op!(dst, a, b, |x: f64, y: f64| x + y),
            Op::FloatSub { dst, a, b } => float_op!(dst, a, b, |x: f64, y: f64| x - y),
            Op::FloatMul { dst, a, b } => float_op!(dst, a, b, |x: f64, y: f64| x * y),
            Op::FloatDiv { dst, a, b } => float_op!(dst, a, b, |x: f64, y: f64| x / y),
            Op::FloatK {
                op,
                k_first,
                dst,
                a,
                t,
                value,
            } => {
                set!(t, Value::Float(value));
                let x = float!(a);
                let z = if k_first {
                    float_bin(op, value, x)
                } else {
                    float_bin(op, x, value)
                };
                set!(dst, Value::Float(z));
            }
            Op::FloatFloorDiv { dst, a, b } => float_op!(dst, a, b, ops::float_floor_div),
            Op::FloatMod { dst, a, b } => float_op!(dst, a, b, ops::float_mod),
            Op::FloatPow { dst, a, b } => float_op!(dst, a, b, ops::float_pow),
            Op::FloatNeg { dst, src } => set!(dst, Value::Float(-float!(src))),
            Op::IntToFloat { dst, src } => set!(dst, Value::Float(int!(src) as f64)),
            Op::FloatToInt { dst, src } => int_res!(dst, ops::float_to_int(float!(src))),

            Op::IntCmp { op, dst, a, b } => {
                set!(dst, Value::Bool(int_cmp(op, int!(a), int!(b))))
            }
            Op::FloatCmp { op, dst, a, b } => {
                set!(dst, Value::Bool(float_cmp(op, float!(a), float!(b))))
            }
            Op::Not { dst, src } => set!(dst, Value::Bool(!boolean!(src))),

            Op::Jump { target } => jump!(target),
            Op::JumpIf { cond, target } => branch!(boolean!(cond), target),
            Op::JumpIfNot { cond, target } => branch!(!boolean!(cond), target),
            Op::JumpIfLt { a, b, target } => branch!(int!(a) < int!(b), target),
            Op::JumpIfLe { a, b, target } => branch!(int!(a) <= int!(b), target),
            Op::JumpIfGt { a, b, target } => branch!(int!(a) > int!(b), target),
            Op::JumpIfGe { a, b, target } => branch!(int!(a) >= int!(b), target),
            Op::JumpIfEq { a, b, target } => branch!(int!(a) == int!(b), target),
            Op::JumpIfNe { a, b, target } => branch!(int!(a) != int!(b), target),
            Op::IncJumpIfLess {
                i,
                hi,
                step,
                target,
                inclusive,
                skip,
            } => {
                let Some(x) = int!(i).checked_add(step as i64) else {
                    fail!(RtError::IntegerOverflow)
                };
                set!(i, Value::Int(x));
                let h = int!(hi);
                if x < h || (inclusive && x == h) {
                    jump!(target);
                } else if skip {
                    ip = unsafe { ip.add(1) };
                }
            }
            Op::JumpIfIntCmpK {
                op,
                a,
                t,
                k,
                target,
            } => {
                set!(t, Value::Int(k as i64));
                branch!(int_cmp(op, int!(a), k as i64), target)
            }
            Op::JumpIfFloatCmpK {
                op,
                when,
                c,
                a,
                t,
                k,
                target,
            } => {
                let k = f64::from(k);
                set!(t, Value::Float(k));
                let res = float_cmp(op, float!(a), k);
                set!(c, Value::Bool(res));
                branch!(res == when, target)
            }
            Op::FloatUpdate {
                op,
                list,
                idx,
                e,
                t,
                t2,
            } => {
                let i = int!(idx);
                let y = float!(e);
                let slot = match unsafe { &mut *reg!(list) } {
                    Value::List(l) => {
                        let Some(i) = usize::try_from(i).ok().filter(|&i| i < l.items.len()) else {
                            fail!(RtError::IndexOutOfBounds)
                        };
                        // SAFETY: `i` was checked against the length, which `make_mut`
                        // preserves.
                        unsafe { Rc::make_mut(l).items.as_mut_ptr().add(i) }
                    }
                    other => fail!(bad_tag("list", other)),
                };
                let x = match unsafe { &*slot } {
                    Value::Float(x) => *x,
                    other => fail!(bad_tag("Float", other)),
                };
                let z = float_bin(op, x, y);
                unsafe { put(slot, Value::Float(z)) };
                set!(t, Value::Float(x));
                set!(t2, Value::Float(z));
            }
            Op::ListTake { dst, list, idx, n } => {
                let i = int!(idx);
                let p = list_slot!(list, i);
                // SAFETY: an element of the list in `list`, a register distinct from
                // `dst` and `n`; the list is unique, so nothing else sees the null left.
                let v = unsafe { take(p) };
                set!(n, Value::Null);
                set!(dst, v);
            }
            Op::ListFloat {
                op,
                elem_first,
                dst,
                list,
                idx,
                other,
                t,
            } => {
                let i = int!(idx);
                let x = match rd!(list) {
                    Value::List(l) => match usize::try_from(i).ok().and_then(|i| l.items.get(i)) {
                        Some(Value::Float(x)) => *x,
                        Some(v) => fail!(bad_tag("Float", v)),
                        None => fail!(RtError::IndexOutOfBounds),
                    },
                    v => fail!(bad_tag("list", v)),
                };
                set!(t, Value::Float(x));
                let y = float!(other);
                let z = if elem_first {
                    float_bin(op, x, y)
                } else {
                    float_bin(op, y, x)
                };
                set!(dst, Value::Float(z));
            }
            Op::Append { dst, args } => {
                // SAFETY: `args..args + 2` are registers of this frame (verified run).
                let run = unsafe { std::slice::from_raw_parts_mut(reg!(args), 2) };
                match builtins::collections::append(run) {
                    Ok(v) => set!(dst, v),
                    Err(e) => fail!(e),
                }
            }
            Op::AppendTo { list, t } => {
                let v = unsafe { take(reg!(t + 1)) };
                set!(t, Value::Null);
                // SAFETY: `list` is a register of this frame, distinct from `t + 1`.
                if let Err(e) = builtins::collections::push(unsafe { &mut *reg!(list) }, v) {
                    fail!(e)
                }
            }
            Op::Math1 { f, dst, src } => match math1(f, rd!(src)) {
                Ok(v) => set!(dst, v),
                Err(e) => fail!(e),
            },
            Op::JumpIfFloatCmp {
                op,
                when,
                c,
                a,
                b,
                target,
            } => {
                let res = float_cmp(op, float!(a), float!(b));
                set!(c, Value::Bool(res));
                branch!(res == when, target)
            }
            Op::JumpIfNull { src, target } => branch!(matches!(rd!(src), Value::Null), target),
            Op::Return { src } => {
                let src_p = unsafe { reg!(src) };
                let Some(done) = st.frames.pop() else {
                    return Err(RtError::Internal("return without a frame".into()).into());
                };
                let heap = &codes[done.cell as usize].heap;
                if st.frames.len() == stop {
                    let v = unsafe { take(src_p) };
                    release_heap(&mut st.regs, done.base as usize, heap);
                    st.top = done.base as usize;
                    return Ok(v);
                }
                let Some(&caller) = st.frames.last() else {
                    return Err(RtError::Internal("return without a caller".into()).into());
                };
                base = caller.base as usize;
                r = unsafe { st.regs.as_mut_ptr().add(base) };
                // The result goes straight from the callee's register to the caller's.
                unsafe { put(reg!(done.ret), take(src_p)) };
                // Frees the callee's registers, so values it copied stay unique in the caller.
                release_heap(&mut st.regs, done.base as usize, heap);
                st.top = done.base as usize;
                ops = caller.ops;
                ip = caller.ip;
            }
            Op::Call {
                dst,
                cell: callee,
                args,
                argc,
            } => push_call!(dst, callee, args, argc, &[]),
            Op::CallValue {
                dst,
                callee,
                args,
                argc,
            } => {
                let f = match rd!(callee) {
                    Value::Fn(c) => Rc::clone(c),
                    other => fail!(bad_tag("fn", other)),
                };
                // A function value may come from outside (`call_cell` arguments): check it.
                let Some(target) = cells.get(f.cell as usize) else {
                    fail!(no_cell(f.cell))
                };
                if target.params != argc || target.captures as usize != f.captures.len() {
                    fail!(wrong_count(target));
                }
                push_call!(dst, f.cell, args, argc, &f.captures)
            }
            Op::CallBuiltin {
                dst,
                builtin,
                args,
                argc,
            } => {
                if let Some(f) = st.frames.last_mut() {
                    f.ip = ip;
                }
                let res = builtins::call(m, st, builtin, base + args as usize, argc as usize);
                // A higher-order builtin may have grown (reallocated) the register stack.
                r = unsafe { st.regs.as_mut_ptr().add(base) };
                match res {
                    Ok(v) => set!(dst, v),
                    Err(f) => fail!(f),
                }
            }

            Op::ListGet {
                dst,
                list,
                idx,
                proven,
            } => {
                let i = int!(idx);
                let v = match rd!(list) {
                    Value::List(l) => match usize::try_from(i).ok().and_then(|i| l.items.get(i)) {
                        Some(x) => dup(x),
                        None if proven => fail!(RtError::Internal(
                            "unchecked list read out of bounds".into()
                        )),
                        None => fail!(RtError::IndexOutOfBounds),
                    },
                    other => fail!(bad_tag("list", other)),
                };
                set!(dst, v);
            }
            Op::ListSet { list, idx, src } => {
                let i = int!(idx);
                store_into!(src, list_slot!(list, i));
            }
            Op::ListLen { dst, list } => {
                let n = match rd!(list) {
                    Value::List(l) => l.items.len(),
                    other => fail!(bad_tag("list", other)),
                };
                set!(dst, Value::Int(n as i64));
            }
            Op::TupleGet { dst, tuple, index } => {
                let v = match rd!(tuple) {
                    Value::Tuple(t) => match t.items.get(index as usize) {
                        Some(v) => dup(v),
                        None => fail!(RtError::Internal("tuple index out of range".into())),
                    },
                    other => fail!(bad_tag("tuple", other)),
                };
                set!(dst, v);
            }
            Op::FieldGet { dst, record, field } => {
                let v = match rd!(record) {
                    Value::Record(rec) => match rec.fields.get(field as usize) {
                        Some(v) => dup(v),
                        None => fail!(RtError::Internal("field out of range".into())),
                    },
                    other => fail!(bad_tag("record", other)),
                };
                set!(dst, v);
            }
            Op::FieldSet { record, field, src } => {
                store_into!(src, field_slot!(record, field));
            }
            Op::VariantTag { dst, src } => {
                let t = match rd!(src) {
                    Value::Variant(v) => v.tag,
                    other => fail!(bad_tag("enum", other)),
                };
                set!(dst, Value::Int(t as i64));
            }
            Op::PayloadGet { dst, src, index } => {
                let v = match rd!(src) {
                    Value::Variant(v) => match v.payload.get(index as usize) {
                        Some(x) => dup(x),
                        None => fail!(RtError::Internal("payload index out of range".into())),
                    },
                    other => fail!(bad_tag("enum", other)),
                };
                set!(dst, v);
            }

            Op::StrCmp { op, dst, a, b } => {
                let res = match (rd!(a), rd!(b)) {
                    (Value::Str(x), Value::Str(y)) => str_cmp(op, x.as_str(), y.as_str()),
                    (other, _) => fail!(bad_tag("String", other)),
                };
                set!(dst, Value::Bool(res));
            }
            Op::Is { dst, src, test } => {
                let yes = type_test(rd!(src), test);
                set!(dst, Value::Bool(yes));
            }
            Op::LoadConst { dst, idx } => match constant(m, idx) {
                Ok(v) => set!(dst, dup(v)),
                Err(e) => fail!(e),
            },
            Op::RecordNew { dst, type_id, args } => {
                let n = match m.types.defs.get(type_id as usize) {
                    Some(TypeDef::Record { fields, .. }) => fields.len(),
                    _ => fail!(RtError::Internal("not a record type".into())),
                };
                let fields = (args..args + n as u32)
                    .map(|i| unsafe { take(reg!(i)) })
                    .collect();
                set!(dst, Value::Record(Rc::new(Record { type_id, fields })));
            }
            Op::VariantNew {
                dst,
                type_id,
                tag,
                args,
            } => {
                let n = match m.types.defs.get(type_id as usize) {
                    Some(TypeDef::Enum { variants, .. }) => {
                        variants.get(tag as usize).map_or(0, |v| v.arity)
                    }
                    _ => fail!(RtError::Internal("not an enum type".into())),
                };
                let payload = (args..args + n).map(|i| unsafe { take(reg!(i)) }).collect();
                set!(
                    dst,
                    Value::Variant(Rc::new(Variant {
                        type_id,
                        tag,
                        payload,
                    }))
                );
            }
            Op::CallCounted {
                dst,
                cell: callee,
                args,
                argc,
            } => match tiering::call_entry(m, st, callee) {
                None => push_call!(dst, callee, args, argc, &[]),
                Some(entry) => {
                    if let Some(f) = st.frames.last_mut() {
                        f.ip = ip;
                    }
                    let from = base + args as usize;
                    let res = tiering::call_native(m, st, entry, from, argc as usize, &[]);
                    r = unsafe { st.regs.as_mut_ptr().add(base) };
                    match res {
                        Ok(v) => set!(dst, v),
                        Err(f) => fail!(f),
                    }
                }
            },
            Op::CallValueCounted {
                dst,
                callee,
                args,
                argc,
            } => {
                let f = match rd!(callee) {
                    Value::Fn(c) => Rc::clone(c),
                    other => fail!(bad_tag("fn", other)),
                };
                // As for `CallValue`.
                let Some(target) = cells.get(f.cell as usize) else {
                    fail!(no_cell(f.cell))
                };
                if target.params != argc || target.captures as usize != f.captures.len() {
                    fail!(wrong_count(target));
                }
                match tiering::call_entry(m, st, f.cell) {
                    None => push_call!(dst, f.cell, args, argc, &f.captures),
                    Some(entry) => {
                        if let Some(fr) = st.frames.last_mut() {
                            fr.ip = ip;
                        }
                        let from = base + args as usize;
                        let res =
                            tiering::call_native(m, st, entry, from, argc as usize, &f.captures);
                        r = unsafe { st.regs.as_mut_ptr().add(base) };
                        match res {
                            Ok(v) => set!(dst, v),
                            Err(e) => fail!(e),
                        }
                    }
                }
            }
            Op::LoopHead { counter } => {
                if let Some(entry) = tiering::loop_entry(m, st, counter) {
                    // On-stack replacement: the native code finishes this call, whose
                    // frame leaves the stack first (native code records its own frame
                    // on errors); then continue as after its `Return`.
                    let Some(done) = st.frames.pop() else {
                        return Err(RtError::Internal("loop without a frame".into()).into());
                    };
                    let n = codes[done.cell as usize].nregs;
                    let v = tiering::run_osr(m, st, entry, done.cell, base, n)?;
                    if st.frames.len() == stop {
                        return Ok(v);
                    }
                    let Some(&caller) = st.frames.last() else {
                        return Err(RtError::Internal("return without a caller".into()).into());
                    };
                    base = caller.base as usize;
                    r = unsafe { st.regs.as_mut_ptr().add(base) };
                    unsafe { put(reg!(done.ret), v) };
                    ops = caller.ops;
                    ip = caller.ip;
                }
            }
            Op::Lir { idx } => {
                let cell = st.frames.last().and_then(|f| cells.get(f.cell as usize));
                let res = match cell.and_then(|c| c.code.get(idx as usize)) {
                    Some(ins) => slow(m, &mut st.regs[base..], ins),
                    None => Err(RtError::Internal("op without instruction".into())),
                };
                r = unsafe { st.regs.as_mut_ptr().add(base) };
                if let Err(e) = res {
                    fail!(e);
                }
            }
        }
    }
}
