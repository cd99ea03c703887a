//! Leak and double-free check: every program of the conformance and spec corpora is
//! compiled and run in-process, in the VM and natively, and after everything is dropped
//! the number of live heap blocks must be back where it was. A counting global allocator
//! tracks allocations minus deallocations; a double free shows as a net count below the
//! baseline (or as a crash), a leak as one above it.
//!
//! Programs that end with a runtime error are checked too (and compile-error programs,
//! for the compiler's allocations): the runtime must release
//! everything on the error path (native frames drop their slots, the VM releases its
//! register window).
//!
//! The tests run one at a time (the counter is global). A run that does not net to zero
//! is repeated once: one-time initialisation (the standard streams' buffers, thread
//! bookkeeping) shows up only in the first run, a leak in both.

#[path = "../../../tests/support/corpus.rs"]
mod corpus;
#[path = "../../../tests/support/diff.rs"]
mod diff;

use corpus::{Expected, Program, expected, find_programs, indent, judge};
use libtest_mimic::{Arguments, Failed, Trial};
use lumen_codegen::{JitCompiler, OptLevel};
use lumen_rt::VM;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting live blocks.
struct Counting;

/// Allocations minus deallocations since the start of the process.
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; the counter has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(1, Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(1, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A block moves; the number of live blocks does not change.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How a program is executed.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// The bytecode VM alone.
    Vm,
    /// Every cell compiled at this level before `main` (`--tier jit`; the JIT runs the
    /// LIR passes of O2/O3 first).
    Jit(OptLevel),
    /// Tiered at this `LUMEN_JIT_THRESHOLD` (`--tier tiered`): cells and loops move to
    /// native code as they get hot (on-stack replacement included).
    Tiered(u32),
}

impl Mode {
    fn name(self) -> String {
        match self {
            Mode::Vm => "vm".into(),
            Mode::Jit(level) => format!("jit -{level}"),
            Mode::Tiered(t) => format!("tiered t={t}"),
        }
    }
}

const MODES: [Mode; 6] = [
    Mode::Vm,
    Mode::Jit(OptLevel::O0),
    Mode::Jit(OptLevel::O2),
    Mode::Jit(OptLevel::O3),
    Mode::Tiered(0),
    Mode::Tiered(1),
];

fn main() {
    let mut args = Arguments::from_args();
    // The live-block counter is global: nothing else may allocate during a test.
    args.test_threads = Some(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut trials = Vec::new();
    for (dir, prefix) in [("tests/conformance", ""), ("tests/spec", "spec/")] {
        let corpus = root.join(dir);
        match find_programs(&corpus) {
            Ok(programs) => {
                for mode in MODES {
                    for p in &programs {
                        let (corpus, p) = (corpus.clone(), p.clone());
                        let name = format!("[{}] {prefix}{}", mode.name(), p.name);
                        trials.push(Trial::test(name, move || check(&corpus, &p, mode)));
                    }
                }
            }
            Err(e) => trials.push(Trial::test(
                format!("{prefix}corpus"),
                move || Err(e.into()),
            )),
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Runs `program` in `mode` (again if needed) and fails if blocks stay allocated.
fn check(corpus: &Path, program: &Program, mode: Mode) -> Result<(), Failed> {
    let want = expected(corpus, program)?;
    let path: PathBuf = corpus.join(&program.file);
    let source = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut nets = Vec::new();
    for _ in 0..2 {
        let before = LIVE.load(Ordering::SeqCst);
        run_once(program, mode, &want, source.clone())?;
        let net = LIVE.load(Ordering::SeqCst) - before;
        if net == 0 {
            return Ok(());
        }
        nets.push(net);
    }
    Err(format!(
        "{} ({}): {} heap blocks still live after the run (then {} on a second run); \
         negative means more frees than allocations",
        program.file,
        mode.name(),
        nets[0],
        nets[1]
    )
    .into())
}

/// One complete run: compile, execute with output to a sink, judge the result, drop
/// everything.
fn run_once(program: &Program, mode: Mode, want: &Expected, source: Vec<u8>) -> Result<(), Failed> {
    let out = lumen_rt::Captured::default();
    let (sink, args, stdin, file) = (
        out.clone(),
        want.args.clone(),
        want.stdin.clone(),
        program.file.clone(),
    );
    // Modules hold `Rc`s and deep recursion needs stack: compile and run on a thread of
    // its own with a big stack, and drop everything there. Its thread-local caches
    // (compile contexts, shared one-character strings) go with it: on one long-lived
    // thread they would hold a varying number of blocks from run to run.
    let result = on_own_thread(move || -> Result<(i32, String), String> {
        let module = match lumen_compiler::compile_file(&file, &source) {
            Ok(module) => module,
            // A compile-error test: the compiler's own allocations are checked.
            Err(e) => return Ok((2, e.render(&file, &String::from_utf8_lossy(&source)))),
        };
        let mut vm = build(module, mode).map_err(|e| format!("cannot build: {e}"))?;
        vm.set_args(args);
        vm.set_stdout(Box::new(sink));
        vm.set_stdin(Box::new(std::io::Cursor::new(stdin)));
        Ok(match vm.run_main() {
            Ok(()) => (0, String::new()),
            Err(e) => match e.exit_code() {
                Some(c) => (c, String::new()),
                None => (1, e.render(&file)),
            },
        })
    });
    let (code, err) = result.map_err(|e| format!("{}: {e}", program.file))?;
    let stdout = out.take();
    drop(out);
    // A run that went wrong could leak nothing for the wrong reason.
    let problems = judge(
        want,
        &stdout,
        Some(code),
        &format!("exit {code}"),
        &err,
        diff::diff,
    );
    if problems.is_empty() {
        return Ok(());
    }
    let mut report = format!("{} ({}) ran wrongly\n", program.file, mode.name());
    for p in problems {
        report.push_str(&p);
        report.push('\n');
    }
    if !err.is_empty() {
        report.push_str(&format!("stderr was:\n{}", indent(&err)));
    }
    Err(report.into())
}

/// The VM for `module` in `mode`.
fn build(module: lumen_core::lir::LirModule, mode: Mode) -> Result<VM, String> {
    match mode {
        Mode::Vm => Ok(VM::new(module)),
        Mode::Jit(level) => JitCompiler::with_opt_level(level)
            .compile_module(&module)
            .map_err(|e| e.to_string()),
        Mode::Tiered(threshold) => {
            lumen_codegen::tiered_vm(&module, threshold, OptLevel::O1).map_err(|e| e.to_string())
        }
    }
}

/// Runs `f` on a new thread with the VM's big stack and returns its result.
fn on_own_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let thread = std::thread::Builder::new()
        .stack_size(lumen_rt::BIG_STACK)
        .spawn(f)
        .expect("a thread for the run");
    thread
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}
