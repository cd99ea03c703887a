//! LIR → Cranelift IR for one cell (`docs/jit.md`).
//!
//! Scalar registers (`Int`, `Float`, `Bool`) are Cranelift variables, so SSA
//! construction keeps them in machine registers; every other register lives in a slot
//! of the frame's slot area (a register window laid out like the VM's). Scalar
//! arithmetic, compares, branches, direct calls and type tests are inline machine code;
//! element reads and writes, list lengths and appends have an inline fast path;
//! every other operation calls its own runtime helper (`lumen_rt::native::op_helper`
//! names it and decodes the instruction's operands, which are passed as immediates),
//! which runs the VM's implementation of that operation on the slots (scalar operands
//! are stored into their slots first, a scalar result is loaded back). No instruction is
//! looked up or dispatched at run time.

use crate::divide::{Fix, Magic};
use crate::early_return::{EarlyReturn, Operand, early_return};
use crate::emit::{Emitter, flags, scalar_tag};
use crate::jit::HUGE_CELL;
use crate::ranges::{Bounds, Compare, Ranges};
use crate::reduce::{Reduction, reductions};
use crate::types::{
    FAILED, PTR, param_regs, returns_failed, returns_words, scalar_type, takes_hargs,
};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, Block, BlockArg, InstBuilder, SigRef, Signature, StackSlot, StackSlotData,
    StackSlotKind, Type, Value as Val, types,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use cranelift_module::Module;
use lumen_core::builtins::Builtin;
use lumen_core::flow;
use lumen_core::lir::{Cell, CmpOp, Instr, LirModule, Reg, RegTy, TypeTest};
use lumen_core::value::{
    CellId, TAG_BOOL, TAG_ERR, TAG_FLOAT, TAG_FN, TAG_INT, TAG_LIST, TAG_MAP, TAG_NULL, TAG_OK,
    TAG_RECORD, TAG_STR, TAG_TUPLE, TAG_VARIANT, VALUE_PAYLOAD_OFFSET, VALUE_SIZE,
};
use lumen_rt::native::abi::{
    NO_FRAME, RAISE_DIVISION_BY_ZERO, RAISE_INTEGER_OVERFLOW, RAISE_READ_FAULT,
    RAISE_STACK_OVERFLOW, READ_FIELD, READ_LIST_ELEMENT, READ_LIST_LEN, READ_PAYLOAD, READ_TUPLE,
    READ_VARIANT_TAG,
};
use lumen_rt::native::layout::VecLayout;
use lumen_rt::native::{
    CALLEE_PARAMS_OFFSET, CALLEE_SIZE, CTX_CALLEE_COUNT_OFFSET, CTX_CALLEES_OFFSET,
    CTX_CONSTS_OFFSET, CTX_FAIL_KIND_OFFSET, CTX_FAIL_PC_OFFSET, CTX_FAULT_IDX_OFFSET,
    CTX_FAULT_OBJ_OFFSET, OpHelper, op_helper,
};
use lumen_rt::vm::MAX_CALLS;
use std::collections::{HashMap, HashSet};

/// Translates cell `id` of `m` into the function being built by `e` (whose signature
/// must be `types::cell_signature` of the cell).
pub fn translate_cell<M: Module>(e: &mut Emitter<'_, '_, M>, m: &LirModule, id: CellId) {
    translate(e, m, id, Start::Call);
}

/// Translates cell `id` as a VM entry of its own into the function being built by `e`,
/// whose signature must be `types::entry_signature`: `fn(ctx, args, ret)`, as its entry
/// trampoline (`emit::build_entry`) would be, but with the cell's code inline — one
/// function instead of two for a cell that native code does not call directly. Scalar
/// arguments are unboxed from `args` (the VM checked their kinds), heap ones moved out of
/// it, and the result is stored into `*ret`.
pub fn translate_entry_cell<M: Module>(e: &mut Emitter<'_, '_, M>, m: &LirModule, id: CellId) {
    translate(e, m, id, Start::Entry);
}

/// Translates the on-stack-replacement entry of cell `id` at instruction `pc` (a loop
/// header) into the function being built by `e`, whose signature must be
/// `types::entry_signature`: `fn(ctx, window, ret)`. It takes over a VM frame: every
/// register is loaded from `window` (scalars unboxed — a register the VM has not written
/// yet reads as 0 — and heap values moved, leaving null), execution continues at `pc`,
/// and the result is stored into `*ret`.
pub fn translate_osr<M: Module>(e: &mut Emitter<'_, '_, M>, m: &LirModule, id: CellId, pc: u32) {
    translate(e, m, id, Start::Osr(pc));
}

fn translate<M: Module>(e: &mut Emitter<'_, '_, M>, m: &LirModule, id: CellId, start: Start) {
    let cell = &m.cells[id as usize];
    let mut t = Translator::new(e, m, id, cell, start);
    // Before the prologue: an OSR entry enters its loops there.
    t.analyse_loops();
    t.prologue();
    t.body();
    t.finish();
}

/// How a translated function is entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// Called by native code: `types::cell_signature`, scalars in registers.
    Call,
    /// Called by the VM at the cell's start: `types::entry_signature`.
    Entry,
    /// Entered from a VM frame at this loop header: `types::entry_signature`.
    Osr(u32),
}

impl Start {
    fn osr(self) -> Option<u32> {
        match self {
            Start::Osr(pc) => Some(pc),
            _ => None,
        }
    }
}

/// True when instruction `ins` of a cell works on the slots: through its per-operation
/// helper (`op_helper`), or, for `StrCmp`/`Eq`/`Ne`, a value-level helper.
fn goes_generic(ins: &Instr) -> bool {
    op_helper(ins).is_some()
        || matches!(
            ins,
            Instr::StrCmp { .. } | Instr::Eq { .. } | Instr::Ne { .. }
        )
}

/// True when the cell needs a slot area: it has a non-scalar register, runs an
/// instruction through the slots, or passes or receives non-scalar values in calls.
pub fn needs_slots(m: &LirModule, cell: &Cell) -> bool {
    cell.regs.iter().any(|t| !t.is_scalar())
        || scalar_type(cell.ret).is_none()
        || cell.code.iter().any(|ins| match *ins {
            Instr::Call { cell: c, .. } => {
                let callee = &m.cells[c as usize];
                returns_words(callee) || param_regs(callee).any(|r| !callee.regs[r].is_scalar())
            }
            Instr::CallBuiltin {
                builtin,
                dst,
                args,
                argc,
            } => !inline_builtin(cell, builtin, dst, args, argc),
            ref other => goes_generic(other),
        })
}

/// Whether native code computes `CallBuiltin` of `b` on `args..args + argc` into `dst`
/// without the generic builtin call: the numeric builtins, on arguments all of the Int
/// or Float type the builtin takes, which is also its result's (a scalar `dst` has it,
/// another is boxed). Most are one or a few machine instructions, computed exactly as
/// the runtime's functions (`lumen-rt/src/builtins/math.rs`) compute them — with the
/// same operand order in the comparisons, so NaN operands give the same result; the
/// library ones (`round`, `exp`, `log`, `sin`, `cos`, `tan`, `atan2`, `pow`) call the
/// runtime's function for that builtin directly on the Floats
/// (`lumen_rt_float_unary`/`_binary`).
fn inline_builtin(cell: &Cell, b: Builtin, dst: Reg, args: Reg, argc: u32) -> bool {
    use Builtin as B;
    let t = match (b, argc) {
        (B::Sqrt | B::AbsFloat | B::Floor | B::Ceil, 1)
        | (B::Round | B::Exp | B::Log | B::Sin | B::Cos | B::Tan, 1)
        | (B::MinFloat | B::MaxFloat | B::Atan2 | B::PowFloat, 2)
        | (B::ClampFloat, 3) => RegTy::Float,
        (B::AbsInt, 1) | (B::MinInt | B::MaxInt, 2) | (B::ClampInt, 3) => RegTy::Int,
        _ => return false,
    };
    let ty = |r: Reg| cell.regs.get(r as usize).copied();
    (args..args + argc).all(|r| ty(r) == Some(t))
        && ty(dst).is_some_and(|d| !d.is_scalar() || d == t)
}

fn int_cc(op: CmpOp) -> IntCC {
    match op {
        CmpOp::Eq => IntCC::Equal,
        CmpOp::Ne => IntCC::NotEqual,
        CmpOp::Lt => IntCC::SignedLessThan,
        CmpOp::Le => IntCC::SignedLessThanOrEqual,
        CmpOp::Gt => IntCC::SignedGreaterThan,
        CmpOp::Ge => IntCC::SignedGreaterThanOrEqual,
    }
}

/// Float comparisons as IEEE 754 defines them (`!=` is true when either side is NaN).
fn float_cc(op: CmpOp) -> FloatCC {
    match op {
        CmpOp::Eq => FloatCC::Equal,
        CmpOp::Ne => FloatCC::NotEqual,
        CmpOp::Lt => FloatCC::LessThan,
        CmpOp::Le => FloatCC::LessThanOrEqual,
        CmpOp::Gt => FloatCC::GreaterThan,
        CmpOp::Ge => FloatCC::GreaterThanOrEqual,
    }
}

/// Function values with at most this many captures are called inline by native
/// `CallValue` (their captures copied after the arguments); others through the helper.
const INLINE_CAPTURES: u32 = 2;

struct Translator<'t, 'a, 'b, M: Module> {
    e: &'t mut Emitter<'a, 'b, M>,
    m: &'t LirModule,
    id: CellId,
    cell: &'t Cell,
    vars: Vec<Option<Variable>>,
    slot: Option<StackSlot>,
    /// Address of slot 0 (defined in the entry block).
    window: Option<Val>,
    /// In an entry, the caller's pinned register, restored before every return
    /// ([`Self::restore_pin`]).
    saved_pin: Option<Val>,
    /// The slots heap arguments are moved from (a call's `hargs`, an entry's `args`, an
    /// OSR entry's VM window); `None` in a cell called with scalars only.
    hargs: Option<Val>,
    /// Block starting at each instruction that begins one.
    blocks: Vec<Option<Block>>,
    /// Shared error exit (the failing pc and raise kind are in the context).
    fail: Option<Block>,
    /// Failed unboxing checks to emit: (block, register, wanted type, pc).
    bad_tags: Vec<(Block, Reg, RegTy, u32)>,
    ret_tys: Vec<Type>,
    /// How the function is entered.
    start: Start,
    /// The exit block shared by every return of a cell with slots ([`Self::leave_with`]).
    exit: Option<Block>,
    /// Where a function the VM enters stores its result.
    ret_ptr: Option<Val>,
    /// Active calls including this one (set by the prologue; passed to callees).
    depth: Option<Val>,
    /// The entry block (function parameters).
    entry: Block,
    /// Cache variables of object registers accessed by the inline fast paths.
    obj_vars: HashMap<(Reg, Obj), ObjVars>,
    /// Object registers whose cache variables hold their current facts here (with
    /// whether the object is known to be unique); cleared at every block start.
    known: HashMap<(Reg, Obj), bool>,
    /// Object registers of `known` whose length variable holds their length here too
    /// (loaded on first need: a read proven in bounds needs none).
    len_known: HashSet<(Reg, Obj)>,
    /// Elements of objects of `known` an earlier access in this block checked in bounds
    /// (or that the optimiser proved in bounds): a later access there needs no check.
    /// No index is negative and an object's length changes only when its register is
    /// written, so the fact lasts as long as both registers keep their values.
    in_bounds: HashSet<(Reg, Obj, Index)>,
    /// List registers of `known` whose facts were established on the way into a loop
    /// without knowing they hold a list (they may have the empty shape of
    /// [`Translator::no_list`]): a read or write checks the bounds against length 0 and
    /// fails to its slow path, but `ListLen` must check the kind first.
    assumed: HashSet<Reg>,
    /// [`Self::assumed`] on the forward edges to each block start (a union).
    edge_assumed: HashMap<u32, HashSet<Reg>>,
    /// For each block start (pc) reached by forward edges translated so far: the facts
    /// known on every one of them (intersected; uniqueness only where all agree).
    edge_known: HashMap<u32, HashMap<(Reg, Obj), bool>>,
    /// For each loop header: the registers whose facts its loop may invalidate, when it
    /// is entered at the header only (`None`: all facts end) ([`Self::analyse_loops`]).
    /// The complement survives: kept as the touched set, whose size is the loop's, not
    /// the cell's (a cell of thousands of loops would otherwise cost loops × registers).
    touched_at: HashMap<u32, Option<HashSet<Reg>>>,
    /// The loops whose list facts are established on the way in
    /// ([`Translator::analyse_loops`]).
    loops: Vec<Loop>,
    /// Edges that enter a loop from a conditional jump: blocks to fill after the jump
    /// (establishing the loop's list facts), with the edge's source and target.
    pending: Vec<(Block, Option<u32>, u32, EntryLists)>,
    /// Where a list register's facts point when it holds no list when a loop is
    /// entered: an empty, shared list shape (every access then takes its slow path),
    /// made by the prologue of a function with such loops.
    no_list: Option<StackSlot>,
    /// Int comparisons known to hold on entry to each block (see [`Ranges`]).
    ranges: Ranges,
    /// Comparisons known to hold at the current instruction.
    holds: Vec<Compare>,
    /// Intervals of Int registers written earlier in the current block.
    bounds: Bounds,
    /// The entry signature, once a `CallValue` needed it ([`Self::entry_sig`]).
    entry_sig: Option<SigRef>,
    /// The loops' reduced products ([`crate::reduce`]), each with the variables of its
    /// running product and of its overflow flag.
    reduced: Vec<(Reduction, Variable, Variable)>,
}

impl<'t, 'a, 'b, M: Module> Translator<'t, 'a, 'b, M> {
    fn new(
        e: &'t mut Emitter<'a, 'b, M>,
        m: &'t LirModule,
        id: CellId,
        cell: &'t Cell,
        start: Start,
    ) -> Self {
        let osr = start.osr();
        let vars = cell
            .regs
            .iter()
            .map(|&t| scalar_type(t).map(|ty| e.b.declare_var(ty)))
            .collect();
        let slot = needs_slots(m, cell).then(|| {
            let size = (cell.regs.len().max(1) * VALUE_SIZE) as u32;
            e.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, size, 4))
        });
        let n = cell.code.len();
        let mut starts = vec![false; n + 1];
        for (pc, ins) in cell.code.iter().enumerate() {
            if let Some(t) = ins.jump_target() {
                starts[t as usize] = true;
                starts[pc + 1] = true;
            }
            if ins.ends_flow() {
                starts[pc + 1] = true;
            }
        }
        if let Some(pc) = osr {
            starts[pc as usize] = true;
        }
        let ranges = Ranges::of(cell);
        let blocks = (0..n)
            .map(|pc| starts[pc].then(|| e.b.create_block()))
            .collect();
        let ret_tys = if start != Start::Call {
            Vec::new()
        } else {
            crate::types::cell_signature(cell, e.cx.cc)
                .returns
                .iter()
                .map(|p| p.value_type)
                .collect()
        };
        let entry = e.b.create_block();
        e.b.append_block_params_for_function_params(entry);
        e.b.switch_to_block(entry);
        let params = e.b.block_params(entry).to_vec();
        let saved_pin = (start != Start::Call).then(|| e.pin(params[0]));
        Translator {
            e,
            m,
            id,
            cell,
            vars,
            slot,
            window: None,
            saved_pin,
            hargs: match start {
                Start::Call => takes_hargs(cell).then(|| params[0]),
                Start::Entry | Start::Osr(_) => Some(params[1]),
            },
            blocks,
            fail: None,
            bad_tags: Vec::new(),
            ret_tys,
            start,
            exit: None,
            ret_ptr: (start != Start::Call).then(|| params[2]),
            depth: None,
            entry,
            obj_vars: HashMap::new(),
            known: HashMap::new(),
            len_known: HashSet::new(),
            in_bounds: HashSet::new(),
            assumed: HashSet::new(),
            edge_assumed: HashMap::new(),
            edge_known: HashMap::new(),
            touched_at: HashMap::new(),
            reduced: Vec::new(),
            loops: Vec::new(),
            pending: Vec::new(),
            no_list: None,
            ranges,
            holds: Vec::new(),
            bounds: HashMap::new(),
            entry_sig: None,
        }
    }

    // ---- registers

    fn ty(&self, r: Reg) -> RegTy {
        self.cell.regs[r as usize]
    }

    fn scalar(&self, r: Reg) -> bool {
        self.vars[r as usize].is_some()
    }

    fn get(&mut self, r: Reg) -> Val {
        let v = self.vars[r as usize].expect("scalar register");
        self.e.b.use_var(v)
    }

    fn off(r: Reg) -> i32 {
        (r as usize * VALUE_SIZE) as i32
    }

    fn window(&self) -> Val {
        self.window.expect("cell has slots")
    }

    fn addr(&mut self, r: Reg) -> Val {
        let w = self.window();
        self.e.b.ins().iadd_imm_s(w, Self::off(r) as i64)
    }

    fn slot_tag(&mut self, r: Reg) -> Val {
        let w = self.window();
        self.e.tag_at(w, Self::off(r))
    }

    /// Frees what the slot of non-scalar register `r` holds before a raw overwrite.
    fn drop_old(&mut self, r: Reg) {
        if self.ty(r) == RegTy::Null {
            return;
        }
        let w = self.window();
        self.e.release(w, Self::off(r));
    }

    /// Moves the value of non-scalar register `src` into `dst` (releasing `dst`'s).
    fn move_reg(&mut self, dst: Reg, src: Reg) {
        self.drop_old(dst);
        let w = self.window();
        self.e.move_value(w, Self::off(src), w, Self::off(dst));
    }

    /// `r = v` where `v` has scalar type `t`: a variable, or boxed into `r`'s slot.
    fn put(&mut self, r: Reg, t: RegTy, v: Val) {
        if let Some(var) = self.vars[r as usize] {
            self.e.b.def_var(var, v);
        } else {
            self.drop_old(r);
            let w = self.window();
            self.e.box_at(t, v, w, Self::off(r));
        }
    }

    /// Uses scalar register `r` where the code is: its payload is stored into its slot
    /// (which nothing reads: a helper reading the slot has it spilled first), so that
    /// Cranelift computes the value here, once, and not in each later block using it.
    fn anchor(&mut self, r: Reg) {
        if self.scalar(r) && self.slot.is_some() {
            let v = self.get(r);
            let (t, w) = (self.ty(r), self.window());
            self.e.payload_store(t, v, w, Self::off(r));
        }
    }

    /// Stores scalar register `r` into its slot (for a helper reading the window).
    fn spill(&mut self, r: Reg) {
        if self.scalar(r) && self.slot.is_some() {
            let v = self.get(r);
            let (t, w) = (self.ty(r), self.window());
            self.e.box_at(t, v, w, Self::off(r));
        }
    }

    /// The scalar of type `t` in the slot of `r` (a wrong kind fails at `pc`).
    fn unbox(&mut self, r: Reg, t: RegTy, pc: u32) -> Val {
        let bad = self.e.b.create_block();
        self.e.b.set_cold_block(bad);
        let w = self.window();
        self.e.check_tag(t, w, Self::off(r), bad);
        // The failure block is filled at the end (the current block is still open).
        self.bad_tags.push((bad, r, t, pc));
        self.e.payload_at(t, w, Self::off(r))
    }

    /// Loads scalar register `r` back from its slot after a helper wrote it.
    fn reload(&mut self, r: Reg, pc: u32) {
        if let Some(var) = self.vars[r as usize] {
            let v = self.unbox(r, self.ty(r), pc);
            self.e.b.def_var(var, v);
        }
    }

    // ---- errors and exits

    fn fail_block(&mut self) -> Block {
        if let Some(b) = self.fail {
            return b;
        }
        let b = self.e.b.create_block();
        self.e.b.set_cold_block(b);
        self.fail = Some(b);
        b
    }

    /// Leaves through the failure path with the error already pending.
    fn jump_fail(&mut self, pc: u32) {
        self.jump_raise(pc, 0);
    }

    /// Leaves through the failure path raising `kind` (0: the pending error). The pc
    /// and kind are adjacent in the context: one 64-bit store of a constant sets both,
    /// two fewer instructions to compile at every failure site.
    fn jump_raise(&mut self, pc: u32, kind: u32) {
        const _: () = assert!(CTX_FAIL_KIND_OFFSET == CTX_FAIL_PC_OFFSET + 4);
        let fail = self.fail_block();
        let both = self
            .e
            .b
            .ins()
            .iconst(types::I64, ((kind as i64) << 32) | pc as i64);
        let ctx = self.e.ctx();
        self.e.b.ins().store(flags(), both, ctx, CTX_FAIL_PC_OFFSET);
        self.e.b.ins().jump(fail, &[]);
    }

    /// [`Self::jump_raise`] with a computed raise kind (i32). The pc and kind go into
    /// the context, not to the failure block as arguments: every failure site would
    /// then share one register bundle, which the register allocator kept live (and
    /// moved about) across whole loops.
    fn jump_raise_with(&mut self, pc: u32, kind: Val) {
        let fail = self.fail_block();
        let (ctx, pc) = (self.e.ctx(), self.e.i32(pc));
        self.e.b.ins().store(flags(), pc, ctx, CTX_FAIL_PC_OFFSET);
        self.e
            .b
            .ins()
            .store(flags(), kind, ctx, CTX_FAIL_KIND_OFFSET);
        self.e.b.ins().jump(fail, &[]);
    }

    /// Continues only when no error is pending (after a call or a fallible helper).
    fn check_err(&mut self, pc: u32) {
        let err = self.e.load_err();
        // A compare with the load folded in, and the failing pc set on the cold path
        // (as a block argument of the branch it would be materialised on the hot one).
        let failed = self.e.b.ins().icmp_imm_s(IntCC::NotEqual, err, 0);
        self.fail_if(failed, pc);
    }

    /// Leaves through the failure path, the error already pending, when `cond` holds.
    fn fail_if(&mut self, cond: Val, pc: u32) {
        self.raise_if(cond, 0, pc);
    }

    /// Raises error `kind` at `pc` when `cond` holds (0: the pending error).
    fn raise_if(&mut self, cond: Val, kind: u32, pc: u32) {
        let raise = self.e.b.create_block();
        let cont = self.e.b.create_block();
        self.e.b.set_cold_block(raise);
        self.e.b.ins().brif(cond, raise, &[], cont, &[]);
        self.e.b.switch_to_block(raise);
        self.jump_raise(pc, kind);
        self.e.b.switch_to_block(cont);
    }

    /// Frees the slots and returns `vals` (every exit): in a cell with slots, through
    /// one exit block shared by all its returns and its failure path, so the helper
    /// freeing the slots is called from one place (each call site costs compile time).
    fn leave_with(&mut self, vals: &[Val]) {
        if self.slot.is_none() {
            self.restore_pin();
            self.e.b.ins().return_(vals);
            return;
        }
        let exit = match self.exit {
            Some(b) => b,
            None => {
                let b = self.e.b.create_block();
                for &t in &self.ret_tys {
                    self.e.b.append_block_param(b, t);
                }
                self.exit = Some(b);
                b
            }
        };
        let args: Vec<BlockArg> = vals.iter().map(|&v| v.into()).collect();
        self.e.b.ins().jump(exit, &args);
    }

    /// Fills the shared exit block ([`Self::leave_with`]).
    fn finish_exit(&mut self) {
        let Some(exit) = self.exit else {
            return;
        };
        self.e.b.switch_to_block(exit);
        let vals = self.e.b.block_params(exit).to_vec();
        let w = self.window();
        let n = self.e.i32(self.cell.regs.len() as u32);
        self.e.helper("lumen_rt_drop_slots", &[w, n]);
        self.restore_pin();
        self.e.b.ins().return_(&vals);
    }

    /// In an entry, gives the pinned register back its caller's value.
    fn restore_pin(&mut self) {
        if let Some(s) = self.saved_pin {
            self.e.unpin(s);
        }
    }

    /// The slots heap arguments are moved from (the field `hargs`).
    fn hargs(&self) -> Val {
        self.hargs
            .expect("only a cell with heap parameters reads hargs")
    }

    /// Leaves a failed call: zeros for the result, and for a cell called natively the
    /// [`FAILED`] flag set.
    fn return_zeros(&mut self) {
        let tys = self.ret_tys.clone();
        let mut z = self.e.zeros(&tys);
        if let Some(flag) = z.last_mut()
            && self.start == Start::Call
            && returns_failed(self.cell)
        {
            *flag = self.e.b.ins().iconst(FAILED, 1);
        }
        self.leave_with(&z);
    }

    // ---- structure

    fn prologue(&mut self) {
        let entry = self.entry;
        // Active calls below this one: a parameter, or the context's when the VM enters.
        let d = match self.start {
            Start::Call => self.e.b.block_params(entry)[takes_hargs(self.cell) as usize],
            Start::Entry | Start::Osr(_) => self.e.load_depth(),
        };
        // The slots are cleared first: the overflow leaves through the shared failure
        // path, which frees them (one helper call per function for every error).
        if let Some(slot) = self.slot {
            let w = self.e.b.ins().stack_addr(PTR, slot, 0);
            self.window = Some(w);
            let zero = self.e.b.ins().iconst(types::I8, TAG_NULL as i64);
            for r in 0..self.cell.regs.len() as u32 {
                self.e.b.ins().store(flags(), zero, w, Self::off(r));
            }
        }
        if !self.loops.is_empty() {
            self.make_no_list();
        }
        let over =
            self.e
                .b
                .ins()
                .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, d, MAX_CALLS as i64);
        let overflow = self.e.b.create_block();
        let ok = self.e.b.create_block();
        self.e.b.set_cold_block(overflow);
        self.e.b.ins().brif(over, overflow, &[], ok, &[]);
        // The caller records its frame (the failing call), as in the VM.
        self.e.b.switch_to_block(overflow);
        self.jump_raise(NO_FRAME, RAISE_STACK_OVERFLOW);
        self.e.b.switch_to_block(ok);
        self.depth = Some(self.e.b.ins().iadd_imm_s(d, 1));
        if let Start::Osr(pc) = self.start {
            self.load_window();
            let landing = osr_landing(self.cell, pc);
            let b = self.edge_to(None, landing, true);
            self.e.b.ins().jump(b, &[]);
            return;
        }
        let params = match self.start {
            // A VM entry: the scalar arguments are in `args` (`hargs`).
            Start::Entry => self.e.unbox_params(self.cell, self.hargs()),
            _ => self.e.b.block_params(entry)[takes_hargs(self.cell) as usize + 1..].to_vec(),
        };
        let mut next = 0;
        for r in param_regs(self.cell) {
            let r = r as Reg;
            if let Some(var) = self.vars[r as usize] {
                self.e.b.def_var(var, params[next]);
                next += 1;
            } else {
                // Take (move) the argument from the caller's slot.
                let (h, w) = (self.hargs(), self.window());
                let o = Self::off(r);
                self.e.move_value(h, o, w, o);
            }
        }
    }

    /// OSR: takes every register over from the VM window (`hargs`).
    fn load_window(&mut self) {
        let h = self.hargs();
        for r in 0..self.cell.regs.len() as Reg {
            let o = Self::off(r);
            if let Some(var) = self.vars[r as usize] {
                // A constant register: the VM ran the cell's straight-line start, which
                // wrote it, before reaching any loop header. Known as a constant, it
                // lets Cranelift divide by it without `idiv` (loop_sum's `% 7`).
                let k = match self.ty(r) {
                    RegTy::Int => self
                        .ranges
                        .constant(r)
                        .map(|k| self.e.b.ins().iconst(types::I64, k)),
                    RegTy::Float => self
                        .ranges
                        .float_constant(r)
                        .map(|k| self.e.b.ins().f64const(k)),
                    _ => None,
                };
                if let Some(k) = k {
                    self.e.b.def_var(var, k);
                    continue;
                }
                let t = self.ty(r);
                let tag = self.e.tag_at(h, o);
                let ok = self
                    .e
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, tag, scalar_tag(t) as i64);
                let v = self.e.payload_at(t, h, o);
                let zero = match t {
                    RegTy::Float => self.e.b.ins().f64const(0.0),
                    RegTy::Bool => self.e.b.ins().iconst(types::I8, 0),
                    _ => self.e.b.ins().iconst(types::I64, 0),
                };
                let v = self.e.b.ins().select(ok, v, zero);
                self.e.b.def_var(var, v);
            } else {
                let w = self.window();
                self.e.move_value(h, o, w, o);
            }
        }
    }

    fn body(&mut self) {
        // An OSR entry's prologue already jumped to its loop header.
        let mut terminated = self.start.osr().is_some();
        for pc in 0..self.cell.code.len() {
            if self.blocks[pc].is_some() {
                if !terminated {
                    let b = self.edge_to((pc as u32).checked_sub(1), pc as u32, true);
                    self.e.b.ins().jump(b, &[]);
                }
                self.enter_block(pc as u32);
                self.holds = self.ranges.entry(pc);
                self.bounds.clear();
            } else if terminated {
                continue; // unreachable
            }
            let ins = &self.cell.code[pc];
            let after = (self.ranges).interval_once_done(&self.bounds, &self.holds, ins);
            terminated = self.instr(pc as u32);
            self.step_products(pc as u32);
            block_facts_after(
                &self.cell.code[pc],
                after,
                &mut self.holds,
                &mut self.bounds,
            );
        }
    }

    fn finish(&mut self) {
        for (bad, r, t, pc) in std::mem::take(&mut self.bad_tags) {
            self.e.b.switch_to_block(bad);
            let found = self.slot_tag(r);
            let kind = self.e.bad_tag_kind(scalar_tag(t), found);
            self.jump_raise_with(pc, kind);
        }
        if let Some(fail) = self.fail {
            self.e.b.switch_to_block(fail);
            let ctx = self.e.ctx();
            let pc = self
                .e
                .b
                .ins()
                .load(types::I32, flags(), ctx, CTX_FAIL_PC_OFFSET);
            let kind = self
                .e
                .b
                .ins()
                .load(types::I32, flags(), ctx, CTX_FAIL_KIND_OFFSET);
            let id = self.id;
            let cell = self.e.i32(id);
            self.e.helper("lumen_rt_push_frame", &[ctx, cell, pc, kind]);
            // (`return_zeros` leaves through the shared exit.)
            self.return_zeros();
        }
        self.finish_exit();
        self.e.b.seal_all_blocks();
    }

    /// `(op, a, b, head)` when the forward jump at `pc` goes to a rotated loop's
    /// condition: an Int compare-and-jump back to the loop's first instruction `head`
    /// (it cannot fail and has no effect, so the jump may evaluate it on the way).
    fn loop_condition(&self, pc: u32, target: u32) -> Option<(CmpOp, Reg, Reg, u32)> {
        match *self.cell.code.get(target as usize)? {
            Instr::JumpIfIntCmp {
                op,
                a,
                b,
                target: head,
            } if pc < target && head < target => Some((op, a, b, head)),
            _ => None,
        }
    }

    /// From instruction `from`: to `taken` when `a op b`, else to `next`.
    fn int_branch(&mut self, from: u32, op: CmpOp, a: Reg, b: Reg, taken: u32, next: u32) {
        let (x, y) = (self.get(a), self.get(b));
        let c = self.e.b.ins().icmp(int_cc(op), x, y);
        let t = self.edge_to(Some(from), taken, false);
        let f = self.edge_to(Some(from), next, false);
        self.e.b.ins().brif(c, t, &[], f, &[]);
        self.fill_edges();
    }

    fn block(&self, pc: u32) -> Block {
        self.blocks[pc as usize].expect("block at jump target")
    }

    /// The block to jump to from instruction `from` (`None`: the prologue) to the block
    /// starting at `target`. A forward edge records the facts known on it (see
    /// [`Self::enter_block`]). An edge entering a loop establishes the facts of the
    /// loop's lists ([`Self::analyse_loops`]) that are not known yet: here, before the
    /// jump, when `inline`, else in a block of its own filled by [`Self::fill_edges`].
    fn edge_to(&mut self, from: Option<u32>, target: u32, inline: bool) -> Block {
        let lists = self.entering(from, target);
        let reduces = self
            .reduced
            .iter()
            .any(|(r, ..)| r.entered_by(from, target));
        if lists.is_empty() && !reduces {
            self.note_edge(from, target);
            return self.block(target);
        }
        if inline {
            self.establish(&lists);
            self.start_products(from, target);
            self.note_edge(from, target);
            return self.block(target);
        }
        let b = self.e.b.create_block();
        self.pending.push((b, from, target, lists));
        b
    }

    /// The (taken, not taken) blocks of the conditional jump at `pc` to `target`.
    fn branch_edges(&mut self, pc: u32, target: u32) -> (Block, Block) {
        let t = self.edge_to(Some(pc), target, false);
        let f = self.edge_to(Some(pc), pc + 1, false);
        (t, f)
    }

    /// Fills the blocks of the loop-entering edges of the conditional jump just
    /// emitted: each establishes its lists' facts and goes on to its target.
    fn fill_edges(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let (at_jump, assumed) = (self.known.clone(), self.assumed.clone());
        for (b, from, target, lists) in std::mem::take(&mut self.pending) {
            self.known = at_jump.clone();
            self.assumed = assumed.clone();
            self.len_known.clear();
            self.in_bounds.clear();
            self.e.b.switch_to_block(b);
            self.establish(&lists);
            self.start_products(from, target);
            self.note_edge(from, target);
            let t = self.block(target);
            self.e.b.ins().jump(t, &[]);
        }
    }

    /// Records the facts known on a forward edge to the block at `target`.
    fn note_edge(&mut self, from: Option<u32>, target: u32) {
        if from.is_some_and(|f| target <= f) {
            return;
        }
        self.edge_assumed
            .entry(target)
            .or_default()
            .extend(self.assumed.iter().copied());
        let known = &self.known;
        self.edge_known
            .entry(target)
            .and_modify(|k| {
                k.retain(|key, unique| match known.get(key) {
                    Some(&u) => {
                        *unique &= u;
                        true
                    }
                    None => false,
                })
            })
            .or_insert_with(|| known.clone());
    }

    /// The list registers whose facts an edge from `from` to `target` must establish:
    /// those of every loop it enters (from outside the loop's instructions) not known,
    /// and those such a loop writes not known unique; each with whether a loop it
    /// enters writes it.
    fn entering(&self, from: Option<u32>, target: u32) -> EntryLists {
        let mut lists = EntryLists::new();
        for l in &self.loops {
            if !l.contains(target) || from.is_some_and(|f| l.contains(f)) {
                continue;
            }
            for &r in &l.lists {
                let written = l.written.contains(&r);
                match self.known.get(&(r, Obj::List)) {
                    None => lists.push((r, written)),
                    Some(false) if written => lists.push((r, true)),
                    Some(_) => {}
                }
            }
        }
        // A register written by one of the loops is unshared for all.
        lists.sort_unstable_by_key(|&(r, w)| (r, !w));
        lists.dedup_by_key(|&mut (r, _)| r);
        lists
    }

    /// Establishes the facts of list registers `lists` here. A register holding no
    /// list gets the shape of [`Self::no_list`]: its accesses then take their slow
    /// paths, which report what the VM reports. A list a loop being entered writes
    /// is made unique first (`lumen_rt_unshare_list`: copied if shared, as its first
    /// write would), so the loop's writes check no sharing: it stays unique, as nothing
    /// in the loop shares it (that would forget its facts, which then would not be
    /// kept through the loop).
    fn establish(&mut self, lists: &[(Reg, bool)]) {
        if lists.is_empty() {
            return;
        }
        let none = self.no_list();
        for &(r, written) in lists {
            let tag = self.slot_tag(r);
            let is_list = self
                .e
                .b
                .ins()
                .icmp_imm_s(IntCC::Equal, tag, TAG_LIST as i64);
            let rc = self.load_rc(r);
            let mut rc = self.e.b.ins().select(is_list, rc, none);
            if written {
                // (The empty shape is shared: the helper then leaves the register be.)
                let at = self.e.cx.list.strong;
                let strong = self.e.b.ins().load(PTR, flags(), rc, at);
                let unique = self.e.b.ins().icmp_imm_s(IntCC::Equal, strong, 1);
                let (shared, cont) = (self.e.b.create_block(), self.e.b.create_block());
                self.e.b.set_cold_block(shared);
                self.e.b.ins().brif(unique, cont, &[rc.into()], shared, &[]);
                self.e.b.switch_to_block(shared);
                let slot = self.addr(r);
                self.e.helper("lumen_rt_unshare_list", &[slot]);
                let fresh = self.load_rc(r);
                let fresh = self.e.b.ins().select(is_list, fresh, none);
                self.e.b.ins().jump(cont, &[fresh.into()]);
                let p = self.e.b.append_block_param(cont, PTR);
                self.e.b.switch_to_block(cont);
                rc = p;
            }
            self.define_facts(r, Obj::List, rc);
            self.known.insert((r, Obj::List), written);
            self.assumed.insert(r);
        }
    }

    /// Finds the loops (the instructions from the target of a backward jump to the
    /// last jump back to it) and, for each, the list registers it reads or writes
    /// through `ListGet`/`ListGetUnchecked`/`ListSet`/`ListLen` and whose facts none of
    /// its instructions may invalidate ([`Self::forgets`]). Every edge entering such a
    /// loop establishes those facts ([`Self::edge_to`]), so they hold in the whole loop
    /// ([`Self::enter_block`]): its iterations skip the kind checks and pointer loads.
    /// Also records, per header, which facts its backward jumps may end (`touched_at`).
    fn analyse_loops(&mut self) {
        let mut loops = Vec::new();
        // Each loop header (the target of a backward jump) and its last jump back.
        let spans = flow::loops(&self.cell.code);
        let landing = self.start.osr().map(|pc| osr_landing(self.cell, pc));
        let jumps = flow::jumps_by_target(&self.cell.code);
        for &(head, end) in &spans {
            let touched = self.touched(head, end);
            let at_head = touched
                .clone()
                .filter(|_| single_entry(&jumps, head, end, landing));
            self.touched_at.insert(head, at_head);
            let Some(touched) = touched else {
                continue;
            };
            let mut lists: Vec<Reg> = self.cell.code[head as usize..=end as usize]
                .iter()
                .filter_map(|ins| match *ins {
                    Instr::ListGet { list, .. }
                    | Instr::ListGetUnchecked { list, .. }
                    | Instr::ListSet { list, .. }
                    | Instr::ListLen { list, .. } => Some(list),
                    _ => None,
                })
                .filter(|&r| self.ty(r) == RegTy::List && !touched.contains(&r))
                .collect();
            lists.sort_unstable();
            lists.dedup();
            let written = lists
                .iter()
                .copied()
                .filter(|&r| {
                    self.cell.code[head as usize..=end as usize]
                        .iter()
                        .any(|ins| matches!(*ins, Instr::ListSet { list, .. } if list == r))
                })
                .collect();
            if !lists.is_empty() {
                loops.push(Loop {
                    head,
                    end,
                    lists,
                    written,
                });
            }
        }
        self.loops = loops;
        // A product proven in range is one plain multiplication (by a constant, often):
        // cheaper than a running value and a flag carried through the loop. A huge cell
        // is compiled quickly (`jit::HUGE_CELL`) and reduces nothing: each reduction
        // adds two variables to the SSA builder, whose tables grow with the cell's blocks.
        let reduced: Vec<Reduction> = if self.cell.code.len() > HUGE_CELL {
            Vec::new()
        } else {
            reductions(self.cell, &spans, &jumps, landing)
                .into_iter()
                .filter(|r| !self.proven_in_range(r.mul))
                .collect()
        };
        self.reduced = reduced
            .into_iter()
            .map(|r| {
                let p = self.e.b.declare_var(types::I64);
                let over = self.e.b.declare_var(types::I8);
                (r, p, over)
            })
            .collect();
    }

    /// Starts the block at `pc`. The facts known there are those known on every way in:
    /// the forward edges (all translated before it), and the backward jumps of a loop,
    /// which keep a fact when nothing in the loop may invalidate it and the loop is
    /// entered at its first instruction only; plus the list facts of the loops it is in
    /// (established on every edge entering them, unique where the loop writes them).
    fn enter_block(&mut self, pc: u32) {
        let b = self.block(pc);
        self.e.b.switch_to_block(b);
        self.known = self.edge_known.remove(&pc).unwrap_or_default();
        self.assumed = self.edge_assumed.remove(&pc).unwrap_or_default();
        self.len_known.clear();
        self.in_bounds.clear();
        let header = self.touched_at.get(&pc);
        match header {
            Some(Some(touched)) => self.known.retain(|&(r, _), _| !touched.contains(&r)),
            Some(None) => self.known.clear(),
            None => {}
        }
        for l in &self.loops {
            if l.contains(pc) {
                for &r in &l.lists {
                    // What the backward jumps bring is not known yet: assumed.
                    if header.is_some() || !self.known.contains_key(&(r, Obj::List)) {
                        self.assumed.insert(r);
                    }
                    // Made unique on every way in, and nothing in the loop shares it.
                    let unique = l.written.contains(&r);
                    *self.known.entry((r, Obj::List)).or_insert(unique) |= unique;
                }
            }
        }
        let known = &self.known;
        self.assumed
            .retain(|&r| known.contains_key(&(r, Obj::List)));
    }

    /// The registers whose facts an instruction of `head..=end` may invalidate; `None`
    /// when one invalidates all.
    fn touched(&self, head: u32, end: u32) -> Option<HashSet<Reg>> {
        let mut forgotten = HashSet::new();
        for ins in &self.cell.code[head as usize..=end as usize] {
            match self.forgets(ins) {
                Forget::All => return None,
                Forget::Regs(rs) => forgotten.extend(rs),
            }
        }
        Some(forgotten)
    }

    /// The address of a stack object shaped like a shared empty list (strong count 2,
    /// no elements), written here: facts pointing to it fail every fast path.
    fn no_list(&mut self) -> Val {
        let slot = self
            .no_list
            .expect("made by the prologue when a loop has lists");
        self.e.b.ins().stack_addr(PTR, slot, 0)
    }

    /// Makes and fills the stack object of [`Self::no_list`] (once, at the function's
    /// start, which every loop entry follows).
    fn make_no_list(&mut self) {
        let l = self.e.cx.list;
        let size = [l.strong, l.items_ptr, l.items_len, l.items_cap]
            .into_iter()
            .max()
            .unwrap_or(0) as u32
            + 8;
        let slot = self.e.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            size,
            3,
        ));
        let a = self.e.b.ins().stack_addr(PTR, slot, 0);
        let two = self.e.b.ins().iconst(PTR, 2);
        let zero = self.e.b.ins().iconst(PTR, 0);
        self.e.b.ins().store(flags(), two, a, l.strong);
        self.e.b.ins().store(flags(), a, a, l.items_ptr);
        self.e.b.ins().store(flags(), zero, a, l.items_len);
        self.e.b.ins().store(flags(), zero, a, l.items_cap);
        self.no_list = Some(slot);
    }

    // ---- instructions

    /// Runs instruction `pc` through its per-operation helper, the operands decoded here
    /// and passed as immediates: `helper(ctx, window, n, operands…)`.
    fn generic(&mut self, pc: u32, ins: &Instr) {
        self.generic_call(pc, ins, false);
    }

    /// [`Self::generic`] on the cold path of an inline operation, which rejoins it: the
    /// helper is called through its register-preserving thunk, so the values live
    /// across the operation stay in registers on the inline path.
    fn generic_cold(&mut self, pc: u32, ins: &Instr) {
        self.generic_call(pc, ins, true);
    }

    fn generic_call(&mut self, pc: u32, ins: &Instr, cold: bool) {
        let Some(h) = op_helper(ins) else {
            // `instr` translates every instruction without a helper itself (tested).
            panic!("no helper runs {ins:?}");
        };
        self.prepare_helper(ins, &h);
        self.call_helper(&h, cold);
        if matches!(ins, Instr::Halt { .. } | Instr::NoMatch) {
            self.jump_fail(pc);
            return;
        }
        self.check_err(pc);
        if let Some(d) = ins.def() {
            self.reload(d, pc);
        }
    }

    /// Before helper `h` runs `ins`: its operands spilled to their slots, and for a call
    /// out (builtins, function values) the calls active here stored in the context.
    fn prepare_helper(&mut self, ins: &Instr, h: &OpHelper) {
        let mut uses = Vec::new();
        ins.for_each_use(&self.m.types, |r| uses.push(r));
        for r in uses {
            self.spill(r);
        }
        if h.calls {
            let depth = self.depth.expect("prologue ran");
            self.e.store_depth(depth);
        }
    }

    /// Calls helper `h` (through its register-preserving thunk when `cold`).
    fn call_helper(&mut self, h: &OpHelper, cold: bool) {
        let (ctx, w) = (self.e.ctx(), self.window());
        let n = self.e.i32(self.cell.regs.len() as u32);
        let mut args = vec![ctx, w, n];
        for &o in &h.operands {
            args.push(self.e.i32(o));
        }
        if cold {
            self.e.helper_preserving(h.name, &args);
        } else {
            self.e.helper(h.name, &args);
        }
    }

    /// `dst = callee(args…)`: a function value whose cell is compiled, takes `argc`
    /// arguments and has at most [`INLINE_CAPTURES`] captures is called through its
    /// entry directly, on this function's context (as `lumen_rt_call_value` would call
    /// it, without the helper). Without captures the entry takes the arguments in their
    /// slots; with some, the arguments are moved and the captures shared into a stack
    /// area after them. The entry moves what it keeps out of its arguments and writes
    /// the result into `dst`'s slot, released just before the call. Anything else (more
    /// captures, a cell not compiled yet, a function value from an embedder that does
    /// not fit) takes the helper. The callee's table row (`Callee`) is read through the
    /// context; its `params` and `captures` words are compared with the call's at once.
    fn call_value(&mut self, pc: u32, ins: &Instr, dst: Reg, callee: Reg, args: Reg, argc: u32) {
        let Some(h) = op_helper(ins) else {
            panic!("no helper runs {ins:?}");
        };
        if (args..args + argc).contains(&dst) {
            // The result slot must own nothing during the call: not an argument's.
            self.generic(pc, ins);
            return;
        }
        self.prepare_helper(ins, &h);
        let (ctx, w) = (self.e.ctx(), self.window());
        let slow = self.e.b.create_block();
        self.e.b.set_cold_block(slow);
        let done = self.e.b.create_block();
        let tag = self.slot_tag(callee);
        let is_fn = self.e.b.ins().icmp_imm_u(IntCC::Equal, tag, TAG_FN as i64);
        self.continue_if(is_fn, slow);
        let clo = self.e.b.ins().load(
            PTR,
            flags(),
            w,
            Self::off(callee) + VALUE_PAYLOAD_OFFSET as i32,
        );
        let captures = self
            .e
            .b
            .ins()
            .load(PTR, flags(), clo, self.e.cx.closure.items_len);
        let few = self.e.b.ins().icmp_imm_u(
            IntCC::UnsignedLessThanOrEqual,
            captures,
            INLINE_CAPTURES as i64,
        );
        self.continue_if(few, slow);
        let cell = self
            .e
            .b
            .ins()
            .load(types::I32, flags(), clo, self.e.cx.closure_cell);
        let count = self
            .e
            .b
            .ins()
            .load(types::I32, flags(), ctx, CTX_CALLEE_COUNT_OFFSET);
        let known = self.e.b.ins().icmp(IntCC::UnsignedLessThan, cell, count);
        self.continue_if(known, slow);
        let table = self.e.b.ins().load(PTR, flags(), ctx, CTX_CALLEES_OFFSET);
        let cell = self.e.b.ins().uextend(PTR, cell);
        let at = self.e.b.ins().imul_imm_s(cell, CALLEE_SIZE as i64);
        let row = self.e.b.ins().iadd(table, at);
        // `params` then `captures` (u32 each), read as one little-endian word.
        let counts = self
            .e
            .b
            .ins()
            .load(types::I64, flags(), row, CALLEE_PARAMS_OFFSET);
        let high = self.e.b.ins().ishl_imm_u(captures, 32);
        let want = self.e.b.ins().iadd_imm_s(high, argc as i64);
        let fits = self.e.b.ins().icmp(IntCC::Equal, counts, want);
        self.continue_if(fits, slow);
        let entry = self.e.b.ins().load(PTR, flags(), row, 0);
        let compiled = self.e.b.ins().icmp_imm_s(IntCC::NotEqual, entry, 0);
        self.continue_if(compiled, slow);
        let call = self.e.b.create_block();
        let argp = self.e.b.append_block_param(call, PTR);
        let copy = self.e.b.create_block();
        let bare = self.e.b.ins().icmp_imm_s(IntCC::Equal, captures, 0);
        let in_place = self.e.b.ins().iadd_imm_s(w, Self::off(args) as i64);
        self.e
            .b
            .ins()
            .brif(bare, call, &[BlockArg::Value(in_place)], copy, &[]);
        // Arguments moved, then the captures shared, into a stack area.
        self.e.b.switch_to_block(copy);
        let size = (argc + INLINE_CAPTURES) * VALUE_SIZE as u32;
        let area = self.e.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            size,
            4,
        ));
        let area = self.e.b.ins().stack_addr(PTR, area, 0);
        for i in 0..argc {
            let to = (i as usize * VALUE_SIZE) as i32;
            self.e.move_value(w, Self::off(args + i), area, to);
        }
        let items = self
            .e
            .b
            .ins()
            .load(PTR, flags(), clo, self.e.cx.closure.items_ptr);
        let null = self.e.b.ins().iconst(types::I8, TAG_NULL as i64);
        for k in 0..INLINE_CAPTURES {
            let to = ((argc + k) as usize * VALUE_SIZE) as i32;
            self.e.b.ins().store(flags(), null, area, to);
        }
        for k in 0..INLINE_CAPTURES {
            if k > 0 {
                let more =
                    self.e
                        .b
                        .ins()
                        .icmp_imm_u(IntCC::UnsignedGreaterThan, captures, k as i64);
                let next = self.e.b.create_block();
                self.e
                    .b
                    .ins()
                    .brif(more, next, &[], call, &[BlockArg::Value(area)]);
                self.e.b.switch_to_block(next);
            }
            let to = self
                .e
                .b
                .ins()
                .iadd_imm_s(area, ((argc + k) as usize * VALUE_SIZE) as i64);
            let from = self
                .e
                .b
                .ins()
                .iadd_imm_s(items, (k as usize * VALUE_SIZE) as i64);
            self.e.share(to, from);
        }
        self.e.b.ins().jump(call, &[BlockArg::Value(area)]);
        self.e.b.switch_to_block(call);
        // After the captures are shared: `dst` may be the callee itself.
        self.drop_old(dst);
        let retp = self.e.b.ins().iadd_imm_s(w, Self::off(dst) as i64);
        let sig = self.entry_sig();
        self.e.b.ins().call_indirect(sig, entry, &[ctx, argp, retp]);
        self.e.b.ins().jump(done, &[]);
        self.e.b.switch_to_block(slow);
        self.call_helper(&h, false);
        self.e.b.ins().jump(done, &[]);
        self.e.b.switch_to_block(done);
        self.check_err(pc);
        self.reload(dst, pc);
    }

    /// `dst = a op b` on Strings (byte-wise): two one-byte strings (characters of ASCII
    /// text against literals like `";"`) are compared inline; others, and operands of
    /// another kind (an internal error), through `lumen_rt_str_cmp`.
    fn str_cmp(&mut self, pc: u32, op: CmpOp, dst: Reg, a: Reg, b: Reg) {
        let w = self.window();
        let slow = self.e.b.create_block();
        self.e.b.set_cold_block(slow);
        let done = self.e.b.create_block();
        let result = self.e.b.append_block_param(done, types::I8);
        let (ta, tb) = (self.slot_tag(a), self.slot_tag(b));
        let sa = self.e.b.ins().icmp_imm_u(IntCC::Equal, ta, TAG_STR as i64);
        let sb = self.e.b.ins().icmp_imm_u(IntCC::Equal, tb, TAG_STR as i64);
        let strings = self.e.b.ins().band(sa, sb);
        self.continue_if(strings, slow);
        let l = self.e.cx.string;
        let payload = VALUE_PAYLOAD_OFFSET as i32;
        let pa = self.e.b.ins().load(PTR, flags(), w, Self::off(a) + payload);
        let pb = self.e.b.ins().load(PTR, flags(), w, Self::off(b) + payload);
        let la = self.e.b.ins().load(PTR, flags(), pa, l.len);
        let lb = self.e.b.ins().load(PTR, flags(), pb, l.len);
        let oa = self.e.b.ins().icmp_imm_u(IntCC::Equal, la, 1);
        let ob = self.e.b.ins().icmp_imm_u(IntCC::Equal, lb, 1);
        let bytes = self.e.b.ins().band(oa, ob);
        self.continue_if(bytes, slow);
        let ba = self.e.b.ins().load(PTR, flags(), pa, l.ptr);
        let bb = self.e.b.ins().load(PTR, flags(), pb, l.ptr);
        let ca = self.e.b.ins().load(types::I8, flags(), ba, 0);
        let cb = self.e.b.ins().load(types::I8, flags(), bb, 0);
        // Bytes compare unsigned (byte-wise string order).
        let v = self.e.b.ins().icmp(int_cc(op).unsigned(), ca, cb);
        self.e.b.ins().jump(done, &[BlockArg::Value(v)]);
        self.e.b.switch_to_block(slow);
        let (ctx, x, y) = (self.e.ctx(), self.addr(a), self.addr(b));
        // The operator code `lumen_rt_str_cmp` decodes.
        let k = self.e.i32(op.index().into());
        let r = self
            .e
            .helper("lumen_rt_str_cmp", &[ctx, k, x, y])
            .expect("result");
        self.check_err(pc);
        let v = self.e.b.ins().ireduce(types::I8, r);
        self.e.b.ins().jump(done, &[BlockArg::Value(v)]);
        self.e.b.switch_to_block(done);
        self.put(dst, RegTy::Bool, result);
    }

    /// `dst = consts[idx]` for a heap constant, shared inline: the pool is the module's
    /// (the index is verified), reached through the context. What `dst` held is dropped
    /// through `lumen_rt_drop_value` on a cold path (a loaded constant usually lands in
    /// a temporary that a constructor or call has emptied): two blocks, where an inline
    /// release takes five, and blocks are what a compile pays for.
    fn load_const(&mut self, dst: Reg, idx: u32) {
        let to = self.addr(dst);
        let tag = self.slot_tag(dst);
        let owns =
            self.e
                .b
                .ins()
                .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, tag, TAG_STR as i64);
        let drop = self.e.b.create_block();
        self.e.b.set_cold_block(drop);
        let cont = self.e.b.create_block();
        self.e.b.ins().brif(owns, drop, &[], cont, &[]);
        self.e.b.switch_to_block(drop);
        self.e.helper("lumen_rt_drop_value", &[to]);
        self.e.b.ins().jump(cont, &[]);
        self.e.b.switch_to_block(cont);
        let ctx = self.e.ctx();
        let pool = self.e.b.ins().load(PTR, flags(), ctx, CTX_CONSTS_OFFSET);
        let at = (idx as usize * VALUE_SIZE) as i32;
        let w0 = self.e.b.ins().load(types::I64, flags(), pool, at);
        let w1 = self.e.b.ins().load(types::I64, flags(), pool, at + 8);
        let strong = self.e.cx.list.strong;
        let count = self.e.b.ins().load(PTR, flags(), w1, strong);
        let more = self.e.b.ins().iadd_imm_s(count, 1);
        self.e.b.ins().store(flags(), more, w1, strong);
        self.e.b.ins().store(flags(), w0, to, 0);
        self.e.b.ins().store(flags(), w1, to, 8);
    }

    /// Continues in a new block when `cond` holds, else jumps to `otherwise`.
    fn continue_if(&mut self, cond: Val, otherwise: Block) {
        let next = self.e.b.create_block();
        self.e.b.ins().brif(cond, next, &[], otherwise, &[]);
        self.e.b.switch_to_block(next);
    }

    /// The signature of an entry (`lumen_rt::native::Entry`), imported once.
    fn entry_sig(&mut self) -> SigRef {
        if let Some(s) = self.entry_sig {
            return s;
        }
        let mut sig = Signature::new(self.e.cx.cc);
        sig.params.extend([AbiParam::new(PTR); 3]);
        let s = self.e.b.import_signature(sig);
        self.entry_sig = Some(s);
        s
    }

    /// Translates instruction `pc`; true when control does not fall through.
    fn instr(&mut self, pc: u32) -> bool {
        use Instr::*;
        let ins = self.cell.code[pc as usize].clone();
        self.forget(&ins);
        match ins {
            LoadInt { dst, value } => {
                let v = self.e.b.ins().iconst(types::I64, value);
                self.put(dst, RegTy::Int, v);
            }
            LoadFloat { dst, value } => {
                let v = self.e.b.ins().f64const(value);
                self.put(dst, RegTy::Float, v);
            }
            LoadBool { dst, value } => {
                let v = self.e.b.ins().iconst(types::I8, value as i64);
                self.put(dst, RegTy::Bool, v);
            }
            LoadNull { dst } => {
                if !self.scalar(dst) {
                    self.drop_old(dst);
                    let z = self.e.b.ins().iconst(types::I8, TAG_NULL as i64);
                    let w = self.window();
                    self.e.b.ins().store(flags(), z, w, Self::off(dst));
                }
            }
            Copy { dst, src } | Move { dst, src } => {
                let is_move = matches!(ins, Move { .. });
                self.copy(dst, src, is_move, pc);
            }
            IntAdd { dst, a, b } | IntSub { dst, a, b } if self.add_is_safe(&ins) => {
                let (x, y) = (self.get(a), self.get(b));
                let v = if matches!(ins, IntAdd { .. }) {
                    self.e.b.ins().iadd(x, y)
                } else {
                    self.e.b.ins().isub(x, y)
                };
                self.put(dst, RegTy::Int, v);
            }
            IntAddImm { dst, a, value } if self.add_is_safe(&ins) => {
                let x = self.get(a);
                let v = self.e.b.ins().iadd_imm_s(x, value);
                self.put(dst, RegTy::Int, v);
            }
            IntMul { dst, .. }
                if let Some(&(_, p, over)) = self.reduced.iter().find(|(r, ..)| r.mul == pc) =>
            {
                self.reduced_product(pc, dst, p, over)
            }
            IntMul { dst, a, b } if self.add_is_safe(&ins) => {
                let (x, y) = (self.get(a), self.get(b));
                let v = self.e.b.ins().imul(x, y);
                self.put(dst, RegTy::Int, v);
            }
            IntAdd { dst, a, b } | IntSub { dst, a, b } | IntMul { dst, a, b } => {
                let (v, of) = self.checked(&ins, a, b);
                self.raise_if(of, RAISE_INTEGER_OVERFLOW, pc);
                self.put(dst, RegTy::Int, v);
            }
            IntAddImm { dst, a, value } => {
                let x = self.get(a);
                let k = self.e.b.ins().iconst(types::I64, value);
                let (v, of) = self.e.b.ins().sadd_overflow(x, k);
                self.raise_if(of, RAISE_INTEGER_OVERFLOW, pc);
                self.put(dst, RegTy::Int, v);
            }
            IntDiv { dst, a, b } | IntFloorDiv { dst, a, b } | IntMod { dst, a, b }
                if let Some(s) = self.power_of_two(b) =>
            {
                self.by_power_of_two(&ins, dst, a, s)
            }
            IntDiv { dst, a, b } | IntFloorDiv { dst, a, b } | IntMod { dst, a, b }
                if let Some((d, magic)) = self.magic(b) =>
            {
                self.by_constant(&ins, dst, a, d, magic)
            }
            IntDiv { dst, a, b } | IntFloorDiv { dst, a, b } => {
                let (x, y) = (self.get(a), self.get(b));
                self.check_divisor(x, y, pc, true);
                let q = self.e.b.ins().sdiv(x, y);
                let v = if matches!(ins, IntFloorDiv { .. }) {
                    // Round toward −∞: one less when the remainder's sign differs from
                    // the divisor's.
                    let r = self.e.b.ins().srem(x, y);
                    let nz = self.e.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0);
                    let sx = self.e.b.ins().bxor(r, y);
                    let neg = self.e.b.ins().icmp_imm_s(IntCC::SignedLessThan, sx, 0);
                    let adj = self.e.b.ins().band(nz, neg);
                    let adj = self.e.b.ins().uextend(types::I64, adj);
                    self.e.b.ins().isub(q, adj)
                } else {
                    q
                };
                self.put(dst, RegTy::Int, v);
            }
            IntMod { dst, a, b } => {
                let (x, y) = (self.get(a), self.get(b));
                self.check_divisor(x, y, pc, false);
                // `MIN % -1` is 0; dividing by 1 instead gives that without trapping.
                let m1 = self.e.b.ins().icmp_imm_s(IntCC::Equal, y, -1);
                let one = self.e.b.ins().iconst(types::I64, 1);
                let y = self.e.b.ins().select(m1, one, y);
                let v = self.e.b.ins().srem(x, y);
                self.put(dst, RegTy::Int, v);
            }
            IntPow { dst, a, b } => {
                let (x, y) = (self.get(a), self.get(b));
                let ctx = self.e.ctx();
                let v = self
                    .e
                    .helper("lumen_rt_int_pow", &[ctx, x, y])
                    .expect("result");
                self.check_err(pc);
                self.put(dst, RegTy::Int, v);
            }
            IntNeg { dst, src } => {
                let x = self.get(src);
                let min = self.e.b.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
                self.raise_if(min, RAISE_INTEGER_OVERFLOW, pc);
                let v = self.e.b.ins().ineg(x);
                self.put(dst, RegTy::Int, v);
            }
            BitAnd { dst, a, b }
            | BitOr { dst, a, b }
            | BitXor { dst, a, b }
            | Shl { dst, a, b }
            | Shr { dst, a, b } => {
                let (x, y) = (self.get(a), self.get(b));
                // Cranelift shifts by the amount modulo 64, as §5.2 specifies.
                let v = match ins {
                    BitAnd { .. } => self.e.b.ins().band(x, y),
                    BitOr { .. } => self.e.b.ins().bor(x, y),
                    BitXor { .. } => self.e.b.ins().bxor(x, y),
                    Shl { .. } => self.e.b.ins().ishl(x, y),
                    _ => self.e.b.ins().sshr(x, y),
                };
                self.put(dst, RegTy::Int, v);
            }
            BitNot { dst, src } => {
                let x = self.get(src);
                let v = self.e.b.ins().bnot(x);
                self.put(dst, RegTy::Int, v);
            }
            FloatMul { dst, a, b }
                if [a, b]
                    .iter()
                    .any(|&r| self.ranges.float_constant(r) == Some(2.0)) =>
            {
                // 2.0 * x is exactly x + x (also for NaN, infinities and -0.0), without
                // materialising the constant.
                let x = if self.ranges.float_constant(a) == Some(2.0) {
                    self.get(b)
                } else {
                    self.get(a)
                };
                let v = self.e.b.ins().fadd(x, x);
                self.put(dst, RegTy::Float, v);
            }
            FloatAdd { dst, a, b }
            | FloatSub { dst, a, b }
            | FloatMul { dst, a, b }
            | FloatDiv { dst, a, b }
            | FloatFloorDiv { dst, a, b } => {
                let (x, y) = (self.get(a), self.get(b));
                let v = match ins {
                    FloatAdd { .. } => self.e.b.ins().fadd(x, y),
                    FloatSub { .. } => self.e.b.ins().fsub(x, y),
                    FloatMul { .. } => self.e.b.ins().fmul(x, y),
                    FloatDiv { .. } => self.e.b.ins().fdiv(x, y),
                    _ => {
                        let q = self.e.b.ins().fdiv(x, y);
                        self.e.b.ins().floor(q)
                    }
                };
                self.put(dst, RegTy::Float, v);
            }
            FloatMod { dst, a, b } | FloatPow { dst, a, b } => {
                let (x, y) = (self.get(a), self.get(b));
                let name = if matches!(ins, FloatMod { .. }) {
                    "lumen_rt_float_mod"
                } else {
                    "lumen_rt_float_pow"
                };
                let v = self.e.helper(name, &[x, y]).expect("result");
                self.put(dst, RegTy::Float, v);
            }
            FloatNeg { dst, src } => {
                let x = self.get(src);
                let v = self.e.b.ins().fneg(x);
                self.put(dst, RegTy::Float, v);
            }
            IntToFloat { dst, src } => {
                let x = self.get(src);
                let v = self.e.b.ins().fcvt_from_sint(types::F64, x);
                self.put(dst, RegTy::Float, v);
            }
            FloatToInt { dst, src } => {
                let x = self.get(src);
                let ctx = self.e.ctx();
                let v = self
                    .e
                    .helper("lumen_rt_float_to_int", &[ctx, x])
                    .expect("result");
                self.check_err(pc);
                self.put(dst, RegTy::Int, v);
            }
            IntCmp { op, dst, a, b } => {
                let (x, y) = (self.get(a), self.get(b));
                let v = self.e.b.ins().icmp(int_cc(op), x, y);
                self.put(dst, RegTy::Bool, v);
            }
            FloatCmp { op, dst, a, b } => {
                let (x, y) = (self.get(a), self.get(b));
                let v = self.e.b.ins().fcmp(float_cc(op), x, y);
                self.put(dst, RegTy::Bool, v);
            }
            Not { dst, src } => {
                let x = self.get(src);
                let v = self.e.b.ins().icmp_imm_s(IntCC::Equal, x, 0);
                self.put(dst, RegTy::Bool, v);
            }
            Jump { target } => {
                if let Some((op, a, b, head)) = self.loop_condition(pc, target) {
                    // A rotated loop's entry: test its condition here, so the condition
                    // block follows the body in Cranelift's block order and each
                    // iteration takes one branch (back), not two (up to the condition,
                    // then into the body).
                    self.int_branch(pc, op, a, b, head, target + 1);
                    return true;
                }
                let t = self.edge_to(Some(pc), target, true);
                self.e.b.ins().jump(t, &[]);
                return true;
            }
            JumpIf { cond, target } | JumpIfNot { cond, target } => {
                let c = self.get(cond);
                let (t, f) = self.branch_edges(pc, target);
                if matches!(ins, JumpIf { .. }) {
                    self.e.b.ins().brif(c, t, &[], f, &[]);
                } else {
                    self.e.b.ins().brif(c, f, &[], t, &[]);
                }
                self.fill_edges();
                return true;
            }
            JumpIfIntCmp { op, a, b, target } => {
                self.int_branch(pc, op, a, b, target, pc + 1);
                return true;
            }
            JumpIfNull { src, target } => {
                if self.scalar(src) {
                    let f = self.edge_to(Some(pc), pc + 1, true);
                    self.e.b.ins().jump(f, &[]);
                } else {
                    let tag = self.slot_tag(src);
                    let (t, f) = self.branch_edges(pc, target);
                    self.e.b.ins().brif(tag, f, &[], t, &[]);
                    self.fill_edges();
                }
                return true;
            }
            Return { src } => {
                self.ret(src, pc);
                return true;
            }
            Call {
                dst,
                cell,
                args,
                argc,
            } => self.call(pc, dst, cell, args, argc),
            ListGet { dst, list, idx } => self.get_elem(pc, dst, list, Obj::List, Index::Reg(idx)),
            ListGetUnchecked { dst, list, idx } => {
                self.get_elem(pc, dst, list, Obj::List, Index::Proven(idx))
            }
            ListSet { list, idx, src } if src != list => {
                self.set_elem(pc, &ins, list, Obj::List, Index::Reg(idx), src)
            }
            FieldGet { dst, record, field } => {
                self.get_elem(pc, dst, record, Obj::Record, Index::Const(field))
            }
            FieldSet { record, field, src } if src != record => {
                self.set_elem(pc, &ins, record, Obj::Record, Index::Const(field), src)
            }
            ListLen { dst, list } => self.list_len(pc, dst, list),
            PayloadGet { dst, src, index } => {
                self.get_elem(pc, dst, src, Obj::Variant, Index::Const(index))
            }
            TupleGet { dst, tuple, index } => {
                self.get_elem(pc, dst, tuple, Obj::Tuple, Index::Const(index))
            }
            VariantTag { dst, src } => self.variant_tag(pc, dst, src),
            Is { dst, src, test } if self.inline_test(dst, test) => self.type_test(dst, src, test),
            StrCmp { op, dst, a, b } => self.str_cmp(pc, op, dst, a, b),
            Eq { dst, a, b } | Ne { dst, a, b } => {
                self.spill(a);
                self.spill(b);
                let (ctx, x, y) = (self.e.ctx(), self.addr(a), self.addr(b));
                let r = self
                    .e
                    .helper("lumen_rt_equal", &[ctx, x, y])
                    .expect("result");
                self.check_err(pc);
                let v = self.e.b.ins().ireduce(types::I8, r);
                let v = if matches!(ins, Ne { .. }) {
                    self.e.b.ins().bxor_imm_u(v, 1)
                } else {
                    v
                };
                self.put(dst, RegTy::Bool, v);
            }
            CallBuiltin {
                dst,
                builtin,
                args,
                argc,
            } if inline_builtin(self.cell, builtin, dst, args, argc) => {
                self.builtin_inline(pc, &ins, builtin, dst, args)
            }
            CallBuiltin {
                dst,
                builtin: Builtin::Append,
                args,
                argc: 2,
            } if self.ty(args) == RegTy::List => self.append(pc, &ins, dst, args, args + 1),
            CallBuiltin {
                dst,
                builtin: Builtin::LenStr,
                args,
                argc: 1,
            } if self.inline_str_len(dst, args) => self.str_len(pc, &ins, dst, args),
            Halt { .. } | NoMatch => {
                self.generic(pc, &ins);
                return true;
            }
            CallValue {
                dst,
                callee,
                args,
                argc,
            } => self.call_value(pc, &ins, dst, callee, args, argc),
            LoadConst { dst, idx }
                if !self.scalar(dst)
                    && self
                        .m
                        .consts
                        .get(idx as usize)
                        .is_some_and(|c| !c.is_scalar()) =>
            {
                self.load_const(dst, idx)
            }
            ref other => self.generic(pc, other),
        }
        false
    }

    /// Computes builtin `b` on `args..` into `dst` inline ([`inline_builtin`]);
    /// `abs(MIN)` raises `integer overflow` at `pc`.
    fn builtin_inline(&mut self, pc: u32, ins: &Instr, b: Builtin, dst: Reg, args: Reg) {
        use Builtin as B;
        let x = self.get(args);
        let arg = |t: &mut Self, i: Reg| t.get(args + i);
        // `if y < x { y } else { x }` (min) and `if y > x { y } else { x }` (max).
        let pick = |t: &mut Self, less: bool, x: Val, y: Val, float: bool| {
            let ins = t.e.b.ins();
            let c = match (float, less) {
                (true, true) => ins.fcmp(FloatCC::LessThan, y, x),
                (true, false) => ins.fcmp(FloatCC::GreaterThan, y, x),
                (false, true) => ins.icmp(IntCC::SignedLessThan, y, x),
                (false, false) => ins.icmp(IntCC::SignedGreaterThan, y, x),
            };
            t.e.b.ins().select(c, y, x)
        };
        let float = self.ty(args) == RegTy::Float;
        let v = match b {
            B::Sqrt => self.e.b.ins().sqrt(x),
            B::AbsFloat => self.e.b.ins().fabs(x),
            B::Floor => self.e.b.ins().floor(x),
            B::Ceil => self.e.b.ins().ceil(x),
            B::AbsInt => {
                let min = self.e.b.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
                self.raise_if(min, RAISE_INTEGER_OVERFLOW, pc);
                self.e.b.ins().iabs(x)
            }
            B::Round | B::Exp | B::Log | B::Sin | B::Cos | B::Tan => {
                let which = self.e.i32(b.index());
                let v = self.e.helper("lumen_rt_float_unary", &[which, x]);
                v.expect("a Float result")
            }
            B::Atan2 | B::PowFloat => {
                let (which, y) = (self.e.i32(b.index()), arg(self, 1));
                let v = self.e.helper("lumen_rt_float_binary", &[which, x, y]);
                v.expect("a Float result")
            }
            B::MinFloat | B::MaxFloat | B::MinInt | B::MaxInt => {
                let y = arg(self, 1);
                let less = matches!(b, B::MinFloat | B::MinInt);
                pick(self, less, x, y, float)
            }
            B::ClampFloat | B::ClampInt => {
                // `min(max(x, lo), hi)`.
                let (lo, hi) = (arg(self, 1), arg(self, 2));
                let m = pick(self, false, x, lo, float);
                pick(self, true, m, hi, float)
            }
            // (`inline_builtin` names no other builtin.)
            _ => return self.generic(pc, ins),
        };
        // The result has the arguments' type (`inline_builtin`).
        self.put(dst, self.ty(args), v);
    }

    /// True when the Int operation at `at` is proven not to overflow (as
    /// [`Self::add_is_safe`] would find when translating it): the facts of its block
    /// replayed up to it.
    fn proven_in_range(&self, at: u32) -> bool {
        let code = &self.cell.code;
        let from = (0..=at)
            .rev()
            .find(|&pc| self.blocks[pc as usize].is_some())
            .unwrap_or(0);
        let mut holds = self.ranges.entry(from as usize);
        let mut bounds = Bounds::new();
        for ins in &code[from as usize..at as usize] {
            let after = self.ranges.interval_once_done(&bounds, &holds, ins);
            block_facts_after(ins, after, &mut holds, &mut bounds);
        }
        (self.ranges)
            .interval_after(&bounds, &holds, &code[at as usize])
            .is_some()
    }

    /// On an edge from `from` to `target` entering loops with reduced products: each
    /// product's running value and overflow flag start as the checked multiplication's
    /// (raising nothing here: the product may not be reached).
    fn start_products(&mut self, from: Option<u32>, target: u32) {
        for k in 0..self.reduced.len() {
            let (r, p, over) = self.reduced[k];
            if r.entered_by(from, target) {
                let (x, y) = (self.get(r.factor), self.get(r.counter));
                let (v, o) = self.e.b.ins().smul_overflow(x, y);
                self.e.b.def_var(p, v);
                self.e.b.def_var(over, o);
            }
        }
    }

    /// The reduced product at `pc` into `dst`: the running value `p`, or `integer
    /// overflow` when the flag `over` says the true product is out of range.
    fn reduced_product(&mut self, pc: u32, dst: Reg, p: Variable, over: Variable) {
        let o = self.e.b.use_var(over);
        self.raise_if(o, RAISE_INTEGER_OVERFLOW, pc);
        let v = self.e.b.use_var(p);
        self.put(dst, RegTy::Int, v);
    }

    /// After the counter's step at `pc`: the products it steps add their factor (the
    /// flag is clear here — the product ran in this iteration — so the running value
    /// is the true product, and the checked addition's overflow is the next one's).
    fn step_products(&mut self, pc: u32) {
        for k in 0..self.reduced.len() {
            let (r, p, over) = self.reduced[k];
            if r.step != Some(pc) {
                continue;
            }
            let (x, a) = (self.e.b.use_var(p), self.get(r.factor));
            let (v, o) = if self.nonneg(r.factor) {
                // As in `checked`: past a non-negative operand, a compare.
                let v = self.e.b.ins().iadd(x, a);
                (v, self.e.b.ins().icmp(IntCC::SignedLessThan, v, x))
            } else {
                self.e.b.ins().sadd_overflow(x, a)
            };
            self.e.b.def_var(p, v);
            self.e.b.def_var(over, o);
        }
    }

    /// True when the Int addition, subtraction or multiplication `ins` is proven not to
    /// overflow (see [`Ranges`]), so it needs no check.
    fn add_is_safe(&self, ins: &Instr) -> bool {
        self.ranges
            .interval_after(&self.bounds, &self.holds, ins)
            .is_some()
    }

    /// `a + b`, `a - b` or `a * b` (`ins`) and whether it overflowed. With an operand
    /// known not to be negative, the wrapped result overflowed exactly when it moved
    /// the wrong way past the other operand: that compare and its branch are one fused
    /// instruction, where Cranelift sets its overflow flag into a register and tests it.
    fn checked(&mut self, ins: &Instr, a: Reg, b: Reg) -> (Val, Val) {
        let (x, y) = (self.get(a), self.get(b));
        match ins {
            Instr::IntAdd { .. } => {
                let past = if self.nonneg(b) {
                    Some(x)
                } else if self.nonneg(a) {
                    Some(y)
                } else {
                    None
                };
                let Some(past) = past else {
                    return self.e.b.ins().sadd_overflow(x, y);
                };
                let v = self.e.b.ins().iadd(x, y);
                (v, self.e.b.ins().icmp(IntCC::SignedLessThan, v, past))
            }
            // `a - b` with `b >= 0` is at most `a`.
            Instr::IntSub { .. } if self.nonneg(b) => {
                let v = self.e.b.ins().isub(x, y);
                (v, self.e.b.ins().icmp(IntCC::SignedGreaterThan, v, x))
            }
            Instr::IntSub { .. } => self.e.b.ins().ssub_overflow(x, y),
            _ => self.e.b.ins().smul_overflow(x, y),
        }
    }

    /// True when Int register `r` is known not to be negative here (see [`Ranges`]).
    fn nonneg(&self, r: Reg) -> bool {
        self.ranges.interval(&self.bounds, &self.holds, r).0 >= 0
    }

    /// `s` when Int register `r` is a constant `2^s` with `s >= 1` (a divisor that is
    /// neither 0 nor -1, and division by it is a shift).
    fn power_of_two(&self, r: Reg) -> Option<u32> {
        self.constant(r)
            .filter(|&k| k > 1 && k.count_ones() == 1)
            .map(|k| k.trailing_zeros())
    }

    /// The value of Int register `r` when it is known here: a constant of the cell, or
    /// one written earlier in this block (an inlined cell's literal, say).
    fn constant(&self, r: Reg) -> Option<i64> {
        match self.ranges.interval(&self.bounds, &self.holds, r) {
            (lo, hi) if lo == hi => Some(lo),
            _ => None,
        }
    }

    /// `dst = a / 2^s`, `a // 2^s` or `a % 2^s` (`ins`, its divisor a constant)
    /// ([`Self::power_of_two`]): shifts and masks, nothing can fail. `//` is an
    /// arithmetic shift; `/` shifts `a + (2^s - 1)` when `a < 0` (rounding toward zero);
    /// `%` is `a - a / 2^s * 2^s` with that `/` (the sign of `a`).
    /// For `a` known not negative, all three are floor operations: a shift or a mask.
    fn by_power_of_two(&mut self, ins: &Instr, dst: Reg, a: Reg, s: u32) {
        let x = self.get(a);
        let nonneg = self.nonneg(a);
        let v = if nonneg && matches!(ins, Instr::IntMod { .. }) {
            self.e.b.ins().band_imm_s(x, (1i64 << s) - 1)
        } else if nonneg || matches!(ins, Instr::IntFloorDiv { .. }) {
            self.e.b.ins().sshr_imm_s(x, s as i64)
        } else {
            let sign = self.e.b.ins().sshr_imm_s(x, 63);
            let bias = self.e.b.ins().ushr_imm_s(sign, 64 - s as i64);
            let t = self.e.b.ins().iadd(x, bias);
            if matches!(ins, Instr::IntMod { .. }) {
                let q = self.e.b.ins().band_imm_s(t, -(1i64 << s));
                self.e.b.ins().isub(x, q)
            } else {
                self.e.b.ins().sshr_imm_s(t, s as i64)
            }
        };
        self.put(dst, RegTy::Int, v);
    }

    /// The divisor Int register `r` holds here and its magic numbers, when it is a
    /// constant [`Magic`] divides by.
    fn magic(&self, r: Reg) -> Option<(i64, Magic)> {
        self.constant(r).and_then(|d| Some((d, Magic::of(d)?)))
    }

    /// `dst = a / d`, `a // d` or `a % d` (`ins`) for a constant `d` with magic numbers
    /// ([`Magic`]): a multiplication, shifts and adds, nothing can fail. The quotient is
    /// rounded toward zero; `%` is `a - q * d`, and `//` one less than `q` when that
    /// remainder is not 0 and its sign is not the divisor's. For `a` known not negative
    /// and `d > 0` the quotient needs no rounding fix-up and `//` is `/`.
    fn by_constant(&mut self, ins: &Instr, dst: Reg, a: Reg, d: i64, magic: Magic) {
        let x = self.get(a);
        let nonneg = d > 0 && self.nonneg(a);
        let b = &mut self.e.b;
        let m = b.ins().iconst(types::I64, magic.mul);
        let hi = b.ins().smulhi(x, m);
        let t = match magic.fix(d) {
            Fix::None => hi,
            Fix::Add => b.ins().iadd(hi, x),
            Fix::Sub => b.ins().isub(hi, x),
        };
        let t = match magic.shift {
            0 => t,
            s => b.ins().sshr_imm_s(t, i64::from(s)),
        };
        let q = if nonneg {
            t
        } else {
            // Rounding toward zero: one more when negative.
            let neg = b.ins().ushr_imm_s(t, 63);
            b.ins().iadd(t, neg)
        };
        let rem = |b: &mut FunctionBuilder| {
            let p = b.ins().imul_imm_s(q, d);
            b.ins().isub(x, p)
        };
        let v = match ins {
            Instr::IntMod { .. } => rem(b),
            Instr::IntFloorDiv { .. } if !nonneg => {
                let r = rem(b);
                if d > 0 {
                    // One less when the remainder is negative: add its sign (0 or -1).
                    let sign = b.ins().sshr_imm_s(r, 63);
                    b.ins().iadd(q, sign)
                } else {
                    let pos = b.ins().icmp_imm_s(IntCC::SignedGreaterThan, r, 0);
                    let pos = b.ins().uextend(types::I64, pos);
                    b.ins().isub(q, pos)
                }
            }
            _ => q,
        };
        self.put(dst, RegTy::Int, v);
    }

    /// `division by zero` when `y == 0`; `integer overflow` for `MIN / -1` (`quotient`).
    fn check_divisor(&mut self, x: Val, y: Val, pc: u32, quotient: bool) {
        let zero = self.e.b.ins().icmp_imm_s(IntCC::Equal, y, 0);
        self.raise_if(zero, RAISE_DIVISION_BY_ZERO, pc);
        if quotient {
            let min = self.e.b.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
            let m1 = self.e.b.ins().icmp_imm_s(IntCC::Equal, y, -1);
            let both = self.e.b.ins().band(min, m1);
            self.raise_if(both, RAISE_INTEGER_OVERFLOW, pc);
        }
    }

    fn copy(&mut self, dst: Reg, src: Reg, is_move: bool, pc: u32) {
        if dst == src {
            return;
        }
        match (self.scalar(dst), self.scalar(src)) {
            (true, true) => {
                let v = self.get(src);
                self.put(dst, self.ty(dst), v);
            }
            (false, true) => {
                let v = self.get(src);
                self.put(dst, self.ty(src), v);
            }
            (true, false) => {
                let v = self.unbox(src, self.ty(dst), pc);
                self.put(dst, self.ty(dst), v);
            }
            (false, false) if is_move => {
                self.move_reg(dst, src);
            }
            (false, false) => {
                let (a, b) = (self.addr(dst), self.addr(src));
                self.e.share(a, b);
            }
        }
    }

    fn ret(&mut self, src: Reg, pc: u32) {
        let vals = if !returns_words(self.cell) {
            let t = self.cell.ret;
            let v = if self.scalar(src) {
                self.get(src)
            } else {
                self.unbox(src, t, pc)
            };
            vec![v]
        } else if let Some(_var) = self.vars[src as usize] {
            let v = self.get(src);
            let (w0, w1) = self.e.scalar_words(self.ty(src), v);
            vec![w0, w1]
        } else {
            let w = self.window();
            let o = Self::off(src);
            let w0 = self.e.b.ins().load(types::I64, flags(), w, o);
            let w1 = self.e.b.ins().load(types::I64, flags(), w, o + 8);
            let z = self.e.b.ins().iconst(types::I8, TAG_NULL as i64);
            self.e.b.ins().store(flags(), z, w, o);
            vec![w0, w1]
        };
        if let Some(rp) = self.ret_ptr {
            // Entered by the VM: the result goes to `*ret` (which owns nothing).
            let (w0, w1) = if returns_words(self.cell) {
                (vals[0], vals[1])
            } else {
                self.e.scalar_words(self.cell.ret, vals[0])
            };
            self.e.store_words(w0, w1, rp);
            self.leave_with(&[]);
            return;
        }
        // Called natively: the value, then (a scalar's) flag that it did not fail.
        let mut vals = vals;
        if returns_failed(self.cell) {
            vals.push(self.e.b.ins().iconst(FAILED, 0));
        }
        self.leave_with(&vals);
    }

    /// A direct call of another compiled cell.
    fn call(&mut self, pc: u32, dst: Reg, cell: CellId, args: Reg, argc: u32) {
        let callee = &self.m.cells[cell as usize];
        let mut scalars = Vec::new();
        for i in 0..argc.min(callee.params + callee.captures) {
            let r = args + i;
            let pt = callee.regs[i as usize];
            if pt.is_scalar() {
                let v = if self.scalar(r) {
                    self.get(r)
                } else {
                    self.unbox(r, pt, pc)
                };
                scalars.push(v);
            } else {
                self.spill(r);
            }
        }
        let depth = self.depth.expect("prologue ran");
        let early = (argc == callee.params)
            .then(|| early_return(callee))
            .flatten();
        let join = early.map(|er| self.answer_early(er, &scalars, depth, callee.ret));
        let mut call_args = Vec::with_capacity(scalars.len() + 2);
        if takes_hargs(callee) {
            call_args.push(self.addr(args));
        }
        call_args.push(depth);
        call_args.extend(scalars);
        let f = self.e.func_ref(self.e.cx.cells[cell as usize]);
        let call = self.e.b.ins().call(f, &call_args);
        let mut res = self.e.b.inst_results(call).to_vec();
        if returns_failed(callee) {
            // The callee's failure flag, in a register: no load of the context's error.
            let failed = res.pop().expect("the failure flag");
            self.fail_if(failed, pc);
        } else {
            self.check_err(pc);
        }
        if let Some(join) = join {
            self.e.b.ins().jump(join, &[res[0].into()]);
            self.e.b.switch_to_block(join);
            let v = self.e.b.block_params(join)[0];
            self.put(dst, callee.ret, v);
            return;
        }
        if returns_words(callee) {
            if !self.scalar(dst) {
                self.drop_old(dst);
            }
            let w = self.window();
            let o = Self::off(dst);
            self.e.b.ins().store(flags(), res[0], w, o);
            self.e.b.ins().store(flags(), res[1], w, o + 8);
            self.reload(dst, pc);
        } else {
            self.put(dst, callee.ret, res[0]);
        }
    }

    /// When the callee would return early ([`EarlyReturn`]) and the call stays within
    /// the depth limit, jumps to the block returned (the join after the call) with the
    /// early value; otherwise goes on in a new block, which makes the call. `args` are
    /// the call's scalar arguments, `depth` the depth the callee would get. The early
    /// test comes first: a call it sends to the callee needs no depth test here (the
    /// callee makes its own).
    fn answer_early(&mut self, er: EarlyReturn, args: &[Val], depth: Val, ret: RegTy) -> Block {
        let (call, room, join) = (
            self.e.b.create_block(),
            self.e.b.create_block(),
            self.e.b.create_block(),
        );
        let ty = scalar_type(ret).expect("a scalar result");
        self.e.b.append_block_param(join, ty);
        let mut operand = |o: Operand| match o {
            Operand::Param(i) => args[i as usize],
            Operand::Int(v) => self.e.b.ins().iconst(types::I64, v),
            Operand::Float(v) => self.e.b.ins().f64const(v),
            Operand::Bool(v) => self.e.b.ins().iconst(types::I8, v as i64),
        };
        let (a, b, value) = (operand(er.a), operand(er.b), operand(er.value));
        let c = self.e.b.ins().icmp(int_cc(er.op), a, b);
        if er.holds {
            self.e.b.ins().brif(c, room, &[], call, &[]);
        } else {
            self.e.b.ins().brif(c, call, &[], room, &[]);
        }
        // At the depth limit the callee raises `stack overflow`: call it.
        self.e.b.switch_to_block(room);
        let below = (self.e.b.ins()).icmp_imm_u(IntCC::UnsignedLessThan, depth, MAX_CALLS as i64);
        self.e.b.ins().brif(below, join, &[value.into()], call, &[]);
        self.e.b.switch_to_block(call);
        join
    }

    /// The layout of objects of kind `o`.
    fn layout(&self, o: Obj) -> VecLayout {
        match o {
            Obj::List => self.e.cx.list,
            Obj::Record => self.e.cx.record,
            Obj::Variant => self.e.cx.variant,
            Obj::Tuple => self.e.cx.tuple,
        }
    }

    /// The `Rc` allocation when register `reg` holds an object of kind `o`; otherwise
    /// control goes to `slow`.
    fn obj_rc(&mut self, reg: Reg, o: Obj, slow: Block) -> Val {
        let tag = self.slot_tag(reg);
        let ok = self.e.b.ins().icmp_imm_s(IntCC::Equal, tag, o.tag() as i64);
        let next = self.e.b.create_block();
        self.e.b.ins().brif(ok, next, &[], slow, &[]);
        self.e.b.switch_to_block(next);
        self.load_rc(reg)
    }

    fn load_rc(&mut self, reg: Reg) -> Val {
        let w = self.window();
        let o = Self::off(reg) + VALUE_PAYLOAD_OFFSET as i32;
        self.e.b.ins().load(PTR, flags(), w, o)
    }

    /// The cache variables of register `reg` holding an object of kind `o`.
    fn obj_vars(&mut self, reg: Reg, o: Obj) -> ObjVars {
        if let Some(&v) = self.obj_vars.get(&(reg, o)) {
            return v;
        }
        let v = ObjVars {
            rc: self.e.b.declare_var(PTR),
            items: self.e.b.declare_var(PTR),
            len: self.e.b.declare_var(PTR),
        };
        self.obj_vars.insert((reg, o), v);
        v
    }

    /// Loads and caches the element pointer of the object at `rc` (its length is
    /// loaded when needed: [`Self::len_of`]).
    fn define_facts(&mut self, reg: Reg, o: Obj, rc: Val) -> (Val, Val) {
        let l = self.layout(o);
        let items = self.e.b.ins().load(PTR, flags(), rc, l.items_ptr);
        let v = self.obj_vars(reg, o);
        self.e.b.def_var(v.rc, rc);
        self.e.b.def_var(v.items, items);
        self.len_known.remove(&(reg, o));
        self.in_bounds.retain(|&(r, k, _)| (r, k) != (reg, o));
        (rc, items)
    }

    /// `(rc, items)` of the object in `reg`: cached when an earlier access in this
    /// straight-line code established them, else checked (wrong kind: `slow`) and loaded.
    fn facts(&mut self, reg: Reg, o: Obj, slow: Block) -> (Val, Val) {
        let v = self.obj_vars(reg, o);
        if self.known.contains_key(&(reg, o)) {
            let rc = self.e.b.use_var(v.rc);
            let items = self.e.b.use_var(v.items);
            return (rc, items);
        }
        let rc = self.obj_rc(reg, o, slow);
        self.define_facts(reg, o, rc)
    }

    /// The length of the object in `reg`, whose facts were just established
    /// ([`Self::facts`]): cached, or loaded and cached.
    fn len_of(&mut self, reg: Reg, o: Obj) -> Val {
        let v = self.obj_vars(reg, o);
        if self.len_known.contains(&(reg, o)) {
            return self.e.b.use_var(v.len);
        }
        let rc = self.e.b.use_var(v.rc);
        let at = self.layout(o).items_len;
        let len = self.e.b.ins().load(PTR, flags(), rc, at);
        self.e.b.def_var(v.len, len);
        self.len_known.insert((reg, o));
        len
    }

    /// The address of element `idx` when in bounds; else control goes to `slow`.
    fn element(&mut self, items: Val, len: Val, idx: Val, slow: Block) -> Val {
        let inb = self.e.b.ins().icmp(IntCC::UnsignedLessThan, idx, len);
        let next = self.e.b.create_block();
        self.e.b.ins().brif(inb, next, &[], slow, &[]);
        self.e.b.switch_to_block(next);
        let off = self.e.b.ins().ishl_imm_u(idx, 4);
        self.e.b.ins().iadd(items, off)
    }

    /// Emits the generic path as `slow` (after which `reg` holds an object of kind `o`
    /// again, whose facts are reloaded) and joins both paths at a new block.
    fn join_slow(&mut self, pc: u32, ins: &Instr, slow: Block, reg: Reg, o: Obj) {
        let join = self.e.b.create_block();
        self.e.b.ins().jump(join, &[]);
        self.e.b.switch_to_block(slow);
        self.generic_cold(pc, ins);
        let rc = self.load_rc(reg);
        self.define_facts(reg, o, rc);
        self.e.b.ins().jump(join, &[]);
        self.e.b.switch_to_block(join);
    }

    /// Fills `slow`, the failure block of a read of `reg` (every way into it is an
    /// error: a wrong kind of object or element, an index out of range), with raising
    /// the VM's error for that read: the object and index go into the context and the
    /// shared failure block raises `RAISE_READ_FAULT` (a helper call per read would cost
    /// compile time). It never rejoins the inline path, so values live across the read
    /// stay in registers.
    fn read_fault(
        &mut self,
        pc: u32,
        slow: Block,
        reg: Reg,
        read: u32,
        idx: Option<Val>,
        want: u8,
    ) {
        let cont = self.e.b.create_block();
        self.e.b.ins().jump(cont, &[]);
        self.e.b.switch_to_block(slow);
        let idx = idx.unwrap_or_else(|| self.e.b.ins().iconst(types::I64, 0));
        let (ctx, obj) = (self.e.ctx(), self.addr(reg));
        self.e
            .b
            .ins()
            .store(flags(), obj, ctx, CTX_FAULT_OBJ_OFFSET);
        self.e
            .b
            .ins()
            .store(flags(), idx, ctx, CTX_FAULT_IDX_OFFSET);
        self.jump_raise(pc, RAISE_READ_FAULT | read << 8 | (want as u32) << 16);
        self.e.b.switch_to_block(cont);
    }

    /// The index operand of an element access.
    fn index(&mut self, idx: Index) -> Val {
        match idx {
            Index::Reg(r) | Index::Proven(r) => self.get(r),
            Index::Const(k) => self.e.b.ins().iconst(types::I64, k as i64),
        }
    }

    /// `dst = reg[idx]` (`ListGet`, `FieldGet`): a scalar is checked and loaded, a heap
    /// value shared inline; a failed check raises the VM's error.
    fn get_elem(&mut self, pc: u32, dst: Reg, reg: Reg, o: Obj, idx: Index) {
        let slow = self.e.b.create_block();
        self.e.b.set_cold_block(slow);
        let unique = self.known.get(&(reg, o)).copied();
        let i = self.index(idx);
        let checked = unique.is_some() && self.in_bounds.contains(&(reg, o, idx.at()));
        let ea = if matches!(idx, Index::Proven(_)) || checked {
            // The optimiser proved the kind and the bounds (LIR contract), or an
            // earlier access checked them.
            let (_, items) = if unique.is_some() {
                self.facts(reg, o, slow)
            } else {
                let rc = self.load_rc(reg);
                self.define_facts(reg, o, rc)
            };
            let off = self.e.b.ins().ishl_imm_u(i, 4);
            self.e.b.ins().iadd(items, off)
        } else {
            let (_, items) = self.facts(reg, o, slow);
            let len = self.len_of(reg, o);
            self.element(items, len, i, slow)
        };
        let want = if self.scalar(dst) {
            let t = self.ty(dst);
            // A list whose elements are all of this scalar type needs no tag check.
            if o != Obj::List || self.ranges.list_elements(reg) != Some(t) {
                self.e.check_tag(t, ea, 0, slow);
            }
            let v = self.e.payload_at(t, ea, 0);
            self.put(dst, t, v);
            scalar_tag(t)
        } else {
            let d = self.addr(dst);
            self.e.share(d, ea);
            TAG_NULL
        };
        let read = match o {
            Obj::List => READ_LIST_ELEMENT,
            Obj::Record => READ_FIELD,
            Obj::Variant => READ_PAYLOAD,
            Obj::Tuple => READ_TUPLE,
        };
        self.read_fault(pc, slow, reg, read, Some(i), want);
        if !matches!(idx, Index::Proven(_)) {
            // Past a bounds check: a real object (an assumed one is empty).
            self.assumed.remove(&reg);
        }
        if dst != reg {
            self.known.insert((reg, o), unique.unwrap_or(false));
            if Index::Reg(dst) != idx.at() {
                self.in_bounds.insert((reg, o, idx.at()));
            }
        } else {
            self.forget_reg(reg);
        }
    }

    /// `reg[idx] = src` in place (`ListSet`, `FieldSet`) when the object is unique and
    /// the index in range: a scalar stored raw over an element owning nothing, a heap
    /// value shared inline; otherwise the generic path (copy-on-write).
    fn set_elem(&mut self, pc: u32, ins: &Instr, reg: Reg, o: Obj, idx: Index, src: Reg) {
        let slow = self.e.b.create_block();
        self.e.b.set_cold_block(slow);
        let known_unique = self.known.get(&(reg, o)).copied().unwrap_or(false);
        let known = self.known.contains_key(&(reg, o));
        let checked = known && self.in_bounds.contains(&(reg, o, idx.at()));
        let plain = o == Obj::List && self.ranges.list_elements(reg).is_some();
        // Whether a check can fail (else there is no generic path).
        let to_slow = !known || !known_unique || !checked || (self.scalar(src) && !plain);
        if to_slow {
            // Use a scalar source here, where both paths start: the value is then computed
            // once in this block. Used only inside the fast and the slow block, Cranelift's
            // e-graph would compute its whole expression in each of the two (and again after
            // the join): nbody's step ran every `sqrt` six times.
            self.anchor(src);
        }
        let (rc, items) = self.facts(reg, o, slow);
        if !known_unique {
            let at = self.layout(o).strong;
            let strong = self.e.b.ins().load(PTR, flags(), rc, at);
            let unique = self.e.b.ins().icmp_imm_s(IntCC::Equal, strong, 1);
            let next = self.e.b.create_block();
            self.e.b.ins().brif(unique, next, &[], slow, &[]);
            self.e.b.switch_to_block(next);
        }
        let i = self.index(idx);
        let ea = if checked {
            let off = self.e.b.ins().ishl_imm_u(i, 4);
            self.e.b.ins().iadd(items, off)
        } else {
            let len = self.len_of(reg, o);
            self.element(items, len, i, slow)
        };
        if self.scalar(src) && plain {
            // Every element is a scalar: overwritten raw (all of this type: the tag
            // stays).
            let v = self.get(src);
            let t = self.ty(src);
            if self.ranges.list_elements(reg) == Some(t) {
                self.e.payload_store(t, v, ea, 0);
            } else {
                self.e.box_at(t, v, ea, 0);
            }
        } else if self.scalar(src) {
            // The old element must own nothing to be overwritten raw.
            let old = self.e.tag_at(ea, 0);
            let plain = self
                .e
                .b
                .ins()
                .icmp_imm_u(IntCC::UnsignedLessThan, old, TAG_STR as i64);
            let store = self.e.b.create_block();
            self.e.b.ins().brif(plain, store, &[], slow, &[]);
            self.e.b.switch_to_block(store);
            let v = self.get(src);
            let t = self.ty(src);
            self.e.box_at(t, v, ea, 0);
        } else {
            let s = self.addr(src);
            self.e.share(ea, s);
        }
        if to_slow {
            self.join_slow(pc, ins, slow, reg, o);
        }
        // Both paths leave the object unique (the slow one copies it on write), of the
        // same length.
        self.known.insert((reg, o), true);
        self.in_bounds.insert((reg, o, idx.at()));
        self.assumed.remove(&reg);
    }

    /// `dst = append(list, val)` (both operands moved in): in place when the list is
    /// unique and has spare capacity — the element is written past the end and the
    /// length bumped, as `Vec::push` does without growing — else the generic path.
    fn append(&mut self, pc: u32, ins: &Instr, dst: Reg, list: Reg, val: Reg) {
        let slow = self.e.b.create_block();
        self.e.b.set_cold_block(slow);
        // Computed once, here (see `set_elem`).
        self.anchor(val);
        let rc = self.obj_rc(list, Obj::List, slow);
        let l = self.e.cx.list;
        let strong = self.e.b.ins().load(PTR, flags(), rc, l.strong);
        let unique = self.e.b.ins().icmp_imm_s(IntCC::Equal, strong, 1);
        let next = self.e.b.create_block();
        self.e.b.ins().brif(unique, next, &[], slow, &[]);
        self.e.b.switch_to_block(next);
        let len = self.e.b.ins().load(PTR, flags(), rc, l.items_len);
        let cap = self.e.b.ins().load(PTR, flags(), rc, l.items_cap);
        let room = self.e.b.ins().icmp(IntCC::UnsignedLessThan, len, cap);
        let next = self.e.b.create_block();
        self.e.b.ins().brif(room, next, &[], slow, &[]);
        self.e.b.switch_to_block(next);
        let items = self.e.b.ins().load(PTR, flags(), rc, l.items_ptr);
        let off = self.e.b.ins().ishl_imm_u(len, 4);
        let ea = self.e.b.ins().iadd(items, off);
        if self.scalar(val) {
            let v = self.get(val);
            let t = self.ty(val);
            self.e.box_at(t, v, ea, 0);
        } else {
            // Move the value's two words into the new element.
            let w = self.window();
            self.e.move_value(w, Self::off(val), ea, 0);
        }
        let len1 = self.e.b.ins().iadd_imm_s(len, 1);
        self.e.b.ins().store(flags(), len1, rc, l.items_len);
        if dst != list {
            // The list moves to `dst`.
            self.move_reg(dst, list);
        }
        self.join_generic(pc, ins, slow);
    }

    /// Ends the inline path of `ins` and emits its generic path as `slow`, both going on
    /// at a new block.
    fn join_generic(&mut self, pc: u32, ins: &Instr, slow: Block) {
        let join = self.e.b.create_block();
        self.e.b.ins().jump(join, &[]);
        self.e.b.switch_to_block(slow);
        self.generic_cold(pc, ins);
        self.e.b.ins().jump(join, &[]);
        self.e.b.switch_to_block(join);
    }

    /// Whether `len(s)` into `dst` is read inline ([`Self::str_len`]).
    fn inline_str_len(&self, dst: Reg, s: Reg) -> bool {
        self.ty(s) == RegTy::Str && self.scalar(dst) && self.ty(dst) == RegTy::Int
    }

    /// `dst = len(s)` of a String (`ins`): the character count the runtime keeps beside
    /// the text, read inline; another kind of value (an internal error) takes the
    /// generic call, which reports it.
    fn str_len(&mut self, pc: u32, ins: &Instr, dst: Reg, s: Reg) {
        let slow = self.e.b.create_block();
        self.e.b.set_cold_block(slow);
        let tag = self.slot_tag(s);
        let is_str = self.e.b.ins().icmp_imm_u(IntCC::Equal, tag, TAG_STR as i64);
        self.continue_if(is_str, slow);
        let w = self.window();
        let payload = Self::off(s) + VALUE_PAYLOAD_OFFSET as i32;
        let text = self.e.b.ins().load(PTR, flags(), w, payload);
        let chars = self.e.cx.string.chars;
        let n = self.e.b.ins().load(types::I64, flags(), text, chars);
        self.put(dst, RegTy::Int, n);
        self.join_generic(pc, ins, slow);
    }

    /// `dst = variant index of src` (`VariantTag`), read inline.
    fn variant_tag(&mut self, pc: u32, dst: Reg, src: Reg) {
        let slow = self.e.b.create_block();
        self.e.b.set_cold_block(slow);
        let rc = self.obj_rc(src, Obj::Variant, slow);
        let at = self.e.cx.variant_tag;
        let tag = self.e.b.ins().load(types::I32, flags(), rc, at);
        let v = self.e.b.ins().uextend(types::I64, tag);
        self.put(dst, RegTy::Int, v);
        self.read_fault(pc, slow, src, READ_VARIANT_TAG, None, TAG_NULL);
    }

    /// True when `Is` writing `dst` with `test` is translated inline ([`Self::type_test`]):
    /// a test of the value's kind, or of an enum value's type and variant (records, whose
    /// type needs a look into the object, go through the helper).
    fn inline_test(&self, dst: Reg, test: TypeTest) -> bool {
        self.ty(dst) == RegTy::Bool && !matches!(test, TypeTest::Record(_))
    }

    /// `dst = src is test` (`Is`), inline: the kind from the slot's tag; for an enum
    /// test, also the type id (and variant index) in the object when the kind is right.
    fn type_test(&mut self, dst: Reg, src: Reg, test: TypeTest) {
        use TypeTest as T;
        let tags: &[u8] = match test {
            T::Int => &[TAG_INT],
            T::Float => &[TAG_FLOAT],
            T::Bool => &[TAG_BOOL],
            T::Str => &[TAG_STR],
            T::Null => &[TAG_NULL],
            T::List => &[TAG_LIST],
            T::Map => &[TAG_MAP],
            T::Tuple => &[TAG_TUPLE],
            T::Result => &[TAG_OK, TAG_ERR],
            T::Ok => &[TAG_OK],
            T::Err => &[TAG_ERR],
            T::Fn => &[TAG_FN],
            T::Enum(_) | T::Variant(..) => &[TAG_VARIANT],
            T::Record(_) => unreachable!("records go through the helper (inline_test)"),
        };
        let v = if self.scalar(src) {
            // A scalar register holds its type's values only.
            let yes = tags.contains(&scalar_tag(self.ty(src)));
            self.e.b.ins().iconst(types::I8, yes as i64)
        } else {
            let tag = self.slot_tag(src);
            let mut kind = self.e.b.ins().icmp_imm_s(IntCC::Equal, tag, tags[0] as i64);
            for &t in &tags[1..] {
                let also = self.e.b.ins().icmp_imm_s(IntCC::Equal, tag, t as i64);
                kind = self.e.b.ins().bor(kind, also);
            }
            match test {
                T::Enum(id) | T::Variant(id, _) => {
                    // The object is read only when the value is an enum value.
                    let (object, join) = (self.e.b.create_block(), self.e.b.create_block());
                    let res = self.e.b.append_block_param(join, types::I8);
                    let no = self.e.b.ins().iconst(types::I8, 0);
                    self.e.b.ins().brif(kind, object, &[], join, &[no.into()]);
                    self.e.b.switch_to_block(object);
                    let rc = self.load_rc(src);
                    let at = self.e.cx.variant_type;
                    let ty = self.e.b.ins().load(types::I32, flags(), rc, at);
                    let mut yes = self.e.b.ins().icmp_imm_s(IntCC::Equal, ty, id as i64);
                    if let T::Variant(_, index) = test {
                        let at = self.e.cx.variant_tag;
                        let tg = self.e.b.ins().load(types::I32, flags(), rc, at);
                        let same = self.e.b.ins().icmp_imm_s(IntCC::Equal, tg, index as i64);
                        yes = self.e.b.ins().band(yes, same);
                    }
                    self.e.b.ins().jump(join, &[yes.into()]);
                    self.e.b.switch_to_block(join);
                    res
                }
                _ => kind,
            }
        };
        self.put(dst, RegTy::Bool, v);
    }

    fn list_len(&mut self, pc: u32, dst: Reg, list: Reg) {
        let slow = self.e.b.create_block();
        self.e.b.set_cold_block(slow);
        let unique = self.known.get(&(list, Obj::List)).copied();
        if self.assumed.remove(&list) {
            // Facts assumed on the way into a loop: the length of the empty shape
            // would be a wrong answer, so the kind is checked.
            self.obj_rc(list, Obj::List, slow);
        }
        self.facts(list, Obj::List, slow);
        let len = self.len_of(list, Obj::List);
        self.put(dst, RegTy::Int, len);
        self.read_fault(pc, slow, list, READ_LIST_LEN, None, TAG_NULL);
        self.known
            .insert((list, Obj::List), unique.unwrap_or(false));
    }

    /// Forgets every cached fact about register `r`.
    fn forget_reg(&mut self, r: Reg) {
        self.known.retain(|&(reg, _), _| reg != r);
        self.len_known.retain(|&(reg, _)| reg != r);
        self.in_bounds
            .retain(|&(reg, _, i)| reg != r && i != Index::Reg(r));
        self.assumed.remove(&r);
    }

    /// Forgets every cached fact.
    fn forget_all(&mut self) {
        self.known.clear();
        self.len_known.clear();
        self.in_bounds.clear();
        self.assumed.clear();
    }

    /// Forgets cached facts that instruction `ins` may invalidate (called before
    /// translating it).
    fn forget(&mut self, ins: &Instr) {
        match self.forgets(ins) {
            Forget::All => self.forget_all(),
            Forget::Regs(rs) => {
                for r in rs {
                    self.forget_reg(r);
                }
            }
        }
    }

    /// The cached facts instruction `ins` may invalidate: a register it writes, the
    /// source of a copy (now shared) or move (now empty) or of a heap value stored into
    /// an object (now shared), or everything when it runs code that may touch any slot.
    fn forgets(&self, ins: &Instr) -> Forget {
        use Instr::*;
        match *ins {
            ListGet { dst, .. }
            | ListGetUnchecked { dst, .. }
            | FieldGet { dst, .. }
            | ListLen { dst, .. }
            | PayloadGet { dst, .. }
            | TupleGet { dst, .. }
            | VariantTag { dst, .. } => Forget::Regs(vec![dst]),
            ListSet { list: o, src, .. } | FieldSet { record: o, src, .. } => {
                let mut rs = Vec::new();
                if !self.scalar(src) {
                    rs.push(src);
                }
                if src == o {
                    rs.push(o);
                }
                Forget::Regs(rs)
            }
            CallBuiltin {
                builtin,
                dst,
                args,
                argc,
            } if inline_builtin(self.cell, builtin, dst, args, argc) => Forget::Regs(Vec::new()),
            // (Its cold path runs the builtin on the argument alone.)
            CallBuiltin {
                builtin: Builtin::LenStr,
                dst,
                args,
                argc: 1,
            } if self.inline_str_len(dst, args) => Forget::Regs(vec![dst]),
            Copy { dst, src } | Move { dst, src } => Forget::Regs(vec![dst, src]),
            // A cell called directly sees only its arguments (heap ones are moved out of
            // their slots): every other object of this frame keeps its facts. One it
            // could reach otherwise is shared (not unique), so nobody changes it in
            // place; sharing one (a copy, a closure, a field) forgets it first.
            Call {
                dst, args, argc, ..
            } => Forget::Regs(std::iter::once(dst).chain(args..args + argc).collect()),
            LoadConst { dst, .. } | StrCmp { dst, .. } | Eq { dst, .. } | Ne { dst, .. } => {
                Forget::Regs(vec![dst])
            }
            Is { dst, test, .. } if self.inline_test(dst, test) => Forget::Regs(vec![dst]),
            ref other if !goes_generic(other) => Forget::Regs(other.def().into_iter().collect()),
            _ => Forget::All,
        }
    }
}

/// The list registers an edge entering loops establishes, each with whether a loop it
/// enters writes it ([`Translator::entering`]).
type EntryLists = Vec<(Reg, bool)>;

/// Updates a block's facts past `ins`, whose result's interval (`after`, when known) was
/// computed before it: the comparisons mentioning the register it writes end, and that
/// register's interval is replaced.
fn block_facts_after(
    ins: &Instr,
    after: Option<(i64, i64)>,
    holds: &mut Vec<Compare>,
    bounds: &mut Bounds,
) {
    if let Some(d) = ins.def() {
        holds.retain(|c| !c.mentions(d));
        bounds.remove(&d);
        if let Some(iv) = after {
            bounds.insert(d, iv);
        }
    }
}

/// True when no jump from outside `head..=end` leads inside it past `head`, nor does
/// the function's OSR entry, landing at `landing` (another way in: the facts known at
/// `head` from the code before the loop do not hold on it). `jumps` is
/// [`flow::jumps_by_target`] of the cell.
fn single_entry(jumps: &[(u32, u32)], head: u32, end: u32, landing: Option<u32>) -> bool {
    if landing.is_some_and(|l| l > head && l <= end) {
        return false;
    }
    let from = jumps.partition_point(|&(t, _)| t <= head);
    jumps[from..]
        .iter()
        .take_while(|&&(t, _)| t <= end)
        .all(|&(_, q)| (head..=end).contains(&q))
}

/// Where an on-stack-replacement entry for loop header `head` lands: `head`, or the
/// block of the loop's only backward jump to it when that block is nothing but a
/// compare-and-branch (a rotated loop's condition, which the loop's entry jumps to) and
/// the header has no other way in. Re-evaluating the condition there is harmless (it
/// has no effect and held when the VM jumped to the header) and keeps the loop
/// reducible: entered at `head`, the loop would have two ways in (the entry and its
/// condition block), so Cranelift would find no loop there and allocate registers as
/// if nothing repeated (nbody's tiered step spilled twice as much as the JIT's).
fn osr_landing(cell: &Cell, head: u32) -> u32 {
    let code = &cell.code;
    let h = head as usize;
    let into: Vec<usize> = (0..code.len())
        .filter(|&q| code[q].jump_target() == Some(head))
        .collect();
    let [q] = into[..] else {
        return head;
    };
    let falls_in = h > 0 && !code[h - 1].ends_flow();
    let condition_block = q > h
        && matches!(code[q], Instr::JumpIfIntCmp { .. })
        && code.iter().any(|i| i.jump_target() == Some(q as u32));
    if falls_in || !condition_block {
        return head;
    }
    q as u32
}

/// A loop whose list facts are established on the way in ([`Translator::analyse_loops`]).
struct Loop {
    /// Its first instruction (the target of its backward jumps).
    head: u32,
    /// Its last backward jump.
    end: u32,
    /// The list registers whose facts hold throughout it.
    lists: Vec<Reg>,
    /// Those of `lists` it writes (`ListSet`): made unique on the way in.
    written: Vec<Reg>,
}

impl Loop {
    fn contains(&self, pc: u32) -> bool {
        (self.head..=self.end).contains(&pc)
    }
}

/// What an instruction makes the translator forget ([`Translator::forgets`]).
enum Forget {
    /// The facts of these registers.
    Regs(Vec<Reg>),
    /// Every fact.
    All,
}

/// Heap objects whose elements native code accesses inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Obj {
    List,
    Record,
    /// An enum value's payload (read only).
    Variant,
    /// A tuple's items (read only).
    Tuple,
}

impl Obj {
    fn tag(self) -> u8 {
        match self {
            Obj::List => TAG_LIST,
            Obj::Record => TAG_RECORD,
            Obj::Variant => TAG_VARIANT,
            Obj::Tuple => TAG_TUPLE,
        }
    }
}

/// An element index: a register (`ListGet`), one proven in bounds of a register proven
/// to hold a list (`ListGetUnchecked`, O3), or a constant (`FieldGet`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Index {
    Reg(Reg),
    Proven(Reg),
    Const(u32),
}

impl Index {
    /// The element it names, whatever the proof ([`Translator::in_bounds`]'s key).
    fn at(self) -> Index {
        match self {
            Index::Proven(r) => Index::Reg(r),
            other => other,
        }
    }
}

/// Variables caching an object register's `Rc` pointer, element pointer and length.
#[derive(Clone, Copy, Debug)]
struct ObjVars {
    rc: Variable,
    items: Variable,
    len: Variable,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::JitCompiler;
    use lumen_core::error::RtError;
    use lumen_core::ops;
    use lumen_core::value::Value;

    /// Runs `f(compile(src))` on a big stack (modules are not `Send`).
    fn with<T: Send + 'static>(
        src: &'static str,
        f: impl FnOnce(&LirModule) -> T + Send + 'static,
    ) -> T {
        lumen_rt::run_on_big_stack(move || {
            let m = lumen_compiler::compile(src).expect("test program compiles");
            f(&m)
        })
    }

    fn native(m: &LirModule, name: &str) -> crate::jit::NativeFn {
        JitCompiler::new()
            .compile_cell(m, m.find_cell(name).expect("cell exists"))
            .expect("compiles")
    }

    fn call(m: &LirModule, name: &str, args: &[Value]) -> Result<Value, RtError> {
        native(m, name).call(args).map_err(|e| e.error)
    }

    /// Checks that native `f` (cell `name` of `m`) answers `args` as the VM does.
    /// Native `f` and the VM agree on cell `name` with `args`: the same value, or the
    /// same error with the same trace.
    fn agrees(m: &LirModule, f: &crate::jit::NativeFn, name: &str, args: Vec<Value>) {
        let mut vm = lumen_rt::VM::new(m.clone());
        let want = vm.call_cell_by_name(name, args.clone());
        let got = f.call(&args);
        assert_eq!(format!("{want:?}"), format!("{got:?}"), "{name}{args:?}");
    }

    #[test]
    fn reduced_products_overflow_where_the_multiplication_does() {
        // `k * j` is reduced (one multiplication left, on the way into the loop); `k * i`
        // is not (the loop does not step `i`), nor is the product behind a condition.
        let src = "cell f(k: Int, lo: Int, hi: Int) -> Int\n  let mut s = 0\n  for j in lo..hi\n    \
                   s = s % 1000 + k * j % 1000\n  end\n  s\nend\n\
                   cell g(k: Int, lo: Int, hi: Int) -> Int\n  let mut s = 0\n  for i in 0..2\n    \
                   for j in lo..hi\n      s = (s + j * k) % 1000003 + k * i % 7\n      \
                   if j > lo\n        s += k * j % 5\n      end\n    end\n  end\n  s\nend\n\
                   cell h(k: Int, lo: Int, hi: Int) -> Int\n  let mut s = 0\n  for i in lo..hi\n    \
                   for j in 0..3\n      if j > 0\n        s = (s + i * k % 1000) % 1000003\n      \
                   end\n    end\n  end\n  s\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let (f, g) = (m.find_cell("f").unwrap(), m.find_cell("g").unwrap());
            let h = m.find_cell("h").unwrap();
            // Each `% c` multiplies its quotient by `c` (an `imul` after its `smulhi`):
            // plain multiplications are counted past those.
            let products = |level, id| {
                let [checked, imul, smulhi] =
                    op_counts(m, level, id, &["smul_overflow", "= imul", "smulhi"])[..]
                else {
                    unreachable!()
                };
                [checked, imul - smulhi]
            };
            for level in [crate::OptLevel::O0, crate::OptLevel::O1] {
                assert_eq!(products(level, f), [1, 0]);
                // g: j * k once on the way into its loop, the guarded k * j, and k * i
                // (i is 0 or 1: it cannot overflow, a plain multiplication).
                assert_eq!(products(level, g), [2, 1]);
                // h: i * k, unchanged in the loop over j, once on the way into it.
                assert_eq!(products(level, h), [1, 0]);
            }
            // A product proven in range stays one plain multiplication (nothing carried).
            let proven = "cell h(n: Int) -> Int\n  let mut s = 0\n  for j in 0..400\n    \
                          s = (s + j * 400) % 7\n  end\n  s\nend\ncell main()\nend\n";
            with(proven, |p| {
                let h = p.find_cell("h").unwrap();
                let ops = ["smul_overflow", "= imul", "smulhi"];
                let counts = op_counts(p, crate::OptLevel::O1, h, &ops);
                // (`% 7`: one `smulhi` and one `imul` of the quotient.)
                assert_eq!(counts, [0, 2, 1]);
            });
            let half = 1i64 << 62;
            let ks = [
                0,
                1,
                -1,
                7,
                -3,
                half,
                -half,
                3037000499,
                -3037000500,
                i64::MAX,
                i64::MIN,
            ];
            let ranges = [
                (0, 0),
                (5, 5),
                (0, 4),
                (-3, 3),
                (-2, 3),
                (3037000490, 3037000501),
            ];
            for name in ["f", "g", "h"] {
                let f = native(m, name);
                for k in ks {
                    for (lo, hi) in ranges {
                        // (An error's trace gives the line of the product.)
                        let args = vec![Value::Int(k), Value::Int(lo), Value::Int(hi)];
                        agrees(m, &f, name, args);
                    }
                }
            }
        });
    }

    /// The Cranelift IR of cell `id` at `level`.
    fn cell_clif(m: &LirModule, level: crate::OptLevel, id: u32) -> String {
        let clif = crate::jit::emit_clif(m, level).unwrap();
        let start = clif.find(&format!("; cell {id}:")).expect("the cell");
        let end = clif[start + 1..]
            .find("; cell ")
            .map_or(clif.len(), |e| start + 1 + e);
        clif[start..end].to_string()
    }

    /// How often each of `ops` occurs in the Cranelift IR of cell `id` at `level`.
    fn op_counts(m: &LirModule, level: crate::OptLevel, id: u32, ops: &[&str]) -> Vec<usize> {
        let clif = cell_clif(m, level, id);
        ops.iter().map(|op| clif.matches(op).count()).collect()
    }

    /// How many accesses at `offset` into the VM context cell `id`'s CLIF makes at O1
    /// (the context is read from the pinned register).
    fn context_reads(m: &LirModule, id: u32, offset: i32) -> usize {
        let clif = cell_clif(m, crate::OptLevel::O1, id);
        let lines: Vec<&str> = clif.lines().collect();
        let ctx: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.trim().strip_suffix(" = get_pinned_reg.i64"))
            .collect();
        assert!(!ctx.is_empty(), "the cell reads the context");
        let at: Vec<String> = ctx.iter().map(|v| format!("{v}+{offset}")).collect();
        lines
            .iter()
            .filter(|l| at.iter().any(|a| l.ends_with(a.as_str())))
            .count()
    }

    type IntOp = fn(i64, i64) -> Result<i64, RtError>;

    const EDGES: [i64; 9] = [0, 1, -1, 2, -7, 7, 13, i64::MAX, i64::MIN];

    #[test]
    fn numeric_builtins_are_computed_inline_as_the_runtime_computes_them() {
        const SRC: &str = "cell plus(a: Float, b: Float, c: Float) -> Float\n  a + b + c\nend\n\
            cell mn(a: Float, b: Float, c: Float) -> Float\n  min(a, b)\nend\n\
            cell mx(a: Float, b: Float, c: Float) -> Float\n  max(a, b)\nend\n\
            cell cl(a: Float, b: Float, c: Float) -> Float\n  clamp(a, b, c)\nend\n\
            cell fl(a: Float, b: Float, c: Float) -> Float\n  floor(a)\nend\n\
            cell ce(a: Float, b: Float, c: Float) -> Float\n  ceil(a)\nend\n\
            cell mni(a: Int, b: Int, c: Int) -> Int\n  min(a, b)\nend\n\
            cell mxi(a: Int, b: Int, c: Int) -> Int\n  max(a, b)\nend\n\
            cell cli(a: Int, b: Int, c: Int) -> Int\n  clamp(a, b, c)\nend\n\
            cell absi(a: Int, b: Int, c: Int) -> Int\n  abs(a)\nend\n\
            cell rd(a: Float, b: Float, c: Float) -> Float\n  round(a)\nend\n\
            cell ex(a: Float, b: Float, c: Float) -> Float\n  exp(a)\nend\n\
            cell lg(a: Float, b: Float, c: Float) -> Float\n  log(a)\nend\n\
            cell sn(a: Float, b: Float, c: Float) -> Float\n  sin(a)\nend\n\
            cell cs(a: Float, b: Float, c: Float) -> Float\n  cos(a)\nend\n\
            cell tn(a: Float, b: Float, c: Float) -> Float\n  tan(a)\nend\n\
            cell at(a: Float, b: Float, c: Float) -> Float\n  atan2(a, b)\nend\n\
            cell pw(a: Float, b: Float, c: Float) -> Float\n  pow(a, b)\nend\n\
            cell main()\nend\n";
        with(SRC, |m| {
            let calls = |name: &str| {
                let id = m.find_cell(name).expect("cell");
                op_counts(m, crate::OptLevel::O1, id, &["call ", "select"])
            };
            // As many calls (the error paths') as a cell of plain arithmetic: none to
            // a builtin; the library functions call the runtime's function directly.
            let base = calls("plus")[0];
            for name in ["mn", "mx", "cl", "fl", "ce", "mni", "mxi", "cli", "absi"] {
                assert_eq!(calls(name)[0], base, "{name}");
            }
            for name in ["rd", "ex", "lg", "sn", "cs", "tn", "at", "pw"] {
                assert_eq!(calls(name)[0], base + 1, "{name}");
            }
            assert!(calls("cl")[1] >= 2 && calls("mni")[1] >= 1);
            let floats = [
                0.0,
                -0.0,
                1.5,
                -1.5,
                -0.5,
                2.5,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ];
            let library = ["rd", "ex", "lg", "sn", "cs", "tn", "at", "pw"];
            for name in ["mn", "mx", "cl", "fl", "ce"].into_iter().chain(library) {
                let f = native(m, name);
                for &a in &floats {
                    for &b in &floats {
                        for c in [0.0, -0.0, f64::NAN, 3.0] {
                            let args = vec![Value::Float(a), Value::Float(b), Value::Float(c)];
                            agrees(m, &f, name, args);
                        }
                    }
                }
            }
            // (`abs(MIN)` raises `integer overflow` as the VM does.)
            for name in ["mni", "mxi", "cli", "absi"] {
                let f = native(m, name);
                for &a in &EDGES {
                    for &b in &EDGES {
                        for c in [0, -7, i64::MAX] {
                            let args = vec![Value::Int(a), Value::Int(b), Value::Int(c)];
                            agrees(m, &f, name, args);
                        }
                    }
                }
            }
        });
    }

    #[test]
    fn string_lengths_are_read_inline_and_count_characters() {
        const SRC: &str =
            "cell sl(s: String) -> Int\n  len(s) * 10 + len(s + \"é\")\nend\ncell main()\nend\n";
        with(SRC, |m| {
            let f = native(m, "sl");
            for s in [
                "",
                "a",
                "héllo",
                "日本語",
                "🎉x",
                "long enough to be anywhere",
            ] {
                agrees(m, &f, "sl", vec![Value::str(s)]);
                let n = s.chars().count() as i64;
                assert_eq!(f.call(&[Value::str(s)]).ok(), Some(Value::Int(n * 11 + 1)));
            }
        });
    }

    #[test]
    fn a_loop_is_single_entry_unless_a_jump_or_the_osr_landing_enters_it_past_its_head() {
        use Instr::{Jump, JumpIfIntCmp, LoadInt};
        // 0: jump 3 (into the loop 2..=4, past its head), 1: r0 = 1,
        // 2: r0 = 2 (head), 3: r0 = 3, 4: if r0 < r1 jump 2, 5: jump 1.
        let code = vec![
            Jump { target: 3 },
            LoadInt { dst: 0, value: 1 },
            LoadInt { dst: 0, value: 2 },
            LoadInt { dst: 0, value: 3 },
            JumpIfIntCmp {
                op: CmpOp::Lt,
                a: 0,
                b: 1,
                target: 2,
            },
            Jump { target: 1 },
        ];
        let jumps = flow::jumps_by_target(&code);
        assert_eq!(jumps, vec![(1, 5), (2, 4), (3, 0)]);
        assert!(!single_entry(&jumps, 2, 4, None));
        // The loop 1..=5 holds the jump at 0's target but not its source.
        assert!(!single_entry(&jumps, 1, 5, None));
        // Jumping to the head instead: one way in, unless the OSR entry lands inside.
        let mut code = code;
        code[0] = Jump { target: 2 };
        let jumps = flow::jumps_by_target(&code);
        assert!(single_entry(&jumps, 2, 4, None));
        assert!(single_entry(&jumps, 2, 4, Some(2)));
        assert!(!single_entry(&jumps, 2, 4, Some(3)));
        assert!(single_entry(&jumps, 2, 4, Some(5)));
    }

    #[test]
    fn scalar_cells_need_no_slots() {
        with(
            "cell fib(n: Int) -> Int\n  if n <= 1 then n else fib(n - 1) + fib(n - 2)\nend\ncell main()\n  print(fib(3))\nend\n",
            |m| {
                assert!(!needs_slots(
                    m,
                    &m.cells[m.find_cell("fib").unwrap() as usize]
                ));
                assert!(needs_slots(
                    m,
                    &m.cells[m.find_cell("main").unwrap() as usize]
                ));
            },
        );
    }

    #[test]
    fn int_division_and_shifts_match_the_shared_semantics() {
        let src = "cell d(a: Int, b: Int) -> Int\n  a / b\nend\n\
                   cell fd(a: Int, b: Int) -> Int\n  a // b\nend\n\
                   cell md(a: Int, b: Int) -> Int\n  a % b\nend\n\
                   cell sl(a: Int, b: Int) -> Int\n  a << b\nend\n\
                   cell sr(a: Int, b: Int) -> Int\n  a >> b\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let cases: [(&str, IntOp); 5] = [
                ("d", ops::int_div),
                ("fd", ops::int_floor_div),
                ("md", ops::int_mod),
                ("sl", |a, b| Ok(ops::int_shl(a, b))),
                ("sr", |a, b| Ok(ops::int_shr(a, b))),
            ];
            for (name, op) in cases {
                let f = native(m, name);
                for a in EDGES {
                    for b in EDGES.iter().copied().chain([64, 65, -1]) {
                        let want = op(a, b).map(Value::Int);
                        let got = f.call(&[Value::Int(a), Value::Int(b)]).map_err(|e| e.error);
                        assert!(
                            match (&want, &got) {
                                (Ok(x), Ok(y)) => x == y,
                                (Err(x), Err(y)) => x == y,
                                _ => false,
                            },
                            "{name}({a}, {b}): want {want:?}, got {got:?}"
                        );
                    }
                }
            }
        });
    }

    #[test]
    fn division_by_any_other_constant_is_a_multiplication_with_the_same_results() {
        // `/`, `//` and `%` by constants without a shift: magic numbers (`divide.rs`),
        // also negative ones and the extremes. 0, 1, -1 and `MIN` divide as before
        // (with `division by zero` and the overflow of `MIN / -1`).
        let divisors = [
            3,
            7,
            10,
            -3,
            -7,
            -8,
            1000003,
            -(1 << 40) - 3,
            i64::MAX,
            i64::MIN + 1,
            0,
            1,
            -1,
            i64::MIN,
        ];
        let ops_of: [(&str, &str, IntOp); 3] = [
            ("/", "div", ops::int_div),
            ("//", "fdiv", ops::int_floor_div),
            ("%", "mod", ops::int_mod),
        ];
        let mut src = String::new();
        for (k, d) in divisors.iter().enumerate() {
            for (op, name, _) in ops_of {
                // (`MIN` and negative literals are written as expressions.)
                let lit = match *d {
                    i64::MIN => "(-9223372036854775807 - 1)".to_string(),
                    d if d < 0 => format!("(0 - {})", -d),
                    d => d.to_string(),
                };
                src.push_str(&format!(
                    "cell {name}{k}(a: Int) -> Int\n  let d = {lit}\n  a {op} d\nend\n"
                ));
            }
        }
        src.push_str("cell main()\nend\n");
        with(src.leak(), move |m| {
            let mut xs: Vec<i64> = EDGES.iter().copied().chain(-40..=40).collect();
            for d in divisors {
                for k in [1i64, 2, 1000, i64::MAX / d.saturating_abs().max(1)] {
                    let p = k.saturating_mul(d.saturating_abs());
                    xs.extend([p - 1, p, p.saturating_add(1), 1 - p, -p, -p - 1]);
                }
            }
            for (k, d) in divisors.iter().enumerate() {
                for (_, name, op) in ops_of {
                    let name = format!("{name}{k}");
                    let f = native(m, &name);
                    for &a in &xs {
                        let want = op(a, *d).map(Value::Int);
                        let got = f.call(&[Value::Int(a)]).map_err(|e| e.error);
                        assert_eq!(
                            format!("{want:?}"),
                            format!("{got:?}"),
                            "{name}({a}) by {d}"
                        );
                    }
                }
            }
            // Only the divisors without magic numbers leave a division instruction.
            let divisions = ["sdiv", "srem", "udiv", "urem"];
            for (k, d) in divisors.iter().enumerate() {
                for j in 0..3 {
                    let id = (3 * k + j) as u32;
                    let n: usize = op_counts(m, crate::OptLevel::O1, id, &divisions)
                        .iter()
                        .sum();
                    assert_eq!(
                        n > 0,
                        Magic::of(*d).is_none(),
                        "{}",
                        m.cells[id as usize].name
                    );
                }
            }
        });
    }

    #[test]
    fn division_by_a_constant_power_of_two_is_a_shift_with_the_same_results() {
        let src = "cell d2(a: Int) -> Int\n  a / 2\nend\n\
                   cell d8(a: Int) -> Int\n  a / 8\nend\n\
                   cell fd4(a: Int) -> Int\n  a // 4\nend\n\
                   cell m2(a: Int) -> Int\n  a % 2\nend\n\
                   cell m16(a: Int) -> Int\n  a % 16\nend\n\
                   cell dbig(a: Int) -> Int\n  a / 4611686018427387904\nend\n\
                   cell mbig(a: Int) -> Int\n  a % 4611686018427387904\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let cases: [(&str, i64, IntOp); 7] = [
                ("d2", 2, ops::int_div),
                ("d8", 8, ops::int_div),
                ("fd4", 4, ops::int_floor_div),
                ("m2", 2, ops::int_mod),
                ("m16", 16, ops::int_mod),
                ("dbig", 1 << 62, ops::int_div),
                ("mbig", 1 << 62, ops::int_mod),
            ];
            let xs = EDGES.iter().copied().chain(-17..=17).chain([
                i64::MIN + 1,
                i64::MAX - 1,
                -(1 << 62),
                (1 << 62) + 5,
            ]);
            for (name, k, op) in cases {
                let f = native(m, name);
                for a in xs.clone() {
                    let want = op(a, k).map(Value::Int);
                    let got = f.call(&[Value::Int(a)]).map_err(|e| e.error);
                    assert_eq!(format!("{want:?}"), format!("{got:?}"), "{name}({a})");
                }
            }
            // No division instruction is left for them.
            let clif = crate::jit::emit_clif(m, crate::OptLevel::O1).unwrap();
            assert!(!clif.contains("sdiv") && !clif.contains("srem"), "{clif}");
        });
    }

    #[test]
    fn a_non_negative_dividend_is_divided_without_sign_fix_ups() {
        // `i * i + i` and `i * 3` are not negative once computed (the loop's `i` is
        // not; in `g`, `x` past the test): `/ 2`, `% 4` and `% 8` need no rounding
        // fix-up, nor does division by other positive constants (a multiplication). Results as the
        // VM's, including the overflow of `x * x`.
        let src = "cell f(n: Int) -> Int\n  let mut s = 0\n  for i in 0..n\n    \
                   s = s % 1000003 + (i * i + i) / 2 + (i * 3) % 4 + (i + 5) % 8 + \
                   (i * i) % 7 + (i + 2) / 3 + (i * 5) // 6\n  end\n  s\nend\n\
                   cell g(x: Int) -> Int\n  if x < 0\n    return x / 2 + x % 4\n  end\n  \
                   (x * x + x) / 2 + (x * 3) % 4 + (x + 5) % 8 + x % 7 + x / 3 + x // 6\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let (f, g) = (native(m, "f"), native(m, "g"));
            for n in [0, 1, 2, 1000, 4001] {
                agrees(m, &f, "f", vec![Value::Int(n)]);
            }
            let xs = EDGES.iter().copied().chain(-9..=9);
            for x in xs.chain([3037000499, 3037000500]) {
                agrees(m, &g, "g", vec![Value::Int(x)]);
            }
            // Only `s % 1000003` rounds its quotient toward zero (`ushr` of its sign):
            // `s` is not known to be non-negative. No division instruction is left.
            // (Each twice: the loop is versioned on `n`, `opt/version.rs`.)
            let ops = ["sshr", "ushr", "smulhi", "urem", "udiv", "srem", "sdiv"];
            let counts = op_counts(m, crate::OptLevel::O1, 0, &ops);
            assert!(counts[0] > 0, "{counts:?}");
            assert_eq!(counts[1..], [2, 8, 0, 0, 0, 0], "{ops:?}");
        });
    }

    #[test]
    fn overflow_past_a_non_negative_operand_is_a_compare() {
        // `s + i`, `i + s`, `s - i` and `s + i % 7` with `i` a loop index: the
        // result is compared with `s` instead of Cranelift's overflow flag, and every
        // overflow is still raised exactly where the VM raises it.
        let cell = |name: &str, step: &str| {
            format!(
                "cell {name}(a: Int, n: Int) -> Int\n  let mut s = a\n  for i in 0..n\n    \
                 s = {step}\n  end\n  s\nend\n"
            )
        };
        let src = [
            cell("up", "s + i"),
            cell("up2", "i + s"),
            cell("down", "s - i"),
            cell("rem", "s + i % 7"),
            "cell main()\nend\n".to_string(),
        ]
        .concat()
        .leak();
        with(src, |m| {
            for (k, name) in ["up", "up2", "down", "rem"].into_iter().enumerate() {
                let f = native(m, name);
                for a in EDGES.iter().copied().chain([i64::MAX - 24, i64::MIN + 3]) {
                    for n in [0, 3, 4, 10, 11] {
                        agrees(m, &f, name, vec![Value::Int(a), Value::Int(n)]);
                    }
                }
                let ops = ["sadd_overflow", "ssub_overflow"];
                assert_eq!(
                    op_counts(m, crate::OptLevel::O1, k as u32, &ops),
                    [0, 0],
                    "{name}"
                );
            }
        });
    }

    #[test]
    fn an_inlined_constant_divisor_is_known_in_its_block() {
        // At O3 `half` and `tenth` are inlined: their literal divisors are written in
        // the loop's block, not in the cell's straight-line start, and still known there.
        let src = "cell half(x: Int) -> Int\n  x / 2\nend\n\
                   cell tenth(x: Int) -> Int\n  x % 10\nend\n\
                   cell f(n: Int) -> Int\n  let mut s = 0\n  for i in 0..n\n    \
                   s = s % 1000003 + half(i * i) + tenth(i + 7)\n  end\n  s\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let f = JitCompiler::with_opt_level(crate::OptLevel::O3)
                .compile_cell(m, m.find_cell("f").unwrap())
                .expect("compiles");
            for n in [0, 1, 5, 3000] {
                agrees(m, &f, "f", vec![Value::Int(n)]);
            }
            // `/ 2` is a shift; `s % 1000003` and `% 10` multiply (in both versions of
            // the loop, `opt/version.rs`).
            let ops = ["sdiv", "srem", "urem", "smulhi"];
            assert_eq!(op_counts(m, crate::OptLevel::O3, 2, &ops), [0, 0, 0, 4]);
        });
    }

    #[test]
    fn a_versioned_loop_checks_its_counters_only_past_the_limit() {
        // `i * j` and `i + j` of counters below `n`: unchecked in the copy that runs when
        // `n <= 2^30` (`opt/version.rs`), checked in the other. Results and errors (the
        // overflow of `* k`) agree with the VM on both sides of the limit; loops past it
        // leave early.
        let src = "cell f(n: Int, k: Int) -> Int\n  let mut s = 0\n  for i in 0..n\n    \
                   for j in 0..n\n      s = (s + i * j * k + (i + j)) % 1000003\n      \
                   if j == 5\n        break\n      end\n    end\n    if i == 4\n      \
                   break\n    end\n  end\n  s\nend\ncell main()\nend\n";
        with(src, |m| {
            let f = native(m, "f");
            let limit = crate::opt::version::LIMIT;
            for n in [0, 1, 3, 7, limit, limit + 1, 1 << 62, i64::MAX] {
                for k in [1, -7, 1 << 40, 1 << 61, i64::MAX, i64::MIN] {
                    agrees(m, &f, "f", vec![Value::Int(n), Value::Int(k)]);
                }
            }
            // `i * j` is checked in the slow copy only; `* k` and the sum in both.
            let ops = ["smul_overflow", "sadd_overflow"];
            assert_eq!(op_counts(m, crate::OptLevel::O1, 0, &ops), [3, 2]);
        });
    }

    #[test]
    fn loop_entries_test_the_condition_on_the_way_in() {
        // Nested `for` loops, one writing a list: each entry jump to a loop's condition
        // is a compare-and-branch of its own, so each condition is compared twice;
        // every trip count, zero included, and the list's facts agree with the VM.
        // (No operand is known non-negative, so no overflow check is a compare.)
        let src = "cell f(n: Int, m: Int) -> Int\n  let mut xs = range(0, m)\n  \
                   let mut s = 0\n  for i in 0..n\n    for j in 0..m\n      xs[j] = xs[j] * 3\n      \
                   s = s * 2 + xs[j]\n    end\n  end\n  s * len(xs)\nend\ncell main()\nend\n";
        with(src, |m| {
            let f = native(m, "f");
            for n in [0, 1, 2, 5] {
                for k in [0, 1, 3] {
                    agrees(m, &f, "f", vec![Value::Int(n), Value::Int(k)]);
                }
            }
            let conditions = (m.cell(0).code.iter())
                .filter(|i| matches!(i, Instr::JumpIfIntCmp { op: CmpOp::Lt, .. }))
                .count();
            assert_eq!(conditions, 2);
            let clif = op_counts(m, crate::OptLevel::O1, 0, &["icmp slt", "icmp.i64 slt"]);
            assert_eq!(clif.iter().sum::<usize>(), 2 * conditions, "{clif:?}");
        });
    }

    #[test]
    fn early_returns_are_answered_by_the_caller_below_the_depth_limit() {
        // `down`'s and `fib`'s base cases are answered at their recursive call sites
        // (each keeps its call for the other case); results agree with the VM, and so
        // does `stack overflow` when the base case would run as the 10,001st call.
        let src = "cell down(n: Int) -> Int\n  if n < 1 then 7 else down(n - 1)\nend\n\
                   cell fib(n: Int) -> Int\n  if n < 2 then n else fib(n - 1) + fib(n - 2)\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let down = native(m, "down");
            for n in (0..4).chain(9995..10002) {
                agrees(m, &down, "down", vec![Value::Int(n)]);
            }
            let fib = native(m, "fib");
            for n in [0, 1, 2, 3, 10, 20] {
                agrees(m, &fib, "fib", vec![Value::Int(n)]);
            }
            // Each call site tests the depth first (`ult`; the prologue's test is `uge`).
            let counts = op_counts(m, crate::OptLevel::O1, 1, &["icmp.i32 ult", "call fn0"]);
            assert_eq!(counts, [2, 2], "fib's two calls are guarded");
        });
    }

    #[test]
    fn osr_entries_land_on_a_rotated_loops_condition_only() {
        // `for` loops are rotated: the entry jumps to the condition, which jumps back
        // to the body (the header). A `while` whose condition calls a cell, or a
        // `while true`, keeps its header.
        let src = "cell f(n: Int) -> Int\n  let mut s = 0\n  for i in 0..n\n    s += i\n  end\n  s\nend\n\
                   cell g(n: Int) -> Int\n  let mut i = 0\n  while f(i) < n\n    i += 1\n  end\n  i\nend\n\
                   cell h(n: Int) -> Int\n  let mut i = 0\n  while true\n    if i > n\n      return i\n    end\n    i += 1\n  end\n  i\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            for (name, rotated) in [("f", true), ("g", false), ("h", false)] {
                let cell = &m.cells[m.find_cell(name).unwrap() as usize];
                let (q, head) = cell
                    .code
                    .iter()
                    .enumerate()
                    .find_map(|(q, i)| i.jump_target().filter(|&t| t as usize <= q).map(|t| (q, t)))
                    .expect("a loop");
                let landing = osr_landing(cell, head);
                if rotated {
                    assert_eq!(landing, q as u32, "{name}");
                    assert!(matches!(cell.code[q], Instr::JumpIfIntCmp { .. }));
                } else {
                    assert_eq!(landing, head, "{name}");
                }
            }
        });
    }

    #[test]
    fn float_operations_match_the_shared_semantics() {
        let src = "cell fd(a: Float, b: Float) -> Float\n  a // b\nend\n\
                   cell md(a: Float, b: Float) -> Float\n  a % b\nend\n\
                   cell pw(a: Float, b: Float) -> Float\n  a ** b\nend\n\
                   cell ti(a: Float) -> Int\n  a as Int\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let xs = [
                0.0,
                -0.0,
                1.5,
                -7.25,
                3.0,
                f64::INFINITY,
                f64::NAN,
                9.3e18,
                -9.3e18,
            ];
            let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            let fs = [
                (native(m, "fd"), ops::float_floor_div as fn(f64, f64) -> f64),
                (native(m, "md"), ops::float_mod),
                (native(m, "pw"), ops::float_pow),
            ];
            let ti = native(m, "ti");
            for a in xs {
                for b in xs {
                    for (name, (f, op)) in ["fd", "md", "pw"].iter().zip(&fs) {
                        match f.call(&[Value::Float(a), Value::Float(b)]) {
                            Ok(Value::Float(got)) => {
                                assert!(same(got, op(a, b)), "{name}({a}, {b}) = {got}")
                            }
                            other => panic!("{name}({a}, {b}) = {other:?}"),
                        }
                    }
                }
                let want = ops::float_to_int(a).map(Value::Int);
                let got = ti.call(&[Value::Float(a)]).map_err(|e| e.error);
                assert_eq!(format!("{want:?}"), format!("{got:?}"), "{a} as Int");
            }
        });
    }

    #[test]
    fn checked_arithmetic_raises() {
        let src = "cell add(a: Int, b: Int) -> Int\n  a + b\nend\n\
                   cell neg(a: Int) -> Int\n  -a\nend\n\
                   cell pw(a: Int, b: Int) -> Int\n  a ** b\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let i = Value::Int;
            assert_eq!(
                call(m, "add", &[i(i64::MAX), i(1)]),
                Err(RtError::IntegerOverflow)
            );
            assert_eq!(call(m, "add", &[i(-3), i(1)]), Ok(i(-2)));
            assert_eq!(
                call(m, "neg", &[i(i64::MIN)]),
                Err(RtError::IntegerOverflow)
            );
            assert_eq!(
                call(m, "pw", &[i(2), i(-1)]),
                Err(RtError::NegativeExponent)
            );
            assert_eq!(call(m, "pw", &[i(3), i(4)]), Ok(i(81)));
        });
    }

    #[test]
    fn list_fast_paths_keep_copy_on_write_and_bounds() {
        let src = "cell get(xs: list[Float], i: Int) -> Float\n  xs[i]\nend\n\
                   cell set(xs: list[Int]) -> Int\n  let mut ys = xs\n  ys[0] = 5\n  xs[0] + ys[0]\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let xs = Value::list(vec![Value::Float(1.5), Value::Float(2.5)]);
            assert_eq!(
                call(m, "get", &[xs.clone(), Value::Int(1)]),
                Ok(Value::Float(2.5))
            );
            assert_eq!(
                call(m, "get", &[xs.clone(), Value::Int(2)]),
                Err(RtError::IndexOutOfBounds)
            );
            assert_eq!(
                call(m, "get", &[xs, Value::Int(-1)]),
                Err(RtError::IndexOutOfBounds)
            );
            let ys = Value::list(vec![Value::Int(1)]);
            assert_eq!(call(m, "set", &[ys]), Ok(Value::Int(6)));
        });
    }

    #[test]
    fn cached_list_facts_respect_sharing_and_growth() {
        let src = "cell f(xs: list[Int]) -> Int\n  let mut a = xs\n  a[0] = 1\n  let b = a\n  a[0] = 2\n  a = append(a, 7)\n  b[0] * 100 + a[0] * 10 + len(a)\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let xs = Value::list(vec![Value::Int(0)]);
            assert_eq!(call(m, "f", &[xs]), Ok(Value::Int(122)));
        });
    }

    #[test]
    fn record_and_heap_element_fast_paths_copy_on_write() {
        let src = "record P\n  x: Int\n  name: String\nend\n\
                   cell f() -> Int\n  let a = P(x: 1, name: \"a\")\n  let mut b = a\n  b.x = 5\n  b.name = \"bb\"\n  let mut names = [\"p\", \"q\"]\n  names[1] = b.name\n  let n = names[1]\n  a.x * 100 + b.x * 10 + len(n) + len(a.name) * 1000\nend\n\
                   cell main()\nend\n";
        with(src, |m| assert_eq!(call(m, "f", &[]), Ok(Value::Int(1152))));
    }

    #[test]
    fn one_byte_strings_compare_inline_like_the_vm() {
        // Every operator on pairs of one-byte strings (inline) and others (helper).
        let src = "cell f(a: String, b: String) -> String\n  \
                   \"{a == b}{a != b}{a < b}{a <= b}{a > b}{a >= b}\"\nend\ncell main()\nend\n";
        with(src, |m| {
            let f = m.find_cell("f").unwrap();
            let native = crate::JitCompiler::new().compile_cell(m, f).unwrap();
            let strs = ["", "0", "9", ";", "a", "ab", "\u{7f}", "é", "\0"];
            for a in strs {
                for b in strs {
                    agrees(m, &native, "f", vec![Value::str(a), Value::str(b)]);
                }
            }
        });
    }

    #[test]
    fn pool_constants_are_shared_inline() {
        // `LoadConst` of a String or a payload-free variant shares the pool's value
        // inline (no helper call), releasing what the register held; the pool keeps
        // its value for every later load.
        let src = "enum T\n  Leaf\n  Node(T, T)\nend\n\
                   cell f(n: Int) -> String\n  let mut s = \"start\"\n  let mut out = \"\"\n  \
                   for i in 0..n\n    s = \"abc\"\n    out = out ++ s\n  end\n  out ++ s\nend\n\
                   cell g(n: Int) -> T\n  let mut t = Leaf\n  for i in 0..n\n    t = Node(t, Leaf)\n  end\n  t\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let f = m.find_cell("f").unwrap();
            // Each of the three loads reads the pool pointer from the context.
            assert_eq!(context_reads(m, f, CTX_CONSTS_OFFSET), 3);
            let native = crate::JitCompiler::new().compile_cell(m, f).unwrap();
            for n in [0, 1, 3] {
                agrees(m, &native, "f", vec![Value::Int(n)]);
            }
            let g = crate::JitCompiler::new()
                .compile_cell(m, m.find_cell("g").unwrap())
                .unwrap();
            for n in [0, 2, 5] {
                agrees(m, &g, "g", vec![Value::Int(n)]);
            }
        });
    }

    #[test]
    fn inline_append_keeps_copy_on_write_and_grows() {
        // `ys` shares `xs`'s list when appended to: the copy must not change `xs`; the
        // loop appends past every capacity; heap elements are moved in.
        let src = "cell f(xs: list[Int]) -> Int\n  let mut ys = xs\n  ys = append(ys, 5)\n  let mut zs: list[Int] = []\n  for i in 0..100\n    zs = append(zs, i)\n  end\n  let mut names: list[String] = []\n  for i in 0..3\n    names = append(names, \"n{i}\")\n  end\n  len(xs) * 10000 + len(ys) * 1000 + zs[99] + len(names[2]) * 100000\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            let xs = Value::list(vec![Value::Int(1), Value::Int(2)]);
            assert_eq!(
                call(m, "f", &[xs]),
                Ok(Value::Int(2 * 100000 + 20000 + 3000 + 99))
            );
        });
    }

    #[test]
    fn enum_payloads_tags_and_tuples_are_read_inline() {
        let src = "enum T\n  Leaf\n  Node(T, Int, T)\nend\n\
                   cell sum(t: T) -> Int\n  match t\n    Leaf -> 0\n    Node(l, v, r) -> sum(l) + v + sum(r)\n  end\nend\n\
                   cell pick(p: tuple[Int, String]) -> Int\n  let (n, s) = p\n  n + len(s) + p.0\nend\n\
                   cell main()\nend\n";
        with(src, |m| {
            use lumen_core::value::{Tuple, Variant};
            use std::rc::Rc;
            let t = |tag, payload| {
                Value::Variant(Rc::new(Variant {
                    type_id: 0,
                    tag,
                    payload,
                }))
            };
            let node = t(1, vec![t(0, vec![]), Value::Int(7), t(0, vec![])]);
            let top = t(1, vec![node.clone(), Value::Int(5), node]);
            assert_eq!(call(m, "sum", &[top]), Ok(Value::Int(19)));
            let p = Value::Tuple(Rc::new(Tuple {
                items: vec![Value::Int(4), Value::str("abc")],
            }));
            assert_eq!(call(m, "pick", &[p]), Ok(Value::Int(11)));
        });
    }

    #[test]
    fn depth_limit_is_ten_thousand_calls() {
        let src = "cell down(n: Int) -> Int\n  if n == 0 then 0 else down(n - 1)\nend\ncell main()\nend\n";
        with(src, |m| {
            // `down(n)` makes n + 1 active calls.
            assert_eq!(call(m, "down", &[Value::Int(9_999)]), Ok(Value::Int(0)));
            assert_eq!(
                call(m, "down", &[Value::Int(10_000)]),
                Err(RtError::StackOverflow)
            );
        });
    }

    /// The `.lm` programs under `dir`, recursively.
    fn lumen_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                lumen_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "lm") {
                out.push(p);
            }
        }
    }

    #[test]
    fn the_corpus_reaches_nearly_every_helper() {
        // Every instruction `instr` sends to `generic` has a helper (`generic` cannot
        // emit a call otherwise, and jit_corpus compiles every program); this checks
        // that the corpus exercises (nearly) all of them, unoptimised and at O3.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests");
        let mut files = Vec::new();
        lumen_files(&root, &mut files);
        let (programs, helpers) = lumen_rt::run_on_big_stack(move || {
            let mut helpers = std::collections::BTreeSet::new();
            let mut programs = 0;
            for f in files {
                let Ok(src) = std::fs::read_to_string(&f) else {
                    continue;
                };
                let Ok(m) = lumen_compiler::compile(&src) else {
                    continue; // compile-error tests
                };
                programs += 1;
                let mut o3 = m.clone();
                crate::opt::optimize(&mut o3, crate::OptLevel::O3);
                for ins in m.cells.iter().chain(&o3.cells).flat_map(|c| &c.code) {
                    helpers.extend(op_helper(ins).map(|h| h.name));
                }
            }
            (programs, helpers)
        });
        assert!(programs > 50, "the corpus was found ({programs} programs)");
        assert!(helpers.len() >= 30, "{helpers:?}");
    }

    #[test]
    fn values_live_across_cold_list_paths_survive() {
        // `ys` shares `xs`, so every `xs[..] = ..` copies on write, and `append` outgrows
        // the capacity now and then: both take the cold path through a register-preserving
        // thunk while the Floats and Ints below are live in registers.
        let src = "cell mix(n: Int) -> Float\n\
                   \x20 let mut xs = [0.5, 1.5]\n\
                   \x20 let mut a = 1.25\n  let mut b = 2.5\n  let mut c = 0.75\n  let mut d = 3.5\n\
                   \x20 let mut e = 0.125\n  let mut f = 4.0\n  let mut g = 1.0\n  let mut h = 2.0\n\
                   \x20 let mut i1 = 1\n  let mut i2 = 2\n  let mut i3 = 3\n  let mut i4 = 4\n\
                   \x20 let mut total = 0.0\n\
                   \x20 for k in 0..n\n\
                   \x20   let ys = xs\n\
                   \x20   xs[k % 2] = a * b + c\n\
                   \x20   xs = append(xs, d - e * f)\n\
                   \x20   a = a + g * 0.5\n    b = b - h * 0.25\n    c = c * 1.5 - a\n    d = d + b\n\
                   \x20   e = e + 0.125\n    f = f - c * 0.01\n    g = g * 0.99\n    h = h + 0.5\n\
                   \x20   i1 = i1 + i2\n    i2 = i2 * 3 % 1000\n    i3 = i3 + i4 * k\n    i4 = i4 - 1\n\
                   \x20   total = total + ys[0] + xs[len(xs) - 1]\n\
                   \x20 end\n\
                   \x20 total + a + b + c + d + e + f + g + h + ((i1 + i2 + i3 + i4) as Float)\n\
                   end\n\
                   cell main()\nend\n";
        with(src, |m| {
            let clif = crate::jit::emit_clif(m, crate::OptLevel::O1).unwrap();
            assert!(
                clif.contains("preserve_all"),
                "the cold paths use thunks:\n{clif}"
            );
            for n in [0, 1, 2, 7, 40] {
                let mut vm = lumen_rt::VM::new(m.clone());
                let want = vm.call_cell_by_name("mix", vec![Value::Int(n)]).unwrap();
                for level in [crate::OptLevel::O1, crate::OptLevel::O3] {
                    let got = JitCompiler::with_opt_level(level)
                        .compile_cell(m, m.find_cell("mix").unwrap())
                        .unwrap()
                        .call(&[Value::Int(n)])
                        .unwrap();
                    assert_eq!(
                        format!("{got:?}"),
                        format!("{want:?}"),
                        "n = {n} at {level:?}"
                    );
                }
            }
        });
    }
}
