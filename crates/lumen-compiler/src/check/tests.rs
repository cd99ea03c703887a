//! Checker tests on small programs: one or more per rule and per error message.

use crate::hir::{self, ExprKind as K};
use crate::types::Type;

/// Parses and checks `src`.
fn check(src: &str) -> Result<hir::Program, Vec<String>> {
    let ast = crate::parse(src).map_err(|d| vec![format!("parse error: {d:?}")])?;
    super::check(&ast).map_err(|ds| {
        ds.iter()
            .map(|d| format!("{}:{}: {}", d.span.line, d.span.col, d.message))
            .collect()
    })
}

/// The diagnostics of a program that must fail.
fn errors(src: &str) -> Vec<String> {
    match check(src) {
        Ok(_) => panic!("expected errors in:\n{src}"),
        Err(e) => e,
    }
}

/// A program that must check.
fn ok(src: &str) -> hir::Program {
    match check(src) {
        Ok(p) => p,
        Err(e) => panic!("unexpected errors {e:?} in:\n{src}"),
    }
}

/// Wraps statements in `cell main()`.
fn main_body(body: &str) -> String {
    format!("cell main()\n{body}\nend\n")
}

/// The HIR body of the function called `name`.
fn body<'p>(p: &'p hir::Program, name: &str) -> &'p hir::Expr {
    &p.funcs
        .iter()
        .find(|f| f.name == name)
        .expect("function")
        .body
}

/// Every expression of a HIR tree, depth first.
fn walk<'e>(e: &'e hir::Expr, out: &mut Vec<&'e hir::Expr>) {
    out.push(e);
    let mut sub = |x: &'e hir::Expr| walk(x, out);
    match &e.kind {
        K::Unary(_, a)
        | K::IntToFloat(a)
        | K::FloatToInt(a)
        | K::Unwrap(a)
        | K::Is(a, _)
        | K::Return(a)
        | K::Halt(a)
        | K::Ok(a)
        | K::Err(a) => sub(a),
        K::Field { base, .. } | K::TupleGet { base, .. } => sub(base),
        K::Binary(_, a, b) | K::And(a, b) | K::Or(a, b) | K::Coalesce(a, b) => {
            sub(a);
            sub(b);
        }
        K::Index { base, index, .. } => {
            sub(base);
            sub(index);
        }
        K::If {
            cond,
            then_branch,
            else_branch,
        } => {
            sub(cond);
            sub(then_branch);
            if let Some(x) = else_branch {
                sub(x);
            }
        }
        K::Block(xs) | K::List(xs) | K::Tuple(xs) | K::Interp(xs) => xs.iter().for_each(sub),
        K::Call { args, .. } | K::CallBuiltin { args, .. } => args.iter().for_each(sub),
        K::CallValue { callee, args } => {
            sub(callee);
            args.iter().for_each(sub);
        }
        K::Let { value, .. } | K::Assign { value, .. } => sub(value),
        K::While { cond, body, .. } => {
            sub(cond);
            sub(body);
        }
        K::Loop { body, .. } | K::For { body, .. } => sub(body),
        K::Record { fields, .. } => fields.iter().for_each(sub),
        K::Variant { payload, .. } => payload.iter().for_each(sub),
        K::Match { scrutinee, arms } => {
            sub(scrutinee);
            for a in arms {
                sub(&a.body);
            }
        }
        _ => {}
    }
}

fn all(e: &hir::Expr) -> Vec<&hir::Expr> {
    let mut v = Vec::new();
    walk(e, &mut v);
    v
}

#[test]
fn reference_example_type_mismatch() {
    let e = errors("cell main()\n  let n: Int = \"three\"\nend\n");
    assert_eq!(e, ["2:16: type mismatch: expected Int, found String"]);
}

#[test]
fn no_implicit_int_to_float() {
    let e = errors(&main_body("  let x: Float = 1"));
    assert_eq!(e, ["2:18: type mismatch: expected Float, found Int"]);
}

#[test]
fn arithmetic_converts_int_to_float_explicitly() {
    let p = ok(&main_body("  let x = 1 + 2.5\n  print(x)"));
    let exprs = all(body(&p, "main"));
    assert!(exprs.iter().any(|e| matches!(e.kind, K::IntToFloat(_))));
    assert!(
        exprs
            .iter()
            .any(|e| matches!(e.kind, K::Binary(hir::BinOp::FloatAdd, ..)))
    );
}

#[test]
fn string_plus_int_is_an_error() {
    let e = errors(&main_body("  print(\"a\" + 1)"));
    assert_eq!(e, ["2:9: operator '+' cannot be applied to String and Int"]);
}

#[test]
fn undefined_names_and_types() {
    let e = errors("cell f(x: Foo) -> Int\n  y\nend\ncell main()\nend\n");
    assert_eq!(e, ["1:11: undefined type 'Foo'", "2:3: undefined name 'y'"]);
}

#[test]
fn errors_are_not_cascaded() {
    let e = errors(&main_body(
        "  let a = nope + 1\n  let b: String = a\n  print(len(a))",
    ));
    assert_eq!(e, ["2:11: undefined name 'nope'"]);
}

#[test]
fn no_main_cell() {
    assert_eq!(errors("cell f()\nend\n"), ["1:1: no main cell"]);
}

#[test]
fn duplicate_definitions() {
    let e = errors("cell f()\nend\nrecord f\n  x: Int\nend\ncell main()\nend\n");
    assert_eq!(e, ["3:8: duplicate definition of 'f'"]);
}

#[test]
fn cannot_infer_empty_literals() {
    let e = errors(&main_body(
        "  let xs = []\n  let m = {}\n  let r = ok(1)\n  let ys: list[Int] = []",
    ));
    assert_eq!(
        e,
        [
            "2:12: cannot infer type; add an annotation",
            "3:11: cannot infer type; add an annotation",
            "4:11: cannot infer type; add an annotation"
        ]
    );
}

#[test]
fn immutable_bindings() {
    let src = "cell f(n: Int)\n  n = 1\nend\ncell main()\n  let x = 1\n  x += 1\n  for i in [1]\n    i = 2\n  end\n  let mut y = 1\n  let g = fn() => 0\n  y = 2\nend\n";
    let e = errors(src);
    assert_eq!(
        e,
        [
            "2:3: cannot assign to immutable binding 'n'",
            "6:3: cannot assign to immutable binding 'x'",
            "8:5: cannot assign to immutable binding 'i'"
        ]
    );
}

#[test]
fn captured_variables_are_immutable() {
    let e = errors(&main_body(
        "  let mut c = 0\n  let f = fn(x: Int) -> Int\n    c = x\n    x\n  end",
    ));
    assert_eq!(e, ["4:5: cannot assign to immutable binding 'c'"]);
}

#[test]
fn compound_assignment_result_must_fit() {
    let e = errors(&main_body("  let mut n = 1\n  n += 0.5"));
    assert_eq!(e, ["3:8: type mismatch: expected Int, found Float"]);
}

#[test]
fn compound_assignment_evaluates_index_once() {
    let p = ok(
        "cell k() -> String\n  \"a\"\nend\ncell main()\n  let mut m = {\"a\": 1}\n  m[k()] += 1\nend\n",
    );
    let b = body(&p, "main");
    // The key call appears once, bound to a temporary.
    let calls = all(b)
        .iter()
        .filter(|e| matches!(e.kind, K::Call { .. }))
        .count();
    assert_eq!(calls, 1);
}

#[test]
fn conditions_must_be_bool() {
    let e = errors(&main_body(
        "  let n = 3\n  if n\n    print(1)\n  end\n  while \"x\"\n  end\n  let s = if n then 1 else 2\n  let w = when\n    n -> 1\n    _ -> 2\n  end",
    ));
    assert_eq!(
        e,
        [
            "3:6: type mismatch: expected Bool, found Int",
            "6:9: type mismatch: expected Bool, found String",
            "8:14: type mismatch: expected Bool, found Int",
            "10:5: type mismatch: expected Bool, found Int"
        ]
    );
}

#[test]
fn missing_and_unknown_arguments() {
    let src = "cell area(w: Float, h: Float = 1.0) -> Float\n  w * h\nend\ncell main()\n  print(area(h: 2.0))\n  print(area(2.0, depth: 3.0))\n  print(area(1.0, 2.0, 3.0))\n  print(area(w: 1.0, w: 2.0))\nend\n";
    let e = errors(src);
    assert_eq!(
        e,
        [
            "5:9: missing argument 'w'",
            "6:19: unknown argument 'depth'",
            "7:24: too many arguments: expected 2",
            "8:22: repeated argument 'w'"
        ]
    );
}

#[test]
fn named_arguments_are_reordered_with_defaults() {
    let p = ok(
        "cell f(a: Int, b: Int = 2, c: Int = 3) -> Int\n  a + b + c\nend\ncell main()\n  print(f(1, c: 5))\nend\n",
    );
    let exprs = all(body(&p, "main"));
    let call = exprs.iter().find_map(|e| match &e.kind {
        K::Call { args, .. } => Some(args),
        _ => None,
    });
    let args = call.expect("call");
    assert!(matches!(args[0].kind, K::Int(1)));
    assert!(matches!(args[1].kind, K::Const(_)));
    assert!(matches!(args[2].kind, K::Int(5)));
}

#[test]
fn reordering_effectful_arguments_uses_temporaries() {
    let p = ok(
        "cell g(n: Int) -> Int\n  n\nend\ncell f(a: Int, b: Int) -> Int\n  a\nend\ncell main()\n  print(f(b: g(1), a: g(2)))\nend\n",
    );
    let exprs = all(body(&p, "main"));
    let lets = exprs
        .iter()
        .filter(|e| matches!(e.kind, K::Let { .. }))
        .count();
    assert_eq!(lets, 2);
}

#[test]
fn records_fields() {
    let src = "record P\n  x: Int\n  y: Int = 0\nend\ncell main()\n  let a = P(y: 1)\n  let b = P(x: 1, z: 2)\n  let c = P(x: 1)\n  print(c.x, c.w)\nend\n";
    let e = errors(src);
    assert_eq!(
        e,
        [
            "6:11: missing field 'x'",
            "7:19: unknown field 'z'",
            "9:16: unknown field 'w'"
        ]
    );
}

#[test]
fn variants_resolution_and_ambiguity() {
    let src = "enum A\n  Red\n  Blue\nend\nenum B\n  Red\n  Green\nend\ncell main()\n  let a: A = Red\n  let g = Green\n  let q = B.Red\n  let r = Red\nend\n";
    assert_eq!(errors(src), ["13:11: ambiguous variant 'Red'"]);
}

#[test]
fn pattern_variant_resolves_by_scrutinee() {
    ok(
        "enum A\n  Red\n  Blue\nend\nenum B\n  Red\n  Green\nend\ncell f(a: A) -> Int\n  match a\n    Red -> 1\n    Blue -> 2\n  end\nend\ncell main()\nend\n",
    );
}

#[test]
fn exhaustiveness_reported_at_match() {
    let src = "enum L\n  R\n  Y\n  G\nend\ncell f(l: L?) -> Int\n  match l\n    R -> 1\n    G | Y -> 2\n  end\nend\ncell g(l: L) -> Int\n  match l\n    R -> 1\n    x if x == Y -> 2\n  end\nend\ncell main()\nend\n";
    assert_eq!(
        errors(src),
        [
            "7:3: non-exhaustive match: missing null",
            "13:3: non-exhaustive match: missing Y, G"
        ]
    );
}

#[test]
fn result_exhaustiveness() {
    let e = errors(
        "cell f(r: result[Int, String]) -> Int\n  match r\n    ok(v) -> v\n  end\nend\ncell main()\nend\n",
    );
    assert_eq!(e, ["2:3: non-exhaustive match: missing err"]);
}

#[test]
fn recursive_cells_need_return_types() {
    let src = "cell a(n: Int)\n  b(n)\nend\ncell b(n: Int) -> Int\n  a(n)\nend\ncell c(n: Int)\n  c(n)\nend\ncell main()\nend\n";
    assert_eq!(
        errors(src),
        [
            "1:6: recursive cell needs a return type",
            "7:6: recursive cell needs a return type"
        ]
    );
}

#[test]
fn missing_return_value() {
    let src = "cell f() -> Int\n  let x = 1\nend\ncell g() -> Int?\n  let x = 1\nend\ncell h() -> Int\n  return\nend\ncell main()\nend\n";
    assert_eq!(
        errors(src),
        ["1:6: missing return value", "8:3: missing return value"]
    );
}

#[test]
fn return_values_must_fit() {
    let src = "cell f(s: String) -> Int\n  if len(s) > 1\n    return \"x\"\n  end\n  if true\n    1\n  else\n    \"y\"\n  end\nend\ncell main()\nend\n";
    assert_eq!(
        errors(src),
        [
            "3:12: type mismatch: expected Int, found String",
            "8:5: type mismatch: expected Int, found String"
        ]
    );
}

#[test]
fn inferred_return_types_join() {
    let p = ok(
        "cell f(n: Int)\n  if n < 0\n    return \"neg\"\n  end\n  n\nend\ncell main()\n  print(f(1))\nend\n",
    );
    let f = p.funcs.iter().find(|f| f.name == "f").expect("f");
    assert_eq!(f.ret, Type::Union(vec![Type::Int, Type::Str]));
}

#[test]
fn labels_and_loops() {
    let src = "cell main()\n  for @a x in [1]\n    for @a y in [2]\n      continue @a\n    end\n    break @b\n  end\n  break\n  while true\n    let f = fn() -> Int\n      break\n    end\n  end\nend\n";
    assert_eq!(
        errors(src),
        [
            "3:9: duplicate label '@a'",
            "6:11: unknown label '@b'",
            "8:3: 'break' outside a loop",
            "11:7: 'break' outside a loop"
        ]
    );
}

#[test]
fn loop_without_break_is_never() {
    ok(
        "cell f(xs: list[Int]) -> Int\n  let mut i = 0\n  loop\n    if xs[i] > 0\n      return i\n    end\n    i += 1\n  end\nend\ncell main()\nend\n",
    );
}

#[test]
fn narrowing_is_null_and_or_not() {
    ok(
        "cell f(v: Int | String, s: String?) -> Int\n  let a = if v is Int then v + 1 else len(v)\n  let b = if s != null then len(s) else 0\n  let c = s == null or len(s) > 2\n  let d = not (v is String) and v > 0\n  when\n    v is Int -> v\n    s != null and v is String -> len(s) + len(v)\n    _ -> a + b\n  end\nend\ncell main()\nend\n",
    );
}

#[test]
fn failed_when_arms_narrow_later_arms() {
    ok(
        "cell f(v: Int | String | Null) -> String\n  when\n    v == null -> \"null\"\n    v is Int -> \"{v + 1}\"\n    _ -> upper(v)\n  end\nend\ncell g(v: Int?) -> Int\n  when\n    v == null -> 0\n    v > 10 -> v\n    _ -> v * 2\n  end\nend\ncell main()\nend\n",
    );
    // The narrowing ends with the `when`.
    let src = "cell f(v: Int?) -> Int\n  let n = when\n    v == null -> 0\n    _ -> v\n  end\n  v + n\nend\ncell main()\nend\n";
    assert_eq!(
        errors(src),
        ["6:3: operator '+' cannot be applied to Int? and Int"]
    );
}

#[test]
fn generic_cell_as_builtin_argument_is_instantiated() {
    ok(
        "cell id[T](x: T) -> T\n  x\nend\ncell add[T](a: T, b: Int) -> T\n  a\nend\ncell main()\n  let xs: list[Int] = map([1, 2], id)\n  let s: list[String] = [\"a\"].sort_by(id)\n  let r: Int = reduce([1], add, 3)\nend\n",
    );
    let src =
        "cell make[T](x: Int) -> list[T]\n  []\nend\ncell main()\n  print(map([1], make))\nend\n";
    assert_eq!(errors(src), ["5:18: cannot infer type; add an annotation"]);
}

#[test]
fn narrowing_does_not_apply_outside_the_branch() {
    let src = "cell double(x: Int) -> Int\n  x * 2\nend\ncell main()\n  let n = to_int(\"2\")\n  if n != null\n    print(double(n))\n  end\n  print(double(n))\nend\n";
    assert_eq!(
        errors(src),
        ["9:16: type mismatch: expected Int, found Int?"]
    );
}

#[test]
fn mutable_bindings_are_not_narrowed() {
    let src = "cell main()\n  let mut n: Int? = 1\n  if n != null\n    print(n + 1)\n  end\nend\n";
    assert_eq!(
        errors(src),
        ["4:11: operator '+' cannot be applied to Int? and Int"]
    );
}

#[test]
fn is_is_never_a_static_error() {
    ok(&main_body(
        "  print(3 is Float, \"a\" is Int, null is Null)",
    ));
}

#[test]
fn generics_unify_and_join() {
    let p = ok(
        "cell pair[T](a: T, b: T) -> list[T]\n  [a, b]\nend\ncell main()\n  let m = pair(1, \"x\")\n  print(m)\nend\n",
    );
    let exprs = all(body(&p, "main"));
    let call = exprs
        .iter()
        .find(|e| matches!(e.kind, K::Call { .. }))
        .expect("call");
    assert_eq!(
        call.ty,
        Type::List(Box::new(Type::Union(vec![Type::Int, Type::Str])))
    );
}

#[test]
fn generic_value_needs_expected_type() {
    let src = "cell id[T](x: T) -> T\n  x\nend\ncell main()\n  let f: fn(Int) -> Int = id\n  let g = id\nend\n";
    assert_eq!(errors(src), ["6:11: cannot infer type; add an annotation"]);
}

#[test]
fn generic_parameters_are_opaque() {
    let src = "cell f[T](x: T?) -> T?\n  let y = x ?? x\n  if x == null then null else x!\nend\ncell g[T](x: T) -> T\n  x + 1\nend\ncell main()\nend\n";
    assert_eq!(
        errors(src),
        ["6:3: operator '+' cannot be applied to T and Int"]
    );
}

#[test]
fn generic_enums_and_methods() {
    ok(
        "enum Opt[T]\n  Some(T)\n  None\n  cell get_or(self, d: T) -> T\n    match self\n      Some(v) -> v\n      None -> d\n    end\n  end\nend\ncell main()\n  let a = Some(5)\n  let b: Opt[String] = None\n  print(a.get_or(0) + 1, upper(b.get_or(\"x\")))\nend\n",
    );
}

#[test]
fn covariance_and_function_types() {
    ok(
        "cell show(xs: list[Int | String]) -> Int\n  len(xs)\nend\ncell apply(f: fn(Int) -> Int?, x: Int) -> Int?\n  f(x)\nend\ncell any_len(v: Int | String) -> Int\n  0\nend\ncell main()\n  print(show([1]), apply(any_len, 2))\nend\n",
    );
    let e = errors(
        "cell apply(f: fn(Int) -> Int, x: Int) -> Int\n  f(x)\nend\ncell main()\n  print(apply(fn(x: Int) => x > 0, 3))\nend\n",
    );
    assert_eq!(
        e,
        ["5:15: type mismatch: expected fn(Int) -> Int, found fn(Int) -> Bool"]
    );
}

#[test]
fn calling_non_functions() {
    let e = errors(&main_body("  let n = 5\n  print(n(3))"));
    assert_eq!(e, ["3:9: cannot call a value of type Int"]);
}

#[test]
fn extern_cells_cannot_be_called() {
    let e =
        errors("extern cell c_sqrt(x: Float) -> Float\ncell main()\n  print(c_sqrt(2.0))\nend\n");
    assert_eq!(
        e,
        ["3:9: extern cell 'c_sqrt' cannot be called on this tier"]
    );
}

#[test]
fn constants_are_evaluated() {
    let p = ok("const A = 6 * 7\nconst S = \"a{A}\"\ncell main()\n  print(A, S)\nend\n");
    assert!(
        p.consts
            .iter()
            .any(|v| *v == lumen_core::value::Value::Int(42))
    );
    assert!(
        p.consts
            .iter()
            .any(|v| *v == lumen_core::value::Value::str("a42"))
    );
}

#[test]
fn constant_runtime_errors_are_compile_errors() {
    let e = errors("const BAD = 1 / 0\nconst C = BAD + 1\ncell main()\nend\n");
    assert_eq!(e, ["1:7: division by zero"]);
    let e = errors(
        "cell f() -> Int\n  1\nend\nconst D = f()\nconst X = Y\nconst Y = X\ncell main()\nend\n",
    );
    assert_eq!(
        e,
        [
            "4:11: not a constant expression",
            "5:7: constant 'X' depends on itself"
        ]
    );
}

#[test]
fn aliases_are_transparent() {
    ok(
        "type Id = Int\ntype Op = fn(Int) -> Int\ncell f(x: Id, g: Op) -> Int\n  g(x)\nend\ncell main()\n  print(f(1, fn(x: Int) => x))\nend\n",
    );
}

#[test]
fn comprehension_expands_to_loop() {
    let p = ok(&main_body("  print([x * 2 for x in 0..4 if x > 1])"));
    let exprs = all(body(&p, "main"));
    assert!(exprs.iter().any(|e| matches!(
        &e.kind,
        K::For {
            source: hir::ForSource::Range { .. },
            filter: Some(_),
            ..
        }
    )));
    assert!(exprs.iter().any(|e| matches!(
        e.kind,
        K::CallBuiltin {
            builtin: lumen_core::builtins::Builtin::Append,
            ..
        }
    )));
}

#[test]
fn lambdas_are_lifted_with_captures() {
    let p = ok(&main_body(
        "  let k = 3\n  let f = fn(x: Int) => x + k\n  print(f(1))",
    ));
    let lambda = p
        .funcs
        .iter()
        .find(|f| f.kind == hir::FuncKind::Lambda)
        .expect("lambda");
    assert_eq!(lambda.captures.len(), 1);
    assert_eq!(lambda.ret, Type::Int);
}

#[test]
fn method_syntax_resolution() {
    let p = ok(
        "record R\n  f: fn(Int) -> Int\nend\ncell twice(r: R, x: Int) -> Int\n  x * 2\nend\ncell main()\n  let r = R(f: fn(x: Int) => x)\n  print(r.f(1), r.twice(2), [1].len())\nend\n",
    );
    let exprs = all(body(&p, "main"));
    assert!(exprs.iter().any(|e| matches!(e.kind, K::CallValue { .. })));
    assert!(exprs.iter().any(|e| matches!(e.kind, K::Call { .. })));
    assert!(exprs.iter().any(|e| matches!(
        e.kind,
        K::CallBuiltin {
            builtin: lumen_core::builtins::Builtin::LenList,
            ..
        }
    )));
}

#[test]
fn builtin_overloads() {
    let p = ok(&main_body(
        "  print(len(\"a\"), len([1]), len({1: 2}), min(1, 2.0), abs(-1), sqrt(4))",
    ));
    let builtins: Vec<_> = all(body(&p, "main"))
        .iter()
        .filter_map(|e| match e.kind {
            K::CallBuiltin { builtin, .. } => Some(builtin),
            _ => None,
        })
        .collect();
    use lumen_core::builtins::Builtin as B;
    for b in [
        B::LenStr,
        B::LenList,
        B::LenMap,
        B::MinFloat,
        B::AbsInt,
        B::Sqrt,
    ] {
        assert!(builtins.contains(&b), "{b:?} missing");
    }
}

#[test]
fn builtin_argument_errors() {
    let e = errors(&main_body(
        "  print(len(5))\n  print(upper(1))\n  print(sum([\"a\"]))",
    ));
    assert_eq!(
        e,
        [
            "2:13: type mismatch: expected String, list or map, found Int",
            "3:15: type mismatch: expected String, found Int",
            "4:13: type mismatch: expected list[Int] or list[Float], found list[String]"
        ]
    );
}

#[test]
fn optional_chaining_and_coalesce() {
    ok(
        "record A\n  c: String\nend\ncell main()\n  let a: A? = null\n  let s: String? = a?.c\n  let t: String = a?.c ?? \"none\"\n  print(s, t, a?.c?.upper())\nend\n",
    );
}

#[test]
fn when_expands_to_ifs_ending_in_no_match() {
    let p = ok(&main_body(
        "  let n = 1\n  let s = when\n    n > 0 -> \"pos\"\n    n < 0 -> \"neg\"\n  end\n  print(s)",
    ));
    assert!(
        all(body(&p, "main"))
            .iter()
            .any(|e| matches!(e.kind, K::NoMatch))
    );
}

#[test]
fn patterns_bind_and_check() {
    ok(
        "record P\n  x: Int\n  y: Int\nend\ncell f(v: list[Int | String], p: P) -> Int\n  let P(x: a, y: _) = p\n  match v\n    [] -> 0\n    [n: Int, ...rest] -> n + len(rest) + a\n    [s: String] | [_, s: String] -> len(s)\n    _ -> -1\n  end\nend\ncell main()\nend\n",
    );
    let e = errors("cell f(xs: list[Int]) -> Int\n  let [a] = xs\n  a\nend\ncell main()\nend\n");
    assert_eq!(e, ["2:7: pattern must be irrefutable here"]);
}

#[test]
fn type_display_in_messages() {
    let e = errors(&main_body(
        "  let x: map[String, list[Int?]] = 1\n  let y: (fn(Int) -> Int)? = 2\n  let z: tuple[Int, String] | Bool = 3",
    ));
    assert_eq!(
        e,
        [
            "2:36: type mismatch: expected map[String, list[Int?]], found Int",
            "3:30: type mismatch: expected (fn(Int) -> Int)?, found Int",
            "4:38: type mismatch: expected tuple[Int, String] | Bool, found Int"
        ]
    );
}

#[test]
fn main_may_not_take_parameters() {
    let e = errors("cell main(x: Int)\nend\n");
    assert_eq!(
        e,
        ["1:6: cell 'main' cannot take parameters or type parameters"]
    );
}

#[test]
fn map_keys_are_int_or_string() {
    let e = errors(&main_body("  let a = {1.5: 1}\n  let b = {1: 1, \"x\": 2}"));
    assert_eq!(
        e,
        [
            "2:12: map keys must be Int or String, found Float",
            "3:11: map keys must be Int or String, found Int | String"
        ]
    );
}

#[test]
fn defaults_are_constants() {
    ok(
        "record P\n  x: Int\n  y: Int = 2\nend\ncell f(p: P = P(x: 1), n: Int = LIMIT) -> Int\n  p.x + p.y + n\nend\nconst LIMIT = 10\ncell main()\n  print(f())\nend\n",
    );
    let e = errors(
        "cell g() -> Int\n  1\nend\ncell f(n: Int = g()) -> Int\n  n\nend\ncell main()\nend\n",
    );
    assert_eq!(e, ["4:17: not a constant expression"]);
}

#[test]
fn generic_cell_as_argument_of_generic_call() {
    let src = "cell identity[T](x: T) -> T\n  x\nend\ncell twice[T](f: fn(T) -> T, x: T) -> T\n  f(f(x))\nend\ncell map_all[A, B](xs: list[A], f: fn(A) -> B) -> list[B]\n  [f(x) for x in xs]\nend\ncell main()\n  print(twice(identity, 3) + 1, map_all([\"a\"], identity)[0].upper())\nend\n";
    ok(src);
}

#[test]
fn pattern_binding_rules() {
    let src = "cell f(t: tuple[Int, Int], v: Int | String) -> Int\n  let (a, a) = t\n  match v\n    n: Int | n: String -> 1\n  end\nend\ncell main()\nend\n";
    assert_eq!(
        errors(src),
        [
            "2:7: 'a' is bound more than once in the pattern",
            "4:14: 'n' has type String here but Int in the first alternative"
        ]
    );
}

#[test]
fn duplicate_parameters() {
    let src = "cell f[T, T](a: Int, a: Int) -> Int\n  0\nend\ncell main()\n  let g = fn(x: Int, x: Int) => x\nend\n";
    assert_eq!(
        errors(src),
        [
            "1:11: duplicate definition of 'T'",
            "1:22: duplicate definition of 'a'",
            "5:22: duplicate definition of 'x'"
        ]
    );
}

#[test]
fn type_parameters_narrow_by_concrete_tests() {
    ok(
        "cell f[T](x: T) -> Int\n  if x is Int then x + 1 else 0\nend\ncell g[T](x: T) -> Int\n  match x\n    n: Int -> n\n    _ -> 0\n  end\nend\ncell main()\nend\n",
    );
    let e = errors(
        "enum O\n  S(Int)\n  N\nend\ncell f[T](x: T) -> Int\n  match x\n    S(v) -> v\n    _ -> 0\n  end\nend\ncell main()\nend\n",
    );
    assert_eq!(e, ["7:5: type mismatch: expected T, found O"]);
}

#[test]
fn rendered_diagnostics_are_in_source_order() {
    let src = "cell main()\n  let a: Int = true\n  let b = undefined_name\n  print(a, b)\nend\n";
    let ast = crate::parse(src).expect("parses");
    let diags = super::check(&ast).expect_err("fails");
    let out = crate::CompileError::new(diags).render("m.lm", src);
    assert_eq!(
        out,
        [
            "m.lm:2:16: error: type mismatch: expected Int, found Bool",
            "      let a: Int = true",
            "                   ^",
            "m.lm:3:11: error: undefined name 'undefined_name'",
            "      let b = undefined_name",
            "              ^",
            "",
        ]
        .join("\n")
    );
}

/// Every diagnostic of `crate::compile` (syntax and type errors together).
fn compile_errors(src: &str) -> Vec<String> {
    match crate::compile(src) {
        Ok(_) => panic!("expected errors in:\n{src}"),
        Err(e) => e
            .diagnostics
            .iter()
            .map(|d| format!("{}:{}: {}", d.span.line, d.span.col, d.message))
            .collect(),
    }
}

#[test]
fn syntax_errors_do_not_hide_type_errors_elsewhere() {
    let src = "cell f() -> Int\n  let x = 1 +\nend\ncell g()\n  let s: Int = \"a\"\nend\ncell main()\n  let n: String = f()\n  g()\nend\n";
    assert_eq!(
        compile_errors(src),
        [
            "3:1: unexpected 'end', expected expression",
            "5:16: type mismatch: expected Int, found String",
            "8:19: type mismatch: expected String, found Int"
        ]
    );
}

#[test]
fn broken_cells_keep_their_signature_and_hide_their_body() {
    // Errors inside the broken body are not reported; calls are checked against the
    // declared signature; an unannotated broken cell returns an unknown type.
    let src = "cell f(x: Int) -> Int\n  let y: String = 1\n  print(x +)\nend\ncell g(x: Int)\n  (x\nend\ncell main()\n  f(\"s\")\n  let z: Int = g(1)\n  print(len(g(2)))\nend\n";
    assert_eq!(
        compile_errors(src),
        [
            "3:12: unexpected ')', expected expression",
            "6:5: unexpected newline, expected ')'",
            "9:5: type mismatch: expected Int, found String"
        ]
    );
}

#[test]
fn names_of_broken_declarations_are_never_undefined() {
    let src = "record P\n  x Int\nend\nenum Shape\n  A(Int\n  B\nend\nconst K = (1\ntype T = 1\ncell h(x Int)\nend\ncell main()\n  let p: P = P(x: 1)\n  let t: T = []\n  let e = A(1)\n  print(p.x, K, B, Shape.B, h(1), t, e, q)\n  match e\n    A(n) -> print(n)\n    _ -> print(0)\n  end\nend\n";
    let errs = compile_errors(src);
    // Only the syntax errors, and the genuinely undefined `q`.
    assert_eq!(errs.len(), 6, "{errs:?}");
    assert_eq!(errs[5], "16:41: undefined name 'q'");
    assert!(
        errs[..5].iter().all(|e| e.contains("unexpected")),
        "{errs:?}"
    );
}

#[test]
fn missing_main_is_not_reported_when_a_declaration_was_lost() {
    assert_eq!(
        compile_errors("cel main()\nend\n"),
        ["1:1: unexpected 'cel', expected declaration"]
    );
    assert_eq!(
        compile_errors("cell main(\nend\n"),
        ["2:1: unexpected 'end', expected parameter name"]
    );
    // Without syntax errors hiding a declaration, it is reported as before.
    assert_eq!(
        compile_errors("cell f()\n  1 +\nend\n"),
        [
            "1:1: no main cell",
            "3:1: unexpected 'end', expected expression"
        ]
    );
}

#[test]
fn partial_programs_are_never_accepted_by_check() {
    let (p, diags) = crate::parse_partial("cell main()\n  print(1 +)\nend\n");
    assert_eq!(diags.len(), 1);
    assert!(super::check_partial(&p).is_empty());
    assert!(super::check(&p).is_err());
}
