//! Lumen Markdown (`.lm.md`) code extraction (language reference §1.1, clarification 8).

/// Returns the code of a `.lm.md` file with every non-code line blanked, so that lines
/// and columns of the result are those of the original file.
///
/// Code is the content of fenced blocks opened by (after at most 3 spaces) three or more
/// backticks directly followed by `lumen` and nothing but spaces; a block closes at a line
/// of at least as many backticks (after at most 3 spaces) followed only by spaces, or at
/// end of file. Inside a fence of another language nothing opens a `lumen` block.
pub fn extract_code(text: &str) -> String {
    // A leading BOM is ignored (as by the lexer); dropping it changes no line or column.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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

#[cfg(test)]
mod tests {
    use super::extract_code;

    #[test]
    fn keeps_lumen_blocks_and_blanks_the_rest() {
        let md = "# Title\ntext\n```lumen\ncell main()\nend\n```\nmore\n";
        assert_eq!(extract_code(md), "\n\n\ncell main()\nend\n\n\n");
    }

    #[test]
    fn line_count_and_columns_are_preserved() {
        let md = "a\n```lumen\n  x = 1\n```\nb\n```lumen\n\ty\n```";
        let code = extract_code(md);
        assert_eq!(code.split('\n').count(), md.split('\n').count());
        assert_eq!(code.lines().nth(2), Some("  x = 1"));
        assert_eq!(code.lines().nth(6), Some("\ty"));
    }

    #[test]
    fn opening_line_rules() {
        // Trailing spaces are allowed after `lumen`; anything else is another language.
        assert_eq!(extract_code("```lumen   \nx\n```\n"), "\nx\n\n");
        assert_eq!(extract_code("```lumenx\nx\n```\n"), "\n\n\n");
        assert_eq!(extract_code("``` lumen\nx\n```\n"), "\n\n\n");
        assert_eq!(extract_code("```lumen\t\nx\n```\n"), "\n\n\n");
        assert_eq!(extract_code("``lumen\nx\n``\n"), "\n\n\n");
        // At most three spaces of indentation.
        assert_eq!(extract_code("   ```lumen\nx\n   ```\n"), "\nx\n\n");
        assert_eq!(extract_code("    ```lumen\nx\n```\n"), "\n\n\n");
    }

    #[test]
    fn closing_fence_rules() {
        // At least as many backticks as the opener, then only spaces.
        assert_eq!(
            extract_code("````lumen\na\n```\nb\n`````  \nc\n"),
            "\na\n```\nb\n\n\n"
        );
        assert_eq!(
            extract_code("```lumen\na\n``` x\nb\n```\n"),
            "\na\n``` x\nb\n\n"
        );
        // A block left open runs to the end of the file.
        assert_eq!(extract_code("```lumen\na\nb"), "\na\nb");
    }

    #[test]
    fn other_fences_hide_lumen_openers() {
        let md = "```python\n```lumen\nx = 1\n```\n```lumen\ny\n```\n";
        assert_eq!(extract_code(md), "\n\n\n\n\ny\n\n");
        let md = "````md\n```lumen\nz\n```\n````\n";
        assert_eq!(extract_code(md), "\n\n\n\n\n");
    }

    #[test]
    fn leading_bom_is_ignored() {
        assert_eq!(extract_code("\u{feff}```lumen\nx\n```"), "\nx\n");
    }

    #[test]
    fn crlf_line_endings_are_kept() {
        assert_eq!(
            extract_code("t\r\n```lumen\r\nx\r\n```\r\n"),
            "\r\n\r\nx\r\n\r\n"
        );
    }

    #[test]
    fn conformance_example_keeps_line_17() {
        let md =
            include_str!("../../../tests/conformance/errors_compile/markdown_error_line.lm.md");
        let code = extract_code(md);
        assert_eq!(code.lines().count(), md.lines().count());
        assert_eq!(code.lines().nth(16), Some("  let n: Int = name"));
        assert_eq!(code.lines().next(), Some(""));
    }
}
