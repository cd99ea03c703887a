//! Property test: random LIR over Int and list registers — element reads and writes
//! (out of range ones included), lengths, lists copied (shared, so the next write copies
//! it) and moved out (leaving null), forward branches, and loops entered at their
//! header or in the middle — gives the same result, or the same error with the same
//! trace, natively (O1, O3, and tiered at threshold 1, which enters loops through
//! on-stack replacement) as in the interpreter. It exercises what native code keeps
//! about a list between instructions, blocks and loop iterations (`ir.rs`).

use lumen_codegen::opt::optimize;
use lumen_codegen::{JitCompiler, OptLevel, tiered_vm};
use lumen_core::builtins::Builtin;
mod generated;

use lumen_core::lir::{Cell, CmpOp, Instr, LirModule, Reg, RegTy};
use lumen_rt::VM;
use proptest::prelude::*;

/// Int registers 0..4, list registers 4..6, loop counters 6 and 7, the loop bound 8,
/// the elements of a new list 9..12 (`ListNew` moves them), the display run 12..18 (so
/// does `StrBuild`), the result 18, the arguments of a call 19 (a list) and 20; then
/// Float registers 21 and 22, Float list registers 23 and 24, the elements of a new
/// Float list 25..28, and the final display run 28..31 (the Int part's result and the
/// Float lists) with its result 31.
const INTS: u32 = 4;
const LISTS: u32 = 2;
const COUNTERS: [Reg; 2] = [6, 7];
const BOUND: Reg = 8;
const ELEMS: Reg = 9;
const RUN: Reg = 12;
const RESULT: Reg = RUN + INTS + LISTS;
const ARGS: Reg = RESULT + 1;
const FLOATS: Reg = ARGS + 2;
const FLISTS: Reg = FLOATS + 2;
const FELEMS: Reg = FLISTS + 2;
const FRUN: Reg = FELEMS + 3;
const FRESULT: Reg = FRUN + 3;

fn int_reg() -> impl Strategy<Value = Reg> {
    0..INTS
}

fn list_reg() -> impl Strategy<Value = Reg> {
    INTS..INTS + LISTS
}

/// One random instruction (jumps are added separately).
fn instr() -> impl Strategy<Value = Instr> {
    let (i, l) = (int_reg, list_reg);
    prop_oneof![
        4 => (i(), -2i64..5).prop_map(|(dst, value)| Instr::LoadInt { dst, value }),
        4 => (i(), i(), i()).prop_map(|(dst, a, b)| Instr::IntAdd { dst, a, b }),
        2 => (i(), i(), -1i64..3).prop_map(|(dst, a, value)| Instr::IntAddImm { dst, a, value }),
        6 => (i(), l(), i()).prop_map(|(dst, list, idx)| Instr::ListGet { dst, list, idx }),
        6 => (l(), i(), i()).prop_map(|(list, idx, src)| Instr::ListSet { list, idx, src }),
        3 => (i(), l()).prop_map(|(dst, list)| Instr::ListLen { dst, list }),
        2 => (l(), l()).prop_map(|(dst, src)| Instr::Copy { dst, src }),
        1 => (l(), l()).prop_map(|(dst, src)| Instr::Move { dst, src }),
        3 => (fl(), i(), f()).prop_map(|(list, idx, src)| Instr::ListSet { list, idx, src }),
        3 => (f(), fl(), i()).prop_map(|(dst, list, idx)| Instr::ListGet { dst, list, idx }),
        1 => (i(), fl()).prop_map(|(dst, list)| Instr::ListLen { dst, list }),
        1 => (fl(), fl()).prop_map(|(dst, src)| Instr::Copy { dst, src }),
        1 => (f(), f(), f()).prop_map(|(dst, a, b)| Instr::FloatAdd { dst, a, b }),
        1 => (f(), i()).prop_map(|(dst, src)| Instr::IntToFloat { dst, src }),
    ]
}

fn f() -> impl Strategy<Value = Reg> {
    FLOATS..FLOATS + 2
}

fn fl() -> impl Strategy<Value = Reg> {
    FLISTS..FLISTS + 2
}

/// Instruction sequences standing for one source-level operation: `i = touch(list, j)`
/// (a call of cell 1, which writes its copy of the list and returns its length) and
/// `list = append(list, j)`.
fn compound() -> impl Strategy<Value = Vec<Instr>> {
    prop_oneof![
        (int_reg(), list_reg(), int_reg()).prop_map(|(dst, list, j)| vec![
            Instr::Copy {
                dst: ARGS,
                src: list
            },
            Instr::Copy {
                dst: ARGS + 1,
                src: j
            },
            Instr::Call {
                dst,
                cell: 1,
                args: ARGS,
                argc: 2
            },
        ]),
        (list_reg(), int_reg()).prop_map(|(list, j)| vec![
            Instr::Move {
                dst: ARGS,
                src: list
            },
            Instr::Copy {
                dst: ARGS + 1,
                src: j
            },
            Instr::CallBuiltin {
                dst: list,
                builtin: Builtin::Append,
                args: ARGS,
                argc: 2
            },
        ]),
    ]
}

/// A step of a body: an instruction, a forward branch over `skip` steps, or a loop
/// around the next `len` steps (at most two loops; they may nest).
#[derive(Clone, Debug)]
enum Step {
    Ins(Instr),
    Seq(Vec<Instr>),
    Branch(CmpOp, Reg, Reg, u32),
    Loop(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        10 => instr().prop_map(Step::Ins),
        2 => compound().prop_map(Step::Seq),
        2 => (prop_oneof![Just(CmpOp::Lt), Just(CmpOp::Eq), Just(CmpOp::Ge)], int_reg(), int_reg(), 1u32..8)
            .prop_map(|(op, a, b, skip)| Step::Branch(op, a, b, skip)),
        1 => (2u32..10).prop_map(Step::Loop),
    ]
}

/// Lays out `steps` from instruction `first_pc` on: a loop is `counter = 0; head: <its
/// steps>; counter += 1; if counter < BOUND goto head` (loops may nest or overlap; each
/// runs at most BOUND times per entry, so everything ends). A branch jumps forward to the
/// start of a later step: out of a loop (past its latch), or into a loop's middle.
fn layout(steps: &[Step], first_pc: u32) -> Vec<Instr> {
    // (first step, end step, counter) of each loop.
    let mut loops: Vec<(usize, usize, Reg)> = Vec::new();
    for (k, s) in steps.iter().enumerate() {
        if let Step::Loop(len) = *s
            && loops.len() < COUNTERS.len()
        {
            let end = (k + 1 + len as usize).min(steps.len());
            loops.push((k, end, COUNTERS[loops.len()]));
        }
    }
    let mut code: Vec<Instr> = Vec::new();
    let mut start = Vec::with_capacity(steps.len() + 1);
    let mut heads = std::collections::HashMap::new();
    let mut fixups = Vec::new(); // (instruction, target step)
    for k in 0..=steps.len() {
        // The latches of the loops ending here, innermost (latest started) first.
        let mut ending: Vec<_> = loops.iter().filter(|l| l.1 == k).copied().collect();
        ending.sort_by_key(|l| std::cmp::Reverse(l.0));
        for (first, _, counter) in ending {
            code.push(Instr::IntAddImm {
                dst: counter,
                a: counter,
                value: 1,
            });
            code.push(Instr::JumpIfIntCmp {
                op: CmpOp::Lt,
                a: counter,
                b: BOUND,
                target: heads[&first],
            });
        }
        start.push(first_pc + code.len() as u32);
        let Some(s) = steps.get(k) else { break };
        match *s {
            Step::Ins(ref i) => code.push(i.clone()),
            Step::Seq(ref is) => code.extend(is.iter().cloned()),
            Step::Branch(op, a, b, skip) => {
                fixups.push((code.len(), (k + skip as usize).min(steps.len())));
                code.push(Instr::JumpIfIntCmp {
                    op,
                    a,
                    b,
                    target: 0,
                });
            }
            Step::Loop(_) => {
                if let Some(&(_, _, counter)) = loops.iter().find(|l| l.0 == k) {
                    code.push(Instr::LoadInt {
                        dst: counter,
                        value: 0,
                    });
                    heads.insert(k, first_pc + code.len() as u32);
                }
            }
        }
    }
    for (at, k) in fixups {
        if let Some(t) = code[at].jump_target_mut() {
            *t = start[k];
        }
    }
    code
}

fn module(steps: &[Step]) -> LirModule {
    let mut code = Vec::new();
    for r in 0..INTS {
        code.push(Instr::LoadInt {
            dst: r,
            value: r as i64,
        });
    }
    for (k, &c) in COUNTERS.iter().enumerate() {
        code.push(Instr::LoadInt {
            dst: c,
            value: k as i64,
        });
    }
    code.push(Instr::LoadInt {
        dst: BOUND,
        value: 3,
    });
    for (k, value) in [0.5, -2.25].into_iter().enumerate() {
        code.push(Instr::LoadFloat {
            dst: FLOATS + k as Reg,
            value,
        });
    }
    // Two lists of three Ints: [0, 1, 2] and [1, 2, 3].
    for l in 0..LISTS {
        for e in 0..3 {
            code.push(Instr::LoadInt {
                dst: ELEMS + e,
                value: (l + e) as i64,
            });
        }
        code.push(Instr::ListNew {
            dst: INTS + l,
            args: ELEMS,
            argc: 3,
        });
    }
    // Two lists of three Floats: [0.5, 1.5, 2.5] and [1.5, 2.5, 3.5].
    for l in 0..2 {
        for e in 0..3 {
            code.push(Instr::LoadFloat {
                dst: FELEMS + e,
                value: (l + e) as f64 + 0.5,
            });
        }
        code.push(Instr::ListNew {
            dst: FLISTS + l,
            args: FELEMS,
            argc: 3,
        });
    }
    let first = code.len() as u32;
    code.extend(layout(steps, first));
    generated::display(&mut code, 0, INTS + LISTS, RUN, RESULT);
    code.push(Instr::Copy {
        dst: FRUN,
        src: RESULT,
    });
    for l in 0..2 {
        code.push(Instr::Copy {
            dst: FRUN + 1 + l,
            src: FLISTS + l,
        });
    }
    code.push(Instr::StrBuild {
        dst: FRESULT,
        args: FRUN,
        argc: 3,
    });
    code.push(Instr::Return { src: FRESULT });
    let mut regs = vec![RegTy::Int; INTS as usize];
    regs.extend([RegTy::List; LISTS as usize]);
    regs.extend([RegTy::Int; 3]); // counters, bound
    regs.extend([RegTy::Int; 3]); // elements
    regs.extend(vec![RegTy::Int; INTS as usize]);
    regs.extend([RegTy::List; LISTS as usize]);
    regs.push(RegTy::Str);
    regs.extend([RegTy::List, RegTy::Int]); // call arguments
    regs.extend([RegTy::Float; 2]);
    regs.extend([RegTy::List; 2]);
    regs.extend([RegTy::Float; 3]);
    regs.extend([RegTy::Str, RegTy::List, RegTy::List, RegTy::Str]);
    generated::module(vec![Cell::new("main", 0, regs, RegTy::Str, code), touch()])
}

/// Cell 1, `touch(xs: list[Int], j: Int) -> Int`: `xs[0] = j; len(xs)` (an empty list
/// fails with the VM's error).
fn touch() -> Cell {
    let code = vec![
        Instr::LoadInt { dst: 2, value: 0 },
        Instr::ListSet {
            list: 0,
            idx: 2,
            src: 1,
        },
        Instr::ListLen { dst: 3, list: 0 },
        Instr::Return { src: 3 },
    ];
    let regs = vec![RegTy::List, RegTy::Int, RegTy::Int, RegTy::Int];
    Cell::new("touch", 2, regs, RegTy::Int, code)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn native_code_behaves_like_the_interpreter(steps in proptest::collection::vec(step(), 1..22)) {
        // Native frames live on the caller's stack: run on the runtime's big stack (and
        // build the module there: it holds `Rc`s).
        let (verified, got) = lumen_rt::run_on_big_stack(move || {
            let m = module(&steps);
            let verified = lumen_core::verify::verify(&m);
            let mut got = Vec::new();
            // A register read after a `Move` emptied it breaks the contract O3 relies on
            // (a list proven to be one, `ListGetUnchecked`): such programs run at O1.
            let moves = steps
                .iter()
                .any(|s| matches!(s, Step::Ins(Instr::Move { .. })));
            let levels: &[OptLevel] = if moves {
                &[OptLevel::O1]
            } else {
                &[OptLevel::O1, OptLevel::O3]
            };
            for &level in levels {
                // The interpreter and the JIT run the same LIR (after the level's passes).
                let mut lir = m.clone();
                optimize(&mut lir, level);
                let want = generated::outcome(VM::new(lir.clone()));
                let native = JitCompiler::with_opt_level(level).compile_native(&lir);
                let res = native.map_err(|e| e.to_string()).map(|code| {
                    let mut vm = VM::new(lir);
                    // SAFETY: `code` was compiled from this very module, which the VM
                    // runs unchanged; `code.owner` keeps the machine code alive.
                    unsafe { vm.set_native(code.entries, code.owner) };
                    generated::outcome(vm)
                });
                got.push((format!("{level}"), res, want));
            }
            let want = generated::outcome(VM::new(m.clone()));
            let tiered = tiered_vm(&m, 1, OptLevel::O1).map_err(|e| e.to_string()).map(generated::outcome);
            got.push(("tiered t=1".to_string(), tiered, want));
            (verified, got)
        });
        prop_assert_eq!(verified, Ok(()));
        for (mode, res, want) in got {
            prop_assert_eq!(res, Ok(want), "{}", mode);
        }
    }
}
