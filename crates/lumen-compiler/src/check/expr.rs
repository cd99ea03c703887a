//! Expressions (§5): literals, names, operators, access, literals of collections,
//! conditionals, `when`, comprehensions, `?.`, `as`, lambdas.

use super::env::FnCtx;
use super::types::{self, assignable, err, has_err, is_err, join, join_all, members, strip_null};
use super::{Checker, TypeSym, ValueSym};
use crate::ast::{self, BinOp as A, Span};
use crate::hir::{self, BinOp as H, ExprKind as K};
use crate::types::Type;
use lumen_core::lir::TypeTest;

/// Builds a HIR expression.
pub(super) fn mk(kind: K, ty: Type, span: Span) -> hir::Expr {
    hir::Expr { kind, ty, span }
}

/// A placeholder for an expression whose checking failed.
pub(super) fn err_expr(span: Span) -> hir::Expr {
    mk(K::Null, err(), span)
}

/// True for expressions without effects whose evaluation order does not matter.
pub(super) fn is_pure(e: &hir::Expr) -> bool {
    matches!(
        e.kind,
        K::Int(_)
            | K::Float(_)
            | K::Bool(_)
            | K::Str(_)
            | K::Null
            | K::Const(_)
            | K::Local(_)
            | K::FuncRef(_)
    )
}

/// Int → Float conversion of an operand (identity on other types).
pub(super) fn to_float(e: hir::Expr) -> hir::Expr {
    if e.ty == Type::Int {
        let span = e.span;
        mk(K::IntToFloat(Box::new(e)), Type::Float, span)
    } else {
        e
    }
}

/// The first member of `t` (if any) accepted by `f`.
pub(super) fn find_member<T>(t: Option<&Type>, f: impl Fn(&Type) -> Option<T>) -> Option<T> {
    members(t?).iter().find_map(f)
}

/// Int, Float, or `Never` (which fits either).
fn is_num(t: &Type) -> bool {
    matches!(t, Type::Int | Type::Float | Type::Never)
}

impl<'a> Checker<'a> {
    /// Checks an expression; `expected` only resolves variants and generic cell values.
    pub(super) fn expr(&mut self, e: &ast::Expr, expected: Option<&Type>) -> hir::Expr {
        let span = e.span;
        match &e.kind {
            ast::ExprKind::Int(v) => mk(K::Int(*v), Type::Int, span),
            ast::ExprKind::Float(v) => mk(K::Float(*v), Type::Float, span),
            ast::ExprKind::Str(s) => mk(K::Str(s.clone()), Type::Str, span),
            ast::ExprKind::Bool(b) => mk(K::Bool(*b), Type::Bool, span),
            ast::ExprKind::Null => mk(K::Null, Type::Null, span),
            ast::ExprKind::Interp(parts) => {
                let parts = parts
                    .iter()
                    .map(|p| match p {
                        ast::StrPart::Text(t) => mk(K::Str(t.clone()), Type::Str, span),
                        ast::StrPart::Expr(x) => self.expr(x, None),
                    })
                    .collect();
                mk(K::Interp(parts), Type::Str, span)
            }
            ast::ExprKind::Ident(name) => self.ident(name, span, expected),
            ast::ExprKind::SelfValue => match self.lookup_local("self") {
                Some(b) => self.read(b.local, b.ty, span),
                None => {
                    self.error(span, "'self' outside an enum method");
                    err_expr(span)
                }
            },
            ast::ExprKind::Unary(op, x) => {
                let x = self.expr(x, None);
                self.unary(*op, x, span)
            }
            ast::ExprKind::Binary(A::And | A::Or, l, r) => {
                let is_and = matches!(e.kind, ast::ExprKind::Binary(A::And, ..));
                let le = self.cond(l);
                let (t, f) = self.facts(l);
                self.push_bindings(if is_and { t } else { f });
                let re = self.cond(r);
                self.pop_scope();
                let kind = if is_and {
                    K::And(Box::new(le), Box::new(re))
                } else {
                    K::Or(Box::new(le), Box::new(re))
                };
                mk(kind, Type::Bool, span)
            }
            ast::ExprKind::Binary(A::Coalesce, l, r) => {
                let exp_l = expected.map(|t| types::nullable(t.clone()));
                let le = self.expr(l, exp_l.as_ref());
                let re = self.expr(r, expected);
                let ty = join(&strip_null(&le.ty), &re.ty);
                mk(K::Coalesce(Box::new(le), Box::new(re)), ty, span)
            }
            ast::ExprKind::Binary(op, l, r) => {
                let le = self.expr(l, None);
                let re = self.expr(r, None);
                self.binop(*op, le, re, span)
            }
            ast::ExprKind::Is(x, tn) => {
                let x = self.expr(x, None);
                match self.resolve_test(tn, Some(&x.ty)) {
                    Ok(test) => mk(K::Is(Box::new(x), test), Type::Bool, span),
                    Err((s, m)) => {
                        self.error(s, m);
                        mk(K::Bool(false), Type::Bool, span)
                    }
                }
            }
            ast::ExprKind::As(x, tn) => {
                let x = self.expr(x, None);
                self.convert(x, tn, span)
            }
            ast::ExprKind::Range { lo, hi, inclusive } => {
                let lo = self.expr(lo, None);
                let hi = self.expr(hi, None);
                self.blame(&lo, &Type::Int);
                self.blame(&hi, &Type::Int);
                mk(
                    K::Range {
                        lo: Box::new(lo),
                        hi: Box::new(hi),
                        inclusive: *inclusive,
                    },
                    Type::List(Box::new(Type::Int)),
                    span,
                )
            }
            ast::ExprKind::Pipe(a, f) => {
                let first = ast::Arg {
                    name: None,
                    value: (**a).clone(),
                };
                let (callee, args) = match &f.kind {
                    ast::ExprKind::Call { callee, args } => {
                        let mut all = vec![first];
                        all.extend(args.iter().cloned());
                        ((**callee).clone(), all)
                    }
                    _ => ((**f).clone(), vec![first]),
                };
                // `a |> f(args)` is the call `f(a, args)`: its position is the callee's.
                let at = callee.span;
                self.call(&callee, &args, at, expected)
            }
            ast::ExprKind::Call { callee, args } => self.call(callee, args, span, expected),
            ast::ExprKind::Field { base, field } => {
                if let Some(r) = self.qualified_variant(base, field) {
                    return match r {
                        Some((id, tag)) => self.variant_value(id, tag, span),
                        None => err_expr(span),
                    };
                }
                let recv = self.expr(base, None);
                self.field_access(recv, field, span)
            }
            ast::ExprKind::OptField { base, field } => {
                let recv = self.expr(base, None);
                self.opt_chain(recv, span, |c, r| c.field_access(r, field, span))
            }
            ast::ExprKind::OptCall { base, method, args } => {
                let recv = self.expr(base, None);
                self.opt_chain(recv, span, |c, r| c.method_call(r, method, args, span))
            }
            ast::ExprKind::Index { base, index } => {
                let b = self.expr(base, None);
                let i = self.expr(index, None);
                self.index(b, i, span)
            }
            ast::ExprKind::Unwrap(x) => {
                let exp = expected.map(|t| types::nullable(t.clone()));
                let x = self.expr(x, exp.as_ref());
                let ty = strip_null(&x.ty);
                mk(K::Unwrap(Box::new(x)), ty, span)
            }
            ast::ExprKind::Ok(x) | ast::ExprKind::Err(x) => {
                let is_ok = matches!(e.kind, ast::ExprKind::Ok(_));
                let exp = find_member(expected, |m| match m {
                    Type::Result(t, e) => Some(if is_ok { (**t).clone() } else { (**e).clone() }),
                    _ => None,
                });
                let x = self.expr(x, exp.as_ref());
                if is_ok {
                    let ty = Type::Result(Box::new(x.ty.clone()), Box::new(Type::Never));
                    mk(K::Ok(Box::new(x)), ty, span)
                } else {
                    let ty = Type::Result(Box::new(Type::Never), Box::new(x.ty.clone()));
                    mk(K::Err(Box::new(x)), ty, span)
                }
            }
            ast::ExprKind::List(items) => {
                let exp = find_member(expected, |m| match m {
                    Type::List(t) => Some((**t).clone()),
                    _ => None,
                });
                let items: Vec<hir::Expr> =
                    items.iter().map(|i| self.expr(i, exp.as_ref())).collect();
                let ty = join_all(items.iter().map(|i| &i.ty));
                mk(K::List(items), Type::List(Box::new(ty)), span)
            }
            ast::ExprKind::Map(entries) => {
                let exp = find_member(expected, |m| match m {
                    Type::Map(k, v) => Some(((**k).clone(), (**v).clone())),
                    _ => None,
                });
                let mut out = Vec::new();
                for (k, v) in entries {
                    let ke = self.expr(k, exp.as_ref().map(|p| &p.0));
                    let ve = self.expr(v, exp.as_ref().map(|p| &p.1));
                    if !is_err(&ke.ty)
                        && !matches!(ke.ty, Type::Int | Type::Str | Type::Never | Type::Param(..))
                    {
                        let msg = format!(
                            "map keys must be Int or String, found {}",
                            self.show(&ke.ty)
                        );
                        self.error(ke.span, msg);
                    }
                    out.push((ke, ve));
                }
                let kt = join_all(out.iter().map(|(k, _)| &k.ty));
                if let Type::Union(ms) = &kt
                    && ms.iter().all(|m| matches!(m, Type::Int | Type::Str))
                {
                    let msg = format!("map keys must be Int or String, found {}", self.show(&kt));
                    self.error(span, msg);
                }
                let vt = join_all(out.iter().map(|(_, v)| &v.ty));
                mk(K::Map(out), Type::Map(Box::new(kt), Box::new(vt)), span)
            }
            ast::ExprKind::Tuple(items) => {
                let exp = find_member(expected, |m| match m {
                    Type::Tuple(ts) if ts.len() == items.len() => Some(ts.clone()),
                    _ => None,
                });
                let items: Vec<hir::Expr> = items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| self.expr(x, exp.as_ref().and_then(|ts| ts.get(i))))
                    .collect();
                let ty = Type::Tuple(items.iter().map(|i| i.ty.clone()).collect());
                mk(K::Tuple(items), ty, span)
            }
            ast::ExprKind::Comprehension {
                elem,
                pattern,
                iter,
                filter,
            } => self.comprehension(elem, pattern, iter, filter.as_deref(), span),
            ast::ExprKind::If {
                cond,
                then_branch,
                else_branch,
            } => {
                let c = self.cond(cond);
                let (t, f) = self.facts(cond);
                self.push_bindings(t);
                let th = self.expr(then_branch, expected);
                self.pop_scope();
                self.push_bindings(f);
                let el = self.expr(else_branch, expected);
                self.pop_scope();
                let ty = join(&th.ty, &el.ty);
                mk(
                    K::If {
                        cond: Box::new(c),
                        then_branch: Box::new(th),
                        else_branch: Some(Box::new(el)),
                    },
                    ty,
                    span,
                )
            }
            ast::ExprKind::Match { scrutinee, arms } => {
                self.match_expr(scrutinee, arms, span, expected)
            }
            ast::ExprKind::When { arms } => self.when_expr(arms, span, expected),
            ast::ExprKind::Lambda { params, ret, body } => {
                self.lambda(params, ret.as_ref(), body, span)
            }
        }
    }

    /// A condition: must be `Bool`.
    pub(super) fn cond(&mut self, e: &ast::Expr) -> hir::Expr {
        let x = self.expr(e, None);
        if !assignable(&x.ty, &Type::Bool) {
            self.mismatch(x.span, &Type::Bool, &x.ty);
        }
        x
    }

    /// Reports `type mismatch` unless `e ≤ t`, pointing at the offending branch value of
    /// blocks, `if`s with blocks and `match` arms.
    pub(super) fn blame(&mut self, e: &hir::Expr, t: &Type) {
        if assignable(&e.ty, t) {
            return;
        }
        match &e.kind {
            K::Block(v) if !v.is_empty() => {
                if let Some(last) = v.last() {
                    self.blame(last, t);
                }
            }
            K::If {
                then_branch,
                else_branch: Some(el),
                ..
            } if matches!(then_branch.kind, K::Block(_)) => {
                self.blame(then_branch, t);
                self.blame(el, t);
            }
            K::Match { arms, .. } => {
                for a in arms {
                    self.blame(&a.body, t);
                }
            }
            _ => self.mismatch(e.span, t, &e.ty),
        }
    }

    fn ident(&mut self, name: &str, span: Span, expected: Option<&Type>) -> hir::Expr {
        if let Some(b) = self.lookup_local(name) {
            return self.read(b.local, b.ty, span);
        }
        match self.values.get(name).copied() {
            Some(ValueSym::Func(fid)) => self.func_value(fid, span, expected),
            Some(ValueSym::Const(i)) => {
                let (ty, id) = self.eval_const(i);
                match id {
                    Some(c) => mk(K::Const(c), ty, span),
                    None => err_expr(span),
                }
            }
            Some(ValueSym::Record(_)) => {
                self.error(
                    span,
                    format!("record '{name}' is not a value; construct it with named fields"),
                );
                err_expr(span)
            }
            Some(ValueSym::Enum(_)) | Some(ValueSym::Alias) => {
                self.error(span, format!("'{name}' is a type, not a value"));
                err_expr(span)
            }
            Some(ValueSym::Extern) => {
                self.error(
                    span,
                    format!("extern cell '{name}' cannot be called on this tier"),
                );
                err_expr(span)
            }
            None => {
                match self.resolve_variant(name, expected, span) {
                    Ok(Some((id, tag))) => return self.variant_value(id, tag, span),
                    Ok(None) => {}
                    Err((s, m)) => {
                        self.error(s, m);
                        return err_expr(span);
                    }
                }
                match name {
                    "PI" => mk(K::Float(std::f64::consts::PI), Type::Float, span),
                    "E" => mk(K::Float(std::f64::consts::E), Type::Float, span),
                    _ if super::builtins::is_builtin(name) => {
                        self.error(
                            span,
                            format!("builtin '{name}' is not a value; wrap it in a lambda"),
                        );
                        err_expr(span)
                    }
                    _ => {
                        self.error(span, format!("undefined name '{name}'"));
                        err_expr(span)
                    }
                }
            }
        }
    }

    /// A cell used as a function value (a generic one instantiated by the expected type).
    pub(super) fn func_value(
        &mut self,
        fid: hir::FuncId,
        span: Span,
        expected: Option<&Type>,
    ) -> hir::Expr {
        self.add_edge(fid);
        let sig = self.sigs[fid as usize].clone();
        let ret = self.func_ret(fid);
        let fty = Type::Fn(
            sig.params.iter().map(|p| p.ty.clone()).collect(),
            Box::new(ret),
        );
        let ty = if sig.type_params.is_empty() {
            fty
        } else {
            let exp = find_member(expected, |m| match m {
                Type::Fn(ps, _) if ps.len() == sig.params.len() => Some(m.clone()),
                _ => None,
            });
            match exp {
                Some(exp) => {
                    let mut b = super::unify::Bounds::new(sig.type_params.len());
                    b.collect(&fty, &exp);
                    types::subst(&fty, &b.solve())
                }
                None => {
                    self.error(span, "cannot infer type; add an annotation");
                    err()
                }
            }
        };
        mk(K::FuncRef(fid), ty, span)
    }

    /// A generic cell used as a value where only its parameter types are expected (the
    /// function argument of a higher-order builtin, §2): the parameters must determine
    /// every type parameter, otherwise the value cannot be instantiated.
    pub(super) fn func_value_from_params(
        &mut self,
        fid: hir::FuncId,
        span: Span,
        given: &[Type],
    ) -> hir::Expr {
        let sig = self.sigs[fid as usize].clone();
        if sig.params.len() != given.len() {
            return self.func_value(fid, span, None);
        }
        self.add_edge(fid);
        let ret = self.func_ret(fid);
        let mut b = super::unify::Bounds::new(sig.type_params.len());
        for (p, g) in sig.params.iter().zip(given) {
            b.collect(&p.ty, g);
        }
        if !(0..sig.type_params.len() as u32).all(|i| b.is_bound(i)) {
            self.error(span, "cannot infer type; add an annotation");
            return mk(K::FuncRef(fid), err(), span);
        }
        let fty = Type::Fn(
            sig.params.iter().map(|p| p.ty.clone()).collect(),
            Box::new(ret),
        );
        mk(K::FuncRef(fid), types::subst(&fty, &b.solve()), span)
    }

    /// A payload-less variant as a value.
    pub(super) fn variant_value(&mut self, id: u32, tag: u32, span: Span) -> hir::Expr {
        let info = &self.decls[id as usize];
        let (vname, payload) = &info.variants[tag as usize];
        if !payload.is_empty() {
            let msg = format!(
                "variant '{vname}' needs {} payload value{}",
                payload.len(),
                if payload.len() == 1 { "" } else { "s" }
            );
            self.error(span, msg);
            return err_expr(span);
        }
        let ty = Type::Named(id, vec![Type::Never; info.type_params.len()]);
        mk(
            K::Variant {
                type_id: id,
                tag,
                payload: vec![],
            },
            ty,
            span,
        )
    }

    /// `Enum.V`: `Some(Some(..))` when `base` names an enum (not shadowed by a local),
    /// `Some(None)` after an error, `None` when `base` is an ordinary expression.
    pub(super) fn qualified_variant(
        &mut self,
        base: &ast::Expr,
        field: &ast::Ident,
    ) -> Option<Option<(u32, u32)>> {
        let ast::ExprKind::Ident(n) = &base.kind else {
            return None;
        };
        let Some(TypeSym::Decl(id)) = self.type_syms.get(n).copied() else {
            return None;
        };
        if self.decls[id as usize].is_record || self.lookup_local(n).is_some() {
            return None;
        }
        match self.decls[id as usize]
            .variants
            .iter()
            .position(|(v, _)| *v == field.name)
        {
            Some(tag) => Some(Some((id, tag as u32))),
            None => {
                self.error(
                    field.span,
                    format!("enum '{n}' has no variant '{}'", field.name),
                );
                Some(None)
            }
        }
    }

    fn unary(&mut self, op: ast::UnOp, x: hir::Expr, span: Span) -> hir::Expr {
        if is_err(&x.ty) {
            return err_expr(span);
        }
        let (kind_op, ty) = match (op, &x.ty) {
            (ast::UnOp::Neg, Type::Int) => (hir::UnOp::IntNeg, Type::Int),
            (ast::UnOp::Neg, Type::Float) => (hir::UnOp::FloatNeg, Type::Float),
            (ast::UnOp::Not, Type::Bool) => (hir::UnOp::Not, Type::Bool),
            (ast::UnOp::BitNot, Type::Int) => (hir::UnOp::BitNot, Type::Int),
            (ast::UnOp::Neg | ast::UnOp::BitNot, Type::Never) => (hir::UnOp::IntNeg, Type::Never),
            (ast::UnOp::Not, Type::Never) => (hir::UnOp::Not, Type::Never),
            (ast::UnOp::Not, _) => {
                self.mismatch(x.span, &Type::Bool, &x.ty);
                return err_expr(span);
            }
            (ast::UnOp::Neg, _) => {
                let msg = format!("operator '-' cannot be applied to {}", self.show(&x.ty));
                self.error(span, msg);
                return err_expr(span);
            }
            (ast::UnOp::BitNot, _) => {
                self.mismatch(x.span, &Type::Int, &x.ty);
                return err_expr(span);
            }
        };
        mk(K::Unary(kind_op, Box::new(x)), ty, span)
    }

    /// Resolves a binary operator (not `and`, `or`, `??`) on checked operands.
    pub(super) fn binop(
        &mut self,
        op: ast::BinOp,
        l: hir::Expr,
        r: hir::Expr,
        span: Span,
    ) -> hir::Expr {
        if is_err(&l.ty) || is_err(&r.ty) {
            return err_expr(span);
        }
        let bin = |o: H, l: hir::Expr, r: hir::Expr, ty: Type| {
            mk(K::Binary(o, Box::new(l), Box::new(r)), ty, span)
        };
        let (lt, rt) = (l.ty.clone(), r.ty.clone());
        let both_int =
            matches!(lt, Type::Int | Type::Never) && matches!(rt, Type::Int | Type::Never);
        let numeric = is_num(&lt) && is_num(&rt);
        // `Never` fits every type (§3): with a String it is a String operand.
        let strings = matches!(
            (&lt, &rt),
            (Type::Str, Type::Str | Type::Never) | (Type::Never, Type::Str)
        );
        let arith = |int_op: H, float_op: H| -> Option<(H, bool)> {
            if both_int {
                Some((int_op, false))
            } else if numeric {
                Some((float_op, true))
            } else {
                None
            }
        };
        let res = match op {
            A::Add | A::Sub | A::Mul | A::Div | A::FloorDiv | A::Mod | A::Pow => {
                if op == A::Add && strings {
                    return bin(H::StrConcat, l, r, Type::Str);
                }
                let (io, fo) = match op {
                    A::Add => (H::IntAdd, H::FloatAdd),
                    A::Sub => (H::IntSub, H::FloatSub),
                    A::Mul => (H::IntMul, H::FloatMul),
                    A::Div => (H::IntDiv, H::FloatDiv),
                    A::FloorDiv => (H::IntFloorDiv, H::FloatFloorDiv),
                    A::Mod => (H::IntMod, H::FloatMod),
                    _ => (H::IntPow, H::FloatPow),
                };
                arith(io, fo).map(|(o, f)| {
                    if f {
                        bin(o, to_float(l), to_float(r), Type::Float)
                    } else {
                        bin(o, l, r, Type::Int)
                    }
                })
            }
            A::Shl | A::Shr | A::BitAnd | A::BitOr | A::BitXor => {
                let o = match op {
                    A::Shl => H::Shl,
                    A::Shr => H::Shr,
                    A::BitAnd => H::BitAnd,
                    A::BitOr => H::BitOr,
                    _ => H::BitXor,
                };
                both_int.then(|| bin(o, l, r, Type::Int))
            }
            A::Concat => match (&lt, &rt) {
                _ if strings => Some(bin(H::StrConcat, l, r, Type::Str)),
                (Type::List(a), Type::List(b)) => {
                    let ty = Type::List(Box::new(join(a, b)));
                    Some(bin(H::ListConcat, l, r, ty))
                }
                (Type::List(_), Type::Never) | (Type::Never, Type::List(_)) => {
                    let ty = if lt == Type::Never {
                        rt.clone()
                    } else {
                        lt.clone()
                    };
                    Some(bin(H::ListConcat, l, r, ty))
                }
                _ => None,
            },
            A::Eq => Some(bin(H::Eq, l, r, Type::Bool)),
            A::Ne => Some(bin(H::Ne, l, r, Type::Bool)),
            A::Lt | A::Le | A::Gt | A::Ge => {
                let (io, fo, so) = match op {
                    A::Lt => (H::IntLt, H::FloatLt, H::StrLt),
                    A::Le => (H::IntLe, H::FloatLe, H::StrLe),
                    A::Gt => (H::IntGt, H::FloatGt, H::StrGt),
                    _ => (H::IntGe, H::FloatGe, H::StrGe),
                };
                if strings {
                    Some(bin(so, l, r, Type::Bool))
                } else {
                    arith(io, fo).map(|(o, f)| {
                        if f {
                            bin(o, to_float(l), to_float(r), Type::Bool)
                        } else {
                            bin(o, l, r, Type::Bool)
                        }
                    })
                }
            }
            A::In => match &rt {
                Type::List(_) => Some(bin(H::InList, l, r, Type::Bool)),
                Type::Map(..) => Some(bin(H::InMap, l, r, Type::Bool)),
                Type::Str if matches!(lt, Type::Str | Type::Never) => {
                    Some(bin(H::InStr, l, r, Type::Bool))
                }
                _ => None,
            },
            A::And | A::Or | A::Coalesce => None,
        };
        match res {
            Some(e) => e,
            None => {
                let msg = format!(
                    "operator '{}' cannot be applied to {} and {}",
                    op.text(),
                    self.show(&lt),
                    self.show(&rt)
                );
                self.error(span, msg);
                err_expr(span)
            }
        }
    }

    /// `e as Int` / `e as Float`.
    fn convert(&mut self, x: hir::Expr, tn: &ast::TypeName, span: Span) -> hir::Expr {
        let target = match tn.path.as_slice() {
            [one] if one.name == "Int" => Type::Int,
            [one] if one.name == "Float" => Type::Float,
            _ => {
                self.error(tn.span, "'as' converts only to Int or Float");
                return err_expr(span);
            }
        };
        if is_err(&x.ty) {
            return err_expr(span);
        }
        let ms = members(&x.ty);
        if ms.is_empty() || !ms.iter().all(|m| matches!(m, Type::Int | Type::Float)) {
            let msg = format!(
                "cannot convert {} to {}",
                self.show(&x.ty),
                self.show(&target)
            );
            self.error(x.span, msg);
            return err_expr(span);
        }
        let conv = |v: hir::Expr, from: &Type| -> hir::Expr {
            match (from, &target) {
                (Type::Int, Type::Float) => mk(K::IntToFloat(Box::new(v)), Type::Float, span),
                (Type::Float, Type::Int) => mk(K::FloatToInt(Box::new(v)), Type::Int, span),
                _ => v,
            }
        };
        if ms.len() == 1 {
            return conv(x, &ms[0]);
        }
        // A union: test the runtime kind of a temporary.
        let tmp = self.temp(x.ty.clone());
        let let_ = self.let_local(tmp, x, span);
        let int_read = self.read(tmp, Type::Int, span);
        let float_read = self.read(tmp, Type::Float, span);
        let test = mk(
            K::Is(
                Box::new(self.read(tmp, Type::Union(ms), span)),
                TypeTest::Int,
            ),
            Type::Bool,
            span,
        );
        let iff = mk(
            K::If {
                cond: Box::new(test),
                then_branch: Box::new(conv(int_read, &Type::Int)),
                else_branch: Some(Box::new(conv(float_read, &Type::Float))),
            },
            target.clone(),
            span,
        );
        mk(K::Block(vec![let_, iff]), target, span)
    }

    /// `let tmp = value` for a temporary.
    pub(super) fn let_local(
        &mut self,
        local: hir::LocalId,
        value: hir::Expr,
        span: Span,
    ) -> hir::Expr {
        let pat = hir::Pattern {
            kind: hir::PatternKind::Bind(local),
            ty: value.ty.clone(),
            span,
        };
        mk(
            K::Let {
                pattern: pat,
                value: Box::new(value),
            },
            Type::Null,
            span,
        )
    }

    /// `recv.f`: a record field or a tuple element.
    pub(super) fn field_access(
        &mut self,
        recv: hir::Expr,
        field: &ast::Ident,
        span: Span,
    ) -> hir::Expr {
        match recv.ty.clone() {
            t if is_err(&t) => err_expr(span),
            Type::Never => mk(K::Null, Type::Never, span),
            Type::Named(id, targs) if self.decls[id as usize].is_record => {
                let info = &self.decls[id as usize];
                match info.fields.iter().position(|(n, _, _)| *n == field.name) {
                    Some(i) => {
                        let ty = types::subst(&info.fields[i].1, &targs);
                        mk(
                            K::Field {
                                base: Box::new(recv),
                                index: i as u32,
                            },
                            ty,
                            span,
                        )
                    }
                    None => {
                        let msg = format!("unknown field '{}'", field.name);
                        self.error(field.span, msg);
                        err_expr(span)
                    }
                }
            }
            Type::Tuple(ts) => match field.name.parse::<usize>() {
                Ok(i) if i < ts.len() => mk(
                    K::TupleGet {
                        base: Box::new(recv),
                        index: i as u32,
                    },
                    ts[i].clone(),
                    span,
                ),
                _ => {
                    let msg = format!(
                        "no element '{}' in {}",
                        field.name,
                        self.show(&Type::Tuple(ts))
                    );
                    self.error(field.span, msg);
                    err_expr(span)
                }
            },
            t => {
                let msg = format!("no field '{}' on type {}", field.name, self.show(&t));
                self.error(field.span, msg);
                err_expr(span)
            }
        }
    }

    /// `a?.x`: evaluates `a` once; null stays null, anything else goes through `access`.
    fn opt_chain(
        &mut self,
        recv: hir::Expr,
        span: Span,
        access: impl FnOnce(&mut Self, hir::Expr) -> hir::Expr,
    ) -> hir::Expr {
        if is_err(&recv.ty) {
            return access(self, recv);
        }
        let rty = recv.ty.clone();
        let tmp = self.temp(rty.clone());
        let let_ = self.let_local(tmp, recv, span);
        let inner = self.read(tmp, strip_null(&rty), span);
        let got = access(self, inner);
        let ty = types::nullable(got.ty.clone());
        let test = mk(
            K::Binary(
                H::Eq,
                Box::new(self.read(tmp, rty, span)),
                Box::new(mk(K::Null, Type::Null, span)),
            ),
            Type::Bool,
            span,
        );
        let iff = mk(
            K::If {
                cond: Box::new(test),
                then_branch: Box::new(mk(K::Null, Type::Null, span)),
                else_branch: Some(Box::new(got)),
            },
            ty.clone(),
            span,
        );
        mk(K::Block(vec![let_, iff]), ty, span)
    }

    fn index(&mut self, b: hir::Expr, i: hir::Expr, span: Span) -> hir::Expr {
        let (kind, ty) = match b.ty.clone() {
            t if is_err(&t) => return err_expr(span),
            Type::List(t) => {
                self.blame(&i, &Type::Int);
                (hir::IndexKind::List, *t)
            }
            Type::Str => {
                self.blame(&i, &Type::Int);
                (hir::IndexKind::Str, Type::Str)
            }
            Type::Map(k, v) => {
                self.blame(&i, &k);
                (hir::IndexKind::Map, *v)
            }
            Type::Never => (hir::IndexKind::List, Type::Never),
            t => {
                let msg = format!("cannot index a value of type {}", self.show(&t));
                self.error(b.span, msg);
                return err_expr(span);
            }
        };
        mk(
            K::Index {
                kind,
                base: Box::new(b),
                index: Box::new(i),
            },
            ty,
            span,
        )
    }

    /// The collection a `for` (or comprehension) walks and its element type.
    pub(super) fn for_source(&mut self, iter: &ast::Expr) -> (hir::ForSource, Type) {
        if let ast::ExprKind::Range { lo, hi, inclusive } = &iter.kind {
            let lo = self.expr(lo, None);
            let hi = self.expr(hi, None);
            self.blame(&lo, &Type::Int);
            self.blame(&hi, &Type::Int);
            return (
                hir::ForSource::Range {
                    lo: Box::new(lo),
                    hi: Box::new(hi),
                    inclusive: *inclusive,
                },
                Type::Int,
            );
        }
        let it = self.expr(iter, None);
        match it.ty.clone() {
            Type::List(t) => (hir::ForSource::List(Box::new(it)), *t),
            Type::Str => (hir::ForSource::Str(Box::new(it)), Type::Str),
            Type::Map(k, v) => (hir::ForSource::Map(Box::new(it)), Type::Tuple(vec![*k, *v])),
            Type::Never => (hir::ForSource::List(Box::new(it)), Type::Never),
            t => {
                if !is_err(&t) {
                    let msg = format!("cannot iterate over a value of type {}", self.show(&t));
                    self.error(it.span, msg);
                }
                (hir::ForSource::List(Box::new(it)), err())
            }
        }
    }

    /// A new loop id of the current function.
    pub(super) fn new_loop_id(&mut self) -> hir::LoopId {
        let ctx = self.ctx();
        ctx.next_loop += 1;
        ctx.next_loop - 1
    }

    fn comprehension(
        &mut self,
        elem: &ast::Expr,
        pattern: &ast::Pattern,
        iter: &ast::Expr,
        filter: Option<&ast::Expr>,
        span: Span,
    ) -> hir::Expr {
        let (source, elem_ty) = self.for_source(iter);
        self.push_scope();
        let (pat, binds) = self.irrefutable(pattern, &elem_ty, false);
        self.push_bindings(binds);
        let filter = filter.map(|f| {
            let c = self.cond(f);
            let (t, _) = self.facts(f);
            self.push_bindings(t);
            c
        });
        let e = self.expr(elem, None);
        if filter.is_some() {
            self.pop_scope();
        }
        self.pop_scope();
        self.pop_scope();
        let lty = Type::List(Box::new(e.ty.clone()));
        let acc = self.ctx().new_local("$acc", lty.clone(), true);
        let id = self.new_loop_id();
        let init = self.let_local(acc, mk(K::List(vec![]), lty.clone(), span), span);
        let appended = mk(
            K::CallBuiltin {
                builtin: lumen_core::builtins::Builtin::Append,
                args: vec![self.read(acc, lty.clone(), span), e],
            },
            lty.clone(),
            span,
        );
        let body = mk(
            K::Assign {
                place: hir::Place {
                    root: acc,
                    path: vec![],
                    span,
                },
                value: Box::new(appended),
            },
            Type::Null,
            span,
        );
        let for_ = mk(
            K::For {
                id,
                pattern: pat,
                source,
                filter: filter.map(Box::new),
                body: Box::new(body),
            },
            Type::Null,
            span,
        );
        let result = self.read(acc, lty.clone(), span);
        mk(K::Block(vec![init, for_, result]), lty, span)
    }

    /// The body of a `match`/`when` arm.
    pub(super) fn arm_body(&mut self, body: &ast::ArmBody, expected: Option<&Type>) -> hir::Expr {
        match body {
            ast::ArmBody::Stmt(s) => self.stmts(std::slice::from_ref(&**s), s.span, expected),
            ast::ArmBody::Block(b) => self.block(b, expected),
        }
    }

    fn when_expr(
        &mut self,
        arms: &[ast::WhenArm],
        span: Span,
        expected: Option<&Type>,
    ) -> hir::Expr {
        let mut checked: Vec<(Option<hir::Expr>, hir::Expr)> = Vec::new();
        // `when` is a chain of `if … else`: each later arm (condition and body) sees the
        // failing case of every earlier condition, one scope per failed arm.
        let mut failed_scopes = 0;
        for arm in arms {
            match &arm.cond {
                Some(c) => {
                    let ce = self.cond(c);
                    let (t, f) = self.facts(c);
                    self.push_bindings(t);
                    let body = self.arm_body(&arm.body, expected);
                    self.pop_scope();
                    self.push_bindings(f);
                    failed_scopes += 1;
                    checked.push((Some(ce), body));
                }
                None => {
                    let body = self.arm_body(&arm.body, expected);
                    checked.push((None, body));
                }
            }
        }
        for _ in 0..failed_scopes {
            self.pop_scope();
        }
        let ty = join_all(checked.iter().map(|(_, b)| &b.ty));
        let mut acc = mk(K::NoMatch, Type::Never, span);
        for (c, body) in checked.into_iter().rev() {
            acc = match c {
                None => body,
                Some(c) => {
                    let t = join(&body.ty, &acc.ty);
                    mk(
                        K::If {
                            cond: Box::new(c),
                            then_branch: Box::new(body),
                            else_branch: Some(Box::new(acc)),
                        },
                        t,
                        span,
                    )
                }
            };
        }
        acc.ty = ty;
        acc
    }

    /// A lambda, lifted into its own function.
    fn lambda(
        &mut self,
        params: &[ast::Param],
        ret: Option<&ast::TypeExpr>,
        body: &ast::LambdaBody,
        span: Span,
    ) -> hir::Expr {
        let fid = self.funcs.len() as hir::FuncId;
        self.funcs.push(None);
        let ret = ret.map(|t| self.resolve_type(t));
        let mut ctx = FnCtx::new(fid, true, ret.clone());
        let mut ptys = Vec::new();
        let mut plocals = Vec::new();
        for p in params {
            let ty = self.resolve_type(&p.ty);
            if let Some(d) = &p.default {
                self.error(d.span, "lambda parameters cannot have defaults");
            }
            if ctx.scopes[0].iter().any(|b| b.name == p.name.name) {
                self.error(
                    p.name.span,
                    format!("duplicate definition of '{}'", p.name.name),
                );
            }
            let l = ctx.new_local(&p.name.name, ty.clone(), false);
            ctx.scopes[0].push(super::env::Binding {
                name: p.name.name.clone(),
                local: l,
                ty: ty.clone(),
            });
            ptys.push(ty);
            plocals.push(l);
        }
        self.ctxs.push(ctx);
        let body = match body {
            ast::LambdaBody::Expr(e) => self.expr(e, ret.as_ref()),
            ast::LambdaBody::Block(b) => self.block(b, ret.as_ref()),
        };
        let (body, ret_ty) = self.finish_body(body, ret, span);
        let Some(ctx) = self.ctxs.pop() else {
            return err_expr(span);
        };
        let captures: Vec<hir::Expr> = ctx
            .captures
            .iter()
            .map(|(_, outer, ty)| self.read(*outer, ty.clone(), span))
            .collect();
        let func = hir::Func {
            name: "<lambda>".into(),
            kind: hir::FuncKind::Lambda,
            params: plocals,
            captures: ctx.captures.iter().map(|(inner, _, _)| *inner).collect(),
            locals: ctx.locals,
            ret: ret_ty.clone(),
            body,
            span,
        };
        self.funcs[fid as usize] = Some(func);
        mk(
            K::Closure {
                func: fid,
                captures,
            },
            Type::Fn(ptys, Box::new(ret_ty)),
            span,
        )
    }

    /// Checks a finished function body against its declared return type (or infers it):
    /// returns the body and the return type. `span` is where `missing return value` goes.
    pub(super) fn finish_body(
        &mut self,
        body: hir::Expr,
        declared: Option<Type>,
        span: Span,
    ) -> (hir::Expr, Type) {
        let returns = std::mem::take(&mut self.ctx().returns);
        match declared {
            Some(r) => {
                if r == Type::Null {
                    if body.ty != Type::Null && body.ty != Type::Never {
                        let bspan = body.span;
                        let b = mk(
                            K::Block(vec![body, mk(K::Null, Type::Null, bspan)]),
                            Type::Null,
                            bspan,
                        );
                        return (b, r);
                    }
                } else if !assignable(&body.ty, &r) {
                    if is_valueless(&body) {
                        self.error(span, "missing return value");
                    } else {
                        self.blame(&body, &r);
                    }
                }
                (body, r)
            }
            None => {
                let mut ty = body.ty.clone();
                for t in &returns {
                    ty = join(&ty, t);
                }
                if has_err(&ty) {
                    ty = err();
                }
                (body, ty)
            }
        }
    }
}

/// True when a body ends without a value (a statement other than an expression).
fn is_valueless(e: &hir::Expr) -> bool {
    match &e.kind {
        K::Block(v) => v.last().is_none_or(is_valueless),
        K::Let { .. } | K::Assign { .. } | K::While { .. } | K::For { .. } | K::Loop { .. } => true,
        K::If {
            else_branch: None, ..
        } => true,
        K::If {
            then_branch,
            else_branch: Some(el),
            ..
        } => is_valueless(then_branch) || is_valueless(el),
        _ => false,
    }
}
