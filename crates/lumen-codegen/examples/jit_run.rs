//! Runs a Lumen program natively: `jit_run [-O0|-O1|-O2|-O3] FILE [ARGS…]` (what
//! `lumen run --tier jit` does, until the CLI offers it). Prints the compile and run
//! times on stderr when `LUMEN_JIT_TIMES` is set, and the Cranelift IR when
//! `LUMEN_JIT_CLIF` is set.

use lumen_codegen::{JitCompiler, OptLevel};
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let level = match args.first().map(String::as_str) {
        Some("-O0") => Some(OptLevel::O0),
        Some("-O1") => Some(OptLevel::O1),
        Some("-O2") => Some(OptLevel::O2),
        Some("-O3") => Some(OptLevel::O3),
        _ => None,
    };
    if level.is_some() {
        args.remove(0);
    }
    if args.is_empty() {
        eprintln!("usage: jit_run [-O0|-O1|-O2|-O3] FILE [ARGS...]");
        std::process::exit(2);
    }
    let file = args.remove(0);
    let code = lumen_rt::run_on_big_stack(move || run(&file, level.unwrap_or_default(), args));
    std::process::exit(code);
}

fn run(file: &str, level: OptLevel, args: Vec<String>) -> i32 {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {file}: {e}");
            return 2;
        }
    };
    let module = match lumen_compiler::compile_file(file, &bytes) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e:?}");
            return 2;
        }
    };
    if std::env::var_os("LUMEN_JIT_CLIF").is_some() {
        match lumen_codegen::emit_clif(&module, level) {
            Ok(text) => eprint!("{text}"),
            Err(e) => eprintln!("error: {e}"),
        }
    }
    let t0 = Instant::now();
    let mut vm = match JitCompiler::with_opt_level(level).compile_module(&module) {
        Ok(vm) => vm,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let t1 = Instant::now();
    vm.set_args(args);
    let res = vm.run_main();
    if std::env::var_os("LUMEN_JIT_TIMES").is_some() {
        eprintln!(
            "compile {:.3} ms, run {:.3} ms",
            (t1 - t0).as_secs_f64() * 1e3,
            t1.elapsed().as_secs_f64() * 1e3
        );
    }
    match res {
        Ok(()) => 0,
        Err(e) => match e.exit_code() {
            Some(c) => c,
            None => {
                eprint!("{}", e.render(file));
                1
            }
        },
    }
}
