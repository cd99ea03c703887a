//! Generic facts about LIR instructions: which register an instruction writes, which it
//! reads, and where control goes next. The verifier, the dump, the compiler's liveness
//! pass and any backend share these instead of re-deriving them per instruction.

use crate::lir::{Instr, Reg, TypeDef, TypeTable};
use crate::value::TypeId;

impl Instr {
    /// The register this instruction writes, if any. In-place updates (`ListSet`,
    /// `MapSet`, `FieldSet`) modify a register they also read and report it here too.
    pub fn def(&self) -> Option<Reg> {
        match *self {
            Instr::ListSet { list, .. } => Some(list),
            Instr::MapSet { map, .. } => Some(map),
            Instr::FieldSet { record, .. } => Some(record),
            // Every other written register is the one `dst_mut` exposes (the list of
            // instructions lives there once); instructions are small plain data.
            _ => self.clone().dst_mut().map(|d| *d),
        }
    }

    /// Mutable access to the written register of instructions that only write it (not
    /// the in-place updates), so a producer can be retargeted.
    pub fn dst_mut(&mut self) -> Option<&mut Reg> {
        use Instr::*;
        match self {
            ListSet { .. } | MapSet { .. } | FieldSet { .. } => None,
            LoadInt { dst, .. }
            | LoadFloat { dst, .. }
            | LoadBool { dst, .. }
            | LoadNull { dst }
            | LoadConst { dst, .. }
            | Copy { dst, .. }
            | Move { dst, .. }
            | IntAdd { dst, .. }
            | IntSub { dst, .. }
            | IntMul { dst, .. }
            | IntDiv { dst, .. }
            | IntFloorDiv { dst, .. }
            | IntMod { dst, .. }
            | IntPow { dst, .. }
            | IntNeg { dst, .. }
            | IntAddImm { dst, .. }
            | BitAnd { dst, .. }
            | BitOr { dst, .. }
            | BitXor { dst, .. }
            | Shl { dst, .. }
            | Shr { dst, .. }
            | BitNot { dst, .. }
            | FloatAdd { dst, .. }
            | FloatSub { dst, .. }
            | FloatMul { dst, .. }
            | FloatDiv { dst, .. }
            | FloatFloorDiv { dst, .. }
            | FloatMod { dst, .. }
            | FloatPow { dst, .. }
            | FloatNeg { dst, .. }
            | IntToFloat { dst, .. }
            | FloatToInt { dst, .. }
            | IntCmp { dst, .. }
            | FloatCmp { dst, .. }
            | StrCmp { dst, .. }
            | Eq { dst, .. }
            | Ne { dst, .. }
            | Not { dst, .. }
            | Call { dst, .. }
            | CallValue { dst, .. }
            | CallBuiltin { dst, .. }
            | StrConcat { dst, .. }
            | ToStr { dst, .. }
            | StrBuild { dst, .. }
            | StrIndex { dst, .. }
            | ListNew { dst, .. }
            | ListGet { dst, .. }
            | ListGetUnchecked { dst, .. }
            | ListLen { dst, .. }
            | ListConcat { dst, .. }
            | RangeList { dst, .. }
            | MapNew { dst, .. }
            | MapGet { dst, .. }
            | TupleNew { dst, .. }
            | TupleGet { dst, .. }
            | RecordNew { dst, .. }
            | FieldGet { dst, .. }
            | VariantNew { dst, .. }
            | VariantTag { dst, .. }
            | PayloadGet { dst, .. }
            | MakeOk { dst, .. }
            | MakeErr { dst, .. }
            | ResultValue { dst, .. }
            | Is { dst, .. }
            | Unwrap { dst, .. }
            | MakeClosure { dst, .. } => Some(dst),
            Jump { .. }
            | JumpIf { .. }
            | JumpIfNot { .. }
            | JumpIfIntCmp { .. }
            | JumpIfNull { .. }
            | Return { .. }
            | Halt { .. }
            | NoMatch => None,
        }
    }

    /// Calls `f` for every register the instruction reads (multi-operand instructions
    /// read their whole operand run; its length for `RecordNew`/`VariantNew` comes from
    /// `types`, and is taken as 0 for an id the table does not have).
    pub fn for_each_use(&self, types: &TypeTable, mut f: impl FnMut(Reg)) {
        use Instr::*;
        let run = |args: Reg, n: u32, f: &mut dyn FnMut(Reg)| {
            for r in 0..n {
                if let Some(reg) = args.checked_add(r) {
                    f(reg);
                }
            }
        };
        match *self {
            LoadInt { .. }
            | LoadFloat { .. }
            | LoadBool { .. }
            | LoadNull { .. }
            | LoadConst { .. }
            | Jump { .. }
            | NoMatch => {}
            Copy { src, .. }
            | Move { src, .. }
            | IntNeg { src, .. }
            | BitNot { src, .. }
            | FloatNeg { src, .. }
            | IntToFloat { src, .. }
            | FloatToInt { src, .. }
            | Not { src, .. }
            | ToStr { src, .. }
            | VariantTag { src, .. }
            | PayloadGet { src, .. }
            | MakeOk { src, .. }
            | MakeErr { src, .. }
            | ResultValue { src, .. }
            | Is { src, .. }
            | Unwrap { src, .. }
            | Return { src }
            | JumpIfNull { src, .. } => f(src),
            IntAddImm { a, .. } => f(a),
            IntAdd { a, b, .. }
            | IntSub { a, b, .. }
            | IntMul { a, b, .. }
            | IntDiv { a, b, .. }
            | IntFloorDiv { a, b, .. }
            | IntMod { a, b, .. }
            | IntPow { a, b, .. }
            | BitAnd { a, b, .. }
            | BitOr { a, b, .. }
            | BitXor { a, b, .. }
            | Shl { a, b, .. }
            | Shr { a, b, .. }
            | FloatAdd { a, b, .. }
            | FloatSub { a, b, .. }
            | FloatMul { a, b, .. }
            | FloatDiv { a, b, .. }
            | FloatFloorDiv { a, b, .. }
            | FloatMod { a, b, .. }
            | FloatPow { a, b, .. }
            | IntCmp { a, b, .. }
            | FloatCmp { a, b, .. }
            | StrCmp { a, b, .. }
            | Eq { a, b, .. }
            | Ne { a, b, .. }
            | StrConcat { a, b, .. }
            | ListConcat { a, b, .. }
            | JumpIfIntCmp { a, b, .. } => {
                f(a);
                f(b);
            }
            JumpIf { cond, .. } | JumpIfNot { cond, .. } => f(cond),
            Halt { msg } => f(msg),
            Call { args, argc, .. }
            | CallBuiltin { args, argc, .. }
            | StrBuild { args, argc, .. }
            | ListNew { args, argc, .. }
            | TupleNew { args, argc, .. }
            | MakeClosure { args, argc, .. } => run(args, argc, &mut f),
            CallValue {
                callee, args, argc, ..
            } => {
                f(callee);
                run(args, argc, &mut f);
            }
            MapNew { args, pairs, .. } => run(args, pairs.saturating_mul(2), &mut f),
            RecordNew { type_id, args, .. } => run(args, record_arity(types, type_id), &mut f),
            VariantNew {
                type_id, tag, args, ..
            } => run(args, variant_arity(types, type_id, tag), &mut f),
            StrIndex { s, idx, .. } => {
                f(s);
                f(idx);
            }
            ListGet { list, idx, .. } | ListGetUnchecked { list, idx, .. } => {
                f(list);
                f(idx);
            }
            ListSet { list, idx, src } => {
                f(list);
                f(idx);
                f(src);
            }
            ListLen { list, .. } => f(list),
            RangeList { lo, hi, .. } => {
                f(lo);
                f(hi);
            }
            MapGet { map, key, .. } => {
                f(map);
                f(key);
            }
            MapSet { map, key, src } => {
                f(map);
                f(key);
                f(src);
            }
            TupleGet { tuple, .. } => f(tuple),
            FieldGet { record, .. } => f(record),
            FieldSet { record, src, .. } => {
                f(record);
                f(src);
            }
        }
    }

    /// The jump target, for jumps and conditional branches.
    pub fn jump_target(&self) -> Option<u32> {
        match *self {
            Instr::Jump { target }
            | Instr::JumpIf { target, .. }
            | Instr::JumpIfNot { target, .. }
            | Instr::JumpIfIntCmp { target, .. }
            | Instr::JumpIfNull { target, .. } => Some(target),
            _ => None,
        }
    }

    /// Mutable access to the jump target (used to patch forward jumps).
    pub fn jump_target_mut(&mut self) -> Option<&mut u32> {
        match self {
            Instr::Jump { target }
            | Instr::JumpIf { target, .. }
            | Instr::JumpIfNot { target, .. }
            | Instr::JumpIfIntCmp { target, .. }
            | Instr::JumpIfNull { target, .. } => Some(target),
            _ => None,
        }
    }

    /// True when control never continues with the next instruction.
    pub fn ends_flow(&self) -> bool {
        matches!(
            self,
            Instr::Jump { .. } | Instr::Return { .. } | Instr::Halt { .. } | Instr::NoMatch
        )
    }
}

/// Number of fields of record `id` (0 when `id` is not a record of the table).
pub fn record_arity(types: &TypeTable, id: TypeId) -> u32 {
    match types.defs.get(id as usize) {
        Some(TypeDef::Record { fields, .. }) => fields.len() as u32,
        _ => 0,
    }
}

/// Payload arity of variant `tag` of enum `id` (0 when the table has no such variant).
pub fn variant_arity(types: &TypeTable, id: TypeId, tag: u32) -> u32 {
    match types.defs.get(id as usize) {
        Some(TypeDef::Enum { variants, .. }) => variants.get(tag as usize).map_or(0, |v| v.arity),
        _ => 0,
    }
}

/// Calls macro `$cb` with the table of every instruction: its stable opcode, name and
/// fields with their kinds (`reg`, `u32`, `i64`, `f64`, `bool`, `cmp`, `builtin`, `test`).
/// The binary format and the text dump are generated from this one table.
#[macro_export]
macro_rules! with_instr_table {
    ($cb:ident) => {
        $cb! {
            0 LoadInt { dst: reg, value: i64 }
            1 LoadFloat { dst: reg, value: f64 }
            2 LoadBool { dst: reg, value: bool }
            3 LoadNull { dst: reg }
            4 LoadConst { dst: reg, idx: u32 }
            5 Copy { dst: reg, src: reg }
            6 Move { dst: reg, src: reg }
            7 IntAdd { dst: reg, a: reg, b: reg }
            8 IntSub { dst: reg, a: reg, b: reg }
            9 IntMul { dst: reg, a: reg, b: reg }
            10 IntDiv { dst: reg, a: reg, b: reg }
            11 IntFloorDiv { dst: reg, a: reg, b: reg }
            12 IntMod { dst: reg, a: reg, b: reg }
            13 IntPow { dst: reg, a: reg, b: reg }
            14 IntNeg { dst: reg, src: reg }
            15 IntAddImm { dst: reg, a: reg, value: i64 }
            16 BitAnd { dst: reg, a: reg, b: reg }
            17 BitOr { dst: reg, a: reg, b: reg }
            18 BitXor { dst: reg, a: reg, b: reg }
            19 Shl { dst: reg, a: reg, b: reg }
            20 Shr { dst: reg, a: reg, b: reg }
            21 BitNot { dst: reg, src: reg }
            22 FloatAdd { dst: reg, a: reg, b: reg }
            23 FloatSub { dst: reg, a: reg, b: reg }
            24 FloatMul { dst: reg, a: reg, b: reg }
            25 FloatDiv { dst: reg, a: reg, b: reg }
            26 FloatFloorDiv { dst: reg, a: reg, b: reg }
            27 FloatMod { dst: reg, a: reg, b: reg }
            28 FloatPow { dst: reg, a: reg, b: reg }
            29 FloatNeg { dst: reg, src: reg }
            30 IntToFloat { dst: reg, src: reg }
            31 FloatToInt { dst: reg, src: reg }
            32 IntCmp { op: cmp, dst: reg, a: reg, b: reg }
            33 FloatCmp { op: cmp, dst: reg, a: reg, b: reg }
            34 StrCmp { op: cmp, dst: reg, a: reg, b: reg }
            35 Eq { dst: reg, a: reg, b: reg }
            36 Ne { dst: reg, a: reg, b: reg }
            37 Not { dst: reg, src: reg }
            38 Jump { target: u32 }
            39 JumpIf { cond: reg, target: u32 }
            40 JumpIfNot { cond: reg, target: u32 }
            41 JumpIfIntCmp { op: cmp, a: reg, b: reg, target: u32 }
            42 JumpIfNull { src: reg, target: u32 }
            43 Return { src: reg }
            44 Call { dst: reg, cell: u32, args: reg, argc: u32 }
            45 CallValue { dst: reg, callee: reg, args: reg, argc: u32 }
            46 CallBuiltin { dst: reg, builtin: builtin, args: reg, argc: u32 }
            47 Halt { msg: reg }
            48 NoMatch {}
            49 StrConcat { dst: reg, a: reg, b: reg }
            50 ToStr { dst: reg, src: reg }
            51 StrBuild { dst: reg, args: reg, argc: u32 }
            52 StrIndex { dst: reg, s: reg, idx: reg }
            53 ListNew { dst: reg, args: reg, argc: u32 }
            54 ListGet { dst: reg, list: reg, idx: reg }
            55 ListSet { list: reg, idx: reg, src: reg }
            56 ListLen { dst: reg, list: reg }
            57 ListConcat { dst: reg, a: reg, b: reg }
            58 RangeList { dst: reg, lo: reg, hi: reg, inclusive: bool }
            59 MapNew { dst: reg, args: reg, pairs: u32 }
            60 MapGet { dst: reg, map: reg, key: reg }
            61 MapSet { map: reg, key: reg, src: reg }
            62 TupleNew { dst: reg, args: reg, argc: u32 }
            63 TupleGet { dst: reg, tuple: reg, index: u32 }
            64 RecordNew { dst: reg, type_id: u32, args: reg }
            65 FieldGet { dst: reg, record: reg, field: u32 }
            66 FieldSet { record: reg, field: u32, src: reg }
            67 VariantNew { dst: reg, type_id: u32, tag: u32, args: reg }
            68 VariantTag { dst: reg, src: reg }
            69 PayloadGet { dst: reg, src: reg, index: u32 }
            70 MakeOk { dst: reg, src: reg }
            71 MakeErr { dst: reg, src: reg }
            72 ResultValue { dst: reg, src: reg }
            73 Is { dst: reg, src: reg, test: test }
            74 Unwrap { dst: reg, src: reg }
            75 MakeClosure { dst: reg, cell: u32, args: reg, argc: u32 }
            76 ListGetUnchecked { dst: reg, list: reg, idx: reg }
        }
    };
}

/// Applies a register renaming to one field of kind `reg` (other kinds are left alone).
macro_rules! map_field {
    (reg, $x:ident, $f:ident) => {
        *$x = $f(*$x)
    };
    ($other:ident, $x:ident, $f:ident) => {
        let _ = $x;
    };
}

macro_rules! gen_map_regs {
    ($( $op:literal $name:ident { $($field:ident : $kind:ident),* } )*) => {
        impl Instr {
            /// Renames every register field with `f` (an operand run is named by its
            /// first register, so a renaming must keep runs consecutive).
            pub fn map_regs(&mut self, mut f: impl FnMut(Reg) -> Reg) {
                match self {
                    $( Instr::$name { $($field),* } => { $( map_field!($kind, $field, f); )* } )*
                }
            }
        }
    };
}
crate::with_instr_table!(gen_map_regs);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lir::VariantDef;

    #[test]
    fn uses_cover_operand_runs() {
        let types = TypeTable {
            defs: vec![TypeDef::Enum {
                name: "E".into(),
                variants: vec![VariantDef {
                    name: "A".into(),
                    arity: 2,
                }],
            }],
        };
        let mut seen = vec![];
        Instr::VariantNew {
            dst: 0,
            type_id: 0,
            tag: 0,
            args: 4,
        }
        .for_each_use(&types, |r| seen.push(r));
        assert_eq!(seen, vec![4, 5]);
        seen.clear();
        Instr::MapNew {
            dst: 0,
            args: 1,
            pairs: 2,
        }
        .for_each_use(&types, |r| seen.push(r));
        assert_eq!(seen, vec![1, 2, 3, 4]);
    }

    #[test]
    fn defs_and_flow() {
        assert_eq!(
            Instr::ListSet {
                list: 3,
                idx: 1,
                src: 2
            }
            .def(),
            Some(3)
        );
        assert_eq!(Instr::Jump { target: 7 }.jump_target(), Some(7));
        assert!(Instr::NoMatch.ends_flow());
        assert!(!Instr::JumpIf { cond: 0, target: 1 }.ends_flow());
        let mut i = Instr::IntAdd { dst: 1, a: 2, b: 3 };
        *i.dst_mut().unwrap() = 9;
        assert_eq!(i, Instr::IntAdd { dst: 9, a: 2, b: 3 });
        i.map_regs(|r| r * 10);
        assert_eq!(
            i,
            Instr::IntAdd {
                dst: 90,
                a: 20,
                b: 30
            }
        );
        let mut j = Instr::JumpIfIntCmp {
            op: crate::lir::CmpOp::Lt,
            a: 1,
            b: 2,
            target: 7,
        };
        j.map_regs(|r| r + 1);
        assert_eq!(j.jump_target(), Some(7));
    }
}
