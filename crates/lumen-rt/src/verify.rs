//! Load-time checks that make the interpreter's unchecked register and code accesses
//! sound: every operand register lies inside its cell's register file, every jump target
//! and callee exists, and no cell can run off the end of its code. A module that fails
//! them is reported as an internal error when the VM is asked to run it.

use lumen_core::lir::{Cell, Instr, LirModule, TypeDef};

/// Checks `m`; `Err` describes the first problem found.
pub(crate) fn verify(m: &LirModule) -> Result<(), String> {
    if let Some(main) = m.main
        && main as usize >= m.cells.len()
    {
        return Err(format!("main cell {main} does not exist"));
    }
    for (id, cell) in m.cells.iter().enumerate() {
        verify_cell(m, cell).map_err(|e| format!("cell {id} ({}): {e}", cell.name))?;
    }
    Ok(())
}

fn verify_cell(m: &LirModule, cell: &Cell) -> Result<(), String> {
    let nregs = cell.regs.len() as u64;
    let ncode = cell.code.len() as u64;
    if cell.pos.len() != cell.code.len() {
        return Err("pos and code lengths differ".into());
    }
    if (cell.params as u64) + (cell.captures as u64) > nregs {
        return Err("parameters and captures exceed the registers".into());
    }
    match cell.code.last() {
        Some(Instr::Jump { .. } | Instr::Return { .. } | Instr::Halt { .. } | Instr::NoMatch) => {}
        _ => return Err("code does not end with a jump, return or halt".into()),
    }
    for (pc, ins) in cell.code.iter().enumerate() {
        check_instr(m, ins, nregs, ncode).map_err(|e| format!("instruction {pc} {ins:?}: {e}"))?;
    }
    Ok(())
}

/// Checks one instruction's operands.
fn check_instr(m: &LirModule, ins: &Instr, nregs: u64, ncode: u64) -> Result<(), String> {
    use Instr::*;
    let r = |x: u32| -> Result<(), String> {
        if (x as u64) < nregs {
            Ok(())
        } else {
            Err(format!("register {x} out of range"))
        }
    };
    let range = |start: u32, count: u64| -> Result<(), String> {
        if start as u64 + count <= nregs {
            Ok(())
        } else {
            Err("operand range out of range".into())
        }
    };
    let jump = |t: u32| -> Result<(), String> {
        if (t as u64) < ncode {
            Ok(())
        } else {
            Err(format!("jump target {t} out of range"))
        }
    };
    let callee = |c: u32| -> Result<&Cell, String> {
        m.cells
            .get(c as usize)
            .ok_or_else(|| format!("cell {c} does not exist"))
    };
    match *ins {
        LoadInt { dst, .. } | LoadFloat { dst, .. } | LoadBool { dst, .. } | LoadNull { dst } => {
            r(dst)
        }
        LoadConst { dst, idx } => {
            if idx as usize >= m.consts.len() {
                return Err("constant out of range".into());
            }
            r(dst)
        }
        Copy { dst, src }
        | Move { dst, src }
        | IntNeg { dst, src }
        | BitNot { dst, src }
        | FloatNeg { dst, src }
        | IntToFloat { dst, src }
        | FloatToInt { dst, src }
        | Not { dst, src }
        | ToStr { dst, src }
        | VariantTag { dst, src }
        | PayloadGet { dst, src, .. }
        | MakeOk { dst, src }
        | MakeErr { dst, src }
        | ResultValue { dst, src }
        | Is { dst, src, .. }
        | Unwrap { dst, src } => r(dst).and(r(src)),
        IntAddImm { dst, a, .. } => r(dst).and(r(a)),
        IntAdd { dst, a, b }
        | IntSub { dst, a, b }
        | IntMul { dst, a, b }
        | IntDiv { dst, a, b }
        | IntFloorDiv { dst, a, b }
        | IntMod { dst, a, b }
        | IntPow { dst, a, b }
        | BitAnd { dst, a, b }
        | BitOr { dst, a, b }
        | BitXor { dst, a, b }
        | Shl { dst, a, b }
        | Shr { dst, a, b }
        | FloatAdd { dst, a, b }
        | FloatSub { dst, a, b }
        | FloatMul { dst, a, b }
        | FloatDiv { dst, a, b }
        | FloatFloorDiv { dst, a, b }
        | FloatMod { dst, a, b }
        | FloatPow { dst, a, b }
        | IntCmp { dst, a, b, .. }
        | FloatCmp { dst, a, b, .. }
        | StrCmp { dst, a, b, .. }
        | Eq { dst, a, b }
        | Ne { dst, a, b }
        | StrConcat { dst, a, b }
        | ListConcat { dst, a, b } => r(dst).and(r(a)).and(r(b)),
        StrIndex { dst, s, idx } => r(dst).and(r(s)).and(r(idx)),
        ListGet { dst, list, idx } | ListGetUnchecked { dst, list, idx } => {
            r(dst).and(r(list)).and(r(idx))
        }
        ListSet { list, idx, src } => r(list).and(r(idx)).and(r(src)),
        ListLen { dst, list } => r(dst).and(r(list)),
        RangeList { dst, lo, hi, .. } => r(dst).and(r(lo)).and(r(hi)),
        MapGet { dst, map, key } => r(dst).and(r(map)).and(r(key)),
        MapSet { map, key, src } => r(map).and(r(key)).and(r(src)),
        TupleGet { dst, tuple, .. } => r(dst).and(r(tuple)),
        FieldGet { dst, record, .. } => r(dst).and(r(record)),
        FieldSet { record, src, .. } => r(record).and(r(src)),
        Jump { target } => jump(target),
        JumpIf { cond, target: t } | JumpIfNot { cond, target: t } => r(cond).and(jump(t)),
        JumpIfIntCmp {
            a, b, target: t, ..
        } => r(a).and(r(b)).and(jump(t)),
        JumpIfNull { src, target: t } => r(src).and(jump(t)),
        Return { src } => r(src),
        Halt { msg } => r(msg),
        NoMatch => Ok(()),
        Call {
            dst,
            cell,
            args,
            argc,
        } => {
            let c = callee(cell)?;
            if c.params != argc || c.captures != 0 {
                return Err("argument count does not match the callee".into());
            }
            r(dst).and(range(args, argc as u64))
        }
        CallValue {
            dst,
            callee: f,
            args,
            argc,
        } => r(dst).and(r(f)).and(range(args, argc as u64)),
        CallBuiltin {
            dst,
            builtin,
            args,
            argc,
        } => {
            if builtin.arity().is_some_and(|a| a != argc as usize) {
                return Err("builtin arity mismatch".into());
            }
            r(dst).and(range(args, argc as u64))
        }
        StrBuild { dst, args, argc }
        | ListNew { dst, args, argc }
        | TupleNew { dst, args, argc } => r(dst).and(range(args, argc as u64)),
        MapNew { dst, args, pairs } => r(dst).and(range(args, 2 * pairs as u64)),
        RecordNew { dst, type_id, args } => match m.types.defs.get(type_id as usize) {
            Some(TypeDef::Record { fields, .. }) => r(dst).and(range(args, fields.len() as u64)),
            _ => Err("not a record type".into()),
        },
        VariantNew {
            dst,
            type_id,
            tag,
            args,
        } => match m.types.defs.get(type_id as usize) {
            Some(TypeDef::Enum { variants, .. }) => match variants.get(tag as usize) {
                Some(v) => r(dst).and(range(args, v.arity as u64)),
                None => Err("variant out of range".into()),
            },
            _ => Err("not an enum type".into()),
        },
        MakeClosure {
            dst,
            cell,
            args,
            argc,
        } => {
            if callee(cell)?.captures != argc {
                return Err("capture count does not match the lambda".into());
            }
            r(dst).and(range(args, argc as u64))
        }
    }
}
