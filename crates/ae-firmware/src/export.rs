//! The `ae-export firmware` step as a library call: ONNX in, firmware
//! sources out.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::calibration::{calibration_images, test_digits};
use crate::codegen::{write_sources, FirmwareModel};
use crate::error::FirmwareError;
use crate::graph::import;
use crate::native::Calibration;
use crate::network::{quantize, validate_f32, validate_i8};

/// Options of one firmware export.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// Encoder ONNX file.
    pub model: PathBuf,
    /// Folder for model.rs and digits.rs.
    pub out_dir: PathBuf,
    /// Calibration for int8 quantization, or `None` for f32.
    pub int8: Option<Calibration>,
    /// MNIST folder whose first `digits` test images are baked in.
    pub test_data: PathBuf,
    /// Number of test digits to bake in.
    pub digits: usize,
}

/// Facts about generated sources.
#[derive(Clone, Debug, Serialize)]
pub struct ExportSummary {
    /// Model name.
    pub model: String,
    /// "f32" or "int8".
    pub precision: &'static str,
    /// Layers after fusing Relu and bias Add.
    pub layers: usize,
    /// Multiply-adds per encode.
    pub macs: usize,
    /// Weight bytes (f32: 4 per weight, int8: 1).
    pub weight_bytes: usize,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// Reads the encoder, quantizes it when asked, and writes the firmware
/// sources into `options.out_dir`.
pub fn export_firmware(options: &ExportOptions) -> Result<ExportSummary, FirmwareError> {
    let network = import(&options.model)?;
    validate_f32(&network.name, &network.table())?;
    let digits = test_digits(&options.test_data, options.digits, &network)?;

    let (summary, files) = match &options.int8 {
        None => {
            let files = write_sources(&options.out_dir, FirmwareModel::F32(&network), &digits)?;
            let weight_bytes = network.layers.iter().map(|l| 4 * l.weights.len()).sum();
            (
                summary(
                    &network.name,
                    "f32",
                    network.layers.len(),
                    network.macs(),
                    weight_bytes,
                ),
                files,
            )
        }
        Some(calibration) => {
            let images = calibration_images(calibration, &network)?;
            let quantized = quantize(&network, &images)?;
            validate_i8(&quantized.name, quantized.input_quant, &quantized.table())?;
            let files = write_sources(&options.out_dir, FirmwareModel::Int8(&quantized), &digits)?;
            let weight_bytes = quantized.layers.iter().map(|l| l.weights.len()).sum();
            (
                summary(
                    &quantized.name,
                    "int8",
                    quantized.layers.len(),
                    quantized.macs(),
                    weight_bytes,
                ),
                files,
            )
        }
    };
    Ok(ExportSummary {
        files: files.to_vec(),
        ..summary
    })
}

fn summary(
    model: &str,
    precision: &'static str,
    layers: usize,
    macs: usize,
    weight_bytes: usize,
) -> ExportSummary {
    ExportSummary {
        model: model.to_string(),
        precision,
        layers,
        macs,
        weight_bytes,
        files: Vec::new(),
    }
}

/// Returns the firmware-demo folder of this repository, found from the
/// crate's own location at build time.
pub fn default_firmware_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../firmware-demo")
}
