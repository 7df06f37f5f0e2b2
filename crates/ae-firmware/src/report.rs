//! The measured size and cost of one firmware build, as written to JSON for
//! docs/FIRMWARE.md and the benchmark tool.

use serde::Serialize;

use crate::demo::{Board, DemoOutput};
use crate::elf::SectionSizes;

/// Measured size and cost of one firmware build, for docs/FIRMWARE.md and
/// the benchmark tool.
#[derive(Clone, Debug, Serialize)]
pub struct FirmwareReport {
    /// Model name.
    pub model: String,
    /// "f32" or "int8".
    pub precision: String,
    /// QEMU machine.
    pub board: Board,
    /// ELF section sizes.
    pub sections: SectionSizes,
    /// Flash bytes (vectors + .text + .rodata + .data).
    pub flash_bytes: u64,
    /// Flash bytes less the baked test digits (784 pixels + 1 label each).
    pub flash_bytes_without_digits: u64,
    /// RAM bytes: statics plus peak stack.
    pub ram_bytes: u64,
    /// Peak stack bytes.
    pub stack_peak_bytes: u64,
    /// Mean executed instructions per encode.
    pub instructions_per_encode: f64,
    /// Multiply-adds per encode.
    pub macs: u64,
    /// Instructions per multiply-add, all layers together.
    pub instructions_per_mac: f64,
    /// Digits encoded.
    pub digits: usize,
}

impl FirmwareReport {
    /// Combines the ELF sizes with the run's output.
    pub fn new(board: Board, sections: SectionSizes, output: &DemoOutput) -> Self {
        let digits = output.latents.len();
        let instructions = output.instructions_per_encode();
        FirmwareReport {
            model: output.model.clone(),
            precision: output.precision.clone(),
            board,
            flash_bytes: sections.flash(),
            flash_bytes_without_digits: sections.flash().saturating_sub(digits as u64 * 785),
            ram_bytes: sections.static_ram() + output.stack_peak,
            stack_peak_bytes: output.stack_peak,
            instructions_per_encode: instructions,
            macs: output.macs,
            instructions_per_mac: if output.macs > 0 {
                instructions / output.macs as f64
            } else {
                0.0
            },
            digits,
            sections,
        }
    }
}
