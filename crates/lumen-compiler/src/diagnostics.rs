//! Compile-time diagnostics and their rendering (language reference §10.3).

use crate::ast::Span;
use std::fmt::Write;

/// One compile error: where, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            message: message.into(),
        }
    }
}

/// Every error found in a program, ordered by position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub diagnostics: Vec<Diagnostic>,
}

impl CompileError {
    /// Sorts by position and drops exact duplicates.
    pub fn new(mut diagnostics: Vec<Diagnostic>) -> CompileError {
        diagnostics.sort_by_key(|d| d.span);
        diagnostics.dedup();
        CompileError { diagnostics }
    }

    /// Renders every diagnostic as `file:line:col: error: message` followed by the source
    /// line (indented 4 spaces) and a caret under the column.
    pub fn render(&self, file: &str, source: &str) -> String {
        let lines: Vec<&str> = source
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        let mut out = String::new();
        for d in &self.diagnostics {
            let _ = writeln!(
                out,
                "{file}:{}:{}: error: {}",
                d.span.line, d.span.col, d.message
            );
            let line_idx = d.span.line as usize;
            if line_idx >= 1 && line_idx <= lines.len() {
                let text = lines[line_idx - 1];
                let text = if line_idx == 1 {
                    text.trim_start_matches('\u{feff}')
                } else {
                    text
                };
                let _ = writeln!(out, "    {text}");
                let mut caret = String::from("    ");
                for c in text.chars().take((d.span.col as usize).saturating_sub(1)) {
                    caret.push(if c == '\t' { '\t' } else { ' ' });
                }
                caret.push('^');
                let _ = writeln!(out, "{caret}");
            }
        }
        out
    }
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{}:{}: error: {}", d.span.line, d.span.col, d.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for CompileError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_reference_layout() {
        let src = "cell main()\n  let n: Int = \"three\"\nend\n";
        let e = CompileError::new(vec![Diagnostic::new(
            Span { line: 2, col: 16 },
            "type mismatch: expected Int, found String",
        )]);
        assert_eq!(
            e.render("calc.lm", src),
            "calc.lm:2:16: error: type mismatch: expected Int, found String\n      let n: Int = \"three\"\n                   ^\n"
        );
    }
}
