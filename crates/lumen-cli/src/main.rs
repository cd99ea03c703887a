//! `lumen`: the command-line front end of the Lumen toolchain (language reference §10.1).
//!
//! `lumen run [OPTIONS] FILE [ARGS…]`, `lumen check FILE`, `lumen build [OPTIONS] FILE`,
//! `lumen emit lir FILE`. The work runs on a big-stack thread; the exit code follows §10.1.

mod cli;
mod commands;
mod emit;
mod interp;
mod stack;

use clap::Parser;

fn main() {
    // clap reports its own usage errors on stderr with exit code 2 (help and version: 0).
    let cli = cli::Cli::parse();
    let code = stack::run_on_big_stack(move || {
        let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
        let (mut out, mut err) = (stdout.lock(), stderr.lock());
        commands::execute(
            cli.command,
            &mut commands::Streams {
                out: &mut out,
                err: &mut err,
            },
        )
    });
    let code = code.unwrap_or_else(|e| {
        eprintln!("error: cannot start the interpreter thread: {e}");
        commands::EXIT_USAGE
    });
    std::process::exit(code);
}
