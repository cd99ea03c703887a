//! Building blocks of the property tests' generated LIR (`opt_props`, `jit_props`).

use lumen_core::lir::{Cell, Instr, LirModule, Reg};
use lumen_rt::VM;

/// Appends `dst = "<display of registers from..from + n>"`: the registers copied into
/// the run `run..run + n` (`StrBuild` moves its operands) and displayed together.
pub fn display(code: &mut Vec<Instr>, from: Reg, n: u32, run: Reg, dst: Reg) {
    for r in 0..n {
        code.push(Instr::Copy {
            dst: run + r,
            src: from + r,
        });
    }
    code.push(Instr::StrBuild {
        dst,
        args: run,
        argc: n,
    });
}

/// A module of `cells` whose `main` is the first.
pub fn module(cells: Vec<Cell>) -> LirModule {
    LirModule {
        cells,
        main: Some(0),
        ..LirModule::default()
    }
}

/// What `main` of `vm`'s module gives: its value, or its rendered error.
pub fn outcome(mut vm: VM) -> Result<String, String> {
    vm.call_cell(0, vec![])
        .map(|v| format!("{v:?}"))
        .map_err(|e| e.render("p.lm"))
}
