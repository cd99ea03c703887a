//! The `lumen` binary end to end: exit codes, streams, subcommands and options
//! (language reference §10).

mod common;

use common::{Run, lumen};
use std::path::PathBuf;

/// A fresh directory holding `files`, for one test.
fn dir_with(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create test directory");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write test file");
    }
    dir
}

/// Runs `lumen ARGS…` in a directory holding `files`.
fn run_in(test: &str, files: &[(&str, &str)], args: &[&str]) -> Run {
    lumen(&dir_with(test, files), args)
        .run()
        .expect("run lumen")
}

/// Asserts (exit code, stdout, stderr), showing all three on failure.
#[track_caller]
fn assert_run(run: &Run, code: i32, out: &str, err: &str) {
    assert_eq!(
        (run.code, run.out().as_str(), run.err().as_str()),
        (Some(code), out, err),
        "status: {}",
        run.status()
    );
}

const HELLO: &str = "cell main()\n  print(\"hello\", 1 + 2)\nend\n";

const DIVIDE: &str = "\
cell divide(a: Int, b: Int) -> Int
  a / b
end
cell main()
  print(\"before\")
  print(divide(1, 0))
end
";

const BAD: &str = "cell main()\n  let n: Int = \"three\"\nend\n";

#[test]
fn run_prints_program_output() {
    let run = run_in("hello", &[("hello.lm", HELLO)], &["run", "hello.lm"]);
    assert_run(&run, 0, "hello 3\n", "");
}

#[test]
fn main_result_is_displayed_last_unless_null() {
    let list = "cell main() -> list[String]\n  print(\"x\")\n  [\"a\", \"b\"]\nend\n";
    let text = "cell main() -> String\n  \"plain\"\nend\n";
    let null = "cell main() -> Int?\n  null\nend\n";
    let files = [("list.lm", list), ("text.lm", text), ("null.lm", null)];
    let run = run_in("main_result", &files, &["run", "list.lm"]);
    assert_run(&run, 0, "x\n[\"a\", \"b\"]\n", "");
    let run = run_in("main_result", &files, &["run", "text.lm"]);
    assert_run(&run, 0, "plain\n", "");
    let run = run_in("main_result", &files, &["run", "null.lm"]);
    assert_run(&run, 0, "", "");
}

#[test]
fn runtime_error_exits_1_with_trace() {
    let run = run_in("divide", &[("prog.lm", DIVIDE)], &["run", "prog.lm"]);
    assert_run(
        &run,
        1,
        "before\n",
        "error: division by zero\n  at divide (prog.lm:2:3)\n  at main (prog.lm:6:9)\n",
    );
}

#[test]
fn trace_shows_the_path_as_given() {
    let dir = dir_with("path_as_given", &[("prog.lm", DIVIDE)]);
    let run = lumen(&dir, ["run", "./prog.lm"]).run().expect("run lumen");
    assert_eq!(run.code, Some(1));
    assert!(
        run.err().contains("  at divide (./prog.lm:2:3)\n"),
        "{}",
        run.err()
    );
}

#[test]
fn exit_builtin_sets_the_code() {
    let prog = "cell main()\n  print(\"a\")\n  exit(3)\n  print(\"b\")\nend\n";
    let run = run_in("exit", &[("exit.lm", prog)], &["run", "exit.lm"]);
    assert_run(&run, 3, "a\n", "");
}

#[test]
fn compile_error_exits_2_with_rendered_diagnostic() {
    let run = run_in("bad_run", &[("bad.lm", BAD)], &["run", "bad.lm"]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.out(), "");
    assert!(
        run.err()
            .starts_with("bad.lm:2:16: error: type mismatch: expected Int, found String\n"),
        "{}",
        run.err()
    );
}

#[test]
fn check_compiles_without_running() {
    let files = [("hello.lm", HELLO), ("bad.lm", BAD)];
    let run = run_in("check", &files, &["check", "hello.lm"]);
    assert_run(&run, 0, "", "");
    let run = run_in("check", &files, &["check", "bad.lm"]);
    assert_eq!((run.code, run.out().as_str()), (Some(2), ""));
    assert!(
        run.err().starts_with("bad.lm:2:16: error: "),
        "{}",
        run.err()
    );
}

#[test]
fn emit_lir_prints_the_module() {
    let run = run_in("emit", &[("hello.lm", HELLO)], &["emit", "lir", "hello.lm"]);
    assert_eq!(run.code, Some(0), "{}", run.err());
    assert_eq!(run.err(), "");
    // The dump names the cell and shows the constant; the program does not run.
    let out = run.out();
    assert!(out.contains("main") && out.contains("\"hello\""), "{out}");
    assert!(!out.contains("hello 3"), "{out}");
    let run = run_in("emit", &[("bad.lm", BAD)], &["emit", "lir", "bad.lm"]);
    assert_eq!((run.code, run.out().as_str()), (Some(2), ""));
}

#[test]
fn missing_or_unreadable_file_exits_2() {
    let run = run_in("missing", &[], &["run", "nope.lm"]);
    assert_eq!((run.code, run.out().as_str()), (Some(2), ""));
    assert!(
        run.err().starts_with("error: cannot read 'nope.lm': "),
        "{}",
        run.err()
    );
    let run = run_in("missing", &[], &["check", "."]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.err().starts_with("error: cannot read '.': "),
        "{}",
        run.err()
    );
}

#[test]
fn bad_command_lines_exit_2() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["run"],
        &["run", "--bogus", "x.lm"],
        &["emit", "x.lm"],
        &["emit", "wat", "x.lm"],
        &["check"],
    ] {
        let run = run_in("usage", &[], args);
        assert_eq!(run.code, Some(2), "lumen {args:?}: {}", run.err());
        assert_eq!(run.out(), "", "lumen {args:?}");
        assert!(run.err().contains("error"), "lumen {args:?}: {}", run.err());
    }
}

#[test]
fn help_exits_0() {
    let run = run_in("help", &[], &["--help"]);
    assert_eq!(run.code, Some(0));
    assert!(run.out().contains("run"), "{}", run.out());
}

#[test]
fn tier_option_and_variable() {
    let dir = dir_with("tier", &[("hello.lm", HELLO)]);
    let run = lumen(&dir, ["run", "--tier", "interp", "hello.lm"])
        .run()
        .unwrap();
    assert_run(&run, 0, "hello 3\n", "");
    let run = lumen(&dir, ["run", "--tier=interp", "hello.lm"])
        .run()
        .unwrap();
    assert_run(&run, 0, "hello 3\n", "");
    let run = lumen(&dir, ["run", "hello.lm"])
        .env("LUMEN_TIER", "interp")
        .run()
        .unwrap();
    assert_run(&run, 0, "hello 3\n", "");
    for tier in ["jit", "tiered"] {
        let run = lumen(&dir, ["run", "--tier", tier, "hello.lm"])
            .run()
            .unwrap();
        assert_run(&run, 0, "hello 3\n", "");
        let run = lumen(&dir, ["run", "hello.lm"])
            .env("LUMEN_TIER", tier)
            .run()
            .unwrap();
        assert_run(&run, 0, "hello 3\n", "");
    }
    let run = lumen(&dir, ["run", "hello.lm"])
        .env("LUMEN_TIER", "native")
        .run()
        .unwrap();
    assert_run(&run, 2, "", "error: unknown tier 'native'\n");
    // The command line wins over the environment.
    let run = lumen(&dir, ["run", "--tier", "interp", "hello.lm"])
        .env("LUMEN_TIER", "native")
        .run()
        .unwrap();
    assert_run(&run, 0, "hello 3\n", "");
    let run = lumen(&dir, ["build", "--tier", "wasm", "hello.lm"])
        .run()
        .unwrap();
    assert_run(&run, 2, "", "error: unknown tier 'wasm'\n");
}

#[test]
fn opt_levels_are_validated() {
    let dir = dir_with("opt", &[("hello.lm", HELLO)]);
    for opt in ["-O0", "-O1", "-O2", "-O3"] {
        let run = lumen(&dir, ["run", opt, "hello.lm"]).run().unwrap();
        assert_run(&run, 0, "hello 3\n", "");
    }
    let run = lumen(
        &dir,
        ["run", "--opt-level", "2", "--tier", "interp", "hello.lm"],
    )
    .run()
    .unwrap();
    assert_run(&run, 0, "hello 3\n", "");
    let run = lumen(&dir, ["run", "hello.lm"])
        .env("LUMEN_OPT_LEVEL", "3")
        .run()
        .unwrap();
    assert_run(&run, 0, "hello 3\n", "");
    for bad in [
        &["run", "-O4", "hello.lm"][..],
        &["run", "--opt-level", "x", "hello.lm"],
    ] {
        let run = lumen(&dir, bad).run().unwrap();
        assert_eq!((run.code, run.out().as_str()), (Some(2), ""), "{bad:?}");
        assert!(run.err().starts_with("error: "), "{bad:?}: {}", run.err());
    }
    let run = lumen(&dir, ["run", "hello.lm"])
        .env("LUMEN_OPT_LEVEL", "9")
        .run()
        .unwrap();
    assert_eq!((run.code, run.out().as_str()), (Some(2), ""));
}

/// Every tier and level gives the same output, error message and trace (§10.1: options
/// never change observable behaviour); `tiered` is the default.
#[test]
fn tiers_and_levels_agree() {
    let dir = dir_with("tiers_agree", &[("prog.lm", DIVIDE)]);
    let want = "error: division by zero\n  at divide (prog.lm:2:3)\n  at main (prog.lm:6:9)\n";
    let run = lumen(&dir, ["run", "prog.lm"]).run().unwrap();
    assert_run(&run, 1, "before\n", want);
    for tier in ["interp", "jit", "tiered"] {
        for opt in ["-O0", "-O1", "-O2", "-O3"] {
            for threshold in ["0", "1", "100"] {
                let run = lumen(&dir, ["run", "--tier", tier, opt, "prog.lm"])
                    .env("LUMEN_JIT_THRESHOLD", threshold)
                    .run()
                    .unwrap();
                assert_run(&run, 1, "before\n", want);
            }
        }
    }
}

#[test]
fn jit_threshold_is_validated() {
    let dir = dir_with("threshold", &[("hello.lm", HELLO)]);
    for good in ["0", "1", "100", "4294967295"] {
        let run = lumen(&dir, ["run", "hello.lm"])
            .env("LUMEN_JIT_THRESHOLD", good)
            .run()
            .unwrap();
        assert_run(&run, 0, "hello 3\n", "");
    }
    let run = lumen(&dir, ["run", "--jit-threshold", "5", "hello.lm"])
        .run()
        .unwrap();
    assert_run(&run, 0, "hello 3\n", "");
    // Checked whatever the tier, before the program is read.
    for (tier, bad) in [
        ("tiered", "-1"),
        ("jit", "ten"),
        ("interp", "1e3"),
        ("tiered", "4294967296"),
    ] {
        let run = lumen(&dir, ["run", "--tier", tier, "missing.lm"])
            .env("LUMEN_JIT_THRESHOLD", bad)
            .run()
            .unwrap();
        let want = format!(
            "error: invalid LUMEN_JIT_THRESHOLD '{bad}' (expected a number of calls from 0 to 4294967295)\n"
        );
        assert_run(&run, 2, "", &want);
    }
}

#[test]
fn emit_clif_prints_cranelift_ir() {
    let run = run_in(
        "emit_clif",
        &[("hello.lm", HELLO)],
        &["emit", "clif", "hello.lm"],
    );
    assert_eq!(run.code, Some(0), "{}", run.err());
    assert_eq!(run.err(), "");
    let out = run.out();
    assert!(out.starts_with("; cell 0: main\nfunction "), "{out}");
    assert!(out.contains("return"), "{out}");
    let run = run_in(
        "emit_clif",
        &[("hello.lm", HELLO)],
        &["emit", "-O3", "clif", "hello.lm"],
    );
    assert_eq!(run.code, Some(0), "{}", run.err());
    let run = run_in("emit_clif", &[("bad.lm", BAD)], &["emit", "clif", "bad.lm"]);
    assert_eq!((run.code, run.out().as_str()), (Some(2), ""));
}

#[test]
fn program_arguments_pass_verbatim() {
    let prog = "cell main()\n  print(args())\nend\n";
    let args = [
        "run", "args.lm", "-x", "--y", "--", "", "a b", "--tier", "jit", "-O9", "--help", "-V",
    ];
    let run = run_in("args", &[("args.lm", prog)], &args);
    let want = "[\"-x\", \"--y\", \"--\", \"\", \"a b\", \"--tier\", \"jit\", \"-O9\", \"--help\", \"-V\"]\n";
    assert_run(&run, 0, want, "");
    let run = run_in("args", &[("args.lm", prog)], &["run", "args.lm", "--", "x"]);
    assert_run(&run, 0, "[\"--\", \"x\"]\n", "");
    let run = run_in("args", &[("args.lm", prog)], &["run", "args.lm"]);
    assert_run(&run, 0, "[]\n", "");
}

#[test]
fn stdin_reaches_read_line() {
    let prog = "\
cell main()
  let mut n = 0
  loop
    let line = read_line()
    if line == null
      break
    end
    n += 1
    print(\"{n}: {line}\")
  end
end
";
    let dir = dir_with("stdin", &[("lines.lm", prog)]);
    let run = lumen(&dir, ["run", "lines.lm"])
        .stdin("a\r\nb\n\nc")
        .run()
        .unwrap();
    assert_run(&run, 0, "1: a\n2: b\n3: \n4: c\n", "");
    let run = lumen(&dir, ["run", "lines.lm"]).run().unwrap();
    assert_run(&run, 0, "", "");
}

const MARKDOWN: &str = "\
# Greeting

Prose with `inline code`.

```lumen
cell main()
  print(greet(\"md\"))
end
```

```python
print(\"not lumen\")
```

```lumen
cell greet(who: String) -> String
  \"hello {who}\"
end
```
";

#[test]
fn markdown_programs_run_and_keep_line_numbers() {
    let bad = MARKDOWN.replace("\"hello {who}\"", "1");
    let files = [("doc.lm.md", MARKDOWN), ("bad.lm.md", bad.as_str())];
    let run = run_in("markdown", &files, &["run", "doc.lm.md"]);
    assert_run(&run, 0, "hello md\n", "");
    let run = run_in("markdown", &files, &["check", "doc.lm.md"]);
    assert_run(&run, 0, "", "");
    // The bad tail value sits on line 17 of the Markdown file.
    let run = run_in("markdown", &files, &["check", "bad.lm.md"]);
    assert_eq!(run.code, Some(2));
    assert!(run.err().starts_with("bad.lm.md:17:"), "{}", run.err());
}

#[test]
fn build_is_not_available_yet() {
    let run = run_in(
        "build",
        &[("hello.lm", HELLO)],
        &["build", "-O2", "hello.lm"],
    );
    assert_eq!((run.code, run.out().as_str()), (Some(2), ""));
    assert!(run.err().starts_with("error: "), "{}", run.err());
}

/// A program nested 500 deep (parentheses, list literals, `if` blocks, lambdas) with
/// 500-long `else if` chains (statement and expression form) and a long operator chain:
/// the CLI compiles it (parser, checker, lowering) and runs it on its big stack.
#[test]
fn deep_nesting_and_long_else_if_chains_compile_and_run() {
    let n = 500;
    let mut src = String::from("cell pick(x: Int) -> Int\n  if x == 0\n    return 0\n");
    for i in 1..n {
        src.push_str(&format!("  else if x == {i}\n    return {i}\n"));
    }
    src.push_str("  else\n    return -1\n  end\nend\n");
    src.push_str("cell pick2(x: Int) -> Int\n  if x == 0 then 0 ");
    for i in 1..n {
        src.push_str(&format!("else if x == {i} then {} ", i * 2));
    }
    src.push_str("else -1\nend\ncell main()\n");
    src.push_str(&format!(
        "  let a = {}0{}\n",
        "(1 + ".repeat(n),
        ")".repeat(n)
    ));
    src.push_str(&format!("  let b = {}7{}\n", "[".repeat(n), "]".repeat(n)));
    src.push_str(&format!("  let c = 0{}\n", " + 1".repeat(2 * n)));
    src.push_str(&format!(
        "  let d = {}1{}\n",
        "(fn(v: Int) -> Int => v + ".repeat(100),
        ")(1)".repeat(100)
    ));
    for i in 0..n {
        src.push_str(&format!("{}if a > {i}\n", " ".repeat(2 + i)));
    }
    src.push_str(&format!(
        "{}print(a, len(b), c, d, pick(0), pick(250), pick(499), pick(500), pick2(499), pick2(500))\n",
        " ".repeat(2 + n)
    ));
    for i in (0..n).rev() {
        src.push_str(&format!("{}end\n", " ".repeat(2 + i)));
    }
    src.push_str("end\n");
    let run = run_in("deep", &[("deep.lm", &src)], &["run", "deep.lm"]);
    assert_run(&run, 0, "500 1 1000 101 0 250 499 -1 998 -1\n", "");
}

/// Nesting beyond the limit is a compile error, not a crash.
#[test]
fn nesting_beyond_the_limit_is_a_compile_error() {
    let src = format!(
        "cell main()\n  print({}1{})\nend\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let run = run_in("too_deep", &[("deep.lm", &src)], &["run", "deep.lm"]);
    assert_eq!(run.code, Some(2), "{}", run.err());
    assert!(
        run.err().contains("error: program nested too deeply"),
        "{}",
        run.err()
    );
}
