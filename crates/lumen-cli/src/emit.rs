//! Text forms printed by `lumen emit`.

use lumen_core::lir::LirModule;

/// The LIR text of `module`, as `lumen emit lir` prints it.
pub fn lir_text(module: &LirModule) -> String {
    lumen_core::dump::dump(module)
}
