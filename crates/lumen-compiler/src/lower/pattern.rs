//! Pattern matching as sequential tests: each test that fails jumps to the caller's
//! failure label; bindings are copies into the bound locals' registers.

use super::{FnLower, Patches};
use crate::hir::{Pattern, PatternKind};
use crate::types::Type;
use lumen_core::builtins::Builtin;
use lumen_core::lir::{CmpOp, Instr, Reg, RegTy, TypeTest};
use lumen_core::value::Value;

impl FnLower<'_> {
    /// Tests `v` against `p`, binding its names; failures jump to the returned `fails`.
    pub(super) fn pattern(&mut self, p: &Pattern, v: Reg, fails: &mut Patches) {
        self.at(p.span);
        match &p.kind {
            PatternKind::Wildcard => {}
            PatternKind::Bind(l) => {
                let r = self.local(*l);
                self.copy(r, v);
            }
            PatternKind::Value(val) => self.value_test(v, val, fails),
            PatternKind::Range { lo, hi, inclusive } => {
                let iv = if self.regs[v as usize] == RegTy::Int {
                    v
                } else {
                    self.type_test(v, TypeTest::Int, fails);
                    let t = self.fresh(RegTy::Int);
                    self.copy(t, v);
                    t
                };
                let lo_r = self.const_int(*lo);
                fails.push(self.emit(Instr::JumpIfIntCmp {
                    op: CmpOp::Lt,
                    a: iv,
                    b: lo_r,
                    target: 0,
                }));
                let hi_r = self.const_int(*hi);
                let op = if *inclusive { CmpOp::Gt } else { CmpOp::Ge };
                fails.push(self.emit(Instr::JumpIfIntCmp {
                    op,
                    a: iv,
                    b: hi_r,
                    target: 0,
                }));
            }
            PatternKind::Typed { test, bind } => {
                if !statically_true(*test, &p.ty) {
                    self.type_test(v, *test, fails);
                }
                if let Some(l) = bind {
                    let r = self.local(*l);
                    self.copy(r, v);
                }
            }
            PatternKind::Variant {
                type_id,
                tag,
                payload,
            } => {
                self.type_test(v, TypeTest::Variant(*type_id, *tag), fails);
                for (i, sub) in payload.iter().enumerate() {
                    self.sub_pattern(sub, fails, |dst| Instr::PayloadGet {
                        dst,
                        src: v,
                        index: i as u32,
                    });
                }
            }
            PatternKind::Ok(sub) | PatternKind::Err(sub) => {
                let test = if matches!(p.kind, PatternKind::Ok(_)) {
                    TypeTest::Ok
                } else {
                    TypeTest::Err
                };
                self.type_test(v, test, fails);
                self.sub_pattern(sub, fails, |dst| Instr::ResultValue { dst, src: v });
            }
            PatternKind::Tuple(items) => {
                if !matches!(p.ty, Type::Tuple(_)) {
                    self.type_test(v, TypeTest::Tuple, fails);
                }
                for (i, sub) in items.iter().enumerate() {
                    self.sub_pattern(sub, fails, |dst| Instr::TupleGet {
                        dst,
                        tuple: v,
                        index: i as u32,
                    });
                }
            }
            PatternKind::List { items, rest } => {
                if !matches!(p.ty, Type::List(_)) {
                    self.type_test(v, TypeTest::List, fails);
                }
                let len = self.fresh(RegTy::Int);
                self.emit(Instr::ListLen { dst: len, list: v });
                let count = items.len() as i64;
                let want = self.const_int(count);
                let op = if rest.is_some() { CmpOp::Lt } else { CmpOp::Ne };
                fails.push(self.emit(Instr::JumpIfIntCmp {
                    op,
                    a: len,
                    b: want,
                    target: 0,
                }));
                for (i, sub) in items.iter().enumerate() {
                    if matches!(sub.kind, PatternKind::Wildcard) {
                        continue;
                    }
                    let idx = self.const_int(i as i64);
                    self.sub_pattern(sub, fails, |dst| Instr::ListGet { dst, list: v, idx });
                }
                if let Some(Some(l)) = rest {
                    // `...rest` is `drop(v, len(items))`.
                    self.at(p.span);
                    let args = self.fresh_run(&[RegTy::List, RegTy::Int]);
                    self.copy(args, v);
                    self.emit(Instr::LoadInt {
                        dst: args + 1,
                        value: count,
                    });
                    let dst = self.local(*l);
                    self.emit(Instr::CallBuiltin {
                        dst,
                        builtin: Builtin::Drop,
                        args,
                        argc: 2,
                    });
                }
            }
            PatternKind::Record { type_id, fields } => {
                let known = matches!(p.ty, Type::Named(id, _) if id == *type_id);
                if !known {
                    self.type_test(v, TypeTest::Record(*type_id), fails);
                }
                for (field, sub) in fields {
                    self.sub_pattern(sub, fails, |dst| Instr::FieldGet {
                        dst,
                        record: v,
                        field: *field,
                    });
                }
            }
            PatternKind::Or(alts) => {
                let Some((last, init)) = alts.split_last() else {
                    return;
                };
                let mut matched = vec![];
                for alt in init {
                    let mut next = vec![];
                    self.pattern(alt, v, &mut next);
                    matched.push(self.jump());
                    self.patch_here(next);
                }
                self.pattern(last, v, fails);
                self.patch_here(matched);
            }
        }
    }

    /// Matches a sub-value extracted by `get` (skipped for `_`; a binding of the same
    /// register type receives the value directly).
    fn sub_pattern(&mut self, sub: &Pattern, fails: &mut Patches, get: impl FnOnce(Reg) -> Instr) {
        let ty = self.reg_ty(&sub.ty);
        match sub.kind {
            PatternKind::Wildcard => {}
            PatternKind::Bind(l) if self.regs[self.local(l) as usize] == ty => {
                let dst = self.local(l);
                self.at(sub.span);
                self.emit(get(dst));
            }
            _ => {
                let t = self.fresh(ty);
                self.at(sub.span);
                self.emit(get(t));
                self.pattern(sub, t, fails);
            }
        }
    }

    /// Fails unless `v is test`.
    fn type_test(&mut self, v: Reg, test: TypeTest, fails: &mut Patches) {
        let t = self.fresh(RegTy::Bool);
        self.emit(Instr::Is {
            dst: t,
            src: v,
            test,
        });
        fails.push(self.emit(Instr::JumpIfNot { cond: t, target: 0 }));
    }

    /// Fails unless `v == val`.
    fn value_test(&mut self, v: Reg, val: &Value, fails: &mut Patches) {
        let ty = self.regs[v as usize];
        match val {
            Value::Null => self.type_test(v, TypeTest::Null, fails),
            Value::Int(c) if ty == RegTy::Int => {
                let k = self.const_int(*c);
                fails.push(self.emit(Instr::JumpIfIntCmp {
                    op: CmpOp::Ne,
                    a: v,
                    b: k,
                    target: 0,
                }));
            }
            Value::Bool(b) if ty == RegTy::Bool => {
                let i = if *b {
                    Instr::JumpIfNot { cond: v, target: 0 }
                } else {
                    Instr::JumpIf { cond: v, target: 0 }
                };
                fails.push(self.emit(i));
            }
            Value::Str(text) if ty == RegTy::Str => {
                let idx = self.pool.string(text.as_str());
                let k = self.const_pooled(idx);
                let t = self.fresh(RegTy::Bool);
                self.emit(Instr::StrCmp {
                    op: CmpOp::Eq,
                    dst: t,
                    a: v,
                    b: k,
                });
                fails.push(self.emit(Instr::JumpIfNot { cond: t, target: 0 }));
            }
            _ => {
                let kty = match val {
                    Value::Int(_) => RegTy::Int,
                    Value::Float(_) => RegTy::Float,
                    Value::Bool(_) => RegTy::Bool,
                    Value::Str(_) => RegTy::Str,
                    _ => RegTy::Dyn,
                };
                let k = self.fresh(kty);
                self.load_value(k, Some(val), None);
                let t = self.fresh(RegTy::Bool);
                self.emit(Instr::Eq { dst: t, a: v, b: k });
                fails.push(self.emit(Instr::JumpIfNot { cond: t, target: 0 }));
            }
        }
    }
}

/// True when every value of static type `ty` passes `test`.
fn statically_true(test: TypeTest, ty: &Type) -> bool {
    match (test, ty) {
        (TypeTest::Int, Type::Int)
        | (TypeTest::Float, Type::Float)
        | (TypeTest::Bool, Type::Bool)
        | (TypeTest::Str, Type::Str)
        | (TypeTest::Null, Type::Null)
        | (TypeTest::List, Type::List(_))
        | (TypeTest::Map, Type::Map(..))
        | (TypeTest::Tuple, Type::Tuple(_))
        | (TypeTest::Result, Type::Result(..))
        | (TypeTest::Fn, Type::Fn(..)) => true,
        (TypeTest::Record(a), Type::Named(b, _)) | (TypeTest::Enum(a), Type::Named(b, _)) => {
            a == *b
        }
        _ => false,
    }
}
