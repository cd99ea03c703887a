//! Operator semantics shared by every tier (language reference §5.2–§5.4): checked Int
//! arithmetic, Float operations with their exact rules, conversions, structural equality
//! and ordering. The VM calls these directly; native tiers call them or are tested
//! against them; the compiler uses them to evaluate constants.

use crate::error::{RtError, RtResult};
use crate::value::{MapKey, Value};
use std::cmp::Ordering;

/// Values nested deeper than this make `==`, ordering and display raise `stack overflow`.
pub const MAX_DEPTH: usize = 10_000;

pub fn int_add(a: i64, b: i64) -> RtResult<i64> {
    a.checked_add(b).ok_or(RtError::IntegerOverflow)
}
pub fn int_sub(a: i64, b: i64) -> RtResult<i64> {
    a.checked_sub(b).ok_or(RtError::IntegerOverflow)
}
pub fn int_mul(a: i64, b: i64) -> RtResult<i64> {
    a.checked_mul(b).ok_or(RtError::IntegerOverflow)
}
/// `a / b`: truncated toward zero.
pub fn int_div(a: i64, b: i64) -> RtResult<i64> {
    if b == 0 {
        return Err(RtError::DivisionByZero);
    }
    a.checked_div(b).ok_or(RtError::IntegerOverflow)
}
/// `a // b`: rounded toward −∞.
pub fn int_floor_div(a: i64, b: i64) -> RtResult<i64> {
    if b == 0 {
        return Err(RtError::DivisionByZero);
    }
    let q = a.checked_div(b).ok_or(RtError::IntegerOverflow)?;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        Ok(q - 1)
    } else {
        Ok(q)
    }
}
/// `a % b`: sign of `a`; `MIN % -1` is 0.
pub fn int_mod(a: i64, b: i64) -> RtResult<i64> {
    if b == 0 {
        return Err(RtError::DivisionByZero);
    }
    Ok(a.wrapping_rem(b))
}
/// `a ** b` on Ints: exact, `negative exponent` for `b < 0`, `0 ** 0 == 1`.
pub fn int_pow(a: i64, b: i64) -> RtResult<i64> {
    if b < 0 {
        return Err(RtError::NegativeExponent);
    }
    let mut result: i64 = 1;
    let mut base = a;
    let mut e = b as u64;
    // Exponentiation by squaring; `base` may overflow only if it is needed again.
    while e > 0 {
        if e & 1 == 1 {
            result = result.checked_mul(base).ok_or(RtError::IntegerOverflow)?;
        }
        e >>= 1;
        if e > 0 {
            base = base.checked_mul(base).ok_or(RtError::IntegerOverflow)?;
        }
    }
    Ok(result)
}
pub fn int_neg(a: i64) -> RtResult<i64> {
    a.checked_neg().ok_or(RtError::IntegerOverflow)
}
/// `a << n`: shift by `n & 63`, dropping bits.
pub fn int_shl(a: i64, n: i64) -> i64 {
    a.wrapping_shl((n & 63) as u32)
}
/// `a >> n`: arithmetic shift by `n & 63`.
pub fn int_shr(a: i64, n: i64) -> i64 {
    a.wrapping_shr((n & 63) as u32)
}
pub fn int_abs(a: i64) -> RtResult<i64> {
    a.checked_abs().ok_or(RtError::IntegerOverflow)
}

/// `a // b` on Floats: `floor(a / b)`.
pub fn float_floor_div(a: f64, b: f64) -> f64 {
    (a / b).floor()
}
/// `a % b` on Floats: C `fmod`.
pub fn float_mod(a: f64, b: f64) -> f64 {
    a % b
}
/// `a ** b` on Floats: C `pow`.
pub fn float_pow(a: f64, b: f64) -> f64 {
    a.powf(b)
}
/// `x as Int`: truncation; NaN, ±inf and out-of-range values are `invalid conversion`.
pub fn float_to_int(x: f64) -> RtResult<i64> {
    // 2^63 is exactly representable; every Float in [-2^63, 2^63) truncates into range.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) {
        return Err(RtError::InvalidConversion);
    }
    Ok(x.trunc() as i64)
}
/// `round`: halves away from zero (C `round`).
pub fn float_round(x: f64) -> f64 {
    x.round()
}

/// The function of each builtin that maps one Float to a Float, in every tier (the
/// VM's builtin call and its fused math op, native code's helper): `sqrt`, `abs`,
/// `floor`, `ceil`, `round`, `exp`, `log`, `sin`, `cos`, `tan` on a Float.
pub fn float_unary(b: crate::builtins::Builtin) -> Option<fn(f64) -> f64> {
    use crate::builtins::Builtin as B;
    Some(match b {
        B::Sqrt => f64::sqrt,
        B::AbsFloat => f64::abs,
        B::Floor => f64::floor,
        B::Ceil => f64::ceil,
        B::Round => float_round,
        B::Exp => f64::exp,
        B::Log => f64::ln,
        B::Sin => f64::sin,
        B::Cos => f64::cos,
        B::Tan => f64::tan,
        _ => return None,
    })
}

/// The function of each builtin that maps two Floats to a Float, in every tier:
/// `atan2` and `pow` on Floats.
pub fn float_binary(b: crate::builtins::Builtin) -> Option<fn(f64, f64) -> f64> {
    use crate::builtins::Builtin as B;
    Some(match b {
        B::Atan2 => f64::atan2,
        B::PowFloat => float_pow,
        _ => return None,
    })
}

/// Structural equality (§5.4). Ints and Floats compare numerically.
pub fn values_equal(a: &Value, b: &Value) -> RtResult<bool> {
    eq_depth(a, b, 0)
}

fn eq_depth(a: &Value, b: &Value, depth: usize) -> RtResult<bool> {
    if depth > MAX_DEPTH {
        return Err(RtError::StackOverflow);
    }
    let all = |xs: &[Value], ys: &[Value]| -> RtResult<bool> {
        if xs.len() != ys.len() {
            return Ok(false);
        }
        for (x, y) in xs.iter().zip(ys) {
            if !eq_depth(x, y, depth + 1)? {
                return Ok(false);
            }
        }
        Ok(true)
    };
    Ok(match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        (Value::Str(x), Value::Str(y)) => std::rc::Rc::ptr_eq(x, y) || x.as_str() == y.as_str(),
        (Value::List(x), Value::List(y)) => all(&x.items, &y.items)?,
        (Value::Tuple(x), Value::Tuple(y)) => all(&x.items, &y.items)?,
        (Value::Map(x), Value::Map(y)) => {
            if x.entries.len() != y.entries.len() {
                return Ok(false);
            }
            for ((kx, vx), (ky, vy)) in x.entries.iter().zip(y.entries.iter()) {
                if kx != ky || !eq_depth(vx, vy, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Record(x), Value::Record(y)) => {
            x.type_id == y.type_id && all(&x.fields, &y.fields)?
        }
        (Value::Variant(x), Value::Variant(y)) => {
            x.type_id == y.type_id && x.tag == y.tag && all(&x.payload, &y.payload)?
        }
        (Value::Ok(x), Value::Ok(y)) | (Value::Err(x), Value::Err(y)) => {
            eq_depth(&x.value, &y.value, depth + 1)?
        }
        (Value::Fn(x), Value::Fn(y)) => x.cell == y.cell && all(&x.captures, &y.captures)?,
        _ => false,
    })
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        values_equal(self, other).unwrap_or(false)
    }
}

/// Ordering used by `sort`: numbers by value (`-0.0 == 0.0`, NaN last), Strings
/// byte-wise, tuples element by element. Other kinds never reach it (the type checker
/// only admits `Ord` element types).
pub fn sort_compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            let x = as_f64(a);
            let y = as_f64(b);
            match (x.is_nan(), y.is_nan()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            }
        }
        (Value::Str(x), Value::Str(y)) => x.as_str().cmp(y.as_str()),
        (Value::Tuple(x), Value::Tuple(y)) => {
            for (p, q) in x.items.iter().zip(&y.items) {
                let o = sort_compare(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.items.len().cmp(&y.items.len())
        }
        _ => Ordering::Equal,
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    }
}

/// Converts a key value (`Int` or `String`) to a [`MapKey`].
#[inline]
pub fn map_key(v: &Value) -> RtResult<MapKey> {
    match v {
        Value::Int(i) => Ok(MapKey::Int(*i)),
        Value::Str(s) => Ok(MapKey::str(s.clone())),
        other => Err(RtError::Internal(format!("invalid map key {other:?}"))),
    }
}

/// The value of a [`MapKey`].
pub fn key_value(k: &MapKey) -> Value {
    match k {
        MapKey::Int(i) => Value::Int(*i),
        MapKey::Str(s) => Value::Str(s.get().clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_rules() {
        assert_eq!(int_div(7, -2), Ok(-3));
        assert_eq!(int_floor_div(7, -2), Ok(-4));
        assert_eq!(int_mod(-7, 2), Ok(-1));
        assert_eq!(int_mod(7, -2), Ok(1));
        assert_eq!(int_mod(i64::MIN, -1), Ok(0));
        assert_eq!(int_div(i64::MIN, -1), Err(RtError::IntegerOverflow));
        assert_eq!(int_floor_div(i64::MIN, -1), Err(RtError::IntegerOverflow));
        assert_eq!(int_div(1, 0), Err(RtError::DivisionByZero));
        assert_eq!(float_floor_div(7.0, 2.0), 3.0);
        assert_eq!(float_mod(-7.5, 2.0), -1.5);
    }

    #[test]
    fn pow_rules() {
        assert_eq!(int_pow(0, 0), Ok(1));
        assert_eq!(int_pow(2, 62), Ok(1 << 62));
        assert_eq!(int_pow(2, 63), Err(RtError::IntegerOverflow));
        assert_eq!(int_pow(-2, 63), Ok(i64::MIN));
        assert_eq!(int_pow(2, -1), Err(RtError::NegativeExponent));
        assert_eq!(int_pow(1, i64::MAX), Ok(1));
        assert_eq!(int_pow(-1, i64::MAX), Ok(-1));
    }

    #[test]
    fn shifts() {
        assert_eq!(int_shl(1, 64), 1);
        assert_eq!(int_shl(1, 63), i64::MIN);
        assert_eq!(int_shr(-8, 1), -4);
        assert_eq!(int_shr(5, -1), 0);
    }

    #[test]
    fn conversions() {
        assert_eq!(float_to_int(-2.9), Ok(-2));
        assert_eq!(float_to_int(f64::NAN), Err(RtError::InvalidConversion));
        assert_eq!(
            float_to_int(9.223_372_036_854_776e18),
            Err(RtError::InvalidConversion)
        );
        assert_eq!(float_to_int(-9.223_372_036_854_776e18), Ok(i64::MIN));
        assert_eq!(float_round(-2.5), -3.0);
    }

    #[test]
    fn equality_is_structural() {
        assert!(Value::Int(1) == Value::Float(1.0));
        assert!(Value::Float(f64::NAN) != Value::Float(f64::NAN));
        assert!(Value::list(vec![Value::str("a")]) == Value::list(vec![Value::str("a")]));
        assert!(Value::Int(1) != Value::str("1"));
    }
}
