//! Type-checks every program of the conformance corpus and the benchmarks: programs in
//! `errors_compile/` must fail with every `line:col: error: message` line of their `.err`
//! (each must occur in the rendered diagnostics), every other program must check.

#[path = "../../../tests/support/corpus.rs"]
mod corpus;

use corpus::{program_files as programs, sibling};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The program's source as the compiler sees it (Markdown code extracted).
fn source(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("readable UTF-8 program");
    if path.to_string_lossy().ends_with(".lm.md") {
        lumen_compiler::extract_code(&text)
    } else {
        text
    }
}

/// Parses and checks; the rendered diagnostics (`line:col: error: message` lines) on failure.
fn check(src: &str) -> Result<(), String> {
    let ast = lumen_compiler::parse(src).map_err(render)?;
    lumen_compiler::check(&ast).map(|_| ()).map_err(render)
}

fn render(diags: Vec<lumen_compiler::Diagnostic>) -> String {
    lumen_compiler::CompileError::new(diags).to_string()
}

#[test]
fn corpus_checks() {
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in ["tests/conformance", "bench/programs"] {
        for path in programs(&root().join(dir)) {
            count += 1;
            let name = path.display().to_string();
            let result = check(&source(&path));
            let compile_error = name.contains("errors_compile");
            match (compile_error, result) {
                (false, Ok(())) => {}
                (false, Err(out)) => failures.push(format!("{name}: unexpected errors:\n{out}")),
                (true, Ok(())) => failures.push(format!("{name}: checked without error")),
                (true, Err(out)) => {
                    let want = sibling(&path, ".err").unwrap_or_default();
                    for line in want.lines().filter(|l| !l.trim().is_empty()) {
                        if !out.contains(line.trim()) {
                            failures.push(format!("{name}: missing `{line}` in:\n{out}"));
                        }
                    }
                }
            }
        }
    }
    assert!(count > 100, "corpus not found ({count} programs)");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
