//! Errors that the encoder runners return for inconsistent layer tables or
//! buffers.

use core::fmt;

/// A layer table or buffer whose size does not fit the encoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelError {
    /// The encoder has no layers.
    NoLayers,
    /// A buffer passed to `encode` has the wrong length.
    BufferLength {
        /// Buffer name: "input", "output" or "scratch".
        buffer: &'static str,
        /// Length the encoder requires (a minimum for scratch).
        expected: usize,
        /// Length received.
        found: usize,
    },
    /// A layer's parameter array has the wrong length for its shape.
    ParameterLength {
        /// Index of the layer in the table.
        layer: usize,
        /// Array name: "weights", "bias" or "scales".
        parameter: &'static str,
        /// Length the shape requires.
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// A layer's input length differs from the previous layer's output length.
    ChainMismatch {
        /// Index of the layer in the table.
        layer: usize,
        /// Output length of the previous layer.
        expected: usize,
        /// Input length of this layer.
        found: usize,
    },
    /// A layer has an empty input or output, or an int8 row too long for the
    /// `i32` accumulator.
    InvalidShape {
        /// Index of the layer in the table.
        layer: usize,
    },
    /// An int8 layer other than the last has no output quantization, or the
    /// last has one.
    OutputQuantization {
        /// Index of the layer in the table.
        layer: usize,
    },
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::NoLayers => write!(f, "the encoder has no layers"),
            KernelError::BufferLength {
                buffer,
                expected,
                found,
            } => {
                write!(f, "{buffer} buffer has {found} values, expected {expected}")
            }
            KernelError::ParameterLength {
                layer,
                parameter,
                expected,
                found,
            } => {
                write!(
                    f,
                    "layer {layer}: {parameter} has {found} values, expected {expected}"
                )
            }
            KernelError::ChainMismatch {
                layer,
                expected,
                found,
            } => write!(
                f,
                "layer {layer} takes {found} inputs but the previous layer produces {expected}"
            ),
            KernelError::InvalidShape { layer } => write!(
                f,
                "layer {layer} has an empty input or output, or an int8 row longer than {}",
                crate::quant::MAX_ROW_LEN_I8
            ),
            KernelError::OutputQuantization { layer } => write!(
                f,
                "layer {layer}: only the last int8 layer may have a float output"
            ),
        }
    }
}

impl core::error::Error for KernelError {}
