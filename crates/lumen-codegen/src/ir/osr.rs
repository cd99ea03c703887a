//! On-stack-replacement functions (`docs/jit.md`, "Tiering"): a cell's code entered at a
//! loop header with its registers loaded from the VM's register window.
//!
//! An OSR function has the cell's own signature and is called with `hargs` = the window
//! (and the scalar parameters read from it): the ordinary prologue takes the parameters,
//! then every other register is loaded from the window (scalars read, other values moved
//! out) and control jumps to the header. The rest is the cell's ordinary translation, so
//! the function returns, fails and counts depth exactly as the cell does.

use super::Translator;
use crate::emit::{Emitter, flags, scalar_tag};
use crate::types::param_regs;
use cranelift_codegen::ir::{InstBuilder, condcodes::IntCC, types};
use cranelift_module::Module;
use lumen_core::lir::{LirModule, Reg};
use lumen_core::value::{CellId, TAG_NULL};

/// Translates cell `id` of `m` entered at loop header `header` into the function being
/// built by `e` (whose signature must be `types::cell_signature` of the cell). Fails
/// without building anything when `header` is not a jump target of the cell.
pub fn translate_osr<M: Module>(
    e: &mut Emitter<'_, '_, M>,
    m: &LirModule,
    id: CellId,
    header: u32,
) -> Result<(), String> {
    let cell = m
        .cells
        .get(id as usize)
        .ok_or_else(|| format!("no cell {id}"))?;
    if !cell.code.iter().any(|i| i.jump_target() == Some(header)) {
        return Err(format!("{}: {header} is not a loop header", cell.name));
    }
    let mut t = Translator::new(e, m, id, cell);
    t.prologue();
    t.load_window();
    let head = t.block(header);
    t.e.b.ins().jump(head, &[]);
    t.body_from(true);
    t.finish();
    Ok(())
}

impl<M: Module> Translator<'_, '_, '_, M> {
    /// Loads every register but the parameters (which the prologue took) from the window
    /// at `hargs`. A scalar register holding another kind of value is dead at the header
    /// (the VM leaves stale values in registers not yet written), so it reads as zero.
    fn load_window(&mut self) {
        let h = self.hargs;
        for r in param_regs(self.cell).end as Reg..self.cell.regs.len() as Reg {
            let o = Self::off(r);
            if let Some(var) = self.vars[r as usize] {
                let t = self.ty(r);
                let tag = self.e.tag_at(h, o);
                let ok = self
                    .e
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, tag, scalar_tag(t) as i64);
                let v = self.e.payload_at(t, h, o);
                let ty = self.e.b.func.dfg.value_type(v);
                let zero = if ty == types::F64 {
                    self.e.b.ins().f64const(0.0)
                } else {
                    self.e.b.ins().iconst(ty, 0)
                };
                let v = self.e.b.ins().select(ok, v, zero);
                self.e.b.def_var(var, v);
            } else {
                // Move the value into the slot (which holds null after the prologue).
                let w = self.window();
                let w0 = self.e.b.ins().load(types::I64, flags(), h, o);
                let w1 = self.e.b.ins().load(types::I64, flags(), h, o + 8);
                self.e.b.ins().store(flags(), w0, w, o);
                self.e.b.ins().store(flags(), w1, w, o + 8);
                let z = self.e.b.ins().iconst(types::I8, TAG_NULL as i64);
                self.e.b.ins().store(flags(), z, h, o);
            }
        }
    }
}
