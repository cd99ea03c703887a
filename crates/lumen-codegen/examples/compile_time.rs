//! Where the tiering JIT's compile time goes, per cell: compiles each small cell of
//! `bench_programs::SMALL_CELLS` into a fresh tier (as `compile_cell/small` of the
//! criterion benchmark does), many rounds, and prints the mean time per cell and
//! Cranelift's own pass timings over all rounds (which also count each round's
//! warm-up cell).
//!
//! `cargo run --release -p lumen-codegen --example compile_time -- [LEVEL] [ROUNDS] [FILE]`
//! (level 0–3, default 1; 2000 rounds by default; FILE: a Lumen program whose cells
//! are measured instead, each with the cells it calls, as a tier compiles them).

use lumen_codegen::bench_programs::SMALL_CELLS;
use lumen_codegen::{OptLevel, TieredJit};
use lumen_rt::tier::Tier;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let level = match args.next().as_deref() {
        Some("0") => OptLevel::O0,
        Some("2") => OptLevel::O2,
        Some("3") => OptLevel::O3,
        _ => OptLevel::O1,
    };
    let rounds: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let file = args.next();
    let program = match &file {
        Some(path) => std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}")),
        None => SMALL_CELLS.to_string(),
    };
    // A program's `main` is measured too; `SMALL_CELLS`' only calls the six cells.
    let with_main = file.is_some();
    let source = format!("{program}\ncell warm_up()\nend\n");
    let mut module = match lumen_compiler::compile(&source) {
        Ok(m) => m,
        Err(e) => panic!("the program does not compile: {e:?}"),
    };
    lumen_codegen::opt::optimize(&mut module, level);
    let warm_up = module.find_cell("warm_up").expect("warm_up cell");
    let cells: Vec<_> = (0..module.cells.len() as u32)
        .filter(|&id| id != warm_up && (with_main || Some(id) != module.main))
        .collect();
    let mut spent = vec![Duration::ZERO; cells.len()];
    let _ = cranelift_codegen::timing::take_current();
    for _ in 0..rounds {
        let mut tier = TieredJit::new(level).expect("host supported");
        assert!(tier.compile(&module, warm_up).is_some());
        for (t, &id) in spent.iter_mut().zip(&cells) {
            let start = Instant::now();
            assert!(tier.compile(&module, id).is_some(), "cell {id}");
            *t += start.elapsed();
        }
    }
    let passes = cranelift_codegen::timing::take_current();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(rounds);
    println!("{level}, {rounds} rounds: mean compile time per cell");
    for (t, &id) in spent.iter().zip(&cells) {
        println!("  {:10} {:7.1} µs", module.cells[id as usize].name, per(*t));
    }
    let total: Duration = spent.iter().sum();
    println!("  {:10} {:7.1} µs", "mean", per(total) / cells.len() as f64);
    println!("\nCranelift passes over all rounds (seconds):\n{passes}");
}
