//! Copy propagation: after `Copy d, s` (same register type), reads of `d` become reads
//! of `s` while neither register has been written or moved out since on every path, so
//! the copy often becomes dead (and dead code elimination deletes it).
//!
//! Never rewritten: the source of a `Move` (moving out of `s` instead of `d` would null
//! `s`), operand runs (they must stay consecutive registers) and the register an
//! instruction writes.

use super::edit::{for_each_moved, has_run};
use super::forward::solve;
use lumen_core::flow::blocks;
use lumen_core::lir::{Cell, Instr, Reg, TypeTable};

/// `copy_of[d] = Some(s)`: `d` holds the same value as `s` here.
type Copies = Vec<Option<Reg>>;

/// Propagates copies in `cell`; returns true when an operand was rewritten.
pub fn copyprop(cell: &mut Cell, types: &TypeTable) -> bool {
    if cell.code.is_empty() {
        return false;
    }
    let blocks = blocks(&cell.code);
    let nregs = cell.regs.len();
    let state_in = solve(
        &blocks,
        vec![None; nregs],
        |b, st| {
            let mut st = st.clone();
            for ins in &cell.code[blocks[b].start..blocks[b].end] {
                transfer(ins, &mut st, cell, types);
            }
            blocks[b].succs.iter().map(|&s| (s, st.clone())).collect()
        },
        |a: &Copies, b: &Copies| {
            a.iter()
                .zip(b)
                .map(|(x, y)| if x == y { *x } else { None })
                .collect()
        },
    );
    let mut changed = false;
    for (b, blk) in blocks.iter().enumerate() {
        let Some(mut st) = state_in[b].clone() else {
            continue;
        };
        for i in blk.start..blk.end {
            let ins = &mut cell.code[i];
            if !has_run(ins) && !matches!(ins, Instr::Move { .. }) {
                let def = ins.def();
                let before = ins.clone();
                ins.map_regs(|r| {
                    if Some(r) == def {
                        r
                    } else {
                        st.get(r as usize).copied().flatten().unwrap_or(r)
                    }
                });
                changed |= *ins != before;
            }
            transfer(&cell.code[i], &mut st, cell, types);
        }
    }
    changed
}

/// Forgets every copy fact involving `r`.
fn forget(st: &mut Copies, r: Reg) {
    if let Some(x) = st.get_mut(r as usize) {
        *x = None;
    }
    for x in st.iter_mut() {
        if *x == Some(r) {
            *x = None;
        }
    }
}

fn transfer(ins: &Instr, st: &mut Copies, cell: &Cell, types: &TypeTable) {
    for_each_moved(ins, types, |r| forget(st, r));
    if let Some(d) = ins.def() {
        forget(st, d);
        if let Instr::Copy { dst, src } = *ins
            && dst != src
            && cell.regs.get(dst as usize) == cell.regs.get(src as usize)
        {
            let root = st.get(src as usize).copied().flatten().unwrap_or(src);
            if root != dst
                && let Some(x) = st.get_mut(dst as usize)
            {
                *x = Some(root);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::lir::{CellKind, CmpOp, Pos, RegTy};

    fn cell(regs: Vec<RegTy>, code: Vec<Instr>) -> Cell {
        Cell {
            inlined: Default::default(),
            name: "t".into(),
            kind: CellKind::Cell,
            params: 1,
            captures: 0,
            regs,
            ret: RegTy::Int,
            pos: vec![Pos::default(); code.len()],
            code,
        }
    }

    #[test]
    fn reads_of_a_copy_read_the_source() {
        let mut c = cell(
            vec![RegTy::Int; 3],
            vec![
                Instr::Copy { dst: 1, src: 0 },
                Instr::IntAdd { dst: 2, a: 1, b: 1 },
                Instr::Return { src: 2 },
            ],
        );
        assert!(copyprop(&mut c, &TypeTable::default()));
        assert_eq!(c.code[1], Instr::IntAdd { dst: 2, a: 0, b: 0 });
    }

    #[test]
    fn a_redefined_source_ends_the_copy() {
        let mut c = cell(
            vec![RegTy::Int; 3],
            vec![
                Instr::Copy { dst: 1, src: 0 },
                Instr::IntAddImm {
                    dst: 0,
                    a: 0,
                    value: 1,
                },
                Instr::JumpIfIntCmp {
                    op: CmpOp::Lt,
                    a: 1,
                    b: 0,
                    target: 0,
                },
                Instr::Return { src: 1 },
            ],
        );
        let before = c.code.clone();
        assert!(!copyprop(&mut c, &TypeTable::default()));
        assert_eq!(c.code, before);
    }

    #[test]
    fn moved_out_sources_and_move_operands_are_left_alone() {
        let mut c = cell(
            vec![RegTy::List; 4],
            vec![
                Instr::Copy { dst: 1, src: 0 },
                // Moving out of r1 must not become moving out of r0.
                Instr::Move { dst: 2, src: 1 },
                Instr::Copy { dst: 3, src: 0 },
                Instr::Move { dst: 2, src: 0 },
                // r0 is null now: r3 must not be replaced by it.
                Instr::Return { src: 3 },
            ],
        );
        copyprop(&mut c, &TypeTable::default());
        assert_eq!(c.code[1], Instr::Move { dst: 2, src: 1 });
        assert_eq!(c.code[4], Instr::Return { src: 3 });
    }
}
