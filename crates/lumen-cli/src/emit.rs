//! Text forms printed by `lumen emit`.

use lumen_core::lir::LirModule;

/// The LIR text of `module`, as `lumen emit lir` prints it.
pub fn lir_text(module: &LirModule) -> String {
    lumen_core::dump::dump(module)
}

/// The Cranelift IR of `module` at `level`, as `lumen emit clif` prints it.
pub fn clif_text(
    module: &LirModule,
    level: lumen_codegen::OptLevel,
) -> Result<String, lumen_codegen::JitError> {
    lumen_codegen::emit_clif(module, level)
}
