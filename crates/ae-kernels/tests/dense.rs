//! Fast fully connected kernels against the reference loops.

mod common;

use ae_kernels::quant::pack_weights_i8;
use ae_kernels::{dense_f32, dense_i8, reference, Activation, I8Output, QuantParams};
use common::{max_abs_diff, Rng};

/// (in_features, out_features): tails of 1-3 rows and columns, the linear
/// encoder's layers, and rows longer than the unrolled block.
const SHAPES: &[(usize, usize)] = &[
    (1, 1),
    (3, 2),
    (4, 4),
    (5, 7),
    (9, 16),
    (12, 3),
    (64, 12),
    (128, 64),
    (131, 9),
    (784, 128),
];

/// The fast and reference f32 kernels add the products in the same order,
/// so they are expected to agree exactly. The tolerance only allows for a
/// compiler that contracts a multiply-add.
const F32_TOLERANCE: f32 = 1e-5;

#[test]
fn dense_f32_matches_reference() {
    let mut rng = Rng::new(7);
    for &(n, m) in SHAPES {
        for activation in [Activation::Identity, Activation::Relu] {
            let weights = rng.f32s(n * m);
            let bias = rng.f32s(m);
            let input = rng.f32s(n);
            let mut fast = vec![f32::NAN; m];
            let mut slow = vec![f32::NAN; m];

            dense_f32(&weights, &bias, &input, &mut fast, activation);
            reference::dense_f32(&weights, &bias, &input, &mut slow, activation);

            let diff = max_abs_diff(&fast, &slow);
            assert!(
                diff <= F32_TOLERANCE,
                "{n}x{m} {activation:?}: max abs diff {diff}"
            );
        }
    }
}

#[test]
fn dense_relu_clamps_negative_outputs() {
    let weights = [1.0, -1.0];
    let bias = [0.0, 0.5];
    let mut output = [f32::NAN; 2];
    dense_f32(&weights, &bias, &[2.0], &mut output, Activation::Relu);
    assert_eq!(output, [2.0, 0.0]);
}

#[test]
fn dense_i8_float_output_matches_reference() {
    let mut rng = Rng::new(11);
    for &(n, m) in SHAPES {
        let natural = rng.i8s(n * m);
        let mut packed = vec![0i8; n * m];
        pack_weights_i8(n, &natural, &mut packed);
        let scales: Vec<f32> = (0..m).map(|_| 1e-4 * (1.0 + rng.uniform().abs())).collect();
        let bias = rng.f32s(m);
        let input = rng.centred(n);

        let mut fast = vec![f32::NAN; m];
        let mut slow = vec![f32::NAN; m];
        dense_i8(
            &packed,
            &scales,
            &bias,
            &input,
            I8Output::Float(&mut fast),
            Activation::Relu,
        );
        reference::dense_i8(
            &natural,
            &scales,
            &bias,
            &input,
            &mut slow,
            None,
            Activation::Relu,
        );

        assert_eq!(fast, slow, "{n}x{m}");
    }
}

#[test]
fn dense_i8_quantized_output_matches_reference() {
    let mut rng = Rng::new(13);
    let output_quant = QuantParams::from_min_max(-0.7, 1.3);
    for &(n, m) in SHAPES {
        let natural = rng.i8s(n * m);
        let mut packed = vec![0i8; n * m];
        pack_weights_i8(n, &natural, &mut packed);
        let scales: Vec<f32> = (0..m).map(|_| 2e-5 * (1.0 + rng.uniform().abs())).collect();
        let bias = rng.f32s(m);
        let input = rng.centred(n);

        let mut fast = vec![0i16; m];
        let mut slow = vec![f32::NAN; m];
        let sink = I8Output::Quantized(&mut fast, output_quant);
        dense_i8(&packed, &scales, &bias, &input, sink, Activation::Identity);
        reference::dense_i8(
            &natural,
            &scales,
            &bias,
            &input,
            &mut slow,
            Some(output_quant),
            Activation::Identity,
        );

        let fast: Vec<f32> = fast.iter().map(|&c| c as f32).collect();
        assert_eq!(fast, slow, "{n}x{m}");
    }
}

#[test]
fn dense_i8_extreme_values_do_not_overflow() {
    let n = 784;
    let natural = vec![-127i8; n];
    let mut packed = vec![0i8; n];
    pack_weights_i8(n, &natural, &mut packed);
    let input = vec![-255i16; n];
    let mut output = [f32::NAN];

    dense_i8(
        &packed,
        &[1.0],
        &[0.0],
        &input,
        I8Output::Float(&mut output),
        Activation::Identity,
    );

    assert_eq!(output[0], (127 * 255 * n) as f32);
}
