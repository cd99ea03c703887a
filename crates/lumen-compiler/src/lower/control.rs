//! Lowering of conditions, `if`, loops and `match`.
//!
//! Conditions compile to jumps, not Bool values: `and`/`or`/`not` become control flow
//! and Int comparisons become one fused `JumpIfIntCmp`. Loops are rotated (the test sits
//! at the bottom, entered by one initial jump) so each iteration runs one branch.

use super::{FnLower, LoopCtx, Patches, has_assign};
use crate::hir::{Arm, BinOp, Expr, ExprKind, ForSource, LoopId, Pattern, PatternKind, Span, UnOp};
use lumen_core::builtins::Builtin;
use lumen_core::lir::{CmpOp, Instr, Reg, RegTy};

impl FnLower<'_> {
    /// Emits a test of the Bool `cond` that jumps when it equals `when` and falls through
    /// otherwise; returns the jumps to patch.
    pub(super) fn branch(&mut self, cond: &Expr, when: bool) -> Patches {
        match &cond.kind {
            ExprKind::Bool(b) => {
                if *b == when {
                    self.at(cond.span);
                    vec![self.jump()]
                } else {
                    vec![]
                }
            }
            ExprKind::Unary(UnOp::Not, a) => self.branch(a, !when),
            ExprKind::And(a, b) => {
                if when {
                    let fail = self.branch(a, false);
                    let hit = self.branch(b, true);
                    self.patch_here(fail);
                    hit
                } else {
                    let mut p = self.branch(a, false);
                    p.extend(self.branch(b, false));
                    p
                }
            }
            ExprKind::Or(a, b) => {
                if when {
                    let mut p = self.branch(a, true);
                    p.extend(self.branch(b, true));
                    p
                } else {
                    let hit = self.branch(a, true);
                    let fail = self.branch(b, false);
                    self.patch_here(hit);
                    fail
                }
            }
            ExprKind::Binary(op, a, b) if int_cmp(*op, a, b).is_some() => {
                let op = int_cmp(*op, a, b).unwrap_or(CmpOp::Eq);
                let ra = self.operand(a, || has_assign(b));
                let rb = self.expr(b);
                let op = if when { op } else { op.negated_total() };
                self.at(cond.span);
                vec![self.emit(Instr::JumpIfIntCmp {
                    op,
                    a: ra,
                    b: rb,
                    target: 0,
                })]
            }
            _ => {
                let c = self.expr(cond);
                self.at(cond.span);
                let i = if when {
                    Instr::JumpIf { cond: c, target: 0 }
                } else {
                    Instr::JumpIfNot { cond: c, target: 0 }
                };
                vec![self.emit(i)]
            }
        }
    }

    /// `if`; with `dst` its value goes there (`null` without an `else`).
    pub(super) fn if_(&mut self, cond: &Expr, then: &Expr, els: Option<&Expr>, dst: Option<Reg>) {
        let falses = self.branch(cond, false);
        match (els, dst) {
            (Some(els), _) => {
                self.arm_body(then, dst);
                let end = self.jump();
                self.patch_here(falses);
                self.arm_body(els, dst);
                self.patch_here(vec![end]);
            }
            (None, _) => {
                self.stmt(then);
                self.patch_here(falses);
                if let Some(dst) = dst {
                    self.emit(Instr::LoadNull { dst });
                }
            }
        }
    }

    /// A branch body: its value into `dst`, or for effect only.
    fn arm_body(&mut self, body: &Expr, dst: Option<Reg>) {
        match dst {
            Some(d) => self.expr_to(body, d),
            None => self.stmt(body),
        }
    }

    fn push_loop(&mut self, id: LoopId) {
        self.loops.push(LoopCtx {
            id,
            breaks: vec![],
            continues: vec![],
        });
    }

    fn pop_loop(&mut self) -> LoopCtx {
        self.loops.pop().unwrap_or(LoopCtx {
            id: 0,
            breaks: vec![],
            continues: vec![],
        })
    }

    pub(super) fn while_(&mut self, id: LoopId, cond: &Expr, body: &Expr, span: Span) {
        self.at(span);
        let to_test = self.jump();
        self.push_loop(id);
        let top = self.label();
        self.stmt(body);
        let ctx = self.pop_loop();
        let mut test = ctx.continues;
        test.push(to_test);
        self.patch_here(test);
        let again = self.branch(cond, true);
        self.patch_to(again, top);
        self.patch_here(ctx.breaks);
    }

    pub(super) fn loop_(&mut self, id: LoopId, body: &Expr) {
        self.push_loop(id);
        let top = self.label();
        self.stmt(body);
        self.emit(Instr::Jump { target: top });
        let ctx = self.pop_loop();
        self.patch_to(ctx.continues, top);
        self.patch_here(ctx.breaks);
    }

    /// The register of the list an unfiltered loop body does nothing but append to (a
    /// comprehension's), if it is one: it gets one element per step. (A List register
    /// holds a list, so reserving room in it cannot fail.)
    fn appended_list(&self, filter: Option<&Expr>, body: &Expr) -> Option<Reg> {
        let list = self.local(appended_local(body)?);
        (filter.is_none() && self.regs[list as usize] == RegTy::List).then_some(list)
    }

    /// `list = reserve_range(list, lo, hi)`: room in `list` for one element per step of
    /// a loop from `lo` to `hi` (a comprehension's), appended next.
    fn reserve_range(&mut self, list: Reg, lo: Reg, hi: Reg, inclusive: bool) {
        let run = self.fresh_run(&[RegTy::List, RegTy::Int, RegTy::Int]);
        self.emit(Instr::Move {
            dst: run,
            src: list,
        });
        self.emit(Instr::Copy {
            dst: run + 1,
            src: lo,
        });
        self.emit(Instr::Copy {
            dst: run + 2,
            src: hi,
        });
        let builtin = if inclusive {
            Builtin::ReserveRangeInclusive
        } else {
            Builtin::ReserveRange
        };
        self.emit(Instr::CallBuiltin {
            dst: list,
            builtin,
            args: run,
            argc: 3,
        });
    }

    /// `for`: over a range with a counter (no list), over a list (or the list of a
    /// String's characters, or of a map's entries) with an index.
    pub(super) fn for_(
        &mut self,
        id: LoopId,
        pattern: &Pattern,
        source: &ForSource,
        filter: Option<&Expr>,
        body: &Expr,
        span: Span,
    ) {
        match source {
            ForSource::Range { lo, hi, inclusive } => {
                // The loop variable's own register is the counter when it is an Int
                // binding: it is immutable in the body, so nothing else writes it.
                let counter = match pattern.kind {
                    PatternKind::Bind(l) if self.regs[self.local(l) as usize] == RegTy::Int => {
                        self.local(l)
                    }
                    _ => self.fresh(RegTy::Int),
                };
                self.expr_to(lo, counter);
                let hi = self.stable(hi, RegTy::Int);
                self.at(span);
                if let Some(acc) = self.appended_list(filter, body) {
                    self.reserve_range(acc, counter, hi, *inclusive);
                }
                let to_test = self.jump();
                self.push_loop(id);
                let top = self.label();
                self.bind_element(pattern, counter);
                self.filtered_body(filter, body);
                let ctx = self.pop_loop();
                self.patch_here(ctx.continues);
                self.at(span);
                let mut exits = ctx.breaks;
                if *inclusive {
                    // Stop before incrementing past `hi` (which may be the largest Int).
                    exits.push(self.emit(Instr::JumpIfIntCmp {
                        op: CmpOp::Ge,
                        a: counter,
                        b: hi,
                        target: 0,
                    }));
                }
                self.emit(Instr::IntAddImm {
                    dst: counter,
                    a: counter,
                    value: 1,
                });
                self.patch_here(vec![to_test]);
                let op = if *inclusive { CmpOp::Le } else { CmpOp::Lt };
                self.emit(Instr::JumpIfIntCmp {
                    op,
                    a: counter,
                    b: hi,
                    target: top,
                });
                self.patch_here(exits);
            }
            ForSource::List(e) | ForSource::Str(e) | ForSource::Map(e) => {
                let list = match source {
                    ForSource::List(_) => self.stable(e, RegTy::List),
                    _ => {
                        let builtin = if matches!(source, ForSource::Str(_)) {
                            Builtin::Chars
                        } else {
                            Builtin::Entries
                        };
                        let arg_ty = self.reg_ty(&e.ty);
                        let arg = self.fresh(arg_ty);
                        self.expr_to(e, arg);
                        let list = self.fresh(RegTy::List);
                        self.at(span);
                        self.emit(Instr::CallBuiltin {
                            dst: list,
                            builtin,
                            args: arg,
                            argc: 1,
                        });
                        list
                    }
                };
                self.at(span);
                let len = self.fresh(RegTy::Int);
                self.emit(Instr::ListLen { dst: len, list });
                let i = self.fresh(RegTy::Int);
                self.emit(Instr::LoadInt { dst: i, value: 0 });
                if let Some(acc) = self.appended_list(filter, body) {
                    self.reserve_range(acc, i, len, false);
                }
                let to_test = self.jump();
                self.push_loop(id);
                let top = self.label();
                let elem = match pattern.kind {
                    PatternKind::Bind(l)
                        if self.regs[self.local(l) as usize] == self.reg_ty(&pattern.ty) =>
                    {
                        self.local(l)
                    }
                    _ => self.fresh_of(&pattern.ty),
                };
                self.at(span);
                self.emit(Instr::ListGet {
                    dst: elem,
                    list,
                    idx: i,
                });
                self.bind_element(pattern, elem);
                self.filtered_body(filter, body);
                let ctx = self.pop_loop();
                self.patch_here(ctx.continues);
                self.at(span);
                self.next_index(i, len, to_test, top);
                self.patch_here(ctx.breaks);
            }
        }
    }

    /// The tail of a loop over indices `0..len`: `i += 1`, where the first test (the
    /// jump `to_test` from before the loop) lands, then back to `top` while `i < len`.
    pub(super) fn next_index(&mut self, i: Reg, len: Reg, to_test: usize, top: u32) {
        self.emit(Instr::IntAddImm {
            dst: i,
            a: i,
            value: 1,
        });
        self.patch_here(vec![to_test]);
        self.emit(Instr::JumpIfIntCmp {
            op: CmpOp::Lt,
            a: i,
            b: len,
            target: top,
        });
    }

    /// A register holding `e`'s value that the loop body cannot change: an immutable
    /// local's own register, else a fresh copy (§4.4: the source is evaluated once).
    fn stable(&mut self, e: &Expr, ty: RegTy) -> Reg {
        if let ExprKind::Local(l) = e.kind {
            let r = self.local(l);
            if !self.func.locals[l as usize].mutable && self.regs[r as usize] == ty {
                return r;
            }
        }
        let t = self.fresh(ty);
        self.expr_to(e, t);
        t
    }

    /// Binds a loop pattern to the current element (already in place when the element
    /// register is the bound local's).
    fn bind_element(&mut self, pattern: &Pattern, elem: Reg) {
        if let PatternKind::Bind(l) = pattern.kind
            && self.local(l) == elem
        {
            return;
        }
        let mut fails = vec![];
        self.pattern(pattern, elem, &mut fails);
        if !fails.is_empty() {
            let over = self.jump();
            self.patch_here(fails);
            self.at(pattern.span);
            self.emit(Instr::NoMatch);
            self.patch_here(vec![over]);
        }
    }

    /// The loop body, skipped (like `continue`) when the filter is false.
    fn filtered_body(&mut self, filter: Option<&Expr>, body: &Expr) {
        if let Some(f) = filter {
            let skip = self.branch(f, false);
            if let Some(ctx) = self.loops.last_mut() {
                ctx.continues.extend(skip);
            }
        }
        self.stmt(body);
    }

    /// `match`: arms tested in order; with `dst` the chosen arm's value goes there.
    pub(super) fn match_(&mut self, scrutinee: &Expr, arms: &[Arm], dst: Option<Reg>, span: Span) {
        // Arm bodies run after the last test, so only guards could change a local
        // scrutinee between tests.
        let guards_assign = arms
            .iter()
            .any(|a| a.guard.as_ref().is_some_and(has_assign));
        let v = self.operand(scrutinee, || guards_assign);
        let mut ends = vec![];
        let mut may_fail = true;
        for (k, arm) in arms.iter().enumerate() {
            let mut fails = vec![];
            self.pattern(&arm.pattern, v, &mut fails);
            if let Some(g) = &arm.guard {
                fails.extend(self.branch(g, false));
            }
            self.arm_body(&arm.body, dst);
            let last = k + 1 == arms.len();
            if last && fails.is_empty() {
                may_fail = false;
            } else {
                ends.push(self.jump());
            }
            self.patch_here(fails);
        }
        if may_fail {
            self.at(span);
            self.emit(Instr::NoMatch);
        }
        self.patch_here(ends);
    }
}

/// The Int comparison `op` performs, when both operands are Ints.
fn int_cmp(op: BinOp, a: &Expr, b: &Expr) -> Option<CmpOp> {
    use crate::types::Type;
    let ints = a.ty == Type::Int && b.ty == Type::Int;
    match op {
        BinOp::IntLt => Some(CmpOp::Lt),
        BinOp::IntLe => Some(CmpOp::Le),
        BinOp::IntGt => Some(CmpOp::Gt),
        BinOp::IntGe => Some(CmpOp::Ge),
        BinOp::Eq if ints => Some(CmpOp::Eq),
        BinOp::Ne if ints => Some(CmpOp::Ne),
        _ => None,
    }
}

/// The local a loop body does nothing but append to (`acc = append(acc, e)`, the body
/// of a comprehension), if it is one.
fn appended_local(body: &Expr) -> Option<crate::hir::LocalId> {
    let ExprKind::Assign { place, value } = &body.kind else {
        return None;
    };
    let ExprKind::CallBuiltin {
        builtin: Builtin::Append,
        args,
    } = &value.kind
    else {
        return None;
    };
    match args.first().map(|a| &a.kind) {
        Some(ExprKind::Local(l)) if *l == place.root && place.path.is_empty() => Some(*l),
        _ => None,
    }
}
