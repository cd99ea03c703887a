//! Tiered execution against the interpreter: every conformance program run by a VM with
//! the JIT installed as its tier, at thresholds 0 (every cell compiled on its first
//! call), 1 and 100 (spec corpus: 1), must print exactly what the plain VM prints, exit
//! with the same code and render the same error (message and trace). Besides the corpus, targeted programs
//! check on-stack replacement (through `VM::stats`), errors raised in native code after
//! OSR, and exact call depth across tiers.

#[path = "../../../tests/support/corpus.rs"]
mod corpus;
#[path = "../../../tests/support/diff.rs"]
mod diff;

use corpus::{Program, expected, runnable_programs};
use libtest_mimic::{Arguments, Failed, Trial};
use lumen_codegen::{OptLevel, tiered_vm};
use lumen_rt::VM;
use lumen_rt::tier::TierStats;
use std::path::Path;

const THRESHOLDS: [u32; 3] = [0, 1, 100];

/// A targeted test.
type Check = fn() -> Result<(), Failed>;

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut trials = Vec::new();
    add_corpus(
        &mut trials,
        &root.join("tests/conformance"),
        "",
        &THRESHOLDS,
    );
    // The (large) spec corpus at the threshold that mixes tiers the most.
    add_corpus(&mut trials, &root.join("tests/spec"), "spec/", &[1]);
    let targeted: [(&str, Check); 15] = [
        ("osr_enters_a_loop_in_main", osr_enters_a_loop_in_main),
        ("osr_moves_heap_registers", osr_moves_heap_registers),
        (
            "osr_nested_loops_and_second_call",
            osr_nested_loops_and_second_call,
        ),
        (
            "error_after_osr_has_the_vm_trace",
            error_after_osr_has_the_vm_trace,
        ),
        (
            "threshold_zero_compiles_main_first",
            threshold_zero_compiles_main_first,
        ),
        ("hot_cells_get_compiled", hot_cells_get_compiled),
        ("depth_is_exact_across_tiers", depth_is_exact_across_tiers),
        (
            "closures_and_builtins_tier_up",
            closures_and_builtins_tier_up,
        ),
        (
            "entry_cells_take_every_kind_of_argument",
            entry_cells_take_every_kind_of_argument,
        ),
        (
            "entry_cells_reject_a_wrong_argument_kind",
            entry_cells_reject_a_wrong_argument_kind,
        ),
        (
            "list_facts_hold_across_loop_iterations",
            list_facts_hold_across_loop_iterations,
        ),
        (
            "lists_written_in_loops_stay_values",
            lists_written_in_loops_stay_values,
        ),
        (
            "osr_entries_keep_loop_facts_and_checks",
            osr_entries_keep_loop_facts_and_checks,
        ),
        (
            "type_tests_give_the_vms_answers",
            type_tests_give_the_vms_answers,
        ),
        (
            "function_values_from_an_embedder_are_checked",
            function_values_from_an_embedder_are_checked,
        ),
    ];
    trials.extend(
        targeted
            .into_iter()
            .map(|(name, f)| Trial::test(name, f).with_kind("tiering")),
    );
    libtest_mimic::run(&args, trials).exit();
}

/// One trial per program of `corpus` that has code to run, comparing the VM with tiered
/// runs at `thresholds`.
fn add_corpus(trials: &mut Vec<Trial>, corpus: &Path, prefix: &str, thresholds: &'static [u32]) {
    match runnable_programs(corpus) {
        Ok(programs) => {
            for p in programs {
                let corpus = corpus.to_path_buf();
                trials.push(
                    Trial::test(format!("{prefix}{}", p.name), move || {
                        corpus_program(&corpus, &p, thresholds)
                    })
                    .with_kind("tiered"),
                );
            }
        }
        Err(e) => trials.push(Trial::test(
            format!("{prefix}corpus"),
            move || Err(e.into()),
        )),
    }
}

/// What a run produced: stdout, exit code, rendered error (empty on success), and the
/// tiering statistics.
#[derive(Debug, PartialEq)]
struct Outcome {
    stdout: String,
    code: i32,
    stderr: String,
    stats: TierStats,
}

/// Runs `source` (as file `file`) on the plain VM (`tiered: None`) or tiered (at a
/// threshold and level).
fn run(
    file: &str,
    source: &[u8],
    tiered: Option<(u32, OptLevel)>,
    args: Vec<String>,
    stdin: Vec<u8>,
) -> Result<Outcome, String> {
    let (file, source) = (file.to_string(), source.to_vec());
    let out = lumen_rt::Captured::default();
    let out2 = out.clone();
    // Modules hold `Rc`s: compile and run on the big-stack thread.
    let res = lumen_rt::run_on_big_stack(move || -> Result<(i32, String, TierStats), String> {
        let module = lumen_compiler::compile_file(&file, &source).map_err(|e| format!("{e:?}"))?;
        let mut vm = match tiered {
            Some((t, level)) => tiered_vm(&module, t, level).map_err(|e| e.to_string())?,
            None => VM::new(module),
        };
        vm.set_args(args);
        vm.set_stdout(Box::new(out2));
        vm.set_stdin(Box::new(std::io::Cursor::new(stdin)));
        let (code, err) = match vm.run_main() {
            Ok(()) => (0, String::new()),
            Err(e) => match e.exit_code() {
                Some(c) => (c, String::new()),
                None => (1, e.render(&file)),
            },
        };
        Ok((code, err, vm.stats()))
    })?;
    let stdout = out.text();
    Ok(Outcome {
        stdout,
        code: res.0,
        stderr: res.1,
        stats: res.2,
    })
}

/// Differences between the VM's outcome and a tiered one (statistics aside).
fn compare(vm: &Outcome, tiered: &Outcome, what: &str) -> Result<(), Failed> {
    let mut problems = String::new();
    if vm.stdout != tiered.stdout {
        problems.push_str(&format!(
            "stdout differs (- VM, + tiered):\n{}",
            corpus::indent(&diff::diff(&vm.stdout, &tiered.stdout))
        ));
    }
    if vm.code != tiered.code {
        problems.push_str(&format!(
            "exit {} (VM) vs {} (tiered)\n",
            vm.code, tiered.code
        ));
    }
    if vm.stderr != tiered.stderr {
        problems.push_str(&format!(
            "stderr differs:\nVM:\n{}tiered:\n{}",
            corpus::indent(&vm.stderr),
            corpus::indent(&tiered.stderr)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{what}\n{problems}").into())
    }
}

fn corpus_program(corpus: &Path, program: &Program, thresholds: &[u32]) -> Result<(), Failed> {
    let want = expected(corpus, program)?;
    let path = corpus.join(&program.file);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let go = |t: Option<u32>| {
        run(
            &program.file,
            &bytes,
            t.map(|t| (t, OptLevel::O1)),
            want.args.clone(),
            want.stdin.clone(),
        )
    };
    let vm = go(None)?;
    for &t in thresholds {
        compare(
            &vm,
            &go(Some(t))?,
            &format!("{} at threshold {t}", program.file),
        )?;
    }
    Ok(())
}

/// Runs `src` on the VM and tiered at `threshold`, checks they agree, and returns the
/// tiered outcome.
fn agree(src: &str, threshold: u32) -> Result<Outcome, Failed> {
    agree_at(src, threshold, OptLevel::O1)
}

/// [`agree`] with native code compiled at `level`.
fn agree_at(src: &str, threshold: u32, level: OptLevel) -> Result<Outcome, Failed> {
    let vm = run("t.lm", src.as_bytes(), None, Vec::new(), Vec::new())?;
    let tiered = run(
        "t.lm",
        src.as_bytes(),
        Some((threshold, level)),
        Vec::new(),
        Vec::new(),
    )?;
    compare(&vm, &tiered, &format!("threshold {threshold}, {level:?}"))?;
    Ok(tiered)
}

fn check(cond: bool, what: impl FnOnce() -> String) -> Result<(), Failed> {
    if cond { Ok(()) } else { Err(what().into()) }
}

fn osr_enters_a_loop_in_main() -> Result<(), Failed> {
    let src = "\
cell main()
  let mut total = 0
  let mut f = 0.5
  let mut i = 0
  while i < 100000
    total += i % 7
    f = f * 1.0000001
    i += 1
  end
  print(total, f > 0.5, i)
end
";
    let t = agree(src, 100)?;
    check(
        t.stats.osr_entries == 1 && t.stats.osr_compiled == 1,
        || format!("expected one OSR entry: {:?}", t.stats),
    )?;
    check(t.stdout == "299995 true 100000\n", || t.stdout.clone())?;
    // Never hot: stays interpreted.
    let t = agree(
        "cell main()\n  for i in 0..5\n    print(i)\n  end\nend\n",
        100,
    )?;
    check(t.stats == TierStats::default(), || format!("{:?}", t.stats))
}

fn osr_moves_heap_registers() -> Result<(), Failed> {
    // Strings, lists, maps and records live in registers across the OSR point.
    let src = "\
record P
  x: Int
  name: String
end

cell main()
  let mut xs = [1, 2, 3]
  let mut s = \"a\"
  let p = P(x: 5, name: \"pt\")
  let mut m = {\"k\": 1}
  for i in 0..500
    xs = append(xs, i % 3)
    if i % 100 == 0
      s = s + to_string(i)
    end
    m[\"k\"] = m[\"k\"] + p.x
  end
  print(len(xs), xs[500], s, m, p.name)
end
";
    for t in THRESHOLDS {
        let out = agree(src, t)?;
        check(out.code == 0, || out.stderr.clone())?;
    }
    let out = agree(src, 10)?;
    check(out.stats.osr_entries == 1, || format!("{:?}", out.stats))
}

fn osr_nested_loops_and_second_call() -> Result<(), Failed> {
    // `work` is called twice (below the call threshold); its loops go native through OSR.
    let src = "\
cell work(n: Int) -> Int
  let mut acc = 0
  for i in 0..n
    for j in 0..n
      acc += (i * j) % 5
    end
  end
  return acc
end

cell main()
  print(work(300))
  print(work(200))
end
";
    let t = agree(src, 100)?;
    check(t.stats.osr_entries >= 2, || format!("{:?}", t.stats))?;
    check(t.stats.cells_compiled == 0, || format!("{:?}", t.stats))?;
    Ok(())
}

fn error_after_osr_has_the_vm_trace() -> Result<(), Failed> {
    // The error is raised in native code (inside `pick`, called from the OSR'd loop of
    // `scan`, called from `main`): the trace must list pick, scan, main as the VM does.
    let src = "\
cell pick(xs: list[Int], i: Int) -> Int
  return xs[i] * 2
end

cell scan(xs: list[Int]) -> Int
  let mut total = 0
  let mut i = 0
  while true
    total += pick(xs, i)
    i += 1
  end
  return total
end

cell main()
  let xs = [x for x in 0..1000]
  print(\"start\")
  print(scan(xs))
end
";
    for t in [0, 1, 5, 100] {
        let out = agree(src, t)?;
        check(out.stderr.contains("index out of bounds"), || {
            out.stderr.clone()
        })?;
        let frames: Vec<&str> = out
            .stderr
            .lines()
            .filter_map(|l| l.trim().strip_prefix("at "))
            .map(|l| l.split(' ').next().unwrap_or(""))
            .collect();
        check(frames == ["pick", "scan", "main"], || out.stderr.clone())?;
    }
    let out = agree(src, 100)?;
    check(out.stats.osr_entries == 1, || format!("{:?}", out.stats))?;
    // An error raised by the OSR'd frame itself (overflow in the loop of `main`).
    let src = "\
cell main()
  let mut x = 1
  let mut n = 0
  while true
    x = x * 3
    n += 1
  end
  print(x, n)
end
";
    let out = agree(src, 5)?;
    check(out.stderr.contains("integer overflow"), || {
        out.stderr.clone()
    })?;
    check(out.stats.osr_entries == 1, || format!("{:?}", out.stats))
}

fn threshold_zero_compiles_main_first() -> Result<(), Failed> {
    let src = "\
cell sq(x: Int) -> Int
  return x * x
end

cell main()
  let mut t = 0
  for i in 0..1000
    t += sq(i)
  end
  print(t)
end
";
    let t = agree(src, 0)?;
    // `main` (and `sq` with it) compiled before running: no loop ever runs interpreted.
    check(
        t.stats.cells_compiled >= 1 && t.stats.osr_entries == 0,
        || format!("{:?}", t.stats),
    )
}

fn hot_cells_get_compiled() -> Result<(), Failed> {
    let src = "\
cell fib(n: Int) -> Int
  if n < 2
    return n
  end
  return fib(n - 1) + fib(n - 2)
end

cell main()
  print(fib(22))
end
";
    for t in THRESHOLDS {
        agree(src, t)?;
    }
    let t = agree(src, 100)?;
    check(
        t.stats.cells_compiled == 1 && t.stats.native_calls >= 1,
        || format!("{:?}", t.stats),
    )
}

fn depth_is_exact_across_tiers() -> Result<(), Failed> {
    // 10,000 active calls are allowed, the next one overflows; the depth is counted the
    // same whether the frames below are interpreted or native (`down` is compiled while
    // deep in interpreted recursion at threshold 100).
    let ok = "\
cell down(n: Int) -> Int
  if n == 0
    return 0
  end
  return 1 + down(n - 1)
end

cell main()
  print(down(9998))
end
";
    let over = ok.replace("9998", "9999");
    for t in [0, 1, 100, 5000] {
        let out = agree(ok, t)?;
        check(out.stdout == "9998\n", || out.stderr.clone())?;
        let out = agree(&over, t)?;
        check(out.stderr.starts_with("error: stack overflow"), || {
            out.stderr.clone()
        })?;
    }
    // Through a higher-order builtin (native → VM → native nesting).
    let nested = "\
cell down(n: Int) -> Int
  if n == 0
    return 0
  end
  let r = map([n - 1], fn(k: Int) -> Int => down(k))
  return 1 + r[0]
end

cell main()
  print(down(DEPTH))
end
";
    for depth in ["4998", "4999", "5000"] {
        let src = nested.replace("DEPTH", depth);
        for t in [0, 1, 100] {
            agree(&src, t)?;
        }
    }
    Ok(())
}

fn closures_and_builtins_tier_up() -> Result<(), Failed> {
    let src = "\
cell make_adder(k: Int) -> fn(Int) -> Int
  return fn(x: Int) -> Int => x + k
end

cell main()
  let add3 = make_adder(3)
  let mut t = 0
  for i in 0..2000
    t += add3(i)
  end
  let ys = map([1, 2, 3], add3)
  let evens = filter([x for x in 0..300], fn(x: Int) -> Bool => x % 2 == 0)
  print(t, ys, len(evens))
end
";
    for t in [0, 1, 2, 100] {
        agree(src, t)?;
    }
    Ok(())
}

fn entry_cells_take_every_kind_of_argument() -> Result<(), Failed> {
    // `mix` is hot before the loop calling it is (two calls per iteration) and called by
    // no compiled cell yet: the VM enters it through an entry cell (scalars unboxed from
    // the VM's arguments, heap values moved out of them). Then main's loop continues
    // natively (OSR) and `twice` gets hot, calling `mix` natively: `mix` gets its native
    // function too. The last call fails inside `mix`: the trace is the VM's.
    let src = "\
cell mix(x: Float, n: Int, flag: Bool, name: String, xs: list[Int]) -> String
  let t = if flag then x * 2.0 else x
  name + \":\" + to_string(n + xs[0]) + \":\" + to_string(t) + \":\" + to_string(100 / (n - 400))
end

cell twice(n: Int) -> Int
  n * 2 + len(mix(1.5, n, n % 3 == 0, \"b\", [n]))
end

cell main()
  let mut acc = \"\"
  for i in 0..300
    acc = mix(i as Float, i, i % 2 == 0, \"a\", [i, 1])
    acc = mix(0.25, i, true, acc, [i])
  end
  print(acc)
  let mut s = 0
  for i in 0..300
    s += twice(i)
  end
  print(s)
  print(mix(0.5, 400, false, \"c\", [0]))
end
";
    for t in THRESHOLDS {
        let out = agree(src, t)?;
        // At 0, `main` is compiled first and calls `mix` natively from the start.
        let entered = t == 0 || out.stats.cells_compiled >= 1 && out.stats.native_calls >= 1;
        check(entered, || format!("t={t}: {:?}", out.stats))?;
        check(
            out.code == 1 && out.stderr.contains("division by zero"),
            || format!("t={t}: {}", out.stderr),
        )?;
    }
    Ok(())
}

fn entry_cells_reject_a_wrong_argument_kind() -> Result<(), Failed> {
    // An embedder's argument of the wrong kind is refused by `VM::call_cell` before any
    // code runs, with the same internal error on every tier (native entries unbox their
    // arguments unchecked).
    lumen_rt::run_on_big_stack(|| -> Result<(), Failed> {
        use lumen_core::value::Value;
        let module = lumen_compiler::compile(
            "cell inc(n: Int, x: Float) -> Int\n  n + 1\nend\ncell main()\nend\n",
        )
        .map_err(|e| format!("{e:?}"))?;
        let tiers = [
            ("interp", VM::new(module.clone())),
            (
                "tiered t=0",
                tiered_vm(&module, 0, OptLevel::O1).map_err(|e| e.to_string())?,
            ),
            (
                "jit",
                lumen_codegen::JitCompiler::new()
                    .compile_module(&module)
                    .map_err(|e| e.to_string())?,
            ),
        ];
        for (tier, mut vm) in tiers {
            let ok = vm.call_cell_by_name("inc", vec![Value::Int(1), Value::Float(2.0)]);
            check(matches!(ok, Ok(Value::Int(2))), || {
                format!("{tier}: {ok:?}")
            })?;
            let bad = vm
                .call_cell_by_name("inc", vec![Value::Int(1), Value::Int(2)])
                .map_err(|e| e.error.to_string());
            let want = "internal error: expected Float in register, found Int";
            check(bad.as_ref().err().map(String::as_str) == Some(want), || {
                format!("{tier}: {bad:?}")
            })?;
            if tier == "tiered t=0" {
                // The good call ran natively; the bad one never entered native code.
                check(vm.stats().native_calls == 1, || format!("{:?}", vm.stats()))?;
            }
        }
        Ok(())
    })
}

fn list_facts_hold_across_loop_iterations() -> Result<(), Failed> {
    // Native code establishes a list's facts (kind, element pointer) once on the way
    // into a loop that never changes the register (`ir.rs`, `analyse_loops`): nested
    // and rotated loops, a list copied on the first write inside the loop (the facts
    // follow the copy), an early return, an OSR entry in the middle (threshold 1), and
    // calls inside the loop (a callee changing its own copy of a list), and an index
    // error raised from inside the loop.
    let src = "\
cell sum_rows(grid: list[list[Int]]) -> Int
  let mut total = 0
  for r in 0..len(grid)
    let row = grid[r]
    let mut c = 0
    while c < len(row)
      total += row[c] * (r + 1)
      c += 1
    end
  end
  total
end

cell scale(xs: list[Float], k: Float) -> list[Float]
  let mut out = xs
  for i in 0..len(out)
    out[i] = out[i] * k + xs[i]
  end
  out
end

cell first_big(xs: list[Int], limit: Int) -> Int
  let mut i = 0
  while i < len(xs)
    if xs[i] > limit
      return i
    end
    i += 1
  end
  -1
end

cell bump(ys: list[Int]) -> Int
  let mut zs = ys
  zs[0] = zs[0] + 100
  zs[0]
end

cell sq(x: Int) -> Int
  x * x
end

cell calls_in_loop(xs: list[Int]) -> Int
  let mut t = 0
  for i in 0..len(xs)
    t += sq(xs[i]) + xs[i] + bump(xs) + xs[0]
  end
  t
end

cell bad_index(xs: list[Int]) -> Int
  let mut s = 0
  for i in 0..5
    s += xs[i]
  end
  s
end

cell main()
  let grid = [[1, 2, 3], [4, 5], [], [6]]
  let xs = [1.0, 2.0, 3.0]
  let mut acc = 0
  let mut last = xs
  for n in 0..150
    acc += sum_rows(grid) + first_big([1, 5, 9, n], 4) + first_big([n], 200)
    acc += calls_in_loop([n, 2, 3])
    last = scale(last, 0.5)
  end
  print(acc, last, xs)
  print(bad_index([1, 2, 3, 4, 5]))
  print(bad_index([1, 2, 3]))
end
";
    for t in THRESHOLDS {
        let out = agree(src, t)?;
        check(out.code == 1 && out.stderr.contains("bad_index"), || {
            format!("t={t}: {} / {}", out.stdout, out.stderr)
        })?;
    }
    Ok(())
}

fn lists_written_in_loops_stay_values() -> Result<(), Failed> {
    // A list a loop writes is made unique on the way in (`ir.rs`, `establish`), and an
    // element checked in bounds is not checked again in the same block: shared lists
    // (copies kept outside the loop, arguments the caller keeps, copies taken on every
    // outer iteration around an inner loop that writes, loops that run zero times)
    // must keep their values; a write after its index or list changed is checked again
    // (the last call raises `index out of bounds`).
    let src = "\
cell bump_all(xs: list[Int], k: Int) -> list[Int]
  let mut ys = xs
  for i in 0..len(ys)
    ys[i] = ys[i] + k
    ys[i] = ys[i] * 2
  end
  ys
end

cell snapshots(n: Int) -> list[list[Float]]
  let mut v = [0.0, 0.0, 0.0]
  let mut out: list[list[Float]] = []
  for step in 0..n
    out = append(out, v)
    let mut j = 0
    while j < len(v) and step % 2 == 0
      v[j] = v[j] + 1.5
      j += 1
    end
  end
  append(out, v)
end

cell moved_index(xs: list[Int], shift: Int) -> list[Int]
  let mut ys = xs
  for i in 0..len(ys)
    let a = ys[i]
    let mut k = i
    k += shift
    ys[k] = a + 1
  end
  ys
end

cell other_list(xs: list[Int], zs: list[Int]) -> list[Int]
  let mut ys = xs
  for i in 0..len(ys)
    let a = ys[i]
    ys = zs
    ys[i] = a
  end
  ys
end

cell main()
  let base = [1, 2, 3, 4]
  let mut total = 0
  for r in 0..120
    let b = bump_all(base, r)
    total += b[0] + b[3] + base[0]
  end
  print(total, base)
  print(bump_all([], 5))
  print(snapshots(5))
  print(other_list([1, 2], [7, 8, 9]))
  print(moved_index([5, 6, 7], 0))
  print(moved_index([5, 6, 7], 1))
end
";
    for level in [OptLevel::O1, OptLevel::O3] {
        for t in THRESHOLDS {
            let out = agree_at(src, t, level)?;
            check(
                out.code == 1 && out.stderr.contains("index out of bounds"),
                || format!("t={t} {level:?}: {} / {}", out.stdout, out.stderr),
            )?;
        }
    }
    Ok(())
}

fn osr_entries_keep_loop_facts_and_checks() -> Result<(), Failed> {
    // OSR entries land on rotated loops' conditions (`ir::osr_landing`) and keep the
    // comparisons that hold at the header (`Ranges::of`: an OSR entry is no new way
    // in): `i + 1` under `i < n` needs no check there, but every overflow the VM raises
    // is still raised, at the same iteration (the last `grow` call fails), from loops
    // with plain, complex (a call in the condition) and `while true` heads.
    let src = "\
cell below(x: Int, n: Int) -> Bool
  x < n
end

cell mix(n: Int) -> Int
  let mut acc = 0
  for i in 0..n
    let mut j = 0
    while below(j, n)
      acc = (acc + i * j) % 1000003
      j += 1
    end
  end
  acc
end

cell grow(start: Int, steps: Int) -> Int
  let mut x = start
  let mut k = 0
  while true
    if k >= steps
      return x
    end
    x = x * 3 + k
    k += 1
  end
  x
end

cell main()
  print(mix(60), mix(7))
  print(grow(1, 30), grow(5, 20))
  print(grow(1, 45))
end
";
    for level in [OptLevel::O1, OptLevel::O3] {
        for t in [1, 100] {
            let out = agree_at(src, t, level)?;
            check(
                out.code == 1 && out.stderr.contains("integer overflow"),
                || format!("t={t} {level:?}: {} / {}", out.stdout, out.stderr),
            )?;
            check(t > 1 || out.stats.osr_entries > 0, || {
                format!("{:?}", out.stats)
            })?;
        }
    }
    Ok(())
}

fn type_tests_give_the_vms_answers() -> Result<(), Failed> {
    // `is`, type patterns, variant, result and null patterns: native code tests kinds
    // from the slot's tag and enum values' type and variant in the object (`ir.rs`,
    // `type_test`); records go through the helper. Every test against every kind.
    let src = "\
record P
  x: Int
end
record Q
  x: Int
end
enum E
  A
  B(Int)
end
enum F
  A2
  C(Int)
end

cell kind[T](v: T) -> String
  let mut s = \"\"
  s = s ++ (if v is Int then \"i\" else \"-\")
  s = s ++ (if v is Float then \"f\" else \"-\")
  s = s ++ (if v is Bool then \"b\" else \"-\")
  s = s ++ (if v is String then \"s\" else \"-\")
  s = s ++ (if v is Null then \"n\" else \"-\")
  s = s ++ (if v is P then \"p\" else \"-\")
  s = s ++ (if v is E then \"e\" else \"-\")
  s = s ++ (if v is F then \"F\" else \"-\")
  s
end

cell shape(v: E | F | Int? | result[Int, String]) -> String
  match v
    A -> \"A\"
    B(n) -> \"B{n}\"
    A2 -> \"A2\"
    C(n) -> \"C{n}\"
    ok(n) -> \"ok{n}\"
    err(m) -> \"err{m}\"
    null -> \"null\"
    n: Int -> \"int{n}\"
  end
end

cell main()
  print(kind(1), kind(2.5), kind(true), kind(\"s\"), kind(null), kind(P(x: 1)), kind(Q(x: 1)))
  print(kind(A), kind(B(3)), kind(A2), kind(C(4)), kind([1]), kind((1, 2)), kind({1: 2}))
  print(kind(ok(1)), kind(err(\"e\")), kind(fn(x: Int) => x))
  print(shape(A), shape(B(1)), shape(A2), shape(C(2)), shape(ok(3)), shape(err(\"x\")))
  let none: Int? = null
  print(shape(none), shape(5))
end
";
    for level in [OptLevel::O1, OptLevel::O3] {
        for t in [0, 100] {
            let out = agree_at(src, t, level)?;
            check(out.code == 0 && out.stdout.lines().count() == 5, || {
                format!("t={t} {level:?}: {} / {}", out.stdout, out.stderr)
            })?;
        }
    }
    Ok(())
}

fn function_values_from_an_embedder_are_checked() -> Result<(), Failed> {
    // Native `CallValue` calls a compiled cell's entry directly only when the function
    // value fits the call (a closure of a known cell taking that many arguments and its
    // captures); a value made by an embedder that does not fit gets the VM's internal
    // error on every tier, never a wild call.
    lumen_rt::run_on_big_stack(|| -> Result<(), Failed> {
        use lumen_core::value::{Closure, Value};
        use std::rc::Rc;
        let module = lumen_compiler::compile(
            "cell apply(f: fn(Int) -> Int, x: Int) -> Int\n  f(x) + f(x + 1)\nend\n\
             cell inc(n: Int) -> Int\n  n + 1\nend\n\
             cell add(a: Int, b: Int) -> Int\n  a + b\nend\n\
             cell main()\n  let k = 5\n  print(apply(inc, 1), apply(fn(n: Int) => n * k, 1))\n  \
             print(add(1, 2))\nend\n",
        )
        .map_err(|e| format!("{e:?}"))?;
        let id = |name: &str| module.find_cell(name).ok_or(format!("no {name}"));
        let (inc, add) = (id("inc")?, id("add")?);
        let times = (module.cells.iter())
            .position(|c| c.kind == lumen_core::lir::CellKind::Lambda)
            .ok_or("no lambda")? as u32;
        let f = |cell, captures| Value::Fn(Rc::new(Closure { cell, captures }));
        let cases = [
            (f(inc, vec![]), Ok(Value::Int(7))),
            (
                f(add, vec![]),
                Err("internal error: add called with the wrong number of values"),
            ),
            (
                f(inc, vec![Value::Int(7)]),
                Err("internal error: inc called with the wrong number of values"),
            ),
            (f(times, vec![Value::Int(10)]), Ok(Value::Int(50))),
            (
                f(times, vec![]),
                Err("internal error: <lambda> called with the wrong number of values"),
            ),
            (
                f(times, vec![Value::Int(1), Value::Int(2)]),
                Err("internal error: <lambda> called with the wrong number of values"),
            ),
            (f(999, vec![]), Err("internal error: no cell 999")),
            (
                Value::Int(3),
                Err("internal error: expected fn in register, found Int"),
            ),
        ];
        let jit = |level| {
            lumen_codegen::JitCompiler::with_opt_level(level)
                .compile_module(&module)
                .map_err(|e| e.to_string())
        };
        let tiers = [
            ("interp", VM::new(module.clone())),
            (
                "tiered t=0",
                tiered_vm(&module, 0, OptLevel::O1).map_err(|e| e.to_string())?,
            ),
            ("jit", jit(OptLevel::O1)?),
            ("jit -O0", jit(OptLevel::O0)?),
        ];
        for (tier, mut vm) in tiers {
            // Twice: in tiered runs the second round calls compiled cells.
            for round in 0..2 {
                for (value, want) in &cases {
                    let got = vm
                        .call_cell_by_name("apply", vec![value.clone(), Value::Int(2)])
                        .map_err(|e| e.error.to_string());
                    let same = match (&got, want) {
                        (Ok(v), Ok(w)) => v == w,
                        (Err(e), Err(w)) => e == w,
                        _ => false,
                    };
                    check(same, || {
                        format!("{tier}, round {round}, {value:?}: {got:?}, want {want:?}")
                    })?;
                }
            }
        }
        Ok(())
    })
}
