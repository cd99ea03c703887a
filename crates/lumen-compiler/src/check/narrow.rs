//! Runtime type tests (`is`, typed patterns) and narrowing (§2 Narrowing): the facts a
//! condition establishes about parameters and non-`mut` bindings when it holds or fails.

use super::env::Binding;
use super::types::{err, is_err, members, union};
use super::{Checker, TypeSym};
use crate::ast::{self, Span};
use crate::types::Type;
use lumen_core::lir::TypeTest;

impl<'a> Checker<'a> {
    /// Resolves the type name of `is` or a typed pattern; `hint` (the tested value's
    /// type) picks among enums sharing a variant name.
    pub(super) fn resolve_test(
        &mut self,
        tn: &ast::TypeName,
        hint: Option<&Type>,
    ) -> Result<TypeTest, (Span, String)> {
        match tn.path.as_slice() {
            [one] => {
                let n = one.name.as_str();
                let t = match n {
                    "Int" => TypeTest::Int,
                    "Float" => TypeTest::Float,
                    "Bool" => TypeTest::Bool,
                    "String" => TypeTest::Str,
                    "Null" => TypeTest::Null,
                    "list" => TypeTest::List,
                    "map" => TypeTest::Map,
                    "tuple" => TypeTest::Tuple,
                    "result" => TypeTest::Result,
                    "fn" => TypeTest::Fn,
                    _ => match self.type_syms.get(n).copied() {
                        Some(TypeSym::Decl(id)) => {
                            if self.decls[id as usize].is_record {
                                TypeTest::Record(id)
                            } else {
                                TypeTest::Enum(id)
                            }
                        }
                        Some(TypeSym::Alias(i)) => {
                            let t = self.alias_type(i);
                            match type_test_of(&t, self) {
                                Some(test) => test,
                                None => {
                                    return Err((one.span, format!("cannot test for type '{n}'")));
                                }
                            }
                        }
                        None => {
                            if self.tparams.iter().any(|p| p == n) {
                                return Err((
                                    one.span,
                                    format!("cannot test for type parameter '{n}'"),
                                ));
                            }
                            match self.resolve_variant(n, hint, one.span)? {
                                Some((id, tag)) => TypeTest::Variant(id, tag),
                                None => return Err((one.span, format!("undefined type '{n}'"))),
                            }
                        }
                    },
                };
                Ok(t)
            }
            [e, v] => match self.type_syms.get(&e.name).copied() {
                Some(TypeSym::Decl(id)) if !self.decls[id as usize].is_record => {
                    match self.decls[id as usize]
                        .variants
                        .iter()
                        .position(|(n, _)| *n == v.name)
                    {
                        Some(tag) => Ok(TypeTest::Variant(id, tag as u32)),
                        None => Err((
                            v.span,
                            format!("enum '{}' has no variant '{}'", e.name, v.name),
                        )),
                    }
                }
                _ => Err((e.span, format!("undefined type '{}'", e.name))),
            },
            _ => Err((tn.span, "invalid type name".to_string())),
        }
    }

    /// Resolves an unqualified variant name (§3 Names): an enum among `hint`'s members
    /// that has it, else the only enum declaring it; several is `ambiguous variant`.
    pub(super) fn resolve_variant(
        &mut self,
        name: &str,
        hint: Option<&Type>,
        span: Span,
    ) -> Result<Option<(u32, u32)>, (Span, String)> {
        let Some(cands) = self.variants.get(name) else {
            return Ok(None);
        };
        if let Some(h) = hint {
            for m in members(h) {
                if let Type::Named(id, _) = m
                    && let Some(c) = cands.iter().find(|(e, _)| *e == id)
                {
                    return Ok(Some(*c));
                }
            }
        }
        if cands.len() == 1 {
            Ok(Some(cands[0]))
        } else {
            Err((span, format!("ambiguous variant '{name}'")))
        }
    }

    /// The static type of a value known to pass `test`, given its type `t` (positive) or
    /// known to fail it (negative).
    pub(super) fn narrow(&self, t: &Type, test: TypeTest, positive: bool) -> Type {
        if is_err(t) {
            return err();
        }
        let is_variant = matches!(test, TypeTest::Variant(..));
        union(
            members(t)
                .into_iter()
                .filter_map(|m| match test_matches(&m, test) {
                    // A type parameter passing a test of a non-generic type is that type.
                    None if positive => Some(self.tested_type(test).unwrap_or(m)),
                    None => Some(m),
                    Some(true) => (positive || is_variant).then_some(m),
                    Some(false) => (!positive).then_some(m),
                }),
        )
    }

    /// The static type every value passing `test` has, when there is one.
    fn tested_type(&self, test: TypeTest) -> Option<Type> {
        Some(match test {
            TypeTest::Int => Type::Int,
            TypeTest::Float => Type::Float,
            TypeTest::Bool => Type::Bool,
            TypeTest::Str => Type::Str,
            TypeTest::Null => Type::Null,
            TypeTest::Record(id) | TypeTest::Enum(id) | TypeTest::Variant(id, _)
                if self.decls.get(id as usize)?.type_params.is_empty() =>
            {
                Type::Named(id, Vec::new())
            }
            _ => return None,
        })
    }

    /// Facts (narrowed bindings) established by `cond` when true and when false.
    pub(super) fn facts(&mut self, cond: &ast::Expr) -> (Vec<Binding>, Vec<Binding>) {
        match &cond.kind {
            ast::ExprKind::Is(inner, tn) => {
                let Some(name) = bound_name(inner) else {
                    return (vec![], vec![]);
                };
                let Some(b) = self.narrowable(name) else {
                    return (vec![], vec![]);
                };
                let Ok(test) = self.resolve_test(tn, Some(&b.ty)) else {
                    return (vec![], vec![]);
                };
                let yes = self.narrow(&b.ty, test, true);
                let no = self.narrow(&b.ty, test, false);
                (
                    vec![Binding {
                        ty: yes,
                        ..b.clone()
                    }],
                    vec![Binding { ty: no, ..b }],
                )
            }
            ast::ExprKind::Binary(op @ (ast::BinOp::Eq | ast::BinOp::Ne), l, r) => {
                let name = match (&l.kind, &r.kind) {
                    (_, ast::ExprKind::Null) => bound_name(l),
                    (ast::ExprKind::Null, _) => bound_name(r),
                    _ => None,
                };
                let Some(name) = name else {
                    return (vec![], vec![]);
                };
                let Some(b) = self.narrowable(name) else {
                    return (vec![], vec![]);
                };
                let is_null = vec![Binding {
                    ty: self.narrow(&b.ty, TypeTest::Null, true),
                    ..b.clone()
                }];
                let not_null = vec![Binding {
                    ty: self.narrow(&b.ty, TypeTest::Null, false),
                    ..b
                }];
                if *op == ast::BinOp::Eq {
                    (is_null, not_null)
                } else {
                    (not_null, is_null)
                }
            }
            ast::ExprKind::Unary(ast::UnOp::Not, inner) => {
                let (t, f) = self.facts(inner);
                (f, t)
            }
            ast::ExprKind::Binary(ast::BinOp::And, l, r) => {
                let (tl, _) = self.facts(l);
                self.push_bindings(tl.clone());
                let (tr, _) = self.facts(r);
                self.pop_scope();
                let mut t = tl;
                t.extend(tr);
                (t, vec![])
            }
            ast::ExprKind::Binary(ast::BinOp::Or, l, r) => {
                let (_, fl) = self.facts(l);
                self.push_bindings(fl.clone());
                let (_, fr) = self.facts(r);
                self.pop_scope();
                let mut f = fl;
                f.extend(fr);
                (vec![], f)
            }
            _ => (vec![], vec![]),
        }
    }

    /// The binding of `name` if narrowing applies to it (an immutable local).
    fn narrowable(&mut self, name: &str) -> Option<Binding> {
        let b = self.lookup_local(name)?;
        if self.local_mutable(b.local) {
            None
        } else {
            Some(b)
        }
    }
}

/// The name of a local read (`x` or `self`), the subject of narrowing.
fn bound_name(e: &ast::Expr) -> Option<&str> {
    match &e.kind {
        ast::ExprKind::Ident(n) => Some(n),
        ast::ExprKind::SelfValue => Some("self"),
        _ => None,
    }
}

/// Whether a value of static type `m` (a non-union member) passes `test`: `None` when
/// unknown statically (type parameters).
fn test_matches(m: &Type, test: TypeTest) -> Option<bool> {
    Some(match (m, test) {
        (Type::Param(..), _) => return None,
        (Type::Int, TypeTest::Int)
        | (Type::Float, TypeTest::Float)
        | (Type::Bool, TypeTest::Bool)
        | (Type::Str, TypeTest::Str)
        | (Type::Null, TypeTest::Null)
        | (Type::List(_), TypeTest::List)
        | (Type::Map(..), TypeTest::Map)
        | (Type::Tuple(_), TypeTest::Tuple)
        | (Type::Result(..), TypeTest::Result)
        | (Type::Fn(..), TypeTest::Fn) => true,
        (Type::Named(i, _), TypeTest::Record(j) | TypeTest::Enum(j) | TypeTest::Variant(j, _)) => {
            *i == j
        }
        _ => false,
    })
}

/// The test corresponding to a (non-union) type, for aliases used after `is`.
fn type_test_of(t: &Type, c: &Checker) -> Option<TypeTest> {
    Some(match t {
        Type::Int => TypeTest::Int,
        Type::Float => TypeTest::Float,
        Type::Bool => TypeTest::Bool,
        Type::Str => TypeTest::Str,
        Type::Null => TypeTest::Null,
        Type::List(_) => TypeTest::List,
        Type::Map(..) => TypeTest::Map,
        Type::Tuple(_) => TypeTest::Tuple,
        Type::Result(..) => TypeTest::Result,
        Type::Fn(..) => TypeTest::Fn,
        Type::Named(id, _) => {
            if c.decls.get(*id as usize)?.is_record {
                TypeTest::Record(*id)
            } else {
                TypeTest::Enum(*id)
            }
        }
        _ => return None,
    })
}
