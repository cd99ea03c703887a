//! Prints, for each Lumen program given, the LIR instruction count at O0…O3 and what O3
//! changed (calls left, unchecked list reads): `cargo run -p lumen-codegen --example
//! opt_stats -- bench/programs/*.lm`. With `--dump <level> <file>`, prints the LIR text
//! of the file optimised at that level instead.

use lumen_codegen::opt::{OptLevel, optimize};
use lumen_core::lir::{Instr, LirModule};

fn count(m: &LirModule, f: impl Fn(&Instr) -> bool) -> usize {
    m.cells
        .iter()
        .flat_map(|c| &c.code)
        .filter(|i| f(i))
        .count()
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--dump") {
        let (Some(level), Some(path)) = (argv.get(2), argv.get(3)) else {
            eprintln!("usage: opt_stats --dump <level> <file>");
            return;
        };
        let Ok(level) = level.parse::<OptLevel>() else {
            eprintln!("bad level {level}");
            return;
        };
        let bytes = std::fs::read(path).unwrap_or_default();
        match lumen_compiler::compile_file(path, &bytes) {
            Ok(mut m) => {
                optimize(&mut m, level);
                print!("{}", lumen_core::dump::dump(&m));
            }
            Err(_) => eprintln!("{path}: does not compile"),
        }
        return;
    }
    println!("program                  O0/O1     O2     O3  calls(O0->O3)  unchecked");
    for path in std::env::args().skip(1) {
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("{path}: unreadable");
            continue;
        };
        let Ok(module) = lumen_compiler::compile_file(&path, &bytes) else {
            eprintln!("{path}: does not compile");
            continue;
        };
        let at = |level| {
            let mut m = module.clone();
            optimize(&mut m, level);
            m
        };
        let (o2, o3) = (at(OptLevel::O2), at(OptLevel::O3));
        let calls = |m: &LirModule| count(m, |i| matches!(i, Instr::Call { .. }));
        let name = std::path::Path::new(&path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(path.clone());
        println!(
            "{name:<22} {:>7} {:>6} {:>6}  {:>5} -> {:<5}  {:>9}",
            count(&module, |_| true),
            count(&o2, |_| true),
            count(&o3, |_| true),
            calls(&module),
            calls(&o3),
            count(&o3, |i| matches!(i, Instr::ListGetUnchecked { .. })),
        );
    }
}
