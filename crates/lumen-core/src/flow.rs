//! Control flow and liveness of a cell's code: basic blocks with their successors, the
//! loops (a header and its last backward jump) and how they nest, the jumps sorted by
//! target, and the classic backward liveness data-flow. Shared by the compiler's
//! move-on-last-use pass, the VM's tiering and the code generator (`lumen-codegen`), so
//! each exists once.

use crate::lir::{Cell, Instr, Reg, TypeTable};

/// A fixed-size set of registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegSet(Vec<u64>);

impl RegSet {
    /// The empty set over registers `0..n`.
    pub fn new(n: usize) -> RegSet {
        RegSet(vec![0; n.div_ceil(64)])
    }
    /// Adds `r` (registers outside the set's range are ignored).
    pub fn insert(&mut self, r: Reg) {
        if let Some(w) = self.0.get_mut(r as usize / 64) {
            *w |= 1 << (r % 64);
        }
    }
    /// Removes `r`.
    pub fn remove(&mut self, r: Reg) {
        if let Some(w) = self.0.get_mut(r as usize / 64) {
            *w &= !(1 << (r % 64));
        }
    }
    /// True when `r` is in the set.
    pub fn contains(&self, r: Reg) -> bool {
        self.0
            .get(r as usize / 64)
            .is_some_and(|w| w & (1 << (r % 64)) != 0)
    }
    /// Adds every register of `other`.
    pub fn union_with(&mut self, other: &RegSet) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
    /// Removes every register of `other`.
    pub fn subtract(&mut self, other: &RegSet) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= !b;
        }
    }
}

/// A basic block: instructions `start..end` and the blocks control may go to next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Index of the first instruction.
    pub start: usize,
    /// Index one past the last instruction.
    pub end: usize,
    /// Successor blocks: the jump target first (if any), then the fall-through block.
    pub succs: Vec<usize>,
}

/// Splits `code` into basic blocks (a jump target or the instruction after a jump starts
/// a block). Jump targets outside the code are ignored.
pub fn blocks(code: &[Instr]) -> Vec<Block> {
    let n = code.len();
    let mut leader = vec![false; n + 1];
    if n == 0 {
        return Vec::new();
    }
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
            if !last.ends_flow() && end < n && !succs.contains(&block_of[end]) {
                succs.push(block_of[end]);
            }
            Block { start, end, succs }
        })
        .collect()
}

/// The loops of `code`: each header (the target of a backward jump) with the last
/// backward jump to it, sorted by header. One pass over the code.
pub fn loops(code: &[Instr]) -> Vec<(u32, u32)> {
    let mut spans: Vec<(u32, u32)> = (code.iter().enumerate())
        .filter_map(|(pc, ins)| {
            let t = ins.jump_target()?;
            (t as usize <= pc).then_some((t, pc as u32))
        })
        .collect();
    spans.sort_unstable();
    // Of a header's backward jumps (now together, the last one last), keep the last.
    spans.reverse();
    spans.dedup_by_key(|&mut (head, _)| head);
    spans.reverse();
    spans
}

/// For each loop of `loops` ([`loops`]: sorted by header), the index of the innermost
/// other loop whose span (header to last backward jump) holds its header. Loops of
/// structured code nest or are disjoint; in other code the answer is a loop holding the
/// header, not necessarily the innermost. Linear, with a stack of open spans.
pub fn enclosing(loops: &[(u32, u32)]) -> Vec<Option<usize>> {
    let mut open: Vec<usize> = Vec::new();
    loops
        .iter()
        .enumerate()
        .map(|(k, &(head, _))| {
            while open.last().is_some_and(|&o| loops[o].1 < head) {
                open.pop();
            }
            let outer = open.last().copied();
            open.push(k);
            outer
        })
        .collect()
}

/// Every jump of `code` as `(target, source)`, sorted: the jumps into a range of
/// instructions are found by binary search, not by a walk over the whole code.
pub fn jumps_by_target(code: &[Instr]) -> Vec<(u32, u32)> {
    let mut jumps: Vec<(u32, u32)> = (code.iter().enumerate())
        .filter_map(|(q, ins)| ins.jump_target().map(|t| (t, q as u32)))
        .collect();
    jumps.sort_unstable();
    jumps
}

/// The sources of the jumps to `target` ([`jumps_by_target`] of the code).
pub fn jumps_to(jumps: &[(u32, u32)], target: u32) -> impl Iterator<Item = u32> + '_ {
    let from = jumps.partition_point(|&(t, _)| t < target);
    jumps[from..]
        .iter()
        .take_while(move |&&(t, _)| t == target)
        .map(|&(_, q)| q)
}

/// In-place updates (`ListSet`, `MapSet`, `FieldSet`) write a register whose old value
/// they also read, so they do not end its previous value's life.
pub fn is_update_in_place(ins: &Instr) -> bool {
    matches!(
        ins,
        Instr::ListSet { .. } | Instr::MapSet { .. } | Instr::FieldSet { .. }
    )
}

/// The register an instruction writes over completely (its def, unless it is an
/// in-place update).
pub fn kills(ins: &Instr) -> Option<Reg> {
    ins.def().filter(|_| !is_update_in_place(ins))
}

/// Live registers of a cell at block boundaries.
#[derive(Clone, Debug)]
pub struct Liveness {
    /// The cell's basic blocks (indices used by the other fields).
    pub blocks: Vec<Block>,
    /// Registers live on entry to each block.
    pub live_in: Vec<RegSet>,
    /// Registers live on exit from each block.
    pub live_out: Vec<RegSet>,
}

impl Liveness {
    /// Solves liveness for `cell`.
    pub fn of(cell: &Cell, types: &TypeTable) -> Liveness {
        let code = &cell.code;
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
                if let Some(d) = kills(ins) {
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
                inn.subtract(&kill[b]);
                inn.union_with(&gen_[b]);
                if inn != live_in[b] {
                    live_in[b] = inn;
                    changed = true;
                }
                live_out[b] = out;
            }
        }
        Liveness {
            blocks,
            live_in,
            live_out,
        }
    }

    /// Walks block `b` backwards, calling `f(index, live_after)` for every instruction
    /// with the registers live just after it.
    pub fn walk_block_backwards(
        &self,
        code: &[Instr],
        types: &TypeTable,
        b: usize,
        mut f: impl FnMut(usize, &RegSet),
    ) {
        let blk = &self.blocks[b];
        let mut live = self.live_out[b].clone();
        for i in (blk.start..blk.end).rev() {
            f(i, &live);
            let ins = &code[i];
            if let Some(d) = kills(ins) {
                live.remove(d);
            }
            ins.for_each_use(types, |r| live.insert(r));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lir::{CellKind, CmpOp, Pos, RegTy};

    #[test]
    fn loops_are_found_with_their_last_backward_jump_and_nesting() {
        use Instr::{Jump, JumpIfIntCmp, LoadInt};
        let back = |target| JumpIfIntCmp {
            op: CmpOp::Lt,
            a: 0,
            b: 1,
            target,
        };
        // 0..=6 holds 1..=3 (two backward jumps, 2 and 3) and 4..=5; 7..=8 stands alone.
        let code = vec![
            LoadInt { dst: 0, value: 0 },
            LoadInt { dst: 0, value: 1 },
            back(1),
            back(1),
            LoadInt { dst: 0, value: 4 },
            back(4),
            back(0),
            LoadInt { dst: 0, value: 7 },
            Jump { target: 7 },
        ];
        let spans = loops(&code);
        assert_eq!(spans, vec![(0, 6), (1, 3), (4, 5), (7, 8)]);
        assert_eq!(enclosing(&spans), vec![None, Some(0), Some(0), None]);
        let jumps = jumps_by_target(&code);
        assert_eq!(jumps_to(&jumps, 1).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(jumps_to(&jumps, 2).count(), 0);
        assert_eq!(jumps_to(&jumps, 7).collect::<Vec<_>>(), vec![8]);
        assert!(loops(&code[..1]).is_empty());
    }

    #[test]
    fn blocks_split_at_jumps_and_targets() {
        let code = vec![
            Instr::LoadInt { dst: 0, value: 0 },
            Instr::JumpIfIntCmp {
                op: CmpOp::Lt,
                a: 0,
                b: 0,
                target: 3,
            },
            Instr::LoadInt { dst: 0, value: 1 },
            Instr::Return { src: 0 },
        ];
        let b = blocks(&code);
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].start, b[0].end), (0, 2));
        assert_eq!(b[0].succs, vec![2, 1]);
        assert_eq!(b[1].succs, vec![2]);
        assert!(b[2].succs.is_empty());
    }

    #[test]
    fn loop_keeps_its_counter_live() {
        // r0 = 0; loop: r0 += 1; r0 < r1 → loop; return r2
        let code = vec![
            Instr::LoadInt { dst: 0, value: 0 },
            Instr::IntAddImm {
                dst: 0,
                a: 0,
                value: 1,
            },
            Instr::JumpIfIntCmp {
                op: CmpOp::Lt,
                a: 0,
                b: 1,
                target: 1,
            },
            Instr::Return { src: 2 },
        ];
        let cell = Cell {
            inlined: Default::default(),
            name: "t".into(),
            kind: CellKind::Cell,
            params: 0,
            captures: 0,
            regs: vec![RegTy::Int; 3],
            ret: RegTy::Int,
            pos: vec![Pos::default(); code.len()],
            code,
        };
        let l = Liveness::of(&cell, &TypeTable::default());
        // Block 1 (the loop) needs r0, r1 and r2 on entry; r0 is dead on entry to block 0.
        assert!(l.live_in[1].contains(0) && l.live_in[1].contains(1));
        assert!(!l.live_in[0].contains(0));
        assert!(l.live_in[0].contains(2));
        let mut seen = vec![];
        l.walk_block_backwards(&cell.code, &TypeTable::default(), 1, |i, live| {
            seen.push((i, live.contains(0)))
        });
        assert_eq!(seen, vec![(2, true), (1, true)]);
    }
}
