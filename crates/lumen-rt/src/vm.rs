//! The LIR interpreter.
//!
//! All Lumen frames share one contiguous register stack (`Vec<Value>`); a frame is a
//! window starting at its `base`, sized by its cell's register count, and the frame stack
//! records `(cell, pc, base, return register)`. Calls and returns push and pop frames
//! inside one dispatch loop, so Lumen recursion never recurses in Rust. Only the
//! higher-order builtins (`map`, `filter`, …) re-enter the loop from Rust: run the VM on a
//! thread with a large native stack (see [`crate::run_on_big_stack`]).
//!
//! The module is verified when the VM is created ([`crate::verify`]), which makes the
//! loop's unchecked register and instruction accesses sound.

use crate::builtins;
use crate::trace::{RuntimeError, TraceFrame};
use crate::verify::verify;
use lumen_core::display;
use lumen_core::error::{RtError, RtResult};
use lumen_core::lir::{CmpOp, Instr, LirModule, TypeDef, TypeTest};
use lumen_core::ops;
use lumen_core::value::{Boxed, CellId, Closure, List, Map, Record, Str, Tuple, Value, Variant};
use std::io::{BufRead, Write};
use std::rc::Rc;

/// At most this many Lumen calls may be active (§7); one more is `stack overflow`.
pub const MAX_CALLS: usize = 10_000;

/// One active call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    cell: u32,
    /// Index of the executing instruction: the call while a callee runs, the failing
    /// instruction after an error.
    pc: u32,
    /// Start of this frame's registers in the register stack.
    base: u32,
    /// Caller register receiving the result.
    ret: u32,
}

/// An error travelling out of an instruction: plain (its trace is captured where the
/// interpreter catches it) or already traced (raised inside a nested run, e.g. by a lambda
/// called from `map`).
#[derive(Debug)]
pub(crate) enum Fault {
    Plain(RtError),
    Traced(Box<RuntimeError>),
}

impl From<RtError> for Fault {
    fn from(e: RtError) -> Fault {
        Fault::Plain(e)
    }
}

/// Mutable machine state, separate from the module so both can be borrowed at once.
pub(crate) struct State {
    regs: Vec<Value>,
    frames: Vec<Frame>,
    /// `args()`.
    pub(crate) args: Vec<String>,
    /// Where `print` writes.
    pub(crate) out: Box<dyn Write>,
    /// Where `read_line` reads.
    pub(crate) input: Box<dyn BufRead>,
    /// Origin of `clock()`.
    pub(crate) start: std::time::Instant,
}

impl State {
    /// The argument registers `start..start + argc` of a builtin call.
    pub(crate) fn arg_slice(&mut self, start: usize, argc: usize) -> &mut [Value] {
        &mut self.regs[start..start + argc]
    }
}

/// The Lumen virtual machine: owns a verified module and runs its cells.
pub struct VM {
    module: LirModule,
    st: State,
    /// Why the module was rejected by the load-time checks, if it was.
    invalid: Option<String>,
}

impl VM {
    /// A VM for `module`. Program arguments are empty, stdout is a buffered real stdout
    /// (flushed when a call finishes, also on error) and stdin is the real stdin.
    pub fn new(module: LirModule) -> VM {
        let invalid = verify(&module).err();
        VM {
            module,
            st: State {
                regs: Vec::with_capacity(1024),
                frames: Vec::with_capacity(64),
                args: Vec::new(),
                out: Box::new(std::io::BufWriter::new(std::io::stdout())),
                input: Box::new(std::io::BufReader::new(std::io::stdin())),
                start: std::time::Instant::now(),
            },
            invalid,
        }
    }

    /// Sets what `args()` returns.
    pub fn set_args(&mut self, args: Vec<String>) {
        self.st.args = args;
    }

    /// Sets where `print` writes (flushed at the end of every call and before errors).
    pub fn set_stdout(&mut self, out: Box<dyn Write>) {
        self.st.out = out;
    }

    /// Sets where `read_line` reads.
    pub fn set_stdin(&mut self, input: Box<dyn BufRead>) {
        self.st.input = input;
    }

    /// The module being run (for display of results).
    pub fn module(&self) -> &LirModule {
        &self.module
    }

    /// Calls the top-level cell or method `name` with `args`.
    pub fn call_cell_by_name(
        &mut self,
        name: &str,
        args: Vec<Value>,
    ) -> Result<Value, RuntimeError> {
        match self.module.find_cell(name) {
            Some(id) => self.call_cell(id, args),
            None => Err(RuntimeError::new(
                RtError::Internal(format!("no cell named '{name}'")),
                Vec::new(),
            )),
        }
    }

    /// Calls cell `id` with `args`; stdout is flushed afterwards, whatever the outcome.
    pub fn call_cell(&mut self, id: CellId, args: Vec<Value>) -> Result<Value, RuntimeError> {
        let result = self.call_unflushed(id, args);
        // A failed flush (closed pipe) is not a program error.
        let _ = self.st.out.flush();
        result
    }

    /// Runs `main` as `lumen run` does (§10.1): a non-null result is displayed on stdout
    /// followed by `\n`. Stdout is flushed on every outcome.
    pub fn run_main(&mut self) -> Result<(), RuntimeError> {
        let Some(main) = self.module.main.or_else(|| self.module.find_cell("main")) else {
            return Err(RuntimeError::new(
                RtError::Internal("no main cell".into()),
                Vec::new(),
            ));
        };
        let result = self.call_unflushed(main, Vec::new()).and_then(|v| {
            if matches!(v, Value::Null) {
                return Ok(());
            }
            let mut text =
                display::display(&v, &self.module).map_err(|e| RuntimeError::new(e, Vec::new()))?;
            text.push('\n');
            let _ = self.st.out.write_all(text.as_bytes());
            Ok(())
        });
        let _ = self.st.out.flush();
        result
    }

    fn call_unflushed(&mut self, id: CellId, args: Vec<Value>) -> Result<Value, RuntimeError> {
        if let Some(why) = &self.invalid {
            return Err(RuntimeError::new(
                RtError::Internal(format!("invalid LIR: {why}")),
                Vec::new(),
            ));
        }
        let Some(cell) = self.module.cells.get(id as usize) else {
            return Err(RuntimeError::new(
                RtError::Internal(format!("no cell {id}")),
                Vec::new(),
            ));
        };
        if args.len() != cell.params as usize || cell.captures != 0 {
            return Err(RuntimeError::new(
                RtError::Internal(format!(
                    "{} takes {} arguments, {} given",
                    cell.name,
                    cell.params,
                    args.len()
                )),
                Vec::new(),
            ));
        }
        match enter(&self.module, &mut self.st, id, args, &[]) {
            Ok(v) => Ok(v),
            Err(Fault::Traced(e)) => Err(*e),
            Err(Fault::Plain(e)) => Err(RuntimeError::new(e, Vec::new())),
        }
    }
}

/// Calls the function value `f` with `args` from Rust (higher-order builtins).
pub(crate) fn call_function(
    m: &LirModule,
    st: &mut State,
    f: &Value,
    args: &mut [Value],
) -> Result<Value, Fault> {
    let Value::Fn(c) = f else {
        return Err(RtError::Internal("calling a value that is not a function".into()).into());
    };
    let cell = &m.cells[c.cell as usize];
    if cell.params as usize != args.len() {
        return Err(RtError::Internal(format!("{} called with wrong arity", cell.name)).into());
    }
    enter(m, st, c.cell, args, &c.captures)
}

/// Pushes a frame for `cell` (arguments moved in, captures copied) and runs it to its
/// return. Arguments come as a mutable slice so both `Vec`s and arrays can be moved from.
fn enter(
    m: &LirModule,
    st: &mut State,
    cell: CellId,
    args: impl AsMut<[Value]>,
    captures: &[Value],
) -> Result<Value, Fault> {
    let mut args = args;
    let args = args.as_mut();
    if st.frames.len() >= MAX_CALLS {
        return Err(RtError::StackOverflow.into());
    }
    let c = &m.cells[cell as usize];
    let base = st.regs.len();
    st.regs.resize(base + c.regs.len(), Value::Null);
    for (i, a) in args.iter_mut().enumerate() {
        st.regs[base + i] = std::mem::take(a);
    }
    for (i, v) in captures.iter().enumerate() {
        st.regs[base + args.len() + i] = v.clone();
    }
    let stop = st.frames.len();
    st.frames.push(Frame {
        cell,
        pc: 0,
        base: base as u32,
        ret: 0,
    });
    match exec(m, st, stop) {
        Ok(v) => Ok(v),
        Err(f) => {
            let f = match f {
                Fault::Plain(e) => Fault::Traced(Box::new(RuntimeError::new(e, trace(m, st)))),
                traced => traced,
            };
            st.frames.truncate(stop);
            // Frees everything the failed calls held (values are freed iteratively).
            st.regs.truncate(base);
            Err(f)
        }
    }
}

/// The current stack trace, innermost first.
fn trace(m: &LirModule, st: &State) -> Vec<TraceFrame> {
    st.frames
        .iter()
        .rev()
        .map(|f| {
            let cell = &m.cells[f.cell as usize];
            TraceFrame {
                name: cell.name.clone(),
                pos: cell.pos.get(f.pc as usize).copied().unwrap_or_default(),
            }
        })
        .collect()
}

/// An internal error for a register holding the wrong kind of value.
#[cold]
fn bad_tag(want: &str, got: &Value) -> RtError {
    RtError::Internal(format!("expected {want} in register, found {}", kind(got)))
}

/// Short kind name of a value for internal error messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Bool",
        Value::Int(_) => "Int",
        Value::Float(_) => "Float",
        Value::Str(_) => "String",
        Value::List(_) => "list",
        Value::Tuple(_) => "tuple",
        Value::Map(_) => "map",
        Value::Record(_) => "record",
        Value::Variant(_) => "enum",
        Value::Ok(_) | Value::Err(_) => "result",
        Value::Fn(_) => "fn",
    }
}

#[inline(always)]
fn int_cmp(op: CmpOp, x: i64, y: i64) -> bool {
    match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    }
}

#[inline(always)]
fn float_cmp(op: CmpOp, x: f64, y: f64) -> bool {
    match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    }
}

fn str_cmp(op: CmpOp, x: &str, y: &str) -> bool {
    match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    }
}

/// `v is test`.
fn type_test(v: &Value, test: TypeTest) -> bool {
    match (test, v) {
        (TypeTest::Int, Value::Int(_))
        | (TypeTest::Float, Value::Float(_))
        | (TypeTest::Bool, Value::Bool(_))
        | (TypeTest::Str, Value::Str(_))
        | (TypeTest::Null, Value::Null)
        | (TypeTest::List, Value::List(_))
        | (TypeTest::Map, Value::Map(_))
        | (TypeTest::Tuple, Value::Tuple(_))
        | (TypeTest::Result, Value::Ok(_) | Value::Err(_))
        | (TypeTest::Fn, Value::Fn(_)) => true,
        (TypeTest::Record(t), Value::Record(r)) => r.type_id == t,
        (TypeTest::Enum(t), Value::Variant(x)) => x.type_id == t,
        (TypeTest::Variant(t, tag), Value::Variant(x)) => x.type_id == t && x.tag == tag,
        _ => false,
    }
}

/// `s[i]`: character `i` as a String (O(1) for ASCII strings).
pub(crate) fn str_index(s: &Str, i: i64) -> RtResult<Value> {
    if i < 0 || i as u64 >= s.char_len() as u64 {
        return Err(RtError::IndexOutOfBounds);
    }
    let i = i as usize;
    let text = s.as_str();
    if s.is_ascii() {
        return Ok(Value::str(&text[i..i + 1]));
    }
    match text.chars().nth(i) {
        Some(c) => Ok(Value::str(c.to_string())),
        None => Err(RtError::IndexOutOfBounds),
    }
}

/// A list index checked against `len`.
#[inline(always)]
fn index(i: i64, len: usize) -> RtResult<usize> {
    if i >= 0 && (i as u64) < len as u64 {
        Ok(i as usize)
    } else {
        Err(RtError::IndexOutOfBounds)
    }
}

/// Runs the frame stack until the frame at depth `stop` returns.
///
/// Invariants (set up by [`enter`] and the call instructions): the top frame's registers
/// are `regs[base..base + cell.regs.len()]` and end at `regs.len()`; the module passed
/// [`verify`], so operand registers, jump targets and callees are in range.
#[allow(clippy::too_many_lines)]
fn exec(m: &LirModule, st: &mut State, stop: usize) -> Result<Value, Fault> {
    let cells = &m.cells[..];
    let Some(&top) = st.frames.last() else {
        return Err(RtError::Internal("no frame to run".into()).into());
    };
    let mut cell = &cells[top.cell as usize];
    let mut code: &[Instr] = &cell.code;
    let mut pc = top.pc as usize;
    let mut base = top.base as usize;
    // SAFETY (for every use of `r` below): `r` points at the current frame's first
    // register; the frame window lies inside `regs` (invariant above) and every operand
    // register is below the cell's register count (verified). `r` is recomputed after
    // anything that may reallocate or re-borrow `regs` (calls, returns, builtins).
    let mut r: *mut Value = unsafe { st.regs.as_mut_ptr().add(base) };

    macro_rules! reg {
        ($i:expr) => {
            unsafe { &mut *r.add($i as usize) }
        };
    }
    macro_rules! rd {
        ($i:expr) => {
            unsafe { &*r.add($i as usize) }
        };
    }
    // Records the failing instruction in the current frame, then leaves.
    macro_rules! fail {
        ($e:expr) => {{
            if let Some(f) = st.frames.last_mut() {
                f.pc = (pc - 1) as u32;
            }
            return Err(Fault::from($e));
        }};
    }
    macro_rules! tri {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(e) => fail!(e),
            }
        };
    }
    macro_rules! int {
        ($i:expr) => {
            match *rd!($i) {
                Value::Int(x) => x,
                ref other => fail!(bad_tag("Int", other)),
            }
        };
    }
    macro_rules! float {
        ($i:expr) => {
            match *rd!($i) {
                Value::Float(x) => x,
                ref other => fail!(bad_tag("Float", other)),
            }
        };
    }
    macro_rules! boolean {
        ($i:expr) => {
            match *rd!($i) {
                Value::Bool(x) => x,
                ref other => fail!(bad_tag("Bool", other)),
            }
        };
    }
    macro_rules! string {
        ($i:expr) => {
            match rd!($i) {
                Value::Str(s) => s,
                other => fail!(bad_tag("String", other)),
            }
        };
    }
    macro_rules! int_op {
        ($dst:expr, $a:expr, $b:expr, $f:expr) => {{
            let x = int!($a);
            let y = int!($b);
            *reg!($dst) = Value::Int(tri!($f(x, y)));
        }};
    }
    macro_rules! float_op {
        ($dst:expr, $a:expr, $b:expr, $f:expr) => {{
            let x = float!($a);
            let y = float!($b);
            *reg!($dst) = Value::Float($f(x, y));
        }};
    }
    // Takes `n` registers from `args` (a move: they are left null).
    macro_rules! take_args {
        ($args:expr, $n:expr) => {{
            let start = $args as usize;
            (start..start + $n as usize)
                .map(|i| std::mem::take(reg!(i)))
                .collect::<Vec<Value>>()
        }};
    }
    // Re-derives the frame locals after the frame stack changed.
    macro_rules! load_frame {
        ($f:expr) => {{
            let f: Frame = $f;
            cell = &cells[f.cell as usize];
            code = &cell.code;
            base = f.base as usize;
            r = unsafe { st.regs.as_mut_ptr().add(base) };
        }};
    }
    // Pushes a callee frame: `captures` are copied after the moved arguments.
    macro_rules! push_call {
        ($dst:expr, $callee:expr, $args:expr, $argc:expr, $captures:expr) => {{
            if st.frames.len() >= MAX_CALLS {
                fail!(RtError::StackOverflow);
            }
            if let Some(f) = st.frames.last_mut() {
                f.pc = (pc - 1) as u32;
            }
            let callee_id: u32 = $callee;
            let callee = &cells[callee_id as usize];
            let new_base = st.regs.len();
            st.regs.resize(new_base + callee.regs.len(), Value::Null);
            let p = st.regs.as_mut_ptr();
            let from = base + $args as usize;
            for i in 0..$argc as usize {
                // SAFETY: caller's argument registers and the fresh callee registers are
                // both inside `regs` and do not overlap (callee registers start at the
                // old length).
                unsafe { std::ptr::swap(p.add(from + i), p.add(new_base + i)) };
            }
            let caps: &[Value] = $captures;
            for (i, v) in caps.iter().enumerate() {
                st.regs[new_base + $argc as usize + i] = v.clone();
            }
            let f = Frame {
                cell: callee_id,
                pc: 0,
                base: new_base as u32,
                ret: $dst,
            };
            st.frames.push(f);
            load_frame!(f);
            pc = 0;
        }};
    }

    loop {
        // SAFETY: `pc` is in range: it starts at 0 or a verified jump target, and every
        // cell ends with an unconditional jump, return or halt.
        let ins = unsafe { code.get_unchecked(pc) };
        pc += 1;
        match *ins {
            Instr::LoadInt { dst, value } => *reg!(dst) = Value::Int(value),
            Instr::LoadFloat { dst, value } => *reg!(dst) = Value::Float(value),
            Instr::LoadBool { dst, value } => *reg!(dst) = Value::Bool(value),
            Instr::LoadNull { dst } => *reg!(dst) = Value::Null,
            Instr::LoadConst { dst, idx } => *reg!(dst) = m.consts[idx as usize].clone(),
            Instr::Copy { dst, src } => {
                let v = rd!(src).clone();
                *reg!(dst) = v;
            }
            Instr::Move { dst, src } => {
                let v = std::mem::take(reg!(src));
                *reg!(dst) = v;
            }

            Instr::IntAdd { dst, a, b } => {
                let x = int!(a);
                let y = int!(b);
                match x.checked_add(y) {
                    Some(z) => *reg!(dst) = Value::Int(z),
                    None => fail!(RtError::IntegerOverflow),
                }
            }
            Instr::IntSub { dst, a, b } => {
                let x = int!(a);
                let y = int!(b);
                match x.checked_sub(y) {
                    Some(z) => *reg!(dst) = Value::Int(z),
                    None => fail!(RtError::IntegerOverflow),
                }
            }
            Instr::IntMul { dst, a, b } => {
                let x = int!(a);
                let y = int!(b);
                match x.checked_mul(y) {
                    Some(z) => *reg!(dst) = Value::Int(z),
                    None => fail!(RtError::IntegerOverflow),
                }
            }
            Instr::IntAddImm { dst, a, value } => {
                let x = int!(a);
                match x.checked_add(value) {
                    Some(z) => *reg!(dst) = Value::Int(z),
                    None => fail!(RtError::IntegerOverflow),
                }
            }
            Instr::IntDiv { dst, a, b } => int_op!(dst, a, b, ops::int_div),
            Instr::IntFloorDiv { dst, a, b } => int_op!(dst, a, b, ops::int_floor_div),
            Instr::IntMod { dst, a, b } => {
                let x = int!(a);
                let y = int!(b);
                // Fast path for the common positive case; `ops` handles the rest.
                let z = if x >= 0 && y > 0 {
                    x % y
                } else {
                    tri!(ops::int_mod(x, y))
                };
                *reg!(dst) = Value::Int(z);
            }
            Instr::IntPow { dst, a, b } => int_op!(dst, a, b, ops::int_pow),
            Instr::IntNeg { dst, src } => {
                let x = int!(src);
                *reg!(dst) = Value::Int(tri!(ops::int_neg(x)));
            }
            Instr::BitAnd { dst, a, b } => int_op!(dst, a, b, |x: i64, y: i64| RtResult::Ok(x & y)),
            Instr::BitOr { dst, a, b } => int_op!(dst, a, b, |x: i64, y: i64| RtResult::Ok(x | y)),
            Instr::BitXor { dst, a, b } => int_op!(dst, a, b, |x: i64, y: i64| RtResult::Ok(x ^ y)),
            Instr::Shl { dst, a, b } => {
                int_op!(dst, a, b, |x, y| RtResult::Ok(ops::int_shl(x, y)))
            }
            Instr::Shr { dst, a, b } => {
                int_op!(dst, a, b, |x, y| RtResult::Ok(ops::int_shr(x, y)))
            }
            Instr::BitNot { dst, src } => {
                let x = int!(src);
                *reg!(dst) = Value::Int(!x);
            }

            Instr::FloatAdd { dst, a, b } => float_op!(dst, a, b, |x: f64, y: f64| x + y),
            Instr::FloatSub { dst, a, b } => float_op!(dst, a, b, |x: f64, y: f64| x - y),
            Instr::FloatMul { dst, a, b } => float_op!(dst, a, b, |x: f64, y: f64| x * y),
            Instr::FloatDiv { dst, a, b } => float_op!(dst, a, b, |x: f64, y: f64| x / y),
            Instr::FloatFloorDiv { dst, a, b } => float_op!(dst, a, b, ops::float_floor_div),
            Instr::FloatMod { dst, a, b } => float_op!(dst, a, b, ops::float_mod),
            Instr::FloatPow { dst, a, b } => float_op!(dst, a, b, ops::float_pow),
            Instr::FloatNeg { dst, src } => {
                let x = float!(src);
                *reg!(dst) = Value::Float(-x);
            }
            Instr::IntToFloat { dst, src } => {
                let x = int!(src);
                *reg!(dst) = Value::Float(x as f64);
            }
            Instr::FloatToInt { dst, src } => {
                let x = float!(src);
                *reg!(dst) = Value::Int(tri!(ops::float_to_int(x)));
            }

            Instr::IntCmp { op, dst, a, b } => {
                let x = int!(a);
                let y = int!(b);
                *reg!(dst) = Value::Bool(int_cmp(op, x, y));
            }
            Instr::FloatCmp { op, dst, a, b } => {
                let x = float!(a);
                let y = float!(b);
                *reg!(dst) = Value::Bool(float_cmp(op, x, y));
            }
            Instr::StrCmp { op, dst, a, b } => {
                let res = str_cmp(op, string!(a).as_str(), string!(b).as_str());
                *reg!(dst) = Value::Bool(res);
            }
            Instr::Eq { dst, a, b } => {
                let res = tri!(ops::values_equal(rd!(a), rd!(b)));
                *reg!(dst) = Value::Bool(res);
            }
            Instr::Ne { dst, a, b } => {
                let res = tri!(ops::values_equal(rd!(a), rd!(b)));
                *reg!(dst) = Value::Bool(!res);
            }
            Instr::Not { dst, src } => {
                let x = boolean!(src);
                *reg!(dst) = Value::Bool(!x);
            }

            Instr::Jump { target } => pc = target as usize,
            Instr::JumpIf { cond, target } => {
                if boolean!(cond) {
                    pc = target as usize;
                }
            }
            Instr::JumpIfNot { cond, target } => {
                if !boolean!(cond) {
                    pc = target as usize;
                }
            }
            Instr::JumpIfIntCmp { op, a, b, target } => {
                let x = int!(a);
                let y = int!(b);
                if int_cmp(op, x, y) {
                    pc = target as usize;
                }
            }
            Instr::JumpIfNull { src, target } => {
                if matches!(rd!(src), Value::Null) {
                    pc = target as usize;
                }
            }
            Instr::Return { src } => {
                let v = std::mem::take(reg!(src));
                let Some(done) = st.frames.pop() else {
                    return Err(RtError::Internal("return without a frame".into()).into());
                };
                // Frees the callee's registers, so values it copied stay unique in the caller.
                st.regs.truncate(done.base as usize);
                if st.frames.len() == stop {
                    return Ok(v);
                }
                let Some(&caller) = st.frames.last() else {
                    return Err(RtError::Internal("return without a caller".into()).into());
                };
                load_frame!(caller);
                pc = caller.pc as usize + 1;
                *reg!(done.ret) = v;
            }
            Instr::Call {
                dst,
                cell: callee,
                args,
                argc,
            } => push_call!(dst, callee, args, argc, &[]),
            Instr::CallValue {
                dst,
                callee,
                args,
                argc,
            } => {
                let f = match rd!(callee) {
                    Value::Fn(c) => c.clone(),
                    other => fail!(bad_tag("fn", other)),
                };
                let target = &cells[f.cell as usize];
                if target.params != argc || target.captures as usize != f.captures.len() {
                    fail!(RtError::Internal(format!(
                        "{} called with the wrong number of values",
                        target.name
                    )));
                }
                push_call!(dst, f.cell, args, argc, &f.captures)
            }
            Instr::CallBuiltin {
                dst,
                builtin,
                args,
                argc,
            } => {
                if let Some(f) = st.frames.last_mut() {
                    f.pc = (pc - 1) as u32;
                }
                let res = builtins::call(m, st, builtin, base + args as usize, argc as usize);
                // A higher-order builtin may have grown (reallocated) the register stack.
                r = unsafe { st.regs.as_mut_ptr().add(base) };
                match res {
                    Ok(v) => *reg!(dst) = v,
                    Err(f) => fail!(f),
                }
            }
            Instr::Halt { msg } => {
                let text = string!(msg).as_str().to_string();
                fail!(RtError::Halt(text));
            }
            Instr::NoMatch => fail!(RtError::NoMatchArm),

            Instr::StrConcat { dst, a, b } => {
                let right = string!(b).clone();
                if dst == a {
                    // `s = s + t` with `s` unique: append in place.
                    match reg!(a) {
                        Value::Str(s) => Rc::make_mut(s).push(&right),
                        other => fail!(bad_tag("String", other)),
                    }
                } else {
                    let left = string!(a);
                    let len = left.as_str().len() + right.as_str().len();
                    let mut s = Str::new(String::with_capacity(len));
                    s.push(left);
                    s.push(&right);
                    *reg!(dst) = Value::Str(Rc::new(s));
                }
            }
            Instr::ToStr { dst, src } => {
                let v = match rd!(src) {
                    Value::Str(s) => Value::Str(s.clone()),
                    other => Value::str(tri!(display::display(other, m))),
                };
                *reg!(dst) = v;
            }
            Instr::StrBuild { dst, args, argc } => {
                let mut text = String::new();
                for i in args..args + argc {
                    tri!(display::write_value(&mut text, rd!(i), m));
                }
                for i in args..args + argc {
                    *reg!(i) = Value::Null;
                }
                *reg!(dst) = Value::str(text);
            }
            Instr::StrIndex { dst, s, idx } => {
                let i = int!(idx);
                let v = tri!(str_index(string!(s), i));
                *reg!(dst) = v;
            }

            Instr::ListNew { dst, args, argc } => {
                let items = take_args!(args, argc);
                *reg!(dst) = Value::List(Rc::new(List { items }));
            }
            Instr::ListGet { dst, list, idx } => {
                let i = int!(idx);
                let v = match rd!(list) {
                    Value::List(l) => tri!(index(i, l.items.len()).map(|i| l.items[i].clone())),
                    other => fail!(bad_tag("list", other)),
                };
                *reg!(dst) = v;
            }
            Instr::ListSet { list, idx, src } => {
                let i = int!(idx);
                let v = rd!(src).clone();
                match reg!(list) {
                    Value::List(l) => {
                        let k = tri!(index(i, l.items.len()));
                        Rc::make_mut(l).items[k] = v;
                    }
                    other => fail!(bad_tag("list", other)),
                }
            }
            Instr::ListLen { dst, list } => {
                let n = match rd!(list) {
                    Value::List(l) => l.items.len(),
                    other => fail!(bad_tag("list", other)),
                };
                *reg!(dst) = Value::Int(n as i64);
            }
            Instr::ListConcat { dst, a, b } => {
                let right = match rd!(b) {
                    Value::List(l) => l.clone(),
                    other => fail!(bad_tag("list", other)),
                };
                if dst == a {
                    match reg!(a) {
                        Value::List(l) => Rc::make_mut(l).items.extend(right.items.iter().cloned()),
                        other => fail!(bad_tag("list", other)),
                    }
                } else {
                    let items = match rd!(a) {
                        Value::List(l) => {
                            let mut v = Vec::with_capacity(l.items.len() + right.items.len());
                            v.extend(l.items.iter().cloned());
                            v.extend(right.items.iter().cloned());
                            v
                        }
                        other => fail!(bad_tag("list", other)),
                    };
                    *reg!(dst) = Value::list(items);
                }
            }
            Instr::RangeList {
                dst,
                lo,
                hi,
                inclusive,
            } => {
                let a = int!(lo);
                let b = int!(hi);
                *reg!(dst) = builtins::collections::range_list(a, b, inclusive);
            }

            Instr::MapNew { dst, args, pairs } => {
                let mut map = Map::default();
                for p in 0..pairs {
                    let k = tri!(ops::map_key(rd!(args + 2 * p)));
                    let v = std::mem::take(reg!(args + 2 * p + 1));
                    *reg!(args + 2 * p) = Value::Null;
                    map.entries.insert(k, v);
                }
                *reg!(dst) = Value::Map(Rc::new(map));
            }
            Instr::MapGet { dst, map, key } => {
                let k = tri!(ops::map_key(rd!(key)));
                let v = match rd!(map) {
                    Value::Map(mp) => match mp.entries.get(&k) {
                        Some(v) => v.clone(),
                        None => fail!(RtError::KeyNotFound),
                    },
                    other => fail!(bad_tag("map", other)),
                };
                *reg!(dst) = v;
            }
            Instr::MapSet { map, key, src } => {
                let k = tri!(ops::map_key(rd!(key)));
                let v = rd!(src).clone();
                match reg!(map) {
                    Value::Map(mp) => {
                        Rc::make_mut(mp).entries.insert(k, v);
                    }
                    other => fail!(bad_tag("map", other)),
                }
            }

            Instr::TupleNew { dst, args, argc } => {
                let items = take_args!(args, argc);
                *reg!(dst) = Value::Tuple(Rc::new(Tuple { items }));
            }
            Instr::TupleGet { dst, tuple, index } => {
                let v = match rd!(tuple) {
                    Value::Tuple(t) => match t.items.get(index as usize) {
                        Some(v) => v.clone(),
                        None => fail!(RtError::Internal("tuple index out of range".into())),
                    },
                    other => fail!(bad_tag("tuple", other)),
                };
                *reg!(dst) = v;
            }
            Instr::RecordNew { dst, type_id, args } => {
                let n = match m.types.get(type_id) {
                    TypeDef::Record { fields, .. } => fields.len(),
                    TypeDef::Enum { .. } => fail!(RtError::Internal("not a record".into())),
                };
                let fields = take_args!(args, n);
                *reg!(dst) = Value::Record(Rc::new(Record { type_id, fields }));
            }
            Instr::FieldGet { dst, record, field } => {
                let v = match rd!(record) {
                    Value::Record(rec) => match rec.fields.get(field as usize) {
                        Some(v) => v.clone(),
                        None => fail!(RtError::Internal("field out of range".into())),
                    },
                    other => fail!(bad_tag("record", other)),
                };
                *reg!(dst) = v;
            }
            Instr::FieldSet { record, field, src } => {
                let v = rd!(src).clone();
                match reg!(record) {
                    Value::Record(rec) if (field as usize) < rec.fields.len() => {
                        Rc::make_mut(rec).fields[field as usize] = v;
                    }
                    other => fail!(bad_tag("record", other)),
                }
            }
            Instr::VariantNew {
                dst,
                type_id,
                tag,
                args,
            } => {
                let n = match m.types.get(type_id) {
                    TypeDef::Enum { variants, .. } => {
                        variants.get(tag as usize).map_or(0, |v| v.arity)
                    }
                    TypeDef::Record { .. } => fail!(RtError::Internal("not an enum".into())),
                };
                let payload = take_args!(args, n);
                *reg!(dst) = Value::Variant(Rc::new(Variant {
                    type_id,
                    tag,
                    payload,
                }));
            }
            Instr::VariantTag { dst, src } => {
                let t = match rd!(src) {
                    Value::Variant(v) => v.tag,
                    other => fail!(bad_tag("enum", other)),
                };
                *reg!(dst) = Value::Int(t as i64);
            }
            Instr::PayloadGet { dst, src, index } => {
                let v = match rd!(src) {
                    Value::Variant(v) => match v.payload.get(index as usize) {
                        Some(x) => x.clone(),
                        None => fail!(RtError::Internal("payload index out of range".into())),
                    },
                    other => fail!(bad_tag("enum", other)),
                };
                *reg!(dst) = v;
            }
            Instr::MakeOk { dst, src } => {
                let value = rd!(src).clone();
                *reg!(dst) = Value::Ok(Rc::new(Boxed { value }));
            }
            Instr::MakeErr { dst, src } => {
                let value = rd!(src).clone();
                *reg!(dst) = Value::Err(Rc::new(Boxed { value }));
            }
            Instr::ResultValue { dst, src } => {
                let v = match rd!(src) {
                    Value::Ok(b) | Value::Err(b) => b.value.clone(),
                    other => fail!(bad_tag("result", other)),
                };
                *reg!(dst) = v;
            }

            Instr::Is { dst, src, test } => {
                let res = type_test(rd!(src), test);
                *reg!(dst) = Value::Bool(res);
            }
            Instr::Unwrap { dst, src } => {
                let v = match rd!(src) {
                    Value::Null => fail!(RtError::NullValue),
                    v => v.clone(),
                };
                *reg!(dst) = v;
            }
            Instr::MakeClosure {
                dst,
                cell: target,
                args,
                argc,
            } => {
                let captures = take_args!(args, argc);
                *reg!(dst) = Value::Fn(Rc::new(Closure {
                    cell: target,
                    captures,
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests;
