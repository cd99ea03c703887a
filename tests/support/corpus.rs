//! Shared by every test that runs the conformance corpus (`tests/conformance/`, format
//! in its README.md) through some tier: finding the programs, reading a program's
//! expectations, and judging one run against them. Included with `#[path]`.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};

/// One corpus program: `<group>/<name>` and its file relative to the corpus.
#[derive(Clone, Debug)]
pub struct Program {
    pub name: String,
    pub file: String,
}

/// The programs of `corpus` that have code to run: not compile-error tests (those have
/// no code; the CLI harness and the checker's corpus test cover them).
pub fn runnable_programs(corpus: &Path) -> Result<Vec<Program>, String> {
    Ok(find_programs(corpus)?
        .into_iter()
        .filter(|p| {
            !p.name.starts_with("errors_compile/") && expected(corpus, p).is_ok_and(|w| w.exit != 2)
        })
        .collect())
}

/// Every `<group>/<name>.lm` and `.lm.md` under `corpus`, sorted by name.
pub fn find_programs(corpus: &Path) -> Result<Vec<Program>, String> {
    let mut programs = Vec::new();
    for group in sorted_entries(corpus)? {
        if !group.is_dir() {
            continue;
        }
        let group_name = file_name(&group);
        for file in sorted_entries(&group)? {
            let name = file_name(&file);
            let stem = name
                .strip_suffix(".lm.md")
                .or_else(|| name.strip_suffix(".lm"));
            if let Some(stem) = stem {
                programs.push(Program {
                    name: format!("{group_name}/{stem}"),
                    file: format!("{group_name}/{name}"),
                });
            }
        }
    }
    if programs.is_empty() {
        return Err(format!("no programs in {}", corpus.display()));
    }
    Ok(programs)
}

/// Every `.lm` / `.lm.md` file below `dir` at any depth, sorted (empty if `dir` is
/// missing): for flat folders such as `bench/programs` and `examples`.
pub fn program_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for path in sorted_entries(&d).unwrap_or_default() {
            let name = file_name(&path);
            if path.is_dir() {
                stack.push(path);
            } else if name.ends_with(".lm") || name.ends_with(".lm.md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The text of the file beside program `path` with extension `ext` (`.err`, `.exit`, …).
pub fn sibling(path: &Path, ext: &str) -> Option<String> {
    let s = path.to_string_lossy();
    let base = s.strip_suffix(".lm.md").or_else(|| s.strip_suffix(".lm"))?;
    std::fs::read_to_string(format!("{base}{ext}")).ok()
}

/// The entries of `dir`, sorted.
pub fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let read = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut entries: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    Ok(entries)
}

/// The last component of `path`.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The contents of `<name><ext>` beside the program, if the file exists.
pub fn companion(corpus: &Path, program: &Program, ext: &str) -> Result<Option<Vec<u8>>, String> {
    let path = corpus.join(format!("{}{ext}", program.name));
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// `.args` content to arguments: one per line, empty lines are empty arguments, and a
/// final newline adds none.
pub fn parse_args(text: &str) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.split('\n').map(str::to_string).collect()
}

/// What a program's companion files ask for.
#[derive(Clone, Debug)]
pub struct Expected {
    pub out: String,
    pub args: Vec<String>,
    pub stdin: Vec<u8>,
    pub exit: i32,
    /// Lines that must each occur in stderr; `None`: stderr must be empty.
    pub err: Option<String>,
}

/// Reads the expectations of `program`.
pub fn expected(corpus: &Path, program: &Program) -> Result<Expected, String> {
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    let out = companion(corpus, program, ".out")?
        .map(text)
        .ok_or_else(|| format!("{}.out is missing", program.name))?;
    let args = companion(corpus, program, ".args")?
        .map(|b| parse_args(&text(b)))
        .unwrap_or_default();
    let stdin = companion(corpus, program, ".stdin")?.unwrap_or_default();
    let exit = match companion(corpus, program, ".exit")? {
        Some(bytes) => text(bytes)
            .trim()
            .parse::<i32>()
            .map_err(|e| format!("{}.exit: {e}", program.name))?,
        None => 0,
    };
    let err = companion(corpus, program, ".err")?.map(text);
    Ok(Expected {
        out,
        args,
        stdin,
        exit,
        err,
    })
}

/// The problems of a run (stdout `out`, exit code `code` — `None` when killed or timed
/// out, described by `status` — and stderr `err`) against `want`; empty when it passed.
/// `diff` renders a stdout difference.
pub fn judge(
    want: &Expected,
    out: &str,
    code: Option<i32>,
    status: &str,
    err: &str,
    diff: impl Fn(&str, &str) -> String,
) -> Vec<String> {
    let mut problems = Vec::new();
    if out != want.out {
        problems.push(format!(
            "stdout differs (- expected, + actual):\n{}",
            indent(&diff(&want.out, out))
        ));
    }
    if code != Some(want.exit) {
        problems.push(format!("expected exit {}, got {status}", want.exit));
    }
    match &want.err {
        Some(wanted) => {
            let missing: Vec<&str> = wanted
                .lines()
                .filter(|l| !l.is_empty() && !err.contains(l))
                .collect();
            if !missing.is_empty() {
                problems.push(format!("stderr lacks:\n{}", indent(&missing.join("\n"))));
            }
        }
        None if !err.is_empty() => problems.push("stderr should be empty".to_string()),
        None => {}
    }
    problems
}

/// Indents every line of `text` by four spaces (for nesting blocks in a report).
pub fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}
