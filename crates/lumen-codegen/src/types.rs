//! Lumen register types as Cranelift types, and the signatures of native functions
//! (`docs/jit.md`, "Native function signature").

use cranelift_codegen::ir::{AbiParam, Signature, Type, types};
use cranelift_codegen::isa::CallConv;
use lumen_core::lir::{Cell, RegTy};
use lumen_rt::native::AbiTy;

/// Pointer-sized integer (contexts, slot addresses, raw `Value` words).
pub const PTR: Type = types::I64;

/// The machine type of a scalar register (`Int` → i64, `Float` → f64, `Bool` → i8);
/// `None` for registers kept in slots.
pub fn scalar_type(t: RegTy) -> Option<Type> {
    match t {
        RegTy::Int => Some(types::I64),
        RegTy::Float => Some(types::F64),
        RegTy::Bool => Some(types::I8),
        _ => None,
    }
}

/// Registers `0..params + captures` (parameters, then captures) of `cell`.
pub fn param_regs(cell: &Cell) -> std::ops::Range<usize> {
    0..(cell.params + cell.captures) as usize
}

/// True when a cell returns its value as two raw words rather than one scalar.
pub fn returns_words(cell: &Cell) -> bool {
    scalar_type(cell.ret).is_none()
}

/// `fn([hargs,] depth, s0, s1, …) -> R` of a compiled cell: `depth` (i32) counts the
/// calls active below it; scalar parameters by value, the rest moved from `hargs`, which
/// only a cell with such parameters takes ([`takes_hargs`]); a scalar result and the
/// [`FAILED`] flag, or a `Value` as two words. The VM context is not an argument:
/// native code keeps it in the pinned register (`jit::build_isa`), which every entry sets.
pub fn cell_signature(cell: &Cell, cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
    if takes_hargs(cell) {
        sig.params.push(AbiParam::new(PTR));
    }
    sig.params.push(AbiParam::new(types::I32));
    for r in param_regs(cell) {
        if let Some(t) = cell.regs.get(r).and_then(|&t| scalar_type(t)) {
            sig.params.push(AbiParam::new(t));
        }
    }
    match scalar_type(cell.ret) {
        Some(t) => {
            sig.returns.push(AbiParam::new(t));
            sig.returns.push(AbiParam::new(FAILED));
        }
        None => {
            sig.returns.push(AbiParam::new(PTR));
            sig.returns.push(AbiParam::new(PTR));
        }
    }
    sig
}

/// The type of the flag a compiled cell with a scalar result returns after it
/// ([`returns_failed`]): 1 when it failed (the error is pending in the context), 0
/// otherwise. Its caller tests the flag in a register instead of loading the context's
/// error field after the call.
pub const FAILED: Type = types::I8;

/// True when `cell` returns the [`FAILED`] flag: its result is a scalar. A `Value`
/// result takes both integer return registers of the host's convention, so its callers
/// read the context's error field instead.
pub fn returns_failed(cell: &Cell) -> bool {
    !returns_words(cell)
}

/// True when a cell has a parameter (or capture) that is not a scalar, so its native
/// function takes `hargs`, the caller's slots that such arguments are moved from.
pub fn takes_hargs(cell: &Cell) -> bool {
    param_regs(cell).any(|r| cell.regs.get(r).is_none_or(|&t| scalar_type(t).is_none()))
}

/// `extern "C" fn(ctx, args: *mut Value, ret: *mut Value)`: the uniform entry.
pub fn entry_signature(cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
    sig.params.extend([AbiParam::new(PTR); 3]);
    sig
}

/// The signature of a runtime helper.
pub fn helper_signature(params: &[AbiTy], ret: Option<AbiTy>, cc: CallConv) -> Signature {
    let ty = |t: AbiTy| match t {
        AbiTy::Ptr | AbiTy::I64 => types::I64,
        AbiTy::I32 => types::I32,
        AbiTy::F64 => types::F64,
    };
    let mut sig = Signature::new(cc);
    sig.params
        .extend(params.iter().map(|&t| AbiParam::new(ty(t))));
    sig.returns.extend(ret.map(|t| AbiParam::new(ty(t))));
    sig
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(regs: Vec<RegTy>, params: u32, ret: RegTy) -> Cell {
        Cell::new("f", params, regs, ret, Vec::new())
    }

    #[test]
    fn scalar_parameters_are_passed_by_value() {
        let c = cell(vec![RegTy::Int, RegTy::Str, RegTy::Float], 3, RegTy::Bool);
        let sig = cell_signature(&c, CallConv::SystemV);
        let tys: Vec<Type> = sig.params.iter().map(|p| p.value_type).collect();
        assert_eq!(tys, vec![PTR, types::I32, types::I64, types::F64]);
        let rets: Vec<Type> = sig.returns.iter().map(|p| p.value_type).collect();
        assert_eq!(rets, vec![types::I8, FAILED]);
    }

    #[test]
    fn only_a_cell_with_heap_parameters_takes_hargs() {
        let c = cell(vec![RegTy::Int, RegTy::Float, RegTy::Str], 2, RegTy::Int);
        assert!(!takes_hargs(&c));
        let sig = cell_signature(&c, CallConv::SystemV);
        let tys: Vec<Type> = sig.params.iter().map(|p| p.value_type).collect();
        assert_eq!(tys, vec![types::I32, types::I64, types::F64]);
        let mut with_capture = cell(vec![RegTy::Int, RegTy::List], 1, RegTy::Int);
        with_capture.captures = 1;
        assert!(
            takes_hargs(&with_capture),
            "a List capture is moved from hargs"
        );
    }

    #[test]
    fn heap_results_come_back_as_two_words() {
        let c = cell(vec![RegTy::List], 1, RegTy::List);
        assert!(returns_words(&c));
        let sig = cell_signature(&c, CallConv::SystemV);
        let rets: Vec<Type> = sig.returns.iter().map(|p| p.value_type).collect();
        assert_eq!(rets, vec![PTR, PTR]);
        assert!(!returns_failed(&c));
    }
}
