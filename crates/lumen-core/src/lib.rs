//! `lumen-core`: LIR (Lumen's typed register bytecode), its verifier, text dump and
//! serialisation, and the value model shared by every execution tier.
//!
//! - [`value`]: [`Value`] and the reference-counted, copy-on-write heap objects.
//! - [`ops`]: operator semantics (checked Int arithmetic, equality, ordering).
//! - [`display`]: the display form used by `print`, `to_string` and interpolation.
//! - [`error`]: runtime error kinds and their messages.
//! - [`builtins`]: the builtin overloads LIR can call.
//! - [`lir`]: modules, cells, registers, instructions.
//! - [`operands`]: which registers an instruction reads and writes, where it jumps.
//! - [`flow`]: basic blocks and register liveness.
//! - [`verify`]: well-formedness checks of a module.
//! - [`dump`]: the readable text form (`lumen emit lir`).
//! - [`serial`]: the compact binary form.

pub mod builtins;
pub mod display;
pub mod dump;
pub mod error;
pub mod flow;
pub mod lir;
pub mod map;
pub mod operands;
pub mod ops;
pub mod serial;
pub mod value;
pub mod verify;

pub use builtins::Builtin;
pub use error::{RtError, RtResult};
pub use lir::LirModule;
pub use value::Value;
