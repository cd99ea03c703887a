//! Tiered execution (`lumen run --tier tiered`): the VM interprets a module and compiles
//! what gets hot through [`TieredJit`], the JIT behind its tiering hook
//! ([`lumen_rt::tier::Tier`]); [`run_main_tiered`] runs a program that way.
//!
//! All code of one VM goes into one growing Cranelift module. Compiling a cell also
//! compiles every cell it calls directly that is not compiled yet (native code calls
//! cells directly), in one batch; an OSR entry ([`crate::ir::translate_osr`]) is compiled
//! after the cells its cell calls. Entries are built only for the cells the VM asks for
//! (a callee compiled in a batch gets its entry when it gets hot itself); a cell no
//! native code calls yet is compiled as its entry alone (`crate::ir::translate_entry_cell`).

use crate::context::CompileContext;
use crate::jit::{Functions, JitError, Kind, new_module, prepare};
use crate::opt::OptLevel;
use crate::types::entry_signature;
use cranelift_jit::JITModule;
use cranelift_module::{Linkage, Module};
use lumen_core::error::RtError;
use lumen_core::lir::{Instr, LirModule};
use lumen_core::value::CellId;
use lumen_rt::native::Entry;
use lumen_rt::tier::{OsrEntry, Tier};
use lumen_rt::{RuntimeError, VM};
use std::collections::HashMap;
use std::io::{BufRead, Write};

/// The JIT as a tier: compiles cells and OSR entries of one module on demand.
pub struct TieredJit {
    /// The machine code (`None` only while dropping).
    jit: Option<JITModule>,
    /// Declarations of the module's cells and the helpers, made on first use.
    cx: Option<CompileContext>,
    /// Which cells have their native function defined (indexed like the module's cells).
    compiled: Vec<bool>,
    /// The entry trampoline of every cell the VM asked for (indexed like the cells).
    entries: Vec<Option<Entry>>,
    /// OSR entries compiled so far, by (cell, header).
    osr: HashMap<(CellId, u32), OsrEntry>,
    /// The level cells are compiled at.
    level: OptLevel,
    /// A definition failed: the batch may have left functions referring to undefined
    /// ones, so nothing more is finalised (every later request is declined).
    broken: bool,
}

impl TieredJit {
    /// A tier generating code at `level` (see [`crate::JitCompiler::with_opt_level`]).
    pub fn new(level: OptLevel) -> Result<TieredJit, JitError> {
        // The generated code reads and writes `Value`s directly.
        lumen_core::value::check_layout().map_err(JitError::Codegen)?;
        Ok(TieredJit {
            jit: Some(new_module(level)?),
            cx: None,
            compiled: Vec::new(),
            entries: Vec::new(),
            osr: HashMap::new(),
            level,
            broken: false,
        })
    }

    /// Declares the module's cells and the helpers on first use.
    fn declare(&mut self, lir: &LirModule) -> Result<(), JitError> {
        let jit = self
            .jit
            .as_mut()
            .ok_or_else(|| JitError::Codegen("tier dropped".into()))?;
        if self.cx.is_none() {
            lumen_core::verify::verify(lir).map_err(|errs| JitError::Invalid(errs.join("; ")))?;
            let cx = CompileContext::declare(jit, lir)?;
            self.compiled = vec![false; lir.cells.len()];
            self.entries = vec![None; lir.cells.len()];
            self.cx = Some(cx);
        }
        match &self.cx {
            Some(cx) if cx.cells.len() == lir.cells.len() => Ok(()),
            _ => Err(JitError::Invalid("a tier serves one module".into())),
        }
    }

    /// Compiles `roots` and every cell they call directly (transitively) that is not
    /// compiled yet, callees first, plus the entry of `entry` if it has none yet (only
    /// cells the VM enters need one: callees are called natively); finalises them
    /// together. An `entry` cell that no cell of the batch calls directly is compiled as
    /// its entry alone (`Kind::EntryCell`: one function, not a native function and a
    /// trampoline); its native function comes with the first batch that calls it.
    fn compile_closure(
        &mut self,
        lir: &LirModule,
        roots: &[CellId],
        entry: Option<CellId>,
    ) -> Result<(), JitError> {
        self.declare(lir)?;
        let mut batch = uncompiled_closure(lir, roots, &self.compiled);
        let entry = entry.filter(|&id| self.entries.get(id as usize) == Some(&None));
        let alone = entry.filter(|&id| {
            batch.contains(&id)
                && !batch
                    .iter()
                    .any(|&c| direct_callees(&lir.cells[c as usize].code).any(|x| x == id))
        });
        batch.retain(|&c| Some(c) != alone);
        if batch.is_empty() && entry.is_none() {
            return Ok(());
        }
        let (Some(cx), Some(jit)) = (&self.cx, self.jit.as_mut()) else {
            return Err(JitError::Codegen("tier dropped".into()));
        };
        let mut f = Functions::new(cx, lir, self.level);
        self.broken = true; // until the batch is finalised
        for &id in &batch {
            f.define(jit, id, cx.cells[id as usize], Kind::Cell)?;
        }
        let entry_fn = match entry {
            Some(id) => {
                let kind = if alone.is_some() {
                    Kind::EntryCell
                } else {
                    Kind::Entry
                };
                Some((id, f.define_entry(jit, id, kind)?))
            }
            None => None,
        };
        f.finish(jit)?;
        jit.finalize_definitions()
            .map_err(|e| JitError::Codegen(e.to_string()))?;
        self.broken = false;
        for &id in &batch {
            self.compiled[id as usize] = true;
        }
        if let Some((id, func)) = entry_fn {
            let p = jit.get_finalized_function(func);
            // SAFETY: `p` is the finalized code of an entry (trampoline or entry cell),
            // whose signature is `entry_signature` = `Entry` in the host's C convention.
            self.entries[id as usize] = Some(unsafe { std::mem::transmute::<*const u8, Entry>(p) });
        }
        Ok(())
    }

    /// Compiles the OSR entry of `cell` at loop header `pc` (its callees first).
    fn compile_osr_entry(
        &mut self,
        lir: &LirModule,
        cell: CellId,
        pc: u32,
    ) -> Result<OsrEntry, JitError> {
        if let Some(&e) = self.osr.get(&(cell, pc)) {
            return Ok(e);
        }
        let c = lir
            .cells
            .get(cell as usize)
            .ok_or(JitError::NoSuchCell(cell))?;
        let callees: Vec<CellId> = direct_callees(&c.code).collect();
        self.compile_closure(lir, &callees, None)?;
        let (Some(cx), Some(jit)) = (&self.cx, self.jit.as_mut()) else {
            return Err(JitError::Codegen("tier dropped".into()));
        };
        let codegen = |e: cranelift_module::ModuleError| JitError::Codegen(format!("{e:?}"));
        if !c.code.iter().any(|i| i.jump_target() == Some(pc)) {
            return Err(JitError::Codegen(format!(
                "{}: {pc} is no loop header",
                c.name
            )));
        }
        let entry_fn = jit
            .declare_function(
                &format!("lumen_osr_{cell}_{pc}"),
                Linkage::Local,
                &entry_signature(cx.cc),
            )
            .map_err(codegen)?;
        let mut f = Functions::new(cx, lir, self.level);
        self.broken = true; // until finalised
        f.define(jit, cell, entry_fn, Kind::Osr(pc))?;
        f.finish(jit)?;
        jit.finalize_definitions()
            .map_err(|e| JitError::Codegen(e.to_string()))?;
        self.broken = false;
        let p = jit.get_finalized_function(entry_fn);
        // SAFETY: `p` is the finalized code of a function with `entry_signature`, the
        // C-convention signature `OsrEntry` has.
        let entry = unsafe { std::mem::transmute::<*const u8, OsrEntry>(p) };
        self.osr.insert((cell, pc), entry);
        Ok(entry)
    }
}

/// The cells `code` calls directly.
fn direct_callees(code: &[Instr]) -> impl Iterator<Item = CellId> + '_ {
    code.iter().filter_map(|i| match *i {
        Instr::Call { cell, .. } => Some(cell),
        _ => None,
    })
}

/// `roots` and the cells they reach through direct calls, without those already in
/// `compiled`, each once, callees before callers (cycles in any order).
pub(crate) fn uncompiled_closure(
    lir: &LirModule,
    roots: &[CellId],
    compiled: &[bool],
) -> Vec<CellId> {
    let n = lir.cells.len();
    let mut seen = vec![false; n];
    let mut order = Vec::new();
    // Depth-first with an explicit stack: (cell, callees pushed yet).
    let mut stack: Vec<(CellId, bool)> = roots.iter().rev().map(|&r| (r, false)).collect();
    while let Some((id, expanded)) = stack.pop() {
        let i = id as usize;
        if expanded {
            order.push(id);
            continue;
        }
        if i >= n || seen[i] || compiled.get(i).copied().unwrap_or(false) {
            continue;
        }
        seen[i] = true;
        stack.push((id, true));
        for callee in direct_callees(&lir.cells[i].code) {
            stack.push((callee, false));
        }
    }
    order
}

// SAFETY: entries are functions generated by `build` for the very cells
// (and headers) asked for, following the native ABI; the machine code stays in `jit`,
// which is freed only when the tier is dropped.
unsafe impl Tier for TieredJit {
    fn compile(&mut self, module: &LirModule, cell: CellId) -> Option<Entry> {
        if self.broken {
            return None;
        }
        self.compile_closure(module, &[cell], Some(cell)).ok()?;
        self.entries.get(cell as usize).copied().flatten()
    }

    fn compile_osr(&mut self, module: &LirModule, cell: CellId, pc: u32) -> Option<OsrEntry> {
        if self.broken {
            return None;
        }
        self.compile_osr_entry(module, cell, pc).ok()
    }
}

impl Drop for TieredJit {
    fn drop(&mut self) {
        if let Some(m) = self.jit.take() {
            // SAFETY: the tier is owned by the VM that runs its code and is dropped with
            // it, when no native code runs any more.
            unsafe { m.free_memory() };
        }
    }
}

/// A VM for `module` (verified, and optimised at `level` as the JIT would) with a
/// [`TieredJit`] installed at `threshold` (`lumen_rt::tier::threshold_from_env` gives
/// the `LUMEN_JIT_THRESHOLD` setting). Set its arguments and streams, run it, then read
/// `vm.stats()`.
pub fn tiered_vm(module: &LirModule, threshold: u32, level: OptLevel) -> Result<VM, JitError> {
    let module = prepare(module, level)?;
    let tier = TieredJit::new(level)?;
    let mut vm = VM::new(module);
    vm.set_tier(Box::new(tier), threshold);
    Ok(vm)
}

/// Runs `main` of `module` tiered, as `lumen run --tier tiered`: interpreted first, cells
/// called more than `threshold` times and loops iterating more than `threshold` times
/// continue natively. `args` are the program arguments; output goes to `stdout`,
/// `read_line` reads `stdin`. Same result as [`VM::run_main`]; a module the JIT rejects
/// is an internal error. Run it on a big stack ([`lumen_rt::run_on_big_stack`]).
pub fn run_main_tiered(
    module: &LirModule,
    threshold: u32,
    level: OptLevel,
    args: Vec<String>,
    stdout: Box<dyn Write>,
    stdin: Box<dyn BufRead>,
) -> Result<(), RuntimeError> {
    let mut vm = tiered_vm(module, threshold, level)
        .map_err(|e| RuntimeError::new(RtError::Internal(e.to_string()), Vec::new()))?;
    vm.set_args(args);
    vm.set_stdout(stdout);
    vm.set_stdin(stdin);
    vm.run_main()
}
