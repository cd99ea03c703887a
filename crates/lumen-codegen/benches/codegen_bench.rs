//! JIT benchmarks (`cargo bench -p lumen-codegen`):
//!
//! - `compile/<program>/<level>`: compiling a whole module natively at `O0`…`O3` (the
//!   LIR passes of O2/O3 included); the throughput is in cells, so criterion's
//!   `elem/s` gives the time per cell. `small_cells` is a module of small cells (target:
//!   under 50 µs per small cell at O1).
//! - `run/<program>/<tier>`: running `main` of a benchmark program at its small size in
//!   the interpreter and natively (compiled once, outside the measurement).
//!
//! Sample sizes and times are small so the whole run takes a few minutes.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lumen_codegen::bench_programs::{PROGRAMS, SMALL_CELLS, small_args};
use lumen_codegen::{JitCompiler, OptLevel};
use lumen_core::lir::LirModule;
use lumen_rt::VM;
use std::time::Duration;

const LEVELS: [OptLevel; 4] = [OptLevel::O0, OptLevel::O1, OptLevel::O2, OptLevel::O3];

fn compile(source: &str) -> LirModule {
    match lumen_compiler::compile(source) {
        Ok(m) => m,
        Err(e) => panic!("benchmark program does not compile: {e:?}"),
    }
}

fn compile_time(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let modules = std::iter::once(("small_cells", compile(SMALL_CELLS)))
        .chain(PROGRAMS.iter().map(|p| (p.name, compile(p.source))));
    for (name, module) in modules {
        group.throughput(Throughput::Elements(module.cells.len() as u64));
        for level in LEVELS {
            group.bench_with_input(BenchmarkId::new(name, level), &module, |b, module| {
                b.iter(|| {
                    let mut m = module.clone();
                    lumen_codegen::opt::optimize(&mut m, level);
                    let code = JitCompiler::with_opt_level(level).compile_native(&m);
                    assert!(code.is_ok(), "{name} at {level}");
                    code
                })
            });
        }
    }
    group.finish();
}

/// A VM for `source` ready to run `main` at its small size: interpreted, or with every
/// cell compiled at O1.
fn prepared(source: &str, args: Vec<String>, native: bool) -> VM {
    let module = compile(source);
    let mut vm = if native {
        match JitCompiler::new().compile_module(&module) {
            Ok(vm) => vm,
            Err(e) => panic!("{e}"),
        }
    } else {
        VM::new(module)
    };
    vm.set_args(args);
    vm.set_stdout(Box::new(std::io::sink()));
    vm
}

fn run_time(c: &mut Criterion) {
    let mut group = c.benchmark_group("run");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for p in PROGRAMS {
        for (tier, native) in [("interp", false), ("jit", true)] {
            let mut vm = prepared(p.source, small_args(&p), native);
            group.bench_function(BenchmarkId::new(p.name, tier), |b| {
                b.iter(|| assert!(vm.run_main().is_ok(), "{} ({tier})", p.name))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, compile_time, run_time);
criterion_main!(benches);
