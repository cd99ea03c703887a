//! Loop versioning on bounds (O1 and up): an inner counting loop whose bound is only
//! known at run time runs in one of two copies, chosen on the way in by comparing the
//! bound with [`LIMIT`]:
//!
//! ```text
//! k = 2^30                              (once, at the cell's start)
//! …
//! if n > k jump slow                    (one compare per bound)
//! fast: the loop, unchanged             (here n <= 2^30 holds)
//!       jump after
//! slow: the loop, unchanged
//! after: …
//! ```
//!
//! The copies are the same code. What differs is what the translator can prove in the
//! fast one (`ranges.rs`): counters counting up from 0 below `n` are below 2^30 there,
//! so sums and products of two of them cannot overflow and keep no check — `i * j`,
//! `i + j`, `(i + j) * (i + j + 1)`. A loop past the limit (2^30 iterations at least,
//! or one leaving early) runs the slow copy, with every check, so every program raises
//! `integer overflow` exactly where it did.
//!
//! Only innermost loops of the `for` shape (an entry jump to the test at the bottom),
//! small ones ([`MAX_LOOP`]) doing Int sums or products of their counters, are
//! versioned: the guard runs once per entry, the code grows by one copy of a small
//! loop, and no cell grows past `jit::HUGE_CELL` instructions (what the JIT still
//! compiles for speed). The bounds guarded are the loop's own and those of the loops
//! around it (`i < n` of an outer loop bounds `i` inside too), when the inner loop does
//! not write them.

use crate::ranges::whole_cell_intervals;
use lumen_core::flow;
use lumen_core::lir::{Cell, CmpOp, Instr, Reg, RegTy};

/// The bound below which the fast copy runs: counters up to it keep their pairwise
/// sums below 2^31 and the product of two such sums below 2^62.
pub const LIMIT: i64 = 1 << 30;

/// The most instructions (entry jump to test) a loop may have to be copied.
pub const MAX_LOOP: usize = 120;

/// A loop to version: its entry jump `entry` to its bottom test `back`, and the
/// registers its fast copy bounds.
struct Plan {
    entry: usize,
    back: usize,
    bounds: Vec<Reg>,
}

/// Versions the innermost counting loops of `cell` (see the module doc); returns how
/// many.
pub fn version_loops(cell: &mut Cell) -> usize {
    let plans = plans(cell);
    if plans.is_empty() {
        return 0;
    }
    // One register holds the limit for every guard: the guards' facts are then one
    // fact (`n <= limit`), not one per loop, which the translator's range queries
    // would each go through.
    let limit = cell.regs.len() as Reg;
    cell.regs.push(RegTy::Int);
    apply(cell, &plans, limit);
    plans.len()
}

/// The loops of `cell` worth versioning, in code order and disjoint (innermost loops).
/// Linear in the cell (with the loops' nesting depth): generated cells have thousands
/// of loops.
fn plans(cell: &Cell) -> Vec<Plan> {
    let code = &cell.code;
    let loops = flow::loops(code);
    let outer = flow::enclosing(&loops);
    let mut has_inner = vec![false; loops.len()];
    for &o in outer.iter().flatten() {
        has_inner[o] = true;
    }
    // What the cell's writes alone bound (the translator's whole-cell intervals): a
    // counter counting up from a literal is never negative, a literal is bounded.
    let whole = whole_cell_intervals(cell);
    let interval = |r: Reg| whole.get(&r).copied();
    let counts_up = |r: Reg| interval(r).is_some_and(|(lo, _)| lo >= 0);
    let small = |r: Reg| interval(r).is_some_and(|(lo, hi)| lo >= -LIMIT && hi <= LIMIT);
    let jumps = flow::jumps_by_target(code);
    // Versions stop where the cell would grow past what the JIT compiles for speed:
    // bigger cells are generated code, compiled quickly (`jit::HUGE_CELL`).
    // (One instruction more loads the limit.)
    let mut room = crate::jit::HUGE_CELL.saturating_sub(code.len() + 1);
    let mut out: Vec<Plan> = Vec::new();
    for (k, &(head, back)) in loops.iter().enumerate() {
        let (head, back) = (head as usize, back as usize);
        if has_inner[k] || head == 0 || back + 1 - head >= MAX_LOOP {
            continue;
        }
        let entry = head - 1;
        let for_shape = matches!(code[entry], Instr::Jump { target } if (head..=back).contains(&(target as usize)));
        // (Disjoint from the last plan, also in code that does not nest.)
        let after_last = out.last().is_none_or(|p| p.back < entry);
        if !for_shape || !after_last || counted(&code[back]).is_none() {
            continue;
        }
        // Nothing outside jumps into the loop past its entry.
        let lo = jumps.partition_point(|&(t, _)| (t as usize) <= entry);
        let hi = jumps.partition_point(|&(t, _)| (t as usize) <= back);
        if jumps[lo..hi]
            .iter()
            .any(|&(_, src)| !(entry..=back).contains(&(src as usize)))
        {
            continue;
        }
        let body = &code[entry..=back];
        // The bounds of this loop and of every loop around it, with their counters,
        // when the counter counts up and this loop leaves the bound alone (a bound
        // already small, a literal say, needs no guard).
        let written: Vec<Reg> = body.iter().filter_map(Instr::def).collect();
        let mut around = vec![back];
        let mut o = outer[k];
        while let Some(j) = o {
            let (h, b) = loops[j];
            if (h as usize) <= head && back <= b as usize {
                around.push(b as usize);
            }
            o = outer[j];
        }
        let guarded: Vec<(Reg, Reg)> = around
            .iter()
            .filter_map(|&b| counted(&code[b]))
            .filter(|&(i, n)| {
                counts_up(i)
                    && cell.regs.get(n as usize) == Some(&RegTy::Int)
                    && !written.contains(&n)
                    && !small(n)
            })
            .collect();
        // Worth it only when the loop adds, subtracts or multiplies counters (or copies
        // of them, an inlined cell's parameters) and small Ints: what the bound lets the
        // translator prove (`k - i` with `k` unknown stays checked either way).
        let mut counters: Vec<Reg> = guarded.iter().map(|&(i, _)| i).collect();
        let mut gains = false;
        for ins in body {
            match *ins {
                Instr::Copy { dst, src } | Instr::Move { dst, src } if counters.contains(&src) => {
                    counters.push(dst)
                }
                Instr::IntMul { a, b, .. }
                | Instr::IntAdd { a, b, .. }
                | Instr::IntSub { a, b, .. }
                    if [a, b].iter().all(|r| counters.contains(r) || small(*r)) =>
                {
                    gains = true
                }
                _ => {}
            }
        }
        let mut bounds: Vec<Reg> = guarded.into_iter().map(|(_, n)| n).collect();
        bounds.sort_unstable();
        bounds.dedup();
        let extra = extra_of(bounds.len(), body.len());
        if gains && !bounds.is_empty() && extra <= room {
            room -= extra;
            out.push(Plan {
                entry,
                back,
                bounds,
            });
        }
    }
    out
}

/// The instructions a version of a loop of `len` instructions with `bounds` bounds
/// adds: the guard's compares, one copy, and the jump past the other copy.
fn extra_of(bounds: usize, len: usize) -> usize {
    bounds + len + 1
}

/// The counter `i` and bound `n` of a loop test that continues while the counter is
/// below the bound (`i < n`, `i <= n`, `n > i`, `n >= i`).
fn counted(test: &Instr) -> Option<(Reg, Reg)> {
    match *test {
        Instr::JumpIfIntCmp { op, a, b, .. } => match op {
            CmpOp::Lt | CmpOp::Le => Some((a, b)),
            CmpOp::Gt | CmpOp::Ge => Some((b, a)),
            CmpOp::Eq | CmpOp::Ne => None,
        },
        _ => None,
    }
}

/// Rewrites `cell` with the loops of `plans` (in code order, disjoint) versioned, the
/// guards comparing with register `limit`, loaded first (layout in the module doc). One pass over the
/// code, however many loops.
fn apply(cell: &mut Cell, plans: &[Plan], limit: Reg) {
    let extra = |p: &Plan| extra_of(p.bounds.len(), p.back + 1 - p.entry);
    // `added[k]`: the instructions the limit's load and the first `k` versions add.
    let added: Vec<usize> = std::iter::once(1)
        .chain(plans.iter().scan(0, |sum, p| {
            *sum += extra(p);
            Some(1 + *sum)
        }))
        .collect();
    // Where code outside the copies goes: moved by the versions of the loops before it
    // (a loop's entry is its guard).
    let moved = |t: usize| t + added[plans.partition_point(|p| p.back < t)];
    // Each new instruction with the old one it comes from (its position and frame).
    let mut out: Vec<(Instr, usize)> = Vec::with_capacity(cell.code.len() + added[plans.len()]);
    let copy = |out: &mut Vec<(Instr, usize)>, pc: usize, to: &dyn Fn(usize) -> usize| {
        let mut ins = cell.code[pc].clone();
        if let Some(t) = ins.jump_target_mut() {
            *t = to(*t as usize) as u32;
        }
        out.push((ins, pc));
    };
    // The limit, loaded once on the way in (where the translator sees a constant).
    let load = Instr::LoadInt {
        dst: limit,
        value: LIMIT,
    };
    out.push((load, 0));
    let mut pc = 0;
    for p in plans {
        while pc < p.entry {
            copy(&mut out, pc, &moved);
            pc += 1;
        }
        let (e, b) = (p.entry, p.back);
        let len = b + 1 - e;
        let fast = out.len() + p.bounds.len();
        let slow = fast + len + 1;
        for &n in &p.bounds {
            let guard = Instr::JumpIfIntCmp {
                op: CmpOp::Gt,
                a: n,
                b: limit,
                target: slow as u32,
            };
            out.push((guard, e));
        }
        for base in [fast, slow] {
            let within = |t: usize| {
                if (e..=b).contains(&t) {
                    base + (t - e)
                } else {
                    moved(t)
                }
            };
            for q in e..=b {
                copy(&mut out, q, &within);
            }
            if base == fast {
                let past = moved(b + 1) as u32;
                out.push((Instr::Jump { target: past }, b));
            }
        }
        pc = b + 1;
    }
    while pc < cell.code.len() {
        copy(&mut out, pc, &moved);
        pc += 1;
    }
    let (code, from): (Vec<Instr>, Vec<usize>) = out.into_iter().unzip();
    cell.pos = from.iter().map(|&pc| cell.pos[pc]).collect();
    if !cell.inlined.at.is_empty() {
        cell.inlined.at = from.iter().map(|&pc| cell.inlined.at[pc]).collect();
    }
    cell.code = code;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn main_of(src: &str) -> Cell {
        let m = lumen_compiler::compile(src).expect("compiles");
        m.cells[m.main.expect("main") as usize].clone()
    }

    const NESTED: &str = "cell main()\n  let n = to_int(args()[0]) ?? 3\n  let mut s = 0\n  \
                          for i in 0..n\n    for j in 0..n\n      s += i * j + (i + j) % 3\n    \
                          end\n  end\n  print(s)\nend\n";

    #[test]
    fn an_inner_loop_gets_a_guarded_copy() {
        let mut m = lumen_compiler::compile(NESTED).expect("compiles");
        let main = m.main.expect("main") as usize;
        let before = m.cells[main].code.clone();
        let plan = plans(&m.cells[main]).pop().expect("a plan");
        assert_eq!(version_loops(&mut m.cells[main]), 1);
        lumen_core::verify::verify(&m).expect("still valid");
        let cell = &m.cells[main];
        // The limit loaded once at the start; one bound (`n`, of both loops): a compare,
        // then the fast copy, a jump past the slow copy, and the slow copy.
        let (e, len) = (plan.entry, plan.back + 1 - plan.entry);
        assert_eq!(plan.bounds.len(), 1);
        assert_eq!(cell.code.len(), before.len() + 1 + 1 + len + 1);
        assert_eq!(cell.pos.len(), cell.code.len());
        let limit = match cell.code[0] {
            Instr::LoadInt { dst, value: LIMIT } => dst,
            ref other => panic!("{other:?}"),
        };
        let (guard, fast, slow) = (e + 1, e + 2, e + 2 + len + 1);
        // Where an old jump target outside the loop went.
        let outside = |t: usize| if t < e { t + 1 } else { t + 1 + len + 2 };
        assert!(matches!(
            cell.code[guard],
            Instr::JumpIfIntCmp { op: CmpOp::Gt, a, b, target }
                if a == plan.bounds[0] && b == limit && target as usize == slow
        ));
        assert_eq!(
            cell.code[fast + len],
            Instr::Jump {
                target: outside(e + len) as u32
            }
        );
        // Both copies jump within themselves; the code around them moved.
        let moved = |old: &Instr, base: usize| {
            old.jump_target().map(|t| {
                let t = t as usize;
                (if (e..e + len).contains(&t) {
                    base + t - e
                } else {
                    outside(t)
                }) as u32
            })
        };
        for k in 0..len {
            assert_eq!(
                cell.code[fast + k].jump_target(),
                moved(&before[e + k], fast),
                "{k}"
            );
            assert_eq!(
                cell.code[slow + k].jump_target(),
                moved(&before[e + k], slow),
                "{k}"
            );
        }
        for (k, old) in before.iter().enumerate() {
            if (e..e + len).contains(&k) {
                continue;
            }
            let new = &cell.code[outside(k)];
            assert_eq!(
                new.jump_target(),
                old.jump_target().map(|t| outside(t as usize) as u32)
            );
            assert_eq!(
                std::mem::discriminant(new),
                std::mem::discriminant(old),
                "{k}"
            );
        }
    }

    #[test]
    fn versions_stop_before_the_cell_outgrows_fast_compilation() {
        let mut src =
            String::from("cell main()\n  let n = to_int(args()[0]) ?? 3\n  let mut s = 0\n");
        for k in 0..150 {
            src.push_str(&format!(
                "  for i{k} in 0..n\n    s = (s + i{k} * i{k}) % 1009\n  end\n"
            ));
        }
        src.push_str("  print(s)\nend\n");
        let mut cell = main_of(&src);
        let before = cell.code.len();
        assert!(before < crate::jit::HUGE_CELL, "{before}");
        let versioned = version_loops(&mut cell);
        assert!(versioned > 0 && versioned < 150, "{versioned}");
        assert!(
            cell.code.len() <= crate::jit::HUGE_CELL,
            "{}",
            cell.code.len()
        );
    }

    #[test]
    fn loops_without_provable_arithmetic_constant_bounds_and_big_loops_stay() {
        let constant = "cell main()\n  let mut s = 0\n  for i in 0..10\n    s += i * i\n  end\n  print(s)\nend\n";
        let plain = "cell main()\n  let n = to_int(args()[0]) ?? 3\n  let mut s = 0\n  \
                     for i in 0..n\n    s = i\n  end\n  print(s)\nend\n";
        let mut big = String::from(
            "cell main()\n  let n = to_int(args()[0]) ?? 3\n  let mut s = 0\n  for i in 0..n\n",
        );
        for _ in 0..MAX_LOOP {
            big.push_str("    s = s % 1000 + i * i\n");
        }
        big.push_str("  end\n  print(s)\nend\n");
        // `k - i` and `s * i` stay checked whatever bounds `i`; a counter from `lo`
        // (unknown) has no lower bound.
        let unbounded = "cell main()\n  let n = to_int(args()[0]) ?? 3\n  let k = n * n\n  \
                         let mut s = 1\n  for i in 0..n\n    s = s * i + (k - i)\n  end\n  \
                         for i in k..n\n    s += i * i\n  end\n  print(s)\nend\n";
        for src in [constant, plain, unbounded, big.as_str()] {
            let mut cell = main_of(src);
            let before = cell.code.clone();
            assert_eq!(version_loops(&mut cell), 0, "{src}");
            assert_eq!(cell.code, before);
        }
    }
}
