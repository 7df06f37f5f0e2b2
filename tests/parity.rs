//! candle's forward pass against tract running the exported ONNX graphs.
//!
//! Both models, every graph (whole, encoder, decoder), batch 1 and batch 7
//! of real MNIST test images, with random (seed 0) and pretrained weights.
//! Tolerance: |tract - candle| ≤ 1e-5 · max(1, |candle|) for every value,
//! which is the plain max abs diff ≤ 1e-5 for reconstructions in [0, 1]
//! (see `ae_tests::scaled_diff` for the latent codes).

use ae_models::{Autoencoder, GraphPart, ModelKind};
use ae_runtime::{LoadOptions, RuntimeKind};
use ae_tests::{
    export_all, mnist_test_images, pretrained, scaled_diff, to_runtime_tensor, TOLERANCE,
};
use candle_core::Device;

fn check_parity(model: &Autoencoder, label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let graphs = export_all(model, dir.path());

    for batch in [1, 7] {
        let images = mnist_test_images(batch);
        let latent = model.encode(&images).unwrap();
        let reconstruction = model.decode(&latent).unwrap();

        for (part, path) in &graphs {
            let (input, expected) = match part {
                GraphPart::Full => (&images, vec![&reconstruction, &latent]),
                GraphPart::Encoder => (&images, vec![&latent]),
                GraphPart::Decoder => (&latent, vec![&reconstruction]),
            };
            let options = LoadOptions {
                batch: Some(batch),
                ..LoadOptions::default()
            };
            let mut runtime = ae_runtime::load(RuntimeKind::Tract, path, &options).unwrap();
            let outputs = runtime.run(&to_runtime_tensor(input)).unwrap();
            assert_eq!(
                outputs.len(),
                expected.len(),
                "{label} {part:?}: output count"
            );

            for (index, (output, expected)) in outputs.iter().zip(expected).enumerate() {
                let expected = to_runtime_tensor(expected);
                assert_eq!(
                    output.shape, expected.shape,
                    "{label} {part:?} batch {batch}: shape"
                );
                let diff = scaled_diff(&output.data, &expected.data);
                assert!(
                    diff <= TOLERANCE,
                    "{label} {part:?} batch {batch}: output {} of shape {:?}: tract differs from candle by {diff:e}", runtime.outputs()[index].name, output.shape
                );
            }
        }
    }
}

#[test]
fn linear_random_weights_match_tract() {
    check_parity(
        &Autoencoder::new(ModelKind::Linear, 0, &Device::Cpu).unwrap(),
        "linear seed 0",
    );
}

#[test]
fn conv_random_weights_match_tract() {
    check_parity(
        &Autoencoder::new(ModelKind::Conv, 0, &Device::Cpu).unwrap(),
        "conv seed 0",
    );
}

#[test]
fn linear_pretrained_matches_tract() {
    check_parity(&pretrained(ModelKind::Linear), "linear pretrained");
}

#[test]
fn conv_pretrained_matches_tract() {
    check_parity(&pretrained(ModelKind::Conv), "conv pretrained");
}
