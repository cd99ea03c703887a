//! LIR: Lumen's typed register bytecode.
//!
//! A [`LirModule`] holds indexed [`Cell`]s (find one by name with
//! [`LirModule::find_cell`]), a constant pool and a [`TypeTable`] naming records and enums.
//! Each cell is a flat array of [`Instr`] over virtual registers. Every register has one
//! static [`RegTy`] for its whole life, so a native backend can keep `Int`, `Float` and
//! `Bool` registers unboxed; heap kinds are pointers and `Dyn` holds any value (unions,
//! generic `T`). Control flow is explicit: jumps name instruction indices. Each
//! instruction has a source [`Pos`] (parallel array `Cell::pos`) for stack traces.
//!
//! Calling convention: parameters occupy registers `0..params`; a lambda's captured values
//! follow in `params..params + captures`. Instructions taking several operands
//! (`Call`, `ListNew`, …) read them from consecutive registers `args..args + argc`, and
//! *move* them out (those registers are temporaries the lowering allocated for the call).

use crate::builtins::Builtin;
use crate::value::{CellId, TypeId, Value};

/// A virtual register index, local to a cell.
pub type Reg = u32;

/// Static type of a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegTy {
    Int,
    Float,
    Bool,
    Null,
    Str,
    List,
    Map,
    Tuple,
    Record,
    Enum,
    Result,
    Fn,
    /// Any value: unions, nullable types, generic type parameters.
    Dyn,
}

impl RegTy {
    /// True for types that a native backend keeps unboxed in machine registers.
    pub fn is_scalar(self) -> bool {
        self.scalar_tag().is_some()
    }

    /// The tag byte (`crate::value::TAG_*`) of every value a register of this scalar
    /// type holds; `None` for the other types.
    pub fn scalar_tag(self) -> Option<u8> {
        use crate::value::{TAG_BOOL, TAG_FLOAT, TAG_INT};
        match self {
            RegTy::Int => Some(TAG_INT),
            RegTy::Float => Some(TAG_FLOAT),
            RegTy::Bool => Some(TAG_BOOL),
            _ => None,
        }
    }
}

/// A source position (1-based line and column, columns in Unicode scalar values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// Comparison operators of compare instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// Every operator, in the order of their numbers ([`CmpOp::index`]: the code of
    /// serialised LIR and of native code's calls of the string comparison helper).
    pub const ALL: [CmpOp; 6] = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ];

    /// The operator's number: its position in [`CmpOp::ALL`].
    pub fn index(self) -> u8 {
        self as u8
    }

    /// The operator numbered `i` ([`CmpOp::index`]), if any.
    pub fn from_index(i: u32) -> Option<CmpOp> {
        CmpOp::ALL.get(i as usize).copied()
    }

    /// The operator with its operands swapped (`a < b` ⇔ `b > a`).
    pub fn swapped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }
    /// The negated operator for Ints and Strings (not valid for Floats because of NaN).
    pub fn negated_total(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }
}

/// A runtime type test (`is`, typed patterns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeTest {
    Int,
    Float,
    Bool,
    Str,
    Null,
    List,
    Map,
    Tuple,
    /// `ok(_)` or `err(_)`.
    Result,
    /// `ok(_)` only (the `ok(p)` pattern).
    Ok,
    /// `err(_)` only (the `err(p)` pattern).
    Err,
    Fn,
    /// A value of the record declared at this id.
    Record(TypeId),
    /// Any variant of the enum declared at this id.
    Enum(TypeId),
    /// This variant (enum id, variant index).
    Variant(TypeId, u32),
}

impl TypeTest {
    /// A stable numbering of type tests: a kind code (0–14) with the type id and variant
    /// index of the kinds that have them (0 otherwise). Serialisation and native code
    /// both use it.
    pub fn to_parts(self) -> [u32; 3] {
        match self {
            TypeTest::Int => [0, 0, 0],
            TypeTest::Float => [1, 0, 0],
            TypeTest::Bool => [2, 0, 0],
            TypeTest::Str => [3, 0, 0],
            TypeTest::Null => [4, 0, 0],
            TypeTest::List => [5, 0, 0],
            TypeTest::Map => [6, 0, 0],
            TypeTest::Tuple => [7, 0, 0],
            TypeTest::Result => [8, 0, 0],
            TypeTest::Ok => [9, 0, 0],
            TypeTest::Err => [10, 0, 0],
            TypeTest::Fn => [11, 0, 0],
            TypeTest::Record(id) => [12, id, 0],
            TypeTest::Enum(id) => [13, id, 0],
            TypeTest::Variant(id, tag) => [14, id, tag],
        }
    }

    /// The inverse of [`TypeTest::to_parts`] (`None` for an unknown kind code).
    pub fn from_parts([kind, a, b]: [u32; 3]) -> Option<TypeTest> {
        Some(match kind {
            0 => TypeTest::Int,
            1 => TypeTest::Float,
            2 => TypeTest::Bool,
            3 => TypeTest::Str,
            4 => TypeTest::Null,
            5 => TypeTest::List,
            6 => TypeTest::Map,
            7 => TypeTest::Tuple,
            8 => TypeTest::Result,
            9 => TypeTest::Ok,
            10 => TypeTest::Err,
            11 => TypeTest::Fn,
            12 => TypeTest::Record(a),
            13 => TypeTest::Enum(a),
            14 => TypeTest::Variant(a, b),
            _ => return None,
        })
    }
}

/// One LIR instruction. Operand registers are named; `dst` is written.
/// Arithmetic follows the language reference §5.2 exactly; `Int*` instructions raise
/// `integer overflow` / `division by zero` / `negative exponent` as specified.
#[derive(Clone, Debug, PartialEq)]
pub enum Instr {
    // ---- constants and moves
    LoadInt {
        dst: Reg,
        value: i64,
    },
    LoadFloat {
        dst: Reg,
        value: f64,
    },
    LoadBool {
        dst: Reg,
        value: bool,
    },
    LoadNull {
        dst: Reg,
    },
    /// `dst = consts[idx]` (a shared reference to the constant).
    LoadConst {
        dst: Reg,
        idx: u32,
    },
    /// `dst = src` (the value is shared: a reference-count increment for heap values).
    Copy {
        dst: Reg,
        src: Reg,
    },
    /// `dst = src`, leaving `src` null: emitted where `src` is dead afterwards, so a
    /// uniquely held value stays unique (O(1) in-place updates).
    Move {
        dst: Reg,
        src: Reg,
    },

    // ---- Int arithmetic (checked) and bitwise operations
    IntAdd {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IntSub {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IntMul {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// Truncating division.
    IntDiv {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// Floor division (`//`).
    IntFloorDiv {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IntMod {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IntPow {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IntNeg {
        dst: Reg,
        src: Reg,
    },
    /// `dst = a + value` (checked); a common form for counters.
    IntAddImm {
        dst: Reg,
        a: Reg,
        value: i64,
    },
    BitAnd {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    BitOr {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    BitXor {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Shl {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Shr {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    BitNot {
        dst: Reg,
        src: Reg,
    },

    // ---- Float arithmetic (IEEE 754)
    FloatAdd {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatSub {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatMul {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatDiv {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatFloorDiv {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatMod {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatPow {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatNeg {
        dst: Reg,
        src: Reg,
    },
    IntToFloat {
        dst: Reg,
        src: Reg,
    },
    /// `as Int` on a Float: truncates; NaN, ±inf, out of range → `invalid conversion`.
    FloatToInt {
        dst: Reg,
        src: Reg,
    },

    // ---- comparisons (result Bool)
    IntCmp {
        op: CmpOp,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloatCmp {
        op: CmpOp,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// Byte-wise String comparison.
    StrCmp {
        op: CmpOp,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// Structural equality of any two values (§5.4); `Ne` is its negation.
    Eq {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Ne {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Not {
        dst: Reg,
        src: Reg,
    },

    // ---- control flow (targets are instruction indices)
    Jump {
        target: u32,
    },
    JumpIf {
        cond: Reg,
        target: u32,
    },
    JumpIfNot {
        cond: Reg,
        target: u32,
    },
    /// Fused Int compare and branch: jump when `a op b` holds.
    JumpIfIntCmp {
        op: CmpOp,
        a: Reg,
        b: Reg,
        target: u32,
    },
    /// Jump when `src` is null.
    JumpIfNull {
        src: Reg,
        target: u32,
    },
    Return {
        src: Reg,
    },
    /// Call a cell; arguments in `args..args + argc`.
    Call {
        dst: Reg,
        cell: CellId,
        args: Reg,
        argc: u32,
    },
    /// Call a function value (closure) held in `callee`.
    CallValue {
        dst: Reg,
        callee: Reg,
        args: Reg,
        argc: u32,
    },
    /// Call a builtin overload.
    CallBuiltin {
        dst: Reg,
        builtin: Builtin,
        args: Reg,
        argc: u32,
    },
    /// `halt msg`: stop with the String in `msg` as the runtime error message.
    Halt {
        msg: Reg,
    },
    /// Runtime error `no match arm`.
    NoMatch,

    // ---- strings
    /// Concatenation of two Strings.
    StrConcat {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// Display form (§9) of any value.
    ToStr {
        dst: Reg,
        src: Reg,
    },
    /// Concatenated display forms of `args..args + argc` (string interpolation).
    StrBuild {
        dst: Reg,
        args: Reg,
        argc: u32,
    },
    /// `s[i]` (checked).
    StrIndex {
        dst: Reg,
        s: Reg,
        idx: Reg,
    },

    // ---- lists
    ListNew {
        dst: Reg,
        args: Reg,
        argc: u32,
    },
    /// `list[idx]` (checked).
    ListGet {
        dst: Reg,
        list: Reg,
        idx: Reg,
    },
    /// `list[idx]` where an optimisation pass proved `0 <= idx < len(list)` and that
    /// `list` holds a list (LUMEN_OPT_LEVEL 1 and up, bounds-check hoisting). Tiers may skip the
    /// checks; performing them anyway (the VM does) is also correct.
    ListGetUnchecked {
        dst: Reg,
        list: Reg,
        idx: Reg,
    },
    /// `list[idx] = src` in place (copy-on-write; checked).
    ListSet {
        list: Reg,
        idx: Reg,
        src: Reg,
    },
    ListLen {
        dst: Reg,
        list: Reg,
    },
    /// `a ++ b` on lists.
    ListConcat {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// `lo..hi` (or `lo..=hi`) as a list of Ints.
    RangeList {
        dst: Reg,
        lo: Reg,
        hi: Reg,
        inclusive: bool,
    },

    // ---- maps
    /// Map literal: keys and values interleaved in `args..args + 2 * pairs`.
    MapNew {
        dst: Reg,
        args: Reg,
        pairs: u32,
    },
    /// `map[key]` (`key not found`).
    MapGet {
        dst: Reg,
        map: Reg,
        key: Reg,
    },
    /// `map[key] = src` in place (copy-on-write).
    MapSet {
        map: Reg,
        key: Reg,
        src: Reg,
    },

    // ---- tuples, records, enums, results
    TupleNew {
        dst: Reg,
        args: Reg,
        argc: u32,
    },
    TupleGet {
        dst: Reg,
        tuple: Reg,
        index: u32,
    },
    /// A record of `type_id`; fields in declaration order in `args..`.
    RecordNew {
        dst: Reg,
        type_id: TypeId,
        args: Reg,
    },
    FieldGet {
        dst: Reg,
        record: Reg,
        field: u32,
    },
    /// `record.field = src` in place (copy-on-write).
    FieldSet {
        record: Reg,
        field: u32,
        src: Reg,
    },
    /// A variant `tag` of enum `type_id`; payload (arity from the type table) in `args..`.
    VariantNew {
        dst: Reg,
        type_id: TypeId,
        tag: u32,
        args: Reg,
    },
    /// Variant index of an enum value, as an Int.
    VariantTag {
        dst: Reg,
        src: Reg,
    },
    /// Payload element `index` of an enum value.
    PayloadGet {
        dst: Reg,
        src: Reg,
        index: u32,
    },
    MakeOk {
        dst: Reg,
        src: Reg,
    },
    MakeErr {
        dst: Reg,
        src: Reg,
    },
    /// Payload of an `ok` or `err`.
    ResultValue {
        dst: Reg,
        src: Reg,
    },

    // ---- type tests and null handling
    /// `dst = src is test`.
    Is {
        dst: Reg,
        src: Reg,
        test: TypeTest,
    },
    /// `dst = src!` (`null value` when null).
    Unwrap {
        dst: Reg,
        src: Reg,
    },

    // ---- closures
    /// A function value for `cell` capturing `args..args + argc`.
    MakeClosure {
        dst: Reg,
        cell: CellId,
        args: Reg,
        argc: u32,
    },
}

/// What kind of source construct a cell came from (affects display and traces).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// A top-level `cell`.
    Cell,
    /// A method declared inside an enum (trace name `Enum.method`).
    Method,
    /// A lambda (`<lambda>` in traces, `<fn>` when displayed).
    Lambda,
}

/// A compiled cell (function).
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Name shown in stack traces: `fib`, `Shape.area`, `<lambda>`.
    pub name: String,
    pub kind: CellKind,
    /// Number of parameters (registers `0..params`).
    pub params: u32,
    /// Number of captured values (registers `params..params + captures`).
    pub captures: u32,
    /// Static type of every register.
    pub regs: Vec<RegTy>,
    /// Type of the returned value.
    pub ret: RegTy,
    pub code: Vec<Instr>,
    /// Source position of each instruction (same length as `code`).
    pub pos: Vec<Pos>,
    /// Which instructions came from inlined cells (empty for code nobody inlined).
    pub inlined: Inlined,
}

/// Where the instructions of a cell that were inlined from other cells came from, so
/// that a stack trace of an error raised in them shows the callee's frame as the call
/// would have (O3 inlining).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inlined {
    /// The inlined calls, in any order; a site may lie inside an earlier one.
    pub sites: Vec<InlineSite>,
    /// Per instruction: 0 for the cell's own code, `k` for the body of `sites[k - 1]`.
    /// Empty when nothing is inlined, otherwise as long as `code`.
    pub at: Vec<u32>,
}

/// One inlined call.
#[derive(Clone, Debug, PartialEq)]
pub struct InlineSite {
    /// Name of the inlined cell, as traces show it.
    pub name: String,
    /// Position of the call.
    pub call: Pos,
    /// Where the call is: 0 in the cell's own code, `k` in the body of site `k - 1`
    /// (always an earlier site).
    pub parent: u32,
}

impl Cell {
    /// A plain cell (no captures, nothing inlined) whose instruction `pc` sits at line
    /// `pc + 1`, column 1: LIR built by hand, in tests and tools.
    pub fn new(name: &str, params: u32, regs: Vec<RegTy>, ret: RegTy, code: Vec<Instr>) -> Cell {
        let pos = (1..=code.len() as u32)
            .map(|line| Pos { line, col: 1 })
            .collect();
        Cell {
            inlined: Default::default(),
            name: name.into(),
            kind: CellKind::Cell,
            params,
            captures: 0,
            regs,
            ret,
            code,
            pos,
        }
    }

    /// The frames a stack trace shows for an error at instruction `pc`, innermost
    /// first: the cells inlined there (each at its position in its own body), then this
    /// cell at the position of the outermost inlined call (or of `pc` itself).
    pub fn frames_at(&self, pc: usize) -> Vec<(&str, Pos)> {
        let mut pos = self.pos.get(pc).copied().unwrap_or_default();
        let mut site = self.inlined.at.get(pc).copied().unwrap_or(0);
        let mut frames = Vec::new();
        // Parents are earlier sites (verified), so this walk ends; the bound guards
        // unverified modules.
        for _ in 0..=self.inlined.sites.len() {
            let Some(s) = site
                .checked_sub(1)
                .and_then(|k| self.inlined.sites.get(k as usize))
            else {
                break;
            };
            frames.push((s.name.as_str(), pos));
            pos = s.call;
            site = s.parent;
        }
        frames.push((self.name.as_str(), pos));
        frames
    }
}

/// A record or enum declaration, as far as the runtime needs it (names for display,
/// `type_of`, field and payload counts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeDef {
    Record {
        name: String,
        fields: Vec<String>,
    },
    Enum {
        name: String,
        variants: Vec<VariantDef>,
    },
}

/// One variant of an enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantDef {
    pub name: String,
    pub arity: u32,
}

impl TypeDef {
    /// The declared name.
    pub fn name(&self) -> &str {
        match self {
            TypeDef::Record { name, .. } | TypeDef::Enum { name, .. } => name,
        }
    }
}

/// The record and enum declarations of a module, indexed by [`TypeId`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeTable {
    pub defs: Vec<TypeDef>,
}

impl TypeTable {
    /// The declaration at `id`.
    pub fn get(&self, id: TypeId) -> &TypeDef {
        &self.defs[id as usize]
    }
}

/// A compiled program.
#[derive(Clone, Debug, Default)]
pub struct LirModule {
    pub cells: Vec<Cell>,
    /// Constant pool (strings and folded constant values).
    pub consts: Vec<Value>,
    pub types: TypeTable,
    /// The `main` cell, when the program has one.
    pub main: Option<CellId>,
}

impl LirModule {
    /// Index of the top-level cell or method called `name` (`"fib"`, `"Shape.area"`).
    pub fn find_cell(&self, name: &str) -> Option<CellId> {
        self.cells
            .iter()
            .position(|c| c.kind != CellKind::Lambda && c.name == name)
            .map(|i| i as CellId)
    }

    /// The cell at `id`.
    pub fn cell(&self, id: CellId) -> &Cell {
        &self.cells[id as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_numbers_are_positions_in_all() {
        for (i, op) in CmpOp::ALL.into_iter().enumerate() {
            assert_eq!(op.index() as usize, i);
            assert_eq!(CmpOp::from_index(i as u32), Some(op));
        }
        assert_eq!(CmpOp::from_index(6), None);
    }

    #[test]
    fn instructions_stay_small() {
        // Dispatch speed of the interpreter depends on a compact encoding.
        assert!(
            std::mem::size_of::<Instr>() <= 24,
            "Instr is {} bytes",
            std::mem::size_of::<Instr>()
        );
    }
}
