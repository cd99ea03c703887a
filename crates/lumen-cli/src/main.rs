//! `lumen`: the command-line front end of the Lumen toolchain (language reference §10.1).
//!
//! `lumen run [OPTIONS] FILE [ARGS…]`, `lumen check FILE`, `lumen build [OPTIONS] FILE`,
//! `lumen emit lir|clif|asm FILE`. The work runs on a 256 MiB stack
//! (`lumen_rt::run_on_big_stack`); the exit code follows §10.1.

mod alloc;
mod cli;
mod commands;
mod emit;
mod interp;
mod native;

use clap::Parser;

/// Lumen values are many small reference-counted blocks: mimalloc allocates and frees
/// them faster than the system allocator and keeps freed pages instead of returning and
/// faulting them in again (binary_trees −25% under the JIT), at about 0.2 ms more
/// start-up. Built without transparent huge pages (`no_thp`): with them string_build
/// usually ran 25% faster, but a run now and then spent 0.6 s in the kernel compacting
/// memory for them (0.98 s instead of 0.40), most often right after other programs ran.
/// Entered through its plain functions where the layout allows ([`alloc`]).
#[global_allocator]
static GLOBAL: alloc::MiMalloc = alloc::MiMalloc;

fn main() {
    // clap reports its own usage errors on stderr with exit code 2 (help and version: 0).
    let cli = cli::Cli::parse();
    // Deeply nested programs need more native stack than the main thread has; the VM
    // and compiled modules are not `Send`, so everything happens on that stack.
    let code = lumen_rt::run_on_big_stack(move || {
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
    std::process::exit(code);
}
