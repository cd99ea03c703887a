//! Parser (to be written).
use crate::ast::Program;
use crate::diagnostics::Diagnostic;

pub fn parse(_source: &str) -> Result<Program, Vec<Diagnostic>> {
    Err(vec![Diagnostic::new(
        Default::default(),
        "parser not written yet",
    )])
}
