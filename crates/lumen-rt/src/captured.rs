//! [`Captured`]: an output stream whose bytes can be read back, for embedders (and
//! tests) that run a program and want what it printed (`vm.set_stdout(Box::new(c.clone()))`).

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// A `Write` collecting everything written to it; clones share the same buffer, so the
/// bytes stay readable after the VM that wrote them is gone. It is `Send`, so a clone may
/// be written on another thread (e.g. `run_on_big_stack`).
#[derive(Clone, Debug, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Everything written so far, as text, leaving the buffer empty (and freed).
    pub fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_buffer() {
        let c = Captured::default();
        let mut w = c.clone();
        write!(w, "a{}", 1).unwrap();
        w.write_all(b"\xffz").unwrap();
        assert_eq!(c.text(), "a1\u{fffd}z");
        assert_eq!(c.take(), "a1\u{fffd}z");
        assert_eq!(c.text(), "");
    }
}
