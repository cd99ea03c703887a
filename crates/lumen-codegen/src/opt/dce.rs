//! Dead code elimination: deletes unreachable blocks, instructions whose result is never
//! read and that can neither fail nor have an effect ([`cannot_fail`]), self-copies, and
//! jumps to the next instruction.
//!
//! A `Move` with a dead destination stays: it also nulls its source, which keeps a
//! uniquely held value unique for later in-place updates.

use super::edit::{cannot_fail, delete};
use lumen_core::flow::{Liveness, blocks, kills};
use lumen_core::lir::{Cell, Instr, TypeTable};

/// Removes dead code from `cell`; returns true when something was deleted.
pub fn dce(cell: &mut Cell, types: &TypeTable) -> bool {
    let mut changed = false;
    // Each round can expose more (a deleted use makes its producer dead).
    for _ in 0..16 {
        let round = unreachable(cell) | dead_values(cell, types) | useless_jumps(cell);
        if !round {
            break;
        }
        changed = true;
    }
    changed
}

/// Deletes the blocks control never reaches from the entry.
fn unreachable(cell: &mut Cell) -> bool {
    let blocks = blocks(&cell.code);
    if blocks.is_empty() {
        return false;
    }
    let mut seen = vec![false; blocks.len()];
    let mut stack = vec![0usize];
    seen[0] = true;
    while let Some(b) = stack.pop() {
        for &s in &blocks[b].succs {
            if !seen[s] {
                seen[s] = true;
                stack.push(s);
            }
        }
    }
    let mut keep = vec![true; cell.code.len()];
    for (b, blk) in blocks.iter().enumerate() {
        if !seen[b] {
            keep[blk.start..blk.end].fill(false);
        }
    }
    delete(cell, &keep)
}

/// Deletes infallible, effect-free instructions whose result is dead.
fn dead_values(cell: &mut Cell, types: &TypeTable) -> bool {
    if cell.code.is_empty() {
        return false;
    }
    let live = Liveness::of(cell, types);
    let mut keep = vec![true; cell.code.len()];
    for b in 0..live.blocks.len() {
        live.walk_block_backwards(&cell.code, types, b, |i, after| {
            let ins = &cell.code[i];
            let dead = match *ins {
                Instr::Copy { dst, src } if dst == src => true,
                Instr::Move { .. } => false,
                _ => kills(ins).is_some_and(|d| !after.contains(d)) && cannot_fail(ins, cell),
            };
            if dead {
                keep[i] = false;
            }
        });
    }
    delete(cell, &keep)
}

/// Deletes jumps (also conditional ones: their conditions only read registers) whose
/// target is the next instruction.
fn useless_jumps(cell: &mut Cell) -> bool {
    let keep: Vec<bool> = cell
        .code
        .iter()
        .enumerate()
        .map(|(i, ins)| ins.jump_target() != Some(i as u32 + 1))
        .collect();
    delete(cell, &keep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::builtins::Builtin;
    use lumen_core::lir::{CmpOp, Pos, RegTy};

    fn cell(regs: Vec<RegTy>, code: Vec<Instr>) -> Cell {
        Cell::new("t", 0, regs, RegTy::Int, code)
    }

    #[test]
    fn removes_dead_pure_values_but_keeps_failing_ones() {
        let mut c = cell(
            vec![RegTy::Int; 5],
            vec![
                Instr::LoadInt { dst: 0, value: 1 },
                Instr::LoadInt { dst: 1, value: 0 },
                // Dead but may fail (division by zero): stays.
                Instr::IntDiv { dst: 2, a: 0, b: 1 },
                // Dead and pure: goes, and then the load feeding it.
                Instr::LoadInt { dst: 4, value: 3 },
                Instr::BitAnd { dst: 3, a: 4, b: 0 },
                Instr::Return { src: 0 },
            ],
        );
        assert!(dce(&mut c, &TypeTable::default()));
        assert_eq!(c.code.len(), 4);
        assert_eq!(c.code[2], Instr::IntDiv { dst: 2, a: 0, b: 1 });
        // Positions stay with their instructions.
        assert_eq!(c.pos[2], Pos { line: 3, col: 1 });
    }

    #[test]
    fn removes_unreachable_code_and_jumps_to_next() {
        let mut c = cell(
            vec![RegTy::Int, RegTy::Null],
            vec![
                Instr::LoadInt { dst: 0, value: 1 },
                Instr::Jump { target: 3 },
                Instr::CallBuiltin {
                    dst: 1,
                    builtin: Builtin::Print,
                    args: 0,
                    argc: 1,
                },
                Instr::JumpIfIntCmp {
                    op: CmpOp::Eq,
                    a: 0,
                    b: 0,
                    target: 4,
                },
                Instr::Return { src: 0 },
            ],
        );
        assert!(dce(&mut c, &TypeTable::default()));
        assert_eq!(
            c.code,
            vec![
                Instr::LoadInt { dst: 0, value: 1 },
                Instr::Return { src: 0 }
            ]
        );
    }

    #[test]
    fn effects_stay_even_when_their_result_is_dead() {
        let mut c = cell(
            vec![RegTy::Int, RegTy::Null],
            vec![
                Instr::LoadInt { dst: 0, value: 1 },
                Instr::CallBuiltin {
                    dst: 1,
                    builtin: Builtin::Print,
                    args: 0,
                    argc: 1,
                },
                Instr::Return { src: 0 },
            ],
        );
        assert!(!dce(&mut c, &TypeTable::default()));
    }
}
