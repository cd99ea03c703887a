//! The global allocator: mimalloc, entered through its plain `malloc`-style functions
//! for the layouts they serve.
//!
//! The `mimalloc` crate's allocator passes every request's alignment to
//! `mi_malloc_aligned`. For a block whose size is not a power of two (a 48-byte
//! `Rc<Str>`, a 24-byte `Vec` header in a record), whenever the page of that size had
//! no free block at hand, mimalloc's aligned path could not prove natural alignment and
//! over-allocated through its generic path: a tenth of the time of a word-counting
//! program went to that path. mimalloc's blocks are multiples of eight bytes from
//! aligned page starts, so plain `mi_malloc` already returns what a layout aligned to
//! eight or less needs; only stricter alignments take the aligned functions.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// Every mimalloc block is aligned to this (its size classes are whole words).
const PLAIN_ALIGN: usize = 8;

/// mimalloc, as described in the module documentation.
pub struct MiMalloc;

// SAFETY: each method forwards to the mimalloc function with the same contract (a
// block of at least `size` bytes aligned to `layout.align()`, or null; `free` of a
// block mimalloc returned); the plain functions are used only when the alignment is
// at most `PLAIN_ALIGN`, which every mimalloc block satisfies.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                libmimalloc_sys::mi_malloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                libmimalloc_sys::mi_zalloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator (the `GlobalAlloc` contract).
        unsafe { libmimalloc_sys::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout` (the `GlobalAlloc`
        // contract); the new block keeps the alignment (see the impl).
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every kind of layout are aligned, zeroed when asked, and keep their
    /// bytes through `realloc`, growing and shrinking.
    #[test]
    fn blocks_meet_their_layouts() {
        let a = MiMalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 3, 7, 8, 12, 24, 40, 48, 56, 100, 1000, 5000, 1 << 20] {
                let layout = Layout::from_size_align(size, align).expect("layout");
                // SAFETY: non-zero sizes; each block is freed with its layout.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    for i in 0..size {
                        p.add(i).write(i as u8);
                    }
                    let grown = size * 3 + 5;
                    let q = a.realloc(p, layout, grown);
                    assert_eq!(q as usize % align, 0, "realloc {size} align {align}");
                    assert!((0..size).all(|i| q.add(i).read() == i as u8));
                    let shrunk = size.div_ceil(2);
                    let r = a.realloc(q, Layout::from_size_align(grown, align).unwrap(), shrunk);
                    assert_eq!(r as usize % align, 0);
                    assert!((0..shrunk).all(|i| r.add(i).read() == i as u8));
                    a.dealloc(r, Layout::from_size_align(shrunk, align).unwrap());

                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!((0..size).all(|i| z.add(i).read() == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
