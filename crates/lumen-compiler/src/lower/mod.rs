//! Lowering HIR to LIR.
//!
//! Each HIR function becomes the cell with the same id. Every HIR local gets its own
//! virtual register (parameters first, then captures, as the calling convention wants),
//! every temporary a fresh one; register types come from [`Type::reg_ty`]. Expressions are
//! lowered either to "some register holding the value" ([`FnLower::expr`], which may hand
//! back a local's register to read) or into a given destination ([`FnLower::expr_to`]).
//! After a cell is built, [`moves::insert_moves`] turns copies out of dead registers into
//! moves (move on last use, docs/design.md) and [`compact`] drops unused registers.
//!
//! Submodules: [`expr`] (values, calls, assignment), [`higher_order`] (`map`, `filter`,
//! … called directly, as loops), [`control`] (conditions, loops, `match`), [`pattern`]
//! (pattern tests and bindings), [`moves`] (the liveness pass).

mod compact;
mod control;
mod expr;
mod higher_order;
mod moves;
mod pattern;

use std::collections::HashMap;

use crate::hir::{self, Expr, FuncKind, LocalId, LoopId, TypeDecl};
use crate::types::Type;
use lumen_core::lir::{
    Cell, CellKind, Instr, LirModule, Pos, Reg, RegTy, TypeDef, TypeTable, VariantDef,
};
use lumen_core::value::{TypeId, Value, Variant};
use std::rc::Rc;

/// Lowers a checked program to a LIR module.
pub fn lower(program: &hir::Program) -> LirModule {
    let types = type_table(&program.types);
    let mut pool = ConstPool {
        consts: program.consts.clone(),
        strings: HashMap::new(),
        variants: HashMap::new(),
    };
    let mut cells = Vec::with_capacity(program.funcs.len());
    for func in &program.funcs {
        let mut cell = FnLower::new(program, &types, func, &mut pool).finish();
        moves::insert_moves(&mut cell, &types);
        compact::compact_registers(&mut cell, &types);
        cells.push(cell);
    }
    let main = (program.main as usize) < cells.len();
    LirModule {
        cells,
        consts: pool.consts,
        types,
        main: main.then_some(program.main),
    }
}

/// The runtime's view of the declarations: names, field names, payload arities.
fn type_table(decls: &[TypeDecl]) -> TypeTable {
    let defs = decls
        .iter()
        .map(|d| match d {
            TypeDecl::Record { name, fields, .. } => TypeDef::Record {
                name: name.clone(),
                fields: fields.iter().map(|(f, _)| f.clone()).collect(),
            },
            TypeDecl::Enum { name, variants, .. } => TypeDef::Enum {
                name: name.clone(),
                variants: variants
                    .iter()
                    .map(|(v, payload)| VariantDef {
                        name: v.clone(),
                        arity: payload.len() as u32,
                    })
                    .collect(),
            },
        })
        .collect();
    TypeTable { defs }
}

/// The module's constant pool: the program's constants (same indices) followed by
/// deduplicated string literals and payload-free enum variants.
struct ConstPool {
    consts: Vec<Value>,
    strings: HashMap<String, u32>,
    variants: HashMap<(TypeId, u32), u32>,
}

impl ConstPool {
    /// Index of a String constant with this text.
    fn string(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.strings.get(s) {
            return i;
        }
        let i = self.consts.len() as u32;
        self.consts.push(Value::str(s));
        self.strings.insert(s.to_string(), i);
        i
    }

    /// Index of the value of variant `tag` of enum `type_id`, which has no payload:
    /// one shared value (values are immutable, so sharing is unobservable), so that
    /// making it allocates nothing (binary_trees makes two `Empty`s per leaf).
    fn variant(&mut self, type_id: TypeId, tag: u32) -> u32 {
        if let Some(&i) = self.variants.get(&(type_id, tag)) {
            return i;
        }
        let i = self.consts.len() as u32;
        self.consts.push(Value::Variant(Rc::new(Variant {
            type_id,
            tag,
            payload: Vec::new(),
        })));
        self.variants.insert((type_id, tag), i);
        i
    }

    /// Index of an arbitrary constant value (strings are deduplicated).
    fn value(&mut self, v: &Value) -> u32 {
        if let Value::Str(s) = v {
            return self.string(s.as_str());
        }
        let i = self.consts.len() as u32;
        self.consts.push(v.clone());
        i
    }
}

/// Jump sites waiting for their target (instruction indices of jumps).
type Patches = Vec<usize>;

/// Jump bookkeeping of one enclosing loop.
struct LoopCtx {
    id: LoopId,
    breaks: Patches,
    continues: Patches,
}

/// Lowering state of one function.
struct FnLower<'a> {
    prog: &'a hir::Program,
    types: &'a TypeTable,
    func: &'a hir::Func,
    pool: &'a mut ConstPool,
    regs: Vec<RegTy>,
    code: Vec<Instr>,
    pos: Vec<Pos>,
    /// Register of each local (`LocalId` → `Reg`).
    locals: Vec<Reg>,
    loops: Vec<LoopCtx>,
    /// Highest instruction index any jump targets so far (`usize::MAX`: none): an
    /// instruction right before it may be reached by a jump, so it cannot be retargeted.
    last_label: usize,
    /// Position given to instructions emitted now.
    cur: Pos,
    /// Registers loaded once at entry with Int/Float/String constants used as operands
    /// (keyed by the value's bits or pool index), so loops do not reload them.
    const_regs: HashMap<(RegTy, u64), Reg>,
    /// The loads of those registers, placed before the body by [`FnLower::finish`].
    prologue: Vec<Instr>,
}

impl<'a> FnLower<'a> {
    fn new(
        prog: &'a hir::Program,
        types: &'a TypeTable,
        func: &'a hir::Func,
        pool: &'a mut ConstPool,
    ) -> Self {
        let mut this = FnLower {
            prog,
            types,
            func,
            pool,
            regs: Vec::new(),
            code: Vec::new(),
            pos: Vec::new(),
            locals: vec![Reg::MAX; func.locals.len()],
            loops: Vec::new(),
            last_label: usize::MAX,
            cur: func.span,
            const_regs: HashMap::new(),
            prologue: Vec::new(),
        };
        // Calling convention: parameters, then captures, then every other local.
        let ordered: Vec<LocalId> = func
            .params
            .iter()
            .chain(func.captures.iter())
            .copied()
            .collect();
        for l in ordered {
            this.bind_local_reg(l);
        }
        for l in 0..func.locals.len() as LocalId {
            if this.locals[l as usize] == Reg::MAX {
                this.bind_local_reg(l);
            }
        }
        this
    }

    fn bind_local_reg(&mut self, l: LocalId) {
        let ty = self.func.locals[l as usize].ty.clone();
        let r = self.fresh_of(&ty);
        self.locals[l as usize] = r;
    }

    /// Lowers the body and returns the finished cell.
    fn finish(mut self) -> Cell {
        let body = &self.func.body;
        let ret_ty = self.reg_ty(&self.func.ret);
        let ret = self.fresh(ret_ty);
        self.expr_to(body, ret);
        self.at(self.func.span);
        // `…; x` at the end: return the local's register itself rather than a copy.
        let n = self.code.len();
        match self.code.last() {
            Some(&Instr::Copy { dst, src })
                if dst == ret && self.last_label != n && self.regs[src as usize] == ret_ty =>
            {
                self.code[n - 1] = Instr::Return { src };
            }
            _ => {
                self.emit(Instr::Return { src: ret });
            }
        }
        self.place_prologue();
        Cell {
            inlined: Default::default(),
            name: self.func.name.clone(),
            kind: match self.func.kind {
                FuncKind::Cell => CellKind::Cell,
                FuncKind::Method => CellKind::Method,
                FuncKind::Lambda => CellKind::Lambda,
            },
            params: self.func.params.len() as u32,
            captures: self.func.captures.len() as u32,
            regs: self.regs,
            ret: ret_ty,
            code: self.code,
            pos: self.pos,
        }
    }

    /// Puts the constant loads in front of the code, shifting every jump target.
    fn place_prologue(&mut self) {
        let k = self.prologue.len();
        if k == 0 {
            return;
        }
        for ins in &mut self.code {
            if let Some(t) = ins.jump_target_mut() {
                *t += k as u32;
            }
        }
        let mut code = std::mem::take(&mut self.prologue);
        code.append(&mut self.code);
        self.code = code;
        let mut pos = vec![self.func.span; k];
        pos.append(&mut self.pos);
        self.pos = pos;
    }

    /// A register holding the Int `v` for the whole call (read only).
    fn const_int(&mut self, v: i64) -> Reg {
        if let Some(&r) = self.const_regs.get(&(RegTy::Int, v as u64)) {
            return r;
        }
        let r = self.fresh(RegTy::Int);
        self.prologue.push(Instr::LoadInt { dst: r, value: v });
        self.const_regs.insert((RegTy::Int, v as u64), r);
        r
    }

    /// A register holding the Float `v` for the whole call (read only).
    fn const_float(&mut self, v: f64) -> Reg {
        if let Some(&r) = self.const_regs.get(&(RegTy::Float, v.to_bits())) {
            return r;
        }
        let r = self.fresh(RegTy::Float);
        self.prologue.push(Instr::LoadFloat { dst: r, value: v });
        self.const_regs.insert((RegTy::Float, v.to_bits()), r);
        r
    }

    /// A register holding pool constant `idx` (a String) for the whole call (read only).
    fn const_pooled(&mut self, idx: u32) -> Reg {
        if let Some(&r) = self.const_regs.get(&(RegTy::Str, idx as u64)) {
            return r;
        }
        let r = self.fresh(RegTy::Str);
        self.prologue.push(Instr::LoadConst { dst: r, idx });
        self.const_regs.insert((RegTy::Str, idx as u64), r);
        r
    }

    // ---- types and registers

    fn is_record(&self, id: TypeId) -> bool {
        matches!(
            self.prog.types.get(id as usize),
            Some(TypeDecl::Record { .. })
        )
    }

    fn reg_ty(&self, ty: &Type) -> RegTy {
        ty.reg_ty(|id| self.is_record(id))
    }

    fn fresh(&mut self, ty: RegTy) -> Reg {
        self.regs.push(ty);
        (self.regs.len() - 1) as Reg
    }

    fn fresh_of(&mut self, ty: &Type) -> Reg {
        let r = self.reg_ty(ty);
        self.fresh(r)
    }

    /// `n` consecutive fresh registers of the given types; returns the first (0 for an
    /// empty run, which names no register).
    fn fresh_run(&mut self, tys: &[RegTy]) -> Reg {
        if tys.is_empty() {
            return 0;
        }
        let first = self.regs.len() as Reg;
        self.regs.extend_from_slice(tys);
        first
    }

    fn local(&self, l: LocalId) -> Reg {
        self.locals[l as usize]
    }

    // ---- emission

    /// Sets the source position of the instructions emitted next.
    fn at(&mut self, pos: Pos) {
        self.cur = pos;
    }

    fn emit(&mut self, i: Instr) -> usize {
        self.code.push(i);
        self.pos.push(self.cur);
        self.code.len() - 1
    }

    /// Index of the next instruction, recorded as a jump target.
    fn label(&mut self) -> u32 {
        let here = self.code.len();
        self.last_label = here;
        here as u32
    }

    /// Points the jumps at `sites` to the next instruction.
    fn patch_here(&mut self, sites: Patches) {
        if sites.is_empty() {
            return;
        }
        let here = self.label();
        self.patch_to(sites, here);
    }

    fn patch_to(&mut self, sites: Patches, target: u32) {
        for s in sites {
            if let Some(t) = self.code[s].jump_target_mut() {
                *t = target;
            }
        }
    }

    /// Emits a forward jump to be patched later.
    fn jump(&mut self) -> usize {
        self.emit(Instr::Jump { target: 0 })
    }

    /// `dst = src`, skipped when they are the same register.
    fn copy(&mut self, dst: Reg, src: Reg) {
        if dst != src {
            self.emit(Instr::Copy { dst, src });
        }
    }

    /// Stores the value just computed into `t` (a fresh temporary) into `dst` instead:
    /// rewrites the last instruction to write `dst` directly when that is equivalent
    /// (nothing jumps past it, it does not read `t`, same register type or a `Dyn`
    /// destination), else copies.
    fn redirect(&mut self, t: Reg, dst: Reg) {
        if t == dst {
            return;
        }
        let n = self.code.len();
        let dst_ty = self.regs[dst as usize];
        if n > 0
            && self.last_label != n
            && (self.regs[t as usize] == dst_ty || dst_ty == RegTy::Dyn)
        {
            let last = &self.code[n - 1];
            let mut reads_t = false;
            last.for_each_use(self.types, |r| reads_t |= r == t);
            if !reads_t
                && last.def() == Some(t)
                && let Some(d) = self.code[n - 1].dst_mut()
            {
                *d = dst;
                return;
            }
        }
        self.copy(dst, t);
    }

    /// A register holding `null`.
    fn null_reg(&mut self) -> Reg {
        let r = self.fresh(RegTy::Null);
        self.emit(Instr::LoadNull { dst: r });
        r
    }

    fn loop_ctx(&mut self, id: LoopId) -> Option<&mut LoopCtx> {
        self.loops.iter_mut().rev().find(|l| l.id == id)
    }
}

/// True when evaluating `e` may assign a local (so a local read before it must be copied
/// to keep left-to-right evaluation order).
fn has_assign(e: &Expr) -> bool {
    any_sub(e, &mut |x| matches!(x.kind, hir::ExprKind::Assign { .. }))
}

/// True when `pred` holds for `e` or any expression inside it (place index expressions
/// and guards included).
fn any_sub(e: &Expr, pred: &mut impl FnMut(&Expr) -> bool) -> bool {
    use hir::ExprKind as K;
    if pred(e) {
        return true;
    }
    let mut any = |xs: &mut dyn Iterator<Item = &Expr>| {
        for x in xs {
            if any_sub(x, pred) {
                return true;
            }
        }
        false
    };
    match &e.kind {
        K::Int(_)
        | K::Float(_)
        | K::Bool(_)
        | K::Str(_)
        | K::Null
        | K::Const(_)
        | K::Local(_)
        | K::FuncRef(_)
        | K::Break(_)
        | K::Continue(_)
        | K::NoMatch => false,
        K::Unary(_, a)
        | K::IntToFloat(a)
        | K::FloatToInt(a)
        | K::Unwrap(a)
        | K::Is(a, _)
        | K::Return(a)
        | K::Halt(a)
        | K::Ok(a)
        | K::Err(a)
        | K::Field { base: a, .. }
        | K::TupleGet { base: a, .. }
        | K::Let { value: a, .. }
        | K::Loop { body: a, .. } => any(&mut std::iter::once(&**a)),
        K::Binary(_, a, b)
        | K::And(a, b)
        | K::Or(a, b)
        | K::Coalesce(a, b)
        | K::Range { lo: a, hi: b, .. }
        | K::Index {
            base: a, index: b, ..
        }
        | K::While {
            cond: a, body: b, ..
        } => any(&mut [&**a, &**b].into_iter()),
        K::If {
            cond,
            then_branch,
            else_branch,
        } => any(&mut [&**cond, &**then_branch]
            .into_iter()
            .chain(else_branch.as_deref())),
        K::Block(es)
        | K::Call { args: es, .. }
        | K::CallBuiltin { args: es, .. }
        | K::Closure { captures: es, .. }
        | K::List(es)
        | K::Tuple(es)
        | K::Record { fields: es, .. }
        | K::Variant { payload: es, .. }
        | K::Interp(es) => any(&mut es.iter()),
        K::CallValue { callee, args } => any(&mut std::iter::once(&**callee).chain(args)),
        K::Map(kvs) => any(&mut kvs.iter().flat_map(|(k, v)| [k, v])),
        K::Assign { place, value } => any(&mut place
            .path
            .iter()
            .filter_map(|el| match el {
                hir::PlaceElem::ListIndex(x) | hir::PlaceElem::MapIndex(x) => Some(x),
                hir::PlaceElem::Field(_) => None,
            })
            .chain(std::iter::once(&**value))),
        K::For {
            source,
            filter,
            body,
            ..
        } => {
            let src: Vec<&Expr> = match source {
                hir::ForSource::Range { lo, hi, .. } => vec![lo, hi],
                hir::ForSource::List(e) | hir::ForSource::Str(e) | hir::ForSource::Map(e) => {
                    vec![e]
                }
            };
            any(&mut src.into_iter().chain(filter.as_deref()).chain([&**body]))
        }
        K::Match { scrutinee, arms } => any(&mut std::iter::once(&**scrutinee)
            .chain(arms.iter().flat_map(|a| a.guard.iter().chain([&a.body])))),
    }
}

#[cfg(test)]
mod tests;
