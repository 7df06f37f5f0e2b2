//! Encodes MNIST test digits with a generated encoder on a Cortex-M4 under
//! QEMU and prints, over semihosting, one line per fact:
//!
//! ```text
//! model NAME PRECISION INPUT_LEN OUTPUT_LEN MACS
//! calibration INSTRUCTIONS TICKS
//! latent INDEX LABEL TICKS BITS...    (f32 values as 8 hex digits each)
//! stack PEAK_BYTES
//! done
//! ```
//!
//! It exits with status 0 after `done`, and 1 after a panic or a HardFault.

#![no_std]
#![no_main]

mod stack;
mod timing;

#[allow(clippy::all, dead_code)]
mod model {
    include!(concat!(env!("AE_FIRMWARE_GENERATED"), "/model.rs"));
}

#[allow(clippy::all, dead_code)]
mod digits {
    include!(concat!(env!("AE_FIRMWARE_GENERATED"), "/digits.rs"));
}

use core::panic::PanicInfo;
use core::ptr::addr_of_mut;
use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprint, hprintln};

// Zero-initialised, so they live in .bss and count towards RAM, not flash.
static mut INPUT: [f32; model::INPUT_LEN] = [0.0; model::INPUT_LEN];
static mut OUTPUT: [f32; model::OUTPUT_LEN] = [0.0; model::OUTPUT_LEN];
static mut SCRATCH: model::Scratch = model::SCRATCH_INIT;

#[entry]
fn main() -> ! {
    stack::paint();

    let Some(mut peripherals) = cortex_m::Peripherals::take() else {
        fail("core peripherals already taken");
    };
    timing::start(&mut peripherals.SYST);

    // SAFETY: main never returns and is the only code that touches these
    // statics, so each mutable reference is unique.
    let (input, output, scratch) = unsafe {
        (
            &mut *addr_of_mut!(INPUT),
            &mut *addr_of_mut!(OUTPUT),
            &mut *addr_of_mut!(SCRATCH),
        )
    };

    hprintln!(
        "model {} {} {} {} {}",
        model::MODEL_NAME,
        model::PRECISION,
        model::INPUT_LEN,
        model::OUTPUT_LEN,
        model::MACS
    );
    hprintln!(
        "calibration {} {}",
        timing::CALIBRATION_INSTRUCTIONS,
        timing::calibration_ticks()
    );

    for (index, (pixels, label)) in digits::DIGITS.iter().zip(digits::LABELS.iter()).enumerate() {
        for (x, &p) in input.iter_mut().zip(pixels.iter()) {
            *x = p as f32 / 255.0;
        }
        let (result, ticks) = timing::ticks(|| model::encode(input, output, scratch));
        if let Err(error) = result {
            hprintln!("error {}", error);
            fail("encode failed");
        }
        hprint!("latent {} {} {}", index, label, ticks);
        for value in output.iter() {
            hprint!(" {:08x}", value.to_bits());
        }
        hprintln!("");
    }

    hprintln!("stack {}", stack::peak_bytes());
    hprintln!("done");
    debug::exit(debug::EXIT_SUCCESS);
    halt()
}

fn fail(message: &str) -> ! {
    hprintln!("error {}", message);
    debug::exit(debug::EXIT_FAILURE);
    halt()
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("error hardfault at pc {:#010x}", frame.pc());
    debug::exit(debug::EXIT_FAILURE);
    halt()
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    hprintln!("error panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    halt()
}

/// Sleeps forever. Only reached if the semihosting exit call returns, which
/// happens when no debugger or emulator handles it.
fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
