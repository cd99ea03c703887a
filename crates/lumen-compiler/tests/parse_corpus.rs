//! Parses every program of the conformance corpus, the benchmarks and the examples:
//! syntax-error tests
//! (an `.err` mentioning `unexpected`) must fail at the expected position, every other
//! program must parse.

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

/// `(line, col)` of every `line:col: error: unexpected …` line of an `.err` file.
fn expected_syntax_errors(err: &str) -> Vec<(u32, u32)> {
    err.lines()
        .filter(|l| l.contains("unexpected"))
        .filter_map(|l| {
            let mut it = l.split(':');
            let line = it.next()?.trim().parse().ok()?;
            let col = it.next()?.trim().parse().ok()?;
            Some((line, col))
        })
        .collect()
}

#[test]
fn corpus_parses_as_expected() {
    let mut files = programs(&root().join("tests/conformance"));
    files.extend(programs(&root().join("bench/programs")));
    files.extend(programs(&root().join("examples")));
    assert!(files.len() > 50, "corpus not found: {} files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let src = source(path);
        let result = lumen_compiler::parse(&src);
        let expected = sibling(path, ".err")
            .filter(|_| path.to_string_lossy().contains("errors_compile"))
            .map(|e| expected_syntax_errors(&e))
            .unwrap_or_default();
        match (result, expected.is_empty()) {
            (Ok(_), true) => {}
            (Err(diags), true) => failures.push(format!("{}: {diags:?}", path.display())),
            (Ok(_), false) => {
                failures.push(format!("{}: parsed, expected {expected:?}", path.display()))
            }
            (Err(diags), false) => {
                for (line, col) in &expected {
                    let found = diags.iter().any(|d| {
                        d.span.line == *line
                            && d.span.col == *col
                            && d.message.contains("unexpected")
                    });
                    if !found {
                        failures.push(format!(
                            "{}: no 'unexpected' error at {line}:{col}: {diags:?}",
                            path.display()
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
