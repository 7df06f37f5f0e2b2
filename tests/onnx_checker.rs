//! Every exported file passes `onnx.checker.check_model(full_check=True)`, and
//! ONNX Runtime's output matches candle's: |ort - candle| ≤ 1e-5 · max(1, |candle|)
//! for every value, the plain max abs diff ≤ 1e-5 for reconstructions in [0, 1]
//! (see `ae_tests::scaled_diff`).
//!
//! The check runs tests/python/check_onnx.py in the virtual environment that
//! scripts/setup-python.sh creates, with pinned onnx and onnxruntime.

use std::path::Path;
use std::process::Command;

use ae_data::write_npy_f32;
use ae_models::{Autoencoder, GraphPart, ModelKind, LATENT, RECONSTRUCTION};
use ae_tests::{export_all, mnist_test_images, pretrained, python, run_ok, workspace_root};
use candle_core::{Device, Tensor};

const BATCH: usize = 7;

fn write_npy(path: &Path, tensor: &Tensor) {
    let data = tensor.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    write_npy_f32(path, tensor.dims(), &data).unwrap();
}

fn check_with_onnxruntime(model: &Autoencoder) {
    let dir = tempfile::tempdir().unwrap();
    let images = mnist_test_images(BATCH);
    let latent = model.encode(&images).unwrap();
    let reconstruction = model.decode(&latent).unwrap();
    write_npy(&dir.path().join("images.npy"), &images);
    write_npy(&dir.path().join("latent.npy"), &latent);
    write_npy(&dir.path().join("reconstruction.npy"), &reconstruction);

    let script = workspace_root().join("tests/python/check_onnx.py");
    for (part, path) in export_all(model, dir.path()) {
        let (input, outputs) = match part {
            GraphPart::Full => ("images.npy", vec![RECONSTRUCTION, LATENT]),
            GraphPart::Encoder => ("images.npy", vec![LATENT]),
            GraphPart::Decoder => ("latent.npy", vec![RECONSTRUCTION]),
        };
        for output in outputs {
            let expected = dir.path().join(format!("{output}.npy"));
            run_ok(
                Command::new(python())
                    .arg(&script)
                    .arg(&path)
                    .arg("--input")
                    .arg(dir.path().join(input))
                    .arg("--expected")
                    .arg(&expected)
                    .args(["--output-name", output, "--atol", "1e-5", "--scaled"]),
            );
        }
    }
}

#[test]
fn linear_export_passes_checker_and_onnxruntime() {
    check_with_onnxruntime(&Autoencoder::new(ModelKind::Linear, 0, &Device::Cpu).unwrap());
    check_with_onnxruntime(&pretrained(ModelKind::Linear));
}

#[test]
fn conv_export_passes_checker_and_onnxruntime() {
    check_with_onnxruntime(&Autoencoder::new(ModelKind::Conv, 0, &Device::Cpu).unwrap());
    check_with_onnxruntime(&pretrained(ModelKind::Conv));
}
