//! The runtime side of native code (`docs/jit.md`): the context native functions receive
//! ([`NativeCtx`]), the `extern "C"` helpers they call ([`helpers`]), the layout facts
//! they rely on ([`layout`]) and the way the VM enters a compiled cell ([`enter`]).
//!
//! Native code never re-implements an operation the VM has: every instruction it does
//! not translate inline runs through its own helper ([`ops`], one per operation, chosen
//! at compile time by [`op_helper`]), which calls the VM's routine for that operation on
//! the native frame's slots (a register window laid out exactly like the VM's); [`abi`]
//! holds the helpers for errors, frames, slots and scalar or value-level operations.

pub mod abi;
pub mod ctx;
pub mod layout;
pub mod ops;

pub use abi::{AbiTy, Helper, RAISE_STACK_OVERFLOW, helpers};
pub use ctx::{
    CTX_CALLEE_COUNT_OFFSET, CTX_CALLEES_OFFSET, CTX_CONSTS_OFFSET, CTX_DEPTH_OFFSET,
    CTX_ERR_OFFSET, CTX_FAIL_KIND_OFFSET, CTX_FAIL_PC_OFFSET, CTX_FAULT_IDX_OFFSET,
    CTX_FAULT_OBJ_OFFSET, NativeCtx,
};
pub use ops::{OpHelper, op_helper};

use crate::trace::RuntimeError;
use crate::vm::{Fault, State, trace};
use lumen_core::error::RtError;
use lumen_core::lir::LirModule;
use lumen_core::value::{CellId, Value};

/// The uniform entry of a compiled cell: `args` holds the cell's parameters then its
/// captures (non-scalar ones are moved out, leaving null), each scalar one of its
/// register's kind (the entry reads it unchecked: the VM's own values are, and
/// `VM::call_cell` checks an embedder's); the result is written to
/// `*ret` (which must hold a value owning nothing, e.g. null). On failure `ctx.err` is
/// set and the error and frames are in the context.
pub type Entry = unsafe extern "C" fn(ctx: *mut NativeCtx, args: *mut Value, ret: *mut Value);

/// Where an entry writes its result: a `Value` as two 8-byte words, read back the same
/// way. Native code stores the words separately; a 16-byte load of them (a plain
/// `Value` move) cannot be forwarded from two stores and waits for both to reach the
/// cache — a stall on every call, which dominated lambdas called from loops.
#[repr(C, align(16))]
pub(crate) struct Ret([u64; 2]);

impl Ret {
    /// Null (all zeros: `TAG_NULL` is 0), owning nothing, as an entry's `ret` must.
    pub(crate) fn new() -> Ret {
        Ret([0; 2])
    }

    /// The pointer to pass as an entry's `ret`.
    pub(crate) fn ptr(&mut self) -> *mut Value {
        self.0.as_mut_ptr().cast()
    }

    /// The value written (null if none was).
    ///
    /// # Safety
    /// The words hold a `Value`: null, or what an entry wrote.
    pub(crate) unsafe fn take(self) -> Value {
        // SAFETY: a `Value` is 16 bytes (`check_layout`); the caller's contract. Each
        // word is read on its own (volatile: not merged into one 16-byte load).
        unsafe {
            let w = [
                std::ptr::read_volatile(&self.0[0]),
                std::ptr::read_volatile(&self.0[1]),
            ];
            std::mem::transmute::<[u64; 2], Value>(w)
        }
    }
}

/// What native code needs to call a cell through a function value without the VM: the
/// cell's entry, once compiled, and how many parameters and captures it takes (checked
/// against the call and the closure: a function value may come from an embedder). One
/// per cell of the module, in the VM state; native code finds them through
/// [`NativeCtx`]'s `callees` (`CTX_CALLEES_OFFSET`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Callee {
    /// The entry; `None` (a null pointer) until the cell is compiled.
    pub entry: Option<Entry>,
    /// `Cell::params`.
    pub params: u32,
    /// `Cell::captures`.
    pub captures: u32,
}

/// Byte offset of [`Callee::params`] (the entry comes first).
pub const CALLEE_PARAMS_OFFSET: i32 = 8;
/// Byte offset of [`Callee::captures`].
pub const CALLEE_CAPTURES_OFFSET: i32 = 12;
/// Size of a [`Callee`].
pub const CALLEE_SIZE: i32 = 16;

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
        return Err(crate::vm::wrong_count(c).into());
    }
    with_entry_values(args, captures, |values| run(m, st, entry, values))
}

/// Calls `f` on what an entry takes: `args` then `captures`. Without captures that is
/// `args` itself (the entry moves what it keeps out of it); otherwise [`EntryValues`].
pub(crate) fn with_entry_values<R>(
    args: &mut [Value],
    captures: &[Value],
    f: impl FnOnce(&mut [Value]) -> R,
) -> R {
    if captures.is_empty() {
        return f(args);
    }
    f(EntryValues::take(args, captures).as_mut_slice())
}

/// An entry's arguments (moved out of where they were) followed by its captures
/// (copied), in a stack array for small calls — lambdas called from loops need no
/// allocation — or a vector.
pub(crate) enum EntryValues {
    Small([Value; SMALL_CALL], usize),
    Large(Vec<Value>),
}

impl EntryValues {
    /// Moves `args` and copies `captures` in.
    pub(crate) fn take(args: &mut [Value], captures: &[Value]) -> EntryValues {
        let n = args.len() + captures.len();
        let mut fill = |values: &mut [Value]| {
            let (params, copies) = values.split_at_mut(args.len());
            for (slot, a) in params.iter_mut().zip(args.iter_mut()) {
                *slot = std::mem::take(a);
            }
            copies.clone_from_slice(captures);
        };
        if n <= SMALL_CALL {
            let mut values: [Value; SMALL_CALL] = Default::default();
            fill(&mut values[..n]);
            EntryValues::Small(values, n)
        } else {
            let mut values = vec![Value::Null; n];
            fill(&mut values);
            EntryValues::Large(values)
        }
    }

    /// The values, as an entry takes them.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [Value] {
        match self {
            EntryValues::Small(values, n) => &mut values[..*n],
            EntryValues::Large(values) => values,
        }
    }
}

/// Calls with at most this many arguments and captures pass them in a stack array.
const SMALL_CALL: usize = 6;

/// Continues a frame of `cell` natively from an on-stack-replacement entry (generated by
/// the JIT for one of its loop headers): `window` holds the frame's registers (heap
/// values are moved out). The caller has removed the cell's own VM frame: the native
/// code counts and traces itself.
pub(crate) fn enter_osr(
    m: &LirModule,
    st: &mut State,
    entry: Entry,
    cell: CellId,
    window: &mut [Value],
) -> Result<Value, Fault> {
    if window.len() != m.cells[cell as usize].regs.len() {
        return Err(RtError::Internal("OSR window of the wrong size".into()).into());
    }
    run(m, st, entry, window)
}

/// Calls `entry` on `values` (arguments, or an OSR window) and turns a failure into a
/// traced fault.
pub(crate) fn run(
    m: &LirModule,
    st: &mut State,
    entry: Entry,
    values: &mut [Value],
) -> Result<Value, Fault> {
    let outer = std::mem::take(&mut st.frames);
    let base = st.depth_base;
    let mut ctx = NativeCtx::new(m, st, base + outer.len());
    let mut ret = Ret::new();
    // SAFETY: `entry` was generated for this module (the contract of `VM::set_native`
    // and `VM::call_osr`) and `values` holds what it takes; `ret` holds null, and the
    // context's state pointer was derived from `st`, which is not used until the call
    // returns. An entry follows the C convention, also for the register native code
    // pins the context in: it saves the caller's value and restores it on return.
    unsafe { entry(&mut ctx, values.as_mut_ptr(), ret.ptr()) };
    // SAFETY: null, or the value the entry wrote.
    let ret = unsafe { ret.take() };
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
