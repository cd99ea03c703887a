//! Math builtins. `Num` overloads arrive resolved: the compiler converts mixed arguments
//! to Float, so each function here sees one kind.

use super::{float, int, wrong};
use lumen_core::builtins::Builtin;
use lumen_core::error::{RtError, RtResult};
use lumen_core::ops;
use lumen_core::value::Value;

/// `abs(Int)`: `abs(MIN)` overflows.
pub(crate) fn abs_int(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Int(ops::int_abs(int(&a[0])?)?))
}

/// `abs(Float)`.
pub(crate) fn abs_float(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Float(float(&a[0])?.abs()))
}

/// `min(a, b)` = `if b < a then b else a`.
pub(crate) fn min_int(a: &mut [Value]) -> RtResult<Value> {
    let (x, y) = (int(&a[0])?, int(&a[1])?);
    Ok(Value::Int(if y < x { y } else { x }))
}

/// `min` on Floats, with the same rule (so NaN in `b` yields `a`).
pub(crate) fn min_float(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Float(fmin(float(&a[0])?, float(&a[1])?)))
}

/// `max(a, b)` = `if b > a then b else a`.
pub(crate) fn max_int(a: &mut [Value]) -> RtResult<Value> {
    let (x, y) = (int(&a[0])?, int(&a[1])?);
    Ok(Value::Int(if y > x { y } else { x }))
}

/// `max` on Floats.
pub(crate) fn max_float(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Float(fmax(float(&a[0])?, float(&a[1])?)))
}

fn fmin(x: f64, y: f64) -> f64 {
    if y < x { y } else { x }
}

fn fmax(x: f64, y: f64) -> f64 {
    if y > x { y } else { x }
}

/// `clamp(x, lo, hi)` = `min(max(x, lo), hi)`.
pub(crate) fn clamp_int(a: &mut [Value]) -> RtResult<Value> {
    let (x, lo, hi) = (int(&a[0])?, int(&a[1])?, int(&a[2])?);
    let m = if lo > x { lo } else { x };
    Ok(Value::Int(if hi < m { hi } else { m }))
}

/// `clamp` on Floats.
pub(crate) fn clamp_float(a: &mut [Value]) -> RtResult<Value> {
    let (x, lo, hi) = (float(&a[0])?, float(&a[1])?, float(&a[2])?);
    Ok(Value::Float(fmin(fmax(x, lo), hi)))
}

/// `pow(Int, Int)` = `a ** b`.
pub(crate) fn pow_int(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Int(ops::int_pow(int(&a[0])?, int(&a[1])?)?))
}

/// The Float function of builtin `b` ([`ops::float_unary`]).
fn unary_fn(b: Builtin) -> RtResult<fn(f64) -> f64> {
    ops::float_unary(b).ok_or_else(|| no_float_fn(b))
}

/// A builtin dispatched to a Float function it does not have (an internal error).
#[cold]
fn no_float_fn(b: Builtin) -> RtError {
    RtError::Internal(format!("{} has no Float function", b.ident()))
}

/// `floor`, `ceil`, `round` (builtin `b`): Ints unchanged, Floats rounded.
pub(crate) fn rounding(a: &mut [Value], b: Builtin) -> RtResult<Value> {
    match a[0] {
        Value::Int(i) => Ok(Value::Int(i)),
        Value::Float(x) => Ok(Value::Float(unary_fn(b)?(x))),
        ref other => Err(wrong("number", other)),
    }
}

/// `sqrt`, `exp`, `log`, `sin`, `cos`, `tan` (builtin `b`; C semantics).
pub(crate) fn unary(a: &mut [Value], b: Builtin) -> RtResult<Value> {
    Ok(Value::Float(unary_fn(b)?(float(&a[0])?)))
}

/// `pow(Float, Float)` and `atan2(y, x)` (builtin `b`; [`ops::float_binary`]).
pub(crate) fn binary(a: &mut [Value], b: Builtin) -> RtResult<Value> {
    let f = ops::float_binary(b).ok_or_else(|| no_float_fn(b))?;
    Ok(Value::Float(f(float(&a[0])?, float(&a[1])?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: RtResult<Value>) -> f64 {
        match v {
            Ok(Value::Float(x)) => x,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn abs_and_overflow() {
        assert!(matches!(abs_int(&mut [Value::Int(-3)]), Ok(Value::Int(3))));
        assert_eq!(
            abs_int(&mut [Value::Int(i64::MIN)]),
            Err(RtError::IntegerOverflow)
        );
        assert_eq!(
            f(abs_float(&mut [Value::Float(-0.0)])).to_bits(),
            0.0f64.to_bits()
        );
    }

    #[test]
    fn min_max_follow_the_written_rule() {
        assert!(f(min_float(&mut [Value::Float(1.0), Value::Float(f64::NAN)])) == 1.0);
        assert!(f(min_float(&mut [Value::Float(f64::NAN), Value::Float(1.0)])).is_nan());
        // min(0.0, -0.0): -0.0 < 0.0 is false, so the first argument.
        assert!(f(min_float(&mut [Value::Float(0.0), Value::Float(-0.0)])).is_sign_positive());
        assert!(matches!(
            max_int(&mut [Value::Int(2), Value::Int(5)]),
            Ok(Value::Int(5))
        ));
        assert!(matches!(
            clamp_int(&mut [Value::Int(15), Value::Int(0), Value::Int(10)]),
            Ok(Value::Int(10))
        ));
        assert_eq!(
            f(clamp_float(&mut [
                Value::Float(-1.0),
                Value::Float(0.0),
                Value::Float(1.0)
            ])),
            0.0
        );
    }

    #[test]
    fn rounding_keeps_ints_and_zero_signs() {
        assert!(matches!(
            rounding(&mut [Value::Int(7)], Builtin::Floor),
            Ok(Value::Int(7))
        ));
        assert_eq!(f(rounding(&mut [Value::Float(-2.5)], Builtin::Round)), -3.0);
        assert!(f(rounding(&mut [Value::Float(-0.4)], Builtin::Round)).is_sign_negative());
        assert_eq!(f(rounding(&mut [Value::Float(2.1)], Builtin::Ceil)), 3.0);
    }

    #[test]
    fn c_semantics() {
        assert!(f(unary(&mut [Value::Float(-1.0)], Builtin::Sqrt)).is_nan());
        assert_eq!(
            f(unary(&mut [Value::Float(0.0)], Builtin::Log)),
            f64::NEG_INFINITY
        );
        assert_eq!(
            f(binary(
                &mut [Value::Float(2.0), Value::Float(10.0)],
                Builtin::PowFloat
            )),
            1024.0
        );
        assert_eq!(
            pow_int(&mut [Value::Int(2), Value::Int(-1)]),
            Err(RtError::NegativeExponent)
        );
        assert_eq!(
            f(binary(
                &mut [Value::Float(1.0), Value::Float(0.0)],
                Builtin::Atan2
            )),
            std::f64::consts::FRAC_PI_2
        );
    }
}
