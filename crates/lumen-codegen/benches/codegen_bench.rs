//! JIT benchmarks (`cargo bench -p lumen-codegen`; `-- compile` for the compile-time
//! groups only; docs/jit.md, "Compile time", has the measured numbers):
//!
//! - `compile/<program>/<level>`: compiling a whole module natively at `O0`…`O3` (the
//!   LIR passes of O2/O3 included; `JitCompiler::compile_native`); the throughput is in
//!   cells. `main_only` (one empty cell) is the fixed cost of a module (declarations,
//!   JIT memory, finalisation). `small_cells` is `bench_programs::SMALL_CELLS`: six small
//!   cells and a `main` calling them, so (small_cells - main_only) / 6 is the marginal
//!   cost of a small cell in a whole-module compile — an upper bound, as it also counts
//!   that `main`'s own code.
//! - `compile_cell/small/<level>`: the target's figure (a small cell under 50 µs at O1):
//!   a tiering JIT compiling one hot small cell of `small_cells` into its module — the
//!   cell compiled as its own entry (the tier's way for a cell no native code calls) and
//!   the finalisation — per cell (criterion's time is for all six; `elem/s` is cells per
//!   second).
//! - `run/<program>/<tier>`: running `main` of a benchmark program at its small size in
//!   the interpreter and natively (compiled once, outside the measurement).
//!
//! Sample sizes and times are small so the whole run takes a few minutes.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lumen_codegen::bench_programs::{PROGRAMS, SMALL_CELLS, small_args};
use lumen_codegen::{JitCompiler, OptLevel, TieredJit};
use lumen_core::lir::LirModule;
use lumen_rt::VM;
use lumen_rt::tier::Tier;
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
    let modules = [
        ("main_only", compile("cell main()\nend\n")),
        ("small_cells", compile(SMALL_CELLS)),
    ]
    .into_iter()
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

/// `compile_cell/small/<level>`: what the tiering JIT pays for one hot small cell — the
/// cell compiled as its own entry (none is recursive) and the finalisation, into a
/// module whose declarations exist (made in the untimed setup, by compiling an empty
/// cell). Each iteration compiles every small cell of [`SMALL_CELLS`] (not `main`) one at a time,
/// so criterion's time per element is the mean time per small cell.
fn compile_cell_time(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile_cell");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    let source = format!("{SMALL_CELLS}\ncell warm_up()\nend\n");
    for level in LEVELS {
        let mut module = compile(&source);
        lumen_codegen::opt::optimize(&mut module, level);
        let warm_up = module.find_cell("warm_up").expect("warm_up cell");
        let small: Vec<_> = (0..module.cells.len() as u32)
            .filter(|&id| Some(id) != module.main && id != warm_up)
            .collect();
        group.throughput(Throughput::Elements(small.len() as u64));
        group.bench_function(BenchmarkId::new("small", level), |b| {
            b.iter_batched(
                || {
                    let mut tier = TieredJit::new(level).expect("host supported");
                    assert!(tier.compile(&module, warm_up).is_some());
                    tier
                },
                |mut tier| {
                    for &id in &small {
                        assert!(tier.compile(&module, id).is_some(), "cell {id} at {level}");
                    }
                    tier
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, compile_time, compile_cell_time, run_time);
criterion_main!(benches);
