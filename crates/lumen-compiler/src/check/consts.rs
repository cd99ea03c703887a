//! Constant evaluation (§3.5): constants and parameter/field defaults are checked like
//! expressions and evaluated at compile time with the run-time semantics of
//! `lumen_core::ops`; a runtime error there is a compile error.

use super::Checker;
use super::env::FnCtx;
use super::types::{err, has_err, has_never, is_err};
use crate::ast::{self, Span};
use crate::hir::{self, BinOp as H, ConstId, ExprKind as K};
use crate::types::Type;
use lumen_core::error::RtError;
use lumen_core::lir::{LirModule, TypeDef, TypeTest, VariantDef};
use lumen_core::ops;
use lumen_core::value::{Map, Record, Value, Variant};
use std::collections::HashMap;
use std::rc::Rc;

/// Why a constant could not be evaluated.
enum Fail {
    /// Not a constant expression (a call, a lambda, …) at this position.
    NotConst(Span),
    /// A runtime error.
    Rt(RtError),
}

impl From<RtError> for Fail {
    fn from(e: RtError) -> Fail {
        Fail::Rt(e)
    }
}

type Eval<T> = Result<T, Fail>;

impl<'a> Checker<'a> {
    /// Type and value id of constant `i`, evaluating it on first use.
    pub(super) fn eval_const(&mut self, i: usize) -> (Type, Option<ConstId>) {
        if let Some(d) = &self.consts[i].done {
            return d.clone();
        }
        let decl = self.consts[i].decl;
        if self.consts[i].busy {
            self.error(
                decl.name.span,
                format!("constant '{}' depends on itself", decl.name.name),
            );
            self.consts[i].done = Some((err(), None));
            return (err(), None);
        }
        self.consts[i].busy = true;
        let ann = decl.ty.as_ref().map(|t| self.resolve_type(t));
        let r = self.const_expr(&decl.value, ann, decl.name.span);
        self.consts[i].busy = false;
        if self.consts[i].done.is_none() {
            self.consts[i].done = Some(r);
        }
        self.consts[i].done.clone().unwrap_or((err(), None))
    }

    /// A parameter or field default of type `ty`.
    pub(super) fn eval_default(&mut self, e: &ast::Expr, ty: &Type) -> Option<ConstId> {
        self.const_expr(e, Some(ty.clone()), e.span).1
    }

    fn const_expr(
        &mut self,
        e: &ast::Expr,
        ann: Option<Type>,
        at: Span,
    ) -> (Type, Option<ConstId>) {
        let saved_ctxs = std::mem::replace(&mut self.ctxs, vec![FnCtx::new(u32::MAX, false, None)]);
        let saved_or = std::mem::take(&mut self.or_reuse);
        let before = self.diags.len();
        let x = self.expr(e, ann.as_ref());
        let ty = match ann {
            Some(a) => {
                self.blame(&x, &a);
                a
            }
            None => {
                if has_never(&x.ty) && !has_err(&x.ty) {
                    self.error(e.span, "cannot infer type; add an annotation");
                    err()
                } else {
                    x.ty.clone()
                }
            }
        };
        self.ctxs = saved_ctxs;
        self.or_reuse = saved_or;
        if self.diags.len() > before || is_err(&ty) {
            return (err(), None);
        }
        if matches!(ty, Type::Fn(..)) {
            self.error(e.span, "a constant cannot be a function");
            return (err(), None);
        }
        let module = self.display_module();
        let mut env = HashMap::new();
        match eval(&x, &self.const_values, &module, &mut env) {
            Ok(v) => {
                self.const_values.push(v);
                (ty, Some((self.const_values.len() - 1) as ConstId))
            }
            Err(Fail::NotConst(s)) => {
                self.error(s, "not a constant expression");
                (err(), None)
            }
            Err(Fail::Rt(r)) => {
                self.error(at, r.to_string());
                (err(), None)
            }
        }
    }

    /// A module holding only the type table (names for displaying values).
    fn display_module(&self) -> LirModule {
        let mut m = LirModule::default();
        m.types.defs = self
            .decls
            .iter()
            .map(|d| {
                if d.is_record {
                    TypeDef::Record {
                        name: d.name.clone(),
                        fields: d.fields.iter().map(|f| f.0.clone()).collect(),
                    }
                } else {
                    TypeDef::Enum {
                        name: d.name.clone(),
                        variants: d
                            .variants
                            .iter()
                            .map(|(n, p)| VariantDef {
                                name: n.clone(),
                                arity: p.len() as u32,
                            })
                            .collect(),
                    }
                }
            })
            .collect();
        m
    }
}

/// Evaluates a checked constant expression (`env` holds its `let` temporaries).
fn eval(
    e: &hir::Expr,
    consts: &[Value],
    m: &LirModule,
    env: &mut HashMap<u32, Value>,
) -> Eval<Value> {
    let ev = |x: &hir::Expr, env: &mut HashMap<u32, Value>| eval(x, consts, m, env);
    Ok(match &e.kind {
        K::Int(i) => Value::Int(*i),
        K::Float(f) => Value::Float(*f),
        K::Bool(b) => Value::Bool(*b),
        K::Str(s) => Value::str(s.clone()),
        K::Null => Value::Null,
        K::Const(c) => consts
            .get(*c as usize)
            .cloned()
            .ok_or(Fail::NotConst(e.span))?,
        K::Local(l) => env.get(l).cloned().ok_or(Fail::NotConst(e.span))?,
        K::Unary(op, x) => {
            let v = ev(x, env)?;
            match (op, v) {
                (hir::UnOp::IntNeg, Value::Int(i)) => Value::Int(ops::int_neg(i)?),
                (hir::UnOp::FloatNeg, Value::Float(f)) => Value::Float(-f),
                (hir::UnOp::Not, Value::Bool(b)) => Value::Bool(!b),
                (hir::UnOp::BitNot, Value::Int(i)) => Value::Int(!i),
                _ => return Err(Fail::NotConst(e.span)),
            }
        }
        K::Binary(op, l, r) => {
            let a = ev(l, env)?;
            let b = ev(r, env)?;
            binary(*op, a, b).ok_or(Fail::NotConst(e.span))??
        }
        K::IntToFloat(x) => match ev(x, env)? {
            Value::Int(i) => Value::Float(i as f64),
            v => v,
        },
        K::FloatToInt(x) => match ev(x, env)? {
            Value::Float(f) => Value::Int(ops::float_to_int(f)?),
            v => v,
        },
        K::And(l, r) => match ev(l, env)? {
            Value::Bool(true) => ev(r, env)?,
            v => v,
        },
        K::Or(l, r) => match ev(l, env)? {
            Value::Bool(false) => ev(r, env)?,
            v => v,
        },
        K::Coalesce(l, r) => match ev(l, env)? {
            Value::Null => ev(r, env)?,
            v => v,
        },
        K::Unwrap(x) => match ev(x, env)? {
            Value::Null => return Err(Fail::Rt(RtError::NullValue)),
            v => v,
        },
        K::Is(x, test) => Value::Bool(tag_matches(&ev(x, env)?, *test)),
        K::If {
            cond,
            then_branch,
            else_branch,
        } => match ev(cond, env)? {
            Value::Bool(true) => ev(then_branch, env)?,
            _ => match else_branch {
                Some(b) => ev(b, env)?,
                None => Value::Null,
            },
        },
        K::Block(xs) => {
            let mut last = Value::Null;
            for x in xs {
                last = ev(x, env)?;
            }
            last
        }
        K::Let { pattern, value } => {
            let v = ev(value, env)?;
            match pattern.kind {
                hir::PatternKind::Bind(l) => {
                    env.insert(l, v);
                }
                _ => return Err(Fail::NotConst(e.span)),
            }
            Value::Null
        }
        K::List(xs) => Value::list(xs.iter().map(|x| ev(x, env)).collect::<Eval<_>>()?),
        K::Tuple(xs) => Value::tuple(xs.iter().map(|x| ev(x, env)).collect::<Eval<_>>()?),
        K::Map(kvs) => {
            let mut map = Map::default();
            for (k, v) in kvs {
                let k = ev(k, env)?;
                let v = ev(v, env)?;
                map.entries.insert(ops::map_key(&k)?, v);
            }
            Value::Map(Rc::new(map))
        }
        K::Range { lo, hi, inclusive } => {
            let (Value::Int(a), Value::Int(b)) = (ev(lo, env)?, ev(hi, env)?) else {
                return Err(Fail::NotConst(e.span));
            };
            let end = if *inclusive { b.saturating_add(1) } else { b };
            if end.saturating_sub(a) > 10_000_000 {
                return Err(Fail::NotConst(e.span));
            }
            Value::list((a..end.max(a)).map(Value::Int).collect())
        }
        K::Record { type_id, fields } => Value::Record(Rc::new(Record {
            type_id: *type_id,
            fields: fields.iter().map(|x| ev(x, env)).collect::<Eval<_>>()?,
        })),
        K::Variant {
            type_id,
            tag,
            payload,
        } => Value::Variant(Rc::new(Variant {
            type_id: *type_id,
            tag: *tag,
            payload: payload.iter().map(|x| ev(x, env)).collect::<Eval<_>>()?,
        })),
        K::Ok(x) => Value::ok(ev(x, env)?),
        K::Err(x) => Value::err(ev(x, env)?),
        K::Index { base, index, .. } => {
            let b = ev(base, env)?;
            let i = ev(index, env)?;
            match (&b, &i) {
                (Value::List(l), Value::Int(i)) => usize::try_from(*i)
                    .ok()
                    .and_then(|i| l.items.get(i).cloned())
                    .ok_or(Fail::Rt(RtError::IndexOutOfBounds))?,
                (Value::Str(s), Value::Int(i)) => usize::try_from(*i)
                    .ok()
                    .and_then(|i| s.as_str().chars().nth(i))
                    .map(|c| Value::str(c.to_string()))
                    .ok_or(Fail::Rt(RtError::IndexOutOfBounds))?,
                (Value::Map(m), k) => m
                    .entries
                    .get(&ops::map_key(k)?)
                    .cloned()
                    .ok_or(Fail::Rt(RtError::KeyNotFound))?,
                _ => return Err(Fail::NotConst(e.span)),
            }
        }
        K::Field { base, index } => match ev(base, env)? {
            Value::Record(r) => r
                .fields
                .get(*index as usize)
                .cloned()
                .ok_or(Fail::NotConst(e.span))?,
            _ => return Err(Fail::NotConst(e.span)),
        },
        K::TupleGet { base, index } => match ev(base, env)? {
            Value::Tuple(t) => t
                .items
                .get(*index as usize)
                .cloned()
                .ok_or(Fail::NotConst(e.span))?,
            _ => return Err(Fail::NotConst(e.span)),
        },
        K::Interp(parts) => {
            let mut s = String::new();
            for p in parts {
                let v = ev(p, env)?;
                lumen_core::display::write_value(&mut s, &v, m)?;
            }
            Value::str(s)
        }
        _ => return Err(Fail::NotConst(e.span)),
    })
}

/// A binary operator on constant values (`None` for operands of unexpected kinds).
fn binary(op: H, a: Value, b: Value) -> Option<Result<Value, Fail>> {
    use Value::{Bool, Float, Int};
    let r = |x: Result<i64, RtError>| Some(x.map(Int).map_err(Fail::Rt));
    let f = |x: f64| Some(Ok(Float(x)));
    let bo = |x: bool| Some(Ok(Bool(x)));
    match (op, &a, &b) {
        (H::IntAdd, Int(x), Int(y)) => r(ops::int_add(*x, *y)),
        (H::IntSub, Int(x), Int(y)) => r(ops::int_sub(*x, *y)),
        (H::IntMul, Int(x), Int(y)) => r(ops::int_mul(*x, *y)),
        (H::IntDiv, Int(x), Int(y)) => r(ops::int_div(*x, *y)),
        (H::IntFloorDiv, Int(x), Int(y)) => r(ops::int_floor_div(*x, *y)),
        (H::IntMod, Int(x), Int(y)) => r(ops::int_mod(*x, *y)),
        (H::IntPow, Int(x), Int(y)) => r(ops::int_pow(*x, *y)),
        (H::BitAnd, Int(x), Int(y)) => r(Ok(x & y)),
        (H::BitOr, Int(x), Int(y)) => r(Ok(x | y)),
        (H::BitXor, Int(x), Int(y)) => r(Ok(x ^ y)),
        (H::Shl, Int(x), Int(y)) => r(Ok(ops::int_shl(*x, *y))),
        (H::Shr, Int(x), Int(y)) => r(Ok(ops::int_shr(*x, *y))),
        (H::FloatAdd, Float(x), Float(y)) => f(x + y),
        (H::FloatSub, Float(x), Float(y)) => f(x - y),
        (H::FloatMul, Float(x), Float(y)) => f(x * y),
        (H::FloatDiv, Float(x), Float(y)) => f(x / y),
        (H::FloatFloorDiv, Float(x), Float(y)) => f(ops::float_floor_div(*x, *y)),
        (H::FloatMod, Float(x), Float(y)) => f(ops::float_mod(*x, *y)),
        (H::FloatPow, Float(x), Float(y)) => f(ops::float_pow(*x, *y)),
        (H::IntLt, Int(x), Int(y)) => bo(x < y),
        (H::IntLe, Int(x), Int(y)) => bo(x <= y),
        (H::IntGt, Int(x), Int(y)) => bo(x > y),
        (H::IntGe, Int(x), Int(y)) => bo(x >= y),
        (H::FloatLt, Float(x), Float(y)) => bo(x < y),
        (H::FloatLe, Float(x), Float(y)) => bo(x <= y),
        (H::FloatGt, Float(x), Float(y)) => bo(x > y),
        (H::FloatGe, Float(x), Float(y)) => bo(x >= y),
        (H::StrLt | H::StrLe | H::StrGt | H::StrGe, Value::Str(x), Value::Str(y)) => {
            let o = x.as_str().cmp(y.as_str());
            bo(match op {
                H::StrLt => o.is_lt(),
                H::StrLe => o.is_le(),
                H::StrGt => o.is_gt(),
                _ => o.is_ge(),
            })
        }
        (H::StrConcat, Value::Str(x), Value::Str(y)) => {
            Some(Ok(Value::str(format!("{}{}", x.as_str(), y.as_str()))))
        }
        (H::ListConcat, Value::List(x), Value::List(y)) => {
            let mut items = x.items.clone();
            items.extend(y.items.iter().cloned());
            Some(Ok(Value::list(items)))
        }
        (H::Eq, _, _) => Some(ops::values_equal(&a, &b).map(Bool).map_err(Fail::Rt)),
        (H::Ne, _, _) => Some(
            ops::values_equal(&a, &b)
                .map(|x| Bool(!x))
                .map_err(Fail::Rt),
        ),
        (H::InList, _, Value::List(l)) => {
            for x in &l.items {
                match ops::values_equal(&a, x) {
                    Ok(true) => return bo(true),
                    Ok(false) => {}
                    Err(e) => return Some(Err(Fail::Rt(e))),
                }
            }
            bo(false)
        }
        (H::InMap, _, Value::Map(m)) => match ops::map_key(&a) {
            Ok(k) => bo(m.entries.contains_key(&k)),
            Err(_) => bo(false),
        },
        (H::InStr, Value::Str(x), Value::Str(y)) => bo(y.as_str().contains(x.as_str())),
        _ => None,
    }
}

/// Whether a value's runtime tag passes a type test.
fn tag_matches(v: &Value, t: TypeTest) -> bool {
    match (v, t) {
        (Value::Int(_), TypeTest::Int)
        | (Value::Float(_), TypeTest::Float)
        | (Value::Bool(_), TypeTest::Bool)
        | (Value::Str(_), TypeTest::Str)
        | (Value::Null, TypeTest::Null)
        | (Value::List(_), TypeTest::List)
        | (Value::Map(_), TypeTest::Map)
        | (Value::Tuple(_), TypeTest::Tuple)
        | (Value::Ok(_) | Value::Err(_), TypeTest::Result)
        | (Value::Fn(_), TypeTest::Fn) => true,
        (Value::Record(r), TypeTest::Record(id)) => r.type_id == id,
        (Value::Variant(v), TypeTest::Enum(id)) => v.type_id == id,
        (Value::Variant(v), TypeTest::Variant(id, tag)) => v.type_id == id && v.tag == tag,
        _ => false,
    }
}
