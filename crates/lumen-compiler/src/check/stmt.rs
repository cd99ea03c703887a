//! Statements and blocks (§4): `let`, assignment (with compound forms expanded), `if`,
//! loops, labels, `break`/`continue`, `return`, `halt`, cell bodies.

use super::env::{FnCtx, LoopInfo};
use super::expr::{is_pure, mk};
use super::types::{self, err, has_err, has_never, is_err};
use super::{Checker, FuncSig};
use crate::ast::{self, Span};
use crate::hir::{self, ExprKind as K, FuncId, PlaceElem};
use crate::types::Type;

impl<'a> Checker<'a> {
    /// A body in its own scope; its type is its tail value's.
    pub(super) fn block(&mut self, b: &ast::Block, expected: Option<&Type>) -> hir::Expr {
        self.stmts(&b.stmts, b.span, expected)
    }

    /// Statements in a new scope.
    pub(super) fn stmts(
        &mut self,
        stmts: &[ast::Stmt],
        span: Span,
        expected: Option<&Type>,
    ) -> hir::Expr {
        self.push_scope();
        let mut out = Vec::new();
        for (i, s) in stmts.iter().enumerate() {
            let last = i + 1 == stmts.len();
            out.push(self.stmt(s, if last { expected } else { None }));
        }
        self.pop_scope();
        let ty = out.last().map_or(Type::Null, |e| e.ty.clone());
        mk(K::Block(out), ty, span)
    }

    fn stmt(&mut self, s: &ast::Stmt, expected: Option<&Type>) -> hir::Expr {
        let span = s.span;
        match &s.kind {
            ast::StmtKind::Let {
                mutable,
                pattern,
                ty,
                value,
            } => {
                let ann = ty.as_ref().map(|t| self.resolve_type(t));
                let v = self.expr(value, ann.as_ref());
                let t = match ann {
                    Some(a) => {
                        self.blame(&v, &a);
                        a
                    }
                    None => {
                        if has_never(&v.ty) && !has_err(&v.ty) {
                            self.error(value.span, "cannot infer type; add an annotation");
                            err()
                        } else {
                            v.ty.clone()
                        }
                    }
                };
                let (pat, binds) = self.irrefutable(pattern, &t, *mutable);
                for b in binds {
                    self.bind(b);
                }
                mk(
                    K::Let {
                        pattern: pat,
                        value: Box::new(v),
                    },
                    Type::Null,
                    span,
                )
            }
            ast::StmtKind::Assign { place, op, value } => self.assign(place, *op, value, span),
            ast::StmtKind::If {
                cond,
                then_branch,
                else_branch,
            } => {
                let c = self.cond(cond);
                let (t, f) = self.facts(cond);
                self.push_bindings(t);
                let th = self.block(then_branch, expected);
                self.pop_scope();
                let el = else_branch.as_ref().map(|b| {
                    self.push_bindings(f);
                    let e = self.block(b, expected);
                    self.pop_scope();
                    e
                });
                let ty = match &el {
                    Some(e) => types::join(&th.ty, &e.ty),
                    None => Type::Null,
                };
                mk(
                    K::If {
                        cond: Box::new(c),
                        then_branch: Box::new(th),
                        else_branch: el.map(Box::new),
                    },
                    ty,
                    span,
                )
            }
            ast::StmtKind::While { label, cond, body } => {
                let c = self.cond(cond);
                let (t, _) = self.facts(cond);
                let id = self.push_loop(label.as_ref());
                self.push_bindings(t);
                let b = self.block(body, None);
                self.pop_scope();
                self.ctx().loops.pop();
                mk(
                    K::While {
                        id,
                        cond: Box::new(c),
                        body: Box::new(b),
                    },
                    Type::Null,
                    span,
                )
            }
            ast::StmtKind::Loop { label, body } => {
                let id = self.push_loop(label.as_ref());
                let b = self.block(body, None);
                let broken = self.ctx().loops.pop().is_some_and(|l| l.broken);
                mk(
                    K::Loop {
                        id,
                        body: Box::new(b),
                    },
                    if broken { Type::Null } else { Type::Never },
                    span,
                )
            }
            ast::StmtKind::For {
                label,
                pattern,
                iter,
                filter,
                body,
            } => {
                let (source, elem_ty) = self.for_source(iter);
                self.push_scope();
                let (pat, binds) = self.irrefutable(pattern, &elem_ty, false);
                for b in binds {
                    self.bind(b);
                }
                let filter = filter.as_ref().map(|f| {
                    let c = self.cond(f);
                    let (t, _) = self.facts(f);
                    (c, t)
                });
                let (filter, facts) = match filter {
                    Some((c, t)) => (Some(Box::new(c)), t),
                    None => (None, Vec::new()),
                };
                let id = self.push_loop(label.as_ref());
                self.push_bindings(facts);
                let b = self.block(body, None);
                self.pop_scope();
                self.ctx().loops.pop();
                self.pop_scope();
                mk(
                    K::For {
                        id,
                        pattern: pat,
                        source,
                        filter,
                        body: Box::new(b),
                    },
                    Type::Null,
                    span,
                )
            }
            ast::StmtKind::Break(label) | ast::StmtKind::Continue(label) => {
                let is_break = matches!(s.kind, ast::StmtKind::Break(_));
                let word = if is_break { "break" } else { "continue" };
                let ctx = self.ctx();
                let found = match label {
                    None => ctx.loops.len().checked_sub(1),
                    Some(l) => ctx
                        .loops
                        .iter()
                        .rposition(|x| x.label.as_deref() == Some(l.name.as_str())),
                };
                match found {
                    Some(i) => {
                        if is_break {
                            ctx.loops[i].broken = true;
                        }
                        let id = ctx.loops[i].id;
                        mk(
                            if is_break {
                                K::Break(id)
                            } else {
                                K::Continue(id)
                            },
                            Type::Never,
                            span,
                        )
                    }
                    None => {
                        match label {
                            None => self.error(span, format!("'{word}' outside a loop")),
                            Some(l) => self.error(l.span, format!("unknown label '@{}'", l.name)),
                        }
                        mk(K::Null, Type::Never, span)
                    }
                }
            }
            ast::StmtKind::Return(value) => {
                let ret = self.ctx().ret.clone();
                let v = match value {
                    Some(v) => {
                        let e = self.expr(v, ret.as_ref());
                        if let Some(r) = &ret {
                            self.blame(&e, r);
                        }
                        e
                    }
                    None => {
                        if let Some(r) = &ret
                            && !types::assignable(&Type::Null, r)
                        {
                            self.error(span, "missing return value");
                        }
                        mk(K::Null, Type::Null, span)
                    }
                };
                let t = v.ty.clone();
                self.ctx().returns.push(t);
                mk(K::Return(Box::new(v)), Type::Never, span)
            }
            ast::StmtKind::Halt(e) => {
                let v = self.expr(e, None);
                self.blame(&v, &Type::Str);
                mk(K::Halt(Box::new(v)), Type::Never, span)
            }
            ast::StmtKind::Expr(e) => self.expr(e, expected),
        }
    }

    /// Enters a loop (labels must be unique among the enclosing loops).
    fn push_loop(&mut self, label: Option<&ast::Ident>) -> hir::LoopId {
        if let Some(l) = label
            && self
                .ctx()
                .loops
                .iter()
                .any(|x| x.label.as_deref() == Some(l.name.as_str()))
        {
            self.error(l.span, format!("duplicate label '@{}'", l.name));
        }
        let id = self.new_loop_id();
        self.ctx().loops.push(LoopInfo {
            label: label.map(|l| l.name.clone()),
            id,
            broken: false,
        });
        id
    }

    /// `place = value` / `place op= value` (§4.3).
    fn assign(
        &mut self,
        place: &ast::Expr,
        op: Option<ast::BinOp>,
        value: &ast::Expr,
        span: Span,
    ) -> hir::Expr {
        enum Step<'e> {
            Field(&'e ast::Ident),
            Index(&'e ast::Expr),
        }
        let mut chain = Vec::new();
        let mut cur = place;
        let root = loop {
            match &cur.kind {
                ast::ExprKind::Ident(n) => break n,
                ast::ExprKind::Field { base, field } => {
                    chain.push(Step::Field(field));
                    cur = base;
                }
                ast::ExprKind::Index { base, index } => {
                    chain.push(Step::Index(index));
                    cur = base;
                }
                _ => {
                    self.error(cur.span, "invalid assignment target");
                    self.expr(value, None);
                    return mk(K::Null, Type::Null, span);
                }
            }
        };
        chain.reverse();
        let fail = |c: &mut Checker, chain: &[Step]| {
            for s in chain {
                if let Step::Index(i) = s {
                    c.expr(i, None);
                }
            }
            c.expr(value, None);
            mk(K::Null, Type::Null, span)
        };
        let Some(b) = self.lookup_local(root) else {
            if self.values.contains_key(root) {
                self.error(
                    cur.span,
                    format!("cannot assign to immutable binding '{root}'"),
                );
            } else {
                self.error(cur.span, format!("undefined name '{root}'"));
            }
            return fail(self, &chain);
        };
        if !self.local_mutable(b.local) {
            self.error(
                cur.span,
                format!("cannot assign to immutable binding '{root}'"),
            );
            return fail(self, &chain);
        }
        let mut ty = self.local_decl_ty(b.local);
        // Each step with the type of the place it leads to.
        let mut steps: Vec<(PlaceElem, Type)> = Vec::new();
        for step in &chain {
            match step {
                Step::Field(f) => {
                    let found = match &ty {
                        Type::Named(id, targs) if self.decls[*id as usize].is_record => self.decls
                            [*id as usize]
                            .fields
                            .iter()
                            .position(|(n, _, _)| *n == f.name)
                            .map(|i| {
                                (
                                    i,
                                    types::subst(&self.decls[*id as usize].fields[i].1, targs),
                                )
                            }),
                        _ => None,
                    };
                    match found {
                        Some((i, t)) => {
                            steps.push((PlaceElem::Field(i as u32), t.clone()));
                            ty = t;
                        }
                        None => {
                            if !is_err(&ty) {
                                let msg = if matches!(ty, Type::Tuple(_)) {
                                    "tuple elements are not assignable".to_string()
                                } else {
                                    format!("no field '{}' on type {}", f.name, self.show(&ty))
                                };
                                self.error(f.span, msg);
                            }
                            return fail(self, &[]);
                        }
                    }
                }
                Step::Index(i) => {
                    let ie = self.expr(i, None);
                    match ty.clone() {
                        Type::List(t) => {
                            self.blame(&ie, &Type::Int);
                            steps.push((PlaceElem::ListIndex(ie), (*t).clone()));
                            ty = *t;
                        }
                        Type::Map(k, v) => {
                            self.blame(&ie, &k);
                            steps.push((PlaceElem::MapIndex(ie), (*v).clone()));
                            ty = *v;
                        }
                        t => {
                            if !is_err(&t) {
                                let msg = if t == Type::Str {
                                    "string characters are not assignable".to_string()
                                } else {
                                    format!("cannot index a value of type {}", self.show(&t))
                                };
                                self.error(i.span, msg);
                            }
                            self.expr(value, None);
                            return mk(K::Null, Type::Null, span);
                        }
                    }
                }
            }
        }
        let v = self.expr(value, Some(&ty));
        let root_ty = self.local_decl_ty(b.local);
        let Some(op) = op else {
            self.blame(&v, &ty);
            let place = hir::Place {
                root: b.local,
                path: steps.into_iter().map(|(p, _)| p).collect(),
                span: place.span,
            };
            return mk(
                K::Assign {
                    place,
                    value: Box::new(v),
                },
                Type::Null,
                span,
            );
        };
        // Compound: index expressions and the value go to temporaries (evaluated once,
        // in order: indices, value, read, store).
        let mut pre = Vec::new();
        let has_index = steps.iter().any(|(p, _)| !matches!(p, PlaceElem::Field(_)));
        let mut path = Vec::new();
        let mut read = self.read(b.local, root_ty, place.span);
        for (p, t) in steps {
            let (elem, kind, idx) = match p {
                PlaceElem::Field(i) => {
                    read = mk(
                        K::Field {
                            base: Box::new(read),
                            index: i,
                        },
                        t,
                        place.span,
                    );
                    path.push(PlaceElem::Field(i));
                    continue;
                }
                PlaceElem::ListIndex(e) => (0, hir::IndexKind::List, e),
                PlaceElem::MapIndex(e) => (1, hir::IndexKind::Map, e),
            };
            let idx = if is_pure(&idx) {
                idx
            } else {
                let ity = idx.ty.clone();
                let ispan = idx.span;
                let tmp = self.temp(ity.clone());
                pre.push(self.let_local(tmp, idx, ispan));
                self.read(tmp, ity, ispan)
            };
            read = mk(
                K::Index {
                    kind,
                    base: Box::new(read),
                    index: Box::new(idx.clone()),
                },
                t,
                place.span,
            );
            path.push(if elem == 0 {
                PlaceElem::ListIndex(idx)
            } else {
                PlaceElem::MapIndex(idx)
            });
        }
        let v = if has_index && !is_pure(&v) {
            let vty = v.ty.clone();
            let vspan = v.span;
            let tmp = self.temp(vty.clone());
            pre.push(self.let_local(tmp, v, vspan));
            self.read(tmp, vty, vspan)
        } else {
            v
        };
        let vspan = v.span;
        let newv = self.binop(op, read, v, place.span);
        if !types::assignable(&newv.ty, &ty) {
            self.mismatch(vspan, &ty, &newv.ty);
        }
        let assign = mk(
            K::Assign {
                place: hir::Place {
                    root: b.local,
                    path,
                    span: place.span,
                },
                value: Box::new(newv),
            },
            Type::Null,
            span,
        );
        if pre.is_empty() {
            assign
        } else {
            pre.push(assign);
            mk(K::Block(pre), Type::Null, span)
        }
    }

    /// Checks the body of a cell or method.
    pub(super) fn check_cell_body(
        &mut self,
        fid: FuncId,
        sig: &FuncSig,
        decl: &'a ast::CellDecl,
    ) -> hir::Func {
        let mut ctx = FnCtx::new(fid, false, sig.ret.clone());
        let mut params = Vec::new();
        for p in &sig.params {
            let l = ctx.new_local(&p.name, p.ty.clone(), false);
            ctx.scopes[0].push(super::env::Binding {
                name: p.name.clone(),
                local: l,
                ty: p.ty.clone(),
            });
            params.push(l);
        }
        self.ctxs = vec![ctx];
        let body = self.block(&decl.body, sig.ret.as_ref());
        let (body, ret) = self.finish_body(body, sig.ret.clone(), sig.name_span);
        let ctx = self
            .ctxs
            .pop()
            .unwrap_or_else(|| FnCtx::new(fid, false, None));
        hir::Func {
            name: sig.name.clone(),
            kind: sig.kind,
            params,
            captures: Vec::new(),
            locals: ctx.locals,
            ret,
            body,
            span: decl.span,
        }
    }
}
