//! Facts and edits every pass shares: which operands an instruction moves out, which
//! instructions can neither fail nor have an effect, and deleting instructions while
//! keeping `Cell::pos` parallel and jump targets right.

use lumen_core::builtins::Builtin;
use lumen_core::lir::{Cell, Instr, Reg, RegTy, TypeTable};
use lumen_core::operands::{record_arity, variant_arity};

/// Calls `f` for every register `ins` leaves null: the source of a `Move` and the
/// operand run of multi-operand instructions (docs/design.md: runs are moved out).
/// `Return` is left out: it ends the frame.
pub fn for_each_moved(ins: &Instr, types: &TypeTable, mut f: impl FnMut(Reg)) {
    use Instr::*;
    let (args, n) = match *ins {
        Move { src, .. } => (src, 1),
        Call { args, argc, .. }
        | CallValue { args, argc, .. }
        | CallBuiltin { args, argc, .. }
        | StrBuild { args, argc, .. }
        | ListNew { args, argc, .. }
        | TupleNew { args, argc, .. }
        | MakeClosure { args, argc, .. } => (args, argc),
        MapNew { args, pairs, .. } => (args, pairs.saturating_mul(2)),
        RecordNew { type_id, args, .. } => (args, record_arity(types, type_id)),
        VariantNew {
            type_id, tag, args, ..
        } => (args, variant_arity(types, type_id, tag)),
        _ => return,
    };
    for i in 0..n {
        if let Some(r) = args.checked_add(i) {
            f(r);
        }
    }
}

/// True when `ins` has an operand run (its operands must stay consecutive registers).
pub fn has_run(ins: &Instr) -> bool {
    use Instr::*;
    matches!(
        ins,
        Call { .. }
            | CallValue { .. }
            | CallBuiltin { .. }
            | StrBuild { .. }
            | ListNew { .. }
            | TupleNew { .. }
            | MakeClosure { .. }
            | MapNew { .. }
            | RecordNew { .. }
            | VariantNew { .. }
    )
}

/// True when `ins`, run in `cell`, can raise no runtime error and has no effect other
/// than writing its destination (and nulling the operands it moves, which are
/// temporaries). Such an instruction may be deleted when its result is dead, and a cell
/// made of them (plus control flow) can be inlined without changing any stack trace.
///
/// Operand register types come from the verifier: a `Float` register holds a Float, so
/// Float arithmetic cannot fail; heap operands are accepted only when their register has
/// the exact heap type (a `Dyn` register could hold anything).
pub fn cannot_fail(ins: &Instr, cell: &Cell) -> bool {
    use Instr::*;
    let ty = |r: Reg| cell.regs.get(r as usize).copied();
    match *ins {
        LoadInt { .. }
        | LoadFloat { .. }
        | LoadBool { .. }
        | LoadNull { .. }
        | LoadConst { .. }
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
        | IntCmp { .. }
        | FloatCmp { .. }
        | Not { .. }
        | Is { .. }
        | MakeOk { .. }
        | MakeErr { .. }
        | ListNew { .. }
        | TupleNew { .. }
        | RecordNew { .. }
        | VariantNew { .. }
        | ListGetUnchecked { .. } => true,
        // A `Dyn` → scalar copy is a checked unboxing in native code.
        Copy { dst, src } | Move { dst, src } => ty(src) == ty(dst) || ty(dst) == Some(RegTy::Dyn),
        StrCmp { a, b, .. } => ty(a) == Some(RegTy::Str) && ty(b) == Some(RegTy::Str),
        ListLen { list, .. } => ty(list) == Some(RegTy::List),
        CallBuiltin {
            builtin: Builtin::LenList,
            args,
            ..
        } => ty(args) == Some(RegTy::List),
        _ => false,
    }
}

/// Deletes the instructions whose `keep` flag is false, keeping `pos` and
/// `inlined.at` parallel. A jump
/// to a deleted instruction goes to the next kept one (deleted instructions must be
/// no-ops at that point). Returns true when something was deleted.
pub fn delete(cell: &mut Cell, keep: &[bool]) -> bool {
    let n = cell.code.len();
    if keep.iter().all(|&k| k) {
        return false;
    }
    // new_index[i]: index of the first kept instruction at or after i.
    let mut new_index = vec![0u32; n + 1];
    let mut next = keep.iter().filter(|&&k| k).count() as u32;
    new_index[n] = next;
    for i in (0..n).rev() {
        if keep[i] {
            next -= 1;
        }
        new_index[i] = next;
    }
    let code = std::mem::take(&mut cell.code);
    let pos = std::mem::take(&mut cell.pos);
    for ((mut ins, p), &k) in code.into_iter().zip(pos).zip(keep) {
        if !k {
            continue;
        }
        if let Some(t) = ins.jump_target_mut() {
            *t = new_index.get(*t as usize).copied().unwrap_or(*t);
        }
        cell.code.push(ins);
        cell.pos.push(p);
    }
    if !cell.inlined.at.is_empty() {
        let at = std::mem::take(&mut cell.inlined.at);
        cell.inlined.at = at
            .into_iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(a, _)| a)
            .collect();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::lir::{CmpOp, Pos};

    pub(crate) fn cell(regs: Vec<RegTy>, code: Vec<Instr>) -> Cell {
        Cell::new("t", 0, regs, RegTy::Int, code)
    }

    #[test]
    fn delete_remaps_jumps_and_positions() {
        let mut c = cell(
            vec![RegTy::Int; 2],
            vec![
                Instr::LoadInt { dst: 0, value: 1 },
                Instr::LoadInt { dst: 1, value: 2 },
                Instr::JumpIfIntCmp {
                    op: CmpOp::Lt,
                    a: 0,
                    b: 0,
                    target: 1,
                },
                Instr::Return { src: 0 },
            ],
        );
        assert!(delete(&mut c, &[true, false, true, true]));
        assert_eq!(c.code.len(), 3);
        assert_eq!(c.code[1].jump_target(), Some(1));
        assert_eq!(c.pos[1], Pos { line: 3, col: 1 });
        assert!(!delete(&mut c, &[true, true, true]));
    }

    #[test]
    fn failing_and_effectful_instructions_are_recognised() {
        let c = cell(
            vec![RegTy::Int, RegTy::Int, RegTy::Dyn, RegTy::List],
            vec![],
        );
        assert!(!cannot_fail(&Instr::IntAdd { dst: 0, a: 0, b: 1 }, &c));
        assert!(cannot_fail(&Instr::BitAnd { dst: 0, a: 0, b: 1 }, &c));
        assert!(!cannot_fail(&Instr::Copy { dst: 0, src: 2 }, &c));
        assert!(cannot_fail(&Instr::Copy { dst: 2, src: 0 }, &c));
        assert!(cannot_fail(&Instr::ListLen { dst: 0, list: 3 }, &c));
        assert!(!cannot_fail(&Instr::ListLen { dst: 0, list: 2 }, &c));
        assert!(!cannot_fail(
            &Instr::CallBuiltin {
                dst: 0,
                builtin: Builtin::Print,
                args: 0,
                argc: 1
            },
            &c
        ));
        let mut moved = vec![];
        for_each_moved(
            &Instr::ListNew {
                dst: 3,
                args: 0,
                argc: 2,
            },
            &TypeTable::default(),
            |r| moved.push(r),
        );
        assert_eq!(moved, vec![0, 1]);
    }
}
