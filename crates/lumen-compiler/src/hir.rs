//! HIR: the typed, resolved and desugared program the type checker produces and the
//! lowering turns into LIR.
//!
//! Everything that depends on names or static types is decided here: locals are numbered
//! per function, calls name their target (cell, builtin overload, function value),
//! operators are resolved to their Int/Float/String form with Int→Float conversions made
//! explicit, named arguments are reordered (with temporaries keeping source evaluation
//! order) and defaults filled in, variants and records are ids, lambdas are lifted into
//! their own [`Func`]s, comprehensions, `?.`, compound assignment and `|>` are expanded.
//! Generic code is shared, not monomorphised: a type parameter is a [`Type::Param`].

use crate::types::Type;
use lumen_core::builtins::Builtin;
use lumen_core::lir::TypeTest;
use lumen_core::value::{TypeId, Value};

pub use crate::ast::Span;

/// Index of a function in [`Program::funcs`] (becomes the LIR cell id).
pub type FuncId = u32;
/// Index of a local in [`Func::locals`].
pub type LocalId = u32;
/// Index of a constant in [`Program::consts`].
pub type ConstId = u32;
/// Identifies a loop for `break` / `continue` (unique within a function).
pub type LoopId = u32;

/// A checked program.
#[derive(Clone, Debug)]
pub struct Program {
    /// Record and enum declarations, indexed by [`TypeId`].
    pub types: Vec<TypeDecl>,
    /// Cells, enum methods and lifted lambdas.
    pub funcs: Vec<Func>,
    /// Values of constants (evaluated at compile time), and any other constant value the
    /// checker chose to precompute (e.g. parameter defaults).
    pub consts: Vec<Value>,
    /// The `main` cell.
    pub main: FuncId,
}

/// A record or enum declaration.
#[derive(Clone, Debug)]
pub enum TypeDecl {
    Record {
        name: String,
        type_params: Vec<String>,
        fields: Vec<(String, Type)>,
    },
    Enum {
        name: String,
        type_params: Vec<String>,
        variants: Vec<(String, Vec<Type>)>,
    },
}

impl TypeDecl {
    /// The declared name.
    pub fn name(&self) -> &str {
        match self {
            TypeDecl::Record { name, .. } | TypeDecl::Enum { name, .. } => name,
        }
    }
}

/// What a function came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuncKind {
    Cell,
    Method,
    Lambda,
}

/// A function body with its locals.
#[derive(Clone, Debug)]
pub struct Func {
    /// Trace name: `fib`, `Shape.area` (methods), `<lambda>`.
    pub name: String,
    pub kind: FuncKind,
    /// Parameters, in order (for methods, `self` first).
    pub params: Vec<LocalId>,
    /// For lambdas: the locals that receive the captured values, in the order of
    /// [`ExprKind::Closure::captures`].
    pub captures: Vec<LocalId>,
    pub locals: Vec<Local>,
    pub ret: Type,
    pub body: Expr,
    pub span: Span,
}

/// A local variable (parameter, `let` binding, pattern binding, compiler temporary).
#[derive(Clone, Debug)]
pub struct Local {
    pub name: String,
    /// Declared type (narrowing changes the type of reads, not of the local).
    pub ty: Type,
    pub mutable: bool,
}

/// A typed expression. Statements are expressions of type `Null` (or `Never`).
#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    /// First character of the source expression: the position runtime errors report.
    pub span: Span,
}

/// Resolved unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    IntNeg,
    FloatNeg,
    Not,
    BitNot,
}

/// Resolved binary operators. Operand types are exactly as named (conversions are
/// explicit [`ExprKind::IntToFloat`] nodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    IntAdd,
    IntSub,
    IntMul,
    IntDiv,
    IntFloorDiv,
    IntMod,
    IntPow,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    FloatAdd,
    FloatSub,
    FloatMul,
    FloatDiv,
    FloatFloorDiv,
    FloatMod,
    FloatPow,
    /// `+` or `++` on Strings.
    StrConcat,
    /// `++` on lists.
    ListConcat,
    /// Structural `==` / `!=` on any operands.
    Eq,
    Ne,
    IntLt,
    IntLe,
    IntGt,
    IntGe,
    FloatLt,
    FloatLe,
    FloatGt,
    FloatGe,
    StrLt,
    StrLe,
    StrGt,
    StrGe,
    /// `x in list`.
    InList,
    /// `k in map`.
    InMap,
    /// `sub in string`.
    InStr,
}

/// How `base[index]` indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexKind {
    List,
    Str,
    Map,
}

/// The collection a `for` loop walks.
#[derive(Clone, Debug)]
pub enum ForSource {
    /// `lo..hi` / `lo..=hi` written directly as the source: no list is built.
    Range {
        lo: Box<Expr>,
        hi: Box<Expr>,
        inclusive: bool,
    },
    /// A list's elements.
    List(Box<Expr>),
    /// A String's characters.
    Str(Box<Expr>),
    /// A map's `(key, value)` tuples in key order.
    Map(Box<Expr>),
}

/// An assignable place rooted at a mutable local.
#[derive(Clone, Debug)]
pub struct Place {
    pub root: LocalId,
    pub path: Vec<PlaceElem>,
    pub span: Span,
}

/// One step of a place path.
#[derive(Clone, Debug)]
pub enum PlaceElem {
    /// Record field by declaration index.
    Field(u32),
    /// List element; the index is evaluated by the assignment (in path order).
    ListIndex(Expr),
    /// Map entry (inserted or replaced).
    MapIndex(Expr),
}

/// A `match` arm.
#[derive(Clone, Debug)]
pub struct Arm {
    pub pattern: Pattern,
    pub guard: Option<Expr>,
    pub body: Expr,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Null,
    /// A value from [`Program::consts`].
    Const(ConstId),
    /// Read a local. `Expr::ty` is the (possibly narrowed) type at this point.
    Local(LocalId),
    /// A cell used as a function value.
    FuncRef(FuncId),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// Int → Float (nearest, ties to even).
    IntToFloat(Box<Expr>),
    /// `as Int` on a Float (checked: `invalid conversion`).
    FloatToInt(Box<Expr>),
    /// Short-circuit `and`.
    And(Box<Expr>, Box<Expr>),
    /// Short-circuit `or`.
    Or(Box<Expr>, Box<Expr>),
    /// `a ?? b` (`b` evaluated only when `a` is null).
    Coalesce(Box<Expr>, Box<Expr>),
    /// `a!`: runtime error `null value` when null.
    Unwrap(Box<Expr>),
    /// `e is T`.
    Is(Box<Expr>, TypeTest),
    /// Expression or statement `if`; without `else` the value is `null`.
    If {
        cond: Box<Expr>,
        then_branch: Box<Expr>,
        else_branch: Option<Box<Expr>>,
    },
    /// A scope: statements in order; the value is the last one's (`null` when empty).
    Block(Vec<Expr>),
    /// `let pattern = value` (irrefutable pattern).
    Let {
        pattern: Pattern,
        value: Box<Expr>,
    },
    /// `place = value`. Compound assignments arrive expanded, with index temporaries.
    Assign {
        place: Place,
        value: Box<Expr>,
    },
    While {
        id: LoopId,
        cond: Box<Expr>,
        body: Box<Expr>,
    },
    Loop {
        id: LoopId,
        body: Box<Expr>,
    },
    For {
        id: LoopId,
        pattern: Pattern,
        source: ForSource,
        filter: Option<Box<Expr>>,
        body: Box<Expr>,
    },
    Break(LoopId),
    Continue(LoopId),
    /// `return [e]` (bare `return` carries `Null`).
    Return(Box<Expr>),
    /// `halt e` with `e: String`.
    Halt(Box<Expr>),
    /// Call of a cell or method; arguments in parameter order, defaults filled in.
    Call {
        func: FuncId,
        args: Vec<Expr>,
    },
    /// Call of a builtin overload.
    CallBuiltin {
        builtin: Builtin,
        args: Vec<Expr>,
    },
    /// Call through a function value.
    CallValue {
        callee: Box<Expr>,
        args: Vec<Expr>,
    },
    /// Create a lambda's function value, capturing the given values.
    Closure {
        func: FuncId,
        captures: Vec<Expr>,
    },
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Tuple(Vec<Expr>),
    /// `lo..hi` / `lo..=hi` as a list value.
    Range {
        lo: Box<Expr>,
        hi: Box<Expr>,
        inclusive: bool,
    },
    /// Record construction; fields in declaration order.
    Record {
        type_id: TypeId,
        fields: Vec<Expr>,
    },
    /// Variant construction.
    Variant {
        type_id: TypeId,
        tag: u32,
        payload: Vec<Expr>,
    },
    Ok(Box<Expr>),
    Err(Box<Expr>),
    Index {
        kind: IndexKind,
        base: Box<Expr>,
        index: Box<Expr>,
    },
    /// Record field read (declaration index).
    Field {
        base: Box<Expr>,
        index: u32,
    },
    /// Tuple element read.
    TupleGet {
        base: Box<Expr>,
        index: u32,
    },
    /// String interpolation: the display forms of the parts, concatenated.
    Interp(Vec<Expr>),
    /// `match`: arms tried in order; none applies → `no match arm` at `Expr::span`.
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<Arm>,
    },
    /// Runtime error `no match arm` (ends a `when` whose conditions all failed).
    NoMatch,
}

/// A pattern with the static type of the value it is matched against.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub kind: PatternKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum PatternKind {
    Wildcard,
    /// Binds the value to a local.
    Bind(LocalId),
    /// Matches a value `==` to this one (literals and constants).
    Value(Value),
    /// Matches an Int in `lo..hi` / `lo..=hi`.
    Range {
        lo: i64,
        hi: i64,
        inclusive: bool,
    },
    /// A runtime type test, optionally binding the value.
    Typed {
        test: TypeTest,
        bind: Option<LocalId>,
    },
    Variant {
        type_id: TypeId,
        tag: u32,
        payload: Vec<Pattern>,
    },
    Ok(Box<Pattern>),
    Err(Box<Pattern>),
    Tuple(Vec<Pattern>),
    /// `[a, b]` (exact length) or `[a, b, ...rest]` (at least that length).
    List {
        items: Vec<Pattern>,
        rest: Option<Option<LocalId>>,
    },
    /// Record pattern: listed fields by declaration index.
    Record {
        type_id: TypeId,
        fields: Vec<(u32, Pattern)>,
    },
    /// Alternatives; each binds the same locals.
    Or(Vec<Pattern>),
}
