//! The VM's internal instruction format, translated from LIR when the VM is created.
//!
//! [`Op`] is a `#[repr(u8)]` enum so dispatch is a plain byte load and table jump. The
//! translation specialises the hot LIR instructions (Int compare-and-branch per
//! operator) and fuses common sequences into one op:
//! - `LoadInt t, k` + `Int{Add,Sub,Mul,Div,FloorDiv,Mod} d, a, t` → `Int*K`;
//! - `LoadInt t, k` + `JumpIfIntCmp op, a, t` → compare-with-constant branch;
//! - `LoadFloat t, k` + a Float op with `t` as one operand → [`Op::FloatK`];
//! - `FloatCmp op, c, a, b` + `JumpIf`/`JumpIfNot c` → one branch;
//! - `LoadFloat t, k` + `FloatCmp c, a, t` + `JumpIf(Not) c` → one branch;
//! - `ListGet t, xs, i` + a Float op on `t` + `ListSet xs, i` → one in-place update;
//! - `ListGet t, xs, i` + a Float op on `t` → [`Op::ListFloat`];
//! - `Copy t, x` + a one-argument math builtin on `t` → [`Op::Math1`] on `x`;
//! - `IntAddImm i, i, k` + `JumpIfIntCmp Lt/Le i, hi` → one loop back edge;
//! - `Jump` to a `Return` → that `Return`.
//!
//! Fused ops still write every register the original sequence wrote (the constant's
//! `t`, the compare's `c`), in case a later instruction reads it. A sequence is fused
//! only when no jump lands inside it (the back edge instead keeps a copy of its compare
//! for such jumps). Every other LIR instruction becomes [`Op::Lir`], executed out of
//! line. Each op remembers its LIR index, so stack traces keep the LIR positions.

use lumen_core::builtins::Builtin;
use lumen_core::lir::{Cell, CmpOp, Instr, Reg, RegTy, TypeTest};

/// Float operations that have a constant-operand form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FloatBin {
    Add,
    Sub,
    Mul,
    Div,
}

/// One internal instruction (at most 24 bytes, like [`Instr`]). Register operands are
/// frame-relative; jump targets are op indices.
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
pub(super) enum Op {
    LoadInt {
        dst: Reg,
        value: i64,
    },
    LoadFloat {
        dst: Reg,
        value: f64,
    },
    LoadBool {
        dst: Reg,
        value: bool,
    },
    LoadNull {
        dst: Reg,
    },
    Copy {
        dst: Reg,
        src: Reg,
    },
    Move {
        dst: Reg,
        src: Reg,
    },

    IntAdd {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IntSub {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IntMul {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IntDiv {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IntFloorDiv {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IntMod {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IntAddImm {
        dst: Reg,
        a: Reg,
        value: i64,
    },
    /// `t = k; dst = a + k` (and likewise below).
    IntAddK {
        dst: Reg,
        a: Reg,
        t: Reg,
        k: i32,
    },
    IntSubK {
        dst: Reg,
        a: Reg,
        t: Reg,
        k: i32,
    },
    IntMulK {
        dst: Reg,
        a: Reg,
        t: Reg,
        k: i32,
    },
    IntDivK {
        dst: Reg,
        a: Reg,
        t: Reg,
        k: i32,
    },
    IntFloorDivK {
        dst: Reg,
        a: Reg,
        t: Reg,
        k: i32,
    },
    IntModK {
        dst: Reg,
        a: Reg,
        t: Reg,
        k: i32,
    },
    IntNeg {
        dst: Reg,
        src: Reg,
    },
    BitAnd {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    BitOr {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    BitXor {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Shl {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Shr {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    BitNot {
        dst: Reg,
        src: Reg,
    },

    FloatAdd {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatSub {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatMul {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatDiv {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// `t = value; dst = a op value` (`k_first`: `dst = value op a`).
    FloatK {
        op: FloatBin,
        k_first: bool,
        dst: Reg,
        a: Reg,
        t: Reg,
        value: f64,
    },
    FloatFloorDiv {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatMod {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatPow {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatNeg {
        dst: Reg,
        src: Reg,
    },
    IntToFloat {
        dst: Reg,
        src: Reg,
    },
    FloatToInt {
        dst: Reg,
        src: Reg,
    },

    IntCmp {
        op: CmpOp,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatCmp {
        op: CmpOp,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Not {
        dst: Reg,
        src: Reg,
    },

    Jump {
        target: u32,
    },
    JumpIf {
        cond: Reg,
        target: u32,
    },
    JumpIfNot {
        cond: Reg,
        target: u32,
    },
    JumpIfLt {
        a: Reg,
        b: Reg,
        target: u32,
    },
    JumpIfLe {
        a: Reg,
        b: Reg,
        target: u32,
    },
    JumpIfGt {
        a: Reg,
        b: Reg,
        target: u32,
    },
    JumpIfGe {
        a: Reg,
        b: Reg,
        target: u32,
    },
    JumpIfEq {
        a: Reg,
        b: Reg,
        target: u32,
    },
    JumpIfNe {
        a: Reg,
        b: Reg,
        target: u32,
    },
    /// `i = i + step` (checked), then jump when `i < hi` (`inclusive`: `i <= hi`): the
    /// back edge of a counting loop. When the compare is itself a jump target, a copy of
    /// it follows this op and `skip` makes the fall-through step over that copy.
    IncJumpIfLess {
        i: Reg,
        hi: Reg,
        step: i32,
        target: u32,
        inclusive: bool,
        skip: bool,
    },
    /// `t = k`, then jump when `a op k`.
    JumpIfIntCmpK {
        op: CmpOp,
        a: Reg,
        t: Reg,
        k: i32,
        target: u32,
    },
    /// `t = k; c = a op k`, then jump when `c == when` (`k` is exact as an `f32`, which
    /// keeps the op at 24 bytes).
    JumpIfFloatCmpK {
        op: CmpOp,
        when: bool,
        c: Reg,
        a: Reg,
        t: Reg,
        k: f32,
        target: u32,
    },
    /// `t = list[idx]; t2 = t op e; list[idx] = t2` (`xs[i] op= e` on a Float list).
    FloatUpdate {
        op: FloatBin,
        list: Reg,
        idx: Reg,
        e: Reg,
        t: Reg,
        t2: Reg,
    },
    /// `dst = list[idx]; n = null; list[idx] = n`: the element moved out of the list
    /// (made unique first), as `let mut p = ps[i]` is lowered when `ps[i] = p` follows.
    ListTake {
        dst: Reg,
        list: Reg,
        idx: Reg,
        n: Reg,
    },
    /// `t = list[idx]; dst = t op other` (`elem_first`) or `dst = other op t`.
    ListFloat {
        op: FloatBin,
        elem_first: bool,
        dst: Reg,
        list: Reg,
        idx: Reg,
        other: Reg,
        t: Reg,
    },
    /// `append(xs, v)` on the operand run `args`, `args + 1` (which it takes), without
    /// the general builtin call sequence: comprehensions and `map`/`filter` loops build
    /// their lists with it.
    Append {
        dst: Reg,
        args: Reg,
    },
    /// `t = move list; list = append(t, t + 1)`: the value in `t + 1` pushed onto the
    /// list where it is, without moving the list out and back (`map`/`filter` loops);
    /// `t` and `t + 1` are left null, as the pair left them.
    AppendTo {
        list: Reg,
        t: Reg,
    },
    /// A one-argument math builtin on a number register (`sqrt(x)`, `abs(x)`, …),
    /// without the general builtin call sequence.
    Math1 {
        f: Builtin,
        dst: Reg,
        src: Reg,
    },
    /// `c = a op b`, then jump when `c == when`.
    JumpIfFloatCmp {
        op: CmpOp,
        when: bool,
        c: Reg,
        a: Reg,
        b: Reg,
        target: u32,
    },
    JumpIfNull {
        src: Reg,
        target: u32,
    },
    Return {
        src: Reg,
    },
    Call {
        dst: Reg,
        cell: u32,
        args: Reg,
        argc: u32,
    },
    CallValue {
        dst: Reg,
        callee: Reg,
        args: Reg,
        argc: u32,
    },
    CallBuiltin {
        dst: Reg,
        builtin: Builtin,
        args: Reg,
        argc: u32,
    },

    /// `proven`: from a `ListGetUnchecked`, whose index an optimiser proved in bounds.
    ListGet {
        dst: Reg,
        list: Reg,
        idx: Reg,
        proven: bool,
    },
    ListSet {
        list: Reg,
        idx: Reg,
        src: Reg,
    },
    ListLen {
        dst: Reg,
        list: Reg,
    },
    TupleGet {
        dst: Reg,
        tuple: Reg,
        index: u32,
    },
    FieldGet {
        dst: Reg,
        record: Reg,
        field: u32,
    },
    FieldSet {
        record: Reg,
        field: u32,
        src: Reg,
    },
    VariantTag {
        dst: Reg,
        src: Reg,
    },
    PayloadGet {
        dst: Reg,
        src: Reg,
        index: u32,
    },

    StrCmp {
        op: CmpOp,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    RecordNew {
        dst: Reg,
        type_id: u32,
        args: Reg,
    },
    VariantNew {
        dst: Reg,
        type_id: u32,
        tag: u32,
        args: Reg,
    },
    /// `Is`: type tests and match arms (binary_trees tests every node twice).
    Is {
        dst: Reg,
        src: Reg,
        test: TypeTest,
    },
    /// `LoadConst`: a pool constant (strings, shared payload-free variants).
    LoadConst {
        dst: Reg,
        idx: u32,
    },

    /// Any other instruction: `cell.code[idx]`, run out of line.
    Lir {
        idx: u32,
    },

    // Tiering only (a VM with a tier installed; see `super::tiering`).
    /// `Call` that counts calls and enters the callee's native code once compiled.
    CallCounted {
        dst: Reg,
        cell: u32,
        args: Reg,
        argc: u32,
    },
    /// `CallValue` that counts calls and enters native code once compiled.
    CallValueCounted {
        dst: Reg,
        callee: Reg,
        args: Reg,
        argc: u32,
    },
    /// Starts a loop header: counts the iteration in loop counter `counter` and, once
    /// the loop is hot, continues in native code (OSR).
    LoopHead {
        counter: u32,
    },
}

/// A translated cell.
#[derive(Clone, Debug, Default)]
pub(crate) struct Code {
    pub(super) ops: Vec<Op>,
    /// Register count of the cell (size of its frame window).
    pub(super) nregs: usize,
    /// Registers whose static type may hold a heap value (all but Int, Float, Bool,
    /// Null): the only ones a returning frame must clear.
    pub(super) heap: Vec<u32>,
    /// LIR index of each op (for positions in traces).
    pub(super) lir: Vec<u32>,
}

/// Translates a verified cell.
pub(crate) fn translate(cell: &Cell) -> Code {
    translate_with(cell, None)
}

/// Translates a verified cell for a VM with a tier installed: calls count
/// ([`Op::CallCounted`], [`Op::CallValueCounted`]) and every loop header (the target of a
/// backward jump) starts with an [`Op::LoopHead`] whose counter is the index its LIR pc
/// gets in `loops` (pushed here).
pub(crate) fn translate_tiered(cell: &Cell, loops: &mut Vec<u32>) -> Code {
    translate_with(cell, Some(loops))
}

fn translate_with(cell: &Cell, mut loops: Option<&mut Vec<u32>>) -> Code {
    let code = &cell.code;
    let n = code.len();
    let mut is_target = vec![false; n + 1];
    // Loop headers get a `LoopHead` op in front (tiering only).
    let mut is_head = vec![false; n + 1];
    for (pc, ins) in code.iter().enumerate() {
        if let Some(t) = jump_target(ins) {
            is_target[t as usize] = true;
            is_head[t as usize] |= loops.is_some() && t as usize <= pc;
        }
    }
    // Pass 1: how instructions group into ops; op index of every LIR index.
    let mut group = vec![Group::Single; n];
    let mut op_index = vec![0u32; n + 1];
    let mut count = 0u32;
    let mut i = 0;
    while i < n {
        op_index[i] = count;
        // Jumps to a header land on its `LoopHead`.
        count += u32::from(is_head[i]);
        if i + 2 < n
            && !is_target[i + 1]
            && !is_target[i + 2]
            && fuse3(&code[i], &code[i + 1], &code[i + 2]).is_some()
        {
            group[i] = Group::Triple;
            op_index[i + 1] = count;
            op_index[i + 2] = count;
            count += 1;
            i += 3;
        } else if i + 1 < n
            && !is_head[i + 1]
            && counting_back_edge(&code[i], &code[i + 1]).is_some()
        {
            // A jump may land on the compare: keep a copy of it right after the fused op.
            let copy = is_target[i + 1];
            group[i] = Group::BackEdge { copy };
            op_index[i + 1] = count + u32::from(copy);
            count += 1 + u32::from(copy);
            i += 2;
        } else if i + 1 < n && !is_target[i + 1] && fuse(&code[i], &code[i + 1]).is_some() {
            group[i] = Group::Pair;
            op_index[i + 1] = count;
            count += 1;
            i += 2;
        } else {
            count += 1;
            i += 1;
        }
    }
    op_index[n] = count;
    // Pass 2: emit with translated targets.
    let map = |t: u32| op_index[t as usize];
    let mut out = Code {
        nregs: cell.regs.len(),
        heap: (0..cell.regs.len() as u32)
            .filter(|&r| {
                !matches!(
                    cell.regs[r as usize],
                    RegTy::Int | RegTy::Float | RegTy::Bool | RegTy::Null
                )
            })
            .collect(),
        ..Code::default()
    };
    let mut i = 0;
    while i < n {
        if let Some(loops) = loops.as_deref_mut().filter(|_| is_head[i]) {
            out.ops.push(Op::LoopHead {
                counter: loops.len() as u32,
            });
            out.lir.push(i as u32);
            loops.push(i as u32);
        }
        match group[i] {
            Group::BackEdge { copy } => {
                if let Some((i_reg, hi, step, target, inclusive)) =
                    counting_back_edge(&code[i], &code[i + 1])
                {
                    out.ops.push(Op::IncJumpIfLess {
                        i: i_reg,
                        hi,
                        step,
                        target: map(target),
                        inclusive,
                        skip: copy,
                    });
                    // Only the increment can fail (overflow).
                    out.lir.push(i as u32);
                    if copy {
                        out.ops.push(single(&code[i + 1], i as u32 + 1, map));
                        out.lir.push(i as u32 + 1);
                    }
                }
                i += 2;
            }
            Group::Triple => {
                if let Some(op) = fuse3(&code[i], &code[i + 1], &code[i + 2]) {
                    // The instruction that can fail: the compare, or the list read.
                    let failing = match op {
                        Op::FloatUpdate { .. } | Op::ListTake { .. } => i,
                        _ => i + 1,
                    };
                    out.ops.push(retarget(op, map));
                    out.lir.push(failing as u32);
                }
                i += 3;
            }
            Group::Pair => {
                if let Some(op) = fuse(&code[i], &code[i + 1]) {
                    // The position is the instruction that can fail: the list read, or
                    // else the second one.
                    let failing = match op {
                        Op::ListFloat { .. } => i,
                        _ => i + 1,
                    };
                    out.ops.push(retarget(op, map));
                    out.lir.push(failing as u32);
                }
                i += 2;
            }
            Group::Single => {
                let op = match code[i] {
                    // A jump to a return is that return (the `if … then … else` tails).
                    Instr::Jump { target } => match code.get(target as usize) {
                        Some(&Instr::Return { src }) => Op::Return { src },
                        _ => single(&code[i], i as u32, map),
                    },
                    _ => single(&code[i], i as u32, map),
                };
                let op = match op {
                    Op::Call {
                        dst,
                        cell,
                        args,
                        argc,
                    } if loops.is_some() => Op::CallCounted {
                        dst,
                        cell,
                        args,
                        argc,
                    },
                    Op::CallValue {
                        dst,
                        callee,
                        args,
                        argc,
                    } if loops.is_some() => Op::CallValueCounted {
                        dst,
                        callee,
                        args,
                        argc,
                    },
                    other => other,
                };
                out.ops.push(op);
                out.lir.push(i as u32);
                i += 1;
            }
        }
    }
    out
}

/// How a LIR instruction is translated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Single,
    /// Starts a pair fused by [`fuse`].
    Pair,
    /// Starts a triple fused by [`fuse3`].
    Triple,
    /// Starts an increment + compare-and-branch pair (see [`counting_back_edge`]).
    BackEdge {
        copy: bool,
    },
}

/// `LoadFloat t, k` + `FloatCmp op, c, a, t` + `JumpIf`/`JumpIfNot c` (targets still LIR).
fn fuse3(first: &Instr, second: &Instr, third: &Instr) -> Option<Op> {
    if let Some(op) = float_update(first, second, third) {
        return Some(op);
    }
    if let Some(op) = list_take(first, second, third) {
        return Some(op);
    }
    let (&Instr::LoadFloat { dst: t, value: k }, &Instr::FloatCmp { op, dst: c, a, b }) =
        (first, second)
    else {
        return None;
    };
    if b != t || a == t || c == t {
        return None;
    }
    let narrow = k as f32;
    if f64::from(narrow).to_bits() != k.to_bits() {
        return None;
    }
    let k = narrow;
    let (when, target) = match *third {
        Instr::JumpIf { cond, target } if cond == c => (true, target),
        Instr::JumpIfNot { cond, target } if cond == c => (false, target),
        _ => return None,
    };
    Some(Op::JumpIfFloatCmpK {
        op,
        when,
        c,
        a,
        t,
        k,
        target,
    })
}

/// `(dst, list, idx)` of a list read, checked or not (fused ops keep the check, so an
/// unchecked read may take part in a fusion).
fn list_read(ins: &Instr) -> Option<(Reg, Reg, Reg)> {
    match *ins {
        Instr::ListGet { dst, list, idx } | Instr::ListGetUnchecked { dst, list, idx } => {
            Some((dst, list, idx))
        }
        _ => None,
    }
}

/// True when no register appears twice in `regs`.
fn distinct(regs: &[Reg]) -> bool {
    regs.iter()
        .enumerate()
        .all(|(k, r)| !regs[k + 1..].contains(r))
}

/// `ListGet dst, l, i` + `LoadNull n` + `ListSet l, i, n`.
fn list_take(first: &Instr, second: &Instr, third: &Instr) -> Option<Op> {
    let (dst, list, idx) = list_read(first)?;
    let (
        &Instr::LoadNull { dst: n },
        &Instr::ListSet {
            list: l2,
            idx: i2,
            src,
        },
    ) = (second, third)
    else {
        return None;
    };
    // Every register distinct, so the fused order (the list written before `dst`) is
    // the same.
    (distinct(&[dst, list, idx, n]) && l2 == list && i2 == idx && src == n)
        .then_some(Op::ListTake { dst, list, idx, n })
}

/// `ListGet t, l, i` + `Float{Add,Sub,Mul,Div} t2, t, e` + `ListSet l, i, t2`.
fn float_update(first: &Instr, second: &Instr, third: &Instr) -> Option<Op> {
    let (t, list, idx) = list_read(first)?;
    let (op, t2, a, e) = match *second {
        Instr::FloatAdd { dst, a, b } => (FloatBin::Add, dst, a, b),
        Instr::FloatSub { dst, a, b } => (FloatBin::Sub, dst, a, b),
        Instr::FloatMul { dst, a, b } => (FloatBin::Mul, dst, a, b),
        Instr::FloatDiv { dst, a, b } => (FloatBin::Div, dst, a, b),
        _ => return None,
    };
    let Instr::ListSet {
        list: l2,
        idx: i2,
        src,
    } = *third
    else {
        return None;
    };
    // Every register distinct, so reading and writing in the fused order is the same.
    let distinct = distinct(&[list, idx, e, t, t2]);
    (a == t && src == t2 && l2 == list && i2 == idx && distinct).then_some(Op::FloatUpdate {
        op,
        list,
        idx,
        e,
        t,
        t2,
    })
}

/// Builtins with a [`Op::Math1`] form.
fn is_math1(b: Builtin) -> bool {
    matches!(
        b,
        Builtin::Sqrt
            | Builtin::AbsFloat
            | Builtin::AbsInt
            | Builtin::Floor
            | Builtin::Ceil
            | Builtin::Round
            | Builtin::Sin
            | Builtin::Cos
            | Builtin::Tan
            | Builtin::Exp
            | Builtin::Log
    )
}

/// `IntAddImm i, i, step` + `JumpIfIntCmp (Lt|Le) i, hi` → (i, hi, step, target, inclusive).
fn counting_back_edge(first: &Instr, second: &Instr) -> Option<(Reg, Reg, i32, u32, bool)> {
    match (first, second) {
        (
            &Instr::IntAddImm { dst, a, value },
            &Instr::JumpIfIntCmp {
                op: op @ (CmpOp::Lt | CmpOp::Le),
                a: c,
                b: hi,
                target,
            },
        ) if dst == a && c == dst && hi != dst => {
            let step = i32::try_from(value).ok()?;
            Some((dst, hi, step, target, op == CmpOp::Le))
        }
        _ => None,
    }
}

fn jump_target(ins: &Instr) -> Option<u32> {
    match *ins {
        Instr::Jump { target }
        | Instr::JumpIf { target, .. }
        | Instr::JumpIfNot { target, .. }
        | Instr::JumpIfIntCmp { target, .. }
        | Instr::JumpIfNull { target, .. } => Some(target),
        _ => None,
    }
}

/// Replaces a LIR jump target in a fused op by its op index.
fn retarget(op: Op, map: impl Fn(u32) -> u32) -> Op {
    match op {
        Op::JumpIfIntCmpK {
            op,
            a,
            t,
            k,
            target,
        } => Op::JumpIfIntCmpK {
            op,
            a,
            t,
            k,
            target: map(target),
        },
        Op::JumpIfFloatCmp {
            op,
            when,
            c,
            a,
            b,
            target,
        } => Op::JumpIfFloatCmp {
            op,
            when,
            c,
            a,
            b,
            target: map(target),
        },
        Op::JumpIfFloatCmpK {
            op,
            when,
            c,
            a,
            t,
            k,
            target,
        } => Op::JumpIfFloatCmpK {
            op,
            when,
            c,
            a,
            t,
            k,
            target: map(target),
        },
        other => other,
    }
}

/// The fused op for the pair `first`, `second`, if there is one (targets still LIR).
fn fuse(first: &Instr, second: &Instr) -> Option<Op> {
    match (first.clone(), second.clone()) {
        (Instr::LoadInt { dst: t, value }, second) => {
            let k = i32::try_from(value).ok()?;
            match second {
                Instr::IntAdd { dst, a, b } if b == t && a != t => {
                    Some(Op::IntAddK { dst, a, t, k })
                }
                Instr::IntSub { dst, a, b } if b == t && a != t => {
                    Some(Op::IntSubK { dst, a, t, k })
                }
                Instr::IntMul { dst, a, b } if b == t && a != t => {
                    Some(Op::IntMulK { dst, a, t, k })
                }
                Instr::IntDiv { dst, a, b } if b == t && a != t => {
                    Some(Op::IntDivK { dst, a, t, k })
                }
                Instr::IntFloorDiv { dst, a, b } if b == t && a != t => {
                    Some(Op::IntFloorDivK { dst, a, t, k })
                }
                Instr::IntMod { dst, a, b } if b == t && a != t => {
                    Some(Op::IntModK { dst, a, t, k })
                }
                Instr::JumpIfIntCmp { op, a, b, target } if b == t && a != t => {
                    Some(Op::JumpIfIntCmpK {
                        op,
                        a,
                        t,
                        k,
                        target,
                    })
                }
                _ => None,
            }
        }
        (Instr::LoadFloat { dst: t, value }, second) => {
            let (op, dst, a, b) = match second {
                Instr::FloatAdd { dst, a, b } => (FloatBin::Add, dst, a, b),
                Instr::FloatSub { dst, a, b } => (FloatBin::Sub, dst, a, b),
                Instr::FloatMul { dst, a, b } => (FloatBin::Mul, dst, a, b),
                Instr::FloatDiv { dst, a, b } => (FloatBin::Div, dst, a, b),
                _ => return None,
            };
            let (k_first, a) = if b == t && a != t {
                (false, a)
            } else if a == t && b != t {
                (true, b)
            } else {
                return None;
            };
            Some(Op::FloatK {
                op,
                k_first,
                dst,
                a,
                t,
                value,
            })
        }
        (
            Instr::Copy { dst: t, src },
            Instr::CallBuiltin {
                dst,
                builtin,
                args,
                argc: 1,
            },
        ) if args == t && is_math1(builtin) => Some(Op::Math1 {
            f: builtin,
            dst,
            src,
        }),
        (first @ (Instr::ListGet { .. } | Instr::ListGetUnchecked { .. }), second) => {
            let (t, list, idx) = list_read(&first)?;
            let (op, dst, a, b) = match second {
                Instr::FloatAdd { dst, a, b } => (FloatBin::Add, dst, a, b),
                Instr::FloatSub { dst, a, b } => (FloatBin::Sub, dst, a, b),
                Instr::FloatMul { dst, a, b } => (FloatBin::Mul, dst, a, b),
                Instr::FloatDiv { dst, a, b } => (FloatBin::Div, dst, a, b),
                _ => return None,
            };
            let (elem_first, other) = if a == t && b != t {
                (true, b)
            } else if b == t && a != t {
                (false, a)
            } else {
                return None;
            };
            (t != list && t != idx).then_some(Op::ListFloat {
                op,
                elem_first,
                dst,
                list,
                idx,
                other,
                t,
            })
        }
        (
            Instr::Move { dst: t, src: list },
            Instr::CallBuiltin {
                dst,
                builtin: Builtin::Append,
                args,
                argc: 2,
            },
        ) if args == t && dst == list && list != t && list != t + 1 => {
            Some(Op::AppendTo { list, t })
        }
        (Instr::FloatCmp { op, dst: c, a, b }, Instr::JumpIf { cond, target }) if cond == c => {
            Some(Op::JumpIfFloatCmp {
                op,
                when: true,
                c,
                a,
                b,
                target,
            })
        }
        (Instr::FloatCmp { op, dst: c, a, b }, Instr::JumpIfNot { cond, target }) if cond == c => {
            Some(Op::JumpIfFloatCmp {
                op,
                when: false,
                c,
                a,
                b,
                target,
            })
        }
        _ => None,
    }
}

/// The op for one LIR instruction at index `idx`.
fn single(ins: &Instr, idx: u32, map: impl Fn(u32) -> u32) -> Op {
    use Instr as I;
    match *ins {
        I::LoadInt { dst, value } => Op::LoadInt { dst, value },
        I::LoadFloat { dst, value } => Op::LoadFloat { dst, value },
        I::LoadBool { dst, value } => Op::LoadBool { dst, value },
        I::LoadNull { dst } => Op::LoadNull { dst },
        I::Copy { dst, src } => Op::Copy { dst, src },
        I::Move { dst, src } => Op::Move { dst, src },
        I::IntAdd { dst, a, b } => Op::IntAdd { dst, a, b },
        I::IntSub { dst, a, b } => Op::IntSub { dst, a, b },
        I::IntMul { dst, a, b } => Op::IntMul { dst, a, b },
        I::IntDiv { dst, a, b } => Op::IntDiv { dst, a, b },
        I::IntFloorDiv { dst, a, b } => Op::IntFloorDiv { dst, a, b },
        I::IntMod { dst, a, b } => Op::IntMod { dst, a, b },
        I::IntAddImm { dst, a, value } => Op::IntAddImm { dst, a, value },
        I::IntNeg { dst, src } => Op::IntNeg { dst, src },
        I::BitAnd { dst, a, b } => Op::BitAnd { dst, a, b },
        I::BitOr { dst, a, b } => Op::BitOr { dst, a, b },
        I::BitXor { dst, a, b } => Op::BitXor { dst, a, b },
        I::Shl { dst, a, b } => Op::Shl { dst, a, b },
        I::Shr { dst, a, b } => Op::Shr { dst, a, b },
        I::BitNot { dst, src } => Op::BitNot { dst, src },
        I::FloatAdd { dst, a, b } => Op::FloatAdd { dst, a, b },
        I::FloatSub { dst, a, b } => Op::FloatSub { dst, a, b },
        I::FloatMul { dst, a, b } => Op::FloatMul { dst, a, b },
        I::FloatDiv { dst, a, b } => Op::FloatDiv { dst, a, b },
        I::FloatFloorDiv { dst, a, b } => Op::FloatFloorDiv { dst, a, b },
        I::FloatMod { dst, a, b } => Op::FloatMod { dst, a, b },
        I::FloatPow { dst, a, b } => Op::FloatPow { dst, a, b },
        I::FloatNeg { dst, src } => Op::FloatNeg { dst, src },
        I::IntToFloat { dst, src } => Op::IntToFloat { dst, src },
        I::FloatToInt { dst, src } => Op::FloatToInt { dst, src },
        I::IntCmp { op, dst, a, b } => Op::IntCmp { op, dst, a, b },
        I::FloatCmp { op, dst, a, b } => Op::FloatCmp { op, dst, a, b },
        I::Not { dst, src } => Op::Not { dst, src },
        I::Jump { target } => Op::Jump {
            target: map(target),
        },
        I::JumpIf { cond, target } => Op::JumpIf {
            cond,
            target: map(target),
        },
        I::JumpIfNot { cond, target } => Op::JumpIfNot {
            cond,
            target: map(target),
        },
        I::JumpIfIntCmp { op, a, b, target } => {
            let target = map(target);
            match op {
                CmpOp::Lt => Op::JumpIfLt { a, b, target },
                CmpOp::Le => Op::JumpIfLe { a, b, target },
                CmpOp::Gt => Op::JumpIfGt { a, b, target },
                CmpOp::Ge => Op::JumpIfGe { a, b, target },
                CmpOp::Eq => Op::JumpIfEq { a, b, target },
                CmpOp::Ne => Op::JumpIfNe { a, b, target },
            }
        }
        I::JumpIfNull { src, target } => Op::JumpIfNull {
            src,
            target: map(target),
        },
        I::Return { src } => Op::Return { src },
        I::Call {
            dst,
            cell,
            args,
            argc,
        } => Op::Call {
            dst,
            cell,
            args,
            argc,
        },
        I::CallValue {
            dst,
            callee,
            args,
            argc,
        } => Op::CallValue {
            dst,
            callee,
            args,
            argc,
        },
        I::CallBuiltin {
            dst,
            builtin,
            args,
            argc: 1,
        } if is_math1(builtin) => Op::Math1 {
            f: builtin,
            dst,
            src: args,
        },
        I::CallBuiltin {
            dst,
            builtin: Builtin::Append,
            args,
            argc: 2,
        } => Op::Append { dst, args },
        I::CallBuiltin {
            dst,
            builtin,
            args,
            argc,
        } => Op::CallBuiltin {
            dst,
            builtin,
            args,
            argc,
        },
        I::ListGet { dst, list, idx } => Op::ListGet {
            dst,
            list,
            idx,
            proven: false,
        },
        // The interpreter keeps its (cheap) check for unchecked reads too; a failing one
        // reveals a wrong proof, reported as an internal error.
        I::ListGetUnchecked { dst, list, idx } => Op::ListGet {
            dst,
            list,
            idx,
            proven: true,
        },
        I::ListSet { list, idx, src } => Op::ListSet { list, idx, src },
        I::ListLen { dst, list } => Op::ListLen { dst, list },
        I::TupleGet { dst, tuple, index } => Op::TupleGet { dst, tuple, index },
        I::FieldGet { dst, record, field } => Op::FieldGet { dst, record, field },
        I::FieldSet { record, field, src } => Op::FieldSet { record, field, src },
        I::StrCmp { op, dst, a, b } => Op::StrCmp { op, dst, a, b },
        I::RecordNew { dst, type_id, args } => Op::RecordNew { dst, type_id, args },
        I::VariantNew {
            dst,
            type_id,
            tag,
            args,
        } => Op::VariantNew {
            dst,
            type_id,
            tag,
            args,
        },
        I::VariantTag { dst, src } => Op::VariantTag { dst, src },
        I::PayloadGet { dst, src, index } => Op::PayloadGet { dst, src, index },
        I::Is { dst, src, test } => Op::Is { dst, src, test },
        I::LoadConst { dst, idx } => Op::LoadConst { dst, idx },
        _ => Op::Lir { idx },
    }
}
