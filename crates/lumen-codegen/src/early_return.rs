//! Early returns answered at the call site: a cell that starts by comparing its
//! parameters and, on one side, returns a parameter or a constant without doing anything
//! else (`fib`'s `if n < 2 then n`) is called only when that test fails; when it holds,
//! the caller takes the value itself.
//!
//! Why this is unobservable: the path taken instead of the call cannot fail and has no
//! effect, so only the call's own frame could tell — and a frame is visible only through
//! `stack overflow`, which the callee raises on entry at 10,000 active calls. The call
//! site therefore answers only below that depth and calls otherwise (`ir.rs`), where
//! the callee raises as before.
//!
//! Recursive cells are where this pays: half of `fib`'s calls are its base case, each
//! a call, a frame saving four registers and an error check that this replaces by one
//! compare. Small leaf cells are inlined whole instead (`opt::inline`).

use lumen_core::lir::{Cell, CmpOp, Instr, Reg, RegTy};
use std::collections::HashMap;

/// Instructions followed from the cell's start before giving up.
const MAX_STEPS: usize = 16;

/// A value the early return computes from the call's arguments.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Operand {
    /// The argument of parameter `i`.
    Param(u32),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// How a cell returns early: when `a op b` is `holds`, it returns `value`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct EarlyReturn {
    pub op: CmpOp,
    pub a: Operand,
    pub b: Operand,
    pub holds: bool,
    pub value: Operand,
}

/// The early return of `cell`, if its code starts with one: instructions that cannot
/// fail and have no effect, an Int compare-and-jump of their results, and on one side
/// such instructions again up to a `Return`. Only cells whose parameters and result are
/// scalars (Int, Float, Bool) qualify: their arguments and result are machine values.
pub(crate) fn early_return(cell: &Cell) -> Option<EarlyReturn> {
    let scalar = |r: Reg| crate::types::scalar_type(cell.regs[r as usize]).is_some();
    if cell.captures != 0
        || crate::types::scalar_type(cell.ret).is_none()
        || !(0..cell.params).all(scalar)
    {
        return None;
    }
    let mut env: HashMap<Reg, Operand> = (0..cell.params).map(|p| (p, Operand::Param(p))).collect();
    let mut pc = 0;
    let mut steps = 0;
    let (op, a, b, target) = loop {
        steps += 1;
        if steps > MAX_STEPS {
            return None;
        }
        match *cell.code.get(pc)? {
            Instr::JumpIfIntCmp { op, a, b, target } => break (op, a, b, target as usize),
            ref ins => pc = step(cell, ins, pc, &mut env)?,
        }
    };
    let (a, b) = (*env.get(&a)?, *env.get(&b)?);
    // The side not taken first: `if n < 2 then n` falls through to its return.
    // (Verified LIR returns the cell's type; checked anyway, as the caller's join
    // block takes the value as that type.)
    let returns_ret = |o: &Operand| match *o {
        Operand::Param(i) => cell.regs[i as usize] == cell.ret,
        Operand::Int(_) => cell.ret == RegTy::Int,
        Operand::Float(_) => cell.ret == RegTy::Float,
        Operand::Bool(_) => cell.ret == RegTy::Bool,
    };
    for (holds, start) in [(false, pc + 1), (true, target)] {
        if let Some(value) = returns(cell, start, env.clone(), steps).filter(returns_ret) {
            return Some(EarlyReturn {
                op,
                a,
                b,
                holds,
                value,
            });
        }
    }
    None
}

/// What the code from `pc` returns when it only moves values up to a `Return`.
fn returns(
    cell: &Cell,
    mut pc: usize,
    mut env: HashMap<Reg, Operand>,
    mut steps: usize,
) -> Option<Operand> {
    loop {
        steps += 1;
        if steps > MAX_STEPS {
            return None;
        }
        match *cell.code.get(pc)? {
            Instr::Return { src } => return env.get(&src).copied(),
            ref ins => pc = step(cell, ins, pc, &mut env)?,
        }
    }
}

/// Follows `ins` at `pc` when it cannot fail and has no effect: the next instruction's
/// position, with `env` updated; `None` for any other instruction (and for jumps back,
/// so the walk ends).
fn step(cell: &Cell, ins: &Instr, pc: usize, env: &mut HashMap<Reg, Operand>) -> Option<usize> {
    let value = match *ins {
        Instr::LoadInt { dst, value } => (dst, Operand::Int(value)),
        Instr::LoadFloat { dst, value } => (dst, Operand::Float(value)),
        Instr::LoadBool { dst, value } => (dst, Operand::Bool(value)),
        Instr::Copy { dst, src } | Instr::Move { dst, src }
            if cell.regs[dst as usize] == cell.regs[src as usize] =>
        {
            (dst, *env.get(&src)?)
        }
        Instr::Jump { target } if target as usize > pc => return Some(target as usize),
        _ => return None,
    };
    env.insert(value.0, value.1);
    Some(pc + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell_of(src: &str, name: &str) -> Cell {
        let m = lumen_compiler::compile(src).expect("test program compiles");
        m.cell(m.find_cell(name).expect("cell")).clone()
    }

    #[test]
    fn fib_returns_its_argument_below_two() {
        let src = "cell fib(n: Int) -> Int\n  if n < 2 then n else fib(n - 1) + fib(n - 2)\nend\n\
                   cell main()\nend\n";
        let er = early_return(&cell_of(src, "fib")).expect("an early return");
        // `n >= 2` jumps to the recursive side; the early return is when it does not.
        let want = EarlyReturn {
            op: CmpOp::Ge,
            a: Operand::Param(0),
            b: Operand::Int(2),
            holds: false,
            value: Operand::Param(0),
        };
        assert_eq!(er, want);
    }

    #[test]
    fn constants_and_the_taken_side_qualify() {
        let src = "cell f(n: Int, x: Float) -> Float\n  if n > 10\n    return 0.5\n  end\n  \
                   f(n + 1, x * 2.0)\nend\ncell main()\nend\n";
        let er = early_return(&cell_of(src, "f")).expect("an early return");
        assert_eq!(er.value, Operand::Float(0.5));
        let cmp = (er.op, er.a, er.b, er.holds);
        // Lowered as a jump past the return when `n <= 10` (or over it when `n > 10`).
        assert!(
            cmp == (CmpOp::Le, Operand::Param(0), Operand::Int(10), false)
                || cmp == (CmpOp::Gt, Operand::Param(0), Operand::Int(10), true),
            "{er:?}"
        );
    }

    #[test]
    fn failing_or_effectful_paths_and_heap_cells_do_not_qualify() {
        let cases = [
            // The returned value is computed (may overflow).
            "cell f(n: Int) -> Int\n  if n < 2 then n + 1 else f(n - 1)\nend\n",
            // An effect before returning.
            "cell f(n: Int) -> Int\n  if n < 2\n    print(n)\n    return n\n  end\n  f(n - 1)\nend\n",
            // A heap parameter.
            "cell f(s: String, n: Int) -> Int\n  if n < 2 then n else f(s, n - 1)\nend\n",
            // No compare first.
            "cell f(n: Int) -> Int\n  f(n - 1)\nend\n",
        ];
        for src in cases {
            let c = cell_of(&format!("{src}cell main()\nend\n"), "f");
            assert_eq!(early_return(&c), None, "{src}");
        }
    }
}
