//! Patterns (§6): resolution (bindings, constants, variants, records), typing, `match`
//! arms and exhaustiveness.

use super::env::Binding;
use super::expr::{err_expr, find_member, mk};
use super::types::{self, err, has_err, is_err, join_all};
use super::{Checker, TypeSym, ValueSym};
use crate::ast::{self, Span};
use crate::hir::{self, ExprKind as K, PatternKind as P};
use crate::types::Type;
use lumen_core::lir::TypeTest;
use lumen_core::value::Value;

impl<'a> Checker<'a> {
    /// An irrefutable pattern (`let`, `for`): returns it and the bindings it makes.
    pub(super) fn irrefutable(
        &mut self,
        p: &ast::Pattern,
        ty: &Type,
        mutable: bool,
    ) -> (hir::Pattern, Vec<Binding>) {
        let mut binds = Vec::new();
        let hp = self.pattern(p, ty, &mut binds, mutable);
        self.check_duplicate_bindings(&binds, p.span);
        if !is_irrefutable(&hp) && !has_err(ty) {
            self.error(p.span, "pattern must be irrefutable here");
        }
        (hp, binds)
    }

    /// Checks a pattern against a value of type `ty`, collecting its bindings.
    pub(super) fn pattern(
        &mut self,
        p: &ast::Pattern,
        ty: &Type,
        binds: &mut Vec<Binding>,
        mutable: bool,
    ) -> hir::Pattern {
        let span = p.span;
        let out = |kind: P| hir::Pattern {
            kind,
            ty: ty.clone(),
            span,
        };
        match &p.kind {
            ast::PatternKind::Wildcard => out(P::Wildcard),
            ast::PatternKind::Ident(name) => {
                match self.resolve_variant(name, Some(ty), span) {
                    Ok(Some((id, tag))) => {
                        let (vname, payload) = &self.decls[id as usize].variants[tag as usize];
                        if !payload.is_empty() {
                            let msg = format!("variant '{vname}' has a payload; write {vname}(…)");
                            self.error(span, msg);
                        }
                        self.check_enum_scrutinee(ty, id, span);
                        return out(P::Variant {
                            type_id: id,
                            tag,
                            payload: Vec::new(),
                        });
                    }
                    Ok(None) => {}
                    Err((s, m)) => {
                        self.error(s, m);
                        return out(P::Wildcard);
                    }
                }
                if let Some(ValueSym::Const(i)) = self.values.get(name).copied() {
                    let (_, id) = self.eval_const(i);
                    return match id.and_then(|c| self.const_values.get(c as usize).cloned()) {
                        Some(v) => out(P::Value(v)),
                        None => out(P::Wildcard),
                    };
                }
                let l = self.bind_name(name, ty.clone(), mutable, binds);
                out(P::Bind(l))
            }
            ast::PatternKind::Literal(l) => out(P::Value(match l {
                ast::PatLit::Int(i) => Value::Int(*i),
                ast::PatLit::Float(f) => Value::Float(*f),
                ast::PatLit::Str(s) => Value::str(s.clone()),
                ast::PatLit::Bool(b) => Value::Bool(*b),
                ast::PatLit::Null => Value::Null,
            })),
            ast::PatternKind::Typed { name, ty: tn } => match self.resolve_test(tn, Some(ty)) {
                Ok(test) => {
                    let narrowed = self.narrow(ty, test, true);
                    let bind = name
                        .as_ref()
                        .map(|n| self.bind_name(&n.name, narrowed, mutable, binds));
                    out(P::Typed { test, bind })
                }
                Err((s, m)) => {
                    self.error(s, m);
                    if let Some(n) = name {
                        self.bind_name(&n.name, err(), mutable, binds);
                    }
                    out(P::Wildcard)
                }
            },
            ast::PatternKind::Range { lo, hi, inclusive } => out(P::Range {
                lo: *lo,
                hi: *hi,
                inclusive: *inclusive,
            }),
            ast::PatternKind::Ctor { path, args } => {
                if path.path.len() == 1 && matches!(path.path[0].name.as_str(), "ok" | "err") {
                    let is_ok = path.path[0].name == "ok";
                    let inner = match find_member(Some(ty), |m| match m {
                        Type::Result(t, e) => {
                            Some(if is_ok { (**t).clone() } else { (**e).clone() })
                        }
                        _ => None,
                    }) {
                        Some(t) => t,
                        None => {
                            if !is_err(ty) && *ty != Type::Never {
                                let msg = format!(
                                    "type mismatch: expected {}, found result",
                                    self.show(ty)
                                );
                                self.error(span, msg);
                            }
                            err()
                        }
                    };
                    if args.len() != 1 {
                        self.error(span, format!("'{}' takes 1 pattern", path.path[0].name));
                    }
                    let sub = match args.first() {
                        Some(a) => self.pattern(a, &inner, binds, mutable),
                        None => hir::Pattern {
                            kind: P::Wildcard,
                            ty: inner,
                            span,
                        },
                    };
                    return out(if is_ok {
                        P::Ok(Box::new(sub))
                    } else {
                        P::Err(Box::new(sub))
                    });
                }
                let Some((id, tag)) = self.pattern_variant(path, ty) else {
                    for a in args {
                        self.pattern(a, &err(), binds, mutable);
                    }
                    return out(P::Wildcard);
                };
                let ptys = self.payload_types(ty, id, tag, span);
                let (vname, _) = &self.decls[id as usize].variants[tag as usize];
                if args.len() != ptys.len() {
                    let msg = format!(
                        "variant '{vname}' takes {} payload value{}, found {}",
                        ptys.len(),
                        if ptys.len() == 1 { "" } else { "s" },
                        args.len()
                    );
                    self.error(span, msg);
                }
                let payload = args
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let t = ptys.get(i).cloned().unwrap_or_else(err);
                        self.pattern(a, &t, binds, mutable)
                    })
                    .collect();
                out(P::Variant {
                    type_id: id,
                    tag,
                    payload,
                })
            }
            ast::PatternKind::Path(tn) => match self.pattern_variant(tn, ty) {
                Some((id, tag)) => {
                    let ptys = self.payload_types(ty, id, tag, span);
                    if !ptys.is_empty() {
                        let vname = self.decls[id as usize].variants[tag as usize].0.clone();
                        self.error(
                            span,
                            format!("variant '{vname}' has a payload; write {vname}(…)"),
                        );
                    }
                    out(P::Variant {
                        type_id: id,
                        tag,
                        payload: Vec::new(),
                    })
                }
                None => out(P::Wildcard),
            },
            ast::PatternKind::Record { path, fields } => {
                if let Some(ctor) = typed_payload(
                    path,
                    fields,
                    |n| matches!(self.type_syms.get(n), Some(TypeSym::Decl(id)) if self.decls[*id as usize].is_record),
                ) {
                    return self.pattern(&ctor, ty, binds, mutable);
                }
                let rid = match path.path.as_slice() {
                    [one] => match self.type_syms.get(&one.name).copied() {
                        Some(TypeSym::Decl(id)) if self.decls[id as usize].is_record => Some(id),
                        _ => {
                            self.error(one.span, format!("undefined record '{}'", one.name));
                            None
                        }
                    },
                    _ => {
                        self.error(path.span, "variant patterns take positional payloads");
                        None
                    }
                };
                let Some(id) = rid else {
                    for (_, fp) in fields {
                        self.pattern(fp, &err(), binds, mutable);
                    }
                    return out(P::Wildcard);
                };
                let targs = match find_member(Some(ty), |m| match m {
                    Type::Named(i, a) if *i == id => Some(a.clone()),
                    _ => None,
                }) {
                    Some(a) => Some(a),
                    None => {
                        if !is_err(ty) {
                            let found = Type::Named(
                                id,
                                vec![Type::Never; self.decls[id as usize].type_params.len()],
                            );
                            self.mismatch(span, ty, &found);
                        }
                        None
                    }
                };
                let mut out_fields = Vec::new();
                for (fname, fp) in fields {
                    let info = &self.decls[id as usize];
                    match info.fields.iter().position(|(n, _, _)| *n == fname.name) {
                        Some(i) => {
                            let t = match &targs {
                                Some(a) => types::subst(&info.fields[i].1, a),
                                None => err(),
                            };
                            let sub = self.pattern(fp, &t, binds, mutable);
                            out_fields.push((i as u32, sub));
                        }
                        None => {
                            self.error(fname.span, format!("unknown field '{}'", fname.name));
                            self.pattern(fp, &err(), binds, mutable);
                        }
                    }
                }
                out(P::Record {
                    type_id: id,
                    fields: out_fields,
                })
            }
            ast::PatternKind::Tuple(ps) => {
                let ts = find_member(Some(ty), |m| match m {
                    Type::Tuple(ts) if ts.len() == ps.len() => Some(ts.clone()),
                    _ => None,
                });
                if ts.is_none() && !is_err(ty) {
                    let msg = format!(
                        "type mismatch: expected {}, found a tuple of {}",
                        self.show(ty),
                        ps.len()
                    );
                    self.error(span, msg);
                }
                let subs = ps
                    .iter()
                    .enumerate()
                    .map(|(i, sp)| {
                        let t = ts
                            .as_ref()
                            .and_then(|ts| ts.get(i).cloned())
                            .unwrap_or_else(err);
                        self.pattern(sp, &t, binds, mutable)
                    })
                    .collect();
                out(P::Tuple(subs))
            }
            ast::PatternKind::List { items, rest } => {
                let elem = find_member(Some(ty), |m| match m {
                    Type::List(t) => Some((**t).clone()),
                    _ => None,
                });
                if elem.is_none() && !is_err(ty) {
                    let msg = format!("type mismatch: expected {}, found list", self.show(ty));
                    self.error(span, msg);
                }
                let elem = elem.unwrap_or_else(err);
                let subs = items
                    .iter()
                    .map(|ip| self.pattern(ip, &elem, binds, mutable))
                    .collect();
                let rest = rest.as_ref().map(|r| {
                    r.as_ref().map(|id| {
                        self.bind_name(&id.name, Type::List(Box::new(elem.clone())), mutable, binds)
                    })
                });
                out(P::List { items: subs, rest })
            }
            ast::PatternKind::Or(alts) => {
                let mut first = Vec::new();
                let mut subs = Vec::new();
                for (i, a) in alts.iter().enumerate() {
                    if i == 0 {
                        subs.push(self.pattern(a, ty, &mut first, mutable));
                    } else {
                        self.or_reuse.push(first.clone());
                        let mut other = Vec::new();
                        subs.push(self.pattern(a, ty, &mut other, mutable));
                        self.or_reuse.pop();
                        for b in &first {
                            if let Some(o) = other.iter().find(|o| o.name == b.name)
                                && o.ty != b.ty
                                && !is_err(&o.ty)
                                && !is_err(&b.ty)
                            {
                                let msg = format!(
                                    "'{}' has type {} here but {} in the first alternative",
                                    b.name,
                                    self.show(&o.ty),
                                    self.show(&b.ty)
                                );
                                self.error(a.span, msg);
                            }
                            if !other.iter().any(|o| o.name == b.name) {
                                self.error(
                                    a.span,
                                    format!("'{}' is not bound in every alternative", b.name),
                                );
                            }
                        }
                    }
                }
                binds.extend(first);
                out(P::Or(subs))
            }
        }
    }

    /// A name may be bound once per pattern (or-alternatives aside).
    fn check_duplicate_bindings(&mut self, binds: &[Binding], span: Span) {
        for (i, b) in binds.iter().enumerate() {
            if binds[..i].iter().any(|o| o.name == b.name) {
                self.error(
                    span,
                    format!("'{}' is bound more than once in the pattern", b.name),
                );
            }
        }
    }

    /// Binds a pattern name (reusing the local of the first or-alternative).
    fn bind_name(
        &mut self,
        name: &str,
        ty: Type,
        mutable: bool,
        binds: &mut Vec<Binding>,
    ) -> hir::LocalId {
        if let Some(prev) = self
            .or_reuse
            .last()
            .and_then(|r| r.iter().find(|b| b.name == name))
        {
            let b = Binding {
                name: name.to_string(),
                local: prev.local,
                ty,
            };
            binds.push(b);
            return prev.local;
        }
        let l = self.ctx().new_local(name, ty.clone(), mutable);
        binds.push(Binding {
            name: name.to_string(),
            local: l,
            ty,
        });
        l
    }

    /// Resolves the variant of a constructor pattern (`V`, `Enum.V`).
    fn pattern_variant(&mut self, path: &ast::TypeName, ty: &Type) -> Option<(u32, u32)> {
        match path.path.as_slice() {
            [one] => match self.resolve_variant(&one.name, Some(ty), one.span) {
                Ok(Some(v)) => Some(v),
                Ok(None) => {
                    if matches!(self.type_syms.get(&one.name), Some(TypeSym::Decl(id)) if self.decls[*id as usize].is_record)
                    {
                        self.error(
                            one.span,
                            format!("record pattern '{}' needs named fields", one.name),
                        );
                    } else {
                        self.error(one.span, format!("undefined variant '{}'", one.name));
                    }
                    None
                }
                Err((s, m)) => {
                    self.error(s, m);
                    None
                }
            },
            [e, v] => match self.type_syms.get(&e.name).copied() {
                Some(TypeSym::Decl(id)) if !self.decls[id as usize].is_record => {
                    match self.decls[id as usize]
                        .variants
                        .iter()
                        .position(|(n, _)| *n == v.name)
                    {
                        Some(tag) => Some((id, tag as u32)),
                        None => {
                            self.error(
                                v.span,
                                format!("enum '{}' has no variant '{}'", e.name, v.name),
                            );
                            None
                        }
                    }
                }
                _ => {
                    self.error(e.span, format!("undefined type '{}'", e.name));
                    None
                }
            },
            _ => None,
        }
    }

    /// Reports a variant pattern against a scrutinee that cannot hold that enum.
    fn check_enum_scrutinee(&mut self, ty: &Type, id: u32, span: Span) -> Option<Vec<Type>> {
        let found = find_member(Some(ty), |m| match m {
            Type::Named(i, a) if *i == id => Some(a.clone()),
            _ => None,
        });
        if found.is_none() && !is_err(ty) && *ty != Type::Never {
            let e = Type::Named(
                id,
                vec![Type::Never; self.decls[id as usize].type_params.len()],
            );
            self.mismatch(span, ty, &e);
        }
        found
    }

    /// Payload types of variant `tag` of enum `id` as matched against `ty`.
    fn payload_types(&mut self, ty: &Type, id: u32, tag: u32, span: Span) -> Vec<Type> {
        let targs = self.check_enum_scrutinee(ty, id, span);
        let raw = self.decls[id as usize].variants[tag as usize].1.clone();
        match targs {
            Some(a) => raw.iter().map(|t| types::subst(t, &a)).collect(),
            None => vec![err(); raw.len()],
        }
    }

    /// `match scrutinee … end`.
    pub(super) fn match_expr(
        &mut self,
        scrutinee: &ast::Expr,
        arms: &[ast::MatchArm],
        span: Span,
        expected: Option<&Type>,
    ) -> hir::Expr {
        let s = self.expr(scrutinee, None);
        let mut out = Vec::new();
        for arm in arms {
            let mut binds = Vec::new();
            let pat = self.pattern(&arm.pattern, &s.ty, &mut binds, false);
            self.check_duplicate_bindings(&binds, arm.pattern.span);
            self.push_bindings(binds);
            let guard = arm.guard.as_ref().map(|g| {
                let c = self.cond(g);
                let (t, _) = self.facts(g);
                (c, t)
            });
            let (guard, facts) = match guard {
                Some((c, t)) => (Some(c), t),
                None => (None, Vec::new()),
            };
            self.push_bindings(facts);
            let body = self.arm_body(&arm.body, expected);
            self.pop_scope();
            self.pop_scope();
            out.push(hir::Arm {
                pattern: pat,
                guard,
                body,
            });
        }
        self.check_exhaustive(&s.ty, &out, span);
        let ty = join_all(out.iter().map(|a| &a.body.ty));
        if is_err(&s.ty) && out.is_empty() {
            return err_expr(span);
        }
        mk(
            K::Match {
                scrutinee: Box::new(s),
                arms: out,
            },
            ty,
            span,
        )
    }

    /// `non-exhaustive match: missing V` for enum and result scrutinees.
    fn check_exhaustive(&mut self, t: &Type, arms: &[hir::Arm], span: Span) {
        if has_err(t) {
            return;
        }
        let nullable = types::is_nullable(t);
        let ctors: Vec<String> = match types::strip_null(t) {
            Type::Named(id, _) if !self.decls[id as usize].is_record => self.decls[id as usize]
                .variants
                .iter()
                .map(|(n, _)| n.clone())
                .collect(),
            Type::Result(..) => vec!["ok".into(), "err".into()],
            _ => return,
        };
        let mut covered = vec![false; ctors.len()];
        let mut null = false;
        for a in arms.iter().filter(|a| a.guard.is_none()) {
            if cover(&a.pattern, &mut covered, &mut null) {
                return;
            }
        }
        let mut missing: Vec<String> = ctors
            .into_iter()
            .zip(&covered)
            .filter(|(_, c)| !**c)
            .map(|(n, _)| n)
            .collect();
        if nullable && !null {
            missing.push("null".into());
        }
        if !missing.is_empty() {
            self.error(
                span,
                format!("non-exhaustive match: missing {}", missing.join(", ")),
            );
        }
    }
}

/// Marks the top-level constructors a pattern covers; true for a catch-all.
fn cover(p: &hir::Pattern, covered: &mut [bool], null: &mut bool) -> bool {
    let mut set = |i: usize| {
        if let Some(c) = covered.get_mut(i) {
            *c = true;
        }
    };
    match &p.kind {
        P::Wildcard | P::Bind(_) => true,
        P::Variant { tag, .. } => {
            set(*tag as usize);
            false
        }
        P::Ok(_) => {
            set(0);
            false
        }
        P::Err(_) => {
            set(1);
            false
        }
        P::Value(Value::Null) => {
            *null = true;
            false
        }
        P::Typed { test, .. } => match test {
            TypeTest::Null => {
                *null = true;
                false
            }
            TypeTest::Variant(_, tag) => {
                set(*tag as usize);
                false
            }
            TypeTest::Enum(_) | TypeTest::Result => {
                covered.iter_mut().for_each(|c| *c = true);
                false
            }
            _ => false,
        },
        P::Or(ps) => {
            let mut all = false;
            for q in ps {
                all |= cover(q, covered, null);
            }
            all
        }
        _ => false,
    }
}

/// True for patterns that match every value of their type.
fn is_irrefutable(p: &hir::Pattern) -> bool {
    match &p.kind {
        P::Wildcard | P::Bind(_) => true,
        P::Tuple(ps) => matches!(p.ty, Type::Tuple(_)) && ps.iter().all(is_irrefutable),
        P::Record { type_id, fields } => {
            matches!(&p.ty, Type::Named(i, _) if i == type_id)
                && fields.iter().all(|(_, q)| is_irrefutable(q))
        }
        _ => is_err(&p.ty),
    }
}

/// `V(x: T, …)` on a variant (or `ok(v: T)`): the parser reads it as a record pattern;
/// it is a constructor pattern whose payloads are typed patterns.
fn typed_payload(
    path: &ast::TypeName,
    fields: &[(ast::Ident, ast::Pattern)],
    is_record: impl Fn(&str) -> bool,
) -> Option<ast::Pattern> {
    if path.path.len() == 1 && is_record(&path.path[0].name) {
        return None;
    }
    let args = fields
        .iter()
        .map(|(name, p)| {
            let tn = match &p.kind {
                ast::PatternKind::Ident(n) => ast::TypeName {
                    path: vec![ast::Ident {
                        name: n.clone(),
                        span: p.span,
                    }],
                    span: p.span,
                },
                ast::PatternKind::Path(tn) => tn.clone(),
                _ => return None,
            };
            let bind = (name.name != "_").then(|| name.clone());
            Some(ast::Pattern {
                kind: ast::PatternKind::Typed { name: bind, ty: tn },
                span: name.span,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(ast::Pattern {
        kind: ast::PatternKind::Ctor {
            path: path.clone(),
            args,
        },
        span: path.span,
    })
}
