//! Lowering HIR to LIR (to be written).
use crate::hir;
use lumen_core::lir::LirModule;

pub fn lower(_program: &hir::Program) -> LirModule {
    LirModule::default()
}
