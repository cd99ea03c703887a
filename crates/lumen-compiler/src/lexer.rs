//! Lexer (language reference §1): source text to a token vector.
//!
//! Newlines are kept as [`TokenKind::Newline`] tokens only where they end a statement: the
//! continuation rules of §1.2 are applied here, so the parser never sees a newline after a
//! binary operator, `,`, `(` … or before `)`, `]`, `}`. Consecutive newlines are merged.
//!
//! Interpolated strings become a flat run of tokens: `InterpStart`, then `StrText` pieces
//! and `InterpOpen` *expression tokens* `InterpClose` groups, then `InterpEnd`. A string
//! without interpolation is a single [`TokenKind::Str`].

use crate::ast::Span;
use crate::diagnostics::Diagnostic;

/// Keywords (§1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kw {
    And,
    As,
    Break,
    Cell,
    Const,
    Continue,
    Else,
    End,
    Enum,
    Err,
    Extern,
    False,
    Fn,
    For,
    Halt,
    If,
    In,
    Is,
    Let,
    Loop,
    Match,
    Mut,
    Not,
    Null,
    Ok,
    Or,
    Record,
    Return,
    SelfValue,
    Then,
    True,
    Type,
    When,
    While,
}

impl Kw {
    /// The keyword for an identifier-shaped word, if it is one.
    fn from_word(w: &str) -> Option<Kw> {
        Some(match w {
            "and" => Kw::And,
            "as" => Kw::As,
            "break" => Kw::Break,
            "cell" => Kw::Cell,
            "const" => Kw::Const,
            "continue" => Kw::Continue,
            "else" => Kw::Else,
            "end" => Kw::End,
            "enum" => Kw::Enum,
            "err" => Kw::Err,
            "extern" => Kw::Extern,
            "false" => Kw::False,
            "fn" => Kw::Fn,
            "for" => Kw::For,
            "halt" => Kw::Halt,
            "if" => Kw::If,
            "in" => Kw::In,
            "is" => Kw::Is,
            "let" => Kw::Let,
            "loop" => Kw::Loop,
            "match" => Kw::Match,
            "mut" => Kw::Mut,
            "not" => Kw::Not,
            "null" => Kw::Null,
            "ok" => Kw::Ok,
            "or" => Kw::Or,
            "record" => Kw::Record,
            "return" => Kw::Return,
            "self" => Kw::SelfValue,
            "then" => Kw::Then,
            "true" => Kw::True,
            "type" => Kw::Type,
            "when" => Kw::When,
            "while" => Kw::While,
            _ => return None,
        })
    }
}

/// Words reserved for later versions (§1.3): using one is a compile error.
const RESERVED: &[&str] = &[
    "async", "await", "defer", "do", "effect", "handle", "handler", "impl", "import", "perform",
    "pub", "resume", "trait", "try", "use", "where", "yield",
];

/// What a token is. Identifier and label names are read from the source via the token's
/// byte range (see [`Token::text`]).
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    Ident,
    /// `@name`.
    Label,
    /// A reserved word (§1.3); the parser reports it wherever it appears.
    Reserved,
    Kw(Kw),
    /// `_` alone.
    Underscore,
    /// An Int literal's value. Only `2^63` exceeds `i64::MAX`; the parser accepts it
    /// directly after unary `-`.
    Int(u64),
    Float(f64),
    /// A plain or raw string literal without interpolation (escapes resolved).
    Str(String),
    /// Start of an interpolated string (the token's range covers the whole literal).
    InterpStart,
    /// Literal text inside an interpolated string.
    StrText(String),
    /// `{` opening an interpolated expression.
    InterpOpen,
    /// `}` closing an interpolated expression.
    InterpClose,
    /// End of an interpolated string.
    InterpEnd,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Dot,
    /// `?.`
    QDot,
    /// `->`
    Arrow,
    /// `=>`
    FatArrow,
    /// `...`
    Ellipsis,
    /// `..`
    DotDot,
    /// `..=`
    DotDotEq,
    /// `!` (postfix unwrap)
    Bang,
    /// `?` (optional type)
    Question,
    /// `??`
    QQ,
    Plus,
    Minus,
    Star,
    StarStar,
    Slash,
    SlashSlash,
    Percent,
    Shl,
    Shr,
    PlusPlus,
    /// `|>`
    PipeGt,
    Amp,
    Caret,
    /// `|`
    Bar,
    Tilde,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `=`
    Eq,
    /// A compound assignment `op=`; the payload is the token of `op`.
    OpEq(Box<TokenKind>),
    Newline,
    Eof,
}

/// A token with its position and byte range in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// Position of its first character.
    pub pos: Span,
    /// Byte range in the source (for `InterpStart`, the whole string literal).
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
}

impl Token {
    /// The token's source text (for identifiers, labels and error messages).
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start..self.end).unwrap_or("")
    }
}

/// How deeply string interpolations may nest inside each other.
const MAX_INTERP_DEPTH: usize = 32;

/// Lexes `src` into tokens (always ending with `Eof`) and the lexical errors found.
pub fn lex(src: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lx = Lexer {
        src,
        i: 0,
        line: 1,
        col: 1,
        raw: Vec::new(),
        diags: Vec::new(),
        interp_depth: 0,
        too_deep: false,
    };
    if src.starts_with('\u{feff}') {
        lx.i = '\u{feff}'.len_utf8();
    }
    lx.run();
    (continue_lines(lx.raw), lx.diags)
}

/// Tokens after which a newline does not end the statement (§1.2).
fn continues_line(k: &TokenKind) -> bool {
    use TokenKind::*;
    matches!(
        k,
        Plus | Minus
            | Star
            | StarStar
            | Slash
            | SlashSlash
            | Percent
            | Shl
            | Shr
            | DotDot
            | DotDotEq
            | PlusPlus
            | PipeGt
            | Amp
            | Caret
            | Bar
            | EqEq
            | Ne
            | Lt
            | Le
            | Gt
            | Ge
            | QQ
            | Eq
            | OpEq(_)
            | FatArrow
            | Dot
            | QDot
            | Comma
            | LParen
            | LBracket
            | LBrace
            | Kw(self::Kw::And | self::Kw::Or | self::Kw::In | self::Kw::Is | self::Kw::As)
    )
}

/// Applies the newline rules of §1.2 in one linear pass: drops leading, repeated and
/// continued newlines, and newlines before a closing bracket.
fn continue_lines(raw: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(raw.len());
    for tok in raw {
        match tok.kind {
            TokenKind::Newline => match out.last() {
                None => {}
                Some(prev) if prev.kind == TokenKind::Newline || continues_line(&prev.kind) => {}
                Some(_) => out.push(tok),
            },
            TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                if out.last().is_some_and(|t| t.kind == TokenKind::Newline) {
                    out.pop();
                }
                out.push(tok);
            }
            _ => out.push(tok),
        }
    }
    out
}

struct Lexer<'a> {
    src: &'a str,
    /// Byte offset of the next character.
    i: usize,
    line: u32,
    col: u32,
    raw: Vec<Token>,
    diags: Vec<Diagnostic>,
    interp_depth: usize,
    /// Set when an interpolation nests past [`MAX_INTERP_DEPTH`]: the rest of the line
    /// is skipped and every enclosing string ends there, keeping that one error.
    too_deep: bool,
}

/// Why lexing the code of an interpolation stopped.
enum InterpStop {
    /// At the matching `}` (consumed).
    Closed,
    /// At a newline or end of file: the enclosing string is unterminated.
    Unterminated,
    /// Nested past [`MAX_INTERP_DEPTH`], here or inside (the line was skipped).
    TooDeep,
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        self.src[self.i..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.i..].chars().nth(n)
    }

    fn pos(&self) -> Span {
        Span {
            line: self.line,
            col: self.col,
        }
    }

    /// Consumes one character (not a line break: `run` handles those).
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        self.col = self.col.saturating_add(1);
        Some(c)
    }

    fn error(&mut self, pos: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(pos, msg));
    }

    fn push(&mut self, kind: TokenKind, pos: Span, start: usize) {
        self.raw.push(Token {
            kind,
            pos,
            start,
            end: self.i,
        });
    }

    /// True when the next character(s) form a line break (`\n` or `\r\n`).
    fn at_newline(&self) -> bool {
        let rest = &self.src.as_bytes()[self.i..];
        rest.first() == Some(&b'\n') || rest.starts_with(b"\r\n")
    }

    fn run(&mut self) {
        while self.i < self.src.len() {
            if self.at_newline() {
                let (pos, start) = (self.pos(), self.i);
                self.i += if self.src.as_bytes()[self.i] == b'\r' {
                    2
                } else {
                    1
                };
                self.push(TokenKind::Newline, pos, start);
                self.line = self.line.saturating_add(1);
                self.col = 1;
                continue;
            }
            self.token();
        }
        let pos = self.pos();
        self.push(TokenKind::Eof, pos, self.i);
    }

    /// Lexes one token (or skips whitespace/comment) at a position that is not a newline.
    fn token(&mut self) {
        let (pos, start) = (self.pos(), self.i);
        let Some(c) = self.bump() else { return };
        use TokenKind::*;
        let kind = match c {
            ' ' | '\t' | '\r' => return,
            '#' => {
                while self.i < self.src.len() && !self.at_newline() {
                    self.bump();
                }
                return;
            }
            '"' => return self.string(pos, start),
            'a'..='z' | 'A'..='Z' | '_' => return self.word(c, pos, start),
            '0'..='9' => return self.number(c, pos, start),
            '@' => {
                if self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                {
                    while self
                        .peek()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        self.bump();
                    }
                    Label
                } else {
                    self.error(pos, "unexpected character '@'");
                    return;
                }
            }
            '(' => LParen,
            ')' => RParen,
            '[' => LBracket,
            ']' => RBracket,
            '{' => LBrace,
            '}' => RBrace,
            ',' => Comma,
            ':' => Colon,
            '~' => Tilde,
            '.' => {
                if self.eat('.') {
                    if self.eat('=') {
                        DotDotEq
                    } else if self.eat('.') {
                        Ellipsis
                    } else {
                        DotDot
                    }
                } else {
                    Dot
                }
            }
            '?' => {
                if self.eat('.') {
                    QDot
                } else if self.eat('?') {
                    QQ
                } else {
                    Question
                }
            }
            '+' => {
                if self.eat('+') {
                    PlusPlus
                } else {
                    self.maybe_op_eq(Plus)
                }
            }
            '-' => {
                if self.eat('>') {
                    Arrow
                } else {
                    self.maybe_op_eq(Minus)
                }
            }
            '*' => {
                let k = if self.eat('*') { StarStar } else { Star };
                self.maybe_op_eq(k)
            }
            '/' => {
                let k = if self.eat('/') { SlashSlash } else { Slash };
                self.maybe_op_eq(k)
            }
            '%' => self.maybe_op_eq(Percent),
            '&' => self.maybe_op_eq(Amp),
            '^' => self.maybe_op_eq(Caret),
            '|' => {
                if self.eat('>') {
                    PipeGt
                } else {
                    self.maybe_op_eq(Bar)
                }
            }
            '<' => {
                if self.eat('<') {
                    self.maybe_op_eq(Shl)
                } else if self.eat('=') {
                    Le
                } else {
                    Lt
                }
            }
            '>' => {
                if self.eat('>') {
                    self.maybe_op_eq(Shr)
                } else if self.eat('=') {
                    Ge
                } else {
                    Gt
                }
            }
            '=' => {
                if self.eat('=') {
                    EqEq
                } else if self.eat('>') {
                    FatArrow
                } else {
                    Eq
                }
            }
            '!' => {
                if self.eat('=') {
                    Ne
                } else {
                    Bang
                }
            }
            other => {
                self.error(pos, format!("unexpected character '{other}'"));
                return;
            }
        };
        self.push(kind, pos, start);
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// `op` or, if followed by `=`, the compound assignment `op=`.
    fn maybe_op_eq(&mut self, op: TokenKind) -> TokenKind {
        if self.eat('=') {
            TokenKind::OpEq(Box::new(op))
        } else {
            op
        }
    }

    fn word(&mut self, first: char, pos: Span, start: usize) {
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.bump();
        }
        let w = &self.src[start..self.i];
        if first == 'r' && w.len() == 1 && self.peek() == Some('"') {
            return self.raw_string(pos, start);
        }
        let kind = if w == "_" {
            TokenKind::Underscore
        } else if let Some(kw) = Kw::from_word(w) {
            TokenKind::Kw(kw)
        } else if RESERVED.contains(&w) {
            TokenKind::Reserved
        } else {
            TokenKind::Ident
        };
        self.push(kind, pos, start);
    }

    /// Consumes digits of `radix`, allowing `_` between two digits; appends them to `out`.
    fn digits(&mut self, radix: u32, out: &mut String) {
        loop {
            match self.peek() {
                Some(c) if c.is_digit(radix) => {
                    out.push(c);
                    self.bump();
                }
                Some('_')
                    if self.peek_at(1).is_some_and(|c| c.is_digit(radix)) && !out.is_empty() =>
                {
                    self.bump();
                }
                _ => break,
            }
        }
    }

    fn number(&mut self, first: char, pos: Span, start: usize) {
        let after_dot = matches!(
            self.raw.last().map(|t| &t.kind),
            Some(TokenKind::Dot | TokenKind::QDot)
        );
        if after_dot {
            // A digit sequence after `.`/`?.` is always an Int (tuple index).
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
            let value = self.src[start..self.i].parse::<u64>().ok();
            return self.int_token(value, pos, start);
        }
        if first == '0' && matches!(self.peek(), Some('x' | 'X' | 'b' | 'B')) {
            let radix = if matches!(self.peek(), Some('x' | 'X')) {
                16
            } else {
                2
            };
            if self.peek_at(1).is_some_and(|c| c.is_digit(radix)) {
                self.bump();
                let mut ds = String::new();
                self.digits(radix, &mut ds);
                let value = u64::from_str_radix(&ds, radix).ok();
                return self.int_token(value, pos, start);
            }
        }
        let mut text = String::from(first);
        self.digits(10, &mut text);
        let mut is_float = false;
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            text.push('.');
            let mut frac = String::new();
            self.digits(10, &mut frac);
            text.push_str(&frac);
            is_float = true;
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let sign = matches!(self.peek_at(1), Some('+' | '-'));
            let digit_at = if sign { 2 } else { 1 };
            if self.peek_at(digit_at).is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
                text.push('e');
                if sign && let Some(s) = self.bump() {
                    text.push(s);
                }
                let mut exp = String::new();
                self.digits(10, &mut exp);
                text.push_str(&exp);
                is_float = true;
            }
        }
        if is_float {
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => self.push(TokenKind::Float(v), pos, start),
                _ => {
                    self.error(pos, "float literal out of range");
                    self.push(TokenKind::Float(0.0), pos, start);
                }
            }
        } else {
            let value = text.parse::<u64>().ok();
            self.int_token(value, pos, start);
        }
    }

    /// Pushes an Int token; values above `2^63` (or unparsable) are out of range.
    fn int_token(&mut self, value: Option<u64>, pos: Span, start: usize) {
        let limit = 1u64 << 63;
        match value {
            Some(v) if v <= limit => self.push(TokenKind::Int(v), pos, start),
            _ => {
                self.error(pos, "integer literal out of range");
                self.push(TokenKind::Int(0), pos, start);
            }
        }
    }

    /// `r"..."`: the `r` is consumed, the quote is next.
    fn raw_string(&mut self, pos: Span, start: usize) {
        self.bump();
        let body_start = self.i;
        loop {
            if self.i >= self.src.len() || self.at_newline() {
                self.error(pos, "unterminated string");
                let text = self.src[body_start..self.i].to_string();
                return self.push(TokenKind::Str(text), pos, start);
            }
            if self.peek() == Some('"') {
                let text = self.src[body_start..self.i].to_string();
                self.bump();
                return self.push(TokenKind::Str(text), pos, start);
            }
            self.bump();
        }
    }

    /// A `"` string; the opening quote is consumed.
    fn string(&mut self, pos: Span, start: usize) {
        let first_tok = self.raw.len();
        let diag_mark = self.diags.len();
        self.raw.push(Token {
            kind: TokenKind::InterpStart,
            pos,
            start,
            end: start,
        });
        let mut text = String::new();
        let mut text_pos = self.pos();
        let mut text_start = self.i;
        let mut interpolated = false;
        loop {
            if self.i >= self.src.len() || self.at_newline() {
                return self.unterminated(first_tok, diag_mark, pos, start);
            }
            let (cpos, cstart) = (self.pos(), self.i);
            let Some(c) = self.bump() else {
                return self.unterminated(first_tok, diag_mark, pos, start);
            };
            match c {
                '"' => break,
                '\\' => {
                    if let Some(ch) = self.escape(cpos) {
                        text.push(ch);
                    }
                }
                '{' => {
                    interpolated = true;
                    if !text.is_empty() {
                        let piece = std::mem::take(&mut text);
                        self.raw.push(Token {
                            kind: TokenKind::StrText(piece),
                            pos: text_pos,
                            start: text_start,
                            end: cstart,
                        });
                    }
                    self.push(TokenKind::InterpOpen, cpos, cstart);
                    let before = self.raw.len();
                    match self.interpolation() {
                        InterpStop::Closed => {
                            if self.raw.len() == before + 1 {
                                self.error(cpos, "empty interpolation");
                            }
                        }
                        InterpStop::Unterminated => {
                            return self.unterminated(first_tok, diag_mark, pos, start);
                        }
                        InterpStop::TooDeep => {
                            return self.too_deep(first_tok, diag_mark, pos, start);
                        }
                    }
                    text_pos = self.pos();
                    text_start = self.i;
                }
                other => text.push(other),
            }
        }
        if !interpolated {
            self.raw.truncate(first_tok);
            return self.push(TokenKind::Str(text), pos, start);
        }
        if !text.is_empty() {
            self.raw.push(Token {
                kind: TokenKind::StrText(text),
                pos: text_pos,
                start: text_start,
                end: self.i - 1,
            });
        }
        let end_pos = Span {
            line: self.line,
            col: self.col.saturating_sub(1),
        };
        self.raw.push(Token {
            kind: TokenKind::InterpEnd,
            pos: end_pos,
            start: self.i - 1,
            end: self.i,
        });
        self.raw[first_tok].end = self.i;
    }

    /// Replaces a string's partial tokens by one empty `Str` after `unterminated string`.
    /// Errors found inside the string are dropped: they are consequences of the missing quote.
    fn unterminated(&mut self, first_tok: usize, diag_mark: usize, pos: Span, start: usize) {
        let error = Diagnostic::new(pos, "unterminated string");
        self.empty_string(first_tok, diag_mark, error, pos, start);
    }

    /// The same after an interpolation nested too deeply inside the string: that error
    /// (the last one reported) is the one kept.
    fn too_deep(&mut self, first_tok: usize, diag_mark: usize, pos: Span, start: usize) {
        let error = self
            .diags
            .pop()
            .unwrap_or_else(|| Diagnostic::new(pos, "string interpolation nested too deeply"));
        self.empty_string(first_tok, diag_mark, error, pos, start);
        if self.interp_depth == 0 {
            self.too_deep = false;
        }
    }

    /// The string's tokens since `first_tok` become one empty `Str`, and its errors since
    /// `diag_mark` become `error`.
    fn empty_string(
        &mut self,
        first_tok: usize,
        diag_mark: usize,
        error: Diagnostic,
        pos: Span,
        start: usize,
    ) {
        self.raw.truncate(first_tok);
        self.diags.truncate(diag_mark);
        self.diags.push(error);
        self.push(TokenKind::Str(String::new()), pos, start);
    }

    /// Lexes the code of an interpolation up to its matching `}` (pushing tokens).
    fn interpolation(&mut self) -> InterpStop {
        if self.interp_depth >= MAX_INTERP_DEPTH {
            let pos = self.pos();
            self.error(pos, "string interpolation nested too deeply");
            while self.i < self.src.len() && !self.at_newline() {
                self.bump();
            }
            self.too_deep = true;
            return InterpStop::TooDeep;
        }
        self.interp_depth += 1;
        let mut depth = 0usize;
        let stop = loop {
            if self.i >= self.src.len() || self.at_newline() {
                break InterpStop::Unterminated;
            }
            let before = self.raw.len();
            let (pos, start) = (self.pos(), self.i);
            if self.peek() == Some('}') && depth == 0 {
                self.bump();
                self.push(TokenKind::InterpClose, pos, start);
                break InterpStop::Closed;
            }
            self.token();
            if self.too_deep {
                break InterpStop::TooDeep;
            }
            if self.raw.len() > before {
                match self.raw[self.raw.len() - 1].kind {
                    TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
                    TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                        depth = depth.saturating_sub(1)
                    }
                    _ => {}
                }
            }
        };
        self.interp_depth -= 1;
        stop
    }

    /// An escape sequence after `\` (consumed); `None` after reporting an invalid one.
    fn escape(&mut self, pos: Span) -> Option<char> {
        let c = match self.peek() {
            Some(c) if !self.at_newline() => c,
            _ => {
                self.error(pos, "invalid escape sequence");
                return None;
            }
        };
        self.bump();
        let ch = match c {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '\\' => '\\',
            '"' => '"',
            '{' => '{',
            '}' => '}',
            '0' => '\0',
            'u' => {
                if self.peek() != Some('{') {
                    self.error(pos, "invalid escape sequence");
                    return None;
                }
                self.bump();
                let mut hex = String::new();
                while let Some(h) = self.peek().filter(|h| h.is_ascii_hexdigit()) {
                    hex.push(h);
                    self.bump();
                }
                let closed = self.eat('}');
                let value = (closed && (1..=6).contains(&hex.len()))
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32);
                if value.is_none() {
                    self.error(pos, "invalid escape sequence");
                }
                return value;
            }
            _ => {
                self.error(pos, "invalid escape sequence");
                return None;
            }
        };
        Some(ch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind as T;

    /// Token kinds of `src` without the final `Eof`; panics on lexical errors.
    fn kinds(src: &str) -> Vec<TokenKind> {
        let (toks, diags) = lex(src);
        assert!(diags.is_empty(), "unexpected errors for {src:?}: {diags:?}");
        let mut k: Vec<TokenKind> = toks.into_iter().map(|t| t.kind).collect();
        assert_eq!(k.pop(), Some(T::Eof));
        k
    }

    /// Lexical errors as `line:col: message`.
    fn errors(src: &str) -> Vec<String> {
        lex(src)
            .1
            .into_iter()
            .map(|d| format!("{}:{}: {}", d.span.line, d.span.col, d.message))
            .collect()
    }

    fn positions(src: &str) -> Vec<(u32, u32)> {
        lex(src).0.iter().map(|t| (t.pos.line, t.pos.col)).collect()
    }

    #[test]
    fn interpolation_nested_too_deeply_is_one_error_and_the_next_line_lexes() {
        let nest = |d: usize| format!("\"{}x{}\"", "{\"".repeat(d), "\"}".repeat(d));
        assert!(errors(&format!("print({})\n", nest(MAX_INTERP_DEPTH))).is_empty());
        for d in [MAX_INTERP_DEPTH + 1, 1000] {
            let src = format!("print({})\nx = 1", nest(d));
            assert_eq!(
                errors(&src),
                [format!(
                    "1:{}: string interpolation nested too deeply",
                    7 + 2 * 32 + 2
                )],
                "depth {d}"
            );
            let k: Vec<TokenKind> = lex(&src).0.into_iter().map(|t| t.kind).collect();
            assert_eq!(k[k.len() - 4..], [T::Ident, T::Eq, T::Int(1), T::Eof]);
        }
    }

    #[test]
    fn int_literal_forms() {
        assert_eq!(kinds("42"), [T::Int(42)]);
        assert_eq!(kinds("1_000_000"), [T::Int(1_000_000)]);
        assert_eq!(
            kinds("0xff 0xFF 0xAb"),
            [T::Int(255), T::Int(255), T::Int(0xab)]
        );
        assert_eq!(kinds("0b1010"), [T::Int(10)]);
        assert_eq!(kinds("0x_1"), [T::Int(0), T::Ident]);
        assert_eq!(kinds("9223372036854775807"), [T::Int(i64::MAX as u64)]);
        assert_eq!(kinds("0x7fffffffffffffff"), [T::Int(i64::MAX as u64)]);
        // 2^63 is kept for the parser, which accepts it only after unary minus.
        assert_eq!(kinds("9223372036854775808"), [T::Int(1 << 63)]);
        // `_` only between two digits: `1_` is `1` followed by the wildcard.
        assert_eq!(kinds("1_"), [T::Int(1), T::Underscore]);
        assert_eq!(kinds("1__0"), [T::Int(1), T::Ident]);
    }

    #[test]
    fn int_literal_out_of_range() {
        assert_eq!(
            errors("x = 9223372036854775809"),
            ["1:5: integer literal out of range"]
        );
        assert_eq!(
            errors("0x1_0000_0000_0000_0000"),
            ["1:1: integer literal out of range"]
        );
        assert_eq!(
            errors("99999999999999999999999"),
            ["1:1: integer literal out of range"]
        );
    }

    #[test]
    fn float_literal_forms() {
        assert_eq!(kinds("3.25"), [T::Float(3.25)]);
        assert_eq!(kinds("1e9"), [T::Float(1e9)]);
        assert_eq!(kinds("2.5e-3"), [T::Float(2.5e-3)]);
        assert_eq!(kinds("6.02E23"), [T::Float(6.02e23)]);
        assert_eq!(kinds("1E+3"), [T::Float(1000.0)]);
        assert_eq!(kinds("1e-7"), [T::Float(1e-7)]);
        // Not floats.
        assert_eq!(kinds(".5"), [T::Dot, T::Int(5)]);
        assert_eq!(kinds("5."), [T::Int(5), T::Dot]);
        assert_eq!(kinds("1.e3"), [T::Int(1), T::Dot, T::Ident]);
        assert_eq!(kinds("1e"), [T::Int(1), T::Ident]);
        assert_eq!(kinds("1e+"), [T::Int(1), T::Ident, T::Plus]);
    }

    #[test]
    fn float_rounding_to_infinity_is_an_error() {
        assert_eq!(errors("  1e309"), ["1:3: float literal out of range"]);
        assert_eq!(kinds("1e-400"), [T::Float(0.0)]);
        assert_eq!(kinds("1.7976931348623157e308"), [T::Float(f64::MAX)]);
    }

    #[test]
    fn digits_after_dot_are_tuple_indices() {
        assert_eq!(
            kinds("t.0.1"),
            [T::Ident, T::Dot, T::Int(0), T::Dot, T::Int(1)]
        );
        assert_eq!(kinds("t?.0"), [T::Ident, T::QDot, T::Int(0)]);
        assert_eq!(kinds("0..5"), [T::Int(0), T::DotDot, T::Int(5)]);
        assert_eq!(kinds("0..=5"), [T::Int(0), T::DotDotEq, T::Int(5)]);
        assert_eq!(kinds("[...]"), [T::LBracket, T::Ellipsis, T::RBracket]);
    }

    #[test]
    fn operators_longest_match() {
        assert_eq!(
            kinds("** **= * *= // //= / /= % %="),
            [
                T::StarStar,
                T::OpEq(Box::new(T::StarStar)),
                T::Star,
                T::OpEq(Box::new(T::Star)),
                T::SlashSlash,
                T::OpEq(Box::new(T::SlashSlash)),
                T::Slash,
                T::OpEq(Box::new(T::Slash)),
                T::Percent,
                T::OpEq(Box::new(T::Percent)),
            ]
        );
        assert_eq!(
            kinds("<< <<= <= < >> >>= >= >"),
            [
                T::Shl,
                T::OpEq(Box::new(T::Shl)),
                T::Le,
                T::Lt,
                T::Shr,
                T::OpEq(Box::new(T::Shr)),
                T::Ge,
                T::Gt,
            ]
        );
        assert_eq!(
            kinds("|> | |= & &= ^ ^= ~ ++ + += - -= ->"),
            [
                T::PipeGt,
                T::Bar,
                T::OpEq(Box::new(T::Bar)),
                T::Amp,
                T::OpEq(Box::new(T::Amp)),
                T::Caret,
                T::OpEq(Box::new(T::Caret)),
                T::Tilde,
                T::PlusPlus,
                T::Plus,
                T::OpEq(Box::new(T::Plus)),
                T::Minus,
                T::OpEq(Box::new(T::Minus)),
                T::Arrow,
            ]
        );
        assert_eq!(
            kinds("== = => != ! ? ?. ?? : ,"),
            [
                T::EqEq,
                T::Eq,
                T::FatArrow,
                T::Ne,
                T::Bang,
                T::Question,
                T::QDot,
                T::QQ,
                T::Colon,
                T::Comma,
            ]
        );
    }

    #[test]
    fn identifiers_keywords_reserved() {
        assert_eq!(
            kinds("foo _ _x End end self"),
            [
                T::Ident,
                T::Underscore,
                T::Ident,
                T::Ident,
                T::Kw(Kw::End),
                T::Kw(Kw::SelfValue)
            ]
        );
        assert_eq!(
            kinds("async import yield"),
            [T::Reserved, T::Reserved, T::Reserved]
        );
        assert_eq!(kinds("@outer"), [T::Label]);
        assert_eq!(errors("x é"), ["1:3: unexpected character 'é'"]);
        assert_eq!(errors("@ x"), ["1:1: unexpected character '@'"]);
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            kinds(r#""a\n\t\r\\\"\{\}\0""#),
            [T::Str("a\n\t\r\\\"{}\0".into())]
        );
        assert_eq!(kinds(r#""\u{1F600}\u{41}""#), [T::Str("\u{1F600}A".into())]);
        assert_eq!(kinds(r#"r"C:\temp\{x}""#), [T::Str(r"C:\temp\{x}".into())]);
        assert_eq!(kinds(r#""a}b""#), [T::Str("a}b".into())]);
        assert_eq!(kinds("\"é\" x"), [T::Str("é".into()), T::Ident]);
        assert_eq!(positions("\"é\" x")[1], (1, 5));
    }

    #[test]
    fn string_errors() {
        assert_eq!(errors(r#"  "a\qb""#), ["1:5: invalid escape sequence"]);
        assert_eq!(errors(r#""\u{110000}""#), ["1:2: invalid escape sequence"]);
        assert_eq!(errors(r#""\u{D800}""#), ["1:2: invalid escape sequence"]);
        assert_eq!(errors(r#""\u{1234567}""#), ["1:2: invalid escape sequence"]);
        assert_eq!(errors(r#""\u{}""#), ["1:2: invalid escape sequence"]);
        assert_eq!(errors(r#""\u41""#), ["1:2: invalid escape sequence"]);
        assert_eq!(errors("x = \"abc\ny"), ["1:5: unterminated string"]);
        assert_eq!(errors("\"abc"), ["1:1: unterminated string"]);
        assert_eq!(errors("r\"abc\n"), ["1:1: unterminated string"]);
        assert_eq!(errors("\"a{x\"\n"), ["1:1: unterminated string"]);
        assert_eq!(errors("\"a{}\""), ["1:3: empty interpolation"]);
        assert_eq!(errors("\"a{ }\""), ["1:3: empty interpolation"]);
        // After an unterminated string, lexing goes on with the next line.
        assert_eq!(
            lex("\"ab\nx").0.iter().map(|t| &t.kind).collect::<Vec<_>>(),
            [&T::Str(String::new()), &T::Newline, &T::Ident, &T::Eof]
        );
    }

    #[test]
    fn interpolation_tokens() {
        assert_eq!(
            kinds(r#""hi {name}!""#),
            [
                T::InterpStart,
                T::StrText("hi ".into()),
                T::InterpOpen,
                T::Ident,
                T::InterpClose,
                T::StrText("!".into()),
                T::InterpEnd,
            ]
        );
        // Nested brackets and strings are skipped over, recursively (clarification 16).
        assert_eq!(
            kinds(r#""{len("{n}{n}")}""#),
            [
                T::InterpStart,
                T::InterpOpen,
                T::Ident,
                T::LParen,
                T::InterpStart,
                T::InterpOpen,
                T::Ident,
                T::InterpClose,
                T::InterpOpen,
                T::Ident,
                T::InterpClose,
                T::InterpEnd,
                T::RParen,
                T::InterpClose,
                T::InterpEnd,
            ]
        );
        assert_eq!(
            kinds(r#""{ {"a": 1}["a"] }""#),
            [
                T::InterpStart,
                T::InterpOpen,
                T::LBrace,
                T::Str("a".into()),
                T::Colon,
                T::Int(1),
                T::RBrace,
                T::LBracket,
                T::Str("a".into()),
                T::RBracket,
                T::InterpClose,
                T::InterpEnd,
            ]
        );
        // Positions inside interpolations are real source positions.
        assert_eq!(positions(r#"  "ab{xy}""#)[3], (1, 7));
    }

    #[test]
    fn comments_and_blank_lines() {
        assert_eq!(
            kinds("# c\n\na # b \"x\"\n\n  # c\nb\n"),
            [T::Ident, T::Newline, T::Ident, T::Newline]
        );
        assert_eq!(
            kinds("\"# not a comment\""),
            [T::Str("# not a comment".into())]
        );
    }

    #[test]
    fn continuation_after_operators() {
        for op in [
            "+", "-", "*", "/", "//", "%", "**", "<<", ">>", "..", "..=", "++", "|>", "&", "^",
            "|", "==", "!=", "<", "<=", ">", ">=", "??", "and", "or", "in", "is", "as", "=", "+=",
            "**=", ">>=", "=>", ".", "?.", ",", "(", "[", "{",
        ] {
            let src = format!("a {op}\n  b");
            let k: Vec<TokenKind> = lex(&src).0.into_iter().map(|t| t.kind).collect();
            assert!(!k.contains(&T::Newline), "newline kept after {op}: {k:?}");
        }
    }

    #[test]
    fn newline_kept_after_other_tokens() {
        for end in [
            "->", "!", "?", ")", "]", "}", "x", "1", "\"s\"", "not", "~", ":",
        ] {
            let src = format!("a {end}\nb");
            assert!(
                kinds(&src).contains(&T::Newline),
                "newline dropped after {end}"
            );
        }
    }

    #[test]
    fn continuation_before_closing_brackets() {
        assert_eq!(
            kinds("f(\n  1,\n  2\n)\nx"),
            [
                T::Ident,
                T::LParen,
                T::Int(1),
                T::Comma,
                T::Int(2),
                T::RParen,
                T::Newline,
                T::Ident,
            ]
        );
        assert_eq!(kinds("[1\n\n# c\n]"), [T::LBracket, T::Int(1), T::RBracket]);
        assert_eq!(
            kinds("{a: 1\n}"),
            [T::LBrace, T::Ident, T::Colon, T::Int(1), T::RBrace]
        );
    }

    #[test]
    fn crlf_bom_and_columns() {
        assert_eq!(
            positions("\u{feff}a\r\n  \"é\" b\r\nc"),
            [(1, 1), (1, 2), (2, 3), (2, 7), (2, 8), (3, 1), (3, 2)]
        );
        assert_eq!(errors("\u{feff}\"x\r\n"), ["1:1: unterminated string"]);
        // Tabs count as one column.
        assert_eq!(positions("\tx")[0], (1, 2));
    }

    #[test]
    fn deeply_nested_interpolation_is_an_error_not_a_crash() {
        let src = "\"{".repeat(100);
        assert!(!errors(&src).is_empty());
    }
}
