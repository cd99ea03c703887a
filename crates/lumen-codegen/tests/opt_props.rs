//! Property test: random straight-line and branching Int/Float code (constants included,
//! extremes, NaN, ±0, ±inf) computes the same result — or raises the same error at the
//! same position — before and after optimisation at every level.

use lumen_codegen::opt::{OptLevel, optimize};
mod generated;

use lumen_core::lir::{Cell, CmpOp, Instr, LirModule, RegTy};
use lumen_rt::VM;
use proptest::prelude::*;

/// Int registers 0..4, Float registers 4..8, Bool 8, display run 9..17, result 17.
const INTS: u32 = 4;
const FLOATS: u32 = 4;
const BOOL: u32 = 8;
const RUN: u32 = 9;
const RESULT: u32 = RUN + INTS + FLOATS;

fn int_value() -> impl Strategy<Value = i64> {
    prop_oneof![
        -3i64..4,
        Just(i64::MAX),
        Just(i64::MIN),
        Just(-1),
        any::<i64>(),
        0i64..70,
    ]
}

fn float_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        -3.0f64..3.0,
        Just(f64::NAN),
        Just(-0.0),
        Just(0.0),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(1e300),
        Just(9.3e18),
    ]
}

fn int_reg() -> impl Strategy<Value = u32> {
    0..INTS
}

fn float_reg() -> impl Strategy<Value = u32> {
    INTS..INTS + FLOATS
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Eq),
        Just(CmpOp::Ne),
        Just(CmpOp::Lt),
        Just(CmpOp::Le),
        Just(CmpOp::Gt),
        Just(CmpOp::Ge),
    ]
}

/// One random instruction over the scalar registers (jumps are added separately).
fn instr() -> impl Strategy<Value = Instr> {
    let (i, f) = (int_reg, float_reg);
    prop_oneof![
        (i(), int_value()).prop_map(|(dst, value)| Instr::LoadInt { dst, value }),
        (f(), float_value()).prop_map(|(dst, value)| Instr::LoadFloat { dst, value }),
        (i(), i(), i()).prop_map(|(dst, a, b)| Instr::IntAdd { dst, a, b }),
        (i(), i(), i()).prop_map(|(dst, a, b)| Instr::IntSub { dst, a, b }),
        (i(), i(), i()).prop_map(|(dst, a, b)| Instr::IntMul { dst, a, b }),
        (i(), i(), i()).prop_map(|(dst, a, b)| Instr::IntDiv { dst, a, b }),
        (i(), i(), i()).prop_map(|(dst, a, b)| Instr::IntFloorDiv { dst, a, b }),
        (i(), i(), i()).prop_map(|(dst, a, b)| Instr::IntMod { dst, a, b }),
        (i(), i(), i()).prop_map(|(dst, a, b)| Instr::IntPow { dst, a, b }),
        (i(), i()).prop_map(|(dst, src)| Instr::IntNeg { dst, src }),
        (i(), i(), int_value()).prop_map(|(dst, a, value)| Instr::IntAddImm { dst, a, value }),
        (i(), i(), i()).prop_map(|(dst, a, b)| Instr::Shl { dst, a, b }),
        (i(), i(), i()).prop_map(|(dst, a, b)| Instr::BitXor { dst, a, b }),
        (i(), i()).prop_map(|(dst, src)| Instr::Copy { dst, src }),
        (f(), f(), f()).prop_map(|(dst, a, b)| Instr::FloatAdd { dst, a, b }),
        (f(), f(), f()).prop_map(|(dst, a, b)| Instr::FloatMul { dst, a, b }),
        (f(), f(), f()).prop_map(|(dst, a, b)| Instr::FloatDiv { dst, a, b }),
        (f(), f(), f()).prop_map(|(dst, a, b)| Instr::FloatFloorDiv { dst, a, b }),
        (f(), f(), f()).prop_map(|(dst, a, b)| Instr::FloatMod { dst, a, b }),
        (f(), f(), f()).prop_map(|(dst, a, b)| Instr::FloatPow { dst, a, b }),
        (f(), f()).prop_map(|(dst, src)| Instr::FloatNeg { dst, src }),
        (f(), i()).prop_map(|(dst, src)| Instr::IntToFloat { dst, src }),
        (i(), f()).prop_map(|(dst, src)| Instr::FloatToInt { dst, src }),
        (cmp_op(), f(), f()).prop_map(|(op, a, b)| Instr::FloatCmp {
            op,
            dst: BOOL,
            a,
            b
        }),
        (i(), f()).prop_map(|(a, b)| Instr::Eq { dst: BOOL, a, b }),
        (f(), f()).prop_map(|(a, b)| Instr::Ne { dst: BOOL, a, b }),
        (cmp_op(), i(), i()).prop_map(|(op, a, b)| Instr::IntCmp {
            op,
            dst: BOOL,
            a,
            b
        }),
    ]
}

/// A body of random instructions with some forward branches mixed in.
fn body() -> impl Strategy<Value = Vec<Instr>> {
    let step = prop_oneof![
        8 => instr().prop_map(|i| (i, None)),
        1 => (cmp_op(), int_reg(), int_reg(), 1u32..6).prop_map(|(op, a, b, skip)| {
            (Instr::JumpIfIntCmp { op, a, b, target: 0 }, Some(skip))
        }),
        1 => (1u32..6).prop_map(|skip| (Instr::JumpIf { cond: BOOL, target: 0 }, Some(skip))),
    ];
    proptest::collection::vec(step, 1..25).prop_map(|steps| {
        let n = steps.len() as u32;
        steps
            .into_iter()
            .enumerate()
            .map(|(k, (mut ins, skip))| {
                if let (Some(t), Some(skip)) = (ins.jump_target_mut(), skip) {
                    // Forward, within the body or to the epilogue; the prologue is
                    // INTS + FLOATS + 1 instructions long.
                    let here = INTS + FLOATS + 1 + k as u32;
                    *t = (here + skip).min(INTS + FLOATS + 1 + n);
                }
                ins
            })
            .collect()
    })
}

fn module(body: Vec<Instr>) -> LirModule {
    let mut code = vec![];
    for r in 0..INTS {
        code.push(Instr::LoadInt {
            dst: r,
            value: r as i64 + 2,
        });
    }
    for r in INTS..INTS + FLOATS {
        code.push(Instr::LoadFloat {
            dst: r,
            value: r as f64 / 2.0,
        });
    }
    code.push(Instr::LoadBool {
        dst: BOOL,
        value: false,
    });
    code.extend(body);
    generated::display(&mut code, 0, INTS + FLOATS, RUN, RESULT);
    code.push(Instr::Return { src: RESULT });
    let mut regs = vec![RegTy::Int; INTS as usize];
    regs.extend(vec![RegTy::Float; FLOATS as usize]);
    regs.push(RegTy::Bool);
    regs.extend(vec![RegTy::Int; INTS as usize]);
    regs.extend(vec![RegTy::Float; FLOATS as usize]);
    regs.push(RegTy::Str);
    generated::module(vec![Cell::new("main", 0, regs, RegTy::Str, code)])
}

fn run(m: LirModule) -> Result<String, String> {
    generated::outcome(VM::new(m))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn optimised_code_computes_the_same(body in body()) {
        let m = module(body);
        prop_assert_eq!(lumen_core::verify::verify(&m), Ok(()));
        let base = run(m.clone());
        for level in [OptLevel::O2, OptLevel::O3] {
            let mut o = m.clone();
            optimize(&mut o, level);
            prop_assert_eq!(lumen_core::verify::verify(&o), Ok(()));
            prop_assert_eq!(run(o), base.clone());
        }
    }
}
