//! The type checker: resolves names, checks the types of LANGUAGE.md §2–§6 and §8, and
//! produces the typed, desugared [`hir::Program`].
//!
//! The driver here collects declarations, resolves signatures and constants, checks every
//! body (on demand for cells whose return type is inferred) and finally reports
//! recursion cycles through unannotated cells.

mod builtins;
mod call;
mod consts;
mod env;
mod expr;
mod narrow;
mod pattern;
mod stmt;
mod types;
mod unify;

#[cfg(test)]
mod tests;

use crate::ast::{self, Span};
use crate::diagnostics::Diagnostic;
use crate::hir::{self, ConstId, FuncId};
use crate::types::Type;
use env::FnCtx;
use lumen_core::value::{TypeId, Value};
use std::collections::HashMap;

/// Checks a parsed program. A partial program (with broken parts, see
/// [`check_partial`]) is never accepted, even when nothing else is wrong with it.
pub fn check(program: &ast::Program) -> Result<hir::Program, Vec<Diagnostic>> {
    let mut c = Checker::new(program);
    c.run();
    if c.diags.is_empty() && !is_partial(program) {
        Ok(c.finish())
    } else {
        let mut d = c.diags;
        d.sort_by_key(|d| d.span);
        d.dedup();
        Err(d)
    }
}

/// Checks what parsed of a program with syntax errors, returning only the diagnostics:
/// bodies marked broken are not checked, and nothing is reported about names that
/// broken declarations declare (§10.3: errors caused by earlier ones are suppressed).
pub fn check_partial(program: &ast::Program) -> Vec<Diagnostic> {
    let mut c = Checker::new(program);
    c.run();
    c.diags
}

/// True when syntax errors broke part of `program`.
fn is_partial(program: &ast::Program) -> bool {
    program.broken != ast::Broken::default()
        || program.decls.iter().any(|d| match d {
            ast::Decl::Cell(c) => c.broken,
            ast::Decl::Enum(e) => e.methods.iter().any(|m| m.broken),
            _ => false,
        })
}

/// What a name in the type namespace denotes.
#[derive(Clone, Copy, Debug)]
enum TypeSym {
    Decl(TypeId),
    Alias(usize),
}

/// What a top-level name in the value namespace denotes.
#[derive(Clone, Copy, Debug)]
enum ValueSym {
    Func(FuncId),
    Const(usize),
    Record(TypeId),
    Enum(TypeId),
    Extern,
    Alias,
}

/// A record or enum declaration with resolved member types.
struct TypeInfo {
    name: String,
    is_record: bool,
    type_params: Vec<String>,
    /// Record fields: name, type, default value (a constant id).
    fields: Vec<(String, Type, Option<ConstId>)>,
    /// Enum variants: name and payload types.
    variants: Vec<(String, Vec<Type>)>,
    /// Enum methods by name.
    methods: HashMap<String, FuncId>,
}

/// A parameter of a cell signature.
#[derive(Clone, Debug)]
struct ParamSig {
    name: String,
    ty: Type,
    default: Option<ConstId>,
}

/// The signature of a cell or method.
#[derive(Clone, Debug)]
struct FuncSig {
    name: String,
    type_params: Vec<String>,
    /// For methods, `self` comes first.
    params: Vec<ParamSig>,
    ret: Option<Type>,
    name_span: Span,
    kind: hir::FuncKind,
}

/// A type alias and its resolution state.
struct AliasInfo<'a> {
    decl: &'a ast::AliasDecl,
    resolved: Option<Type>,
    busy: bool,
}

/// A constant and its evaluation state.
struct ConstInfo<'a> {
    decl: &'a ast::ConstDecl,
    /// Type and value id once evaluated (error type and `None` after a failure).
    done: Option<(Type, Option<ConstId>)>,
    busy: bool,
}

/// Where a function body comes from.
#[derive(Clone, Copy)]
enum BodySrc<'a> {
    Cell(&'a ast::CellDecl),
    Method(TypeId, &'a ast::CellDecl),
}

/// The whole checking state.
struct Checker<'a> {
    prog: &'a ast::Program,
    diags: Vec<Diagnostic>,
    type_syms: HashMap<String, TypeSym>,
    values: HashMap<String, ValueSym>,
    variants: HashMap<String, Vec<(TypeId, u32)>>,
    decls: Vec<TypeInfo>,
    aliases: Vec<AliasInfo<'a>>,
    consts: Vec<ConstInfo<'a>>,
    sigs: Vec<FuncSig>,
    bodies: Vec<BodySrc<'a>>,
    funcs: Vec<Option<hir::Func>>,
    inferred: Vec<Option<Type>>,
    busy: Vec<bool>,
    const_values: Vec<Value>,
    /// Function contexts of the body being checked (a cell, then nested lambdas).
    ctxs: Vec<FnCtx>,
    /// Type parameters in scope for type expressions.
    tparams: Vec<String>,
    /// Call-graph edges between cells and methods (for recursion cycles).
    edges: Vec<(FuncId, FuncId)>,
    /// Bindings of the first alternative of the or-patterns being checked.
    or_reuse: Vec<Vec<env::Binding>>,
}

impl<'a> Checker<'a> {
    fn new(prog: &'a ast::Program) -> Checker<'a> {
        Checker {
            prog,
            diags: Vec::new(),
            type_syms: HashMap::new(),
            values: HashMap::new(),
            variants: HashMap::new(),
            decls: Vec::new(),
            aliases: Vec::new(),
            consts: Vec::new(),
            sigs: Vec::new(),
            bodies: Vec::new(),
            funcs: Vec::new(),
            inferred: Vec::new(),
            busy: Vec::new(),
            const_values: Vec::new(),
            ctxs: Vec::new(),
            tparams: Vec::new(),
            edges: Vec::new(),
            or_reuse: Vec::new(),
        }
    }

    /// Records a compile error, unless it is about a name a broken declaration declares.
    fn error(&mut self, span: Span, msg: impl Into<String>) {
        let msg = msg.into();
        if !self.prog.broken.names.is_empty() && self.about_broken_name(&msg) {
            return;
        }
        self.diags.push(Diagnostic::new(span, msg));
    }

    /// True for `undefined name/type/variant/record 'x'` where a declaration of `x` was
    /// dropped for a syntax error: the name exists, the error is caused by that one.
    fn about_broken_name(&self, msg: &str) -> bool {
        ["name", "type", "variant", "record"].iter().any(|what| {
            msg.strip_prefix("undefined ")
                .and_then(|m| m.strip_prefix(what))
                .and_then(|m| m.strip_prefix(" '"))
                .and_then(|m| m.strip_suffix('\''))
                .is_some_and(|name| self.prog.broken.names.iter().any(|b| b == name))
        })
    }

    /// Displays a type for messages.
    fn show(&self, t: &Type) -> String {
        types::show(t, &|id| {
            self.decls
                .get(id as usize)
                .map_or_else(|| "?".to_string(), |d| d.name.clone())
        })
    }

    /// `type mismatch: expected T, found U`.
    fn mismatch(&mut self, span: Span, expected: &Type, found: &Type) {
        let msg = format!(
            "type mismatch: expected {}, found {}",
            self.show(expected),
            self.show(found)
        );
        self.error(span, msg);
    }

    fn run(&mut self) {
        self.collect();
        self.check_type_params();
        self.resolve_decl_types();
        self.resolve_signatures();
        for i in 0..self.consts.len() {
            self.eval_const(i);
        }
        for fid in 0..self.sigs.len() {
            self.ensure_body(fid as FuncId);
        }
        self.check_recursion();
        self.check_main();
    }

    /// Registers every top-level name (pass 1).
    fn collect(&mut self) {
        let prog = self.prog;
        let mut top: HashMap<String, ()> = HashMap::new();
        let mut dup = |c: &mut Checker<'a>, id: &ast::Ident| -> bool {
            if top.insert(id.name.clone(), ()).is_some() {
                c.error(id.span, format!("duplicate definition of '{}'", id.name));
                true
            } else {
                false
            }
        };
        for decl in &prog.decls {
            match decl {
                ast::Decl::Cell(c) => {
                    if dup(self, &c.name) {
                        continue;
                    }
                    let fid = self.add_func(
                        c.name.name.clone(),
                        c,
                        BodySrc::Cell(c),
                        hir::FuncKind::Cell,
                    );
                    self.values.insert(c.name.name.clone(), ValueSym::Func(fid));
                }
                ast::Decl::Extern(e) => {
                    if dup(self, &e.name) {
                        continue;
                    }
                    self.values.insert(e.name.name.clone(), ValueSym::Extern);
                }
                ast::Decl::Record(r) => {
                    if dup(self, &r.name) {
                        continue;
                    }
                    let id = self.decls.len() as TypeId;
                    self.decls.push(TypeInfo {
                        name: r.name.name.clone(),
                        is_record: true,
                        type_params: r.type_params.iter().map(|p| p.name.clone()).collect(),
                        fields: Vec::new(),
                        variants: Vec::new(),
                        methods: HashMap::new(),
                    });
                    self.type_syms
                        .insert(r.name.name.clone(), TypeSym::Decl(id));
                    self.values
                        .insert(r.name.name.clone(), ValueSym::Record(id));
                }
                ast::Decl::Enum(e) => {
                    if dup(self, &e.name) {
                        continue;
                    }
                    let id = self.decls.len() as TypeId;
                    self.decls.push(TypeInfo {
                        name: e.name.name.clone(),
                        is_record: false,
                        type_params: e.type_params.iter().map(|p| p.name.clone()).collect(),
                        fields: Vec::new(),
                        variants: Vec::new(),
                        methods: HashMap::new(),
                    });
                    self.type_syms
                        .insert(e.name.name.clone(), TypeSym::Decl(id));
                    self.values.insert(e.name.name.clone(), ValueSym::Enum(id));
                    for m in &e.methods {
                        let taken = self.decls[id as usize].methods.contains_key(&m.name.name)
                            || e.variants.iter().any(|v| v.name.name == m.name.name);
                        if taken {
                            self.error(
                                m.name.span,
                                format!("duplicate definition of '{}'", m.name.name),
                            );
                            continue;
                        }
                        let name = format!("{}.{}", e.name.name, m.name.name);
                        let fid =
                            self.add_func(name, m, BodySrc::Method(id, m), hir::FuncKind::Method);
                        self.decls[id as usize]
                            .methods
                            .insert(m.name.name.clone(), fid);
                    }
                }
                ast::Decl::Const(c) => {
                    if dup(self, &c.name) {
                        continue;
                    }
                    self.values
                        .insert(c.name.name.clone(), ValueSym::Const(self.consts.len()));
                    self.consts.push(ConstInfo {
                        decl: c,
                        done: None,
                        busy: false,
                    });
                }
                ast::Decl::Alias(a) => {
                    if dup(self, &a.name) {
                        continue;
                    }
                    self.type_syms
                        .insert(a.name.name.clone(), TypeSym::Alias(self.aliases.len()));
                    self.values.insert(a.name.name.clone(), ValueSym::Alias);
                    self.aliases.push(AliasInfo {
                        decl: a,
                        resolved: None,
                        busy: false,
                    });
                }
            }
        }
        // Variants: unique within their enum, never sharing a top-level name.
        for decl in &prog.decls {
            if let ast::Decl::Enum(e) = decl {
                let Some(ValueSym::Enum(id)) = self.values.get(&e.name.name).copied() else {
                    continue;
                };
                if self.decls[id as usize].name != e.name.name
                    || !self.decls[id as usize].variants.is_empty()
                {
                    continue;
                }
                let mut seen: Vec<&str> = Vec::new();
                for (tag, v) in e.variants.iter().enumerate() {
                    if seen.contains(&v.name.name.as_str()) || top.contains_key(&v.name.name) {
                        self.error(
                            v.name.span,
                            format!("duplicate definition of '{}'", v.name.name),
                        );
                    }
                    seen.push(&v.name.name);
                    self.variants
                        .entry(v.name.name.clone())
                        .or_default()
                        .push((id, tag as u32));
                    // Payload types are resolved in pass 2.
                    self.decls[id as usize]
                        .variants
                        .push((v.name.name.clone(), Vec::new()));
                }
            }
        }
    }

    /// Type parameters of one declaration must be distinct.
    fn check_type_params(&mut self) {
        let prog = self.prog;
        let mut lists: Vec<&[ast::Ident]> = Vec::new();
        for decl in &prog.decls {
            match decl {
                ast::Decl::Cell(c) => lists.push(&c.type_params),
                ast::Decl::Record(r) => lists.push(&r.type_params),
                ast::Decl::Enum(e) => lists.push(&e.type_params),
                _ => {}
            }
        }
        for list in lists {
            for (i, p) in list.iter().enumerate() {
                if list[..i].iter().any(|q| q.name == p.name) {
                    self.error(p.span, format!("duplicate definition of '{}'", p.name));
                }
            }
        }
    }

    fn add_func(
        &mut self,
        name: String,
        c: &'a ast::CellDecl,
        src: BodySrc<'a>,
        kind: hir::FuncKind,
    ) -> FuncId {
        let fid = self.sigs.len() as FuncId;
        self.sigs.push(FuncSig {
            name,
            type_params: Vec::new(),
            params: Vec::new(),
            ret: None,
            name_span: c.name.span,
            kind,
        });
        self.bodies.push(src);
        self.funcs.push(None);
        self.inferred.push(None);
        self.busy.push(false);
        fid
    }

    /// Resolves record field and variant payload types and aliases (pass 2).
    fn resolve_decl_types(&mut self) {
        let prog = self.prog;
        for decl in &prog.decls {
            match decl {
                ast::Decl::Record(r) => {
                    let Some(TypeSym::Decl(id)) = self.type_syms.get(&r.name.name).copied() else {
                        continue;
                    };
                    if self.decls[id as usize].name != r.name.name
                        || !self.decls[id as usize].is_record
                    {
                        continue;
                    }
                    self.tparams = self.decls[id as usize].type_params.clone();
                    let mut fields: Vec<(String, Type, Option<ConstId>)> = Vec::new();
                    for f in &r.fields {
                        let ty = self.resolve_type(&f.ty);
                        if fields.iter().any(|(n, _, _)| *n == f.name.name) {
                            self.error(
                                f.name.span,
                                format!("duplicate definition of '{}'", f.name.name),
                            );
                            continue;
                        }
                        fields.push((f.name.name.clone(), ty, None));
                    }
                    self.tparams.clear();
                    self.decls[id as usize].fields = fields;
                }
                ast::Decl::Enum(e) => {
                    let Some(TypeSym::Decl(id)) = self.type_syms.get(&e.name.name).copied() else {
                        continue;
                    };
                    if self.decls[id as usize].name != e.name.name
                        || self.decls[id as usize].is_record
                    {
                        continue;
                    }
                    self.tparams = self.decls[id as usize].type_params.clone();
                    for (tag, v) in e.variants.iter().enumerate() {
                        let payload: Vec<Type> =
                            v.payload.iter().map(|t| self.resolve_type(t)).collect();
                        if let Some(slot) = self.decls[id as usize].variants.get_mut(tag) {
                            slot.1 = payload;
                        }
                    }
                    self.tparams.clear();
                }
                ast::Decl::Alias(a) => {
                    if let Some(TypeSym::Alias(i)) = self.type_syms.get(&a.name.name).copied() {
                        self.alias_type(i);
                    }
                }
                _ => {}
            }
        }
    }

    /// Resolves cell, method and extern signatures and field defaults (pass 3).
    fn resolve_signatures(&mut self) {
        let prog = self.prog;
        for decl in &prog.decls {
            match decl {
                ast::Decl::Extern(e) => {
                    for p in &e.params {
                        self.resolve_type(&p.ty);
                        if let Some(d) = &p.default {
                            self.error(d.span, "extern parameters cannot have defaults");
                        }
                    }
                    if let Some(r) = &e.ret {
                        self.resolve_type(r);
                    }
                }
                ast::Decl::Record(r) => {
                    let Some(TypeSym::Decl(id)) = self.type_syms.get(&r.name.name).copied() else {
                        continue;
                    };
                    if self.decls[id as usize].name != r.name.name
                        || !self.decls[id as usize].is_record
                    {
                        continue;
                    }
                    self.tparams = self.decls[id as usize].type_params.clone();
                    for f in &r.fields {
                        let Some(d) = &f.default else { continue };
                        let Some(idx) = self.decls[id as usize]
                            .fields
                            .iter()
                            .position(|(n, _, _)| *n == f.name.name)
                        else {
                            continue;
                        };
                        let ty = self.decls[id as usize].fields[idx].1.clone();
                        let c = self.eval_default(d, &ty);
                        self.decls[id as usize].fields[idx].2 = c;
                    }
                    self.tparams.clear();
                }
                _ => {}
            }
        }
        for fid in 0..self.sigs.len() {
            let (decl, owner) = match self.bodies[fid] {
                BodySrc::Cell(c) => (c, None),
                BodySrc::Method(id, c) => (c, Some(id)),
            };
            let mut params = Vec::new();
            let type_params: Vec<String> = match owner {
                Some(id) => {
                    let tps = self.decls[id as usize].type_params.clone();
                    let self_ty = Type::Named(
                        id,
                        tps.iter()
                            .enumerate()
                            .map(|(i, n)| Type::Param(i as u32, n.clone()))
                            .collect(),
                    );
                    params.push(ParamSig {
                        name: "self".into(),
                        ty: self_ty,
                        default: None,
                    });
                    if !decl.type_params.is_empty() {
                        self.error(
                            decl.type_params[0].span,
                            "methods cannot have type parameters",
                        );
                    }
                    tps
                }
                None => decl.type_params.iter().map(|p| p.name.clone()).collect(),
            };
            self.tparams = type_params.clone();
            let mut seen_default = false;
            for p in &decl.params {
                let ty = self.resolve_type(&p.ty);
                if params.iter().any(|q: &ParamSig| q.name == p.name.name) {
                    self.error(
                        p.name.span,
                        format!("duplicate definition of '{}'", p.name.name),
                    );
                }
                let default = match &p.default {
                    Some(d) => {
                        seen_default = true;
                        self.eval_default(d, &ty)
                    }
                    None => {
                        if seen_default {
                            self.error(
                                p.name.span,
                                "parameters with defaults must follow those without",
                            );
                        }
                        None
                    }
                };
                params.push(ParamSig {
                    name: p.name.name.clone(),
                    ty,
                    default,
                });
            }
            let ret = decl.ret.as_ref().map(|t| self.resolve_type(t));
            self.tparams.clear();
            let sig = &mut self.sigs[fid];
            sig.type_params = type_params;
            sig.params = params;
            sig.ret = ret;
        }
    }

    /// Resolves an alias on demand (aliases may refer to later aliases; cycles are errors).
    fn alias_type(&mut self, i: usize) -> Type {
        if let Some(t) = &self.aliases[i].resolved {
            return t.clone();
        }
        let decl = self.aliases[i].decl;
        if self.aliases[i].busy {
            self.error(
                decl.name.span,
                format!("recursive type alias '{}'", decl.name.name),
            );
            self.aliases[i].resolved = Some(types::err());
            return types::err();
        }
        self.aliases[i].busy = true;
        let saved = std::mem::take(&mut self.tparams);
        let t = self.resolve_type(&decl.ty);
        self.tparams = saved;
        self.aliases[i].busy = false;
        if self.aliases[i].resolved.is_none() {
            self.aliases[i].resolved = Some(t.clone());
        }
        self.aliases[i].resolved.clone().unwrap_or_else(types::err)
    }

    /// Resolves a written type.
    fn resolve_type(&mut self, t: &ast::TypeExpr) -> Type {
        match &t.kind {
            ast::TypeExprKind::Named { name, args } => {
                let n = name.name.as_str();
                if let Some(i) = self.tparams.iter().position(|p| p == n) {
                    if !args.is_empty() {
                        self.error(name.span, format!("type '{n}' takes no type arguments"));
                    }
                    return Type::Param(i as u32, n.to_string());
                }
                let resolved: Vec<Type> = args.iter().map(|a| self.resolve_type(a)).collect();
                let want = |c: &mut Checker, k: usize| -> bool {
                    if resolved.len() == k {
                        true
                    } else {
                        c.error(
                            name.span,
                            format!(
                                "type '{n}' takes {k} type argument{}",
                                if k == 1 { "" } else { "s" }
                            ),
                        );
                        false
                    }
                };
                let simple = |c: &mut Checker, ty: Type| -> Type {
                    if want(c, 0) { ty } else { types::err() }
                };
                match n {
                    "Int" => simple(self, Type::Int),
                    "Float" => simple(self, Type::Float),
                    "Bool" => simple(self, Type::Bool),
                    "String" => simple(self, Type::Str),
                    "Null" => simple(self, Type::Null),
                    "list" => {
                        if want(self, 1) {
                            Type::List(Box::new(resolved[0].clone()))
                        } else {
                            types::err()
                        }
                    }
                    "map" => {
                        if want(self, 2) {
                            let k = resolved[0].clone();
                            if !types::has_err(&k)
                                && !matches!(k, Type::Int | Type::Str | Type::Param(..))
                            {
                                let msg = format!(
                                    "map keys must be Int or String, found {}",
                                    self.show(&k)
                                );
                                self.error(args[0].span, msg);
                            }
                            Type::Map(Box::new(k), Box::new(resolved[1].clone()))
                        } else {
                            types::err()
                        }
                    }
                    "result" => {
                        if want(self, 2) {
                            Type::Result(
                                Box::new(resolved[0].clone()),
                                Box::new(resolved[1].clone()),
                            )
                        } else {
                            types::err()
                        }
                    }
                    "tuple" => {
                        if resolved.len() >= 2 {
                            Type::Tuple(resolved)
                        } else {
                            self.error(name.span, "a tuple type needs at least 2 elements");
                            types::err()
                        }
                    }
                    _ => match self.type_syms.get(n).copied() {
                        Some(TypeSym::Decl(id)) => {
                            let k = self.decls[id as usize].type_params.len();
                            if want(self, k) {
                                Type::Named(id, resolved)
                            } else {
                                types::err()
                            }
                        }
                        Some(TypeSym::Alias(i)) => {
                            if want(self, 0) {
                                self.alias_type(i)
                            } else {
                                types::err()
                            }
                        }
                        None => {
                            self.error(name.span, format!("undefined type '{n}'"));
                            types::err()
                        }
                    },
                }
            }
            ast::TypeExprKind::Fn { params, ret } => {
                let ps = params.iter().map(|p| self.resolve_type(p)).collect();
                let r = self.resolve_type(ret);
                Type::Fn(ps, Box::new(r))
            }
            ast::TypeExprKind::Union(ms) => {
                let ms: Vec<Type> = ms.iter().map(|m| self.resolve_type(m)).collect();
                types::union(ms)
            }
            ast::TypeExprKind::Optional(inner) => {
                let t = self.resolve_type(inner);
                types::nullable(t)
            }
        }
    }

    /// Checks a function body if it has not been checked yet.
    fn ensure_body(&mut self, fid: FuncId) {
        let i = fid as usize;
        if self.funcs[i].is_some() || self.busy[i] {
            return;
        }
        let decl = match self.bodies[i] {
            BodySrc::Cell(c) | BodySrc::Method(_, c) => c,
        };
        if decl.broken {
            // A body with syntax errors: only the signature is known.
            let ret = self.sigs[i].ret.clone().unwrap_or_else(types::err);
            self.inferred[i] = Some(ret);
            return;
        }
        self.busy[i] = true;
        let saved_ctxs = std::mem::take(&mut self.ctxs);
        let saved_tparams = std::mem::take(&mut self.tparams);
        let saved_or = std::mem::take(&mut self.or_reuse);
        let sig = self.sigs[i].clone();
        self.tparams = sig.type_params.clone();
        let func = self.check_cell_body(fid, &sig, decl);
        self.inferred[i] = Some(func.ret.clone());
        self.funcs[i] = Some(func);
        self.ctxs = saved_ctxs;
        self.tparams = saved_tparams;
        self.or_reuse = saved_or;
        self.busy[i] = false;
    }

    /// The return type of a cell or method (inferring it from the body when needed).
    fn func_ret(&mut self, fid: FuncId) -> Type {
        if let Some(r) = &self.sigs[fid as usize].ret {
            return r.clone();
        }
        if let Some(r) = &self.inferred[fid as usize] {
            return r.clone();
        }
        if self.busy[fid as usize] {
            // A recursion cycle through an unannotated cell: reported by check_recursion.
            return types::err();
        }
        self.ensure_body(fid);
        self.inferred[fid as usize]
            .clone()
            .unwrap_or_else(types::err)
    }

    /// Records that the function being checked refers to `callee`.
    fn add_edge(&mut self, callee: FuncId) {
        if let Some(owner) = self.ctxs.first().map(|c| c.func)
            && (owner as usize) < self.sigs.len()
        {
            self.edges.push((owner, callee));
        }
    }

    /// `recursive cell needs a return type` at every unannotated cell in a cycle.
    fn check_recursion(&mut self) {
        let n = self.sigs.len();
        let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(a, b) in &self.edges {
            if (a as usize) < n && (b as usize) < n {
                adj[a as usize].push(b as usize);
            }
        }
        for comp in sccs(&adj) {
            let cyclic = comp.len() > 1 || comp.iter().any(|&v| adj[v].contains(&v));
            if !cyclic {
                continue;
            }
            for &v in &comp {
                if self.sigs[v].ret.is_none() {
                    let span = self.sigs[v].name_span;
                    self.error(span, "recursive cell needs a return type");
                }
            }
        }
    }

    fn check_main(&mut self) {
        match self.values.get("main").copied() {
            Some(ValueSym::Func(fid)) => {
                let sig = &self.sigs[fid as usize];
                if !sig.params.is_empty() || !sig.type_params.is_empty() {
                    let span = sig.name_span;
                    self.error(
                        span,
                        "cell 'main' cannot take parameters or type parameters",
                    );
                }
            }
            _ if self.prog.broken.lost || self.prog.broken.names.iter().any(|n| n == "main") => {}
            _ => self.error(Span { line: 1, col: 1 }, "no main cell"),
        }
    }

    fn finish(self) -> hir::Program {
        let types = self
            .decls
            .iter()
            .map(|d| {
                if d.is_record {
                    hir::TypeDecl::Record {
                        name: d.name.clone(),
                        type_params: d.type_params.clone(),
                        fields: d
                            .fields
                            .iter()
                            .map(|(n, t, _)| (n.clone(), t.clone()))
                            .collect(),
                    }
                } else {
                    hir::TypeDecl::Enum {
                        name: d.name.clone(),
                        type_params: d.type_params.clone(),
                        variants: d.variants.clone(),
                    }
                }
            })
            .collect();
        let main = match self.values.get("main") {
            Some(ValueSym::Func(f)) => *f,
            _ => 0,
        };
        hir::Program {
            types,
            funcs: self.funcs.into_iter().flatten().collect(),
            consts: self.const_values,
            main,
        }
    }
}

/// Strongly connected components (Tarjan, iterative).
fn sccs(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adj.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut ei)) = work.last_mut() {
            if *ei == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if *ei < adj[v].len() {
                let w = adj[v][*ei];
                *ei += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(u, _)) = work.last() {
                    low[u] = low[u].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    out.push(comp);
                }
            }
        }
    }
    out
}
