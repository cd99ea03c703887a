//! Feeds arbitrary bytes to the compiler as a `.lm` file: it must report errors, never
//! panic (invalid UTF-8 included).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lumen_compiler::compile_file("fuzz.lm", data);
});
