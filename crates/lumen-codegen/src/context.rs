//! The compilation context of one module: the runtime helpers declared from
//! `lumen_rt::native::helpers()`, the function ids of every cell, and the facts about
//! memory layout the code relies on. Entry trampolines are declared one by one
//! ([`declare_entry`]): for every cell by `--tier jit`, for the cells the VM asks for by
//! the tiering JIT.

use crate::jit::JitError;
use crate::types::{cell_signature, entry_signature, helper_signature};
use cranelift_codegen::isa::CallConv;
use cranelift_module::{FuncId, Linkage, Module};
use lumen_core::lir::LirModule;
use lumen_rt::native::layout::{
    StrLayout, VecLayout, closure_cell_offset, closure_layout, list_layout, record_layout,
    str_layout, tuple_layout, variant_layout, variant_tag_offset, variant_type_offset,
};
use std::cell::RefCell;
use std::collections::HashMap;

/// Declared functions of a module being compiled.
pub struct CompileContext {
    /// Helper name → declared import.
    helpers: HashMap<&'static str, FuncId>,
    /// Helper name → its register-preserving thunk ([`CompileContext::preserving`]),
    /// declared on first use, and whether it is defined yet.
    thunks: RefCell<HashMap<&'static str, (FuncId, bool)>>,
    /// The native function of each cell (indexed like the module's cells).
    pub cells: Vec<FuncId>,
    /// Where list elements live (for inline element access).
    pub list: VecLayout,
    /// Where record fields live.
    pub record: VecLayout,
    /// Where enum payloads live.
    pub variant: VecLayout,
    /// Where tuple items live.
    pub tuple: VecLayout,
    /// Where an enum value's variant index (`u32`) lives.
    pub variant_tag: i32,
    /// Where an enum value's type id (`u32`) lives.
    pub variant_type: i32,
    /// Where a function value's captures live.
    pub closure: VecLayout,
    /// Where a function value's cell id (`u32`) lives.
    pub closure_cell: i32,
    /// Where a String's bytes live.
    pub string: StrLayout,
    /// Calling convention of every generated function.
    pub cc: CallConv,
}

impl CompileContext {
    /// Declares the helpers and every cell of `lir` in `module`.
    pub fn declare<M: Module>(module: &mut M, lir: &LirModule) -> Result<CompileContext, JitError> {
        let err = |e: cranelift_module::ModuleError| JitError::Codegen(e.to_string());
        let cc = module.isa().default_call_conv();
        let mut helpers = HashMap::new();
        for h in lumen_rt::native::helpers() {
            let sig = helper_signature(h.params, h.ret, cc);
            helpers.insert(
                h.name,
                module
                    .declare_function(h.name, Linkage::Import, &sig)
                    .map_err(err)?,
            );
        }
        let mut cells = Vec::with_capacity(lir.cells.len());
        for (i, c) in lir.cells.iter().enumerate() {
            let sig = cell_signature(c, cc);
            let name = format!("lumen_cell_{i}");
            cells.push(
                module
                    .declare_function(&name, Linkage::Local, &sig)
                    .map_err(err)?,
            );
        }
        Ok(CompileContext {
            helpers,
            thunks: RefCell::new(HashMap::new()),
            cells,
            list: list_layout(),
            record: record_layout(),
            variant: variant_layout(),
            tuple: tuple_layout(),
            variant_tag: variant_tag_offset(),
            variant_type: variant_type_offset(),
            closure: closure_layout(),
            closure_cell: closure_cell_offset(),
            string: str_layout(),
            cc,
        })
    }

    /// The declared helper `name` (one of `lumen_rt::native::helpers()`).
    pub fn helper(&self, name: &str) -> Option<FuncId> {
        self.helpers.get(name).copied()
    }

    /// The thunk calling helper `name` (which returns nothing) that preserves every
    /// register (Cranelift's `preserve_all` convention): for calls on cold paths that
    /// rejoin the inline code, which then need not spill the values live across them.
    /// Declared here on first use; defined with the next batch ([`Self::undefined_thunks`]).
    pub fn preserving<M: Module>(
        &self,
        module: &mut M,
        name: &'static str,
    ) -> Result<FuncId, JitError> {
        if let Some(&(id, _)) = self.thunks.borrow().get(name) {
            return Ok(id);
        }
        let helper = self
            .helper(name)
            .ok_or_else(|| JitError::Codegen(format!("no helper {name}")))?;
        let mut sig = module
            .declarations()
            .get_function_decl(helper)
            .signature
            .clone();
        if !sig.returns.is_empty() {
            return Err(JitError::Codegen(format!("{name} returns a value")));
        }
        sig.call_conv = CallConv::PreserveAll;
        let id = module
            .declare_function(&format!("{name}_preserving"), Linkage::Local, &sig)
            .map_err(|e| JitError::Codegen(e.to_string()))?;
        self.thunks.borrow_mut().insert(name, (id, false));
        Ok(id)
    }

    /// The thunks declared but not defined yet, with their helpers; marked defined.
    pub fn undefined_thunks(&self) -> Vec<(FuncId, FuncId)> {
        let mut out = Vec::new();
        for (name, (id, defined)) in self.thunks.borrow_mut().iter_mut() {
            if !*defined {
                *defined = true;
                out.push((*id, self.helpers[name]));
            }
        }
        out
    }
}

/// Declares the entry trampoline of cell `id` (`types::entry_signature`) in `module`.
pub fn declare_entry<M: Module>(
    module: &mut M,
    cx: &CompileContext,
    id: u32,
) -> Result<FuncId, JitError> {
    module
        .declare_function(
            &format!("lumen_entry_{id}"),
            Linkage::Local,
            &entry_signature(cx.cc),
        )
        .map_err(|e| JitError::Codegen(e.to_string()))
}

/// The symbols of every helper, for a JIT's symbol table.
pub fn helper_symbols() -> Vec<(&'static str, *const u8)> {
    lumen_rt::native::helpers()
        .into_iter()
        .map(|h| (h.name, h.addr))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every helper the code generator calls by name.
    const USED: &[&str] = &[
        "lumen_rt_push_frame",
        "lumen_rt_drop_value",
        "lumen_rt_drop_slots",
        "lumen_rt_unshare_list",
        "lumen_rt_int_pow",
        "lumen_rt_float_mod",
        "lumen_rt_float_pow",
        "lumen_rt_float_unary",
        "lumen_rt_float_binary",
        "lumen_rt_float_to_int",
        "lumen_rt_str_cmp",
        "lumen_rt_equal",
    ];

    #[test]
    fn every_used_helper_is_in_the_table() {
        let table = helper_symbols();
        for name in USED {
            let found = table.iter().find(|(n, _)| n == name);
            assert!(found.is_some_and(|(_, a)| !a.is_null()), "{name}");
        }
    }

    #[test]
    fn declares_a_function_per_cell_and_entries_on_demand() {
        let m = lumen_compiler::compile("cell f() -> Int\n  1\nend\ncell main()\nend\n")
            .expect("compiles");
        let isa = crate::jit::host_isa(crate::jit::Tuning::Speed).expect("host isa");
        let mut module = cranelift_jit::JITModule::new(cranelift_jit::JITBuilder::with_isa(
            isa,
            cranelift_module::default_libcall_names(),
        ));
        let cx = CompileContext::declare(&mut module, &m).expect("declares");
        assert_eq!(cx.cells.len(), m.cells.len());
        let e0 = declare_entry(&mut module, &cx, 0).expect("declares");
        let e1 = declare_entry(&mut module, &cx, 1).expect("declares");
        assert!(e0 != e1 && !cx.cells.contains(&e0));
        assert!(cx.helper("lumen_rt_map_get").is_some());
        assert!(cx.helper("nope").is_none());
    }
}
