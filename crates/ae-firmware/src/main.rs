//! `ae-export`: turns an encoder ONNX file into Cortex-M4 firmware sources,
//! and builds and measures that firmware in QEMU.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ae_firmware::demo::{build_and_run, Board};
use ae_firmware::export::{default_firmware_dir, export_firmware, ExportOptions};
use ae_firmware::Calibration;
use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Export encoders for the Cortex-M4 firmware.
#[derive(Parser)]
#[command(name = "ae-export", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write model.rs and digits.rs for firmware-demo from an encoder ONNX file.
    Firmware(FirmwareArgs),
    /// Generate, build firmware-demo, run it in QEMU and report flash, RAM and
    /// instructions per encode.
    FirmwareMeasure {
        #[command(flatten)]
        export: FirmwareArgs,
        /// QEMU machine to link for and run on.
        #[arg(long, value_enum, default_value_t = BoardArg::Mps2An386)]
        board: BoardArg,
        /// firmware-demo folder [default: the one in this repository]
        #[arg(long)]
        firmware_dir: Option<PathBuf>,
        /// Seconds before QEMU is stopped.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
}

#[derive(Args)]
struct FirmwareArgs {
    /// Encoder ONNX file (Gemm/MatMul/Conv layers with Relu, Add, Flatten, Reshape).
    #[arg(long)]
    model: PathBuf,
    /// Output folder for the generated sources (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Quantize weights and activations to int8.
    #[arg(long)]
    int8: bool,
    /// MNIST folder whose training images calibrate the int8 activation ranges.
    #[arg(long, default_value = "data/mnist")]
    calibration: PathBuf,
    /// Number of training images for int8 calibration.
    #[arg(long, default_value_t = 1000)]
    calibration_images: usize,
    /// MNIST folder whose first test images are baked into the firmware.
    #[arg(long, default_value = "data/mnist")]
    test_data: PathBuf,
    /// Number of test digits to bake into the firmware.
    #[arg(long, default_value_t = 100)]
    digits: usize,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum BoardArg {
    /// Arm MPS2 AN386 (4 MiB flash, 4 MiB RAM).
    Mps2An386,
    /// Netduino Plus 2, STM32F405 (1 MiB flash, 128 KiB RAM).
    Netduinoplus2,
}

impl FirmwareArgs {
    fn options(&self) -> ExportOptions {
        ExportOptions {
            model: self.model.clone(),
            // The firmware build runs in firmware-demo/, so a relative folder must not reach it.
            out_dir: std::path::absolute(&self.out).unwrap_or_else(|_| self.out.clone()),
            int8: self.int8.then(|| Calibration {
                mnist_dir: self.calibration.clone(),
                images: self.calibration_images,
            }),
            test_data: self.test_data.clone(),
            digits: self.digits,
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Firmware(args) => {
            let summary = export_firmware(&args.options())?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!(
                    "{} ({}): {} layers, {} multiply-adds, {} weight bytes -> {}",
                    summary.model,
                    summary.precision,
                    summary.layers,
                    summary.macs,
                    summary.weight_bytes,
                    args.out.display()
                );
            }
        }
        Command::FirmwareMeasure {
            export,
            board,
            firmware_dir,
            timeout,
        } => {
            let board = match board {
                BoardArg::Mps2An386 => Board::Mps2An386,
                BoardArg::Netduinoplus2 => Board::Netduinoplus2,
            };
            export_firmware(&export.options())?;
            let firmware_dir = firmware_dir.unwrap_or_else(default_firmware_dir);
            let (_, report) = build_and_run(
                &firmware_dir,
                &export.out,
                board,
                Duration::from_secs(timeout),
            )
            .with_context(|| format!("measuring {}", export.model.display()))?;
            if export.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "{} {} on {}: flash {} B ({} B without digits), RAM {} B (stack {} B), {:.0} instructions/encode, {:.3} instructions/MAC",
                    report.model,
                    report.precision,
                    board.machine(),
                    report.flash_bytes,
                    report.flash_bytes_without_digits,
                    report.ram_bytes,
                    report.stack_peak_bytes,
                    report.instructions_per_encode,
                    report.instructions_per_mac
                );
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ae-export: {error:#}");
            ExitCode::FAILURE
        }
    }
}
