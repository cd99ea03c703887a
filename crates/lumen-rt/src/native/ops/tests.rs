//! Every per-operation helper against the interpreter's path (`slow`) on small windows.

use super::*;
use crate::vm::VM;
use crate::vm::slow::slow;
use lumen_core::lir::{CmpOp, TypeDef};
use lumen_core::value::Value as V;

const SRC: &str = "record P\n  x: Int\n  name: String\nend\n\
                   enum Shape\n  Dot\n  Rect(Float, Float)\nend\n\
                   cell twice(x: Int) -> Int\n  x * 2\nend\n\
                   cell main()\nend\n";

/// A VM for [`SRC`] (record `P`, enum `Shape`, cell `twice`).
fn vm() -> VM {
    VM::new(lumen_compiler::compile(SRC).expect("test program compiles"))
}

/// The type id of the record or enum called `name`.
fn type_id(vm: &VM, name: &str) -> u32 {
    let defs = &vm.module().types.defs;
    defs.iter()
        .position(|d| d.name() == name)
        .expect("declared") as u32
}

/// Runs `ins` on `window` through its helper; the error it raised, if any.
fn run_helper(vm: &mut VM, ins: &Instr, window: &mut [Value]) -> Result<(), RtError> {
    let h = op_helper(ins).expect("instruction has a helper");
    let (m, st) = vm.parts();
    let mut ctx = NativeCtx::new(m, st, 0);
    // SAFETY: `ctx` is live and the operands come from `op_helper` for instructions
    // whose registers are inside `window`.
    unsafe { call_op(&h, &mut ctx, window) };
    let failed = ctx.err != 0;
    match ctx.into_failure().0 {
        None if !failed => Ok(()),
        None => Err(RtError::Internal("error flag without an error".into())),
        Some(Fault::Plain(e)) => Err(e),
        Some(Fault::Traced(e)) => Err(e.error),
    }
}

/// Runs `ins` on `window` both through `slow` and through its helper, asserts both give
/// the same window and outcome, and returns them.
fn both(vm: &mut VM, ins: Instr, window: Vec<Value>) -> (Vec<Value>, Result<(), RtError>) {
    let mut a = window.clone();
    let want = slow(vm.module(), &mut a, &ins);
    let mut b = window;
    let got = run_helper(vm, &ins, &mut b);
    assert_eq!(want, got, "{ins:?}");
    assert_eq!(format!("{a:?}"), format!("{b:?}"), "{ins:?}");
    (b, got)
}

fn s(x: &str) -> Value {
    V::str(x)
}

fn list(xs: &[i64]) -> Value {
    V::list(xs.iter().map(|&x| V::Int(x)).collect())
}

#[test]
fn string_helpers_match_the_interpreter() {
    let mut vm = vm();
    let w = || vec![s("ab"), s("cé"), V::Int(1), V::Null];
    let (out, _) = both(&mut vm, Instr::StrConcat { dst: 3, a: 0, b: 1 }, w());
    assert_eq!(out[3], s("abcé"));
    let (out, _) = both(&mut vm, Instr::StrConcat { dst: 0, a: 0, b: 1 }, w());
    assert_eq!(out[0], s("abcé"));
    let (out, _) = both(
        &mut vm,
        Instr::StrIndex {
            dst: 3,
            s: 1,
            idx: 2,
        },
        w(),
    );
    assert_eq!(out[3], s("é"));
    let (out, _) = both(&mut vm, Instr::ToStr { dst: 3, src: 2 }, w());
    assert_eq!(out[3], s("1"));
    let (out, _) = both(
        &mut vm,
        Instr::StrBuild {
            dst: 3,
            args: 0,
            argc: 3,
        },
        w(),
    );
    assert_eq!(out[3], s("abcé1"));
    assert!(matches!(out[0], V::Null), "operands are moved out");
    // Errors: an index out of bounds, and a String operand that is not one.
    let mut far = w();
    far[2] = V::Int(2);
    let (_, e) = both(
        &mut vm,
        Instr::StrIndex {
            dst: 3,
            s: 0,
            idx: 2,
        },
        far,
    );
    assert_eq!(e, Err(RtError::IndexOutOfBounds));
    let (_, e) = both(&mut vm, Instr::StrConcat { dst: 3, a: 2, b: 1 }, w());
    assert!(matches!(e, Err(RtError::Internal(_))));
}

#[test]
fn list_helpers_match_the_interpreter() {
    let mut vm = vm();
    let w = || vec![list(&[1, 2, 3]), V::Int(2), V::Int(9), V::Null, V::Int(-1)];
    let (out, _) = both(
        &mut vm,
        Instr::ListGet {
            dst: 3,
            list: 0,
            idx: 1,
        },
        w(),
    );
    assert_eq!(out[3], V::Int(3));
    let (out, _) = both(
        &mut vm,
        Instr::ListGetUnchecked {
            dst: 3,
            list: 0,
            idx: 1,
        },
        w(),
    );
    assert_eq!(out[3], V::Int(3));
    let (out, _) = both(
        &mut vm,
        Instr::ListSet {
            list: 0,
            idx: 1,
            src: 2,
        },
        w(),
    );
    assert_eq!(out[0], list(&[1, 2, 9]));
    let (out, _) = both(&mut vm, Instr::ListLen { dst: 3, list: 0 }, w());
    assert_eq!(out[3], V::Int(3));
    let (out, _) = both(&mut vm, Instr::ListConcat { dst: 3, a: 0, b: 0 }, w());
    assert_eq!(out[3], list(&[1, 2, 3, 1, 2, 3]));
    let (out, _) = both(&mut vm, Instr::ListConcat { dst: 0, a: 0, b: 0 }, w());
    assert_eq!(out[0], list(&[1, 2, 3, 1, 2, 3]));
    let (out, _) = both(
        &mut vm,
        Instr::ListNew {
            dst: 3,
            args: 1,
            argc: 2,
        },
        w(),
    );
    assert_eq!(out[3], list(&[2, 9]));
    assert!(matches!(out[1], V::Null), "operands are moved out");
    for inclusive in [false, true] {
        let (out, _) = both(
            &mut vm,
            Instr::RangeList {
                dst: 3,
                lo: 1,
                hi: 2,
                inclusive,
            },
            w(),
        );
        let want: Vec<i64> = if inclusive {
            (2..=9).collect()
        } else {
            (2..9).collect()
        };
        assert_eq!(out[3], list(&want));
    }
    // Errors: out of bounds (both directions) on reads and writes, a non-list.
    for idx in [2, 4] {
        let (_, e) = both(
            &mut vm,
            Instr::ListGet {
                dst: 3,
                list: 0,
                idx,
            },
            w(),
        );
        assert_eq!(e, Err(RtError::IndexOutOfBounds));
        let (_, e) = both(
            &mut vm,
            Instr::ListSet {
                list: 0,
                idx,
                src: 1,
            },
            w(),
        );
        assert_eq!(e, Err(RtError::IndexOutOfBounds));
    }
    let (_, e) = both(&mut vm, Instr::ListLen { dst: 3, list: 1 }, w());
    assert!(matches!(e, Err(RtError::Internal(_))));
}

#[test]
fn map_helpers_match_the_interpreter() {
    let mut vm = vm();
    let w = || vec![s("a"), V::Int(1), s("b"), V::Int(2), V::Null, s("c")];
    let (out, _) = both(
        &mut vm,
        Instr::MapNew {
            dst: 4,
            args: 0,
            pairs: 2,
        },
        w(),
    );
    let map = out[4].clone();
    assert!(matches!(out[0], V::Null), "operands are moved out");
    let mw = || {
        vec![
            map.clone(),
            s("b"),
            V::Null,
            s("zz"),
            V::Int(7),
            V::Float(0.5),
        ]
    };
    let (out, _) = both(
        &mut vm,
        Instr::MapGet {
            dst: 2,
            map: 0,
            key: 1,
        },
        mw(),
    );
    assert_eq!(out[2], V::Int(2));
    let (out, _) = both(
        &mut vm,
        Instr::MapSet {
            map: 0,
            key: 3,
            src: 4,
        },
        mw(),
    );
    let (after, _) = both(
        &mut vm,
        Instr::MapGet {
            dst: 2,
            map: 0,
            key: 3,
        },
        out.clone(),
    );
    assert_eq!(after[2], V::Int(7));
    // Errors: a missing key, a key of a kind maps cannot hold.
    let (_, e) = both(
        &mut vm,
        Instr::MapGet {
            dst: 2,
            map: 0,
            key: 3,
        },
        mw(),
    );
    assert_eq!(e, Err(RtError::KeyNotFound));
    let (_, e) = both(
        &mut vm,
        Instr::MapGet {
            dst: 2,
            map: 0,
            key: 5,
        },
        mw(),
    );
    assert!(e.is_err());
    let (_, e) = both(
        &mut vm,
        Instr::MapSet {
            map: 1,
            key: 3,
            src: 4,
        },
        mw(),
    );
    assert!(matches!(e, Err(RtError::Internal(_))));
}

#[test]
fn tuple_record_and_enum_helpers_match_the_interpreter() {
    let mut vm = vm();
    let (p, shape) = (type_id(&vm, "P"), type_id(&vm, "Shape"));
    let w = || vec![V::Int(4), s("n"), V::Float(1.5), V::Null, V::Null];
    let (out, _) = both(
        &mut vm,
        Instr::TupleNew {
            dst: 3,
            args: 0,
            argc: 2,
        },
        w(),
    );
    let (out, _) = both(
        &mut vm,
        Instr::TupleGet {
            dst: 4,
            tuple: 3,
            index: 1,
        },
        out,
    );
    assert_eq!(out[4], s("n"));
    let (out, _) = both(
        &mut vm,
        Instr::RecordNew {
            dst: 3,
            type_id: p,
            args: 0,
        },
        w(),
    );
    assert!(matches!(out[0], V::Null), "fields are moved out");
    let (out, _) = both(
        &mut vm,
        Instr::FieldSet {
            record: 3,
            field: 0,
            src: 2,
        },
        out,
    );
    let (out, _) = both(
        &mut vm,
        Instr::FieldGet {
            dst: 4,
            record: 3,
            field: 0,
        },
        out,
    );
    assert_eq!(out[4], V::Float(1.5));
    let rect = match &vm.module().types.defs[shape as usize] {
        TypeDef::Enum { variants, .. } => variants.iter().position(|v| v.arity == 2),
        TypeDef::Record { .. } => None,
    }
    .expect("Rect") as u32;
    let (out, _) = both(
        &mut vm,
        Instr::VariantNew {
            dst: 3,
            type_id: shape,
            tag: rect,
            args: 1,
        },
        w(),
    );
    let (out, _) = both(&mut vm, Instr::VariantTag { dst: 0, src: 3 }, out);
    assert_eq!(out[0], V::Int(rect as i64));
    let (out, _) = both(
        &mut vm,
        Instr::PayloadGet {
            dst: 4,
            src: 3,
            index: 1,
        },
        out,
    );
    assert_eq!(out[4], V::Float(1.5));
    // Errors: a record type that is not one, an enum operand that is not one.
    let (_, e) = both(
        &mut vm,
        Instr::RecordNew {
            dst: 3,
            type_id: shape,
            args: 0,
        },
        w(),
    );
    assert!(matches!(e, Err(RtError::Internal(_))));
    let (_, e) = both(&mut vm, Instr::VariantTag { dst: 3, src: 0 }, w());
    assert!(matches!(e, Err(RtError::Internal(_))));
}

#[test]
fn result_null_and_closure_helpers_match_the_interpreter() {
    let mut vm = vm();
    let twice = vm.module().find_cell("twice").expect("cell");
    let w = || vec![V::Int(3), V::Null, V::Null, V::Null];
    let (out, _) = both(&mut vm, Instr::MakeOk { dst: 1, src: 0 }, w());
    assert_eq!(out[1], V::ok(V::Int(3)));
    let (out, _) = both(&mut vm, Instr::MakeErr { dst: 2, src: 0 }, out);
    assert_eq!(out[2], V::err(V::Int(3)));
    let (out, _) = both(&mut vm, Instr::ResultValue { dst: 3, src: 2 }, out);
    assert_eq!(out[3], V::Int(3));
    let (out, _) = both(&mut vm, Instr::Unwrap { dst: 1, src: 0 }, w());
    assert_eq!(out[1], V::Int(3));
    let (out, _) = both(
        &mut vm,
        Instr::MakeClosure {
            dst: 1,
            cell: twice,
            args: 0,
            argc: 0,
        },
        w(),
    );
    assert!(matches!(&out[1], V::Fn(c) if c.cell == twice));
    let (_, e) = both(&mut vm, Instr::Unwrap { dst: 2, src: 1 }, w());
    assert_eq!(e, Err(RtError::NullValue));
    let (_, e) = both(&mut vm, Instr::ResultValue { dst: 2, src: 0 }, w());
    assert!(matches!(e, Err(RtError::Internal(_))));
}

#[test]
fn constants_and_failing_instructions_match_the_interpreter() {
    let mut vm = vm();
    let n = vm.module().consts.len() as u32;
    let w = || vec![s("boom"), V::Int(1)];
    for idx in 0..n {
        let (out, _) = both(&mut vm, Instr::LoadConst { dst: 1, idx }, w());
        assert_eq!(
            format!("{:?}", out[1]),
            format!("{:?}", vm.module().consts[idx as usize])
        );
    }
    let (_, e) = both(&mut vm, Instr::LoadConst { dst: 1, idx: n }, w());
    assert!(matches!(e, Err(RtError::Internal(_))));
    let (_, e) = both(&mut vm, Instr::Halt { msg: 0 }, w());
    assert_eq!(e, Err(RtError::Halt("boom".into())));
    let (_, e) = both(&mut vm, Instr::NoMatch, w());
    assert_eq!(e, Err(RtError::NoMatchArm));
}

#[test]
fn type_tests_match_the_interpreter() {
    let mut vm = vm();
    let p = type_id(&vm, "P");
    let values = [
        V::Int(1),
        V::Float(1.0),
        V::Bool(true),
        s("x"),
        V::Null,
        list(&[]),
        V::ok(V::Null),
        V::err(V::Null),
    ];
    let tests = [
        TypeTest::Int,
        TypeTest::Float,
        TypeTest::Bool,
        TypeTest::Str,
        TypeTest::Null,
        TypeTest::List,
        TypeTest::Map,
        TypeTest::Tuple,
        TypeTest::Result,
        TypeTest::Ok,
        TypeTest::Err,
        TypeTest::Fn,
        TypeTest::Record(p),
        TypeTest::Enum(p + 1),
        TypeTest::Variant(p + 1, 7),
    ];
    let mut trues = 0;
    for test in tests {
        let [kind, a, b] = encode_test(test);
        assert_eq!(decode_test(kind, a, b), Ok(test));
        for v in &values {
            let (out, _) = both(
                &mut vm,
                Instr::Is {
                    dst: 1,
                    src: 0,
                    test,
                },
                vec![v.clone(), V::Null],
            );
            trues += matches!(out[1], V::Bool(true)) as usize;
        }
    }
    // Each value but the results passes exactly one test; results pass two.
    assert_eq!(trues, values.len() + 2);
    assert!(decode_test(15, 0, 0).is_err());
}

#[test]
fn call_helpers_run_builtins_and_function_values() {
    let mut vm = vm();
    let twice = vm.module().find_cell("twice").expect("cell");
    let closure = || {
        V::Fn(std::rc::Rc::new(lumen_core::value::Closure {
            cell: twice,
            captures: vec![],
        }))
    };
    let mut w = vec![s("abc"), V::Null, closure(), V::Int(21)];
    let ins = Instr::CallBuiltin {
        dst: 1,
        builtin: Builtin::LenStr,
        args: 0,
        argc: 1,
    };
    assert_eq!(run_helper(&mut vm, &ins, &mut w), Ok(()));
    assert_eq!(w[1], V::Int(3));
    assert!(matches!(w[0], V::Null), "arguments are moved out");
    let ins = Instr::CallValue {
        dst: 1,
        callee: 2,
        args: 3,
        argc: 1,
    };
    assert_eq!(run_helper(&mut vm, &ins, &mut w), Ok(()));
    assert_eq!(w[1], V::Int(42));
    // `map(xs, f)`: a builtin calling a function value.
    let mut w = vec![list(&[1, 2]), closure(), V::Null];
    let ins = Instr::CallBuiltin {
        dst: 2,
        builtin: Builtin::Map,
        args: 0,
        argc: 2,
    };
    assert_eq!(run_helper(&mut vm, &ins, &mut w), Ok(()));
    assert_eq!(w[2], list(&[2, 4]));
    let (_, st) = vm.parts();
    assert_eq!(st.top, 0, "the register stack is restored");
    assert!(
        st.regs
            .iter()
            .all(|v| matches!(v, V::Null | V::Bool(_) | V::Int(_) | V::Float(_))),
        "no heap value is left above the top"
    );
    // Errors: a builtin's own error, a callee that is not a function, a bad builtin number.
    let mut w = vec![s("xy"), V::Null];
    let ins = Instr::CallBuiltin {
        dst: 1,
        builtin: Builtin::Ord,
        args: 0,
        argc: 1,
    };
    assert_eq!(
        run_helper(&mut vm, &ins, &mut w),
        Err(RtError::InvalidArgument("ord"))
    );
    let ins = Instr::CallValue {
        dst: 1,
        callee: 0,
        args: 1,
        argc: 0,
    };
    assert!(matches!(
        run_helper(&mut vm, &ins, &mut w),
        Err(RtError::Internal(_))
    ));
    let (m, st) = vm.parts();
    let mut ctx = NativeCtx::new(m, st, 0);
    let mut w = vec![V::Null];
    // SAFETY: `ctx` is live; register 0 is inside `w`.
    unsafe { lumen_rt_call_builtin(&mut ctx, w.as_mut_ptr(), 1, 0, u32::MAX, 0, 0) };
    assert!(matches!(
        ctx.into_failure().0,
        Some(Fault::Plain(RtError::Internal(_)))
    ));
}

/// A number for every instruction kind (no wildcard: a new kind must be numbered here,
/// and then given a sample in [`samples`]).
fn kind(ins: &Instr) -> usize {
    use Instr::*;
    match ins {
        LoadInt { .. } => 0,
        LoadFloat { .. } => 1,
        LoadBool { .. } => 2,
        LoadNull { .. } => 3,
        LoadConst { .. } => 4,
        Copy { .. } => 5,
        Move { .. } => 6,
        IntAdd { .. } => 7,
        IntSub { .. } => 8,
        IntMul { .. } => 9,
        IntDiv { .. } => 10,
        IntFloorDiv { .. } => 11,
        IntMod { .. } => 12,
        IntPow { .. } => 13,
        IntNeg { .. } => 14,
        IntAddImm { .. } => 15,
        BitAnd { .. } => 16,
        BitOr { .. } => 17,
        BitXor { .. } => 18,
        Shl { .. } => 19,
        Shr { .. } => 20,
        BitNot { .. } => 21,
        FloatAdd { .. } => 22,
        FloatSub { .. } => 23,
        FloatMul { .. } => 24,
        FloatDiv { .. } => 25,
        FloatFloorDiv { .. } => 26,
        FloatMod { .. } => 27,
        FloatPow { .. } => 28,
        FloatNeg { .. } => 29,
        IntToFloat { .. } => 30,
        FloatToInt { .. } => 31,
        IntCmp { .. } => 32,
        FloatCmp { .. } => 33,
        StrCmp { .. } => 34,
        Eq { .. } => 35,
        Ne { .. } => 36,
        Not { .. } => 37,
        Jump { .. } => 38,
        JumpIf { .. } => 39,
        JumpIfNot { .. } => 40,
        JumpIfIntCmp { .. } => 41,
        JumpIfNull { .. } => 42,
        Return { .. } => 43,
        Call { .. } => 44,
        CallValue { .. } => 45,
        CallBuiltin { .. } => 46,
        Halt { .. } => 47,
        NoMatch => 48,
        StrConcat { .. } => 49,
        ToStr { .. } => 50,
        StrBuild { .. } => 51,
        StrIndex { .. } => 52,
        ListNew { .. } => 53,
        ListGet { .. } => 54,
        ListGetUnchecked { .. } => 55,
        ListSet { .. } => 56,
        ListLen { .. } => 57,
        ListConcat { .. } => 58,
        RangeList { .. } => 59,
        MapNew { .. } => 60,
        MapGet { .. } => 61,
        MapSet { .. } => 62,
        TupleNew { .. } => 63,
        TupleGet { .. } => 64,
        RecordNew { .. } => 65,
        FieldGet { .. } => 66,
        FieldSet { .. } => 67,
        VariantNew { .. } => 68,
        VariantTag { .. } => 69,
        PayloadGet { .. } => 70,
        MakeOk { .. } => 71,
        MakeErr { .. } => 72,
        ResultValue { .. } => 73,
        Is { .. } => 74,
        Unwrap { .. } => 75,
        MakeClosure { .. } => 76,
    }
}

/// Number of instruction kinds.
const KINDS: usize = 77;

/// One instruction of every kind (operands 1, 2, 3, … where they are registers).
fn samples() -> Vec<Instr> {
    use Instr::*;
    let (dst, a, b) = (1, 2, 3);
    vec![
        LoadInt { dst, value: 1 },
        LoadFloat { dst, value: 1.0 },
        LoadBool { dst, value: true },
        LoadNull { dst },
        LoadConst { dst, idx: 4 },
        Copy { dst, src: a },
        Move { dst, src: a },
        IntAdd { dst, a, b },
        IntSub { dst, a, b },
        IntMul { dst, a, b },
        IntDiv { dst, a, b },
        IntFloorDiv { dst, a, b },
        IntMod { dst, a, b },
        IntPow { dst, a, b },
        IntNeg { dst, src: a },
        IntAddImm { dst, a, value: 4 },
        BitAnd { dst, a, b },
        BitOr { dst, a, b },
        BitXor { dst, a, b },
        Shl { dst, a, b },
        Shr { dst, a, b },
        BitNot { dst, src: a },
        FloatAdd { dst, a, b },
        FloatSub { dst, a, b },
        FloatMul { dst, a, b },
        FloatDiv { dst, a, b },
        FloatFloorDiv { dst, a, b },
        FloatMod { dst, a, b },
        FloatPow { dst, a, b },
        FloatNeg { dst, src: a },
        IntToFloat { dst, src: a },
        FloatToInt { dst, src: a },
        IntCmp {
            op: CmpOp::Lt,
            dst,
            a,
            b,
        },
        FloatCmp {
            op: CmpOp::Lt,
            dst,
            a,
            b,
        },
        StrCmp {
            op: CmpOp::Lt,
            dst,
            a,
            b,
        },
        Eq { dst, a, b },
        Ne { dst, a, b },
        Not { dst, src: a },
        Jump { target: 0 },
        JumpIf { cond: a, target: 0 },
        JumpIfNot { cond: a, target: 0 },
        JumpIfIntCmp {
            op: CmpOp::Lt,
            a,
            b,
            target: 0,
        },
        JumpIfNull { src: a, target: 0 },
        Return { src: a },
        Call {
            dst,
            cell: 4,
            args: a,
            argc: 2,
        },
        CallValue {
            dst,
            callee: a,
            args: b,
            argc: 2,
        },
        CallBuiltin {
            dst,
            builtin: Builtin::Join,
            args: a,
            argc: 2,
        },
        Halt { msg: a },
        NoMatch,
        StrConcat { dst, a, b },
        ToStr { dst, src: a },
        StrBuild {
            dst,
            args: a,
            argc: 2,
        },
        StrIndex { dst, s: a, idx: b },
        ListNew {
            dst,
            args: a,
            argc: 2,
        },
        ListGet {
            dst,
            list: a,
            idx: b,
        },
        ListGetUnchecked {
            dst,
            list: a,
            idx: b,
        },
        ListSet {
            list: a,
            idx: b,
            src: dst,
        },
        ListLen { dst, list: a },
        ListConcat { dst, a, b },
        RangeList {
            dst,
            lo: a,
            hi: b,
            inclusive: true,
        },
        MapNew {
            dst,
            args: a,
            pairs: 2,
        },
        MapGet {
            dst,
            map: a,
            key: b,
        },
        MapSet {
            map: a,
            key: b,
            src: dst,
        },
        TupleNew {
            dst,
            args: a,
            argc: 2,
        },
        TupleGet {
            dst,
            tuple: a,
            index: 4,
        },
        RecordNew {
            dst,
            type_id: 4,
            args: a,
        },
        FieldGet {
            dst,
            record: a,
            field: 4,
        },
        FieldSet {
            record: a,
            field: 4,
            src: dst,
        },
        VariantNew {
            dst,
            type_id: 4,
            tag: 5,
            args: a,
        },
        VariantTag { dst, src: a },
        PayloadGet {
            dst,
            src: a,
            index: 4,
        },
        MakeOk { dst, src: a },
        MakeErr { dst, src: a },
        ResultValue { dst, src: a },
        Is {
            dst,
            src: a,
            test: TypeTest::Variant(4, 5),
        },
        Unwrap { dst, src: a },
        MakeClosure {
            dst,
            cell: 4,
            args: a,
            argc: 2,
        },
    ]
}

#[test]
fn every_instruction_kind_has_a_helper_or_is_native() {
    let samples = samples();
    let mut kinds: Vec<usize> = samples.iter().map(kind).collect();
    kinds.sort();
    assert_eq!(kinds, (0..KINDS).collect::<Vec<_>>(), "one sample per kind");
    let table = super::super::helpers();
    for ins in &samples {
        // What native code translates inline (ir.rs) or through a value-level helper.
        let native = kind(ins) <= 44 && !matches!(ins, Instr::LoadConst { .. });
        match op_helper(ins) {
            None => assert!(native, "{ins:?} has no helper"),
            Some(h) => {
                assert!(!native, "{ins:?} is translated inline");
                let Some(entry) = table.iter().find(|e| e.name == h.name) else {
                    panic!("{} is not in the helper table", h.name);
                };
                assert_eq!(entry.params.len(), 3 + h.operands.len(), "{}", h.name);
                assert_eq!(
                    h.calls,
                    matches!(ins, Instr::CallValue { .. } | Instr::CallBuiltin { .. })
                );
                // Operands are the instruction's, in order: registers 1, 2, 3 and the
                // immediates 4 (and 5) of the samples, encodings aside.
                let plain = !matches!(ins, Instr::CallBuiltin { .. } | Instr::Is { .. });
                if plain {
                    assert!(h.operands.iter().all(|&o| (1..=5).contains(&o)), "{ins:?}");
                }
            }
        }
    }
}

#[test]
fn every_table_helper_is_reached_by_an_instruction() {
    let reached: Vec<&str> = samples()
        .iter()
        .filter_map(op_helper)
        .map(|h| h.name)
        .collect();
    for h in op_helpers() {
        assert!(reached.contains(&h.name), "{} is never used", h.name);
    }
}

#[test]
fn every_fallible_helper_fails_like_the_interpreter() {
    // Formatting the deeply nested value needs a big stack.
    crate::run_on_big_stack(|| {
        let mut vm = vm();
        let (p, shape) = (type_id(&vm, "P"), type_id(&vm, "Shape"));
        let mut deep = V::Null;
        for _ in 0..(lumen_core::ops::MAX_DEPTH + 2) {
            deep = V::ok(deep);
        }
        let record = V::Record(std::rc::Rc::new(lumen_core::value::Record {
            type_id: p,
            fields: vec![V::Int(1), s("n")],
        }));
        let tuple = V::Tuple(std::rc::Rc::new(lumen_core::value::Tuple {
            items: vec![V::Int(1)],
        }));
        let w = || {
            vec![
                list(&[1]),
                V::Int(i64::MIN),
                V::Int(i64::MAX),
                V::Float(0.5),
                V::Int(2),
                deep.clone(),
                record.clone(),
                tuple.clone(),
                V::Null,
            ]
        };
        let cases = [
            (
                Instr::ToStr { dst: 8, src: 5 },
                Some(RtError::StackOverflow),
            ),
            (
                Instr::StrBuild {
                    dst: 8,
                    args: 5,
                    argc: 1,
                },
                Some(RtError::StackOverflow),
            ),
            (Instr::ListConcat { dst: 8, a: 0, b: 4 }, None),
            (
                Instr::RangeList {
                    dst: 8,
                    lo: 1,
                    hi: 2,
                    inclusive: true,
                },
                None,
            ),
            (
                Instr::MapNew {
                    dst: 8,
                    args: 3,
                    pairs: 1,
                },
                None,
            ),
            (
                Instr::TupleGet {
                    dst: 8,
                    tuple: 7,
                    index: 1,
                },
                None,
            ),
            (
                Instr::FieldGet {
                    dst: 8,
                    record: 7,
                    field: 0,
                },
                None,
            ),
            (
                Instr::FieldSet {
                    record: 6,
                    field: 2,
                    src: 4,
                },
                None,
            ),
            (
                Instr::VariantNew {
                    dst: 8,
                    type_id: p,
                    tag: 0,
                    args: 0,
                },
                None,
            ),
            (
                Instr::PayloadGet {
                    dst: 8,
                    src: 0,
                    index: 0,
                },
                None,
            ),
        ];
        for (ins, want) in cases {
            let (_, e) = both(&mut vm, ins.clone(), w());
            match want {
                Some(want) => assert_eq!(e, Err(want), "{ins:?}"),
                None => assert!(e.is_err(), "{ins:?} succeeded"),
            }
        }
        // A variant's payload index out of range is an internal error in both paths too.
        let rect = V::Variant(std::rc::Rc::new(lumen_core::value::Variant {
            type_id: shape,
            tag: 1,
            payload: vec![V::Float(1.0)],
        }));
        let (_, e) = both(
            &mut vm,
            Instr::PayloadGet {
                dst: 1,
                src: 0,
                index: 3,
            },
            vec![rect, V::Null],
        );
        assert!(matches!(e, Err(RtError::Internal(_))));
    });
}
