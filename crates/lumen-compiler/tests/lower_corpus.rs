//! Lowering on real programs: every conformance program that is expected to compile
//! (no `.exit` of 2), example and benchmark compiles to LIR that passes
//! `lumen_core::verify`, survives a binary round trip and dumps; small programs check
//! properties of the generated code.

#[path = "../../../tests/support/corpus.rs"]
mod corpus;

use corpus::{program_files as programs, sibling};
use std::path::{Path, PathBuf};

use lumen_core::builtins::Builtin;
use lumen_core::lir::{Cell, Instr, LirModule, RegTy};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// True when the test expects a compile error (exit code 2).
fn expects_compile_error(path: &Path) -> bool {
    sibling(path, ".exit").is_some_and(|e| e.trim() == "2")
}

#[test]
fn corpus_lowers_to_verified_lir() {
    let files: Vec<PathBuf> = programs(&root().join("tests/conformance"))
        .into_iter()
        .chain(programs(&root().join("examples")))
        .chain(programs(&root().join("bench/programs")))
        .filter(|p| !expects_compile_error(p))
        .collect();
    assert!(files.len() > 50, "corpus not found ({} files)", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("readable program");
        let name = path.to_string_lossy().to_string();
        let module = match lumen_compiler::compile_file(&name, &bytes) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{name}: does not compile: {e:?}"));
                continue;
            }
        };
        if let Err(errs) = lumen_core::verify::verify(&module) {
            failures.push(format!("{name}: verify: {}", errs.join("; ")));
            continue;
        }
        let encoded = lumen_core::serial::to_bytes(&module);
        match lumen_core::serial::from_bytes(&encoded) {
            Ok(back) => {
                if lumen_core::serial::to_bytes(&back) != encoded || back.cells != module.cells {
                    failures.push(format!("{name}: binary round trip changed the module"));
                }
            }
            Err(e) => failures.push(format!("{name}: decode: {e}")),
        }
        let text = lumen_core::dump::dump(&module);
        let lines = text.lines().filter(|l| l.starts_with("  ")).count();
        let instrs: usize = module.cells.iter().map(|c| c.code.len()).sum();
        if lines != instrs {
            failures.push(format!(
                "{name}: dump has {lines} lines for {instrs} instructions"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} programs failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

fn compile(src: &str) -> LirModule {
    let m = lumen_compiler::compile(src).unwrap_or_else(|e| panic!("{e:?}\n{src}"));
    if let Err(errs) = lumen_core::verify::verify(&m) {
        panic!("{errs:?}\n{}", lumen_core::dump::dump(&m));
    }
    m
}

fn cell<'a>(m: &'a LirModule, name: &str) -> &'a Cell {
    let id = m
        .find_cell(name)
        .unwrap_or_else(|| panic!("no cell {name}"));
    m.cell(id)
}

#[test]
fn range_loop_builds_no_list() {
    let m = compile(
        "cell total(n: Int) -> Int\n  let mut s = 0\n  for i in 0..n\n    s += i\n  end\n  s\nend\n\
         cell main()\n  print(total(10))\nend\n",
    );
    let c = cell(&m, "total");
    let dump = lumen_core::dump::dump(&m);
    assert!(
        !c.code.iter().any(|i| matches!(
            i,
            Instr::RangeList { .. } | Instr::ListNew { .. } | Instr::CallBuiltin { .. }
        )),
        "{dump}"
    );
    assert!(
        c.code
            .iter()
            .any(|i| matches!(i, Instr::JumpIfIntCmp { .. })),
        "{dump}"
    );
    assert!(
        c.code
            .iter()
            .any(|i| matches!(i, Instr::IntAddImm { value: 1, .. })),
        "{dump}"
    );
}

#[test]
fn append_passes_the_list_with_a_move() {
    let m = compile(
        "cell build(n: Int) -> list[Int]\n  let mut xs: list[Int] = []\n  for i in 0..n\n    \
         xs = append(xs, i)\n  end\n  xs\nend\ncell main()\n  print(len(build(5)))\nend\n",
    );
    let c = cell(&m, "build");
    let dump = lumen_core::dump::dump(&m);
    // The list argument of `append` is moved out of `xs`, and the result lands in `xs`.
    let append = c
        .code
        .iter()
        .find_map(|i| match *i {
            Instr::CallBuiltin {
                dst,
                builtin: Builtin::Append,
                args,
                ..
            } => Some((dst, args)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no append\n{dump}"));
    let (xs, arg) = append;
    assert!(
        c.code.contains(&Instr::Move { dst: arg, src: xs }),
        "{dump}"
    );
}

#[test]
fn string_and_map_updates_stay_in_place() {
    let m = compile(
        "cell f(n: Int) -> Int\n  let mut s = \"\"\n  let mut m: map[Int, Int] = {}\n  \
         for i in 0..n\n    s = s + \"x\"\n    m[i] = i\n  end\n  len(s) + len(m)\nend\n\
         cell main()\n  print(f(3))\nend\n",
    );
    let c = cell(&m, "f");
    let dump = lumen_core::dump::dump(&m);
    assert!(
        c.code
            .iter()
            .any(|i| matches!(i, Instr::StrConcat { dst, a, .. } if dst == a)),
        "{dump}"
    );
    // `m[i] = i` updates the local's own register (no copy of the map).
    let set = c
        .code
        .iter()
        .find_map(|i| match *i {
            Instr::MapSet { map, .. } => Some(map),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no MapSet\n{dump}"));
    assert_eq!(c.regs[set as usize], RegTy::Map);
    assert!(
        !c.code
            .iter()
            .any(|i| matches!(i, Instr::Copy { src, .. } if *src == set)),
        "{dump}"
    );
}

#[test]
fn call_positions_are_the_callee_start() {
    let m = compile("cell main()\n  let x = 1\n  print(10 // (x - 1))\nend\n");
    let c = cell(&m, "main");
    let div = c
        .code
        .iter()
        .position(|i| matches!(i, Instr::IntFloorDiv { .. }))
        .expect("a floor division");
    assert_eq!((c.pos[div].line, c.pos[div].col), (3, 9));
    let print = c
        .code
        .iter()
        .position(|i| {
            matches!(
                i,
                Instr::CallBuiltin {
                    builtin: Builtin::Print,
                    ..
                }
            )
        })
        .expect("a print call");
    assert_eq!((c.pos[print].line, c.pos[print].col), (3, 3));
}

/// Runs `main` of `m`, returning its stdout.
fn run_main(m: LirModule) -> String {
    struct Buf(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let out = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut vm = lumen_rt::VM::new(m);
    vm.set_stdout(Box::new(Buf(out.clone())));
    vm.run_main().expect("runs");
    String::from_utf8_lossy(&out.borrow()).into_owned()
}

/// Does the cell null out a list slot (`ListSet` of a `Null` register)?
fn takes_out(c: &Cell) -> bool {
    c.code
        .iter()
        .any(|i| matches!(i, Instr::ListSet { src, .. } if c.regs[*src as usize] == RegTy::Null))
}

#[test]
fn element_read_modified_and_stored_back_is_taken_out() {
    // Clarification 18: `let mut p = ps[i]` … `ps[i] = p` need not copy `p`.
    let src = "record P\n  x: Int\nend\ncell main()\n  let mut ps = [P(x: 1), P(x: 2)]\n  \
               for i in 0..2\n    let mut p = ps[i]\n    p.x += 10\n    ps[i] = p\n  end\n  \
               print(ps[0].x, ps[1].x)\nend\n";
    let m = compile(src);
    assert!(
        takes_out(cell(&m, "main")),
        "{}",
        lumen_core::dump::dump(&m)
    );
    assert_eq!(run_main(m), "11 12\n");
    // A read of `ps` in between would see the hole: no take-out then.
    let src = "record P\n  x: Int\nend\ncell main()\n  let mut ps = [P(x: 1), P(x: 2)]\n  \
               for i in 0..2\n    let mut p = ps[i]\n    p.x += ps[0].x\n    ps[i] = p\n  end\n  \
               print(ps[0].x, ps[1].x)\nend\n";
    let m = compile(src);
    assert!(
        !takes_out(cell(&m, "main")),
        "{}",
        lumen_core::dump::dump(&m)
    );
    assert_eq!(run_main(m), "2 4\n");
    // Nor when the loop may be left before the store.
    let src = "cell main()\n  let mut ps = [[1], [2]]\n  for i in 0..2\n    let mut p = ps[i]\n    \
               if i == 1\n      break\n    end\n    ps[i] = p\n  end\n  print(ps)\nend\n";
    let m = compile(src);
    assert!(
        !takes_out(cell(&m, "main")),
        "{}",
        lumen_core::dump::dump(&m)
    );
    assert_eq!(run_main(m), "[[1], [2]]\n");
}

#[test]
fn string_patterns_compare_with_pooled_constants() {
    let src = "cell kind(s: String) -> Int\n  match s\n    \"a\" -> 1\n    \"b\" -> 2\n    \
               _ -> 3\n  end\nend\ncell main()\n  print(kind(\"a\"), kind(\"b\"), kind(\"c\"))\nend\n";
    let m = compile(src);
    let c = cell(&m, "kind");
    let dump = lumen_core::dump::dump(&m);
    // Loaded once at entry, compared as Strings.
    assert_eq!(
        c.code
            .iter()
            .filter(|i| matches!(i, Instr::StrCmp { .. }))
            .count(),
        2,
        "{dump}"
    );
    assert_eq!(run_main(m), "1 2 3\n");
}

#[test]
fn list_length_is_an_instruction() {
    let src = "cell main()\n  let xs = [1, 2, 3]\n  let mut i = 0\n  while i < len(xs)\n    \
               i += 1\n  end\n  print(i, len(xs))\nend\n";
    let m = compile(src);
    let c = cell(&m, "main");
    let dump = lumen_core::dump::dump(&m);
    assert!(
        !c.code.iter().any(|i| matches!(
            i,
            Instr::CallBuiltin {
                builtin: Builtin::LenList,
                ..
            }
        )),
        "{dump}"
    );
    assert_eq!(run_main(m), "3 3\n");
}

#[test]
fn to_string_is_an_instruction() {
    let m = compile("cell main()\n  let s = to_string([1.5, 2.0])\n  print(s + \"!\")\nend\n");
    let c = cell(&m, "main");
    assert!(
        c.code.iter().any(|i| matches!(i, Instr::ToStr { .. })),
        "{}",
        lumen_core::dump::dump(&m)
    );
    assert_eq!(run_main(m), "[1.5, 2.0]!\n");
}
