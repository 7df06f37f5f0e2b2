//! The firmware's kernels as a host runtime: the same layer tables and the
//! same `ae-kernels` code, with portable loops in place of the Cortex-M4
//! assembly (which computes identical results).

use std::path::{Path, PathBuf};

use ae_kernels::{EncoderF32, EncoderI8};
use tracing::info;

use crate::calibration::calibration_images;
use crate::error::FirmwareError;
use crate::graph::import;
use crate::network::{quantize, validate_f32, validate_i8, FloatNetwork, QuantNetwork};

/// Training images that calibrate the int8 activation ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calibration {
    /// Folder with the four MNIST IDX files (plain or gzip).
    pub mnist_dir: PathBuf,
    /// Number of training images to use, from the start of the set.
    pub images: usize,
}

/// Arithmetic the encoder runs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Precision {
    /// f32 weights and activations.
    F32,
    /// int8 weights and activations, calibrated on MNIST training images.
    Int8 {
        /// Source of the calibration images.
        calibration: Calibration,
    },
}

/// An encoder ready to run on the host.
#[derive(Clone, Debug)]
pub enum NativeEncoder {
    /// f32 layers.
    F32(FloatNetwork),
    /// int8 layers.
    Int8(QuantNetwork),
}

impl NativeEncoder {
    /// Reads an encoder ONNX file and prepares it in the given precision.
    pub fn load(path: &Path, precision: Precision) -> Result<Self, FirmwareError> {
        let network = import(path)?;
        validate_f32(&network.name, &network.table())?;
        let encoder = match precision {
            Precision::F32 => NativeEncoder::F32(network),
            Precision::Int8 { calibration } => {
                let images = calibration_images(&calibration, &network)?;
                let quantized = quantize(&network, &images)?;
                info!(model = %path.display(), images = quantized.calibration_images, "calibrated int8 encoder");
                NativeEncoder::Int8(quantized)
            }
        };
        if let NativeEncoder::Int8(q) = &encoder {
            validate_i8(&q.name, q.input_quant, &q.table())?;
        }
        Ok(encoder)
    }

    /// Values per input image.
    pub fn input_len(&self) -> usize {
        self.input_shape().iter().product()
    }

    /// Values per latent code.
    pub fn output_len(&self) -> usize {
        self.output_shape().iter().product()
    }

    /// Per-image input shape, without the batch dimension.
    pub fn input_shape(&self) -> &[usize] {
        match self {
            NativeEncoder::F32(n) => &n.input_shape,
            NativeEncoder::Int8(n) => &n.input_shape,
        }
    }

    /// Per-image output shape, without the batch dimension.
    pub fn output_shape(&self) -> &[usize] {
        match self {
            NativeEncoder::F32(n) => &n.output_shape,
            NativeEncoder::Int8(n) => &n.output_shape,
        }
    }

    /// Encodes a batch of images given back to back (`k * input_len()`
    /// values) and returns their latent codes back to back.
    pub fn encode(&self, input: &[f32]) -> Result<Vec<f32>, FirmwareError> {
        let (in_len, out_len) = (self.input_len(), self.output_len());
        if input.is_empty() || !input.len().is_multiple_of(in_len) {
            return Err(FirmwareError::InputLength {
                expected: in_len,
                found: input.len(),
            });
        }
        let count = input.len() / in_len;
        let mut output = vec![0.0f32; count * out_len];

        match self {
            NativeEncoder::F32(network) => {
                let table = network.table();
                let encoder = EncoderF32 { layers: &table };
                let mut scratch = vec![0.0f32; encoder.scratch_len()];
                for (image, latent) in input
                    .chunks_exact(in_len)
                    .zip(output.chunks_exact_mut(out_len))
                {
                    encoder
                        .encode(image, latent, &mut scratch)
                        .map_err(|source| FirmwareError::Kernel {
                            context: network.name.clone(),
                            source,
                        })?;
                }
            }
            NativeEncoder::Int8(network) => {
                let table = network.table();
                let encoder = EncoderI8 {
                    input_quant: network.input_quant,
                    layers: &table,
                };
                let mut scratch = vec![0i16; encoder.scratch_len()];
                for (image, latent) in input
                    .chunks_exact(in_len)
                    .zip(output.chunks_exact_mut(out_len))
                {
                    encoder
                        .encode(image, latent, &mut scratch)
                        .map_err(|source| FirmwareError::Kernel {
                            context: network.name.clone(),
                            source,
                        })?;
                }
            }
        }
        Ok(output)
    }
}
