//! Running `main` on a `lumen-rt` VM (every tier runs inside one: `interp` plainly, `jit`
//! and `tiered` with native code installed, see [`crate::native`]).

use lumen_rt::VM;

/// How a program run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `main` returned (its non-null result has been printed).
    Finished,
    /// The program called `exit(n)`.
    Exit(i32),
    /// A runtime error; holds the complete stderr text (message and stack trace).
    Failed(String),
}

/// Runs `main` in `vm` (plain, or with native code installed) with `args` as `args()`;
/// `file` is the path as given, for stack traces. Program output, including the display form of a non-null result of
/// `main`, has been written and flushed to stdout when this returns.
pub fn run_vm(mut vm: VM, file: &str, args: Vec<String>) -> Outcome {
    vm.set_args(args);
    match vm.run_main() {
        Ok(()) => Outcome::Finished,
        Err(e) => match e.exit_code() {
            Some(code) => Outcome::Exit(code),
            None => Outcome::Failed(e.render(file)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::builtins::Builtin;
    use lumen_core::lir::{Cell, CellKind, Instr, LirModule, Pos, RegTy};

    fn run_main(m: LirModule, file: &str, args: Vec<String>) -> Outcome {
        run_vm(VM::new(m), file, args)
    }

    /// A module whose only cell is `main` with `code`; instruction `i` sits at line `i + 1`.
    /// Registers 0–2 are Ints (what these tests compute with), register 3 any value.
    fn main_module(code: Vec<Instr>) -> LirModule {
        let pos = (1..=code.len() as u32)
            .map(|line| Pos { line, col: 1 })
            .collect();
        LirModule {
            cells: vec![Cell {
                inlined: Default::default(),
                name: "main".into(),
                kind: CellKind::Cell,
                params: 0,
                captures: 0,
                regs: vec![RegTy::Int, RegTy::Int, RegTy::Int, RegTy::Dyn],
                ret: RegTy::Dyn,
                code,
                pos,
            }],
            main: Some(0),
            ..LirModule::default()
        }
    }

    #[test]
    fn null_result_finishes() {
        let m = main_module(vec![Instr::LoadNull { dst: 3 }, Instr::Return { src: 3 }]);
        assert_eq!(run_main(m, "t.lm", vec![]), Outcome::Finished);
    }

    #[test]
    fn exit_builtin_gives_its_code() {
        let m = main_module(vec![
            Instr::LoadInt { dst: 0, value: 7 },
            Instr::CallBuiltin {
                dst: 3,
                builtin: Builtin::Exit,
                args: 0,
                argc: 1,
            },
            Instr::Return { src: 3 },
        ]);
        assert_eq!(run_main(m, "t.lm", vec![]), Outcome::Exit(7));
    }

    #[test]
    fn runtime_error_renders_message_and_trace() {
        let m = main_module(vec![
            Instr::LoadInt { dst: 0, value: 1 },
            Instr::LoadInt { dst: 1, value: 0 },
            Instr::IntDiv { dst: 2, a: 0, b: 1 },
            Instr::Return { src: 2 },
        ]);
        assert_eq!(
            run_main(m, "dir/t.lm", vec![]),
            Outcome::Failed("error: division by zero\n  at main (dir/t.lm:3:1)\n".into())
        );
    }
}
