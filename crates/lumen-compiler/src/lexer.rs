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
    pub kind: TokenKind,
    pub pos: Span,
    pub start: usize,
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
}

/// Why lexing the code of an interpolation stopped.
enum InterpStop {
    /// At the matching `}` (consumed).
    Closed,
    /// At a newline or end of file: the enclosing string is unterminated.
    Unterminated,
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

    /// Consumes one character (not a newline: those go through `newline`).
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
        self.raw.truncate(first_tok);
        self.diags.truncate(diag_mark);
        self.error(pos, "unterminated string");
        self.push(TokenKind::Str(String::new()), pos, start);
    }

    /// Lexes the code of an interpolation up to its matching `}` (pushing tokens).
    fn interpolation(&mut self) -> InterpStop {
        if self.interp_depth >= MAX_INTERP_DEPTH {
            let pos = self.pos();
            self.error(pos, "string interpolation nested too deeply");
            return InterpStop::Unterminated;
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
