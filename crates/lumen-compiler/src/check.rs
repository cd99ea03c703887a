//! Type checker (to be written).
use crate::ast;
use crate::diagnostics::Diagnostic;
use crate::hir;

pub fn check(_program: &ast::Program) -> Result<hir::Program, Vec<Diagnostic>> {
    Err(vec![Diagnostic::new(
        Default::default(),
        "checker not written yet",
    )])
}
