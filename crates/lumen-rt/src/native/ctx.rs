//! [`NativeCtx`]: the per-entry context every native function receives as its first
//! argument.

use super::Callee;
use crate::trace::TraceFrame;
use crate::vm::{Fault, State};
use lumen_core::lir::LirModule;

/// Byte offset of [`NativeCtx::err`].
pub const CTX_ERR_OFFSET: i32 = 0;
/// Byte offset of [`NativeCtx::depth`].
pub const CTX_DEPTH_OFFSET: i32 = 4;
/// Byte offset of [`NativeCtx::fault_obj`].
pub const CTX_FAULT_OBJ_OFFSET: i32 = 8;
/// Byte offset of [`NativeCtx::fault_idx`].
pub const CTX_FAULT_IDX_OFFSET: i32 = 16;
/// Byte offset of [`NativeCtx::fail_pc`].
pub const CTX_FAIL_PC_OFFSET: i32 = 24;
/// Byte offset of [`NativeCtx::fail_kind`].
pub const CTX_FAIL_KIND_OFFSET: i32 = 28;
/// Byte offset of [`NativeCtx::callees`].
pub const CTX_CALLEES_OFFSET: i32 = 32;
/// Byte offset of [`NativeCtx::callee_count`].
pub const CTX_CALLEE_COUNT_OFFSET: i32 = 40;
/// Byte offset of [`NativeCtx::consts`].
pub const CTX_CONSTS_OFFSET: i32 = 48;

/// What native code sees of the runtime. `err`, `depth`, `fault_obj`, `fault_idx`,
/// `fail_pc`, `fail_kind`, `callees`, `callee_count` and `consts` sit at fixed offsets
/// (`CTX_*_OFFSET`) and are read or written by generated code; the rest is for the
/// helpers.
#[repr(C)]
pub struct NativeCtx {
    /// 0 while no error is pending.
    pub err: u32,
    /// Active Lumen calls (VM frames below included); native code raises `stack
    /// overflow` instead of making call number 10,001.
    pub depth: u32,
    /// The object of a failed inline read, written by native code before it raises
    /// `RAISE_READ_FAULT` (`lumen_rt_push_frame` computes the VM's error from it).
    pub fault_obj: *const lumen_core::value::Value,
    /// The index of that read.
    pub fault_idx: i64,
    /// The instruction of a failure, written by native code before it jumps to its
    /// function's shared failure path (which passes it to `lumen_rt_push_frame`):
    /// stored on the cold path, it keeps no value live across the function.
    pub fail_pc: u32,
    /// The raise kind of that failure (`RAISE_*`; 0: the error is pending).
    pub fail_kind: u32,
    /// The VM's [`Callee`] of every cell (`callee_count` of them), for native
    /// `CallValue`. The table is sized once, when the VM is made, and only its entries
    /// change afterwards (as cells are compiled), so the pointer stays valid.
    pub callees: *const Callee,
    /// The number of cells in `callees`.
    pub callee_count: u32,
    /// The module's constant pool (`LirModule::consts`), for native `LoadConst`.
    pub consts: *const lumen_core::value::Value,
    /// The VM state (output streams, arguments, registers of nested VM runs).
    pub(crate) st: *mut State,
    /// The module the code was compiled from.
    pub(crate) module: *const LirModule,
    /// The pending error, once `err != 0`.
    pub(crate) fault: Option<Fault>,
    /// Native frames recorded while the error propagates, innermost first.
    pub(crate) trace: Vec<TraceFrame>,
}

impl NativeCtx {
    /// A context for running code of `m` on `st` with `depth` calls already active.
    pub(crate) fn new(m: &LirModule, st: &mut State, depth: usize) -> NativeCtx {
        NativeCtx {
            err: 0,
            depth: u32::try_from(depth).unwrap_or(u32::MAX),
            fault_obj: std::ptr::null(),
            fault_idx: 0,
            fail_pc: 0,
            fail_kind: 0,
            callees: st.callees.as_ptr(),
            callee_count: u32::try_from(st.callees.len()).unwrap_or(0),
            consts: m.consts.as_ptr(),
            st,
            module: m,
            fault: None,
            trace: Vec::new(),
        }
    }

    /// Records `fault` as the pending error.
    pub(crate) fn fail(&mut self, fault: Fault) {
        self.err = 1;
        self.fault = Some(fault);
    }

    /// The pending error and the recorded frames.
    pub(crate) fn into_failure(self) -> (Option<Fault>, Vec<TraceFrame>) {
        (self.fault, self.trace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_the_exported_ones() {
        use std::mem::offset_of;
        // (field, its offset, the exported constant)
        macro_rules! at {
            ($field:ident, $exported:expr) => {
                (stringify!($field), offset_of!(NativeCtx, $field), $exported)
            };
        }
        let fields = [
            at!(err, CTX_ERR_OFFSET),
            at!(depth, CTX_DEPTH_OFFSET),
            at!(fault_obj, CTX_FAULT_OBJ_OFFSET),
            at!(fault_idx, CTX_FAULT_IDX_OFFSET),
            at!(fail_pc, CTX_FAIL_PC_OFFSET),
            at!(fail_kind, CTX_FAIL_KIND_OFFSET),
            at!(callees, CTX_CALLEES_OFFSET),
            at!(callee_count, CTX_CALLEE_COUNT_OFFSET),
            at!(consts, CTX_CONSTS_OFFSET),
        ];
        for (name, at, exported) in fields {
            assert_eq!(at, exported as usize, "{name}");
        }
        use super::super::{CALLEE_CAPTURES_OFFSET, CALLEE_PARAMS_OFFSET, CALLEE_SIZE};
        assert_eq!(offset_of!(Callee, entry), 0);
        assert_eq!(offset_of!(Callee, params), CALLEE_PARAMS_OFFSET as usize);
        assert_eq!(
            offset_of!(Callee, captures),
            CALLEE_CAPTURES_OFFSET as usize
        );
        assert_eq!(std::mem::size_of::<Callee>(), CALLEE_SIZE as usize);
    }
}
