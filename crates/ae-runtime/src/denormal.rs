//! Subnormal (denormal) float handling of the calling thread: flush-to-zero (FTZ) and
//! denormals-are-zero (DAZ).
//!
//! Arithmetic that reads or produces a subnormal float (magnitude below `f32::MIN_POSITIVE`,
//! about 1.18e-38) can take many times longer than normal arithmetic on x86_64 CPUs. Trained
//! weights contain such values, for example weights that weight decay pushed towards zero. With
//! DAZ set the CPU reads subnormal inputs as zero, and with FTZ set it writes zero in place of a
//! subnormal result, so every operation runs at full speed. Both change results only by values
//! smaller than 1.18e-38.
//!
//! The switches are bits 6 (DAZ) and 15 (FTZ) of the x86_64 `MXCSR` register, which every thread
//! has its own copy of. [`DenormalGuard`] sets or clears them on the calling thread and restores
//! the previous value when dropped.
//!
//! NOTE: on targets other than x86_64 the guard does nothing and [`SUPPORTED`] is false, so
//! subnormals keep their IEEE 754 meaning there (aarch64's FPCR.FZ bit is not used yet).

use std::cell::Cell;
use std::marker::PhantomData;

use crate::{Result, Runtime, RuntimeKind, Tensor, TensorInfo};

/// `MXCSR` bit 6: read subnormal inputs as zero.
#[cfg(target_arch = "x86_64")]
const MXCSR_DAZ: u32 = 1 << 6;

/// `MXCSR` bit 15: write zero in place of subnormal results.
#[cfg(target_arch = "x86_64")]
const MXCSR_FTZ: u32 = 1 << 15;

/// Whether [`DenormalGuard`] can change subnormal handling on this target.
pub const SUPPORTED: bool = cfg!(target_arch = "x86_64");

/// The calling thread's subnormal handling as it was before the guard changed it; dropping the
/// guard restores it.
///
/// The guard is neither `Send` nor `Sync`, because the state it saved belongs to the thread that
/// created it.
#[must_use = "the previous mode is restored as soon as the guard is dropped"]
pub struct DenormalGuard {
    saved: u32,
    _thread_bound: PhantomData<*const ()>,
}

impl DenormalGuard {
    /// Sets FTZ and DAZ on the calling thread until the guard is dropped, so that subnormal
    /// inputs and results become zero.
    pub fn flush() -> DenormalGuard {
        let saved = read_control();
        write_control(with_flush(saved, true));
        DenormalGuard::restoring(saved)
    }

    /// Clears FTZ and DAZ on the calling thread until the guard is dropped, so that subnormals
    /// are computed as IEEE 754 specifies.
    pub fn keep() -> DenormalGuard {
        let saved = read_control();
        write_control(with_flush(saved, false));
        DenormalGuard::restoring(saved)
    }

    /// Saves the calling thread's mode without changing it, to undo a library call that changes
    /// it (ONNX Runtime sets FTZ and DAZ on the thread that creates its first session).
    pub fn preserve() -> DenormalGuard {
        DenormalGuard::restoring(read_control())
    }

    /// Sets the mode that `flush` names: [`DenormalGuard::flush`] when true, else
    /// [`DenormalGuard::keep`].
    pub fn set(flush: bool) -> DenormalGuard {
        if flush {
            DenormalGuard::flush()
        } else {
            DenormalGuard::keep()
        }
    }

    fn restoring(saved: u32) -> DenormalGuard {
        DenormalGuard {
            saved,
            _thread_bound: PhantomData,
        }
    }
}

impl Drop for DenormalGuard {
    fn drop(&mut self) {
        write_control(self.saved);
    }
}

/// Reports whether the calling thread flushes subnormals, that is whether both FTZ and DAZ are
/// set. Always false where [`SUPPORTED`] is false.
pub fn is_flushing() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let flags = MXCSR_FTZ | MXCSR_DAZ;
        read_control() & flags == flags
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Runs `run` with subnormals flushed on the calling thread and on the threads of the current
/// rayon pool, over which candle's CPU kernels split convolutions and matrix products.
///
/// The pool's threads keep their own `MXCSR`. They get FTZ and DAZ once per calling thread and
/// keep them afterwards, because restoring them after every run would wait for every pool
/// thread to be scheduled, which takes milliseconds on a loaded machine. Inside a one-thread
/// pool the work stays on the calling thread, so the pool is left alone.
pub(crate) fn flush_on_rayon_pool<T>(run: impl FnOnce() -> T) -> T {
    let _guard = DenormalGuard::flush();
    let inside_single_thread_pool =
        rayon::current_thread_index().is_some() && rayon::current_num_threads() == 1;
    if SUPPORTED && !inside_single_thread_pool && !POOL_FLUSHED.get() {
        rayon::broadcast(|_| write_control(with_flush(read_control(), true)));
        POOL_FLUSHED.set(true);
    }
    run()
}

thread_local! {
    /// Whether this thread already set FTZ and DAZ on its rayon pool's threads. A thread always
    /// reaches the same pool: its own if it is a pool thread, else the global pool.
    static POOL_FLUSHED: Cell<bool> = const { Cell::new(false) };
}

/// A runtime whose runs flush subnormals, which [`crate::load`] returns when
/// [`crate::LoadOptions::flush_denormals`] is set.
pub(crate) struct FlushingRuntime {
    inner: Box<dyn Runtime>,
}

impl FlushingRuntime {
    pub(crate) fn new(inner: Box<dyn Runtime>) -> FlushingRuntime {
        FlushingRuntime { inner }
    }
}

impl Runtime for FlushingRuntime {
    fn kind(&self) -> RuntimeKind {
        self.inner.kind()
    }

    fn version(&self) -> String {
        self.inner.version()
    }

    fn device(&self) -> String {
        self.inner.device()
    }

    fn inputs(&self) -> &[TensorInfo] {
        self.inner.inputs()
    }

    fn outputs(&self) -> &[TensorInfo] {
        self.inner.outputs()
    }

    /// Runs the graph with FTZ and DAZ set on the calling thread. candle also gets them on its
    /// rayon threads, and ONNX Runtime's intra-op threads get them from the session option
    /// `session.set_denormal_as_zero`.
    fn run(&mut self, input: &Tensor) -> Result<Vec<Tensor>> {
        match self.inner.kind() {
            RuntimeKind::Candle | RuntimeKind::CandleOnnx => {
                flush_on_rayon_pool(|| self.inner.run(input))
            }
            RuntimeKind::Tract | RuntimeKind::Ort | RuntimeKind::Native => {
                let _guard = DenormalGuard::flush();
                self.inner.run(input)
            }
        }
    }
}

/// Returns `control` with FTZ and DAZ both set or both cleared.
fn with_flush(control: u32, flush: bool) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if flush {
            control | MXCSR_FTZ | MXCSR_DAZ
        } else {
            control & !(MXCSR_FTZ | MXCSR_DAZ)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = flush;
        control
    }
}

#[cfg(target_arch = "x86_64")]
fn read_control() -> u32 {
    let mut control: u32 = 0;
    // SAFETY: `stmxcsr` stores the 32-bit MXCSR register to the given address, which points to a
    // live, writable u32. Every x86_64 CPU has SSE, hence MXCSR.
    unsafe {
        std::arch::asm!(
            "stmxcsr [{}]",
            in(reg) &mut control,
            options(nostack, preserves_flags)
        );
    }
    control
}

#[cfg(target_arch = "x86_64")]
fn write_control(control: u32) {
    // SAFETY: `ldmxcsr` loads MXCSR from a live u32. Callers pass a value read from MXCSR with
    // only the FTZ and DAZ bits changed, so no reserved bit is set and no fault is raised.
    unsafe {
        std::arch::asm!(
            "ldmxcsr [{}]",
            in(reg) &control,
            options(nostack, preserves_flags, readonly)
        );
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn read_control() -> u32 {
    0
}

#[cfg(not(target_arch = "x86_64"))]
fn write_control(_control: u32) {}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// The smallest positive subnormal f32, 2^-149.
    const SMALLEST_SUBNORMAL: f32 = 1.0e-45;

    /// Multiplies through `black_box`, so that the product is computed at run time under the
    /// thread's current mode and not folded by the compiler.
    fn product(a: f32, b: f32) -> f32 {
        std::hint::black_box(a) * std::hint::black_box(b)
    }

    #[test]
    fn flush_zeroes_results_and_inputs() {
        let _keep = DenormalGuard::keep();
        // 2^-126 * 2^-10 = 2^-136, a subnormal result.
        assert_eq!(product(f32::MIN_POSITIVE, 1.0 / 1024.0), 2f32.powi(-136));
        assert_eq!(product(SMALLEST_SUBNORMAL, 2.0), 2.0 * SMALLEST_SUBNORMAL);

        let guard = DenormalGuard::flush();
        assert!(is_flushing());
        assert_eq!(product(f32::MIN_POSITIVE, 1.0 / 1024.0), 0.0);
        assert_eq!(product(SMALLEST_SUBNORMAL, 2.0f32.powi(30)), 0.0);
        assert_eq!(product(1.5, 2.0), 3.0);

        drop(guard);
        assert!(!is_flushing());
        assert_eq!(product(f32::MIN_POSITIVE, 1.0 / 1024.0), 2f32.powi(-136));
    }

    #[test]
    fn guards_restore_in_nesting_order() {
        let _outer = DenormalGuard::keep();
        {
            let _flush = DenormalGuard::flush();
            {
                let _keep = DenormalGuard::keep();
                assert!(!is_flushing());
            }
            assert!(is_flushing());
            {
                let _preserve = DenormalGuard::preserve();
                write_control(with_flush(read_control(), false));
            }
            assert!(is_flushing());
        }
        assert!(!is_flushing());
    }

    #[test]
    fn rayon_flush_reaches_every_worker() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        assert_eq!(pool.broadcast(|_| is_flushing()), [false, false, false]);

        let seen = pool.install(|| flush_on_rayon_pool(|| rayon::broadcast(|_| is_flushing())));
        assert_eq!(seen, [true, true, true]);

        // The calling pool thread is restored, and the other threads keep flushing.
        let after = pool.install(|| (rayon::current_thread_index(), is_flushing()));
        let states = pool.broadcast(|_| is_flushing());
        let flushing = states.iter().filter(|&&state| state).count();
        assert!(after.0.is_some());
        assert_eq!(flushing, 2, "{states:?}");
    }

    #[test]
    fn rayon_flush_single_thread_pool() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let inside = pool.install(|| flush_on_rayon_pool(is_flushing));
        assert!(inside);
        assert!(!pool.install(is_flushing));
    }
}
