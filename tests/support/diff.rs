//! A line diff for test failure reports (shared by the test suites; included with
//! `#[path]`).

/// A line diff of `expected` against `actual` (`-` expected only, `+` actual only),
/// trimmed to the neighbourhood of the differences; `""` when they are equal.
pub fn diff(expected: &str, actual: &str) -> String {
    if expected == actual {
        return String::new();
    }
    let (e, a): (Vec<&str>, Vec<&str>) = (
        expected.split_inclusive('\n').collect(),
        actual.split_inclusive('\n').collect(),
    );
    let ops = line_ops(&e, &a);
    let changed: Vec<bool> = ops.iter().map(|(tag, _)| *tag != ' ').collect();
    let mut out = String::new();
    let mut skipped = false;
    for (i, (tag, line)) in ops.iter().enumerate() {
        let near = (i.saturating_sub(3)..(i + 4).min(ops.len())).any(|j| changed[j]);
        if !near {
            skipped = true;
            continue;
        }
        if skipped {
            out.push_str("  ...\n");
            skipped = false;
        }
        let (text, no_newline) = match line.strip_suffix('\n') {
            Some(t) => (t, false),
            None => (*line, true),
        };
        out.push_str(&format!("{tag} {text:?}"));
        if no_newline {
            out.push_str("  (no final newline)");
        }
        out.push('\n');
    }
    if skipped {
        out.push_str("  ...\n");
    }
    out
}

/// Longest-common-subsequence edit script; positional when the inputs are too large.
fn line_ops<'a>(e: &[&'a str], a: &[&'a str]) -> Vec<(char, &'a str)> {
    let (n, m) = (e.len(), a.len());
    if n.saturating_mul(m) > 4_000_000 {
        let mut ops = Vec::new();
        for i in 0..n.max(m) {
            match (e.get(i), a.get(i)) {
                (Some(x), Some(y)) if x == y => ops.push((' ', *x)),
                (x, y) => {
                    ops.extend(x.map(|x| ('-', *x)));
                    ops.extend(y.map(|y| ('+', *y)));
                }
            }
        }
        return ops;
    }
    // lcs[i][j]: length of the LCS of e[i..] and a[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if e[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && e[i] == a[j] {
            ops.push((' ', e[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(('+', a[j]));
            j += 1;
        } else {
            ops.push(('-', e[i]));
            i += 1;
        }
    }
    ops
}
