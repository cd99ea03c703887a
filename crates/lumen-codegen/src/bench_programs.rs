//! The benchmark programs as Lumen source, for `benches/codegen_bench.rs` and tests.
//!
//! The programs themselves live once, in `bench/programs/` (also run by `bench/run`
//! against the peer implementations); they are included here with their small size
//! (`.args`) and the expected output at that size (`.out`). [`SMALL_CELLS`] adds a module
//! of small cells for measuring compile time per cell.

/// One benchmark program.
#[derive(Clone, Copy, Debug)]
pub struct BenchProgram {
    /// Its name (`bench/programs/<name>.lm`).
    pub name: &'static str,
    /// The Lumen source.
    pub source: &'static str,
    /// The program argument (size) of the small run, as `bench/run --size small` uses it.
    pub small_arg: &'static str,
    /// Expected stdout of the small run.
    pub small_out: &'static str,
}

macro_rules! program {
    ($name:literal) => {
        BenchProgram {
            name: $name,
            source: include_str!(concat!("../../../bench/programs/", $name, ".lm")),
            small_arg: include_str!(concat!("../../../bench/programs/", $name, ".args")),
            small_out: include_str!(concat!("../../../bench/programs/", $name, ".out")),
        }
    };
}

/// Recursive Fibonacci: calls and Int arithmetic.
pub const FIB: BenchProgram = program!("fib");
/// Nested loops summing Ints.
pub const LOOP_SUM: BenchProgram = program!("loop_sum");
/// Mandelbrot set membership count: Float arithmetic in loops.
pub const MANDELBROT: BenchProgram = program!("mandelbrot");
/// N-body simulation: Float lists, records of Floats.
pub const NBODY: BenchProgram = program!("nbody");
/// Spectral norm: Float lists and small cells called in inner loops.
pub const SPECTRAL_NORM: BenchProgram = program!("spectral_norm");

/// The benchmark programs measured by `cargo bench -p lumen-codegen`.
pub const PROGRAMS: [BenchProgram; 5] = [FIB, LOOP_SUM, MANDELBROT, NBODY, SPECTRAL_NORM];

/// A module of small cells, typical of what a tiering JIT compiles one at a time: Int
/// and Float arithmetic, a branch, a loop, a list read and a string build.
pub const SMALL_CELLS: &str = "\
cell add(a: Int, b: Int) -> Int
  a + b
end

cell scale(x: Float, k: Float) -> Float
  x * k + 0.5
end

cell clamp(x: Int, lo: Int, hi: Int) -> Int
  if x < lo then lo else if x > hi then hi else x
end

cell sum_to(n: Int) -> Int
  let mut s = 0
  for i in 0..n
    s += i
  end
  s
end

cell second(xs: list[Int]) -> Int
  xs[1]
end

cell greet(name: String) -> String
  \"hello, \" + name
end

cell main()
  print(add(1, 2), scale(2.0, 3.0), clamp(7, 0, 5), sum_to(4), second([4, 5]), greet(\"x\"))
end
";

/// The output of [`SMALL_CELLS`].
pub const SMALL_CELLS_OUT: &str = "3 6.5 5 6 5 hello, x\n";

/// The argument list of the small run of `program` (its `.args` file: one per line).
pub fn small_args(program: &BenchProgram) -> Vec<String> {
    program.small_arg.lines().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{JitCompiler, OptLevel};

    /// Runs `source` with `args` in the VM or natively at `level`; its stdout.
    fn run(source: &str, args: Vec<String>, level: Option<OptLevel>) -> String {
        let module = lumen_compiler::compile(source).unwrap();
        let mut vm = match level {
            None => lumen_rt::VM::new(module),
            Some(level) => JitCompiler::with_opt_level(level)
                .compile_module(&module)
                .unwrap(),
        };
        let out = lumen_rt::Captured::default();
        vm.set_args(args);
        vm.set_stdout(Box::new(out.clone()));
        vm.run_main().unwrap();
        drop(vm);
        out.text()
    }

    /// The benchmarks measure programs that work: each gives its expected small output
    /// in the VM and natively.
    #[test]
    fn programs_give_their_small_outputs() {
        for p in PROGRAMS {
            for level in [
                None,
                Some(OptLevel::O0),
                Some(OptLevel::O1),
                Some(OptLevel::O3),
            ] {
                assert_eq!(
                    run(p.source, small_args(&p), level),
                    p.small_out,
                    "{} at {level:?}",
                    p.name
                );
            }
        }
    }

    #[test]
    fn small_cells_run() {
        for level in [None, Some(OptLevel::O0), Some(OptLevel::O2)] {
            assert_eq!(
                run(SMALL_CELLS, vec![], level),
                SMALL_CELLS_OUT,
                "{level:?}"
            );
        }
    }

    #[test]
    fn small_args_are_one_per_line() {
        assert_eq!(small_args(&FIB), ["24"]);
    }
}
