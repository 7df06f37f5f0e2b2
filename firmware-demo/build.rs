//! Writes the linker memory map for the selected board into OUT_DIR and
//! points the firmware at the generated model tables.

use std::env;
use std::fs;
use std::path::PathBuf;

/// QEMU mps2-an386: 4 MiB code memory at 0x0, 4 MiB RAM at 0x20000000.
const MPS2_AN386: &str = "MEMORY
{
  FLASH : ORIGIN = 0x00000000, LENGTH = 4M
  RAM : ORIGIN = 0x20000000, LENGTH = 4M
}
";

/// QEMU netduinoplus2 (STM32F405): 1 MiB flash, 128 KiB SRAM.
const NETDUINOPLUS2: &str = "MEMORY
{
  FLASH : ORIGIN = 0x08000000, LENGTH = 1M
  RAM : ORIGIN = 0x20000000, LENGTH = 128K
}
";

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts"));
    let memory = if env::var_os("CARGO_FEATURE_NETDUINOPLUS2").is_some() {
        NETDUINOPLUS2
    } else {
        MPS2_AN386
    };
    fs::write(out.join("memory.x"), memory).expect("failed to write memory.x into OUT_DIR");
    println!("cargo:rustc-link-search={}", out.display());
    // Without -Tlink.x here, a RUSTFLAGS override drops cortex-m-rt's linker
    // script and the linker emits an ELF with no vector table.
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    println!("cargo:rerun-if-changed=build.rs");

    println!("cargo:rerun-if-env-changed=AE_FIRMWARE_MODEL_DIR");
    let Some(dir) = env::var_os("AE_FIRMWARE_MODEL_DIR") else {
        panic!(
            "AE_FIRMWARE_MODEL_DIR is not set: run `ae-export firmware --model ENCODER.onnx --out DIR` \
             and build with AE_FIRMWARE_MODEL_DIR=DIR"
        );
    };
    let dir = fs::canonicalize(&dir).unwrap_or_else(|e| {
        panic!(
            "AE_FIRMWARE_MODEL_DIR {}: {e}",
            PathBuf::from(&dir).display()
        )
    });
    for file in ["model.rs", "digits.rs"] {
        let path = dir.join(file);
        if !path.is_file() {
            panic!(
                "{} not found: run `ae-export firmware` with --out {}",
                path.display(),
                dir.display()
            );
        }
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rustc-env=AE_FIRMWARE_GENERATED={}", dir.display());
}
