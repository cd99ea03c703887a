//! Lowering tests on hand-built HIR: the output must verify, have the expected shape
//! (fused compares, no list for range loops, moves) and compute the right values on the VM.

use super::lower;
use crate::hir::*;
use crate::types::Type;
use lumen_core::builtins::Builtin;
use lumen_core::lir::{Instr, LirModule, Pos, TypeTest};
use lumen_core::value::Value;

const P: Pos = Pos { line: 1, col: 1 };

fn ex(kind: ExprKind, ty: Type) -> Expr {
    Expr { kind, ty, span: P }
}
fn at(mut e: Expr, line: u32, col: u32) -> Expr {
    e.span = Pos { line, col };
    e
}
fn int(v: i64) -> Expr {
    ex(ExprKind::Int(v), Type::Int)
}
fn s(v: &str) -> Expr {
    ex(ExprKind::Str(v.into()), Type::Str)
}
fn loc(l: LocalId, ty: Type) -> Expr {
    ex(ExprKind::Local(l), ty)
}
fn bin(op: BinOp, a: Expr, b: Expr, ty: Type) -> Expr {
    ex(ExprKind::Binary(op, Box::new(a), Box::new(b)), ty)
}
fn block(es: Vec<Expr>) -> Expr {
    let ty = es.last().map_or(Type::Null, |e| e.ty.clone());
    ex(ExprKind::Block(es), ty)
}
fn bind(l: LocalId, ty: Type) -> Pattern {
    Pattern {
        kind: PatternKind::Bind(l),
        ty,
        span: P,
    }
}
fn pat(kind: PatternKind, ty: Type) -> Pattern {
    Pattern { kind, ty, span: P }
}
fn let_(l: LocalId, ty: Type, value: Expr) -> Expr {
    ex(
        ExprKind::Let {
            pattern: bind(l, ty),
            value: Box::new(value),
        },
        Type::Null,
    )
}
fn assign(root: LocalId, path: Vec<PlaceElem>, value: Expr) -> Expr {
    ex(
        ExprKind::Assign {
            place: Place {
                root,
                path,
                span: P,
            },
            value: Box::new(value),
        },
        Type::Null,
    )
}
fn call_b(b: Builtin, args: Vec<Expr>, ty: Type) -> Expr {
    ex(ExprKind::CallBuiltin { builtin: b, args }, ty)
}
fn list_of(t: Type) -> Type {
    Type::List(Box::new(t))
}
fn for_range(id: LoopId, var: LocalId, lo: Expr, hi: Expr, body: Expr) -> Expr {
    ex(
        ExprKind::For {
            id,
            pattern: bind(var, Type::Int),
            source: ForSource::Range {
                lo: Box::new(lo),
                hi: Box::new(hi),
                inclusive: false,
            },
            filter: None,
            body: Box::new(body),
        },
        Type::Null,
    )
}

/// A function under construction.
struct F {
    locals: Vec<Local>,
    params: Vec<LocalId>,
}

impl F {
    fn new() -> F {
        F {
            locals: vec![],
            params: vec![],
        }
    }
    fn param(&mut self, name: &str, ty: Type) -> LocalId {
        let l = self.var(name, ty, false);
        self.params.push(l);
        l
    }
    fn var(&mut self, name: &str, ty: Type, mutable: bool) -> LocalId {
        self.locals.push(Local {
            name: name.into(),
            ty,
            mutable,
        });
        (self.locals.len() - 1) as LocalId
    }
    fn build(self, name: &str, ret: Type, body: Expr) -> Func {
        Func {
            name: name.into(),
            kind: FuncKind::Cell,
            params: self.params,
            captures: vec![],
            locals: self.locals,
            ret,
            body,
            span: P,
        }
    }
}

fn program(types: Vec<TypeDecl>, funcs: Vec<Func>) -> Program {
    Program {
        types,
        funcs,
        consts: vec![],
        main: 0,
    }
}

/// Lowers and verifies.
fn compile(p: &Program) -> LirModule {
    let m = lower(p);
    if let Err(errs) = lumen_core::verify::verify(&m) {
        panic!("verify failed: {errs:#?}\n{}", lumen_core::dump::dump(&m));
    }
    m
}

/// Runs cell `name` on the VM.
fn run(m: &LirModule, name: &str, args: Vec<Value>) -> Value {
    let mut vm = lumen_rt::VM::new(m.clone());
    match vm.call_cell_by_name(name, args) {
        Ok(v) => v,
        Err(e) => panic!("runtime error {e:?}\n{}", lumen_core::dump::dump(m)),
    }
}

/// `cell sum(n) -> Int: let mut s = 0; for i in 0..n: s = s + i; s`
fn sum_program() -> Program {
    let mut f = F::new();
    let n = f.param("n", Type::Int);
    let acc = f.var("s", Type::Int, true);
    let i = f.var("i", Type::Int, false);
    let body = block(vec![
        let_(acc, Type::Int, int(0)),
        for_range(
            0,
            i,
            int(0),
            loc(n, Type::Int),
            assign(
                acc,
                vec![],
                bin(
                    BinOp::IntAdd,
                    loc(acc, Type::Int),
                    loc(i, Type::Int),
                    Type::Int,
                ),
            ),
        ),
        loc(acc, Type::Int),
    ]);
    program(vec![], vec![f.build("sum", Type::Int, body)])
}

#[test]
fn range_loop_builds_no_list_and_uses_fused_compare() {
    let m = compile(&sum_program());
    let code = &m.cells[0].code;
    assert!(
        !code
            .iter()
            .any(|i| matches!(i, Instr::RangeList { .. } | Instr::ListNew { .. }))
    );
    assert!(code.iter().any(|i| matches!(i, Instr::JumpIfIntCmp { .. })));
    assert!(
        code.iter()
            .any(|i| matches!(i, Instr::IntAddImm { value: 1, .. }))
    );
    // `s = s + i` is one instruction writing the local directly.
    assert!(
        code.iter()
            .any(|i| matches!(i, Instr::IntAdd { dst, a, .. } if dst == a))
    );
    assert_eq!(run(&m, "sum", vec![Value::Int(10)]), Value::Int(45));
    assert_eq!(run(&m, "sum", vec![Value::Int(0)]), Value::Int(0));
}

#[test]
fn append_in_a_loop_moves_the_list() {
    // let mut xs = []; for i in 0..n: xs = append(xs, i); len(xs)
    let mut f = F::new();
    let n = f.param("n", Type::Int);
    let xs = f.var("xs", list_of(Type::Int), true);
    let i = f.var("i", Type::Int, false);
    let lt = list_of(Type::Int);
    let body = block(vec![
        let_(
            xs,
            lt.clone(),
            ex(ExprKind::List(vec![]), list_of(Type::Never)),
        ),
        for_range(
            0,
            i,
            int(0),
            loc(n, Type::Int),
            assign(
                xs,
                vec![],
                call_b(
                    Builtin::Append,
                    vec![loc(xs, lt.clone()), loc(i, Type::Int)],
                    lt.clone(),
                ),
            ),
        ),
        call_b(Builtin::LenList, vec![loc(xs, lt.clone())], Type::Int),
    ]);
    let m = compile(&program(vec![], vec![f.build("f", Type::Int, body)]));
    let xs_reg = 1; // parameters first, then locals in order
    let code = &m.cells[0].code;
    assert!(
        code.iter()
            .any(|i| matches!(i, Instr::Move { src, .. } if *src == xs_reg)),
        "{}",
        lumen_core::dump::dump(&m)
    );
    // The append result is written straight back to `xs`.
    assert!(code.iter().any(|i| matches!(
        i,
        Instr::CallBuiltin { dst, builtin: Builtin::Append, .. } if *dst == xs_reg
    )));
    // Before the loop, `xs` gets room for its `n` elements.
    let reserve = code.iter().position(|i| {
        matches!(i, Instr::CallBuiltin { dst, builtin: Builtin::ReserveRange, argc: 3, .. }
            if *dst == xs_reg)
    });
    let append = code.iter().position(|i| {
        matches!(
            i,
            Instr::CallBuiltin {
                builtin: Builtin::Append,
                ..
            }
        )
    });
    assert!(reserve.is_some() && reserve < append, "{code:?}");
    assert_eq!(run(&m, "f", vec![Value::Int(1000)]), Value::Int(1000));
    assert_eq!(run(&m, "f", vec![Value::Int(-5)]), Value::Int(0));
}

#[test]
fn unfiltered_comprehensions_reserve_their_length() {
    let src = "cell main()\n  let xs = [i for i in 1..=4]\n  let ys = [x * 2 for x in xs]\n  \
               let zs = [x for x in xs if x > 2]\n  print(xs, ys, zs)\nend\n";
    let m = crate::compile(src).expect("compiles");
    let count = |b: Builtin| {
        (m.cells[0].code.iter())
            .filter(|i| matches!(i, Instr::CallBuiltin { builtin, .. } if *builtin == b))
            .count()
    };
    // `1..=4` and the 4 elements of `xs`; the filtered one grows as it goes.
    assert_eq!(count(Builtin::ReserveRangeInclusive), 1);
    assert_eq!(count(Builtin::ReserveRange), 1);
    assert_eq!(count(Builtin::Append), 3);
}

#[test]
fn string_append_targets_its_own_register() {
    // let mut s = ""; for i in 0..n: s = s + "ab"; s
    let mut f = F::new();
    let n = f.param("n", Type::Int);
    let sv = f.var("s", Type::Str, true);
    let i = f.var("i", Type::Int, false);
    let body = block(vec![
        let_(sv, Type::Str, s("")),
        for_range(
            0,
            i,
            int(0),
            loc(n, Type::Int),
            assign(
                sv,
                vec![],
                bin(BinOp::StrConcat, loc(sv, Type::Str), s("ab"), Type::Str),
            ),
        ),
        loc(sv, Type::Str),
    ]);
    let m = compile(&program(vec![], vec![f.build("f", Type::Str, body)]));
    assert!(
        m.cells[0]
            .code
            .iter()
            .any(|i| matches!(i, Instr::StrConcat { dst, a, .. } if dst == a))
    );
    // Literals come from the pool, deduplicated.
    assert_eq!(
        m.consts
            .iter()
            .filter(|c| matches!(c, Value::Str(s) if s.as_str() == "ab"))
            .count(),
        1
    );
    assert_eq!(run(&m, "f", vec![Value::Int(3)]), Value::str("ababab"));
}

#[test]
fn string_concat_chains_build_one_string() {
    // f(a, b) = (a + "-") + (b + a): one StrBuild of the four operands in order;
    // a lone `a + b` stays a StrConcat.
    let mut f = F::new();
    let a = f.param("a", Type::Str);
    let b = f.param("b", Type::Str);
    let str_ = |x| loc(x, Type::Str);
    let body = bin(
        BinOp::StrConcat,
        bin(BinOp::StrConcat, str_(a), s("-"), Type::Str),
        bin(BinOp::StrConcat, str_(b), str_(a), Type::Str),
        Type::Str,
    );
    let mut g = F::new();
    let (x, y) = (g.param("x", Type::Str), g.param("y", Type::Str));
    let pair = bin(BinOp::StrConcat, str_(x), str_(y), Type::Str);
    let m = compile(&program(
        vec![],
        vec![f.build("f", Type::Str, body), g.build("g", Type::Str, pair)],
    ));
    let builds: Vec<_> = m.cells[0]
        .code
        .iter()
        .filter_map(|i| match i {
            Instr::StrBuild { argc, .. } => Some(*argc),
            _ => None,
        })
        .collect();
    assert_eq!(builds, [4]);
    assert!(
        !m.cells[0]
            .code
            .iter()
            .any(|i| matches!(i, Instr::StrConcat { .. }))
    );
    assert!(
        m.cells[1]
            .code
            .iter()
            .any(|i| matches!(i, Instr::StrConcat { .. }))
    );
    let args = vec![Value::str("ab"), Value::str("ñ")];
    assert_eq!(run(&m, "f", args), Value::str("ab-ñab"));
}

fn shape_types() -> Vec<TypeDecl> {
    vec![TypeDecl::Enum {
        name: "Shape".into(),
        type_params: vec![],
        variants: vec![
            ("Circle".into(), vec![Type::Int]),
            ("Rect".into(), vec![Type::Int, Type::Int]),
            ("Dot".into(), vec![]),
        ],
    }]
}

#[test]
fn match_with_variants_guards_or_patterns_and_no_match() {
    // match s
    //   Circle(r) if r > 10 -> 1000
    //   Circle(r) -> r
    //   Rect(w, 0) | Rect(0, w) -> w
    //   Rect(w, h) -> w * h
    // end   (Dot: no match arm)
    let shape = Type::Named(0, vec![]);
    let mut f = F::new();
    let sp = f.param("s", shape.clone());
    let r1 = f.var("r", Type::Int, false);
    let r2 = f.var("r", Type::Int, false);
    let w3 = f.var("w", Type::Int, false);
    let w4 = f.var("w", Type::Int, false);
    let h4 = f.var("h", Type::Int, false);
    let variant = |tag: u32, payload: Vec<Pattern>| {
        pat(
            PatternKind::Variant {
                type_id: 0,
                tag,
                payload,
            },
            shape.clone(),
        )
    };
    let lit = |v: i64| pat(PatternKind::Value(Value::Int(v)), Type::Int);
    let arms = vec![
        Arm {
            pattern: variant(0, vec![bind(r1, Type::Int)]),
            guard: Some(bin(BinOp::IntGt, loc(r1, Type::Int), int(10), Type::Bool)),
            body: int(1000),
        },
        Arm {
            pattern: variant(0, vec![bind(r2, Type::Int)]),
            guard: None,
            body: loc(r2, Type::Int),
        },
        Arm {
            pattern: pat(
                PatternKind::Or(vec![
                    variant(1, vec![bind(w3, Type::Int), lit(0)]),
                    variant(1, vec![lit(0), bind(w3, Type::Int)]),
                ]),
                shape.clone(),
            ),
            guard: None,
            body: loc(w3, Type::Int),
        },
        Arm {
            pattern: variant(1, vec![bind(w4, Type::Int), bind(h4, Type::Int)]),
            guard: None,
            body: bin(
                BinOp::IntMul,
                loc(w4, Type::Int),
                loc(h4, Type::Int),
                Type::Int,
            ),
        },
    ];
    let body = at(
        ex(
            ExprKind::Match {
                scrutinee: Box::new(loc(sp, shape.clone())),
                arms,
            },
            Type::Int,
        ),
        4,
        3,
    );
    let m = compile(&program(
        shape_types(),
        vec![f.build("area", Type::Int, body)],
    ));
    let mk = |tag: u32, payload: Vec<i64>| {
        Value::Variant(std::rc::Rc::new(lumen_core::value::Variant {
            type_id: 0,
            tag,
            payload: payload.into_iter().map(Value::Int).collect(),
        }))
    };
    assert_eq!(run(&m, "area", vec![mk(0, vec![50])]), Value::Int(1000));
    assert_eq!(run(&m, "area", vec![mk(0, vec![5])]), Value::Int(5));
    assert_eq!(run(&m, "area", vec![mk(1, vec![7, 0])]), Value::Int(7));
    assert_eq!(run(&m, "area", vec![mk(1, vec![0, 8])]), Value::Int(8));
    assert_eq!(run(&m, "area", vec![mk(1, vec![3, 4])]), Value::Int(12));
    let cell = &m.cells[0];
    let nm = cell
        .code
        .iter()
        .position(|i| matches!(i, Instr::NoMatch))
        .expect("a NoMatch for Dot");
    assert_eq!(cell.pos[nm], Pos { line: 4, col: 3 });
    let mut vm = lumen_rt::VM::new(m.clone());
    let err = vm
        .call_cell_by_name("area", vec![mk(2, vec![])])
        .unwrap_err();
    assert!(format!("{err:?}").contains("NoMatch"), "{err:?}");
}

#[test]
fn list_patterns_with_rest_and_results() {
    // cell f(xs: list[Int]) -> Int
    //   match xs  [] -> 0  [a] -> a  [a, b, ...rest] -> a + b + len(rest) end
    let lt = list_of(Type::Int);
    let mut f = F::new();
    let xs = f.param("xs", lt.clone());
    let a1 = f.var("a", Type::Int, false);
    let a2 = f.var("a", Type::Int, false);
    let b2 = f.var("b", Type::Int, false);
    let rest = f.var("rest", lt.clone(), false);
    let lp = |items: Vec<Pattern>, rest: Option<Option<LocalId>>| {
        pat(PatternKind::List { items, rest }, lt.clone())
    };
    let arms = vec![
        Arm {
            pattern: lp(vec![], None),
            guard: None,
            body: int(0),
        },
        Arm {
            pattern: lp(vec![bind(a1, Type::Int)], None),
            guard: None,
            body: loc(a1, Type::Int),
        },
        Arm {
            pattern: lp(
                vec![bind(a2, Type::Int), bind(b2, Type::Int)],
                Some(Some(rest)),
            ),
            guard: None,
            body: bin(
                BinOp::IntAdd,
                bin(
                    BinOp::IntAdd,
                    loc(a2, Type::Int),
                    loc(b2, Type::Int),
                    Type::Int,
                ),
                call_b(Builtin::LenList, vec![loc(rest, lt.clone())], Type::Int),
                Type::Int,
            ),
        },
    ];
    let body = ex(
        ExprKind::Match {
            scrutinee: Box::new(loc(xs, lt.clone())),
            arms,
        },
        Type::Int,
    );
    // cell g(r: result[Int, String]) -> Int: match r ok(v) -> v  err(_) -> -1 end
    let rt = Type::Result(Box::new(Type::Int), Box::new(Type::Str));
    let mut g = F::new();
    let r = g.param("r", rt.clone());
    let v = g.var("v", Type::Int, false);
    let garms = vec![
        Arm {
            pattern: pat(PatternKind::Ok(Box::new(bind(v, Type::Int))), rt.clone()),
            guard: None,
            body: loc(v, Type::Int),
        },
        Arm {
            pattern: pat(
                PatternKind::Err(Box::new(pat(PatternKind::Wildcard, Type::Str))),
                rt.clone(),
            ),
            guard: None,
            body: int(-1),
        },
    ];
    let gbody = ex(
        ExprKind::Match {
            scrutinee: Box::new(loc(r, rt.clone())),
            arms: garms,
        },
        Type::Int,
    );
    let m = compile(&program(
        vec![],
        vec![
            f.build("f", Type::Int, body),
            g.build("g", Type::Int, gbody),
        ],
    ));
    let l = |v: Vec<i64>| Value::list(v.into_iter().map(Value::Int).collect());
    assert_eq!(run(&m, "f", vec![l(vec![])]), Value::Int(0));
    assert_eq!(run(&m, "f", vec![l(vec![4])]), Value::Int(4));
    assert_eq!(run(&m, "f", vec![l(vec![1, 2, 9, 9, 9])]), Value::Int(6));
    assert_eq!(run(&m, "g", vec![Value::ok(Value::Int(5))]), Value::Int(5));
    assert_eq!(
        run(&m, "g", vec![Value::err(Value::str("x"))]),
        Value::Int(-1)
    );
}

#[test]
fn labelled_break_and_continue_and_while() {
    // let mut t = 0
    // for @outer a in 0..10
    //   let mut b = 0
    //   while true
    //     b = b + 1
    //     if b > a then continue @outer
    //     if a == 7 then break @outer
    //     t = t + 1
    //   end
    // end
    // t
    let mut f = F::new();
    let t = f.var("t", Type::Int, true);
    let a = f.var("a", Type::Int, false);
    let b = f.var("b", Type::Int, true);
    let iff = |c: Expr, then: Expr| {
        ex(
            ExprKind::If {
                cond: Box::new(c),
                then_branch: Box::new(then),
                else_branch: None,
            },
            Type::Null,
        )
    };
    let inner = ex(
        ExprKind::While {
            id: 1,
            cond: Box::new(ex(ExprKind::Bool(true), Type::Bool)),
            body: Box::new(block(vec![
                assign(
                    b,
                    vec![],
                    bin(BinOp::IntAdd, loc(b, Type::Int), int(1), Type::Int),
                ),
                iff(
                    bin(
                        BinOp::IntGt,
                        loc(b, Type::Int),
                        loc(a, Type::Int),
                        Type::Bool,
                    ),
                    ex(ExprKind::Continue(0), Type::Never),
                ),
                iff(
                    bin(BinOp::Eq, loc(a, Type::Int), int(7), Type::Bool),
                    ex(ExprKind::Break(0), Type::Never),
                ),
                assign(
                    t,
                    vec![],
                    bin(BinOp::IntAdd, loc(t, Type::Int), int(1), Type::Int),
                ),
            ])),
        },
        Type::Null,
    );
    let body = block(vec![
        let_(t, Type::Int, int(0)),
        for_range(
            0,
            a,
            int(0),
            int(10),
            block(vec![let_(b, Type::Int, int(0)), inner]),
        ),
        loc(t, Type::Int),
    ]);
    let m = compile(&program(vec![], vec![f.build("f", Type::Int, body)]));
    // a = 0..6 contribute a each: 0+1+…+6 = 21; a = 7 breaks before adding.
    assert_eq!(run(&m, "f", vec![]), Value::Int(21));
}

#[test]
fn nested_place_assignment_and_closures() {
    // let mut g = [[0, 0], [0, 0]]; g[1][0] = 5; let k = fn() => g[1][0] + c; k()
    let lt = list_of(Type::Int);
    let llt = list_of(lt.clone());
    let mut f = F::new();
    let c = f.param("c", Type::Int);
    let g = f.var("g", llt.clone(), true);
    let k = f.var("k", Type::Fn(vec![], Box::new(Type::Int)), false);
    let row = || ex(ExprKind::List(vec![int(0), int(0)]), lt.clone());
    let fnty = Type::Fn(vec![], Box::new(Type::Int));
    // The lambda: captures (g, c) into its locals 0 and 1.
    let mut lam = F::new();
    let lg = lam.var("g", llt.clone(), false);
    let lc = lam.var("c", Type::Int, false);
    let index = |kind, base: Expr, i: Expr, ty: Type| {
        ex(
            ExprKind::Index {
                kind,
                base: Box::new(base),
                index: Box::new(i),
            },
            ty,
        )
    };
    let lam_body = bin(
        BinOp::IntAdd,
        index(
            IndexKind::List,
            index(IndexKind::List, loc(lg, llt.clone()), int(1), lt.clone()),
            int(0),
            Type::Int,
        ),
        loc(lc, Type::Int),
        Type::Int,
    );
    let mut lam = lam.build("<lambda>", Type::Int, lam_body);
    lam.kind = FuncKind::Lambda;
    lam.captures = vec![lg, lc];
    let body = block(vec![
        let_(
            g,
            llt.clone(),
            ex(ExprKind::List(vec![row(), row()]), llt.clone()),
        ),
        assign(
            g,
            vec![PlaceElem::ListIndex(int(1)), PlaceElem::ListIndex(int(0))],
            int(5),
        ),
        let_(
            k,
            fnty.clone(),
            ex(
                ExprKind::Closure {
                    func: 1,
                    captures: vec![loc(g, llt.clone()), loc(c, Type::Int)],
                },
                fnty.clone(),
            ),
        ),
        at(
            ex(
                ExprKind::CallValue {
                    callee: Box::new(loc(k, fnty.clone())),
                    args: vec![],
                },
                Type::Int,
            ),
            9,
            5,
        ),
    ]);
    let m = compile(&program(vec![], vec![f.build("f", Type::Int, body), lam]));
    assert_eq!(run(&m, "f", vec![Value::Int(100)]), Value::Int(105));
    let cell = &m.cells[0];
    let call = cell
        .code
        .iter()
        .position(|i| matches!(i, Instr::CallValue { .. }))
        .unwrap();
    assert_eq!(cell.pos[call], Pos { line: 9, col: 5 });
    assert!(cell.code.iter().any(|i| matches!(
        i,
        Instr::MakeClosure {
            cell: 1,
            argc: 2,
            ..
        }
    )));
}

#[test]
fn for_over_string_and_map_uses_builtins() {
    // let mut n = 0; for ch in s: n = n + 1 end; for (k, v) in m: n = n + v end; n
    let mt = Type::Map(Box::new(Type::Str), Box::new(Type::Int));
    let tt = Type::Tuple(vec![Type::Str, Type::Int]);
    let mut f = F::new();
    let sp = f.param("s", Type::Str);
    let mp = f.param("m", mt.clone());
    let n = f.var("n", Type::Int, true);
    let ch = f.var("ch", Type::Str, false);
    let v = f.var("v", Type::Int, false);
    let inc = |e: Expr| {
        assign(
            n,
            vec![],
            bin(BinOp::IntAdd, loc(n, Type::Int), e, Type::Int),
        )
    };
    let body = block(vec![
        let_(n, Type::Int, int(0)),
        ex(
            ExprKind::For {
                id: 0,
                pattern: bind(ch, Type::Str),
                source: ForSource::Str(Box::new(loc(sp, Type::Str))),
                filter: None,
                body: Box::new(inc(int(1))),
            },
            Type::Null,
        ),
        ex(
            ExprKind::For {
                id: 1,
                pattern: pat(
                    PatternKind::Tuple(vec![
                        pat(PatternKind::Wildcard, Type::Str),
                        bind(v, Type::Int),
                    ]),
                    tt,
                ),
                source: ForSource::Map(Box::new(loc(mp, mt.clone()))),
                filter: Some(Box::new(bin(
                    BinOp::IntGt,
                    loc(v, Type::Int),
                    int(1),
                    Type::Bool,
                ))),
                body: Box::new(inc(loc(v, Type::Int))),
            },
            Type::Null,
        ),
        loc(n, Type::Int),
    ]);
    let m = compile(&program(vec![], vec![f.build("f", Type::Int, body)]));
    let code = &m.cells[0].code;
    for b in [Builtin::Chars, Builtin::Entries] {
        assert!(
            code.iter()
                .any(|i| matches!(i, Instr::CallBuiltin { builtin, .. } if *builtin == b))
        );
    }
    let mut entries = lumen_core::value::Entries::new();
    for (k, val) in [("a", 1), ("b", 5), ("c", 7)] {
        entries.insert(
            lumen_core::value::MapKey::str(std::rc::Rc::new(lumen_core::value::Str::new(k.into()))),
            Value::Int(val),
        );
    }
    let map = Value::Map(std::rc::Rc::new(lumen_core::value::Map { entries }));
    assert_eq!(run(&m, "f", vec![Value::str("héllo"), map]), Value::Int(17));
}

#[test]
fn conditions_short_circuit_and_values_of_statements_are_null() {
    // cell f(x: Int?) -> Bool: (x is Int) and x! > 3   — Unwrap only runs when x is an Int
    let ni = Type::Union(vec![Type::Int, Type::Null]);
    let mut f = F::new();
    let x = f.param("x", ni.clone());
    let body = ex(
        ExprKind::And(
            Box::new(ex(
                ExprKind::Is(Box::new(loc(x, ni.clone())), TypeTest::Int),
                Type::Bool,
            )),
            Box::new(bin(
                BinOp::IntGt,
                ex(ExprKind::Unwrap(Box::new(loc(x, ni.clone()))), Type::Int),
                int(3),
                Type::Bool,
            )),
        ),
        Type::Bool,
    );
    // cell g() -> Null: let y = 1   (a body ending in a statement yields null)
    let mut g = F::new();
    let y = g.var("y", Type::Int, false);
    let gbody = block(vec![let_(y, Type::Int, int(1))]);
    let m = compile(&program(
        vec![],
        vec![
            f.build("f", Type::Bool, body),
            g.build("g", Type::Null, gbody),
        ],
    ));
    assert_eq!(run(&m, "f", vec![Value::Null]), Value::Bool(false));
    assert_eq!(run(&m, "f", vec![Value::Int(2)]), Value::Bool(false));
    assert_eq!(run(&m, "f", vec![Value::Int(9)]), Value::Bool(true));
    assert!(matches!(run(&m, "g", vec![]), Value::Null));
}

#[test]
fn operands_keep_left_to_right_order_when_a_later_one_assigns() {
    // let mut x = 1
    // let y = x + match 0  _ -> { x = 10; 1 }    → 1 + 1, not 10 + 1
    // let mut b = true
    // b = false or b                              → true (reads the old b)
    // y * 100 + x + (if b then 1000 else 0)
    let mut f = F::new();
    let x = f.var("x", Type::Int, true);
    let y = f.var("y", Type::Int, false);
    let b = f.var("b", Type::Bool, true);
    let arm_body = block(vec![assign(x, vec![], int(10)), int(1)]);
    let m = ex(
        ExprKind::Match {
            scrutinee: Box::new(int(0)),
            arms: vec![Arm {
                pattern: pat(PatternKind::Wildcard, Type::Int),
                guard: None,
                body: arm_body,
            }],
        },
        Type::Int,
    );
    let body = block(vec![
        let_(x, Type::Int, int(1)),
        let_(
            y,
            Type::Int,
            bin(BinOp::IntAdd, loc(x, Type::Int), m, Type::Int),
        ),
        let_(b, Type::Bool, ex(ExprKind::Bool(true), Type::Bool)),
        assign(
            b,
            vec![],
            ex(
                ExprKind::Or(
                    Box::new(ex(ExprKind::Bool(false), Type::Bool)),
                    Box::new(loc(b, Type::Bool)),
                ),
                Type::Bool,
            ),
        ),
        bin(
            BinOp::IntAdd,
            bin(
                BinOp::IntAdd,
                bin(BinOp::IntMul, loc(y, Type::Int), int(100), Type::Int),
                loc(x, Type::Int),
                Type::Int,
            ),
            ex(
                ExprKind::If {
                    cond: Box::new(loc(b, Type::Bool)),
                    then_branch: Box::new(int(1000)),
                    else_branch: Some(Box::new(int(0))),
                },
                Type::Int,
            ),
            Type::Int,
        ),
    ]);
    let m = compile(&program(vec![], vec![f.build("f", Type::Int, body)]));
    assert_eq!(run(&m, "f", vec![]), Value::Int(200 + 10 + 1000));
}

#[test]
fn a_null_cell_discards_its_tail_value() {
    // cell f() -> Null: 1 + 2   (the tail value is discarded, §3.1)
    let f = F::new();
    let body = block(vec![bin(BinOp::IntAdd, int(1), int(2), Type::Int)]);
    let m = compile(&program(vec![], vec![f.build("f", Type::Null, body)]));
    assert!(matches!(run(&m, "f", vec![]), Value::Null));
}

#[test]
fn coalesce_on_a_null_typed_operand_gives_the_right_operand() {
    // cell f() -> Int: null ?? 3 — the left operand is never a value (§5.8).
    let body = ex(
        ExprKind::Coalesce(Box::new(ex(ExprKind::Null, Type::Null)), Box::new(int(3))),
        Type::Int,
    );
    let m = compile(&program(vec![], vec![F::new().build("f", Type::Int, body)]));
    assert_eq!(run(&m, "f", vec![]), Value::Int(3));
}

#[test]
fn payload_free_variants_are_one_shared_constant() {
    // `Empty` is loaded from the constant pool (no allocation), the same constant at
    // every site; values, equality and display are those of fresh variants.
    let src = "enum Tree\n  Empty\n  Node(Tree, Tree)\nend\n\
               cell leaf() -> Tree\n  Node(Empty, Empty)\nend\n\
               cell main()\n  let t = leaf()\n  print(t, t == Node(Empty, Empty), Empty == Empty)\nend\n";
    let m = crate::compile(src).expect("compiles");
    let sites: Vec<u32> = m
        .cells
        .iter()
        .flat_map(|c| &c.code)
        .filter_map(|i| match *i {
            Instr::LoadConst { idx, .. } if matches!(m.consts[idx as usize], Value::Variant(_)) => {
                Some(idx)
            }
            _ => None,
        })
        .collect();
    assert!(sites.len() >= 4, "{sites:?}");
    assert!(sites.iter().all(|&i| i == sites[0]), "{sites:?}");
    assert!(
        !m.cells
            .iter()
            .flat_map(|c| &c.code)
            .any(|i| matches!(i, Instr::VariantNew { tag: 0, .. }))
    );
    let want = Value::Variant(std::rc::Rc::new(lumen_core::value::Variant {
        type_id: 0,
        tag: 1,
        payload: vec![m.consts[sites[0] as usize].clone(); 2],
    }));
    assert_eq!(run(&m, "leaf", vec![]), want);
}

#[test]
fn direct_higher_order_calls_are_loops_calling_the_function() {
    // Each call becomes a loop with one `CallValue` and no builtin call; the results are
    // the builtins' (§9: map, filter, reduce, any, all, find).
    let src = "cell six() -> String\n  let xs = [3, 1, 2]\n  \
               \"{map(xs, fn(x: Int) => x + 1)} {filter(xs, fn(x: Int) => x > 1)} \
               {reduce(xs, fn(a: Int, x: Int) => a * 10 + x, 0)} {any(xs, fn(x: Int) => x > 2)} \
               {all(xs, fn(x: Int) => x > 2)} {find(xs, fn(x: Int) => x < 3)}\"\nend\n\
               cell main()\nend\n";
    let m = crate::compile(src).expect("compiles");
    let six = &m.cells[m.find_cell("six").expect("six") as usize];
    let higher = [
        Builtin::Map,
        Builtin::Filter,
        Builtin::Reduce,
        Builtin::Any,
        Builtin::All,
        Builtin::Find,
    ];
    assert!(
        !six.code
            .iter()
            .any(|i| matches!(i, Instr::CallBuiltin { builtin, .. } if higher.contains(builtin))),
        "{}",
        lumen_core::dump::dump(&m)
    );
    let calls = six
        .code
        .iter()
        .filter(|i| matches!(i, Instr::CallValue { .. }))
        .count();
    assert_eq!(calls, 6);
    assert_eq!(
        run(&m, "six", vec![]),
        Value::str("[4, 2, 3] [3, 2] 312 true false 1")
    );
}
