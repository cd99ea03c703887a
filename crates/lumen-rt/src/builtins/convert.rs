//! Conversion builtins: `to_string`, `to_int`, `to_float`, `type_of`.

use lumen_core::display;
use lumen_core::error::RtResult;
use lumen_core::lir::LirModule;
use lumen_core::ops;
use lumen_core::value::Value;

/// `to_string(x)`: the display form.
pub(crate) fn to_string(m: &LirModule, a: &mut [Value]) -> RtResult<Value> {
    match std::mem::take(&mut a[0]) {
        s @ Value::Str(_) => Ok(s),
        other => Ok(Value::str(display::display(&other, m)?)),
    }
}

/// `to_int(x)` for every overload: the argument's runtime kind decides.
pub(crate) fn to_int(a: &mut [Value]) -> RtResult<Value> {
    Ok(match &a[0] {
        Value::Int(i) => Value::Int(*i),
        Value::Float(f) => ops::float_to_int(*f).map_or(Value::Null, Value::Int),
        Value::Str(s) => parse_int(s.as_str()).map_or(Value::Null, Value::Int),
        _ => Value::Null,
    })
}

/// `[+-]?[0-9]+` within the Int range, nothing else (no trimming).
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `to_float(x)` for every overload.
pub(crate) fn to_float(a: &mut [Value]) -> RtResult<Value> {
    Ok(match &a[0] {
        Value::Int(i) => Value::Float(*i as f64),
        Value::Float(f) => Value::Float(*f),
        Value::Str(s) => parse_float(s.as_str()).map_or(Value::Null, Value::Float),
        _ => Value::Null,
    })
}

/// The §8 grammar `[+-]?D[.D][(e|E)[+-]D]`, `inf`, `-inf`, `NaN`; correctly rounded.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    match s {
        "inf" => return Some(f64::INFINITY),
        "-inf" => return Some(f64::NEG_INFINITY),
        "NaN" => return Some(f64::NAN),
        _ => {}
    }
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if !digits(&mut i) {
        return None;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    // Rust's parser is correctly rounded and accepts everything the grammar accepts.
    s.parse().ok()
}

/// `type_of(x)`.
pub(crate) fn type_of(m: &LirModule, a: &mut [Value]) -> RtResult<Value> {
    let name = match &a[0] {
        Value::Int(_) => "Int",
        Value::Float(_) => "Float",
        Value::Bool(_) => "Bool",
        Value::Str(_) => "String",
        Value::Null => "Null",
        Value::List(_) => "list",
        Value::Map(_) => "map",
        Value::Tuple(_) => "tuple",
        Value::Ok(_) | Value::Err(_) => "result",
        Value::Fn(_) => "fn",
        Value::Record(r) => m
            .types
            .defs
            .get(r.type_id as usize)
            .map_or("?", |d| d.name()),
        Value::Variant(v) => m
            .types
            .defs
            .get(v.type_id as usize)
            .map_or("?", |d| d.name()),
    };
    Ok(Value::str(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_grammar() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("+7"), Some(7));
        assert_eq!(parse_int("-0"), Some(0));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), None);
        for bad in ["", "+", " 1", "1 ", "1.0", "0x10", "1_000", "--1"] {
            assert_eq!(parse_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn float_grammar() {
        assert_eq!(parse_float("1.5"), Some(1.5));
        assert_eq!(parse_float("-2"), Some(-2.0));
        assert_eq!(parse_float("+1e3"), Some(1000.0));
        assert_eq!(parse_float("2.5E-3"), Some(0.0025));
        assert_eq!(parse_float("0.1"), Some(0.1));
        assert_eq!(parse_float("1e400"), Some(f64::INFINITY));
        assert_eq!(parse_float("inf"), Some(f64::INFINITY));
        assert_eq!(parse_float("-inf"), Some(f64::NEG_INFINITY));
        assert!(parse_float("NaN").is_some_and(f64::is_nan));
        for bad in [
            "1.", ".5", "1e", "1e+", "infinity", "+inf", "nan", "-NaN", "", " 1", "1.e3", "e5",
            "1_0", "0x1",
        ] {
            assert_eq!(parse_float(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn to_int_of_floats() {
        let mut a = [Value::Float(-2.9)];
        assert!(matches!(to_int(&mut a), Ok(Value::Int(-2))));
        let mut a = [Value::Float(f64::NAN)];
        assert!(matches!(to_int(&mut a), Ok(Value::Null)));
        let mut a = [Value::Float(1e19)];
        assert!(matches!(to_int(&mut a), Ok(Value::Null)));
    }
}
