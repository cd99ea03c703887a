//! String builtins. Lengths and indices count characters (Unicode scalar values); ASCII
//! strings take byte-indexed fast paths.

use super::{clamp_index, int, list, string};
use lumen_core::error::{RtError, RtResult};
use lumen_core::value::{Str, Value};

fn s0(a: &[Value]) -> RtResult<&str> {
    Ok(string(&a[0])?.as_str())
}

/// `len(s)`: O(1).
pub(crate) fn len(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Int(string(&a[0])?.char_len() as i64))
}

/// `is_empty(s)`.
pub(crate) fn is_empty(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(s0(a)?.is_empty()))
}

/// `upper(s)`: full Unicode mapping.
pub(crate) fn upper(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::str(s0(a)?.to_uppercase()))
}

/// `lower(s)`: full Unicode mapping.
pub(crate) fn lower(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::str(s0(a)?.to_lowercase()))
}

/// `trim(s)`: strips Unicode White_Space at both ends.
pub(crate) fn trim(a: &mut [Value]) -> RtResult<Value> {
    let s = s0(a)?;
    let t = s.trim();
    if t.len() == s.len() {
        return Ok(std::mem::take(&mut a[0]));
    }
    Ok(Value::str(t))
}

/// `split(s, sep)`; an empty `sep` gives the characters.
pub(crate) fn split(a: &mut [Value]) -> RtResult<Value> {
    let text = string(&a[0])?;
    let sep = string(&a[1])?.as_str();
    if sep.is_empty() {
        return Ok(Value::list(Value::chars_of(text)));
    }
    Ok(Value::list(
        text.as_str().split(sep).map(Value::str).collect(),
    ))
}

/// `join(xs, sep)`.
pub(crate) fn join(a: &mut [Value]) -> RtResult<Value> {
    let xs = list(&a[0])?;
    let sep = string(&a[1])?;
    let mut out = Str::new(String::new());
    for (i, x) in xs.items.iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        out.push(string(x)?);
    }
    Ok(Value::Str(std::rc::Rc::new(out)))
}

/// `replace(s, from, to)`; an empty `from` leaves `s` unchanged.
pub(crate) fn replace(a: &mut [Value]) -> RtResult<Value> {
    let from = string(&a[1])?.as_str();
    if from.is_empty() {
        return Ok(std::mem::take(&mut a[0]));
    }
    let to = string(&a[2])?.as_str();
    Ok(Value::str(s0(a)?.replace(from, to)))
}

/// `contains(s, sub)`.
pub(crate) fn contains(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(s0(a)?.contains(string(&a[1])?.as_str())))
}

/// `starts_with(s, p)`.
pub(crate) fn starts_with(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(s0(a)?.starts_with(string(&a[1])?.as_str())))
}

/// `ends_with(s, p)`.
pub(crate) fn ends_with(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(s0(a)?.ends_with(string(&a[1])?.as_str())))
}

/// `chars(s)`.
pub(crate) fn chars(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::list(Value::chars_of(string(&a[0])?)))
}

/// `index_of(s, sub)`: character index of the first occurrence, -1 if none.
pub(crate) fn index_of(a: &mut [Value]) -> RtResult<Value> {
    let s = string(&a[0])?;
    let sub = string(&a[1])?.as_str();
    Ok(Value::Int(match s.as_str().find(sub) {
        None => -1,
        Some(byte) if s.is_ascii() => byte as i64,
        Some(byte) => s.as_str()[..byte].chars().count() as i64,
    }))
}

/// `slice(s, a, b)`: characters `a..b`, clamped to `0..=len`.
pub(crate) fn slice(a: &mut [Value]) -> RtResult<Value> {
    let s = string(&a[0])?;
    let n = s.char_len();
    let lo = clamp_index(int(&a[1])?, n);
    let hi = clamp_index(int(&a[2])?, n);
    if lo >= hi {
        return Ok(Value::str(""));
    }
    if lo == 0 && hi == n {
        return Ok(std::mem::take(&mut a[0]));
    }
    let text = s.as_str();
    if s.is_ascii() {
        return Ok(Value::str(&text[lo..hi]));
    }
    Ok(Value::str(
        text.chars().skip(lo).take(hi - lo).collect::<String>(),
    ))
}

/// `repeat(s, n)`: `""` for `n <= 0`.
pub(crate) fn repeat(a: &mut [Value]) -> RtResult<Value> {
    let s = s0(a)?;
    let n = int(&a[1])?;
    if n <= 0 || s.is_empty() {
        return Ok(Value::str(""));
    }
    let total = (s.len() as u64).checked_mul(n as u64);
    let mut text = buffer(total, "repeat")?;
    for _ in 0..n {
        text.push_str(s);
    }
    Ok(Value::str(text))
}

/// An empty string with room for `bytes`: a size that cannot be allocated (or computed)
/// is `invalid argument to <name>`, not an abort of the process.
fn buffer(bytes: Option<u64>, name: &'static str) -> RtResult<String> {
    let mut text = String::new();
    let fits = bytes
        .and_then(|b| usize::try_from(b).ok())
        .is_some_and(|b| text.try_reserve_exact(b).is_ok());
    if fits {
        Ok(text)
    } else {
        Err(RtError::InvalidArgument(name))
    }
}

/// `pad_left` / `pad_right(s, width, fill)`: `fill` must be one character.
pub(crate) fn pad(a: &mut [Value], left: bool) -> RtResult<Value> {
    let name = if left { "pad_left" } else { "pad_right" };
    let s = string(&a[0])?;
    let width = int(&a[1])?;
    let fill = string(&a[2])?;
    if fill.char_len() != 1 {
        return Err(RtError::InvalidArgument(name));
    }
    let n = s.char_len() as u64;
    if width <= 0 || width as u64 <= n {
        return Ok(std::mem::take(&mut a[0]));
    }
    let extra = width as u64 - n;
    let bytes = extra
        .checked_mul(fill.as_str().len() as u64)
        .and_then(|b| b.checked_add(s.as_str().len() as u64));
    let mut text = buffer(bytes, name)?;
    if !left {
        text.push_str(s.as_str());
    }
    for _ in 0..extra {
        text.push_str(fill.as_str());
    }
    if left {
        text.push_str(s.as_str());
    }
    Ok(Value::str(text))
}

/// `ord(c)`: the code point of a one-character String.
pub(crate) fn ord(a: &mut [Value]) -> RtResult<Value> {
    let mut it = s0(a)?.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(Value::Int(c as i64)),
        _ => Err(RtError::InvalidArgument("ord")),
    }
}

/// `chr(n)`: the character with code point `n`.
pub(crate) fn chr(a: &mut [Value]) -> RtResult<Value> {
    let n = int(&a[0])?;
    u32::try_from(n)
        .ok()
        .and_then(char::from_u32)
        .map(Value::char)
        .ok_or(RtError::InvalidArgument("chr"))
}

/// `reverse(s)`: characters reversed.
pub(crate) fn reverse(a: &mut [Value]) -> RtResult<Value> {
    Ok(Value::str(s0(a)?.chars().rev().collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }
    fn text(v: RtResult<Value>) -> String {
        match v {
            Ok(Value::Str(s)) => s.as_str().to_string(),
            other => panic!("not a string: {other:?}"),
        }
    }
    fn strs(v: RtResult<Value>) -> Vec<String> {
        match v {
            Ok(Value::List(l)) => l
                .items
                .iter()
                .map(|x| match x {
                    Value::Str(s) => s.as_str().to_string(),
                    other => panic!("{other:?}"),
                })
                .collect(),
            other => panic!("not a list: {other:?}"),
        }
    }

    #[test]
    fn case_mapping_is_full() {
        assert_eq!(text(upper(&mut [s("straße")])), "STRASSE");
        assert_eq!(text(lower(&mut [s("ÀB")])), "àb");
    }

    #[test]
    fn trim_uses_unicode_white_space() {
        assert_eq!(text(trim(&mut [s("\u{3000} a b\t\n")])), "a b");
        assert_eq!(text(trim(&mut [s("x")])), "x");
    }

    #[test]
    fn split_cases() {
        assert_eq!(strs(split(&mut [s("a,b,,c"), s(",")])), ["a", "b", "", "c"]);
        assert_eq!(strs(split(&mut [s(""), s(",")])), [""]);
        assert_eq!(strs(split(&mut [s("héj"), s("")])), ["h", "é", "j"]);
        assert_eq!(strs(split(&mut [s("aaa"), s("aa")])), ["", "a"]);
    }

    #[test]
    fn join_and_replace() {
        let xs = Value::list(vec![s("a"), s("b"), s("c")]);
        assert_eq!(text(join(&mut [xs, s("-")])), "a-b-c");
        assert_eq!(text(join(&mut [Value::list(vec![]), s("-")])), "");
        assert_eq!(text(replace(&mut [s("aaa"), s("aa"), s("b")])), "ba");
        assert_eq!(text(replace(&mut [s("abc"), s(""), s("x")])), "abc");
    }

    #[test]
    fn index_of_counts_characters() {
        assert!(matches!(
            index_of(&mut [s("héllo"), s("l")]),
            Ok(Value::Int(2))
        ));
        assert!(matches!(
            index_of(&mut [s("abc"), s("")]),
            Ok(Value::Int(0))
        ));
        assert!(matches!(
            index_of(&mut [s("abc"), s("z")]),
            Ok(Value::Int(-1))
        ));
    }

    #[test]
    fn slice_clamps() {
        let sl = |x: &str, a: i64, b: i64| text(slice(&mut [s(x), Value::Int(a), Value::Int(b)]));
        assert_eq!(sl("hello", 1, 3), "el");
        assert_eq!(sl("hello", -5, 100), "hello");
        assert_eq!(sl("hello", 3, 1), "");
        assert_eq!(sl("héllo", 1, 2), "é");
        assert_eq!(sl("hello", i64::MIN, i64::MAX), "hello");
    }

    #[test]
    fn repeat_and_pad() {
        assert_eq!(text(repeat(&mut [s("ab"), Value::Int(3)])), "ababab");
        assert_eq!(text(repeat(&mut [s("ab"), Value::Int(-1)])), "");
        assert_eq!(
            repeat(&mut [s("ab"), Value::Int(i64::MAX)]),
            Err(RtError::InvalidArgument("repeat"))
        );
        // Sizes that fit the arithmetic but not memory are refused, not an abort.
        assert_eq!(
            repeat(&mut [s("a"), Value::Int(1 << 62)]),
            Err(RtError::InvalidArgument("repeat"))
        );
        assert_eq!(
            pad(&mut [s("a"), Value::Int(i64::MAX), s(" ")], true),
            Err(RtError::InvalidArgument("pad_left"))
        );
        assert_eq!(text(pad(&mut [s("7"), Value::Int(3), s("0")], true)), "007");
        assert_eq!(
            text(pad(&mut [s("7"), Value::Int(3), s("é")], false)),
            "7éé"
        );
        assert_eq!(
            text(pad(&mut [s("1234"), Value::Int(3), s(" ")], true)),
            "1234"
        );
        assert_eq!(
            pad(&mut [s("7"), Value::Int(3), s("ab")], false),
            Err(RtError::InvalidArgument("pad_right"))
        );
        assert_eq!(
            pad(&mut [s("7"), Value::Int(3), s("")], true),
            Err(RtError::InvalidArgument("pad_left"))
        );
    }

    #[test]
    fn ord_chr_reverse() {
        assert!(matches!(ord(&mut [s("é")]), Ok(Value::Int(233))));
        assert_eq!(ord(&mut [s("ab")]), Err(RtError::InvalidArgument("ord")));
        assert_eq!(ord(&mut [s("")]), Err(RtError::InvalidArgument("ord")));
        assert_eq!(text(chr(&mut [Value::Int(0x1F600)])), "😀");
        assert_eq!(
            chr(&mut [Value::Int(0xD800)]),
            Err(RtError::InvalidArgument("chr"))
        );
        assert_eq!(
            chr(&mut [Value::Int(-1)]),
            Err(RtError::InvalidArgument("chr"))
        );
        assert_eq!(text(reverse(&mut [s("abç")])), "çba");
    }
}
