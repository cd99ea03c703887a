//! Direct calls of the higher-order builtins `map`, `filter`, `reduce`, `any`, `all` and
//! `find` become loops that call the function through `CallValue`.
//!
//! As builtins, each element's call re-entered the interpreter from Rust (or, from native
//! code, a fresh native entry), which cost more than the lambda it ran; as a loop, the
//! call is an ordinary `CallValue` of the running frame, and a hot loop is promoted like
//! any other. The builtins stay for the functions' other uses (as values), and `sort_by`
//! keeps its builtin.
//!
//! Why this is unobservable: the list and the function are evaluated once, in argument
//! order, before the loop, as the builtin's arguments were; `f` runs on the elements in
//! order and, for `any`, `all` and `find`, stops at the same deciding element; every
//! instruction of the loop carries the call's position, so an error raised by `f` shows
//! `f`'s frame and then the caller's at the call, as with the builtin (which has no
//! frame of its own). No user code runs in the caller's frame during the loop, so the
//! list's register cannot change under it.

use super::{FnLower, has_assign};
use crate::hir::{Expr, Span};
use crate::types::Type;
use lumen_core::builtins::Builtin;
use lumen_core::lir::{Instr, Reg, RegTy};

/// The element type of the list and the return type of the function of a call of
/// `builtin` on `args`, when it is one this module lowers to a loop.
pub(super) fn shape(builtin: Builtin, args: &[Expr]) -> Option<(&Type, &Type)> {
    let arity = match builtin {
        Builtin::Map | Builtin::Filter | Builtin::Any | Builtin::All | Builtin::Find => 2,
        Builtin::Reduce => 3,
        _ => return None,
    };
    if args.len() != arity {
        return None;
    }
    let Type::List(elem) = &args[0].ty else {
        return None;
    };
    let Type::Fn(params, ret) = &args[1].ty else {
        return None;
    };
    let tests = !matches!(builtin, Builtin::Map | Builtin::Reduce);
    if params.len() != arity - 1 || (tests && **ret != Type::Bool) {
        return None;
    }
    Some((elem, ret))
}

impl FnLower<'_> {
    /// Lowers `builtin(args…)` (one [`shape`] accepts) of type `ty` into `dst`.
    pub(super) fn higher_order(
        &mut self,
        builtin: Builtin,
        args: &[Expr],
        ty: &Type,
        dst: Reg,
        span: Span,
    ) {
        let Some((elem, ret)) = shape(builtin, args) else {
            return;
        };
        let (elem, ret) = (self.reg_ty(elem), self.reg_ty(ret));
        // Evaluated in argument order; a local is read in place unless a later argument
        // assigns to it.
        let list = self.operand(&args[0], || args[1..].iter().any(has_assign));
        let f = self.operand(&args[1], || args[2..].iter().any(has_assign));
        let acc = (builtin == Builtin::Reduce).then(|| {
            let acc = self.fresh_of(ty);
            self.expr_to(&args[2], acc);
            acc
        });
        self.at(span);
        let out = matches!(builtin, Builtin::Map | Builtin::Filter).then(|| {
            let out = self.fresh(RegTy::List);
            self.emit(Instr::ListNew {
                dst: out,
                args: out,
                argc: 0,
            });
            out
        });
        let len = self.fresh(RegTy::Int);
        self.emit(Instr::ListLen { dst: len, list });
        let i = self.fresh(RegTy::Int);
        self.emit(Instr::LoadInt { dst: i, value: 0 });
        let to_test = self.jump();
        let top = self.label();
        // The call's operands: the accumulator (reduce), then the element.
        let operands = match acc {
            Some(acc) => {
                let run = self.fresh_run(&[self.regs[acc as usize], elem]);
                self.emit(Instr::Move { dst: run, src: acc });
                run
            }
            None => self.fresh(elem),
        };
        let x = operands + acc.is_some() as Reg;
        // Filter and find keep the element the call takes. The read is in bounds: `i`
        // counts up to the length read before the loop, and nothing writes `list`.
        let keep = matches!(builtin, Builtin::Filter | Builtin::Find).then(|| self.fresh(elem));
        self.emit(Instr::ListGetUnchecked {
            dst: keep.unwrap_or(x),
            list,
            idx: i,
        });
        if let Some(k) = keep {
            self.emit(Instr::Copy { dst: x, src: k });
        }
        let mut hits = Vec::new();
        match (builtin, acc, out) {
            (Builtin::Reduce, Some(acc), _) => {
                self.emit(Instr::CallValue {
                    dst: acc,
                    callee: f,
                    args: operands,
                    argc: 2,
                });
            }
            (Builtin::Map, _, Some(out)) => {
                let pair = self.fresh_run(&[RegTy::List, ret]);
                self.emit(Instr::CallValue {
                    dst: pair + 1,
                    callee: f,
                    args: operands,
                    argc: 1,
                });
                self.append(out, pair);
            }
            _ => {
                let holds = self.fresh(RegTy::Bool);
                self.emit(Instr::CallValue {
                    dst: holds,
                    callee: f,
                    args: operands,
                    argc: 1,
                });
                match (builtin, out, keep) {
                    (Builtin::Filter, Some(out), Some(k)) => {
                        let skip = self.emit(Instr::JumpIfNot {
                            cond: holds,
                            target: 0,
                        });
                        let pair = self.fresh_run(&[RegTy::List, elem]);
                        self.emit(Instr::Move {
                            dst: pair + 1,
                            src: k,
                        });
                        self.append(out, pair);
                        self.patch_here(vec![skip]);
                    }
                    (Builtin::All, _, _) => hits.push(self.emit(Instr::JumpIfNot {
                        cond: holds,
                        target: 0,
                    })),
                    _ => hits.push(self.emit(Instr::JumpIf {
                        cond: holds,
                        target: 0,
                    })),
                }
            }
        }
        self.next_index(i, len, to_test, top);
        // The result: after the whole list, then (any, all, find) at the deciding element.
        match (builtin, acc, out) {
            (Builtin::Reduce, Some(acc), _) => self.copy(dst, acc),
            (Builtin::Map | Builtin::Filter, _, Some(out)) => {
                self.emit(Instr::Move { dst, src: out });
            }
            _ => {
                let after_all = match builtin {
                    Builtin::Find => Instr::LoadNull { dst },
                    b => Instr::LoadBool {
                        dst,
                        value: b == Builtin::All,
                    },
                };
                self.emit(after_all);
                let end = self.jump();
                self.patch_here(hits);
                match (builtin, keep) {
                    (Builtin::Find, Some(k)) => self.copy(dst, k),
                    (b, _) => {
                        self.emit(Instr::LoadBool {
                            dst,
                            value: b == Builtin::Any,
                        });
                    }
                }
                self.patch_here(vec![end]);
            }
        }
    }

    /// `out = append(out, v)` with `v` already in `pair + 1`; `out` moves into `pair`
    /// first, so a uniquely held list grows in place.
    fn append(&mut self, out: Reg, pair: Reg) {
        self.emit(Instr::Move {
            dst: pair,
            src: out,
        });
        self.emit(Instr::CallBuiltin {
            dst: out,
            builtin: Builtin::Append,
            args: pair,
            argc: 2,
        });
    }
}
