//! I/O builtins: `print`, `args`, `read_line`, `clock`, `exit`.

use super::int;
use crate::vm::State;
use lumen_core::display;
use lumen_core::error::{RtError, RtResult};
use lumen_core::lir::LirModule;
use lumen_core::value::Value;
use std::io::{BufRead, Write};

/// `print(a, b, …)`: display forms joined by one space, then `\n`.
pub(crate) fn print(m: &LirModule, st: &mut State, start: usize, argc: usize) -> RtResult<Value> {
    // The state's line buffer, reused (taken out while the arguments are borrowed).
    let mut line = std::mem::take(&mut st.line);
    line.clear();
    let shown = write_line(&mut line, st.arg_slice(start, argc), m);
    if shown.is_ok() {
        // A closed stdout (e.g. a pipe to `head`) must not turn into a program error.
        let _ = st.out.write_all(line.as_bytes());
    }
    // (A huge line's buffer is not kept.)
    if line.capacity() <= 1 << 16 {
        st.line = line;
    }
    shown.map(|()| Value::Null)
}

/// `print`'s line for `args` (moved out), ending in `\n`.
fn write_line(line: &mut String, args: &mut [Value], m: &LirModule) -> RtResult<()> {
    for (i, v) in args.iter_mut().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        display::write_value(line, v, m)?;
        *v = Value::Null;
    }
    line.push('\n');
    Ok(())
}

/// `args()`: the program arguments.
pub(crate) fn args(st: &State) -> Value {
    Value::list(st.args.iter().map(|a| Value::str(a.as_str())).collect())
}

/// `read_line()`: the next line without `\n` / `\r\n`, `null` at end of input; invalid
/// UTF-8 becomes U+FFFD.
pub(crate) fn read_line(st: &mut State) -> Value {
    // Output written so far should be visible before the program waits for input.
    let _ = st.out.flush();
    let mut buf = Vec::new();
    match st.input.read_until(b'\n', &mut buf) {
        Ok(0) | Err(_) => Value::Null,
        Ok(_) => {
            if buf.last() == Some(&b'\n') {
                buf.pop();
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
            }
            Value::str(String::from_utf8_lossy(&buf).into_owned())
        }
    }
}

/// `clock()`: seconds since the VM was created (monotonic).
pub(crate) fn clock(st: &State) -> Value {
    Value::Float(st.start.elapsed().as_secs_f64())
}

/// `exit(code)`: unwinds with [`RtError::Exit`] (the caller flushes stdout).
pub(crate) fn exit(a: &mut [Value]) -> RtResult<Value> {
    let code = int(&a[0])?;
    if !(0..=255).contains(&code) {
        return Err(RtError::InvalidArgument("exit"));
    }
    Err(RtError::Exit(code as i32))
}
