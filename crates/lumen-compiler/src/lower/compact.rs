//! Drops registers no instruction mentions (temporaries whose producer was retargeted
//! to write a local directly) and renumbers the rest in order, so call frames stay small.

use lumen_core::lir::{Cell, Reg, TypeTable};

/// Removes unused registers from `cell` (parameters and captures always stay).
pub fn compact_registers(cell: &mut Cell, types: &TypeTable) {
    let n = cell.regs.len();
    let mut used = vec![false; n];
    let fixed = (cell.params + cell.captures) as usize;
    used.iter_mut().take(fixed).for_each(|u| *u = true);
    let mut mark = |r: Reg| {
        if let Some(u) = used.get_mut(r as usize) {
            *u = true;
        }
    };
    for ins in &cell.code {
        ins.for_each_use(types, &mut mark);
        if let Some(d) = ins.def() {
            mark(d);
        }
    }
    if used.iter().all(|&u| u) {
        return;
    }
    // Order is kept, so the registers of an operand run (all used) stay consecutive.
    let mut map = vec![0 as Reg; n];
    let mut next: Reg = 0;
    for (r, &u) in used.iter().enumerate() {
        if u {
            map[r] = next;
            next += 1;
        }
    }
    for ins in &mut cell.code {
        // An empty run may name any register, even one past the end: map it to 0.
        ins.map_regs(|r| map.get(r as usize).copied().unwrap_or(0));
    }
    let mut r = 0;
    cell.regs.retain(|_| {
        let keep = used[r];
        r += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::builtins::Builtin;
    use lumen_core::lir::{CellKind, Instr, Pos, RegTy};

    #[test]
    fn unused_registers_are_dropped_and_runs_stay_consecutive() {
        use RegTy::*;
        let code = vec![
            Instr::LoadInt { dst: 3, value: 1 },
            Instr::LoadInt { dst: 4, value: 2 },
            Instr::CallBuiltin {
                dst: 6,
                builtin: Builtin::Args,
                args: 9,
                argc: 0,
            },
            Instr::ListNew {
                dst: 6,
                args: 3,
                argc: 2,
            },
            Instr::Return { src: 6 },
        ];
        let mut cell = Cell {
            inlined: Default::default(),
            name: "f".into(),
            kind: CellKind::Cell,
            params: 1,
            captures: 0,
            regs: vec![Int, Str, Str, Int, Int, Dyn, List],
            ret: List,
            pos: vec![Pos::default(); code.len()],
            code,
        };
        compact_registers(&mut cell, &TypeTable::default());
        assert_eq!(cell.regs, vec![Int, Int, Int, List]);
        assert_eq!(
            cell.code[3],
            Instr::ListNew {
                dst: 3,
                args: 1,
                argc: 2
            }
        );
        assert_eq!(cell.code[4], Instr::Return { src: 3 });
    }
}
