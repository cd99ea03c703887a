//! Parser tests: the tree is printed as compact S-expressions so that expectations stay
//! readable; errors are checked as `line:col: message`.

use super::{parse, parse_partial};
use crate::ast::*;

fn ty(t: &TypeExpr) -> String {
    match &t.kind {
        TypeExprKind::Named { name, args } if args.is_empty() => name.name.clone(),
        TypeExprKind::Named { name, args } => {
            let a: Vec<String> = args.iter().map(ty).collect();
            format!("{}[{}]", name.name, a.join(", "))
        }
        TypeExprKind::Fn { params, ret } => {
            let a: Vec<String> = params.iter().map(ty).collect();
            format!("fn({}) -> {}", a.join(", "), ty(ret))
        }
        TypeExprKind::Union(alts) => {
            let a: Vec<String> = alts.iter().map(ty).collect();
            format!("({})", a.join(" | "))
        }
        TypeExprKind::Optional(inner) => format!("{}?", ty(inner)),
    }
}

fn tname(t: &TypeName) -> String {
    let p: Vec<&str> = t.path.iter().map(|i| i.name.as_str()).collect();
    p.join(".")
}

fn pat(p: &Pattern) -> String {
    match &p.kind {
        PatternKind::Wildcard => "_".into(),
        PatternKind::Ident(n) => n.clone(),
        PatternKind::Literal(l) => match l {
            PatLit::Int(v) => v.to_string(),
            PatLit::Float(v) => format!("{v:?}"),
            PatLit::Str(s) => format!("{s:?}"),
            PatLit::Bool(b) => b.to_string(),
            PatLit::Null => "null".into(),
        },
        PatternKind::Typed { name, ty } => format!(
            "({}: {})",
            name.as_ref().map_or("_", |n| n.name.as_str()),
            tname(ty)
        ),
        PatternKind::Range { lo, hi, inclusive } => {
            format!("{lo}{}{hi}", if *inclusive { "..=" } else { ".." })
        }
        PatternKind::Ctor { path, args } => {
            let a: Vec<String> = args.iter().map(pat).collect();
            format!("({} {})", tname(path), a.join(" "))
        }
        PatternKind::Record { path, fields } => {
            let a: Vec<String> = fields
                .iter()
                .map(|(n, p)| format!("{}:{}", n.name, pat(p)))
                .collect();
            format!("(rec {} {})", tname(path), a.join(" "))
        }
        PatternKind::Path(path) => tname(path),
        PatternKind::Tuple(items) => {
            let a: Vec<String> = items.iter().map(pat).collect();
            format!("(tuple {})", a.join(" "))
        }
        PatternKind::List { items, rest } => {
            let mut a: Vec<String> = items.iter().map(pat).collect();
            match rest {
                None => {}
                Some(None) => a.push("...".into()),
                Some(Some(r)) => a.push(format!("...{}", r.name)),
            }
            format!("[{}]", a.join(" "))
        }
        PatternKind::Or(alts) => {
            let a: Vec<String> = alts.iter().map(pat).collect();
            format!("(| {})", a.join(" "))
        }
    }
}

fn args(a: &[Arg]) -> String {
    a.iter()
        .map(|a| match &a.name {
            Some(n) => format!(" {}:{}", n.name, expr(&a.value)),
            None => format!(" {}", expr(&a.value)),
        })
        .collect()
}

fn params(ps: &[Param]) -> String {
    let p: Vec<String> = ps
        .iter()
        .map(|p| match &p.default {
            Some(d) => format!("{}: {} = {}", p.name.name, ty(&p.ty), expr(d)),
            None => format!("{}: {}", p.name.name, ty(&p.ty)),
        })
        .collect();
    p.join(", ")
}

fn block(b: &Block) -> String {
    let s: Vec<String> = b.stmts.iter().map(stmt).collect();
    format!("{{{}}}", s.join("; "))
}

fn arm_body(b: &ArmBody) -> String {
    match b {
        ArmBody::Stmt(s) => stmt(s),
        ArmBody::Block(b) => block(b),
    }
}

fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(v) => format!("{v:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Interp(parts) => {
            let p: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    StrPart::Text(t) => format!("{t:?}"),
                    StrPart::Expr(e) => expr(e),
                })
                .collect();
            format!("(interp {})", p.join(" "))
        }
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Null => "null".into(),
        ExprKind::Ident(n) => n.clone(),
        ExprKind::SelfValue => "self".into(),
        ExprKind::Unary(op, x) => {
            let o = match op {
                UnOp::Neg => "-",
                UnOp::Not => "not",
                UnOp::BitNot => "~",
            };
            format!("({o} {})", expr(x))
        }
        ExprKind::Binary(op, a, b) => format!("({} {} {})", op.text(), expr(a), expr(b)),
        ExprKind::Is(x, t) => format!("(is {} {})", expr(x), tname(t)),
        ExprKind::As(x, t) => format!("(as {} {})", expr(x), tname(t)),
        ExprKind::Range { lo, hi, inclusive } => format!(
            "({} {} {})",
            if *inclusive { "..=" } else { ".." },
            expr(lo),
            expr(hi)
        ),
        ExprKind::Pipe(a, f) => format!("(|> {} {})", expr(a), expr(f)),
        ExprKind::Call { callee, args: a } => format!("(call {}{})", expr(callee), args(a)),
        ExprKind::Field { base, field } => format!("(. {} {})", expr(base), field.name),
        ExprKind::OptField { base, field } => format!("(?. {} {})", expr(base), field.name),
        ExprKind::OptCall {
            base,
            method,
            args: a,
        } => format!("(?.call {} {}{})", expr(base), method.name, args(a)),
        ExprKind::Index { base, index } => format!("([] {} {})", expr(base), expr(index)),
        ExprKind::Unwrap(x) => format!("(! {})", expr(x)),
        ExprKind::Ok(x) => format!("(ok {})", expr(x)),
        ExprKind::Err(x) => format!("(err {})", expr(x)),
        ExprKind::List(items) => {
            let a: Vec<String> = items.iter().map(expr).collect();
            format!("[{}]", a.join(" "))
        }
        ExprKind::Map(entries) => {
            let a: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}:{}", expr(k), expr(v)))
                .collect();
            format!("{{{}}}", a.join(" "))
        }
        ExprKind::Tuple(items) => {
            let a: Vec<String> = items.iter().map(expr).collect();
            format!("(tuple {})", a.join(" "))
        }
        ExprKind::Comprehension {
            elem,
            pattern,
            iter,
            filter,
        } => format!(
            "(for {} {} {}{})",
            expr(elem),
            pat(pattern),
            expr(iter),
            filter
                .as_ref()
                .map_or(String::new(), |f| format!(" if {}", expr(f)))
        ),
        ExprKind::If {
            cond,
            then_branch,
            else_branch,
        } => format!(
            "(if {} {} {})",
            expr(cond),
            expr(then_branch),
            expr(else_branch)
        ),
        ExprKind::Match { scrutinee, arms } => {
            let a: Vec<String> = arms
                .iter()
                .map(|a| {
                    let g = a
                        .guard
                        .as_ref()
                        .map_or(String::new(), |g| format!(" if {}", expr(g)));
                    format!(" [{}{g} -> {}]", pat(&a.pattern), arm_body(&a.body))
                })
                .collect();
            format!("(match {}{})", expr(scrutinee), a.concat())
        }
        ExprKind::When { arms } => {
            let a: Vec<String> = arms
                .iter()
                .map(|a| {
                    let c = a.cond.as_ref().map_or("_".to_string(), expr);
                    format!(" [{c} -> {}]", arm_body(&a.body))
                })
                .collect();
            format!("(when{})", a.concat())
        }
        ExprKind::Lambda {
            params: ps,
            ret,
            body,
        } => {
            let r = ret
                .as_ref()
                .map_or(String::new(), |r| format!(" -> {}", ty(r)));
            let b = match body {
                LambdaBody::Expr(e) => format!("=> {}", expr(e)),
                LambdaBody::Block(b) => block(b),
            };
            format!("(fn ({}){r} {b})", params(ps))
        }
    }
}

fn stmt(s: &Stmt) -> String {
    let label = |l: &Option<Ident>| {
        l.as_ref()
            .map_or(String::new(), |l| format!(" @{}", l.name))
    };
    match &s.kind {
        StmtKind::Let {
            mutable,
            pattern,
            ty: t,
            value,
        } => format!(
            "(let{} {}{} {})",
            if *mutable { " mut" } else { "" },
            pat(pattern),
            t.as_ref().map_or(String::new(), |t| format!(": {}", ty(t))),
            expr(value)
        ),
        StmtKind::Assign { place, op, value } => format!(
            "({}= {} {})",
            op.map_or("", |o| o.text()),
            expr(place),
            expr(value)
        ),
        StmtKind::If {
            cond,
            then_branch,
            else_branch,
        } => format!(
            "(if {} {}{})",
            expr(cond),
            block(then_branch),
            else_branch
                .as_ref()
                .map_or(String::new(), |b| format!(" else {}", block(b)))
        ),
        StmtKind::While {
            label: l,
            cond,
            body,
        } => {
            format!("(while{} {} {})", label(l), expr(cond), block(body))
        }
        StmtKind::Loop { label: l, body } => format!("(loop{} {})", label(l), block(body)),
        StmtKind::For {
            label: l,
            pattern,
            iter,
            filter,
            body,
        } => format!(
            "(for{} {} {}{} {})",
            label(l),
            pat(pattern),
            expr(iter),
            filter
                .as_ref()
                .map_or(String::new(), |f| format!(" if {}", expr(f))),
            block(body)
        ),
        StmtKind::Break(l) => format!("(break{})", label(l)),
        StmtKind::Continue(l) => format!("(continue{})", label(l)),
        StmtKind::Return(None) => "(return)".into(),
        StmtKind::Return(Some(e)) => format!("(return {})", expr(e)),
        StmtKind::Halt(e) => format!("(halt {})", expr(e)),
        StmtKind::Expr(e) => expr(e),
    }
}

/// Parses `body` as the body of `cell main()` and prints its statements.
fn body(src: &str) -> String {
    let prog = format!("cell main()\n{src}\nend\n");
    let p = parse(&prog).unwrap_or_else(|d| panic!("errors for {src:?}: {d:?}"));
    match &p.decls[0] {
        Decl::Cell(c) => {
            let s: Vec<String> = c.body.stmts.iter().map(stmt).collect();
            s.join("; ")
        }
        other => panic!("not a cell: {other:?}"),
    }
}

/// One expression, printed.
fn ex(src: &str) -> String {
    body(src)
}

/// Every error of a whole program, as `line:col: message`.
fn errs(src: &str) -> Vec<String> {
    match parse(src) {
        Ok(_) => Vec::new(),
        Err(d) => d
            .into_iter()
            .map(|d| format!("{}:{}: {}", d.span.line, d.span.col, d.message))
            .collect(),
    }
}

/// Errors of `src` placed in a cell body (so line 2 is the first line of `src`).
fn body_errs(src: &str) -> Vec<String> {
    errs(&format!("cell main()\n{src}\nend\n"))
}

#[test]
fn precedence_table() {
    assert_eq!(ex("-2 ** 2"), "(** (- 2) 2)");
    assert_eq!(ex("2 ** 3 ** 2"), "(** 2 (** 3 2))");
    assert_eq!(ex("2 ** -1"), "(** 2 (- 1))");
    assert_eq!(ex("1 + 2 * 3 - 4"), "(- (+ 1 (* 2 3)) 4)");
    assert_eq!(ex("a / b // c % d"), "(% (// (/ a b) c) d)");
    assert_eq!(ex("1 << 2 + 3"), "(<< 1 (+ 2 3))");
    assert_eq!(ex("0..n + 1"), "(.. 0 (+ n 1))");
    assert_eq!(ex("1..=n << 1"), "(..= 1 (<< n 1))");
    assert_eq!(ex("a ++ 0..3"), "(++ a (.. 0 3))");
    assert_eq!(ex("a |> f ++ b"), "(|> a (++ f b))");
    assert_eq!(ex("a & m == 0"), "(== (& a m) 0)");
    assert_eq!(ex("a ^ b & c"), "(^ a (& b c))");
    assert_eq!(ex("a | b ^ c"), "(| a (^ b c))");
    assert_eq!(ex("a | b | c"), "(| (| a b) c)");
    assert_eq!(ex("a == b and c < d or e"), "(or (and (== a b) (< c d)) e)");
    assert_eq!(ex("a ?? b or c"), "(?? a (or b c))");
    assert_eq!(ex("a ?? b ?? c"), "(?? (?? a b) c)");
    assert_eq!(ex("not x in xs"), "(in (not x) xs)");
    assert_eq!(ex("not (x in xs)"), "(not (in x xs))");
    assert_eq!(ex("- -x"), "(- (- x))");
    assert_eq!(ex("~a.b!"), "(~ (! (. a b)))");
    assert_eq!(
        ex("x is Int and (y as Float) > 1.0"),
        "(and (is x Int) (> (as y Float) 1.0))"
    );
    assert_eq!(ex("s is Shape.Circle"), "(is s Shape.Circle)");
    assert_eq!(
        ex("xs |> filter(f) |> len"),
        "(|> (|> xs (call filter f)) len)"
    );
}

#[test]
fn comparisons_do_not_chain() {
    assert_eq!(
        body_errs("  a < b < c"),
        ["2:9: unexpected '<', comparisons do not chain"]
    );
    assert_eq!(
        body_errs("  a == b == c"),
        ["2:10: unexpected '==', comparisons do not chain"]
    );
    assert_eq!(
        body_errs("  x is Int is Bool"),
        ["2:12: unexpected 'is', comparisons do not chain"]
    );
    assert_eq!(
        body_errs("  y as Float > 1.0"),
        ["2:14: unexpected '>', comparisons do not chain"]
    );
    assert_eq!(
        body_errs("  a..b..c"),
        ["2:7: unexpected '..', ranges do not chain"]
    );
    // Separate chains joined by `and` are fine.
    assert_eq!(ex("a < b and b < c"), "(and (< a b) (< b c))");
}

#[test]
fn min_int_literal() {
    assert_eq!(ex("-9223372036854775808"), "-9223372036854775808");
    assert_eq!(ex("- 9223372036854775808"), "-9223372036854775808");
    assert_eq!(ex("-9223372036854775807"), "(- 9223372036854775807)");
    assert_eq!(
        body_errs("  let x = 9223372036854775808"),
        ["2:11: integer literal out of range"]
    );
    assert_eq!(
        body_errs("  let x = -(9223372036854775808)"),
        ["2:13: integer literal out of range"]
    );
}

#[test]
fn literals() {
    assert_eq!(ex("0x1F + 0b11 + 1_000"), "(+ (+ 31 3) 1000)");
    assert_eq!(ex("2.5e-3"), "0.0025");
    assert_eq!(ex("true != false"), "(!= true false)");
    assert_eq!(ex("null"), "null");
    assert_eq!(ex(r#"r"a\{b}""#), r#""a\\{b}""#);
    assert_eq!(
        ex(r#""hi {name}, {len(name)}\{x}""#),
        r#"(interp "hi " name ", " (call len name) "{x}")"#
    );
    assert_eq!(
        ex(r#""{len("{n}{n}")}""#),
        r#"(interp (call len (interp n n)))"#
    );
    assert_eq!(ex("[1, 2, 3,]"), "[1 2 3]");
    assert_eq!(ex("[]"), "[]");
    assert_eq!(ex("{}"), "{}");
    assert_eq!(ex(r#"{"a": 1, "b": 2,}"#), r#"{"a":1 "b":2}"#);
    assert_eq!(ex("(1, \"a\")"), r#"(tuple 1 "a")"#);
    assert_eq!(ex("(1, 2, 3,)"), "(tuple 1 2 3)");
    assert_eq!(ex("(a)"), "a");
    assert_eq!(ex("ok(1)"), "(ok 1)");
    assert_eq!(ex("err(\"x\")"), r#"(err "x")"#);
    assert_eq!(ex("self"), "self");
}

#[test]
fn postfix_forms() {
    assert_eq!(ex("t.0.1"), "(. (. t 0) 1)");
    assert_eq!(ex("a?.b?.c"), "(?. (?. a b) c)");
    assert_eq!(ex("a?.m(1, 2)"), "(?.call a m 1 2)");
    assert_eq!(ex("m[k]!"), "(! ([] m k))");
    assert_eq!(ex("f(1, b: 2.0)"), "(call f 1 b:2.0)");
    assert_eq!(ex("f(b: 2.0, a: 1,)"), "(call f b:2.0 a:1)");
    assert_eq!(
        ex("xs.map(g).filter(h)"),
        "(call (. (call (. xs map) g) filter) h)"
    );
    assert_eq!(
        ex("Shape.Circle(1.0).area()"),
        "(call (. (call (. Shape Circle) 1.0) area))"
    );
    assert_eq!(ex("f()()"), "(call (call f))");
}

#[test]
fn comprehensions() {
    assert_eq!(ex("[x * x for x in xs]"), "(for (* x x) x xs)");
    assert_eq!(
        ex("[a for (a, b) in pairs if a > b]"),
        "(for a (tuple a b) pairs if (> a b))"
    );
    assert_eq!(ex("[x for x in 1..=4]"), "(for x x (..= 1 4))");
}

#[test]
fn conditional_expressions() {
    assert_eq!(ex("let x = if c then 1 else 2"), "(let x (if c 1 2))");
    assert_eq!(
        ex("let x = if a then 1 else if b then 2 else 3"),
        "(let x (if a 1 (if b 2 3)))"
    );
    assert_eq!(ex("if c then a else b + 1"), "(if c a (+ b 1))");
    assert_eq!(
        ex("let l = match n\n  0 -> \"zero\"\n  x if x < 0 -> \"neg\"\n  _ -> \"pos\"\nend"),
        r#"(let l (match n [0 -> "zero"] [x if (< x 0) -> "neg"] [_ -> "pos"]))"#
    );
    assert_eq!(
        ex("match x\n  1 ->\n    print(1)\n    2\n  end\n  _ -> return\nend"),
        "(match x [1 -> {(call print 1); 2}] [_ -> (return)])"
    );
    assert_eq!(
        ex("let g = when\n  s >= 90 -> \"A\"\n  _ -> \"C\"\nend"),
        r#"(let g (when [(>= s 90) -> "A"] [_ -> "C"]))"#
    );
    assert_eq!(
        ex("when\n  a -> x = 1\n  b ->\n    y += 2\n  end\nend"),
        "(when [a -> (= x 1)] [b -> {(+= y 2)}])"
    );
    assert_eq!(ex("match x\nend"), "(match x)");
}

#[test]
fn lambdas() {
    assert_eq!(ex("fn(x: Int) => x + k"), "(fn (x: Int) => (+ x k))");
    assert_eq!(
        ex("fn(x: Int, y: Int) -> Int => x + y"),
        "(fn (x: Int, y: Int) -> Int => (+ x y))"
    );
    assert_eq!(
        ex("map(xs, fn(x: Int) -> Int\n  let y = x * x\n  y\nend)"),
        "(call map xs (fn (x: Int) -> Int {(let y (* x x)); y}))"
    );
    assert_eq!(ex("fn() => 1"), "(fn () => 1)");
    assert_eq!(
        ex("fn(f: fn(Int) -> Int) -> fn(Int) -> Int | Null => f"),
        "(fn (f: fn(Int) -> Int) -> fn(Int) -> (Int | Null) => f)"
    );
}

#[test]
fn statements() {
    assert_eq!(ex("let mut x: Int = 1"), "(let mut x: Int 1)");
    assert_eq!(ex("let (q, r) = (1, 2)"), "(let (tuple q r) (tuple 1 2))");
    assert_eq!(
        ex("let Point(x: px, y: _) = origin"),
        "(let (rec Point x:px y:_) origin)"
    );
    assert_eq!(ex("x = 1"), "(= x 1)");
    assert_eq!(ex("grid[r][c] = 0"), "(= ([] ([] grid r) c) 0)");
    assert_eq!(ex("people[i].age += 1"), "(+= (. ([] people i) age) 1)");
    for op in ["-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>"] {
        assert_eq!(ex(&format!("x {op}= 2")), format!("({op}= x 2)"));
    }
    assert_eq!(
        ex("while x < 3\n  x += 1\nend"),
        "(while (< x 3) {(+= x 1)})"
    );
    assert_eq!(
        ex("while @w true\n  break @w\nend"),
        "(while @w true {(break @w)})"
    );
    assert_eq!(ex("loop\n  break\nend"), "(loop {(break)})");
    assert_eq!(
        ex("loop @l\n  continue @l\nend"),
        "(loop @l {(continue @l)})"
    );
    assert_eq!(
        ex("for @rows r in 0..3\n  for c in 0..3 if c != r\n    continue @rows\n  end\nend"),
        "(for @rows r (.. 0 3) {(for c (.. 0 3) if (!= c r) {(continue @rows)})})"
    );
    assert_eq!(
        ex("for (name, score) in scores\n  print(name)\nend"),
        "(for (tuple name score) scores {(call print name)})"
    );
    assert_eq!(ex("return"), "(return)");
    assert_eq!(ex("return x + 1"), "(return (+ x 1))");
    assert_eq!(ex("halt \"bad {x}\""), r#"(halt (interp "bad " x))"#);
    assert_eq!(
        ex("print(1)\n\n# c\nprint(2)"),
        "(call print 1); (call print 2)"
    );
}

#[test]
fn block_if_and_else_if_chains() {
    assert_eq!(ex("if a\n  x\nend"), "(if a {x})");
    assert_eq!(ex("if a\n  x\nelse\n  y\nend"), "(if a {x} else {y})");
    assert_eq!(
        ex("if a\n  x\nelse if b\n  y\nelse if c\n  z\nelse\n  w\nend"),
        "(if a {x} else {(if b {y} else {(if c {z} else {w})})})"
    );
    assert_eq!(ex("if a\nelse\nend"), "(if a {} else {})");
}

#[test]
fn line_continuation() {
    assert_eq!(ex("let t = 1 +\n  2 *\n    3"), "(let t (+ 1 (* 2 3)))");
    assert_eq!(ex("let xs = [\n  1, 2,\n  3\n]"), "(let xs [1 2 3])");
    assert_eq!(ex("f(\n  1,\n  2\n)"), "(call f 1 2)");
    // Only `)`, `]` and `}` continue a line from the start of the next one.
    assert_eq!(
        body_errs("  let p = xs\n  .len()"),
        ["3:3: unexpected '.', expected expression"]
    );
    assert_eq!(ex("let b = a and\n  not c"), "(let b (and a (not c)))");
    assert_eq!(ex("for x in\n  xs\n  f(x)\nend"), "(for x xs {(call f x)})");
}

#[test]
fn patterns() {
    let m = |p: &str| {
        let s = ex(&format!("match v\n  {p} -> 0\nend"));
        s.trim_start_matches("(match v [")
            .trim_end_matches(" -> 0])")
            .to_string()
    };
    assert_eq!(m("42"), "42");
    assert_eq!(m("-1"), "-1");
    assert_eq!(m("-9223372036854775808"), "-9223372036854775808");
    assert_eq!(m("2.5"), "2.5");
    assert_eq!(m("-2.5"), "-2.5");
    assert_eq!(m("\"hi\""), "\"hi\"");
    assert_eq!(m("r\"a\\b\""), "\"a\\\\b\"");
    assert_eq!(m("true"), "true");
    assert_eq!(m("null"), "null");
    assert_eq!(m("_"), "_");
    assert_eq!(m("x"), "x");
    assert_eq!(m("Circle(r)"), "(Circle r)");
    assert_eq!(m("Empty"), "Empty");
    assert_eq!(m("Shape.Rect(w, h)"), "(Shape.Rect w h)");
    assert_eq!(m("Shape.Empty"), "Shape.Empty");
    assert_eq!(m("ok(v)"), "(ok v)");
    assert_eq!(m("err(_)"), "(err _)");
    assert_eq!(m("(a, (b, c))"), "(tuple a (tuple b c))");
    assert_eq!(m("(a)"), "a");
    assert_eq!(m("(a, b,)"), "(tuple a b)");
    assert_eq!(m("[]"), "[]");
    assert_eq!(m("[p, q]"), "[p q]");
    assert_eq!(m("[head, ...tail]"), "[head ...tail]");
    assert_eq!(m("[...]"), "[...]");
    assert_eq!(m("[a, ...]"), "[a ...]");
    assert_eq!(m("Point(x: p, y: _)"), "(rec Point x:p y:_)");
    assert_eq!(m("n: Int"), "(n: Int)");
    assert_eq!(m("_: Shape"), "(_: Shape)");
    assert_eq!(m("c: Shape.Circle"), "(c: Shape.Circle)");
    assert_eq!(m("1..=9"), "1..=9");
    assert_eq!(m("0..10"), "0..10");
    assert_eq!(m("-5..-1"), "-5..-1");
    assert_eq!(m("1 | 2 | 3"), "(| 1 2 3)");
    assert_eq!(
        m("Move(dx, 0) | Move(0, dx)"),
        "(| (Move dx 0) (Move 0 dx))"
    );
    assert_eq!(m("Some(1 | 2)"), "(Some (| 1 2))");
    // Named payloads mixed with positional ones are typed payload patterns.
    assert_eq!(m("Rect(w: Float, h)"), "(Rect (w: Float) h)");
    assert_eq!(m("Circle(_: Float)"), "(Circle (_: Float))");
    assert_eq!(
        ex("match v\n  x if x > 0 -> 1\nend"),
        "(match v [x if (> x 0) -> 1])"
    );
}

fn decl_names(src: &str) -> Vec<String> {
    let p = parse(src).unwrap_or_else(|d| panic!("{d:?}"));
    p.decls
        .iter()
        .map(|d| match d {
            Decl::Cell(c) => format!(
                "cell {}[{}]({}{}){}",
                c.name.name,
                c.type_params
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                if c.has_self { "self; " } else { "" },
                params(&c.params),
                c.ret
                    .as_ref()
                    .map_or(String::new(), |r| format!(" -> {}", ty(r)))
            ),
            Decl::Extern(e) => format!(
                "extern {}({}){}",
                e.name.name,
                params(&e.params),
                e.ret
                    .as_ref()
                    .map_or(String::new(), |r| format!(" -> {}", ty(r)))
            ),
            Decl::Record(r) => {
                let f: Vec<String> = r
                    .fields
                    .iter()
                    .map(|f| match &f.default {
                        Some(d) => format!("{}: {} = {}", f.name.name, ty(&f.ty), expr(d)),
                        None => format!("{}: {}", f.name.name, ty(&f.ty)),
                    })
                    .collect();
                format!(
                    "record {}[{}] {{{}}}",
                    r.name.name,
                    r.type_params
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    f.join("; ")
                )
            }
            Decl::Enum(e) => {
                let v: Vec<String> = e
                    .variants
                    .iter()
                    .map(|v| {
                        let p: Vec<String> = v.payload.iter().map(ty).collect();
                        format!("{}({})", v.name.name, p.join(", "))
                    })
                    .collect();
                let m: Vec<String> = e
                    .methods
                    .iter()
                    .map(|m| format!("{}/{}/{}", m.name.name, m.has_self, m.params.len()))
                    .collect();
                format!(
                    "enum {}[{}] {} methods {}",
                    e.name.name,
                    e.type_params
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    v.join(" "),
                    m.join(" ")
                )
            }
            Decl::Const(c) => format!(
                "const {}{} = {}",
                c.name.name,
                c.ty.as_ref()
                    .map_or(String::new(), |t| format!(": {}", ty(t))),
                expr(&c.value)
            ),
            Decl::Alias(a) => format!("type {} = {}", a.name.name, ty(&a.ty)),
        })
        .collect()
}

#[test]
fn declarations() {
    let src = "\
# leading comment

cell area(w: Float, h: Float = 1.0,) -> Float
  w * h
end
cell first[T](xs: list[T]) -> T?
  null
end
extern cell sqrt(x: Float) -> Float
record Point
  x: Int
  y: Int = 0
end
record Pair[A, B]
  a: A
  b: B
end
record Unit
end
enum Shape
  Circle(Float)
  Rect(Float, Float)
  Empty

  cell area(self) -> Float
    0.0
  end
  cell scale(self, k: Float) -> Shape
    self
  end
end
enum Option[T]
  Some(T)
  None
end
const LIMIT: Int = 10 * 1000
const NAMES = [\"a\", \"b\"]
type Grid = list[list[Int]]
type F = (fn(Int) -> Int)?
type M = map[String, Int | Null]
type U = Int | String?";
    assert_eq!(
        decl_names(src),
        [
            "cell area[](w: Float, h: Float = 1.0) -> Float",
            "cell first[T](xs: list[T]) -> T?",
            "extern sqrt(x: Float) -> Float",
            "record Point[] {x: Int; y: Int = 0}",
            "record Pair[A,B] {a: A; b: B}",
            "record Unit[] {}",
            "enum Shape[] Circle(Float) Rect(Float, Float) Empty() methods area/true/0 scale/true/1",
            "enum Option[T] Some(T) None() methods ",
            "const LIMIT: Int = (* 10 1000)",
            "const NAMES = [\"a\" \"b\"]",
            "type Grid = list[list[Int]]",
            "type F = fn(Int) -> Int?",
            "type M = map[String, (Int | Null)]",
            "type U = (Int | String?)",
        ]
    );
}

#[test]
fn spans_are_first_characters() {
    let p = parse("cell main()\n  let x = (a + b) * c\n  foo.bar(1)\nend").unwrap();
    let Decl::Cell(c) = &p.decls[0] else {
        panic!("not a cell")
    };
    assert_eq!(c.span, Span { line: 1, col: 1 });
    assert_eq!(c.name.span, Span { line: 1, col: 6 });
    let StmtKind::Let { value, .. } = &c.body.stmts[0].kind else {
        panic!("not a let")
    };
    assert_eq!(c.body.stmts[0].span, Span { line: 2, col: 3 });
    // `(a + b) * c` starts at its first character, the `(` (§13 clarification 3).
    assert_eq!(value.span, Span { line: 2, col: 11 });
    let StmtKind::Expr(call) = &c.body.stmts[1].kind else {
        panic!("not an expression")
    };
    assert_eq!(call.span, Span { line: 3, col: 3 });
    let ExprKind::Call { args, .. } = &call.kind else {
        panic!("not a call")
    };
    assert_eq!(args[0].value.span, Span { line: 3, col: 11 });
}

#[test]
fn syntax_error_messages_and_positions() {
    assert_eq!(
        body_errs("  let x = (1 + )"),
        ["2:16: unexpected ')', expected expression"]
    );
    assert_eq!(
        body_errs("  let x"),
        ["2:8: unexpected newline, expected '='"]
    );
    assert_eq!(
        body_errs("  print(1) 2"),
        ["2:12: unexpected '2', expected newline"]
    );
    assert_eq!(
        body_errs("  (1,)"),
        ["2:6: unexpected ')', expected expression"]
    );
    assert_eq!(
        body_errs("  ()"),
        ["2:4: unexpected ')', expected expression"]
    );
    assert_eq!(body_errs("  {1, 2}"), ["2:5: unexpected ',', expected ':'"]);
    assert_eq!(body_errs("  f(x) = 1"), ["2:3: invalid assignment target"]);
    assert_eq!(body_errs("  t.0 = 1"), ["2:3: invalid assignment target"]);
    assert_eq!(
        body_errs("  x ?[0]"),
        ["2:5: unexpected '?', expected newline"]
    );
    assert_eq!(
        body_errs("  if x y\n    1\n  end"),
        ["2:8: unexpected 'y', expected 'then' or newline"]
    );
    assert_eq!(
        body_errs("  if x then 1"),
        ["2:14: unexpected newline, expected 'else'"]
    );
    assert_eq!(
        body_errs("  let y = if x\n  1\n  end"),
        ["2:15: unexpected newline, expected 'then'"]
    );
    assert_eq!(
        errs("cell main()\n  print(1)\n"),
        ["3:1: unexpected end of file, expected 'end'"]
    );
    assert_eq!(
        errs("let x = 1\n"),
        ["1:1: unexpected 'let', expected declaration"]
    );
    assert_eq!(
        errs("cell f(x Int)\nend\n"),
        ["1:10: unexpected 'Int', expected ':'"]
    );
    assert_eq!(
        errs("cell main()\n  match x\n    1 => 2\n  end\nend"),
        ["3:7: unexpected '=>', expected '->'"]
    );
    assert_eq!(
        errs("cell main()\n  let f = fn(x: Int = 1) => x\nend"),
        ["2:21: unexpected '=', expected ')'"]
    );
    assert_eq!(
        errs("enum E\n  A\n  cell m(x: Int)\n  end\nend"),
        ["3:10: unexpected 'x', expected 'self'"]
    );
    assert_eq!(
        body_errs("  match v\n    \"a{x}\" -> 1\n  end"),
        ["3:5: string patterns cannot interpolate"]
    );
}

#[test]
fn pattern_errors() {
    let arm = |p: &str| body_errs(&format!("  match v\n    {p} -> 0\n  end"));
    assert_eq!(arm("()"), ["3:6: unexpected ')', expected pattern"]);
    assert_eq!(arm("(a,)"), ["3:8: unexpected ')', expected pattern"]);
    assert_eq!(arm("[a, ...r, b]"), ["3:15: unexpected 'b', expected ']'"]);
    assert_eq!(
        arm("1..2.5"),
        ["3:8: range pattern bounds must be Int literals"]
    );
    assert_eq!(arm("1.5..2"), ["3:8: unexpected '..', expected '->'"]);
    assert_eq!(
        arm("9223372036854775808"),
        ["3:5: integer literal out of range"]
    );
    assert_eq!(arm("Rect(w: 1, h)"), ["3:13: expected a type name"]);
    assert_eq!(arm("x: 5"), ["3:8: unexpected '5', expected type name"]);
    assert_eq!(
        body_errs("  let x: Int | = 1"),
        ["2:16: unexpected '=', expected type"]
    );
}

#[test]
fn reserved_words_and_later_features() {
    assert_eq!(errs("import foo\n"), ["1:1: 'import' is reserved"]);
    assert_eq!(errs("trait Show\nend\n"), ["1:1: 'trait' is reserved"]);
    assert_eq!(body_errs("  let async = 1"), ["2:7: 'async' is reserved"]);
    assert_eq!(body_errs("  x = await(y)"), ["2:7: 'await' is reserved"]);
    assert_eq!(body_errs("  return yield"), ["2:10: 'yield' is reserved"]);
    assert_eq!(
        body_errs("  f(...xs)"),
        ["2:5: unexpected '...', expected expression"]
    );
    assert_eq!(
        body_errs("  x ~> y"),
        ["2:5: unexpected '~', expected newline"]
    );
    assert_eq!(
        body_errs("  break 1"),
        ["2:9: unexpected '1', expected newline"]
    );
}

#[test]
fn all_errors_are_reported_with_recovery() {
    let src = "\
cell main()
  let a = (1 + )
  print(a)
  let b = [1, 2
  if a ==
    print(3 +)
  end
  while
    x = 1
  end
end

cell other(
  x
end

record R
  x Int
  y: Int
end

cell fine()
  let z = 1 +* 2
end
";
    assert_eq!(
        errs(src),
        [
            "2:16: unexpected ')', expected expression",
            "4:16: unexpected newline, expected ']'",
            "6:14: unexpected ')', expected expression",
            "8:8: unexpected newline, expected expression",
            "14:4: unexpected newline, expected ':'",
            "18:5: unexpected 'Int', expected ':'",
            "23:14: unexpected '*', expected expression",
        ]
    );
}

#[test]
fn errors_inside_nested_blocks_do_not_cascade() {
    let src = "\
cell main()
  let xs = map(ys, fn(x: Int -> Int
    x + 1
  end)
  for i in 0..3
    let s = match i
      0 -> )
      _ -> 1
    end
  end
end
";
    assert_eq!(
        errs(src),
        [
            "2:30: unexpected '->', expected ')'",
            "7:12: unexpected ')', expected expression",
        ]
    );
}

#[test]
fn stray_tokens_after_a_broken_construct_are_not_reported() {
    let src = "\
cell main()
  let f = 1 + + g(fn(x: Int) -> Int
    x
  end)
  print(f)
end

cell other() -> Int
  let y = )
  1
end
";
    assert_eq!(
        errs(src),
        [
            "2:15: unexpected '+', expected expression",
            "9:11: unexpected ')', expected expression",
        ]
    );
    assert_eq!(
        errs("cell f()\nend )\ncell g()\nend\nend\n"),
        [
            "2:5: unexpected ')', expected newline",
            "5:1: unexpected 'end', expected declaration",
        ]
    );
}

#[test]
fn top_level_statement_after_a_broken_cell_is_reported() {
    assert_eq!(
        errs("cell a()\n  let x = )\nend\nlet y = 1\n"),
        [
            "2:11: unexpected ')', expected expression",
            "4:1: unexpected 'let', expected declaration",
        ]
    );
}

#[test]
fn missing_end_stops_at_the_next_declaration() {
    assert_eq!(
        errs(
            "cell a()\n  x
cell b()\n  let y = )\nend\n"
        ),
        [
            "3:1: unexpected 'cell', expected 'end'",
            "4:11: unexpected ')', expected expression",
        ]
    );
    assert_eq!(
        errs(
            "record R\n  x: Int\nenum E\n  A\n  cell m(self)\n    1\n  cell n(self)\n    2\n  end\nend\nconst C = 1 +\n"
        ),
        [
            "3:1: unexpected 'enum', expected 'end'",
            "7:3: unexpected 'cell', expected 'end'",
            "12:1: unexpected end of file, expected expression",
        ]
    );
}

#[test]
fn markdown_programs_keep_original_positions() {
    let md = "# Doc\n\nSome `code`.\n\n```lumen\ncell main()\n  let x = [1,, 2]\nend\n```\n";
    assert_eq!(
        errs(&crate::extract_code(md)),
        ["7:14: unexpected ',', expected expression"]
    );
}

#[test]
fn lexical_errors_suppress_follow_up_parse_errors() {
    assert_eq!(
        body_errs("  let s = \"abc\n  print(s)"),
        ["2:11: unterminated string"]
    );
    assert_eq!(
        body_errs("  let x = 1 $ 2"),
        ["2:13: unexpected character '$'"]
    );
    assert_eq!(body_errs("  print(\"{}\")"), ["2:10: empty interpolation"]);
    assert_eq!(
        body_errs("  print(\"\\q\")"),
        ["2:10: invalid escape sequence"]
    );
}

/// Runs `f` on a thread with a 256 MiB stack, as big as the CLI's: the parser takes about
/// 8–15 KB of native stack per nesting level in debug builds, so programs near the
/// nesting limit do not fit the 2 MiB default test-thread stack.
fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .expect("spawn big-stack thread");
    match handle.join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    on_big_stack(deep_nesting_cases);
}

fn deep_nesting_cases() {
    for open in ["(", "[", "-", "not ", "f(", "{1: "] {
        let src = format!("cell main()\n  x = {}1\nend", open.repeat(5000));
        let e = errs(&src);
        assert!(
            e.iter().any(|m| m.ends_with("program nested too deeply")),
            "{open}: {e:?}"
        );
    }
    let src = format!("cell main()\n  x = 1{}\nend", " + 1".repeat(20_000));
    assert!(
        errs(&src)
            .iter()
            .any(|m| m.ends_with("program nested too deeply"))
    );
    let src = format!("cell main()\n  x = a{}\nend", ".b".repeat(20_000));
    assert!(
        errs(&src)
            .iter()
            .any(|m| m.ends_with("program nested too deeply"))
    );
    let src = format!("cell main()\n{}\nend", "if x\n".repeat(3000));
    assert_eq!(errs(&src).len(), 1, "only the nesting error is reported");
    // Nesting up to several hundred levels is fine.
    for open in ["(", "[", "-", "f(", "if true then "] {
        let close = match open {
            "(" | "f(" => ")",
            "[" => "]",
            "if true then " => " else 2",
            _ => "",
        };
        let src = format!(
            "cell main()\n  x = {}1{}\nend",
            open.repeat(900),
            close.repeat(900)
        );
        assert!(parse(&src).is_ok(), "{open}");
    }
    let src = format!(
        "cell main()\n{}  x = 1\n{}end",
        "if x\n".repeat(500),
        "end\n".repeat(500)
    );
    assert!(parse(&src).is_ok());
}

#[test]
fn ordinary_nesting_fits_the_default_test_stack() {
    let src = format!(
        "cell main()\n  x = {}1{}\nend",
        "(".repeat(40),
        ")".repeat(40)
    );
    assert!(parse(&src).is_ok());
}

/// An `else if` chain as nested `If` statements: each link is the only statement of the
/// previous link's `else` block, positioned at its `if`.
#[test]
fn else_if_chain_nests_in_else_blocks() {
    let p = parse("cell main()\n  if a\n    f()\n  else if b\n    g()\n  else if c\n    h()\n  else\n    k()\n  end\nend\n").expect("parses");
    let Decl::Cell(c) = &p.decls[0] else {
        panic!("cell")
    };
    let mut stmt = &c.body.stmts[0];
    let mut conds = Vec::new();
    loop {
        let StmtKind::If {
            cond, else_branch, ..
        } = &stmt.kind
        else {
            panic!("if")
        };
        let ExprKind::Ident(n) = &cond.kind else {
            panic!("ident")
        };
        conds.push((n.clone(), stmt.span.line, stmt.span.col));
        let e = else_branch.as_ref().expect("else");
        assert_eq!(e.stmts.len(), 1);
        if !matches!(e.stmts[0].kind, StmtKind::If { .. }) {
            assert_eq!(e.span.line, 9);
            break;
        }
        assert_eq!(e.span, e.stmts[0].span);
        stmt = &e.stmts[0];
    }
    assert_eq!(
        conds,
        [("a".into(), 2, 3), ("b".into(), 4, 8), ("c".into(), 6, 8)]
    );
}

/// Long `else if` chains (statement and expression form) cost no parser recursion: they
/// parse on the default test-thread stack.
#[test]
fn long_else_if_chains_parse_without_recursion() {
    let mut src = String::from("cell main()\n  if x == 0\n    f()\n");
    for i in 1..2000 {
        src.push_str(&format!("  else if x == {i}\n    f()\n"));
    }
    src.push_str("  end\n  y = if x == 0 then 0 ");
    for i in 1..2000 {
        src.push_str(&format!("else if x == {i} then {i} "));
    }
    src.push_str("else 1\nend\n");
    let p = parse(&src).expect("parses");
    on_big_stack(move || drop(p));
    // A broken link is reported once and the chain is skipped.
    assert_eq!(
        body_errs("  if a\n    f()\n  else if )\n    g()\n  else\n    h()\n  end\n  print(1 +)"),
        [
            "4:11: unexpected ')', expected expression",
            "9:12: unexpected ')', expected expression"
        ]
    );
}

#[test]
fn five_thousand_lines_parse_quickly() {
    let mut src = String::new();
    for i in 0..500 {
        src.push_str(&format!(
            "cell f{i}(a: Int, b: list[Int]) -> Int\n  let mut s = 0\n  for x in b if x > a\n    s += x * {i} + (a // 2) ** 2\n  end\n  let m = match s\n    0 -> \"zero\"\n    n if n < 0 -> \"neg {{n}}\"\n  end\n  s\nend\n"
        ));
    }
    assert!(src.lines().count() >= 5000);
    let start = std::time::Instant::now();
    let p = parse(&src).expect("parses");
    let elapsed = start.elapsed();
    assert_eq!(p.decls.len(), 500);
    // Generous for unoptimised test builds; release builds take a few milliseconds.
    assert!(elapsed.as_millis() < 500, "took {elapsed:?}");
}

/// Rendered diagnostics (§10.3 layout) of a set of bad programs, as insta snapshots.
#[test]
fn rendered_syntax_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "missing_operand",
            "cell main()\n  print(\"must not run\")\n  let x = (1 + )\n  print(x)\nend\n",
        ),
        (
            "several_errors",
            "cell main()\n\tlet a = [1, 2\n  let b = {1, 2}\n  if a == b then 1\nend\n\ncell f(x: Int) -> Int\n  x +* 2\nend\n",
        ),
        (
            "unterminated_block",
            "cell main()\n  while true\n    print(1)\nend\n",
        ),
        (
            "reserved_and_unsupported",
            "import io\n\ncell main()\n  let r = try(f())\n  defer close()\n  print(xs?)\nend\n",
        ),
        (
            "lexical_errors",
            "cell main()\n  let s = \"caf\\é {}\"\n  let n = 99999999999999999999\n  let f = 1e999\n  let t = \"open\nend\n",
        ),
        (
            "chained_comparison",
            "cell main()\n  if 0 < x < 10\n    print(x)\n  end\nend\n",
        ),
        (
            "unicode_columns",
            "cell main()\n  print(\"héllo wörld\" 1)\n  let ü = 1\nend\n",
        ),
    ];
    for (name, src) in cases {
        let diags = parse(src).expect_err("must fail");
        let rendered = crate::CompileError::new(diags).render(&format!("{name}.lm"), src);
        insta::assert_snapshot!(*name, rendered);
    }
}

#[test]
fn double_question_mark_in_types_is_optional() {
    // `??` lexes as one token; in a type it is `T??`, which is `T?` (§2). (At the end
    // of a line `??` would continue the line, as for any binary operator.)
    assert_eq!(
        decl_names("type A = list[Int??]\ntype B = fn() -> String?? | Bool"),
        ["type A = list[Int?]", "type B = fn() -> (String? | Bool)"]
    );
}

/// The cells of a partial parse: (name, broken).
fn partial_cells(p: &Program) -> Vec<(String, bool)> {
    p.decls
        .iter()
        .filter_map(|d| match d {
            Decl::Cell(c) => Some((c.name.name.clone(), c.broken)),
            _ => None,
        })
        .collect()
}

#[test]
fn partial_parse_keeps_clean_declarations_and_broken_signatures() {
    let src = "cell a() -> Int\n  1 +\nend\ncell b(x: Int) -> Int\n  x\nend\ncell c(x Int)\nend\ncell d()\n  let y = 1\ncell main()\nend\n";
    let (p, diags) = parse_partial(src);
    assert_eq!(
        diags
            .iter()
            .map(|d| format!("{}:{}", d.span.line, d.span.col))
            .collect::<Vec<_>>(),
        ["3:1", "7:10", "11:1"]
    );
    // `a` keeps its signature (body broken), `c` lost its signature (only the name is
    // known), `d` lacks its `end` but keeps its signature.
    assert_eq!(
        partial_cells(&p),
        [
            ("a".into(), true),
            ("b".into(), false),
            ("d".into(), true),
            ("main".into(), false)
        ]
    );
    let Decl::Cell(a) = &p.decls[0] else {
        panic!("cell a")
    };
    assert!(a.ret.is_some());
    assert_eq!(p.broken.names, ["c"]);
    assert!(!p.broken.lost);
    // A clean parse is the same program `parse` returns, with nothing broken.
    let clean = "cell main()\n  print(1)\nend\n";
    let (p, diags) = parse_partial(clean);
    assert!(diags.is_empty());
    assert_eq!(Ok(p.clone()), parse(clean));
    assert_eq!(p.broken, Broken::default());
}

#[test]
fn partial_parse_lists_names_of_dropped_declarations() {
    let src = "record P\n  x Int\nend\nenum E\n  A(Int\n  B\nend\nconst K = (1\ntype T = 1\nextern cell ext(x: Int\ncell 1bad()\nend\ncell main()\nend\n";
    let (p, diags) = parse_partial(src);
    assert!(!diags.is_empty());
    assert_eq!(p.broken.names, ["P", "E", "A", "B", "K", "T", "ext"]);
    assert!(p.broken.lost, "the cell without a name is lost");
    assert_eq!(partial_cells(&p), [("main".into(), false)]);
    // A top-level statement may be a mistyped declaration: a name may be lost.
    let (p, _) = parse_partial("cel main()\nend\n");
    assert!(p.broken.lost);
}

#[test]
fn lexical_errors_and_method_bodies_mark_cells_broken() {
    let src = "cell a()\n  print(\"\\q\")\nend\nenum E\n  V\n  cell m(self) -> Int\n    1 +\n  end\n  cell n(self) -> Int\n    2\n  end\nend\ncell main()\nend\n";
    let (p, diags) = parse_partial(src);
    assert_eq!(diags.len(), 2, "{diags:?}");
    assert_eq!(
        partial_cells(&p),
        [("a".into(), true), ("main".into(), false)]
    );
    let Some(Decl::Enum(e)) = p.decls.get(1) else {
        panic!("enum kept")
    };
    assert_eq!(
        e.methods
            .iter()
            .map(|m| (m.name.name.as_str(), m.broken))
            .collect::<Vec<_>>(),
        [("m", true), ("n", false)]
    );
}

#[test]
fn too_deep_program_is_dropped_entirely() {
    let src = format!(
        "cell main()\n  x = {}1\nend\ncell f()\nend\n",
        "(".repeat(5000)
    );
    let (p, diags) = on_big_stack(move || parse_partial(&src));
    assert_eq!(diags.len(), 1);
    assert!(p.decls.is_empty());
    assert!(p.broken.lost);
}
