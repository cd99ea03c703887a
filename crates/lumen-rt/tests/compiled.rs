//! Lumen source compiled with `lumen_compiler::compile` and run on the VM.

use lumen_core::Value;
use lumen_core::error::RtError;
use lumen_rt::{RuntimeError, VM};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// A `Write` sink the test can read back.
#[derive(Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn vm(source: &str) -> VM {
    match lumen_compiler::compile(source) {
        Ok(module) => VM::new(module),
        Err(e) => panic!("compile error: {e:?}"),
    }
}

/// Runs `main` and returns (stdout, error).
fn run(source: &str) -> (String, Option<RuntimeError>) {
    let sink = Sink::default();
    let mut vm = vm(source);
    vm.set_stdout(Box::new(sink.clone()));
    let res = vm.run_main().err();
    let out = String::from_utf8(sink.0.borrow().clone()).unwrap();
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
