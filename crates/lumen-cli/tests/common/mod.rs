//! Shared by the integration tests: running the real `lumen` binary with a time limit,
//! and showing how its output differs from what was expected.
#![allow(dead_code)] // each test binary uses its own subset

#[path = "../../../../tests/support/diff.rs"]
mod diff;
#[allow(unused_imports)] // not every test binary shows diffs
pub use diff::diff;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a single `lumen` invocation may take before it counts as hung.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// Exit code; `None` when killed by a signal or the time limit.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub timed_out: bool,
}

impl Run {
    /// stdout as text (lossy: a test comparing text shows bad bytes as U+FFFD).
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    /// stderr as text.
    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    /// The exit status as words, for failure messages.
    pub fn status(&self) -> String {
        match (self.code, self.timed_out) {
            (_, true) => format!("killed after {}s", TIMEOUT.as_secs()),
            (Some(c), _) => format!("exit {c}"),
            (None, _) => "killed by a signal".to_string(),
        }
    }
}

/// A `lumen` invocation being set up.
pub struct Lumen {
    cmd: Command,
    stdin: Vec<u8>,
}

/// `lumen ARGS…` run in `cwd`, with the tier and optimisation variables cleared so the
/// caller's environment cannot change results.
pub fn lumen<I, S>(cwd: &Path, args: I) -> Lumen
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lumen"));
    cmd.current_dir(cwd)
        .args(args)
        .env_remove("LUMEN_TIER")
        .env_remove("LUMEN_OPT_LEVEL")
        .env_remove("LUMEN_JIT_THRESHOLD");
    Lumen {
        cmd,
        stdin: Vec::new(),
    }
}

impl Lumen {
    /// Sets an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Lumen {
        self.cmd.env(key, value);
        self
    }

    /// Sets the bytes fed to stdin (default: none, then end of file).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Lumen {
        self.stdin = bytes.into();
        self
    }

    /// Runs to completion or to [`TIMEOUT`]; `Err` if the process could not be started.
    pub fn run(mut self) -> Result<Run, String> {
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self
            .cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", env!("CARGO_BIN_EXE_lumen")))?;
        let input = self.stdin;
        let mut stdin = child.stdin.take();
        // A program that stops reading early closes the pipe; that is not a failure.
        let feeder = std::thread::spawn(move || {
            if let Some(pipe) = stdin.as_mut() {
                let _ = pipe.write_all(&input);
            }
        });
        let out_reader = reader(child.stdout.take());
        let err_reader = reader(child.stderr.take());
        let start = Instant::now();
        let (code, timed_out) = loop {
            match child.try_wait() {
                Ok(Some(status)) => break (status.code(), false),
                Ok(None) if start.elapsed() > TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break (None, true);
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => return Err(format!("waiting for lumen: {e}")),
            }
        };
        let _ = feeder.join();
        Ok(Run {
            code,
            stdout: out_reader.join().unwrap_or_default(),
            stderr: err_reader.join().unwrap_or_default(),
            timed_out,
        })
    }
}

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}
