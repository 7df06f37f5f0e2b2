//! 2-D convolution and transposed convolution as gathers, scatters and matrix products.
//!
//! candle 0.11.1 computes the gradient of `conv2d` and both passes of
//! `conv_transpose2d` on the CPU with direct loops, which made a training step
//! of the conv model an order of magnitude slower than the same step written
//! with `index_select`, `index_add` and `matmul`. Those three have fast CPU
//! kernels and exact gradients in candle, so both layers are written with
//! them here. Index tables are built once per layer, since every layer of the
//! two models sees one fixed spatial size.
//!
//! Shapes, for a square kernel k, stride s, padding p and output padding q:
//! - convolution: H_out = floor((H + 2p - k) / s) + 1;
//! - transposed convolution: H_out = (H - 1)·s - 2p + k + q.

use candle_core::{Device, Result, Tensor};

/// The gather table of a convolution: for every output pixel (oy, ox) and
/// every tap (c, a, b), the position in the zero-padded input of one image.
///
/// The product of the gathered (N·H_out·W_out, C·k·k) matrix with the
/// weights reshaped to (C·k·k, O) is the convolution.
pub(crate) fn conv_gather_index(
    channels: usize,
    height: usize,
    width: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    device: &Device,
) -> Result<Tensor> {
    let (padded_height, padded_width) = (height + 2 * padding, width + 2 * padding);
    let out_height = (padded_height - kernel) / stride + 1;
    let out_width = (padded_width - kernel) / stride + 1;
    let mut index = Vec::with_capacity(out_height * out_width * channels * kernel * kernel);
    for oy in 0..out_height {
        for ox in 0..out_width {
            for c in 0..channels {
                for a in 0..kernel {
                    for b in 0..kernel {
                        let (y, x) = (oy * stride + a, ox * stride + b);
                        index.push(((c * padded_height + y) * padded_width + x) as u32);
                    }
                }
            }
        }
    }
    let len = index.len();
    Tensor::from_vec(index, len, device)
}

/// Computes a convolution of `x` (N, C, H, W) with `weight` (O, C, k, k),
/// using the table from [`conv_gather_index`]. The bias is not added.
pub(crate) fn conv2d(
    x: &Tensor,
    weight: &Tensor,
    index: &Tensor,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let (out_channels, _, kernel, _) = weight.dims4()?;
    let out_height = (h + 2 * padding - kernel) / stride + 1;
    let out_width = (w + 2 * padding - kernel) / stride + 1;

    let padded = x
        .pad_with_zeros(2, padding, padding)?
        .pad_with_zeros(3, padding, padding)?;
    let flat = padded.reshape((n, c * (h + 2 * padding) * (w + 2 * padding)))?;
    let columns = flat
        .index_select(index, 1)?
        .reshape((n * out_height * out_width, c * kernel * kernel))?;
    let weight = weight.reshape((out_channels, c * kernel * kernel))?;
    let y = columns.matmul(&weight.t()?)?;
    y.reshape((n, out_height * out_width, out_channels))?
        .transpose(1, 2)?
        .reshape((n, out_channels, out_height, out_width))
}

/// The scatter table of a transposed convolution: for every input pixel
/// (i, j), output channel o and tap (a, b), the output position
/// (o, i·s + a - p, j·s + b - p) of one image, or the discard slot
/// O·H_out·W_out when that position falls outside the output.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv_transpose_scatter_index(
    out_channels: usize,
    height: usize,
    width: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    output_padding: usize,
    device: &Device,
) -> Result<Tensor> {
    let out_height = (height - 1) * stride + kernel + output_padding - 2 * padding;
    let out_width = (width - 1) * stride + kernel + output_padding - 2 * padding;
    let discard = (out_channels * out_height * out_width) as u32;
    let mut index = Vec::with_capacity(height * width * out_channels * kernel * kernel);
    for i in 0..height {
        for j in 0..width {
            for o in 0..out_channels {
                for a in 0..kernel {
                    for b in 0..kernel {
                        let y = (i * stride + a) as isize - padding as isize;
                        let x = (j * stride + b) as isize - padding as isize;
                        let inside = (0..out_height as isize).contains(&y)
                            && (0..out_width as isize).contains(&x);
                        index.push(if inside {
                            ((o * out_height + y as usize) * out_width + x as usize) as u32
                        } else {
                            discard
                        });
                    }
                }
            }
        }
    }
    let len = index.len();
    Tensor::from_vec(index, len, device)
}

/// Computes a transposed convolution of `x` (N, C, H, W) with `weight`
/// (C, O, k, k), using the table from [`conv_transpose_scatter_index`].
/// The bias is not added.
pub(crate) fn conv_transpose2d(
    x: &Tensor,
    weight: &Tensor,
    index: &Tensor,
    stride: usize,
    padding: usize,
    output_padding: usize,
) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let (_, out_channels, kernel, _) = weight.dims4()?;
    let out_height = (h - 1) * stride + kernel + output_padding - 2 * padding;
    let out_width = (w - 1) * stride + kernel + output_padding - 2 * padding;

    // Every input pixel contributes its channel vector times the weights to a k×k patch.
    let pixels = x
        .transpose(1, 2)?
        .transpose(2, 3)?
        .reshape((n * h * w, c))?;
    let patches = pixels.matmul(&weight.reshape((c, out_channels * kernel * kernel))?)?;
    let patches = patches.reshape((n, h * w * out_channels * kernel * kernel))?;

    let slots = out_channels * out_height * out_width;
    let sums =
        Tensor::zeros((n, slots + 1), x.dtype(), x.device())?.index_add(index, &patches, 1)?;
    sums.narrow(1, 0, slots)?
        .reshape((n, out_channels, out_height, out_width))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar()
            .unwrap()
    }

    /// candle's own direct convolutions are the reference.
    #[test]
    fn conv2d_matches_candle() -> Result<()> {
        let device = Device::Cpu;
        for (c, o, h, k, s, p) in [
            (1, 16, 28, 3, 2, 1),
            (16, 32, 14, 3, 2, 1),
            (32, 64, 7, 7, 1, 0),
            (3, 5, 9, 3, 1, 1),
        ] {
            let x = Tensor::randn(0f32, 1.0, (3, c, h, h), &device)?;
            let weight = Tensor::randn(0f32, 1.0, (o, c, k, k), &device)?;
            let index = conv_gather_index(c, h, h, k, s, p, &device)?;
            let got = conv2d(&x, &weight, &index, s, p)?;
            let expected = x.conv2d(&weight, p, s, 1, 1)?;
            assert_eq!(got.dims(), expected.dims());
            let diff = max_abs_diff(&got, &expected);
            assert!(
                diff < 1e-4,
                "conv c{c} o{o} h{h} k{k} s{s} p{p}: max abs diff {diff}"
            );
        }
        Ok(())
    }

    #[test]
    fn conv_transpose2d_matches_candle() -> Result<()> {
        let device = Device::Cpu;
        for (c, o, h, k, s, p, q) in [
            (64, 32, 1, 7, 1, 0, 0),
            (32, 16, 7, 3, 2, 1, 1),
            (16, 1, 14, 3, 2, 1, 1),
            (2, 3, 4, 3, 2, 0, 0),
        ] {
            let x = Tensor::randn(0f32, 1.0, (3, c, h, h), &device)?;
            let weight = Tensor::randn(0f32, 1.0, (c, o, k, k), &device)?;
            let index = conv_transpose_scatter_index(o, h, h, k, s, p, q, &device)?;
            let got = conv_transpose2d(&x, &weight, &index, s, p, q)?;
            let expected = x.conv_transpose2d(&weight, p, q, s, 1)?;
            assert_eq!(got.dims(), expected.dims());
            let diff = max_abs_diff(&got, &expected);
            assert!(
                diff < 1e-4,
                "transposed conv c{c} o{o} h{h} k{k} s{s} p{p} q{q}: max abs diff {diff}"
            );
        }
        Ok(())
    }
}
