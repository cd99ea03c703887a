//! Higher-order builtins: `map`, `filter`, `reduce`, `any`, `all`, `find`, `sort_by`.
//! They call function values by re-entering the interpreter ([`call_function`]), so Rust
//! recursion grows with nested calls through them; the VM should run on a big stack.

use super::collections::into_items;
use super::wrong;
use crate::vm::{Fault, State, call_function};
use lumen_core::builtins::Builtin;
use lumen_core::error::RtError;
use lumen_core::lir::LirModule;
use lumen_core::ops;
use lumen_core::value::Value;

/// Calls higher-order builtin `b` on the argument registers `start..start + argc`.
pub(crate) fn call(
    m: &LirModule,
    st: &mut State,
    b: Builtin,
    start: usize,
    argc: usize,
) -> Result<Value, Fault> {
    // Arguments leave the register stack first: calling `f` may reallocate it.
    let mut args: Vec<Value> = st
        .arg_slice(start, argc)
        .iter_mut()
        .map(std::mem::take)
        .collect();
    if args.len() < 2 {
        return Err(RtError::Internal(format!("{} needs two arguments", b.name())).into());
    }
    let init = if args.len() > 2 { args.pop() } else { None };
    let f = args.pop().unwrap_or_default();
    let xs = into_items(args.pop().unwrap_or_default())?;
    let call1 = |st: &mut State, x: Value| call_function(m, st, &f, &mut [x]);
    let test = |st: &mut State, x: Value| -> Result<bool, Fault> {
        match call1(st, x)? {
            Value::Bool(b) => Ok(b),
            other => Err(wrong("Bool", &other).into()),
        }
    };
    match b {
        Builtin::Map => {
            let mut out = Vec::with_capacity(xs.len());
            for x in xs {
                out.push(call1(st, x)?);
            }
            Ok(Value::list(out))
        }
        Builtin::Filter => {
            let mut out = Vec::new();
            for x in xs {
                if test(st, x.clone())? {
                    out.push(x);
                }
            }
            Ok(Value::list(out))
        }
        Builtin::Reduce => {
            let mut acc = init.unwrap_or_default();
            for x in xs {
                acc = call_function(m, st, &f, &mut [acc, x])?;
            }
            Ok(acc)
        }
        Builtin::Any => {
            for x in xs {
                if test(st, x)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        Builtin::All => {
            for x in xs {
                if !test(st, x)? {
                    return Ok(Value::Bool(false));
                }
            }
            Ok(Value::Bool(true))
        }
        Builtin::Find => {
            for x in xs {
                if test(st, x.clone())? {
                    return Ok(x);
                }
            }
            Ok(Value::Null)
        }
        Builtin::SortBy => {
            // Keys are computed once per element, in order; the sort is stable.
            let mut keyed = Vec::with_capacity(xs.len());
            for x in xs {
                let k = call1(st, x.clone())?;
                keyed.push((k, x));
            }
            keyed.sort_by(|(a, _), (b, _)| ops::sort_compare(a, b));
            Ok(Value::list(keyed.into_iter().map(|(_, x)| x).collect()))
        }
        other => Err(RtError::Internal(format!("{} is not higher-order", other.ident())).into()),
    }
}
