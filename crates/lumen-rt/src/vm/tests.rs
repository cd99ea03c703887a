//! VM tests on hand-built LIR modules.

use super::*;
use lumen_core::builtins::Builtin;
use lumen_core::lir::{Cell, CellKind, CmpOp, Instr, Pos, RegTy, TypeDef};
use std::rc::Rc;

/// A cell whose instruction `i` is at line `i + 1`, column 1 (so traces name the pc).
/// Register types for a hand-built cell: the scalar type each instruction requires of
/// its operands and result (lir.rs, enforced by `lumen_core::verify`); `Dyn` elsewhere.
fn scalar_types(code: &[Instr], nregs: usize) -> Vec<RegTy> {
    use Instr::*;
    let mut regs = vec![RegTy::Dyn; nregs];
    let mut set = |r: u32, t: RegTy| regs[r as usize] = t;
    for ins in code {
        match *ins {
            LoadInt { dst, .. } | ListLen { dst, .. } | VariantTag { dst, .. } => {
                set(dst, RegTy::Int)
            }
            LoadFloat { dst, .. } => set(dst, RegTy::Float),
            LoadBool { dst, .. } => set(dst, RegTy::Bool),
            IntAdd { dst, a, b }
            | IntSub { dst, a, b }
            | IntMul { dst, a, b }
            | IntDiv { dst, a, b }
            | IntFloorDiv { dst, a, b }
            | IntMod { dst, a, b }
            | IntPow { dst, a, b }
            | BitAnd { dst, a, b }
            | BitOr { dst, a, b }
            | BitXor { dst, a, b }
            | Shl { dst, a, b }
            | Shr { dst, a, b } => {
                set(dst, RegTy::Int);
                set(a, RegTy::Int);
                set(b, RegTy::Int);
            }
            FloatAdd { dst, a, b }
            | FloatSub { dst, a, b }
            | FloatMul { dst, a, b }
            | FloatDiv { dst, a, b }
            | FloatFloorDiv { dst, a, b }
            | FloatMod { dst, a, b }
            | FloatPow { dst, a, b } => {
                set(dst, RegTy::Float);
                set(a, RegTy::Float);
                set(b, RegTy::Float);
            }
            IntNeg { dst, src } | BitNot { dst, src } | IntAddImm { dst, a: src, .. } => {
                set(dst, RegTy::Int);
                set(src, RegTy::Int);
            }
            FloatNeg { dst, src } => {
                set(dst, RegTy::Float);
                set(src, RegTy::Float);
            }
            IntToFloat { dst, src } => {
                set(dst, RegTy::Float);
                set(src, RegTy::Int);
            }
            FloatToInt { dst, src } => {
                set(dst, RegTy::Int);
                set(src, RegTy::Float);
            }
            IntCmp { dst, a, b, .. } => {
                set(dst, RegTy::Bool);
                set(a, RegTy::Int);
                set(b, RegTy::Int);
            }
            FloatCmp { dst, a, b, .. } => {
                set(dst, RegTy::Bool);
                set(a, RegTy::Float);
                set(b, RegTy::Float);
            }
            JumpIfIntCmp { a, b, .. } => {
                set(a, RegTy::Int);
                set(b, RegTy::Int);
            }
            JumpIf { cond, .. } | JumpIfNot { cond, .. } => set(cond, RegTy::Bool),
            ListGet { idx, .. } | StrIndex { idx, .. } | ListSet { idx, .. } => {
                set(idx, RegTy::Int)
            }
            Not { dst, src } => {
                set(dst, RegTy::Bool);
                set(src, RegTy::Bool);
            }
            Eq { dst, .. } | Ne { dst, .. } | StrCmp { dst, .. } | Is { dst, .. } => {
                set(dst, RegTy::Bool)
            }
            _ => {}
        }
    }
    regs
}

fn cell(name: &str, params: u32, nregs: usize, code: Vec<Instr>) -> Cell {
    let regs = scalar_types(&code, nregs);
    Cell::new(name, params, regs, RegTy::Dyn, code)
}

/// True when the VM's translation of `c` has an op that `is` accepts (a fusion happened).
fn translates_to(c: &Cell, is: impl Fn(&code::Op) -> bool) -> bool {
    code::translate(c).ops.iter().any(is)
}

fn module(cells: Vec<Cell>) -> LirModule {
    LirModule {
        main: cells
            .iter()
            .position(|c| c.name == "main")
            .map(|i| i as u32),
        cells,
        ..LirModule::default()
    }
}

fn fib_cell() -> Cell {
    use Instr::*;
    cell(
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
            IntAddImm {
                dst: 3,
                a: 0,
                value: -1,
            },
            Call {
                dst: 4,
                cell: 0,
                args: 3,
                argc: 1,
            },
            IntAddImm {
                dst: 3,
                a: 0,
                value: -2,
            },
            Call {
                dst: 5,
                cell: 0,
                args: 3,
                argc: 1,
            },
            IntAdd { dst: 6, a: 4, b: 5 },
            Return { src: 6 },
        ],
    )
}

#[test]
fn fib_recurses_without_rust_recursion() {
    let mut vm = VM::new(module(vec![fib_cell()]));
    assert_eq!(
        vm.call_cell_by_name("fib", vec![Value::Int(10)]),
        Ok(Value::Int(55))
    );
    assert_eq!(vm.call_cell(0, vec![Value::Int(20)]), Ok(Value::Int(6765)));
}

/// `main(n)`: sum of `i * i` for `i` in `0..n` with a counting loop.
#[test]
fn loops_and_int_arithmetic() {
    use Instr::*;
    let sum = cell(
        "sum",
        1,
        4,
        vec![
            LoadInt { dst: 1, value: 0 }, // i
            LoadInt { dst: 2, value: 0 }, // s
            JumpIfIntCmp {
                op: CmpOp::Ge,
                a: 1,
                b: 0,
                target: 7,
            },
            IntMul { dst: 3, a: 1, b: 1 },
            IntAdd { dst: 2, a: 2, b: 3 },
            IntAddImm {
                dst: 1,
                a: 1,
                value: 1,
            },
            Jump { target: 2 },
            Return { src: 2 },
        ],
    );
    let mut vm = VM::new(module(vec![sum]));
    assert_eq!(
        vm.call_cell_by_name("sum", vec![Value::Int(1000)]),
        Ok(Value::Int(332_833_500))
    );
}

#[test]
fn closures_capture_values() {
    use Instr::*;
    // add_k(x) = x + k, with k captured in register 1.
    let mut lambda = cell(
        "<lambda>",
        1,
        3,
        vec![IntAdd { dst: 2, a: 0, b: 1 }, Return { src: 2 }],
    );
    lambda.kind = CellKind::Lambda;
    lambda.captures = 1;
    let main = cell(
        "make_and_call",
        1,
        5,
        vec![
            LoadInt { dst: 1, value: 3 },
            MakeClosure {
                dst: 2,
                cell: 0,
                args: 1,
                argc: 1,
            },
            Move { dst: 3, src: 0 },
            CallValue {
                dst: 4,
                callee: 2,
                args: 3,
                argc: 1,
            },
            Return { src: 4 },
        ],
    );
    let mut vm = VM::new(module(vec![lambda, main]));
    assert_eq!(
        vm.call_cell_by_name("make_and_call", vec![Value::Int(39)]),
        Ok(Value::Int(42))
    );
}

/// `inner(a, b) = a / b` called from `main`: the trace names the division in `inner`
/// and the call in `main`.
#[test]
fn errors_carry_a_trace() {
    use Instr::*;
    let inner = cell(
        "inner",
        2,
        3,
        vec![IntDiv { dst: 2, a: 0, b: 1 }, Return { src: 2 }],
    );
    let main = cell(
        "main",
        0,
        3,
        vec![
            LoadInt { dst: 0, value: 1 },
            LoadInt { dst: 1, value: 0 },
            Call {
                dst: 2,
                cell: 0,
                args: 0,
                argc: 2,
            },
            Return { src: 2 },
        ],
    );
    let mut vm = VM::new(module(vec![inner, main]));
    let err = vm.call_cell_by_name("main", vec![]).unwrap_err();
    assert_eq!(err.error, RtError::DivisionByZero);
    assert_eq!(
        err.render("t.lm"),
        "error: division by zero\n  at inner (t.lm:1:1)\n  at main (t.lm:3:1)\n"
    );
    // The VM is usable after an error.
    assert_eq!(
        vm.call_cell_by_name("inner", vec![Value::Int(7), Value::Int(2)]),
        Ok(Value::Int(3))
    );
}

/// `rec(d, limit)` recurses until `d == limit`; `main(limit)` calls `rec(1, limit)`, so
/// `limit + 1` calls are active at the deepest point.
fn depth_module() -> LirModule {
    use Instr::*;
    let rec = cell(
        "rec",
        2,
        5,
        vec![
            JumpIfIntCmp {
                op: CmpOp::Ne,
                a: 0,
                b: 1,
                target: 2,
            },
            Return { src: 0 },
            IntAddImm {
                dst: 2,
                a: 0,
                value: 1,
            },
            Copy { dst: 3, src: 1 },
            Call {
                dst: 4,
                cell: 0,
                args: 2,
                argc: 2,
            },
            Return { src: 4 },
        ],
    );
    let main = cell(
        "main",
        1,
        4,
        vec![
            LoadInt { dst: 1, value: 1 },
            Copy { dst: 2, src: 0 },
            Call {
                dst: 3,
                cell: 0,
                args: 1,
                argc: 2,
            },
            Return { src: 3 },
        ],
    );
    module(vec![rec, main])
}

#[test]
fn ten_thousand_calls_are_allowed_and_one_more_overflows() {
    let mut vm = VM::new(depth_module());
    assert_eq!(
        vm.call_cell_by_name("main", vec![Value::Int(9_999)]),
        Ok(Value::Int(9_999))
    );
    let err = vm
        .call_cell_by_name("main", vec![Value::Int(10_000)])
        .unwrap_err();
    assert_eq!(err.error, RtError::StackOverflow);
    assert_eq!(err.trace.len(), 10_000);
    // Innermost: the failing call in `rec`; outermost: `main`'s call.
    assert_eq!(err.trace[0].pos, Pos { line: 5, col: 1 });
    assert_eq!(err.trace[9_999].name, "main");
    let text = err.render("d.lm");
    assert!(text.contains("  ... 9965 more\n"), "{text}");
    assert_eq!(text.lines().count(), 1 + 30 + 1 + 5);
}

#[test]
fn forty_one_frames_are_truncated() {
    use Instr::*;
    // rec(d, limit) with a division by zero at the bottom (instruction 2, line 3).
    let mut m = depth_module();
    m.cells[0] = cell(
        "rec",
        2,
        5,
        vec![
            JumpIfIntCmp {
                op: CmpOp::Ne,
                a: 0,
                b: 1,
                target: 3,
            },
            LoadInt { dst: 4, value: 0 },
            IntDiv { dst: 4, a: 0, b: 4 },
            IntAddImm {
                dst: 2,
                a: 0,
                value: 1,
            },
            Copy { dst: 3, src: 1 },
            Call {
                dst: 4,
                cell: 0,
                args: 2,
                argc: 2,
            },
            Return { src: 4 },
        ],
    );
    let mut vm = VM::new(m);
    let err = vm
        .call_cell_by_name("main", vec![Value::Int(40)])
        .unwrap_err();
    assert_eq!(err.error, RtError::DivisionByZero);
    assert_eq!(err.trace.len(), 41);
    let text = err.render("x.lm");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "error: division by zero");
    assert_eq!(lines[1], "  at rec (x.lm:3:1)");
    assert_eq!(lines[2], "  at rec (x.lm:6:1)");
    assert_eq!(lines[31], "  ... 6 more");
    assert_eq!(lines[36], "  at main (x.lm:3:1)");
    let err = vm
        .call_cell_by_name("main", vec![Value::Int(39)])
        .unwrap_err();
    assert_eq!(err.render("x.lm").lines().count(), 41);
}

#[test]
fn print_halt_and_exit() {
    use Instr::*;
    let mut m = module(vec![cell(
        "main",
        0,
        5,
        vec![
            LoadInt { dst: 0, value: 1 },
            LoadConst { dst: 1, idx: 0 },
            LoadFloat { dst: 2, value: 2.0 },
            CallBuiltin {
                dst: 3,
                builtin: Builtin::Print,
                args: 0,
                argc: 3,
            },
            LoadConst { dst: 4, idx: 1 },
            Halt { msg: 4 },
        ],
    )]);
    m.consts = vec![Value::str("a"), Value::str("bad input")];
    let sink = crate::Captured::default();
    let mut vm = VM::new(m);
    vm.set_stdout(Box::new(sink.clone()));
    let err = vm.call_cell_by_name("main", vec![]).unwrap_err();
    assert_eq!(sink.text(), "1 a 2.0\n");
    assert_eq!(err.error, RtError::Halt("bad input".into()));
    assert_eq!(
        err.render("h.lm"),
        "error: bad input\n  at main (h.lm:6:1)\n"
    );

    let exit = |code: i64| {
        let m = module(vec![cell(
            "main",
            0,
            2,
            vec![
                LoadInt {
                    dst: 0,
                    value: code,
                },
                CallBuiltin {
                    dst: 1,
                    builtin: Builtin::Exit,
                    args: 0,
                    argc: 1,
                },
                Return { src: 1 },
            ],
        )]);
        VM::new(m).call_cell_by_name("main", vec![]).unwrap_err()
    };
    assert_eq!(exit(3).exit_code(), Some(3));
    assert_eq!(exit(256).error, RtError::InvalidArgument("exit"));
    assert_eq!(exit(-1).error, RtError::InvalidArgument("exit"));
}

/// `xs = append(xs, i)` with a moved list: 200,000 appends must be fast (linear).
#[test]
fn append_loop_is_in_place() {
    use Instr::*;
    let main = cell(
        "build",
        1,
        6,
        vec![
            ListNew {
                dst: 1,
                args: 2,
                argc: 0,
            },
            LoadInt { dst: 2, value: 0 }, // i
            JumpIfIntCmp {
                op: CmpOp::Ge,
                a: 2,
                b: 0,
                target: 9,
            },
            Move { dst: 3, src: 1 },
            Copy { dst: 4, src: 2 },
            CallBuiltin {
                dst: 1,
                builtin: Builtin::Append,
                args: 3,
                argc: 2,
            },
            IntAddImm {
                dst: 2,
                a: 2,
                value: 1,
            },
            Jump { target: 2 },
            Return { src: 1 },
            ListLen { dst: 5, list: 1 },
            Return { src: 5 },
        ],
    );
    let mut m = module(vec![main]);
    // Jump target 9 is the ListLen.
    m.cells[0].code[2] = JumpIfIntCmp {
        op: CmpOp::Ge,
        a: 2,
        b: 0,
        target: 9,
    };
    let start = std::time::Instant::now();
    let mut vm = VM::new(m);
    assert_eq!(
        vm.call_cell_by_name("build", vec![Value::Int(200_000)]),
        Ok(Value::Int(200_000))
    );
    assert!(
        start.elapsed().as_secs() < 5,
        "append is not amortised O(1)"
    );
}

#[test]
fn string_concat_in_place_and_indexing() {
    use Instr::*;
    let mut m = module(vec![cell(
        "s",
        0,
        5,
        vec![
            LoadConst { dst: 0, idx: 0 },
            LoadConst { dst: 1, idx: 1 },
            StrConcat { dst: 0, a: 0, b: 1 },
            StrConcat { dst: 0, a: 0, b: 0 },
            LoadInt { dst: 2, value: 2 },
            StrIndex {
                dst: 3,
                s: 0,
                idx: 2,
            },
            StrConcat { dst: 4, a: 0, b: 3 },
            Return { src: 4 },
        ],
    )]);
    m.consts = vec![Value::str("hé"), Value::str("!")];
    let mut vm = VM::new(m);
    assert_eq!(vm.call_cell_by_name("s", vec![]), Ok(Value::str("hé!hé!!")));
}

#[test]
fn lists_maps_records_variants() {
    use Instr::*;
    let mut m = module(vec![cell(
        "main",
        0,
        12,
        vec![
            LoadInt { dst: 0, value: 1 },
            LoadInt { dst: 1, value: 2 },
            ListNew {
                dst: 2,
                args: 0,
                argc: 2,
            },
            Copy { dst: 3, src: 2 }, // shared copy: the set must not be visible here
            LoadInt { dst: 4, value: 1 },
            LoadInt { dst: 5, value: 9 },
            ListSet {
                list: 2,
                idx: 4,
                src: 5,
            },
            LoadConst { dst: 6, idx: 0 },
            MapNew {
                dst: 7,
                args: 5,
                pairs: 0,
            },
            MapSet {
                map: 7,
                key: 6,
                src: 3,
            },
            Copy { dst: 8, src: 2 },
            Copy { dst: 9, src: 7 },
            RecordNew {
                dst: 10,
                type_id: 0,
                args: 8,
            },
            VariantNew {
                dst: 11,
                type_id: 1,
                tag: 0,
                args: 10,
            },
            CallBuiltin {
                dst: 0,
                builtin: Builtin::ToString,
                args: 11,
                argc: 1,
            },
            Return { src: 0 },
        ],
    )]);
    m.consts = vec![Value::str("k")];
    m.types.defs = vec![
        TypeDef::Record {
            name: "R".into(),
            fields: vec!["xs".into(), "m".into()],
        },
        TypeDef::Enum {
            name: "E".into(),
            variants: vec![lumen_core::lir::VariantDef {
                name: "Wrap".into(),
                arity: 1,
            }],
        },
    ];
    let mut vm = VM::new(m);
    assert_eq!(
        vm.call_cell_by_name("main", vec![]),
        Ok(Value::str(r#"Wrap(R(xs: [1, 9], m: {"k": [1, 2]}))"#))
    );
}

#[test]
fn index_key_and_null_errors() {
    use Instr::*;
    let run = |code: Vec<Instr>| {
        let mut m = module(vec![cell("main", 0, 4, code)]);
        m.consts = vec![Value::str("k")];
        VM::new(m)
            .call_cell_by_name("main", vec![])
            .map_err(|e| e.error)
    };
    let list_get = |i: i64| {
        run(vec![
            ListNew {
                dst: 0,
                args: 0,
                argc: 0,
            },
            LoadInt { dst: 1, value: i },
            ListGet {
                dst: 2,
                list: 0,
                idx: 1,
            },
            Return { src: 2 },
        ])
    };
    assert_eq!(list_get(0), Err(RtError::IndexOutOfBounds));
    assert_eq!(list_get(-1), Err(RtError::IndexOutOfBounds));
    assert_eq!(
        run(vec![
            MapNew {
                dst: 0,
                args: 0,
                pairs: 0
            },
            LoadConst { dst: 1, idx: 0 },
            MapGet {
                dst: 2,
                map: 0,
                key: 1
            },
            Return { src: 2 },
        ]),
        Err(RtError::KeyNotFound)
    );
    assert_eq!(
        run(vec![
            LoadNull { dst: 0 },
            Unwrap { dst: 1, src: 0 },
            Return { src: 1 }
        ]),
        Err(RtError::NullValue)
    );
    assert_eq!(run(vec![NoMatch]), Err(RtError::NoMatchArm));
    assert_eq!(
        run(vec![
            LoadInt {
                dst: 0,
                value: i64::MAX
            },
            IntAddImm {
                dst: 1,
                a: 0,
                value: 1
            },
            Return { src: 1 },
        ]),
        Err(RtError::IntegerOverflow)
    );
}

#[test]
fn wrong_register_tag_is_an_internal_error() {
    use Instr::*;
    let m = module(vec![cell(
        "main",
        0,
        3,
        vec![
            LoadFloat { dst: 0, value: 1.0 },
            IntAdd { dst: 1, a: 0, b: 0 },
            Return { src: 1 },
        ],
    )]);
    let err = VM::new(m).call_cell_by_name("main", vec![]).unwrap_err();
    assert!(matches!(err.error, RtError::Internal(_)));
}

#[test]
fn invalid_modules_are_rejected_not_run() {
    use Instr::*;
    let bad_reg = module(vec![cell("main", 0, 1, vec![Return { src: 5 }])]);
    let no_end = module(vec![cell("main", 0, 1, vec![LoadNull { dst: 0 }])]);
    let bad_jump = module(vec![cell("main", 0, 1, vec![Jump { target: 9 }])]);
    for m in [bad_reg, no_end, bad_jump] {
        let err = VM::new(m).call_cell_by_name("main", vec![]).unwrap_err();
        assert!(matches!(err.error, RtError::Internal(_)), "{err:?}");
    }
}

/// `map(xs, f)` where `f` divides by its argument: the error inside the lambda is
/// traced through the builtin call.
#[test]
fn higher_order_builtins_reenter_the_vm() {
    use Instr::*;
    let mut lambda = cell(
        "<lambda>",
        1,
        3,
        vec![
            LoadInt { dst: 1, value: 12 },
            IntDiv { dst: 2, a: 1, b: 0 },
            Return { src: 2 },
        ],
    );
    lambda.kind = CellKind::Lambda;
    let main = cell(
        "main",
        1,
        4,
        vec![
            Move { dst: 1, src: 0 },
            MakeClosure {
                dst: 2,
                cell: 0,
                args: 2,
                argc: 0,
            },
            CallBuiltin {
                dst: 3,
                builtin: Builtin::Map,
                args: 1,
                argc: 2,
            },
            Return { src: 3 },
        ],
    );
    let mut vm = VM::new(module(vec![lambda, main]));
    let ints = |xs: &[i64]| Value::list(xs.iter().map(|&x| Value::Int(x)).collect());
    assert_eq!(
        vm.call_cell_by_name("main", vec![ints(&[1, 2, 3])]),
        Ok(ints(&[12, 6, 4]))
    );
    let err = vm
        .call_cell_by_name("main", vec![ints(&[1, 0])])
        .unwrap_err();
    assert_eq!(
        err.render("m.lm"),
        "error: division by zero\n  at <lambda> (m.lm:2:1)\n  at main (m.lm:3:1)\n"
    );
}

#[test]
fn read_line_and_args() {
    use Instr::*;
    let m = module(vec![cell(
        "main",
        0,
        3,
        vec![
            CallBuiltin {
                dst: 0,
                builtin: Builtin::ReadLine,
                args: 0,
                argc: 0,
            },
            CallBuiltin {
                dst: 1,
                builtin: Builtin::ReadLine,
                args: 0,
                argc: 0,
            },
            CallBuiltin {
                dst: 2,
                builtin: Builtin::Args,
                args: 0,
                argc: 0,
            },
            TupleNew {
                dst: 0,
                args: 0,
                argc: 3,
            },
            Return { src: 0 },
        ],
    )]);
    let mut vm = VM::new(m);
    vm.set_stdin(Box::new(std::io::Cursor::new(b"a\xffb\r\n".to_vec())));
    vm.set_args(vec!["x".into()]);
    assert_eq!(
        vm.call_cell_by_name("main", vec![]),
        Ok(Value::tuple(vec![
            Value::str("a\u{FFFD}b"),
            Value::Null,
            Value::list(vec![Value::str("x")])
        ]))
    );
}

#[test]
fn run_main_prints_a_non_null_result() {
    use Instr::*;
    let m = module(vec![cell(
        "main",
        0,
        1,
        vec![LoadFloat { dst: 0, value: 1.5 }, Return { src: 0 }],
    )]);
    let sink = crate::Captured::default();
    let mut vm = VM::new(m);
    vm.set_stdout(Box::new(sink.clone()));
    assert_eq!(vm.run_main(), Ok(()));
    assert_eq!(sink.text(), "1.5\n");
}

/// `rec(d) = map([d], fn(x) => rec(x))` never stops: every second frame is entered from
/// Rust through `map`, and the 10,001st call must still be a clean `stack overflow`.
#[test]
fn deep_recursion_through_map_overflows_cleanly() {
    let err = crate::run_on_big_stack(|| {
        use Instr::*;
        let rec = cell(
            "rec",
            1,
            6,
            vec![
                Copy { dst: 4, src: 0 },
                ListNew {
                    dst: 1,
                    args: 4,
                    argc: 1,
                },
                MakeClosure {
                    dst: 2,
                    cell: 1,
                    args: 5,
                    argc: 0,
                },
                CallBuiltin {
                    dst: 3,
                    builtin: Builtin::Map,
                    args: 1,
                    argc: 2,
                },
                Return { src: 3 },
            ],
        );
        let mut lambda = cell(
            "<lambda>",
            1,
            2,
            vec![
                Call {
                    dst: 1,
                    cell: 0,
                    args: 0,
                    argc: 1,
                },
                Return { src: 1 },
            ],
        );
        lambda.kind = CellKind::Lambda;
        let mut vm = VM::new(module(vec![rec, lambda]));
        let err = vm
            .call_cell_by_name("rec", vec![Value::Int(0)])
            .unwrap_err();
        (err.error, err.trace.len(), err.trace[0].name.clone())
    });
    assert_eq!(
        err,
        (RtError::StackOverflow, 10_000, "<lambda>".to_string())
    );
}

#[test]
fn ops_stay_small() {
    assert!(std::mem::size_of::<code::Op>() <= 24);
}

/// A jump into the middle of a fusable pair keeps both instructions separate.
#[test]
fn fusion_respects_jump_targets() {
    use Instr::*;
    // r1 = 5; if r0 == 0 jump to the add (skipping the load) else fall into it.
    let c = cell(
        "f",
        1,
        3,
        vec![
            LoadInt { dst: 1, value: 5 },
            JumpIfIntCmp {
                op: CmpOp::Eq,
                a: 0,
                b: 1,
                target: 4,
            },
            LoadInt { dst: 1, value: 7 },
            Jump { target: 4 },
            IntMod { dst: 2, a: 0, b: 1 },
            Return { src: 2 },
        ],
    );
    let code = code::translate(&c);
    assert_eq!(code.ops.len(), 5, "{:?}", code.ops);
    let mut vm = VM::new(module(vec![c]));
    assert_eq!(vm.call_cell(0, vec![Value::Int(5)]), Ok(Value::Int(0)));
    assert_eq!(vm.call_cell(0, vec![Value::Int(9)]), Ok(Value::Int(2)));
}

/// Fused constant ops still write the constant's register (it may be read again).
#[test]
fn fused_constants_are_still_stored() {
    use Instr::*;
    let c = cell(
        "f",
        1,
        4,
        vec![
            LoadInt { dst: 1, value: 3 },
            IntMul { dst: 2, a: 0, b: 1 },
            IntAdd { dst: 3, a: 2, b: 1 },
            Return { src: 3 },
        ],
    );
    assert_eq!(code::translate(&c).ops.len(), 3);
    let mut vm = VM::new(module(vec![c]));
    assert_eq!(vm.call_cell(0, vec![Value::Int(4)]), Ok(Value::Int(15)));
}

/// `xs[1] = xs` stores the old list (value semantics), not a reference to itself.
#[test]
fn list_set_of_itself_stores_the_old_value() {
    use Instr::*;
    let c = cell(
        "f",
        0,
        4,
        vec![
            LoadInt { dst: 2, value: 1 },
            LoadInt { dst: 3, value: 2 },
            ListNew {
                dst: 0,
                args: 2,
                argc: 2,
            },
            LoadInt { dst: 1, value: 1 },
            ListSet {
                list: 0,
                idx: 1,
                src: 0,
            },
            Return { src: 0 },
        ],
    );
    let mut vm = VM::new(module(vec![c]));
    let inner = Value::list(vec![Value::Int(1), Value::Int(2)]);
    assert_eq!(
        vm.call_cell(0, vec![]),
        Ok(Value::list(vec![Value::Int(1), inner]))
    );
}

/// A function value from outside naming a missing cell is an internal error, not a panic.
#[test]
fn foreign_function_values_are_checked() {
    use Instr::*;
    let c = cell(
        "apply",
        1,
        2,
        vec![
            CallValue {
                dst: 1,
                callee: 0,
                args: 1,
                argc: 0,
            },
            Return { src: 1 },
        ],
    );
    let mut vm = VM::new(module(vec![c]));
    let bogus = Value::Fn(Rc::new(lumen_core::value::Closure {
        cell: 99,
        captures: vec![],
    }));
    let err = vm.call_cell(0, vec![bogus]).unwrap_err();
    assert!(matches!(err.error, RtError::Internal(_)), "{err:?}");
}

/// A builtin that only reads its argument (`len`) still releases it: the caller's map is
/// unique again, so the following `MapSet` does not copy it.
#[test]
fn builtin_arguments_are_released() {
    use Instr::*;
    let mut m = module(vec![cell(
        "f",
        0,
        5,
        vec![
            MapNew {
                dst: 0,
                args: 1,
                pairs: 0,
            },
            Copy { dst: 1, src: 0 },
            CallBuiltin {
                dst: 2,
                builtin: Builtin::LenMap,
                args: 1,
                argc: 1,
            },
            LoadConst { dst: 3, idx: 0 },
            MapSet {
                map: 0,
                key: 3,
                src: 2,
            },
            Return { src: 1 },
        ],
    )]);
    m.consts = vec![Value::str("k")];
    let mut vm = VM::new(m);
    // Register 1 was released by the call, so the function returns null.
    assert_eq!(vm.call_cell(0, vec![]), Ok(Value::Null));
}

#[test]
fn unchecked_list_reads_read_and_report_a_wrong_proof() {
    use Instr::*;
    let run = |i: i64| {
        let code = vec![
            LoadInt { dst: 0, value: 7 },
            ListNew {
                dst: 1,
                args: 0,
                argc: 1,
            },
            LoadInt { dst: 2, value: i },
            ListGetUnchecked {
                dst: 3,
                list: 1,
                idx: 2,
            },
            Return { src: 3 },
        ];
        VM::new(module(vec![cell("main", 0, 4, code)]))
            .call_cell_by_name("main", vec![])
            .map_err(|e| e.error)
    };
    assert!(matches!(run(0), Ok(Value::Int(7))));
    // An optimiser bug must not read out of bounds; the VM reports it as internal.
    assert_eq!(
        run(1),
        Err(RtError::Internal(
            "unchecked list read out of bounds".into()
        ))
    );
}

/// `xs[i] *= e` fused into one op: copy-on-write of a shared list, temporaries written.
#[test]
fn fused_float_update_keeps_value_semantics() {
    use Instr::*;
    let c = cell(
        "f",
        0,
        9,
        vec![
            LoadFloat { dst: 7, value: 1.0 },
            LoadFloat { dst: 8, value: 2.0 },
            ListNew {
                dst: 0,
                args: 7,
                argc: 2,
            },
            Copy { dst: 1, src: 0 },
            LoadInt { dst: 2, value: 1 },
            LoadFloat {
                dst: 3,
                value: 10.0,
            },
            ListGet {
                dst: 4,
                list: 0,
                idx: 2,
            },
            FloatMul { dst: 5, a: 4, b: 3 },
            ListSet {
                list: 0,
                idx: 2,
                src: 5,
            },
            TupleNew {
                dst: 6,
                args: 0,
                argc: 2,
            },
            Return { src: 6 },
        ],
    );
    assert!(translates_to(&c, |op| matches!(
        op,
        code::Op::FloatUpdate { .. }
    )));
    let mut vm = VM::new(module(vec![c]));
    let fl = |xs: &[f64]| Value::list(xs.iter().map(|&x| Value::Float(x)).collect());
    assert_eq!(
        vm.call_cell(0, vec![]),
        Ok(Value::tuple(vec![fl(&[1.0, 20.0]), fl(&[1.0, 2.0])]))
    );
}

/// `t = move xs; xs = append(t, v)` fused into one op: the list grows where it is, a
/// shared one is copied first (the other reference keeps its elements), and the pair
/// is left null.
#[test]
fn fused_append_to_keeps_value_semantics() {
    use Instr::*;
    let push = |value| {
        [
            LoadInt { dst: 4, value },
            Move { dst: 3, src: 1 },
            CallBuiltin {
                dst: 1,
                builtin: Builtin::Append,
                args: 3,
                argc: 2,
            },
        ]
    };
    let mut code = vec![ListNew {
        dst: 1,
        args: 1,
        argc: 0,
    }];
    code.extend(push(7));
    code.extend(push(8));
    code.push(Copy { dst: 5, src: 1 });
    code.extend(push(9));
    code.extend([
        Move { dst: 6, src: 1 },
        Move { dst: 7, src: 5 },
        Move { dst: 8, src: 3 },
        TupleNew {
            dst: 0,
            args: 6,
            argc: 3,
        },
        Return { src: 0 },
    ]);
    let c = cell("f", 0, 9, code);
    assert!(translates_to(&c, |op| matches!(
        op,
        code::Op::AppendTo { .. }
    )));
    let mut vm = VM::new(module(vec![c]));
    let ints = |xs: &[i64]| Value::list(xs.iter().map(|&x| Value::Int(x)).collect());
    assert_eq!(
        vm.call_cell(0, vec![]),
        Ok(Value::tuple(vec![
            ints(&[7, 8, 9]),
            ints(&[7, 8]),
            Value::Null
        ]))
    );
}

/// `y = 2.0 - xs[i]` fused into one op; an out-of-bounds read still reports the read.
#[test]
fn fused_list_float_read() {
    use Instr::*;
    let c = cell(
        "f",
        1,
        7,
        vec![
            LoadFloat { dst: 5, value: 1.5 },
            ListNew {
                dst: 1,
                args: 5,
                argc: 1,
            },
            LoadFloat { dst: 2, value: 2.0 },
            ListGet {
                dst: 3,
                list: 1,
                idx: 0,
            },
            FloatSub { dst: 4, a: 2, b: 3 },
            Return { src: 4 },
        ],
    );
    assert!(translates_to(&c, |op| matches!(
        op,
        code::Op::ListFloat { .. }
    )));
    let mut vm = VM::new(module(vec![c]));
    assert_eq!(vm.call_cell(0, vec![Value::Int(0)]), Ok(Value::Float(0.5)));
    let err = vm.call_cell(0, vec![Value::Int(1)]).unwrap_err();
    assert_eq!(err.error, RtError::IndexOutOfBounds);
    assert_eq!(err.trace[0].pos, Pos { line: 4, col: 1 });
}

/// `p = xs[i]` followed by `xs[i] = null` (a read of an element that is stored back
/// later) fused into one op that moves the element out; a shared list is copied first,
/// and an out-of-bounds read still reports the read.
#[test]
fn fused_list_take_moves_the_element_out() {
    use Instr::*;
    let c = cell(
        "f",
        1,
        11,
        vec![
            LoadInt { dst: 5, value: 10 },
            LoadInt { dst: 6, value: 20 },
            ListNew {
                dst: 1,
                args: 5,
                argc: 2,
            },
            Copy { dst: 7, src: 1 },
            ListGet {
                dst: 2,
                list: 1,
                idx: 0,
            },
            LoadNull { dst: 3 },
            ListSet {
                list: 1,
                idx: 0,
                src: 3,
            },
            Move { dst: 8, src: 2 },
            Move { dst: 9, src: 1 },
            Move { dst: 10, src: 7 },
            TupleNew {
                dst: 4,
                args: 8,
                argc: 3,
            },
            Return { src: 4 },
        ],
    );
    assert!(translates_to(&c, |op| matches!(
        op,
        code::Op::ListTake { .. }
    )));
    let mut vm = VM::new(module(vec![c]));
    let list = |xs: Vec<Value>| Value::list(xs);
    assert_eq!(
        vm.call_cell(0, vec![Value::Int(1)]),
        Ok(Value::tuple(vec![
            Value::Int(20),
            list(vec![Value::Int(10), Value::Null]),
            list(vec![Value::Int(10), Value::Int(20)]),
        ]))
    );
    let err = vm.call_cell(0, vec![Value::Int(2)]).unwrap_err();
    assert_eq!(err.error, RtError::IndexOutOfBounds);
    assert_eq!(err.trace[0].pos, Pos { line: 5, col: 1 });
}

/// String comparison is byte-wise for every pair, one-byte strings (compared without
/// `memcmp`) included.
#[test]
fn string_comparisons_order_bytes() {
    let strs = [
        "", "\0", "0", "9", ";", "a", "b", "ab", "ba", "é", "\u{7f}", "\u{80}",
    ];
    for x in strs {
        for y in strs {
            let o = x.as_bytes().cmp(y.as_bytes());
            let want = [
                o.is_eq(),
                o.is_ne(),
                o.is_lt(),
                o.is_le(),
                o.is_gt(),
                o.is_ge(),
            ];
            for (op, want) in CmpOp::ALL.into_iter().zip(want) {
                assert_eq!(super::exec::str_cmp(op, x, y), want, "{x:?} {op:?} {y:?}");
            }
        }
    }
}
