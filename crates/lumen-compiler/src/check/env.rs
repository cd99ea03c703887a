//! Local names: function contexts, scopes, narrowed bindings, captures of lambdas, loops.

use super::Checker;
use crate::hir::{self, FuncId, LocalId, LoopId};
use crate::types::Type;

/// A name visible in a scope: the local it denotes and its (possibly narrowed) type.
#[derive(Clone, Debug)]
pub(super) struct Binding {
    pub name: String,
    pub local: LocalId,
    pub ty: Type,
}

/// An enclosing loop.
pub(super) struct LoopInfo {
    pub label: Option<String>,
    pub id: LoopId,
    /// Whether some `break` leaves it (a `loop` no break leaves has type `Never`).
    pub broken: bool,
}

/// The state of one function body being checked (a cell, method, lambda or constant).
pub(super) struct FnCtx {
    /// The function's id (`u32::MAX` for constant expressions).
    pub func: FuncId,
    pub is_lambda: bool,
    pub locals: Vec<hir::Local>,
    pub scopes: Vec<Vec<Binding>>,
    /// For lambdas: (inner local, outer local, type) of each captured value.
    pub captures: Vec<(LocalId, LocalId, Type)>,
    pub loops: Vec<LoopInfo>,
    pub next_loop: LoopId,
    /// Declared return type.
    pub ret: Option<Type>,
    /// Types of `return`s seen (for an inferred return type).
    pub returns: Vec<Type>,
}

impl FnCtx {
    /// A fresh context.
    pub fn new(func: FuncId, is_lambda: bool, ret: Option<Type>) -> FnCtx {
        FnCtx {
            func,
            is_lambda,
            locals: Vec::new(),
            scopes: vec![Vec::new()],
            captures: Vec::new(),
            loops: Vec::new(),
            next_loop: 0,
            ret,
            returns: Vec::new(),
        }
    }

    /// Adds a local (not yet visible by name).
    pub fn new_local(&mut self, name: &str, ty: Type, mutable: bool) -> LocalId {
        self.locals.push(hir::Local {
            name: name.to_string(),
            ty,
            mutable,
        });
        (self.locals.len() - 1) as LocalId
    }

    fn find(&self, name: &str) -> Option<&Binding> {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.iter().rev().find(|b| b.name == name))
    }
}

impl<'a> Checker<'a> {
    /// The innermost function context.
    pub(super) fn ctx(&mut self) -> &mut FnCtx {
        if self.ctxs.is_empty() {
            self.ctxs.push(FnCtx::new(u32::MAX, false, None));
        }
        let n = self.ctxs.len() - 1;
        &mut self.ctxs[n]
    }

    /// Looks a local name up, capturing it into the enclosing lambdas when it belongs to
    /// an outer function.
    pub(super) fn lookup_local(&mut self, name: &str) -> Option<Binding> {
        if self.ctxs.is_empty() {
            return None;
        }
        self.lookup_in(self.ctxs.len() - 1, name)
    }

    fn lookup_in(&mut self, k: usize, name: &str) -> Option<Binding> {
        if let Some(b) = self.ctxs[k].find(name) {
            return Some(b.clone());
        }
        if k == 0 || !self.ctxs[k].is_lambda {
            return None;
        }
        let outer = self.lookup_in(k - 1, name)?;
        let ctx = &mut self.ctxs[k];
        let inner = ctx.new_local(name, outer.ty.clone(), false);
        ctx.captures.push((inner, outer.local, outer.ty.clone()));
        let b = Binding {
            name: name.to_string(),
            local: inner,
            ty: outer.ty,
        };
        ctx.scopes[0].push(b.clone());
        Some(b)
    }

    /// True when the local is a mutable binding.
    pub(super) fn local_mutable(&mut self, local: LocalId) -> bool {
        self.ctx()
            .locals
            .get(local as usize)
            .is_some_and(|l| l.mutable)
    }

    /// The declared type of a local.
    pub(super) fn local_decl_ty(&mut self, local: LocalId) -> Type {
        self.ctx()
            .locals
            .get(local as usize)
            .map_or_else(super::types::err, |l| l.ty.clone())
    }

    /// Opens a scope.
    pub(super) fn push_scope(&mut self) {
        self.ctx().scopes.push(Vec::new());
    }

    /// Opens a scope holding the given bindings (pattern bindings or narrowed facts).
    pub(super) fn push_bindings(&mut self, bs: Vec<Binding>) {
        self.ctx().scopes.push(bs);
    }

    /// Closes the innermost scope.
    pub(super) fn pop_scope(&mut self) {
        let ctx = self.ctx();
        if ctx.scopes.len() > 1 {
            ctx.scopes.pop();
        }
    }

    /// Makes a binding visible in the innermost scope.
    pub(super) fn bind(&mut self, b: Binding) {
        let ctx = self.ctx();
        if let Some(s) = ctx.scopes.last_mut() {
            s.push(b);
        }
    }

    /// A compiler temporary.
    pub(super) fn temp(&mut self, ty: Type) -> LocalId {
        self.ctx().new_local("$t", ty, false)
    }

    /// A read of a local with the given type.
    pub(super) fn read(&self, local: LocalId, ty: Type, span: hir::Span) -> hir::Expr {
        hir::Expr {
            kind: hir::ExprKind::Local(local),
            ty,
            span,
        }
    }
}
