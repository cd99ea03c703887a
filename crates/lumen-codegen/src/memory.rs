//! Memory for JIT code ([`PagePool`]): the code and read-only data of a module go into
//! large mappings made once, and each finalised batch of functions is made executable
//! (or read-only) with one `mprotect`. `cranelift_jit`'s own providers map new memory
//! for every batch, and a tiering JIT finalises a batch per hot cell: a system call and
//! the page faults of fresh pages each time.
//!
//! Memory stays W^X: bytes are written only before their batch is finalised, and the
//! next batch starts on a fresh page, never one already made executable.

use cranelift_jit::{BranchProtection, JITMemoryKind, JITMemoryProvider};
use cranelift_module::{ModuleError, ModuleResult};
use region::{Allocation, Protection};
use std::io;

/// The size of one mapping (more when a single allocation needs it).
const CHUNK: usize = 1 << 20;

/// A [`JITMemoryProvider`] handing out memory from large mappings (see the module doc).
/// Like `cranelift_jit`'s providers it leaks its memory when dropped unless
/// `free_memory` was called, so function pointers stay valid.
pub(crate) struct PagePool {
    code: Pool,
    readonly: Pool,
    writable: Pool,
}

impl PagePool {
    /// An empty pool (nothing is mapped before the first allocation).
    pub(crate) fn new() -> PagePool {
        PagePool {
            code: Pool::new(Protection::READ_EXECUTE),
            readonly: Pool::new(Protection::READ),
            writable: Pool::new(Protection::READ_WRITE),
        }
    }
}

// SAFETY: the pool owns its mappings exclusively (`Allocation` is not `Send` only
// because it holds a raw pointer); nothing in it is tied to the thread that made it.
unsafe impl Send for PagePool {}

/// Alignment of every function's code (see [`PagePool::allocate`]).
const CODE_ALIGN: u64 = 32;

impl JITMemoryProvider for PagePool {
    fn allocate(&mut self, size: usize, align: u64, kind: JITMemoryKind) -> io::Result<*mut u8> {
        match kind {
            // Every function starts on a 32-byte boundary. Where a hot function starts
            // decides how its branches fall in the processor's fetch blocks: with the
            // code packed, a smaller cold path in `main` moved fib and made it 30%
            // slower (11.6 -> 15.4 ms). Measured on this 2-core AMD EPYC: 32 bytes
            // gave fib 12.4 ms and nbody 34 ms, 16 bytes 14.3 and 38, 64 bytes 16.8.
            JITMemoryKind::Executable => self.code.allocate(size, align.max(CODE_ALIGN)),
            JITMemoryKind::ReadOnly => self.readonly.allocate(size, align),
            JITMemoryKind::Writable => self.writable.allocate(size, align),
        }
    }

    unsafe fn free_memory(&mut self) {
        self.code.maps.clear();
        self.readonly.maps.clear();
        self.writable.maps.clear();
    }

    fn finalize(&mut self, _: BranchProtection) -> ModuleResult<()> {
        // (x86-64 only: no instruction cache to clear, no branch target protection.)
        self.readonly
            .finalize()
            .and_then(|()| self.code.finalize())
            .map_err(|err| ModuleError::Allocation { err })
    }
}

/// The mappings of one kind of memory.
struct Pool {
    /// Every mapping, the one handed out from last.
    maps: Vec<Allocation>,
    /// Offset in the last mapping of the first byte not handed out.
    pos: usize,
    /// Offset in the last mapping of the first byte not finalised yet (page aligned).
    open: usize,
    /// Ranges of earlier mappings handed out but not finalised yet (address, length).
    pending: Vec<(usize, usize)>,
    /// The protection a finalised range gets.
    finalised: Protection,
}

impl Pool {
    fn new(finalised: Protection) -> Pool {
        Pool {
            maps: Vec::new(),
            pos: 0,
            open: 0,
            pending: Vec::new(),
            finalised,
        }
    }

    fn allocate(&mut self, size: usize, align: u64) -> io::Result<*mut u8> {
        let page = region::page::size();
        let align = usize::try_from(align)
            .ok()
            .filter(|&a| a.is_power_of_two() && a <= page)
            .ok_or_else(|| io::Error::other(format!("JIT alignment {align}")))?;
        if let Some(m) = self.maps.last() {
            let start = self.pos.next_multiple_of(align);
            if start.checked_add(size).is_some_and(|end| end <= m.len()) {
                self.pos = start + size;
                // The start of a mapping is page aligned, so the address is aligned too;
                // `start + size` is inside the mapping.
                return Ok(m.as_ptr::<u8>().wrapping_add(start).cast_mut());
            }
            if self.pos > self.open {
                let at = m.as_ptr::<u8>() as usize + self.open;
                self.pending
                    .push((at, self.pos.next_multiple_of(page) - self.open));
            }
        }
        let len = size.max(CHUNK).next_multiple_of(page);
        let m = region::alloc(len, Protection::READ_WRITE).map_err(io::Error::other)?;
        let p = m.as_ptr::<u8>().cast_mut();
        self.maps.push(m);
        self.open = 0;
        self.pos = size;
        Ok(p)
    }

    /// Gives what was handed out since the last finalisation its final protection; the
    /// next allocation starts on a new page.
    fn finalize(&mut self) -> io::Result<()> {
        let page = region::page::size();
        let mut ranges = std::mem::take(&mut self.pending);
        if let Some(m) = self.maps.last()
            && self.pos > self.open
        {
            let end = self.pos.next_multiple_of(page).min(m.len());
            ranges.push((m.as_ptr::<u8>() as usize + self.open, end - self.open));
            self.pos = end;
            self.open = end;
        }
        if self.finalised == Protection::READ_WRITE {
            return Ok(());
        }
        for (at, len) in ranges {
            // SAFETY: `at..at + len` is whole pages of a live mapping of this pool, all
            // handed out already; nothing writes them after this point.
            unsafe { region::protect(at as *const u8, len, self.finalised) }
                .map_err(io::Error::other)?;
        }
        Ok(())
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Leak what was not freed: native code may still be referenced.
        for m in self.maps.drain(..) {
            std::mem::forget(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_start_on_fresh_pages_and_mappings_are_reused() {
        let page = region::page::size();
        let mut pool = PagePool::new();
        let a = pool.allocate(100, 16, JITMemoryKind::Executable).unwrap();
        let b = pool.allocate(100, 16, JITMemoryKind::Executable).unwrap();
        // Code is aligned to at least `CODE_ALIGN`, whatever the function asks.
        assert_eq!(b as usize, (a as usize + 100).next_multiple_of(32));
        let r = pool.allocate(100, 16, JITMemoryKind::ReadOnly).unwrap();
        let r2 = pool.allocate(100, 16, JITMemoryKind::ReadOnly).unwrap();
        assert_eq!(
            r2 as usize,
            r as usize + 112,
            "data keeps its own alignment"
        );
        pool.finalize(BranchProtection::None).unwrap();
        let c = pool.allocate(10, 16, JITMemoryKind::Executable).unwrap();
        assert_eq!(
            c as usize,
            a as usize + page,
            "a new page of the same mapping"
        );
        assert_eq!(pool.code.maps.len(), 1);
        // The finalised page is executable, the new one still writable.
        let q = region::query(a as *const u8).unwrap();
        assert_eq!(q.protection(), Protection::READ_EXECUTE);
        let q = region::query(c as *const u8).unwrap();
        assert_eq!(q.protection(), Protection::READ_WRITE);
        // An allocation bigger than the rest of a mapping gets a new one.
        let d = pool.allocate(CHUNK, 16, JITMemoryKind::Executable).unwrap();
        assert_eq!(pool.code.maps.len(), 2);
        pool.finalize(BranchProtection::None).unwrap();
        let q = region::query(c as *const u8).unwrap();
        assert_eq!(q.protection(), Protection::READ_EXECUTE);
        let q = region::query(d as *const u8).unwrap();
        assert_eq!(q.protection(), Protection::READ_EXECUTE);
        // SAFETY: no code of this pool is referenced.
        unsafe { pool.free_memory() };
    }
}
