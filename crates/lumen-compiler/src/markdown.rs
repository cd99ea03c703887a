//! Lumen Markdown (`.lm.md`) code extraction (to be written).

/// Returns the code of a `.lm.md` file with every non-code line blanked.
pub fn extract_code(text: &str) -> String {
    text.to_string()
}
