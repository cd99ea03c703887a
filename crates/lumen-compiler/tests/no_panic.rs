//! Property test: the compiler reports errors for any input and never panics. Inputs are
//! soups of Lumen tokens (keywords, operators, literals, names, newlines) and corpus
//! programs with random edits, so most reach past the lexer into parser and checker.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Tokens of Lumen Core (§1) plus a few near-misses the lexer must reject gracefully.
const TOKENS: &[&str] = &[
    // keywords
    "and",
    "as",
    "break",
    "cell",
    "const",
    "continue",
    "else",
    "end",
    "enum",
    "err",
    "extern",
    "false",
    "fn",
    "for",
    "halt",
    "if",
    "in",
    "is",
    "let",
    "loop",
    "match",
    "mut",
    "not",
    "null",
    "ok",
    "or",
    "record",
    "return",
    "self",
    "then",
    "true",
    "type",
    "when",
    "while",
    "import",
    "yield",
    "async",
    // type names and builtins
    "Int",
    "Float",
    "Bool",
    "String",
    "Null",
    "list",
    "map",
    "tuple",
    "result",
    "print",
    "len",
    "append",
    "args",
    "exit",
    "to_string",
    "sort_by",
    "main",
    // names and labels
    "x",
    "y",
    "xs",
    "f",
    "T",
    "Point",
    "Circle",
    "_",
    "@outer",
    // operators and punctuation
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "+=",
    "-=",
    "*=",
    "//=",
    "**=",
    "<<=",
    "&",
    "|",
    "^",
    "~",
    "<<",
    ">>",
    "..",
    "..=",
    "++",
    "|>",
    "??",
    "?.",
    "!",
    "?",
    ".",
    ",",
    ":",
    "->",
    "=>",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "...",
    ";",
    // literals, valid and not
    "0",
    "1",
    "42",
    "-5",
    "9223372036854775807",
    "9223372036854775808",
    "0xff",
    "0b101",
    "1_000",
    "3.14",
    "1e9",
    "2.5e-3",
    "1e999",
    ".5",
    "5.",
    "\"s\"",
    "\"a{x}b\"",
    "\"{}\"",
    "\"\\q\"",
    "\"\\u{1F600}\"",
    "\"unterminated",
    "r\"raw\"",
    "\"{\"{x}\"}\"",
    "#c",
    "é",
    "\u{feff}",
    // line structure
    "\n",
    "\n",
    "\n",
    "\r\n",
    "\t",
];

/// Every `.lm` / `.lm.md` program of the workspace's conformance corpus.
fn corpus() -> &'static [(String, Vec<u8>)] {
    static CORPUS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance");
        let mut files = Vec::new();
        let mut pending: Vec<PathBuf> = vec![root];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = path.to_string_lossy().into_owned();
                if path.is_dir() {
                    pending.push(path);
                } else if (name.ends_with(".lm") || name.ends_with(".lm.md"))
                    && let Ok(bytes) = std::fs::read(&path)
                {
                    files.push((name, bytes));
                }
            }
        }
        files.sort();
        files
    })
}

/// Compiles `bytes` as `path`, failing the property if the compiler panics.
fn compiles_without_panic(path: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let outcome = std::panic::catch_unwind(|| lumen_compiler::compile_file(path, bytes));
    prop_assert!(
        outcome.is_ok(),
        "compiler panicked on {path}:\n{}",
        String::from_utf8_lossy(bytes)
    );
    Ok(())
}

/// One random edit of a program, in characters so the text stays UTF-8.
#[derive(Clone, Debug)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: &'static str },
    Duplicate { at: usize, len: usize },
    SwapLines { a: usize, b: usize },
    Truncate { at: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1..20usize).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), prop::sample::select(TOKENS))
            .prop_map(|(at, token)| Edit::Insert { at, token }),
        (any::<usize>(), 1..40usize).prop_map(|(at, len)| Edit::Duplicate { at, len }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines { a, b }),
        any::<usize>().prop_map(|at| Edit::Truncate { at }),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let pos = |at: usize| if n == 0 { 0 } else { at % (n + 1) };
    let string = |cs: &[char]| cs.iter().collect::<String>();
    match *edit {
        Edit::Delete { at, len } => {
            let a = pos(at);
            let b = (a + len).min(n);
            string(&chars[..a]) + &string(&chars[b..])
        }
        Edit::Insert { at, token } => {
            let a = pos(at);
            string(&chars[..a]) + " " + token + " " + &string(&chars[a..])
        }
        Edit::Duplicate { at, len } => {
            let a = pos(at);
            let b = (a + len).min(n);
            string(&chars[..b]) + &string(&chars[a..])
        }
        Edit::SwapLines { a, b } => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            let k = lines.len();
            lines.swap(a % k, b % k);
            lines.join("\n")
        }
        Edit::Truncate { at } => string(&chars[..pos(at)]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn token_soup_never_panics(
        tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..80),
        spaced in any::<bool>(),
        markdown in any::<bool>(),
    ) {
        let sep = if spaced { " " } else { "" };
        let mut text = tokens.join(sep);
        let path = if markdown {
            text = format!("Prose.\n```lumen\n{text}\n```\n");
            "soup.lm.md"
        } else {
            "soup.lm"
        };
        compiles_without_panic(path, text.as_bytes())?;
    }

    #[test]
    fn soup_inside_a_main_cell_never_panics(
        tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..40),
    ) {
        let text = format!("cell main()\n  {}\nend\n", tokens.join(" "));
        compiles_without_panic("main.lm", text.as_bytes())?;
    }

    #[test]
    fn edited_corpus_programs_never_panic(
        pick in any::<usize>(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let programs = corpus();
        prop_assume!(!programs.is_empty());
        let (path, bytes) = &programs[pick % programs.len()];
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        for e in &edits {
            text = apply(&text, e);
        }
        compiles_without_panic(path, text.as_bytes())?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        compiles_without_panic("bytes.lm", &bytes)?;
    }
}

#[test]
fn corpus_is_found() {
    assert!(
        corpus().len() > 50,
        "expected the conformance corpus, found {} programs",
        corpus().len()
    );
}

#[test]
fn edits_work_on_characters() {
    let text = "cell main()\n  print(\"é\")\nend\n";
    let cases = [
        (
            Edit::Delete { at: 20, len: 3 },
            "cell main()\n  print()\nend\n",
        ),
        (
            Edit::Insert { at: 7, token: "??" },
            "cell ma ?? in()\n  print(\"é\")\nend\n",
        ),
        (
            Edit::Duplicate { at: 5, len: 4 },
            "cell mainmain()\n  print(\"é\")\nend\n",
        ),
        (
            Edit::SwapLines { a: 0, b: 2 },
            "end\n  print(\"é\")\ncell main()\n",
        ),
        (Edit::Truncate { at: 22 }, "cell main()\n  print(\"é"),
    ];
    for (edit, want) in cases {
        assert_eq!(apply(text, &edit), want, "{edit:?}");
    }
}
