//! Plain reference implementations of every kernel: direct index loops with
//! a bounds test per convolution tap, natural (unpacked) int8 weight order.
//! Tests compare the fast kernels against these.

use crate::activation::Activation;
use crate::conv::Conv2dShape;
use crate::quant::{rescale, QuantParams};

/// Reference for [`crate::dense::dense_f32`].
pub fn dense_f32(
    weights: &[f32],
    bias: &[f32],
    input: &[f32],
    output: &mut [f32],
    activation: Activation,
) {
    let n = input.len();
    for (o, y) in output.iter_mut().enumerate() {
        let mut acc = 0.0f32;
        for i in 0..n {
            acc += weights[o * n + i] * input[i];
        }
        *y = activation.apply(acc + bias[o]);
    }
}

/// Reference for [`crate::conv::conv2d_f32`].
pub fn conv2d_f32(
    shape: &Conv2dShape,
    weights: &[f32],
    bias: &[f32],
    input: &[f32],
    output: &mut [f32],
    activation: Activation,
) {
    conv_loops(shape, |o, p, taps| {
        let mut acc = 0.0f32;
        for (w, x) in taps {
            acc += weights[w] * input[x];
        }
        output[o * pixels(shape) + p] = activation.apply(acc + bias[o]);
    });
}

/// Reference for [`crate::dense::dense_i8`] with natural-order weights and
/// the output quantized when `output_quant` is given.
#[allow(clippy::too_many_arguments)]
pub fn dense_i8(
    weights: &[i8],
    scales: &[f32],
    bias: &[f32],
    input: &[i16],
    output: &mut [f32],
    output_quant: Option<QuantParams>,
    activation: Activation,
) {
    let n = input.len();
    for (o, y) in output.iter_mut().enumerate() {
        let mut acc = 0i32;
        for i in 0..n {
            acc += weights[o * n + i] as i32 * input[i] as i32;
        }
        *y = finish(acc, scales[o], bias[o], activation, output_quant);
    }
}

/// Reference for [`crate::conv::conv2d_i8`] with natural-order weights and
/// the output quantized when `output_quant` is given.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_i8(
    shape: &Conv2dShape,
    weights: &[i8],
    scales: &[f32],
    bias: &[f32],
    input: &[i16],
    output: &mut [f32],
    output_quant: Option<QuantParams>,
    activation: Activation,
) {
    conv_loops(shape, |o, p, taps| {
        let mut acc = 0i32;
        for (w, x) in taps {
            acc += weights[w] as i32 * input[x] as i32;
        }
        output[o * pixels(shape) + p] = finish(acc, scales[o], bias[o], activation, output_quant);
    });
}

/// Finishes an int8 output. A quantized output is returned as its centred
/// value converted to f32, so tests can compare it exactly.
fn finish(
    acc: i32,
    scale: f32,
    bias: f32,
    activation: Activation,
    quant: Option<QuantParams>,
) -> f32 {
    let y = activation.apply(rescale(acc, scale, bias));
    match quant {
        Some(params) => params.quantize_centred(y) as f32,
        None => y,
    }
}

fn pixels(shape: &Conv2dShape) -> usize {
    shape.out_height() * shape.out_width()
}

/// Calls `body(o, p, taps)` for each output channel `o` and pixel `p`, where
/// `taps` yields `(weight index, input index)` for every kernel tap inside
/// the input, in (c, ky, kx) order.
fn conv_loops(
    shape: &Conv2dShape,
    mut body: impl FnMut(usize, usize, &mut dyn Iterator<Item = (usize, usize)>),
) {
    let s = *shape;
    for o in 0..s.out_channels {
        for oy in 0..s.out_height() {
            for ox in 0..s.out_width() {
                let mut taps = (0..s.in_channels).flat_map(move |c| {
                    (0..s.kernel_height).flat_map(move |ky| {
                        (0..s.kernel_width).filter_map(move |kx| {
                            let iy = (oy * s.stride_height + ky) as isize - s.pad_top as isize;
                            let ix = (ox * s.stride_width + kx) as isize - s.pad_left as isize;
                            let inside = iy >= 0
                                && ix >= 0
                                && (iy as usize) < s.in_height
                                && (ix as usize) < s.in_width;
                            if !inside {
                                return None;
                            }
                            let w = ((o * s.in_channels + c) * s.kernel_height + ky)
                                * s.kernel_width
                                + kx;
                            let x = (c * s.in_height + iy as usize) * s.in_width + ix as usize;
                            Some((w, x))
                        })
                    })
                });
                body(o, oy * s.out_width() + ox, &mut taps);
            }
        }
    }
}
