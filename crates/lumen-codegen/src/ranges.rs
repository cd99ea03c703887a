//! Facts about registers that let the translator drop overflow checks it can prove
//! unnecessary (and use cheaper instructions for some constant operands).
//!
//! Two sources of facts, both cheap and local:
//! - constants: a register written exactly once in the cell, by a `LoadInt` in the
//!   straight-line code every run starts with (where lowering hoists literals), holds
//!   that value wherever it is read;
//! - branches: a block whose only way in is one edge of a `JumpIfIntCmp` starts with
//!   that comparison (or its negation) holding, until either operand is written again.
//!
//! Within a block the translator also tracks intervals of Int registers it has seen
//! written there ([`Ranges::interval_after`]): constants, remainders by a constant
//! (`x % 7` lies in -6..=6), and sums, differences and products of such values.
//!
//! From them, `x + k` is proven not to overflow when a comparison bounds `x` on the side
//! `k` moves it: the counter of `for i in 0..n` (`i < n`, so `i + 1 <= n <= MAX`), or
//! `n - 1` and `n - 2` after `if n < 2 … else` in `fib` (`n >= 2`). Every other Int
//! operation keeps its check, so a program raises `integer overflow` exactly where the
//! interpreter does.

use lumen_core::lir::{Cell, CmpOp, Instr, Reg};
use std::collections::HashMap;

/// `a op b` on Int registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compare {
    /// Left operand.
    pub a: Reg,
    /// The comparison.
    pub op: CmpOp,
    /// Right operand.
    pub b: Reg,
}

impl Compare {
    /// The same fact with its operands swapped (`a < b` is `b > a`).
    fn flipped(self) -> Compare {
        let op = match self.op {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        };
        Compare {
            a: self.b,
            op,
            b: self.a,
        }
    }

    /// Whether the fact mentions register `r`.
    pub fn mentions(self, r: Reg) -> bool {
        self.a == r || self.b == r
    }
}

/// The negation of a comparison.
fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}

/// The facts of one cell.
#[derive(Debug, Default)]
pub struct Ranges {
    /// Constant registers and their values.
    consts: HashMap<Reg, i64>,
    /// Constant Float registers and their values.
    fconsts: HashMap<Reg, f64>,
    /// The comparison holding on entry to each block start (indexed by pc).
    entry: Vec<Option<Compare>>,
    /// For each block start with one way in from an earlier instruction, that
    /// instruction: what holds after it also holds at the block start.
    from: Vec<Option<usize>>,
}

impl Ranges {
    /// The facts of `cell`, whose blocks start where `starts` is true; `osr` is the
    /// header an on-stack-replacement entry jumps to (one more way into that block).
    pub fn of(cell: &Cell, starts: &[bool], osr: Option<u32>) -> Ranges {
        let code = &cell.code;
        let n = code.len();
        let mut defs = vec![0u32; cell.regs.len()];
        for ins in code {
            if let Some(d) = ins.def()
                && let Some(c) = defs.get_mut(d as usize)
            {
                *c += 1;
            }
        }
        // The straight-line start of the cell: up to the first later block start.
        let prefix = (1..n).find(|&pc| starts[pc]).unwrap_or(n);
        let fixed = cell.params + cell.captures;
        let once = |dst: Reg| dst >= fixed && defs[dst as usize] == 1;
        let consts = code[..prefix]
            .iter()
            .filter_map(|ins| match *ins {
                Instr::LoadInt { dst, value } if once(dst) => Some((dst, value)),
                _ => None,
            })
            .collect();
        let fconsts = code[..prefix]
            .iter()
            .filter_map(|ins| match *ins {
                Instr::LoadFloat { dst, value } if once(dst) => Some((dst, value)),
                _ => None,
            })
            .collect();
        // Ways into each instruction (the function entry is one into pc 0), and the
        // comparison the last recorded way establishes.
        let mut ways = vec![0u32; n + 1];
        let mut fact = vec![None; n + 1];
        let mut last = vec![None; n + 1];
        ways[0] = 1;
        if let Some(pc) = osr {
            ways[pc as usize] += 1;
        }
        for (pc, ins) in code.iter().enumerate() {
            let cmp = match *ins {
                Instr::JumpIfIntCmp { op, a, b, .. } => Some((op, a, b)),
                _ => None,
            };
            if let Some(t) = ins.jump_target() {
                ways[t as usize] += 1;
                fact[t as usize] = cmp.map(|(op, a, b)| Compare { a, op, b });
                last[t as usize] = Some(pc);
            }
            if !ins.ends_flow() {
                ways[pc + 1] += 1;
                last[pc + 1] = Some(pc);
                fact[pc + 1] = cmp.map(|(op, a, b)| Compare {
                    a,
                    op: negate(op),
                    b,
                });
            }
        }
        let entry = (0..n)
            .map(|pc| if ways[pc] == 1 { fact[pc] } else { None })
            .collect();
        let from = (0..n)
            .map(|pc| last[pc].filter(|&p| starts[pc] && ways[pc] == 1 && p < pc))
            .collect();
        Ranges {
            consts,
            fconsts,
            entry,
            from,
        }
    }

    /// The instructions after which what holds also holds at a block start: for each
    /// `(p, s)`, block `s` has its only way in from instruction `p`, translated before.
    pub fn inherits(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.from
            .iter()
            .enumerate()
            .filter_map(|(s, p)| p.map(|p| (p, s)))
    }

    /// The comparison known to hold on entry to the block starting at `pc`.
    pub fn entry(&self, pc: usize) -> Option<Compare> {
        self.entry.get(pc).copied().flatten()
    }

    /// The value of `r` when it is a constant register.
    pub fn constant(&self, r: Reg) -> Option<i64> {
        self.consts.get(&r).copied()
    }

    /// The value of `r` when it is a constant Float register.
    pub fn float_constant(&self, r: Reg) -> Option<f64> {
        self.fconsts.get(&r).copied()
    }

    /// The interval of Int register `r`: its constant, or what `bounds` (the intervals
    /// of registers written earlier in the block) says.
    pub fn interval(&self, bounds: &HashMap<Reg, (i64, i64)>, r: Reg) -> Option<(i64, i64)> {
        self.constant(r)
            .map(|k| (k, k))
            .or_else(|| bounds.get(&r).copied())
    }

    /// The interval of the Int that `ins` writes, when its operands' intervals bound it
    /// without overflow (which also proves the operation cannot overflow).
    pub fn interval_after(
        &self,
        bounds: &HashMap<Reg, (i64, i64)>,
        ins: &Instr,
    ) -> Option<(i64, i64)> {
        let iv = |r| self.interval(bounds, r);
        let hull = |xs: [Option<i64>; 4]| -> Option<(i64, i64)> {
            let [a, b, c, d] = xs;
            let v = [a?, b?, c?, d?];
            Some((*v.iter().min()?, *v.iter().max()?))
        };
        match *ins {
            Instr::LoadInt { value, .. } => Some((value, value)),
            Instr::IntMod { b, .. } => {
                // |x % k| < |k|, with the sign of x.
                let (lo, hi) = iv(b)?;
                let m = lo.checked_abs()?.max(hi.checked_abs()?);
                (lo > 0 || hi < 0).then(|| (1 - m, m - 1))
            }
            Instr::IntAdd { a, b, .. } => {
                let ((al, ah), (bl, bh)) = (iv(a)?, iv(b)?);
                Some((al.checked_add(bl)?, ah.checked_add(bh)?))
            }
            Instr::IntSub { a, b, .. } => {
                let ((al, ah), (bl, bh)) = (iv(a)?, iv(b)?);
                Some((al.checked_sub(bh)?, ah.checked_sub(bl)?))
            }
            Instr::IntAddImm { a, value, .. } => {
                let (al, ah) = iv(a)?;
                Some((al.checked_add(value)?, ah.checked_add(value)?))
            }
            Instr::IntMul { a, b, .. } => {
                let ((al, ah), (bl, bh)) = (iv(a)?, iv(b)?);
                hull([
                    al.checked_mul(bl),
                    al.checked_mul(bh),
                    ah.checked_mul(bl),
                    ah.checked_mul(bh),
                ])
            }
            _ => None,
        }
    }

    /// True when `x + k` cannot overflow, given the comparisons `holds`.
    pub fn add_is_safe(&self, holds: &[Compare], x: Reg, k: i64) -> bool {
        if k == 0 {
            return true;
        }
        holds.iter().any(|&c| {
            let c = if c.a == x { c } else { c.flipped() };
            if c.a != x {
                return false;
            }
            let bound = self.constant(c.b);
            match (c.op, k > 0) {
                // x < b <= MAX.
                (CmpOp::Lt, true) if k == 1 => true,
                // x > b >= MIN.
                (CmpOp::Gt, false) if k == -1 => true,
                // x <= K (or x < K): x + k <= K + k.
                (CmpOp::Le, true) => bound.is_some_and(|b| b.checked_add(k).is_some()),
                (CmpOp::Lt, true) => bound
                    .and_then(|b| b.checked_sub(1))
                    .is_some_and(|b| b.checked_add(k).is_some()),
                // x >= K (or x > K): x + k >= K + k.
                (CmpOp::Ge, false) => bound.is_some_and(|b| b.checked_add(k).is_some()),
                (CmpOp::Gt, false) => bound
                    .and_then(|b| b.checked_add(1))
                    .is_some_and(|b| b.checked_add(k).is_some()),
                _ => false,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::lir::{Pos, RegTy};

    fn cell(params: u32, regs: usize, code: Vec<Instr>) -> Cell {
        Cell {
            inlined: Default::default(),
            name: "f".into(),
            kind: lumen_core::lir::CellKind::Cell,
            params,
            captures: 0,
            regs: vec![RegTy::Int; regs],
            ret: RegTy::Int,
            pos: vec![Pos::default(); code.len()],
            code,
        }
    }

    fn starts(c: &Cell) -> Vec<bool> {
        let mut s = vec![false; c.code.len() + 1];
        for (pc, ins) in c.code.iter().enumerate() {
            if let Some(t) = ins.jump_target() {
                s[t as usize] = true;
                s[pc + 1] = true;
            }
            if ins.ends_flow() {
                s[pc + 1] = true;
            }
        }
        s
    }

    /// `fib`'s shape: r2 = 2; if r0 >= r2 goto 4; …; 4: r3 = r0 - 1.
    fn fib() -> Cell {
        cell(
            1,
            4,
            vec![
                Instr::LoadInt { dst: 2, value: 2 },
                Instr::JumpIfIntCmp {
                    op: CmpOp::Ge,
                    a: 0,
                    b: 2,
                    target: 4,
                },
                Instr::Copy { dst: 1, src: 0 },
                Instr::Return { src: 1 },
                Instr::IntAddImm {
                    dst: 3,
                    a: 0,
                    value: -1,
                },
                Instr::Return { src: 3 },
            ],
        )
    }

    #[test]
    fn a_taken_branch_bounds_its_block() {
        let c = fib();
        let r = Ranges::of(&c, &starts(&c), None);
        assert_eq!(r.constant(2), Some(2));
        assert_eq!(r.constant(0), None, "a parameter is not a constant");
        assert_eq!(r.float_constant(2), None);
        let holds: Vec<Compare> = r.entry(4).into_iter().collect();
        assert_eq!(
            holds,
            vec![Compare {
                a: 0,
                op: CmpOp::Ge,
                b: 2
            }]
        );
        assert!(r.add_is_safe(&holds, 0, -1));
        assert!(r.add_is_safe(&holds, 0, -2));
        assert!(!r.add_is_safe(&holds, 0, 1));
        assert!(!r.add_is_safe(&holds, 1, -1));
        // Fallthrough: r0 < 2, which bounds r0 + 1 but not r0 - 1.
        let not: Vec<Compare> = r.entry(2).into_iter().collect();
        assert!(r.add_is_safe(&not, 0, 1));
        assert!(!r.add_is_safe(&not, 0, -1));
    }

    #[test]
    fn a_single_way_in_from_earlier_code_inherits_its_facts() {
        let c = fib();
        let r = Ranges::of(&c, &starts(&c), None);
        // Block 2 (fallthrough of pc 1) and block 4 (target of pc 1).
        assert_eq!(r.inherits().collect::<Vec<_>>(), vec![(1, 2), (1, 4)]);
    }

    #[test]
    fn a_second_way_in_or_an_osr_entry_drops_the_fact() {
        let mut c = fib();
        // A jump from the fallthrough path into block 4 as well.
        c.code[3] = Instr::Jump { target: 4 };
        let r = Ranges::of(&c, &starts(&c), None);
        assert_eq!(r.entry(4), None);
        let c = fib();
        let r = Ranges::of(&c, &starts(&c), Some(4));
        assert_eq!(r.entry(4), None);
    }

    #[test]
    fn remainders_by_constants_bound_their_sums() {
        let c = cell(
            2,
            6,
            vec![
                Instr::LoadInt { dst: 2, value: 7 },
                Instr::Return { src: 0 },
            ],
        );
        let r = Ranges::of(&c, &starts(&c), None);
        let mut bounds = HashMap::new();
        let m = Instr::IntMod { dst: 3, a: 0, b: 2 };
        assert_eq!(r.interval_after(&bounds, &m), Some((-6, 6)));
        bounds.insert(3, (-6, 6));
        bounds.insert(4, (-2, 2));
        let add = Instr::IntAdd { dst: 5, a: 3, b: 4 };
        assert_eq!(r.interval_after(&bounds, &add), Some((-8, 8)));
        let mul = Instr::IntMul { dst: 5, a: 3, b: 4 };
        assert_eq!(r.interval_after(&bounds, &mul), Some((-12, 12)));
        // An operand with no known interval (a parameter) bounds nothing.
        let open = Instr::IntAdd { dst: 5, a: 3, b: 1 };
        assert_eq!(r.interval_after(&bounds, &open), None);
        // Near the edges the interval, and so the proof, is refused.
        bounds.insert(1, (0, i64::MAX));
        let edge = Instr::IntAddImm {
            dst: 5,
            a: 1,
            value: 1,
        };
        assert_eq!(r.interval_after(&bounds, &edge), None);
        // A divisor whose sign is unknown bounds nothing.
        bounds.insert(4, (-2, 2));
        let m = Instr::IntMod { dst: 5, a: 0, b: 4 };
        assert_eq!(r.interval_after(&bounds, &m), None);
    }

    #[test]
    fn loop_counters_below_a_bound_cannot_overflow() {
        let r = Ranges::default();
        let lt = [Compare {
            a: 1,
            op: CmpOp::Lt,
            b: 0,
        }];
        assert!(r.add_is_safe(&lt, 1, 1));
        assert!(!r.add_is_safe(&lt, 1, 2));
        // The same fact seen from the bound's side.
        let gt = [Compare {
            a: 0,
            op: CmpOp::Gt,
            b: 1,
        }];
        assert!(r.add_is_safe(&gt, 1, 1));
        assert!(r.add_is_safe(&gt, 0, -1));
        // Constants near the edges.
        let c = cell(
            0,
            2,
            vec![
                Instr::LoadInt {
                    dst: 0,
                    value: i64::MAX,
                },
                Instr::Return { src: 0 },
            ],
        );
        let r = Ranges::of(&c, &starts(&c), None);
        let le = [Compare {
            a: 1,
            op: CmpOp::Le,
            b: 0,
        }];
        assert!(!r.add_is_safe(&le, 1, 1));
        assert!(!r.add_is_safe(&le, 1, -5));
    }
}
