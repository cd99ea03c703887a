//! LIR optimisation passes and optimisation levels (to be written).

/// An optimisation level, `-O0` … `-O3` / `LUMEN_OPT_LEVEL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum OptLevel {
    /// Fastest compilation.
    O0,
    /// Cranelift optimises for speed.
    #[default]
    O1,
    /// O1 plus LIR passes: constant folding, dead code elimination, copy propagation.
    O2,
    /// O2 plus inlining of small cells and bounds-check hoisting.
    O3,
}
