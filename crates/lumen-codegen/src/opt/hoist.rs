//! Bounds-check hoisting (O1 and up): a list read `xs[i]` whose index is proven to lie in
//! `0..len(xs)` becomes [`Instr::ListGetUnchecked`]. The proof is the loop's own test,
//! checked once per iteration, e.g. in `for x in xs` or `for i in 0..len(xs)`:
//!
//! ```text
//! n = len(xs); i = 0; jump test
//! body: … xs[i] …; i = i + 1
//! test: if i < n jump body
//! ```
//!
//! A forward must-analysis (facts hold on every path) tracks:
//! - `NonNeg(i)`: `i >= 0` (a load of a non-negative constant, `i + k` with `k >= 0`
//!   — checked, so it cannot wrap — or a copy of such a register);
//! - `Len(n, xs)`: `n == len(xs)` (`ListLen`, or the `len` builtin on a copy of `xs`);
//! - `Alias(t, xs)`: `t` is a copy of `xs` (feeds the `len` builtin);
//! - `Lt(i, n)`: `i < n` (from the edges of an Int compare-and-branch);
//! - `Const(n, k)`: `n == k` (a load, or the length of a list of known length);
//! - `LenIs(xs, k)`: `len(xs) == k` (a list literal of `k` elements).
//!
//! Any write to a register, and moving a value out of it, ends every fact that names it.
//! In-place element updates (`xs[j] = v`) keep a list's length, so they keep `Len`.
//! A `Move` hands its source's facts to its destination.
//! A read `xs[i]` is unchecked when `NonNeg(i)` and `Lt(i, n)` hold before it, and
//! either `Len(n, xs)`, or `Const(n, k)` and `LenIs(xs, k')` with `k <= k'` (lists
//! literals of the same size, as in `for i in 0..len(m)` reading `x[i]`).

use super::edit::for_each_moved;
use super::forward::solve;
use lumen_core::builtins::Builtin;
use lumen_core::flow::blocks;
use lumen_core::lir::{Cell, CmpOp, Instr, Reg, TypeTable};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fact {
    NonNeg(Reg),
    Len(Reg, Reg),
    Alias(Reg, Reg),
    Lt(Reg, Reg),
    Const(Reg, i64),
    LenIs(Reg, i64),
}

impl Fact {
    fn mentions(self, r: Reg) -> bool {
        match self {
            Fact::NonNeg(a) | Fact::Const(a, _) | Fact::LenIs(a, _) => a == r,
            Fact::Len(a, b) | Fact::Alias(a, b) | Fact::Lt(a, b) => a == r || b == r,
        }
    }
}

/// A set of facts, kept as a sorted vector: the analysis clones, intersects and filters
/// whole sets at every block and write, which a contiguous vector does several times
/// faster than a B-tree (measured on big generated programs).
#[derive(Clone, Debug, Default, PartialEq)]
struct Facts(Vec<Fact>);

impl Facts {
    fn contains(&self, f: &Fact) -> bool {
        self.0.binary_search(f).is_ok()
    }

    fn insert(&mut self, f: Fact) {
        if let Err(at) = self.0.binary_search(&f) {
            self.0.insert(at, f);
        }
    }

    fn iter(&self) -> std::slice::Iter<'_, Fact> {
        self.0.iter()
    }

    fn retain(&mut self, keep: impl FnMut(&Fact) -> bool) {
        self.0.retain(keep);
    }

    /// The facts in both sets (a merge of the two sorted vectors).
    fn intersection(&self, other: &Facts) -> Facts {
        let (mut a, mut b) = (self.0.iter().peekable(), other.0.iter().peekable());
        let mut out = Vec::with_capacity(self.0.len().min(other.0.len()));
        while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
            match x.cmp(y) {
                std::cmp::Ordering::Less => {
                    a.next();
                }
                std::cmp::Ordering::Greater => {
                    b.next();
                }
                std::cmp::Ordering::Equal => {
                    out.push(**x);
                    a.next();
                    b.next();
                }
            }
        }
        Facts(out)
    }
}

impl Extend<Fact> for Facts {
    fn extend<I: IntoIterator<Item = Fact>>(&mut self, facts: I) {
        for f in facts {
            self.insert(f);
        }
    }
}

/// Marks provably in-bounds list reads of `cell` unchecked; returns how many.
pub fn hoist_bounds_checks(cell: &mut Cell, types: &TypeTable) -> usize {
    // Only list reads are marked: a cell without one has nothing to prove.
    if !cell.code.iter().any(|i| matches!(i, Instr::ListGet { .. })) {
        return 0;
    }
    let blocks = blocks(&cell.code);
    let n = cell.code.len();
    let mut block_of = vec![0usize; n];
    for (b, blk) in blocks.iter().enumerate() {
        block_of[blk.start..blk.end].fill(b);
    }
    let state_in = solve(
        &blocks,
        Facts::default(),
        |b, st| {
            let mut st = st.clone();
            let blk = &blocks[b];
            for ins in &cell.code[blk.start..blk.end] {
                transfer(ins, &mut st, types);
            }
            edges(&cell.code, blk.end, &block_of, st)
        },
        |a, b| a.intersection(b),
    );
    let mut marked = 0;
    for (b, blk) in blocks.iter().enumerate() {
        let Some(mut st) = state_in[b].clone() else {
            continue;
        };
        for i in blk.start..blk.end {
            if let Instr::ListGet { dst, list, idx } = cell.code[i]
                && in_bounds(&st, idx, list)
            {
                cell.code[i] = Instr::ListGetUnchecked { dst, list, idx };
                marked += 1;
            }
            transfer(&cell.code[i], &mut st, types);
        }
    }
    marked
}

/// True when the facts prove `0 <= idx < len(list)`.
fn in_bounds(st: &Facts, idx: Reg, list: Reg) -> bool {
    st.contains(&Fact::NonNeg(idx))
        && st.iter().any(|f| match *f {
            Fact::Lt(i, n) if i == idx => {
                st.contains(&Fact::Len(n, list))
                    || st.iter().any(|c| match *c {
                        Fact::Const(r, k) if r == n => st
                            .iter()
                            .any(|l| matches!(*l, Fact::LenIs(xs, len) if xs == list && k <= len)),
                        _ => false,
                    })
            }
            _ => false,
        })
}

/// `f` with register `from` renamed to `to`.
fn rename(f: Fact, from: Reg, to: Reg) -> Fact {
    let m = |r: Reg| if r == from { to } else { r };
    match f {
        Fact::NonNeg(a) => Fact::NonNeg(m(a)),
        Fact::Len(a, b) => Fact::Len(m(a), m(b)),
        Fact::Alias(a, b) => Fact::Alias(m(a), m(b)),
        Fact::Lt(a, b) => Fact::Lt(m(a), m(b)),
        Fact::Const(a, k) => Fact::Const(m(a), k),
        Fact::LenIs(a, k) => Fact::LenIs(m(a), k),
    }
}

/// The known length of `list`, if any.
fn known_len(st: &Facts, list: Reg) -> Option<i64> {
    st.iter().find_map(|f| match *f {
        Fact::LenIs(xs, k) if xs == list => Some(k),
        _ => None,
    })
}

/// The successor blocks of the block ending before `end`, each with the facts holding
/// on that edge (a compare-and-branch adds what its outcome proves).
fn edges(code: &[Instr], end: usize, block_of: &[usize], st: Facts) -> Vec<(usize, Facts)> {
    let last = &code[end - 1];
    let target = last
        .jump_target()
        .and_then(|t| block_of.get(t as usize).copied());
    let fall = (!last.ends_flow() && end < code.len()).then(|| block_of[end]);
    if target.is_some() && target == fall {
        return vec![(block_of[end], st)];
    }
    let (mut taken, mut not_taken) = (st.clone(), st);
    if let Instr::JumpIfIntCmp { op, a, b, .. } = *last {
        match op {
            // a < b ⇔ b > a; when `a >= b` fails, `a < b`; when `a <= b` fails, `b < a`.
            CmpOp::Lt => {
                taken.insert(Fact::Lt(a, b));
            }
            CmpOp::Gt => {
                taken.insert(Fact::Lt(b, a));
            }
            CmpOp::Ge => {
                not_taken.insert(Fact::Lt(a, b));
            }
            CmpOp::Le => {
                not_taken.insert(Fact::Lt(b, a));
            }
            CmpOp::Eq | CmpOp::Ne => {}
        }
    }
    target
        .map(|t| (t, taken))
        .into_iter()
        .chain(fall.map(|f| (f, not_taken)))
        .collect()
}

fn forget(st: &mut Facts, r: Reg) {
    st.retain(|f| !f.mentions(r));
}

fn transfer(ins: &Instr, st: &mut Facts, types: &TypeTable) {
    // What the instruction establishes, judged on the facts before it.
    let mut gen_ = vec![];
    match *ins {
        Instr::LoadInt { dst, value } => {
            gen_.push(Fact::Const(dst, value));
            if value >= 0 {
                gen_.push(Fact::NonNeg(dst));
            }
        }
        Instr::IntAddImm { dst, a, value } if value >= 0 && st.contains(&Fact::NonNeg(a)) => {
            gen_.push(Fact::NonNeg(dst))
        }
        Instr::Copy { dst, src } if dst != src => {
            if st.contains(&Fact::NonNeg(src)) {
                gen_.push(Fact::NonNeg(dst));
            }
            gen_.push(Fact::Alias(dst, src));
        }
        Instr::ListLen { dst, list } if dst != list => {
            gen_.push(Fact::Len(dst, list));
            if let Some(k) = known_len(st, list) {
                gen_.push(Fact::Const(dst, k));
            }
        }
        Instr::ListNew { dst, argc, .. } => gen_.push(Fact::LenIs(dst, argc as i64)),
        Instr::Move { dst, src } if dst != src => {
            gen_.extend(
                st.iter()
                    .filter(|f| f.mentions(src) && !f.mentions(dst))
                    .map(|f| rename(*f, src, dst)),
            );
        }
        Instr::CallBuiltin {
            dst,
            builtin: Builtin::LenList,
            args,
            argc: 1,
        } => {
            for f in st.iter() {
                if let Fact::Alias(t, xs) = *f
                    && t == args
                    && xs != dst
                {
                    gen_.push(Fact::Len(dst, xs));
                    if let Some(k) = known_len(st, xs) {
                        gen_.push(Fact::Const(dst, k));
                    }
                }
            }
        }
        _ => {}
    }
    for_each_moved(ins, types, |r| forget(st, r));
    match *ins {
        // Element updates keep the length: only the other facts about the list end.
        Instr::ListSet { list, .. } => st.retain(|f| {
            matches!(*f, Fact::Len(_, xs) | Fact::LenIs(xs, _) if xs == list) || !f.mentions(list)
        }),
        _ => {
            if let Some(d) = ins.def() {
                forget(st, d);
            }
        }
    }
    st.extend(gen_);
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::lir::{CellKind, Pos, RegTy};

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

    /// `for x in xs` over parameter r0: r1 = len, r2 = i, r3 = element.
    fn for_in(body: Vec<Instr>) -> Cell {
        use RegTy::*;
        let mut code = vec![
            Instr::ListLen { dst: 1, list: 0 },
            Instr::LoadInt { dst: 2, value: 0 },
            Instr::Jump { target: 0 }, // patched below
            Instr::ListGet {
                dst: 3,
                list: 0,
                idx: 2,
            },
        ];
        code.extend(body);
        code.push(Instr::IntAddImm {
            dst: 2,
            a: 2,
            value: 1,
        });
        let test = code.len() as u32;
        code[2] = Instr::Jump { target: test };
        code.push(Instr::JumpIfIntCmp {
            op: CmpOp::Lt,
            a: 2,
            b: 1,
            target: 3,
        });
        code.push(Instr::Return { src: 1 });
        cell(vec![List, Int, Int, Int, Int, Dyn], code)
    }

    #[test]
    fn for_in_loop_reads_are_unchecked() {
        let mut c = for_in(vec![]);
        assert_eq!(hoist_bounds_checks(&mut c, &TypeTable::default()), 1);
        assert!(matches!(c.code[3], Instr::ListGetUnchecked { .. }));
    }

    #[test]
    fn element_updates_keep_the_proof() {
        let mut c = for_in(vec![Instr::ListSet {
            list: 0,
            idx: 2,
            src: 3,
        }]);
        assert_eq!(hoist_bounds_checks(&mut c, &TypeTable::default()), 1);
    }

    #[test]
    fn reassigning_the_list_or_index_in_the_loop_keeps_the_check() {
        // xs = append(xs, …) in the body: the list changes, the proof is gone.
        let mut c = for_in(vec![
            Instr::Move { dst: 4, src: 0 },
            Instr::CallBuiltin {
                dst: 0,
                builtin: Builtin::Append,
                args: 4,
                argc: 2,
            },
        ]);
        assert_eq!(hoist_bounds_checks(&mut c, &TypeTable::default()), 0);
        // i = i - 1 (may go negative).
        let mut c = for_in(vec![Instr::IntAddImm {
            dst: 2,
            a: 2,
            value: -1,
        }]);
        assert_eq!(hoist_bounds_checks(&mut c, &TypeTable::default()), 0);
    }

    #[test]
    fn a_read_before_the_test_is_not_proven() {
        // xs[0] with no test at all.
        let mut c = cell(
            vec![RegTy::List, RegTy::Int, RegTy::Int],
            vec![
                Instr::LoadInt { dst: 1, value: 0 },
                Instr::ListGet {
                    dst: 2,
                    list: 0,
                    idx: 1,
                },
                Instr::Return { src: 2 },
            ],
        );
        assert_eq!(hoist_bounds_checks(&mut c, &TypeTable::default()), 0);
    }
}
