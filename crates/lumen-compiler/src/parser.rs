//! Recursive-descent parser (language reference §3–§6): tokens to [`ast::Program`].
//!
//! Expressions use precedence climbing over the table of §5.1. Errors are reported as
//! `unexpected <token>, expected <what>` at the offending token; the parser then recovers
//! at the next statement (or declaration) so that every syntax error of a file is
//! reported. Block headers (`if c`, `cell f(…)`, `match e`, …) recover by still parsing
//! their body up to `end`, which keeps later errors from being misattributed.

use crate::ast::*;
use crate::diagnostics::Diagnostic;
use crate::lexer::{Kw, Token, TokenKind, lex};

/// Parses a whole `.lm` source, returning the program or every syntax error (by position).
pub fn parse(source: &str) -> Result<Program, Vec<Diagnostic>> {
    let (program, diags) = parse_partial(source);
    if diags.is_empty() {
        Ok(program)
    } else {
        Err(diags)
    }
}

/// Parses a whole `.lm` source into what parsed (see [`Broken`] and
/// [`CellDecl::broken`] for what a syntax error leaves out) and every syntax error,
/// ordered by position.
pub fn parse_partial(source: &str) -> (Program, Vec<Diagnostic>) {
    let (toks, lex_diags) = lex(source);
    let mut p = Parser {
        src: source,
        toks,
        p: 0,
        diags: Vec::new(),
        lex_diags,
        depth: 0,
        tree: 0,
        abandoned: false,
        salvage: Vec::new(),
    };
    let mut program = p.program();
    if p.abandoned {
        // Declarations after the too-deep point are missing: checking the rest would
        // report their names as undefined.
        program = Program {
            decls: Vec::new(),
            broken: Broken {
                names: Vec::new(),
                lost: true,
            },
        };
    }
    let mut diags = p.lex_diags;
    // A parse error on a line that already has a lexical error at or before it is almost
    // always a consequence of that error (a skipped character, an emptied string).
    for d in p.diags {
        let caused = diags
            .iter()
            .any(|l| l.span.line == d.span.line && l.span.col <= d.span.col);
        if !caused {
            diags.push(d);
        }
    }
    diags.sort_by_key(|d| d.span);
    diags.dedup();
    (program, diags)
}

/// A syntax error was already recorded; the caller should recover.
#[derive(Debug)]
struct Fail;

type PResult<T> = Result<T, Fail>;

/// Maximum nesting of expressions, patterns, types and blocks. This bounds the parser's
/// native stack use (8–15 KB per level in unoptimised builds, about 15 MB in all): the
/// CLI compiles on a 256 MiB stack (`lumen_rt::run_on_big_stack`), and tests that parse
/// programs nested more than ~100 levels must do the same. `else if` chains and operator
/// chains are parsed in loops and do not count here.
const MAX_DEPTH: usize = 1000;
/// Maximum depth of the syntax tree, counting left-nested chains such as `a + b + c` and
/// `else if` links. Later passes (checker, lowering, dropping the tree) recurse over it
/// using up to ~30 KB per level in unoptimised builds, so this keeps them well within
/// the CLI's 256 MiB stack.
const MAX_TREE: usize = 3000;

/// Precedence levels of §5.1 (higher binds tighter).
const PREC_CMP: u8 = 4;
const PREC_RANGE: u8 = 8;

/// What an infix token does.
#[derive(Clone, Copy)]
enum Infix {
    Bin(BinOp),
    /// A non-chaining comparison (`== != < <= > >= in`).
    Cmp(BinOp),
    Is,
    As,
    Pipe,
    Range(bool),
}

fn infix(k: &TokenKind) -> Option<(u8, Infix)> {
    use Infix::*;
    use TokenKind as T;
    Some(match k {
        T::QQ => (1, Bin(BinOp::Coalesce)),
        T::Kw(Kw::Or) => (2, Bin(BinOp::Or)),
        T::Kw(Kw::And) => (3, Bin(BinOp::And)),
        T::EqEq => (PREC_CMP, Cmp(BinOp::Eq)),
        T::Ne => (PREC_CMP, Cmp(BinOp::Ne)),
        T::Lt => (PREC_CMP, Cmp(BinOp::Lt)),
        T::Le => (PREC_CMP, Cmp(BinOp::Le)),
        T::Gt => (PREC_CMP, Cmp(BinOp::Gt)),
        T::Ge => (PREC_CMP, Cmp(BinOp::Ge)),
        T::Kw(Kw::In) => (PREC_CMP, Cmp(BinOp::In)),
        T::Kw(Kw::Is) => (PREC_CMP, Is),
        T::Kw(Kw::As) => (PREC_CMP, As),
        T::Bar => (PREC_CMP, Bin(BinOp::BitOr)),
        T::Caret => (5, Bin(BinOp::BitXor)),
        T::PipeGt => (6, Pipe),
        T::Amp => (6, Bin(BinOp::BitAnd)),
        T::PlusPlus => (7, Bin(BinOp::Concat)),
        T::DotDot => (PREC_RANGE, Range(false)),
        T::DotDotEq => (PREC_RANGE, Range(true)),
        T::Shl => (9, Bin(BinOp::Shl)),
        T::Shr => (9, Bin(BinOp::Shr)),
        T::Plus => (10, Bin(BinOp::Add)),
        T::Minus => (10, Bin(BinOp::Sub)),
        T::Star => (11, Bin(BinOp::Mul)),
        T::Slash => (11, Bin(BinOp::Div)),
        T::SlashSlash => (11, Bin(BinOp::FloorDiv)),
        T::Percent => (11, Bin(BinOp::Mod)),
        T::StarStar => (12, Bin(BinOp::Pow)),
        _ => return None,
    })
}

/// The right operand of an infix operator: an expression, or a type name after
/// `is`/`as`.
enum Rhs {
    Expr(Expr),
    Type(TypeName),
}

/// Builds the node for `left op rhs` (positioned at `left`).
#[inline(never)]
fn infix_node(op: Infix, left: Expr, rhs: Rhs) -> Expr {
    let span = left.span;
    let left = Box::new(left);
    let kind = match (op, rhs) {
        (Infix::Is, Rhs::Type(t)) => ExprKind::Is(left, t),
        (Infix::As, Rhs::Type(t)) => ExprKind::As(left, t),
        (Infix::Bin(b) | Infix::Cmp(b), Rhs::Expr(r)) => ExprKind::Binary(b, left, Box::new(r)),
        (Infix::Pipe, Rhs::Expr(r)) => ExprKind::Pipe(left, Box::new(r)),
        (Infix::Range(inclusive), Rhs::Expr(r)) => ExprKind::Range {
            lo: left,
            hi: Box::new(r),
            inclusive,
        },
        // `binary_chain` pairs type names exactly with `is`/`as`.
        (_, Rhs::Type(t)) => ExprKind::Is(left, t),
        (_, Rhs::Expr(r)) => ExprKind::Binary(BinOp::Eq, left, Box::new(r)),
    };
    Expr { kind, span }
}

/// Folds the links of `if c1 … else if c2 … else …` into nested `If` statements,
/// innermost first: each link is the only statement of the previous link's `else` block.
#[inline(never)]
fn fold_if_chain(links: Vec<(Span, Expr, Block)>, else_branch: Option<Block>) -> Option<StmtKind> {
    let mut else_branch = else_branch;
    let mut links = links.into_iter().rev().peekable();
    while let Some((if_pos, cond, then_branch)) = links.next() {
        let kind = StmtKind::If {
            cond,
            then_branch,
            else_branch,
        };
        if links.peek().is_none() {
            return Some(kind);
        }
        else_branch = Some(Block {
            span: if_pos,
            stmts: vec![Stmt { kind, span: if_pos }],
        });
    }
    None
}

/// The operator of a compound assignment token `op=`.
fn compound_op(k: &TokenKind) -> Option<BinOp> {
    use TokenKind as T;
    Some(match k {
        T::Plus => BinOp::Add,
        T::Minus => BinOp::Sub,
        T::Star => BinOp::Mul,
        T::Slash => BinOp::Div,
        T::SlashSlash => BinOp::FloorDiv,
        T::Percent => BinOp::Mod,
        T::StarStar => BinOp::Pow,
        T::Amp => BinOp::BitAnd,
        T::Bar => BinOp::BitOr,
        T::Caret => BinOp::BitXor,
        T::Shl => BinOp::Shl,
        T::Shr => BinOp::Shr,
        _ => return None,
    })
}

/// Tokens that can begin an expression (decides whether `return` has an operand).
fn starts_expr(k: &TokenKind) -> bool {
    use TokenKind as T;
    matches!(
        k,
        T::Int(_)
            | T::Float(_)
            | T::Str(_)
            | T::InterpStart
            | T::Ident
            | T::Reserved
            | T::LParen
            | T::LBracket
            | T::LBrace
            | T::Minus
            | T::Tilde
            | T::Kw(
                Kw::True
                    | Kw::False
                    | Kw::Null
                    | Kw::SelfValue
                    | Kw::Ok
                    | Kw::Err
                    | Kw::If
                    | Kw::Match
                    | Kw::When
                    | Kw::Fn
                    | Kw::Not
            )
    )
}

/// Tokens that continue a postfix chain.
fn starts_postfix(k: &TokenKind) -> bool {
    use TokenKind as T;
    matches!(k, T::LParen | T::LBracket | T::Dot | T::QDot | T::Bang)
}

/// Keywords that start a top-level declaration (recovery points).
fn starts_decl(k: &TokenKind) -> bool {
    matches!(
        k,
        TokenKind::Kw(Kw::Cell | Kw::Extern | Kw::Record | Kw::Enum | Kw::Const | Kw::Type)
    )
}

/// `2^63`: valid only as the operand of unary minus.
const MIN_MAGNITUDE: u64 = 1 << 63;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    p: usize,
    diags: Vec<Diagnostic>,
    /// The lexer's errors (a declaration containing one is broken).
    lex_diags: Vec<Diagnostic>,
    /// Names declared inside the declaration being parsed (enum variants), kept if the
    /// declaration is dropped for a syntax error.
    salvage: Vec<String>,
    /// Current recursion depth of the parser.
    depth: usize,
    /// Depth of the syntax tree being built (recursion plus left-nested operator chains),
    /// bounded so that later recursive passes and dropping the tree stay within the stack.
    tree: usize,
    /// Set after a too-deep error: the rest of the file is skipped silently.
    abandoned: bool,
}

impl<'a> Parser<'a> {
    // ----- token access -------------------------------------------------------------

    fn tok(&self) -> &Token {
        // The vector always ends with Eof and `p` never moves past it.
        &self.toks[self.p.min(self.toks.len() - 1)]
    }

    fn peek(&self) -> &TokenKind {
        &self.tok().kind
    }

    fn peek_at(&self, n: usize) -> &TokenKind {
        let i = (self.p + n).min(self.toks.len() - 1);
        &self.toks[i].kind
    }

    fn pos(&self) -> Span {
        self.tok().pos
    }

    fn at(&self, k: &TokenKind) -> bool {
        self.peek() == k
    }

    fn at_kw(&self, kw: Kw) -> bool {
        *self.peek() == TokenKind::Kw(kw)
    }

    /// Consumes the current token (never moves past `Eof`) and returns its position.
    fn advance(&mut self) -> Span {
        let pos = self.pos();
        if self.p + 1 < self.toks.len() {
            self.p += 1;
        }
        pos
    }

    fn eat(&mut self, k: &TokenKind) -> bool {
        if self.at(k) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn text(&self) -> &'a str {
        self.tok().text(self.src)
    }

    // ----- errors and recovery ------------------------------------------------------

    fn error(&mut self, pos: Span, msg: impl Into<String>) -> Fail {
        if !self.abandoned {
            self.diags.push(Diagnostic::new(pos, msg));
        }
        Fail
    }

    /// Reports the current token as unexpected (`expected` names what would fit).
    fn unexpected(&mut self, expected: &str) -> Fail {
        let tok = self.tok();
        let msg = match tok.kind {
            TokenKind::Reserved => format!("'{}' is reserved", tok.text(self.src)),
            TokenKind::Eof => format!("unexpected end of file, expected {expected}"),
            TokenKind::Newline => format!("unexpected newline, expected {expected}"),
            _ => format!("unexpected '{}', expected {expected}", tok.text(self.src)),
        };
        let pos = tok.pos;
        self.error(pos, msg)
    }

    fn expect(&mut self, k: &TokenKind, expected: &str) -> PResult<Span> {
        if self.at(k) {
            Ok(self.advance())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn expect_kw(&mut self, kw: Kw, expected: &str) -> PResult<Span> {
        self.expect(&TokenKind::Kw(kw), expected)
    }

    /// Requires the end of a line (or of the file) after a statement or header.
    fn expect_line_end(&mut self) -> PResult<()> {
        match self.peek() {
            TokenKind::Newline | TokenKind::Eof => Ok(()),
            _ => Err(self.unexpected("newline")),
        }
    }

    /// Skips to the end of the current line, stopping before a newline, `end`, EOF or a
    /// declaration keyword that begins a line.
    fn sync_line(&mut self) {
        while !matches!(
            self.peek(),
            TokenKind::Newline | TokenKind::Eof | TokenKind::Kw(Kw::End)
        ) && !self.at_line_start_decl()
        {
            self.advance();
        }
    }

    fn skip_newlines(&mut self) {
        while self.at(&TokenKind::Newline) {
            self.advance();
        }
    }

    /// Runs `f` one nesting level deeper, failing cleanly past [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH || self.tree >= MAX_TREE {
            return Err(self.too_deep());
        }
        let saved = self.tree;
        self.depth += 1;
        self.tree += 1;
        let r = f(self);
        self.depth -= 1;
        self.tree = saved;
        r
    }

    /// Reports excessive nesting and abandons the parse: everything up to the end of
    /// the file is skipped and no further errors are reported (they would be spurious).
    fn too_deep(&mut self) -> Fail {
        let pos = self.pos();
        self.error(pos, "program nested too deeply");
        self.abandoned = true;
        self.p = self.toks.len() - 1;
        Fail
    }

    /// Accounts for one more level of a left-nested chain (restored by the caller).
    fn deepen(&mut self) -> PResult<()> {
        self.tree += 1;
        if self.tree >= MAX_TREE {
            return Err(self.too_deep());
        }
        Ok(())
    }

    // ----- names ----------------------------------------------------------------------

    fn ident(&mut self, expected: &str) -> PResult<Ident> {
        if self.at(&TokenKind::Ident) {
            let name = self.text().to_string();
            let span = self.advance();
            Ok(Ident { name, span })
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn label(&mut self) -> Option<Ident> {
        if self.at(&TokenKind::Label) {
            let name = self.text().get(1..).unwrap_or("").to_string();
            let span = self.advance();
            Some(Ident { name, span })
        } else {
            None
        }
    }

    /// `IDENT [ "." IDENT ]` after `is`/`as` or in a typed pattern.
    fn type_name(&mut self) -> PResult<TypeName> {
        let first = self.ident("type name")?;
        let span = first.span;
        let mut path = vec![first];
        if self.at(&TokenKind::Dot) && *self.peek_at(1) == TokenKind::Ident {
            self.advance();
            path.push(self.ident("variant name")?);
        }
        Ok(TypeName { path, span })
    }

    // ----- declarations ---------------------------------------------------------------

    fn program(&mut self) -> Program {
        let mut decls = Vec::new();
        let mut broken = Broken::default();
        // After a declaration with errors, stray tokens up to the next declaration keyword
        // (typically the rest of a construct the error broke up: indented lines, an `end`
        // or a closing bracket) are skipped silently.
        let mut recovering = false;
        loop {
            self.skip_newlines();
            let before_diags = self.diags.len();
            let start = self.p;
            self.salvage.clear();
            let r = match self.peek() {
                TokenKind::Eof => break,
                TokenKind::Kw(Kw::Cell) => self.cell_decl(false).map(Decl::Cell),
                TokenKind::Kw(Kw::Extern) => self.extern_decl().map(Decl::Extern),
                TokenKind::Kw(Kw::Record) => self.record_decl().map(Decl::Record),
                TokenKind::Kw(Kw::Enum) => self.enum_decl().map(Decl::Enum),
                TokenKind::Kw(Kw::Const) => self.const_decl().map(Decl::Const),
                TokenKind::Kw(Kw::Type) => self.alias_decl().map(Decl::Alias),
                k if recovering
                    && (self.pos().col > 1
                        || matches!(
                            k,
                            TokenKind::Kw(Kw::End)
                                | TokenKind::RParen
                                | TokenKind::RBracket
                                | TokenKind::RBrace
                        )) =>
                {
                    Err(Fail)
                }
                _ => {
                    // Possibly a mistyped declaration keyword: some name may be lost.
                    broken.lost = true;
                    Err(self.unexpected("declaration"))
                }
            };
            let inner_errors =
                self.diags.len() > before_diags || self.lex_error_between(start, self.p);
            let kept = match r {
                Ok(d) => {
                    if !matches!(self.peek(), TokenKind::Newline | TokenKind::Eof) {
                        // Left over from an error inside the declaration: skip silently.
                        if !inner_errors {
                            self.unexpected("newline");
                        }
                        self.sync_decl();
                    }
                    match d {
                        // A cell or an enum marks its own broken bodies.
                        Decl::Cell(_) | Decl::Enum(_) => Some(d),
                        d if !inner_errors => Some(d),
                        _ => None,
                    }
                }
                Err(Fail) => {
                    self.sync_decl();
                    None
                }
            };
            match kept {
                Some(d) => decls.push(d),
                None if starts_decl(&self.toks[start].kind) => {
                    let name_at = if self.toks[start].kind == TokenKind::Kw(Kw::Extern) {
                        start + 2
                    } else {
                        start + 1
                    };
                    match self.toks.get(name_at) {
                        Some(t) if t.kind == TokenKind::Ident => {
                            broken.names.push(t.text(self.src).to_string());
                        }
                        _ => broken.lost = true,
                    }
                    broken.names.append(&mut self.salvage);
                }
                None => {}
            }
            recovering = self.diags.len() > before_diags || (recovering && self.p == start);
            if self.p == start {
                self.advance();
            }
        }
        Program { decls, broken }
    }

    /// True when a lexical error lies between tokens `from` (inclusive) and `to`.
    fn lex_error_between(&self, from: usize, to: usize) -> bool {
        let last = self.toks.len() - 1;
        let (a, b) = (self.toks[from.min(last)].pos, self.toks[to.min(last)].pos);
        let to_eof = to >= last;
        self.lex_diags
            .iter()
            .any(|d| d.span >= a && (to_eof || d.span < b))
    }

    /// Skips to the next line that starts with a declaration keyword (possibly the
    /// current token).
    fn sync_decl(&mut self) {
        while !self.at(&TokenKind::Eof) && !self.at_line_start_decl() {
            self.advance();
        }
    }

    /// True at a declaration keyword that begins a line: a declaration missing its `end`
    /// ends there rather than swallowing the next declaration. Column 1 counts even when
    /// the line break before it was swallowed (after a trailing binary operator).
    fn at_line_start_decl(&self) -> bool {
        starts_decl(self.peek())
            && (self.p == 0
                || self.pos().col == 1
                || self.toks[self.p - 1].kind == TokenKind::Newline)
    }

    /// `[T, U]` after a declaration name, if present.
    fn type_params(&mut self) -> PResult<Vec<Ident>> {
        let mut out = Vec::new();
        if self.eat(&TokenKind::LBracket) {
            loop {
                out.push(self.ident("type parameter name")?);
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
            self.expect(&TokenKind::RBracket, "']'")?;
        }
        Ok(out)
    }

    /// `params` up to (not including) `)`: `name: T [= default]`, trailing comma allowed.
    fn params(&mut self, defaults: bool) -> PResult<Vec<Param>> {
        let mut out = Vec::new();
        while !self.at(&TokenKind::RParen) {
            let name = self.ident("parameter name")?;
            self.expect(&TokenKind::Colon, "':'")?;
            let ty = self.ty()?;
            let default = if defaults && self.eat(&TokenKind::Eq) {
                Some(self.expr()?)
            } else {
                None
            };
            out.push(Param { name, ty, default });
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        Ok(out)
    }

    /// `cell name[T](params) -> R NL body end`; in an enum, a method taking `self` first.
    /// A cell whose header parsed is kept even if its body has syntax errors (marked
    /// `broken`); a top-level cell is kept even without its `end`.
    fn cell_decl(&mut self, method: bool) -> PResult<CellDecl> {
        let before_diags = self.diags.len();
        let start = self.p;
        let span = self.advance();
        let header = self.cell_header(method);
        if header.is_err() {
            self.sync_line();
        }
        let body = self.block(false);
        let end = self.expect_kw(Kw::End, "'end'");
        if method && end.is_err() {
            return Err(Fail);
        }
        let (name, type_params, params, ret) = header?;
        let broken = end.is_err()
            || self.diags.len() > before_diags
            || self.lex_error_between(start, self.p);
        Ok(CellDecl {
            name,
            type_params,
            has_self: method,
            params,
            ret,
            body,
            span,
            broken,
        })
    }

    #[allow(clippy::type_complexity)]
    fn cell_header(
        &mut self,
        method: bool,
    ) -> PResult<(Ident, Vec<Ident>, Vec<Param>, Option<TypeExpr>)> {
        let name = self.ident("cell name")?;
        let type_params = if method {
            Vec::new()
        } else {
            self.type_params()?
        };
        self.expect(&TokenKind::LParen, "'('")?;
        if method {
            self.expect_kw(Kw::SelfValue, "'self'")?;
            if !self.at(&TokenKind::RParen) {
                self.expect(&TokenKind::Comma, "',' or ')'")?;
            }
        }
        let params = self.params(true)?;
        self.expect(&TokenKind::RParen, "')'")?;
        let ret = self.ret_type()?;
        self.expect_line_end()?;
        Ok((name, type_params, params, ret))
    }

    /// `[-> type]`.
    fn ret_type(&mut self) -> PResult<Option<TypeExpr>> {
        if self.eat(&TokenKind::Arrow) {
            Ok(Some(self.ty()?))
        } else {
            Ok(None)
        }
    }

    fn extern_decl(&mut self) -> PResult<ExternDecl> {
        let span = self.advance();
        self.expect_kw(Kw::Cell, "'cell'")?;
        let name = self.ident("cell name")?;
        self.expect(&TokenKind::LParen, "'('")?;
        let params = self.params(true)?;
        self.expect(&TokenKind::RParen, "')'")?;
        let ret = self.ret_type()?;
        Ok(ExternDecl {
            name,
            params,
            ret,
            span,
        })
    }

    fn record_decl(&mut self) -> PResult<RecordDecl> {
        let span = self.advance();
        let header = (|| {
            let name = self.ident("record name")?;
            let tps = self.type_params()?;
            self.expect_line_end()?;
            Ok((name, tps))
        })();
        if header.is_err() {
            self.sync_line();
        }
        let mut fields = Vec::new();
        let mut ok = true;
        loop {
            self.skip_newlines();
            if matches!(self.peek(), TokenKind::Kw(Kw::End) | TokenKind::Eof)
                || self.at_line_start_decl()
            {
                break;
            }
            let start = self.p;
            let field = (|| {
                let name = self.ident("field name or 'end'")?;
                self.expect(&TokenKind::Colon, "':'")?;
                let ty = self.ty()?;
                let default = if self.eat(&TokenKind::Eq) {
                    Some(self.expr()?)
                } else {
                    None
                };
                self.expect_line_end()?;
                Ok(FieldDecl { name, ty, default })
            })();
            match field {
                Ok(f) => fields.push(f),
                Err(Fail) => {
                    ok = false;
                    self.sync_line();
                    if self.p == start {
                        self.advance();
                    }
                }
            }
        }
        self.expect_kw(Kw::End, "'end'")?;
        let (name, type_params) = header?;
        if !ok {
            return Err(Fail);
        }
        Ok(RecordDecl {
            name,
            type_params,
            fields,
            span,
        })
    }

    fn enum_decl(&mut self) -> PResult<EnumDecl> {
        let span = self.advance();
        let header = (|| {
            let name = self.ident("enum name")?;
            let tps = self.type_params()?;
            self.expect_line_end()?;
            Ok((name, tps))
        })();
        if header.is_err() {
            self.sync_line();
        }
        let mut variants = Vec::new();
        let mut methods = Vec::new();
        let mut ok = true;
        loop {
            self.skip_newlines();
            if matches!(self.peek(), TokenKind::Kw(Kw::End) | TokenKind::Eof)
                || (self.at_line_start_decl() && !self.at_kw(Kw::Cell))
            {
                break;
            }
            let start = self.p;
            if self.at(&TokenKind::Ident) {
                // A variant name, kept as declared if the enum is dropped.
                self.salvage.push(self.text().to_string());
            }
            let item = if self.at_kw(Kw::Cell) {
                self.cell_decl(true)
                    .and_then(|m| self.expect_line_end().map(|_| methods.push(m)))
            } else {
                (|| {
                    let name = self.ident("variant, 'cell' or 'end'")?;
                    let mut payload = Vec::new();
                    if self.eat(&TokenKind::LParen) {
                        loop {
                            payload.push(self.ty()?);
                            if !self.eat(&TokenKind::Comma) || self.at(&TokenKind::RParen) {
                                break;
                            }
                        }
                        self.expect(&TokenKind::RParen, "')'")?;
                    }
                    self.expect_line_end()?;
                    variants.push(VariantDecl { name, payload });
                    Ok(())
                })()
            };
            if item.is_err() {
                ok = false;
                self.sync_line();
                if self.p == start {
                    self.advance();
                }
            }
        }
        self.expect_kw(Kw::End, "'end'")?;
        let (name, type_params) = header?;
        if !ok {
            return Err(Fail);
        }
        Ok(EnumDecl {
            name,
            type_params,
            variants,
            methods,
            span,
        })
    }

    fn const_decl(&mut self) -> PResult<ConstDecl> {
        let span = self.advance();
        let name = self.ident("constant name")?;
        let ty = if self.eat(&TokenKind::Colon) {
            Some(self.ty()?)
        } else {
            None
        };
        self.expect(&TokenKind::Eq, "'='")?;
        let value = self.expr()?;
        Ok(ConstDecl {
            name,
            ty,
            value,
            span,
        })
    }

    fn alias_decl(&mut self) -> PResult<AliasDecl> {
        let span = self.advance();
        let name = self.ident("type name")?;
        self.expect(&TokenKind::Eq, "'='")?;
        let ty = self.ty()?;
        Ok(AliasDecl { name, ty, span })
    }

    // ----- types ------------------------------------------------------------------------

    /// `type = tterm { "|" tterm }`.
    fn ty(&mut self) -> PResult<TypeExpr> {
        self.nested(|p| {
            let first = p.type_term()?;
            if !p.at(&TokenKind::Bar) {
                return Ok(first);
            }
            let span = first.span;
            let mut alts = vec![first];
            while p.eat(&TokenKind::Bar) {
                alts.push(p.type_term()?);
            }
            Ok(TypeExpr {
                kind: TypeExprKind::Union(alts),
                span,
            })
        })
    }

    fn type_term(&mut self) -> PResult<TypeExpr> {
        let span = self.pos();
        let mut t = match self.peek() {
            TokenKind::Ident => {
                let name = self.ident("type")?;
                let mut args = Vec::new();
                if self.eat(&TokenKind::LBracket) {
                    loop {
                        args.push(self.ty()?);
                        if !self.eat(&TokenKind::Comma) || self.at(&TokenKind::RBracket) {
                            break;
                        }
                    }
                    self.expect(&TokenKind::RBracket, "']'")?;
                }
                TypeExpr {
                    kind: TypeExprKind::Named { name, args },
                    span,
                }
            }
            TokenKind::Kw(Kw::Fn) => {
                self.advance();
                self.expect(&TokenKind::LParen, "'('")?;
                let mut params = Vec::new();
                while !self.at(&TokenKind::RParen) {
                    params.push(self.ty()?);
                    if !self.eat(&TokenKind::Comma) {
                        break;
                    }
                }
                self.expect(&TokenKind::RParen, "')'")?;
                self.expect(&TokenKind::Arrow, "'->'")?;
                let ret = Box::new(self.ty()?);
                TypeExpr {
                    kind: TypeExprKind::Fn { params, ret },
                    span,
                }
            }
            TokenKind::LParen => {
                self.advance();
                let mut inner = self.ty()?;
                self.expect(&TokenKind::RParen, "')'")?;
                inner.span = span;
                inner
            }
            _ => return Err(self.unexpected("type")),
        };
        // `T??` lexes as one `??` token but is `T?` (§2).
        while self.eat(&TokenKind::Question) || self.eat(&TokenKind::QQ) {
            t = TypeExpr {
                kind: TypeExprKind::Optional(Box::new(t)),
                span,
            };
        }
        Ok(t)
    }

    // ----- statements ---------------------------------------------------------------------

    /// `body`: statements up to `end` (or `else` when `else_ends`), which is not consumed.
    fn block(&mut self, else_ends: bool) -> Block {
        let open = self.pos();
        // Too deep: the parse was abandoned (see `too_deep`).
        self.nested(|p| Ok(p.block_inner(else_ends)))
            .unwrap_or(Block {
                stmts: Vec::new(),
                span: open,
            })
    }

    fn block_inner(&mut self, else_ends: bool) -> Block {
        let open = self.pos();
        let mut stmts: Vec<Stmt> = Vec::new();
        loop {
            self.skip_newlines();
            match self.peek() {
                TokenKind::Eof | TokenKind::Kw(Kw::End) => break,
                TokenKind::Kw(Kw::Else) if else_ends => break,
                _ if self.at_line_start_decl() => break,
                _ => {}
            }
            let start = self.p;
            match self.stmt().and_then(|s| self.expect_line_end().map(|_| s)) {
                Ok(s) => stmts.push(s),
                Err(Fail) => self.sync_line(),
            }
            if self.p == start {
                self.advance();
            }
        }
        let span = stmts.first().map_or(open, |s| s.span);
        Block { stmts, span }
    }

    /// A statement. Block statements are dispatched here so that the large frame of
    /// [`Parser::simple_stmt`] is not on the stack once per nesting level.
    fn stmt(&mut self) -> PResult<Stmt> {
        let span = self.pos();
        let kind = match self.peek() {
            TokenKind::Kw(Kw::If) => return self.if_stmt(),
            TokenKind::Kw(Kw::While) => self.while_stmt()?,
            TokenKind::Kw(Kw::Loop) => self.loop_stmt()?,
            TokenKind::Kw(Kw::For) => self.for_stmt()?,
            _ => return self.simple_stmt(),
        };
        Ok(Stmt { kind, span })
    }

    #[inline(never)]
    fn simple_stmt(&mut self) -> PResult<Stmt> {
        let span = self.pos();
        let kind = match self.peek() {
            TokenKind::Kw(Kw::Let) => self.let_stmt()?,
            TokenKind::Kw(Kw::Break) => {
                self.advance();
                StmtKind::Break(self.label())
            }
            TokenKind::Kw(Kw::Continue) => {
                self.advance();
                StmtKind::Continue(self.label())
            }
            TokenKind::Kw(Kw::Return) => {
                self.advance();
                if starts_expr(self.peek()) {
                    StmtKind::Return(Some(self.expr()?))
                } else {
                    StmtKind::Return(None)
                }
            }
            TokenKind::Kw(Kw::Halt) => {
                self.advance();
                StmtKind::Halt(self.expr()?)
            }
            _ => {
                let e = self.expr()?;
                let op = match self.peek() {
                    TokenKind::Eq => Some(None),
                    TokenKind::OpEq(inner) => compound_op(inner).map(Some),
                    _ => None,
                };
                match op {
                    None => StmtKind::Expr(e),
                    Some(op) => {
                        if !is_place(&e) {
                            return Err(self.error(e.span, "invalid assignment target"));
                        }
                        self.advance();
                        let value = self.expr()?;
                        StmtKind::Assign {
                            place: e,
                            op,
                            value,
                        }
                    }
                }
            }
        };
        Ok(Stmt { kind, span })
    }

    fn let_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let mutable = self.eat(&TokenKind::Kw(Kw::Mut));
        let pattern = self.pattern(false)?;
        let ty = if self.eat(&TokenKind::Colon) {
            Some(self.ty()?)
        } else {
            None
        };
        self.expect(&TokenKind::Eq, "'='")?;
        let value = self.expr()?;
        Ok(StmtKind::Let {
            mutable,
            pattern,
            ty,
            value,
        })
    }

    /// Parses a block header with `header`; on error, skips the rest of the line and
    /// still parses the body and its `end`, so the block structure stays intact.
    fn block_stmt<H>(
        &mut self,
        header: impl FnOnce(&mut Self) -> PResult<H>,
    ) -> PResult<(H, Block)> {
        let h = header(self).and_then(|h| self.expect_line_end().map(|_| h));
        if h.is_err() {
            self.sync_line();
        }
        let body = self.block(false);
        self.expect_kw(Kw::End, "'end'")?;
        Ok((h?, body))
    }

    fn if_stmt(&mut self) -> PResult<Stmt> {
        let span = self.advance();
        let cond = match self.expr() {
            Ok(c) => c,
            Err(Fail) => {
                self.sync_line();
                self.block(true);
                self.if_rest_recover();
                return Err(Fail);
            }
        };
        if self.at_kw(Kw::Then) {
            let e = self.if_expr_rest(span, cond)?;
            return Ok(Stmt {
                span,
                kind: StmtKind::Expr(e),
            });
        }
        let kind = self.if_chain(cond, "'then' or newline");
        self.expect_kw(Kw::End, "'end'")?;
        Ok(Stmt { kind: kind?, span })
    }

    /// Skips the `else` parts of an `if` whose header failed, up to and including `end`.
    fn if_rest_recover(&mut self) {
        while self.eat(&TokenKind::Kw(Kw::Else)) {
            self.sync_line();
            self.block(true);
        }
        self.eat(&TokenKind::Kw(Kw::End));
    }

    /// The block form after the condition: `NL body { else if … } [ else NL body ]`,
    /// not consuming the final `end`. The `else if` links are parsed in a loop, so a
    /// long chain costs no parser recursion (only tree depth, see [`MAX_TREE`]).
    fn if_chain(&mut self, cond: Expr, header_end: &str) -> PResult<StmtKind> {
        let saved_tree = self.tree;
        let r = self.if_chain_links(cond, header_end);
        self.tree = saved_tree;
        let (links, else_branch) = r?;
        // `links` always holds at least the first condition.
        fold_if_chain(links, else_branch).ok_or(Fail)
    }

    /// The links of an `if` chain (position of each `if`, condition, body) and the final
    /// `else` body; `Err` after any syntax error in the chain (all of it is consumed).
    #[allow(clippy::type_complexity)]
    fn if_chain_links(
        &mut self,
        cond: Expr,
        header_end: &str,
    ) -> PResult<(Vec<(Span, Expr, Block)>, Option<Block>)> {
        let mut links: Vec<(Span, Expr, Block)> = Vec::new();
        let mut ok = true;
        let mut next = Some((cond.span, cond));
        let mut header_end = header_end;
        let mut else_branch = None;
        while let Some((if_pos, cond)) = next.take() {
            if !matches!(self.peek(), TokenKind::Newline | TokenKind::Eof) {
                self.unexpected(header_end);
                ok = false;
                self.sync_line();
            }
            let then_branch = self.block(true);
            links.push((if_pos, cond, then_branch));
            if !self.at_kw(Kw::Else) {
                break;
            }
            let else_pos = self.advance();
            if self.at_kw(Kw::If) {
                let if_pos = self.advance();
                self.deepen()?;
                match self.expr() {
                    Ok(c) => {
                        next = Some((if_pos, c));
                        header_end = "newline";
                    }
                    Err(Fail) => {
                        ok = false;
                        self.sync_line();
                        self.block(true);
                        while self.eat(&TokenKind::Kw(Kw::Else)) {
                            self.sync_line();
                            self.block(true);
                        }
                    }
                }
            } else {
                if self.expect_line_end().is_err() {
                    ok = false;
                    self.sync_line();
                }
                let b = self.block(false);
                else_branch = Some(if b.stmts.is_empty() {
                    Block {
                        stmts: b.stmts,
                        span: else_pos,
                    }
                } else {
                    b
                });
            }
        }
        if !ok {
            return Err(Fail);
        }
        Ok((links, else_branch))
    }

    fn while_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let ((label, cond), body) = self.block_stmt(|p| {
            let label = p.label();
            Ok((label, p.expr()?))
        })?;
        Ok(StmtKind::While { label, cond, body })
    }

    fn loop_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let (label, body) = self.block_stmt(|p| Ok(p.label()))?;
        Ok(StmtKind::Loop { label, body })
    }

    fn for_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let ((label, pattern, iter, filter), body) = self.block_stmt(|p| {
            let label = p.label();
            let pattern = p.pattern(true)?;
            p.expect_kw(Kw::In, "'in'")?;
            let iter = p.expr()?;
            let filter = if p.eat(&TokenKind::Kw(Kw::If)) {
                Some(p.expr()?)
            } else {
                None
            };
            Ok((label, pattern, iter, filter))
        })?;
        Ok(StmtKind::For {
            label,
            pattern,
            iter,
            filter,
            body,
        })
    }

    // ----- expressions --------------------------------------------------------------------

    /// `expr` (the whole precedence table).
    fn expr(&mut self) -> PResult<Expr> {
        self.nested(|p| p.binary(0))
    }

    /// Precedence climbing over levels `min..` of §5.1.
    fn binary(&mut self, min: u8) -> PResult<Expr> {
        let saved = self.tree;
        let r = self.binary_chain(min);
        self.tree = saved;
        r
    }

    fn binary_chain(&mut self, min: u8) -> PResult<Expr> {
        let mut left = self.unary()?;
        // Non-chaining operators: a second comparison (or range) in one chain is an error.
        let mut cmp_seen = false;
        let mut range_seen = false;
        while let Some((prec, op)) = infix(self.peek()) {
            if prec < min {
                break;
            }
            let op_text = self.text();
            let op_pos = self.pos();
            let chained = match op {
                Infix::Cmp(_) | Infix::Is | Infix::As => cmp_seen,
                Infix::Range(_) => range_seen,
                _ => false,
            };
            if chained {
                let what = if matches!(op, Infix::Range(_)) {
                    "ranges do not chain"
                } else {
                    "comparisons do not chain"
                };
                return Err(self.error(op_pos, format!("unexpected '{op_text}', {what}")));
            }
            self.advance();
            self.deepen()?;
            // One recursive call site and the node built out of line keep this frame small
            // (it is on the stack once per nesting level).
            let rhs = match op {
                Infix::Is | Infix::As => Rhs::Type(self.type_name()?),
                Infix::Bin(BinOp::Pow) => Rhs::Expr(self.binary(prec)?),
                _ => Rhs::Expr(self.binary(prec + 1)?),
            };
            if matches!(op, Infix::Cmp(_) | Infix::Is | Infix::As) {
                cmp_seen = true;
            }
            if matches!(op, Infix::Range(_)) {
                range_seen = true;
            }
            left = infix_node(op, left, rhs);
            if prec < PREC_CMP {
                cmp_seen = false;
            }
            if prec < PREC_RANGE {
                range_seen = false;
            }
        }
        Ok(left)
    }

    fn unary(&mut self) -> PResult<Expr> {
        let span = self.pos();
        let op = match self.peek() {
            TokenKind::Minus => UnOp::Neg,
            TokenKind::Kw(Kw::Not) => UnOp::Not,
            TokenKind::Tilde => UnOp::BitNot,
            _ => return self.postfix(),
        };
        self.advance();
        if op == UnOp::Neg && *self.peek() == TokenKind::Int(MIN_MAGNITUDE) {
            // `-9223372036854775808` denotes MIN (§1.4); postfix operators still apply.
            self.advance();
            let lit = Expr {
                kind: ExprKind::Int(i64::MIN),
                span,
            };
            return self.postfix_ops(lit);
        }
        let operand = self.nested(|p| p.unary())?;
        Ok(Expr {
            kind: ExprKind::Unary(op, Box::new(operand)),
            span,
        })
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let e = self.primary()?;
        self.postfix_ops(e)
    }

    fn postfix_ops(&mut self, e: Expr) -> PResult<Expr> {
        let saved = self.tree;
        let r = self.postfix_chain(e);
        self.tree = saved;
        r
    }

    fn postfix_chain(&mut self, mut e: Expr) -> PResult<Expr> {
        loop {
            if starts_postfix(self.peek()) {
                self.deepen()?;
            }
            let span = e.span;
            let kind = match self.peek() {
                TokenKind::LParen => {
                    let args = self.args()?;
                    ExprKind::Call {
                        callee: Box::new(e),
                        args,
                    }
                }
                TokenKind::LBracket => {
                    self.advance();
                    let index = self.expr()?;
                    self.expect(&TokenKind::RBracket, "']'")?;
                    ExprKind::Index {
                        base: Box::new(e),
                        index: Box::new(index),
                    }
                }
                TokenKind::Dot => {
                    self.advance();
                    let field = if matches!(self.peek(), TokenKind::Int(_)) {
                        let name = self.text().to_string();
                        let span = self.advance();
                        Ident { name, span }
                    } else {
                        self.ident("field name")?
                    };
                    ExprKind::Field {
                        base: Box::new(e),
                        field,
                    }
                }
                TokenKind::QDot => {
                    self.advance();
                    let field = self.ident("field name")?;
                    if self.at(&TokenKind::LParen) {
                        let args = self.args()?;
                        ExprKind::OptCall {
                            base: Box::new(e),
                            method: field,
                            args,
                        }
                    } else {
                        ExprKind::OptField {
                            base: Box::new(e),
                            field,
                        }
                    }
                }
                TokenKind::Bang => {
                    self.advance();
                    ExprKind::Unwrap(Box::new(e))
                }
                _ => return Ok(e),
            };
            e = Expr { kind, span };
        }
    }

    /// `( [arg {, arg} [,]] )` with `arg = [IDENT ":"] expr`.
    fn args(&mut self) -> PResult<Vec<Arg>> {
        self.expect(&TokenKind::LParen, "'('")?;
        let mut args = Vec::new();
        while !self.at(&TokenKind::RParen) {
            let name = if self.at(&TokenKind::Ident) && *self.peek_at(1) == TokenKind::Colon {
                let n = self.ident("argument name")?;
                self.advance();
                Some(n)
            } else {
                None
            };
            let value = self.expr()?;
            args.push(Arg { name, value });
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::RParen, "')'")?;
        Ok(args)
    }

    /// A primary expression. Brackets, the commonest deep nesting, are dispatched here so
    /// that the large frame of [`Parser::primary_other`] is not on the stack per level.
    fn primary(&mut self) -> PResult<Expr> {
        let span = self.pos();
        let kind = match self.peek() {
            TokenKind::LParen => return self.paren(),
            TokenKind::LBracket => self.list()?,
            TokenKind::LBrace => self.map_lit()?,
            _ => return self.primary_other(),
        };
        Ok(Expr { kind, span })
    }

    #[inline(never)]
    fn primary_other(&mut self) -> PResult<Expr> {
        let span = self.pos();
        let kind = match self.peek() {
            TokenKind::Int(v) => {
                let v = *v;
                match i64::try_from(v) {
                    Ok(v) => {
                        self.advance();
                        ExprKind::Int(v)
                    }
                    Err(_) => return Err(self.error(span, "integer literal out of range")),
                }
            }
            TokenKind::Float(f) => {
                let f = *f;
                self.advance();
                ExprKind::Float(f)
            }
            TokenKind::Str(s) => {
                let s = s.clone();
                self.advance();
                ExprKind::Str(s)
            }
            TokenKind::InterpStart => self.interpolation()?,
            TokenKind::Ident => {
                let name = self.text().to_string();
                self.advance();
                ExprKind::Ident(name)
            }
            TokenKind::Kw(kw) => match kw {
                Kw::True | Kw::False => {
                    let b = *kw == Kw::True;
                    self.advance();
                    ExprKind::Bool(b)
                }
                Kw::Null => {
                    self.advance();
                    ExprKind::Null
                }
                Kw::SelfValue => {
                    self.advance();
                    ExprKind::SelfValue
                }
                Kw::Ok | Kw::Err => {
                    let is_ok = *kw == Kw::Ok;
                    self.advance();
                    self.expect(&TokenKind::LParen, "'('")?;
                    let inner = Box::new(self.expr()?);
                    self.expect(&TokenKind::RParen, "')'")?;
                    if is_ok {
                        ExprKind::Ok(inner)
                    } else {
                        ExprKind::Err(inner)
                    }
                }
                Kw::If => {
                    self.advance();
                    let cond = self.expr()?;
                    return self.if_expr_rest(span, cond);
                }
                Kw::Match => return self.match_expr(),
                Kw::When => return self.when_expr(),
                Kw::Fn => return self.lambda(),
                _ => return Err(self.unexpected("expression")),
            },
            TokenKind::LParen => return self.paren(),
            TokenKind::LBracket => self.list()?,
            TokenKind::LBrace => self.map_lit()?,
            _ => return Err(self.unexpected("expression")),
        };
        Ok(Expr { kind, span })
    }

    /// An interpolated string: `InterpStart { StrText | InterpOpen expr InterpClose } InterpEnd`.
    fn interpolation(&mut self) -> PResult<ExprKind> {
        self.advance();
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                TokenKind::StrText(s) => {
                    parts.push(StrPart::Text(s.clone()));
                    self.advance();
                }
                TokenKind::InterpOpen => {
                    self.advance();
                    let e = self.expr()?;
                    self.expect(&TokenKind::InterpClose, "'}'")?;
                    parts.push(StrPart::Expr(e));
                }
                TokenKind::InterpEnd => {
                    self.advance();
                    return Ok(ExprKind::Interp(parts));
                }
                _ => return Err(self.unexpected("'}'")),
            }
        }
    }

    /// After `if cond`: `then a else b`. An `else if …` chain is parsed in a loop (the
    /// nested `if` would be the whole `else` operand anyway, since its own `else` operand
    /// extends as far as possible), so long chains cost no parser recursion.
    fn if_expr_rest(&mut self, span: Span, cond: Expr) -> PResult<Expr> {
        let saved_tree = self.tree;
        let r = self.if_expr_links(span, cond);
        self.tree = saved_tree;
        let (links, last) = r?;
        let mut acc = last;
        for (span, cond, then_branch) in links.into_iter().rev() {
            acc = Expr {
                kind: ExprKind::If {
                    cond: Box::new(cond),
                    then_branch: Box::new(then_branch),
                    else_branch: Box::new(acc),
                },
                span,
            };
        }
        Ok(acc)
    }

    /// The links `(if position, condition, then operand)` of an `if … then … else`
    /// expression chain and its final `else` operand.
    #[allow(clippy::type_complexity)]
    fn if_expr_links(
        &mut self,
        span: Span,
        cond: Expr,
    ) -> PResult<(Vec<(Span, Expr, Expr)>, Expr)> {
        let mut links = Vec::new();
        let (mut span, mut cond) = (span, cond);
        loop {
            self.expect_kw(Kw::Then, "'then'")?;
            let then_branch = self.expr()?;
            self.expect_kw(Kw::Else, "'else'")?;
            links.push((span, cond, then_branch));
            if !self.at_kw(Kw::If) {
                return Ok((links, self.expr()?));
            }
            span = self.advance();
            self.deepen()?;
            cond = self.expr()?;
        }
    }

    /// `( expr )` (just the inner expression) or a tuple `(a, b, …)`.
    fn paren(&mut self) -> PResult<Expr> {
        let span = self.advance();
        let mut first = self.expr()?;
        if !self.at(&TokenKind::Comma) {
            self.expect(&TokenKind::RParen, "')'")?;
            // `(a)` is `a`, but it starts at the `(`: positions of errors and traces
            // are the first character of the expression (§13 clarification 3).
            first.span = span;
            return Ok(first);
        }
        let mut elems = vec![first];
        while self.eat(&TokenKind::Comma) {
            if self.at(&TokenKind::RParen) && elems.len() > 1 {
                break;
            }
            elems.push(self.expr()?);
        }
        self.expect(&TokenKind::RParen, "')'")?;
        Ok(Expr {
            kind: ExprKind::Tuple(elems),
            span,
        })
    }

    /// `[a, b]` or `[e for p in src if c]`.
    fn list(&mut self) -> PResult<ExprKind> {
        self.advance();
        let mut elems = Vec::new();
        if self.eat(&TokenKind::RBracket) {
            return Ok(ExprKind::List(elems));
        }
        let first = self.expr()?;
        if self.eat(&TokenKind::Kw(Kw::For)) {
            let pattern = self.pattern(true)?;
            self.expect_kw(Kw::In, "'in'")?;
            let iter = Box::new(self.expr()?);
            let filter = if self.eat(&TokenKind::Kw(Kw::If)) {
                Some(Box::new(self.expr()?))
            } else {
                None
            };
            self.expect(&TokenKind::RBracket, "']'")?;
            return Ok(ExprKind::Comprehension {
                elem: Box::new(first),
                pattern,
                iter,
                filter,
            });
        }
        elems.push(first);
        while self.eat(&TokenKind::Comma) {
            if self.at(&TokenKind::RBracket) {
                break;
            }
            elems.push(self.expr()?);
        }
        self.expect(&TokenKind::RBracket, "']'")?;
        Ok(ExprKind::List(elems))
    }

    /// `{k: v, …}` or `{}`.
    fn map_lit(&mut self) -> PResult<ExprKind> {
        self.advance();
        let mut entries = Vec::new();
        while !self.at(&TokenKind::RBrace) {
            let k = self.expr()?;
            self.expect(&TokenKind::Colon, "':'")?;
            let v = self.expr()?;
            entries.push((k, v));
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::RBrace, "'}'")?;
        Ok(ExprKind::Map(entries))
    }

    /// Arms of `match`/`when` up to `end` (consumed), each parsed by `arm`.
    fn arms<A>(&mut self, mut arm: impl FnMut(&mut Self) -> PResult<A>) -> PResult<Vec<A>> {
        let mut arms = Vec::new();
        let mut ok = true;
        loop {
            self.skip_newlines();
            if matches!(self.peek(), TokenKind::Kw(Kw::End) | TokenKind::Eof) {
                break;
            }
            let start = self.p;
            match arm(self).and_then(|a| self.expect_line_end().map(|_| a)) {
                Ok(a) => arms.push(a),
                Err(Fail) => {
                    ok = false;
                    self.sync_line();
                    if self.p == start {
                        self.advance();
                    }
                }
            }
        }
        self.expect_kw(Kw::End, "'end'")?;
        if ok { Ok(arms) } else { Err(Fail) }
    }

    /// After an arm's `->`: a statement on the same line, or `NL body end`.
    fn arm_body(&mut self) -> PResult<ArmBody> {
        if self.at(&TokenKind::Newline) {
            let body = self.block(false);
            self.expect_kw(Kw::End, "'end'")?;
            Ok(ArmBody::Block(body))
        } else {
            Ok(ArmBody::Stmt(Box::new(self.nested(|p| p.stmt())?)))
        }
    }

    fn match_expr(&mut self) -> PResult<Expr> {
        let span = self.advance();
        let scrutinee = self.expr().and_then(|e| self.expect_line_end().map(|_| e));
        if scrutinee.is_err() {
            self.sync_line();
        }
        let arms = self.arms(|p| {
            let arm_span = p.pos();
            let pattern = p.pattern(true)?;
            let guard = if p.eat(&TokenKind::Kw(Kw::If)) {
                Some(p.expr()?)
            } else {
                None
            };
            p.expect(&TokenKind::Arrow, "'->'")?;
            let body = p.arm_body()?;
            Ok(MatchArm {
                pattern,
                guard,
                body,
                span: arm_span,
            })
        });
        let scrutinee = scrutinee?;
        Ok(Expr {
            kind: ExprKind::Match {
                scrutinee: Box::new(scrutinee),
                arms: arms?,
            },
            span,
        })
    }

    fn when_expr(&mut self) -> PResult<Expr> {
        let span = self.advance();
        let header = self.expect_line_end();
        if header.is_err() {
            self.sync_line();
        }
        let arms = self.arms(|p| {
            let arm_span = p.pos();
            let cond = if p.at(&TokenKind::Underscore) && *p.peek_at(1) == TokenKind::Arrow {
                p.advance();
                None
            } else {
                Some(p.expr()?)
            };
            p.expect(&TokenKind::Arrow, "'->'")?;
            let body = p.arm_body()?;
            Ok(WhenArm {
                cond,
                body,
                span: arm_span,
            })
        });
        header?;
        Ok(Expr {
            kind: ExprKind::When { arms: arms? },
            span,
        })
    }

    /// `fn(params) [-> R] => expr` or `fn(params) [-> R] NL body end`.
    fn lambda(&mut self) -> PResult<Expr> {
        let span = self.advance();
        let header = (|| {
            self.expect(&TokenKind::LParen, "'('")?;
            let params = self.params(false)?;
            self.expect(&TokenKind::RParen, "')'")?;
            let ret = self.ret_type()?;
            Ok((params, ret))
        })();
        let (params, ret) = match header {
            Ok(h) => h,
            Err(Fail) => {
                // Keep the block structure if this was meant to be a block lambda (no
                // `=>` on the rest of the line).
                let mut arrow = false;
                while !matches!(
                    self.peek(),
                    TokenKind::Newline | TokenKind::Eof | TokenKind::Kw(Kw::End)
                ) {
                    arrow |= self.at(&TokenKind::FatArrow);
                    self.advance();
                }
                if !arrow && self.at(&TokenKind::Newline) {
                    self.block(false);
                    self.eat(&TokenKind::Kw(Kw::End));
                }
                return Err(Fail);
            }
        };
        let body = if self.eat(&TokenKind::FatArrow) {
            LambdaBody::Expr(Box::new(self.expr()?))
        } else if self.at(&TokenKind::Newline) {
            let b = self.block(false);
            self.expect_kw(Kw::End, "'end'")?;
            LambdaBody::Block(b)
        } else {
            return Err(self.unexpected("'=>' or newline"));
        };
        Ok(Expr {
            kind: ExprKind::Lambda { params, ret, body },
            span,
        })
    }

    // ----- patterns -----------------------------------------------------------------------

    /// `pattern = palt { "|" palt }`; `typed` allows a top-level `x: T` (not in `let`).
    fn pattern(&mut self, typed: bool) -> PResult<Pattern> {
        self.nested(|p| {
            let first = p.pattern_alt(typed)?;
            if !p.at(&TokenKind::Bar) {
                return Ok(first);
            }
            let span = first.span;
            let mut alts = vec![first];
            while p.eat(&TokenKind::Bar) {
                alts.push(p.pattern_alt(typed)?);
            }
            Ok(Pattern {
                kind: PatternKind::Or(alts),
                span,
            })
        })
    }

    fn pattern_alt(&mut self, typed: bool) -> PResult<Pattern> {
        let span = self.pos();
        let kind = match self.peek() {
            TokenKind::Underscore => {
                self.advance();
                if typed && self.eat(&TokenKind::Colon) {
                    PatternKind::Typed {
                        name: None,
                        ty: self.type_name()?,
                    }
                } else {
                    PatternKind::Wildcard
                }
            }
            TokenKind::Ident => {
                let path = self.type_name()?;
                if self.at(&TokenKind::LParen) {
                    self.ctor_pattern(path)?
                } else if path.path.len() > 1 {
                    PatternKind::Path(path)
                } else if typed && self.eat(&TokenKind::Colon) {
                    let name = path.path.into_iter().next();
                    PatternKind::Typed {
                        name,
                        ty: self.type_name()?,
                    }
                } else {
                    let name = path.path.into_iter().next().map(|i| i.name);
                    PatternKind::Ident(name.unwrap_or_default())
                }
            }
            TokenKind::Kw(kw @ (Kw::Ok | Kw::Err)) => {
                let name = if *kw == Kw::Ok { "ok" } else { "err" };
                let ident = Ident {
                    name: name.to_string(),
                    span,
                };
                self.advance();
                if !self.at(&TokenKind::LParen) {
                    return Err(self.unexpected("'('"));
                }
                self.ctor_pattern(TypeName {
                    path: vec![ident],
                    span,
                })?
            }
            TokenKind::Minus | TokenKind::Int(_) | TokenKind::Float(_) => self.number_pattern()?,
            TokenKind::Str(s) => {
                let s = s.clone();
                self.advance();
                PatternKind::Literal(PatLit::Str(s))
            }
            TokenKind::InterpStart => {
                return Err(self.error(span, "string patterns cannot interpolate"));
            }
            TokenKind::Kw(Kw::True) => {
                self.advance();
                PatternKind::Literal(PatLit::Bool(true))
            }
            TokenKind::Kw(Kw::False) => {
                self.advance();
                PatternKind::Literal(PatLit::Bool(false))
            }
            TokenKind::Kw(Kw::Null) => {
                self.advance();
                PatternKind::Literal(PatLit::Null)
            }
            TokenKind::LParen => {
                self.advance();
                let first = self.pattern(true)?;
                if !self.at(&TokenKind::Comma) {
                    self.expect(&TokenKind::RParen, "')'")?;
                    return Ok(first);
                }
                // A tuple pattern has at least two elements, like a tuple.
                let mut items = vec![first];
                while self.eat(&TokenKind::Comma) {
                    if self.at(&TokenKind::RParen) && items.len() > 1 {
                        break;
                    }
                    items.push(self.pattern(true)?);
                }
                self.expect(&TokenKind::RParen, "')'")?;
                PatternKind::Tuple(items)
            }
            TokenKind::LBracket => self.list_pattern()?,
            _ => return Err(self.unexpected("pattern")),
        };
        Ok(Pattern { kind, span })
    }

    /// A literal number pattern `[-] INT|FLOAT`, or an Int range `lo..hi` / `lo..=hi`.
    fn number_pattern(&mut self) -> PResult<PatternKind> {
        let lo = self.signed_literal()?;
        let inclusive = match self.peek() {
            TokenKind::DotDot => false,
            TokenKind::DotDotEq => true,
            _ => return Ok(PatternKind::Literal(lo)),
        };
        let PatLit::Int(lo) = lo else {
            return Err(self.unexpected("'->'"));
        };
        self.advance();
        match self.signed_literal()? {
            PatLit::Int(hi) => Ok(PatternKind::Range { lo, hi, inclusive }),
            _ => Err(self.error(
                self.toks[self.p - 1].pos,
                "range pattern bounds must be Int literals",
            )),
        }
    }

    /// `[-] INT` or `[-] FLOAT` in a pattern.
    fn signed_literal(&mut self) -> PResult<PatLit> {
        let neg = self.eat(&TokenKind::Minus);
        let pos = self.pos();
        match *self.peek() {
            TokenKind::Int(v) => {
                self.advance();
                let value = if neg {
                    if v == MIN_MAGNITUDE {
                        Some(i64::MIN)
                    } else {
                        i64::try_from(v).ok().map(|v| -v)
                    }
                } else {
                    i64::try_from(v).ok()
                };
                match value {
                    Some(v) => Ok(PatLit::Int(v)),
                    None => Err(self.error(pos, "integer literal out of range")),
                }
            }
            TokenKind::Float(f) => {
                self.advance();
                Ok(PatLit::Float(if neg { -f } else { f }))
            }
            _ => Err(self.unexpected("number")),
        }
    }

    /// `Name(p, …)` or `Name(field: p, …)` (the path is parsed; `(` is next).
    ///
    /// All-named arguments give a record pattern (a variant name there means typed
    /// payloads, `Circle(r: Float)`, which the checker resolves); mixed arguments give a
    /// constructor pattern whose named items are typed payload patterns.
    fn ctor_pattern(&mut self, path: TypeName) -> PResult<PatternKind> {
        self.advance();
        let mut items: Vec<(Option<Ident>, Pattern)> = Vec::new();
        while !self.at(&TokenKind::RParen) {
            if self.at(&TokenKind::Ident) && *self.peek_at(1) == TokenKind::Colon {
                let name = self.ident("field name")?;
                self.advance();
                let pat = self.pattern(true)?;
                items.push((Some(name), pat));
            } else {
                items.push((None, self.pattern(true)?));
            }
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::RParen, "')'")?;
        if !items.is_empty() && items.iter().all(|(n, _)| n.is_some()) {
            let fields = items
                .into_iter()
                .filter_map(|(n, p)| n.map(|n| (n, p)))
                .collect();
            return Ok(PatternKind::Record { path, fields });
        }
        let mut args = Vec::with_capacity(items.len());
        for (name, pat) in items {
            match name {
                None => args.push(pat),
                Some(name) => {
                    // `r: Float` as a positional payload: a typed pattern.
                    let ty = match pat.kind {
                        PatternKind::Ident(t) => TypeName {
                            path: vec![Ident {
                                name: t,
                                span: pat.span,
                            }],
                            span: pat.span,
                        },
                        PatternKind::Path(t) => t,
                        _ => return Err(self.error(pat.span, "expected a type name")),
                    };
                    let span = name.span;
                    args.push(Pattern {
                        kind: PatternKind::Typed {
                            name: Some(name),
                            ty,
                        },
                        span,
                    });
                }
            }
        }
        Ok(PatternKind::Ctor { path, args })
    }

    /// `[p, q]`, `[p, ...rest]`, `[...]`.
    fn list_pattern(&mut self) -> PResult<PatternKind> {
        self.advance();
        let mut items = Vec::new();
        let mut rest = None;
        while !self.at(&TokenKind::RBracket) {
            if self.eat(&TokenKind::Ellipsis) {
                rest = Some(if self.at(&TokenKind::Ident) {
                    Some(self.ident("name")?)
                } else {
                    None
                });
                self.eat(&TokenKind::Comma);
                break;
            }
            items.push(self.pattern(true)?);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::RBracket, "']'")?;
        Ok(PatternKind::List { items, rest })
    }
}

/// Whether `e` is an assignable place: `x`, `p.f`, `p[i]` chains rooted at a name.
fn is_place(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Ident(_) => true,
        ExprKind::Field { base, field } => {
            !field.name.starts_with(|c: char| c.is_ascii_digit()) && is_place(base)
        }
        ExprKind::Index { base, .. } => is_place(base),
        _ => false,
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
