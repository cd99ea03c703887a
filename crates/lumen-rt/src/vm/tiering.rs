//! The VM side of tiering (`crate::tier`): call counters per cell and iteration counters
//! per loop header, asking the tier for code when they run out, and the transfers into
//! native code: calls, and on-stack replacement of a running frame.
//!
//! Counters count down from the threshold, so the check in the interpreter is a compare
//! with zero; a counter whose request the tier declined is parked at [`NEVER`].
//!
//! A hot inner loop whose enclosing loop has come around at least [`DEFER_MIN`] times
//! meanwhile hands its turn to that loop ([`loop_entry`]): the frame then goes native at
//! the outer header at its next visit, a few inner iterations later, and the native code
//! has the whole nest entered at its top, where the code generator keeps facts through
//! the loops (hoisted bounds checks, list facts) and Cranelift sees reducible loops. An
//! entry in the middle of the nest made nbody's tiered run about a quarter slower than
//! its `--tier jit` run.

use super::{Fault, State};
use crate::native::{self, Entry};
use crate::tier::{OsrEntry, Tier, TierStats};
use lumen_core::flow;
use lumen_core::lir::LirModule;
use lumen_core::value::{CellId, Value};

/// Counter value after the tier declined: never counted down again.
const NEVER: u32 = u32::MAX;

/// Iterations of the enclosing loop, counted while an inner loop ran out, from which the
/// inner loop defers to it: the inner loop then ran at most `threshold / DEFER_MIN`
/// times per outer iteration on average, so interpreting on to the outer header costs
/// little.
const DEFER_MIN: u32 = 4;

/// One loop header's counter.
struct Loop {
    cell: CellId,
    /// The header's LIR instruction index.
    pc: u32,
    /// Iterations still interpreted before the loop goes native.
    left: u32,
    /// The compiled OSR entry, once there is one.
    entry: Option<OsrEntry>,
    /// The innermost loop of the same cell around this one (its counter).
    outer: Option<usize>,
}

/// The installed tier and its counters.
pub(crate) struct Tiering {
    tier: Box<dyn Tier>,
    /// Calls of each cell still interpreted before it is compiled.
    calls: Vec<u32>,
    /// Indexed by the `counter` of `Op::LoopHead`.
    loops: Vec<Loop>,
    /// Where counters start.
    threshold: u32,
    pub(crate) stats: TierStats,
}

impl Tiering {
    /// Counters at `threshold` for the cells of `m` and the loop headers `loops` (cell,
    /// pc), in the order of their `LoopHead` counters.
    pub(super) fn new(
        tier: Box<dyn Tier>,
        threshold: u32,
        m: &LirModule,
        loops: Vec<(CellId, u32)>,
    ) -> Tiering {
        let outer = enclosing(m, &loops);
        Tiering {
            tier,
            calls: vec![threshold; m.cells.len()],
            loops: loops
                .into_iter()
                .zip(outer)
                .map(|((cell, pc), outer)| Loop {
                    cell,
                    pc,
                    left: threshold,
                    entry: None,
                    outer,
                })
                .collect(),
            threshold,
            stats: TierStats::default(),
        }
    }
}

/// For each loop header of `loops` (cell, pc; a cell's headers together, in code order):
/// the counter of the innermost other loop of its cell that holds it
/// (`lumen_core::flow::enclosing`). Linear in the cells' code.
fn enclosing(m: &LirModule, loops: &[(CellId, u32)]) -> Vec<Option<usize>> {
    let mut out = vec![None; loops.len()];
    let mut first = 0;
    while first < loops.len() {
        let cell = loops[first].0;
        let n = loops[first..].iter().take_while(|l| l.0 == cell).count();
        let heads = &loops[first..first + n];
        let code = m.cells.get(cell as usize).map_or(&[][..], |c| &c.code[..]);
        let spans = flow::loops(code);
        let counter = |head: u32| {
            (heads.binary_search_by_key(&head, |&(_, h)| h))
                .ok()
                .map(|i| first + i)
        };
        for (span, outer) in spans.iter().zip(flow::enclosing(&spans)) {
            if let (Some(k), Some(o)) = (counter(span.0), outer) {
                out[k] = counter(spans[o].0);
            }
        }
        first += n;
    }
    out
}

/// Counts a call of `cell` and returns the native entry to run it with: the installed
/// one, or one compiled now that the cell is hot. `None`: interpret the call. Out of
/// line, so the interpreter's loop stays as small as without tiering.
#[inline(never)]
pub(super) fn call_entry(m: &LirModule, st: &mut State, cell: CellId) -> Option<Entry> {
    let entry = st.entry(cell);
    let t = st.tiering.as_deref_mut()?;
    if let Some(entry) = entry {
        t.stats.native_calls += 1;
        return Some(entry);
    }
    let left = t.calls.get_mut(cell as usize)?;
    if *left != 0 {
        if *left != NEVER {
            *left -= 1;
        }
        return None;
    }
    compile(m, st, cell)
}

/// Compiles `cell` through the tier and installs its entry.
#[cold]
#[inline(never)]
fn compile(m: &LirModule, st: &mut State, cell: CellId) -> Option<Entry> {
    let State {
        tiering, callees, ..
    } = st;
    let t = tiering.as_deref_mut()?;
    match t.tier.compile(m, cell) {
        Some(entry) => {
            if let Some(callee) = callees.get_mut(cell as usize) {
                callee.entry = Some(entry);
            }
            t.stats.cells_compiled += 1;
            t.stats.native_calls += 1;
            Some(entry)
        }
        None => {
            t.calls[cell as usize] = NEVER;
            t.stats.failures += 1;
            None
        }
    }
}

/// Counts an iteration of loop `counter` and returns the OSR entry to continue in once
/// the loop is hot. `None`: keep interpreting.
#[inline(never)]
pub(super) fn loop_entry(m: &LirModule, st: &mut State, counter: u32) -> Option<OsrEntry> {
    let t = st.tiering.as_deref_mut()?;
    let l = t.loops.get_mut(counter as usize)?;
    if l.left != 0 {
        if l.left != NEVER {
            l.left -= 1;
        }
        return None;
    }
    if l.entry.is_some() {
        return l.entry;
    }
    if defer(t, counter as usize) {
        return None;
    }
    compile_osr(m, t, counter as usize)
}

/// Hands the turn of loop `counter`, which just ran out, to its enclosing loop when
/// that one came around at least [`DEFER_MIN`] times meanwhile and may still be
/// compiled: it runs out at its next header, and this loop counts again (it asks again
/// if the enclosing loop's request is declined).
#[cold]
fn defer(t: &mut Tiering, counter: usize) -> bool {
    let Some(o) = t.loops[counter].outer else {
        return false;
    };
    let outer = &mut t.loops[o];
    let counted = t.threshold.saturating_sub(outer.left);
    if outer.entry.is_some() || outer.left == NEVER || counted < DEFER_MIN {
        return false;
    }
    outer.left = 0;
    t.loops[counter].left = t.threshold;
    t.stats.osr_deferred += 1;
    true
}

/// Compiles the OSR entry of loop `counter` through the tier.
#[cold]
#[inline(never)]
fn compile_osr(m: &LirModule, t: &mut Tiering, counter: usize) -> Option<OsrEntry> {
    let (cell, pc) = (t.loops[counter].cell, t.loops[counter].pc);
    let entry = t.tier.compile_osr(m, cell, pc);
    let l = &mut t.loops[counter];
    l.entry = entry;
    if entry.is_some() {
        t.stats.osr_compiled += 1;
    } else {
        l.left = NEVER;
        t.stats.failures += 1;
    }
    entry
}

/// Calls native `entry` with the arguments in registers `from..from + argc` (moved out)
/// and `captures` (copied), from the interpreter (whose frame has saved its position).
#[inline(never)]
pub(super) fn call_native(
    m: &LirModule,
    st: &mut State,
    entry: Entry,
    from: usize,
    argc: usize,
    captures: &[Value],
) -> Result<Value, Fault> {
    // Moved out of the registers first: the run needs the whole state.
    let mut values = native::EntryValues::take(&mut st.regs[from..from + argc], captures);
    native::run(m, st, entry, values.as_mut_slice())
}

/// Finishes a call of `cell` in native code through OSR `entry`: the frame (already
/// popped) had its registers at `base..base + n` and was the top one; its values move to
/// the native code and its window is released, so the native code runs as if called by
/// the frame below. Returns the cell's result.
#[inline(never)]
pub(super) fn run_osr(
    m: &LirModule,
    st: &mut State,
    entry: OsrEntry,
    cell: CellId,
    base: usize,
    n: usize,
) -> Result<Value, Fault> {
    let mut window: Vec<Value> = st.regs[base..base + n]
        .iter_mut()
        .map(std::mem::take)
        .collect();
    st.top = base;
    if let Some(t) = st.tiering.as_deref_mut() {
        t.stats.osr_entries += 1;
    }
    native::enter_osr(m, st, entry, cell, &mut window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VM;
    use lumen_core::lir::Instr;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// What a [`Declining`] tier was asked.
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Request {
        Cell(CellId),
        Osr(CellId, u32),
    }

    /// A tier that records requests and compiles nothing.
    struct Declining(Rc<RefCell<Vec<Request>>>);

    // SAFETY: it never returns an entry.
    unsafe impl Tier for Declining {
        fn compile(&mut self, _: &LirModule, cell: CellId) -> Option<Entry> {
            self.0.borrow_mut().push(Request::Cell(cell));
            None
        }
        fn compile_osr(&mut self, _: &LirModule, cell: CellId, pc: u32) -> Option<OsrEntry> {
            self.0.borrow_mut().push(Request::Osr(cell, pc));
            None
        }
    }

    /// Runs `src` with a declining tier at `threshold` (or none): output, requests, stats.
    fn run(src: &str, threshold: Option<u32>) -> (String, Vec<Request>, TierStats) {
        let module = lumen_compiler::compile(src).expect("compiles");
        let log = Rc::new(RefCell::new(Vec::new()));
        let out = crate::Captured::default();
        let mut vm = VM::new(module);
        if let Some(t) = threshold {
            vm.set_tier(Box::new(Declining(Rc::clone(&log))), t);
        }
        vm.set_stdout(Box::new(out.clone()));
        vm.run_main().expect("runs");
        let text = out.text();
        let requests = log.borrow().clone();
        (text, requests, vm.stats())
    }

    /// The loop header of `cell`: the target of its backward jump.
    fn header(src: &str, cell: &str) -> u32 {
        let m = lumen_compiler::compile(src).expect("compiles");
        let c = &m.cells[m.find_cell(cell).expect("cell") as usize];
        c.code
            .iter()
            .enumerate()
            .find_map(|(pc, i)| i.jump_target().filter(|&t| t as usize <= pc))
            .expect("a loop")
    }

    const SRC: &str = "\
cell f(x: Int) -> Int
  let mut s = 0
  for i in 0..x
    s += i
  end
  return s
end

cell main()
  let mut t = 0
  for k in 0..10
    t += f(k)
  end
  print(t)
end
";

    #[test]
    fn counters_ask_the_tier_once_at_the_threshold() {
        let (plain, none, stats) = run(SRC, None);
        assert_eq!(plain, "120\n");
        assert!(none.is_empty());
        assert_eq!(stats, TierStats::default());
        let (out, requests, stats) = run(SRC, Some(3));
        assert_eq!(out, plain);
        let (f, main) = (0, 1);
        // `main`'s loop body is reached a 4th time (k = 3) before `f`'s 4th call; `f`'s
        // loop body a 4th time in that call (0 + 1 + 2 iterations before). Declined
        // requests are not repeated.
        assert_eq!(
            requests,
            vec![
                Request::Osr(main, header(SRC, "main")),
                Request::Cell(f),
                Request::Osr(f, header(SRC, "f")),
            ]
        );
        assert_eq!(stats.failures, 3);
        assert_eq!(stats.cells_compiled + stats.osr_compiled, 0);
    }

    /// Every loop header of `cell`, in code order.
    fn headers(src: &str, cell: &str) -> Vec<u32> {
        let m = lumen_compiler::compile(src).expect("compiles");
        let c = &m.cells[m.find_cell(cell).expect("cell") as usize];
        flow::loops(&c.code).iter().map(|&(head, _)| head).collect()
    }

    #[test]
    fn a_short_inner_loop_hands_its_turn_to_the_loop_around_it() {
        let src = "\
cell main()
  let mut t = 0
  for i in 0..50
    for j in 0..2
      t += j
    end
  end
  for i in 0..2
    for j in 0..100
      t += j
    end
  end
  print(t)
end
";
        let (out, requests, stats) = run(src, Some(20));
        assert_eq!(out, "9950\n");
        let [outer1, inner1, _, inner2] = headers(src, "main")[..] else {
            panic!("four loops")
        };
        // The first nest's inner loop runs out after about ten outer iterations: the
        // outer loop asks at its next header. Declined, the inner loop counts again and
        // asks itself. The second nest's inner loop runs out in its first outer
        // iteration: it asks at once.
        assert_eq!(
            requests,
            vec![
                Request::Osr(0, outer1),
                Request::Osr(0, inner1),
                Request::Osr(0, inner2),
            ]
        );
        assert_eq!(stats.osr_deferred, 1);
        // No tier: nothing deferred, the same output.
        assert_eq!(run(src, None).0, out);
    }

    #[test]
    fn threshold_zero_asks_before_the_first_call() {
        let (out, requests, _) = run(SRC, Some(0));
        assert_eq!(out, "120\n");
        assert_eq!(requests.first(), Some(&Request::Cell(1)));
        assert!(requests.contains(&Request::Cell(0)));
    }

    #[test]
    fn only_tiered_code_counts() {
        let m = lumen_compiler::compile(SRC).expect("compiles");
        let f = &m.cells[0];
        let plain = super::super::code::translate(f);
        let mut heads = vec![7];
        let tiered = super::super::code::translate_tiered(f, &mut heads);
        // Counters continue the numbering they are given.
        assert_eq!(heads, vec![7, header(SRC, "f")]);
        let is_head = |op: &super::super::code::Op| {
            matches!(op, super::super::code::Op::LoopHead { counter: 1 })
        };
        assert!(tiered.ops.iter().any(is_head));
        assert!(!plain.ops.iter().any(is_head));
        assert_eq!(tiered.ops.len(), plain.ops.len() + 1);
        assert!(f.code.iter().all(|i| !matches!(i, Instr::Call { .. })));
    }
}
