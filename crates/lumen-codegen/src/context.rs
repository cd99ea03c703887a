//! The compilation context of one module: the runtime helpers declared from
//! `lumen_rt::native::helpers()`, the function ids of every cell and of its entry
//! trampoline, and the facts about memory layout the code relies on.

use crate::types::{cell_signature, entry_signature, helper_signature};
use cranelift_codegen::isa::CallConv;
use cranelift_module::{FuncId, Linkage, Module, ModuleResult};
use lumen_core::lir::LirModule;
use lumen_rt::native::layout::{ListLayout, list_layout};
use std::collections::HashMap;

/// Declared functions of a module being compiled.
pub struct CompileContext {
    /// Helper name → declared import.
    helpers: HashMap<&'static str, FuncId>,
    /// The native function of each cell (indexed like the module's cells).
    pub cells: Vec<FuncId>,
    /// The entry trampoline of each cell.
    pub entries: Vec<FuncId>,
    /// Where list elements live (for inline element access).
    pub list: ListLayout,
    /// Calling convention of every generated function.
    pub cc: CallConv,
}

impl CompileContext {
    /// Declares the helpers and every cell of `lir` in `module`.
    pub fn declare<M: Module>(module: &mut M, lir: &LirModule) -> ModuleResult<CompileContext> {
        let cc = module.isa().default_call_conv();
        let mut helpers = HashMap::new();
        for h in lumen_rt::native::helpers() {
            let sig = helper_signature(h.params, h.ret, cc);
            helpers.insert(
                h.name,
                module.declare_function(h.name, Linkage::Import, &sig)?,
            );
        }
        let mut cells = Vec::with_capacity(lir.cells.len());
        let mut entries = Vec::with_capacity(lir.cells.len());
        for (i, c) in lir.cells.iter().enumerate() {
            let sig = cell_signature(c, cc);
            cells.push(module.declare_function(
                &format!("lumen_cell_{i}"),
                Linkage::Local,
                &sig,
            )?);
            entries.push(module.declare_function(
                &format!("lumen_entry_{i}"),
                Linkage::Local,
                &entry_signature(cc),
            )?);
        }
        Ok(CompileContext {
            helpers,
            cells,
            entries,
            list: list_layout(),
            cc,
        })
    }

    /// The declared helper `name` (one of `lumen_rt::native::helpers()`).
    pub fn helper(&self, name: &str) -> Option<FuncId> {
        self.helpers.get(name).copied()
    }
}

/// The symbols of every helper, for a JIT's symbol table.
pub fn helper_symbols() -> Vec<(&'static str, *const u8)> {
    lumen_rt::native::helpers()
        .into_iter()
        .map(|h| (h.name, h.addr))
        .collect()
}
