//! `lumen-codegen`: native code generation for Lumen with Cranelift (a JIT now; AOT and
//! WebAssembly later) and the LIR optimisation levels behind `LUMEN_OPT_LEVEL`.
//!
//! The JIT compiles LIR cells to machine code following `docs/jit.md`: scalar registers
//! in machine registers, direct native calls between cells, and every heap operation
//! through the runtime helpers of `lumen_rt::native`, which share the VM's
//! implementation (so native code behaves exactly like the interpreter).
//!
//! ```
//! use lumen_codegen::jit::JitCompiler;
//! use lumen_core::value::Value;
//!
//! let source = r#"
//! cell fib(n: Int) -> Int
//!   if n <= 1
//!     return n
//!   end
//!   return fib(n - 1) + fib(n - 2)
//! end
//!
//! cell main()
//!   print(fib(10))
//! end
//! "#;
//! let module = lumen_compiler::compile(source).expect("compiles");
//! let mut jit = JitCompiler::new();
//! let native_fib = jit.compile_cell(&module, module.find_cell("fib").unwrap())?;
//! assert_eq!(native_fib.call(&[Value::Int(10)])?, Value::Int(55));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules: [`types`] (register types and signatures), [`context`] (declared helpers and
//! cells), [`ir`] (LIR → Cranelift IR), [`emit`] (emission utilities, entry
//! trampolines), [`jit`] (the compiler and native functions), [`tiered`] (the JIT as
//! the VM's tier: hot cells and loops compiled on demand), [`opt`] (levels); privately,
//! `ranges` (overflow checks proven unnecessary), `reduce` (loop products computed by
//! additions), `early_return` (base cases answered at the call site), `memory` (the
//! JIT's code memory) and `batch` (a batch of functions compiled on two threads when it
//! is big enough).

mod batch;
pub mod bench_programs;
pub mod context;
mod divide;
mod early_return;
pub mod emit;
pub mod ir;
pub mod jit;
#[cfg(target_arch = "x86_64")]
mod memory;
pub mod opt;
mod ranges;
mod reduce;
pub mod tiered;
pub mod types;

pub use jit::{JitCompiler, JitError, NativeCode, NativeFn, emit_asm, emit_clif, run_main};
pub use opt::OptLevel;
pub use tiered::{TieredJit, run_main_tiered, tiered_vm};
