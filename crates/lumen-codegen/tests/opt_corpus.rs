//! Every conformance program that compiles behaves identically at every optimisation
//! level: the optimised module verifies, and running it on the VM gives the same stdout,
//! the same runtime error and the same stack trace as the unoptimised module.

use lumen_codegen::opt::{OptLevel, optimize};
use lumen_rt::{RuntimeError, VM};
use std::path::{Path, PathBuf};

/// What a run shows: stdout and the runtime error with its trace, if any.
type Outcome = (String, Option<RuntimeError>);

fn run(module: lumen_core::LirModule, args: &[String], stdin: &[u8]) -> Outcome {
    let out = lumen_rt::Captured::default();
    let mut vm = VM::new(module);
    vm.set_args(args.to_vec());
    vm.set_stdout(Box::new(out.clone()));
    vm.set_stdin(Box::new(std::io::Cursor::new(stdin.to_vec())));
    let result = vm.run_main().err();
    let text = out.text();
    (text, result)
}

fn programs(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.to_string_lossy();
        if p.is_dir() {
            programs(&p, found);
        } else if name.ends_with(".lm") || name.ends_with(".lm.md") {
            found.push(p);
        }
    }
}

/// The file beside `program` with extension `ext` instead of `.lm` / `.lm.md`.
fn sibling(program: &Path, ext: &str) -> PathBuf {
    let s = program.to_string_lossy();
    let stem = s
        .strip_suffix(".lm.md")
        .or_else(|| s.strip_suffix(".lm"))
        .unwrap_or(&s);
    PathBuf::from(format!("{stem}.{ext}"))
}

/// Checks one program at every level; returns the problems found.
fn check_program(path: PathBuf) -> Vec<String> {
    let mut problems = vec![];
    let Ok(bytes) = std::fs::read(&path) else {
        return vec![format!("{}: unreadable", path.display())];
    };
    let Ok(module) = lumen_compiler::compile_file(&path.to_string_lossy(), &bytes) else {
        return problems; // compile-error tests have nothing to run
    };
    let args: Vec<String> = std::fs::read_to_string(sibling(&path, "args"))
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default();
    let stdin = std::fs::read(sibling(&path, "stdin")).unwrap_or_default();
    let expected_out = std::fs::read_to_string(sibling(&path, "out")).ok();
    let base = run(module.clone(), &args, &stdin);
    for level in [OptLevel::O0, OptLevel::O1, OptLevel::O2, OptLevel::O3] {
        let mut m = module.clone();
        optimize(&mut m, level);
        if let Err(errors) = lumen_core::verify::verify(&m) {
            problems.push(format!(
                "{} at {level}: optimised LIR does not verify: {errors:?}",
                path.display()
            ));
            continue;
        }
        let got = run(m, &args, &stdin);
        if got != base {
            problems.push(format!(
                "{} at {level}: behaviour differs\n  unoptimised: {:?}\n  optimised:   {:?}",
                path.display(),
                base,
                got
            ));
        }
        if let Some(want) = &expected_out
            && &got.0 != want
        {
            problems.push(format!(
                "{} at {level}: stdout differs from .out",
                path.display()
            ));
        }
    }
    problems
}

#[test]
fn every_level_behaves_like_the_unoptimised_program() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance");
    let mut found = vec![];
    programs(&root, &mut found);
    assert!(found.len() > 50, "conformance corpus not found at {root:?}");
    let problems = lumen_rt::run_on_big_stack(move || {
        found
            .into_iter()
            .flat_map(check_program)
            .collect::<Vec<_>>()
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The benchmark programs (bench/programs) at a small size: every level gives the same
/// output as the unoptimised program.
#[test]
fn benchmark_programs_behave_alike_at_every_level() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/programs");
    let mut found = vec![];
    programs(&root, &mut found);
    assert!(found.len() >= 10, "benchmarks not found at {root:?}");
    let problems = lumen_rt::run_on_big_stack(move || {
        let mut problems = vec![];
        for path in found {
            let bytes = std::fs::read(&path).unwrap_or_default();
            let Ok(module) = lumen_compiler::compile_file(&path.to_string_lossy(), &bytes) else {
                problems.push(format!("{}: does not compile", path.display()));
                continue;
            };
            let args = vec!["9".to_string()];
            let base = run(module.clone(), &args, b"");
            for level in [OptLevel::O2, OptLevel::O3] {
                let mut m = module.clone();
                optimize(&mut m, level);
                let got = run(m, &args, b"");
                if got != base {
                    problems.push(format!(
                        "{} at {level}: {base:?} became {got:?}",
                        path.display()
                    ));
                }
            }
            if base.1.is_some() {
                problems.push(format!("{}: fails at size 9: {base:?}", path.display()));
            }
        }
        problems
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
