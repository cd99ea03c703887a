//! Builtin signatures (§8) and overload resolution to [`Builtin`] variants, with the
//! Int→Float conversions of `Num` arguments made explicit.

use super::Checker;
use super::expr::{err_expr, mk, to_float};
use super::types::{self, assignable, is_err, join};
use crate::ast::Span;
use crate::hir::{self, ExprKind as K};
use crate::types::Type;
use lumen_core::builtins::Builtin as B;

/// True for the name of a builtin function.
pub(super) fn is_builtin(name: &str) -> bool {
    B::ALL.iter().any(|b| b.name() == name)
}

/// `list[t]`.
fn list(t: Type) -> Type {
    Type::List(Box::new(t))
}

/// `t?`.
fn opt(t: Type) -> Type {
    types::nullable(t)
}

/// Int, Float, String, or (for sorting) tuples of those.
fn is_ord(t: &Type, tuples: bool) -> bool {
    match t {
        Type::Int | Type::Float | Type::Str | Type::Never => true,
        Type::Union(ms) => ms.iter().all(|m| matches!(m, Type::Int | Type::Float)),
        Type::Tuple(ts) => tuples && ts.iter().all(|x| is_ord(x, true)),
        _ => is_err(t),
    }
}

impl<'a> Checker<'a> {
    /// Resolves a builtin call on checked (positional) arguments.
    pub(super) fn builtin_call(
        &mut self,
        name: &str,
        mut args: Vec<hir::Expr>,
        span: Span,
    ) -> hir::Expr {
        if args.iter().any(|a| is_err(&a.ty)) {
            return err_expr(span);
        }
        let n = args.len();
        let arity: &[usize] = match name {
            "print" => &[],
            "args" | "read_line" | "clock" => &[0],
            "pad_left" | "pad_right" => &[2, 3],
            "split" | "join" | "contains" | "starts_with" | "ends_with" | "index_of" | "repeat"
            | "min" | "max" | "pow" | "atan2" | "append" | "remove" | "take" | "drop" | "range"
            | "sort_by" | "zip" | "map" | "filter" | "any" | "all" | "find" | "has_key" | "get"
            | "merge" => &[2],
            "replace" | "slice" | "clamp" | "insert" | "reduce" => &[3],
            _ => &[1],
        };
        if !arity.is_empty() && !arity.contains(&n) {
            let want = arity
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(" or ");
            self.error(
                span,
                format!(
                    "'{name}' takes {want} argument{}, found {n}",
                    if want == "1" { "" } else { "s" }
                ),
            );
            return err_expr(span);
        }
        let t: Vec<Type> = args.iter().map(|a| a.ty.clone()).collect();
        let call = |b: B, args: Vec<hir::Expr>, ty: Type| {
            mk(K::CallBuiltin { builtin: b, args }, ty, span)
        };
        macro_rules! need {
            ($i:expr, $ty:expr) => {
                if !self.arg_is(&args[$i], &$ty) {
                    return err_expr(span);
                }
            };
        }
        macro_rules! bad {
            ($i:expr, $what:expr) => {{
                let msg = format!(
                    "type mismatch: expected {}, found {}",
                    $what,
                    self.show(&t[$i])
                );
                self.error(args[$i].span, msg);
                return err_expr(span);
            }};
        }
        macro_rules! elem {
            ($i:expr) => {
                match &t[$i] {
                    Type::List(e) => (**e).clone(),
                    Type::Never => Type::Never,
                    _ => bad!($i, "a list"),
                }
            };
        }
        macro_rules! map_kv {
            ($i:expr) => {
                match &t[$i] {
                    Type::Map(k, v) => ((**k).clone(), (**v).clone()),
                    Type::Never => (Type::Never, Type::Never),
                    _ => bad!($i, "a map"),
                }
            };
        }
        match name {
            "print" => call(B::Print, args, Type::Null),
            "to_string" => call(B::ToString, args, Type::Str),
            "type_of" => call(B::TypeOf, args, Type::Str),
            "to_int" | "to_float" => {
                let is_int = name == "to_int";
                // `(x)`: any value; kinds other than Int, Float and String give null.
                let b = match &t[0] {
                    Type::Int => {
                        if is_int {
                            B::ToIntFromInt
                        } else {
                            B::ToFloatFromInt
                        }
                    }
                    Type::Float => {
                        if is_int {
                            B::ToIntFromFloat
                        } else {
                            B::ToFloatFromFloat
                        }
                    }
                    Type::Str => {
                        if is_int {
                            B::ToIntFromStr
                        } else {
                            B::ToFloatFromStr
                        }
                    }
                    _ => {
                        if is_int {
                            B::ToIntDyn
                        } else {
                            B::ToFloatDyn
                        }
                    }
                };
                call(b, args, opt(if is_int { Type::Int } else { Type::Float }))
            }
            "args" => call(B::Args, args, list(Type::Str)),
            "read_line" => call(B::ReadLine, args, opt(Type::Str)),
            "clock" => call(B::Clock, args, Type::Float),
            "exit" => {
                need!(0, Type::Int);
                call(B::Exit, args, Type::Never)
            }
            "len" | "is_empty" => {
                let is_len = name == "len";
                let b = match &t[0] {
                    Type::Str => {
                        if is_len {
                            B::LenStr
                        } else {
                            B::IsEmptyStr
                        }
                    }
                    Type::List(_) | Type::Never => {
                        if is_len {
                            B::LenList
                        } else {
                            B::IsEmptyList
                        }
                    }
                    Type::Map(..) => {
                        if is_len {
                            B::LenMap
                        } else {
                            B::IsEmptyMap
                        }
                    }
                    _ => bad!(0, "String, list or map"),
                };
                call(b, args, if is_len { Type::Int } else { Type::Bool })
            }
            "upper" | "lower" | "trim" | "chars" | "ord" => {
                need!(0, Type::Str);
                let (b, ty) = match name {
                    "upper" => (B::Upper, Type::Str),
                    "lower" => (B::Lower, Type::Str),
                    "trim" => (B::Trim, Type::Str),
                    "chars" => (B::Chars, list(Type::Str)),
                    _ => (B::Ord, Type::Int),
                };
                call(b, args, ty)
            }
            "chr" => {
                need!(0, Type::Int);
                call(B::Chr, args, Type::Str)
            }
            "split" | "starts_with" | "ends_with" | "repeat" => {
                need!(0, Type::Str);
                let (b, ty, second) = match name {
                    "split" => (B::Split, list(Type::Str), Type::Str),
                    "starts_with" => (B::StartsWith, Type::Bool, Type::Str),
                    "ends_with" => (B::EndsWith, Type::Bool, Type::Str),
                    _ => (B::Repeat, Type::Str, Type::Int),
                };
                need!(1, second);
                call(b, args, ty)
            }
            "join" => {
                need!(0, list(Type::Str));
                need!(1, Type::Str);
                call(B::Join, args, Type::Str)
            }
            "replace" => {
                need!(0, Type::Str);
                need!(1, Type::Str);
                need!(2, Type::Str);
                call(B::Replace, args, Type::Str)
            }
            "pad_left" | "pad_right" => {
                need!(0, Type::Str);
                need!(1, Type::Int);
                if n == 3 {
                    need!(2, Type::Str);
                } else {
                    args.push(mk(K::Str(" ".into()), Type::Str, span));
                }
                call(
                    if name == "pad_left" {
                        B::PadLeft
                    } else {
                        B::PadRight
                    },
                    args,
                    Type::Str,
                )
            }
            "contains" | "index_of" => {
                let is_contains = name == "contains";
                match &t[0] {
                    Type::Str => {
                        need!(1, Type::Str);
                        call(
                            if is_contains {
                                B::ContainsStr
                            } else {
                                B::IndexOfStr
                            },
                            args,
                            if is_contains { Type::Bool } else { Type::Int },
                        )
                    }
                    Type::List(_) | Type::Never => call(
                        if is_contains {
                            B::ContainsList
                        } else {
                            B::IndexOfList
                        },
                        args,
                        if is_contains { Type::Bool } else { Type::Int },
                    ),
                    Type::Map(k, _) if is_contains => {
                        let k = (**k).clone();
                        need!(1, k);
                        call(B::ContainsMap, args, Type::Bool)
                    }
                    _ => bad!(
                        0,
                        if is_contains {
                            "String, list or map"
                        } else {
                            "String or list"
                        }
                    ),
                }
            }
            "slice" => {
                need!(1, Type::Int);
                need!(2, Type::Int);
                match &t[0] {
                    Type::Str => call(B::SliceStr, args, Type::Str),
                    Type::List(_) | Type::Never => call(B::SliceList, args, t[0].clone()),
                    _ => bad!(0, "String or list"),
                }
            }
            "reverse" => match &t[0] {
                Type::Str => call(B::ReverseStr, args, Type::Str),
                Type::List(_) | Type::Never => call(B::ReverseList, args, t[0].clone()),
                _ => bad!(0, "String or list"),
            },
            "abs" | "floor" | "ceil" | "round" => match &t[0] {
                Type::Int if name == "abs" => call(B::AbsInt, args, Type::Int),
                Type::Int | Type::Never => args.pop().unwrap_or_else(|| err_expr(span)),
                Type::Float => {
                    let b = match name {
                        "abs" => B::AbsFloat,
                        "floor" => B::Floor,
                        "ceil" => B::Ceil,
                        _ => B::Round,
                    };
                    call(b, args, Type::Float)
                }
                _ => bad!(0, "Int or Float"),
            },
            "min" | "max" | "pow" | "clamp" => {
                for (i, ty) in t.iter().enumerate() {
                    if !matches!(ty, Type::Int | Type::Float | Type::Never) {
                        bad!(i, "Int or Float");
                    }
                }
                let all_int = t.iter().all(|x| matches!(x, Type::Int | Type::Never));
                let (bi, bf) = match name {
                    "min" => (B::MinInt, B::MinFloat),
                    "max" => (B::MaxInt, B::MaxFloat),
                    "pow" => (B::PowInt, B::PowFloat),
                    _ => (B::ClampInt, B::ClampFloat),
                };
                if all_int {
                    call(bi, args, Type::Int)
                } else {
                    call(bf, args.into_iter().map(to_float).collect(), Type::Float)
                }
            }
            "sqrt" | "exp" | "log" | "sin" | "cos" | "tan" | "atan2" => {
                for (i, ty) in t.iter().enumerate() {
                    if !matches!(ty, Type::Int | Type::Float | Type::Never) {
                        bad!(i, "Int or Float");
                    }
                }
                let b = match name {
                    "sqrt" => B::Sqrt,
                    "exp" => B::Exp,
                    "log" => B::Log,
                    "sin" => B::Sin,
                    "cos" => B::Cos,
                    "tan" => B::Tan,
                    _ => B::Atan2,
                };
                call(b, args.into_iter().map(to_float).collect(), Type::Float)
            }
            "append" => {
                let e = elem!(0);
                call(B::Append, args, list(join(&e, &t[1])))
            }
            "insert" => {
                let e = elem!(0);
                need!(1, Type::Int);
                call(B::Insert, args, list(join(&e, &t[2])))
            }
            "pop" | "unique" => {
                elem!(0);
                call(
                    if name == "pop" { B::Pop } else { B::Unique },
                    args,
                    t[0].clone(),
                )
            }
            "remove" => match &t[0] {
                Type::List(_) | Type::Never => {
                    need!(1, Type::Int);
                    call(B::RemoveList, args, t[0].clone())
                }
                Type::Map(k, _) => {
                    let k = (**k).clone();
                    need!(1, k);
                    call(B::RemoveMap, args, t[0].clone())
                }
                _ => bad!(0, "a list or map"),
            },
            "first" | "last" => {
                let e = elem!(0);
                call(
                    if name == "first" { B::First } else { B::Last },
                    args,
                    opt(e),
                )
            }
            "take" | "drop" => {
                elem!(0);
                need!(1, Type::Int);
                call(
                    if name == "take" { B::Take } else { B::Drop },
                    args,
                    t[0].clone(),
                )
            }
            "range" => {
                need!(0, Type::Int);
                need!(1, Type::Int);
                call(B::Range, args, list(Type::Int))
            }
            "sum" => match elem!(0) {
                Type::Int | Type::Never => call(B::SumInt, args, Type::Int),
                Type::Float => call(B::SumFloat, args, Type::Float),
                _ => bad!(0, "list[Int] or list[Float]"),
            },
            "sort" => {
                let e = elem!(0);
                if !is_ord(&e, true) {
                    bad!(0, "a list of Int, Float or String");
                }
                call(B::Sort, args, t[0].clone())
            }
            "flatten" => {
                let e = elem!(0);
                let inner = match e {
                    Type::List(x) => *x,
                    Type::Never => Type::Never,
                    _ => bad!(0, "a list of lists"),
                };
                call(B::Flatten, args, list(inner))
            }
            "enumerate" => {
                let e = elem!(0);
                call(B::Enumerate, args, list(Type::Tuple(vec![Type::Int, e])))
            }
            "zip" => {
                let a = elem!(0);
                let b = elem!(1);
                call(B::Zip, args, list(Type::Tuple(vec![a, b])))
            }
            "map" | "filter" | "any" | "all" | "find" | "sort_by" => {
                let e = elem!(0);
                let Some(r) = self.fn_arg(&args[1], std::slice::from_ref(&e)) else {
                    return err_expr(span);
                };
                let (b, ty, want) = match name {
                    "map" => (B::Map, list(r.clone()), None),
                    "filter" => (B::Filter, t[0].clone(), Some(Type::Bool)),
                    "any" => (B::Any, Type::Bool, Some(Type::Bool)),
                    "all" => (B::All, Type::Bool, Some(Type::Bool)),
                    "find" => (B::Find, opt(e), Some(Type::Bool)),
                    _ => (B::SortBy, t[0].clone(), None),
                };
                if let Some(w) = want
                    && !assignable(&r, &w)
                {
                    let exp = Type::Fn(vec![elem!(0)], Box::new(w));
                    self.mismatch(args[1].span, &exp, &t[1]);
                    return err_expr(span);
                }
                if b == B::SortBy && !is_ord(&r, true) {
                    bad!(1, "a function returning Int, Float or String");
                }
                call(b, args, ty)
            }
            "reduce" => {
                let e = elem!(0);
                let (ps, r) = match &t[1] {
                    Type::Fn(ps, r) if ps.len() == 2 => (ps.clone(), (**r).clone()),
                    _ => bad!(1, "a function of 2 parameters"),
                };
                let u = join(&t[2], &r);
                if !assignable(&u, &ps[0]) || !assignable(&e, &ps[1]) {
                    let exp = Type::Fn(vec![u.clone(), e], Box::new(u));
                    self.mismatch(args[1].span, &exp, &t[1]);
                    return err_expr(span);
                }
                call(B::Reduce, args, u)
            }
            "keys" | "values" | "entries" => {
                let (k, v) = map_kv!(0);
                let (b, ty) = match name {
                    "keys" => (B::Keys, list(k)),
                    "values" => (B::Values, list(v)),
                    _ => (B::Entries, list(Type::Tuple(vec![k, v]))),
                };
                call(b, args, ty)
            }
            "has_key" | "get" => {
                let (k, v) = map_kv!(0);
                need!(1, k);
                if name == "get" {
                    call(B::Get, args, opt(v))
                } else {
                    call(B::HasKey, args, Type::Bool)
                }
            }
            "merge" => {
                map_kv!(0);
                map_kv!(1);
                let ty = join(&t[0], &t[1]);
                call(B::Merge, args, ty)
            }
            _ => {
                self.error(span, format!("undefined name '{name}'"));
                err_expr(span)
            }
        }
    }

    /// Checks an argument against a type, reporting a mismatch.
    fn arg_is(&mut self, e: &hir::Expr, t: &Type) -> bool {
        if assignable(&e.ty, t) {
            true
        } else {
            self.mismatch(e.span, t, &e.ty);
            false
        }
    }

    /// A function argument called with `params`: its return type.
    fn fn_arg(&mut self, f: &hir::Expr, params: &[Type]) -> Option<Type> {
        match &f.ty {
            Type::Fn(ps, r)
                if ps.len() == params.len()
                    && params.iter().zip(ps).all(|(a, p)| assignable(a, p)) =>
            {
                Some((**r).clone())
            }
            _ => {
                let exp = Type::Fn(params.to_vec(), Box::new(Type::Param(0, "U".into())));
                self.mismatch(f.span, &exp, &f.ty);
                None
            }
        }
    }
}
