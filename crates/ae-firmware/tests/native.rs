//! The host runtime (`NativeEncoder`, the firmware's kernels built for the
//! host) against tract and against ONNX Runtime's reference outputs.

mod common;

use ae_firmware::{Calibration, FirmwareError, NativeEncoder, Precision};
use common::{batch_shape, fixture, max_abs, max_abs_diff, mnist_dir, mse, test_images, tract_run};

/// f32 latents must match tract within this max abs difference. Both sum
/// the same products in different orders. Observed differences are a few
/// ulp of latents up to about 40 in magnitude.
const F32_TOLERANCE: f32 = 1e-5;

/// int8 latents must lie within this fraction of the largest |latent| of
/// the batch from tract's f32 latents: an estimate of the quantization
/// noise of four or three int8 layers, not a property of the scheme.
const INT8_RELATIVE_TOLERANCE: f32 = 0.02;

/// ONNX Runtime sums the long convolution dot products in another order
/// (blocked GEMM with fused multiply-adds): 2.3e-5 observed at latents of
/// magnitude 30, about 6 ulp. Tolerance: 2e-6 of the largest |latent|, at
/// least 1e-5.
fn onnx_runtime_tolerance(expected: &[f32]) -> f32 {
    (2e-6 * max_abs(expected)).max(1e-5)
}

fn int8() -> Precision {
    Precision::Int8 {
        calibration: Calibration {
            mnist_dir: mnist_dir(),
            images: 1000,
        },
    }
}

fn load(name: &str, precision: Precision) -> NativeEncoder {
    NativeEncoder::load(&fixture(name), precision).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn compare_with_tract(name: &str, precision: Precision, tolerance_of: impl Fn(&[f32]) -> f32) {
    let precision_name = if precision == Precision::F32 {
        "f32"
    } else {
        "int8"
    };
    let encoder = load(name, precision);
    let (images, _) = test_images(100);
    let ours = encoder.encode(&images).expect("encode");
    let theirs = tract_run(
        &fixture(name),
        &batch_shape(encoder.input_shape(), 100),
        &images,
    );
    let diff = max_abs_diff(&ours, &theirs);
    let tolerance = tolerance_of(&theirs);
    println!(
        "{name} {precision_name}: max abs diff from tract {diff:e} (max |latent| {})",
        max_abs(&theirs)
    );
    assert!(
        diff <= tolerance,
        "{name}: max abs diff {diff} > {tolerance}"
    );
}

#[test]
fn linear_f32_matches_tract() {
    compare_with_tract("linear.encoder.ts17.onnx", Precision::F32, |_| {
        F32_TOLERANCE
    });
}

#[test]
fn conv_f32_matches_tract() {
    compare_with_tract("conv.encoder.ts17.onnx", Precision::F32, |_| F32_TOLERANCE);
}

#[test]
fn linear_int8_close_to_tract() {
    compare_with_tract("linear.encoder.ts17.onnx", int8(), |l| {
        INT8_RELATIVE_TOLERANCE * max_abs(l)
    });
}

#[test]
fn conv_int8_close_to_tract() {
    compare_with_tract("conv.encoder.ts17.onnx", int8(), |l| {
        INT8_RELATIVE_TOLERANCE * max_abs(l)
    });
}

#[test]
fn f32_matches_onnx_runtime_outputs() {
    for stem in [
        "linear.encoder.ts17",
        "conv.encoder.ts17",
        "conv.encoder.untrained.ts11",
    ] {
        let encoder = load(&format!("{stem}.onnx"), Precision::F32);
        let input_stem = stem.replace("untrained.ts11", "ts17");
        let (_, input) =
            ae_data::read_npy_f32(&fixture(&format!("{input_stem}.input.npy"))).expect("input.npy");
        let (_, expected) =
            ae_data::read_npy_f32(&fixture(&format!("{stem}.output.npy"))).expect("output.npy");
        let ours = encoder.encode(&input).expect("encode");
        let diff = max_abs_diff(&ours, &expected);
        let tolerance = onnx_runtime_tolerance(&expected);
        assert!(
            diff <= tolerance,
            "{stem}: max abs diff {diff} from ONNX Runtime > {tolerance}"
        );
    }
}

/// Reconstruction MSE over all 10,000 test images when the int8 latents are
/// decoded (tract, PyTorch's decoder) must be within 5% of the f32 latents'.
fn reconstruction_mse(encoder_name: &str, decoder_name: &str, latent_shape: &[usize]) {
    let (images, _) = test_images(10_000);
    let f32_latents = load(encoder_name, Precision::F32)
        .encode(&images)
        .expect("f32 encode");
    let int8_latents = load(encoder_name, int8())
        .encode(&images)
        .expect("int8 encode");

    let shape = batch_shape(latent_shape, 10_000);
    let decoder = fixture(decoder_name);
    let f32_mse = mse(&tract_run(&decoder, &shape, &f32_latents), &images);
    let int8_mse = mse(&tract_run(&decoder, &shape, &int8_latents), &images);
    println!("{encoder_name}: reconstruction MSE over 10000 test images: f32 {f32_mse:.7}, int8 {int8_mse:.7}");

    let relative = (int8_mse - f32_mse).abs() / f32_mse;
    assert!(
        relative <= 0.05,
        "{encoder_name}: int8 MSE {int8_mse} vs f32 {f32_mse} ({:.2}%)",
        100.0 * relative
    );
}

#[test]
fn linear_int8_reconstruction_mse_full_test_set() {
    reconstruction_mse("linear.encoder.ts17.onnx", "linear.decoder.ts17.onnx", &[3]);
}

#[test]
fn conv_int8_reconstruction_mse_full_test_set() {
    reconstruction_mse(
        "conv.encoder.ts17.onnx",
        "conv.decoder.ts17.onnx",
        &[64, 1, 1],
    );
}

#[test]
fn calibration_maps_pixels_exactly() {
    let NativeEncoder::Int8(network) = load("linear.encoder.ts17.onnx", int8()) else {
        panic!("int8 precision gives an int8 encoder");
    };
    assert_eq!(network.calibration_images, 1000);
    assert_eq!(
        network.input_quant.zero_point, -128,
        "MNIST pixels span [0, 1]"
    );
    assert!((network.input_quant.scale - 1.0 / 255.0).abs() < 1e-9);
    assert!(
        network
            .layers
            .last()
            .is_some_and(|l| l.output_quant.is_none()),
        "last layer writes f32"
    );
}

#[test]
fn wrong_input_length_is_an_error() {
    let encoder = load("linear.encoder.ts17.onnx", Precision::F32);
    let error = encoder
        .encode(&[0.0; 100])
        .expect_err("100 values are not an image");
    assert!(
        matches!(
            error,
            FirmwareError::InputLength {
                expected: 784,
                found: 100
            }
        ),
        "{error}"
    );
}

#[test]
fn missing_calibration_data_names_folder() {
    let precision = Precision::Int8 {
        calibration: Calibration {
            mnist_dir: "/nonexistent/mnist".into(),
            images: 10,
        },
    };
    let error =
        NativeEncoder::load(&fixture("linear.encoder.ts17.onnx"), precision).expect_err("no data");
    assert!(error.to_string().contains("/nonexistent/mnist"), "{error}");
}
