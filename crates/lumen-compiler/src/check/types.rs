//! Type algebra of §2: the internal error type, assignability, join, union
//! normalisation, substitution of type parameters, and display in source syntax.

use crate::types::Type;

/// Parameter index reserved for the internal error type.
const ERR_INDEX: u32 = u32::MAX;

/// The type of an expression whose checking already failed: compatible with everything,
/// so one mistake is reported once.
pub(super) fn err() -> Type {
    Type::Param(ERR_INDEX, String::new())
}

/// True for the internal error type.
pub(super) fn is_err(t: &Type) -> bool {
    matches!(t, Type::Param(ERR_INDEX, _))
}

/// True when `t` mentions the error type anywhere.
pub(super) fn has_err(t: &Type) -> bool {
    any_part(t, &|x| is_err(x))
}

/// True when `t` mentions `Never` anywhere (an uninferable `let`).
pub(super) fn has_never(t: &Type) -> bool {
    any_part(t, &|x| matches!(x, Type::Never))
}

/// True when `f` holds for `t` or a type inside it.
fn any_part(t: &Type, f: &dyn Fn(&Type) -> bool) -> bool {
    if f(t) {
        return true;
    }
    match t {
        Type::List(a) => any_part(a, f),
        Type::Map(a, b) | Type::Result(a, b) => any_part(a, f) || any_part(b, f),
        Type::Tuple(xs) | Type::Union(xs) | Type::Named(_, xs) => xs.iter().any(|x| any_part(x, f)),
        Type::Fn(ps, r) => ps.iter().any(|x| any_part(x, f)) || any_part(r, f),
        _ => false,
    }
}

/// `s ≤ t` (§2 Assignability).
pub(super) fn assignable(s: &Type, t: &Type) -> bool {
    if is_err(s) || is_err(t) || s == t {
        return true;
    }
    match (s, t) {
        (Type::Never, _) => true,
        (Type::Union(ms), _) => ms.iter().all(|m| assignable(m, t)),
        (_, Type::Union(ms)) => ms.iter().any(|m| assignable(s, m)),
        (Type::List(a), Type::List(b)) => assignable(a, b),
        (Type::Map(k1, v1), Type::Map(k2, v2)) | (Type::Result(k1, v1), Type::Result(k2, v2)) => {
            assignable(k1, k2) && assignable(v1, v2)
        }
        (Type::Tuple(a), Type::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| assignable(x, y))
        }
        (Type::Named(i, a), Type::Named(j, b)) => {
            i == j && a.len() == b.len() && a.iter().zip(b).all(|(x, y)| assignable(x, y))
        }
        (Type::Fn(p1, r1), Type::Fn(p2, r2)) => {
            p1.len() == p2.len()
                && p1.iter().zip(p2).all(|(a, b)| assignable(b, a))
                && assignable(r1, r2)
        }
        _ => false,
    }
}

/// A normalised union: flattened, without `Never`, deduplicated, members subsumed by
/// another member dropped; one member is returned as itself, none as `Never`.
pub(super) fn union(members: impl IntoIterator<Item = Type>) -> Type {
    let mut flat: Vec<Type> = Vec::new();
    for m in members {
        match m {
            Type::Union(xs) => flat.extend(xs),
            Type::Never => {}
            x => flat.push(x),
        }
    }
    if flat.iter().any(is_err) {
        return err();
    }
    let mut dedup: Vec<Type> = Vec::new();
    for m in flat {
        if !dedup.contains(&m) {
            dedup.push(m);
        }
    }
    let keep: Vec<Type> = dedup
        .iter()
        .enumerate()
        .filter(|(i, m)| {
            !dedup
                .iter()
                .enumerate()
                .any(|(j, o)| j != *i && assignable(m, o) && (!assignable(o, m) || j < *i))
        })
        .map(|(_, m)| m.clone())
        .collect();
    match keep.len() {
        0 => Type::Never,
        1 => keep.into_iter().next().unwrap_or(Type::Never),
        _ => Type::Union(keep),
    }
}

/// `join(a, b)` (§2 Join).
pub(super) fn join(a: &Type, b: &Type) -> Type {
    if is_err(a) || is_err(b) {
        return err();
    }
    if assignable(a, b) {
        return b.clone();
    }
    if assignable(b, a) {
        return a.clone();
    }
    match (a, b) {
        (Type::List(x), Type::List(y)) => Type::List(Box::new(join(x, y))),
        (Type::Map(k1, v1), Type::Map(k2, v2)) => {
            Type::Map(Box::new(join(k1, k2)), Box::new(join(v1, v2)))
        }
        (Type::Result(k1, v1), Type::Result(k2, v2)) => {
            Type::Result(Box::new(join(k1, k2)), Box::new(join(v1, v2)))
        }
        (Type::Tuple(x), Type::Tuple(y)) if x.len() == y.len() => {
            Type::Tuple(x.iter().zip(y).map(|(p, q)| join(p, q)).collect())
        }
        (Type::Named(i, x), Type::Named(j, y)) if i == j && x.len() == y.len() => {
            Type::Named(*i, x.iter().zip(y).map(|(p, q)| join(p, q)).collect())
        }
        _ => union([a.clone(), b.clone()]),
    }
}

/// Join of many types (`Never` for none).
pub(super) fn join_all<'t>(ts: impl IntoIterator<Item = &'t Type>) -> Type {
    ts.into_iter().fold(Type::Never, |acc, t| join(&acc, t))
}

/// Replaces `Param(i)` by `args[i]`.
pub(super) fn subst(t: &Type, args: &[Type]) -> Type {
    if args.is_empty() {
        return t.clone();
    }
    match t {
        Type::Param(i, _) if !is_err(t) => {
            args.get(*i as usize).cloned().unwrap_or_else(|| t.clone())
        }
        Type::List(a) => Type::List(Box::new(subst(a, args))),
        Type::Map(a, b) => Type::Map(Box::new(subst(a, args)), Box::new(subst(b, args))),
        Type::Result(a, b) => Type::Result(Box::new(subst(a, args)), Box::new(subst(b, args))),
        Type::Tuple(xs) => Type::Tuple(xs.iter().map(|x| subst(x, args)).collect()),
        Type::Named(id, xs) => Type::Named(*id, xs.iter().map(|x| subst(x, args)).collect()),
        Type::Fn(ps, r) => Type::Fn(
            ps.iter().map(|x| subst(x, args)).collect(),
            Box::new(subst(r, args)),
        ),
        Type::Union(xs) => union(xs.iter().map(|x| subst(x, args))),
        other => other.clone(),
    }
}

/// The members of a type (a union's members, or the type itself).
pub(super) fn members(t: &Type) -> Vec<Type> {
    match t {
        Type::Union(xs) => xs.clone(),
        Type::Never => Vec::new(),
        other => vec![other.clone()],
    }
}

/// `t` without `Null`.
pub(super) fn strip_null(t: &Type) -> Type {
    if is_err(t) {
        return err();
    }
    union(members(t).into_iter().filter(|m| *m != Type::Null))
}

/// True when `Null` is a member of `t`.
pub(super) fn is_nullable(t: &Type) -> bool {
    members(t).contains(&Type::Null)
}

/// `t | Null`.
pub(super) fn nullable(t: Type) -> Type {
    union([t, Type::Null])
}

/// Displays a type in source syntax; `name` gives record and enum names.
pub(super) fn show(t: &Type, name: &dyn Fn(u32) -> String) -> String {
    let list = |xs: &[Type]| {
        xs.iter()
            .map(|x| show(x, name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match t {
        Type::Never => "Never".into(),
        Type::Null => "Null".into(),
        Type::Int => "Int".into(),
        Type::Float => "Float".into(),
        Type::Bool => "Bool".into(),
        Type::Str => "String".into(),
        Type::List(a) => format!("list[{}]", show(a, name)),
        Type::Map(a, b) => format!("map[{}, {}]", show(a, name), show(b, name)),
        Type::Result(a, b) => format!("result[{}, {}]", show(a, name), show(b, name)),
        Type::Tuple(xs) => format!("tuple[{}]", list(xs)),
        Type::Fn(ps, r) => format!("fn({}) -> {}", list(ps), show(r, name)),
        Type::Named(id, xs) if xs.is_empty() => name(*id),
        Type::Named(id, xs) => format!("{}[{}]", name(*id), list(xs)),
        Type::Param(_, n) => n.clone(),
        Type::Union(xs) => {
            let member = |x: &Type| match x {
                Type::Fn(..) => format!("({})", show(x, name)),
                _ => show(x, name),
            };
            let others: Vec<&Type> = xs.iter().filter(|x| **x != Type::Null).collect();
            if others.len() == 1 && others.len() < xs.len() {
                format!("{}?", member(others[0]))
            } else {
                xs.iter().map(member).collect::<Vec<_>>().join(" | ")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    #[test]
    fn unions_flatten_and_absorb() {
        let u = union([Type::Int, union([Type::Str, Type::Int]), Type::Never]);
        assert_eq!(u, Type::Union(vec![Type::Int, Type::Str]));
        assert_eq!(union([l(Type::Never), l(Type::Int)]), l(Type::Int));
        assert_eq!(union([Type::Never]), Type::Never);
    }

    #[test]
    fn join_is_constructor_wise() {
        assert_eq!(
            join(&l(Type::Int), &l(Type::Str)),
            l(union([Type::Int, Type::Str]))
        );
        assert_eq!(
            join(&Type::Int, &Type::Float),
            union([Type::Int, Type::Float])
        );
        assert_eq!(join(&Type::Never, &Type::Int), Type::Int);
    }

    #[test]
    fn assignability_rules() {
        let f = |p: Type, r: Type| Type::Fn(vec![p], Box::new(r));
        assert!(assignable(&l(Type::Int), &l(union([Type::Int, Type::Str]))));
        assert!(!assignable(&Type::Int, &Type::Float));
        assert!(assignable(
            &f(union([Type::Int, Type::Str]), Type::Int),
            &f(Type::Int, nullable(Type::Int))
        ));
        assert!(!assignable(
            &f(Type::Int, Type::Int),
            &f(union([Type::Int, Type::Str]), Type::Int)
        ));
    }

    #[test]
    fn shows_source_syntax() {
        let n = |_: u32| "P".to_string();
        assert_eq!(show(&nullable(Type::Int), &n), "Int?");
        assert_eq!(
            show(&Type::Map(Box::new(Type::Str), Box::new(l(Type::Int))), &n),
            "map[String, list[Int]]"
        );
        assert_eq!(
            show(
                &nullable(Type::Fn(vec![Type::Int], Box::new(Type::Int))),
                &n
            ),
            "(fn(Int) -> Int)?"
        );
        assert_eq!(show(&Type::Named(0, vec![Type::Int]), &n), "P[Int]");
    }
}
