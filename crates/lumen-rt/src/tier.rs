//! The tiering hook (`docs/jit.md`, "Tiering"): a [`Tier`] compiles hot cells and hot
//! loops to native code when the VM asks it to.
//!
//! The VM counts calls per cell and iterations per loop header once a tier is installed
//! ([`crate::VM::set_tier`]). When a cell has been called `threshold` times, its next
//! call compiles it ([`Tier::compile`]) and every later call enters the native code.
//! When a loop header has been reached `threshold` times in the interpreter, the VM asks
//! for an on-stack-replacement entry for that header ([`Tier::compile_osr`]), hands it
//! the frame's registers and lets the native code finish the call. [`TierStats`] says
//! what happened.

use crate::native::{Entry, NativeCtx};
use lumen_core::lir::LirModule;
use lumen_core::value::{CellId, Value};

/// The threshold when `LUMEN_JIT_THRESHOLD` is not set.
pub const DEFAULT_THRESHOLD: u32 = 100;

/// The environment variable holding the threshold.
pub const THRESHOLD_VAR: &str = "LUMEN_JIT_THRESHOLD";

/// An on-stack-replacement entry: enters its cell at one loop header with every register
/// loaded from `window` (the VM's register window of the frame, one `Value` per
/// register; scalars are read, other values are moved out, leaving null), runs the cell
/// to its return and writes the result to `*ret` (which holds a value owning nothing).
/// Errors are reported through `ctx` as for [`Entry`].
pub type OsrEntry = unsafe extern "C" fn(ctx: *mut NativeCtx, window: *mut Value, ret: *mut Value);

/// A compiler the VM calls for hot code.
///
/// # Safety
/// Every entry returned must be machine code generated for the named cell (or cell and
/// loop header) of the module passed in, following the native ABI of `docs/jit.md`, and
/// must stay valid for as long as the tier itself lives.
pub unsafe trait Tier {
    /// Compiles cell `cell` of `module`; `None` when it cannot be compiled (the VM keeps
    /// interpreting it and does not ask again).
    fn compile(&mut self, module: &LirModule, cell: CellId) -> Option<Entry>;

    /// An entry into cell `cell` at loop header `pc` (an instruction index that is the
    /// target of a backward jump); `None` when it cannot be compiled (not asked again).
    fn compile_osr(&mut self, module: &LirModule, cell: CellId, pc: u32) -> Option<OsrEntry>;
}

/// What tiering did so far (all zero while no tier is installed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierStats {
    /// Cells the tier compiled (their calls now run natively).
    pub cells_compiled: u32,
    /// On-stack-replacement entries the tier compiled.
    pub osr_compiled: u32,
    /// Times the interpreter left a running loop for native code.
    pub osr_entries: u64,
    /// Calls from the interpreter into native code (OSR entries not included).
    pub native_calls: u64,
    /// Requests the tier declined (cells and loops then stay interpreted).
    pub failures: u32,
    /// Hot inner loops that handed their turn to the loop around them (see
    /// `vm::tiering`), which then went native at its header.
    pub osr_deferred: u32,
}

/// The threshold: `LUMEN_JIT_THRESHOLD` when it is set to a number, else
/// [`DEFAULT_THRESHOLD`].
pub fn threshold_from_env() -> u32 {
    parse_threshold(std::env::var(THRESHOLD_VAR).ok().as_deref())
}

/// A threshold setting (`None`: not set); anything but a number is the default.
pub fn parse_threshold(setting: Option<&str>) -> u32 {
    setting
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_THRESHOLD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_with_a_default() {
        assert_eq!(parse_threshold(None), DEFAULT_THRESHOLD);
        assert_eq!(parse_threshold(Some("0")), 0);
        assert_eq!(parse_threshold(Some(" 7 ")), 7);
        assert_eq!(parse_threshold(Some("many")), DEFAULT_THRESHOLD);
        assert_eq!(parse_threshold(Some("-1")), DEFAULT_THRESHOLD);
    }
}
