//! The command line of the `lumen` binary (language reference §10.1), parsed with clap.
//!
//! Values that clap cannot validate with the exact wording the reference asks for (the
//! tier) are kept as text here and checked by [`Tier::parse`].

use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Execution tier (only `interp`, the bytecode interpreter, exists so far).
    #[arg(
        long,
        env = "LUMEN_TIER",
        default_value = "interp",
        value_name = "TIER"
    )]
    pub tier: String,
    /// Optimisation level 0-3, also written -O0 … -O3 (no effect on the interpreter).
    #[arg(
        short = 'O',
        long = "opt-level",
        env = "LUMEN_OPT_LEVEL",
        value_name = "N",
        value_parser = clap::value_parser!(u8).range(0..=3)
    )]
    pub opt_level: Option<u8>,
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
    /// The form to print.
    pub what: EmitKind,
    /// The program (`.lm` or `.lm.md`).
    pub file: PathBuf,
}

/// The forms `lumen emit` can print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EmitKind {
    /// The LIR text dump of the compiled module.
    Lir,
}

/// An execution tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// The LIR bytecode interpreter (`lumen-rt`).
    Interp,
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
        assert_eq!(r.options.opt_level, Some(2));
        assert_eq!(r.file(), PathBuf::from("p.lm"));
        assert_eq!(r.program_args(), ["a"]);
        let r = run_args(&["run", "--opt-level", "3", "p.lm"]);
        assert_eq!(r.options.opt_level, Some(3));
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
        assert_eq!(
            Tier::parse("jit").unwrap_err().to_string(),
            "unknown tier 'jit'"
        );
    }

    #[test]
    fn emit_takes_a_kind() {
        match parse(&["emit", "lir", "p.lm"]).map(|c| c.command) {
            Ok(Command::Emit(e)) => assert_eq!(e.what, EmitKind::Lir),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse(&["emit", "asm", "p.lm"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn missing_file_is_a_usage_error() {
        assert_eq!(parse(&["run"]).unwrap_err().exit_code(), 2);
        assert_eq!(parse(&["check"]).unwrap_err().exit_code(), 2);
    }
}
