//! Section sizes of a 32-bit little-endian ELF file, for the firmware's
//! flash and RAM figures.

use std::path::Path;

use serde::Serialize;

use crate::error::FirmwareError;

/// Sizes in bytes of the sections cortex-m-rt's linker script emits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SectionSizes {
    /// Reset and exception vectors.
    pub vector_table: u64,
    /// Code.
    pub text: u64,
    /// Constants: weights, layer tables, test digits.
    pub rodata: u64,
    /// Initialised statics (stored in flash, copied to RAM).
    pub data: u64,
    /// Zero-initialised statics.
    pub bss: u64,
    /// Statics left uninitialised.
    pub uninit: u64,
}

impl SectionSizes {
    /// Bytes programmed into flash: vectors, code, constants and the initial
    /// values of `.data`.
    pub fn flash(&self) -> u64 {
        self.vector_table + self.text + self.rodata + self.data
    }

    /// Bytes of RAM taken by statics (`.data`, `.bss`, `.uninit`).
    pub fn static_ram(&self) -> u64 {
        self.data + self.bss + self.uninit
    }
}

/// Reads the section sizes of an ELF32 file.
pub fn section_sizes(path: &Path) -> Result<SectionSizes, FirmwareError> {
    let bytes = std::fs::read(path).map_err(FirmwareError::io(path))?;
    let invalid = |reason: &str| FirmwareError::Firmware(format!("{}: {reason}", path.display()));
    if bytes.len() < 52 || &bytes[..4] != b"\x7fELF" || bytes[4] != 1 || bytes[5] != 1 {
        return Err(invalid("not a 32-bit little-endian ELF file"));
    }

    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let header = (u32_at(0x20), u16_at(0x2E), u16_at(0x30), u16_at(0x32));
    let (Some(shoff), Some(shentsize), Some(shnum), Some(shstrndx)) = header else {
        return Err(invalid("truncated ELF header"));
    };
    let section = |i: usize| -> Option<(usize, usize, usize)> {
        let base = shoff + i * shentsize;
        Some((u32_at(base)?, u32_at(base + 16)?, u32_at(base + 20)?))
    };
    let Some((_, strtab_offset, _)) = section(shstrndx) else {
        return Err(invalid("section name table out of range"));
    };

    let mut sizes = SectionSizes::default();
    for i in 0..shnum {
        let Some((name_offset, _, size)) = section(i) else {
            return Err(invalid("section header out of range"));
        };
        let start = strtab_offset + name_offset;
        let name_bytes = bytes.get(start..).unwrap_or_default();
        let end = name_bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(name_bytes.len());
        let size = size as u64;
        match &name_bytes[..end] {
            b".vector_table" => sizes.vector_table += size,
            b".text" => sizes.text += size,
            b".rodata" => sizes.rodata += size,
            b".data" => sizes.data += size,
            b".bss" => sizes.bss += size,
            b".uninit" => sizes.uninit += size,
            _ => {}
        }
    }
    Ok(sizes)
}
