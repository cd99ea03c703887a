//! Strength reduction of a loop's products: `dst = a * i`, with `a` unchanged in the
//! loop and `i` its counter (stepped by one once an iteration after the product),
//! becomes a running product that the counter's step advances by `a` — an addition
//! instead of a multiplication in each iteration (`loop_sum`'s `i * j`, or the row
//! offset `k * n` of a matrix walked by `k`). A product of two values the loop does not
//! change (the row offset `i * n` in a loop over `k`) is computed once on the way in.
//!
//! Why this is unobservable: native code keeps, beside the running product `p`, a flag
//! telling whether the true product `a * i` is out of the Int range, and the product's
//! instruction raises `integer overflow` exactly when that flag is set — where and when
//! the multiplication would have raised it.
//! - Entering the loop, `p` and the flag are the checked multiplication's result and
//!   overflow (nothing is raised there: the product may never be reached).
//! - The product's instruction runs in every iteration, before the step, on every path
//!   (the conditions of [`reductions`]). So at the step, the flag is clear (else the
//!   product raised) and `p` is the true product; `p + a` is then the true next product
//!   exactly when the checked addition does not overflow, which sets the flag.
//! - A product of values the loop does not change keeps its value and flag throughout:
//!   it needs no step, and may sit anywhere in the loop.
//!
//! The translator (`ir.rs`) keeps `p` and the flag in variables, sets them on every edge
//! entering the loop (also the OSR entry) and advances them after the step.

use lumen_core::lir::{Cell, Instr, Reg, RegTy};
use std::collections::HashMap;

/// A product reduced in the loop `head..=end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reduction {
    /// The loop's first instruction (the target of its backward jumps).
    pub head: u32,
    /// Its last backward jump.
    pub end: u32,
    /// The `IntMul`.
    pub mul: u32,
    /// The counter's step, `IntAddImm i, i, 1`; `None` when the loop changes neither
    /// operand.
    pub step: Option<u32>,
    /// An operand the loop does not change.
    pub factor: Reg,
    /// The other operand: the counter, or (without a step) another value the loop does
    /// not change.
    pub counter: Reg,
}

impl Reduction {
    /// True when an edge from `from` (`None`: the function's start) to `target` enters
    /// the loop.
    pub fn entered_by(&self, from: Option<u32>, target: u32) -> bool {
        let inside = |pc: u32| (self.head..=self.end).contains(&pc);
        inside(target) && !from.is_some_and(inside)
    }
}

/// The products of `cell` that can be reduced: an `IntMul dst, a, i` (either order) in
/// a loop `head..=end` where
/// - `a` is an Int the loop never writes, and the loop writes `i` once, with
///   `IntAddImm i, i, 1` after the product (the step);
/// - from `head` the code runs straight to the product: nothing before it in the loop
///   jumps or ends, and no jump lands on it or between it and `head`;
/// - every jump landing after the product, up to the step, comes from between the
///   two (an `if`, or a loop, that the step is not part of; not a way in from outside
///   or from the step on);
/// - the OSR entry, landing at `landing`, does not enter the loop after `head` up to the
///   step.
///
/// Or an `IntMul dst, a, b` of two Ints the loop never writes, anywhere in it (without a
/// step).
///
/// A product is reduced in one loop at most: the innermost one where it has a step,
/// else the outermost one that writes neither operand.
///
/// `loops` and `jumps` are `lumen_core::flow::loops` and `flow::jumps_by_target` of the
/// cell's code.
pub(crate) fn reductions(
    cell: &Cell,
    loops: &[(u32, u32)],
    jumps: &[(u32, u32)],
    landing: Option<u32>,
) -> Vec<Reduction> {
    let code = &cell.code;
    let int = |r: Reg| cell.regs.get(r as usize) == Some(&RegTy::Int);
    // The jumps landing in `lo..=hi`.
    let landing_in = |lo: u32, hi: u32| {
        let from = jumps.partition_point(|&(t, _)| t < lo);
        jumps[from..].iter().take_while(move |&&(t, _)| t <= hi)
    };
    // Each loop's writes: register → the instructions writing it.
    let writes: Vec<HashMap<Reg, Vec<u32>>> = (loops.iter())
        .map(|&(head, end)| {
            let mut w: HashMap<Reg, Vec<u32>> = HashMap::new();
            for pc in head..=end {
                if let Some(d) = code[pc as usize].def() {
                    w.entry(d).or_default().push(pc);
                }
            }
            w
        })
        .collect();
    let mut found: HashMap<u32, Reduction> = HashMap::new();
    // Innermost loops first: a product is taken by the first loop that qualifies.
    let mut by_size: Vec<usize> = (0..loops.len()).collect();
    by_size.sort_unstable_by_key(|&k| (loops[k].1 - loops[k].0, loops[k].0));
    for k in by_size {
        let ((head, end), writes) = (loops[k], &writes[k]);
        for mul in head..=end {
            if mul > head && landing_in(mul, mul).next().is_some() {
                break; // No longer straight from the head.
            }
            let ins = &code[mul as usize];
            if let Instr::IntMul { a, b, .. } = *ins
                && !found.contains_key(&mul)
            {
                let candidate = [(a, b), (b, a)].into_iter().find_map(|(factor, counter)| {
                    let step = match writes.get(&counter).map(Vec::as_slice) {
                        Some(&[step]) => step,
                        _ => return None,
                    };
                    let steps_by_one = matches!(
                        code[step as usize],
                        Instr::IntAddImm { dst, a, value: 1 } if dst == counter && a == counter
                    );
                    let ok = int(factor)
                        && int(counter)
                        && factor != counter
                        && !writes.contains_key(&factor)
                        && step > mul
                        && steps_by_one
                        && landing_in(mul + 1, step).all(|&(_, s)| mul < s && s < step)
                        && !landing.is_some_and(|l| head < l && l <= step);
                    ok.then_some(Reduction {
                        head,
                        end,
                        mul,
                        step: Some(step),
                        factor,
                        counter,
                    })
                });
                if let Some(r) = candidate {
                    found.insert(mul, r);
                }
            }
            if ins.jump_target().is_some() || ins.ends_flow() {
                break;
            }
        }
    }
    // Products of loop invariants, in the outermost loop that leaves both alone.
    for (&(head, end), writes) in loops.iter().zip(&writes) {
        for mul in head..=end {
            if let Instr::IntMul { a, b, .. } = code[mul as usize]
                && int(a)
                && int(b)
                && !writes.contains_key(&a)
                && !writes.contains_key(&b)
                && !found.contains_key(&mul)
            {
                let r = Reduction {
                    head,
                    end,
                    mul,
                    step: None,
                    factor: a,
                    counter: b,
                };
                found.insert(mul, r);
            }
        }
    }
    let mut found: Vec<Reduction> = found.into_values().collect();
    found.sort_unstable_by_key(|r| r.mul);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::lir::LirModule;

    use lumen_core::flow;

    fn module(src: &str) -> LirModule {
        lumen_compiler::compile(src).expect("test program compiles")
    }

    /// The reductions of cell `name`, the OSR entry landing at `landing`.
    fn of(m: &LirModule, name: &str, landing: Option<u32>) -> Vec<Reduction> {
        let cell = &m.cells[m.find_cell(name).unwrap() as usize];
        let (loops, jumps) = (flow::loops(&cell.code), flow::jumps_by_target(&cell.code));
        reductions(cell, &loops, &jumps, landing)
    }

    #[test]
    fn a_counter_times_a_loop_constant_is_reduced_in_the_innermost_loop() {
        let m = module(
            "cell f(n: Int) -> Int\n  let mut s = 0\n  for i in 0..n\n    for j in 0..n\n      \
             s += (i * j) % 7 + (j * i) % 3\n    end\n  end\n  s\nend\ncell main()\nend\n",
        );
        let r = of(&m, "f", None);
        assert_eq!(r.len(), 2, "{r:?}");
        let cell = &m.cells[m.find_cell("f").unwrap() as usize];
        for red in &r {
            assert!(matches!(cell.code[red.mul as usize], Instr::IntMul { .. }));
            let step = red.step.expect("a counter's product");
            assert!(matches!(
                cell.code[step as usize],
                Instr::IntAddImm { value: 1, .. }
            ));
            assert_eq!(r[0].counter, red.counter, "j in both");
            assert_eq!(r[0].factor, red.factor, "i in both");
            assert!(red.head <= red.mul && red.mul < step && step <= red.end);
        }
        // Entered from before the inner loop, not from inside it.
        let red = r[0];
        assert!(red.entered_by(Some(red.head - 1), red.end));
        assert!(red.entered_by(None, red.head));
        assert!(!red.entered_by(Some(red.end), red.head));
    }

    #[test]
    fn a_product_skipped_or_repeated_in_an_iteration_is_not_reduced() {
        // Behind a condition: not run in every iteration.
        let m = module(
            "cell f(n: Int, k: Int) -> Int\n  let mut s = 0\n  for j in 0..n\n    if j > 2\n      \
             s += k * j\n    end\n  end\n  s\nend\ncell main()\nend\n",
        );
        assert_eq!(of(&m, "f", None), vec![]);
        // The factor changes in the loop.
        let m = module(
            "cell f(n: Int) -> Int\n  let mut s = 0\n  let mut k = 1\n  for j in 0..n\n    \
             s += k * j\n    k += 1\n  end\n  s\nend\ncell main()\nend\n",
        );
        assert_eq!(of(&m, "f", None), vec![]);
        // The counter is written twice, or stepped by two.
        let m = module(
            "cell f(n: Int, k: Int) -> Int\n  let mut s = 0\n  let mut j = 0\n  while j < n\n    \
             s += k * j\n    j += 1\n    if s > 100\n      j += 1\n    end\n  end\n  s\nend\n\
             cell g(n: Int, k: Int) -> Int\n  let mut s = 0\n  let mut j = 0\n  while j < n\n    \
             s += k * j\n    j += 2\n  end\n  s\nend\ncell main()\nend\n",
        );
        assert_eq!(of(&m, "f", None), vec![]);
        assert_eq!(of(&m, "g", None), vec![]);
        // A loop between the product and the step could run the step's block again.
        let m = module(
            "cell f(n: Int, k: Int) -> Int\n  let mut s = 0\n  let mut j = 0\n  while j < n\n    \
             s += k * j\n    while s % 3 != 0\n      s += 1\n    end\n    j += 1\n  end\n  s\nend\n\
             cell main()\nend\n",
        );
        let r = of(&m, "f", None);
        assert_eq!(r.len(), 1, "the step is not in the inner loop: {r:?}");
        // A loop around the step (and the product): the outer one's counter is stepped
        // inside the inner loop, which runs the step more than once an iteration.
        let m = module(
            "cell f(n: Int, k: Int) -> Int\n  let mut s = 0\n  let mut j = 0\n  while j < n\n    \
             s += k * j\n    while s % 3 != 0\n      s += 1\n      j += 1\n    end\n  end\n  s\nend\n\
             cell main()\nend\n",
        );
        assert_eq!(of(&m, "f", None), vec![]);
    }

    #[test]
    fn a_product_of_values_a_loop_leaves_alone_is_computed_on_the_way_into_the_outermost() {
        // `i * n` in the loops over j and k: reduced in j's (which writes neither), with
        // no step, even behind a condition; `k * n` steps with k in the innermost loop.
        let m = module(
            "cell f(n: Int) -> Int\n  let mut s = 0\n  for i in 0..n\n    for j in 0..n\n      \
             for k in 0..n\n        s = (s + k * n) % 7\n        if s > 3\n          \
             s = (s + i * n) % 7\n        end\n      end\n    end\n  end\n  s\nend\n\
             cell main()\nend\n",
        );
        let r = of(&m, "f", None);
        assert_eq!(r.len(), 2, "{r:?}");
        let (stepped, fixed) = (r[0], r[1]);
        assert!(stepped.step.is_some() && fixed.step.is_none());
        assert!(
            fixed.head < stepped.head && stepped.end < fixed.end,
            "j's loop holds k's"
        );
        // The outermost loop writes i: not there.
        let outer = flow::loops(&m.cells[0].code)[0];
        assert!(outer.0 < fixed.head, "{outer:?} {fixed:?}");
        // An OSR entry anywhere keeps it (no step to reach).
        let landed = of(&m, "f", Some(fixed.mul));
        assert_eq!(
            landed,
            vec![fixed],
            "k's product lands past its head: not reduced"
        );
    }

    #[test]
    fn an_osr_entry_past_the_head_up_to_the_step_prevents_the_reduction() {
        let m = module(
            "cell f(n: Int, k: Int) -> Int\n  let mut s = 0\n  for j in 0..n\n    s += k * j\n  \
             end\n  s\nend\ncell main()\nend\n",
        );
        let r = of(&m, "f", None);
        assert_eq!(r.len(), 1);
        let red = r[0];
        assert_eq!(of(&m, "f", Some(red.head)), r, "landing on the head");
        assert_eq!(of(&m, "f", Some(red.end)), r, "landing on the condition");
        assert_eq!(of(&m, "f", Some(red.step.unwrap())), vec![]);
        assert_eq!(of(&m, "f", Some(red.mul + 1)), vec![]);
    }
}
