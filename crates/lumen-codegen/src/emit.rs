//! Code emission utilities: helper calls, `Value` loads and stores through pointers,
//! and the per-cell entry trampoline `extern "C" fn(ctx, args, ret)`.

use crate::context::CompileContext;
use crate::types::{PTR, param_regs, returns_words, scalar_type, takes_hargs};
use cranelift_codegen::ir::{
    Block, FuncRef, InstBuilder, MemFlagsData, Value as Val, condcodes::IntCC, types,
};
use cranelift_frontend::FunctionBuilder;
use cranelift_module::{FuncId, Module};
use lumen_core::lir::{Cell, RegTy};
use lumen_core::value::{
    TAG_BOOL, TAG_NULL, TAG_STR, VALUE_BOOL_OFFSET, VALUE_PAYLOAD_OFFSET, VALUE_SIZE,
};
use lumen_rt::native::abi::RAISE_BAD_TAG;
use lumen_rt::native::{CTX_DEPTH_OFFSET, CTX_ERR_OFFSET};
use std::collections::HashMap;

/// Memory flags of every access to slots and runtime structures (aligned, never trapping).
pub fn flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// A function under construction plus what it needs to reference other functions.
pub struct Emitter<'a, 'b, M: Module> {
    /// The function builder.
    pub b: FunctionBuilder<'b>,
    /// The module functions are declared in.
    pub module: &'a mut M,
    /// Declared helpers and cells.
    pub cx: &'a CompileContext,
    refs: HashMap<FuncId, FuncRef>,
}

impl<'a, 'b, M: Module> Emitter<'a, 'b, M> {
    /// An emitter over `b`.
    pub fn new(b: FunctionBuilder<'b>, module: &'a mut M, cx: &'a CompileContext) -> Self {
        Emitter {
            b,
            module,
            cx,
            refs: HashMap::new(),
        }
    }

    /// A reference to function `id` usable in this function.
    pub fn func_ref(&mut self, id: FuncId) -> FuncRef {
        if let Some(&r) = self.refs.get(&id) {
            return r;
        }
        let r = self.module.declare_func_in_func(id, self.b.func);
        self.refs.insert(id, r);
        r
    }

    /// Calls runtime helper `name`, returning its result if it has one.
    pub fn helper(&mut self, name: &str, args: &[Val]) -> Option<Val> {
        let Some(id) = self.cx.helper(name) else {
            // Every name used here is in the table (checked by a unit test).
            panic!("helper {name} is not declared");
        };
        let f = self.func_ref(id);
        let call = self.b.ins().call(f, args);
        self.b.inst_results(call).first().copied()
    }

    /// Calls runtime helper `name` (which returns nothing) through its register-preserving
    /// thunk ([`CompileContext::preserving`]): for cold paths that rejoin hot code.
    pub fn helper_preserving(&mut self, name: &'static str, args: &[Val]) {
        let id = match self.cx.preserving(self.module, name) {
            Ok(id) => id,
            // Only the helpers of ListSet/FieldSet/append come here: all in the table and
            // returning nothing (values_live_across_cold_list_paths_survive, jit_corpus).
            Err(e) => panic!("{e}"),
        };
        let f = self.func_ref(id);
        self.b.ins().call(f, args);
    }

    /// The raise kind (i32) of a register wanting tag `want` and holding a value of tag
    /// `found` (i8): `RAISE_BAD_TAG | want << 8 | found << 16`.
    pub fn bad_tag_kind(&mut self, want: u8, found: Val) -> Val {
        let found = self.b.ins().uextend(types::I32, found);
        let found = self.b.ins().ishl_imm_u(found, 16);
        let k = RAISE_BAD_TAG | u32::from(want) << 8;
        self.b.ins().bor_imm_s(found, i64::from(k))
    }

    /// An i32 constant.
    pub fn i32(&mut self, v: u32) -> Val {
        self.b.ins().iconst(types::I32, v as i64)
    }

    /// The tag byte of the `Value` at `p + off`.
    pub fn tag_at(&mut self, p: Val, off: i32) -> Val {
        self.b.ins().load(types::I8, flags(), p, off)
    }

    /// Gives up the value at `p + off` (which then must be overwritten): nothing for a
    /// scalar; for a heap value the strong count of its `Rc` is decremented inline, or,
    /// when this is the last reference, `lumen_rt_drop_value` frees it (cold path).
    /// Every heap kind is an `Rc` whose allocation starts with the counts (`RcInner` is
    /// `repr(C)`), so one offset serves them all (`cx.list.strong`, measured).
    pub fn release(&mut self, p: Val, off: i32) {
        let tag = self.tag_at(p, off);
        let owns = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, tag, TAG_STR as i64);
        let heap = self.b.create_block();
        let last = self.b.create_block();
        let shared = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(last);
        self.b.ins().brif(owns, heap, &[], cont, &[]);
        self.b.switch_to_block(heap);
        let at = self.cx.list.strong;
        let rc = self
            .b
            .ins()
            .load(PTR, flags(), p, off + VALUE_PAYLOAD_OFFSET as i32);
        let strong = self.b.ins().load(PTR, flags(), rc, at);
        let one = self.b.ins().icmp_imm_s(IntCC::Equal, strong, 1);
        self.b.ins().brif(one, last, &[], shared, &[]);
        self.b.switch_to_block(shared);
        let dec = self.b.ins().iadd_imm_s(strong, -1);
        self.b.ins().store(flags(), dec, rc, at);
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(last);
        let addr = self.b.ins().iadd_imm_s(p, off as i64);
        self.helper("lumen_rt_drop_value", &[addr]);
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
    }

    /// Moves the value at `from + fo` to `to + to_off` (which must own nothing): the two
    /// words are copied and the source left null.
    pub fn move_value(&mut self, from: Val, fo: i32, to: Val, to_off: i32) {
        let w0 = self.b.ins().load(types::I64, flags(), from, fo);
        let w1 = self.b.ins().load(types::I64, flags(), from, fo + 8);
        self.b.ins().store(flags(), w0, to, to_off);
        self.b.ins().store(flags(), w1, to, to_off + 8);
        let null = self.b.ins().iconst(types::I8, TAG_NULL as i64);
        self.b.ins().store(flags(), null, from, fo);
    }

    /// `*dst = *src` sharing a heap value (the old `*dst` released first), inline: the
    /// two words are copied and a heap payload's strong count incremented. `dst` and
    /// `src` may be the same value.
    pub fn share(&mut self, dst: Val, src: Val) {
        let w0 = self.b.ins().load(types::I64, flags(), src, 0);
        let w1 = self.b.ins().load(types::I64, flags(), src, 8);
        let tag = self.b.ins().ireduce(types::I8, w0);
        let heap = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, tag, TAG_STR as i64);
        let inc = self.b.create_block();
        let cont = self.b.create_block();
        self.b.ins().brif(heap, inc, &[], cont, &[]);
        self.b.switch_to_block(inc);
        let at = self.cx.list.strong;
        let strong = self.b.ins().load(PTR, flags(), w1, at);
        let more = self.b.ins().iadd_imm_s(strong, 1);
        self.b.ins().store(flags(), more, w1, at);
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
        // Released after the increment, so a value shared with itself survives.
        self.release(dst, 0);
        self.b.ins().store(flags(), w0, dst, 0);
        self.b.ins().store(flags(), w1, dst, 8);
    }

    /// Stores scalar `v` of register type `t` as a `Value` at `p + off` (the old value
    /// there must own nothing).
    pub fn box_at(&mut self, t: RegTy, v: Val, p: Val, off: i32) {
        let tag = self.b.ins().iconst(types::I8, scalar_tag(t) as i64);
        self.b.ins().store(flags(), tag, p, off);
        self.payload_store(t, v, p, off);
    }

    /// The two words of the `Value` holding scalar `v` of register type `t`.
    pub fn scalar_words(&mut self, t: RegTy, v: Val) -> (Val, Val) {
        let tag = scalar_tag(t) as i64;
        match t {
            RegTy::Int => (self.b.ins().iconst(types::I64, tag), v),
            RegTy::Float => {
                let bits = self.b.ins().bitcast(types::I64, MemFlagsData::new(), v);
                (self.b.ins().iconst(types::I64, tag), bits)
            }
            _ => {
                debug_assert_eq!(VALUE_BOOL_OFFSET, 1);
                let b = self.b.ins().uextend(types::I64, v);
                let b = self.b.ins().ishl_imm_u(b, 8);
                let w0 = self.b.ins().bor_imm_u(b, tag);
                (w0, self.b.ins().iconst(types::I64, 0))
            }
        }
    }

    /// Stores the `Value` of words `w0`, `w1` at `p` (an entry's `*ret`) as two 8-byte
    /// words, which the runtime reads back as words (`native::Ret`): each load is then
    /// forwarded from its store. (One 16-byte vector store would serve a 16-byte load
    /// too, but vector code made every compile about 15% slower.)
    pub fn store_words(&mut self, w0: Val, w1: Val, p: Val) {
        self.b.ins().store(flags(), w0, p, 0);
        self.b.ins().store(flags(), w1, p, 8);
    }

    /// Writes scalar `v` of type `t` as the payload of the `Value` at `p + off`, leaving
    /// its tag as it is (which must be `t`'s, or be rewritten before anything reads it).
    pub fn payload_store(&mut self, t: RegTy, v: Val, p: Val, off: i32) {
        let at = match t {
            RegTy::Int | RegTy::Float => VALUE_PAYLOAD_OFFSET,
            _ => VALUE_BOOL_OFFSET,
        };
        self.b.ins().store(flags(), v, p, off + at as i32);
    }

    /// The payload of the `Value` at `p + off`, read as scalar type `t`.
    /// The scalar parameters of `cell`, unboxed from the argument values at `args`
    /// (unchecked: the VM's values have their registers' kinds, and `VM::call_cell`
    /// checks an embedder's).
    pub fn unbox_params(&mut self, cell: &Cell, args: Val) -> Vec<Val> {
        param_regs(cell)
            .filter(|&r| scalar_type(cell.regs[r]).is_some())
            .map(|r| self.payload_at(cell.regs[r], args, (r * VALUE_SIZE) as i32))
            .collect()
    }

    pub fn payload_at(&mut self, t: RegTy, p: Val, off: i32) -> Val {
        match t {
            RegTy::Int => {
                self.b
                    .ins()
                    .load(types::I64, flags(), p, off + VALUE_PAYLOAD_OFFSET as i32)
            }
            RegTy::Float => {
                self.b
                    .ins()
                    .load(types::F64, flags(), p, off + VALUE_PAYLOAD_OFFSET as i32)
            }
            _ => self
                .b
                .ins()
                .load(types::I8, flags(), p, off + VALUE_BOOL_OFFSET as i32),
        }
    }

    /// Branches to `bad` unless the `Value` at `p + off` has the tag of scalar type `t`.
    pub fn check_tag(&mut self, t: RegTy, p: Val, off: i32, bad: Block) {
        let want = scalar_tag(t);
        let tag = self.tag_at(p, off);
        let ok = self.b.ins().icmp_imm_s(IntCC::Equal, tag, want as i64);
        let next = self.b.create_block();
        self.b.ins().brif(ok, next, &[], bad, &[]);
        self.b.switch_to_block(next);
    }

    /// The VM context. Native code keeps it in the pinned register
    /// (`jit::build_isa`) and reads it at each use, so no register holds it across
    /// calls and calls between native functions do not pass it.
    pub fn ctx(&mut self) -> Val {
        self.b.ins().get_pinned_reg(PTR)
    }

    /// The start of an entry from Rust: pins its context argument `ctx` and returns the
    /// caller's value of the register, which [`Self::unpin`] gives back before each
    /// return (it is callee-saved in the C convention: Rust code may keep its own there).
    pub fn pin(&mut self, ctx: Val) -> Val {
        let saved = self.ctx();
        self.b.ins().set_pinned_reg(ctx);
        saved
    }

    /// Gives the pinned register back the value [`Self::pin`] saved.
    pub fn unpin(&mut self, saved: Val) {
        self.b.ins().set_pinned_reg(saved);
    }

    /// `ctx.err` (i32).
    pub fn load_err(&mut self) -> Val {
        let ctx = self.ctx();
        self.b.ins().load(types::I32, flags(), ctx, CTX_ERR_OFFSET)
    }

    /// `ctx.depth` (i32).
    pub fn load_depth(&mut self) -> Val {
        let ctx = self.ctx();
        self.b
            .ins()
            .load(types::I32, flags(), ctx, CTX_DEPTH_OFFSET)
    }

    /// `ctx.depth = v`.
    pub fn store_depth(&mut self, v: Val) {
        let ctx = self.ctx();
        self.b.ins().store(flags(), v, ctx, CTX_DEPTH_OFFSET);
    }

    /// Zero values for `tys` (results of a function returning after an error).
    pub fn zeros(&mut self, tys: &[types::Type]) -> Vec<Val> {
        tys.iter()
            .map(|&t| {
                if t == types::F64 {
                    self.b.ins().f64const(0.0)
                } else {
                    self.b.ins().iconst(t, 0)
                }
            })
            .collect()
    }
}

/// The tag of scalar register type `t` (Bool's for a non-scalar: callers pass scalars).
pub fn scalar_tag(t: RegTy) -> u8 {
    t.scalar_tag().unwrap_or(TAG_BOOL)
}

/// Builds the entry trampoline of `cell` (function `id`): unboxes its scalar parameters
/// from `args` ([`Emitter::unbox_params`]), calls the cell's native function with
/// `hargs = args`, and stores the result into `*ret`.
pub fn build_entry<M: Module>(e: &mut Emitter<'_, '_, M>, id: u32, cell: &Cell) {
    let entry = e.b.create_block();
    e.b.append_block_params_for_function_params(entry);
    e.b.switch_to_block(entry);
    let p = e.b.block_params(entry).to_vec();
    let (ctx, args, ret) = (p[0], p[1], p[2]);
    let saved = e.pin(ctx);
    let depth = e.load_depth();
    let mut call_args = Vec::new();
    if takes_hargs(cell) {
        call_args.push(args);
    }
    call_args.push(depth);
    call_args.extend(e.unbox_params(cell, args));
    let f = e.func_ref(e.cx.cells[id as usize]);
    let call = e.b.ins().call(f, &call_args);
    // (A scalar result's failure flag, the callee's second result, is not needed: the
    // VM reads the pending error from the context.)
    let res = e.b.inst_results(call).to_vec();
    let (w0, w1) = if returns_words(cell) {
        (res[0], res[1])
    } else {
        e.scalar_words(cell.ret, res[0])
    };
    e.store_words(w0, w1, ret);
    e.unpin(saved);
    e.b.ins().return_(&[]);
}

/// The pointer type (for slot addresses).
pub fn ptr() -> types::Type {
    PTR
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::value::{TAG_FLOAT, TAG_INT};

    #[test]
    fn scalar_tags_are_the_value_tags() {
        assert_eq!(scalar_tag(RegTy::Int), TAG_INT);
        assert_eq!(scalar_tag(RegTy::Float), TAG_FLOAT);
        assert_eq!(scalar_tag(RegTy::Bool), TAG_BOOL);
    }
}
