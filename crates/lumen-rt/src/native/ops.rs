//! One helper per operation: the `extern "C"` functions through which native code runs
//! every instruction it does not translate inline, and [`op_helper`], the one mapping
//! from an instruction to its helper and immediate operands.
//!
//! Every helper has the parameters `(ctx, window, n, operands…)`: the context, the
//! calling frame's slot area (`window[0..n]`, one slot per register, laid out exactly
//! like the VM's register window) and the instruction's operands, decoded by the code
//! generator and passed as 32-bit immediates (register indices into the window, type
//! ids, field indices, builtin numbers, …). A helper calls the VM's own function for the
//! operation (`vm/slow.rs`, `builtins::call`, `vm::enter`), so both tiers behave
//! identically by construction; none looks an instruction up in the module. A failing
//! helper records the error in the context (`ctx.err != 0`); the caller records its frame
//! and returns.

use super::abi::{AbiTy, Helper};
use super::ctx::NativeCtx;
use super::{Entry, Ret, with_entry_values};
use crate::builtins;
use crate::vm::slow;
use crate::vm::{Fault, State, call_function};
use lumen_core::builtins::Builtin;
use lumen_core::error::{RtError, RtResult};
use lumen_core::lir::{Instr, LirModule, Reg, TypeTest};
use lumen_core::value::Value;

/// The helper that runs an instruction in native code, with its immediate operands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpHelper {
    /// The helper's symbol (one of [`super::helpers`]).
    pub name: &'static str,
    /// The operands passed after `(ctx, window, n)`, in the helper's parameter order.
    pub operands: Vec<u32>,
    /// True when the helper runs Lumen code (a call): native code must store the active
    /// call count into `ctx.depth` first, so nested runs count the native calls below.
    pub calls: bool,
}

/// The helper running `ins` on a frame's slots; `None` for the instructions native code
/// always translates inline or through a value-level helper of `abi` (scalar loads and
/// arithmetic, compares, `Eq`/`Ne`/`StrCmp`, copies and moves, control flow and direct
/// calls). The match names every instruction kind, so a new one must be placed here.
pub fn op_helper(ins: &Instr) -> Option<OpHelper> {
    use Instr::*;
    let (name, operands): (&'static str, Vec<u32>) = match *ins {
        LoadInt { .. }
        | LoadFloat { .. }
        | LoadBool { .. }
        | LoadNull { .. }
        | Copy { .. }
        | Move { .. }
        | IntAdd { .. }
        | IntSub { .. }
        | IntMul { .. }
        | IntDiv { .. }
        | IntFloorDiv { .. }
        | IntMod { .. }
        | IntPow { .. }
        | IntNeg { .. }
        | IntAddImm { .. }
        | BitAnd { .. }
        | BitOr { .. }
        | BitXor { .. }
        | Shl { .. }
        | Shr { .. }
        | BitNot { .. }
        | FloatAdd { .. }
        | FloatSub { .. }
        | FloatMul { .. }
        | FloatDiv { .. }
        | FloatFloorDiv { .. }
        | FloatMod { .. }
        | FloatPow { .. }
        | FloatNeg { .. }
        | IntToFloat { .. }
        | FloatToInt { .. }
        | IntCmp { .. }
        | FloatCmp { .. }
        | StrCmp { .. }
        | Eq { .. }
        | Ne { .. }
        | Not { .. }
        | Jump { .. }
        | JumpIf { .. }
        | JumpIfNot { .. }
        | JumpIfIntCmp { .. }
        | JumpIfNull { .. }
        | Return { .. }
        | Call { .. } => return None,
        LoadConst { dst, idx } => ("lumen_rt_load_const", vec![dst, idx]),
        CallValue {
            dst,
            callee,
            args,
            argc,
        } => ("lumen_rt_call_value", vec![dst, callee, args, argc]),
        CallBuiltin {
            dst,
            builtin,
            args,
            argc,
        } => (
            "lumen_rt_call_builtin",
            vec![dst, builtin.index(), args, argc],
        ),
        Halt { msg } => ("lumen_rt_halt", vec![msg]),
        NoMatch => ("lumen_rt_no_match", vec![]),
        StrConcat { dst, a, b } => ("lumen_rt_str_concat", vec![dst, a, b]),
        ToStr { dst, src } => ("lumen_rt_to_str", vec![dst, src]),
        StrBuild { dst, args, argc } => ("lumen_rt_str_build", vec![dst, args, argc]),
        StrIndex { dst, s, idx } => ("lumen_rt_str_index", vec![dst, s, idx]),
        ListNew { dst, args, argc } => ("lumen_rt_list_new", vec![dst, args, argc]),
        // Native code may skip the checks of an unchecked read; taking the checked
        // helper is also correct (the LIR contract).
        ListGet { dst, list, idx } | ListGetUnchecked { dst, list, idx } => {
            ("lumen_rt_list_get", vec![dst, list, idx])
        }
        ListSet { list, idx, src } => ("lumen_rt_list_set", vec![list, idx, src]),
        ListLen { dst, list } => ("lumen_rt_list_len", vec![dst, list]),
        ListConcat { dst, a, b } => ("lumen_rt_list_concat", vec![dst, a, b]),
        RangeList {
            dst,
            lo,
            hi,
            inclusive,
        } => ("lumen_rt_range_list", vec![dst, lo, hi, inclusive as u32]),
        MapNew { dst, args, pairs } => ("lumen_rt_map_new", vec![dst, args, pairs]),
        MapGet { dst, map, key } => ("lumen_rt_map_get", vec![dst, map, key]),
        MapSet { map, key, src } => ("lumen_rt_map_set", vec![map, key, src]),
        TupleNew { dst, args, argc } => ("lumen_rt_tuple_new", vec![dst, args, argc]),
        TupleGet { dst, tuple, index } => ("lumen_rt_tuple_get", vec![dst, tuple, index]),
        RecordNew { dst, type_id, args } => ("lumen_rt_record_new", vec![dst, type_id, args]),
        FieldGet { dst, record, field } => ("lumen_rt_field_get", vec![dst, record, field]),
        FieldSet { record, field, src } => ("lumen_rt_field_set", vec![record, field, src]),
        VariantNew {
            dst,
            type_id,
            tag,
            args,
        } => ("lumen_rt_variant_new", vec![dst, type_id, tag, args]),
        VariantTag { dst, src } => ("lumen_rt_variant_tag", vec![dst, src]),
        PayloadGet { dst, src, index } => ("lumen_rt_payload_get", vec![dst, src, index]),
        MakeOk { dst, src } => ("lumen_rt_make_ok", vec![dst, src]),
        MakeErr { dst, src } => ("lumen_rt_make_err", vec![dst, src]),
        ResultValue { dst, src } => ("lumen_rt_result_value", vec![dst, src]),
        Is { dst, src, test } => {
            let [kind, a, b] = encode_test(test);
            ("lumen_rt_is", vec![dst, src, kind, a, b])
        }
        Unwrap { dst, src } => ("lumen_rt_unwrap", vec![dst, src]),
        MakeClosure {
            dst,
            cell,
            args,
            argc,
        } => ("lumen_rt_make_closure", vec![dst, cell, args, argc]),
    };
    Some(OpHelper {
        name,
        operands,
        calls: matches!(ins, CallValue { .. } | CallBuiltin { .. }),
    })
}

/// A [`TypeTest`] as three immediates ([`TypeTest::to_parts`]).
fn encode_test(t: TypeTest) -> [u32; 3] {
    t.to_parts()
}

/// The inverse of [`encode_test`].
fn decode_test(kind: u32, a: u32, b: u32) -> RtResult<TypeTest> {
    TypeTest::from_parts([kind, a, b])
        .ok_or_else(|| RtError::Internal(format!("unknown type test {kind}")))
}

/// The builtin numbered `i` ([`Builtin::index`]).
fn builtin_numbered(i: u32) -> RtResult<Builtin> {
    Builtin::from_index(i).ok_or_else(|| RtError::Internal(format!("no builtin {i}")))
}

/// Calls `f` on the operand run `args..args + argc` of `window`.
fn operand_run<T>(
    window: &mut [Value],
    args: Reg,
    argc: u32,
    f: impl FnOnce(&mut [Value]) -> Result<T, Fault>,
) -> Result<T, Fault> {
    let (a, n) = (args as usize, argc as usize);
    match window.get_mut(a..a + n) {
        Some(run) => f(run),
        None => Err(RtError::Internal("operands outside the frame".into()).into()),
    }
}

/// `CallBuiltin`: a builtin that needs only its arguments runs on the operand slots
/// ([`builtins::call_on`]); the others (input/output, higher-order) on the VM's
/// register stack, above its top, where the arguments are moved to (and which is
/// restored, holding no heap value, afterwards).
fn call_builtin(
    m: &LirModule,
    st: &mut State,
    regs: &mut [Value],
    dst: Reg,
    b: Builtin,
    args: Reg,
    argc: u32,
) -> Result<(), Fault> {
    let v = operand_run(regs, args, argc, |args| {
        if builtins::needs_only_arguments(b) {
            return builtins::call_on(m, b, args).map_err(Fault::from);
        }
        let start = st.top;
        let end = start + args.len();
        if end > st.regs.len() {
            st.regs.resize(end, Value::Null);
        }
        for (slot, a) in st.regs[start..end].iter_mut().zip(args.iter_mut()) {
            *slot = std::mem::take(a);
        }
        st.top = end;
        let res = builtins::call(m, st, b, start, end - start);
        st.regs[start..end].fill(Value::Null);
        st.top = start;
        res
    })?;
    regs[dst as usize] = v;
    Ok(())
}

/// `CallValue`: calls the function value in `callee` (natively when its cell has an
/// entry, else in the VM) with the arguments moved out of `args..args + argc`.
fn call_value(
    m: &LirModule,
    st: &mut State,
    regs: &mut [Value],
    dst: Reg,
    callee: Reg,
    args: Reg,
    argc: u32,
) -> Result<(), Fault> {
    let f = regs[callee as usize].clone();
    let v = operand_run(regs, args, argc, |args| call_function(m, st, &f, args))?;
    regs[dst as usize] = v;
    Ok(())
}

/// The native entry to call function value `f` with directly, on the running context:
/// when it takes `argc` arguments and its cell has an entry installed. (Others take
/// [`call_value`], which checks them and counts the call for tiering.) A call from
/// native code to native code, like the inline path of native `CallValue`: not one of
/// the interpreter→native calls `TierStats::native_calls` counts.
fn direct_entry(m: &LirModule, st: &State, f: &Value, argc: u32) -> Option<Entry> {
    let Value::Fn(c) = f else {
        return None;
    };
    let cell = m.cells.get(c.cell as usize)?;
    if cell.params != argc || cell.captures as usize != c.captures.len() {
        return None;
    }
    st.entry(c.cell)
}

/// `CallValue` of a compiled cell from native code: its entry runs on the caller's
/// context, as a direct native call does, rather than on a fresh one through the VM
/// (`native::run`), which cost more than a small lambda's body. The arguments are
/// moved, the captures copied after them. A failure stays pending in the context with
/// the callee's frames recorded; the caller adds its own.
fn call_direct(
    ctx: &mut NativeCtx,
    regs: &mut [Value],
    entry: Entry,
    dst: Reg,
    callee: Reg,
    args: Reg,
    argc: u32,
) -> Result<(), Fault> {
    let f = match &regs[callee as usize] {
        Value::Fn(c) => c.clone(),
        other => return Err(crate::vm::bad_tag("fn", other).into()),
    };
    let mut ret = Ret::new();
    let cx: *mut NativeCtx = ctx;
    operand_run(regs, args, argc, |args| {
        with_entry_values(args, &f.captures, |values| {
            // SAFETY: `entry` was generated for this module; `values` holds the cell's
            // parameters (as many as it takes, checked by `direct_entry`, with the
            // kinds of its parameter registers: the caller's registers are typed by the
            // same checker) and then its captures; `ret` holds null; the context is
            // the live one this helper was called with, and no reference into it or
            // the VM state is used until the call returns.
            unsafe { entry(cx, values.as_mut_ptr(), ret.ptr()) };
        });
        Ok(())
    })?;
    // SAFETY: null, or the value the entry wrote.
    let ret = unsafe { ret.take() };
    if ctx.err == 0 {
        regs[dst as usize] = ret;
    }
    Ok(())
}

/// `AbiTy::I32` for each operand of a helper (used in the parameter lists below).
macro_rules! imm {
    ($op:ident) => {
        AbiTy::I32
    };
}

/// Defines one `extern "C"` helper per entry, `fn name(operands…) = body;`, whose body
/// (an expression of type `RtResult<()>` or `Result<(), Fault>`) sees the context, the
/// module, the VM state and the register window under the names given first; plus
/// [`op_helpers`], their table.
macro_rules! op_helpers {
    (($ctx:ident, $m:ident, $st:ident, $regs:ident)
     $( $(#[doc = $doc:literal])* fn $name:ident($($op:ident),*) = $body:expr; )*) => {
        $(
            $(#[doc = $doc])*
            ///
            /// # Safety
            /// `ctx` is the live context of the running code; `window` points to the `n`
            /// initialised slots of the calling frame, which nothing else uses during the
            /// call; the operands are those [`op_helper`] gives for a verified instruction.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn $name(
                ctx: *mut NativeCtx,
                window: *mut Value,
                n: u32,
                $($op: u32),*
            ) {
                // SAFETY: the caller's contract.
                #[allow(unused_variables)]
                let ($ctx, $regs) = unsafe {
                    (&mut *ctx, std::slice::from_raw_parts_mut(window, n as usize))
                };
                // SAFETY: `module` and `st` were set from live references by
                // `native::enter`, whose caller does not use them while native code runs;
                // the state is separate from the window (a native stack frame).
                #[allow(unused_variables)]
                let ($m, $st): (&LirModule, &mut State) =
                    unsafe { (&*$ctx.module, &mut *$ctx.st) };
                let res = (|| -> Result<(), Fault> {
                    $body?;
                    Ok(())
                })();
                if let Err(f) = res {
                    $ctx.fail(f);
                }
            }
        )*

        /// The per-operation helpers (name, address, signature), for [`super::helpers`].
        pub(super) fn op_helpers() -> Vec<Helper> {
            vec![$(Helper {
                name: stringify!($name),
                addr: $name as *const u8,
                params: &[AbiTy::Ptr, AbiTy::Ptr, AbiTy::I32, $(imm!($op)),*],
                ret: None,
            }),*]
        }

        /// Calls helper `h` on `window` through its Rust signature (tests compare every
        /// helper with the interpreter's path this way).
        ///
        /// # Safety
        /// `ctx` is a live context; the operands are in range of `window`.
        #[cfg(test)]
        unsafe fn call_op(h: &OpHelper, ctx: &mut NativeCtx, window: &mut [Value]) {
            let (w, n) = (window.as_mut_ptr(), window.len() as u32);
            match h.name {
                $(stringify!($name) => {
                    let &[$($op),*] = h.operands.as_slice() else {
                        panic!("{} takes other operands: {:?}", h.name, h.operands);
                    };
                    // SAFETY: the caller's contract.
                    unsafe { $name(ctx, w, n, $($op),*) }
                })*
                other => panic!("no helper {other}"),
            }
        }
    };
}

op_helpers! {
    (ctx, m, st, regs)

    /// `LoadConst`: `dst = consts[idx]`.
    fn lumen_rt_load_const(dst, idx) = slow::load_const(m, regs, dst, idx);
    /// `CallValue`: calls a function value.
    fn lumen_rt_call_value(dst, callee, args, argc) = {
        // Nested runs count the native calls active here.
        st.depth_base = ctx.depth as usize;
        match direct_entry(m, st, &regs[callee as usize], argc) {
            Some(entry) => call_direct(ctx, regs, entry, dst, callee, args, argc),
            None => call_value(m, st, regs, dst, callee, args, argc),
        }
    };
    /// `CallBuiltin`: calls builtin overload number `builtin` ([`Builtin::index`]).
    fn lumen_rt_call_builtin(dst, builtin, args, argc) = {
        // Higher-order builtins run Lumen code: as for `CallValue`.
        st.depth_base = ctx.depth as usize;
        call_builtin(m, st, regs, dst, builtin_numbered(builtin)?, args, argc)
    };
    /// `Halt`: fails with the String in `msg` as the message.
    fn lumen_rt_halt(msg) = slow::halt(regs, msg);
    /// `NoMatch`: fails with `no match arm`.
    fn lumen_rt_no_match() = slow::no_match();
    /// `StrConcat`: `dst = a + b`.
    fn lumen_rt_str_concat(dst, a, b) = slow::str_concat(regs, dst, a, b);
    /// `ToStr`: the display form of `src`.
    fn lumen_rt_to_str(dst, src) = slow::to_str(m, regs, dst, src);
    /// `StrBuild`: string interpolation of `args..args + argc`.
    fn lumen_rt_str_build(dst, args, argc) = slow::str_build(m, regs, dst, args, argc);
    /// `StrIndex`: `dst = s[idx]`.
    fn lumen_rt_str_index(dst, s, idx) = slow::str_index(regs, dst, s, idx);
    /// `ListNew`: a list of `args..args + argc`.
    fn lumen_rt_list_new(dst, args, argc) = slow::list_new(regs, dst, args, argc);
    /// `ListGet` / `ListGetUnchecked`: `dst = list[idx]`.
    fn lumen_rt_list_get(dst, list, idx) = slow::list_get(regs, dst, list, idx);
    /// `ListSet`: `list[idx] = src`.
    fn lumen_rt_list_set(list, idx, src) = slow::list_set(regs, list, idx, src);
    /// `ListLen`: `dst = len(list)`.
    fn lumen_rt_list_len(dst, list) = slow::list_len(regs, dst, list);
    /// `ListConcat`: `dst = a ++ b`.
    fn lumen_rt_list_concat(dst, a, b) = slow::list_concat(regs, dst, a, b);
    /// `RangeList`: `dst = lo..hi` (`inclusive != 0`: `lo..=hi`).
    fn lumen_rt_range_list(dst, lo, hi, inclusive) =
        slow::range_list(regs, dst, lo, hi, inclusive != 0);
    /// `MapNew`: a map of `pairs` key/value pairs from `args`.
    fn lumen_rt_map_new(dst, args, pairs) = slow::map_new(regs, dst, args, pairs);
    /// `MapGet`: `dst = map[key]`.
    fn lumen_rt_map_get(dst, map, key) = slow::map_get(regs, dst, map, key);
    /// `MapSet`: `map[key] = src`.
    fn lumen_rt_map_set(map, key, src) = slow::map_set(regs, map, key, src);
    /// `TupleNew`: a tuple of `args..args + argc`.
    fn lumen_rt_tuple_new(dst, args, argc) = slow::tuple_new(regs, dst, args, argc);
    /// `TupleGet`: element `index` of a tuple.
    fn lumen_rt_tuple_get(dst, tuple, index) = slow::tuple_get(regs, dst, tuple, index);
    /// `RecordNew`: a record of `type_id`.
    fn lumen_rt_record_new(dst, type_id, args) =
        slow::record_new(m, regs, dst, type_id, args);
    /// `FieldGet`: field `field` of a record.
    fn lumen_rt_field_get(dst, record, field) = slow::field_get(regs, dst, record, field);
    /// `FieldSet`: `record.field = src`.
    fn lumen_rt_field_set(record, field, src) = slow::field_set(regs, record, field, src);
    /// `VariantNew`: variant `tag` of enum `type_id`.
    fn lumen_rt_variant_new(dst, type_id, tag, args) =
        slow::variant_new(m, regs, dst, type_id, tag, args);
    /// `VariantTag`: the variant index of an enum value.
    fn lumen_rt_variant_tag(dst, src) = slow::variant_tag(regs, dst, src);
    /// `PayloadGet`: payload element `index` of an enum value.
    fn lumen_rt_payload_get(dst, src, index) = slow::payload_get(regs, dst, src, index);
    /// `MakeOk`: `dst = ok(src)`.
    fn lumen_rt_make_ok(dst, src) = slow::make_ok(regs, dst, src);
    /// `MakeErr`: `dst = err(src)`.
    fn lumen_rt_make_err(dst, src) = slow::make_err(regs, dst, src);
    /// `ResultValue`: the payload of an `ok` or `err`.
    fn lumen_rt_result_value(dst, src) = slow::result_value(regs, dst, src);
    /// `Is`: `dst = src is test`, the test encoded as three immediates.
    fn lumen_rt_is(dst, src, kind, a, b) =
        slow::is(regs, dst, src, decode_test(kind, a, b)?);
    /// `Unwrap`: `dst = src!`.
    fn lumen_rt_unwrap(dst, src) = slow::unwrap(regs, dst, src);
    /// `MakeClosure`: a function value for `cell` capturing `args..args + argc`.
    fn lumen_rt_make_closure(dst, cell, args, argc) =
        slow::make_closure(regs, dst, cell, args, argc);
}

#[cfg(test)]
mod tests;
