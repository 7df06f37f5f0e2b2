//! Fully connected layers: `y = act(W x + b)` with `W` row-major
//! (`out_features` rows of `in_features`).

use crate::activation::Activation;
use crate::dot::{matvec_f32, matvec_i8};
use crate::quant::{rescale, QuantParams};

/// Computes `output = activation(weights * input + bias)` in f32.
///
/// # Panics
/// If `weights.len() != output.len() * input.len()`, `bias.len() !=
/// output.len()` or `input` is empty.
pub fn dense_f32(
    weights: &[f32],
    bias: &[f32],
    input: &[f32],
    output: &mut [f32],
    activation: Activation,
) {
    assert_eq!(
        weights.len(),
        output.len() * input.len(),
        "dense weights length"
    );
    assert_eq!(bias.len(), output.len(), "dense bias length");

    matvec_f32(weights, input, |o, acc| {
        output[o] = activation.apply(acc + bias[o]);
    });
}

/// Destination of an int8 layer's outputs.
pub enum I8Output<'a> {
    /// Quantized with the given parameters and stored centred (`q - z`), as
    /// the next int8 layer reads them.
    Quantized(&'a mut [i16], QuantParams),
    /// Stored as f32, for the encoder's last layer.
    Float(&'a mut [f32]),
}

impl I8Output<'_> {
    /// Number of values in this output.
    pub fn len(&self) -> usize {
        match self {
            I8Output::Quantized(values, _) => values.len(),
            I8Output::Float(values) => values.len(),
        }
    }

    /// Returns true when the output has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stores one finished output value at `index`.
    #[inline(always)]
    pub(crate) fn store(&mut self, index: usize, value: f32) {
        match self {
            I8Output::Quantized(values, params) => values[index] = params.quantize_centred(value),
            I8Output::Float(values) => values[index] = value,
        }
    }
}

/// Computes one int8 fully connected layer.
///
/// `weights` are packed rows (see [`crate::quant::pack_weights_i8`]), `input`
/// contains centred activations (`q - z`), and `scales[o]` is
/// `s_w[o] * s_input`. Each output is
/// `activation(scales[o] * sum_i weights[o, i] * input[i] + bias[o])`.
///
/// # Panics
/// If the lengths do not match `output.len()` rows of `input.len()` weights,
/// or `input` is empty.
pub fn dense_i8(
    weights: &[i8],
    scales: &[f32],
    bias: &[f32],
    input: &[i16],
    mut output: I8Output<'_>,
    activation: Activation,
) {
    let rows = output.len();
    assert_eq!(weights.len(), rows * input.len(), "dense weights length");
    assert_eq!(scales.len(), rows, "dense scales length");
    assert_eq!(bias.len(), rows, "dense bias length");

    matvec_i8(weights, input, |o, acc| {
        output.store(o, activation.apply(rescale(acc, scales[o], bias[o])));
    });
}
