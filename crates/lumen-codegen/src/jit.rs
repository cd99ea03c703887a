//! The JIT: [`JitCompiler`] compiles every cell of a module to machine code with
//! Cranelift and installs the entries in a VM, so calls run natively ([`NativeFn`],
//! [`JitCompiler::compile_module`], [`run_main`]).

use crate::batch::{Built, define_batch};
use crate::context::{CompileContext, declare_entry, helper_symbols};
use crate::emit::{Emitter, build_entry};
use crate::ir::{translate_cell, translate_entry_cell, translate_osr};
use crate::opt::OptLevel;
use crate::types::{cell_signature, entry_signature};
use cranelift_codegen::Context;
use cranelift_codegen::ir::{Function, InstBuilder};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Module, default_libcall_names};
use lumen_core::error::RtError;
use lumen_core::lir::{Cell, LirModule};
use lumen_core::value::{CellId, Value};
use lumen_rt::native::Entry;
use lumen_rt::{RuntimeError, VM};
use std::cell::RefCell;
use std::io::{BufRead, Write};
use std::rc::Rc;
use std::sync::OnceLock;

/// Why a module could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JitError {
    /// The module failed LIR verification.
    Invalid(String),
    /// The requested cell does not exist.
    NoSuchCell(CellId),
    /// Cranelift rejected the generated code, or the host is not supported.
    Codegen(String),
}

impl std::fmt::Display for JitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JitError::Invalid(why) => write!(f, "invalid LIR: {why}"),
            JitError::NoSuchCell(id) => write!(f, "no cell {id}"),
            JitError::Codegen(why) => write!(f, "code generation failed: {why}"),
        }
    }
}

impl std::error::Error for JitError {}

fn codegen<E: std::fmt::Display>(e: E) -> JitError {
    JitError::Codegen(e.to_string())
}

/// Compiles LIR modules to native code.
#[derive(Clone, Debug, Default)]
pub struct JitCompiler {
    level: OptLevel,
}

/// The native code of a module: one entry per cell, valid while `owner` lives.
pub struct NativeCode {
    /// Keeps the machine code alive (pass it to `VM::set_native`).
    pub owner: Rc<dyn std::any::Any>,
    /// The entry of each cell (indexed like the module's cells).
    pub entries: Vec<Option<Entry>>,
}

/// Machine code of one module; freed when the last user (VM or [`NativeFn`]) drops it.
struct Code {
    module: Option<JITModule>,
}

impl Drop for Code {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: `Code` is only reachable through the `Rc` a VM holds as the owner
            // of its native entries; it is dropped after the last VM using them.
            unsafe { m.free_memory() };
        }
    }
}

impl JitCompiler {
    /// A compiler at the default level (`O1`: Cranelift optimises for speed).
    pub fn new() -> JitCompiler {
        JitCompiler::default()
    }

    /// A compiler at `level` (`O0`: no Cranelift optimisation; `O1`+: speed; `O2`/`O3`
    /// also run the LIR passes of [`crate::opt`]).
    pub fn with_opt_level(level: OptLevel) -> JitCompiler {
        JitCompiler { level }
    }

    /// Compiles `module` (every cell, so calls between cells are direct native calls)
    /// and returns cell `cell` as a callable native function.
    pub fn compile_cell(&mut self, module: &LirModule, cell: CellId) -> Result<NativeFn, JitError> {
        if cell as usize >= module.cells.len() {
            return Err(JitError::NoSuchCell(cell));
        }
        let vm = self.compile_module(module)?;
        Ok(NativeFn {
            vm: Rc::new(RefCell::new(vm)),
            cell,
        })
    }

    /// Compiles every cell of `module` and returns a VM in which all of them run
    /// natively (`--tier jit`): set its arguments and streams, then `run_main`. Every
    /// cell gets an entry trampoline, so the VM enters any of them natively (`main`,
    /// function values called by builtins, `VM::call_cell` from Rust).
    pub fn compile_module(&mut self, module: &LirModule) -> Result<VM, JitError> {
        let module = prepare(module, self.level)?;
        let (code, _) = self.compile_all(&module, None)?;
        let mut vm = VM::new(module);
        // SAFETY: `code.entries[i]` was generated for cell `i` of this very module (moved
        // into the VM unchanged) following the native ABI, and `code.owner` keeps it alive.
        unsafe { vm.set_native(code.entries, code.owner) };
        Ok(vm)
    }

    /// Compiles every cell of `lir` as it is (verified, not optimised): the entries to
    /// install with `VM::set_native` in a VM running this same module.
    pub fn compile_native(&mut self, lir: &LirModule) -> Result<NativeCode, JitError> {
        self.compile_all(lir, None).map(|(code, _)| code)
    }

    /// Compiles `lir` as [`JitCompiler::compile_native`] does, plus `cell` with the cells
    /// it reaches and its on-stack-replacement entry at loop header `pc` (see
    /// `ir::translate_osr`): `fn(ctx, window, ret)` continuing a VM frame of `cell`
    /// natively. Run it with `VM::call_osr` of a VM running `lir`.
    pub fn compile_osr(
        &mut self,
        lir: &LirModule,
        cell: CellId,
        pc: u32,
    ) -> Result<(NativeCode, Entry), JitError> {
        let Some(c) = lir.cells.get(cell as usize) else {
            return Err(JitError::NoSuchCell(cell));
        };
        if pc as usize >= c.code.len() {
            return Err(JitError::Codegen(format!(
                "{} has no instruction {pc}",
                c.name
            )));
        }
        let (code, osr) = self.compile_all(lir, Some((cell, pc)))?;
        match osr {
            Some(entry) => Ok((code, entry)),
            None => Err(JitError::Codegen("no OSR entry was built".into())),
        }
    }

    /// Compiles every cell with its entry trampoline (and an OSR entry when asked).
    /// The tiering JIT ([`crate::TieredJit`]) is the one that compiles only what runs.
    fn compile_all(
        &mut self,
        lir: &LirModule,
        osr: Option<(CellId, u32)>,
    ) -> Result<(NativeCode, Option<Entry>), JitError> {
        // The generated code reads and writes `Value`s directly.
        lumen_core::value::check_layout().map_err(JitError::Codegen)?;
        lumen_core::verify::verify(lir).map_err(|errs| JitError::Invalid(errs.join("; ")))?;
        let mut module = new_module(self.level)?;
        let cx = CompileContext::declare(&mut module, lir)?;
        let mut f = Functions::new(&cx, lir, self.level);
        for id in 0..lir.cells.len() as CellId {
            f.define(&mut module, id, cx.cells[id as usize], Kind::Cell)?;
        }
        let mut entry_funcs = Vec::with_capacity(lir.cells.len());
        for id in 0..lir.cells.len() as CellId {
            entry_funcs.push(Some(f.define_entry(&mut module, id, Kind::Entry)?));
        }
        let osr_func = match osr {
            Some((id, pc)) => {
                let func = module
                    .declare_function(
                        &format!("lumen_osr_{id}_{pc}"),
                        cranelift_module::Linkage::Local,
                        &entry_signature(cx.cc),
                    )
                    .map_err(codegen)?;
                f.define(&mut module, id, func, Kind::Osr(pc))?;
                Some(func)
            }
            None => None,
        };
        f.finish(&mut module)?;
        module.finalize_definitions().map_err(codegen)?;
        let osr_entry = osr_func.map(|f| {
            let p = module.get_finalized_function(f);
            // SAFETY: the finalized code of a function with `entry_signature`.
            unsafe { std::mem::transmute::<*const u8, Entry>(p) }
        });
        let entries = entry_funcs
            .into_iter()
            .map(|f| {
                f.map(|f| {
                    let p = module.get_finalized_function(f);
                    // SAFETY: `p` is the finalized code of an entry trampoline, whose
                    // signature is `entry_signature` = `Entry` in the host's C convention.
                    unsafe { std::mem::transmute::<*const u8, Entry>(p) }
                })
            })
            .collect();
        let owner: Rc<dyn std::any::Any> = Rc::new(Code {
            module: Some(module),
        });
        Ok((NativeCode { owner, entries }, osr_entry))
    }
}

/// The verified and, at `O2`+, optimised (`crate::opt::optimize`) module to compile.
pub(crate) fn prepare(module: &LirModule, level: OptLevel) -> Result<LirModule, JitError> {
    lumen_core::verify::verify(module).map_err(|errs| JitError::Invalid(errs.join("; ")))?;
    let mut module = module.clone();
    crate::opt::optimize(&mut module, level);
    Ok(module)
}

/// A JIT module for the host; the ISA it holds is the one functions are compiled with
/// by default (`Module::define_function`), but [`Functions`] picks a [`Tuning`] per
/// function.
pub(crate) fn new_module(level: OptLevel) -> Result<JITModule, JitError> {
    let isa = host_isa(Tuning::default_of(level))?;
    let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
    for (name, addr) in helper_symbols() {
        builder.symbol(name, addr);
    }
    // One mapping for many batches (`memory.rs`); elsewhere Cranelift's provider,
    // which also keeps the instruction cache coherent.
    #[cfg(target_arch = "x86_64")]
    builder.memory_provider(Box::new(crate::memory::PagePool::new()));
    Ok(JITModule::new(builder))
}

/// How Cranelift compiles one function: its optimisation and register-allocation flags.
/// A level fixes it for cells with loops; functions whose code quality hardly depends on
/// the flags are compiled faster ([`Tuning::of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tuning {
    /// No IR optimisation and the single-pass register allocator (more moves and spills):
    /// the fastest compilation. Every function at `O0`; entry trampolines at every level.
    Quick,
    /// No IR optimisation (no e-graph pass) but the backtracking register allocator:
    /// loop-free cells at `O1`.
    Lean,
    /// Cranelift's `speed` optimisations and the backtracking register allocator.
    Speed,
}

impl Tuning {
    /// The tuning of a cell with loops at `level`.
    pub(crate) fn default_of(level: OptLevel) -> Tuning {
        if level == OptLevel::O0 {
            Tuning::Quick
        } else {
            Tuning::Speed
        }
    }

    /// The tuning of function `kind` of `cell` at `level`. An entry trampoline (a few
    /// loads, one call, a store) gains nothing from optimisation. A loop-free cell at
    /// `O1` skips the e-graph pass: after lowering from LIR it finds little to simplify
    /// there (no loop-invariant code to hoist; the benchmarks run as fast without it),
    /// and it costs about a sixth of a small cell's compile time. `O2`/`O3`, which
    /// inline and so give it more to work on, keep it.
    ///
    /// A cell of more than [`HUGE_CELL`] instructions is compiled quickly at every level:
    /// the backtracking register allocator's time grows faster than the function (a
    /// `match` of 4,000 arms took it 7 s), and such cells are generated code or tables,
    /// not inner loops.
    pub(crate) fn of(level: OptLevel, kind: Kind, cell: &Cell) -> Tuning {
        match kind {
            Kind::Entry => Tuning::Quick,
            _ if cell.code.len() > HUGE_CELL => Tuning::Quick,
            Kind::Cell | Kind::EntryCell if level == OptLevel::O1 && !has_loop(cell) => {
                Tuning::Lean
            }
            _ => Tuning::default_of(level),
        }
    }
}

/// LIR instructions above which a cell is compiled with [`Tuning::Quick`] (the
/// benchmarks' largest cells have a few hundred).
pub(crate) const HUGE_CELL: usize = 2000;

/// True when `cell` jumps backwards (a loop).
fn has_loop(cell: &Cell) -> bool {
    cell.code
        .iter()
        .enumerate()
        .any(|(pc, i)| i.jump_target().is_some_and(|t| t as usize <= pc))
}

/// The host ISA with the flags of `tuning`, built once per process and shared: an
/// `OwnedTargetIsa` is an `Arc`, and probing the host's CPU features each time is
/// needless work.
pub(crate) fn host_isa(tuning: Tuning) -> Result<OwnedTargetIsa, JitError> {
    type Built = Result<OwnedTargetIsa, String>;
    static QUICK: OnceLock<Built> = OnceLock::new();
    static LEAN: OnceLock<Built> = OnceLock::new();
    static SPEED: OnceLock<Built> = OnceLock::new();
    let isa = match tuning {
        Tuning::Quick => &QUICK,
        Tuning::Lean => &LEAN,
        Tuning::Speed => &SPEED,
    };
    isa.get_or_init(|| build_isa(tuning).map_err(|e| e.to_string()))
        .clone()
        .map_err(JitError::Codegen)
}

/// Builds the host ISA for `tuning`. Cranelift's IR verifier runs in debug builds (tests)
/// only: it costs about a fifth of the compile time and checks the code generator, not
/// user input. The pinned register holds the VM context in native code: functions read
/// it where they need it instead of keeping it in a callee-saved register across their
/// calls, and do not pass it to each other; entries set it and give the caller's value
/// back (`Emitter::ctx`, `Emitter::pin`, `Emitter::unpin`).
fn build_isa(tuning: Tuning) -> Result<OwnedTargetIsa, JitError> {
    let mut flags = settings::builder();
    let (opt, regalloc) = match tuning {
        Tuning::Quick => ("none", "single_pass"),
        Tuning::Lean => ("none", "backtracking"),
        Tuning::Speed => ("speed", "backtracking"),
    };
    flags.set("opt_level", opt).map_err(codegen)?;
    flags.set("regalloc_algorithm", regalloc).map_err(codegen)?;
    flags
        .set("use_colocated_libcalls", "false")
        .map_err(codegen)?;
    flags.set("is_pic", "false").map_err(codegen)?;
    flags.set("enable_pinned_reg", "true").map_err(codegen)?;
    let verify = if cfg!(debug_assertions) {
        "true"
    } else {
        "false"
    };
    flags.set("enable_verifier", verify).map_err(codegen)?;
    let isa = cranelift_native::builder().map_err(codegen)?;
    isa.finish(settings::Flags::new(flags)).map_err(codegen)
}

/// Which function of a cell to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The cell's native function.
    Cell,
    /// Its uniform entry trampoline (calling the native function).
    Entry,
    /// The cell itself with the uniform entry's signature (`ir::translate_entry_cell`):
    /// how the VM enters a cell that native code does not call directly.
    EntryCell,
    /// Its on-stack-replacement entry at this loop header.
    Osr(u32),
}

/// Builds function `kind` of cell `id` into `ctx.func`.
fn build<M: Module>(
    module: &mut M,
    cx: &CompileContext,
    ctx: &mut Context,
    fctx: &mut FunctionBuilderContext,
    lir: &LirModule,
    id: CellId,
    kind: Kind,
) {
    let cell = &lir.cells[id as usize];
    ctx.func.signature = match kind {
        Kind::Cell => cell_signature(cell, cx.cc),
        Kind::Entry | Kind::EntryCell | Kind::Osr(_) => entry_signature(cx.cc),
    };
    let config = module.target_config();
    let b = FunctionBuilder::new(&mut ctx.func, fctx);
    let mut e = Emitter::new(b, module, cx);
    match kind {
        Kind::Entry => {
            build_entry(&mut e, id, cell);
            e.b.seal_all_blocks();
        }
        Kind::Cell => translate_cell(&mut e, lir, id),
        Kind::EntryCell => translate_entry_cell(&mut e, lir, id),
        Kind::Osr(pc) => translate_osr(&mut e, lir, id, pc),
    }
    e.b.finalize(config);
}

/// Cranelift's per-function state: a [`Context`] and a [`FunctionBuilderContext`].
type Scratch = (Context, FunctionBuilderContext);

thread_local! {
    /// The scratch state of the last compile on this thread, reused by the next one: it
    /// keeps the allocations of every Cranelift pass (a fresh one makes the first
    /// functions of each module markedly slower to compile).
    static SCRATCH: RefCell<Option<Scratch>> = const { RefCell::new(None) };
}

/// Defines the functions of one module's cells, with the thread's reused scratch state
/// (taken on creation, given back on drop; a nested compile makes its own): each is
/// built as Cranelift IR when asked for ([`Functions::define`]), and all are compiled
/// together, in parallel when that pays ([`crate::batch`]), by [`Functions::finish`].
pub(crate) struct Functions<'a> {
    cx: &'a CompileContext,
    lir: &'a LirModule,
    /// The level the functions are compiled at (it picks each one's [`Tuning`]).
    level: OptLevel,
    /// Always `Some` until dropped.
    scratch: Option<Scratch>,
    /// Built, not compiled yet.
    built: Vec<Built>,
}

impl<'a> Functions<'a> {
    /// A definer for the cells of `lir`, declared in `cx`, compiled at `level`.
    pub fn new(cx: &'a CompileContext, lir: &'a LirModule, level: OptLevel) -> Self {
        let scratch = SCRATCH
            .with(|s| s.borrow_mut().take())
            .unwrap_or_else(|| (Context::new(), FunctionBuilderContext::new()));
        Functions {
            cx,
            lir,
            level,
            scratch: Some(scratch),
            built: Vec::new(),
        }
    }

    /// Builds function `kind` of cell `id`: Cranelift IR, not compiled yet (clear it with
    /// `module.clear_context`).
    pub fn build<M: Module>(&mut self, module: &mut M, id: CellId, kind: Kind) -> &mut Context {
        let (ctx, fctx) = self
            .scratch
            .get_or_insert_with(|| (Context::new(), FunctionBuilderContext::new()));
        build(module, self.cx, ctx, fctx, self.lir, id, kind);
        ctx
    }

    /// Builds function `kind` of cell `id`, to define as `func` in `module` with the
    /// rest of the batch ([`Self::finish`]).
    pub fn define<M: Module>(
        &mut self,
        module: &mut M,
        id: CellId,
        func: FuncId,
        kind: Kind,
    ) -> Result<(), JitError> {
        let cell = &self.lir.cells[id as usize];
        let (name, tuning) = (cell.name.to_string(), Tuning::of(self.level, kind, cell));
        self.build(module, id, kind);
        self.keep(module, func, name, tuning);
        Ok(())
    }

    /// Moves the function just built in the scratch context into the batch.
    fn keep<M: Module>(&mut self, module: &mut M, func: FuncId, name: String, tuning: Tuning) {
        let (ctx, _) = self.scratch.as_mut().expect("scratch state until dropped");
        let ir = std::mem::replace(&mut ctx.func, Function::new());
        module.clear_context(ctx);
        self.built.push(Built {
            func,
            name,
            tuning,
            ir,
        });
    }

    /// Compiles and defines every function built since the last call, with the thunks
    /// they call that are not defined yet: before the module's definitions are
    /// finalised.
    pub fn finish<M: Module>(&mut self, module: &mut M) -> Result<(), JitError> {
        self.build_thunks(module);
        let (ctx, _) = self
            .scratch
            .get_or_insert_with(|| (Context::new(), FunctionBuilderContext::new()));
        define_batch(module, ctx, std::mem::take(&mut self.built))
    }

    /// Builds the register-preserving thunks the functions built so far call and that
    /// are not defined yet ([`CompileContext::preserving`]): each passes its arguments
    /// on to its helper. A `preserve_all` function saves every register it (and so the
    /// helper it calls) may clobber.
    fn build_thunks<M: Module>(&mut self, module: &mut M) {
        for (thunk, helper) in self.cx.undefined_thunks() {
            let (ctx, fctx) = self
                .scratch
                .get_or_insert_with(|| (Context::new(), FunctionBuilderContext::new()));
            ctx.func.signature = module
                .declarations()
                .get_function_decl(thunk)
                .signature
                .clone();
            let mut b = FunctionBuilder::new(&mut ctx.func, fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            let args = b.block_params(entry).to_vec();
            let f = module.declare_func_in_func(helper, b.func);
            b.ins().call(f, &args);
            b.ins().return_(&[]);
            b.seal_all_blocks();
            b.finalize(module.target_config());
            self.keep(module, thunk, "thunk".into(), Tuning::Quick);
        }
    }

    /// Declares the entry of cell `id` and defines it as `kind`: [`Kind::Entry`] (a
    /// trampoline calling the cell's native function) or [`Kind::EntryCell`].
    pub fn define_entry<M: Module>(
        &mut self,
        module: &mut M,
        id: CellId,
        kind: Kind,
    ) -> Result<FuncId, JitError> {
        let func = declare_entry(module, self.cx, id)?;
        self.define(module, id, func, kind)?;
        Ok(func)
    }
}

impl Drop for Functions<'_> {
    fn drop(&mut self) {
        // A builder abandoned half-way (a panic) leaves its state dirty: not reused.
        if std::thread::panicking() {
            return;
        }
        if let Some((mut ctx, fctx)) = self.scratch.take() {
            ctx.clear();
            SCRATCH.with(|s| *s.borrow_mut() = Some((ctx, fctx)));
        }
    }
}

/// A compiled cell, callable from Rust. Native frames live on the calling thread's
/// stack: programs that recurse deeply (up to the 10,000-call limit) need a big one, so
/// call from inside `lumen_rt::run_on_big_stack` (the `lumen` binary does).
pub struct NativeFn {
    vm: Rc<RefCell<VM>>,
    cell: CellId,
}

impl NativeFn {
    /// Calls the cell with `args` (its parameters, in order); errors are the VM's
    /// [`RuntimeError`]s, with the same messages and traces.
    pub fn call(&self, args: &[Value]) -> Result<Value, RuntimeError> {
        match self.vm.try_borrow_mut() {
            Ok(mut vm) => vm.call_cell(self.cell, args.to_vec()),
            Err(_) => Err(RuntimeError::new(
                RtError::Internal("native function called while running".into()),
                Vec::new(),
            )),
        }
    }
}

/// Runs `main` of `module` natively (every cell compiled first), as `lumen run --tier
/// jit`: `args` are the program arguments; output goes to `stdout`, `read_line` reads
/// `stdin`. Same result as [`VM::run_main`]; a module that cannot be compiled is an
/// internal error.
pub fn run_main(
    module: &LirModule,
    level: OptLevel,
    args: Vec<String>,
    stdout: Box<dyn Write>,
    stdin: Box<dyn BufRead>,
) -> Result<(), RuntimeError> {
    let mut vm = JitCompiler::with_opt_level(level)
        .compile_module(module)
        .map_err(|e| RuntimeError::new(RtError::Internal(e.to_string()), Vec::new()))?;
    vm.set_args(args);
    vm.set_stdout(stdout);
    vm.set_stdin(stdin);
    vm.run_main()
}

/// The Cranelift IR text of every cell of `module` (`lumen emit clif`), before
/// Cranelift's own optimisation.
pub fn emit_clif(module: &LirModule, level: OptLevel) -> Result<String, JitError> {
    each_cell_text(module, level, |_, ctx| Ok(ctx.func.display().to_string()))
}

/// The machine code of every cell of `module` (`lumen emit asm`): Cranelift's
/// disassembly after its optimisation and register allocation, for the host.
pub fn emit_asm(module: &LirModule, level: OptLevel) -> Result<String, JitError> {
    each_cell_text(module, level, |isa, ctx| {
        ctx.set_disasm(true);
        let code = ctx
            .compile(isa, &mut Default::default())
            .map_err(|e| JitError::Codegen(format!("{:?}", e.inner)))?;
        Ok(code.vcode.clone().unwrap_or_default())
    })
}

/// `; cell <id>: <name>` and `text(isa, context)` of every cell's function, built at
/// `level` (after the LIR passes of the level).
fn each_cell_text(
    module: &LirModule,
    level: OptLevel,
    mut text: impl FnMut(
        &dyn cranelift_codegen::isa::TargetIsa,
        &mut Context,
    ) -> Result<String, JitError>,
) -> Result<String, JitError> {
    let lir = prepare(module, level)?;
    let mut m = new_module(level)?;
    let cx = CompileContext::declare(&mut m, &lir)?;
    let mut f = Functions::new(&cx, &lir, level);
    let mut out = String::new();
    for id in 0..lir.cells.len() as CellId {
        let isa = host_isa(Tuning::of(level, Kind::Cell, &lir.cells[id as usize]))?;
        let ctx = f.build(&mut m, id, Kind::Cell);
        // (On an error the scratch context is cleared when `f` drops.)
        let body = text(&*isa, ctx)?;
        out.push_str(&format!(
            "; cell {id}: {}\n{body}\n",
            lir.cells[id as usize].name
        ));
        m.clear_context(ctx);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(src: &str) -> LirModule {
        match lumen_compiler::compile(src) {
            Ok(m) => m,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn tuning_follows_level_kind_and_loops() {
        let m = compile(
            "cell inc(n: Int) -> Int\n  n + 1\nend\ncell sum(n: Int) -> Int\n  let mut s = 0\n  for i in 0..n\n    s += i\n  end\n  s\nend\ncell main()\nend\n",
        );
        let (inc, sum) = (&m.cells[0], &m.cells[1]);
        assert!(!has_loop(inc) && has_loop(sum));
        use Tuning::*;
        assert_eq!(Tuning::of(OptLevel::O1, Kind::Cell, inc), Lean);
        assert_eq!(Tuning::of(OptLevel::O1, Kind::Cell, sum), Speed);
        assert_eq!(Tuning::of(OptLevel::O1, Kind::Osr(0), sum), Speed);
        assert_eq!(Tuning::of(OptLevel::O2, Kind::Cell, inc), Speed);
        assert_eq!(Tuning::of(OptLevel::O3, Kind::Cell, inc), Speed);
        assert_eq!(Tuning::of(OptLevel::O0, Kind::Cell, sum), Quick);
        for level in [OptLevel::O0, OptLevel::O1, OptLevel::O3] {
            assert_eq!(Tuning::of(level, Kind::Entry, sum), Quick);
        }
        // A huge cell is compiled quickly at every level.
        let mut huge = sum.clone();
        let body = huge.code.clone();
        while huge.code.len() <= HUGE_CELL {
            huge.code.extend(body.iter().cloned());
        }
        for level in [OptLevel::O1, OptLevel::O3] {
            assert_eq!(Tuning::of(level, Kind::Cell, &huge), Quick);
        }
    }

    /// The CLIF of function `kind` of cell `id`.
    fn clif_of(m: &LirModule, id: CellId, kind: Kind) -> String {
        let lir = prepare(m, OptLevel::O1).unwrap();
        let mut module = new_module(OptLevel::O1).unwrap();
        let cx = CompileContext::declare(&mut module, &lir).unwrap();
        let mut f = Functions::new(&cx, &lir, OptLevel::O1);
        let ctx = f.build(&mut module, id, kind);
        let text = ctx.func.display().to_string();
        module.clear_context(ctx);
        text
    }

    #[test]
    fn entries_set_the_pinned_register_and_give_it_back_before_every_return() {
        // Slots, heap arguments, errors and a loop: every way out of a function.
        let m = compile(
            "cell f(xs: list[Int], k: Int) -> String\n  let mut s = 0\n  for x in xs\n    s += x / k\n  end\n  \"{s}\"\nend\n\
             cell g(n: Int) -> Int\n  n * 2\nend\ncell main()\nend\n",
        );
        let (head, _) = lumen_core::flow::loops(&m.cells[0].code)[0];
        for (id, kind) in [
            (0, Kind::Entry),
            (1, Kind::Entry),
            (0, Kind::EntryCell),
            (1, Kind::EntryCell),
            (0, Kind::Osr(head)),
        ] {
            let text = clif_of(&m, id, kind);
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            // The caller's value is read first, then the context argument pinned.
            let first = lines
                .iter()
                .position(|l| l.contains("get_pinned_reg"))
                .unwrap();
            let saved = lines[first].split(' ').next().unwrap();
            let sets =
                |l: &str, v: &str| l.starts_with("set_pinned_reg") && l.ends_with(&format!(" {v}"));
            assert!(sets(lines[first + 1], "v0"), "{kind:?} of {id}:\n{text}");
            let returns: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].starts_with("return"))
                .collect();
            assert!(!returns.is_empty());
            for i in returns {
                assert!(sets(lines[i - 1], saved), "{kind:?} of {id}:\n{text}");
            }
        }
        // A cell's own function only reads it: the context is not an argument.
        for id in [0, 1] {
            let text = clif_of(&m, id, Kind::Cell);
            assert!(text.contains("get_pinned_reg") || id == 1, "{text}");
            assert!(!text.contains("set_pinned_reg"), "{text}");
        }
    }

    #[test]
    fn fib_runs_natively() {
        let m = compile(
            "cell fib(n: Int) -> Int\n  if n <= 1\n    return n\n  end\n  return fib(n - 1) + fib(n - 2)\nend\ncell main()\nend\n",
        );
        let f = JitCompiler::new()
            .compile_cell(&m, m.find_cell("fib").unwrap())
            .unwrap();
        assert_eq!(f.call(&[Value::Int(20)]).unwrap(), Value::Int(6765));
    }

    #[test]
    fn wrong_argument_kind_is_an_internal_error() {
        let m = compile("cell inc(n: Int) -> Int\n  n + 1\nend\ncell main()\nend\n");
        let f = JitCompiler::new().compile_cell(&m, 0).unwrap();
        let e = f.call(&[Value::Float(1.0)]).unwrap_err();
        assert!(matches!(e.error, RtError::Internal(_)), "{e:?}");
    }

    #[test]
    fn overflow_is_reported_with_its_frame() {
        let m = compile("cell inc(n: Int) -> Int\n  n + 1\nend\ncell main()\nend\n");
        let f = JitCompiler::with_opt_level(OptLevel::O0)
            .compile_cell(&m, 0)
            .unwrap();
        let e = f.call(&[Value::Int(i64::MAX)]).unwrap_err();
        assert_eq!(e.error, RtError::IntegerOverflow);
        assert_eq!(e.trace.len(), 1);
        assert_eq!(e.trace[0].name, "inc");
        assert_eq!(e.trace[0].pos.line, 2);
    }

    #[test]
    fn every_cell_is_compiled_with_an_entry() {
        let m = compile(
            "cell dead() -> Int\n  7\nend\ncell inc(n: Int) -> Int\n  n + 1\nend\ncell main()\n  print(inc(1))\n  print(map([1, 2], fn(x: Int) -> Int => x * 2))\nend\n",
        );
        let code = JitCompiler::new().compile_native(&m).unwrap();
        assert!(code.entries.iter().all(Option::is_some));
        assert_eq!(code.entries.len(), m.cells.len());
        // Any cell runs natively when called from Rust, also one nothing calls.
        let dead = m.find_cell("dead").unwrap();
        let mut vm = JitCompiler::new().compile_module(&m).unwrap();
        assert_eq!(vm.call_cell(dead, vec![]).unwrap(), Value::Int(7));
        let inc = m.find_cell("inc").unwrap();
        let f = JitCompiler::new().compile_cell(&m, inc).unwrap();
        assert_eq!(f.call(&[Value::Int(1)]).unwrap(), Value::Int(2));
    }

    #[test]
    fn asm_text_is_machine_code_of_every_cell() {
        let m = compile("cell sq(n: Int) -> Int\n  n * n\nend\ncell main()\nend\n");
        let text = emit_asm(&m, OptLevel::O1).unwrap();
        assert!(text.contains("; cell 0: sq") && text.contains("; cell 1: main"));
        // The multiplication is one machine instruction after Cranelift lowered it.
        let mul = if cfg!(target_arch = "x86_64") {
            "imul"
        } else {
            "mul"
        };
        assert!(text.contains(mul), "{text}");
    }

    #[test]
    fn clif_text_names_every_cell() {
        let m = compile(
            "cell a() -> Int\n  1\nend\ncell b() -> String\n  \"x\"\nend\ncell main()\nend\n",
        );
        let text = emit_clif(&m, OptLevel::O1).unwrap();
        assert!(
            text.contains("; cell 0: a") && text.contains("; cell 1: b"),
            "{text}"
        );
    }

    /// A module of one cell `f` with `regs`, `ret` and `code` (parameter: register 0).
    fn one_cell(
        regs: Vec<lumen_core::lir::RegTy>,
        ret: lumen_core::lir::RegTy,
        code: Vec<lumen_core::lir::Instr>,
    ) -> LirModule {
        LirModule {
            cells: vec![lumen_core::lir::Cell::new("f", 1, regs, ret, code)],
            ..LirModule::default()
        }
    }

    #[test]
    fn osr_continues_a_loop_from_the_vm_window() {
        use lumen_core::lir::{CmpOp, Instr as I, RegTy as T};
        // s = 0; i = 0; while i < n { s += i; i += 1 }; return s
        let m = one_cell(
            vec![T::Int, T::Int, T::Int],
            T::Int,
            vec![
                I::LoadInt { dst: 1, value: 0 },
                I::LoadInt { dst: 2, value: 0 },
                I::Jump { target: 5 },
                I::IntAdd { dst: 1, a: 1, b: 2 },
                I::IntAddImm {
                    dst: 2,
                    a: 2,
                    value: 1,
                },
                I::JumpIfIntCmp {
                    op: CmpOp::Lt,
                    a: 2,
                    b: 0,
                    target: 3,
                },
                I::Return { src: 1 },
            ],
        );
        let mut jit = JitCompiler::new();
        let (code, osr) = jit.compile_osr(&m, 0, 5).unwrap();
        let mut vm = VM::new(m);
        // SAFETY: entries and OSR entry were compiled from the module the VM runs.
        unsafe { vm.set_native(code.entries, code.owner) };
        // At the header with s = 0 + 1 + 2 + 3 + 4 and i = 5.
        let window = vec![Value::Int(10), Value::Int(10), Value::Int(5)];
        // SAFETY: as above.
        let got = unsafe { vm.call_osr(0, osr, window) }.unwrap();
        assert_eq!(got, Value::Int(45));
    }

    #[test]
    fn osr_moves_heap_registers_in_and_results_out() {
        use lumen_core::lir::{Instr as I, RegTy as T};
        let m = one_cell(vec![T::Str], T::Str, vec![I::Return { src: 0 }]);
        let (code, osr) = JitCompiler::new().compile_osr(&m, 0, 0).unwrap();
        let mut vm = VM::new(m);
        // SAFETY: compiled from the module the VM runs.
        unsafe { vm.set_native(code.entries, code.owner) };
        // SAFETY: as above.
        let got = unsafe { vm.call_osr(0, osr, vec![Value::str("hi")]) }.unwrap();
        assert_eq!(got, Value::str("hi"));
        assert!(
            JitCompiler::new()
                .compile_osr(&LirModule::default(), 3, 0)
                .is_err()
        );
    }
}
