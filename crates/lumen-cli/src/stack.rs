//! Running the toolchain on a thread with a big native stack.
//!
//! The interpreter allows 10,000 nested Lumen calls and the compiler recurses over deeply
//! nested source; the main thread's default stack is too small for either, so the whole
//! command runs on a thread of its own.

/// Stack size of the worker thread. Pages are only committed when touched.
const STACK_BYTES: usize = 512 << 20;

/// Runs `f` on a thread with a [`STACK_BYTES`] stack and returns its result, or the error
/// of creating the thread. A panic in `f` is a toolchain bug: it is re-raised here
/// unchanged, so the default hook has already reported it and the process fails as for
/// any panic.
pub fn run_on_big_stack<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> std::io::Result<R> {
    let handle = std::thread::Builder::new()
        .name("lumen".into())
        .stack_size(STACK_BYTES)
        .spawn(f)?;
    match handle.join() {
        Ok(r) => Ok(r),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_recursion_fits() {
        fn depth(n: u64) -> u64 {
            // A frame with some weight, as the interpreter's would have.
            let pad = std::hint::black_box([n; 64]);
            if n == 0 {
                pad[0]
            } else {
                depth(n - 1) + pad[1] - n + 1
            }
        }
        assert_eq!(run_on_big_stack(|| depth(200_000)).unwrap(), 200_000);
    }
}
