//! Inlining of small leaf cells (O1: tiny ones, O3: small ones): a `Call` of a cell
//! whose body is short, loop-free
//! and makes no call (builtins that cannot call back excepted) is replaced by the
//! callee's body, with the callee's registers appended to the caller's and each `Return`
//! turned into a move to the call's destination and a jump past the body.
//!
//! Why this is unobservable:
//! - Stack traces: every inlined instruction is marked with its inline site
//!   (`Cell::inlined`: the callee's name and the call's position), so an error raised
//!   in the body shows the callee's frame at the failing line, then the caller's at the
//!   call — the frames the call would have shown ([`lumen_core::lir::Cell::frames_at`]).
//! - Call depth (10,000 active calls, §7): the callee is a leaf, so inlining removes one
//!   frame that existed only while the callee ran and never holds another call. The only
//!   call that could behave differently is the inlined one itself, which would raise
//!   `stack overflow` when its caller runs at depth 10,000. So a call is inlined only
//!   when the call graph bounds its caller's depth below that: the caller is not on or
//!   below a cycle of the call graph (recursion, also through function values) and its
//!   longest call chain from any entry is shorter than the limit.

use super::edit::cannot_fail;
use lumen_core::flow::Liveness;
use lumen_core::lir::{Cell, CellKind, InlineSite, Instr, LirModule, TypeTable};
use lumen_core::value::Value;
use lumen_rt::vm::MAX_CALLS;

/// Callees longer than this are not inlined at O3.
pub const MAX_INLINE_LEN: usize = 30;

/// Callees longer than this are not inlined at O1 and O2: a leaf this short (an
/// arithmetic formula, a field read) costs more to call than to run, and splicing it
/// adds less code than the call sequence it replaces.
pub const MAX_TINY_LEN: usize = 16;

/// Inlines calls of leaf cells of at most `max_len` instructions in every cell whose
/// call depth is bounded.
pub fn inline_leaves(m: &mut LirModule, max_len: usize) {
    let inlinable: Vec<bool> = m
        .cells
        .iter()
        .map(|c| c.code.len() <= max_len && is_inlinable(c, &m.types))
        .collect();
    if !inlinable.contains(&true) {
        return;
    }
    let depth = max_depths(m);
    for (caller, d) in depth.iter().enumerate() {
        if d.is_none_or(|d| d >= MAX_CALLS) {
            continue;
        }
        let has_site = m.cells[caller].code.iter().any(|ins| {
            matches!(*ins, Instr::Call { cell, .. }
                if cell as usize != caller && inlinable.get(cell as usize) == Some(&true))
        });
        if !has_site {
            continue;
        }
        let mut cell = m.cells[caller].clone();
        inline_calls(&mut cell, caller, &m.cells, &inlinable);
        m.cells[caller] = cell;
    }
}

/// True when `c` may be spliced into its callers (see the module documentation).
fn is_inlinable(c: &Cell, types: &TypeTable) -> bool {
    if c.kind == CellKind::Lambda || c.captures != 0 {
        return false;
    }
    let body_ok = c.code.iter().enumerate().all(|(i, ins)| match *ins {
        // Forward jumps only: no loops.
        Instr::Jump { target }
        | Instr::JumpIf { target, .. }
        | Instr::JumpIfNot { target, .. }
        | Instr::JumpIfIntCmp { target, .. }
        | Instr::JumpIfNull { target, .. } => target as usize > i,
        Instr::Return { .. } => true,
        // Calls would nest deeper (see the module documentation); a builtin may call
        // back into Lumen code unless it is one that cannot fail.
        Instr::Call { .. } | Instr::CallValue { .. } | Instr::CallBuiltin { .. } => {
            cannot_fail(ins, c)
        }
        _ => true,
    });
    if !body_ok || c.code.is_empty() {
        return false;
    }
    // The body must not read a register before writing it: in a frame they start null,
    // inlined they would hold whatever an earlier run left there.
    let live = Liveness::of(c, types);
    (c.params..c.regs.len() as u32).all(|r| !live.live_in[0].contains(r))
}

/// The deepest call depth (number of active calls, the cell's own included) at which
/// each cell can run, or `None` when it is unbounded (on or below a cycle). Every cell
/// counts as a possible entry at depth 1.
fn max_depths(m: &LirModule) -> Vec<Option<usize>> {
    let n = m.cells.len();
    // Cells a function value can name: closures made anywhere, and constant functions.
    let mut fn_targets: Vec<usize> = m
        .cells
        .iter()
        .flat_map(|c| c.code.iter())
        .filter_map(|ins| match *ins {
            Instr::MakeClosure { cell, .. } => Some(cell as usize),
            _ => None,
        })
        .chain(m.consts.iter().filter_map(|v| match v {
            Value::Fn(c) => Some(c.cell as usize),
            _ => None,
        }))
        .filter(|&c| c < n)
        .collect();
    fn_targets.sort_unstable();
    fn_targets.dedup();
    let edges: Vec<Vec<usize>> = m
        .cells
        .iter()
        .map(|c| {
            let mut out = vec![];
            for ins in &c.code {
                match *ins {
                    Instr::Call { cell, .. } if (cell as usize) < n => out.push(cell as usize),
                    Instr::CallValue { .. } => out.extend(&fn_targets),
                    Instr::CallBuiltin { builtin, .. } if builtin.calls_functions() => {
                        out.extend(&fn_targets)
                    }
                    _ => {}
                }
            }
            out
        })
        .collect();
    // Kahn's algorithm: cells never freed are on or below a cycle.
    let mut indeg = vec![0usize; n];
    for e in edges.iter().flatten() {
        indeg[*e] += 1;
    }
    let mut depth = vec![1usize; n];
    let mut done = vec![false; n];
    let mut ready: Vec<usize> = (0..n).filter(|&c| indeg[c] == 0).collect();
    while let Some(c) = ready.pop() {
        done[c] = true;
        for &t in &edges[c] {
            depth[t] = depth[t].max(depth[c].saturating_add(1));
            indeg[t] -= 1;
            if indeg[t] == 0 {
                ready.push(t);
            }
        }
    }
    (0..n).map(|c| done[c].then_some(depth[c])).collect()
}

/// Splices every call of an inlinable cell in `cell` (cell number `me`).
fn inline_calls(cell: &mut Cell, me: usize, cells: &[Cell], inlinable: &[bool]) {
    let old = std::mem::take(&mut cell.code);
    let old_pos = std::mem::take(&mut cell.pos);
    let old_at = std::mem::take(&mut cell.inlined.at);
    // The inline mark of each emitted instruction (see `Cell::inlined`).
    let mut marks: Vec<u32> = Vec::with_capacity(old.len());
    // new_index[i]: where old instruction i (or the body replacing it) starts.
    let mut new_index = vec![0u32; old.len() + 1];
    // Per emitted instruction: true when its jump target is still an old caller index.
    let mut caller_target = vec![];
    for (i, (ins, pos)) in old.iter().zip(&old_pos).enumerate() {
        new_index[i] = cell.code.len() as u32;
        let site = match *ins {
            Instr::Call {
                dst,
                cell: callee,
                args,
                ..
            } if callee as usize != me && inlinable.get(callee as usize) == Some(&true) => {
                cells.get(callee as usize).map(|c| (dst, c, args))
            }
            _ => None,
        };
        let mark = old_at.get(i).copied().unwrap_or(0);
        let Some((dst, callee, args)) = site else {
            cell.code.push(ins.clone());
            cell.pos.push(*pos);
            marks.push(mark);
            caller_target.push(true);
            continue;
        };
        // This call's site, then the callee's own sites (renumbered) inside it.
        cell.inlined.sites.push(InlineSite {
            name: callee.name.clone(),
            call: *pos,
            parent: mark,
        });
        let site = cell.inlined.sites.len() as u32;
        for s in &callee.inlined.sites {
            cell.inlined.sites.push(InlineSite {
                parent: if s.parent == 0 { site } else { site + s.parent },
                ..s.clone()
            });
        }
        let base = cell.regs.len() as u32;
        cell.regs.extend(&callee.regs);
        // Arguments are moved into the callee's parameters, as a call does.
        for p in 0..callee.params {
            cell.code.push(Instr::Move {
                dst: base + p,
                src: args + p,
            });
            cell.pos.push(*pos);
            marks.push(mark);
            caller_target.push(false);
        }
        let start = cell.code.len() as u32;
        // Body layout: each `Return` becomes a move and a jump (two instructions).
        let mut at = vec![0u32; callee.code.len() + 1];
        let mut next = start;
        for (j, c) in callee.code.iter().enumerate() {
            at[j] = next;
            next += if matches!(c, Instr::Return { .. }) {
                2
            } else {
                1
            };
        }
        at[callee.code.len()] = next;
        let end = next;
        for (j, (c, cpos)) in callee.code.iter().zip(&callee.pos).enumerate() {
            match *c {
                Instr::Return { src } => {
                    cell.code.push(Instr::Move {
                        dst,
                        src: base + src,
                    });
                    cell.code.push(Instr::Jump { target: end });
                    cell.pos.extend([*pos, *pos]);
                    marks.extend([mark, mark]);
                    caller_target.extend([false, false]);
                }
                _ => {
                    let mut c = c.clone();
                    c.map_regs(|r| base + r);
                    if let Some(t) = c.jump_target_mut() {
                        *t = at.get(*t as usize).copied().unwrap_or(end);
                    }
                    cell.code.push(c);
                    cell.pos.push(*cpos);
                    marks.push(match callee.inlined.at.get(j) {
                        Some(&k) if k != 0 => site + k,
                        _ => site,
                    });
                    caller_target.push(false);
                }
            }
        }
    }
    new_index[old.len()] = cell.code.len() as u32;
    if marks.iter().any(|&k| k != 0) {
        cell.inlined.at = marks;
    }
    for (ins, &remap) in cell.code.iter_mut().zip(&caller_target) {
        if remap && let Some(t) = ins.jump_target_mut() {
            *t = new_index.get(*t as usize).copied().unwrap_or(*t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::lir::{CmpOp, Pos, RegTy};

    fn cell(name: &str, params: u32, regs: Vec<RegTy>, code: Vec<Instr>) -> Cell {
        Cell::new(name, params, regs, RegTy::Float, code)
    }

    /// `sq(x: Float) = x * x`; `main` calls it with 3.0 in a loop-free body.
    fn module(main_extra: Vec<Instr>) -> LirModule {
        let sq = cell(
            "sq",
            1,
            vec![RegTy::Float; 2],
            vec![
                Instr::FloatMul { dst: 1, a: 0, b: 0 },
                Instr::Return { src: 1 },
            ],
        );
        let mut code = vec![
            Instr::LoadFloat { dst: 0, value: 3.0 },
            Instr::Call {
                dst: 1,
                cell: 0,
                args: 0,
                argc: 1,
            },
        ];
        code.extend(main_extra);
        code.push(Instr::Return { src: 1 });
        let main = cell("main", 0, vec![RegTy::Float; 2], code);
        LirModule {
            cells: vec![sq, main],
            main: Some(1),
            ..LirModule::default()
        }
    }

    #[test]
    fn a_float_leaf_is_spliced_in() {
        let mut m = module(vec![]);
        inline_leaves(&mut m, MAX_INLINE_LEN);
        assert!(lumen_core::verify::verify(&m).is_ok());
        let main = &m.cells[1];
        assert!(
            !main.code.iter().any(|i| matches!(i, Instr::Call { .. })),
            "{:?}",
            main.code
        );
        assert_eq!(main.regs.len(), 4);
        assert_eq!(main.code[1], Instr::Move { dst: 2, src: 0 });
        assert_eq!(main.code[2], Instr::FloatMul { dst: 3, a: 2, b: 2 });
        assert_eq!(main.code[3], Instr::Move { dst: 1, src: 3 });
        assert_eq!(main.code[4], Instr::Jump { target: 5 });
        assert_eq!(main.code.len(), main.pos.len());
    }

    #[test]
    fn fallible_callees_are_inlined_with_their_site() {
        // An Int leaf (may overflow) is inlined; its instructions carry the site.
        let mut m = module(vec![]);
        m.cells[0].regs = vec![RegTy::Int; 2];
        m.cells[0].ret = RegTy::Int;
        m.cells[0].code[0] = Instr::IntMul { dst: 1, a: 0, b: 0 };
        m.cells[0].pos[0] = Pos { line: 9, col: 4 };
        m.cells[1].regs = vec![RegTy::Int; 2];
        m.cells[1].ret = RegTy::Int;
        m.cells[1].code[0] = Instr::LoadInt { dst: 0, value: 3 };
        m.cells[1].pos[1] = Pos { line: 20, col: 7 };
        assert!(is_inlinable(&m.cells[0], &m.types));
        inline_leaves(&mut m, MAX_INLINE_LEN);
        assert!(lumen_core::verify::verify(&m).is_ok());
        let main = &m.cells[1];
        assert_eq!(main.code[2], Instr::IntMul { dst: 3, a: 2, b: 2 });
        assert_eq!(main.inlined.at, vec![0, 0, 1, 0, 0, 0]);
        assert_eq!(
            main.frames_at(2),
            vec![
                ("sq", Pos { line: 9, col: 4 }),
                ("main", Pos { line: 20, col: 7 })
            ]
        );
        assert_eq!(main.frames_at(0), vec![("main", Pos { line: 1, col: 1 })]);
    }

    #[test]
    fn the_level_bounds_the_callee_length() {
        // `sq` padded with moves to 20 instructions: small (O3), not tiny (O1).
        let padded = || {
            let mut m = module(vec![]);
            let pad = vec![Instr::Move { dst: 1, src: 0 }; 18];
            m.cells[0].code.splice(0..0, pad);
            m.cells[0].pos = vec![Pos::default(); 20];
            assert_eq!(m.cells[0].code.len(), 20);
            m
        };
        let calls = |m: &LirModule| {
            m.cells[1]
                .code
                .iter()
                .any(|i| matches!(i, Instr::Call { .. }))
        };
        let mut m = padded();
        inline_leaves(&mut m, MAX_TINY_LEN);
        assert!(calls(&m), "a 20-instruction leaf is not tiny");
        let mut m = padded();
        inline_leaves(&mut m, MAX_INLINE_LEN);
        assert!(!calls(&m), "a 20-instruction leaf is small");
        assert!(lumen_core::verify::verify(&m).is_ok());
    }

    #[test]
    fn callers_and_recursive_callers_are_left_alone() {
        // A cell that calls is not a leaf.
        let m = module(vec![]);
        assert!(!is_inlinable(&m.cells[1], &m.types));
        // A recursive caller has unbounded depth: its calls stay.
        let mut m = module(vec![Instr::Call {
            dst: 1,
            cell: 1,
            args: 0,
            argc: 0,
        }]);
        assert_eq!(max_depths(&m), vec![None, None]);
        inline_leaves(&mut m, MAX_INLINE_LEN);
        assert!(matches!(m.cells[1].code[1], Instr::Call { .. }));
    }

    #[test]
    fn depths_follow_the_longest_chain() {
        let m = module(vec![]);
        assert_eq!(max_depths(&m), vec![Some(2), Some(1)]);
    }

    #[test]
    fn loops_and_uninitialised_reads_prevent_inlining() {
        let looping = cell(
            "l",
            1,
            vec![RegTy::Int; 2],
            vec![
                Instr::JumpIfIntCmp {
                    op: CmpOp::Lt,
                    a: 0,
                    b: 0,
                    target: 0,
                },
                Instr::Return { src: 0 },
            ],
        );
        assert!(!is_inlinable(&looping, &TypeTable::default()));
        let reads_null = cell(
            "n",
            0,
            vec![RegTy::Float; 1],
            vec![Instr::Return { src: 0 }],
        );
        assert!(!is_inlinable(&reads_null, &TypeTable::default()));
    }
}
