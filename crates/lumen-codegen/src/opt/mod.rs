//! LIR optimisation passes and optimisation levels (`-O0` … `-O3`, `LUMEN_OPT_LEVEL`).
//!
//! | level | LIR passes ([`optimize`]) | native code |
//! |---|---|---|
//! | O0 | none | fastest compilation |
//! | O1 | none | Cranelift optimises for speed |
//! | O2 | constant folding, copy propagation, dead code elimination | as O1 |
//! | O3 | O2 plus inlining of small leaf cells and bounds-check hoisting | as O1 |
//!
//! Every pass preserves the observable behaviour exactly (language reference): output,
//! runtime error messages and stack traces, and the call-depth limit. Instructions that
//! can fail or have an effect are never moved, and deleted only when unreachable.

mod copyprop;
mod dce;
mod edit;
mod fold;
mod hoist;
mod inline;

use lumen_core::lir::LirModule;
use std::fmt;
use std::str::FromStr;

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

/// The environment variable naming the level.
pub const OPT_LEVEL_VAR: &str = "LUMEN_OPT_LEVEL";

/// A text that names no optimisation level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadOptLevel(pub String);

impl fmt::Display for BadOptLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid optimisation level '{}' (expected 0, 1, 2 or 3)",
            self.0
        )
    }
}

impl std::error::Error for BadOptLevel {}

impl FromStr for OptLevel {
    type Err = BadOptLevel;

    /// Accepts `0`…`3`, optionally prefixed by `O` or `o` (`"2"`, `"O2"`).
    fn from_str(s: &str) -> Result<OptLevel, BadOptLevel> {
        let t = s.trim();
        let digits = t.strip_prefix(['O', 'o']).unwrap_or(t);
        match digits {
            "0" => Ok(OptLevel::O0),
            "1" => Ok(OptLevel::O1),
            "2" => Ok(OptLevel::O2),
            "3" => Ok(OptLevel::O3),
            _ => Err(BadOptLevel(s.to_string())),
        }
    }
}

impl fmt::Display for OptLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = match self {
            OptLevel::O0 => 0,
            OptLevel::O1 => 1,
            OptLevel::O2 => 2,
            OptLevel::O3 => 3,
        };
        write!(f, "O{n}")
    }
}

impl OptLevel {
    /// The level named by `LUMEN_OPT_LEVEL`; the default level when it is unset or
    /// empty, an error when it names no level.
    pub fn from_env() -> Result<OptLevel, BadOptLevel> {
        Self::from_var(std::env::var(OPT_LEVEL_VAR).ok().as_deref())
    }

    /// [`OptLevel::from_env`] on a given variable value (testable without touching the
    /// process environment).
    pub fn from_var(value: Option<&str>) -> Result<OptLevel, BadOptLevel> {
        match value {
            None => Ok(OptLevel::default()),
            Some(v) if v.trim().is_empty() => Ok(OptLevel::default()),
            Some(v) => v.parse(),
        }
    }
}

/// Applies the LIR passes of `level` to every cell of `module` (O0 and O1: none).
pub fn optimize(module: &mut LirModule, level: OptLevel) {
    if level < OptLevel::O2 {
        return;
    }
    if level >= OptLevel::O3 {
        inline::inline_leaves(module);
    }
    let types = module.types.clone();
    for cell in &mut module.cells {
        // A few rounds: folding exposes dead code, copy propagation exposes dead copies.
        for _ in 0..4 {
            let changed = fold::fold(cell, &types)
                | copyprop::copyprop(cell, &types)
                | dce::dce(cell, &types);
            if !changed {
                break;
            }
        }
        if level >= OptLevel::O3 {
            hoist::hoist_bounds_checks(cell, &types);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_from_digits_and_names() {
        assert_eq!("0".parse(), Ok(OptLevel::O0));
        assert_eq!("O2".parse(), Ok(OptLevel::O2));
        assert_eq!("o3".parse(), Ok(OptLevel::O3));
        assert!("4".parse::<OptLevel>().is_err());
        assert!("O".parse::<OptLevel>().is_err());
        assert!("-O2".parse::<OptLevel>().is_err());
        assert_eq!(
            "fast".parse::<OptLevel>().unwrap_err().to_string(),
            "invalid optimisation level 'fast' (expected 0, 1, 2 or 3)"
        );
        assert_eq!(OptLevel::O3.to_string(), "O3");
    }

    #[test]
    fn environment_value_selects_the_level() {
        assert_eq!(OptLevel::from_var(None), Ok(OptLevel::O1));
        assert_eq!(OptLevel::from_var(Some("")), Ok(OptLevel::O1));
        assert_eq!(OptLevel::from_var(Some("3")), Ok(OptLevel::O3));
        assert_eq!(OptLevel::from_var(Some("9")), Err(BadOptLevel("9".into())));
    }
}
