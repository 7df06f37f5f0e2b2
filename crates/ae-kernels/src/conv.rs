//! 2-D convolution of one NCHW image with OIHW weights (groups 1, dilation 1).
//!
//! The fast kernels gather, for one output pixel, the receptive field into a
//! small patch (`in_channels * kernel_height * kernel_width` values, in the
//! weights' (c, ky, kx) order) and multiply it by every output channel's
//! weight row. Each output pixel computes its valid kernel window once, so
//! padding costs a zero fill of the patch instead of a branch per tap.

use crate::activation::Activation;
use crate::dense::I8Output;
use crate::dot::{matvec_f32, matvec_i8};
use crate::quant::rescale;

/// Geometry of a convolution layer.
///
/// Output size per axis: `(in + pad_begin + pad_end - kernel) / stride + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dShape {
    /// Input channels.
    pub in_channels: usize,
    /// Input height in pixels.
    pub in_height: usize,
    /// Input width in pixels.
    pub in_width: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Kernel height.
    pub kernel_height: usize,
    /// Kernel width.
    pub kernel_width: usize,
    /// Vertical stride.
    pub stride_height: usize,
    /// Horizontal stride.
    pub stride_width: usize,
    /// Zero rows added above the input.
    pub pad_top: usize,
    /// Zero columns added left of the input.
    pub pad_left: usize,
    /// Zero rows added below the input.
    pub pad_bottom: usize,
    /// Zero columns added right of the input.
    pub pad_right: usize,
}

impl Conv2dShape {
    /// Output height, or 0 when the kernel is taller than the padded input
    /// or the stride is 0.
    pub const fn out_height(&self) -> usize {
        out_size(
            self.in_height,
            self.pad_top + self.pad_bottom,
            self.kernel_height,
            self.stride_height,
        )
    }

    /// Output width, or 0 when the kernel is wider than the padded input or
    /// the stride is 0.
    pub const fn out_width(&self) -> usize {
        out_size(
            self.in_width,
            self.pad_left + self.pad_right,
            self.kernel_width,
            self.stride_width,
        )
    }

    /// Number of input values (`C * H * W`).
    pub const fn input_len(&self) -> usize {
        self.in_channels * self.in_height * self.in_width
    }

    /// Number of output values.
    pub const fn output_len(&self) -> usize {
        self.out_channels * self.out_height() * self.out_width()
    }

    /// Number of weights per output channel, which is also the patch length.
    pub const fn row_len(&self) -> usize {
        self.in_channels * self.kernel_height * self.kernel_width
    }

    /// Scratch values the fast kernels need for the patch: 0 when the kernel
    /// covers the whole unpadded input, because the input is then the patch.
    pub const fn patch_len(&self) -> usize {
        if self.input_is_patch() {
            0
        } else {
            self.row_len()
        }
    }

    const fn input_is_patch(&self) -> bool {
        self.kernel_height == self.in_height
            && self.kernel_width == self.in_width
            && self.pad_top == 0
            && self.pad_left == 0
            && self.pad_bottom == 0
            && self.pad_right == 0
    }
}

const fn out_size(input: usize, padding: usize, kernel: usize, stride: usize) -> usize {
    if stride == 0 || kernel == 0 || input + padding < kernel {
        0
    } else {
        (input + padding - kernel) / stride + 1
    }
}

/// Valid kernel offsets `lo..hi` along one axis for output coordinate `out`.
#[inline(always)]
fn valid_taps(
    out: usize,
    stride: usize,
    pad: usize,
    kernel: usize,
    input: usize,
) -> (usize, usize) {
    let origin = out * stride;
    let lo = pad.saturating_sub(origin);
    let hi = (input + pad).saturating_sub(origin).min(kernel);
    (lo, hi)
}

/// Copies the receptive field of output pixel `(oy, ox)` into `patch`,
/// writing zeros where the kernel overlaps the padding.
#[inline(always)]
fn gather_patch<T: Copy + Default>(
    shape: &Conv2dShape,
    input: &[T],
    oy: usize,
    ox: usize,
    patch: &mut [T],
) {
    let (kh, kw) = (shape.kernel_height, shape.kernel_width);
    let (ky_lo, ky_hi) = valid_taps(oy, shape.stride_height, shape.pad_top, kh, shape.in_height);
    let (kx_lo, kx_hi) = valid_taps(ox, shape.stride_width, shape.pad_left, kw, shape.in_width);

    if ky_lo > 0 || ky_hi < kh || kx_lo > 0 || kx_hi < kw {
        patch.fill(T::default());
    }
    if ky_lo >= ky_hi || kx_lo >= kx_hi {
        return;
    }

    let iy0 = oy * shape.stride_height + ky_lo - shape.pad_top;
    let ix0 = ox * shape.stride_width + kx_lo - shape.pad_left;
    let width = kx_hi - kx_lo;
    let plane = shape.in_height * shape.in_width;
    for c in 0..shape.in_channels {
        for (dy, ky) in (ky_lo..ky_hi).enumerate() {
            let src = c * plane + (iy0 + dy) * shape.in_width + ix0;
            let dst = (c * kh + ky) * kw + kx_lo;
            patch[dst..dst + width].copy_from_slice(&input[src..src + width]);
        }
    }
}

/// Calls `pixel(p, patch)` for each output pixel `p` (row-major), with the
/// pixel's receptive field as `patch`.
#[inline(always)]
fn for_each_patch<T: Copy + Default>(
    shape: &Conv2dShape,
    input: &[T],
    patch: &mut [T],
    mut pixel: impl FnMut(usize, &[T]),
) {
    if shape.input_is_patch() {
        pixel(0, input);
        return;
    }
    let patch = &mut patch[..shape.row_len()];
    let out_width = shape.out_width();
    for oy in 0..shape.out_height() {
        for ox in 0..out_width {
            gather_patch(shape, input, oy, ox, patch);
            pixel(oy * out_width + ox, patch);
        }
    }
}

fn check_lengths(
    shape: &Conv2dShape,
    weights: usize,
    bias: usize,
    input: usize,
    output: usize,
    patch: usize,
) {
    assert!(
        shape.output_len() > 0,
        "convolution has an empty output: {shape:?}"
    );
    assert_eq!(
        weights,
        shape.out_channels * shape.row_len(),
        "conv weights length"
    );
    assert_eq!(bias, shape.out_channels, "conv bias length");
    assert_eq!(input, shape.input_len(), "conv input length");
    assert_eq!(output, shape.output_len(), "conv output length");
    assert!(patch >= shape.patch_len(), "conv patch scratch too short");
}

/// Computes `output = activation(conv2d(input, weights) + bias)` in f32.
///
/// `weights` are OIHW, `input` and `output` CHW. `patch` is scratch of at
/// least [`Conv2dShape::patch_len`] values.
///
/// # Panics
/// If a length does not match `shape` or the output would be empty.
pub fn conv2d_f32(
    shape: &Conv2dShape,
    weights: &[f32],
    bias: &[f32],
    input: &[f32],
    output: &mut [f32],
    patch: &mut [f32],
    activation: Activation,
) {
    check_lengths(
        shape,
        weights.len(),
        bias.len(),
        input.len(),
        output.len(),
        patch.len(),
    );

    let pixels = shape.out_height() * shape.out_width();
    for_each_patch(shape, input, patch, |p, patch| {
        matvec_f32(weights, patch, |o, acc| {
            output[o * pixels + p] = activation.apply(acc + bias[o]);
        });
    });
}

/// Computes one int8 convolution layer.
///
/// `weights` are OIHW rows packed as in [`crate::quant::pack_weights_i8`],
/// `input` centred activations (`q - z`, so padding is exactly 0), and
/// `scales[o]` is `s_w[o] * s_input`. `patch` is scratch of at least
/// [`Conv2dShape::patch_len`] values.
///
/// # Panics
/// If a length does not match `shape` or the output would be empty.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_i8(
    shape: &Conv2dShape,
    weights: &[i8],
    scales: &[f32],
    bias: &[f32],
    input: &[i16],
    mut output: I8Output<'_>,
    patch: &mut [i16],
    activation: Activation,
) {
    check_lengths(
        shape,
        weights.len(),
        bias.len(),
        input.len(),
        output.len(),
        patch.len(),
    );
    assert_eq!(scales.len(), shape.out_channels, "conv scales length");

    let pixels = shape.out_height() * shape.out_width();
    for_each_patch(shape, input, patch, |p, patch| {
        matvec_i8(weights, patch, |o, acc| {
            output.store(
                o * pixels + p,
                activation.apply(rescale(acc, scales[o], bias[o])),
            );
        });
    });
}
