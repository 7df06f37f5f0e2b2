//! Instruction counts from SysTick under QEMU's `-icount shift=0`, where the
//! virtual clock advances 1 ns per executed instruction and SysTick counts
//! that clock. Ticks per instruction are calibrated with a loop of known
//! length instead of assumed from the board's clock.

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;

const RELOAD: u32 = 0x00FF_FFFF;

/// Instructions executed by [`calibration_ticks`]'s loop.
pub const CALIBRATION_INSTRUCTIONS: u32 = 2 * CALIBRATION_ITERATIONS;
const CALIBRATION_ITERATIONS: u32 = 500_000;

/// Starts SysTick counting down from 2^24 - 1 on the processor clock.
pub fn start(syst: &mut SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_counter();
}

/// Runs `work` and returns the SysTick ticks it took (at most 2^24 - 1).
#[inline(always)]
pub fn ticks<T>(work: impl FnOnce() -> T) -> (T, u32) {
    let begin = SYST::get_current();
    let value = work();
    let end = SYST::get_current();
    (value, begin.wrapping_sub(end) & RELOAD)
}

/// Returns the ticks of a loop of exactly [`CALIBRATION_INSTRUCTIONS`]
/// instructions (`subs` and `bne` per iteration).
pub fn calibration_ticks() -> u32 {
    let ((), t) = ticks(|| {
        // SAFETY: a register-only countdown loop.
        unsafe {
            core::arch::asm!(
                "2:",
                "subs {n}, {n}, #1",
                "bne 2b",
                n = inout(reg) CALIBRATION_ITERATIONS => _,
                options(nomem, nostack),
            );
        }
    });
    t
}
