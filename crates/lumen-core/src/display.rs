//! The display form of values (language reference §9): the one routine behind `print`,
//! `to_string` and string interpolation in every tier.

use crate::error::{RtError, RtResult};
use crate::lir::{CellKind, LirModule, TypeDef};
use crate::ops::MAX_DEPTH;
use crate::value::{MapKey, Value};
use std::fmt::Write;

/// Appends the Float display form of `x` to `out`.
pub fn write_float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x < 0.0 { "-inf" } else { "inf" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    let a = x.abs();
    // Rust's `{:e}` prints the shortest digits that round-trip: "d.ddde±x", at most 23
    // bytes; written on the stack (printing floats allocated twice per number).
    let mut sci = StackText::default();
    let _ = write!(sci, "{a:e}");
    let sci = sci.as_str();
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let mut digit_bytes = StackText::default();
    for c in mantissa.chars().filter(|c| *c != '.') {
        let _ = digit_bytes.write_char(c);
    }
    let digits = digit_bytes.as_str();
    let e: i32 = exp.parse().unwrap_or(0);
    let n = digits.len() as i32;
    if (1e-7..1e21).contains(&a) {
        if e >= n - 1 {
            out.push_str(digits);
            for _ in 0..(e - n + 1) {
                out.push('0');
            }
            out.push_str(".0");
        } else if e >= 0 {
            let split = (e + 1) as usize;
            out.push_str(&digits[..split]);
            out.push('.');
            out.push_str(&digits[split..]);
        } else {
            out.push_str("0.");
            for _ in 0..(-e - 1) {
                out.push('0');
            }
            out.push_str(digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        let _ = write!(out, "{}", e.abs());
    }
}

/// A short text written on the stack (a float's `{:e}` form and its digits).
#[derive(Default)]
struct StackText {
    bytes: [u8; 32],
    len: usize,
}

impl StackText {
    fn as_str(&self) -> &str {
        // Only whole `&str`s are appended (`write_str`), so the bytes are UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The Float display form of `x`.
pub fn float_to_string(x: f64) -> String {
    let mut s = String::new();
    write_float(&mut s, x);
    s
}

/// Appends the display form of `v` (top level: Strings unquoted).
/// `module` supplies record, enum and cell names.
pub fn write_value(out: &mut String, v: &Value, module: &LirModule) -> RtResult<()> {
    match v {
        Value::Str(s) => {
            out.push_str(s.as_str());
            Ok(())
        }
        other => write_nested(out, other, module, 0),
    }
}

/// The display form of `v`.
pub fn display(v: &Value, module: &LirModule) -> RtResult<String> {
    let mut s = String::new();
    write_value(&mut s, v, module)?;
    Ok(s)
}

fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_seq(out: &mut String, items: &[Value], module: &LirModule, depth: usize) -> RtResult<()> {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_nested(out, item, module, depth + 1)?;
    }
    Ok(())
}

fn write_nested(out: &mut String, v: &Value, module: &LirModule, depth: usize) -> RtResult<()> {
    if depth > MAX_DEPTH {
        return Err(RtError::StackOverflow);
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_float(out, *f),
        Value::Str(s) => write_quoted(out, s.as_str()),
        Value::List(l) => {
            out.push('[');
            write_seq(out, &l.items, module, depth)?;
            out.push(']');
        }
        Value::Tuple(t) => {
            out.push('(');
            write_seq(out, &t.items, module, depth)?;
            out.push(')');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, val)) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match k {
                    MapKey::Int(n) => {
                        let _ = write!(out, "{n}");
                    }
                    MapKey::Str(s) => write_quoted(out, s.as_str()),
                }
                out.push_str(": ");
                write_nested(out, val, module, depth + 1)?;
            }
            out.push('}');
        }
        Value::Record(r) => {
            let fields: &[String] = match module.types.defs.get(r.type_id as usize) {
                Some(TypeDef::Record { name, fields }) => {
                    out.push_str(name);
                    fields
                }
                _ => &[],
            };
            out.push('(');
            for (i, val) in r.fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(fields.get(i).map(String::as_str).unwrap_or("?"));
                out.push_str(": ");
                write_nested(out, val, module, depth + 1)?;
            }
            out.push(')');
        }
        Value::Variant(var) => {
            if let Some(TypeDef::Enum { variants, .. }) =
                module.types.defs.get(var.type_id as usize)
                && let Some(def) = variants.get(var.tag as usize)
            {
                out.push_str(&def.name);
            }
            if !var.payload.is_empty() {
                out.push('(');
                write_seq(out, &var.payload, module, depth)?;
                out.push(')');
            }
        }
        Value::Ok(b) => {
            out.push_str("ok(");
            write_nested(out, &b.value, module, depth + 1)?;
            out.push(')');
        }
        Value::Err(b) => {
            out.push_str("err(");
            write_nested(out, &b.value, module, depth + 1)?;
            out.push(')');
        }
        Value::Fn(c) => match module.cells.get(c.cell as usize) {
            Some(cell) if cell.kind != CellKind::Lambda => {
                let _ = write!(out, "<fn {}>", cell.name);
            }
            _ => out.push_str("<fn>"),
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_follow_the_reference_table() {
        let cases: &[(f64, &str)] = &[
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1e-7, "0.0000001"),
            (1.5e-8, "1.5e-8"),
            (-0.0, "-0.0"),
            (100.0, "100.0"),
            (1e16, "10000000000000000.0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1.0 / 3.0, "0.3333333333333333"),
            (2f64.powi(63), "9223372036854776000.0"),
            (5e-324, "5e-324"),
            (6.02e23, "6.02e+23"),
            (2.5, "2.5"),
            (-1.5, "-1.5"),
            (123.456, "123.456"),
        ];
        for (x, want) in cases {
            assert_eq!(float_to_string(*x), *want, "display of {x:e}");
        }
    }

    #[test]
    fn nested_strings_are_quoted() {
        let m = LirModule::default();
        let v = Value::list(vec![Value::str("hi"), Value::str("a\"b")]);
        assert_eq!(display(&v, &m).unwrap(), r#"["hi", "a\"b"]"#);
        assert_eq!(display(&Value::str("hi"), &m).unwrap(), "hi");
    }
}
