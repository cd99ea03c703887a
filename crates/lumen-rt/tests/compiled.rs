//! Lumen source compiled with `lumen_compiler::compile` and run on the VM.

use lumen_core::Value;
use lumen_core::error::RtError;
use lumen_rt::{RuntimeError, VM};

fn vm(source: &str) -> VM {
    match lumen_compiler::compile(source) {
        Ok(module) => VM::new(module),
        Err(e) => panic!("compile error: {e:?}"),
    }
}

/// Runs `main` and returns (stdout, error).
fn run(source: &str) -> (String, Option<RuntimeError>) {
    let sink = lumen_rt::Captured::default();
    let mut vm = vm(source);
    vm.set_stdout(Box::new(sink.clone()));
    let res = vm.run_main().err();
    let out = sink.text();
    (out, res)
}

const FIB: &str = "cell fib(n: Int) -> Int\n  if n < 2 then n else fib(n - 1) + fib(n - 2)\nend\n\ncell main()\n  print(fib(10))\nend\n";

#[test]
fn product_brief_fib() {
    let module = lumen_compiler::compile(FIB).unwrap();
    let mut vm = VM::new(module);
    assert_eq!(
        vm.call_cell_by_name("fib", vec![Value::Int(10)]),
        Ok(Value::Int(55))
    );
}

#[test]
fn prints_and_returns() {
    let (out, err) = run("cell main() -> Int\n  print(1, \"a\", [2.0], null)\n  42\nend\n");
    assert!(err.is_none(), "{err:?}");
    assert_eq!(out, "1 a [2.0] null\n42\n");
}

#[test]
fn runtime_error_trace_from_source() {
    let src = "cell average(xs: list[Int]) -> Int\n  let total = sum(xs)\n  total / len(xs)\nend\n\ncell main()\n  let xs: list[Int] = []\n  print(average(xs))\nend\n";
    let (out, err) = run(src);
    assert_eq!(out, "");
    let err = err.expect("division by zero");
    assert_eq!(err.error, RtError::DivisionByZero);
    assert_eq!(
        err.render("stats.lm"),
        "error: division by zero\n  at average (stats.lm:3:3)\n  at main (stats.lm:8:9)\n"
    );
}

#[test]
fn closures_and_higher_order_builtins() {
    let src = r#"
cell main()
  let k = 3
  let xs = [1, 2, 3, 4, 5, 6]
  let ys = map(xs, fn(x: Int) -> Int => x * k)
  let evens = filter(ys, fn(y: Int) -> Bool => y % 2 == 0)
  let total = reduce(evens, fn(acc: Int, y: Int) -> Int => acc + y, 0)
  print(ys, evens, total)
  print(any(xs, fn(x: Int) -> Bool => x > 5), all(xs, fn(x: Int) -> Bool => x > 5))
  print(find(xs, fn(x: Int) -> Bool => x > 3), find(xs, fn(x: Int) -> Bool => x > 30))
  print(sort_by(["ccc", "a", "bb"], fn(s: String) -> Int => len(s)))
end
"#;
    let (out, err) = run(src);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        out,
        "[3, 6, 9, 12, 15, 18] [6, 12, 18] 36\ntrue false\n4 null\n[\"a\", \"bb\", \"ccc\"]\n"
    );
}

#[test]
fn error_inside_a_lambda_called_by_map() {
    let src =
        "cell main()\n  let xs = [1, 0]\n  print(map(xs, fn(x: Int) -> Int => 10 / x))\nend\n";
    let (out, err) = run(src);
    assert_eq!(out, "");
    let err = err.expect("division by zero");
    assert_eq!(
        err.render("m.lm"),
        "error: division by zero\n  at <lambda> (m.lm:3:38)\n  at main (m.lm:3:9)\n"
    );
}

#[test]
fn unbounded_recursion_is_a_stack_overflow() {
    let src =
        "cell down(n: Int) -> Int\n  down(n + 1) + 1\nend\n\ncell main()\n  print(down(0))\nend\n";
    let (_, err) = run(src);
    let err = err.expect("stack overflow");
    assert_eq!(err.error, RtError::StackOverflow);
    assert_eq!(err.trace.len(), 10_000);
    let text = err.render("d.lm");
    assert!(
        text.starts_with("error: stack overflow\n  at down (d.lm:2:3)\n"),
        "{text}"
    );
    assert!(text.contains("  ... 9965 more\n"), "{text}");
    assert!(text.ends_with("  at main (d.lm:6:9)\n"), "{text}");
}

#[test]
fn exit_flushes_and_unwinds() {
    let (out, err) = run("cell main()\n  print(\"before\")\n  exit(3)\n  print(\"after\")\nend\n");
    assert_eq!(out, "before\n");
    assert_eq!(err.and_then(|e| e.exit_code()), Some(3));
}

#[test]
fn value_semantics_and_in_place_updates() {
    let src = r#"
record P
  x: Int
end

cell main()
  let a = [1, 2, 3]
  let mut b = a
  b[0] = 9
  let mut m = {"k": a}
  m["j"] = b
  let mut p = P(x: 1)
  let q = p
  p.x = 5
  let mut s = "ab"
  s = s + "c"
  let mut xs: list[Int] = []
  for i in 0..100000
    xs = append(xs, i)
  end
  print(a, b, m, p, q, s, len(xs), xs[99999])
end
"#;
    let (out, err) = run(src);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        out,
        "[1, 2, 3] [9, 2, 3] {\"j\": [9, 2, 3], \"k\": [1, 2, 3]} P(x: 5) P(x: 1) abc 100000 99999\n"
    );
}

#[test]
fn read_line_and_args_from_source() {
    let src = "cell main()\n  let a = args()\n  let l = read_line()\n  let e = read_line()\n  print(a, l, e)\nend\n";
    let sink = lumen_rt::Captured::default();
    let mut vm = vm(src);
    vm.set_stdout(Box::new(sink.clone()));
    vm.set_args(vec!["x".into(), "".into()]);
    vm.set_stdin(Box::new(std::io::Cursor::new(b"hello\r\n".to_vec())));
    assert_eq!(vm.run_main(), Ok(()));
    let out = sink.text();
    assert_eq!(out, "[\"x\", \"\"] hello null\n");
}

/// `s = s + t` on a uniquely held String appends in place: 200,000 appends stay fast.
#[test]
fn string_append_loop_is_linear() {
    let src = "cell main()\n  let mut s = \"\"\n  for i in 0..200000\n    s = s + \"x\"\n  end\n  print(len(s))\nend\n";
    let start = std::time::Instant::now();
    let (out, err) = run(src);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(out, "200000\n");
    assert!(
        start.elapsed().as_secs() < 5,
        "string append is not in place"
    );
}
