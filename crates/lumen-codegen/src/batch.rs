//! Compiling a batch of functions already built as Cranelift IR into machine code, on
//! two threads when the batch is big enough to repay starting one.
//!
//! Building the IR needs the module (declarations, the LIR with its `Rc` values) and
//! stays on the calling thread; Cranelift's compilation of one function is independent
//! of every other and works on plain data, so the functions of a batch (every cell of a
//! module under `--tier jit`, a tiering batch of a cell and its callees) are split in
//! two halves of about equal size, one compiled on a scoped worker thread. The machine
//! code is then defined in the module in the batch's order, on the calling thread.

use crate::jit::{JitError, Tuning, host_isa};
use cranelift_codegen::Context;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::Function;
use cranelift_module::{FuncId, Module, ModuleReloc};
use std::sync::OnceLock;

/// Instructions the smaller half of a batch needs for a second thread to pay off: a
/// thread costs some tens of microseconds to start, Cranelift about a microsecond per
/// instruction.
const PARALLEL_MIN: usize = 400;

/// A function built as Cranelift IR, to compile and define as `func`.
pub(crate) struct Built {
    pub func: FuncId,
    /// What to call it in errors (its cell's name).
    pub name: String,
    pub tuning: Tuning,
    pub ir: Function,
}

/// Machine code for `func`, ready to define.
struct Compiled {
    func: FuncId,
    align: u64,
    code: Vec<u8>,
    relocs: Vec<ModuleReloc>,
}

/// Compiles every function of `batch` (with `ctx`, the caller's reusable context, for
/// the calling thread's share) and defines them in `module`.
pub(crate) fn define_batch<M: Module>(
    module: &mut M,
    ctx: &mut Context,
    batch: Vec<Built>,
) -> Result<(), JitError> {
    let (here, there) = split(batch);
    let compiled = if there.is_empty() {
        compile_all(ctx, here)
    } else {
        std::thread::scope(|s| {
            let worker = std::thread::Builder::new()
                .name("lumen-jit".into())
                .spawn_scoped(s, move || compile_all(&mut Context::new(), there));
            let mine = compile_all(ctx, here);
            let theirs = match worker {
                Ok(w) => w
                    .join()
                    .unwrap_or_else(|_| Err(JitError::Codegen("compile thread panicked".into()))),
                Err(e) => Err(JitError::Codegen(format!("no compile thread: {e}"))),
            };
            let mut all = mine?;
            all.extend(theirs?);
            Ok(all)
        })
    }?;
    for c in compiled {
        module
            .define_function_bytes(c.func, c.align, &c.code, &c.relocs)
            .map_err(|e| JitError::Codegen(format!("{e:?}")))?;
    }
    Ok(())
}

/// The batch in two shares: all of it and nothing when it is too small to split, else
/// two halves of about equal instruction counts (largest functions first, each to the
/// lighter half).
fn split(mut batch: Vec<Built>) -> (Vec<Built>, Vec<Built>) {
    let size = |b: &Built| b.ir.dfg.num_insts();
    // Too small to split whatever the host: decided before asking it (the question
    // reads files; a program's first, small batch need not pay for it).
    let total: usize = batch.iter().map(size).sum();
    if batch.len() < 2 || total < 2 * PARALLEL_MIN || !parallel() {
        return (batch, Vec::new());
    }
    batch.sort_by_key(|b| std::cmp::Reverse(size(b)));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let (mut sa, mut sb) = (0, 0);
    for f in batch {
        if sa <= sb {
            sa += size(&f);
            a.push(f);
        } else {
            sb += size(&f);
            b.push(f);
        }
    }
    if sa.min(sb) < PARALLEL_MIN {
        a.extend(b);
        return (a, Vec::new());
    }
    (a, b)
}

/// Whether the host runs two threads at once: asked once (Linux answers from the
/// cgroup files and the affinity mask, which costs more than compiling a small cell).
fn parallel() -> bool {
    static PARALLEL: OnceLock<bool> = OnceLock::new();
    *PARALLEL.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

fn compile_all(ctx: &mut Context, batch: Vec<Built>) -> Result<Vec<Compiled>, JitError> {
    batch.into_iter().map(|b| compile(ctx, b)).collect()
}

/// Compiles one function with `ctx`, left clear for the next. The function moves into
/// the context and stays there, cleared, so a later build into the context (the
/// thread's reused scratch state: `jit::Functions`) reuses its allocations.
fn compile(ctx: &mut Context, built: Built) -> Result<Compiled, JitError> {
    let fail = |e: String| JitError::Codegen(format!("{}: {e}", built.name));
    let isa = host_isa(built.tuning)?;
    ctx.clear();
    ctx.func = built.ir;
    let res = match ctx.compile(&*isa, &mut ControlPlane::default()) {
        Ok(_) => {
            let code = ctx.compiled_code().expect("just compiled");
            let relocs = code
                .buffer
                .relocs()
                .iter()
                .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, built.func))
                .collect();
            Ok(Compiled {
                func: built.func,
                align: u64::from(code.buffer.alignment),
                code: code.code_buffer().to_vec(),
                relocs,
            })
        }
        Err(e) => Err(format!("{:?}", e.inner)),
    };
    ctx.clear();
    res.map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::new_module;
    use crate::opt::OptLevel;
    use cranelift_codegen::ir::{AbiParam, InstBuilder, Signature, types};
    use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
    use cranelift_module::Linkage;

    /// A function returning `value` after `filler` dead constants (its size).
    fn returning(module: &impl Module, value: i64, filler: usize) -> Function {
        let mut sig = Signature::new(module.isa().default_call_conv());
        sig.returns.push(AbiParam::new(types::I64));
        let mut f = Function::new();
        f.signature = sig;
        let mut fctx = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut f, &mut fctx);
        let block = b.create_block();
        b.switch_to_block(block);
        for k in 0..filler {
            b.ins().iconst(types::I64, k as i64);
        }
        let v = b.ins().iconst(types::I64, value);
        b.ins().return_(&[v]);
        b.seal_all_blocks();
        b.finalize(module.target_config());
        f
    }

    fn built(module: &mut impl Module, value: i64, filler: usize) -> Built {
        let ir = returning(module, value, filler);
        let func = module
            .declare_function(&format!("f{value}"), Linkage::Local, &ir.signature)
            .expect("declares");
        Built {
            func,
            name: format!("f{value}"),
            tuning: Tuning::Speed,
            ir,
        }
    }

    #[test]
    fn small_batches_stay_whole_and_big_ones_split_evenly() {
        let mut m = new_module(OptLevel::O1).expect("host supported");
        let small: Vec<Built> = (0..3).map(|k| built(&mut m, k, 50)).collect();
        let (a, b) = split(small);
        assert_eq!((a.len(), b.len()), (3, 0));
        let sizes = [900, 700, 500, 400, 300, 10];
        let big: Vec<Built> = sizes
            .iter()
            .enumerate()
            .map(|(k, &n)| built(&mut m, 10 + k as i64, n))
            .collect();
        let (a, b) = split(big);
        if parallel() {
            let size = |h: &[Built]| h.iter().map(|f| f.ir.dfg.num_insts()).sum::<usize>();
            let (sa, sb) = (size(&a), size(&b));
            // Greedy, largest first: the halves differ by at most the largest function.
            let largest = a.iter().chain(&b).map(|f| f.ir.dfg.num_insts()).max();
            assert!(sa.min(sb) >= PARALLEL_MIN, "{sa} {sb}");
            assert!(Some(sa.abs_diff(sb)) <= largest, "{sa} {sb}");
        }
        let mut names: Vec<String> = a.iter().chain(&b).map(|f| f.name.clone()).collect();
        names.sort();
        assert_eq!(names, ["f10", "f11", "f12", "f13", "f14", "f15"]);
    }

    #[test]
    fn a_split_batch_defines_every_function() {
        let mut m = new_module(OptLevel::O1).expect("host supported");
        let batch: Vec<Built> = (0..6).map(|k| built(&mut m, 100 + k, 400)).collect();
        let ids: Vec<FuncId> = batch.iter().map(|b| b.func).collect();
        let mut ctx = Context::new();
        define_batch(&mut m, &mut ctx, batch).expect("compiles");
        m.finalize_definitions().expect("finalizes");
        for (k, id) in ids.into_iter().enumerate() {
            let p = m.get_finalized_function(id);
            // SAFETY: `p` is the finalized code of a function taking nothing and
            // returning an i64 in the host's C convention; `m` lives on.
            let f = unsafe { std::mem::transmute::<*const u8, extern "C" fn() -> i64>(p) };
            assert_eq!(f(), 100 + k as i64);
        }
    }
}
