//! `lumen-codegen`: native code generation for Lumen (Cranelift JIT; AOT and WebAssembly
//! later) and the LIR optimisation passes behind `LUMEN_OPT_LEVEL`.

pub mod opt;
