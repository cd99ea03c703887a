//! The conformance corpus (`tests/conformance/`, format in its README.md): one test per
//! program and execution mode, named `[<mode>] <group>/<name>` (filter with e.g.
//! `cargo test --test conformance -- '[jit -O2]'`), running the real `lumen`
//! binary from the corpus directory. The spec corpus (`tests/spec/`, same format, derived
//! from LANGUAGE.md section by section) runs the same way with names prefixed `spec/`.
//! Also checks that the corpus equals `../shared/conformance` when that directory exists
//! beside the workspace.

mod common;
#[path = "../../../tests/support/corpus.rs"]
mod corpus;

use common::{diff, lumen, workspace_root};
use corpus::{Program, expected, find_programs, indent, judge, sorted_entries};
use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// An execution mode: its name (the test's kind) and how to ask `lumen run` for it.
struct Mode {
    name: &'static str,
    /// Options before the program file.
    options: &'static [&'static str],
    /// `LUMEN_JIT_THRESHOLD`, when the mode sets it.
    threshold: Option<&'static str>,
}

/// Every mode each program runs under: the interpreter, the JIT (default level and each
/// level), and tiered execution at thresholds that compile at once, after one call and
/// at the default.
const MODES: &[Mode] = &[
    mode("interp", &["--tier", "interp"], None),
    mode("jit", &["--tier", "jit"], None),
    mode("tiered t=0", &["--tier", "tiered"], Some("0")),
    mode("tiered t=1", &["--tier", "tiered"], Some("1")),
    mode("tiered t=100", &["--tier", "tiered"], Some("100")),
    mode("jit -O0", &["--tier", "jit", "-O0"], None),
    mode("jit -O1", &["--tier", "jit", "-O1"], None),
    mode("jit -O2", &["--tier", "jit", "-O2"], None),
    mode("jit -O3", &["--tier", "jit", "-O3"], None),
];

const fn mode(
    name: &'static str,
    options: &'static [&'static str],
    threshold: Option<&'static str>,
) -> Mode {
    Mode {
        name,
        options,
        threshold,
    }
}

fn main() {
    let args = Arguments::from_args();
    let corpus = workspace_root().join("tests/conformance");
    let mut trials = Vec::new();
    add_corpus(&mut trials, &corpus, "");
    add_corpus(&mut trials, &workspace_root().join("tests/spec"), "spec/");
    let shared = workspace_root().join("../shared/conformance");
    if let Ok(shared) = shared.canonicalize() {
        trials.push(
            Trial::test("corpus matches ../shared/conformance", move || {
                compare_trees(&shared, &corpus)
            })
            .with_kind("sync"),
        );
    }
    libtest_mimic::run(&args, trials).exit();
}

/// One trial per program of `corpus` and mode, named `<prefix><group>/<name>`.
fn add_corpus(trials: &mut Vec<Trial>, corpus: &Path, prefix: &str) {
    match find_programs(corpus) {
        Ok(programs) => {
            for mode in MODES {
                for program in &programs {
                    let (program, corpus) = (program.clone(), corpus.to_path_buf());
                    // The mode is part of the name (not a libtest "kind"), so the list
                    // of failures at the end says which mode failed.
                    let name = format!("[{}] {prefix}{}", mode.name, program.name);
                    trials.push(Trial::test(name, move || {
                        run_program(&corpus, &program, mode)
                    }));
                }
            }
        }
        Err(e) => trials.push(Trial::test(
            format!("{prefix}corpus"),
            move || Err(e.into()),
        )),
    }
}

fn run_program(corpus: &Path, program: &Program, mode: &Mode) -> Result<(), Failed> {
    let want = expected(corpus, program)?;
    let mut command = vec!["run".to_string()];
    command.extend(mode.options.iter().map(|o| o.to_string()));
    command.push(program.file.clone());
    command.extend(want.args.iter().cloned());
    let mut lumen = lumen(corpus, &command).stdin(want.stdin.clone());
    if let Some(t) = mode.threshold {
        lumen = lumen.env("LUMEN_JIT_THRESHOLD", t);
    }
    let run = lumen.run()?;
    let (out, err) = (run.out(), run.err());
    let code = if run.timed_out { None } else { run.code };
    let problems = judge(&want, &out, code, &run.status(), &err, diff);
    if problems.is_empty() {
        return Ok(());
    }
    let env = mode
        .threshold
        .map(|t| format!("LUMEN_JIT_THRESHOLD={t} "))
        .unwrap_or_default();
    let mut report = format!(
        "{env}lumen {} (in {})\n",
        command.join(" "),
        corpus.display()
    );
    for p in problems {
        report.push_str(&p);
        report.push('\n');
    }
    if !err.is_empty() {
        report.push_str(&format!("stderr was:\n{}", indent(&err)));
    }
    Err(report.into())
}

/// Every file under `dir`, by path relative to it.
fn tree(dir: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>, String> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in sorted_entries(&d)? {
            if entry.is_dir() {
                pending.push(entry);
            } else {
                let bytes =
                    std::fs::read(&entry).map_err(|e| format!("{}: {e}", entry.display()))?;
                let rel = entry.strip_prefix(dir).unwrap_or(&entry).to_path_buf();
                files.insert(rel, bytes);
            }
        }
    }
    Ok(files)
}

/// Fails with the list of differing files unless `ours` is a copy of `shared`.
fn compare_trees(shared: &Path, ours: &Path) -> Result<(), Failed> {
    let (a, b) = (tree(shared)?, tree(ours)?);
    let mut report = String::new();
    for (path, bytes) in &a {
        match b.get(path) {
            None => report.push_str(&format!("  missing here: {}\n", path.display())),
            Some(mine) if mine != bytes => {
                report.push_str(&format!("  differs: {}\n", path.display()))
            }
            Some(_) => {}
        }
    }
    for path in b.keys().filter(|p| !a.contains_key(*p)) {
        report.push_str(&format!("  not in shared: {}\n", path.display()));
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "tests/conformance differs from {}; run scripts/sync-conformance.sh\n{report}",
            shared.display()
        )
        .into())
    }
}
