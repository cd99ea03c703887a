//! Inference of the type arguments of a generic call (§2 Generics): every parameter
//! type is matched against its argument type; a type parameter receiving several types
//! gets their join, one receiving none is `Never`.

use super::types::{assignable, err, is_err, join_all, members};
use crate::types::Type;

/// Collected argument types per type parameter.
pub(super) struct Bounds(Vec<Vec<Type>>);

impl Bounds {
    /// No bounds for `n` type parameters.
    pub fn new(n: usize) -> Bounds {
        Bounds(vec![Vec::new(); n])
    }

    /// Matches `param` (mentioning the callee's type parameters) against `arg`.
    pub fn collect(&mut self, param: &Type, arg: &Type) {
        if is_err(arg) {
            self.poison(param);
            return;
        }
        match (param, arg) {
            (Type::Param(i, _), _) if !is_err(param) => {
                if let Some(b) = self.0.get_mut(*i as usize) {
                    b.push(arg.clone());
                }
            }
            (_, Type::Never) => {}
            (Type::Union(pms), _) => {
                for am in members(arg) {
                    if pms.iter().any(|pm| !has_param(pm) && assignable(&am, pm)) {
                        continue;
                    }
                    if let Some(pm) = pms.iter().find(|pm| same_ctor(pm, &am)) {
                        self.collect(pm, &am);
                    } else if let Some(pm) = pms.iter().find(|pm| matches!(pm, Type::Param(..))) {
                        self.collect(pm, &am);
                    }
                }
            }
            (_, Type::Union(ams)) => {
                for am in ams {
                    self.collect(param, am);
                }
            }
            (Type::List(p), Type::List(a)) => self.collect(p, a),
            (Type::Map(p1, p2), Type::Map(a1, a2))
            | (Type::Result(p1, p2), Type::Result(a1, a2)) => {
                self.collect(p1, a1);
                self.collect(p2, a2);
            }
            (Type::Tuple(ps), Type::Tuple(as_)) if ps.len() == as_.len() => {
                for (p, a) in ps.iter().zip(as_) {
                    self.collect(p, a);
                }
            }
            (Type::Named(i, ps), Type::Named(j, as_)) if i == j && ps.len() == as_.len() => {
                for (p, a) in ps.iter().zip(as_) {
                    self.collect(p, a);
                }
            }
            (Type::Fn(ps, pr), Type::Fn(as_, ar)) if ps.len() == as_.len() => {
                for (p, a) in ps.iter().zip(as_) {
                    self.collect(p, a);
                }
                self.collect(pr, ar);
            }
            _ => {}
        }
    }

    /// An erroneous argument: every parameter it could determine becomes the error type.
    fn poison(&mut self, param: &Type) {
        match param {
            Type::Param(i, _) if !is_err(param) => {
                if let Some(b) = self.0.get_mut(*i as usize) {
                    b.push(err());
                }
            }
            Type::List(a) => self.poison(a),
            Type::Map(a, b) | Type::Result(a, b) => {
                self.poison(a);
                self.poison(b);
            }
            Type::Tuple(xs) | Type::Named(_, xs) | Type::Union(xs) => {
                for x in xs {
                    self.poison(x);
                }
            }
            Type::Fn(ps, r) => {
                for x in ps {
                    self.poison(x);
                }
                self.poison(r);
            }
            _ => {}
        }
    }

    /// True when type parameter `i` received some type.
    pub fn is_bound(&self, i: u32) -> bool {
        self.0.get(i as usize).is_some_and(|b| !b.is_empty())
    }

    /// The inferred type arguments.
    pub fn solve(&self) -> Vec<Type> {
        self.0.iter().map(|b| join_all(b.iter())).collect()
    }
}

/// True when `t` mentions a type parameter.
pub(super) fn has_param(t: &Type) -> bool {
    match t {
        Type::Param(..) => !is_err(t),
        Type::List(a) => has_param(a),
        Type::Map(a, b) | Type::Result(a, b) => has_param(a) || has_param(b),
        Type::Tuple(xs) | Type::Named(_, xs) | Type::Union(xs) => xs.iter().any(has_param),
        Type::Fn(ps, r) => ps.iter().any(has_param) || has_param(r),
        _ => false,
    }
}

/// The type parameters `t` mentions.
pub(super) fn params_of(t: &Type) -> Vec<u32> {
    let mut out = Vec::new();
    collect_params(t, &mut out);
    out
}

/// Appends the type parameters `t` mentions.
fn collect_params(t: &Type, out: &mut Vec<u32>) {
    match t {
        Type::Param(i, _) if !is_err(t) => out.push(*i),
        Type::List(a) => collect_params(a, out),
        Type::Map(a, b) | Type::Result(a, b) => {
            collect_params(a, out);
            collect_params(b, out);
        }
        Type::Tuple(xs) | Type::Named(_, xs) | Type::Union(xs) => {
            xs.iter().for_each(|x| collect_params(x, out))
        }
        Type::Fn(ps, r) => {
            ps.iter().for_each(|x| collect_params(x, out));
            collect_params(r, out);
        }
        _ => {}
    }
}

/// True when both types are built by the same constructor (and arity).
fn same_ctor(p: &Type, a: &Type) -> bool {
    match (p, a) {
        (Type::List(_), Type::List(_))
        | (Type::Map(..), Type::Map(..))
        | (Type::Result(..), Type::Result(..)) => true,
        (Type::Tuple(x), Type::Tuple(y)) => x.len() == y.len(),
        (Type::Fn(x, _), Type::Fn(y, _)) => x.len() == y.len(),
        (Type::Named(i, _), Type::Named(j, _)) => i == j,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(i: u32) -> Type {
        Type::Param(i, "T".into())
    }

    #[test]
    fn several_types_join() {
        let mut b = Bounds::new(1);
        b.collect(&t(0), &Type::Int);
        b.collect(
            &Type::List(Box::new(t(0))),
            &Type::List(Box::new(Type::Never)),
        );
        b.collect(&t(0), &Type::Str);
        assert_eq!(b.solve(), vec![Type::Union(vec![Type::Int, Type::Str])]);
    }

    #[test]
    fn optional_parameter_strips_null() {
        let mut b = Bounds::new(1);
        b.collect(
            &Type::Union(vec![t(0), Type::Null]),
            &Type::Union(vec![Type::Int, Type::Null]),
        );
        assert_eq!(b.solve(), vec![Type::Int]);
    }

    #[test]
    fn unbound_is_never() {
        assert_eq!(Bounds::new(1).solve(), vec![Type::Never]);
    }
}
