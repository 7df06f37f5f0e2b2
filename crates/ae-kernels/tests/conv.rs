//! Fast convolution kernels against the reference loops.

mod common;

use ae_kernels::quant::pack_weights_i8;
use ae_kernels::{
    conv2d_f32, conv2d_i8, reference, Activation, Conv2dShape, I8Output, QuantParams,
};
use common::{max_abs_diff, Rng};

/// Builds a shape from (channels in/out, input h/w, kernel h/w, stride h/w,
/// padding top/left/bottom/right).
#[allow(clippy::too_many_arguments)]
fn shape(
    ci: usize,
    co: usize,
    (h, w): (usize, usize),
    (kh, kw): (usize, usize),
    (sh, sw): (usize, usize),
    (pt, pl, pb, pr): (usize, usize, usize, usize),
) -> Conv2dShape {
    Conv2dShape {
        in_channels: ci,
        in_height: h,
        in_width: w,
        out_channels: co,
        kernel_height: kh,
        kernel_width: kw,
        stride_height: sh,
        stride_width: sw,
        pad_top: pt,
        pad_left: pl,
        pad_bottom: pb,
        pad_right: pr,
    }
}

/// Returns the conv encoder's three layers, then odd cases: stride 1 and 3,
/// asymmetric and oversized padding, non-square kernels and inputs, a
/// kernel covering the whole input (the patch-free path), channel counts
/// that leave row tails.
fn shapes() -> Vec<Conv2dShape> {
    vec![
        shape(1, 16, (28, 28), (3, 3), (2, 2), (1, 1, 1, 1)),
        shape(16, 32, (14, 14), (3, 3), (2, 2), (1, 1, 1, 1)),
        shape(32, 64, (7, 7), (7, 7), (1, 1), (0, 0, 0, 0)),
        shape(3, 5, (9, 8), (3, 3), (1, 1), (1, 1, 1, 1)),
        shape(2, 3, (10, 7), (2, 4), (3, 2), (0, 2, 1, 0)),
        shape(1, 1, (5, 5), (5, 5), (1, 1), (2, 2, 2, 2)),
        shape(4, 6, (6, 6), (6, 6), (1, 1), (0, 0, 0, 0)),
        shape(5, 7, (4, 3), (1, 1), (1, 1), (0, 0, 0, 0)),
        shape(2, 9, (3, 3), (3, 3), (2, 2), (3, 3, 3, 3)),
    ]
}

/// Both kernels skip or zero the same taps and add in the same order. The
/// tolerance only allows for a compiler that contracts a multiply-add.
const F32_TOLERANCE: f32 = 1e-5;

#[test]
fn conv2d_f32_matches_reference() {
    let mut rng = Rng::new(17);
    for s in shapes() {
        assert!(s.output_len() > 0, "{s:?} has an empty output");
        let weights = rng.f32s(s.out_channels * s.row_len());
        let bias = rng.f32s(s.out_channels);
        let input = rng.f32s(s.input_len());
        let mut patch = vec![f32::NAN; s.patch_len()];
        let mut fast = vec![f32::NAN; s.output_len()];
        let mut slow = vec![f32::NAN; s.output_len()];

        conv2d_f32(
            &s,
            &weights,
            &bias,
            &input,
            &mut fast,
            &mut patch,
            Activation::Relu,
        );
        reference::conv2d_f32(&s, &weights, &bias, &input, &mut slow, Activation::Relu);

        let diff = max_abs_diff(&fast, &slow);
        assert!(diff <= F32_TOLERANCE, "{s:?}: max abs diff {diff}");
    }
}

#[test]
fn conv2d_i8_matches_reference() {
    let mut rng = Rng::new(19);
    let output_quant = QuantParams::from_min_max(0.0, 2.0);
    for s in shapes() {
        let natural = rng.i8s(s.out_channels * s.row_len());
        let mut packed = vec![0i8; natural.len()];
        pack_weights_i8(s.row_len(), &natural, &mut packed);
        let scales: Vec<f32> = (0..s.out_channels)
            .map(|_| 1e-4 * (1.0 + rng.uniform().abs()))
            .collect();
        let bias = rng.f32s(s.out_channels);
        let input = rng.centred(s.input_len());
        let mut patch = vec![i16::MIN; s.patch_len()];

        let mut fast_float = vec![f32::NAN; s.output_len()];
        let mut slow_float = vec![f32::NAN; s.output_len()];
        let sink = I8Output::Float(&mut fast_float);
        conv2d_i8(
            &s,
            &packed,
            &scales,
            &bias,
            &input,
            sink,
            &mut patch,
            Activation::Identity,
        );
        reference::conv2d_i8(
            &s,
            &natural,
            &scales,
            &bias,
            &input,
            &mut slow_float,
            None,
            Activation::Identity,
        );
        assert_eq!(fast_float, slow_float, "{s:?} float output");

        let mut fast_quant = vec![0i16; s.output_len()];
        let mut slow_quant = vec![f32::NAN; s.output_len()];
        let sink = I8Output::Quantized(&mut fast_quant, output_quant);
        conv2d_i8(
            &s,
            &packed,
            &scales,
            &bias,
            &input,
            sink,
            &mut patch,
            Activation::Relu,
        );
        reference::conv2d_i8(
            &s,
            &natural,
            &scales,
            &bias,
            &input,
            &mut slow_quant,
            Some(output_quant),
            Activation::Relu,
        );
        let fast_quant: Vec<f32> = fast_quant.iter().map(|&c| c as f32).collect();
        assert_eq!(fast_quant, slow_quant, "{s:?} quantized output");
    }
}

#[test]
fn conv_output_size_formula() {
    let s = shape(1, 16, (28, 28), (3, 3), (2, 2), (1, 1, 1, 1));
    assert_eq!((s.out_height(), s.out_width()), (14, 14));
    let s = shape(32, 64, (7, 7), (7, 7), (1, 1), (0, 0, 0, 0));
    assert_eq!((s.out_height(), s.out_width()), (1, 1));
    assert_eq!(
        s.patch_len(),
        0,
        "a kernel covering the input needs no patch"
    );
    let s = shape(1, 1, (2, 2), (3, 3), (1, 1), (0, 0, 0, 0));
    assert_eq!(
        s.output_len(),
        0,
        "a kernel larger than the input has no output"
    );
}
