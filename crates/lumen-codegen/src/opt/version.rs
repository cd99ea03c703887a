//! Loop versioning on bounds (O1 and up): an inner counting loop whose bound is only
//! known at run time runs in one of two copies, chosen on the way in by comparing the
//! bound with [`LIMIT`]:
//!
//! ```text
//! k = 2^30; if n > k jump slow          (one compare per bound)
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
//! small ones ([`MAX_LOOP`]) doing Int sums or products, are versioned: the guard runs
//! once per entry, the code grows by one copy of a small loop. The bounds guarded are
//! the loop's own and those of the loops around it (`i < n` of an outer loop bounds
//! `i` inside too), when the inner loop does not write them.

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
    // Last first: a version moves only the code after its loop.
    for plan in plans.iter().rev() {
        apply(cell, plan);
    }
    plans.len()
}

/// The loops of `cell` worth versioning, in code order (disjoint: innermost loops).
fn plans(cell: &Cell) -> Vec<Plan> {
    let code = &cell.code;
    let loops = flow::loops(code);
    let jumps = flow::jumps_by_target(code);
    let mut out = Vec::new();
    for (k, &(head, back)) in loops.iter().enumerate() {
        let (head, back) = (head as usize, back as usize);
        let inner = !loops
            .iter()
            .enumerate()
            .any(|(j, &(h, b))| j != k && head <= h as usize && b as usize <= back);
        if !inner || head == 0 || back + 1 - head >= MAX_LOOP {
            continue;
        }
        let entry = head - 1;
        let for_shape = matches!(code[entry], Instr::Jump { target } if (head..=back).contains(&(target as usize)));
        if !for_shape || counted(&code[back]).is_none() {
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
        // The bounds of this loop and of every loop around it that this one leaves
        // alone, with their counters.
        let written: Vec<Reg> = body.iter().filter_map(Instr::def).collect();
        let mut guarded: Vec<(Reg, Reg)> = loops
            .iter()
            .filter(|&&(h, b)| h as usize <= head && back <= b as usize)
            .filter_map(|&(_, b)| counted(&code[b as usize]))
            .filter(|&(i, n)| counts_up(cell, i) && cell.regs.get(n as usize) == Some(&RegTy::Int))
            .filter(|&(_, n)| !written.contains(&n) && !constant(cell, n))
            .collect();
        // Worth it only when the loop adds, subtracts or multiplies counters (or copies
        // of them, an inlined cell's parameters) and literals: what the bound lets the
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
                    if [a, b]
                        .iter()
                        .all(|r| counters.contains(r) || constant(cell, *r)) =>
                {
                    gains = true
                }
                _ => {}
            }
        }
        if !gains {
            continue;
        }
        let mut bounds: Vec<Reg> = guarded.drain(..).map(|(_, n)| n).collect();
        bounds.sort_unstable();
        bounds.dedup();
        if !bounds.is_empty() {
            out.push(Plan {
                entry,
                back,
                bounds,
            });
        }
    }
    out
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

/// True when every write of `r` in `cell` is a literal `>= 0` or an increment of `r`
/// by a literal `>= 0`: a counter that is never negative, so that a bound above it
/// bounds it on both sides (a loop from `lo` unknown gains nothing from a version).
fn counts_up(cell: &Cell, r: Reg) -> bool {
    cell.code.iter().all(|i| match *i {
        Instr::LoadInt { dst, value } if dst == r => value >= 0,
        Instr::IntAddImm { dst, a, value } if dst == r => a == r && value >= 0,
        ref other => other.def() != Some(r),
    })
}

/// True when `r` is written once in `cell`, by an Int literal (already bounded).
fn constant(cell: &Cell, r: Reg) -> bool {
    let mut writes = cell.code.iter().filter(|i| i.def() == Some(r));
    matches!(
        (writes.next(), writes.next()),
        (Some(Instr::LoadInt { .. }), None)
    )
}

/// Rewrites `cell` with `plan`'s loop versioned (layout in the module doc).
fn apply(cell: &mut Cell, plan: &Plan) {
    let Plan {
        entry: e,
        back: b,
        ref bounds,
    } = *plan;
    let len = b + 1 - e;
    let guards = 1 + bounds.len();
    let fast = e + guards;
    let slow = fast + len + 1;
    let after = slow + len;
    let shift = after - (b + 1);
    // Where a jump to old `t` goes from code outside the loop.
    let outside = |t: usize| if t > b { t + shift } else { t };
    let limit = cell.regs.len() as Reg;
    cell.regs.push(RegTy::Int);

    let mut code = Vec::with_capacity(cell.code.len() + shift);
    let mut from = Vec::with_capacity(code.capacity());
    code.push(Instr::LoadInt {
        dst: limit,
        value: LIMIT,
    });
    from.push(e);
    for &n in bounds {
        code.push(Instr::JumpIfIntCmp {
            op: CmpOp::Gt,
            a: n,
            b: limit,
            target: slow as u32,
        });
        from.push(e);
    }
    for base in [fast, slow] {
        for pc in e..=b {
            let mut ins = cell.code[pc].clone();
            if let Some(t) = ins.jump_target_mut() {
                let old = *t as usize;
                *t = if (e..=b).contains(&old) {
                    base + (old - e)
                } else {
                    outside(old)
                } as u32;
            }
            code.push(ins);
            from.push(pc);
        }
        if base == fast {
            code.push(Instr::Jump {
                target: after as u32,
            });
            from.push(b);
        }
    }
    let mut whole = Vec::with_capacity(cell.code.len() + shift);
    let mut whole_from = Vec::with_capacity(whole.capacity());
    for (pc, ins) in cell.code[..e].iter().enumerate() {
        whole.push(retarget(ins, outside));
        whole_from.push(pc);
    }
    whole.extend(code);
    whole_from.extend(from);
    for (pc, ins) in cell.code.iter().enumerate().skip(b + 1) {
        whole.push(retarget(ins, outside));
        whole_from.push(pc);
    }
    cell.pos = whole_from.iter().map(|&pc| cell.pos[pc]).collect();
    if !cell.inlined.at.is_empty() {
        cell.inlined.at = whole_from.iter().map(|&pc| cell.inlined.at[pc]).collect();
    }
    cell.code = whole;
}

/// `ins` with its jump target `t` replaced by `to(t)`.
fn retarget(ins: &Instr, to: impl Fn(usize) -> usize) -> Instr {
    let mut ins = ins.clone();
    if let Some(t) = ins.jump_target_mut() {
        *t = to(*t as usize) as u32;
    }
    ins
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
        // One bound (`n`, of both loops): a literal and a compare, then the fast copy,
        // a jump past the slow copy, and the slow copy in the loop's old place.
        let len = plan.back + 1 - plan.entry;
        assert_eq!(plan.bounds.len(), 1);
        assert_eq!(cell.code.len(), before.len() + 2 + len + 1);
        assert_eq!(cell.pos.len(), cell.code.len());
        let e = plan.entry;
        assert!(matches!(cell.code[e], Instr::LoadInt { value: LIMIT, .. }));
        let slow = (e + 2 + len + 1) as u32;
        assert!(matches!(
            cell.code[e + 1],
            Instr::JumpIfIntCmp { op: CmpOp::Gt, a, target, .. } if a == plan.bounds[0] && target == slow
        ));
        assert_eq!(
            cell.code[e + 2 + len],
            Instr::Jump {
                target: slow + len as u32
            }
        );
        // Both copies jump within themselves; the code after them moved by the guard
        // and one copy.
        for k in 0..len {
            let fast = &cell.code[e + 2 + k];
            let old = &before[e + k];
            let moved = |base: usize| {
                old.jump_target().map(|t| {
                    if (e..e + len).contains(&(t as usize)) {
                        (base + t as usize - e) as u32
                    } else {
                        t
                    }
                })
            };
            assert_eq!(fast.jump_target(), moved(e + 2), "{k}");
            assert_eq!(
                cell.code[slow as usize + k].jump_target(),
                moved(slow as usize),
                "{k}"
            );
        }
        assert_eq!(&cell.code[slow as usize + len..], &before[e + len..]);
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
