//! The `interp` tier: running a compiled module's `main` on the `lumen-rt` VM.

use lumen_core::lir::LirModule;

/// How a program run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `main` returned; holds the display form of a non-null return value.
    Returned(Option<String>),
    /// The program called `exit(n)`.
    Exit(i32),
    /// A runtime error; holds the complete stderr text (message and stack trace).
    Failed(String),
}

/// Runs `main` of `module` with `args` as `args()`. `file` is the path as given, for
/// stack traces. Everything the program printed has reached the process's stdout when
/// this returns.
pub fn run_main(module: LirModule, file: &str, args: Vec<String>) -> Outcome {
    // Placeholder until `lumen_rt::vm::VM` lands.
    let _ = (module, args);
    Outcome::Failed(format!(
        "error: internal error: the interpreter is not built yet\n  at main ({file}:1:1)\n"
    ))
}
