//! Constant folding: a forward data-flow finds registers holding a known Int, Float or
//! Bool at each point (a register is constant when every path assigns it the same
//! constant), then operations on constants become loads and branches on constants
//! become jumps (or disappear).
//!
//! Exactness (language reference §5.2): Int operations are evaluated with the shared
//! checked routines of `lumen_core::ops` and folded only when they succeed — an
//! operation that would overflow or divide by zero stays, so the error still happens at
//! run time at its position. Float operations use the very functions the VM uses, so the
//! folded bits are the bits the program would compute.

use super::edit::{delete, for_each_moved};
use super::forward::solve;
use lumen_core::flow::{blocks, kills};
use lumen_core::lir::{Cell, CmpOp, Instr, Reg, TypeTable};
use lumen_core::ops;

/// A known register value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Const {
    Int(i64),
    /// Compared by bits: `0.0` and `-0.0` differ, NaN equals itself.
    Float(u64),
    Bool(bool),
}

/// What the analysis knows about a register.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Lat {
    Known(Const),
    /// Not a constant (or not one we track).
    Varies,
}

impl Lat {
    fn meet(self, other: Lat) -> Lat {
        match (self, other) {
            (Lat::Known(a), Lat::Known(b)) if a == b => Lat::Known(a),
            _ => Lat::Varies,
        }
    }
}

/// Folds constants in `cell`; returns true when something changed.
pub fn fold(cell: &mut Cell, types: &TypeTable) -> bool {
    if cell.code.is_empty() {
        return false;
    }
    let blocks = blocks(&cell.code);
    let nregs = cell.regs.len();
    // Entry state: parameters and captures vary; other registers start as null, which
    // is not a tracked constant either.
    let state_in = solve(
        &blocks,
        vec![Lat::Varies; nregs],
        |b, st| {
            let mut st = st.clone();
            for ins in &cell.code[blocks[b].start..blocks[b].end] {
                transfer(ins, &mut st, types);
            }
            blocks[b].succs.iter().map(|&s| (s, st.clone())).collect()
        },
        |a, b| a.iter().zip(b).map(|(x, y)| x.meet(*y)).collect(),
    );
    let mut changed = false;
    let mut deleted = vec![];
    for (b, blk) in blocks.iter().enumerate() {
        // Unreachable blocks are left to dead code elimination.
        let Some(mut st) = state_in[b].clone() else {
            continue;
        };
        for i in blk.start..blk.end {
            match rewrite(&cell.code[i], &st, cell) {
                Rewrite::Keep => {}
                Rewrite::Replace(new) => {
                    cell.code[i] = new;
                    changed = true;
                }
                Rewrite::Delete => {
                    deleted.push(i);
                    changed = true;
                }
            }
            transfer(&cell.code[i], &mut st, types);
        }
    }
    let mut keep = vec![true; cell.code.len()];
    for i in deleted {
        keep[i] = false;
    }
    delete(cell, &keep) || changed
}

/// The effect of `ins` on the known registers.
fn transfer(ins: &Instr, st: &mut [Lat], types: &TypeTable) {
    let known = eval(ins, st);
    // Moved operands are left null.
    for_each_moved(ins, types, |r| set(st, r, Lat::Varies));
    if let Some(d) = ins.def() {
        let v = match (known, kills(ins)) {
            (Some(c), Some(_)) => Lat::Known(c),
            _ => Lat::Varies,
        };
        set(st, d, v);
    }
}

fn set(st: &mut [Lat], r: Reg, v: Lat) {
    if let Some(x) = st.get_mut(r as usize) {
        *x = v;
    }
}

fn get(st: &[Lat], r: Reg) -> Option<Const> {
    match st.get(r as usize) {
        Some(Lat::Known(c)) => Some(*c),
        _ => None,
    }
}

/// The constant `ins` writes, when its operands are known and it cannot fail.
fn eval(ins: &Instr, st: &[Lat]) -> Option<Const> {
    use Const::*;
    use Instr as I;
    let int = |r: Reg| match get(st, r) {
        Some(Int(x)) => Some(x),
        _ => None,
    };
    let float = |r: Reg| match get(st, r) {
        Some(Float(x)) => Some(f64::from_bits(x)),
        _ => None,
    };
    let boolean = |r: Reg| match get(st, r) {
        Some(Bool(x)) => Some(x),
        _ => None,
    };
    let fl = |x: f64| Some(Float(x.to_bits()));
    let int2 = |a: Reg, b: Reg, f: fn(i64, i64) -> lumen_core::RtResult<i64>| {
        f(int(a)?, int(b)?).ok().map(Int)
    };
    let float2 = |a: Reg, b: Reg, f: fn(f64, f64) -> f64| fl(f(float(a)?, float(b)?));
    match *ins {
        I::LoadInt { value, .. } => Some(Int(value)),
        I::LoadFloat { value, .. } => fl(value),
        I::LoadBool { value, .. } => Some(Bool(value)),
        I::Copy { src, .. } | I::Move { src, .. } => get(st, src),
        I::IntAdd { a, b, .. } => int2(a, b, ops::int_add),
        I::IntSub { a, b, .. } => int2(a, b, ops::int_sub),
        I::IntMul { a, b, .. } => int2(a, b, ops::int_mul),
        I::IntDiv { a, b, .. } => int2(a, b, ops::int_div),
        I::IntFloorDiv { a, b, .. } => int2(a, b, ops::int_floor_div),
        I::IntMod { a, b, .. } => int2(a, b, ops::int_mod),
        I::IntPow { a, b, .. } => int2(a, b, ops::int_pow),
        I::IntNeg { src, .. } => ops::int_neg(int(src)?).ok().map(Int),
        I::IntAddImm { a, value, .. } => ops::int_add(int(a)?, value).ok().map(Int),
        I::BitAnd { a, b, .. } => Some(Int(int(a)? & int(b)?)),
        I::BitOr { a, b, .. } => Some(Int(int(a)? | int(b)?)),
        I::BitXor { a, b, .. } => Some(Int(int(a)? ^ int(b)?)),
        I::Shl { a, b, .. } => Some(Int(ops::int_shl(int(a)?, int(b)?))),
        I::Shr { a, b, .. } => Some(Int(ops::int_shr(int(a)?, int(b)?))),
        I::BitNot { src, .. } => Some(Int(!int(src)?)),
        I::FloatAdd { a, b, .. } => float2(a, b, |x, y| x + y),
        I::FloatSub { a, b, .. } => float2(a, b, |x, y| x - y),
        I::FloatMul { a, b, .. } => float2(a, b, |x, y| x * y),
        I::FloatDiv { a, b, .. } => float2(a, b, |x, y| x / y),
        I::FloatFloorDiv { a, b, .. } => float2(a, b, ops::float_floor_div),
        I::FloatMod { a, b, .. } => float2(a, b, ops::float_mod),
        I::FloatPow { a, b, .. } => float2(a, b, ops::float_pow),
        I::FloatNeg { src, .. } => fl(-float(src)?),
        I::IntToFloat { src, .. } => fl(int(src)? as f64),
        I::FloatToInt { src, .. } => ops::float_to_int(float(src)?).ok().map(Int),
        I::IntCmp { op, a, b, .. } => Some(Bool(int_cmp(op, int(a)?, int(b)?))),
        I::FloatCmp { op, a, b, .. } => Some(Bool(float_cmp(op, float(a)?, float(b)?))),
        I::Not { src, .. } => Some(Bool(!boolean(src)?)),
        // Scalars compare numerically (§5.4); equality of scalars cannot fail.
        I::Eq { a, b, .. } => scalar_eq(get(st, a)?, get(st, b)?).map(Bool),
        I::Ne { a, b, .. } => scalar_eq(get(st, a)?, get(st, b)?).map(|e| Bool(!e)),
        _ => None,
    }
}

/// `a == b` on two known scalars, by the shared equality of `lumen_core::ops`.
fn scalar_eq(a: Const, b: Const) -> Option<bool> {
    let v = |c: Const| match c {
        Const::Int(x) => lumen_core::Value::Int(x),
        Const::Float(x) => lumen_core::Value::Float(f64::from_bits(x)),
        Const::Bool(x) => lumen_core::Value::Bool(x),
    };
    ops::values_equal(&v(a), &v(b)).ok()
}

/// `x op y` on Ints.
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

/// `x op y` on Floats (IEEE: every comparison with NaN is false except `!=`).
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

enum Rewrite {
    Keep,
    Replace(Instr),
    Delete,
}

/// The folded form of `ins` given the known registers before it.
fn rewrite(ins: &Instr, st: &[Lat], cell: &Cell) -> Rewrite {
    use Instr as I;
    let branch = |taken: bool, target: u32| {
        if taken {
            Rewrite::Replace(I::Jump { target })
        } else {
            Rewrite::Delete
        }
    };
    let int = |r: Reg| match get(st, r) {
        Some(Const::Int(x)) => Some(x),
        _ => None,
    };
    let boolean = |r: Reg| match get(st, r) {
        Some(Const::Bool(x)) => Some(x),
        _ => None,
    };
    match *ins {
        I::JumpIf { cond, target } => match boolean(cond) {
            Some(c) => branch(c, target),
            None => Rewrite::Keep,
        },
        I::JumpIfNot { cond, target } => match boolean(cond) {
            Some(c) => branch(!c, target),
            None => Rewrite::Keep,
        },
        // A register holding a known scalar is not null.
        I::JumpIfNull { src, .. } if get(st, src).is_some() => Rewrite::Delete,
        I::JumpIfIntCmp { op, a, b, target } => match (int(a), int(b)) {
            (Some(x), Some(y)) => branch(int_cmp(op, x, y), target),
            _ => Rewrite::Keep,
        },
        // Loads stay as they are; a move of a heap value must keep nulling its source.
        I::LoadInt { .. } | I::LoadFloat { .. } | I::LoadBool { .. } | I::Move { .. } => {
            Rewrite::Keep
        }
        _ => {
            let Some(dst) = kills(ins) else {
                return Rewrite::Keep;
            };
            match eval(ins, st) {
                Some(c) => match load(dst, c, cell) {
                    Some(new) => Rewrite::Replace(new),
                    None => Rewrite::Keep,
                },
                None => Rewrite::Keep,
            }
        }
    }
}

/// The load of `c` into `dst`, if `dst`'s type accepts it.
fn load(dst: Reg, c: Const, cell: &Cell) -> Option<Instr> {
    use lumen_core::lir::RegTy;
    let ty = cell.regs.get(dst as usize).copied()?;
    let (want, ins) = match c {
        Const::Int(value) => (RegTy::Int, Instr::LoadInt { dst, value }),
        Const::Float(bits) => (
            RegTy::Float,
            Instr::LoadFloat {
                dst,
                value: f64::from_bits(bits),
            },
        ),
        Const::Bool(value) => (RegTy::Bool, Instr::LoadBool { dst, value }),
    };
    (ty == want || ty == RegTy::Dyn).then_some(ins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::lir::RegTy;

    fn cell(regs: Vec<RegTy>, code: Vec<Instr>) -> Cell {
        Cell::new("t", 0, regs, RegTy::Int, code)
    }

    #[test]
    fn folds_safe_int_arithmetic_and_branches() {
        let mut c = cell(
            vec![RegTy::Int; 4],
            vec![
                Instr::LoadInt { dst: 0, value: 6 },
                Instr::LoadInt { dst: 1, value: 7 },
                Instr::IntMul { dst: 2, a: 0, b: 1 },
                Instr::JumpIfIntCmp {
                    op: CmpOp::Lt,
                    a: 2,
                    b: 0,
                    target: 5,
                },
                Instr::Return { src: 2 },
                Instr::Return { src: 0 },
            ],
        );
        assert!(fold(&mut c, &TypeTable::default()));
        assert_eq!(c.code[2], Instr::LoadInt { dst: 2, value: 42 });
        // 42 < 6 is false: the branch is gone.
        assert_eq!(c.code.len(), 5);
        assert_eq!(c.code[3], Instr::Return { src: 2 });
    }

    #[test]
    fn failing_int_operations_stay() {
        let mut c = cell(
            vec![RegTy::Int; 4],
            vec![
                Instr::LoadInt { dst: 0, value: 1 },
                Instr::LoadInt { dst: 1, value: 0 },
                Instr::IntDiv { dst: 2, a: 0, b: 1 },
                Instr::LoadInt {
                    dst: 3,
                    value: i64::MAX,
                },
                Instr::IntAddImm {
                    dst: 3,
                    a: 3,
                    value: 1,
                },
                Instr::Return { src: 2 },
            ],
        );
        let before = c.code.clone();
        assert!(!fold(&mut c, &TypeTable::default()));
        assert_eq!(c.code, before);
    }

    #[test]
    fn float_folding_is_bit_exact() {
        let mut c = cell(
            vec![RegTy::Float; 3],
            vec![
                Instr::LoadFloat { dst: 0, value: 0.1 },
                Instr::LoadFloat { dst: 1, value: 0.2 },
                Instr::FloatAdd { dst: 2, a: 0, b: 1 },
                Instr::FloatDiv { dst: 2, a: 2, b: 2 },
                Instr::LoadFloat {
                    dst: 1,
                    value: -0.0,
                },
                Instr::FloatMul { dst: 0, a: 0, b: 1 },
                Instr::Return { src: 0 },
            ],
        );
        fold(&mut c, &TypeTable::default());
        assert_eq!(
            c.code[2],
            Instr::LoadFloat {
                dst: 2,
                value: 0.1 + 0.2
            }
        );
        assert_eq!(c.code[3], Instr::LoadFloat { dst: 2, value: 1.0 });
        match c.code[5] {
            Instr::LoadFloat { value, .. } => assert!(value == 0.0 && value.is_sign_negative()),
            ref other => panic!("not folded: {other:?}"),
        }
    }

    #[test]
    fn scalar_equality_and_null_tests_fold() {
        let mut c = cell(
            vec![RegTy::Int, RegTy::Float, RegTy::Bool, RegTy::Dyn],
            vec![
                Instr::LoadInt { dst: 0, value: 1 },
                Instr::LoadFloat { dst: 1, value: 1.0 },
                Instr::Eq { dst: 2, a: 0, b: 1 },
                Instr::LoadInt { dst: 3, value: 5 },
                Instr::JumpIfNull { src: 3, target: 5 },
                Instr::Return { src: 2 },
            ],
        );
        assert!(fold(&mut c, &TypeTable::default()));
        // Ints and Floats compare numerically: 1 == 1.0.
        assert_eq!(
            c.code[2],
            Instr::LoadBool {
                dst: 2,
                value: true
            }
        );
        assert_eq!(c.code.len(), 5);
    }

    #[test]
    fn constants_merge_over_paths_and_loops_are_not_folded() {
        // r0 = 0; loop: r0 += 1; r0 < 10 → loop. r0 varies at the loop head.
        let mut c = cell(
            vec![RegTy::Int; 2],
            vec![
                Instr::LoadInt { dst: 0, value: 0 },
                Instr::LoadInt { dst: 1, value: 10 },
                Instr::IntAddImm {
                    dst: 0,
                    a: 0,
                    value: 1,
                },
                Instr::JumpIfIntCmp {
                    op: CmpOp::Lt,
                    a: 0,
                    b: 1,
                    target: 2,
                },
                Instr::Return { src: 0 },
            ],
        );
        let before = c.code.clone();
        assert!(!fold(&mut c, &TypeTable::default()));
        assert_eq!(c.code, before);
    }
}
