//! Whole encoders as layer tables, run layer after layer through two
//! ping-pong activation buffers and one convolution patch buffer, all in
//! caller-provided scratch.
//!
//! The generated firmware declares its tables as `static` data, and the host
//! runtime builds the same tables from owned vectors, so both run this code.

use crate::conv::{conv2d_f32, conv2d_i8};
use crate::dense::{dense_f32, dense_i8, I8Output};
use crate::error::KernelError;
use crate::layer::{LayerF32, LayerI8, LayerKind};
use crate::quant::{QuantParams, MAX_ROW_LEN_I8};

/// An f32 encoder: a table of layers, each reading the previous one's output.
#[derive(Clone, Copy, Debug)]
pub struct EncoderF32<'a> {
    /// Layers in execution order.
    pub layers: &'a [LayerF32<'a>],
}

/// An int8 encoder: the input quantization and a table of int8 layers.
#[derive(Clone, Copy, Debug)]
pub struct EncoderI8<'a> {
    /// Quantization of the f32 input.
    pub input_quant: QuantParams,
    /// Layers in execution order.
    pub layers: &'a [LayerI8<'a>],
}

/// Sizes of the scratch regions: two activation buffers and a patch.
fn scratch_parts(
    kinds: impl Iterator<Item = LayerKind> + Clone,
    first_in_scratch: bool,
) -> [usize; 3] {
    let mut buffers = [0usize; 2];
    let mut patch = 0;
    let count = kinds.clone().count();
    for (i, kind) in kinds.enumerate() {
        if i > 0 || first_in_scratch {
            buffers[i % 2] = buffers[i % 2].max(kind.input_len());
        }
        if i + 1 < count {
            buffers[(i + 1) % 2] = buffers[(i + 1) % 2].max(kind.output_len());
        }
        patch = patch.max(kind.patch_len());
    }
    [buffers[0], buffers[1], patch]
}

fn check_chain(
    layer: usize,
    kind: &LayerKind,
    previous: Option<&LayerKind>,
) -> Result<(), KernelError> {
    if kind.input_len() == 0 || kind.output_len() == 0 {
        return Err(KernelError::InvalidShape { layer });
    }
    if let Some(previous) = previous {
        if previous.output_len() != kind.input_len() {
            return Err(KernelError::ChainMismatch {
                layer,
                expected: previous.output_len(),
                found: kind.input_len(),
            });
        }
    }
    Ok(())
}

fn check_len(
    layer: usize,
    parameter: &'static str,
    expected: usize,
    found: usize,
) -> Result<(), KernelError> {
    if expected == found {
        Ok(())
    } else {
        Err(KernelError::ParameterLength {
            layer,
            parameter,
            expected,
            found,
        })
    }
}

fn check_buffer(
    buffer: &'static str,
    expected: usize,
    found: usize,
    at_least: bool,
) -> Result<(), KernelError> {
    let fits = if at_least {
        found >= expected
    } else {
        found == expected
    };
    if fits {
        Ok(())
    } else {
        Err(KernelError::BufferLength {
            buffer,
            expected,
            found,
        })
    }
}

impl EncoderF32<'_> {
    /// Number of f32 inputs.
    pub fn input_len(&self) -> usize {
        self.layers.first().map_or(0, |l| l.kind.input_len())
    }

    /// Number of f32 outputs.
    pub fn output_len(&self) -> usize {
        self.layers.last().map_or(0, |l| l.kind.output_len())
    }

    /// Number of f32 scratch values that [`EncoderF32::encode`] needs.
    pub fn scratch_len(&self) -> usize {
        scratch_parts(self.layers.iter().map(|l| l.kind), false)
            .iter()
            .sum()
    }

    /// Checks that every layer's parameters fit its shape and that each layer
    /// reads what the previous one writes.
    pub fn validate(&self) -> Result<(), KernelError> {
        if self.layers.is_empty() {
            return Err(KernelError::NoLayers);
        }
        for (i, layer) in self.layers.iter().enumerate() {
            let previous = i.checked_sub(1).map(|p| &self.layers[p].kind);
            check_chain(i, &layer.kind, previous)?;
            check_len(
                i,
                "weights",
                layer.kind.rows() * layer.kind.row_len(),
                layer.weights.len(),
            )?;
            check_len(i, "bias", layer.kind.rows(), layer.bias.len())?;
        }
        Ok(())
    }

    /// Runs the encoder on one input.
    pub fn encode(
        &self,
        input: &[f32],
        output: &mut [f32],
        scratch: &mut [f32],
    ) -> Result<(), KernelError> {
        self.validate()?;
        check_buffer("input", self.input_len(), input.len(), false)?;
        check_buffer("output", self.output_len(), output.len(), false)?;
        check_buffer("scratch", self.scratch_len(), scratch.len(), true)?;

        let [len_a, len_b, _] = scratch_parts(self.layers.iter().map(|l| l.kind), false);
        let (a, rest) = scratch.split_at_mut(len_a);
        let (b, patch) = rest.split_at_mut(len_b);
        let count = self.layers.len();

        for (i, layer) in self.layers.iter().enumerate() {
            let (in_len, out_len) = (layer.kind.input_len(), layer.kind.output_len());
            let last = i + 1 == count;
            let (src, dst): (&[f32], &mut [f32]) = if i % 2 == 0 {
                let src = if i == 0 { input } else { &a[..in_len] };
                (
                    src,
                    if last {
                        &mut *output
                    } else {
                        &mut b[..out_len]
                    },
                )
            } else {
                (
                    &b[..in_len],
                    if last {
                        &mut *output
                    } else {
                        &mut a[..out_len]
                    },
                )
            };
            run_f32(layer, src, dst, patch);
        }
        Ok(())
    }
}

fn run_f32(layer: &LayerF32<'_>, src: &[f32], dst: &mut [f32], patch: &mut [f32]) {
    match &layer.kind {
        LayerKind::Dense { .. } => dense_f32(layer.weights, layer.bias, src, dst, layer.activation),
        LayerKind::Conv2d(shape) => conv2d_f32(
            shape,
            layer.weights,
            layer.bias,
            src,
            dst,
            patch,
            layer.activation,
        ),
    }
}

impl EncoderI8<'_> {
    /// Number of f32 inputs.
    pub fn input_len(&self) -> usize {
        self.layers.first().map_or(0, |l| l.kind.input_len())
    }

    /// Number of f32 outputs.
    pub fn output_len(&self) -> usize {
        self.layers.last().map_or(0, |l| l.kind.output_len())
    }

    /// Number of `i16` scratch values that [`EncoderI8::encode`] needs.
    pub fn scratch_len(&self) -> usize {
        scratch_parts(self.layers.iter().map(|l| l.kind), true)
            .iter()
            .sum()
    }

    /// Checks that every layer's parameters fit its shape, that each layer
    /// reads what the previous one writes, and that only the last layer has
    /// a float output.
    pub fn validate(&self) -> Result<(), KernelError> {
        if self.layers.is_empty() {
            return Err(KernelError::NoLayers);
        }
        let count = self.layers.len();
        for (i, layer) in self.layers.iter().enumerate() {
            let previous = i.checked_sub(1).map(|p| &self.layers[p].kind);
            check_chain(i, &layer.kind, previous)?;
            if layer.kind.row_len() > MAX_ROW_LEN_I8 {
                return Err(KernelError::InvalidShape { layer: i });
            }
            check_len(
                i,
                "weights",
                layer.kind.rows() * layer.kind.row_len(),
                layer.weights.len(),
            )?;
            check_len(i, "scales", layer.kind.rows(), layer.scales.len())?;
            check_len(i, "bias", layer.kind.rows(), layer.bias.len())?;
            if layer.output_quant.is_none() != (i + 1 == count) {
                return Err(KernelError::OutputQuantization { layer: i });
            }
        }
        Ok(())
    }

    /// Quantizes one input and runs the encoder on it.
    pub fn encode(
        &self,
        input: &[f32],
        output: &mut [f32],
        scratch: &mut [i16],
    ) -> Result<(), KernelError> {
        self.validate()?;
        check_buffer("input", self.input_len(), input.len(), false)?;
        check_buffer("output", self.output_len(), output.len(), false)?;
        check_buffer("scratch", self.scratch_len(), scratch.len(), true)?;

        let [len_a, len_b, _] = scratch_parts(self.layers.iter().map(|l| l.kind), true);
        let (a, rest) = scratch.split_at_mut(len_a);
        let (b, patch) = rest.split_at_mut(len_b);
        for (q, x) in a.iter_mut().zip(input) {
            *q = self.input_quant.quantize_centred(*x);
        }

        for (i, layer) in self.layers.iter().enumerate() {
            let (in_len, out_len) = (layer.kind.input_len(), layer.kind.output_len());
            let (src, next): (&[i16], &mut [i16]) = if i % 2 == 0 {
                (&a[..in_len], &mut *b)
            } else {
                (&b[..in_len], &mut *a)
            };
            // validate() guarantees that only the last layer has no output
            // quantization, so `next` is only sliced for intermediate layers.
            let sink = match layer.output_quant {
                Some(params) => I8Output::Quantized(&mut next[..out_len], params),
                None => I8Output::Float(&mut *output),
            };
            run_i8(layer, src, sink, patch);
        }
        Ok(())
    }
}

fn run_i8(layer: &LayerI8<'_>, src: &[i16], dst: I8Output<'_>, patch: &mut [i16]) {
    let (w, s, b, act) = (layer.weights, layer.scales, layer.bias, layer.activation);
    match &layer.kind {
        LayerKind::Dense { .. } => dense_i8(w, s, b, src, dst, act),
        LayerKind::Conv2d(shape) => conv2d_i8(shape, w, s, b, src, dst, patch, act),
    }
}
