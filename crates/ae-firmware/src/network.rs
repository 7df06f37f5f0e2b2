//! Encoders as owned layer lists, in f32 and int8, and the calibration that
//! turns the first into the second.

use ae_kernels::quant::{pack_weights_i8, quantize_weight, weight_scale};
use ae_kernels::{
    conv2d_f32, dense_f32, Activation, EncoderF32, EncoderI8, LayerF32, LayerI8, LayerKind,
    QuantParams,
};
use tracing::debug;

use crate::error::FirmwareError;

/// One f32 layer with its ONNX node name.
#[derive(Clone, Debug)]
pub struct FloatLayer {
    /// Name of the Gemm, MatMul or Conv node it came from.
    pub name: String,
    /// Operation and geometry.
    pub kind: LayerKind,
    /// Row-major weights (OIHW for convolutions).
    pub weights: Vec<f32>,
    /// One bias per output row.
    pub bias: Vec<f32>,
    /// Activation fused from a following Relu.
    pub activation: Activation,
}

/// An f32 encoder read from ONNX.
#[derive(Clone, Debug)]
pub struct FloatNetwork {
    /// File stem of the ONNX model, used to name generated code.
    pub name: String,
    /// Per-image input shape (without the batch dimension).
    pub input_shape: Vec<usize>,
    /// Per-image output shape (without the batch dimension).
    pub output_shape: Vec<usize>,
    /// Layers in execution order.
    pub layers: Vec<FloatLayer>,
}

impl FloatNetwork {
    /// Borrows the layers as the table the kernels run.
    pub fn table(&self) -> Vec<LayerF32<'_>> {
        self.layers
            .iter()
            .map(|l| LayerF32 {
                kind: l.kind,
                weights: &l.weights,
                bias: &l.bias,
                activation: l.activation,
            })
            .collect()
    }

    /// Multiply-adds per encode.
    pub fn macs(&self) -> usize {
        self.layers.iter().map(|l| l.kind.macs()).sum()
    }

    /// Runs one image and returns every layer's output (after its activation).
    pub fn layer_outputs(&self, input: &[f32]) -> Vec<Vec<f32>> {
        let mut outputs: Vec<Vec<f32>> = Vec::with_capacity(self.layers.len());
        let max_patch = self
            .layers
            .iter()
            .map(|l| l.kind.patch_len())
            .max()
            .unwrap_or(0);
        let mut patch = vec![0.0; max_patch];
        for layer in &self.layers {
            let src = outputs.last().map_or(input, Vec::as_slice);
            let mut dst = vec![0.0; layer.kind.output_len()];
            match &layer.kind {
                LayerKind::Dense { .. } => {
                    dense_f32(&layer.weights, &layer.bias, src, &mut dst, layer.activation)
                }
                LayerKind::Conv2d(shape) => conv2d_f32(
                    shape,
                    &layer.weights,
                    &layer.bias,
                    src,
                    &mut dst,
                    &mut patch,
                    layer.activation,
                ),
            }
            outputs.push(dst);
        }
        outputs
    }
}

/// One int8 layer (see `ae_kernels::quant` for the maths).
#[derive(Clone, Debug)]
pub struct QuantLayer {
    /// Name of the ONNX node it came from.
    pub name: String,
    /// Operation and geometry.
    pub kind: LayerKind,
    /// Quantized weights, rows packed for the SMLAD kernels.
    pub weights: Vec<i8>,
    /// Per-row weight scale `s_w`.
    pub weight_scales: Vec<f32>,
    /// Per-row `s_w * s_input`.
    pub scales: Vec<f32>,
    /// One f32 bias per row.
    pub bias: Vec<f32>,
    /// Activation applied before the output is quantized.
    pub activation: Activation,
    /// Quantization of the output, `None` on the last layer.
    pub output_quant: Option<QuantParams>,
}

/// An int8 encoder with the activation ranges it was calibrated on.
#[derive(Clone, Debug)]
pub struct QuantNetwork {
    /// File stem of the ONNX model.
    pub name: String,
    /// Per-image input shape.
    pub input_shape: Vec<usize>,
    /// Per-image output shape.
    pub output_shape: Vec<usize>,
    /// Quantization of the f32 input.
    pub input_quant: QuantParams,
    /// Layers in execution order.
    pub layers: Vec<QuantLayer>,
    /// Number of images the activation ranges were measured on.
    pub calibration_images: usize,
}

impl QuantNetwork {
    /// Borrows the layers as the table the kernels run.
    pub fn table(&self) -> Vec<LayerI8<'_>> {
        self.layers
            .iter()
            .map(|l| LayerI8 {
                kind: l.kind,
                weights: &l.weights,
                scales: &l.scales,
                bias: &l.bias,
                activation: l.activation,
                output_quant: l.output_quant,
            })
            .collect()
    }

    /// Multiply-adds per encode.
    pub fn macs(&self) -> usize {
        self.layers.iter().map(|l| l.kind.macs()).sum()
    }
}

/// Running minimum and maximum of one tensor over the calibration images.
#[derive(Clone, Copy)]
struct Range {
    min: f32,
    max: f32,
}

impl Range {
    fn new() -> Self {
        Range {
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
        }
    }

    fn update(&mut self, values: &[f32]) {
        for &v in values {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
    }
}

/// Quantizes an f32 encoder to int8, calibrating activation ranges on
/// `images` (concatenated, each `input_len` values).
///
/// Each activation tensor (the input and every layer's output after its
/// activation) gets `QuantParams::from_min_max` of the smallest and largest
/// value it takes over all calibration images. Weights get symmetric
/// per-output-channel scales `max |w| / 127`.
pub fn quantize(network: &FloatNetwork, images: &[f32]) -> Result<QuantNetwork, FirmwareError> {
    let input_len: usize = network.input_shape.iter().product();
    if images.is_empty() || !images.len().is_multiple_of(input_len) {
        return Err(FirmwareError::InputLength {
            expected: input_len,
            found: images.len(),
        });
    }
    let count = images.len() / input_len;

    let mut input_range = Range::new();
    let mut output_ranges = vec![Range::new(); network.layers.len()];
    for image in images.chunks_exact(input_len) {
        input_range.update(image);
        for (range, output) in output_ranges.iter_mut().zip(network.layer_outputs(image)) {
            range.update(&output);
        }
    }

    let input_quant = QuantParams::from_min_max(input_range.min, input_range.max);
    debug!(?input_quant, "input quantization");
    let mut in_quant = input_quant;
    let mut layers = Vec::with_capacity(network.layers.len());
    for (i, (layer, range)) in network.layers.iter().zip(&output_ranges).enumerate() {
        let last = i + 1 == network.layers.len();
        let output_quant = (!last).then(|| QuantParams::from_min_max(range.min, range.max));
        debug!(layer = %layer.name, min = range.min, max = range.max, ?output_quant, "calibrated range");

        let row_len = layer.kind.row_len();
        let mut natural = Vec::with_capacity(layer.weights.len());
        let mut weight_scales = Vec::with_capacity(layer.kind.rows());
        for row in layer.weights.chunks_exact(row_len) {
            let scale = weight_scale(row);
            weight_scales.push(scale);
            natural.extend(row.iter().map(|&w| quantize_weight(w, scale)));
        }
        let mut packed = vec![0i8; natural.len()];
        pack_weights_i8(row_len, &natural, &mut packed);

        layers.push(QuantLayer {
            name: layer.name.clone(),
            kind: layer.kind,
            weights: packed,
            scales: weight_scales.iter().map(|s| s * in_quant.scale).collect(),
            weight_scales,
            bias: layer.bias.clone(),
            activation: layer.activation,
            output_quant,
        });
        if let Some(params) = output_quant {
            in_quant = params;
        }
    }

    Ok(QuantNetwork {
        name: network.name.clone(),
        input_shape: network.input_shape.clone(),
        output_shape: network.output_shape.clone(),
        input_quant,
        layers,
        calibration_images: count,
    })
}

/// Validates an f32 table, naming the model in the error.
pub(crate) fn validate_f32(name: &str, table: &[LayerF32<'_>]) -> Result<(), FirmwareError> {
    EncoderF32 { layers: table }
        .validate()
        .map_err(|source| FirmwareError::Kernel {
            context: name.to_string(),
            source,
        })
}

/// Validates an int8 table, naming the model in the error.
pub(crate) fn validate_i8(
    name: &str,
    input_quant: QuantParams,
    table: &[LayerI8<'_>],
) -> Result<(), FirmwareError> {
    EncoderI8 {
        input_quant,
        layers: table,
    }
    .validate()
    .map_err(|source| FirmwareError::Kernel {
        context: name.to_string(),
        source,
    })
}
