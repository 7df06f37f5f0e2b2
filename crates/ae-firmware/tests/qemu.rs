//! firmware-demo built for each model and precision, run in QEMU
//! (mps2-an386, and netduinoplus2 for the int8 conv encoder), its latents
//! compared with the host kernels and with tract.
//!
//! Needs qemu-system-arm and the thumbv7em-none-eabihf target: a missing
//! tool fails the test with a message to run scripts/setup-firmware.sh.

mod common;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use ae_firmware::demo::{self, Board, DemoOutput};
use ae_firmware::elf::section_sizes;
use ae_firmware::export::{default_firmware_dir, export_firmware, ExportOptions};
use ae_firmware::report::FirmwareReport;
use ae_firmware::{Calibration, NativeEncoder, Precision};
use common::{batch_shape, fixture, max_abs, max_abs_diff, mnist_dir, mse, test_images, tract_run};

/// Digits baked into each firmware build.
const DIGITS: usize = 100;

/// f32 latents from the firmware must match tract within this max abs
/// difference.
const F32_TOLERANCE: f32 = 1e-5;

/// int8 latents must lie within this fraction of the largest |latent| from
/// tract's f32 latents (an estimate of int8 quantization noise).
const INT8_RELATIVE_TOLERANCE: f32 = 0.02;

/// The firmware builds share firmware-demo/target, so they run one at a time.
static BUILD_LOCK: Mutex<()> = Mutex::new(());

struct Variant {
    encoder: &'static str,
    decoder: &'static str,
    latent_shape: &'static [usize],
    int8: bool,
    board: Board,
}

fn calibration() -> Calibration {
    Calibration {
        mnist_dir: mnist_dir(),
        images: 1000,
    }
}

/// Generates, builds and runs one variant. Returns the firmware output and
/// its measured report, which is also written as JSON under target/tmp.
fn run_firmware(variant: &Variant) -> (DemoOutput, FirmwareReport) {
    if let Err(error) = demo::check_tools() {
        panic!("{error}");
    }
    let work = tempfile::tempdir().expect("temp dir");
    let model_dir = work.path().join("generated");
    let options = ExportOptions {
        model: model_file(variant.encoder),
        out_dir: model_dir.clone(),
        int8: variant.int8.then(calibration),
        test_data: mnist_dir(),
        digits: DIGITS,
    };
    export_firmware(&options).unwrap_or_else(|e| panic!("export {}: {e}", variant.encoder));

    let elf = work.path().join("firmware.elf");
    {
        let _guard = BUILD_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let built = demo::build(&default_firmware_dir(), &model_dir, variant.board)
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::copy(&built, &elf).expect("copy the ELF out of the shared target folder");
    }
    let sections = section_sizes(&elf).unwrap_or_else(|e| panic!("{e}"));
    let output =
        demo::run(&elf, variant.board, Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e}"));
    let report = FirmwareReport::new(variant.board, sections, &output);

    let json = serde_json::to_string_pretty(&report).expect("report serializes");
    let report_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("firmware-report");
    std::fs::create_dir_all(&report_dir).expect("report folder");
    let name = format!(
        "{}.{}.{}.json",
        report.model,
        report.precision,
        variant.board.machine()
    );
    std::fs::write(report_dir.join(name), &json).expect("write report");
    println!("{json}");
    (output, report)
}

/// Runs the variant and checks its latents against the host kernels and
/// tract. For int8 it also checks the reconstruction MSE over the baked
/// digits.
fn check_variant(variant: &Variant) -> FirmwareReport {
    let (output, report) = run_firmware(variant);
    let (images, labels) = test_images(DIGITS);

    assert_eq!(output.latents.len(), DIGITS, "one latent line per digit");
    for (i, latent) in output.latents.iter().enumerate() {
        assert_eq!(latent.index, i, "digit order");
        assert_eq!(latent.label, labels[i], "label of digit {i}");
    }
    let firmware: Vec<f32> = output
        .latents
        .iter()
        .flat_map(|l| l.values.iter().copied())
        .collect();

    // The Cortex-M4 assembly and the portable loops add in the same order,
    // so the firmware must reproduce the host kernels bit for bit.
    let precision = if variant.int8 {
        Precision::Int8 {
            calibration: calibration(),
        }
    } else {
        Precision::F32
    };
    let native = NativeEncoder::load(&model_file(variant.encoder), precision).expect("native encoder");
    let host = native.encode(&images).expect("host encode");
    let firmware_bits: Vec<u32> = firmware.iter().map(|v| v.to_bits()).collect();
    let host_bits: Vec<u32> = host.iter().map(|v| v.to_bits()).collect();
    assert_eq!(
        firmware_bits, host_bits,
        "{}: firmware and host kernels differ",
        variant.encoder
    );

    let encoder = model_file(variant.encoder);
    let reference = tract_run(
        &encoder,
        &batch_shape(native.input_shape(), DIGITS),
        &images,
    );
    let diff = max_abs_diff(&firmware, &reference);
    let tolerance = if variant.int8 {
        INT8_RELATIVE_TOLERANCE * max_abs(&reference)
    } else {
        F32_TOLERANCE
    };
    assert!(
        diff <= tolerance,
        "{}: max abs diff from tract {diff} > {tolerance}",
        variant.encoder
    );

    if variant.int8 {
        let shape = batch_shape(variant.latent_shape, DIGITS);
        let decoder = model_file(variant.decoder);
        let f32_mse = mse(&tract_run(&decoder, &shape, &reference), &images);
        let int8_mse = mse(&tract_run(&decoder, &shape, &firmware), &images);
        println!(
            "{}: reconstruction MSE over {DIGITS} digits: f32 {f32_mse:.7}, int8 {int8_mse:.7}",
            variant.encoder
        );
        let relative = (int8_mse - f32_mse).abs() / f32_mse;
        assert!(relative <= 0.05, "int8 MSE {int8_mse} vs f32 {f32_mse}");
    }
    report
}

const LINEAR: (&str, &str, &[usize]) =
    ("linear.encoder.ts17.onnx", "linear.decoder.ts17.onnx", &[3]);
/// The project's own pretrained models, as ae-train exports them.
const SHIPPED_LINEAR: (&str, &str, &[usize]) =
    ("models/linear.encoder.onnx", "models/linear.decoder.onnx", &[3]);
const SHIPPED_CONV: (&str, &str, &[usize]) =
    ("models/conv.encoder.onnx", "models/conv.decoder.onnx", &[64, 1, 1]);

/// Resolves `models/...` against the workspace root and anything else as a PyTorch fixture.
fn model_file(name: &str) -> std::path::PathBuf {
    if name.starts_with("models/") {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(name)
    } else {
        fixture(name)
    }
}

const CONV: (&str, &str, &[usize]) = (
    "conv.encoder.ts17.onnx",
    "conv.decoder.ts17.onnx",
    &[64, 1, 1],
);

fn variant(
    model: (&'static str, &'static str, &'static [usize]),
    int8: bool,
    board: Board,
) -> Variant {
    Variant {
        encoder: model.0,
        decoder: model.1,
        latent_shape: model.2,
        int8,
        board,
    }
}

#[test]
fn linear_f32_on_mps2() {
    let report = check_variant(&variant(LINEAR, false, Board::Mps2An386));
    assert!(
        report.instructions_per_mac <= 2.0,
        "dense layers: {} instructions per MAC",
        report.instructions_per_mac
    );
}

#[test]
fn linear_int8_on_mps2() {
    let report = check_variant(&variant(LINEAR, true, Board::Mps2An386));
    assert!(
        report.instructions_per_mac <= 2.0,
        "dense layers: {} instructions per MAC",
        report.instructions_per_mac
    );
    assert!(
        report.flash_bytes_without_digits <= 128 * 1024,
        "flash {} B",
        report.flash_bytes_without_digits
    );
    assert!(report.ram_bytes <= 8 * 1024, "RAM {} B", report.ram_bytes);
}

#[test]
fn shipped_linear_int8_on_mps2() {
    let report = check_variant(&variant(SHIPPED_LINEAR, true, Board::Mps2An386));
    assert!(report.flash_bytes_without_digits <= 128 * 1024, "flash {} B", report.flash_bytes_without_digits);
    assert!(report.ram_bytes <= 8 * 1024, "RAM {} B", report.ram_bytes);
}

#[test]
fn shipped_conv_f32_on_mps2() {
    check_variant(&variant(SHIPPED_CONV, false, Board::Mps2An386));
}

#[test]
fn conv_f32_on_mps2() {
    check_variant(&variant(CONV, false, Board::Mps2An386));
}

#[test]
fn conv_int8_on_mps2() {
    check_variant(&variant(CONV, true, Board::Mps2An386));
}

#[test]
fn conv_int8_on_netduinoplus2() {
    let report = check_variant(&variant(CONV, true, Board::Netduinoplus2));
    let (flash, ram) = Board::Netduinoplus2.memory();
    assert!(
        report.flash_bytes <= flash,
        "flash {} B",
        report.flash_bytes
    );
    assert!(report.ram_bytes <= ram, "RAM {} B", report.ram_bytes);
}

#[test]
fn firmware_output_parser_rejects_errors() {
    let error = demo::parse("model m f32 784 3 10\nerror panic: boom\n").expect_err("error line");
    assert!(error.to_string().contains("boom"), "{error}");
    let error = demo::parse("model m f32 784 3 10\n").expect_err("no done line");
    assert!(error.to_string().contains("done"), "{error}");
    let parsed = demo::parse(
        "model m int8 784 3 10\ncalibration 100 5\nlatent 0 7 2 3f800000\nstack 64\ndone\n",
    )
    .expect("valid output");
    assert_eq!(parsed.latents[0].values, [1.0]);
    assert_eq!(parsed.instructions_per_encode(), 40.0);
}
