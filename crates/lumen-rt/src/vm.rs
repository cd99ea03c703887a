//! The LIR interpreter.
//!
//! When a [`VM`] is created, the module is verified (`lumen_core::verify`: every operand
//! register, jump target and callee in range, no cell running off its end) and each cell
//! is translated (`code`) into the VM's own op format: a byte-tagged enum with
//! per-operator compare-and-branch ops and fused pairs (constant operands, loop back
//! edges, float compare-and-branch, math builtins). The hot loop (`exec`) dispatches on
//! those ops with unchecked register access, which the verification makes sound; rarer
//! instructions run out of line (`slow`) on the original LIR.
//!
//! All Lumen frames share one contiguous register stack (`Vec<Value>`); a frame is a
//! window starting at its `base`, sized by its cell's register count, and the frame
//! stack records `(cell, resume position, base, return register)`. Calls and returns
//! push and pop frames inside the one dispatch loop, so Lumen recursion never recurses in
//! Rust. Only the higher-order builtins (`map`, `filter`, …) re-enter the loop from Rust:
//! run the VM on a thread with a large native stack (see [`crate::run_on_big_stack`]).

use crate::native;
use crate::tier::{Tier, TierStats};
use crate::trace::{RuntimeError, TraceFrame};
use exec::exec;
use lumen_core::display;
use lumen_core::error::RtError;
use lumen_core::lir::LirModule;
use lumen_core::value::{CellId, Value};
use std::io::{BufRead, Write};

/// At most this many Lumen calls may be active (§7); one more is `stack overflow`.
pub const MAX_CALLS: usize = 10_000;

/// One active call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    /// The op after the executing one: the resume point while a callee runs; after an
    /// error, the op after the failing one.
    ip: *const code::Op,
    /// First op of the cell (jump targets are relative to it).
    ops: *const code::Op,
    cell: u32,
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
    /// The register stack. Slots from `top` on never hold heap values (so a new frame's
    /// window needs no initialisation and nothing there keeps a value shared);
    /// `regs.len()` is a high-water mark.
    pub(crate) regs: Vec<Value>,
    /// End of the top frame's window.
    pub(crate) top: usize,
    pub(crate) frames: Vec<Frame>,
    /// `args()`.
    pub(crate) args: Vec<String>,
    /// Where `print` writes.
    pub(crate) out: Box<dyn Write>,
    /// The line `print` builds, kept between calls so printing allocates nothing.
    pub(crate) line: String,
    /// Where `read_line` reads.
    pub(crate) input: Box<dyn BufRead>,
    /// Origin of `clock()`.
    pub(crate) start: std::time::Instant,
    /// The translated ops of every cell (indexed like the module's cells).
    codes: std::rc::Rc<[code::Code]>,
    /// One per cell of the module: its native entry once compiled (a cell with an
    /// entry runs natively when entered), and its parameter and capture counts. Sized
    /// once; native code holds a pointer to it (`NativeCtx::callees`).
    pub(crate) callees: Vec<native::Callee>,
    /// Counters and the installed tier, when there is one.
    pub(crate) tiering: Option<Box<tiering::Tiering>>,
    /// Keeps the native code of `native` alive.
    native_owner: Option<std::rc::Rc<dyn std::any::Any>>,
    /// Active calls not in `frames` (native frames below a nested run).
    pub(crate) depth_base: usize,
}

impl State {
    /// The native entry of `cell`, once compiled.
    pub(crate) fn entry(&self, cell: CellId) -> Option<native::Entry> {
        self.callees.get(cell as usize).and_then(|c| c.entry)
    }

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
        let invalid = lumen_core::verify::verify(&module)
            .err()
            .map(|e| e.join("; "));
        let codes: Vec<code::Code> = if invalid.is_none() {
            module.cells.iter().map(code::translate).collect()
        } else {
            Vec::new()
        };
        let callees = (module.cells.iter())
            .map(|c| native::Callee {
                entry: None,
                params: c.params,
                captures: c.captures,
            })
            .collect();
        VM {
            module,
            st: State {
                regs: Vec::with_capacity(1024),
                top: 0,
                frames: Vec::with_capacity(64),
                args: Vec::new(),
                out: Box::new(std::io::BufWriter::new(std::io::stdout())),
                line: String::new(),
                input: Box::new(std::io::BufReader::new(std::io::stdin())),
                start: std::time::Instant::now(),
                codes: codes.into(),
                callees,
                tiering: None,
                native_owner: None,
                depth_base: 0,
            },
            invalid,
        }
    }

    /// The module and the machine state, borrowed together (for tests of code that runs
    /// on a state, such as native helpers).
    #[cfg(test)]
    pub(crate) fn parts(&mut self) -> (&LirModule, &mut State) {
        (&self.module, &mut self.st)
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

    /// Installs native code: `entries[cell]` (indexed like the module's cells) is the
    /// entry of a compiled cell, which then runs natively whenever it is entered (calls
    /// from Rust, `main`, function values called by builtins and by native code).
    /// `owner` keeps the machine code alive for as long as the VM uses it.
    ///
    /// # Safety
    /// Every entry must be a function generated for the same-numbered cell of this VM's
    /// module following the native ABI of `docs/jit.md`, valid while `owner` lives.
    pub unsafe fn set_native(
        &mut self,
        entries: Vec<Option<native::Entry>>,
        owner: std::rc::Rc<dyn std::any::Any>,
    ) {
        for (callee, entry) in self.st.callees.iter_mut().zip(entries) {
            callee.entry = entry;
        }
        self.st.native_owner = Some(owner);
    }

    /// Installs `tier`: from now on the VM counts calls per cell and iterations per loop
    /// header, compiles a cell through the tier on its call after `threshold` calls (0:
    /// on its first call) and leaves a loop for native code (on-stack replacement) after
    /// `threshold` iterations (see [`crate::tier`]). Without a tier nothing is counted.
    pub fn set_tier(&mut self, tier: Box<dyn Tier>, threshold: u32) {
        if self.invalid.is_some() {
            return;
        }
        // Loop counters are numbered across the module: header pcs, and their cells.
        let mut heads = Vec::new();
        let mut cells = Vec::new();
        let codes: Vec<code::Code> = (self.module.cells.iter().enumerate())
            .map(|(id, c)| {
                let code = code::translate_tiered(c, &mut heads);
                cells.resize(heads.len(), id as CellId);
                code
            })
            .collect();
        let loops = cells.into_iter().zip(heads).collect();
        self.st.codes = codes.into();
        self.st.tiering = Some(Box::new(tiering::Tiering::new(
            tier,
            threshold,
            &self.module,
            loops,
        )));
    }

    /// What tiering did so far (zeros without a tier).
    pub fn stats(&self) -> TierStats {
        self.st
            .tiering
            .as_ref()
            .map(|t| t.stats)
            .unwrap_or_default()
    }

    /// Continues cell `id` natively from `entry`, an on-stack-replacement entry the JIT
    /// built for one of its loop headers, with `window` as the frame's registers (what
    /// the VM's frame held at that header). Stdout is flushed afterwards.
    ///
    /// # Safety
    /// `entry` must have been generated for cell `id` of this VM's module (e.g. by
    /// `lumen_codegen::JitCompiler::compile_osr`) and its code must still be alive.
    /// `window` must be a state the cell's frame can reach at that header: native code
    /// relies on what holds there on every path (loop bounds that make an increment
    /// unable to overflow, for one).
    pub unsafe fn call_osr(
        &mut self,
        id: CellId,
        entry: native::Entry,
        mut window: Vec<Value>,
    ) -> Result<Value, RuntimeError> {
        if self.invalid.is_some() || id as usize >= self.module.cells.len() {
            return Err(RuntimeError::new(
                RtError::Internal(format!("no valid cell {id}")),
                Vec::new(),
            ));
        }
        let res = native::enter_osr(&self.module, &mut self.st, entry, id, &mut window);
        let _ = self.st.out.flush();
        match res {
            Ok(v) => Ok(v),
            Err(Fault::Traced(e)) => Err(*e),
            Err(Fault::Plain(e)) => Err(RuntimeError::new(e, Vec::new())),
        }
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
        // Every tier trusts a register's kind (native entries unbox scalars unchecked):
        // an embedder's arguments are checked here, once, for all of them.
        for (v, &t) in args.iter().zip(&cell.regs) {
            if let Some(want) = t.scalar_tag()
                && lumen_core::value::tag_of(v) != want
            {
                return Err(RuntimeError::new(bad_tag(kind_of_tag(want), v), Vec::new()));
            }
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
        return Err(bad_tag("fn", f).into());
    };
    let Some(cell) = m.cells.get(c.cell as usize) else {
        return Err(no_cell(c.cell).into());
    };
    if cell.params as usize != args.len() || cell.captures as usize != c.captures.len() {
        return Err(wrong_count(cell).into());
    }
    enter(m, st, c.cell, args, &c.captures)
}

/// Pushes a frame for `cell` (arguments moved in, captures copied) and runs it to its
/// return. Arguments come as a mutable slice so both `Vec`s and arrays can be moved from.
pub(crate) fn enter(
    m: &LirModule,
    st: &mut State,
    cell: CellId,
    args: impl AsMut<[Value]>,
    captures: &[Value],
) -> Result<Value, Fault> {
    let mut args = args;
    let args = args.as_mut();
    let entry = if st.tiering.is_some() {
        tiering::call_entry(m, st, cell)
    } else {
        st.entry(cell)
    };
    if let Some(entry) = entry {
        return native::enter(m, st, entry, cell, args, captures);
    }
    if st.frames.len() + st.depth_base >= MAX_CALLS {
        return Err(RtError::StackOverflow.into());
    }
    let c = &m.cells[cell as usize];
    let base = st.top;
    let need = base + c.regs.len();
    if need > st.regs.len() {
        st.regs.resize(need, Value::Null);
    }
    st.top = need;
    for (i, a) in args.iter_mut().enumerate() {
        st.regs[base + i] = std::mem::take(a);
    }
    for (i, v) in captures.iter().enumerate() {
        st.regs[base + args.len() + i] = v.clone();
    }
    let stop = st.frames.len();
    let ops = st.codes[cell as usize].ops.as_ptr();
    st.frames.push(Frame {
        ip: ops,
        ops,
        cell,
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
            exec::release(&mut st.regs, base, st.top);
            st.top = base;
            Err(f)
        }
    }
}

/// The current stack trace, innermost first.
pub(crate) fn trace(m: &LirModule, st: &State) -> Vec<TraceFrame> {
    st.frames
        .iter()
        .rev()
        .flat_map(|f| {
            let cell = &m.cells[f.cell as usize];
            // The executing op is the one before `ip`; it remembers its LIR instruction.
            // SAFETY: both pointers point into the same op vector.
            let index = unsafe { f.ip.offset_from(f.ops) }.max(1) as usize - 1;
            let lir = st.codes.get(f.cell as usize).and_then(|c| c.lir.get(index));
            TraceFrame::at(cell, lir.map_or(usize::MAX, |&i| i as usize))
        })
        .collect()
}

/// The internal error of a function value naming no cell of the module (function values
/// may come from an embedder).
#[cold]
pub(crate) fn no_cell(id: CellId) -> RtError {
    RtError::Internal(format!("no cell {id}"))
}

/// The internal error of a call giving `cell` other than its parameters and captures.
#[cold]
pub(crate) fn wrong_count(cell: &lumen_core::lir::Cell) -> RtError {
    RtError::Internal(format!(
        "{} called with the wrong number of values",
        cell.name
    ))
}

/// An internal error for a register holding the wrong kind of value.
#[cold]
pub(crate) fn bad_tag(want: &str, got: &Value) -> RtError {
    bad_kind(want, kind(got))
}

/// The internal error of a register holding a value of kind `found` where one of kind
/// `want` belongs.
pub(crate) fn bad_kind(want: &str, found: &str) -> RtError {
    RtError::Internal(format!("expected {want} in register, found {found}"))
}

/// Short kind name of a value for internal error messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    kind_of_tag(lumen_core::value::tag_of(v))
}

/// Short kind name of the values with tag byte `tag` (`lumen_core::value::TAG_*`).
pub(crate) fn kind_of_tag(tag: u8) -> &'static str {
    use lumen_core::value::*;
    match tag {
        TAG_NULL => "Null",
        TAG_BOOL => "Bool",
        TAG_INT => "Int",
        TAG_FLOAT => "Float",
        TAG_STR => "String",
        TAG_LIST => "list",
        TAG_TUPLE => "tuple",
        TAG_MAP => "map",
        TAG_RECORD => "record",
        TAG_VARIANT => "enum",
        TAG_OK | TAG_ERR => "result",
        TAG_FN => "fn",
        _ => "an invalid value",
    }
}

mod code;
mod exec;
pub(crate) mod slow;
mod tiering;

#[cfg(test)]
mod tests;
