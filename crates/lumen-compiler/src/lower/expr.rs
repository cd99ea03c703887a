//! Lowering of expressions, statements, calls and assignments.

use super::{FnLower, has_assign, higher_order};
use crate::hir::{BinOp, Expr, ExprKind, IndexKind, LocalId, PatternKind, Place, PlaceElem, UnOp};
use crate::types::Type;
use lumen_core::builtins::Builtin;
use lumen_core::lir::{CmpOp, Instr, Reg, RegTy};
use lumen_core::value::Value;

impl FnLower<'_> {
    /// A register holding the value of `e`. For a local read this is the local's own
    /// register, so callers only read it.
    pub(super) fn expr(&mut self, e: &Expr) -> Reg {
        match e.kind {
            ExprKind::Local(l) => {
                let r = self.local(l);
                if self.regs[r as usize] == self.reg_ty(&e.ty) {
                    return r;
                }
            }
            ExprKind::Int(v) if e.ty == Type::Int => return self.const_int(v),
            ExprKind::Float(v) if e.ty == Type::Float => return self.const_float(v),
            ExprKind::Str(ref text) if e.ty == Type::Str => {
                let idx = self.pool.string(text);
                return self.const_pooled(idx);
            }
            ExprKind::Const(id) if matches!(e.ty, Type::Int | Type::Float | Type::Str) => {
                match self.prog.consts.get(id as usize) {
                    Some(Value::Int(v)) => return self.const_int(*v),
                    Some(Value::Float(v)) => return self.const_float(*v),
                    Some(Value::Str(_)) => return self.const_pooled(id),
                    _ => {}
                }
            }
            _ => {}
        }
        let t = self.fresh_of(&e.ty);
        self.expr_exact(e, t);
        t
    }

    /// Like [`FnLower::expr`], but copies a local's value when `later_assigns()` (an
    /// operand evaluated afterwards may assign the local, and this read comes first).
    /// The test is only run for local reads, keeping deep expressions linear.
    pub(super) fn operand(&mut self, e: &Expr, later_assigns: impl FnOnce() -> bool) -> Reg {
        if matches!(e.kind, ExprKind::Local(_)) && later_assigns() {
            let t = self.fresh_of(&e.ty);
            self.expr_exact(e, t);
            return t;
        }
        self.expr(e)
    }

    /// Evaluates `e` into `dst`, converting (by a copy) when `dst` has another register type.
    pub(super) fn expr_to(&mut self, e: &Expr, dst: Reg) {
        let ty = self.reg_ty(&e.ty);
        let dst_ty = self.regs[dst as usize];
        // Any result may be written to a `Dyn` register directly (it is boxed there).
        if ty == dst_ty || dst_ty == RegTy::Dyn || e.ty == Type::Never {
            self.expr_exact(e, dst);
        } else if dst_ty == RegTy::Null {
            // A `Null` destination discards the value (a `-> Null` cell's tail, §3.1).
            self.stmt(e);
            self.emit_at(e.span, Instr::LoadNull { dst });
        } else {
            let t = self.fresh(ty);
            self.expr_exact(e, t);
            self.at(e.span);
            self.copy(dst, t);
        }
    }

    /// Evaluates `e` into `dst`, whose register type is `e`'s or `Dyn`.
    fn expr_exact(&mut self, e: &Expr, dst: Reg) {
        use ExprKind as K;
        let span = e.span;
        let ops = strict_operands(e);
        if ops.iter().flatten().any(|o| o.ty == Type::Never) {
            // An operand of type `Never` produces no value (it raises an error, leaves,
            // or is a local narrowed to nothing, read where control never arrives): the
            // operands up to it are all that runs, and the operation, whose operand
            // registers would not have its types, is not emitted.
            for o in ops.into_iter().flatten() {
                self.stmt(o);
                if o.ty == Type::Never {
                    break;
                }
            }
            return self.unreachable_value(dst, span);
        }
        match &e.kind {
            K::Int(v) => self.emit_at(span, Instr::LoadInt { dst, value: *v }),
            K::Float(v) => self.emit_at(span, Instr::LoadFloat { dst, value: *v }),
            K::Bool(v) => self.emit_at(span, Instr::LoadBool { dst, value: *v }),
            K::Null => self.emit_at(span, Instr::LoadNull { dst }),
            K::Str(s) => {
                let idx = self.pool.string(s);
                self.emit_at(span, Instr::LoadConst { dst, idx })
            }
            K::Const(id) => {
                let value = self.prog.consts.get(*id as usize).cloned();
                self.at(span);
                self.load_value(dst, value.as_ref(), Some(*id));
            }
            K::Local(l) => {
                let src = self.local(*l);
                self.at(span);
                self.copy(dst, src);
            }
            K::FuncRef(f) => self.emit_at(
                span,
                Instr::MakeClosure {
                    dst,
                    cell: *f,
                    args: 0,
                    argc: 0,
                },
            ),
            K::Unary(op, a) => {
                let src = self.expr(a);
                let i = match op {
                    UnOp::IntNeg => Instr::IntNeg { dst, src },
                    UnOp::FloatNeg => Instr::FloatNeg { dst, src },
                    UnOp::Not => Instr::Not { dst, src },
                    UnOp::BitNot => Instr::BitNot { dst, src },
                };
                self.emit_at(span, i);
            }
            K::Binary(op, a, b) => self.binary(*op, a, b, dst, span),
            K::IntToFloat(a) => {
                let src = self.expr(a);
                self.emit_at(span, Instr::IntToFloat { dst, src });
            }
            K::FloatToInt(a) => {
                let src = self.expr(a);
                self.emit_at(span, Instr::FloatToInt { dst, src });
            }
            K::And(a, b) | K::Or(a, b) if self.regs[dst as usize] != RegTy::Bool => {
                // The short circuit tests the register, so it must be a Bool one.
                let t = self.fresh(RegTy::Bool);
                self.expr_exact(e, t);
                self.at(span);
                self.copy(dst, t);
            }
            K::And(a, b) | K::Or(a, b) => {
                self.expr_to(a, dst);
                let skip = if matches!(e.kind, K::And(..)) {
                    Instr::JumpIfNot {
                        cond: dst,
                        target: 0,
                    }
                } else {
                    Instr::JumpIf {
                        cond: dst,
                        target: 0,
                    }
                };
                self.at(span);
                let j = self.emit(skip);
                self.expr_to(b, dst);
                self.patch_here(vec![j]);
            }
            K::Coalesce(a, b) if self.reg_ty(&a.ty) == RegTy::Null => {
                // `a` is always null (`null ?? b`): evaluate it, then `b` gives the value.
                self.stmt(a);
                self.expr_to(b, dst);
            }
            K::Coalesce(a, b) => {
                let ra = self.expr(a);
                self.at(span);
                let to_b = self.emit(Instr::JumpIfNull { src: ra, target: 0 });
                self.copy(dst, ra);
                let end = self.jump();
                self.patch_here(vec![to_b]);
                self.expr_to(b, dst);
                self.patch_here(vec![end]);
            }
            K::Unwrap(a) => {
                let src = self.expr(a);
                self.emit_at(span, Instr::Unwrap { dst, src });
            }
            K::Is(a, test) => {
                let src = self.expr(a);
                self.emit_at(
                    span,
                    Instr::Is {
                        dst,
                        src,
                        test: *test,
                    },
                );
            }
            K::If {
                cond,
                then_branch,
                else_branch,
            } => self.if_(cond, then_branch, else_branch.as_deref(), Some(dst)),
            K::Block(es) => match es.split_last() {
                Some((last, init)) => {
                    let takes = take_outs(es);
                    for (k, s) in init.iter().enumerate() {
                        self.block_stmt(s, takes[k]);
                    }
                    self.expr_to(last, dst);
                }
                None => self.emit_at(span, Instr::LoadNull { dst }),
            },
            K::Let { .. }
            | K::Assign { .. }
            | K::While { .. }
            | K::Loop { .. }
            | K::For { .. }
            | K::Break(_)
            | K::Continue(_)
            | K::Return(_)
            | K::Halt(_)
            | K::NoMatch => {
                self.stmt(e);
                if e.ty != Type::Never {
                    self.emit_at(span, Instr::LoadNull { dst });
                }
            }
            K::Call { func, args } => {
                let tys: Vec<RegTy> = match self.prog.funcs.get(*func as usize) {
                    Some(callee) if callee.params.len() == args.len() => callee
                        .params
                        .iter()
                        .map(|&p| self.reg_ty(&callee.locals[p as usize].ty))
                        .collect(),
                    _ => args.iter().map(|a| self.reg_ty(&a.ty)).collect(),
                };
                let base = self.run(args, &tys);
                self.emit_at(
                    span,
                    Instr::Call {
                        dst,
                        cell: *func,
                        args: base,
                        argc: args.len() as u32,
                    },
                );
            }
            K::CallBuiltin {
                builtin: Builtin::LenList,
                args,
            } if args.len() == 1 => {
                // `len(xs)` reads the list in place: no operand copy, no builtin call.
                let list = self.expr(&args[0]);
                self.emit_at(span, Instr::ListLen { dst, list });
            }
            K::CallBuiltin {
                builtin: Builtin::ToString,
                args,
            } if args.len() == 1 => {
                let src = self.expr(&args[0]);
                self.emit_at(span, Instr::ToStr { dst, src });
            }
            K::CallBuiltin { builtin, args } if higher_order::shape(*builtin, args).is_some() => {
                self.higher_order(*builtin, args, &e.ty, dst, span);
            }
            K::CallBuiltin { builtin, args } => {
                let base = self.run_typed(args);
                self.emit_at(
                    span,
                    Instr::CallBuiltin {
                        dst,
                        builtin: *builtin,
                        args: base,
                        argc: args.len() as u32,
                    },
                );
            }
            K::CallValue { callee, args } => {
                let c = self.operand(callee, || args.iter().any(has_assign));
                let base = self.run_typed(args);
                self.emit_at(
                    span,
                    Instr::CallValue {
                        dst,
                        callee: c,
                        args: base,
                        argc: args.len() as u32,
                    },
                );
            }
            K::Closure { func, captures } => {
                let tys: Vec<RegTy> = match self.prog.funcs.get(*func as usize) {
                    Some(f) if f.captures.len() == captures.len() => f
                        .captures
                        .iter()
                        .map(|&c| self.reg_ty(&f.locals[c as usize].ty))
                        .collect(),
                    _ => captures.iter().map(|a| self.reg_ty(&a.ty)).collect(),
                };
                let base = self.run(captures, &tys);
                self.emit_at(
                    span,
                    Instr::MakeClosure {
                        dst,
                        cell: *func,
                        args: base,
                        argc: captures.len() as u32,
                    },
                );
            }
            K::List(items) => {
                let args = self.run_typed(items);
                let argc = items.len() as u32;
                self.emit_at(span, Instr::ListNew { dst, args, argc });
            }
            K::Map(pairs) => {
                let mut tys = Vec::with_capacity(pairs.len() * 2);
                for (k, v) in pairs {
                    tys.push(self.reg_ty(&k.ty));
                    tys.push(self.reg_ty(&v.ty));
                }
                let args = self.fresh_run(&tys);
                for (i, (k, v)) in pairs.iter().enumerate() {
                    let r = args + 2 * i as Reg;
                    self.expr_to(k, r);
                    self.expr_to(v, r + 1);
                }
                let pairs = pairs.len() as u32;
                self.emit_at(span, Instr::MapNew { dst, args, pairs });
            }
            K::Tuple(items) => {
                let args = self.run_typed(items);
                let argc = items.len() as u32;
                self.emit_at(span, Instr::TupleNew { dst, args, argc });
            }
            K::Range { lo, hi, inclusive } => {
                let lo = self.operand(lo, || has_assign(hi));
                let hi = self.expr(hi);
                let inclusive = *inclusive;
                self.emit_at(
                    span,
                    Instr::RangeList {
                        dst,
                        lo,
                        hi,
                        inclusive,
                    },
                );
            }
            K::Record { type_id, fields } => {
                let args = self.run_typed(fields);
                let type_id = *type_id;
                self.emit_at(span, Instr::RecordNew { dst, type_id, args });
            }
            K::Variant {
                type_id,
                tag,
                payload,
            } if payload.is_empty() => {
                let idx = self.pool.variant(*type_id, *tag);
                self.emit_at(span, Instr::LoadConst { dst, idx });
            }
            K::Variant {
                type_id,
                tag,
                payload,
            } => {
                let args = self.run_typed(payload);
                let (type_id, tag) = (*type_id, *tag);
                self.emit_at(
                    span,
                    Instr::VariantNew {
                        dst,
                        type_id,
                        tag,
                        args,
                    },
                );
            }
            K::Ok(a) => {
                let src = self.expr(a);
                self.emit_at(span, Instr::MakeOk { dst, src });
            }
            K::Err(a) => {
                let src = self.expr(a);
                self.emit_at(span, Instr::MakeErr { dst, src });
            }
            K::Index { kind, base, index } => {
                let b = self.operand(base, || has_assign(index));
                let i = self.expr(index);
                let instr = match kind {
                    IndexKind::List => Instr::ListGet {
                        dst,
                        list: b,
                        idx: i,
                    },
                    IndexKind::Str => Instr::StrIndex { dst, s: b, idx: i },
                    IndexKind::Map => Instr::MapGet {
                        dst,
                        map: b,
                        key: i,
                    },
                };
                self.emit_at(span, instr);
            }
            K::Field { base, index } => {
                let record = self.expr(base);
                let field = *index;
                self.emit_at(span, Instr::FieldGet { dst, record, field });
            }
            K::TupleGet { base, index } => {
                let tuple = self.expr(base);
                let index = *index;
                self.emit_at(span, Instr::TupleGet { dst, tuple, index });
            }
            K::Interp(parts) => {
                if let [only] = parts.as_slice()
                    && only.ty == Type::Str
                {
                    return self.expr_to(only, dst);
                }
                let args = self.run_typed(parts);
                let argc = parts.len() as u32;
                self.emit_at(span, Instr::StrBuild { dst, args, argc });
            }
            K::Match { scrutinee, arms } => self.match_(scrutinee, arms, Some(dst), span),
        }
    }

    /// Evaluates `e` for its effects only.
    pub(super) fn stmt(&mut self, e: &Expr) {
        use ExprKind as K;
        let span = e.span;
        match &e.kind {
            K::Int(_)
            | K::Float(_)
            | K::Bool(_)
            | K::Str(_)
            | K::Null
            | K::Const(_)
            | K::Local(_)
            | K::FuncRef(_) => {}
            K::Let { pattern, value } => {
                if let PatternKind::Bind(l) = pattern.kind {
                    self.assign_local(l, value);
                } else {
                    let v = self.expr(value);
                    let mut fails = Vec::new();
                    self.pattern(pattern, v, &mut fails);
                    if !fails.is_empty() {
                        // An irrefutable pattern cannot fail; stay well-formed anyway.
                        let over = self.jump();
                        self.patch_here(fails);
                        self.emit_at(span, Instr::NoMatch);
                        self.patch_here(vec![over]);
                    }
                }
            }
            K::Assign { place, value } => self.assign(place, value),
            K::While { id, cond, body } => self.while_(*id, cond, body, span),
            K::Loop { id, body } => self.loop_(*id, body),
            K::For {
                id,
                pattern,
                source,
                filter,
                body,
            } => self.for_(*id, pattern, source, filter.as_deref(), body, span),
            K::Break(id) | K::Continue(id) => {
                self.at(span);
                let j = self.jump();
                let is_break = matches!(e.kind, K::Break(_));
                if let Some(ctx) = self.loop_ctx(*id) {
                    if is_break {
                        ctx.breaks.push(j);
                    } else {
                        ctx.continues.push(j);
                    }
                }
            }
            K::Return(a) => {
                let ret = self.reg_ty(&self.func.ret);
                let mut src = self.expr(a);
                if self.regs[src as usize] != ret {
                    let t = self.fresh(ret);
                    self.at(span);
                    self.copy(t, src);
                    src = t;
                }
                self.emit_at(span, Instr::Return { src });
            }
            K::Halt(a) => {
                let msg = self.expr(a);
                self.emit_at(span, Instr::Halt { msg });
            }
            K::NoMatch => self.emit_at(span, Instr::NoMatch),
            K::If {
                cond,
                then_branch,
                else_branch,
            } => self.if_(cond, then_branch, else_branch.as_deref(), None),
            K::Block(es) => {
                let takes = take_outs(es);
                for (s, take) in es.iter().zip(takes) {
                    self.block_stmt(s, take);
                }
            }
            K::Match { scrutinee, arms } => self.match_(scrutinee, arms, None, span),
            _ => {
                self.expr(e);
            }
        }
    }

    /// A statement of a block; `take` marks a `let mut p = xs[i]` whose element is put
    /// back by a later `xs[i] = p` (see [`take_outs`]).
    fn block_stmt(&mut self, s: &Expr, take: bool) {
        if take
            && let ExprKind::Let { pattern, value } = &s.kind
            && let PatternKind::Bind(p) = pattern.kind
            && let ExprKind::Index { base, index, .. } = &value.kind
            && let (ExprKind::Local(xs), ExprKind::Local(i)) = (&base.kind, &index.kind)
            && self.regs[self.local(*xs) as usize] == RegTy::List
            && self.regs[self.local(*i) as usize] == RegTy::Int
        {
            // Take the element out (its slot holds null until the store puts it back), so
            // `p` holds the only reference and updating its fields copies nothing
            // (clarification 18).
            let (list, idx, dst) = (self.local(*xs), self.local(*i), self.local(p));
            self.emit_at(value.span, Instr::ListGet { dst, list, idx });
            let null = self.null_reg();
            self.emit(Instr::ListSet {
                list,
                idx,
                src: null,
            });
            return;
        }
        self.stmt(s);
    }

    /// Emits `i` at position `pos`.
    pub(super) fn emit_at(&mut self, pos: crate::hir::Span, i: Instr) {
        self.at(pos);
        self.emit(i);
    }

    /// Loads a constant value into `dst` (scalars inline, others from the pool; `id` is
    /// the value's index in the pool when it already has one).
    pub(super) fn load_value(&mut self, dst: Reg, value: Option<&Value>, id: Option<u32>) {
        let i = match value {
            Some(Value::Int(v)) => Instr::LoadInt { dst, value: *v },
            Some(Value::Float(v)) => Instr::LoadFloat { dst, value: *v },
            Some(Value::Bool(v)) => Instr::LoadBool { dst, value: *v },
            Some(Value::Null) | None => Instr::LoadNull { dst },
            Some(v) => Instr::LoadConst {
                dst,
                idx: id.unwrap_or_else(|| self.pool.value(v)),
            },
        };
        self.emit(i);
    }

    /// Evaluates `items` into consecutive fresh registers of the given types.
    fn run(&mut self, items: &[Expr], tys: &[RegTy]) -> Reg {
        let base = self.fresh_run(tys);
        for (i, e) in items.iter().enumerate() {
            self.expr_to(e, base + i as Reg);
        }
        base
    }

    /// Evaluates `items` into consecutive fresh registers of their own types.
    fn run_typed(&mut self, items: &[Expr]) -> Reg {
        let tys: Vec<RegTy> = items.iter().map(|e| self.reg_ty(&e.ty)).collect();
        self.run(items, &tys)
    }

    /// Fills `dst` after code that cannot complete, for the verifier and native code,
    /// which read typed registers: a scalar gets a constant; any other register keeps
    /// its initial null, never read.
    fn unreachable_value(&mut self, dst: Reg, span: crate::hir::Span) {
        let i = match self.regs[dst as usize] {
            RegTy::Int => Instr::LoadInt { dst, value: 0 },
            RegTy::Float => Instr::LoadFloat { dst, value: 0.0 },
            RegTy::Bool => Instr::LoadBool { dst, value: false },
            RegTy::Null | RegTy::Dyn => Instr::LoadNull { dst },
            _ => return,
        };
        self.emit_at(span, i);
    }

    /// An Int literal or Int constant.
    fn int_literal(&self, e: &Expr) -> Option<i64> {
        match e.kind {
            ExprKind::Int(v) => Some(v),
            ExprKind::Const(id) => match self.prog.consts.get(id as usize) {
                Some(Value::Int(v)) => Some(*v),
                _ => None,
            },
            _ => None,
        }
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, dst: Reg, span: crate::hir::Span) {
        // `x + c`, `c + x`, `x - c`: one immediate add (counters, indices).
        let imm = match op {
            BinOp::IntAdd => self
                .int_literal(b)
                .map(|c| (a, c))
                .or_else(|| self.int_literal(a).map(|c| (b, c))),
            BinOp::IntSub => self
                .int_literal(b)
                .and_then(|c| c.checked_neg())
                .map(|c| (a, c)),
            _ => None,
        };
        if let Some((x, value)) = imm {
            let a = self.expr(x);
            return self.emit_at(span, Instr::IntAddImm { dst, a, value });
        }
        if let Some(builtin) = match op {
            BinOp::InList => Some(Builtin::ContainsList),
            BinOp::InMap => Some(Builtin::HasKey),
            BinOp::InStr => Some(Builtin::ContainsStr),
            _ => None,
        } {
            // `x in c` evaluates `x` first but the builtin takes `(c, x)`.
            let args = self.fresh_run(&[self.reg_ty(&b.ty), self.reg_ty(&a.ty)]);
            self.expr_to(a, args + 1);
            self.expr_to(b, args);
            return self.emit_at(
                span,
                Instr::CallBuiltin {
                    dst,
                    builtin,
                    args,
                    argc: 2,
                },
            );
        }
        if op == BinOp::StrConcat {
            let mut parts = Vec::new();
            concat_parts(a, &mut parts);
            concat_parts(b, &mut parts);
            if parts.len() > 2 {
                // `a + b + c`: one string built at its final size, not a new string
                // per `+` (the parts are evaluated in the same order).
                let tys: Vec<RegTy> = parts.iter().map(|e| self.reg_ty(&e.ty)).collect();
                let args = self.fresh_run(&tys);
                for (i, e) in parts.iter().enumerate() {
                    self.expr_to(e, args + i as Reg);
                }
                let argc = parts.len() as u32;
                return self.emit_at(span, Instr::StrBuild { dst, args, argc });
            }
        }
        let ra = self.operand(a, || has_assign(b));
        let rb = self.expr(b);
        let (a, b) = (ra, rb);
        let i = match op {
            BinOp::IntAdd => Instr::IntAdd { dst, a, b },
            BinOp::IntSub => Instr::IntSub { dst, a, b },
            BinOp::IntMul => Instr::IntMul { dst, a, b },
            BinOp::IntDiv => Instr::IntDiv { dst, a, b },
            BinOp::IntFloorDiv => Instr::IntFloorDiv { dst, a, b },
            BinOp::IntMod => Instr::IntMod { dst, a, b },
            BinOp::IntPow => Instr::IntPow { dst, a, b },
            BinOp::BitAnd => Instr::BitAnd { dst, a, b },
            BinOp::BitOr => Instr::BitOr { dst, a, b },
            BinOp::BitXor => Instr::BitXor { dst, a, b },
            BinOp::Shl => Instr::Shl { dst, a, b },
            BinOp::Shr => Instr::Shr { dst, a, b },
            BinOp::FloatAdd => Instr::FloatAdd { dst, a, b },
            BinOp::FloatSub => Instr::FloatSub { dst, a, b },
            BinOp::FloatMul => Instr::FloatMul { dst, a, b },
            BinOp::FloatDiv => Instr::FloatDiv { dst, a, b },
            BinOp::FloatFloorDiv => Instr::FloatFloorDiv { dst, a, b },
            BinOp::FloatMod => Instr::FloatMod { dst, a, b },
            BinOp::FloatPow => Instr::FloatPow { dst, a, b },
            BinOp::StrConcat => Instr::StrConcat { dst, a, b },
            BinOp::ListConcat => Instr::ListConcat { dst, a, b },
            BinOp::Eq | BinOp::Ne => {
                let eq = op == BinOp::Eq;
                let (ta, tb) = (self.regs[a as usize], self.regs[b as usize]);
                let cmp = if eq { CmpOp::Eq } else { CmpOp::Ne };
                match (ta, tb) {
                    (RegTy::Int, RegTy::Int) => Instr::IntCmp { op: cmp, dst, a, b },
                    (RegTy::Str, RegTy::Str) => Instr::StrCmp { op: cmp, dst, a, b },
                    _ if eq => Instr::Eq { dst, a, b },
                    _ => Instr::Ne { dst, a, b },
                }
            }
            BinOp::IntLt | BinOp::IntLe | BinOp::IntGt | BinOp::IntGe => Instr::IntCmp {
                op: cmp_of(op),
                dst,
                a,
                b,
            },
            BinOp::FloatLt | BinOp::FloatLe | BinOp::FloatGt | BinOp::FloatGe => Instr::FloatCmp {
                op: cmp_of(op),
                dst,
                a,
                b,
            },
            BinOp::StrLt | BinOp::StrLe | BinOp::StrGt | BinOp::StrGe => Instr::StrCmp {
                op: cmp_of(op),
                dst,
                a,
                b,
            },
            BinOp::InList | BinOp::InMap | BinOp::InStr => unreachable!("handled above"),
        };
        self.emit_at(span, i);
    }

    /// `local = value`: the value is computed straight into the local's register when
    /// possible (so `x = x + 1` is one instruction and `xs = append(xs, v)` moves `xs`).
    pub(super) fn assign_local(&mut self, l: LocalId, value: &Expr) {
        let dst = self.local(l);
        if let ExprKind::Local(src) = value.kind {
            let src = self.local(src);
            self.at(value.span);
            return self.copy(dst, src);
        }
        let t = self.fresh_of(&value.ty);
        self.expr_exact(value, t);
        if value.ty != Type::Never {
            self.at(value.span);
            self.redirect(t, dst);
        }
    }

    /// `place = value` for places with a path. Order (§4.3): index expressions left to
    /// right, the value, then the store. Nested containers are taken out of their parent
    /// (the slot is nulled) while updated, so a uniquely held inner list or record is
    /// updated in place rather than copied; the store puts it back.
    fn assign(&mut self, place: &Place, value: &Expr) {
        if place.path.is_empty() {
            return self.assign_local(place.root, value);
        }
        let n = place.path.len();
        let mut keys: Vec<Option<Reg>> = Vec::with_capacity(n);
        for (i, elem) in place.path.iter().enumerate() {
            let key = match elem {
                PlaceElem::Field(_) => None,
                PlaceElem::ListIndex(e) | PlaceElem::MapIndex(e) => {
                    let later = || {
                        place.path[i + 1..].iter().any(|el| match el {
                            PlaceElem::ListIndex(x) | PlaceElem::MapIndex(x) => has_assign(x),
                            PlaceElem::Field(_) => false,
                        }) || has_assign(value)
                    };
                    Some(self.operand(e, later))
                }
            };
            keys.push(key);
        }
        let src = self.expr(value);
        self.at(place.span);
        // Containers along the path: the root, then each intermediate value.
        let mut containers = vec![self.local(place.root)];
        let mut ty = self.func.locals[place.root as usize].ty.clone();
        let null = if n > 1 { Some(self.null_reg()) } else { None };
        for (i, elem) in place.path[..n - 1].iter().enumerate() {
            ty = self.step_type(&ty, elem);
            let inner = self.fresh_of(&ty);
            let outer = containers[i];
            self.get(inner, outer, elem, keys[i]);
            if let Some(null) = null {
                self.set(outer, elem, keys[i], null);
            }
            containers.push(inner);
        }
        self.set(containers[n - 1], &place.path[n - 1], keys[n - 1], src);
        for i in (0..n - 1).rev() {
            self.set(containers[i], &place.path[i], keys[i], containers[i + 1]);
        }
    }

    /// Type of the value one path step below a value of type `ty` (`Never` when unknown,
    /// which lowers to a `Dyn` register).
    fn step_type(&self, ty: &Type, elem: &PlaceElem) -> Type {
        match (ty, elem) {
            (Type::List(t), PlaceElem::ListIndex(_)) => (**t).clone(),
            (Type::Map(_, v), PlaceElem::MapIndex(_)) => (**v).clone(),
            (Type::Named(id, _), PlaceElem::Field(f)) => match self.prog.types.get(*id as usize) {
                Some(crate::hir::TypeDecl::Record { fields, .. }) => fields
                    .get(*f as usize)
                    .map_or(Type::Never, |(_, t)| t.clone()),
                _ => Type::Never,
            },
            _ => Type::Never,
        }
    }

    fn get(&mut self, dst: Reg, container: Reg, elem: &PlaceElem, key: Option<Reg>) {
        let i = match elem {
            PlaceElem::Field(f) => Instr::FieldGet {
                dst,
                record: container,
                field: *f,
            },
            PlaceElem::ListIndex(_) => Instr::ListGet {
                dst,
                list: container,
                idx: key.unwrap_or(0),
            },
            PlaceElem::MapIndex(_) => Instr::MapGet {
                dst,
                map: container,
                key: key.unwrap_or(0),
            },
        };
        self.emit(i);
    }

    fn set(&mut self, container: Reg, elem: &PlaceElem, key: Option<Reg>, src: Reg) {
        let i = match elem {
            PlaceElem::Field(f) => Instr::FieldSet {
                record: container,
                field: *f,
                src,
            },
            PlaceElem::ListIndex(_) => Instr::ListSet {
                list: container,
                idx: key.unwrap_or(0),
                src,
            },
            PlaceElem::MapIndex(_) => Instr::MapSet {
                map: container,
                key: key.unwrap_or(0),
                src,
            },
        };
        self.emit(i);
    }
}

/// The comparison of an ordered Int/Float/String operator.
fn cmp_of(op: BinOp) -> CmpOp {
    match op {
        BinOp::IntLt | BinOp::FloatLt | BinOp::StrLt => CmpOp::Lt,
        BinOp::IntLe | BinOp::FloatLe | BinOp::StrLe => CmpOp::Le,
        BinOp::IntGt | BinOp::FloatGt | BinOp::StrGt => CmpOp::Gt,
        BinOp::IntGe | BinOp::FloatGe | BinOp::StrGe => CmpOp::Ge,
        BinOp::Eq => CmpOp::Eq,
        _ => CmpOp::Ne,
    }
}

/// For each statement of a block: true for a `let mut p = xs[i]` (locals `xs`, `i`)
/// followed later in the same block by `xs[i] = p`, with nothing in between that mentions
/// `xs`, assigns `i` or leaves the block early (`break`, `continue`, `return`). The
/// element may then be taken out of the list meanwhile, as nobody can observe its slot.
fn take_outs(es: &[Expr]) -> Vec<bool> {
    let mut out = vec![false; es.len()];
    for (j, s) in es.iter().enumerate() {
        let ExprKind::Let { pattern, value } = &s.kind else {
            continue;
        };
        let PatternKind::Bind(p) = pattern.kind else {
            continue;
        };
        let ExprKind::Index {
            kind: IndexKind::List,
            base,
            index,
        } = &value.kind
        else {
            continue;
        };
        let (&ExprKind::Local(xs), &ExprKind::Local(i)) = (&base.kind, &index.kind) else {
            continue;
        };
        for later in &es[j + 1..] {
            if is_store_back(later, xs, i, p) {
                out[j] = true;
                break;
            }
            let interferes = super::any_sub(later, &mut |x| match &x.kind {
                ExprKind::Local(l) => *l == xs,
                ExprKind::Assign { place, .. } => place.root == xs || place.root == i,
                ExprKind::Break(_) | ExprKind::Continue(_) | ExprKind::Return(_) => true,
                _ => false,
            });
            if interferes {
                break;
            }
        }
    }
    out
}

/// `xs[i] = p` exactly.
fn is_store_back(e: &Expr, xs: LocalId, i: LocalId, p: LocalId) -> bool {
    match &e.kind {
        ExprKind::Assign { place, value } => {
            place.root == xs
                && matches!(value.kind, ExprKind::Local(v) if v == p)
                && matches!(place.path.as_slice(), [PlaceElem::ListIndex(x)]
                    if matches!(x.kind, ExprKind::Local(v) if v == i))
        }
        _ => false,
    }
}

/// The operands of a chain of String `+` (however parenthesised), left to right.
fn concat_parts<'e>(e: &'e Expr, parts: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary(BinOp::StrConcat, a, b) => {
            concat_parts(a, parts);
            concat_parts(b, parts);
        }
        _ => parts.push(e),
    }
}

/// The operands of `e`, in order, when its operation only evaluates them and then runs
/// (no short circuit, no branches): unary and binary operators, conversions, reads of
/// an index, field or tuple element. None for any other expression.
fn strict_operands(e: &Expr) -> [Option<&Expr>; 2] {
    use ExprKind as K;
    match &e.kind {
        K::Unary(_, a)
        | K::IntToFloat(a)
        | K::FloatToInt(a)
        | K::Field { base: a, .. }
        | K::TupleGet { base: a, .. } => [Some(a), None],
        K::Binary(_, a, b) => [Some(a), Some(b)],
        K::Index { base, index, .. } => [Some(base), Some(index)],
        _ => [None, None],
    }
}
