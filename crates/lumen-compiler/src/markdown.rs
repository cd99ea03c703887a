//! Lumen Markdown (`.lm.md`) code extraction (language reference §1.1, clarification 8).

/// Returns the code of a `.lm.md` file with every non-code line blanked, so that lines
/// and columns of the result are those of the original file.
///
/// Code is the content of fenced blocks opened by (after at most 3 spaces) three or more
/// backticks directly followed by `lumen` and nothing but spaces; a block closes at a line
/// of at least as many backticks (after at most 3 spaces) followed only by spaces, or at
/// end of file. Inside a fence of another language nothing opens a `lumen` block.
pub fn extract_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The open fence: its backtick count and whether it is a `lumen` block.
    let mut open: Option<(usize, bool)> = None;
    for raw in text.split_inclusive('\n') {
        let (line, ending) = split_ending(raw);
        match open {
            None => {
                if let Some((ticks, rest)) = fence(line) {
                    let lumen = rest
                        .strip_prefix("lumen")
                        .is_some_and(|after| after.chars().all(|c| c == ' '));
                    open = Some((ticks, lumen));
                }
                out.push_str(ending);
            }
            Some((ticks, lumen)) => {
                let closes = fence(line)
                    .is_some_and(|(n, rest)| n >= ticks && rest.chars().all(|c| c == ' '));
                if closes {
                    open = None;
                    out.push_str(ending);
                } else if lumen {
                    out.push_str(raw);
                } else {
                    out.push_str(ending);
                }
            }
        }
    }
    out
}

/// Splits a line into its text and its line ending (`\n`, `\r\n` or nothing).
fn split_ending(raw: &str) -> (&str, &str) {
    if let Some(l) = raw.strip_suffix("\r\n") {
        (l, "\r\n")
    } else if let Some(l) = raw.strip_suffix('\n') {
        (l, "\n")
    } else {
        (raw, "")
    }
}

/// A fence line: at most 3 leading spaces and at least 3 backticks. Returns the number of
/// backticks and the text after them.
fn fence(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
    (ticks >= 3).then(|| (ticks, &trimmed[ticks..]))
}
