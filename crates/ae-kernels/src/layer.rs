//! Layer descriptions: the operation and geometry of a layer, and its
//! parameters in f32 or int8.

use crate::activation::Activation;
use crate::conv::Conv2dShape;
use crate::quant::QuantParams;

/// Operation and geometry of one layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// Fully connected layer with row-major weights.
    Dense {
        /// Input length.
        in_features: usize,
        /// Output length.
        out_features: usize,
    },
    /// Convolution with OIHW weights.
    Conv2d(Conv2dShape),
}

impl LayerKind {
    /// Number of values the layer reads.
    pub const fn input_len(&self) -> usize {
        match self {
            LayerKind::Dense { in_features, .. } => *in_features,
            LayerKind::Conv2d(shape) => shape.input_len(),
        }
    }

    /// Number of values the layer writes.
    pub const fn output_len(&self) -> usize {
        match self {
            LayerKind::Dense { out_features, .. } => *out_features,
            LayerKind::Conv2d(shape) => shape.output_len(),
        }
    }

    /// Number of weight rows (output features or channels).
    pub const fn rows(&self) -> usize {
        match self {
            LayerKind::Dense { out_features, .. } => *out_features,
            LayerKind::Conv2d(shape) => shape.out_channels,
        }
    }

    /// Number of weights per row, which is the multiply-adds per output value.
    pub const fn row_len(&self) -> usize {
        match self {
            LayerKind::Dense { in_features, .. } => *in_features,
            LayerKind::Conv2d(shape) => shape.row_len(),
        }
    }

    /// Scratch values the layer needs for its convolution patch.
    pub const fn patch_len(&self) -> usize {
        match self {
            LayerKind::Dense { .. } => 0,
            LayerKind::Conv2d(shape) => shape.patch_len(),
        }
    }

    /// Multiply-adds per encode.
    pub const fn macs(&self) -> usize {
        self.output_len() * self.row_len()
    }
}

/// One f32 layer: weights, bias and the activation fused into it.
#[derive(Clone, Copy, Debug)]
pub struct LayerF32<'a> {
    /// Operation and geometry.
    pub kind: LayerKind,
    /// Row-major weights, `rows * row_len` values.
    pub weights: &'a [f32],
    /// One bias per row.
    pub bias: &'a [f32],
    /// Applied to every output.
    pub activation: Activation,
}

/// One int8 layer (see [`crate::quant`] for the maths).
#[derive(Clone, Copy, Debug)]
pub struct LayerI8<'a> {
    /// Operation and geometry.
    pub kind: LayerKind,
    /// Quantized weights, rows packed by [`crate::quant::pack_weights_i8`].
    pub weights: &'a [i8],
    /// Per row, `s_w[row] * s_input`: converts the `i32` sum to a real value.
    pub scales: &'a [f32],
    /// One f32 bias per row.
    pub bias: &'a [f32],
    /// Applied to every output before it is quantized.
    pub activation: Activation,
    /// Quantization of the outputs. It is `None` only on the last layer, which
    /// writes f32.
    pub output_quant: Option<QuantParams>,
}
