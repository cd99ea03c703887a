//! The untyped syntax tree produced by the parser (language reference §3–§6).
//! Every node carries the [`Span`] of its first character; names are plain strings
//! (resolution happens in the type checker, which produces [`crate::hir`]).

/// A source position: 1-based line and column (columns count Unicode scalar values).
pub use lumen_core::lir::Pos as Span;

/// A whole source file.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub decls: Vec<Decl>,
    /// What syntax errors broke (empty unless parsed by [`crate::parse_partial`] from a
    /// source with syntax errors); the checker never reports errors caused by it.
    pub broken: Broken,
}

/// The parts of a program lost to syntax errors (language reference §10.3: errors caused
/// by earlier ones are suppressed).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Broken {
    /// Names declared by declarations that were dropped because of a syntax error
    /// (records, enums and their variants, constants, aliases, externs, cells whose
    /// signature did not parse): known to exist, but of unknown type.
    pub names: Vec<String>,
    /// True when some declaration (or the rest of the file) was lost without its name.
    pub lost: bool,
}

/// An identifier with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum Decl {
    Cell(CellDecl),
    Extern(ExternDecl),
    Record(RecordDecl),
    Enum(EnumDecl),
    Const(ConstDecl),
    Alias(AliasDecl),
}

/// `cell name[T](params) -> R … end` (also enum methods, whose first param is `self`).
#[derive(Clone, Debug, PartialEq)]
pub struct CellDecl {
    pub name: Ident,
    pub type_params: Vec<Ident>,
    /// For enum methods: true when the first parameter is `self` (not in `params`).
    pub has_self: bool,
    pub params: Vec<Param>,
    pub ret: Option<TypeExpr>,
    pub body: Block,
    /// Position of the `cell` keyword.
    pub span: Span,
    /// The body contains a syntax error: only the signature is reliable.
    pub broken: bool,
}

/// `extern cell name(params) -> R`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternDecl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub ret: Option<TypeExpr>,
    pub span: Span,
}

/// A cell or lambda parameter: `name: T [= default]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
}

/// `record Name[T] … end`.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordDecl {
    pub name: Ident,
    pub type_params: Vec<Ident>,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

/// A record field declaration: `name: T [= default]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
}

/// `enum Name[T] … end`.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumDecl {
    pub name: Ident,
    pub type_params: Vec<Ident>,
    pub variants: Vec<VariantDecl>,
    pub methods: Vec<CellDecl>,
    pub span: Span,
}

/// An enum variant: `Name` or `Name(T1, T2)`.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantDecl {
    pub name: Ident,
    pub payload: Vec<TypeExpr>,
}

/// `const NAME [: T] = e`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstDecl {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
    pub span: Span,
}

/// `type Name = T`.
#[derive(Clone, Debug, PartialEq)]
pub struct AliasDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

/// A type as written.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    /// `Name` or `Name[args]` (predeclared names such as `Int` and `list` included).
    Named { name: Ident, args: Vec<TypeExpr> },
    /// `fn(A, B) -> R`.
    Fn {
        params: Vec<TypeExpr>,
        ret: Box<TypeExpr>,
    },
    /// `A | B | …` (two or more).
    Union(Vec<TypeExpr>),
    /// `T?`.
    Optional(Box<TypeExpr>),
}

/// A sequence of statements (`body` in the grammar).
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    /// Position of the block's start (first statement, or the token that opened it).
    pub span: Span,
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

/// Assignment operators: `=` (None) or a compound `op=`.
pub type AssignOp = Option<BinOp>;

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Let {
        mutable: bool,
        pattern: Pattern,
        ty: Option<TypeExpr>,
        value: Expr,
    },
    /// `place op= value`; `place` is an `Ident`, `Field` or `Index` chain expression.
    Assign {
        place: Expr,
        op: AssignOp,
        value: Expr,
    },
    /// Block `if` with `else if` chains folded into `else_branch` (a block holding one `If`).
    If {
        cond: Expr,
        then_branch: Block,
        else_branch: Option<Block>,
    },
    While {
        label: Option<Ident>,
        cond: Expr,
        body: Block,
    },
    Loop {
        label: Option<Ident>,
        body: Block,
    },
    For {
        label: Option<Ident>,
        pattern: Pattern,
        iter: Expr,
        filter: Option<Expr>,
        body: Block,
    },
    Break(Option<Ident>),
    Continue(Option<Ident>),
    Return(Option<Expr>),
    Halt(Expr),
    Expr(Expr),
}

/// Binary operators (§5.1), before type-directed resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    Shl,
    Shr,
    Concat,
    BitAnd,
    BitOr,
    BitXor,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    And,
    Or,
    Coalesce,
}

impl BinOp {
    /// Source text of the operator.
    pub fn text(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Concat => "++",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Coalesce => "??",
        }
    }
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    Not,
    BitNot,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    /// Position of the expression's first character.
    pub span: Span,
}

/// A piece of an interpolated string.
#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    Text(String),
    Expr(Expr),
}

/// A call argument: positional or `name: value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

/// One arm of `match`: `pattern [if guard] -> body`.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchArm {
    pub pattern: Pattern,
    pub guard: Option<Expr>,
    pub body: ArmBody,
    pub span: Span,
}

/// One arm of `when`: `cond -> body`, or `_ -> body` (`cond` is `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct WhenArm {
    pub cond: Option<Expr>,
    pub body: ArmBody,
    pub span: Span,
}

/// An arm body: a single statement on the arm's line, or a block closed by `end`.
#[derive(Clone, Debug, PartialEq)]
pub enum ArmBody {
    Stmt(Box<Stmt>),
    Block(Block),
}

/// A lambda body: `=> expr` or a block.
#[derive(Clone, Debug, PartialEq)]
pub enum LambdaBody {
    Expr(Box<Expr>),
    Block(Block),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// Int literal; `-9223372036854775808` is folded by the parser into `Int(i64::MIN)`
    /// (spanning from the `-`).
    Int(i64),
    Float(f64),
    /// A string literal without interpolation (raw strings included).
    Str(String),
    /// An interpolated string: text and expressions in order.
    Interp(Vec<StrPart>),
    Bool(bool),
    Null,
    Ident(String),
    SelfValue,
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `e is T` (`T` a type name, possibly `Enum.Variant`).
    Is(Box<Expr>, TypeName),
    /// `e as T`.
    As(Box<Expr>, TypeName),
    /// `a..b` / `a..=b`.
    Range {
        lo: Box<Expr>,
        hi: Box<Expr>,
        inclusive: bool,
    },
    /// `a |> f` / `a |> f(args)`: `func` is the right operand as written.
    Pipe(Box<Expr>, Box<Expr>),
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    /// `a.f` (also `Enum.Variant` and `t.0`, where `field` is the digits).
    Field {
        base: Box<Expr>,
        field: Ident,
    },
    /// `a?.f`.
    OptField {
        base: Box<Expr>,
        field: Ident,
    },
    /// `a?.m(args)`.
    OptCall {
        base: Box<Expr>,
        method: Ident,
        args: Vec<Arg>,
    },
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    /// `a!`.
    Unwrap(Box<Expr>),
    Ok(Box<Expr>),
    Err(Box<Expr>),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Tuple(Vec<Expr>),
    Comprehension {
        elem: Box<Expr>,
        pattern: Pattern,
        iter: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
    If {
        cond: Box<Expr>,
        then_branch: Box<Expr>,
        else_branch: Box<Expr>,
    },
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<MatchArm>,
    },
    When {
        arms: Vec<WhenArm>,
    },
    Lambda {
        params: Vec<Param>,
        ret: Option<TypeExpr>,
        body: LambdaBody,
    },
}

/// A type name after `is`/`as` or in a typed pattern: `Int`, `Shape`, `Shape.Circle`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeName {
    pub path: Vec<Ident>,
    pub span: Span,
}

/// A pattern (§6).
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

/// A literal in a pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum PatLit {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatternKind {
    Wildcard,
    /// A bare identifier: a binding, a constant or a payload-less variant (resolved later).
    Ident(String),
    Literal(PatLit),
    /// `x: T` / `_: T` (`name` None for `_`).
    Typed {
        name: Option<Ident>,
        ty: TypeName,
    },
    /// `lo..hi` / `lo..=hi` with Int literal bounds.
    Range {
        lo: i64,
        hi: i64,
        inclusive: bool,
    },
    /// `Name(p, …)` / `Enum.Name(p, …)` / `ok(p)` / `err(p)` (path `["ok"]`, `["err"]`).
    Ctor {
        path: TypeName,
        args: Vec<Pattern>,
    },
    /// `Name(field: p, …)` (every argument named): a record pattern. If `Name` is a
    /// variant, the items are typed payloads instead (`Circle(r: Float)`, §6): each
    /// `(r, Ident("Float"))` / `(r, Path(..))` means `Typed { r, Float }`. With positional
    /// items mixed in, the parser already produces `Ctor` with `Typed` items.
    Record {
        path: TypeName,
        fields: Vec<(Ident, Pattern)>,
    },
    /// `Enum.Variant` without payload.
    Path(TypeName),
    Tuple(Vec<Pattern>),
    /// `[p, q]`, `[p, ...rest]`, `[...]`: `rest` is `Some(None)` for `...`, `Some(Some(x))`
    /// for `...x`.
    List {
        items: Vec<Pattern>,
        rest: Option<Option<Ident>>,
    },
    Or(Vec<Pattern>),
}
