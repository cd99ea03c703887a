//! Move on last use (docs/design.md, language reference §7): a `Copy` whose source
//! register is dead afterwards becomes a `Move`, so the value's reference count does not
//! rise and a uniquely held list, map or string stays unique (`xs = append(xs, v)` and
//! `m[k] = v` then update in place).
//!
//! Liveness comes from [`lumen_core::flow`] (shared with the optimiser).

use lumen_core::flow::Liveness;
use lumen_core::lir::{Cell, Instr, RegTy, TypeTable};

/// Rewrites `Copy` to `Move` where the source register is dead after the copy and may
/// hold a heap value.
pub fn insert_moves(cell: &mut Cell, types: &TypeTable) {
    if cell.code.is_empty() {
        return;
    }
    let live = Liveness::of(cell, types);
    let mut to_move = Vec::new();
    for b in 0..live.blocks.len() {
        live.walk_block_backwards(&cell.code, types, b, |i, after| {
            if let Instr::Copy { dst, src } = cell.code[i]
                && dst != src
                && !after.contains(src)
                && !is_unboxed(cell.regs.get(src as usize).copied())
            {
                to_move.push(i);
            }
        });
    }
    // Turning a copy into a move changes no def or use, so the liveness stays valid.
    for i in to_move {
        if let Instr::Copy { dst, src } = cell.code[i] {
            cell.code[i] = Instr::Move { dst, src };
        }
    }
}

/// Registers that never hold a heap value, where a move gains nothing.
fn is_unboxed(ty: Option<RegTy>) -> bool {
    matches!(
        ty,
        Some(RegTy::Int | RegTy::Float | RegTy::Bool | RegTy::Null) | None
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::builtins::Builtin;

    fn cell(regs: Vec<RegTy>, code: Vec<Instr>) -> Cell {
        Cell::new("t", 0, regs, RegTy::Null, code)
    }

    #[test]
    fn append_loop_moves_the_list() {
        use RegTy::*;
        // r0 = []; loop: r1 = copy r0; r2 = i; r0 = append(r1, r2); i < 10 → loop
        let mut c = cell(
            vec![List, List, Int, Int, Int, Null],
            vec![
                Instr::ListNew {
                    dst: 0,
                    args: 0,
                    argc: 0,
                },
                Instr::LoadInt { dst: 3, value: 0 },
                Instr::LoadInt { dst: 4, value: 10 },
                Instr::Copy { dst: 1, src: 0 },
                Instr::Copy { dst: 2, src: 3 },
                Instr::CallBuiltin {
                    dst: 0,
                    builtin: Builtin::Append,
                    args: 1,
                    argc: 2,
                },
                Instr::IntAddImm {
                    dst: 3,
                    a: 3,
                    value: 1,
                },
                Instr::JumpIfIntCmp {
                    op: lumen_core::lir::CmpOp::Lt,
                    a: 3,
                    b: 4,
                    target: 3,
                },
                Instr::LoadNull { dst: 5 },
                Instr::Return { src: 5 },
            ],
        );
        insert_moves(&mut c, &TypeTable::default());
        assert_eq!(c.code[3], Instr::Move { dst: 1, src: 0 });
        // Int copies stay copies.
        assert_eq!(c.code[4], Instr::Copy { dst: 2, src: 3 });
    }

    #[test]
    fn copy_of_a_value_used_later_stays_a_copy() {
        use RegTy::*;
        // r1 = copy r0; print(r1); return r0 — r0 is still live after the copy.
        let mut c = cell(
            vec![List, List, Null],
            vec![
                Instr::ListNew {
                    dst: 0,
                    args: 0,
                    argc: 0,
                },
                Instr::Copy { dst: 1, src: 0 },
                Instr::CallBuiltin {
                    dst: 2,
                    builtin: Builtin::Print,
                    args: 1,
                    argc: 1,
                },
                Instr::Return { src: 0 },
            ],
        );
        insert_moves(&mut c, &TypeTable::default());
        assert_eq!(c.code[1], Instr::Copy { dst: 1, src: 0 });
    }

    #[test]
    fn liveness_flows_around_loops() {
        use RegTy::*;
        // r0 is read again at the loop head on the back edge, so the copy in the body
        // must stay a copy.
        let mut c = cell(
            vec![List, List, Bool, Null],
            vec![
                Instr::ListNew {
                    dst: 0,
                    args: 0,
                    argc: 0,
                },
                Instr::Copy { dst: 1, src: 0 },
                Instr::LoadBool {
                    dst: 2,
                    value: true,
                },
                Instr::JumpIf { cond: 2, target: 1 },
                Instr::LoadNull { dst: 3 },
                Instr::Return { src: 3 },
            ],
        );
        insert_moves(&mut c, &TypeTable::default());
        assert_eq!(c.code[1], Instr::Copy { dst: 1, src: 0 });
    }
}
