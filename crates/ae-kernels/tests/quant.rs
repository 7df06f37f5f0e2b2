//! Quantization parameters, weight packing and the encoder runners.

mod common;

use ae_kernels::quant::{pack_weights_i8, quantize_weight, weight_scale};
use ae_kernels::{
    reference, Activation, EncoderF32, EncoderI8, KernelError, LayerF32, LayerI8, LayerKind,
    QuantParams,
};
use common::{max_abs_diff, Rng};

#[test]
fn unit_range_maps_pixels_exactly() {
    let params = QuantParams::from_min_max(0.0, 1.0);
    assert_eq!(params.zero_point, -128);
    assert!((params.scale - 1.0 / 255.0).abs() < 1e-9);
    for pixel in 0..=255u8 {
        let x = pixel as f32 / 255.0;
        assert_eq!(params.quantize_centred(x), pixel as i16, "pixel {pixel}");
    }
}

#[test]
fn range_is_widened_to_contain_zero() {
    let params = QuantParams::from_min_max(2.0, 4.0);
    assert_eq!(params.zero_point, -128);
    assert_eq!(params.quantize_centred(0.0), 0);
    let params = QuantParams::from_min_max(-3.0, -1.0);
    assert_eq!(params.zero_point, 127);
    assert_eq!(params.quantize_centred(0.0), 0);
}

#[test]
fn quantize_round_trip_within_half_step() {
    let params = QuantParams::from_min_max(-1.5, 2.5);
    let mut rng = Rng::new(23);
    for _ in 0..1000 {
        let x = 2.0 * rng.uniform() + 0.5;
        let back = params.dequantize_centred(params.quantize_centred(x));
        assert!(
            (back - x).abs() <= params.scale * 0.5 + 1e-6,
            "x {x} back {back}"
        );
    }
}

#[test]
fn out_of_range_values_saturate() {
    let params = QuantParams::from_min_max(-1.0, 1.0);
    let high = params.quantize_centred(10.0) as i32 + params.zero_point;
    let low = params.quantize_centred(-10.0) as i32 + params.zero_point;
    assert_eq!(high, 127);
    assert_eq!(low, -128);
}

#[test]
fn weight_scale_uses_max_abs() {
    let row = [0.5, -1.27, 0.0];
    let scale = weight_scale(&row);
    assert!((scale - 0.01).abs() < 1e-7);
    assert_eq!(quantize_weight(-1.27, scale), -127);
    assert_eq!(quantize_weight(0.5, scale), 50);
    assert_eq!(weight_scale(&[0.0, 0.0]), 1.0);
}

#[test]
fn packing_swaps_middle_of_each_group() {
    let natural: Vec<i8> = (0..12).collect();
    let mut packed = vec![0i8; 12];
    pack_weights_i8(6, &natural, &mut packed);
    assert_eq!(packed, [0, 2, 1, 3, 4, 5, 6, 8, 7, 9, 10, 11]);
}

fn dense(n: usize, m: usize) -> LayerKind {
    LayerKind::Dense {
        in_features: n,
        out_features: m,
    }
}

#[test]
fn encoder_f32_matches_chained_reference() {
    let mut rng = Rng::new(29);
    let dims = [784, 128, 64, 12, 3];
    let weights: Vec<Vec<f32>> = dims.windows(2).map(|d| rng.f32s(d[0] * d[1])).collect();
    let biases: Vec<Vec<f32>> = dims[1..].iter().map(|&m| rng.f32s(m)).collect();
    let activations = [
        Activation::Identity,
        Activation::Relu,
        Activation::Identity,
        Activation::Identity,
    ];
    let layers: Vec<LayerF32> = (0..4)
        .map(|i| LayerF32 {
            kind: dense(dims[i], dims[i + 1]),
            weights: &weights[i],
            bias: &biases[i],
            activation: activations[i],
        })
        .collect();
    let encoder = EncoderF32 { layers: &layers };
    let input = rng.f32s(784);

    let mut output = [f32::NAN; 3];
    let mut scratch = vec![f32::NAN; encoder.scratch_len()];
    encoder
        .encode(&input, &mut output, &mut scratch)
        .expect("valid encoder");

    let mut expected = input.clone();
    for i in 0..4 {
        let mut next = vec![0.0; dims[i + 1]];
        reference::dense_f32(
            &weights[i],
            &biases[i],
            &expected,
            &mut next,
            activations[i],
        );
        expected = next;
    }
    assert_eq!(
        encoder.scratch_len(),
        128 + 64,
        "two ping-pong buffers, no patch"
    );
    assert!(max_abs_diff(&output, &expected) <= 1e-5);
}

#[test]
fn encoder_i8_matches_chained_reference() {
    let mut rng = Rng::new(31);
    let dims = [20, 8, 5];
    let natural: Vec<Vec<i8>> = dims.windows(2).map(|d| rng.i8s(d[0] * d[1])).collect();
    let packed: Vec<Vec<i8>> = natural
        .iter()
        .zip(dims.windows(2))
        .map(|(w, d)| {
            let mut p = vec![0; w.len()];
            pack_weights_i8(d[0], w, &mut p);
            p
        })
        .collect();
    let scales: Vec<Vec<f32>> = dims[1..].iter().map(|&m| vec![3e-4; m]).collect();
    let biases: Vec<Vec<f32>> = dims[1..].iter().map(|&m| rng.f32s(m)).collect();
    let input_quant = QuantParams::from_min_max(-1.0, 1.0);
    let hidden_quant = QuantParams::from_min_max(0.0, 2.0);
    let layers = [
        LayerI8 {
            kind: dense(20, 8),
            weights: &packed[0],
            scales: &scales[0],
            bias: &biases[0],
            activation: Activation::Relu,
            output_quant: Some(hidden_quant),
        },
        LayerI8 {
            kind: dense(8, 5),
            weights: &packed[1],
            scales: &scales[1],
            bias: &biases[1],
            activation: Activation::Identity,
            output_quant: None,
        },
    ];
    let encoder = EncoderI8 {
        input_quant,
        layers: &layers,
    };
    let input = rng.f32s(20);

    let mut output = [f32::NAN; 5];
    let mut scratch = vec![i16::MIN; encoder.scratch_len()];
    encoder
        .encode(&input, &mut output, &mut scratch)
        .expect("valid encoder");

    let centred: Vec<i16> = input
        .iter()
        .map(|&x| input_quant.quantize_centred(x))
        .collect();
    let mut hidden = vec![0.0; 8];
    reference::dense_i8(
        &natural[0],
        &scales[0],
        &biases[0],
        &centred,
        &mut hidden,
        Some(hidden_quant),
        Activation::Relu,
    );
    let hidden: Vec<i16> = hidden.iter().map(|&c| c as i16).collect();
    let mut expected = vec![0.0; 5];
    reference::dense_i8(
        &natural[1],
        &scales[1],
        &biases[1],
        &hidden,
        &mut expected,
        None,
        Activation::Identity,
    );
    assert_eq!(output.to_vec(), expected);
}

#[test]
fn encoder_rejects_inconsistent_tables() {
    let weights = [0.0f32; 12];
    let bias = [0.0f32; 4];
    let layers = [
        LayerF32 {
            kind: dense(3, 4),
            weights: &weights,
            bias: &bias,
            activation: Activation::Relu,
        },
        LayerF32 {
            kind: dense(5, 2),
            weights: &weights[..10],
            bias: &bias[..2],
            activation: Activation::Identity,
        },
    ];
    let encoder = EncoderF32 { layers: &layers };
    assert_eq!(
        encoder.validate(),
        Err(KernelError::ChainMismatch {
            layer: 1,
            expected: 4,
            found: 5
        })
    );

    let layers = [LayerF32 {
        kind: dense(3, 4),
        weights: &weights[..11],
        bias: &bias,
        activation: Activation::Relu,
    }];
    let encoder = EncoderF32 { layers: &layers };
    let expected = KernelError::ParameterLength {
        layer: 0,
        parameter: "weights",
        expected: 12,
        found: 11,
    };
    assert_eq!(encoder.validate(), Err(expected));

    assert_eq!(
        EncoderF32 { layers: &[] }.validate(),
        Err(KernelError::NoLayers)
    );
}

#[test]
fn encoder_rejects_short_buffers() {
    let weights = [0.0f32; 12];
    let bias = [0.0f32; 4];
    let layers = [
        LayerF32 {
            kind: dense(3, 4),
            weights: &weights,
            bias: &bias,
            activation: Activation::Relu,
        },
        LayerF32 {
            kind: dense(4, 3),
            weights: &weights,
            bias: &bias[..3],
            activation: Activation::Identity,
        },
    ];
    let encoder = EncoderF32 { layers: &layers };
    let mut output = [0.0; 3];

    let result = encoder.encode(&[0.0; 3], &mut output, &mut [0.0; 3]);
    assert_eq!(
        result,
        Err(KernelError::BufferLength {
            buffer: "scratch",
            expected: 4,
            found: 3
        })
    );

    let result = encoder.encode(&[0.0; 2], &mut output, &mut [0.0; 4]);
    assert_eq!(
        result,
        Err(KernelError::BufferLength {
            buffer: "input",
            expected: 3,
            found: 2
        })
    );
}

#[test]
fn activation_rounding_ties_to_even() {
    let params = QuantParams {
        scale: 1.0,
        zero_point: 0,
    };
    let cases = [
        (0.5, 0),
        (1.5, 2),
        (2.5, 2),
        (-0.5, 0),
        (-1.5, -2),
        (0.49, 0),
        (0.51, 1),
        (126.4, 126),
    ];
    for (x, expected) in cases {
        assert_eq!(params.quantize_centred(x), expected, "x = {x}");
    }
    assert_eq!(params.quantize_centred(f32::NAN), 0, "NaN");
    assert_eq!(params.quantize_centred(1e30), 127, "saturates high");
    assert_eq!(params.quantize_centred(-1e30), -128, "saturates low");
}
