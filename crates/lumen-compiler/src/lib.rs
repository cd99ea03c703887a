//! `lumen-compiler`: Lumen Core source to LIR.
//!
//! The pipeline is [`parse`] (lexer and parser to [`ast`]), [`check`] (name resolution and
//! type checking to the typed [`hir`]) and [`lower`] (HIR to [`LirModule`]);
//! [`compile`] runs all three. Every stage reports all the errors it finds as
//! [`Diagnostic`]s with line and column.
//!
//! ```
//! let module = lumen_compiler::compile("cell main()\n  print(1 + 2)\nend\n").unwrap();
//! assert!(module.find_cell("main").is_some());
//! ```

pub mod ast;
mod check;
pub mod diagnostics;
pub mod hir;
mod lexer;
mod lower;
mod markdown;
mod parser;
pub mod types;

pub use diagnostics::{CompileError, Diagnostic};
use lumen_core::lir::LirModule;
pub use markdown::extract_code;

/// Parses Lumen source (`.lm` text) into a syntax tree, reporting every syntax error.
pub fn parse(source: &str) -> Result<ast::Program, Vec<Diagnostic>> {
    parser::parse(source)
}

/// Parses Lumen source into what parsed cleanly, together with every syntax error (by
/// position): declarations with syntax errors are kept with what is reliable (a cell's
/// signature, see [`ast::CellDecl::broken`]) or listed in [`ast::Program::broken`].
pub fn parse_partial(source: &str) -> (ast::Program, Vec<Diagnostic>) {
    parser::parse_partial(source)
}

/// Resolves names and checks types, producing the typed program.
pub fn check(program: &ast::Program) -> Result<hir::Program, Vec<Diagnostic>> {
    check::check(program)
}

/// Lowers a checked program to LIR. Debug builds (every test) run the LIR verifier on
/// the result, so a lowering bug fails loudly where it happens.
pub fn lower(program: &hir::Program) -> LirModule {
    let module = lower::lower(program);
    #[cfg(debug_assertions)]
    if let Err(problems) = lumen_core::verify::verify(&module) {
        panic!("lowering produced invalid LIR: {problems:?}");
    }
    module
}

/// Compiles `.lm` source text to a LIR module.
/// With syntax errors, everything that parsed cleanly is still checked, so all errors
/// are reported (§10.3).
pub fn compile(source: &str) -> Result<LirModule, CompileError> {
    let (ast, mut diags) = parse_partial(source);
    if !diags.is_empty() {
        diags.extend(check::check_partial(&ast));
        return Err(CompileError::new(diags));
    }
    let hir = check(&ast).map_err(CompileError::new)?;
    Ok(lower(&hir))
}

/// Compiles a file's bytes; `path` decides the format (`.lm.md` is Lumen Markdown,
/// anything else plain `.lm`). Invalid UTF-8 is a compile error at the first bad byte.
/// Diagnostics keep the original file's lines and columns.
pub fn compile_file(path: &str, bytes: &[u8]) -> Result<LirModule, CompileError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let good = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
            let line = good.matches('\n').count() as u32 + 1;
            let col = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            let span = ast::Span { line, col };
            return Err(CompileError::new(vec![Diagnostic::new(
                span,
                "invalid UTF-8",
            )]));
        }
    };
    if path.ends_with(".lm.md") {
        compile(&markdown::extract_code(text))
    } else {
        compile(text)
    }
}
