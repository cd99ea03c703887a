//! Text forms printed by `lumen emit`.

use lumen_core::lir::LirModule;

/// The LIR text of `module`, as `lumen emit lir` prints it.
pub fn lir_text(module: &LirModule) -> String {
    // Placeholder until `lumen_core::dump::dump` lands; then this body becomes that call.
    format!("{module:#?}\n")
}
