//! Property tests: `parse` (and Markdown extraction) never panic or hang, whatever the
//! input: random characters, random token soup, and randomly mutated corpus programs.

use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

/// Fragments that exercise every lexer and parser path when glued together.
const VOCAB: &[&str] = &[
    "cell",
    "record",
    "enum",
    "const",
    "type",
    "extern",
    "let",
    "mut",
    "if",
    "then",
    "else",
    "end",
    "while",
    "loop",
    "for",
    "in",
    "break",
    "continue",
    "return",
    "halt",
    "match",
    "when",
    "fn",
    "and",
    "or",
    "not",
    "is",
    "as",
    "ok",
    "err",
    "true",
    "false",
    "null",
    "self",
    "async",
    "import",
    "x",
    "Foo",
    "_",
    "@l",
    "0",
    "42",
    "9223372036854775808",
    "0x_f",
    "0b2",
    "1.5",
    "1e999",
    "2.",
    ".5",
    "\"s\"",
    "\"a{x}b\"",
    "\"{",
    "}\"",
    "\"\\u{41}\"",
    "\"\\q\"",
    "r\"raw\"",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "?.",
    "?",
    "??",
    "!",
    "->",
    "=>",
    "...",
    "..",
    "..=",
    "+",
    "-",
    "*",
    "**",
    "/",
    "//",
    "%",
    "<<",
    ">>",
    "++",
    "|>",
    "&",
    "^",
    "|",
    "~",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "+=",
    "**=",
    "\n",
    "\n",
    "\n",
    " ",
    "#c\n",
    "é",
    "\r\n",
    "$",
];

fn corpus() -> &'static Vec<String> {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance");
        let mut out = Vec::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "lm")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    out.push(text);
                }
            }
        }
        out.sort();
        out
    })
}

/// One edit of a program, at char positions given as fractions of its length.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(f64, usize),
    Insert(f64, usize),
    Duplicate(f64, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0.0..1.0f64, 1..20usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (0.0..1.0f64, 0..VOCAB.len()).prop_map(|(a, v)| Mutation::Insert(a, v)),
        (0.0..1.0f64, 1..40usize).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
    ]
}

fn apply(src: &str, m: &Mutation) -> String {
    let chars: Vec<char> = src.chars().collect();
    let at = |f: f64| ((chars.len() as f64 * f) as usize).min(chars.len());
    let mut out: Vec<char> = chars.clone();
    match *m {
        Mutation::Delete(f, n) => {
            let a = at(f);
            out.drain(a..(a + n).min(chars.len()));
        }
        Mutation::Insert(f, v) => {
            let a = at(f);
            out.splice(a..a, VOCAB[v].chars());
        }
        Mutation::Duplicate(f, n) => {
            let a = at(f);
            let piece: Vec<char> = chars[a..(a + n).min(chars.len())].to_vec();
            out.splice(a..a, piece);
        }
    }
    out.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(s in "[ -~\\n\\t\\r\"{}é\u{feff}]{0,200}") {
        let _ = lumen_compiler::parse(&s);
        let _ = lumen_compiler::extract_code(&s);
    }

    #[test]
    fn token_soup_never_panics(words in prop::collection::vec(0..VOCAB.len(), 0..120)) {
        let src: String = words.iter().map(|&i| VOCAB[i]).collect::<Vec<_>>().join(" ");
        let _ = lumen_compiler::parse(&src);
        let glued: String = words.iter().map(|&i| VOCAB[i]).collect();
        let _ = lumen_compiler::parse(&glued);
    }

    #[test]
    fn mutated_corpus_never_panics(
        pick in 0..10_000usize,
        edits in prop::collection::vec(mutation(), 1..6),
    ) {
        let programs = corpus();
        prop_assume!(!programs.is_empty());
        let mut src = programs[pick % programs.len()].clone();
        for m in &edits {
            src = apply(&src, m);
        }
        match lumen_compiler::parse(&src) {
            Ok(_) => {}
            Err(diags) => {
                // Errors are reported in position order with real positions.
                prop_assert!(!diags.is_empty());
                prop_assert!(diags.windows(2).all(|w| w[0].span <= w[1].span));
                prop_assert!(diags.iter().all(|d| d.span.line >= 1 && d.span.col >= 1));
            }
        }
    }
}
