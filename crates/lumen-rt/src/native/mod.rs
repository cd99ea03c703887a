//! The runtime side of native code (`docs/jit.md`): the context native functions receive
//! ([`NativeCtx`]), the `extern "C"` helpers they call ([`helpers`]), the layout facts
//! they rely on ([`layout`]) and the way the VM enters a compiled cell ([`enter`]).
//!
//! Native code never re-implements an operation the VM has: every non-scalar
//! instruction runs through [`abi`]'s helpers, which call the VM's own routines on the
//! native frame's slots (a register window laid out exactly like the VM's).

pub mod abi;
pub mod ctx;
pub mod layout;

pub use abi::{AbiTy, Helper, RAISE_STACK_OVERFLOW, helpers};
pub use ctx::{CTX_DEPTH_OFFSET, CTX_ERR_OFFSET, NativeCtx};

use crate::trace::RuntimeError;
use crate::vm::{Fault, State, trace};
use lumen_core::error::RtError;
use lumen_core::lir::LirModule;
use lumen_core::value::{CellId, Value};

/// The uniform entry of a compiled cell: `args` holds the cell's parameters then its
/// captures (non-scalar ones are moved out, leaving null); the result is written to
/// `*ret` (which must hold a value owning nothing, e.g. null). On failure `ctx.err` is
/// set and the error and frames are in the context.
pub type Entry = unsafe extern "C" fn(ctx: *mut NativeCtx, args: *mut Value, ret: *mut Value);

/// Runs `cell` through its native `entry` with `args` (moved out) and `captures`
/// (copied). Called by the VM's `enter` for every cell that has an entry.
///
/// The frames of the VM's stack are set aside while the native code runs, so a nested
/// VM run traces only its own frames; a failure's trace is completed here with the
/// native frames and then the set-aside VM frames (innermost first, as the VM does).
pub(crate) fn enter(
    m: &LirModule,
    st: &mut State,
    entry: Entry,
    cell: CellId,
    args: &mut [Value],
    captures: &[Value],
) -> Result<Value, Fault> {
    let c = &m.cells[cell as usize];
    if args.len() != c.params as usize || captures.len() != c.captures as usize {
        return Err(RtError::Internal(format!("{} called with wrong arity", c.name)).into());
    }
    let mut argv: Vec<Value> = Vec::with_capacity(args.len() + captures.len());
    argv.extend(args.iter_mut().map(std::mem::take));
    argv.extend(captures.iter().cloned());
    call_entry(m, st, entry, &mut argv)
}

/// Runs native code `entry` (a cell's [`Entry`] on its arguments, or an OSR entry on a
/// register window) on `argv`, with the VM's frames set aside (see [`enter`]).
pub(crate) fn call_entry(
    m: &LirModule,
    st: &mut State,
    entry: Entry,
    argv: &mut [Value],
) -> Result<Value, Fault> {
    let outer = std::mem::take(&mut st.frames);
    let base = st.depth_base;
    let mut ctx = NativeCtx::new(m, st, base + outer.len());
    let mut ret = Value::Null;
    // SAFETY: `entry` was generated for this module (the contract of `VM::set_native`
    // and of `Tier`); `argv` holds what it expects (a cell's parameters and captures, or
    // an OSR entry's register window), `ret` holds null, and the context's state pointer
    // was derived from `st`, which is not used until the call returns.
    unsafe { entry(&mut ctx, argv.as_mut_ptr(), &mut ret) };
    st.frames = outer;
    st.depth_base = base;
    if ctx.err == 0 {
        return Ok(ret);
    }
    let (fault, frames) = ctx.into_failure();
    let mut e = match fault {
        Some(Fault::Plain(e)) => RuntimeError::new(e, Vec::new()),
        Some(Fault::Traced(e)) => *e,
        None => RuntimeError::new(
            RtError::Internal("native code failed without an error".into()),
            Vec::new(),
        ),
    };
    e.trace.extend(frames);
    e.trace.extend(trace(m, st));
    Err(Fault::Traced(Box::new(e)))
}
