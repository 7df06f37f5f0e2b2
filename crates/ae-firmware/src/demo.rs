//! Building firmware-demo for a generated model, running it in QEMU and
//! reading what it reports over semihosting.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Serialize;
use tracing::info;

use crate::elf::section_sizes;
use crate::error::FirmwareError;
use crate::report::FirmwareReport;

const TARGET: &str = "thumbv7em-none-eabihf";
const SETUP_HINT: &str = "run scripts/setup-firmware.sh";

/// QEMU machine the firmware is linked for and run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Board {
    /// Arm MPS2 with AN386: Cortex-M4F, 4 MiB code memory, 4 MiB RAM.
    Mps2An386,
    /// Netduino Plus 2 (STM32F405): Cortex-M4F, 1 MiB flash, 128 KiB RAM.
    Netduinoplus2,
}

impl Board {
    /// QEMU `-machine` name.
    pub fn machine(self) -> &'static str {
        match self {
            Board::Mps2An386 => "mps2-an386",
            Board::Netduinoplus2 => "netduinoplus2",
        }
    }

    /// Flash and RAM sizes in bytes.
    pub fn memory(self) -> (u64, u64) {
        match self {
            Board::Mps2An386 => (4 << 20, 4 << 20),
            Board::Netduinoplus2 => (1 << 20, 128 << 10),
        }
    }
}

/// Checks that qemu-system-arm and the Rust target are installed.
pub fn check_tools() -> Result<(), FirmwareError> {
    let qemu = Command::new("qemu-system-arm").arg("--version").output();
    if !qemu.is_ok_and(|o| o.status.success()) {
        return Err(FirmwareError::Firmware(format!(
            "qemu-system-arm not found on PATH; {SETUP_HINT}"
        )));
    }
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .map_err(FirmwareError::io("rustc"))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    if !sysroot.join("lib/rustlib").join(TARGET).is_dir() {
        return Err(FirmwareError::Firmware(format!(
            "Rust target {TARGET} is not installed; {SETUP_HINT}"
        )));
    }
    Ok(())
}

/// Builds firmware-demo (release) against the sources in `model_dir` and
/// returns the path of the ELF file.
pub fn build(
    firmware_dir: &Path,
    model_dir: &Path,
    board: Board,
) -> Result<PathBuf, FirmwareError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let target_dir = firmware_dir.join("target");
    let mut command = Command::new(cargo);
    // Run inside the firmware folder so that its .cargo/config.toml applies.
    command
        .current_dir(firmware_dir)
        .args([
            "build",
            "--release",
            "--quiet",
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(&target_dir)
        .env("AE_FIRMWARE_MODEL_DIR", model_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET");
    if board == Board::Netduinoplus2 {
        command.args(["--features", "netduinoplus2"]);
    }
    info!(firmware = %firmware_dir.display(), model = %model_dir.display(), ?board, "building firmware");
    let output = command.output().map_err(FirmwareError::io(firmware_dir))?;
    if !output.status.success() {
        return Err(FirmwareError::Firmware(format!(
            "cargo build of {} failed:\n{}",
            firmware_dir.display(),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(target_dir
        .join(TARGET)
        .join("release")
        .join("firmware-demo"))
}

/// One encoded digit as the firmware reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct DigitLatent {
    /// Index in the MNIST test set.
    pub index: usize,
    /// MNIST label.
    pub label: u8,
    /// SysTick ticks the encode took.
    pub ticks: u64,
    /// Latent code, bit-exact.
    pub values: Vec<f32>,
}

/// Everything the firmware printed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DemoOutput {
    /// Model name from the generated source.
    pub model: String,
    /// "f32" or "int8".
    pub precision: String,
    /// Multiply-adds per encode.
    pub macs: u64,
    /// Instructions and ticks of the calibration loop.
    pub calibration: (u64, u64),
    /// One entry per baked digit.
    pub latents: Vec<DigitLatent>,
    /// Peak stack use in bytes.
    pub stack_peak: u64,
}

impl DemoOutput {
    /// Mean executed instructions per encode, from the SysTick ticks scaled
    /// by the calibration loop (exact under `-icount shift=0`, up to one tick).
    pub fn instructions_per_encode(&self) -> f64 {
        let (instructions, ticks) = self.calibration;
        if ticks == 0 || self.latents.is_empty() {
            return 0.0;
        }
        let mean_ticks =
            self.latents.iter().map(|l| l.ticks as f64).sum::<f64>() / self.latents.len() as f64;
        mean_ticks * instructions as f64 / ticks as f64
    }
}

/// Runs an ELF in QEMU with semihosting and `-icount shift=0`, stopping it
/// after `timeout`, and parses its report. Fails unless QEMU exits 0.
pub fn run(elf: &Path, board: Board, timeout: Duration) -> Result<DemoOutput, FirmwareError> {
    let output = Command::new("timeout")
        .arg(timeout.as_secs().max(1).to_string())
        .arg("qemu-system-arm")
        .args([
            "-machine",
            board.machine(),
            "-cpu",
            "cortex-m4",
            "-nographic",
            "-monitor",
            "none",
        ])
        .args([
            "-semihosting-config",
            "enable=on,target=native",
            "-icount",
            "shift=0",
            "-kernel",
        ])
        .arg(elf)
        .output()
        .map_err(FirmwareError::io("qemu-system-arm"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let tail: String = stdout.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
    match output.status.code() {
        Some(0) => {}
        Some(124) => {
            return Err(FirmwareError::Firmware(format!(
                "QEMU timed out after {timeout:?} running {}; last output: {tail}",
                elf.display()
            )))
        }
        code => {
            return Err(FirmwareError::Firmware(format!(
                "QEMU exited with {code:?} running {}: {}; last output: {tail}",
                elf.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }
    parse(&stdout)
}

/// Parses the firmware's line protocol (see firmware-demo/src/main.rs).
pub fn parse(text: &str) -> Result<DemoOutput, FirmwareError> {
    let bad =
        |line: &str| FirmwareError::Firmware(format!("unexpected firmware output line: {line:?}"));
    let mut out = DemoOutput::default();
    let mut done = false;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .ok_or_else(|| bad(line))
        };
        match fields.first().copied() {
            Some("model") => {
                out.model = fields.get(1).ok_or_else(|| bad(line))?.to_string();
                out.precision = fields.get(2).ok_or_else(|| bad(line))?.to_string();
                out.macs = number(5)?;
            }
            Some("calibration") => out.calibration = (number(1)?, number(2)?),
            Some("latent") => {
                let values = fields[4..]
                    .iter()
                    .map(|h| {
                        u32::from_str_radix(h, 16)
                            .map(f32::from_bits)
                            .map_err(|_| bad(line))
                    })
                    .collect::<Result<Vec<f32>, _>>()?;
                out.latents.push(DigitLatent {
                    index: number(1)? as usize,
                    label: number(2)? as u8,
                    ticks: number(3)?,
                    values,
                });
            }
            Some("stack") => out.stack_peak = number(1)?,
            Some("done") => done = true,
            Some("error") => {
                return Err(FirmwareError::Firmware(format!(
                    "firmware reported: {line}"
                )))
            }
            _ => {}
        }
    }
    if !done {
        return Err(FirmwareError::Firmware(
            "firmware output has no `done` line".into(),
        ));
    }
    Ok(out)
}

/// Builds, runs and measures one firmware variant.
pub fn build_and_run(
    firmware_dir: &Path,
    model_dir: &Path,
    board: Board,
    timeout: Duration,
) -> Result<(DemoOutput, FirmwareReport), FirmwareError> {
    check_tools()?;
    let elf = build(firmware_dir, model_dir, board)?;
    let sections = section_sizes(&elf)?;
    let output = run(&elf, board, timeout)?;
    let report = FirmwareReport::new(board, sections, &output);
    Ok((output, report))
}
