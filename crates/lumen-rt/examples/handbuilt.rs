//! Times hand-built LIR for `fib` and `loop_sum` (shaped like the lowering's output).
use lumen_core::Value;
use lumen_core::lir::{Cell, CellKind, CmpOp, Instr::*, LirModule, Pos, RegTy};
use lumen_rt::VM;

fn cell(name: &str, params: u32, nregs: usize, code: Vec<lumen_core::lir::Instr>) -> Cell {
    Cell {
        name: name.into(),
        kind: CellKind::Cell,
        params,
        captures: 0,
        regs: vec![RegTy::Int; nregs],
        ret: RegTy::Int,
        pos: vec![Pos::default(); code.len()],
        code,
    }
}

fn main() {
    let fib = cell(
        "fib",
        1,
        7,
        vec![
            LoadInt { dst: 1, value: 2 },
            JumpIfIntCmp {
                op: CmpOp::Ge,
                a: 0,
                b: 1,
                target: 3,
            },
            Return { src: 0 },
            LoadInt { dst: 1, value: 1 },
            IntSub { dst: 3, a: 0, b: 1 },
            Call {
                dst: 4,
                cell: 0,
                args: 3,
                argc: 1,
            },
            LoadInt { dst: 1, value: 2 },
            IntSub { dst: 3, a: 0, b: 1 },
            Call {
                dst: 5,
                cell: 0,
                args: 3,
                argc: 1,
            },
            IntAdd { dst: 6, a: 4, b: 5 },
            Return { src: 6 },
        ],
    );
    let loop_sum = cell(
        "loop_sum",
        1,
        12,
        vec![
            LoadInt { dst: 1, value: 0 }, // s
            LoadInt { dst: 2, value: 0 }, // i
            JumpIfIntCmp {
                op: CmpOp::Ge,
                a: 2,
                b: 0,
                target: 19,
            }, // 2
            LoadInt { dst: 3, value: 0 }, // j
            JumpIfIntCmp {
                op: CmpOp::Ge,
                a: 3,
                b: 0,
                target: 17,
            }, // 4
            IntMul { dst: 4, a: 2, b: 3 },
            LoadInt { dst: 5, value: 7 },
            IntMod { dst: 6, a: 4, b: 5 },
            IntAdd { dst: 7, a: 2, b: 3 },
            LoadInt { dst: 8, value: 3 },
            IntMod { dst: 9, a: 7, b: 8 },
            IntAdd {
                dst: 10,
                a: 6,
                b: 9,
            },
            IntAdd {
                dst: 11,
                a: 1,
                b: 10,
            },
            Move { dst: 1, src: 11 },
            IntAddImm {
                dst: 3,
                a: 3,
                value: 1,
            },
            Jump { target: 4 },
            Jump { target: 4 },
            IntAddImm {
                dst: 2,
                a: 2,
                value: 1,
            }, // 17
            Jump { target: 2 },
            Return { src: 1 }, // 19
        ],
    );
    let m = LirModule {
        cells: vec![fib, loop_sum],
        ..LirModule::default()
    };
    let mut vm = VM::new(m);
    let t = std::time::Instant::now();
    let r = vm.call_cell_by_name("fib", vec![Value::Int(32)]);
    println!("fib(32) = {r:?} in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let r = vm.call_cell_by_name("loop_sum", vec![Value::Int(10000)]);
    println!("loop_sum(10000) = {r:?} in {:?}", t.elapsed());
}
