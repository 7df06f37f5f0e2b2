//! Stack high-water mark: fill the unused stack with a pattern at start-up
//! and find the lowest overwritten word at the end.

use core::ptr::{addr_of, addr_of_mut, read_volatile, write_volatile};

const PATTERN: u32 = 0x5AA5_C33C;

/// Bytes left unpainted below the current stack pointer, so that painting
/// does not overwrite the frame that paints. They count as used.
const GUARD: usize = 256;

extern "C" {
    // Both symbols come from cortex-m-rt's link.x: the stack grows down from
    // _stack_start to _stack_end, the end of .bss.
    static mut _stack_end: u32;
    static _stack_start: u32;
}

/// Fills the stack between the end of .bss and the current stack pointer,
/// less a guard, with the pattern.
pub fn paint() {
    let sp = cortex_m::register::msp::read() as usize;
    // SAFETY: the words between _stack_end and sp - GUARD belong to no live
    // object: they are the not yet used part of the stack.
    unsafe {
        let mut word = addr_of_mut!(_stack_end);
        let limit = (sp - GUARD) as *mut u32;
        while word < limit {
            write_volatile(word, PATTERN);
            word = word.add(1);
        }
    }
}

/// Returns the most stack bytes used since [`paint`], counting the guard.
pub fn peak_bytes() -> usize {
    // SAFETY: reads words of the stack region only, below the live frames.
    unsafe {
        let top = addr_of!(_stack_start) as usize;
        let mut word = addr_of!(_stack_end);
        while (word as usize) < top && read_volatile(word) == PATTERN {
            word = word.add(1);
        }
        top - word as usize
    }
}
