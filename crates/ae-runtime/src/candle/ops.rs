//! Evaluation of each supported ONNX operator with candle tensor operations.

use candle_core::{bail, Result, Tensor};

use super::graph::{Op, Pads};

/// Computes the single output of `op` from its inputs, where `None` is an omitted optional input.
///
/// The graph loader has checked the attributes and that every required input is present.
pub(crate) fn evaluate(op: &Op, inputs: &[Option<&Tensor>]) -> Result<Tensor> {
    let input = |index: usize| match inputs.get(index).copied().flatten() {
        Some(tensor) => Ok(tensor),
        None => bail!("required input {index} is missing"),
    };
    let optional = |index: usize| inputs.get(index).copied().flatten();

    match op {
        Op::Gemm {
            alpha,
            beta,
            trans_a,
            trans_b,
        } => gemm(
            input(0)?,
            input(1)?,
            optional(2),
            *alpha,
            *beta,
            *trans_a,
            *trans_b,
        ),
        Op::MatMul => matmul(input(0)?, input(1)?),
        Op::Add => input(0)?.broadcast_add(input(1)?),
        Op::Conv { stride, pads } => conv(input(0)?, input(1)?, optional(2), *stride, *pads),
        Op::ConvTranspose {
            stride,
            output_padding,
            pads,
        } => conv_transpose(
            input(0)?,
            input(1)?,
            optional(2),
            *stride,
            *output_padding,
            *pads,
        ),
        Op::Relu => input(0)?.relu(),
        Op::Sigmoid => sigmoid(input(0)?),
        Op::Flatten { axis } => flatten(input(0)?, *axis),
        Op::Reshape { shape, allow_zero } => reshape(input(0)?, shape, *allow_zero),
        Op::Identity => Ok(input(0)?.clone()),
    }
}

fn gemm(
    a: &Tensor,
    b: &Tensor,
    c: Option<&Tensor>,
    alpha: f32,
    beta: f32,
    trans_a: bool,
    trans_b: bool,
) -> Result<Tensor> {
    let a = if trans_a { a.t()? } else { a.clone() };
    let b = if trans_b { b.t()? } else { b.clone() };
    let mut product = a.matmul(&b)?;
    if alpha != 1.0 {
        product = product.affine(f64::from(alpha), 0.0)?;
    }

    match c {
        None => Ok(product),
        Some(c) if beta == 1.0 => product.broadcast_add(c),
        Some(c) => product.broadcast_add(&c.affine(f64::from(beta), 0.0)?),
    }
}

fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.rank() < 2 || b.rank() < 2 {
        bail!(
            "MatMul of shapes {:?} and {:?}: operands of rank 1 are not supported",
            a.dims(),
            b.dims()
        );
    }
    a.broadcast_matmul(b)
}

/// Adds a per-channel bias of shape [C] to a [N, C, H, W] tensor.
fn add_channel_bias(output: Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    match bias {
        None => Ok(output),
        Some(bias) => output.broadcast_add(&bias.reshape((1, bias.elem_count(), 1, 1))?),
    }
}

fn conv(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    pads: Pads,
) -> Result<Tensor> {
    // candle pads all four sides by the same amount, so other pads are applied to the input.
    let output = match pads.uniform() {
        Some(padding) => input.conv2d(weight, padding, stride, 1, 1)?,
        None => input
            .pad_with_zeros(2, pads.top, pads.bottom)?
            .pad_with_zeros(3, pads.left, pads.right)?
            .conv2d(weight, 0, stride, 1, 1)?,
    };
    add_channel_bias(output, bias)
}

/// Transposed convolution, whose output size on each axis is
/// `stride * (input - 1) + output_padding + kernel - pad_begin - pad_end`.
fn conv_transpose(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    output_padding: usize,
    pads: Pads,
) -> Result<Tensor> {
    let output = match pads.uniform() {
        Some(padding) => input.conv_transpose2d(weight, padding, output_padding, stride, 1)?,
        // Without padding the output is `pad_begin + pad_end` larger on each axis, so the pads
        // are cropped from its borders.
        None => {
            let full = input.conv_transpose2d(weight, 0, output_padding, stride, 1)?;
            let (_, _, height, width) = full.dims4()?;
            let (Some(kept_height), Some(kept_width)) = (
                height.checked_sub(pads.top + pads.bottom),
                width.checked_sub(pads.left + pads.right),
            ) else {
                bail!("ConvTranspose pads {pads:?} exceed the output size {height}x{width}");
            };
            full.narrow(2, pads.top, kept_height)?
                .narrow(3, pads.left, kept_width)?
        }
    };
    add_channel_bias(output, bias)
}

/// Computes `1 / (1 + exp(-x))`, which saturates to 0 or 1 without NaN for large `|x|`.
fn sigmoid(input: &Tensor) -> Result<Tensor> {
    (input.neg()?.exp()? + 1.0)?.recip()
}

fn flatten(input: &Tensor, axis: i64) -> Result<Tensor> {
    let rank = input.rank() as i64;
    let axis = if axis < 0 { axis + rank } else { axis };
    if !(0..=rank).contains(&axis) {
        bail!(
            "Flatten axis {axis} is out of range for shape {:?}",
            input.dims()
        );
    }

    let (outer, inner) = input.dims().split_at(axis as usize);
    input.reshape((
        outer.iter().product::<usize>(),
        inner.iter().product::<usize>(),
    ))
}

// `usize::is_multiple_of` needs Rust 1.87, after the workspace's rust-version 1.85.
#[allow(clippy::manual_is_multiple_of)]
fn reshape(input: &Tensor, shape: &[i64], allow_zero: bool) -> Result<Tensor> {
    let dims = input.dims();
    let mut target = Vec::with_capacity(shape.len());
    let mut inferred = None;
    for (index, &size) in shape.iter().enumerate() {
        match size {
            -1 => {
                inferred = Some(index);
                target.push(1);
            }
            0 if !allow_zero => match dims.get(index) {
                Some(&copied) => target.push(copied),
                None => {
                    bail!("Reshape to {shape:?}: input {dims:?} has no dimension {index} to copy")
                }
            },
            _ => target.push(size as usize),
        }
    }

    if let Some(index) = inferred {
        let known: usize = target.iter().product();
        if known == 0 || input.elem_count() % known != 0 {
            bail!("Reshape of {dims:?} to {shape:?}: the element count does not divide evenly");
        }
        target[index] = input.elem_count() / known;
    }
    input.reshape(target)
}

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;

    fn tensor(shape: &[usize], values: Vec<f32>) -> Tensor {
        Tensor::from_vec(values, shape, &Device::Cpu).unwrap()
    }

    #[test]
    fn reshape_copies_zero_and_infers_minus_one() {
        let input = tensor(&[2, 3, 4], vec![0.0; 24]);
        assert_eq!(reshape(&input, &[0, -1], false).unwrap().dims(), [2, 12]);
        assert_eq!(
            reshape(&input, &[-1, 2, 2], false).unwrap().dims(),
            [6, 2, 2]
        );
        assert!(reshape(&input, &[5, -1], false).is_err());
        assert!(reshape(&input, &[0, -1], true).is_err());
    }

    #[test]
    fn flatten_splits_at_axis() {
        let input = tensor(&[2, 3, 4], vec![0.0; 24]);
        assert_eq!(flatten(&input, 1).unwrap().dims(), [2, 12]);
        assert_eq!(flatten(&input, 0).unwrap().dims(), [1, 24]);
        assert_eq!(flatten(&input, -1).unwrap().dims(), [6, 4]);
        assert_eq!(flatten(&input, 3).unwrap().dims(), [24, 1]);
        assert!(flatten(&input, 4).is_err());
    }

    #[test]
    fn sigmoid_saturates_without_nan() {
        let input = tensor(&[4], vec![-1000.0, -1.0, 0.0, 1000.0]);
        let output = sigmoid(&input).unwrap().to_vec1::<f32>().unwrap();
        let expected = [0.0, 1.0 / (1.0 + 1f32.exp()), 0.5, 1.0];
        for (found, expected) in output.iter().zip(expected) {
            assert!((found - expected).abs() <= 1e-7, "{output:?}");
        }
    }

    /// Direct transcription of the ONNX Gemm definition, as the reference.
    #[test]
    fn gemm_matches_definition() {
        let a = tensor(&[3, 2], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]); // A' is [2, 3]
        let b = tensor(&[4, 3], (0..12).map(|value| value as f32).collect()); // B' is [3, 4]
        let c = tensor(&[4], vec![1.0, -1.0, 0.5, 2.0]);
        let (alpha, beta) = (0.5, 2.0);

        let output = gemm(&a, &b, Some(&c), alpha, beta, true, true).unwrap();
        let found = output.to_vec2::<f32>().unwrap();

        let a_values = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let c_values = [1.0, -1.0, 0.5, 2.0];
        for (row, found_row) in found.iter().enumerate() {
            for (column, found_value) in found_row.iter().enumerate() {
                let dot: f32 = (0..3)
                    .map(|k| a_values[k][row] * (column * 3 + k) as f32)
                    .sum();
                let expected = alpha * dot + beta * c_values[column];
                assert!(
                    (found_value - expected).abs() <= 1e-5,
                    "[{row},{column}] {found:?}"
                );
            }
        }
    }

    /// Loops straight from the ONNX ConvTranspose definition: each input pixel scatters the
    /// kernel into the output at `stride * position + kernel offset - pad_begin`.
    fn naive_conv_transpose(
        input: &[f32],
        (channels_in, height, width): (usize, usize, usize),
        weight: &[f32],
        (channels_out, kernel): (usize, usize),
        stride: usize,
        output_padding: usize,
        pads: Pads,
    ) -> (Vec<f32>, usize, usize) {
        let out_height = stride * (height - 1) + output_padding + kernel - pads.top - pads.bottom;
        let out_width = stride * (width - 1) + output_padding + kernel - pads.left - pads.right;
        let mut output = vec![0.0; channels_out * out_height * out_width];
        for ci in 0..channels_in {
            for y in 0..height {
                for x in 0..width {
                    let value = input[(ci * height + y) * width + x];
                    for co in 0..channels_out {
                        for ky in 0..kernel {
                            for kx in 0..kernel {
                                let oy = (stride * y + ky) as isize - pads.top as isize;
                                let ox = (stride * x + kx) as isize - pads.left as isize;
                                if oy < 0 || ox < 0 {
                                    continue;
                                }
                                let (oy, ox) = (oy as usize, ox as usize);
                                if oy >= out_height || ox >= out_width {
                                    continue;
                                }
                                let w =
                                    weight[((ci * channels_out + co) * kernel + ky) * kernel + kx];
                                output[(co * out_height + oy) * out_width + ox] += value * w;
                            }
                        }
                    }
                }
            }
        }
        (output, out_height, out_width)
    }

    #[test]
    fn conv_transpose_matches_naive_loops() {
        let (channels_in, height, width, channels_out, kernel) = (2, 3, 4, 3, 3);
        let input: Vec<f32> = (0..channels_in * height * width)
            .map(|i| ((i * 7) % 11) as f32 / 11.0 - 0.4)
            .collect();
        let weight: Vec<f32> = (0..channels_in * channels_out * kernel * kernel)
            .map(|i| ((i * 5) % 13) as f32 / 13.0 - 0.5)
            .collect();
        let input_tensor = tensor(&[1, channels_in, height, width], input.clone());
        let weight_tensor = tensor(&[channels_in, channels_out, kernel, kernel], weight.clone());

        let cases = [
            (
                2,
                1,
                Pads {
                    top: 1,
                    left: 1,
                    bottom: 1,
                    right: 1,
                },
            ),
            (
                2,
                0,
                Pads {
                    top: 0,
                    left: 0,
                    bottom: 0,
                    right: 0,
                },
            ),
            (
                1,
                0,
                Pads {
                    top: 1,
                    left: 0,
                    bottom: 0,
                    right: 2,
                },
            ),
            (
                3,
                2,
                Pads {
                    top: 0,
                    left: 2,
                    bottom: 1,
                    right: 0,
                },
            ),
        ];
        for (stride, output_padding, pads) in cases {
            let (expected, out_height, out_width) = naive_conv_transpose(
                &input,
                (channels_in, height, width),
                &weight,
                (channels_out, kernel),
                stride,
                output_padding,
                pads,
            );
            let found = conv_transpose(
                &input_tensor,
                &weight_tensor,
                None,
                stride,
                output_padding,
                pads,
            )
            .unwrap();
            assert_eq!(
                found.dims(),
                [1, channels_out, out_height, out_width],
                "{pads:?}"
            );
            let found = found.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let diff = found
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(
                diff <= 1e-5,
                "stride {stride} {pads:?}: max abs diff {diff}"
            );
        }
    }

    #[test]
    fn conv_with_uneven_pads_matches_padded_input() {
        let input = tensor(&[1, 1, 3, 3], (1..=9).map(|value| value as f32).collect());
        let weight = tensor(&[1, 1, 2, 2], vec![1.0, 0.0, 0.0, 1.0]);
        let pads = Pads {
            top: 1,
            left: 0,
            bottom: 0,
            right: 1,
        };

        let output = conv(&input, &weight, None, 1, pads).unwrap();
        // Padded input rows: [0,0,0,0], [1,2,3,0], [4,5,6,0], [7,8,9,0]. Each output is the
        // top-left plus the bottom-right value of a 2x2 window.
        let expected = [2.0, 3.0, 0.0, 6.0, 8.0, 3.0, 12.0, 14.0, 6.0];
        assert_eq!(output.dims(), [1, 1, 3, 3]);
        assert_eq!(
            output.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            expected
        );
    }
}
