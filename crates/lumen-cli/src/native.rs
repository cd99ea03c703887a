//! The native tiers: VMs with JIT-compiled code (`--tier jit`: every cell compiled before
//! `main`; `--tier tiered`: the VM compiles cells and enters loops natively once they
//! get hot, through `lumen_codegen::TieredJit`).

use lumen_codegen::{JitCompiler, JitError, OptLevel};
use lumen_core::lir::LirModule;
use lumen_rt::VM;

/// A VM running `module` with every cell compiled at `level` (`--tier jit`); at O2 and
/// O3 the LIR passes run first.
pub fn jit_vm(mut module: LirModule, level: OptLevel) -> Result<VM, JitError> {
    lumen_codegen::opt::optimize(&mut module, level);
    JitCompiler::with_opt_level(level).compile_module(&module)
}

/// A VM for `--tier tiered` at `level`: interpreted first; a cell called more than
/// `threshold` times, or a loop iterating more than `threshold` times, continues natively
/// (at O2 and O3 the LIR passes run first).
pub fn tiered_vm(mut module: LirModule, level: OptLevel, threshold: u32) -> Result<VM, JitError> {
    lumen_codegen::opt::optimize(&mut module, level);
    lumen_codegen::tiered_vm(&module, threshold, level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::{Outcome, run_vm};

    fn compile(src: &str) -> LirModule {
        match lumen_compiler::compile(src) {
            Ok(m) => m,
            Err(e) => panic!("{e:?}"),
        }
    }

    /// A runtime error inside native code called from an interpreted `main` carries the
    /// frames of both tiers, innermost first, exactly as the interpreter alone reports it.
    #[test]
    fn traces_cross_the_tier_boundary() {
        let src =
            "cell div(a: Int, b: Int) -> Int\n  a / b\nend\ncell main()\n  print(div(6, 0))\nend\n";
        let want = run_vm(VM::new(compile(src)), "t.lm", vec![]);
        assert!(
            matches!(&want, Outcome::Failed(t) if t.contains("at div") && t.contains("at main")),
            "{want:?}"
        );
        for threshold in [0, 1, 100] {
            let vm = tiered_vm(compile(src), OptLevel::O1, threshold).unwrap();
            assert_eq!(run_vm(vm, "t.lm", vec![]), want, "threshold {threshold}");
        }
        for level in [OptLevel::O0, OptLevel::O3] {
            let vm = jit_vm(compile(src), level).unwrap();
            assert_eq!(run_vm(vm, "t.lm", vec![]), want, "{level}");
        }
    }

    #[test]
    fn exit_codes_survive_native_code() {
        let src = "cell f(n: Int) -> Int\n  exit(n)\n  n\nend\ncell main()\n  f(4)\nend\n";
        let vm = tiered_vm(compile(src), OptLevel::O2, 5).unwrap();
        assert_eq!(run_vm(vm, "t.lm", vec![]), Outcome::Exit(4));
        let vm = jit_vm(compile(src), OptLevel::O2).unwrap();
        assert_eq!(run_vm(vm, "t.lm", vec![]), Outcome::Exit(4));
    }
}
