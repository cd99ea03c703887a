//! Facts about registers that let the translator drop overflow checks it can prove
//! unnecessary (and use cheaper instructions for some constant operands).
//!
//! - Comparisons: where an edge of a `JumpIfIntCmp` leads, its comparison (or the
//!   negation) holds until either operand is written again. A forward must-analysis
//!   over the cell's blocks (intersection where paths meet, so facts survive loops that
//!   leave their operands alone) gives the comparisons holding at each block start.
//! - Whole-cell intervals: a register written only by Int literals, `len` results,
//!   increments of itself by non-negative amounts and copies of such registers stays in
//!   the hull of those values (and 0, what an unwritten register reads): loop counters
//!   counting up from 0 are never negative, list lengths are below 2^59.
//! - Block intervals: the translator records the interval of each Int it computes in a
//!   block ([`Ranges::interval_after`]): sums, products, remainders and quotients by
//!   constants, copies.
//!
//! An Int operation whose result interval, computed from its operands', has no overflow
//! needs no check: `i + j` of two loop indices below list lengths, `i + 1` under `i < n`,
//! `n - 1` under `n >= 2`, `x % 7 + y % 3`. Every other operation keeps its check, so a
//! program raises `integer overflow` exactly where the interpreter does.

use crate::opt::forward::solve;
use lumen_core::flow::blocks;
use lumen_core::lir::{Cell, CmpOp, Instr, Reg, RegTy};
use lumen_core::ops;
use std::collections::HashMap;

/// An upper bound of every list length: a `Vec<Value>` holds fewer than
/// `isize::MAX / 16` elements.
pub const MAX_LEN: i64 = 1 << 59;

/// The full Int range.
const FULL: (i64, i64) = (i64::MIN, i64::MAX);

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
        Compare {
            a: self.b,
            op: self.op.swapped(),
            b: self.a,
        }
    }

    /// Whether the fact mentions register `r`.
    pub fn mentions(self, r: Reg) -> bool {
        self.a == r || self.b == r
    }
}

/// Block intervals: Int registers written earlier in the current block.
pub type Bounds = HashMap<Reg, (i64, i64)>;

/// The facts of one cell.
#[derive(Debug, Default)]
pub struct Ranges {
    /// Constant registers and their values.
    consts: HashMap<Reg, i64>,
    /// Constant Float registers and their values.
    fconsts: HashMap<Reg, f64>,
    /// Whole-cell intervals of Int registers (absent: the full range).
    global: HashMap<Reg, (i64, i64)>,
    /// Int registers.
    ints: Vec<bool>,
    /// List registers whose elements are always scalars of one type.
    lists: HashMap<Reg, RegTy>,
    /// The comparisons holding at each block start (by pc; absent: none).
    entry: HashMap<usize, Vec<Compare>>,
}

/// The most comparisons a block start keeps (the most recent ones). Without a bound, a
/// cell of thousands of sequential loops kept a fact per loop at every block, and the
/// analysis took time cubic in its size (4,000 loops: 16 s).
const MAX_FACTS: usize = 32;

impl Ranges {
    /// The facts of `cell`. They hold for on-stack-replacement entries too: the VM
    /// enters native code at a loop header with the state it reached there along one of
    /// the header's own edges (the `LoopHead` op runs on every arrival at the header,
    /// `lumen_rt::vm::code`), so such an entry is no new way in.
    pub fn of(cell: &Cell) -> Ranges {
        let code = &cell.code;
        let n = code.len();
        let ints = int_registers(cell);
        let fixed = cell.params + cell.captures;
        let mut defs = vec![0u32; cell.regs.len()];
        for ins in code {
            if let Some(d) = ins.def()
                && let Some(c) = defs.get_mut(d as usize)
            {
                *c += 1;
            }
        }
        let bs = blocks(code);
        // The straight-line start of the cell, where lowering hoists literals.
        // (None when a jump leads back to its start: it would not run only once.)
        let prefix = if code.iter().any(|i| i.jump_target() == Some(0)) {
            0
        } else {
            bs.get(1).map_or(n, |b| b.start)
        };
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
        let global = global_intervals(cell, &ints);
        let lists = scalar_lists(cell);
        // Comparisons: a must-analysis (meet = intersection).
        let mut block_at = HashMap::new();
        for (i, b) in bs.iter().enumerate() {
            block_at.insert(b.start, i);
        }
        let states = solve(
            &bs,
            Vec::<Compare>::new(),
            |b, st| {
                let blk = &bs[b];
                let mut st = st.clone();
                for ins in &code[blk.start..blk.end] {
                    if let Some(d) = ins.def() {
                        st.retain(|c| !c.mentions(d));
                    }
                }
                let last = &code[blk.end - 1];
                let cmp = match *last {
                    Instr::JumpIfIntCmp { op, a, b, .. } => Some((op, a, b)),
                    _ => None,
                };
                let with = |st: &Vec<Compare>, c: Option<Compare>| {
                    let mut st = st.clone();
                    if let Some(c) = c
                        && !st.contains(&c)
                    {
                        if st.len() == MAX_FACTS {
                            // Forgetting a fact is sound (fewer proofs), and keeps the
                            // intersections below quadratic in the facts.
                            st.remove(0);
                        }
                        st.push(c);
                    }
                    st
                };
                let mut out = Vec::new();
                if let Some(t) = last.jump_target()
                    && let Some(&s) = block_at.get(&(t as usize))
                {
                    out.push((s, with(&st, cmp.map(|(op, a, b)| Compare { a, op, b }))));
                }
                if !last.ends_flow()
                    && let Some(&s) = block_at.get(&blk.end)
                {
                    let neg = cmp.map(|(op, a, b)| Compare {
                        a,
                        op: op.negated_total(),
                        b,
                    });
                    out.push((s, with(&st, neg)));
                }
                out
            },
            |x, y| x.iter().filter(|c| y.contains(c)).copied().collect(),
        );
        let entry = bs
            .iter()
            .zip(states)
            .filter_map(|(b, st)| st.filter(|s| !s.is_empty()).map(|s| (b.start, s)))
            .collect();
        Ranges {
            consts,
            fconsts,
            global,
            ints,
            lists,
            entry,
        }
    }

    /// The comparisons holding on entry to the block starting at `pc`.
    pub fn entry(&self, pc: usize) -> Vec<Compare> {
        self.entry.get(&pc).cloned().unwrap_or_default()
    }

    /// The value of `r` when it is a constant register.
    pub fn constant(&self, r: Reg) -> Option<i64> {
        self.consts.get(&r).copied()
    }

    /// The type of every element of the list in `r`, when they are all scalars of one
    /// type in every run (see [`scalar_lists`]): reads need no tag check, and writes
    /// overwrite an element owning nothing.
    pub fn list_elements(&self, r: Reg) -> Option<RegTy> {
        self.lists.get(&r).copied()
    }

    /// The value of `r` when it is a constant Float register.
    pub fn float_constant(&self, r: Reg) -> Option<f64> {
        self.fconsts.get(&r).copied()
    }

    /// The interval of `r` from the constant, whole-cell and block facts.
    fn base(&self, bounds: &Bounds, r: Reg) -> (i64, i64) {
        if let Some(k) = self.constant(r) {
            return (k, k);
        }
        let (lo, hi) = self.global.get(&r).copied().unwrap_or(FULL);
        match bounds.get(&r) {
            Some(&(l, h)) => (lo.max(l), hi.min(h)),
            None => (lo, hi),
        }
    }

    /// The interval of Int register `r` at a point where `holds` hold and `bounds`
    /// are the block's intervals. A comparison with another register bounds `r` by
    /// that register's interval, itself narrowed by the comparisons holding of it (one
    /// step: `i < n` and `n <= k` bound `i` by `k - 1`; a versioned loop's guard is such
    /// an `n <= k`, `opt/version.rs`).
    pub fn interval(&self, bounds: &Bounds, holds: &[Compare], r: Reg) -> (i64, i64) {
        self.interval_within(bounds, holds, r, 1)
    }

    /// [`Self::interval`], following comparisons `depth` registers further.
    fn interval_within(
        &self,
        bounds: &Bounds,
        holds: &[Compare],
        r: Reg,
        depth: u32,
    ) -> (i64, i64) {
        let (mut lo, mut hi) = self.base(bounds, r);
        for &c in holds {
            let c = if c.a == r { c } else { c.flipped() };
            if c.a != r || c.b == r {
                continue;
            }
            let (blo, bhi) = match depth {
                0 => self.base(bounds, c.b),
                _ => self.interval_within(bounds, holds, c.b, depth - 1),
            };
            match c.op {
                CmpOp::Lt => hi = hi.min(bhi.saturating_sub(1)),
                CmpOp::Le => hi = hi.min(bhi),
                CmpOp::Gt => lo = lo.max(blo.saturating_add(1)),
                CmpOp::Ge => lo = lo.max(blo),
                CmpOp::Eq => {
                    lo = lo.max(blo);
                    hi = hi.min(bhi);
                }
                CmpOp::Ne => {}
            }
        }
        (lo, hi)
    }

    /// The interval of the Int that `ins` writes once it has run: that of
    /// [`Self::interval_after`], or, for a checked addition or multiplication of
    /// operands that are not negative (which may overflow, raising an error, so that
    /// nothing after it runs), the non-negative Ints.
    pub fn interval_once_done(
        &self,
        bounds: &Bounds,
        holds: &[Compare],
        ins: &Instr,
    ) -> Option<(i64, i64)> {
        if let Some(iv) = self.interval_after(bounds, holds, ins) {
            return Some(iv);
        }
        let nonneg = |r| self.interval(bounds, holds, r).0 >= 0;
        match *ins {
            Instr::IntAdd { a, b, .. } | Instr::IntMul { a, b, .. } if nonneg(a) && nonneg(b) => {
                Some((0, i64::MAX))
            }
            Instr::IntAddImm { a, value, .. } if nonneg(a) && value >= 0 => Some((0, i64::MAX)),
            _ => None,
        }
    }

    /// The interval of the Int that `ins` writes, when its operands' intervals bound it
    /// without overflow (which also proves the operation cannot overflow).
    pub fn interval_after(
        &self,
        bounds: &Bounds,
        holds: &[Compare],
        ins: &Instr,
    ) -> Option<(i64, i64)> {
        let iv = |r| self.interval(bounds, holds, r);
        let hull = |xs: [Option<i64>; 4]| -> Option<(i64, i64)> {
            let [a, b, c, d] = xs;
            let v = [a?, b?, c?, d?];
            Some((*v.iter().min()?, *v.iter().max()?))
        };
        match *ins {
            Instr::LoadInt { value, .. } => Some((value, value)),
            Instr::ListLen { .. } => Some((0, MAX_LEN)),
            Instr::Copy { dst, src } | Instr::Move { dst, src }
                if self.ints.get(dst as usize) == Some(&true)
                    && self.ints.get(src as usize) == Some(&true) =>
            {
                Some(iv(src))
            }
            Instr::IntMod { a, b, .. } => {
                // |x % k| < |k|, with the sign of x.
                let (lo, hi) = iv(b);
                let m = lo.checked_abs()?.max(hi.checked_abs()?);
                let (xl, xh) = iv(a);
                let low = if xl >= 0 { 0 } else { 1 - m };
                let high = if xh <= 0 { 0 } else { m - 1 };
                (lo > 0 || hi < 0).then_some((low, high))
            }
            Instr::IntDiv { a, b, .. } | Instr::IntFloorDiv { a, b, .. } => {
                // Division by a constant other than 0 and -1 is monotone in `a`.
                let k = match iv(b) {
                    (lo, hi) if lo == hi && lo != 0 && lo != -1 => lo,
                    _ => return None,
                };
                let (lo, hi) = iv(a);
                let div = |x| match ins {
                    Instr::IntDiv { .. } => ops::int_div(x, k).ok(),
                    _ => ops::int_floor_div(x, k).ok(),
                };
                let (x, y) = (div(lo)?, div(hi)?);
                Some((x.min(y), x.max(y)))
            }
            Instr::IntAdd { a, b, .. } => {
                let ((al, ah), (bl, bh)) = (iv(a), iv(b));
                Some((al.checked_add(bl)?, ah.checked_add(bh)?))
            }
            Instr::IntSub { a, b, .. } => {
                let ((al, ah), (bl, bh)) = (iv(a), iv(b));
                Some((al.checked_sub(bh)?, ah.checked_sub(bl)?))
            }
            Instr::IntAddImm { a, value, .. } => {
                let (al, ah) = iv(a);
                Some((al.checked_add(value)?, ah.checked_add(value)?))
            }
            Instr::IntMul { a, b, .. } => {
                let ((al, ah), (bl, bh)) = (iv(a), iv(b));
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
}

/// What the elements of a list register are, over every write of the register and of
/// its elements in the cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Elements {
    /// No element seen (only empty lists so far).
    None,
    /// Scalars of this type.
    All(RegTy),
    /// Anything.
    Any,
}

impl Elements {
    fn join(self, other: Elements) -> Elements {
        match (self, other) {
            (Elements::None, x) | (x, Elements::None) => x,
            (Elements::All(a), Elements::All(b)) if a == b => Elements::All(a),
            _ => Elements::Any,
        }
    }

    /// The elements of one value of register type `t`.
    fn of(t: Option<RegTy>) -> Elements {
        match t {
            Some(t @ (RegTy::Int | RegTy::Float | RegTy::Bool)) => Elements::All(t),
            _ => Elements::Any,
        }
    }
}

/// The list registers of `cell` whose elements are scalars of one type in every run:
/// every write of the register builds its list from such scalars (`ListNew`,
/// `RangeList`, `append` of one, a copy of another such register) and every element
/// write stores one. Parameters and anything else (a call's result, a helper's) can
/// hold anything. Computed from the cell alone, so it does not rest on the checker.
fn scalar_lists(cell: &Cell) -> HashMap<Reg, RegTy> {
    let n = cell.regs.len();
    let fixed = (cell.params + cell.captures) as usize;
    let ty = |r: Reg| cell.regs.get(r as usize).copied();
    let mut el: Vec<Elements> = (0..n)
        .map(|r| {
            if r >= fixed && cell.regs[r] == RegTy::List {
                Elements::None
            } else {
                Elements::Any
            }
        })
        .collect();
    // Joins only go up a three-level lattice: a few rounds reach the fixed point.
    loop {
        let before = el.clone();
        for ins in &cell.code {
            let get =
                |el: &[Elements], r: Reg| el.get(r as usize).copied().unwrap_or(Elements::Any);
            let (d, w) = match *ins {
                Instr::ListSet { list, src, .. } => (list, Elements::of(ty(src))),
                Instr::ListNew { dst, args, argc } => (
                    dst,
                    (args..args + argc).fold(Elements::None, |e, a| e.join(Elements::of(ty(a)))),
                ),
                Instr::RangeList { dst, .. } => (dst, Elements::All(RegTy::Int)),
                Instr::Copy { dst, src } | Instr::Move { dst, src } => (dst, get(&el, src)),
                Instr::CallBuiltin {
                    dst,
                    builtin: lumen_core::builtins::Builtin::Append,
                    args,
                    argc: 2,
                } => (dst, get(&el, args).join(Elements::of(ty(args + 1)))),
                // Capacity only: the elements stay.
                Instr::CallBuiltin {
                    dst,
                    builtin:
                        lumen_core::builtins::Builtin::ReserveRange
                        | lumen_core::builtins::Builtin::ReserveRangeInclusive,
                    args,
                    argc: 3,
                } => (dst, get(&el, args)),
                ref other => match other.def() {
                    Some(d) => (d, Elements::Any),
                    None => continue,
                },
            };
            if let Some(e) = el.get_mut(d as usize) {
                *e = e.join(w);
            }
        }
        if el == before {
            break;
        }
    }
    el.into_iter()
        .enumerate()
        .filter_map(|(r, e)| match e {
            Elements::All(t) if cell.regs[r] == RegTy::List => Some((r as Reg, t)),
            _ => None,
        })
        .collect()
}

/// The whole-cell intervals of the Int registers of `cell` (see the module
/// documentation; absent: the full range), as [`Ranges::of`] finds them.
pub fn whole_cell_intervals(cell: &Cell) -> HashMap<Reg, (i64, i64)> {
    global_intervals(cell, &int_registers(cell))
}

/// Per register of `cell`: whether it holds an Int.
fn int_registers(cell: &Cell) -> Vec<bool> {
    cell.regs.iter().map(|&t| t == RegTy::Int).collect()
}

/// Whole-cell intervals (see the module documentation): a few rounds from the full
/// range, each a sound bound given the previous one.
fn global_intervals(cell: &Cell, ints: &[bool]) -> HashMap<Reg, (i64, i64)> {
    let n = cell.regs.len();
    let fixed = (cell.params + cell.captures) as usize;
    let mut cur = vec![FULL; n];
    for _ in 0..3 {
        // Per register: hull of its writes (0 included: an unwritten register reads 0),
        // whether it is incremented, and whether some write is unbounded.
        let mut hull = vec![(0i64, 0i64); n];
        let mut grows = vec![false; n];
        let mut open = vec![false; n];
        for ins in &cell.code {
            let Some(d) = ins.def() else { continue };
            let d = d as usize;
            if d >= n {
                continue;
            }
            let w = match *ins {
                Instr::LoadInt { value, .. } => Some((value, value)),
                Instr::ListLen { .. } => Some((0, MAX_LEN)),
                Instr::IntAddImm { a, value, .. } if a as usize == d && value >= 0 => {
                    grows[d] = true;
                    None
                }
                Instr::Copy { src, .. } | Instr::Move { src, .. }
                    if ints.get(src as usize) == Some(&true) =>
                {
                    cur.get(src as usize).copied()
                }
                _ => {
                    open[d] = true;
                    None
                }
            };
            if let Some((lo, hi)) = w {
                hull[d] = (hull[d].0.min(lo), hull[d].1.max(hi));
            }
        }
        cur = (0..n)
            .map(|r| {
                if r < fixed || open[r] || !ints[r] {
                    FULL
                } else if grows[r] {
                    (hull[r].0, i64::MAX)
                } else {
                    hull[r]
                }
            })
            .collect();
    }
    cur.into_iter()
        .enumerate()
        .filter(|&(_, iv)| iv != FULL)
        .map(|(r, iv)| (r as Reg, iv))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(params: u32, regs: usize, code: Vec<Instr>) -> Cell {
        Cell::new("f", params, vec![RegTy::Int; regs], RegTy::Int, code)
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

    fn safe(r: &Ranges, holds: &[Compare], ins: Instr) -> bool {
        r.interval_after(&Bounds::new(), holds, &ins).is_some()
    }

    fn add(dst: Reg, a: Reg, value: i64) -> Instr {
        Instr::IntAddImm { dst, a, value }
    }

    #[test]
    fn a_taken_branch_bounds_its_block() {
        let c = fib();
        let r = Ranges::of(&c);
        assert_eq!(r.constant(2), Some(2));
        assert_eq!(r.constant(0), None, "a parameter is not a constant");
        assert_eq!(r.float_constant(2), None);
        let holds = r.entry(4);
        assert_eq!(
            holds,
            vec![Compare {
                a: 0,
                op: CmpOp::Ge,
                b: 2
            }]
        );
        assert!(safe(&r, &holds, add(3, 0, -1)));
        assert!(safe(&r, &holds, add(3, 0, -2)));
        assert!(!safe(&r, &holds, add(3, 0, 1)));
        assert!(!safe(&r, &holds, add(3, 1, -1)));
        // Fallthrough: r0 < 2, which bounds r0 + 1 but not r0 - 1.
        let not = r.entry(2);
        assert!(safe(&r, &not, add(3, 0, 1)));
        assert!(!safe(&r, &not, add(3, 0, -1)));
    }

    #[test]
    fn a_second_way_in_drops_the_fact() {
        let mut c = fib();
        // The fallthrough path also jumps into block 4, where nothing is known.
        c.code[3] = Instr::Jump { target: 4 };
        let r = Ranges::of(&c);
        assert_eq!(r.entry(4), vec![]);
    }

    /// for i in 0..n { for j in 0..n { r4 = i + j } }, n = len(list) (r0 holds the
    /// list; registers: 1 n, 2 i, 3 j, 4 sum).
    fn nested_loops() -> Cell {
        let mut c = cell(
            1,
            5,
            vec![
                Instr::ListLen { dst: 1, list: 0 },
                Instr::LoadInt { dst: 2, value: 0 },
                Instr::Jump { target: 9 },
                Instr::LoadInt { dst: 3, value: 0 },
                Instr::Jump { target: 7 },
                Instr::IntAdd { dst: 4, a: 2, b: 3 },
                add(3, 3, 1),
                Instr::JumpIfIntCmp {
                    op: CmpOp::Lt,
                    a: 3,
                    b: 1,
                    target: 5,
                },
                add(2, 2, 1),
                Instr::JumpIfIntCmp {
                    op: CmpOp::Lt,
                    a: 2,
                    b: 1,
                    target: 3,
                },
                Instr::Return { src: 4 },
            ],
        );
        c.regs[0] = RegTy::List;
        c
    }

    #[test]
    fn facts_survive_loops_that_keep_their_operands() {
        let c = nested_loops();
        let r = Ranges::of(&c);
        // In the inner body both i < n and j < n hold; i and j count up from 0; n is a
        // length: i + j cannot overflow, nor can either increment.
        let holds = r.entry(5);
        assert_eq!(holds.len(), 2, "{holds:?}");
        assert!(safe(&r, &holds, Instr::IntAdd { dst: 4, a: 2, b: 3 }));
        assert!(safe(&r, &holds, add(3, 3, 1)));
        assert_eq!(r.interval(&Bounds::new(), &holds, 2), (0, MAX_LEN - 1));
        // A product of two such indices may overflow.
        assert!(!safe(&r, &holds, Instr::IntMul { dst: 4, a: 2, b: 3 }));
        // The outer increment (after the inner loop) still knows i < n.
        assert!(safe(&r, &r.entry(8), add(2, 2, 1)));
    }

    #[test]
    fn a_written_operand_ends_its_facts() {
        let mut c = nested_loops();
        // The inner body now also writes i from a parameter-like unknown.
        c.code[5] = Instr::Copy { dst: 2, src: 0 };
        c.regs[0] = RegTy::Int;
        let r = Ranges::of(&c);
        assert_eq!(r.interval(&Bounds::new(), &r.entry(8), 2), FULL);
        assert!(!safe(&r, &r.entry(8), add(2, 2, 1)));
    }

    #[test]
    fn lists_built_and_written_with_floats_hold_only_floats() {
        // r0 (param, a list) unknown; r2 = [r1, r1] Floats; r3 = r2; r3[r4] = r1;
        // r5 = [] then append(r5, r6 Int); r7 = [r1] then r7[r4] = r8 (a String).
        let mut c = cell(
            1,
            9,
            vec![
                Instr::ListNew {
                    dst: 2,
                    args: 1,
                    argc: 1,
                },
                Instr::Copy { dst: 3, src: 2 },
                Instr::ListSet {
                    list: 3,
                    idx: 4,
                    src: 1,
                },
                Instr::ListNew {
                    dst: 5,
                    args: 0,
                    argc: 0,
                },
                Instr::CallBuiltin {
                    dst: 5,
                    builtin: lumen_core::builtins::Builtin::Append,
                    args: 5,
                    argc: 2,
                },
                Instr::ListNew {
                    dst: 7,
                    args: 1,
                    argc: 1,
                },
                Instr::ListSet {
                    list: 7,
                    idx: 4,
                    src: 8,
                },
                Instr::Return { src: 4 },
            ],
        );
        for r in [0, 2, 3, 5, 7] {
            c.regs[r] = RegTy::List;
        }
        c.regs[1] = RegTy::Float;
        c.regs[6] = RegTy::Int;
        c.regs[8] = RegTy::Str;
        let r = Ranges::of(&c);
        assert_eq!(r.list_elements(0), None, "a parameter");
        assert_eq!(r.list_elements(2), Some(RegTy::Float));
        assert_eq!(r.list_elements(3), Some(RegTy::Float));
        // append(r5, r5 + 1): r6 is an Int.
        assert_eq!(r.list_elements(5), Some(RegTy::Int));
        assert_eq!(r.list_elements(7), None, "a String was stored into it");
    }

    #[test]
    fn remainders_and_quotients_by_constants_are_bounded() {
        // Registers 3, 4 and 5 are written from a parameter: unknown to the cell.
        let c = cell(
            2,
            6,
            vec![
                Instr::LoadInt { dst: 2, value: 7 },
                Instr::Copy { dst: 3, src: 0 },
                Instr::Copy { dst: 4, src: 0 },
                Instr::Copy { dst: 5, src: 0 },
                Instr::Return { src: 0 },
            ],
        );
        let r = Ranges::of(&c);
        let mut bounds = Bounds::new();
        let m = Instr::IntMod { dst: 3, a: 0, b: 2 };
        assert_eq!(r.interval_after(&bounds, &[], &m), Some((-6, 6)));
        // The remainder has the sign of the dividend.
        let mut signed = Bounds::new();
        signed.insert(0, (3, 50));
        assert_eq!(r.interval_after(&signed, &[], &m), Some((0, 6)));
        signed.insert(0, (-50, 0));
        assert_eq!(r.interval_after(&signed, &[], &m), Some((-6, 0)));
        bounds.insert(3, (-6, 6));
        bounds.insert(4, (-2, 2));
        let sum = Instr::IntAdd { dst: 5, a: 3, b: 4 };
        assert_eq!(r.interval_after(&bounds, &[], &sum), Some((-8, 8)));
        let mul = Instr::IntMul { dst: 5, a: 3, b: 4 };
        assert_eq!(r.interval_after(&bounds, &[], &mul), Some((-12, 12)));
        let div = Instr::IntDiv { dst: 5, a: 1, b: 2 };
        assert_eq!(
            r.interval_after(&bounds, &[], &div),
            Some((i64::MIN / 7, i64::MAX / 7))
        );
        // An operand with no known interval (a parameter) bounds nothing.
        let open = Instr::IntAdd { dst: 5, a: 3, b: 1 };
        assert_eq!(r.interval_after(&bounds, &[], &open), None);
        // Near the edges the interval, and so the proof, is refused.
        bounds.insert(1, (0, i64::MAX));
        assert_eq!(r.interval_after(&bounds, &[], &add(5, 1, 1)), None);
        // A divisor whose sign is unknown bounds nothing.
        let m = Instr::IntMod { dst: 5, a: 0, b: 4 };
        assert_eq!(r.interval_after(&bounds, &[], &m), None);
    }
}
