//! Runs every program in `examples/` and compares its output with the expected text,
//! written by hand from the language rules. Also checks that no example goes untested.

mod common;

use common::{diff, lumen, workspace_root};

/// (file under `examples/`, arguments, expected stdout).
const EXAMPLES: &[(&str, &[&str], &str)] = &[
    ("hello.lm", &[], "Hello, Lumen!\n"),
    (
        "fib.lm",
        &[],
        "fib(0) = 0\nfib(1) = 1\nfib(2) = 1\nfib(3) = 2\nfib(4) = 3\nfib(5) = 5\n\
         fib(6) = 8\nfib(7) = 13\nfib(8) = 21\nfib(9) = 34\nfib(10) = 55\n\
         fib_iter(20) = 6765\nrecursive and iterative agree: true\n",
    ),
    (
        "fib.lm",
        &["15"],
        "fib(0) = 0\nfib(1) = 1\nfib(2) = 1\nfib(3) = 2\nfib(4) = 3\nfib(5) = 5\n\
         fib(6) = 8\nfib(7) = 13\nfib(8) = 21\nfib(9) = 34\nfib(10) = 55\n\
         fib_iter(15) = 610\nrecursive and iterative agree: true\n",
    ),
    (
        "records_enums.lm",
        &[],
        "circle of radius 2.0: area 12.566370614359172, Medium\n\
         rectangle from the origin to (2.0, 3.0): area 6.0, Medium\n\
         dot at Point(x: -1.0, y: 5.0): area 0.0, Small\n\
         big circle at Point(x: 0.0, y: 0.0): area 452.3893421169302, Large\n\
         total area 470.96\n\
         Point(x: 0.0, y: 0.0) Point(x: 3.0, y: 4.0) 5.0\n\
         Dot(Point(x: -1.0, y: 5.0))\n",
    ),
    (
        "closures.lm",
        &[],
        "7 10 81\n\
         [1, 4, 9, 16, 25, 36, 49, 64, 81, 100]\n\
         [2, 4, 6, 8, 10]\n\
         55\n\
         [4, 16, 36, 64, 100] 220\n\
         [80, 90, 100]\n\
         [\"fig\", \"pear\", \"kiwi\", \"banana\"]\n\
         PEAR, FIG, BANANA, KIWI\n\
         0 5\n\
         <fn square> <fn>\n",
    ),
    (
        "shapes.lm.md",
        &[],
        "0: Circle(1.0) has area 3.14\n\
         1: Rect(2.0, 3.0) has area 6.0\n\
         2: Empty has area 0.0\n\
         biggest: Rect(2.0, 3.0)\n",
    ),
];

#[test]
fn examples_print_what_they_should() {
    let root = workspace_root();
    let mut failures = String::new();
    for (file, args, expected) in EXAMPLES {
        let path = format!("examples/{file}");
        let mut command = vec!["run", path.as_str()];
        command.extend_from_slice(args);
        let run = lumen(&root, &command).run().expect("run lumen");
        if run.code != Some(0) || run.out() != *expected || !run.stderr.is_empty() {
            failures.push_str(&format!(
                "lumen {}: {}\nstdout (- expected, + actual):\n{}stderr:\n{}\n",
                command.join(" "),
                run.status(),
                diff(expected, &run.out()),
                run.err()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn every_example_is_listed() {
    let dir = workspace_root().join("examples");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("read examples/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".lm") || n.ends_with(".lm.md"))
        .collect();
    files.sort();
    let mut listed: Vec<String> = EXAMPLES.iter().map(|(f, _, _)| f.to_string()).collect();
    listed.sort();
    listed.dedup();
    assert_eq!(files, listed);
}
