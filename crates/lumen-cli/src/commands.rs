//! What each `lumen` subcommand does, with exit codes and streams per language
//! reference §10: compile errors and bad command lines exit 2, runtime errors 1,
//! `exit(n)` n; stdout carries only program output and is flushed before stderr.

use crate::cli::{
    BuildArgs, Command, EmitArgs, EmitKind, ExecOptions, RunArgs, Tier, parse_threshold,
};
use crate::{emit, interp, native};
use lumen_core::lir::LirModule;
use std::io::Write;
use std::path::Path;

/// Exit code of a compile error, bad command line or unreadable file.
pub const EXIT_USAGE: i32 = 2;
/// Exit code of a runtime error.
pub const EXIT_RUNTIME: i32 = 1;

/// Where a command writes: `out` is stdout (program output only), `err` stderr.
pub struct Streams<'a> {
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
}

impl Streams<'_> {
    /// Reports `error: <message>` on stderr (after flushing stdout) and gives exit code 2.
    fn usage_error(&mut self, message: impl std::fmt::Display) -> i32 {
        self.fail(&format!("error: {message}\n"), EXIT_USAGE)
    }

    /// Flushes stdout, writes `text` to stderr and gives `code`.
    fn fail(&mut self, text: &str, code: i32) -> i32 {
        // Nothing useful can be done when the streams themselves are gone (closed pipe);
        // the exit code still tells what happened.
        let _ = self.out.flush();
        let _ = self.err.write_all(text.as_bytes());
        let _ = self.err.flush();
        code
    }
}

/// Runs `command` and returns the process exit code.
pub fn execute(command: Command, io: &mut Streams<'_>) -> i32 {
    match command {
        Command::Run(args) => run(args, io),
        Command::Check(args) => match compile(&args.file, io) {
            Ok(_) => 0,
            Err(code) => code,
        },
        Command::Build(args) => build(args, io),
        Command::Emit(args) => emit(args, io),
    }
}

/// `lumen run`: compile and run `main` (the VM prints its non-null result).
fn run(args: RunArgs, io: &mut Streams<'_>) -> i32 {
    let (tier, threshold) = match check_options(&args.options) {
        Ok(checked) => checked,
        Err(message) => return io.usage_error(message),
    };
    let path = args.file();
    let module = match compile(&path, io) {
        Ok(module) => module,
        Err(code) => return code,
    };
    let level = args.options.opt.level();
    let vm = match tier {
        Tier::Interp => Ok(lumen_rt::VM::new(module)),
        Tier::Jit => native::jit_vm(&module, level),
        Tier::Tiered => native::tiered_vm(&module, level, threshold),
    };
    let vm = match vm {
        Ok(vm) => vm,
        // The compiler produced LIR the JIT cannot handle: a toolchain bug, not the
        // program's, but the program cannot run on this tier.
        Err(e) => return io.fail(&format!("error: internal error: {e}\n"), EXIT_RUNTIME),
    };
    let outcome = interp::run_vm(vm, &path.to_string_lossy(), args.program_args());
    match outcome {
        interp::Outcome::Finished => {
            let _ = io.out.flush();
            0
        }
        interp::Outcome::Exit(code) => {
            let _ = io.out.flush();
            code
        }
        interp::Outcome::Failed(text) => io.fail(&text, EXIT_RUNTIME),
    }
}

/// `lumen build`: accepted and compiled, but no tier can write an artifact yet.
fn build(args: BuildArgs, io: &mut Streams<'_>) -> i32 {
    let tier = match check_options(&args.options) {
        Ok((tier, _)) => tier,
        Err(message) => return io.usage_error(message),
    };
    if let Err(code) = compile(&args.file, io) {
        return code;
    }
    let name = match tier {
        Tier::Interp => "interp",
        Tier::Jit => "jit",
        Tier::Tiered => "tiered",
    };
    io.usage_error(format!(
        "tier '{name}' cannot build executables; no ahead-of-time native or WebAssembly tier exists yet"
    ))
}

/// `lumen emit`: print an intermediate form.
fn emit(args: EmitArgs, io: &mut Streams<'_>) -> i32 {
    let mut module = match compile(&args.file, io) {
        Ok(module) => module,
        Err(code) => return code,
    };
    let level = args.opt.level();
    let text = match args.what {
        EmitKind::Lir => {
            lumen_codegen::opt::optimize(&mut module, level);
            emit::lir_text(&module)
        }
        EmitKind::Clif | EmitKind::Asm => {
            let text = if args.what == EmitKind::Clif {
                lumen_codegen::emit_clif(&module, level)
            } else {
                lumen_codegen::emit_asm(&module, level)
            };
            match text {
                Ok(text) => text,
                Err(e) => return io.fail(&format!("error: internal error: {e}\n"), EXIT_RUNTIME),
            }
        }
    };
    let _ = io.out.write_all(text.as_bytes());
    let _ = io.out.flush();
    0
}

/// Validates the tier and the JIT threshold (clap has checked the level).
fn check_options(options: &ExecOptions) -> Result<(Tier, u32), String> {
    let tier = Tier::parse(&options.tier).map_err(|e| e.to_string())?;
    let threshold = parse_threshold(options.jit_threshold.as_deref())?;
    Ok((tier, threshold))
}

/// Reads and compiles `path`; on failure reports the error and gives the exit code.
fn compile(path: &Path, io: &mut Streams<'_>) -> Result<LirModule, i32> {
    let shown = path.to_string_lossy();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return Err(io.usage_error(format!("cannot read '{shown}': {e}"))),
    };
    lumen_compiler::compile_file(&shown, &bytes).map_err(|e| {
        let source = String::from_utf8_lossy(&bytes);
        io.fail(&e.render(&shown, &source), EXIT_USAGE)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{FileArg, OptArg};
    use lumen_codegen::OptLevel;

    fn options(tier: &str, level: Option<OptLevel>, threshold: Option<&str>) -> ExecOptions {
        ExecOptions {
            tier: tier.into(),
            opt: OptArg { opt_level: level },
            jit_threshold: threshold.map(str::to_string),
        }
    }

    /// Runs `command`, returning (exit code, stdout, stderr).
    fn exec(command: Command) -> (i32, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = execute(
            command,
            &mut Streams {
                out: &mut out,
                err: &mut err,
            },
        );
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("lumen-cli-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn unreadable_file_is_exit_2() {
        let (code, out, err) = exec(Command::Check(FileArg {
            file: "/nonexistent/x.lm".into(),
        }));
        assert_eq!(code, 2);
        assert_eq!(out, "");
        assert!(
            err.starts_with("error: cannot read '/nonexistent/x.lm': "),
            "{err}"
        );
    }

    #[test]
    fn unknown_tier_is_exit_2_before_reading() {
        let (code, out, err) = exec(Command::Run(RunArgs {
            options: options("native", None, None),
            file_and_args: vec!["/nonexistent/x.lm".into()],
        }));
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (2, "", "error: unknown tier 'native'\n")
        );
        let (code, _, err) = exec(Command::Run(RunArgs {
            options: options("jit", None, Some("many")),
            file_and_args: vec!["/nonexistent/x.lm".into()],
        }));
        assert_eq!(code, 2);
        assert!(
            err.starts_with("error: invalid LUMEN_JIT_THRESHOLD 'many'"),
            "{err}"
        );
    }

    #[test]
    fn compile_errors_are_rendered_with_the_path() {
        let path = temp_file("bad.lm", "cell main()\n  let x: Int = \"s\"\nend\n");
        let (code, out, err) = exec(Command::Check(FileArg { file: path.clone() }));
        assert_eq!(code, 2);
        assert_eq!(out, "");
        let first = err.lines().next().unwrap_or("");
        assert!(
            first.starts_with(&format!("{}:2:", path.display())) && first.contains(": error: "),
            "{err}"
        );
    }

    #[test]
    fn runtime_error_goes_to_stderr_with_exit_1() {
        let path = temp_file("halt.lm", "cell main()\n  halt \"boom\"\nend\n");
        for tier in ["interp", "jit", "tiered"] {
            let (code, out, err) = exec(Command::Run(RunArgs {
                options: options(tier, Some(OptLevel::O3), Some("0")),
                file_and_args: vec![path.clone().into()],
            }));
            assert_eq!(code, 1, "{tier}");
            assert_eq!(out, "");
            assert_eq!(
                err,
                format!("error: boom\n  at main ({}:2:3)\n", path.display()),
                "{tier}"
            );
        }
    }

    #[test]
    fn emit_clif_prints_every_cell() {
        let path = temp_file(
            "clif.lm",
            "cell sq(n: Int) -> Int\n  n * n\nend\ncell main()\n  print(sq(3))\nend\n",
        );
        let (code, out, err) = exec(Command::Emit(EmitArgs {
            opt: OptArg { opt_level: None },
            what: EmitKind::Clif,
            file: path,
        }));
        assert_eq!((code, err.as_str()), (0, ""));
        // `n * n` is an overflow-checked multiplication of the unboxed Int parameter.
        assert!(out.contains("; cell 0: sq\n"), "{out}");
        assert!(out.contains("smul_overflow.i64"), "{out}");
        assert!(out.contains("; cell 1: main\n"), "{out}");
    }

    #[test]
    fn emit_asm_prints_machine_code_of_every_cell() {
        let path = temp_file(
            "asm.lm",
            "cell sq(n: Int) -> Int\n  n * n\nend\ncell main()\n  print(sq(3))\nend\n",
        );
        let (code, out, err) = exec(Command::Emit(EmitArgs {
            opt: OptArg { opt_level: None },
            what: EmitKind::Asm,
            file: path,
        }));
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(out.contains("; cell 0: sq\n"), "{out}");
        assert!(out.contains("; cell 1: main\n"), "{out}");
        // Machine code, not Cranelift IR.
        assert!(!out.contains("smul_overflow"), "{out}");
        assert!(out.contains("ret"), "{out}");
    }

    #[test]
    fn check_accepts_a_valid_program() {
        let path = temp_file("fine.lm", "cell main()\n  halt \"not run\"\nend\n");
        let (code, out, err) = exec(Command::Check(FileArg { file: path }));
        assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    }

    #[test]
    fn build_needs_a_native_tier() {
        let path = temp_file("ok.lm", "cell main()\n  print(1)\nend\n");
        let (code, out, err) = exec(Command::Build(BuildArgs {
            options: options("interp", Some(OptLevel::O1), None),
            file: path,
        }));
        assert_eq!(code, 2);
        assert_eq!(out, "");
        assert!(
            err.starts_with("error: tier 'interp' cannot build"),
            "{err}"
        );
    }
}
