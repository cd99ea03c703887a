//! Runtime errors with their Lumen stack trace, and the §10.2 stderr rendering.

use lumen_core::error::RtError;
use lumen_core::lir::Pos;
use std::fmt::Write;

/// Traces longer than this are shortened (§10.2).
const FULL_TRACE_LIMIT: usize = 40;
/// Innermost frames kept in a shortened trace.
const KEEP_INNER: usize = 30;
/// Outermost frames kept in a shortened trace.
const KEEP_OUTER: usize = 5;

/// One active call at the moment of the error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceFrame {
    /// Cell name as shown in traces: `fib`, `Shape.area`, `<lambda>`.
    pub name: String,
    /// The failing operation (innermost frame) or the executing call (other frames).
    pub pos: Pos,
}

impl TraceFrame {
    /// The frames of an error at instruction `pc` of `cell`, innermost first: one, or
    /// more where `pc` lies in code inlined from other cells
    /// ([`lumen_core::lir::Cell::frames_at`]). Every tier builds its frames here.
    pub fn at(cell: &lumen_core::lir::Cell, pc: usize) -> impl Iterator<Item = TraceFrame> + '_ {
        cell.frames_at(pc)
            .into_iter()
            .map(|(name, pos)| TraceFrame {
                name: name.to_string(),
                pos,
            })
    }
}

/// A runtime error: what went wrong and where (innermost frame first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeError {
    /// The error kind; [`RtError::Exit`] is how `exit(n)` unwinds.
    pub error: RtError,
    /// Active calls, innermost first.
    pub trace: Vec<TraceFrame>,
}

impl RuntimeError {
    /// An error with the given trace.
    pub fn new(error: RtError, trace: Vec<TraceFrame>) -> RuntimeError {
        RuntimeError { error, trace }
    }

    /// The exit code requested by `exit(n)`, if this is one.
    pub fn exit_code(&self) -> Option<i32> {
        match self.error {
            RtError::Exit(code) => Some(code),
            _ => None,
        }
    }

    /// The stderr text of §10.2 (each line ends with `\n`): `error: <message>`, then one
    /// `  at <name> (<file>:<line>:<col>)` line per frame; traces of more than 40 frames
    /// show the innermost 30, `  ... <n> more`, and the outermost 5.
    pub fn render(&self, file: &str) -> String {
        let mut out = format!("error: {}\n", self.error);
        let line = |out: &mut String, f: &TraceFrame| {
            let _ = writeln!(
                out,
                "  at {} ({}:{}:{})",
                f.name, file, f.pos.line, f.pos.col
            );
        };
        let n = self.trace.len();
        if n > FULL_TRACE_LIMIT {
            for f in &self.trace[..KEEP_INNER] {
                line(&mut out, f);
            }
            let _ = writeln!(out, "  ... {} more", n - KEEP_INNER - KEEP_OUTER);
            for f in &self.trace[n - KEEP_OUTER..] {
                line(&mut out, f);
            }
        } else {
            for f in &self.trace {
                line(&mut out, f);
            }
        }
        out
    }
}

impl std::fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl std::error::Error for RuntimeError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(n: u32) -> Vec<TraceFrame> {
        (0..n)
            .map(|i| TraceFrame {
                name: format!("f{i}"),
                pos: Pos {
                    line: i + 1,
                    col: 3,
                },
            })
            .collect()
    }

    #[test]
    fn short_trace_lists_every_frame() {
        let e = RuntimeError::new(RtError::DivisionByZero, frames(2));
        assert_eq!(
            e.render("stats.lm"),
            "error: division by zero\n  at f0 (stats.lm:1:3)\n  at f1 (stats.lm:2:3)\n"
        );
    }

    #[test]
    fn forty_frames_are_not_shortened() {
        let e = RuntimeError::new(RtError::StackOverflow, frames(40));
        assert_eq!(e.render("a.lm").lines().count(), 41);
    }

    #[test]
    fn long_trace_keeps_30_inner_and_5_outer() {
        let e = RuntimeError::new(RtError::StackOverflow, frames(41));
        let text = e.render("a.lm");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 30 + 1 + 5);
        assert_eq!(lines[30], "  at f29 (a.lm:30:3)");
        assert_eq!(lines[31], "  ... 6 more");
        assert_eq!(lines[32], "  at f36 (a.lm:37:3)");
        assert_eq!(lines[36], "  at f40 (a.lm:41:3)");
    }
}
