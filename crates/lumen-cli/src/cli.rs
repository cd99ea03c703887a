//! The command line of the `lumen` binary (language reference §10.1), parsed with clap.
//!
//! Values that clap cannot validate with the exact wording the reference asks for (the
//! tier, the JIT threshold) are kept as text here and checked by [`Tier::parse`] and
//! [`parse_threshold`].

use clap::{Args, Parser, Subcommand, ValueEnum};
use lumen_codegen::OptLevel;
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

/// `lumen`: compile and run Lumen programs.
#[derive(Debug, Parser)]
#[command(
    name = "lumen",
    version,
    about = "The Lumen toolchain",
    arg_required_else_help = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile FILE (`.lm` or `.lm.md`) and run its `main` cell; ARGS become `args()`.
    Run(RunArgs),
    /// Compile FILE and report its errors without running it.
    Check(FileArg),
    /// Compile FILE to a native executable or WebAssembly module (no such tier yet).
    Build(BuildArgs),
    /// Print an intermediate form of FILE.
    Emit(EmitArgs),
}

/// Options shared by `run` and `build`; they never change observable behaviour.
#[derive(Debug, Args)]
pub struct ExecOptions {
    /// Execution tier: `interp` (bytecode VM), `jit` (every cell compiled to native code
    /// before `main` runs) or `tiered` (VM plus JIT; see the README for what it does
    /// today).
    #[arg(
        long,
        env = "LUMEN_TIER",
        default_value = "tiered",
        value_name = "TIER"
    )]
    pub tier: String,
    /// Optimisation level.
    #[command(flatten)]
    pub opt: OptArg,
    /// Calls after which the tiered VM compiles a cell (default 100).
    #[arg(long = "jit-threshold", env = "LUMEN_JIT_THRESHOLD", value_name = "N")]
    pub jit_threshold: Option<String>,
}

/// The optimisation level option of `run`, `build` and `emit`.
#[derive(Debug, Args)]
pub struct OptArg {
    /// Optimisation level 0-3, also written -O0 … -O3 (JIT code generation; O1 to O3
    /// also run LIR passes; no effect on the interpreter).
    #[arg(
        short = 'O',
        long = "opt-level",
        env = "LUMEN_OPT_LEVEL",
        value_name = "N",
        value_parser = parse_opt_level
    )]
    pub opt_level: Option<OptLevel>,
}

impl OptArg {
    /// The chosen level, or the default one.
    pub fn level(&self) -> OptLevel {
        self.opt_level.unwrap_or_default()
    }
}

fn parse_opt_level(text: &str) -> Result<OptLevel, lumen_codegen::opt::BadOptLevel> {
    text.parse()
}

/// The JIT threshold named by `--jit-threshold`/`LUMEN_JIT_THRESHOLD` (a decimal count
/// of calls, 0 or more), or the default when absent.
pub fn parse_threshold(text: Option<&str>) -> Result<u32, String> {
    match text {
        None => Ok(lumen_rt::tier::DEFAULT_THRESHOLD),
        Some(t) => t.parse::<u32>().map_err(|_| {
            format!(
                "invalid LUMEN_JIT_THRESHOLD '{t}' (expected a number of calls from 0 to {})",
                u32::MAX
            )
        }),
    }
}

/// Arguments of `lumen run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Tier and optimisation options (before FILE).
    #[command(flatten)]
    pub options: ExecOptions,
    /// FILE, the program (`.lm` or `.lm.md`), then ARGS for the program, passed verbatim
    /// even when they look like options (`--help` included).
    // One positional so that clap stops looking for options at FILE: after the first
    // value of a trailing var-arg, every word is a value.
    #[arg(
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        value_names = ["FILE", "ARGS"],
        value_parser = clap::value_parser!(OsString)
    )]
    pub file_and_args: Vec<OsString>,
}

impl RunArgs {
    /// The program path.
    pub fn file(&self) -> PathBuf {
        self.file_and_args
            .first()
            .map(PathBuf::from)
            .unwrap_or_default()
    }

    /// The program's arguments (lossily UTF-8: `args()` is a `list[String]`).
    pub fn program_args(&self) -> Vec<String> {
        self.file_and_args
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }
}

/// Arguments of `lumen build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Tier and optimisation options (before FILE).
    #[command(flatten)]
    pub options: ExecOptions,
    /// The program (`.lm` or `.lm.md`).
    pub file: PathBuf,
}

/// A single FILE argument.
#[derive(Debug, Args)]
pub struct FileArg {
    /// The program (`.lm` or `.lm.md`).
    pub file: PathBuf,
}

/// Arguments of `lumen emit`.
#[derive(Debug, Args)]
pub struct EmitArgs {
    /// Optimisation level of the printed form.
    #[command(flatten)]
    pub opt: OptArg,
    /// The form to print.
    pub what: EmitKind,
    /// The program (`.lm` or `.lm.md`).
    pub file: PathBuf,
}

/// The forms `lumen emit` can print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EmitKind {
    /// The LIR text dump of the compiled module (after the LIR passes of the level).
    Lir,
    /// The Cranelift IR of every cell, as the JIT generates it.
    Clif,
    /// The host machine code of every cell, after Cranelift's optimisation.
    Asm,
}

/// An execution tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// The LIR bytecode interpreter (`lumen-rt`).
    Interp,
    /// Every cell compiled with Cranelift before `main` runs.
    Jit,
    /// The interpreter with the JIT installed (the default of `lumen run`).
    Tiered,
}

/// A `--tier`/`LUMEN_TIER` value that names no tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownTier(pub String);

impl fmt::Display for UnknownTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown tier '{}'", self.0)
    }
}

impl Tier {
    /// The tier called `name`.
    pub fn parse(name: &str) -> Result<Tier, UnknownTier> {
        match name {
            "interp" => Ok(Tier::Interp),
            "jit" => Ok(Tier::Jit),
            "tiered" => Ok(Tier::Tiered),
            other => Err(UnknownTier(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("lumen").chain(args.iter().copied()))
    }

    fn run_args(args: &[&str]) -> RunArgs {
        match parse(args).map(|c| c.command) {
            Ok(Command::Run(r)) => r,
            other => panic!("not a run command: {other:?}"),
        }
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn program_args_are_verbatim() {
        let r = run_args(&[
            "run", "p.lm", "-x", "--y", "--", "--tier", "z", "", "--help", "-V",
        ]);
        assert_eq!(r.file(), PathBuf::from("p.lm"));
        assert_eq!(
            r.program_args(),
            ["-x", "--y", "--", "--tier", "z", "", "--help", "-V"]
        );
    }

    #[test]
    fn options_precede_file() {
        let r = run_args(&["run", "--tier", "interp", "-O2", "p.lm", "a"]);
        assert_eq!(r.options.tier, "interp");
        assert_eq!(r.options.opt.opt_level, Some(OptLevel::O2));
        assert_eq!(r.file(), PathBuf::from("p.lm"));
        assert_eq!(r.program_args(), ["a"]);
        let r = run_args(&["run", "--opt-level", "3", "p.lm"]);
        assert_eq!(r.options.opt.opt_level, Some(OptLevel::O3));
        assert!(r.program_args().is_empty());
        assert!(parse(&["run", "--bogus", "p.lm"]).is_err());
    }

    #[test]
    fn bad_opt_level_is_a_usage_error() {
        let e = parse(&["run", "-O4", "p.lm"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = parse(&["run", "--opt-level", "x", "p.lm"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn tier_names() {
        assert_eq!(Tier::parse("interp"), Ok(Tier::Interp));
        assert_eq!(Tier::parse("jit"), Ok(Tier::Jit));
        assert_eq!(Tier::parse("tiered"), Ok(Tier::Tiered));
        assert_eq!(
            Tier::parse("native").unwrap_err().to_string(),
            "unknown tier 'native'"
        );
        assert!(Tier::parse("JIT").is_err());
    }

    #[test]
    fn tiered_is_the_default() {
        let r = run_args(&["run", "p.lm"]);
        assert_eq!(r.options.tier, "tiered");
        assert_eq!(r.options.opt.level(), OptLevel::O1);
    }

    #[test]
    fn thresholds() {
        assert_eq!(parse_threshold(None), Ok(100));
        assert_eq!(parse_threshold(Some("0")), Ok(0));
        assert_eq!(parse_threshold(Some("4294967295")), Ok(u32::MAX));
        for bad in ["", "-1", "x", "1.5", " 3", "4294967296"] {
            let e = parse_threshold(Some(bad)).unwrap_err();
            assert!(
                e.starts_with(&format!("invalid LUMEN_JIT_THRESHOLD '{bad}'")),
                "{e}"
            );
        }
        let r = run_args(&["run", "--jit-threshold", "7", "p.lm"]);
        assert_eq!(r.options.jit_threshold.as_deref(), Some("7"));
    }

    #[test]
    fn emit_takes_a_kind() {
        match parse(&["emit", "lir", "p.lm"]).map(|c| c.command) {
            Ok(Command::Emit(e)) => assert_eq!(e.what, EmitKind::Lir),
            other => panic!("{other:?}"),
        }
        match parse(&["emit", "-O3", "clif", "p.lm"]).map(|c| c.command) {
            Ok(Command::Emit(e)) => {
                assert_eq!((e.what, e.opt.level()), (EmitKind::Clif, OptLevel::O3))
            }
            other => panic!("{other:?}"),
        }
        match parse(&["emit", "asm", "p.lm"]).map(|c| c.command) {
            Ok(Command::Emit(e)) => assert_eq!(e.what, EmitKind::Asm),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse(&["emit", "wasm", "p.lm"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn missing_file_is_a_usage_error() {
        assert_eq!(parse(&["run"]).unwrap_err().exit_code(), 2);
        assert_eq!(parse(&["check"]).unwrap_err().exit_code(), 2);
    }
}
