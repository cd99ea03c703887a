//! `lumen-rt`: the Lumen virtual machine.
//!
//! [`vm::VM`] interprets a [`lumen_core::LirModule`]; runtime errors come back as
//! [`RuntimeError`]s carrying the Lumen stack trace. The builtins of the language
//! reference §8 live in `builtins/`.
//!
//! Lumen calls do not recurse in Rust, but the higher-order builtins (`map`, `filter`,
//! `sort_by`, …) re-enter the interpreter for each function call, so deeply nested calls
//! through them need a large native stack: run the VM with [`run_on_big_stack`].
//! The VM and modules hold `Rc`s and are not `Send`: compile and run inside the closure.
//!
//! ```
//! let result = lumen_rt::run_on_big_stack(|| 6 * 7);
//! assert_eq!(result, 42);
//! ```

mod builtins;
mod captured;
pub mod native;
pub mod tier;
pub mod trace;
pub mod vm;

pub use captured::Captured;
pub use trace::{RuntimeError, TraceFrame};
pub use vm::VM;

/// Native stack size for [`run_on_big_stack`].
pub const BIG_STACK: usize = 256 << 20;

/// Runs `f` on a 256 MiB stack and returns its result: on the calling thread, switched
/// to a stack of its own (`stacker`), not on a new thread, whose start costs a
/// cross-core wake-up on every run of a program. A panic in `f` unwinds to the caller.
///
/// # Panics
/// If the operating system cannot map the stack.
pub fn run_on_big_stack<T, F>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    stacker::grow(BIG_STACK, f)
}
