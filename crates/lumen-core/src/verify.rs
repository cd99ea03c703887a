//! Well-formedness checks of a LIR module: every execution tier may assume what this
//! accepts (registers and jump targets in range, operands of the right register types,
//! calls with the callee's arity, known constants, types, fields and variants, and no
//! path that falls off the end of a cell).
//!
//! Register type rules: a scalar operand (`Int`, `Float`, `Bool`) must have exactly that
//! type; a heap operand (a list for `ListGet`, …) may also be `Dyn`; an operand read as
//! any value may have any type. A written register must have the result's type or be
//! `Dyn`; instructions whose result type is not fixed (`ListGet`, `Call`, …) may write any
//! register. `Copy`/`Move`, call arguments and returns need *compatible* types: equal, or
//! either one `Dyn` (a boxing or checked unboxing conversion).

use crate::lir::{Cell, Instr, LirModule, Reg, RegTy, TypeDef, TypeTest};
use crate::operands::{record_arity, variant_arity};
use crate::value::{TypeId, Value};

/// Checks `module`, returning every problem found.
pub fn verify(module: &LirModule) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    if let Some(m) = module.main
        && m as usize >= module.cells.len()
    {
        errors.push(format!("main cell {m} does not exist"));
    }
    for (id, cell) in module.cells.iter().enumerate() {
        let mut v = CellCheck {
            module,
            cell,
            id,
            at: 0,
            errors: &mut errors,
        };
        v.check();
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// True when a value of register type `a` may be stored in a register of type `b`.
pub fn compatible(a: RegTy, b: RegTy) -> bool {
    a == b || a == RegTy::Dyn || b == RegTy::Dyn
}

struct CellCheck<'a> {
    module: &'a LirModule,
    cell: &'a Cell,
    id: usize,
    at: usize,
    errors: &'a mut Vec<String>,
}

impl<'a> CellCheck<'a> {
    fn err(&mut self, msg: String) {
        self.errors.push(format!(
            "cell {} ({}) #{}: {msg}",
            self.id, self.cell.name, self.at
        ));
    }

    fn check(&mut self) {
        let c = self.cell;
        if c.code.len() != c.pos.len() {
            self.err(format!(
                "{} instructions but {} positions",
                c.code.len(),
                c.pos.len()
            ));
        }
        if !c.inlined.at.is_empty() && c.inlined.at.len() != c.code.len() {
            self.err(format!(
                "{} instructions but {} inline marks",
                c.code.len(),
                c.inlined.at.len()
            ));
        }
        let sites = c.inlined.sites.len();
        if c.inlined.at.iter().any(|&k| k as usize > sites) {
            self.err(format!("an inline mark names none of the {sites} sites"));
        }
        for (k, s) in c.inlined.sites.iter().enumerate() {
            // Site k is numbered k + 1; its parent must be an earlier site (or 0).
            if s.parent as usize > k {
                self.err(format!("inline site {} lies in a later site", k + 1));
            }
        }
        let fixed = c.params as u64 + c.captures as u64;
        if fixed > c.regs.len() as u64 {
            self.err(format!(
                "{} parameters and captures but only {} registers",
                fixed,
                c.regs.len()
            ));
        }
        match c.code.last() {
            None => self.err("empty cell".into()),
            Some(last) if !last.ends_flow() => {
                self.at = c.code.len() - 1;
                self.err("control falls off the end of the cell".into());
            }
            _ => {}
        }
        for (i, ins) in c.code.iter().enumerate() {
            self.at = i;
            self.instr(ins);
        }
    }

    fn ty(&mut self, r: Reg) -> Option<RegTy> {
        let t = self.cell.regs.get(r as usize).copied();
        if t.is_none() {
            self.err(format!("register r{r} out of range"));
        }
        t
    }

    /// A scalar (or, for heap kinds, possibly `Dyn`) operand of type `want`.
    fn read(&mut self, r: Reg, want: RegTy) {
        if let Some(t) = self.ty(r) {
            let ok = t == want || (!want.is_scalar() && t == RegTy::Dyn);
            if !ok {
                self.err(format!("r{r} is {t:?}, expected {want:?}"));
            }
        }
    }

    /// An operand read as any value.
    fn any(&mut self, r: Reg) {
        self.ty(r);
    }

    /// A written register receiving a value of type `res`.
    fn write(&mut self, r: Reg, res: RegTy) {
        if let Some(t) = self.ty(r)
            && t != res
            && t != RegTy::Dyn
        {
            self.err(format!("r{r} is {t:?} but receives {res:?}"));
        }
    }

    /// A value of register type `from` flowing into a place of type `to`.
    fn flow(&mut self, from: RegTy, to: RegTy, what: &str) {
        if !compatible(from, to) {
            self.err(format!("{what}: {from:?} is not compatible with {to:?}"));
        }
    }

    /// The operand run `args..args + n`; returns its register types when in range.
    fn run(&mut self, args: Reg, n: u32) -> Option<Vec<RegTy>> {
        let end = args as u64 + n as u64;
        if end > self.cell.regs.len() as u64 {
            self.err(format!(
                "operands r{args}..r{end} exceed {} registers",
                self.cell.regs.len()
            ));
            return None;
        }
        Some(self.cell.regs[args as usize..end as usize].to_vec())
    }

    fn target(&mut self, t: u32) {
        if t as usize >= self.cell.code.len() {
            self.err(format!("jump target {t} out of range"));
        }
    }

    /// The called cell, reporting a missing one.
    fn callee(&mut self, cell: u32) -> Option<&'a Cell> {
        let module = self.module;
        let c = module.cells.get(cell as usize);
        if c.is_none() {
            self.err(format!("cell {cell} does not exist"));
        }
        c
    }

    fn type_def(&mut self, id: TypeId) -> Option<TypeDef> {
        let d = self.module.types.defs.get(id as usize).cloned();
        if d.is_none() {
            self.err(format!("type {id} does not exist"));
        }
        d
    }

    fn record(&mut self, id: TypeId) {
        if let Some(d) = self.type_def(id)
            && !matches!(d, TypeDef::Record { .. })
        {
            self.err(format!("type {id} is not a record"));
        }
    }

    fn variant(&mut self, id: TypeId, tag: Option<u32>) {
        match self.type_def(id) {
            Some(TypeDef::Enum { variants, .. }) => {
                if let Some(tag) = tag
                    && tag as usize >= variants.len()
                {
                    self.err(format!("enum {id} has no variant {tag}"));
                }
            }
            Some(_) => self.err(format!("type {id} is not an enum")),
            None => {}
        }
    }

    /// Field indices are checked against the widest record (a register does not say
    /// which record it holds).
    fn field(&mut self, f: u32) {
        let max = self
            .module
            .types
            .defs
            .iter()
            .filter_map(|d| match d {
                TypeDef::Record { fields, .. } => Some(fields.len()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        if f as usize >= max {
            self.err(format!("field {f} exceeds every record"));
        }
    }

    fn payload(&mut self, i: u32) {
        let max = self
            .module
            .types
            .defs
            .iter()
            .flat_map(|d| match d {
                TypeDef::Enum { variants, .. } => variants.iter().map(|v| v.arity).max(),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        if i >= max {
            self.err(format!("payload index {i} exceeds every variant"));
        }
    }

    fn instr(&mut self, ins: &Instr) {
        use Instr::*;
        use RegTy as T;
        match *ins {
            LoadInt { dst, .. } => self.write(dst, T::Int),
            LoadFloat { dst, .. } => self.write(dst, T::Float),
            LoadBool { dst, .. } => self.write(dst, T::Bool),
            LoadNull { dst } => self.write(dst, T::Null),
            LoadConst { dst, idx } => match self.module.consts.get(idx as usize) {
                Some(v) => {
                    let k = value_kind(v);
                    if let Some(t) = self.ty(dst) {
                        self.flow(k, t, "constant");
                    }
                }
                None => self.err(format!("constant {idx} does not exist")),
            },
            Copy { dst, src } | Move { dst, src } => {
                if let (Some(a), Some(b)) = (self.ty(src), self.ty(dst)) {
                    self.flow(a, b, "copy");
                }
            }
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
            | Shr { dst, a, b } => self.binary(dst, a, b, T::Int, T::Int),
            IntNeg { dst, src } | BitNot { dst, src } => self.unary(dst, src, T::Int, T::Int),
            IntAddImm { dst, a, .. } => self.unary(dst, a, T::Int, T::Int),
            FloatAdd { dst, a, b }
            | FloatSub { dst, a, b }
            | FloatMul { dst, a, b }
            | FloatDiv { dst, a, b }
            | FloatFloorDiv { dst, a, b }
            | FloatMod { dst, a, b }
            | FloatPow { dst, a, b } => self.binary(dst, a, b, T::Float, T::Float),
            FloatNeg { dst, src } => self.unary(dst, src, T::Float, T::Float),
            IntToFloat { dst, src } => self.unary(dst, src, T::Int, T::Float),
            FloatToInt { dst, src } => self.unary(dst, src, T::Float, T::Int),
            IntCmp { dst, a, b, .. } => self.binary(dst, a, b, T::Int, T::Bool),
            FloatCmp { dst, a, b, .. } => self.binary(dst, a, b, T::Float, T::Bool),
            StrCmp { dst, a, b, .. } => self.binary(dst, a, b, T::Str, T::Bool),
            Eq { dst, a, b } | Ne { dst, a, b } => {
                self.any(a);
                self.any(b);
                self.write(dst, T::Bool);
            }
            Not { dst, src } => self.unary(dst, src, T::Bool, T::Bool),
            Jump { target } => self.target(target),
            JumpIf { cond, target } | JumpIfNot { cond, target } => {
                self.read(cond, T::Bool);
                self.target(target);
            }
            JumpIfIntCmp { a, b, target, .. } => {
                self.read(a, T::Int);
                self.read(b, T::Int);
                self.target(target);
            }
            JumpIfNull { src, target } => {
                self.any(src);
                self.target(target);
            }
            Return { src } => {
                if let Some(t) = self.ty(src) {
                    self.flow(t, self.cell.ret, "return");
                }
            }
            Call {
                dst,
                cell,
                args,
                argc,
            } => {
                self.any(dst);
                let tys = self.run(args, argc);
                let Some(callee) = self.callee(cell) else {
                    return;
                };
                if callee.params != argc {
                    self.err(format!(
                        "call of {} with {argc} arguments, expected {}",
                        callee.name, callee.params
                    ));
                } else if let Some(tys) = tys {
                    for (i, t) in tys.into_iter().enumerate() {
                        if let Some(&p) = callee.regs.get(i) {
                            self.flow(t, p, "argument");
                        }
                    }
                }
                if let Some(t) = self.ty(dst) {
                    self.flow(callee.ret, t, "call result");
                }
            }
            CallValue {
                dst,
                callee,
                args,
                argc,
            } => {
                self.any(dst);
                self.read(callee, T::Fn);
                self.run(args, argc);
            }
            CallBuiltin {
                dst,
                builtin,
                args,
                argc,
            } => {
                self.any(dst);
                self.run(args, argc);
                if let Some(n) = builtin.arity()
                    && n != argc as usize
                {
                    self.err(format!(
                        "builtin {} takes {n} arguments, got {argc}",
                        builtin.ident()
                    ));
                }
            }
            Halt { msg } => self.read(msg, T::Str),
            NoMatch => {}
            StrConcat { dst, a, b } => self.binary(dst, a, b, T::Str, T::Str),
            ToStr { dst, src } => {
                self.any(src);
                self.write(dst, T::Str);
            }
            StrBuild { dst, args, argc } => {
                self.run(args, argc);
                self.write(dst, T::Str);
            }
            StrIndex { dst, s, idx } => {
                self.read(s, T::Str);
                self.read(idx, T::Int);
                self.write(dst, T::Str);
            }
            ListNew { dst, args, argc } => {
                self.run(args, argc);
                self.write(dst, T::List);
            }
            ListGet { dst, list, idx } | ListGetUnchecked { dst, list, idx } => {
                self.read(list, T::List);
                self.read(idx, T::Int);
                self.any(dst);
            }
            ListSet { list, idx, src } => {
                self.read(list, T::List);
                self.read(idx, T::Int);
                self.any(src);
            }
            ListLen { dst, list } => self.unary(dst, list, T::List, T::Int),
            ListConcat { dst, a, b } => self.binary(dst, a, b, T::List, T::List),
            RangeList { dst, lo, hi, .. } => {
                self.read(lo, T::Int);
                self.read(hi, T::Int);
                self.write(dst, T::List);
            }
            MapNew { dst, args, pairs } => {
                self.run(args, pairs.saturating_mul(2));
                self.write(dst, T::Map);
            }
            MapGet { dst, map, key } => {
                self.read(map, T::Map);
                self.any(key);
                self.any(dst);
            }
            MapSet { map, key, src } => {
                self.read(map, T::Map);
                self.any(key);
                self.any(src);
            }
            TupleNew { dst, args, argc } => {
                self.run(args, argc);
                self.write(dst, T::Tuple);
            }
            TupleGet { dst, tuple, .. } => {
                self.read(tuple, T::Tuple);
                self.any(dst);
            }
            RecordNew { dst, type_id, args } => {
                self.record(type_id);
                self.run(args, record_arity(&self.module.types, type_id));
                self.write(dst, T::Record);
            }
            FieldGet { dst, record, field } => {
                self.read(record, T::Record);
                self.field(field);
                self.any(dst);
            }
            FieldSet { record, field, src } => {
                self.read(record, T::Record);
                self.field(field);
                self.any(src);
            }
            VariantNew {
                dst,
                type_id,
                tag,
                args,
            } => {
                self.variant(type_id, Some(tag));
                self.run(args, variant_arity(&self.module.types, type_id, tag));
                self.write(dst, T::Enum);
            }
            VariantTag { dst, src } => self.unary(dst, src, T::Enum, T::Int),
            PayloadGet { dst, src, index } => {
                self.read(src, T::Enum);
                self.payload(index);
                self.any(dst);
            }
            MakeOk { dst, src } | MakeErr { dst, src } => {
                self.any(src);
                self.write(dst, T::Result);
            }
            ResultValue { dst, src } => {
                self.read(src, T::Result);
                self.any(dst);
            }
            Is { dst, src, test } => {
                self.any(src);
                self.write(dst, T::Bool);
                match test {
                    TypeTest::Record(id) => self.record(id),
                    TypeTest::Enum(id) => self.variant(id, None),
                    TypeTest::Variant(id, tag) => self.variant(id, Some(tag)),
                    _ => {}
                }
            }
            Unwrap { dst, src } => {
                self.any(src);
                self.any(dst);
            }
            MakeClosure {
                dst,
                cell,
                args,
                argc,
            } => {
                self.write(dst, T::Fn);
                let tys = self.run(args, argc);
                let Some(callee) = self.callee(cell) else {
                    return;
                };
                if callee.captures != argc {
                    self.err(format!(
                        "closure of {} with {argc} captures, expected {}",
                        callee.name, callee.captures
                    ));
                } else if let Some(tys) = tys {
                    for (i, t) in tys.into_iter().enumerate() {
                        let slot = callee.params as usize + i;
                        if let Some(&p) = callee.regs.get(slot) {
                            self.flow(t, p, "capture");
                        }
                    }
                }
            }
        }
    }

    fn unary(&mut self, dst: Reg, src: Reg, input: RegTy, output: RegTy) {
        self.read(src, input);
        self.write(dst, output);
    }

    fn binary(&mut self, dst: Reg, a: Reg, b: Reg, input: RegTy, output: RegTy) {
        self.read(a, input);
        self.read(b, input);
        self.write(dst, output);
    }
}

/// The register type a constant value needs.
fn value_kind(v: &Value) -> RegTy {
    match v {
        Value::Null => RegTy::Null,
        Value::Bool(_) => RegTy::Bool,
        Value::Int(_) => RegTy::Int,
        Value::Float(_) => RegTy::Float,
        Value::Str(_) => RegTy::Str,
        Value::List(_) => RegTy::List,
        Value::Tuple(_) => RegTy::Tuple,
        Value::Map(_) => RegTy::Map,
        Value::Record(_) => RegTy::Record,
        Value::Variant(_) => RegTy::Enum,
        Value::Ok(_) | Value::Err(_) => RegTy::Result,
        Value::Fn(_) => RegTy::Fn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::Builtin;
    use crate::lir::{CmpOp, TypeTable, VariantDef};

    fn cell(name: &str, params: u32, regs: Vec<RegTy>, ret: RegTy, code: Vec<Instr>) -> Cell {
        Cell::new(name, params, regs, ret, code)
    }

    /// `fib`-like module: a good baseline every negative test breaks in one way.
    fn good() -> LirModule {
        use RegTy::*;
        let fib = cell(
            "fib",
            1,
            vec![Int, Int, Int, Int],
            Int,
            vec![
                Instr::LoadInt { dst: 1, value: 2 },
                Instr::JumpIfIntCmp {
                    op: CmpOp::Ge,
                    a: 0,
                    b: 1,
                    target: 3,
                },
                Instr::Return { src: 0 },
                Instr::IntAddImm {
                    dst: 2,
                    a: 0,
                    value: -1,
                },
                Instr::Call {
                    dst: 3,
                    cell: 0,
                    args: 2,
                    argc: 1,
                },
                Instr::Return { src: 3 },
            ],
        );
        let main = cell(
            "main",
            0,
            vec![Int, Int, Dyn, Null, Record, Enum, Str],
            Null,
            vec![
                Instr::LoadInt { dst: 0, value: 20 },
                Instr::Call {
                    dst: 1,
                    cell: 0,
                    args: 0,
                    argc: 1,
                },
                Instr::Copy { dst: 2, src: 1 },
                Instr::CallBuiltin {
                    dst: 3,
                    builtin: Builtin::Print,
                    args: 2,
                    argc: 1,
                },
                Instr::LoadConst { dst: 6, idx: 0 },
                Instr::VariantNew {
                    dst: 5,
                    type_id: 1,
                    tag: 0,
                    args: 0,
                },
                Instr::Return { src: 3 },
            ],
        );
        LirModule {
            cells: vec![fib, main],
            consts: vec![Value::str("hi")],
            types: TypeTable {
                defs: vec![
                    TypeDef::Record {
                        name: "P".into(),
                        fields: vec!["x".into()],
                    },
                    TypeDef::Enum {
                        name: "E".into(),
                        variants: vec![VariantDef {
                            name: "A".into(),
                            arity: 0,
                        }],
                    },
                ],
            },
            main: Some(1),
        }
    }

    fn rejects(edit: impl FnOnce(&mut LirModule), needle: &str) {
        let mut m = good();
        edit(&mut m);
        let errs = verify(&m).expect_err("must be rejected");
        assert!(
            errs.iter().any(|e| e.contains(needle)),
            "expected an error containing {needle:?}, got {errs:?}"
        );
    }

    #[test]
    fn accepts_a_good_module() {
        assert_eq!(verify(&good()), Ok(()));
    }

    #[test]
    fn rejects_each_kind_of_bad_module() {
        rejects(
            |m| {
                m.cells[1].code[2] = Instr::ListGetUnchecked {
                    dst: 2,
                    list: 6,
                    idx: 0,
                }
            },
            "r6 is Str, expected List",
        );
        rejects(
            |m| m.cells[0].code[0] = Instr::LoadInt { dst: 9, value: 0 },
            "out of range",
        );
        rejects(
            |m| m.cells[0].code[1] = Instr::Jump { target: 99 },
            "jump target",
        );
        rejects(
            |m| m.cells[0].regs[1] = RegTy::Dyn,
            "r1 is Dyn, expected Int",
        );
        rejects(
            |m| {
                m.cells[1].code[1] = Instr::Call {
                    dst: 1,
                    cell: 0,
                    args: 0,
                    argc: 2,
                }
            },
            "expected 1",
        );
        rejects(
            |m| {
                m.cells[1].code[1] = Instr::Call {
                    dst: 1,
                    cell: 7,
                    args: 0,
                    argc: 1,
                }
            },
            "cell 7 does not exist",
        );
        rejects(
            |m| {
                m.cells[1].code[3] = Instr::CallBuiltin {
                    dst: 3,
                    builtin: Builtin::Append,
                    args: 2,
                    argc: 1,
                }
            },
            "takes 2 arguments",
        );
        rejects(
            |m| m.cells[1].code[4] = Instr::LoadConst { dst: 6, idx: 5 },
            "constant 5",
        );
        rejects(|m| m.cells[1].regs[6] = RegTy::Int, "constant");
        rejects(
            |m| {
                m.cells[1].code[5] = Instr::VariantNew {
                    dst: 5,
                    type_id: 1,
                    tag: 3,
                    args: 0,
                }
            },
            "no variant 3",
        );
        rejects(
            |m| {
                m.cells[1].code[5] = Instr::VariantNew {
                    dst: 5,
                    type_id: 0,
                    tag: 0,
                    args: 0,
                }
            },
            "not an enum",
        );
        rejects(
            |m| {
                m.cells[1].code[5] = Instr::FieldGet {
                    dst: 2,
                    record: 4,
                    field: 3,
                }
            },
            "field 3",
        );
        rejects(|m| m.cells[0].pos.pop().map_or((), drop), "positions");
        rejects(
            |m| {
                m.cells[0].code.pop();
                m.cells[0].pos.pop();
            },
            "falls off the end",
        );
        rejects(
            |m| m.cells[1].code[2] = Instr::Copy { dst: 4, src: 1 },
            "copy",
        );
        rejects(|m| m.cells[0].ret = RegTy::Str, "return");
        rejects(|m| m.main = Some(5), "main cell 5");
        rejects(
            |m| {
                m.cells[1].code[0] = Instr::LoadBool {
                    dst: 0,
                    value: true,
                }
            },
            "receives Bool",
        );
        rejects(
            |m| {
                m.cells[1].code[3] = Instr::ListNew {
                    dst: 3,
                    args: 5,
                    argc: 4,
                }
            },
            "exceed",
        );
    }

    #[test]
    fn dyn_is_accepted_for_heap_operands_only() {
        let mut m = good();
        m.cells[1].regs[2] = RegTy::Dyn;
        m.cells[1].code[3] = Instr::ListLen { dst: 0, list: 2 };
        assert_eq!(verify(&m), Ok(()));
        m.cells[1].code[3] = Instr::IntNeg { dst: 0, src: 2 };
        assert!(verify(&m).is_err());
    }
}
