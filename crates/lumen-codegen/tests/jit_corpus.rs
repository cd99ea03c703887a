//! The conformance corpus and the spec corpus (`tests/spec/`) run natively at O1 and O3:
//! every program compiled by the JIT (all cells before `main` runs), judged by the same
//! rules as the CLI's corpus test
//! (`tests/support/corpus.rs`): exact stdout, exit code, and every `.err` line in the
//! rendered error. Compile-error tests (`errors_compile/`) have no code to run and are
//! left to the CLI harness.

#[path = "../../../tests/support/corpus.rs"]
mod corpus;
#[path = "../../../tests/support/diff.rs"]
mod diff;

use corpus::{Program, expected, indent, judge, runnable_programs};
use libtest_mimic::{Arguments, Failed, Trial};
use lumen_codegen::{OptLevel, run_main};
use std::path::{Path, PathBuf};

/// Optimisation levels every program runs at: the default, and O3 (LIR passes, inlining,
/// unchecked list reads).
const LEVELS: &[(OptLevel, &str)] = &[(OptLevel::O1, "jit"), (OptLevel::O3, "jit-O3")];

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut trials = Vec::new();
    add_corpus(&mut trials, &root.join("tests/conformance"), "");
    add_corpus(&mut trials, &root.join("tests/spec"), "spec/");
    libtest_mimic::run(&args, trials).exit();
}

/// One trial per program of `corpus` that has code to run, and level.
fn add_corpus(trials: &mut Vec<Trial>, corpus: &Path, prefix: &str) {
    match runnable_programs(corpus) {
        Ok(programs) => {
            for p in programs {
                for &(level, kind) in LEVELS {
                    let (corpus, p) = (corpus.to_path_buf(), p.clone());
                    trials.push(
                        Trial::test(format!("{prefix}{}", p.name), move || {
                            run_program(&corpus, &p, level)
                        })
                        .with_kind(kind),
                    );
                }
            }
        }
        Err(e) => trials.push(Trial::test(
            format!("{prefix}corpus"),
            move || Err(e.into()),
        )),
    }
}

fn run_program(corpus: &Path, program: &Program, level: OptLevel) -> Result<(), Failed> {
    let want = expected(corpus, program)?;
    let path: PathBuf = corpus.join(&program.file);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let out = lumen_rt::Captured::default();
    let (out2, args, stdin, file) = (
        out.clone(),
        want.args.clone(),
        want.stdin.clone(),
        program.file.clone(),
    );
    // Modules hold `Rc`s: compile and run on the big-stack thread.
    let (code, err) = lumen_rt::run_on_big_stack(move || {
        let module = match lumen_compiler::compile_file(&file, &bytes) {
            Ok(m) => m,
            Err(e) => return (None, format!("{e:?}")),
        };
        let input = Box::new(std::io::Cursor::new(stdin));
        match run_main(&module, level, args, Box::new(out2), input) {
            Ok(()) => (Some(0), String::new()),
            Err(e) => match e.exit_code() {
                Some(c) => (Some(c), String::new()),
                None => (Some(1), e.render(&file)),
            },
        }
    });
    let Some(code) = code else {
        return Err(format!("{} does not compile: {err}", program.file).into());
    };
    let stdout = out.text();
    let problems = judge(
        &want,
        &stdout,
        Some(code),
        &format!("exit {code}"),
        &err,
        diff::diff,
    );
    if problems.is_empty() {
        return Ok(());
    }
    let mut report = format!("{} (jit, {level:?})\n", program.file);
    for p in problems {
        report.push_str(&p);
        report.push('\n');
    }
    if !err.is_empty() {
        report.push_str(&format!("stderr was:\n{}", indent(&err)));
    }
    Err(report.into())
}
