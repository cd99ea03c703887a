//! Move on last use (docs/design.md, language reference §7): a `Copy` whose source
//! register is dead afterwards becomes a `Move`, so the value's reference count does not
//! rise and a uniquely held list, map or string stays unique (`xs = append(xs, v)` and
//! `m[k] = v` then update in place).
//!
//! Liveness is the classic backward data-flow over the cell's basic blocks.

use lumen_core::lir::{Cell, Instr, RegTy, TypeTable};

/// A fixed-size set of registers.
#[derive(Clone, PartialEq)]
struct RegSet(Vec<u64>);

impl RegSet {
    fn new(n: usize) -> RegSet {
        RegSet(vec![0; n.div_ceil(64)])
    }
    fn insert(&mut self, r: u32) {
        if let Some(w) = self.0.get_mut(r as usize / 64) {
            *w |= 1 << (r % 64);
        }
    }
    fn remove(&mut self, r: u32) {
        if let Some(w) = self.0.get_mut(r as usize / 64) {
            *w &= !(1 << (r % 64));
        }
    }
    fn contains(&self, r: u32) -> bool {
        self.0
            .get(r as usize / 64)
            .is_some_and(|w| w & (1 << (r % 64)) != 0)
    }
    fn union_with(&mut self, other: &RegSet) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
}

/// A basic block: instructions `start..end` and the blocks control may go to next.
struct Block {
    start: usize,
    end: usize,
    succs: Vec<usize>,
}

/// Splits `code` into basic blocks.
fn blocks(code: &[Instr]) -> Vec<Block> {
    let n = code.len();
    let mut leader = vec![false; n + 1];
    leader[0] = true;
    for (i, ins) in code.iter().enumerate() {
        if let Some(t) = ins.jump_target() {
            if (t as usize) < n {
                leader[t as usize] = true;
            }
            leader[i + 1] = true;
        }
        if ins.ends_flow() {
            leader[i + 1] = true;
        }
    }
    let starts: Vec<usize> = (0..n).filter(|&i| leader[i]).collect();
    let mut block_of = vec![0usize; n + 1];
    for (b, &s) in starts.iter().enumerate() {
        let e = starts.get(b + 1).copied().unwrap_or(n);
        block_of[s..e].fill(b);
    }
    starts
        .iter()
        .enumerate()
        .map(|(b, &start)| {
            let end = starts.get(b + 1).copied().unwrap_or(n);
            let last = &code[end - 1];
            let mut succs = vec![];
            if let Some(t) = last.jump_target()
                && (t as usize) < n
            {
                succs.push(block_of[t as usize]);
            }
            if !last.ends_flow() && end < n {
                succs.push(block_of[end]);
            }
            Block { start, end, succs }
        })
        .collect()
}

/// Rewrites `Copy` to `Move` where the source register is dead after the copy and may
/// hold a heap value.
pub fn insert_moves(cell: &mut Cell, types: &TypeTable) {
    let code = &cell.code;
    if code.is_empty() {
        return;
    }
    let nregs = cell.regs.len();
    let blocks = blocks(code);
    // Per block: registers read before being written (gen) and registers written (kill).
    let mut gen_ = vec![RegSet::new(nregs); blocks.len()];
    let mut kill = vec![RegSet::new(nregs); blocks.len()];
    for (b, blk) in blocks.iter().enumerate() {
        for ins in &code[blk.start..blk.end] {
            ins.for_each_use(types, |r| {
                if !kill[b].contains(r) {
                    gen_[b].insert(r);
                }
            });
            if let Some(d) = ins.def()
                && !is_update_in_place(ins)
            {
                kill[b].insert(d);
            }
        }
    }
    let mut live_in = gen_.clone();
    let mut live_out = vec![RegSet::new(nregs); blocks.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for b in (0..blocks.len()).rev() {
            let mut out = RegSet::new(nregs);
            for &s in &blocks[b].succs {
                out.union_with(&live_in[s]);
            }
            let mut inn = out.clone();
            for (w, k) in inn.0.iter_mut().zip(&kill[b].0) {
                *w &= !k;
            }
            inn.union_with(&gen_[b]);
            if inn != live_in[b] {
                live_in[b] = inn;
                changed = true;
            }
            live_out[b] = out;
        }
    }
    for (b, blk) in blocks.iter().enumerate() {
        let mut live = live_out[b].clone();
        for i in (blk.start..blk.end).rev() {
            let ins = &mut cell.code[i];
            if let Instr::Copy { dst, src } = *ins
                && dst != src
                && !live.contains(src)
                && !is_unboxed(cell.regs.get(src as usize).copied())
            {
                *ins = Instr::Move { dst, src };
            }
            let ins = &cell.code[i];
            if let Some(d) = ins.def()
                && !is_update_in_place(ins)
            {
                live.remove(d);
            }
            ins.for_each_use(types, |r| live.insert(r));
        }
    }
}

/// In-place updates write a register whose old value they also read.
fn is_update_in_place(ins: &Instr) -> bool {
    matches!(
        ins,
        Instr::ListSet { .. } | Instr::MapSet { .. } | Instr::FieldSet { .. }
    )
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
    use lumen_core::lir::{CellKind, Pos};

    fn cell(regs: Vec<RegTy>, code: Vec<Instr>) -> Cell {
        let pos = vec![Pos::default(); code.len()];
        Cell {
            name: "t".into(),
            kind: CellKind::Cell,
            params: 0,
            captures: 0,
            regs,
            ret: RegTy::Null,
            code,
            pos,
        }
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
