//! Bounds-check hoisting (to be written).
use lumen_core::lir::{Cell, TypeTable};
/// Marks provably in-bounds list reads unchecked.
pub fn hoist_bounds_checks(_cell: &mut Cell, _types: &TypeTable) {}
