//! The conformance corpus (`tests/conformance/`, format in its README.md): one test per
//! program and tier, named `[<tier>] <group>/<name>`, running the real `lumen` binary from
//! the corpus directory. The spec corpus (`tests/spec/`, same format, derived from
//! LANGUAGE.md section by section) runs the same way with names prefixed `spec/`. Also
//! checks that the corpus equals `../shared/conformance` when that directory exists
//! beside the workspace.

mod common;

use common::{diff, indent, lumen, workspace_root};
use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `--tier` values every test runs under.
const TIERS: &[&str] = &["interp"];

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

/// One trial per program of `corpus` and tier, named `<prefix><group>/<name>`.
fn add_corpus(trials: &mut Vec<Trial>, corpus: &Path, prefix: &str) {
    match find_programs(corpus) {
        Ok(programs) => {
            for tier in TIERS {
                for program in &programs {
                    let (tier, program, corpus) = (*tier, program.clone(), corpus.to_path_buf());
                    trials.push(
                        Trial::test(format!("{prefix}{}", program.name), move || {
                            run_program(&corpus, &program, tier)
                        })
                        .with_kind(tier),
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

/// One corpus program: `<group>/<name>` and its file relative to the corpus.
#[derive(Clone)]
struct Program {
    name: String,
    file: String,
}

/// Every `<group>/<name>.lm` and `.lm.md` under `corpus`, sorted by name.
fn find_programs(corpus: &Path) -> Result<Vec<Program>, String> {
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

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let read = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut entries: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    Ok(entries)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The contents of `<name><ext>` beside the program, if the file exists.
fn companion(corpus: &Path, program: &Program, ext: &str) -> Result<Option<Vec<u8>>, String> {
    let path = corpus.join(format!("{}{ext}", program.name));
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// `.args` content to arguments: one per line, empty lines are empty arguments, and a
/// final newline adds none.
fn parse_args(text: &str) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.split('\n').map(str::to_string).collect()
}

fn run_program(corpus: &Path, program: &Program, tier: &str) -> Result<(), Failed> {
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    let expected_out = companion(corpus, program, ".out")?
        .map(text)
        .ok_or_else(|| format!("{}.out is missing", program.name))?;
    let args = companion(corpus, program, ".args")?
        .map(|b| parse_args(&text(b)))
        .unwrap_or_default();
    let stdin = companion(corpus, program, ".stdin")?.unwrap_or_default();
    let expected_exit = match companion(corpus, program, ".exit")? {
        Some(bytes) => text(bytes)
            .trim()
            .parse::<i32>()
            .map_err(|e| format!("{}.exit: {e}", program.name))?,
        None => 0,
    };
    let expected_err = companion(corpus, program, ".err")?.map(text);

    let mut command = vec![
        "run".to_string(),
        "--tier".into(),
        tier.into(),
        program.file.clone(),
    ];
    command.extend(args);
    let run = lumen(corpus, &command).stdin(stdin).run()?;

    let mut problems = Vec::new();
    let (out, err) = (run.out(), run.err());
    if out != expected_out {
        problems.push(format!(
            "stdout differs (- expected, + actual):\n{}",
            indent(&diff(&expected_out, &out))
        ));
    }
    if run.code != Some(expected_exit) || run.timed_out {
        problems.push(format!(
            "expected exit {expected_exit}, got {}",
            run.status()
        ));
    }
    match &expected_err {
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
    if problems.is_empty() {
        return Ok(());
    }
    let mut report = format!("lumen {} (in {})\n", command.join(" "), corpus.display());
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
