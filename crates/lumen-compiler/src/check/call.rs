//! Calls (§3.1, §3.2, §3.3, §5.14): cells and methods with named and default arguments,
//! record construction, variant construction, method syntax, function values, builtins.

use super::expr::{err_expr, is_pure, mk};
use super::types::{self, is_err};
use super::unify::{self, Bounds};
use super::{Checker, ValueSym};
use crate::ast::{self, Span};
use crate::hir::{self, ExprKind as K, FuncId};
use crate::types::Type;
use lumen_core::value::TypeId;

/// An argument bound to a parameter slot: its source position in evaluation order and
/// its checked expression.
type Slot = Option<(usize, hir::Expr)>;

impl<'a> Checker<'a> {
    /// `callee(args)` in all its forms.
    pub(super) fn call(
        &mut self,
        callee: &ast::Expr,
        args: &[ast::Arg],
        span: Span,
        expected: Option<&Type>,
    ) -> hir::Expr {
        match &callee.kind {
            ast::ExprKind::Ident(name) => {
                if let Some(b) = self.lookup_local(name) {
                    let f = self.read(b.local, b.ty, callee.span);
                    return self.call_value(f, args, span);
                }
                match self.values.get(name).copied() {
                    Some(ValueSym::Func(fid)) => self.call_func(fid, None, callee.span, args, span),
                    Some(ValueSym::Record(id)) => {
                        self.construct_record(id, callee.span, args, span)
                    }
                    Some(ValueSym::Extern) => {
                        self.args_only(args);
                        self.error(
                            callee.span,
                            format!("extern cell '{name}' cannot be called on this tier"),
                        );
                        err_expr(span)
                    }
                    Some(ValueSym::Const(_)) => {
                        let f = self.expr(callee, None);
                        self.call_value(f, args, span)
                    }
                    Some(ValueSym::Enum(_)) | Some(ValueSym::Alias) => {
                        self.args_only(args);
                        self.error(callee.span, format!("'{name}' is a type, not a value"));
                        err_expr(span)
                    }
                    None => match self.resolve_variant(name, expected, callee.span) {
                        Ok(Some((id, tag))) => self.construct_variant(id, tag, args, span),
                        Err((s, m)) => {
                            self.args_only(args);
                            self.error(s, m);
                            err_expr(span)
                        }
                        Ok(None) => {
                            if super::builtins::is_builtin(name) {
                                self.call_builtin(name, None, args, span)
                            } else {
                                self.args_only(args);
                                self.error(callee.span, format!("undefined name '{name}'"));
                                err_expr(span)
                            }
                        }
                    },
                }
            }
            ast::ExprKind::Field { base, field } => {
                if let Some(r) = self.qualified_variant(base, field) {
                    return match r {
                        Some((id, tag)) => self.construct_variant(id, tag, args, span),
                        None => {
                            self.args_only(args);
                            err_expr(span)
                        }
                    };
                }
                let recv = self.expr(base, None);
                self.method_call(recv, field, args, span)
            }
            _ => {
                let f = self.expr(callee, None);
                self.call_value(f, args, span)
            }
        }
    }

    /// Checks arguments of a call that already failed (for their own errors).
    fn args_only(&mut self, args: &[ast::Arg]) {
        for a in args {
            self.expr(&a.value, None);
        }
    }

    /// `recv.m(args)` (§5.14): a record's function field, the enum's method, else the
    /// top-level cell or builtin `m` with `recv` first.
    pub(super) fn method_call(
        &mut self,
        recv: hir::Expr,
        method: &ast::Ident,
        args: &[ast::Arg],
        span: Span,
    ) -> hir::Expr {
        if is_err(&recv.ty) {
            self.args_only(args);
            return err_expr(span);
        }
        if let Type::Named(id, _) = &recv.ty {
            let info = &self.decls[*id as usize];
            if info.is_record {
                if info.fields.iter().any(|(n, _, _)| *n == method.name) {
                    let f = self.field_access(recv, method, span);
                    return self.call_value(f, args, span);
                }
            } else if let Some(&fid) = info.methods.get(&method.name) {
                return self.call_func(fid, Some(recv), span, args, span);
            }
        }
        match self.values.get(&method.name).copied() {
            Some(ValueSym::Func(fid)) => self.call_func(fid, Some(recv), span, args, span),
            Some(ValueSym::Extern) => {
                self.args_only(args);
                self.error(
                    method.span,
                    format!(
                        "extern cell '{}' cannot be called on this tier",
                        method.name
                    ),
                );
                err_expr(span)
            }
            _ if super::builtins::is_builtin(&method.name) => {
                self.call_builtin(&method.name, Some(recv), args, span)
            }
            _ => {
                self.args_only(args);
                let msg = format!("undefined name '{}'", method.name);
                self.error(method.span, msg);
                err_expr(span)
            }
        }
    }

    /// A call through a function value: positional, every argument passed.
    fn call_value(&mut self, f: hir::Expr, args: &[ast::Arg], span: Span) -> hir::Expr {
        let (params, ret) = match f.ty.clone() {
            Type::Fn(ps, r) => (ps, *r),
            t if is_err(&t) => {
                self.args_only(args);
                return err_expr(span);
            }
            Type::Never => {
                self.args_only(args);
                return mk(K::Null, Type::Never, span);
            }
            t => {
                self.args_only(args);
                let msg = format!("cannot call a value of type {}", self.show(&t));
                self.error(f.span, msg);
                return err_expr(span);
            }
        };
        let mut out = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if let Some(n) = &a.name {
                self.error(n.span, format!("unknown argument '{}'", n.name));
            }
            let e = self.expr(&a.value, params.get(i));
            match params.get(i) {
                Some(p) => self.blame(&e, p),
                None => self.error(
                    e.span,
                    format!("too many arguments: expected {}", params.len()),
                ),
            }
            out.push(e);
        }
        if args.len() < params.len() {
            self.error(
                f.span,
                format!(
                    "missing argument: expected {} arguments, found {}",
                    params.len(),
                    args.len()
                ),
            );
        }
        mk(
            K::CallValue {
                callee: Box::new(f),
                args: out,
            },
            ret,
            span,
        )
    }

    /// Binds positional then named arguments to parameter slots (reporting unknown,
    /// repeated and surplus arguments). `first` is an already checked receiver.
    fn bind_args(
        &mut self,
        names: &[String],
        expected: &[Type],
        first: Option<hir::Expr>,
        args: &[ast::Arg],
        what: &str,
        deferred: Option<&mut Vec<(usize, FuncId)>>,
    ) -> Vec<Slot> {
        let mut deferred = deferred;
        let mut slots: Vec<Slot> = vec![None; names.len()];
        let mut order = 0;
        let mut pos = 0;
        if let Some(r) = first {
            if slots.is_empty() {
                self.error(r.span, "too many arguments: expected 0");
            } else {
                slots[0] = Some((0, r));
            }
            pos = 1;
            order = 1;
        }
        let mut named_seen = false;
        for a in args {
            match &a.name {
                None => {
                    if named_seen {
                        self.error(a.value.span, "positional argument after named arguments");
                        self.expr(&a.value, None);
                        continue;
                    }
                    if pos >= names.len() {
                        let e = self.expr(&a.value, None);
                        self.error(
                            e.span,
                            format!("too many arguments: expected {}", names.len()),
                        );
                        continue;
                    }
                    let e =
                        self.check_arg(&a.value, expected.get(pos), pos, deferred.as_deref_mut());
                    slots[pos] = Some((order, e));
                    pos += 1;
                    order += 1;
                }
                Some(n) => {
                    named_seen = true;
                    match names.iter().position(|p| *p == n.name) {
                        None => {
                            self.error(n.span, format!("unknown {what} '{}'", n.name));
                            self.expr(&a.value, None);
                        }
                        Some(i) if slots[i].is_some() => {
                            self.error(n.span, format!("repeated {what} '{}'", n.name));
                            self.expr(&a.value, None);
                        }
                        Some(i) => {
                            let e = self.check_arg(
                                &a.value,
                                expected.get(i),
                                i,
                                deferred.as_deref_mut(),
                            );
                            slots[i] = Some((order, e));
                            order += 1;
                        }
                    }
                }
            }
        }
        slots
    }

    /// Checks an argument; a generic cell named as the argument of a generic call is
    /// deferred (`Never`-typed placeholder) until the other arguments fix its type.
    fn check_arg(
        &mut self,
        e: &ast::Expr,
        expected: Option<&Type>,
        slot: usize,
        deferred: Option<&mut Vec<(usize, FuncId)>>,
    ) -> hir::Expr {
        if let (Some(d), ast::ExprKind::Ident(name)) = (deferred, &e.kind)
            && let Some(ValueSym::Func(fid)) = self.values.get(name).copied()
            && !self.sigs[fid as usize].type_params.is_empty()
            && self.lookup_local(name).is_none()
        {
            d.push((slot, fid));
            return mk(K::Null, Type::Never, e.span);
        }
        self.expr(e, expected)
    }

    /// Instantiates deferred generic cell arguments with the parameter types the other
    /// arguments determine.
    fn instantiate_deferred(
        &mut self,
        n_tparams: usize,
        ptys: &[Type],
        slots: &mut [Slot],
        deferred: &[(usize, FuncId)],
    ) {
        let mut b = Bounds::new(n_tparams);
        for (p, s) in ptys.iter().zip(slots.iter()) {
            if let Some((_, e)) = s {
                b.collect(p, &e.ty);
            }
        }
        let partial = b.solve();
        for &(i, fid) in deferred {
            let Some((order, placeholder)) = slots[i].take() else {
                continue;
            };
            let bound = |t: &Type| unify::params_of(t).iter().all(|&k| b.is_bound(k));
            // The function's parameter types must be known; an unknown result is left
            // to the cell's own signature (`Never` adds nothing when unifying).
            let exp = match ptys.get(i) {
                Some(Type::Fn(ps, r)) if ps.iter().all(bound) => Some(Type::Fn(
                    ps.iter().map(|p| types::subst(p, &partial)).collect(),
                    Box::new(if bound(r) {
                        types::subst(r, &partial)
                    } else {
                        Type::Never
                    }),
                )),
                Some(p) if bound(p) => Some(types::subst(p, &partial)),
                _ => None,
            };
            let e = self.func_value(fid, placeholder.span, exp.as_ref());
            slots[i] = Some((order, e));
        }
    }

    /// Infers type arguments from the bound slots and checks each argument against its
    /// (instantiated) parameter type.
    fn infer_and_check(&mut self, n_tparams: usize, ptys: &[Type], slots: &[Slot]) -> Vec<Type> {
        let targs = if n_tparams > 0 {
            let mut b = Bounds::new(n_tparams);
            for (p, s) in ptys.iter().zip(slots) {
                if let Some((_, e)) = s {
                    b.collect(p, &e.ty);
                }
            }
            b.solve()
        } else {
            Vec::new()
        };
        for (p, s) in ptys.iter().zip(slots) {
            if let Some((_, e)) = s {
                let t = types::subst(p, &targs);
                self.blame(e, &t);
            }
        }
        targs
    }

    /// Arguments in parameter order, with `let` temporaries when that order differs from
    /// the source order of effectful arguments. `fill` supplies omitted ones.
    fn order_args(
        &mut self,
        slots: Vec<Slot>,
        mut fill: impl FnMut(usize) -> hir::Expr,
        span: Span,
    ) -> (Vec<hir::Expr>, Vec<hir::Expr>) {
        let orders: Vec<usize> = slots
            .iter()
            .filter_map(|s| s.as_ref().map(|(o, _)| *o))
            .collect();
        let in_order = orders.windows(2).all(|w| w[0] < w[1]);
        let all_pure = slots.iter().flatten().all(|(_, e)| is_pure(e));
        let mut pre: Vec<(usize, hir::Expr)> = Vec::new();
        let mut out = Vec::new();
        for (i, s) in slots.into_iter().enumerate() {
            match s {
                None => out.push(fill(i)),
                Some((_, e)) if in_order || all_pure || is_pure(&e) => out.push(e),
                Some((o, e)) => {
                    let ty = e.ty.clone();
                    let espan = e.span;
                    let tmp = self.temp(ty.clone());
                    pre.push((o, self.let_local(tmp, e, span)));
                    out.push(self.read(tmp, ty, espan));
                }
            }
        }
        pre.sort_by_key(|(o, _)| *o);
        (pre.into_iter().map(|(_, e)| e).collect(), out)
    }

    /// A call of a cell or method (`recv` is the receiver of method syntax).
    pub(super) fn call_func(
        &mut self,
        fid: FuncId,
        recv: Option<hir::Expr>,
        callee_span: Span,
        args: &[ast::Arg],
        span: Span,
    ) -> hir::Expr {
        self.add_edge(fid);
        let sig = self.sigs[fid as usize].clone();
        let names: Vec<String> = sig.params.iter().map(|p| p.name.clone()).collect();
        let ptys: Vec<Type> = sig.params.iter().map(|p| p.ty.clone()).collect();
        let mut deferred = Vec::new();
        let generic = !sig.type_params.is_empty();
        let mut slots = self.bind_args(
            &names,
            &ptys,
            recv,
            args,
            "argument",
            generic.then_some(&mut deferred),
        );
        let mut missing = false;
        for (i, p) in sig.params.iter().enumerate() {
            if slots[i].is_none() && p.default.is_none() {
                self.error(callee_span, format!("missing argument '{}'", p.name));
                missing = true;
            }
        }
        if missing {
            return err_expr(span);
        }
        if !deferred.is_empty() {
            self.instantiate_deferred(sig.type_params.len(), &ptys, &mut slots, &deferred);
        }
        let targs = self.infer_and_check(sig.type_params.len(), &ptys, &slots);
        let ret = types::subst(&self.func_ret(fid), &targs);
        let defaults: Vec<(Option<u32>, Type)> = sig
            .params
            .iter()
            .map(|p| (p.default, types::subst(&p.ty, &targs)))
            .collect();
        let (pre, args) = self.order_args(
            slots,
            |i| match defaults[i] {
                (Some(c), ref t) => mk(K::Const(c), t.clone(), span),
                (None, _) => err_expr(span),
            },
            span,
        );
        let call = mk(K::Call { func: fid, args }, ret, span);
        wrap(pre, call)
    }

    /// `Name(field: value, …)`.
    fn construct_record(
        &mut self,
        id: TypeId,
        callee_span: Span,
        args: &[ast::Arg],
        span: Span,
    ) -> hir::Expr {
        let info = &self.decls[id as usize];
        let names: Vec<String> = info.fields.iter().map(|f| f.0.clone()).collect();
        let ftys: Vec<Type> = info.fields.iter().map(|f| f.1.clone()).collect();
        let defaults: Vec<Option<u32>> = info.fields.iter().map(|f| f.2).collect();
        let n_tparams = info.type_params.len();
        let rname = info.name.clone();
        for a in args {
            if a.name.is_none() {
                self.error(a.value.span, format!("fields of '{rname}' must be named"));
            }
        }
        let named: Vec<ast::Arg> = args.iter().filter(|a| a.name.is_some()).cloned().collect();
        for a in args.iter().filter(|a| a.name.is_none()) {
            self.expr(&a.value, None);
        }
        let slots = self.bind_args(&names, &ftys, None, &named, "field", None);
        let mut missing = false;
        for (i, n) in names.iter().enumerate() {
            if slots[i].is_none() && defaults[i].is_none() {
                self.error(callee_span, format!("missing field '{n}'"));
                missing = true;
            }
        }
        if missing {
            return err_expr(span);
        }
        let targs = self.infer_and_check(n_tparams, &ftys, &slots);
        let (pre, fields) = self.order_args(
            slots,
            |i| match defaults[i] {
                Some(c) => mk(K::Const(c), types::subst(&ftys[i], &targs), span),
                None => err_expr(span),
            },
            span,
        );
        let rec = mk(
            K::Record {
                type_id: id,
                fields,
            },
            Type::Named(id, targs),
            span,
        );
        wrap(pre, rec)
    }

    /// `V(payload…)`.
    fn construct_variant(
        &mut self,
        id: TypeId,
        tag: u32,
        args: &[ast::Arg],
        span: Span,
    ) -> hir::Expr {
        let info = &self.decls[id as usize];
        let (vname, ptys) = info.variants[tag as usize].clone();
        let n_tparams = info.type_params.len();
        let mut slots: Vec<Slot> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if let Some(n) = &a.name {
                self.error(n.span, format!("unknown argument '{}'", n.name));
            }
            let e = self.expr(&a.value, ptys.get(i));
            slots.push(Some((i, e)));
        }
        if args.len() != ptys.len() {
            let msg = format!(
                "variant '{vname}' takes {} payload value{}, found {}",
                ptys.len(),
                if ptys.len() == 1 { "" } else { "s" },
                args.len()
            );
            self.error(span, msg);
            return err_expr(span);
        }
        let targs = self.infer_and_check(n_tparams, &ptys, &slots);
        let targs = if targs.is_empty() {
            vec![Type::Never; n_tparams]
        } else {
            targs
        };
        let payload = slots.into_iter().flatten().map(|(_, e)| e).collect();
        mk(
            K::Variant {
                type_id: id,
                tag,
                payload,
            },
            Type::Named(id, targs),
            span,
        )
    }

    /// A builtin call (positional arguments only).
    fn call_builtin(
        &mut self,
        name: &str,
        recv: Option<hir::Expr>,
        args: &[ast::Arg],
        span: Span,
    ) -> hir::Expr {
        let mut out: Vec<hir::Expr> = recv.into_iter().collect();
        let skip = out.len();
        // `reduce(xs, f, init)`: a generic cell `f` is instantiated from `init`'s type, so
        // `init` is checked first in that case.
        let mut early_init = None;
        if name == "reduce"
            && out.len() + args.len() == 3
            && let Some(f) = args.get(1 - skip)
            && self.generic_cell_ref(&f.value).is_some()
            && let Some(init) = args.last()
        {
            early_init = Some(self.expr(&init.value, None));
        }
        for (i, a) in args.iter().enumerate() {
            if let Some(n) = &a.name {
                self.error(n.span, format!("unknown argument '{}'", n.name));
            }
            if i + 1 == args.len()
                && let Some(init) = early_init.take()
            {
                out.push(init);
                continue;
            }
            let e = match self.generic_cell_ref(&a.value) {
                Some(fid) => match hof_param_types(name, out.len(), &out, early_init.as_ref()) {
                    Some(given) => self.func_value_from_params(fid, a.value.span, &given),
                    None => self.expr(&a.value, None),
                },
                None => self.expr(&a.value, None),
            };
            out.push(e);
        }
        self.builtin_call(name, out, span)
    }

    /// The generic cell a bare name denotes (not shadowed by a local), if any.
    fn generic_cell_ref(&mut self, e: &ast::Expr) -> Option<FuncId> {
        let ast::ExprKind::Ident(n) = &e.kind else {
            return None;
        };
        if self.lookup_local(n).is_some() {
            return None;
        }
        match self.values.get(n.as_str()).copied() {
            Some(ValueSym::Func(fid)) if !self.sigs[fid as usize].type_params.is_empty() => {
                Some(fid)
            }
            _ => None,
        }
    }
}

/// The parameter types a higher-order builtin (§8) passes to its function argument at
/// position `pos`, computed from the arguments before it (and `reduce`'s `init`).
fn hof_param_types(
    name: &str,
    pos: usize,
    before: &[hir::Expr],
    init: Option<&hir::Expr>,
) -> Option<Vec<Type>> {
    let elem = match &before.first()?.ty {
        Type::List(e) => (**e).clone(),
        _ => return None,
    };
    match (name, pos) {
        ("map" | "filter" | "any" | "all" | "find" | "sort_by", 1) => Some(vec![elem]),
        ("reduce", 1) => Some(vec![init?.ty.clone(), elem]),
        _ => None,
    }
}

/// Prefixes a call with the `let`s of its argument temporaries.
fn wrap(pre: Vec<hir::Expr>, e: hir::Expr) -> hir::Expr {
    if pre.is_empty() {
        return e;
    }
    let ty = e.ty.clone();
    let span = e.span;
    let mut v = pre;
    v.push(e);
    mk(K::Block(v), ty, span)
}
